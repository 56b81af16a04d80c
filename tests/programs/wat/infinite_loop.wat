;; Hostile: never returns. Must be stopped at the deadline (limit `timeout`).
(module
  (memory (export "memory") 1)
  (func (export "_start") (loop $forever (br $forever))))

;; Hostile: grows memory by 1 MiB at a time, forever. Must be stopped at the cap (limit `memory`).
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $more (drop (memory.grow (i32.const 16))) (br $more))))

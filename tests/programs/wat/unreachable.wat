;; A program that traps on its own: status `error`, CLI exit 1.
(module
  (memory (export "memory") 1)
  (func (export "_start") unreachable))

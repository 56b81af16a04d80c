;; A library module with no `_start`: refused at load with a hint to build a command.
(module (memory (export "memory") 1) (func (export "helper")))

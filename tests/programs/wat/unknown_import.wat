;; Hostile: imports a function Sluice does not provide. Must be refused before it runs, naming the import.
(module
  (import "env" "launch_missiles" (func $launch))
  (memory (export "memory") 1)
  (func (export "_start") (call $launch)))

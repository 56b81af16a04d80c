;; Hostile: passes the ABI a pointer far outside its memory. Must trap as a guest fault, not read host memory.
(module
  (import "sluice_v1" "call_start" (func $call_start (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $call_start (i32.const 0x7ffffff0) (i32.const 64) (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0)))))

;; Hostile: describes a missing tool forever, reading each answer. Every miss may refetch the
;; server's tool list, so this must be stopped by the discovery budget, not run to the deadline.
(module
  (import "sluice_v1" "describe_start" (func $describe (param i32 i32 i32 i32) (result i32)))
  (import "sluice_v1" "wait_any" (func $wait (result i32)))
  (import "sluice_v1" "result_read" (func $read (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "demomissing")
  (func (export "_start") (local $handle i32)
    (loop $again
      (local.set $handle (call $describe (i32.const 0) (i32.const 4) (i32.const 4) (i32.const 7)))
      (drop (call $wait))
      (drop (call $read (local.get $handle) (i32.const 1024) (i32.const 60000)))
      (br $again))))

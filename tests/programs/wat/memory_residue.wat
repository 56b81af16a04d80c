;; Looks for what an earlier run in the same pool slot left in memory, then leaves marks of its
;; own and looks again. Prints two verdicts, "clean" or "dirty": the first about what it found
;; (a fresh instance finds it clean), the second about its own marks (proof that the probe sees them).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 64) "original")
  (data (i32.const 72) "original")
  (data (i32.const 80) "clean\n")
  (data (i32.const 96) "dirty\n")

  ;; 1 when any probe differs from a fresh instance: the data segment at 64 (its copy is at 72),
  ;; an initial page no segment covers, a grown page, and a page past 16 MiB (the most a pool
  ;; slot keeps resident by default).
  (func $probe (result i32)
    (i32.or
      (i32.or
        (i64.ne (i64.load (i32.const 64)) (i64.load (i32.const 72)))
        (i64.ne (i64.load (i32.const 65544)) (i64.const 0)))
      (i32.or
        (i64.ne (i64.load (i32.const 196624)) (i64.const 0))
        (i64.ne (i64.load (i32.const 20971520)) (i64.const 0)))))

  (func $say (param $dirty i32)
    (i32.store (i32.const 0) (select (i32.const 96) (i32.const 80) (local.get $dirty)))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func (export "_start")
    (local $found i32)
    ;; 2 pages become 402 (25 MiB).
    (if (i32.eq (memory.grow (i32.const 400)) (i32.const -1)) (then unreachable))
    (local.set $found (call $probe))
    (i64.store (i32.const 64) (i64.const 0x5345435245543432))
    (i64.store (i32.const 65544) (i64.const -1))
    (i64.store (i32.const 196624) (i64.const -1))
    (i64.store (i32.const 20971520) (i64.const -1))
    (call $say (local.get $found))
    (call $say (call $probe))))

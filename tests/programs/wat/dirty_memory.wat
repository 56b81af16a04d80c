;; Grows its memory to 96 MiB and writes a byte on every page, then ends: a run
;; whose memory takes a while to reset, as a large tool result's does.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (local $at i32)
    (drop (memory.grow (i32.const 1535)))
    (loop $page
      (i32.store8 (local.get $at) (i32.const 1))
      (local.set $at (i32.add (local.get $at) (i32.const 65536)))
      (br_if $page (i32.lt_u (local.get $at) (i32.const 100663296))))))

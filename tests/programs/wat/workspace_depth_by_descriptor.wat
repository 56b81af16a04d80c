;; Hostile: tries to get past the workspace depth cap by creating a directory
;; through a descriptor of a subdirectory instead of a path from /workspace,
;; after moving that descriptor to another number (onto stdout).
;; Exits with the errno of the last `path_create_directory` (0 if it worked);
;; 121, 122 or 123 if the first, second or third step before it failed.
(module
  (import "wasi_snapshot_preview1" "path_create_directory" (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $renumber (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "a")
  (data (i32.const 32) "b")
  (func (export "_start")
    (local $errno i32)
    ;; /workspace/a: depth 1.
    (local.set $errno (call $mkdir (i32.const 3) (i32.const 16) (i32.const 1)))
    (if (local.get $errno) (then (call $exit (i32.const 121))))
    ;; Open it (lookup flags: follow links; open flags: O_DIRECTORY; rights: read, readdir,
    ;; create directories); its descriptor lands at 0.
    (local.set $errno
      (call $open (i32.const 3) (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 2)
        (i64.const 0x4202) (i64.const 0x4202) (i32.const 0) (i32.const 0)))
    (if (local.get $errno) (then (call $exit (i32.const 122))))
    (local.set $errno (call $renumber (i32.load (i32.const 0)) (i32.const 1)))
    (if (local.get $errno) (then (call $exit (i32.const 123))))
    ;; "b" from that descriptor: /workspace/a/b, depth 2.
    (call $exit (call $mkdir (i32.const 1) (i32.const 32) (i32.const 1)))))

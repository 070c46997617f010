;; Threads blocked in path_open of a FIFO must end promptly when the group
;; ends (the embedder preopens a folder as fd 3 holding w.fifo and r.fifo,
;; which nobody else opens): the spawned thread opens w.fifo for writing
;; (no reader ever comes), the entry opens r.fifo for reading and reads it
;; (no writer ever comes).
;; memory: 0 threads started, 100 "w.fifo", 120 "r.fifo", 200 fd (thread),
;;   204 fd (entry), 300 iovec, 400 buffer, 500 nread
(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (data (memory 0) (i32.const 100) "w.fifo")
  (data (memory 0) (i32.const 120) "r.fifo")

  ;; rights: fd_read = 1 << 1, fd_write = 1 << 6
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (drop (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 6)
                           (i32.const 0) (i64.const 64) (i64.const 0) (i32.const 0)
                           (i32.const 200))))

  (func (export "open_block") (result i32)
    (local $r i32)
    (if (i32.lt_s (call $spawn (i32.const 0)) (i32.const 0))
      (then (return (i32.const -1))))
    (loop $l (br_if $l (i32.eqz (i32.atomic.load (i32.const 0)))))
    (local.set $r
      (call $path_open (i32.const 3) (i32.const 0) (i32.const 120) (i32.const 6)
                       (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0)
                       (i32.const 204)))
    (if (local.get $r) (then (return (local.get $r))))
    (i32.store (i32.const 300) (i32.const 400))
    (i32.store (i32.const 304) (i32.const 1))
    (call $fd_read (i32.load (i32.const 204)) (i32.const 300) (i32.const 1) (i32.const 500)))
)

;; Threads blocked in WASI calls must end promptly when the group ends: the
;; spawned thread sleeps in poll_oneoff (a one-hour clock), the entry reads
;; fd 0 (a pipe nobody writes).
;; memory: 0 threads started, 100 iovec, 200 buffer, 300 nread,
;;   400 subscription (48 bytes), 500 event, 600 nevents
(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))

  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    ;; subscription: userdata 0, tag 0 (clock), monotonic, 1 hour, relative
    (i64.store (i32.const 400) (i64.const 0))
    (i32.store8 (i32.const 408) (i32.const 0))
    (i32.store (i32.const 416) (i32.const 1))
    (i64.store (i32.const 424) (i64.const 3600000000000))
    (i64.store (i32.const 432) (i64.const 0))
    (i32.store16 (i32.const 440) (i32.const 0))
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (drop (call $poll_oneoff (i32.const 400) (i32.const 500) (i32.const 1) (i32.const 600))))

  (func (export "read_block") (result i32)
    (if (i32.lt_s (call $spawn (i32.const 0)) (i32.const 0))
      (then (return (i32.const -1))))
    (loop $l (br_if $l (i32.eqz (i32.atomic.load (i32.const 0)))))
    (i32.store (i32.const 100) (i32.const 200))
    (i32.store (i32.const 104) (i32.const 1))
    (call $fd_read (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 300)))
)

;; A thread module that defines (and exports) its shared memory instead of
;; importing it: every spawned instance must get the same memory.
(module
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (memory (export "memory") 1 1 shared)
  (global $g (mut i32) (i32.const 0))
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    ;; a fresh instance: its global is 0 whatever the first instance did
    (i32.store (i32.const 12) (global.get $g))
    (i32.store (i32.const 4) (local.get $tid))
    (i32.store (i32.const 8) (local.get $arg))
    (i32.atomic.store (i32.const 0) (i32.const 1))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
  ;; Returns tid * 1000 + arg as the thread saw them, or -1.
  (func (export "_start") (result i32)
    (local $tid i32)
    (global.set $g (i32.const 55))
    (i32.store (i32.const 12) (i32.const 99))
    (local.set $tid (call $spawn (i32.const 42)))
    (if (i32.le_s (local.get $tid) (i32.const 0)) (then (return (i32.const -1))))
    (loop $l
      (if (i32.eqz (i32.atomic.load (i32.const 0)))
        (then (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
              (br $l))))
    (if (i32.ne (i32.load (i32.const 4)) (local.get $tid)) (then (return (i32.const -2))))
    (if (i32.ne (i32.load (i32.const 12)) (i32.const 0)) (then (return (i32.const -3))))
    (i32.add (i32.mul (local.get $tid) (i32.const 1000)) (i32.load (i32.const 8))))
)

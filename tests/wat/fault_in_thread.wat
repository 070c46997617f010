;; For tests/threads/test_signal_mask.c: a program whose entry spawns a thread
;; that loads out of bounds (a guard-page fault in a wasi-threads thread) and
;; then waits for the group to end.
(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (drop (i32.load (i32.const 65536))))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (drop (memory.atomic.wait32 (i32.const 4) (i32.const 0) (i64.const -1)))))

;; For tests/threads/test_signal_mask.c: an instance without a memory that
;; calls the host (which may call into an instance that has one).
(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (func (export "call") (param $n i32) (result i32)
    (call $host (local.get $n))))

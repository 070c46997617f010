;; Traps three and two calls deep, for test_backtrace.c: each frame's offset
;; must point at the instruction it stopped at (the trapping one, then calls).
(module
  (import "host" "callback" (func $callback (param i32) (result i32)))
  (memory 1)
  (func $inner (param i32) (result i32)
    (i32.div_u (i32.const 10) (local.get 0)))
  (func $mid (param i32) (result i32)
    (i32.add (i32.const 1) (call $inner (local.get 0))))
  (func (export "outer") (param i32) (result i32)
    (call $mid (local.get 0)))
  (func (export "load") (param i32) (result i32)
    (i32.load offset=4 (local.get 0)))
  (func (export "via_host") (param i32) (result i32)
    (i32.add (i32.const 2) (call $callback (local.get 0))))
)

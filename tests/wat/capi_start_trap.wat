;; A start function that traps one call down: wasm_instance_new fails with
;; that trap and its frames (tests/capi/test_func.c, start_trap).
(module
  (func $inner (drop (i32.div_u (i32.const 1) (i32.const 0))))
  (func $start (call $inner))
  (start $start))

;; The guest of examples/capi_global.c: globals imported from the host and
;; exported to it, constant and mutable, and functions that read and write
;; them from inside wasm.
(module
  (import "host" "const_f32" (global $const_f32 f32))
  (import "host" "var_i64" (global $var_i64 (mut i64)))

  (global $const_i32 (export "const_i32") i32 (i32.const 7))
  (global $var_f64 (export "var_f64") (mut f64) (f64.const 1.5))
  ;; The host's own mutable global, handed back to it.
  (export "var_i64" (global $var_i64))

  (func (export "get_const_f32") (result f32) (global.get $const_f32))
  (func (export "get_var_i64") (result i64) (global.get $var_i64))
  (func (export "set_var_i64") (param i64) (global.set $var_i64 (local.get 0)))
  (func (export "get_const_i32") (result i32) (global.get $const_i32))
  (func (export "get_var_f64") (result f64) (global.get $var_f64))
  (func (export "set_var_f64") (param f64) (global.set $var_f64 (local.get 0))))

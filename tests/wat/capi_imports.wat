;; The C API tests' module with imports of every kind (tests/capi): host
;; functions with and without env, a mutable global, a table and a memory
;; made by the host.
(module
  (type $i32_i32 (func (param i32) (result i32)))
  (import "env" "cb" (func $cb (param i32) (result i32)))
  (import "env" "cb_env" (func $cb_env (param i64 f64) (result f64 i64)))
  (import "env" "g" (global $g (mut i32)))
  (import "env" "t" (table 1 funcref))
  (import "env" "m" (memory 1))
  (func (export "call_cb") (param i32) (result i32) (call $cb (local.get 0)))
  (func (export "call_cb_env") (param i64 f64) (result f64 i64)
    (call $cb_env (local.get 0) (local.get 1)))
  (func (export "get_g") (result i32) (global.get $g))
  (func (export "set_g") (param i32) (global.set $g (local.get 0)))
  (func (export "call_t") (param i32 i32) (result i32)
    (call_indirect (type $i32_i32) (local.get 1) (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "size") (result i32) (memory.size))
)

;; The C API tests' module without imports (tests/capi): identity functions of
;; every value type the C API carries, multi-value results, traps with a
;; backtrace, and an exported memory, globals and table.
(module
  (type $i32_i32 (func (param i32) (result i32)))
  (memory (export "mem") 1 3)
  (data (i32.const 16) "\2a\00\00\00")
  (global (export "gc") i32 (i32.const 7))
  (global (export "gv") (mut i64) (i64.const -5))
  (global (export "gf") (mut f64) (f64.const 1.5))
  (table (export "tab") 2 4 funcref)
  (elem (i32.const 0) $inc)
  (func $inc (export "inc") (type $i32_i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "id_i64") (param i64) (result i64) (local.get 0))
  (func (export "id_f32") (param f32) (result f32) (local.get 0))
  (func (export "id_f64") (param f64) (result f64) (local.get 0))
  (func (export "id_funcref") (param funcref) (result funcref) (local.get 0))
  (func (export "id_externref") (param externref) (result externref) (local.get 0))
  (func (export "is_null") (param externref) (result i32) (ref.is_null (local.get 0)))
  ;; multi-value: the four arguments in reverse order
  (func (export "swap") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
    (local.get 3) (local.get 2) (local.get 1) (local.get 0))
  (func (export "call_tab") (param i32 i32) (result i32)
    (call_indirect (type $i32_i32) (local.get 1) (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  ;; outer -> middle -> unreachable: a backtrace of three frames
  (func $inner (unreachable))
  (func $middle (call $inner))
  (func (export "outer") (call $middle))
  (func (export "v128") (param v128) (result v128) (local.get 0))
)

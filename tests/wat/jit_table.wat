;; tests/jit/test_emit_table.c: every function here must compile (no
;; fallback to the interpreter) and behave as the interpreter does: references,
;; tables, bulk memory, segments and the v128 moves (jit/emit_table.c).
(module
  (type $ii (func (param i32) (result i32)))
  (table $t 4 8 funcref)
  (memory 1)
  (data $d "\01\02\03\04")
  (elem $s func $inc $dbl)
  (global $g (mut v128) (v128.const i64x2 1 2))
  (global $h (mut v128) (v128.const i64x2 3 4))

  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))

  (func (export "set") (param i32) (table.set $t (local.get 0) (ref.func $inc)))
  (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
  (func (export "call") (param i32 i32) (result i32)
    (call_indirect $t (type $ii) (local.get 1) (local.get 0)))
  (func (export "size") (result i32) (table.size $t))
  (func (export "grow") (param i32) (result i32) (table.grow $t (ref.func $dbl) (local.get 0)))
  (func (export "fill") (param i32 i32) (table.fill $t (local.get 0) (ref.func $dbl) (local.get 1)))
  (func (export "copy") (param i32 i32 i32)
    (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32)
    (table.init $t $s (local.get 0) (local.get 1) (local.get 2)))
  (func (export "elem_drop") (elem.drop $s))

  (func (export "mfill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "mcopy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "minit") (param i32 i32 i32) (memory.init $d (local.get 0) (local.get 1) (local.get 2)))
  (func (export "data_drop") (data.drop $d))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))

  (func (export "gv") (result v128) (global.get $g))
  (func (export "sv") (param v128) (global.set $g (local.get 0)))
  (func (export "sel") (param i32) (result v128)
    (select (global.get $g) (global.get $h) (local.get 0)))
)

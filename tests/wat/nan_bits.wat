;; nan_bits.wat -- the reduced case of the startup module's checksum
;; mismatch (bench/startup/gen_module.c, seed 0x5EED, 18000 functions: call
;; 222 of `run`, function 9349), used by tests/engine/test_regress.c.
;;
;; The generated function stored f64.min of a constant and a NaN loaded from
;; memory (the bits of i64 -92, a quiet NaN with a payload), then a later
;; function read a byte of it back with i32.load8_s.  The spec lets min return
;; any arithmetic NaN there: weft returns the input NaN (0xFFFFFFFFFFFFFFA4),
;; V8 the canonical 0xFFF8000000000000, wabt 0x7FF8000000000000 -- so the
;; byte read back depends on the engine.  Not a bug in any of them; the
;; generator now stores floats through the `canon` idiom below.
(module
  (memory 1)

  ;; The generated code, reduced: bits at 360, min into 1456, back as i64.
  (func (export "min_stored") (param $bits i64) (result i64)
    (i64.store offset=360 (i32.const 0) (local.get $bits))
    (f64.store offset=1456 (i32.const 0)
      (f64.min (f64.const 7946.83) (f64.load offset=360 (i32.const 0))))
    (i64.load offset=1456 (i32.const 0)))
  ;; What the later function read: the low byte, sign-extended.
  (func (export "stored_byte") (result i32)
    (i32.load8_s offset=1456 (i32.const 0)))

  ;; The operators on raw bits, both operand orders.
  (func (export "min64") (param i64 i64) (result i64)
    (i64.reinterpret_f64
      (f64.min (f64.reinterpret_i64 (local.get 0)) (f64.reinterpret_i64 (local.get 1)))))
  (func (export "max64") (param i64 i64) (result i64)
    (i64.reinterpret_f64
      (f64.max (f64.reinterpret_i64 (local.get 0)) (f64.reinterpret_i64 (local.get 1)))))
  (func (export "min32") (param i32 i32) (result i32)
    (i32.reinterpret_f32
      (f32.min (f32.reinterpret_i32 (local.get 0)) (f32.reinterpret_i32 (local.get 1)))))
  (func (export "max32") (param i32 i32) (result i32)
    (i32.reinterpret_f32
      (f32.max (f32.reinterpret_i32 (local.get 0)) (f32.reinterpret_i32 (local.get 1)))))

  ;; The generator's idiom: the value, or the canonical NaN when it is a NaN
  ;; (local.tee, const, eq, select -- the same instruction sequence).
  (func (export "canon64") (param i64) (result i64) (local f64)
    (i64.reinterpret_f64
      (select
        (local.tee 1 (f64.reinterpret_i64 (local.get 0)))
        (f64.const nan)
        (f64.eq (local.get 1) (local.get 1)))))
  (func (export "canon32") (param i32) (result i32) (local f32)
    (i32.reinterpret_f32
      (select
        (local.tee 1 (f32.reinterpret_i32 (local.get 0)))
        (f32.const nan)
        (f32.eq (local.get 1) (local.get 1)))))
)

;; v128 values in frames (tests/engine/test_simd.c): two slots each, among
;; scalars, as parameters, results, locals, constants, globals, block values,
;; across calls (direct, indirect, host) and the API; SIMD memory traps.
(module
  (import "host" "vmix" (func $vmix (param v128 i32 v128) (result i32 v128 f64)))
  (memory (export "mem") 1)
  (global $g (export "g") (mut v128) (v128.const i32x4 1 2 3 4))
  (global $gi (mut i32) (i32.const 5))
  (type $rev_t (func (param i32 v128 i64 v128 f64) (result f64 v128 i64 v128 i32)))
  (table 1 funcref)
  (elem (i32.const 0) $rev)

  ;; Parameters and results interleaved: returns them reversed.
  (func $rev (export "rev") (type $rev_t)
    (local.get 4) (local.get 3) (local.get 2) (local.get 1) (local.get 0))

  ;; Calls $rev directly and through the table, with v128 locals and
  ;; constants around; sums what comes back into one v128:
  ;;   a + b (i32x4) + [k, f*2, x, 7] with lanes from the scalars.
  (func (export "calls") (param $a v128) (param $b v128) (param $k i32) (result v128)
    (local $f f64) (local $t v128) (local $x i64) (local $u v128) (local $i i32)
    (call $rev (local.get $k) (local.get $a) (i64.const 40) (local.get $b) (f64.const 2.5))
    (local.set $i)        ;; k
    (local.set $t)        ;; a
    (local.set $x)        ;; 40
    (local.set $u)        ;; b
    (local.set $f)        ;; 2.5
    (call_indirect (type $rev_t)
      (local.get $i) (local.get $u) (local.get $x) (local.get $t) (local.get $f) (i32.const 0))
    (drop)                ;; k
    (local.set $u)        ;; b
    (local.set $x)        ;; 40
    (local.set $t)        ;; a
    (f64.add (local.get $f))  ;; 2.5 + 2.5
    (local.set $f)
    (i32x4.add (local.get $t) (local.get $u))
    (i32x4.add (i32x4.replace_lane 0
                 (i32x4.replace_lane 1
                   (i32x4.replace_lane 2 (v128.const i32x4 0 0 0 7) (i32.wrap_i64 (local.get $x)))
                   (i32.trunc_f64_s (local.get $f)))
                 (local.get $k))))

  ;; Blocks, loops and ifs carrying v128 values, br_table and select on them:
  ;; adds [1 1 1 1] n times in a loop, then picks by n's parity.
  (func (export "blocks") (param $v v128) (param $n i32) (result v128)
    (local $i i32)
    (local.get $v)
    (loop $l (param v128) (result v128)
      (i32x4.add (v128.const i32x4 1 1 1 1))
      (local.tee $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $n)))
      ;; the stack holds one v128 here
    )
    (i32.and (local.get $n) (i32.const 1))
    (if (param v128) (result v128)
      (then (i8x16.neg))
      (else (v128.not)))
    (block $b1 (param v128) (result v128)
      (block $b0 (param v128) (result v128)
        (br_table $b0 $b1 (i32.and (local.get $n) (i32.const 1))))
      (i32x4.mul (v128.const i32x4 2 2 2 2)))
    ;; n != 0 keeps it, n == 0 gives all ones
    (select (v128.const i64x2 -1 -1) (local.get $n)))

  ;; A host call with v128 parameters and results (test_simd.c's vmix).
  (func (export "host") (param $v v128) (param $i i32) (result v128)
    (local $w v128) (local $f f64) (local $r i32)
    (call $vmix (local.get $v) (local.get $i) (v128.const i32x4 10 20 30 40))
    (local.set $f)
    (local.set $w)
    (local.set $r)
    (i32x4.add (local.get $w)
      (i32x4.replace_lane 1
        (i32x4.replace_lane 0 (v128.const i32x4 0 0 0 0) (local.get $r))
        (i32.trunc_f64_s (local.get $f)))))

  ;; The global's old value; the argument becomes the new one.
  (func (export "gswap") (param v128) (result v128)
    (global.get $g)
    (global.set $g (local.get 0))
    (global.set $gi (i32.add (global.get $gi) (i32.const 1))))

  ;; Memory accesses at a run-time address, for traps and bounds.
  (func $load (export "load") (param i32) (result v128) (v128.load (local.get 0)))
  (func (export "load_off") (param i32) (result v128) (v128.load offset=8 (local.get 0)))
  (func (export "store") (param i32 v128) (v128.store (local.get 0) (local.get 1)))
  (func (export "load64_lane") (param i32 v128) (result v128)
    (v128.load64_lane 1 (local.get 0) (local.get 1)))
  (func (export "store32_lane") (param i32 v128) (v128.store32_lane 3 (local.get 0) (local.get 1)))
  (func (export "load32_splat") (param i32) (result v128) (v128.load32_splat (local.get 0)))
  (func (export "load64_zero") (param i32) (result v128) (v128.load64_zero (local.get 0)))
  (func (export "load8x8_s") (param i32) (result v128) (v128.load8x8_s (local.get 0)))
  ;; A trap two calls deep in SIMD code.
  (func (export "deep") (param i32) (result i32)
    (i32x4.extract_lane 0 (i32x4.add (call $load (local.get 0)) (v128.const i32x4 1 1 1 1))))
)

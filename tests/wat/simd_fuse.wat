;; simd_fuse.wat -- v128.load and v128.store whose address is an i32.add (the
;; _A forms, engine/code.h); the store's add comes before the SIMD
;; instructions that compute its value.  Used by tests/engine/test_simd_fuse.c.
(module
  (memory 1)
  ;; lanes 0 and 1 of the 16 bytes at p + i + 4, xored
  (func (export "load_a") (param $p i32) (param $i i32) (result i64) (local $v v128)
    (local.set $v (v128.load offset=4 (i32.add (local.get $p) (local.get $i))))
    (i64.xor (i64x2.extract_lane 0 (local.get $v)) (i64x2.extract_lane 1 (local.get $v))))
  ;; at p + i + 4: (the 16 bytes at q) + splat(x), in i64 lanes
  (func (export "store_a") (param $p i32) (param $i i32) (param $q i32) (param $x i64)
    (v128.store offset=4 (i32.add (local.get $p) (local.get $i))
      (i64x2.add (v128.load (local.get $q)) (i64x2.splat (local.get $x)))))
  ;; the value's computation writes the add's operand p (p *= 2 lands in $p
  ;; directly): the add must not move past it -- stored at the old p + i
  (func (export "store_clobber") (param $p i32) (param $i i32)
    (v128.store (i32.add (local.get $p) (local.get $i))
      (block (result v128)
        (local.set $p (i32.mul (local.get $p) (i32.const 2)))
        (v128.load (local.get $p)))))
  ;; the 8 bytes at a
  (func (export "peek") (param $a i32) (result i64)
    (i64.load (local.get $a)))
  (func (export "poke") (param $a i32) (param $x i64)
    (i64.store (local.get $a) (local.get $x)))
)

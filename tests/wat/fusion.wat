;; fusion.wat -- instruction sequences the translator fuses (engine/code.h):
;; an i32.add feeding a load or store address (_A variants) and an i32.add
;; feeding a compare-and-branch (ADD_BR_<cmp>).  Used by
;; tests/engine/test_fusion.c, which checks wrap-around and trap semantics.
(module
  (memory 1)
  ;; addr = a + b wraps at 2^32 before the offset is added (no wrap after).
  (func (export "load_add") (param i32 i32) (result i32)
    (i32.load offset=4 (i32.add (local.get 0) (local.get 1))))
  (func (export "load8_add_const") (param i32) (result i32)
    (i32.load8_u (i32.add (local.get 0) (i32.const -1))))
  (func (export "store_add") (param i32 i32 i32)
    (i64.store32 offset=8 (i32.add (local.get 0) (local.get 1)) (i64.extend_i32_u (local.get 2))))
  (func (export "store_add_ref") (param i32 i32 i32)
    (i32.store (i32.add (local.get 0) (local.get 1)) (local.get 2)))
  ;; counts steps of `i += step` while i <u limit; i wraps like an i32
  (func (export "count_lt_u") (param $i i32) (param $step i32) (param $limit i32) (result i32)
    (local $n i32)
    (loop $l
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (local.get $step)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $limit))))
    (local.get $n))
  ;; the same with a signed compare and the loop's exit on the negated compare
  (func (export "count_ge_s") (param $i i32) (param $step i32) (param $limit i32) (result i32)
    (local $n i32)
    (block $out
      (loop $l
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $out (i32.ge_s (local.tee $i (i32.add (local.get $i) (local.get $step)))
                              (local.get $limit)))
        (br $l)))
    (local.get $n))
  ;; if on a compare of a fresh sum: the sum is a temp, the compare operand too
  (func (export "sum_eq") (param i32 i32 i32) (result i32)
    (if (result i32) (i32.eq (i32.add (local.get 0) (local.get 1)) (local.get 2))
      (then (i32.const 1)) (else (i32.const 0))))
  ;; p[q] = f(...) where computing the value rewrites p through a tee that a
  ;; fused form keeps (_S: the scaled pair; SEL_<cmp>: the compare): the
  ;; store's address is the p of before, so its add must not move past.
  (func (export "store_tee_scaled") (param $p i32) (param $q i32) (param $x i32) (param $y i32)
    (i32.store (i32.add (local.get $p) (local.get $q))
      (i32.load (local.tee $p (i32.add (local.get $x) (i32.shl (local.get $y) (i32.const 2)))))))
  (func (export "store_tee_select") (param $p i32) (param $q i32) (param $x i32) (param $y i32)
    (i32.store (i32.add (local.get $p) (local.get $q))
      (select (local.get $x) (local.get $y) (local.tee $q (i32.lt_u (local.get $x) (local.get $y))))))
)

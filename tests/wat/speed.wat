;; speed.wat -- fused forms of tests/engine/test_speed.c (engine/code.h):
;; a read-modify-write by a product of three (ID_MM_MST), a binary op on a
;; fused-address load (ID_MA), and an i32.load fused into the branch on its
;; value (L_BR_<cmp>, L_BR_NZ, L_BR_Z).  Function indexes are used by the test.
(module
  (memory 1)
  ;; 0: p->x -= a * b * c
  (func (export "mm_sub") (param $p i32) (param $a f64) (param $b f64) (param $c f64)
    (f64.store offset=8 (local.get $p)
      (f64.sub (f64.load offset=8 (local.get $p))
               (f64.mul (f64.mul (local.get $a) (local.get $b)) (local.get $c)))))
  ;; 1: p->x += a * b * c
  (func (export "mm_add") (param $p i32) (param $a f64) (param $b f64) (param $c f64)
    (f64.store offset=8 (local.get $p)
      (f64.add (f64.load offset=8 (local.get $p))
               (f64.mul (f64.mul (local.get $a) (local.get $b)) (local.get $c)))))
  ;; 2: the product is kept in a local: no MM form may drop its write
  (func (export "mm_keep") (param $p i32) (param $a f64) (param $b f64) (param $c f64)
    (result f64) (local $t f64)
    (f64.store offset=8 (local.get $p)
      (f64.sub (f64.load offset=8 (local.get $p))
               (local.tee $t (f64.mul (f64.mul (local.get $a) (local.get $b)) (local.get $c)))))
    (local.get $t))
  ;; 3: x - p[i] (f64, load at p + i + 8)
  (func (export "sub_ma") (param $p i32) (param $i i32) (param $x f64) (result f64)
    (f64.sub (local.get $x) (f64.load offset=8 (i32.add (local.get $p) (local.get $i)))))
  ;; 4: p[i] + x (i32, the load on the add's left)
  (func (export "add_ma") (param $p i32) (param $i i32) (param $x i32) (result i32)
    (i32.add (i32.load offset=4 (i32.add (local.get $p) (local.get $i))) (local.get $x)))
  ;; 5: load(p + 4) < x (signed): 1, else 2
  (func (export "lbr_lt_s") (param $p i32) (param $x i32) (result i32)
    (block $b
      (br_if $b (i32.lt_s (i32.load offset=4 (local.get $p)) (local.get $x)))
      (return (i32.const 2)))
    (i32.const 1))
  ;; 6: x < load(p) (unsigned), the load on the right: 1, else 2
  (func (export "lbr_swap") (param $p i32) (param $x i32) (result i32)
    (block $b
      (br_if $b (i32.lt_u (local.get $x) (i32.load (local.get $p))))
      (return (i32.const 2)))
    (i32.const 1))
  ;; 7: steps along a list of i32 links until a 0 link (do-while, br_if on the load)
  (func (export "list_len") (param $p i32) (result i32) (local $n i32)
    (loop $l
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $l (local.tee $p (i32.load (local.get $p)))))
    (local.get $n))
  ;; 8: if on a loaded value: 10 when nonzero, else 20
  (func (export "lbr_if") (param $p i32) (result i32)
    (if (result i32) (i32.load (local.get $p)) (then (i32.const 10)) (else (i32.const 20))))
  ;; 9: if on i32.eqz of a loaded value: 30 when zero, else 40
  (func (export "lbr_eqz") (param $p i32) (result i32)
    (if (result i32) (i32.eqz (i32.load (local.get $p))) (then (i32.const 30)) (else (i32.const 40))))
  ;; 10: helpers: store and load bytes, f64s and i32s
  (func (export "st32") (param $p i32) (param $v i32) (i32.store (local.get $p) (local.get $v)))
  (func (export "ld8") (param $p i32) (result i32) (i32.load8_u (local.get $p)))
  (func (export "stf") (param $p i32) (param $v f64) (f64.store (local.get $p) (local.get $v)))
  (func (export "ldf") (param $p i32) (result f64) (f64.load (local.get $p)))
)

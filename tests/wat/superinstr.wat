;; superinstr.wat -- instruction pairs the translator fuses into one
;; (engine/code.h): binary ops whose result feeds the next binary op
;; (P_<op1>_<op2>_L/_R) and selects on a compare (SEL_<cmp>).  Used by
;; tests/engine/test_superinstr.c, which checks the fused forms are used and
;; keep the unfused results: rounding, operand order, wrap-around, shift masks.
;; Also loads and stores at base + (index << k) (the _S variants).
(module
  (memory 1)
  ;; 0: (a * b) - c, rounded twice (a fused multiply-add would not round a * b)
  (func (export "mul_sub_l") (param f64 f64 f64) (result f64)
    (f64.sub (f64.mul (local.get 0) (local.get 1)) (local.get 2)))
  ;; 1: c - a * b
  (func (export "mul_sub_r") (param f64 f64 f64) (result f64)
    (f64.sub (local.get 2) (f64.mul (local.get 0) (local.get 1))))
  ;; 2: the pair writes the local straight away
  (func (export "mul_add_local") (param f64 f64 f64) (result f64) (local $x f64)
    (local.set $x (f64.add (f64.mul (local.get 0) (local.get 1)) (local.get 2)))
    (f64.add (local.get $x) (local.get $x)))
  ;; 3: c / (a * b)
  (func (export "mul_div_r") (param f64 f64 f64) (result f64)
    (f64.div (local.get 2) (f64.mul (local.get 0) (local.get 1))))
  ;; 4: (a << b) + c, wrapping; the shift count is taken mod 32
  (func (export "shl_add_l") (param i32 i32 i32) (result i32)
    (i32.add (i32.shl (local.get 0) (local.get 1)) (local.get 2)))
  ;; 5: c + (a << 3)
  (func (export "shl_add_r") (param i32 i32 i32) (result i32)
    (i32.add (local.get 2) (i32.shl (local.get 0) (i32.const 3))))
  ;; 6: c - (a + b)
  (func (export "add_sub_r") (param i32 i32 i32) (result i32)
    (i32.sub (local.get 2) (i32.add (local.get 0) (local.get 1))))
  ;; 7: x ^ (x >> 33)
  (func (export "xorshift") (param i64) (result i64)
    (i64.xor (local.get 0) (i64.shr_u (local.get 0) (i64.const 33))))
  ;; 8: the first result is also kept in a local: it must stay right
  (func (export "tee_kept") (param i32 i32 i32) (result i32) (local $t i32)
    (i32.add (i32.add (local.tee $t (i32.shl (local.get 0) (local.get 1))) (local.get 2))
             (local.get $t)))
  ;; 9: c <s d ? a : b
  (func (export "sel_lt_s") (param i32 i32 i32 i32) (result i32)
    (select (local.get 0) (local.get 1) (i32.lt_s (local.get 2) (local.get 3))))
  ;; 10: c >u d ? a : b on i64
  (func (export "sel_gt_u64") (param i32 i32 i64 i64) (result i32)
    (select (local.get 0) (local.get 1) (i64.gt_u (local.get 2) (local.get 3))))
  ;; 11: c == 0 ? a : b
  (func (export "sel_eqz") (param i32 i32 i32) (result i32)
    (select (local.get 0) (local.get 1) (i32.eqz (local.get 2))))
  ;; 12: a = min_u(a, b), the result written over an operand
  (func (export "min_u") (param i32 i32) (result i32)
    (local.set 0 (select (local.get 0) (local.get 1) (i32.lt_u (local.get 0) (local.get 1))))
    (local.get 0))
;; 13: i32 at base + (i << 2) + 4; the sum wraps before the offset is added
  (func (export "load_scaled") (param $base i32) (param $i i32) (result i32)
    (i32.load offset=4 (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2)))))
  ;; 14: i64 at ((i << 3) + base) + 8
  (func (export "store_scaled") (param $base i32) (param $i i32) (param $v i64)
    (i64.store offset=8 (i32.add (i32.shl (local.get $i) (i32.const 3)) (local.get $base))
               (local.get $v)))
  ;; 15: i64 at base + (i << 3) + 8
  (func (export "load64_scaled") (param $base i32) (param $i i32) (result i64)
    (i64.load offset=8 (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 3)))))
;; 16: mem[p + 8] = mem[p + 8] - x (load, sub and store fuse: F64_SUB_MST)
  (func (export "sub_store") (param $p i32) (param $x f64)
    (f64.store offset=8 (local.get $p) (f64.sub (f64.load offset=8 (local.get $p)) (local.get $x))))
  ;; 17: x - mem[p] (the load and the sub fuse)
  (func (export "sub_load") (param $p i32) (param $x f64) (result f64)
    (f64.sub (local.get $x) (f64.load (local.get $p))))
  ;; 18: mem[p + 4] + x, the load on the add's left
  (func (export "add_load") (param $p i32) (param $x i32) (result i32)
    (i32.add (i32.load offset=4 (local.get $p)) (local.get $x)))
  ;; 19: mem[p] = a + b (i64)
  (func (export "add_store64") (param $p i32) (param $a i64) (param $b i64)
    (i64.store (local.get $p) (i64.add (local.get $a) (local.get $b))))
;; 20: br_table on the byte at p + 1: 0 -> 10, 1 -> 11, else 12
  (func (export "switch8") (param $p i32) (result i32)
    (block $b2
      (block $b1
        (block $b0
          (br_table $b0 $b1 $b2 (i32.load8_u offset=1 (local.get $p))))
        (return (i32.const 10)))
      (return (i32.const 11)))
    (i32.const 12))
;; A compare also kept in a local (local.tee): the select still takes it in
  ;; and writes the local.  (c <u d ? a : b) + 1000 * (c <u d).
  (func (export "sel_tee") (param $a i32) (param $b i32) (param $c i64) (param $d i64) (result i32)
    (local $k i32)
    (select (local.get $a) (local.get $b) (local.tee $k (i64.lt_u (local.get $c) (local.get $d))))
    (i32.mul (local.get $k) (i32.const 1000))
    i32.add)
  ;; The select's operand reads the local before the tee changes it: the old
  ;; value is selected.  (c <s d ? 7 : b) + 1000 * (c <s d).
  (func (export "sel_tee_old") (param $a i32) (param $b i32) (param $c i32) (param $d i32) (result i32)
    (local $k i32)
    (local.set $k (i32.const 7))
    (select (local.get $k) (local.get $b) (local.tee $k (i32.lt_s (local.get $c) (local.get $d))))
    (i32.mul (local.get $k) (i32.const 1000))
    i32.add)
;; Scaled addresses kept in locals by tees (a swap reads and writes them):
  ;; the loads take the pairs in and still write the locals.  Returns q - p.
  (func (export "swap_scaled") (param $base i32) (param $i i32) (param $j i32) (result i32)
    (local $p i32) (local $q i32) (local $t i32)
    (local.set $t (i32.load (local.tee $p (i32.add (local.get $base)
                                                   (i32.shl (local.get $i) (i32.const 2))))))
    (i32.store (local.get $p)
      (i32.load (local.tee $q (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2))))))
    (i32.store (local.get $q) (local.get $t))
    (i32.sub (local.get $q) (local.get $p)))
  ;; A store whose scaled address is kept by a tee and is also the value:
  ;; mem[p] = p, and returns p.
  (func (export "store_own_addr") (param $base i32) (param $i i32) (result i32)
    (local $p i32)
    (i32.store (local.tee $p (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))
               (local.get $p))
    (local.get $p))
)

;; Modules for tests/engine/test_threading.c: branch threading (tail
;; duplication of BR targets) and the read-modify-write and store-and-branch
;; fused forms.  Function indexes are used by the test.
(module
  (memory 1)
  ;; A bytecode program: 0 = acc += 3, 1 = acc *= 2, 2 = acc -= 1, 3 = halt.
  (data (i32.const 0) "\00\01\02\00\01\00\02\02\01\03")

  ;; 0: a byte-dispatch interpreter whose cases all `continue` through one
  ;; block end (pc += 1; br $loop): threading copies the dispatch into each.
  (func (export "interp") (param $start i32) (result i32)
    (local $pc i32) (local $acc i32)
    (local.set $pc (local.get $start))
    (block $halt
      (loop $loop
        (block $next
          (block $c3 (block $c2 (block $c1 (block $c0
            (br_table $c0 $c1 $c2 $c3 (i32.load8_u (local.get $pc))))
            (local.set $acc (i32.add (local.get $acc) (i32.const 3)))
            (br $next))
            (local.set $acc (i32.shl (local.get $acc) (i32.const 1)))
            (br $next))
            (local.set $acc (i32.sub (local.get $acc) (i32.const 1)))
            (br $next))
          (br $halt))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $loop)))
    (local.get $acc))

  ;; 1: a loop tested at its top: the back edge becomes the negated test.
  (func (export "sum_below") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (block $exit
      (loop $l
        (br_if $exit (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))

  ;; 2: p->x -= a * b * a (load, pair, sub, store to the same place).
  (func (export "f64_sub_in_place") (param $p i32) (param $a f64) (param $b f64)
    (f64.store offset=8 (local.get $p)
      (f64.sub (f64.load offset=8 (local.get $p))
               (f64.mul (f64.mul (local.get $a) (local.get $b)) (local.get $a)))))

  ;; 3: p->x += v (the load fused into the add first).
  (func (export "f64_add_in_place") (param $p i32) (param $v f64)
    (f64.store offset=16 (local.get $p)
      (f64.add (local.get $v) (f64.load offset=16 (local.get $p)))))

  ;; 4: i32 and i64 counters bumped in place.
  (func (export "i32_add_in_place") (param $p i32) (param $v i32)
    (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (local.get $v))))
  (func (export "i64_add_in_place") (param $p i32) (param $v i64)
    (i64.store offset=4 (local.get $p) (i64.add (i64.load offset=4 (local.get $p)) (local.get $v))))

  ;; 6: the loaded value is kept in a local: no fusion may drop its write.
  (func (export "f64_sub_keep") (param $p i32) (param $a f64) (result f64)
    (local $old f64)
    (f64.store (local.get $p)
      (f64.sub (local.tee $old (f64.load (local.get $p))) (local.get $a)))
    (local.get $old))

  ;; 7: a strided byte fill, a[j] = k; j += s while j < n.
  (func (export "fill8") (param $a i32) (param $j i32) (param $s i32) (param $n i32) (param $k i32)
    (loop $l
      (i32.store8 (i32.add (local.get $a) (local.get $j)) (local.get $k))
      (br_if $l (i32.lt_u (local.tee $j (i32.add (local.get $j) (local.get $s)))
                          (local.get $n)))))

  ;; 8: the same with i64 stores and a != test.
  (func (export "fill64") (param $a i32) (param $j i32) (param $s i32) (param $n i32) (param $k i64)
    (loop $l
      (i64.store (i32.add (local.get $a) (local.get $j)) (local.get $k))
      (br_if $l (i32.ne (local.tee $j (i32.add (local.get $j) (local.get $s)))
                        (local.get $n)))))

  ;; 9: a loop counting up to zero (ADD_BR_NZ), with two arguments copied
  ;; into a call (COPY2).
  (func $sub (param $x i32) (param $y i32) (result i32) (i32.sub (local.get $x) (local.get $y)))
  (func (export "count_up") (param $i i32) (param $a i32) (param $b i32) (result i32)
    (local $n i32)
    (loop $l
      (local.set $n (i32.add (local.get $n) (call $sub (local.get $b) (local.get $a))))
      (br_if $l (local.tee $i (i32.add (local.get $i) (i32.const 1)))))
    (local.get $n))
  ;; 11: `if` on a sum (ADD_BR_Z).
  (func (export "if_sum") (param $a i32) (param $b i32) (result i32)
    (if (result i32) (i32.add (local.get $a) (local.get $b))
      (then (i32.const 7)) (else (i32.const 9))))

;; 12: p[i] = q[0]: the address add moves into the store (I64_STORE_A).
  (func (export "copy_word") (param $p i32) (param $i i32) (param $q i32)
    (i64.store (i32.add (local.get $p) (local.get $i)) (i64.load (local.get $q))))
  ;; 13: the value's load writes the add's operand (a tee): no move.
  (func (export "store_tee") (param $p i32) (param $q i32) (result i32)
    (i32.store (i32.add (local.get $p) (i32.const 4)) (local.tee $p (i32.load (local.get $q))))
    (local.get $p))

  (func (export "load8") (param $p i32) (result i32) (i32.load8_u (local.get $p)))
  (func (export "load_f64") (param $p i32) (result f64) (f64.load (local.get $p)))
  (func (export "load_i64") (param $p i32) (result i64) (i64.load (local.get $p)))
  (func (export "store_f64") (param $p i32) (param $v f64) (f64.store (local.get $p) (local.get $v)))

  ;; The address add taken into the read-modify-write (_MST_A, _MM_MST_A):
  ;; q = p + k (i32, wrapping) into a local, which stays written: each
  ;; returns it.
  (func (export "f64_add_at") (param $p i32) (param $k i32) (param $v f64) (result i32)
    (local $q i32)
    (f64.store (local.tee $q (i32.add (local.get $p) (local.get $k)))
      (f64.add (local.get $v) (f64.load (local.get $q))))
    (local.get $q))
  (func (export "f64_sub_prod_at") (param $p i32) (param $a f64) (param $b f64) (result i32)
    (local $q i32)
    (f64.store offset=8 (local.tee $q (i32.add (local.get $p) (i32.const -16)))
      (f64.sub (f64.load offset=8 (local.get $q))
               (f64.mul (f64.mul (local.get $a) (local.get $b)) (local.get $a))))
    (local.get $q))
  ;; mem[q] += q: the op reads the address local the add just wrote.
  (func (export "i32_add_self_at") (param $p i32) (param $k i32) (result i32)
    (local $q i32)
    (i32.store (local.tee $q (i32.add (local.get $p) (local.get $k)))
      (i32.add (i32.load (local.get $q)) (local.get $q)))
    (local.get $q))
  (func (export "i64_add_at") (param $p i32) (param $k i32) (param $v i64) (result i32)
    (local $q i32)
    (i64.store offset=4 (local.tee $q (i32.add (local.get $p) (local.get $k)))
      (i64.add (i64.load offset=4 (local.get $q)) (local.get $v)))
    (local.get $q))

  ;; The same program run by a loop whose `next = pc + 1` comes right before
  ;; the dispatch load (ADD_BR_TABLE_L8) -- before the blocks' starts, which
  ;; bind no label; the cases move pc on.
  (func (export "interp_next") (param $start i32) (result i32)
    (local $pc i32) (local $next i32) (local $acc i32)
    (local.set $pc (local.get $start))
    (block $halt
      (loop $loop
        (local.set $next (i32.add (local.get $pc) (i32.const 1)))
        (block $c3 (block $c2 (block $c1 (block $c0
          (br_table $c0 $c1 $c2 $c3 (i32.load8_u (local.get $pc))))
          (local.set $acc (i32.add (local.get $acc) (i32.const 3)))
          (local.set $pc (local.get $next))
          (br $loop))
          (local.set $acc (i32.shl (local.get $acc) (i32.const 1)))
          (local.set $pc (local.get $next))
          (br $loop))
          (local.set $acc (i32.sub (local.get $acc) (i32.const 1)))
          (local.set $pc (local.get $next))
          (br $loop))
        (br $halt)))
    (i32.add (local.get $acc) (i32.mul (local.get $next) (i32.const 1000))))
  ;; The add writes the dispatch's own address local: pc = pc + 1, then the
  ;; byte at the new pc (a program read from its second byte on).
  (func (export "interp_pre") (param $start i32) (result i32)
    (local $pc i32) (local $acc i32)
    (local.set $pc (local.get $start))
    (block $halt
      (loop $loop
        (block $c3 (block $c2 (block $c1 (block $c0
          (br_table $c0 $c1 $c2 $c3
            (i32.load8_u offset=0 (local.tee $pc (i32.add (local.get $pc) (i32.const 1))))))
          (local.set $acc (i32.add (local.get $acc) (i32.const 3)))
          (br $loop))
          (local.set $acc (i32.shl (local.get $acc) (i32.const 1)))
          (br $loop))
          (local.set $acc (i32.sub (local.get $acc) (i32.const 1)))
          (br $loop))
        (br $halt)))
    (local.get $acc))
)

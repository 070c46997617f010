;; tests/engine/test_calls.c: the call path (CALL_LOCAL, frame entry and return).
(module
  ;; 7 declared locals and 5 distinct constants: a frame init longer than the
  ;; unconditional part (code.h, CMP_INIT_MIN).  Returns 2^(n+1) - 1 when every
  ;; local read zero on entry in every frame; a frame that saw a non-zero local
  ;; adds 1000000.  The two calls in a row reuse the same frame region, which
  ;; the first one left non-zero.
  (func $wide (export "wide") (param $n i32) (result i64)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64)
    (local $e i64) (local $f f64) (local $g i32)
    (local $bad i64)
    (if (i64.ne
          (i64.or (i64.or (i64.or (local.get $a) (local.get $b)) (i64.or (local.get $c) (local.get $d)))
                  (i64.or (i64.or (local.get $e) (i64.reinterpret_f64 (local.get $f)))
                          (i64.extend_i32_u (local.get $g))))
          (i64.const 0))
      (then (local.set $bad (i64.const 1000000))))
    (if (i32.eqz (local.get $n)) (then (return (i64.add (local.get $bad) (i64.const 1)))))
    (local.set $a (i64.const 11))
    (local.set $b (i64.const 13))
    (local.set $c (i64.const 17))
    (local.set $d (i64.const 19))
    (local.set $e (i64.const 23))
    (local.set $f (f64.const 1.5))
    (local.set $g (i32.const 29))
    (i64.add
      (i64.add (call $wide (i32.sub (local.get $n) (i32.const 1)))
               (call $wide (i32.sub (local.get $n) (i32.const 1))))
      (i64.add (local.get $bad)
               ;; the locals survive the calls: 11+13+17+19+23+1+29 = 113
               (i64.sub (i64.add (i64.add (i64.add (local.get $a) (local.get $b))
                                          (i64.add (local.get $c) (local.get $d)))
                                 (i64.add (i64.add (local.get $e)
                                                   (i64.trunc_f64_s (local.get $f)))
                                          (i64.extend_i32_u (local.get $g))))
                        (i64.const 112)))))

  ;; One local, one constant: the init fits the unconditional copy.
  (func $narrow (export "narrow") (param $n i32) (result i32)
    (local $x i32)
    (if (local.get $x) (then (return (i32.const 1000000))))
    (if (i32.eqz (local.get $n)) (then (return (i32.const 1))))
    (local.set $x (local.get $n))
    (i32.add (i32.add (call $narrow (i32.sub (local.get $n) (i32.const 1)))
                      (call $narrow (i32.sub (local.get $n) (i32.const 1))))
             (i32.sub (local.get $x) (i32.sub (local.get $n) (i32.const 1)))))

  ;; No locals, no constants: the whole init is padding, written into the
  ;; callee's temps; the caller's values below its arguments must survive.
  ;; `return a + b` (ADD_RETURN1), called by "keep" and by the host.
  (func $add (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "keep") (param $x i32) (result i32)
    (i32.add
      (i32.add (i32.mul (local.get $x) (i32.const 3))
               (call $add (local.get $x) (i32.const 1)))
      (i32.add (i32.mul (local.get $x) (i32.const 5))
               (call $add (call $add (local.get $x) (local.get $x)) (local.get $x)))))

  ;; Unbounded recursion: call stack exhausted.
  (func $down (export "down") (param $n i32) (result i32)
    (i32.add (call $down (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
)

;; tests/engine/test_calls.c: a single call result set into a local right after
;; the call goes straight there (code.h, Frames: the call's dst), through every
;; kind of call and return path; and where it must not.  Also the copies of
;; arguments into place: three in a row run as one COPY3, the last ones
;; inside the call.
(module
  (import "env" "host_sq" (func $host_sq (param i32) (result i32)))
  (import "env" "narrow" (func $narrow (param i32) (result i32))) ;; another instance's
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $sq $host_sq)
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))

  ;; One local.set after each kind of call: CALL_LOCAL, CALL of a host
  ;; function, CALL_INDIRECT of a wasm function, CALL into another instance,
  ;; CALL_INDIRECT of a host function into a parameter.
  ;; 3x^2 + 1000 (2^(x+1) - 1) + 1000000 x^2.
  (func (export "into_locals") (param $x i32) (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (local.set $a (call $sq (local.get $x)))
    (local.set $b (call $host_sq (local.get $x)))
    (local.set $c (call_indirect (type $t) (local.get $x) (i32.const 0)))
    (local.set $d (call $narrow (local.get $x)))
    (local.set $x (call_indirect (type $t) (local.get $x) (i32.const 1)))
    (i32.add (i32.add (i32.add (local.get $a) (local.get $b)) (local.get $c))
             (i32.add (i32.mul (local.get $d) (i32.const 1000))
                      (i32.mul (local.get $x) (i32.const 1000000)))))

  ;; The old value of $y is still on the stack when a call's result is set
  ;; into $y: it must be read before.  Then a local.tee.  7 - x^2 + 2 x^4.
  (func (export "tee_and_old") (param $x i32) (result i32)
    (local $y i32)
    i32.const 7
    local.set $y
    local.get $y
    local.get $x
    call $sq
    local.set $y
    local.get $y
    i32.sub
    local.get $y
    call $sq
    local.tee $y
    i32.add
    local.get $y
    i32.add)

  ;; A loop label between the call and the set: the back edge brings other
  ;; values, so the set stays where it is.  x^2 + 2.
  (func (export "after_label") (param $x i32) (result i32)
    (local $y i32) (local $n i32)
    (local.set $n (i32.const 3))
    (call $sq (local.get $x))
    (loop $l (param i32)
      (local.set $y)
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (i32.add (local.get $y) (i32.const 1)) (local.get $n))
      (drop))
    (local.get $y))

  ;; Four locals passed in another order: COPY3, then the fourth copy runs
  ;; inside the call (CALL_LOCAL_C1).  3142 for 1 2 3 4.
  (func $digits (param i32 i32 i32 i32) (result i32)
    (i32.add (i32.add (i32.mul (local.get 0) (i32.const 1000)) (i32.mul (local.get 1) (i32.const 100)))
             (i32.add (i32.mul (local.get 2) (i32.const 10)) (local.get 3))))
  (func (export "rotate") (param $a i32) (param $b i32) (param $c i32) (param $d i32) (result i32)
    (call $digits (local.get $c) (local.get $a) (local.get $d) (local.get $b)))
;; Three and two locals passed (CALL_LOCAL_C3, CALL_LOCAL_C2), the second
  ;; call above the first one's result.  21312 for 1 2 3.
  (func $mix3 (param i32 i32 i32) (result i32)
    (i32.add (i32.mul (local.get 0) (i32.const 100))
             (i32.add (i32.mul (local.get 1) (i32.const 10)) (local.get 2))))
  (func $mix2 (param i32 i32) (result i32)
    (i32.add (i32.mul (local.get 0) (i32.const 10)) (local.get 1)))
  (func (export "pass3") (param $a i32) (param $b i32) (param $c i32) (result i32)
    (i32.add (call $mix3 (local.get $c) (local.get $a) (local.get $b))
             (i32.mul (call $mix2 (local.get $b) (local.get $a)) (i32.const 1000))))
)

;; tests/jit/test_mixed_tiers.c: calls back and forth between functions the
;; test makes the compiler refuse (odd indices: interpreted) and compiled ones
;; (even), directly, through a table and through the host, with traps whose
;; backtraces cross both tiers.
(module
  (import "host" "twice" (func $twice (param i32) (result i32)))    ;; 0
  (table 4 funcref)
  (elem (i32.const 0) $down_even $down_odd)
  (type $ii (func (param i32) (result i32)))
  ;; 1 (odd): n == 0 -> 0; else 1 + down_even(n - 1)
  (func $down_odd (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $down_even (i32.sub (local.get 0) (i32.const 1)))))))
  ;; 2 (even): n == 0 -> 0; else 2 + the odd one through the table
  (func $down_even (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 2)
                     (call_indirect (type $ii) (i32.sub (local.get 0) (i32.const 1))
                                    (i32.const 1))))))
  ;; 3 (odd): through the host, which calls "even_entry" back
  (func $via_host (export "via_host") (param i32) (result i32)
    (i32.add (call $twice (local.get 0)) (i32.const 5)))
  ;; 4 (even)
  (func (export "even_entry") (param i32) (result i32)
    (call $down_odd (local.get 0)))
  ;; 5 (odd): traps three frames down: 5 -> 6 -> 7
  (func (export "trap_odd") (param i32) (result i32)
    (call $trap_even (local.get 0)))
  ;; 6 (even)
  (func $trap_even (param i32) (result i32)
    (i32.add (i32.const 1) (call $divide (local.get 0))))
  ;; 7 (odd)
  (func $divide (param i32) (result i32)
    (i32.div_s (i32.const 100) (local.get 0)))
)

;; cmpxchg_wrap.wat -- the narrow atomic compare-exchanges compare the
;; expected operand wrapped to their width (threads proposal Overview,
;; "Compare Exchange"; WebAssembly/threads issue #195), used by
;; tests/engine/test_regress.c.  Found by tests/diff/fuzz_diff.sh (seed 2040):
;; binaryen's fuzzer did i32.atomic.rmw8.cmpxchg_u with expected 0xF0000000
;; on a zero byte; V8 stored the replacement, weft did not.
;;
;; Each op twice: the address from a parameter, and a constant address (the
;; translator's _K form).  Every function returns what the op returned.
(module
  (memory 1 1 shared)

  (func (export "i32_8") (param $a i32) (param $e i32) (param $r i32) (result i64)
    (i64.extend_i32_u (i32.atomic.rmw8.cmpxchg_u (local.get $a) (local.get $e) (local.get $r))))
  (func (export "i32_16") (param $a i32) (param $e i32) (param $r i32) (result i64)
    (i64.extend_i32_u (i32.atomic.rmw16.cmpxchg_u (local.get $a) (local.get $e) (local.get $r))))
  (func (export "i64_8") (param $a i32) (param $e i64) (param $r i64) (result i64)
    (i64.atomic.rmw8.cmpxchg_u (local.get $a) (local.get $e) (local.get $r)))
  (func (export "i64_16") (param $a i32) (param $e i64) (param $r i64) (result i64)
    (i64.atomic.rmw16.cmpxchg_u (local.get $a) (local.get $e) (local.get $r)))
  (func (export "i64_32") (param $a i32) (param $e i64) (param $r i64) (result i64)
    (i64.atomic.rmw32.cmpxchg_u (local.get $a) (local.get $e) (local.get $r)))

  ;; The constant-address forms, at 64 (the parameter is ignored).
  (func (export "i32_8_k") (param i32) (param $e i32) (param $r i32) (result i64)
    (i64.extend_i32_u (i32.atomic.rmw8.cmpxchg_u (i32.const 64) (local.get $e) (local.get $r))))
  (func (export "i32_16_k") (param i32) (param $e i32) (param $r i32) (result i64)
    (i64.extend_i32_u (i32.atomic.rmw16.cmpxchg_u (i32.const 64) (local.get $e) (local.get $r))))
  (func (export "i64_8_k") (param i32) (param $e i64) (param $r i64) (result i64)
    (i64.atomic.rmw8.cmpxchg_u (i32.const 64) (local.get $e) (local.get $r)))
  (func (export "i64_16_k") (param i32) (param $e i64) (param $r i64) (result i64)
    (i64.atomic.rmw16.cmpxchg_u (i32.const 64) (local.get $e) (local.get $r)))
  (func (export "i64_32_k") (param i32) (param $e i64) (param $r i64) (result i64)
    (i64.atomic.rmw32.cmpxchg_u (i32.const 64) (local.get $e) (local.get $r)))

  (func (export "load") (param $a i32) (result i64) (i64.atomic.load (local.get $a)))
  (func (export "store") (param $a i32) (param $v i64) (i64.atomic.store (local.get $a) (local.get $v))))

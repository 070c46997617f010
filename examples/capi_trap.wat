;; The guest of examples/capi_trap.c: traps raised by wasm and by a host
;; function, under a few wasm frames.  Function indices: 0 the import,
;; 1 divide, 2 $crash, 3 crash, 4 call_host.
(module
  (import "host" "fail" (func $fail (param i32)))

  ;; Traps when b is 0: integer divide by zero.
  (func (export "divide") (param $a i32) (param $b i32) (result i32)
    (i32.div_s (local.get $a) (local.get $b)))

  ;; unreachable, one call down.
  (func $crash (unreachable))
  (func (export "crash") (call $crash))

  ;; Calls the host's `fail`, which returns a trap.
  (func (export "call_host") (param i32) (call $fail (local.get 0))))

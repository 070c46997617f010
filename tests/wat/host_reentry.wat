;; For tests/threads/test_signal_mask.c, test_native_stack.c and
;; test_embedder_handler.c: an out-of-bounds load, and a function that calls
;; the host, which may call back into it (host -> wasm -> host -> ...).
(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (memory (export "memory") 1)
  ;; out of bounds for addr > 65532
  (func (export "load") (param $addr i32) (result i32)
    (i32.load (local.get $addr)))
  ;; the host's answer for level n + 1
  (func (export "down") (param $n i32) (result i32)
    (call $host (i32.add (local.get $n) (i32.const 1)))))

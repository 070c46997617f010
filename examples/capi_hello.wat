;; The guest of examples/capi_hello.c: it calls the host back.
(module
  (import "host" "hello" (func $hello (param i32) (result i32)))

  ;; Calls the host's `hello` with n + 1 and returns what it answered, plus 1.
  (func (export "run") (param $n i32) (result i32)
    (i32.add
      (call $hello (i32.add (local.get $n) (i32.const 1)))
      (i32.const 1))))

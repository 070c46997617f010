;; The guest of examples/capi_callback.c: values of the four number types
;; through host calls both ways, several results at once.
(module
  (import "host" "mix"
    (func $mix (param i32 i64 f32 f64) (result f64 f32 i64 i32)))
  (import "host" "count" (func $count (result i32)))

  ;; Adds 1 to each argument, hands them to the host's `mix` and returns its
  ;; four results as they came.
  (func (export "roundtrip") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
    (call $mix
      (i32.add (local.get 0) (i32.const 1))
      (i64.add (local.get 1) (i64.const 1))
      (f32.add (local.get 2) (f32.const 1))
      (f64.add (local.get 3) (f64.const 1))))

  ;; Two results from wasm alone: the arguments swapped.
  (func (export "swap") (param i64 i32) (result i32 i64)
    (local.get 1) (local.get 0))

  ;; Calls the host's counter twice: the sum of what it returned.
  (func (export "count_twice") (result i32)
    (i32.add (call $count) (call $count))))

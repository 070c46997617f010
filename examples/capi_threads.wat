;; The guest of examples/capi_threads.c: instantiated in one store per host
;; thread, each instance with that thread's `add` and `id`.
(module
  (import "host" "add" (func $add (param i32) (result i32)))
  (import "host" "id" (global $id i32))
  (memory 1)

  ;; The sum of add(i) for i in [0, n), in i64; each partial sum also goes
  ;; to this instance's memory, and is read back, so that instances that
  ;; shared one memory would see each other's.
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $sum i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i64.store (i32.const 8)
          (i64.add (i64.load (i32.const 8))
                   (i64.extend_i32_s (call $add (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.set $sum (i64.load (i32.const 8)))
    (i64.store (i32.const 8) (i64.const 0))
    (local.get $sum))

  (func (export "id") (result i32) (global.get $id)))

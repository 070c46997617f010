;; For tests/threads/test_wasm_traps.c: a load that can go out of bounds, and
;; a loop that runs long enough to overlap many traps in another thread.
(module
  (memory 1)
  (func (export "load") (param $addr i32) (result i32)
    (i32.load (local.get $addr)))
  ;; sum of i * 3 + 1 for i in [0, n), wrapping at 2^64
  (func (export "spin") (param $n i64) (result i64)
    (local $i i64) (local $sum i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (local.set $sum
          (i64.add (local.get $sum)
                   (i64.add (i64.mul (local.get $i) (i64.const 3)) (i64.const 1))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $sum)))

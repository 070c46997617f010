;; For tests/jit/test_tier_memory.c: two functions that both tiers run (a loop,
;; a call, a store and a load) and a call to the host while wasm code is on
;; the stack, so the host can look at the process's mappings from inside.
(module
  (import "env" "probe" (func $probe (param i32) (result i32)))
  (memory (export "memory") 1)
  ;; 1 + 2 + ... + n
  (func $sum (param $n i32) (result i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $s))
  ;; probe(n) + sum(n), the sum passing through memory
  (func (export "run") (param $n i32) (result i32) (local $p i32) (local $s i32)
    (i32.store (i32.const 0) (call $sum (local.get $n)))
    (local.set $p (call $probe (local.get $n)))
    (local.set $s (i32.load (i32.const 0)))
    (i32.add (local.get $p) (local.get $s))))

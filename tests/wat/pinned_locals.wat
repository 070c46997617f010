;; Loops whose locals the compiler keeps in registers (jit/pin.c), each with
;; something that must see or change them through the frame: calls (direct,
;; indirect, imported, recursive) with a result set straight into a pinned
;; local, helpers (memory.grow, bulk memory), results returned in pinned
;; parameter slots, a trap inside the loop, br_table, select, globals, and
;; memory through fused address forms.  tests/jit/test_pinned_locals.c runs
;; every export in both tiers.
(module
  (import "host" "twice" (func $twice (param i32) (result i32)))
  (type $i2i (func (param i32) (result i32)))
  (memory 1 4)
  (global $g (mut i32) (i32.const 7))
  (table 2 funcref)
  (elem (i32.const 0) $sq $inc)

  (func $sq (param $x i32) (result i32) (i32.mul (local.get $x) (local.get $x)))
  (func $inc (param $x i32) (result i32) (i32.add (local.get $x) (i32.const 1)))

  ;; acc and i live across direct calls whose result goes into a local.
  (func (export "direct") (param $n i32) (result i32)
    (local $i i32) (local $acc i32) (local $t i32)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $t (call $sq (local.get $i)))
        (local.set $acc (i32.add (i32.xor (local.get $acc) (local.get $t))
                                 (i32.add (i32.shl (local.get $acc) (i32.const 1))
                                          (i32.mul (local.get $i) (local.get $i)))))
        (local.set $acc (i32.sub (local.get $acc) (i32.and (local.get $i) (local.get $acc))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc))

  ;; The same through the table (both entries) and the host.
  (func (export "indirect_host") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc
          (i32.add (local.get $acc)
            (i32.add (call_indirect (type $i2i) (local.get $i) (i32.and (local.get $i) (i32.const 1)))
                     (call $twice (i32.xor (local.get $acc) (local.get $i))))))
        (local.set $acc (i32.rotl (local.get $acc) (i32.and (local.get $i) (i32.const 7))))
        (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (local.get $acc))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc))

  ;; Recursion: every level's loop keeps its own locals in the same registers.
  (func $walk (export "walk") (param $d i32) (param $k i32) (result i32)
    (local $i i32) (local $acc i32)
    (local.set $acc (local.get $d))
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $k)))
        (if (i32.gt_s (local.get $d) (i32.const 0))
          (then (local.set $acc
                  (i32.add (local.get $acc)
                    (call $walk (i32.sub (local.get $d) (i32.const 1)) (local.get $k))))))
        (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (local.get $i)))
        (local.set $acc (i32.xor (local.get $acc) (i32.shr_u (local.get $acc) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc))

  ;; Helpers in the loop: memory.grow by 0 and 1, memory.size, memory.fill.
  (func (export "helpers") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (memory.grow (i32.and (local.get $i) (i32.const 1)))))
        (memory.fill (i32.const 16) (local.get $i) (i32.const 8))
        (local.set $acc (i32.add (local.get $acc) (i32.load8_u (i32.const 19))))
        (local.set $acc (i32.add (i32.mul (local.get $acc) (memory.size)) (local.get $i)))
        ;; enough work on acc and i to pay for the stores and loads at the calls
        (local.set $acc (i32.xor (local.get $acc) (i32.mul (local.get $i) (i32.add (local.get $acc) (local.get $i)))))
        (local.set $acc (i32.sub (local.get $acc) (i32.shr_u (local.get $acc) (i32.and (local.get $i) (i32.const 15)))))
        (local.set $acc (i32.add (local.get $acc) (i32.rotr (local.get $acc) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc))

  ;; The result goes back in the pinned parameter's slot.
  (func (export "count_down") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $top
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $n) (local.get $n))))
        (local.set $acc (i32.xor (local.get $acc) (i32.shl (local.get $n) (i32.const 3))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $top)))
    (local.get $acc))
  (func (export "spin_params") (param $a i32) (param $b i32) (result i32 i32)
    (local $t i32)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $a) (i32.const 1000)))
        (local.set $t (local.get $a))
        (local.set $a (i32.add (local.get $a) (local.get $b)))
        (local.set $b (i32.add (local.get $t) (i32.const 1)))
        (br $top)))
    (local.get $b) (local.get $a))

  ;; A trap in the middle of a loop, after n iterations.
  (func (export "trap_at") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $top
      (local.set $acc (i32.add (local.get $acc)
                        (i32.div_u (i32.const 1000) (i32.sub (local.get $n) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (i32.const 100))))
    (local.get $acc))

  ;; br_table, select, globals, i64 operations and a load/store walk.
  (func (export "mixed") (param $n i32) (result i64)
    (local $i i32) (local $x i64) (local $p i32)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (block $b2 (block $b1 (block $b0
          (br_table $b0 $b1 $b2 (i32.rem_u (local.get $i) (i32.const 3))))
          (local.set $x (i64.add (local.get $x) (i64.extend_i32_u (local.get $i))))
          (br $b2))
          (local.set $x (i64.rotl (local.get $x) (i64.const 13))))
        (local.set $x (select (i64.xor (local.get $x) (i64.const 0x5555))
                              (i64.add (local.get $x) (i64.popcnt (local.get $x)))
                              (i32.and (local.get $i) (i32.const 2))))
        (global.set $g (i32.add (global.get $g) (i32.wrap_i64 (local.get $x))))
        (local.set $p (i32.and (i32.mul (local.get $i) (i32.const 4)) (i32.const 1023)))
        (i32.store offset=64 (local.get $p) (i32.add (i32.load offset=64 (local.get $p)) (local.get $i)))
        (local.set $x (i64.add (local.get $x)
                        (i64.extend_i32_s (i32.load offset=64 (local.get $p)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (i64.add (local.get $x) (i64.extend_i32_u (global.get $g))))
;; Adjacent locals moved together (a = b; b = t: one 16-byte COPY2) and a
  ;; v128 local whose halves scalar templates also write.
  (func (export "fib") (param $n i32) (result i64)
    (local $a i64) (local $b i64) (local $t i64)
    (local.set $b (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $t (i64.add (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $a))
  (func (export "lanes") (param $n i32) (result i32)
    (local $i i32) (local $v v128) (local $acc i32)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (i64x2.splat (i64.extend_i32_u (local.get $i))))
        (local.set $v (i32x4.replace_lane 1 (local.get $v) (local.get $acc)))
        (local.set $acc (i32.add (i32.add (local.get $acc) (local.get $i))
                                 (i32.add (i32x4.extract_lane 1 (local.get $v))
                                          (i32x4.extract_lane 2 (local.get $v)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc))
)

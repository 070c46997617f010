;; For tests/threads/test_atomic_stress.c: every thread runs each function with
;; its own index $t (0..7) and the same $n, all on one imported shared memory.
;; Each counter has an 8-byte slot; the bytes past its width are sentinels the
;; host checks.  Functions that can see a lost update return how many they saw.
(module
  (import "env" "mem" (memory 1 1 shared))

  ;; add: final values are exact multiples of the thread count and $n.
  (func (export "add") (param $t i32) (param $n i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (drop (i64.atomic.rmw.add (i32.const 0) (i64.const 1)))
        (drop (i32.atomic.rmw.add (i32.const 8) (i32.add (local.get $t) (i32.const 1))))
        (drop (i32.atomic.rmw8.add_u (i32.const 16) (i32.const 1)))
        (drop (i64.atomic.rmw16.add_u (i32.const 24) (i64.const 1)))
        (drop (i64.atomic.rmw32.add_u (i32.const 32) (i64.const 3)))
        (drop (i32.atomic.rmw16.add_u (i32.const 248) (i32.const 1)))
        (drop (i64.atomic.rmw8.add_u (i32.const 256) (i64.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  (func (export "sub") (param $t i32) (param $n i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (drop (i32.atomic.rmw.sub (i32.const 40) (i32.const 1)))
        (drop (i64.atomic.rmw.sub (i32.const 48) (i64.extend_i32_u (i32.add (local.get $t) (i32.const 1)))))
        (drop (i64.atomic.rmw8.sub_u (i32.const 56) (i64.const 1)))
        (drop (i32.atomic.rmw16.sub_u (i32.const 64) (i32.const 1)))
        (drop (i32.atomic.rmw8.sub_u (i32.const 264) (i32.const 1)))
        (drop (i64.atomic.rmw16.sub_u (i32.const 272) (i64.const 1)))
        (drop (i64.atomic.rmw32.sub_u (i32.const 280) (i64.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; or sets a bit only this thread uses, and clears it again: the old value
  ;; must show the bit clear before the or and set before the and.
  (func (export "andor") (param $t i32) (param $n i32) (result i32)
    (local $i i32) (local $bad i32) (local $b32 i32) (local $b64 i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        ;; i32 word at 72: bit t*4 + i%4
        (local.set $b32 (i32.shl (i32.const 1)
          (i32.add (i32.mul (local.get $t) (i32.const 4)) (i32.and (local.get $i) (i32.const 3)))))
        (local.set $bad (i32.add (local.get $bad) (i32.ne (i32.const 0)
          (i32.and (i32.atomic.rmw.or (i32.const 72) (local.get $b32)) (local.get $b32)))))
        (local.set $bad (i32.add (local.get $bad) (i32.eqz
          (i32.and (i32.atomic.rmw.and (i32.const 72) (i32.xor (local.get $b32) (i32.const -1))) (local.get $b32)))))
        ;; i64 word at 80: bit t*8 + i%8
        (local.set $b64 (i64.shl (i64.const 1) (i64.extend_i32_u
          (i32.add (i32.mul (local.get $t) (i32.const 8)) (i32.and (local.get $i) (i32.const 7))))))
        (local.set $bad (i32.add (local.get $bad) (i64.ne (i64.const 0)
          (i64.and (i64.atomic.rmw.or (i32.const 80) (local.get $b64)) (local.get $b64)))))
        (local.set $bad (i32.add (local.get $bad) (i64.eqz
          (i64.and (i64.atomic.rmw.and (i32.const 80) (i64.xor (local.get $b64) (i64.const -1))) (local.get $b64)))))
        ;; byte at 88: bit t
        (local.set $b32 (i32.shl (i32.const 1) (local.get $t)))
        (local.set $bad (i32.add (local.get $bad) (i32.ne (i32.const 0)
          (i32.and (i32.atomic.rmw8.or_u (i32.const 88) (local.get $b32)) (local.get $b32)))))
        (local.set $bad (i32.add (local.get $bad) (i32.eqz
          (i32.and (i32.atomic.rmw8.and_u (i32.const 88) (i32.xor (local.get $b32) (i32.const -1))) (local.get $b32)))))
        ;; 16 bits at 96: bit t*2 + i%2
        (local.set $b64 (i64.shl (i64.const 1) (i64.extend_i32_u
          (i32.add (i32.mul (local.get $t) (i32.const 2)) (i32.and (local.get $i) (i32.const 1))))))
        (local.set $bad (i32.add (local.get $bad) (i64.ne (i64.const 0)
          (i64.and (i64.atomic.rmw16.or_u (i32.const 96) (local.get $b64)) (local.get $b64)))))
        (local.set $bad (i32.add (local.get $bad) (i64.eqz
          (i64.and (i64.atomic.rmw16.and_u (i32.const 96) (i64.xor (local.get $b64) (i64.const -1))) (local.get $b64)))))
        ;; 32 bits at 104: bit t*4 + (i+1)%4
        (local.set $b64 (i64.shl (i64.const 1) (i64.extend_i32_u
          (i32.add (i32.mul (local.get $t) (i32.const 4))
                   (i32.and (i32.add (local.get $i) (i32.const 1)) (i32.const 3))))))
        (local.set $bad (i32.add (local.get $bad) (i64.ne (i64.const 0)
          (i64.and (i64.atomic.rmw32.or_u (i32.const 104) (local.get $b64)) (local.get $b64)))))
        (local.set $bad (i32.add (local.get $bad) (i64.eqz
          (i64.and (i64.atomic.rmw32.and_u (i32.const 104) (i64.xor (local.get $b64) (i64.const -1))) (local.get $b64)))))
        ;; 16 bits at 288 through the i32 form, and 8 bits at 296 through the i64 form: bit t (and t+8)
        (local.set $b32 (i32.shl (i32.const 1) (i32.add (local.get $t) (i32.and (local.get $i) (i32.const 8)))))
        (local.set $bad (i32.add (local.get $bad) (i32.ne (i32.const 0)
          (i32.and (i32.atomic.rmw16.or_u (i32.const 288) (local.get $b32)) (local.get $b32)))))
        (local.set $bad (i32.add (local.get $bad) (i32.eqz
          (i32.and (i32.atomic.rmw16.and_u (i32.const 288) (i32.xor (local.get $b32) (i32.const -1))) (local.get $b32)))))
        (local.set $b64 (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $t))))
        (local.set $bad (i32.add (local.get $bad) (i64.ne (i64.const 0)
          (i64.and (i64.atomic.rmw8.or_u (i32.const 296) (local.get $b64)) (local.get $b64)))))
        (local.set $bad (i32.add (local.get $bad) (i64.eqz
          (i64.and (i64.atomic.rmw8.and_u (i32.const 296) (i64.xor (local.get $b64) (i64.const -1))) (local.get $b64)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $bad))

  ;; xor toggles a bit only this thread uses: before toggle i it is i%2.
  (func (export "xor") (param $t i32) (param $n i32) (result i32)
    (local $i i32) (local $bad i32) (local $par i32) (local $b32 i32) (local $b64 i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $par (i32.and (local.get $i) (i32.const 1)))
        (local.set $b32 (i32.shl (i32.const 1) (i32.mul (local.get $t) (i32.const 4))))
        (local.set $bad (i32.add (local.get $bad) (i32.ne (local.get $par)
          (i32.ne (i32.const 0) (i32.and (i32.atomic.rmw.xor (i32.const 112) (local.get $b32)) (local.get $b32))))))
        (local.set $b64 (i64.shl (i64.const 1) (i64.extend_i32_u (i32.add (i32.mul (local.get $t) (i32.const 8)) (i32.const 7)))))
        (local.set $bad (i32.add (local.get $bad) (i32.ne (local.get $par)
          (i64.ne (i64.const 0) (i64.and (i64.atomic.rmw.xor (i32.const 120) (local.get $b64)) (local.get $b64))))))
        (local.set $b32 (i32.shl (i32.const 1) (local.get $t)))
        (local.set $bad (i32.add (local.get $bad) (i32.ne (local.get $par)
          (i32.ne (i32.const 0) (i32.and (i32.atomic.rmw8.xor_u (i32.const 128) (local.get $b32)) (local.get $b32))))))
        (local.set $b64 (i64.shl (i64.const 1) (i64.extend_i32_u (i32.mul (local.get $t) (i32.const 2)))))
        (local.set $bad (i32.add (local.get $bad) (i32.ne (local.get $par)
          (i64.ne (i64.const 0) (i64.and (i64.atomic.rmw16.xor_u (i32.const 136) (local.get $b64)) (local.get $b64))))))
        (local.set $b64 (i64.shl (i64.const 1) (i64.extend_i32_u (i32.add (i32.mul (local.get $t) (i32.const 4)) (i32.const 1)))))
        (local.set $bad (i32.add (local.get $bad) (i32.ne (local.get $par)
          (i64.ne (i64.const 0) (i64.and (i64.atomic.rmw32.xor_u (i32.const 144) (local.get $b64)) (local.get $b64))))))
        (local.set $b32 (i32.shl (i32.const 1) (i32.add (local.get $t) (i32.const 8))))
        (local.set $bad (i32.add (local.get $bad) (i32.ne (local.get $par)
          (i32.ne (i32.const 0) (i32.and (i32.atomic.rmw16.xor_u (i32.const 304) (local.get $b32)) (local.get $b32))))))
        (local.set $b64 (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $t))))
        (local.set $bad (i32.add (local.get $bad) (i32.ne (local.get $par)
          (i64.ne (i64.const 0) (i64.and (i64.atomic.rmw8.xor_u (i32.const 312) (local.get $b64)) (local.get $b64))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $bad))

  ;; xchg: every value put in comes out exactly once, by a later xchg or as the
  ;; final value.  The sums of what this thread got go to 1024 + t*64 (plain
  ;; stores: that area is the thread's own).
  (func (export "xchg") (param $t i32) (param $n i32)
    (local $i i32) (local $s0 i64) (local $s1 i64) (local $s2 i64) (local $s3 i64)
    (local $s4 i64) (local $s5 i64) (local $s6 i64) (local $v i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (i64.add (i64.mul (i64.extend_i32_u (local.get $t)) (i64.const 0x100000007))
                               (i64.extend_i32_u (local.get $i))))
        (local.set $s0 (i64.add (local.get $s0) (i64.atomic.rmw.xchg (i32.const 152) (local.get $v))))
        (local.set $s1 (i64.add (local.get $s1) (i64.extend_i32_u
          (i32.atomic.rmw.xchg (i32.const 160) (i32.wrap_i64 (local.get $v))))))
        (local.set $s2 (i64.add (local.get $s2) (i64.extend_i32_u
          (i32.atomic.rmw8.xchg_u (i32.const 168) (i32.wrap_i64 (local.get $v))))))
        (local.set $s3 (i64.add (local.get $s3) (i64.atomic.rmw16.xchg_u (i32.const 176) (local.get $v))))
        (local.set $s4 (i64.add (local.get $s4) (i64.atomic.rmw32.xchg_u (i32.const 184) (local.get $v))))
        (local.set $s5 (i64.add (local.get $s5) (i64.extend_i32_u
          (i32.atomic.rmw16.xchg_u (i32.const 320) (i32.wrap_i64 (local.get $v))))))
        (local.set $s6 (i64.add (local.get $s6) (i64.atomic.rmw8.xchg_u (i32.const 328) (local.get $v))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.store offset=1024 (i32.mul (local.get $t) (i32.const 64)) (local.get $s0))
    (i64.store offset=1032 (i32.mul (local.get $t) (i32.const 64)) (local.get $s1))
    (i64.store offset=1040 (i32.mul (local.get $t) (i32.const 64)) (local.get $s2))
    (i64.store offset=1048 (i32.mul (local.get $t) (i32.const 64)) (local.get $s3))
    (i64.store offset=1056 (i32.mul (local.get $t) (i32.const 64)) (local.get $s4))
    (i64.store offset=1064 (i32.mul (local.get $t) (i32.const 64)) (local.get $s5))
    (i64.store offset=1072 (i32.mul (local.get $t) (i32.const 64)) (local.get $s6)))

  ;; cmpxchg: increments by compare-exchange loops (atomic load, then retry
  ;; until the exchange saw what the load did); narrow counters wrap.
  (func $inc32 (param $a i32)
    (local $old i32)
    (loop $retry
      (local.set $old (i32.atomic.load (local.get $a)))
      (br_if $retry (i32.ne (local.get $old)
        (i32.atomic.rmw.cmpxchg (local.get $a) (local.get $old) (i32.add (local.get $old) (i32.const 1)))))))
  (func $inc64 (param $a i32)
    (local $old i64)
    (loop $retry
      (local.set $old (i64.atomic.load (local.get $a)))
      (br_if $retry (i64.ne (local.get $old)
        (i64.atomic.rmw.cmpxchg (local.get $a) (local.get $old) (i64.add (local.get $old) (i64.const 1)))))))
  (func $inc32_8 (param $a i32)
    (local $old i32)
    (loop $retry
      (local.set $old (i32.atomic.load8_u (local.get $a)))
      (br_if $retry (i32.ne (local.get $old)
        (i32.atomic.rmw8.cmpxchg_u (local.get $a) (local.get $old) (i32.add (local.get $old) (i32.const 1)))))))
  (func $inc32_16 (param $a i32)
    (local $old i32)
    (loop $retry
      (local.set $old (i32.atomic.load16_u (local.get $a)))
      (br_if $retry (i32.ne (local.get $old)
        (i32.atomic.rmw16.cmpxchg_u (local.get $a) (local.get $old) (i32.add (local.get $old) (i32.const 1)))))))
  (func $inc64_8 (param $a i32)
    (local $old i64)
    (loop $retry
      (local.set $old (i64.atomic.load8_u (local.get $a)))
      (br_if $retry (i64.ne (local.get $old)
        (i64.atomic.rmw8.cmpxchg_u (local.get $a) (local.get $old) (i64.add (local.get $old) (i64.const 1)))))))
  (func $inc64_16 (param $a i32)
    (local $old i64)
    (loop $retry
      (local.set $old (i64.atomic.load16_u (local.get $a)))
      (br_if $retry (i64.ne (local.get $old)
        (i64.atomic.rmw16.cmpxchg_u (local.get $a) (local.get $old) (i64.add (local.get $old) (i64.const 1)))))))
  (func $inc64_32 (param $a i32)
    (local $old i64)
    (loop $retry
      (local.set $old (i64.atomic.load32_u (local.get $a)))
      (br_if $retry (i64.ne (local.get $old)
        (i64.atomic.rmw32.cmpxchg_u (local.get $a) (local.get $old) (i64.add (local.get $old) (i64.const 1)))))))
  (func (export "cmpxchg") (param $t i32) (param $n i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $inc32 (i32.const 192))
        (call $inc64 (i32.const 200))
        (call $inc32_8 (i32.const 208))
        (call $inc32_16 (i32.const 216))
        (call $inc64_8 (i32.const 224))
        (call $inc64_16 (i32.const 232))
        (call $inc64_32 (i32.const 240))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; atomic stores and loads: each thread stores its own pattern at every width
  ;; into its own slots (1600 + t*16) and reads it back.
  (func (export "loadstore") (param $t i32) (param $n i32) (result i32)
    (local $i i32) (local $bad i32) (local $a i32) (local $v i64)
    (local.set $a (i32.add (i32.const 1600) (i32.mul (local.get $t) (i32.const 16))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (i64.mul (i64.extend_i32_u (i32.add (local.get $i) (local.get $t)))
                               (i64.const 0x9E3779B97F4A7C15)))
        (i64.atomic.store (local.get $a) (local.get $v))
        (local.set $bad (i32.add (local.get $bad) (i64.ne (local.get $v) (i64.atomic.load (local.get $a)))))
        (i32.atomic.store offset=8 (local.get $a) (i32.wrap_i64 (local.get $v)))
        (local.set $bad (i32.add (local.get $bad) (i32.ne (i32.wrap_i64 (local.get $v))
          (i32.atomic.load offset=8 (local.get $a)))))
        (i64.atomic.store32 offset=12 (local.get $a) (local.get $v))
        (local.set $bad (i32.add (local.get $bad) (i64.ne (i64.and (local.get $v) (i64.const 0xffffffff))
          (i64.atomic.load32_u offset=12 (local.get $a)))))
        (i32.atomic.store16 offset=8 (local.get $a) (i32.const 0xbeef))
        (i64.atomic.store16 offset=10 (local.get $a) (i64.const 0xcafe))
        (i32.atomic.store8 offset=12 (local.get $a) (i32.const 0x5a))
        (i64.atomic.store8 offset=13 (local.get $a) (i64.const 0xa5))
        (local.set $bad (i32.add (local.get $bad) (i32.ne (i32.const 0xcafebeef)
          (i32.atomic.load offset=8 (local.get $a)))))
        (local.set $bad (i32.add (local.get $bad) (i64.ne (i64.const 0xcafe)
          (i64.atomic.load16_u offset=10 (local.get $a)))))
        (local.set $bad (i32.add (local.get $bad) (i32.ne (i32.const 0xbeef)
          (i32.atomic.load16_u offset=8 (local.get $a)))))
        (local.set $bad (i32.add (local.get $bad) (i32.ne (i32.const 0xa55a)
          (i32.add (i32.atomic.load8_u offset=12 (local.get $a))
                   (i32.shl (i32.wrap_i64 (i64.atomic.load8_u offset=13 (local.get $a))) (i32.const 8))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $bad))

  ;; Plain accesses racing on purpose, as guest programs may: every thread
  ;; stores (t+1) * 0x01010101 to one word and reads it back (an aligned word
  ;; is written whole, so what it reads is some thread's pattern), and fills
  ;; and copies one shared range.  A TSan build must not report these.
  (func (export "racy") (param $t i32) (param $n i32) (result i32)
    (local $i i32) (local $bad i32) (local $v i32) (local $b i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.const 2048) (i32.mul (i32.add (local.get $t) (i32.const 1)) (i32.const 0x01010101)))
        (i64.store (i32.const 2056) (i64.extend_i32_u (local.get $i)))
        (local.set $v (i32.load (i32.const 2048)))
        (local.set $b (i32.and (local.get $v) (i32.const 0xff)))
        (local.set $bad (i32.add (local.get $bad)
          (i32.or (i32.or (i32.eqz (local.get $b)) (i32.gt_u (local.get $b) (i32.const 8)))
                  (i32.ne (local.get $v) (i32.mul (local.get $b) (i32.const 0x01010101))))))
        (drop (i64.load (i32.const 2056)))
        (if (i32.eqz (i32.and (local.get $i) (i32.const 63)))
          (then
            (memory.fill (i32.const 2304) (local.get $t) (i32.const 64))
            (memory.copy (i32.const 2400) (i32.const 2304) (i32.const 64))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $bad))

  ;; For the wait/notify test: the instructions as they are.
  (func (export "wait32") (param $a i32) (param $v i32) (param $ns i64) (result i32)
    (memory.atomic.wait32 (local.get $a) (local.get $v) (local.get $ns)))
  (func (export "wait64") (param $a i32) (param $v i64) (param $ns i64) (result i32)
    (memory.atomic.wait64 offset=8 (local.get $a) (local.get $v) (local.get $ns)))
  (func (export "notify") (param $a i32) (param $n i32) (result i32)
    (memory.atomic.notify (local.get $a) (local.get $n)))
)

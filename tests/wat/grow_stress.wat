;; For tests/threads/test_grow_stress.c: growers call "grow1" until the memory
;; is at its maximum while writers fill and check pages w, w+4, w+8, ... as
;; soon as each exists.  Plain (non-atomic) accesses: each page has one writer.
(module
  (import "env" "mem" (memory 1 1024 shared))

  ;; One memory.grow by a page: its old size, -1 at the maximum, or -2 if the
  ;; sizes seen around it were not monotonic.
  (func (export "grow1") (result i32)
    (local $before i32) (local $r i32)
    (local.set $before (memory.size))
    (local.set $r (memory.grow (i32.const 1)))
    (if (i32.eq (local.get $r) (i32.const -1))
      (then (return (i32.const -1))))
    (if (i32.or (i32.lt_u (local.get $r) (local.get $before))
                (i32.le_u (memory.size) (local.get $r)))
      (then (return (i32.const -2))))
    (local.get $r))

  ;; The word writer $w puts at byte $a of its page $p.
  (func $pattern (param $w i32) (param $p i32) (param $a i32) (result i32)
    (i32.xor (i32.mul (i32.add (local.get $a) (i32.const 1)) (i32.const 0x9E3779B1))
             (i32.add (i32.shl (local.get $p) (i32.const 8)) (local.get $w))))

  ;; Writes one word every 64 bytes of page $p, then reads them back: the
  ;; number of words that did not read back.
  (func $fill (param $w i32) (param $p i32) (result i32)
    (local $a i32) (local $end i32) (local $bad i32)
    (local.set $a (i32.shl (local.get $p) (i32.const 16)))
    (local.set $end (i32.add (local.get $a) (i32.const 65536)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (i32.store (local.get $a) (call $pattern (local.get $w) (local.get $p) (local.get $a)))
      (local.set $a (i32.add (local.get $a) (i32.const 64)))
      (br $next)))
    (call $check (local.get $w) (local.get $p)))

  (func $check (param $w i32) (param $p i32) (result i32)
    (local $a i32) (local $end i32) (local $bad i32)
    (local.set $a (i32.shl (local.get $p) (i32.const 16)))
    (local.set $end (i32.add (local.get $a) (i32.const 65536)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $bad (i32.add (local.get $bad)
        (i32.ne (i32.load (local.get $a)) (call $pattern (local.get $w) (local.get $p) (local.get $a)))))
      (local.set $a (i32.add (local.get $a) (i32.const 64)))
      (br $next)))
    (local.get $bad))

  ;; Writer $w of $nw: fills its pages as they appear until $max pages exist,
  ;; then checks them all again.  Returns lost words plus sizes seen shrinking
  ;; (each counted once).
  (func (export "writer") (param $w i32) (param $nw i32) (param $max i32) (result i32)
    (local $p i32) (local $size i32) (local $last i32) (local $bad i32)
    (local.set $p (local.get $w))
    (block $done (loop $next
      (local.set $size (memory.size))
      (local.set $bad (i32.add (local.get $bad) (i32.lt_u (local.get $size) (local.get $last))))
      (local.set $last (local.get $size))
      (block $caught_up (loop $fill
        (br_if $caught_up (i32.ge_u (local.get $p) (local.get $size)))
        (local.set $bad (i32.add (local.get $bad) (call $fill (local.get $w) (local.get $p))))
        (local.set $p (i32.add (local.get $p) (local.get $nw)))
        (br $fill)))
      (br_if $done (i32.ge_u (local.get $p) (local.get $max)))
      (br $next)))
    (local.set $p (local.get $w))
    (block $checked (loop $again
      (br_if $checked (i32.ge_u (local.get $p) (local.get $max)))
      (local.set $bad (i32.add (local.get $bad) (call $check (local.get $w) (local.get $p))))
      (local.set $p (i32.add (local.get $p) (local.get $nw)))
      (br $again)))
    (local.get $bad))
)

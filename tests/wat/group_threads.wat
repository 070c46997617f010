;; Thread-group tests (tests/threads/test_group*.c): entries that spawn
;; threads in a given mode and then busy-loop, wait or return.
;;
;; wasi_thread_start modes (the spawn argument):
;;   0 busy-loop forever          1 wait forever on address 4
;;   2 return at once             3 trap (unreachable)
;;   4 proc_exit(7)               5 wait until address 8 is not 0, then return
;; memory: 0 threads started (atomic counter), 4 never notified,
;;   8 release flag, 200 last spawn result, 256.. tids by spawn order
(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  (func $busy (loop $l (br $l)))
  (func $wait_forever
    (drop (memory.atomic.wait32 (i32.const 4) (i32.const 0) (i64.const -1))))
  (func $trap_here unreachable)

  (func (export "wasi_thread_start") (param $tid i32) (param $mode i32)
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (if (i32.eq (local.get $mode) (i32.const 0)) (then (call $busy)))
    (if (i32.eq (local.get $mode) (i32.const 1)) (then (call $wait_forever)))
    (if (i32.eq (local.get $mode) (i32.const 3)) (then (call $trap_here)))
    (if (i32.eq (local.get $mode) (i32.const 4)) (then (call $proc_exit (i32.const 7))))
    (if (i32.eq (local.get $mode) (i32.const 5))
      (then
        (loop $l
          (if (i32.eqz (i32.atomic.load (i32.const 8)))
            (then
              (drop (memory.atomic.wait32 (i32.const 8) (i32.const 0) (i64.const -1)))
              (br $l)))))))

  ;; Spawns n threads of `mode`, recording each result at 256 + 4 * i and the
  ;; last one at 200; stops at the first failure.  Returns how many started.
  (func $spawn_n (export "spawn_n") (param $n i32) (param $mode i32) (result i32)
    (local $i i32) (local $r i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $r (call $spawn (local.get $mode)))
        (i32.atomic.store (i32.const 200) (local.get $r))
        (br_if $done (i32.lt_s (local.get $r) (i32.const 0)))
        (i32.atomic.store (i32.add (i32.const 256) (i32.shl (local.get $i) (i32.const 2)))
                          (local.get $r))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $i))

  ;; Waits (spinning) until n threads have started.
  (func $await (param $n i32)
    (loop $l (br_if $l (i32.lt_u (i32.atomic.load (i32.const 0)) (local.get $n)))))

  (func (export "run_busy") (param $n i32)
    (drop (call $spawn_n (local.get $n) (i32.const 0)))
    (call $busy))
  (func (export "run_wait") (param $n i32)
    (drop (call $spawn_n (local.get $n) (i32.const 1)))
    (call $await (local.get $n))
    (call $wait_forever))
  ;; n - 1 busy threads, then one that traps; the entry busy-loops.
  (func (export "run_trap") (param $n i32)
    (drop (call $spawn_n (i32.sub (local.get $n) (i32.const 1)) (i32.const 0)))
    (call $await (i32.sub (local.get $n) (i32.const 1)))
    (drop (call $spawn (i32.const 3)))
    (call $busy))
  (func (export "run_exit") (param $n i32)
    (drop (call $spawn_n (local.get $n) (i32.const 1)))
    (call $await (local.get $n))
    (drop (call $spawn (i32.const 4)))
    (call $wait_forever))
  ;; Spawns n waiting threads and returns how many started (the group ends).
  (func (export "run_return") (param $n i32) (result i32)
    (local $k i32)
    (local.set $k (call $spawn_n (local.get $n) (i32.const 1)))
    (call $await (local.get $k))
    (local.get $k))
  (func (export "entry_trap") (call $trap_here))
  (func (export "release")
    (i32.atomic.store (i32.const 8) (i32.const 1))
    (drop (memory.atomic.notify (i32.const 8) (i32.const -1))))
)

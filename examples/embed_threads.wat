;; The guest of examples/embed_threads.c: a wasi-threads module that imports
;; its shared memory and `thread-spawn`.
;;
;; memory: 0 workers done, 4 never notified, 16 the shared counter
(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))

  ;; A worker: with arg n >= 0 it adds 1 to the counter n times, then says it
  ;; is done; with arg -1 it spins forever (until the host ends the group).
  (func (export "wasi_thread_start") (param $tid i32) (param $n i32)
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then (loop $spin (br $spin))))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (drop (i32.atomic.rmw.add (i32.const 16) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))

  ;; Spawns `workers` threads adding `each` and returns the counter once all
  ;; are done (or -1 if a spawn failed).
  (func (export "count") (param $workers i32) (param $each i32) (result i32)
    (local $i i32) (local $done i32)
    (block $spawned
      (loop $l
        (br_if $spawned (i32.ge_u (local.get $i) (local.get $workers)))
        (if (i32.lt_s (call $spawn (local.get $each)) (i32.const 0))
          (then (return (i32.const -1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (loop $wait
      (local.set $done (i32.atomic.load (i32.const 0)))
      (if (i32.lt_u (local.get $done) (local.get $workers))
        (then
          (drop (memory.atomic.wait32 (i32.const 0) (local.get $done) (i64.const -1)))
          (br $wait))))
    (i32.atomic.load (i32.const 16)))

  ;; Spawns `workers` spinning threads and waits forever.
  (func (export "spin") (param $workers i32)
    (local $i i32)
    (block $spawned
      (loop $l
        (br_if $spawned (i32.ge_u (local.get $i) (local.get $workers)))
        (drop (call $spawn (i32.const -1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (drop (memory.atomic.wait32 (i32.const 4) (i32.const 0) (i64.const -1))))
)

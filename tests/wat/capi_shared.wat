;; A module importing a shared memory (tests/capi): an atomic add on it.
(module
  (import "env" "mem" (memory 1 2 shared))
  (func (export "add") (param i32 i32) (result i32)
    (i32.atomic.rmw.add (local.get 0) (local.get 1)))
)

;; A module defining and exporting a shared memory (tests/capi).
(module
  (memory (export "mem") 1 2 shared)
  (func (export "get") (param i32) (result i32) (i32.atomic.load (local.get 0)))
)

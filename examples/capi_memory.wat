;; The guest of examples/capi_memory.c: an exported memory of 2 pages, at
;; most 3, with a data segment, and functions that use it.
(module
  (memory (export "memory") 2 3)
  (data (i32.const 0x1000) "\01\02\03\04")

  (func (export "size") (result i32) (memory.size))
  (func (export "load") (param i32) (result i32) (i32.load8_s (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))

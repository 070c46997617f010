;; weft_program_new must refuse an import that is neither WASI, wasi-threads
;; nor a memory, naming it.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (import "env" "host_thing" (func (param i32)))
  (func (export "_start")))

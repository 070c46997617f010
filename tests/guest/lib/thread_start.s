# thread_start.s -- wasi_thread_start, the entry point of every thread that
# `wasi` `thread-spawn` starts: the engine calls it on a fresh instance whose
# __stack_pointer still holds the main thread's initial value and whose
# __tls_base is unset.  Written in assembly because no C may run before both
# are fixed: compiled C would push its frame onto the main thread's stack.
#
# start_arg points at a struct wg_thread (thread.c), whose first fields are
#   +0 stack_top   initial __stack_pointer (16-byte aligned top of the stack)
#   +4 tls_block   the thread's TLS block (__tls_size bytes, __tls_align'd)
#   +8 done        set to 1, then notified, once the thread function returned
# thread.c asserts these offsets.
#
# The done flag is stored here, after wg__thread_main has returned, so that
# once a joiner sees it no code of this thread touches the stack or the
# struct again: the joiner may free both at once.

	.globaltype __stack_pointer, i32
	.functype __wasm_init_tls (i32) -> ()
	.functype wg__thread_main (i32, i32) -> ()

	.text
	.export_name wasi_thread_start, wasi_thread_start
	.globl wasi_thread_start
	.type wasi_thread_start,@function
wasi_thread_start:
	.functype wasi_thread_start (i32, i32) -> ()
	# __stack_pointer = start_arg->stack_top
	local.get 1
	i32.load 0
	global.set __stack_pointer
	# __wasm_init_tls(start_arg->tls_block): sets __tls_base, copies .tdata
	local.get 1
	i32.load 4
	call __wasm_init_tls
	# wg__thread_main(tid, start_arg)
	local.get 0
	local.get 1
	call wg__thread_main
	# start_arg->done = 1 (seq-cst), then wake every joiner
	local.get 1
	i32.const 1
	i32.atomic.store 8
	local.get 1
	i32.const -1
	memory.atomic.notify 8
	drop
	end_function

/*
 * proc.c -- proc_exit, proc_raise and sched_yield.
 */
#include "wasi/fd_table.h"

#include <sched.h>

wasi_errno wasi_proc_exit(wasi_call *c)
{
    int32_t code = c->args[0].of.i32;
    c->status = err_set(c->err, WEFT_E_EXITED, WEFT_NO_OFFSET, "with status %d", (int)code);
    c->err->exit_code = code;
    return WASI_ESUCCESS;
}

/* There are no signals in the guest: like wasmtime, raising one traps. */
wasi_errno wasi_proc_raise(wasi_call *c)
{
    c->status = err_set(c->err, WEFT_E_HOST_TRAP, WEFT_NO_OFFSET, "proc_raise(%d) unsupported",
                        (int)c->args[0].of.i32);
    return WASI_ENOSYS;
}

wasi_errno wasi_sched_yield(wasi_call *c)
{
    (void)c;
    sched_yield();
    return WASI_ESUCCESS;
}

/*
 * args.c -- args_get, args_sizes_get, environ_get, environ_sizes_get: the
 * program's arguments and environment, fixed when the context was made.
 */
#include "wasi/fd_table.h"

/* Writes `n` strings into the guest: pointers at `ptrs`, bytes at `buf`. */
static wasi_errno args_put(wasi_call *c, char *const *v, size_t n, size_t bytes)
{
    uint32_t ptrs = (uint32_t)c->args[0].of.i32, buf = (uint32_t)c->args[1].of.i32;
    uint8_t *p = wasi_mem_array(c, ptrs, n, 4);
    uint8_t *b = wasi_mem(c, buf, bytes);
    if (!p || !b)
        return WASI_EFAULT;
    uint32_t at = buf;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(v[i]) + 1;
        wasi_st32(p + 4 * i, at);
        memcpy(b + (at - buf), v[i], len);
        at += (uint32_t)len;
    }
    return WASI_ESUCCESS;
}

static wasi_errno args_sizes(wasi_call *c, size_t n, size_t bytes)
{
    uint8_t *count = wasi_mem(c, (uint32_t)c->args[0].of.i32, 4);
    uint8_t *size = wasi_mem(c, (uint32_t)c->args[1].of.i32, 4);
    if (!count || !size)
        return WASI_EFAULT;
    wasi_st32(count, (uint32_t)n);
    wasi_st32(size, (uint32_t)bytes);
    return WASI_ESUCCESS;
}

wasi_errno wasi_args_get(wasi_call *c)
{
    return args_put(c, c->w->argv, c->w->argc, c->w->argv_bytes);
}

wasi_errno wasi_args_sizes_get(wasi_call *c)
{
    return args_sizes(c, c->w->argc, c->w->argv_bytes);
}

wasi_errno wasi_environ_get(wasi_call *c)
{
    return args_put(c, c->w->envp, c->w->envc, c->w->envp_bytes);
}

wasi_errno wasi_environ_sizes_get(wasi_call *c)
{
    return args_sizes(c, c->w->envc, c->w->envp_bytes);
}

/*
 * wasi_impl.h -- what the files of wasi/ share: the context, the call
 * convention, errno values and guest-memory access.  Not used outside wasi/.
 *
 * Call convention: each function of calls.def is
 *     wasi_errno wasi_<name>(wasi_call *c);
 * reading its arguments from c->args (c->args[i].of.i32 / .i64, in the order of
 * the WASI signature) and returning the errno that becomes its i32 result.
 * A call that must end the thread instead (proc_exit, termination) fills
 * c->err (weft_error_set) and sets c->status to that class; the returned
 * errno is then ignored.
 *
 * Guest memory: every pointer and length from the guest is checked with
 * wasi_mem()/wasi_mem_array() against the memory's *current* size before use
 * (it can only grow, so a checked range stays valid) and a bad one gives
 * WASI_EFAULT.  The memory may be shared and written by other threads while a
 * call runs: read each guest field once (copy it in, then validate the copy).
 */
#ifndef WEFT_WASI_IMPL_H
#define WEFT_WASI_IMPL_H

#include "engine/memory.h"
#include "wasi/wasi.h"

typedef uint16_t wasi_errno;

typedef struct wasi_call {
    wasi_ctx *w;
    weft_memory *mem;       /* memory 0 of the calling instance, or NULL   */
    const weft_val *args;
    weft_status status;     /* WEFT_OK unless the call ends the thread      */
    weft_error *err;
} wasi_call;

/* Host address of guest range [ptr, ptr + len), or NULL when it does not lie
 * inside the memory (or there is no memory). */
static inline uint8_t *wasi_mem(const wasi_call *c, uint64_t ptr, uint64_t len)
{
    if (!c->mem || !mem_in_bounds(c->mem, ptr, len))
        return NULL;
    return c->mem->base + ptr;
}

/* Same for `n` elements of `size` bytes (overflow-safe). */
static inline uint8_t *wasi_mem_array(const wasi_call *c, uint64_t ptr, uint64_t n, uint64_t size)
{
    if (size && n > UINT32_MAX / size + 1)
        return NULL;
    return wasi_mem(c, ptr, n * size);
}

#define WASI_CALL(name, params, results) WEFT_INTERNAL wasi_errno wasi_##name(wasi_call *c);
#include "wasi/calls.def"
#undef WASI_CALL

#endif /* WEFT_WASI_IMPL_H */

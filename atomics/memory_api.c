/*
 * memory_api.c -- the public wait/notify API of weft.h (weft_memory_wait32/64,
 * weft_memory_notify, weft_memory_wake_all): thin wrappers over the parking
 * lot, so that an embedder's host threads wait and notify exactly as guest
 * code does.  A host thread belongs to no thread group, so its waits have no
 * terminate flag; weft_memory_wake_all is what ends them.
 */
#include "atomics/parking_lot.h"

static weft_status check_args(const weft_memory *memory, const void *out, weft_error *err)
{
    if (!memory || !out)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "needs a memory and an output");
    return WEFT_OK;
}

/* wait32 and wait64 (`width` 4 or 8): no terminate flag, see above. */
static weft_status host_wait(weft_memory *memory, uint64_t addr, uint64_t expected, unsigned width,
                             int64_t timeout_ns, uint32_t *result, weft_error *err)
{
    weft_status st = WEFT_OK;
    TRY(check_args(memory, result, err));
    return atom_wait(memory, addr, expected, width, timeout_ns, NULL, result, err);
fail:
    return st;
}

WEFT_API weft_status weft_memory_wait32(weft_memory *memory, uint64_t addr, uint32_t expected,
                                        int64_t timeout_ns, uint32_t *result, weft_error *err)
{
    return host_wait(memory, addr, expected, 4, timeout_ns, result, err);
}

WEFT_API weft_status weft_memory_wait64(weft_memory *memory, uint64_t addr, uint64_t expected,
                                        int64_t timeout_ns, uint32_t *result, weft_error *err)
{
    return host_wait(memory, addr, expected, 8, timeout_ns, result, err);
}

WEFT_API weft_status weft_memory_notify(weft_memory *memory, uint64_t addr, uint32_t count,
                                        uint32_t *woken, weft_error *err)
{
    weft_status st = WEFT_OK;
    TRY(check_args(memory, woken, err));
    return atom_notify(memory, addr, count, woken, err);
fail:
    return st;
}

WEFT_API uint32_t weft_memory_wake_all(weft_memory *memory)
{
    return memory ? atom_wake_all(memory) : 0;
}

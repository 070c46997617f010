/*
 * clock.c -- clock_res_get and clock_time_get over the host's POSIX clocks,
 * and the clock id mapping poll_oneoff shares.
 */
#include "wasi/clock.h"

#include <time.h>

bool wasi_clock_host(uint32_t id, clockid_t *out)
{
    switch (id) {
    case WASI_CLOCK_REALTIME: *out = CLOCK_REALTIME; return true;
    case WASI_CLOCK_MONOTONIC: *out = CLOCK_MONOTONIC; return true;
    case WASI_CLOCK_PROCESS_CPUTIME_ID: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case WASI_CLOCK_THREAD_CPUTIME_ID: *out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
    }
}

uint64_t wasi_clock_now(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

wasi_errno wasi_clock_res_get(wasi_call *c)
{
    clockid_t id;
    if (!wasi_clock_host((uint32_t)c->args[0].of.i32, &id))
        return WASI_EINVAL;
    uint8_t *out = wasi_mem(c, (uint32_t)c->args[1].of.i32, 8);
    if (!out)
        return WASI_EFAULT;
    struct timespec ts;
    if (clock_getres(id, &ts) != 0)
        return WASI_EINVAL;
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    wasi_st64(out, ns ? ns : 1);
    return WASI_ESUCCESS;
}

wasi_errno wasi_clock_time_get(wasi_call *c)
{
    clockid_t id;
    if (!wasi_clock_host((uint32_t)c->args[0].of.i32, &id))
        return WASI_EINVAL;
    /* args[1] is the precision the guest would accept: the host clocks are
     * as precise as they get, so it is ignored. */
    uint8_t *out = wasi_mem(c, (uint32_t)c->args[2].of.i32, 8);
    if (!out)
        return WASI_EFAULT;
    wasi_st64(out, wasi_clock_now(id));
    return WASI_ESUCCESS;
}

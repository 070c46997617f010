/*
 * kernels.c -- the threaded benchmark kernels (bench/threaded/README.md).
 *
 * One freestanding source, built twice: to wasm32 with -matomics (a module
 * that imports one shared memory; every host thread instantiates it and calls
 * these exports on its own instance) and natively (linked with native.c,
 * whose pthreads call the same functions).  Shared state is in .bss, so in the
 * wasm build it lives in the shared linear memory.  The functions use no
 * stack memory (only locals), so the instances' __stack_pointer globals,
 * which all start at the same address, are never used.
 *
 * Atomics are C11/__atomic builtins (seq_cst): i32.atomic.* in wasm, lock-
 * prefixed instructions natively.  Waiting is memory.atomic.wait32/notify in
 * wasm and the futex system call natively, with the same protocol.
 */
#include <stdint.h>

#if defined(__wasm__)
#define EXPORT(name) __attribute__((export_name(#name)))

static inline void wait32(uint32_t *p, uint32_t expected)
{
    __builtin_wasm_memory_atomic_wait32((int *)p, (int)expected, -1);
}

static inline void notify_one(uint32_t *p)
{
    __builtin_wasm_memory_atomic_notify((int *)p, 1);
}
#else
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT(name)

static inline void wait32(uint32_t *p, uint32_t expected)
{
    syscall(SYS_futex, p, FUTEX_WAIT_PRIVATE, expected, (void *)0, (void *)0, 0);
}

static inline void notify_one(uint32_t *p)
{
    syscall(SYS_futex, p, FUTEX_WAKE_PRIVATE, 1, (void *)0, (void *)0, 0);
}
#endif

#include "kernels.h"

/* ---- (1) contended read-modify-write -------------------------------------- */

/* Alone on its cache line(s), so only the adds contend. */
static uint32_t counter[32] __attribute__((aligned(64)));

EXPORT(contend_reset) void contend_reset(void)
{
    __atomic_store_n(&counter[0], 0, __ATOMIC_SEQ_CST);
}

/* i32.atomic.rmw.add of 1 on one word, `iters` times, and nothing else: the
 * RMW's throughput.  The harness checks the final total (a lost update would
 * show there). */
EXPORT(contend) uint32_t contend(uint32_t iters)
{
    for (uint32_t i = 0; i < iters; i++)
        __atomic_fetch_add(&counter[0], 1, __ATOMIC_SEQ_CST);
    return 0;
}

/* The same adds, each followed by a plain add of the old value it returned to
 * a sum: returns that sum (mod 2^32).  When the adds are atomic, the two
 * threads together get each of 0 .. 2*iters-1 exactly once, so the harness
 * checks the sum of both results as well as the final total.  The extra add
 * is real work between the RMWs: the engine's cost for it shows here, on top
 * of the RMW's. */
EXPORT(contend_sum) uint32_t contend_sum(uint32_t iters)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < iters; i++)
        sum += __atomic_fetch_add(&counter[0], 1, __ATOMIC_SEQ_CST);
    return sum;
}

EXPORT(contend_total) uint32_t contend_total(void)
{
    return __atomic_load_n(&counter[0], __ATOMIC_SEQ_CST);
}

/* ---- (2) wait/notify ping-pong --------------------------------------------- */

static uint32_t turn[16] __attribute__((aligned(64)));

EXPORT(pingpong_reset) void pingpong_reset(void)
{
    __atomic_store_n(&turn[0], 0, __ATOMIC_SEQ_CST);
}

/* Player `me` (0 or 1) moves when the turn counter is even (0) or odd (1):
 * it bumps the counter and notifies the other, then waits for its next turn.
 * One round trip = one move of each player.  Returns the sum of the turn
 * numbers it played (a fixed number for given rounds). */
EXPORT(pingpong) uint32_t pingpong(uint32_t me, uint32_t rounds)
{
    uint32_t sum = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        uint32_t mine = 2 * r + me;
        uint32_t t;
        while ((t = __atomic_load_n(&turn[0], __ATOMIC_SEQ_CST)) != mine)
            wait32(&turn[0], t);
        sum += mine;
        __atomic_store_n(&turn[0], mine + 1, __ATOMIC_SEQ_CST);
        notify_one(&turn[0]);
    }
    return sum;
}

/* ---- (3) parallel prime count ---------------------------------------------- */

static uint32_t is_prime(uint32_t n)
{
    if (n < 2)
        return 0;
    if (n % 2 == 0)
        return n == 2;
    for (uint32_t d = 3; d * d <= n; d += 2)
        if (n % d == 0)
            return 0;
    return 1;
}

/* Counts the primes below `limit` in part `part` of `nparts`: blocks of
 * PRIMES_BLOCK numbers dealt round-robin, so that every part gets a similar
 * mix of small (cheap) and large (costly) numbers. */
EXPORT(primes) uint32_t primes(uint32_t part, uint32_t nparts, uint32_t limit)
{
    uint32_t count = 0;
    for (uint32_t lo = part * PRIMES_BLOCK; lo < limit; lo += nparts * PRIMES_BLOCK) {
        uint32_t hi = lo + PRIMES_BLOCK < limit ? lo + PRIMES_BLOCK : limit;
        for (uint32_t n = lo; n < hi; n++)
            count += is_prime(n);
    }
    return count;
}

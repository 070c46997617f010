/*
 * kernel.h -- what every benchmark kernel shares.
 *
 * A kernel is one freestanding C file that defines `uint64_t run(void)`: a fixed
 * amount of work that returns a checksum.  It imports nothing, so the same source
 * builds natively (linked with bench/native_main.c) and to wasm32 with -nostdlib.
 * Memory comes from static arrays, never malloc.  run() must reset every piece of
 * state it uses, because the runners call it several times in one process and
 * every call must return the same checksum.
 */
#ifndef BENCH_KERNEL_H
#define BENCH_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/* The entry point every runner calls; exported by name in the wasm build. */
#if defined(__wasm__)
#define KERNEL_RUN __attribute__((export_name("run"))) uint64_t run(void)
#else
#define KERNEL_RUN uint64_t run(void)
#endif

/*
 * A seed the compiler cannot see through.  Without it clang could fold parts of
 * a kernel (all its inputs are constants) differently for the two targets, and
 * the comparison would no longer be one of the same work.
 */
static volatile uint32_t kernel_seed = 0x9e3779b9u;

static inline uint64_t kernel_get_seed(void)
{
    return kernel_seed;
}

/* xorshift64*: fast, deterministic, and the same on every engine. */
typedef struct {
    uint64_t s;
} prng;

static inline void prng_init(prng *p, uint64_t seed)
{
    p->s = seed ? seed : 0x2545f4914f6cdd1dull;
}

static inline uint64_t prng_next(prng *p)
{
    uint64_t x = p->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    p->s = x;
    return x * 0x2545f4914f6cdd1dull;
}

static inline uint32_t prng_u32(prng *p)
{
    return (uint32_t)(prng_next(p) >> 32);
}

/* Mixes v into a running checksum (order-sensitive). */
static inline uint64_t mix64(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

#endif /* BENCH_KERNEL_H */

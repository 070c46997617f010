/*
 * memcopy.c -- memory-copy heavy work in a 4 MiB arena: block copies of many
 * sizes with memcpy, overlapping shifts with memmove, fills with memset, and a
 * hand-written word loop that copies while it checksums.  In the wasm build
 * (-mbulk-memory) memcpy/memmove/memset become memory.copy/memory.fill
 * instructions, so this kernel measures the engine's bulk-memory operations as
 * well as its plain loads and stores; natively they are the C library's.
 */
#include "kernel.h"

#define ARENA (4u << 20)
#define ROUNDS 1100

static uint8_t arena[ARENA];

/* Copies n bytes (n a multiple of 8, no overlap) word by word, returning a
 * checksum of what it moved: the sum keeps the compiler from turning the loop
 * into a memcpy call, so it stays the engine's own load/store loop. */
static uint64_t copy_sum(uint8_t *dst, const uint8_t *src, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, src + i, 8);
        sum += w ^ (sum >> 7);
        __builtin_memcpy(dst + i, &w, 8);
    }
    return sum;
}

KERNEL_RUN
{
    prng p;
    prng_init(&p, kernel_get_seed());
    for (size_t i = 0; i < ARENA; i += 8) {
        uint64_t v = prng_next(&p);
        __builtin_memcpy(arena + i, &v, 8);
    }
    uint64_t h = 0;
    for (int r = 0; r < ROUNDS; r++) {
        /* Large block copies between the two halves. */
        size_t half = ARENA / 2;
        __builtin_memcpy(arena + half, arena, half);
        /* Many small and medium copies of pseudo-random sizes and offsets. */
        for (int k = 0; k < 2000; k++) {
            uint32_t x = prng_u32(&p);
            size_t len = (size_t)1 << (x % 12); /* 1 B .. 2 KiB */
            len += (x >> 4) & 7;
            size_t from = (x >> 8) % (ARENA - 4096);
            size_t to = (prng_u32(&p)) % (ARENA - 4096);
            __builtin_memmove(arena + to, arena + from, len);
        }
        /* Overlapping shifts by a few bytes, both directions. */
        size_t shift = 1 + (size_t)(r % 13);
        __builtin_memmove(arena + shift, arena, ARENA / 4);
        __builtin_memmove(arena, arena + shift, ARENA / 4);
        /* A fill, then the hand-written loop copies a quarter back over it. */
        __builtin_memset(arena + 3 * (ARENA / 4), (int)(r & 0xff), ARENA / 8);
        h = mix64(h, copy_sum(arena + 3 * (ARENA / 4), arena + ARENA / 4, ARENA / 4));
        /* Sample the arena so every operation above affects the checksum. */
        uint64_t s = 0;
        for (size_t i = (size_t)r * 64; i < ARENA; i += 4093)
            s = s * 31 + arena[i];
        h = mix64(h, s);
    }
    return h;
}

/*
 * sieve.c -- the sieve of Eratosthenes over the odd numbers below 2^23, run
 * several times, counting primes and summing a sample of them.  Byte stores
 * with large strides: a test of tight loops and memory writes.
 */
#include "kernel.h"

#define LIMIT (1u << 23)   /* sieve [0, LIMIT) */
#define HALF (LIMIT / 2)   /* flags[i] stands for 2*i+1 */
#define ROUNDS 40

static uint8_t flags[HALF];

KERNEL_RUN
{
    uint64_t h = kernel_get_seed();
    for (int r = 0; r < ROUNDS; r++) {
        for (uint32_t i = 0; i < HALF; i++)
            flags[i] = 1;
        flags[0] = 0; /* 1 is not prime */
        for (uint32_t i = 1; (2 * i + 1) * (2 * i + 1) < LIMIT; i++) {
            if (!flags[i])
                continue;
            uint32_t p = 2 * i + 1;
            for (uint32_t j = (p * p) / 2; j < HALF; j += p)
                flags[j] = 0;
        }
        uint64_t count = 1, sample = 0; /* count 2 */
        for (uint32_t i = 1; i < HALF; i++) {
            count += flags[i];
            if (flags[i] && (i & 1023) == (uint32_t)r)
                sample += 2 * i + 1;
        }
        h = mix64(h, count); /* 564163 primes below 2^23 */
        h = mix64(h, sample);
    }
    return h;
}

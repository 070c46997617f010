/*
 * kernels.h -- the exports of kernels.c, shared by its native build and the
 * two drivers (native.c, weft_threaded.c), and the work sizes.
 */
#ifndef BENCH_THREADED_KERNELS_H
#define BENCH_THREADED_KERNELS_H

#include <stdint.h>

#define PRIMES_BLOCK 1024u

void contend_reset(void);
uint32_t contend(uint32_t iters);
uint32_t contend_sum(uint32_t iters);
uint32_t contend_total(void);
void pingpong_reset(void);
uint32_t pingpong(uint32_t me, uint32_t rounds);
uint32_t primes(uint32_t part, uint32_t nparts, uint32_t limit);

#endif /* BENCH_THREADED_KERNELS_H */

/*
 * primes_threads.c -- `make run`'s program: counts the primes below N with a
 * segmented sieve of Eratosthenes, first on one thread, then on THREADS
 * threads (wasi-threads, through tests/guest/lib), and prints both times.
 *
 *   weft run build/examples/primes_threads.wasm [N [THREADS]]
 *
 * N defaults to 5,000,000 and THREADS to 4.  Threads take 128 Ki-number
 * segments from a shared atomic counter, so uneven progress balances out.
 * Exits 1 if the two counts differ.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft_guest.h"

#define SEGMENT (1u << 17) /* numbers per segment (odd ones are sieved) */
#define MAX_THREADS 64

static uint32_t limit;       /* count primes p < limit                     */
static uint32_t *base;       /* odd primes up to sqrt(limit)               */
static uint32_t nbase;
static uint32_t next_segment; /* atomic work counter                        */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Counts the odd primes in [lo, hi), lo odd, using `flags` (SEGMENT/2 bytes). */
static uint32_t sieve_segment(uint32_t lo, uint32_t hi, uint8_t *flags)
{
    uint32_t n = (hi - lo + 1) / 2; /* odd numbers lo, lo+2, ... < hi */
    memset(flags, 1, n);
    for (uint32_t i = 0; i < nbase; i++) {
        uint32_t p = base[i];
        uint64_t start = (uint64_t)p * p;
        if (start >= hi)
            break;
        if (start < lo) {
            start = ((uint64_t)lo + p - 1) / p * p;
            if (start % 2 == 0)
                start += p;
        }
        for (uint64_t m = start; m < hi; m += 2 * (uint64_t)p)
            flags[(m - lo) / 2] = 0;
    }
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; i++)
        count += flags[i];
    if (lo == 1)
        count--; /* 1 is not prime */
    return count;
}

static void *worker(void *arg)
{
    uint8_t *flags = malloc(SEGMENT / 2);
    uint32_t count = 0;
    if (!flags)
        return NULL;
    for (;;) {
        uint32_t s = __atomic_fetch_add(&next_segment, 1, __ATOMIC_RELAXED);
        uint64_t lo = (uint64_t)s * SEGMENT + 1;
        if (lo >= limit)
            break;
        uint64_t hi = lo + SEGMENT > limit ? limit : lo + SEGMENT;
        count += sieve_segment((uint32_t)lo, (uint32_t)hi, flags);
    }
    free(flags);
    *(uint32_t *)arg = count;
    return arg;
}

/* The odd primes up to sqrt(limit), by a plain sieve. */
static int make_base(void)
{
    uint32_t r = 1;
    while ((uint64_t)(r + 1) * (r + 1) < limit)
        r++;
    uint8_t *composite = calloc(r + 1, 1);
    base = malloc((r / 2 + 1) * sizeof *base);
    if (!composite || !base)
        return -1;
    for (uint32_t i = 3; i <= r; i += 2) {
        if (composite[i])
            continue;
        base[nbase++] = i;
        for (uint64_t m = (uint64_t)i * i; m <= r; m += 2 * i)
            composite[m] = 1;
    }
    free(composite);
    return 0;
}

/* Counts with `threads` threads (1: the main thread alone). */
static long count_primes(int threads)
{
    __atomic_store_n(&next_segment, 0, __ATOMIC_SEQ_CST);
    wg_thread *t[MAX_THREADS];
    uint32_t counts[MAX_THREADS] = {0};
    for (int i = 1; i < threads; i++) {
        int r = wg_thread_create(&t[i], 0, worker, &counts[i]);
        if (r) {
            fprintf(stderr, "primes_threads: thread-spawn failed (%d)\n", r);
            return -1;
        }
    }
    bool ok = worker(&counts[0]) != NULL;
    for (int i = 1; i < threads; i++)
        ok &= wg_thread_join(t[i]) != NULL;
    if (!ok)
        return -1;
    long total = limit > 2 ? 1 : 0; /* 2, the even prime */
    for (int i = 0; i < threads; i++)
        total += counts[i];
    return total;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 5000000;
    int threads = argc > 2 ? atoi(argv[2]) : 4;
    if (n < 2 || n > 2000000000L || threads < 1 || threads > MAX_THREADS) {
        fprintf(stderr, "usage: primes_threads [N (2..2e9) [THREADS (1..%d)]]\n", MAX_THREADS);
        return 2;
    }
    limit = (uint32_t)n;
    if (make_base()) {
        fprintf(stderr, "primes_threads: out of memory\n");
        return 1;
    }
    double t0 = now();
    long one = count_primes(1);
    double t1 = now();
    long many = count_primes(threads);
    double t2 = now();
    if (one < 0 || many < 0)
        return 1;
    printf("primes below %ld: %ld\n", n, many);
    printf("1 thread:  %.3f s\n", t1 - t0);
    printf("%d threads: %.3f s (speed-up %.2fx)\n", threads, t2 - t1,
           (t2 - t1) > 0 ? (t1 - t0) / (t2 - t1) : 0.0);
    if (one != many) {
        printf("MISMATCH: 1 thread counted %ld\n", one);
        return 1;
    }
    return 0;
}

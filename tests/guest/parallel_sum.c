/*
 * parallel_sum.c -- `parallel_sum [THREADS]`: sums a 4 Mi-element array in
 * THREADS slices (default 4), one per thread, and compares with the sum the
 * main thread computes alone.  Checks thread-spawn with arguments and
 * results, and that threads see the main thread's writes to shared memory.
 */
#include <stdio.h>
#include <stdlib.h>

#include "weft_guest.h"

#define N (4u << 20)
#define MAX_THREADS 64

static uint32_t data[N];

struct slice {
    uint32_t begin, end;
    uint64_t sum;
};

static void *sum_slice(void *arg)
{
    struct slice *s = arg;
    uint64_t sum = 0;
    for (uint32_t i = s->begin; i < s->end; i++)
        sum += data[i];
    s->sum = sum;
    return s;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    if (threads < 1 || threads > MAX_THREADS)
        threads = 4;
    uint64_t expected = 0;
    for (uint32_t i = 0; i < N; i++) {
        data[i] = (i * 2654435761u) >> 7;
        expected += data[i];
    }
    struct slice slices[MAX_THREADS];
    wg_thread *t[MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        slices[i].begin = (uint32_t)((uint64_t)N * i / threads);
        slices[i].end = (uint32_t)((uint64_t)N * (i + 1) / threads);
        if (wg_thread_create(&t[i], 0, sum_slice, &slices[i])) {
            printf("spawn failed\n");
            return 1;
        }
    }
    uint64_t total = 0;
    for (int i = 0; i < threads; i++) {
        struct slice *s = wg_thread_join(t[i]);
        if (s != &slices[i]) {
            printf("thread %d returned a wrong result pointer\n", i);
            return 1;
        }
        total += s->sum;
    }
    printf("sum of %u elements over %d threads: %s\n", N, threads,
           total == expected ? "ok" : "WRONG");
    if (total != expected)
        printf("got %llu, expected %llu\n", (unsigned long long)total,
               (unsigned long long)expected);
    return total == expected ? 0 : 1;
}

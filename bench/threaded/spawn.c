/*
 * spawn.c -- the spawn-and-join benchmark (bench/threaded/README.md): a whole
 * program that starts and joins SPAWN_TOTAL threads, SPAWN_BATCH at a time
 * (start a batch, then join it), each thread adding its argument into one
 * atomic sum.  Built twice from this one source by build.sh:
 *   spawn.wasm      for wasm32-wasi against the guest support library
 *                   (tests/guest/lib: threads over `wasi` `thread-spawn`),
 *                   run by `weft run` -- the real wasi-threads path: every
 *                   thread is a new instance of the module on a new host
 *                   thread of the program's group;
 *   spawn_native    the same C with pthread_create/pthread_join.
 *
 * Output, one line per repetition, in driver.c's format (threaded.py reads
 * both):  spawn 1 checksum <sum> ops <threads> ms <wall> cpu <cpu ms>
 * The checksum is the sum of 1..SPAWN_TOTAL when every thread ran exactly
 * once and its add was atomic, else something else.
 *
 * usage: spawn_native [repeat]     weft run spawn.wasm [repeat]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SPAWN_TOTAL 2000u
#define SPAWN_BATCH 8u

static uint64_t sum;

static void *thread_fn(void *arg)
{
    __atomic_fetch_add(&sum, (uint64_t)(uintptr_t)arg, __ATOMIC_SEQ_CST);
    return arg;
}

#if defined(__wasm__)
#include "weft_guest.h"

typedef wg_thread *thread_t;

static int thread_start(thread_t *t, void *arg)
{
    /* A 16 KiB shadow stack: thread_fn needs none, and a smaller block keeps
     * the guest's malloc out of the measurement as much as pthread's cached
     * stacks keep mmap out of the native one. */
    return wg_thread_create(t, 16u * 1024u, thread_fn, arg);
}

static void *thread_join(thread_t t)
{
    return wg_thread_join(t);
}
#else
#include <pthread.h>

typedef pthread_t thread_t;

static int thread_start(thread_t *t, void *arg)
{
    return pthread_create(t, NULL, thread_fn, arg);
}

static void *thread_join(thread_t t)
{
    void *r = NULL;
    pthread_join(t, &r);
    return r;
}
#endif

static double clock_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Spawns and joins SPAWN_TOTAL threads; returns 0, or 1 after printing why. */
static int spawn_all(void)
{
    thread_t t[SPAWN_BATCH];
    for (uint32_t base = 0; base < SPAWN_TOTAL; base += SPAWN_BATCH) {
        for (uint32_t i = 0; i < SPAWN_BATCH; i++) {
            int r = thread_start(&t[i], (void *)(uintptr_t)(base + i + 1));
            if (r != 0) {
                fprintf(stderr, "spawn: thread %u could not start: %d\n", base + i + 1, r);
                return 1;
            }
        }
        for (uint32_t i = 0; i < SPAWN_BATCH; i++) {
            if (thread_join(t[i]) != (void *)(uintptr_t)(base + i + 1)) {
                fprintf(stderr, "spawn: thread %u returned something else\n", base + i + 1);
                return 1;
            }
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int repeat = argc > 1 ? atoi(argv[1]) : 3;
    if (repeat < 1) {
        fprintf(stderr, "spawn: repeat must be positive\n");
        return 2;
    }
    _Static_assert(SPAWN_TOTAL % SPAWN_BATCH == 0, "whole batches");
    for (int i = 0; i < repeat; i++) {
        __atomic_store_n(&sum, 0, __ATOMIC_SEQ_CST);
        double c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID), t0 = clock_ms(CLOCK_MONOTONIC);
        if (spawn_all())
            return 1;
        double t1 = clock_ms(CLOCK_MONOTONIC), c1 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
        printf("spawn 1 checksum %llu ops %u ms %.3f cpu %.3f\n",
               (unsigned long long)__atomic_load_n(&sum, __ATOMIC_SEQ_CST), SPAWN_TOTAL,
               t1 - t0, c1 - c0);
        fflush(stdout);
    }
    return 0;
}

/*
 * mutex_counter.c -- THREADS threads each add 1 to a plain (non-atomic)
 * counter ITERS times under a wg_mutex; the total must be exact.  Lost updates
 * mean the mutex (or the engine's atomics/wait/notify) is broken.
 */
#include <stdio.h>
#include <stdlib.h>

#include "weft_guest.h"

#define THREADS 4
#define ITERS 20000

static wg_mutex lock = WG_MUTEX_INIT;
static unsigned long counter;
static unsigned long per_thread[THREADS + 1];

static void *work(void *arg)
{
    unsigned idx = (unsigned)(uintptr_t)arg;
    for (int i = 0; i < ITERS; i++) {
        wg_mutex_lock(&lock);
        /* A read-modify-write split by a volatile access widens the race
         * window if the lock did not exclude. */
        unsigned long c = counter;
        *(volatile unsigned long *)&per_thread[idx] += 1;
        counter = c + 1;
        wg_mutex_unlock(&lock);
    }
    return NULL;
}

int main(void)
{
    /* THREADS spawned threads (1..THREADS), and the main thread (0) too. */
    int r = wg_run_team(THREADS + 1, work);
    if (r) {
        printf("spawn failed: %d\n", r);
        return 1;
    }
    unsigned long sum = 0;
    for (unsigned i = 0; i <= THREADS; i++)
        sum += per_thread[i];
    printf("counter %lu (expected %lu, per-thread sum %lu)\n", counter,
           (unsigned long)(THREADS + 1) * ITERS, sum);
    return counter == (unsigned long)(THREADS + 1) * ITERS && sum == counter ? 0 : 1;
}

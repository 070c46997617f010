/*
 * barrier.c -- THREADS threads run PHASES phases separated by a wg_barrier:
 * in each phase every thread writes the phase number into its slot, waits,
 * checks that every slot holds that phase, and waits again.  Exactly one
 * thread per barrier round must be told it was the last to arrive.
 */
#include <stdio.h>

#include "weft_guest.h"

#define THREADS 5 /* the main thread is one of them */
#define PHASES 200

static wg_barrier barrier;
static uint32_t slot[THREADS];
static uint32_t mismatches, serials;

static void *run(void *arg)
{
    unsigned me = (unsigned)(uintptr_t)arg;
    for (uint32_t phase = 1; phase <= PHASES; phase++) {
        __atomic_store_n(&slot[me], phase, __ATOMIC_RELAXED);
        if (wg_barrier_wait(&barrier))
            __atomic_fetch_add(&serials, 1, __ATOMIC_RELAXED);
        for (unsigned i = 0; i < THREADS; i++)
            if (__atomic_load_n(&slot[i], __ATOMIC_RELAXED) != phase)
                __atomic_fetch_add(&mismatches, 1, __ATOMIC_RELAXED);
        if (wg_barrier_wait(&barrier))
            __atomic_fetch_add(&serials, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

int main(void)
{
    wg_barrier_init(&barrier, THREADS);
    if (wg_run_team(THREADS, run))
        return printf("spawn failed\n"), 1;
    bool ok = mismatches == 0 && serials == 2 * PHASES;
    printf("%d phases, %d threads: %s\n", PHASES, THREADS, ok ? "ok" : "WRONG");
    if (!ok)
        printf("mismatches %u, serial returns %u (expected %u)\n", mismatches, serials,
               2 * PHASES);
    return ok ? 0 : 1;
}

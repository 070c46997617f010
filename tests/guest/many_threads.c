/*
 * many_threads.c -- spawns TOTAL (1000) threads over one run, BATCH at a
 * time, joining each batch before the next: thread ids must be valid
 * ([1, 0x1FFFFFFF]), distinct among live threads, and every thread must run
 * exactly once.  The threads of a batch stay alive until the whole batch is
 * spawned, so their ids must be distinct (ids are reused only after exit).
 * Checks that thread resources are reclaimed.
 */
#include <stdio.h>

#include "weft_guest.h"

#define TOTAL 1000
#define BATCH 25

static uint64_t sum;
static uint32_t ran;

static uint32_t batch_spawned; /* batch number whose threads may leave */

static void *run(void *arg)
{
    uint32_t batch = ((uint32_t)(uintptr_t)arg - 1) / BATCH;
    while (__atomic_load_n(&batch_spawned, __ATOMIC_SEQ_CST) <= batch)
        wg_wait32(&batch_spawned, batch, -1);
    __atomic_fetch_add(&sum, (uint64_t)(uintptr_t)arg, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&ran, 1, __ATOMIC_SEQ_CST);
    return (void *)(uintptr_t)wg_self();
}

int main(void)
{
    int32_t max_tid = 0;
    int retries = 0;
    for (int base = 0; base < TOTAL; base += BATCH) {
        wg_thread *t[BATCH];
        int32_t tids[BATCH];
        for (int i = 0; i < BATCH; i++) {
            /* A joined thread's OS thread may still be winding down and
             * count against the engine's limit: retry for up to 1 s. */
            int r, tries = 0;
            while ((r = wg_thread_create(&t[i], 0, run, (void *)(uintptr_t)(base + i + 1))) &&
                   ++tries < 1000)
                wg_sleep_ns(1000000);
            retries += tries;
            if (r) {
                printf("spawn %d failed: %d\n", base + i, r);
                return 1;
            }
            tids[i] = wg_thread_tid(t[i]);
            if (tids[i] < 1 || tids[i] > 0x1FFFFFFF) {
                printf("bad thread id %d\n", tids[i]);
                return 1;
            }
            for (int j = 0; j < i; j++)
                if (tids[j] == tids[i]) {
                    printf("thread id %d given twice\n", tids[i]);
                    return 1;
                }
            if (tids[i] > max_tid)
                max_tid = tids[i];
        }
        __atomic_store_n(&batch_spawned, (uint32_t)(base / BATCH + 1), __ATOMIC_SEQ_CST);
        wg_notify(&batch_spawned, WG_WAKE_ALL);
        for (int i = 0; i < BATCH; i++) {
            int32_t self = (int32_t)(uintptr_t)wg_thread_join(t[i]);
            if (self != tids[i]) {
                printf("thread saw id %d, spawn returned %d\n", self, tids[i]);
                return 1;
            }
        }
    }
    bool ok = ran == TOTAL && sum == (uint64_t)TOTAL * (TOTAL + 1) / 2;
    printf("%d threads in batches of %d: %s\n", TOTAL, BATCH, ok ? "ok" : "WRONG");
    if (!ok)
        printf("ran %u, sum %llu\n", ran, (unsigned long long)sum);
    fprintf(stderr, "largest thread id: %d, spawn retries: %d\n", max_tid, retries);
    return ok ? 0 : 1;
}

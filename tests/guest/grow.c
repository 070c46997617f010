/*
 * grow.c -- concurrent memory.grow: THREADS threads each grow the memory
 * GROWS times by one page while the others read and write the pages grown so
 * far.  Every grow must return a distinct old size, each thread fills the
 * page it got, and at the end every grown page holds its owner's pattern and
 * memory.size counts all of them.  No malloc meanwhile: only the threads grow.
 */
#include <stdio.h>

#include "weft_guest.h"

#define THREADS 4
#define GROWS 24
#define PAGE 65536u

static uint32_t got[THREADS][GROWS]; /* old sizes, in pages */
static uint32_t before;              /* memory.size when the grows start */
static uint32_t errors;
static wg_barrier barrier;

static uint32_t pattern(unsigned thread, unsigned k, uint32_t word)
{
    return (thread << 24) ^ (k << 16) ^ word;
}

static void *run(void *arg)
{
    unsigned me = (unsigned)(uintptr_t)arg;
    /* Thread 0 (the main thread) runs after the spawns (their stacks come
     * from malloc, which may grow the memory), and measures before the
     * barrier that lets the threads grow it. */
    if (me == 0)
        before = (uint32_t)__builtin_wasm_memory_size(0);
    wg_barrier_wait(&barrier);
    for (unsigned k = 0; k < GROWS; k++) {
        int32_t old = __builtin_wasm_memory_grow(0, 1);
        if (old < 0) {
            __atomic_fetch_add(&errors, 1, __ATOMIC_SEQ_CST);
            return NULL;
        }
        uint32_t *page = (uint32_t *)(uintptr_t)((uint32_t)old * PAGE);
        for (uint32_t w = 0; w < PAGE / 4; w++)
            page[w] = pattern(me, k, w);
        __atomic_store_n(&got[me][k], (uint32_t)old, __ATOMIC_SEQ_CST);
        /* Touch the pages other threads grew so far (they may still be
         * filling them: only check that the access does not trap). */
        for (unsigned o = 0; o < THREADS; o++)
            for (unsigned j = 0; j < GROWS; j++) {
                uint32_t p = __atomic_load_n(&got[o][j], __ATOMIC_SEQ_CST);
                if (p)
                    (void)*(volatile uint32_t *)(uintptr_t)(p * PAGE + PAGE - 4);
            }
    }
    return NULL;
}

int main(void)
{
    wg_barrier_init(&barrier, THREADS);
    if (wg_run_team(THREADS, run))
        return printf("spawn failed\n"), 1;
    uint32_t after = (uint32_t)__builtin_wasm_memory_size(0);
    /* Distinct old sizes, each within [before, after), each page intact. */
    for (unsigned a = 0; a < THREADS * GROWS; a++) {
        uint32_t p = got[a / GROWS][a % GROWS];
        if (p < before || p >= after)
            errors++;
        for (unsigned b = a + 1; b < THREADS * GROWS; b++)
            if (got[b / GROWS][b % GROWS] == p)
                errors++;
        const uint32_t *page = (const uint32_t *)(uintptr_t)(p * PAGE);
        for (uint32_t w = 0; w < PAGE / 4; w++)
            if (page[w] != pattern(a / GROWS, a % GROWS, w)) {
                errors++;
                break;
            }
    }
    bool ok = errors == 0 && after == before + THREADS * GROWS;
    printf("%d concurrent grows: %s\n", THREADS * GROWS, ok ? "ok" : "WRONG");
    if (!ok)
        printf("errors %u, pages %u -> %u\n", errors, before, after);
    return ok ? 0 : 1;
}

/*
 * tls.c -- _Thread_local variables: each thread starts with the initial
 * values of .tdata/.tbss (copied by __wasm_init_tls from wasi_thread_start),
 * has its own addresses, and keeps its own values while others write theirs.
 */
#include <stdio.h>

#include "weft_guest.h"

#define THREADS 6 /* the main thread is one of them */

static _Thread_local uint32_t initialised = 0x5eed1234u;
static _Thread_local uint64_t zeroed[4];
static _Thread_local char name[16] = "tls";

static wg_barrier barrier;
static uintptr_t addr[THREADS];
static uint32_t errors;

static void fail(const char *what, unsigned me)
{
    __atomic_fetch_add(&errors, 1, __ATOMIC_SEQ_CST);
    wg_stdio_lock();
    printf("thread %u: %s\n", me, what);
    wg_stdio_unlock();
}

static void *run(void *arg)
{
    unsigned me = (unsigned)(uintptr_t)arg;
    if (initialised != 0x5eed1234u || zeroed[0] || zeroed[3] || name[0] != 't' || name[3])
        fail("wrong initial TLS values", me);
    initialised = me * 1000u + 7u;
    zeroed[2] = me;
    name[3] = (char)('0' + me);
    addr[me] = (uintptr_t)&initialised;
    wg_barrier_wait(&barrier); /* everybody has written */
    wg_barrier_wait(&barrier);
    if (initialised != me * 1000u + 7u || zeroed[2] != me || name[3] != (char)('0' + me))
        fail("TLS value changed by another thread", me);
    for (unsigned i = 0; i < THREADS; i++)
        if (i != me && addr[i] == addr[me])
            fail("TLS address shared with another thread", me);
    if (me != 0 && wg_self() <= 0)
        fail("no thread id", me);
    return NULL;
}

int main(void)
{
    wg_barrier_init(&barrier, THREADS);
    if (wg_run_team(THREADS, run))
        return printf("spawn failed\n"), 1;
    printf("thread-local storage in %d threads: %s\n", THREADS, errors ? "WRONG" : "ok");
    return errors ? 1 : 0;
}

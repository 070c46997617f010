/*
 * spawn_many.c -- `spawn_many N [PAUSE_MS]`: starts threads that all stay
 * alive (each waits on a word) until N are alive or thread-spawn refuses one,
 * optionally pauses PAUSE_MS (to look at the process from outside), then
 * releases and joins them all and checks that a spawn works again.
 *
 * Run with a low `ulimit -v` (run_guest.py: rlimit_as) the refusal must come
 * as a negative thread-spawn result -- never a trap or the end of the program
 * -- however far the engine got with the new thread (instance, thread context,
 * native stack) before it ran out.  Prints
 *   "K threads alive, then spawn refused (CODE); joined; later spawn ok"
 * or "K threads alive; joined; later spawn ok" when all N started.
 */
#include <stdio.h>
#include <stdlib.h>

#include "weft_guest.h"

/* A small shadow stack: `hold` needs little, and thousands of threads must
 * fit in the guest's 64 MiB. */
#define HOLD_STACK 2048u

static uint32_t release;
static uint32_t started;

static void *hold(void *arg)
{
    __atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&release, __ATOMIC_SEQ_CST))
        wg_wait32(&release, 0, -1);
    return arg;
}

static void *nothing(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    int pause_ms = argc > 2 ? atoi(argv[2]) : 0;
    if (n < 1 || n > 100000)
        return printf("bad N\n"), 2;
    wg_thread **t = malloc((size_t)n * sizeof *t);
    if (!t)
        return printf("no memory for %d handles\n", n), 2;
    int alive = 0, refused = 0;
    while (alive < n) {
        int r = wg_thread_create(&t[alive], HOLD_STACK, hold, (void *)(uintptr_t)(alive + 1));
        if (r < 0) {
            refused = r;
            break;
        }
        alive++;
    }
    /* Every thread that thread-spawn accepted runs. */
    while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < (uint32_t)alive)
        wg_sleep_ns(1000000);
    if (pause_ms > 0)
        wg_sleep_ns((int64_t)pause_ms * 1000000);
    __atomic_store_n(&release, 1, __ATOMIC_SEQ_CST);
    wg_notify(&release, WG_WAKE_ALL);
    for (int i = 0; i < alive; i++)
        if (wg_thread_join(t[i]) != (void *)(uintptr_t)(i + 1))
            return printf("thread %d returned the wrong value\n", i + 1), 1;
    /* The joined threads' OS threads may still be winding down (their memory
     * is released when weft joins them): retry for up to 10 s. */
    wg_thread *extra;
    int tries = 0;
    while (wg_thread_create(&extra, HOLD_STACK, nothing, (void *)7) && ++tries < 10000)
        wg_sleep_ns(1000000);
    if (tries == 10000 || wg_thread_join(extra) != (void *)7)
        return printf("spawn after joining failed\n"), 1;
    if (refused)
        printf("%d threads alive, then spawn refused (%d); joined; later spawn ok\n", alive,
               refused);
    else
        printf("%d threads alive; joined; later spawn ok\n", alive);
    return 0;
}

/*
 * spawn_limit.c -- `spawn_limit N`: with `weft run --max-threads N`, the
 * (N+1)th live thread cannot start: thread-spawn returns a negative value
 * (it never traps), and after the others are joined spawning works again.
 */
#include <stdio.h>
#include <stdlib.h>

#include "weft_guest.h"

static uint32_t release;

static void *hold(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&release, __ATOMIC_SEQ_CST))
        wg_wait32(&release, 0, -1);
    return NULL;
}

static void *nothing(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    if (n < 1 || n > 64)
        return printf("bad N\n"), 2;
    wg_thread *t[64];
    for (int i = 0; i < n; i++)
        if (wg_thread_create(&t[i], 0, hold, NULL))
            return printf("spawn %d of %d failed\n", i + 1, n), 1;
    wg_thread *extra;
    int r = wg_thread_create(&extra, 0, nothing, NULL);
    __atomic_store_n(&release, 1, __ATOMIC_SEQ_CST);
    wg_notify(&release, WG_WAKE_ALL);
    for (int i = 0; i < n; i++)
        wg_thread_join(t[i]);
    if (r >= 0)
        return printf("spawn beyond the limit succeeded\n"), 1;
    /* The joined threads' OS threads may still be winding down: retry. */
    int tries = 0;
    while (wg_thread_create(&extra, 0, nothing, (void *)1) && ++tries < 1000)
        wg_sleep_ns(1000000);
    if (tries == 1000 || wg_thread_join(extra) != (void *)1)
        return printf("spawn after joining failed\n"), 1;
    printf("limit %d: extra spawn refused (%d), later spawn ok\n", n, r);
    return 0;
}

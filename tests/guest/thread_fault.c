/*
 * thread_fault.c -- `thread_fault oob|unreachable|stack`: a spawned thread
 * makes an out-of-bounds access, executes `unreachable`, or recurses without
 * end, while the main thread waits to join it.  Each must trap the whole
 * group (weft exits 134 with the trap's message), never crash the host, and
 * never let the main thread print "joined".
 */
#include <stdio.h>
#include <string.h>

#include "weft_guest.h"

static const char *what;
static volatile uint32_t stop_at = 0xFFFFFFFFu; /* never reached */

/* Not a tail call, nothing on the shadow stack: only the engine's call
 * depth can stop it. */
__attribute__((noinline)) static uint32_t recurse(uint32_t n)
{
    if (n == stop_at)
        return n;
    return recurse(n + 1) * 3u + n;
}

static void *run(void *arg)
{
    (void)arg;
    if (!strcmp(what, "oob"))
        return (void *)(uintptr_t) * (volatile uint32_t *)(uintptr_t)0xFFFFFFF0u;
    if (!strcmp(what, "unreachable"))
        __builtin_trap();
    return (void *)(uintptr_t)recurse(0);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return fprintf(stderr, "usage: thread_fault oob|unreachable|stack\n"), 2;
    what = argv[1];
    printf("thread_fault %s\n", what);
    fflush(stdout);
    wg_thread *t;
    if (wg_thread_create(&t, 0, run, NULL))
        return printf("spawn failed\n"), 1;
    wg_thread_join(t);
    printf("joined\n");
    return 1;
}

/*
 * term.c -- the termination matrix: `term WHO HOW OTHERS`
 *   WHO     main | thread   which thread ends the program
 *   HOW     exit | trap     proc_exit(7), or `unreachable`
 *   OTHERS  busy | wait | poll
 *           what every other thread (the main thread too when WHO is
 *           thread) is doing meanwhile: spinning in a loop, blocked in
 *           memory.atomic.wait32 with no timeout, or blocked in poll_oneoff
 *           on a one-hour clock.
 * The program prints "term WHO HOW OTHERS: ending" and then ends; the engine
 * must stop every other thread promptly (the driver allows 1 s in all).
 * Reaching "still running" means the ending did not end the group.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#include "weft_guest.h"

#define OTHERS 3

static enum { BUSY, WAIT, POLL } mode;
static uint32_t ready;         /* others that reached their blocking state */
static uint32_t never_changes; /* what waiters wait on                     */
static volatile uint32_t spin_sink;

/* Enters the OTHERS state and never leaves it. */
static void block_forever(void)
{
    __atomic_fetch_add(&ready, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        if (mode == BUSY) {
            spin_sink++;
        } else if (mode == WAIT) {
            wg_wait32(&never_changes, 0, -1);
        } else {
            __wasi_subscription_t sub;
            memset(&sub, 0, sizeof sub);
            sub.userdata = 1;
            sub.u.tag = __WASI_EVENTTYPE_CLOCK;
            sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
            sub.u.u.clock.timeout = 3600ull * 1000000000ull;
            __wasi_event_t ev;
            __wasi_size_t n;
            /* A failure would make this a busy loop: say so and stop. */
            if (__wasi_poll_oneoff(&sub, &ev, 1, &n) != 0) {
                printf("poll_oneoff failed\n");
                exit(3);
            }
        }
    }
}

static void *other(void *arg)
{
    (void)arg;
    block_forever();
    return NULL;
}

static const char *who, *how, *others;

static void end_program(void)
{
    /* Let the others enter their state: `ready` counts them just before
     * they block, and a poll_oneoff entry cannot be observed from here. */
    while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < OTHERS)
        wg_sleep_ns(1000000);
    wg_sleep_ns(30 * 1000000);
    wg_stdio_lock();
    printf("term %s %s %s: ending\n", who, how, others);
    fflush(stdout);
    wg_stdio_unlock();
    if (!strcmp(how, "exit"))
        exit(7);
    __builtin_trap();
}

static void *ender(void *arg)
{
    (void)arg;
    end_program();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: term main|thread exit|trap busy|wait|poll\n");
        return 2;
    }
    who = argv[1], how = argv[2], others = argv[3];
    mode = !strcmp(others, "busy") ? BUSY : !strcmp(others, "wait") ? WAIT : POLL;
    bool by_main = !strcmp(who, "main");
    /* When a thread ends the program, the main thread is one of the others. */
    int spawned = by_main ? OTHERS : OTHERS - 1;
    for (int i = 0; i < spawned; i++) {
        wg_thread *t;
        if (wg_thread_create(&t, 0, other, NULL)) {
            printf("spawn failed\n");
            return 1;
        }
    }
    if (by_main) {
        end_program();
    } else {
        wg_thread *t;
        if (wg_thread_create(&t, 0, ender, NULL)) {
            printf("spawn failed\n");
            return 1;
        }
        block_forever();
    }
    printf("still running\n");
    return 1;
}

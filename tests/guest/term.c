/*
 * term.c -- the termination matrix: `term WHO HOW OTHERS`
 *   WHO     main | thread   which thread ends the program
 *   HOW     exit | trap     proc_exit(7), or `unreachable`
 *   OTHERS  busy | wait | poll | open
 *           what every other thread (the main thread too when WHO is
 *           thread) is doing meanwhile: spinning in a loop, blocked in
 *           memory.atomic.wait32 with no timeout, blocked in poll_oneoff
 *           on a one-hour clock, or blocked opening a FIFO in the preopen
 *           (fd 3) that no one else opens: w.fifo for writing (the first,
 *           third... other) or r.fifo for reading, then reading it (the
 *           second...).  The driver makes both FIFOs beforehand.
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

static enum { BUSY, WAIT, POLL, OPEN } mode;
static uint32_t ready;         /* others that reached their blocking state */
static uint32_t openers;       /* OPEN: numbers the others                  */
static uint32_t never_changes; /* what waiters wait on                     */
static volatile uint32_t spin_sink;

#define PREOPEN_FD 3

/* OPEN: path_open of a FIFO with no other end blocks (a FIFO opened for
 * reading may be open at once: then fd_read blocks). */
static void block_in_open(void)
{
    bool write = __atomic_fetch_add(&openers, 1, __ATOMIC_SEQ_CST) % 2 == 0;
    __atomic_fetch_add(&ready, 1, __ATOMIC_SEQ_CST);
    __wasi_fd_t fd;
    __wasi_errno_t r = __wasi_path_open(PREOPEN_FD, 0, write ? "w.fifo" : "r.fifo", 0,
                                        write ? __WASI_RIGHTS_FD_WRITE : __WASI_RIGHTS_FD_READ, 0,
                                        0, &fd);
    if (r == 0 && !write) {
        char c;
        __wasi_iovec_t iov = {(uint8_t *)&c, 1};
        __wasi_size_t n;
        r = __wasi_fd_read(fd, &iov, 1, &n);
    }
    printf("path_open of a FIFO returned (%u)\n", r);
    exit(3);
}

/* Enters the OTHERS state and never leaves it. */
static void block_forever(void)
{
    if (mode == OPEN)
        block_in_open();
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
        fprintf(stderr, "usage: term main|thread exit|trap busy|wait|poll|open\n");
        return 2;
    }
    who = argv[1], how = argv[2], others = argv[3];
    mode = !strcmp(others, "busy")   ? BUSY
         : !strcmp(others, "wait")   ? WAIT
         : !strcmp(others, "poll")   ? POLL
                                     : OPEN;
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

/*
 * signals.h -- for cmocka tests that expect guard-page faults to become traps.
 *
 * cmocka installs its own SIGSEGV/SIGBUS handlers (with signal()) around every
 * test and restores them afterwards, which hides weft's handler, installed once
 * per process.  A test calls test_signals_save() once in main() (it installs
 * weft's handler and records it), then wraps the code that may fault in
 * test_traps_on() / test_traps_off().
 */
#ifndef WEFT_TEST_SIGNALS_H
#define WEFT_TEST_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

#include "threads/thread.h"

static struct sigaction test_weft_act[2], test_cmocka_act[2];

static inline bool test_signals_save(void)
{
    weft_error err;
    return thr_install_handler(&err) == WEFT_OK && sigaction(SIGSEGV, NULL, &test_weft_act[0]) == 0 &&
           sigaction(SIGBUS, NULL, &test_weft_act[1]) == 0;
}

static inline void test_traps_on(void)
{
    sigaction(SIGSEGV, &test_weft_act[0], &test_cmocka_act[0]);
    sigaction(SIGBUS, &test_weft_act[1], &test_cmocka_act[1]);
}

static inline void test_traps_off(void)
{
    sigaction(SIGSEGV, &test_cmocka_act[0], NULL);
    sigaction(SIGBUS, &test_cmocka_act[1], NULL);
}

#endif /* WEFT_TEST_SIGNALS_H */

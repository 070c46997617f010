/*
 * test_native_stack.c -- host -> wasm -> host -> ... recursion ends in the
 * trap "call stack exhausted" before it overflows the native stack of the
 * thread it runs on (threads/thread.c, thr_enter): the main thread, a small
 * embedder thread and a thread with the 2 MiB stack wasi-threads gives its
 * threads.  The wasm-side limits (call depth, value stack) are set far out of
 * reach, so only the native check can stop the recursion.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "support/reentry.h"
#include "support/signals.h"

typedef struct host_state {
    reentry r;
    int32_t limit;   /* the host stops recursing at this level; 0: never */
    int32_t deepest; /* the deepest level the host function saw          */
} host_state;

/* Level n: calls "down" (which calls back here with n + 1) until the limit. */
static weft_status host(void *env, weft_caller *caller, const weft_val *args, weft_val *results,
                        weft_error *err)
{
    (void)caller;
    host_state *h = env;
    int32_t n = args[0].of.i32;
    if (n > h->deepest)
        h->deepest = n;
    results[0].of.i32 = n;
    if (h->limit && n >= h->limit)
        return WEFT_OK;
    return reentry_call(h->r.down, n, &results[0].of.i32, err);
}

typedef struct outcome {
    weft_status bounded_before, unbounded, bounded_after;
    int32_t bounded_result, bounded_after_result;
    weft_error err;  /* of the unbounded run */
    int32_t deepest;
} outcome;

/* Runs without cmocka asserts, so that a worker thread may.  The bounded
 * calls go `bounded` levels deep. */
static void recurse(host_state *h, int32_t bounded, outcome *o)
{
    weft_error err;
    h->limit = bounded;
    o->bounded_before = reentry_call(h->r.down, 0, &o->bounded_result, &err);
    h->limit = 0;
    h->deepest = 0;
    o->unbounded = reentry_call(h->r.down, 0, NULL, &o->err);
    o->deepest = h->deepest;
    /* The thread is still sound: the same call works again. */
    h->limit = bounded;
    o->bounded_after = reentry_call(h->r.down, 0, &o->bounded_after_result, &err);
}

static void open_state(host_state *h)
{
    weft_config c;
    weft_config_init(&c);
    c.max_call_depth = UINT32_MAX;
    c.value_stack_bytes = (size_t)256 << 20;
    memset(h, 0, sizeof *h);
    reentry_open(&h->r, &c, host, h);
}

/* min_levels: the recursion got at least this deep before the trap (and the
 * bounded calls went as deep). */
static void assert_outcome(const outcome *o, int32_t min_levels)
{
    assert_int_equal(o->bounded_before, WEFT_OK);
    assert_int_equal(o->bounded_result, min_levels);
    assert_int_equal(o->unbounded, WEFT_TRAP);
    assert_int_equal(o->err.code, WEFT_E_STACK_EXHAUSTED);
    assert_non_null(strstr(o->err.message, "call stack exhausted"));
    assert_true(o->err.nframes > 0);
    assert_true(o->deepest >= min_levels);
    assert_int_equal(o->bounded_after, WEFT_OK);
    assert_int_equal(o->bounded_after_result, min_levels);
}

static void test_main_thread(void **state)
{
    (void)state;
    test_traps_on();
    host_state h;
    open_state(&h);
    outcome o;
    recurse(&h, 100, &o);
    assert_outcome(&o, 100);
    reentry_close(&h.r);
    test_traps_off();
}

typedef struct worker {
    host_state h;
    int32_t levels;
    outcome o;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    recurse(&w->h, w->levels, &w->o);
    return NULL;
}

static void on_thread_with_stack(size_t bytes, int32_t min_levels)
{
    test_traps_on();
    worker w = {.levels = min_levels};
    open_state(&w.h);
    pthread_attr_t attr;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, bytes), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, &attr, worker_main, &w), 0);
    pthread_attr_destroy(&attr);
    pthread_join(t, NULL);
    assert_outcome(&w.o, min_levels);
    reentry_close(&w.h.r);
    test_traps_off();
}

static void test_small_embedder_thread(void **state)
{
    (void)state;
    on_thread_with_stack((size_t)256 << 10, 8); /* ASan: about 15 */
}

static void test_wasi_threads_sized_thread(void **state)
{
    (void)state;
    on_thread_with_stack((size_t)2 << 20, 100);
}

int main(void)
{
    if (!test_signals_save())
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_embedder_thread),
        cmocka_unit_test(test_wasi_threads_sized_thread),
        cmocka_unit_test(test_main_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

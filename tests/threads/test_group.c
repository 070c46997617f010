/*
 * test_group.c -- thread groups (threads/group.c) with C members: thread ids
 * (sequential, lowest free reused), the max-threads limit, the first ending
 * wins, termination reaching every member, and joining.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "threads/group.h"

typedef struct shared {
    thr_group *group;
    _Atomic int release[8]; /* member tid may return once release[tid] is set */
    _Atomic int started;
    _Atomic int dropped;
} shared;

static shared S;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Blocks (politely) until released or until the group ends. */
static weft_status wait_member(void *arg, uint32_t tid, weft_error *err)
{
    shared *s = arg;
    (void)err;
    atomic_fetch_add(&s->started, 1);
    while (!atomic_load(&s->release[tid % 8]) && !thr_group_ending(s->group))
        sleep_ms(1);
    return WEFT_OK;
}

/* Fails with a trap at once. */
static weft_status trap_member(void *arg, uint32_t tid, weft_error *err)
{
    (void)arg;
    (void)tid;
    return weft_error_set(err, WEFT_E_UNREACHABLE, NULL);
}

static void drop_arg(void *arg)
{
    shared *s = arg;
    atomic_fetch_add(&s->dropped, 1);
}

static thr_group *new_group(weft_engine **engine, uint32_t max_threads)
{
    weft_error err;
    assert_int_equal(weft_engine_new(NULL, engine, &err), WEFT_OK);
    thr_group_config cfg = {.max_threads = max_threads};
    thr_group *g = NULL;
    assert_int_equal(thr_group_new(*engine, &cfg, &g, &err), WEFT_OK);
    memset(&S, 0, sizeof S);
    S.group = g;
    return g;
}

static void await_live(thr_group *g, uint32_t n)
{
    for (int i = 0; i < 5000 && thr_group_live(g) != n; i++)
        sleep_ms(1);
    assert_int_equal(thr_group_live(g), n);
}

static void test_tids_sequential_and_reused(void **state)
{
    (void)state;
    weft_engine *e;
    thr_group *g = new_group(&e, 0);
    assert_int_equal(thr_group_spawn(g, wait_member, &S, drop_arg), 1);
    assert_int_equal(thr_group_spawn(g, wait_member, &S, drop_arg), 2);
    assert_int_equal(thr_group_spawn(g, wait_member, &S, drop_arg), 3);
    assert_int_equal(thr_group_spawn(g, wait_member, &S, drop_arg), 4);
    /* Thread 2 ends: its id is the lowest free one, so the next spawn gets it. */
    atomic_store(&S.release[2], 1);
    await_live(g, 3);
    atomic_store(&S.release[2], 0);
    assert_int_equal(thr_group_spawn(g, wait_member, &S, drop_arg), 2);
    atomic_store(&S.release[1], 1);
    atomic_store(&S.release[3], 1);
    await_live(g, 2);
    atomic_store(&S.release[1], 0);
    atomic_store(&S.release[3], 0);
    assert_int_equal(thr_group_spawn(g, wait_member, &S, drop_arg), 1);
    assert_int_equal(thr_group_spawn(g, wait_member, &S, drop_arg), 3);
    assert_int_equal(thr_group_spawn(g, wait_member, &S, drop_arg), 5);
    assert_int_equal(thr_group_ending(g), false);
    thr_group_free(g); /* ends the group: every member sees the flag */
    assert_int_equal(atomic_load(&S.dropped), 8);
    weft_engine_free(e);
}

static void test_limit_gives_negative(void **state)
{
    (void)state;
    weft_engine *e;
    thr_group *g = new_group(&e, 3);
    for (int i = 1; i <= 3; i++)
        assert_int_equal(thr_group_spawn(g, wait_member, &S, drop_arg), i);
    int32_t r = thr_group_spawn(g, wait_member, &S, drop_arg);
    assert_true(r < 0);
    assert_int_equal(atomic_load(&S.dropped), 0); /* a failed spawn leaves arg to the caller */
    /* Room again once one ends. */
    atomic_store(&S.release[3], 1);
    await_live(g, 2);
    atomic_store(&S.release[3], 0);
    assert_int_equal(thr_group_spawn(g, wait_member, &S, drop_arg), 3);
    weft_error err;
    weft_error_set(&err, WEFT_E_EXITED, NULL);
    err.exit_code = 3;
    assert_true(thr_group_end(g, WEFT_EXIT, &err));
    /* Ending: no more threads. */
    assert_true(thr_group_spawn(g, wait_member, &S, drop_arg) < 0);
    thr_group_join(g);
    assert_int_equal(thr_group_live(g), 0);
    assert_int_equal(thr_group_status(g, &err), WEFT_EXIT);
    assert_int_equal(err.exit_code, 3);
    thr_group_free(g);
    weft_engine_free(e);
}

static void test_first_ending_wins(void **state)
{
    (void)state;
    weft_engine *e;
    thr_group *g = new_group(&e, 0);
    for (int i = 1; i <= 4; i++)
        assert_int_equal(thr_group_spawn(g, wait_member, &S, drop_arg), i);
    while (atomic_load(&S.started) < 4)
        sleep_ms(1);
    /* A member that traps ends the group with its id... */
    assert_int_equal(thr_group_spawn(g, trap_member, &S, drop_arg), 5);
    thr_group_join(g);
    weft_error err;
    assert_int_equal(thr_group_status(g, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_UNREACHABLE);
    assert_int_equal(err.thread_id, 5);
    /* ...and later endings change nothing. */
    assert_false(thr_group_end(g, WEFT_OK, NULL));
    assert_int_equal(thr_group_status(g, NULL), WEFT_TRAP);
    assert_int_equal(atomic_load(&S.dropped), 5);
    thr_group_free(g);
    weft_engine_free(e);
}

static void test_attach_sets_context(void **state)
{
    (void)state;
    weft_engine *e;
    thr_group *g = new_group(&e, 0);
    thr_attach saved;
    assert_true(thr_group_attach(g, 0, &saved));
    thr_context *ctx = thr_current(0);
    assert_ptr_equal(ctx->group, g);
    assert_int_equal(ctx->tid, 0);
    assert_non_null(ctx->terminate);
    assert_int_equal(atomic_load(ctx->terminate), 0);
    thr_group_end(g, WEFT_OK, NULL);
    assert_int_equal(atomic_load(ctx->terminate), 1);
    thr_group_detach(&saved);
    assert_null(ctx->group);
    assert_null(ctx->terminate);
    thr_group_free(g);
    weft_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tids_sequential_and_reused),
        cmocka_unit_test(test_limit_gives_negative),
        cmocka_unit_test(test_first_ending_wins),
        cmocka_unit_test(test_attach_sets_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

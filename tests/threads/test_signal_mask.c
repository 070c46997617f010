/*
 * test_signal_mask.c -- guard-page traps on threads that block SIGSEGV and
 * SIGBUS (a mask inherited across exec, a server thread that blocks every
 * signal): a blocked synchronous fault kills the process, so an entry into
 * wasm unblocks them while wasm runs and blocks again, after a return or a
 * trap, exactly what the caller had blocked (threads/thread.c, thr_enter);
 * unless the embedder said it never blocks them (trust_signal_mask).
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "support/reentry.h"
#include "support/signals.h"

static int blocked(int sig)
{
    sigset_t cur;
    sigemptyset(&cur);
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

static sigset_t set_of(int a, int b, int c)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, a);
    sigaddset(&s, b);
    sigaddset(&s, c);
    return s;
}

typedef struct host_state {
    reentry *r;
    int oob_inside;    /* the host function loads out of bounds through "load" */
    int block_usr2;    /* the host function blocks SIGUSR2 and leaves it so    */
    int segv_inside;   /* SIGSEGV blocked while the host function ran?         */
    int bus_inside;
} host_state;

static weft_status host(void *env, weft_caller *caller, const weft_val *args, weft_val *results,
                        weft_error *err)
{
    (void)caller;
    host_state *h = env;
    h->segv_inside = blocked(SIGSEGV);
    h->bus_inside = blocked(SIGBUS);
    if (h->block_usr2) {
        sigset_t s = set_of(SIGUSR2, SIGUSR2, SIGUSR2);
        pthread_sigmask(SIG_BLOCK, &s, NULL);
    }
    results[0].of.i32 = args[0].of.i32;
    if (h->oob_inside)
        return reentry_call(h->r->load, 65536, &results[0].of.i32, err);
    return WEFT_OK;
}

/* What a thread with SIGSEGV, SIGBUS and SIGUSR1 blocked saw; filled without
 * cmocka asserts, so that a worker thread may run it. */
typedef struct outcome {
    int oob_traps;          /* of 3 out-of-bounds calls                         */
    int mask_kept;          /* of the checks after each call: all 3 still blocked */
    int load_ok;            /* an in-bounds call returned the memory's value    */
    int unblocked_inside;   /* the host function ran with SEGV and BUS unblocked */
    int nested_trap;        /* host -> wasm out of bounds trapped               */
    int usr2_kept;          /* the host function's own change survived          */
    int checks;
} outcome;

static int all_blocked(void)
{
    return blocked(SIGSEGV) == 1 && blocked(SIGBUS) == 1 && blocked(SIGUSR1) == 1;
}

static void run_checks(reentry *r, host_state *h, outcome *o)
{
    weft_error err;
    int32_t v = -1;
    for (int i = 0; i < 3; i++) {
        if (reentry_call(r->load, 65536 + i, NULL, &err) == WEFT_TRAP &&
            err.code == WEFT_E_OOB_MEMORY)
            o->oob_traps++;
        o->mask_kept += all_blocked();
        o->checks++;
    }
    o->load_ok = reentry_call(r->load, 0, &v, &err) == WEFT_OK && v == 0;
    o->mask_kept += all_blocked();
    o->checks++;

    h->segv_inside = h->bus_inside = -1;
    if (reentry_call(r->down, 0, &v, &err) == WEFT_OK && v == 1)
        o->unblocked_inside = h->segv_inside == 0 && h->bus_inside == 0;
    o->mask_kept += all_blocked();
    o->checks++;

    h->oob_inside = 1;
    o->nested_trap = reentry_call(r->down, 0, NULL, &err) == WEFT_TRAP &&
                     err.code == WEFT_E_OOB_MEMORY;
    h->oob_inside = 0;
    o->mask_kept += all_blocked();
    o->checks++;

    h->block_usr2 = 1;
    o->usr2_kept = reentry_call(r->down, 0, NULL, &err) == WEFT_OK && blocked(SIGUSR2) == 1;
    h->block_usr2 = 0;
    o->mask_kept += all_blocked();
    o->checks++;
}

static void assert_outcome(const outcome *o)
{
    assert_int_equal(o->oob_traps, 3);
    assert_int_equal(o->mask_kept, o->checks);
    assert_int_equal(o->load_ok, 1);
    assert_int_equal(o->unblocked_inside, 1);
    assert_int_equal(o->nested_trap, 1);
    assert_int_equal(o->usr2_kept, 1);
}

typedef struct worker {
    reentry *r;
    host_state *h;
    outcome o;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    run_checks(w->r, w->h, &w->o);
    return NULL;
}

/* run_checks with SIGSEGV, SIGBUS and SIGUSR1 blocked: on this thread, or on
 * a new one, which inherits its creator's mask and so blocks them from its
 * start, before its first entry. */
static void check_blocked(bool new_thread)
{
    test_traps_on();
    host_state h = {0};
    reentry r;
    reentry_open(&r, NULL, host, &h);
    h.r = &r;
    worker w = {.r = &r, .h = &h};
    sigset_t block = set_of(SIGSEGV, SIGBUS, SIGUSR1), old;
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &block, &old), 0);
    pthread_t t;
    int rc = 0;
    if (new_thread)
        rc = pthread_create(&t, NULL, worker_main, &w);
    else
        worker_main(&w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    assert_int_equal(rc, 0);
    if (new_thread)
        pthread_join(t, NULL);
    assert_outcome(&w.o);
    reentry_close(&r);
    test_traps_off();
}

static void test_blocked_on_calling_thread(void **state)
{
    (void)state;
    check_blocked(false);
}

/* weft_config.trust_signal_mask: the host promised the signals are never
 * blocked, so weft leaves the mask alone -- here it is blocked, and the host
 * function sees it still blocked inside wasm (no fault happens). */
static void test_trusted_mask_left_alone(void **state)
{
    (void)state;
    test_traps_on();
    weft_config c;
    weft_config_init(&c);
    c.trust_signal_mask = true;
    host_state h = {0};
    reentry r;
    reentry_open(&r, &c, host, &h);
    h.r = &r;
    sigset_t block = set_of(SIGSEGV, SIGBUS, SIGUSR1), old;
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &block, &old), 0);
    weft_error err;
    int32_t v = -1;
    h.segv_inside = h.bus_inside = -1;
    weft_status st = reentry_call(r.down, 0, &v, &err);
    int kept = all_blocked();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    assert_int_equal(st, WEFT_OK);
    assert_int_equal(v, 1);
    assert_int_equal(h.segv_inside, 1);
    assert_int_equal(h.bus_inside, 1);
    assert_int_equal(kept, 1);
    reentry_close(&r);
    test_traps_off();
}

static void test_blocked_from_thread_start(void **state)
{
    (void)state;
    check_blocked(true);
}

typedef struct nested {
    weft_func *call;  /* host_call.wat's "call": no memory of its own */
    weft_status st;
    weft_code code;
    int kept;
} nested;

static void *nested_main(void *arg)
{
    nested *n = arg;
    weft_error err;
    n->st = reentry_call(n->call, 0, NULL, &err);
    n->code = err.code;
    n->kept = all_blocked();
    return NULL;
}

/* A fresh thread whose outermost entry has no memory (nothing to unblock
 * for) reaches one only in a nested entry: that one opens the mask. */
static void test_first_memory_in_nested_entry(void **state)
{
    (void)state;
    test_traps_on();
    host_state h = {.oob_inside = 1};
    reentry r;
    reentry_open(&r, NULL, host, &h);
    h.r = &r;
    weft_module *m = test_module_load(r.engine, "host_call");
    weft_extern imp = {.kind = WEFT_EXTERN_FUNC, .of.func = r.host}, ext;
    weft_instance *inst = NULL;
    weft_error err;
    assert_int_equal(weft_instance_new(m, &imp, 1, &inst, &err), WEFT_OK);
    assert_true(weft_instance_export(inst, "call", 4, &ext));
    nested n = {.call = ext.of.func};
    sigset_t block = set_of(SIGSEGV, SIGBUS, SIGUSR1), old;
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &block, &old), 0);
    pthread_t t;
    int rc = pthread_create(&t, NULL, nested_main, &n);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    assert_int_equal(rc, 0);
    pthread_join(t, NULL);
    assert_int_equal(n.st, WEFT_TRAP);
    assert_int_equal(n.code, WEFT_E_OOB_MEMORY);
    assert_int_equal(n.kept, 1);
    weft_instance_free(inst);
    weft_module_free(m);
    reentry_close(&r);
    test_traps_off();
}

/* A program run from such a thread: the fault is in a thread that
 * wasi-threads spawned, and ends the group as a trap. */
static void test_blocked_program_thread_traps(void **state)
{
    (void)state;
    test_traps_on();
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = test_module_load(e, "fault_in_thread");
    weft_program_config cfg;
    weft_program_config_init(&cfg);
    weft_program *p = NULL;
    weft_error err;
    assert_int_equal(weft_program_new(m, &cfg, &p, &err), WEFT_OK);
    sigset_t block = set_of(SIGSEGV, SIGBUS, SIGUSR1), old;
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &block, &old), 0);
    weft_status st = weft_program_run(p, NULL, NULL, 0, NULL, 0, &err);
    int kept = all_blocked();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    assert_int_equal(st, WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
    assert_int_not_equal(err.thread_id, 0);
    assert_int_equal(kept, 1);
    weft_program_free(p);
    weft_module_free(m);
    weft_engine_free(e);
    test_traps_off();
}

int main(void)
{
    if (!test_signals_save())
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocked_on_calling_thread),
        cmocka_unit_test(test_blocked_from_thread_start),
        cmocka_unit_test(test_first_memory_in_nested_entry),
        cmocka_unit_test(test_trusted_mask_left_alone),
        cmocka_unit_test(test_blocked_program_thread_traps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_code_ranges.c -- the compiled-code range registry (jit/code_ranges.h):
 * lookups, growth past a chunk, reuse, failures, a lookup from a signal
 * handler, and writers racing readers (run under TSan too) where a torn
 * read would report an address no registration ever covered.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "jit/code_ranges.h"
#include "support/host_realloc.h"

static void test_lookup(void **state)
{
    (void)state;
    weft_error err;
    cr_registry r;
    assert_int_equal(cr_init(&r, host_realloc, NULL, &err), WEFT_OK);
    assert_false(cr_contains(&r, 0x1000));
    assert_false(cr_contains(&r, 0));
    cr_entry *h;
    assert_int_equal(cr_add(&r, 0x1000, 0x2000, &h, &err), WEFT_OK);
    assert_true(cr_contains(&r, 0x1000));
    assert_true(cr_contains(&r, 0x1fff));
    assert_false(cr_contains(&r, 0x2000)); /* end is exclusive */
    assert_false(cr_contains(&r, 0xfff));
    cr_remove(&r, h);
    assert_false(cr_contains(&r, 0x1000));
    assert_int_equal(cr_add(&r, 0, 0x10, &h, &err), WEFT_BAD_ARGUMENT);
    assert_int_equal(cr_add(&r, 0x10, 0x10, &h, &err), WEFT_BAD_ARGUMENT);
    cr_destroy(&r);
}

static void test_growth_and_reuse(void **state)
{
    (void)state;
    weft_error err;
    int budget = 3; /* three more chunks, then out of memory */
    cr_registry r;
    assert_int_equal(cr_init(&r, host_realloc, &budget, &err), WEFT_OK);
    enum { N = 4 * CR_CHUNK_ENTRIES };
    cr_entry *h[N];
    for (uintptr_t i = 0; i < N; i++)
        assert_int_equal(cr_add(&r, 0x10000 * (i + 1), 0x10000 * (i + 1) + 0x100, &h[i], &err),
                         WEFT_OK);
    for (uintptr_t i = 0; i < N; i++) {
        assert_true(cr_contains(&r, 0x10000 * (i + 1) + 0x80));
        assert_false(cr_contains(&r, 0x10000 * (i + 1) + 0x100));
    }
    cr_entry *extra;
    assert_int_equal(cr_add(&r, 0x1, 0x2, &extra, &err), WEFT_NOMEM);
    assert_false(cr_contains(&r, 0x1));
    /* A freed entry is reused without a new chunk. */
    cr_remove(&r, h[100]);
    assert_false(cr_contains(&r, 0x10000 * 101 + 0x80));
    assert_int_equal(cr_add(&r, 0x1, 0x2, &extra, &err), WEFT_OK);
    assert_ptr_equal(extra, h[100]);
    assert_true(cr_contains(&r, 0x1));
    cr_destroy(&r);
}

/* ---- from a signal handler ------------------------------------------------ */

static cr_registry *sig_registry;
static volatile sig_atomic_t sig_inside, sig_outside;

static void on_usr1(int sig)
{
    (void)sig;
    sig_inside = cr_contains(sig_registry, 0x5000);
    sig_outside = cr_contains(sig_registry, 0x9000);
}

static void test_signal_handler(void **state)
{
    (void)state;
    weft_error err;
    cr_registry r;
    assert_int_equal(cr_init(&r, host_realloc, NULL, &err), WEFT_OK);
    cr_entry *h;
    assert_int_equal(cr_add(&r, 0x4000, 0x6000, &h, &err), WEFT_OK);
    sig_registry = &r;
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    raise(SIGUSR1);
    assert_true(sig_inside);
    assert_false(sig_outside);
    sigaction(SIGUSR1, &old, NULL);
    cr_destroy(&r);
}

/* ---- writers racing readers ------------------------------------------------ */

enum { WRITERS = 3, READERS = 2, ROUNDS = 50000 };

static cr_registry race;
static _Atomic int writers_done;
static _Atomic int bad_reads;

/* Writer w owns [base, base + 0x10000): it registers A = [base, base+0x100)
 * and B = [base+0x1000, base+0x1010) in turn, so a reader that mixed A's
 * start with B's end would see base+0x800 covered, which nothing ever did. */
static uintptr_t region(int w) { return 0x100000 * (uintptr_t)(w + 1); }

static void *writer(void *arg)
{
    int w = (int)(intptr_t)arg;
    uintptr_t base = region(w);
    for (int i = 0; i < ROUNDS; i++) {
        bool a = i % 2 == 0;
        uintptr_t s = a ? base : base + 0x1000, e = a ? base + 0x100 : base + 0x1010;
        cr_entry *h;
        weft_error err;
        if (cr_add(&race, s, e, &h, &err) != WEFT_OK || !cr_contains(&race, s) ||
            cr_contains(&race, e))
            atomic_fetch_add(&bad_reads, 1);
        cr_remove(&race, h);
        if (cr_contains(&race, s))
            atomic_fetch_add(&bad_reads, 1);
    }
    atomic_fetch_add(&writers_done, 1);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    long rounds = 0;
    while (atomic_load(&writers_done) < WRITERS || rounds < 1000) {
        if (!cr_contains(&race, 0x42000) || cr_contains(&race, 0x43000))
            atomic_fetch_add(&bad_reads, 1);
        for (int w = 0; w < WRITERS; w++)
            if (cr_contains(&race, region(w) + 0x800))
                atomic_fetch_add(&bad_reads, 1);
        rounds++;
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    (void)state;
    weft_error err;
    assert_int_equal(cr_init(&race, host_realloc, NULL, &err), WEFT_OK);
    cr_entry *fixed;
    assert_int_equal(cr_add(&race, 0x40000, 0x43000, &fixed, &err), WEFT_OK);
    pthread_t t[WRITERS + READERS];
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, NULL), 0);
    for (int w = 0; w < WRITERS; w++)
        assert_int_equal(pthread_create(&t[READERS + w], NULL, writer, (void *)(intptr_t)w), 0);
    for (int i = 0; i < WRITERS + READERS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&bad_reads), 0);
    cr_destroy(&race);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_growth_and_reuse),
        cmocka_unit_test(test_signal_handler),
        cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

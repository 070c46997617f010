/*
 * test_grow_fail.c -- memory.grow failure injection (weft_config.grow_fail):
 * exactly which grows each mode fails, that grows by 0 are not counted and
 * grows past the maximum are, that a failed grow changes nothing, that the
 * count stays exact under concurrent grows, that the wasm instruction and
 * weft_memory_grow share it, and which settings weft_engine_new rejects.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/memory.h"
#include "support/wasm_file.h"

static weft_engine *engine_failing(weft_grow_fail_mode mode, uint64_t n, double p, uint64_t seed)
{
    weft_config c;
    weft_config_init(&c);
    c.grow_fail.mode = mode;
    c.grow_fail.n = n;
    c.grow_fail.probability = p;
    c.grow_fail.seed = seed;
    weft_engine *e = NULL;
    weft_error err;
    assert_int_equal(weft_engine_new(&c, &e, &err), WEFT_OK);
    return e;
}

static weft_memory *memory_of(weft_engine *e, uint64_t min, uint64_t max)
{
    weft_limits l = {.min = min, .max = max, .has_max = true, .shared = true};
    weft_memory *m = NULL;
    weft_error err;
    assert_int_equal(weft_memory_new(e, &l, &m, &err), WEFT_OK);
    return m;
}

/* Makes `count` grows by one page; fails[k] = grow k + 1 returned -1.  Checks
 * that a grow changes the size by exactly its outcome.  Before each, a grow
 * by 0: a size query, never counted nor failed, so it must not shift which
 * grows fail. */
static void grow_many(weft_memory *m, int count, bool *fails)
{
    for (int k = 0; k < count; k++) {
        uint64_t before = mem_size(m) / WASM_PAGE_SIZE;
        assert_int_equal(mem_grow(m, 0), (int64_t)before);
        int64_t r = mem_grow(m, 1);
        fails[k] = r < 0;
        if (fails[k]) {
            assert_int_equal(mem_size(m) / WASM_PAGE_SIZE, before);
        } else {
            assert_int_equal(r, (int64_t)before);
            assert_int_equal(mem_size(m) / WASM_PAGE_SIZE, before + 1);
        }
    }
}

/* `count` grows of a fresh memory of an engine with that setting: which
 * failed, and how many. */
static int pattern(weft_grow_fail_mode mode, uint64_t n, double p, uint64_t seed, int count,
                   bool *fails)
{
    weft_engine *e = engine_failing(mode, n, p, seed);
    weft_memory *m = memory_of(e, 0, 65536);
    grow_many(m, count, fails);
    int failed = 0;
    for (int k = 0; k < count; k++)
        failed += fails[k];
    weft_memory_free(m);
    weft_engine_free(e);
    return failed;
}

static void test_default_injects_nothing(void **state)
{
    (void)state;
    weft_config c;
    weft_config_init(&c);
    assert_int_equal(c.grow_fail.mode, WEFT_GROW_FAIL_NONE);
    bool fails[100];
    assert_int_equal(pattern(WEFT_GROW_FAIL_NONE, 1, 1.0, 0, 100, fails), 0);
}

static void test_after(void **state)
{
    (void)state;
    bool fails[8];
    assert_int_equal(pattern(WEFT_GROW_FAIL_AFTER, 3, 0, 0, 8, fails), 5);
    for (int k = 0; k < 8; k++)
        assert_int_equal(fails[k], k + 1 > 3);

    /* after:0 fails every grow, the first one included. */
    assert_int_equal(pattern(WEFT_GROW_FAIL_AFTER, 0, 0, 0, 5, fails), 5);
}

static void test_every(void **state)
{
    (void)state;
    bool fails[12];
    assert_int_equal(pattern(WEFT_GROW_FAIL_EVERY, 3, 0, 0, 12, fails), 4);
    for (int k = 0; k < 12; k++)
        assert_int_equal(fails[k], (k + 1) % 3 == 0);

    /* every:1 fails them all. */
    assert_int_equal(pattern(WEFT_GROW_FAIL_EVERY, 1, 0, 0, 4, fails), 4);
}

/* A grow past the maximum counts as grow k like any other: with every:2 the
 * grows numbered 2, 4, ... fail by injection whether or not they would fit. */
static void test_grows_past_max_count(void **state)
{
    (void)state;
    weft_engine *e = engine_failing(WEFT_GROW_FAIL_EVERY, 2, 0, 0);
    weft_memory *m = memory_of(e, 0, 2);
    assert_int_equal(mem_grow(m, 5), -1); /* 1: past the maximum */
    assert_int_equal(mem_grow(m, 1), -1); /* 2: injected */
    assert_int_equal(mem_grow(m, 1), 0);  /* 3 */
    assert_int_equal(mem_grow(m, 1), -1); /* 4: injected */
    assert_int_equal(mem_grow(m, 1), 1);  /* 5 */
    assert_int_equal(mem_grow(m, 1), -1); /* 6: injected (and at the maximum) */
    assert_int_equal(mem_grow(m, 1), -1); /* 7: at the maximum */
    assert_int_equal(mem_size(m), 2 * WASM_PAGE_SIZE);
    weft_memory_free(m);
    weft_engine_free(e);
}

/* The draws weft.h documents: splitmix64 from `seed`, one per counted grow,
 * failing when the top 53 bits are below probability * 2^53. */
static bool reference_fails(uint64_t *state, double p)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    z ^= z >> 31;
    return (double)(z >> 11) < ldexp(p, 53);
}

static int random_pattern(uint64_t seed, double p, int count, bool *fails)
{
    return pattern(WEFT_GROW_FAIL_RANDOM, 0, p, seed, count, fails);
}

#define DRAWS 4000

static void test_random(void **state)
{
    (void)state;
    static bool a[DRAWS], b[DRAWS];
    /* Exactly the documented sequence. */
    uint64_t s = 42;
    int failed = random_pattern(42, 0.25, DRAWS, a);
    for (int k = 0; k < DRAWS; k++)
        assert_int_equal(a[k], reference_fails(&s, 0.25));
    /* About a quarter of them, and the same ones for the same seed... */
    assert_in_range(failed, DRAWS / 4 - 200, DRAWS / 4 + 200);
    assert_int_equal(random_pattern(42, 0.25, DRAWS, b), failed);
    assert_memory_equal(a, b, sizeof a);
    /* ...but not for another seed. */
    random_pattern(43, 0.25, DRAWS, b);
    assert_true(memcmp(a, b, sizeof a) != 0);
    /* 0 never fails, 1 always does. */
    assert_int_equal(random_pattern(7, 0.0, DRAWS, a), 0);
    assert_int_equal(random_pattern(7, 1.0, DRAWS, a), DRAWS);
}

/* weft_memory_grow and the memory.grow instruction count in one sequence. */
static void test_api_and_wasm_share_the_count(void **state)
{
    (void)state;
    weft_engine *e = engine_failing(WEFT_GROW_FAIL_EVERY, 2, 0, 0);
    weft_module *mod = test_module_load(e, "grow_stress"); /* imports a shared memory */
    weft_memory *m = memory_of(e, 1, 1024);
    weft_extern imp = {.kind = WEFT_EXTERN_MEMORY, .of.memory = m};
    weft_instance *inst;
    weft_error err;
    assert_int_equal(weft_instance_new(mod, &imp, 1, &inst, &err), WEFT_OK);
    weft_func *grow1 = test_export_func(inst, "grow1");

    uint64_t old = 99;
    assert_int_equal(weft_memory_grow(m, 1, &old, &err), WEFT_OK); /* 1 */
    assert_int_equal(old, 1);
    weft_val r;
    assert_int_equal(weft_call(grow1, NULL, 0, &r, 1, &err), WEFT_OK); /* 2 */
    assert_int_equal(r.of.i32, -1);
    assert_int_equal(weft_call(grow1, NULL, 0, &r, 1, &err), WEFT_OK); /* 3 */
    assert_int_equal(r.of.i32, 2);
    old = 99;
    assert_int_equal(weft_memory_grow(m, 1, &old, &err), WEFT_NOMEM); /* 4 */
    assert_int_equal(old, 99);
    assert_int_equal(err.code, WEFT_E_OUT_OF_MEMORY);
    assert_non_null(strstr(err.message, "injected"));
    /* A grow by 0 through the API does not count either. */
    assert_int_equal(weft_memory_grow(m, 0, &old, &err), WEFT_OK);
    assert_int_equal(old, 3);
    assert_int_equal(weft_call(grow1, NULL, 0, &r, 1, &err), WEFT_OK); /* 5 */
    assert_int_equal(r.of.i32, 3);
    assert_int_equal(weft_memory_size(m), 4 * WASM_PAGE_SIZE);

    weft_instance_free(inst);
    weft_memory_free(m);
    weft_module_free(mod);
    weft_engine_free(e);
}

/* ---- under concurrency -------------------------------------------------- */

#define THREADS 4
#define GROWS_EACH 150

typedef struct grower {
    weft_memory *m;
    pthread_barrier_t *start;
    int ok, failed;
} grower;

static void *grow_thread(void *arg)
{
    grower *g = arg;
    pthread_barrier_wait(g->start);
    for (int k = 0; k < GROWS_EACH; k++) {
        if (mem_grow(g->m, 1) < 0)
            g->failed++;
        else
            g->ok++;
        (void)mem_grow(g->m, 0);
    }
    return NULL;
}

/* Grows from THREADS threads at once; returns how many failed in all. */
static int concurrent_failures(weft_engine *e)
{
    weft_memory *m = memory_of(e, 0, 65536);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    grower g[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        g[i] = (grower){.m = m, .start = &start};
        assert_int_equal(pthread_create(&t[i], NULL, grow_thread, &g[i]), 0);
    }
    int ok = 0, failed = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ok += g[i].ok;
        failed += g[i].failed;
    }
    pthread_barrier_destroy(&start);
    assert_int_equal(ok + failed, THREADS * GROWS_EACH);
    assert_int_equal(mem_size(m), (uint64_t)ok * WASM_PAGE_SIZE);
    weft_memory_free(m);
    return failed;
}

static void test_concurrent_counts_are_exact(void **state)
{
    (void)state;
    const int total = THREADS * GROWS_EACH;
    weft_engine *e = engine_failing(WEFT_GROW_FAIL_AFTER, 123, 0, 0);
    assert_int_equal(concurrent_failures(e), total - 123);
    weft_engine_free(e);
    e = engine_failing(WEFT_GROW_FAIL_EVERY, 7, 0, 0);
    assert_int_equal(concurrent_failures(e), total / 7);
    weft_engine_free(e);
    /* random: the same number of failures as one thread sees, whoever draws. */
    static bool one[THREADS * GROWS_EACH];
    int expect = random_pattern(5, 0.3, total, one);
    e = engine_failing(WEFT_GROW_FAIL_RANDOM, 0, 0.3, 5);
    assert_int_equal(concurrent_failures(e), expect);
    weft_engine_free(e);
}

/* ---- settings ----------------------------------------------------------- */

static void expect_rejected(weft_grow_fail_mode mode, uint64_t n, double p, const char *words)
{
    weft_config c;
    weft_config_init(&c);
    c.grow_fail.mode = mode;
    c.grow_fail.n = n;
    c.grow_fail.probability = p;
    weft_engine *e = NULL;
    weft_error err;
    assert_int_equal(weft_engine_new(&c, &e, &err), WEFT_BAD_ARGUMENT);
    assert_null(e);
    if (!strstr(err.message, words))
        fail_msg("'%s' does not say '%s'", err.message, words);
}

static void test_bad_settings(void **state)
{
    (void)state;
    expect_rejected(WEFT_GROW_FAIL_EVERY, 0, 0, "n >= 1");
    expect_rejected(WEFT_GROW_FAIL_RANDOM, 0, 1.5, "between 0 and 1");
    expect_rejected(WEFT_GROW_FAIL_RANDOM, 0, -0.1, "between 0 and 1");
    expect_rejected(WEFT_GROW_FAIL_RANDOM, 0, NAN, "between 0 and 1");
    expect_rejected((weft_grow_fail_mode)99, 0, 0, "unknown mode");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_injects_nothing),
        cmocka_unit_test(test_after),
        cmocka_unit_test(test_every),
        cmocka_unit_test(test_grows_past_max_count),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_api_and_wasm_share_the_count),
        cmocka_unit_test(test_concurrent_counts_are_exact),
        cmocka_unit_test(test_bad_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

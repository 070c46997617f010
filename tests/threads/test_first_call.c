/*
 * test_first_call.c -- threads racing to the first calls of a module's
 * functions make each function's code once (engine/compile.c, cmp_get's code
 * locks), in whichever tier WEFT_TIER selects: weft_engine_tier_stats counts
 * every function made, so a second translation or compilation shows up.
 * weft_module_prepare makes them all ahead of any call.
 */
#include <pthread.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>

#include "support/wasm_file.h"

enum { NTHREADS = 8, NFUNCS = 32, ROUNDS = 20 };

typedef struct racer {
    weft_module *module;
    pthread_barrier_t *start;
    uint32_t seed;
    int failures;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    weft_instance *inst;
    weft_error err;
    if (weft_instance_new(r->module, NULL, 0, &inst, &err) != WEFT_OK) {
        r->failures++;
        return NULL;
    }
    pthread_barrier_wait(r->start);
    for (uint32_t k = 0; k < NFUNCS; k++) {
        uint32_t i = (k * 7 + r->seed) % NFUNCS; /* each thread its own order */
        char name[8];
        snprintf(name, sizeof name, "f%u", i);
        weft_func *f = test_export_func(inst, name);
        weft_val a = {.kind = WEFT_I32, .of.i32 = (int32_t)r->seed}, out;
        if (weft_call(f, &a, 1, &out, 1, &err) != WEFT_OK ||
            out.of.i32 != (int32_t)(r->seed * (i + 3) + i))
            r->failures++;
    }
    weft_instance_free(inst);
    return NULL;
}

static void test_made_once(void **state)
{
    (void)state;
    for (int round = 0; round < ROUNDS; round++) {
        weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
        weft_module *m = test_module_load(e, "first_calls");
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, NTHREADS);
        pthread_t t[NTHREADS];
        racer r[NTHREADS];
        for (uint32_t i = 0; i < NTHREADS; i++) {
            r[i] = (racer){.module = m, .start = &start, .seed = i * 5};
            assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
        }
        for (uint32_t i = 0; i < NTHREADS; i++) {
            pthread_join(t[i], NULL);
            assert_int_equal(r[i].failures, 0);
        }
        pthread_barrier_destroy(&start);
        uint64_t compiled, interpreted;
        weft_engine_tier_stats(e, &compiled, &interpreted);
        assert_int_equal(compiled + interpreted, NFUNCS);
        weft_module_free(m);
        weft_engine_free(e);
    }
}

/* weft_module_prepare makes every function's code up front, once: first
 * calls after it (from racing threads too) make nothing more. */
static void test_prepare(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = test_module_load(e, "first_calls");
    weft_error err;
    uint64_t compiled, interpreted;
    weft_engine_tier_stats(e, &compiled, &interpreted);
    assert_int_equal(compiled + interpreted, 0);
    assert_int_equal(weft_module_prepare(m, &err), WEFT_OK);
    weft_engine_tier_stats(e, &compiled, &interpreted);
    assert_int_equal(compiled + interpreted, NFUNCS);
    assert_int_equal(weft_module_prepare(m, &err), WEFT_OK); /* again: nothing new */
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    pthread_t t[2];
    racer r[2];
    for (uint32_t i = 0; i < 2; i++) {
        r[i] = (racer){.module = m, .start = &start, .seed = i + 1};
        assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    for (uint32_t i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].failures, 0);
    }
    pthread_barrier_destroy(&start);
    uint64_t c2, i2;
    weft_engine_tier_stats(e, &c2, &i2);
    assert_int_equal(c2, compiled);
    assert_int_equal(i2, interpreted);
    weft_module_free(m);
    weft_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_made_once),
        cmocka_unit_test(test_prepare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

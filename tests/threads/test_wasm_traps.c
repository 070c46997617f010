/*
 * test_wasm_traps.c -- a wasm out-of-bounds access traps only the thread that
 * made it (DESIGN.md invariant 2), through the public API: one thread takes
 * many guard-page traps while another runs a long wasm loop in its own
 * instance and must finish with the exact result.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/signals.h"
#include "support/wasm_file.h"
#include "weft.h"

typedef struct fixture {
    weft_engine *engine;
    weft_module *module;
} fixture;

static void open_fixture(fixture *fx, weft_bounds_mode bounds)
{
    fx->engine = test_engine_new(bounds);
    fx->module = test_module_load(fx->engine, "trap_isolation");
}

static void close_fixture(fixture *fx)
{
    weft_module_free(fx->module);
    weft_engine_free(fx->engine);
}

typedef struct spinner {
    weft_module *module;
    int64_t n;
    int rounds;
    weft_status status;
    int64_t result;
} spinner;

static void *spin_main(void *arg)
{
    spinner *s = arg;
    weft_error err;
    weft_instance *inst;
    s->status = weft_instance_new(s->module, NULL, 0, &inst, &err);
    if (s->status != WEFT_OK)
        return NULL;
    weft_extern ext;
    weft_instance_export(inst, "spin", 4, &ext);
    for (int r = 0; r < s->rounds && s->status == WEFT_OK; r++) {
        weft_val arg_v = {.kind = WEFT_I64, .of.i64 = s->n}, res;
        s->status = weft_call(ext.of.func, &arg_v, 1, &res, 1, &err);
        s->result = res.of.i64;
    }
    weft_instance_free(inst);
    return NULL;
}

static int64_t expected_spin(int64_t n)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i < (uint64_t)n; i++)
        sum += i * 3 + 1;
    return (int64_t)sum;
}

static void run_isolation(weft_bounds_mode bounds)
{
    fixture fx;
    open_fixture(&fx, bounds);
    spinner s = {.module = fx.module, .n = 2000000, .rounds = 20};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, spin_main, &s), 0);

    weft_instance *inst;
    weft_error err;
    assert_int_equal(weft_instance_new(fx.module, NULL, 0, &inst, &err), WEFT_OK);
    weft_func *load = test_export_func(inst, "load");
    int traps = 0;
    for (int i = 0; i < 2000; i++) {
        /* Past the one page, at several distances: all land in the guard. */
        uint32_t addr = 65536 - 3 + (uint32_t)(i % 7) * 4099u;
        weft_val a = {.kind = WEFT_I32, .of.i32 = (int32_t)addr}, r;
        weft_status st = weft_call(load, &a, 1, &r, 1, &err);
        assert_int_equal(st, WEFT_TRAP);
        assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
        traps++;
    }
    /* The trapping thread keeps working normally afterwards. */
    weft_val a = {.kind = WEFT_I32, .of.i32 = 8}, r;
    assert_int_equal(weft_call(load, &a, 1, &r, 1, &err), WEFT_OK);
    assert_int_equal(r.of.i32, 0);
    weft_instance_free(inst);

    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(s.status, WEFT_OK);
    assert_true(s.result == expected_spin(s.n));
    assert_int_equal(traps, 2000);
    close_fixture(&fx);
}

static void test_trap_isolation_guard(void **state)
{
    (void)state;
    test_traps_on();
    run_isolation(WEFT_BOUNDS_GUARD);
    test_traps_off();
}

static void test_trap_isolation_software(void **state)
{
    (void)state;
    run_isolation(WEFT_BOUNDS_SOFTWARE);
}

int main(void)
{
    if (!test_signals_save()) {
        fprintf(stderr, "cannot install weft's signal handler\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trap_isolation_guard),
        cmocka_unit_test(test_trap_isolation_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_emit_table.c -- the compiler tier's templates for references, tables,
 * bulk memory, segments and the v128 moves (jit/emit_table.c), on
 * tests/wat/jit_table.wat, in both bounds modes: every function compiles
 * (none falls back to the interpreter), results and traps are the
 * interpreter's, and a bulk operation that traps writes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "support/wasm_file.h"
#include "weft.h"

typedef struct fixture {
    weft_engine *engine;
    weft_module *module;
    weft_instance *inst;
} fixture;

/* An engine with the compiler tier, or NULL where there is none. */
static bool fixture_new(fixture *fx, weft_bounds_mode bounds)
{
    weft_config c;
    weft_config_init(&c);
    c.bounds = bounds;
    c.tier = WEFT_TIER_JIT;
    weft_error err;
    memset(fx, 0, sizeof *fx);
    weft_status st = weft_engine_new(&c, &fx->engine, &err);
    if (st == WEFT_UNSUPPORTED)
        return false;
    assert_int_equal(st, WEFT_OK);
    fx->module = test_module_load(fx->engine, "jit_table");
    assert_int_equal(weft_instance_new(fx->module, NULL, 0, &fx->inst, &err), WEFT_OK);
    return true;
}

static void fixture_free(fixture *fx)
{
    weft_instance_free(fx->inst);
    weft_module_free(fx->module);
    weft_engine_free(fx->engine);
}

/* Calls export `name` with up to three i32 arguments; its i32 result (0 when
 * it has none) in *out.  The status, with the error in *err. */
static weft_status call_i32(fixture *fx, const char *name, int nargs, const int32_t *args,
                            bool result, int32_t *out, weft_error *err)
{
    weft_val a[3], r;
    for (int i = 0; i < nargs; i++)
        a[i] = (weft_val){.kind = WEFT_I32, .of.i32 = args[i]};
    memset(&r, 0, sizeof r);
    weft_status st = weft_call(test_export_func(fx->inst, name), a, (size_t)nargs, &r,
                               result ? 1 : 0, err);
    *out = r.of.i32;
    return st;
}

#define ARGS(...) (int)(sizeof((int32_t[]){__VA_ARGS__}) / sizeof(int32_t)), (int32_t[]){__VA_ARGS__}

/* The i32 result of a call that must succeed. */
static int32_t value(fixture *fx, const char *name, int nargs, const int32_t *args)
{
    weft_error err;
    int32_t out;
    weft_status st = call_i32(fx, name, nargs, args, true, &out, &err);
    if (st != WEFT_OK)
        fail_msg("%s: %s", name, err.message);
    return out;
}

static void ok(fixture *fx, const char *name, int nargs, const int32_t *args)
{
    weft_error err;
    int32_t out;
    if (call_i32(fx, name, nargs, args, false, &out, &err) != WEFT_OK)
        fail_msg("%s: %s", name, err.message);
}

/* A call that must trap with `code`, its message the code's wording. */
static void traps(fixture *fx, const char *name, bool result, weft_code code, int nargs,
                  const int32_t *args)
{
    weft_error err;
    int32_t out;
    assert_int_equal(call_i32(fx, name, nargs, args, result, &out, &err), WEFT_TRAP);
    assert_int_equal(err.code, code);
    const char *text = weft_code_text(code);
    if (strncmp(err.message, text, strlen(text)) != 0)
        fail_msg("%s: \"%s\", expected \"%s\"", name, err.message, text);
}

static void check_tables(fixture *fx)
{
    assert_int_equal(value(fx, "is_null", ARGS(0)), 1);
    ok(fx, "set", ARGS(1));
    assert_int_equal(value(fx, "is_null", ARGS(1)), 0);
    assert_int_equal(value(fx, "call", ARGS(1, 5)), 6);
    traps(fx, "is_null", true, WEFT_E_OOB_TABLE, ARGS(4));
    traps(fx, "is_null", true, WEFT_E_OOB_TABLE, ARGS(-1));
    traps(fx, "set", false, WEFT_E_OOB_TABLE, ARGS(4));
    assert_int_equal(value(fx, "size", 0, NULL), 4);
    assert_int_equal(value(fx, "grow", ARGS(2)), 4);
    assert_int_equal(value(fx, "size", 0, NULL), 6);
    assert_int_equal(value(fx, "call", ARGS(5, 7)), 14);
    assert_int_equal(value(fx, "grow", ARGS(3)), -1); /* past the maximum, 8 */
    assert_int_equal(value(fx, "size", 0, NULL), 6);
    /* table.fill, table.copy, table.init check the whole range first. */
    traps(fx, "fill", false, WEFT_E_OOB_TABLE, ARGS(0, 7));
    assert_int_equal(value(fx, "call", ARGS(1, 5)), 6);
    ok(fx, "fill", ARGS(0, 1));
    assert_int_equal(value(fx, "call", ARGS(0, 3)), 6);
    ok(fx, "copy", ARGS(2, 0, 2)); /* [2] = dbl, [3] = inc */
    assert_int_equal(value(fx, "call", ARGS(2, 3)), 6);
    assert_int_equal(value(fx, "call", ARGS(3, 3)), 4);
    traps(fx, "copy", false, WEFT_E_OOB_TABLE, ARGS(0, 5, 2));
    assert_int_equal(value(fx, "call", ARGS(0, 3)), 6);
    ok(fx, "init", ARGS(0, 0, 2)); /* [0] = inc, [1] = dbl */
    assert_int_equal(value(fx, "call", ARGS(0, 3)), 4);
    assert_int_equal(value(fx, "call", ARGS(1, 3)), 6);
    traps(fx, "init", false, WEFT_E_OOB_TABLE, ARGS(5, 1, 2));
    ok(fx, "elem_drop", 0, NULL);
    ok(fx, "init", ARGS(6, 0, 0));
    traps(fx, "init", false, WEFT_E_OOB_TABLE, ARGS(0, 0, 1));
}

static void check_memory(fixture *fx)
{
    ok(fx, "mfill", ARGS(10, 0x1AB, 4)); /* the value's low byte */
    assert_int_equal(value(fx, "load8", ARGS(13)), 0xAB);
    assert_int_equal(value(fx, "load8", ARGS(14)), 0);
    traps(fx, "mfill", false, WEFT_E_OOB_MEMORY, ARGS(65534, 7, 3));
    assert_int_equal(value(fx, "load8", ARGS(65534)), 0);
    assert_int_equal(value(fx, "load8", ARGS(65535)), 0);
    ok(fx, "mcopy", ARGS(11, 10, 4)); /* overlapping: [11..15) = ab ab ab 00 */
    assert_int_equal(value(fx, "load8", ARGS(14)), 0xAB);
    assert_int_equal(value(fx, "load8", ARGS(15)), 0);
    traps(fx, "mcopy", false, WEFT_E_OOB_MEMORY, ARGS(65534, 10, 4));
    assert_int_equal(value(fx, "load8", ARGS(65534)), 0);
    traps(fx, "mcopy", false, WEFT_E_OOB_MEMORY, ARGS(20, 65534, 4));
    assert_int_equal(value(fx, "load8", ARGS(20)), 0);
    ok(fx, "minit", ARGS(100, 1, 3));
    assert_int_equal(value(fx, "load8", ARGS(100)), 2);
    assert_int_equal(value(fx, "load8", ARGS(102)), 4);
    traps(fx, "minit", false, WEFT_E_OOB_MEMORY, ARGS(200, 2, 3));
    assert_int_equal(value(fx, "load8", ARGS(200)), 0);
    traps(fx, "minit", false, WEFT_E_OOB_MEMORY, ARGS(65535, 0, 2));
    ok(fx, "data_drop", 0, NULL);
    ok(fx, "minit", ARGS(0, 0, 0));
    traps(fx, "minit", false, WEFT_E_OOB_MEMORY, ARGS(0, 0, 1));
}

static weft_val v128_of(uint64_t lo, uint64_t hi)
{
    weft_val v = {.kind = WEFT_V128};
    memcpy(v.of.v128, &lo, 8);
    memcpy(v.of.v128 + 8, &hi, 8);
    return v;
}

static void expect_v128(fixture *fx, const char *name, const weft_val *args, size_t nargs,
                        uint64_t lo, uint64_t hi)
{
    weft_val r, want = v128_of(lo, hi);
    weft_error err;
    if (weft_call(test_export_func(fx->inst, name), args, nargs, &r, 1, &err) != WEFT_OK)
        fail_msg("%s: %s", name, err.message);
    assert_int_equal(r.kind, WEFT_V128);
    assert_memory_equal(r.of.v128, want.of.v128, 16);
}

static void check_v128(fixture *fx)
{
    weft_val one = {.kind = WEFT_I32, .of.i32 = 1}, zero = {.kind = WEFT_I32, .of.i32 = 0};
    expect_v128(fx, "gv", NULL, 0, 1, 2);
    expect_v128(fx, "sel", &one, 1, 1, 2);
    expect_v128(fx, "sel", &zero, 1, 3, 4);
    weft_val v = v128_of(0x0123456789ABCDEFull, 0xFEDCBA9876543210ull);
    weft_error err;
    assert_int_equal(weft_call(test_export_func(fx->inst, "sv"), &v, 1, NULL, 0, &err), WEFT_OK);
    expect_v128(fx, "gv", NULL, 0, 0x0123456789ABCDEFull, 0xFEDCBA9876543210ull);
    expect_v128(fx, "sel", &one, 1, 0x0123456789ABCDEFull, 0xFEDCBA9876543210ull);
}

static void run(weft_bounds_mode bounds)
{
    fixture fx;
    if (!fixture_new(&fx, bounds)) {
        skip();
        return;
    }
    check_tables(&fx);
    check_memory(&fx);
    check_v128(&fx);
    uint64_t compiled = 0, interpreted = 0;
    weft_engine_tier_stats(fx.engine, &compiled, &interpreted);
    assert_int_equal(interpreted, 0);
    assert_true(compiled >= 19); /* the module's 19 functions */
    fixture_free(&fx);
}

static void test_guard(void **state)
{
    (void)state;
    run(WEFT_BOUNDS_GUARD);
}

static void test_software(void **state)
{
    (void)state;
    run(WEFT_BOUNDS_SOFTWARE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guard),
        cmocka_unit_test(test_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

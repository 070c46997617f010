/*
 * test_fusion.c -- the translator's fused instructions (engine/code.h): loads
 * and stores that take back the i32.add of their address (_A variants) and
 * compare-and-branches that take back the i32.add of their first operand
 * (ADD_BR_<cmp>).  Each must keep the unfused semantics exactly: the address
 * sum wraps at 2^32 before the offset is added, an access past the end traps
 * (guard and software bounds), and the loop counters wrap and compare with the
 * right signedness.  The test also checks that the fusion happened, so the
 * semantics checks are not of the unfused code by accident.
 *
 * The module is tests/wat/fusion.wat.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "engine/module.h"
#include "support/code_probe.h"
#include "weft.h"

/* Calls export `name` with i32 arguments; *res gets the i32 result, if any. */
static weft_status call(fixture *fx, const char *name, uint32_t *res, int nargs, ...)
{
    weft_func *f = test_export_func(fx->inst, name);
    weft_val args[4], out;
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs; i++)
        args[i] = (weft_val){.kind = WEFT_I32, .of.i32 = (int32_t)va_arg(ap, uint32_t)};
    va_end(ap);
    weft_error err;
    memset(&out, 0, sizeof out);
    weft_status st = weft_call(f, args, (size_t)nargs, &out, res ? 1 : 0, &err);
    if (st == WEFT_TRAP)
        assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
    if (res)
        *res = (uint32_t)out.of.i32;
    return st;
}

static uint32_t call_ok(fixture *fx, const char *name, int nargs, uint32_t a, uint32_t b,
                        uint32_t c)
{
    uint32_t r = 0;
    assert_int_equal(call(fx, name, &r, nargs, a, b, c), WEFT_OK);
    return r;
}

static void run_fusion(weft_bounds_mode bounds)
{
    fixture fx;
    fixture_open(&fx, "fusion", bounds);
    bool sw = bounds == WEFT_BOUNDS_SOFTWARE;

    /* The translator fused what this test is about (function indexes as in
     * fusion.wat). */
    assert_true(fixture_count_op(&fx, 0, sw ? CO_I32_LOAD_A_SW : CO_I32_LOAD_A) > 0);
    assert_true(fixture_count_op(&fx, 1, sw ? CO_I32_LOAD8_U_A_SW : CO_I32_LOAD8_U_A) > 0);
    assert_true(fixture_count_op(&fx, 3, sw ? CO_I32_STORE_A_SW : CO_I32_STORE_A) > 0);
    assert_true(fixture_count_op(&fx, 4, CO_ADD_BR_I32_LT_U) > 0);
    assert_true(fixture_count_op(&fx, 5, CO_ADD_BR_I32_GE_S) > 0);
    assert_true(fixture_count_op(&fx, 6, CO_ADD_BR_I32_NE) > 0); /* the if branches around: negated */

    /* Stores at a wrapped address: 5 + 0xFFFFFFFF is 4. */
    assert_int_equal(call(&fx, "store_add_ref", NULL, 3, 5, 0xFFFFFFFFu, 0xAABBCCDDu), WEFT_OK);
    assert_int_equal(call_ok(&fx, "load_add", 2, 0xFFFFFFFEu, 2, 0), 0xAABBCCDDu);
    assert_int_equal(call_ok(&fx, "load8_add_const", 1, 5, 0, 0), 0xDD);
    assert_int_equal(call(&fx, "store_add", NULL, 3, 0xFFFFFFFFu, 1, 0x01020304u), WEFT_OK);
    assert_int_equal(call_ok(&fx, "load_add", 2, 2, 2, 0), 0x01020304u);

    /* The offset is added after the wrap, without wrapping itself. */
    uint32_t r;
    assert_int_equal(call(&fx, "load_add", &r, 2, 0xFFFFFFFFu, 0xFFFFFFFFu), WEFT_TRAP);
    assert_int_equal(call(&fx, "load8_add_const", &r, 1, 0), WEFT_TRAP);
    assert_int_equal(call(&fx, "load_add", &r, 2, 65532, 0), WEFT_TRAP);
    assert_int_equal(call_ok(&fx, "load_add", 2, 65528, 0, 0), 0);
    assert_int_equal(call(&fx, "store_add", NULL, 3, 65520, 8, 7), WEFT_TRAP);
    assert_int_equal(call(&fx, "store_add_ref", NULL, 3, 0x10000u, 0xFFFFFFFDu, 7), WEFT_TRAP);
    assert_int_equal(call_ok(&fx, "load_add", 2, 65524, 0, 0), 0); /* nothing written */

    /* Loops closed by ADD_BR: the sum wraps; signed and unsigned compares. */
    assert_int_equal(call_ok(&fx, "count_lt_u", 3, 0, 3, 10), 4);
    assert_int_equal(call_ok(&fx, "count_lt_u", 3, 0xFFFFFFF8u, 8, 20), 4);
    assert_int_equal(call_ok(&fx, "count_lt_u", 3, 0xFFFFFFF0u, 8, 20), 1);
    assert_int_equal(call_ok(&fx, "count_ge_s", 3, (uint32_t)-10, 3, 0), 4);
    assert_int_equal(call_ok(&fx, "count_ge_s", 3, 0x7FFFFFFEu, 1, 0x7FFFFFFFu), 1);
    assert_int_equal(call_ok(&fx, "sum_eq", 3, 1, 2, 3), 1);
    assert_int_equal(call_ok(&fx, "sum_eq", 3, 0xFFFFFFFFu, 2, 1), 1);
    assert_int_equal(call_ok(&fx, "sum_eq", 3, 1, 2, 4), 0);

    /* A value whose fused form also writes the store's address operand (a
     * tee'd scaled pair, a tee'd compare): the store goes to the address of
     * before.  Translated wrong until 2026-12-06 (the store went to 216).
     * (load_add reads at a + b + 4.) */
    assert_int_equal(call(&fx, "store_add_ref", NULL, 3, 212, 0, 77), WEFT_OK);
    assert_int_equal(call(&fx, "store_add_ref", NULL, 3, 104, 0, 0), WEFT_OK);
    assert_int_equal(call(&fx, "store_add_ref", NULL, 3, 216, 0, 0), WEFT_OK);
    assert_int_equal(call(&fx, "store_tee_scaled", NULL, 4, 100, 4, 200, 3), WEFT_OK);
    assert_int_equal(call_ok(&fx, "load_add", 2, 100, 0, 0), 77);
    assert_int_equal(call_ok(&fx, "load_add", 2, 212, 0, 0), 0);
    /* 300 + 8, x = 5 < y = 9: q becomes 1, the store still goes to 308. */
    assert_int_equal(call(&fx, "store_add_ref", NULL, 3, 300, 0, 0), WEFT_OK);
    assert_int_equal(call(&fx, "store_tee_select", NULL, 4, 300, 8, 5, 9), WEFT_OK);
    assert_int_equal(call_ok(&fx, "load_add", 2, 304, 0, 0), 5);
    assert_int_equal(call_ok(&fx, "load_add", 2, 297, 0, 0), 0);
    fixture_close(&fx);
}

static void test_fusion_guard(void **state)
{
    (void)state;
    run_fusion(WEFT_BOUNDS_GUARD);
}

static void test_fusion_software(void **state)
{
    (void)state;
    run_fusion(WEFT_BOUNDS_SOFTWARE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fusion_guard),
        cmocka_unit_test(test_fusion_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

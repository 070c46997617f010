/*
 * test_speed.c -- fused forms of the translator (engine/code.h) added for
 * single-threaded speed: ID_MM_MST (a read-modify-write by a product of
 * three), ID_MA (a binary op on a fused-address load) and L_BR_<cmp> /
 * L_BR_NZ / L_BR_Z (an i32.load fused into the branch on its value).  Each is
 * checked to be emitted, to give the unfused results (rounding, NaN bits,
 * wrapping address sums, signed and unsigned compares, swapped operands, the
 * loaded value still written) and to trap before writing anything, in both
 * bounds modes.  The module is tests/wat/speed.wat (function indexes as there).
 */
#include <math.h>
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
#include "support/signals.h"
#include "weft.h"

static weft_val f64v(double v) { return (weft_val){.kind = WEFT_F64, .of.f64 = v}; }
static weft_val i32v(uint32_t v) { return (weft_val){.kind = WEFT_I32, .of.i32 = (int32_t)v}; }

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* Calls a function of (i32, f64, f64, f64) with no result. */
static weft_status mm(fixture *fx, const char *name, uint32_t p, double a, double b, double c)
{
    weft_val args[4] = {i32v(p), f64v(a), f64v(b), f64v(c)}, out;
    return fixture_try_call(fx, name, args, 4, &out, 0);
}

static void stf(fixture *fx, uint32_t p, double v)
{
    weft_val args[2] = {i32v(p), f64v(v)}, out;
    assert_int_equal(fixture_try_call(fx, "stf", args, 2, &out, 0), WEFT_OK);
}

static double ldf(fixture *fx, uint32_t p)
{
    weft_val a = i32v(p);
    return fixture_call(fx, "ldf", &a, 1).of.f64;
}

static void st32(fixture *fx, uint32_t p, uint32_t v)
{
    weft_val args[2] = {i32v(p), i32v(v)}, out;
    assert_int_equal(fixture_try_call(fx, "st32", args, 2, &out, 0), WEFT_OK);
}

static uint32_t ld8(fixture *fx, uint32_t p)
{
    weft_val a = i32v(p);
    return (uint32_t)fixture_call(fx, "ld8", &a, 1).of.i32;
}

static weft_status call2(fixture *fx, const char *name, weft_val a, weft_val b, weft_val *out)
{
    weft_val args[2] = {a, b};
    return fixture_try_call(fx, name, args, 2, out, 1);
}

static uint32_t u32_2(fixture *fx, const char *name, uint32_t a, uint32_t b)
{
    weft_val out;
    assert_int_equal(call2(fx, name, i32v(a), i32v(b), &out), WEFT_OK);
    return (uint32_t)out.of.i32;
}

static uint32_t u32_1(fixture *fx, const char *name, uint32_t a)
{
    weft_val x = i32v(a), out;
    assert_int_equal(fixture_try_call(fx, name, &x, 1, &out, 1), WEFT_OK);
    return (uint32_t)out.of.i32;
}

static void run_mm_mst(weft_bounds_mode bounds)
{
    fixture fx;
    fixture_open(&fx, "speed", bounds);
    bool sw = bounds == WEFT_BOUNDS_SOFTWARE;
    assert_int_equal(fixture_count_op(&fx, 0, sw ? CO_F64_SUB_MM_MST_SW : CO_F64_SUB_MM_MST), 1);
    assert_int_equal(fixture_count_op(&fx, 1, sw ? CO_F64_ADD_MM_MST_SW : CO_F64_ADD_MM_MST), 1);
    assert_int_equal(fixture_count_op(&fx, 0, CO_P_F64_MUL_F64_MUL_L), 0);
    /* The product kept in a local: the pair stays, only the MST forms. */
    assert_int_equal(fixture_count_op(&fx, 2, sw ? CO_F64_SUB_MM_MST_SW : CO_F64_SUB_MM_MST), 0);
    assert_int_equal(fixture_count_op(&fx, 2, CO_P_F64_MUL_F64_MUL_L), 1);

    /* Each product rounded: the same expression in C, op by op. */
    volatile double a = 0.1, b = 0.2, c = 0.3, m = 1.0;
    double p1 = a * b;
    double p = p1 * c;
    double want_sub = m - p, want_add = m + p;
    stf(&fx, 108, 1.0);
    assert_int_equal(mm(&fx, "mm_sub", 100, a, b, c), WEFT_OK);
    assert_true(bits(ldf(&fx, 108)) == bits(want_sub));
    stf(&fx, 208, 1.0);
    assert_int_equal(mm(&fx, "mm_add", 200, a, b, c), WEFT_OK);
    assert_true(bits(ldf(&fx, 208)) == bits(want_add));
    /* The local keeps the product; memory gets m - p. */
    stf(&fx, 308, 1.0);
    weft_val args[4] = {i32v(300), f64v(a), f64v(b), f64v(c)};
    assert_true(bits(fixture_call(&fx, "mm_keep", args, 4).of.f64) == bits(p));
    assert_true(bits(ldf(&fx, 308)) == bits(want_sub));
    /* Infinity times zero: a NaN with the machine's bits, as unfused code. */
    volatile double inf = INFINITY, zero = 0.0;
    double nan_p = (inf * zero) * 2.0;
    stf(&fx, 408, 5.0);
    assert_int_equal(mm(&fx, "mm_sub", 400, inf, zero, 2.0), WEFT_OK);
    volatile double five = 5.0;
    assert_true(bits(ldf(&fx, 408)) == bits(five - nan_p));
    assert_true(isnan(ldf(&fx, 408)));

    /* Past the end (the 8 bytes at 65533): a trap, nothing written. */
    st32(&fx, 65532, 0xA1B2C3D4u);
    assert_int_equal(mm(&fx, "mm_sub", 65525, 1.0, 1.0, 1.0), WEFT_TRAP);
    assert_int_equal(mm(&fx, "mm_add", 65525, 1.0, 1.0, 1.0), WEFT_TRAP);
    assert_int_equal(ld8(&fx, 65533), 0xC3);
    assert_int_equal(ld8(&fx, 65535), 0xA1);
    assert_int_equal(mm(&fx, "mm_add", 0xFFFFFFF8u, 1.0, 1.0, 1.0), WEFT_TRAP); /* no wrap */
    assert_int_equal(mm(&fx, "mm_add", 65520, 1.0, 1.0, 1.0), WEFT_OK);       /* the last 8 */
    fixture_close(&fx);
}

static weft_status sub_ma(fixture *fx, uint32_t p, uint32_t i, double x, double *r)
{
    weft_val args[3] = {i32v(p), i32v(i), f64v(x)}, out;
    weft_status st = fixture_try_call(fx, "sub_ma", args, 3, &out, 1);
    *r = out.of.f64;
    return st;
}

static weft_status add_ma(fixture *fx, uint32_t p, uint32_t i, uint32_t x, uint32_t *r)
{
    weft_val args[3] = {i32v(p), i32v(i), i32v(x)}, out;
    weft_status st = fixture_try_call(fx, "add_ma", args, 3, &out, 1);
    *r = (uint32_t)out.of.i32;
    return st;
}

static void run_ma(weft_bounds_mode bounds)
{
    fixture fx;
    fixture_open(&fx, "speed", bounds);
    bool sw = bounds == WEFT_BOUNDS_SOFTWARE;
    assert_int_equal(fixture_count_op(&fx, 3, sw ? CO_F64_SUB_MA_SW : CO_F64_SUB_MA), 1);
    assert_int_equal(fixture_count_op(&fx, 4, sw ? CO_I32_ADD_MA_SW : CO_I32_ADD_MA), 1);
    double d;
    uint32_t u;
    /* x - p[i]: the load on the right of the sub; p + i wraps around. */
    stf(&fx, 1008, 0.25);
    assert_int_equal(sub_ma(&fx, 1000, 0, 1.0, &d), WEFT_OK);
    assert_true(d == 0.75);
    assert_int_equal(sub_ma(&fx, 990, 10, 1.0, &d), WEFT_OK);
    assert_true(d == 0.75);
    assert_int_equal(sub_ma(&fx, 0xFFFFFFF0u, 1000 + 16, 2.0, &d), WEFT_OK);
    assert_true(d == 1.75);
    /* i32 sums wrap. */
    st32(&fx, 2004, 0xFFFFFFFFu);
    assert_int_equal(add_ma(&fx, 2000, 0, 2, &u), WEFT_OK);
    assert_int_equal(u, 1);
    assert_int_equal(add_ma(&fx, 1, 1999, 0x80000000u, &u), WEFT_OK);
    assert_int_equal(u, 0x7FFFFFFFu);
    /* Past the end, by the index or by the offset. */
    assert_int_equal(sub_ma(&fx, 65520, 1, 0.0, &d), WEFT_TRAP);
    assert_int_equal(sub_ma(&fx, 65527, 0, 0.0, &d), WEFT_TRAP);
    assert_int_equal(sub_ma(&fx, 65520, 0, 0.0, &d), WEFT_OK);
    assert_int_equal(add_ma(&fx, 65530, 0, 0, &u), WEFT_TRAP);
    assert_int_equal(add_ma(&fx, 0xFFFFFFFFu, 65532, 0, &u), WEFT_TRAP);
    assert_int_equal(add_ma(&fx, 65528, 0, 0, &u), WEFT_OK);
    fixture_close(&fx);
}

static void run_load_br(weft_bounds_mode bounds)
{
    fixture fx;
    fixture_open(&fx, "speed", bounds);
    bool sw = bounds == WEFT_BOUNDS_SOFTWARE;
    assert_int_equal(fixture_count_op(&fx, 5, sw ? CO_L_BR_I32_LT_S_SW : CO_L_BR_I32_LT_S), 1);
    assert_int_equal(fixture_count_op(&fx, 6, sw ? CO_L_BR_I32_GT_U_SW : CO_L_BR_I32_GT_U), 1);
    assert_int_equal(fixture_count_op(&fx, 7, sw ? CO_L_BR_NZ_SW : CO_L_BR_NZ), 1);
    assert_int_equal(fixture_count_op(&fx, 8, sw ? CO_L_BR_Z_SW : CO_L_BR_Z), 1);
    assert_int_equal(fixture_count_op(&fx, 9, sw ? CO_L_BR_NZ_SW : CO_L_BR_NZ), 1);
    assert_int_equal(fixture_count_op(&fx, 5, sw ? CO_I32_LOAD_SW : CO_I32_LOAD), 0);

    /* Signed: -1 < 0 taken, 5 < 5 not. */
    st32(&fx, 104, 0xFFFFFFFFu);
    assert_int_equal(u32_2(&fx, "lbr_lt_s", 100, 0), 1);
    assert_int_equal(u32_2(&fx, "lbr_lt_s", 100, 0x80000000u), 2);
    st32(&fx, 104, 5);
    assert_int_equal(u32_2(&fx, "lbr_lt_s", 100, 5), 2);
    assert_int_equal(u32_2(&fx, "lbr_lt_s", 100, 6), 1);
    /* Unsigned, the load on the right: x < load. */
    st32(&fx, 200, 0xFFFFFFFFu);
    assert_int_equal(u32_2(&fx, "lbr_swap", 200, 0), 1);
    assert_int_equal(u32_2(&fx, "lbr_swap", 200, 0xFFFFFFFFu), 2);
    st32(&fx, 200, 7);
    assert_int_equal(u32_2(&fx, "lbr_swap", 200, 6), 1);
    assert_int_equal(u32_2(&fx, "lbr_swap", 200, 7), 2);
    /* A list 300 -> 308 -> 316 -> 0: the loaded link is the next p. */
    st32(&fx, 300, 308);
    st32(&fx, 308, 316);
    st32(&fx, 316, 0);
    assert_int_equal(u32_1(&fx, "list_len", 300), 3);
    assert_int_equal(u32_1(&fx, "list_len", 316), 1);
    assert_int_equal(u32_1(&fx, "lbr_if", 300), 10);
    assert_int_equal(u32_1(&fx, "lbr_if", 316), 20);
    assert_int_equal(u32_1(&fx, "lbr_eqz", 316), 30);
    assert_int_equal(u32_1(&fx, "lbr_eqz", 308), 40);

    /* Past the end: traps, whichever way the branch would go. */
    weft_val out;
    assert_int_equal(call2(&fx, "lbr_lt_s", i32v(65529), i32v(0), &out), WEFT_TRAP);
    assert_int_equal(call2(&fx, "lbr_lt_s", i32v(0xFFFFFFFCu), i32v(0), &out), WEFT_TRAP);
    assert_int_equal(call2(&fx, "lbr_swap", i32v(65533), i32v(0), &out), WEFT_TRAP);
    weft_val x = i32v(65533);
    assert_int_equal(fixture_try_call(&fx, "lbr_if", &x, 1, &out, 1), WEFT_TRAP);
    assert_int_equal(fixture_try_call(&fx, "lbr_eqz", &x, 1, &out, 1), WEFT_TRAP);
    /* A list whose last link points past the end. */
    st32(&fx, 400, 65534);
    x = i32v(400);
    assert_int_equal(fixture_try_call(&fx, "list_len", &x, 1, &out, 1), WEFT_TRAP);
    assert_int_equal(u32_2(&fx, "lbr_lt_s", 65528, 0x7FFFFFFFu), 1);
    fixture_close(&fx);
}

#define BOTH_MODES(run)                                                        \
    static void test_##run##_guard(void **state)                               \
    {                                                                          \
        (void)state;                                                           \
        test_traps_on();                                                       \
        run(WEFT_BOUNDS_GUARD);                                                \
        test_traps_off();                                                      \
    }                                                                          \
    static void test_##run##_software(void **state)                            \
    {                                                                          \
        (void)state;                                                           \
        run(WEFT_BOUNDS_SOFTWARE);                                             \
    }
BOTH_MODES(run_mm_mst)
BOTH_MODES(run_ma)
BOTH_MODES(run_load_br)

int main(void)
{
    if (!test_signals_save())
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_mm_mst_guard), cmocka_unit_test(test_run_mm_mst_software),
        cmocka_unit_test(test_run_ma_guard),     cmocka_unit_test(test_run_ma_software),
        cmocka_unit_test(test_run_load_br_guard), cmocka_unit_test(test_run_load_br_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

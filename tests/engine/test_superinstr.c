/*
 * test_superinstr.c -- the translator's fused pairs (engine/code.h): two
 * binary ops where the second consumes the first's result (P_<op1>_<op2>_L/_R)
 * and a select on an integer compare (SEL_<cmp>) or on i32.eqz.  Each must
 * give the unfused result exactly: f64 products rounded before they are added
 * (no fused multiply-add), operands in their order for the ops that do not
 * commute, i32 sums that wrap, shift counts taken modulo the width, signed and
 * unsigned compares.  The test checks the fused forms are really used, so the
 * semantics checks are not of the unfused code by accident.
 *
 * The module is tests/wat/superinstr.wat (function indexes as there).
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
#include "support/signals.h"
#include "weft.h"

static weft_val f64v(double v) { return (weft_val){.kind = WEFT_F64, .of.f64 = v}; }
static weft_val i32v(uint32_t v) { return (weft_val){.kind = WEFT_I32, .of.i32 = (int32_t)v}; }
static weft_val i64v(uint64_t v) { return (weft_val){.kind = WEFT_I64, .of.i64 = (int64_t)v}; }

static double f3(fixture *fx, const char *name, double a, double b, double c)
{
    weft_val args[3] = {f64v(a), f64v(b), f64v(c)};
    return fixture_call(fx, name, args, 3).of.f64;
}

static uint32_t i3(fixture *fx, const char *name, uint32_t a, uint32_t b, uint32_t c)
{
    weft_val args[3] = {i32v(a), i32v(b), i32v(c)};
    return (uint32_t)fixture_call(fx, name, args, 3).of.i32;
}

static void test_fused_forms_used(void **state)
{
    (void)state;
    fixture fx;
    fixture_open(&fx, "superinstr", WEFT_BOUNDS_GUARD);
    assert_true(fixture_count_op(&fx, 0, CO_P_F64_MUL_F64_SUB_L) > 0);
    assert_true(fixture_count_op(&fx, 1, CO_P_F64_MUL_F64_SUB_R) > 0);
    assert_true(fixture_count_op(&fx, 2, CO_P_F64_MUL_F64_ADD_L) > 0);
    assert_true(fixture_count_op(&fx, 3, CO_P_F64_MUL_F64_DIV_R) > 0);
    assert_true(fixture_count_op(&fx, 4, CO_P_I32_SHL_I32_ADD_L) > 0);
    assert_true(fixture_count_op(&fx, 5, CO_P_I32_SHL_I32_ADD_R) > 0);
    assert_true(fixture_count_op(&fx, 6, CO_P_I32_ADD_I32_SUB_R) > 0);
    assert_true(fixture_count_op(&fx, 7, CO_P_I64_SHR_U_I64_XOR_R) > 0);
    assert_int_equal(fixture_count_op(&fx, 8, CO_P_I32_SHL_I32_ADD_L), 0); /* the shl's result is kept */
    assert_true(fixture_count_op(&fx, 9, CO_SEL_I32_LT_S) > 0);
    assert_true(fixture_count_op(&fx, 10, CO_SEL_I64_GT_U) > 0);
    assert_int_equal(fixture_count_op(&fx, 11, CO_I32_EQZ), 0); /* a select with its operands swapped */
    assert_true(fixture_count_op(&fx, 12, CO_SEL_I32_LT_U) > 0);
    /* A compare kept by a local.tee still fuses into its select. */
    uint32_t tee = fixture_func_index(&fx, "sel_tee");
    assert_int_equal(fixture_count_op(&fx, tee, CO_SEL_I64_LT_U), 1);
    assert_int_equal(fixture_count_op(&fx, tee, CO_I64_LT_U), 0);
    fixture_close(&fx);
}

static void test_f64_pairs(void **state)
{
    (void)state;
    fixture fx;
    fixture_open(&fx, "superinstr", WEFT_BOUNDS_GUARD);
    /* (1 + 2^-30)(1 - 2^-30) = 1 - 2^-60 rounds to 1: minus 1 is 0, where a
     * fused multiply-add would give -2^-60. */
    double a = 1.0 + 0x1p-30, b = 1.0 - 0x1p-30;
    double r = f3(&fx, "mul_sub_l", a, b, 1.0);
    assert_true(r == 0.0);
    assert_true(f3(&fx, "mul_sub_l", 2.0, 3.0, 5.0) == 1.0);
    assert_true(f3(&fx, "mul_sub_r", 2.0, 3.0, 5.0) == -1.0);
    assert_true(f3(&fx, "mul_sub_r", a, b, 1.0) == 0.0);
    assert_true(f3(&fx, "mul_add_local", 2.0, 3.0, 0.5) == 13.0);
    assert_true(f3(&fx, "mul_div_r", 2.0, 4.0, 1.0) == 0.125);
    assert_true(f3(&fx, "mul_div_r", 0.0, 4.0, 1.0) == __builtin_inf());
    fixture_close(&fx);
}

static void test_int_pairs(void **state)
{
    (void)state;
    fixture fx;
    fixture_open(&fx, "superinstr", WEFT_BOUNDS_GUARD);
    assert_int_equal(i3(&fx, "shl_add_l", 3, 4, 1), 49);
    assert_int_equal(i3(&fx, "shl_add_l", 0x40000001u, 2, 7), 11);     /* the shift wraps */
    assert_int_equal(i3(&fx, "shl_add_l", 1, 33, 0xFFFFFFFFu), 1);     /* count mod 32, sum wraps */
    assert_int_equal(i3(&fx, "shl_add_r", 0x20000001u, 0, 0xFFFFFFF8u), 0);
    assert_int_equal(i3(&fx, "add_sub_r", 2, 3, 10), 5);
    assert_int_equal(i3(&fx, "add_sub_r", 0xFFFFFFFFu, 2, 0), 0xFFFFFFFFu);
    assert_int_equal(i3(&fx, "tee_kept", 3, 2, 1), 25);
    weft_val x = i64v(0x8000000180000000ull);
    assert_true((uint64_t)fixture_call(&fx, "xorshift", &x, 1).of.i64 ==
                (0x8000000180000000ull ^ (0x8000000180000000ull >> 33)));
    fixture_close(&fx);
}

static uint32_t sel(fixture *fx, const char *name, weft_val c, weft_val d)
{
    weft_val args[4] = {i32v(111), i32v(222), c, d};
    return (uint32_t)fixture_call(fx, name, args, 4).of.i32;
}

static void test_selects(void **state)
{
    (void)state;
    fixture fx;
    fixture_open(&fx, "superinstr", WEFT_BOUNDS_GUARD);
    assert_int_equal(sel(&fx, "sel_lt_s", i32v((uint32_t)-1), i32v(0)), 111);
    assert_int_equal(sel(&fx, "sel_lt_s", i32v(0), i32v((uint32_t)-1)), 222);
    assert_int_equal(sel(&fx, "sel_lt_s", i32v(5), i32v(5)), 222);
    assert_int_equal(sel(&fx, "sel_gt_u64", i64v(UINT64_MAX), i64v(1)), 111);  /* unsigned */
    assert_int_equal(sel(&fx, "sel_gt_u64", i64v(1ull << 32), i64v(1)), 111);  /* all 64 bits */
    assert_int_equal(sel(&fx, "sel_gt_u64", i64v(1), i64v(1ull << 32)), 222);
    assert_int_equal(i3(&fx, "sel_eqz", 111, 222, 0), 111);
    assert_int_equal(i3(&fx, "sel_eqz", 111, 222, 0x80000000u), 222);
    weft_val args[2] = {i32v(9), i32v(4)};
    assert_int_equal(fixture_call(&fx, "min_u", args, 2).of.i32, 4);
    args[0] = i32v(3);
    args[1] = i32v(0xFFFFFFFFu);
    assert_int_equal(fixture_call(&fx, "min_u", args, 2).of.i32, 3);
    /* The local the compare was tee'd to holds the compare afterwards. */
    assert_int_equal(sel(&fx, "sel_tee", i64v(1), i64v(2)), 111 + 1000);
    assert_int_equal(sel(&fx, "sel_tee", i64v(2), i64v(1)), 222);
    assert_int_equal(sel(&fx, "sel_tee", i64v(1ull << 40), i64v(1)), 222); /* all 64 bits */
    assert_int_equal(sel(&fx, "sel_tee_old", i32v((uint32_t)-1), i32v(0)), 7 + 1000);
    assert_int_equal(sel(&fx, "sel_tee_old", i32v(0), i32v((uint32_t)-1)), 222);
    fixture_close(&fx);
}

static weft_status store64(fixture *fx, uint32_t base, uint32_t i, uint64_t v)
{
    weft_val args[3] = {i32v(base), i32v(i), i64v(v)}, out;
    return fixture_try_call(fx, "store_scaled", args, 3, &out, 0);
}

static weft_status load64(fixture *fx, uint32_t base, uint32_t i, uint64_t *v)
{
    weft_val args[2] = {i32v(base), i32v(i)}, out;
    weft_status st = fixture_try_call(fx, "load64_scaled", args, 2, &out, 1);
    *v = (uint64_t)out.of.i64;
    return st;
}

static void run_scaled(weft_bounds_mode bounds)
{
    fixture fx;
    fixture_open(&fx, "superinstr", bounds);
    bool sw = bounds == WEFT_BOUNDS_SOFTWARE;
    assert_true(fixture_count_op(&fx, 13, sw ? CO_I32_LOAD_S_SW : CO_I32_LOAD_S) > 0);
    assert_true(fixture_count_op(&fx, 14, sw ? CO_I64_STORE_S_SW : CO_I64_STORE_S) > 0);
    assert_true(fixture_count_op(&fx, 15, sw ? CO_I64_LOAD_S_SW : CO_I64_LOAD_S) > 0);

    uint64_t v = 0;
    /* 16 + (3 << 3) + 8 = 48; read back as base 40, index 0 and as i32s. */
    assert_int_equal(store64(&fx, 16, 3, 0x1122334455667788ull), WEFT_OK);
    assert_int_equal(load64(&fx, 40, 0, &v), WEFT_OK);
    assert_true(v == 0x1122334455667788ull);
    weft_val args[2] = {i32v(36), i32v(2)};
    assert_int_equal(fixture_call(&fx, "load_scaled", args, 2).of.i32, 0x55667788);
    /* The sum wraps at 2^32 before the offset: -8 + (14 << 2) + 4 = 52, and
     * the shifted index wraps too: (0x4000000C << 2) + 4 = 52. */
    args[0] = i32v(0xFFFFFFF8u);
    args[1] = i32v(0x0Eu);
    assert_int_equal(fixture_call(&fx, "load_scaled", args, 2).of.i32, 0x11223344);
    args[0] = i32v(0);
    args[1] = i32v(0x4000000Cu);
    assert_int_equal(fixture_call(&fx, "load_scaled", args, 2).of.i32, 0x11223344);
    assert_int_equal(store64(&fx, 0xFFFFFFF0u, 0x20000007u, 7), WEFT_OK); /* -16 + 56 + 8 */
    assert_int_equal(load64(&fx, 40, 0, &v), WEFT_OK);
    assert_true(v == 7);

    /* Past the end, by the offset or by the index; nothing is written. */
    assert_int_equal(store64(&fx, 65528, 0, 1), WEFT_TRAP);
    assert_int_equal(store64(&fx, 65520, 1, 1), WEFT_TRAP);
    assert_int_equal(store64(&fx, 0, 0x1FFFFFFFu, 1), WEFT_TRAP);
    assert_int_equal(load64(&fx, 65520, 1, &v), WEFT_TRAP);
    assert_int_equal(load64(&fx, 65521, 0, &v), WEFT_TRAP);
    assert_int_equal(load64(&fx, 65512, 1, &v), WEFT_OK);
    assert_true(v == 0);
    args[0] = i32v(65532);
    args[1] = i32v(0);
    weft_val out;
    assert_int_equal(fixture_try_call(&fx, "load_scaled", args, 2, &out, 1), WEFT_TRAP);

    /* Pairs kept by a tee: the _S forms take them and still write the locals. */
    uint32_t swap = fixture_func_index(&fx, "swap_scaled");
    assert_int_equal(fixture_count_op(&fx, swap, sw ? CO_I32_LOAD_S_SW : CO_I32_LOAD_S), 2);
    assert_int_equal(fixture_count_op(&fx, swap, CO_P_I32_SHL_I32_ADD_L) +
                         fixture_count_op(&fx, swap, CO_P_I32_SHL_I32_ADD_R),
                     0);
    uint32_t own = fixture_func_index(&fx, "store_own_addr");
    assert_int_equal(fixture_count_op(&fx, own, sw ? CO_I32_STORE_S_SW : CO_I32_STORE_S), 1);
    assert_int_equal(store64(&fx, 1000, 0, 0x0000000B0000000Aull), WEFT_OK); /* 1008: 10, 1012: 11 */
    weft_val s3[3] = {i32v(1000), i32v(2), i32v(3)};
    assert_int_equal(fixture_call(&fx, "swap_scaled", s3, 3).of.i32, 4);
    assert_int_equal(load64(&fx, 1000, 0, &v), WEFT_OK);
    assert_true(v == 0x0000000A0000000Bull);
    /* The sum wraps: -4 + (1 << 2) = 0 and -4 + (2 << 2) = 4. */
    weft_val s4[3] = {i32v(0xFFFFFFFCu), i32v(1), i32v(2)};
    assert_int_equal(fixture_call(&fx, "swap_scaled", s4, 3).of.i32, 4);
    weft_val o1[2] = {i32v(2000), i32v(5)};
    assert_int_equal(fixture_call(&fx, "store_own_addr", o1, 2).of.i32, 2020);
    assert_int_equal(fixture_call(&fx, "load_scaled", (weft_val[]){i32v(2012), i32v(1)}, 2).of.i32,
                     2020); /* 2012 + 4 + 4 */
    weft_val o2[2] = {i32v(65536), i32v(0)};
    assert_int_equal(fixture_try_call(&fx, "store_own_addr", o2, 2, &out, 1), WEFT_TRAP);
    weft_val s5[3] = {i32v(65532), i32v(0), i32v(1)};
    assert_int_equal(fixture_try_call(&fx, "swap_scaled", s5, 3, &out, 1), WEFT_TRAP);
    fixture_close(&fx);
}

static weft_status sub_store(fixture *fx, uint32_t p, double x)
{
    weft_val args[2] = {i32v(p), f64v(x)}, out;
    return fixture_try_call(fx, "sub_store", args, 2, &out, 0);
}

static weft_status add_store64(fixture *fx, uint32_t p, uint64_t a, uint64_t b)
{
    weft_val args[3] = {i32v(p), i64v(a), i64v(b)}, out;
    return fixture_try_call(fx, "add_store64", args, 3, &out, 0);
}

static void run_op_mem(weft_bounds_mode bounds)
{
    fixture fx;
    fixture_open(&fx, "superinstr", bounds);
    bool sw = bounds == WEFT_BOUNDS_SOFTWARE;
    /* The load, sub and store of one place: the read-modify-write form. */
    assert_true(fixture_count_op(&fx, 16, sw ? CO_F64_SUB_MST_SW : CO_F64_SUB_MST) > 0);
    assert_true(fixture_count_op(&fx, 17, sw ? CO_F64_SUB_M_SW : CO_F64_SUB_M) > 0);
    assert_true(fixture_count_op(&fx, 18, sw ? CO_I32_ADD_M_SW : CO_I32_ADD_M) > 0);
    assert_true(fixture_count_op(&fx, 19, sw ? CO_I64_ADD_ST_SW : CO_I64_ADD_ST) > 0);

    /* mem[108] = 0 - 2.5 - 0.25; then x - mem[108] with the load on the right. */
    assert_int_equal(sub_store(&fx, 100, 2.5), WEFT_OK);
    assert_int_equal(sub_store(&fx, 100, 0.25), WEFT_OK);
    weft_val args[2] = {i32v(108), f64v(1.0)}, out;
    assert_true(fixture_call(&fx, "sub_load", args, 2).of.f64 == 3.75);
    /* The i64 sum wraps; read back its halves, the load on the add's left. */
    assert_int_equal(add_store64(&fx, 200, 0xFFFFFFFFFFFFFFFFull, 0x0000000300000002ull), WEFT_OK);
    args[0] = i32v(196);
    args[1] = i32v(0xFFFFFFFFu);
    assert_int_equal(fixture_call(&fx, "add_load", args, 2).of.i32, 0);
    args[0] = i32v(200);
    args[1] = i32v(10);
    assert_int_equal(fixture_call(&fx, "add_load", args, 2).of.i32, 13);

    /* Past the end: traps, nothing written. */
    assert_int_equal(sub_store(&fx, 65521, 1.0), WEFT_TRAP);
    assert_int_equal(sub_store(&fx, 0xFFFFFFF8u, 1.0), WEFT_TRAP); /* no wrap after the offset */
    assert_int_equal(add_store64(&fx, 65529, 1, 1), WEFT_TRAP);
    args[0] = i32v(65532);
    args[1] = i32v(0);
    assert_int_equal(fixture_try_call(&fx, "add_load", args, 2, &out, 1), WEFT_TRAP);
    args[0] = i32v(65529);
    args[1] = f64v(0);
    assert_int_equal(fixture_try_call(&fx, "sub_load", args, 2, &out, 1), WEFT_TRAP);
    args[0] = i32v(65528);
    assert_true(fixture_call(&fx, "sub_load", args, 2).of.f64 == 0.0);

    /* br_table on a loaded byte: the byte at 301, 0x01 then 0xFF (default). */
    assert_true(fixture_count_op(&fx, 20, sw ? CO_BR_TABLE_L8_SW : CO_BR_TABLE_L8) > 0);
    args[0] = i32v(300);
    assert_int_equal(fixture_call(&fx, "switch8", args, 1).of.i32, 10);
    assert_int_equal(add_store64(&fx, 300, 0x100, 0), WEFT_OK);
    assert_int_equal(fixture_call(&fx, "switch8", args, 1).of.i32, 11);
    assert_int_equal(add_store64(&fx, 300, 0xFF00, 0), WEFT_OK);
    assert_int_equal(fixture_call(&fx, "switch8", args, 1).of.i32, 12);
    args[0] = i32v(65534);
    assert_int_equal(fixture_call(&fx, "switch8", args, 1).of.i32, 10);
    args[0] = i32v(65535);
    assert_int_equal(fixture_try_call(&fx, "switch8", args, 1, &out, 1), WEFT_TRAP);
    args[0] = i32v(0xFFFFFFFFu);
    assert_int_equal(fixture_try_call(&fx, "switch8", args, 1, &out, 1), WEFT_TRAP);
    fixture_close(&fx);
}

static void test_op_mem_guard(void **state)
{
    (void)state;
    test_traps_on();
    run_op_mem(WEFT_BOUNDS_GUARD);
    test_traps_off();
}

static void test_op_mem_software(void **state)
{
    (void)state;
    run_op_mem(WEFT_BOUNDS_SOFTWARE);
}

static void test_scaled_guard(void **state)
{
    (void)state;
    test_traps_on();
    run_scaled(WEFT_BOUNDS_GUARD);
    test_traps_off();
}

static void test_scaled_software(void **state)
{
    (void)state;
    run_scaled(WEFT_BOUNDS_SOFTWARE);
}

int main(void)
{
    if (!test_signals_save())
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fused_forms_used),
        cmocka_unit_test(test_f64_pairs),
        cmocka_unit_test(test_int_pairs),
        cmocka_unit_test(test_selects),
        cmocka_unit_test(test_scaled_guard),
        cmocka_unit_test(test_scaled_software),
        cmocka_unit_test(test_op_mem_guard),
        cmocka_unit_test(test_op_mem_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

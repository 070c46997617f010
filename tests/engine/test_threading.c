/*
 * test_threading.c -- branch threading and the read-modify-write and
 * store-and-branch fused forms of engine/code.h: a BR replaced by a copy of
 * the code it jumps to (a byte-dispatch interpreter's `continue` runs its own
 * copy of the dispatch; a loop tested at its top gets the negated test at its
 * back edge), ID_MST (load, op, store to the same place) and
 * ST_A_ADD_BR_<cmp> (a strided fill loop's body), and the _MST_A and
 * _MM_MST_A forms that also take the address add.  Each must compute what the
 * unfused code does, trap where it traps (both bounds modes) with the stores
 * before the trap done, and really be used.
 *
 * The module is tests/wat/threading.wat (function indexes as there).
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

static uint32_t u32_of(fixture *fx, const char *name, weft_val a)
{
    return (uint32_t)fixture_call(fx, name, &a, 1).of.i32;
}

static void test_forms_used(void **state)
{
    (void)state;
    fixture fx;
    fixture_open(&fx, "threading", WEFT_BOUNDS_GUARD);
    /* The dispatch is copied into each case (and the entry), no BR is left. */
    assert_true(fixture_count_op(&fx, 0, CO_BR_TABLE_L8) >= 4);
    assert_int_equal(fixture_count_op(&fx, 0, CO_BR), 0);
    /* The back edge of the top-tested loop is its negated test. */
    assert_int_equal(fixture_count_op(&fx, 1, CO_BR_I32_GE_U), 1);
    assert_int_equal(fixture_count_op(&fx, 1, CO_BR_I32_LT_U), 1);
    /* ... and the product of three it subtracts is taken into it too. */
    assert_int_equal(fixture_count_op(&fx, 2, CO_F64_SUB_MM_MST), 1);
    assert_int_equal(fixture_count_op(&fx, 2, CO_F64_SUB_MST), 0);
    assert_int_equal(fixture_count_op(&fx, 2, CO_P_F64_MUL_F64_MUL_L), 0);
    assert_int_equal(fixture_count_op(&fx, 2, CO_F64_LOAD), 0);
    assert_int_equal(fixture_count_op(&fx, 3, CO_F64_ADD_MST), 1);
    assert_int_equal(fixture_count_op(&fx, 4, CO_I32_ADD_MST), 1);
    assert_int_equal(fixture_count_op(&fx, 5, CO_I64_ADD_MST), 1);
    assert_int_equal(fixture_count_op(&fx, 6, CO_F64_SUB_MST), 0); /* the load's value is kept */
    assert_int_equal(fixture_count_op(&fx, 7, CO_I32_STORE8_A_ADD_BR_I32_LT_U), 1);
    assert_int_equal(fixture_count_op(&fx, 8, CO_I64_STORE_A_ADD_BR_I32_NE), 1);
    assert_int_equal(fixture_count_op(&fx, 10, CO_ADD_BR_NZ), 1);
    assert_int_equal(fixture_count_op(&fx, 10, CO_CALL_LOCAL_C2), 1); /* the two argument copies */
    assert_int_equal(fixture_count_op(&fx, 10, CO_COPY2), 0);
    assert_int_equal(fixture_count_op(&fx, 11, CO_ADD_BR_Z), 1);
    assert_int_equal(fixture_count_op(&fx, 12, CO_I64_STORE_A), 1);
    assert_int_equal(fixture_count_op(&fx, 12, CO_I32_ADD), 0);
    assert_int_equal(fixture_count_op(&fx, 13, CO_I32_ADD), 1);
    /* The add just before the dispatch load, taken in; every case's copy of
     * the dispatch has it too. */
    uint32_t next = fixture_func_index(&fx, "interp_next");
    assert_true(fixture_count_op(&fx, next, CO_ADD_BR_TABLE_L8) >= 4);
    assert_int_equal(fixture_count_op(&fx, next, CO_BR_TABLE_L8), 0);
    assert_int_equal(fixture_count_op(&fx, next, CO_I32_ADD), 1); /* case 0's acc += 3 */
    uint32_t pre = fixture_func_index(&fx, "interp_pre");
    assert_true(fixture_count_op(&fx, pre, CO_ADD_BR_TABLE_L8) >= 4);
    assert_int_equal(fixture_count_op(&fx, pre, CO_BR_TABLE_L8), 0);
    assert_int_equal(fixture_count_op(&fx, pre, CO_I32_ADD), 1);
    /* The address adds taken into the read-modify-writes. */
    static const struct { const char *name; cmp_op op; } at[] = {
        {"f64_add_at", CO_F64_ADD_MST_A}, {"f64_sub_prod_at", CO_F64_SUB_MM_MST_A},
        {"i32_add_self_at", CO_I32_ADD_MST_A}, {"i64_add_at", CO_I64_ADD_MST_A}};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        uint32_t f = fixture_func_index(&fx, at[i].name);
        assert_int_equal(fixture_count_op(&fx, f, at[i].op), 1);
        assert_int_equal(fixture_count_op(&fx, f, CO_I32_ADD), 0);
    }
    fixture_close(&fx);
}

static void test_threaded_results(void **state)
{
    (void)state;
    fixture fx;
    fixture_open(&fx, "threading", WEFT_BOUNDS_GUARD);
    /* Program 0 1 2 0 1 0 2 2 1 3: (((0+3)*2-1+3)*2+3-1-1)*2 = 34. */
    assert_int_equal(u32_of(&fx, "interp", i32v(0)), 34);
    assert_int_equal(u32_of(&fx, "interp", i32v(9)), 0);            /* halt at once */
    assert_int_equal(u32_of(&fx, "interp", i32v(7)), 0xFFFFFFFEu);  /* 0-1, *2 */
    /* The same runs with the add in the dispatch; `next` ends one past halt. */
    assert_int_equal(u32_of(&fx, "interp_next", i32v(0)), 34 + 10000);
    assert_int_equal(u32_of(&fx, "interp_next", i32v(9)), 10000);
    assert_int_equal(u32_of(&fx, "interp_next", i32v(7)), 10000 - 2);
    assert_int_equal(u32_of(&fx, "interp_pre", i32v(0xFFFFFFFFu)), 34);
    assert_int_equal(u32_of(&fx, "interp_pre", i32v(8)), 0);
    assert_int_equal(u32_of(&fx, "interp_pre", i32v(6)), 0xFFFFFFFEu);
    assert_int_equal(u32_of(&fx, "sum_below", i32v(0)), 0);
    assert_int_equal(u32_of(&fx, "sum_below", i32v(1)), 0);
    assert_int_equal(u32_of(&fx, "sum_below", i32v(100)), 4950);
    /* i from -5 up to 0: five calls of b - a (the arguments in order). */
    weft_val c1[3] = {i32v((uint32_t)-5), i32v(3), i32v(10)};
    assert_int_equal((uint32_t)fixture_call(&fx, "count_up", c1, 3).of.i32, 35);
    /* From 0 the sum wraps all the way round: stop after one call instead. */
    weft_val c2[3] = {i32v((uint32_t)-1), i32v(10), i32v(3)};
    assert_int_equal((uint32_t)fixture_call(&fx, "count_up", c2, 3).of.i32, (uint32_t)-7);
    weft_val s1[2] = {i32v(5), i32v((uint32_t)-5)}; /* wraps to 0 */
    assert_int_equal((uint32_t)fixture_call(&fx, "if_sum", s1, 2).of.i32, 9);
    weft_val s2[2] = {i32v(0x80000000u), i32v(0x80000001u)};
    assert_int_equal((uint32_t)fixture_call(&fx, "if_sum", s2, 2).of.i32, 7);
    fixture_close(&fx);
}

static double load_f64(fixture *fx, uint32_t p)
{
    weft_val a = i32v(p);
    return fixture_call(fx, "load_f64", &a, 1).of.f64;
}

/* The read-modify-write forms: values, operand order, traps. */
static void run_mst(weft_bounds_mode bounds)
{
    fixture fx;
    fixture_open(&fx, "threading", bounds);
    weft_val out;
    weft_val a1[2] = {i32v(64), f64v(10.0)};
    assert_int_equal(fixture_try_call(&fx, "store_f64", a1, 2, &out, 0), WEFT_OK);
    weft_val a2[3] = {i32v(56), f64v(2.0), f64v(0.75)}; /* p->x at 64 -= 2 * 0.75 * 2 */
    assert_int_equal(fixture_try_call(&fx, "f64_sub_in_place", a2, 3, &out, 0), WEFT_OK);
    assert_true(load_f64(&fx, 64) == 7.0);
    weft_val a3[2] = {i32v(48), f64v(0.5)};
    assert_int_equal(fixture_try_call(&fx, "f64_add_in_place", a3, 2, &out, 0), WEFT_OK);
    assert_true(load_f64(&fx, 64) == 7.5);
    weft_val a4[2] = {i32v(128), i32v(0xFFFFFFFFu)};
    assert_int_equal(fixture_try_call(&fx, "i32_add_in_place", a4, 2, &out, 0), WEFT_OK);
    assert_int_equal(fixture_try_call(&fx, "i32_add_in_place", a4, 2, &out, 0), WEFT_OK);
    assert_int_equal((uint32_t)fixture_call(&fx, "load_i64", (weft_val[]){i32v(128)}, 1).of.i64,
                     0xFFFFFFFEu); /* wraps, and writes 4 bytes only */
    assert_int_equal((uint64_t)fixture_call(&fx, "load_i64", (weft_val[]){i32v(128)}, 1).of.i64 >> 32, 0);
    weft_val a5[2] = {i32v(252), i64v(0x100000001ull)};
    assert_int_equal(fixture_try_call(&fx, "i64_add_in_place", a5, 2, &out, 0), WEFT_OK);
    assert_int_equal((uint64_t)fixture_call(&fx, "load_i64", (weft_val[]){i32v(256)}, 1).of.i64,
                     0x100000001ull);
    weft_val a6[2] = {i32v(64), f64v(1.5)};
    assert_true(fixture_call(&fx, "f64_sub_keep", a6, 2).of.f64 == 7.5);
    assert_true(load_f64(&fx, 64) == 6.0);
    /* Out of bounds: the last byte of the 8 is past the end; nothing written. */
    weft_val t1[3] = {i32v(65536 - 15), f64v(1.0), f64v(1.0)};
    assert_int_equal(fixture_try_call(&fx, "f64_sub_in_place", t1, 3, &out, 0), WEFT_TRAP);
    weft_val t2[2] = {i32v(65536 - 3), i32v(1)};
    assert_int_equal(fixture_try_call(&fx, "i32_add_in_place", t2, 2, &out, 0), WEFT_TRAP);
    weft_val t3[2] = {i32v(0xFFFFFFF0u), f64v(1.0)};
    assert_int_equal(fixture_try_call(&fx, "f64_add_in_place", t3, 2, &out, 0), WEFT_TRAP);
    weft_val t4[2] = {i32v(65536 - 8), i32v(5)};
    assert_int_equal(fixture_try_call(&fx, "i32_add_in_place", t4, 2, &out, 0), WEFT_OK); /* last 4 bytes: fine */
    assert_int_equal(u32_of(&fx, "load8", i32v(65536 - 8)), 5);

    /* _MST_A, _MM_MST_A: the sum is the address, wraps at 32 bits, and is
     * left in the local (each function returns it). */
    weft_val s1[2] = {i32v(4096), f64v(1.25)};
    assert_int_equal(fixture_try_call(&fx, "store_f64", s1, 2, &out, 0), WEFT_OK);
    weft_val b1[3] = {i32v(4000), i32v(96), f64v(2.0)};
    assert_int_equal((uint32_t)fixture_call(&fx, "f64_add_at", b1, 3).of.i32, 4096);
    assert_true(load_f64(&fx, 4096) == 3.25);
    weft_val b2[3] = {i32v(0xFFFFFFF0u), i32v(4096 + 16), f64v(0.5)};
    assert_int_equal((uint32_t)fixture_call(&fx, "f64_add_at", b2, 3).of.i32, 4096);
    assert_true(load_f64(&fx, 4096) == 3.75);
    weft_val b3[3] = {i32v(4096 + 8), f64v(2.0), f64v(0.25)}; /* at 4096 -= 2 * 0.25 * 2 */
    assert_int_equal((uint32_t)fixture_call(&fx, "f64_sub_prod_at", b3, 3).of.i32, 4096 - 8);
    assert_true(load_f64(&fx, 4096) == 2.75);
    weft_val s2[2] = {i32v(4200), f64v(0.0)};
    assert_int_equal(fixture_try_call(&fx, "store_f64", s2, 2, &out, 0), WEFT_OK);
    weft_val b4[2] = {i32v(4100), i32v(100)};
    assert_int_equal((uint32_t)fixture_call(&fx, "i32_add_self_at", b4, 2).of.i32, 4200);
    assert_int_equal((uint32_t)fixture_call(&fx, "i32_add_self_at", b4, 2).of.i32, 4200);
    assert_int_equal((uint32_t)fixture_call(&fx, "load_i64", (weft_val[]){i32v(4200)}, 1).of.i64,
                     8400);
    weft_val b5[3] = {i32v(4300), i32v(0), i64v(0x1122334455667788ull)};
    assert_int_equal((uint32_t)fixture_call(&fx, "i64_add_at", b5, 3).of.i32, 4300);
    assert_int_equal((uint64_t)fixture_call(&fx, "load_i64", (weft_val[]){i32v(4304)}, 1).of.i64,
                     0x1122334455667788ull);
    /* The dispatch byte past the end: a trap, in both bounds modes. */
    weft_val d1 = i32v(65536);
    assert_int_equal(fixture_try_call(&fx, "interp_next", &d1, 1, &out, 1), WEFT_TRAP);
    weft_val d2 = i32v(65535);
    assert_int_equal(fixture_try_call(&fx, "interp_pre", &d2, 1, &out, 1), WEFT_TRAP);
    /* Out of bounds through the add (and through its wrap): traps. */
    weft_val t5[3] = {i32v(65536 - 100), i32v(96), f64v(1.0)};
    assert_int_equal(fixture_try_call(&fx, "f64_add_at", t5, 3, &out, 1), WEFT_TRAP);
    weft_val t6[3] = {i32v(8), f64v(1.0), f64v(1.0)}; /* 8 - 16 wraps to 0xFFFFFFF8 */
    assert_int_equal(fixture_try_call(&fx, "f64_sub_prod_at", t6, 3, &out, 1), WEFT_TRAP);
    weft_val t7[2] = {i32v(65536), i32v(0)};
    assert_int_equal(fixture_try_call(&fx, "i32_add_self_at", t7, 2, &out, 1), WEFT_TRAP);
    weft_val t8[3] = {i32v(65536 - 12), i32v(1), i64v(1)};
    assert_int_equal(fixture_try_call(&fx, "i64_add_at", t8, 3, &out, 1), WEFT_TRAP);
    fixture_close(&fx);
}

/* The fill loops: strides, wrap of the != loop, and a trap partway. */
static void run_fill(weft_bounds_mode bounds)
{
    fixture fx;
    fixture_open(&fx, "threading", bounds);
    weft_val out;
    weft_val f1[5] = {i32v(1000), i32v(1), i32v(3), i32v(20), i32v(0x1FF)};
    assert_int_equal(fixture_try_call(&fx, "fill8", f1, 5, &out, 0), WEFT_OK);
    for (uint32_t j = 0; j < 24; j++)
        assert_int_equal(u32_of(&fx, "load8", i32v(1000 + j)),
                         j >= 1 && j < 20 && (j - 1) % 3 == 0 ? 0xFF : 0);
    /* The body runs once even when j starts past n. */
    weft_val f2[5] = {i32v(2000), i32v(50), i32v(1), i32v(10), i32v(7)};
    assert_int_equal(fixture_try_call(&fx, "fill8", f2, 5, &out, 0), WEFT_OK);
    assert_int_equal(u32_of(&fx, "load8", i32v(2050)), 7);
    assert_int_equal(u32_of(&fx, "load8", i32v(2051)), 0);
    weft_val f3[5] = {i32v(3000), i32v(0), i32v(8), i32v(32), i64v(0x0102030405060708ull)};
    assert_int_equal(fixture_try_call(&fx, "fill64", f3, 5, &out, 0), WEFT_OK);
    assert_int_equal((uint64_t)fixture_call(&fx, "load_i64", (weft_val[]){i32v(3024)}, 1).of.i64,
                     0x0102030405060708ull);
    assert_int_equal(u32_of(&fx, "load8", i32v(3032)), 0);
    /* Running off the end of memory: the stores before the trap stay. */
    weft_val f4[5] = {i32v(65536 - 10), i32v(0), i32v(4), i32v(100), i32v(9)};
    assert_int_equal(fixture_try_call(&fx, "fill8", f4, 5, &out, 0), WEFT_TRAP);
    assert_int_equal(u32_of(&fx, "load8", i32v(65536 - 10)), 9);
    assert_int_equal(u32_of(&fx, "load8", i32v(65536 - 2)), 9);
    weft_val f5[5] = {i32v(65536 - 20), i32v(0), i32v(8), i32v(64), i64v(1)};
    assert_int_equal(fixture_try_call(&fx, "fill64", f5, 5, &out, 0), WEFT_TRAP);
    assert_int_equal((uint64_t)fixture_call(&fx, "load_i64", (weft_val[]){i32v(65536 - 12)}, 1).of.i64, 1);
    fixture_close(&fx);
}

/* A store whose address add moved past the value's load. */
static void run_hoist(weft_bounds_mode bounds)
{
    fixture fx;
    fixture_open(&fx, "threading", bounds);
    weft_val out;
    weft_val s1[2] = {i32v(512), f64v(-2.5)};
    assert_int_equal(fixture_try_call(&fx, "store_f64", s1, 2, &out, 0), WEFT_OK);
    weft_val c1[3] = {i32v(1000), i32v(24), i32v(512)};
    assert_int_equal(fixture_try_call(&fx, "copy_word", c1, 3, &out, 0), WEFT_OK);
    assert_true(load_f64(&fx, 1024) == -2.5);
    /* The address wraps: 0xFFFFFFF0 + 0x810 = 0x800. */
    weft_val c2[3] = {i32v(0xFFFFFFF0u), i32v(0x810), i32v(512)};
    assert_int_equal(fixture_try_call(&fx, "copy_word", c2, 3, &out, 0), WEFT_OK);
    assert_true(load_f64(&fx, 0x800) == -2.5);
    weft_val c3[3] = {i32v(65536 - 16), i32v(12), i32v(512)};
    assert_int_equal(fixture_try_call(&fx, "copy_word", c3, 3, &out, 0), WEFT_TRAP);
    /* The load traps first: nothing is stored. */
    weft_val c4[3] = {i32v(2048), i32v(0), i32v(65536 - 4)};
    assert_int_equal(fixture_try_call(&fx, "copy_word", c4, 3, &out, 0), WEFT_TRAP);
    assert_int_equal(u32_of(&fx, "load8", i32v(2048)), 0);
    /* store_tee stores at the old p + 4 and returns the loaded value. */
    weft_val s2[2] = {i32v(520), f64v(1.1)}; /* low 32 bits not zero */
    assert_int_equal(fixture_try_call(&fx, "store_f64", s2, 2, &out, 0), WEFT_OK);
    weft_val t1[2] = {i32v(3000), i32v(520)};
    uint32_t lo = (uint32_t)(uint64_t)fixture_call(&fx, "load_i64", (weft_val[]){i32v(520)}, 1).of.i64;
    assert_true(lo != 0);
    assert_int_equal((uint32_t)fixture_call(&fx, "store_tee", t1, 2).of.i32, lo);
    assert_int_equal((uint32_t)fixture_call(&fx, "load_i64", (weft_val[]){i32v(3004)}, 1).of.i64, lo);
    fixture_close(&fx);
}

static void test_mst_guard(void **state)
{
    (void)state;
    test_traps_on();
    run_mst(WEFT_BOUNDS_GUARD);
    run_fill(WEFT_BOUNDS_GUARD);
    run_hoist(WEFT_BOUNDS_GUARD);
    test_traps_off();
}

static void test_mst_software(void **state)
{
    (void)state;
    run_mst(WEFT_BOUNDS_SOFTWARE);
    run_fill(WEFT_BOUNDS_SOFTWARE);
    run_hoist(WEFT_BOUNDS_SOFTWARE);
}

int main(void)
{
    if (!test_signals_save())
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms_used),
        cmocka_unit_test(test_threaded_results),
        cmocka_unit_test(test_mst_guard),
        cmocka_unit_test(test_mst_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

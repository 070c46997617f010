/*
 * test_simd_fuse.c -- v128.load and v128.store that take back the i32.add of
 * their address (V128_LOAD_A, V128_STORE_A and their _SW twins; code.h): the
 * forms are used, give the unfused results, trap out of bounds in both bounds
 * modes (a straddling store writes nothing), and a store's add is not moved
 * past an instruction that writes one of its operands.
 *
 * The module is tests/wat/simd_fuse.wat.
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

#define PAGE 65536u

static weft_val i32v(uint32_t v) { return (weft_val){.kind = WEFT_I32, .of.i32 = (int32_t)v}; }
static weft_val i64v(uint64_t v) { return (weft_val){.kind = WEFT_I64, .of.i64 = (int64_t)v}; }

static uint64_t peek(fixture *fx, uint32_t a)
{
    weft_val args[1] = {i32v(a)};
    return (uint64_t)fixture_call(fx, "peek", args, 1).of.i64;
}

static void poke(fixture *fx, uint32_t a, uint64_t x)
{
    weft_val args[2] = {i32v(a), i64v(x)}, out;
    assert_int_equal(fixture_try_call(fx, "poke", args, 2, &out, 0), WEFT_OK);
}

static weft_status store_a(fixture *fx, uint32_t p, uint32_t i, uint32_t q, uint64_t x)
{
    weft_val args[4] = {i32v(p), i32v(i), i32v(q), i64v(x)}, out;
    return fixture_try_call(fx, "store_a", args, 4, &out, 0);
}

static void run(weft_bounds_mode bounds)
{
    fixture fx;
    fixture_open(&fx, "simd_fuse", bounds);
    bool sw = bounds == WEFT_BOUNDS_SOFTWARE;
    uint32_t load = fixture_func_index(&fx, "load_a"), store = fixture_func_index(&fx, "store_a");
    uint32_t clobber = fixture_func_index(&fx, "store_clobber");
    assert_int_equal(fixture_count_op(&fx, load, sw ? CO_V128_LOAD_A_SW : CO_V128_LOAD_A), 1);
    assert_int_equal(fixture_count_op(&fx, load, CO_I32_ADD), 0);
    assert_int_equal(fixture_count_op(&fx, store, sw ? CO_V128_STORE_A_SW : CO_V128_STORE_A), 1);
    assert_int_equal(fixture_count_op(&fx, store, CO_I32_ADD), 0);
    assert_int_equal(fixture_count_op(&fx, clobber, CO_I32_ADD), 1);
    assert_int_equal(fixture_count_op(&fx, clobber, sw ? CO_V128_STORE_SW : CO_V128_STORE), 1);

    /* load_a: the 16 bytes at p + i + 4, whichever operand is the base. */
    poke(&fx, 1004, 0x1122334455667788ull);
    poke(&fx, 1012, 0x0f0f0f0f0f0f0f0full);
    weft_val args[2] = {i32v(1000), i32v(0)}, out;
    assert_int_equal(fixture_call(&fx, "load_a", args, 2).of.i64,
                     (int64_t)(0x1122334455667788ull ^ 0x0f0f0f0f0f0f0f0full));
    args[0] = i32v(0);
    args[1] = i32v(1000);
    assert_int_equal(fixture_call(&fx, "load_a", args, 2).of.i64,
                     (int64_t)(0x1122334455667788ull ^ 0x0f0f0f0f0f0f0f0full));
    /* The sum wraps at 2^32 as an i32.add does. */
    args[0] = i32v(0xfffffc18u); /* -1000 */
    args[1] = i32v(2000);
    assert_int_equal(fixture_call(&fx, "load_a", args, 2).of.i64,
                     (int64_t)(0x1122334455667788ull ^ 0x0f0f0f0f0f0f0f0full));
    /* Out of bounds: the last 16 bytes are in, one more is not. */
    args[0] = i32v(PAGE - 20);
    args[1] = i32v(0);
    assert_int_equal(fixture_try_call(&fx, "load_a", args, 2, &out, 1), WEFT_OK);
    args[1] = i32v(1);
    assert_int_equal(fixture_try_call(&fx, "load_a", args, 2, &out, 1), WEFT_TRAP);
    args[0] = i32v(0xfffffff0u);
    args[1] = i32v(0x8);
    assert_int_equal(fixture_try_call(&fx, "load_a", args, 2, &out, 1), WEFT_TRAP);

    /* store_a: (q's 16 bytes) + splat(x) at p + i + 4. */
    poke(&fx, 64, 5);
    poke(&fx, 72, 7);
    assert_int_equal(store_a(&fx, 2000, 96, 64, 100), WEFT_OK);
    assert_int_equal(peek(&fx, 2100), 105);
    assert_int_equal(peek(&fx, 2108), 107);
    assert_int_equal(store_a(&fx, PAGE - 20, 0, 64, 1), WEFT_OK);
    assert_int_equal(peek(&fx, PAGE - 16), 6);
    assert_int_equal(peek(&fx, PAGE - 8), 8);
    /* Straddling the end: traps and writes nothing. */
    poke(&fx, PAGE - 8, 0xabcdull);
    poke(&fx, PAGE - 16, 0x1234ull);
    assert_int_equal(store_a(&fx, PAGE - 20, 8, 64, 1), WEFT_TRAP);
    assert_int_equal(peek(&fx, PAGE - 8), 0xabcdull);
    assert_int_equal(peek(&fx, PAGE - 16), 0x1234ull);

    /* store_clobber: stored at the old p + i, the 16 bytes at 2p. */
    poke(&fx, 600, 0x600600ull);
    poke(&fx, 608, 0x608608ull);
    weft_val cargs[2] = {i32v(300), i32v(20)};
    assert_int_equal(fixture_try_call(&fx, "store_clobber", cargs, 2, &out, 0), WEFT_OK);
    assert_int_equal(peek(&fx, 320), 0x600600ull);
    assert_int_equal(peek(&fx, 328), 0x608608ull);
    fixture_close(&fx);
}

static void test_guard(void **state)
{
    (void)state;
    test_traps_on();
    run(WEFT_BOUNDS_GUARD);
    test_traps_off();
}

static void test_software(void **state)
{
    (void)state;
    test_traps_on();
    run(WEFT_BOUNDS_SOFTWARE);
    test_traps_off();
}

int main(void)
{
    if (!test_signals_save())
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guard),
        cmocka_unit_test(test_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

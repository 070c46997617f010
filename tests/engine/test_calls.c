/*
 * test_calls.c -- the interpreter's call path (engine/interp.c, CALL_LOCAL in
 * interp_ops.h): frames start with their declared locals zero and their
 * constants set, whether the init fits the unconditional copy (CMP_INIT_MIN
 * slots) or needs the loop, even where an earlier call left the same region
 * dirty; the padding written into a callee's temps leaves the caller's values
 * alone; CALL_LOCAL translates a callee on first use and names its code by
 * byte offset; unbounded recursion traps with "call stack exhausted" and the
 * instance runs normally after.  Both bounds modes.  The module is
 * tests/wat/calls.wat.
 */
#include <stdarg.h>
#include <stdatomic.h>
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

static weft_val i32v(uint32_t v) { return (weft_val){.kind = WEFT_I32, .of.i32 = (int32_t)v}; }

static void run_frames(weft_bounds_mode bounds)
{
    fixture fx;
    weft_error err;
    fixture_open(&fx, "calls", bounds);
    uint32_t wide = fixture_func_index(&fx, "wide");
    uint32_t narrow = fixture_func_index(&fx, "narrow");

    /* The callee is not translated until the first call reaches it. */
    const cmp_code *code = atomic_load(&fx.module->codes[wide - fx.module->nfunc_imports].code);
    assert_null(code);
    for (uint32_t n = 0; n <= 10; n++) {
        weft_val a = i32v(n);
        assert_int_equal(fixture_call(&fx, "wide", &a, 1).of.i64, (INT64_C(1) << (n + 1)) - 1);
        assert_int_equal(fixture_call(&fx, "narrow", &a, 1).of.i32, (1 << (n + 1)) - 1);
    }
    for (uint32_t x = 0; x < 5; x++) {
        weft_val a = i32v(x * 1000 + 7);
        assert_int_equal(fixture_call(&fx, "keep", &a, 1).of.i32, 12 * (x * 1000 + 7) + 1);
    }

    /* The frame init: the long one loops past CMP_INIT_MIN, every one is even
     * and at least that long, and the frame has room for it. */
    assert_int_equal(cmp_get(fx.module, wide, &code, &err), WEFT_OK);
    assert_true(code->ninit > CMP_INIT_MIN);
    assert_int_equal(code->ninit % 2, 0);
    assert_true(code->frame_size >= code->nparams + code->ninit);
    assert_int_equal(code->ninit, 7 + 1 + code->nconsts + ((8 + code->nconsts) & 1));
    assert_int_equal(cmp_get(fx.module, narrow, &code, &err), WEFT_OK);
    assert_int_equal(code->ninit, CMP_INIT_MIN);
    assert_true(code->frame_size >= code->nparams + CMP_INIT_MIN);

    /* CALL_LOCAL's third cell: the byte offset of the callee's code pointer. */
    assert_int_equal(fixture_count_op(&fx, wide, CO_CALL_LOCAL), 2);
    assert_int_equal(cmp_get(fx.module, wide, &code, &err), WEFT_OK);
    const void *const *h = interp_handlers();
    uint32_t seen = 0;
    for (uint32_t i = 0; i < code->ncells; i++) {
        bool call = h ? code->cells[i].h == h[CO_CALL_LOCAL]
                      : code->cells[i].op == (uintptr_t)CO_CALL_LOCAL;
        if (!call || i + 2 >= code->ncells)
            continue;
        uint32_t callee = (uint32_t)code->cells[i + 1].s.x;
        assert_int_equal(callee, wide - fx.module->nfunc_imports);
        assert_int_equal((uint32_t)code->cells[i + 2].s.x,
                         callee * sizeof(mod_code) + offsetof(mod_code, code));
        seen++;
    }
    assert_int_equal(seen, 2);
    fixture_close(&fx);
}

static void test_frames_guard(void **state) { (void)state; run_frames(WEFT_BOUNDS_GUARD); }
static void test_frames_software(void **state) { (void)state; run_frames(WEFT_BOUNDS_SOFTWARE); }

static void run_exhausted(weft_bounds_mode bounds)
{
    fixture fx;
    fixture_open(&fx, "calls", bounds);
    weft_func *down = test_export_func(fx.inst, "down");
    for (int round = 0; round < 3; round++) {
        weft_val a = i32v(0), out;
        weft_error err;
        assert_int_equal(weft_call(down, &a, 1, &out, 1, &err), WEFT_TRAP);
        assert_int_equal(err.code, WEFT_E_STACK_EXHAUSTED);
        assert_string_equal(weft_code_text(err.code), "call stack exhausted");
        /* The thread's stack is whole again: ordinary calls still run. */
        weft_val n = i32v(6);
        assert_int_equal(fixture_call(&fx, "wide", &n, 1).of.i64, 127);
    }
    fixture_close(&fx);
}

static void test_exhausted_guard(void **state) { (void)state; run_exhausted(WEFT_BOUNDS_GUARD); }
static void test_exhausted_software(void **state)
{
    (void)state;
    run_exhausted(WEFT_BOUNDS_SOFTWARE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_guard),    cmocka_unit_test(test_frames_software),
        cmocka_unit_test(test_exhausted_guard), cmocka_unit_test(test_exhausted_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

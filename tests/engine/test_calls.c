/*
 * test_calls.c -- the interpreter's call path (engine/interp.c, CALL_LOCAL in
 * interp_ops.h): frames start with their declared locals zero and their
 * constants set, whether the init fits the unconditional copy (CMP_INIT_MIN
 * slots) or needs the loop, even where an earlier call left the same region
 * dirty; the padding written into a callee's temps leaves the caller's values
 * alone; CALL_LOCAL translates a callee on first use and names its code by
 * byte offset; unbounded recursion traps with "call stack exhausted" and the
 * instance runs normally after; `return a + b` runs as one ADD_RETURN1; a
 * single result set into a local right after
 * the call returns into the local itself (no COPY), for every kind of call,
 * but not across a label; three argument copies in a row run as one COPY3,
 * and the copies just before a local call run inside it (CALL_LOCAL_C<n>)
 * (tests/wat/call_results.wat).  Both bounds modes.
 * The module is tests/wat/calls.wat.
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

    /* `add` is `return a + b` on i32s: the add runs in the return, whether
     * the host called it (the entry frame) or `keep` did (above). */
    uint32_t add = fixture_func_index(&fx, "add");
    assert_int_equal(fixture_count_op(&fx, add, CO_ADD_RETURN1), 1);
    assert_int_equal(fixture_count_op(&fx, add, CO_I32_ADD), 0);
    weft_val ab[2] = {i32v(0xFFFFFFFFu), i32v(3)};
    assert_int_equal(fixture_call(&fx, "add", ab, 2).of.i32, 2); /* wraps */
    assert_int_equal(fixture_count_op(&fx, wide, CO_ADD_RETURN1), 0); /* an i64.add */

    /* CALL_LOCAL's third cell: the byte offset of the callee's code pointer. */
    assert_int_equal(fixture_count_op(&fx, wide, CO_CALL_LOCAL), 2);
    cmp_code *tcode; /* the interpreter's translation, whichever tier runs it */
    assert_int_equal(cmp_translate(fx.module, wide, &tcode, &err), WEFT_OK);
    code = tcode;
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
    cmp_free(fx.engine, tcode);
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

/* ---- results set into locals ------------------------------------------------ */

static weft_status host_sq(void *env, weft_caller *caller, const weft_val *args,
                           weft_val *results, weft_error *err)
{
    (void)env, (void)caller, (void)err;
    results[0] = i32v((uint32_t)args[0].of.i32 * (uint32_t)args[0].of.i32);
    return WEFT_OK;
}

/* The dst of each call instruction of `func` (code.h: the y of its last
 * cell), in code order, into dst[0..max); returns how many calls there are. */
static uint32_t call_dsts(fixture *fx, uint32_t func, int32_t *dst, uint32_t max)
{
    cmp_code *code; /* the interpreter's translation, whichever tier runs it */
    weft_error err;
    assert_int_equal(cmp_translate(fx->module, func, &code, &err), WEFT_OK);
    const void *const *h = interp_handlers();
    static const struct { cmp_op op; uint32_t last; } calls[] = {
        {CO_CALL, 2},          {CO_CALL_LOCAL, 2},    {CO_CALL_INDIRECT, 3},
        {CO_CALL_LOCAL_C1, 3}, {CO_CALL_LOCAL_C2, 4}, {CO_CALL_LOCAL_C3, 5}};
    uint32_t n = 0;
    for (uint32_t i = 0; i < code->ncells; i++)
        for (size_t k = 0; k < sizeof calls / sizeof calls[0]; k++)
            if ((h ? code->cells[i].h == h[calls[k].op]
                   : code->cells[i].op == (uintptr_t)calls[k].op) &&
                i + calls[k].last < code->ncells && n < max)
                dst[n++] = code->cells[i + calls[k].last].s.y;
    cmp_free(fx->engine, code);
    return n;
}

static void run_into_locals(weft_bounds_mode bounds)
{
    weft_engine *e = test_engine_new(bounds);
    weft_module *callee_mod = test_module_load(e, "calls"), *m = test_module_load(e, "call_results");
    weft_instance *callee, *inst;
    weft_error err;
    assert_int_equal(weft_instance_new(callee_mod, NULL, 0, &callee, &err), WEFT_OK);
    static const weft_valkind k_i32[] = {WEFT_I32};
    weft_functype ft = {.params = k_i32, .nparams = 1, .results = k_i32, .nresults = 1};
    weft_func *sq = NULL;
    assert_int_equal(weft_func_new(e, &ft, host_sq, NULL, NULL, &sq, &err), WEFT_OK);
    weft_extern imports[2] = {{.kind = WEFT_EXTERN_FUNC, .of.func = sq},
                              {.kind = WEFT_EXTERN_FUNC, .of.func = test_export_func(callee, "narrow")}};
    assert_int_equal(weft_instance_new(m, imports, 2, &inst, &err), WEFT_OK);
    fixture fx = {.engine = e, .module = m, .inst = inst};

    for (uint32_t x = 0; x <= 5; x++) {
        weft_val a = i32v(x);
        assert_int_equal((uint32_t)fixture_call(&fx, "into_locals", &a, 1).of.i32,
                         3 * x * x + 1000 * ((2u << x) - 1) + 1000000 * x * x);
        assert_int_equal((uint32_t)fixture_call(&fx, "tee_and_old", &a, 1).of.i32,
                         7 - x * x + 2 * x * x * x * x);
        assert_int_equal((uint32_t)fixture_call(&fx, "after_label", &a, 1).of.i32, x * x + 2);
    }
    weft_val four[4] = {i32v(1), i32v(2), i32v(3), i32v(4)};
    assert_int_equal(fixture_call(&fx, "rotate", four, 4).of.i32, 3142);
    uint32_t rotate = fixture_func_index(&fx, "rotate");
    assert_int_equal(fixture_count_op(&fx, rotate, CO_COPY3), 1);
    assert_int_equal(fixture_count_op(&fx, rotate, CO_CALL_LOCAL_C1), 1); /* the fourth copy */
    assert_int_equal(fixture_count_op(&fx, rotate, CO_COPY), 0);
    assert_int_equal(fixture_count_op(&fx, rotate, CO_COPY2), 0);
    weft_val three[3] = {i32v(1), i32v(2), i32v(3)};
    assert_int_equal(fixture_call(&fx, "pass3", three, 3).of.i32, 21312);
    uint32_t pass3 = fixture_func_index(&fx, "pass3");
    assert_int_equal(fixture_count_op(&fx, pass3, CO_CALL_LOCAL_C3), 1);
    assert_int_equal(fixture_count_op(&fx, pass3, CO_CALL_LOCAL_C2), 1);
    assert_int_equal(fixture_count_op(&fx, pass3, CO_COPY) + fixture_count_op(&fx, pass3, CO_COPY2) +
                         fixture_count_op(&fx, pass3, CO_COPY3),
                     0);

    /* Where the results went: into_locals' five calls straight into $a $b $c
     * $d (slots 1..4) and $x (slot 0); tee_and_old's first call into $y only
     * after the old $y was copied out -- so its temp -- and its second into
     * $y (slot 1); after_label's into its temp, whatever that is. */
    int32_t dst[8];
    assert_int_equal(call_dsts(&fx, fixture_func_index(&fx, "into_locals"), dst, 8), 5);
    for (int i = 0; i < 4; i++)
        assert_int_equal(dst[i], i + 1);
    assert_int_equal(dst[4], 0);
    const cmp_code *code;
    uint32_t f = fixture_func_index(&fx, "tee_and_old");
    assert_int_equal(cmp_get(m, f, &code, &err), WEFT_OK);
    assert_int_equal(call_dsts(&fx, f, dst, 8), 2);
    assert_true(dst[0] >= (int32_t)code->nlocals + (int32_t)code->nconsts);
    assert_int_equal(dst[1], 1);
    f = fixture_func_index(&fx, "after_label");
    assert_int_equal(cmp_get(m, f, &code, &err), WEFT_OK);
    assert_int_equal(call_dsts(&fx, f, dst, 8), 1);
    assert_true(dst[0] >= (int32_t)code->nlocals + (int32_t)code->nconsts);

    weft_instance_free(inst);
    weft_func_free(sq);
    weft_instance_free(callee);
    weft_module_free(m);
    weft_module_free(callee_mod);
    weft_engine_free(e);
}

static void test_into_locals_guard(void **state) { (void)state; run_into_locals(WEFT_BOUNDS_GUARD); }
static void test_into_locals_software(void **state)
{
    (void)state;
    run_into_locals(WEFT_BOUNDS_SOFTWARE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_guard),       cmocka_unit_test(test_frames_software),
        cmocka_unit_test(test_exhausted_guard),    cmocka_unit_test(test_exhausted_software),
        cmocka_unit_test(test_into_locals_guard),  cmocka_unit_test(test_into_locals_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

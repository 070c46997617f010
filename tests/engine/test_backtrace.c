/*
 * test_backtrace.c -- a trap's backtrace names each frame's function and the
 * module byte offset of the instruction the frame was at: the trapping one
 * for the innermost, the call for the others (engine/interp.c backtrace_from,
 * in both tiers: WEFT_TIER selects).  After a guard-page fault the innermost
 * offset is known in compiled code only; software bounds checks know it.  Frames called from a host
 * function that re-entered wasm keep their offsets too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine/module.h"
#include "support/wasm_file.h"

static weft_instance *reentered; /* the instance the callback calls back into */

static weft_status callback(void *env, weft_caller *caller, const weft_val *args, weft_val *results,
                            weft_error *err)
{
    (void)env, (void)caller;
    weft_func *outer = test_export_func(reentered, "outer");
    return weft_call(outer, args, 1, results, 1, err);
}

static weft_instance *instantiate(weft_engine *e, weft_module *m, weft_func **host)
{
    weft_valkind i32 = WEFT_I32;
    weft_functype ft = {.params = &i32, .nparams = 1, .results = &i32, .nresults = 1};
    weft_error err;
    assert_int_equal(weft_func_new(e, &ft, callback, NULL, NULL, host, &err), WEFT_OK);
    weft_extern imp = {.kind = WEFT_EXTERN_FUNC, .of.func = *host};
    weft_instance *inst;
    assert_int_equal(weft_instance_new(m, &imp, 1, &inst, &err), WEFT_OK);
    return inst;
}

/* Frame k's function and the opcode byte at its offset. */
static void expect_frame(const weft_module *m, const weft_error *err, uint32_t k, uint32_t func,
                         int opcode)
{
    assert_true(err->nframes > k);
    assert_int_equal(err->frames[k].func_index, func);
    if (opcode < 0) {
        assert_int_equal(err->frames[k].code_offset, UINT32_MAX);
        return;
    }
    assert_true(err->frames[k].code_offset < m->size);
    assert_int_equal(m->bytes[err->frames[k].code_offset], opcode);
}

static void run(weft_bounds_mode bounds)
{
    weft_engine *e = test_engine_new(bounds);
    weft_module *m = test_module_load(e, "backtrace");
    weft_func *host;
    weft_instance *inst = instantiate(e, m, &host);
    reentered = inst;
    weft_error err;
    weft_val arg = {.kind = WEFT_I32, .of.i32 = 0}, out;

    /* div_u by zero in $inner (func 1), called by $mid (2), called by outer (3). */
    assert_int_equal(weft_call(test_export_func(inst, "outer"), &arg, 1, &out, 1, &err),
                     WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_DIV_BY_ZERO);
    assert_int_equal(err.nframes, 3);
    expect_frame(m, &err, 0, 1, 0x6E); /* i32.div_u */
    expect_frame(m, &err, 1, 2, 0x10); /* call */
    expect_frame(m, &err, 2, 3, 0x10);

    /* Through the host: via_host (5) -> callback -> outer -> $mid -> $inner. */
    assert_int_equal(weft_call(test_export_func(inst, "via_host"), &arg, 1, &out, 1, &err),
                     WEFT_TRAP);
    assert_int_equal(err.nframes, 4);
    expect_frame(m, &err, 0, 1, 0x6E);
    expect_frame(m, &err, 2, 3, 0x10);
    expect_frame(m, &err, 3, 5, 0x10); /* its call of the import */

    /* An out-of-bounds load: known with software checks, and after a fault
     * in compiled code (from the faulting pc), not after one in the
     * interpreter (whose pc was in a register). */
    arg.of.i32 = 65534;
    assert_int_equal(weft_call(test_export_func(inst, "load"), &arg, 1, &out, 1, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
    assert_int_equal(err.nframes, 1);
    uint64_t compiled;
    weft_engine_tier_stats(e, &compiled, NULL);
    bool known = bounds == WEFT_BOUNDS_SOFTWARE || compiled > 0;
    expect_frame(m, &err, 0, 4, known ? 0x28 : -1); /* i32.load */

    weft_instance_free(inst);
    weft_func_free(host);
    weft_module_free(m);
    weft_engine_free(e);
}

static void test_offsets_guard(void **state)
{
    (void)state;
    run(WEFT_BOUNDS_GUARD);
}

static void test_offsets_software(void **state)
{
    (void)state;
    run(WEFT_BOUNDS_SOFTWARE);
}

/* A start function that traps: weft_instance_new fails and frees the
 * instance, so the backtrace's frames name no instance (none that would
 * dangle), while their functions and offsets stay. */
static void test_failed_start_frames(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = test_module_load(e, "capi_start_trap");
    weft_instance *inst = NULL;
    weft_error err;
    assert_int_equal(weft_instance_new(m, NULL, 0, &inst, &err), WEFT_TRAP);
    assert_null(inst);
    assert_int_equal(err.code, WEFT_E_DIV_BY_ZERO);
    assert_int_equal(err.nframes, 2);
    for (uint32_t k = 0; k < err.nframes; k++) {
        assert_int_equal(err.frames[k].func_index, k); /* $inner, then $start */
        assert_null(err.frames[k].instance);
    }
    weft_module_free(m);
    weft_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets_guard),
        cmocka_unit_test(test_offsets_software),
        cmocka_unit_test(test_failed_start_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

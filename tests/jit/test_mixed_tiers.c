/*
 * test_mixed_tiers.c -- compiled and interpreted functions calling each
 * other, frame by frame (jit.h): the compiler is made to refuse the functions
 * of odd index (jit_refuse), as it would one with an instruction it has no
 * template for.  Direct calls, call_indirect, calls through the host, deep
 * recursion across the tiers and a trap whose backtrace crosses them must
 * give the interpreter's results.  Under WEFT_TIER=interp the same test runs
 * all of it in the interpreter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine/module.h"
#include "jit/jit.h"
#include "support/wasm_file.h"

static bool refuse_odd(const weft_module *m, uint32_t func_index)
{
    (void)m;
    return func_index % 2 == 1;
}

static weft_instance *reentered;

static weft_status twice(void *env, weft_caller *caller, const weft_val *args, weft_val *results,
                         weft_error *err)
{
    (void)env, (void)caller;
    weft_val a = {.kind = WEFT_I32, .of.i32 = args[0].of.i32 * 2};
    return weft_call(test_export_func(reentered, "even_entry"), &a, 1, results, 1, err);
}

static int32_t call1(weft_instance *inst, const char *name, int32_t x, weft_error *err,
                     weft_status want)
{
    weft_val a = {.kind = WEFT_I32, .of.i32 = x}, out = {0};
    assert_int_equal(weft_call(test_export_func(inst, name), &a, 1, &out, 1, err), want);
    return out.of.i32;
}

static void run(weft_bounds_mode bounds)
{
    atomic_store(&jit_refuse, refuse_odd);
    weft_engine *e = test_engine_new(bounds);
    weft_module *m = test_module_load(e, "mixed_tiers");
    weft_valkind i32 = WEFT_I32;
    weft_functype ft = {.params = &i32, .nparams = 1, .results = &i32, .nresults = 1};
    weft_func *host;
    weft_error err;
    assert_int_equal(weft_func_new(e, &ft, twice, NULL, NULL, &host, &err), WEFT_OK);
    weft_extern imp = {.kind = WEFT_EXTERN_FUNC, .of.func = host};
    weft_instance *inst;
    assert_int_equal(weft_instance_new(m, &imp, 1, &inst, &err), WEFT_OK);
    reentered = inst;

    /* down_odd(n) alternates tiers on every call: 1, 2, 1, 2, ... */
    for (int32_t n = 0; n < 10; n++)
        assert_int_equal(call1(inst, "even_entry", n, &err, WEFT_OK), n / 2 * 3 + n % 2);
    /* Deep: 5,000 frames, half of each tier, through call_indirect too. */
    assert_int_equal(call1(inst, "even_entry", 5000, &err, WEFT_OK), 7500);
    /* Through the host: via_host (interp) -> host -> even_entry (jit) -> ... */
    assert_int_equal(call1(inst, "via_host", 7, &err, WEFT_OK), 21 + 5);
    /* Too deep for the call stack, across both tiers: a trap, not a crash. */
    call1(inst, "even_entry", 1000000, &err, WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_STACK_EXHAUSTED);
    /* A trap three frames down names every frame, in both tiers. */
    call1(inst, "trap_odd", 0, &err, WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_DIV_BY_ZERO);
    assert_int_equal(err.nframes, 3);
    static const struct {
        uint32_t func;
        uint8_t opcode;
    } frames[] = {{7, 0x6D}, {6, 0x10}, {5, 0x10}}; /* i32.div_s, call, call */
    for (uint32_t k = 0; k < 3; k++) {
        assert_int_equal(err.frames[k].func_index, frames[k].func);
        assert_true(err.frames[k].code_offset < m->size);
        assert_int_equal(m->bytes[err.frames[k].code_offset], frames[k].opcode);
    }

    /* Under the jit tier, the even functions were compiled, the odd not. */
    uint64_t compiled, interpreted;
    weft_engine_tier_stats(e, &compiled, &interpreted);
    if (compiled) {
        assert_int_equal(compiled, 3);    /* 2, 4, 6 */
        assert_int_equal(interpreted, 4); /* 1, 3, 5, 7 */
    }
    weft_instance_free(inst);
    weft_func_free(host);
    weft_module_free(m);
    weft_engine_free(e);
    atomic_store(&jit_refuse, NULL);
}

static void test_mixed_guard(void **state)
{
    (void)state;
    run(WEFT_BOUNDS_GUARD);
}

static void test_mixed_software(void **state)
{
    (void)state;
    run(WEFT_BOUNDS_SOFTWARE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed_guard),
        cmocka_unit_test(test_mixed_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_pinned_locals.c -- locals the compiler keeps in registers (jit/pin.c)
 * against the interpreter: tests/wat/pinned_locals.wat's loops, each with
 * something that reaches the frame (calls of every kind with their result
 * set into a pinned local, recursion, helpers, results returned in pinned
 * parameter slots, a trap in the loop, br_table, select, globals, fused
 * memory forms), run in an interpreter engine and a compiler engine, in
 * both bounds modes.  The results must agree call by call (and match the
 * values worked out by hand where that is short), and the compiler must have
 * pinned locals in the functions that exist to test it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine/code.h"
#include "engine/instance.h"
#include "jit/jit.h"
#include "support/wasm_file.h"

typedef struct pcall {
    const char *name;
    uint32_t nargs;
    int32_t args[2];
    bool pins; /* the compiler must pin some local of it */
} pcall;

static const pcall calls[] = {
    {"direct", 1, {0}, true},         {"direct", 1, {1000}, true},
    {"indirect_host", 1, {500}, true}, {"walk", 2, {3, 5}, true},
    {"walk", 2, {0, 9}, true},        {"helpers", 1, {12}, true},
    {"count_down", 1, {300}, true},   {"count_down", 1, {0}, true},
    {"spin_params", 2, {1, 2}, true}, {"trap_at", 1, {40}, true},
    {"trap_at", 1, {200}, true},      {"mixed", 1, {777}, true},
    {"mixed", 1, {5}, true},          {"fib", 1, {90}, true},
    {"lanes", 1, {100}, true},
};
enum { NCALLS = sizeof calls / sizeof calls[0] };

typedef struct outcome {
    weft_status st;
    weft_code code;
    uint32_t nframes;
    weft_val r[2];
} outcome;

static weft_status twice(void *env, weft_caller *caller, const weft_val *args, weft_val *results,
                         weft_error *err)
{
    (void)env, (void)caller, (void)err;
    /* i32.mul by 2: wraps (unsigned, so C does not call it overflow) */
    results[0] = (weft_val){.kind = WEFT_I32, .of.i32 = (int32_t)((uint32_t)args[0].of.i32 * 2u)};
    return WEFT_OK;
}

/* Every call of `calls` in order on one instance of an engine of `tier`. */
static void run_tier(weft_tier tier, weft_bounds_mode bounds, outcome *out)
{
    weft_config c;
    weft_config_init(&c);
    c.bounds = bounds;
    c.tier = tier;
    weft_engine *e;
    weft_error err;
    assert_int_equal(weft_engine_new(&c, &e, &err), WEFT_OK);
    weft_module *m = test_module_load(e, "pinned_locals");
    weft_valkind i32 = WEFT_I32;
    weft_functype ft = {.params = &i32, .nparams = 1, .results = &i32, .nresults = 1};
    weft_func *host;
    assert_int_equal(weft_func_new(e, &ft, twice, NULL, NULL, &host, &err), WEFT_OK);
    weft_extern imp = {.kind = WEFT_EXTERN_FUNC, .of.func = host};
    weft_instance *inst;
    assert_int_equal(weft_instance_new(m, &imp, 1, &inst, &err), WEFT_OK);
    for (uint32_t i = 0; i < NCALLS; i++) {
        weft_func *f = test_export_func(inst, calls[i].name);
        weft_functype t;
        weft_func_type(f, &t);
        weft_val args[2];
        for (uint32_t k = 0; k < calls[i].nargs; k++)
            args[k] = (weft_val){.kind = WEFT_I32, .of.i32 = calls[i].args[k]};
        outcome *o = &out[i];
        memset(o, 0, sizeof *o);
        o->st = weft_call(f, args, calls[i].nargs, o->r, t.nresults, &err);
        if (o->st != WEFT_OK) {
            o->code = err.code;
            o->nframes = err.nframes;
        }
        if (tier == WEFT_TIER_JIT && jit_supported()) {
            const cmp_code *code;
            assert_int_equal(cmp_get(m, f->index, &code, &err), WEFT_OK);
            assert_non_null(code->jit); /* compiled, not interpreted */
            if (calls[i].pins && jit_func_pinned(code->jit) == 0)
                fail_msg("%s: no local pinned", calls[i].name);
        }
    }
    weft_instance_free(inst);
    weft_func_free(host);
    weft_module_free(m);
    weft_engine_free(e);
}

static void compare(weft_bounds_mode bounds)
{
    outcome in[NCALLS], jit[NCALLS];
    run_tier(WEFT_TIER_INTERP, bounds, in);
    run_tier(WEFT_TIER_JIT, bounds, jit);
    for (uint32_t i = 0; i < NCALLS; i++) {
        if (in[i].st != jit[i].st || in[i].code != jit[i].code ||
            in[i].nframes != jit[i].nframes || in[i].r[0].of.i64 != jit[i].r[0].of.i64 ||
            in[i].r[1].of.i64 != jit[i].r[1].of.i64)
            fail_msg("%s(%d): interp status %d code %d result %lld %lld, jit %d %d %lld %lld",
                     calls[i].name, calls[i].args[0], in[i].st, in[i].code,
                     (long long)in[i].r[0].of.i64, (long long)in[i].r[1].of.i64, jit[i].st,
                     jit[i].code, (long long)jit[i].r[0].of.i64, (long long)jit[i].r[1].of.i64);
    }
    /* Worked out by hand: sum of n^2 xor 8n for n = 300 .. 1 (count_down is
     * checked by the loop below), spin_params(1, 2) and the two traps. */
    uint32_t acc = 0;
    for (uint32_t n = 300; n; n--)
        acc = (acc + n * n) ^ (n << 3);
    assert_int_equal((uint32_t)jit[6].r[0].of.i32, acc);
    assert_int_equal(jit[7].r[0].of.i32, 0);
    int32_t a = 1, b = 2;
    while (a < 1000) {
        int32_t t = a;
        a += b;
        b = t + 1;
    }
    assert_int_equal(jit[8].r[0].of.i32, b);
    assert_int_equal(jit[8].r[1].of.i32, a);
    assert_int_equal(jit[9].st, WEFT_TRAP);
    assert_int_equal(jit[9].code, WEFT_E_DIV_BY_ZERO);
    assert_int_equal(jit[10].st, WEFT_OK);
    assert_int_equal(jit[13].r[0].of.i64, INT64_C(2880067194370816120)); /* fib(90) */
}

static void test_guard(void **state)
{
    (void)state;
    compare(WEFT_BOUNDS_GUARD);
}

static void test_software(void **state)
{
    (void)state;
    compare(WEFT_BOUNDS_SOFTWARE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guard),
        cmocka_unit_test(test_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

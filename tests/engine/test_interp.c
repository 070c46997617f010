/*
 * test_interp.c -- the translator and interpreter: numeric helpers on their
 * edge cases, calls, loops, multi-value and local hazards, traps with
 * backtraces (unreachable, guest recursion past the limits, an out-of-bounds
 * load in both bounds modes, including the guard-fault path), and racing
 * translations of one function.
 *
 * The module is the WAT source below, compiled with wat2wasm --debug-names.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/code.h"
#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/interp.h"
#include "engine/numeric.h"
#include "support/signals.h"
#include "threads/thread.h"

/*
 * (module
 *   (memory 1)
 *   (func $recurse (export "recurse") (param i32) (result i32)
 *     (call $recurse (i32.add (local.get 0) (i32.const 1))))
 *   (func $inner (unreachable))
 *   (func $middle (call $inner))
 *   (func $outer (export "outer") (call $middle))
 *   (func $oob_inner (param i32) (result i32) (i32.load offset=8 (local.get 0)))
 *   (func $oob (export "oob") (param i32) (result i32) (call $oob_inner (local.get 0)))
 *   (func $fib (export "fib") (param i32) (result i32)
 *     (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
 *       (then (local.get 0))
 *       (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
 *                      (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
 *   (func $sum (export "sum") (param i32) (result i64) (local i64)
 *     (block (loop
 *       (br_if 1 (i32.eqz (local.get 0)))
 *       (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
 *       (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
 *       (br 0)))
 *     (local.get 1))
 *   (func $swap (export "swap") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
 *   (func $tee (export "tee") (param i32) (result i32) (local i32)
 *     ;; the old value of local 0 must survive the local.set below it on the stack
 *     (local.get 0)
 *     (local.set 0 (i32.const 5))
 *     (local.get 0)
 *     (i32.sub))
 * )
 */
static const uint8_t test_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x15, 0x04, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7e,
    0x60, 0x02, 0x7f, 0x7f, 0x02, 0x7f, 0x7f, 0x03, 0x0b, 0x0a, 0x00, 0x01,
    0x01, 0x01, 0x00, 0x00, 0x00, 0x02, 0x03, 0x00, 0x05, 0x03, 0x01, 0x00,
    0x01, 0x07, 0x32, 0x07, 0x07, 0x72, 0x65, 0x63, 0x75, 0x72, 0x73, 0x65,
    0x00, 0x00, 0x05, 0x6f, 0x75, 0x74, 0x65, 0x72, 0x00, 0x03, 0x03, 0x6f,
    0x6f, 0x62, 0x00, 0x05, 0x03, 0x66, 0x69, 0x62, 0x00, 0x06, 0x03, 0x73,
    0x75, 0x6d, 0x00, 0x07, 0x04, 0x73, 0x77, 0x61, 0x70, 0x00, 0x08, 0x03,
    0x74, 0x65, 0x65, 0x00, 0x09, 0x0a, 0x7d, 0x0a, 0x09, 0x00, 0x20, 0x00,
    0x41, 0x01, 0x6a, 0x10, 0x00, 0x0b, 0x03, 0x00, 0x00, 0x0b, 0x04, 0x00,
    0x10, 0x01, 0x0b, 0x04, 0x00, 0x10, 0x02, 0x0b, 0x07, 0x00, 0x20, 0x00,
    0x28, 0x02, 0x08, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x10, 0x04, 0x0b, 0x1c,
    0x00, 0x20, 0x00, 0x41, 0x02, 0x49, 0x04, 0x7f, 0x20, 0x00, 0x05, 0x20,
    0x00, 0x41, 0x01, 0x6b, 0x10, 0x06, 0x20, 0x00, 0x41, 0x02, 0x6b, 0x10,
    0x06, 0x6a, 0x0b, 0x0b, 0x22, 0x01, 0x01, 0x7e, 0x02, 0x40, 0x03, 0x40,
    0x20, 0x00, 0x45, 0x0d, 0x01, 0x20, 0x01, 0x20, 0x00, 0xad, 0x7c, 0x21,
    0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b,
    0x20, 0x01, 0x0b, 0x06, 0x00, 0x20, 0x01, 0x20, 0x00, 0x0b, 0x0d, 0x01,
    0x01, 0x7f, 0x20, 0x00, 0x41, 0x05, 0x21, 0x00, 0x20, 0x00, 0x6b, 0x0b,
    0x00, 0x63, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x01, 0x45, 0x0a, 0x00, 0x07,
    0x72, 0x65, 0x63, 0x75, 0x72, 0x73, 0x65, 0x01, 0x05, 0x69, 0x6e, 0x6e,
    0x65, 0x72, 0x02, 0x06, 0x6d, 0x69, 0x64, 0x64, 0x6c, 0x65, 0x03, 0x05,
    0x6f, 0x75, 0x74, 0x65, 0x72, 0x04, 0x09, 0x6f, 0x6f, 0x62, 0x5f, 0x69,
    0x6e, 0x6e, 0x65, 0x72, 0x05, 0x03, 0x6f, 0x6f, 0x62, 0x06, 0x03, 0x66,
    0x69, 0x62, 0x07, 0x03, 0x73, 0x75, 0x6d, 0x08, 0x04, 0x73, 0x77, 0x61,
    0x70, 0x09, 0x03, 0x74, 0x65, 0x65, 0x02, 0x15, 0x0a, 0x00, 0x00, 0x01,
    0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00, 0x07,
    0x00, 0x08, 0x00, 0x09, 0x00,
};

/* ---- numeric helpers ------------------------------------------------------- */

static bool neg_zero32(float f) { return f == 0.0f && signbit(f); }
static bool neg_zero64(double d) { return d == 0.0 && signbit(d); }

static void test_min_max(void **state)
{
    (void)state;
    assert_true(neg_zero32(num_fmin32(0.0f, -0.0f)));
    assert_true(neg_zero32(num_fmin32(-0.0f, 0.0f)));
    assert_false(signbit(num_fmax32(-0.0f, 0.0f)));
    assert_false(signbit(num_fmax32(0.0f, -0.0f)));
    assert_true(neg_zero64(num_fmin64(0.0, -0.0)));
    assert_false(signbit(num_fmax64(-0.0, 0.0)));
    assert_true(isnan(num_fmin32(NAN, 1.0f)));
    assert_true(isnan(num_fmax32(1.0f, NAN)));
    assert_true(isnan(num_fmin64(-INFINITY, NAN)));
    /* A signalling NaN comes back quiet. */
    uint32_t snan = 0x7fa00000u;
    assert_int_equal(num_f32_bits(num_fmax32(num_f32_of(snan), 0.0f)) & 0x00400000u, 0x00400000u);
    assert_true(num_fmin32(-1.0f, 2.0f) == -1.0f);
    assert_true(num_fmax64(-1.0, 2.0) == 2.0);
}

static void test_nearest(void **state)
{
    (void)state;
    assert_true(num_nearest32(0.5f) == 0.0f);
    assert_true(num_nearest32(1.5f) == 2.0f);
    assert_true(num_nearest32(2.5f) == 2.0f);
    assert_true(num_nearest32(-3.5f) == -4.0f);
    assert_true(neg_zero32(num_nearest32(-0.5f)));
    assert_true(neg_zero32(num_nearest32(-0.0f)));
    assert_true(num_nearest32(8388609.0f) == 8388609.0f);
    assert_true(num_nearest64(2.5) == 2.0);
    assert_true(num_nearest64(-2.5) == -2.0);
    assert_true(num_nearest64(4503599627370497.0) == 4503599627370497.0);
    assert_true(neg_zero64(num_nearest64(-0.25)));
    assert_true(isinf(num_nearest64(-INFINITY)));
    uint32_t snan = 0x7fa00000u;
    assert_int_equal(num_f32_bits(num_floor32(num_f32_of(snan))), 0x7fe00000u);
}

static void test_trunc(void **state)
{
    (void)state;
    int32_t i;
    uint32_t u;
    int64_t l;
    uint64_t ul;
    assert_true(num_trunc_i32_s(2147483647.0, &i) && i == INT32_MAX);
    assert_false(num_trunc_i32_s(2147483648.0, &i));
    assert_true(num_trunc_i32_s(-2147483648.9, &i) && i == INT32_MIN);
    assert_false(num_trunc_i32_s(-2147483649.0, &i));
    assert_false(num_trunc_i32_s(NAN, &i));
    assert_true(num_trunc_i32_u(-0.9, &u) && u == 0);
    assert_false(num_trunc_i32_u(-1.0, &u));
    assert_true(num_trunc_i32_u(4294967295.9, &u) && u == UINT32_MAX);
    assert_false(num_trunc_i32_u(4294967296.0, &u));
    assert_false(num_trunc_i64_s(9223372036854775808.0, &l));
    assert_true(num_trunc_i64_s(-9223372036854775808.0, &l) && l == INT64_MIN);
    assert_true(num_trunc_i64_u(18446744073709549568.0, &ul) && ul == 18446744073709549568ull);
    assert_false(num_trunc_i64_u(18446744073709551616.0, &ul));
    assert_false(num_trunc_i64_u(INFINITY, &ul));

    assert_int_equal(num_sat_i32_s(NAN), 0);
    assert_int_equal(num_sat_i32_s(1e10), INT32_MAX);
    assert_int_equal(num_sat_i32_s(-1e10), INT32_MIN);
    assert_int_equal(num_sat_i32_u(-5.0), 0);
    assert_int_equal(num_sat_i32_u(INFINITY), UINT32_MAX);
    assert_true(num_sat_i64_s(-INFINITY) == INT64_MIN);
    assert_true(num_sat_i64_s(9223372036854775808.0) == INT64_MAX);
    assert_true(num_sat_i64_u(1e30) == UINT64_MAX);
    assert_true(num_sat_i64_u(12.7) == 12);
}

static void test_bits(void **state)
{
    (void)state;
    assert_int_equal(num_rotl32(0x80000001u, 1), 0x00000003u);
    assert_int_equal(num_rotr32(0x00000003u, 33), 0x80000001u);
    assert_int_equal(num_rotl32(0x12345678u, 0), 0x12345678u);
    assert_true(num_rotl64(0x8000000000000001ull, 65) == 3);
    assert_true(num_rotr64(1, 1) == 0x8000000000000000ull);
    assert_int_equal(num_clz32(0), 32);
    assert_int_equal(num_ctz32(0), 32);
    assert_true(num_clz64(1) == 63);
    assert_true(num_popcnt64(UINT64_MAX) == 64);
    /* Rounds once from the exact integer: through double it would tie to 2^63. */
    assert_true(num_u64_to_f32(0x8000008000000001ull) == 9223373136366403584.0f);
    assert_int_equal(num_f32_bits(num_copysign32(1.0f, -0.0f)), 0xbf800000u);
    assert_int_equal(num_f32_bits(num_fneg32(num_f32_of(0x7fc00000u))), 0xffc00000u);
}

/* ---- running the module --------------------------------------------------- */

typedef struct fixture {
    weft_engine *engine;
    weft_module *module;
    weft_instance *inst;
} fixture;

static void open_fixture(fixture *fx, weft_bounds_mode bounds, uint32_t max_depth)
{
    weft_config c;
    weft_config_init(&c);
    c.bounds = bounds;
    if (max_depth)
        c.max_call_depth = max_depth;
    weft_error err;
    assert_int_equal(weft_engine_new(&c, &fx->engine, &err), WEFT_OK);
    assert_int_equal(weft_module_new(fx->engine, test_wasm, sizeof test_wasm, &fx->module, &err),
                     WEFT_OK);
    assert_int_equal(weft_instance_new(fx->module, NULL, 0, &fx->inst, &err), WEFT_OK);
}

static void close_fixture(fixture *fx)
{
    weft_instance_free(fx->inst);
    weft_module_free(fx->module);
    weft_engine_free(fx->engine);
}

static weft_func *export_func(fixture *fx, const char *name)
{
    weft_extern x;
    assert_true(weft_instance_export(fx->inst, name, strlen(name), &x));
    assert_int_equal(x.kind, WEFT_EXTERN_FUNC);
    return x.of.func;
}

static weft_status call_i32(fixture *fx, const char *name, int32_t arg, weft_val *res,
                            weft_error *err)
{
    weft_val a = {.kind = WEFT_I32, .of.i32 = arg};
    return weft_call(export_func(fx, name), &a, 1, res, 1, err);
}

static void expect_frames(const weft_error *err, const char *const *names, uint32_t n)
{
    assert_true(err->nframes >= n);
    for (uint32_t i = 0; i < n; i++) {
        assert_non_null(err->frames[i].name);
        assert_string_equal(err->frames[i].name, names[i]);
    }
}

static void run_basics(weft_bounds_mode bounds)
{
    fixture fx;
    open_fixture(&fx, bounds, 0);
    weft_error err;
    weft_val r[2];
    assert_int_equal(call_i32(&fx, "fib", 20, r, &err), WEFT_OK);
    assert_int_equal(r[0].of.i32, 6765);
    assert_int_equal(call_i32(&fx, "sum", 100000, r, &err), WEFT_OK);
    assert_true(r[0].of.i64 == 5000050000ll);
    assert_int_equal(call_i32(&fx, "tee", 7, r, &err), WEFT_OK);
    assert_int_equal(r[0].of.i32, 2);
    weft_val args[2] = {{.kind = WEFT_I32, .of.i32 = 1}, {.kind = WEFT_I32, .of.i32 = 2}};
    assert_int_equal(weft_call(export_func(&fx, "swap"), args, 2, r, 2, &err), WEFT_OK);
    assert_int_equal(r[0].of.i32, 2);
    assert_int_equal(r[1].of.i32, 1);
    close_fixture(&fx);
}

static void test_basics_guard(void **state) { (void)state; run_basics(WEFT_BOUNDS_GUARD); }
static void test_basics_software(void **state) { (void)state; run_basics(WEFT_BOUNDS_SOFTWARE); }

static void test_unreachable_backtrace(void **state)
{
    (void)state;
    fixture fx;
    open_fixture(&fx, WEFT_BOUNDS_GUARD, 0);
    weft_error err;
    assert_int_equal(weft_call(export_func(&fx, "outer"), NULL, 0, NULL, 0, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_UNREACHABLE);
    static const char *const names[] = {"inner", "middle", "outer"};
    expect_frames(&err, names, 3);
    assert_int_equal(err.nframes, 3);
    close_fixture(&fx);
}

/* Unbounded guest recursion is a trap, by depth or by value-stack space, and
 * the thread can run wasm again afterwards. */
static void run_recursion(uint32_t max_depth)
{
    fixture fx;
    open_fixture(&fx, WEFT_BOUNDS_GUARD, max_depth);
    weft_error err;
    weft_val r;
    for (int round = 0; round < 2; round++) {
        assert_int_equal(call_i32(&fx, "recurse", 0, &r, &err), WEFT_TRAP);
        assert_int_equal(err.code, WEFT_E_STACK_EXHAUSTED);
        static const char *const names[] = {"recurse", "recurse"};
        expect_frames(&err, names, 2);
        assert_int_equal(err.nframes, WEFT_MAX_FRAMES);
        assert_int_equal(call_i32(&fx, "fib", 10, &r, &err), WEFT_OK);
        assert_int_equal(r.of.i32, 55);
    }
    close_fixture(&fx);
}

static void test_recursion_depth(void **state) { (void)state; run_recursion(1000); }
static void test_recursion_stack(void **state) { (void)state; run_recursion(UINT32_MAX); }

static void test_oob_software(void **state)
{
    (void)state;
    fixture fx;
    open_fixture(&fx, WEFT_BOUNDS_SOFTWARE, 0);
    weft_error err;
    weft_val r;
    assert_int_equal(call_i32(&fx, "oob", 65528, &r, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
    static const char *const names[] = {"oob_inner", "oob"};
    expect_frames(&err, names, 2);
    assert_int_equal(call_i32(&fx, "oob", 65524, &r, &err), WEFT_OK);
    assert_int_equal(r.of.i32, 0);
    close_fixture(&fx);
}

/* The guard-fault path, driven through the internal entry: the fault
 * longjmps past interp_invoke, and interp_after_trap still names the frames
 * and leaves the context ready for the next call. */
typedef struct invoke_arg {
    thr_context *ctx;
    weft_func *f;
    uint64_t *slots;
    weft_error *err;
} invoke_arg;

static weft_status invoke_fn(void *p)
{
    invoke_arg *a = p;
    return interp_invoke(a->ctx, a->f, a->slots, a->err);
}


static void test_oob_guard_fault(void **state)
{
    (void)state;
    test_traps_on();
    fixture fx;
    open_fixture(&fx, WEFT_BOUNDS_GUARD, 0);
    weft_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(thr_install_handler(&err), WEFT_OK);
    thr_context *ctx = thr_current(eng_config(fx.engine)->value_stack_bytes);
    assert_non_null(ctx);
    weft_memory *mem = fx.inst->memory0;
    thr_allow_range(ctx, mem->base, mem->reserved);
    uint64_t slots[2] = {65528, 0};
    invoke_arg a = {ctx, export_func(&fx, "oob"), slots, &err};
    assert_int_equal(thr_enter(ctx, invoke_fn, &a, true, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
    err.nframes = 0;
    interp_after_trap(ctx, &err);
    static const char *const names[] = {"oob_inner", "oob"};
    expect_frames(&err, names, 2);
    assert_int_equal(err.nframes, 2);
    assert_null(ctx->interp_top);
    assert_null(ctx->interp_entry);
    slots[0] = 12;
    a.f = export_func(&fx, "fib");
    assert_int_equal(thr_enter(ctx, invoke_fn, &a, true, &err), WEFT_OK);
    assert_int_equal((uint32_t)slots[0], 144);
    close_fixture(&fx);
    test_traps_off();
}

/* A set terminate flag stops a running loop at its back-edge (and a call). */
static void test_terminate(void **state)
{
    (void)state;
    fixture fx;
    open_fixture(&fx, WEFT_BOUNDS_GUARD, 0);
    thr_context *ctx = thr_current(eng_config(fx.engine)->value_stack_bytes);
    assert_non_null(ctx);
    _Atomic int flag = 1;
    _Atomic int *saved = ctx->terminate;
    ctx->terminate = &flag;
    weft_error err;
    weft_val r;
    assert_int_equal(call_i32(&fx, "sum", 1000000, &r, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_TERMINATED);
    assert_int_equal(call_i32(&fx, "fib", 5, &r, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_TERMINATED);
    atomic_store(&flag, 0);
    assert_int_equal(call_i32(&fx, "sum", 10, &r, &err), WEFT_OK);
    assert_true(r.of.i64 == 55);
    ctx->terminate = saved;
    close_fixture(&fx);
}

/* ---- racing translations ------------------------------------------------------ */

typedef struct race_arg {
    weft_module *m;
    uint32_t func;
    pthread_barrier_t *barrier;
    const cmp_code *got;
    weft_status st;
} race_arg;

static void *race_thread(void *p)
{
    race_arg *a = p;
    weft_error err;
    pthread_barrier_wait(a->barrier);
    a->st = cmp_get(a->m, a->func, &a->got, &err);
    return NULL;
}

static void test_translation_race(void **state)
{
    (void)state;
    enum { N = 8 };
    fixture fx;
    open_fixture(&fx, WEFT_BOUNDS_GUARD, 0);
    uint32_t func = export_func(&fx, "sum")->index;
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, N);
    pthread_t th[N];
    race_arg args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (race_arg){.m = fx.module, .func = func, .barrier = &barrier};
        assert_int_equal(pthread_create(&th[i], NULL, race_thread, &args[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < N; i++) {
        assert_int_equal(args[i].st, WEFT_OK);
        assert_ptr_equal(args[i].got, args[0].got);
    }
    assert_ptr_equal(atomic_load(&fx.module->codes[func - fx.module->nfunc_imports].code),
                     args[0].got);
    assert_int_equal(args[0].got->func_index, func);
    pthread_barrier_destroy(&barrier);
    close_fixture(&fx);
}

int main(void)
{
    if (!test_signals_save())
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_min_max),
        cmocka_unit_test(test_nearest),
        cmocka_unit_test(test_trunc),
        cmocka_unit_test(test_bits),
        cmocka_unit_test(test_basics_guard),
        cmocka_unit_test(test_basics_software),
        cmocka_unit_test(test_unreachable_backtrace),
        cmocka_unit_test(test_recursion_depth),
        cmocka_unit_test(test_recursion_stack),
        cmocka_unit_test(test_oob_software),
        cmocka_unit_test(test_oob_guard_fault),
        cmocka_unit_test(test_terminate),
        cmocka_unit_test(test_translation_race),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_simd.c -- v128 values in the interpreter's frames (engine/code.h,
 * Frames: two slots each) and SIMD code's traps, through the public API:
 * parameters and results interleaved with scalars, across direct, indirect
 * and host calls; locals, constants, globals (also read and written by the
 * API), block, loop and if values, br_table and select; v128 memory
 * accesses of every form trapping when they reach past the end of memory --
 * also straddling it -- in both bounds modes, a trapping store writing
 * nothing, a trap two calls deep naming both frames.  And the frame layout
 * itself: v128 parameters and locals counted in slots, while scalar
 * functions' frames stay as they were before v128 ran (pinned sizes).
 * The module is tests/wat/simd_frames.wat.
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

static weft_val v4(int32_t a, int32_t b, int32_t c, int32_t d)
{
    weft_val v = {.kind = WEFT_V128};
    int32_t lanes[4] = {a, b, c, d};
    memcpy(v.of.v128, lanes, 16);
    return v;
}
static weft_val i32v(int32_t x) { return (weft_val){.kind = WEFT_I32, .of.i32 = x}; }
static weft_val i64v(int64_t x) { return (weft_val){.kind = WEFT_I64, .of.i64 = x}; }
static weft_val f64v(double x) { return (weft_val){.kind = WEFT_F64, .of.f64 = x}; }

static void assert_v4(weft_val v, int32_t a, int32_t b, int32_t c, int32_t d)
{
    assert_int_equal(v.kind, WEFT_V128);
    weft_val want = v4(a, b, c, d);
    if (memcmp(v.of.v128, want.of.v128, 16) != 0) {
        int32_t got[4];
        memcpy(got, v.of.v128, 16);
        fail_msg("got i32x4 %d %d %d %d, want %d %d %d %d", got[0], got[1], got[2], got[3], a, b,
                 c, d);
    }
}

/* The host's vmix(v, i, w) = (2i, v + w (i32x4), i + 0.5). */
static weft_status vmix(void *env, weft_caller *caller, const weft_val *args, weft_val *results,
                        weft_error *err)
{
    (void)env;
    (void)caller;
    (void)err;
    assert_int_equal(args[0].kind, WEFT_V128);
    assert_int_equal(args[1].kind, WEFT_I32);
    assert_int_equal(args[2].kind, WEFT_V128);
    int32_t v[4], w[4];
    memcpy(v, args[0].of.v128, 16);
    memcpy(w, args[2].of.v128, 16);
    results[0] = i32v(2 * args[1].of.i32);
    results[1] = v4(v[0] + w[0], v[1] + w[1], v[2] + w[2], v[3] + w[3]);
    results[2] = f64v(args[1].of.i32 + 0.5);
    return WEFT_OK;
}

typedef struct simd_fixture {
    weft_engine *engine;
    weft_module *module;
    weft_instance *inst;
    weft_func *host;
} simd_fixture;

static void open_simd(simd_fixture *fx, weft_bounds_mode bounds)
{
    static const weft_valkind params[] = {WEFT_V128, WEFT_I32, WEFT_V128};
    static const weft_valkind results[] = {WEFT_I32, WEFT_V128, WEFT_F64};
    weft_functype type = {params, 3, results, 3};
    weft_error err;
    fx->engine = test_engine_new(bounds);
    fx->module = test_module_load(fx->engine, "simd_frames");
    assert_int_equal(weft_func_new(fx->engine, &type, vmix, NULL, NULL, &fx->host, &err), WEFT_OK);
    weft_extern imp = {.kind = WEFT_EXTERN_FUNC, .of.func = fx->host};
    assert_int_equal(weft_instance_new(fx->module, &imp, 1, &fx->inst, &err), WEFT_OK);
}

static void close_simd(simd_fixture *fx)
{
    weft_instance_free(fx->inst);
    weft_func_free(fx->host);
    weft_module_free(fx->module);
    weft_engine_free(fx->engine);
}

static weft_status call(simd_fixture *fx, const char *name, const weft_val *args, size_t n,
                        weft_val *out, size_t nr, weft_error *err)
{
    return weft_call(test_export_func(fx->inst, name), args, n, out, nr, err);
}

static weft_val call1(simd_fixture *fx, const char *name, const weft_val *args, size_t n)
{
    weft_val out;
    weft_error err;
    weft_status st = call(fx, name, args, n, &out, 1, &err);
    if (st != WEFT_OK)
        fail_msg("%s: %s", name, err.message);
    return out;
}

static void run_values(weft_bounds_mode bounds)
{
    simd_fixture fx;
    weft_error err;
    open_simd(&fx, bounds);

    /* The API: five mixed parameters in, five results out, reversed. */
    weft_val args[5] = {i32v(-3), v4(1, 2, 3, 4), i64v(INT64_MIN + 5), v4(-1, -2, -3, -4),
                        f64v(0.25)};
    weft_val res[5];
    assert_int_equal(call(&fx, "rev", args, 5, res, 5, &err), WEFT_OK);
    assert_int_equal(res[0].kind, WEFT_F64);
    assert_true(res[0].of.f64 == 0.25);
    assert_v4(res[1], -1, -2, -3, -4);
    assert_int_equal(res[2].kind, WEFT_I64);
    assert_true(res[2].of.i64 == INT64_MIN + 5);
    assert_v4(res[3], 1, 2, 3, 4);
    assert_int_equal(res[4].of.i32, -3);

    /* Direct and indirect calls, locals between the v128 ones. */
    weft_val cargs[3] = {v4(1, 2, 3, 4), v4(10, 20, 30, 40), i32v(9)};
    assert_v4(call1(&fx, "calls", cargs, 3), 1 + 10 + 9, 2 + 20 + 5, 3 + 30 + 40, 4 + 40 + 7);

    /* Blocks, loops, ifs, br_table and select on v128 values. */
    weft_val bargs[2] = {v4(1, 2, 3, 4), i32v(3)};
    assert_v4(call1(&fx, "blocks", bargs, 2), 252, 251, 250, 249); /* +3, i8x16.neg */
    bargs[1] = i32v(2);
    assert_v4(call1(&fx, "blocks", bargs, 2), -8, -10, -12, -14); /* +2, not, *2 */
    bargs[1] = i32v(0);
    assert_v4(call1(&fx, "blocks", bargs, 2), -1, -1, -1, -1);

    /* A host function with v128 parameters and results. */
    weft_val hargs[2] = {v4(1, 2, 3, 4), i32v(6)};
    assert_v4(call1(&fx, "host", hargs, 2), 11 + 12, 22 + 6, 33, 44);

    /* A v128 global, from wasm and from the API. */
    weft_extern g;
    assert_true(weft_instance_export(fx.inst, "g", 1, &g));
    weft_val gv;
    weft_global_get(g.of.global, &gv);
    assert_v4(gv, 1, 2, 3, 4);
    weft_val nv = v4(5, 6, 7, 8);
    assert_v4(call1(&fx, "gswap", &nv, 1), 1, 2, 3, 4);
    weft_global_get(g.of.global, &gv);
    assert_v4(gv, 5, 6, 7, 8);
    gv = v4(-5, 0, INT32_MIN, INT32_MAX);
    assert_int_equal(weft_global_set(g.of.global, &gv, &err), WEFT_OK);
    assert_v4(call1(&fx, "gswap", &nv, 1), -5, 0, INT32_MIN, INT32_MAX);
    close_simd(&fx);
}

static void test_values_guard(void **state)
{
    (void)state;
    run_values(WEFT_BOUNDS_GUARD);
}

static void test_values_software(void **state)
{
    (void)state;
    run_values(WEFT_BOUNDS_SOFTWARE);
}

/* Export `name` (address, [v128]) at `ok` runs; at ok + 1 (straddling the
 * end) and at 0xFFFFFFF0 it traps out of bounds. */
static void check_edge(simd_fixture *fx, const char *name, uint32_t ok, bool value, bool result)
{
    weft_val args[2] = {i32v((int32_t)ok), v4(0x01020304, 0x05060708, 0x090A0B0C, 0x0D0E0F10)};
    weft_val out;
    weft_error err;
    size_t n = value ? 2 : 1, nr = result ? 1 : 0;
    weft_status st = call(fx, name, args, n, &out, nr, &err);
    if (st != WEFT_OK)
        fail_msg("%s at %u: %s", name, ok, err.message);
    uint32_t bad[2] = {ok + 1, 0xFFFFFFF0u};
    for (int i = 0; i < 2; i++) {
        args[0] = i32v((int32_t)bad[i]);
        st = call(fx, name, args, n, &out, nr, &err);
        if (st != WEFT_TRAP)
            fail_msg("%s at %u did not trap", name, bad[i]);
        assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
    }
}

static void run_traps(weft_bounds_mode bounds)
{
    simd_fixture fx;
    weft_error err;
    open_simd(&fx, bounds);
    weft_extern mem;
    assert_true(weft_instance_export(fx.inst, "mem", 3, &mem));
    uint8_t *data = weft_memory_data(mem.of.memory);
    uint32_t size = (uint32_t)weft_memory_size(mem.of.memory);
    assert_int_equal(size, 65536);
    for (uint32_t i = 0; i < 64; i++)
        data[size - 64 + i] = (uint8_t)(0xA0 + i);

    check_edge(&fx, "load", size - 16, false, true);
    check_edge(&fx, "load_off", size - 24, false, true);
    check_edge(&fx, "load64_lane", size - 8, true, true);
    check_edge(&fx, "load32_splat", size - 4, false, true);
    check_edge(&fx, "load64_zero", size - 8, false, true);
    check_edge(&fx, "load8x8_s", size - 8, false, true);

    /* A store straddling the end writes nothing of its value. */
    uint8_t before[64];
    memcpy(before, data + size - 64, 64);
    weft_val sargs[2] = {i32v((int32_t)(size - 15)), v4(-1, -1, -1, -1)};
    assert_int_equal(call(&fx, "store", sargs, 2, NULL, 0, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
    assert_memory_equal(data + size - 64, before, 64);
    sargs[0] = i32v((int32_t)(size - 3));
    assert_int_equal(call(&fx, "store32_lane", sargs, 2, NULL, 0, &err), WEFT_TRAP);
    assert_memory_equal(data + size - 64, before, 64);
    check_edge(&fx, "store", size - 16, true, false);
    check_edge(&fx, "store32_lane", size - 4, true, false);
    uint8_t want[16] = {0x04, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06, 0x05,
                        0x0C, 0x0B, 0x0A, 0x09, 0x10, 0x0F, 0x0E, 0x0D};
    assert_memory_equal(data + size - 16, want, 12);
    assert_memory_equal(data + size - 4, want + 12, 4); /* the lane store, last */

    /* The loads read what is there. */
    weft_val a = i32v((int32_t)(size - 16));
    weft_val got = call1(&fx, "load", &a, 1);
    assert_memory_equal(got.of.v128, want, 16);

    /* A trap in SIMD code two calls deep names both frames; then the instance
     * runs on. */
    a = i32v((int32_t)(size - 8));
    weft_val out;
    assert_int_equal(call(&fx, "deep", &a, 1, &out, 1, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
    assert_true(err.nframes >= 2);
    a = i32v((int32_t)(size - 16));
    assert_int_equal(call1(&fx, "deep", &a, 1).of.i32, 0x01020304 + 1);
    weft_val bargs[2] = {v4(1, 2, 3, 4), i32v(3)};
    assert_v4(call1(&fx, "blocks", bargs, 2), 252, 251, 250, 249);
    close_simd(&fx);
}

static void test_traps_guard(void **state)
{
    (void)state;
    test_traps_on();
    run_traps(WEFT_BOUNDS_GUARD);
    test_traps_off();
}

static void test_traps_software(void **state)
{
    (void)state;
    run_traps(WEFT_BOUNDS_SOFTWARE);
}

/* The translated code of export `name`. */
static const cmp_code *code_of(weft_module *m, const char *name)
{
    fixture fx = {.module = m};
    const cmp_code *code;
    weft_error err;
    assert_int_equal(cmp_get(m, fixture_func_index(&fx, name), &code, &err), WEFT_OK);
    return code;
}

/* v128 parameters, results and locals take two slots each. */
static void test_v128_slots(void **state)
{
    (void)state;
    simd_fixture fx;
    open_simd(&fx, WEFT_BOUNDS_GUARD);
    const cmp_code *rev = code_of(fx.module, "rev");
    assert_int_equal(rev->nparams, 1 + 2 + 1 + 2 + 1);
    assert_int_equal(rev->nresults, 7);
    assert_int_equal(rev->nlocals, 7);
    const cmp_code *calls = code_of(fx.module, "calls");
    assert_int_equal(calls->nparams, 5);
    assert_int_equal(calls->nlocals, 5 + 1 + 2 + 1 + 2 + 1);
    assert_int_equal(calls->nresults, 2);
    const cmp_code *g = code_of(fx.module, "gswap");
    assert_int_equal(g->nparams, 2);
    assert_int_equal(g->nresults, 2);
    close_simd(&fx);
}

/* Scalar functions' frames are as before v128 values ran: a checksum of the
 * frame sizes and local slots of every function of these modules, as the
 * translator made them before (a stack position is one slot when no v128 is
 * about; the values were taken from the translator before SIMD; fusion.wat
 * gained two functions after, whose frames add 8153 to its 20191). */
static void test_scalar_frames_unchanged(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint32_t sum;
    } pinned[] = {{"speed", 33601}, {"calls", 15116}, {"fusion", 20191 + 8153}, {"superinstr", 78395},
                  {"call_results", 27477}};
    for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
        weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
        weft_module *m = test_module_load(e, pinned[i].name);
        uint32_t sum = 0;
        for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
            const cmp_code *code;
            weft_error err;
            assert_int_equal(cmp_get(m, f, &code, &err), WEFT_OK);
            sum += (f + 1) * code->frame_size + 1000 * code->nlocals;
        }
        assert_int_equal(sum, pinned[i].sum);
        weft_module_free(m);
        weft_engine_free(e);
    }
}

int main(void)
{
    if (!test_signals_save())
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_guard),
        cmocka_unit_test(test_values_software),
        cmocka_unit_test(test_traps_guard),
        cmocka_unit_test(test_traps_software),
        cmocka_unit_test(test_v128_slots),
        cmocka_unit_test(test_scalar_frames_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

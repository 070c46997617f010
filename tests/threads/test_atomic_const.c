/*
 * test_atomic_const.c -- the constant-address forms of the atomics
 * (engine/code.h, _K; atomics/atomic_ops.h).  With a constant address the
 * translator computes the effective address and checks its alignment once;
 * the _K handler only checks bounds (software mode; guard mode leaves that to
 * the guard pages).  So for every atomic that has a _K form, the test checks
 * that k_<ID> of tests/wat/atomic_const.wat really uses it, and that it
 * computes what d_<ID> -- the same instruction with the address as a
 * parameter, run with all its checks -- computes from the same bytes: the
 * result and every byte around the access, for many operand values, also
 * ones with bits above the access width and compare-exchanges that match.
 * Then the edges: an unaligned constant address gets no _K form and traps at
 * run time; the last word of the memory works, the first one past it traps
 * until memory.grow makes room; an address past 2^32 traps.  Both bounds
 * modes.  (The stress test, test_atomic_stress.c, runs _K read-modify-writes
 * from 8 threads: it checks they are atomic.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/module.h"
#include "support/code_probe.h"
#include "support/signals.h"
#include "weft.h"

/* The constant and the parameter address of the pairs: 56 + offset 8 and
 * 1080 + offset 8; WINDOW bytes around each are compared. */
#define K_ADDR 64u
#define D_BASE 1080u
#define D_ADDR (D_BASE + 8u)
#define WINDOW 16u

typedef struct k_form {
    const char *id;
    cmp_op k, k_sw;
} k_form;

static const k_form forms[] = {
#define XK(id) {#id, CO_##id##_K, CO_##id##_K_SW},
    CMP_ATOMIC_K(XK)
#undef XK
};

/* How many instructions of the exported function `name` run `op`. */
static uint32_t count_op(fixture *fx, const char *name, cmp_op op)
{
    return fixture_count_op(fx, fixture_func_index(fx, name), op);
}

/* The bytes of the module's exported memory. */
static uint8_t *memory_of(fixture *fx)
{
    weft_extern mx;
    assert_true(weft_instance_export(fx->inst, "mem", 3, &mx));
    return weft_memory_data(mx.of.memory);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static weft_val val_of(weft_valkind kind, uint64_t bits)
{
    return kind == WEFT_I64 ? (weft_val){.kind = WEFT_I64, .of.i64 = (int64_t)bits}
                            : (weft_val){.kind = WEFT_I32, .of.i32 = (int32_t)(uint32_t)bits};
}

static uint64_t bits_of(weft_val v)
{
    return v.kind == WEFT_I64 ? (uint64_t)v.of.i64 : (uint32_t)v.of.i32;
}

/* The access width of a compare-exchange, from its name. */
static unsigned width_of(const char *id)
{
    if (strstr(id, "RMW8_"))
        return 1;
    if (strstr(id, "RMW16_"))
        return 2;
    if (strstr(id, "RMW32_"))
        return 4;
    return strncmp(id, "I64", 3) == 0 ? 8 : 4;
}

/* Calls f; returns its status and, if it has one, its result in *out. */
static weft_status call_f(weft_func *f, const weft_val *args, size_t n, weft_val *out,
                          weft_error *err)
{
    weft_functype ft;
    weft_func_type(f, &ft);
    memset(out, 0, sizeof *out);
    return weft_call(f, args, n, out, ft.nresults, err);
}

/* One k_/d_ pair (exports kname, dname) on `rounds` random byte windows and
 * operands. */
static void check_pair(fixture *fx, const k_form *form, const char *kname, const char *dname,
                       uint8_t *mem, int rounds)
{
    weft_func *kf = test_export_func(fx->inst, kname), *df = test_export_func(fx->inst, dname);
    weft_functype ft;
    weft_func_type(kf, &ft);
    weft_val kargs[3], dargs[4];
    for (int r = 0; r < rounds; r++) {
        for (unsigned i = 0; i < WINDOW; i++)
            mem[K_ADDR - 4 + i] = mem[D_ADDR - 4 + i] = (uint8_t)rng();
        dargs[0] = val_of(WEFT_I32, D_BASE);
        for (uint32_t i = 0; i < ft.nparams; i++) {
            uint64_t v = rng();
            /* A compare-exchange's expected value: in one round of four what
             * is there (it must match), in another the same with the bytes
             * past the width too (it must not, for the narrow ones). */
            if (i == 0 && ft.nparams == 2 && r % 2 == 0) {
                memcpy(&v, mem + K_ADDR, sizeof v);
                if (r % 4 == 0 && width_of(form->id) < 8)
                    v &= (UINT64_C(1) << (8 * width_of(form->id))) - 1;
            }
            kargs[i] = dargs[i + 1] = val_of(ft.params[i], v);
        }
        weft_val kr, dr;
        weft_error kerr, derr;
        weft_status ks = call_f(kf, kargs, ft.nparams, &kr, &kerr);
        weft_status ds = call_f(df, dargs, ft.nparams + 1, &dr, &derr);
        if (ks != WEFT_OK || ds != WEFT_OK)
            fail_msg("%s: status %d (%s) / %d (%s)", form->id, (int)ks, kerr.message, (int)ds,
                     derr.message);
        if (ft.nresults && bits_of(kr) != bits_of(dr))
            fail_msg("%s round %d: result 0x%llx, with a run-time address 0x%llx", form->id, r,
                     (unsigned long long)bits_of(kr), (unsigned long long)bits_of(dr));
        if (memcmp(mem + K_ADDR - 4, mem + D_ADDR - 4, WINDOW) != 0)
            fail_msg("%s round %d: memory differs from the run-time address form", form->id, r);
    }
}

static void run_forms(weft_bounds_mode bounds)
{
    fixture fx;
    fixture_open(&fx, "atomic_const", bounds);
    bool sw = bounds == WEFT_BOUNDS_SOFTWARE;
    uint8_t *mem = memory_of(&fx);

    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char kname[64], dname[64];
        snprintf(kname, sizeof kname, "k_%s", forms[i].id);
        snprintf(dname, sizeof dname, "d_%s", forms[i].id);
        cmp_op k = sw ? forms[i].k_sw : forms[i].k, other = sw ? forms[i].k : forms[i].k_sw;
        assert_int_equal(count_op(&fx, kname, k), 1);
        assert_int_equal(count_op(&fx, kname, other), 0);
        assert_int_equal(count_op(&fx, dname, k), 0);
        check_pair(&fx, &forms[i], kname, dname, mem, 64);
    }
    fixture_close(&fx);
}

static void test_forms_guard(void **state)
{
    (void)state;
    run_forms(WEFT_BOUNDS_GUARD);
}

static void test_forms_software(void **state)
{
    (void)state;
    run_forms(WEFT_BOUNDS_SOFTWARE);
}

/* Calls export `name` (no parameters); *code gets the trap's code. */
static weft_status call_edge(fixture *fx, const char *name, weft_val *out, weft_code *code)
{
    weft_error err;
    weft_status st = call_f(test_export_func(fx->inst, name), NULL, 0, out, &err);
    *code = st == WEFT_TRAP ? err.code : WEFT_E_NONE;
    return st;
}

static void run_edges(weft_bounds_mode bounds)
{
    fixture fx;
    fixture_open(&fx, "atomic_const", bounds);
    bool sw = bounds == WEFT_BOUNDS_SOFTWARE;
    uint8_t *mem = memory_of(&fx);
    weft_val out;
    weft_code code;

    /* 60 + 2 is not a multiple of 4: no _K form, and the run-time check traps. */
    assert_int_equal(count_op(&fx, "unaligned",
                              sw ? CO_I32_ATOMIC_RMW_ADD_K_SW : CO_I32_ATOMIC_RMW_ADD_K),
                     0);
    assert_int_equal(call_edge(&fx, "unaligned", &out, &code), WEFT_TRAP);
    assert_int_equal(code, WEFT_E_UNALIGNED_ATOMIC);

    /* The last word of the one page; then the first word past it. */
    assert_int_equal(count_op(&fx, "last",
                              sw ? CO_I32_ATOMIC_RMW_ADD_K_SW : CO_I32_ATOMIC_RMW_ADD_K),
                     1);
    memcpy(mem + 65532, &(uint32_t){41}, 4);
    assert_int_equal(call_edge(&fx, "last", &out, &code), WEFT_OK);
    assert_int_equal(out.of.i32, 41);
    assert_int_equal(mem[65532], 42);
    assert_int_equal(count_op(&fx, "past",
                              sw ? CO_I64_ATOMIC_LOAD_K_SW : CO_I64_ATOMIC_LOAD_K),
                     1);
    assert_int_equal(call_edge(&fx, "past", &out, &code), WEFT_TRAP);
    assert_int_equal(code, WEFT_E_OOB_MEMORY);
    assert_int_equal(call_edge(&fx, "past_store", &out, &code), WEFT_TRAP);
    assert_int_equal(code, WEFT_E_OOB_MEMORY);

    /* After memory.grow the same code reaches the new page. */
    assert_int_equal(call_edge(&fx, "grow", &out, &code), WEFT_OK);
    assert_int_equal(out.of.i32, 1);
    mem = memory_of(&fx);
    assert_int_equal(call_edge(&fx, "past_store", &out, &code), WEFT_OK);
    assert_int_equal(call_edge(&fx, "past", &out, &code), WEFT_OK);
    assert_int_equal(out.of.i64, -1);
    assert_int_equal(mem[65536 + 7], 0xFF);

    /* -8 + 16 is 2^32 + 8, aligned, far past any memory: a trap, not a wrap. */
    assert_int_equal(count_op(&fx, "wrap",
                              sw ? CO_I64_ATOMIC_RMW_XCHG_K_SW : CO_I64_ATOMIC_RMW_XCHG_K),
                     1);
    memset(mem, 0, 16);
    assert_int_equal(call_edge(&fx, "wrap", &out, &code), WEFT_TRAP);
    assert_int_equal(code, WEFT_E_OOB_MEMORY);
    assert_int_equal(mem[8], 0);
    fixture_close(&fx);
}

/* Atomics whose old values are dropped in a row, then one kept, and one
 * whose old value the next takes: the memory and results of each step. */
static void run_dropped(weft_bounds_mode bounds)
{
    fixture fx;
    fixture_open(&fx, "atomic_const", bounds);
    uint8_t *mem = memory_of(&fx);
    weft_val out;
    weft_code code;
    uint32_t v = 100, got;
    memcpy(mem + 64, &v, 4);
    assert_int_equal(call_edge(&fx, "dropped", &out, &code), WEFT_OK);
    assert_int_equal(out.of.i32, 100 + 5 - 2 + 1); /* the old value of the last add */
    memcpy(&got, mem + 64, 4);
    assert_int_equal(got, 114);
    assert_int_equal(call_edge(&fx, "chained", &out, &code), WEFT_OK);
    assert_int_equal(out.of.i32, 114 + 3 + 114); /* the outer add took the inner's 114 */
    fixture_close(&fx);
}

static void test_dropped_guard(void **state)
{
    (void)state;
    run_dropped(WEFT_BOUNDS_GUARD);
}

static void test_dropped_software(void **state)
{
    (void)state;
    run_dropped(WEFT_BOUNDS_SOFTWARE);
}

static void test_edges_guard(void **state)
{
    (void)state;
    test_traps_on();
    run_edges(WEFT_BOUNDS_GUARD);
    test_traps_off();
}

static void test_edges_software(void **state)
{
    (void)state;
    run_edges(WEFT_BOUNDS_SOFTWARE);
}

int main(void)
{
    if (!test_signals_save())
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms_guard),
        cmocka_unit_test(test_forms_software),
        cmocka_unit_test(test_edges_guard),
        cmocka_unit_test(test_edges_software),
        cmocka_unit_test(test_dropped_guard),
        cmocka_unit_test(test_dropped_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

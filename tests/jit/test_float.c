/*
 * test_float.c -- the float templates (jit/emit_float.c) against the
 * interpreter: tests/wat/float_edges.wat's exports run on their edge cases
 * (NaNs, signed zeros, min/max, rounding ties, u64 conversions that round
 * twice if done naively, truncation traps and saturation, a multiply-add pair
 * that must round its product) in an engine of each tier.  Both tiers must
 * give the expected bits (any arithmetic NaN where the spec allows one) or
 * the same trap, and the compiler must have taken every function.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "support/wasm_file.h"
#include "weft.h"

enum { EXACT, ANY_NAN, TRAPS };

typedef struct fcase {
    const char *func;
    uint64_t args[3]; /* bits; f32 and i32 in the low half */
    int expect;       /* EXACT: want; ANY_NAN: an arithmetic NaN; TRAPS: code */
    uint64_t want;
    weft_code code;
} fcase;

#define NAN32 0x7fc00000u
#define SNAN32 0x7fa00000u
#define NAN64 0x7ff8000000000000u
#define ONE32 0x3f800000u
#define TWO32 0x40000000u
#define ONE64 0x3ff0000000000000u
#define TWO64 0x4000000000000000u
#define NEG0_32 0x80000000u
#define NEG0_64 0x8000000000000000u

#define R(f, a, b, w) {.func = f, .args = {a, b, 0}, .expect = EXACT, .want = w}
#define N(f, a, b) {.func = f, .args = {a, b, 0}, .expect = ANY_NAN}
#define T(f, a, c) {.func = f, .args = {a, 0, 0}, .expect = TRAPS, .code = WEFT_E_##c}

static const fcase cases[] = {
    R("f32.add", ONE32, TWO32, 0x40400000u),
    N("f32.add", SNAN32, ONE32),
    N("f64.div", 0, 0),
    R("f64.div", ONE64, NEG0_64, 0xfff0000000000000u),
    N("f32.sqrt", 0xbf800000u, 0),
    R("f32.sqrt", 0x40800000u, 0, TWO32),
    /* min/max: -0 < +0 in either order; a NaN operand comes back quieted
     * (engine/numeric.h: the first NaN operand) */
    R("f32.min", NEG0_32, 0, NEG0_32),
    R("f32.min", 0, NEG0_32, NEG0_32),
    R("f32.max", NEG0_32, 0, 0),
    R("f32.max", 0, NEG0_32, 0),
    R("f32.min", SNAN32, ONE32, 0x7fe00000u),
    R("f32.max", ONE32, 0xffa00001u, 0xffe00001u),
    R("f32.min", ONE32, TWO32, ONE32),
    R("f32.max", ONE32, TWO32, TWO32),
    R("f32.min", TWO32, 0xff800000u, 0xff800000u),
    R("f64.min", NEG0_64, 0, NEG0_64),
    R("f64.max", 0, NEG0_64, 0),
    R("f64.max", 0xfff0000000000001u, ONE64, 0xfff8000000000001u),
    R("f64.min", ONE64, 0x7ff8000000000005u, 0x7ff8000000000005u),
    R("f64.max", TWO64, ONE64, TWO64),
    /* sign operations keep NaN bits as they are */
    R("f32.neg", NAN32, 0, 0xffc00000u),
    R("f32.neg", 0, 0, NEG0_32),
    R("f32.abs", 0xffa00000u, 0, 0x7fa00000u),
    R("f64.neg", 0x7ff4000000000000u, 0, 0xfff4000000000000u),
    R("f64.copysign", ONE64, 0xfff8000000000000u, 0xbff0000000000000u),
    R("f32.copysign", 0xffa00000u, ONE32, 0x7fa00000u),
    R("f32.copysign", TWO32, NEG0_32, 0xc0000000u),
    /* rounding: ties to even, -0 kept, NaNs quieted */
    R("f32.nearest", 0x40200000u, 0, TWO32),       /* 2.5 -> 2 */
    R("f32.nearest", 0x40600000u, 0, 0x40800000u), /* 3.5 -> 4 */
    R("f32.nearest", 0xbecccccdu, 0, NEG0_32),     /* -0.4 -> -0 */
    R("f32.nearest", SNAN32, 0, 0x7fe00000u),
    R("f64.nearest", 0xc004000000000000u, 0, 0xc000000000000000u), /* -2.5 -> -2 */
    R("f64.nearest", 0x4330000000000001u, 0, 0x4330000000000001u), /* 2^52 + 1 */
    R("f64.floor", 0xbfe0000000000000u, 0, 0xbff0000000000000u),   /* -0.5 -> -1 */
    R("f64.ceil", 0xbfe0000000000000u, 0, NEG0_64),                /* -0.5 -> -0 */
    R("f32.trunc", 0xbfc00000u, 0, 0xbf800000u),                   /* -1.5 -> -1 */
    N("f32.trunc", 0x7f800001u, 0),
    /* compares: unordered is false but for ne */
    R("f32.eq", NAN32, NAN32, 0),
    R("f32.eq", NEG0_32, 0, 1),
    R("f32.ne", NAN32, ONE32, 1),
    R("f32.ne", ONE32, ONE32, 0),
    R("f64.lt", NAN64, ONE64, 0),
    R("f64.lt", ONE64, TWO64, 1),
    R("f64.le", NEG0_64, 0, 1),
    R("f64.le", ONE64, NAN64, 0),
    R("f64.ge", ONE64, NAN64, 0),
    R("f64.ge", TWO64, ONE64, 1),
    R("f32.gt", NAN32, ONE32, 0),
    R("f32.gt", TWO32, ONE32, 1),
    /* u64 -> float rounds once (halving without a sticky bit would not) */
    R("f32.convert_i64_u", UINT64_MAX, 0, 0x5f800000u),
    R("f32.convert_i64_u", 0x8000008000000001u, 0, 0x5f000001u),
    R("f32.convert_i64_u", 0x8000008000000000u, 0, 0x5f000000u),
    R("f64.convert_i64_u", 0x8000000000000401u, 0, 0x43e0000000000001u),
    R("f64.convert_i64_u", 0x8000000000000400u, 0, 0x43e0000000000000u),
    R("f64.convert_i64_u", 5, 0, 0x4014000000000000u),
    R("f32.convert_i32_u", UINT32_MAX, 0, 0x4f800000u),
    N("f64.promote_f32", SNAN32, 0),
    R("f64.promote_f32", NEG0_32, 0, NEG0_64),
    R("f32.demote_f64", 0x3ff0000010000000u, 0, ONE32), /* 1 + 2^-24: a tie */
    R("f32.demote_f64", 0x7e37e43c8800759cu, 0, 0x7f800000u),
    /* trapping truncations: the exact edges of the ranges */
    T("i32.trunc_f32_s", NAN32, BAD_CONVERSION),
    T("i32.trunc_f32_s", 0x4f000000u, INT_OVERFLOW),
    R("i32.trunc_f32_s", 0xcf000000u, 0, 0x80000000u),
    R("i32.trunc_f64_s", 0xc1e00000001ccccdu, 0, 0x80000000u), /* -2147483648.9 */
    R("i32.trunc_f64_s", 0x41dffffffff9999au, 0, 0x7fffffffu), /* 2147483647.9 */
    T("i32.trunc_f64_s", 0x41e0000000000000u, INT_OVERFLOW),   /* 2^31 */
    R("i32.trunc_f64_u", 0xbfeccccccccccccdu, 0, 0),           /* -0.9 */
    T("i32.trunc_f64_u", 0xbff0000000000000u, INT_OVERFLOW),   /* -1 */
    R("i32.trunc_f64_u", 0x41effffffffccccdu, 0, 0xffffffffu), /* 4294967295.9 */
    R("i64.trunc_f32_s", 0xdf000000u, 0, 0x8000000000000000u),  /* -2^63 */
    T("i64.trunc_f32_s", 0x5f000000u, INT_OVERFLOW),             /* 2^63 */
    R("i64.trunc_f64_u", 0x43efffffffffffffu, 0, 0xfffffffffffff800u),
    R("i64.trunc_f64_u", 0x43e0000000000000u, 0, 0x8000000000000000u),
    R("i64.trunc_f64_u", 0xbfe0000000000000u, 0, 0),
    T("i64.trunc_f64_u", 0x43f0000000000000u, INT_OVERFLOW), /* 2^64 */
    T("i64.trunc_f64_u", NAN64, BAD_CONVERSION),
    /* saturating truncations */
    R("i32.trunc_sat_f64_s", NAN64, 0, 0),
    R("i32.trunc_sat_f64_s", 0x4202a05f20000000u, 0, 0x7fffffffu), /* 1e10 */
    R("i32.trunc_sat_f64_s", 0xc202a05f20000000u, 0, 0x80000000u), /* -1e10 */
    R("i32.trunc_sat_f64_s", 0xc00d99999999999au, 0, 0xfffffffdu), /* -3.7 */
    R("i32.trunc_sat_f32_u", 0xbf800000u, 0, 0),
    R("i32.trunc_sat_f32_u", 0x4f9502f9u, 0, 0xffffffffu), /* 5e9 */
    R("i32.trunc_sat_f32_u", NAN32, 0, 0),
    R("i32.trunc_sat_f32_u", 0x4079999au, 0, 3), /* 3.9 */
    R("i64.trunc_sat_f64_s", 0x43e0000000000000u, 0, 0x7fffffffffffffffu),
    R("i64.trunc_sat_f64_s", 0xfff0000000000000u, 0, 0x8000000000000000u),
    R("i64.trunc_sat_f64_s", NAN64, 0, 0),
    R("i64.trunc_sat_f64_u", 0xbff0000000000000u, 0, 0),
    R("i64.trunc_sat_f64_u", 0x43f0000000000000u, 0, UINT64_MAX),
    R("i64.trunc_sat_f64_u", 0x7ff0000000000000u, 0, UINT64_MAX),
    R("i64.trunc_sat_f64_u", 0x43efffffffffffffu, 0, 0xfffffffffffff800u),
    R("i64.trunc_sat_f64_u", NAN64, 0, 0),
    R("i64.trunc_sat_f64_u", 0x3ff8000000000000u, 0, 1),
    /* (1 + 2^-30)(1 - 2^-30) = 1 - 2^-60 rounds to 1: 0 either way round;
     * a fused multiply-add would give -2^-60 and 2^-60 */
    {.func = "mul_add", .args = {0x3ff0000000400000u, 0x3fefffffff800000u, 0xbff0000000000000u}},
    {.func = "sub_mul", .args = {0x3ff0000000400000u, 0x3fefffffff800000u, ONE64}},
};

typedef struct outcome {
    weft_status st;
    weft_code code;
    uint64_t bits;
    weft_valkind kind;
    char message[256];
} outcome;

static outcome run_case(weft_instance *inst, const fcase *c)
{
    weft_func *f = test_export_func(inst, c->func);
    weft_functype t;
    weft_func_type(f, &t);
    assert_true(t.nparams <= 3 && t.nresults == 1);
    weft_val args[3];
    for (uint32_t i = 0; i < t.nparams; i++) {
        args[i].kind = t.params[i];
        args[i].of.i64 = 0;
        if (t.params[i] == WEFT_I32 || t.params[i] == WEFT_F32)
            args[i].of.f32_bits = (uint32_t)c->args[i];
        else
            args[i].of.f64_bits = c->args[i];
    }
    weft_val r;
    weft_error err;
    outcome o = {.kind = t.results[0]};
    o.st = weft_call(f, args, t.nparams, &r, 1, &err);
    if (o.st == WEFT_OK) {
        o.bits = (o.kind == WEFT_I32 || o.kind == WEFT_F32) ? r.of.f32_bits : r.of.f64_bits;
    } else {
        o.code = err.code;
        snprintf(o.message, sizeof o.message, "%s", err.message);
    }
    return o;
}

static bool arithmetic_nan(weft_valkind k, uint64_t b)
{
    if (k == WEFT_F32)
        return (b & 0x7f800000u) == 0x7f800000u && (b & 0x00400000u) != 0;
    return (b & 0x7ff0000000000000u) == 0x7ff0000000000000u && (b & 0x0008000000000000u) != 0;
}

static void check(const char *tier, const fcase *c, const outcome *o)
{
    char what[128];
    snprintf(what, sizeof what, "%s: %s(0x%llx, 0x%llx)", tier, c->func,
             (unsigned long long)c->args[0], (unsigned long long)c->args[1]);
    if (c->expect == TRAPS) {
        if (o->st != WEFT_TRAP || o->code != c->code)
            fail_msg("%s: want trap %d, got status %d code %d", what, (int)c->code, (int)o->st,
                     (int)o->code);
        return;
    }
    if (o->st != WEFT_OK)
        fail_msg("%s: status %d (%s)", what, (int)o->st, o->message);
    if (c->expect == ANY_NAN) {
        if (!arithmetic_nan(o->kind, o->bits))
            fail_msg("%s: 0x%llx is not an arithmetic NaN", what, (unsigned long long)o->bits);
    } else if (o->bits != c->want) {
        fail_msg("%s: got 0x%llx, want 0x%llx", what, (unsigned long long)o->bits,
                 (unsigned long long)c->want);
    }
}

/* An engine of `tier` and an instance of float_edges in it; false (nothing
 * made) when this host has no such tier. */
static bool setup(weft_tier tier, weft_engine **e, weft_module **m, weft_instance **inst)
{
    weft_config cfg;
    weft_config_init(&cfg);
    cfg.tier = tier;
    weft_error err;
    weft_status st = weft_engine_new(&cfg, e, &err);
    if (st == WEFT_UNSUPPORTED)
        return false;
    assert_int_equal(st, WEFT_OK);
    *m = test_module_load(*e, "float_edges");
    assert_int_equal(weft_instance_new(*m, NULL, 0, inst, &err), WEFT_OK);
    return true;
}

static void teardown(weft_engine *e, weft_module *m, weft_instance *inst)
{
    weft_instance_free(inst);
    weft_module_free(m);
    weft_engine_free(e);
}

static void test_float_edges_both_tiers(void **state)
{
    (void)state;
    weft_engine *ie, *je;
    weft_module *im, *jm;
    weft_instance *ii, *ji;
    assert_true(setup(WEFT_TIER_INTERP, &ie, &im, &ii));
    if (!setup(WEFT_TIER_JIT, &je, &jm, &ji)) {
        teardown(ie, im, ii);
        skip(); /* no compiler tier on this host */
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        outcome oi = run_case(ii, &cases[i]);
        outcome oj = run_case(ji, &cases[i]);
        check("interp", &cases[i], &oi);
        check("jit", &cases[i], &oj);
        /* Min/max/rounding NaNs are exact in the interpreter (numeric.h):
         * the compiler returns the same bits; traps say the same. */
        if (cases[i].expect != ANY_NAN)
            assert_int_equal(oi.bits, oj.bits);
        assert_string_equal(oi.message, oj.message);
    }
    uint64_t compiled, interpreted;
    weft_engine_tier_stats(je, &compiled, &interpreted);
    assert_int_equal(interpreted, 0); /* every float op had a template */
    assert_true(compiled >= 30);
    teardown(je, jm, ji);
    teardown(ie, im, ii);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_edges_both_tiers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

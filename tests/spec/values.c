/*
 * values.c -- typed values of wast2json's output (see values.h).  wast2json
 * writes every number as the unsigned decimal of its bit pattern (floats
 * included), so parsing is integer parsing and comparison is on bits; only
 * NaN results are matched by class.
 */
#include "values.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool val_why(char *why, size_t whysize, const char *fmt, ...)
{
    if (whysize) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whysize, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool val_kind_parse(const char *s, weft_valkind *out)
{
    static const struct {
        const char *name;
        weft_valkind kind;
    } kinds[] = {
        {"i32", WEFT_I32},         {"i64", WEFT_I64},          {"f32", WEFT_F32},
        {"f64", WEFT_F64},         {"v128", WEFT_V128},        {"funcref", WEFT_FUNCREF},
        {"externref", WEFT_EXTERNREF},
    };
    for (size_t i = 0; s && i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(s, kinds[i].name) == 0) {
            *out = kinds[i].kind;
            return true;
        }
    }
    return false;
}

void *val_extern_ref(uint64_t n)
{
    /* +1 keeps ref.extern 0 distinct from the null reference. */
    return (void *)(uintptr_t)(n + 1);
}

/* An integer of `bits` bits: unsigned decimal as wast2json writes it (a
 * negative one is accepted and wrapped, in case a later wabt writes those). */
static bool val_uint(const char *s, unsigned bits, uint64_t *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    uint64_t v;
    if (s[0] == '-') {
        int64_t sv = strtoll(s, &end, 10);
        v = (uint64_t)sv;
    } else {
        v = strtoull(s, &end, 10);
    }
    if (errno || *end != '\0')
        return false;
    if (bits < 64) {
        uint64_t mask = (UINT64_C(1) << bits) - 1;
        if (s[0] != '-' && v > mask)
            return false;
        v &= mask;
    }
    *out = v;
    return true;
}

/* A float lane or scalar: bits, or a NaN class when `nan_ok`. */
static bool val_float(const char *s, unsigned bits, bool nan_ok, uint64_t *out, val_match *match)
{
    *match = MATCH_BITS;
    *out = 0;
    if (s && strcmp(s, "nan:canonical") == 0 && nan_ok) {
        *match = MATCH_CANON_NAN;
        return true;
    }
    if (s && strcmp(s, "nan:arithmetic") == 0 && nan_ok) {
        *match = MATCH_ARITH_NAN;
        return true;
    }
    return val_uint(s, bits, out);
}

static void val_put_lane(uint8_t *v128, unsigned lane_bytes, unsigned i, uint64_t bits)
{
    for (unsigned b = 0; b < lane_bytes; b++)
        v128[i * lane_bytes + b] = (uint8_t)(bits >> (8 * b));
}

static uint64_t val_get_lane(const uint8_t *v128, unsigned lane_bytes, unsigned i)
{
    uint64_t bits = 0;
    for (unsigned b = 0; b < lane_bytes; b++)
        bits |= (uint64_t)v128[i * lane_bytes + b] << (8 * b);
    return bits;
}

static bool val_lane_type(const char *s, weft_valkind *lane, unsigned *bytes)
{
    static const struct {
        const char *name;
        weft_valkind lane;
        unsigned bytes;
    } shapes[] = {
        {"i8", WEFT_I32, 1},  {"i16", WEFT_I32, 2}, {"i32", WEFT_I32, 4},
        {"i64", WEFT_I64, 8}, {"f32", WEFT_F32, 4}, {"f64", WEFT_F64, 8},
    };
    for (size_t i = 0; s && i < sizeof shapes / sizeof shapes[0]; i++) {
        if (strcmp(s, shapes[i].name) == 0) {
            *lane = shapes[i].lane;
            *bytes = shapes[i].bytes;
            return true;
        }
    }
    return false;
}

/* Shared by arguments and expectations; `e` is NULL for arguments, where
 * NaN classes and "any reference" have no meaning. */
static bool val_parse(const json *v, weft_val *out, val_expect *e, char *why, size_t whysize)
{
    const char *type = json_get_str(v, "type");
    weft_valkind kind;
    if (!val_kind_parse(type, &kind))
        return val_why(why, whysize, "unknown value type '%s'", type ? type : "(none)");
    memset(out, 0, sizeof *out);
    out->kind = kind;
    const json *jv = json_get(v, "value");
    const char *s = jv && jv->kind == JSON_STRING ? jv->str : NULL;
    uint64_t bits;
    val_match match = MATCH_BITS;
    switch (kind) {
    case WEFT_I32:
    case WEFT_I64:
        if (!val_uint(s, kind == WEFT_I32 ? 32 : 64, &bits))
            return val_why(why, whysize, "bad %s value '%s'", type, s ? s : "(none)");
        if (kind == WEFT_I32)
            out->of.i32 = (int32_t)(uint32_t)bits;
        else
            out->of.i64 = (int64_t)bits;
        break;
    case WEFT_F32:
    case WEFT_F64:
        if (!val_float(s, kind == WEFT_F32 ? 32 : 64, e != NULL, &bits, &match))
            return val_why(why, whysize, "bad %s value '%s'", type, s ? s : "(none)");
        if (kind == WEFT_F32)
            out->of.f32_bits = (uint32_t)bits;
        else
            out->of.f64_bits = bits;
        break;
    case WEFT_V128: {
        weft_valkind lane;
        unsigned lb;
        const char *lt = json_get_str(v, "lane_type");
        if (!val_lane_type(lt, &lane, &lb))
            return val_why(why, whysize, "bad v128 lane type '%s'", lt ? lt : "(none)");
        unsigned n = 16 / lb;
        if (!jv || json_len(jv) != n)
            return val_why(why, whysize, "v128 of %s lanes needs %u values", lt, n);
        for (unsigned i = 0; i < n; i++) {
            const json *l = json_at(jv, i);
            const char *ls = l && l->kind == JSON_STRING ? l->str : NULL;
            val_match lm = MATCH_BITS;
            bool ok = lane == WEFT_F32 || lane == WEFT_F64
                          ? val_float(ls, lb * 8, e != NULL, &bits, &lm)
                          : val_uint(ls, lb * 8, &bits);
            if (!ok)
                return val_why(why, whysize, "bad %s lane '%s'", lt, ls ? ls : "(none)");
            val_put_lane(out->of.v128, lb, i, bits);
            if (e)
                e->lanes[i] = lm;
        }
        if (e) {
            e->lane = lane;
            e->lane_bytes = lb;
        }
        break;
    }
    case WEFT_FUNCREF:
    case WEFT_EXTERNREF:
        if (s && strcmp(s, "null") == 0) {
            match = MATCH_NULL;
        } else if (kind == WEFT_EXTERNREF && val_uint(s, 64, &bits)) {
            out->of.externref = val_extern_ref(bits);
        } else if (kind == WEFT_FUNCREF && e) {
            match = MATCH_ANY_REF; /* (ref.func): which function is not said */
        } else {
            return val_why(why, whysize, "cannot make a %s from '%s'", type, s ? s : "(none)");
        }
        break;
    }
    if (e) {
        e->val = *out;
        e->match = match;
    }
    return true;
}

bool val_parse_arg(const json *v, weft_val *out, char *why, size_t whysize)
{
    return val_parse(v, out, NULL, why, whysize);
}

bool val_parse_expect(const json *v, val_expect *out, char *why, size_t whysize)
{
    weft_val tmp;
    memset(out, 0, sizeof *out);
    return val_parse(v, &tmp, out, why, whysize);
}

static bool val_float_matches(val_match m, unsigned bytes, uint64_t want, uint64_t got)
{
    /* Canonical NaN: only the quiet bit set in the payload; arithmetic NaN:
     * the quiet bit set, any other payload; the sign is free in both. */
    uint64_t exp_quiet = bytes == 4 ? 0x7FC00000u : UINT64_C(0x7FF8000000000000);
    uint64_t abs = got & (bytes == 4 ? 0x7FFFFFFFu : UINT64_C(0x7FFFFFFFFFFFFFFF));
    switch (m) {
    case MATCH_CANON_NAN: return abs == exp_quiet;
    case MATCH_ARITH_NAN: return (got & exp_quiet) == exp_quiet;
    default: return want == got;
    }
}

bool val_matches(const val_expect *e, const weft_val *got)
{
    if (got->kind != e->val.kind)
        return false;
    switch (got->kind) {
    case WEFT_I32: return got->of.i32 == e->val.of.i32;
    case WEFT_I64: return got->of.i64 == e->val.of.i64;
    case WEFT_F32: return val_float_matches(e->match, 4, e->val.of.f32_bits, got->of.f32_bits);
    case WEFT_F64: return val_float_matches(e->match, 8, e->val.of.f64_bits, got->of.f64_bits);
    case WEFT_V128:
        for (unsigned i = 0; i < 16 / e->lane_bytes; i++) {
            uint64_t want = val_get_lane(e->val.of.v128, e->lane_bytes, i);
            uint64_t have = val_get_lane(got->of.v128, e->lane_bytes, i);
            if (!val_float_matches(e->lanes[i], e->lane_bytes, want, have))
                return false;
        }
        return true;
    case WEFT_FUNCREF:
        if (e->match == MATCH_NULL)
            return got->of.funcref == NULL;
        return got->of.funcref != NULL; /* MATCH_ANY_REF */
    case WEFT_EXTERNREF:
        if (e->match == MATCH_NULL)
            return got->of.externref == NULL;
        return got->of.externref == e->val.of.externref;
    }
    return false;
}

/* Appends with snprintf semantics, never past `size`. */
static void val_append(char *buf, size_t size, size_t *at, const char *fmt, ...)
{
    if (*at >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *at, size - *at, fmt, ap);
    va_end(ap);
    if (n > 0)
        *at += (size_t)n;
}

static const char *val_shape_name(weft_valkind lane, unsigned lane_bytes)
{
    switch (lane_bytes) {
    case 1: return "i8x16";
    case 2: return "i16x8";
    case 8: return lane == WEFT_F64 ? "f64x2" : "i64x2";
    default: return lane == WEFT_F32 ? "f32x4" : "i32x4";
    }
}

static void val_format_v128(const uint8_t *v128, weft_valkind lane, unsigned lb,
                            const val_match *lanes, char *buf, size_t size)
{
    size_t at = 0;
    if (lb == 0)
        lb = 4;
    val_append(buf, size, &at, "v128:%s", val_shape_name(lane, lb));
    for (unsigned i = 0; i < 16 / lb; i++) {
        val_match m = lanes ? lanes[i] : MATCH_BITS;
        if (m == MATCH_CANON_NAN)
            val_append(buf, size, &at, " nan:canonical");
        else if (m == MATCH_ARITH_NAN)
            val_append(buf, size, &at, " nan:arithmetic");
        else
            val_append(buf, size, &at, " 0x%0*" PRIx64, (int)lb * 2, val_get_lane(v128, lb, i));
    }
}

void val_format(const weft_val *v, unsigned lane_bytes, char *buf, size_t size)
{
    switch (v->kind) {
    case WEFT_I32:
        snprintf(buf, size, "i32:%" PRIu32 " (0x%08" PRIx32 ")", (uint32_t)v->of.i32,
                 (uint32_t)v->of.i32);
        break;
    case WEFT_I64:
        snprintf(buf, size, "i64:%" PRIu64 " (0x%016" PRIx64 ")", (uint64_t)v->of.i64,
                 (uint64_t)v->of.i64);
        break;
    case WEFT_F32: snprintf(buf, size, "f32:0x%08" PRIx32, v->of.f32_bits); break;
    case WEFT_F64: snprintf(buf, size, "f64:0x%016" PRIx64, v->of.f64_bits); break;
    case WEFT_V128:
        val_format_v128(v->of.v128, lane_bytes == 8 ? WEFT_I64 : WEFT_I32, lane_bytes, NULL, buf,
                        size);
        break;
    case WEFT_FUNCREF:
        if (v->of.funcref)
            snprintf(buf, size, "funcref:%p", (void *)v->of.funcref);
        else
            snprintf(buf, size, "funcref:null");
        break;
    case WEFT_EXTERNREF:
        if (v->of.externref)
            snprintf(buf, size, "externref:%p", v->of.externref);
        else
            snprintf(buf, size, "externref:null");
        break;
    default: snprintf(buf, size, "(value of kind %d)", (int)v->kind); break;
    }
}

void val_format_expect(const val_expect *e, char *buf, size_t size)
{
    const weft_val *v = &e->val;
    if (v->kind == WEFT_V128) {
        val_format_v128(v->of.v128, e->lane, e->lane_bytes, e->lanes, buf, size);
        return;
    }
    switch (e->match) {
    case MATCH_CANON_NAN: snprintf(buf, size, "%s:nan:canonical", weft_valkind_name(v->kind)); return;
    case MATCH_ARITH_NAN: snprintf(buf, size, "%s:nan:arithmetic", weft_valkind_name(v->kind)); return;
    case MATCH_ANY_REF: snprintf(buf, size, "%s:(any non-null)", weft_valkind_name(v->kind)); return;
    default: break;
    }
    if (v->kind == WEFT_EXTERNREF && v->of.externref) {
        /* Show the script's number, not the pointer it stands for. */
        snprintf(buf, size, "externref:%" PRIuPTR, (uintptr_t)v->of.externref - 1);
        return;
    }
    val_format(v, 0, buf, size);
}

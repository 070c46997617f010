/*
 * values.c -- typed values of spec scripts (see values.h): matching a result
 * against an expectation (exact bits, NaN classes, references) and printing
 * both for a failure report.  Script readers (wast.c, the JSON runner's
 * values_json.c) build the expectations.
 */
#include "values.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void *val_extern_ref(uint64_t n)
{
    /* +1 keeps ref.extern 0 distinct from the null reference. */
    return (void *)(uintptr_t)(n + 1);
}

void val_put_lane(uint8_t *v128, unsigned lane_bytes, unsigned i, uint64_t bits)
{
    for (unsigned b = 0; b < lane_bytes; b++)
        v128[i * lane_bytes + b] = (uint8_t)(bits >> (8 * b));
}

uint64_t val_get_lane(const uint8_t *v128, unsigned lane_bytes, unsigned i)
{
    uint64_t bits = 0;
    for (unsigned b = 0; b < lane_bytes; b++)
        bits |= (uint64_t)v128[i * lane_bytes + b] << (8 * b);
    return bits;
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
    if (e->any_ref_kind)
        return (got->kind == WEFT_FUNCREF && !got->of.funcref) ||
               (got->kind == WEFT_EXTERNREF && !got->of.externref);
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
        if (e->match == MATCH_ANY_REF)
            return got->of.externref != NULL;
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

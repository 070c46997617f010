/*
 * values_json.c -- wast2json's typed values read into the script runner's
 * values (script/values.h).  wast2json writes every number as the unsigned
 * decimal of its bit pattern (floats included), so parsing is integer parsing.
 */
#include "values_json.h"

#include <errno.h>
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


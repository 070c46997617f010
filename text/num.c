/*
 * num.c -- number literals: their grammar (where `_` may stand), integer
 * ranges, and floats rounded exactly.  Decimal floats go through strtod /
 * strtof, which C requires to round correctly in the default rounding mode
 * (C11 7.22.1.3 recommends it; glibc and musl do); hex floats are rounded
 * here, from a 64-bit mantissa and a sticky bit, so any number of digits
 * rounds once.
 */
#include "text/num.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char RANGE[] = "constant out of range";
static const char MALFORMED[] = "malformed number";

static int digit(char c, bool hex)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (hex && c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (hex && c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* digit ('_'? digit)*: the number of digits read from *p (0 if none); -1 if
 * a `_` does not stand between two digits.  Copies the digits to *out. */
static int digits(const char **p, const char *end, bool hex, char **out)
{
    int count = 0;
    while (*p < end) {
        if (digit(**p, hex) >= 0) {
            if (out)
                *(*out)++ = **p;
            (*p)++, count++;
        } else if (**p == '_') {
            if (!count || *p + 1 >= end || digit((*p)[1], hex) < 0)
                return -1;
            (*p)++;
        } else {
            break;
        }
    }
    return count;
}

static const char *unsigned_value(const char *p, const char *end, uint64_t *out)
{
    bool hex = end - p > 2 && p[0] == '0' && p[1] == 'x';
    if (hex)
        p += 2;
    const char *start = p;
    if (digits(&p, end, hex, NULL) <= 0 || p != end)
        return MALFORMED;
    uint64_t v = 0, base = hex ? 16 : 10;
    for (p = start; p < end; p++) {
        if (*p == '_')
            continue;
        uint64_t d = (uint64_t)digit(*p, hex);
        if (v > (UINT64_MAX - d) / base)
            return RANGE;
        v = v * base + d;
    }
    *out = v;
    return NULL;
}

const char *wat_num_nat(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    *out = 0;
    if (!n || s[0] == '+' || s[0] == '-')
        return MALFORMED;
    const char *e = unsigned_value(s, s + n, out);
    if (!e && *out > max)
        return RANGE;
    return e;
}

const char *wat_num_int(const char *s, size_t n, unsigned bits, uint64_t *out)
{
    *out = 0;
    if (!n)
        return MALFORMED;
    bool neg = s[0] == '-', sign = neg || s[0] == '+';
    uint64_t v;
    const char *e = unsigned_value(s + sign, s + n, &v);
    if (e)
        return e;
    uint64_t umax = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    if (neg) {
        if (v > (UINT64_C(1) << (bits - 1)))
            return RANGE;
        v = (0 - v) & umax;
    } else if (v > umax) {
        return RANGE;
    }
    *out = v;
    return NULL;
}

/* IEEE binary format: `mant` fraction bits, exponent bias `bias`. */
typedef struct fmt {
    int mant, bias;
} fmt;

/* Rounds m * 2^e (+ a sticky bit below m's last digit) to nearest-even in
 * format f; false on overflow to infinity. */
static bool round_bits(const fmt *f, uint64_t m, int64_t e, bool sticky, uint64_t *bits)
{
    *bits = 0;
    if (!m)
        return true;
    int P = f->mant + 1, msb = 63 - __builtin_clzll(m);
    int64_t emin = 1 - f->bias; /* exponent of the smallest normal's leading bit */
    int64_t shift = msb - (P - 1);
    int64_t sub_shift = (emin - (P - 1)) - e;
    if (sub_shift > shift)
        shift = sub_shift;
    uint64_t q;
    if (shift <= 0) {
        if (-shift > 63 - msb)
            return false;
        q = m << -shift;
    } else {
        uint64_t rem, half;
        if (shift > 64) {
            q = 0, rem = 1, half = 2; /* far below half the last digit */
        } else if (shift == 64) {
            q = 0, rem = m, half = UINT64_C(1) << 63;
        } else {
            q = m >> shift;
            rem = m & ((UINT64_C(1) << shift) - 1);
            half = UINT64_C(1) << (shift - 1);
        }
        if (rem > half || (rem == half && (sticky || (q & 1))))
            q++;
    }
    int64_t b = e + shift; /* value = q * 2^b */
    if (q >> P) {
        q >>= 1;
        b++;
    }
    if (q >> (P - 1)) {
        int64_t biased = b + (P - 1) + f->bias;
        if (biased >= 2 * f->bias + 1)
            return false;
        *bits = (uint64_t)biased << f->mant | (q & ((UINT64_C(1) << f->mant) - 1));
    } else {
        *bits = q; /* subnormal (or zero) */
    }
    return true;
}

/* Hex float after "0x": hexnum ('.' hexnum?)? ([pP] sign? num)?. */
static const char *hex_float(const fmt *f, const char *p, const char *end, uint64_t *bits)
{
    uint64_t m = 0;
    int64_t e = 0;
    bool sticky = false;
    int part = 0; /* 0: integer digits, 1: fraction digits */
    const char *q = p;
    if (digits(&q, end, true, NULL) <= 0)
        return MALFORMED;
    if (q < end && *q == '.') {
        q++;
        if (digits(&q, end, true, NULL) < 0)
            return MALFORMED;
    }
    const char *mant_end = q;
    int64_t p_exp = 0;
    if (q < end && (*q == 'p' || *q == 'P')) {
        q++;
        bool neg = q < end && *q == '-';
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        const char *ds = q;
        if (digits(&q, end, false, NULL) <= 0)
            return MALFORMED;
        for (; ds < q; ds++)
            if (*ds != '_' && p_exp < 100000)
                p_exp = p_exp * 10 + (*ds - '0');
        if (neg)
            p_exp = -p_exp;
    }
    if (q != end)
        return MALFORMED;
    for (; p < mant_end; p++) {
        if (*p == '_')
            continue;
        if (*p == '.') {
            part = 1;
            continue;
        }
        int d = digit(*p, true);
        if (m >> 60) {
            sticky |= d != 0; /* past 64 bits: only whether it is zero matters */
            if (!part)
                e += 4;
        } else {
            m = m << 4 | (uint64_t)d;
            if (part)
                e -= 4;
        }
    }
    if (!round_bits(f, m, e + p_exp, sticky, bits))
        return RANGE;
    return NULL;
}

/* The sign, then inf / nan[:0x...] / hex / decimal.  `dec` converts a clean
 * decimal string (no `_`); bits of the result without its sign. */
static const char *float_bits(const fmt *f, const char *s, size_t n, uint64_t *out,
                              bool (*dec)(const char *, uint64_t *))
{
    *out = 0;
    if (!n)
        return MALFORMED;
    const char *p = s, *end = s + n;
    bool neg = *p == '-';
    if (*p == '+' || *p == '-')
        p++;
    uint64_t sign = neg ? UINT64_C(1) << (f->mant + (f->mant == 23 ? 8 : 11)) : 0;
    uint64_t exp_all = ((UINT64_C(1) << (f->mant == 23 ? 8 : 11)) - 1) << f->mant;
    size_t rest = (size_t)(end - p);
    if (rest == 3 && !memcmp(p, "inf", 3)) {
        *out = sign | exp_all;
        return NULL;
    }
    if (rest == 3 && !memcmp(p, "nan", 3)) {
        *out = sign | exp_all | UINT64_C(1) << (f->mant - 1);
        return NULL;
    }
    if (rest > 6 && !memcmp(p, "nan:0x", 6)) {
        uint64_t payload;
        const char *e = unsigned_value(p + 4, end, &payload);
        if (e)
            return e;
        if (!payload || payload >> f->mant)
            return RANGE;
        *out = sign | exp_all | payload;
        return NULL;
    }
    const char *e;
    uint64_t bits;
    if (rest > 2 && p[0] == '0' && p[1] == 'x') {
        e = hex_float(f, p + 2, end, &bits);
    } else {
        /* num ('.' num?)? ([eE] sign? num)? */
        char *buf = malloc(rest + 1), *w = buf;
        const char *q = p;
        if (!buf)
            return "out of memory";
        bool ok = digits(&q, end, false, &w) > 0;
        if (ok && q < end && *q == '.') {
            *w++ = *q++;
            ok = digits(&q, end, false, &w) >= 0;
        }
        if (ok && q < end && (*q == 'e' || *q == 'E')) {
            *w++ = *q++;
            if (q < end && (*q == '+' || *q == '-'))
                *w++ = *q++;
            ok = digits(&q, end, false, &w) > 0;
        }
        if (!ok) {
            free(buf);
            return MALFORMED;
        }
        if (q != end) {
            free(buf);
            return MALFORMED;
        }
        *w = 0;
        e = dec(buf, &bits) ? NULL : RANGE;
        free(buf);
    }
    if (e)
        return e;
    *out = sign | bits;
    return NULL;
}

static bool dec32(const char *s, uint64_t *bits)
{
    float v = strtof(s, NULL);
    uint32_t b;
    memcpy(&b, &v, 4);
    *bits = b;
    return !isinf(v);
}

static bool dec64(const char *s, uint64_t *bits)
{
    double v = strtod(s, NULL);
    memcpy(bits, &v, 8);
    return !isinf(v);
}

const char *wat_num_f32(const char *s, size_t n, uint32_t *out)
{
    static const fmt f32 = {23, 127};
    uint64_t b;
    const char *e = float_bits(&f32, s, n, &b, dec32);
    *out = (uint32_t)b;
    return e;
}

const char *wat_num_f64(const char *s, size_t n, uint64_t *out)
{
    static const fmt f64 = {52, 1023};
    return float_bits(&f64, s, n, out, dec64);
}

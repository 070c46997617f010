/*
 * numeric.h -- WebAssembly numeric semantics that C does not give directly:
 * float min/max/nearest with the spec's NaN and signed-zero rules, trapping and
 * saturating float->int conversions, unsigned int->float conversions,
 * rotations and bit counts.  Every function is static inline: the interpreter's
 * handlers call them in place.
 *
 * NaN results: the spec lets an engine return any canonical or arithmetic NaN
 * from arithmetic; min/max/nearest return the input NaN quieted, which is one.
 */
#ifndef WEFT_NUMERIC_H
#define WEFT_NUMERIC_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---- bit patterns -------------------------------------------------------- */

static inline uint32_t num_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline uint64_t num_f64_bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static inline float num_f32_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline double num_f64_of(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }

/* ---- integer bit operations ---------------------------------------------- */

static inline uint32_t num_rotl32(uint32_t x, uint32_t n) { n &= 31; return (x << n) | (x >> ((32 - n) & 31)); }
static inline uint32_t num_rotr32(uint32_t x, uint32_t n) { n &= 31; return (x >> n) | (x << ((32 - n) & 31)); }
static inline uint64_t num_rotl64(uint64_t x, uint64_t n) { n &= 63; return (x << n) | (x >> ((64 - n) & 63)); }
static inline uint64_t num_rotr64(uint64_t x, uint64_t n) { n &= 63; return (x >> n) | (x << ((64 - n) & 63)); }

static inline uint32_t num_clz32(uint32_t x) { return x ? (uint32_t)__builtin_clz(x) : 32; }
static inline uint32_t num_ctz32(uint32_t x) { return x ? (uint32_t)__builtin_ctz(x) : 32; }
static inline uint32_t num_popcnt32(uint32_t x) { return (uint32_t)__builtin_popcount(x); }
static inline uint64_t num_clz64(uint64_t x) { return x ? (uint64_t)__builtin_clzll(x) : 64; }
static inline uint64_t num_ctz64(uint64_t x) { return x ? (uint64_t)__builtin_ctzll(x) : 64; }
static inline uint64_t num_popcnt64(uint64_t x) { return (uint64_t)__builtin_popcountll(x); }

/* ---- float min / max / nearest / copysign ------------------------------- */

/* Quiets a NaN (sets the top mantissa bit), keeping sign and payload. */
static inline float num_quiet32(float a) { return num_f32_of(num_f32_bits(a) | 0x00400000u); }
static inline double num_quiet64(double a) { return num_f64_of(num_f64_bits(a) | 0x0008000000000000ull); }

/* min(-0, +0) is -0 and max(-0, +0) is +0; a NaN operand gives a NaN. */
static inline float num_fmin32(float a, float b)
{
    if (isnan(a)) return num_quiet32(a);
    if (isnan(b)) return num_quiet32(b);
    if (a == b) return num_f32_of(num_f32_bits(a) | num_f32_bits(b)); /* -0 wins */
    return a < b ? a : b;
}
static inline float num_fmax32(float a, float b)
{
    if (isnan(a)) return num_quiet32(a);
    if (isnan(b)) return num_quiet32(b);
    if (a == b) return num_f32_of(num_f32_bits(a) & num_f32_bits(b)); /* +0 wins */
    return a > b ? a : b;
}
static inline double num_fmin64(double a, double b)
{
    if (isnan(a)) return num_quiet64(a);
    if (isnan(b)) return num_quiet64(b);
    if (a == b) return num_f64_of(num_f64_bits(a) | num_f64_bits(b));
    return a < b ? a : b;
}
static inline double num_fmax64(double a, double b)
{
    if (isnan(a)) return num_quiet64(a);
    if (isnan(b)) return num_quiet64(b);
    if (a == b) return num_f64_of(num_f64_bits(a) & num_f64_bits(b));
    return a > b ? a : b;
}

/* Round half to even, without depending on the current rounding mode. */
static inline float num_nearest32(float a)
{
    if (isnan(a)) return num_quiet32(a);
    if (!(fabsf(a) < 8388608.0f)) return a; /* already integral (or inf) */
    float r = truncf(a);
    float diff = fabsf(a - r);
    if (diff > 0.5f || (diff == 0.5f && fmodf(r, 2.0f) != 0.0f))
        r += a < 0 ? -1.0f : 1.0f;
    return copysignf(r, a); /* keeps -0 for -0.4 */
}
static inline double num_nearest64(double a)
{
    if (isnan(a)) return num_quiet64(a);
    if (!(fabs(a) < 4503599627370496.0)) return a;
    double r = trunc(a);
    double diff = fabs(a - r);
    if (diff > 0.5 || (diff == 0.5 && fmod(r, 2.0) != 0.0))
        r += a < 0 ? -1.0 : 1.0;
    return copysign(r, a);
}

/* ceil/floor/trunc: the C library's may hand a signalling NaN back unchanged
 * (inlined bit tricks); the spec wants an arithmetic (quiet) NaN. */
static inline float num_ceil32(float a) { return isnan(a) ? num_quiet32(a) : ceilf(a); }
static inline float num_floor32(float a) { return isnan(a) ? num_quiet32(a) : floorf(a); }
static inline float num_trunc32(float a) { return isnan(a) ? num_quiet32(a) : truncf(a); }
static inline double num_ceil64(double a) { return isnan(a) ? num_quiet64(a) : ceil(a); }
static inline double num_floor64(double a) { return isnan(a) ? num_quiet64(a) : floor(a); }
static inline double num_trunc64(double a) { return isnan(a) ? num_quiet64(a) : trunc(a); }

/* Sign operations act on the bits only, NaNs included (C's fabs/-x may not). */
static inline float num_fabs32(float a) { return num_f32_of(num_f32_bits(a) & 0x7FFFFFFFu); }
static inline float num_fneg32(float a) { return num_f32_of(num_f32_bits(a) ^ 0x80000000u); }
static inline float num_copysign32(float a, float b)
{
    return num_f32_of((num_f32_bits(a) & 0x7FFFFFFFu) | (num_f32_bits(b) & 0x80000000u));
}
static inline double num_fabs64(double a) { return num_f64_of(num_f64_bits(a) & ~(1ull << 63)); }
static inline double num_fneg64(double a) { return num_f64_of(num_f64_bits(a) ^ (1ull << 63)); }
static inline double num_copysign64(double a, double b)
{
    return num_f64_of((num_f64_bits(a) & ~(1ull << 63)) | (num_f64_bits(b) & (1ull << 63)));
}

/* ---- float -> int: trapping (returns false on NaN or out of range) --------- */

/* The ranges are open intervals of the float's exact value, compared in double
 * (every f32 converts to double exactly). */
static inline bool num_trunc_i32_s(double a, int32_t *out)
{
    if (isnan(a) || !(a > -2147483649.0 && a < 2147483648.0)) return false;
    *out = (int32_t)a;
    return true;
}
static inline bool num_trunc_i32_u(double a, uint32_t *out)
{
    if (isnan(a) || !(a > -1.0 && a < 4294967296.0)) return false;
    *out = (uint32_t)a;
    return true;
}
static inline bool num_trunc_i64_s(double a, int64_t *out)
{
    if (isnan(a) || !(a >= -9223372036854775808.0 && a < 9223372036854775808.0)) return false;
    *out = (int64_t)a;
    return true;
}
static inline bool num_trunc_i64_u(double a, uint64_t *out)
{
    if (isnan(a) || !(a > -1.0 && a < 18446744073709551616.0)) return false;
    *out = (uint64_t)a;
    return true;
}

/* ---- float -> int: saturating ------------------------------------------- */

static inline int32_t num_sat_i32_s(double a)
{
    if (isnan(a)) return 0;
    if (a <= -2147483648.0) return INT32_MIN;
    if (a >= 2147483647.0) return INT32_MAX;
    return (int32_t)a;
}
static inline uint32_t num_sat_i32_u(double a)
{
    if (isnan(a) || a <= 0.0) return 0;
    if (a >= 4294967295.0) return UINT32_MAX;
    return (uint32_t)a;
}
static inline int64_t num_sat_i64_s(double a)
{
    if (isnan(a)) return 0;
    if (a <= -9223372036854775808.0) return INT64_MIN;
    if (a >= 9223372036854775808.0) return INT64_MAX;
    return (int64_t)a;
}
static inline uint64_t num_sat_i64_u(double a)
{
    if (isnan(a) || a <= 0.0) return 0;
    if (a >= 18446744073709551616.0) return UINT64_MAX;
    return (uint64_t)a;
}

/* ---- int -> float --------------------------------------------------------- */

/* u64 -> f32 must round once, from the exact integer: converting through
 * double first would round twice.  C's conversion rounds correctly. */
static inline float num_u64_to_f32(uint64_t x) { return (float)x; }
static inline double num_u64_to_f64(uint64_t x) { return (double)x; }
static inline float num_i64_to_f32(int64_t x) { return (float)x; }

#endif /* WEFT_NUMERIC_H */

/*
 * simd.h -- the lane arithmetic of WebAssembly 2.0's 128-bit SIMD (simd_):
 * one static inline function per operation on simd_v values, used by the
 * handlers of engine/simd_ops.h inside the interpreter's loop.
 *
 * Two implementations, chosen at build time by WEFT_SIMD_VECTOR
 * (engine/config.h; CMake option WEFT_SIMD_SCALAR=ON turns it off):
 *   1: GCC/Clang vector extensions where they express the operation exactly
 *      (bitwise, wrapping add/sub/mul, compares, shifts, float add/sub/mul/
 *      div), plus SSE2 intrinsics on x86-64 for the operations SSE2 has
 *      (saturating add/sub, averages, u8/i16 min/max, narrowing, bitmasks,
 *      the i16 dot product).  SSE2 is the x86-64 baseline, so the build runs
 *      on any x86-64; SSE4.1 is not assumed (a build with -msse4.1 in
 *      CMAKE_C_FLAGS lets the compiler use it for the vector-extension code).
 *   0: portable lane loops in plain C, the reference the other is tested
 *      against (CI runs the SIMD spec tests and unit tests with both).
 * Everything the vector path does not cover runs the lane loops in both.
 *
 * Lanes are little-endian (lane 0 is the lowest address), as on the hosts
 * weft runs on.  Wrapping arithmetic works on unsigned lanes (signed overflow
 * is undefined in C).  Float results follow the spec's NaN rules: arithmetic
 * propagates a quiet NaN (the host's), min/max and rounding go through
 * engine/numeric.h, which the scalar instructions use too.
 */
#ifndef WEFT_SIMD_H
#define WEFT_SIMD_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "engine/config.h"
#include "engine/numeric.h"

#if WEFT_SIMD_VECTOR
typedef int8_t simd_i8 __attribute__((vector_size(16)));
typedef uint8_t simd_u8 __attribute__((vector_size(16)));
typedef int16_t simd_i16 __attribute__((vector_size(16)));
typedef uint16_t simd_u16 __attribute__((vector_size(16)));
typedef int32_t simd_i32 __attribute__((vector_size(16)));
typedef uint32_t simd_u32 __attribute__((vector_size(16)));
typedef int64_t simd_i64 __attribute__((vector_size(16)));
typedef uint64_t simd_u64 __attribute__((vector_size(16)));
typedef float simd_f32 __attribute__((vector_size(16)));
typedef double simd_f64 __attribute__((vector_size(16)));
#if defined(__SSE2__)
#include <emmintrin.h>
#define SIMD_SSE2 1
#else
#define SIMD_SSE2 0
#endif
#else
#define SIMD_SSE2 0
#endif

/* A v128 value, seen as any of its lane shapes. */
typedef union simd_v {
    uint8_t u8[16];
    int8_t i8[16];
    uint16_t u16[8];
    int16_t i16[8];
    uint32_t u32[4];
    int32_t i32[4];
    uint64_t u64[2];
    int64_t i64[2];
    float f32[4];
    double f64[2];
#if WEFT_SIMD_VECTOR
    simd_i8 vi8;
    simd_u8 vu8;
    simd_i16 vi16;
    simd_u16 vu16;
    simd_i32 vi32;
    simd_u32 vu32;
    simd_i64 vi64;
    simd_u64 vu64;
    simd_f32 vf32;
    simd_f64 vf64;
#endif
#if SIMD_SSE2
    __m128i m;
#endif
} simd_v;

/* A frame's two slots (low half first; 8-byte aligned only) as a value. */
static inline simd_v simd_get(const uint64_t *slots)
{
    simd_v v;
    memcpy(&v, slots, 16);
    return v;
}
static inline void simd_put(uint64_t *slots, simd_v v) { memcpy(slots, &v, 16); }

/* ---- the lane-wise helpers the vector path and the loops share ---------- */

/* A whole-lane mask from a truth value: all ones or zero. */
#define SIMD_MASK(T, c) ((c) ? (T)~(T)0 : (T)0)

/* Defines simd_<name>(a, b): lanes `n` of field `f`, each r = EXPR(a, b) (a
 * and b the lanes), or VEXPR on whole vectors when the vector path has it. */
#define SIMD_BIN_LOOP(name, f, n, EXPR)                                        \
    static inline simd_v simd_##name(simd_v va, simd_v vb)                     \
    {                                                                          \
        simd_v r;                                                              \
        for (int i = 0; i < (n); i++) {                                        \
            __typeof__(va.f[0]) a = va.f[i], b = vb.f[i];                      \
            r.f[i] = (__typeof__(r.f[0]))(EXPR);                               \
        }                                                                      \
        return r;                                                              \
    }
#define SIMD_UN_LOOP(name, f, n, EXPR)                                         \
    static inline simd_v simd_##name(simd_v va)                                \
    {                                                                          \
        simd_v r;                                                              \
        for (int i = 0; i < (n); i++) {                                        \
            __typeof__(va.f[0]) a = va.f[i];                                   \
            r.f[i] = (__typeof__(r.f[0]))(EXPR);                               \
        }                                                                      \
        return r;                                                              \
    }
#if WEFT_SIMD_VECTOR
#define SIMD_BIN(name, f, n, EXPR, vf, VEXPR)                                  \
    static inline simd_v simd_##name(simd_v va, simd_v vb)                     \
    {                                                                          \
        simd_v r;                                                              \
        __typeof__(va.vf) a = va.vf, b = vb.vf;                                \
        r.vf = (__typeof__(r.vf))(VEXPR);                                      \
        return r;                                                              \
    }
#define SIMD_UN(name, f, n, EXPR, vf, VEXPR)                                   \
    static inline simd_v simd_##name(simd_v va)                                \
    {                                                                          \
        simd_v r;                                                              \
        __typeof__(va.vf) a = va.vf;                                           \
        r.vf = (__typeof__(r.vf))(VEXPR);                                      \
        return r;                                                              \
    }
#else
#define SIMD_BIN(name, f, n, EXPR, vf, VEXPR) SIMD_BIN_LOOP(name, f, n, EXPR)
#define SIMD_UN(name, f, n, EXPR, vf, VEXPR) SIMD_UN_LOOP(name, f, n, EXPR)
#endif
/* The same, with an SSE2 intrinsic as the vector form. */
#if SIMD_SSE2
#define SIMD_BIN_SSE(name, f, n, EXPR, INTRIN)                                 \
    static inline simd_v simd_##name(simd_v va, simd_v vb)                     \
    {                                                                          \
        simd_v r;                                                              \
        r.m = INTRIN(va.m, vb.m);                                              \
        return r;                                                              \
    }
#else
#define SIMD_BIN_SSE(name, f, n, EXPR, INTRIN) SIMD_BIN_LOOP(name, f, n, EXPR)
#endif

static inline int32_t simd_sat(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* ---- bitwise ------------------------------------------------------------ */

SIMD_UN(not, u64, 2, ~a, vu64, ~a)
SIMD_BIN(and, u64, 2, a & b, vu64, a & b)
SIMD_BIN(andnot, u64, 2, a & ~b, vu64, a & ~b)
SIMD_BIN(or, u64, 2, a | b, vu64, a | b)
SIMD_BIN(xor, u64, 2, a ^ b, vu64, a ^ b)
static inline simd_v simd_bitselect(simd_v a, simd_v b, simd_v c)
{
    simd_v r;
    for (int i = 0; i < 2; i++)
        r.u64[i] = (a.u64[i] & c.u64[i]) | (b.u64[i] & ~c.u64[i]);
    return r;
}
static inline uint32_t simd_any_true(simd_v a) { return (a.u64[0] | a.u64[1]) != 0; }

/* ---- integer arithmetic ----------------------------------------------------- */

#define SIMD_INT_ARITH(s, n, u, vu)                                            \
    SIMD_BIN(s##_add, u, n, a + b, vu, a + b)                                  \
    SIMD_BIN(s##_sub, u, n, a - b, vu, a - b)                                  \
    SIMD_UN(s##_neg, u, n, 0u - a, vu, -a)
SIMD_INT_ARITH(i8x16, 16, u8, vu8)
SIMD_INT_ARITH(i16x8, 8, u16, vu16)
SIMD_INT_ARITH(i32x4, 4, u32, vu32)
SIMD_INT_ARITH(i64x2, 2, u64, vu64)
SIMD_BIN(i16x8_mul, u16, 8, (uint32_t)a * b, vu16, a * b)
SIMD_BIN(i32x4_mul, u32, 4, a * b, vu32, a * b)
SIMD_BIN(i64x2_mul, u64, 2, a * b, vu64, a * b)
SIMD_UN_LOOP(i8x16_abs, i8, 16, a < 0 ? (uint8_t)(0u - (uint8_t)a) : (uint8_t)a)
SIMD_UN_LOOP(i16x8_abs, i16, 8, a < 0 ? (uint16_t)(0u - (uint16_t)a) : (uint16_t)a)
SIMD_UN_LOOP(i32x4_abs, i32, 4, a < 0 ? 0u - (uint32_t)a : (uint32_t)a)
SIMD_UN_LOOP(i64x2_abs, i64, 2, a < 0 ? 0u - (uint64_t)a : (uint64_t)a)

SIMD_BIN_SSE(i8x16_add_sat_s, i8, 16, simd_sat(a + b, -128, 127), _mm_adds_epi8)
SIMD_BIN_SSE(i8x16_add_sat_u, u8, 16, simd_sat(a + b, 0, 255), _mm_adds_epu8)
SIMD_BIN_SSE(i8x16_sub_sat_s, i8, 16, simd_sat(a - b, -128, 127), _mm_subs_epi8)
SIMD_BIN_SSE(i8x16_sub_sat_u, u8, 16, simd_sat(a - b, 0, 255), _mm_subs_epu8)
SIMD_BIN_SSE(i16x8_add_sat_s, i16, 8, simd_sat(a + b, -32768, 32767), _mm_adds_epi16)
SIMD_BIN_SSE(i16x8_add_sat_u, u16, 8, simd_sat(a + b, 0, 65535), _mm_adds_epu16)
SIMD_BIN_SSE(i16x8_sub_sat_s, i16, 8, simd_sat(a - b, -32768, 32767), _mm_subs_epi16)
SIMD_BIN_SSE(i16x8_sub_sat_u, u16, 8, simd_sat(a - b, 0, 65535), _mm_subs_epu16)
SIMD_BIN_SSE(i8x16_avgr_u, u8, 16, (a + b + 1) >> 1, _mm_avg_epu8)
SIMD_BIN_SSE(i16x8_avgr_u, u16, 8, ((uint32_t)a + b + 1) >> 1, _mm_avg_epu16)

/* min/max: intrinsics where SSE2 has them (u8, i16), compare-and-pick else. */
#define SIMD_MINMAX(s, n, fs, fu)                                              \
    SIMD_BIN_LOOP(s##_min_s, fs, n, a < b ? a : b)                             \
    SIMD_BIN_LOOP(s##_min_u, fu, n, a < b ? a : b)                             \
    SIMD_BIN_LOOP(s##_max_s, fs, n, a > b ? a : b)                             \
    SIMD_BIN_LOOP(s##_max_u, fu, n, a > b ? a : b)
#if SIMD_SSE2
SIMD_BIN_LOOP(i8x16_min_s, i8, 16, a < b ? a : b)
SIMD_BIN_SSE(i8x16_min_u, u8, 16, 0, _mm_min_epu8)
SIMD_BIN_LOOP(i8x16_max_s, i8, 16, a > b ? a : b)
SIMD_BIN_SSE(i8x16_max_u, u8, 16, 0, _mm_max_epu8)
SIMD_BIN_SSE(i16x8_min_s, i16, 8, 0, _mm_min_epi16)
SIMD_BIN_LOOP(i16x8_min_u, u16, 8, a < b ? a : b)
SIMD_BIN_SSE(i16x8_max_s, i16, 8, 0, _mm_max_epi16)
SIMD_BIN_LOOP(i16x8_max_u, u16, 8, a > b ? a : b)
#else
SIMD_MINMAX(i8x16, 16, i8, u8)
SIMD_MINMAX(i16x8, 8, i16, u16)
#endif
SIMD_MINMAX(i32x4, 4, i32, u32)

/* Q15: (a * b + 2^14) >> 15, saturated (only -32768 * -32768 needs it). */
SIMD_BIN_LOOP(i16x8_q15mulr_sat_s, i16, 8, simd_sat((a * b + 0x4000) >> 15, -32768, 32767))

/* popcnt per byte. */
SIMD_UN_LOOP(i8x16_popcnt, u8, 16, __builtin_popcount(a))

/* ---- shifts (the count taken modulo the lane width) ---------------------- */

#define SIMD_SHIFTS(s, n, bits, fs, fu, vs, vu)                                \
    static inline simd_v simd_##s##_shl(simd_v a, uint32_t k)                  \
    {                                                                          \
        simd_v r;                                                              \
        k &= (bits) - 1;                                                       \
        SIMD_SHIFT_BODY(n, fu, vu, <<);                                        \
        return r;                                                              \
    }                                                                          \
    static inline simd_v simd_##s##_shr_s(simd_v a, uint32_t k)                \
    {                                                                          \
        simd_v r;                                                              \
        k &= (bits) - 1;                                                       \
        SIMD_SHIFT_BODY(n, fs, vs, >>);                                        \
        return r;                                                              \
    }                                                                          \
    static inline simd_v simd_##s##_shr_u(simd_v a, uint32_t k)                \
    {                                                                          \
        simd_v r;                                                              \
        k &= (bits) - 1;                                                       \
        SIMD_SHIFT_BODY(n, fu, vu, >>);                                        \
        return r;                                                              \
    }
/* Right shifts of negative signed lanes are arithmetic in GCC and Clang (a
 * documented implementation-defined choice); left shifts work unsigned. */
#if WEFT_SIMD_VECTOR
#define SIMD_SHIFT_BODY(n, f, vf, OP) r.vf = a.vf OP (int)k
#else
#define SIMD_SHIFT_BODY(n, f, vf, OP)                                          \
    for (int i = 0; i < (n); i++)                                              \
    r.f[i] = (__typeof__(r.f[0]))(a.f[i] OP k)
#endif
SIMD_SHIFTS(i8x16, 16, 8, i8, u8, vi8, vu8)
SIMD_SHIFTS(i16x8, 8, 16, i16, u16, vi16, vu16)
SIMD_SHIFTS(i32x4, 4, 32, i32, u32, vi32, vu32)
SIMD_SHIFTS(i64x2, 2, 64, i64, u64, vi64, vu64)

/* ---- compares: all-ones lanes where true -------------------------------- */

#if WEFT_SIMD_VECTOR
#define SIMD_CMP(name, f, n, OP, vf, mf) SIMD_BIN(name, f, n, 0, vf, a OP b)
#else
#define SIMD_CMP(name, f, n, OP, vf, mf)                                       \
    static inline simd_v simd_##name(simd_v a, simd_v b)                       \
    {                                                                          \
        simd_v r;                                                              \
        for (int i = 0; i < (n); i++)                                          \
            r.mf[i] = SIMD_MASK(__typeof__(r.mf[0]), a.f[i] OP b.f[i]);        \
        return r;                                                              \
    }
#endif
/* mf: the unsigned lanes of f's width the loops write the masks to. */
#define SIMD_CMP_REL(s, suffix, f, n, vf, mf)                                  \
    SIMD_CMP(s##_lt##suffix, f, n, <, vf, mf)                                  \
    SIMD_CMP(s##_gt##suffix, f, n, >, vf, mf)                                  \
    SIMD_CMP(s##_le##suffix, f, n, <=, vf, mf)                                 \
    SIMD_CMP(s##_ge##suffix, f, n, >=, vf, mf)
#define SIMD_CMP_INT(s, n, fs, fu, vs, vu)                                     \
    SIMD_CMP(s##_eq, fu, n, ==, vu, fu)                                        \
    SIMD_CMP(s##_ne, fu, n, !=, vu, fu)                                        \
    SIMD_CMP_REL(s, _s, fs, n, vs, fu)                                         \
    SIMD_CMP_REL(s, _u, fu, n, vu, fu)
SIMD_CMP_INT(i8x16, 16, i8, u8, vi8, vu8)
SIMD_CMP_INT(i16x8, 8, i16, u16, vi16, vu16)
SIMD_CMP_INT(i32x4, 4, i32, u32, vi32, vu32)
SIMD_CMP(i64x2_eq, u64, 2, ==, vu64, u64)
SIMD_CMP(i64x2_ne, u64, 2, !=, vu64, u64)
SIMD_CMP_REL(i64x2, _s, i64, 2, vi64, u64)
SIMD_CMP(f32x4_eq, f32, 4, ==, vf32, u32)
SIMD_CMP(f32x4_ne, f32, 4, !=, vf32, u32)
SIMD_CMP_REL(f32x4, , f32, 4, vf32, u32)
SIMD_CMP(f64x2_eq, f64, 2, ==, vf64, u64)
SIMD_CMP(f64x2_ne, f64, 2, !=, vf64, u64)
SIMD_CMP_REL(f64x2, , f64, 2, vf64, u64)

/* ---- all_true, bitmask --------------------------------------------------- */

#define SIMD_TRUES(s, n, f)                                                    \
    static inline uint32_t simd_##s##_all_true(simd_v a)                       \
    {                                                                          \
        for (int i = 0; i < (n); i++)                                          \
            if (!a.f[i])                                                       \
                return 0;                                                      \
        return 1;                                                              \
    }                                                                          \
    static inline uint32_t simd_##s##_bitmask_loop(simd_v a)                   \
    {                                                                          \
        uint32_t m = 0;                                                        \
        for (int i = 0; i < (n); i++)                                          \
            m |= (uint32_t)(a.f[i] < 0) << i;                                  \
        return m;                                                              \
    }
SIMD_TRUES(i8x16, 16, i8)
SIMD_TRUES(i16x8, 8, i16)
SIMD_TRUES(i32x4, 4, i32)
SIMD_TRUES(i64x2, 2, i64)
#if SIMD_SSE2
static inline uint32_t simd_i8x16_bitmask(simd_v a) { return (uint32_t)_mm_movemask_epi8(a.m); }
static inline uint32_t simd_i32x4_bitmask(simd_v a)
{
    return (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(a.m));
}
static inline uint32_t simd_i64x2_bitmask(simd_v a)
{
    return (uint32_t)_mm_movemask_pd(_mm_castsi128_pd(a.m));
}
#else
static inline uint32_t simd_i8x16_bitmask(simd_v a) { return simd_i8x16_bitmask_loop(a); }
static inline uint32_t simd_i32x4_bitmask(simd_v a) { return simd_i32x4_bitmask_loop(a); }
static inline uint32_t simd_i64x2_bitmask(simd_v a) { return simd_i64x2_bitmask_loop(a); }
#endif
static inline uint32_t simd_i16x8_bitmask(simd_v a) { return simd_i16x8_bitmask_loop(a); }

/* ---- float arithmetic ------------------------------------------------------ */

#define SIMD_FLOAT(s, n, f, vf, W)                                             \
    SIMD_BIN(s##_add, f, n, a + b, vf, a + b)                                  \
    SIMD_BIN(s##_sub, f, n, a - b, vf, a - b)                                  \
    SIMD_BIN(s##_mul, f, n, a * b, vf, a * b)                                  \
    SIMD_BIN(s##_div, f, n, a / b, vf, a / b)                                  \
    SIMD_BIN_LOOP(s##_min, f, n, num_fmin##W(a, b))                            \
    SIMD_BIN_LOOP(s##_max, f, n, num_fmax##W(a, b))                            \
    SIMD_BIN_LOOP(s##_pmin, f, n, b < a ? b : a)                               \
    SIMD_BIN_LOOP(s##_pmax, f, n, a < b ? b : a)                               \
    SIMD_UN_LOOP(s##_abs, f, n, num_fabs##W(a))                                \
    SIMD_UN_LOOP(s##_neg, f, n, num_fneg##W(a))                                \
    SIMD_UN_LOOP(s##_ceil, f, n, num_ceil##W(a))                               \
    SIMD_UN_LOOP(s##_floor, f, n, num_floor##W(a))                             \
    SIMD_UN_LOOP(s##_trunc, f, n, num_trunc##W(a))                             \
    SIMD_UN_LOOP(s##_nearest, f, n, num_nearest##W(a))
SIMD_FLOAT(f32x4, 4, f32, vf32, 32)
SIMD_FLOAT(f64x2, 2, f64, vf64, 64)
SIMD_UN_LOOP(f32x4_sqrt, f32, 4, sqrtf(a))
SIMD_UN_LOOP(f64x2_sqrt, f64, 2, sqrt(a))

/* ---- conversions ---------------------------------------------------------- */

/* Lane conversions: 4 lanes of field fi in, of fo out. */
#define SIMD_CVT4(name, fi, fo, EXPR)                                          \
    static inline simd_v simd_##name(simd_v va)                                \
    {                                                                          \
        simd_v r;                                                              \
        for (int i = 0; i < 4; i++) {                                          \
            __typeof__(va.fi[0]) a = va.fi[i];                                 \
            r.fo[i] = (EXPR);                                                  \
        }                                                                      \
        return r;                                                              \
    }
SIMD_CVT4(i32x4_trunc_sat_f32x4_s, f32, i32, num_sat_i32_s(a))
SIMD_CVT4(i32x4_trunc_sat_f32x4_u, f32, u32, num_sat_i32_u(a))
SIMD_CVT4(f32x4_convert_i32x4_s, i32, f32, (float)a)
SIMD_CVT4(f32x4_convert_i32x4_u, u32, f32, (float)a)
/* The _zero forms: two lanes in, the upper two zero. */
static inline simd_v simd_i32x4_trunc_sat_f64x2_s_zero(simd_v a)
{
    simd_v r = {.u64 = {0, 0}};
    r.i32[0] = num_sat_i32_s(a.f64[0]);
    r.i32[1] = num_sat_i32_s(a.f64[1]);
    return r;
}
static inline simd_v simd_i32x4_trunc_sat_f64x2_u_zero(simd_v a)
{
    simd_v r = {.u64 = {0, 0}};
    r.u32[0] = num_sat_i32_u(a.f64[0]);
    r.u32[1] = num_sat_i32_u(a.f64[1]);
    return r;
}
static inline simd_v simd_f32x4_demote_f64x2_zero(simd_v a)
{
    simd_v r = {.u64 = {0, 0}};
    r.f32[0] = (float)a.f64[0];
    r.f32[1] = (float)a.f64[1];
    return r;
}
static inline simd_v simd_f64x2_promote_low_f32x4(simd_v a)
{
    simd_v r;
    r.f64[0] = a.f32[0];
    r.f64[1] = a.f32[1];
    return r;
}
static inline simd_v simd_f64x2_convert_low_i32x4_s(simd_v a)
{
    simd_v r;
    r.f64[0] = a.i32[0];
    r.f64[1] = a.i32[1];
    return r;
}
static inline simd_v simd_f64x2_convert_low_i32x4_u(simd_v a)
{
    simd_v r;
    r.f64[0] = a.u32[0];
    r.f64[1] = a.u32[1];
    return r;
}

/* ---- narrowing, widening, extended multiplication, dot product ------------- */

/* Narrowing: a's lanes then b's, each saturated to the narrower type (the
 * unsigned forms read signed lanes and saturate to 0 .. max). */
#define SIMD_NARROW(name, n, fi, fo, lo, hi)                                   \
    static inline simd_v simd_##name##_loop(simd_v a, simd_v b)                \
    {                                                                          \
        simd_v r;                                                              \
        for (int i = 0; i < (n); i++) {                                        \
            r.fo[i] = (__typeof__(r.fo[0]))simd_sat(a.fi[i], lo, hi);          \
            r.fo[i + (n)] = (__typeof__(r.fo[0]))simd_sat(b.fi[i], lo, hi);    \
        }                                                                      \
        return r;                                                              \
    }
SIMD_NARROW(i8x16_narrow_i16x8_s, 8, i16, i8, -128, 127)
SIMD_NARROW(i8x16_narrow_i16x8_u, 8, i16, u8, 0, 255)
SIMD_NARROW(i16x8_narrow_i32x4_s, 4, i32, i16, -32768, 32767)
SIMD_NARROW(i16x8_narrow_i32x4_u, 4, i32, u16, 0, 65535)
#if SIMD_SSE2
static inline simd_v simd_i8x16_narrow_i16x8_s(simd_v a, simd_v b)
{
    simd_v r;
    r.m = _mm_packs_epi16(a.m, b.m);
    return r;
}
static inline simd_v simd_i8x16_narrow_i16x8_u(simd_v a, simd_v b)
{
    simd_v r;
    r.m = _mm_packus_epi16(a.m, b.m);
    return r;
}
static inline simd_v simd_i16x8_narrow_i32x4_s(simd_v a, simd_v b)
{
    simd_v r;
    r.m = _mm_packs_epi32(a.m, b.m);
    return r;
}
#else
static inline simd_v simd_i8x16_narrow_i16x8_s(simd_v a, simd_v b)
{
    return simd_i8x16_narrow_i16x8_s_loop(a, b);
}
static inline simd_v simd_i8x16_narrow_i16x8_u(simd_v a, simd_v b)
{
    return simd_i8x16_narrow_i16x8_u_loop(a, b);
}
static inline simd_v simd_i16x8_narrow_i32x4_s(simd_v a, simd_v b)
{
    return simd_i16x8_narrow_i32x4_s_loop(a, b);
}
#endif
/* SSE2 has no packusdw (SSE4.1): the loop in both builds. */
static inline simd_v simd_i16x8_narrow_i32x4_u(simd_v a, simd_v b)
{
    return simd_i16x8_narrow_i32x4_u_loop(a, b);
}

/* Widening: the low or high half's lanes, sign- or zero-extended. */
#define SIMD_EXTEND(s, n, fi, fo)                                              \
    static inline simd_v simd_##s(simd_v a, int half)                          \
    {                                                                          \
        simd_v r;                                                              \
        for (int i = 0; i < (n); i++)                                          \
            r.fo[i] = a.fi[i + half * (n)];                                    \
        return r;                                                              \
    }
SIMD_EXTEND(i16x8_extend_s, 8, i8, i16)
SIMD_EXTEND(i16x8_extend_u, 8, u8, u16)
SIMD_EXTEND(i32x4_extend_s, 4, i16, i32)
SIMD_EXTEND(i32x4_extend_u, 4, u16, u32)
SIMD_EXTEND(i64x2_extend_s, 2, i32, i64)
SIMD_EXTEND(i64x2_extend_u, 2, u32, u64)

/* Extended multiplication: the halves' lanes widened, then multiplied
 * (the product fits the wide lane; computed in 64 bits, unsigned wraps). */
#define SIMD_EXTMUL(s, n, fi, fo, T)                                           \
    static inline simd_v simd_##s(simd_v a, simd_v b, int half)                \
    {                                                                          \
        simd_v r;                                                              \
        for (int i = 0; i < (n); i++)                                          \
            r.fo[i] = (__typeof__(r.fo[0]))((T)a.fi[i + half * (n)] *         \
                                            (T)b.fi[i + half * (n)]);          \
        return r;                                                              \
    }
SIMD_EXTMUL(i16x8_extmul_s, 8, i8, i16, int32_t)
SIMD_EXTMUL(i16x8_extmul_u, 8, u8, u16, uint32_t)
SIMD_EXTMUL(i32x4_extmul_s, 4, i16, i32, int64_t)
SIMD_EXTMUL(i32x4_extmul_u, 4, u16, u32, uint64_t)
SIMD_EXTMUL(i64x2_extmul_s, 2, i32, i64, int64_t)
SIMD_EXTMUL(i64x2_extmul_u, 2, u32, u64, uint64_t)

/* Pairwise sums of adjacent lanes, widened. */
#define SIMD_EXTADD(s, n, fi, fo)                                              \
    static inline simd_v simd_##s(simd_v a)                                    \
    {                                                                          \
        simd_v r;                                                              \
        for (int i = 0; i < (n); i++)                                          \
            r.fo[i] = (__typeof__(r.fo[0]))(a.fi[2 * i] + a.fi[2 * i + 1]);    \
        return r;                                                              \
    }
SIMD_EXTADD(i16x8_extadd_pairwise_i8x16_s, 8, i8, i16)
SIMD_EXTADD(i16x8_extadd_pairwise_i8x16_u, 8, u8, u16)
SIMD_EXTADD(i32x4_extadd_pairwise_i16x8_s, 4, i16, i32)
SIMD_EXTADD(i32x4_extadd_pairwise_i16x8_u, 4, u16, u32)

/* i32x4.dot_i16x8_s: sums of adjacent products; only -32768 * -32768 twice
 * overflows i32, and wraps (pmaddwd does the same). */
static inline simd_v simd_i32x4_dot_i16x8_s(simd_v a, simd_v b)
{
    simd_v r;
#if SIMD_SSE2
    r.m = _mm_madd_epi16(a.m, b.m);
#else
    for (int i = 0; i < 4; i++)
        r.u32[i] = (uint32_t)(a.i16[2 * i] * b.i16[2 * i]) +
                   (uint32_t)(a.i16[2 * i + 1] * b.i16[2 * i + 1]);
#endif
    return r;
}

/* ---- shuffles, splats, lanes ------------------------------------------------- */

/* Shuffle and swizzle index one table, without a branch per lane (their
 * patterns are data the branch predictor cannot learn): a then b for the
 * shuffle (lane indexes < 32, validated), a then a zero for the swizzle. */
static inline simd_v simd_shuffle(simd_v a, simd_v b, const uint8_t *lanes)
{
    uint8_t ab[32];
    memcpy(ab, &a, 16);
    memcpy(ab + 16, &b, 16);
    simd_v r;
    for (int i = 0; i < 16; i++)
        r.u8[i] = ab[lanes[i] & 31];
    return r;
}
static inline simd_v simd_swizzle(simd_v a, simd_v s)
{
    uint8_t az[17];
    memcpy(az, &a, 16);
    az[16] = 0;
    simd_v r;
    for (int i = 0; i < 16; i++)
        r.u8[i] = az[s.u8[i] < 16 ? s.u8[i] : 16];
    return r;
}
#define SIMD_SPLAT(s, n, f, T)                                                 \
    static inline simd_v simd_##s##_splat(T x)                                 \
    {                                                                          \
        simd_v r;                                                              \
        for (int i = 0; i < (n); i++)                                          \
            r.f[i] = x;                                                        \
        return r;                                                              \
    }
SIMD_SPLAT(i8x16, 16, u8, uint8_t)
SIMD_SPLAT(i16x8, 8, u16, uint16_t)
SIMD_SPLAT(i32x4, 4, u32, uint32_t)
SIMD_SPLAT(i64x2, 2, u64, uint64_t)

#endif /* WEFT_SIMD_H */

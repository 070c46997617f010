/*
 * wasm_simd128_native.h -- the few wasm_simd128.h intrinsics that
 * simd_filter.h uses, for the native build of the same C, in SSE2 (x86-64's
 * baseline).  Each one has the wasm instruction's exact semantics (lane
 * order, wrapping, saturation, shift counts taken mod the lane width), so
 * the native and the wasm build compute the same bytes.  Included only when
 * __wasm_simd128__ is not defined; add an intrinsic here when a kernel
 * needs one more.
 */
#ifndef BENCH_WASM_SIMD128_NATIVE_H
#define BENCH_WASM_SIMD128_NATIVE_H

#include <emmintrin.h>
#include <stdint.h>

typedef __m128i v128_t;

/* v128.load, v128.store: unaligned, as wasm's are. */
static inline v128_t wasm_v128_load(const void *p)
{
    return _mm_loadu_si128((const __m128i *)p);
}

static inline void wasm_v128_store(void *p, v128_t v)
{
    _mm_storeu_si128((__m128i *)p, v);
}

static inline v128_t wasm_i16x8_splat(int16_t x)
{
    return _mm_set1_epi16(x);
}

/* i16x8.extend_{low,high}_i8x16_u: lanes 0..7 / 8..15, zero-extended. */
static inline v128_t wasm_u16x8_extend_low_u8x16(v128_t a)
{
    return _mm_unpacklo_epi8(a, _mm_setzero_si128());
}

static inline v128_t wasm_u16x8_extend_high_u8x16(v128_t a)
{
    return _mm_unpackhi_epi8(a, _mm_setzero_si128());
}

static inline v128_t wasm_i16x8_add(v128_t a, v128_t b)
{
    return _mm_add_epi16(a, b);
}

/* Shifts take the count mod 16 in wasm; SSE2 would give 0 past 15. */
static inline v128_t wasm_i16x8_shl(v128_t a, uint32_t n)
{
    return _mm_sll_epi16(a, _mm_cvtsi32_si128((int)(n & 15)));
}

static inline v128_t wasm_u16x8_shr(v128_t a, uint32_t n)
{
    return _mm_srl_epi16(a, _mm_cvtsi32_si128((int)(n & 15)));
}

/* i8x16.narrow_i16x8_u: signed 16-bit lanes saturated to 0..255, a's lanes
 * first -- exactly packuswb. */
static inline v128_t wasm_u8x16_narrow_i16x8(v128_t a, v128_t b)
{
    return _mm_packus_epi16(a, b);
}

static inline v128_t wasm_u8x16_add_sat(v128_t a, v128_t b)
{
    return _mm_adds_epu8(a, b);
}

static inline v128_t wasm_u8x16_sub_sat(v128_t a, v128_t b)
{
    return _mm_subs_epu8(a, b);
}

#endif /* BENCH_WASM_SIMD128_NATIVE_H */

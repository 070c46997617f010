/*
 * simd_filter.h -- a 3x3 filter of an 8-bit grey image written with
 * wasm_simd128.h intrinsics, 16 pixels at a time: a Gaussian blur (1 2 1
 * vertically and horizontally, /16 rounded: u8 -> u16 widening, adds,
 * shifts, narrowing with saturation) or an unsharp mask on top of it
 * (saturating u8 adds and subtracts).  Shared by the bench kernel
 * bench/kernels/simd_filter.c and the threaded guest tests/guest/simd_filter.c.
 *
 * The wasm build (-msimd128) uses clang's wasm_simd128.h; the native build of
 * the same C uses wasm_simd128_native.h, the same intrinsics in SSE2 with the
 * same semantics, so both compute the same bytes.
 */
#ifndef BENCH_SIMD_FILTER_H
#define BENCH_SIMD_FILTER_H

#include <stdint.h>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#else
#include "wasm_simd128_native.h"
#endif

/* Column sums a + 2b + c of three rows' 16 bytes, as two u16x8 halves. */
static inline void filter_column_sums(const uint8_t *p, uint32_t stride, v128_t *lo, v128_t *hi)
{
    v128_t a = wasm_v128_load(p - stride), b = wasm_v128_load(p),
           c = wasm_v128_load(p + stride);
    *lo = wasm_i16x8_add(wasm_i16x8_add(wasm_u16x8_extend_low_u8x16(a),
                                        wasm_u16x8_extend_low_u8x16(c)),
                         wasm_i16x8_shl(wasm_u16x8_extend_low_u8x16(b), 1));
    *hi = wasm_i16x8_add(wasm_i16x8_add(wasm_u16x8_extend_high_u8x16(a),
                                        wasm_u16x8_extend_high_u8x16(c)),
                         wasm_i16x8_shl(wasm_u16x8_extend_high_u8x16(b), 1));
}

/* (l + 2c + r + 8) >> 4 of one u16x8 half: the blurred pixels, 0..255. */
static inline v128_t filter_combine(v128_t l, v128_t c, v128_t r)
{
    v128_t s = wasm_i16x8_add(wasm_i16x8_add(l, r), wasm_i16x8_shl(c, 1));
    return wasm_u16x8_shr(wasm_i16x8_add(s, wasm_i16x8_splat(8)), 4);
}

/* Rows [y0, y1) of the w x h image src into dst (both w bytes a row).  Border
 * pixels are copied; w - 2 must be a multiple of 16.  sharpen: dst = src +
 * (src - blur) with saturation, else dst = blur. */
static inline void filter_rows(const uint8_t *src, uint8_t *dst, uint32_t w, uint32_t h,
                               uint32_t y0, uint32_t y1, int sharpen)
{
    for (uint32_t y = y0; y < y1; y++) {
        const uint8_t *s = src + (uint64_t)y * w;
        uint8_t *d = dst + (uint64_t)y * w;
        if (y == 0 || y + 1 >= h) {
            for (uint32_t x = 0; x < w; x++)
                d[x] = s[x];
            continue;
        }
        d[0] = s[0];
        d[w - 1] = s[w - 1];
        for (uint32_t x = 1; x + 16 < w; x += 16) {
            v128_t llo, lhi, clo, chi, rlo, rhi;
            filter_column_sums(s + x - 1, w, &llo, &lhi);
            filter_column_sums(s + x, w, &clo, &chi);
            filter_column_sums(s + x + 1, w, &rlo, &rhi);
            v128_t blur = wasm_u8x16_narrow_i16x8(filter_combine(llo, clo, rlo),
                                                  filter_combine(lhi, chi, rhi));
            if (sharpen) {
                v128_t p = wasm_v128_load(s + x);
                blur = wasm_u8x16_sub_sat(wasm_u8x16_add_sat(p, wasm_u8x16_sub_sat(p, blur)),
                                          wasm_u8x16_sub_sat(blur, p));
            }
            wasm_v128_store(d + x, blur);
        }
    }
}

/* FNV-1a over n bytes: the image's fingerprint. */
static inline uint64_t filter_hash(const uint8_t *p, uint64_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint64_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

#endif /* BENCH_SIMD_FILTER_H */

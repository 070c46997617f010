/*
 * simd_blend.c -- 128-bit SIMD on bytes: alpha-blends two 64 KiB 8-bit images
 * in u16x8 lanes (widen, multiply, add, shift, narrow), then a per-pass
 * histogram-like sum of the result with saturating byte adds and a byte
 * compare count.  Vector types as in simd_dot.c (wasm: i8x16/i16x8
 * instructions; native: SSE2).
 */
#include "kernel.h"

typedef uint8_t u8x16 __attribute__((vector_size(16)));
typedef uint8_t u8x8 __attribute__((vector_size(8)));
typedef uint16_t u16x8 __attribute__((vector_size(16)));
typedef uint32_t u32x4 __attribute__((vector_size(16)));

#define SIZE (64 * 1024)
#define PASSES 1200

static u8x16 a[SIZE / 16], b[SIZE / 16], out[SIZE / 16];

static u16x8 widen(u8x16 v, int high)
{
    u8x8 half = high ? (u8x8){v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]}
                     : (u8x8){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
    return __builtin_convertvector(half, u16x8);
}

KERNEL_RUN
{
    prng p;
    prng_init(&p, kernel_get_seed());
    for (int i = 0; i < SIZE / 16; i++)
        for (int k = 0; k < 16; k++) {
            uint32_t r = prng_u32(&p);
            a[i][k] = (uint8_t)r;
            b[i][k] = (uint8_t)(r >> 8);
        }
    uint64_t h = 0;
    for (int pass = 0; pass < PASSES; pass++) {
        uint16_t alpha = (uint16_t)(pass * 37 % 256);
        u16x8 al = {alpha, alpha, alpha, alpha, alpha, alpha, alpha, alpha};
        u16x8 inv = 255 - al;
        u8x16 sat = {0};
        u32x4 count = {0};
        u8x16 needle = {(uint8_t)pass};
        needle = (u8x16){needle[0], needle[0], needle[0], needle[0], needle[0], needle[0],
                         needle[0], needle[0], needle[0], needle[0], needle[0], needle[0],
                         needle[0], needle[0], needle[0], needle[0]};
        for (int i = 0; i < SIZE / 16; i++) {
            u16x8 lo = (widen(a[i], 0) * al + widen(b[i], 0) * inv + 128) >> 8;
            u16x8 hi = (widen(a[i], 1) * al + widen(b[i], 1) * inv + 128) >> 8;
            u8x16 r = __builtin_shufflevector((u8x16)lo, (u8x16)hi, 0, 2, 4, 6, 8, 10, 12, 14,
                                              16, 18, 20, 22, 24, 26, 28, 30);
            out[i] = r;
            u8x16 s = sat + r;
            sat = s | (u8x16)(s < sat); /* saturating add: all ones on overflow */
            count -= (u32x4)(u8x16)(r == needle) & 1;
        }
        for (int k = 0; k < 16; k++)
            h = mix64(h, sat[k]);
        h = mix64(h, count[0] + count[1] + count[2] + count[3]);
        /* Feed the result back so passes differ. */
        a[pass % (SIZE / 16)] ^= out[(pass * 97) % (SIZE / 16)];
    }
    return h;
}

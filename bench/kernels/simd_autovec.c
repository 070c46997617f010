/*
 * simd_autovec.c -- plain scalar C loops that clang vectorises by itself at
 * -O2 -msimd128 (and natively for SSE2): a saxpy-like update of floats
 * (f32x4.mul/add), an 8-bit alpha blend (u8 -> u16 widening multiply and
 * narrowing) and a byte sum and threshold count (extend and add reductions).
 * No vector types, no intrinsics: what a compiler makes of ordinary code.
 * bench/README.md says how to check that the hot loops are v128 code.
 */
#include "kernel.h"

#define N 8192
#define PASSES 6000

static float x[N], y[N];
static uint8_t a[N], b[N], out[N];

KERNEL_RUN
{
    prng p;
    prng_init(&p, kernel_get_seed());
    for (int i = 0; i < N; i++) {
        uint32_t r = prng_u32(&p);
        x[i] = (float)(r % 2001) / 1000.0f - 1.0f;
        y[i] = (float)((r >> 11) % 2001) / 1000.0f - 1.0f;
        a[i] = (uint8_t)r;
        b[i] = (uint8_t)(r >> 8);
    }
    uint64_t h = 0;
    for (int pass = 0; pass < PASSES; pass++) {
        /* y = s*x + y/2: stays bounded, every lane's rounding as in scalar code. */
        float s = (float)(pass % 9) * 0.125f - 0.5f;
        for (int i = 0; i < N; i++)
            y[i] = s * x[i] + 0.5f * y[i];
        /* Blend with a per-pass alpha. */
        uint32_t al = (uint32_t)(pass * 29) & 255;
        for (int i = 0; i < N; i++)
            out[i] = (uint8_t)((a[i] * al + b[i] * (255 - al) + 128) >> 8);
        /* Sum and count of the blended bytes. */
        uint32_t sum = 0, above = 0;
        for (int i = 0; i < N; i++) {
            sum += out[i];
            above += out[i] > 200;
        }
        h = mix64(h, sum);
        h = mix64(h, above);
        uint32_t bits;
        __builtin_memcpy(&bits, &y[pass % N], 4);
        h = mix64(h, bits);
        a[pass % N] ^= out[(pass * 7) % N];
    }
    return h;
}

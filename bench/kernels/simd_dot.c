/*
 * simd_dot.c -- 128-bit SIMD on floats: saxpy passes (y = a*x + y) and dot
 * products over 4096-element f32 arrays with f32x4 lanes, the dot products
 * accumulated in f64x2.  Written with GCC/Clang vector types, so the wasm
 * build (-msimd128, bench/build.sh) runs f32x4/f64x2 instructions and the
 * native build the host's (SSE2); lane order and rounding are the same in both.
 */
#include "kernel.h"

typedef float f32x4 __attribute__((vector_size(16)));
typedef double f64x2 __attribute__((vector_size(16)));
typedef int32_t i32x4 __attribute__((vector_size(16)));

#define N 4096
#define PASSES 6000

static f32x4 x[N / 4], y[N / 4];

KERNEL_RUN
{
    prng p;
    prng_init(&p, kernel_get_seed());
    for (int i = 0; i < N / 4; i++)
        for (int k = 0; k < 4; k++) {
            x[i][k] = (float)(prng_u32(&p) % 2001) / 1000.0f - 1.0f;
            y[i][k] = (float)(prng_u32(&p) % 2001) / 1000.0f - 1.0f;
        }
    uint64_t h = 0;
    for (int pass = 0; pass < PASSES; pass++) {
        float a = (float)(pass % 7) * 0.125f - 0.375f;
        f32x4 av = {a, a, a, a};
        f64x2 acc = {0, 0};
        for (int i = 0; i < N / 4; i++) {
            f32x4 v = av * x[i] + y[i];
            /* Keep values bounded: halve lanes whose magnitude passed 4 (a
             * compare mask and a bit select). */
            i32x4 big = (v > 4.0f) | (v < -4.0f);
            f32x4 half = v * 0.5f;
            v = (f32x4)(((i32x4)half & big) | ((i32x4)v & ~big));
            y[i] = v;
            f32x4 d = v * x[i];
            acc += (f64x2){d[0], d[1]} + (f64x2){d[2], d[3]};
        }
        double dot = acc[0] + acc[1];
        int64_t q = (int64_t)(dot * 1024.0);
        h = mix64(h, (uint64_t)q);
    }
    return h;
}

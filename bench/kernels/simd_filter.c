/*
 * simd_filter.c -- 128-bit SIMD written with wasm_simd128.h intrinsics: a
 * 3x3 Gaussian blur and an unsharp mask (simd_filter.h) over a 1026 x 512
 * 8-bit image, alternating, each pass reading the previous one's output.
 * Natively the same intrinsics come from wasm_simd128_native.h (SSE2).
 */
#include "kernel.h"
#include "simd_filter.h"

#define W 1026
#define H 512
#define PASSES 120

static uint8_t img[2][W * H];

KERNEL_RUN
{
    prng p;
    prng_init(&p, kernel_get_seed());
    /* Smooth ramps plus noise: the filters have edges and flat parts to work on. */
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++)
            img[0][y * W + x] = (uint8_t)(((x ^ y) & 0x80) + (prng_u32(&p) & 0x3f) + (x >> 3));
    uint64_t h = 0;
    for (int pass = 0; pass < PASSES; pass++) {
        const uint8_t *src = img[pass & 1];
        uint8_t *dst = img[(pass & 1) ^ 1];
        filter_rows(src, dst, W, H, 0, H, pass & 1);
        h = mix64(h, dst[(uint32_t)pass * 4099u % (W * H)]);
    }
    return mix64(h, filter_hash(img[PASSES & 1], W * H));
}

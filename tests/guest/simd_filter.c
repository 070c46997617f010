/*
 * simd_filter.c -- `simd_filter [THREADS [PASSES]]`: one 8-bit image in
 * shared memory filtered by THREADS threads with wasm SIMD, each thread its
 * own stripe of rows, PASSES passes alternating a blur and a sharpen (each
 * pass reading the previous one's output; the threads are joined between
 * passes).  The filter is bench/kernels/simd_filter.h, written with
 * wasm_simd128.h intrinsics.  Prints the image's hash and a few pixels.
 *
 * The same C is also built natively (tests/guest/CMakeLists.txt: the host
 * compiler, pthreads through native/weft_guest.h, SSE2 through
 * bench/kernels/wasm_simd128_native.h); run_guest.py requires weft's output
 * to equal the native program's, in both bounds modes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "simd_filter.h"
#include "weft_guest.h"

#define W 1026 /* 64 vectors of 16 pixels a row, plus the two border columns */
#define H 480
#define MAX_THREADS 16

static uint8_t img[2][W * H];

struct stripe {
    uint32_t y0, y1;
    int pass;
};

static void *work(void *arg)
{
    const struct stripe *s = arg;
    filter_rows(img[s->pass & 1], img[(s->pass & 1) ^ 1], W, H, s->y0, s->y1, s->pass & 1);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    int passes = argc > 2 ? atoi(argv[2]) : 6;
    if (threads < 1 || threads > MAX_THREADS)
        threads = 4;
    if (passes < 1)
        passes = 6;
    uint32_t r = 12345;
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            r = r * 1103515245u + 12345u;
            img[0][y * W + x] = (uint8_t)(((x ^ y) & 0x80) + ((r >> 16) & 0x3f) + (x >> 3));
        }
    struct stripe stripes[MAX_THREADS];
    wg_thread *t[MAX_THREADS];
    for (int pass = 0; pass < passes; pass++) {
        for (int i = 0; i < threads; i++) {
            stripes[i] = (struct stripe){(uint32_t)((uint64_t)H * i / threads),
                                         (uint32_t)((uint64_t)H * (i + 1) / threads), pass};
            if (wg_thread_create(&t[i], 0, work, &stripes[i]))
                return printf("spawn failed\n"), 1;
        }
        for (int i = 0; i < threads; i++)
            wg_thread_join(t[i]);
    }
    const uint8_t *out = img[passes & 1];
    printf("simd_filter %dx%d, %d passes: hash %016llx\n", W, H, passes,
           (unsigned long long)filter_hash(out, sizeof img[0]));
    printf("pixels %u %u %u %u\n", out[0], out[W + 1], out[(H / 2) * W + W / 2],
           out[(H - 2) * W + W - 2]);
    return 0;
}

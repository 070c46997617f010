/*
 * simd_threads.c -- `simd_threads [THREADS]`: wasm SIMD (built with
 * -msimd128, wasm_simd128.h) in several threads at once over one shared
 * memory.  Each thread runs a slice of two arrays through v128 loads, an
 * out-of-line function taking and returning v128 values (i32x4 mul/add/shift,
 * min, a bit select on a compare), v128 stores to its part of a shared
 * output, and i64x2/i32x4 reductions; the main thread then checks every
 * output element and the reductions against plain scalar code.
 * `simd_threads oob`: a spawned thread's v128.load straddles the end of
 * memory, which must trap the whole group.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasm_simd128.h>

#include "weft_guest.h"

#define N (1u << 20)
#define MAX_THREADS 16

static int32_t a[N], b[N], out[N];

struct slice {
    uint32_t begin, end;
    int64_t sum;
    int32_t max;
};

/* v128 in and out across a call (not inlined): the engine's frames carry
 * them in two slots each. */
__attribute__((noinline)) static v128_t mix(v128_t x, v128_t y, int32_t k)
{
    v128_t p = wasm_i32x4_add(wasm_i32x4_mul(x, wasm_i32x4_splat(3)), wasm_i32x4_shr(y, 1));
    v128_t m = wasm_i32x4_min(x, y);
    v128_t big = wasm_i32x4_gt(p, wasm_i32x4_splat(k));
    return wasm_v128_bitselect(wasm_i32x4_sub(p, m), p, big);
}

static int32_t mix1(int32_t x, int32_t y, int32_t k)
{
    int32_t p = (int32_t)((uint32_t)x * 3u + (uint32_t)(y >> 1));
    int32_t m = x < y ? x : y;
    return p > k ? (int32_t)((uint32_t)p - (uint32_t)m) : p;
}

static void *work(void *arg)
{
    struct slice *s = arg;
    v128_t sum = wasm_i64x2_splat(0), max = wasm_i32x4_splat(INT32_MIN);
    for (uint32_t i = s->begin; i < s->end; i += 4) {
        v128_t p = mix(wasm_v128_load(&a[i]), wasm_v128_load(&b[i]), 1 << 20);
        wasm_v128_store(&out[i], p);
        sum = wasm_i64x2_add(sum, wasm_i64x2_extend_low_i32x4(p));
        sum = wasm_i64x2_add(sum, wasm_i64x2_extend_high_i32x4(p));
        max = wasm_i32x4_max(max, p);
    }
    s->sum = wasm_i64x2_extract_lane(sum, 0) + wasm_i64x2_extract_lane(sum, 1);
    int32_t m = INT32_MIN;
    for (int k = 0; k < 4; k++) {
        int32_t lane = k == 0   ? wasm_i32x4_extract_lane(max, 0)
                       : k == 1 ? wasm_i32x4_extract_lane(max, 1)
                       : k == 2 ? wasm_i32x4_extract_lane(max, 2)
                                : wasm_i32x4_extract_lane(max, 3);
        m = lane > m ? lane : m;
    }
    s->max = m;
    return s;
}

static void *straddle(void *arg)
{
    (void)arg;
    uintptr_t end = __builtin_wasm_memory_size(0) * 65536u;
    /* volatile: all 16 bytes are read by one v128.load (clang would narrow
     * a load whose lanes are not all used). */
    v128_t v = *(volatile v128_t *)(end - 8);
    return (void *)(uintptr_t)wasm_i32x4_extract_lane(v, 0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "oob")) {
        printf("simd_threads oob\n");
        fflush(stdout);
        wg_thread *t;
        if (wg_thread_create(&t, 0, straddle, NULL))
            return printf("spawn failed\n"), 1;
        wg_thread_join(t);
        printf("joined\n");
        return 1;
    }
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    if (threads < 1 || threads > MAX_THREADS)
        threads = 4;
    for (uint32_t i = 0; i < N; i++) {
        a[i] = (int32_t)(i * 2654435761u) >> 9;
        b[i] = (int32_t)(i * 40503u + 12345u) >> 3;
    }
    struct slice slices[MAX_THREADS];
    wg_thread *t[MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        slices[i].begin = (uint32_t)((uint64_t)N * i / threads) & ~3u;
        slices[i].end = i + 1 == threads ? N : (uint32_t)((uint64_t)N * (i + 1) / threads) & ~3u;
        if (wg_thread_create(&t[i], 0, work, &slices[i]))
            return printf("spawn failed\n"), 1;
    }
    int64_t sum = 0;
    int32_t max = INT32_MIN;
    for (int i = 0; i < threads; i++) {
        struct slice *s = wg_thread_join(t[i]);
        sum += s->sum;
        max = s->max > max ? s->max : max;
    }
    int64_t want_sum = 0;
    int32_t want_max = INT32_MIN;
    uint32_t bad = 0;
#pragma clang loop vectorize(disable)
    for (uint32_t i = 0; i < N; i++) {
        int32_t v = mix1(a[i], b[i], 1 << 20);
        bad += out[i] != v;
        want_sum += v;
        want_max = v > want_max ? v : want_max;
    }
    int ok = !bad && sum == want_sum && max == want_max;
    printf("simd over %d threads: %s\n", threads, ok ? "ok" : "WRONG");
    if (!ok)
        printf("%u elements differ; sum %lld (want %lld), max %d (want %d)\n", bad,
               (long long)sum, (long long)want_sum, max, want_max);
    return ok ? 0 : 1;
}

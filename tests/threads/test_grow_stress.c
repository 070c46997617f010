/*
 * test_grow_stress.c -- memory.grow on a shared memory while other threads use
 * it (DESIGN.md invariant 1): 4 threads grow the memory a page at a time from
 * wasm until it is at its maximum, while 4 others fill each of their own pages
 * as soon as it exists and read it back.  No write is lost, every grow returns
 * a distinct old size and each thread sees sizes only increase, and the base
 * address never changes (the host reads every page through it at the end).
 * Both bounds modes.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "support/wasm_file.h"
#include "weft.h"

#define NGROWERS 4
#define NWRITERS 4
#define MAX_PAGES 1024u /* as tests/wat/grow_stress.wat declares */
#define PAGE 65536u

typedef struct worker {
    weft_instance *inst;
    weft_memory *memory;
    const uint8_t *base;
    int32_t w;
    weft_status st;
    char msg[320];
    /* growers */
    uint32_t nold, old[MAX_PAGES]; /* old sizes their grows returned, in order */
    int32_t bad_grow;              /* -2 results: sizes around a grow not monotonic */
    uint32_t base_moved;
    /* writers */
    int32_t bad;                   /* lost words + shrinking sizes seen */
} worker;

/* Workers record; only the main thread asserts (cmocka is not thread-safe). */
static void *grower(void *arg)
{
    worker *g = arg;
    weft_func *grow1 = test_find_func(g->inst, "grow1");
    weft_error err;
    for (;;) {
        weft_val r = {.kind = WEFT_I32};
        g->st = grow1 ? weft_call(grow1, NULL, 0, &r, 1, &err) : WEFT_UNSUPPORTED;
        if (g->st != WEFT_OK) {
            snprintf(g->msg, sizeof g->msg, "grow1: %s", grow1 ? err.message : "no export");
            break;
        }
        if (weft_memory_data(g->memory) != g->base)
            g->base_moved++;
        if (r.of.i32 == -1)
            break;
        if (r.of.i32 == -2)
            g->bad_grow++;
        else if (g->nold < MAX_PAGES)
            g->old[g->nold++] = (uint32_t)r.of.i32;
    }
    return NULL;
}

static void *writer(void *arg)
{
    worker *w = arg;
    weft_func *f = test_find_func(w->inst, "writer");
    weft_error err;
    weft_val args[3] = {{.kind = WEFT_I32, .of.i32 = w->w},
                        {.kind = WEFT_I32, .of.i32 = NWRITERS},
                        {.kind = WEFT_I32, .of.i32 = (int32_t)MAX_PAGES}};
    weft_val r = {.kind = WEFT_I32};
    w->st = f ? weft_call(f, args, 3, &r, 1, &err) : WEFT_UNSUPPORTED;
    if (w->st != WEFT_OK)
        snprintf(w->msg, sizeof w->msg, "writer: %s", f ? err.message : "no export");
    w->bad = r.of.i32;
    return NULL;
}

/* The word the wasm writer of page p puts at byte address a ($pattern). */
static uint32_t pattern(uint32_t w, uint32_t p, uint32_t a)
{
    return ((a + 1) * 0x9E3779B1u) ^ ((p << 8) + w);
}

static void stress(weft_bounds_mode bounds)
{
    weft_error err;
    weft_engine *engine = test_engine_new(bounds);
    weft_module *module = test_module_load(engine, "grow_stress");
    weft_limits lim = {.min = 1, .max = MAX_PAGES, .has_max = true, .shared = true};
    weft_memory *memory;
    assert_int_equal(weft_memory_new(engine, &lim, &memory, &err), WEFT_OK);
    const uint8_t *base = weft_memory_data(memory);

    enum { N = NGROWERS + NWRITERS };
    static worker ws[N]; /* large: off the stack */
    pthread_t th[N];
    weft_extern imp = {.kind = WEFT_EXTERN_MEMORY, .of.memory = memory};
    for (int i = 0; i < N; i++) {
        memset(&ws[i], 0, sizeof ws[i]);
        ws[i].memory = memory;
        ws[i].base = base;
        ws[i].w = i - NGROWERS;
        assert_int_equal(weft_instance_new(module, &imp, 1, &ws[i].inst, &err), WEFT_OK);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* Writers first, so that they are already waiting for pages. */
    for (int i = N - 1; i >= 0; i--)
        assert_int_equal(pthread_create(&th[i], NULL, i < NGROWERS ? grower : writer, &ws[i]), 0);
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("%d growers to %u pages, %d writers (%s bounds): %.2f s\n", NGROWERS, MAX_PAGES,
                  NWRITERS, bounds == WEFT_BOUNDS_GUARD ? "guard" : "software",
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);

    for (int i = 0; i < N; i++)
        if (ws[i].st != WEFT_OK)
            fail_msg("thread %d: status %d: %s", i, (int)ws[i].st, ws[i].msg);
    /* Every page from 1 to the maximum was added by exactly one grow. */
    uint8_t seen[MAX_PAGES] = {0};
    for (int i = 0; i < NGROWERS; i++) {
        const worker *g = &ws[i];
        assert_int_equal(g->bad_grow, 0);
        assert_int_equal(g->base_moved, 0);
        for (uint32_t k = 0; k < g->nold; k++) {
            assert_true(g->old[k] >= 1 && g->old[k] < MAX_PAGES);
            if (k)
                assert_true(g->old[k] > g->old[k - 1]); /* sizes only increase */
            assert_int_equal(seen[g->old[k]]++, 0);
        }
    }
    for (uint32_t p = 1; p < MAX_PAGES; p++)
        if (!seen[p])
            fail_msg("no grow returned old size %u", p);
    assert_int_equal(weft_memory_size(memory), (uint64_t)MAX_PAGES * PAGE);
    assert_ptr_equal(weft_memory_data(memory), base);
    for (int i = NGROWERS; i < N; i++)
        if (ws[i].bad)
            fail_msg("writer %d: %d lost words or shrinking sizes", ws[i].w, (int)ws[i].bad);
    /* And the host sees every word through the unchanged base. */
    for (uint32_t p = 0; p < MAX_PAGES; p++)
        for (uint32_t a = p * PAGE; a < (p + 1) * PAGE; a += 64) {
            uint32_t v;
            memcpy(&v, base + a, 4);
            if (v != pattern(p % NWRITERS, p, a))
                fail_msg("page %u, byte %u: 0x%08x, expected 0x%08x", p, a, v,
                         pattern(p % NWRITERS, p, a));
        }

    for (int i = 0; i < N; i++)
        weft_instance_free(ws[i].inst);
    weft_memory_free(memory);
    weft_module_free(module);
    weft_engine_free(engine);
}

static void test_grow_stress_guard(void **state)
{
    (void)state;
    stress(WEFT_BOUNDS_GUARD);
}

static void test_grow_stress_software(void **state)
{
    (void)state;
    stress(WEFT_BOUNDS_SOFTWARE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_stress_guard),
        cmocka_unit_test(test_grow_stress_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_memory.c -- linear memory: a fixed base across growth, the maximum,
 * serialised concurrent grows, the software-bounds reservation, and the limits
 * weft_memory_new accepts.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "engine/memory.h"
#include "support/wasm_file.h"

static weft_memory *memory_with(weft_engine *e, uint64_t min, bool has_max, uint64_t max)
{
    weft_limits l = { .min = min, .max = max, .has_max = has_max, .shared = false };
    weft_memory *m = NULL;
    weft_error err;
    assert_int_equal(weft_memory_new(e, &l, &m, &err), WEFT_OK);
    assert_non_null(m);
    return m;
}

static void test_grow_page_by_page_keeps_base(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    const uint64_t max = 64;
    weft_memory *m = memory_with(e, 1, true, max);
    uint8_t *base = weft_memory_data(m);
    assert_non_null(base);
    assert_int_equal(weft_memory_size(m), WASM_PAGE_SIZE);

    for (uint64_t p = 1; p < max; p++) {
        uint64_t old = 0;
        weft_error err;
        assert_int_equal(weft_memory_grow(m, 1, &old, &err), WEFT_OK);
        assert_int_equal(old, p);
        assert_ptr_equal(weft_memory_data(m), base);
        assert_int_equal(weft_memory_size(m), (p + 1) * WASM_PAGE_SIZE);
    }
    /* Every page, old and new, holds what was written to it: first and last
     * byte of each, with a value that differs per page. */
    for (uint64_t p = 0; p < max; p++) {
        base[p * WASM_PAGE_SIZE] = (uint8_t)(p + 1);
        base[p * WASM_PAGE_SIZE + WASM_PAGE_SIZE - 1] = (uint8_t)(p + 2);
    }
    for (uint64_t p = 0; p < max; p++) {
        assert_int_equal(base[p * WASM_PAGE_SIZE], (uint8_t)(p + 1));
        assert_int_equal(base[p * WASM_PAGE_SIZE + WASM_PAGE_SIZE - 1], (uint8_t)(p + 2));
    }
    /* Fresh pages read as zero (the byte in the middle was never written). */
    assert_int_equal(base[(max - 1) * WASM_PAGE_SIZE + 100], 0);

    weft_limits l;
    weft_memory_limits(m, &l);
    assert_int_equal(l.min, max);
    assert_true(l.has_max);
    assert_int_equal(l.max, max);
    weft_memory_free(m);
    weft_engine_free(e);
}

static void test_grow_past_max_changes_nothing(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_memory *m = memory_with(e, 2, true, 5);
    uint8_t *base = weft_memory_data(m);
    base[0] = 0xAB;

    assert_int_equal(mem_grow(m, 4), -1); /* 2 + 4 > 5 */
    assert_int_equal(mem_size(m), 2 * WASM_PAGE_SIZE);
    uint64_t old = 12345;
    weft_error err;
    assert_int_equal(weft_memory_grow(m, 4, &old, &err), WEFT_NOMEM);
    assert_int_equal(old, 12345);
    assert_int_equal(weft_memory_size(m), 2 * WASM_PAGE_SIZE);
    /* Huge deltas must not wrap around the check. */
    assert_int_equal(mem_grow(m, UINT64_MAX), -1);
    assert_int_equal(mem_grow(m, UINT64_MAX - 1), -1);

    /* Exactly to the maximum works, and then nothing more. */
    assert_int_equal(mem_grow(m, 3), 2);
    assert_int_equal(mem_size(m), 5 * WASM_PAGE_SIZE);
    assert_int_equal(mem_grow(m, 1), -1);
    assert_int_equal(mem_size(m), 5 * WASM_PAGE_SIZE);
    /* delta 0 is memory.size, also at the maximum. */
    assert_int_equal(mem_grow(m, 0), 5);
    assert_ptr_equal(weft_memory_data(m), base);
    assert_int_equal(base[0], 0xAB);
    base[5 * WASM_PAGE_SIZE - 1] = 1;
    weft_memory_free(m);
    weft_engine_free(e);
}

static void test_size_after_grows(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_memory *m = memory_with(e, 0, false, 0);
    assert_int_equal(mem_size(m), 0);
    assert_int_equal(mem_grow(m, 0), 0);
    assert_int_equal(mem_grow(m, 3), 0);
    assert_int_equal(mem_grow(m, 0), 3);
    assert_int_equal(mem_grow(m, 7), 3);
    assert_int_equal(mem_size(m), 10 * WASM_PAGE_SIZE);
    assert_true(mem_in_bounds(m, 10 * WASM_PAGE_SIZE - 4, 4));
    assert_false(mem_in_bounds(m, 10 * WASM_PAGE_SIZE - 3, 4));
    assert_false(mem_in_bounds(m, UINT64_MAX, 2));

    /* Without a declared maximum the limit is 4 GiB: reach it exactly (the
     * pages are address space only until touched) and no further. */
    assert_int_equal(mem_grow(m, WASM_MAX_PAGES - 10), 10);
    assert_int_equal(mem_size(m), (uint64_t)WASM_MAX_PAGES * WASM_PAGE_SIZE);
    assert_int_equal(mem_grow(m, 1), -1);
    uint8_t *base = weft_memory_data(m);
    base[(uint64_t)WASM_MAX_PAGES * WASM_PAGE_SIZE - 1] = 7;
    assert_int_equal(base[(uint64_t)WASM_MAX_PAGES * WASM_PAGE_SIZE - 1], 7);

    weft_limits l;
    weft_memory_limits(m, &l);
    assert_int_equal(l.min, WASM_MAX_PAGES);
    assert_false(l.has_max);
    weft_memory_free(m);
    weft_engine_free(e);
}

static void test_guard_reservation(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_memory *m = memory_with(e, 1, true, 1);
    /* 4 GiB + a guard for any u32 offset and a 16-byte access, regardless
     * of the declared maximum. */
    assert_false(m->software_bounds);
    assert_true(m->reserved >= ((uint64_t)8 << 30) + 16);
    assert_int_equal(m->reserved % (size_t)sysconf(_SC_PAGESIZE), 0);
    assert_null(m->lot);
    weft_memory_free(m);
    weft_engine_free(e);
}

static void test_software_reservation(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_SOFTWARE);
    weft_memory *m = memory_with(e, 1, true, 4);
    assert_true(m->software_bounds);
    assert_int_equal(m->reserved, 4 * WASM_PAGE_SIZE);
    uint8_t *base = weft_memory_data(m);
    assert_int_equal(mem_grow(m, 3), 1);
    assert_ptr_equal(weft_memory_data(m), base);
    base[4 * WASM_PAGE_SIZE - 1] = 9;
    assert_int_equal(base[4 * WASM_PAGE_SIZE - 1], 9);
    assert_int_equal(mem_grow(m, 1), -1);
    weft_memory_free(m);

    /* Maximum 0: still one page of address, so the base is a real pointer
     * that no other memory shares. */
    weft_memory *z1 = memory_with(e, 0, true, 0);
    weft_memory *z2 = memory_with(e, 0, true, 0);
    assert_non_null(weft_memory_data(z1));
    assert_true(z1->reserved >= 1);
    assert_int_equal(z1->reserved, (size_t)sysconf(_SC_PAGESIZE));
    assert_ptr_not_equal(weft_memory_data(z1), weft_memory_data(z2));
    assert_int_equal(mem_grow(z1, 1), -1);
    assert_int_equal(mem_grow(z1, 0), 0);
    weft_memory_free(z1);
    weft_memory_free(z2);
    weft_engine_free(e);
}

/* ---- concurrent grows ---------------------------------------------------- */

#define GROW_THREADS 4
#define GROWS_EACH 200

struct grower {
    weft_memory *m;
    pthread_barrier_t *start;
    int64_t olds[GROWS_EACH];
    uint64_t delta;
};

static void *grow_worker(void *arg)
{
    struct grower *g = arg;
    pthread_barrier_wait(g->start);
    for (int i = 0; i < GROWS_EACH; i++)
        g->olds[i] = mem_grow(g->m, g->delta);
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_concurrent_grows(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_memory *m = memory_with(e, 3, false, 0);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, GROW_THREADS);
    static struct grower g[GROW_THREADS];
    pthread_t t[GROW_THREADS];
    uint64_t total = 0;
    for (int i = 0; i < GROW_THREADS; i++) {
        g[i].m = m;
        g[i].start = &start;
        g[i].delta = (uint64_t)i + 1; /* different deltas: sizes cannot coincide by luck */
        total += g[i].delta * GROWS_EACH;
        assert_int_equal(pthread_create(&t[i], NULL, grow_worker, &g[i]), 0);
    }
    for (int i = 0; i < GROW_THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);

    assert_int_equal(mem_size(m), (3 + total) * WASM_PAGE_SIZE);

    /* Each grow saw a distinct old size, and replaying them in order of the
     * old size accounts for every page: grow k started where grow k-1 ended. */
    static int64_t all[GROW_THREADS * GROWS_EACH];
    static uint64_t delta_of_old[70000];
    memset(delta_of_old, 0, sizeof delta_of_old);
    size_t n = 0;
    for (int i = 0; i < GROW_THREADS; i++)
        for (int k = 0; k < GROWS_EACH; k++) {
            assert_true(g[i].olds[k] >= 3);
            all[n++] = g[i].olds[k];
            assert_int_equal(delta_of_old[g[i].olds[k]], 0);
            delta_of_old[g[i].olds[k]] = g[i].delta;
        }
    qsort(all, n, sizeof all[0], cmp_i64);
    int64_t expect = 3;
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(all[k], expect);
        expect += (int64_t)delta_of_old[all[k]];
    }
    assert_int_equal(expect, 3 + (int64_t)total);

    /* Every page is usable. */
    uint8_t *base = weft_memory_data(m);
    for (uint64_t p = 0; p < 3 + total; p++)
        base[p * WASM_PAGE_SIZE + p % WASM_PAGE_SIZE] = 1;
    weft_memory_free(m);
    weft_engine_free(e);
}

/* ---- limits ------------------------------------------------------------- */

static weft_status try_limits(weft_engine *e, uint64_t min, bool has_max, uint64_t max,
                              bool shared, weft_error *err)
{
    weft_limits l = { .min = min, .max = max, .has_max = has_max, .shared = shared };
    weft_memory *m = NULL;
    weft_status st = weft_memory_new(e, &l, &m, err);
    if (st == WEFT_OK) {
        assert_non_null(m);
        assert_int_equal(weft_memory_size(m), min * WASM_PAGE_SIZE);
        weft_memory_limits(m, &l);
        assert_int_equal(l.shared, shared);
        weft_memory_free(m);
    } else {
        assert_null(m);
    }
    return st;
}

static void test_memory_new_limits(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_error err;

    assert_int_equal(try_limits(e, 3, true, 2, false, &err), WEFT_INVALID);
    assert_int_equal(err.code, WEFT_E_MIN_OVER_MAX);
    assert_string_equal(err.message, "size minimum must not be greater than maximum");

    assert_int_equal(try_limits(e, 65537, false, 0, false, &err), WEFT_INVALID);
    assert_int_equal(err.code, WEFT_E_MEMORY_TOO_LARGE);
    assert_int_equal(try_limits(e, 0, true, 65537, false, &err), WEFT_INVALID);
    assert_int_equal(err.code, WEFT_E_MEMORY_TOO_LARGE);
    assert_int_equal(try_limits(e, UINT64_MAX, true, UINT64_MAX, false, &err), WEFT_INVALID);
    assert_int_equal(err.code, WEFT_E_MEMORY_TOO_LARGE);

    assert_int_equal(try_limits(e, 1, false, 0, true, &err), WEFT_INVALID);
    assert_int_equal(err.code, WEFT_E_SHARED_NEEDS_MAX);
    assert_string_equal(err.message, "shared memory must have maximum");

    assert_int_equal(try_limits(e, 1, true, 1, true, &err), WEFT_OK);
    assert_int_equal(try_limits(e, 0, true, 65536, false, &err), WEFT_OK);
    assert_int_equal(try_limits(e, 2, true, 2, false, &err), WEFT_OK);

    weft_limits l = { .min = 1 };
    weft_memory *m = NULL;
    assert_int_equal(weft_memory_new(NULL, &l, &m, &err), WEFT_BAD_ARGUMENT);
    assert_int_equal(weft_memory_new(e, NULL, &m, &err), WEFT_BAD_ARGUMENT);
    assert_null(m);
    weft_engine_free(e);
}

static void test_refcount(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_memory *m = memory_with(e, 1, false, 0);
    mem_retain(m);
    assert_int_equal(atomic_load(&m->refs), 2);
    weft_memory_free(m); /* the caller's reference; ours keeps it alive */
    assert_int_equal(atomic_load(&m->refs), 1);
    weft_memory_data(m)[10] = 3;
    assert_int_equal(mem_grow(m, 1), 1);
    mem_release(m);
    weft_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_page_by_page_keeps_base),
        cmocka_unit_test(test_grow_past_max_changes_nothing),
        cmocka_unit_test(test_size_after_grows),
        cmocka_unit_test(test_guard_reservation),
        cmocka_unit_test(test_software_reservation),
        cmocka_unit_test(test_concurrent_grows),
        cmocka_unit_test(test_memory_new_limits),
        cmocka_unit_test(test_refcount),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_atomic_stress.c -- the 0xFE read-modify-writes are real atomics
 * (DESIGN.md invariant 5): 8 host threads, each with its own instance of
 * tests/wat/atomic_stress.wat importing one shared memory, run N iterations of
 * every kind of RMW at every width at once, and the totals come out exact:
 * add/sub counters, or/and and xor on bits only one thread owns (a lost update
 * shows in the old values the thread gets back), xchg by conservation of the
 * values put in, and compare-exchange increment loops.  The bytes around each
 * narrow counter must stay untouched.  Both bounds modes.
 * The last kind races plain loads, stores, memory.fill and memory.copy on
 * purpose: a TSan build must not report them (engine/guest_access.h), and
 * TSan's exit status fails the test if it does.  Last, memory.atomic.wait32/64
 * and notify from wasm: a parked waiter wakes with 0, not-equal is 1, timeout 2.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "engine/guest_access.h" /* WEFT_TSAN */
#include "support/wasm_file.h"
#include "weft.h"

#define NTHREADS 8
/* Iterations per thread and kind.  TSan makes every atomic a runtime call
 * (and the interpreter ~10x slower), so its builds run a tenth. */
#if WEFT_TSAN
#define NITER 10000u
#else
#define NITER 100000u
#endif
#define SENTINEL 0xA5

static const char *const kinds[] = {"add", "sub", "andor", "xor", "xchg", "cmpxchg", "loadstore", "racy"};
#define NKINDS (sizeof kinds / sizeof kinds[0])

typedef struct worker {
    weft_instance *inst;
    pthread_barrier_t *barrier;
    int32_t t;
    weft_status st[NKINDS];
    int32_t bad[NKINDS]; /* lost updates seen, for the kinds that return them */
    char msg[320];
} worker;

/* Worker threads never call cmocka (its failures longjmp): they record. */
static void *run_worker(void *arg)
{
    worker *w = arg;
    for (size_t k = 0; k < NKINDS; k++) {
        weft_extern ext;
        weft_error err;
        pthread_barrier_wait(w->barrier); /* every thread on the same kind at once */
        if (!weft_instance_export(w->inst, kinds[k], strlen(kinds[k]), &ext)) {
            w->st[k] = WEFT_UNSUPPORTED;
            continue;
        }
        weft_functype ft;
        weft_func_type(ext.of.func, &ft);
        weft_val args[2] = {{.kind = WEFT_I32, .of.i32 = w->t}, {.kind = WEFT_I32, .of.i32 = (int32_t)NITER}};
        weft_val res = {.kind = WEFT_I32};
        w->st[k] = weft_call(ext.of.func, args, 2, &res, ft.nresults, &err);
        if (w->st[k] != WEFT_OK)
            snprintf(w->msg, sizeof w->msg, "%s: %s", kinds[k], err.message);
        w->bad[k] = ft.nresults ? res.of.i32 : 0;
    }
    return NULL;
}

static uint64_t load_le(const uint8_t *p, unsigned width)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint64_t mask_of(unsigned width) { return width == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * width)) - 1; }

typedef struct slot {
    uint32_t addr;
    unsigned width;
} slot;

/* Counters with a final value known in advance. */
typedef struct counter {
    slot s;
    uint64_t expect; /* before masking to the width */
} counter;

static void check_sentinels(const uint8_t *mem, slot s)
{
    for (unsigned i = s.width; i < 8; i++)
        if (mem[s.addr + i] != SENTINEL)
            fail_msg("byte %u next to the %u-byte counter at %u changed to 0x%02x", s.addr + i,
                     s.width, s.addr, mem[s.addr + i]);
}

static void stress(weft_bounds_mode bounds)
{
    const uint64_t n = NITER, T = NTHREADS;
    weft_error err;
    weft_engine *engine = test_engine_new(bounds);
    weft_module *module = test_module_load(engine, "atomic_stress");
    weft_limits lim = {.min = 1, .max = 1, .has_max = true, .shared = true};
    weft_memory *memory;
    assert_int_equal(weft_memory_new(engine, &lim, &memory, &err), WEFT_OK);
    uint8_t *mem = weft_memory_data(memory);

    static const counter counters[] = {
        /* add */
        {{0, 8}, 8 * NITER}, {{8, 4}, 36 * (uint64_t)NITER}, {{16, 1}, 8 * NITER},
        {{24, 2}, 8 * NITER}, {{32, 4}, 24 * (uint64_t)NITER}, {{248, 2}, 8 * NITER},
        {{256, 1}, 8 * NITER},
        /* sub */
        {{40, 4}, -(uint64_t)(8 * NITER)}, {{48, 8}, -(uint64_t)(36 * (uint64_t)NITER)},
        {{56, 1}, -(uint64_t)(8 * NITER)}, {{64, 2}, -(uint64_t)(8 * NITER)},
        {{264, 1}, -(uint64_t)(8 * NITER)}, {{272, 2}, -(uint64_t)(8 * NITER)},
        {{280, 4}, -(uint64_t)(8 * NITER)},
        /* and/or: every bit set is cleared again; xor: an even number of toggles */
        {{72, 4}, 0}, {{80, 8}, 0}, {{88, 1}, 0}, {{96, 2}, 0}, {{104, 4}, 0}, {{288, 2}, 0},
        {{296, 1}, 0}, {{112, 4}, 0}, {{120, 8}, 0}, {{128, 1}, 0}, {{136, 2}, 0},
        {{144, 4}, 0}, {{304, 2}, 0}, {{312, 1}, 0},
        /* compare-exchange increments */
        {{192, 4}, 8 * NITER}, {{200, 8}, 8 * NITER}, {{208, 1}, 8 * NITER},
        {{216, 2}, 8 * NITER}, {{224, 1}, 8 * NITER}, {{232, 2}, 8 * NITER},
        {{240, 4}, 8 * NITER},
    };
    static const slot xchgs[] = {{152, 8}, {160, 4}, {168, 1}, {176, 2}, {184, 4}, {320, 2}, {328, 1}};
    _Static_assert(NITER % 2 == 0, "xor expects an even number of toggles");

    memset(mem, SENTINEL, 336);
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        memset(mem + counters[i].s.addr, 0, counters[i].s.width);
    for (size_t i = 0; i < sizeof xchgs / sizeof xchgs[0]; i++)
        memset(mem + xchgs[i].addr, 0, xchgs[i].width);

    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    worker w[NTHREADS];
    pthread_t th[NTHREADS];
    weft_extern imp = {.kind = WEFT_EXTERN_MEMORY, .of.memory = memory};
    for (int t = 0; t < NTHREADS; t++) {
        memset(&w[t], 0, sizeof w[t]);
        w[t].t = t;
        w[t].barrier = &barrier;
        assert_int_equal(weft_instance_new(module, &imp, 1, &w[t].inst, &err), WEFT_OK);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int t = 0; t < NTHREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, run_worker, &w[t]), 0);
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("%d threads x %u iterations x %zu kinds (%s bounds): %.2f s\n", NTHREADS, NITER,
                  NKINDS, bounds == WEFT_BOUNDS_GUARD ? "guard" : "software",
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    pthread_barrier_destroy(&barrier);

    for (int t = 0; t < NTHREADS; t++)
        for (size_t k = 0; k < NKINDS; k++) {
            if (w[t].st[k] != WEFT_OK)
                fail_msg("thread %d, %s: status %d: %s", t, kinds[k], (int)w[t].st[k], w[t].msg);
            if (w[t].bad[k])
                fail_msg("thread %d, %s: %d lost updates seen", t, kinds[k], (int)w[t].bad[k]);
        }
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
        const counter *ct = &counters[i];
        uint64_t got = load_le(mem + ct->s.addr, ct->s.width);
        uint64_t want = ct->expect & mask_of(ct->s.width);
        if (got != want)
            fail_msg("counter at %u (%u bytes): 0x%llx, expected 0x%llx", ct->s.addr,
                     ct->s.width, (unsigned long long)got, (unsigned long long)want);
        check_sentinels(mem, ct->s);
    }
    /* xchg: what every thread got back plus what is left = all that was put in. */
    for (size_t i = 0; i < sizeof xchgs / sizeof xchgs[0]; i++) {
        uint64_t m = mask_of(xchgs[i].width), put = 0, got = load_le(mem + xchgs[i].addr, xchgs[i].width);
        for (uint64_t t = 0; t < T; t++)
            for (uint64_t k = 0; k < n; k++)
                put += (t * 0x100000007ull + k) & m;
        for (int t = 0; t < NTHREADS; t++) {
            uint64_t s;
            memcpy(&s, mem + 1024 + t * 64 + i * 8, 8);
            got += s;
        }
        if (got != put)
            fail_msg("xchg at %u (%u bytes): %llu came out, %llu went in", xchgs[i].addr,
                     xchgs[i].width, (unsigned long long)got, (unsigned long long)put);
        check_sentinels(mem, xchgs[i]);
    }

    for (int t = 0; t < NTHREADS; t++)
        weft_instance_free(w[t].inst);
    weft_memory_free(memory);
    weft_module_free(module);
    weft_engine_free(engine);
}

static void test_atomic_stress_guard(void **state)
{
    (void)state;
    stress(WEFT_BOUNDS_GUARD);
}

static void test_atomic_stress_software(void **state)
{
    (void)state;
    stress(WEFT_BOUNDS_SOFTWARE);
}

/* ---- memory.atomic.wait / notify from wasm ------------------------------------ */

typedef struct waiter {
    weft_func *wait;
    int32_t addr;
    int64_t expected;
    bool wide;
    weft_status st;
    int32_t result;
} waiter;

static void *run_waiter(void *arg)
{
    waiter *w = arg;
    weft_error err;
    weft_val args[3] = {{.kind = WEFT_I32, .of.i32 = w->addr},
                        w->wide ? (weft_val){.kind = WEFT_I64, .of.i64 = w->expected}
                                : (weft_val){.kind = WEFT_I32, .of.i32 = (int32_t)w->expected},
                        {.kind = WEFT_I64, .of.i64 = -1}};
    weft_val r = {.kind = WEFT_I32};
    w->st = weft_call(w->wait, args, 3, &r, 1, &err);
    w->result = r.of.i32;
    return NULL;
}

static int32_t call3(weft_func *f, weft_val a, weft_val b, weft_val c, weft_error *err)
{
    weft_val args[3] = {a, b, c};
    weft_val r = {.kind = WEFT_I32};
    assert_int_equal(weft_call(f, args, 3, &r, 1, err), WEFT_OK);
    return r.of.i32;
}

/* A wasm thread parked in wait32/wait64 (no timeout) wakes with 0 when another
 * instance notifies; a different value returns 1 and a short timeout 2. */
static void wait_notify(weft_bounds_mode bounds)
{
    weft_error err;
    weft_engine *engine = test_engine_new(bounds);
    weft_module *module = test_module_load(engine, "atomic_stress");
    weft_limits lim = {.min = 1, .max = 1, .has_max = true, .shared = true};
    weft_memory *memory;
    assert_int_equal(weft_memory_new(engine, &lim, &memory, &err), WEFT_OK);
    weft_extern imp = {.kind = WEFT_EXTERN_MEMORY, .of.memory = memory};
    weft_instance *a, *b;
    assert_int_equal(weft_instance_new(module, &imp, 1, &a, &err), WEFT_OK);
    assert_int_equal(weft_instance_new(module, &imp, 1, &b, &err), WEFT_OK);
    weft_func *notify = test_export_func(b, "notify");
    weft_val addr = {.kind = WEFT_I32, .of.i32 = 4096};
    weft_val ms = {.kind = WEFT_I64, .of.i64 = 1000000};

    assert_int_equal(call3(test_export_func(b, "wait32"), addr, (weft_val){.kind = WEFT_I32, .of.i32 = 7}, ms, &err), 1);
    assert_int_equal(call3(test_export_func(b, "wait32"), addr, (weft_val){.kind = WEFT_I32, .of.i32 = 0}, ms, &err), 2);
    assert_int_equal(call3(test_export_func(b, "wait64"), addr, (weft_val){.kind = WEFT_I64, .of.i64 = 0}, ms, &err), 2);

    for (int wide = 0; wide < 2; wide++) {
        waiter w = {.wait = test_export_func(a, wide ? "wait64" : "wait32"), .addr = 4096, .wide = wide};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, run_waiter, &w), 0);
        /* notify says how many it woke: retry until the waiter had parked. */
        int32_t woken = 0;
        weft_val nargs[2] = {{.kind = WEFT_I32, .of.i32 = 4096 + (wide ? 8 : 0)},
                             {.kind = WEFT_I32, .of.i32 = 1}};
        for (int tries = 0; tries < 10000 && !woken; tries++) {
            weft_val r = {.kind = WEFT_I32};
            assert_int_equal(weft_call(notify, nargs, 2, &r, 1, &err), WEFT_OK);
            woken = r.of.i32;
            if (!woken)
                nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
        }
        pthread_join(th, NULL);
        assert_int_equal(woken, 1);
        assert_int_equal(w.st, WEFT_OK);
        assert_int_equal(w.result, 0);
    }

    weft_instance_free(a);
    weft_instance_free(b);
    weft_memory_free(memory);
    weft_module_free(module);
    weft_engine_free(engine);
}

static void test_wait_notify_guard(void **state)
{
    (void)state;
    wait_notify(WEFT_BOUNDS_GUARD);
}

static void test_wait_notify_software(void **state)
{
    (void)state;
    wait_notify(WEFT_BOUNDS_SOFTWARE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atomic_stress_guard),
        cmocka_unit_test(test_atomic_stress_software),
        cmocka_unit_test(test_wait_notify_guard),
        cmocka_unit_test(test_wait_notify_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_parking_lot.c -- memory.atomic.wait32/64 and notify through the public
 * API (weft_memory_wait32/64, weft_memory_notify, weft_memory_wake_all) and
 * atom_wait for the terminate flag: the trap checks and their order, value
 * mismatch, zero/negative/finite timeouts, wake counts, FIFO order, no
 * spurious wake-ups, wake-all, and the terminate protocol.
 *
 * cmocka's assertions must run on the main thread, so waiter threads only
 * record what happened and the main thread checks it.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "atomics/parking_lot.h"

#define FOREVER (-1)
#define MS (INT64_C(1000000))

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

typedef struct fixture {
    weft_engine *engine;
    weft_memory *shared;
    weft_memory *plain;
} fixture;

static weft_memory *memory_new(weft_engine *e, bool shared)
{
    weft_limits l = {.min = 1, .max = 2, .has_max = true, .shared = shared};
    weft_memory *m = NULL;
    weft_error err;
    assert_int_equal(weft_memory_new(e, &l, &m, &err), WEFT_OK);
    return m;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    weft_error err;
    assert_int_equal(weft_engine_new(NULL, &f->engine, &err), WEFT_OK);
    f->shared = memory_new(f->engine, true);
    f->plain = memory_new(f->engine, false);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    weft_memory_free(f->shared);
    weft_memory_free(f->plain);
    weft_engine_free(f->engine);
    free(f);
    return 0;
}

static void store32(weft_memory *m, uint64_t addr, uint32_t v)
{
    __atomic_store_n((uint32_t *)(weft_memory_data(m) + addr), v, __ATOMIC_SEQ_CST);
}

static void store64(weft_memory *m, uint64_t addr, uint64_t v)
{
    __atomic_store_n((uint64_t *)(weft_memory_data(m) + addr), v, __ATOMIC_SEQ_CST);
}

/* Polls `cond` until it holds or 10 s pass (a loaded machine is slow, not
 * broken); returns whether it held. */
#define EVENTUALLY(cond)                                       \
    ({                                                         \
        int64_t until_ = now_ns() + 10000 * MS;                \
        bool ok_;                                              \
        while (!(ok_ = (cond)) && now_ns() < until_)           \
            sleep_ms(1);                                       \
        ok_;                                                   \
    })

/* ---- waiter threads ----------------------------------------------------- */

typedef struct waiter {
    weft_memory *m;
    uint64_t addr;
    uint64_t expected;
    unsigned width;
    int64_t timeout_ns;
    const _Atomic int *terminate; /* NULL: the public API, no flag */
    int id;
    _Atomic int *order;           /* shared log of wake order, or NULL */
    _Atomic int *order_len;
    pthread_t thread;
    /* results */
    weft_status st;
    weft_error err;
    uint32_t result;
    int64_t elapsed_ns;
    _Atomic bool done;
} waiter;

static void *waiter_main(void *arg)
{
    waiter *w = arg;
    int64_t t0 = now_ns();
    if (w->terminate)
        w->st = atom_wait(w->m, w->addr, w->expected, w->width, w->timeout_ns, w->terminate,
                          &w->result, &w->err);
    else if (w->width == 8)
        w->st = weft_memory_wait64(w->m, w->addr, w->expected, w->timeout_ns, &w->result, &w->err);
    else
        w->st = weft_memory_wait32(w->m, w->addr, (uint32_t)w->expected, w->timeout_ns,
                                   &w->result, &w->err);
    w->elapsed_ns = now_ns() - t0;
    if (w->order)
        atomic_store(&w->order[atomic_fetch_add(w->order_len, 1)], w->id);
    atomic_store(&w->done, true);
    return NULL;
}

static void waiter_start(waiter *w)
{
    atomic_init(&w->done, false);
    if (!w->width)
        w->width = 4;
    assert_int_equal(pthread_create(&w->thread, NULL, waiter_main, w), 0);
}

static void waiter_join(waiter *w) { assert_int_equal(pthread_join(w->thread, NULL), 0); }

static unsigned count_done(waiter *ws, unsigned n)
{
    unsigned d = 0;
    for (unsigned i = 0; i < n; i++)
        d += atomic_load(&ws[i].done);
    return d;
}

/* ---- tests -------------------------------------------------------------- */

static void expect_trap(weft_status st, const weft_error *err, weft_code code)
{
    assert_int_equal(st, WEFT_TRAP);
    assert_int_equal(err->code, code);
    assert_string_equal(err->message, weft_code_text(code));
}

static void test_checks_in_order(void **state)
{
    fixture *f = *state;
    weft_error err;
    uint32_t r = 99;
    uint64_t size = weft_memory_size(f->shared);

    /* Not shared comes first, even for an unaligned, out-of-bounds address. */
    expect_trap(weft_memory_wait32(f->plain, 0, 0, 0, &r, &err), &err, WEFT_E_EXPECTED_SHARED);
    expect_trap(weft_memory_wait64(f->plain, size + 1, 0, 0, &r, &err), &err,
                WEFT_E_EXPECTED_SHARED);
    /* Then alignment, even out of bounds. */
    expect_trap(weft_memory_wait32(f->shared, 2, 0, 0, &r, &err), &err, WEFT_E_UNALIGNED_ATOMIC);
    expect_trap(weft_memory_wait64(f->shared, 4, 0, 0, &r, &err), &err, WEFT_E_UNALIGNED_ATOMIC);
    expect_trap(weft_memory_wait32(f->shared, size + 1, 0, 0, &r, &err), &err,
                WEFT_E_UNALIGNED_ATOMIC);
    /* Then bounds, including the last word and addresses that would wrap. */
    expect_trap(weft_memory_wait32(f->shared, size, 0, 0, &r, &err), &err, WEFT_E_OOB_MEMORY);
    expect_trap(weft_memory_wait64(f->shared, size, 0, 0, &r, &err), &err,
                WEFT_E_OOB_MEMORY);
    expect_trap(weft_memory_wait32(f->shared, UINT64_MAX - 3, 0, 0, &r, &err), &err,
                WEFT_E_OOB_MEMORY);
    store32(f->shared, size - 4, 0);
    assert_int_equal(weft_memory_wait32(f->shared, size - 4, 0, 0, &r, &err), WEFT_OK);
    assert_int_equal(r, ATOM_WAIT_TIMED_OUT);
    store64(f->shared, size - 8, 0);
    assert_int_equal(weft_memory_wait64(f->shared, size - 8, 0, 0, &r, &err), WEFT_OK);
    assert_int_equal(r, ATOM_WAIT_TIMED_OUT);

    /* notify: alignment and bounds; on an unshared memory it wakes nobody. */
    uint32_t woken = 99;
    expect_trap(weft_memory_notify(f->shared, 1, 1, &woken, &err), &err, WEFT_E_UNALIGNED_ATOMIC);
    expect_trap(weft_memory_notify(f->shared, size + 2, 1, &woken, &err), &err,
                WEFT_E_UNALIGNED_ATOMIC);
    expect_trap(weft_memory_notify(f->shared, size, 1, &woken, &err), &err, WEFT_E_OOB_MEMORY);
    expect_trap(weft_memory_notify(f->plain, 2, 1, &woken, &err), &err, WEFT_E_UNALIGNED_ATOMIC);
    expect_trap(weft_memory_notify(f->plain, size, 1, &woken, &err), &err, WEFT_E_OOB_MEMORY);
    assert_int_equal(weft_memory_notify(f->plain, 0, 5, &woken, &err), WEFT_OK);
    assert_int_equal(woken, 0);
    assert_int_equal(weft_memory_notify(f->shared, size - 4, 5, &woken, &err), WEFT_OK);
    assert_int_equal(woken, 0);
}

static void test_value_mismatch(void **state)
{
    fixture *f = *state;
    weft_error err;
    uint32_t r = 99;
    store32(f->shared, 16, 5);
    assert_int_equal(weft_memory_wait32(f->shared, 16, 4, FOREVER, &r, &err), WEFT_OK);
    assert_int_equal(r, ATOM_WAIT_NOT_EQUAL);
    /* wait64 compares all 64 bits: equal low halves are not enough. */
    store64(f->shared, 24, UINT64_C(0x0000000100000007));
    assert_int_equal(weft_memory_wait64(f->shared, 24, 7, FOREVER, &r, &err), WEFT_OK);
    assert_int_equal(r, ATOM_WAIT_NOT_EQUAL);
    /* wait32 reads only its 4 bytes (little-endian low half). */
    assert_int_equal(weft_memory_wait32(f->shared, 24, 7, 0, &r, &err), WEFT_OK);
    assert_int_equal(r, ATOM_WAIT_TIMED_OUT);
    assert_int_equal(weft_memory_wait32(f->shared, 28, 1, 0, &r, &err), WEFT_OK);
    assert_int_equal(r, ATOM_WAIT_TIMED_OUT);
    assert_int_equal(atom_waiter_count(f->shared, 16), 0);
}

static void test_zero_timeout_returns_at_once(void **state)
{
    fixture *f = *state;
    weft_error err;
    uint32_t r = 99;
    store32(f->shared, 32, 0);
    int64_t t0 = now_ns();
    for (int i = 0; i < 1000; i++) {
        r = 99;
        assert_int_equal(weft_memory_wait32(f->shared, 32, 0, 0, &r, &err), WEFT_OK);
        assert_int_equal(r, ATOM_WAIT_TIMED_OUT);
    }
    /* A thousand checks that never park take far less than a second. */
    assert_true(now_ns() - t0 < 1000 * MS);
}

static void test_deadline(void **state)
{
    fixture *f = *state;
    store32(f->shared, 40, 3);
    waiter w = {.m = f->shared, .addr = 40, .expected = 3, .timeout_ns = 50 * MS};
    waiter_start(&w);
    waiter_join(&w);
    assert_int_equal(w.st, WEFT_OK);
    assert_int_equal(w.result, ATOM_WAIT_TIMED_OUT);
    assert_true(w.elapsed_ns >= 50 * MS);
    assert_true(w.elapsed_ns < 2000 * MS); /* loose: the machine is shared */

    /* Also from the calling thread, with wait64. */
    store64(f->shared, 48, 9);
    uint32_t r = 99;
    weft_error err;
    int64_t t0 = now_ns();
    assert_int_equal(weft_memory_wait64(f->shared, 48, 9, 20 * MS, &r, &err), WEFT_OK);
    int64_t dt = now_ns() - t0;
    assert_int_equal(r, ATOM_WAIT_TIMED_OUT);
    assert_true(dt >= 20 * MS && dt < 2000 * MS);
}

static void test_wake_counts(void **state)
{
    fixture *f = *state;
    weft_error err;
    uint32_t woken = 99;
    store32(f->shared, 64, 0);
    store32(f->shared, 68, 0);
    waiter ws[5];
    for (int i = 0; i < 5; i++) {
        /* Four wait forever on 64, one on 68 with the longest deadline there
         * is (~292 years: the clock arithmetic must not overflow). */
        ws[i] = (waiter){.m = f->shared, .addr = i < 4 ? 64 : 68, .expected = 0,
                         .timeout_ns = i < 4 ? FOREVER : INT64_MAX};
        waiter_start(&ws[i]);
    }
    assert_true(EVENTUALLY(atom_waiter_count(f->shared, 64) == 4));
    assert_true(EVENTUALLY(atom_waiter_count(f->shared, 68) == 1));

    assert_int_equal(weft_memory_notify(f->shared, 64, 0, &woken, &err), WEFT_OK);
    assert_int_equal(woken, 0);
    assert_int_equal(weft_memory_notify(f->shared, 64, 3, &woken, &err), WEFT_OK);
    assert_int_equal(woken, 3);
    assert_true(EVENTUALLY(count_done(ws, 4) == 3));
    assert_int_equal(atom_waiter_count(f->shared, 64), 1);
    assert_int_equal(weft_memory_notify(f->shared, 64, 10, &woken, &err), WEFT_OK);
    assert_int_equal(woken, 1);
    assert_int_equal(weft_memory_notify(f->shared, 64, 10, &woken, &err), WEFT_OK);
    assert_int_equal(woken, 0);
    for (int i = 0; i < 4; i++) {
        waiter_join(&ws[i]);
        assert_int_equal(ws[i].st, WEFT_OK);
        assert_int_equal(ws[i].result, ATOM_WAIT_OK);
    }
    /* The waiter on the other address was left alone. */
    assert_false(atomic_load(&ws[4].done));
    assert_int_equal(atom_waiter_count(f->shared, 68), 1);
    assert_int_equal(weft_memory_notify(f->shared, 68, UINT32_MAX, &woken, &err), WEFT_OK);
    assert_int_equal(woken, 1);
    waiter_join(&ws[4]);
    assert_int_equal(ws[4].result, ATOM_WAIT_OK);
}

static void test_fifo_order(void **state)
{
    fixture *f = *state;
    enum { N = 6 };
    weft_error err;
    _Atomic int order[N], len = 0;
    waiter ws[N];
    store64(f->shared, 128, 0); /* wait64 compares the high half too */
    for (int i = 0; i < N; i++) {
        /* Alternate wait32 and wait64 on the same address: one queue. */
        ws[i] = (waiter){.m = f->shared, .addr = 128, .expected = 0, .width = i % 2 ? 8 : 4,
                         .timeout_ns = FOREVER, .id = i, .order = order, .order_len = &len};
        atomic_init(&order[i], -1);
        waiter_start(&ws[i]);
        /* Park them one by one so that the arrival order is known. */
        assert_true(EVENTUALLY(atom_waiter_count(f->shared, 128) == (uint32_t)i + 1));
    }
    for (int i = 0; i < N; i++) {
        uint32_t woken = 0;
        assert_int_equal(weft_memory_notify(f->shared, 128, 1, &woken, &err), WEFT_OK);
        assert_int_equal(woken, 1);
        assert_true(EVENTUALLY(atomic_load(&len) == i + 1));
    }
    for (int i = 0; i < N; i++) {
        waiter_join(&ws[i]);
        assert_int_equal(ws[i].result, ATOM_WAIT_OK);
        assert_int_equal(atomic_load(&order[i]), i);
    }
}

typedef struct storm {
    weft_memory *m;
    uint64_t avoid;
    _Atomic bool stop;
    _Atomic uint64_t notifies;
    _Atomic uint64_t woken;
} storm;

static void *storm_main(void *arg)
{
    storm *s = arg;
    uint64_t n = 0, woken = 0;
    while (!atomic_load(&s->stop)) {
        /* Every other word of the first 4 KiB: many share the waiter's bucket. */
        for (uint64_t a = 0; a < 4096; a += 4) {
            uint32_t w = 0;
            if (a == s->avoid)
                a += 4;
            weft_memory_notify(s->m, a, UINT32_MAX, &w, NULL);
            woken += w;
            n++;
        }
        /* And count-0 notifies on the waiter's own address. */
        uint32_t w = 0;
        weft_memory_notify(s->m, s->avoid, 0, &w, NULL);
        woken += w;
    }
    atomic_store(&s->notifies, n);
    atomic_store(&s->woken, woken);
    return NULL;
}

static void test_no_spurious_wakeup(void **state)
{
    fixture *f = *state;
    weft_error err;
    store32(f->shared, 512, 1);
    storm s = {.m = f->shared, .avoid = 512};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, storm_main, &s), 0);

    /* A finite wait through the storm times out... */
    waiter w = {.m = f->shared, .addr = 512, .expected = 1, .timeout_ns = 150 * MS};
    waiter_start(&w);
    waiter_join(&w);
    assert_int_equal(w.st, WEFT_OK);
    assert_int_equal(w.result, ATOM_WAIT_TIMED_OUT);
    assert_true(w.elapsed_ns >= 150 * MS);

    /* ...and an endless one stays parked until its own notify. */
    waiter w2 = {.m = f->shared, .addr = 512, .expected = 1, .timeout_ns = FOREVER};
    waiter_start(&w2);
    assert_true(EVENTUALLY(atom_waiter_count(f->shared, 512) == 1));
    sleep_ms(100);
    assert_false(atomic_load(&w2.done));
    atomic_store(&s.stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_true(atomic_load(&s.notifies) > 0);
    assert_int_equal(atomic_load(&s.woken), 0);
    uint32_t woken = 0;
    assert_int_equal(weft_memory_notify(f->shared, 512, 1, &woken, &err), WEFT_OK);
    assert_int_equal(woken, 1);
    waiter_join(&w2);
    assert_int_equal(w2.result, ATOM_WAIT_OK);
}

/* Waiters with tiny deadlines race a notifier: a wait returns 0 exactly when
 * a notify counted it, whichever of timeout and notify comes first. */
typedef struct racer {
    weft_memory *m;
    int rounds;
    _Atomic uint64_t *oks;
    _Atomic int *running;
    _Atomic bool bad;
} racer;

static void *racer_main(void *arg)
{
    racer *r = arg;
    uint64_t oks = 0;
    for (int i = 0; i < r->rounds; i++) {
        uint32_t res = 99;
        weft_error err;
        if (weft_memory_wait32(r->m, 1024, 0, 200000 /* 0.2 ms */, &res, &err) != WEFT_OK ||
            (res != ATOM_WAIT_OK && res != ATOM_WAIT_TIMED_OUT))
            atomic_store(&r->bad, true);
        oks += res == ATOM_WAIT_OK;
    }
    atomic_fetch_add(r->oks, oks);
    atomic_fetch_sub(r->running, 1);
    return NULL;
}

static void test_notify_count_matches_wakes(void **state)
{
    fixture *f = *state;
    store32(f->shared, 1024, 0);
    _Atomic uint64_t oks = 0;
    _Atomic int running = 2;
    racer r = {.m = f->shared, .rounds = 300, .oks = &oks, .running = &running};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, racer_main, &r), 0);
    uint64_t woken_total = 0;
    while (atomic_load(&running) > 0) {
        uint32_t w = 0;
        assert_int_equal(weft_memory_notify(f->shared, 1024, 1, &w, NULL), WEFT_OK);
        woken_total += w;
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_false(atomic_load(&r.bad));
    assert_int_equal(woken_total, atomic_load(&oks));
}

static void test_wake_all(void **state)
{
    fixture *f = *state;
    enum { N = 6 };
    /* A memory that never waited has no lot and nobody to wake. */
    assert_int_equal(weft_memory_wake_all(f->plain), 0);
    waiter ws[N];
    for (int i = 0; i < N; i++) {
        uint64_t addr = 2048 + 8 * (uint64_t)i;
        store64(f->shared, addr, 0);
        ws[i] = (waiter){.m = f->shared, .addr = addr, .expected = 0, .width = i == 0 ? 8 : 4,
                         .timeout_ns = i == 1 ? 30000 * MS : FOREVER};
        waiter_start(&ws[i]);
    }
    for (int i = 0; i < N; i++)
        assert_true(EVENTUALLY(atom_waiter_count(f->shared, 2048 + 8 * (uint64_t)i) == 1));
    assert_int_equal(weft_memory_wake_all(f->shared), N);
    for (int i = 0; i < N; i++) {
        waiter_join(&ws[i]);
        assert_int_equal(ws[i].st, WEFT_OK);
        assert_int_equal(ws[i].result, ATOM_WAIT_OK);
        assert_true(ws[i].elapsed_ns < 30000 * MS);
    }
    assert_int_equal(weft_memory_wake_all(f->shared), 0);
}

static void test_terminate(void **state)
{
    fixture *f = *state;
    enum { N = 3 };
    _Atomic int flag = 0;
    waiter ws[N];
    store32(f->shared, 4096, 0);
    for (int i = 0; i < N; i++) {
        ws[i] = (waiter){.m = f->shared, .addr = 4096 + 4 * (uint64_t)(i % 2), .expected = 0,
                         .timeout_ns = FOREVER, .terminate = &flag};
        waiter_start(&ws[i]);
    }
    assert_true(EVENTUALLY(atom_waiter_count(f->shared, 4096) +
                               atom_waiter_count(f->shared, 4100) == N));
    assert_int_equal(count_done(ws, N), 0);
    /* The protocol: flag first, then wake everyone. */
    atomic_store(&flag, 1);
    assert_int_equal(weft_memory_wake_all(f->shared), N);
    for (int i = 0; i < N; i++) {
        waiter_join(&ws[i]);
        expect_trap(ws[i].st, &ws[i].err, WEFT_E_TERMINATED);
    }

    /* With the flag already set, a wait does not park at all. */
    waiter late = {.m = f->shared, .addr = 4096, .expected = 0, .timeout_ns = 20000 * MS,
                   .terminate = &flag};
    waiter_start(&late);
    waiter_join(&late);
    expect_trap(late.st, &late.err, WEFT_E_TERMINATED);
    assert_true(late.elapsed_ns < 1000 * MS);
    assert_int_equal(atom_waiter_count(f->shared, 4096), 0);

    /* An unset flag changes nothing. */
    _Atomic int calm = 0;
    uint32_t r = 99;
    weft_error err;
    assert_int_equal(atom_wait(f->shared, 4096, 0, 4, 0, &calm, &r, &err), WEFT_OK);
    assert_int_equal(r, ATOM_WAIT_TIMED_OUT);
}

static void test_memories_are_separate(void **state)
{
    fixture *f = *state;
    weft_memory *other = memory_new(f->engine, true);
    weft_error err;
    store32(f->shared, 256, 0);
    waiter w = {.m = other, .addr = 256, .expected = 0, .timeout_ns = FOREVER};
    waiter_start(&w);
    assert_true(EVENTUALLY(atom_waiter_count(other, 256) == 1));
    uint32_t woken = 99;
    assert_int_equal(weft_memory_notify(f->shared, 256, 1, &woken, &err), WEFT_OK);
    assert_int_equal(woken, 0);
    assert_int_equal(weft_memory_notify(other, 256, 1, &woken, &err), WEFT_OK);
    assert_int_equal(woken, 1);
    waiter_join(&w);
    assert_int_equal(w.result, ATOM_WAIT_OK);
    weft_memory_free(other); /* frees its lot */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks_in_order),
        cmocka_unit_test(test_value_mismatch),
        cmocka_unit_test(test_zero_timeout_returns_at_once),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_wake_counts),
        cmocka_unit_test(test_fifo_order),
        cmocka_unit_test(test_no_spurious_wakeup),
        cmocka_unit_test(test_notify_count_matches_wakes),
        cmocka_unit_test(test_wake_all),
        cmocka_unit_test(test_terminate),
        cmocka_unit_test(test_memories_are_separate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

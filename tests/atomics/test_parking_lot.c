/*
 * test_parking_lot.c -- memory.atomic.wait32/64 and notify through the public
 * API (weft_memory_wait32/64, weft_memory_notify, weft_memory_wake_all) and
 * atom_wait for the terminate flag: the trap checks and their order, value
 * mismatch, zero/negative/finite timeouts, wake counts, FIFO order, no
 * spurious wake-ups, wake-all, and the terminate protocol; then the two ways
 * a waiter can be woken (while it still spins, after it went to sleep in the
 * kernel), no spinning where the notifier shares the waiter's CPU, timeouts
 * inside the spin window, a long ping-pong, and terminate in either phase.
 *
 * cmocka's assertions must run on the main thread, so waiter threads only
 * record what happened and the main thread checks it.
 */
#define _GNU_SOURCE /* RUSAGE_THREAD, CPU affinity */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "atomics/parking_lot.h"
#include "engine/guest_access.h" /* WEFT_TSAN */

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
    bool pinned;                  /* run on CPU `cpu` only */
    int cpu;
    pthread_t thread;
    /* results */
    weft_status st;
    weft_error err;
    uint32_t result;
    int64_t elapsed_ns;
    int64_t cpu_ns;      /* the waiter thread's CPU time in the wait */
    long sleeps;         /* its voluntary context switches in the wait */
    _Atomic bool done;
} waiter;

static int64_t thread_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Voluntary context switches of the calling thread: each time it blocked in
 * the kernel (a FUTEX_WAIT that slept; a sched_yield is not one). */
static long thread_sleeps(void)
{
    struct rusage u;
    getrusage(RUSAGE_THREAD, &u);
    return u.ru_nvcsw;
}

static bool pin_self(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

static void *waiter_main(void *arg)
{
    waiter *w = arg;
    if (w->pinned && !pin_self(w->cpu))
        w->pinned = false; /* the test sees it and fails */
    long s0 = thread_sleeps();
    int64_t c0 = thread_cpu_ns();
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
    w->cpu_ns = thread_cpu_ns() - c0;
    w->sleeps = thread_sleeps() - s0;
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
    int64_t timeout_ns;
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
        if (weft_memory_wait32(r->m, 1024, 0, r->timeout_ns, &res, &err) != WEFT_OK ||
            (res != ATOM_WAIT_OK && res != ATOM_WAIT_TIMED_OUT))
            atomic_store(&r->bad, true);
        oks += res == ATOM_WAIT_OK;
    }
    atomic_fetch_add(r->oks, oks);
    atomic_fetch_sub(r->running, 1);
    return NULL;
}

static void race(fixture *f, int64_t timeout_ns)
{
    store32(f->shared, 1024, 0);
    _Atomic uint64_t oks = 0;
    _Atomic int running = 2;
    racer r = {.m = f->shared, .rounds = 300, .timeout_ns = timeout_ns, .oks = &oks,
               .running = &running};
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

static void test_notify_count_matches_wakes(void **state)
{
    fixture *f = *state;
    /* Deadlines that end in the sleep (0.2 ms), and ones inside the spin
     * window (5 us, 1 us), where the timeout is taken without sleeping. */
    race(f, 200000);
    race(f, 5000);
    race(f, 1000);
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

/* ---- spinning, sleeping, and what a notify does to each -------------------- */

/* Busy-waits until `n` threads are queued on `addr` (sleeping between looks,
 * as EVENTUALLY does, would let the waiters' spin run out): true, or false
 * after 10 s.  A short pause between looks leaves the bucket lock free;
 * `yield` lets a waiter on the same CPU run. */
static bool queued_soon(weft_memory *m, uint64_t addr, uint32_t n, bool yield)
{
    int64_t until = now_ns() + 10000 * MS;
    while (atom_waiter_count(m, addr) != n) {
        if (now_ns() > until)
            return false;
        if (yield)
            sched_yield();
        for (volatile int i = 0; i < 50; i++) {
        }
    }
    return true;
}

/* The first two CPUs this thread may run on; how many there are (0-2). */
static int two_cpus(int cpus[2])
{
    cpu_set_t set;
    int n = 0;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 0;
    for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
        if (CPU_ISSET(c, &set))
            cpus[n++] = c;
    return n;
}

/* Whether waiters spin at all (the lot asks the same question). */
static bool many_cpus(void) { return sysconf(_SC_NPROCESSORS_ONLN) > 1; }

/* Pins the calling thread to `cpu`, keeping its old mask in *saved. */
static void pin_main(int cpu, cpu_set_t *saved)
{
    assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof *saved, saved), 0);
    assert_true(pin_self(cpu));
}

static void unpin_main(const cpu_set_t *saved)
{
    assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof *saved, saved), 0);
}

/* One round: a waiter (pinned to `waiter_cpu` if >= 0) parks on `addr`, the
 * calling thread notifies it `delay_ns` later and checks that exactly it
 * woke, with 0. */
static void wake_soon_round(weft_memory *m, uint64_t addr, int i, int waiter_cpu, int64_t delay_ns,
                            waiter *w)
{
    store64(m, addr, 0);
    /* wait32 and wait64, with and without a (far) deadline. */
    *w = (waiter){.m = m, .addr = addr, .expected = 0, .width = i % 2 ? 8 : 4,
                  .timeout_ns = i % 4 < 2 ? FOREVER : 10000 * MS, .pinned = waiter_cpu >= 0,
                  .cpu = waiter_cpu};
    waiter_start(w);
    /* Sharing a CPU with the waiter, yield to let it park. */
    assert_true(queued_soon(m, addr, 1, delay_ns == 0));
    for (int64_t until = now_ns() + delay_ns; now_ns() < until;) {
    }
    uint32_t woken = 99;
    weft_error err;
    assert_int_equal(weft_memory_notify(m, addr, 1, &woken, &err), WEFT_OK);
    assert_int_equal(woken, 1);
    waiter_join(w);
    assert_int_equal(w->pinned, waiter_cpu >= 0);
    assert_int_equal(w->st, WEFT_OK);
    assert_int_equal(w->result, ATOM_WAIT_OK);
    assert_true(w->elapsed_ns < 10000 * MS);
}

static void test_wake_while_spinning(void **state)
{
    fixture *f = *state;
    /* A fresh memory: its lot is made by the first, pinned, waiter, whose
     * one-CPU mask must not turn spinning off for everyone. */
    weft_memory *m = memory_new(f->engine, true);
    enum { ROUNDS = 200 };
    const uint64_t addr = 4608;
    int cpus[2];
    bool two = two_cpus(cpus) == 2;
    cpu_set_t saved;
    /* The waiter on one CPU, the notifier on another, so that the waiter's
     * spin cannot keep the notifier from running. */
    if (two)
        pin_main(cpus[1], &saved);
    unsigned awake = 0; /* rounds in which the waiter never slept in the kernel */
    for (int i = 0; i < ROUNDS; i++) {
        waiter w;
        /* 5 us: time enough for a waiter that does not spin to be asleep. */
        wake_soon_round(m, addr, i, two ? cpus[0] : -1, 5000, &w);
        awake += w.sleeps == 0;
    }
    if (two)
        unpin_main(&saved);
    assert_int_equal(atom_waiter_count(m, addr), 0);
    weft_memory_free(m);
    /* So a notify that comes a few microseconds after the wait mostly finds
     * the waiter still spinning, not asleep: ~80% of the rounds on an idle
     * machine (35-65% under TSan), against 0-2% with no spin.  How many is a
     * matter of speed and of what else runs on the machine (the ping-pong of
     * bench/threaded measures it), so it is printed, not asserted. */
    print_message("%u of %d waiters woken while spinning%s\n", awake, ROUNDS,
                  two ? "" : " (one CPU: no spinning)");
}

/* The waiter and its notifier on one CPU: a spin there only keeps the
 * notifier off the CPU, for the whole spin (~20 us) every time.  Once a
 * notifier has found a waiter asleep on its own CPU, the bucket stops
 * spinning (but for a probe now and then), so most rounds take less: the
 * fastest round is printed (a speed, not asserted), every round must wake
 * exactly its waiter. */
static void test_wake_on_one_cpu(void **state)
{
    fixture *f = *state;
    enum { ROUNDS = 100 };
    const uint64_t addr = 4672 + 64;
    int cpus[2];
    if (two_cpus(cpus) < 1)
        return;
    cpu_set_t saved;
    pin_main(cpus[0], &saved);
    int64_t fastest = INT64_MAX;
    for (int i = 0; i < ROUNDS; i++) {
        waiter w;
        wake_soon_round(f->shared, addr, i, cpus[0], 0, &w);
        fastest = w.elapsed_ns < fastest ? w.elapsed_ns : fastest;
    }
    unpin_main(&saved);
    print_message("waiter and notifier on one CPU: fastest of %d rounds %.1f us\n", ROUNDS,
                  (double)fastest / 1000);
}

static void test_wake_after_sleep(void **state)
{
    fixture *f = *state;
    const uint64_t addr = 4672;
    for (int i = 0; i < 3; i++) {
        store64(f->shared, addr, 0);
        waiter w = {.m = f->shared, .addr = addr, .expected = 0, .width = i == 2 ? 8 : 4,
                    .timeout_ns = i == 1 ? 20000 * MS : FOREVER};
        waiter_start(&w);
        assert_true(EVENTUALLY(atom_waiter_count(f->shared, addr) == 1));
        sleep_ms(50);
        assert_false(atomic_load(&w.done));
        uint32_t woken = 99;
        weft_error err;
        assert_int_equal(weft_memory_notify(f->shared, addr, 1, &woken, &err), WEFT_OK);
        assert_int_equal(woken, 1);
        waiter_join(&w);
        assert_int_equal(w.st, WEFT_OK);
        assert_int_equal(w.result, ATOM_WAIT_OK);
        assert_true(w.elapsed_ns >= 50 * MS && w.elapsed_ns < 20000 * MS);
        /* The spin is bounded: the waiter went to sleep in the kernel and
         * did not burn the 50 ms. */
        assert_true(w.sleeps >= 1);
        assert_true(w.cpu_ns < 25 * MS);
    }
}

/* Timeouts shorter than the spin (20 us) end at their deadline, not at the
 * spin's end; longer ones sleep.  Either way: "timed out", never early. */
static void test_short_timeouts(void **state)
{
    fixture *f = *state;
    const uint64_t addr = 4736;
    static const int64_t timeouts[] = {1, 1000, 5000, 100000, 2 * MS};
    store32(f->shared, addr, 7);
    for (size_t k = 0; k < sizeof timeouts / sizeof timeouts[0]; k++) {
        int64_t best = INT64_MAX;
        for (int i = 0; i < 20; i++) {
            uint32_t r = 99;
            weft_error err;
            int64_t t0 = now_ns();
            assert_int_equal(weft_memory_wait32(f->shared, addr, 7, timeouts[k], &r, &err),
                             WEFT_OK);
            int64_t dt = now_ns() - t0;
            assert_int_equal(r, ATOM_WAIT_TIMED_OUT);
            assert_true(dt >= timeouts[k]);
            assert_true(dt < timeouts[k] + 2000 * MS);
            best = dt < best ? dt : best;
        }
        /* A 1 ns or 1 us wait that spun the whole window would take 20 us
         * every time.  (With one CPU nobody spins, and a wait that sleeps
         * takes the kernel's timer slack, ~50 us.) */
        if (timeouts[k] <= 1000 && many_cpus())
            assert_true(best < 20000);
    }
    assert_int_equal(atom_waiter_count(f->shared, addr), 0);
}

/* Two threads take turns through wait32/notify: player p moves on turns
 * 2r + p, bumps the turn and notifies the other.  Every move checks that it
 * is its turn; a wait that times out (5 s) with the turn still not come means
 * a lost wake-up and stops the game instead of hanging the test. */
typedef struct player {
    weft_memory *m;
    uint32_t me, rounds;
    pthread_t thread;
    uint64_t sum;
    uint32_t lost, wrong;
} player;

#define PINGPONG_ADDR 4800u

static uint32_t turn_now(weft_memory *m)
{
    return __atomic_load_n((uint32_t *)(weft_memory_data(m) + PINGPONG_ADDR), __ATOMIC_SEQ_CST);
}

static void *player_main(void *arg)
{
    player *p = arg;
    for (uint32_t r = 0; r < p->rounds; r++) {
        uint32_t mine = 2 * r + p->me, t;
        while ((t = turn_now(p->m)) != mine) {
            if (t > mine) { /* a turn went by without us */
                p->wrong++;
                return NULL;
            }
            uint32_t res = 99;
            weft_error err;
            if (weft_memory_wait32(p->m, PINGPONG_ADDR, t, 5000 * MS, &res, &err) != WEFT_OK ||
                res == ATOM_WAIT_TIMED_OUT) {
                p->lost++;
                return NULL;
            }
        }
        p->sum += mine;
        store32(p->m, PINGPONG_ADDR, mine + 1);
        uint32_t woken;
        weft_memory_notify(p->m, PINGPONG_ADDR, 1, &woken, NULL);
    }
    return NULL;
}

static void test_pingpong(void **state)
{
    fixture *f = *state;
    const uint32_t rounds = WEFT_TSAN ? 10000 : 100000;
    store32(f->shared, PINGPONG_ADDR, 0);
    player ps[2];
    for (uint32_t i = 0; i < 2; i++) {
        ps[i] = (player){.m = f->shared, .me = i, .rounds = rounds};
        assert_int_equal(pthread_create(&ps[i].thread, NULL, player_main, &ps[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(ps[i].thread, NULL), 0);
    for (uint32_t i = 0; i < 2; i++) {
        assert_int_equal(ps[i].lost, 0);
        assert_int_equal(ps[i].wrong, 0);
        /* sum over r < R of 2r + p = R(R-1) + pR */
        assert_int_equal(ps[i].sum, (uint64_t)rounds * (rounds - 1) + (uint64_t)i * rounds);
    }
    assert_int_equal(turn_now(f->shared), 2 * rounds);
    assert_int_equal(atom_waiter_count(f->shared, PINGPONG_ADDR), 0);
}

static void test_terminate_while_spinning_and_sleeping(void **state)
{
    fixture *f = *state;
    const uint64_t addr = 4864;
    int cpus[2];
    bool two = two_cpus(cpus) == 2;
    cpu_set_t saved;
    if (two) /* apart, as in test_wake_while_spinning, so that the waiter spins */
        pin_main(cpus[1], &saved);
    store32(f->shared, addr, 0);
    for (int i = 0; i < 40; i++) {
        _Atomic int flag = 0;
        bool asleep = i == 39; /* the last round lets it fall asleep first */
        waiter w = {.m = f->shared, .addr = addr, .expected = 0,
                    .timeout_ns = i % 2 ? 20000 * MS : FOREVER, .terminate = &flag,
                    .pinned = two, .cpu = two ? cpus[0] : 0};
        waiter_start(&w);
        assert_true(queued_soon(f->shared, addr, 1, false));
        if (asleep)
            sleep_ms(50);
        atomic_store(&flag, 1);
        assert_int_equal(weft_memory_wake_all(f->shared), 1);
        waiter_join(&w);
        expect_trap(w.st, &w.err, WEFT_E_TERMINATED);
        assert_true(w.elapsed_ns < 20000 * MS);
        if (asleep)
            assert_true(w.sleeps >= 1);
    }
    if (two)
        unpin_main(&saved);
    assert_int_equal(atom_waiter_count(f->shared, addr), 0);
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
        cmocka_unit_test(test_wake_while_spinning),
        cmocka_unit_test(test_wake_on_one_cpu),
        cmocka_unit_test(test_wake_after_sleep),
        cmocka_unit_test(test_short_timeouts),
        cmocka_unit_test(test_pingpong),
        cmocka_unit_test(test_terminate_while_spinning_and_sleeping),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * parking_lot.c -- memory.atomic.wait32/64 and memory.atomic.notify: the
 * per-memory parking lot (DESIGN.md invariant 5; contract in parking_lot.h).
 *
 * A lot is a fixed array of buckets; an address hashes to one bucket, whose
 * mutex guards its FIFO queue of waiters (every waiter on any address of that
 * bucket, oldest first).  A waiter lives on its own thread's stack while it is
 * parked: it holds a condition variable of its own (so a notify signals exactly
 * the threads it chose, and a storm of notifies to other addresses wakes
 * nobody) and a `notified` flag that only a notifier sets, under the bucket
 * lock.  The waiter loops on its condition variable until that flag is set or
 * its deadline passes, which is what rules out spurious wake-ups: a return of
 * 0 means some notify picked this waiter and unlinked it.
 *
 * A notifier signals with the bucket lock held, so the waiter (whose condition
 * variable is on its stack) cannot return and take it away meanwhile.
 * Signalling after the unlock, with a handshake that keeps the waiter until
 * the notifier is done, was tried: it saves a futex call per wake-up but was
 * ~30% slower in the ping-pong benchmark (bench/threaded), because the woken
 * waiter then often has to wait for a preempted notifier.
 *
 * Lock order: a bucket lock is a leaf; no two bucket locks are ever held at
 * once (atom_wake_all takes them one after the other).
 */
#include <errno.h>
#include <time.h>

#include "atomics/parking_lot.h"

/* Enough buckets that unrelated addresses rarely share a lock; a lot is made
 * only for memories that actually wait or notify. */
#define ATOM_BUCKETS 128u
#define ATOM_BUCKET_SHIFT 7u /* log2(ATOM_BUCKETS) */

typedef struct atom_waiter {
    struct atom_waiter *next, *prev; /* guarded by the bucket lock           */
    uint64_t addr;                   /* the byte address waited on (immutable) */
    bool notified;                   /* guarded by the bucket lock; set by a notifier only */
    pthread_cond_t cond;             /* waited on with the bucket lock         */
} atom_waiter;

typedef struct atom_bucket {
    pthread_mutex_t lock;
    atom_waiter *head, *tail; /* FIFO: head is the oldest; guarded by lock */
} __attribute__((aligned(64))) atom_bucket; /* one cache line each: no false sharing */

struct atom_lot {
    pthread_condattr_t cond_attr; /* CLOCK_MONOTONIC, for every waiter's cond */
    atom_bucket buckets[ATOM_BUCKETS];
};

/* ---- the lot ------------------------------------------------------------ */

static atom_bucket *bucket_of(struct atom_lot *lot, uint64_t addr)
{
    /* Fibonacci hashing of the word index: neighbouring words (an array of
     * locks, say) spread over different buckets. */
    uint64_t h = (addr >> 2) * UINT64_C(0x9E3779B97F4A7C15);
    return &lot->buckets[h >> (64 - ATOM_BUCKET_SHIFT)];
}

static void lot_destroy(weft_engine *e, struct atom_lot *lot, unsigned nbuckets, bool attr)
{
    for (unsigned i = 0; i < nbuckets; i++)
        pthread_mutex_destroy(&lot->buckets[i].lock);
    if (attr)
        pthread_condattr_destroy(&lot->cond_attr);
    eng_free(e, lot);
}

static struct atom_lot *lot_make(weft_engine *e)
{
    struct atom_lot *lot = eng_calloc(e, 1, sizeof *lot);
    if (!lot)
        return NULL;
    if (pthread_condattr_init(&lot->cond_attr) != 0) {
        eng_free(e, lot);
        return NULL;
    }
    if (pthread_condattr_setclock(&lot->cond_attr, CLOCK_MONOTONIC) != 0) {
        lot_destroy(e, lot, 0, true);
        return NULL;
    }
    for (unsigned i = 0; i < ATOM_BUCKETS; i++) {
        if (pthread_mutex_init(&lot->buckets[i].lock, NULL) != 0) {
            lot_destroy(e, lot, i, true);
            return NULL;
        }
    }
    return lot;
}

/* The memory's lot, or NULL if nobody has waited yet.  weft_memory.lot is a
 * plain pointer in the struct; every access to it outside mem_release goes
 * through these __atomic builtins.  seq_cst, not just acquire/release: a
 * terminator stores its flag and then looks for the lot, a first waiter
 * publishes the lot and then reads the flag, and one of the two must see the
 * other's store (else a waiter could park unseen after wake_all found no lot). */
static struct atom_lot *lot_peek(weft_memory *m)
{
    return __atomic_load_n(&m->lot, __ATOMIC_SEQ_CST);
}

/* The memory's lot, made on first use.  Two threads may race to make it: the
 * loser frees its copy and takes the winner's. */
static struct atom_lot *lot_get(weft_memory *m)
{
    struct atom_lot *lot = lot_peek(m);
    if (lot)
        return lot;
    struct atom_lot *fresh = lot_make(m->engine);
    if (!fresh)
        return NULL;
    struct atom_lot *expected = NULL;
    if (__atomic_compare_exchange_n(&m->lot, &expected, fresh, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST))
        return fresh;
    lot_destroy(m->engine, fresh, ATOM_BUCKETS, true);
    return expected;
}

void atom_lot_free(weft_engine *e, struct atom_lot *lot)
{
    if (!lot)
        return;
    for (unsigned i = 0; i < ATOM_BUCKETS; i++)
        weft_assert(lot->buckets[i].head == NULL);
    lot_destroy(e, lot, ATOM_BUCKETS, true);
}

/* ---- queues (bucket lock held) ------------------------------------------ */

static void queue_push(atom_bucket *b, atom_waiter *w)
{
    w->next = NULL;
    w->prev = b->tail;
    if (b->tail)
        b->tail->next = w;
    else
        b->head = w;
    b->tail = w;
}

static void queue_unlink(atom_bucket *b, atom_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        b->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        b->tail = w->prev;
    w->next = w->prev = NULL;
}

/* Chooses `w`: unlinks it, sets its flag, signals it (bucket lock held). */
static void queue_wake(atom_bucket *b, atom_waiter *w)
{
    queue_unlink(b, w);
    w->notified = true;
    pthread_cond_signal(&w->cond);
}

/* ---- checks and the value ----------------------------------------------- */

static weft_status check_access(const weft_memory *m, uint64_t addr, unsigned width,
                                weft_error *err)
{
    if (addr & (width - 1))
        return err_set(err, WEFT_E_UNALIGNED_ATOMIC, WEFT_NO_OFFSET, NULL);
    if (!mem_in_bounds(m, addr, width))
        return err_set(err, WEFT_E_OOB_MEMORY, WEFT_NO_OFFSET, NULL);
    return WEFT_OK;
}

/* A seq_cst load of the guest word, as the instruction's own atomic read. */
static uint64_t load_value(const weft_memory *m, uint64_t addr, unsigned width)
{
    const void *p = m->base + addr;
    if (width == 8)
        return __atomic_load_n((const uint64_t *)p, __ATOMIC_SEQ_CST);
    return __atomic_load_n((const uint32_t *)p, __ATOMIC_SEQ_CST);
}

static bool terminating(const _Atomic int *terminate)
{
    return terminate && atomic_load_explicit(terminate, memory_order_seq_cst);
}

/* now + timeout_ns on CLOCK_MONOTONIC.  With a 64-bit time_t (the engine's
 * 8 GiB reservations already need a 64-bit host) even INT64_MAX ns, ~292
 * years, cannot overflow it. */
_Static_assert(sizeof(time_t) == 8, "the deadline arithmetic needs a 64-bit time_t");
static struct timespec deadline_after(int64_t timeout_ns)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(timeout_ns / 1000000000);
    t.tv_nsec += (long)(timeout_ns % 1000000000);
    if (t.tv_nsec >= 1000000000) {
        t.tv_nsec -= 1000000000;
        t.tv_sec++;
    }
    return t;
}

/* ---- wait / notify ------------------------------------------------------ */

weft_status atom_wait(weft_memory *m, uint64_t addr, uint64_t expected, unsigned width,
                      int64_t timeout_ns, const _Atomic int *terminate, uint32_t *result,
                      weft_error *err)
{
    weft_status st = WEFT_OK;
    weft_assert(width == 4 || width == 8);
    *result = ATOM_WAIT_NOT_EQUAL;
    if (!m->shared)
        return err_set(err, WEFT_E_EXPECTED_SHARED, WEFT_NO_OFFSET, NULL);
    TRY(check_access(m, addr, width, err));

    /* The deadline is fixed at entry, so time spent getting the lock counts. */
    bool has_deadline = timeout_ns >= 0;
    struct timespec deadline = has_deadline ? deadline_after(timeout_ns) : (struct timespec){0};

    struct atom_lot *lot = lot_get(m);
    if (!lot)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "cannot make the parking lot");
    atom_bucket *b = bucket_of(lot, addr);
    atom_waiter w = {.addr = addr, .notified = false};

    pthread_mutex_lock(&b->lock);
    /* The flag and the value are read under the lock: a terminator or
     * notifier that changes them afterwards must take this lock to wake
     * anyone, and by then we are queued. */
    if (terminating(terminate)) {
        pthread_mutex_unlock(&b->lock);
        return err_set(err, WEFT_E_TERMINATED, WEFT_NO_OFFSET, NULL);
    }
    uint64_t mask = width == 8 ? UINT64_MAX : UINT32_MAX;
    if (load_value(m, addr, width) != (expected & mask)) {
        pthread_mutex_unlock(&b->lock);
        *result = ATOM_WAIT_NOT_EQUAL;
        return WEFT_OK;
    }
    if (timeout_ns == 0) {
        pthread_mutex_unlock(&b->lock);
        *result = ATOM_WAIT_TIMED_OUT;
        return WEFT_OK;
    }
    if (pthread_cond_init(&w.cond, &lot->cond_attr) != 0) {
        pthread_mutex_unlock(&b->lock);
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "cannot make a condition variable");
    }
    queue_push(b, &w);
    *result = ATOM_WAIT_OK;
    while (!w.notified) {
        int rc = has_deadline ? pthread_cond_timedwait(&w.cond, &b->lock, &deadline)
                              : pthread_cond_wait(&w.cond, &b->lock);
        /* A notify may land between the timeout and our relocking: then it
         * chose us and counted us, so we report 0, not 2. */
        if (rc == ETIMEDOUT && !w.notified) {
            queue_unlink(b, &w);
            *result = ATOM_WAIT_TIMED_OUT;
            break;
        }
        /* A deadline the clock cannot take (EINVAL) is as good as none: wait
         * without it rather than spin. */
        if (rc != 0 && rc != ETIMEDOUT)
            has_deadline = false;
    }
    pthread_mutex_unlock(&b->lock);
    pthread_cond_destroy(&w.cond);

    if (terminating(terminate)) {
        *result = ATOM_WAIT_NOT_EQUAL;
        return err_set(err, WEFT_E_TERMINATED, WEFT_NO_OFFSET, NULL);
    }
    return WEFT_OK;

fail:
    return st;
}

weft_status atom_notify(weft_memory *m, uint64_t addr, uint32_t count, uint32_t *woken,
                        weft_error *err)
{
    weft_status st = WEFT_OK;
    *woken = 0;
    TRY(check_access(m, addr, 4, err));
    /* Nobody can wait on an unshared memory, nor before a lot exists. */
    struct atom_lot *lot = m->shared ? lot_peek(m) : NULL;
    if (!lot || count == 0)
        return WEFT_OK;

    atom_bucket *b = bucket_of(lot, addr);
    uint32_t n = 0;
    pthread_mutex_lock(&b->lock);
    for (atom_waiter *w = b->head, *next; w && n < count; w = next) {
        next = w->next;
        if (w->addr == addr) {
            queue_wake(b, w);
            n++;
        }
    }
    pthread_mutex_unlock(&b->lock);
    *woken = n;
    return WEFT_OK;

fail:
    return st;
}

uint32_t atom_wake_all(weft_memory *m)
{
    struct atom_lot *lot = lot_peek(m);
    if (!lot)
        return 0;
    uint32_t n = 0;
    for (unsigned i = 0; i < ATOM_BUCKETS; i++) {
        atom_bucket *b = &lot->buckets[i];
        pthread_mutex_lock(&b->lock);
        while (b->head) {
            queue_wake(b, b->head);
            n++;
        }
        pthread_mutex_unlock(&b->lock);
    }
    return n;
}

uint32_t atom_waiter_count(weft_memory *m, uint64_t addr)
{
    struct atom_lot *lot = lot_peek(m);
    if (!lot)
        return 0;
    atom_bucket *b = bucket_of(lot, addr);
    uint32_t n = 0;
    pthread_mutex_lock(&b->lock);
    for (atom_waiter *w = b->head; w; w = w->next)
        n += w->addr == addr;
    pthread_mutex_unlock(&b->lock);
    return n;
}

/*
 * parking_lot.c -- memory.atomic.wait32/64 and memory.atomic.notify: the
 * per-memory parking lot (DESIGN.md invariant 5; contract in parking_lot.h).
 *
 * A lot is a fixed array of buckets; an address hashes to one bucket, whose
 * mutex guards its FIFO queue of waiters (every waiter on any address of that
 * bucket, oldest first).  Each parked thread has a waiter record of its own
 * with a futex word, `word`, that it sleeps on (so a notify wakes exactly the
 * threads it chose, and a storm of notifies to other addresses wakes nobody).
 * The waiter notes the word's value when it parks and sleeps while the word
 * still holds it and its deadline has not passed; only a notifier changes the
 * word (bumps it), under the bucket lock, when it picks and unlinks the
 * waiter.  That is what rules out spurious wake-ups: a return of 0 means some
 * notify picked this waiter.
 *
 * Why a raw futex (Linux only, as the guard-page memories are) and not a
 * condition variable per waiter: glibc's condition variable needed ~6 futex
 * calls per wait/notify round trip of the ping-pong benchmark (bench/threaded),
 * its internal lock and the mutex going back and forth; a word of our own
 * needs 2, one FUTEX_WAKE and one FUTEX_WAIT, as native code does, and the
 * round trip went from ~2.3x native's time to ~1.1x.  The futex calls carry no
 * ordering the code relies on: the word is bumped with release and read with
 * acquire, so the happens-before is there for the compiler and for TSan,
 * which does not see futexes.
 *
 * The notifier calls FUTEX_WAKE after it has dropped the bucket lock, so the
 * woken thread does not run into it.  That is why waiter records are not on
 * the waiters' stacks but belong to the lot (a free list per bucket, freed
 * with the lot): a FUTEX_WAKE that comes late, after its waiter has returned,
 * hits a record that still exists -- free, or parking another thread, which
 * wakes, sees that its word still holds the value it parked with, and sleeps
 * on.  (Waking under the lock, with the word on the stack, was tried: the
 * woken thread then has to wait until the notifier is out of the system call,
 * by taking the lock or spinning, which cost 2-4x the round trip.)
 *
 * Lock order: a bucket lock is a leaf; no two bucket locks are ever held at
 * once (atom_wake_all takes them one after the other).
 */
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "atomics/parking_lot.h"

/* Enough buckets that unrelated addresses rarely share a lock; a lot is made
 * only for memories that actually wait or notify. */
#define ATOM_BUCKETS 128u
#define ATOM_BUCKET_SHIFT 7u /* log2(ATOM_BUCKETS) */

/* A waiter record: on its bucket's queue while a thread is parked in it, else
 * on the bucket's free list.  Every field but `word` is guarded by the bucket
 * lock; `word` only grows (wrapping), bumped under the lock by the notifier
 * that picks the record, and is read without the lock by its waiter (which
 * could mistake it only by sleeping through 2^32 reuses of its record). */
typedef struct atom_waiter {
    struct atom_waiter *next, *prev;
    uint64_t addr;         /* the byte address waited on */
    _Atomic uint32_t word; /* the futex word */
} atom_waiter;

typedef struct atom_bucket {
    pthread_mutex_t lock;
    atom_waiter *head, *tail; /* FIFO: head is the oldest; guarded by lock */
    atom_waiter *spare;       /* free records, linked by next; guarded by lock */
} __attribute__((aligned(64))) atom_bucket; /* one cache line each: no false sharing */

struct atom_lot {
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

static void lot_destroy(weft_engine *e, struct atom_lot *lot, unsigned nbuckets)
{
    for (unsigned i = 0; i < nbuckets; i++) {
        pthread_mutex_destroy(&lot->buckets[i].lock);
        for (atom_waiter *w = lot->buckets[i].spare, *next; w; w = next) {
            next = w->next;
            eng_free(e, w);
        }
    }
    eng_free(e, lot);
}

static struct atom_lot *lot_make(weft_engine *e)
{
    struct atom_lot *lot = eng_calloc(e, 1, sizeof *lot);
    if (!lot)
        return NULL;
    for (unsigned i = 0; i < ATOM_BUCKETS; i++) {
        if (pthread_mutex_init(&lot->buckets[i].lock, NULL) != 0) {
            lot_destroy(e, lot, i);
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
    lot_destroy(m->engine, fresh, ATOM_BUCKETS);
    return expected;
}

void atom_lot_free(weft_engine *e, struct atom_lot *lot)
{
    if (!lot)
        return;
    for (unsigned i = 0; i < ATOM_BUCKETS; i++)
        weft_assert(lot->buckets[i].head == NULL);
    lot_destroy(e, lot, ATOM_BUCKETS);
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

/* ---- the futex word ----------------------------------------------------- */

/* Sleeps while *word == parked, until woken or the absolute CLOCK_MONOTONIC
 * `deadline` (NULL: none).  FUTEX_WAIT_BITSET takes an absolute time, on
 * CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME is given.  Returns 0 or the
 * errno (ETIMEDOUT; EAGAIN when the word had changed; EINTR). */
static int futex_sleep(_Atomic uint32_t *word, uint32_t parked, const struct timespec *deadline)
{
    long rc = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, parked,
                      deadline, NULL, FUTEX_BITSET_MATCH_ANY);
    return rc == 0 ? 0 : errno;
}

static void futex_wake_one(_Atomic uint32_t *word)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
}

/* The words of the waiters a notifier picked, woken after the unlock; when
 * more are picked than it holds, the rest are woken under the lock (just as
 * correct, since records outlive their waiters). */
#define ATOM_WAKE_BATCH 16u
typedef struct wake_list {
    _Atomic uint32_t *words[ATOM_WAKE_BATCH];
    unsigned n;
} wake_list;

/* Picks `w` (bucket lock held): unlinks it, bumps its word -- from here on its
 * waiter may return -- and gives the record back to the bucket. */
static void queue_wake(atom_bucket *b, atom_waiter *w, wake_list *wl)
{
    queue_unlink(b, w);
    uint32_t parked = atomic_load_explicit(&w->word, memory_order_relaxed);
    atomic_store_explicit(&w->word, parked + 1, memory_order_release);
    w->next = b->spare;
    b->spare = w;
    if (wl->n == ATOM_WAKE_BATCH) {
        for (unsigned i = 0; i < wl->n; i++)
            futex_wake_one(wl->words[i]);
        wl->n = 0;
    }
    wl->words[wl->n++] = &w->word;
}

static void wake_list_run(wake_list *wl)
{
    for (unsigned i = 0; i < wl->n; i++)
        futex_wake_one(wl->words[i]);
    wl->n = 0;
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
    atom_waiter *w = b->spare;
    if (w) {
        b->spare = w->next;
    } else if ((w = eng_alloc(m->engine, sizeof *w)) != NULL) {
        atomic_init(&w->word, 0);
    } else {
        pthread_mutex_unlock(&b->lock);
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "cannot park a waiter");
    }
    w->addr = addr;
    queue_push(b, w);
    /* `w` is the notifier's from the unlock on: only its word may be read. */
    _Atomic uint32_t *word = &w->word;
    uint32_t parked = atomic_load_explicit(word, memory_order_relaxed);
    pthread_mutex_unlock(&b->lock);

    *result = ATOM_WAIT_OK;
    while (atomic_load_explicit(word, memory_order_acquire) == parked) {
        int rc = futex_sleep(word, parked, has_deadline ? &deadline : NULL);
        if (rc == ETIMEDOUT) {
            /* Under the lock: a notify may have landed between the timeout
             * and now; then it chose us and counted us (and took the
             * record), so we report 0, not 2. */
            pthread_mutex_lock(&b->lock);
            if (atomic_load_explicit(word, memory_order_acquire) == parked) {
                queue_unlink(b, w);
                w->next = b->spare;
                b->spare = w;
                *result = ATOM_WAIT_TIMED_OUT;
            }
            pthread_mutex_unlock(&b->lock);
            break;
        }
        /* A deadline the kernel cannot take (EINVAL) is as good as none: wait
         * without it rather than spin.  EINTR, EAGAIN and a late wake meant
         * for an earlier user of the record: look again. */
        if (rc == EINVAL)
            has_deadline = false;
    }

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
    wake_list wl = {.n = 0};
    pthread_mutex_lock(&b->lock);
    for (atom_waiter *w = b->head, *next; w && n < count; w = next) {
        next = w->next;
        if (w->addr == addr) {
            queue_wake(b, w, &wl);
            n++;
        }
    }
    pthread_mutex_unlock(&b->lock);
    wake_list_run(&wl);
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
        wake_list wl = {.n = 0};
        pthread_mutex_lock(&b->lock);
        while (b->head) {
            queue_wake(b, b->head, &wl);
            n++;
        }
        pthread_mutex_unlock(&b->lock);
        wake_list_run(&wl);
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

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
 * word's counter (bumps it), under the bucket lock, when it picks and unlinks
 * the waiter.  That is what rules out spurious wake-ups: a return of 0 means
 * some notify picked this waiter.
 *
 * Why a raw futex (Linux only, as the guard-page memories are) and not a
 * condition variable per waiter: glibc's condition variable needed ~6 futex
 * calls per wait/notify round trip of the ping-pong benchmark (bench/threaded),
 * its internal lock and the mutex going back and forth; a word of our own
 * needs at most 2, one FUTEX_WAKE and one FUTEX_WAIT, as native code does.
 * The futex calls carry no ordering the code relies on: the word is bumped
 * with release and read with acquire, so the happens-before is there for the
 * compiler and for TSan, which does not see futexes.
 *
 * Spin, then sleep.  Waking a thread that sleeps in the kernel is slow on a
 * virtual machine (its vCPU may be halted too: 20-25 us per wake-up here),
 * while in a ping-pong the notify often comes within a microsecond or two of
 * the wait.  So a waiter first spins, for at most ATOM_SPIN_NS of
 * CLOCK_MONOTONIC time and never past its deadline, watching its word; only
 * if no notify came does it go to sleep.  On a machine with one CPU a waiter
 * never spins: the notifier cannot run while it does.
 *
 * Nor can it when the two threads share a CPU on a bigger machine (the other
 * CPUs busy with other work): then every spin holds the notifier off for the
 * whole spin, and the ping-pong took 8x native's round trip.  Yielding the
 * CPU while spinning fixed that, but under load it hurt more than it helped:
 * the scheduler (EEVDF) pushes a yielding thread's deadline back a whole
 * slice, so a waiter handed its CPU to an unrelated process for milliseconds
 * and missed its notify.  Instead each bucket learns: a notifier that finds
 * its waiter asleep (the spin was in vain) looks at the CPU the waiter last
 * ran on; if it is the notifier's own, spinning was futile there, and the
 * bucket's next ATOM_SPIN_SKIP waits go straight to sleep (the one after
 * them tries spinning again, in case the threads have spread out since); if
 * it is another CPU, the waiter just came too early, and the next waits spin.
 * (Ping-pong round trips, 2-vCPU VM under load: threads on one CPU ~5 us,
 * as native; on two ~1.5-3 us, native 50-90 us; and with a CPU hog beside
 * one of them ~3 us, native ~140 us, the yielding spin ~120-200 us.)
 * Waits with a deadline closer than the spin spin to it anyway: sleeping in
 * the kernel would overshoot it by the timer slack (~50 us).
 *
 * The sleeping bit.  The word's low bit, ATOM_SLEEPING, says that its waiter
 * is asleep in FUTEX_WAIT or about to be; the rest of the word is the notify
 * counter (a notify adds ATOM_BUMP = 2).  A notifier bumps the word with an
 * atomic add and calls FUTEX_WAKE only if the bit was set, so a waiter caught
 * spinning costs neither side a system call.  No wake-up can be lost: the
 * waiter sets the bit with a compare-exchange from the value it parked with,
 * and the notifier's add is a read-modify-write of the same word, so one of
 * the two comes first in the word's modification order.  If the add does,
 * the compare-exchange fails and the waiter returns without sleeping.  If the
 * compare-exchange does, the add sees the bit and the notifier calls
 * FUTEX_WAKE, which either finds the waiter asleep or comes before its
 * FUTEX_WAIT, and then the kernel finds the word changed (EAGAIN).
 *
 * The notifier calls FUTEX_WAKE after it has dropped the bucket lock, so the
 * woken thread does not run into it.  That is why waiter records are not on
 * the waiters' stacks but belong to the lot (a free list per bucket, freed
 * with the lot): a FUTEX_WAKE that comes late, after its waiter has returned,
 * hits a record that still exists -- free, or parking another thread.  Two
 * threads can then be asleep on one word: the record's previous user, picked
 * but not yet woken, and its new user.  So FUTEX_WAKE wakes all the word's
 * sleepers, not one: the thread it was meant for surely wakes, and the new
 * user, if woken, sees that its counter has not moved and sleeps on.  (Waking
 * under the lock, with the word on the stack, was tried: the woken thread
 * then has to wait until the notifier is out of the system call, by taking
 * the lock or spinning, which cost 2-4x the round trip.)
 *
 * Lock order: a bucket lock is a leaf; no two bucket locks are ever held at
 * once (atom_wake_all takes them one after the other).
 */
#define _GNU_SOURCE /* sched_getcpu */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "atomics/parking_lot.h"

/* Enough buckets that unrelated addresses rarely share a lock; a lot is made
 * only for memories that actually wait or notify. */
#define ATOM_BUCKETS 128u
#define ATOM_BUCKET_SHIFT 7u /* log2(ATOM_BUCKETS) */

/* How long a waiter spins before it sleeps in the kernel.  In the ping-pong
 * of bench/threaded a notify comes well under 1 us after the wait when both
 * threads have a CPU (the whole round trip takes 0.3-0.5 us); 20 us also
 * covers a notifier that is slower (a longer critical section, a page fault)
 * while costing little when nobody comes: a wait that does sleep costs a
 * wake-up of 20-25 us on this VM anyway. */
#define ATOM_SPIN_NS 20000
/* Pause instructions between two looks at the clock while spinning: a look
 * costs ~20-50 ns through the vDSO, a pause ~10-40 ns. */
#define ATOM_SPIN_CHECK 16u
/* Waits of a bucket that go straight to sleep after a notifier found a
 * sleeper that had spun on the notifier's own CPU.  One wait in 65 then
 * probes with a spin: when the threads do share a CPU that costs ~0.3 us a
 * wait on average; when they have spread out, the probe succeeds within
 * ~2 ms and the bucket spins again. */
#define ATOM_SPIN_SKIP 64u

/* The futex word's low bit: the waiter is asleep in FUTEX_WAIT, or about to
 * be, so a notifier must call FUTEX_WAKE.  The counter is the rest. */
#define ATOM_SLEEPING 1u
#define ATOM_BUMP 2u

/* A waiter record: on its bucket's queue while a thread is parked in it, else
 * on the bucket's free list.  Every field but `word` is guarded by the bucket
 * lock.  `word`'s counter only grows (wrapping): a notifier that picks the
 * record adds ATOM_BUMP, under the lock.  Its waiter reads it without the
 * lock and sets ATOM_SLEEPING without the lock (a compare-exchange from the
 * value it parked with), and whoever takes the record for a new wait clears
 * that bit under the lock (atom_wait says why nobody else writes the word
 * then).  A waiter could mistake its counter only by sleeping or spinning
 * through 2^31 notifies of its record. */
typedef struct atom_waiter {
    struct atom_waiter *next, *prev;
    uint64_t addr;         /* the byte address waited on */
    _Atomic uint32_t word; /* the futex word: counter | ATOM_SLEEPING */
    /* The CPU the waiter ran on when it went to sleep (-1: unknown), written
     * before ATOM_SLEEPING is set and read by the notifier that sees the bit.
     * Only a hint for the spin heuristic: a stale value costs speed, never
     * correctness. */
    _Atomic int sleep_cpu;
} atom_waiter;

typedef struct atom_bucket {
    pthread_mutex_t lock;
    atom_waiter *head, *tail; /* FIFO: head is the oldest; guarded by lock */
    atom_waiter *spare;       /* free records, linked by next; guarded by lock */
    unsigned spin_skip;       /* waits left that must not spin; guarded by lock */
} __attribute__((aligned(64))) atom_bucket; /* one cache line each: no false sharing */

struct atom_lot {
    atom_bucket buckets[ATOM_BUCKETS];
    bool spin; /* more than one CPU online when the lot was made */
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
    /* Asked once per lot, not per wait: sysconf reads /sys.  Not the calling
     * thread's CPU mask: threads pinned one to a CPU are where spinning pays
     * best, and the first waiter's mask says nothing about the others'.  A
     * process confined to one CPU (taskset) is left to the buckets' learning
     * (spin_skip).  A CPU brought online later costs speed, never a wake-up. */
    lot->spin = sysconf(_SC_NPROCESSORS_ONLN) > 1;
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

/* Sleeps while *word == value, until woken or the absolute CLOCK_MONOTONIC
 * `deadline` (NULL: none).  FUTEX_WAIT_BITSET takes an absolute time, on
 * CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME is given.  Returns 0 or the
 * errno (ETIMEDOUT; EAGAIN when the word had changed; EINTR). */
static int futex_sleep(_Atomic uint32_t *word, uint32_t value, const struct timespec *deadline)
{
    long rc = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, value,
                      deadline, NULL, FUTEX_BITSET_MATCH_ANY);
    return rc == 0 ? 0 : errno;
}

/* Wakes every thread asleep on `word`: normally one, two when a late wake
 * meets the record's next user (see the top of the file). */
static void futex_wake(_Atomic uint32_t *word)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0);
}

/* The words of the sleeping waiters a notifier picked, woken after the
 * unlock; when more are picked than it holds, the rest are woken under the
 * lock (just as correct, since records outlive their waiters). */
#define ATOM_WAKE_BATCH 16u
typedef struct wake_list {
    _Atomic uint32_t *words[ATOM_WAKE_BATCH];
    unsigned n;
} wake_list;

static void wake_list_run(wake_list *wl)
{
    for (unsigned i = 0; i < wl->n; i++)
        futex_wake(wl->words[i]);
    wl->n = 0;
}

/* Picks `w` (bucket lock held): unlinks it, bumps its word -- from here on its
 * waiter may return -- and gives the record back to the bucket.  The bump is
 * a read-modify-write, not a load and a store, because the waiter may set
 * ATOM_SLEEPING at the same moment; its old value says whether the waiter
 * needs a FUTEX_WAKE (if the bit was clear, the waiter's compare-exchange
 * will fail and it will not sleep).  Release publishes the notifier's
 * writes to the waiter; acquire makes the waiter's sleep_cpu visible. */
static void queue_wake(atom_bucket *b, atom_waiter *w, wake_list *wl)
{
    queue_unlink(b, w);
    uint32_t old = atomic_fetch_add_explicit(&w->word, ATOM_BUMP, memory_order_acq_rel);
    w->next = b->spare;
    b->spare = w;
    if (!(old & ATOM_SLEEPING))
        return;
    /* The waiter slept: if it did so on this very CPU, its spin (if any) only
     * kept us from running, so the bucket stops spinning for a while; if on
     * another, spinning may well catch the next notify. */
    int cpu = atomic_load_explicit(&w->sleep_cpu, memory_order_relaxed);
    b->spin_skip = cpu >= 0 && cpu == sched_getcpu() ? ATOM_SPIN_SKIP : 0;
    if (wl->n == ATOM_WAKE_BATCH)
        wake_list_run(wl);
    wl->words[wl->n++] = &w->word;
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

/* now + ns on CLOCK_MONOTONIC (ns >= 0).  With a 64-bit time_t (the
 * engine's 8 GiB reservations already need a 64-bit host) even INT64_MAX ns,
 * ~292 years, cannot overflow it. */
_Static_assert(sizeof(time_t) == 8, "the deadline arithmetic needs a 64-bit time_t");
static struct timespec time_after(int64_t ns)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(ns / 1000000000);
    t.tv_nsec += (long)(ns % 1000000000);
    if (t.tv_nsec >= 1000000000) {
        t.tv_nsec -= 1000000000;
        t.tv_sec++;
    }
    return t;
}

static bool time_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* One step of a spin loop: tells the CPU (and, on an SMT core, its sibling)
 * that we are busy-waiting; elsewhere it only keeps the compiler honest. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* ---- the waiter's side, after the unlock -------------------------------- */

/* Spins while `word` still holds `parked`, until the clock reaches `until`;
 * returns whether a notify bumped it, and leaves in *now the last reading of
 * the clock.  ATOM_SLEEPING is clear all along (only this waiter sets it), so
 * comparing the whole word is comparing the counter. */
static bool spin_for_notify(_Atomic uint32_t *word, uint32_t parked, const struct timespec *until,
                            struct timespec *now)
{
    for (;;) {
        for (unsigned i = 0; i < ATOM_SPIN_CHECK; i++) {
            if (atomic_load_explicit(word, memory_order_acquire) != parked)
                return true;
            cpu_relax();
        }
        clock_gettime(CLOCK_MONOTONIC, now);
        if (!time_before(now, until))
            return false;
    }
}

/* The deadline passed with no bump seen.  Under the lock: a notify may have
 * landed between the timeout and now; then it chose us and counted us (and
 * took the record), so we report 0, not 2.  Else we leave the queue. */
static uint32_t wait_timed_out(atom_bucket *b, atom_waiter *w, uint32_t parked)
{
    uint32_t result = ATOM_WAIT_OK;
    pthread_mutex_lock(&b->lock);
    if ((atomic_load_explicit(&w->word, memory_order_acquire) & ~ATOM_SLEEPING) == parked) {
        queue_unlink(b, w);
        w->next = b->spare;
        b->spare = w;
        result = ATOM_WAIT_TIMED_OUT;
    }
    pthread_mutex_unlock(&b->lock);
    return result;
}

/* Waits, queued in `w` with counter `parked` (ATOM_SLEEPING clear), until a
 * notify bumps the counter (ATOM_WAIT_OK) or the deadline passes
 * (ATOM_WAIT_TIMED_OUT).  `spin`: whether the bucket says spinning may pay
 * (a wait whose deadline is closer than the spin spins to it regardless,
 * when there is more than one CPU).  Every "notified" verdict comes from an
 * acquire read of a changed counter, which pairs with the notifier's release
 * add. */
static uint32_t wait_for_notify(const struct atom_lot *lot, atom_bucket *b, atom_waiter *w,
                                uint32_t parked, bool spin, bool has_deadline,
                                const struct timespec *deadline)
{
    _Atomic uint32_t *word = &w->word;
    if (lot->spin) {
        /* Never past the deadline: a 1 us timeout ends after ~1 us, not 20. */
        struct timespec until = time_after(ATOM_SPIN_NS), now;
        if (has_deadline && time_before(deadline, &until)) {
            until = *deadline;
            spin = true;
        }
        if (spin) {
            if (spin_for_notify(word, parked, &until, &now))
                return ATOM_WAIT_OK;
            if (has_deadline && !time_before(&now, deadline))
                return wait_timed_out(b, w, parked);
        }
    }
    /* Going to sleep.  If a notify came first, the compare-exchange fails and
     * there is nothing to sleep for; if it comes later, it sees the bit and
     * calls FUTEX_WAKE (the top of the file has the whole argument).  Release
     * hands sleep_cpu to that notifier. */
    atomic_store_explicit(&w->sleep_cpu, sched_getcpu(), memory_order_relaxed);
    uint32_t seen = parked;
    if (!atomic_compare_exchange_strong_explicit(word, &seen, parked | ATOM_SLEEPING,
                                                 memory_order_acq_rel, memory_order_acquire))
        return ATOM_WAIT_OK;
    for (;;) {
        int rc = futex_sleep(word, parked | ATOM_SLEEPING, has_deadline ? deadline : NULL);
        if ((atomic_load_explicit(word, memory_order_acquire) & ~ATOM_SLEEPING) != parked)
            return ATOM_WAIT_OK;
        if (rc == ETIMEDOUT)
            return wait_timed_out(b, w, parked);
        /* A deadline the kernel cannot take (EINVAL) is as good as none: wait
         * without it rather than spin.  EINTR, EAGAIN and a late wake meant
         * for an earlier user of the record: look again. */
        if (rc == EINVAL)
            has_deadline = false;
    }
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
    struct timespec deadline = has_deadline ? time_after(timeout_ns) : (struct timespec){0};

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
        atomic_init(&w->sleep_cpu, -1);
    } else {
        pthread_mutex_unlock(&b->lock);
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "cannot park a waiter");
    }
    w->addr = addr;
    queue_push(b, w);
    /* A new wait starts with ATOM_SLEEPING clear (a previous user may have
     * left it set).  A plain store is safe because nobody else can write the
     * word now.  Notifiers write only queued records, under this lock, and
     * the record was free.  Its previous user, if any, is either done with
     * the word or was picked by a notifier: a user that timed out gave the
     * record back itself, under this lock, as its last touch of the word.
     * One that was picked may still be spinning, or between its spin and
     * its compare-exchange, or asleep in the kernel; but the notifier added
     * ATOM_BUMP, so the counter is no longer the one that user parked with
     * (short of 2^31 further bumps), its compare-exchange fails -- a failed
     * compare-exchange writes nothing -- and it returns.  Its late
     * FUTEX_WAKE, if any, is harmless (see the top of the file). */
    _Atomic uint32_t *word = &w->word;
    uint32_t parked = atomic_load_explicit(word, memory_order_relaxed) & ~ATOM_SLEEPING;
    atomic_store_explicit(word, parked, memory_order_relaxed);
    bool spin = b->spin_skip == 0;
    if (!spin)
        b->spin_skip--;
    /* `w` is the notifier's from the unlock on: only its word (and the hint
     * sleep_cpu) may be used. */
    pthread_mutex_unlock(&b->lock);

    *result = wait_for_notify(lot, b, w, parked, spin, has_deadline, &deadline);

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

/*
 * sync.c -- mutex, condition variable and barrier over
 * memory.atomic.wait32/notify (see weft_guest.h).  Every shared word is
 * accessed with seq-cst __atomic builtins, which -matomics lowers to the
 * threads proposal's i32.atomic.* instructions.
 */
#include "weft_guest.h"

static inline uint32_t load(uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static inline uint32_t xchg(uint32_t *p, uint32_t v)
{
    return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}

/* ---- mutex ------------------------------------------------------------------
 * The three-state futex mutex: 0 unlocked, 1 locked, 2 locked with possible
 * waiters.  The uncontended lock and unlock are one atomic each; unlock
 * notifies only when the state says someone may sleep. */

void wg_mutex_lock(wg_mutex *m)
{
    uint32_t c = 0;
    if (__atomic_compare_exchange_n(&m->state, &c, 1, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST))
        return;
    /* Contended: mark the lock as having waiters, and sleep until we are the
     * one that turns 0 into 2. */
    if (c != 2)
        c = xchg(&m->state, 2);
    while (c != 0) {
        wg_wait32(&m->state, 2, -1);
        c = xchg(&m->state, 2);
    }
}

bool wg_mutex_trylock(wg_mutex *m)
{
    uint32_t c = 0;
    return __atomic_compare_exchange_n(&m->state, &c, 1, false, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST);
}

void wg_mutex_unlock(wg_mutex *m)
{
    if (__atomic_fetch_sub(&m->state, 1, __ATOMIC_SEQ_CST) != 1) {
        __atomic_store_n(&m->state, 0, __ATOMIC_SEQ_CST);
        wg_notify(&m->state, 1);
    }
}

/* Re-acquires after a condition wait.  Other waiters may have been woken by
 * a broadcast and be queued on the mutex, so take it in state 2 to make sure
 * our unlock wakes the next one. */
static void lock_contended(wg_mutex *m)
{
    while (xchg(&m->state, 2) != 0)
        wg_wait32(&m->state, 2, -1);
}

/* ---- condition variable ---------------------------------------------------------
 * The waiter reads the sequence number while it still holds the mutex; a
 * signal bumps it before notifying, so a signal sent between our unlock and
 * our wait makes wait32 return at once ("not-equal") instead of being lost. */

static bool cond_wait(wg_cond *c, wg_mutex *m, int64_t timeout_ns)
{
    uint32_t seq = load(&c->seq);
    wg_mutex_unlock(m);
    int r = wg_wait32(&c->seq, seq, timeout_ns);
    lock_contended(m);
    return r != 2;
}

void wg_cond_wait(wg_cond *c, wg_mutex *m)
{
    cond_wait(c, m, -1);
}

bool wg_cond_timedwait(wg_cond *c, wg_mutex *m, int64_t timeout_ns)
{
    return cond_wait(c, m, timeout_ns < 0 ? 0 : timeout_ns);
}

void wg_cond_signal(wg_cond *c)
{
    __atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
    wg_notify(&c->seq, 1);
}

void wg_cond_broadcast(wg_cond *c)
{
    __atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
    wg_notify(&c->seq, WG_WAKE_ALL);
}

/* ---- barrier ----------------------------------------------------------------------
 * The last thread to arrive resets the count and then bumps the generation,
 * which releases the others.  Nobody can arrive for the next phase before the
 * generation moves (they are all still waiting), so the reset cannot race. */

void wg_barrier_init(wg_barrier *b, uint32_t count)
{
    b->count = count;
    __atomic_store_n(&b->arrived, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&b->generation, 0, __ATOMIC_SEQ_CST);
}

bool wg_barrier_wait(wg_barrier *b)
{
    uint32_t gen = load(&b->generation);
    if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_SEQ_CST) == b->count) {
        __atomic_store_n(&b->arrived, 0, __ATOMIC_SEQ_CST);
        __atomic_fetch_add(&b->generation, 1, __ATOMIC_SEQ_CST);
        wg_notify(&b->generation, WG_WAKE_ALL);
        return true;
    }
    while (load(&b->generation) == gen)
        wg_wait32(&b->generation, gen, -1);
    return false;
}

/*
 * group.c -- thread groups (thr_group_): member threads, thread ids, the
 * group's status and its termination (DESIGN.md invariant 4; see group.h).
 *
 * A member is on one of two lists: `live` while its function runs, `done`
 * once it has returned and released its id but its OS thread has not been
 * joined.  Finished threads are joined lazily, by the next spawn or by
 * thr_group_join, so a thread never has to join itself and a program that
 * spawns threads forever does not accumulate OS threads.
 *
 * The lock is never held across pthread_create or pthread_join: both take
 * tens of microseconds (the thread's stack, its exit and TSD destructors),
 * and members that end meanwhile would block on the lock, each costing two
 * more futex calls and a context switch (bench/threaded: spawn).  A member is
 * on `live` before its thread is created; its thread records its own
 * pthread_t, under the lock, before it moves to `done`, so the joiner never
 * reads a handle pthread_create has not written yet.
 */
#include <limits.h>
#include <pthread.h>

#include "engine/engine.h"
#include "threads/group.h"

/* Negative results of thr_group_spawn: WASI errno values. */
enum { WASI_EAGAIN_ = 6, WASI_ENOMEM_ = 48 };

typedef struct thr_member {
    struct thr_member *prev, *next; /* on `live` or `done` (guarded by lock) */
    thr_group *group;
    uint32_t tid;
    pthread_t thread;               /* set by the member itself, under lock, before `done` */
    thr_context *ctx;               /* made by the spawner; kept or freed after the join */
    thr_member_fn fn;
    void *arg;
    void (*drop)(void *arg);
} thr_member;

struct thr_group {
    weft_engine *engine;
    thr_group_config cfg;           /* immutable */
    _Atomic int terminate;          /* set once, by thr_group_end */

    pthread_mutex_t lock;           /* guards everything below */
    pthread_cond_t member_done;     /* a member moved to `done` */
    thr_member *live, *done;
    uint32_t nlive;
    uint64_t *tid_bits;             /* bit t set: id t in use (bit 0: the entry thread) */
    uint32_t tid_words;
    uint32_t tid_hint;              /* no free id in words below it */
    thr_context *spare[THR_GROUP_SPARE_CONTEXTS]; /* of joined members, for reuse */
    uint32_t nspare;
    bool ended;
    weft_status status;
    weft_error err;
};

/* ---- thread ids -------------------------------------------------------------------- */

/* Lowest free id in [1, THR_GROUP_MAX_TID], or 0 when none (or out of
 * memory).  Called under lock. */
static uint32_t tid_alloc(thr_group *g)
{
    for (uint32_t w = g->tid_hint;; w++) {
        if (w == g->tid_words) {
            uint32_t n = g->tid_words ? g->tid_words * 2 : 4;
            uint64_t *bits = eng_realloc(g->engine, g->tid_bits, (size_t)n * sizeof *bits);
            if (!bits)
                return 0;
            memset(bits + g->tid_words, 0, (size_t)(n - g->tid_words) * sizeof *bits);
            if (g->tid_words == 0)
                bits[0] = 1; /* id 0 is the entry thread's */
            g->tid_bits = bits;
            g->tid_words = n;
        }
        uint64_t free_bits = ~g->tid_bits[w];
        if (!free_bits) {
            g->tid_hint = w + 1;
            continue;
        }
        uint32_t tid = w * 64 + (uint32_t)__builtin_ctzll(free_bits);
        if (tid > THR_GROUP_MAX_TID)
            return 0;
        g->tid_bits[w] |= (uint64_t)1 << (tid % 64);
        g->tid_hint = w;
        return tid;
    }
}

static void tid_free(thr_group *g, uint32_t tid)
{
    g->tid_bits[tid / 64] &= ~((uint64_t)1 << (tid % 64));
    if (tid / 64 < g->tid_hint)
        g->tid_hint = tid / 64;
}

/* ---- lists ------------------------------------------------------------------------- */

static void list_push(thr_member **head, thr_member *m)
{
    m->prev = NULL;
    m->next = *head;
    if (*head)
        (*head)->prev = m;
    *head = m;
}

static void list_remove(thr_member **head, thr_member *m)
{
    if (m->prev)
        m->prev->next = m->next;
    else
        *head = m->next;
    if (m->next)
        m->next->prev = m->prev;
}

/* Takes every finished member off `done` (under lock), for join_members. */
static thr_member *take_done(thr_group *g)
{
    thr_member *list = g->done;
    g->done = NULL;
    return list;
}

/* Keeps a joined member's context for the next spawn, or frees it. */
static void keep_context(thr_group *g, thr_context *ctx)
{
    pthread_mutex_lock(&g->lock);
    if (g->nspare < THR_GROUP_SPARE_CONTEXTS) {
        g->spare[g->nspare++] = ctx;
        ctx = NULL;
    }
    pthread_mutex_unlock(&g->lock);
    thr_context_free(ctx);
}

/* A context for a new member: a spare one, or a new one. */
static thr_context *get_context(thr_group *g)
{
    pthread_mutex_lock(&g->lock);
    thr_context *ctx = g->nspare ? g->spare[--g->nspare] : NULL;
    pthread_mutex_unlock(&g->lock);
    if (ctx)
        return thr_context_reuse(ctx);
    return thr_context_new(g->cfg.stack_bytes, eng_config(g->engine)->value_stack_bytes);
}

/* Joins and frees the members take_done returned (without the lock: their
 * threads only have to return, and they no longer need it for that). */
static void join_members(thr_group *g, thr_member *list)
{
    while (list) {
        thr_member *next = list->next;
        pthread_join(list->thread, NULL);
        keep_context(g, list->ctx);
        eng_free(g->engine, list);
        list = next;
    }
}

/* ---- the group --------------------------------------------------------------------- */

weft_status thr_group_new(weft_engine *e, const thr_group_config *cfg, thr_group **out,
                          weft_error *err)
{
    thr_group *g = eng_calloc(e, 1, sizeof *g);
    if (!g)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "thread group");
    g->engine = e;
    if (cfg)
        g->cfg = *cfg;
    if (g->cfg.max_threads == 0)
        g->cfg.max_threads = THR_GROUP_DEFAULT_MAX_THREADS;
    if (g->cfg.max_threads > THR_GROUP_MAX_TID)
        g->cfg.max_threads = THR_GROUP_MAX_TID;
    if (g->cfg.stack_bytes == 0)
        g->cfg.stack_bytes = THR_GROUP_DEFAULT_STACK_BYTES;
    if (g->cfg.stack_bytes < PTHREAD_STACK_MIN)
        g->cfg.stack_bytes = PTHREAD_STACK_MIN;
    atomic_init(&g->terminate, 0);
    if (pthread_mutex_init(&g->lock, NULL) != 0) {
        eng_free(e, g);
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "thread group lock");
    }
    if (pthread_cond_init(&g->member_done, NULL) != 0) {
        pthread_mutex_destroy(&g->lock);
        eng_free(e, g);
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "thread group lock");
    }
    *out = g;
    return WEFT_OK;
}

void thr_group_free(thr_group *g)
{
    if (!g)
        return;
    if (!thr_group_ending(g)) {
        weft_error e;
        err_set(&e, WEFT_E_TERMINATED, WEFT_NO_OFFSET, "(the group was freed)");
        thr_group_end(g, WEFT_TRAP, &e);
    }
    thr_group_join(g);
    for (uint32_t i = 0; i < g->nspare; i++)
        thr_context_free(g->spare[i]);
    pthread_cond_destroy(&g->member_done);
    pthread_mutex_destroy(&g->lock);
    eng_free(g->engine, g->tid_bits);
    eng_free(g->engine, g);
}

bool thr_group_ending(const thr_group *g)
{
    return atomic_load_explicit(&((thr_group *)g)->terminate, memory_order_seq_cst) != 0;
}

static void set_member(thr_context *ctx, thr_group *g, uint32_t tid)
{
    ctx->terminate = g ? &g->terminate : NULL;
    ctx->group = g;
    ctx->tid = tid;
}

bool thr_group_attach(thr_group *g, uint32_t tid, thr_attach *saved)
{
    thr_context *ctx = thr_current(eng_config(g->engine)->value_stack_bytes);
    if (!ctx)
        return false;
    *saved = (thr_attach){.ctx = ctx, .terminate = ctx->terminate, .tid = ctx->tid,
                          .group = ctx->group};
    set_member(ctx, g, tid);
    return true;
}

void thr_group_detach(const thr_attach *saved)
{
    saved->ctx->terminate = saved->terminate;
    saved->ctx->group = saved->group;
    saved->ctx->tid = saved->tid;
}

bool thr_group_end(thr_group *g, weft_status st, const weft_error *err)
{
    pthread_mutex_lock(&g->lock);
    bool first = !g->ended;
    if (first) {
        g->ended = true;
        g->status = st;
        if (err)
            g->err = *err;
        else
            err_set(&g->err, WEFT_E_NONE, WEFT_NO_OFFSET, NULL);
        g->err.status = st;
    }
    pthread_mutex_unlock(&g->lock);
    if (!first)
        return false;
    /* Flag first, then wake: a waiter reads the flag under its bucket lock
     * before parking, so it either sees the flag or is parked and woken
     * (parking_lot.h).  The same order holds for WASI's blocking calls. */
    atomic_store_explicit(&g->terminate, 1, memory_order_seq_cst);
    if (g->cfg.memory)
        weft_memory_wake_all(g->cfg.memory);
    if (g->cfg.interrupt)
        g->cfg.interrupt(g->cfg.interrupt_user);
    return true;
}

void thr_group_join(thr_group *g)
{
    bool more;
    do {
        pthread_mutex_lock(&g->lock);
        while (g->live && !g->done)
            pthread_cond_wait(&g->member_done, &g->lock);
        thr_member *done = take_done(g);
        more = g->live != NULL;
        pthread_mutex_unlock(&g->lock);
        join_members(g, done);
    } while (more);
}

weft_status thr_group_status(thr_group *g, weft_error *err)
{
    pthread_mutex_lock(&g->lock);
    weft_status st = g->ended ? g->status : WEFT_OK;
    if (err) {
        if (g->ended)
            *err = g->err;
        else
            err_set(err, WEFT_E_NONE, WEFT_NO_OFFSET, NULL);
    }
    pthread_mutex_unlock(&g->lock);
    return st;
}

uint32_t thr_group_live(thr_group *g)
{
    pthread_mutex_lock(&g->lock);
    uint32_t n = g->nlive;
    pthread_mutex_unlock(&g->lock);
    return n;
}

/* ---- member threads ------------------------------------------------------------------ */

static void *member_main(void *p)
{
    thr_member *m = p;
    thr_group *g = m->group;
    weft_error err;
    /* Nothing left to allocate here: thr_group_spawn made the context. */
    thr_context_adopt(m->ctx);
    set_member(m->ctx, g, m->tid);
    weft_status st = m->fn(m->arg, m->tid, &err);
    set_member(m->ctx, NULL, 0);
    if (st != WEFT_OK) {
        err.status = st;
        err.thread_id = m->tid;
        thr_group_end(g, st, &err);
    }
    if (m->drop)
        m->drop(m->arg);
    thr_context_leave(m->ctx);

    pthread_mutex_lock(&g->lock);
    m->thread = pthread_self();
    tid_free(g, m->tid);
    list_remove(&g->live, m);
    g->nlive--;
    list_push(&g->done, m);
    pthread_cond_broadcast(&g->member_done);
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

/* Takes a member that never ran off `live` and gives its id back. */
static void unspawn(thr_group *g, thr_member *m)
{
    pthread_mutex_lock(&g->lock);
    list_remove(&g->live, m);
    g->nlive--;
    tid_free(g, m->tid);
    pthread_cond_broadcast(&g->member_done); /* `live` changed */
    pthread_mutex_unlock(&g->lock);
}

int32_t thr_group_spawn(thr_group *g, thr_member_fn fn, void *arg, void (*drop)(void *arg))
{
    int32_t result;
    pthread_mutex_lock(&g->lock);
    thr_member *done = take_done(g);
    /* `ended`, not the flag: it is set first, under this lock, so no member
     * joins a group whose status is decided (thr_group_join waits for every
     * member added before anyway). */
    thr_member *m = NULL;
    uint32_t tid = 0;
    if (g->ended || g->nlive >= g->cfg.max_threads) {
        result = -WASI_EAGAIN_;
    } else if (!(m = eng_calloc(g->engine, 1, sizeof *m)) || !(tid = tid_alloc(g))) {
        result = -WASI_ENOMEM_;
    } else {
        *m = (thr_member){.group = g, .tid = tid, .fn = fn, .arg = arg, .drop = drop};
        list_push(&g->live, m);
        g->nlive++;
        result = (int32_t)tid;
    }
    pthread_mutex_unlock(&g->lock);
    /* Joined first, so that their memory is back before the new thread's. */
    join_members(g, done);
    if (result < 0) {
        eng_free(g->engine, m);
        return result;
    }

    /* Everything the thread needs is made here, before its id is returned,
     * so that a thread that starts has nothing left that could fail: the
     * guest learns of a shortage from thread-spawn's result, and the group
     * runs on (DESIGN.md invariant 3). */
    pthread_attr_t attr;
    void *stack;
    size_t stack_bytes;
    m->ctx = get_context(g);
    if (!m->ctx) {
        result = -WASI_ENOMEM_;
    } else if (pthread_attr_init(&attr) != 0) {
        result = -WASI_ENOMEM_;
    } else {
        thr_context_native_stack(m->ctx, &stack, &stack_bytes);
        pthread_t thread;
        if (pthread_attr_setstack(&attr, stack, stack_bytes) != 0 ||
            pthread_create(&thread, &attr, member_main, m) != 0)
            result = -WASI_EAGAIN_;
        pthread_attr_destroy(&attr);
    }
    if (result < 0) {
        unspawn(g, m);
        if (m->ctx)
            keep_context(g, m->ctx);
        eng_free(g->engine, m);
    }
    return result;
}

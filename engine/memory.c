/*
 * memory.c -- linear memory (DESIGN.md invariant 1): the reservation made once
 * when a memory is created, growth in place under the grow lock, reference
 * counting, and the public weft_memory_* API.
 *
 * The base address never moves, so compiled code, other threads and host
 * functions may keep raw pointers into a memory across any grow.  Growth only
 * changes page protections inside the reservation and then publishes the new
 * byte size with a sequentially consistent store: a thread that reads the new
 * size (mem_size) is guaranteed to find the pages accessible.
 *
 * Failure injection (weft_config.grow_fail) lives here too: each memory counts
 * its grows under the grow lock and fails those the setting picks.
 *
 * Nothing here is global: the signal handler learns about a memory's
 * reservation through each thread's context (thr_allow_range), not from us.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "atomics/parking_lot.h"
#include "engine/engine.h"
#include "engine/memory.h"

/* Guard mode covers every u32 address + u32 offset + a 16-byte access:
 * (2^32 - 1) + (2^32 - 1) + 16 < 8 GiB + one page, so no access the
 * interpreter can form reaches past the reservation. */
#define MEM_GUARD_SPAN ((uint64_t)8 << 30)

static size_t os_page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

/* The checks the spec makes of memory limits, for limits that did not come
 * through the validator (the public API); a module's limits already pass. */
static weft_status limits_check(const mod_limits *l, weft_error *err)
{
    bool too_large = l->min > WASM_MAX_PAGES || (l->has_max && l->max > WASM_MAX_PAGES);
    /* The reservation is made once for the maximum: a 64-bit memory past
     * 4 GiB would need more address space than is worth reserving. */
    if (too_large && l->is64)
        return err_set(err, WEFT_E_UNSUPPORTED, WEFT_NO_OFFSET,
                       "memory64 memories larger than 65536 pages");
    if (too_large)
        return err_set(err, WEFT_E_MEMORY_TOO_LARGE, WEFT_NO_OFFSET, NULL);
    if (l->has_max && l->min > l->max)
        return err_set(err, WEFT_E_MIN_OVER_MAX, WEFT_NO_OFFSET, NULL);
    if (l->shared && !l->has_max)
        return err_set(err, WEFT_E_SHARED_NEEDS_MAX, WEFT_NO_OFFSET, NULL);
    return WEFT_OK;
}

/* ---- failure injection (weft_config.grow_fail) ------------------------- */

weft_status mem_grow_fail_check(const weft_grow_fail *f, weft_error *err)
{
    switch (f->mode) {
    case WEFT_GROW_FAIL_NONE:
    case WEFT_GROW_FAIL_AFTER:
        return WEFT_OK;
    case WEFT_GROW_FAIL_EVERY:
        if (f->n == 0)
            return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                           "grow_fail: EVERY needs n >= 1");
        return WEFT_OK;
    case WEFT_GROW_FAIL_RANDOM:
        /* Written so that NaN fails too. */
        if (!(f->probability >= 0.0 && f->probability <= 1.0))
            return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                           "grow_fail: the probability must be between 0 and 1");
        return WEFT_OK;
    }
    return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "grow_fail: unknown mode %d",
                   (int)f->mode);
}

static void fail_init(weft_memory *m, const weft_grow_fail *f)
{
    m->fail_mode = f->mode;
    m->fail_n = f->n;
    /* A draw fails when its top 53 bits, an integer x, are below
     * probability * 2^53: never for 0, always for 1, and no floating point
     * per grow.  x < y for a real y is x < ceil(y). */
    double limit = f->mode == WEFT_GROW_FAIL_RANDOM ? f->probability * 0x1p53 : 0.0;
    m->fail_below = (uint64_t)limit;
    if ((double)m->fail_below < limit)
        m->fail_below++;
    m->fail_rng = f->seed;
    m->grows = 0;
}

/* splitmix64 (Steele, Lea, Flood 2014): one 64-bit draw per call. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Counts one grow of delta > 0 and says whether the injection fails it.
 * Called with grow_lock held, which makes the numbering and the PRNG's
 * sequence follow the order the lock admits the grows. */
static bool fail_this_grow(weft_memory *m)
{
    uint64_t k = ++m->grows;
    switch (m->fail_mode) {
    case WEFT_GROW_FAIL_NONE: return false;
    case WEFT_GROW_FAIL_AFTER: return k > m->fail_n;
    case WEFT_GROW_FAIL_EVERY: return k % m->fail_n == 0;
    case WEFT_GROW_FAIL_RANDOM: return (splitmix64(&m->fail_rng) >> 11) < m->fail_below;
    }
    return false;
}

weft_status mem_new(weft_engine *e, const mod_limits *limits, weft_memory **out, weft_error *err)
{
    weft_status st = WEFT_OK;
    weft_memory *m = NULL;
    bool locked_init = false;

    TRY(limits_check(limits, err));
    m = eng_calloc(e, 1, sizeof *m);
    if (!m) {
        st = err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
        goto fail;
    }
    m->engine = e;
    atomic_init(&m->refs, 1);
    atomic_init(&m->size, 0);
    m->has_max = limits->has_max;
    m->shared = limits->shared;
    m->max_pages = limits->has_max ? limits->max : WASM_MAX_PAGES;
    uint64_t cap = eng_config(e)->max_memory_bytes / WASM_PAGE_SIZE;
    m->cap_pages = eng_config(e)->max_memory_bytes && cap < m->max_pages ? cap : m->max_pages;
    if (limits->min > m->cap_pages) {
        st = err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                     "(a memory of %llu pages, %llu bytes, is over the engine's "
                     "limit of %llu bytes, max_memory_bytes)",
                     (unsigned long long)limits->min,
                     (unsigned long long)limits->min * WASM_PAGE_SIZE,
                     (unsigned long long)m->cap_pages * WASM_PAGE_SIZE);
        goto fail;
    }
    /* Memory64 has no guard region that could cover a 64-bit address. */
    m->software_bounds = eng_config(e)->bounds == WEFT_BOUNDS_SOFTWARE || limits->is64;
    m->lot = NULL;
    fail_init(m, &eng_config(e)->grow_fail);

    if (pthread_mutex_init(&m->grow_lock, NULL) != 0) {
        st = err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "cannot create the grow lock");
        goto fail;
    }
    locked_init = true;

    size_t page = os_page_size();
    if (m->software_bounds) {
        /* Only what the memory may ever hold; at least one page so that base
         * is a real, unique address even for a memory of maximum 0. */
        uint64_t bytes = m->cap_pages * WASM_PAGE_SIZE;
        m->reserved = bytes ? (size_t)bytes : page;
    } else {
        m->reserved = (size_t)(MEM_GUARD_SPAN + page);
    }
    void *base = mmap(NULL, m->reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                      -1, 0);
    if (base == MAP_FAILED) {
        st = err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                     "cannot reserve %zu bytes of address space", m->reserved);
        goto fail;
    }
    m->base = base;

    uint64_t bytes = limits->min * WASM_PAGE_SIZE;
    if (bytes && mprotect(m->base, (size_t)bytes, PROT_READ | PROT_WRITE) != 0) {
        st = err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                     "cannot commit %llu pages", (unsigned long long)limits->min);
        goto fail;
    }
    atomic_store_explicit(&m->size, bytes, memory_order_seq_cst);
    *out = m;
    return WEFT_OK;

fail:
    if (m) {
        if (m->base)
            munmap(m->base, m->reserved);
        if (locked_init)
            pthread_mutex_destroy(&m->grow_lock);
        eng_free(e, m);
    }
    return st;
}

void mem_retain(weft_memory *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void mem_release(weft_memory *m)
{
    if (!m)
        return;
    /* acq_rel: every thread's last use happens before the unmap. */
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
        return;
    atom_lot_free(m->engine, m->lot);
    munmap(m->base, m->reserved);
    pthread_mutex_destroy(&m->grow_lock);
    eng_free(m->engine, m);
}

int64_t mem_grow_why(weft_memory *m, uint64_t delta, bool *injected)
{
    int64_t result = -1;
    pthread_mutex_lock(&m->grow_lock);
    /* Only grows store the size, and they hold the lock: relaxed is enough. */
    uint64_t old_bytes = atomic_load_explicit(&m->size, memory_order_relaxed);
    uint64_t old_pages = old_bytes / WASM_PAGE_SIZE;
    /* Counted before the limit check: grow k's fate depends on k alone. */
    if (delta && fail_this_grow(m)) {
        if (injected)
            *injected = true;
        goto out;
    }
    if (delta > m->cap_pages - old_pages)
        goto out;
    if (delta) {
        uint8_t *from = m->base + old_bytes;
        size_t len = (size_t)(delta * WASM_PAGE_SIZE);
        if (mprotect(from, len, PROT_READ | PROT_WRITE) != 0) {
            /* A partial failure may have opened some pages: close them again
             * so that an access past the size still faults. */
            int saved = errno;
            mprotect(from, len, PROT_NONE);
            errno = saved;
            goto out;
        }
        /* seq_cst: a thread that sees the new size also sees the pages open
         * (and memory.size agrees across threads in one total order). */
        atomic_store_explicit(&m->size, old_bytes + delta * WASM_PAGE_SIZE, memory_order_seq_cst);
    }
    result = (int64_t)old_pages;
out:
    pthread_mutex_unlock(&m->grow_lock);
    return result;
}

/* ---- public API ------------------------------------------------------- */

WEFT_API weft_status weft_memory_new(weft_engine *engine, const weft_limits *limits,
                                     weft_memory **out, weft_error *err)
{
    if (!engine || !limits || !out)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                       "weft_memory_new needs an engine, limits and an output");
    mod_limits l = {
        .min = limits->min,
        .max = limits->max,
        .has_max = limits->has_max,
        .shared = limits->shared,
        .is64 = false,
    };
    return mem_new(engine, &l, out, err);
}

WEFT_API void weft_memory_free(weft_memory *memory) { mem_release(memory); }

WEFT_API uint8_t *weft_memory_data(const weft_memory *memory) { return memory->base; }

WEFT_API uint64_t weft_memory_size(const weft_memory *memory) { return mem_size(memory); }

WEFT_API void weft_memory_limits(const weft_memory *memory, weft_limits *out)
{
    /* As the spec's memory type of a live memory: its minimum is the current
     * size, which is what import matching compares. */
    out->min = mem_size(memory) / WASM_PAGE_SIZE;
    out->max = memory->has_max ? memory->max_pages : 0;
    out->has_max = memory->has_max;
    out->shared = memory->shared;
}

WEFT_API weft_status weft_memory_grow(weft_memory *memory, uint64_t delta, uint64_t *old_pages,
                                      weft_error *err)
{
    if (!memory)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "no memory");
    bool injected = false;
    int64_t old = mem_grow_why(memory, delta, &injected);
    if (old < 0 && injected)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                       "cannot grow the memory by %llu pages (failure injected by grow_fail)",
                       (unsigned long long)delta);
    if (old < 0)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                       "cannot grow the memory by %llu pages (maximum %llu%s)",
                       (unsigned long long)delta, (unsigned long long)memory->cap_pages,
                       memory->cap_pages < memory->max_pages ? ", max_memory_bytes" : "");
    if (old_pages)
        *old_pages = (uint64_t)old;
    return WEFT_OK;
}

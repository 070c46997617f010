/*
 * memory.h -- linear memory (mem_): one fixed reservation per memory, grown in
 * place with mprotect (DESIGN.md invariant 1).
 *
 * Guard mode: the reservation covers 4 GiB plus a guard of 4 GiB + one page,
 * so that any u32 address + u32 offset + access width lands inside it; pages
 * past the current size are PROT_NONE and an access there faults, which the
 * signal handler (threads/) turns into a trap.  Software mode: the reservation
 * covers the maximum only and every access is checked against mem_size().
 * Either way the base never moves.
 *
 * Lock order: grow_lock is a leaf (nothing else is taken while it is held).
 */
#ifndef WEFT_MEMORY_H
#define WEFT_MEMORY_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine/module.h"

#define WASM_PAGE_SIZE 65536u
#define WASM_MAX_PAGES 65536u /* 4 GiB for 32-bit memories */

struct weft_memory {
    weft_engine *engine;
    _Atomic uint32_t refs;
    uint8_t *base;          /* fixed for the memory's life                          */
    _Atomic uint64_t size;  /* bytes; written under grow_lock with seq_cst, read anywhere */
    uint64_t max_pages;     /* declared maximum, or WASM_MAX_PAGES                   */
    uint64_t cap_pages;     /* what grows may reach: max_pages, or less under the
                               engine's max_memory_bytes                            */
    size_t reserved;        /* bytes of address space reserved at base               */
    bool has_max;
    bool shared;
    bool software_bounds;   /* every access is checked; no guard region               */
    pthread_mutex_t grow_lock; /* serialises grows                                   */
    struct atom_lot *lot;   /* wait/notify parking lot (atomics/), NULL until used    */
    /* Failure injection (weft_config.grow_fail), copied at creation; the two
     * counters change under grow_lock only. */
    weft_grow_fail_mode fail_mode;
    uint64_t fail_n;        /* AFTER, EVERY                                          */
    uint64_t fail_below;    /* RANDOM: a draw's top 53 bits below this fail          */
    uint64_t fail_rng;      /* RANDOM: splitmix64 state; guarded by grow_lock        */
    uint64_t grows;         /* grows counted so far (delta > 0); guarded by grow_lock */
};

/* Creates a memory of `limits` (pages) in the engine's bounds mode. */
WEFT_INTERNAL weft_status mem_new(weft_engine *e, const mod_limits *limits, weft_memory **out,
                                  weft_error *err);
WEFT_INTERNAL void mem_retain(weft_memory *m);
WEFT_INTERNAL void mem_release(weft_memory *m);

/* Grows by `delta` pages: returns the old size in pages, or -1 if the result
 * would pass the maximum or the engine's max_memory_bytes (cap_pages), the pages cannot be committed, or the failure
 * injection chose this grow (then *injected, if not NULL, is set to true).
 * On -1 nothing changes. */
WEFT_INTERNAL int64_t mem_grow_why(weft_memory *m, uint64_t delta, bool *injected);

static inline int64_t mem_grow(weft_memory *m, uint64_t delta)
{
    return mem_grow_why(m, delta, NULL);
}

/* WEFT_OK if `f` is a failure-injection setting weft_engine_new accepts. */
WEFT_INTERNAL weft_status mem_grow_fail_check(const weft_grow_fail *f, weft_error *err);

static inline uint64_t mem_size(const weft_memory *m)
{
    return atomic_load_explicit(&((weft_memory *)m)->size, memory_order_seq_cst);
}

/* True when [addr, addr + len) lies inside the current size (no overflow). */
static inline bool mem_in_bounds(const weft_memory *m, uint64_t addr, uint64_t len)
{
    uint64_t size = mem_size(m);
    return addr <= size && len <= size - addr;
}

#endif /* WEFT_MEMORY_H */

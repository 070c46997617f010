/*
 * code_ranges.h -- the registry of compiled-code address ranges (cr_), which
 * the SIGSEGV/SIGBUS handler asks "is this PC in compiled code?" (DESIGN.md
 * invariants 2 and 8: a guard fault in compiled code traps its thread).
 *
 * Readers never lock and never allocate, so cr_contains is async-signal-safe
 * and may run in a signal handler that interrupted a writer on the same
 * thread.  Writers (cr_add, cr_remove) serialise on `lock`.
 *
 * Layout: a linked list of fixed chunks of entries, never freed before
 * cr_destroy and never moved, so a reader can walk it while writers append.
 * An entry is free when its start is 0.  Protocol (all on the entry's atomics):
 *   add:    end := e (relaxed); start := s (release)    -- into a free entry
 *   remove: start := 0 (release)
 *   read:   s1 := start (acquire); if 0, skip; e := end (acquire);
 *           s2 := start (acquire); if s2 != s1, read the entry again
 * So a reader sees (s, e) as one registration made at some instant: end is
 * written before start publishes it, and a start that did not change around
 * the read of end means end belongs to it (the same start registered again
 * is the same range's new end, equally current).  Registering a module's
 * code as one range (not a function each) keeps the list short; the scan is
 * linear and runs only on faults.
 */
#ifndef WEFT_CODE_RANGES_H
#define WEFT_CODE_RANGES_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine/internal.h"

#define CR_CHUNK_ENTRIES 64

typedef struct cr_entry {
    _Atomic uintptr_t start; /* 0: free; written under the registry's lock */
    _Atomic uintptr_t end;   /* exclusive; written under the lock          */
} cr_entry;

typedef struct cr_chunk {
    cr_entry entries[CR_CHUNK_ENTRIES];
    struct cr_chunk *_Atomic next; /* set once under the lock (release) */
} cr_chunk;

typedef struct cr_registry {
    cr_chunk first;        /* an empty registry allocates nothing        */
    pthread_mutex_t lock;  /* serialises cr_add / cr_remove             */
    weft_realloc_fn realloc_fn;
    void *realloc_user;
} cr_registry;

/* realloc_fn: the allocator for further chunks (weft_config's). */
WEFT_INTERNAL weft_status cr_init(cr_registry *r, weft_realloc_fn realloc_fn, void *user,
                                  weft_error *err);
/* No reader or writer may run any more. */
WEFT_INTERNAL void cr_destroy(cr_registry *r);

/* Registers [start, end) (start > 0, start < end); *handle names it for
 * cr_remove.  Errors: bad argument, out of memory (a new chunk). */
WEFT_INTERNAL weft_status cr_add(cr_registry *r, uintptr_t start, uintptr_t end,
                                 cr_entry **handle, weft_error *err);
/* Unregisters; the range's code must no longer run anywhere. */
WEFT_INTERNAL void cr_remove(cr_registry *r, cr_entry *handle);

/* Whether pc lies in a registered range.  Async-signal-safe, lock-free. */
WEFT_INTERNAL bool cr_contains(const cr_registry *r, uintptr_t pc);

#endif /* WEFT_CODE_RANGES_H */

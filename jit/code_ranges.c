/*
 * code_ranges.c -- the registry of compiled-code ranges (code_ranges.h has
 * the lock-free read protocol).
 */
#include "jit/code_ranges.h"

_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2 && ATOMIC_LONG_LOCK_FREE == 2,
               "cr_contains runs in signal handlers: its atomics must be lock-free");

weft_status cr_init(cr_registry *r, weft_realloc_fn realloc_fn, void *user, weft_error *err)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < CR_CHUNK_ENTRIES; i++) {
        atomic_init(&r->first.entries[i].start, 0);
        atomic_init(&r->first.entries[i].end, 0);
    }
    atomic_init(&r->first.next, NULL);
    r->realloc_fn = realloc_fn;
    r->realloc_user = user;
    if (pthread_mutex_init(&r->lock, NULL) != 0)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "cannot create a mutex");
    return WEFT_OK;
}

void cr_destroy(cr_registry *r)
{
    cr_chunk *c = atomic_load_explicit(&r->first.next, memory_order_relaxed);
    while (c) {
        cr_chunk *next = atomic_load_explicit(&c->next, memory_order_relaxed);
        r->realloc_fn(r->realloc_user, c, 0);
        c = next;
    }
    pthread_mutex_destroy(&r->lock);
}

/* A free entry, appending a chunk when every one is taken.  Under the lock. */
static cr_entry *free_entry(cr_registry *r)
{
    cr_chunk *c = &r->first;
    for (;;) {
        for (int i = 0; i < CR_CHUNK_ENTRIES; i++)
            if (atomic_load_explicit(&c->entries[i].start, memory_order_relaxed) == 0)
                return &c->entries[i];
        cr_chunk *next = atomic_load_explicit(&c->next, memory_order_relaxed);
        if (!next)
            break;
        c = next;
    }
    cr_chunk *n = r->realloc_fn(r->realloc_user, NULL, sizeof *n);
    if (!n)
        return NULL;
    for (int i = 0; i < CR_CHUNK_ENTRIES; i++) {
        atomic_init(&n->entries[i].start, 0);
        atomic_init(&n->entries[i].end, 0);
    }
    atomic_init(&n->next, NULL);
    /* Release: a reader that finds the chunk sees its entries zeroed. */
    atomic_store_explicit(&c->next, n, memory_order_release);
    return &n->entries[0];
}

weft_status cr_add(cr_registry *r, uintptr_t start, uintptr_t end, cr_entry **handle,
                   weft_error *err)
{
    if (start == 0 || start >= end)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "empty code range");
    pthread_mutex_lock(&r->lock);
    cr_entry *e = free_entry(r);
    if (e) {
        atomic_store_explicit(&e->end, end, memory_order_relaxed);
        atomic_store_explicit(&e->start, start, memory_order_release);
    }
    pthread_mutex_unlock(&r->lock);
    if (!e)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
    *handle = e;
    return WEFT_OK;
}

void cr_remove(cr_registry *r, cr_entry *handle)
{
    pthread_mutex_lock(&r->lock);
    atomic_store_explicit(&handle->start, 0, memory_order_release);
    pthread_mutex_unlock(&r->lock);
}

static bool entry_contains(const cr_entry *e, uintptr_t pc)
{
    for (;;) {
        uintptr_t s1 = atomic_load_explicit(&e->start, memory_order_acquire);
        if (s1 == 0)
            return false;
        uintptr_t end = atomic_load_explicit(&e->end, memory_order_acquire);
        uintptr_t s2 = atomic_load_explicit(&e->start, memory_order_acquire);
        if (s1 == s2)
            return pc >= s1 && pc < end;
    }
}

bool cr_contains(const cr_registry *r, uintptr_t pc)
{
    for (const cr_chunk *c = &r->first; c;
         c = atomic_load_explicit(&c->next, memory_order_acquire))
        for (int i = 0; i < CR_CHUNK_ENTRIES; i++)
            if (entry_contains(&c->entries[i], pc))
                return true;
    return false;
}

/*
 * xmem.h -- executable memory for the compiler tier (xm_): the only place
 * weft asks for memory it will execute (DESIGN.md invariant 8).
 *
 * A block's life: xm_alloc gives read-write memory, the compiler copies its
 * code in, xm_seal turns it read-execute (never writable and executable at
 * once, on any platform), xm_free releases it.  A sealed block is never
 * written again: compiled code is immutable once published.
 *
 * Where the memory comes from is weft_config.code_allocator (weft.h): the
 * embedder's callbacks when it supplies them, else the platform layer
 * (xmem_os.h: xmem_linux.c, xmem_apple.c).  Sizes are rounded up to whole
 * pages, so the embedder's callbacks and mprotect see page-aligned blocks.
 *
 * Thread safety: every call may run on any thread, concurrently with others
 * on other blocks; one block is written and sealed by the thread that
 * allocated it (macOS' write permission for MAP_JIT pages is per thread).
 */
#ifndef WEFT_XMEM_H
#define WEFT_XMEM_H

#include "engine/internal.h"

typedef struct xm_block {
    void *ptr;       /* page-aligned; NULL when empty                     */
    size_t size;     /* the rounded size, exactly as allocated            */
    bool executable; /* sealed: read-execute from now on                  */
    bool in_arena;   /* part of an xm_arena: freed with it, not alone     */
} xm_block;

/* An arena: many blocks cut from large chunks of weft's own mappings, so a
 * module with thousands of compiled functions takes a few mappings and one
 * system call per function (the seal), not three.  Each block still starts
 * on a page of its own and is sealed alone: the page after a sealed block is
 * never written.  Only with weft's own mappings on hosts whose seal works
 * page by page (Linux); NULL elsewhere.  Thread-safe. */
typedef struct xm_arena xm_arena;

/* A block of at least `size` bytes (> 0), read-write.  Errors: bad argument
 * (size 0), out of memory (the rounding overflows, the mapping or the
 * embedder's allocate failed); *out is left empty then. */
WEFT_INTERNAL weft_status xm_alloc(const weft_code_allocator *a, size_t size, xm_block *out,
                                   weft_error *err);

/* Read-write -> read-execute, with the instruction cache made coherent.  On
 * failure the block is freed (and left empty) and "out of memory" returned:
 * a block that cannot become executable is of no use. */
WEFT_INTERNAL weft_status xm_seal(const weft_code_allocator *a, xm_block *b, weft_error *err);

/* Releases a block in either state; an empty block is a no-op. */
WEFT_INTERNAL void xm_free(const weft_code_allocator *a, xm_block *b);

/* An arena for an engine of configuration cfg (its code allocator; its
 * realloc_fn for the bookkeeping), or NULL when arenas do not apply (the
 * embedder's code allocator, macOS) or memory is short: callers then use
 * xm_alloc. */
WEFT_INTERNAL xm_arena *xm_arena_new(const weft_config *cfg);
/* A block of at least `size` bytes from the arena, read-write, to be sealed
 * with xm_seal like any other. */
WEFT_INTERNAL weft_status xm_arena_alloc(xm_arena *ar, size_t size, xm_block *out,
                                         weft_error *err);
/* Releases the arena and every block cut from it. */
WEFT_INTERNAL void xm_arena_free(xm_arena *ar);

/* The host's page size (the unit blocks are rounded to). */
WEFT_INTERNAL size_t xm_page_size(void);

#endif /* WEFT_XMEM_H */

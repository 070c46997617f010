/*
 * xmem.c -- executable memory blocks (xmem.h): the embedder's allocator when
 * weft_config.code_allocator supplies one, else the platform layer.
 */
#include "jit/xmem.h"

#include <pthread.h>

#include "jit/xmem_os.h"

static bool own(const weft_code_allocator *a) { return !a || !a->allocate; }

size_t xm_page_size(void) { return xm_os_page_size(); }

weft_status xm_alloc(const weft_code_allocator *a, size_t size, xm_block *out, weft_error *err)
{
    *out = (xm_block){0};
    if (size == 0)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "executable block of 0 bytes");
    size_t page = xm_os_page_size();
    if (size > SIZE_MAX - (page - 1))
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                       "executable block of %zu bytes", size);
    size = (size + page - 1) & ~(page - 1);
    void *p = own(a) ? xm_os_map(size) : a->allocate(a->user, size);
    if (!p)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                       own(a) ? "cannot map %zu bytes for code"
                              : "the embedder's code allocator refused %zu bytes", size);
    *out = (xm_block){.ptr = p, .size = size, .executable = false};
    return WEFT_OK;
}

weft_status xm_seal(const weft_code_allocator *a, xm_block *b, weft_error *err)
{
    if (!b->ptr || b->executable)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                       b->ptr ? "code block already executable" : "no code block");
    int rc = own(a) ? xm_os_make_executable(b->ptr, b->size)
                    : a->make_executable(a->user, b->ptr, b->size);
    if (rc != 0) {
        xm_free(a, b);
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                       own(a) ? "cannot make code executable (mprotect refused)"
                              : "the embedder's make_executable failed");
    }
    b->executable = true;
    return WEFT_OK;
}

void xm_free(const weft_code_allocator *a, xm_block *b)
{
    if (!b->ptr || b->in_arena) {
        *b = (xm_block){0};
        return;
    }
    if (own(a))
        xm_os_unmap(b->ptr, b->size);
    else
        a->free(a->user, b->ptr, b->size);
    *b = (xm_block){0};
}

/* ---- arenas ------------------------------------------------------------------ */

enum { ARENA_CHUNK = 1 << 20 }; /* bytes per chunk; bigger blocks get their own */

typedef struct xm_chunk {
    struct xm_chunk *next;
    uint8_t *base;
    size_t size;
} xm_chunk;

struct xm_arena {
    weft_realloc_fn realloc_fn; /* the engine's, for the bookkeeping */
    void *realloc_user;
    pthread_mutex_t lock;
    xm_chunk *chunks; /* newest first: blocks are cut from its free end */
    size_t used;      /* bytes of the newest chunk given out             */
};

xm_arena *xm_arena_new(const weft_config *cfg)
{
#if defined(__linux__)
    if (!own(&cfg->code_allocator))
        return NULL;
    xm_arena *ar = cfg->realloc_fn(cfg->realloc_user, NULL, sizeof *ar);
    if (!ar)
        return NULL;
    *ar = (xm_arena){.realloc_fn = cfg->realloc_fn, .realloc_user = cfg->realloc_user};
    if (pthread_mutex_init(&ar->lock, NULL) != 0) {
        cfg->realloc_fn(cfg->realloc_user, ar, 0);
        return NULL;
    }
    return ar;
#else
    (void)cfg;
    return NULL;
#endif
}

weft_status xm_arena_alloc(xm_arena *ar, size_t size, xm_block *out, weft_error *err)
{
    *out = (xm_block){0};
    size_t page = xm_os_page_size();
    if (size == 0 || size > ARENA_CHUNK / 4)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                       "arena block of %zu bytes", size);
    size = (size + page - 1) & ~(page - 1);
    weft_status st = WEFT_OK;
    pthread_mutex_lock(&ar->lock);
    if (!ar->chunks || ar->used + size > ar->chunks->size) {
        xm_chunk *c = ar->realloc_fn(ar->realloc_user, NULL, sizeof *c);
        void *p = c ? xm_os_map(ARENA_CHUNK) : NULL;
        if (!p) {
            if (c)
                ar->realloc_fn(ar->realloc_user, c, 0);
            st = err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                         "cannot map %u bytes for code", (unsigned)ARENA_CHUNK);
            goto out;
        }
        *c = (xm_chunk){.next = ar->chunks, .base = p, .size = ARENA_CHUNK};
        ar->chunks = c;
        ar->used = 0;
    }
    *out = (xm_block){.ptr = ar->chunks->base + ar->used, .size = size, .in_arena = true};
    ar->used += size;
out:
    pthread_mutex_unlock(&ar->lock);
    return st;
}

void xm_arena_free(xm_arena *ar)
{
    if (!ar)
        return;
    for (xm_chunk *c = ar->chunks, *next; c; c = next) {
        next = c->next;
        xm_os_unmap(c->base, c->size);
        ar->realloc_fn(ar->realloc_user, c, 0);
    }
    pthread_mutex_destroy(&ar->lock);
    ar->realloc_fn(ar->realloc_user, ar, 0);
}

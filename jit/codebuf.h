/*
 * codebuf.h -- the machine-code buffer every backend emits into (cb_):
 * growable bytes with a sticky error, labels, and fixups patched once their
 * label is bound.  Architecture-neutral; each backend (x64_emit.h; aarch64
 * later) adds its own fixup kinds to cb_fixup_kind and resolves them here.
 *
 * Emitting never fails visibly: on out-of-memory or past `limit` the buffer
 * records the error, stops growing and drops further bytes, and cb_finish
 * reports it -- so a template compiler need not test every instruction.
 * Code is built in ordinary heap memory, then copied into an xm_block
 * (xmem.h) and sealed; nothing in it may depend on its final address except
 * through relocations the compiler applies after the copy.
 */
#ifndef WEFT_CODEBUF_H
#define WEFT_CODEBUF_H

#include "engine/internal.h"

typedef uint32_t cb_label;
#define CB_UNBOUND UINT32_MAX
#define CB_DEFAULT_LIMIT ((size_t)1 << 30) /* well inside rel32 reach */

typedef enum cb_fixup_kind {
    CB_X64_REL8,  /* int8 at `at`, relative to at + 1                 */
    CB_X64_REL32, /* int32 at `at`, relative to at + 4                */
} cb_fixup_kind;

typedef struct cb_fixup {
    uint32_t at;
    cb_label label;
    cb_fixup_kind kind;
} cb_fixup;

typedef struct cb_buf {
    uint8_t *bytes;
    size_t len, cap, limit;
    weft_code error;       /* WEFT_E_NONE until something fails (sticky) */
    const char *what;      /* the failure, for cb_finish's message        */
    size_t bound_at;       /* offset of the latest cb_bind (SIZE_MAX: none) */
    uint32_t *labels;      /* bound offset or CB_UNBOUND, by label        */
    uint32_t nlabels, labels_cap;
    cb_fixup *fixups;
    uint32_t nfixups, fixups_cap;
    weft_realloc_fn realloc_fn;
    void *realloc_user;
} cb_buf;

/* limit: the most bytes the code may take (0: CB_DEFAULT_LIMIT). */
WEFT_INTERNAL void cb_init(cb_buf *b, weft_realloc_fn realloc_fn, void *user, size_t limit);
WEFT_INTERNAL void cb_free(cb_buf *b);

/* Makes room for n more bytes; false (with the error recorded) if it cannot. */
WEFT_INTERNAL bool cb_grow(cb_buf *b, size_t n);
static inline bool cb_reserve(cb_buf *b, size_t n)
{
    return WEFT_LIKELY(b->error == WEFT_E_NONE && b->cap - b->len >= n) || cb_grow(b, n);
}
/* Records a failure (the first one wins). */
WEFT_INTERNAL void cb_fail(cb_buf *b, weft_code code, const char *what);

static inline void cb_put1(cb_buf *b, uint8_t v)
{
    if (cb_reserve(b, 1))
        b->bytes[b->len++] = v;
}
static inline void cb_put4(cb_buf *b, uint32_t v)
{
    if (cb_reserve(b, 4)) {
        memcpy(b->bytes + b->len, &v, 4); /* little-endian hosts only (x86-64, aarch64) */
        b->len += 4;
    }
}
static inline void cb_put8(cb_buf *b, uint64_t v)
{
    if (cb_reserve(b, 8)) {
        memcpy(b->bytes + b->len, &v, 8);
        b->len += 8;
    }
}

/* A new unbound label (CB_UNBOUND if the buffer has failed). */
WEFT_INTERNAL cb_label cb_new_label(cb_buf *b);
/* Binds the label to the current offset; binding one twice is an error. */
WEFT_INTERNAL void cb_bind(cb_buf *b, cb_label l);
/* The label's offset, or CB_UNBOUND. */
static inline uint32_t cb_label_offset(const cb_buf *b, cb_label l)
{
    return l < b->nlabels ? b->labels[l] : CB_UNBOUND;
}
/* Patch the field at `at` with label l's address once bound. */
WEFT_INTERNAL void cb_add_fixup(cb_buf *b, uint32_t at, cb_label l, cb_fixup_kind kind);

/* Resolves every fixup.  Errors: the buffer's own (out of memory, code too
 * large), a label used but never bound, a short jump out of reach. */
WEFT_INTERNAL weft_status cb_finish(cb_buf *b, weft_error *err);

#endif /* WEFT_CODEBUF_H */

/*
 * codebuf.c -- the machine-code buffer (codebuf.h): growth, labels, fixups.
 */
#include "jit/codebuf.h"

void cb_init(cb_buf *b, weft_realloc_fn realloc_fn, void *user, size_t limit)
{
    memset(b, 0, sizeof *b);
    b->bound_at = SIZE_MAX;
    b->limit = limit ? limit : CB_DEFAULT_LIMIT;
    if (b->limit > CB_DEFAULT_LIMIT)
        b->limit = CB_DEFAULT_LIMIT;
    b->realloc_fn = realloc_fn;
    b->realloc_user = user;
}

void cb_free(cb_buf *b)
{
    if (b->bytes)
        b->realloc_fn(b->realloc_user, b->bytes, 0);
    if (b->labels)
        b->realloc_fn(b->realloc_user, b->labels, 0);
    if (b->fixups)
        b->realloc_fn(b->realloc_user, b->fixups, 0);
    memset(b, 0, sizeof *b);
}

void cb_fail(cb_buf *b, weft_code code, const char *what)
{
    if (b->error == WEFT_E_NONE) {
        b->error = code;
        b->what = what;
    }
}

/* Doubles *cap (from 64) until it holds one more element of `elem` bytes;
 * false on overflow or allocation failure. */
static bool grow_array(cb_buf *b, void **p, uint32_t *cap, size_t elem)
{
    size_t ncap = *cap ? (size_t)*cap * 2 : 64;
    if (ncap > UINT32_MAX)
        return false;
    void *n = b->realloc_fn(b->realloc_user, *p, ncap * elem);
    if (!n)
        return false;
    *p = n;
    *cap = (uint32_t)ncap;
    return true;
}

bool cb_grow(cb_buf *b, size_t n)
{
    if (b->error != WEFT_E_NONE)
        return false;
    if (n > b->limit - b->len) {
        cb_fail(b, WEFT_E_UNSUPPORTED, "compiled code too large");
        return false;
    }
    /* cap never passes limit, so cb_reserve's fast path respects it too. */
    size_t ncap = b->cap ? b->cap : 4096;
    while (ncap < b->len + n)
        ncap *= 2;
    if (ncap > b->limit)
        ncap = b->limit;
    uint8_t *p = b->realloc_fn(b->realloc_user, b->bytes, ncap);
    if (!p) {
        cb_fail(b, WEFT_E_OUT_OF_MEMORY, "code buffer");
        return false;
    }
    b->bytes = p;
    b->cap = ncap;
    return true;
}

cb_label cb_new_label(cb_buf *b)
{
    if (b->error != WEFT_E_NONE)
        return CB_UNBOUND;
    if (b->nlabels == b->labels_cap &&
        !grow_array(b, (void **)&b->labels, &b->labels_cap, sizeof *b->labels)) {
        cb_fail(b, WEFT_E_OUT_OF_MEMORY, "code labels");
        return CB_UNBOUND;
    }
    b->labels[b->nlabels] = CB_UNBOUND;
    return b->nlabels++;
}

void cb_bind(cb_buf *b, cb_label l)
{
    if (b->error != WEFT_E_NONE)
        return;
    if (l >= b->nlabels || b->labels[l] != CB_UNBOUND) {
        cb_fail(b, WEFT_E_BAD_ARGUMENT, "label bound twice or unknown");
        return;
    }
    b->labels[l] = (uint32_t)b->len;
    b->bound_at = b->len;
}

void cb_add_fixup(cb_buf *b, uint32_t at, cb_label l, cb_fixup_kind kind)
{
    if (b->error != WEFT_E_NONE)
        return;
    if (l >= b->nlabels) {
        cb_fail(b, WEFT_E_BAD_ARGUMENT, "unknown label");
        return;
    }
    if (b->nfixups == b->fixups_cap &&
        !grow_array(b, (void **)&b->fixups, &b->fixups_cap, sizeof *b->fixups)) {
        cb_fail(b, WEFT_E_OUT_OF_MEMORY, "code fixups");
        return;
    }
    b->fixups[b->nfixups++] = (cb_fixup){.at = at, .label = l, .kind = kind};
}

static void patch(cb_buf *b, const cb_fixup *f)
{
    uint32_t target = b->labels[f->label];
    if (target == CB_UNBOUND) {
        cb_fail(b, WEFT_E_BAD_ARGUMENT, "jump to a label never bound");
        return;
    }
    switch (f->kind) {
    case CB_X64_REL8: {
        int64_t d = (int64_t)target - ((int64_t)f->at + 1);
        if (d < INT8_MIN || d > INT8_MAX) {
            cb_fail(b, WEFT_E_UNSUPPORTED, "short jump out of reach");
            return;
        }
        b->bytes[f->at] = (uint8_t)(int8_t)d;
        break;
    }
    case CB_X64_REL32: {
        int32_t d = (int32_t)((int64_t)target - ((int64_t)f->at + 4)); /* limit < 2^31 */
        memcpy(b->bytes + f->at, &d, 4);
        break;
    }
    }
}

weft_status cb_finish(cb_buf *b, weft_error *err)
{
    for (uint32_t i = 0; i < b->nfixups && b->error == WEFT_E_NONE; i++)
        patch(b, &b->fixups[i]);
    if (b->error != WEFT_E_NONE)
        return err_set(err, b->error, WEFT_NO_OFFSET, "%s", b->what);
    b->nfixups = 0;
    return WEFT_OK;
}

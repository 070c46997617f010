/*
 * module.c -- a module of the text format (spec 6.6) into the binary format:
 * the cursor and its errors, index spaces, and every module field with its
 * abbreviations (inline imports, exports, element and data segments, type
 * uses).  Two passes: the first numbers every named thing and reads the type
 * definitions (a name may be used before its definition); the second reads
 * the fields in order into one buffer per section.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/utf8.h"
#include "text/num.h"
#include "text/parse.h"

/* ---- byte buffers ---- */

void buf_bytes(wat_buf *b, const void *p, size_t n)
{
    if (b->oom || !n)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void buf_byte(wat_buf *b, uint8_t v) { buf_bytes(b, &v, 1); }

void buf_u64(wat_buf *b, uint64_t v)
{
    do {
        uint8_t byte = v & 0x7F;
        v >>= 7;
        buf_byte(b, v ? byte | 0x80 : byte);
    } while (v);
}

void buf_s64(wat_buf *b, int64_t v)
{
    for (;;) {
        uint8_t byte = v & 0x7F;
        v >>= 7; /* arithmetic: gcc and clang define it for signed values */
        bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        buf_byte(b, done ? byte : byte | 0x80);
        if (done)
            return;
    }
}

void buf_name(wat_buf *b, const uint8_t *p, size_t n)
{
    buf_u64(b, n);
    buf_bytes(b, p, n);
}

void buf_free(wat_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- the cursor and errors ---- */

static bool vfail(wat_parser *P, const wat_token *t, const char *fmt, va_list ap)
{
    if (P->failed)
        return false; /* the first error is the one to report */
    P->failed = true;
    int n = snprintf(P->err, P->err_len, "%s:%u:%u: ", P->file ? P->file : "<text>", t->line,
                     t->col);
    if (n >= 0 && (size_t)n < P->err_len)
        vsnprintf(P->err + n, P->err_len - (size_t)n, fmt, ap);
    return false;
}

bool wat_fail(wat_parser *P, const wat_token *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(P, t, fmt, ap);
    va_end(ap);
    return false;
}

bool wat_expected(wat_parser *P, const wat_token *t, const char *what)
{
    if (t->kind == WAT_EOF)
        return wat_fail(P, t, "expected %s, found the end of the text", what);
    int n = t->len > 40 ? 40 : (int)t->len;
    return wat_fail(P, t, "expected %s, found '%.*s'", what, n, t->text);
}

bool wat_is_lpar_kw(const wat_parser *P, const char *kw)
{
    return tk(P)->kind == WAT_LPAR && wat_is_keyword(tk_at(P, 1), kw);
}

bool wat_take_kw(wat_parser *P, const char *kw)
{
    if (!wat_is_keyword(tk(P), kw))
        return false;
    P->i++;
    return true;
}

bool wat_take_lpar_kw(wat_parser *P, const char *kw)
{
    if (!wat_is_lpar_kw(P, kw))
        return false;
    P->i += 2;
    return true;
}

bool wat_expect_lpar(wat_parser *P, const char *what)
{
    if (tk(P)->kind != WAT_LPAR)
        return wat_expected(P, tk(P), what);
    P->i++;
    return true;
}

bool wat_expect_rpar(wat_parser *P)
{
    if (tk(P)->kind != WAT_RPAR)
        return wat_expected(P, tk(P), "')'");
    P->i++;
    return true;
}

bool wat_skip_sexpr(wat_parser *P)
{
    const wat_token *open = tk(P);
    int depth = 0;
    do {
        const wat_token *t = tk(P);
        if (t->kind == WAT_EOF)
            return wat_fail(P, open, "unclosed '('");
        depth += t->kind == WAT_LPAR ? 1 : t->kind == WAT_RPAR ? -1 : 0;
        P->i++;
    } while (depth > 0);
    return true;
}

bool wat_u32(wat_parser *P, uint32_t *out)
{
    const wat_token *t = tk(P);
    uint64_t v;
    if (t->kind != WAT_NUMBER)
        return wat_expected(P, t, "a natural number");
    const char *e = wat_num_nat(t->text, t->len, UINT32_MAX, &v);
    if (e)
        return wat_fail(P, t, "%s", e);
    *out = (uint32_t)v;
    P->i++;
    return true;
}

static bool u64_nat(wat_parser *P, uint64_t *out)
{
    const wat_token *t = tk(P);
    if (t->kind != WAT_NUMBER)
        return wat_expected(P, t, "a natural number");
    const char *e = wat_num_nat(t->text, t->len, UINT64_MAX, out);
    if (e)
        return wat_fail(P, t, "%s", e);
    P->i++;
    return true;
}

bool wat_string(wat_parser *P, const uint8_t **p, size_t *n)
{
    const wat_token *t = tk(P);
    if (t->kind != WAT_STRING)
        return wat_expected(P, t, "a string");
    *p = t->data;
    *n = t->data_len;
    P->i++;
    return true;
}

/* A name (import/export): a string that must be UTF-8. */
static bool utf8_name(wat_parser *P, const uint8_t **p, size_t *n)
{
    const wat_token *t = tk(P);
    OK(wat_string(P, p, n));
    uint32_t cp;
    for (size_t k = 0; k < *n;) {
        size_t len = utf8_next(*p + k, *n - k, &cp);
        if (!len)
            return wat_fail(P, t, "malformed UTF-8 encoding");
        k += len;
    }
    return true;
}

/* ---- index spaces ---- */

static bool same_name(const wat_token *a, const wat_token *b)
{
    return a->data_len == b->data_len && !memcmp(a->data, b->data, a->data_len);
}

bool wat_names_add(wat_parser *P, wat_names *n, const wat_token *id, const char *space)
{
    if (id)
        for (uint32_t k = 0; k < n->count; k++)
            if (n->name[k] && same_name(n->name[k], id))
                return wat_fail(P, id, "duplicate %s $%.*s", space, (int)id->data_len,
                                (const char *)id->data);
    if (n->count == n->cap) {
        uint32_t cap = n->cap ? n->cap * 2 : 16;
        const wat_token **nn = realloc(n->name, cap * sizeof *nn);
        if (!nn)
            return wat_fail(P, tk(P), "out of memory");
        n->name = nn;
        n->cap = cap;
    }
    n->name[n->count++] = id;
    return true;
}

bool wat_index(wat_parser *P, const wat_names *n, const char *space, uint32_t *out)
{
    const wat_token *t = tk(P);
    if (t->kind == WAT_NUMBER)
        return wat_u32(P, out);
    if (t->kind != WAT_ID) {
        char what[64];
        snprintf(what, sizeof what, "a %s index", space);
        return wat_expected(P, t, what);
    }
    /* Names are few per module in practice; a linear search keeps this
     * simple.  TODO(#16): a hash when modules with many names need it. */
    for (uint32_t k = 0; k < n->count; k++) {
        if (n->name[k] && same_name(n->name[k], t)) {
            *out = k;
            P->i++;
            return true;
        }
    }
    return wat_fail(P, t, "unknown %s $%.*s", space, (int)t->data_len, (const char *)t->data);
}

/* ---- pass 1: names and types ---- */

static const char *const space_names[SP_COUNT_] = {"type",   "function", "table", "memory",
                                                   "global", "elem",     "data",  "tag",
                                                   "local",  "label",    "field"};

static bool new_type(wat_parser *P, size_t tok, bool in_rec)
{
    if (P->ntypes == P->types_cap) {
        uint32_t cap = P->types_cap ? P->types_cap * 2 : 16;
        wat_type *nt = realloc(P->types, cap * sizeof *nt);
        if (!nt)
            return wat_fail(P, tk(P), "out of memory");
        P->types = nt;
        P->types_cap = cap;
    }
    wat_type *t = &P->types[P->ntypes++];
    memset(t, 0, sizeof *t);
    t->tok = tok;
    t->in_rec = in_rec;
    const wat_token *id = tk_at(P, 2)->kind == WAT_ID ? tk_at(P, 2) : NULL;
    return wat_names_add(P, &P->sp[SP_TYPE], id, "type");
}

static wat_space kind_space(const wat_token *kw)
{
    static const struct {
        const char *kw;
        wat_space s;
    } k[] = {{"func", SP_FUNC},     {"table", SP_TABLE}, {"memory", SP_MEM}, {"global", SP_GLOBAL},
             {"tag", SP_TAG},       {"elem", SP_ELEM},   {"data", SP_DATA}};
    for (size_t j = 0; j < sizeof k / sizeof k[0]; j++)
        if (wat_is_keyword(kw, k[j].kw))
            return k[j].s;
    return SP_COUNT_;
}

static bool name_field(wat_parser *P)
{
    const wat_token *kw = tk_at(P, 1);
    size_t start = P->i;
    if (wat_is_keyword(kw, "type"))
        return new_type(P, start, false) && wat_skip_sexpr(P);
    if (wat_is_keyword(kw, "rec")) {
        P->i += 2;
        uint32_t first = P->ntypes;
        while (wat_is_lpar_kw(P, "type")) {
            OK(new_type(P, P->i, true));
            OK(wat_skip_sexpr(P));
        }
        if (P->ntypes == first) {
            /* an empty group: nothing to number, still encoded */
        } else {
            P->types[first].rec_size = P->ntypes - first;
        }
        return wat_expect_rpar(P);
    }
    if (wat_is_keyword(kw, "import")) {
        /* ( import "m" "n" ( kind $id? ... ) ) */
        const wat_token *desc = tk_at(P, 5);
        wat_space s = kind_space(desc);
        if (tk_at(P, 4)->kind == WAT_LPAR && s != SP_COUNT_ && s != SP_ELEM && s != SP_DATA) {
            const wat_token *id = tk_at(P, 6)->kind == WAT_ID ? tk_at(P, 6) : NULL;
            OK(wat_names_add(P, &P->sp[s], id, space_names[s]));
        }
        return wat_skip_sexpr(P);
    }
    wat_space s = kind_space(kw);
    if (s == SP_COUNT_)
        return wat_skip_sexpr(P); /* export, start; unknown fields fail in pass 2 */
    const wat_token *id = tk_at(P, 2)->kind == WAT_ID ? tk_at(P, 2) : NULL;
    OK(wat_names_add(P, &P->sp[s], id, space_names[s]));
    if (s == SP_TABLE || s == SP_MEM) {
        /* an inline (elem ...) or (data ...) is a segment of its own */
        P->i += 2;
        while (tk(P)->kind != WAT_RPAR && tk(P)->kind != WAT_EOF) {
            if (wat_is_lpar_kw(P, s == SP_TABLE ? "elem" : "data"))
                OK(wat_names_add(P, &P->sp[s == SP_TABLE ? SP_ELEM : SP_DATA], NULL, "segment"));
            if (tk(P)->kind == WAT_LPAR)
                OK(wat_skip_sexpr(P));
            else
                P->i++;
        }
        return wat_expect_rpar(P);
    }
    return wat_skip_sexpr(P);
}

static bool read_types(wat_parser *P)
{
    for (uint32_t k = 0; k < P->ntypes; k++) {
        wat_type *t = &P->types[k];
        P->i = t->tok + 2;
        if (tk(P)->kind == WAT_ID)
            P->i++;
        OK(wat_typedef(P, t));
        OK(wat_expect_rpar(P));
    }
    return true;
}

/* ---- pass 2: fields ---- */

typedef struct exports {
    const wat_token *name[64];
    uint32_t n;
} exports;

/* (export "name")* of an inline definition. */
static bool inline_exports(wat_parser *P, exports *e)
{
    e->n = 0;
    while (wat_is_lpar_kw(P, "export")) {
        if (e->n == 64)
            return wat_fail(P, tk(P), "too many inline exports");
        P->i += 2;
        const uint8_t *p;
        size_t n;
        e->name[e->n] = tk(P);
        OK(utf8_name(P, &p, &n));
        e->n++;
        OK(wat_expect_rpar(P));
    }
    return true;
}

static void put_exports(wat_parser *P, const exports *e, uint8_t kind, uint32_t idx)
{
    for (uint32_t k = 0; k < e->n; k++) {
        buf_name(&P->sec[SEC_EXPORT], e->name[k]->data, e->name[k]->data_len);
        buf_byte(&P->sec[SEC_EXPORT], kind);
        buf_u32(&P->sec[SEC_EXPORT], idx);
        P->count[SEC_EXPORT]++;
    }
}

/* (import "m" "n") of an inline definition: writes the names; *is gets
 * whether there was one. */
static bool inline_import(wat_parser *P, wat_space s, bool *is)
{
    *is = false;
    if (!wat_is_lpar_kw(P, "import"))
        return true;
    const wat_token *at = tk(P);
    P->i += 2;
    const uint8_t *m, *n;
    size_t ml, nl;
    OK(utf8_name(P, &m, &ml));
    OK(utf8_name(P, &n, &nl));
    OK(wat_expect_rpar(P));
    if (P->defined[SP_FUNC] + P->defined[SP_TABLE] + P->defined[SP_MEM] + P->defined[SP_GLOBAL] +
        P->defined[SP_TAG])
        return wat_fail(P, at, "import after a definition");
    buf_name(&P->sec[SEC_IMPORT], m, ml);
    buf_name(&P->sec[SEC_IMPORT], n, nl);
    P->count[SEC_IMPORT]++;
    P->imported[s]++;
    *is = true;
    return true;
}

/* limits with an optional i64 address type already taken: min max? */
static bool limits(wat_parser *P, wat_buf *b, bool is64, bool shared_allowed)
{
    uint64_t min, max = 0;
    OK(u64_nat(P, &min));
    bool has_max = tk(P)->kind == WAT_NUMBER;
    if (has_max)
        OK(u64_nat(P, &max));
    /* 3.0 reads 32-bit limits as u64 too and leaves their range to the
     * validator ("memory size", "table size"); the threads proposal's
     * older scripts wanted "i32 constant out of range" here. */
    bool shared = shared_allowed && wat_take_kw(P, "shared");
    if (shared_allowed)
        (void)wat_take_kw(P, "unshared");
    uint64_t page_log = 0;
    if (shared_allowed && wat_take_lpar_kw(P, "pagesize")) {
        uint64_t size;
        OK(u64_nat(P, &size));
        if (!size || (size & (size - 1)))
            return wat_fail(P, tk(P), "page size must be a power of two");
        while ((UINT64_C(1) << page_log) < size)
            page_log++;
        OK(wat_expect_rpar(P));
        page_log++; /* 0: none */
    }
    buf_byte(b, (uint8_t)(has_max | shared << 1 | is64 << 2 | (page_log ? 0x08 : 0)));
    buf_u64(b, min);
    if (has_max)
        buf_u64(b, max);
    if (page_log)
        buf_u32(b, (uint32_t)(page_log - 1));
    return true;
}

static bool addrtype(wat_parser *P)
{
    if (wat_take_kw(P, "i64"))
        return true;
    (void)wat_take_kw(P, "i32");
    return false;
}

/* A constant expression written (KEYWORD instrs) or, abbreviated, as one
 * folded (instr); into b with its end.  `what` names it in errors. */
static bool keyword_expr(wat_parser *P, wat_buf *b, const char *keyword, const char *what)
{
    if (wat_take_lpar_kw(P, keyword)) {
        OK(wat_expr(P, b));
        return wat_expect_rpar(P);
    }
    if (tk(P)->kind != WAT_LPAR)
        return wat_expected(P, tk(P), what);
    OK(wat_folded(P, b, NULL, NULL));
    buf_byte(b, 0x0B);
    return true;
}

/* An element item: (item instrs) or (instr). */
static bool elem_item(wat_parser *P, wat_buf *b)
{
    return keyword_expr(P, b, "item", "an element expression");
}

/* An offset: (offset instrs) or (instr). */
static bool offset_expr(wat_parser *P, wat_buf *b)
{
    return keyword_expr(P, b, "offset", "an offset expression");
}

/* Is the expression exactly `ref.func x end`?  Then *x. */
static bool is_ref_func(const uint8_t *p, size_t n, uint32_t *x)
{
    if (n < 3 || p[0] != 0xD2 || p[n - 1] != 0x0B)
        return false;
    uint32_t v = 0;
    size_t k = 1;
    for (int shift = 0; k < n - 1; k++, shift += 7) {
        v |= (uint32_t)(p[k] & 0x7F) << shift;
        if (!(p[k] & 0x80))
            break;
    }
    *x = v;
    return k == n - 2;
}

/* An element list after the segment's mode: `func x*`, `x*` (legacy), or
 * `reftype item*`.  Writes the segment with its flags (mode: 0 active,
 * 1 passive, 3 declarative; table/offset for active ones). */
static bool elem_list(wat_parser *P, int mode, uint32_t table, const wat_buf *offset,
                      const wat_buf *given_rt, uint32_t *count)
{
    wat_buf rt = {0}, items = {0}, funcs = {0};
    uint32_t n = 0;
    bool all_funcs = true, ok = true, nullable;
    if (given_rt && tk(P)->kind == WAT_LPAR) {
        /* an inline (elem ...) of expressions: the table's type */
        buf_bytes(&rt, given_rt->p, given_rt->len);
        while (ok && tk(P)->kind == WAT_LPAR) {
            size_t at = items.len;
            ok = elem_item(P, &items);
            uint32_t x;
            if (ok && is_ref_func(items.p + at, items.len - at, &x))
                buf_u32(&funcs, x);
            else
                all_funcs = false;
            n++;
        }
        all_funcs = all_funcs && rt.len == 1 && rt.p[0] == 0x70;
    } else if (wat_take_kw(P, "func") || wat_at_index(P) || tk(P)->kind == WAT_RPAR) {
        buf_byte(&rt, 0x70);
        while (ok && wat_at_index(P)) {
            uint32_t x;
            ok = wat_index(P, &P->sp[SP_FUNC], "function", &x);
            buf_u32(&funcs, x);
            n++;
        }
    } else {
        ok = wat_reftype(P, &rt, &nullable);
        while (ok && tk(P)->kind == WAT_LPAR) {
            size_t at = items.len;
            ok = elem_item(P, &items);
            uint32_t x;
            if (ok && is_ref_func(items.p + at, items.len - at, &x))
                buf_u32(&funcs, x);
            else
                all_funcs = false;
            n++;
        }
        all_funcs = all_funcs && rt.len == 1 && rt.p[0] == 0x70;
    }
    if (ok) {
        /* The flags wabt picks: function indices when every item is a
         * ref.func of a funcref segment; a table index when it is not 0 or
         * the type is not funcref. */
        wat_buf *s = &P->sec[SEC_ELEM];
        bool funcref = rt.len == 1 && rt.p[0] == 0x70;
        bool explicit_table = mode == 0 && (table != 0 || !funcref);
        uint32_t flags = (uint32_t)mode | (explicit_table ? 2 : 0) | (all_funcs ? 0 : 4);
        buf_u32(s, flags);
        if (explicit_table)
            buf_u32(s, table);
        if (mode == 0)
            buf_bytes(s, offset->p, offset->len);
        if (mode != 0 || explicit_table) {
            if (all_funcs)
                buf_byte(s, 0x00);
            else
                buf_bytes(s, rt.p, rt.len);
        }
        buf_u32(s, n);
        if (all_funcs)
            buf_bytes(s, funcs.p, funcs.len);
        else
            buf_bytes(s, items.p, items.len);
        P->count[SEC_ELEM]++;
    }
    if (count)
        *count = n;
    buf_free(&rt);
    buf_free(&items);
    buf_free(&funcs);
    return ok;
}

static bool field_elem(wat_parser *P)
{
    if (tk(P)->kind == WAT_ID)
        P->i++;
    if (wat_take_kw(P, "declare"))
        return elem_list(P, 3, 0, NULL, NULL, NULL);
    bool has_table = wat_take_lpar_kw(P, "table");
    uint32_t table = 0;
    if (has_table) {
        OK(wat_index(P, &P->sp[SP_TABLE], "table", &table));
        OK(wat_expect_rpar(P));
    } else if (tk(P)->kind == WAT_NUMBER) {
        /* 1.0's `(elem 0 (offset ...) ...)`: a bare table index */
        OK(wat_u32(P, &table));
        has_table = true;
    }
    /* passive: the list follows at once (a `(ref ...)` type is no offset) */
    if (!has_table && (tk(P)->kind != WAT_LPAR || wat_is_lpar_kw(P, "ref")))
        return elem_list(P, 1, 0, NULL, NULL, NULL);
    wat_buf off = {0};
    bool ok = offset_expr(P, &off) && elem_list(P, 0, table, &off, NULL, NULL);
    buf_free(&off);
    return ok;
}

static bool data_strings(wat_parser *P, wat_buf *b)
{
    wat_buf bytes = {0};
    while (tk(P)->kind == WAT_STRING) {
        buf_bytes(&bytes, tk(P)->data, tk(P)->data_len);
        P->i++;
    }
    buf_u64(b, bytes.len);
    buf_bytes(b, bytes.p, bytes.len);
    buf_free(&bytes);
    return true;
}

static bool field_data(wat_parser *P)
{
    if (tk(P)->kind == WAT_ID)
        P->i++;
    wat_buf *s = &P->sec[SEC_DATA];
    P->count[SEC_DATA]++;
    uint32_t mem = 0;
    if (wat_take_lpar_kw(P, "memory")) {
        OK(wat_index(P, &P->sp[SP_MEM], "memory", &mem));
        OK(wat_expect_rpar(P));
    } else if (tk(P)->kind == WAT_NUMBER) {
        OK(wat_u32(P, &mem)); /* 1.0's `(data 0 (offset ...) ...)` */
    } else if (tk(P)->kind != WAT_LPAR) {
        buf_u32(s, 1); /* passive */
        return data_strings(P, s);
    }
    buf_u32(s, mem ? 2 : 0);
    if (mem)
        buf_u32(s, mem);
    OK(offset_expr(P, s));
    return data_strings(P, s);
}

/* local* of a function: names into locals, decls grouped as wabt does
 * (consecutive equal types share one entry). */
static bool locals_decl(wat_parser *P, wat_names *locals, wat_buf *out)
{
    wat_buf groups = {0}, cur = {0}, t = {0};
    uint32_t ngroups = 0, run = 0;
    bool ok = true;
    while (ok && wat_take_lpar_kw(P, "local")) {
        const wat_token *id = tk(P)->kind == WAT_ID ? tk(P) : NULL;
        if (id)
            P->i++;
        while (ok && tk(P)->kind != WAT_RPAR) {
            t.len = 0;
            ok = wat_valtype(P, &t) && wat_names_add(P, locals, id, "local");
            if (!ok)
                break;
            if (run && cur.len == t.len && !memcmp(cur.p, t.p, t.len)) {
                run++;
            } else {
                if (run) {
                    buf_u32(&groups, run);
                    buf_bytes(&groups, cur.p, cur.len);
                    ngroups++;
                }
                cur.len = 0;
                buf_bytes(&cur, t.p, t.len);
                run = 1;
            }
            if (id)
                break;
        }
        ok = ok && wat_expect_rpar(P);
    }
    if (run) {
        buf_u32(&groups, run);
        buf_bytes(&groups, cur.p, cur.len);
        ngroups++;
    }
    buf_u32(out, ngroups);
    buf_bytes(out, groups.p, groups.len);
    buf_free(&groups);
    buf_free(&cur);
    buf_free(&t);
    return ok;
}

static uint32_t next_index(const wat_parser *P, wat_space s)
{
    return P->imported[s] + P->defined[s];
}

static bool field_func(wat_parser *P)
{
    if (tk(P)->kind == WAT_ID)
        P->i++;
    exports e;
    bool imp;
    uint32_t idx = next_index(P, SP_FUNC), type = 0;
    OK(inline_exports(P, &e));
    OK(inline_import(P, SP_FUNC, &imp));
    wat_names locals = {0}, labels = {0};
    wat_buf body = {0};
    bool ok;
    if (imp) {
        ok = wat_typeuse(P, &type, NULL, NULL, true);
        buf_byte(&P->sec[SEC_IMPORT], 0x00);
        buf_u32(&P->sec[SEC_IMPORT], type);
    } else {
        P->defined[SP_FUNC]++;
        ok = wat_typeuse(P, &type, &locals, NULL, true) && locals_decl(P, &locals, &body) &&
             wat_instrs(P, &body, &locals, &labels);
        buf_byte(&body, 0x0B);
        buf_u32(&P->sec[SEC_FUNC], type);
        P->count[SEC_FUNC]++;
        buf_u64(&P->sec[SEC_CODE], body.len);
        buf_bytes(&P->sec[SEC_CODE], body.p, body.len);
        P->count[SEC_CODE]++;
    }
    put_exports(P, &e, 0x00, idx);
    free(locals.name);
    free(labels.name);
    buf_free(&body);
    return ok;
}

/* The table type after the address type: limits reftype. */
static bool table_type(wat_parser *P, wat_buf *b, bool is64)
{
    wat_buf lim = {0};
    bool nullable;
    bool ok = limits(P, &lim, is64, false) && wat_reftype(P, b, &nullable);
    buf_bytes(b, lim.p, lim.len);
    buf_free(&lim);
    return ok;
}

static bool field_table(wat_parser *P)
{
    if (tk(P)->kind == WAT_ID)
        P->i++;
    exports e;
    bool imp;
    uint32_t idx = next_index(P, SP_TABLE);
    OK(inline_exports(P, &e));
    OK(inline_import(P, SP_TABLE, &imp));
    bool is64 = addrtype(P);
    if (imp) {
        buf_byte(&P->sec[SEC_IMPORT], 0x01);
        OK(table_type(P, &P->sec[SEC_IMPORT], is64));
    } else if (tk(P)->kind != WAT_NUMBER) {
        /* reftype (elem ...): a table just large enough, and a segment */
        P->defined[SP_TABLE]++;
        wat_buf rt = {0}, off = {0};
        bool nullable;
        uint32_t n = 0;
        buf_byte(&off, is64 ? 0x42 : 0x41);
        buf_byte(&off, 0x00);
        buf_byte(&off, 0x0B);
        bool ok = wat_reftype(P, &rt, &nullable);
        if (ok && !wat_take_lpar_kw(P, "elem"))
            ok = wat_expected(P, tk(P), "(elem ...)");
        ok = ok && elem_list(P, 0, idx, &off, &rt, &n) && wat_expect_rpar(P);
        wat_buf *s = &P->sec[SEC_TABLE];
        buf_bytes(s, rt.p, rt.len);
        buf_byte(s, (uint8_t)(0x01 | is64 << 2));
        buf_u64(s, n);
        buf_u64(s, n);
        P->count[SEC_TABLE]++;
        buf_free(&rt);
        buf_free(&off);
        OK(ok);
    } else {
        P->defined[SP_TABLE]++;
        wat_buf tt = {0};
        bool ok = table_type(P, &tt, is64);
        wat_buf *s = &P->sec[SEC_TABLE];
        if (ok && tk(P)->kind != WAT_RPAR) {
            /* 3.0: a table with an initialiser */
            buf_byte(s, 0x40);
            buf_byte(s, 0x00);
            buf_bytes(s, tt.p, tt.len);
            ok = wat_expr(P, s);
        } else {
            buf_bytes(s, tt.p, tt.len);
        }
        P->count[SEC_TABLE]++;
        buf_free(&tt);
        OK(ok);
    }
    put_exports(P, &e, 0x01, idx);
    return wat_expect_rpar(P);
}

static bool field_memory(wat_parser *P)
{
    if (tk(P)->kind == WAT_ID)
        P->i++;
    exports e;
    bool imp;
    uint32_t idx = next_index(P, SP_MEM);
    OK(inline_exports(P, &e));
    OK(inline_import(P, SP_MEM, &imp));
    bool is64 = addrtype(P);
    if (imp) {
        buf_byte(&P->sec[SEC_IMPORT], 0x02);
        OK(limits(P, &P->sec[SEC_IMPORT], is64, true));
    } else {
        P->defined[SP_MEM]++;
        P->count[SEC_MEM]++;
        wat_buf *s = &P->sec[SEC_MEM];
        uint64_t page_log = 16;
        size_t at = P->i;
        if (wat_take_lpar_kw(P, "pagesize")) {
            /* custom page sizes: (memory (pagesize N) (data ...)) */
            uint64_t size;
            OK(u64_nat(P, &size));
            OK(wat_expect_rpar(P));
            for (page_log = 0; page_log < 63 && (UINT64_C(1) << page_log) < size;)
                page_log++;
            if (!wat_is_lpar_kw(P, "data"))
                P->i = at; /* limits follow: read it there */
        }
        if (wat_take_lpar_kw(P, "data")) {
            /* (data "..."*): a memory just large enough, and a segment */
            wat_buf *d = &P->sec[SEC_DATA];
            buf_u32(d, idx ? 2 : 0);
            if (idx)
                buf_u32(d, idx);
            buf_byte(d, is64 ? 0x42 : 0x41);
            buf_byte(d, 0x00);
            buf_byte(d, 0x0B);
            size_t len_at = d->len;
            OK(data_strings(P, d));
            P->count[SEC_DATA]++;
            OK(wat_expect_rpar(P));
            /* the length just written, read back from its LEB128 */
            uint64_t len = 0;
            for (int shift = 0;; shift += 7) {
                len |= (uint64_t)(d->p[len_at] & 0x7F) << shift;
                if (!(d->p[len_at++] & 0x80))
                    break;
            }
            uint64_t unit = UINT64_C(1) << page_log, pages = (len + unit - 1) / unit;
            buf_byte(s, (uint8_t)(0x01 | is64 << 2 | (page_log != 16 ? 0x08 : 0)));
            buf_u64(s, pages);
            buf_u64(s, pages);
            if (page_log != 16)
                buf_u32(s, (uint32_t)page_log);
        } else {
            OK(limits(P, s, is64, true));
        }
    }
    put_exports(P, &e, 0x02, idx);
    return wat_expect_rpar(P);
}

static bool global_type(wat_parser *P, wat_buf *b)
{
    bool mut = wat_take_lpar_kw(P, "mut");
    OK(wat_valtype(P, b));
    buf_byte(b, mut);
    return mut ? wat_expect_rpar(P) : true;
}

static bool field_global(wat_parser *P)
{
    if (tk(P)->kind == WAT_ID)
        P->i++;
    exports e;
    bool imp;
    uint32_t idx = next_index(P, SP_GLOBAL);
    OK(inline_exports(P, &e));
    OK(inline_import(P, SP_GLOBAL, &imp));
    if (imp) {
        buf_byte(&P->sec[SEC_IMPORT], 0x03);
        OK(global_type(P, &P->sec[SEC_IMPORT]));
    } else {
        P->defined[SP_GLOBAL]++;
        P->count[SEC_GLOBAL]++;
        OK(global_type(P, &P->sec[SEC_GLOBAL]));
        OK(wat_expr(P, &P->sec[SEC_GLOBAL]));
    }
    put_exports(P, &e, 0x03, idx);
    return wat_expect_rpar(P);
}

static bool field_tag(wat_parser *P)
{
    if (tk(P)->kind == WAT_ID)
        P->i++;
    exports e;
    bool imp;
    uint32_t idx = next_index(P, SP_TAG), type;
    OK(inline_exports(P, &e));
    OK(inline_import(P, SP_TAG, &imp));
    OK(wat_typeuse(P, &type, NULL, NULL, true));
    wat_buf *s = imp ? &P->sec[SEC_IMPORT] : &P->sec[SEC_TAG];
    if (imp) {
        buf_byte(s, 0x04);
    } else {
        P->defined[SP_TAG]++;
        P->count[SEC_TAG]++;
    }
    buf_byte(s, 0x00);
    buf_u32(s, type);
    put_exports(P, &e, 0x04, idx);
    return wat_expect_rpar(P);
}

static bool field_import(wat_parser *P)
{
    const wat_token *at = tk(P);
    const uint8_t *m, *n;
    size_t ml, nl;
    OK(utf8_name(P, &m, &ml));
    OK(utf8_name(P, &n, &nl));
    if (P->defined[SP_FUNC] + P->defined[SP_TABLE] + P->defined[SP_MEM] + P->defined[SP_GLOBAL] +
        P->defined[SP_TAG])
        return wat_fail(P, at, "import after a definition");
    wat_buf *s = &P->sec[SEC_IMPORT];
    buf_name(s, m, ml);
    buf_name(s, n, nl);
    P->count[SEC_IMPORT]++;
    if (tk(P)->kind != WAT_LPAR)
        return wat_expected(P, tk(P), "an import description");
    const wat_token *kw = tk_at(P, 1);
    P->i += 2;
    if (tk(P)->kind == WAT_ID)
        P->i++;
    uint32_t type;
    if (wat_is_keyword(kw, "func")) {
        P->imported[SP_FUNC]++;
        OK(wat_typeuse(P, &type, NULL, NULL, true));
        buf_byte(s, 0x00);
        buf_u32(s, type);
    } else if (wat_is_keyword(kw, "table")) {
        P->imported[SP_TABLE]++;
        buf_byte(s, 0x01);
        bool is64 = addrtype(P);
        OK(table_type(P, s, is64));
    } else if (wat_is_keyword(kw, "memory")) {
        P->imported[SP_MEM]++;
        buf_byte(s, 0x02);
        bool is64 = addrtype(P);
        OK(limits(P, s, is64, true));
    } else if (wat_is_keyword(kw, "global")) {
        P->imported[SP_GLOBAL]++;
        buf_byte(s, 0x03);
        OK(global_type(P, s));
    } else if (wat_is_keyword(kw, "tag")) {
        P->imported[SP_TAG]++;
        OK(wat_typeuse(P, &type, NULL, NULL, true));
        buf_byte(s, 0x04);
        buf_byte(s, 0x00);
        buf_u32(s, type);
    } else {
        return wat_expected(P, kw, "func, table, memory, global or tag");
    }
    OK(wat_expect_rpar(P));
    return wat_expect_rpar(P);
}

static bool field_export(wat_parser *P)
{
    const uint8_t *n;
    size_t nl;
    OK(utf8_name(P, &n, &nl));
    if (tk(P)->kind != WAT_LPAR)
        return wat_expected(P, tk(P), "an export description");
    const wat_token *kw = tk_at(P, 1);
    wat_space s = kind_space(kw);
    static const uint8_t kinds[SP_COUNT_] = {[SP_FUNC] = 0, [SP_TABLE] = 1, [SP_MEM] = 2,
                                             [SP_GLOBAL] = 3, [SP_TAG] = 4};
    if (s == SP_COUNT_ || s == SP_ELEM || s == SP_DATA)
        return wat_expected(P, kw, "func, table, memory, global or tag");
    P->i += 2;
    uint32_t idx;
    OK(wat_index(P, &P->sp[s], space_names[s], &idx));
    OK(wat_expect_rpar(P));
    wat_buf *b = &P->sec[SEC_EXPORT];
    buf_name(b, n, nl);
    buf_byte(b, kinds[s]);
    buf_u32(b, idx);
    P->count[SEC_EXPORT]++;
    return wat_expect_rpar(P);
}

static bool field(wat_parser *P)
{
    const wat_token *kw = tk_at(P, 1);
    if (tk(P)->kind != WAT_LPAR)
        return wat_expected(P, tk(P), "a module field");
    P->i += 2;
    if (wat_is_keyword(kw, "type")) {
        P->i -= 2;
        return wat_skip_sexpr(P); /* read in pass 1 */
    } else if (wat_is_keyword(kw, "rec")) {
        P->i -= 2;
        return wat_skip_sexpr(P);
    } else if (wat_is_keyword(kw, "func")) {
        return field_func(P) && wat_expect_rpar(P);
    } else if (wat_is_keyword(kw, "table")) {
        return field_table(P);
    } else if (wat_is_keyword(kw, "memory")) {
        return field_memory(P);
    } else if (wat_is_keyword(kw, "global")) {
        return field_global(P);
    } else if (wat_is_keyword(kw, "tag")) {
        return field_tag(P);
    } else if (wat_is_keyword(kw, "import")) {
        return field_import(P);
    } else if (wat_is_keyword(kw, "export")) {
        return field_export(P);
    } else if (wat_is_keyword(kw, "start")) {
        if (P->has_start)
            return wat_fail(P, kw, "multiple start sections");
        OK(wat_index(P, &P->sp[SP_FUNC], "function", &P->start));
        P->has_start = true;
        return wat_expect_rpar(P);
    } else if (wat_is_keyword(kw, "elem")) {
        return field_elem(P) && wat_expect_rpar(P);
    } else if (wat_is_keyword(kw, "data")) {
        return field_data(P) && wat_expect_rpar(P);
    }
    return wat_expected(P, kw, "a module field (type, func, table, memory, global, tag, import, export, start, elem, data)");
}

/* ---- assembling the binary ---- */

static void put_section(wat_buf *out, uint8_t id, const wat_buf *content)
{
    buf_byte(out, id);
    buf_u64(out, content->len);
    buf_bytes(out, content->p, content->len);
}

static void put_vec_section(wat_buf *out, uint8_t id, uint32_t count, const wat_buf *items)
{
    if (!count)
        return;
    wat_buf c = {0};
    buf_u32(&c, count);
    buf_bytes(&c, items->p, items->len);
    put_section(out, id, &c);
    if (c.oom)
        out->oom = true;
    buf_free(&c);
}

static void put_types(wat_parser *P, wat_buf *out)
{
    wat_buf t = {0};
    uint32_t groups = 0;
    for (uint32_t k = 0; k < P->ntypes;) {
        const wat_type *ty = &P->types[k];
        uint32_t n = 1;
        if (ty->in_rec) {
            n = ty->rec_size;
            buf_byte(&t, 0x4E);
            buf_u32(&t, n);
        }
        for (uint32_t j = 0; j < n; j++)
            buf_bytes(&t, P->types[k + j].enc.p, P->types[k + j].enc.len);
        k += n;
        groups++;
    }
    put_vec_section(out, SEC_TYPE, groups, &t);
    buf_free(&t);
}

static void put_names(wat_parser *P, wat_buf *out)
{
    const wat_names *f = &P->sp[SP_FUNC];
    wat_buf sub = {0}, c = {0};
    uint32_t n = 0;
    for (uint32_t k = 0; k < f->count; k++) {
        if (!f->name[k])
            continue;
        buf_u32(&sub, k);
        buf_name(&sub, f->name[k]->data, f->name[k]->data_len);
        n++;
    }
    if (n) {
        static const uint8_t name[] = "name";
        buf_name(&c, name, 4);
        buf_byte(&c, 1); /* function names */
        wat_buf v = {0};
        buf_u32(&v, n);
        buf_bytes(&v, sub.p, sub.len);
        buf_u64(&c, v.len);
        buf_bytes(&c, v.p, v.len);
        buf_free(&v);
        put_section(out, SEC_CUSTOM, &c);
    }
    buf_free(&sub);
    buf_free(&c);
}

void wat_parser_free(wat_parser *P)
{
    for (int s = 0; s < SP_COUNT_; s++)
        free(P->sp[s].name);
    for (uint32_t k = 0; k < P->ntypes; k++) {
        buf_free(&P->types[k].enc);
        buf_free(&P->types[k].sig);
        free(P->types[k].fields.name);
    }
    free(P->types);
    for (int s = 0; s < SEC_N_; s++)
        buf_free(&P->sec[s]);
    wat_ops_free(P);
}

bool wat_module_fields(wat_parser *P, const wat_options *opt, uint8_t **out, size_t *out_len)
{
    size_t first = P->i;
    while (tk(P)->kind == WAT_LPAR)
        OK(name_field(P));
    size_t end = P->i;
    OK(read_types(P));
    P->i = first;
    while (P->i < end)
        OK(field(P));
    wat_buf m = {0};
    static const uint8_t header[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    buf_bytes(&m, header, 8);
    put_types(P, &m);
    put_vec_section(&m, SEC_IMPORT, P->count[SEC_IMPORT], &P->sec[SEC_IMPORT]);
    put_vec_section(&m, SEC_FUNC, P->count[SEC_FUNC], &P->sec[SEC_FUNC]);
    put_vec_section(&m, SEC_TABLE, P->count[SEC_TABLE], &P->sec[SEC_TABLE]);
    put_vec_section(&m, SEC_MEM, P->count[SEC_MEM], &P->sec[SEC_MEM]);
    put_vec_section(&m, SEC_TAG, P->count[SEC_TAG], &P->sec[SEC_TAG]);
    put_vec_section(&m, SEC_GLOBAL, P->count[SEC_GLOBAL], &P->sec[SEC_GLOBAL]);
    put_vec_section(&m, SEC_EXPORT, P->count[SEC_EXPORT], &P->sec[SEC_EXPORT]);
    if (P->has_start) {
        wat_buf s = {0};
        buf_u32(&s, P->start);
        put_section(&m, SEC_START, &s);
        buf_free(&s);
    }
    put_vec_section(&m, SEC_ELEM, P->count[SEC_ELEM], &P->sec[SEC_ELEM]);
    if (P->needs_datacount && P->count[SEC_DATA]) { /* wabt leaves it out with no data */
        wat_buf s = {0};
        buf_u32(&s, P->count[SEC_DATA]);
        put_section(&m, SEC_DATACOUNT, &s);
        buf_free(&s);
    }
    put_vec_section(&m, SEC_CODE, P->count[SEC_CODE], &P->sec[SEC_CODE]);
    put_vec_section(&m, SEC_DATA, P->count[SEC_DATA], &P->sec[SEC_DATA]);
    if (!opt || opt->names)
        put_names(P, &m);
    bool oom = m.oom;
    for (int s = 0; s < SEC_N_; s++)
        oom |= P->sec[s].oom;
    for (uint32_t k = 0; k < P->ntypes; k++)
        oom |= P->types[k].enc.oom;
    if (oom) {
        buf_free(&m);
        return wat_fail(P, tk(P), "out of memory");
    }
    *out = m.p;
    *out_len = m.len;
    return true;
}

/* ---- entry points ---- */

static void parser_init(wat_parser *P, const wat_tokens *toks, size_t pos, const char *file,
                        char *err, size_t err_len)
{
    memset(P, 0, sizeof *P);
    P->toks = toks;
    P->i = pos;
    P->file = file;
    P->err = err;
    P->err_len = err_len;
}

bool wat_module_form_read(const wat_tokens *toks, size_t *pos, const char *file,
                          const wat_options *opt, wat_module_out *out, char *err,
                          size_t err_len)
{
    wat_parser P;
    parser_init(&P, toks, *pos, file, err, err_len);
    memset(out, 0, sizeof *out);
    if (!wat_take_lpar_kw(&P, "module"))
        return wat_expected(&P, tk(&P), "(module ...)");
    bool ok;
    if (wat_take_kw(&P, "instance")) {
        out->form = WAT_FORM_INSTANCE;
        if (tk(&P)->kind == WAT_ID)
            out->id = &toks->tok[P.i++];
        if (tk(&P)->kind == WAT_ID)
            out->def = &toks->tok[P.i++];
        ok = wat_expect_rpar(&P);
        if (ok)
            *pos = P.i;
        return ok;
    }
    out->definition = wat_take_kw(&P, "definition");
    if (tk(&P)->kind == WAT_ID)
        out->id = &toks->tok[P.i++];
    if (wat_is_keyword(tk(&P), "binary") || wat_is_keyword(tk(&P), "quote")) {
        bool quote = wat_is_keyword(tk(&P), "quote");
        out->form = quote ? WAT_FORM_QUOTE : WAT_FORM_BINARY;
        P.i++;
        wat_buf b = {0};
        while (tk(&P)->kind == WAT_STRING) {
            buf_bytes(&b, tk(&P)->data, tk(&P)->data_len);
            P.i++;
        }
        ok = wat_expect_rpar(&P);
        if (ok && quote) {
            ok = wat_to_wasm((const char *)b.p, b.len, file, opt, &out->bytes, &out->len, err,
                             err_len);
            buf_free(&b);
        } else if (ok && !b.oom) {
            out->bytes = b.p ? b.p : malloc(1);
            out->len = b.len;
        } else {
            buf_free(&b);
        }
    } else {
        out->form = WAT_FORM_TEXT;
        ok = wat_module_fields(&P, opt, &out->bytes, &out->len) && wat_expect_rpar(&P);
        if (!ok) {
            free(out->bytes);
            out->bytes = NULL;
        }
    }
    if (ok)
        *pos = P.i;
    wat_parser_free(&P);
    return ok;
}

bool wat_to_wasm(const char *text, size_t len, const char *file, const wat_options *opt,
                 uint8_t **out, size_t *out_len, char *err, size_t err_len)
{
    wat_tokens toks;
    *out = NULL;
    *out_len = 0;
    if (!wat_lex(text, len, file, &toks, err, err_len))
        return false;
    bool ok;
    wat_parser P;
    parser_init(&P, &toks, 0, file, err, err_len);
    if (wat_is_lpar_kw(&P, "module")) {
        size_t pos = 0;
        wat_module_out m;
        ok = wat_module_form_read(&toks, &pos, file, opt, &m, err, err_len);
        P.i = pos;
        if (ok && (m.form == WAT_FORM_BINARY || m.form == WAT_FORM_INSTANCE))
            ok = wat_fail(&P, &toks.tok[0], "a script command in a module's text");
        if (ok) {
            *out = m.bytes;
            *out_len = m.len;
        } else {
            free(m.bytes);
        }
    } else if (tk(&P)->kind != WAT_LPAR && tk(&P)->kind != WAT_EOF) {
        ok = wat_expected(&P, tk(&P), "(module ...) or a module field");
    } else {
        ok = wat_module_fields(&P, opt, out, out_len);
    }
    if (ok && tk(&P)->kind != WAT_EOF) {
        ok = wat_expected(&P, tk(&P), "the end of the text");
        free(*out);
        *out = NULL;
    }
    wat_parser_free(&P);
    wat_tokens_free(&toks);
    return ok;
}

bool wat_v128_const(const wat_tokens *toks, size_t *pos, const char *file, uint8_t out[16],
                    char *err, size_t err_len)
{
    wat_parser P;
    parser_init(&P, toks, *pos, file, err, err_len);
    bool ok = wat_v128(&P, out);
    if (ok)
        *pos = P.i;
    wat_parser_free(&P);
    return ok;
}

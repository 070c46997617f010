/*
 * decode.c -- the binary decoder: WebAssembly 2.0 bytes (plus the threads
 * proposal's shared memories) to struct weft_module.
 *
 * The reader runs over the whole module, not just the current section, the
 * way the spec's reference interpreter reads: a section whose count promises
 * more than its size holds reads on into the next section's bytes and fails
 * there ("length out of bounds", "section size mismatch", ...), and every
 * message matches the reference's wording for the same input.  Reads never
 * pass the end of the module, and every count is checked against the bytes
 * left before anything is allocated for it, so memory stays proportional to
 * the input.
 *
 * Function bodies are recorded as byte ranges after their local declarations;
 * the validator decodes their instructions.  Constant expressions are scanned
 * only far enough to find their final `end`.  The "name" custom section is
 * parsed last, when the function count is known; a malformed one is dropped
 * (custom sections never make a module malformed).
 */
#include <stdatomic.h>

#include "engine/decode.h"
#include "engine/immediates.h"
#include "engine/opcodes.h"
#include "engine/reader.h"
#include "engine/utf8.h"

enum {
    SEC_CUSTOM = 0,
    SEC_TYPE = 1,
    SEC_IMPORT = 2,
    SEC_FUNC = 3,
    SEC_TABLE = 4,
    SEC_MEMORY = 5,
    SEC_GLOBAL = 6,
    SEC_EXPORT = 7,
    SEC_START = 8,
    SEC_ELEM = 9,
    SEC_CODE = 10,
    SEC_DATA = 11,
    SEC_DATA_COUNT = 12,
};

/* Position of each section id in the required order (data count sits between
 * element and code); custom sections may appear anywhere. */
static const uint8_t section_rank[13] = {
    [SEC_TYPE] = 1,    [SEC_IMPORT] = 2, [SEC_FUNC] = 3,        [SEC_TABLE] = 4,
    [SEC_MEMORY] = 5,  [SEC_GLOBAL] = 6, [SEC_EXPORT] = 7,      [SEC_START] = 8,
    [SEC_ELEM] = 9,    [SEC_DATA_COUNT] = 10, [SEC_CODE] = 11,  [SEC_DATA] = 12,
};

/* An import's description, kept until the import section is done and the
 * index spaces can be laid out. */
typedef struct dec_import_desc {
    union {
        uint32_t type;
        mod_tabletype table;
        mod_limits memory;
        mod_globaltype global;
    } u;
} dec_import_desc;

typedef struct dec {
    weft_engine *e;
    weft_module *m;
    weft_error *err;
    reader r;
    uint32_t customs_cap;
    bool has_names;
    mod_range names; /* contents of the first "name" custom section */
    const uint8_t *section_end; /* of the section being decoded */
} dec;

static inline uint32_t dec_pos(const dec *d) { return (uint32_t)rd_offset(&d->r); }

static weft_status dec_nomem(dec *d)
{
    return err_set(d->err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
}

/* Zeroed array of n items (n may be 0); n is already bounded by the input. */
static weft_status dec_array(dec *d, void *out, size_t n, size_t size)
{
    void *p = eng_calloc(d->e, n ? n : 1, size);
    if (!p)
        return dec_nomem(d);
    *(void **)out = p;
    return WEFT_OK;
}

/* Grows *arr (holding `old` items) to `n` items, zeroing the new ones. */
static weft_status dec_grow(dec *d, void *arr, size_t old, size_t n, size_t size)
{
    if (n > SIZE_MAX / size)
        return dec_nomem(d);
    void *p = eng_realloc(d->e, *(void **)arr, n ? n * size : 1);
    if (!p)
        return dec_nomem(d);
    if (n > old)
        memset((uint8_t *)p + old * size, 0, (n - old) * size);
    *(void **)arr = p;
    return WEFT_OK;
}

/* ---- primitives -------------------------------------------------------- */

/* A u32 length or count, which cannot exceed the bytes left in the module
 * (each item takes at least one byte): the check that keeps a count of
 * 0xFFFFFFFF from allocating anything.  Like the reference interpreter, the
 * bytes left are counted from the start of the LEB128 itself. */
static weft_status dec_len(reader *r, uint32_t *n)
{
    uint64_t at = rd_offset(r);
    size_t left = rd_left(r);
    weft_status st = rd_u32(r, n);
    if (st != WEFT_OK)
        return st;
    if (*n > left)
        return err_set(r->err, WEFT_E_LENGTH_OUT_OF_BOUNDS, at, NULL);
    return WEFT_OK;
}

/* Well-formed UTF-8 (engine/utf8.h) all through. */
static bool dec_utf8_valid(const uint8_t *s, size_t n)
{
    uint32_t cp;
    for (size_t i = 0, len; i < n; i += len)
        if (!(len = utf8_next(s + i, n - i, &cp)))
            return false;
    return true;
}

/* A name: length, UTF-8 bytes; copied NUL-terminated. */
static weft_status dec_name(dec *d, reader *r, mod_name *out)
{
    weft_status st = WEFT_OK;
    uint64_t at = rd_offset(r);
    uint32_t len;
    const uint8_t *bytes;
    TRY(dec_len(r, &len));
    TRY(rd_bytes(r, len, &bytes));
    if (!dec_utf8_valid(bytes, len))
        return err_set(r->err, WEFT_E_BAD_UTF8, at, NULL);
    char *copy = eng_alloc(d->e, (size_t)len + 1);
    if (!copy)
        return dec_nomem(d);
    memcpy(copy, bytes, len);
    copy[len] = '\0';
    out->data = copy;
    out->len = len;
fail:
    return st;
}

/* Type bytes are one-byte signed LEB128s in the reference interpreter: a set
 * continuation bit is "integer representation too long". */
static weft_status dec_type_byte(reader *r, uint8_t *b, uint64_t *at)
{
    *at = rd_offset(r);
    weft_status st = rd_u8(r, b);
    if (st == WEFT_OK && (*b & 0x80))
        return err_set(r->err, WEFT_E_INT_TOO_LONG, *at + 1, NULL);
    return st;
}

static weft_status dec_reftype(reader *r, mod_valtype *out)
{
    uint8_t b;
    uint64_t at;
    weft_status st = dec_type_byte(r, &b, &at);
    if (st != WEFT_OK)
        return st;
    if (!mod_is_reftype(b))
        return err_set(r->err, WEFT_E_BAD_REFTYPE, at, NULL);
    *out = b;
    return WEFT_OK;
}

/* Numeric and vector types are 0x7B..0x7F; anything lower is read as a
 * reference type, hence the reference interpreter's "malformed reference
 * type" for every unknown value type. */
static weft_status dec_valtype(reader *r, mod_valtype *out)
{
    uint8_t b;
    uint64_t at;
    weft_status st = dec_type_byte(r, &b, &at);
    if (st != WEFT_OK)
        return st;
    if (!mod_is_numtype(b) && !mod_is_reftype(b))
        return err_set(r->err, WEFT_E_BAD_REFTYPE, at, NULL);
    *out = b;
    return WEFT_OK;
}

/* Limits.  Flags: bit 0 has a maximum, bit 1 shared (threads proposal; a
 * shared memory without a maximum decodes, the validator rejects it), bit 2
 * memory64; which of them a memory may use depends on the engine's features
 * (dec_memory_flags).  Tables take only bit 0.  The reference interpreter reads
 * the flag as a 1-bit LEB128, hence "integer too large" for a flag not allowed. */
static uint8_t dec_memory_flags(const dec *d)
{
    uint32_t features = eng_config(d->e)->features;
    return (uint8_t)(0x01 | (features & WEFT_FEATURE_THREADS ? 0x02 : 0) |
                     (features & WEFT_FEATURE_MEMORY64 ? 0x04 : 0));
}

static weft_status dec_limits(reader *r, uint8_t allowed_flags, mod_limits *out)
{
    weft_status st = WEFT_OK;
    uint64_t at = rd_offset(r);
    uint8_t flags;
    out->offset = (uint32_t)at;
    TRY(rd_u8(r, &flags));
    if ((flags & 0x7F & ~allowed_flags) != 0)
        return err_set(r->err, WEFT_E_INT_TOO_LARGE, at, NULL);
    if (flags & 0x80)
        return err_set(r->err, WEFT_E_INT_TOO_LONG, at + 1, NULL);
    out->has_max = flags & 1;
    out->shared = (flags & 2) != 0;
    out->is64 = (flags & 4) != 0;
    unsigned bits = out->is64 ? 64 : 32;
    TRY(rd_uleb(r, bits, &out->min));
    out->max = 0;
    if (out->has_max)
        TRY(rd_uleb(r, bits, &out->max));
fail:
    return st;
}

static weft_status dec_tabletype(reader *r, mod_tabletype *out)
{
    weft_status st = WEFT_OK;
    TRY(dec_reftype(r, &out->elem));
    TRY(dec_limits(r, 0x01, &out->limits));
fail:
    return st;
}

static weft_status dec_globaltype(reader *r, mod_globaltype *out)
{
    weft_status st = WEFT_OK;
    TRY(dec_valtype(r, &out->type));
    uint64_t at = rd_offset(r);
    uint8_t mut;
    TRY(rd_u8(r, &mut));
    if (mut > 1)
        return err_set(r->err, WEFT_E_BAD_MUTABILITY, at, NULL);
    out->mutable_ = mut == 1;
fail:
    return st;
}

/* ---- constant expressions ---------------------------------------------- */

/* Finds the end of a constant expression: instructions up to the `end` that
 * closes it, that `end` included.  Whether the instructions are constant is
 * the validator's business; here only malformed ones fail. */
static weft_status dec_constexpr(reader *r, mod_constexpr *out)
{
    weft_status st = WEFT_OK;
    uint32_t depth = 0;
    out->start = (uint32_t)rd_offset(r);
    for (;;) {
        uint64_t at = rd_offset(r);
        uint8_t b, prefix = 0;
        uint32_t code;
        TRY(rd_u8(r, &b));
        code = b;
        if (op_is_prefix(b)) {
            prefix = b;
            TRY(rd_u32(r, &code));
        }
        op_id op;
        if (!op_lookup(prefix, code, &op)) {
            if (prefix)
                return err_set(r->err, WEFT_E_ILLEGAL_OPCODE, at, "%02x %02x", prefix, code);
            return err_set(r->err, WEFT_E_ILLEGAL_OPCODE, at, "%02x", b);
        }
        if (op == OP_END) {
            if (depth == 0)
                break;
            depth--;
        } else if (op == OP_ELSE && depth == 0) {
            return err_set(r->err, WEFT_E_END_EXPECTED, at, NULL);
        } else if (op == OP_BLOCK || op == OP_LOOP || op == OP_IF) {
            depth++;
        }
        imm_values skipped;
        TRY(imm_read(r, op_table[op].imm, &skipped));
    }
    out->end = (uint32_t)rd_offset(r);
fail:
    return st;
}

/* A constant expression of a section's item: one that runs past the end of
 * its section is "unexpected end of section or function", as the 3.0 suite
 * expects (binary.wast: a global without its `end`), not whatever the next
 * section's bytes make of it. */
static weft_status dec_item_constexpr(dec *d, reader *r, mod_constexpr *out)
{
    reader sub = *r;
    if (d->section_end && d->section_end < sub.end) {
        sub.end = d->section_end;
        sub.eof_code = WEFT_E_UNEXPECTED_END_SECTION;
    }
    weft_status st = dec_constexpr(&sub, out);
    r->p = sub.p;
    return st;
}

/* ---- sections ----------------------------------------------------------- */

static weft_status dec_type_section(dec *d)
{
    weft_status st = WEFT_OK;
    reader *r = &d->r;
    weft_module *m = d->m;
    uint32_t n;
    TRY(dec_len(r, &n));
    TRY(dec_array(d, &m->types, n, sizeof *m->types));
    m->ntypes = n;
    for (uint32_t i = 0; i < n; i++) {
        mod_functype *ft = &m->types[i];
        uint8_t form;
        uint64_t at;
        TRY(dec_type_byte(r, &form, &at));
        if (form != 0x60)
            return err_set(d->err, WEFT_E_BAD_FUNCTYPE, at, NULL);
        /* Every value type is one byte, so the params and the results are
         * two runs of bytes: check them, then copy both into one array. */
        uint32_t np, nr;
        mod_valtype t;
        TRY(dec_len(r, &np));
        const uint8_t *params = r->p;
        for (uint32_t k = 0; k < np; k++)
            TRY(dec_valtype(r, &t));
        TRY(dec_len(r, &nr));
        const uint8_t *results = r->p;
        for (uint32_t k = 0; k < nr; k++)
            TRY(dec_valtype(r, &t));
        TRY(dec_array(d, &ft->types, (size_t)np + nr, 1));
        memcpy(ft->types, params, np);
        memcpy(ft->types + np, results, nr);
        ft->nparams = np;
        ft->nresults = nr;
    }
fail:
    return st;
}

static weft_status dec_import_section(dec *d)
{
    weft_status st = WEFT_OK;
    reader *r = &d->r;
    weft_module *m = d->m;
    dec_import_desc *desc = NULL;
    uint32_t n;
    TRY(dec_len(r, &n));
    TRY(dec_array(d, &m->imports, n, sizeof *m->imports));
    m->nimports = n;
    TRY(dec_array(d, &desc, n, sizeof *desc));
    uint32_t count[4] = { 0, 0, 0, 0 };
    for (uint32_t i = 0; i < n; i++) {
        mod_import *im = &m->imports[i];
        im->offset = dec_pos(d);
        TRY(dec_name(d, r, &im->module));
        TRY(dec_name(d, r, &im->name));
        uint64_t at = rd_offset(r);
        TRY(rd_u8(r, &im->kind));
        switch (im->kind) {
        case EXT_FUNC:
            TRY(rd_u32(r, &desc[i].u.type));
            break;
        case EXT_TABLE:
            TRY(dec_tabletype(r, &desc[i].u.table));
            break;
        case EXT_MEMORY:
            TRY(dec_limits(r, dec_memory_flags(d), &desc[i].u.memory));
            break;
        case EXT_GLOBAL:
            TRY(dec_globaltype(r, &desc[i].u.global));
            break;
        default:
            TRY(err_set(d->err, WEFT_E_BAD_IMPORT_KIND, at, NULL));
        }
        im->index = count[im->kind]++;
    }
    /* Imports open each index space. */
    TRY(dec_array(d, &m->func_types, count[EXT_FUNC], sizeof *m->func_types));
    TRY(dec_array(d, &m->tables, count[EXT_TABLE], sizeof *m->tables));
    TRY(dec_array(d, &m->memories, count[EXT_MEMORY], sizeof *m->memories));
    TRY(dec_array(d, &m->globals, count[EXT_GLOBAL], sizeof *m->globals));
    m->nfuncs = m->nfunc_imports = count[EXT_FUNC];
    m->ntables = m->ntable_imports = count[EXT_TABLE];
    m->nmemories = m->nmemory_imports = count[EXT_MEMORY];
    m->nglobals = m->nglobal_imports = count[EXT_GLOBAL];
    for (uint32_t i = 0; i < n; i++) {
        const mod_import *im = &m->imports[i];
        switch (im->kind) {
        case EXT_FUNC: m->func_types[im->index] = desc[i].u.type; break;
        case EXT_TABLE: m->tables[im->index] = desc[i].u.table; break;
        case EXT_MEMORY: m->memories[im->index] = desc[i].u.memory; break;
        default: m->globals[im->index].type = desc[i].u.global; break;
        }
    }
fail:
    eng_free(d->e, desc);
    return st;
}

/* Adds n definitions after the imports of an index space; the total must
 * stay a u32 (only a module of gigabytes could get there). */
static weft_status dec_extend(dec *d, void *arr, uint32_t *count, uint32_t n, size_t size,
                              uint64_t at)
{
    if ((uint64_t)*count + n > UINT32_MAX)
        return err_set(d->err, WEFT_E_LENGTH_OUT_OF_BOUNDS, at, NULL);
    weft_status st = dec_grow(d, arr, *count, (size_t)*count + n, size);
    if (st == WEFT_OK)
        *count += n;
    return st;
}

/* The function, table, memory and global sections: a vector of items, each
 * read by `item` into the arrays the imports opened. */
typedef weft_status (*dec_item_fn)(dec *d, void *item);

static weft_status dec_vector_section(dec *d, void *arr, uint32_t *count, size_t size,
                                      dec_item_fn item)
{
    weft_status st = WEFT_OK;
    uint64_t at = rd_offset(&d->r);
    uint32_t n;
    TRY(dec_len(&d->r, &n));
    uint32_t first = *count;
    TRY(dec_extend(d, arr, count, n, size, at));
    for (uint32_t i = 0; i < n; i++)
        TRY(item(d, (uint8_t *)*(void **)arr + (size_t)(first + i) * size));
fail:
    return st;
}

static weft_status dec_func_item(dec *d, void *item) { return rd_u32(&d->r, item); }
static weft_status dec_table_item(dec *d, void *item) { return dec_tabletype(&d->r, item); }

static weft_status dec_memory_item(dec *d, void *item)
{
    return dec_limits(&d->r, dec_memory_flags(d), item);
}

static weft_status dec_global_item(dec *d, void *item)
{
    weft_status st = WEFT_OK;
    mod_global *g = item;
    TRY(dec_globaltype(&d->r, &g->type));
    TRY(dec_item_constexpr(d, &d->r, &g->init));
fail:
    return st;
}

static weft_status dec_export_section(dec *d)
{
    weft_status st = WEFT_OK;
    reader *r = &d->r;
    weft_module *m = d->m;
    uint32_t n;
    TRY(dec_len(r, &n));
    TRY(dec_array(d, &m->exports, n, sizeof *m->exports));
    m->nexports = n;
    for (uint32_t i = 0; i < n; i++) {
        mod_export *ex = &m->exports[i];
        ex->offset = dec_pos(d);
        TRY(dec_name(d, r, &ex->name));
        uint64_t at = rd_offset(r);
        TRY(rd_u8(r, &ex->kind));
        if (ex->kind > EXT_GLOBAL)
            return err_set(d->err, WEFT_E_BAD_EXPORT_KIND, at, NULL);
        TRY(rd_u32(r, &ex->index));
    }
fail:
    return st;
}

static weft_status dec_start_section(dec *d)
{
    d->m->start_offset = dec_pos(d);
    weft_status st = rd_u32(&d->r, &d->m->start);
    d->m->has_start = st == WEFT_OK;
    return st;
}

static weft_status dec_elem_kind(reader *r, mod_valtype *out)
{
    uint64_t at = rd_offset(r);
    uint8_t b;
    weft_status st = rd_u8(r, &b);
    if (st != WEFT_OK)
        return st;
    if (b != 0x00)
        return err_set(r->err, WEFT_E_BAD_ELEM_KIND, at, NULL);
    *out = VT_FUNCREF;
    return WEFT_OK;
}

/* Element segment flags: bit 0 passive or declarative, bit 1 an explicit
 * table index (active) or declarative (with bit 0), bit 2 items are
 * expressions rather than function indices. */
static weft_status dec_elem(dec *d, mod_elem *el)
{
    weft_status st = WEFT_OK;
    reader *r = &d->r;
    uint64_t at = rd_offset(r);
    uint32_t flags;
    TRY(rd_u32(r, &flags));
    if (flags > 7)
        return err_set(d->err, WEFT_E_BAD_SEGMENT_FLAGS, at, NULL);
    bool exprs = flags & 4;
    el->type = VT_FUNCREF;
    if (flags & 1) {
        el->mode = (flags & 2) ? SEG_DECLARATIVE : SEG_PASSIVE;
    } else {
        el->mode = SEG_ACTIVE;
        if (flags & 2)
            TRY(rd_u32(r, &el->table));
        TRY(dec_item_constexpr(d, r, &el->offset));
    }
    /* Flags 0 and 4 imply funcref; the others spell the type out. */
    if (flags & 3)
        TRY(exprs ? dec_reftype(r, &el->type) : dec_elem_kind(r, &el->type));
    uint32_t n;
    TRY(dec_len(r, &n));
    if (exprs) {
        TRY(dec_array(d, &el->exprs, n, sizeof *el->exprs));
        el->count = n;
        for (uint32_t i = 0; i < n; i++)
            TRY(dec_item_constexpr(d, r, &el->exprs[i]));
    } else {
        TRY(dec_array(d, &el->funcs, n, sizeof *el->funcs));
        el->count = n;
        for (uint32_t i = 0; i < n; i++)
            TRY(rd_u32(r, &el->funcs[i]));
    }
fail:
    return st;
}

static weft_status dec_elem_section(dec *d)
{
    weft_status st = WEFT_OK;
    weft_module *m = d->m;
    uint32_t n;
    TRY(dec_len(&d->r, &n));
    TRY(dec_array(d, &m->elems, n, sizeof *m->elems));
    m->nelems = n;
    for (uint32_t i = 0; i < n; i++) {
        m->elems[i].offset_in_module = dec_pos(d);
        TRY(dec_elem(d, &m->elems[i]));
    }
fail:
    return st;
}

static weft_status dec_data_count_section(dec *d)
{
    weft_status st = rd_u32(&d->r, &d->m->data_count);
    d->m->has_data_count = st == WEFT_OK;
    return st;
}

/* One code entry: its size, the local declarations, then the body, which is
 * only recorded. */
static weft_status dec_code(dec *d, mod_code *c)
{
    weft_status st = WEFT_OK;
    reader *r = &d->r;
    c->offset = dec_pos(d);
    uint32_t size;
    TRY(dec_len(r, &size));
    uint32_t start = dec_pos(d);
    uint64_t end = (uint64_t)start + size;
    uint64_t locals_at = rd_offset(r);
    uint32_t ngroups;
    TRY(dec_len(r, &ngroups));
    TRY(dec_array(d, &c->groups, ngroups, sizeof *c->groups));
    c->ngroups = ngroups;
    uint64_t total = 0;
    for (uint32_t i = 0; i < ngroups; i++) {
        TRY(rd_u32(r, &c->groups[i].count));
        TRY(dec_valtype(r, &c->groups[i].type));
        total += c->groups[i].count;
    }
    /* The reference interpreter's rule: the sum must fit in a u32. */
    if (total > UINT32_MAX)
        return err_set(d->err, WEFT_E_TOO_MANY_LOCALS, locals_at, NULL);
    c->nlocals = (uint32_t)total;
    if (dec_pos(d) > end)
        return err_set(d->err, WEFT_E_SECTION_SIZE, start, NULL);
    /* The reference reads the body up to the end of the module before it
     * finds that the promised size is not there. */
    if (end > d->m->size)
        return err_set(d->err, WEFT_E_UNEXPECTED_END_SECTION, d->m->size, NULL);
    c->body.start = dec_pos(d);
    c->body.end = (uint32_t)end;
    r->p = r->base + end;
    atomic_init(&c->code, NULL);
fail:
    return st;
}

static weft_status dec_code_section(dec *d)
{
    weft_status st = WEFT_OK;
    weft_module *m = d->m;
    uint32_t n;
    TRY(dec_len(&d->r, &n));
    TRY(dec_array(d, &m->codes, n, sizeof *m->codes));
    m->ncodes = n;
    for (uint32_t i = 0; i < n; i++)
        TRY(dec_code(d, &m->codes[i]));
fail:
    return st;
}

static weft_status dec_data_section(dec *d)
{
    weft_status st = WEFT_OK;
    reader *r = &d->r;
    weft_module *m = d->m;
    uint32_t n;
    TRY(dec_len(r, &n));
    TRY(dec_array(d, &m->datas, n, sizeof *m->datas));
    m->ndatas = n;
    for (uint32_t i = 0; i < n; i++) {
        mod_data *ds = &m->datas[i];
        ds->offset_in_module = dec_pos(d);
        uint64_t at = rd_offset(r);
        uint32_t flags;
        TRY(rd_u32(r, &flags));
        if (flags > 2)
            return err_set(d->err, WEFT_E_BAD_SEGMENT_FLAGS, at, NULL);
        ds->mode = flags == 1 ? SEG_PASSIVE : SEG_ACTIVE;
        if (flags == 2)
            TRY(rd_u32(r, &ds->memory));
        if (flags != 1)
            TRY(dec_item_constexpr(d, r, &ds->offset));
        uint32_t len;
        const uint8_t *bytes;
        TRY(dec_len(r, &len));
        ds->bytes.start = dec_pos(d);
        TRY(rd_bytes(r, len, &bytes));
        ds->bytes.end = dec_pos(d);
    }
fail:
    return st;
}

/* A custom section: its name, then contents up to the section's end.  A name
 * that runs past the end is "unexpected end", as in the reference. */
static weft_status dec_custom_section(dec *d, uint64_t end)
{
    weft_status st = WEFT_OK;
    weft_module *m = d->m;
    mod_name name = { NULL, 0 };
    TRY(dec_name(d, &d->r, &name));
    /* The size may promise a few bytes more than the module has (lengths are
     * checked from the start of their LEB128, as the reference does). */
    if (dec_pos(d) > end || end > m->size) {
        st = err_set(d->err, WEFT_E_UNEXPECTED_END_SECTION, m->size, NULL);
        goto fail;
    }
    if (m->ncustoms == d->customs_cap) {
        uint32_t cap = d->customs_cap ? 2 * d->customs_cap : 4;
        TRY(dec_grow(d, &m->customs, d->customs_cap, cap, sizeof *m->customs));
        d->customs_cap = cap;
    }
    mod_custom *c = &m->customs[m->ncustoms++];
    c->name = name;
    c->contents.start = dec_pos(d);
    c->contents.end = (uint32_t)end;
    name.data = NULL; /* owned by the module now */
    if (!d->has_names && c->name.len == 4 && memcmp(c->name.data, "name", 4) == 0) {
        d->has_names = true;
        d->names = c->contents;
    }
    d->r.p = d->r.base + end;
fail:
    eng_free(d->e, (void *)name.data);
    return st;
}

/* ---- the name section --------------------------------------------------- */

/* What a name map may allocate in all, in mod_name slots: local names are
 * stored densely by index, so sparse indices must not buy large arrays. */
#define DEC_NAME_SLOTS_MIN 65536u

typedef struct dec_names {
    dec *d;
    uint64_t slots_left;
} dec_names;

/* Function names: vec(funcidx name), indices strictly increasing. */
static weft_status dec_func_names(dec_names *dn, reader *r)
{
    weft_status st = WEFT_OK;
    weft_module *m = dn->d->m;
    uint32_t n;
    TRY(dec_len(r, &n));
    if (!m->names.funcs)
        TRY(dec_array(dn->d, &m->names.funcs, m->nfuncs, sizeof *m->names.funcs));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx;
        TRY(rd_u32(r, &idx));
        if (idx >= m->nfuncs || m->names.funcs[idx].data)
            return err_set(r->err, WEFT_E_UNEXPECTED_END, rd_offset(r), NULL);
        TRY(dec_name(dn->d, r, &m->names.funcs[idx]));
    }
fail:
    return st;
}

/* The locals a function has: parameters, then declared locals. */
static uint64_t dec_func_nlocals(const weft_module *m, uint32_t func)
{
    uint64_t n = 0;
    uint32_t type = m->func_types[func];
    if (type < m->ntypes)
        n = m->types[type].nparams;
    if (func >= m->nfunc_imports)
        n += m->codes[func - m->nfunc_imports].nlocals;
    return n;
}

/* One function's local names: vec(localidx name), indices strictly
 * increasing and below the function's local count. */
static weft_status dec_local_map(dec_names *dn, reader *r, uint32_t func)
{
    weft_status st = WEFT_OK;
    weft_module *m = dn->d->m;
    uint32_t n;
    TRY(dec_len(r, &n));
    /* First pass: check the indices and find the largest, to size the array. */
    const uint8_t *begin = r->p;
    uint64_t limit = dec_func_nlocals(m, func), next = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx, len;
        const uint8_t *skip;
        TRY(rd_u32(r, &idx));
        if (idx < next || idx >= limit)
            return err_set(r->err, WEFT_E_UNEXPECTED_END, rd_offset(r), NULL);
        next = (uint64_t)idx + 1;
        TRY(dec_len(r, &len));
        TRY(rd_bytes(r, len, &skip));
    }
    if (n == 0 || next > dn->slots_left)
        return WEFT_OK; /* nothing to keep, or too sparse to keep */
    dn->slots_left -= next;
    r->p = begin;
    TRY(dec_array(dn->d, &m->names.locals[func], next, sizeof **m->names.locals));
    m->names.nlocals[func] = (uint32_t)next;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx;
        TRY(rd_u32(r, &idx));
        TRY(dec_name(dn->d, r, &m->names.locals[func][idx]));
    }
fail:
    return st;
}

/* Local names: vec(funcidx vec(localidx name)), function indices strictly
 * increasing. */
static weft_status dec_local_names(dec_names *dn, reader *r)
{
    weft_status st = WEFT_OK;
    weft_module *m = dn->d->m;
    uint32_t n;
    TRY(dec_len(r, &n));
    if (!m->names.locals) {
        TRY(dec_array(dn->d, &m->names.locals, m->nfuncs, sizeof *m->names.locals));
        TRY(dec_array(dn->d, &m->names.nlocals, m->nfuncs, sizeof *m->names.nlocals));
    }
    uint64_t next = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t func;
        TRY(rd_u32(r, &func));
        if (func < next || func >= m->nfuncs)
            return err_set(r->err, WEFT_E_UNEXPECTED_END, rd_offset(r), NULL);
        next = (uint64_t)func + 1;
        TRY(dec_local_map(dn, r, func));
    }
fail:
    return st;
}

/* Subsections: id, size, contents; ids 0 (module), 1 (functions), 2 (locals)
 * in order and at most once each; later ids (labels, types, ... of the
 * extended name section) are skipped. */
static weft_status dec_name_subsections(dec_names *dn, reader *r)
{
    weft_status st = WEFT_OK;
    int last = -1;
    while (!rd_done(r)) {
        uint8_t id;
        uint32_t size;
        const uint8_t *contents;
        TRY(rd_u8(r, &id));
        TRY(dec_len(r, &size));
        TRY(rd_bytes(r, size, &contents));
        if (id > 2)
            continue;
        if ((int)id <= last)
            return err_set(r->err, WEFT_E_UNEXPECTED_END, rd_offset(r), NULL);
        last = id;
        reader sub = *r;
        sub.p = contents;
        sub.end = contents + size;
        if (id == 0)
            TRY(dec_name(dn->d, &sub, &dn->d->m->names.module));
        else if (id == 1)
            TRY(dec_func_names(dn, &sub));
        else
            TRY(dec_local_names(dn, &sub));
        if (!rd_done(&sub))
            return err_set(r->err, WEFT_E_SECTION_SIZE, rd_offset(&sub), NULL);
    }
fail:
    return st;
}

/* Parses the name section once the module is otherwise decoded; drops every
 * name if anything about it is malformed. */
static weft_status dec_name_section(dec *d)
{
    weft_error ignored;
    reader r = {
        .base = d->r.base,
        .p = d->r.base + d->names.start,
        .end = d->r.base + d->names.end,
        .err = &ignored,
        .eof_code = WEFT_E_UNEXPECTED_END,
    };
    dec_names dn = { d, DEC_NAME_SLOTS_MIN + 8 * (uint64_t)(d->names.end - d->names.start) };
    weft_status st = dec_name_subsections(&dn, &r);
    if (st == WEFT_OK)
        return WEFT_OK;
    mod_free_names(d->m);
    /* Running out of memory is still an error; malformed names are not. */
    if (st == WEFT_NOMEM)
        return dec_nomem(d);
    return WEFT_OK;
}

/* ---- the module --------------------------------------------------------- */

static weft_status dec_section(dec *d, uint8_t id)
{
    weft_module *m = d->m;
    switch (id) {
    case SEC_TYPE: return dec_type_section(d);
    case SEC_IMPORT: return dec_import_section(d);
    case SEC_FUNC:
        return dec_vector_section(d, &m->func_types, &m->nfuncs, sizeof *m->func_types,
                                  dec_func_item);
    case SEC_TABLE:
        return dec_vector_section(d, &m->tables, &m->ntables, sizeof *m->tables, dec_table_item);
    case SEC_MEMORY:
        return dec_vector_section(d, &m->memories, &m->nmemories, sizeof *m->memories,
                                  dec_memory_item);
    case SEC_GLOBAL:
        return dec_vector_section(d, &m->globals, &m->nglobals, sizeof *m->globals,
                                  dec_global_item);
    case SEC_EXPORT: return dec_export_section(d);
    case SEC_START: return dec_start_section(d);
    case SEC_ELEM: return dec_elem_section(d);
    case SEC_DATA_COUNT: return dec_data_count_section(d);
    case SEC_CODE: return dec_code_section(d);
    default: return dec_data_section(d);
    }
}

static weft_status dec_sections(dec *d)
{
    weft_status st = WEFT_OK;
    reader *r = &d->r;
    weft_module *m = d->m;
    uint8_t last_rank = 0;
    while (!rd_done(r)) {
        uint32_t at = dec_pos(d);
        uint8_t id = *r->p;
        if (id > SEC_DATA_COUNT)
            return err_set(d->err, WEFT_E_BAD_SECTION_ID, at, NULL);
        /* A section out of order or repeated ends the module as far as the
         * reference interpreter is concerned: what follows is junk. */
        if (id != SEC_CUSTOM && section_rank[id] <= last_rank)
            return err_set(d->err, WEFT_E_JUNK_AFTER_LAST_SECTION, at, NULL);
        r->p++;
        uint32_t size;
        TRY(dec_len(r, &size));
        uint32_t start = dec_pos(d);
        uint64_t end = (uint64_t)start + size;
        if (id == SEC_CUSTOM) {
            TRY(dec_custom_section(d, end));
        } else {
            last_rank = section_rank[id];
            d->section_end = end <= m->size ? r->base + end : NULL;
            st = dec_section(d, id);
            d->section_end = NULL;
            if (st != WEFT_OK)
                goto fail;
        }
        if (dec_pos(d) != end)
            return err_set(d->err, WEFT_E_SECTION_SIZE, start, NULL);
    }
    if (m->nfuncs - m->nfunc_imports != m->ncodes)
        return err_set(d->err, WEFT_E_FUNC_CODE_MISMATCH, m->size, NULL);
    if (m->has_data_count && m->data_count != m->ndatas)
        return err_set(d->err, WEFT_E_DATA_COUNT_MISMATCH, m->size, NULL);
fail:
    return st;
}

weft_status dec_module(weft_engine *engine, const uint8_t *bytes, size_t size, weft_module **out,
                       weft_error *err)
{
    weft_status st = WEFT_OK;
    *out = NULL;
    if (size > UINT32_MAX)
        return err_set(err, WEFT_E_UNSUPPORTED, WEFT_NO_OFFSET, "module larger than 4 GiB");
    weft_module *m = eng_calloc(engine, 1, sizeof *m);
    if (!m)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
    m->engine = engine;
    atomic_init(&m->refs, 1);
    dec d = { .e = engine, .m = m, .err = err };
    m->bytes = eng_alloc(engine, size);
    if (!m->bytes)
        TRY(dec_nomem(&d));
    if (size)
        memcpy(m->bytes, bytes, size);
    m->size = (uint32_t)size;
    d.r = (reader){ m->bytes, m->bytes, m->bytes + size, err, WEFT_E_UNEXPECTED_END };

    uint32_t magic, version;
    TRY(rd_fixed32(&d.r, &magic));
    if (magic != 0x6D736100u) /* "\0asm" */
        TRY(err_set(err, WEFT_E_BAD_MAGIC, 0, NULL));
    TRY(rd_fixed32(&d.r, &version));
    if (version != 1)
        TRY(err_set(err, WEFT_E_BAD_VERSION, 4, NULL));
    /* From here on, running out of bytes is the section flavour of the error. */
    d.r.eof_code = WEFT_E_UNEXPECTED_END_SECTION;
    TRY(dec_sections(&d));
    if (d.has_names)
        TRY(dec_name_section(&d));
    *out = m;
    return WEFT_OK;
fail:
    mod_free(m);
    return st;
}

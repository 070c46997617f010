/*
 * validate.c -- val_module: the module-level rules of WebAssembly 2.0 plus the
 * threads proposal's shared memories (limits, function types, constant
 * expressions in globals and segments, exports, start), the set of functions
 * that ref.func may name, and the driver that checks every function body
 * (engine/validate_code.c), on two threads for large modules.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "engine/validate.h"
#include "engine/validate_impl.h"

typedef struct val_mod {
    weft_module *m;
    weft_error *err;
} val_mod;

/* ---- limits ------------------------------------------------------------------- */

/* The import entry that brought in `index` of space `kind`, for its offset.
 * Only on error paths: it is linear in the imports. */
static uint64_t import_offset(const weft_module *m, uint8_t kind, uint32_t index)
{
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == kind && m->imports[i].index == index)
            return m->imports[i].offset;
    return WEFT_NO_OFFSET;
}

/* Where table or memory `index` comes from: its import entry, or its limits
 * in the table or memory section. */
static uint64_t limits_offset(const weft_module *m, uint8_t kind, uint32_t index,
                              const mod_limits *l)
{
    uint32_t nimports = kind == EXT_TABLE ? m->ntable_imports : m->nmemory_imports;
    return index < nimports ? import_offset(m, kind, index) : l->offset;
}

/* The spec checks the range of min and max first, then their order.  Returns
 * the error code, or WEFT_E_NONE. */
static weft_code limits_error(const mod_limits *l, uint64_t range, weft_code too_large)
{
    if (l->min > range || (l->has_max && l->max > range))
        return too_large;
    if (l->has_max && l->min > l->max)
        return WEFT_E_MIN_OVER_MAX;
    return WEFT_E_NONE;
}

static weft_status check_tables_memories(val_mod *v)
{
    const weft_module *m = v->m;
    weft_code code;
    for (uint32_t i = 0; i < m->ntables; i++) {
        code = limits_error(&m->tables[i].limits, UINT32_MAX, WEFT_E_TABLE_TOO_LARGE);
        if (code != WEFT_E_NONE)
            return err_set(v->err, code, limits_offset(m, EXT_TABLE, i, &m->tables[i].limits),
                           "(table %u)", i);
    }
    for (uint32_t i = 0; i < m->nmemories; i++) {
        const mod_limits *l = &m->memories[i];
        /* 65536 pages of 64 KiB is the whole 32-bit space; memory64 allows 2^48. */
        code = limits_error(l, l->is64 ? (uint64_t)1 << 48 : 65536, WEFT_E_MEMORY_TOO_LARGE);
        if (code == WEFT_E_NONE && l->shared && !l->has_max)
            code = WEFT_E_SHARED_NEEDS_MAX;
        if (code != WEFT_E_NONE)
            return err_set(v->err, code, limits_offset(m, EXT_MEMORY, i, l), "(memory %u)", i);
    }
    if (m->nmemories > 1)
        return err_set(v->err, WEFT_E_MULTIPLE_MEMORIES,
                       limits_offset(m, EXT_MEMORY, 1, &m->memories[1]), "(%u)", m->nmemories);
    /* Files written before 2.0 (the threads proposal's) expect one table at most. */
    if (m->ntables > 1 && !(eng_config(m->engine)->features & WEFT_FEATURE_MULTI_TABLE))
        return err_set(v->err, WEFT_E_MULTIPLE_TABLES,
                       limits_offset(m, EXT_TABLE, 1, &m->tables[1].limits), "(%u)", m->ntables);
    return WEFT_OK;
}

static weft_status check_func_types(val_mod *v)
{
    const weft_module *m = v->m;
    if (m->ncodes != m->nfuncs - m->nfunc_imports)
        return err_set(v->err, WEFT_E_FUNC_CODE_MISMATCH, WEFT_NO_OFFSET, NULL);
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        if (m->func_types[i] < m->ntypes)
            continue;
        uint64_t at = i < m->nfunc_imports ? import_offset(m, EXT_FUNC, i) : m->codes[i - m->nfunc_imports].offset;
        return err_set(v->err, WEFT_E_UNKNOWN_TYPE, at, "%u", m->func_types[i]);
    }
    return WEFT_OK;
}

/* ---- constant expressions ----------------------------------------------------------- */

/* 2.0's constant instructions: t.const, ref.null, ref.func, and global.get of an
 * immutable global among the first `nglobals` (only imported ones for global
 * initialisers).  The result must be exactly one value of type `want`.  Every
 * ref.func here declares its function for the code (m->func_declared). */
static weft_status check_const(val_mod *v, mod_constexpr e, mod_valtype want, uint32_t nglobals)
{
    weft_status st = WEFT_OK;
    weft_module *m = v->m;
    reader r = {
        .base = m->bytes,
        .p = m->bytes + e.start,
        .end = m->bytes + e.end,
        .err = v->err,
        .eof_code = WEFT_E_UNEXPECTED_END_SECTION,
    };
    uint32_t count = 0;
    mod_valtype top = VT_UNKNOWN;
    const uint8_t *bytes;
    uint64_t at;
    for (;;) {
        op_id op;
        uint32_t idx;
        at = rd_offset(&r);
        TRY(val_read_opcode(&r, &op));
        switch (op) {
        case OP_I32_CONST: {
            int32_t x;
            TRY(rd_s32(&r, &x));
            top = VT_I32;
            break;
        }
        case OP_I64_CONST: {
            int64_t x;
            TRY(rd_s64(&r, &x));
            top = VT_I64;
            break;
        }
        case OP_F32_CONST:
            TRY(rd_bytes(&r, 4, &bytes));
            top = VT_F32;
            break;
        case OP_F64_CONST:
            TRY(rd_bytes(&r, 8, &bytes));
            top = VT_F64;
            break;
        case OP_V128_CONST:
            TRY(rd_bytes(&r, 16, &bytes));
            top = VT_V128;
            break;
        case OP_REF_NULL:
            TRY(imm_read_reftype(&r, &top));
            break;
        case OP_REF_FUNC:
            TRY(rd_u32(&r, &idx));
            if (idx >= m->nfuncs)
                return err_set(v->err, WEFT_E_UNKNOWN_FUNC, at, "%u", idx);
            m->func_declared[idx] = 1;
            top = VT_FUNCREF;
            break;
        case OP_GLOBAL_GET:
            TRY(rd_u32(&r, &idx));
            if (idx >= nglobals)
                return err_set(v->err, WEFT_E_UNKNOWN_GLOBAL, at, "%u", idx);
            if (m->globals[idx].type.mutable_)
                return err_set(v->err, WEFT_E_CONST_EXPR_REQUIRED, at, "(global.get of mutable global %u)", idx);
            top = m->globals[idx].type.type;
            break;
        case OP_END:
            goto end;
        default:
            return err_set(v->err, WEFT_E_CONST_EXPR_REQUIRED, at, "(%s)", op_table[op].name);
        }
        count++;
    }
end:
    if (count != 1 || top != want)
        return err_set(v->err, WEFT_E_TYPE_MISMATCH, at, "(constant expression of %u values ending in %s, expected one %s)",
                       count, count ? val_type_name(top) : "nothing", val_type_name(want));
fail:
    return st;
}

static weft_status check_globals(val_mod *v)
{
    weft_status st = WEFT_OK;
    const weft_module *m = v->m;
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++)
        TRY(check_const(v, m->globals[i].init, m->globals[i].type.type, m->nglobal_imports));
fail:
    return st;
}

static weft_status check_elems(val_mod *v)
{
    weft_status st = WEFT_OK;
    weft_module *m = v->m;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const mod_elem *e = &m->elems[i];
        uint64_t at = e->offset_in_module;
        for (uint32_t k = 0; k < e->count; k++) {
            if (e->exprs) {
                TRY(check_const(v, e->exprs[k], e->type, m->nglobals));
                continue;
            }
            if (e->funcs[k] >= m->nfuncs)
                return err_set(v->err, WEFT_E_UNKNOWN_FUNC, at, "%u", e->funcs[k]);
            m->func_declared[e->funcs[k]] = 1;
        }
        if (e->mode != SEG_ACTIVE)
            continue;
        if (e->table >= m->ntables)
            return err_set(v->err, WEFT_E_UNKNOWN_TABLE, at, "%u", e->table);
        if (m->tables[e->table].elem != e->type)
            return err_set(v->err, WEFT_E_TYPE_MISMATCH, at, "(elem segment of %s for a table of %s)",
                           val_type_name(e->type), val_type_name(m->tables[e->table].elem));
        TRY(check_const(v, e->offset, VT_I32, m->nglobals));
    }
fail:
    return st;
}

static weft_status check_datas(val_mod *v)
{
    weft_status st = WEFT_OK;
    const weft_module *m = v->m;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const mod_data *d = &m->datas[i];
        if (d->mode != SEG_ACTIVE)
            continue;
        if (d->memory >= m->nmemories)
            return err_set(v->err, WEFT_E_UNKNOWN_MEMORY, d->offset_in_module, "%u", d->memory);
        TRY(check_const(v, d->offset, VT_I32, m->nglobals));
    }
fail:
    return st;
}

/* ---- exports and start ------------------------------------------------------------------ */

static uint32_t name_hash(const mod_name *n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (uint32_t i = 0; i < n->len; i++)
        h = (h ^ (uint8_t)n->data[i]) * 16777619u;
    return h;
}

static weft_status check_export_index(val_mod *v, const mod_export *x)
{
    const weft_module *m = v->m;
    switch (x->kind) {
    case EXT_FUNC:
        if (x->index >= m->nfuncs)
            return err_set(v->err, WEFT_E_UNKNOWN_FUNC, x->offset, "%u", x->index);
        v->m->func_declared[x->index] = 1;
        return WEFT_OK;
    case EXT_TABLE:
        if (x->index >= m->ntables)
            return err_set(v->err, WEFT_E_UNKNOWN_TABLE, x->offset, "%u", x->index);
        return WEFT_OK;
    case EXT_MEMORY:
        if (x->index >= m->nmemories)
            return err_set(v->err, WEFT_E_UNKNOWN_MEMORY, x->offset, "%u", x->index);
        return WEFT_OK;
    default:
        if (x->index >= m->nglobals)
            return err_set(v->err, WEFT_E_UNKNOWN_GLOBAL, x->offset, "%u", x->index);
        return WEFT_OK;
    }
}

/* Indices in range, and names unique (an open-addressing set of export indices:
 * linear time in the number of exports). */
static weft_status check_exports(val_mod *v)
{
    weft_status st = WEFT_OK;
    const weft_module *m = v->m;
    uint32_t *slots = NULL;
    uint32_t cap = 1;
    if (m->nexports == 0)
        return WEFT_OK;
    while (cap < 2 * (uint64_t)m->nexports)
        cap *= 2;
    slots = eng_calloc(m->engine, cap, sizeof *slots); /* 0 = empty, else index + 1 */
    if (!slots)
        return err_set(v->err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
    for (uint32_t i = 0; i < m->nexports; i++) {
        const mod_export *x = &m->exports[i];
        TRY(check_export_index(v, x));
        for (uint32_t s = name_hash(&x->name) & (cap - 1);; s = (s + 1) & (cap - 1)) {
            if (slots[s] == 0) {
                slots[s] = i + 1;
                break;
            }
            const mod_name *o = &m->exports[slots[s] - 1].name;
            if (o->len == x->name.len && memcmp(o->data, x->name.data, o->len) == 0) {
                st = err_set(v->err, WEFT_E_DUPLICATE_EXPORT, x->offset, "\"%.*s\"", (int)x->name.len,
                             x->name.data);
                goto fail;
            }
        }
    }
fail:
    eng_free(m->engine, slots);
    return st;
}

static weft_status check_start(val_mod *v)
{
    const weft_module *m = v->m;
    if (!m->has_start)
        return WEFT_OK;
    if (m->start >= m->nfuncs)
        return err_set(v->err, WEFT_E_UNKNOWN_FUNC, m->start_offset, "%u", m->start);
    const mod_functype *t = mod_func_type(m, m->start);
    if (t->nparams != 0 || t->nresults != 0)
        return err_set(v->err, WEFT_E_BAD_START, m->start_offset, "(function %u must have type [] -> [])",
                       m->start);
    return WEFT_OK;
}

/* ---- the driver ------------------------------------------------------------------------- */

/* Below this much code, bodies are checked on the calling thread only: a
 * thread costs more than it saves on small modules, and the spec suite makes
 * thousands of them. */
#define VAL_PARALLEL_MIN_BYTES (1u << 20)

/* A run of bodies checked in order by one thread, up to its first failure. */
typedef struct val_range {
    const weft_module *m;
    const val_tables *tab;
    uint32_t first, end;  /* functions [first, end) of the function space          */
    uint32_t failed;      /* the function whose check failed, or `end`             */
    weft_status st;
    weft_error *err;      /* this range's own error                                */
    atomic_bool *stop;    /* set when a range of lower functions failed: whatever
                             this one finds cannot be the first error any more     */
} val_range;

static void *check_range(void *arg)
{
    val_range *rg = arg;
    val_body b;
    val_body_init(&b, rg->m, rg->tab, rg->err);
    rg->failed = rg->end;
    rg->st = WEFT_OK;
    for (uint32_t f = rg->first; f < rg->end; f++) {
        if (rg->stop && atomic_load_explicit(rg->stop, memory_order_relaxed))
            break;
        weft_status st = val_body_check(&b, f);
        if (st != WEFT_OK) {
            rg->failed = f;
            rg->st = st;
            break;
        }
    }
    val_body_free(&b);
    return NULL;
}

/* The error the reference interpreter reports when the check of body `from`
 * failed and every body before it is valid: the first malformed body from
 * `from` on (it decodes all of them before it types any), else the check's
 * error, which *err holds. */
static weft_status first_error(const weft_module *m, const val_tables *tab, uint32_t from,
                               weft_status checked, weft_error *err)
{
    weft_status st = WEFT_OK;
    val_body b;
    val_body_init(&b, m, tab, err);
    for (uint32_t f = from; f < m->nfuncs && st == WEFT_OK; f++)
        st = val_body_decode(&b, f);
    val_body_free(&b);
    return st != WEFT_OK ? st : checked;
}

/* The first defined function such that the bodies before it hold about half
 * of the code. */
static uint32_t middle_func(const weft_module *m, uint64_t code_bytes)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < m->ncodes; i++) {
        sum += m->codes[i].body.end - m->codes[i].body.start;
        if (2 * sum >= code_bytes)
            return m->nfunc_imports + i + 1;
    }
    return m->nfuncs;
}

/* Checks every body; on a large module, the second half on a second thread.
 * The result is the serial one whatever the timing: the lower half's first
 * failure wins, and only then the upper half's. */
static weft_status check_bodies(val_mod *v)
{
    const weft_module *m = v->m;
    val_tables tab;
    val_tables_init(&tab);
    uint64_t code_bytes = 0;
    for (uint32_t i = 0; i < m->ncodes; i++)
        code_bytes += m->codes[i].body.end - m->codes[i].body.start;

    weft_error upper_err;
    atomic_bool stop;
    atomic_init(&stop, false);
    val_range lo = { .m = m, .tab = &tab, .first = m->nfunc_imports, .end = m->nfuncs, .err = v->err };
    val_range hi = { .m = m, .tab = &tab, .first = m->nfuncs, .end = m->nfuncs, .err = &upper_err,
                     .stop = &stop };
    pthread_t thread;
    bool threaded = false;
    if (code_bytes >= VAL_PARALLEL_MIN_BYTES) {
        lo.end = hi.first = middle_func(m, code_bytes);
        threaded = pthread_create(&thread, NULL, check_range, &hi) == 0;
    }
    check_range(&lo);
    if (lo.st != WEFT_OK)
        atomic_store_explicit(&stop, true, memory_order_relaxed);
    if (threaded)
        pthread_join(thread, NULL);
    else if (lo.st == WEFT_OK)
        check_range(&hi);

    if (lo.st != WEFT_OK)
        return first_error(m, &tab, lo.failed, lo.st, v->err);
    if (hi.st != WEFT_OK) {
        if (v->err)
            *v->err = upper_err;
        return first_error(m, &tab, hi.failed, hi.st, v->err);
    }
    return WEFT_OK;
}

weft_status val_module(weft_module *m, weft_error *err)
{
    weft_status st = WEFT_OK;
    val_mod v = {m, err};
    if (!m->func_declared) {
        m->func_declared = eng_calloc(m->engine, m->nfuncs ? m->nfuncs : 1, 1);
        if (!m->func_declared)
            return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
    } else {
        memset(m->func_declared, 0, m->nfuncs);
    }
    /* Everything that declares functions for ref.func (global initialisers,
     * element segments, exports) comes before the bodies. */
    TRY(check_func_types(&v));
    TRY(check_tables_memories(&v));
    TRY(check_globals(&v));
    TRY(check_elems(&v));
    TRY(check_datas(&v));
    TRY(check_exports(&v));
    TRY(check_bodies(&v));
    TRY(check_start(&v));
fail:
    return st;
}

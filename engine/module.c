/*
 * module.c -- the life of a weft_module: weft_module_new (decode, then
 * validate), reference counting, mod_free, and the public queries of
 * weft.h's "Modules" section (imports, exports, names).
 *
 * A module is immutable once weft_module_new returns, so the queries take no
 * lock; only `refs` changes afterwards, atomically.
 */
#include <stdatomic.h>

#include "engine/code.h"
#include "jit/jit.h"
#include "engine/decode.h"
#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/module.h"
#include "engine/validate.h"

static void free_name(const weft_engine *e, mod_name *n)
{
    eng_free(e, (void *)n->data);
    n->data = NULL;
}

void mod_free_names(weft_module *m)
{
    const weft_engine *e = m->engine;
    mod_names *nm = &m->names;
    eng_free(e, (void *)nm->module.data);
    if (nm->funcs) {
        for (uint32_t i = 0; i < m->nfuncs; i++)
            eng_free(e, (void *)nm->funcs[i].data);
        eng_free(e, nm->funcs);
    }
    if (nm->locals) {
        for (uint32_t i = 0; i < m->nfuncs; i++) {
            if (!nm->locals[i])
                continue;
            for (uint32_t j = 0; j < nm->nlocals[i]; j++)
                eng_free(e, (void *)nm->locals[i][j].data);
            eng_free(e, nm->locals[i]);
        }
        eng_free(e, nm->locals);
    }
    eng_free(e, nm->nlocals);
    memset(nm, 0, sizeof *nm);
}

/* Counts may be set before their arrays are filled (a partly decoded module),
 * so every loop below tolerates NULL arrays and zeroed entries. */
void mod_free(weft_module *m)
{
    if (!m)
        return;
    const weft_engine *e = m->engine;
    if (m->types) {
        for (uint32_t i = 0; i < m->ntypes; i++)
            eng_free(e, m->types[i].types);
        eng_free(e, m->types);
    }
    if (m->imports) {
        for (uint32_t i = 0; i < m->nimports; i++) {
            free_name(e, &m->imports[i].module);
            free_name(e, &m->imports[i].name);
        }
        eng_free(e, m->imports);
    }
    eng_free(e, m->func_types);
    eng_free(e, m->tables);
    eng_free(e, m->memories);
    eng_free(e, m->globals);
    if (m->exports) {
        for (uint32_t i = 0; i < m->nexports; i++)
            free_name(e, &m->exports[i].name);
        eng_free(e, m->exports);
    }
    if (m->elems) {
        for (uint32_t i = 0; i < m->nelems; i++) {
            eng_free(e, m->elems[i].funcs);
            eng_free(e, m->elems[i].exprs);
        }
        eng_free(e, m->elems);
    }
    eng_free(e, m->datas);
    if (m->codes) {
        /* Translated code is published lazily by any thread; no thread runs
         * the module any more when its last reference goes. */
        for (uint32_t i = 0; i < m->ncodes; i++) {
            cmp_free(e, atomic_load_explicit(&m->codes[i].code, memory_order_acquire));
            eng_free(e, m->codes[i].groups);
        }
        eng_free(e, m->codes);
    }
    jit_module_free(m);
    if (m->customs) {
        for (uint32_t i = 0; i < m->ncustoms; i++)
            free_name(e, &m->customs[i].name);
        eng_free(e, m->customs);
    }
    mod_free_names(m);
    eng_free(e, m->func_declared);
    eng_free(e, m->bytes);
    eng_free(e, m);
}

void mod_retain(weft_module *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void mod_release(weft_module *m)
{
    if (!m)
        return;
    /* acq_rel: the thread that frees must see every other owner's writes. */
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        mod_free(m);
}

WEFT_API weft_status weft_module_new(weft_engine *engine, const uint8_t *bytes, size_t size,
                                     weft_module **out, weft_error *err)
{
    weft_status st = WEFT_OK;
    weft_module *m = NULL;
    if (!engine || (!bytes && size) || !out)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "weft_module_new");
    *out = NULL;
    TRY(dec_module(engine, bytes, size, &m, err));
    TRY(val_module(m, err));
    *out = m;
    return WEFT_OK;
fail:
    mod_free(m);
    return st;
}

WEFT_API weft_status weft_module_validate(weft_engine *engine, const uint8_t *bytes, size_t size,
                                          weft_error *err)
{
    weft_module *m = NULL;
    weft_status st = weft_module_new(engine, bytes, size, &m, err);
    mod_release(m);
    return st;
}

WEFT_API void weft_module_free(weft_module *module) { mod_release(module); }

WEFT_API weft_status weft_module_prepare(weft_module *m, weft_error *err)
{
    for (uint32_t i = 0; i < m->ncodes; i++) {
        const cmp_code *code;
        weft_status st = cmp_get(m, m->nfunc_imports + i, &code, err);
        if (st != WEFT_OK)
            return st;
    }
    return WEFT_OK;
}

WEFT_API uint32_t weft_module_import_count(const weft_module *m) { return m ? m->nimports : 0; }

static weft_name pub_name(mod_name n) { return (weft_name){ n.data, n.len }; }

WEFT_API void weft_module_import(const weft_module *m, uint32_t index, weft_import_desc *out)
{
    if (!m || index >= m->nimports) {
        memset(out, 0, sizeof *out);
        return;
    }
    const mod_import *im = &m->imports[index];
    out->module = pub_name(im->module);
    out->name = pub_name(im->name);
    out->kind = (weft_extern_kind)im->kind;
}

WEFT_API uint32_t weft_module_export_count(const weft_module *m) { return m ? m->nexports : 0; }

WEFT_API void weft_module_export(const weft_module *m, uint32_t index, weft_export_desc *out)
{
    if (!m || index >= m->nexports) {
        memset(out, 0, sizeof *out);
        return;
    }
    out->name = pub_name(m->exports[index].name);
    out->kind = (weft_extern_kind)m->exports[index].kind;
}

WEFT_API bool weft_module_import_memory_limits(const weft_module *m, uint32_t index,
                                               weft_limits *out)
{
    if (!m || index >= m->nimports || m->imports[index].kind != EXT_MEMORY)
        return false;
    const mod_limits *l = &m->memories[m->imports[index].index];
    out->min = l->min;
    out->max = l->max;
    out->has_max = l->has_max;
    out->shared = l->shared;
    return true;
}

WEFT_API const char *weft_module_func_name(const weft_module *m, uint32_t func_index)
{
    if (!m || !m->names.funcs || func_index >= m->nfuncs)
        return NULL;
    return m->names.funcs[func_index].data;
}

static weft_limits pub_limits(const mod_limits *l)
{
    return (weft_limits){.min = l->min, .max = l->max, .has_max = l->has_max, .shared = l->shared};
}

/* The type of entity `index` of `kind` in the module's index spaces. */
static bool extern_type(const weft_module *m, uint8_t kind, uint32_t index, weft_externtype *out)
{
    memset(out, 0, sizeof *out);
    out->kind = (weft_extern_kind)kind;
    switch (kind) {
    case EXT_FUNC: {
        const mod_functype *t = mod_func_type(m, index);
        /* Interned, the engine keeps the type as weft_valkind arrays. */
        uint32_t id = eng_intern_type(m->engine, t);
        if (id == UINT32_MAX)
            return false;
        const weft_valkind *kinds = eng_type_kinds(m->engine, id);
        out->func = (weft_functype){.params = kinds, .nparams = t->nparams,
                                    .results = kinds + t->nparams, .nresults = t->nresults};
        return true;
    }
    case EXT_TABLE:
        out->elem = inst_kind_of(m->tables[index].elem);
        out->limits = pub_limits(&m->tables[index].limits);
        return true;
    case EXT_MEMORY:
        out->limits = pub_limits(&m->memories[index]);
        return true;
    default:
        out->global_kind = inst_kind_of(m->globals[index].type.type);
        out->global_mutable = m->globals[index].type.mutable_;
        return true;
    }
}

WEFT_API bool weft_module_import_type(const weft_module *m, uint32_t index, weft_externtype *out)
{
    if (!m || !out || index >= m->nimports)
        return false;
    return extern_type(m, m->imports[index].kind, m->imports[index].index, out);
}

WEFT_API bool weft_module_export_type(const weft_module *m, uint32_t index, weft_externtype *out)
{
    if (!m || !out || index >= m->nexports)
        return false;
    return extern_type(m, m->exports[index].kind, m->exports[index].index, out);
}

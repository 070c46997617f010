/*
 * instance.c -- instantiation (weft_instance_new): linking the imports,
 * allocating what the module defines, evaluating globals, running the element
 * and data segments and the start function, in the order of WebAssembly 2.0
 * (with bulk memory); weft_instance_export; and freeing.
 *
 * Failure after the segments began is special: an element segment or the start
 * function may already have put this instance's functions into an imported
 * table or global, where the spec keeps them callable.  Such an instance is
 * handed to the engine (eng_keep_instance) instead of being freed.
 */
#include <stdatomic.h>
#include <stdio.h>

#include "engine/constexpr.h"
#include "engine/engine.h"

/* ---- imports ------------------------------------------------------------------ */

static const char *const kind_names[] = {"function", "table", "memory", "global"};

static weft_status import_error(weft_error *err, weft_code code, const mod_import *im,
                                const char *why)
{
    return err_set(err, code, im->offset, "%.*s.%.*s%s%s", (int)im->module.len, im->module.data,
                   (int)im->name.len, im->name.data, why ? ": " : "", why ? why : "");
}

/* Limits "subtyping" of the spec (import matching): the actual object's
 * current size is at least the declared minimum, and if the import declares a
 * maximum the object has one that is no larger. */
static bool limits_match(uint64_t size, bool has_max, uint64_t max, const mod_limits *want)
{
    if (size < want->min)
        return false;
    return !want->has_max || (has_max && max <= want->max);
}

static weft_status link_import(weft_instance *inst, uint32_t i, const weft_extern *ext,
                               weft_error *err)
{
    const weft_module *m = inst->module;
    const mod_import *im = &m->imports[i];
    if (!ext || (ext->kind == WEFT_EXTERN_FUNC && !ext->of.func) ||
        (ext->kind == WEFT_EXTERN_TABLE && !ext->of.table) ||
        (ext->kind == WEFT_EXTERN_MEMORY && !ext->of.memory) ||
        (ext->kind == WEFT_EXTERN_GLOBAL && !ext->of.global))
        return import_error(err, WEFT_E_UNKNOWN_IMPORT, im, NULL);
    if ((unsigned)ext->kind != im->kind) {
        char why[64];
        snprintf(why, sizeof why, "expected a %s, got a %s", kind_names[im->kind],
                 (unsigned)ext->kind < 4 ? kind_names[ext->kind] : "bad extern kind");
        return import_error(err, WEFT_E_INCOMPATIBLE_IMPORT, im, why);
    }
    switch (im->kind) {
    case EXT_FUNC: {
        weft_func *f = ext->of.func;
        if (f->sig != inst->sigs[m->func_types[im->index]])
            return import_error(err, WEFT_E_INCOMPATIBLE_IMPORT, im, "function type differs");
        inst_func_retain(f);
        inst->funcs[im->index] = f;
        return WEFT_OK;
    }
    case EXT_TABLE: {
        weft_table *t = ext->of.table;
        const mod_tabletype *want = &m->tables[im->index];
        if (t->elem != want->elem)
            return import_error(err, WEFT_E_INCOMPATIBLE_IMPORT, im, "element type differs");
        if (!limits_match(t->size, t->has_max, t->max, &want->limits))
            return import_error(err, WEFT_E_INCOMPATIBLE_IMPORT, im, "table limits");
        inst_table_retain(t);
        inst->tables[im->index] = t;
        return WEFT_OK;
    }
    case EXT_MEMORY: {
        weft_memory *mem = ext->of.memory;
        const mod_limits *want = &m->memories[im->index];
        if (!limits_match(mem_size(mem) / WASM_PAGE_SIZE, mem->has_max, mem->max_pages, want))
            return import_error(err, WEFT_E_INCOMPATIBLE_IMPORT, im, "memory limits");
        if (mem->shared != want->shared)
            return import_error(err, WEFT_E_INCOMPATIBLE_IMPORT, im,
                                want->shared ? "memory is not shared" : "memory is shared");
        mem_retain(mem);
        inst->memories[im->index] = mem;
        return WEFT_OK;
    }
    default: {
        weft_global *g = ext->of.global;
        const mod_globaltype *want = &m->globals[im->index].type;
        if (g->type.type != want->type || g->type.mutable_ != want->mutable_)
            return import_error(err, WEFT_E_INCOMPATIBLE_IMPORT, im, "global type differs");
        inst_global_retain(g);
        inst->globals[im->index] = g;
        return WEFT_OK;
    }
    }
}

/* ---- allocation ------------------------------------------------------------------- */

static weft_status nomem(weft_error *err)
{
    return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "instance");
}

static weft_status alloc_arrays(weft_instance *inst, weft_error *err)
{
    const weft_module *m = inst->module;
    weft_engine *e = inst->engine;
    inst->funcs = eng_calloc(e, m->nfuncs, sizeof *inst->funcs);
    inst->own_funcs = eng_calloc(e, m->nfuncs - m->nfunc_imports, sizeof *inst->own_funcs);
    inst->tables = eng_calloc(e, m->ntables, sizeof *inst->tables);
    inst->memories = eng_calloc(e, m->nmemories, sizeof *inst->memories);
    inst->globals = eng_calloc(e, m->nglobals, sizeof *inst->globals);
    inst->elem_dropped = eng_calloc(e, m->nelems, sizeof *inst->elem_dropped);
    inst->data_dropped = eng_calloc(e, m->ndatas, sizeof *inst->data_dropped);
    inst->sigs = eng_calloc(e, m->ntypes, sizeof *inst->sigs);
    inst->elem_refs = eng_calloc(e, m->nelems, sizeof *inst->elem_refs);
    if (!inst->funcs || !inst->own_funcs || !inst->tables || !inst->memories || !inst->globals ||
        !inst->elem_dropped || !inst->data_dropped || !inst->sigs || !inst->elem_refs)
        return nomem(err);
    for (uint32_t i = 0; i < m->ntypes; i++) {
        inst->sigs[i] = eng_intern_type(e, &m->types[i]);
        if (inst->sigs[i] == UINT32_MAX)
            return nomem(err);
    }
    return WEFT_OK;
}

/* Functions, tables, memories and globals the module defines. */
static weft_status define_own(weft_instance *inst, weft_memory *const *defined, weft_error *err)
{
    weft_status st = WEFT_OK;
    const weft_module *m = inst->module;
    weft_engine *e = inst->engine;
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
        weft_func *f = &inst->own_funcs[i - m->nfunc_imports];
        f->kind = FUNC_WASM;
        f->sig = inst->sigs[m->func_types[i]];
        f->type = mod_func_type(m, i);
        f->instance = inst;
        f->index = i;
        inst->funcs[i] = f;
    }
    for (uint32_t i = m->ntable_imports; i < m->ntables; i++)
        TRY(inst_table_new(e, m->tables[i].elem, &m->tables[i].limits, NULL, &inst->tables[i],
                           err));
    for (uint32_t i = m->nmemory_imports; i < m->nmemories; i++) {
        weft_memory *given = defined ? defined[i - m->nmemory_imports] : NULL;
        if (given) {
            mem_retain(given);
            inst->memories[i] = given;
            continue;
        }
        TRY(mem_new(e, &m->memories[i], &inst->memories[i], err));
    }
    if (m->nmemories) {
        inst->memory0 = inst->memories[0];
        inst->mem0 = inst->memory0->base;
    }
    /* In order: an initializer may read the globals before it. */
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
        inst_value v;
        TRY(cexpr_eval(inst, m->globals[i].init, &v, err));
        TRY(inst_global_new(e, &m->globals[i].type, &v, &inst->globals[i], err));
    }
fail:
    return st;
}

/* The spec evaluates every element segment's items before any is applied. */
static weft_status eval_elems(weft_instance *inst, weft_error *err)
{
    weft_status st = WEFT_OK;
    const weft_module *m = inst->module;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const mod_elem *el = &m->elems[i];
        if (el->mode == SEG_DECLARATIVE)
            continue;
        void **items = eng_calloc(inst->engine, el->count, sizeof *items);
        if (!items)
            return nomem(err);
        inst->elem_refs[i] = items;
        for (uint32_t k = 0; k < el->count; k++) {
            if (el->funcs) {
                items[k] = inst->funcs[el->funcs[k]];
            } else {
                inst_value v;
                TRY(cexpr_eval(inst, el->exprs[k], &v, err));
                items[k] = v.ref;
            }
        }
    }
fail:
    return st;
}

static weft_status offset_of(const weft_instance *inst, mod_constexpr expr, uint32_t *out,
                             weft_error *err)
{
    inst_value v;
    weft_status st = cexpr_eval(inst, expr, &v, err);
    *out = v.u32;
    return st;
}

/* Element then data segments, in order; a failing one traps with the effects
 * of the ones before it kept. */
static weft_status run_segments(weft_instance *inst, weft_error *err)
{
    weft_status st = WEFT_OK;
    const weft_module *m = inst->module;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const mod_elem *el = &m->elems[i];
        if (el->mode == SEG_ACTIVE) {
            uint32_t d;
            TRY(offset_of(inst, el->offset, &d, err));
            TRY(inst_table_init(inst, el->table, i, d, 0, el->count, err));
        }
        if (el->mode != SEG_PASSIVE)
            inst_elem_drop(inst, i);
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const mod_data *da = &m->datas[i];
        if (da->mode != SEG_ACTIVE)
            continue;
        uint32_t d;
        TRY(offset_of(inst, da->offset, &d, err));
        TRY(inst_memory_init(inst, da->memory, i, d, 0, da->bytes.end - da->bytes.start, err));
        inst_data_drop(inst, i);
    }
fail:
    return st;
}

weft_status inst_memory_init(weft_instance *inst, uint32_t memory, uint32_t data, uint32_t d,
                             uint32_t s, uint32_t n, weft_error *err)
{
    const mod_data *da = &inst->module->datas[data];
    uint32_t len = inst->data_dropped[data] ? 0 : da->bytes.end - da->bytes.start;
    weft_memory *mem = inst->memories[memory];
    if ((uint64_t)s + n > len || !mem_in_bounds(mem, d, n))
        return err_set(err, WEFT_E_OOB_MEMORY, WEFT_NO_OFFSET, NULL);
    if (n)
        memcpy(mem->base + d, inst->module->bytes + da->bytes.start + s, n);
    return WEFT_OK;
}

void inst_data_drop(weft_instance *inst, uint32_t data) { inst->data_dropped[data] = true; }

/* ---- the instance ---------------------------------------------------------------- */

WEFT_API void weft_instance_free(weft_instance *inst)
{
    if (!inst)
        return;
    const weft_module *m = inst->module;
    weft_engine *e = inst->engine;
    if (inst->funcs)
        for (uint32_t i = 0; i < m->nfunc_imports; i++)
            inst_func_release(inst->funcs[i]);
    if (inst->tables)
        for (uint32_t i = 0; i < m->ntables; i++)
            inst_table_release(inst->tables[i]);
    if (inst->memories)
        for (uint32_t i = 0; i < m->nmemories; i++)
            if (inst->memories[i])
                mem_release(inst->memories[i]);
    if (inst->globals)
        for (uint32_t i = 0; i < m->nglobals; i++)
            inst_global_release(inst->globals[i]);
    if (inst->elem_refs)
        for (uint32_t i = 0; i < m->nelems; i++)
            eng_free(e, inst->elem_refs[i]);
    eng_free(e, inst->elem_refs);
    eng_free(e, inst->funcs);
    eng_free(e, inst->own_funcs);
    eng_free(e, inst->tables);
    eng_free(e, inst->memories);
    eng_free(e, inst->globals);
    eng_free(e, inst->elem_dropped);
    eng_free(e, inst->data_dropped);
    eng_free(e, inst->sigs);
    mod_release(inst->module);
    eng_free(e, inst);
}

/* Could a function of `inst` be reachable from outside after a failure?  Only
 * through an imported table or global, or a host function it called. */
static bool may_have_escaped(const weft_instance *inst)
{
    const weft_module *m = inst->module;
    return m->nfuncs > m->nfunc_imports &&
           (m->ntable_imports || m->nglobal_imports || m->nfunc_imports);
}

weft_status inst_instantiate(weft_module *m, const weft_extern *imports, size_t nimports,
                             bool run_start, weft_instance **out, weft_error *err)
{
    return inst_instantiate_with(m, imports, nimports, run_start, NULL, out, err);
}

weft_status inst_instantiate_with(weft_module *m, const weft_extern *imports, size_t nimports,
                                  bool run_start, weft_memory *const *defined,
                                  weft_instance **out, weft_error *err)
{
    weft_status st = WEFT_OK;
    weft_instance *inst = NULL;
    bool started = false; /* segments or start may have run */
    if (!m || !out || (nimports && !imports))
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "no module or imports");
    if (nimports < m->nimports)
        return import_error(err, WEFT_E_UNKNOWN_IMPORT, &m->imports[nimports], NULL);
    if (nimports > m->nimports)
        return err_set(err, WEFT_E_UNKNOWN_IMPORT, WEFT_NO_OFFSET,
                       "%zu imports given, the module has %u", nimports, m->nimports);
    inst = eng_calloc(m->engine, 1, sizeof *inst);
    if (!inst)
        return nomem(err);
    inst->engine = m->engine;
    inst->module = m;
    mod_retain(m);
    TRY(alloc_arrays(inst, err));
    for (uint32_t i = 0; i < m->nimports; i++)
        TRY(link_import(inst, i, &imports[i], err));
    TRY(define_own(inst, defined, err));
    TRY(eval_elems(inst, err));
    started = true;
    TRY(run_segments(inst, err));
    if (run_start && m->has_start)
        TRY(weft_call(inst->funcs[m->start], NULL, 0, NULL, 0, err));
    *out = inst;
    return WEFT_OK;
fail:
    if (started && may_have_escaped(inst) && eng_keep_instance(inst->engine, inst))
        return st;
    /* A trap in the start function names frames of this instance: it is
     * gone once this returns, so they name none (weft_frame.instance). */
    for (uint32_t k = 0; err && k < err->nframes; k++)
        if (err->frames[k].instance == inst)
            err->frames[k].instance = NULL;
    weft_instance_free(inst);
    return st;
}

WEFT_API weft_status weft_instance_new(weft_module *module, const weft_extern *imports,
                                       size_t nimports, weft_instance **out, weft_error *err)
{
    return inst_instantiate(module, imports, nimports, true, out, err);
}

WEFT_API bool weft_instance_export(weft_instance *inst, const char *name, size_t len,
                                   weft_extern *out)
{
    const weft_module *m = inst->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const mod_export *ex = &m->exports[i];
        if (ex->name.len != len || memcmp(ex->name.data, name, len) != 0)
            continue;
        out->kind = (weft_extern_kind)ex->kind;
        switch (ex->kind) {
        case EXT_FUNC: out->of.func = inst->funcs[ex->index]; break;
        case EXT_TABLE: out->of.table = inst->tables[ex->index]; break;
        case EXT_MEMORY: out->of.memory = inst->memories[ex->index]; break;
        default: out->of.global = inst->globals[ex->index]; break;
        }
        return true;
    }
    return false;
}

/*
 * types.c -- the type objects of wasm.h (valtype, functype, globaltype,
 * tabletype, memorytype, externtype, importtype, exporttype): constructors,
 * accessors, copies and the as_externtype views, and their conversions from
 * and to weft's types.
 *
 * Every kind of type is one struct, wasm_externtype_t (capi.h), so a view is
 * a cast after a kind check.  A constructor that runs out of memory returns
 * NULL and still takes (deletes) what it was given to own.
 */
#include <stdlib.h>

#include "capi/capi.h"

/* ---- value types ------------------------------------------------------------- */

WASM_API_EXTERN wasm_valtype_t *wasm_valtype_new(wasm_valkind_t kind)
{
    wasm_valtype_t *t = malloc(sizeof *t);
    if (t)
        t->kind = kind;
    return t;
}

WASM_API_EXTERN void wasm_valtype_delete(wasm_valtype_t *t) { free(t); }

WASM_API_EXTERN wasm_valtype_t *wasm_valtype_copy(const wasm_valtype_t *t)
{
    return wasm_valtype_new(t->kind);
}

WASM_API_EXTERN wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t *t) { return t->kind; }

wasm_valkind_t capi_valkind(weft_valkind k)
{
    switch (k) {
    case WEFT_I32: return WASM_I32;
    case WEFT_I64: return WASM_I64;
    case WEFT_F32: return WASM_F32;
    case WEFT_F64: return WASM_F64;
    case WEFT_V128: return WEFT_WASM_V128;
    case WEFT_FUNCREF: return WASM_FUNCREF;
    case WEFT_EXTERNREF: return WASM_EXTERNREF;
    }
    return WEFT_WASM_V128;
}

bool capi_weft_valkind(wasm_valkind_t k, weft_valkind *out)
{
    switch (k) {
    case WASM_I32: *out = WEFT_I32; return true;
    case WASM_I64: *out = WEFT_I64; return true;
    case WASM_F32: *out = WEFT_F32; return true;
    case WASM_F64: *out = WEFT_F64; return true;
    case WEFT_WASM_V128: *out = WEFT_V128; return true;
    case WASM_FUNCREF: *out = WEFT_FUNCREF; return true;
    case WASM_EXTERNREF: *out = WEFT_EXTERNREF; return true;
    default: return false;
    }
}

wasm_externkind_t capi_externkind(weft_extern_kind k)
{
    switch (k) {
    case WEFT_EXTERN_FUNC: return WASM_EXTERN_FUNC;
    case WEFT_EXTERN_TABLE: return WASM_EXTERN_TABLE;
    case WEFT_EXTERN_MEMORY: return WASM_EXTERN_MEMORY;
    case WEFT_EXTERN_GLOBAL: return WASM_EXTERN_GLOBAL;
    }
    return WASM_EXTERN_FUNC;
}

/* weft's limits are 64-bit (memory64); a 32-bit module's fit the standard's. */
wasm_limits_t capi_limits(const weft_limits *l)
{
    return (wasm_limits_t){
        .min = l->min > UINT32_MAX ? UINT32_MAX : (uint32_t)l->min,
        .max = !l->has_max || l->max > UINT32_MAX ? wasm_limits_max_default : (uint32_t)l->max,
    };
}

weft_limits capi_weft_limits(const wasm_limits_t *l)
{
    return (weft_limits){.min = l->min, .max = l->max, .has_max = l->max != wasm_limits_max_default};
}

/* ---- the shared struct ------------------------------------------------------------ */

static wasm_externtype_t *externtype_alloc(wasm_externkind_t kind)
{
    wasm_externtype_t *t = calloc(1, sizeof *t);
    if (t)
        t->kind = kind;
    return t;
}

WASM_API_EXTERN void wasm_externtype_delete(wasm_externtype_t *t)
{
    if (!t)
        return;
    wasm_valtype_vec_delete(&t->params);
    wasm_valtype_vec_delete(&t->results);
    wasm_valtype_delete(t->content);
    wasm_valtype_delete(t->element);
    free(t);
}

WASM_API_EXTERN wasm_externtype_t *wasm_externtype_copy(const wasm_externtype_t *src)
{
    wasm_externtype_t *t = externtype_alloc(src->kind);
    if (!t)
        return NULL;
    *t = *src;
    wasm_valtype_vec_copy(&t->params, &src->params);
    wasm_valtype_vec_copy(&t->results, &src->results);
    t->content = src->content ? wasm_valtype_copy(src->content) : NULL;
    t->element = src->element ? wasm_valtype_copy(src->element) : NULL;
    if (t->params.size != src->params.size || t->results.size != src->results.size ||
        (src->content && !t->content) || (src->element && !t->element)) {
        wasm_externtype_delete(t);
        return NULL;
    }
    return t;
}

WASM_API_EXTERN wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t *t)
{
    return t->kind;
}

/* delete, copy and the views of each kind of type: casts of the shared struct. */
#define CAPI_TYPE_KIND(name, KIND)                                                           \
    WASM_API_EXTERN void wasm_##name##_delete(wasm_##name##_t *t)                            \
    {                                                                                        \
        wasm_externtype_delete((wasm_externtype_t *)t);                                      \
    }                                                                                        \
    WASM_API_EXTERN wasm_##name##_t *wasm_##name##_copy(const wasm_##name##_t *t)            \
    {                                                                                        \
        return (wasm_##name##_t *)wasm_externtype_copy(&t->e);                               \
    }                                                                                        \
    WASM_API_EXTERN wasm_externtype_t *wasm_##name##_as_externtype(wasm_##name##_t *t)       \
    {                                                                                        \
        return t ? &t->e : NULL;                                                             \
    }                                                                                        \
    WASM_API_EXTERN const wasm_externtype_t *wasm_##name##_as_externtype_const(              \
        const wasm_##name##_t *t)                                                            \
    {                                                                                        \
        return t ? &t->e : NULL;                                                             \
    }                                                                                        \
    WASM_API_EXTERN wasm_##name##_t *wasm_externtype_as_##name(wasm_externtype_t *t)         \
    {                                                                                        \
        return t && t->kind == KIND ? (wasm_##name##_t *)t : NULL;                           \
    }                                                                                        \
    WASM_API_EXTERN const wasm_##name##_t *wasm_externtype_as_##name##_const(                \
        const wasm_externtype_t *t)                                                          \
    {                                                                                        \
        return t && t->kind == KIND ? (const wasm_##name##_t *)t : NULL;                     \
    }

CAPI_TYPE_KIND(functype, WASM_EXTERN_FUNC)
CAPI_TYPE_KIND(globaltype, WASM_EXTERN_GLOBAL)
CAPI_TYPE_KIND(tabletype, WASM_EXTERN_TABLE)
CAPI_TYPE_KIND(memorytype, WASM_EXTERN_MEMORY)

/* ---- function types ---------------------------------------------------------------- */

WASM_API_EXTERN wasm_functype_t *wasm_functype_new(wasm_valtype_vec_t *params,
                                                   wasm_valtype_vec_t *results)
{
    wasm_externtype_t *t = externtype_alloc(WASM_EXTERN_FUNC);
    if (!t) {
        wasm_valtype_vec_delete(params);
        wasm_valtype_vec_delete(results);
        return NULL;
    }
    t->params = *params;
    t->results = *results;
    wasm_valtype_vec_new_empty(params);
    wasm_valtype_vec_new_empty(results);
    return (wasm_functype_t *)t;
}

WASM_API_EXTERN const wasm_valtype_vec_t *wasm_functype_params(const wasm_functype_t *t)
{
    return &t->e.params;
}

WASM_API_EXTERN const wasm_valtype_vec_t *wasm_functype_results(const wasm_functype_t *t)
{
    return &t->e.results;
}

static bool valtypes_from_weft(wasm_valtype_vec_t *out, const weft_valkind *kinds, uint32_t n)
{
    wasm_valtype_vec_new_uninitialized(out, n);
    if (out->size != n)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!(out->data[i] = wasm_valtype_new(capi_valkind(kinds[i]))))
            return false;
    return true;
}

wasm_functype_t *capi_functype_new(const weft_functype *ft)
{
    wasm_externtype_t *t = externtype_alloc(WASM_EXTERN_FUNC);
    if (!t)
        return NULL;
    if (!valtypes_from_weft(&t->params, ft->params, ft->nparams) ||
        !valtypes_from_weft(&t->results, ft->results, ft->nresults)) {
        wasm_externtype_delete(t);
        return NULL;
    }
    return (wasm_functype_t *)t;
}

bool capi_weft_functype(const wasm_functype_t *t, weft_valkind *kinds, weft_functype *out)
{
    size_t np = t->e.params.size, nr = t->e.results.size;
    for (size_t i = 0; i < np + nr; i++) {
        const wasm_valtype_t *v = i < np ? t->e.params.data[i] : t->e.results.data[i - np];
        if (!v || !capi_weft_valkind(v->kind, &kinds[i]))
            return false;
    }
    *out = (weft_functype){.params = kinds, .nparams = (uint32_t)np, .results = kinds + np,
                           .nresults = (uint32_t)nr};
    return true;
}

/* ---- globals, tables, memories ------------------------------------------------------- */

WASM_API_EXTERN wasm_globaltype_t *wasm_globaltype_new(wasm_valtype_t *content,
                                                       wasm_mutability_t mutability)
{
    wasm_externtype_t *t = externtype_alloc(WASM_EXTERN_GLOBAL);
    if (!t) {
        wasm_valtype_delete(content);
        return NULL;
    }
    t->content = content;
    t->mutability = mutability;
    return (wasm_globaltype_t *)t;
}

WASM_API_EXTERN const wasm_valtype_t *wasm_globaltype_content(const wasm_globaltype_t *t)
{
    return t->e.content;
}

WASM_API_EXTERN wasm_mutability_t wasm_globaltype_mutability(const wasm_globaltype_t *t)
{
    return t->e.mutability;
}

WASM_API_EXTERN wasm_tabletype_t *wasm_tabletype_new(wasm_valtype_t *element,
                                                     const wasm_limits_t *limits)
{
    wasm_externtype_t *t = externtype_alloc(WASM_EXTERN_TABLE);
    if (!t) {
        wasm_valtype_delete(element);
        return NULL;
    }
    t->element = element;
    t->limits = *limits;
    return (wasm_tabletype_t *)t;
}

WASM_API_EXTERN const wasm_valtype_t *wasm_tabletype_element(const wasm_tabletype_t *t)
{
    return t->e.element;
}

WASM_API_EXTERN const wasm_limits_t *wasm_tabletype_limits(const wasm_tabletype_t *t)
{
    return &t->e.limits;
}

WASM_API_EXTERN wasm_memorytype_t *wasm_memorytype_new(const wasm_limits_t *limits)
{
    wasm_externtype_t *t = externtype_alloc(WASM_EXTERN_MEMORY);
    if (t)
        t->limits = *limits;
    return (wasm_memorytype_t *)t;
}

WASM_API_EXTERN const wasm_limits_t *wasm_memorytype_limits(const wasm_memorytype_t *t)
{
    return &t->e.limits;
}

wasm_externtype_t *capi_externtype_new(const weft_externtype *w)
{
    wasm_externtype_t *t;
    switch (w->kind) {
    case WEFT_EXTERN_FUNC:
        return (wasm_externtype_t *)capi_functype_new(&w->func);
    case WEFT_EXTERN_GLOBAL:
        t = (wasm_externtype_t *)wasm_globaltype_new(wasm_valtype_new(capi_valkind(w->global_kind)),
                                                     w->global_mutable ? WASM_VAR : WASM_CONST);
        break;
    case WEFT_EXTERN_TABLE: {
        wasm_limits_t l = capi_limits(&w->limits);
        t = (wasm_externtype_t *)wasm_tabletype_new(wasm_valtype_new(capi_valkind(w->elem)), &l);
        break;
    }
    default: {
        wasm_limits_t l = capi_limits(&w->limits);
        t = (wasm_externtype_t *)wasm_memorytype_new(&l);
        if (t)
            t->shared = w->limits.shared;
        return t;
    }
    }
    if (t && !t->content && !t->element) { /* the valtype's allocation failed */
        wasm_externtype_delete(t);
        return NULL;
    }
    return t;
}

/* ---- imports and exports ---------------------------------------------------------------- */

WASM_API_EXTERN wasm_importtype_t *wasm_importtype_new(wasm_name_t *module, wasm_name_t *name,
                                                       wasm_externtype_t *type)
{
    wasm_importtype_t *t = malloc(sizeof *t);
    if (!t) {
        wasm_name_delete(module);
        wasm_name_delete(name);
        wasm_externtype_delete(type);
        return NULL;
    }
    t->module = *module;
    t->name = *name;
    t->type = type;
    wasm_name_new_empty(module);
    wasm_name_new_empty(name);
    return t;
}

WASM_API_EXTERN void wasm_importtype_delete(wasm_importtype_t *t)
{
    if (!t)
        return;
    wasm_name_delete(&t->module);
    wasm_name_delete(&t->name);
    wasm_externtype_delete(t->type);
    free(t);
}

WASM_API_EXTERN wasm_importtype_t *wasm_importtype_copy(const wasm_importtype_t *src)
{
    wasm_name_t module, name;
    wasm_name_copy(&module, &src->module);
    wasm_name_copy(&name, &src->name);
    wasm_externtype_t *type = wasm_externtype_copy(src->type);
    if (module.size != src->module.size || name.size != src->name.size || !type) {
        wasm_name_delete(&module);
        wasm_name_delete(&name);
        wasm_externtype_delete(type);
        return NULL;
    }
    return wasm_importtype_new(&module, &name, type);
}

WASM_API_EXTERN const wasm_name_t *wasm_importtype_module(const wasm_importtype_t *t)
{
    return &t->module;
}

WASM_API_EXTERN const wasm_name_t *wasm_importtype_name(const wasm_importtype_t *t)
{
    return &t->name;
}

WASM_API_EXTERN const wasm_externtype_t *wasm_importtype_type(const wasm_importtype_t *t)
{
    return t->type;
}

WASM_API_EXTERN wasm_exporttype_t *wasm_exporttype_new(wasm_name_t *name, wasm_externtype_t *type)
{
    wasm_exporttype_t *t = malloc(sizeof *t);
    if (!t) {
        wasm_name_delete(name);
        wasm_externtype_delete(type);
        return NULL;
    }
    t->name = *name;
    t->type = type;
    wasm_name_new_empty(name);
    return t;
}

WASM_API_EXTERN void wasm_exporttype_delete(wasm_exporttype_t *t)
{
    if (!t)
        return;
    wasm_name_delete(&t->name);
    wasm_externtype_delete(t->type);
    free(t);
}

WASM_API_EXTERN wasm_exporttype_t *wasm_exporttype_copy(const wasm_exporttype_t *src)
{
    wasm_name_t name;
    wasm_name_copy(&name, &src->name);
    wasm_externtype_t *type = wasm_externtype_copy(src->type);
    if (name.size != src->name.size || !type) {
        wasm_name_delete(&name);
        wasm_externtype_delete(type);
        return NULL;
    }
    return wasm_exporttype_new(&name, type);
}

WASM_API_EXTERN const wasm_name_t *wasm_exporttype_name(const wasm_exporttype_t *t)
{
    return &t->name;
}

WASM_API_EXTERN const wasm_externtype_t *wasm_exporttype_type(const wasm_exporttype_t *t)
{
    return t->type;
}

/*
 * extern.c -- globals, tables and memories made by the host or exported by
 * instances: wasm.h's wasm_global_*, wasm_table_* and wasm_memory_* over
 * weft's.  What the host makes here the store owns (capi.h).
 */
#include <stdlib.h>

#include "capi/capi.h"

/* Hands `object` to the store and makes its handle; on failure frees it. */
static wasm_extern_t *owned_handle(wasm_store_t *store, capi_kind kind, const weft_extern *ext,
                                   void *object)
{
    if (!capi_store_own(store, kind, object)) {
        switch (kind) {
        case CAPI_GLOBAL: weft_global_free(object); break;
        case CAPI_TABLE: weft_table_free(object); break;
        default: weft_memory_free(object); break;
        }
        return NULL;
    }
    return capi_extern_new(store, ext);
}

/* ---- globals ---------------------------------------------------------------------- */

WASM_API_EXTERN wasm_global_t *wasm_global_new(wasm_store_t *store, const wasm_globaltype_t *type,
                                               const wasm_val_t *val)
{
    weft_valkind kind;
    weft_val init;
    weft_global *g;
    if (!type->e.content || !capi_weft_valkind(type->e.content->kind, &kind) ||
        val->kind != type->e.content->kind || !capi_val_to_weft(store, val, &init) ||
        weft_global_new(store->engine->engine, kind, type->e.mutability == WASM_VAR, &init, &g,
                        NULL) != WEFT_OK)
        return NULL;
    weft_extern e = {.kind = WEFT_EXTERN_GLOBAL, .of.global = g};
    return (wasm_global_t *)owned_handle(store, CAPI_GLOBAL, &e, g);
}

WASM_API_EXTERN wasm_globaltype_t *wasm_global_type(const wasm_global_t *g)
{
    weft_externtype t = {.kind = WEFT_EXTERN_GLOBAL};
    weft_global_type(g->ext.ext.of.global, &t.global_kind, &t.global_mutable);
    return (wasm_globaltype_t *)capi_externtype_new(&t);
}

/* A v128 global reads as kind WEFT_WASM_V128 and zero. */
WASM_API_EXTERN void wasm_global_get(const wasm_global_t *g, wasm_val_t *out)
{
    weft_val v;
    weft_global_get(g->ext.ext.of.global, &v);
    capi_val_from_weft(g->ext.ref.store, &v, out);
}

WASM_API_EXTERN void wasm_global_set(wasm_global_t *g, const wasm_val_t *val)
{
    weft_val v;
    if (capi_val_to_weft(g->ext.ref.store, val, &v))
        weft_global_set(g->ext.ext.of.global, &v, NULL); /* fails on const or a wrong kind */
}

/* ---- tables ------------------------------------------------------------------------ */

WASM_API_EXTERN wasm_table_t *wasm_table_new(wasm_store_t *store, const wasm_tabletype_t *type,
                                             wasm_ref_t *init)
{
    weft_valkind elem;
    weft_val v;
    weft_table *t;
    weft_limits limits = capi_weft_limits(&type->e.limits);
    if (!type->e.element || !capi_weft_valkind(type->e.element->kind, &elem) ||
        !capi_ref_to_weft(store, init, elem, &v) ||
        weft_table_new(store->engine->engine, elem, &limits, &v, &t, NULL) != WEFT_OK)
        return NULL;
    weft_extern e = {.kind = WEFT_EXTERN_TABLE, .of.table = t};
    return (wasm_table_t *)owned_handle(store, CAPI_TABLE, &e, t);
}

WASM_API_EXTERN wasm_tabletype_t *wasm_table_type(const wasm_table_t *t)
{
    weft_externtype type = {.kind = WEFT_EXTERN_TABLE};
    weft_table_type(t->ext.ext.of.table, &type.elem, &type.limits);
    return (wasm_tabletype_t *)capi_externtype_new(&type);
}

WASM_API_EXTERN wasm_ref_t *wasm_table_get(const wasm_table_t *t, wasm_table_size_t index)
{
    weft_val v;
    wasm_val_t out;
    if (weft_table_get(t->ext.ext.of.table, index, &v, NULL) != WEFT_OK ||
        !capi_val_from_weft(t->ext.ref.store, &v, &out))
        return NULL;
    return out.of.ref;
}

WASM_API_EXTERN bool wasm_table_set(wasm_table_t *t, wasm_table_size_t index, wasm_ref_t *ref)
{
    weft_valkind elem;
    weft_val v;
    weft_table_type(t->ext.ext.of.table, &elem, NULL);
    /* Bounds first: an externref would get a box for nothing. */
    if (index >= weft_table_size(t->ext.ext.of.table) ||
        !capi_ref_to_weft(t->ext.ref.store, ref, elem, &v))
        return false;
    return weft_table_set(t->ext.ext.of.table, index, &v, NULL) == WEFT_OK;
}

WASM_API_EXTERN wasm_table_size_t wasm_table_size(const wasm_table_t *t)
{
    return weft_table_size(t->ext.ext.of.table);
}

WASM_API_EXTERN bool wasm_table_grow(wasm_table_t *t, wasm_table_size_t delta, wasm_ref_t *init)
{
    weft_valkind elem;
    weft_val v;
    weft_table_type(t->ext.ext.of.table, &elem, NULL);
    return capi_ref_to_weft(t->ext.ref.store, init, elem, &v) &&
           weft_table_grow(t->ext.ext.of.table, delta, &v, NULL, NULL) == WEFT_OK;
}

/* ---- memories ------------------------------------------------------------------------ */

WASM_API_EXTERN wasm_memory_t *wasm_memory_new(wasm_store_t *store, const wasm_memorytype_t *type)
{
    weft_memory *m;
    weft_limits limits = capi_weft_limits(&type->e.limits);
    limits.shared = type->e.shared;
    if (weft_memory_new(store->engine->engine, &limits, &m, NULL) != WEFT_OK)
        return NULL;
    weft_extern e = {.kind = WEFT_EXTERN_MEMORY, .of.memory = m};
    return (wasm_memory_t *)owned_handle(store, CAPI_MEMORY, &e, m);
}

WASM_API_EXTERN wasm_memorytype_t *wasm_memory_type(const wasm_memory_t *m)
{
    weft_externtype t = {.kind = WEFT_EXTERN_MEMORY};
    weft_memory_limits(m->ext.ext.of.memory, &t.limits);
    /* The type names the current size as its minimum, as an import of this
     * memory would be matched. */
    t.limits.min = weft_memory_size(m->ext.ext.of.memory) / MEMORY_PAGE_SIZE;
    return (wasm_memorytype_t *)capi_externtype_new(&t);
}

WASM_API_EXTERN byte_t *wasm_memory_data(wasm_memory_t *m)
{
    return (byte_t *)weft_memory_data(m->ext.ext.of.memory);
}

WASM_API_EXTERN size_t wasm_memory_data_size(const wasm_memory_t *m)
{
    return (size_t)weft_memory_size(m->ext.ext.of.memory);
}

WASM_API_EXTERN wasm_memory_pages_t wasm_memory_size(const wasm_memory_t *m)
{
    return (wasm_memory_pages_t)(weft_memory_size(m->ext.ext.of.memory) / MEMORY_PAGE_SIZE);
}

WASM_API_EXTERN bool wasm_memory_grow(wasm_memory_t *m, wasm_memory_pages_t delta)
{
    uint64_t old;
    return weft_memory_grow(m->ext.ext.of.memory, delta, &old, NULL) == WEFT_OK;
}

/*
 * ref.c -- what every reference-like object of wasm.h has: handles, copy,
 * same, delete, host info, the views as wasm_ref_t and as wasm_extern_t, and
 * foreign objects.
 *
 * A handle's host info belongs to that handle: a copy starts without it, and
 * its finalizer runs when the handle is deleted (or the info replaced).
 */
#include <stdlib.h>

#include "capi/capi.h"
#include "engine/module.h"

void *capi_handle_new(wasm_store_t *store, capi_kind kind, size_t size)
{
    wasm_ref_t *r = calloc(1, size);
    if (r) {
        r->kind = kind;
        r->store = store;
    }
    return r;
}

void capi_handle_free(wasm_ref_t *r)
{
    if (r->finalizer)
        r->finalizer(r->host_info);
    free(r);
}

static capi_kind extern_kind(weft_extern_kind k)
{
    switch (k) {
    case WEFT_EXTERN_FUNC: return CAPI_FUNC;
    case WEFT_EXTERN_TABLE: return CAPI_TABLE;
    case WEFT_EXTERN_MEMORY: return CAPI_MEMORY;
    default: return CAPI_GLOBAL;
    }
}

/* Func, global, table and memory handles are one struct (capi.h). */
wasm_extern_t *capi_extern_new(wasm_store_t *store, const weft_extern *ext)
{
    wasm_extern_t *e = capi_handle_new(store, extern_kind(ext->kind), sizeof *e);
    if (e)
        e->ext = *ext;
    return e;
}

static bool is_extern(const wasm_ref_t *r) { return r->kind <= CAPI_MEMORY; }

/* What a handle names: two handles are the same when these are equal. */
static const void *identity(const wasm_ref_t *r)
{
    if (is_extern(r)) {
        const weft_extern *e = &((const wasm_extern_t *)r)->ext;
        switch (e->kind) {
        case WEFT_EXTERN_FUNC: return e->of.func;
        case WEFT_EXTERN_TABLE: return e->of.table;
        case WEFT_EXTERN_MEMORY: return e->of.memory;
        default: return e->of.global;
        }
    }
    switch (r->kind) {
    case CAPI_FOREIGN: return ((const wasm_foreign_t *)r)->box;
    case CAPI_MODULE: return ((const wasm_module_t *)r)->module;
    case CAPI_INSTANCE: return ((const wasm_instance_t *)r)->instance;
    default: return r; /* a trap is itself */
    }
}

static wasm_ref_t *ref_copy(const wasm_ref_t *r)
{
    switch (r->kind) {
    case CAPI_FOREIGN: {
        wasm_foreign_t *f = capi_handle_new(r->store, CAPI_FOREIGN, sizeof *f);
        if (f)
            f->box = ((const wasm_foreign_t *)r)->box;
        return &f->ref;
    }
    case CAPI_MODULE: {
        wasm_module_t *m = capi_handle_new(r->store, CAPI_MODULE, sizeof *m);
        if (!m)
            return NULL;
        m->module = ((const wasm_module_t *)r)->module;
        mod_retain(m->module);
        return &m->ref;
    }
    case CAPI_INSTANCE: {
        wasm_instance_t *i = capi_handle_new(r->store, CAPI_INSTANCE, sizeof *i);
        if (i)
            i->instance = ((const wasm_instance_t *)r)->instance;
        return &i->ref;
    }
    case CAPI_TRAP: {
        const wasm_trap_t *src = (const wasm_trap_t *)r;
        wasm_trap_t *t = capi_trap_new(r->store, src->message.data, src->message.size - 1);
        if (t && src->nframes) {
            t->frames = malloc(src->nframes * sizeof *t->frames);
            if (!t->frames) {
                wasm_trap_delete(t);
                return NULL;
            }
            memcpy(t->frames, src->frames, src->nframes * sizeof *t->frames);
            t->nframes = src->nframes;
        }
        return &t->ref;
    }
    default: {
        wasm_extern_t *e = capi_extern_new(r->store, &((const wasm_extern_t *)r)->ext);
        return &e->ref;
    }
    }
}

static void ref_delete(wasm_ref_t *r)
{
    if (!r)
        return;
    if (r->kind == CAPI_MODULE)
        weft_module_free(((wasm_module_t *)r)->module);
    if (r->kind == CAPI_TRAP) {
        wasm_trap_t *t = (wasm_trap_t *)r;
        wasm_name_delete(&t->message);
        free(t->frames);
    }
    capi_handle_free(r);
}

static bool ref_same(const wasm_ref_t *a, const wasm_ref_t *b)
{
    if (!a || !b)
        return a == b;
    return a->kind == b->kind && identity(a) == identity(b);
}

static void set_host_info(wasm_ref_t *r, void *info, void (*finalizer)(void *))
{
    if (r->finalizer)
        r->finalizer(r->host_info);
    r->host_info = info;
    r->finalizer = finalizer;
}

/* The base family of every reference-like kind. */
#define CAPI_REF_BASE(name)                                                                   \
    WASM_API_EXTERN void wasm_##name##_delete(wasm_##name##_t *x) { ref_delete((wasm_ref_t *)x); } \
    WASM_API_EXTERN wasm_##name##_t *wasm_##name##_copy(const wasm_##name##_t *x)             \
    {                                                                                         \
        return (wasm_##name##_t *)ref_copy((const wasm_ref_t *)x);                            \
    }                                                                                         \
    WASM_API_EXTERN bool wasm_##name##_same(const wasm_##name##_t *a, const wasm_##name##_t *b) \
    {                                                                                         \
        return ref_same((const wasm_ref_t *)a, (const wasm_ref_t *)b);                        \
    }                                                                                         \
    WASM_API_EXTERN void *wasm_##name##_get_host_info(const wasm_##name##_t *x)               \
    {                                                                                         \
        return ((const wasm_ref_t *)x)->host_info;                                            \
    }                                                                                         \
    WASM_API_EXTERN void wasm_##name##_set_host_info(wasm_##name##_t *x, void *info)          \
    {                                                                                         \
        set_host_info((wasm_ref_t *)x, info, NULL);                                           \
    }                                                                                         \
    WASM_API_EXTERN void wasm_##name##_set_host_info_with_finalizer(                          \
        wasm_##name##_t *x, void *info, void (*finalizer)(void *))                            \
    {                                                                                         \
        set_host_info((wasm_ref_t *)x, info, finalizer);                                      \
    }

/* ... and the views as wasm_ref_t; `is` says whether a ref is of this kind. */
#define CAPI_REF(name, is)                                                                    \
    CAPI_REF_BASE(name)                                                                       \
    WASM_API_EXTERN wasm_ref_t *wasm_##name##_as_ref(wasm_##name##_t *x)                      \
    {                                                                                         \
        return (wasm_ref_t *)x;                                                               \
    }                                                                                         \
    WASM_API_EXTERN const wasm_ref_t *wasm_##name##_as_ref_const(const wasm_##name##_t *x)    \
    {                                                                                         \
        return (const wasm_ref_t *)x;                                                         \
    }                                                                                         \
    WASM_API_EXTERN wasm_##name##_t *wasm_ref_as_##name(wasm_ref_t *r)                        \
    {                                                                                         \
        return r && is(r) ? (wasm_##name##_t *)r : NULL;                                      \
    }                                                                                         \
    WASM_API_EXTERN const wasm_##name##_t *wasm_ref_as_##name##_const(const wasm_ref_t *r)    \
    {                                                                                         \
        return r && is(r) ? (const wasm_##name##_t *)r : NULL;                                \
    }

static inline bool is_func(const wasm_ref_t *r) { return r->kind == CAPI_FUNC; }
static inline bool is_global(const wasm_ref_t *r) { return r->kind == CAPI_GLOBAL; }
static inline bool is_table(const wasm_ref_t *r) { return r->kind == CAPI_TABLE; }
static inline bool is_memory(const wasm_ref_t *r) { return r->kind == CAPI_MEMORY; }
static inline bool is_foreign(const wasm_ref_t *r) { return r->kind == CAPI_FOREIGN; }
static inline bool is_module(const wasm_ref_t *r) { return r->kind == CAPI_MODULE; }
static inline bool is_instance(const wasm_ref_t *r) { return r->kind == CAPI_INSTANCE; }
static inline bool is_trap(const wasm_ref_t *r) { return r->kind == CAPI_TRAP; }

CAPI_REF_BASE(ref)
CAPI_REF(func, is_func)
CAPI_REF(global, is_global)
CAPI_REF(table, is_table)
CAPI_REF(memory, is_memory)
CAPI_REF(extern, is_extern)
CAPI_REF(foreign, is_foreign)
CAPI_REF(module, is_module)
CAPI_REF(instance, is_instance)
CAPI_REF(trap, is_trap)

/* ---- the extern views ------------------------------------------------------------------ */

#define CAPI_EXTERN_VIEW(name, KIND)                                                          \
    WASM_API_EXTERN wasm_extern_t *wasm_##name##_as_extern(wasm_##name##_t *x)                \
    {                                                                                         \
        return x ? &x->ext : NULL;                                                            \
    }                                                                                         \
    WASM_API_EXTERN const wasm_extern_t *wasm_##name##_as_extern_const(const wasm_##name##_t *x) \
    {                                                                                         \
        return x ? &x->ext : NULL;                                                            \
    }                                                                                         \
    WASM_API_EXTERN wasm_##name##_t *wasm_extern_as_##name(wasm_extern_t *e)                  \
    {                                                                                         \
        return e && e->ref.kind == KIND ? (wasm_##name##_t *)e : NULL;                        \
    }                                                                                         \
    WASM_API_EXTERN const wasm_##name##_t *wasm_extern_as_##name##_const(const wasm_extern_t *e) \
    {                                                                                         \
        return e && e->ref.kind == KIND ? (const wasm_##name##_t *)e : NULL;                  \
    }

CAPI_EXTERN_VIEW(func, CAPI_FUNC)
CAPI_EXTERN_VIEW(global, CAPI_GLOBAL)
CAPI_EXTERN_VIEW(table, CAPI_TABLE)
CAPI_EXTERN_VIEW(memory, CAPI_MEMORY)

WASM_API_EXTERN wasm_externkind_t wasm_extern_kind(const wasm_extern_t *e)
{
    return capi_externkind(e->ext.kind);
}

WASM_API_EXTERN wasm_externtype_t *wasm_extern_type(const wasm_extern_t *e)
{
    switch (e->ext.kind) {
    case WEFT_EXTERN_FUNC:
        return (wasm_externtype_t *)wasm_func_type((const wasm_func_t *)e);
    case WEFT_EXTERN_TABLE:
        return (wasm_externtype_t *)wasm_table_type((const wasm_table_t *)e);
    case WEFT_EXTERN_MEMORY:
        return (wasm_externtype_t *)wasm_memory_type((const wasm_memory_t *)e);
    default:
        return (wasm_externtype_t *)wasm_global_type((const wasm_global_t *)e);
    }
}

/* ---- foreign objects ---------------------------------------------------------------------- */

WASM_API_EXTERN wasm_foreign_t *wasm_foreign_new(wasm_store_t *store)
{
    capi_box *box = malloc(sizeof *box);
    wasm_foreign_t *f = capi_handle_new(store, CAPI_FOREIGN, sizeof *f);
    if (!box || !f || !capi_store_own(store, CAPI_FOREIGN, box)) {
        free(box);
        free(f);
        return NULL;
    }
    *box = (capi_box){.kind = CAPI_FOREIGN, .object = box};
    f->box = box;
    return f;
}

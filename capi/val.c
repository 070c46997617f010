/*
 * val.c -- values (floats keep their bits, NaN payloads included): wasm_val_delete and wasm_val_copy, and the conversions
 * between wasm_val_t and weft_val, references included (capi.h: a funcref
 * is the weft_func of a function handle; an externref is a capi_box owned by
 * the store).
 */
#include <stdlib.h>

#include "capi/capi.h"

WASM_API_EXTERN void wasm_val_delete(wasm_val_t *v)
{
    if (wasm_valkind_is_ref(v->kind) && v->of.ref) {
        wasm_ref_delete(v->of.ref);
        v->of.ref = NULL;
    }
}

WASM_API_EXTERN void wasm_val_copy(wasm_val_t *out, const wasm_val_t *v)
{
    *out = *v;
    if (wasm_valkind_is_ref(v->kind) && v->of.ref)
        out->of.ref = wasm_ref_copy(v->of.ref);
}

/* The box wasm carries for `ref`: a foreign object's own, else a new one. */
static capi_box *box_of(wasm_store_t *store, wasm_ref_t *ref)
{
    if (ref->kind == CAPI_FOREIGN)
        return ((wasm_foreign_t *)ref)->box;
    capi_box *box = malloc(sizeof *box);
    if (!box || !capi_store_own(store, CAPI_FOREIGN, box)) {
        free(box);
        return NULL;
    }
    box->kind = ref->kind;
    switch (ref->kind) {
    case CAPI_MODULE: box->object = ((wasm_module_t *)ref)->module; break;
    case CAPI_INSTANCE: box->object = ((wasm_instance_t *)ref)->instance; break;
    case CAPI_TRAP:
        /* A trap has no object apart from its handle: the box keeps a copy. */
        box->object = wasm_trap_copy((wasm_trap_t *)ref);
        if (!box->object)
            return NULL;
        break;
    default: box->object = ((wasm_extern_t *)ref)->ext.of.func; break;
    }
    return box;
}

/* A new handle to what `box` holds. */
static wasm_ref_t *ref_of_box(wasm_store_t *store, const capi_box *box)
{
    switch (box->kind) {
    case CAPI_FOREIGN: {
        wasm_foreign_t *f = capi_handle_new(store, CAPI_FOREIGN, sizeof *f);
        if (f)
            f->box = (capi_box *)box;
        return (wasm_ref_t *)f;
    }
    case CAPI_MODULE: {
        wasm_module_t tmp = {.ref = {.kind = CAPI_MODULE, .store = store}, .module = box->object};
        return wasm_module_as_ref(wasm_module_copy(&tmp));
    }
    case CAPI_INSTANCE: {
        wasm_instance_t *i = capi_handle_new(store, CAPI_INSTANCE, sizeof *i);
        if (i)
            i->instance = box->object;
        return (wasm_ref_t *)i;
    }
    case CAPI_TRAP: return wasm_trap_as_ref(wasm_trap_copy(box->object));
    case CAPI_FUNC: {
        weft_extern e = {.kind = WEFT_EXTERN_FUNC, .of.func = box->object};
        return (wasm_ref_t *)capi_extern_new(store, &e);
    }
    case CAPI_GLOBAL: {
        weft_extern e = {.kind = WEFT_EXTERN_GLOBAL, .of.global = box->object};
        return (wasm_ref_t *)capi_extern_new(store, &e);
    }
    case CAPI_TABLE: {
        weft_extern e = {.kind = WEFT_EXTERN_TABLE, .of.table = box->object};
        return (wasm_ref_t *)capi_extern_new(store, &e);
    }
    default: {
        weft_extern e = {.kind = WEFT_EXTERN_MEMORY, .of.memory = box->object};
        return (wasm_ref_t *)capi_extern_new(store, &e);
    }
    }
}

bool capi_ref_to_weft(wasm_store_t *store, wasm_ref_t *ref, weft_valkind elem, weft_val *out)
{
    memset(out, 0, sizeof *out);
    out->kind = elem;
    if (!ref)
        return elem == WEFT_FUNCREF || elem == WEFT_EXTERNREF;
    if (elem == WEFT_FUNCREF) {
        if (ref->kind != CAPI_FUNC)
            return false;
        out->of.funcref = ((wasm_func_t *)ref)->ext.ext.of.func;
        return true;
    }
    if (elem != WEFT_EXTERNREF)
        return false;
    out->of.externref = box_of(store, ref);
    return out->of.externref != NULL;
}

bool capi_val_to_weft(wasm_store_t *store, const wasm_val_t *in, weft_val *out)
{
    memset(out, 0, sizeof *out);
    switch (in->kind) {
    case WASM_I32: out->kind = WEFT_I32; out->of.i32 = in->of.i32; return true;
    case WASM_I64: out->kind = WEFT_I64; out->of.i64 = in->of.i64; return true;
    case WASM_F32: out->kind = WEFT_F32; memcpy(&out->of.f32, &in->of.f32, sizeof in->of.f32); return true;
    case WASM_F64: out->kind = WEFT_F64; memcpy(&out->of.f64, &in->of.f64, sizeof in->of.f64); return true;
    case WASM_FUNCREF: return capi_ref_to_weft(store, in->of.ref, WEFT_FUNCREF, out);
    case WASM_EXTERNREF: return capi_ref_to_weft(store, in->of.ref, WEFT_EXTERNREF, out);
    default: return false;
    }
}

bool capi_val_from_weft(wasm_store_t *store, const weft_val *in, wasm_val_t *out)
{
    memset(out, 0, sizeof *out);
    out->kind = capi_valkind(in->kind);
    switch (in->kind) {
    case WEFT_I32: out->of.i32 = in->of.i32; return true;
    case WEFT_I64: out->of.i64 = in->of.i64; return true;
    case WEFT_F32: memcpy(&out->of.f32, &in->of.f32, sizeof in->of.f32); return true;
    case WEFT_F64: memcpy(&out->of.f64, &in->of.f64, sizeof in->of.f64); return true;
    case WEFT_V128: return false;
    case WEFT_FUNCREF: {
        if (!in->of.funcref)
            return true;
        weft_extern e = {.kind = WEFT_EXTERN_FUNC, .of.func = in->of.funcref};
        out->of.ref = (wasm_ref_t *)capi_extern_new(store, &e);
        return out->of.ref != NULL;
    }
    case WEFT_EXTERNREF:
        if (!in->of.externref)
            return true;
        out->of.ref = ref_of_box(store, in->of.externref);
        return out->of.ref != NULL;
    }
    return false;
}

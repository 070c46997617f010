/*
 * global.c -- globals (struct weft_global): the weft_global_* API and the
 * conversions between the public weft_val, the internal inst_value and the
 * interpreter's 64-bit slots that every part of the instance code shares.
 */
#include <stdatomic.h>

#include "engine/instance.h"

weft_valkind inst_kind_of(mod_valtype t)
{
    switch (t) {
    case VT_I32: return WEFT_I32;
    case VT_I64: return WEFT_I64;
    case VT_F32: return WEFT_F32;
    case VT_F64: return WEFT_F64;
    case VT_V128: return WEFT_V128;
    case VT_FUNCREF: return WEFT_FUNCREF;
    default: return WEFT_EXTERNREF;
    }
}

WEFT_API const char *weft_valkind_name(weft_valkind kind)
{
    switch (kind) {
    case WEFT_I32: return "i32";
    case WEFT_I64: return "i64";
    case WEFT_F32: return "f32";
    case WEFT_F64: return "f64";
    case WEFT_V128: return "v128";
    case WEFT_FUNCREF: return "funcref";
    case WEFT_EXTERNREF: return "externref";
    }
    return "?";
}

mod_valtype inst_valtype_of(weft_valkind k)
{
    switch (k) {
    case WEFT_I32: return VT_I32;
    case WEFT_I64: return VT_I64;
    case WEFT_F32: return VT_F32;
    case WEFT_F64: return VT_F64;
    case WEFT_V128: return VT_V128;
    case WEFT_FUNCREF: return VT_FUNCREF;
    case WEFT_EXTERNREF: return VT_EXTERNREF;
    }
    return VT_UNKNOWN;
}

/* Slots as in interp.h: 32-bit values in the low half (zero-extended), v128
 * in two slots low half first, references as pointers. */
uint32_t inst_val_to_slots(const weft_val *v, uint64_t *slots)
{
    switch (v->kind) {
    case WEFT_I32: slots[0] = (uint32_t)v->of.i32; return 1;
    case WEFT_F32: slots[0] = v->of.f32_bits; return 1;
    case WEFT_I64: slots[0] = (uint64_t)v->of.i64; return 1;
    case WEFT_F64: slots[0] = v->of.f64_bits; return 1;
    case WEFT_V128: memcpy(slots, v->of.v128, 16); return 2;
    case WEFT_FUNCREF: slots[0] = (uint64_t)(uintptr_t)v->of.funcref; return 1;
    case WEFT_EXTERNREF: slots[0] = (uint64_t)(uintptr_t)v->of.externref; return 1;
    }
    return 1;
}

uint32_t inst_slots_to_val(mod_valtype t, const uint64_t *slots, weft_val *v)
{
    memset(v, 0, sizeof *v);
    v->kind = inst_kind_of(t);
    switch (t) {
    case VT_I32: v->of.i32 = (int32_t)(uint32_t)slots[0]; return 1;
    case VT_F32: v->of.f32_bits = (uint32_t)slots[0]; return 1;
    case VT_I64: v->of.i64 = (int64_t)slots[0]; return 1;
    case VT_F64: v->of.f64_bits = slots[0]; return 1;
    case VT_V128: memcpy(v->of.v128, slots, 16); return 2;
    case VT_FUNCREF: v->of.funcref = (weft_func *)(uintptr_t)slots[0]; return 1;
    default: v->of.externref = (void *)(uintptr_t)slots[0]; return 1;
    }
}

static void value_from_val(const weft_val *v, inst_value *out)
{
    memset(out, 0, sizeof *out);
    switch (v->kind) {
    case WEFT_I32: out->i32 = v->of.i32; break;
    case WEFT_I64: out->i64 = v->of.i64; break;
    case WEFT_F32: out->u32 = v->of.f32_bits; break;
    case WEFT_F64: out->u64[0] = v->of.f64_bits; break;
    case WEFT_V128: memcpy(out->v128, v->of.v128, 16); break;
    case WEFT_FUNCREF: out->ref = v->of.funcref; break;
    case WEFT_EXTERNREF: out->ref = v->of.externref; break;
    }
}

weft_status inst_global_new(weft_engine *e, const mod_globaltype *type, const inst_value *init,
                            weft_global **out, weft_error *err)
{
    weft_global *g = eng_calloc(e, 1, sizeof *g);
    if (!g)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
    g->engine = e;
    atomic_init(&g->refs, 1);
    g->type = *type;
    if (init)
        g->value = *init;
    *out = g;
    return WEFT_OK;
}

void inst_global_retain(weft_global *g) { atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed); }

void inst_global_release(weft_global *g)
{
    if (g && atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1)
        eng_free(g->engine, g);
}

/* ---- public API ------------------------------------------------------------- */

WEFT_API weft_status weft_global_new(weft_engine *engine, weft_valkind kind, bool mutable_,
                                     const weft_val *init, weft_global **out, weft_error *err)
{
    if (!engine || !out || inst_valtype_of(kind) == VT_UNKNOWN || (init && init->kind != kind))
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                       "a global needs an engine and an initial value of its kind");
    mod_globaltype type = {.type = inst_valtype_of(kind), .mutable_ = mutable_};
    inst_value v;
    memset(&v, 0, sizeof v);
    if (init)
        value_from_val(init, &v);
    return inst_global_new(engine, &type, &v, out, err);
}

WEFT_API void weft_global_free(weft_global *global) { inst_global_release(global); }

WEFT_API void weft_global_get(const weft_global *global, weft_val *out)
{
    inst_slots_to_val(global->type.type, global->value.u64, out);
}

WEFT_API weft_status weft_global_set(weft_global *global, const weft_val *val, weft_error *err)
{
    if (!global->type.mutable_)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "global is immutable");
    if (val->kind != inst_kind_of(global->type.type))
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "value of the wrong kind");
    value_from_val(val, &global->value);
    return WEFT_OK;
}

WEFT_API void weft_global_type(const weft_global *global, weft_valkind *kind, bool *mutable_)
{
    if (kind)
        *kind = inst_kind_of(global->type.type);
    if (mutable_)
        *mutable_ = global->type.mutable_;
}

/*
 * func.c -- functions (struct weft_func): host functions and their calls from
 * wasm (inst_call_host), and weft_call, the embedder's way into wasm.
 *
 * A wasm function belongs to its instance (instance.own_funcs) and is borrowed
 * by everyone else; a host function is reference counted: weft_func_new gives
 * the caller one reference and every instance importing it takes one.
 */
#include <stdatomic.h>

#include "engine/engine.h"
#include "engine/interp.h"

/* What a host function sees of the wasm code that called it. */
struct weft_caller {
    weft_instance *instance; /* NULL when called by weft_call */
};

WEFT_API weft_memory *weft_caller_memory(weft_caller *caller, uint32_t index)
{
    if (!caller || !caller->instance || index >= caller->instance->module->nmemories)
        return NULL;
    return caller->instance->memories[index];
}

/* ---- host functions ---------------------------------------------------------- */

WEFT_API weft_status weft_func_new(weft_engine *engine, const weft_functype *type,
                                   weft_host_fn fn, void *env, void (*finalizer)(void *env),
                                   weft_func **out, weft_error *err)
{
    if (!engine || !type || !fn || !out || (type->nparams && !type->params) ||
        (type->nresults && !type->results))
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                       "a host function needs an engine, a type and a callback");
    size_t n = (size_t)type->nparams + type->nresults;
    for (size_t i = 0; i < n; i++) {
        weft_valkind k = i < type->nparams ? type->params[i] : type->results[i - type->nparams];
        if (inst_valtype_of(k) == VT_UNKNOWN)
            return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "unknown value kind %d",
                           (int)k);
    }
    weft_func *f = eng_calloc(engine, 1, sizeof *f);
    mod_valtype *types = eng_alloc(engine, n);
    if (!f || !types) {
        eng_free(engine, f);
        eng_free(engine, types);
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
    }
    for (size_t i = 0; i < n; i++)
        types[i] = inst_valtype_of(i < type->nparams ? type->params[i]
                                                     : type->results[i - type->nparams]);
    f->kind = FUNC_HOST;
    f->own_type = (mod_functype){.nparams = type->nparams, .nresults = type->nresults,
                                 .types = types};
    f->type = &f->own_type;
    f->sig = eng_intern_type(engine, f->type);
    if (f->sig == UINT32_MAX) {
        eng_free(engine, types);
        eng_free(engine, f);
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
    }
    atomic_init(&f->refs, 1);
    f->host_fn = fn;
    f->env = env;
    f->finalizer = finalizer;
    f->engine = engine;
    *out = f;
    return WEFT_OK;
}

void inst_func_retain(weft_func *f)
{
    if (f && f->kind == FUNC_HOST)
        atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
}

void inst_func_release(weft_func *f)
{
    if (!f || f->kind != FUNC_HOST ||
        atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (f->finalizer)
        f->finalizer(f->env);
    eng_free(f->engine, f->own_type.types);
    eng_free(f->engine, f);
}

/* Exported wasm functions are borrowed from their instance: nothing to drop. */
WEFT_API void weft_func_free(weft_func *func) { inst_func_release(func); }

WEFT_API void weft_func_type(const weft_func *func, weft_functype *out)
{
    weft_engine *e = func->kind == FUNC_HOST ? func->engine : func->instance->engine;
    const weft_valkind *kinds = eng_type_kinds(e, func->sig);
    out->params = kinds;
    out->nparams = func->type->nparams;
    out->results = kinds + func->type->nparams;
    out->nresults = func->type->nresults;
}

/* Converts `n` values of `types` from slots into vals; returns slots read. */
static uint32_t slots_to_vals(const mod_valtype *types, uint32_t n, const uint64_t *slots,
                              weft_val *vals)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        k += inst_slots_to_val(types[i], slots + k, &vals[i]);
    return k;
}

static void vals_to_slots(const mod_valtype *types, uint32_t n, weft_val *vals, uint64_t *slots)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        vals[i].kind = inst_kind_of(types[i]); /* convert by the declared type */
        k += inst_val_to_slots(&vals[i], slots + k);
    }
}

enum { SMALL_VALS = 16 };

weft_status inst_call_host(weft_func *f, weft_instance *caller, uint64_t *slots, weft_error *err)
{
    weft_status st = WEFT_OK;
    const mod_functype *t = f->type;
    weft_val small[SMALL_VALS];
    weft_val *vals = small;
    size_t n = (size_t)t->nparams + t->nresults;
    if (n > SMALL_VALS) {
        vals = eng_calloc(f->engine, n, sizeof *vals);
        if (!vals)
            return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
    }
    weft_val *results = vals + t->nparams;
    slots_to_vals(mod_params(t), t->nparams, slots, vals);
    for (uint32_t i = 0; i < t->nresults; i++) {
        memset(&results[i], 0, sizeof results[i]);
        results[i].kind = inst_kind_of(mod_results(t)[i]);
    }
    weft_caller c = {.instance = caller};
    st = f->host_fn(f->env, &c, vals, results, err);
    if (st == WEFT_OK)
        vals_to_slots(mod_results(t), t->nresults, results, slots);
    if (vals != small)
        eng_free(f->engine, vals);
    return st;
}

/* ---- calling into wasm ---------------------------------------------------------- */

typedef struct invoke_args {
    thr_context *ctx;
    weft_func *f;
    uint64_t *slots;
    weft_error *err;
} invoke_args;

static weft_status run_invoke(void *arg)
{
    invoke_args *a = arg;
    return interp_invoke(a->ctx, a->f, a->slots, a->err);
}

void inst_allow_memories(thr_context *ctx, const weft_instance *inst)
{
    if (eng_config(inst->engine)->bounds != WEFT_BOUNDS_GUARD)
        return;
    for (uint32_t i = 0; i < inst->module->nmemories; i++)
        thr_allow_range(ctx, inst->memories[i]->base, inst->memories[i]->reserved);
}

weft_status inst_invoke(weft_func *f, uint64_t *slots, weft_error *err)
{
    weft_status st = WEFT_OK;
    weft_instance *inst = f->instance;
    const weft_config *c = eng_config(inst->engine);
    thr_context *ctx = thr_current(c->value_stack_bytes);
    if (!ctx)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "thread context");
    if (c->bounds == WEFT_BOUNDS_GUARD)
        TRY(thr_install_handler(err));
    inst_allow_memories(ctx, inst);
    invoke_args a = {.ctx = ctx, .f = f, .slots = slots, .err = err};
    st = thr_enter(ctx, run_invoke, &a, !c->trust_signal_mask, err);
    if (st == WEFT_TRAP)
        interp_after_trap(ctx, err); /* a guard fault left no backtrace of its own */
fail:
    return st;
}

static uint32_t slot_count(const mod_valtype *types, uint32_t n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        k += interp_slots_of(types[i]);
    return k;
}

WEFT_API weft_status weft_call(weft_func *func, const weft_val *args, size_t nargs,
                               weft_val *results, size_t nresults, weft_error *err)
{
    weft_status st = WEFT_OK;
    if (!func)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "no function");
    const mod_functype *t = func->type;
    if (nargs != t->nparams || nresults != t->nresults || (nargs && !args) ||
        (nresults && !results))
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                       "the function takes %u arguments and returns %u results, not %zu and %zu",
                       t->nparams, t->nresults, nargs, nresults);
    for (uint32_t i = 0; i < t->nparams; i++)
        if (args[i].kind != inst_kind_of(mod_params(t)[i]))
            return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                           "argument %u has the wrong kind", i);

    if (func->kind == FUNC_HOST) {
        for (uint32_t i = 0; i < t->nresults; i++) {
            memset(&results[i], 0, sizeof results[i]);
            results[i].kind = inst_kind_of(mod_results(t)[i]);
        }
        weft_caller c = {.instance = NULL};
        st = func->host_fn(func->env, &c, args, results, err);
        for (uint32_t i = 0; st == WEFT_OK && i < t->nresults; i++)
            results[i].kind = inst_kind_of(mod_results(t)[i]);
        return st;
    }

    weft_engine *e = func->instance->engine;
    uint32_t nin = slot_count(mod_params(t), t->nparams);
    uint32_t nout = slot_count(mod_results(t), t->nresults);
    uint32_t n = nin > nout ? nin : nout;
    uint64_t small[SMALL_VALS * 2];
    uint64_t *slots = small;
    if (n > WEFT_ARRAY_LEN(small)) {
        slots = eng_calloc(e, n, sizeof *slots);
        if (!slots)
            return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < t->nparams; i++)
        k += inst_val_to_slots(&args[i], slots + k);
    TRY(inst_invoke(func, slots, err));
    slots_to_vals(mod_results(t), t->nresults, slots, results);
fail:
    if (slots != small)
        eng_free(e, slots);
    return st;
}

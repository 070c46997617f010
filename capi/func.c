/*
 * func.c -- functions: host functions (wasm_func_new, _new_with_env) as weft
 * host functions whose callback converts the values, and wasm_func_call over
 * weft_call.
 *
 * A host callback's trap cannot go through weft whole (weft carries an error
 * code and a bounded message), so the callback's trap waits in the store
 * (pending_trap) while weft unwinds the wasm frames with WEFT_E_HOST_TRAP,
 * and the wasm_func_call that receives that error gives the host's trap to
 * its caller with those frames.
 */
#include <stdlib.h>

#include "capi/capi.h"

/* What a host function's weft env holds. */
typedef struct capi_host {
    wasm_store_t *store;
    wasm_func_callback_t callback;              /* one of these two */
    wasm_func_callback_with_env_t callback_env;
    void *env;
    void (*finalizer)(void *);
    size_t nparams, nresults;
} capi_host;

static void host_finalize(void *p)
{
    capi_host *h = p;
    if (h->finalizer)
        h->finalizer(h->env);
    free(h);
}

enum { SMALL_VALS = 8 };

/* Frees a val array and the references it holds. */
static void vals_free(wasm_val_t *vals, size_t n, const wasm_val_t *small)
{
    for (size_t i = 0; i < n; i++)
        wasm_val_delete(&vals[i]);
    if (vals != small)
        free(vals);
}

static weft_status host_trampoline(void *env, weft_caller *caller, const weft_val *args,
                                   weft_val *results, weft_error *err)
{
    (void)caller;
    capi_host *h = env;
    weft_status st = WEFT_OK;
    wasm_val_t small[SMALL_VALS];
    size_t n = h->nparams + h->nresults;
    wasm_val_t *vals = n <= SMALL_VALS ? small : calloc(n, sizeof *vals);
    if (!vals)
        return weft_error_set(err, WEFT_E_OUT_OF_MEMORY, "host function arguments");
    memset(vals, 0, n * sizeof *vals);
    for (size_t i = 0; i < h->nparams; i++)
        if (!capi_val_from_weft(h->store, &args[i], &vals[i])) {
            st = weft_error_set(err, WEFT_E_UNSUPPORTED,
                                "argument %zu of a host function: a v128, or out of memory", i);
            goto done;
        }
    wasm_val_t *res = vals + h->nparams;
    for (size_t i = 0; i < h->nresults; i++)
        res[i].kind = capi_valkind(results[i].kind);
    wasm_val_vec_t in = {h->nparams, vals}, out = {h->nresults, res};
    wasm_trap_t *trap = h->callback ? h->callback(&in, &out) : h->callback_env(h->env, &in, &out);
    if (trap) {
        if (h->store->pending_trap)
            wasm_trap_delete(h->store->pending_trap);
        h->store->pending_trap = trap;
        st = weft_error_set(err, WEFT_E_HOST_TRAP, "%s", trap->message.data);
        goto done;
    }
    for (size_t i = 0; i < h->nresults; i++) {
        weft_valkind want = results[i].kind;
        if (!capi_val_to_weft(h->store, &res[i], &results[i]) || results[i].kind != want) {
            st = weft_error_set(err, WEFT_E_HOST_TRAP,
                                "result %zu of a host function has the wrong kind", i);
            goto done;
        }
    }
done:
    vals_free(vals, n, small);
    return st;
}

static wasm_func_t *host_new(wasm_store_t *store, const wasm_functype_t *type, capi_host *h)
{
    size_t n = type->e.params.size + type->e.results.size;
    weft_valkind small[SMALL_VALS];
    weft_valkind *kinds = n <= SMALL_VALS ? small : malloc(n * sizeof *kinds);
    weft_functype ft;
    weft_func *f = NULL;
    wasm_func_t *func = NULL;
    h->store = store;
    h->nparams = type->e.params.size;
    h->nresults = type->e.results.size;
    if (!kinds || !capi_weft_functype(type, kinds, &ft) ||
        weft_func_new(store->engine->engine, &ft, host_trampoline, h, host_finalize, &f, NULL) !=
            WEFT_OK) {
        free(h); /* the user's finalizer does not run: no function was made */
        goto done;
    }
    if (!capi_store_own(store, CAPI_FUNC, f)) {
        weft_func_free(f);
        goto done;
    }
    weft_extern e = {.kind = WEFT_EXTERN_FUNC, .of.func = f};
    func = (wasm_func_t *)capi_extern_new(store, &e);
done:
    if (kinds != small)
        free(kinds);
    return func;
}

WASM_API_EXTERN wasm_func_t *wasm_func_new(wasm_store_t *store, const wasm_functype_t *type,
                                           wasm_func_callback_t callback)
{
    capi_host *h = calloc(1, sizeof *h);
    if (!h || !callback) {
        free(h);
        return NULL;
    }
    h->callback = callback;
    return host_new(store, type, h);
}

WASM_API_EXTERN wasm_func_t *wasm_func_new_with_env(wasm_store_t *store,
                                                    const wasm_functype_t *type,
                                                    wasm_func_callback_with_env_t callback,
                                                    void *env, void (*finalizer)(void *))
{
    capi_host *h = calloc(1, sizeof *h);
    if (!h || !callback) {
        free(h);
        return NULL;
    }
    h->callback_env = callback;
    h->env = env;
    h->finalizer = finalizer;
    return host_new(store, type, h);
}

WASM_API_EXTERN wasm_functype_t *wasm_func_type(const wasm_func_t *f)
{
    weft_functype t;
    weft_func_type(f->ext.ext.of.func, &t);
    return capi_functype_new(&t);
}

WASM_API_EXTERN size_t wasm_func_param_arity(const wasm_func_t *f)
{
    weft_functype t;
    weft_func_type(f->ext.ext.of.func, &t);
    return t.nparams;
}

WASM_API_EXTERN size_t wasm_func_result_arity(const wasm_func_t *f)
{
    weft_functype t;
    weft_func_type(f->ext.ext.of.func, &t);
    return t.nresults;
}

static wasm_trap_t *trap_msg(wasm_store_t *store, const char *msg)
{
    return capi_trap_new(store, msg, strlen(msg));
}

WASM_API_EXTERN wasm_trap_t *wasm_func_call(const wasm_func_t *func, const wasm_val_vec_t *args,
                                            wasm_val_vec_t *results)
{
    wasm_store_t *store = func->ext.ref.store;
    weft_func *f = func->ext.ext.of.func;
    weft_functype t;
    weft_func_type(f, &t);
    size_t nargs = args ? args->size : 0, nresults = results ? results->size : 0;
    if (nargs != t.nparams || nresults != t.nresults)
        return trap_msg(store, "wasm_func_call: wrong number of arguments or results");

    weft_val small[SMALL_VALS * 2];
    size_t n = nargs + nresults;
    weft_val *vals = n <= WEFT_ARRAY_LEN(small) ? small : calloc(n, sizeof *vals);
    if (!vals)
        return trap_msg(store, "out of memory");
    weft_val *out = vals + nargs;
    wasm_trap_t *trap = NULL;
    for (size_t i = 0; i < nargs; i++)
        if (!capi_val_to_weft(store, &args->data[i], &vals[i]) || vals[i].kind != t.params[i]) {
            trap = trap_msg(store, "wasm_func_call: an argument of the wrong kind");
            goto done;
        }
    for (size_t i = 0; i < t.nresults; i++)
        if (t.results[i] == WEFT_V128) {
            trap = trap_msg(store, "wasm_func_call: a v128 result cannot cross the C API");
            goto done;
        }
    weft_error err;
    if (weft_call(f, vals, nargs, out, nresults, &err) != WEFT_OK) {
        trap = capi_trap_from_error(store, &err, NULL);
        goto done;
    }
    for (size_t i = 0; i < nresults; i++)
        if (!capi_val_from_weft(store, &out[i], &results->data[i])) {
            for (size_t j = 0; j < i; j++)
                wasm_val_delete(&results->data[j]);
            trap = trap_msg(store, "out of memory");
            goto done;
        }
done:
    if (vals != small)
        free(vals);
    return trap;
}

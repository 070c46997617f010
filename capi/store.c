/*
 * store.c -- the runtime environment of wasm.h: wasm_config_t (weft's
 * defaults), wasm_engine_t (a weft_engine, shared by any number of stores
 * and threads) and wasm_store_t, which owns every object made in it and
 * ends them all when it is deleted (capi.h says why).
 */
#include <stdlib.h>

#include "capi/capi.h"

WASM_API_EXTERN wasm_config_t *wasm_config_new(void)
{
    wasm_config_t *c = malloc(sizeof *c);
    if (c)
        weft_config_init(&c->config);
    return c;
}

WASM_API_EXTERN void wasm_config_delete(wasm_config_t *c) { free(c); }

WASM_API_EXTERN wasm_engine_t *wasm_engine_new_with_config(wasm_config_t *config)
{
    wasm_engine_t *e = malloc(sizeof *e);
    if (e && weft_engine_new(config ? &config->config : NULL, &e->engine, NULL) != WEFT_OK) {
        free(e);
        e = NULL;
    }
    wasm_config_delete(config);
    return e;
}

WASM_API_EXTERN wasm_engine_t *wasm_engine_new(void) { return wasm_engine_new_with_config(NULL); }

WASM_API_EXTERN void wasm_engine_delete(wasm_engine_t *e)
{
    if (!e)
        return;
    weft_engine_free(e->engine);
    free(e);
}

WASM_API_EXTERN wasm_store_t *wasm_store_new(wasm_engine_t *engine)
{
    if (!engine)
        return NULL;
    wasm_store_t *s = calloc(1, sizeof *s);
    if (s)
        s->engine = engine;
    return s;
}

bool capi_store_own(wasm_store_t *s, capi_kind kind, void *object)
{
    if (s->nowned == s->owned_cap) {
        size_t cap = s->owned_cap ? s->owned_cap * 2 : 16;
        capi_owned *o = realloc(s->owned, cap * sizeof *o);
        if (!o)
            return false;
        s->owned = o;
        s->owned_cap = cap;
    }
    s->owned[s->nowned++] = (capi_owned){kind, object};
    return true;
}

wasm_instance_t *capi_store_instance(const wasm_store_t *s, const weft_instance *instance)
{
    for (size_t i = 0; instance && i < s->nowned; i++) {
        if (s->owned[i].kind != CAPI_INSTANCE)
            continue;
        wasm_instance_t *h = s->owned[i].object;
        if (h->instance == instance)
            return h;
    }
    return NULL;
}

/* Newest first: an instance goes before the objects it imported (it holds
 * references of its own on them anyway). */
WASM_API_EXTERN void wasm_store_delete(wasm_store_t *s)
{
    if (!s)
        return;
    if (s->pending_trap)
        wasm_trap_delete(s->pending_trap);
    for (size_t i = s->nowned; i-- > 0;) {
        void *o = s->owned[i].object;
        switch (s->owned[i].kind) {
        case CAPI_FUNC: weft_func_free(o); break;
        case CAPI_GLOBAL: weft_global_free(o); break;
        case CAPI_TABLE: weft_table_free(o); break;
        case CAPI_MEMORY: weft_memory_free(o); break;
        case CAPI_INSTANCE: {
            wasm_instance_t *h = o;
            weft_instance_free(h->instance);
            capi_handle_free(&h->ref);
            break;
        }
        default: { /* a capi_box */
            capi_box *box = o;
            if (box->kind == CAPI_TRAP)
                wasm_trap_delete(box->object);
            free(box);
            break;
        }
        }
    }
    free(s->owned);
    free(s);
}

/*
 * engine.c -- weft_engine: its configuration defaults and the allocator every
 * other module allocates through.
 */
#include <stdlib.h>

#include "engine/engine.h"

static void *libc_realloc(void *user, void *ptr, size_t size)
{
    (void)user;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

WEFT_API void weft_config_init(weft_config *c)
{
    memset(c, 0, sizeof *c);
    c->bounds = WEFT_BOUNDS_GUARD;
    c->max_call_depth = 20000;
    c->value_stack_bytes = (size_t)8 << 20;
    c->realloc_fn = libc_realloc;
}

WEFT_API weft_status weft_engine_new(const weft_config *config, weft_engine **out, weft_error *err)
{
    weft_config c;
    if (config)
        c = *config;
    else
        weft_config_init(&c);
    if (!c.realloc_fn)
        c.realloc_fn = libc_realloc;
    if (c.max_call_depth == 0 || c.value_stack_bytes < 4096)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                       "max_call_depth must be > 0 and value_stack_bytes >= 4096");
    weft_engine *e = c.realloc_fn(c.realloc_user, NULL, sizeof *e);
    if (!e)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
    e->config = c;
    *out = e;
    return WEFT_OK;
}

WEFT_API void weft_engine_free(weft_engine *e)
{
    if (e)
        e->config.realloc_fn(e->config.realloc_user, e, 0);
}

void *eng_realloc(const weft_engine *e, void *ptr, size_t size)
{
    return e->config.realloc_fn(e->config.realloc_user, ptr, size);
}

void *eng_calloc(const weft_engine *e, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = eng_alloc(e, n * size);
    if (p)
        memset(p, 0, (n * size) != 0 ? n * size : 1);
    return p;
}

const weft_config *eng_config(const weft_engine *e) { return &e->config; }

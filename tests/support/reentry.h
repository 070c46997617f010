/*
 * reentry.h -- for cmocka tests of host <-> wasm entries: an instance of
 * tests/wat/host_reentry.wat whose import "env" "host" (i32) -> i32 is the
 * test's own host function, with its exports "load" (an i32.load of its
 * argument), "down" (calls the host with its argument + 1) and "memory".
 *
 * reentry_open asserts with cmocka: call it from the test's own thread.
 */
#ifndef WEFT_TEST_REENTRY_H
#define WEFT_TEST_REENTRY_H

#include "support/wasm_file.h"

typedef struct reentry {
    weft_engine *engine;
    weft_module *module;
    weft_func *host;
    weft_instance *inst;
    weft_func *load, *down;
    weft_memory *memory; /* exported: one page */
} reentry;

/* `config` NULL: the defaults (guard mode). */
static inline void reentry_open(reentry *r, const weft_config *config, weft_host_fn fn, void *env)
{
    weft_error err;
    memset(r, 0, sizeof *r);
    if (weft_engine_new(config, &r->engine, &err) != WEFT_OK)
        fail_msg("engine: %s", err.message);
    r->module = test_module_load(r->engine, "host_reentry");
    static const weft_valkind i32[1] = {WEFT_I32};
    weft_functype t = {.params = i32, .nparams = 1, .results = i32, .nresults = 1};
    assert_int_equal(weft_func_new(r->engine, &t, fn, env, NULL, &r->host, &err), WEFT_OK);
    weft_extern imp = {.kind = WEFT_EXTERN_FUNC, .of.func = r->host};
    if (weft_instance_new(r->module, &imp, 1, &r->inst, &err) != WEFT_OK)
        fail_msg("instance: %s", err.message);
    weft_extern ext;
    assert_true(weft_instance_export(r->inst, "load", 4, &ext));
    r->load = ext.of.func;
    assert_true(weft_instance_export(r->inst, "down", 4, &ext));
    r->down = ext.of.func;
    assert_true(weft_instance_export(r->inst, "memory", 6, &ext));
    r->memory = ext.of.memory;
}

static inline void reentry_close(reentry *r)
{
    weft_instance_free(r->inst);
    weft_func_free(r->host);
    weft_module_free(r->module);
    weft_engine_free(r->engine);
}

/* Calls `f` (i32) -> i32; *result gets its result when it returns. */
static inline weft_status reentry_call(weft_func *f, int32_t arg, int32_t *result, weft_error *err)
{
    weft_val a = {.kind = WEFT_I32, .of.i32 = arg}, r = {.kind = WEFT_I32};
    weft_status st = weft_call(f, &a, 1, &r, 1, err);
    if (st == WEFT_OK && result)
        *result = r.of.i32;
    return st;
}

#endif /* WEFT_TEST_REENTRY_H */

/*
 * code_probe.h -- for cmocka tests of the translator's fused forms
 * (engine/code.h): an instance of one compiled test module, calls whose only
 * allowed trap is an out-of-bounds access, and a count of the instructions of
 * a function that run a given internal op (to check a form is really used).
 */
#ifndef WEFT_TEST_CODE_PROBE_H
#define WEFT_TEST_CODE_PROBE_H

#include "engine/code.h"
#include "support/wasm_file.h"

typedef struct fixture {
    weft_engine *engine;
    weft_module *module;
    weft_instance *inst;
} fixture;

/* tests/wat/<name>.wat instantiated in an engine of `bounds`. */
static inline void fixture_open(fixture *fx, const char *name, weft_bounds_mode bounds)
{
    weft_error err;
    fx->engine = test_engine_new(bounds);
    fx->module = test_module_load(fx->engine, name);
    assert_int_equal(weft_instance_new(fx->module, NULL, 0, &fx->inst, &err), WEFT_OK);
}

static inline void fixture_close(fixture *fx)
{
    weft_instance_free(fx->inst);
    weft_module_free(fx->module);
    weft_engine_free(fx->engine);
}

/* Calls export `name` with n arguments and nr (0 or 1) results into *out; a
 * trap must be an out-of-bounds access. */
static inline weft_status fixture_try_call(fixture *fx, const char *name, const weft_val *args,
                                           size_t n, weft_val *out, size_t nr)
{
    weft_func *f = test_export_func(fx->inst, name);
    weft_error err;
    memset(out, 0, sizeof *out);
    weft_status st = weft_call(f, args, n, out, nr, &err);
    if (st == WEFT_TRAP)
        assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
    return st;
}

/* Calls export `name` with n arguments; returns its one result. */
static inline weft_val fixture_call(fixture *fx, const char *name, const weft_val *args, size_t n)
{
    weft_val out;
    assert_int_equal(fixture_try_call(fx, name, args, n, &out, 1), WEFT_OK);
    return out;
}

/* The function-space index of the module's export `name` (a function). */
static inline uint32_t fixture_func_index(fixture *fx, const char *name)
{
    for (uint32_t i = 0; i < fx->module->nexports; i++) {
        const mod_export *x = &fx->module->exports[i];
        if (x->kind == EXT_FUNC && strcmp(x->name.data, name) == 0)
            return x->index;
    }
    fail_msg("no exported function %s", name);
    return 0;
}

/* How many instructions of function `func` (index in the function space)
 * run `op` in the interpreter's translation, whichever tier runs it. */
static inline uint32_t fixture_count_op(fixture *fx, uint32_t func, cmp_op op)
{
    cmp_code *code;
    weft_error err;
    assert_int_equal(cmp_translate(fx->module, func, &code, &err), WEFT_OK);
    const void *const *h = interp_handlers();
    uint32_t n = 0;
    for (uint32_t i = 0; i < code->ncells; i++)
        n += h ? code->cells[i].h == h[op] : code->cells[i].op == (uintptr_t)op;
    cmp_free(fx->engine, code);
    return n;
}

#endif /* WEFT_TEST_CODE_PROBE_H */

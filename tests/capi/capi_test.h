/*
 * capi_test.h -- for the cmocka tests of the standard C API (include/wasm.h):
 * an engine and a store per test, the compiled test modules of tests/wat
 * loaded through wasm.h alone, and lookups of exports by name.
 */
#ifndef WEFT_TEST_CAPI_H
#define WEFT_TEST_CAPI_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wasm.h"

#ifndef WEFT_TEST_WAT_DIR
#error "WEFT_TEST_WAT_DIR must name the folder of the compiled test modules"
#endif

/* tests/wat/<name>.wat compiled, as bytes; false if it cannot be read. */
static inline bool capi_read(const char *name, wasm_byte_vec_t *out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.wasm", WEFT_TEST_WAT_DIR, name);
    wasm_byte_vec_new_empty(out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    wasm_byte_vec_new_uninitialized(out, n > 0 ? (size_t)n : 0);
    bool ok = n > 0 && fread(out->data, 1, out->size, f) == out->size;
    fclose(f);
    return ok;
}

static inline wasm_module_t *capi_module(wasm_store_t *store, const char *name)
{
    wasm_byte_vec_t bytes;
    assert_true(capi_read(name, &bytes));
    wasm_module_t *m = wasm_module_new(store, &bytes);
    wasm_byte_vec_delete(&bytes);
    assert_non_null(m);
    return m;
}

/* Export `name` of an instance of module `m` (its exports in `exports`). */
static inline wasm_extern_t *capi_export(const wasm_module_t *m, const wasm_extern_vec_t *exports,
                                         const char *name)
{
    wasm_exporttype_vec_t types;
    wasm_module_exports(m, &types);
    wasm_extern_t *found = NULL;
    for (size_t i = 0; i < types.size; i++) {
        const wasm_name_t *n = wasm_exporttype_name(types.data[i]);
        if (n->size == strlen(name) && memcmp(n->data, name, n->size) == 0)
            found = exports->data[i];
    }
    wasm_exporttype_vec_delete(&types);
    assert_non_null(found);
    return found;
}

/* A trap's message as a C string (it is NUL-terminated); into buf. */
static inline const char *capi_trap_text(const wasm_trap_t *trap, char *buf, size_t size)
{
    wasm_message_t msg;
    wasm_trap_message(trap, &msg);
    assert_true(msg.size > 0);
    assert_int_equal(msg.data[msg.size - 1], '\0');
    snprintf(buf, size, "%s", msg.data);
    wasm_byte_vec_delete(&msg);
    return buf;
}

/* One instance of tests/wat/capi_values.wat in a store of its own, with its
 * exports: the fixture of the function and extern tests (cmocka setup and
 * teardown). */
typedef struct capi_env {
    wasm_engine_t *engine;
    wasm_store_t *store;
    wasm_module_t *module;
    wasm_instance_t *instance;
    wasm_extern_vec_t exports;
} capi_env;

static inline int capi_open_values(void **state)
{
    capi_env *e = calloc(1, sizeof *e);
    e->engine = wasm_engine_new();
    e->store = wasm_store_new(e->engine);
    e->module = capi_module(e->store, "capi_values");
    e->instance = wasm_instance_new(e->store, e->module, NULL, NULL);
    wasm_instance_exports(e->instance, &e->exports);
    *state = e;
    return e->instance ? 0 : -1;
}

static inline int capi_close_values(void **state)
{
    capi_env *e = *state;
    wasm_extern_vec_delete(&e->exports);
    wasm_instance_delete(e->instance);
    wasm_module_delete(e->module);
    wasm_store_delete(e->store);
    wasm_engine_delete(e->engine);
    free(e);
    return 0;
}

#endif /* WEFT_TEST_CAPI_H */

/*
 * wasm_file.h -- for cmocka tests that run the compiled test modules:
 * tests/wat/NAME.wat, built by tests/CMakeLists.txt into WEFT_TEST_WAT_DIR.
 *
 * One copy of the scaffolding every such test needs (read a file, make an
 * engine with a bounds mode, load a module by name, find an exported
 * function, make a program).  The helpers that can fail fail the test with
 * cmocka, so call them from the test's own thread only; test_find_func() does
 * not assert and suits worker threads.
 */
#ifndef WEFT_TEST_WASM_FILE_H
#define WEFT_TEST_WASM_FILE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "weft.h"

#ifndef WEFT_TEST_WAT_DIR
#error "WEFT_TEST_WAT_DIR must name the folder of the compiled test modules"
#endif

/* The whole file at `path` in a malloc'ed buffer that the caller frees, its
 * length in *size; NULL if it cannot be read or is empty. */
static inline uint8_t *test_read_file(const char *path, size_t *size)
{
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) != NULL &&
            fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *size = n > 0 ? (size_t)n : 0;
    }
    fclose(f);
    return buf;
}

/* An engine with the default configuration but `bounds`. */
static inline weft_engine *test_engine_new(weft_bounds_mode bounds)
{
    weft_config c;
    weft_config_init(&c);
    c.bounds = bounds;
    weft_engine *e = NULL;
    weft_error err;
    assert_int_equal(weft_engine_new(&c, &e, &err), WEFT_OK);
    return e;
}

/* tests/wat/<name>.wat, decoded and validated by engine `e`. */
static inline weft_module *test_module_load(weft_engine *e, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", WEFT_TEST_WAT_DIR, name);
    size_t size = 0;
    uint8_t *bytes = test_read_file(path, &size);
    if (!bytes)
        fail_msg("cannot read %s", path);
    weft_module *m = NULL;
    weft_error err;
    weft_status st = weft_module_new(e, bytes, size, &m, &err);
    free(bytes); /* the module keeps its own copy */
    if (st != WEFT_OK)
        fail_msg("%s: %s", name, err.message);
    return m;
}

/* Export `name` of `inst` if it is a function, else NULL.  Does not assert. */
static inline weft_func *test_find_func(weft_instance *inst, const char *name)
{
    weft_extern ext;
    if (!weft_instance_export(inst, name, strlen(name), &ext) || ext.kind != WEFT_EXTERN_FUNC)
        return NULL;
    return ext.of.func;
}

/* Export `name` of `inst`, which must be a function. */
static inline weft_func *test_export_func(weft_instance *inst, const char *name)
{
    weft_extern ext;
    assert_true(weft_instance_export(inst, name, strlen(name), &ext));
    assert_int_equal(ext.kind, WEFT_EXTERN_FUNC);
    return ext.of.func;
}

/* A wasi-threads program of `m` with the default configuration but
 * `max_threads` (0: the default limit). */
static inline weft_program *test_program_new(weft_module *m, uint32_t max_threads)
{
    weft_program_config cfg;
    weft_program_config_init(&cfg);
    cfg.max_threads = max_threads;
    weft_program *p = NULL;
    weft_error err;
    if (weft_program_new(m, &cfg, &p, &err) != WEFT_OK)
        fail_msg("weft_program_new: %s", err.message);
    return p;
}

#endif /* WEFT_TEST_WASM_FILE_H */

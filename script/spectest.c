/*
 * spectest.c -- the `spectest` host module of the spec scripts (see
 * spectest.h).  The exports and their types are the ones the reference
 * interpreter's spectest module has; print functions print nothing, because
 * the runner's output is its verdicts.
 */
#include "spectest.h"

#include <stdlib.h>
#include <string.h>

typedef enum st_export {
    ST_PRINT,
    ST_PRINT_I32,
    ST_PRINT_I64,
    ST_PRINT_F32,
    ST_PRINT_F64,
    ST_PRINT_I32_F32,
    ST_PRINT_F64_F64,
    ST_GLOBAL_I32,
    ST_GLOBAL_I64,
    ST_GLOBAL_F32,
    ST_GLOBAL_F64,
    ST_TABLE,
    ST_MEMORY,
    ST_SHARED_MEMORY,
    ST_COUNT
} st_export;

static const char *const st_names[ST_COUNT] = {
    [ST_PRINT] = "print",
    [ST_PRINT_I32] = "print_i32",
    [ST_PRINT_I64] = "print_i64",
    [ST_PRINT_F32] = "print_f32",
    [ST_PRINT_F64] = "print_f64",
    [ST_PRINT_I32_F32] = "print_i32_f32",
    [ST_PRINT_F64_F64] = "print_f64_f64",
    [ST_GLOBAL_I32] = "global_i32",
    [ST_GLOBAL_I64] = "global_i64",
    [ST_GLOBAL_F32] = "global_f32",
    [ST_GLOBAL_F64] = "global_f64",
    [ST_TABLE] = "table",
    [ST_MEMORY] = "memory",
    [ST_SHARED_MEMORY] = "shared_memory",
};

/* Parameter lists of the print functions (they return nothing). */
static const weft_valkind st_i32[] = {WEFT_I32};
static const weft_valkind st_i64[] = {WEFT_I64};
static const weft_valkind st_f32[] = {WEFT_F32};
static const weft_valkind st_f64[] = {WEFT_F64};
static const weft_valkind st_i32_f32[] = {WEFT_I32, WEFT_F32};
static const weft_valkind st_f64_f64[] = {WEFT_F64, WEFT_F64};

struct spectest {
    weft_engine *engine;
    bool made[ST_COUNT];
    weft_extern ext[ST_COUNT];
};

spectest *spectest_new(weft_engine *engine)
{
    spectest *st = calloc(1, sizeof *st);
    if (st)
        st->engine = engine;
    return st;
}

void spectest_free(spectest *st)
{
    if (!st)
        return;
    for (int i = 0; i < ST_COUNT; i++) {
        if (!st->made[i])
            continue;
        switch (st->ext[i].kind) {
        case WEFT_EXTERN_FUNC: weft_func_free(st->ext[i].of.func); break;
        case WEFT_EXTERN_TABLE: weft_table_free(st->ext[i].of.table); break;
        case WEFT_EXTERN_MEMORY: weft_memory_free(st->ext[i].of.memory); break;
        case WEFT_EXTERN_GLOBAL: weft_global_free(st->ext[i].of.global); break;
        }
    }
    free(st);
}

static weft_status st_print(void *env, weft_caller *caller, const weft_val *args,
                            weft_val *results, weft_error *err)
{
    (void)env, (void)caller, (void)args, (void)results, (void)err;
    return WEFT_OK;
}

static weft_status st_make_func(spectest *st, const weft_valkind *params, uint32_t nparams,
                                weft_extern *out, weft_error *err)
{
    weft_functype type = {params, nparams, NULL, 0};
    out->kind = WEFT_EXTERN_FUNC;
    return weft_func_new(st->engine, &type, st_print, NULL, NULL, &out->of.func, err);
}

static weft_status st_make_global(spectest *st, weft_valkind kind, weft_extern *out,
                                  weft_error *err)
{
    weft_val v = {.kind = kind};
    switch (kind) {
    case WEFT_I32: v.of.i32 = 666; break;
    case WEFT_I64: v.of.i64 = 666; break;
    case WEFT_F32: v.of.f32 = 666.6f; break;
    default: v.of.f64 = 666.6; break;
    }
    out->kind = WEFT_EXTERN_GLOBAL;
    return weft_global_new(st->engine, kind, false, &v, &out->of.global, err);
}

static weft_status st_make_memory(spectest *st, bool shared, weft_extern *out, weft_error *err)
{
    weft_limits limits = {.min = 1, .max = 2, .has_max = true, .shared = shared};
    out->kind = WEFT_EXTERN_MEMORY;
    return weft_memory_new(st->engine, &limits, &out->of.memory, err);
}

static weft_status st_make(spectest *st, st_export which, weft_extern *out, weft_error *err)
{
    switch (which) {
    case ST_PRINT: return st_make_func(st, NULL, 0, out, err);
    case ST_PRINT_I32: return st_make_func(st, st_i32, 1, out, err);
    case ST_PRINT_I64: return st_make_func(st, st_i64, 1, out, err);
    case ST_PRINT_F32: return st_make_func(st, st_f32, 1, out, err);
    case ST_PRINT_F64: return st_make_func(st, st_f64, 1, out, err);
    case ST_PRINT_I32_F32: return st_make_func(st, st_i32_f32, 2, out, err);
    case ST_PRINT_F64_F64: return st_make_func(st, st_f64_f64, 2, out, err);
    case ST_GLOBAL_I32: return st_make_global(st, WEFT_I32, out, err);
    case ST_GLOBAL_I64: return st_make_global(st, WEFT_I64, out, err);
    case ST_GLOBAL_F32: return st_make_global(st, WEFT_F32, out, err);
    case ST_GLOBAL_F64: return st_make_global(st, WEFT_F64, out, err);
    case ST_TABLE: {
        weft_limits limits = {.min = 10, .max = 20, .has_max = true};
        weft_val null = {.kind = WEFT_FUNCREF};
        out->kind = WEFT_EXTERN_TABLE;
        return weft_table_new(st->engine, WEFT_FUNCREF, &limits, &null, &out->of.table, err);
    }
    case ST_MEMORY: return st_make_memory(st, false, out, err);
    case ST_SHARED_MEMORY: return st_make_memory(st, true, out, err);
    case ST_COUNT: break;
    }
    return weft_error_set(err, WEFT_E_BAD_ARGUMENT, "no spectest export %d", (int)which);
}

weft_status spectest_lookup(spectest *st, const char *name, size_t len, bool *found,
                            weft_extern *out, weft_error *err)
{
    *found = false;
    for (int i = 0; i < ST_COUNT; i++) {
        if (strlen(st_names[i]) != len || memcmp(st_names[i], name, len) != 0)
            continue;
        if (!st->made[i]) {
            weft_extern ext;
            weft_status s = st_make(st, (st_export)i, &ext, err);
            if (s != WEFT_OK)
                return s;
            st->ext[i] = ext;
            st->made[i] = true;
        }
        *found = true;
        *out = st->ext[i];
        return WEFT_OK;
    }
    return WEFT_OK;
}

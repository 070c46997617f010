/*
 * test_instance.c -- instantiation and the objects around it: import matching
 * (each kind of incompatible import), segment order and partial effects of a
 * trapping segment, the start function, host functions, the table and global
 * API, weft_call's argument checks, traps, funcref identity, and freeing in
 * the orders weft.h allows.
 *
 * The modules are WAT sources (in comments) compiled with wat2wasm.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "support/signals.h"
#include "support/wasm_file.h"

#include "threads/thread.h"
#include "weft.h"

/*
 * (module
 *   (import "env" "f" (func $f (param i32) (result i32)))
 *   (import "env" "t" (table 2 10 funcref))
 *   (import "env" "m" (memory 1 2))
 *   (import "env" "g" (global i32))
 *   (import "env" "gm" (global (mut i64)))
 *   (func (export "call_f") (param i32) (result i32) (call $f (local.get 0)))
 *   (export "f" (func $f))
 *   (export "t" (table 0))
 *   (export "m" (memory 0))
 *   (export "g" (global 0)))
 */
static const uint8_t link_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x02, 0x31, 0x05, 0x03, 0x65, 0x6e, 0x76, 0x01,
    0x66, 0x00, 0x00, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x74, 0x01, 0x70, 0x01,
    0x02, 0x0a, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x6d, 0x02, 0x01, 0x01, 0x02,
    0x03, 0x65, 0x6e, 0x76, 0x01, 0x67, 0x03, 0x7f, 0x00, 0x03, 0x65, 0x6e,
    0x76, 0x02, 0x67, 0x6d, 0x03, 0x7e, 0x01, 0x03, 0x02, 0x01, 0x00, 0x07,
    0x1a, 0x05, 0x06, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x66, 0x00, 0x01, 0x01,
    0x66, 0x00, 0x00, 0x01, 0x74, 0x01, 0x00, 0x01, 0x6d, 0x02, 0x00, 0x01,
    0x67, 0x03, 0x00, 0x0a, 0x08, 0x01, 0x06, 0x00, 0x20, 0x00, 0x10, 0x00,
    0x0b,
};

/*
 * (module
 *   (import "env" "t" (table 4 funcref))
 *   (import "env" "m" (memory 1))
 *   (func $a (result i32) (i32.const 42)) (func $b (result i32) (i32.const 7))
 *   (elem (i32.const 0) $a)
 *   (elem (i32.const 3) $b $b)
 *   (data (i32.const 0) "x"))
 */
static const uint8_t elem_trap_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60,
    0x00, 0x01, 0x7f, 0x02, 0x14, 0x02, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x74,
    0x01, 0x70, 0x00, 0x04, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x6d, 0x02, 0x00,
    0x01, 0x03, 0x03, 0x02, 0x00, 0x00, 0x09, 0x0e, 0x02, 0x00, 0x41, 0x00,
    0x0b, 0x01, 0x00, 0x00, 0x41, 0x03, 0x0b, 0x02, 0x01, 0x01, 0x0a, 0x0b,
    0x02, 0x04, 0x00, 0x41, 0x2a, 0x0b, 0x04, 0x00, 0x41, 0x07, 0x0b, 0x0b,
    0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x78,
};

/*
 * (module
 *   (import "env" "m" (memory 1))
 *   (data (i32.const 0) "ab")
 *   (data (i32.const 65535) "cd")
 *   (data (i32.const 10) "ef"))
 */
static const uint8_t data_trap_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x0a, 0x01, 0x03,
    0x65, 0x6e, 0x76, 0x01, 0x6d, 0x02, 0x00, 0x01, 0x0b, 0x18, 0x03, 0x00,
    0x41, 0x00, 0x0b, 0x02, 0x61, 0x62, 0x00, 0x41, 0xff, 0xff, 0x03, 0x0b,
    0x02, 0x63, 0x64, 0x00, 0x41, 0x0a, 0x0b, 0x02, 0x65, 0x66,
};

/*
 * (module
 *   (import "env" "tick" (func $tick))
 *   (start $tick))
 */
static const uint8_t start_host_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
    0x00, 0x00, 0x02, 0x0c, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x74, 0x69,
    0x63, 0x6b, 0x00, 0x00, 0x08, 0x01, 0x00,
};

/*
 * (module
 *   (import "env" "h" (func $h))
 *   (table (export "t") 3 funcref)
 *   (func $f (export "f"))
 *   (global (export "g") funcref (ref.func $f))
 *   (global (export "gh") funcref (ref.func $h))
 *   (export "h" (func $h))
 *   (elem (i32.const 0) $f)
 *   (elem (i32.const 1) funcref (ref.func $f) (ref.func $h)))
 */
static const uint8_t funcref_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
    0x00, 0x00, 0x02, 0x09, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x68, 0x00,
    0x00, 0x03, 0x02, 0x01, 0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x03, 0x06,
    0x0b, 0x02, 0x70, 0x00, 0xd2, 0x01, 0x0b, 0x70, 0x00, 0xd2, 0x00, 0x0b,
    0x07, 0x16, 0x05, 0x01, 0x74, 0x01, 0x00, 0x01, 0x66, 0x00, 0x01, 0x01,
    0x67, 0x03, 0x00, 0x02, 0x67, 0x68, 0x03, 0x01, 0x01, 0x68, 0x00, 0x00,
    0x09, 0x0e, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x01, 0x00, 0x41, 0x01,
    0x0b, 0x02, 0x01, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
};

/*
 * (module
 *   (import "env" "base" (global i32))
 *   (global (export "g2") i32 (global.get 0))
 *   (global (export "g3") (mut f64) (f64.const 2.5))
 *   (memory (export "m") 1)
 *   (data (global.get 0) "z"))
 */
static const uint8_t global_init_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x0d, 0x01, 0x03,
    0x65, 0x6e, 0x76, 0x04, 0x62, 0x61, 0x73, 0x65, 0x03, 0x7f, 0x00, 0x05,
    0x03, 0x01, 0x00, 0x01, 0x06, 0x12, 0x02, 0x7f, 0x00, 0x23, 0x00, 0x0b,
    0x7c, 0x01, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x40, 0x0b,
    0x07, 0x0f, 0x03, 0x02, 0x67, 0x32, 0x03, 0x01, 0x02, 0x67, 0x33, 0x03,
    0x02, 0x01, 0x6d, 0x02, 0x00, 0x0b, 0x07, 0x01, 0x00, 0x23, 0x00, 0x0b,
    0x01, 0x7a,
};

/*
 * (module
 *   (import "env" "add" (func $add (param i32 i32) (result i32)))
 *   (memory (export "mem") 1)
 *   (global $count (export "count") (mut i32) (i32.const 0))
 *   (func $start (global.set $count (i32.add (global.get $count) (i32.const 1))))
 *   (start $start)
 *   (func (export "sum3") (param i32 i32 i32) (result i32)
 *     (call $add (call $add (local.get 0) (local.get 1)) (local.get 2)))
 *   (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
 *   (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
 *   (func (export "mix") (param i64 f32 f64) (result f64 i64 f32)
 *     (local.get 2) (local.get 0) (local.get 1)))
 */
static const uint8_t calls_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1f, 0x05, 0x60,
    0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x60, 0x03, 0x7f, 0x7f,
    0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x03, 0x7e, 0x7d,
    0x7c, 0x03, 0x7c, 0x7e, 0x7d, 0x02, 0x0b, 0x01, 0x03, 0x65, 0x6e, 0x76,
    0x03, 0x61, 0x64, 0x64, 0x00, 0x00, 0x03, 0x06, 0x05, 0x01, 0x02, 0x00,
    0x03, 0x04, 0x05, 0x03, 0x01, 0x00, 0x01, 0x06, 0x06, 0x01, 0x7f, 0x01,
    0x41, 0x00, 0x0b, 0x07, 0x29, 0x06, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00,
    0x05, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x03, 0x00, 0x04, 0x73, 0x75, 0x6d,
    0x33, 0x00, 0x02, 0x03, 0x64, 0x69, 0x76, 0x00, 0x03, 0x04, 0x6c, 0x6f,
    0x61, 0x64, 0x00, 0x04, 0x03, 0x6d, 0x69, 0x78, 0x00, 0x05, 0x08, 0x01,
    0x01, 0x0a, 0x31, 0x05, 0x09, 0x00, 0x23, 0x00, 0x41, 0x01, 0x6a, 0x24,
    0x00, 0x0b, 0x0c, 0x00, 0x20, 0x00, 0x20, 0x01, 0x10, 0x00, 0x20, 0x02,
    0x10, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6d, 0x0b, 0x07,
    0x00, 0x20, 0x00, 0x28, 0x02, 0x00, 0x0b, 0x08, 0x00, 0x20, 0x02, 0x20,
    0x00, 0x20, 0x01, 0x0b,
};

/*
 * (module
 *   (import "env" "m" (memory 1))
 *   (data (i32.const 5) "s")
 *   (func $boom (unreachable))
 *   (start $boom))
 */
static const uint8_t start_trap_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
    0x00, 0x00, 0x02, 0x0a, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x6d, 0x02,
    0x00, 0x01, 0x03, 0x02, 0x01, 0x00, 0x08, 0x01, 0x00, 0x0a, 0x05, 0x01,
    0x03, 0x00, 0x00, 0x0b, 0x0b, 0x07, 0x01, 0x00, 0x41, 0x05, 0x0b, 0x01,
    0x73,
};

/* ---- helpers ---------------------------------------------------------------- */

#define LOAD(e, name) load((e), name##_wasm, sizeof name##_wasm)

static weft_module *load(weft_engine *e, const uint8_t *bytes, size_t size)
{
    weft_module *m = NULL;
    weft_error err;
    weft_status st = weft_module_new(e, bytes, size, &m, &err);
    if (st != WEFT_OK)
        fail_msg("module: %s", err.message);
    return m;
}

static weft_extern ext_func(weft_func *f) { return (weft_extern){.kind = WEFT_EXTERN_FUNC, .of.func = f}; }
static weft_extern ext_table(weft_table *t) { return (weft_extern){.kind = WEFT_EXTERN_TABLE, .of.table = t}; }
static weft_extern ext_memory(weft_memory *m) { return (weft_extern){.kind = WEFT_EXTERN_MEMORY, .of.memory = m}; }
static weft_extern ext_global(weft_global *g) { return (weft_extern){.kind = WEFT_EXTERN_GLOBAL, .of.global = g}; }

static weft_extern export_of(weft_instance *inst, const char *name, weft_extern_kind kind)
{
    weft_extern x;
    memset(&x, 0, sizeof x);
    assert_true(weft_instance_export(inst, name, strlen(name), &x));
    assert_int_equal(x.kind, kind);
    return x;
}

static weft_val i32v(int32_t v) { return (weft_val){.kind = WEFT_I32, .of.i32 = v}; }

static weft_table *table_of(weft_engine *e, weft_valkind elem, uint64_t min, bool has_max,
                            uint64_t max)
{
    weft_limits l = {.min = min, .max = max, .has_max = has_max};
    weft_table *t = NULL;
    assert_int_equal(weft_table_new(e, elem, &l, NULL, &t, NULL), WEFT_OK);
    return t;
}

static weft_memory *memory_of(weft_engine *e, uint64_t min, bool has_max, uint64_t max,
                              bool shared)
{
    weft_limits l = {.min = min, .max = max, .has_max = has_max, .shared = shared};
    weft_memory *m = NULL;
    weft_error err;
    if (weft_memory_new(e, &l, &m, &err) != WEFT_OK)
        fail_msg("memory: %s", err.message);
    return m;
}

static weft_global *global_of(weft_engine *e, weft_valkind kind, bool mut, int64_t v)
{
    weft_val init;
    memset(&init, 0, sizeof init);
    init.kind = kind;
    if (kind == WEFT_I32)
        init.of.i32 = (int32_t)v;
    else if (kind == WEFT_I64)
        init.of.i64 = v;
    weft_global *g = NULL;
    assert_int_equal(weft_global_new(e, kind, mut, &init, &g, NULL), WEFT_OK);
    return g;
}

/* ---- host functions ------------------------------------------------------------ */

static weft_status host_double(void *env, weft_caller *caller, const weft_val *args,
                               weft_val *results, weft_error *err)
{
    (void)env, (void)caller, (void)err;
    results[0].of.i32 = args[0].of.i32 * 2;
    return WEFT_OK;
}

static weft_status host_tick(void *env, weft_caller *caller, const weft_val *args,
                             weft_val *results, weft_error *err)
{
    (void)caller, (void)args, (void)results, (void)err;
    (*(int *)env)++;
    return WEFT_OK;
}

static weft_status host_trap(void *env, weft_caller *caller, const weft_val *args,
                             weft_val *results, weft_error *err)
{
    (void)env, (void)caller, (void)args, (void)results;
    return weft_error_set(err, WEFT_E_HOST_TRAP, "boom");
}

/* Adds, and leaves the sum at address 0 of the caller's memory 0. */
static weft_status host_add(void *env, weft_caller *caller, const weft_val *args,
                            weft_val *results, weft_error *err)
{
    (void)err;
    (*(int *)env)++;
    int32_t sum = args[0].of.i32 + args[1].of.i32;
    weft_memory *mem = weft_caller_memory(caller, 0);
    if (mem)
        memcpy(weft_memory_data(mem), &sum, 4);
    results[0].of.i32 = sum;
    return WEFT_OK;
}

static void count_finalizer(void *env) { (*(int *)env) += 100; }

static const weft_valkind k_i32[] = {WEFT_I32, WEFT_I32};
static const weft_valkind k_i64[] = {WEFT_I64};

static weft_func *host_of(weft_engine *e, const weft_valkind *params, uint32_t np,
                          const weft_valkind *results, uint32_t nr, weft_host_fn fn, void *env)
{
    weft_functype t = {.params = params, .nparams = np, .results = results, .nresults = nr};
    weft_func *f = NULL;
    assert_int_equal(weft_func_new(e, &t, fn, env, NULL, &f, NULL), WEFT_OK);
    return f;
}

/* ---- linking ----------------------------------------------------------------------- */

typedef struct link_env {
    weft_func *f;
    weft_table *t;
    weft_memory *m;
    weft_global *g, *gm;
    weft_extern ext[5];
} link_env;

static void link_env_init(weft_engine *e, link_env *le)
{
    le->f = host_of(e, k_i32, 1, k_i32, 1, host_double, NULL);
    le->t = table_of(e, WEFT_FUNCREF, 2, true, 10);
    le->m = memory_of(e, 1, true, 2, false);
    le->g = global_of(e, WEFT_I32, false, 7);
    le->gm = global_of(e, WEFT_I64, true, 8);
    le->ext[0] = ext_func(le->f);
    le->ext[1] = ext_table(le->t);
    le->ext[2] = ext_memory(le->m);
    le->ext[3] = ext_global(le->g);
    le->ext[4] = ext_global(le->gm);
}

static void link_env_free(link_env *le)
{
    weft_func_free(le->f);
    weft_table_free(le->t);
    weft_memory_free(le->m);
    weft_global_free(le->g);
    weft_global_free(le->gm);
}

static void test_link_ok(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = LOAD(e, link);
    link_env le;
    link_env_init(e, &le);
    weft_instance *inst = NULL;
    weft_error err;
    assert_int_equal(weft_instance_new(m, le.ext, 5, &inst, &err), WEFT_OK);
    assert_ptr_equal(export_of(inst, "f", WEFT_EXTERN_FUNC).of.func, le.f);
    assert_ptr_equal(export_of(inst, "t", WEFT_EXTERN_TABLE).of.table, le.t);
    assert_ptr_equal(export_of(inst, "m", WEFT_EXTERN_MEMORY).of.memory, le.m);
    assert_ptr_equal(export_of(inst, "g", WEFT_EXTERN_GLOBAL).of.global, le.g);
    weft_extern x;
    assert_false(weft_instance_export(inst, "nope", 4, &x));
    assert_false(weft_instance_export(inst, "call", 4, &x)); /* a prefix is not a name */

    /* Larger but compatible objects: size >= min, max <= the declared max. */
    weft_table *t2 = table_of(e, WEFT_FUNCREF, 5, true, 8);
    weft_memory *m2 = memory_of(e, 2, true, 2, false);
    weft_extern ext2[5] = {le.ext[0], ext_table(t2), ext_memory(m2), le.ext[3], le.ext[4]};
    weft_instance *inst2 = NULL;
    assert_int_equal(weft_instance_new(m, ext2, 5, &inst2, &err), WEFT_OK);
    /* A memory grown past the import's minimum satisfies it by its current size. */
    weft_memory *m3 = memory_of(e, 0, true, 2, false);
    ext2[2] = ext_memory(m3);
    weft_instance *inst3 = NULL;
    assert_int_equal(weft_instance_new(m, ext2, 5, &inst3, &err), WEFT_UNLINKABLE);
    uint64_t old;
    assert_int_equal(weft_memory_grow(m3, 1, &old, NULL), WEFT_OK);
    assert_int_equal(weft_instance_new(m, ext2, 5, &inst3, &err), WEFT_OK);

    weft_instance_free(inst3);
    weft_instance_free(inst2);
    weft_instance_free(inst);
    weft_table_free(t2);
    weft_memory_free(m2);
    weft_memory_free(m3);
    link_env_free(&le);
    weft_module_free(m);
    weft_engine_free(e);
}

static void expect_link_error(weft_module *m, const weft_extern *ext, size_t n, weft_code code,
                              const char *name)
{
    weft_instance *inst = NULL;
    weft_error err;
    weft_status st = weft_instance_new(m, ext, n, &inst, &err);
    assert_int_equal(st, WEFT_UNLINKABLE);
    assert_int_equal(err.status, WEFT_UNLINKABLE);
    assert_int_equal(err.code, code);
    assert_ptr_equal(inst, NULL);
    const char *text = weft_code_text(code);
    assert_memory_equal(err.message, text, strlen(text));
    if (!strstr(err.message, name))
        fail_msg("'%s' does not name %s", err.message, name);
}

static void test_link_incompatible(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = LOAD(e, link);
    link_env le;
    link_env_init(e, &le);

    weft_func *f_i64 = host_of(e, k_i64, 1, k_i32, 1, host_double, NULL);
    weft_func *f_nores = host_of(e, k_i32, 1, NULL, 0, host_double, NULL);
    weft_table *tables[] = {
        table_of(e, WEFT_FUNCREF, 1, true, 10),   /* smaller than min 2        */
        table_of(e, WEFT_FUNCREF, 2, false, 0),   /* no max, import has one    */
        table_of(e, WEFT_FUNCREF, 2, true, 11),   /* max larger than 10        */
        table_of(e, WEFT_EXTERNREF, 2, true, 10), /* element type differs      */
    };
    weft_memory *memories[] = {
        memory_of(e, 0, true, 2, false), /* smaller than min 1   */
        memory_of(e, 1, false, 0, false), /* no max              */
        memory_of(e, 1, true, 3, false), /* max larger than 2    */
        memory_of(e, 1, true, 2, true),  /* shared, import is not */
    };
    weft_global *g_i64 = global_of(e, WEFT_I64, false, 1);
    weft_global *g_mut = global_of(e, WEFT_I32, true, 1);
    weft_global *gm_const = global_of(e, WEFT_I64, false, 1);

    weft_extern ext[5];
#define WITH(i, x, name)                                                             \
    do {                                                                             \
        memcpy(ext, le.ext, sizeof ext);                                             \
        ext[i] = (x);                                                                \
        expect_link_error(m, ext, 5, WEFT_E_INCOMPATIBLE_IMPORT, name);              \
    } while (0)
    WITH(0, ext_func(f_i64), "env.f");
    WITH(0, ext_func(f_nores), "env.f");
    WITH(0, ext_global(le.g), "env.f"); /* wrong kind */
    for (size_t i = 0; i < 4; i++)
        WITH(1, ext_table(tables[i]), "env.t");
    WITH(1, ext_memory(le.m), "env.t");
    for (size_t i = 0; i < 4; i++)
        WITH(2, ext_memory(memories[i]), "env.m");
    WITH(3, ext_global(g_i64), "env.g");
    WITH(3, ext_global(g_mut), "env.g");
    WITH(4, ext_global(gm_const), "env.gm");
    WITH(4, ext_func(le.f), "env.gm");
#undef WITH

    /* Missing imports: too few, a NULL object, too many. */
    expect_link_error(m, le.ext, 4, WEFT_E_UNKNOWN_IMPORT, "env.gm");
    memcpy(ext, le.ext, sizeof ext);
    ext[1].of.table = NULL;
    expect_link_error(m, ext, 5, WEFT_E_UNKNOWN_IMPORT, "env.t");
    weft_extern six[6];
    memcpy(six, le.ext, sizeof le.ext);
    six[5] = le.ext[0];
    expect_link_error(m, six, 6, WEFT_E_UNKNOWN_IMPORT, "6 imports");

    weft_func_free(f_i64);
    weft_func_free(f_nores);
    for (size_t i = 0; i < 4; i++) {
        weft_table_free(tables[i]);
        weft_memory_free(memories[i]);
    }
    weft_global_free(g_i64);
    weft_global_free(g_mut);
    weft_global_free(gm_const);
    link_env_free(&le);
    weft_module_free(m);
    weft_engine_free(e);
}

/* ---- segments and the start function ------------------------------------------------- */

static void test_elem_segment_partial(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = LOAD(e, elem_trap);
    weft_table *t = table_of(e, WEFT_FUNCREF, 4, false, 0);
    weft_memory *mem = memory_of(e, 1, false, 0, false);
    weft_extern ext[2] = {ext_table(t), ext_memory(mem)};
    weft_instance *inst = NULL;
    weft_error err;
    assert_int_equal(weft_instance_new(m, ext, 2, &inst, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_OOB_TABLE);
    assert_string_equal(err.message, "out of bounds table access");
    /* The first segment stays applied, and its function stays usable. */
    weft_val v;
    assert_int_equal(weft_table_get(t, 0, &v, NULL), WEFT_OK);
    assert_int_equal(v.kind, WEFT_FUNCREF);
    assert_non_null(v.of.funcref);
    weft_functype ft;
    weft_func_type(v.of.funcref, &ft);
    assert_int_equal(ft.nparams, 0);
    assert_int_equal(ft.nresults, 1);
    weft_val res;
    assert_int_equal(weft_call(v.of.funcref, NULL, 0, &res, 1, &err), WEFT_OK);
    assert_int_equal(res.of.i32, 42);
    /* The failing segment wrote nothing; the data segment never ran. */
    assert_int_equal(weft_table_get(t, 3, &v, NULL), WEFT_OK);
    assert_null(v.of.funcref);
    assert_int_equal(weft_memory_data(mem)[0], 0);
    weft_module_free(m);
    weft_table_free(t);
    weft_memory_free(mem);
    weft_engine_free(e);
}

static void test_data_segment_partial(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = LOAD(e, data_trap);
    weft_memory *mem = memory_of(e, 1, false, 0, false);
    weft_extern ext[1] = {ext_memory(mem)};
    weft_instance *inst = NULL;
    weft_error err;
    assert_int_equal(weft_instance_new(m, ext, 1, &inst, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
    const uint8_t *d = weft_memory_data(mem);
    assert_memory_equal(d, "ab", 2);
    assert_int_equal(d[65535], 0); /* bounds are checked before writing */
    assert_int_equal(d[10], 0);    /* later segments do not run */
    weft_module_free(m);
    weft_memory_free(mem);
    weft_engine_free(e);
}

static void test_start_runs_once(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = LOAD(e, start_host);
    int ticks = 0;
    weft_func *tick = host_of(e, NULL, 0, NULL, 0, host_tick, &ticks);
    weft_extern ext[1] = {ext_func(tick)};
    weft_instance *a = NULL, *b = NULL;
    assert_int_equal(weft_instance_new(m, ext, 1, &a, NULL), WEFT_OK);
    assert_int_equal(ticks, 1);
    assert_int_equal(weft_instance_new(m, ext, 1, &b, NULL), WEFT_OK);
    assert_int_equal(ticks, 2);
    weft_instance_free(a);
    weft_instance_free(b);
    assert_int_equal(ticks, 2);

    /* A trap in the start function fails instantiation with it. */
    weft_func *boom = host_of(e, NULL, 0, NULL, 0, host_trap, NULL);
    ext[0] = ext_func(boom);
    weft_error err;
    assert_int_equal(weft_instance_new(m, ext, 1, &a, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_HOST_TRAP);
    assert_non_null(strstr(err.message, "boom"));
    weft_func_free(boom);
    weft_func_free(tick);
    weft_module_free(m);
    weft_engine_free(e);
}

static void test_global_init_and_data_offset(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = LOAD(e, global_init);
    weft_global *base = global_of(e, WEFT_I32, false, 100);
    weft_extern ext[1] = {ext_global(base)};
    weft_instance *inst = NULL;
    assert_int_equal(weft_instance_new(m, ext, 1, &inst, NULL), WEFT_OK);
    weft_val v;
    weft_global_get(export_of(inst, "g2", WEFT_EXTERN_GLOBAL).of.global, &v);
    assert_int_equal(v.kind, WEFT_I32);
    assert_int_equal(v.of.i32, 100);
    weft_global *g3 = export_of(inst, "g3", WEFT_EXTERN_GLOBAL).of.global;
    weft_global_get(g3, &v);
    assert_int_equal(v.kind, WEFT_F64);
    assert_true(v.of.f64 == 2.5);
    weft_memory *mem = export_of(inst, "m", WEFT_EXTERN_MEMORY).of.memory;
    assert_int_equal(weft_memory_data(mem)[100], 'z');
    assert_int_equal(weft_memory_data(mem)[99], 0);
    weft_instance_free(inst);
    weft_global_free(base);
    weft_module_free(m);
    weft_engine_free(e);
}

static void test_funcref_identity(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = LOAD(e, funcref);
    weft_func *h = host_of(e, NULL, 0, NULL, 0, host_tick, NULL);
    weft_extern ext[1] = {ext_func(h)};
    weft_instance *inst = NULL;
    assert_int_equal(weft_instance_new(m, ext, 1, &inst, NULL), WEFT_OK);
    weft_func *f = export_of(inst, "f", WEFT_EXTERN_FUNC).of.func;
    weft_table *t = export_of(inst, "t", WEFT_EXTERN_TABLE).of.table;
    assert_ptr_equal(export_of(inst, "h", WEFT_EXTERN_FUNC).of.func, h);
    weft_val v;
    assert_int_equal(weft_table_get(t, 0, &v, NULL), WEFT_OK);
    assert_ptr_equal(v.of.funcref, f);
    assert_int_equal(weft_table_get(t, 1, &v, NULL), WEFT_OK);
    assert_ptr_equal(v.of.funcref, f);
    assert_int_equal(weft_table_get(t, 2, &v, NULL), WEFT_OK);
    assert_ptr_equal(v.of.funcref, h);
    weft_global_get(export_of(inst, "g", WEFT_EXTERN_GLOBAL).of.global, &v);
    assert_ptr_equal(v.of.funcref, f);
    weft_global_get(export_of(inst, "gh", WEFT_EXTERN_GLOBAL).of.global, &v);
    assert_ptr_equal(v.of.funcref, h);
    /* Two instances of one module have distinct functions. */
    weft_instance *inst2 = NULL;
    assert_int_equal(weft_instance_new(m, ext, 1, &inst2, NULL), WEFT_OK);
    assert_ptr_not_equal(export_of(inst2, "f", WEFT_EXTERN_FUNC).of.func, f);
    weft_instance_free(inst2);
    weft_instance_free(inst);
    weft_func_free(h);
    weft_module_free(m);
    weft_engine_free(e);
}

/* ---- the table and global API ---------------------------------------------------------- */

static void test_table_api(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_func *h = host_of(e, NULL, 0, NULL, 0, host_tick, NULL);
    weft_limits l = {.min = 3, .max = 5, .has_max = true};
    weft_val init = {.kind = WEFT_FUNCREF, .of.funcref = h};
    weft_table *t = NULL;
    assert_int_equal(weft_table_new(e, WEFT_FUNCREF, &l, &init, &t, NULL), WEFT_OK);
    assert_int_equal(weft_table_size(t), 3);
    weft_val v;
    assert_int_equal(weft_table_get(t, 2, &v, NULL), WEFT_OK);
    assert_ptr_equal(v.of.funcref, h);
    weft_val null = {.kind = WEFT_FUNCREF, .of.funcref = NULL};
    assert_int_equal(weft_table_set(t, 1, &null, NULL), WEFT_OK);
    assert_int_equal(weft_table_get(t, 1, &v, NULL), WEFT_OK);
    assert_null(v.of.funcref);
    weft_error err;
    assert_int_equal(weft_table_get(t, 3, &v, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_OOB_TABLE);
    assert_int_equal(weft_table_set(t, 3, &null, &err), WEFT_TRAP);
    weft_val ext = {.kind = WEFT_EXTERNREF, .of.externref = &v};
    assert_int_equal(weft_table_set(t, 0, &ext, &err), WEFT_BAD_ARGUMENT);
    weft_valkind kind;
    weft_limits got;
    weft_table_type(t, &kind, &got);
    assert_int_equal(kind, WEFT_FUNCREF);
    assert_int_equal(got.min, 3);
    assert_true(got.has_max);
    assert_int_equal(got.max, 5);

    /* Bad arguments: a numeric element kind, an init of the wrong kind. */
    weft_table *bad = NULL;
    assert_int_equal(weft_table_new(e, WEFT_I32, &l, NULL, &bad, &err), WEFT_BAD_ARGUMENT);
    assert_int_equal(weft_table_new(e, WEFT_EXTERNREF, &l, &init, &bad, &err), WEFT_BAD_ARGUMENT);

    /* externref tables hold the embedder's pointers as they are. */
    weft_table *xt = NULL;
    assert_int_equal(weft_table_new(e, WEFT_EXTERNREF, &l, &ext, &xt, NULL), WEFT_OK);
    assert_int_equal(weft_table_get(xt, 0, &v, NULL), WEFT_OK);
    assert_int_equal(v.kind, WEFT_EXTERNREF);
    assert_ptr_equal(v.of.externref, &v);
    weft_table_free(xt);

    /* A table does not own the functions in it (a funcref is valid while its
     * owner lives), so the table goes first. */
    weft_table_free(t);
    weft_func_free(h);
    weft_engine_free(e);
}

static void test_global_api(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_global *c = global_of(e, WEFT_I32, false, -5);
    weft_val v;
    weft_global_get(c, &v);
    assert_int_equal(v.kind, WEFT_I32);
    assert_int_equal(v.of.i32, -5);
    weft_error err;
    weft_val seven = i32v(7);
    assert_int_equal(weft_global_set(c, &seven, &err), WEFT_BAD_ARGUMENT);
    weft_global_get(c, &v);
    assert_int_equal(v.of.i32, -5);

    weft_val nan = {.kind = WEFT_F64, .of.f64_bits = 0x7FF4000000000123ull};
    weft_global *g = NULL;
    assert_int_equal(weft_global_new(e, WEFT_F64, true, &nan, &g, NULL), WEFT_OK);
    weft_global_get(g, &v);
    assert_int_equal(v.of.f64_bits, 0x7FF4000000000123ull); /* payload kept */
    weft_val neg = {.kind = WEFT_F64, .of.f64_bits = 0xFFF0000000000001ull};
    assert_int_equal(weft_global_set(g, &neg, NULL), WEFT_OK);
    weft_global_get(g, &v);
    assert_int_equal(v.of.f64_bits, 0xFFF0000000000001ull);
    assert_int_equal(weft_global_set(g, &seven, &err), WEFT_BAD_ARGUMENT);
    weft_valkind kind;
    bool mut;
    weft_global_type(g, &kind, &mut);
    assert_int_equal(kind, WEFT_F64);
    assert_true(mut);
    weft_global_type(c, &kind, &mut);
    assert_int_equal(kind, WEFT_I32);
    assert_false(mut);
    weft_global *bad = NULL;
    assert_int_equal(weft_global_new(e, WEFT_I64, false, &seven, &bad, &err), WEFT_BAD_ARGUMENT);
    weft_global_free(c);
    weft_global_free(g);
    weft_engine_free(e);
}

/* ---- calls ----------------------------------------------------------------------------- */

static void test_call_host_and_argument_checks(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_func *f = host_of(e, k_i32, 1, k_i32, 1, host_double, NULL);
    weft_functype ft;
    weft_func_type(f, &ft);
    assert_int_equal(ft.nparams, 1);
    assert_int_equal(ft.params[0], WEFT_I32);
    assert_int_equal(ft.nresults, 1);
    assert_int_equal(ft.results[0], WEFT_I32);
    weft_val arg = i32v(21), res, two[2] = {i32v(1), i32v(2)};
    weft_error err;
    assert_int_equal(weft_call(f, &arg, 1, &res, 1, &err), WEFT_OK);
    assert_int_equal(res.kind, WEFT_I32);
    assert_int_equal(res.of.i32, 42);
    assert_int_equal(weft_call(f, two, 2, &res, 1, &err), WEFT_BAD_ARGUMENT);
    assert_int_equal(err.code, WEFT_E_BAD_ARGUMENT);
    assert_int_equal(weft_call(f, NULL, 0, &res, 1, &err), WEFT_BAD_ARGUMENT);
    assert_int_equal(weft_call(f, &arg, 1, &res, 0, &err), WEFT_BAD_ARGUMENT);
    weft_val wrong = {.kind = WEFT_I64, .of.i64 = 21};
    assert_int_equal(weft_call(f, &wrong, 1, &res, 1, &err), WEFT_BAD_ARGUMENT);
    assert_int_equal(weft_call(NULL, &arg, 1, &res, 1, &err), WEFT_BAD_ARGUMENT);
    weft_func *boom = host_of(e, NULL, 0, NULL, 0, host_trap, NULL);
    assert_int_equal(weft_call(boom, NULL, 0, NULL, 0, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_HOST_TRAP);
    weft_func_free(boom);
    weft_func_free(f);
    weft_engine_free(e);
}

static void test_wasm_calls(void **state)
{
    weft_bounds_mode bounds = *(weft_bounds_mode *)*state;
    weft_engine *e = test_engine_new(bounds);
    weft_module *m = LOAD(e, calls);
    test_traps_on();
    int adds = 0;
    weft_func *add = host_of(e, k_i32, 2, k_i32, 1, host_add, &adds);
    weft_extern ext[1] = {ext_func(add)};
    weft_instance *inst = NULL;
    weft_error err;
    if (weft_instance_new(m, ext, 1, &inst, &err) != WEFT_OK)
        fail_msg("instance: %s", err.message);
    weft_val v;
    weft_global_get(export_of(inst, "count", WEFT_EXTERN_GLOBAL).of.global, &v);
    assert_int_equal(v.of.i32, 1); /* the start function ran once */

    weft_func *sum3 = export_of(inst, "sum3", WEFT_EXTERN_FUNC).of.func;
    weft_val args[3] = {i32v(1), i32v(2), i32v(39)}, res[3];
    assert_int_equal(weft_call(sum3, args, 3, res, 1, &err), WEFT_OK);
    assert_int_equal(res[0].of.i32, 42);
    assert_int_equal(adds, 2);
    weft_memory *mem = export_of(inst, "mem", WEFT_EXTERN_MEMORY).of.memory;
    int32_t stored;
    memcpy(&stored, weft_memory_data(mem), 4);
    assert_int_equal(stored, 42); /* the host saw its caller's memory */
    assert_int_equal(weft_call(sum3, args, 2, res, 1, &err), WEFT_BAD_ARGUMENT);

    weft_func *div = export_of(inst, "div", WEFT_EXTERN_FUNC).of.func;
    weft_val dargs[2] = {i32v(7), i32v(0)};
    assert_int_equal(weft_call(div, dargs, 2, res, 1, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_DIV_BY_ZERO);
    dargs[1] = i32v(-2);
    assert_int_equal(weft_call(div, dargs, 2, res, 1, &err), WEFT_OK); /* usable after a trap */
    assert_int_equal(res[0].of.i32, -3);

    weft_func *load = export_of(inst, "load", WEFT_EXTERN_FUNC).of.func;
    weft_val addr = i32v(70000);
    assert_int_equal(weft_call(load, &addr, 1, res, 1, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
    addr = i32v(0);
    assert_int_equal(weft_call(load, &addr, 1, res, 1, &err), WEFT_OK);
    assert_int_equal(res[0].of.i32, 42);

    weft_func *mix = export_of(inst, "mix", WEFT_EXTERN_FUNC).of.func;
    weft_val margs[3] = {{.kind = WEFT_I64, .of.i64 = -1234567890123ll},
                         {.kind = WEFT_F32, .of.f32_bits = 0x7FC00123u},
                         {.kind = WEFT_F64, .of.f64 = -0.25}};
    assert_int_equal(weft_call(mix, margs, 3, res, 3, &err), WEFT_OK);
    assert_int_equal(res[0].kind, WEFT_F64);
    assert_true(res[0].of.f64 == -0.25);
    assert_int_equal(res[1].kind, WEFT_I64);
    assert_int_equal(res[1].of.i64, -1234567890123ll);
    assert_int_equal(res[2].kind, WEFT_F32);
    assert_int_equal(res[2].of.f32_bits, 0x7FC00123u);
    margs[0].kind = WEFT_I32;
    assert_int_equal(weft_call(mix, margs, 3, res, 3, &err), WEFT_BAD_ARGUMENT);

    weft_instance_free(inst);
    weft_func_free(add);
    weft_module_free(m);
    weft_engine_free(e);
    test_traps_off();
}

static void test_wasm_start_trap(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = LOAD(e, start_trap);
    weft_memory *mem = memory_of(e, 1, false, 0, false);
    weft_extern ext[1] = {ext_memory(mem)};
    weft_instance *inst = NULL;
    weft_error err;
    assert_int_equal(weft_instance_new(m, ext, 1, &inst, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_UNREACHABLE);
    assert_true(err.nframes >= 1);
    assert_int_equal(weft_memory_data(mem)[5], 's'); /* segments ran before start */
    weft_memory_free(mem);
    weft_module_free(m);
    weft_engine_free(e);
}

static void test_import_call(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = LOAD(e, link);
    link_env le;
    link_env_init(e, &le);
    weft_instance *inst = NULL;
    assert_int_equal(weft_instance_new(m, le.ext, 5, &inst, NULL), WEFT_OK);
    weft_val arg = i32v(-21), res;
    weft_error err;
    assert_int_equal(weft_call(export_of(inst, "call_f", WEFT_EXTERN_FUNC).of.func, &arg, 1, &res,
                               1, &err), WEFT_OK);
    assert_int_equal(res.of.i32, -42);
    weft_instance_free(inst);
    link_env_free(&le);
    weft_module_free(m);
    weft_engine_free(e);
}

/* Instances of one module on several threads at once: type interning and
 * module references are shared, everything else is per instance. */
typedef struct worker {
    weft_engine *engine;
    weft_module *module;
    int32_t base;
    int ok;
} worker;

static void *instantiate_and_call(void *arg)
{
    worker *w = arg;
    int adds = 0;
    for (int round = 0; round < 20; round++) {
        weft_functype t = {.params = k_i32, .nparams = 2, .results = k_i32, .nresults = 1};
        weft_func *add = NULL;
        if (weft_func_new(w->engine, &t, host_add, &adds, NULL, &add, NULL) != WEFT_OK)
            return NULL;
        weft_extern ext[1] = {ext_func(add)};
        weft_instance *inst = NULL;
        weft_error err;
        if (weft_instance_new(w->module, ext, 1, &inst, &err) == WEFT_OK) {
            weft_extern x;
            weft_val args[3] = {i32v(w->base), i32v(round), i32v(1)}, res;
            if (weft_instance_export(inst, "sum3", 4, &x) &&
                weft_call(x.of.func, args, 3, &res, 1, &err) == WEFT_OK &&
                res.of.i32 == w->base + round + 1)
                w->ok++;
            weft_instance_free(inst);
        }
        weft_func_free(add);
    }
    return NULL;
}

static void test_concurrent_instances(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_SOFTWARE);
    weft_module *m = LOAD(e, calls);
    enum { N = 4 };
    worker w[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        w[i] = (worker){.engine = e, .module = m, .base = 1000 * i};
        assert_int_equal(pthread_create(&th[i], NULL, instantiate_and_call, &w[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].ok, 20);
    }
    weft_module_free(m);
    weft_engine_free(e);
}

/* ---- freeing ----------------------------------------------------------------------------- */

static void test_free_orders(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = LOAD(e, link);
    link_env le;
    link_env_init(e, &le);
    int finalized = 0;
    weft_functype ft = {.params = k_i32, .nparams = 1, .results = k_i32, .nresults = 1};
    weft_func *f = NULL;
    assert_int_equal(weft_func_new(e, &ft, host_double, &finalized, count_finalizer, &f, NULL),
                     WEFT_OK);
    weft_func_free(le.f);
    le.ext[0] = ext_func(f);
    weft_instance *inst = NULL;
    assert_int_equal(weft_instance_new(m, le.ext, 5, &inst, NULL), WEFT_OK);

    /* The caller's references go first: the instance keeps what it imports,
     * and its module. */
    weft_module_free(m);
    weft_func_free(f);
    weft_table_free(le.t);
    weft_memory_free(le.m);
    weft_global_free(le.g);
    weft_global_free(le.gm);
    assert_int_equal(finalized, 0);
    weft_table *t = export_of(inst, "t", WEFT_EXTERN_TABLE).of.table;
    assert_int_equal(weft_table_size(t), 2);
    weft_val v;
    weft_global_get(export_of(inst, "g", WEFT_EXTERN_GLOBAL).of.global, &v);
    assert_int_equal(v.of.i32, 7);
    weft_val arg = i32v(4), res;
    assert_int_equal(weft_call(export_of(inst, "f", WEFT_EXTERN_FUNC).of.func, &arg, 1, &res, 1,
                               NULL), WEFT_OK);
    assert_int_equal(res.of.i32, 8);
    weft_instance_free(inst);
    assert_int_equal(finalized, 100); /* the last reference ran the finalizer once */
    weft_engine_free(e);
}

static weft_bounds_mode guard_mode = WEFT_BOUNDS_GUARD;
static weft_bounds_mode software_mode = WEFT_BOUNDS_SOFTWARE;

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_ok),
        cmocka_unit_test(test_link_incompatible),
        cmocka_unit_test(test_elem_segment_partial),
        cmocka_unit_test(test_data_segment_partial),
        cmocka_unit_test(test_start_runs_once),
        cmocka_unit_test(test_global_init_and_data_offset),
        cmocka_unit_test(test_funcref_identity),
        cmocka_unit_test(test_table_api),
        cmocka_unit_test(test_global_api),
        cmocka_unit_test(test_call_host_and_argument_checks),
        cmocka_unit_test(test_free_orders),
        cmocka_unit_test_prestate(test_wasm_calls, &guard_mode),
        cmocka_unit_test_prestate(test_wasm_calls, &software_mode),
        cmocka_unit_test(test_wasm_start_trap),
        cmocka_unit_test(test_import_call),
        cmocka_unit_test(test_concurrent_instances),
    };
    if (!test_signals_save()) {
        fprintf(stderr, "cannot install weft's signal handler\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

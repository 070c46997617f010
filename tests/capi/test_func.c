/*
 * test_func.c -- the C API's functions: host functions with and without an
 * env (finalizer), calls with every value type and multi-value results,
 * traps from wasm (message, frames; in a start function too) and from host
 * callbacks.
 */
#include "capi_test.h"


static const wasm_func_t *func(capi_env *e, const char *name)
{
    return wasm_extern_as_func(capi_export(e->module, &e->exports, name));
}

static void every_value_type(void **state)
{
    capi_env *e = *state;
    wasm_val_t res[1];
    wasm_val_vec_t rv = WASM_ARRAY_VEC(res);

    wasm_val_t a32[] = {WASM_I32_VAL(-8)};
    wasm_val_vec_t v = WASM_ARRAY_VEC(a32);
    assert_null(wasm_func_call(func(e, "inc"), &v, &rv));
    assert_int_equal(res[0].kind, WASM_I32);
    assert_int_equal(res[0].of.i32, -7);

    wasm_val_t a64[] = {WASM_I64_VAL(INT64_MIN + 3)};
    v = (wasm_val_vec_t)WASM_ARRAY_VEC(a64);
    assert_null(wasm_func_call(func(e, "id_i64"), &v, &rv));
    assert_int_equal(res[0].kind, WASM_I64);
    assert_true(res[0].of.i64 == INT64_MIN + 3);

    /* Floats keep their bits: a NaN with a payload. */
    uint32_t nan32 = 0x7fa00001;
    wasm_val_t af32[] = {WASM_F32_VAL(0)};
    memcpy(&af32[0].of.f32, &nan32, 4);
    v = (wasm_val_vec_t)WASM_ARRAY_VEC(af32);
    assert_null(wasm_func_call(func(e, "id_f32"), &v, &rv));
    assert_int_equal(res[0].kind, WASM_F32);
    assert_memory_equal(&res[0].of.f32, &nan32, 4);

    wasm_val_t af64[] = {WASM_F64_VAL(-2.75)};
    v = (wasm_val_vec_t)WASM_ARRAY_VEC(af64);
    assert_null(wasm_func_call(func(e, "id_f64"), &v, &rv));
    assert_int_equal(res[0].kind, WASM_F64);
    assert_true(res[0].of.f64 == -2.75);

    /* funcref: a function through wasm and back, then called. */
    const wasm_func_t *inc = func(e, "inc");
    wasm_val_t afr[] = {{.kind = WASM_FUNCREF, .of.ref = (wasm_ref_t *)wasm_func_as_ref_const(inc)}};
    v = (wasm_val_vec_t)WASM_ARRAY_VEC(afr);
    assert_null(wasm_func_call(func(e, "id_funcref"), &v, &rv));
    assert_int_equal(res[0].kind, WASM_FUNCREF);
    wasm_func_t *back = wasm_ref_as_func(res[0].of.ref);
    assert_non_null(back);
    assert_true(wasm_func_same(back, inc));
    wasm_val_t r2[1];
    wasm_val_vec_t r2v = WASM_ARRAY_VEC(r2);
    v = (wasm_val_vec_t)WASM_ARRAY_VEC(a32);
    assert_null(wasm_func_call(back, &v, &r2v));
    assert_int_equal(r2[0].of.i32, -7);
    wasm_val_delete(&res[0]);
    /* a null funcref */
    afr[0].of.ref = NULL;
    v = (wasm_val_vec_t)WASM_ARRAY_VEC(afr);
    assert_null(wasm_func_call(func(e, "id_funcref"), &v, &rv));
    assert_null(res[0].of.ref);

    /* externref: null is null */
    wasm_val_t aer[] = {WASM_REF_VAL(NULL)};
    v = (wasm_val_vec_t)WASM_ARRAY_VEC(aer);
    assert_null(wasm_func_call(func(e, "is_null"), &v, &rv));
    assert_int_equal(res[0].of.i32, 1);
    wasm_foreign_t *fo = wasm_foreign_new(e->store);
    aer[0].of.ref = wasm_foreign_as_ref(fo);
    assert_null(wasm_func_call(func(e, "is_null"), &v, &rv));
    assert_int_equal(res[0].of.i32, 0);
    wasm_foreign_delete(fo);
}

static void multi_value(void **state)
{
    capi_env *e = *state;
    wasm_val_t args[] = {WASM_I32_VAL(1), WASM_I64_VAL(2), WASM_F32_VAL(3.5f), WASM_F64_VAL(4.25)};
    wasm_val_t res[4];
    wasm_val_vec_t av = WASM_ARRAY_VEC(args), rv = WASM_ARRAY_VEC(res);
    const wasm_func_t *swap = func(e, "swap");
    assert_int_equal(wasm_func_param_arity(swap), 4);
    assert_int_equal(wasm_func_result_arity(swap), 4);
    wasm_functype_t *t = wasm_func_type(swap);
    assert_int_equal(wasm_valtype_kind(wasm_functype_results(t)->data[0]), WASM_F64);
    wasm_functype_delete(t);
    assert_null(wasm_func_call(swap, &av, &rv));
    assert_int_equal(res[0].kind, WASM_F64);
    assert_true(res[0].of.f64 == 4.25);
    assert_int_equal(res[1].kind, WASM_F32);
    assert_true(res[1].of.f32 == 3.5f);
    assert_int_equal(res[2].kind, WASM_I64);
    assert_int_equal(res[2].of.i64, 2);
    assert_int_equal(res[3].kind, WASM_I32);
    assert_int_equal(res[3].of.i32, 1);
}

static void wrong_calls(void **state)
{
    capi_env *e = *state;
    char buf[256];
    wasm_val_t res[1];
    wasm_val_vec_t rv = WASM_ARRAY_VEC(res), none = WASM_EMPTY_VEC;
    /* Too few arguments, the wrong kind, no room for the result: traps, nothing run. */
    wasm_trap_t *trap = wasm_func_call(func(e, "inc"), &none, &rv);
    assert_non_null(trap);
    assert_non_null(strstr(capi_trap_text(trap, buf, sizeof buf), "number of arguments"));
    wasm_trap_delete(trap);
    wasm_val_t bad[] = {WASM_I64_VAL(1)};
    wasm_val_vec_t bv = WASM_ARRAY_VEC(bad);
    trap = wasm_func_call(func(e, "inc"), &bv, &rv);
    assert_non_null(strstr(capi_trap_text(trap, buf, sizeof buf), "wrong kind"));
    wasm_trap_delete(trap);
    wasm_val_t ok[] = {WASM_I32_VAL(1)};
    wasm_val_vec_t okv = WASM_ARRAY_VEC(ok);
    trap = wasm_func_call(func(e, "inc"), &okv, &none);
    assert_non_null(trap);
    wasm_trap_delete(trap);
    /* A v128 function cannot be called through the C API. */
    trap = wasm_func_call(func(e, "v128"), &okv, &rv);
    assert_non_null(trap);
    wasm_trap_delete(trap);
}

static void wasm_traps(void **state)
{
    capi_env *e = *state;
    char buf[256];
    wasm_val_vec_t none = WASM_EMPTY_VEC;
    wasm_trap_t *trap = wasm_func_call(func(e, "outer"), &none, &none);
    assert_non_null(trap);
    assert_string_equal(capi_trap_text(trap, buf, sizeof buf), "unreachable");
    wasm_frame_vec_t trace;
    wasm_trap_trace(trap, &trace);
    assert_int_equal(trace.size, 3);
    /* inner (func 19), middle (20), outer (21): innermost first */
    uint32_t first = wasm_frame_func_index(trace.data[0]);
    assert_int_equal(wasm_frame_func_index(trace.data[1]), first + 1);
    assert_int_equal(wasm_frame_func_index(trace.data[2]), first + 2);
    for (size_t i = 0; i < trace.size; i++) {
        assert_true(wasm_frame_module_offset(trace.data[i]) != (size_t)-1);
        assert_true(wasm_frame_func_offset(trace.data[i]) != (size_t)-1);
        assert_true(wasm_frame_func_offset(trace.data[i]) < wasm_frame_module_offset(trace.data[i]));
        assert_true(wasm_instance_same(wasm_frame_instance(trace.data[i]), e->instance));
    }
    /* The innermost frame is `unreachable`, the function's first instruction
     * after its local declarations (one byte: zero of them). */
    assert_int_equal(wasm_frame_func_offset(trace.data[0]), 1);
    /* The module offset points at the unreachable opcode. */
    wasm_byte_vec_t bytes;
    assert_true(capi_read("capi_values", &bytes));
    assert_int_equal((uint8_t)bytes.data[wasm_frame_module_offset(trace.data[0])], 0x00);
    assert_int_equal((uint8_t)bytes.data[wasm_frame_module_offset(trace.data[1])], 0x10); /* call */
    wasm_byte_vec_delete(&bytes);
    wasm_frame_t *origin = wasm_trap_origin(trap);
    assert_non_null(origin);
    assert_int_equal(wasm_frame_func_index(origin), first);
    assert_int_equal(wasm_frame_module_offset(origin), wasm_frame_module_offset(trace.data[0]));
    wasm_frame_t *copy = wasm_frame_copy(origin);
    assert_int_equal(wasm_frame_func_offset(copy), 1);
    wasm_frame_delete(copy);
    wasm_frame_delete(origin);
    wasm_frame_vec_t tc;
    wasm_frame_vec_copy(&tc, &trace);
    assert_int_equal(tc.size, 3);
    wasm_frame_vec_delete(&tc);
    wasm_frame_vec_delete(&trace);
    wasm_trap_t *tcopy = wasm_trap_copy(trap);
    assert_string_equal(capi_trap_text(tcopy, buf, sizeof buf), "unreachable");
    wasm_frame_vec_t trace2;
    wasm_trap_trace(tcopy, &trace2);
    assert_int_equal(trace2.size, 3);
    wasm_frame_vec_delete(&trace2);
    wasm_trap_delete(tcopy);
    wasm_trap_delete(trap);

    wasm_val_t args[] = {WASM_I32_VAL(1), WASM_I32_VAL(0)}, res[1];
    wasm_val_vec_t av = WASM_ARRAY_VEC(args), rv = WASM_ARRAY_VEC(res);
    trap = wasm_func_call(func(e, "div"), &av, &rv);
    assert_string_equal(capi_trap_text(trap, buf, sizeof buf), "integer divide by zero");
    wasm_trap_delete(trap);
    /* A trap made by the host has no frames. */
    wasm_message_t msg;
    wasm_name_new_from_string_nt(&msg, "made here");
    trap = wasm_trap_new(e->store, &msg);
    wasm_message_t got;
    wasm_trap_message(trap, &got);
    assert_int_equal(got.size, msg.size);
    assert_string_equal(got.data, "made here");
    assert_null(wasm_trap_origin(trap));
    wasm_trap_trace(trap, &trace);
    assert_int_equal(trace.size, 0);
    wasm_byte_vec_delete(&got);
    wasm_name_delete(&msg);
    wasm_trap_delete(trap);
}

/* A trap in the start function: wasm_instance_new gives it with its frames,
 * whose offsets come from the module being instantiated (weft has freed the
 * instance by then: the frames name none). */
static void start_trap(void **state)
{
    (void)state;
    char buf[256];
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *m = capi_module(store, "capi_start_trap");
    wasm_trap_t *trap = NULL;
    assert_null(wasm_instance_new(store, m, NULL, &trap));
    assert_non_null(trap);
    assert_string_equal(capi_trap_text(trap, buf, sizeof buf), "integer divide by zero");
    wasm_frame_vec_t trace;
    wasm_trap_trace(trap, &trace);
    assert_int_equal(trace.size, 2);
    /* $inner is `00 41 01 41 00 6e 1a 0b` (i32.div_u at 5), $start
     * `00 10 00 0b` (the call at 1). */
    wasm_byte_vec_t bytes;
    assert_true(capi_read("capi_start_trap", &bytes));
    assert_int_equal(wasm_frame_func_index(trace.data[0]), 0);
    assert_int_equal(wasm_frame_func_offset(trace.data[0]), 5);
    assert_int_equal((uint8_t)bytes.data[wasm_frame_module_offset(trace.data[0])], 0x6e);
    assert_int_equal(wasm_frame_func_index(trace.data[1]), 1);
    assert_int_equal(wasm_frame_func_offset(trace.data[1]), 1);
    assert_int_equal((uint8_t)bytes.data[wasm_frame_module_offset(trace.data[1])], 0x10);
    assert_null(wasm_frame_instance(trace.data[0]));
    wasm_byte_vec_delete(&bytes);
    wasm_frame_vec_delete(&trace);
    wasm_trap_delete(trap);
    wasm_module_delete(m);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
}

/* ---- host functions ------------------------------------------------------------------- */

static int calls, finalized;

static wasm_trap_t *cb(const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    calls++;
    assert_int_equal(args->size, 1);
    assert_int_equal(results->size, 1);
    assert_int_equal(args->data[0].kind, WASM_I32);
    results->data[0] = (wasm_val_t)WASM_I32_VAL(args->data[0].of.i32 * 2);
    return NULL;
}

typedef struct host_env {
    wasm_store_t *store;
    int64_t add;
} host_env;

static wasm_trap_t *cb_env(void *p, const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    host_env *h = p;
    if (args->data[0].of.i64 < 0) {
        wasm_message_t msg;
        wasm_name_new_from_string_nt(&msg, "negative from the host");
        wasm_trap_t *t = wasm_trap_new(h->store, &msg);
        wasm_name_delete(&msg);
        return t;
    }
    results->data[0] = (wasm_val_t)WASM_F64_VAL(args->data[1].of.f64 * 2);
    results->data[1] = (wasm_val_t)WASM_I64_VAL(args->data[0].of.i64 + h->add);
    return NULL;
}

static void env_finalizer(void *p)
{
    (void)p;
    finalized++;
}

static void host_functions(void **state)
{
    (void)state;
    char buf[256];
    calls = finalized = 0;
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *m = capi_module(store, "capi_imports");
    host_env henv = {store, 100};

    wasm_functype_t *t1 = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
    wasm_functype_t *t2 = wasm_functype_new_2_2(wasm_valtype_new_i64(), wasm_valtype_new_f64(),
                                                wasm_valtype_new_f64(), wasm_valtype_new_i64());
    wasm_func_t *f1 = wasm_func_new(store, t1, cb);
    wasm_func_t *f2 = wasm_func_new_with_env(store, t2, cb_env, &henv, env_finalizer);
    assert_int_equal(wasm_func_param_arity(f2), 2);
    assert_int_equal(wasm_func_result_arity(f2), 2);
    wasm_globaltype_t *gt = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_VAR);
    wasm_val_t gv = WASM_I32_VAL(5);
    wasm_global_t *g = wasm_global_new(store, gt, &gv);
    wasm_limits_t tl = {1, wasm_limits_max_default}, ml = {1, 2};
    wasm_tabletype_t *tt = wasm_tabletype_new(wasm_valtype_new_funcref(), &tl);
    wasm_table_t *tab = wasm_table_new(store, tt, wasm_func_as_ref(f1));
    wasm_memorytype_t *mt = wasm_memorytype_new(&ml);
    wasm_memory_t *mem = wasm_memory_new(store, mt);
    wasm_extern_t *imports[] = {wasm_func_as_extern(f1), wasm_func_as_extern(f2),
                                wasm_global_as_extern(g), wasm_table_as_extern(tab),
                                wasm_memory_as_extern(mem)};
    wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
    wasm_trap_t *trap = NULL;
    wasm_instance_t *inst = wasm_instance_new(store, m, &iv, &trap);
    assert_non_null(inst);
    assert_null(trap);
    wasm_extern_vec_t ex;
    wasm_instance_exports(inst, &ex);

    /* Without env: wasm calls the host, which doubles. */
    wasm_val_t a[] = {WASM_I32_VAL(21)}, r[2];
    wasm_val_vec_t av = WASM_ARRAY_VEC(a), rv1 = {1, r}, rv2 = WASM_ARRAY_VEC(r);
    assert_null(wasm_func_call(wasm_extern_as_func(capi_export(m, &ex, "call_cb")), &av, &rv1));
    assert_int_equal(r[0].of.i32, 42);
    assert_int_equal(calls, 1);
    /* The host function called directly. */
    assert_null(wasm_func_call(f1, &av, &rv1));
    assert_int_equal(r[0].of.i32, 42);
    assert_int_equal(calls, 2);
    /* Through the imported table (call_indirect of element 0 = f1). */
    wasm_val_t ta[] = {WASM_I32_VAL(0), WASM_I32_VAL(4)};
    wasm_val_vec_t tav = WASM_ARRAY_VEC(ta);
    assert_null(wasm_func_call(wasm_extern_as_func(capi_export(m, &ex, "call_t")), &tav, &rv1));
    assert_int_equal(r[0].of.i32, 8);
    assert_int_equal(calls, 3);

    /* With env, values both ways and two results. */
    wasm_val_t b[] = {WASM_I64_VAL(7), WASM_F64_VAL(1.25)};
    wasm_val_vec_t bv = WASM_ARRAY_VEC(b);
    const wasm_func_t *call_env = wasm_extern_as_func(capi_export(m, &ex, "call_cb_env"));
    assert_null(wasm_func_call(call_env, &bv, &rv2));
    assert_true(r[0].of.f64 == 2.5);
    assert_int_equal(r[1].of.i64, 107);

    /* A host trap propagates through wasm with the host's message and the
     * wasm frames it went through. */
    b[0].of.i64 = -1;
    trap = wasm_func_call(call_env, &bv, &rv2);
    assert_non_null(trap);
    assert_string_equal(capi_trap_text(trap, buf, sizeof buf), "negative from the host");
    wasm_frame_vec_t trace;
    wasm_trap_trace(trap, &trace);
    assert_int_equal(trace.size, 1);
    assert_int_equal(wasm_frame_func_index(trace.data[0]), 3); /* 2 imported, call_cb, call_cb_env */
    wasm_frame_vec_delete(&trace);
    wasm_trap_delete(trap);
    /* ... and from a direct call, without frames. */
    trap = wasm_func_call(f2, &bv, &rv2);
    assert_string_equal(capi_trap_text(trap, buf, sizeof buf), "negative from the host");
    wasm_trap_delete(trap);
    /* Afterwards everything works as before. */
    b[0].of.i64 = 1;
    assert_null(wasm_func_call(call_env, &bv, &rv2));
    assert_int_equal(r[1].of.i64, 101);

    /* The env's finalizer runs when the function ends: with the store. */
    wasm_extern_vec_delete(&ex);
    wasm_instance_delete(inst);
    wasm_func_delete(f1);
    wasm_func_delete(f2);
    assert_int_equal(finalized, 0);
    wasm_global_delete(g);
    wasm_table_delete(tab);
    wasm_memory_delete(mem);
    wasm_functype_delete(t1);
    wasm_functype_delete(t2);
    wasm_globaltype_delete(gt);
    wasm_tabletype_delete(tt);
    wasm_memorytype_delete(mt);
    wasm_module_delete(m);
    wasm_store_delete(store);
    assert_int_equal(finalized, 1);
    wasm_engine_delete(engine);
}

static wasm_trap_t *wrong_result(const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    (void)args;
    results->data[0] = (wasm_val_t)WASM_I64_VAL(1); /* the type says i32 */
    return NULL;
}

static void host_result_of_wrong_kind(void **state)
{
    capi_env *e = *state;
    char buf[256];
    wasm_functype_t *t = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
    wasm_func_t *f = wasm_func_new(e->store, t, wrong_result);
    wasm_functype_delete(t);
    wasm_val_t a[] = {WASM_I32_VAL(1)}, r[1];
    wasm_val_vec_t av = WASM_ARRAY_VEC(a), rv = WASM_ARRAY_VEC(r);
    wasm_trap_t *trap = wasm_func_call(f, &av, &rv);
    assert_non_null(trap);
    assert_non_null(strstr(capi_trap_text(trap, buf, sizeof buf), "wrong kind"));
    wasm_trap_delete(trap);
    wasm_functype_t *ft = wasm_func_type(f);
    assert_int_equal(wasm_functype_params(ft)->size, 1);
    wasm_functype_delete(ft);
    wasm_func_delete(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_value_type, capi_open_values, capi_close_values),
        cmocka_unit_test_setup_teardown(multi_value, capi_open_values, capi_close_values),
        cmocka_unit_test_setup_teardown(wrong_calls, capi_open_values, capi_close_values),
        cmocka_unit_test_setup_teardown(wasm_traps, capi_open_values, capi_close_values),
        cmocka_unit_test(start_trap),
        cmocka_unit_test(host_functions),
        cmocka_unit_test_setup_teardown(host_result_of_wrong_kind, capi_open_values, capi_close_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

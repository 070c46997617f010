/*
 * test_module.c -- the C API's modules (new, validate, imports, exports,
 * serialize, share), instances and their exports, extern and ref
 * conversions, host info and foreign objects.
 */
#include "capi_test.h"

typedef struct env {
    wasm_engine_t *engine;
    wasm_store_t *store;
} env;

static int setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    e->engine = wasm_engine_new();
    e->store = wasm_store_new(e->engine);
    *state = e;
    return e->engine && e->store ? 0 : -1;
}

static int teardown(void **state)
{
    env *e = *state;
    wasm_store_delete(e->store);
    wasm_engine_delete(e->engine);
    free(e);
    return 0;
}

static bool name_is(const wasm_name_t *n, const char *s)
{
    return n->size == strlen(s) && memcmp(n->data, s, n->size) == 0;
}

static void bad_modules(void **state)
{
    env *e = *state;
    wasm_byte_vec_t junk;
    wasm_byte_vec_new(&junk, 8, "\0asm\2\0\0\0"); /* unknown binary version */
    assert_false(wasm_module_validate(e->store, &junk));
    assert_null(wasm_module_new(e->store, &junk));
    wasm_byte_vec_delete(&junk);
    /* Well formed but invalid: a function returning i32 with an empty body. */
    static const char invalid[] = "\0asm\1\0\0\0"
                                  "\1\5\1\x60\0\1\x7f" /* type () -> i32 */
                                  "\3\2\1\0"           /* func 0: type 0 */
                                  "\n\4\1\2\0\x0b";    /* body: end */
    wasm_byte_vec_t bytes;
    wasm_byte_vec_new(&bytes, sizeof invalid - 1, invalid);
    assert_false(wasm_module_validate(e->store, &bytes));
    assert_null(wasm_module_new(e->store, &bytes));
    wasm_byte_vec_delete(&bytes);

    assert_true(capi_read("capi_values", &bytes));
    assert_true(wasm_module_validate(e->store, &bytes));
    wasm_byte_vec_delete(&bytes);
}

static void imports_and_exports(void **state)
{
    env *e = *state;
    wasm_module_t *m = capi_module(e->store, "capi_imports");
    wasm_importtype_vec_t im;
    wasm_module_imports(m, &im);
    assert_int_equal(im.size, 5);
    const char *names[] = {"cb", "cb_env", "g", "t", "m"};
    wasm_externkind_t kinds[] = {WASM_EXTERN_FUNC, WASM_EXTERN_FUNC, WASM_EXTERN_GLOBAL,
                                 WASM_EXTERN_TABLE, WASM_EXTERN_MEMORY};
    for (size_t i = 0; i < 5; i++) {
        assert_true(name_is(wasm_importtype_module(im.data[i]), "env"));
        assert_true(name_is(wasm_importtype_name(im.data[i]), names[i]));
        assert_int_equal(wasm_externtype_kind(wasm_importtype_type(im.data[i])), kinds[i]);
    }
    const wasm_functype_t *ft = wasm_externtype_as_functype_const(wasm_importtype_type(im.data[1]));
    assert_int_equal(wasm_functype_params(ft)->size, 2);
    assert_int_equal(wasm_valtype_kind(wasm_functype_params(ft)->data[0]), WASM_I64);
    assert_int_equal(wasm_valtype_kind(wasm_functype_results(ft)->data[0]), WASM_F64);
    assert_int_equal(wasm_valtype_kind(wasm_functype_results(ft)->data[1]), WASM_I64);
    const wasm_globaltype_t *gt =
        wasm_externtype_as_globaltype_const(wasm_importtype_type(im.data[2]));
    assert_int_equal(wasm_valtype_kind(wasm_globaltype_content(gt)), WASM_I32);
    assert_int_equal(wasm_globaltype_mutability(gt), WASM_VAR);
    const wasm_tabletype_t *tt = wasm_externtype_as_tabletype_const(wasm_importtype_type(im.data[3]));
    assert_int_equal(wasm_valtype_kind(wasm_tabletype_element(tt)), WASM_FUNCREF);
    assert_int_equal(wasm_tabletype_limits(tt)->min, 1);
    assert_int_equal(wasm_tabletype_limits(tt)->max, wasm_limits_max_default);
    const wasm_memorytype_t *mt =
        wasm_externtype_as_memorytype_const(wasm_importtype_type(im.data[4]));
    assert_int_equal(wasm_memorytype_limits(mt)->min, 1);
    wasm_importtype_vec_delete(&im);

    wasm_exporttype_vec_t ex;
    wasm_module_exports(m, &ex);
    assert_int_equal(ex.size, 7);
    assert_true(name_is(wasm_exporttype_name(ex.data[0]), "call_cb"));
    assert_true(name_is(wasm_exporttype_name(ex.data[6]), "size"));
    assert_int_equal(wasm_externtype_kind(wasm_exporttype_type(ex.data[0])), WASM_EXTERN_FUNC);
    wasm_exporttype_vec_delete(&ex);
    wasm_module_delete(m);

    m = capi_module(e->store, "capi_values");
    wasm_module_exports(m, &ex);
    assert_true(name_is(wasm_exporttype_name(ex.data[0]), "mem"));
    const wasm_memorytype_t *mem = wasm_externtype_as_memorytype_const(wasm_exporttype_type(ex.data[0]));
    assert_int_equal(wasm_memorytype_limits(mem)->min, 1);
    assert_int_equal(wasm_memorytype_limits(mem)->max, 3);
    const wasm_globaltype_t *gc = wasm_externtype_as_globaltype_const(wasm_exporttype_type(ex.data[1]));
    assert_int_equal(wasm_globaltype_mutability(gc), WASM_CONST);
    /* A v128 in a signature has weft's kind for it. */
    const wasm_functype_t *v = wasm_externtype_as_functype_const(wasm_exporttype_type(ex.data[ex.size - 1]));
    assert_int_equal(wasm_valtype_kind(wasm_functype_params(v)->data[0]), WEFT_WASM_V128);
    wasm_exporttype_vec_delete(&ex);
    wasm_module_delete(m);
}

static void serialize_and_share(void **state)
{
    env *e = *state;
    wasm_module_t *m = capi_module(e->store, "capi_values");
    wasm_byte_vec_t ser, orig;
    wasm_module_serialize(m, &ser);
    assert_true(capi_read("capi_values", &orig));
    assert_int_equal(ser.size, orig.size);
    assert_memory_equal(ser.data, orig.data, ser.size);
    wasm_module_t *d = wasm_module_deserialize(e->store, &ser);
    assert_non_null(d);
    wasm_exporttype_vec_t ex;
    wasm_module_exports(d, &ex);
    assert_true(ex.size > 10);
    wasm_exporttype_vec_delete(&ex);
    wasm_byte_vec_delete(&ser);
    wasm_byte_vec_delete(&orig);

    /* share/obtain: the same module in another store of the engine. */
    wasm_shared_module_t *s = wasm_module_share(m);
    assert_non_null(s);
    wasm_module_delete(m); /* the shared module keeps it */
    wasm_store_t *other = wasm_store_new(e->engine);
    wasm_module_t *o = wasm_module_obtain(other, s);
    assert_non_null(o);
    wasm_trap_t *trap = NULL;
    wasm_instance_t *inst = wasm_instance_new(other, o, NULL, &trap);
    assert_non_null(inst);
    assert_null(trap);
    wasm_instance_delete(inst);
    wasm_module_delete(o);
    wasm_store_delete(other);
    /* ... but not in a store of another engine. */
    wasm_engine_t *e2 = wasm_engine_new();
    wasm_store_t *s2 = wasm_store_new(e2);
    assert_null(wasm_module_obtain(s2, s));
    wasm_store_delete(s2);
    wasm_engine_delete(e2);
    wasm_shared_module_delete(s);
    wasm_module_delete(d);
}

static void instance_failures(void **state)
{
    env *e = *state;
    char buf[512];
    wasm_module_t *m = capi_module(e->store, "capi_imports");
    wasm_trap_t *trap = NULL;
    /* Too few imports. */
    assert_null(wasm_instance_new(e->store, m, NULL, &trap));
    assert_non_null(trap);
    assert_non_null(strstr(capi_trap_text(trap, buf, sizeof buf), "imports"));
    wasm_trap_delete(trap);
    /* Five imports of the wrong kinds: weft's link error. */
    wasm_limits_t l = {1, wasm_limits_max_default};
    wasm_memorytype_t *mt = wasm_memorytype_new(&l);
    wasm_memory_t *mem = wasm_memory_new(e->store, mt);
    wasm_extern_t *five[5];
    for (int i = 0; i < 5; i++)
        five[i] = wasm_memory_as_extern(mem);
    wasm_extern_vec_t imports = WASM_ARRAY_VEC(five);
    assert_null(wasm_instance_new(e->store, m, &imports, &trap));
    assert_non_null(trap);
    assert_non_null(strstr(capi_trap_text(trap, buf, sizeof buf), "incompatible import type"));
    wasm_trap_delete(trap);
    /* No trap out-parameter: failure is NULL all the same. */
    assert_null(wasm_instance_new(e->store, m, &imports, NULL));
    wasm_memory_delete(mem);
    wasm_memorytype_delete(mt);
    wasm_module_delete(m);
}

static void exports_and_conversions(void **state)
{
    env *e = *state;
    wasm_module_t *m = capi_module(e->store, "capi_values");
    wasm_instance_t *inst = wasm_instance_new(e->store, m, NULL, NULL);
    assert_non_null(inst);
    wasm_extern_vec_t ex;
    wasm_instance_exports(inst, &ex);
    wasm_exporttype_vec_t types;
    wasm_module_exports(m, &types);
    assert_int_equal(ex.size, types.size);
    for (size_t i = 0; i < ex.size; i++)
        assert_int_equal(wasm_extern_kind(ex.data[i]),
                         wasm_externtype_kind(wasm_exporttype_type(types.data[i])));
    wasm_exporttype_vec_delete(&types);

    wasm_extern_t *mem = capi_export(m, &ex, "mem"), *gc = capi_export(m, &ex, "gc");
    wasm_extern_t *tab = capi_export(m, &ex, "tab"), *inc = capi_export(m, &ex, "inc");
    /* extern <-> object: the same handle; the wrong kind gives NULL. */
    assert_ptr_equal(wasm_memory_as_extern(wasm_extern_as_memory(mem)), mem);
    assert_ptr_equal(wasm_global_as_extern(wasm_extern_as_global(gc)), gc);
    assert_ptr_equal(wasm_table_as_extern(wasm_extern_as_table(tab)), tab);
    assert_ptr_equal(wasm_func_as_extern(wasm_extern_as_func(inc)), inc);
    assert_ptr_equal(wasm_func_as_extern_const(wasm_extern_as_func_const(inc)), inc);
    assert_null(wasm_extern_as_func(mem));
    assert_null(wasm_extern_as_memory(inc));
    assert_null(wasm_extern_as_global_const(tab));
    assert_null(wasm_extern_as_table(gc));
    /* extern types */
    wasm_externtype_t *t = wasm_extern_type(inc);
    assert_int_equal(wasm_externtype_kind(t), WASM_EXTERN_FUNC);
    assert_int_equal(wasm_functype_params(wasm_externtype_as_functype(t))->size, 1);
    wasm_externtype_delete(t);
    t = wasm_extern_type(mem);
    assert_int_equal(wasm_memorytype_limits(wasm_externtype_as_memorytype(t))->max, 3);
    wasm_externtype_delete(t);
    t = wasm_extern_type(tab);
    assert_int_equal(wasm_tabletype_limits(wasm_externtype_as_tabletype(t))->min, 2);
    wasm_externtype_delete(t);
    t = wasm_extern_type(gc);
    assert_int_equal(wasm_externtype_kind(t), WASM_EXTERN_GLOBAL);
    wasm_externtype_delete(t);

    /* ref conversions: each object is a ref, and back; copies are the same. */
    wasm_func_t *f = wasm_extern_as_func(inc);
    wasm_ref_t *r = wasm_func_as_ref(f);
    assert_ptr_equal(wasm_ref_as_func(r), f);
    assert_ptr_equal(wasm_ref_as_func_const(wasm_func_as_ref_const(f)), f);
    assert_null(wasm_ref_as_memory(r));
    assert_null(wasm_ref_as_instance(r));
    assert_ptr_equal(wasm_ref_as_extern(wasm_extern_as_ref(inc)), inc);
    wasm_ref_t *rc = wasm_ref_copy(r);
    assert_true(wasm_ref_same(rc, r));
    assert_false(wasm_ref_same(rc, wasm_memory_as_ref(wasm_extern_as_memory(mem))));
    wasm_ref_delete(rc);
    wasm_func_t *fc = wasm_func_copy(f);
    assert_true(wasm_func_same(fc, f));
    wasm_func_delete(fc);
    assert_ptr_equal(wasm_ref_as_instance(wasm_instance_as_ref(inst)), inst);
    assert_ptr_equal(wasm_ref_as_module(wasm_module_as_ref(m)), m);
    wasm_instance_t *ic = wasm_instance_copy(inst);
    assert_true(wasm_instance_same(ic, inst));
    wasm_instance_delete(ic);
    wasm_module_t *mc = wasm_module_copy(m);
    assert_true(wasm_module_same(mc, m));
    wasm_module_delete(mc);
    wasm_global_t *g1 = wasm_extern_as_global(gc), *g2 = wasm_global_copy(g1);
    assert_true(wasm_global_same(g1, g2));
    wasm_global_delete(g2);

    wasm_extern_vec_t copy;
    wasm_extern_vec_copy(&copy, &ex);
    assert_true(wasm_extern_same(copy.data[0], ex.data[0]));
    assert_ptr_not_equal(copy.data[0], ex.data[0]);
    wasm_extern_vec_delete(&copy);
    wasm_extern_vec_delete(&ex);
    /* Deleting the handles does not end the instance: the store owns it. */
    wasm_instance_exports(inst, &ex);
    wasm_func_t *again = wasm_extern_as_func(capi_export(m, &ex, "inc"));
    wasm_val_t args[] = {WASM_I32_VAL(41)}, res[1];
    wasm_val_vec_t av = WASM_ARRAY_VEC(args), rv = WASM_ARRAY_VEC(res);
    wasm_instance_delete(inst);
    assert_null(wasm_func_call(again, &av, &rv));
    assert_int_equal(res[0].of.i32, 42);
    wasm_extern_vec_delete(&ex);
    wasm_module_delete(m);
}

static int finalized;
static void finalize(void *p) { finalized += *(int *)p; }

static void host_info(void **state)
{
    env *e = *state;
    static int one = 1, ten = 10;
    finalized = 0;
    wasm_foreign_t *f = wasm_foreign_new(e->store);
    assert_null(wasm_foreign_get_host_info(f));
    wasm_foreign_set_host_info(f, &one);
    assert_ptr_equal(wasm_foreign_get_host_info(f), &one);
    wasm_foreign_set_host_info_with_finalizer(f, &ten, finalize);
    assert_ptr_equal(wasm_foreign_get_host_info(f), &ten);
    /* Replacing the info finalizes the old one. */
    wasm_foreign_set_host_info_with_finalizer(f, &one, finalize);
    assert_int_equal(finalized, 10);
    wasm_foreign_t *c = wasm_foreign_copy(f);
    assert_true(wasm_foreign_same(c, f));
    assert_null(wasm_foreign_get_host_info(c)); /* host info is the handle's */
    wasm_foreign_delete(c);
    assert_int_equal(finalized, 10);
    wasm_foreign_delete(f);
    assert_int_equal(finalized, 11);

    /* Every kind of object has it. */
    wasm_module_t *m = capi_module(e->store, "capi_values");
    wasm_module_set_host_info_with_finalizer(m, &ten, finalize);
    assert_ptr_equal(wasm_module_get_host_info(m), &ten);
    wasm_instance_t *inst = wasm_instance_new(e->store, m, NULL, NULL);
    wasm_instance_set_host_info_with_finalizer(inst, &one, finalize);
    wasm_extern_vec_t ex;
    wasm_instance_exports(inst, &ex);
    wasm_extern_set_host_info(ex.data[0], &one);
    assert_ptr_equal(wasm_extern_get_host_info(ex.data[0]), &one);
    wasm_memory_t *mem = wasm_extern_as_memory(ex.data[0]);
    assert_ptr_equal(wasm_memory_get_host_info(mem), &one);
    wasm_global_set_host_info(wasm_extern_as_global(ex.data[1]), &ten);
    assert_ptr_equal(wasm_ref_get_host_info(wasm_extern_as_ref(ex.data[1])), &ten);
    wasm_table_t *tab = wasm_extern_as_table(capi_export(m, &ex, "tab"));
    wasm_table_set_host_info(tab, &one);
    assert_ptr_equal(wasm_table_get_host_info(tab), &one);
    wasm_func_t *func = wasm_extern_as_func(capi_export(m, &ex, "inc"));
    wasm_func_set_host_info_with_finalizer(func, &one, finalize);
    assert_ptr_equal(wasm_func_get_host_info(func), &one);
    wasm_message_t msg;
    wasm_name_new_from_string_nt(&msg, "x");
    wasm_trap_t *trap = wasm_trap_new(e->store, &msg);
    wasm_name_delete(&msg);
    wasm_trap_set_host_info_with_finalizer(trap, &ten, finalize);
    assert_ptr_equal(wasm_trap_get_host_info(trap), &ten);
    finalized = 0;
    wasm_trap_delete(trap);
    wasm_extern_vec_delete(&ex);
    wasm_instance_delete(inst);
    wasm_module_delete(m);
    assert_int_equal(finalized, 10 + 1 + 1 + 10);
}

static void foreign_refs(void **state)
{
    env *e = *state;
    wasm_foreign_t *f = wasm_foreign_new(e->store), *g = wasm_foreign_new(e->store);
    assert_false(wasm_foreign_same(f, g));
    wasm_ref_t *r = wasm_foreign_as_ref(f);
    assert_ptr_equal(wasm_ref_as_foreign(r), f);
    assert_null(wasm_ref_as_func(r));
    assert_ptr_equal(wasm_ref_as_foreign_const(wasm_foreign_as_ref_const(f)), f);
    /* Through wasm and back as an externref: the same object. */
    wasm_module_t *m = capi_module(e->store, "capi_values");
    wasm_instance_t *inst = wasm_instance_new(e->store, m, NULL, NULL);
    wasm_extern_vec_t ex;
    wasm_instance_exports(inst, &ex);
    const wasm_func_t *id = wasm_extern_as_func(capi_export(m, &ex, "id_externref"));
    wasm_val_t args[] = {WASM_REF_VAL(r)}, res[1];
    wasm_val_vec_t av = WASM_ARRAY_VEC(args), rv = WASM_ARRAY_VEC(res);
    assert_null(wasm_func_call(id, &av, &rv));
    assert_int_equal(res[0].kind, WASM_EXTERNREF);
    assert_non_null(res[0].of.ref);
    assert_ptr_not_equal(res[0].of.ref, r);
    assert_true(wasm_ref_same(res[0].of.ref, r));
    assert_ptr_not_equal(wasm_ref_as_foreign(res[0].of.ref), NULL);
    wasm_val_delete(&res[0]);
    /* A function passed as an externref comes back as a function. */
    wasm_func_t *inc = wasm_extern_as_func(capi_export(m, &ex, "inc"));
    args[0].of.ref = wasm_func_as_ref(inc);
    assert_null(wasm_func_call(id, &av, &rv));
    assert_true(wasm_ref_same(res[0].of.ref, wasm_func_as_ref(inc)));
    assert_non_null(wasm_ref_as_func(res[0].of.ref));
    wasm_val_delete(&res[0]);
    /* null */
    args[0].of.ref = NULL;
    assert_null(wasm_func_call(id, &av, &rv));
    assert_null(res[0].of.ref);
    wasm_extern_vec_delete(&ex);
    wasm_instance_delete(inst);
    wasm_module_delete(m);
    wasm_foreign_delete(f);
    wasm_foreign_delete(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(bad_modules, setup, teardown),
        cmocka_unit_test_setup_teardown(imports_and_exports, setup, teardown),
        cmocka_unit_test_setup_teardown(serialize_and_share, setup, teardown),
        cmocka_unit_test_setup_teardown(instance_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(exports_and_conversions, setup, teardown),
        cmocka_unit_test_setup_teardown(host_info, setup, teardown),
        cmocka_unit_test_setup_teardown(foreign_refs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

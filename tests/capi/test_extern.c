/*
 * test_extern.c -- the C API's globals (mutable, immutable), tables (get,
 * set, grow with funcrefs and externrefs) and memories (data, size, grow,
 * grow failure, shared memories across instances).
 */
#include "capi_test.h"
#include "support/signals.h"


static wasm_extern_t *exp_(capi_env *e, const char *name) { return capi_export(e->module, &e->exports, name); }

static void globals(void **state)
{
    capi_env *e = *state;
    wasm_val_t v;
    /* exported: immutable i32, mutable i64 and f64 */
    wasm_global_t *gc = wasm_extern_as_global(exp_(e, "gc"));
    wasm_global_get(gc, &v);
    assert_int_equal(v.kind, WASM_I32);
    assert_int_equal(v.of.i32, 7);
    wasm_val_t seven = WASM_I32_VAL(99);
    wasm_global_set(gc, &seven); /* immutable: nothing changes */
    wasm_global_get(gc, &v);
    assert_int_equal(v.of.i32, 7);
    wasm_globaltype_t *t = wasm_global_type(gc);
    assert_int_equal(wasm_globaltype_mutability(t), WASM_CONST);
    assert_int_equal(wasm_valtype_kind(wasm_globaltype_content(t)), WASM_I32);
    wasm_globaltype_delete(t);

    wasm_global_t *gv = wasm_extern_as_global(exp_(e, "gv"));
    wasm_global_get(gv, &v);
    assert_int_equal(v.of.i64, -5);
    wasm_val_t nv = WASM_I64_VAL(1234567890123LL);
    wasm_global_set(gv, &nv);
    wasm_global_get(gv, &v);
    assert_int_equal(v.of.i64, 1234567890123LL);
    wasm_val_t wrong = WASM_I32_VAL(1); /* the wrong kind: nothing changes */
    wasm_global_set(gv, &wrong);
    wasm_global_get(gv, &v);
    assert_int_equal(v.kind, WASM_I64);
    assert_int_equal(v.of.i64, 1234567890123LL);
    t = wasm_global_type(gv);
    assert_int_equal(wasm_globaltype_mutability(t), WASM_VAR);
    wasm_globaltype_delete(t);

    /* made by the host */
    wasm_globaltype_t *ft = wasm_globaltype_new(wasm_valtype_new_f32(), WASM_VAR);
    wasm_val_t init = WASM_F32_VAL(0.5f);
    wasm_global_t *hg = wasm_global_new(e->store, ft, &init);
    assert_non_null(hg);
    wasm_global_get(hg, &v);
    assert_true(v.of.f32 == 0.5f);
    wasm_val_t bad = WASM_F64_VAL(1.0);
    assert_null(wasm_global_new(e->store, ft, &bad)); /* the wrong kind */
    wasm_globaltype_delete(ft);
    wasm_global_delete(hg);
    wasm_globaltype_t *ct = wasm_globaltype_new(wasm_valtype_new_i64(), WASM_CONST);
    wasm_val_t ci = WASM_I64_VAL(3);
    wasm_global_t *cg = wasm_global_new(e->store, ct, &ci);
    wasm_val_t cn = WASM_I64_VAL(4);
    wasm_global_set(cg, &cn);
    wasm_global_get(cg, &v);
    assert_int_equal(v.of.i64, 3);
    wasm_global_delete(cg);
    wasm_globaltype_delete(ct);

    /* an externref global */
    wasm_globaltype_t *rt = wasm_globaltype_new(wasm_valtype_new_externref(), WASM_VAR);
    wasm_foreign_t *fo = wasm_foreign_new(e->store);
    wasm_val_t ri = WASM_REF_VAL(wasm_foreign_as_ref(fo));
    wasm_global_t *rg = wasm_global_new(e->store, rt, &ri);
    wasm_global_get(rg, &v);
    assert_true(wasm_ref_same(v.of.ref, wasm_foreign_as_ref(fo)));
    wasm_val_delete(&v);
    wasm_global_delete(rg);
    wasm_globaltype_delete(rt);
    wasm_foreign_delete(fo);
}

static void tables(void **state)
{
    capi_env *e = *state;
    wasm_table_t *tab = wasm_extern_as_table(exp_(e, "tab"));
    const wasm_func_t *inc = wasm_extern_as_func(exp_(e, "inc"));
    assert_int_equal(wasm_table_size(tab), 2);
    wasm_ref_t *r0 = wasm_table_get(tab, 0);
    assert_non_null(r0);
    assert_true(wasm_func_same(wasm_ref_as_func(r0), inc));
    assert_null(wasm_table_get(tab, 1)); /* null */
    assert_null(wasm_table_get(tab, 2)); /* out of bounds */
    /* set element 1 and call through it */
    assert_true(wasm_table_set(tab, 1, r0));
    wasm_val_t a[] = {WASM_I32_VAL(1), WASM_I32_VAL(9)}, r[1];
    wasm_val_vec_t av = WASM_ARRAY_VEC(a), rv = WASM_ARRAY_VEC(r);
    assert_null(wasm_func_call(wasm_extern_as_func(exp_(e, "call_tab")), &av, &rv));
    assert_int_equal(r[0].of.i32, 10);
    assert_false(wasm_table_set(tab, 2, r0)); /* out of bounds */
    wasm_foreign_t *fo = wasm_foreign_new(e->store);
    assert_false(wasm_table_set(tab, 0, wasm_foreign_as_ref(fo))); /* not a function */
    assert_true(wasm_table_set(tab, 1, NULL));
    assert_null(wasm_table_get(tab, 1));
    /* grow to the maximum of 4, with a function; past it fails */
    assert_true(wasm_table_grow(tab, 2, r0));
    assert_int_equal(wasm_table_size(tab), 4);
    wasm_ref_t *r3 = wasm_table_get(tab, 3);
    assert_true(wasm_ref_same(r3, r0));
    wasm_ref_delete(r3);
    assert_false(wasm_table_grow(tab, 1, NULL));
    assert_int_equal(wasm_table_size(tab), 4);
    wasm_tabletype_t *tt = wasm_table_type(tab);
    assert_int_equal(wasm_tabletype_limits(tt)->min, 4);
    assert_int_equal(wasm_tabletype_limits(tt)->max, 4);
    wasm_tabletype_delete(tt);
    wasm_ref_delete(r0);

    /* a host table of externrefs */
    wasm_limits_t l = {1, 3};
    wasm_tabletype_t *et = wasm_tabletype_new(wasm_valtype_new_externref(), &l);
    wasm_table_t *ht = wasm_table_new(e->store, et, wasm_foreign_as_ref(fo));
    assert_non_null(ht);
    wasm_ref_t *g = wasm_table_get(ht, 0);
    assert_true(wasm_ref_same(g, wasm_foreign_as_ref(fo)));
    wasm_ref_delete(g);
    assert_true(wasm_table_grow(ht, 1, NULL));
    assert_null(wasm_table_get(ht, 1));
    assert_false(wasm_table_grow(ht, 5, NULL));
    wasm_table_delete(ht);
    /* a funcref table cannot start with a foreign object */
    wasm_tabletype_t *bt = wasm_tabletype_new(wasm_valtype_new_funcref(), &l);
    assert_null(wasm_table_new(e->store, bt, wasm_foreign_as_ref(fo)));
    wasm_tabletype_delete(bt);
    wasm_tabletype_delete(et);
    wasm_foreign_delete(fo);
}

static void memories(void **state)
{
    capi_env *e = *state;
    wasm_memory_t *mem = wasm_extern_as_memory(exp_(e, "mem"));
    assert_int_equal(wasm_memory_size(mem), 1);
    assert_int_equal(wasm_memory_data_size(mem), MEMORY_PAGE_SIZE);
    byte_t *data = wasm_memory_data(mem);
    assert_int_equal(data[16], 0x2a); /* the data segment */
    data[100] = 5;
    wasm_val_t a[] = {WASM_I32_VAL(100)}, r[1];
    wasm_val_vec_t av = WASM_ARRAY_VEC(a), rv = WASM_ARRAY_VEC(r);
    const wasm_func_t *load = wasm_extern_as_func(exp_(e, "load"));
    assert_null(wasm_func_call(load, &av, &rv));
    assert_int_equal(r[0].of.i32, 5);
    /* out of bounds before growing, fine after; the base does not move */
    a[0].of.i32 = 70000;
    test_traps_on(); /* a guard-page fault, under cmocka's handlers */
    wasm_trap_t *trap = wasm_func_call(load, &av, &rv);
    test_traps_off();
    assert_non_null(trap);
    wasm_trap_delete(trap);
    assert_true(wasm_memory_grow(mem, 2));
    assert_int_equal(wasm_memory_size(mem), 3);
    assert_int_equal(wasm_memory_data_size(mem), 3 * MEMORY_PAGE_SIZE);
    assert_ptr_equal(wasm_memory_data(mem), data);
    assert_null(wasm_func_call(load, &av, &rv));
    assert_int_equal(r[0].of.i32, 0);
    assert_false(wasm_memory_grow(mem, 1)); /* the maximum is 3 */
    assert_int_equal(wasm_memory_size(mem), 3);
    wasm_memorytype_t *mt = wasm_memory_type(mem);
    assert_int_equal(wasm_memorytype_limits(mt)->min, 3);
    assert_int_equal(wasm_memorytype_limits(mt)->max, 3);
    wasm_memorytype_delete(mt);

    /* a host memory */
    wasm_limits_t l = {0, 1};
    wasm_memorytype_t *ht = wasm_memorytype_new(&l);
    wasm_memory_t *hm = wasm_memory_new(e->store, ht);
    assert_non_null(hm);
    assert_int_equal(wasm_memory_data_size(hm), 0);
    assert_true(wasm_memory_grow(hm, 1));
    wasm_memory_data(hm)[65535] = 1;
    assert_false(wasm_memory_grow(hm, 1));
    wasm_memory_delete(hm);
    wasm_memorytype_delete(ht);
    wasm_limits_t bad = {2, 1};
    wasm_memorytype_t *bt = wasm_memorytype_new(&bad);
    assert_null(wasm_memory_new(e->store, bt)); /* min over max */
    wasm_memorytype_delete(bt);
}

/* A module defining a shared memory and one importing it share its bytes;
 * a memory made from the import's type is shared too. */
static void shared_memories(void **state)
{
    capi_env *e = *state;
    wasm_module_t *def = capi_module(e->store, "capi_shared_def");
    wasm_module_t *use = capi_module(e->store, "capi_shared");
    wasm_instance_t *di = wasm_instance_new(e->store, def, NULL, NULL);
    assert_non_null(di);
    wasm_extern_vec_t dex;
    wasm_instance_exports(di, &dex);
    wasm_memory_t *mem = wasm_extern_as_memory(capi_export(def, &dex, "mem"));
    wasm_extern_t *imports[] = {wasm_memory_as_extern(mem)};
    wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
    wasm_instance_t *ui = wasm_instance_new(e->store, use, &iv, NULL);
    assert_non_null(ui);
    wasm_extern_vec_t uex;
    wasm_instance_exports(ui, &uex);
    wasm_val_t a[] = {WASM_I32_VAL(8), WASM_I32_VAL(5)}, r[1];
    wasm_val_vec_t av = WASM_ARRAY_VEC(a), rv = WASM_ARRAY_VEC(r);
    const wasm_func_t *add = wasm_extern_as_func(capi_export(use, &uex, "add"));
    assert_null(wasm_func_call(add, &av, &rv));
    assert_null(wasm_func_call(add, &av, &rv));
    assert_int_equal(r[0].of.i32, 5);
    assert_int_equal(wasm_memory_data(mem)[8], 10);
    wasm_val_t g[] = {WASM_I32_VAL(8)};
    wasm_val_vec_t gv = WASM_ARRAY_VEC(g);
    assert_null(wasm_func_call(wasm_extern_as_func(capi_export(def, &dex, "get")), &gv, &rv));
    assert_int_equal(r[0].of.i32, 10);

    /* The import's type makes a shared memory the module accepts. */
    wasm_importtype_vec_t its;
    wasm_module_imports(use, &its);
    wasm_memory_t *made =
        wasm_memory_new(e->store, wasm_externtype_as_memorytype_const(wasm_importtype_type(its.data[0])));
    assert_non_null(made);
    imports[0] = wasm_memory_as_extern(made);
    wasm_instance_t *ui2 = wasm_instance_new(e->store, use, &iv, NULL);
    assert_non_null(ui2);
    /* A memory that is not shared does not link. */
    wasm_limits_t l = {1, 2};
    wasm_memorytype_t *plain = wasm_memorytype_new(&l);
    wasm_memory_t *pm = wasm_memory_new(e->store, plain);
    imports[0] = wasm_memory_as_extern(pm);
    wasm_trap_t *trap = NULL;
    assert_null(wasm_instance_new(e->store, use, &iv, &trap));
    assert_non_null(trap);
    wasm_trap_delete(trap);
    wasm_memory_delete(pm);
    wasm_memorytype_delete(plain);
    wasm_instance_delete(ui2);
    wasm_memory_delete(made);
    wasm_importtype_vec_delete(&its);
    wasm_extern_vec_delete(&uex);
    wasm_extern_vec_delete(&dex);
    wasm_instance_delete(ui);
    wasm_instance_delete(di);
    wasm_module_delete(use);
    wasm_module_delete(def);
}

int main(void)
{
    if (!test_signals_save())
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(globals, capi_open_values, capi_close_values),
        cmocka_unit_test_setup_teardown(tables, capi_open_values, capi_close_values),
        cmocka_unit_test_setup_teardown(memories, capi_open_values, capi_close_values),
        cmocka_unit_test_setup_teardown(shared_memories, capi_open_values, capi_close_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

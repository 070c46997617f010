/*
 * test_types.c -- the C API's vectors, type objects and their accessors,
 * copies and externtype views, values, and config/engine/store.
 */
#include "capi_test.h"

static void vec_helpers(void **state)
{
    (void)state;
    wasm_byte_vec_t a, b, e;
    wasm_byte_vec_new(&a, 3, "abc");
    assert_int_equal(a.size, 3);
    assert_memory_equal(a.data, "abc", 3);
    wasm_byte_vec_copy(&b, &a);
    assert_int_equal(b.size, 3);
    assert_ptr_not_equal(b.data, a.data);
    assert_memory_equal(b.data, "abc", 3);
    wasm_byte_vec_new_empty(&e);
    assert_int_equal(e.size, 0);
    assert_null(e.data);
    wasm_byte_vec_delete(&a);
    assert_int_equal(a.size, 0);
    assert_null(a.data);
    wasm_byte_vec_delete(&b);
    wasm_byte_vec_delete(&e);

    wasm_byte_vec_new_uninitialized(&a, 5);
    assert_int_equal(a.size, 5);
    memcpy(a.data, "hello", 5);
    wasm_byte_vec_delete(&a);

    wasm_name_t n;
    wasm_name_new_from_string(&n, "name");
    assert_int_equal(n.size, 4);
    wasm_name_delete(&n);
    wasm_name_new_from_string_nt(&n, "name");
    assert_int_equal(n.size, 5);
    assert_int_equal(n.data[4], '\0');
    wasm_name_delete(&n);

    /* A vector of pointers owns its elements; copy copies each. */
    wasm_valtype_t *types[] = {wasm_valtype_new_i32(), wasm_valtype_new_f64()};
    wasm_valtype_vec_t v, w;
    wasm_valtype_vec_new(&v, 2, types);
    wasm_valtype_vec_copy(&w, &v);
    assert_int_equal(w.size, 2);
    assert_ptr_not_equal(w.data[0], v.data[0]);
    assert_int_equal(wasm_valtype_kind(w.data[1]), WASM_F64);
    wasm_valtype_vec_delete(&v);
    wasm_valtype_vec_delete(&w);

    /* An uninitialized vector of pointers may be deleted before it is filled. */
    wasm_extern_vec_t ev;
    wasm_extern_vec_new_uninitialized(&ev, 4);
    assert_int_equal(ev.size, 4);
    wasm_extern_vec_delete(&ev);

    /* Values: a vector of them, and the initialiser macros. */
    wasm_val_t vals[] = {WASM_I32_VAL(1), WASM_I64_VAL(-2), WASM_F32_VAL(1.5f),
                         WASM_F64_VAL(-0.25), WASM_REF_VAL(NULL), WASM_INIT_VAL};
    wasm_val_vec_t vv, vc;
    wasm_val_vec_new(&vv, 6, vals);
    wasm_val_vec_copy(&vc, &vv);
    assert_int_equal(vc.size, 6);
    assert_int_equal(vc.data[0].of.i32, 1);
    assert_int_equal(vc.data[1].of.i64, -2);
    assert_true(vc.data[2].of.f32 == 1.5f);
    assert_true(vc.data[3].of.f64 == -0.25);
    assert_int_equal(vc.data[4].kind, WASM_EXTERNREF);
    assert_null(vc.data[5].of.ref);
    wasm_val_vec_delete(&vv);
    wasm_val_vec_delete(&vc);

    wasm_val_vec_t arr = WASM_ARRAY_VEC(vals), none = WASM_EMPTY_VEC;
    assert_int_equal(arr.size, 6);
    assert_int_equal(none.size, 0);
    assert_null(none.data);
}

static void value_types(void **state)
{
    (void)state;
    wasm_valkind_t kinds[] = {WASM_I32, WASM_I64, WASM_F32, WASM_F64, WASM_EXTERNREF, WASM_FUNCREF};
    for (size_t i = 0; i < 6; i++) {
        wasm_valtype_t *t = wasm_valtype_new(kinds[i]);
        assert_int_equal(wasm_valtype_kind(t), kinds[i]);
        assert_int_equal(wasm_valtype_is_num(t), i < 4);
        assert_int_equal(wasm_valtype_is_ref(t), i >= 4);
        wasm_valtype_t *c = wasm_valtype_copy(t);
        assert_int_equal(wasm_valtype_kind(c), kinds[i]);
        wasm_valtype_delete(t);
        wasm_valtype_delete(c);
    }
    assert_int_equal(WASM_ANYREF, WASM_EXTERNREF);
}

static void function_types(void **state)
{
    (void)state;
    wasm_functype_t *f = wasm_functype_new_2_1(wasm_valtype_new_i32(), wasm_valtype_new_i64(),
                                               wasm_valtype_new_funcref());
    const wasm_valtype_vec_t *p = wasm_functype_params(f), *r = wasm_functype_results(f);
    assert_int_equal(p->size, 2);
    assert_int_equal(r->size, 1);
    assert_int_equal(wasm_valtype_kind(p->data[0]), WASM_I32);
    assert_int_equal(wasm_valtype_kind(p->data[1]), WASM_I64);
    assert_int_equal(wasm_valtype_kind(r->data[0]), WASM_FUNCREF);

    wasm_functype_t *c = wasm_functype_copy(f);
    assert_int_equal(wasm_functype_params(c)->size, 2);
    assert_ptr_not_equal(wasm_functype_params(c)->data[0], p->data[0]);

    /* The externtype view is the same object, both ways. */
    wasm_externtype_t *et = wasm_functype_as_externtype(f);
    assert_int_equal(wasm_externtype_kind(et), WASM_EXTERN_FUNC);
    assert_ptr_equal(wasm_externtype_as_functype(et), f);
    assert_ptr_equal(wasm_externtype_as_functype_const(wasm_functype_as_externtype_const(f)), f);
    assert_null(wasm_externtype_as_globaltype(et));
    assert_null(wasm_externtype_as_tabletype(et));
    assert_null(wasm_externtype_as_memorytype(et));
    wasm_externtype_t *ec = wasm_externtype_copy(et);
    assert_int_equal(wasm_functype_results(wasm_externtype_as_functype(ec))->size, 1);
    wasm_externtype_delete(ec);
    wasm_functype_delete(f);
    wasm_functype_delete(c);

    wasm_functype_t *z = wasm_functype_new_0_0();
    assert_int_equal(wasm_functype_params(z)->size, 0);
    assert_int_equal(wasm_functype_results(z)->size, 0);
    wasm_functype_delete(z);
    wasm_functype_t *big = wasm_functype_new_3_2(wasm_valtype_new_i32(), wasm_valtype_new_i32(),
                                                 wasm_valtype_new_i32(), wasm_valtype_new_f32(),
                                                 wasm_valtype_new_f64());
    assert_int_equal(wasm_functype_params(big)->size, 3);
    assert_int_equal(wasm_valtype_kind(wasm_functype_results(big)->data[1]), WASM_F64);
    wasm_functype_delete(big);
}

/* Whether `t` has `np` parameters and `nr` results, of kinds i32, i64, f32,
 * f64, externref in that order (params first); deletes it. */
static void assert_shape(wasm_functype_t *t, size_t np, size_t nr)
{
    static const wasm_valkind_t kinds[] = {WASM_I32, WASM_I64, WASM_F32, WASM_F64, WASM_EXTERNREF};
    const wasm_valtype_vec_t *p = wasm_functype_params(t), *r = wasm_functype_results(t);
    assert_int_equal(p->size, np);
    assert_int_equal(r->size, nr);
    for (size_t i = 0; i < np; i++)
        assert_int_equal(wasm_valtype_kind(p->data[i]), kinds[i]);
    for (size_t i = 0; i < nr; i++)
        assert_int_equal(wasm_valtype_kind(r->data[i]), kinds[np + i]);
    wasm_functype_delete(t);
}

/* Every wasm_functype_new_P_R of wasm.h.  (With no results they once gave
 * wasm_valtype_vec_new a pointer past their array, which gcc -O2 rejects
 * under -Werror in the embedder's own program: this file is built so.) */
static void functype_shorthands(void **state)
{
    (void)state;
#define I32 wasm_valtype_new_i32()
#define I64 wasm_valtype_new_i64()
#define F32 wasm_valtype_new_f32()
#define F64 wasm_valtype_new_f64()
#define EXT wasm_valtype_new_externref()
    assert_shape(wasm_functype_new_0_0(), 0, 0);
    assert_shape(wasm_functype_new_1_0(I32), 1, 0);
    assert_shape(wasm_functype_new_2_0(I32, I64), 2, 0);
    assert_shape(wasm_functype_new_3_0(I32, I64, F32), 3, 0);
    assert_shape(wasm_functype_new_0_1(I32), 0, 1);
    assert_shape(wasm_functype_new_1_1(I32, I64), 1, 1);
    assert_shape(wasm_functype_new_2_1(I32, I64, F32), 2, 1);
    assert_shape(wasm_functype_new_3_1(I32, I64, F32, F64), 3, 1);
    assert_shape(wasm_functype_new_0_2(I32, I64), 0, 2);
    assert_shape(wasm_functype_new_1_2(I32, I64, F32), 1, 2);
    assert_shape(wasm_functype_new_2_2(I32, I64, F32, F64), 2, 2);
    assert_shape(wasm_functype_new_3_2(I32, I64, F32, F64, EXT), 3, 2);
#undef I32
#undef I64
#undef F32
#undef F64
#undef EXT
}

static void global_table_memory_types(void **state)
{
    (void)state;
    wasm_globaltype_t *g = wasm_globaltype_new(wasm_valtype_new_f32(), WASM_VAR);
    assert_int_equal(wasm_valtype_kind(wasm_globaltype_content(g)), WASM_F32);
    assert_int_equal(wasm_globaltype_mutability(g), WASM_VAR);
    wasm_externtype_t *ge = wasm_globaltype_as_externtype(g);
    assert_int_equal(wasm_externtype_kind(ge), WASM_EXTERN_GLOBAL);
    assert_ptr_equal(wasm_externtype_as_globaltype(ge), g);
    assert_null(wasm_externtype_as_functype(ge));
    wasm_globaltype_t *gc = wasm_globaltype_copy(g);
    assert_int_equal(wasm_globaltype_mutability(gc), WASM_VAR);
    wasm_globaltype_delete(gc);
    wasm_globaltype_delete(g);

    wasm_limits_t lim = {2, 10};
    wasm_tabletype_t *t = wasm_tabletype_new(wasm_valtype_new_funcref(), &lim);
    assert_int_equal(wasm_valtype_kind(wasm_tabletype_element(t)), WASM_FUNCREF);
    assert_int_equal(wasm_tabletype_limits(t)->min, 2);
    assert_int_equal(wasm_tabletype_limits(t)->max, 10);
    assert_int_equal(wasm_externtype_kind(wasm_tabletype_as_externtype(t)), WASM_EXTERN_TABLE);
    assert_ptr_equal(wasm_externtype_as_tabletype_const(wasm_tabletype_as_externtype_const(t)), t);
    wasm_tabletype_t *tc = wasm_tabletype_copy(t);
    assert_int_equal(wasm_tabletype_limits(tc)->max, 10);
    wasm_tabletype_delete(tc);
    wasm_tabletype_delete(t);

    wasm_limits_t ml = {1, wasm_limits_max_default};
    wasm_memorytype_t *m = wasm_memorytype_new(&ml);
    assert_int_equal(wasm_memorytype_limits(m)->min, 1);
    assert_int_equal(wasm_memorytype_limits(m)->max, wasm_limits_max_default);
    wasm_externtype_t *me = wasm_memorytype_as_externtype(m);
    assert_int_equal(wasm_externtype_kind(me), WASM_EXTERN_MEMORY);
    assert_ptr_equal(wasm_externtype_as_memorytype(me), m);
    wasm_memorytype_t *mc = wasm_memorytype_copy(m);
    assert_int_equal(wasm_memorytype_limits(mc)->min, 1);
    wasm_memorytype_delete(mc);
    wasm_memorytype_delete(m);
}

static void import_export_types(void **state)
{
    (void)state;
    wasm_name_t mod, name, ename;
    wasm_name_new_from_string(&mod, "env");
    wasm_name_new_from_string(&name, "f");
    wasm_importtype_t *it =
        wasm_importtype_new(&mod, &name, wasm_functype_as_externtype(wasm_functype_new_0_0()));
    assert_int_equal(wasm_importtype_module(it)->size, 3);
    assert_memory_equal(wasm_importtype_module(it)->data, "env", 3);
    assert_memory_equal(wasm_importtype_name(it)->data, "f", 1);
    assert_int_equal(wasm_externtype_kind(wasm_importtype_type(it)), WASM_EXTERN_FUNC);
    wasm_importtype_t *ic = wasm_importtype_copy(it);
    assert_memory_equal(wasm_importtype_module(ic)->data, "env", 3);
    wasm_importtype_delete(ic);
    wasm_importtype_delete(it);

    wasm_name_new_from_string(&ename, "mem");
    wasm_limits_t l = {1, 2};
    wasm_exporttype_t *et =
        wasm_exporttype_new(&ename, wasm_memorytype_as_externtype(wasm_memorytype_new(&l)));
    assert_memory_equal(wasm_exporttype_name(et)->data, "mem", 3);
    assert_int_equal(wasm_externtype_kind(wasm_exporttype_type(et)), WASM_EXTERN_MEMORY);
    wasm_exporttype_t *ec = wasm_exporttype_copy(et);
    assert_int_equal(
        wasm_memorytype_limits(wasm_externtype_as_memorytype_const(wasm_exporttype_type(ec)))->max,
        2);
    wasm_exporttype_delete(ec);
    wasm_exporttype_delete(et);
}

static void runtime_environment(void **state)
{
    (void)state;
    wasm_config_t *config = wasm_config_new();
    assert_non_null(config);
    wasm_engine_t *engine = wasm_engine_new_with_config(config); /* takes config */
    assert_non_null(engine);
    wasm_store_t *a = wasm_store_new(engine), *b = wasm_store_new(engine);
    assert_non_null(a);
    assert_non_null(b);
    wasm_store_delete(a);
    wasm_store_delete(b);
    wasm_engine_delete(engine);
    engine = wasm_engine_new();
    assert_non_null(engine);
    wasm_engine_delete(engine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vec_helpers),
        cmocka_unit_test(value_types),
        cmocka_unit_test(function_types),
        cmocka_unit_test(functype_shorthands),
        cmocka_unit_test(global_table_memory_types),
        cmocka_unit_test(import_export_types),
        cmocka_unit_test(runtime_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

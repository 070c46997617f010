/*
 * test_threads.c -- the C API from several threads: one engine and one
 * module shared, a store per thread, each instantiating the module with a
 * host function of its own and calling it many times (run under TSan in CI).
 */
#include <pthread.h>

#include "capi_test.h"

enum { THREADS = 4, CALLS = 2000 };

static wasm_engine_t *engine;
static const wasm_module_t *module; /* made in the main thread's store */

static wasm_trap_t *triple(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    (*(int *)env)++;
    results->data[0] = (wasm_val_t)WASM_I32_VAL(args->data[0].of.i32 * 3);
    return NULL;
}

typedef struct worker {
    pthread_t thread;
    int id;
    int host_calls;
    int64_t sum;
    bool ok;
} worker;

static void *work(void *p)
{
    worker *w = p;
    wasm_store_t *store = wasm_store_new(engine);
    wasm_functype_t *t = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
    wasm_func_t *cb = wasm_func_new_with_env(store, t, triple, &w->host_calls, NULL);
    wasm_functype_t *t2 = wasm_functype_new_2_2(wasm_valtype_new_i64(), wasm_valtype_new_f64(),
                                                wasm_valtype_new_f64(), wasm_valtype_new_i64());
    wasm_func_t *cb2 = wasm_func_new_with_env(store, t2, NULL, NULL, NULL); /* no callback: NULL */
    wasm_globaltype_t *gt = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_VAR);
    wasm_val_t g0 = WASM_I32_VAL(w->id);
    wasm_global_t *g = wasm_global_new(store, gt, &g0);
    wasm_limits_t tl = {1, wasm_limits_max_default}, ml = {1, 1};
    wasm_tabletype_t *tt = wasm_tabletype_new(wasm_valtype_new_funcref(), &tl);
    wasm_table_t *tab = wasm_table_new(store, tt, wasm_func_as_ref(cb));
    wasm_memorytype_t *mt = wasm_memorytype_new(&ml);
    wasm_memory_t *mem = wasm_memory_new(store, mt);
    w->ok = cb && !cb2 && g && tab && mem;
    wasm_extern_t *imports[] = {wasm_func_as_extern(cb), wasm_func_as_extern(cb), /* wrong */
                                wasm_global_as_extern(g), wasm_table_as_extern(tab),
                                wasm_memory_as_extern(mem)};
    wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
    wasm_trap_t *trap = NULL;
    /* cb_env's import has another type: instantiation fails with a trap. */
    w->ok = w->ok && !wasm_instance_new(store, module, &iv, &trap) && trap;
    if (trap)
        wasm_trap_delete(trap);
    /* ... so give it a function of the right type, that traps. */
    wasm_func_t *cb3 = wasm_func_new_with_env(store, t2, triple,
                                              &w->host_calls, NULL);
    wasm_functype_delete(t2);
    imports[1] = wasm_func_as_extern(cb3);
    wasm_instance_t *inst = wasm_instance_new(store, module, &iv, NULL);
    w->ok = w->ok && inst;
    if (inst) {
        wasm_extern_vec_t ex;
        wasm_instance_exports(inst, &ex);
        const wasm_func_t *call_cb = wasm_extern_as_func(ex.data[0]);
        const wasm_func_t *get_g = wasm_extern_as_func(ex.data[2]);
        for (int i = 0; i < CALLS; i++) {
            wasm_val_t a[] = {WASM_I32_VAL(i)}, r[1];
            wasm_val_vec_t av = WASM_ARRAY_VEC(a), rv = WASM_ARRAY_VEC(r);
            wasm_trap_t *tr = wasm_func_call(call_cb, &av, &rv);
            w->ok = w->ok && !tr && r[0].of.i32 == 3 * i;
            w->sum += r[0].of.i32;
        }
        wasm_val_t r[1];
        wasm_val_vec_t none = WASM_EMPTY_VEC, rv = WASM_ARRAY_VEC(r);
        w->ok = w->ok && !wasm_func_call(get_g, &none, &rv) && r[0].of.i32 == w->id;
        wasm_extern_vec_delete(&ex);
        wasm_instance_delete(inst);
    }
    wasm_func_delete(cb);
    wasm_func_delete(cb3);
    wasm_global_delete(g);
    wasm_table_delete(tab);
    wasm_memory_delete(mem);
    wasm_functype_delete(t);
    wasm_globaltype_delete(gt);
    wasm_tabletype_delete(tt);
    wasm_memorytype_delete(mt);
    wasm_store_delete(store);
    return NULL;
}

static void stores_per_thread(void **state)
{
    (void)state;
    engine = wasm_engine_new();
    wasm_store_t *main_store = wasm_store_new(engine);
    wasm_module_t *m = capi_module(main_store, "capi_imports");
    module = m;
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.id = i + 1};
        assert_int_equal(pthread_create(&w[i].thread, NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(w[i].thread, NULL), 0);
        assert_true(w[i].ok);
        assert_int_equal(w[i].host_calls, CALLS);
        assert_int_equal(w[i].sum, 3LL * CALLS * (CALLS - 1) / 2);
    }
    wasm_module_delete(m);
    wasm_store_delete(main_store);
    wasm_engine_delete(engine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stores_per_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

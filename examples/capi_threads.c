/*
 * capi_threads.c -- a multi-threaded host of the standard WebAssembly C API
 * (wasm.h only): one engine and one module, shared by THREADS threads; each
 * thread has a store of its own, obtains the module in it (wasm_module_share
 * and wasm_module_obtain), instantiates it several times with a host
 * function and a global of its own, and calls its functions.
 *
 *   capi_threads GUEST.wasm      (the guest: examples/capi_threads.wat)
 *
 * Exits 0 when every thread got the results its own imports give.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <wasm.h>

enum { THREADS = 4, INSTANCES = 3, CALLS = 5, N = 1000 };

static wasm_engine_t *engine;
static wasm_shared_module_t *shared_module;

typedef struct worker {
    pthread_t thread;
    int32_t id;
    int host_calls;  /* by this thread's `add`, through its env */
    int good_results;
    const char *error;
} worker;

/* "host" "add": (i32) -> i32, x + the thread's id.  env is the worker. */
static wasm_trap_t *add(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    worker *w = env;
    w->host_calls++;
    results->data[0] = (wasm_val_t)WASM_I32_VAL(args->data[0].of.i32 + w->id);
    return NULL;
}

/* One instance's run: `run` CALLS times and `id` once, each result checked. */
static void use_instance(worker *w, wasm_instance_t *instance)
{
    wasm_extern_vec_t exports;
    wasm_instance_exports(instance, &exports);
    const wasm_func_t *run = exports.size == 2 ? wasm_extern_as_func(exports.data[0]) : NULL;
    const wasm_func_t *id = exports.size == 2 ? wasm_extern_as_func(exports.data[1]) : NULL;
    if (!run || !id) {
        w->error = "the module should export two functions";
        wasm_extern_vec_delete(&exports);
        return;
    }
    /* sum of (i + id) for i in [0, N) */
    const int64_t want = (int64_t)N * (N - 1) / 2 + (int64_t)N * w->id;
    for (int c = 0; c < CALLS; c++) {
        wasm_val_t args[] = {WASM_I32_VAL(N)}, results[1] = {WASM_INIT_VAL};
        wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args), result_vec = WASM_ARRAY_VEC(results);
        wasm_trap_t *trap = wasm_func_call(run, &arg_vec, &result_vec);
        if (trap) {
            w->error = "run trapped";
            wasm_trap_delete(trap);
            break;
        }
        if (results[0].kind == WASM_I64 && results[0].of.i64 == want)
            w->good_results++;
    }
    wasm_val_t id_result[1] = {WASM_INIT_VAL};
    wasm_val_vec_t no_args = WASM_EMPTY_VEC, id_vec = WASM_ARRAY_VEC(id_result);
    wasm_trap_t *trap = wasm_func_call(id, &no_args, &id_vec);
    if (trap)
        wasm_trap_delete(trap);
    else if (id_result[0].of.i32 == w->id)
        w->good_results++;
    wasm_extern_vec_delete(&exports);
}

static void *work(void *arg)
{
    worker *w = arg;
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *module = wasm_module_obtain(store, shared_module);
    if (!module) {
        w->error = "cannot obtain the module";
        wasm_store_delete(store);
        return NULL;
    }

    /* This thread's imports: add with the worker as env, and its id. */
    wasm_functype_t *add_type = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
    wasm_func_t *add_func = wasm_func_new_with_env(store, add_type, add, w, NULL);
    wasm_functype_delete(add_type);
    wasm_globaltype_t *id_type = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST);
    wasm_val_t id_value = WASM_I32_VAL(w->id);
    wasm_global_t *id_global = wasm_global_new(store, id_type, &id_value);
    wasm_globaltype_delete(id_type);
    wasm_extern_t *imports[] = {wasm_func_as_extern(add_func), wasm_global_as_extern(id_global)};
    wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);

    for (int i = 0; i < INSTANCES && !w->error; i++) {
        wasm_trap_t *trap = NULL;
        wasm_instance_t *instance = wasm_instance_new(store, module, &import_vec, &trap);
        if (!instance) {
            w->error = "cannot instantiate the module";
            if (trap)
                wasm_trap_delete(trap);
            break;
        }
        use_instance(w, instance);
        wasm_instance_delete(instance);
    }

    wasm_func_delete(add_func);
    wasm_global_delete(id_global);
    wasm_module_delete(module);
    wasm_store_delete(store);
    return NULL;
}

/* The module in the file at `path`, or NULL. */
static wasm_module_t *load_module(wasm_store_t *store, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    wasm_module_t *module = NULL;
    if (size > 0) {
        wasm_byte_vec_t binary;
        wasm_byte_vec_new_uninitialized(&binary, (size_t)size);
        if (fread(binary.data, 1, binary.size, f) == binary.size)
            module = wasm_module_new(store, &binary);
        wasm_byte_vec_delete(&binary);
    }
    fclose(f);
    return module;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: capi_threads capi_threads.wasm\n");
        return 2;
    }
    engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *module = load_module(store, argv[1]);
    if (!module) {
        fprintf(stderr, "capi_threads: cannot load the module %s\n", argv[1]);
        return 1;
    }
    shared_module = wasm_module_share(module);
    wasm_module_delete(module);

    worker workers[THREADS] = {{0}};
    for (int t = 0; t < THREADS; t++) {
        workers[t].id = 1000 * (t + 1);
        if (pthread_create(&workers[t].thread, NULL, work, &workers[t]) != 0) {
            fprintf(stderr, "capi_threads: cannot start a thread\n");
            return 1;
        }
    }
    int failures = 0;
    for (int t = 0; t < THREADS; t++) {
        worker *w = &workers[t];
        pthread_join(w->thread, NULL);
        bool ok = !w->error && w->host_calls == INSTANCES * CALLS * N &&
                  w->good_results == INSTANCES * (CALLS + 1);
        printf("thread %d (id %d): %d instances, %d host calls, %d of %d results right%s%s\n", t,
               w->id, INSTANCES, w->host_calls, w->good_results, INSTANCES * (CALLS + 1),
               w->error ? ": " : "", w->error ? w->error : "");
        failures += !ok;
    }

    wasm_shared_module_delete(shared_module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    if (failures) {
        fprintf(stderr, "capi_threads: %d thread(s) failed\n", failures);
        return 1;
    }
    printf("capi_threads: all checks passed\n");
    return 0;
}

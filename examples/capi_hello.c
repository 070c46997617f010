/*
 * capi_hello.c -- the smallest host of the standard WebAssembly C API
 * (wasm.h only, nothing engine-specific): load a module, give it a host
 * function, call an export that calls the host back.
 *
 *   capi_hello GUEST.wasm      (the guest: examples/capi_hello.wat)
 *
 * run(41) calls the host's hello(42), which answers 420; run adds 1.
 * Exits 0 when every check passed.
 */
#include <stdio.h>
#include <stdlib.h>

#include <wasm.h>

static int host_calls;

/* The function the guest imports as "host" "hello": (i32) -> i32. */
static wasm_trap_t *hello(const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    int32_t n = args->data[0].of.i32;
    printf("hello from the host: called with %d\n", n);
    host_calls++;
    results->data[0] = (wasm_val_t)WASM_I32_VAL(n * 10);
    return NULL;
}

static void die(const char *what)
{
    fprintf(stderr, "capi_hello: %s\n", what);
    exit(1);
}

/* The module in the file at `path`; exits if it cannot be read or is invalid. */
static wasm_module_t *load_module(wasm_store_t *store, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open the module file");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (size <= 0)
        die("cannot read the module file");
    wasm_byte_vec_t binary;
    wasm_byte_vec_new_uninitialized(&binary, (size_t)size);
    if (fread(binary.data, 1, binary.size, f) != binary.size)
        die("cannot read the module file");
    fclose(f);
    wasm_module_t *module = wasm_module_new(store, &binary);
    wasm_byte_vec_delete(&binary);
    if (!module)
        die("the module is not valid");
    return module;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: capi_hello capi_hello.wasm\n");
        return 2;
    }
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *module = load_module(store, argv[1]);

    /* The imports, in the order the module declares them: only hello. */
    wasm_functype_t *hello_type =
        wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
    wasm_func_t *hello_func = wasm_func_new(store, hello_type, hello);
    wasm_functype_delete(hello_type);
    wasm_extern_t *imports[] = {wasm_func_as_extern(hello_func)};
    wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
    wasm_instance_t *instance = wasm_instance_new(store, module, &import_vec, NULL);
    if (!instance)
        die("cannot instantiate the module");

    wasm_extern_vec_t exports;
    wasm_instance_exports(instance, &exports);
    const wasm_func_t *run = exports.size == 1 ? wasm_extern_as_func(exports.data[0]) : NULL;
    if (!run)
        die("the module does not export the function run");

    wasm_val_t args[] = {WASM_I32_VAL(41)};
    wasm_val_t results[1] = {WASM_INIT_VAL};
    wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
    wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
    printf("calling run(41)\n");
    wasm_trap_t *trap = wasm_func_call(run, &arg_vec, &result_vec);
    if (trap)
        die("run trapped");
    printf("run(41) returned %d\n", results[0].of.i32);
    bool ok = results[0].kind == WASM_I32 && results[0].of.i32 == 421 && host_calls == 1;

    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(instance);
    wasm_func_delete(hello_func);
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    if (!ok)
        die("expected 421 after one call of the host");
    printf("capi_hello: all checks passed\n");
    return 0;
}

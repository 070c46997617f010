/*
 * capi_global.c -- globals through the standard WebAssembly C API (wasm.h
 * only): a constant and a mutable global the host makes and the module
 * imports, a constant and a mutable global the module defines and exports;
 * their types, and values written on one side and read on the other.
 *
 *   capi_global GUEST.wasm      (the guest: examples/capi_global.wat)
 *
 * Exits 0 when every check passed.
 */
#include <stdio.h>
#include <stdlib.h>

#include <wasm.h>

static int failures;

static void check(bool ok, const char *what)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok)
        failures++;
}

static void die(const char *what)
{
    fprintf(stderr, "capi_global: %s\n", what);
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

/* The function `func` of no argument and one result: that result. */
static wasm_val_t call_get(const wasm_func_t *func)
{
    wasm_val_t result[1] = {WASM_INIT_VAL};
    wasm_val_vec_t args = WASM_EMPTY_VEC, results = WASM_ARRAY_VEC(result);
    if (wasm_func_call(func, &args, &results))
        die("a getter trapped");
    return result[0];
}

/* The function `func` of one argument and no result. */
static void call_set(const wasm_func_t *func, wasm_val_t value)
{
    wasm_val_t arg[1] = {value};
    wasm_val_vec_t args = WASM_ARRAY_VEC(arg), results = WASM_EMPTY_VEC;
    if (wasm_func_call(func, &args, &results))
        die("a setter trapped");
}

/* The global's value. */
static wasm_val_t get(const wasm_global_t *global)
{
    wasm_val_t v;
    wasm_global_get(global, &v);
    return v;
}

/* Whether `global` has a value of `kind` and mutability `mutability`. */
static bool type_is(const wasm_global_t *global, wasm_valkind_t kind, wasm_mutability_t mutability)
{
    wasm_globaltype_t *type = wasm_global_type(global);
    bool ok = wasm_valtype_kind(wasm_globaltype_content(type)) == kind &&
              wasm_globaltype_mutability(type) == mutability;
    wasm_globaltype_delete(type);
    return ok;
}

/* The instance's export named `name`, which must be of kind `kind`. */
static wasm_extern_t *export_named(const wasm_module_t *module, const wasm_extern_vec_t *exports,
                                   const char *name, wasm_externkind_t kind)
{
    wasm_exporttype_vec_t types;
    wasm_module_exports(module, &types);
    wasm_extern_t *found = NULL;
    for (size_t i = 0; i < types.size && i < exports->size; i++) {
        const wasm_name_t *n = wasm_exporttype_name(types.data[i]);
        if (n->size == strlen(name) && memcmp(n->data, name, n->size) == 0)
            found = exports->data[i];
    }
    wasm_exporttype_vec_delete(&types);
    if (!found || wasm_extern_kind(found) != kind) {
        fprintf(stderr, "capi_global: no export %s of the kind expected\n", name);
        exit(1);
    }
    return found;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: capi_global capi_global.wasm\n");
        return 2;
    }
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *module = load_module(store, argv[1]);

    /* The host's globals: a constant f32 and a mutable i64. */
    wasm_globaltype_t *const_f32_type = wasm_globaltype_new(wasm_valtype_new_f32(), WASM_CONST);
    wasm_globaltype_t *var_i64_type = wasm_globaltype_new(wasm_valtype_new_i64(), WASM_VAR);
    wasm_val_t f32_init = WASM_F32_VAL(0.25f), i64_init = WASM_I64_VAL(-3);
    wasm_global_t *const_f32 = wasm_global_new(store, const_f32_type, &f32_init);
    wasm_global_t *var_i64 = wasm_global_new(store, var_i64_type, &i64_init);
    wasm_globaltype_delete(const_f32_type);
    wasm_globaltype_delete(var_i64_type);
    if (!const_f32 || !var_i64)
        die("cannot make the host's globals");

    wasm_extern_t *imports[] = {wasm_global_as_extern(const_f32), wasm_global_as_extern(var_i64)};
    wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
    wasm_instance_t *instance = wasm_instance_new(store, module, &import_vec, NULL);
    if (!instance)
        die("cannot instantiate the module");
    wasm_extern_vec_t exports;
    wasm_instance_exports(instance, &exports);
#define FUNC(name) wasm_extern_as_func(export_named(module, &exports, name, WASM_EXTERN_FUNC))
#define GLOBAL(name) wasm_extern_as_global(export_named(module, &exports, name, WASM_EXTERN_GLOBAL))
    wasm_global_t *const_i32 = GLOBAL("const_i32");
    wasm_global_t *var_f64 = GLOBAL("var_f64");
    wasm_global_t *var_i64_again = GLOBAL("var_i64");
    const wasm_func_t *get_const_f32 = FUNC("get_const_f32");
    const wasm_func_t *get_var_i64 = FUNC("get_var_i64");
    const wasm_func_t *set_var_i64 = FUNC("set_var_i64");
    const wasm_func_t *get_const_i32 = FUNC("get_const_i32");
    const wasm_func_t *get_var_f64 = FUNC("get_var_f64");
    const wasm_func_t *set_var_f64 = FUNC("set_var_f64");

    /* Types, as declared on each side. */
    check(type_is(const_f32, WASM_F32, WASM_CONST) && type_is(var_i64, WASM_I64, WASM_VAR) &&
              type_is(const_i32, WASM_I32, WASM_CONST) && type_is(var_f64, WASM_F64, WASM_VAR),
          "types: f32 const, i64 var (imported); i32 const, f64 var (exported)");
    check(wasm_global_same(var_i64_again, var_i64),
          "the imported global the module exports again is the host's own");

    /* Initial values, read by the host and by wasm. */
    printf("const_f32 = %g, var_i64 = %lld, const_i32 = %d, var_f64 = %g\n",
           (double)get(const_f32).of.f32, (long long)get(var_i64).of.i64, get(const_i32).of.i32,
           get(var_f64).of.f64);
    check(get(const_f32).of.f32 == 0.25f && call_get(get_const_f32).of.f32 == 0.25f &&
              get(var_i64).of.i64 == -3 && call_get(get_var_i64).of.i64 == -3,
          "wasm reads the imported globals' initial values");
    check(get(const_i32).of.i32 == 7 && call_get(get_const_i32).of.i32 == 7 &&
              get(var_f64).of.f64 == 1.5 && call_get(get_var_f64).of.f64 == 1.5,
          "the host reads the exported globals' initial values");

    /* Mutable globals, written on one side and read on the other. */
    wasm_val_t big = WASM_I64_VAL(0x123456789abcLL);
    wasm_global_set(var_i64, &big);
    check(call_get(get_var_i64).of.i64 == 0x123456789abcLL &&
              get(var_i64_again).of.i64 == 0x123456789abcLL,
          "wasm sees the host's write to the imported var_i64");
    call_set(set_var_i64, (wasm_val_t)WASM_I64_VAL(-42));
    check(get(var_i64).of.i64 == -42, "the host sees wasm's write to var_i64");
    wasm_val_t pi = WASM_F64_VAL(3.25);
    wasm_global_set(var_f64, &pi);
    check(call_get(get_var_f64).of.f64 == 3.25, "wasm sees the host's write to the exported var_f64");
    call_set(set_var_f64, (wasm_val_t)WASM_F64_VAL(-0.5));
    check(get(var_f64).of.f64 == -0.5, "the host sees wasm's write to var_f64");
    check(get(const_i32).of.i32 == 7 && get(const_f32).of.f32 == 0.25f,
          "the constants are unchanged");

    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(instance);
    wasm_global_delete(const_f32);
    wasm_global_delete(var_i64);
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    if (failures)
        die("some checks failed");
    printf("capi_global: all checks passed\n");
    return 0;
}

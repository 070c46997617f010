/*
 * capi_callback.c -- values across the standard WebAssembly C API (wasm.h
 * only) in both directions: i32, i64, f32 and f64 arguments and results of
 * host functions and of wasm functions, several results at once, and a host
 * function with an environment of its own (a closure).
 *
 *   capi_callback GUEST.wasm      (the guest: examples/capi_callback.wat)
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
    fprintf(stderr, "capi_callback: %s\n", what);
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

/* Calls `func`; exits if it traps. */
static void call(const wasm_func_t *func, wasm_val_t *args, size_t nargs, wasm_val_t *results,
                 size_t nresults)
{
    wasm_val_vec_t arg_vec = {nargs, args}, result_vec = {nresults, results};
    wasm_trap_t *trap = wasm_func_call(func, &arg_vec, &result_vec);
    if (trap) {
        wasm_message_t message;
        wasm_trap_message(trap, &message);
        fprintf(stderr, "capi_callback: trap: %s\n", message.data);
        exit(1);
    }
}

/* "host" "mix": (i32, i64, f32, f64) -> (f64, f32, i64, i32), each value
 * doubled and the order reversed. */
static wasm_trap_t *mix(const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    const wasm_val_t *a = args->data;
    printf("mix(%d, %lld, %g, %g)\n", a[0].of.i32, (long long)a[1].of.i64, (double)a[2].of.f32,
           a[3].of.f64);
    check(args->size == 4 && results->size == 4 && a[0].kind == WASM_I32 &&
              a[1].kind == WASM_I64 && a[2].kind == WASM_F32 && a[3].kind == WASM_F64,
          "the host function gets four arguments of the declared kinds, room for four results");
    results->data[0] = (wasm_val_t)WASM_F64_VAL(a[3].of.f64 * 2);
    results->data[1] = (wasm_val_t)WASM_F32_VAL(a[2].of.f32 * 2);
    results->data[2] = (wasm_val_t)WASM_I64_VAL(a[1].of.i64 * 2);
    results->data[3] = (wasm_val_t)WASM_I32_VAL(a[0].of.i32 * 2);
    return NULL;
}

/* "host" "count": () -> i32, a closure over a counter. */
static wasm_trap_t *count(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    (void)args;
    int *counter = env;
    results->data[0] = (wasm_val_t)WASM_I32_VAL(++*counter);
    return NULL;
}

static bool kinds_are(const wasm_valtype_vec_t *types, const wasm_valkind_t *kinds, size_t n)
{
    if (types->size != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (wasm_valtype_kind(types->data[i]) != kinds[i])
            return false;
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: capi_callback capi_callback.wasm\n");
        return 2;
    }
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *module = load_module(store, argv[1]);

    wasm_valtype_t *mix_types[] = {wasm_valtype_new_i32(), wasm_valtype_new_i64(),
                                   wasm_valtype_new_f32(), wasm_valtype_new_f64()};
    wasm_valtype_vec_t mix_params, mix_results;
    wasm_valtype_vec_new(&mix_params, 4, mix_types);
    wasm_valtype_t *mix_rtypes[] = {wasm_valtype_new_f64(), wasm_valtype_new_f32(),
                                    wasm_valtype_new_i64(), wasm_valtype_new_i32()};
    wasm_valtype_vec_new(&mix_results, 4, mix_rtypes);
    wasm_functype_t *mix_type = wasm_functype_new(&mix_params, &mix_results);
    wasm_func_t *mix_func = wasm_func_new(store, mix_type, mix);
    wasm_functype_delete(mix_type);

    int counter = 0;
    wasm_functype_t *count_type = wasm_functype_new_0_1(wasm_valtype_new_i32());
    wasm_func_t *count_func = wasm_func_new_with_env(store, count_type, count, &counter, NULL);
    wasm_functype_delete(count_type);

    wasm_extern_t *imports[] = {wasm_func_as_extern(mix_func), wasm_func_as_extern(count_func)};
    wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
    wasm_instance_t *instance = wasm_instance_new(store, module, &import_vec, NULL);
    if (!instance)
        die("cannot instantiate the module");
    wasm_extern_vec_t exports;
    wasm_instance_exports(instance, &exports);
    if (exports.size != 3)
        die("the module should export three functions");
    const wasm_func_t *roundtrip = wasm_extern_as_func(exports.data[0]);
    const wasm_func_t *swap = wasm_extern_as_func(exports.data[1]);
    const wasm_func_t *count_twice = wasm_extern_as_func(exports.data[2]);
    if (!roundtrip || !swap || !count_twice)
        die("the module should export three functions");

    /* The export's type, as the module declares it. */
    wasm_functype_t *type = wasm_func_type(roundtrip);
    const wasm_valkind_t params[] = {WASM_I32, WASM_I64, WASM_F32, WASM_F64};
    const wasm_valkind_t results[] = {WASM_F64, WASM_F32, WASM_I64, WASM_I32};
    check(kinds_are(wasm_functype_params(type), params, 4) &&
              kinds_are(wasm_functype_results(type), results, 4) &&
              wasm_func_param_arity(roundtrip) == 4 && wasm_func_result_arity(roundtrip) == 4,
          "roundtrip's type is (i32 i64 f32 f64) -> (f64 f32 i64 i32)");
    wasm_functype_delete(type);

    /* host -> wasm -> host and back: +1 in wasm, *2 and reversed in the host. */
    wasm_val_t args[] = {WASM_I32_VAL(-7), WASM_I64_VAL(-0x100000001LL), WASM_F32_VAL(1.5f),
                         WASM_F64_VAL(-2.25)};
    wasm_val_t out[4];
    call(roundtrip, args, 4, out, 4);
    printf("roundtrip(-7, -0x100000001, 1.5, -2.25) = (%g, %g, %lld, %d)\n", out[0].of.f64,
           (double)out[1].of.f32, (long long)out[2].of.i64, out[3].of.i32);
    check(out[0].kind == WASM_F64 && out[0].of.f64 == -2.5 && out[1].kind == WASM_F32 &&
              out[1].of.f32 == 5.0f && out[2].kind == WASM_I64 &&
              out[2].of.i64 == -0x200000000LL && out[3].kind == WASM_I32 && out[3].of.i32 == -12,
          "four values of four kinds went through wasm and the host and back");

    /* Several results from wasm alone. */
    wasm_val_t swap_args[] = {WASM_I64_VAL(0x7fffffffffffffffLL), WASM_I32_VAL(-1)};
    wasm_val_t swapped[2];
    call(swap, swap_args, 2, swapped, 2);
    check(swapped[0].kind == WASM_I32 && swapped[0].of.i32 == -1 && swapped[1].kind == WASM_I64 &&
              swapped[1].of.i64 == 0x7fffffffffffffffLL,
          "swap(i64 max, -1) = (-1, i64 max)");

    /* The host function called by the host, through the same API. */
    call(mix_func, args, 4, out, 4);
    check(out[0].of.f64 == -4.5 && out[1].of.f32 == 3.0f && out[2].of.i64 == -0x200000002LL &&
              out[3].of.i32 == -14,
          "a host function called from the host");

    /* A closure: its environment is the host's counter. */
    wasm_val_t sum[1];
    call(count_twice, NULL, 0, sum, 1);
    check(sum[0].of.i32 == 1 + 2 && counter == 2, "count_twice() = 3, the counter is at 2");

    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(instance);
    wasm_func_delete(mix_func);
    wasm_func_delete(count_func);
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    if (failures)
        die("some checks failed");
    printf("capi_callback: all checks passed\n");
    return 0;
}

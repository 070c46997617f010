/*
 * capi_table.c -- a table of functions through the standard WebAssembly C
 * API (wasm.h only): the host reads an exported funcref table, puts wasm and
 * host functions in it, grows it up to its maximum, and wasm calls through
 * it with call_indirect; a null element, an index past the end and a
 * function of another type trap.  Then a table the host makes itself.
 *
 *   capi_table GUEST.wasm      (the guest: examples/capi_table.wat)
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
    fprintf(stderr, "capi_table: %s\n", what);
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

/* Calls `func` with up to two i32 arguments; the trap, or NULL with the i32
 * result in *result. */
static wasm_trap_t *call_i32(const wasm_func_t *func, size_t nargs, int32_t a, int32_t b,
                             int32_t *result)
{
    wasm_val_t args[] = {WASM_I32_VAL(a), WASM_I32_VAL(b)};
    wasm_val_t results[1] = {WASM_I32_VAL(0)};
    wasm_val_vec_t arg_vec = {nargs, args}, result_vec = WASM_ARRAY_VEC(results);
    wasm_trap_t *trap = wasm_func_call(func, &arg_vec, &result_vec);
    *result = results[0].of.i32;
    return trap;
}

/* The i32 result of `func`; exits if it traps. */
static int32_t call(const wasm_func_t *func, size_t nargs, int32_t a, int32_t b)
{
    int32_t result;
    if (call_i32(func, nargs, a, b, &result))
        die("an unexpected trap");
    return result;
}

/* Whether calling `func` traps (and with what message). */
static bool traps(const wasm_func_t *func, size_t nargs, int32_t a, int32_t b)
{
    int32_t result;
    wasm_trap_t *trap = call_i32(func, nargs, a, b, &result);
    if (!trap)
        return false;
    wasm_message_t message;
    wasm_trap_message(trap, &message);
    printf("trap: %s\n", message.data);
    wasm_byte_vec_delete(&message);
    wasm_trap_delete(trap);
    return true;
}

/* A host function for the table: (i32) -> i32, x * 3. */
static wasm_trap_t *triple(const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    results->data[0] = (wasm_val_t)WASM_I32_VAL(args->data[0].of.i32 * 3);
    return NULL;
}

/* Whether table[index] is the function `func` (NULL: a null element). */
static bool element_is(const wasm_table_t *table, wasm_table_size_t index, const wasm_func_t *func)
{
    wasm_ref_t *ref = wasm_table_get(table, index);
    bool same = func ? ref && wasm_ref_as_func(ref) && wasm_func_same(wasm_ref_as_func(ref), func)
                     : ref == NULL;
    if (ref)
        wasm_ref_delete(ref);
    return same;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: capi_table capi_table.wasm\n");
        return 2;
    }
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_module_t *module = load_module(store, argv[1]);
    wasm_instance_t *instance = wasm_instance_new(store, module, NULL, NULL);
    if (!instance)
        die("cannot instantiate the module");
    wasm_extern_vec_t exports;
    wasm_instance_exports(instance, &exports);
    if (exports.size != 6)
        die("the module should have six exports");
    wasm_table_t *table = wasm_extern_as_table(exports.data[0]);
    wasm_func_t *double_ = wasm_extern_as_func(exports.data[1]);
    wasm_func_t *negate = wasm_extern_as_func(exports.data[2]);
    const wasm_func_t *call_indirect = wasm_extern_as_func(exports.data[3]);
    wasm_func_t *size = wasm_extern_as_func(exports.data[4]);
    const wasm_func_t *grow = wasm_extern_as_func(exports.data[5]);
    if (!table || !double_ || !negate || !call_indirect || !size || !grow)
        die("the module's exports are not of the kinds expected");

    wasm_tabletype_t *type = wasm_table_type(table);
    check(wasm_valtype_kind(wasm_tabletype_element(type)) == WASM_FUNCREF &&
              wasm_tabletype_limits(type)->min == 2 && wasm_tabletype_limits(type)->max == 10,
          "the table's type: funcref, 2 elements, at most 10");
    wasm_tabletype_delete(type);

    /* What the module put there: null, then negate. */
    printf("table: %u elements\n", wasm_table_size(table));
    check(wasm_table_size(table) == 2 && call(size, 0, 0, 0) == 2, "the host and wasm see 2 elements");
    check(element_is(table, 0, NULL) && element_is(table, 1, negate) && !wasm_table_get(table, 2),
          "table[0] is null, table[1] is negate, table[2] is past the end");
    wasm_ref_t *ref = wasm_table_get(table, 1);
    wasm_func_t *from_table = ref ? wasm_ref_as_func(ref) : NULL;
    check(from_table && call(from_table, 1, 5, 0) == -5,
          "the host calls the function it took from the table: -5");
    if (ref)
        wasm_ref_delete(ref);
    check(call(call_indirect, 2, 5, 1) == -5, "call_indirect(5, 1) = negate(5)");
    check(traps(call_indirect, 2, 5, 0), "call_indirect through the null table[0] traps");

    /* The host sets elements: a wasm function, a host function, one of another type. */
    check(wasm_table_set(table, 0, wasm_func_as_ref(double_)) && call(call_indirect, 2, 5, 0) == 10,
          "table[0] = double: call_indirect(5, 0) = 10");
    wasm_functype_t *unary = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
    wasm_func_t *host = wasm_func_new(store, unary, triple);
    wasm_functype_delete(unary);
    check(wasm_table_set(table, 0, wasm_func_as_ref(host)) && call(call_indirect, 2, 5, 0) == 15,
          "table[0] = a host function: call_indirect(5, 0) = 15");
    check(wasm_table_set(table, 1, wasm_func_as_ref(size)) && traps(call_indirect, 2, 5, 1),
          "table[1] = size, of another type: call_indirect traps");
    check(wasm_table_set(table, 1, NULL) && element_is(table, 1, NULL),
          "table[1] = null");
    check(!wasm_table_set(table, 2, wasm_func_as_ref(double_)), "setting table[2] fails");

    /* Growth: from the host with an initial element, then from wasm; never past 10. */
    check(wasm_table_grow(table, 3, wasm_func_as_ref(negate)) && wasm_table_size(table) == 5 &&
              element_is(table, 2, negate) && element_is(table, 4, negate),
          "the host grows the table by 3 elements of negate");
    check(call(call_indirect, 2, 7, 4) == -7, "call_indirect(7, 4) = negate(7)");
    check(traps(call_indirect, 2, 7, 5), "call_indirect(7, 5), past the end, traps");
    check(call(grow, 1, 5, 0) == 5 && wasm_table_size(table) == 10 && element_is(table, 9, NULL),
          "wasm grows it by 5 null elements to 10");
    check(!wasm_table_grow(table, 1, NULL) && call(grow, 1, 1, 0) == -1 &&
              wasm_table_size(table) == 10,
          "neither the host nor wasm grows it past its maximum of 10");

    /* A table of the host's own, every element double to start with. */
    wasm_limits_t limits = {3, 3};
    wasm_tabletype_t *host_type = wasm_tabletype_new(wasm_valtype_new_funcref(), &limits);
    wasm_table_t *host_table = wasm_table_new(store, host_type, wasm_func_as_ref(double_));
    wasm_tabletype_delete(host_type);
    check(host_table && wasm_table_size(host_table) == 3 && element_is(host_table, 2, double_) &&
              wasm_table_set(host_table, 2, wasm_func_as_ref(host)) &&
              element_is(host_table, 2, host) && !wasm_table_grow(host_table, 1, NULL),
          "a table the host made: 3 elements of double, one set to the host function");
    if (host_table)
        wasm_table_delete(host_table);

    wasm_func_delete(host);
    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(instance);
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    if (failures)
        die("some checks failed");
    printf("capi_table: all checks passed\n");
    return 0;
}

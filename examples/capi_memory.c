/*
 * capi_memory.c -- linear memory through the standard WebAssembly C API
 * (wasm.h only): an exported memory's data, seen by the host and by wasm;
 * its size; growth from the host and from wasm up to its maximum; an access
 * out of bounds, which traps; and a memory the host makes itself.
 *
 *   capi_memory GUEST.wasm      (the guest: examples/capi_memory.wat)
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
    fprintf(stderr, "capi_memory: %s\n", what);
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
 * result (if any) in *result. */
static wasm_trap_t *call_i32(const wasm_func_t *func, size_t nargs, int32_t a, int32_t b,
                             int32_t *result)
{
    wasm_val_t args[] = {WASM_I32_VAL(a), WASM_I32_VAL(b)};
    wasm_val_t results[1] = {WASM_I32_VAL(0)};
    wasm_val_vec_t arg_vec = {nargs, args};
    wasm_val_vec_t result_vec = {wasm_func_result_arity(func), results};
    wasm_trap_t *trap = wasm_func_call(func, &arg_vec, &result_vec);
    if (result)
        *result = results[0].of.i32;
    return trap;
}

/* The i32 result of `func`; exits if it traps. */
static int32_t call(const wasm_func_t *func, size_t nargs, int32_t a, int32_t b)
{
    int32_t result = 0;
    wasm_trap_t *trap = call_i32(func, nargs, a, b, &result);
    if (trap)
        die("an unexpected trap");
    return result;
}

/* Whether calling `func` traps (and with what message). */
static bool traps(const wasm_func_t *func, size_t nargs, int32_t a, int32_t b)
{
    wasm_trap_t *trap = call_i32(func, nargs, a, b, NULL);
    if (!trap)
        return false;
    wasm_message_t message;
    wasm_trap_message(trap, &message);
    printf("trap: %s\n", message.data);
    wasm_byte_vec_delete(&message);
    wasm_trap_delete(trap);
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: capi_memory capi_memory.wasm\n");
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
    if (exports.size != 5)
        die("the module should have five exports");
    wasm_memory_t *memory = wasm_extern_as_memory(exports.data[0]);
    const wasm_func_t *size = wasm_extern_as_func(exports.data[1]);
    const wasm_func_t *load = wasm_extern_as_func(exports.data[2]);
    const wasm_func_t *store_byte = wasm_extern_as_func(exports.data[3]);
    const wasm_func_t *grow = wasm_extern_as_func(exports.data[4]);
    if (!memory || !size || !load || !store_byte || !grow)
        die("the module's exports are not of the kinds expected");

    /* What the module declared: 2 pages, at most 3, the data segment in place. */
    wasm_memorytype_t *type = wasm_memory_type(memory);
    const wasm_limits_t *limits = wasm_memorytype_limits(type);
    printf("memory: %u pages (at most %u), %zu bytes\n", wasm_memory_size(memory), limits->max,
           wasm_memory_data_size(memory));
    check(limits->min == 2 && limits->max == 3, "the memory's type says 2 pages, at most 3");
    wasm_memorytype_delete(type);
    check(wasm_memory_size(memory) == 2 && wasm_memory_data_size(memory) == 0x20000 &&
              call(size, 0, 0, 0) == 2,
          "the host and wasm see 2 pages (0x20000 bytes)");
    byte_t *data = wasm_memory_data(memory);
    check(data[0] == 0 && data[0x1000] == 1 && data[0x1003] == 4 && data[0x1004] == 0,
          "the host reads the data segment at 0x1000");

    /* Writes from either side, read from the other. */
    check(call(load, 1, 0x1002, 0) == 3 && call(load, 1, 0x1ffff, 0) == 0,
          "wasm reads the data segment and the last byte");
    data[0x1fffe] = 42;
    call(store_byte, 2, 0x1ffff, -5);
    check(call(load, 1, 0x1fffe, 0) == 42 && (unsigned char)data[0x1ffff] == 0xfb,
          "a byte the host wrote is seen by wasm and one wasm wrote by the host");

    /* Out of bounds: wasm traps, the memory is unchanged. */
    check(traps(load, 1, 0x20000, 0) && traps(store_byte, 2, 0x20000, 1) &&
              traps(load, 1, -1, 0),
          "loads and stores past the end trap");

    /* Growth: from the host, then from wasm; never past the maximum. */
    check(wasm_memory_grow(memory, 1) && wasm_memory_size(memory) == 3 &&
              wasm_memory_data_size(memory) == 0x30000 && call(size, 0, 0, 0) == 3,
          "the host grows the memory by 1 page to 3");
    data = wasm_memory_data(memory); /* other engines may move the memory when it grows */
    call(store_byte, 2, 0x2ffff, 7);
    check(call(load, 1, 0x20000, 0) == 0 && data[0x2ffff] == 7,
          "the new page is zero and usable from both sides");
    check(!wasm_memory_grow(memory, 1) && call(grow, 1, 1, 0) == -1 && wasm_memory_size(memory) == 3,
          "neither the host nor wasm grows it past its maximum of 3");
    check(wasm_memory_grow(memory, 0) && call(grow, 1, 0, 0) == 3,
          "growing by 0 pages succeeds and changes nothing");
    check(traps(load, 1, 0x30000, 0), "the end moved with the growth: 0x30000 traps");

    /* A memory of the host's own: 1 page, at most 2. */
    wasm_limits_t host_limits = {1, 2};
    wasm_memorytype_t *host_type = wasm_memorytype_new(&host_limits);
    wasm_memory_t *host_memory = wasm_memory_new(store, host_type);
    wasm_memorytype_delete(host_type);
    check(host_memory && wasm_memory_size(host_memory) == 1 &&
              wasm_memory_data(host_memory)[0xffff] == 0 && wasm_memory_grow(host_memory, 1) &&
              wasm_memory_size(host_memory) == 2 && !wasm_memory_grow(host_memory, 1),
          "a memory the host made: 1 page, grown to its maximum of 2");
    if (host_memory)
        wasm_memory_delete(host_memory);

    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(instance);
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    if (failures)
        die("some checks failed");
    printf("capi_memory: all checks passed\n");
    return 0;
}

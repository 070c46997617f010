/*
 * capi_trap.c -- traps through the standard WebAssembly C API (wasm.h
 * only): one raised by wasm (a division by zero, an `unreachable` under a
 * call) and one a host function returns to its wasm caller.  Each prints the
 * trap's message and its frames -- function index, offset in the function's
 * body, offset in the module binary -- and checks them against the binary.
 *
 *   capi_trap GUEST.wasm      (the guest: examples/capi_trap.wat)
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
    fprintf(stderr, "capi_trap: %s\n", what);
    exit(1);
}

/* The file at `path`; exits if it cannot be read. */
static void read_binary(const char *path, wasm_byte_vec_t *binary)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open the module file");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (size <= 0)
        die("cannot read the module file");
    wasm_byte_vec_new_uninitialized(binary, (size_t)size);
    if (fread(binary->data, 1, binary->size, f) != binary->size)
        die("cannot read the module file");
    fclose(f);
}

/* "host" "fail": (i32) -> (), always returns a trap; env is the store. */
static wasm_trap_t *fail(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results)
{
    (void)results;
    char text[64];
    snprintf(text, sizeof text, "the host refuses %d", args->data[0].of.i32);
    wasm_message_t message;
    wasm_name_new_from_string_nt(&message, text);
    wasm_trap_t *trap = wasm_trap_new(env, &message);
    wasm_byte_vec_delete(&message);
    return trap;
}

/* What a frame of a trap should be: the function, the offset in its body
 * and the opcode of the instruction there. */
typedef struct expected_frame {
    uint32_t func_index;
    size_t func_offset;
    unsigned char opcode;
} expected_frame;

/* Calls `func` with `args`; it must trap with a message that contains
 * `message_text` (engines word wasm's own traps differently) and the frames
 * `want` (innermost first).  Prints the message and the frames. */
static void expect_trap(const char *what, const wasm_func_t *func, wasm_val_t *args, size_t nargs,
                        size_t nresults, const char *message_text, const expected_frame *want,
                        size_t nwant, const wasm_byte_vec_t *binary,
                        const wasm_instance_t *instance)
{
    wasm_val_t results[1] = {WASM_INIT_VAL};
    wasm_val_vec_t arg_vec = {nargs, args}, result_vec = {nresults, results};
    printf("%s:\n", what);
    wasm_trap_t *trap = wasm_func_call(func, &arg_vec, &result_vec);
    if (!trap) {
        check(false, "it traps");
        return;
    }
    wasm_message_t message;
    wasm_trap_message(trap, &message);
    printf("  trap: %s\n", message.data);
    check(message.size > 0 && message.data[message.size - 1] == '\0' &&
              strstr(message.data, message_text),
          "the message, NUL-terminated");
    wasm_byte_vec_delete(&message);

    wasm_frame_vec_t trace;
    wasm_trap_trace(trap, &trace);
    bool frames_ok = trace.size == nwant;
    for (size_t i = 0; i < trace.size; i++) {
        const wasm_frame_t *frame = trace.data[i];
        uint32_t index = wasm_frame_func_index(frame);
        size_t func_offset = wasm_frame_func_offset(frame);
        size_t module_offset = wasm_frame_module_offset(frame);
        printf("  frame %zu: func %u, func offset 0x%zx, module offset 0x%zx\n", i, index,
               func_offset, module_offset);
        frames_ok = frames_ok && i < nwant && index == want[i].func_index &&
                    func_offset == want[i].func_offset && module_offset < binary->size &&
                    (unsigned char)binary->data[module_offset] == want[i].opcode &&
                    wasm_instance_same(wasm_frame_instance(frame), instance);
    }
    check(frames_ok, "the frames: functions, offsets and instructions as in the binary");

    wasm_frame_t *origin = wasm_trap_origin(trap);
    check(origin && trace.size && wasm_frame_func_index(origin) == want[0].func_index &&
              wasm_frame_module_offset(origin) == wasm_frame_module_offset(trace.data[0]),
          "the origin is the innermost frame");
    if (origin)
        wasm_frame_delete(origin);
    wasm_frame_vec_delete(&trace);
    wasm_trap_delete(trap);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: capi_trap capi_trap.wasm\n");
        return 2;
    }
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    wasm_byte_vec_t binary;
    read_binary(argv[1], &binary);
    wasm_module_t *module = wasm_module_new(store, &binary);
    if (!module)
        die("the module is not valid");

    wasm_functype_t *fail_type = wasm_functype_new_1_0(wasm_valtype_new_i32());
    wasm_func_t *fail_func = wasm_func_new_with_env(store, fail_type, fail, store, NULL);
    wasm_functype_delete(fail_type);
    wasm_extern_t *imports[] = {wasm_func_as_extern(fail_func)};
    wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
    wasm_trap_t *trap = NULL;
    wasm_instance_t *instance = wasm_instance_new(store, module, &import_vec, &trap);
    if (!instance)
        die("cannot instantiate the module");
    wasm_extern_vec_t exports;
    wasm_instance_exports(instance, &exports);
    if (exports.size != 3)
        die("the module should export three functions");
    const wasm_func_t *divide = wasm_extern_as_func(exports.data[0]);
    const wasm_func_t *crash = wasm_extern_as_func(exports.data[1]);
    const wasm_func_t *call_host = wasm_extern_as_func(exports.data[2]);
    if (!divide || !crash || !call_host)
        die("the module should export three functions");

    /* Offsets in a function count from its body's start, where the count of
     * its locals is (here 0, one byte): divide's body is
     * `00 20 00 20 01 6d 0b`, so i32.div_s (0x6d) is at 5. */
    wasm_val_t div_args[] = {WASM_I32_VAL(7), WASM_I32_VAL(0)};
    const expected_frame div_frames[] = {{1, 5, 0x6d}};
    expect_trap("divide(7, 0)", divide, div_args, 2, 1, "divide by zero", div_frames, 1,
                &binary, instance);

    /* $crash is `00 00 0b` (unreachable at 1), crash `00 10 02 0b` (call 2 at 1). */
    const expected_frame crash_frames[] = {{2, 1, 0x00}, {3, 1, 0x10}};
    expect_trap("crash()", crash, NULL, 0, 0, "unreachable", crash_frames, 2, &binary, instance);

    /* The host's trap reaches the host whole, with the wasm frame of the call
     * (call_host is `00 20 00 10 00 0b`: call 0 at 3). */
    wasm_val_t host_args[] = {WASM_I32_VAL(7)};
    const expected_frame host_frames[] = {{4, 3, 0x10}};
    expect_trap("call_host(7)", call_host, host_args, 1, 0, "the host refuses 7", host_frames, 1,
                &binary, instance);

    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(instance);
    wasm_func_delete(fail_func);
    wasm_module_delete(module);
    wasm_byte_vec_delete(&binary);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
    if (failures)
        die("some checks failed");
    printf("capi_trap: all checks passed\n");
    return 0;
}

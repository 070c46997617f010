/*
 * fuzz_exec.c -- the weft side of fuzz_diff.sh: runs a module made by
 * binaryen's `wasm-opt -ttf` the way binaryen's --fuzz-exec does, through the
 * public API only, and prints what happened in the format fuzz_exec.mjs prints
 * for Node.js, so the two outputs compare line by line.
 *
 *   fuzz_exec [--bounds-checks=software] [--tier=interp|jit|auto] MODULE.wasm
 *
 * One instance; every exported function in export order, each called with
 * zeros (null references) after a call of `hangLimitInitializer` when the
 * module exports one, so state (memory, globals, tables) carries from call to
 * call.  The imports `fuzzing-support` `log-i32/i64/f32/f64` print their
 * argument.  Output, a line each:
 *
 *   invalid                    the module does not decode or validate
 *   instantiate trap CATEGORY  instantiation trapped (nothing else runs)
 *   call NAME                  an export is called
 *   log VALUE                  a log-* import was called
 *   result VALUE...            the call returned (VALUEs space-separated)
 *   trap CATEGORY              the call trapped
 *   memory PAGES HASH          after the last call: the exported memory's
 *                              size and FNV-1a hash
 *
 * VALUE is i32:N or i64:N (signed decimal), f32:0xBITS or f64:0xBITS, any NaN
 * as f32:nan / f64:nan (NaN bits are not deterministic), funcref:null,
 * funcref:func, externref:null, externref:ref.  CATEGORY is a class of trap
 * both engines tell apart (trap_category): unreachable, div-zero, overflow,
 * memory, table, indirect, null, stack.
 *
 * The tier is weft_config_init's (WEFT_TIER, else auto) unless --tier sets
 * it; on stderr, after the run, "tier: C compiled, I interpreted" (functions,
 * weft_engine_tier_stats), so a script can tell how much the compiler took.
 *
 * Exit status: 0 when the module ran (traps included) or was invalid, 2 when
 * the harness cannot run it (unknown import, I/O, an engine error that is not
 * a trap).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

static void print_val(const weft_val *v)
{
    switch (v->kind) {
    case WEFT_I32:
        printf("i32:%d", v->of.i32);
        break;
    case WEFT_I64:
        printf("i64:%lld", (long long)v->of.i64);
        break;
    case WEFT_F32:
        if (isnan(v->of.f32))
            printf("f32:nan");
        else
            printf("f32:0x%08x", v->of.f32_bits);
        break;
    case WEFT_F64:
        if (isnan(v->of.f64))
            printf("f64:nan");
        else
            printf("f64:0x%016llx", (unsigned long long)v->of.f64_bits);
        break;
    case WEFT_FUNCREF:
        printf("funcref:%s", v->of.funcref ? "func" : "null");
        break;
    case WEFT_EXTERNREF:
        printf("externref:%s", v->of.externref ? "ref" : "null");
        break;
    default:
        printf("%s:?", weft_valkind_name(v->kind));
        break;
    }
}

/*
 * The class of a trap, as fuzz_exec.mjs names V8's messages.  Classes are as
 * fine as both engines can tell apart: V8 says "float unrepresentable in
 * integer range" for every trapping float-to-int conversion, where the spec
 * says "integer overflow" (out of range, as a division's overflow) or
 * "invalid conversion to integer" (NaN); and an atomic access that is both
 * misaligned and out of bounds may trap as either (the threads spec gives
 * one trap for both conditions, in no order): weft checks alignment first,
 * V8 bounds.
 */
static const char *trap_category(const weft_error *err)
{
    switch (err->code) {
    case WEFT_E_UNREACHABLE: return "unreachable";
    case WEFT_E_DIV_BY_ZERO: return "div-zero";
    case WEFT_E_INT_OVERFLOW:
    case WEFT_E_BAD_CONVERSION: return "overflow";
    case WEFT_E_OOB_MEMORY:
    case WEFT_E_UNALIGNED_ATOMIC: return "memory";
    case WEFT_E_OOB_TABLE:
    case WEFT_E_UNDEFINED_ELEMENT: return "table";
    /* V8 says "null function or function signature mismatch" for both. */
    case WEFT_E_INDIRECT_MISMATCH:
    case WEFT_E_UNINITIALIZED_ELEMENT: return "indirect";
    case WEFT_E_NULL_REFERENCE: return "null";
    case WEFT_E_STACK_EXHAUSTED: return "stack";
    default: return NULL;
    }
}

/* Prints "trap CATEGORY" for a trap; false (message on stderr) for anything
 * else.  With FUZZ_EXEC_BACKTRACE set in the environment, every trap's
 * message and backtrace go to stderr too (to reduce a difference). */
static bool report_trap(const char *prefix, weft_status st, const weft_error *err)
{
    const char *cat = st == WEFT_TRAP ? trap_category(err) : NULL;
    if (cat && getenv("FUZZ_EXEC_BACKTRACE")) {
        char buf[4096];
        weft_error_format(err, buf, sizeof buf);
        fprintf(stderr, "%s\n", buf);
    }
    if (!cat) {
        fprintf(stderr, "fuzz_exec: %s: %s\n", prefix, err->message);
        return false;
    }
    printf("%strap %s\n", prefix[0] ? "instantiate " : "", cat);
    return true;
}

/* fuzzing-support log-*: prints its one argument. */
static weft_status log_value(void *env, weft_caller *caller, const weft_val *args,
                             weft_val *results, weft_error *err)
{
    (void)env, (void)caller, (void)results, (void)err;
    printf("log ");
    print_val(&args[0]);
    printf("\n");
    return WEFT_OK;
}

static const struct {
    const char *name;
    weft_valkind kind;
} log_imports[] = {
    {"log-i32", WEFT_I32}, {"log-i64", WEFT_I64}, {"log-f32", WEFT_F32}, {"log-f64", WEFT_F64},
};

/* The host function for import `d`, or NULL (message on stderr). */
static weft_func *make_import(weft_engine *engine, const weft_import_desc *d)
{
    if (d->kind == WEFT_EXTERN_FUNC && !strcmp(d->module.data, "fuzzing-support")) {
        for (size_t i = 0; i < sizeof log_imports / sizeof log_imports[0]; i++) {
            if (strcmp(d->name.data, log_imports[i].name))
                continue;
            weft_functype type = {&log_imports[i].kind, 1, NULL, 0};
            weft_func *f = NULL;
            weft_error err;
            if (weft_func_new(engine, &type, log_value, NULL, NULL, &f, &err)) {
                fprintf(stderr, "fuzz_exec: %s\n", err.message);
                return NULL;
            }
            return f;
        }
    }
    fprintf(stderr, "fuzz_exec: unsupported import %s %s\n", d->module.data, d->name.data);
    return NULL;
}

/* "memory PAGES HASH" of the exported memory after the last call (FNV-1a of
 * every byte): a store nothing read back still counts. */
static void print_memory(weft_instance *inst)
{
    weft_extern mem;
    if (!weft_instance_export(inst, "memory", 6, &mem) || mem.kind != WEFT_EXTERN_MEMORY)
        return;
    const uint8_t *p = weft_memory_data(mem.of.memory);
    uint64_t size = weft_memory_size(mem.of.memory);
    uint32_t h = 2166136261u;
    for (uint64_t i = 0; i < size; i++)
        h = (h ^ p[i]) * 16777619u;
    printf("memory %llu 0x%08x\n", (unsigned long long)(size / 65536), h);
}

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n == cap) {
            uint8_t *b = realloc(buf, cap = cap ? 2 * cap : 65536);
            if (!b) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = b;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got);
    fclose(f);
    *size = n;
    return buf;
}

/* Calls export `func` with zeros and prints the outcome; false on a harness error. */
static bool call_export(weft_func *func, weft_func *hang_init)
{
    weft_error err;
    weft_status st = hang_init ? weft_call(hang_init, NULL, 0, NULL, 0, &err) : WEFT_OK;
    if (st) /* as --fuzz-exec: the call is skipped */
        return report_trap("", st, &err);
    weft_functype t;
    weft_func_type(func, &t);
    weft_val *args = calloc(t.nparams + 1, sizeof *args);
    weft_val *res = calloc(t.nresults + 1, sizeof *res);
    bool ok = args && res;
    if (ok) {
        for (uint32_t i = 0; i < t.nparams; i++)
            args[i].kind = t.params[i]; /* calloc: zero bits, null references */
        st = weft_call(func, args, t.nparams, res, t.nresults, &err);
        if (st == WEFT_OK) {
            printf("result");
            for (uint32_t i = 0; i < t.nresults; i++) {
                printf(" ");
                print_val(&res[i]);
            }
            printf("\n");
        } else {
            ok = report_trap("", st, &err);
        }
    }
    free(args);
    free(res);
    return ok;
}

int main(int argc, char **argv)
{
    weft_config cfg;
    weft_config_init(&cfg);
    int a = 1;
    bool usage = false;
    for (; a < argc && !strncmp(argv[a], "--", 2); a++) {
        if (!strcmp(argv[a], "--bounds-checks=software"))
            cfg.bounds = WEFT_BOUNDS_SOFTWARE;
        else if (!strcmp(argv[a], "--tier=interp"))
            cfg.tier = WEFT_TIER_INTERP;
        else if (!strcmp(argv[a], "--tier=jit"))
            cfg.tier = WEFT_TIER_JIT;
        else if (!strcmp(argv[a], "--tier=auto"))
            cfg.tier = WEFT_TIER_AUTO;
        else
            usage = true;
    }
    if (usage || a + 1 != argc) {
        fprintf(stderr, "usage: fuzz_exec [--bounds-checks=software] [--tier=interp|jit|auto] "
                        "MODULE.wasm\n");
        return 2;
    }
    /* Lines as they happen, so a crash still shows how far the run got. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    size_t size = 0;
    uint8_t *bytes = read_file(argv[a], &size);
    if (!bytes) {
        fprintf(stderr, "fuzz_exec: cannot read %s\n", argv[a]);
        return 2;
    }
    int rc = 2;
    weft_engine *engine = NULL;
    weft_module *module = NULL;
    weft_instance *inst = NULL;
    weft_extern *imports = NULL;
    uint32_t nimports = 0;
    weft_error err;
    if (weft_engine_new(&cfg, &engine, &err)) {
        fprintf(stderr, "fuzz_exec: %s\n", err.message);
        goto fail;
    }
    weft_status st = weft_module_new(engine, bytes, size, &module, &err);
    if (st == WEFT_MALFORMED || st == WEFT_INVALID) {
        printf("invalid\n");
        rc = 0;
        goto fail;
    } else if (st) {
        fprintf(stderr, "fuzz_exec: %s\n", err.message);
        goto fail;
    }

    nimports = weft_module_import_count(module);
    imports = calloc(nimports + 1, sizeof *imports);
    if (!imports)
        goto fail;
    for (uint32_t i = 0; i < nimports; i++) {
        weft_import_desc d;
        weft_module_import(module, i, &d);
        imports[i].kind = WEFT_EXTERN_FUNC;
        if (!(imports[i].of.func = make_import(engine, &d)))
            goto fail;
    }
    st = weft_instance_new(module, imports, nimports, &inst, &err);
    if (st) {
        rc = report_trap("instantiate ", st, &err) ? 0 : 2;
        goto fail;
    }

    weft_extern hang;
    weft_func *hang_init = NULL;
    if (weft_instance_export(inst, "hangLimitInitializer", 20, &hang) &&
        hang.kind == WEFT_EXTERN_FUNC)
        hang_init = hang.of.func;
    uint32_t nexports = weft_module_export_count(module);
    for (uint32_t i = 0; i < nexports; i++) {
        weft_export_desc d;
        weft_extern ex;
        weft_module_export(module, i, &d);
        if (d.kind != WEFT_EXTERN_FUNC ||
            !weft_instance_export(inst, d.name.data, d.name.len, &ex))
            continue;
        printf("call %s\n", d.name.data);
        if (!call_export(ex.of.func, hang_init))
            goto fail;
    }
    print_memory(inst);
    rc = 0;
fail:
    if (engine) {
        uint64_t compiled = 0, interpreted = 0;
        weft_engine_tier_stats(engine, &compiled, &interpreted);
        fprintf(stderr, "tier: %llu compiled, %llu interpreted\n", (unsigned long long)compiled,
                (unsigned long long)interpreted);
    }
    weft_instance_free(inst);
    for (uint32_t i = 0; imports && i < nimports; i++)
        weft_func_free(imports[i].of.func);
    free(imports);
    weft_module_free(module);
    weft_engine_free(engine);
    free(bytes);
    return rc;
}

/*
 * weft_main.c -- the weft runner: an embedder of libweft (include/weft.h
 * only) that loads one kernel, instantiates it, and calls its export `run`
 * `warmup` times untimed and `repeat` times timed.  Only the calls are timed
 * (CLOCK_MONOTONIC around weft_call), as for the native and Node.js runners:
 * decoding, validation and instantiation happen before the clock starts.
 * Prints the same lines as native_main.c:
 *
 *     checksum <u64 decimal>
 *     ms <milliseconds of one call>
 *
 * On any failure it prints one line "weft: <stage>: <message>" on stderr and
 * exits with status 1; bench.py shows that message in place of a time.
 *
 * usage: weft_bench KERNEL.wasm [warmup [repeat]]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft.h"

#include "bench_util.h"

static int fail(const char *stage, const weft_error *err)
{
    char msg[2048];
    weft_error_format(err, msg, sizeof msg);
    /* The backtrace follows on further lines; the first line is the summary. */
    char *nl = strchr(msg, '\n');
    if (nl)
        *nl = 0;
    fprintf(stderr, "weft: %s: %s\n", stage, msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: weft_bench KERNEL.wasm [warmup [repeat]]\n");
        return 2;
    }
    int warmup = argc > 2 ? atoi(argv[2]) : 1;
    int repeat = argc > 3 ? atoi(argv[3]) : 3;

    size_t size = 0;
    uint8_t *bytes = bench_read_file(argv[1], &size);
    if (!bytes) {
        fprintf(stderr, "weft: cannot read %s\n", argv[1]);
        return 1;
    }
    weft_error err;
    memset(&err, 0, sizeof err);
    weft_engine *engine = NULL;
    weft_module *module = NULL;
    weft_instance *instance = NULL;
    int rc = 1;

    if (weft_engine_new(NULL, &engine, &err)) {
        rc = fail("engine", &err);
        goto out;
    }
    if (weft_module_new(engine, bytes, size, &module, &err)) {
        rc = fail("module", &err);
        goto out;
    }
    if (weft_instance_new(module, NULL, 0, &instance, &err)) {
        rc = fail("instantiate", &err);
        goto out;
    }
    weft_extern ext;
    if (!weft_instance_export(instance, "run", 3, &ext) || ext.kind != WEFT_EXTERN_FUNC) {
        fprintf(stderr, "weft: export: no function named run\n");
        goto out;
    }

    /* Kernels return i64; accept i32 too, so a hand-made test module works. */
    weft_functype type;
    weft_func_type(ext.of.func, &type);
    if (type.nparams != 0 || type.nresults != 1 ||
        (type.results[0] != WEFT_I64 && type.results[0] != WEFT_I32)) {
        fprintf(stderr, "weft: export: run must take nothing and return i64 or i32\n");
        goto out;
    }
    bool wide = type.results[0] == WEFT_I64;

    uint64_t first = 0;
    for (int i = 0; i < warmup + repeat; i++) {
        weft_val result;
        memset(&result, 0, sizeof result);
        double t0 = bench_now_ms();
        weft_status st = weft_call(ext.of.func, NULL, 0, &result, 1, &err);
        double t1 = bench_now_ms();
        if (st) {
            rc = fail("run", &err);
            goto out;
        }
        uint64_t sum = wide ? (uint64_t)result.of.i64 : (uint32_t)result.of.i32;
        if (i == 0) {
            first = sum;
            printf("checksum %" PRIu64 "\n", sum);
        } else if (sum != first) {
            fprintf(stderr, "weft: run: returned %" PRIu64 " then %" PRIu64 "\n", first, sum);
            goto out;
        }
        if (i >= warmup)
            printf("ms %.3f\n", t1 - t0);
        fflush(stdout);
    }
    rc = 0;
out:
    if (instance)
        weft_instance_free(instance);
    if (module)
        weft_module_free(module);
    if (engine)
        weft_engine_free(engine);
    free(bytes);
    return rc;
}

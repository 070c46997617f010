/*
 * startup_main.c -- the startup benchmark's weft runner: how long a large
 * module (gen_module.c) takes to become ready to run.  An embedder of libweft
 * (include/weft.h only).  Each of `repeat` rounds times, with CLOCK_MONOTONIC:
 *
 *   module_new    weft_module_new: decode + validate (from bytes in memory)
 *   instance_new  weft_instance_new: globals, table, memory, data segments
 *   first_small   the first call of the export `small` (lazy translation of
 *                 one tiny function)
 *   first_run     the first call of `run`, which calls a few hundred functions
 *                 (and so translates them)
 *
 * then frees everything.  Prints one "name seconds" line per stage with the
 * best (minimum) of the rounds, then "checksum N" (run's result), e.g.
 *
 *     module_new 0.4123
 *     ...
 *
 * With -q only those lines; without, also a small table on stderr.
 *
 * usage: startup_bench MODULE.wasm [repeat]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft.h"

#include "../bench_util.h"

static int fail(const char *stage, const weft_error *err)
{
    char msg[2048];
    weft_error_format(err, msg, sizeof msg);
    char *nl = strchr(msg, '\n');
    if (nl)
        *nl = 0;
    fprintf(stderr, "startup: %s: %s\n", stage, msg);
    return 1;
}

enum { MODULE_NEW, INSTANCE_NEW, FIRST_SMALL, FIRST_RUN, NSTAGES };
static const char *const stage_names[NSTAGES] = { "module_new", "instance_new", "first_small",
                                                  "first_run" };

/* Looks up a function export and calls it with no arguments. */
static weft_status call_export(weft_instance *inst, const char *name, weft_val *result,
                               weft_error *err)
{
    weft_extern ext;
    if (!weft_instance_export(inst, name, strlen(name), &ext) || ext.kind != WEFT_EXTERN_FUNC)
        return weft_error_set(err, WEFT_E_BAD_ARGUMENT, "no function export named %s", name);
    return weft_call(ext.of.func, NULL, 0, result, 1, err);
}

/* One round: every stage once, times into t[]. */
static int round_once(weft_engine *engine, const uint8_t *bytes, size_t size, double t[NSTAGES],
                      uint64_t *checksum)
{
    weft_error err;
    memset(&err, 0, sizeof err);
    weft_module *module = NULL;
    weft_instance *inst = NULL;
    weft_val result;
    int rc = 1;

    double t0 = bench_now_ms() / 1e3;
    if (weft_module_new(engine, bytes, size, &module, &err)) {
        rc = fail("module", &err);
        goto out;
    }
    double t1 = bench_now_ms() / 1e3;
    if (weft_instance_new(module, NULL, 0, &inst, &err)) {
        rc = fail("instantiate", &err);
        goto out;
    }
    double t2 = bench_now_ms() / 1e3;
    if (call_export(inst, "small", &result, &err)) {
        rc = fail("small", &err);
        goto out;
    }
    double t3 = bench_now_ms() / 1e3;
    if (call_export(inst, "run", &result, &err)) {
        rc = fail("run", &err);
        goto out;
    }
    double t4 = bench_now_ms() / 1e3;
    *checksum = (uint64_t)result.of.i64;
    t[MODULE_NEW] = t1 - t0;
    t[INSTANCE_NEW] = t2 - t1;
    t[FIRST_SMALL] = t3 - t2;
    t[FIRST_RUN] = t4 - t3;
    rc = 0;
out:
    if (inst)
        weft_instance_free(inst);
    if (module)
        weft_module_free(module);
    return rc;
}

/* Makes the code of every function in tier `tier` (weft_module_prepare):
 * prints "prepare_interp S" or "prepare_jit S", seconds after module_new. */
static int time_prepare(const uint8_t *bytes, size_t size, weft_tier tier, bool quiet)
{
    weft_config config;
    weft_config_init(&config);
    config.tier = tier;
    weft_error err;
    weft_engine *engine = NULL;
    weft_module *module = NULL;
    int rc = 0;
    if (weft_engine_new(&config, &engine, &err))
        return fail("engine", &err);
    if (weft_module_new(engine, bytes, size, &module, &err)) {
        rc = fail("module_new", &err);
        goto out;
    }
    double t0 = bench_now_ms() / 1e3;
    if (weft_module_prepare(module, &err)) {
        rc = fail("module_prepare", &err);
        goto out;
    }
    double t = bench_now_ms() / 1e3 - t0;
    const char *name = tier == WEFT_TIER_JIT ? "prepare_jit" : "prepare_interp";
    printf("%s %.4f\n", name, t);
    if (!quiet)
        fprintf(stderr, "%-14s %10.4f   (every function's code made)\n", name, t);
out:
    weft_module_free(module);
    weft_engine_free(engine);
    return rc;
}

int main(int argc, char **argv)
{
    bool quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
    if (quiet) {
        argc--;
        argv++;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: startup_bench [-q] MODULE.wasm [repeat]\n");
        return 2;
    }
    int repeat = argc > 2 ? atoi(argv[2]) : 5;
    if (repeat < 1)
        repeat = 1;

    size_t size = 0;
    uint8_t *bytes = bench_read_file(argv[1], &size);
    if (!bytes) {
        fprintf(stderr, "startup: cannot read %s\n", argv[1]);
        return 1;
    }
    weft_error err;
    memset(&err, 0, sizeof err);
    weft_engine *engine = NULL;
    if (weft_engine_new(NULL, &engine, &err)) {
        free(bytes);
        return fail("engine", &err);
    }

    double best[NSTAGES], sum[NSTAGES] = { 0 };
    uint64_t checksum = 0, first_checksum = 0;
    int rc = 0;
    for (int r = 0; r < repeat && rc == 0; r++) {
        double t[NSTAGES];
        rc = round_once(engine, bytes, size, t, &checksum);
        if (rc)
            break;
        if (r == 0)
            first_checksum = checksum;
        else if (checksum != first_checksum) {
            fprintf(stderr, "startup: run returned %" PRIu64 " then %" PRIu64 "\n", first_checksum,
                    checksum);
            rc = 1;
            break;
        }
        for (int s = 0; s < NSTAGES; s++) {
            best[s] = r == 0 || t[s] < best[s] ? t[s] : best[s];
            sum[s] += t[s];
        }
    }
    if (rc == 0) {
        for (int s = 0; s < NSTAGES; s++)
            printf("%s %.4f\n", stage_names[s], best[s]);
        printf("checksum %" PRIu64 "\n", checksum);
        if (!quiet) {
            fprintf(stderr, "%-14s %10s %10s   (%zu bytes, %d rounds)\n", "stage", "best s", "mean s",
                    size, repeat);
            for (int s = 0; s < NSTAGES; s++)
                fprintf(stderr, "%-14s %10.4f %10.4f\n", stage_names[s], best[s], sum[s] / repeat);
            fprintf(stderr, "%-14s %10.4f\n", "ready", best[MODULE_NEW] + best[INSTANCE_NEW]);
        }
    }
    weft_engine_free(engine);
    for (int tier = WEFT_TIER_INTERP; rc == 0 && tier <= WEFT_TIER_JIT; tier++)
        rc = time_prepare(bytes, size, (weft_tier)tier, quiet);
    free(bytes);
    return rc;
}

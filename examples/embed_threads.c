/*
 * embed_threads.c -- embedding a threaded WebAssembly program with weft's
 * program API (include/weft.h, "Programs").
 *
 *   embed_threads GUEST.wasm      (the guest: examples/embed_threads.wat)
 *
 * 1. Runs `count(4, 100000)` in the background with weft_program_start: the
 *    guest spawns 4 threads (wasi-threads) that add to one counter in shared
 *    memory; weft_program_wait gives the result, 400000.
 * 2. Starts `spin(4)`, whose threads never stop, and ends the program from
 *    another host thread with weft_program_terminate; weft_program_wait then
 *    reports the trap "terminated" -- and this process carries on.
 * Exits 0 when both went as expected.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "weft.h"

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) != NULL &&
            fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *size = n > 0 ? (size_t)n : 0;
    }
    fclose(f);
    return buf;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The host thread that ends the program: weft_program_terminate may be
 * called from any thread and returns at once. */
static void *terminator(void *arg)
{
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
    weft_program_terminate(arg);
    return NULL;
}

static int fail(const char *what, const weft_error *err)
{
    char buf[2048];
    weft_error_format(err, buf, sizeof buf);
    fprintf(stderr, "embed_threads: %s: %s\n", what, buf);
    return 1;
}

/* Part 1: start in the background, wait for the result. */
static int count(weft_module *module)
{
    weft_program *prog;
    weft_error err;
    if (weft_program_new(module, NULL, &prog, &err) != WEFT_OK)
        return fail("program", &err);
    weft_val args[2] = {{.kind = WEFT_I32, .of.i32 = 4}, {.kind = WEFT_I32, .of.i32 = 100000}};
    if (weft_program_start(prog, "count", args, 2, &err) != WEFT_OK) {
        weft_program_free(prog);
        return fail("start", &err);
    }
    /* ...the host is free to do other work here... */
    weft_val result;
    weft_status st = weft_program_wait(prog, &result, 1, &err);
    weft_program_free(prog);
    if (st != WEFT_OK)
        return fail("count", &err);
    printf("count: 4 threads added %d\n", result.of.i32);
    return result.of.i32 == 400000 ? 0 : 1;
}

/* Part 2: a program that would run forever, ended from another host thread. */
static int spin(weft_module *module)
{
    weft_program *prog;
    weft_error err;
    if (weft_program_new(module, NULL, &prog, &err) != WEFT_OK)
        return fail("program", &err);
    weft_val arg = {.kind = WEFT_I32, .of.i32 = 4};
    if (weft_program_start(prog, "spin", &arg, 1, &err) != WEFT_OK) {
        weft_program_free(prog);
        return fail("start", &err);
    }
    pthread_t t;
    double t0 = now_ms();
    if (pthread_create(&t, NULL, terminator, prog) != 0) {
        weft_program_free(prog);
        fprintf(stderr, "embed_threads: cannot create a thread\n");
        return 1;
    }
    weft_status st = weft_program_wait(prog, NULL, 0, &err);
    double took = now_ms() - t0;
    pthread_join(t, NULL);
    weft_program_free(prog);
    printf("spin: ended after %.1f ms (terminated 100 ms in): %s\n", took, err.message);
    return st == WEFT_TRAP && err.code == WEFT_E_TERMINATED ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: embed_threads GUEST.wasm\n");
        return 2;
    }
    size_t size = 0;
    uint8_t *bytes = read_file(argv[1], &size);
    if (!bytes) {
        fprintf(stderr, "embed_threads: cannot read %s\n", argv[1]);
        return 1;
    }
    weft_engine *engine;
    weft_module *module;
    weft_error err;
    if (weft_engine_new(NULL, &engine, &err) != WEFT_OK) {
        free(bytes);
        return fail("engine", &err);
    }
    if (weft_module_new(engine, bytes, size, &module, &err) != WEFT_OK) {
        free(bytes);
        weft_engine_free(engine);
        return fail(argv[1], &err);
    }
    free(bytes);
    int rc = count(module);
    rc |= spin(module);
    rc |= count(module); /* the embedder lives on after a terminated program */
    weft_module_free(module);
    weft_engine_free(engine);
    return rc;
}

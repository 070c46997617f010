/*
 * driver.c -- runs the threaded kernels (kernels.c) on host threads and times
 * them in-process.  Built twice by build.sh:
 *   native_threaded           with -DTHREADED_NATIVE, linked with kernels.c:
 *                             each thread calls the kernel functions directly;
 *   weft_threaded K.wasm      linked with libweft: each thread has its own
 *                             instance of K.wasm, all importing one shared
 *                             weft_memory, and calls the exports with weft_call.
 * The measurement logic below is the same for both.
 *
 * Every measurement starts its threads and lines them up on a barrier; each
 * thread times its own kernel call (CLOCK_MONOTONIC) and the run lasts from
 * the first start to the last end; thread creation and instantiation are
 * outside the clock.  Output, one line per measurement and repetition
 * (bench/threaded/threaded.py reads it):
 *
 *     <kernel> <threads> checksum <u64> ops <count> ms <milliseconds> cpu <ms>
 *
 * where ops counts what the kernel did (atomic adds, round trips, numbers)
 * and cpu is the CPU time its threads used in their calls (user + system):
 * cpu / ms is how many CPUs the run actually got, which tells a machine busy
 * with other work from an engine that does not scale.
 *
 * On a failure: "<who>: <what>" on stderr and exit status 1.
 *
 * usage: native_threaded [repeat [scale%]]
 *        weft_threaded KERNELS.wasm [repeat [scale%]]
 * THREADED_ONLY=contend|contend_sum|pingpong|primes in the environment runs that one
 * measurement alone (for profiling).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bench_util.h"

#define MAX_THREADS 2

/* Work sizes at scale 100: each measurement takes ~30-300 ms natively and in
 * weft on the 2-CPU machine the project runs on (bench/threaded/README.md). */
#define CONTEND_ITERS 4000000u /* per thread */
#define PINGPONG_ROUNDS 20000u
#define PRIMES_LIMIT 1000000u

typedef enum { F_CONTEND_RESET, F_CONTEND, F_CONTEND_SUM, F_CONTEND_TOTAL, F_PINGPONG_RESET,
               F_PINGPONG, F_PRIMES, F_COUNT } fn_id;

#if defined(THREADED_NATIVE)
#include "kernels.h"

#define WHO "native"
typedef struct runner {
    int unused;
} runner;

static int runner_new(runner *r, int argc, char **argv)
{
    (void)r, (void)argc, (void)argv;
    return 0;
}

static void runner_free(runner *r) { (void)r; }

static uint32_t call(runner *r, int worker, fn_id f, uint32_t a, uint32_t b, uint32_t c)
{
    (void)r, (void)worker;
    switch (f) {
    case F_CONTEND_RESET: contend_reset(); return 0;
    case F_CONTEND: return contend(a);
    case F_CONTEND_SUM: return contend_sum(a);
    case F_CONTEND_TOTAL: return contend_total();
    case F_PINGPONG_RESET: pingpong_reset(); return 0;
    case F_PINGPONG: return pingpong(a, b);
    case F_PRIMES: return primes(a, b, c);
    default: abort();
    }
}
#else
#include "weft.h"

#define WHO "weft"
static const char *const fn_names[F_COUNT] = {"contend_reset", "contend", "contend_sum",
                                              "contend_total", "pingpong_reset", "pingpong",
                                              "primes"};

typedef struct runner {
    weft_engine *engine;
    weft_module *module;
    weft_memory *memory;
    weft_instance *inst[MAX_THREADS];
    weft_func *fn[MAX_THREADS][F_COUNT];
} runner;

static void die(const char *stage, const weft_error *err)
{
    char msg[1024];
    weft_error_format(err, msg, sizeof msg);
    char *nl = strchr(msg, '\n');
    if (nl)
        *nl = 0;
    fprintf(stderr, "weft: %s: %s\n", stage, msg);
    exit(1);
}

static int runner_new(runner *r, int argc, char **argv)
{
    weft_error err;
    memset(&err, 0, sizeof err);
    memset(r, 0, sizeof *r);
    if (argc < 2) {
        fprintf(stderr, "usage: weft_threaded KERNELS.wasm [repeat [scale%%]]\n");
        exit(2);
    }
    size_t size = 0;
    uint8_t *bytes = bench_read_file(argv[1], &size);
    if (!bytes) {
        fprintf(stderr, "weft: cannot read %s\n", argv[1]);
        exit(1);
    }
    if (weft_engine_new(NULL, &r->engine, &err))
        die("engine", &err);
    if (weft_module_new(r->engine, bytes, size, &r->module, &err))
        die("module", &err);
    free(bytes);
    /* The module's one import is its memory: make it as it asks (shared). */
    weft_limits limits;
    if (weft_module_import_count(r->module) != 1 ||
        !weft_module_import_memory_limits(r->module, 0, &limits)) {
        fprintf(stderr, "weft: module: expected one import, a memory\n");
        exit(1);
    }
    if (weft_memory_new(r->engine, &limits, &r->memory, &err))
        die("memory", &err);
    weft_extern imp = {.kind = WEFT_EXTERN_MEMORY, .of.memory = r->memory};
    for (int t = 0; t < MAX_THREADS; t++) {
        if (weft_instance_new(r->module, &imp, 1, &r->inst[t], &err))
            die("instantiate", &err);
        for (int f = 0; f < F_COUNT; f++) {
            weft_extern ext;
            if (!weft_instance_export(r->inst[t], fn_names[f], strlen(fn_names[f]), &ext) ||
                ext.kind != WEFT_EXTERN_FUNC) {
                fprintf(stderr, "weft: export: no function %s\n", fn_names[f]);
                exit(1);
            }
            r->fn[t][f] = ext.of.func;
        }
    }
    return 2;
}

static void runner_free(runner *r)
{
    for (int t = 0; t < MAX_THREADS; t++)
        weft_instance_free(r->inst[t]);
    weft_memory_free(r->memory);
    weft_module_free(r->module);
    weft_engine_free(r->engine);
}

/* Calls export `f` of worker's own instance (so each thread runs its own). */
static uint32_t call(runner *r, int worker, fn_id f, uint32_t a, uint32_t b, uint32_t c)
{
    weft_val args[3] = {{.kind = WEFT_I32, .of.i32 = (int32_t)a},
                        {.kind = WEFT_I32, .of.i32 = (int32_t)b},
                        {.kind = WEFT_I32, .of.i32 = (int32_t)c}};
    static const size_t nargs[F_COUNT] = {0, 1, 1, 0, 0, 2, 3};
    static const size_t nres[F_COUNT] = {0, 1, 1, 1, 0, 1, 1};
    weft_val res;
    memset(&res, 0, sizeof res);
    weft_error err;
    if (weft_call(r->fn[worker][f], args, nargs[f], &res, nres[f], &err))
        die(fn_names[f], &err);
    return nres[f] ? (uint32_t)res.of.i32 : 0;
}
#endif

/* ---- measurement (shared) -------------------------------------------------- */

typedef struct worker {
    runner *r;
    int index;
    fn_id f;
    uint32_t a, b, c;
    uint32_t result;
    pthread_barrier_t *start;
    double t_start, t_end, cpu; /* ms: its call's span, and its CPU time */
} worker;

static double thread_cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Each worker times its own call: the thread that created them cannot, as
 * it would have to run after the barrier -- on a 2-CPU machine, where the
 * two workers hold both CPUs, it might read the clock only when they are
 * nearly done, and a run would look almost free. */
static void *worker_main(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(w->start);
    double c0 = thread_cpu_ms();
    w->t_start = bench_now_ms();
    w->result = call(w->r, w->index, w->f, w->a, w->b, w->c);
    w->t_end = bench_now_ms();
    w->cpu = thread_cpu_ms() - c0;
    return NULL;
}

/* Runs ws[0..n) on n threads; returns the milliseconds from the first
 * worker's start to the last one's end, and in *cpu the CPU time the workers
 * used meanwhile. */
static double run_threads(worker *ws, int n, double *cpu)
{
    pthread_t th[MAX_THREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        ws[i].start = &start;
        if (pthread_create(&th[i], NULL, worker_main, &ws[i]) != 0) {
            fprintf(stderr, WHO ": cannot create a thread\n");
            exit(1);
        }
    }
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    double t0 = ws[0].t_start, t1 = ws[0].t_end;
    *cpu = 0;
    for (int i = 0; i < n; i++) {
        t0 = ws[i].t_start < t0 ? ws[i].t_start : t0;
        t1 = ws[i].t_end > t1 ? ws[i].t_end : t1;
        *cpu += ws[i].cpu;
    }
    return t1 - t0;
}

static void report(const char *kernel, int threads, uint64_t checksum, uint64_t ops, double ms,
                   double cpu)
{
    printf("%s %d checksum %" PRIu64 " ops %" PRIu64 " ms %.3f cpu %.3f\n", kernel, threads,
           checksum, ops, ms, cpu);
    fflush(stdout);
}

/* (1) Two threads hammer one word with atomic adds (`f`: contend, adds only,
 * or contend_sum, which also sums the old values).  The checksum is the final
 * total; for contend_sum, only if the old values the adds returned were
 * 0 .. n-1 (n = both threads' adds) -- by their sum, mod 2^32. */
static void bench_contend(runner *r, fn_id f, const char *name, uint32_t iters)
{
    call(r, 0, F_CONTEND_RESET, 0, 0, 0);
    worker ws[2] = {{.r = r, .index = 0, .f = f, .a = iters}, {.r = r, .index = 1, .f = f, .a = iters}};
    double cpu, ms = run_threads(ws, 2, &cpu);
    uint64_t total = call(r, 0, F_CONTEND_TOTAL, 0, 0, 0);
    uint64_t n = 2 * (uint64_t)iters;
    bool each_once = f != F_CONTEND_SUM ||
                     (uint32_t)(ws[0].result + ws[1].result) == (uint32_t)(n * (n - 1) / 2);
    report(name, 2, each_once ? total : 0, n, ms, cpu);
}

/* (2) Two threads pass the turn back and forth through wait/notify. */
static void bench_pingpong(runner *r, uint32_t rounds)
{
    call(r, 0, F_PINGPONG_RESET, 0, 0, 0);
    worker ws[2] = {{.r = r, .index = 0, .f = F_PINGPONG, .a = 0, .b = rounds},
                    {.r = r, .index = 1, .f = F_PINGPONG, .a = 1, .b = rounds}};
    double cpu, ms = run_threads(ws, 2, &cpu);
    report("pingpong", 2, (uint64_t)ws[0].result + ws[1].result, rounds, ms, cpu);
}

/* (3) The primes below `limit`, on 1 and on 2 threads. */
static void bench_primes(runner *r, uint32_t limit, int threads)
{
    worker ws[MAX_THREADS];
    for (int i = 0; i < threads; i++)
        ws[i] = (worker){.r = r, .index = i, .f = F_PRIMES, .a = (uint32_t)i,
                         .b = (uint32_t)threads, .c = limit};
    double cpu, ms = run_threads(ws, threads, &cpu);
    uint64_t count = 0;
    for (int i = 0; i < threads; i++)
        count += ws[i].result;
    report("primes", threads, count, limit, ms, cpu);
}

int main(int argc, char **argv)
{
    runner r;
    int next = runner_new(&r, argc, argv) ? 2 : 1;
    int repeat = argc > next ? atoi(argv[next]) : 3;
    int scale = argc > next + 1 ? atoi(argv[next + 1]) : 100;
    if (repeat < 1 || scale < 1) {
        fprintf(stderr, WHO ": repeat and scale must be positive\n");
        return 2;
    }
    uint32_t iters = (uint32_t)((uint64_t)CONTEND_ITERS * (unsigned)scale / 100);
    uint32_t rounds = (uint32_t)((uint64_t)PINGPONG_ROUNDS * (unsigned)scale / 100);
    uint32_t limit = (uint32_t)((uint64_t)PRIMES_LIMIT * (unsigned)scale / 100);
    const char *only = getenv("THREADED_ONLY");
#define WANT(name) (!only || strcmp(only, name) == 0)
    /* Interleaved, so that a burst of load on the machine hits every variant
     * alike; the reader takes each one's minimum. */
    for (int i = 0; i < repeat; i++) {
        if (WANT("contend"))
            bench_contend(&r, F_CONTEND, "contend", iters);
        if (WANT("contend_sum"))
            bench_contend(&r, F_CONTEND_SUM, "contend_sum", iters);
        if (WANT("pingpong"))
            bench_pingpong(&r, rounds);
        if (WANT("primes")) {
            bench_primes(&r, limit, 1);
            bench_primes(&r, limit, 2);
        }
    }
#undef WANT
    runner_free(&r);
    return 0;
}

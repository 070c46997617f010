/*
 * test_group_program.c -- wasi-threads programs through the public API
 * (weft_program_*): group termination from the embedder while threads
 * busy-loop or wait, a trap or proc_exit in a spawned thread ending the
 * group with that thread's id, the max-threads limit as a negative
 * thread-spawn result, hundreds of threads, a module that defines its shared
 * memory, threads blocked in WASI calls (reads, poll_oneoff, path_open of
 * FIFOs), linking errors -- and the embedding process surviving all of it.
 * Modules: tests/wat/group_*.wat.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/wasm_file.h"
#include "weft.h"

/* Termination must be prompt (DESIGN.md invariant 4). */
#define MAX_END_NS 1000000000LL

static weft_engine *engine;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static uint32_t load32(weft_program *p, uint32_t addr)
{
    uint32_t v;
    __atomic_load(
        (uint32_t *)(void *)(weft_memory_data(weft_program_memory(p)) + addr), &v,
        __ATOMIC_SEQ_CST);
    return v;
}

/* Waits until `n` spawned threads have started (the counter at address 0). */
static void await_started(weft_program *p, uint32_t n)
{
    for (int i = 0; i < 10000 && load32(p, 0) < n; i++)
        sleep_ms(1);
    assert_true(load32(p, 0) >= n);
}

static int setup(void **state)
{
    (void)state;
    weft_error err;
    return weft_engine_new(NULL, &engine, &err) == WEFT_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    weft_engine_free(engine);
    return 0;
}

/* Starts `entry`(n) on its own thread, lets the threads get going, ends the
 * group from this thread and checks that everything stopped promptly. */
static void terminate_while(const char *entry, uint32_t n)
{
    weft_module *m = test_module_load(engine, "group_threads");
    weft_program *p = test_program_new(m, 0);
    weft_val arg = {.kind = WEFT_I32, .of.i32 = (int32_t)n};
    weft_error err;
    assert_int_equal(weft_program_start(p, entry, &arg, 1, &err), WEFT_OK);
    await_started(p, n);
    sleep_ms(20); /* let them settle into their loops and waits */
    int64_t t0 = now_ns();
    weft_program_terminate(p);
    weft_status st = weft_program_wait(p, NULL, 0, &err);
    int64_t took = now_ns() - t0;
    print_message("%s(%u): group ended in %.3f ms\n", entry, n, took / 1e6);
    assert_int_equal(st, WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_TERMINATED);
    assert_true(took < MAX_END_NS);
    /* Every caller of wait gets the same status. */
    assert_int_equal(weft_program_wait(p, NULL, 0, &err), WEFT_TRAP);
    weft_program_free(p);
    weft_module_free(m);
}

static void test_terminate_busy(void **state)
{
    (void)state;
    terminate_while("run_busy", 8);
}

static void test_terminate_waiting(void **state)
{
    (void)state;
    terminate_while("run_wait", 8);
}

/* Runs `entry` of module `m` (freed here) until its thread and the one it
 * spawns block in WASI calls (`what`), then ends the group from this thread:
 * it must end promptly (wasi_interrupt). */
static void terminate_blocked(weft_module *m, const weft_program_config *cfg, const char *entry,
                              const char *what)
{
    weft_program *p = NULL;
    weft_error err;
    if (weft_program_new(m, cfg, &p, &err) != WEFT_OK)
        fail_msg("weft_program_new: %s", err.message);
    assert_int_equal(weft_program_start(p, entry, NULL, 0, &err), WEFT_OK);
    await_started(p, 1);
    sleep_ms(50); /* into the blocking calls */
    int64_t t0 = now_ns();
    weft_program_terminate(p);
    weft_status st = weft_program_wait(p, NULL, 0, &err);
    int64_t took = now_ns() - t0;
    print_message("blocked in %s: group ended in %.3f ms\n", what, took / 1e6);
    assert_int_equal(st, WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_TERMINATED);
    assert_true(took < MAX_END_NS);
    weft_program_free(p);
    weft_module_free(m);
}

/* The entry blocks reading a pipe and a spawned thread sleeps in poll_oneoff:
 * both must end promptly (wasi_interrupt). */
static void test_terminate_blocked_in_wasi(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    weft_module *m = test_module_load(engine, "group_wasi_block");
    weft_program_config cfg;
    weft_program_config_init(&cfg);
    cfg.stdin_fd = fds[0];
    terminate_blocked(m, &cfg, "read_block", "fd_read and poll_oneoff");
    close(fds[0]);
    close(fds[1]);
}

/* One thread blocks opening a FIFO for writing, the entry opening (and then
 * reading) another for reading, with no other end ever: both must end
 * promptly when the embedder ends the group. */
static void test_terminate_blocked_in_open(void **state)
{
    (void)state;
    char dir[] = "/tmp/weft-fifo-XXXXXX", wpath[64], rpath[64];
    assert_non_null(mkdtemp(dir));
    snprintf(wpath, sizeof wpath, "%s/w.fifo", dir);
    snprintf(rpath, sizeof rpath, "%s/r.fifo", dir);
    assert_int_equal(mkfifo(wpath, 0600), 0);
    assert_int_equal(mkfifo(rpath, 0600), 0);
    weft_module *m = test_module_load(engine, "group_wasi_open");
    weft_preopen pre = {.host_path = dir, .guest_path = "/data"};
    weft_program_config cfg;
    weft_program_config_init(&cfg);
    cfg.preopens = &pre;
    cfg.npreopens = 1;
    terminate_blocked(m, &cfg, "open_block", "path_open of FIFOs");
    unlink(wpath);
    unlink(rpath);
    rmdir(dir);
}

static void test_trap_in_thread_ends_group(void **state)
{
    (void)state;
    weft_module *m = test_module_load(engine, "group_threads");
    weft_program *p = test_program_new(m, 0);
    weft_val arg = {.kind = WEFT_I32, .of.i32 = 4};
    weft_error err;
    /* Threads 1-3 busy-loop, thread 4 traps; the entry runs on this thread. */
    weft_status st = weft_program_run(p, "run_trap", &arg, 1, NULL, 0, &err);
    assert_int_equal(st, WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_UNREACHABLE);
    assert_int_equal(err.thread_id, 4);
    assert_true(err.nframes >= 2);
    assert_int_equal(err.frames[0].func_index, 4); /* $trap_here */
    weft_program_free(p);
    weft_module_free(m);
}

static void test_trap_in_entry(void **state)
{
    (void)state;
    weft_module *m = test_module_load(engine, "group_threads");
    weft_program *p = test_program_new(m, 0);
    weft_error err;
    assert_int_equal(weft_program_run(p, "entry_trap", NULL, 0, NULL, 0, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_UNREACHABLE);
    assert_int_equal(err.thread_id, 0);
    weft_program_free(p);
    weft_module_free(m);
}

static void test_exit_in_thread(void **state)
{
    (void)state;
    weft_module *m = test_module_load(engine, "group_threads");
    weft_program *p = test_program_new(m, 0);
    weft_val arg = {.kind = WEFT_I32, .of.i32 = 3};
    weft_error err;
    int64_t t0 = now_ns();
    weft_status st = weft_program_run(p, "run_exit", &arg, 1, NULL, 0, &err);
    assert_int_equal(st, WEFT_EXIT);
    assert_int_equal(err.exit_code, 7);
    assert_true(now_ns() - t0 < MAX_END_NS);
    weft_program_free(p);
    weft_module_free(m);
}

/* The entry returns: the group ends with WEFT_OK and its waiting threads end. */
static void run_return(uint32_t max_threads, int32_t n, int32_t expect)
{
    weft_module *m = test_module_load(engine, "group_threads");
    weft_program *p = test_program_new(m, max_threads);
    weft_val arg = {.kind = WEFT_I32, .of.i32 = n};
    weft_val result;
    weft_error err;
    int64_t t0 = now_ns();
    weft_status st = weft_program_run(p, "run_return", &arg, 1, &result, 1, &err);
    if (st != WEFT_OK)
        fail_msg("run_return: %s", err.message);
    print_message("run_return(%d): %d threads, %.3f ms\n", n, result.of.i32,
                  (now_ns() - t0) / 1e6);
    assert_int_equal(result.of.i32, expect);
    if (expect < n)
        assert_true((int32_t)load32(p, 200) < 0); /* the refused spawn */
    /* Ids are sequential while no thread ends. */
    for (int32_t i = 0; i < expect; i++)
        assert_int_equal(load32(p, 256 + 4 * (uint32_t)i), i + 1);
    weft_program_free(p);
    weft_module_free(m);
}

static void test_limit_gives_negative(void **state)
{
    (void)state;
    run_return(8, 9, 8);
}

static void test_hundreds_of_threads(void **state)
{
    (void)state;
    run_return(0, 300, 300);
}

static void test_defined_memory_is_shared(void **state)
{
    (void)state;
    weft_module *m = test_module_load(engine, "group_defmem");
    weft_program *p = test_program_new(m, 0);
    weft_val result;
    weft_error err;
    weft_status st = weft_program_run(p, NULL, NULL, 0, &result, 1, &err);
    if (st != WEFT_OK)
        fail_msg("_start: %s", err.message);
    /* Thread 1 saw arg 42, the shared memory and a fresh global. */
    assert_int_equal(result.of.i32, 1042);
    weft_program_free(p);
    weft_module_free(m);
}

static void test_unknown_import(void **state)
{
    (void)state;
    weft_module *m = test_module_load(engine, "group_unknown_import");
    weft_program *p = NULL;
    weft_error err;
    assert_int_equal(weft_program_new(m, NULL, &p, &err), WEFT_UNLINKABLE);
    assert_int_equal(err.code, WEFT_E_UNKNOWN_IMPORT);
    assert_non_null(strstr(err.message, "env.host_thing"));
    assert_null(p);
    weft_module_free(m);
}

/* Freeing a running program ends it; starting twice is refused. */
static void test_free_running(void **state)
{
    (void)state;
    weft_module *m = test_module_load(engine, "group_threads");
    weft_program *p = test_program_new(m, 0);
    weft_val arg = {.kind = WEFT_I32, .of.i32 = 4};
    weft_error err;
    assert_int_equal(weft_program_start(p, "run_busy", &arg, 1, &err), WEFT_OK);
    assert_int_equal(weft_program_start(p, "run_busy", &arg, 1, &err), WEFT_BAD_ARGUMENT);
    await_started(p, 4);
    weft_program_free(p);
    weft_module_free(m);
}

typedef struct runner {
    weft_program *program;
    weft_status st;
    weft_error err;
} runner;

static void *run_on_thread(void *arg)
{
    runner *r = arg;
    weft_val n = {.kind = WEFT_I32, .of.i32 = 2};
    r->st = weft_program_run(r->program, "run_wait", &n, 1, NULL, 0, &r->err);
    return NULL;
}

/* weft_program_run on one host thread, weft_program_free from another: the
 * free ends the program and waits for the run to let go of it. */
static void test_free_while_run_elsewhere(void **state)
{
    (void)state;
    weft_module *m = test_module_load(engine, "group_threads");
    runner r = {.program = test_program_new(m, 0)};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_on_thread, &r), 0);
    await_started(r.program, 2);
    weft_program_free(r.program);
    pthread_join(t, NULL);
    assert_int_equal(r.st, WEFT_TRAP);
    assert_int_equal(r.err.code, WEFT_E_TERMINATED);
    weft_module_free(m);
}

static void test_bad_entry(void **state)
{
    (void)state;
    weft_module *m = test_module_load(engine, "group_threads");
    weft_program *p = test_program_new(m, 0);
    weft_error err;
    assert_int_equal(weft_program_start(p, "no_such", NULL, 0, &err), WEFT_BAD_ARGUMENT);
    assert_int_equal(weft_program_start(p, "run_busy", NULL, 0, &err), WEFT_BAD_ARGUMENT);
    weft_program_free(p);
    weft_module_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terminate_busy),
        cmocka_unit_test(test_terminate_waiting),
        cmocka_unit_test(test_terminate_blocked_in_wasi),
        cmocka_unit_test(test_terminate_blocked_in_open),
        cmocka_unit_test(test_trap_in_thread_ends_group),
        cmocka_unit_test(test_trap_in_entry),
        cmocka_unit_test(test_exit_in_thread),
        cmocka_unit_test(test_limit_gives_negative),
        cmocka_unit_test(test_hundreds_of_threads),
        cmocka_unit_test(test_defined_memory_is_shared),
        cmocka_unit_test(test_unknown_import),
        cmocka_unit_test(test_free_running),
        cmocka_unit_test(test_free_while_run_elsewhere),
        cmocka_unit_test(test_bad_entry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_spawn_fail.c -- `wasi` `thread-spawn` when the host runs short
 * (wasi-threads/spawn.c, threads/group.c, threads/thread.c): the new thread's
 * context and stacks are made before spawn returns, so a shortage is a
 * negative result, the group runs on, and the thread id and every allocation
 * made so far are given back (ASan's leak check sees the rest).
 *
 * The failures are injected deterministically:
 *  - the address space: RLIMIT_AS lowered to what the process uses now plus
 *    4 MiB -- room for a pthread stack, none for a thread's whole context;
 *  - the mapping count: the process's own mappings filled up to
 *    vm.max_map_count but for a few;
 *  - every allocation of the engine's allocator that a spawn makes, in turn.
 * And contexts of threads that ended are kept for reuse or unmapped, never
 * left behind.
 * Module: tests/wat/group_threads.wat; the thread-spawn host function is
 * called directly from the test's thread.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/wasm_file.h"
#include "wasi-threads/wasit.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* group_threads.wat's wasi_thread_start modes and addresses. */
#define MODE_WAIT_RELEASE 5
#define ADDR_STARTED 0
#define ADDR_RELEASE 8

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static uint32_t *word(weft_program *p, uint32_t addr)
{
    return (uint32_t *)(void *)(weft_memory_data(weft_program_memory(p)) + addr);
}

/* thread-spawn(mode), called as the guest would. */
static int32_t spawn(weft_program *p, int32_t mode)
{
    weft_val arg = {.kind = WEFT_I32, .of.i32 = mode};
    weft_val result;
    weft_error err;
    assert_int_equal(weft_call(p->spawn, &arg, 1, &result, 1, &err), WEFT_OK);
    return result.of.i32;
}

/* Lets every MODE_WAIT_RELEASE thread return and waits until they have. */
static void release_all(weft_program *p)
{
    __atomic_store_n(word(p, ADDR_RELEASE), 1, __ATOMIC_SEQ_CST);
    uint32_t woken;
    weft_error err;
    assert_int_equal(
        weft_memory_notify(weft_program_memory(p), ADDR_RELEASE, UINT32_MAX, &woken, &err),
        WEFT_OK);
    for (int i = 0; i < 10000 && thr_group_live(p->group) > 0; i++)
        sleep_ms(1);
    assert_int_equal(thr_group_live(p->group), 0);
    __atomic_store_n(word(p, ADDR_RELEASE), 0, __ATOMIC_SEQ_CST);
}

/* A refused spawn leaves the group running with no thread of it: no member
 * died of the shortage after its id was handed out. */
static void assert_refused(weft_program *p, int32_t r)
{
    assert_true(r < 0);
    sleep_ms(20); /* a thread that was started anyway would be failing now */
    assert_false(thr_group_ending(p->group));
}

/* kB of address space the process uses now (/proc/self/status VmSize). */
static size_t vm_size(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    assert_non_null(f);
    char line[256];
    unsigned long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %lu kB", &kb) == 1)
            break;
    fclose(f);
    assert_true(kb > 0);
    return (size_t)kb << 10;
}

/* Under `ulimit -v`, a spawn with room for a native stack but not for the
 * whole context used to start a thread that then ended the program with
 * "out of memory thread context". */
static void test_address_space_limit(void **state)
{
    (void)state;
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = test_module_load(e, "group_threads");
    weft_program *p = test_program_new(m, 0);
    /* No spawn before this one: a finished thread's memory, given back by
     * the next spawn, would make room for it. */
    struct rlimit old, low;
    assert_int_equal(getrlimit(RLIMIT_AS, &old), 0);
    low = old;
    low.rlim_cur = vm_size() + ((size_t)4 << 20);
    if (old.rlim_max != RLIM_INFINITY && low.rlim_cur > old.rlim_max)
        skip();
    assert_int_equal(setrlimit(RLIMIT_AS, &low), 0);
    int32_t r = spawn(p, MODE_WAIT_RELEASE);
    assert_int_equal(setrlimit(RLIMIT_AS, &old), 0);
    assert_refused(p, r);
    assert_int_equal(thr_group_live(p->group), 0);

    /* The id went back: the lowest is handed out again. */
    assert_int_equal(spawn(p, MODE_WAIT_RELEASE), 1);
    release_all(p);
    assert_false(thr_group_ending(p->group));
    weft_program_free(p);
    weft_module_free(m);
    weft_engine_free(e);
}

static long read_long(const char *path)
{
    FILE *f = fopen(path, "r");
    long v = -1;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static long count_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    long n = 0;
    int c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* Spawned threads alive at once until vm.max_map_count runs out (the limit
 * that stopped programs at about 13,000 threads): the spawn past it is
 * refused and the others run on.  Filling the process's own mappings leaves
 * the system alone; the sanitizers need mappings of their own for every
 * thread, so the test is skipped under them. */
#define SPARE_MAPPINGS 60
static char *filler;
static size_t filler_bytes;

static int unmap_filler(void **state)
{
    (void)state;
    if (filler)
        munmap(filler, filler_bytes);
    filler = NULL;
    return 0;
}

static void test_mapping_limit(void **state)
{
    (void)state;
    if (SANITIZED)
        skip();
    long max = read_long("/proc/sys/vm/max_map_count");
    if (max <= 0 || max > 1000000)
        skip(); /* filling a huge limit would take too long */
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = test_module_load(e, "group_threads");
    weft_program *p = test_program_new(m, 1000);
    /* Waiting threads park a record each; let 64 park once and leave spare
     * records behind, so that the threads below need no new malloc arena
     * (which would take a mapping the test wants for spawns). */
    for (int i = 0; i < 64; i++)
        assert_true(spawn(p, MODE_WAIT_RELEASE) > 0);
    for (int i = 0; i < 10000 && __atomic_load_n(word(p, ADDR_STARTED), __ATOMIC_SEQ_CST) < 64;
         i++)
        sleep_ms(1);
    sleep_ms(50); /* from counted to parked */
    release_all(p);
    /* Finished threads are joined by the next spawn, which keeps
     * THR_GROUP_SPARE_CONTEXTS of their contexts and unmaps the others; this
     * one leaves a single thread to join, whose context is kept too. */
    assert_true(spawn(p, MODE_WAIT_RELEASE) > 0);
    release_all(p);

    /* Alternate protections: every page of the filler is a mapping. */
    long pages = max - count_mappings() - SPARE_MAPPINGS;
    assert_true(pages > 0);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    filler_bytes = (size_t)pages * page;
    filler = mmap(NULL, filler_bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(filler != MAP_FAILED);
    for (long i = 1; i < pages; i += 2)
        assert_int_equal(mprotect(filler + (size_t)i * page, page, PROT_READ), 0);

    int32_t r = 0;
    int alive = 0;
    while (alive < 1000 && (r = spawn(p, MODE_WAIT_RELEASE)) > 0)
        alive++;
    print_message("%d threads with %d mappings to spare, then %d\n", alive, SPARE_MAPPINGS, r);
    assert_refused(p, r);
    /* The kept contexts, then two mappings a thread (thread.c): most of the
     * spare ones went to threads. */
    assert_true(alive >= (int)THR_GROUP_SPARE_CONTEXTS + SPARE_MAPPINGS / 2 - 10);
    assert_true(alive <= (int)THR_GROUP_SPARE_CONTEXTS + SPARE_MAPPINGS / 2 + 1);
    assert_int_equal(thr_group_live(p->group), (uint32_t)alive);
    release_all(p);
    unmap_filler(NULL);
    assert_true(spawn(p, MODE_WAIT_RELEASE) > 0);
    release_all(p);
    assert_false(thr_group_ending(p->group));
    weft_program_free(p);
    weft_module_free(m);
    weft_engine_free(e);
}

/* Threads come and go: their contexts are kept (THR_GROUP_SPARE_CONTEXTS)
 * or unmapped, never left behind -- the mapping count after a second round
 * of threads is the one after the first (skipped under the sanitizers, whose
 * own mappings per thread come and go too). */
static void test_contexts_given_back(void **state)
{
    (void)state;
    if (SANITIZED)
        skip();
    weft_engine *e = test_engine_new(WEFT_BOUNDS_GUARD);
    weft_module *m = test_module_load(e, "group_threads");
    weft_program *p = test_program_new(m, 0);
    long after[2];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 100; i++)
            assert_true(spawn(p, MODE_WAIT_RELEASE) > 0);
        release_all(p);
        /* This spawn joins the 100; its own thread is left to join. */
        assert_true(spawn(p, MODE_WAIT_RELEASE) > 0);
        release_all(p);
        after[round] = count_mappings();
    }
    print_message("mappings after each round: %ld, %ld\n", after[0], after[1]);
    assert_int_equal(after[1], after[0]);
    weft_program_free(p);
    weft_module_free(m);
    weft_engine_free(e);
}

/* An allocator that fails the `fail_at`-th allocation made on the arming
 * thread (other threads -- members that start -- are left alone). */
static struct {
    pthread_t owner;
    _Atomic int armed;
    _Atomic long count, fail_at, failed;
} inject;

static void *failing_realloc(void *user, void *ptr, size_t size)
{
    (void)user;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    if (atomic_load(&inject.armed) && pthread_equal(pthread_self(), inject.owner) &&
        atomic_fetch_add(&inject.count, 1) == atomic_load(&inject.fail_at)) {
        atomic_store(&inject.failed, 1);
        return NULL;
    }
    return realloc(ptr, size);
}

/* Every allocation a spawn makes fails in turn: each time the spawn is
 * refused and leaks nothing, and then the lowest id is still free. */
static void test_each_allocation_fails(void **state)
{
    (void)state;
    weft_config c;
    weft_config_init(&c);
    c.realloc_fn = failing_realloc;
    weft_engine *e = NULL;
    weft_error err;
    assert_int_equal(weft_engine_new(&c, &e, &err), WEFT_OK);
    weft_module *m = test_module_load(e, "group_threads");
    weft_program *p = test_program_new(m, 0);
    inject.owner = pthread_self();
    long k;
    for (k = 0; k < 1000; k++) {
        atomic_store(&inject.count, 0);
        atomic_store(&inject.fail_at, k);
        atomic_store(&inject.failed, 0);
        atomic_store(&inject.armed, 1);
        int32_t r = spawn(p, MODE_WAIT_RELEASE);
        atomic_store(&inject.armed, 0);
        if (!atomic_load(&inject.failed)) {
            assert_int_equal(r, 1);
            break;
        }
        assert_refused(p, r);
        assert_int_equal(thr_group_live(p->group), 0);
    }
    print_message("a spawn makes %ld allocations\n", k);
    assert_true(k > 0 && k < 1000);
    release_all(p);
    assert_false(thr_group_ending(p->group));
    weft_program_free(p);
    weft_module_free(m);
    weft_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_space_limit),
        cmocka_unit_test_teardown(test_mapping_limit, unmap_filler),
        cmocka_unit_test(test_contexts_given_back),
        cmocka_unit_test(test_each_allocation_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

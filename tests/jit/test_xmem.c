/*
 * test_xmem.c -- executable memory (jit/xmem.h): code written read-write,
 * sealed read-execute and run; no mapping of the process is ever writable
 * and executable (read from /proc/self/maps while the code exists); the
 * embedder's allocator is the one used when it supplies one; failures are
 * errors, never aborts.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "jit/x64_emit.h"
#include "jit/xmem.h"
#include "support/host_realloc.h"

/* The permissions ("r-xp", ...) of the mapping holding p, "" if none, and
 * whether any mapping of the process is writable and executable at once. */
static void maps(const void *p, char perms[5], bool *any_wx)
{
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[512];
    perms[0] = 0;
    *any_wx = false;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char pr[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, pr) != 3)
            continue;
        if (pr[1] == 'w' && pr[2] == 'x') {
            fprintf(stderr, "writable and executable: %s", line);
            *any_wx = true;
        }
        if ((uintptr_t)p >= lo && (uintptr_t)p < hi)
            memcpy(perms, pr, 5);
    }
    fclose(f);
}

/* Emits `mov eax, 42; ret` (or the loop below) into heap memory; returns the
 * byte count. */
static size_t emit_42(cb_buf *b)
{
    cb_init(b, host_realloc, NULL, 0);
    x64_mov_ri(b, X64_S32, X64_RAX, 42);
    x64_ret(b);
    weft_error err;
    assert_int_equal(cb_finish(b, &err), WEFT_OK);
    assert_int_equal(b->len, 6);
    static const uint8_t want[] = {0xB8, 0x2A, 0, 0, 0, 0xC3};
    assert_memory_equal(b->bytes, want, 6);
    return b->len;
}

/* uint64_t sum(uint64_t n): 1 + 2 + ... + n, with a forward jump (n == 0)
 * and a backward one (the loop): labels resolved after the copy still work,
 * since every jump is relative. */
static void emit_sum(cb_buf *b)
{
    cb_init(b, host_realloc, NULL, 0);
    cb_label done = cb_new_label(b), loop = cb_new_label(b);
    x64_alu_rr(b, X64_XOR, X64_S32, X64_RAX, X64_RAX);
    x64_test_rr(b, X64_S64, X64_RDI, X64_RDI);
    x64_jcc(b, X64_E, done);
    cb_bind(b, loop);
    x64_alu_rr(b, X64_ADD, X64_S64, X64_RAX, X64_RDI);
    x64_alu_ri(b, X64_SUB, X64_S64, X64_RDI, 1);
    x64_jcc(b, X64_NE, loop);
    cb_bind(b, done);
    x64_ret(b);
    weft_error err;
    assert_int_equal(cb_finish(b, &err), WEFT_OK);
}

static void test_default_rw_then_rx(void **state)
{
    (void)state;
    weft_error err;
    cb_buf b;
    size_t n = emit_42(&b);
    xm_block blk;
    assert_int_equal(xm_alloc(NULL, n, &blk, &err), WEFT_OK);
    assert_non_null(blk.ptr);
    assert_int_equal(blk.size, xm_page_size());
    assert_int_equal((uintptr_t)blk.ptr % xm_page_size(), 0);
    assert_false(blk.executable);
    char perms[5];
    bool wx;
    maps(blk.ptr, perms, &wx);
    assert_string_equal(perms, "rw-p");
    assert_false(wx);

    memcpy(blk.ptr, b.bytes, n);
    assert_int_equal(xm_seal(NULL, &blk, &err), WEFT_OK);
    assert_true(blk.executable);
    maps(blk.ptr, perms, &wx);
    assert_string_equal(perms, "r-xp");
    assert_false(wx);

    int (*fn)(void) = (int (*)(void))blk.ptr;
    assert_int_equal(fn(), 42);
    maps(blk.ptr, perms, &wx); /* still after running */
    assert_string_equal(perms, "r-xp");
    assert_false(wx);

    /* Sealing twice is a misuse, reported. */
    assert_int_equal(xm_seal(NULL, &blk, &err), WEFT_BAD_ARGUMENT);
    xm_free(NULL, &blk);
    assert_null(blk.ptr);
    xm_free(NULL, &blk); /* an empty block: nothing */
    cb_free(&b);
}

static void test_loop_with_labels(void **state)
{
    (void)state;
    weft_error err;
    cb_buf b;
    emit_sum(&b);
    xm_block blk;
    assert_int_equal(xm_alloc(NULL, b.len, &blk, &err), WEFT_OK);
    memcpy(blk.ptr, b.bytes, b.len);
    assert_int_equal(xm_seal(NULL, &blk, &err), WEFT_OK);
    uint64_t (*sum)(uint64_t) = (uint64_t (*)(uint64_t))blk.ptr;
    assert_int_equal(sum(0), 0);
    assert_int_equal(sum(1), 1);
    assert_int_equal(sum(100000), 5000050000ull);
    xm_free(NULL, &blk);
    cb_free(&b);
}

/* ---- an embedder's allocator --------------------------------------------- */

typedef struct alloc_log {
    int allocs, execs, frees;
    int fail_alloc, fail_exec; /* make the next call fail */
    void *last;
    size_t last_size;
} alloc_log;

static void *my_allocate(void *user, size_t size)
{
    alloc_log *l = user;
    l->allocs++;
    if (l->fail_alloc)
        return NULL;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    l->last = p;
    l->last_size = size;
    return p;
}

static int my_make_executable(void *user, void *ptr, size_t size)
{
    alloc_log *l = user;
    l->execs++;
    assert_ptr_equal(ptr, l->last);
    assert_int_equal(size, l->last_size);
    if (l->fail_exec)
        return -1;
    return mprotect(ptr, size, PROT_READ | PROT_EXEC);
}

static void my_free(void *user, void *ptr, size_t size)
{
    alloc_log *l = user;
    l->frees++;
    assert_ptr_equal(ptr, l->last);
    assert_int_equal(size, l->last_size);
    munmap(ptr, size);
}

static void test_embedder_allocator(void **state)
{
    (void)state;
    weft_error err;
    alloc_log log = {0};
    weft_code_allocator a = {my_allocate, my_make_executable, my_free, &log};
    cb_buf b;
    emit_sum(&b);
    xm_block blk;
    assert_int_equal(xm_alloc(&a, b.len, &blk, &err), WEFT_OK);
    assert_int_equal(log.allocs, 1);
    assert_ptr_equal(blk.ptr, log.last);
    assert_int_equal(log.last_size, xm_page_size()); /* rounded to pages */
    memcpy(blk.ptr, b.bytes, b.len);
    assert_int_equal(xm_seal(&a, &blk, &err), WEFT_OK);
    assert_int_equal(log.execs, 1);
    char perms[5];
    bool wx;
    maps(blk.ptr, perms, &wx);
    assert_string_equal(perms, "r-xp");
    assert_false(wx);
    uint64_t (*sum)(uint64_t) = (uint64_t (*)(uint64_t))blk.ptr;
    assert_int_equal(sum(10), 55);
    xm_free(&a, &blk);
    assert_int_equal(log.frees, 1);
    assert_int_equal(log.allocs + log.execs, 2); /* nothing else was asked */
    cb_free(&b);

    /* A bigger request: rounded up to whole pages, still the embedder's. */
    assert_int_equal(xm_alloc(&a, xm_page_size() + 1, &blk, &err), WEFT_OK);
    assert_int_equal(blk.size, 2 * xm_page_size());
    assert_int_equal(log.last_size, 2 * xm_page_size());
    xm_free(&a, &blk);
    assert_int_equal(log.frees, 2);
}

static void test_failures_are_errors(void **state)
{
    (void)state;
    weft_error err;
    xm_block blk;
    assert_int_equal(xm_alloc(NULL, 0, &blk, &err), WEFT_BAD_ARGUMENT);
    assert_null(blk.ptr);
    assert_int_equal(xm_alloc(NULL, SIZE_MAX, &blk, &err), WEFT_NOMEM);
    assert_null(blk.ptr);
    /* More address space than x86-64 user space has: the mapping fails. */
    assert_int_equal(xm_alloc(NULL, (size_t)1 << 62, &blk, &err), WEFT_NOMEM);
    assert_null(blk.ptr);
    assert_non_null(strstr(err.message, "cannot map"));
    assert_int_equal(xm_seal(NULL, &blk, &err), WEFT_BAD_ARGUMENT);

    alloc_log log = {.fail_alloc = 1};
    weft_code_allocator a = {my_allocate, my_make_executable, my_free, &log};
    assert_int_equal(xm_alloc(&a, 100, &blk, &err), WEFT_NOMEM);
    assert_null(blk.ptr);
    assert_non_null(strstr(err.message, "embedder"));
    assert_int_equal(log.allocs, 1);

    /* make_executable fails: the block is given back, the caller gets an
     * error and an empty block. */
    log = (alloc_log){.fail_exec = 1};
    assert_int_equal(xm_alloc(&a, 100, &blk, &err), WEFT_OK);
    assert_int_equal(xm_seal(&a, &blk, &err), WEFT_NOMEM);
    assert_null(blk.ptr);
    assert_int_equal(log.execs, 1);
    assert_int_equal(log.frees, 1);
}

static void test_engine_checks_allocator(void **state)
{
    (void)state;
    weft_error err;
    weft_config c;
    weft_config_init(&c);
    assert_null(c.code_allocator.allocate); /* default: weft's own */
    weft_engine *e = NULL;
    alloc_log log = {0};
    c.code_allocator = (weft_code_allocator){my_allocate, NULL, my_free, &log};
    assert_int_equal(weft_engine_new(&c, &e, &err), WEFT_BAD_ARGUMENT);
    assert_non_null(strstr(err.message, "code_allocator"));
    c.code_allocator = (weft_code_allocator){NULL, NULL, my_free, &log};
    assert_int_equal(weft_engine_new(&c, &e, &err), WEFT_BAD_ARGUMENT);
    c.code_allocator = (weft_code_allocator){my_allocate, my_make_executable, my_free, &log};
    assert_int_equal(weft_engine_new(&c, &e, &err), WEFT_OK);
    weft_engine_free(e);
    assert_int_equal(log.allocs, 0); /* nothing compiled yet, nothing asked */
}

/* Threads allocating, sealing, running and freeing at once (run under TSan). */
static void *worker(void *arg)
{
    const cb_buf *b = arg;
    for (int i = 0; i < 200; i++) {
        xm_block blk;
        weft_error err;
        if (xm_alloc(NULL, b->len, &blk, &err) != WEFT_OK)
            return (void *)1;
        memcpy(blk.ptr, b->bytes, b->len);
        if (xm_seal(NULL, &blk, &err) != WEFT_OK)
            return (void *)1;
        uint64_t (*sum)(uint64_t) = (uint64_t (*)(uint64_t))blk.ptr;
        uint64_t got = sum((uint64_t)i);
        xm_free(NULL, &blk);
        if (got != (uint64_t)i * (uint64_t)(i + 1) / 2)
            return (void *)1;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    cb_buf b;
    emit_sum(&b);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, &b), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        assert_null(r);
    }
    cb_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_rw_then_rx),   cmocka_unit_test(test_loop_with_labels),
        cmocka_unit_test(test_embedder_allocator),   cmocka_unit_test(test_failures_are_errors),
        cmocka_unit_test(test_engine_checks_allocator), cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_traps.c -- guard-page faults become traps of the thread that made them
 * (DESIGN.md invariant 2), and every other fault still reaches whoever
 * handled it before weft.
 *
 * Scenarios that end a process (unclaimed faults, the default action) run in
 * a fresh copy of this program (fork + exec "--child NAME"), so that each child
 * installs weft's handler itself, on top of exactly the handler it chose.
 *
 * cmocka installs its own SIGSEGV/SIGBUS handlers around every test (with
 * signal(), restoring them afterwards), which displaces weft's: tests that
 * expect traps put weft's action back for their duration (traps_on/off).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "engine/memory.h"
#include "threads/thread.h"

#define STACK_BYTES ((size_t)64 << 10)

static weft_engine *new_engine(void)
{
    weft_engine *e = NULL;
    if (weft_engine_new(NULL, &e, NULL) != WEFT_OK)
        return NULL;
    return e;
}

static weft_memory *new_memory(weft_engine *e, uint64_t min, uint64_t max)
{
    weft_limits l = { .min = min, .max = max, .has_max = true, .shared = true };
    weft_memory *m = NULL;
    if (weft_memory_new(e, &l, &m, NULL) != WEFT_OK)
        return NULL;
    return m;
}

/* ---- work run inside thr_enter ------------------------------------------- */

struct probe {
    volatile uint8_t *addr;
    uint8_t value;
    int reached_after; /* set if the access did not fault */
};

static weft_status read_at(void *arg)
{
    struct probe *p = arg;
    p->value = *p->addr;
    p->reached_after = 1;
    return WEFT_OK;
}

static weft_status write_at(void *arg)
{
    struct probe *p = arg;
    *p->addr = 0x5A;
    p->reached_after = 1;
    return WEFT_OK;
}

/* Runs fn(addr) inside a fresh entry; returns the status. */
static weft_status enter_probe(thr_context *ctx, weft_status (*fn)(void *), volatile void *addr,
                               struct probe *p, weft_error *err)
{
    memset(p, 0, sizeof *p);
    p->addr = addr;
    return thr_enter(ctx, fn, p, true, err);
}

/* ---- cmocka vs weft's handler -------------------------------------------- */

static struct sigaction weft_act[2], cmocka_act[2];
static bool have_weft_act;

static void traps_on(void)
{
    weft_error err;
    assert_int_equal(sigaction(SIGSEGV, NULL, &cmocka_act[0]), 0);
    assert_int_equal(sigaction(SIGBUS, NULL, &cmocka_act[1]), 0);
    assert_int_equal(thr_install_handler(&err), WEFT_OK);
    if (!have_weft_act) {
        assert_int_equal(sigaction(SIGSEGV, NULL, &weft_act[0]), 0);
        assert_int_equal(sigaction(SIGBUS, NULL, &weft_act[1]), 0);
        assert_true(weft_act[0].sa_flags & SA_SIGINFO);
        assert_true(weft_act[0].sa_flags & SA_ONSTACK);
        have_weft_act = true;
    } else {
        assert_int_equal(sigaction(SIGSEGV, &weft_act[0], NULL), 0);
        assert_int_equal(sigaction(SIGBUS, &weft_act[1], NULL), 0);
    }
}

static void traps_off(void)
{
    sigaction(SIGSEGV, &cmocka_act[0], NULL);
    sigaction(SIGBUS, &cmocka_act[1], NULL);
}

/* ---- a trap in one thread, work in another ------------------------------- */

struct bystander {
    weft_memory *m;
    _Atomic int *stop_after;
    uint64_t sum;
    weft_status st;
    int done;
};

/* Honest work in the same memory as the trapping thread: fill and sum. */
static weft_status bystander_work(void *arg)
{
    struct bystander *b = arg;
    volatile uint32_t *words = (volatile uint32_t *)weft_memory_data(b->m);
    size_t n = WASM_PAGE_SIZE / sizeof(uint32_t);
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < n; i++)
            words[i] = (uint32_t)(i + (size_t)round);
        for (size_t i = 0; i < n; i++)
            b->sum += words[i];
    }
    return WEFT_OK;
}

static void *bystander_main(void *arg)
{
    struct bystander *b = arg;
    thr_context *ctx = thr_current(STACK_BYTES);
    if (!ctx) {
        b->st = WEFT_NOMEM;
        return NULL;
    }
    thr_allow_range(ctx, weft_memory_data(b->m), b->m->reserved);
    weft_error err;
    b->st = thr_enter(ctx, bystander_work, b, true, &err);
    b->done = 1;
    return NULL;
}

static void test_trap_in_one_thread_only(void **state)
{
    (void)state;
    traps_on();
    weft_engine *e = new_engine();
    weft_memory *m = new_memory(e, 1, 4);
    assert_non_null(m);
    uint8_t *base = weft_memory_data(m);

    struct bystander b = { .m = m };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, bystander_main, &b), 0);

    thr_context *ctx = thr_current(STACK_BYTES);
    assert_non_null(ctx);
    thr_allow_range(ctx, base, m->reserved);
    int traps = 0;
    for (int i = 0; i < 300; i++) {
        struct probe p;
        weft_error err;
        volatile uint8_t *at = base + mem_size(m) + (size_t)(i % 7) * 4096;
        weft_status st = enter_probe(ctx, i % 2 ? read_at : write_at, at, &p, &err);
        assert_int_equal(st, WEFT_TRAP);
        assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
        assert_string_equal(err.message, "out of bounds memory access");
        assert_int_equal(p.reached_after, 0);
        assert_ptr_equal((void *)ctx->fault_addr, (void *)at);
        assert_int_equal(ctx->inside_wasm, 0);
        assert_null(ctx->jmp);
        traps++;
    }
    /* The far end of the guard: u32 address + u32 offset. */
    struct probe p;
    weft_error err;
    volatile uint8_t *far = base + 0xFFFFFFFFull + 0xFFFFFFFFull + 15;
    assert_int_equal(enter_probe(ctx, read_at, far, &p, &err), WEFT_TRAP);
    assert_ptr_equal((void *)ctx->fault_addr, (void *)far);

    pthread_join(t, NULL);
    assert_int_equal(b.done, 1);
    assert_int_equal(b.st, WEFT_OK);
    uint64_t n = WASM_PAGE_SIZE / 4, expect = 0;
    for (uint64_t round = 0; round < 200; round++)
        expect += n * (n - 1) / 2 + n * round;
    assert_int_equal(b.sum, expect);
    assert_int_equal(traps, 300);

    /* After a grow the same address is memory: no trap, and the write stays. */
    volatile uint8_t *next = base + mem_size(m);
    assert_int_equal(enter_probe(ctx, write_at, next, &p, &err), WEFT_TRAP);
    assert_int_equal(mem_grow(m, 1), 1);
    assert_int_equal(enter_probe(ctx, write_at, next, &p, &err), WEFT_OK);
    assert_int_equal(p.reached_after, 1);
    assert_int_equal(*next, 0x5A);

    weft_memory_free(m);
    weft_engine_free(e);
    traps_off();
}

/* ---- SIGBUS: a file mapping past its end --------------------------------- */

static void test_sigbus_is_a_trap(void **state)
{
    (void)state;
    traps_on();
    long page = sysconf(_SC_PAGESIZE);
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), page), 0);
    uint8_t *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_SHARED, fileno(f), 0);
    assert_true(map != MAP_FAILED);
    thr_context *ctx = thr_current(STACK_BYTES);
    assert_non_null(ctx);
    thr_allow_range(ctx, map, (size_t)page * 2);
    struct probe p;
    weft_error err;
    assert_int_equal(enter_probe(ctx, read_at, map, &p, &err), WEFT_OK);
    assert_int_equal(enter_probe(ctx, read_at, map + page, &p, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
    assert_ptr_equal((void *)ctx->fault_addr, map + page);
    munmap(map, (size_t)page * 2);
    fclose(f);
    traps_off();
}

/* ---- nesting ---------------------------------------------------------------- */

struct nest {
    thr_context *ctx;
    volatile uint8_t *bad;
    sigjmp_buf *outer_jmp;
    weft_status inner_st;
    weft_code inner_code;
    int inner_restored; /* jmp, inside_wasm and depth as before the inner entry */
};

static weft_status nested_outer(void *arg)
{
    struct nest *n = arg;
    n->outer_jmp = n->ctx->jmp;
    n->ctx->depth = 5;
    struct probe p;
    weft_error err;
    n->inner_st = enter_probe(n->ctx, read_at, n->bad, &p, &err);
    n->inner_code = err.code;
    n->inner_restored = n->ctx->jmp == n->outer_jmp && n->ctx->inside_wasm == 1 &&
                        n->ctx->depth == 5;
    /* The outer entry still catches its own fault. */
    (void)*n->bad;
    return WEFT_OK;
}

static void test_nested_entries(void **state)
{
    (void)state;
    traps_on();
    weft_engine *e = new_engine();
    weft_memory *m = new_memory(e, 1, 1);
    thr_context *ctx = thr_current(STACK_BYTES);
    assert_non_null(ctx);
    thr_allow_range(ctx, weft_memory_data(m), m->reserved);
    struct nest n = { .ctx = ctx, .bad = weft_memory_data(m) + WASM_PAGE_SIZE };
    weft_error err;
    assert_int_equal(thr_enter(ctx, nested_outer, &n, true, &err), WEFT_TRAP);
    assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
    assert_int_equal(n.inner_st, WEFT_TRAP);
    assert_int_equal(n.inner_code, WEFT_E_OOB_MEMORY);
    assert_non_null(n.outer_jmp);
    assert_int_equal(n.inner_restored, 1);
    assert_null(ctx->jmp);
    assert_int_equal(ctx->inside_wasm, 0);
    assert_int_equal(ctx->depth, 0);
    weft_memory_free(m);
    weft_engine_free(e);
    traps_off();
}

/* ---- many threads trapping at once --------------------------------------- */

#define TRAP_THREADS 8
#define TRAPS_EACH 500

struct trapper {
    weft_memory *m;
    int index;
    pthread_barrier_t *start;
    int traps;
    int oob_messages;
    void *altstack;
    int altstack_in_use; /* sigaltstack reports ours */
};

static void *trapper_main(void *arg)
{
    struct trapper *t = arg;
    thr_context *ctx = thr_current(STACK_BYTES);
    if (!ctx)
        return NULL;
    t->altstack = ctx->altstack;
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && (char *)cur.ss_sp > (char *)ctx->altstack &&
        (char *)cur.ss_sp < (char *)ctx->altstack + ctx->altstack_size &&
        cur.ss_size >= ((size_t)64 << 10))
        t->altstack_in_use = 1;
    thr_allow_range(ctx, weft_memory_data(t->m), t->m->reserved);
    pthread_barrier_wait(t->start);
    for (int i = 0; i < TRAPS_EACH; i++) {
        struct probe p;
        weft_error err;
        /* Each thread faults in its own stretch of the guard: TSan records a
         * store in its shadow before the store faults, and would otherwise
         * call the same faulting address in two threads a race. */
        volatile uint8_t *at =
            weft_memory_data(t->m) + mem_size(t->m) + ((size_t)t->index << 20) + (size_t)i * 64;
        if (enter_probe(ctx, i % 2 ? read_at : write_at, at, &p, &err) == WEFT_TRAP &&
            ctx->fault_addr == (uintptr_t)at)
            t->traps++;
        if (err.code == WEFT_E_OOB_MEMORY)
            t->oob_messages++;
    }
    return NULL;
}

static void test_many_threads_trap(void **state)
{
    (void)state;
    traps_on();
    weft_engine *e = new_engine();
    weft_memory *m = new_memory(e, 2, 2);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, TRAP_THREADS);
    struct trapper t[TRAP_THREADS];
    pthread_t th[TRAP_THREADS];
    for (int i = 0; i < TRAP_THREADS; i++) {
        t[i] = (struct trapper){ .m = m, .index = i, .start = &start };
        assert_int_equal(pthread_create(&th[i], NULL, trapper_main, &t[i]), 0);
    }
    for (int i = 0; i < TRAP_THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < TRAP_THREADS; i++) {
        assert_int_equal(t[i].traps, TRAPS_EACH);
        assert_int_equal(t[i].oob_messages, TRAPS_EACH);
        assert_int_equal(t[i].altstack_in_use, 1);
        for (int j = 0; j < i; j++)
            assert_ptr_not_equal(t[i].altstack, t[j].altstack);
    }
    weft_memory_free(m);
    weft_engine_free(e);
    traps_off();
}

/* ---- context lifetime ----------------------------------------------------- */

struct lifetime {
    void *altstack;
    size_t altstack_size;
    size_t stack_bytes;
    int same_again;
};

static void *lifetime_main(void *arg)
{
    struct lifetime *l = arg;
    thr_context *ctx = thr_current(STACK_BYTES);
    if (!ctx)
        return NULL;
    l->altstack = ctx->altstack;
    l->altstack_size = ctx->altstack_size;
    /* A larger request grows the value stack; a smaller keeps it. */
    thr_context *again = thr_current(STACK_BYTES * 2);
    l->same_again = again == ctx && thr_current(16) == ctx;
    l->stack_bytes = ctx->stack_bytes;
    return NULL;
}

static bool is_mapped(void *addr, size_t len)
{
    unsigned char vec[64];
    long page = sysconf(_SC_PAGESIZE);
    size_t n = (len + (size_t)page - 1) / (size_t)page;
    if (n > sizeof vec)
        n = sizeof vec;
    return mincore(addr, n * (size_t)page, vec) == 0 || errno != ENOMEM;
}

static void test_context_freed_at_thread_exit(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++) {
        struct lifetime l = { 0 };
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, lifetime_main, &l), 0);
        pthread_join(t, NULL);
        assert_non_null(l.altstack);
        assert_true(l.altstack_size >= ((size_t)64 << 10) + 4096);
        assert_int_equal(l.same_again, 1);
        assert_true(l.stack_bytes >= STACK_BYTES * 2);
        /* The alternate stack went with the thread (the value stack and the
         * context are malloc'd: ASan's leak check sees those). */
        assert_false(is_mapped(l.altstack, l.altstack_size));
    }
}

static void test_guard_page_below_altstack(void **state)
{
    (void)state;
    thr_context *ctx = thr_current(STACK_BYTES);
    assert_non_null(ctx);
    long page = sysconf(_SC_PAGESIZE);
    unsigned char vec[1];
    /* Mapped (mincore succeeds) but inaccessible: msync works on it, a
     * PROT_NONE page is still part of the mapping. */
    assert_int_equal(mincore(ctx->altstack, (size_t)page, vec), 0);
    stack_t cur;
    assert_int_equal(sigaltstack(NULL, &cur), 0);
    assert_ptr_equal(cur.ss_sp, (char *)ctx->altstack + page);
    assert_int_equal(cur.ss_size + (size_t)page, ctx->altstack_size);
    /* The guard page itself refuses access: mprotect'ing it readable again
     * would succeed, so check its protection through /proc/self/maps. */
    FILE *maps = fopen("/proc/self/maps", "r");
    assert_non_null(maps);
    char line[512];
    bool found = false;
    uintptr_t g = (uintptr_t)ctx->altstack;
    while (fgets(line, sizeof line, maps)) {
        unsigned long lo, hi;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && lo <= g && g < hi) {
            assert_string_equal(perms, "---p");
            found = true;
        }
    }
    fclose(maps);
    assert_true(found);
}

static void test_reservation_slots(void **state)
{
    (void)state;
    thr_context *ctx = thr_current(STACK_BYTES);
    assert_non_null(ctx);
    sig_atomic_t before = ctx->nreservations;
    static char blocks[40][16];
    thr_allow_range(ctx, blocks[0], 16);
    thr_allow_range(ctx, blocks[0], 16);
    if (before < THR_MAX_RESERVATIONS)
        assert_int_equal(ctx->nreservations, before + 1);
    for (int i = 1; i < 40; i++)
        thr_allow_range(ctx, blocks[i], 16);
    assert_int_equal(ctx->nreservations, THR_MAX_RESERVATIONS);
    /* The most recent ones are always allowed. */
    for (int i = 40 - THR_MAX_RESERVATIONS; i < 40; i++) {
        bool found = false;
        for (int k = 0; k < THR_MAX_RESERVATIONS; k++)
            found |= ctx->reservations[k].start == (uintptr_t)blocks[i] &&
                     ctx->reservations[k].end == (uintptr_t)blocks[i] + 16;
        assert_true(found);
    }
}

/* ---- faults that are not weft's: children --------------------------------- */

enum { CHILD_CLAIMED = 42, CHILD_OWN_HANDLER = 7, CHILD_OWN_PLAIN = 8, CHILD_WRONG_ADDR = 9,
       CHILD_SETUP_FAILED = 3, CHILD_SURVIVED = 4 };

static volatile void *child_expected_addr;

static void child_siginfo_handler(int sig, siginfo_t *info, void *uctx)
{
    (void)uctx;
    if (sig == SIGSEGV && info->si_addr == child_expected_addr)
        _exit(CHILD_OWN_HANDLER);
    _exit(CHILD_WRONG_ADDR);
}

static void child_plain_handler(int sig)
{
    _exit(sig == SIGSEGV ? CHILD_OWN_PLAIN : CHILD_WRONG_ADDR);
}

static int set_action(int sig, void (*plain)(int), void (*info)(int, siginfo_t *, void *))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    if (info) {
        sa.sa_sigaction = info;
        sa.sa_flags = SA_SIGINFO;
    } else {
        sa.sa_handler = plain;
    }
    return sigaction(sig, &sa, NULL);
}

static weft_status raise_segv(void *arg)
{
    (void)arg;
    raise(SIGSEGV);
    return WEFT_OK;
}

/* Runs one scenario in a child process; returns its exit code. */
static int child_main(const char *name)
{
    struct rlimit no_core = { 0, 0 };
    setrlimit(RLIMIT_CORE, &no_core);
    alarm(20); /* a fault that loops forever fails the test instead of hanging it */
    if (!strcmp(name, "install")) {
        weft_error err;
        weft_status st = thr_install_handler(&err);
        if (st == WEFT_OK)
            return 0;
        return st == WEFT_UNSUPPORTED && strstr(err.message, "WEFT_BOUNDS_SOFTWARE") ? 5 : 6;
    }
    weft_engine *e = new_engine();
    weft_memory *allowed = e ? new_memory(e, 1, 1) : NULL;
    weft_memory *other = e ? new_memory(e, 1, 1) : NULL;
    if (!allowed || !other)
        return CHILD_SETUP_FAILED;
    volatile uint8_t *in_allowed = weft_memory_data(allowed) + WASM_PAGE_SIZE;
    volatile uint8_t *in_other = weft_memory_data(other) + WASM_PAGE_SIZE;

    int rc;
    bool inside = true;
    volatile uint8_t *target = in_allowed;
    if (!strcmp(name, "unclaimed")) {
        rc = set_action(SIGSEGV, NULL, child_siginfo_handler);
        target = in_other;
    } else if (!strcmp(name, "outside")) {
        rc = set_action(SIGSEGV, NULL, child_siginfo_handler);
        inside = false;
    } else if (!strcmp(name, "plain")) {
        rc = set_action(SIGSEGV, child_plain_handler, NULL);
        inside = false;
    } else if (!strcmp(name, "default")) {
        rc = set_action(SIGSEGV, SIG_DFL, NULL);
        inside = false;
    } else if (!strcmp(name, "ignored")) {
        rc = set_action(SIGSEGV, SIG_IGN, NULL);
        inside = false;
    } else if (!strcmp(name, "killed")) {
        rc = set_action(SIGSEGV, SIG_DFL, NULL);
        target = NULL; /* raise() inside wasm: not a fault */
    } else {
        return CHILD_SETUP_FAILED;
    }
    child_expected_addr = target;
    weft_error err;
    thr_context *ctx = thr_current(STACK_BYTES);
    if (rc != 0 || !ctx || thr_install_handler(&err) != WEFT_OK)
        return CHILD_SETUP_FAILED;
    thr_allow_range(ctx, weft_memory_data(allowed), allowed->reserved);

    struct probe p;
    if (!target) {
        /* A signal sent to a thread that is inside wasm is not a fault. */
        weft_status st = thr_enter(ctx, raise_segv, NULL, true, &err);
        return st == WEFT_TRAP ? CHILD_CLAIMED : CHILD_SURVIVED;
    }
    if (inside)
        return enter_probe(ctx, read_at, target, &p, &err) == WEFT_TRAP ? CHILD_CLAIMED
                                                                         : CHILD_SURVIVED;
    (void)*target;
    return CHILD_SURVIVED;
}

extern char **environ;

/* Runs a scenario in a fresh process, with `asan_options` appended to
 * ASAN_OPTIONS if not NULL (later options win). */
static int run_child_env(const char *name, const char *asan_options)
{
    static char *envp[512];
    static char asan[1024];
    size_t n = 0;
    const char *old = getenv("ASAN_OPTIONS");
    for (char **e = environ; *e && n + 2 < WEFT_ARRAY_LEN(envp); e++)
        if (!asan_options || strncmp(*e, "ASAN_OPTIONS=", 13) != 0)
            envp[n++] = *e;
    if (asan_options) {
        snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s%s%s", old ? old : "", old ? ":" : "",
                 asan_options);
        envp[n++] = asan;
    }
    envp[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execle("/proc/self/exe", "test_traps", "--child", name, (char *)NULL, envp);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static int run_child(const char *name) { return run_child_env(name, NULL); }

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* ASan with handle_segv=2 keeps SIGSEGV to itself and turns every sigaction
 * on it into a no-op: weft must say so instead of failing later. */
static void test_install_refused_is_reported(void **state)
{
    (void)state;
    int status = run_child_env("install", "handle_segv=2:handle_sigbus=2");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), UNDER_ASAN ? 5 : 0);
    status = run_child("install");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_unallowed_range_not_claimed(void **state)
{
    (void)state;
    int status = run_child("unclaimed");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), CHILD_OWN_HANDLER);
}

static void test_fault_outside_wasm_reaches_previous_handler(void **state)
{
    (void)state;
    int status = run_child("outside");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), CHILD_OWN_HANDLER);
    status = run_child("plain");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), CHILD_OWN_PLAIN);
}

static void test_default_action_still_kills(void **state)
{
    (void)state;
    int status = run_child("default");
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
    status = run_child("ignored");
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
    status = run_child("killed");
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--child"))
        return child_main(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trap_in_one_thread_only),
        cmocka_unit_test(test_sigbus_is_a_trap),
        cmocka_unit_test(test_nested_entries),
        cmocka_unit_test(test_many_threads_trap),
        cmocka_unit_test(test_context_freed_at_thread_exit),
        cmocka_unit_test(test_guard_page_below_altstack),
        cmocka_unit_test(test_reservation_slots),
        cmocka_unit_test(test_unallowed_range_not_claimed),
        cmocka_unit_test(test_fault_outside_wasm_reaches_previous_handler),
        cmocka_unit_test(test_default_action_still_kills),
        cmocka_unit_test(test_install_refused_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

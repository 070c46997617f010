/*
 * test_tier_memory.c -- what each tier does to the process's memory, seen
 * from /proc/self/maps:
 *  - tier=interp maps no executable memory at all, not even while wasm runs;
 *  - tier=jit does (so the first check can fail), and no mapping is ever
 *    writable and executable at once, read from a host function that compiled
 *    code called;
 *  - with an embedder's weft_config.code_allocator, its callbacks are the ones
 *    called, on the same blocks, and the compiled code lives in them;
 *  - tier=auto, the default, compiles on x86-64 Linux and interprets elsewhere;
 *  - weft_engine_new takes tier=jit on x86-64 and rejects an unknown tier, and
 *    weft_config_init reads WEFT_TIER.
 * Each test sets the tier itself, so the file passes under any WEFT_TIER.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jit/jit.h"
#include "support/wasm_file.h"

/* ---- the process's anonymous executable mappings -------------------------- */

enum { MAX_RANGES = 256 };

typedef struct range {
    uintptr_t lo, hi;
} range;

/* What /proc/self/maps says at one moment: the executable mappings backed by
 * no file (machine code a program made; the kernel's [vdso] and [vsyscall]
 * are there from the start and left out), and whether any mapping at all is
 * writable and executable at once. */
typedef struct snapshot {
    range exec[MAX_RANGES];
    size_t nexec;
    size_t exec_bytes;
    bool any_wx;
    bool ok; /* the file was read and everything fitted */
} snapshot;

static void take_snapshot(snapshot *s)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return;
    s->ok = true;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi, inode;
        char perms[5], path[256] = "";
        int n = sscanf(line, "%lx-%lx %4s %*x %*x:%*x %lu %255[^\n]", &lo, &hi, perms, &inode, path);
        if (n < 4) {
            s->ok = false;
            continue;
        }
        if (perms[1] == 'w' && perms[2] == 'x')
            s->any_wx = true;
        if (perms[2] != 'x' || inode != 0 || !strcmp(path, "[vdso]") ||
            !strcmp(path, "[vsyscall]"))
            continue;
        if (s->nexec == MAX_RANGES) {
            s->ok = false;
            continue;
        }
        s->exec[s->nexec++] = (range){lo, hi};
        s->exec_bytes += hi - lo;
    }
    fclose(f);
}

static bool had_range(const snapshot *s, range r)
{
    for (size_t i = 0; i < s->nexec; i++)
        if (s->exec[i].lo == r.lo && s->exec[i].hi == r.hi)
            return true;
    return false;
}

/* Same anonymous executable mappings, one for one. */
static bool same_exec(const snapshot *a, const snapshot *b)
{
    if (a->nexec != b->nexec)
        return false;
    for (size_t i = 0; i < b->nexec; i++)
        if (!had_range(a, b->exec[i]))
            return false;
    return true;
}

/* ---- an embedder's code allocator that keeps a list of its blocks --------- */

enum { MAX_BLOCKS = 64 };
enum { BLOCK_FREE, BLOCK_RW, BLOCK_RX };

typedef struct code_blocks {
    pthread_mutex_t lock;
    struct {
        void *ptr;
        size_t size;
        int state;
    } b[MAX_BLOCKS];
    int allocs, execs, frees;
    int misuse; /* a call with a block it did not hand out, or in the wrong state */
} code_blocks;

static int find_block(code_blocks *c, void *ptr, size_t size)
{
    for (int i = 0; i < MAX_BLOCKS; i++)
        if (c->b[i].state != BLOCK_FREE && c->b[i].ptr == ptr && c->b[i].size == size)
            return i;
    return -1;
}

static void *blocks_allocate(void *user, size_t size)
{
    code_blocks *c = user;
    pthread_mutex_lock(&c->lock);
    c->allocs++;
    void *p = NULL;
    long page = sysconf(_SC_PAGESIZE);
    if (size == 0 || size % (size_t)page)
        c->misuse++;
    for (int i = 0; i < MAX_BLOCKS; i++) {
        if (c->b[i].state != BLOCK_FREE)
            continue;
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            p = NULL;
            break;
        }
        c->b[i].ptr = p;
        c->b[i].size = size;
        c->b[i].state = BLOCK_RW;
        break;
    }
    pthread_mutex_unlock(&c->lock);
    return p;
}

static int blocks_make_executable(void *user, void *ptr, size_t size)
{
    code_blocks *c = user;
    pthread_mutex_lock(&c->lock);
    c->execs++;
    int i = find_block(c, ptr, size), rc = -1;
    if (i < 0 || c->b[i].state != BLOCK_RW) {
        c->misuse++;
    } else if (mprotect(ptr, size, PROT_READ | PROT_EXEC) == 0) {
        c->b[i].state = BLOCK_RX;
        rc = 0;
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

static void blocks_free(void *user, void *ptr, size_t size)
{
    code_blocks *c = user;
    pthread_mutex_lock(&c->lock);
    c->frees++;
    int i = find_block(c, ptr, size);
    if (i < 0) {
        c->misuse++;
    } else {
        munmap(ptr, size);
        c->b[i].state = BLOCK_FREE;
    }
    pthread_mutex_unlock(&c->lock);
}

/* Does [lo, hi) lie wholly in read-execute blocks of c (adjacent blocks may
 * show as one mapping)? */
static bool in_rx_blocks(code_blocks *c, range r)
{
    uintptr_t p = r.lo;
    while (p < r.hi) {
        int k = -1;
        for (int i = 0; i < MAX_BLOCKS; i++) {
            uintptr_t lo = (uintptr_t)c->b[i].ptr;
            if (c->b[i].state == BLOCK_RX && p >= lo && p < lo + c->b[i].size)
                k = i;
        }
        if (k < 0)
            return false;
        p = (uintptr_t)c->b[k].ptr + c->b[k].size;
    }
    return true;
}

/* ---- the module, with a host function that looks at the mappings --------- */

typedef struct probe_state {
    weft_engine *engine;
    int calls;
    uint64_t compiled; /* weft_engine_tier_stats while the host ran */
    snapshot inside;   /* the last call's view */
} probe_state;

/* No cmocka asserts here: a failure must not longjmp across wasm frames.
 * Everything is recorded and checked after weft_call returns. */
static weft_status probe(void *env, weft_caller *caller, const weft_val *args,
                         weft_val *results, weft_error *err)
{
    (void)caller;
    (void)err;
    probe_state *p = env;
    p->calls++;
    weft_engine_tier_stats(p->engine, &p->compiled, NULL);
    take_snapshot(&p->inside);
    results[0] = (weft_val){.kind = WEFT_I32, .of.i32 = 2 * args[0].of.i32};
    return WEFT_OK;
}

typedef struct run_ctx {
    weft_engine *engine;
    weft_module *module;
    weft_func *host;
    weft_instance *inst;
    weft_func *run;
    probe_state probe;
} run_ctx;

static void open_module(run_ctx *r, const weft_config *c)
{
    weft_error err;
    memset(r, 0, sizeof *r);
    if (weft_engine_new(c, &r->engine, &err) != WEFT_OK)
        fail_msg("engine: %s", err.message);
    r->probe.engine = r->engine;
    r->module = test_module_load(r->engine, "tier_memory");
    static const weft_valkind i32[1] = {WEFT_I32};
    weft_functype t = {.params = i32, .nparams = 1, .results = i32, .nresults = 1};
    assert_int_equal(weft_func_new(r->engine, &t, probe, &r->probe, NULL, &r->host, &err), WEFT_OK);
    weft_extern imp = {.kind = WEFT_EXTERN_FUNC, .of.func = r->host};
    if (weft_instance_new(r->module, &imp, 1, &r->inst, &err) != WEFT_OK)
        fail_msg("instance: %s", err.message);
    r->run = test_export_func(r->inst, "run");
}

/* run(n) == 2n + n(n + 1)/2, and the probe ran once more. */
static void call_run(run_ctx *r, int32_t n)
{
    weft_val a = {.kind = WEFT_I32, .of.i32 = n}, res = {.kind = WEFT_I32};
    weft_error err;
    int before = r->probe.calls;
    if (weft_call(r->run, &a, 1, &res, 1, &err) != WEFT_OK)
        fail_msg("run(%d): %s", n, err.message);
    assert_int_equal(res.of.i32, 2 * n + n * (n + 1) / 2);
    assert_int_equal(r->probe.calls, before + 1);
    assert_true(r->probe.inside.ok);
}

/* Frees the instance and the module (and with it the module's code); the
 * engine stays for close_engine. */
static void close_module(run_ctx *r)
{
    weft_instance_free(r->inst);
    weft_func_free(r->host);
    weft_module_free(r->module);
}

static void close_engine(run_ctx *r) { weft_engine_free(r->engine); }

static void tier_config(weft_config *c, weft_tier tier)
{
    weft_config_init(c);
    c->tier = tier;
}

/* ---- the tests ------------------------------------------------------------ */

static void test_interp_maps_no_executable_memory(void **state)
{
    (void)state;
    snapshot before, after;
    take_snapshot(&before);
    assert_true(before.ok);

    weft_config c;
    tier_config(&c, WEFT_TIER_INTERP);
    run_ctx r;
    open_module(&r, &c);
    for (int32_t n = 0; n < 300; n += 100) {
        call_run(&r, n);
        /* while wasm is on the stack: nothing new, nothing writable+executable */
        assert_true(same_exec(&before, &r.probe.inside));
        assert_false(r.probe.inside.any_wx);
    }
    assert_int_equal(r.probe.compiled, 0);
    uint64_t compiled = 1, interpreted = 0;
    weft_engine_tier_stats(r.engine, &compiled, &interpreted);
    assert_int_equal(compiled, 0);
    assert_int_equal(interpreted, 2); /* run and sum */

    take_snapshot(&after);
    assert_true(after.ok);
    assert_true(same_exec(&before, &after));
    assert_int_equal(after.exec_bytes, before.exec_bytes);
    close_module(&r);
    close_engine(&r);
}

#if defined(__x86_64__)
/* The same run with tier=jit: executable memory appears (the check above can
 * fail), never writable at the same time, and goes with the module. */
static void test_jit_maps_code_never_wx(void **state)
{
    (void)state;
    snapshot before, after;
    take_snapshot(&before);
    assert_true(before.ok);

    weft_config c;
    tier_config(&c, WEFT_TIER_JIT);
    run_ctx r;
    open_module(&r, &c);
    call_run(&r, 100);
    assert_int_equal(r.probe.compiled, 2); /* both compiled before run called probe */
    assert_false(r.probe.inside.any_wx);
    assert_true(r.probe.inside.exec_bytes > before.exec_bytes);
    call_run(&r, 7);
    assert_false(r.probe.inside.any_wx);
    uint64_t compiled = 0, interpreted = 1;
    weft_engine_tier_stats(r.engine, &compiled, &interpreted);
    assert_int_equal(compiled, 2);
    assert_int_equal(interpreted, 0);

    take_snapshot(&after);
    assert_true(after.exec_bytes > before.exec_bytes);
    assert_false(after.any_wx);
    close_module(&r);
    take_snapshot(&after); /* the module's code is unmapped with it */
    assert_true(same_exec(&before, &after));
    close_engine(&r);
}

static void test_embedder_allocator_is_used(void **state)
{
    (void)state;
    static code_blocks blocks; /* large; zero state is all blocks free */
    memset(&blocks, 0, sizeof blocks);
    assert_int_equal(pthread_mutex_init(&blocks.lock, NULL), 0);
    snapshot before;
    take_snapshot(&before);
    assert_true(before.ok);

    weft_config c;
    tier_config(&c, WEFT_TIER_JIT);
    c.code_allocator = (weft_code_allocator){blocks_allocate, blocks_make_executable,
                                             blocks_free, &blocks};
    run_ctx r;
    open_module(&r, &c);
    assert_int_equal(blocks.allocs, 0); /* lazy: nothing compiled before a call */
    call_run(&r, 50);
    call_run(&r, 9);

    assert_int_equal(r.probe.compiled, 2);
    uint64_t compiled = 0, interpreted = 1;
    weft_engine_tier_stats(r.engine, &compiled, &interpreted);
    assert_int_equal(compiled, 2);
    assert_int_equal(interpreted, 0);
    assert_int_equal(blocks.misuse, 0);
    assert_true(blocks.allocs >= 1);
    assert_int_equal(blocks.execs, blocks.allocs); /* every block sealed */
    assert_int_equal(blocks.frees, 0);             /* code lives as long as the module */

    /* Seen from compiled code's callee: no mapping writable and executable,
     * and every executable mapping that was not there before is one of the
     * embedder's read-execute blocks -- weft mapped no code of its own. */
    const snapshot *in = &r.probe.inside;
    assert_false(in->any_wx);
    size_t fresh = 0;
    for (size_t i = 0; i < in->nexec; i++) {
        if (had_range(&before, in->exec[i]))
            continue;
        fresh++;
        if (!in_rx_blocks(&blocks, in->exec[i]))
            fail_msg("executable mapping %lx-%lx is not the embedder's",
                     (unsigned long)in->exec[i].lo, (unsigned long)in->exec[i].hi);
    }
    assert_true(fresh >= 1);

    close_module(&r);
    assert_int_equal(blocks.frees, blocks.allocs); /* each block given back once */
    assert_int_equal(blocks.misuse, 0);
    for (int i = 0; i < MAX_BLOCKS; i++)
        assert_int_equal(blocks.b[i].state, BLOCK_FREE);
    close_engine(&r);
    pthread_mutex_destroy(&blocks.lock);
}
#endif

/* auto, the default, compiles on x86-64 Linux and interprets elsewhere. */
static void test_auto_tier(void **state)
{
    (void)state;
    weft_config c;
    tier_config(&c, WEFT_TIER_AUTO);
    weft_engine *e;
    weft_error err;
    assert_int_equal(weft_engine_new(&c, &e, &err), WEFT_OK);
    weft_module *m = test_module_load(e, "tier_memory");
    assert_int_equal(weft_module_prepare(m, &err), WEFT_OK);
    uint64_t compiled, interpreted;
    weft_engine_tier_stats(e, &compiled, &interpreted);
#if defined(__x86_64__) && defined(__linux__)
    assert_true(compiled > 0 && interpreted == 0);
#else
    assert_true(compiled == 0 && interpreted > 0);
#endif
    weft_module_free(m);
    weft_engine_free(e);
}

/* An allocator whose make_executable always refuses (as under an SELinux
 * execmem policy): tier=jit reports the error, tier=auto interprets. */
static int refuse_executable(void *user, void *ptr, size_t size)
{
    (void)user, (void)ptr, (void)size;
    return -1;
}
static void *plain_allocate(void *user, size_t size)
{
    (void)user;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}
static void plain_free(void *user, void *ptr, size_t size)
{
    (void)user;
    munmap(ptr, size);
}

static void test_auto_falls_back_without_executable_memory(void **state)
{
    (void)state;
    static const weft_tier tiers[] = {WEFT_TIER_JIT, WEFT_TIER_AUTO};
    for (size_t i = 0; i < 2; i++) {
        weft_config c;
        tier_config(&c, tiers[i]);
        c.code_allocator =
            (weft_code_allocator){plain_allocate, refuse_executable, plain_free, NULL};
        weft_engine *e;
        weft_error err;
        assert_int_equal(weft_engine_new(&c, &e, &err), WEFT_OK);
        weft_module *m = test_module_load(e, "tier_memory");
        weft_status st = weft_module_prepare(m, &err);
        uint64_t compiled, interpreted;
        weft_engine_tier_stats(e, &compiled, &interpreted);
        if (tiers[i] == WEFT_TIER_JIT && jit_supported()) {
            assert_int_equal(st, WEFT_NOMEM);
            assert_non_null(strstr(err.message, "make_executable"));
        } else {
            assert_int_equal(st, WEFT_OK);
            assert_int_equal(compiled, 0);
            assert_true(interpreted > 0);
        }
        weft_module_free(m);
        weft_engine_free(e);
    }
}

static void test_engine_tier_values(void **state)
{
    (void)state;
    weft_config c;
    weft_engine *e = NULL;
    weft_error err;
    static const weft_tier ok[] = {WEFT_TIER_AUTO, WEFT_TIER_INTERP};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        tier_config(&c, ok[i]);
        assert_int_equal(weft_engine_new(&c, &e, &err), WEFT_OK);
        weft_engine_free(e);
    }
    tier_config(&c, WEFT_TIER_JIT);
#if defined(__x86_64__)
    assert_int_equal(weft_engine_new(&c, &e, &err), WEFT_OK);
    weft_engine_free(e);
#else
    assert_int_equal(weft_engine_new(&c, &e, &err), WEFT_UNSUPPORTED);
#endif
    static const unsigned bad[] = {3, 99, 0x80000000u};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tier_config(&c, (weft_tier)bad[i]);
        e = NULL;
        assert_int_equal(weft_engine_new(&c, &e, &err), WEFT_BAD_ARGUMENT);
        assert_null(e);
        assert_non_null(strstr(err.message, "tier"));
    }
}

/* WEFT_TIER picks weft_config_init's tier; anything else leaves auto. */
static void test_config_reads_weft_tier(void **state)
{
    (void)state;
    const char *was = getenv("WEFT_TIER");
    char *saved = was ? strdup(was) : NULL;
    static const struct {
        const char *value;
        weft_tier tier;
    } cases[] = {{"jit", WEFT_TIER_JIT}, {"interp", WEFT_TIER_INTERP},
                 {"auto", WEFT_TIER_AUTO}, {"JIT", WEFT_TIER_AUTO}, {"", WEFT_TIER_AUTO}};
    weft_config c;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(setenv("WEFT_TIER", cases[i].value, 1), 0);
        weft_config_init(&c);
        assert_int_equal(c.tier, cases[i].tier);
    }
    unsetenv("WEFT_TIER");
    weft_config_init(&c);
    assert_int_equal(c.tier, WEFT_TIER_AUTO);
    if (saved) {
        setenv("WEFT_TIER", saved, 1);
        free(saved);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interp_maps_no_executable_memory),
#if defined(__x86_64__)
        cmocka_unit_test(test_jit_maps_code_never_wx),
        cmocka_unit_test(test_embedder_allocator_is_used),
#endif
        cmocka_unit_test(test_engine_tier_values),
        cmocka_unit_test(test_auto_tier),
        cmocka_unit_test(test_auto_falls_back_without_executable_memory),
        cmocka_unit_test(test_config_reads_weft_tier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * grow_stress.c -- memory.grow under many threads: GROWERS threads grow the
 * memory GROWS times each (by 1 page, every 4th time by 2) while OTHERS edge
 * threads keep reading, writing and adding atomically at the moving end of
 * it.  It checks what a threaded allocator or runtime relies on:
 *
 *  - every successful grow returns a distinct old size, the grows of one
 *    thread return increasing sizes, and together they tile the memory:
 *    the final size is the first plus every page granted, none twice;
 *  - memory.size never goes down, and right after a grow it covers it;
 *  - a fresh page reads as zero; the word just below memory.size can be read
 *    (plainly and atomically) the moment the size says it exists;
 *  - no write is lost: each edge thread's last plain write to a page is
 *    there at the end, and the atomic adds on each page's counter sum to the
 *    number the edge threads made;
 *  - a failed grow (-1: the maximum, or `weft run --grow-fail=SPEC`) changes
 *    nothing, and the checks above still hold for the grows that succeeded.
 *
 * It prints one line per round, with the grows per second, and exits 1 with
 * the first violation on any of them:
 *
 *   weft run [--grow-fail=SPEC] grow_stress.wasm [GROWS [GROWERS [OTHERS [ROUNDS]]]]
 *   grow_stress_native [GROWS [GROWERS [OTHERS [ROUNDS]]]]
 *
 * Defaults: 300 grows, 2 growers, 2 edge threads, 1 round.  A first argument
 * --bench prints bench/threaded's line format instead (bench/threaded/README.md).
 *
 * The same C builds two ways; only the primitives below the #if differ:
 *  - for wasm32-wasi with the guest library (tests/guest/lib: threads over
 *    `wasi` `thread-spawn`), linked with --max-memory=2 GiB and an initial
 *    memory large enough that malloc never grows it (so that every grow the
 *    program makes is one of the stress, and --grow-fail's count is exact);
 *  - natively with pthreads, memory being what weft makes of it: one
 *    PROT_NONE reservation grown in place with mprotect under a lock, the
 *    new size published with a sequentially consistent store.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 65536u
#define MAX_PAGES 32768u /* 2 GiB: the build's --max-memory (natively, the reservation) */
#define MAX_GROWERS 8
#define MAX_OTHERS 4
#define MAX_GROWS 4096
#define SAMPLE_WORDS 1024u /* one checked word per 4 KiB: the last one, never written */

/* Words of a grown page: 0 the header, 1 the edge threads' atomic counter,
 * 2 + w edge thread w's plain slot; the last word of every 4 KiB stays 0. */
#define HEADER(p) (0x57EF0000u ^ (uint32_t)(p) * 2654435761u)

/* ---- primitives: wasm memory, or a reservation natively ------------------ */

#if defined(__wasm__)
#include "weft_guest.h"

static int memory_init(void) { return 0; }

static uint32_t *page_words(uint32_t p) { return (uint32_t *)(uintptr_t)(p * PAGE); }

static uint32_t pages_now(void) { return (uint32_t)__builtin_wasm_memory_size(0); }

static int32_t grow(uint32_t delta) { return (int32_t)__builtin_wasm_memory_grow(0, delta); }

static wg_barrier start_line;
static void barrier_init(unsigned n) { wg_barrier_init(&start_line, n); }
static void barrier_wait(void) { wg_barrier_wait(&start_line); }

/* fn(0..n-1) on n threads, 0 on the caller; 0 or a failure code. */
static int run_team(unsigned n, void *(*fn)(void *)) { return wg_run_team(n, fn); }

#else
#include <pthread.h>
#include <sys/mman.h>

static uint8_t *base;
static uint32_t size_pages; /* written under grow_lock, seq_cst; read anywhere */
static pthread_mutex_t grow_lock = PTHREAD_MUTEX_INITIALIZER;

static int memory_init(void)
{
    void *p = mmap(NULL, (size_t)MAX_PAGES * PAGE, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED || mprotect(p, PAGE, PROT_READ | PROT_WRITE) != 0)
        return -1;
    base = p;
    __atomic_store_n(&size_pages, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static uint32_t *page_words(uint32_t p) { return (uint32_t *)(base + (size_t)p * PAGE); }

static uint32_t pages_now(void) { return __atomic_load_n(&size_pages, __ATOMIC_SEQ_CST); }

/* memory.grow as weft does it (engine/memory.c). */
static int32_t grow(uint32_t delta)
{
    int32_t r = -1;
    pthread_mutex_lock(&grow_lock);
    uint32_t old = __atomic_load_n(&size_pages, __ATOMIC_RELAXED);
    if (delta <= MAX_PAGES - old &&
        mprotect(base + (size_t)old * PAGE, (size_t)delta * PAGE, PROT_READ | PROT_WRITE) == 0) {
        __atomic_store_n(&size_pages, old + delta, __ATOMIC_SEQ_CST);
        r = (int32_t)old;
    }
    pthread_mutex_unlock(&grow_lock);
    return r;
}

static pthread_barrier_t start_line;
static void barrier_init(unsigned n) { pthread_barrier_init(&start_line, NULL, n); }
static void barrier_wait(void) { pthread_barrier_wait(&start_line); }

static int run_team(unsigned n, void *(*fn)(void *))
{
    pthread_t t[MAX_GROWERS + MAX_OTHERS];
    for (unsigned i = 1; i < n; i++)
        if (pthread_create(&t[i], NULL, fn, (void *)(uintptr_t)i) != 0)
            return -1;
    fn(NULL);
    for (unsigned i = 1; i < n; i++)
        pthread_join(t[i], NULL);
    return 0;
}
#endif

/* ---- shared state -------------------------------------------------------- */

static unsigned grows_each, growers, others;
static uint32_t first_pages;  /* memory.size before the first round */
static uint32_t round_pages;  /* memory.size before this round's grows */
static uint8_t ready[MAX_PAGES]; /* page checked and headed: edge threads may use it */
static uint32_t growers_done; /* atomic */
static int32_t granted[MAX_GROWERS][MAX_GROWS]; /* each grow's old size, or -1 */
static uint32_t last_write[MAX_OTHERS][MAX_PAGES]; /* each edge thread's last value per page */
static uint64_t adds[MAX_OTHERS];
static double t_start;

/* The first violation, kept for main to print (stdio is single-thread). */
static uint32_t violations; /* atomic */
static const char *violation_what;
static uint32_t violation_a, violation_b;

static void violation(const char *what, uint32_t a, uint32_t b)
{
    if (__atomic_fetch_add(&violations, 1, __ATOMIC_SEQ_CST) == 0) {
        violation_what = what;
        violation_a = a;
        violation_b = b;
    }
}

static uint32_t delta_of(unsigned k) { return k % 4 == 3 ? 2 : 1; }

static double clock_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Zero where nothing may have written yet: the words the program writes and
 * the last word of every 4 KiB. */
static bool looks_fresh(const uint32_t *w)
{
    for (unsigned i = 0; i < 2 + MAX_OTHERS; i++)
        if (w[i])
            return false;
    for (unsigned i = SAMPLE_WORDS - 1; i < PAGE / 4; i += SAMPLE_WORDS)
        if (w[i])
            return false;
    return true;
}

static void grower(unsigned g)
{
    int64_t last = -1;
    for (unsigned k = 0; k < grows_each; k++) {
        uint32_t delta = delta_of(k);
        int32_t old = grow(delta);
        granted[g][k] = old;
        if (old < 0)
            continue;
        uint32_t o = (uint32_t)old;
        if (o < round_pages)
            violation("a grow returned an old size below the size before the grows", o,
                      round_pages);
        if ((int64_t)o <= last)
            violation("one thread's grows returned sizes that did not increase", (uint32_t)last,
                      o);
        last = o;
        uint32_t now = pages_now();
        if (now < o + delta)
            violation("memory.size after a grow does not cover it", now, o + delta);
        for (uint32_t p = o; p < o + delta && p < MAX_PAGES; p++) {
            uint32_t *w = page_words(p);
            if (!looks_fresh(w))
                violation("a fresh page is not zero", p, 0);
            w[0] = HEADER(p);
            __atomic_store_n(&ready[p], 1, __ATOMIC_RELEASE);
        }
    }
    __atomic_fetch_add(&growers_done, 1, __ATOMIC_SEQ_CST);
}

/* Reads, writes and adds at the end of the memory until the growers are done. */
static void edge(unsigned e)
{
    uint32_t last = 0, seq = 0;
    uint64_t n = 0;
    while (__atomic_load_n(&growers_done, __ATOMIC_SEQ_CST) < growers) {
        uint32_t s = pages_now();
        if (s < last)
            violation("memory.size went down", last, s);
        last = s;
        if (s <= first_pages)
            continue;
        /* The last word below the size: open the moment the size says so,
         * and never written. */
        volatile uint32_t *end = page_words(s - 1) + PAGE / 4 - 1;
        if (*end != 0 || __atomic_load_n(end, __ATOMIC_SEQ_CST) != 0)
            violation("the last word of the memory is not zero", s, *end);
        /* The newest page a grower has checked. */
        uint32_t p = s - 1;
        while (p >= round_pages && p + 32 > s && !__atomic_load_n(&ready[p], __ATOMIC_ACQUIRE))
            p--;
        if (p < round_pages || p + 32 <= s)
            continue;
        uint32_t *w = page_words(p);
        if (w[0] != HEADER(p))
            violation("a page header changed", p, w[0]);
        __atomic_fetch_add(&w[1], 1, __ATOMIC_SEQ_CST);
        n++;
        w[2 + e] = ++seq;
        last_write[e][p] = seq;
        if (w[2 + e] != seq)
            violation("a plain write did not read back", p, e);
    }
    adds[e] = n;
}

static void *member(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    barrier_wait();
    if (id == 0)
        t_start = clock_s(CLOCK_MONOTONIC);
    if (id < growers)
        grower(id);
    else
        edge(id - growers);
    return arg;
}

/* After the threads: the grows tile [round_pages, size), every page is as
 * its grower and the edge threads left it.  Counts what was granted. */
static void check_round(uint32_t *ok, uint32_t *failed, uint32_t *pages)
{
    static uint8_t claimed[MAX_PAGES];
    uint32_t end = pages_now();
    memset(claimed, 0, sizeof claimed);
    *ok = *failed = *pages = 0;
    for (unsigned g = 0; g < growers; g++)
        for (unsigned k = 0; k < grows_each; k++) {
            if (granted[g][k] < 0) {
                (*failed)++;
                continue;
            }
            (*ok)++;
            for (uint32_t p = (uint32_t)granted[g][k]; p < (uint32_t)granted[g][k] + delta_of(k);
                 p++) {
                if (p >= end || claimed[p]++)
                    violation("two grows returned overlapping pages", p, end);
                (*pages)++;
            }
        }
    if (end != round_pages + *pages)
        violation("the size is not the start plus the pages granted", end,
                  round_pages + *pages);
    uint64_t counted = 0, made = 0;
    for (uint32_t p = round_pages; p < end && p < MAX_PAGES; p++) {
        const uint32_t *w = page_words(p);
        if (!claimed[p])
            violation("a page no grow returned", p, 0);
        if (w[0] != HEADER(p))
            violation("a page header changed", p, w[0]);
        counted += w[1];
        for (unsigned e = 0; e < others; e++)
            if (w[2 + e] != last_write[e][p])
                violation("an edge thread's write was lost", p, e);
        for (unsigned i = 2 + others; i < 2 + MAX_OTHERS; i++)
            if (w[i])
                violation("a word nobody writes changed", p, i);
        for (unsigned i = SAMPLE_WORDS - 1; i < PAGE / 4; i += SAMPLE_WORDS)
            if (w[i])
                violation("a word nobody writes changed", p, i);
    }
    for (unsigned e = 0; e < others; e++)
        made += adds[e];
    if (counted != made)
        violation("atomic adds were lost", (uint32_t)made, (uint32_t)counted);
}

static long arg_or(int argc, char **argv, int i, long dflt)
{
    return argc > i ? strtol(argv[i], NULL, 10) : dflt;
}

int main(int argc, char **argv)
{
    bool bench = argc > 1 && !strcmp(argv[1], "--bench");
    if (bench) {
        argc--;
        argv++;
    }
    long n = arg_or(argc, argv, 1, 300), gr = arg_or(argc, argv, 2, 2);
    long ot = arg_or(argc, argv, 3, 2), rounds = arg_or(argc, argv, 4, 1);
    if (n < 1 || n > MAX_GROWS || gr < 1 || gr > MAX_GROWERS || ot < 0 || ot > MAX_OTHERS ||
        rounds < 1 || rounds > 100) {
        fprintf(stderr,
                "usage: grow_stress [--bench] [GROWS (1..%d) [GROWERS (1..%d) [OTHERS (0..%d) "
                "[ROUNDS (1..100)]]]]\n",
                MAX_GROWS, MAX_GROWERS, MAX_OTHERS);
        return 2;
    }
    grows_each = (unsigned)n;
    growers = (unsigned)gr;
    others = (unsigned)ot;
    if (memory_init() != 0) {
        fprintf(stderr, "grow_stress: cannot reserve the memory\n");
        return 1;
    }
    first_pages = pages_now();
    /* Every page a round may ask for, for all rounds, fits below the maximum:
     * without --grow-fail no grow may fail. */
    uint64_t need = (uint64_t)rounds * growers * (grows_each + grows_each / 4 + 1);
    if (first_pages + need > MAX_PAGES) {
        fprintf(stderr, "grow_stress: %llu pages do not fit in %u\n", (unsigned long long)need,
                MAX_PAGES - first_pages);
        return 2;
    }
    for (long r = 1; r <= rounds; r++) {
        round_pages = pages_now();
        __atomic_store_n(&growers_done, 0, __ATOMIC_SEQ_CST);
        memset(adds, 0, sizeof adds);
        barrier_init(growers + others);
        double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        int st = run_team(growers + others, member);
        double t1 = clock_s(CLOCK_MONOTONIC), c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        if (st != 0) {
            fprintf(stderr, "grow_stress: cannot start the threads (%d)\n", st);
            return 1;
        }
        uint32_t ok, failed, pages;
        check_round(&ok, &failed, &pages);
        double secs = t1 - t_start;
        if (bench)
            printf("grow_stress %u checksum %u ops %u ms %.3f cpu %.3f\n", growers + others,
                   pages, ok, secs * 1e3, (c1 - c0) * 1e3);
        else
            printf("grow_stress round %ld: %u growers x %u grows beside %u edge threads: "
                   "%u ok (%u pages), %u failed; %s; %.0f grows/s\n",
                   r, growers, grows_each, others, ok, pages, failed,
                   violations ? "VIOLATION" : "checks ok", secs > 0 ? ok / secs : 0.0);
        fflush(stdout);
        if (violations) {
            fprintf(stderr, "grow_stress: %s (%u, %u); %u violations in all\n", violation_what,
                    violation_a, violation_b, violations);
            return 1;
        }
    }
    return 0;
}

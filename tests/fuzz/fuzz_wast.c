/*
 * fuzz_wast.c -- a deterministic mutation fuzzer for the text side: the
 * lexer, the module reader (text, binary and quote modules) and the script
 * reader of `weft wast` (script/wast.c), on mutated spec scripts.
 *
 *   fuzz_wast [--seed S] [--iterations N] SCRIPT.wast...
 *
 * Each case mutates one script with a PRNG seeded from S, the script's base
 * name and the case number (so a case re-runs alone with the same arguments
 * and --iterations), then runs it with the runner in validate-only mode:
 * every command is read, every module decoded and validated, no guest code
 * runs (a mutant may loop forever).  The runner's report goes to /dev/null;
 * what is checked is that nothing crashes, leaks or trips a sanitizer, and
 * that every command is counted (the totals are not all zero unless the
 * mutant is empty).  WEFT_FUZZ_SCALE multiplies --iterations.  The last
 * line is "fuzz-wast: N cases"; a crash prints the case before dying.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "script/wast.h"
#include "text/lexer.h"

typedef struct rng {
    uint64_t s;
} rng;

/* splitmix64 */
static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t rng_below(rng *r, size_t n)
{
    return n ? (size_t)(rng_next(r) % n) : 0;
}

/* Pieces of the text format that push a mutant into the reader's corners. */
static const char *const dict[] = {
    "(", ")", " ", "\n", "\"", "\\", "$", ";;", "(;", ";)", "(@a ", "0x", "-", "+", "_", ".",
    "e", "p", "nan", "nan:0x", "inf", "1e400", "0x1p-1074", "4294967296", "-2147483649",
    "18446744073709551616", "module", "quote", "binary", "definition", "instance", "func",
    "param", "result", "local", "type", "import", "export", "memory", "table", "global",
    "elem", "data", "start", "offset", "item", "declare", "mut", "shared", "i32", "i64",
    "f32", "f64", "v128", "funcref", "externref", "ref", "null", "ref.null", "ref.func",
    "ref.extern", "block", "loop", "if", "then", "else", "end", "br", "br_table", "call",
    "call_indirect", "select", "i32.const", "f64.const", "v128.const", "i8x16", "f32x4",
    "i32.load", "offset=", "align=", "memory.grow", "i32.atomic.rmw.add", "invoke", "get",
    "register", "assert_return", "assert_trap", "assert_invalid", "assert_malformed",
    "either", "nan:canonical", "nan:arithmetic", "\\ff", "\\u{10FFFF}", "\\00", "\xC3\xA9",
    "\xFF", "rec", "sub", "struct", "return_call", "try_table", "i64.add128",
};

typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void text_reserve(text *t, size_t more)
{
    if (t->len + more + 1 <= t->cap)
        return;
    size_t cap = t->cap ? t->cap : 4096;
    while (cap < t->len + more + 1)
        cap *= 2;
    char *p = realloc(t->p, cap);
    if (!p) {
        fprintf(stderr, "fuzz-wast: out of memory\n");
        exit(2);
    }
    t->p = p;
    t->cap = cap;
}

static void text_insert(text *t, size_t at, const char *s, size_t n)
{
    text_reserve(t, n);
    memmove(t->p + at + n, t->p + at, t->len - at);
    memcpy(t->p + at, s, n);
    t->len += n;
}

static void text_delete(text *t, size_t at, size_t n)
{
    if (at + n > t->len)
        n = t->len - at;
    memmove(t->p + at, t->p + at + n, t->len - at - n);
    t->len -= n;
}

/* One mutation somewhere in t. */
static void mutate(rng *r, text *t)
{
    size_t at = rng_below(r, t->len + 1);
    switch (rng_below(r, 6)) {
    case 0: /* a byte replaced */
        if (at < t->len)
            t->p[at] = (char)rng_next(r);
        break;
    case 1: { /* a piece of the dictionary inserted */
        const char *s = dict[rng_below(r, sizeof dict / sizeof dict[0])];
        text_insert(t, at, s, strlen(s));
        break;
    }
    case 2: /* a run deleted */
        text_delete(t, at, 1 + rng_below(r, 16));
        break;
    case 3: { /* a run copied elsewhere */
        size_t n = 1 + rng_below(r, 64), from = rng_below(r, t->len + 1);
        if (from + n > t->len)
            n = t->len - from;
        char *copy = malloc(n + 1);
        if (!copy)
            break;
        memcpy(copy, t->p + from, n);
        text_insert(t, at, copy, n);
        free(copy);
        break;
    }
    case 4: /* a digit changed: literals at their limits */
        for (size_t k = at; k < t->len && k < at + 256; k++)
            if (t->p[k] >= '0' && t->p[k] <= '9') {
                t->p[k] = (char)('0' + rng_below(r, 10));
                break;
            }
        break;
    default: /* a paren dropped: forms unbalanced */
        for (size_t k = at; k < t->len && k < at + 256; k++)
            if (t->p[k] == '(' || t->p[k] == ')') {
                text_delete(t, k, 1);
                break;
            }
        break;
    }
}

/* The case being run, for the crash report. */
static const char *case_file;
static uint64_t case_iter;

static void on_crash(int sig)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "fuzz-wast: signal %d in case %s:%llu\n", sig,
                     case_file ? case_file : "?", (unsigned long long)case_iter);
    if (n > 0 && write(2, buf, (size_t)n) < 0)
        _exit(3);
    signal(sig, SIG_DFL);
    raise(sig);
}

static char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    text t = {0};
    for (;;) {
        text_reserve(&t, 65536);
        size_t n = fread(t.p + t.len, 1, t.cap - t.len - 1, f);
        t.len += n;
        if (!n)
            break;
    }
    fclose(f);
    *size = t.len;
    return t.p;
}

static uint64_t hash_name(const char *path)
{
    const char *base = strrchr(path, '/');
    uint64_t h = 0xcbf29ce484222325u;
    for (const char *p = base ? base + 1 : path; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3u;
    return h;
}

int main(int argc, char **argv)
{
    uint64_t seed = 1, iterations = 100;
    double scale = 1.0;
    const char *env = getenv("WEFT_FUZZ_SCALE");
    if (env && *env)
        scale = strtod(env, NULL);
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 0);
        else if (!strcmp(argv[i], "--iterations"))
            iterations = (uint64_t)((double)strtoull(argv[i + 1], NULL, 0) * scale);
        else
            break;
    }
    if (i >= argc || argv[i][0] == '-') {
        fprintf(stderr, "usage: fuzz_wast [--seed S] [--iterations N] SCRIPT.wast...\n");
        return 2;
    }
    signal(SIGSEGV, on_crash);
    signal(SIGABRT, on_crash);
    signal(SIGBUS, on_crash);
    /* The runner reports on stdout: not wanted here. */
    if (!freopen("/dev/null", "w", stdout)) {
        fprintf(stderr, "fuzz-wast: cannot silence stdout\n");
        return 2;
    }
    weft_config config;
    weft_config_init(&config);
    weft_engine *engine;
    weft_error err;
    if (weft_engine_new(&config, &engine, &err) != WEFT_OK) {
        fprintf(stderr, "fuzz-wast: %s\n", err.message);
        return 2;
    }
    scr_options opt = {.engine = engine, .validate_only = true};
    unsigned long cases = 0, bad = 0;
    for (; i < argc; i++) {
        size_t size;
        char *orig = slurp(argv[i], &size);
        if (!orig) {
            fprintf(stderr, "fuzz-wast: cannot read %s\n", argv[i]);
            bad++;
            continue;
        }
        case_file = argv[i];
        for (uint64_t it = 0; it < iterations; it++) {
            case_iter = it;
            rng r = {seed ^ hash_name(argv[i]) ^ (it * 0x9E3779B97F4A7C15ull)};
            text t = {0};
            text_reserve(&t, size);
            memcpy(t.p, orig, size);
            t.len = size;
            for (size_t m = 1 + rng_below(&r, 4); m-- > 0;)
                mutate(&r, &t);
            scr_counts total = {0};
            scr_wast_run_text(&opt, t.p, t.len, argv[i], &total);
            /* Every script with a token counts something: a command, or
             * its one failure. */
            wat_tokens toks;
            char lex_err[64];
            bool has_tokens = !wat_lex(t.p, t.len, NULL, &toks, lex_err, sizeof lex_err);
            if (!has_tokens) {
                has_tokens = toks.count > 1;
                wat_tokens_free(&toks);
            }
            if (total.passed + total.failed + total.skipped == 0 && has_tokens) {
                fprintf(stderr, "fuzz-wast: case %s:%llu counted nothing\n", argv[i],
                        (unsigned long long)it);
                bad++;
            }
            scr_counts_free(&total);
            free(t.p);
            cases++;
        }
        free(orig);
    }
    weft_engine_free(engine);
    fprintf(stderr, "fuzz-wast: %lu cases, %lu bad\n", cases, bad);
    return bad ? 1 : 0;
}

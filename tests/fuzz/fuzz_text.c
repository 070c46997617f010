/*
 * fuzz_text.c -- a deterministic mutation fuzzer for the text-format reader
 * (text/wat.h), with the spec suites' scripts as seeds.
 *
 *   fuzz_text [--seed S] [--iterations N] [--seconds T] [--case-timeout SECS] [--verbose]
 *             [FILE.wast|FOLDER...]
 *   fuzz_text [--seed S] --only ITER [--dump OUT.wat] [FILE.wast|FOLDER...]
 *
 * Without seeds the corpus is the .wast files of $WEFT_SHARED/testsuite (2.0)
 * and $WEFT_SHARED/testsuite-3.0 (WEFT_SHARED defaults to the build's
 * WEFT_SHARED_DIR); when neither exists the run is skipped with a reason.
 * The corpus is cut into units: every module form of every script (cut out
 * by the lexer's tokens and parenthesis matching), and every script small
 * enough to be read whole.
 *
 * Case ITER picks a unit and one to four mutations with a PRNG seeded from S
 * and ITER alone (for one corpus), so any case re-runs by itself with --only.
 * A module form goes to wat_to_wasm and, when it still starts with
 * `(module`, to the lexer and wat_module_form_read; a whole script is lexed
 * and each of its module forms read as a script runner would.  Each case
 * checks what the reader promises for any text:
 *   - it succeeds, and weft_module_new then accepts the bytes or rejects them
 *     with a non-empty message; or
 *   - it fails with a message "FILE:LINE:COL: ..." naming the text.
 * Cases run until --iterations cases have run or --seconds have passed,
 * whichever comes first (0: no bound of that kind); WEFT_FUZZ_SCALE in the
 * environment multiplies both.  Before the random cases, fixed cases nest
 * 100,000 folded blocks and 20,000 levels of other nestings (blocks, folded
 * instructions, comments, annotations, parentheses), which the reader must
 * reject cleanly rather than run out of native stack; --seconds counts from
 * after them.
 * A crash, a sanitizer report or a case running past --case-timeout prints
 * the case before the process dies.  The last line is
 * "fuzz: N passed, M failed"; the exit status is non-zero when M > 0.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "text/lexer.h"
#include "text/wat.h"
#include "weft.h"

#ifndef WEFT_FUZZ_SHARED_DIR
#define WEFT_FUZZ_SHARED_DIR "../shared"
#endif

/* Scripts larger than this are only cut into module forms: reading a 1 MB
 * SIMD script whole would take most of a case budget. */
enum { WHOLE_SCRIPT_MAX = 48 * 1024 };

/* ---- the PRNG (as in fuzz_modules.c) ------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t rng_below(rng *r, size_t n) { return n ? (size_t)(rng_next(r) % n) : 0; }

static bool rng_chance(rng *r, unsigned one_in) { return rng_below(r, one_in) == 0; }

/* ---- byte buffers and the mutation log ----------------------------------- */

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void buf_reserve(buf *b, size_t n)
{
    if (n <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < n)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        fprintf(stderr, "fuzz: out of memory\n");
        exit(2);
    }
    b->p = p;
    b->cap = cap;
}

/* Replaces b[at, at+old) with n bytes from `bytes`. */
static void buf_splice(buf *b, size_t at, size_t old, const char *bytes, size_t n)
{
    if (at > b->len)
        at = b->len;
    if (old > b->len - at)
        old = b->len - at;
    buf_reserve(b, b->len - old + n);
    memmove(b->p + at + n, b->p + at + old, b->len - at - old);
    if (n)
        memcpy(b->p + at, bytes, n);
    b->len = b->len - old + n;
}

typedef struct mlog {
    char text[1024];
    size_t len;
} mlog;

static void mlog_add(mlog *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void mlog_add(mlog *l, const char *fmt, ...)
{
    if (l->len + 1 >= sizeof l->text)
        return;
    if (l->len)
        l->text[l->len++] = ';', l->text[l->len] = '\0';
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->text + l->len, sizeof l->text - l->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len = l->len + (size_t)n < sizeof l->text ? l->len + (size_t)n : sizeof l->text - 1;
}

/* ---- the corpus ------------------------------------------------------------ */

typedef struct unit {
    const char *file; /* the script's path (owned by the corpus) */
    const char *text; /* into the script's bytes */
    size_t len;
    unsigned line;    /* where it starts in the script */
    bool whole;       /* a whole script, not one module form */
} unit;

typedef struct corpus {
    char **files, **texts; /* owned */
    size_t nfiles;
    unit *u;
    size_t n, cap;
} corpus;

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    buf b = { NULL, 0, 0 };
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        buf_reserve(&b, b.len + n + 1);
        memcpy(b.p + b.len, chunk, n);
        b.len += n;
    }
    bool ok = !ferror(f);
    fclose(f);
    if (ok && !b.p)
        buf_reserve(&b, 1);
    if (!ok) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

static void add_unit(corpus *c, unit u)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->u = realloc(c->u, c->cap * sizeof *c->u);
        if (!c->u)
            exit(2);
    }
    c->u[c->n++] = u;
}

/* The module forms of one script: top-level `(module ...)` commands and the
 * module a command holds as its direct child (assert_invalid, ...). */
static void add_script(corpus *c, const char *path)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        fprintf(stderr, "fuzz: cannot read %s\n", path);
        exit(2);
    }
    c->files = realloc(c->files, (c->nfiles + 1) * sizeof *c->files);
    c->texts = realloc(c->texts, (c->nfiles + 1) * sizeof *c->texts);
    if (!c->files || !c->texts)
        exit(2);
    c->files[c->nfiles] = strdup(path);
    c->texts[c->nfiles] = text;
    const char *file = c->files[c->nfiles++];
    if (len <= WHOLE_SCRIPT_MAX)
        add_unit(c, (unit){ file, text, len, 1, true });
    wat_tokens t;
    char err[512];
    if (!wat_lex(text, len, file, &t, err, sizeof err)) {
        fprintf(stderr, "fuzz: %s (its module forms are not seeds)\n", err);
        return;
    }
    for (size_t k = 0; k < t.count && t.tok[k].kind == WAT_LPAR;) {
        size_t end = k;
        int depth = 0;
        do {
            depth += t.tok[end].kind == WAT_LPAR ? 1 : t.tok[end].kind == WAT_RPAR ? -1 : 0;
            end++;
        } while (depth > 0 && end < t.count);
        size_t m = wat_is_keyword(&t.tok[k + 1], "module") ? k : k + 2;
        if (m + 1 < end && t.tok[m].kind == WAT_LPAR && wat_is_keyword(&t.tok[m + 1], "module")) {
            /* the form's extent: to its matching `)` */
            size_t e = m;
            depth = 0;
            do {
                depth += t.tok[e].kind == WAT_LPAR ? 1 : t.tok[e].kind == WAT_RPAR ? -1 : 0;
                e++;
            } while (depth > 0 && e < end);
            const wat_token *last = &t.tok[e - 1];
            add_unit(c, (unit){ file, t.tok[m].text,
                                (size_t)(last->text + last->len - t.tok[m].text),
                                t.tok[m].line, false });
        }
        k = end;
    }
    wat_tokens_free(&t);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A folder's *.wast files (not recursive), in name order; false if it is
 * not a folder. */
static bool add_folder(corpus *c, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    char **names = NULL;
    size_t n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        size_t l = strlen(ent->d_name);
        if (l < 6 || strcmp(ent->d_name + l - 5, ".wast") != 0)
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        size_t pl = strlen(dir) + l + 2;
        if (!names || !(names[n] = malloc(pl)))
            exit(2);
        snprintf(names[n++], pl, "%s/%s", dir, ent->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        add_script(c, names[i]);
        free(names[i]);
    }
    free(names);
    return true;
}

static void corpus_free(corpus *c)
{
    for (size_t i = 0; i < c->nfiles; i++)
        free(c->files[i]), free(c->texts[i]);
    free(c->files);
    free(c->texts);
    free(c->u);
}

/* ---- mutations ------------------------------------------------------------- */

/* Text a parser must survive anywhere: delimiters, comment and annotation
 * openers, numbers at and past every limit, malformed numbers, bad UTF-8,
 * NUL bytes, and pieces of syntax that start or end nested forms. */
static const char *const snippets[] = {
    "(", ")", "\"", "\\", "(;", ";)", ";;", "(@", "(@a ", "(@a \"", "$", "$\"", "$\"\\ff\"",
    " 0x ", " 0x_1 ", " 1_ ", " 1__2 ", " _1 ", " 0x1p ", " 1e ", " 1e99999 ", " -1e-99999 ",
    " 0x1p-1075 ", " 0x1.fffffffffffff8p1023 ", " 0x1p128 ", " 3.4028236e38 ", " nan:0x0 ",
    " nan:0x ", " -nan:0x7fffff ", " nan:0x10000000000000 ", " nan:canonical ", " +inf ",
    " -0 ", " 18446744073709551616 ", " -9223372036854775809 ", " 4294967296 ",
    " 0xffffffffffffffffffffffffffffffff ", " 99999999999999999999999999999999999 ",
    " offset=", " align=", " offset=0x1_0000_0000_0000_0000 ", " align=3 ", " align=0 ",
    "\"\\u{110000}\"", "\"\\u{d800}\"", "\"\\u{\"", "\"\\x\"", "\"\xff\"", "\xc0\x80",
    "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "\x80", "\xe2\x82", "\0", "\t", "\r", "\n",
    " (block ", " (loop ", " (if ", " (then ", " (else ", " block ", " loop ", " if ", " else ",
    " end ", " try ", " catch ", " delegate 0 ", " (try_table (catch 0 0) ", " (module ",
    " (func ", " (param ", " (result ", " (local ", " (type 0) ", " (type $t) ", " (export ",
    " (import \"a\" \"b\" ", " (memory 1) ", " (table 1 funcref) ", " (global i32 ",
    " (elem ", " (data ", " (rec ", " (sub ", " (ref null ", " (ref ", " (i32.const 0) ",
    " (v128.const i8x16 0) ", " v128.const i32x4 0 0 0 ", " i8x16.shuffle 0 ",
    " br_table 0 1 ", " select (result i32) ", " call_indirect (type 0) ", " $x ", " 0 ",
    " quote ", " binary ", " definition ", " instance ",
};

/* Token boundaries, roughly: a start at every byte after white space and at
 * every parenthesis, so that ranges of tokens can be cut, copied and
 * swapped without a lexer (the text may no longer lex). */
static size_t token_starts(const buf *b, size_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len && n < max; i++) {
        char ch = b->p[i], prev = i ? b->p[i - 1] : ' ';
        bool space = ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r';
        bool prev_space = prev == ' ' || prev == '\n' || prev == '\t' || prev == '\r';
        if (!space && (prev_space || ch == '(' || ch == ')' || prev == '(' || prev == ')'))
            out[n++] = i;
    }
    return n;
}

enum { MAX_STARTS = 1 << 16 };
static size_t starts[MAX_STARTS];

/* A random token range [*s, *e) of up to `max_tokens` tokens. */
static bool token_range(const buf *b, rng *r, size_t max_tokens, size_t *s, size_t *e)
{
    size_t n = token_starts(b, starts, MAX_STARTS);
    if (n == 0)
        return false;
    size_t a = rng_below(r, n), k = 1 + rng_below(r, max_tokens);
    *s = starts[a];
    *e = a + k < n ? starts[a + k] : b->len;
    return true;
}

/* A random position: a byte or, more often, a token start. */
static size_t position(const buf *b, rng *r)
{
    if (rng_chance(r, 3) || b->len == 0)
        return rng_below(r, b->len + 1);
    size_t n = token_starts(b, starts, MAX_STARTS);
    return n ? starts[rng_below(r, n)] : rng_below(r, b->len + 1);
}

/* Nesting `depth` deep of `open` (and maybe the matching closers). */
static void nest(buf *b, rng *r, size_t at, size_t depth, const char *open, const char *close,
                 mlog *log)
{
    bool closed = rng_chance(r, 2);
    size_t ol = strlen(open), cl = strlen(close);
    buf n = { NULL, 0, 0 };
    buf_reserve(&n, depth * (ol + (closed ? cl : 0)) + 1);
    for (size_t i = 0; i < depth; i++)
        memcpy(n.p + n.len, open, ol), n.len += ol;
    if (closed)
        for (size_t i = 0; i < depth; i++)
            memcpy(n.p + n.len, close, cl), n.len += cl;
    mlog_add(log, "nest %zu x '%s'%s @%zu", depth, open, closed ? " closed" : "", at);
    buf_splice(b, at, 0, n.p, n.len);
    free(n.p);
}

static void mutate(buf *b, rng *r, const corpus *c, mlog *log)
{
    size_t s, e;
    switch (rng_below(r, 14)) {
    case 0: { /* a bit flip */
        if (!b->len)
            break;
        size_t at = rng_below(r, b->len);
        unsigned bit = (unsigned)rng_below(r, 8);
        mlog_add(log, "flip bit %u @%zu", bit, at);
        b->p[at] ^= (char)(1u << bit);
        break;
    }
    case 1: { /* a random byte, replaced or inserted */
        size_t at = rng_below(r, b->len + 1);
        char ch = (char)rng_below(r, 256);
        bool insert = at == b->len || rng_chance(r, 2);
        mlog_add(log, "%s byte 0x%02x @%zu", insert ? "insert" : "set", (uint8_t)ch, at);
        buf_splice(b, at, insert ? 0 : 1, &ch, 1);
        break;
    }
    case 2: /* delete tokens */
        if (token_range(b, r, rng_chance(r, 4) ? 64 : 3, &s, &e)) {
            mlog_add(log, "delete [%zu,%zu)", s, e);
            buf_splice(b, s, e - s, NULL, 0);
        }
        break;
    case 3: /* duplicate tokens elsewhere */
        if (token_range(b, r, rng_chance(r, 4) ? 64 : 3, &s, &e)) {
            size_t len = e - s, to = position(b, r);
            char *copy = malloc(len ? len : 1);
            if (!copy)
                exit(2);
            memcpy(copy, b->p + s, len);
            mlog_add(log, "copy [%zu,%zu) to %zu", s, e, to);
            buf_splice(b, to, 0, copy, len);
            free(copy);
        }
        break;
    case 4: { /* swap two token ranges */
        size_t s2, e2;
        if (!token_range(b, r, 4, &s, &e) || !token_range(b, r, 4, &s2, &e2))
            break;
        if (s2 < s) {
            size_t t = s; s = s2, s2 = t;
            t = e; e = e2, e2 = t;
        }
        if (e > s2)
            break; /* overlapping */
        mlog_add(log, "swap [%zu,%zu) [%zu,%zu)", s, e, s2, e2);
        buf tmp = { NULL, 0, 0 };
        buf_splice(&tmp, 0, 0, b->p + s2, e2 - s2);
        buf_splice(&tmp, tmp.len, 0, b->p + e, s2 - e);
        buf_splice(&tmp, tmp.len, 0, b->p + s, e - s);
        memcpy(b->p + s, tmp.p, tmp.len);
        free(tmp.p);
        break;
    }
    case 5: { /* truncation: at a token, inside one, or just before the end */
        size_t at = rng_chance(r, 4) && b->len ? b->len - 1 - rng_below(r, b->len < 4 ? b->len : 4)
                                               : position(b, r);
        mlog_add(log, "truncate @%zu", at);
        b->len = at < b->len ? at : b->len;
        break;
    }
    case 6:
    case 7:
    case 8: { /* a snippet, inserted or replacing a token */
        const char *sn = snippets[rng_below(r, sizeof snippets / sizeof *snippets)];
        size_t sl = sn[0] ? strlen(sn) : 1; /* "\0" is one NUL byte */
        if (rng_chance(r, 2) && token_range(b, r, 1, &s, &e)) {
            mlog_add(log, "replace [%zu,%zu) with '%.20s'", s, e, sn[0] ? sn : "\\0");
            buf_splice(b, s, e - s, sn, sl);
        } else {
            size_t at = position(b, r);
            mlog_add(log, "insert snippet '%.20s' @%zu", sn[0] ? sn : "\\0", at);
            buf_splice(b, at, 0, sn, sl);
        }
        break;
    }
    case 9: { /* digits, signs and underscores inside a number */
        static const char numchars[] = "0123456789_.+-xXpPeEaAfF";
        size_t n = token_starts(b, starts, MAX_STARTS);
        for (unsigned tries = 0; n && tries < 16; tries++) {
            size_t i = starts[rng_below(r, n)];
            char ch = b->p[i];
            if (!((ch >= '0' && ch <= '9') || ch == '-' || ch == '+'))
                continue;
            size_t len = 1;
            while (i + len < b->len && b->p[i + len] != ' ' && b->p[i + len] != ')' &&
                   b->p[i + len] != '\n')
                len++;
            size_t at = i + rng_below(r, len + 1);
            char digit = numchars[rng_below(r, sizeof numchars - 1)];
            mlog_add(log, "number char '%c' @%zu", digit, at);
            buf_splice(b, at, rng_chance(r, 2) ? 1 : 0, &digit, 1);
            break;
        }
        break;
    }
    case 10: /* deep nesting: rarely very deep, as that is slow */
        if (rng_chance(r, 8)) {
            static const char *const opens[][2] = {
                { "(block ", ")" }, { "block ", "end " }, { "(i32.add ", ")" }, { "(", ")" },
                { "(if (then ", "))" }, { "(; ", ";)" }, { "(@a ", ")" }, { "(loop $l ", ")" },
                { "(ref null (", "))" }, { "(module ", ")" },
            };
            size_t k = rng_below(r, sizeof opens / sizeof *opens);
            size_t depth = rng_chance(r, 4) ? 1000 + rng_below(r, 20000) : 1 + rng_below(r, 300);
            nest(b, r, position(b, r), depth, opens[k][0], opens[k][1], log);
        }
        break;
    case 12:
    case 13: { /* tokens of another module form: text that mostly lexes */
        const unit *o = &c->u[rng_below(r, c->n)];
        buf other = { (char *)o->text, o->len, o->len };
        if (o->whole || !token_range(&other, r, rng_chance(r, 4) ? 16 : 2, &s, &e))
            break;
        size_t at, at_end;
        bool replace = rng_chance(r, 2) && token_range(b, r, 2, &at, &at_end);
        if (!replace)
            at = position(b, r), at_end = at;
        mlog_add(log, "%s [%zu,%zu) with %zu bytes of %s:%u", replace ? "replace" : "insert at",
                 at, at_end, e - s, o->file, o->line);
        buf_splice(b, at, at_end - at, o->text + s, e - s);
        break;
    }
    default: { /* a string's bytes: escapes and invalid UTF-8 */
        size_t from = rng_below(r, b->len);
        char *q = b->len ? memchr(b->p + from, '"', b->len - from) : NULL;
        size_t at = q ? (size_t)(q - b->p) + 1 : position(b, r);
        static const char *const bad[] = { "\xff", "\xc3", "\xe0\x80\x80", "\xed\xbf\xbf",
                                           "\\", "\\u{", "\\u{}", "\\u{ffffffffff}", "\\0g",
                                           "\"", "\n", "\x7f" };
        const char *s2 = bad[rng_below(r, sizeof bad / sizeof *bad)];
        mlog_add(log, "string bytes @%zu", at);
        buf_splice(b, at, 0, s2, strlen(s2));
        break;
    }
    }
}

/* ---- running a case -------------------------------------------------------- */

typedef struct fuzz {
    uint64_t seed;
    weft_engine *engine;
    buf work;
    uint64_t passed, failed;
    /* outcomes */
    uint64_t read, rejected, lex_rejected, decoded, undecodable, forms_read, forms_rejected;
    bool verbose;
} fuzz;

static char current_case[256];

/* "FILE:LINE:COL: message" with FILE the name the reader was given. */
static bool positioned(const char *err, const char *file)
{
    size_t fl = strlen(file);
    if (strncmp(err, file, fl) != 0 || err[fl] != ':')
        return false;
    const char *p = err + fl + 1;
    for (int part = 0; part < 2; part++) {
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p++ != ':')
            return false;
    }
    return *p == ' ' && p[1] != '\0';
}

static bool check_bytes(fuzz *fz, const uint8_t *bytes, size_t len, const char *what)
{
    weft_module *m = NULL;
    weft_error err;
    memset(&err, 0, sizeof err);
    weft_status st = weft_module_new(fz->engine, bytes, len, &m, &err);
    if (st == WEFT_OK) {
        fz->decoded++;
        weft_module_free(m);
        return true;
    }
    fz->undecodable++;
    if (!err.message[0]) {
        printf("FAIL %s: %s: weft_module_new failed (%d) without a message\n", current_case,
               what, (int)st);
        return false;
    }
    return true;
}

static bool reader_failed(fuzz *fz, const char *err, const char *file, const char *what)
{
    if (positioned(err, file))
        return true;
    printf("FAIL %s: %s: error without FILE:LINE:COL: '%.200s'\n", current_case, what, err);
    (void)fz;
    return false;
}

/* Every module form of a script's tokens, as a script runner reads them. */
static bool read_forms(fuzz *fz, const wat_tokens *t, const char *file)
{
    bool ok = true;
    char err[512];
    for (size_t k = 0; k < t->count && t->tok[k].kind == WAT_LPAR;) {
        size_t end = k;
        int depth = 0;
        do {
            depth += t->tok[end].kind == WAT_LPAR ? 1 : t->tok[end].kind == WAT_RPAR ? -1 : 0;
            end++;
        } while (depth > 0 && end < t->count);
        size_t pos = wat_is_keyword(&t->tok[k + 1], "module") ? k : k + 2;
        if (pos + 1 < end && t->tok[pos].kind == WAT_LPAR &&
            wat_is_keyword(&t->tok[pos + 1], "module")) {
            wat_module_out m;
            err[0] = '\0';
            if (wat_module_form_read(t, &pos, file, NULL, &m, err, sizeof err)) {
                fz->forms_read++;
                if (m.form != WAT_FORM_INSTANCE)
                    ok &= check_bytes(fz, m.bytes, m.len, "module form");
                free(m.bytes);
                if (pos > end || pos > t->count) {
                    printf("FAIL %s: module form read past its end\n", current_case);
                    ok = false;
                }
            } else {
                fz->forms_rejected++;
                ok &= reader_failed(fz, err, file, "wat_module_form_read");
                if (fz->verbose)
                    printf("  wat_module_form_read: %.200s\n", err);
            }
        }
        k = end;
    }
    return ok;
}

/* Lexes the text and reads its module forms. */
static bool lex_and_read(fuzz *fz, const char *text, size_t len, const char *file)
{
    wat_tokens t;
    char err[512] = "";
    if (!wat_lex(text, len, file, &t, err, sizeof err)) {
        fz->lex_rejected++;
        if (fz->verbose)
            printf("  wat_lex: %.200s\n", err);
        return reader_failed(fz, err, file, "wat_lex");
    }
    bool ok = read_forms(fz, &t, file);
    wat_tokens_free(&t);
    return ok;
}

static bool run_text(fuzz *fz, const char *text, size_t len, bool whole)
{
    const char *file = "fuzz.wast";
    bool ok = true;
    if (!whole) {
        uint8_t *out = NULL;
        size_t out_len = 0;
        char err[512] = "";
        if (wat_to_wasm(text, len, file, NULL, &out, &out_len, err, sizeof err)) {
            fz->read++;
            ok &= check_bytes(fz, out, out_len, "wat_to_wasm");
            free(out);
        } else {
            fz->rejected++;
            ok &= reader_failed(fz, err, file, "wat_to_wasm");
            if (fz->verbose)
                printf("  wat_to_wasm: %.200s\n", err);
        }
    }
    /* a script runner's path: the lexer, then module forms */
    if (whole || (len > 0 && text[0] == '('))
        ok &= lex_and_read(fz, text, len, file);
    return ok;
}

static bool run_case(fuzz *fz, const corpus *c, uint64_t iter, const char *dump)
{
    rng r = { fz->seed ^ 0x5EEDF00Dull };
    r.s ^= rng_next(&r) + iter * 0xD1B54A32D192ED03ull;
    r.s = rng_next(&r);
    const unit *u = &c->u[rng_below(&r, c->n)];
    /* whole scripts are slower: mutate fewer of them */
    if (u->whole && !rng_chance(&r, 4))
        u = &c->u[rng_below(&r, c->n)];
    buf *b = &fz->work;
    b->len = 0;
    buf_splice(b, 0, 0, u->text, u->len);
    mlog log = { "", 0 };
    unsigned n = rng_chance(&r, 2) ? 1 : 2 + (unsigned)rng_below(&r, 3);
    for (unsigned k = 0; k < n; k++)
        mutate(b, &r, c, &log);
    snprintf(current_case, sizeof current_case, "--seed %llu --only %llu (%s:%u%s)",
             (unsigned long long)fz->seed, (unsigned long long)iter, u->file, u->line,
             u->whole ? ", whole script" : "");
    if (fz->verbose)
        printf("case %s: %zu bytes; mutations: %s\n", current_case, b->len, log.text);
    if (dump) {
        FILE *f = fopen(dump, "wb");
        if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f) != 0) {
            fprintf(stderr, "fuzz: cannot write %s\n", dump);
            exit(2);
        }
    }
    bool ok = run_text(fz, b->p, b->len, u->whole);
    if (!ok && !fz->verbose)
        printf("  mutations: %s\n", log.text);
    if (ok)
        fz->passed++;
    else
        fz->failed++;
    return ok;
}

/* The fixed cases: each kind of nesting in a function body, a constant
 * expression, a type, comments, annotations and a script, 100,000 levels of
 * folded blocks and 20,000 of the others (twice the reader's bound: lexing
 * all of it is what costs, under the sanitizers above all). */
static void run_deep(fuzz *fz)
{
    static const char *const kinds[][3] = {
        { "(module (func ", "(block ", ")" },       { "(module (func ", "block ", "end " },
        { "(module (func ", "(i32.add ", ")" },     { "(module (func ", "(if (then ", "))" },
        { "(module (func ", "loop ", "end " },      { "(module (func ", "(try_table ", ")" },
        { "(module ", "(; ", ";)" },                { "(module ", "(@a ", ")" },
        { "(module (type (func (param ", "(ref null ", ")" }, { "", "(", ")" },
        { "(module (global i32 ", "(i32.add ", ")" }, { "(module (func ", "(", ")" },
    };
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        size_t deep = k == 0 ? 100000 : 20000;
        for (int closed = 0; closed < 2; closed++) {
            buf *b = &fz->work;
            b->len = 0;
            buf_splice(b, 0, 0, kinds[k][0], strlen(kinds[k][0]));
            size_t ol = strlen(kinds[k][1]), cl = strlen(kinds[k][2]);
            for (size_t i = 0; i < deep; i++)
                buf_splice(b, b->len, 0, kinds[k][1], ol);
            for (size_t i = 0; closed && i < deep; i++)
                buf_splice(b, b->len, 0, kinds[k][2], cl);
            /* the prefix closed, so that the reader gets past its check
             * that parentheses balance */
            for (const char *p = kinds[k][0]; *p; p++)
                if (*p == '(')
                    buf_splice(b, b->len, 0, ")", 1);
            snprintf(current_case, sizeof current_case, "deep %zu x '%s'%s", deep, kinds[k][1],
                     closed ? " closed" : "");
            if (fz->verbose)
                printf("case %s\n", current_case);
            if (run_text(fz, b->p, b->len, false))
                fz->passed++;
            else
                fz->failed++;
        }
    }
}

/* ---- crashes and hangs (as in fuzz_modules.c) ------------------------------ */

static void write_str(const char *s) { (void)!write(2, s, strlen(s)); }

static void report_case(const char *what)
{
    write_str("\nfuzz: ");
    write_str(what);
    write_str(" in case ");
    write_str(current_case);
    write_str("\n");
}

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
static struct sigaction previous_action[sizeof fatal_signals / sizeof *fatal_signals];

static void on_fatal_signal(int sig)
{
    report_case(sig == SIGALRM ? "timeout" : "fatal signal");
    if (sig == SIGALRM)
        _exit(3);
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
        if (fatal_signals[i] == sig)
            sigaction(sig, &previous_action[i], NULL);
    if (sig == SIGABRT)
        raise(sig);
}

extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static void on_sanitizer_death(void) { report_case("sanitizer report"); }

/* LeakSanitizer finds leaks at exit, long after the case that made them: a
 * check every LEAK_CHECK_EVERY cases narrows it down to those cases. */
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));
enum { LEAK_CHECK_EVERY = 1000 };

/* A stack overflow must be reported too: the handler runs on its own stack. */
static char alt_stack[1 << 16];

static void install_reporters(void)
{
    stack_t ss = { .ss_sp = alt_stack, .ss_size = sizeof alt_stack, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER | SA_ONSTACK;
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
        sigaction(fatal_signals[i], &sa, &previous_action[i]);
    sa.sa_flags = 0;
    sigaction(SIGALRM, &sa, NULL);
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(on_sanitizer_death);
}

/* ---- the command line ------------------------------------------------------ */

static uint64_t parse_u64(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end) {
        fprintf(stderr, "fuzz: bad %s: %s\n", what, s);
        exit(2);
    }
    return v;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: fuzz_text [--seed S] [--iterations N] [--seconds T] [--case-timeout SECS]\n"
            "                 [--verbose]\n"
            "                 [FILE.wast|FOLDER...]\n"
            "       fuzz_text [--seed S] --only ITER [--dump OUT.wat] [FILE.wast|FOLDER...]\n"
            "Without seeds: $WEFT_SHARED/testsuite and $WEFT_SHARED/testsuite-3.0.\n"
            "Runs until N cases or T seconds (0: unbounded); WEFT_FUZZ_SCALE in the\n"
            "environment multiplies both.  --verbose prints every case and error.\n");
    exit(2);
}

int main(int argc, char **argv)
{
    /* lines reach a log even when a sanitizer ends the process */
    setvbuf(stdout, NULL, _IOLBF, 0);
    fuzz fz;
    memset(&fz, 0, sizeof fz);
    corpus c;
    memset(&c, 0, sizeof c);
    uint64_t iterations = 0;
    double seconds = 5, scale = 1.0;
    unsigned timeout = 60;
    const char *only = NULL, *dump = NULL;
    const char *env = getenv("WEFT_FUZZ_SCALE");
    if (env && *env) {
        char *end;
        scale = strtod(env, &end);
        if (*end || !(scale >= 0)) {
            fprintf(stderr, "fuzz: bad WEFT_FUZZ_SCALE: %s\n", env);
            return 2;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "--seed") == 0 && has_value) {
            fz.seed = parse_u64(argv[++i], "seed");
        } else if (strcmp(a, "--iterations") == 0 && has_value) {
            iterations = parse_u64(argv[++i], "iteration count");
        } else if (strcmp(a, "--seconds") == 0 && has_value) {
            seconds = (double)parse_u64(argv[++i], "seconds");
        } else if (strcmp(a, "--case-timeout") == 0 && has_value) {
            timeout = (unsigned)parse_u64(argv[++i], "timeout");
        } else if (strcmp(a, "--only") == 0 && has_value) {
            only = argv[++i];
        } else if (strcmp(a, "--verbose") == 0) {
            fz.verbose = true;
        } else if (strcmp(a, "--dump") == 0 && has_value) {
            dump = argv[++i];
        } else if (a[0] == '-') {
            usage();
        } else {
            struct stat st;
            if (stat(a, &st) == 0 && S_ISDIR(st.st_mode))
                add_folder(&c, a);
            else
                add_script(&c, a);
        }
    }
    if (c.nfiles == 0) {
        const char *shared = getenv("WEFT_SHARED");
        if (!shared || !*shared)
            shared = WEFT_FUZZ_SHARED_DIR;
        static const char *const suites[] = { "testsuite", "testsuite-3.0" };
        for (size_t k = 0; k < 2; k++) {
            char dir[4096];
            snprintf(dir, sizeof dir, "%s/%s", shared, suites[k]);
            if (!add_folder(&c, dir))
                printf("fuzz: no folder %s, skipped\n", dir);
        }
        if (c.n == 0) {
            printf("fuzz: skipped: no .wast files in %s/testsuite or %s/testsuite-3.0; set "
                   "WEFT_SHARED=... (the shared/ folder beside the repository: testsuite/ "
                   "from the WebAssembly/testsuite repository, testsuite-3.0/ from its "
                   "3.0 branch) or name scripts on the command line\n",
                   shared, shared);
            corpus_free(&c);
            return 0;
        }
    }
    if (c.n == 0)
        usage();
    weft_error err;
    if (weft_engine_new(NULL, &fz.engine, &err) != WEFT_OK) {
        fprintf(stderr, "fuzz: %s\n", err.message);
        return 2;
    }
    install_reporters();

    int rc;
    if (only) {
        fz.verbose = true;
        bool ok = run_case(&fz, &c, parse_u64(only, "iteration"), dump);
        printf("fuzz: %s\n", ok ? "behaved" : "VIOLATION");
        rc = ok ? 0 : 1;
    } else {
        double limit = seconds * scale;
        uint64_t max = (uint64_t)((double)iterations * scale);
        alarm(timeout * 10);
        run_deep(&fz);
        uint64_t deep = fz.passed + fz.failed, it = 0;
        double start = now(); /* the bound is on the mutated cases alone */
        for (; (!max || it < max) && (limit <= 0 || now() - start < limit); it++) {
            if (!max && limit <= 0 && it == 1000000)
                break; /* neither bound: a million cases */
            alarm(timeout);
            run_case(&fz, &c, it, NULL);
            if (__lsan_do_recoverable_leak_check && (it + 1) % LEAK_CHECK_EVERY == 0 &&
                __lsan_do_recoverable_leak_check()) {
                printf("FAIL --seed %llu: a leak in cases %llu to %llu (--only each of them "
                       "to find it)\n",
                       (unsigned long long)fz.seed, (unsigned long long)(it + 1 - LEAK_CHECK_EVERY),
                       (unsigned long long)it);
                fz.failed++;
                break; /* the leak is reported again by every later check */
            }
        }
        alarm(0);
        /* a leak reported at exit belongs to no one case */
        snprintf(current_case, sizeof current_case, "none (the run has ended: for a leak, "
                 "run the cases again in smaller ranges)");
        printf("fuzz-stats: %zu scripts, %zu units; %llu deep-nesting cases, %llu mutated "
               "cases in %.1f s; wat_to_wasm read %llu, rejected %llu; lexer rejected %llu; "
               "module forms read %llu, rejected %llu; weft_module_new accepted %llu, rejected %llu\n",
               c.nfiles, c.n, (unsigned long long)deep, (unsigned long long)it, now() - start,
               (unsigned long long)fz.read, (unsigned long long)fz.rejected,
               (unsigned long long)fz.lex_rejected, (unsigned long long)fz.forms_read, (unsigned long long)fz.forms_rejected,
               (unsigned long long)fz.decoded, (unsigned long long)fz.undecodable);
        printf("fuzz: %llu passed, %llu failed\n", (unsigned long long)fz.passed,
               (unsigned long long)fz.failed);
        rc = fz.failed ? 1 : 0;
    }
    weft_engine_free(fz.engine);
    free(fz.work.p);
    corpus_free(&c);
    return rc;
}

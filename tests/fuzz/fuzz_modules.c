/*
 * fuzz_modules.c -- a deterministic mutation fuzzer for the decoder, the
 * validator and instantiation, through the public API only (weft.h).
 *
 *   fuzz_modules [--seed S] [--iterations N] [--case-timeout SECS]
 *                [--config C] [--emit DIR] SEED...
 *   fuzz_modules [--seed S] [--config C] --only FILE:ITER [--dump OUT.wasm]
 *
 * A SEED is a .wasm file or a folder of them (read at run time, so a corpus
 * that the build may or may not have made needs no configure-time list).
 * --iterations applies to the seeds after it on the command line, so small
 * and large seeds can get different counts; WEFT_FUZZ_SCALE (a number in the
 * environment) multiplies every count.
 *
 * Case (file, iter) mutates the seed with a PRNG seeded from S, the file's
 * base name and iter alone, so any case re-runs by itself with --only, in any
 * corpus order.  Each case then checks the engine's promises:
 *   - weft_module_new either accepts the bytes, or fails with an error of a
 *     decoding class whose code matches its status, whose formatted message
 *     is not empty and names an offset inside the module (malformed and
 *     invalid modules must name one);
 *   - weft_module_validate agrees with weft_module_new (every fourth case);
 *   - an accepted module's imports and exports are what the bytes say, and it
 *     instantiates against dummy imports of the right types -- unless it has
 *     a start function, the only way instantiation could run guest code that
 *     might not end -- with any failure a trap or a resource error.
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
#include <unistd.h>

#include "weft.h"

/* ---- the PRNG ------------------------------------------------------------ */

/* splitmix64: one word of state, good enough mixing for choosing mutations. */
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

/* Uniform enough in [0, n); 0 when n == 0. */
static size_t rng_below(rng *r, size_t n) { return n ? (size_t)(rng_next(r) % n) : 0; }

static bool rng_chance(rng *r, unsigned one_in) { return rng_below(r, one_in) == 0; }

/* FNV-1a of a file's base name: a case's identity must not depend on the
 * folder or on the order in which seeds were given. */
static uint64_t name_hash(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    uint64_t h = 0xCBF29CE484222325ull;
    for (; *base; base++)
        h = (h ^ (uint8_t)*base) * 0x100000001B3ull;
    return h;
}

static uint64_t case_seed(uint64_t seed, uint64_t file_hash, uint64_t iter)
{
    rng r = { seed ^ file_hash };
    r.s ^= rng_next(&r) + iter * 0xD1B54A32D192ED03ull;
    return rng_next(&r);
}

/* ---- byte buffers and the mutation log ----------------------------------- */

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

static void buf_reserve(buf *b, size_t n)
{
    if (n <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < n)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        fprintf(stderr, "fuzz: out of memory\n");
        exit(2);
    }
    b->p = p;
    b->cap = cap;
}

static void buf_set(buf *b, const uint8_t *bytes, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->p, bytes, n);
    b->len = n;
}

/* Replaces b[at, at+old) with n bytes from `bytes` (NULL: leave them as they
 * come, for the caller to fill). */
static void buf_splice(buf *b, size_t at, size_t old, const uint8_t *bytes, size_t n)
{
    if (at > b->len)
        at = b->len;
    if (old > b->len - at)
        old = b->len - at;
    buf_reserve(b, b->len - old + n);
    memmove(b->p + at + n, b->p + at + old, b->len - at - old);
    if (bytes)
        memcpy(b->p + at, bytes, n);
    b->len = b->len - old + n;
}

/* What the mutations of a case did, for --only and for failure reports. */
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

/* ---- LEB128 helpers for the mutator and the module reader ---------------- */

/* Reads an unsigned LEB128 of up to 10 bytes at b[*at, end); false if it runs
 * off the end.  Bits past 64 are dropped: the reader below only needs sizes of
 * modules the engine accepted. */
static bool leb_read(const uint8_t *b, size_t end, size_t *at, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; *at < end && shift < 70; shift += 7) {
        uint8_t c = b[(*at)++];
        if (shift < 64)
            v |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* Encodes v in at least `min_len` bytes (padding with continuation bytes:
 * an overlong encoding when min_len is more than v needs). */
static size_t leb_write(uint8_t *out, uint64_t v, size_t min_len)
{
    size_t n = 0;
    do {
        uint8_t c = v & 0x7F;
        v >>= 7;
        if (v || n + 1 < min_len)
            c |= 0x80;
        out[n++] = c;
    } while (v || n < min_len);
    return n;
}

/* The LEB128 that covers byte `at`: back to its first byte (the previous
 * bytes have continuation bits), forward to its last. */
static void leb_around(const buf *b, size_t at, size_t *start, size_t *end)
{
    size_t s = at;
    while (s > 0 && at - s < 9 && (b->p[s - 1] & 0x80))
        s--;
    size_t e = s;
    while (e < b->len && e - s < 10 && (b->p[e] & 0x80))
        e++;
    *start = s;
    *end = e < b->len ? e + 1 : b->len;
}

/* ---- mutations ------------------------------------------------------------- */

typedef struct section {
    size_t id_at;   /* the id byte */
    size_t size_at; /* its size LEB128 */
    size_t body_at; /* the contents */
    size_t end;     /* one past the contents (clamped to the buffer) */
    uint8_t id;
} section;

enum { MAX_SECTIONS = 64 };

/* The section headers of a (possibly already mutated) module, as far as they
 * make sense; returns how many. */
static size_t find_sections(const buf *b, section *out)
{
    size_t n = 0, at = 8;
    while (at < b->len && n < MAX_SECTIONS) {
        section s = { .id_at = at, .id = b->p[at] };
        s.size_at = at + 1;
        size_t p = s.size_at;
        uint64_t size;
        if (!leb_read(b->p, b->len, &p, &size))
            break;
        s.body_at = p;
        s.end = size > b->len - p ? b->len : p + (size_t)size;
        out[n++] = s;
        at = s.end;
    }
    return n;
}

static const uint8_t special_bytes[] = { 0x00, 0x7F, 0x80, 0xFF, 0x01, 0x40, 0x41, 0x0B, 0x60, 0x70,
                                         0x6F, 0x7B, 0xFC, 0xFD, 0xFE, 0x03, 0x10, 0x11, 0x1A, 0x20 };

/* Replaces the LEB128 at [s, e) with a huge, overlong or nearby value. */
static void mutate_leb(buf *b, rng *r, size_t s, size_t e, mlog *log, const char *what)
{
    uint64_t v = 0;
    size_t p = s;
    leb_read(b->p, e, &p, &v);
    uint8_t enc[16];
    size_t n;
    const char *how;
    switch (rng_below(r, 9)) {
    case 0: n = leb_write(enc, 0xFFFFFFFFu, 0), how = "u32 max"; break;
    case 1: n = leb_write(enc, 0x7FFFFFFFu, 0), how = "s32 max"; break;
    case 2: n = leb_write(enc, 0x100000000ull, 0), how = "2^32"; break;
    case 3: n = leb_write(enc, UINT64_MAX, 0), how = "u64 max"; break;
    case 4: n = leb_write(enc, v, e - s + 1 + rng_below(r, 5)), how = "overlong"; break;
    case 5: n = leb_write(enc, v, 5), how = "5-byte"; break;
    case 6: n = leb_write(enc, v + 1 + rng_below(r, 3), 0), how = "plus"; break;
    case 7: n = leb_write(enc, v ? v - 1 - rng_below(r, v < 3 ? v : 3) : 0, 0), how = "minus"; break;
    default: n = leb_write(enc, rng_next(r) >> rng_below(r, 64), 0), how = "random"; break;
    }
    mlog_add(log, "%s leb @0x%zx (%llu, %zu bytes) -> %s (%zu bytes)", what, s,
             (unsigned long long)v, e - s, how, n);
    buf_splice(b, s, e - s, enc, n);
}

/* Edits the structure of one section: its size, its count, its id, or the
 * whole of it (deleted, duplicated, moved). */
static void mutate_section(buf *b, rng *r, mlog *log)
{
    section secs[MAX_SECTIONS];
    size_t n = find_sections(b, secs);
    if (n == 0) {
        mlog_add(log, "no sections");
        return;
    }
    section s = secs[rng_below(r, n)];
    switch (rng_below(r, 6)) {
    case 0:
        mutate_leb(b, r, s.size_at, s.body_at, log, "section size");
        break;
    case 1:
        if (s.body_at < s.end) {
            size_t start, e;
            leb_around(b, s.body_at, &start, &e);
            mutate_leb(b, r, start, e, log, "section count");
        }
        break;
    case 2: {
        uint8_t id = (uint8_t)rng_below(r, 14);
        mlog_add(log, "section @0x%zx id %u -> %u", s.id_at, s.id, id);
        b->p[s.id_at] = id;
        break;
    }
    case 3:
        mlog_add(log, "delete section @0x%zx (id %u)", s.id_at, s.id);
        buf_splice(b, s.id_at, s.end - s.id_at, NULL, 0);
        break;
    default: {
        /* Duplicate it, or move it, to another section boundary. */
        bool move = rng_chance(r, 2);
        size_t len = s.end - s.id_at;
        uint8_t *copy = malloc(len ? len : 1);
        if (!copy)
            return;
        memcpy(copy, b->p + s.id_at, len);
        if (move)
            buf_splice(b, s.id_at, len, NULL, 0);
        size_t nb = find_sections(b, secs);
        size_t to = nb ? secs[rng_below(r, nb)].id_at : 8;
        if (rng_chance(r, 4))
            to = b->len;
        mlog_add(log, "%s section @0x%zx (id %u, %zu bytes) to 0x%zx", move ? "move" : "duplicate",
                 s.id_at, s.id, len, to);
        buf_splice(b, to, 0, copy, len);
        free(copy);
        break;
    }
    }
}

/* Instruction snippets for edits inside function bodies: a valid module plus
 * one of these usually stays well formed, so the validator and instantiation
 * see it, not only the decoder. */
typedef struct snippet {
    uint8_t len;
    uint8_t bytes[20];
} snippet;

static const snippet snippets[] = {
    { 2, { 0x41, 0x00 } },                   /* i32.const 0 */
    { 6, { 0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x07 } }, /* i32.const, 6-byte LEB */
    { 2, { 0x42, 0x7F } },                   /* i64.const -1 */
    { 5, { 0x43, 0, 0, 0x80, 0x7F } },       /* f32.const inf */
    { 9, { 0x44, 0, 0, 0, 0, 0, 0, 0xF8, 0x7F } }, /* f64.const nan */
    { 1, { 0x1A } },                         /* drop */
    { 1, { 0x0F } },                         /* return */
    { 1, { 0x00 } },                         /* unreachable */
    { 1, { 0x01 } },                         /* nop */
    { 2, { 0x02, 0x40 } },                   /* block */
    { 2, { 0x02, 0x7F } },                   /* block (result i32) */
    { 2, { 0x02, 0x00 } },                   /* block (type 0) */
    { 2, { 0x03, 0x40 } },                   /* loop */
    { 2, { 0x04, 0x40 } },                   /* if */
    { 2, { 0x04, 0x7E } },                   /* if (result i64) */
    { 1, { 0x05 } },                         /* else */
    { 1, { 0x0B } },                         /* end */
    { 2, { 0x0C, 0x00 } },                   /* br 0 */
    { 2, { 0x0C, 0x05 } },                   /* br 5 */
    { 2, { 0x0D, 0x00 } },                   /* br_if 0 */
    { 5, { 0x0E, 0x02, 0x00, 0x01, 0x00 } }, /* br_table 0 1 0 */
    { 2, { 0x10, 0x00 } },                   /* call 0 */
    { 3, { 0x11, 0x00, 0x00 } },             /* call_indirect 0 0 */
    { 2, { 0x20, 0x00 } },                   /* local.get 0 */
    { 2, { 0x21, 0x01 } },                   /* local.set 1 */
    { 2, { 0x22, 0x00 } },                   /* local.tee 0 */
    { 2, { 0x23, 0x00 } },                   /* global.get 0 */
    { 2, { 0x24, 0x00 } },                   /* global.set 0 */
    { 3, { 0x28, 0x02, 0x00 } },             /* i32.load */
    { 3, { 0x29, 0x04, 0x00 } },             /* i64.load, over-aligned */
    { 7, { 0x36, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F } }, /* i32.store offset=u32 max */
    { 2, { 0x3F, 0x00 } },                   /* memory.size */
    { 2, { 0x40, 0x00 } },                   /* memory.grow */
    { 2, { 0x3F, 0x01 } },                   /* memory.size, nonzero byte */
    { 1, { 0x1B } },                         /* select */
    { 3, { 0x1C, 0x01, 0x7F } },             /* select (result i32) */
    { 3, { 0x1C, 0x02, 0x7F } },             /* select with two types */
    { 2, { 0xD0, 0x70 } },                   /* ref.null func */
    { 2, { 0xD0, 0x6F } },                   /* ref.null extern */
    { 1, { 0xD1 } },                         /* ref.is_null */
    { 2, { 0xD2, 0x00 } },                   /* ref.func 0 */
    { 2, { 0x25, 0x00 } },                   /* table.get 0 */
    { 2, { 0x26, 0x00 } },                   /* table.set 0 */
    { 4, { 0xFC, 0x08, 0x00, 0x00 } },       /* memory.init 0 */
    { 3, { 0xFC, 0x09, 0x00 } },             /* data.drop 0 */
    { 4, { 0xFC, 0x0A, 0x00, 0x00 } },       /* memory.copy */
    { 3, { 0xFC, 0x0B, 0x00 } },             /* memory.fill */
    { 4, { 0xFC, 0x0C, 0x00, 0x00 } },       /* table.init 0 0 */
    { 3, { 0xFC, 0x0D, 0x00 } },             /* elem.drop 0 */
    { 4, { 0xFC, 0x0E, 0x00, 0x00 } },       /* table.copy */
    { 3, { 0xFC, 0x0F, 0x00 } },             /* table.grow 0 */
    { 3, { 0xFC, 0x10, 0x00 } },             /* table.size 0 */
    { 3, { 0xFC, 0x11, 0x00 } },             /* table.fill 0 */
    { 2, { 0xFC, 0x00 } },                   /* i32.trunc_sat_f32_s */
    { 2, { 0xFC, 0x12 } },                   /* past the 0xFC page */
    { 4, { 0xFE, 0x00, 0x02, 0x00 } },       /* memory.atomic.notify */
    { 4, { 0xFE, 0x01, 0x02, 0x00 } },       /* memory.atomic.wait32 */
    { 4, { 0xFE, 0x02, 0x03, 0x00 } },       /* memory.atomic.wait64 */
    { 3, { 0xFE, 0x03, 0x00 } },             /* atomic.fence */
    { 4, { 0xFE, 0x10, 0x02, 0x00 } },       /* i32.atomic.load */
    { 4, { 0xFE, 0x10, 0x01, 0x00 } },       /* i32.atomic.load, misaligned */
    { 4, { 0xFE, 0x1E, 0x02, 0x00 } },       /* i32.atomic.rmw.add */
    { 4, { 0xFE, 0x48, 0x02, 0x00 } },       /* i32.atomic.rmw.cmpxchg */
    { 4, { 0xFE, 0x4F, 0x00, 0x00 } },       /* past the 0xFE page */
    { 18, { 0xFD, 0x0C } },                  /* v128.const 0 */
    { 4, { 0xFD, 0x00, 0x04, 0x00 } },       /* v128.load */
    { 3, { 0xFD, 0x15, 0x10 } },             /* i8x16.extract_lane_s 16 */
    { 3, { 0xFD, 0x0D, 0x00 } },             /* i8x16.shuffle, short */
    { 1, { 0x6A } },                         /* i32.add */
    { 1, { 0x7C } },                         /* i64.add */
    { 1, { 0x6D } },                         /* i32.div_s */
    { 1, { 0xA7 } },                         /* i32.wrap_i64 */
    { 1, { 0x45 } },                         /* i32.eqz */
    { 1, { 0xBC } },                         /* i32.reinterpret_f32 */
    { 1, { 0xC4 } },                         /* i64.extend32_s */
    { 1, { 0xC5 } },                         /* past the single-byte opcodes */
    { 2, { 0x0B, 0x0B } },                   /* end end */
};

/* An edit inside one section -- and inside one function body when it falls in
 * the code section -- that rewrites the sizes around it to match, so that the
 * decoder reads on past it. */
static void mutate_sized(buf *b, rng *r, size_t limit, mlog *log)
{
    section secs[MAX_SECTIONS];
    size_t n = find_sections(b, secs);
    if (n == 0 || b->len + 32 > limit) {
        mlog_add(log, "no sections");
        return;
    }
    /* The code section half of the time (the validator's input), else a
     * section chosen by size. */
    size_t pick = rng_below(r, b->len - 8), k = 0;
    while (k + 1 < n && secs[k].end <= 8 + pick)
        k++;
    if (rng_chance(r, 2))
        for (size_t i = 0; i < n; i++)
            if (secs[i].id == 10)
                k = i;
    section s = secs[k];
    size_t pos = s.body_at + rng_below(r, s.end - s.body_at + 1);
    size_t lo = s.body_at, hi = s.end;
    size_t fsize_at = 0, fbody_at = 0;
    bool in_func = false;
    if (s.id == 10) {
        size_t p = s.body_at;
        uint64_t count, size;
        if (leb_read(b->p, s.end, &p, &count)) {
            for (uint64_t i = 0; i < count && p < s.end; i++) {
                size_t at = p;
                if (!leb_read(b->p, s.end, &p, &size) || size > s.end - p)
                    break;
                if (pos >= p && pos < p + size) {
                    in_func = true;
                    fsize_at = at, fbody_at = p;
                    lo = p, hi = p + (size_t)size;
                    break;
                }
                p += (size_t)size;
            }
        }
    }
    size_t old_len = b->len;
    const char *where = in_func ? "function" : "section";
    switch (rng_below(r, 6)) {
    case 0:
    case 1:
    case 2: {
        const snippet *sn = &snippets[rng_below(r, sizeof snippets / sizeof *snippets)];
        uint8_t bytes[20] = { 0 };
        memcpy(bytes, sn->bytes, sn->len);
        /* A few of them with another immediate. */
        if (sn->len >= 2 && rng_chance(r, 4))
            bytes[1 + rng_below(r, sn->len - 1)] = (uint8_t)rng_next(r);
        mlog_add(log, "%s insert %02x.. (%u bytes) @0x%zx", where, bytes[0], sn->len, pos);
        buf_splice(b, pos, 0, bytes, sn->len);
        break;
    }
    case 3: {
        size_t cnt = 1 + rng_below(r, 8);
        if (cnt > hi - pos)
            cnt = hi - pos;
        mlog_add(log, "%s delete %zu bytes @0x%zx", where, cnt, pos);
        buf_splice(b, pos, cnt, NULL, 0);
        break;
    }
    case 4:
        if (pos < hi) {
            uint8_t v = rng_chance(r, 2) ? special_bytes[rng_below(r, sizeof special_bytes)]
                                         : (uint8_t)rng_next(r);
            mlog_add(log, "%s byte @0x%zx %02x -> %02x", where, pos, b->p[pos], v);
            b->p[pos] = v;
        }
        break;
    default:
        if (pos < hi) {
            size_t ls, le;
            leb_around(b, pos, &ls, &le);
            if (ls < lo)
                ls = lo;
            if (le > hi)
                le = hi;
            mutate_leb(b, r, ls, le, log, where);
        }
        break;
    }
    /* Sizes from the inside out: each rewrite moves only the bytes after it. */
    size_t delta_grow = b->len >= old_len ? b->len - old_len : 0;
    size_t delta_shrink = old_len > b->len ? old_len - b->len : 0;
    if (in_func) {
        size_t new_size = hi - lo + delta_grow - delta_shrink;
        uint8_t enc[16];
        size_t before = b->len;
        size_t nl = leb_write(enc, new_size, fbody_at - fsize_at);
        buf_splice(b, fsize_at, fbody_at - fsize_at, enc, nl);
        delta_grow += b->len - before; /* the LEB never shrinks: min_len */
    }
    size_t new_sec = s.end - s.body_at + delta_grow - delta_shrink;
    uint8_t enc[16];
    size_t nl = leb_write(enc, new_sec, s.body_at - s.size_at);
    buf_splice(b, s.size_at, s.body_at - s.size_at, enc, nl);
}

/* One random edit.  `limit` bounds the module's growth. */
static void mutate_once(buf *b, rng *r, size_t limit, mlog *log)
{
    size_t len = b->len;
    size_t at = rng_below(r, len);
    /* Most of a module's bytes are past its header: aim there, but not only. */
    if (len > 8 && !rng_chance(r, 16))
        at = 8 + rng_below(r, len - 8);
    switch (rng_below(r, 17)) {
    case 12:
    case 13:
    case 14:
    case 15:
    case 16:
        mutate_sized(b, r, limit, log);
        break;
    case 0:
        if (len) {
            unsigned bit = (unsigned)rng_below(r, 8);
            mlog_add(log, "flip bit %u @0x%zx", bit, at);
            b->p[at] ^= (uint8_t)(1u << bit);
        }
        break;
    case 1:
        if (len) {
            uint8_t v = (uint8_t)rng_next(r);
            mlog_add(log, "byte @0x%zx %02x -> %02x", at, b->p[at], v);
            b->p[at] = v;
        }
        break;
    case 2:
        if (len) {
            uint8_t v = special_bytes[rng_below(r, sizeof special_bytes)];
            mlog_add(log, "byte @0x%zx %02x -> %02x", at, b->p[at], v);
            b->p[at] = v;
        }
        break;
    case 3: {
        size_t n = 1 + rng_below(r, rng_chance(r, 8) ? 256 : 16);
        if (len + n > limit)
            break;
        mlog_add(log, "insert %zu bytes @0x%zx", n, at);
        buf_splice(b, at, 0, NULL, n);
        bool special = rng_chance(r, 2);
        for (size_t i = 0; i < n; i++)
            b->p[at + i] = special ? special_bytes[rng_below(r, sizeof special_bytes)]
                                   : (uint8_t)rng_next(r);
        break;
    }
    case 4: {
        size_t n = 1 + rng_below(r, rng_chance(r, 8) ? 256 : 16);
        mlog_add(log, "delete %zu bytes @0x%zx", n, at);
        buf_splice(b, at, n, NULL, 0);
        break;
    }
    case 5:
        /* Rarer than the others: a truncated module fails early and says
         * little about the rest of the decoder. */
        if (rng_chance(r, 2)) {
            mlog_add(log, "truncate to 0x%zx", at);
            b->len = at;
        }
        break;
    case 6: {
        /* Duplicate a range, inserting the copy elsewhere. */
        size_t n = 1 + rng_below(r, rng_chance(r, 4) ? 512 : 32);
        if (len == 0 || len + n > limit)
            break;
        if (n > len - at)
            n = len - at;
        size_t to = rng_below(r, len + 1);
        uint8_t tmp[512];
        memcpy(tmp, b->p + at, n);
        mlog_add(log, "duplicate %zu bytes @0x%zx to 0x%zx", n, at, to);
        buf_splice(b, to, 0, tmp, n);
        break;
    }
    case 7:
    case 8:
        if (len && len + 10 <= limit) {
            size_t s, e;
            leb_around(b, at, &s, &e);
            mutate_leb(b, r, s, e, log, "");
        }
        break;
    case 9:
    case 10:
        if (len + 10 <= limit)
            mutate_section(b, r, log);
        break;
    default: {
        /* Overwrite a run with a copy of another part of the module. */
        size_t n = 1 + rng_below(r, 64);
        if (len == 0)
            break;
        size_t from = rng_below(r, len);
        if (n > len - at)
            n = len - at;
        if (n > len - from)
            n = len - from;
        mlog_add(log, "copy %zu bytes 0x%zx -> 0x%zx", n, from, at);
        memmove(b->p + at, b->p + from, n);
        break;
    }
    }
}

static void mutate(buf *b, rng *r, size_t seed_len, mlog *log)
{
    size_t limit = 2 * seed_len + 4096;
    size_t n = 1;
    if (rng_chance(r, 2))
        n = rng_chance(r, 2) ? 2 : 3 + rng_below(r, 6);
    for (size_t i = 0; i < n; i++)
        mutate_once(b, r, limit, log);
}

/* ---- reading an accepted module ------------------------------------------ */

/* What instantiation needs that weft.h does not say: the types of the imports
 * and the sizes of the tables.  Only accepted modules are read, but the reader
 * checks every bound anyway: a bug here must not hide one in the engine. */
typedef struct mtype {
    const uint8_t *params, *results;
    uint32_t nparams, nresults;
} mtype;

typedef struct mlimits {
    uint8_t flags;
    uint64_t min, max;
} mlimits;

typedef struct mimport {
    uint8_t kind;
    uint32_t type;  /* functions */
    uint8_t valtype; /* tables: element type; globals: value type */
    bool mutable_;   /* globals */
    mlimits limits;  /* tables, memories */
} mimport;

typedef struct minfo {
    mtype *types;
    uint32_t ntypes;
    mimport *imports;
    uint32_t nimports;
    uint32_t nexports;
    uint64_t table_elems; /* of every table weft would make (see note_table) */
    size_t start_at, start_end; /* the start section, id byte to end */
    bool has_start;
    bool memory64;
} minfo;

static void minfo_free(minfo *mi)
{
    free(mi->types);
    free(mi->imports);
    memset(mi, 0, sizeof *mi);
}

typedef struct mreader {
    const uint8_t *b;
    size_t at, end;
    bool ok;
} mreader;

static uint64_t mr_leb(mreader *r)
{
    uint64_t v = 0;
    if (r->ok && !leb_read(r->b, r->end, &r->at, &v))
        r->ok = false;
    return r->ok ? v : 0;
}

static uint8_t mr_u8(mreader *r)
{
    if (!r->ok || r->at >= r->end) {
        r->ok = false;
        return 0;
    }
    return r->b[r->at++];
}

static void mr_skip(mreader *r, uint64_t n)
{
    if (!r->ok || n > r->end - r->at)
        r->ok = false;
    else
        r->at += (size_t)n;
}

static void mr_limits(mreader *r, mlimits *l)
{
    l->flags = mr_u8(r);
    l->min = mr_leb(r);
    l->max = l->flags & 1 ? mr_leb(r) : 0;
}

/* A count of items of at least one byte each, checked against what is left. */
static uint32_t mr_count(mreader *r)
{
    uint64_t n = mr_leb(r);
    if (n > r->end - r->at)
        r->ok = false;
    return r->ok ? (uint32_t)n : 0;
}

/* weft refuses tables of more than 10^7 elements at once; smaller ones it
 * allocates and zeroes, which for a few million elements is slower than the
 * rest of a case, so such modules are not instantiated. */
static void note_table(minfo *mi, uint64_t min)
{
    if (min <= 10000000u)
        mi->table_elems += min;
}

static bool read_module(const uint8_t *b, size_t len, minfo *mi)
{
    memset(mi, 0, sizeof *mi);
    mreader r = { b, 8, len, len >= 8 };
    while (r.ok && r.at < r.end) {
        size_t sec_at = r.at;
        uint8_t id = mr_u8(&r);
        uint64_t size = mr_leb(&r);
        if (!r.ok || size > r.end - r.at)
            return false;
        mreader s = { b, r.at, r.at + (size_t)size, true };
        if (id == 8) {
            mi->has_start = true;
            mi->start_at = sec_at;
            mi->start_end = s.end;
        }
        r.at += (size_t)size;
        switch (id) {
        case 1: /* types */
            mi->ntypes = mr_count(&s);
            mi->types = calloc(mi->ntypes ? mi->ntypes : 1, sizeof *mi->types);
            if (!mi->types)
                return false;
            for (uint32_t i = 0; i < mi->ntypes && s.ok; i++) {
                mtype *t = &mi->types[i];
                mr_u8(&s); /* 0x60 */
                t->nparams = mr_count(&s);
                t->params = b + s.at;
                mr_skip(&s, t->nparams);
                t->nresults = mr_count(&s);
                t->results = b + s.at;
                mr_skip(&s, t->nresults);
            }
            break;
        case 2: /* imports */
            mi->nimports = mr_count(&s);
            mi->imports = calloc(mi->nimports ? mi->nimports : 1, sizeof *mi->imports);
            if (!mi->imports)
                return false;
            for (uint32_t i = 0; i < mi->nimports && s.ok; i++) {
                mimport *im = &mi->imports[i];
                mr_skip(&s, mr_leb(&s)); /* module name */
                mr_skip(&s, mr_leb(&s)); /* field name */
                im->kind = mr_u8(&s);
                switch (im->kind) {
                case 0: im->type = (uint32_t)mr_leb(&s); break;
                case 1:
                    im->valtype = mr_u8(&s);
                    mr_limits(&s, &im->limits);
                    note_table(mi, im->limits.min);
                    break;
                case 2:
                    mr_limits(&s, &im->limits);
                    mi->memory64 |= (im->limits.flags & 4) != 0;
                    break;
                case 3:
                    im->valtype = mr_u8(&s);
                    im->mutable_ = mr_u8(&s) == 1;
                    break;
                default: s.ok = false; break;
                }
            }
            break;
        case 4: { /* tables */
            uint32_t n = mr_count(&s);
            for (uint32_t i = 0; i < n && s.ok; i++) {
                mlimits l;
                mr_u8(&s);
                mr_limits(&s, &l);
                note_table(mi, l.min);
            }
            break;
        }
        case 7: mi->nexports = mr_count(&s); break;
        default: break;
        }
        if (!s.ok)
            return false;
    }
    return r.ok;
}

/* ---- dummy imports ----------------------------------------------------------- */

static bool valkind_of(uint8_t t, weft_valkind *out)
{
    switch (t) {
    case 0x7F: *out = WEFT_I32; return true;
    case 0x7E: *out = WEFT_I64; return true;
    case 0x7D: *out = WEFT_F32; return true;
    case 0x7C: *out = WEFT_F64; return true;
    case 0x7B: *out = WEFT_V128; return true;
    case 0x70: *out = WEFT_FUNCREF; return true;
    case 0x6F: *out = WEFT_EXTERNREF; return true;
    default: return false;
    }
}

/* A host function's env: the kinds of its results, to zero them. */
typedef struct host_env {
    uint32_t nresults;
    weft_valkind kinds[];
} host_env;

static weft_status host_zeros(void *env, weft_caller *caller, const weft_val *args,
                              weft_val *results, weft_error *err)
{
    (void)caller, (void)args, (void)err;
    const host_env *h = env;
    for (uint32_t i = 0; i < h->nresults; i++) {
        memset(&results[i], 0, sizeof results[i]);
        results[i].kind = h->kinds[i];
    }
    return WEFT_OK;
}

static void host_env_free(void *env) { free(env); }

static void externs_free(weft_extern *ext, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        switch (ext[i].kind) {
        case WEFT_EXTERN_FUNC: weft_func_free(ext[i].of.func); break;
        case WEFT_EXTERN_TABLE: weft_table_free(ext[i].of.table); break;
        case WEFT_EXTERN_MEMORY: weft_memory_free(ext[i].of.memory); break;
        default: weft_global_free(ext[i].of.global); break;
        }
    }
    free(ext);
}

/* Makes an object of the right type for every import.  Returns false (and
 * *why) when one cannot be made; *made says how many were. */
static bool make_imports(weft_engine *e, weft_module *m, const minfo *mi, weft_extern **out,
                         const char **why)
{
    weft_extern *ext = calloc(mi->nimports ? mi->nimports : 1, sizeof *ext);
    if (!ext) {
        *why = "out of memory";
        return false;
    }
    uint32_t made = 0;
    weft_error err;
    for (; made < mi->nimports; made++) {
        const mimport *im = &mi->imports[made];
        weft_extern *x = &ext[made];
        weft_status st = WEFT_OK;
        switch (im->kind) {
        case 0: {
            if (im->type >= mi->ntypes) {
                *why = "import type out of range";
                goto fail;
            }
            const mtype *t = &mi->types[im->type];
            weft_valkind *kinds = calloc((size_t)t->nparams + t->nresults + 1, sizeof *kinds);
            host_env *h = malloc(sizeof *h + (t->nresults + 1) * sizeof(weft_valkind));
            bool ok = kinds && h;
            for (uint32_t k = 0; ok && k < t->nparams; k++)
                ok = valkind_of(t->params[k], &kinds[k]);
            for (uint32_t k = 0; ok && k < t->nresults; k++)
                ok = valkind_of(t->results[k], &kinds[t->nparams + k]);
            if (!ok) {
                free(kinds);
                free(h);
                *why = "unknown value type in an import";
                goto fail;
            }
            h->nresults = t->nresults;
            memcpy(h->kinds, kinds + t->nparams, t->nresults * sizeof *kinds);
            weft_functype ft = { kinds, t->nparams, kinds + t->nparams, t->nresults };
            x->kind = WEFT_EXTERN_FUNC;
            st = weft_func_new(e, &ft, host_zeros, h, host_env_free, &x->of.func, &err);
            free(kinds);
            if (st != WEFT_OK)
                free(h);
            break;
        }
        case 1: {
            weft_valkind elem;
            if (!valkind_of(im->valtype, &elem)) {
                *why = "unknown table element type";
                goto fail;
            }
            weft_limits l = { im->limits.min, im->limits.max, im->limits.flags & 1, false };
            x->kind = WEFT_EXTERN_TABLE;
            st = weft_table_new(e, elem, &l, NULL, &x->of.table, &err);
            break;
        }
        case 2: {
            weft_limits l;
            if (!weft_module_import_memory_limits(m, made, &l)) {
                *why = "weft_module_import_memory_limits refused a memory import";
                goto fail;
            }
            x->kind = WEFT_EXTERN_MEMORY;
            st = weft_memory_new(e, &l, &x->of.memory, &err);
            break;
        }
        default: {
            weft_valkind kind;
            if (!valkind_of(im->valtype, &kind)) {
                *why = "unknown global type";
                goto fail;
            }
            x->kind = WEFT_EXTERN_GLOBAL;
            st = weft_global_new(e, kind, im->mutable_, NULL, &x->of.global, &err);
            break;
        }
        }
        if (st != WEFT_OK) {
            /* A memory or table too big for this host is not the module's
             * fault; anything else is a bug in the fuzzer or the API. */
            *why = st == WEFT_NOMEM ? "nomem" : "import object refused";
            goto fail;
        }
    }
    *out = ext;
    return true;
fail:
    externs_free(ext, made);
    return false;
}

/* ---- running a case -------------------------------------------------------------- */

typedef struct seed_file {
    char *path;
    uint8_t *bytes;
    size_t len;
    uint64_t iterations;
} seed_file;

/* The engine configurations a case may run under, chosen by its PRNG. */
enum { NCONFIGS = 4, ENGINE_REUSE = 512 };
static const char *const config_names[NCONFIGS] = { "default", "software-bounds", "no-threads",
                                                    "memory64" };

typedef struct fuzz {
    uint64_t seed;
    bool verbose;
    int force_config;  /* --config, or -1 */
    const char *emit;  /* --emit: a folder for every mutant and its verdict */
    FILE *verdicts;
    uint64_t emitted;
    weft_engine *engines[NCONFIGS];
    unsigned engine_uses[NCONFIGS];
    uint64_t passed, failed;
    /* Statistics, to see that the mutations reach past the decoder. */
    uint64_t accepted, malformed, invalid, other_rejects, instantiated, inst_failed, skipped,
        stripped_start;
    buf work;
} fuzz;

/* The case now running, for the crash, sanitizer and timeout reports. */
static char current_case[768];

static weft_engine *engine_for(fuzz *fz, unsigned c)
{
    /* A fresh engine now and then: engines intern every function type they
     * see and keep instances whose instantiation failed half-way. */
    if (fz->engines[c] && fz->engine_uses[c] >= ENGINE_REUSE) {
        weft_engine_free(fz->engines[c]);
        fz->engines[c] = NULL;
    }
    if (!fz->engines[c]) {
        weft_config cfg;
        weft_config_init(&cfg);
        if (c == 1)
            cfg.bounds = WEFT_BOUNDS_SOFTWARE;
        else if (c == 2)
            cfg.features &= ~(uint32_t)WEFT_FEATURE_THREADS;
        else if (c == 3)
            cfg.features |= WEFT_FEATURE_MEMORY64;
        weft_error err;
        if (weft_engine_new(&cfg, &fz->engines[c], &err) != WEFT_OK) {
            fprintf(stderr, "fuzz: cannot make an engine: %s\n", err.message);
            exit(2);
        }
        fz->engine_uses[c] = 0;
    }
    fz->engine_uses[c]++;
    return fz->engines[c];
}

typedef struct case_ctx {
    fuzz *fz;
    const seed_file *sf;
    uint64_t iter;
    const mlog *log;
    size_t size;
    bool failed;
} case_ctx;

static void violation(case_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void violation(case_ctx *c, const char *fmt, ...)
{
    if (!c->failed)
        fprintf(stderr, "FAIL %s (%zu bytes): mutations: %s\n", current_case, c->size,
                c->log->text);
    c->failed = true;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "  ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

/* The checks every failure of the API must pass: its status is `st`, its code
 * belongs to that class, it has a message and an offset inside the module. */
static void check_error(case_ctx *c, const char *call, weft_status st, const weft_error *err,
                        bool needs_offset)
{
    char text[1024];
    size_t n = weft_error_format(err, text, sizeof text);
    if (err->status != st)
        violation(c, "%s returned status %d, the error says %d", call, (int)st, (int)err->status);
    if ((unsigned)err->code >= WEFT_E_COUNT_ || weft_code_status(err->code) != st)
        violation(c, "%s: code %d is not of status %d", call, (int)err->code, (int)st);
    if (n == 0 || text[0] == '\0' || err->message[0] == '\0')
        violation(c, "%s: empty error message", call);
    if (memchr(err->message, '\0', sizeof err->message) == NULL)
        violation(c, "%s: message not NUL-terminated", call);
    if (err->offset != WEFT_NO_OFFSET && err->offset > c->size)
        violation(c, "%s: offset %llu past the end of the module (%zu bytes): %s", call,
                  (unsigned long long)err->offset, c->size, text);
    if (needs_offset && err->offset == WEFT_NO_OFFSET)
        violation(c, "%s: a malformed or invalid module without an offset: %s", call, text);
}

static void instantiate(case_ctx *c, weft_engine *e, weft_module *m, const uint8_t *bytes,
                        size_t len)
{
    fuzz *fz = c->fz;
    minfo mi;
    if (!read_module(bytes, len, &mi)) {
        violation(c, "the engine accepted a module the fuzzer cannot read");
        minfo_free(&mi);
        return;
    }
    if (weft_module_import_count(m) != mi.nimports)
        violation(c, "weft_module_import_count %u, the bytes have %u", weft_module_import_count(m),
                  mi.nimports);
    if (weft_module_export_count(m) != mi.nexports)
        violation(c, "weft_module_export_count %u, the bytes have %u", weft_module_export_count(m),
                  mi.nexports);
    if (c->failed) {
        minfo_free(&mi);
        return;
    }
    for (uint32_t i = 0; i < mi.nimports; i++) {
        weft_import_desc d;
        weft_module_import(m, i, &d);
        if ((unsigned)d.kind != mi.imports[i].kind || !d.module.data || !d.name.data)
            violation(c, "import %u: kind %d, the bytes say %u", i, (int)d.kind,
                      mi.imports[i].kind);
    }
    /* A start function may loop forever, and nothing here may call guest
     * code: instantiate the module without its start section instead, which
     * removing keeps valid. */
    weft_module *stripped = NULL;
    if (mi.has_start) {
        size_t n = len - (mi.start_end - mi.start_at);
        uint8_t *copy = malloc(n);
        if (!copy) {
            fprintf(stderr, "fuzz: out of memory\n");
            exit(2);
        }
        memcpy(copy, bytes, mi.start_at);
        memcpy(copy + mi.start_at, bytes + mi.start_end, len - mi.start_end);
        weft_error err;
        weft_status st = weft_module_new(e, copy, n, &stripped, &err);
        free(copy);
        if (st != WEFT_OK) {
            violation(c, "valid with its start section, not without it: %s", err.message);
            minfo_free(&mi);
            return;
        }
        fz->stripped_start++;
        m = stripped;
    }
    const char *skip = NULL;
    if (mi.memory64)
        skip = "imported memory64"; /* weft_limits cannot ask for one */
    else if (mi.table_elems > (1u << 22))
        skip = "tables of more than 2^22 elements";
    weft_extern *imports = NULL;
    if (!skip && !make_imports(e, m, &mi, &imports, &skip))
        imports = NULL;
    if (skip) {
        fz->skipped++;
        if (fz->verbose)
            printf("instantiation skipped: %s\n", skip);
        weft_module_free(stripped);
        minfo_free(&mi);
        return;
    }
    weft_instance *inst = NULL;
    weft_error err;
    memset(&err, 0, sizeof err);
    weft_status st = weft_instance_new(m, imports, mi.nimports, &inst, &err);
    if (st == WEFT_OK) {
        fz->instantiated++;
        if (fz->verbose)
            printf("instantiated\n");
        uint32_t nex = weft_module_export_count(m);
        for (uint32_t i = 0; i < nex; i++) {
            weft_export_desc d;
            weft_extern x;
            weft_module_export(m, i, &d);
            if (!weft_instance_export(inst, d.name.data, d.name.len, &x))
                violation(c, "export %u not found by its name", i);
            /* A duplicate name is invalid, so the lookup finds this export. */
            else if (x.kind != d.kind || !x.of.func)
                violation(c, "export %u: kind %d (described %d) or a NULL object", i, (int)x.kind,
                          (int)d.kind);
        }
        weft_instance_free(inst);
    } else {
        fz->inst_failed++;
        char text[1024];
        weft_error_format(&err, text, sizeof text);
        if (fz->verbose)
            printf("instantiation failed: %s\n", text);
        check_error(c, "weft_instance_new", st, &err, false);
        /* Segments may trap and big memories may not fit; the imports were
         * made to match, so a linking error is a bug. */
        if (st != WEFT_TRAP && st != WEFT_NOMEM && st != WEFT_UNSUPPORTED)
            violation(c, "weft_instance_new failed with status %d: %s", (int)st, text);
    }
    externs_free(imports, mi.nimports);
    weft_module_free(stripped);
    minfo_free(&mi);
}

static bool run_case(fuzz *fz, const seed_file *sf, uint64_t iter, const char *dump)
{
    snprintf(current_case, sizeof current_case, "--seed %llu --only %s:%llu",
             (unsigned long long)fz->seed, sf->path, (unsigned long long)iter);
    rng r = { case_seed(fz->seed, name_hash(sf->path), iter) };
    unsigned config = (unsigned)rng_below(&r, NCONFIGS);
    if (fz->force_config >= 0)
        config = (unsigned)fz->force_config;
    mlog log = { .len = 0 };
    log.text[0] = '\0';
    buf *b = &fz->work;
    buf_set(b, sf->bytes, sf->len);
    mutate(b, &r, sf->len, &log);
    case_ctx c = { fz, sf, iter, &log, b->len, false };

    if (fz->verbose) {
        printf("case %s\nengine: %s\nmutations: %s\nsize: %zu bytes (seed %zu)\n", current_case,
               config_names[config], log.text, b->len, sf->len);
    }
    if (dump) {
        FILE *f = fopen(dump, "wb");
        if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f) != 0) {
            fprintf(stderr, "fuzz: cannot write %s: %s\n", dump, strerror(errno));
            exit(2);
        }
    }

    weft_engine *e = engine_for(fz, config);
    weft_module *m = NULL;
    weft_error err;
    memset(&err, 0, sizeof err);
    /* The engine copies the bytes; a copy of exactly the right size lets ASan
     * see any read past the end of what the engine was given. */
    uint8_t *exact = malloc(b->len ? b->len : 1);
    if (!exact) {
        fprintf(stderr, "fuzz: out of memory\n");
        exit(2);
    }
    if (b->len)
        memcpy(exact, b->p, b->len);
    weft_status st = weft_module_new(e, exact, b->len, &m, &err);
    char text[1024];
    if (st == WEFT_OK) {
        fz->accepted++;
        if (fz->verbose)
            printf("module: accepted\n");
        if (!m)
            violation(&c, "weft_module_new succeeded without a module");
    } else {
        weft_error_format(&err, text, sizeof text);
        if (fz->verbose)
            printf("module: rejected: %s\n", text);
        if (st == WEFT_MALFORMED)
            fz->malformed++;
        else if (st == WEFT_INVALID)
            fz->invalid++;
        else
            fz->other_rejects++;
        if (st != WEFT_MALFORMED && st != WEFT_INVALID && st != WEFT_NOMEM &&
            st != WEFT_UNSUPPORTED)
            violation(&c, "weft_module_new failed with status %d: %s", (int)st, text);
        check_error(&c, "weft_module_new", st, &err, st == WEFT_MALFORMED || st == WEFT_INVALID);
        if (m)
            violation(&c, "weft_module_new failed but gave a module");
    }

    /* Validation alone must say the same, to the byte. */
    if (fz->verbose || iter % 4 == 0) {
        weft_error verr;
        memset(&verr, 0, sizeof verr);
        weft_status vst = weft_module_validate(e, exact, b->len, &verr);
        if (vst != st || (st != WEFT_OK && (verr.code != err.code || verr.offset != err.offset)))
            violation(&c, "weft_module_validate disagrees: status %d code %d offset %llu, "
                          "weft_module_new: status %d code %d offset %llu",
                      (int)vst, (int)verr.code, (unsigned long long)verr.offset, (int)st,
                      (int)err.code, (unsigned long long)err.offset);
    }

    if (fz->emit) {
        /* For comparisons with other engines: the mutant and weft's verdict. */
        char path[4096];
        snprintf(path, sizeof path, "%s/%llu.wasm", fz->emit, (unsigned long long)fz->emitted);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f) != 0) {
            fprintf(stderr, "fuzz: cannot write %s\n", path);
            exit(2);
        }
        fprintf(fz->verdicts, "%llu %d %s %s\n", (unsigned long long)fz->emitted++, (int)st,
                current_case, st == WEFT_OK ? "ok" : err.message);
    }
    if (st == WEFT_OK && m) {
        instantiate(&c, e, m, exact, b->len);
        weft_module_free(m);
    }
    free(exact);
    if (c.failed)
        fz->failed++;
    else
        fz->passed++;
    return !c.failed;
}

/* ---- crashes and hangs ---------------------------------------------------------------- */

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
    /* Hand the signal to whoever had it before (a sanitizer prints its
     * report): a fault happens again when this returns, anything else is
     * raised again. */
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
        if (fatal_signals[i] == sig)
            sigaction(sig, &previous_action[i], NULL);
    if (sig == SIGABRT)
        raise(sig);
}

/* The sanitizers' runtime calls this before it exits with a report; weak, so
 * that other builds link without it. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static void on_sanitizer_death(void) { report_case("sanitizer report"); }

static void install_reporters(void)
{
    /* Installed before any engine: weft's fault handler passes the faults
     * that are not guest traps on to the handler it found, this one. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER;
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
        sigaction(fatal_signals[i], &sa, &previous_action[i]);
    sa.sa_flags = 0;
    sigaction(SIGALRM, &sa, NULL);
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(on_sanitizer_death);
}

/* ---- seeds and the command line ------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    buf b = { NULL, 0, 0 };
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        buf_reserve(&b, b.len + n);
        memcpy(b.p + b.len, chunk, n);
        b.len += n;
    }
    bool ok = !ferror(f);
    fclose(f);
    if (ok && !b.p)
        buf_reserve(&b, 1); /* an empty seed is a seed too */
    if (!ok) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

typedef struct seeds {
    seed_file *v;
    size_t n, cap;
} seeds;

static void add_seed(seeds *s, const char *path, uint64_t iterations)
{
    size_t len = 0;
    uint8_t *bytes = read_file(path, &len);
    if (!bytes) {
        fprintf(stderr, "fuzz: cannot read %s\n", path);
        exit(2);
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v)
            exit(2);
    }
    s->v[s->n++] = (seed_file){ strdup(path), bytes, len, iterations };
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A folder's *.wasm files, in name order.  A folder that does not exist adds
 * nothing: the guest programs are only built where their toolchain is. */
static void add_seed_dir(seeds *s, const char *dir, uint64_t iterations)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "fuzz: no folder %s, skipped\n", dir);
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        size_t l = strlen(ent->d_name);
        if (l < 6 || strcmp(ent->d_name + l - 5, ".wasm") != 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            names = realloc(names, cap * sizeof *names);
            if (!names)
                exit(2);
        }
        size_t pl = strlen(dir) + l + 2;
        names[n] = malloc(pl);
        if (!names[n])
            exit(2);
        snprintf(names[n++], pl, "%s/%s", dir, ent->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        add_seed(s, names[i], iterations);
        free(names[i]);
    }
    free(names);
}

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

static void usage(void)
{
    fprintf(stderr,
            "usage: fuzz_modules [--seed S] [--iterations N] [--case-timeout SECS]\n"
            "                    [--config 0-3] [--emit DIR] SEED...\n"
            "       fuzz_modules [--seed S] [--config 0-3] --only FILE:ITER [--dump OUT.wasm]\n"
            "SEED is a .wasm file or a folder of them; --iterations applies to the seeds\n"
            "after it; WEFT_FUZZ_SCALE in the environment multiplies every count.\n"
            "--config forces one engine configuration (0 default, 1 software bounds,\n"
            "2 threads off, 3 memory64); --emit writes every mutant to DIR/N.wasm and\n"
            "weft's verdicts to DIR/weft.txt, for comparing with other engines.\n");
    exit(2);
}

int main(int argc, char **argv)
{
    fuzz fz;
    memset(&fz, 0, sizeof fz);
    fz.force_config = -1;
    seeds s = { NULL, 0, 0 };
    uint64_t iterations = 1000;
    unsigned timeout = 60;
    const char *only = NULL, *dump = NULL;
    double scale = 1.0;
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
            iterations = (uint64_t)((double)parse_u64(argv[++i], "iteration count") * scale);
        } else if (strcmp(a, "--case-timeout") == 0 && has_value) {
            timeout = (unsigned)parse_u64(argv[++i], "timeout");
        } else if (strcmp(a, "--only") == 0 && has_value) {
            only = argv[++i];
        } else if (strcmp(a, "--dump") == 0 && has_value) {
            dump = argv[++i];
        } else if (strcmp(a, "--config") == 0 && has_value) {
            fz.force_config = (int)parse_u64(argv[++i], "config");
            if (fz.force_config >= NCONFIGS)
                usage();
        } else if (strcmp(a, "--emit") == 0 && has_value) {
            fz.emit = argv[++i];
        } else if (a[0] == '-') {
            usage();
        } else {
            struct stat stbuf;
            if (stat(a, &stbuf) == 0 && S_ISDIR(stbuf.st_mode))
                add_seed_dir(&s, a, iterations);
            else
                add_seed(&s, a, iterations);
        }
    }
    install_reporters();

    if (only) {
        const char *colon = strrchr(only, ':');
        if (!colon || colon == only)
            usage();
        char *path = strndup(only, (size_t)(colon - only));
        uint64_t iter = parse_u64(colon + 1, "iteration");
        seeds one = { NULL, 0, 0 };
        add_seed(&one, path, 1);
        fz.verbose = true;
        bool ok = run_case(&fz, &one.v[0], iter, dump);
        printf("fuzz: %s\n", ok ? "behaved" : "VIOLATION");
        return ok ? 0 : 1;
    }
    if (s.n == 0)
        usage();
    if (fz.emit) {
        char path[4096];
        snprintf(path, sizeof path, "%s/weft.txt", fz.emit);
        fz.verdicts = fopen(path, "w");
        if (!fz.verdicts) {
            fprintf(stderr, "fuzz: cannot write %s\n", path);
            return 2;
        }
    }

    for (size_t f = 0; f < s.n; f++) {
        for (uint64_t it = 0; it < s.v[f].iterations; it++) {
            alarm(timeout);
            run_case(&fz, &s.v[f], it, NULL);
        }
    }
    alarm(0);
    if (fz.verdicts)
        fclose(fz.verdicts);
    for (unsigned c = 0; c < NCONFIGS; c++)
        weft_engine_free(fz.engines[c]);
    printf("fuzz-stats: %zu seeds; accepted %llu (%llu without their start function; "
           "instantiated %llu, failed %llu, skipped %llu); rejected: malformed %llu, "
           "invalid %llu, other %llu\n",
           s.n, (unsigned long long)fz.accepted, (unsigned long long)fz.stripped_start,
           (unsigned long long)fz.instantiated, (unsigned long long)fz.inst_failed,
           (unsigned long long)fz.skipped, (unsigned long long)fz.malformed,
           (unsigned long long)fz.invalid, (unsigned long long)fz.other_rejects);
    printf("fuzz: %llu passed, %llu failed\n", (unsigned long long)fz.passed,
           (unsigned long long)fz.failed);
    for (size_t f = 0; f < s.n; f++) {
        free(s.v[f].path);
        free(s.v[f].bytes);
    }
    free(s.v);
    free(fz.work.p);
    return fz.failed ? 1 : 0;
}

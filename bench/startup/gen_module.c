/*
 * gen_module.c -- writes a large, deterministic WebAssembly module shaped like
 * a language runtime compiled to wasm32 (the size of a Ruby interpreter
 * build): by default 18,000 functions in about 30 MB, most of them small, some
 * of thousands of instructions, one huge "interpreter loop".  It is the input
 * of the startup benchmark (startup_main.c), generated at bench time into the
 * build folder, never committed.
 *
 * What is in it, as compilers emit it: types of 0-5 params of i32/i64/f32/f64;
 * locals of every type; arithmetic, comparisons, conversions; loads and
 * stores of every width with memargs; nested blocks, counted loops, if/else,
 * br_if, switches as br_table; direct calls and call_indirect through a
 * funcref table filled by element segments; mutable and constant globals;
 * memory.copy/fill; a few MB of data segments; a name section naming every
 * function; exports of `run` (calls a few hundred functions, returns an i64
 * checksum), `small` (a trivial function) and a few hundred more.
 *
 * Every function can run: a prologue spends one unit of a global fuel counter
 * and bounds the call depth, loops count down a dedicated local, addresses are
 * masked into the first 8 MiB of a 16 MiB memory, divisors are made non-zero
 * and call_indirect indexes only table slots of the right type.  So `run`
 * cannot trap.  Floats are stored with any NaN made canonical (engines may
 * differ in a NaN's bits), so its result is the same in every correct engine.
 *
 * usage: gen_module OUT.wasm [seed [nfuncs [stop]]]
 * (stop: run returns after its first `stop` calls, to find which one an
 * engine gets wrong; the module is otherwise the same.)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- bytes ----------------------------------------------------------------- */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void reserve(buf *b, size_t more)
{
    if (b->n + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more)
        cap *= 2;
    b->p = realloc(b->p, cap);
    if (!b->p) {
        fprintf(stderr, "gen_module: out of memory\n");
        exit(1);
    }
    b->cap = cap;
}

static void put(buf *b, uint8_t x)
{
    reserve(b, 1);
    b->p[b->n++] = x;
}

static void put_bytes(buf *b, const void *s, size_t n)
{
    reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void uleb(buf *b, uint64_t v)
{
    do {
        uint8_t byte = v & 0x7F;
        v >>= 7;
        put(b, byte | (v ? 0x80 : 0));
    } while (v);
}

static void sleb(buf *b, int64_t v)
{
    for (;;) {
        uint8_t byte = v & 0x7F;
        v >>= 7; /* arithmetic shift on every compiler we build with */
        bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        put(b, byte | (done ? 0 : 0x80));
        if (done)
            return;
    }
}

static void put_name(buf *b, const char *s)
{
    uleb(b, strlen(s));
    put_bytes(b, s, strlen(s));
}

/* A section: id, size, contents. */
static void section(buf *out, uint8_t id, const buf *contents)
{
    put(out, id);
    uleb(out, contents->n);
    put_bytes(out, contents->p, contents->n);
}

/* ---- randomness (xorshift64*, seeded: the module is a function of the seed) -- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint32_t below(uint32_t n) { return n ? (uint32_t)(rnd() % n) : 0; }
static uint32_t range(uint32_t lo, uint32_t hi) { return lo + below(hi - lo + 1); }
static bool chance(unsigned percent) { return below(100) < percent; }

/* ---- the module's shape ------------------------------------------------------ */

enum { I32 = 0x7F, I64 = 0x7E, F32 = 0x7D, F64 = 0x7C };
static const uint8_t vts[4] = { I32, I64, F32, F64 };
static int vt_index(uint8_t t) { return t == I32 ? 0 : t == I64 ? 1 : t == F32 ? 2 : 3; }

#define NTYPES 48
#define NINDIRECT 8        /* types reachable through call_indirect        */
#define REGION 512         /* table slots per indirect type (power of two) */
#define ADDR_MASK 0x7FFFF8 /* addresses stay in the first 8 MiB, 8-aligned */
#define MAX_DEPTH 40       /* call depth the prologue allows               */
#define FUEL 48            /* calls each of run's calls may make           */

enum { G_FUEL, G_DEPTH, G_SP, G_MUT0, NGLOBALS_MUT = 10, NGLOBALS = 16 };
static const uint8_t global_types[NGLOBALS] = {
    I32, I32, I32, I32, I32, I64, I64, F64, F64, I32, /* mutable  */
    I32, I32, I64, F64, I32, I32,                     /* constant */
};

typedef struct ftype {
    uint8_t np, nr;
    uint8_t p[5], r;
} ftype;

static ftype types[NTYPES];
static uint32_t nfuncs;
static uint32_t *func_type;    /* type of every function                 */
static uint32_t *by_result[5]; /* functions returning i32..f64, or nothing */
static uint32_t nby_result[5];
enum { FIRST_GEN = 2 };        /* 0 = small, 1 = run, then generated ones */

static uint8_t pick_vt(void)
{
    uint32_t x = below(100);
    return x < 68 ? I32 : x < 84 ? I64 : x < 94 ? F64 : F32;
}

static void make_types(void)
{
    types[0] = (ftype){ .np = 0, .nr = 1, .r = I32 }; /* small */
    types[1] = (ftype){ .np = 0, .nr = 1, .r = I64 }; /* run   */
    for (int i = 2; i < NTYPES; i++) {
        ftype *t = &types[i];
        t->np = (uint8_t)(chance(10) ? 0 : chance(60) ? range(1, 2) : range(3, 5));
        for (int k = 0; k < t->np; k++)
            t->p[k] = pick_vt();
        t->nr = chance(72) ? 1 : 0;
        t->r = t->nr ? pick_vt() : 0;
    }
}

/* Result class of a type: 0..3 for i32..f64, 4 for none. */
static int result_class(const ftype *t) { return t->nr ? vt_index(t->r) : 4; }

/* ---- function bodies ------------------------------------------------------ */

enum { L_BLOCK, L_LOOP, L_IF, L_BODY, L_VALUE };

typedef struct fn {
    buf *b;
    const ftype *t;
    uint32_t nparams;
    uint32_t locals[4][48]; /* local indices by type, loop counters excluded */
    uint32_t nlocals[4];
    uint32_t counters;      /* first of 4 loop counter locals (i32) */
    int loops;              /* open loops */
    uint8_t labels[512];
    int nlabels;
    int nest;               /* statement nesting */
    size_t budget;          /* body bytes wanted */
} fn;

static void op(fn *f, uint8_t x) { put(f->b, x); }
static void op_u(fn *f, uint8_t x, uint64_t imm) { put(f->b, x); uleb(f->b, imm); }
static void fc(fn *f, uint32_t code) { put(f->b, 0xFC); uleb(f->b, code); }

static void push_label(fn *f, uint8_t kind) { f->labels[f->nlabels++] = kind; }
static void pop_label(fn *f) { f->nlabels--; }
/* Relative depth of the label at position i of the stack. */
static uint32_t rel(const fn *f, int i) { return (uint32_t)(f->nlabels - 1 - i); }

static void expr(fn *f, uint8_t t, int d);
static void stmts(fn *f, int n);

static void const_of(fn *f, uint8_t t)
{
    switch (t) {
    case I32: op(f, 0x41); sleb(f->b, chance(70) ? (int32_t)range(0, 64) - 8 : (int32_t)rnd()); break;
    case I64: op(f, 0x42); sleb(f->b, chance(70) ? (int64_t)range(0, 1000) : (int64_t)rnd()); break;
    case F32: {
        float v = (float)range(0, 20000) / 16.0f - 100.0f;
        op(f, 0x43);
        put_bytes(f->b, &v, 4);
        break;
    }
    default: {
        double v = (double)range(0, 2000000) / 64.0 - 1000.0;
        op(f, 0x44);
        put_bytes(f->b, &v, 8);
        break;
    }
    }
}

static void local_get(fn *f, uint8_t t)
{
    int k = vt_index(t);
    if (f->nlocals[k] == 0) {
        const_of(f, t);
        return;
    }
    op_u(f, 0x20, f->locals[k][below(f->nlocals[k])]);
}

/* A masked, aligned address: what clang's pointer arithmetic looks like,
 * plus the `and` that keeps every access inside memory. */
static void address(fn *f, int d)
{
    if (chance(60))
        local_get(f, I32);
    else
        expr(f, I32, d + 1);
    op(f, 0x41);
    sleb(f->b, ADDR_MASK);
    op(f, 0x71);
}

static void memarg(fn *f, uint32_t align_log2)
{
    uleb(f->b, align_log2);
    uleb(f->b, chance(50) ? 0 : (uint64_t)range(0, 255) * 8);
}

static void load(fn *f, uint8_t t, int d)
{
    address(f, d);
    switch (t) {
    case I32: {
        static const uint8_t ops[] = { 0x28, 0x28, 0x28, 0x2C, 0x2D, 0x2E, 0x2F };
        static const uint8_t al[] = { 2, 2, 2, 0, 0, 1, 1 };
        uint32_t i = below(sizeof ops);
        op(f, ops[i]);
        memarg(f, al[i]);
        break;
    }
    case I64: {
        static const uint8_t ops[] = { 0x29, 0x29, 0x31, 0x35 };
        static const uint8_t al[] = { 3, 3, 0, 2 };
        uint32_t i = below(sizeof ops);
        op(f, ops[i]);
        memarg(f, al[i]);
        break;
    }
    case F32: op(f, 0x2A); memarg(f, 2); break;
    default: op(f, 0x2B); memarg(f, 3); break;
    }
}

static void call_args(fn *f, const ftype *t, int d)
{
    for (int i = 0; i < t->np; i++)
        expr(f, t->p[i], d + 1);
}

/* A direct call or call_indirect of a function of result class rc. */
static void call_of(fn *f, int rc, int d)
{
    if (nby_result[rc] == 0) { /* no such function: a constant instead */
        if (rc < 4)
            const_of(f, vts[rc]);
        return;
    }
    if (chance(20)) {
        /* Indirect: slot = region base + (i32 & (REGION-1)); only indirect
         * types have regions, so pick one of them with that result. */
        for (int tries = 0; tries < 8; tries++) {
            uint32_t ty = 2 + below(NINDIRECT);
            if (result_class(&types[ty]) != rc)
                continue;
            call_args(f, &types[ty], d);
            expr(f, I32, d + 1);
            op(f, 0x41);
            sleb(f->b, REGION - 1);
            op(f, 0x71);
            op(f, 0x41);
            sleb(f->b, (int64_t)(ty - 2) * REGION);
            op(f, 0x6A);
            op_u(f, 0x11, ty);
            uleb(f->b, 0);
            return;
        }
    }
    uint32_t callee = by_result[rc][below(nby_result[rc])];
    call_args(f, &types[func_type[callee]], d);
    op_u(f, 0x10, callee);
}

static void expr_i32(fn *f, int d)
{
    static const uint8_t bin[] = { 0x6A, 0x6A, 0x6A, 0x6B, 0x6C, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77 };
    switch (below(16)) {
    case 0: case 1: case 2:
        expr(f, I32, d + 1);
        expr(f, I32, d + 1);
        op(f, bin[below(sizeof bin)]);
        break;
    case 3: /* comparison of any type */ {
        uint8_t t = pick_vt();
        expr(f, t, d + 1);
        expr(f, t, d + 1);
        switch (t) {
        case I32: op(f, (uint8_t)range(0x46, 0x4F)); break;
        case I64: op(f, (uint8_t)range(0x51, 0x5A)); break;
        case F32: op(f, (uint8_t)range(0x5B, 0x60)); break;
        default: op(f, (uint8_t)range(0x61, 0x66)); break;
        }
        break;
    }
    case 4: case 5:
        load(f, I32, d);
        break;
    case 6: /* unsigned division by an odd divisor, signed by a positive one */
        expr(f, I32, d + 1);
        expr(f, I32, d + 1);
        if (chance(50)) {
            op(f, 0x41); sleb(f->b, 1); op(f, 0x72);
            op(f, chance(50) ? 0x6E : 0x70);
        } else {
            op(f, 0x41); sleb(f->b, 0x7FFF); op(f, 0x71);
            op(f, 0x41); sleb(f->b, 1); op(f, 0x72);
            op(f, chance(50) ? 0x6D : 0x6F);
        }
        break;
    case 7:
        expr(f, I32, d + 1);
        op(f, (uint8_t)(chance(50) ? 0x45 : range(0x67, 0x69)));
        break;
    case 8:
        expr(f, I64, d + 1);
        op(f, chance(70) ? 0xA7 : 0x50);
        break;
    case 9:
        if (chance(50)) {
            expr(f, F64, d + 1);
            fc(f, 2); /* i32.trunc_sat_f64_s */
        } else {
            expr(f, I32, d + 1);
            op(f, (uint8_t)range(0xC0, 0xC1));
        }
        break;
    case 10:
        call_of(f, 0, d);
        break;
    case 11:
        expr(f, I32, d + 1);
        expr(f, I32, d + 1);
        expr(f, I32, d + 1);
        op(f, 0x1B); /* select */
        break;
    case 12:
        expr(f, I32, d + 1);
        if (f->nlocals[0]) {
            op_u(f, 0x22, f->locals[0][below(f->nlocals[0])]);
        }
        break;
    case 13: {
        static const uint8_t i32_globals[] = { G_SP, G_SP, 3, 4, 9, 10, 11, 14, 15 };
        op_u(f, 0x23, i32_globals[below(sizeof i32_globals)]);
        break;
    }
    default:
        local_get(f, I32);
        break;
    }
}

static void expr_i64(fn *f, int d)
{
    static const uint8_t bin[] = { 0x7C, 0x7C, 0x7D, 0x7E, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89 };
    switch (below(12)) {
    case 0: case 1: case 2:
        expr(f, I64, d + 1);
        expr(f, I64, d + 1);
        op(f, bin[below(sizeof bin)]);
        break;
    case 3: case 4:
        load(f, I64, d);
        break;
    case 5:
        expr(f, I32, d + 1);
        op(f, chance(50) ? 0xAC : 0xAD);
        break;
    case 6:
        expr(f, I64, d + 1);
        expr(f, I64, d + 1);
        op(f, 0x42); sleb(f->b, 1); op(f, 0x84);
        op(f, chance(50) ? 0x80 : 0x82); /* div_u / rem_u */
        break;
    case 7:
        expr(f, F64, d + 1);
        fc(f, 6); /* i64.trunc_sat_f64_s */
        break;
    case 8:
        call_of(f, 1, d);
        break;
    default:
        local_get(f, I64);
        break;
    }
}

static void expr_float(fn *f, uint8_t t, int d)
{
    bool dbl = t == F64;
    switch (below(10)) {
    case 0: case 1: case 2:
        expr(f, t, d + 1);
        expr(f, t, d + 1);
        op(f, (uint8_t)range(dbl ? 0xA0 : 0x92, dbl ? 0xA5 : 0x97));
        break;
    case 3:
        expr(f, t, d + 1);
        op(f, (uint8_t)range(dbl ? 0x99 : 0x8B, dbl ? 0x9F : 0x91));
        break;
    case 4: case 5:
        load(f, t, d);
        break;
    case 6:
        if (chance(50)) {
            expr(f, I32, d + 1);
            op(f, dbl ? 0xB7 : 0xB2);
        } else {
            expr(f, dbl ? F32 : F64, d + 1);
            op(f, dbl ? 0xBB : 0xB6);
        }
        break;
    case 7:
        call_of(f, vt_index(t), d);
        break;
    default:
        local_get(f, t);
        break;
    }
}

/* Leaves one value of type t.  Deeper expressions get ever likelier leaves. */
static void expr(fn *f, uint8_t t, int d)
{
    if (d >= 5 || chance((unsigned)(25 + d * 15))) {
        if (chance(75))
            local_get(f, t);
        else
            const_of(f, t);
        return;
    }
    switch (t) {
    case I32: expr_i32(f, d); break;
    case I64: expr_i64(f, d); break;
    default: expr_float(f, t, d); break;
    }
}

/* br to any label a statement may leave by: blocks and ifs (exit), loops
 * (continue: the counter is decremented at the top, so this terminates). */
static bool branch_target(fn *f, uint32_t *depth)
{
    for (int tries = 0; tries < 4; tries++) {
        int i = (int)below((uint32_t)f->nlabels);
        if (f->labels[i] == L_BLOCK || f->labels[i] == L_LOOP || f->labels[i] == L_IF) {
            *depth = rel(f, i);
            return true;
        }
    }
    return false;
}

/* A float about to be stored, with a NaN replaced by the canonical one.  The
 * spec lets engines differ in the bits of a NaN result (sign and payload:
 * weft's f64.min returns the input NaN, V8's a canonical one, wabt's always
 * the positive canonical one), and bytes in memory are read back as integers,
 * so storing a NaN as it came would make run's checksum engine-dependent.
 * Keeps the value in a local of type t; with none, stores a constant. */
static void float_value(fn *f, uint8_t t)
{
    int k = vt_index(t);
    if (f->nlocals[k] == 0) {
        const_of(f, t);
        return;
    }
    uint32_t tmp = f->locals[k][0];
    expr(f, t, 1);
    op_u(f, 0x22, tmp); /* local.tee */
    if (t == F32) {
        op(f, 0x43);
        put_bytes(f->b, "\0\0\xC0\x7F", 4); /* 0x7FC00000 */
    } else {
        op(f, 0x44);
        put_bytes(f->b, "\0\0\0\0\0\0\xF8\x7F", 8); /* 0x7FF8000000000000 */
    }
    op_u(f, 0x20, tmp);
    op_u(f, 0x20, tmp);
    op(f, t == F32 ? 0x5B : 0x61); /* eq: false for a NaN only */
    op(f, 0x1B);                   /* select: the value, or the canonical NaN */
}

static void stmt_store(fn *f)
{
    uint8_t t = pick_vt();
    address(f, 1);
    if (t == F32 || t == F64)
        float_value(f, t);
    else
        expr(f, t, 1);
    switch (t) {
    case I32: {
        static const uint8_t ops[] = { 0x36, 0x36, 0x3A, 0x3B };
        static const uint8_t al[] = { 2, 2, 0, 1 };
        uint32_t i = below(4);
        op(f, ops[i]);
        memarg(f, al[i]);
        break;
    }
    case I64:
        if (chance(75)) {
            op(f, 0x37);
            memarg(f, 3);
        } else {
            op(f, 0x3E);
            memarg(f, 2);
        }
        break;
    case F32: op(f, 0x38); memarg(f, 2); break;
    default: op(f, 0x39); memarg(f, 3); break;
    }
}

static void stmt_loop(fn *f)
{
    uint32_t c = f->counters + (uint32_t)f->loops;
    op(f, 0x41);
    sleb(f->b, range(1, 4));
    op_u(f, 0x21, c);
    op(f, 0x02); op(f, 0x40); push_label(f, L_BLOCK);
    op(f, 0x03); op(f, 0x40); push_label(f, L_LOOP);
    f->loops++;
    op_u(f, 0x20, c); op(f, 0x45); op_u(f, 0x0D, 1);
    op_u(f, 0x20, c); op(f, 0x41); sleb(f->b, 1); op(f, 0x6B); op_u(f, 0x21, c);
    stmts(f, (int)range(1, 5));
    op_u(f, 0x0C, 0);
    f->loops--;
    op(f, 0x0B); pop_label(f);
    op(f, 0x0B); pop_label(f);
}

/* A switch: k+1 nested blocks, br_table at the innermost, case code after
 * each block's end, each case leaving for the exit or falling through. */
static void stmt_switch(fn *f)
{
    uint32_t k = range(2, 9);
    int exit_at = f->nlabels;
    op(f, 0x02); op(f, 0x40); push_label(f, L_BLOCK);
    for (uint32_t i = 0; i < k; i++) {
        op(f, 0x02); op(f, 0x40); push_label(f, L_BLOCK);
    }
    expr(f, I32, 2);
    uint32_t n = range(k, 3 * k);
    op_u(f, 0x0E, n);
    for (uint32_t i = 0; i < n; i++)
        uleb(f->b, below(k + 1));
    uleb(f->b, k);
    for (uint32_t i = 0; i < k; i++) {
        op(f, 0x0B); pop_label(f);
        stmts(f, (int)range(0, 3));
        if (chance(80))
            op_u(f, 0x0C, rel(f, exit_at));
    }
    op(f, 0x0B); pop_label(f);
}

static void stmt(fn *f)
{
    uint32_t depth;
    bool deep = f->nest >= 4 || f->nlabels > 400;
    switch (below(deep ? 5 : 11)) {
    case 0: case 1: { /* local.set */
        uint8_t t = pick_vt();
        int k = vt_index(t);
        if (f->nlocals[k] == 0)
            t = I32, k = 0;
        expr(f, t, 0);
        op_u(f, 0x21, f->locals[k][below(f->nlocals[k])]);
        break;
    }
    case 2:
        stmt_store(f);
        break;
    case 3: { /* a call whose result, if any, is dropped or kept */
        int rc = (int)below(5);
        call_of(f, rc, 1);
        if (rc < 4) {
            if (f->nlocals[rc] && chance(60))
                op_u(f, 0x21, f->locals[rc][below(f->nlocals[rc])]);
            else
                op(f, 0x1A);
        }
        break;
    }
    case 4:
        if (chance(50) && branch_target(f, &depth)) {
            expr(f, I32, 1);
            op_u(f, 0x0D, depth);
        } else if (chance(30)) {
            uint32_t g = range(G_MUT0, NGLOBALS_MUT - 1);
            expr(f, global_types[g], 1);
            op_u(f, 0x24, g);
        } else {
            /* memory.copy / memory.fill of a small constant length */
            address(f, 1);
            if (chance(50)) {
                address(f, 1);
                op(f, 0x41); sleb(f->b, range(1, 256));
                fc(f, 10); put(f->b, 0); put(f->b, 0);
            } else {
                expr(f, I32, 2);
                op(f, 0x41); sleb(f->b, range(1, 256));
                fc(f, 11); put(f->b, 0);
            }
        }
        break;
    case 5: /* if / else */
        expr(f, I32, 1);
        op(f, 0x04); op(f, 0x40); push_label(f, L_IF);
        f->nest++;
        stmts(f, (int)range(1, 4));
        if (chance(40)) {
            op(f, 0x05);
            stmts(f, (int)range(1, 4));
        }
        f->nest--;
        op(f, 0x0B); pop_label(f);
        break;
    case 6: /* block left early by br_if */
        op(f, 0x02); op(f, 0x40); push_label(f, L_BLOCK);
        f->nest++;
        stmts(f, (int)range(0, 3));
        expr(f, I32, 1);
        op_u(f, 0x0D, 0);
        stmts(f, (int)range(1, 3));
        f->nest--;
        op(f, 0x0B); pop_label(f);
        break;
    case 7:
        if (f->loops < 4) {
            f->nest++;
            stmt_loop(f);
            f->nest--;
        }
        break;
    case 8:
        f->nest++;
        stmt_switch(f);
        f->nest--;
        break;
    case 9: { /* early return: a value for the body block, then br to it */
        expr(f, I32, 1);
        op(f, 0x04); op(f, 0x40); push_label(f, L_IF);
        if (f->t->nr)
            expr(f, f->t->r, 1);
        op_u(f, 0x0C, rel(f, 0));
        op(f, 0x0B); pop_label(f);
        break;
    }
    default: { /* a value block: block (result t) ... end, stored */
        uint8_t t = pick_vt();
        int k = vt_index(t);
        if (f->nlocals[k] == 0)
            break;
        op(f, 0x02); op(f, t); push_label(f, L_VALUE);
        f->nest++;
        stmts(f, (int)range(0, 2));
        expr(f, t, 1);
        f->nest--;
        op(f, 0x0B); pop_label(f);
        op_u(f, 0x21, f->locals[k][below(f->nlocals[k])]);
        break;
    }
    }
}

static void stmts(fn *f, int n)
{
    for (int i = 0; i < n && f->b->n < f->budget; i++)
        stmt(f);
}

/* One generated function's code entry (size, locals, body). */
static void gen_function(buf *code, uint32_t idx, size_t target)
{
    const ftype *t = &types[func_type[idx]];
    buf body = { 0 };
    fn f = { .b = &body, .t = t, .nparams = t->np };
    for (int i = 0; i < t->np; i++) {
        int k = vt_index(t->p[i]);
        f.locals[k][f.nlocals[k]++] = (uint32_t)i;
    }
    /* Locals: 4 loop counters, then groups of each type. */
    uint32_t counts[4] = { 4 + range(1, 12), range(0, 4), range(0, 2), range(0, 4) };
    uint32_t next = t->np;
    f.counters = next;
    next += 4;
    uleb(&body, 4);
    for (int k = 0; k < 4; k++) {
        uleb(&body, counts[k]);
        put(&body, vts[k]);
        for (uint32_t j = (k == 0 ? 4 : 0); j < counts[k]; j++)
            f.locals[k][f.nlocals[k]++] = next++;
    }
    f.budget = body.n + target;
    /* Prologue: out of fuel or too deep, return a constant at once. */
    op_u(&f, 0x23, G_DEPTH); op(&f, 0x41); sleb(&body, MAX_DEPTH); op(&f, 0x4B);
    op_u(&f, 0x23, G_FUEL); op(&f, 0x45); op(&f, 0x72);
    op(&f, 0x04); op(&f, 0x40);
    if (t->nr)
        const_of(&f, t->r);
    op(&f, 0x0F);
    op(&f, 0x0B);
    op_u(&f, 0x23, G_FUEL); op(&f, 0x41); sleb(&body, 1); op(&f, 0x6B); op_u(&f, 0x24, G_FUEL);
    op_u(&f, 0x23, G_DEPTH); op(&f, 0x41); sleb(&body, 1); op(&f, 0x6A); op_u(&f, 0x24, G_DEPTH);
    /* The body block: early returns branch here with the result. */
    op(&f, 0x02); op(&f, t->nr ? t->r : 0x40); push_label(&f, L_BODY);
    while (body.n < f.budget)
        stmts(&f, 8);
    if (t->nr)
        expr(&f, t->r, 0);
    op(&f, 0x0B); pop_label(&f);
    op_u(&f, 0x23, G_DEPTH); op(&f, 0x41); sleb(&body, 1); op(&f, 0x6B); op_u(&f, 0x24, G_DEPTH);
    op(&f, 0x0B);
    uleb(code, body.n);
    put_bytes(code, body.p, body.n);
    free(body.p);
}

/* Body size wanted: most functions small, a tail of large ones, and one
 * interpreter loop of a few hundred KB. */
static size_t pick_size(uint32_t idx, uint32_t n)
{
    if (idx == FIRST_GEN + n / 3)
        return 400000;
    uint32_t x = below(1000);
    if (x < 600)
        return range(20, 300);
    if (x < 900)
        return range(300, 2500);
    if (x < 990)
        return range(2500, 12000);
    return range(12000, 60000);
}

/* run: resets fuel and depth, calls a few hundred functions with constant
 * arguments, and mixes their results into an i64. */
#define RUN_CALLS 300
static uint32_t run_stop = RUN_CALLS; /* debugging: return after this many calls */

static void gen_run(buf *code)
{
    buf body = { 0 };
    fn f = { .b = &body };
    uleb(&body, 1);
    uleb(&body, 1);
    put(&body, I64); /* local 0: the checksum */
    for (int i = 0; i < RUN_CALLS; i++) {
        uint32_t callee = FIRST_GEN + below(nfuncs - FIRST_GEN);
        const ftype *t = &types[func_type[callee]];
        op(&f, 0x41); sleb(&body, FUEL); op_u(&f, 0x24, G_FUEL);
        op(&f, 0x41); sleb(&body, 0); op_u(&f, 0x24, G_DEPTH);
        for (int k = 0; k < t->np; k++)
            const_of(&f, t->p[k]);
        op_u(&f, 0x10, callee);
        if (t->nr) {
            switch (t->r) {
            case I32: op(&f, 0xAD); break;
            case I64: break;
            case F32: op(&f, 0xBB); fc(&f, 6); break;
            default: fc(&f, 6); break;
            }
            op_u(&f, 0x20, 0);
            op(&f, 0x42); sleb(&body, 5); op(&f, 0x89); /* rotl */
            op(&f, 0x85);                               /* xor  */
            op_u(&f, 0x21, 0);
        }
        if (run_stop < RUN_CALLS && (uint32_t)i + 1 == run_stop) {
            op_u(&f, 0x20, 0);
            op(&f, 0x0F);
        }
    }
    op_u(&f, 0x20, 0);
    op(&f, 0x0B);
    uleb(code, body.n);
    put_bytes(code, body.p, body.n);
    free(body.p);
}

static const char *const words[] = {
    "rb", "str", "ary", "hash", "obj", "vm", "gc", "io", "sym", "proc", "iseq", "enc", "num",
    "big", "flo", "class", "method", "call", "eval", "parse", "node", "compile", "mark",
    "sweep", "alloc", "free", "get", "set", "new", "init", "each", "map", "hash_aref",
    "lookup", "cache", "frame", "env", "block", "yield", "raise", "ensure", "load", "require",
};

static void func_name(char *out, size_t size, uint32_t idx)
{
    /* One draw per statement: argument evaluation order is unspecified, and
     * the module must be the same whatever compiler built this program. */
    uint32_t nw = (uint32_t)(sizeof words / sizeof *words);
    const char *a = words[below(nw)];
    const char *b = words[below(nw)];
    const char *c = words[below(nw)];
    snprintf(out, size, "%s_%s_%s_%u", a, b, c, idx);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: gen_module OUT.wasm [seed [nfuncs [stop]]]\n");
        return 2;
    }
    rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x5EED;
    if (rng_state == 0)
        rng_state = 1;
    nfuncs = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : 18000;
    if (nfuncs < 16)
        nfuncs = 16;
    if (argc > 4)
        run_stop = (uint32_t)strtoul(argv[4], NULL, 0);

    make_types();
    func_type = calloc(nfuncs, sizeof *func_type);
    for (int k = 0; k < 5; k++)
        by_result[k] = calloc(nfuncs, sizeof **by_result);
    func_type[0] = 0;
    func_type[1] = 1;
    for (uint32_t i = FIRST_GEN; i < nfuncs; i++) {
        /* The indirect types are the common ones (callbacks, method tables). */
        func_type[i] = chance(45) ? 2 + below(NINDIRECT) : 2 + below(NTYPES - 2);
        int rc = result_class(&types[func_type[i]]);
        by_result[rc][nby_result[rc]++] = i;
    }

    buf out = { 0 }, s = { 0 };
    put_bytes(&out, "\0asm\1\0\0\0", 8);

    /* type */
    uleb(&s, NTYPES);
    for (int i = 0; i < NTYPES; i++) {
        put(&s, 0x60);
        uleb(&s, types[i].np);
        put_bytes(&s, types[i].p, types[i].np);
        uleb(&s, types[i].nr);
        if (types[i].nr)
            put(&s, types[i].r);
    }
    section(&out, 1, &s);
    s.n = 0;

    /* function */
    uleb(&s, nfuncs);
    for (uint32_t i = 0; i < nfuncs; i++)
        uleb(&s, func_type[i]);
    section(&out, 3, &s);
    s.n = 0;

    /* table: one region of REGION slots per indirect type */
    uint32_t table_size = NINDIRECT * REGION;
    uleb(&s, 1);
    put(&s, 0x70);
    put(&s, 0x01);
    uleb(&s, table_size);
    uleb(&s, table_size);
    section(&out, 4, &s);
    s.n = 0;

    /* memory: 16 MiB, growable to 64 MiB */
    uleb(&s, 1);
    put(&s, 0x01);
    uleb(&s, 256);
    uleb(&s, 1024);
    section(&out, 5, &s);
    s.n = 0;

    /* globals: fuel, depth, stack pointer, mutable state, then constants */
    uleb(&s, NGLOBALS);
    for (int g = 0; g < NGLOBALS; g++) {
        put(&s, global_types[g]);
        put(&s, g < NGLOBALS_MUT ? 1 : 0);
        fn cf = { .b = &s };
        if (g == G_SP) {
            put(&s, 0x41);
            sleb(&s, 0x7F0000);
        } else {
            const_of(&cf, global_types[g]);
        }
        put(&s, 0x0B);
    }
    section(&out, 6, &s);
    s.n = 0;

    /* exports */
    uint32_t nexp = 3 + 300;
    uleb(&s, nexp);
    put_name(&s, "memory");
    put(&s, 2);
    uleb(&s, 0);
    put_name(&s, "small");
    put(&s, 0);
    uleb(&s, 0);
    put_name(&s, "run");
    put(&s, 0);
    uleb(&s, 1);
    for (uint32_t i = 0; i < 300; i++) {
        char name[64];
        snprintf(name, sizeof name, "rb_api_%u", i);
        put_name(&s, name);
        put(&s, 0);
        uleb(&s, FIRST_GEN + i * ((nfuncs - FIRST_GEN) / 300));
    }
    section(&out, 7, &s);
    s.n = 0;

    /* elements: per region, one active segment of functions of that type,
     * repeated to fill it */
    uleb(&s, NINDIRECT);
    for (uint32_t r = 0; r < NINDIRECT; r++) {
        uint32_t ty = 2 + r;
        uint32_t *members = calloc(nfuncs, sizeof *members), nm = 0;
        for (uint32_t i = FIRST_GEN; i < nfuncs; i++)
            if (func_type[i] == ty)
                members[nm++] = i;
        put(&s, 0x00);
        put(&s, 0x41);
        sleb(&s, (int64_t)r * REGION);
        put(&s, 0x0B);
        uleb(&s, REGION);
        for (uint32_t k = 0; k < REGION; k++)
            uleb(&s, nm ? members[k % nm] : 0);
        free(members);
        if (nm == 0) {
            fprintf(stderr, "gen_module: no function of indirect type %u; use more functions\n", ty);
            return 1;
        }
    }
    section(&out, 9, &s);
    s.n = 0;

    /* data count (bulk memory's rule for memory.init; clang emits it) */
    uint32_t ndata = 48;
    uleb(&s, ndata);
    section(&out, 12, &s);
    s.n = 0;

    /* code */
    uleb(&s, nfuncs);
    {
        buf b = { 0 };
        uint8_t small[] = { 0x00, 0x41, 7, 0x41, 6, 0x6C, 0x0B }; /* 7 * 6 */
        uleb(&b, sizeof small);
        put_bytes(&b, small, sizeof small);
        put_bytes(&s, b.p, b.n);
        free(b.p);
    }
    gen_run(&s);
    for (uint32_t i = FIRST_GEN; i < nfuncs; i++)
        gen_function(&s, i, pick_size(i, nfuncs));
    size_t code_bytes = s.n;
    section(&out, 10, &s);
    s.n = 0;

    /* data: about 3 MB between 1 MiB and 4.5 MiB: strings and tables */
    uleb(&s, ndata);
    uint32_t at = 0x100000;
    size_t data_bytes = 0;
    for (uint32_t i = 0; i < ndata; i++) {
        uint32_t len = range(16, 120000);
        put(&s, 0x00);
        put(&s, 0x41);
        sleb(&s, at);
        put(&s, 0x0B);
        uleb(&s, len);
        reserve(&s, len);
        for (uint32_t k = 0; k < len; k++)
            s.p[s.n + k] = (i & 1) ? (uint8_t)("abcdefghij klmnopqrstuvwxyz_\n"[below(29)]) : (uint8_t)rnd();
        s.n += len;
        data_bytes += len;
        at += len + 64;
    }
    section(&out, 11, &s);
    s.n = 0;

    /* name: module name and every function's name */
    {
        buf sub = { 0 };
        put_name(&sub, "ruby");
        put(&s, 0);
        uleb(&s, sub.n);
        put_bytes(&s, sub.p, sub.n);
        sub.n = 0;
        uleb(&sub, nfuncs);
        for (uint32_t i = 0; i < nfuncs; i++) {
            char name[128];
            if (i == 0)
                snprintf(name, sizeof name, "small");
            else if (i == 1)
                snprintf(name, sizeof name, "run");
            else
                func_name(name, sizeof name, i);
            uleb(&sub, i);
            put_name(&sub, name);
        }
        put(&s, 1);
        uleb(&s, sub.n);
        put_bytes(&s, sub.p, sub.n);
        free(sub.p);
        buf named = { 0 };
        put_name(&named, "name");
        put_bytes(&named, s.p, s.n);
        section(&out, 0, &named);
        free(named.p);
        s.n = 0;
    }

    FILE *fp = fopen(argv[1], "wb");
    if (!fp || fwrite(out.p, 1, out.n, fp) != out.n || fclose(fp) != 0) {
        fprintf(stderr, "gen_module: cannot write %s\n", argv[1]);
        return 1;
    }
    fprintf(stderr, "gen_module: %s: %zu bytes, %u functions, %zu bytes of code, %zu of data\n",
            argv[1], out.n, nfuncs, code_bytes, data_bytes);
    free(out.p);
    free(s.p);
    return 0;
}

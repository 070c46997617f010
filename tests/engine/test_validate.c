/*
 * test_validate.c -- the validator on modules built by hand (struct
 * weft_module filled directly, bodies as raw bytes), so that each rule family
 * is tested without the decoder: stack typing, the polymorphic stack, blocks
 * with params and results, br_table, index spaces, memories and tables,
 * alignment, lanes, ref.func declarations, constant expressions, limits,
 * exports, the start function, and malformed instructions.  Each failing case
 * checks the error code and the byte offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/module.h"
#include "engine/validate.h"

/* ---- a module builder ------------------------------------------------------------- */

enum { MAXN = 8 };

typedef struct tmod {
    weft_module m;
    uint8_t bytes[1024];
    uint32_t len;
    mod_functype types[MAXN];
    mod_valtype typebuf[MAXN][16];
    uint32_t func_types[MAXN];
    mod_code codes[MAXN];
    mod_localgroup groups[MAXN][4];
    mod_limits mems[MAXN];
    mod_tabletype tables[MAXN];
    mod_global globals[MAXN];
    mod_export exports[MAXN];
    mod_elem elems[MAXN];
    uint32_t elem_funcs[MAXN][4];
    mod_data datas[MAXN];
    mod_import imports[MAXN];
} tmod;

static weft_engine *engine;

static int setup(void **state)
{
    (void)state;
    return weft_engine_new(NULL, &engine, NULL) == WEFT_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    weft_engine_free(engine);
    return 0;
}

static void t_init(tmod *t)
{
    memset(t, 0, sizeof *t);
    t->m.engine = engine;
    t->m.bytes = t->bytes;
    t->m.types = t->types;
    t->m.func_types = t->func_types;
    t->m.codes = t->codes;
    t->m.memories = t->mems;
    t->m.tables = t->tables;
    t->m.globals = t->globals;
    t->m.exports = t->exports;
    t->m.elems = t->elems;
    t->m.datas = t->datas;
    t->m.imports = t->imports;
    t->len = 8; /* room for a header, so that no offset is 0 */
    t->m.size = t->len;
}

static mod_valtype sig_char(char c)
{
    switch (c) {
    case 'i': return VT_I32;
    case 'I': return VT_I64;
    case 'f': return VT_F32;
    case 'F': return VT_F64;
    case 'v': return VT_V128;
    case 'r': return VT_FUNCREF;
    default: return VT_EXTERNREF; /* 'e' */
    }
}

/* "ii:i" -> a new type index. */
static uint32_t t_type(tmod *t, const char *sig)
{
    uint32_t i = t->m.ntypes++;
    mod_functype *ft = &t->types[i];
    const char *colon = strchr(sig, ':');
    ft->types = t->typebuf[i];
    ft->nparams = (uint32_t)(colon - sig);
    ft->nresults = (uint32_t)strlen(colon + 1);
    for (uint32_t k = 0; k < ft->nparams; k++)
        ft->types[k] = sig_char(sig[k]);
    for (uint32_t k = 0; k < ft->nresults; k++)
        ft->types[ft->nparams + k] = sig_char(colon[1 + k]);
    return i;
}

static mod_range t_bytes(tmod *t, const uint8_t *b, size_t n)
{
    mod_range r = {t->len, t->len + (uint32_t)n};
    memcpy(t->bytes + t->len, b, n);
    t->len += (uint32_t)n;
    t->m.size = t->len;
    return r;
}

/* Adds a defined function; returns the module offset of its body's first byte. */
static uint32_t t_func(tmod *t, const char *sig, const uint8_t *body, size_t n)
{
    uint32_t f = t->m.nfuncs++;
    t->func_types[f] = t_type(t, sig);
    mod_code *c = &t->codes[t->m.ncodes++];
    c->body = t_bytes(t, body, n);
    c->groups = t->groups[f];
    return c->body.start;
}

static void t_import_func(tmod *t, const char *sig)
{
    /* Imports come first in the index space: only before any t_func. */
    assert_int_equal(t->m.ncodes, 0);
    uint32_t f = t->m.nfuncs++;
    t->m.nfunc_imports++;
    t->func_types[f] = t_type(t, sig);
}

static void t_locals(tmod *t, uint32_t func, uint32_t count, mod_valtype type)
{
    mod_code *c = &t->codes[func - t->m.nfunc_imports];
    c->groups[c->ngroups].count = count;
    c->groups[c->ngroups].type = type;
    c->ngroups++;
    c->nlocals += count;
}

/* Errors about a defined memory, table or export, or the start function, name
 * where the decoder found it; these pretend offsets tell them apart. */
#define MEM_AT(i) (1000u + (i))
#define TABLE_AT(i) (2000u + (i))
#define EXPORT_AT(i) (3000u + (i))
#define START_AT 4000u

static void t_memory(tmod *t, uint64_t min, bool has_max, uint64_t max, bool shared)
{
    uint32_t i = t->m.nmemories++;
    t->mems[i] = (mod_limits){.min = min, .max = max, .has_max = has_max, .shared = shared,
                              .offset = MEM_AT(i)};
}

static void t_table(tmod *t, mod_valtype elem, uint64_t min)
{
    uint32_t i = t->m.ntables++;
    t->tables[i] = (mod_tabletype){.elem = elem, .limits = {.min = min, .offset = TABLE_AT(i)}};
}

static void t_start(tmod *t, uint32_t func)
{
    t->m.has_start = true;
    t->m.start = func;
    t->m.start_offset = START_AT;
}

static void t_global(tmod *t, mod_valtype type, bool mut, const uint8_t *init, size_t n)
{
    mod_global *g = &t->globals[t->m.nglobals++];
    g->type.type = type;
    g->type.mutable_ = mut;
    if (init)
        g->init = t_bytes(t, init, n);
    else
        t->m.nglobal_imports++;
}

static void t_export(tmod *t, const char *name, uint8_t kind, uint32_t index)
{
    uint32_t i = t->m.nexports++;
    t->exports[i] = (mod_export){.name = {name, (uint32_t)strlen(name)}, .kind = kind, .index = index,
                                 .offset = EXPORT_AT(i)};
}

static weft_status t_validate(tmod *t, weft_error *err)
{
    memset(err, 0, sizeof *err);
    weft_status st = val_module(&t->m, err);
    eng_free(engine, t->m.func_declared);
    t->m.func_declared = NULL;
    return st;
}

/* Validates and expects the error `code` at `offset`. */
static void expect_error(tmod *t, weft_code code, uint64_t offset)
{
    weft_error err;
    weft_status st = t_validate(t, &err);
    assert_int_equal(st, weft_code_status(code));
    if (err.code != code)
        fail_msg("expected \"%s\", got \"%s\"", weft_code_text(code), err.message);
    if (err.offset != offset)
        fail_msg("\"%s\" at %llu, expected at %llu", err.message, (unsigned long long)err.offset,
                 (unsigned long long)offset);
    assert_memory_equal(err.message, weft_code_text(code), strlen(weft_code_text(code)));
}

static void expect_valid(tmod *t)
{
    weft_error err;
    weft_status st = t_validate(t, &err);
    if (st != WEFT_OK)
        fail_msg("unexpected error: %s (at %llu)", err.message, (unsigned long long)err.offset);
}

#define FUNC(t, sig, ...)                                          \
    ({                                                             \
        const uint8_t body_[] = {__VA_ARGS__};                     \
        t_func((t), (sig), body_, sizeof body_);                   \
    })

/* v128.const 0: 18 bytes */
#define V128_ZERO 0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0

/* ---- stack typing ------------------------------------------------------------------- */

static void test_stack_typing(void **state)
{
    (void)state;
    tmod t;
    t_init(&t);
    FUNC(&t, ":i", 0x41, 0x01, 0x41, 0x02, 0x6A, 0x0B); /* i32.const 1 i32.const 2 i32.add */
    expect_valid(&t);

    t_init(&t);
    uint32_t at = FUNC(&t, ":i", 0x41, 0x01, 0x42, 0x02, 0x6A, 0x0B); /* i64 operand to i32.add */
    expect_error(&t, WEFT_E_TYPE_MISMATCH, at + 4);

    t_init(&t);
    at = FUNC(&t, ":i", 0x41, 0x01, 0x41, 0x02, 0x0B); /* one value too many at the end */
    expect_error(&t, WEFT_E_TYPE_MISMATCH, at + 4);

    t_init(&t);
    at = FUNC(&t, ":", 0x6A, 0x1A, 0x0B); /* i32.add on an empty stack */
    expect_error(&t, WEFT_E_TYPE_MISMATCH, at);

    t_init(&t);
    at = FUNC(&t, ":F", 0x41, 0x00, 0x0F, 0x0B); /* return with the wrong type */
    expect_error(&t, WEFT_E_TYPE_MISMATCH, at + 2);
}

static void test_polymorphic_stack(void **state)
{
    (void)state;
    tmod t;
    t_init(&t);
    FUNC(&t, ":i", 0x00, 0x6A, 0x0B); /* unreachable i32.add: operands from the bottom */
    expect_valid(&t);

    t_init(&t);
    FUNC(&t, ":I", 0x02, 0x40, 0x0C, 0x00, 0x1A, 0x0B, 0x42, 0x00, 0x0B); /* block br 0 drop end */
    expect_valid(&t);

    t_init(&t);
    uint32_t at = FUNC(&t, ":i", 0x00, 0x42, 0x00, 0x6A, 0x0B); /* a known i64 still mismatches */
    expect_error(&t, WEFT_E_TYPE_MISMATCH, at + 3);

    t_init(&t);
    FUNC(&t, ":i", 0x00, 0x1B, 0x0B); /* select of two unknowns */
    expect_valid(&t);

    t_init(&t);
    /* After `br`, the block's end still checks the types pushed since. */
    at = FUNC(&t, ":", 0x02, 0x40, 0x0C, 0x00, 0x41, 0x00, 0x0B, 0x0B);
    expect_error(&t, WEFT_E_TYPE_MISMATCH, at + 6);
}

static void test_blocks(void **state)
{
    (void)state;
    tmod t;
    t_init(&t);
    uint32_t bt = t_type(&t, "i:i");
    /* i32.const 1; block (type [i32]->[i32]) i32.const 1 i32.add end */
    FUNC(&t, ":i", 0x41, 0x01, 0x02, (uint8_t)bt, 0x41, 0x01, 0x6A, 0x0B, 0x0B);
    expect_valid(&t);

    t_init(&t);
    bt = t_type(&t, "i:i");
    uint32_t at = FUNC(&t, ":i", 0x02, (uint8_t)bt, 0x0B, 0x0B); /* param missing */
    expect_error(&t, WEFT_E_TYPE_MISMATCH, at);

    t_init(&t);
    /* loop's label takes its params: br 0 in a [i32]->[] loop needs an i32 */
    bt = t_type(&t, "i:");
    FUNC(&t, ":", 0x41, 0x00, 0x03, (uint8_t)bt, 0x0C, 0x00, 0x0B, 0x0B);
    expect_valid(&t);

    t_init(&t);
    at = FUNC(&t, ":i", 0x41, 0x01, 0x04, 0x7F, 0x41, 0x02, 0x0B, 0x0B); /* if (result i32) without else */
    expect_error(&t, WEFT_E_TYPE_MISMATCH, at + 6);

    t_init(&t);
    FUNC(&t, ":i", 0x41, 0x01, 0x04, 0x7F, 0x41, 0x02, 0x05, 0x41, 0x03, 0x0B, 0x0B);
    expect_valid(&t);

    t_init(&t);
    at = FUNC(&t, ":", 0x41, 0x01, 0x04, 0x40, 0x05, 0x05, 0x0B, 0x0B); /* second else */
    expect_error(&t, WEFT_E_END_EXPECTED, at + 5);

    t_init(&t);
    at = FUNC(&t, ":", 0x02, 0x05, 0x0B, 0x0B); /* block type index 5 of 1 */
    expect_error(&t, WEFT_E_UNKNOWN_TYPE, at);
}

static void test_br_table(void **state)
{
    (void)state;
    tmod t;
    t_init(&t);
    /* block (result i32) block (result i32) i32.const 7 i32.const 0 br_table 0 1 1 end end */
    FUNC(&t, ":i", 0x02, 0x7F, 0x02, 0x7F, 0x41, 0x07, 0x41, 0x00, 0x0E, 0x02, 0x00, 0x01, 0x01, 0x0B, 0x0B,
         0x0B);
    expect_valid(&t);

    t_init(&t);
    /* block block (result i32) ... br_table 0 1: arities 1 and 0 */
    uint32_t at = FUNC(&t, ":", 0x02, 0x40, 0x02, 0x7F, 0x41, 0x07, 0x41, 0x00, 0x0E, 0x01, 0x00, 0x01, 0x0B,
                       0x1A, 0x0B, 0x0B);
    expect_error(&t, WEFT_E_TYPE_MISMATCH, at + 8);

    t_init(&t);
    at = FUNC(&t, ":", 0x41, 0x00, 0x0E, 0x01, 0x00, 0x05, 0x0B); /* default label 5 */
    expect_error(&t, WEFT_E_UNKNOWN_LABEL, at + 2);

    t_init(&t);
    /* Polymorphic operand: after unreachable, br_table to labels of one type. */
    FUNC(&t, ":i", 0x02, 0x7F, 0x00, 0x0E, 0x01, 0x00, 0x01, 0x0B, 0x0B);
    expect_valid(&t);
}

/* ---- index spaces -------------------------------------------------------------------- */

static void test_locals_globals_labels(void **state)
{
    (void)state;
    tmod t;
    t_init(&t);
    /* (param i32) (local i32 i32) (local i64 i64 i64): local 4 is i64 */
    FUNC(&t, "i:I", 0x20, 0x04, 0x0B);
    t_locals(&t, 0, 2, VT_I32);
    t_locals(&t, 0, 3, VT_I64);
    expect_valid(&t);

    t_init(&t);
    uint32_t at = FUNC(&t, "i:I", 0x20, 0x06, 0x0B);
    t_locals(&t, 0, 2, VT_I32);
    t_locals(&t, 0, 3, VT_I64);
    expect_error(&t, WEFT_E_UNKNOWN_LOCAL, at);

    t_init(&t);
    at = FUNC(&t, ":", 0x23, 0x00, 0x1A, 0x0B);
    expect_error(&t, WEFT_E_UNKNOWN_GLOBAL, at);

    t_init(&t);
    static const uint8_t zero[] = {0x41, 0x00, 0x0B};
    t_global(&t, VT_I32, false, zero, sizeof zero);
    at = FUNC(&t, ":", 0x41, 0x01, 0x24, 0x00, 0x0B);
    expect_error(&t, WEFT_E_GLOBAL_IMMUTABLE, at + 2);

    t_init(&t);
    t_global(&t, VT_I32, true, zero, sizeof zero);
    FUNC(&t, ":", 0x41, 0x01, 0x24, 0x00, 0x0B);
    expect_valid(&t);

    t_init(&t);
    at = FUNC(&t, ":", 0x02, 0x40, 0x0C, 0x02, 0x0B, 0x0B);
    expect_error(&t, WEFT_E_UNKNOWN_LABEL, at + 2);

    t_init(&t);
    at = FUNC(&t, ":", 0x10, 0x03, 0x0B);
    expect_error(&t, WEFT_E_UNKNOWN_FUNC, at);
}

static void test_memory_table_absent(void **state)
{
    (void)state;
    tmod t;
    t_init(&t);
    uint32_t at = FUNC(&t, ":i", 0x41, 0x00, 0x28, 0x02, 0x00, 0x0B);
    expect_error(&t, WEFT_E_UNKNOWN_MEMORY, at + 2);

    t_init(&t);
    at = FUNC(&t, ":i", 0x3F, 0x00, 0x0B);
    expect_error(&t, WEFT_E_UNKNOWN_MEMORY, at);

    t_init(&t);
    at = FUNC(&t, ":", 0x41, 0x00, 0x25, 0x00, 0x1A, 0x0B);
    expect_error(&t, WEFT_E_UNKNOWN_TABLE, at + 2);

    t_init(&t);
    t_table(&t, VT_EXTERNREF, 1);
    at = FUNC(&t, ":", 0x41, 0x00, 0x11, 0x00, 0x00, 0x0B); /* call_indirect through externref */
    expect_error(&t, WEFT_E_TYPE_MISMATCH, at + 2);

    t_init(&t);
    t_table(&t, VT_EXTERNREF, 1);
    FUNC(&t, ":r", 0x41, 0x00, 0x25, 0x00, 0x0B); /* table.get gives externref */
    expect_error(&t, WEFT_E_TYPE_MISMATCH, t.codes[0].body.start + 4);
}

static void test_alignment(void **state)
{
    (void)state;
    tmod t;
    t_init(&t);
    t_memory(&t, 1, false, 0, false);
    FUNC(&t, ":i", 0x41, 0x00, 0x28, 0x02, 0x00, 0x0B); /* i32.load align=4 */
    expect_valid(&t);

    t_init(&t);
    t_memory(&t, 1, false, 0, false);
    uint32_t at = FUNC(&t, ":i", 0x41, 0x00, 0x28, 0x03, 0x00, 0x0B); /* align=8 */
    expect_error(&t, WEFT_E_BAD_ALIGNMENT, at + 2);

    t_init(&t);
    t_memory(&t, 1, true, 1, true);
    at = FUNC(&t, ":i", 0x41, 0x00, 0xFE, 0x10, 0x01, 0x00, 0x0B); /* i32.atomic.load align=2 */
    expect_error(&t, WEFT_E_BAD_ATOMIC_ALIGNMENT, at + 2);

    t_init(&t);
    t_memory(&t, 1, true, 1, true);
    FUNC(&t, ":i", 0x41, 0x00, 0xFE, 0x10, 0x02, 0x00, 0xFE, 0x03, 0x00, 0x0B); /* + atomic.fence */
    expect_valid(&t);

    t_init(&t);
    t_memory(&t, 1, true, 1, true);
    at = FUNC(&t, ":", 0xFE, 0x03, 0x01, 0x0B); /* atomic.fence with a non-zero byte */
    expect_error(&t, WEFT_E_ZERO_BYTE, at + 2);
}

static void test_lanes(void **state)
{
    (void)state;
    tmod t;
    t_init(&t);
    /* v128.const 0; i8x16.extract_lane_s 15 */
    FUNC(&t, ":i", V128_ZERO, 0xFD, 0x15, 0x0F, 0x0B);
    expect_valid(&t);

    t_init(&t);
    uint32_t at =
        FUNC(&t, ":i", V128_ZERO, 0xFD, 0x15, 0x10, 0x0B);
    expect_error(&t, WEFT_E_BAD_LANE, at + 18);

    t_init(&t);
    /* i64x2.extract_lane 2 */
    at = FUNC(&t, ":I", V128_ZERO, 0xFD, 0x1D, 0x02, 0x0B);
    expect_error(&t, WEFT_E_BAD_LANE, at + 18);

    t_init(&t);
    /* i8x16.shuffle with a lane index of 32 */
    at = FUNC(&t, ":v", V128_ZERO, V128_ZERO, 0xFD, 0x0D, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 32,
              0x0B);
    expect_error(&t, WEFT_E_BAD_LANE, at + 36);
}

static void test_ref_func_declaration(void **state)
{
    (void)state;
    tmod t;
    t_init(&t);
    uint32_t at = FUNC(&t, ":r", 0xD2, 0x00, 0x0B);
    expect_error(&t, WEFT_E_UNDECLARED_FUNC_REF, at);

    t_init(&t);
    FUNC(&t, ":r", 0xD2, 0x00, 0x0B);
    t_export(&t, "f", EXT_FUNC, 0);
    expect_valid(&t);

    t_init(&t);
    FUNC(&t, ":r", 0xD2, 0x00, 0x0B);
    t.elem_funcs[0][0] = 0;
    t.elems[t.m.nelems++] =
        (mod_elem){.mode = SEG_DECLARATIVE, .type = VT_FUNCREF, .count = 1, .funcs = t.elem_funcs[0]};
    expect_valid(&t);

    t_init(&t);
    FUNC(&t, ":r", 0xD2, 0x00, 0x0B);
    static const uint8_t init[] = {0xD2, 0x00, 0x0B};
    t_global(&t, VT_FUNCREF, false, init, sizeof init);
    expect_valid(&t);
}

/* ---- module-level rules -------------------------------------------------------------- */

static void test_const_exprs(void **state)
{
    (void)state;
    tmod t;
    t_init(&t);
    static const uint8_t add[] = {0x41, 0x01, 0x41, 0x02, 0x6A, 0x0B};
    t_global(&t, VT_I32, false, add, sizeof add);
    expect_error(&t, WEFT_E_CONST_EXPR_REQUIRED, t.globals[0].init.start + 4);

    t_init(&t);
    static const uint8_t i64[] = {0x42, 0x01, 0x0B};
    t_global(&t, VT_I32, false, i64, sizeof i64);
    expect_error(&t, WEFT_E_TYPE_MISMATCH, t.globals[0].init.start + 2);

    t_init(&t);
    static const uint8_t two[] = {0x41, 0x01, 0x41, 0x01, 0x0B};
    t_global(&t, VT_I32, false, two, sizeof two);
    expect_error(&t, WEFT_E_TYPE_MISMATCH, t.globals[0].init.start + 4);

    /* global.get: imported immutable globals only */
    static const uint8_t get0[] = {0x23, 0x00, 0x0B};
    t_init(&t);
    t_global(&t, VT_I32, false, NULL, 0);
    t_global(&t, VT_I32, false, get0, sizeof get0);
    expect_valid(&t);

    t_init(&t);
    t_global(&t, VT_I32, true, NULL, 0);
    t_global(&t, VT_I32, false, get0, sizeof get0);
    expect_error(&t, WEFT_E_CONST_EXPR_REQUIRED, t.globals[1].init.start);

    t_init(&t);
    static const uint8_t get1[] = {0x23, 0x01, 0x0B};
    t_global(&t, VT_I32, false, get0 /* fine */, sizeof get0);
    t_global(&t, VT_I32, false, get1, sizeof get1);
    /* global 0 is not imported: its own initialiser already fails */
    expect_error(&t, WEFT_E_UNKNOWN_GLOBAL, t.globals[0].init.start);

    /* data offsets must be i32 */
    t_init(&t);
    t_memory(&t, 1, false, 0, false);
    static const uint8_t off64[] = {0x42, 0x00, 0x0B};
    t.datas[t.m.ndatas++] = (mod_data){.mode = SEG_ACTIVE, .offset = t_bytes(&t, off64, sizeof off64)};
    expect_error(&t, WEFT_E_TYPE_MISMATCH, t.datas[0].offset.start + 2);
}

static void test_limits(void **state)
{
    (void)state;
    tmod t;
    t_init(&t);
    t_memory(&t, 2, true, 1, false);
    expect_error(&t, WEFT_E_MIN_OVER_MAX, MEM_AT(0));

    t_init(&t);
    t_memory(&t, 65537, false, 0, false);
    expect_error(&t, WEFT_E_MEMORY_TOO_LARGE, MEM_AT(0));

    t_init(&t);
    t_memory(&t, 1, true, 65536, true);
    expect_valid(&t);

    t_init(&t);
    t_memory(&t, 1, false, 0, true);
    expect_error(&t, WEFT_E_SHARED_NEEDS_MAX, MEM_AT(0));

    t_init(&t);
    t_memory(&t, 1, false, 0, false);
    t_memory(&t, 1, false, 0, false);
    expect_error(&t, WEFT_E_MULTIPLE_MEMORIES, MEM_AT(1));

    t_init(&t);
    t_table(&t, VT_FUNCREF, 1);
    t_table(&t, VT_EXTERNREF, 1); /* 2.0 allows several tables */
    t.tables[1].limits = (mod_limits){.min = 3, .max = 2, .has_max = true, .offset = TABLE_AT(1)};
    expect_error(&t, WEFT_E_MIN_OVER_MAX, TABLE_AT(1));
}

static void test_exports(void **state)
{
    (void)state;
    tmod t;
    t_init(&t);
    FUNC(&t, ":", 0x0B);
    t_memory(&t, 1, false, 0, false);
    t_export(&t, "a", EXT_FUNC, 0);
    t_export(&t, "b", EXT_MEMORY, 0);
    t_export(&t, "ab", EXT_FUNC, 0);
    expect_valid(&t);

    t_export(&t, "b", EXT_FUNC, 0);
    expect_error(&t, WEFT_E_DUPLICATE_EXPORT, EXPORT_AT(3));

    t_init(&t);
    t_export(&t, "g", EXT_GLOBAL, 0);
    expect_error(&t, WEFT_E_UNKNOWN_GLOBAL, EXPORT_AT(0));
}

static void test_start(void **state)
{
    (void)state;
    tmod t;
    t_init(&t);
    FUNC(&t, ":", 0x0B);
    t_start(&t, 0);
    expect_valid(&t);

    t_init(&t);
    FUNC(&t, "i:", 0x0B);
    t_start(&t, 0);
    expect_error(&t, WEFT_E_BAD_START, START_AT);

    t_init(&t);
    t_import_func(&t, ":i");
    t_start(&t, 0);
    expect_error(&t, WEFT_E_BAD_START, START_AT);

    t_init(&t);
    t_start(&t, 1);
    expect_error(&t, WEFT_E_UNKNOWN_FUNC, START_AT);
}

/* ---- malformed instructions ---------------------------------------------------------- */

static void test_malformed(void **state)
{
    (void)state;
    tmod t;
    t_init(&t);
    uint32_t at = FUNC(&t, ":", 0x01, 0xFF, 0x0B);
    expect_error(&t, WEFT_E_ILLEGAL_OPCODE, at + 1);

    t_init(&t);
    at = FUNC(&t, ":", 0xFC, 0x7F, 0x0B); /* unassigned 0xFC code */
    expect_error(&t, WEFT_E_ILLEGAL_OPCODE, at);

    t_init(&t);
    FUNC(&t, ":", 0x01); /* missing end, more bytes follow */
    at = FUNC(&t, ":", 0x01, 0x0B);
    expect_error(&t, WEFT_E_END_EXPECTED, at);

    t_init(&t);
    at = FUNC(&t, ":", 0x01); /* missing end at the end of the module */
    expect_error(&t, WEFT_E_UNEXPECTED_END_SECTION, at + 1);

    t_init(&t);
    at = FUNC(&t, ":", 0x0B, 0x01); /* a byte after the final end */
    expect_error(&t, WEFT_E_SECTION_SIZE, at + 1);

    t_init(&t);
    t_memory(&t, 1, false, 0, false);
    at = FUNC(&t, ":i", 0x3F, 0x01, 0x0B); /* memory.size's index byte */
    expect_error(&t, WEFT_E_ZERO_BYTE, at + 1);

    t_init(&t);
    t_memory(&t, 1, false, 0, false);
    t.datas[t.m.ndatas++] = (mod_data){.mode = SEG_PASSIVE};
    at = FUNC(&t, ":", 0xFC, 0x09, 0x00, 0x0B); /* data.drop without a data count */
    expect_error(&t, WEFT_E_DATA_COUNT_REQUIRED, at);

    t_init(&t);
    at = FUNC(&t, ":", 0xFC, 0x09, 0x00, 0x0B); /* ... and without data segments: just unknown */
    expect_error(&t, WEFT_E_UNKNOWN_DATA, at);

    t_init(&t);
    t_memory(&t, 1, false, 0, false);
    t.datas[t.m.ndatas++] = (mod_data){.mode = SEG_PASSIVE};
    /* A malformed body wins over an invalid one before it, as in the spec. */
    FUNC(&t, ":", 0x6A, 0x0B);
    at = FUNC(&t, ":", 0xFC, 0x09, 0x00, 0x0B);
    expect_error(&t, WEFT_E_DATA_COUNT_REQUIRED, at);

    t_init(&t);
    t_memory(&t, 1, false, 0, false);
    t.m.has_data_count = true;
    t.m.data_count = 1;
    FUNC(&t, ":", 0xFC, 0x09, 0x00, 0x0B);
    expect_valid(&t);
    at = FUNC(&t, ":", 0xFC, 0x09, 0x01, 0x0B);
    expect_error(&t, WEFT_E_UNKNOWN_DATA, at);

    t_init(&t);
    at = FUNC(&t, ":", 0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1A, 0x0B); /* s32 too long */
    expect_error(&t, WEFT_E_INT_TOO_LONG, at + 6); /* the reader names the byte after */

    t_init(&t);
    at = FUNC(&t, ":", 0x1C, 0x02, 0x7F, 0x7F, 0x0B); /* select with two types */
    expect_error(&t, WEFT_E_BAD_RESULT_ARITY, at);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stack_typing),
        cmocka_unit_test(test_polymorphic_stack),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_br_table),
        cmocka_unit_test(test_locals_globals_labels),
        cmocka_unit_test(test_memory_table_absent),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_lanes),
        cmocka_unit_test(test_ref_func_declaration),
        cmocka_unit_test(test_const_exprs),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_exports),
        cmocka_unit_test(test_start),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

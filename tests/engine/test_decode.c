/*
 * test_decode.c -- the binary decoder (engine/decode.c) and the module
 * queries (engine/module.c).  A sample module with every section is built
 * byte by byte here; its decoded fields are checked, every truncation of it
 * and thousands of random corruptions must fail cleanly (run under ASan in
 * CI), huge counts must fail without allocating, and the name section's
 * rules (kept when well formed, dropped when not) are exercised.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <stdatomic.h>

#include <cmocka.h>

#include "engine/decode.h"
#include "support/wasm_builder.h"

/* ---- an engine whose allocator keeps score ------------------------------ */

typedef struct alloc_stats {
    size_t largest; /* the largest single request */
    size_t live;    /* blocks not yet freed */
} alloc_stats;

static void *counting_realloc(void *user, void *ptr, size_t size)
{
    alloc_stats *s = user;
    if (size == 0) {
        if (ptr)
            s->live--;
        free(ptr);
        return NULL;
    }
    if (size > s->largest)
        s->largest = size;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        s->live++;
    return p;
}

static alloc_stats stats;

static int setup(void **state)
{
    weft_config c;
    weft_config_init(&c);
    memset(&stats, 0, sizeof stats);
    c.realloc_fn = counting_realloc;
    c.realloc_user = &stats;
    weft_engine *e;
    assert_int_equal(weft_engine_new(&c, &e, NULL), WEFT_OK);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    weft_engine_free(*state);
    assert_int_equal(stats.live, 0); /* nothing leaked, on any path */
    return 0;
}

/* Decodes o; returns the module or NULL with *err filled. */
static weft_module *decode(weft_engine *e, const buf *o, weft_error *err)
{
    weft_module *m = NULL;
    memset(err, 0, sizeof *err);
    weft_status st = dec_module(e, o->b, o->n, &m, err);
    if (st == WEFT_OK)
        assert_non_null(m);
    else
        assert_null(m);
    return m;
}

static void expect_error(weft_engine *e, const buf *o, weft_code code)
{
    weft_error err;
    weft_module *m = decode(e, o, &err);
    if (m) {
        mod_release(m);
        fail_msg("accepted; expected \"%s\"", weft_code_text(code));
    }
    if (err.code != code)
        fail_msg("expected \"%s\", got \"%s\"", weft_code_text(code), err.message);
    assert_int_equal(err.status, WEFT_MALFORMED);
    assert_true(err.offset <= o->n);
}

/* ---- the sample module --------------------------------------------------- */

/* Prefix lengths of the sample that are complete modules by themselves:
 * section boundaries before the function section, and before the name
 * section. */
static size_t complete_prefix[8];
static size_t ncomplete_prefix;

/* Every section kind, the eight element segment forms, the three data
 * segment forms, a custom section in the middle and the name section last.
 * *names_at is the offset where the name section starts. */
static void sample(buf *o, size_t *names_at)
{
    buf s;
    header(o);
    ncomplete_prefix = 0;
    complete_prefix[ncomplete_prefix++] = o->n;

    s.n = 0; /* types: (i32 i64)->(f32), ()->(), (v128 funcref externref)->(f64) */
    BYTES(&s, 3, 0x60, 2, 0x7F, 0x7E, 1, 0x7D, 0x60, 0, 0, 0x60, 3, 0x7B, 0x70, 0x6F, 1, 0x7C);
    section(o, 1, &s);
    complete_prefix[ncomplete_prefix++] = o->n;

    s.n = 0;
    BYTES(&s, 4, 'x', 'y', 'z', 'w'); /* a custom section between known ones */
    section(o, 0, &s);
    complete_prefix[ncomplete_prefix++] = o->n;
    s.n = 0;

    /* imports: a function, a funcref table, an immutable i32 global */
    uleb(&s, 3);
    str(&s, "env"), str(&s, "f"), BYTES(&s, 0x00, 1);
    str(&s, "env"), str(&s, "t"), BYTES(&s, 0x01, 0x70, 0x01, 1, 10);
    str(&s, "env"), str(&s, "g\xC3\xA9"), BYTES(&s, 0x03, 0x7F, 0x00);
    section(o, 2, &s);
    complete_prefix[ncomplete_prefix++] = o->n;

    s.n = 0; /* two defined functions: types 0 and 1 */
    BYTES(&s, 2, 0, 1);
    section(o, 3, &s);

    s.n = 0; /* an externref table, min 3 */
    BYTES(&s, 1, 0x6F, 0x00, 3);
    section(o, 4, &s);

    s.n = 0; /* a shared memory, 1..2 pages */
    BYTES(&s, 1, 0x03, 1, 2);
    section(o, 5, &s);

    s.n = 0; /* globals: mut i32 = 42, funcref = ref.func 1, i32 = global.get 0 */
    BYTES(&s, 3, 0x7F, 1, 0x41, 42, 0x0B, 0x70, 0, 0xD2, 1, 0x0B, 0x7F, 0, 0x23, 0, 0x0B);
    section(o, 6, &s);

    s.n = 0;
    uleb(&s, 4);
    str(&s, "f0"), BYTES(&s, 0x00, 1);
    str(&s, "mem"), BYTES(&s, 0x02, 0);
    str(&s, "tab"), BYTES(&s, 0x01, 1);
    str(&s, "g"), BYTES(&s, 0x03, 1);
    section(o, 7, &s);

    s.n = 0;
    BYTES(&s, 2); /* start: function 2 */
    section(o, 8, &s);

    s.n = 0;
    BYTES(&s, 8,
          0, 0x41, 0, 0x0B, 2, 0, 1,                   /* 0: active table 0, funcs */
          1, 0x00, 1, 2,                               /* 1: passive, elemkind */
          2, 0, 0x41, 1, 0x0B, 0x00, 1, 1,             /* 2: active table 0 explicit */
          3, 0x00, 1, 1,                               /* 3: declarative */
          4, 0x41, 2, 0x0B, 2, 0xD2, 0, 0x0B, 0xD0, 0x70, 0x0B, /* 4: exprs */
          5, 0x6F, 1, 0xD0, 0x6F, 0x0B,                /* 5: passive externref */
          6, 1, 0x41, 0, 0x0B, 0x6F, 1, 0xD0, 0x6F, 0x0B, /* 6: active table 1 */
          7, 0x70, 1, 0xD2, 2, 0x0B);                  /* 7: declarative exprs */
    section(o, 9, &s);

    s.n = 0;
    BYTES(&s, 3); /* data count */
    section(o, 12, &s);

    s.n = 0; /* code: func 1 has locals 3 x i32 and 1 x f64; func 2 is empty */
    BYTES(&s, 2, 11, 2, 3, 0x7F, 1, 0x7C, 0x43, 0, 0, 0, 0, 0x0B, 2, 0, 0x0B);
    section(o, 10, &s);

    s.n = 0;
    BYTES(&s, 3, 0, 0x41, 0, 0x0B, 2, 'h', 'i', 1, 3, 'a', 'b', 'c', 2, 0, 0x41, 8, 0x0B, 0);
    section(o, 11, &s);

    *names_at = o->n;
    complete_prefix[ncomplete_prefix++] = o->n;
    buf n = { .n = 0 };
    str(&n, "name");
    s.n = 0; /* module name */
    str(&s, "sample");
    u8(&n, 0), uleb(&n, s.n), put(&n, s.b, s.n);
    s.n = 0; /* function names: 0 "imp", 2 "start" */
    uleb(&s, 2), uleb(&s, 0), str(&s, "imp"), uleb(&s, 2), str(&s, "start");
    u8(&n, 1), uleb(&n, s.n), put(&n, s.b, s.n);
    s.n = 0; /* local names of function 1: 0 "a", 4 "z" */
    uleb(&s, 1), uleb(&s, 1), uleb(&s, 2), uleb(&s, 0), str(&s, "a"), uleb(&s, 4), str(&s, "z");
    u8(&n, 2), uleb(&n, s.n), put(&n, s.b, s.n);
    section(o, 0, &n);
}

static void range_is(const weft_module *m, mod_range r, const uint8_t *bytes, size_t n)
{
    assert_int_equal(r.end - r.start, n);
    assert_memory_equal(m->bytes + r.start, bytes, n);
}

#define RANGE_IS(m, r, ...) \
    range_is((m), (r), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void test_sample_fields(void **state)
{
    weft_engine *e = *state;
    buf o = { .n = 0 };
    size_t names_at;
    sample(&o, &names_at);
    weft_error err;
    weft_module *m = decode(e, &o, &err);
    if (!m)
        fail_msg("%s at %llu", err.message, (unsigned long long)err.offset);
    assert_int_equal(m->size, o.n);
    assert_int_equal(atomic_load(&m->refs), 1);

    assert_int_equal(m->ntypes, 3);
    assert_int_equal(m->types[0].nparams, 2);
    assert_int_equal(m->types[0].nresults, 1);
    assert_int_equal(mod_params(&m->types[0])[1], VT_I64);
    assert_int_equal(mod_results(&m->types[0])[0], VT_F32);
    assert_int_equal(m->types[1].nparams + m->types[1].nresults, 0);
    assert_int_equal(mod_params(&m->types[2])[0], VT_V128);
    assert_int_equal(mod_params(&m->types[2])[2], VT_EXTERNREF);
    assert_int_equal(mod_results(&m->types[2])[0], VT_F64);

    assert_int_equal(m->nimports, 3);
    assert_string_equal(m->imports[0].module.data, "env");
    assert_int_equal(m->imports[1].kind, EXT_TABLE);
    assert_int_equal(m->imports[2].name.len, 3);
    assert_string_equal(m->imports[2].name.data, "g\xC3\xA9");
    assert_int_equal(m->imports[2].index, 0);

    assert_int_equal(m->nfuncs, 3);
    assert_int_equal(m->nfunc_imports, 1);
    assert_int_equal(m->func_types[0], 1);
    assert_int_equal(m->func_types[1], 0);
    assert_int_equal(m->func_types[2], 1);
    assert_int_equal(mod_func_type(m, 1)->nparams, 2);

    assert_int_equal(m->ntables, 2);
    assert_int_equal(m->ntable_imports, 1);
    assert_int_equal(m->tables[0].elem, VT_FUNCREF);
    assert_true(m->tables[0].limits.has_max);
    assert_int_equal(m->tables[0].limits.max, 10);
    assert_int_equal(m->tables[1].elem, VT_EXTERNREF);
    assert_int_equal(m->tables[1].limits.min, 3);
    assert_false(m->tables[1].limits.has_max);

    assert_int_equal(m->nmemories, 1);
    assert_int_equal(m->nmemory_imports, 0);
    assert_true(m->memories[0].shared);
    assert_true(m->memories[0].has_max);
    assert_false(m->memories[0].is64);
    assert_int_equal(m->memories[0].min, 1);
    assert_int_equal(m->memories[0].max, 2);

    assert_int_equal(m->nglobals, 4);
    assert_int_equal(m->nglobal_imports, 1);
    assert_int_equal(m->globals[0].type.type, VT_I32);
    assert_false(m->globals[0].type.mutable_);
    assert_true(m->globals[1].type.mutable_);
    RANGE_IS(m, m->globals[1].init, 0x41, 42, 0x0B);
    assert_int_equal(m->globals[2].type.type, VT_FUNCREF);
    RANGE_IS(m, m->globals[2].init, 0xD2, 1, 0x0B);
    RANGE_IS(m, m->globals[3].init, 0x23, 0, 0x0B);

    assert_int_equal(m->nexports, 4);
    assert_string_equal(m->exports[1].name.data, "mem");
    assert_int_equal(m->exports[1].kind, EXT_MEMORY);
    assert_int_equal(m->exports[3].kind, EXT_GLOBAL);
    assert_int_equal(m->exports[3].index, 1);

    assert_true(m->has_start);
    assert_int_equal(m->start, 2);

    assert_int_equal(m->nelems, 8);
    const mod_elem *el = m->elems;
    assert_int_equal(el[0].mode, SEG_ACTIVE);
    assert_int_equal(el[0].table, 0);
    RANGE_IS(m, el[0].offset, 0x41, 0, 0x0B);
    assert_int_equal(el[0].count, 2);
    assert_non_null(el[0].funcs);
    assert_null(el[0].exprs);
    assert_int_equal(el[0].funcs[1], 1);
    assert_int_equal(el[1].mode, SEG_PASSIVE);
    assert_int_equal(el[1].funcs[0], 2);
    assert_int_equal(el[2].mode, SEG_ACTIVE);
    RANGE_IS(m, el[2].offset, 0x41, 1, 0x0B);
    assert_int_equal(el[3].mode, SEG_DECLARATIVE);
    assert_int_equal(el[3].type, VT_FUNCREF);
    assert_int_equal(el[4].mode, SEG_ACTIVE);
    assert_null(el[4].funcs);
    assert_int_equal(el[4].count, 2);
    RANGE_IS(m, el[4].exprs[0], 0xD2, 0, 0x0B);
    RANGE_IS(m, el[4].exprs[1], 0xD0, 0x70, 0x0B);
    assert_int_equal(el[5].mode, SEG_PASSIVE);
    assert_int_equal(el[5].type, VT_EXTERNREF);
    assert_int_equal(el[6].mode, SEG_ACTIVE);
    assert_int_equal(el[6].table, 1);
    assert_int_equal(el[6].type, VT_EXTERNREF);
    assert_int_equal(el[7].mode, SEG_DECLARATIVE);
    assert_int_equal(el[7].type, VT_FUNCREF);
    RANGE_IS(m, el[7].exprs[0], 0xD2, 2, 0x0B);
    for (int i = 1; i < 8; i++)
        assert_true(el[i].offset_in_module > el[i - 1].offset_in_module);

    assert_true(m->has_data_count);
    assert_int_equal(m->data_count, 3);

    assert_int_equal(m->ncodes, 2);
    assert_int_equal(m->codes[0].ngroups, 2);
    assert_int_equal(m->codes[0].nlocals, 4);
    assert_int_equal(m->codes[0].groups[0].count, 3);
    assert_int_equal(m->codes[0].groups[1].type, VT_F64);
    RANGE_IS(m, m->codes[0].body, 0x43, 0, 0, 0, 0, 0x0B);
    assert_null(atomic_load(&m->codes[0].code));
    assert_int_equal(m->codes[1].nlocals, 0);
    RANGE_IS(m, m->codes[1].body, 0x0B);
    assert_int_equal(m->bytes[m->codes[1].offset], 2); /* the entry's size field */

    assert_int_equal(m->ndatas, 3);
    assert_int_equal(m->datas[0].mode, SEG_ACTIVE);
    RANGE_IS(m, m->datas[0].bytes, 'h', 'i');
    assert_int_equal(m->datas[1].mode, SEG_PASSIVE);
    RANGE_IS(m, m->datas[1].bytes, 'a', 'b', 'c');
    assert_int_equal(m->datas[2].memory, 0);
    RANGE_IS(m, m->datas[2].offset, 0x41, 8, 0x0B);
    assert_int_equal(m->datas[2].bytes.end, m->datas[2].bytes.start);

    assert_int_equal(m->ncustoms, 2);
    assert_string_equal(m->customs[0].name.data, "xyzw");
    assert_int_equal(m->customs[0].contents.start, m->customs[0].contents.end);
    assert_string_equal(m->customs[1].name.data, "name");
    assert_int_equal(m->customs[1].contents.end, o.n);

    assert_string_equal(m->names.module.data, "sample");
    assert_string_equal(m->names.funcs[0].data, "imp");
    assert_null(m->names.funcs[1].data);
    assert_string_equal(m->names.funcs[2].data, "start");
    assert_null(m->names.locals[0]);
    assert_int_equal(m->names.nlocals[1], 5);
    assert_string_equal(m->names.locals[1][0].data, "a");
    assert_null(m->names.locals[1][2].data);
    assert_string_equal(m->names.locals[1][4].data, "z");
    assert_null(m->func_declared);

    assert_string_equal(weft_module_func_name(m, 2), "start");
    assert_null(weft_module_func_name(m, 1));
    assert_null(weft_module_func_name(m, 99));
    mod_release(m);
}

/* The public queries, through weft_module_new (decoder and validator). */
static void test_module_queries(void **state)
{
    weft_engine *e = *state;
    buf o = { .n = 0 };
    size_t names_at;
    sample(&o, &names_at);
    weft_error err;
    weft_module *m = NULL;
    if (weft_module_new(e, o.b, o.n, &m, &err) != WEFT_OK)
        fail_msg("%s at %llu", err.message, (unsigned long long)err.offset);
    assert_int_equal(weft_module_import_count(m), 3);
    weft_import_desc im;
    weft_module_import(m, 2, &im);
    assert_int_equal(im.kind, WEFT_EXTERN_GLOBAL);
    assert_int_equal(im.name.len, 3);
    assert_memory_equal(im.module.data, "env", 4);
    weft_limits lim;
    assert_false(weft_module_import_memory_limits(m, 0, &lim));
    assert_int_equal(weft_module_export_count(m), 4);
    weft_export_desc ex;
    weft_module_export(m, 2, &ex);
    assert_int_equal(ex.kind, WEFT_EXTERN_TABLE);
    assert_string_equal(ex.name.data, "tab");
    assert_string_equal(weft_module_func_name(m, 0), "imp");
    /* Reference counting: an extra reference keeps the module alive. */
    mod_retain(m);
    weft_module_free(m);
    assert_int_equal(weft_module_export_count(m), 4);
    mod_release(m);

    /* A malformed module fails with its offset and nothing to free. */
    o.b[0] = 'X';
    m = (weft_module *)&o; /* must be overwritten */
    assert_int_equal(weft_module_new(e, o.b, o.n, &m, &err), WEFT_MALFORMED);
    assert_null(m);
    assert_int_equal(err.code, WEFT_E_BAD_MAGIC);
    assert_int_equal(err.offset, 0);
    assert_int_equal(weft_module_validate(e, o.b, 8, &err), WEFT_MALFORMED);

    /* A memory import's limits. */
    buf s = { .n = 0 };
    o.n = 0;
    header(&o);
    uleb(&s, 1), str(&s, "env"), str(&s, "memory"), BYTES(&s, 0x02, 0x03, 2, 16);
    section(&o, 2, &s);
    assert_int_equal(weft_module_new(e, o.b, o.n, &m, &err), WEFT_OK);
    assert_true(weft_module_import_memory_limits(m, 0, &lim));
    assert_int_equal(lim.min, 2);
    assert_int_equal(lim.max, 16);
    assert_true(lim.has_max && lim.shared);
    assert_false(weft_module_import_memory_limits(m, 1, &lim));
    weft_module_free(m);
}

/* Every proper prefix fails with an offset inside it, except those that
 * end at a section boundary where the module is complete. */
static void test_truncation(void **state)
{
    weft_engine *e = *state;
    buf full = { .n = 0 };
    size_t names_at;
    sample(&full, &names_at);
    for (size_t len = 0; len < full.n; len++) {
        buf o = full;
        o.n = len;
        weft_error err;
        weft_module *m = decode(e, &o, &err);
        if (m) {
            bool complete = false;
            for (size_t i = 0; i < ncomplete_prefix; i++)
                complete |= complete_prefix[i] == len;
            if (!complete)
                fail_msg("prefix of %zu bytes accepted", len);
            assert_null(m->names.funcs);
            mod_release(m);
            continue;
        }
        if (err.status != WEFT_MALFORMED)
            fail_msg("prefix of %zu: %s", len, err.message);
        assert_true(err.offset <= len);
        assert_true(strlen(err.message) > 0);
    }
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random corruption never crashes, leaks or over-allocates, and every
 * failure is a malformed module with an offset. */
static void test_corruption(void **state)
{
    weft_engine *e = *state;
    buf full = { .n = 0 };
    size_t names_at;
    sample(&full, &names_at);
    unsigned accepted = 0;
    for (uint64_t seed = 1; seed <= 20000; seed++) {
        uint64_t rng = seed * 0x9E3779B97F4A7C15ull;
        buf o = full;
        unsigned flips = 1 + xorshift(&rng) % 4;
        for (unsigned i = 0; i < flips; i++) {
            size_t at = 8 + xorshift(&rng) % (o.n - 8);
            uint64_t how = xorshift(&rng);
            o.b[at] = (how & 1) ? (uint8_t)(how >> 8) : (uint8_t)(o.b[at] ^ (1u << ((how >> 8) % 8)));
        }
        stats.largest = 0;
        weft_error err;
        weft_module *m = decode(e, &o, &err);
        assert_true(stats.largest <= 64 * o.n + 4096);
        if (m) {
            accepted++;
            mod_release(m);
        } else {
            if (err.status != WEFT_MALFORMED)
                fail_msg("seed %llu: %s", (unsigned long long)seed, err.message);
            assert_true(err.offset <= o.n);
        }
    }
    /* Some corruptions (inside data, names, bodies) still decode. */
    assert_true(accepted > 0);
}

/* A count of 0xFFFFFFFF fails at once without allocating for it. */
static void test_huge_counts(void **state)
{
    weft_engine *e = *state;
    static const uint8_t ids[] = { 1, 2, 3, 4, 5, 6, 7, 9, 10, 11 };
    for (size_t i = 0; i < WEFT_ARRAY_LEN(ids); i++) {
        buf o = { .n = 0 };
        header(&o);
        BYTES(&o, ids[i], 5, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F);
        stats.largest = 0;
        expect_error(e, &o, WEFT_E_LENGTH_OUT_OF_BOUNDS);
        assert_true(stats.largest < 4096);
    }
    /* Huge counts inside an entry: params, locals groups, a name, elements. */
    buf o = { .n = 0 }, s = { .n = 0 };
    header(&o);
    BYTES(&s, 1, 0x60, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0);
    section(&o, 1, &s);
    stats.largest = 0;
    expect_error(e, &o, WEFT_E_LENGTH_OUT_OF_BOUNDS);
    assert_true(stats.largest < 4096);

    o.n = 0, s.n = 0;
    header(&o);
    BYTES(&o, 3, 2, 1, 0); /* (no type section: the decoder does not care) */
    BYTES(&s, 1, 7, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x0B);
    section(&o, 10, &s);
    stats.largest = 0;
    expect_error(e, &o, WEFT_E_LENGTH_OUT_OF_BOUNDS);
    assert_true(stats.largest < 4096);

    /* 2^32-1 locals decode (the count is kept, not expanded); 2^32 do not. */
    o.n = 0, s.n = 0;
    header(&o);
    BYTES(&o, 3, 2, 1, 0);
    BYTES(&s, 1, 8, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x0B);
    section(&o, 10, &s);
    weft_error err;
    stats.largest = 0;
    weft_module *m = decode(e, &o, &err);
    assert_non_null(m);
    assert_int_equal(m->codes[0].nlocals, UINT32_MAX);
    assert_true(stats.largest < 4096);
    mod_release(m);
    o.n = 0, s.n = 0;
    header(&o);
    BYTES(&o, 3, 2, 1, 0);
    BYTES(&s, 1, 14, 2, 0x80, 0x80, 0x80, 0x80, 0x08, 0x7F, 0x80, 0x80, 0x80, 0x80, 0x08, 0x7E, 0x0B);
    section(&o, 10, &s);
    expect_error(e, &o, WEFT_E_TOO_MANY_LOCALS);
}

/* One import whose field name is the given bytes. */
static void import_named(buf *o, const uint8_t *name, size_t n)
{
    buf s = { .n = 0 };
    o->n = 0;
    header(o);
    BYTES(&s, 1, 1, 'm');
    uleb(&s, n);
    put(&s, name, n);
    BYTES(&s, 0x03, 0x7F, 0x00);
    section(o, 2, &s);
}

static void test_utf8(void **state)
{
    weft_engine *e = *state;
    static const struct {
        uint8_t b[4];
        size_t n;
        bool ok;
    } cases[] = {
        { { 'a', 'b' }, 2, true },
        { { 0xC2, 0x80 }, 2, true },             /* U+0080 */
        { { 0xED, 0x9F, 0xBF }, 3, true },       /* U+D7FF */
        { { 0xEE, 0x80, 0x80 }, 3, true },       /* U+E000 */
        { { 0xF0, 0x9F, 0x98, 0x80 }, 4, true }, /* U+1F600 */
        { { 0xF4, 0x8F, 0xBF, 0xBF }, 4, true }, /* U+10FFFF */
        { { 0xC0, 0x80 }, 2, false },            /* overlong NUL */
        { { 0xC1, 0xBF }, 2, false },            /* overlong U+007F */
        { { 0xE0, 0x9F, 0xBF }, 3, false },      /* overlong U+07FF */
        { { 0xF0, 0x8F, 0xBF, 0xBF }, 4, false },/* overlong U+FFFF */
        { { 0xED, 0xA0, 0x80 }, 3, false },      /* surrogate U+D800 */
        { { 0xED, 0xBF, 0xBF }, 3, false },      /* surrogate U+DFFF */
        { { 0xF4, 0x90, 0x80, 0x80 }, 4, false },/* U+110000 */
        { { 0xF8, 0x88, 0x80, 0x80 }, 4, false },/* five-byte lead */
        { { 0xE2, 0x82 }, 2, false },            /* truncated */
        { { 0x80 }, 1, false },                  /* lone continuation */
        { { 0xC2, 0x41 }, 2, false },            /* bad continuation */
        { { 0xFF }, 1, false },
    };
    for (size_t i = 0; i < WEFT_ARRAY_LEN(cases); i++) {
        buf o;
        import_named(&o, cases[i].b, cases[i].n);
        weft_error err;
        weft_module *m = decode(e, &o, &err);
        if (cases[i].ok) {
            if (!m)
                fail_msg("case %zu rejected: %s", i, err.message);
            assert_int_equal(m->imports[0].name.len, cases[i].n);
            mod_release(m);
        } else {
            if (m) {
                mod_release(m);
                fail_msg("case %zu accepted", i);
            }
            assert_int_equal(err.code, WEFT_E_BAD_UTF8);
            assert_int_equal(err.offset, 13); /* the name's length field */
        }
    }
}

static void test_module_structure(void **state)
{
    weft_engine *e = *state;
    buf o = { .n = 0 }, s = { .n = 0 };
    static const buf empty = { { 0 }, 1 }; /* a count of zero */

    o.n = 0;
    BYTES(&o, 0x00, 0x61, 0x73);
    expect_error(e, &o, WEFT_E_UNEXPECTED_END);
    o.n = 0;
    BYTES(&o, 0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00);
    expect_error(e, &o, WEFT_E_BAD_VERSION);

    o.n = 0; /* section id 13 */
    header(&o);
    BYTES(&o, 13, 0);
    expect_error(e, &o, WEFT_E_BAD_SECTION_ID);

    o.n = 0; /* type after function: out of order */
    header(&o);
    section(&o, 3, &empty), section(&o, 1, &empty);
    expect_error(e, &o, WEFT_E_JUNK_AFTER_LAST_SECTION);

    o.n = 0; /* a repeated section */
    header(&o);
    section(&o, 7, &empty), section(&o, 7, &empty);
    expect_error(e, &o, WEFT_E_JUNK_AFTER_LAST_SECTION);

    o.n = 0; /* data count after code */
    header(&o);
    section(&o, 10, &empty), section(&o, 12, &empty);
    expect_error(e, &o, WEFT_E_JUNK_AFTER_LAST_SECTION);

    o.n = 0; /* data count between element and code, custom sections anywhere */
    header(&o);
    s.n = 0, BYTES(&s, 1, 'c');
    section(&o, 0, &s), section(&o, 9, &empty), section(&o, 0, &s);
    section(&o, 12, &empty), section(&o, 0, &s), section(&o, 10, &empty), section(&o, 11, &empty);
    weft_error err;
    weft_module *m = decode(e, &o, &err);
    if (!m)
        fail_msg("%s", err.message);
    assert_int_equal(m->ncustoms, 3);
    mod_release(m);

    o.n = 0; /* a section bigger than its contents */
    header(&o);
    BYTES(&o, 1, 2, 0, 0);
    expect_error(e, &o, WEFT_E_SECTION_SIZE);
    o.n = 0; /* a section size past the end */
    header(&o);
    BYTES(&o, 1, 9, 0);
    expect_error(e, &o, WEFT_E_LENGTH_OUT_OF_BOUNDS);

    o.n = 0; /* functions without code */
    header(&o);
    s.n = 0, BYTES(&s, 1, 0);
    section(&o, 3, &s);
    expect_error(e, &o, WEFT_E_FUNC_CODE_MISMATCH);

    o.n = 0; /* data count 2, one segment */
    header(&o);
    s.n = 0, BYTES(&s, 2);
    section(&o, 12, &s);
    s.n = 0, BYTES(&s, 1, 1, 0);
    section(&o, 11, &s);
    expect_error(e, &o, WEFT_E_DATA_COUNT_MISMATCH);

    o.n = 0; /* a custom section whose name runs past its size */
    header(&o);
    BYTES(&o, 0, 1, 4, 'a', 'b', 'c', 'd');
    expect_error(e, &o, WEFT_E_UNEXPECTED_END_SECTION);

    o.n = 0; /* unknown import and export kinds, mutability, types */
    header(&o);
    s.n = 0, BYTES(&s, 1, 0, 0, 4, 0);
    section(&o, 2, &s);
    expect_error(e, &o, WEFT_E_BAD_IMPORT_KIND);
    o.n = 0;
    header(&o);
    s.n = 0, BYTES(&s, 1, 0, 4, 0);
    section(&o, 7, &s);
    expect_error(e, &o, WEFT_E_BAD_EXPORT_KIND);
    o.n = 0;
    header(&o);
    s.n = 0, BYTES(&s, 1, 0x7F, 2, 0x41, 0, 0x0B);
    section(&o, 6, &s);
    expect_error(e, &o, WEFT_E_BAD_MUTABILITY);
    o.n = 0;
    header(&o);
    s.n = 0, BYTES(&s, 1, 0x61, 0, 0);
    section(&o, 1, &s);
    expect_error(e, &o, WEFT_E_BAD_FUNCTYPE);
    o.n = 0;
    header(&o);
    s.n = 0, BYTES(&s, 1, 0xE0, 0x7F, 0, 0);
    section(&o, 1, &s);
    expect_error(e, &o, WEFT_E_INT_TOO_LONG);
    o.n = 0;
    header(&o);
    s.n = 0, BYTES(&s, 1, 0x60, 1, 0x7A, 0);
    section(&o, 1, &s);
    expect_error(e, &o, WEFT_E_BAD_REFTYPE);
}

static void test_limits_and_segments(void **state)
{
    weft_engine *e = *state;
    buf o, s;
    /* Each flag decodes only under the features it needs (a flag not allowed
     * is a 1-bit LEB128 that is too large, as in the 2.0 core suite). */
    static const struct {
        uint8_t flags;
        bool shared, has_max, is64;
        uint32_t needs;
    } mems[] = {
        { 0x00, false, false, false, 0 },
        { 0x01, false, true, false, 0 },
        { 0x02, true, false, false, WEFT_FEATURE_THREADS },
        { 0x03, true, true, false, WEFT_FEATURE_THREADS },
        { 0x04, false, false, true, WEFT_FEATURE_MEMORY64 },
        { 0x07, true, true, true, WEFT_FEATURE_THREADS | WEFT_FEATURE_MEMORY64 },
    };
    static const uint32_t feature_sets[] = {
        WEFT_FEATURES_DEFAULT, /* the engine of `state` */
        WEFT_FEATURE_MULTI_TABLE,
        WEFT_FEATURE_THREADS | WEFT_FEATURE_MEMORY64,
    };
    for (size_t f = 0; f < WEFT_ARRAY_LEN(feature_sets); f++) {
        weft_config c;
        weft_config_init(&c);
        c.features = feature_sets[f];
        weft_engine *fe;
        assert_int_equal(weft_engine_new(&c, &fe, NULL), WEFT_OK);
        for (size_t i = 0; i < WEFT_ARRAY_LEN(mems); i++) {
            o.n = 0, s.n = 0;
            header(&o);
            BYTES(&s, 1, mems[i].flags, 1);
            if (mems[i].has_max)
                BYTES(&s, 0x80, 0x80, 0x04); /* 65536 in a padded form */
            section(&o, 5, &s);
            if ((mems[i].needs & ~feature_sets[f]) != 0) {
                expect_error(fe, &o, WEFT_E_INT_TOO_LARGE);
                continue;
            }
            weft_error err;
            weft_module *m = decode(fe, &o, &err);
            if (!m)
                fail_msg("flags %u, features %u: %s", mems[i].flags, feature_sets[f], err.message);
            assert_int_equal(m->memories[0].shared, mems[i].shared);
            assert_int_equal(m->memories[0].has_max, mems[i].has_max);
            assert_int_equal(m->memories[0].is64, mems[i].is64);
            assert_int_equal(m->memories[0].max, mems[i].has_max ? 65536 : 0);
            mod_release(m);
        }
        weft_engine_free(fe);
    }
    o.n = 0, s.n = 0;
    header(&o);
    BYTES(&s, 1, 0x08, 1);
    section(&o, 5, &s);
    expect_error(e, &o, WEFT_E_INT_TOO_LARGE);
    o.n = 0, s.n = 0;
    header(&o);
    BYTES(&s, 1, 0x80, 0x00, 1);
    section(&o, 5, &s);
    expect_error(e, &o, WEFT_E_INT_TOO_LONG);
    o.n = 0, s.n = 0; /* tables cannot be shared */
    header(&o);
    BYTES(&s, 1, 0x70, 0x02, 1);
    section(&o, 4, &s);
    expect_error(e, &o, WEFT_E_INT_TOO_LARGE);
    o.n = 0, s.n = 0; /* u32 memory limits */
    header(&o);
    BYTES(&s, 1, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10);
    section(&o, 5, &s);
    expect_error(e, &o, WEFT_E_INT_TOO_LARGE);

    o.n = 0, s.n = 0; /* element flags 8 */
    header(&o);
    BYTES(&s, 1, 8);
    section(&o, 9, &s);
    expect_error(e, &o, WEFT_E_BAD_SEGMENT_FLAGS);
    o.n = 0, s.n = 0; /* element kind other than funcref */
    header(&o);
    BYTES(&s, 1, 1, 0x01, 0);
    section(&o, 9, &s);
    expect_error(e, &o, WEFT_E_BAD_ELEM_KIND);
    o.n = 0, s.n = 0; /* data flags 3 */
    header(&o);
    BYTES(&s, 1, 3);
    section(&o, 11, &s);
    expect_error(e, &o, WEFT_E_BAD_SEGMENT_FLAGS);

    /* Constant expressions: an unknown opcode is malformed, a non-constant
     * one is left to the validator, nested blocks are skipped whole. */
    o.n = 0, s.n = 0;
    header(&o);
    BYTES(&s, 1, 0x7F, 0, 0x06, 0x0B);
    section(&o, 6, &s);
    expect_error(e, &o, WEFT_E_ILLEGAL_OPCODE);
    o.n = 0, s.n = 0;
    header(&o);
    BYTES(&s, 1, 0x7F, 0, 0xFC, 0x7F, 0x0B);
    section(&o, 6, &s);
    expect_error(e, &o, WEFT_E_ILLEGAL_OPCODE);
    o.n = 0, s.n = 0;
    header(&o);
    BYTES(&s, 1, 0x7F, 0, 0x3F, 0x01, 0x0B); /* memory.size with a non-zero byte */
    section(&o, 6, &s);
    expect_error(e, &o, WEFT_E_ZERO_BYTE);
    o.n = 0, s.n = 0;
    header(&o);
    BYTES(&s, 1, 0x7F, 0, 0x02, 0x40, 0x41, 1, 0x0B, 0x6A, 0x0B);
    section(&o, 6, &s);
    weft_error err;
    weft_module *m = decode(e, &o, &err);
    if (!m)
        fail_msg("%s", err.message);
    RANGE_IS(m, m->globals[0].init, 0x02, 0x40, 0x41, 1, 0x0B, 0x6A, 0x0B);
    mod_release(m);
    o.n = 0, s.n = 0; /* an expression that never ends */
    header(&o);
    BYTES(&s, 1, 0x7F, 0, 0x41, 1);
    section(&o, 6, &s);
    expect_error(e, &o, WEFT_E_UNEXPECTED_END_SECTION);
}

/* A module with two functions and the given name section contents. */
static weft_module *with_names(weft_engine *e, const buf *names)
{
    buf o = { .n = 0 }, s = { .n = 0 }, n = { .n = 0 };
    header(&o);
    BYTES(&s, 1, 0x60, 1, 0x7F, 0);
    section(&o, 1, &s);
    s.n = 0, BYTES(&s, 2, 0, 0);
    section(&o, 3, &s);
    s.n = 0, BYTES(&s, 2, 2, 0, 0x0B, 4, 1, 2, 0x7E, 0x0B);
    section(&o, 10, &s);
    str(&n, "name");
    put(&n, names->b, names->n);
    section(&o, 0, &n);
    weft_error err;
    weft_module *m = decode(e, &o, &err);
    if (!m)
        fail_msg("a name section made the module fail: %s", err.message);
    return m;
}

static void test_name_section(void **state)
{
    weft_engine *e = *state;
    buf n = { .n = 0 };

    /* Well formed: function 1 named, local 2 of function 1 named, and an
     * unknown subsection (labels, id 3) skipped. */
    BYTES(&n, 1, 5, 1, 1, 2, 'f', '1');
    BYTES(&n, 2, 6, 1, 1, 1, 2, 1, 'x');
    BYTES(&n, 3, 2, 0xAA, 0xBB);
    weft_module *m = with_names(e, &n);
    assert_null(m->names.module.data);
    assert_null(weft_module_func_name(m, 0));
    assert_string_equal(weft_module_func_name(m, 1), "f1");
    assert_int_equal(m->names.nlocals[1], 3);
    assert_string_equal(m->names.locals[1][2].data, "x");
    mod_release(m);

    static const struct {
        uint8_t b[16];
        size_t n;
    } bad[] = {
        { { 1, 4, 1, 0, 1, 0xC0 }, 6 },            /* bad UTF-8 */
        { { 1, 5, 1, 7, 2, 'f', '7' }, 7 },       /* no function 7 */
        { { 1, 7, 2, 0, 1, 'a', 0, 1, 'b' }, 9 }, /* function 0 named twice */
        { { 1, 9, 1, 0, 1, 'a' }, 6 },             /* subsection size past the end */
        { { 1, 2, 1, 0 }, 4 },                     /* entry truncated */
        { { 1, 3, 0, 0xAA, 0xBB }, 5 },            /* subsection size mismatch */
        { { 1, 1, 0, 0, 1, 0 }, 6 },               /* function names before module name */
        { { 2, 5, 1, 1, 1, 3, 0 }, 7 },            /* function 1 has no local 3 */
        { { 2, 7, 1, 1, 2, 1, 0, 0, 0 }, 9 },      /* local indices not increasing */
        { { 4 }, 1 },                              /* missing subsection size */
    };
    for (size_t i = 0; i < WEFT_ARRAY_LEN(bad); i++) {
        n.n = 0;
        BYTES(&n, 0, 3, 2, 'm', 'n'); /* a good module name first */
        put(&n, bad[i].b, bad[i].n);
        m = with_names(e, &n);
        if (m->names.module.data || m->names.funcs || m->names.locals)
            fail_msg("malformed name section %zu was kept", i);
        assert_null(weft_module_func_name(m, 0));
        mod_release(m);
    }

    /* An index beyond the function's locals drops the section, and
     * allocates nothing for it. */
    n.n = 0;
    BYTES(&n, 2, 9, 1, 1, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0);
    stats.largest = 0;
    m = with_names(e, &n); /* function 1 has 3 locals: index 2^32-1 is malformed */
    assert_null(m->names.locals);
    assert_true(stats.largest < 4096);
    mod_release(m);
}

/* Validation errors about sections other than code name the byte where the
 * decoder found the offending entry: a second memory's limits, a duplicate
 * export's entry, the start section's function index. */
static void test_error_offsets(void **state)
{
    weft_engine *e = *state;
    weft_error err;
    buf o = {.n = 0}, c = {.n = 0};

    header(&o);
    BYTES(&c, 2, 0x00, 0x01, 0x00, 0x01); /* two memories: multi-memory is not 2.0 */
    section(&o, 5, &c);
    size_t second = o.n - 2;
    assert_int_equal(weft_module_new(e, o.b, o.n, &(weft_module *){NULL}, &err), WEFT_INVALID);
    assert_int_equal(err.code, WEFT_E_MULTIPLE_MEMORIES);
    assert_int_equal(err.offset, second);

    o.n = c.n = 0;
    header(&o);
    BYTES(&c, 1, 0x00, 0x01);
    section(&o, 5, &c);
    c.n = 0;
    uleb(&c, 2), str(&c, "m"), BYTES(&c, 0x02, 0x00);
    size_t dup = o.n + 2 + c.n;
    str(&c, "m"), BYTES(&c, 0x02, 0x00);
    section(&o, 7, &c);
    assert_int_equal(weft_module_new(e, o.b, o.n, &(weft_module *){NULL}, &err), WEFT_INVALID);
    assert_int_equal(err.code, WEFT_E_DUPLICATE_EXPORT);
    assert_int_equal(err.offset, dup);

    o.n = c.n = 0;
    header(&o);
    BYTES(&c, 1, 0x60, 0x01, 0x7F, 0x00); /* (i32) -> () cannot start a module */
    section(&o, 1, &c);
    c.n = 0, BYTES(&c, 1, 0x00);
    section(&o, 3, &c);
    c.n = 0, BYTES(&c, 0x00);
    section(&o, 8, &c);
    size_t start = o.n - 1;
    c.n = 0, BYTES(&c, 1, 2, 0x00, 0x0B);
    section(&o, 10, &c);
    assert_int_equal(weft_module_new(e, o.b, o.n, &(weft_module *){NULL}, &err), WEFT_INVALID);
    assert_int_equal(err.code, WEFT_E_BAD_START);
    assert_int_equal(err.offset, start);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sample_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_module_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corruption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_module_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_and_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_section, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_offsets, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_validate_order.c -- which error weft_module_new reports when several
 * function bodies are wrong.  The validator checks large modules' bodies on
 * two threads and decodes and types each body in one pass; whatever the
 * timing, the result must be the serial, reference-interpreter one: the first
 * malformed body anywhere beats every invalid one, else the first invalid body
 * by index.  Modules are built as bytes: N bodies of K nops each, some with a
 * typing error (i32.const 0 before `end`: a value left on the stack) or a
 * malformed byte (0xFF, "illegal opcode") patched in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "weft.h"

enum { PLAIN, INVALID, MALFORMED, INVALID_THEN_MALFORMED };

typedef struct tbin {
    uint8_t *p;
    size_t n, cap;
    uint64_t *bad_at; /* per function: offset of the error it holds */
} tbin;

static void put(tbin *b, uint8_t x)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 4096;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    b->p[b->n++] = x;
}

static void uleb(tbin *b, uint64_t v)
{
    do {
        uint8_t x = v & 0x7F;
        v >>= 7;
        put(b, x | (v ? 0x80 : 0));
    } while (v);
}

/* Bytes of a LEB128 of v. */
static size_t uleb_len(uint64_t v)
{
    size_t n = 1;
    while (v >>= 7)
        n++;
    return n;
}

/* A module of n functions [] -> [] of k nops each; kinds[i] says what is
 * wrong with function i.  b->bad_at[i] gets the offset of its error. */
static void build(tbin *b, uint32_t n, uint32_t k, const uint8_t *kinds)
{
    memset(b, 0, sizeof *b);
    b->bad_at = calloc(n, sizeof *b->bad_at);
    assert_non_null(b->bad_at);
    static const uint8_t head[] = { 0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0 };
    for (size_t i = 0; i < sizeof head; i++)
        put(b, head[i]);
    put(b, 3);
    uleb(b, uleb_len(n) + n);
    uleb(b, n);
    for (uint32_t i = 0; i < n; i++)
        put(b, 0);
    /* Body: 0 local groups, k nops, [i32.const 0], end. */
    uint64_t body = 1 + (uint64_t)k + 2 + 1;
    uint64_t entry = uleb_len(body) + body;
    put(b, 10);
    uleb(b, uleb_len(n) + n * entry);
    uleb(b, n);
    for (uint32_t i = 0; i < n; i++) {
        uleb(b, body);
        put(b, 0);
        size_t nops = b->n;
        for (uint32_t j = 0; j < k; j++)
            put(b, 0x01);
        if (kinds[i] == INVALID || kinds[i] == INVALID_THEN_MALFORMED) {
            put(b, 0x41);
            put(b, 0x00);
        } else {
            put(b, 0x01);
            put(b, 0x01);
        }
        b->bad_at[i] = b->n; /* the `end` that finds the stray value */
        put(b, 0x0B);
        if (kinds[i] == MALFORMED) {
            b->p[nops + k / 2] = 0xFF;
            b->bad_at[i] = nops + k / 2;
        } else if (kinds[i] == INVALID_THEN_MALFORMED) {
            /* A typing error first (drop of nothing), a malformed byte after it:
             * the malformed one is the error, as the reference decodes first. */
            b->p[nops] = 0x1A;
            b->p[nops + k - 1] = 0xFF;
            b->bad_at[i] = nops + k - 1;
        }
    }
}

/* weft_module_new on the module; returns its status, *err the error. */
static weft_status load(const tbin *b, weft_error *err)
{
    weft_engine *e = NULL;
    memset(err, 0, sizeof *err);
    assert_int_equal(weft_engine_new(NULL, &e, err), WEFT_OK);
    weft_module *m = NULL;
    weft_status st = weft_module_new(e, b->p, b->n, &m, err);
    if (m)
        weft_module_free(m);
    weft_engine_free(e);
    return st;
}

/* Large enough (> 1 MiB of code) that the bodies are split between threads. */
enum { N = 300, K = 4000 };

/* Builds the module with the given wrong functions, loads it `rounds` times
 * and checks each time that the error is function `expect`'s. */
static void expect_error(uint32_t n, uint32_t k, const uint32_t *funcs, const uint8_t *what,
                         size_t count, uint32_t expect, weft_code code, int rounds)
{
    uint8_t *kinds = calloc(n, 1);
    assert_non_null(kinds);
    for (size_t i = 0; i < count; i++)
        kinds[funcs[i]] = what[i];
    tbin b;
    build(&b, n, k, kinds);
    for (int r = 0; r < rounds; r++) {
        weft_error err;
        assert_int_equal(load(&b, &err), weft_code_status(code));
        assert_int_equal(err.code, code);
        assert_int_equal(err.offset, b.bad_at[expect]);
    }
    free(kinds);
    free(b.bad_at);
    free(b.p);
}

static void test_valid(void **state)
{
    (void)state;
    uint8_t *kinds = calloc(N, 1);
    tbin b;
    build(&b, N, K, kinds);
    weft_error err;
    assert_int_equal(load(&b, &err), WEFT_OK);
    free(kinds);
    free(b.bad_at);
    free(b.p);
}

static void test_first_invalid_wins(void **state)
{
    (void)state;
    /* Both in the upper half, in the lower half only, one in each half. */
    const uint8_t inv[2] = { INVALID, INVALID };
    const uint32_t upper[2] = { N - 40, N - 10 };
    const uint32_t lower[2] = { 3, 20 };
    const uint32_t both[2] = { 5, N - 5 };
    expect_error(N, K, upper, inv, 2, N - 40, WEFT_E_TYPE_MISMATCH, 10);
    expect_error(N, K, lower, inv, 2, 3, WEFT_E_TYPE_MISMATCH, 10);
    expect_error(N, K, both, inv, 2, 5, WEFT_E_TYPE_MISMATCH, 10);
    /* Only the upper half's last function. */
    const uint32_t last[1] = { N - 1 };
    expect_error(N, K, last, inv, 1, N - 1, WEFT_E_TYPE_MISMATCH, 5);
}

static void test_malformed_beats_invalid(void **state)
{
    (void)state;
    const uint32_t fs[2] = { 5, N - 5 };
    const uint8_t inv_mal[2] = { INVALID, MALFORMED };
    const uint8_t mal_inv[2] = { MALFORMED, INVALID };
    /* Invalid early, malformed late (other thread): the malformed one. */
    expect_error(N, K, fs, inv_mal, 2, N - 5, WEFT_E_ILLEGAL_OPCODE, 10);
    expect_error(N, K, fs, mal_inv, 2, 5, WEFT_E_ILLEGAL_OPCODE, 10);
    /* In one body: a typing error before a malformed byte. */
    const uint32_t one[1] = { 7 };
    const uint8_t both[1] = { INVALID_THEN_MALFORMED };
    expect_error(N, K, one, both, 1, 7, WEFT_E_ILLEGAL_OPCODE, 5);
    /* The same rules in a small module, checked on one thread. */
    const uint32_t small[2] = { 1, 6 };
    expect_error(8, 10, small, inv_mal, 2, 6, WEFT_E_ILLEGAL_OPCODE, 1);
    expect_error(8, 10, small, mal_inv, 2, 1, WEFT_E_ILLEGAL_OPCODE, 1);
    const uint8_t inv[2] = { INVALID, INVALID };
    expect_error(8, 10, small, inv, 2, 1, WEFT_E_TYPE_MISMATCH, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_first_invalid_wins),
        cmocka_unit_test(test_malformed_beats_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

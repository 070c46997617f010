/*
 * test_fuzz_cases.c -- text the reader (text/wat.h) must reject cleanly, each
 * case a bug that tests/fuzz/fuzz_text.c found: blocks and folded
 * instructions nested past the reader's bound fail with a positioned error
 * instead of overflowing the native stack, and errors in the middle of a
 * type leak nothing (the leaks show under ASan, which CI runs this under).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text/wat.h"
#include "weft.h"

/* The reader's bound on nesting (text/instr.c, MAX_NESTING). */
enum { LIMIT = 10000 };

static char err[512];

/* prefix, `open` n times, `close` n times, then `suffix`. */
static char *nested_text(const char *prefix, const char *open, const char *close, size_t n,
                         const char *suffix, size_t *len)
{
    size_t pl = strlen(prefix), ol = strlen(open), cl = strlen(close), sl = strlen(suffix);
    char *s = malloc(pl + n * (ol + cl) + sl + 1);
    assert_non_null(s);
    char *p = s;
    memcpy(p, prefix, pl), p += pl;
    for (size_t k = 0; k < n; k++)
        memcpy(p, open, ol), p += ol;
    for (size_t k = 0; k < n; k++)
        memcpy(p, close, cl), p += cl;
    memcpy(p, suffix, sl + 1), p += sl;
    *len = (size_t)(p - s);
    return s;
}

/* Nested n deep: fails with `want` when n is past the limit, else reads
 * into a module that weft accepts. */
static void nesting(const char *prefix, const char *open, const char *close, size_t n,
                    const char *suffix, const char *want)
{
    size_t len;
    char *text = nested_text(prefix, open, close, n, suffix, &len);
    uint8_t *out = NULL;
    size_t out_len;
    bool ok = wat_to_wasm(text, len, "t.wat", NULL, &out, &out_len, err, sizeof err);
    free(text);
    if (want) {
        assert_false(ok);
        if (strcmp(err, want))
            fail_msg("error '%s', want '%s'", err, want);
        return;
    }
    if (!ok)
        fail_msg("%zu levels of '%s': %s", n, open, err);
    weft_engine *engine;
    weft_error e;
    assert_int_equal(weft_engine_new(NULL, &engine, &e), WEFT_OK);
    weft_module *m;
    if (weft_module_new(engine, out, out_len, &m, &e) != WEFT_OK)
        fail_msg("%zu levels of '%s': %s", n, open, e.message);
    weft_module_free(m);
    weft_engine_free(engine);
    free(out);
}

static void deep_folded_blocks(void **state)
{
    (void)state;
    nesting("(module (func ", "(block ", ")", LIMIT, "))", NULL);
    /* the first block past the limit: column 15 + 7 * LIMIT */
    nesting("(module (func ", "(block ", ")", LIMIT + 1, "))",
            "t.wat:1:70015: blocks and folded instructions nested deeper than 10000");
    nesting("(module (func ", "(block ", ")", 100000, "))",
            "t.wat:1:70015: blocks and folded instructions nested deeper than 10000");
}

static void deep_flat_blocks(void **state)
{
    (void)state;
    nesting("(module (func ", "loop ", "end ", LIMIT, "))", NULL);
    nesting("(module (func ", "block ", "end ", 100000, "))",
            "t.wat:1:60015: blocks and folded instructions nested deeper than 10000");
    /* flat blocks and folded ones count together: the 10,001st is the folded
     * block of the 5,000th pair, at column 22 + 13 * 4999 + 6 */
    nesting("(module (func (block ", "block (block ", ") end ", 50000, "))",
            "t.wat:1:65015: blocks and folded instructions nested deeper than 10000");
}

static void deep_folded_instructions(void **state)
{
    (void)state;
    nesting("(module (func (result i32) (i32.const 0) ", "(i32.eqz ", ")", LIMIT - 1, "))",
            NULL);
    /* column 28 + 23 * 10000 */
    nesting("(module (func (result i32) ", "(if (result i32) (then ", "))", 100000,
            "))", "t.wat:1:230028: blocks and folded instructions nested deeper than 10000");
    /* a constant expression: the 10,001st level is the (i32.const 1) inside
     * the 10,000th add, at column 21 + 23 * 9999 + 9 */
    nesting("(module (global i32 ", "(i32.add (i32.const 1) ", ")", 100000, "))",
            "t.wat:1:230007: blocks and folded instructions nested deeper than 10000");
}

static void fails(const char *text, const char *want)
{
    uint8_t *out;
    size_t len;
    assert_false(wat_to_wasm(text, strlen(text), "t.wat", NULL, &out, &len, err, sizeof err));
    if (strcmp(err, want))
        fail_msg("error '%s', want '%s'", err, want);
}

static void errors_inside_types_leak_nothing(void **state)
{
    (void)state;
    /* an unknown supertype after a known one */
    fails("(module (type $a (sub (func))) (type (sub $a $nope (func))))",
          "t.wat:1:46: unknown type $nope");
    /* a named parameter after an unnamed one where names are not allowed */
    fails("(module (table 1 funcref) (func\n"
          "  (call_indirect (param i32) (param $x i32) (i32.const 0) (i32.const 0))))",
          "t.wat:2:37: unexpected token: a named parameter here");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(errors_inside_types_leak_nothing),
        cmocka_unit_test(deep_folded_blocks),
        cmocka_unit_test(deep_flat_blocks),
        cmocka_unit_test(deep_folded_instructions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

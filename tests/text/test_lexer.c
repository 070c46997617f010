/*
 * test_lexer.c -- the text format's tokens (text/lexer.h), its number
 * literals (text/num.h) with their edge cases, errors with their positions,
 * and a few 3.0 encodings that the 2.0 cross-check (crosscheck.c) cannot
 * see.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text/lexer.h"
#include "text/num.h"
#include "text/wat.h"

static char err[512];

static wat_tokens lex_ok(const char *text)
{
    wat_tokens t;
    if (!wat_lex(text, strlen(text), "t.wat", &t, err, sizeof err))
        fail_msg("lex failed: %s", err);
    return t;
}

static void lex_fails(const char *text, const char *want)
{
    wat_tokens t;
    assert_false(wat_lex(text, strlen(text), "t.wat", &t, err, sizeof err));
    if (strncmp(err, want, strlen(want)))
        fail_msg("error '%s', want '%s...'", err, want);
}

static void tokens_and_positions(void **state)
{
    (void)state;
    wat_tokens t = lex_ok("(module $x\n  \"a\\n\" 12 -1.5 nan:0x1 i32.const ;; c\n  #r)");
    static const wat_tok_kind kinds[] = {WAT_LPAR,   WAT_KEYWORD, WAT_ID,     WAT_STRING,
                                         WAT_NUMBER, WAT_NUMBER,  WAT_KEYWORD, WAT_KEYWORD,
                                         WAT_RESERVED, WAT_RPAR,  WAT_EOF};
    assert_int_equal(t.count, 11);
    for (size_t k = 0; k < 11; k++)
        assert_int_equal(t.tok[k].kind, kinds[k]);
    assert_int_equal(t.tok[2].data_len, 1);
    assert_memory_equal(t.tok[2].data, "x", 1);
    assert_int_equal(t.tok[3].line, 2);
    assert_int_equal(t.tok[3].col, 3);
    assert_int_equal(t.tok[3].data_len, 2);
    assert_memory_equal(t.tok[3].data, "a\n", 2);
    assert_int_equal(t.tok[8].line, 3);
    assert_int_equal(t.tok[8].col, 3);
    assert_true(wat_is_keyword(&t.tok[7], "i32.const"));
    wat_tokens_free(&t);
}

static void comments_and_annotations(void **state)
{
    (void)state;
    wat_tokens t = lex_ok("(; a (; nested ;) b ;)(@custom \"x\" (a (b \")\")))\n"
                          ";; line\n(func(;x;)$f)");
    assert_int_equal(t.count, 5);
    assert_int_equal(t.tok[0].kind, WAT_LPAR);
    assert_true(wat_is_keyword(&t.tok[1], "func"));
    assert_int_equal(t.tok[1].line, 3);
    assert_int_equal(t.tok[2].kind, WAT_ID);
    wat_tokens_free(&t);
    /* a carriage return alone ends a line comment too */
    t = lex_ok(";; line\r(func)");
    assert_int_equal(t.count, 4);
    wat_tokens_free(&t);
    lex_fails("(func)\n  (; open (; ;)", "t.wat:2:3: unterminated block comment");
    lex_fails("(@a (b)", "t.wat:1:8: unterminated annotation");
}

static void strings_and_ids(void **state)
{
    (void)state;
    wat_tokens t = lex_ok("\"\\t\\n\\r\\\"\\'\\\\\\41\\u{1F600}\\u{e9}\\ff\" $\"a b\" $\"\\u{e9}\"");
    static const uint8_t want[] = "\t\n\r\"'\\A\xF0\x9F\x98\x80\xC3\xA9\xFF";
    assert_int_equal(t.tok[0].data_len, sizeof want - 1);
    assert_memory_equal(t.tok[0].data, want, sizeof want - 1);
    assert_int_equal(t.tok[1].kind, WAT_ID);
    assert_int_equal(t.tok[1].data_len, 3);
    assert_memory_equal(t.tok[1].data, "a b", 3);
    assert_memory_equal(t.tok[2].data, "\xC3\xA9", 2);
    wat_tokens_free(&t);
    t = lex_ok("a\"b\"");
    assert_int_equal(t.tok[0].kind, WAT_RESERVED);
    wat_tokens_free(&t);
    lex_fails("(data \"ab\xC3\x28\")", "t.wat:1:10: malformed UTF-8 encoding");
    lex_fails("\"\xED\xA0\x80\"", "t.wat:1:2: malformed UTF-8 encoding"); /* a surrogate */
    lex_fails("\"\\u{D800}\"", "t.wat:1:2: escape of a surrogate");
    lex_fails("\"\\u{110000}\"", "t.wat:1:2: escape beyond U+10FFFF");
    lex_fails("\"\\x\"", "t.wat:1:2: unknown escape");
    lex_fails("(x\n \"abc", "t.wat:2:2: unterminated string");
    lex_fails("\"a\tb\"", "t.wat:1:3: control character");
    lex_fails("$\"\"", "t.wat:1:1: empty identifier");
    lex_fails("$\"\\ff\"", "t.wat:1:1: malformed UTF-8 encoding in identifier");
    lex_fails("(func \x01)", "t.wat:1:7: unexpected character");
}

static uint64_t int_ok(const char *s, unsigned bits)
{
    uint64_t v;
    const char *e = wat_num_int(s, strlen(s), bits, &v);
    if (e)
        fail_msg("%s: %s", s, e);
    return v;
}

static void int_fails(const char *s, unsigned bits, const char *want)
{
    uint64_t v;
    const char *e = wat_num_int(s, strlen(s), bits, &v);
    if (!e || strcmp(e, want))
        fail_msg("%s: got %s, want %s", s, e ? e : "no error", want);
}

static void integers(void **state)
{
    (void)state;
    assert_int_equal(int_ok("4294967295", 32), 0xFFFFFFFFu);
    assert_int_equal(int_ok("-2147483648", 32), 0x80000000u);
    assert_int_equal(int_ok("-1", 32), 0xFFFFFFFFu);
    assert_int_equal(int_ok("0xffff_ffff", 32), 0xFFFFFFFFu);
    assert_int_equal(int_ok("1_000_000", 32), 1000000);
    assert_int_equal(int_ok("+0x7fffffff", 32), 0x7FFFFFFF);
    assert_int_equal(int_ok("-128", 8), 0x80);
    assert_int_equal(int_ok("255", 8), 0xFF);
    assert_true(int_ok("18446744073709551615", 64) == UINT64_MAX);
    assert_true(int_ok("-9223372036854775808", 64) == UINT64_C(1) << 63);
    int_fails("4294967296", 32, "constant out of range");
    int_fails("-2147483649", 32, "constant out of range");
    int_fails("256", 8, "constant out of range");
    int_fails("18446744073709551616", 64, "constant out of range");
    int_fails("-9223372036854775809", 64, "constant out of range");
    int_fails("_1", 32, "malformed number");
    int_fails("1_", 32, "malformed number");
    int_fails("1__0", 32, "malformed number");
    int_fails("0x_1", 32, "malformed number");
    int_fails("0x", 32, "malformed number");
    int_fails("1.0", 32, "malformed number");
    int_fails("--1", 32, "malformed number");
    uint64_t v;
    assert_null(wat_num_nat("0x10", 4, UINT32_MAX, &v));
    assert_int_equal(v, 16);
    assert_non_null(wat_num_nat("-1", 2, UINT32_MAX, &v));
    assert_non_null(wat_num_nat("4294967296", 10, UINT32_MAX, &v));
}

static uint32_t f32_ok(const char *s)
{
    uint32_t v;
    const char *e = wat_num_f32(s, strlen(s), &v);
    if (e)
        fail_msg("%s: %s", s, e);
    return v;
}

static uint64_t f64_ok(const char *s)
{
    uint64_t v;
    const char *e = wat_num_f64(s, strlen(s), &v);
    if (e)
        fail_msg("%s: %s", s, e);
    return v;
}

static void f32_fails(const char *s, const char *want)
{
    uint32_t v;
    const char *e = wat_num_f32(s, strlen(s), &v);
    if (!e || strcmp(e, want))
        fail_msg("%s: got %s, want %s", s, e ? e : "no error", want);
}

static void floats_f32(void **state)
{
    (void)state;
    assert_int_equal(f32_ok("0x1.fffffep127"), 0x7F7FFFFF);
    assert_int_equal(f32_ok("1.5"), 0x3FC00000);
    assert_int_equal(f32_ok("-0"), 0x80000000);
    assert_int_equal(f32_ok("-0.0"), 0x80000000);
    assert_int_equal(f32_ok("-0x0p0"), 0x80000000);
    assert_int_equal(f32_ok("+0x1p0"), 0x3F800000);
    assert_int_equal(f32_ok("1.e1"), 0x41200000);
    assert_int_equal(f32_ok("1_0.2_5e0_1"), f32_ok("102.5"));
    /* decimal: one ulp above 1 is 1 + 2^-23; exactly half way rounds to
     * even, a hair above rounds up */
    assert_int_equal(f32_ok("1.000000059604644775390625"), 0x3F800000);
    assert_int_equal(f32_ok("1.00000005960464477550"), 0x3F800001);
    /* hex: the same ties, with mantissas longer than 64 bits */
    assert_int_equal(f32_ok("0x1.000001p0"), 0x3F800000);
    assert_int_equal(f32_ok("0x1.000003p0"), 0x3F800002);
    assert_int_equal(f32_ok("0x1.00000100000000000000000000000001p0"), 0x3F800001);
    assert_int_equal(f32_ok("0x1000001000000000000000000000000.1p-120"), 0x3F800001);
    assert_int_equal(f32_ok("0x1.fffffefffffffffffffffp127"), 0x7F7FFFFF);
    /* subnormals and underflow */
    assert_int_equal(f32_ok("0x1p-149"), 1);
    assert_int_equal(f32_ok("0x1p-150"), 0);
    assert_int_equal(f32_ok("0x1.0000000000000000001p-150"), 1);
    assert_int_equal(f32_ok("0x1.8p-149"), 2);
    assert_int_equal(f32_ok("0x1p-126"), 0x00800000);
    assert_int_equal(f32_ok("0x0.fffffffp-126"), 0x00800000);
    assert_int_equal(f32_ok("1e-50"), 0);
    /* inf and nan */
    assert_int_equal(f32_ok("inf"), 0x7F800000);
    assert_int_equal(f32_ok("-inf"), 0xFF800000);
    assert_int_equal(f32_ok("nan"), 0x7FC00000);
    assert_int_equal(f32_ok("-nan"), 0xFFC00000);
    assert_int_equal(f32_ok("nan:0x200000"), 0x7FA00000);
    assert_int_equal(f32_ok("+nan:0x7f_ffff"), 0x7FFFFFFF);
    f32_fails("nan:0x0", "constant out of range");
    f32_fails("nan:0x800000", "constant out of range");
    f32_fails("0x1.ffffffp127", "constant out of range");
    f32_fails("1e39", "constant out of range");
    f32_fails("1e", "malformed number");
    f32_fails("0x.1p0", "malformed number");
    f32_fails("1._5", "malformed number");
    f32_fails("1.5_", "malformed number");
    f32_fails("0x1p", "malformed number");
    f32_fails("infinity", "malformed number");
    f32_fails("nan:1", "malformed number");
}

static void floats_f64(void **state)
{
    (void)state;
    assert_true(f64_ok("0.1") == UINT64_C(0x3FB999999999999A));
    assert_true(f64_ok("0x1p-1074") == 1);
    assert_true(f64_ok("0x1p-1075") == 0);
    assert_true(f64_ok("0x0.8000000000000000000001p-1074") == 1);
    assert_true(f64_ok("0x1.fffffffffffffp1023") == UINT64_C(0x7FEFFFFFFFFFFFFF));
    assert_true(f64_ok("0x1.00000000000008p0") == UINT64_C(0x3FF0000000000000));
    assert_true(f64_ok("0x1.00000000000018p0") == UINT64_C(0x3FF0000000000002));
    assert_true(f64_ok("0x1.000000000000080000000001p0") == UINT64_C(0x3FF0000000000001));
    assert_true(f64_ok("nan:0xf_ffff_ffff_ffff") == UINT64_C(0x7FFFFFFFFFFFFFFF));
    assert_true(f64_ok("-nan") == UINT64_C(0xFFF8000000000000));
    assert_true(f64_ok("-0") == UINT64_C(0x8000000000000000));
    assert_true(f64_ok("1.7976931348623157e308") == UINT64_C(0x7FEFFFFFFFFFFFFF));
    uint64_t v;
    assert_non_null(wat_num_f64("0x1.fffffffffffff8p1023", 23, &v));
    assert_non_null(wat_num_f64("1e309", 5, &v));
    assert_non_null(wat_num_f64("nan:0x10000000000000", 20, &v));
}

/* ---- modules: errors and encodings ---- */

static void wat_fails(const char *text, const char *want)
{
    uint8_t *out;
    size_t len;
    assert_false(wat_to_wasm(text, strlen(text), "t.wat", NULL, &out, &len, err, sizeof err));
    if (strncmp(err, want, strlen(want)))
        fail_msg("error '%s', want '%s...'", err, want);
}

static void errors_with_positions(void **state)
{
    (void)state;
    wat_fails("(module\n  (func (result i32)\n    (i32.add (i32.const 1))\n    (foo)))",
              "t.wat:4:6: expected an instruction, found 'foo'");
    wat_fails("(module (func (call $nope)))", "t.wat:1:21: unknown function $nope");
    wat_fails("(module (func (br $l)))", "t.wat:1:19: unknown label $l");
    wat_fails("(module (func (i32.const 4294967296)))", "t.wat:1:26: constant out of range");
    wat_fails("(module (func (f32.const 1x)))", "t.wat:1:26: expected an f32 literal, found '1x'");
    wat_fails("(module (func $f) (func $f))", "t.wat:1:25: duplicate function $f");
    wat_fails("(module (func (local $x i32) (local $x i64)))", "t.wat:1:37: duplicate local $x");
    wat_fails("(module (func) (import \"a\" \"b\" (func)))", "t.wat:1:24: import after a definition");
    wat_fails("(module (func block $a end $b))", "t.wat:1:28: mismatching label");
    wat_fails("(module (memory 1) (func (i32.load align=3 (i32.const 0))))",
              "t.wat:1:36: alignment must be a power of two");
    wat_fails("(module (func)", "t.wat:1:15: expected ')', found the end of the text");
    wat_fails("(module (fun))", "t.wat:1:10: expected a module field");
    wat_fails("(module) (module)", "t.wat:1:10: expected the end of the text");
}

static void module_bytes(const char *text, const uint8_t *want, size_t want_len)
{
    uint8_t *out;
    size_t len;
    wat_options opt = {.names = false};
    if (!wat_to_wasm(text, strlen(text), "t.wat", &opt, &out, &len, err, sizeof err))
        fail_msg("%s", err);
    if (len != want_len || memcmp(out, want, len)) {
        for (size_t k = 0; k < len; k++)
            fprintf(stderr, "%02x ", out[k]);
        fprintf(stderr, "\n");
        fail_msg("bytes differ");
    }
    free(out);
}

#define MODULE_BYTES(text, ...)                                                              \
    do {                                                                                     \
        static const uint8_t want_[] = {0, 'a', 's', 'm', 1, 0, 0, 0, __VA_ARGS__};          \
        module_bytes(text, want_, sizeof want_);                                             \
    } while (0)

static void encodings_3_0(void **state)
{
    (void)state;
    /* tail call: return_call 0 */
    MODULE_BYTES("(func $f return_call $f)", 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 6, 1, 4, 0,
                 0x12, 0, 0x0B);
    /* a struct and an array type, a rec group of two */
    MODULE_BYTES("(type $s (struct (field $x i32) (field (mut i8)))) (type (array (mut f64)))"
                 "(rec (type (sub (func))) (type (sub final 2 (func))))",
                 1, 23, 3, 0x5F, 2, 0x7F, 0, 0x78, 1, 0x5E, 0x7C, 1, 0x4E, 2, 0x50, 0, 0x60, 0,
                 0, 0x4F, 1, 2, 0x60, 0, 0);
    /* exception handling: a tag, throw, try_table with catch and catch_all */
    MODULE_BYTES("(tag $e) (func (block $l (try_table (catch $e $l) (catch_all $l) (throw $e))))",
                 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 13, 3, 1, 0, 0, 10, 18, 1, 16, 0, 0x02, 0x40,
                 0x1F, 0x40, 2, 0, 0, 0, 2, 0, 0x08, 0, 0x0B, 0x0B, 0x0B);
    /* memory64 limits, a second memory and a load from it */
    MODULE_BYTES("(memory i64 1 2) (memory $m 1) (func (drop (i32.load $m offset=8 (i64.const 0))))",
                 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 5, 6, 2, 0x05, 1, 2, 0, 1, 10, 11, 1, 9, 0,
                 0x42, 0, 0x28, 0x42, 1, 8, 0x1A, 0x0B);
    /* typed references: (ref null $t) locals, call_ref, ref.as_non_null */
    MODULE_BYTES("(type $t (func)) (func (param (ref null $t)) (call_ref $t (ref.as_non_null (local.get 0))))",
                 1, 9, 2, 0x60, 0, 0, 0x60, 1, 0x63, 0, 0, 3, 2, 1, 1, 10, 9, 1, 7, 0, 0x20, 0,
                 0xD4, 0x14, 0, 0x0B);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokens_and_positions), cmocka_unit_test(comments_and_annotations),
        cmocka_unit_test(strings_and_ids),      cmocka_unit_test(integers),
        cmocka_unit_test(floats_f32),           cmocka_unit_test(floats_f64),
        cmocka_unit_test(errors_with_positions), cmocka_unit_test(encodings_3_0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

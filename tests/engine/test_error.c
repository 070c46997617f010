/*
 * test_error.c -- names from a module reach a terminal only escaped
 * (engine/error.c): a backtrace's function names (name section) and the
 * import and export names that messages quote.  Control characters (C0,
 * DEL, C1), the bidirectional overrides, and bytes that are not UTF-8 become
 * \xNN or \u{N}; every other character stays as it is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "support/wasm_builder.h"
#include "weft.h"

static const char hostile[] = "f\x1b[31mred\a\x7f\xc2\x85\xe2\x80\xaeX\xc3\xa9";
static const char escaped[] = "f\\x1b[31mred\\x07\\x7f\\u{85}\\u{202e}X\xc3\xa9";

/* (func (export "f") unreachable) named `hostile` in the name section, and,
 * with `import`, a function import env.<hostile> before it. */
static size_t build(uint8_t *out, bool import)
{
    buf w = {.n = 0}, s;
    header(&w);
    s.n = 0;
    put(&s, "\x01\x60\x00\x00", 4); /* one type: [] -> [] */
    section(&w, 1, &s);
    if (import) {
        s.n = 0;
        u8(&s, 1);
        str(&s, "env");
        str(&s, hostile);
        put(&s, "\x00\x00", 2); /* a function of type 0 */
        section(&w, 2, &s);
    }
    s.n = 0;
    put(&s, "\x01\x00", 2); /* one function of type 0 */
    section(&w, 3, &s);
    s.n = 0;
    u8(&s, 1);
    str(&s, "f");
    put(&s, "\x00", 1);
    u8(&s, import ? 1 : 0); /* the defined function */
    section(&w, 7, &s);
    s.n = 0;
    put(&s, "\x01\x03\x00\x00\x0b", 5); /* a body: no locals, unreachable, end */
    section(&w, 10, &s);
    /* The name section: subsection 1 (function names), one entry. */
    buf names = {.n = 0}, sub = {.n = 0};
    u8(&sub, 1);
    u8(&sub, import ? 1 : 0);
    str(&sub, hostile);
    str(&names, "name");
    u8(&names, 1);
    u8(&names, (uint8_t)sub.n);
    put(&names, sub.b, sub.n);
    section(&w, 0, &names);
    memcpy(out, w.b, w.n);
    return w.n;
}

/* No byte of text is a control character (below 0x20 but newline, DEL, or
 * the C1 range as UTF-8 0xC2 0x80..0x9F). */
static void assert_no_controls(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p < 0x20 && *p != '\n') || *p == 0x7F || (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F))
            fail_msg("raw control byte 0x%02x at %zu in: %s", *p, (size_t)(p - (const unsigned char *)text), text);
    }
}

static void test_backtrace_names_escaped(void **state)
{
    (void)state;
    uint8_t bytes[2048];
    size_t n = build(bytes, false);
    weft_engine *e;
    weft_module *m;
    weft_instance *inst;
    weft_error err;
    assert_int_equal(weft_engine_new(NULL, &e, &err), WEFT_OK);
    assert_int_equal(weft_module_new(e, bytes, n, &m, &err), WEFT_OK);
    assert_int_equal(weft_instance_new(m, NULL, 0, &inst, &err), WEFT_OK);
    weft_extern x;
    assert_true(weft_instance_export(inst, "f", 1, &x));
    assert_int_equal(weft_call(x.of.func, NULL, 0, NULL, 0, &err), WEFT_TRAP);
    assert_true(err.nframes >= 1);
    /* The API hands out the name as the module has it ... */
    assert_string_equal(err.frames[0].name, hostile);
    /* ... and the formatted text escapes it. */
    char text[1024];
    weft_error_format(&err, text, sizeof text);
    assert_no_controls(text);
    if (!strstr(text, escaped))
        fail_msg("backtrace without the escaped name: %s", text);
    weft_instance_free(inst);
    weft_module_free(m);
    weft_engine_free(e);
}

static void test_import_names_escaped(void **state)
{
    (void)state;
    uint8_t bytes[2048];
    size_t n = build(bytes, true);
    weft_engine *e;
    weft_module *m;
    weft_instance *inst = NULL;
    weft_error err;
    assert_int_equal(weft_engine_new(NULL, &e, &err), WEFT_OK);
    assert_int_equal(weft_module_new(e, bytes, n, &m, &err), WEFT_OK);
    assert_int_not_equal(weft_instance_new(m, NULL, 0, &inst, &err), WEFT_OK);
    assert_no_controls(err.message);
    if (!strstr(err.message, escaped))
        fail_msg("message without the escaped import name: %s", err.message);
    weft_module_free(m);
    weft_engine_free(e);
}

/* A host's detail text goes through the same escaping: bytes that are not
 * UTF-8 too, and only whole escapes are kept when the message is full. */
static void test_detail_escaped_and_cut_whole(void **state)
{
    (void)state;
    weft_error err;
    weft_error_set(&err, WEFT_E_BAD_ARGUMENT, "%s", "a\xff\xc3(b\x1b");
    assert_no_controls(err.message);
    assert_non_null(strstr(err.message, "a\\xff\\xc3(b\\x1b"));
    char longer[600];
    memset(longer, '\x01', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    weft_error_set(&err, WEFT_E_BAD_ARGUMENT, "%s", longer);
    size_t len = strlen(err.message);
    assert_true(len < sizeof err.message);
    /* The escapes after the wording are all whole: "\x01" four bytes each. */
    size_t wording = strlen(weft_code_text(WEFT_E_BAD_ARGUMENT));
    assert_memory_equal(err.message, weft_code_text(WEFT_E_BAD_ARGUMENT), wording);
    const char *d = err.message + wording + 1;
    assert_int_equal(strlen(d) % 4, 0);
    for (; *d; d += 4)
        assert_memory_equal(d, "\\x01", 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backtrace_names_escaped),
        cmocka_unit_test(test_import_names_escaped),
        cmocka_unit_test(test_detail_escaped_and_cut_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

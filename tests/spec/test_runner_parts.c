/*
 * test_runner_parts.c -- unit tests of the spec runner's own parts: the JSON
 * reader and the value matching.  A bug here would make spec results lie,
 * so they are tested apart from any engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "values_json.h"

static json *parse(const char *text)
{
    char err[128];
    return json_parse(text, strlen(text), err, sizeof err);
}

static void test_json_structure(void **state)
{
    (void)state;
    json *doc = parse(" {\"commands\": [ {\"type\": \"module\", \"line\": 3},"
                      " {\"type\": \"register\", \"as\": \"M\"} ], \"ok\": true, \"n\": null} ");
    assert_non_null(doc);
    const json *cmds = json_get(doc, "commands");
    assert_int_equal(json_len(cmds), 2);
    assert_string_equal(json_get_str(json_at(cmds, 0), "type"), "module");
    assert_true(json_get(json_at(cmds, 0), "line")->number == 3.0);
    assert_string_equal(json_get_str(json_at(cmds, 1), "as"), "M");
    assert_null(json_at(cmds, 2));
    assert_true(json_get(doc, "ok")->boolean);
    assert_int_equal(json_get(doc, "n")->kind, JSON_NULL);
    assert_null(json_get(doc, "missing"));
    json_free(doc);
}

static void test_json_escapes(void **state)
{
    (void)state;
    /* NUL, a two-byte and a three-byte character, a surrogate pair. */
    json *doc = parse("[\"a\\u0000b\\u00e9\\u20ac\\ud83d\\ude00\\n\\\"\"]");
    assert_non_null(doc);
    const json *s = json_at(doc, 0);
    static const char want[] = "a\0b\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\n\"";
    assert_int_equal(s->len, sizeof want - 1);
    assert_memory_equal(s->str, want, sizeof want - 1);
    json_free(doc);
}

static void test_json_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "{", "[1,]", "{\"a\" 1}", "\"abc", "[\"\\x\"]", "[1] 2", "[\"\\u12\"]", "tru",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[128] = "";
        json *v = json_parse(bad[i], strlen(bad[i]), err, sizeof err);
        assert_null(v);
        assert_true(strncmp(err, "at byte ", 8) == 0);
    }
}

static val_expect expect(const char *text)
{
    json *doc = parse(text);
    assert_non_null(doc);
    val_expect e;
    char why[128];
    assert_true(val_parse_expect(doc, &e, why, sizeof why));
    json_free(doc);
    return e;
}

static void test_values_floats(void **state)
{
    (void)state;
    val_expect canon = expect("{\"type\": \"f32\", \"value\": \"nan:canonical\"}");
    val_expect arith = expect("{\"type\": \"f64\", \"value\": \"nan:arithmetic\"}");
    val_expect bits = expect("{\"type\": \"f32\", \"value\": \"2143289345\"}");
    weft_val f = {.kind = WEFT_F32};
    f.of.f32_bits = 0xFFC00000u; /* negative canonical NaN */
    assert_true(val_matches(&canon, &f));
    f.of.f32_bits = 0x7FC00001u; /* arithmetic, not canonical */
    assert_false(val_matches(&canon, &f));
    assert_true(val_matches(&bits, &f));
    f.of.f32_bits = 0x7FC00000u;
    assert_false(val_matches(&bits, &f));
    weft_val d = {.kind = WEFT_F64};
    d.of.f64_bits = UINT64_C(0x7FF8000000000123);
    assert_true(val_matches(&arith, &d));
    d.of.f64_bits = UINT64_C(0x7FF0000000000123); /* signalling NaN */
    assert_false(val_matches(&arith, &d));
    assert_false(val_matches(&canon, &d)); /* wrong kind */
}

static void test_values_v128_and_refs(void **state)
{
    (void)state;
    val_expect v = expect("{\"type\": \"v128\", \"lane_type\": \"i16\", \"value\":"
                          " [\"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"65535\"]}");
    weft_val got = {.kind = WEFT_V128};
    for (int i = 0; i < 7; i++)
        got.of.v128[2 * i] = (uint8_t)(i + 1);
    got.of.v128[14] = 0xFF;
    got.of.v128[15] = 0xFF;
    assert_true(val_matches(&v, &got));
    got.of.v128[15] = 0x7F;
    assert_false(val_matches(&v, &got));

    val_expect lanes = expect("{\"type\": \"v128\", \"lane_type\": \"f32\", \"value\":"
                              " [\"nan:canonical\", \"0\", \"0\", \"1065353216\"]}");
    weft_val f = {.kind = WEFT_V128};
    memcpy(f.of.v128, (uint8_t[]){0, 0, 0xC0, 0x7F}, 4);
    memcpy(f.of.v128 + 12, (uint8_t[]){0, 0, 0x80, 0x3F}, 4);
    assert_true(val_matches(&lanes, &f));
    f.of.v128[0] = 1;
    assert_false(val_matches(&lanes, &f));

    val_expect ext = expect("{\"type\": \"externref\", \"value\": \"0\"}");
    val_expect null = expect("{\"type\": \"externref\", \"value\": \"null\"}");
    weft_val r = {.kind = WEFT_EXTERNREF};
    r.of.externref = val_extern_ref(0);
    assert_true(val_matches(&ext, &r));
    assert_false(val_matches(&null, &r));
    r.of.externref = NULL;
    assert_true(val_matches(&null, &r));
    assert_false(val_matches(&ext, &r));
}

static void test_values_args(void **state)
{
    (void)state;
    json *doc = parse("[{\"type\": \"i32\", \"value\": \"4294967295\"},"
                      " {\"type\": \"i64\", \"value\": \"9223372036854775808\"},"
                      " {\"type\": \"i32\", \"value\": \"4294967296\"},"
                      " {\"type\": \"f32\", \"value\": \"nan:canonical\"}]");
    weft_val a;
    char why[128];
    assert_true(val_parse_arg(json_at(doc, 0), &a, why, sizeof why));
    assert_int_equal(a.of.i32, -1);
    assert_true(val_parse_arg(json_at(doc, 1), &a, why, sizeof why));
    assert_true(a.of.i64 == INT64_MIN);
    assert_false(val_parse_arg(json_at(doc, 2), &a, why, sizeof why)); /* too wide */
    assert_false(val_parse_arg(json_at(doc, 3), &a, why, sizeof why)); /* not a value */
    json_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_structure),   cmocka_unit_test(test_json_escapes),
        cmocka_unit_test(test_json_errors),      cmocka_unit_test(test_values_floats),
        cmocka_unit_test(test_values_v128_and_refs), cmocka_unit_test(test_values_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

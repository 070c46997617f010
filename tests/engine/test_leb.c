/*
 * test_leb.c -- the LEB128 readers of engine/reader.h: every edge of u32,
 * s32, s33, u64 and s64 (largest and smallest values, zero-padded and
 * sign-padded long forms, bad bits in the last byte, overlong and truncated
 * encodings), with the spec's wording and the offset of the bad byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/reader.h"

typedef struct leb_case {
    uint8_t bytes[12];
    size_t len;
    weft_code code;   /* WEFT_E_NONE when the read must succeed */
    uint64_t value;   /* expected value (sign-extended bits for signed reads) */
    uint64_t offset;  /* where the error points */
} leb_case;

#define OK(v, ...) { { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), WEFT_E_NONE, (uint64_t)(v), 0 }
#define BAD(code, off, ...) { { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), WEFT_E_##code, 0, off }

/* Reads one LEB128 of `bits` from the case's bytes; the reader's range ends
 * exactly after them, so a missing byte is "unexpected end". */
static void check(const leb_case *c, size_t ncases, unsigned bits, bool is_signed)
{
    for (size_t i = 0; i < ncases; i++) {
        weft_error err;
        memset(&err, 0, sizeof err);
        reader r = { c[i].bytes, c[i].bytes, c[i].bytes + c[i].len, &err, WEFT_E_UNEXPECTED_END };
        weft_status st;
        uint64_t got;
        if (is_signed) {
            int64_t s;
            st = rd_sleb(&r, bits, &s);
            got = (uint64_t)s;
        } else {
            st = rd_uleb(&r, bits, &got);
        }
        if (c[i].code == WEFT_E_NONE) {
            if (st != WEFT_OK)
                fail_msg("case %zu (%u bits): unexpected error %s", i, bits, err.message);
            assert_int_equal(got, c[i].value);
            assert_ptr_equal(r.p, r.end); /* every byte consumed */
        } else {
            if (st != WEFT_MALFORMED)
                fail_msg("case %zu (%u bits): accepted, value 0x%llx", i, bits,
                         (unsigned long long)got);
            if (err.code != c[i].code)
                fail_msg("case %zu (%u bits): got \"%s\"", i, bits, err.message);
            assert_int_equal(err.offset, c[i].offset);
            assert_string_equal(err.message, weft_code_text(c[i].code));
        }
    }
}

static void test_u32(void **state)
{
    (void)state;
    static const leb_case cases[] = {
        OK(0, 0x00),
        OK(127, 0x7F),
        OK(128, 0x80, 0x01),
        OK(624485, 0xE5, 0x8E, 0x26),
        OK(UINT32_MAX, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F),
        OK(0x80000000u, 0x80, 0x80, 0x80, 0x80, 0x08),
        /* Zero padding up to five bytes is allowed. */
        OK(0, 0x80, 0x00),
        OK(0, 0x80, 0x80, 0x80, 0x80, 0x00),
        OK(2, 0x82, 0x80, 0x80, 0x80, 0x00),
        /* A sixth byte is too long, even a zero one. */
        BAD(INT_TOO_LONG, 5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00),
        BAD(INT_TOO_LONG, 5, 0x82, 0x80, 0x80, 0x80, 0x80, 0x00),
        /* The fifth byte holds 4 bits: the 3 above must be zero. */
        BAD(INT_TOO_LARGE, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F),
        BAD(INT_TOO_LARGE, 4, 0x82, 0x80, 0x80, 0x80, 0x70),
        BAD(INT_TOO_LARGE, 4, 0x82, 0x80, 0x80, 0x80, 0x40),
        BAD(INT_TOO_LARGE, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F),
        /* Unused bits set and a continuation bit: the bits are reported first. */
        BAD(INT_TOO_LARGE, 4, 0x80, 0x80, 0x80, 0x80, 0xF0, 0x00),
        BAD(INT_TOO_LONG, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0x8F, 0x00),
        /* Truncated. */
        BAD(UNEXPECTED_END, 1, 0x80),
        BAD(UNEXPECTED_END, 4, 0xFF, 0xFF, 0xFF, 0xFF),
    };
    check(cases, WEFT_ARRAY_LEN(cases), 32, false);

    /* An empty range is "unexpected end" at its start. */
    weft_error err;
    uint32_t v;
    static const uint8_t none[1] = { 0 };
    reader r = { none, none, none, &err, WEFT_E_UNEXPECTED_END_SECTION };
    assert_int_equal(rd_u32(&r, &v), WEFT_MALFORMED);
    assert_int_equal(err.code, WEFT_E_UNEXPECTED_END_SECTION);
    assert_int_equal(err.offset, 0);
}

static void test_s32(void **state)
{
    (void)state;
    static const leb_case cases[] = {
        OK(0, 0x00),
        OK(63, 0x3F),
        OK(-64, 0x40),
        OK(-1, 0x7F),
        OK(64, 0xC0, 0x00),
        OK(-65, 0xBF, 0x7F),
        OK(INT32_MAX, 0xFF, 0xFF, 0xFF, 0xFF, 0x07),
        OK(INT32_MIN, 0x80, 0x80, 0x80, 0x80, 0x78),
        /* Sign padding up to five bytes. */
        OK(0, 0x80, 0x80, 0x80, 0x80, 0x00),
        OK(-1, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F),
        BAD(INT_TOO_LONG, 5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00),
        BAD(INT_TOO_LONG, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F),
        /* The fifth byte holds 4 bits; the 3 above must copy bit 31. */
        BAD(INT_TOO_LARGE, 4, 0x80, 0x80, 0x80, 0x80, 0x70),
        BAD(INT_TOO_LARGE, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F), /* 2^32-1 */
        BAD(INT_TOO_LARGE, 4, 0x80, 0x80, 0x80, 0x80, 0x08), /* 2^31 */
        BAD(INT_TOO_LARGE, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0x77), /* -2^31-1 */
        BAD(UNEXPECTED_END, 2, 0xFF, 0xFF),
    };
    check(cases, WEFT_ARRAY_LEN(cases), 32, true);
}

static void test_s33(void **state)
{
    (void)state;
    static const leb_case cases[] = {
        OK(-0x40, 0x40), /* bit 6 is the sign of a one-byte form */
        OK(0, 0x00),
        OK(UINT32_MAX, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F),
        OK(-((int64_t)1 << 32), 0x80, 0x80, 0x80, 0x80, 0x70),
        OK(-1, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F),
        BAD(INT_TOO_LARGE, 4, 0x80, 0x80, 0x80, 0x80, 0x10), /* 2^32 */
        BAD(INT_TOO_LARGE, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0x6F),
        BAD(INT_TOO_LONG, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F),
        BAD(UNEXPECTED_END, 3, 0x80, 0x80, 0x80),
    };
    check(cases, WEFT_ARRAY_LEN(cases), 33, true);
}

static void test_u64(void **state)
{
    (void)state;
    static const leb_case cases[] = {
        OK(0, 0x00),
        OK(UINT64_MAX, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01),
        OK((uint64_t)1 << 63, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
        OK(0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00),
        BAD(INT_TOO_LARGE, 9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02),
        BAD(INT_TOO_LARGE, 9, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7E),
        BAD(INT_TOO_LONG, 10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00),
        BAD(UNEXPECTED_END, 9, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80),
    };
    check(cases, WEFT_ARRAY_LEN(cases), 64, false);
}

static void test_s64(void **state)
{
    (void)state;
    static const leb_case cases[] = {
        OK(0, 0x00),
        OK(-1, 0x7F),
        OK(INT64_MAX, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00),
        OK(INT64_MIN, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F),
        OK(-1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F),
        OK(0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00),
        /* The tenth byte holds bit 63 only: the rest must copy it. */
        BAD(INT_TOO_LARGE, 9, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
        BAD(INT_TOO_LARGE, 9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7E),
        BAD(INT_TOO_LARGE, 9, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x70),
        BAD(INT_TOO_LONG, 10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00),
        BAD(INT_TOO_LONG, 10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F),
        BAD(UNEXPECTED_END, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF),
    };
    check(cases, WEFT_ARRAY_LEN(cases), 64, true);
}

/* The wrappers narrow correctly and leave the cursor after the number. */
static void test_wrappers(void **state)
{
    (void)state;
    static const uint8_t bytes[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x80, 0x80, 0x80, 0x80, 0x78, 0x2A };
    weft_error err;
    reader r = { bytes, bytes, bytes + sizeof bytes, &err, WEFT_E_UNEXPECTED_END };
    uint32_t u;
    int32_t s;
    uint8_t b;
    assert_int_equal(rd_u32(&r, &u), WEFT_OK);
    assert_int_equal(u, UINT32_MAX);
    assert_int_equal(rd_offset(&r), 5);
    assert_int_equal(rd_s32(&r, &s), WEFT_OK);
    assert_int_equal(s, INT32_MIN);
    assert_int_equal(rd_u8(&r, &b), WEFT_OK);
    assert_int_equal(b, 0x2A);
    assert_true(rd_done(&r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u32), cmocka_unit_test(test_s32), cmocka_unit_test(test_s33),
        cmocka_unit_test(test_u64), cmocka_unit_test(test_s64), cmocka_unit_test(test_wrappers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * wasm_builder.h -- for cmocka tests that write module bytes by hand (names
 * or encodings a text-format assembler would not produce): a buffer that
 * grows by appending, LEB128, names and sections.
 */
#ifndef WEFT_TEST_WASM_BUILDER_H
#define WEFT_TEST_WASM_BUILDER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

typedef struct buf {
    uint8_t b[2048];
    size_t n;
} buf;

static inline void put(buf *o, const void *p, size_t n)
{
    assert_true(o->n + n <= sizeof o->b);
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static inline void u8(buf *o, uint8_t v) { put(o, &v, 1); }

#define BYTES(o, ...) put((o), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static inline void uleb(buf *o, uint64_t v)
{
    do {
        uint8_t b = v & 0x7F;
        v >>= 7;
        u8(o, b | (v ? 0x80 : 0));
    } while (v);
}

/* A name: its length, then its bytes. */
static inline void str(buf *o, const char *s)
{
    uleb(o, strlen(s));
    put(o, s, strlen(s));
}

static inline void section(buf *o, uint8_t id, const buf *contents)
{
    u8(o, id);
    uleb(o, contents->n);
    put(o, contents->b, contents->n);
}

static inline void header(buf *o) { BYTES(o, 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00); }

#endif /* WEFT_TEST_WASM_BUILDER_H */

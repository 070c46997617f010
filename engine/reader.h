/*
 * reader.h -- a cursor over module bytes with the LEB128 and fixed-width
 * readers that the decoder and the validator share.  Every read checks the
 * bytes left first; errors carry the offset (from the start of the module)
 * of the byte that was wrong, and the spec's wording:
 *   - past the end of the cursor's range: "unexpected end" (the decoder turns
 *     this into the section/function flavour where the spec wants that);
 *   - a LEB128 longer than ceil(N/7) bytes: "integer representation too long";
 *   - unused bits of the last byte not all 0 (or, for signed, not all copies
 *     of the sign bit): "integer too large".
 */
#ifndef WEFT_READER_H
#define WEFT_READER_H

#include "engine/internal.h"

typedef struct reader {
    const uint8_t *base; /* start of the whole module, for offsets */
    const uint8_t *p;    /* next byte */
    const uint8_t *end;  /* one past the last readable byte */
    weft_error *err;
    weft_code eof_code;  /* the code reported when reading past `end` */
} reader;

static inline uint64_t rd_offset(const reader *r) { return (uint64_t)(r->p - r->base); }
static inline size_t rd_left(const reader *r) { return (size_t)(r->end - r->p); }
static inline bool rd_done(const reader *r) { return r->p >= r->end; }

static inline weft_status rd_eof(reader *r)
{
    return err_set(r->err, r->eof_code, rd_offset(r), NULL);
}

/* Every reader writes *out even when it fails (0 / NULL), so that callers'
 * variables are never read uninitialised on any path. */
static inline weft_status rd_u8(reader *r, uint8_t *out)
{
    *out = 0;
    if (WEFT_UNLIKELY(r->p >= r->end))
        return rd_eof(r);
    *out = *r->p++;
    return WEFT_OK;
}

static inline weft_status rd_bytes(reader *r, size_t n, const uint8_t **out)
{
    *out = NULL;
    if (WEFT_UNLIKELY(rd_left(r) < n))
        return rd_eof(r);
    *out = r->p;
    r->p += n;
    return WEFT_OK;
}

/* Unsigned LEB128 of at most `bits` bits (1..64). */
static inline weft_status rd_uleb(reader *r, unsigned bits, uint64_t *out)
{
    *out = 0;
    uint64_t result = 0;
    unsigned shift = 0;
    for (;;) {
        if (WEFT_UNLIKELY(r->p >= r->end))
            return rd_eof(r);
        uint8_t b = *r->p++;
        if (shift + 7 >= bits) {
            /* Last byte allowed: continuation bit or bits beyond `bits` are errors. */
            unsigned used = bits - shift; /* 1..7 value bits left */
            /* Unused bits are checked before the continuation bit, as the
             * reference interpreter does: 0xF0 as the 5th byte of a u32 is
             * "integer too large", 0x80 is "integer representation too long". */
            if (used < 7 && ((b & 0x7F) >> used) != 0)
                return err_set(r->err, WEFT_E_INT_TOO_LARGE, (uint64_t)(r->p - 1 - r->base), NULL);
            if (b & 0x80)
                return err_set(r->err, WEFT_E_INT_TOO_LONG, (uint64_t)(r->p - r->base), NULL);
            result |= (uint64_t)b << shift;
            break;
        }
        result |= (uint64_t)(b & 0x7F) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    *out = result;
    return WEFT_OK;
}

/* Signed LEB128 of at most `bits` bits (1..64), sign-extended to 64. */
static inline weft_status rd_sleb(reader *r, unsigned bits, int64_t *out)
{
    *out = 0;
    uint64_t result = 0;
    unsigned shift = 0;
    for (;;) {
        if (WEFT_UNLIKELY(r->p >= r->end))
            return rd_eof(r);
        uint8_t b = *r->p++;
        if (shift + 7 >= bits) {
            unsigned used = bits - shift; /* value bits in this byte, 1..7 */
            /* Bits [used-1, 6] must all equal the sign bit (checked before
             * the continuation bit, as in rd_uleb). */
            uint8_t hi = (uint8_t)(b & 0x7F) >> (used - 1);
            uint8_t all = (uint8_t)(0x7F >> (used - 1));
            if (hi != 0 && hi != all)
                return err_set(r->err, WEFT_E_INT_TOO_LARGE, (uint64_t)(r->p - 1 - r->base), NULL);
            if (b & 0x80)
                return err_set(r->err, WEFT_E_INT_TOO_LONG, (uint64_t)(r->p - r->base), NULL);
            result |= (uint64_t)(b & 0x7F) << shift;
            shift += 7;
            break;
        }
        result |= (uint64_t)(b & 0x7F) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (shift < 64 && (result >> (shift - 1)) & 1)
        result |= ~(uint64_t)0 << shift;
    *out = (int64_t)result;
    return WEFT_OK;
}

static inline weft_status rd_u32(reader *r, uint32_t *out)
{
    *out = 0;
    uint64_t v = 0;
    weft_status st = rd_uleb(r, 32, &v);
    if (st == WEFT_OK)
        *out = (uint32_t)v;
    return st;
}

static inline weft_status rd_s32(reader *r, int32_t *out)
{
    *out = 0;
    int64_t v = 0;
    weft_status st = rd_sleb(r, 32, &v);
    if (st == WEFT_OK)
        *out = (int32_t)v;
    return st;
}

static inline weft_status rd_s64(reader *r, int64_t *out) { return rd_sleb(r, 64, out); }

static inline weft_status rd_fixed32(reader *r, uint32_t *out)
{
    *out = 0;
    const uint8_t *b = NULL;
    weft_status st = rd_bytes(r, 4, &b);
    if (st == WEFT_OK)
        memcpy(out, b, 4); /* wasm is little-endian, and so are weft's hosts */
    return st;
}

static inline weft_status rd_fixed64(reader *r, uint64_t *out)
{
    *out = 0;
    const uint8_t *b = NULL;
    weft_status st = rd_bytes(r, 8, &b);
    if (st == WEFT_OK)
        memcpy(out, b, 8);
    return st;
}

#endif /* WEFT_READER_H */

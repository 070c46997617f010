/*
 * utf8.h -- one well-formed UTF-8 sequence at a time (RFC 3629): the
 * decoder's check of names, and the escaping of names in error messages
 * and backtraces (error.c).
 */
#ifndef WEFT_UTF8_H
#define WEFT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length of the well-formed sequence that starts s[0..n) (n > 0), with
 * its code point in *cp; 0 if there is none: an overlong form, a surrogate,
 * anything above U+10FFFF, a truncated sequence, a stray continuation byte
 * or 0xF8..0xFF. */
static inline size_t utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0)
        len = 2, v = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0)
        len = 3, v = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0)
        len = 4, v = c & 0x07, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[k] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

#endif /* WEFT_UTF8_H */

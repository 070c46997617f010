/*
 * internal.h -- what every module of the engine shares: visibility, the TRY /
 * fail: error convention, errors as values, and the engine's allocator.
 *
 * Convention (STYLE.md 6-7): a function that can fail returns weft_status,
 * declares `weft_status st = WEFT_OK;`, wraps fallible calls in TRY(), and has
 * one `fail:` label that cleans up and returns st.
 */
#ifndef WEFT_INTERNAL_H
#define WEFT_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "weft.h"
#include "engine/config.h"

#define WEFT_INTERNAL __attribute__((visibility("hidden")))

#define TRY(expr)                       \
    do {                                \
        weft_status try_st_ = (expr);   \
        if (try_st_ != WEFT_OK) {       \
            st = try_st_;               \
            goto fail;                  \
        }                               \
    } while (0)

#define WEFT_LIKELY(x) __builtin_expect(!!(x), 1)
#define WEFT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define WEFT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if WEFT_ASSERTS
#include <stdio.h>
#include <stdlib.h>
#define weft_assert(c)                                                             \
    do {                                                                           \
        if (!(c)) {                                                                \
            fprintf(stderr, "%s:%d: weft_assert(%s) failed\n", __FILE__, __LINE__, #c); \
            abort();                                                               \
        }                                                                          \
    } while (0)
#else
#define weft_assert(c) ((void)0)
#endif

/* Fills err (if not NULL) with `code`, `offset` and the code's wording followed
 * by the formatted detail (if fmt is not NULL, separated by a space); returns the
 * code's class.  Never allocates. */
WEFT_INTERNAL weft_status err_set(weft_error *err, weft_code code, uint64_t offset,
                                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
WEFT_INTERNAL weft_status err_setv(weft_error *err, weft_code code, uint64_t offset,
                                   const char *fmt, va_list ap);

/* Copies s[0..len) into out (NUL-terminated, cut only between whole
 * characters) with what a terminal would act on made visible: bytes that are
 * not well-formed UTF-8 as \xNN, control characters as \xNN (ASCII) or
 * \u{N} (C1, bidirectional controls).  Returns the length written. */
WEFT_INTERNAL size_t err_escape(char *out, size_t size, const char *s, size_t len);

/* ---- allocation through the engine's allocator --------------------------- */

WEFT_INTERNAL void *eng_realloc(const weft_engine *e, void *ptr, size_t size);
static inline void *eng_alloc(const weft_engine *e, size_t size) { return eng_realloc(e, NULL, size ? size : 1); }
WEFT_INTERNAL void *eng_calloc(const weft_engine *e, size_t n, size_t size); /* NULL on overflow */
static inline void eng_free(const weft_engine *e, void *ptr) { if (ptr) eng_realloc(e, ptr, 0); }
WEFT_INTERNAL const weft_config *eng_config(const weft_engine *e);

/* A map of uint32 keys to uint32 values as an array sorted by key: the value
 * of the last key at or below k, or `none` when every key is above it (the
 * translator's offset table, compiled code's pc table). */
typedef struct u32_pair {
    uint32_t key, value;
} u32_pair;
static inline uint32_t u32_pairs_floor(const u32_pair *p, uint32_t n, uint32_t k, uint32_t none)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p[mid].key <= k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? p[lo - 1].value : none;
}

#endif /* WEFT_INTERNAL_H */

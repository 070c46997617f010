/*
 * guest_access.h -- the interpreter's plain (non-atomic) accesses to linear
 * memory, and why they are functions: ThreadSanitizer.
 *
 * Guest programs may race through shared memory legitimately (the threads
 * proposal gives racy plain accesses a defined, if weak, meaning), so a TSan
 * build must not report the guest's plain loads and stores -- and must still
 * report everything the engine itself does.  In TSan builds the accesses go
 * through the functions below, which TSan does not instrument
 * (no_sanitize("thread"); never inlined into instrumented code) and which
 * avoid memcpy/memset/memmove, whose interceptors would check them anyway.
 * Atomics stay C11/__atomic operations in the handlers, which TSan models.
 * In every other build these are plain inline memcpy/memset/memmove: zero cost.
 */
#ifndef WEFT_GUEST_ACCESS_H
#define WEFT_GUEST_ACCESS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN 1
#endif
#endif
#ifndef WEFT_TSAN
#define WEFT_TSAN 0
#endif

#if WEFT_TSAN

/* Unaligned, alias-anything views of guest bytes. */
typedef uint16_t guest_u16 __attribute__((aligned(1), may_alias));
typedef uint32_t guest_u32 __attribute__((aligned(1), may_alias));
typedef uint64_t guest_u64 __attribute__((aligned(1), may_alias));

#define GUEST_UNCHECKED static __attribute__((noinline, no_sanitize("thread"), unused))

/* n is 1, 2, 4, 8 or 16 (a plain load's width; v128.load). */
GUEST_UNCHECKED void guest_read(void *dst, const uint8_t *src, size_t n)
{
    switch (n) {
    case 1: *(uint8_t *)dst = *src; break;
    case 2: *(guest_u16 *)dst = *(const guest_u16 *)src; break;
    case 4: *(guest_u32 *)dst = *(const guest_u32 *)src; break;
    case 16: ((guest_u64 *)dst)[1] = ((const guest_u64 *)src)[1]; /* fall through */
    default: *(guest_u64 *)dst = *(const guest_u64 *)src; break;
    }
}

/* n is 1, 2, 4 or 8 (v128.store writes two 8-byte halves). */
GUEST_UNCHECKED void guest_write(uint8_t *dst, const void *src, size_t n)
{
    switch (n) {
    case 1: *dst = *(const uint8_t *)src; break;
    case 2: *(guest_u16 *)dst = *(const guest_u16 *)src; break;
    case 4: *(guest_u32 *)dst = *(const guest_u32 *)src; break;
    default: *(guest_u64 *)dst = *(const guest_u64 *)src; break;
    }
}

/* Byte loops through volatile pointers, so that no compiler turns them back
 * into memset/memmove calls (which TSan intercepts).  Slow; TSan builds only. */
GUEST_UNCHECKED void guest_fill(uint8_t *dst, uint8_t v, size_t n)
{
    volatile uint8_t *d = dst;
    for (size_t i = 0; i < n; i++)
        d[i] = v;
}

GUEST_UNCHECKED void guest_move(uint8_t *dst, const uint8_t *src, size_t n)
{
    volatile uint8_t *d = dst;
    const volatile uint8_t *s = src;
    if (d < s) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else {
        for (size_t i = n; i > 0; i--)
            d[i - 1] = s[i - 1];
    }
}

#undef GUEST_UNCHECKED

#else /* !WEFT_TSAN */

static inline void guest_read(void *dst, const uint8_t *src, size_t n) { memcpy(dst, src, n); }
static inline void guest_write(uint8_t *dst, const void *src, size_t n) { memcpy(dst, src, n); }
static inline void guest_fill(uint8_t *dst, uint8_t v, size_t n) { memset(dst, v, n); }
static inline void guest_move(uint8_t *dst, const uint8_t *src, size_t n)
{
    memmove(dst, src, n);
}

#endif /* WEFT_TSAN */

#endif /* WEFT_GUEST_ACCESS_H */

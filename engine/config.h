/*
 * config.h -- the build knobs, all of them (STYLE.md 11).  Each is 0 or 1,
 * tested with #if under -Wundef, and none changes a function signature.
 */
#ifndef WEFT_CONFIG_H
#define WEFT_CONFIG_H

/* Dispatch with computed goto (GCC/Clang) instead of a switch. */
#ifndef WEFT_COMPUTED_GOTO
#if defined(__GNUC__)
#define WEFT_COMPUTED_GOTO 1
#else
#define WEFT_COMPUTED_GOTO 0
#endif
#endif

/* weft_assert() checks internal invariants; on in test builds. */
#ifndef WEFT_ASSERTS
#if defined(WEFT_TEST_BUILD) || !defined(NDEBUG)
#define WEFT_ASSERTS 1
#else
#define WEFT_ASSERTS 0
#endif
#endif

/* 128-bit SIMD with the compiler's vector extensions (and SSE2 intrinsics on
 * x86-64) instead of portable lane loops (engine/simd.h).  CMake option
 * WEFT_SIMD_SCALAR=ON builds the lane loops. */
#ifndef WEFT_SIMD_VECTOR
#if defined(__GNUC__)
#define WEFT_SIMD_VECTOR 1
#else
#define WEFT_SIMD_VECTOR 0
#endif
#endif

#endif /* WEFT_CONFIG_H */

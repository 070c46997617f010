/*
 * values.h -- the typed values of spec scripts: expectations (exact bits, a
 * NaN class, a null or any reference) matched against results, and both
 * printed for a failure report.  Shared by `weft wast` (wast.c) and the
 * JSON runner of tests/spec.
 */
#ifndef SCRIPT_VALUES_H
#define SCRIPT_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft.h"

/* How one scalar or one v128 lane is matched. */
typedef enum val_match {
    MATCH_BITS,      /* exactly these bits                 */
    MATCH_CANON_NAN, /* nan:canonical                      */
    MATCH_ARITH_NAN, /* nan:arithmetic                     */
    MATCH_NULL,      /* a null reference                   */
    MATCH_ANY_REF    /* any non-null reference (ref.func, ref.extern without a number) */
} val_match;

typedef struct val_expect {
    weft_val val;          /* kind, and the bits for MATCH_BITS          */
    val_match match;       /* scalars and references                     */
    bool any_ref_kind;     /* MATCH_NULL: a null of any reference type (3.0's `(ref.null)`) */
    weft_valkind lane;     /* v128: lane type (WEFT_I32 for i32 lanes ...) */
    unsigned lane_bytes;   /* v128: 1, 2, 4 or 8                         */
    val_match lanes[16];   /* v128: per-lane matching                    */
} val_expect;

bool val_matches(const val_expect *e, const weft_val *got);

/* "i32:42", "f32:0x7fc00000", "v128:i32x4 0x.. 0x.. ..", "externref:7", ...
 * lane_bytes picks the shape a v128 is shown in (0: i32x4). */
void val_format(const weft_val *v, unsigned lane_bytes, char *buf, size_t size);
void val_format_expect(const val_expect *e, char *buf, size_t size);

/* The value an externref argument N stands for: an opaque, non-null pointer. */
void *val_extern_ref(uint64_t n);

/* Lane i of a little-endian v128 with lanes of lane_bytes bytes. */
void val_put_lane(uint8_t *v128, unsigned lane_bytes, unsigned i, uint64_t bits);
uint64_t val_get_lane(const uint8_t *v128, unsigned lane_bytes, unsigned i);

#endif /* SCRIPT_VALUES_H */

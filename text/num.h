/*
 * num.h -- the text format's number literals (spec 6.3.2) converted to the
 * values they denote: integers with `_` between digits, decimal or 0x hex,
 * wrapped as the spec says (i32 takes -2^31 .. 2^32-1); floats in decimal or
 * hex, rounded to nearest-even exactly (a hex mantissa may have any number of
 * digits), `inf`, `nan`, `nan:0x...` with its payload.  Each function reads
 * the whole of `s` (n bytes) and returns NULL, or what is wrong with it.
 */
#ifndef WEFT_TEXT_NUM_H
#define WEFT_TEXT_NUM_H

#include <stddef.h>
#include <stdint.h>

/* An unsigned natural (no sign) up to `max`. */
const char *wat_num_nat(const char *s, size_t n, uint64_t max, uint64_t *out);
/* An integer of `bits` (8, 16, 32 or 64): signed or unsigned range, stored
 * as the two's complement bit pattern. */
const char *wat_num_int(const char *s, size_t n, unsigned bits, uint64_t *out);
/* Floats as their IEEE bit patterns. */
const char *wat_num_f32(const char *s, size_t n, uint32_t *out);
const char *wat_num_f64(const char *s, size_t n, uint64_t *out);

#endif /* WEFT_TEXT_NUM_H */

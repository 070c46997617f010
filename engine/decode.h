/*
 * decode.h -- the binary decoder (dec_): bytes to struct weft_module.
 *
 * dec_module checks everything the binary format says (section order and
 * sizes, LEB128 forms, UTF-8 names, counts against the bytes left) and fills
 * every field of weft_module except func_declared.  Function bodies are not
 * decoded here beyond their local declarations: the validator reads the
 * instructions (and reports malformed ones, e.g. "illegal opcode").  Errors name
 * the byte offset and the reason; no input crashes, hangs or over-allocates.
 */
#ifndef WEFT_DECODE_H
#define WEFT_DECODE_H

#include "engine/module.h"

/* On success *out holds one reference.  Copies `bytes`. */
WEFT_INTERNAL weft_status dec_module(weft_engine *engine, const uint8_t *bytes, size_t size,
                                     weft_module **out, weft_error *err);

#endif /* WEFT_DECODE_H */

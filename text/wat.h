/*
 * wat.h -- the WebAssembly text format (.wat) read into a binary module that
 * weft's decoder takes (wat_).  The library never prints: errors are written
 * as "file:line:column: expected ..., found ..." into a caller's buffer.
 *
 * The pieces a script runner (.wast) needs are here too: the lexer
 * (text/lexer.h), one module form read from a token position (text, binary
 * or quote modules), and constants (text/num.h, wat_v128_const).
 *
 * The syntax is WebAssembly 3.0's: every abbreviation, folded and flat
 * instructions, named indices in every index space, and the instructions of
 * 2.0, SIMD, threads, tail calls, exception handling (also legacy), typed
 * function references, GC, memory64 and multiple memories -- encoded even
 * where weft cannot run them.
 */
#ifndef WEFT_TEXT_WAT_H
#define WEFT_TEXT_WAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text/lexer.h"

typedef struct wat_options {
    bool names; /* add a name section with function names (for backtraces) */
} wat_options;

/*
 * Reads a whole text: one `(module ...)` or the module's fields without it.
 * On success *out is a malloc'd binary module (*out_len bytes) the caller
 * frees.  On failure writes the message into err and returns false.
 * `file` names the text in messages (may be NULL); `opt` may be NULL (a name
 * section is written).
 */
bool wat_to_wasm(const char *text, size_t len, const char *file, const wat_options *opt,
                 uint8_t **out, size_t *out_len, char *err, size_t err_len);

/* What one module form of a script was. */
typedef enum wat_module_form {
    WAT_FORM_TEXT,   /* (module $id? field*)            */
    WAT_FORM_BINARY, /* (module $id? binary "..."*)     */
    WAT_FORM_QUOTE,  /* (module $id? quote "..."*)      */
    WAT_FORM_INSTANCE /* (module instance $id? $def?): no bytes (3.0 scripts) */
} wat_module_form;

typedef struct wat_module_out {
    uint8_t *bytes; /* malloc'd: the binary module (quote: already read) */
    size_t len;
    wat_module_form form;
    bool definition;      /* `(module definition ...)` (3.0 scripts)   */
    const wat_token *id;  /* the module's $id token, or NULL            */
    const wat_token *def; /* WAT_FORM_INSTANCE: the definition's $id, or NULL */
} wat_module_out;

/*
 * Reads the module form starting at toks->tok[*pos] (its opening paren) and
 * moves *pos past its closing paren.  A quote module's text is read here
 * too; a binary module's bytes are returned as written (not decoded).
 * Errors as for wat_to_wasm.
 */
bool wat_module_form_read(const wat_tokens *toks, size_t *pos, const char *file,
                          const wat_options *opt, wat_module_out *out, char *err,
                          size_t err_len);

/*
 * `v128.const SHAPE lanes...` after the `v128.const` keyword: reads the shape
 * and its lanes from toks->tok[*pos] on into out[16] (little-endian), moving
 * *pos past them.  Errors as above.
 */
bool wat_v128_const(const wat_tokens *toks, size_t *pos, const char *file, uint8_t out[16],
                    char *err, size_t err_len);

#endif /* WEFT_TEXT_WAT_H */

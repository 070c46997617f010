/*
 * lexer.h -- the tokens of the WebAssembly text format (wat_): the whole text
 * is cut into an array of tokens at once, each with its line and column, so
 * that a parser (the module reader, a script runner) can look ahead freely
 * and start a module form at any token.
 *
 * Comments (`;;` to the end of the line, nested `(; ;)`) and annotations
 * (`(@id ...)`, spec 6.3.3 of the annotations proposal, now in 3.0) are
 * skipped.  Strings and `$"..."` ids are decoded here (escapes, UTF-8 checked
 * for ids); numbers stay text: wat_num.h converts them once the parser knows
 * which type it wants.
 */
#ifndef WEFT_TEXT_LEXER_H
#define WEFT_TEXT_LEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum wat_tok_kind {
    WAT_EOF,
    WAT_LPAR,
    WAT_RPAR,
    WAT_KEYWORD,  /* starts with a-z: `func`, `i32.add`, `offset=4`, `nan:0x1`, `inf` */
    WAT_ID,       /* `$name` or `$"name"`: data/len hold the name without `$`  */
    WAT_STRING,   /* data/len hold the decoded bytes (any bytes, NUL included) */
    WAT_NUMBER,   /* starts with a digit or a sign: converted by wat_num.h      */
    WAT_RESERVED  /* any other run of id characters                          */
} wat_tok_kind;

typedef struct wat_token {
    wat_tok_kind kind;
    const char *text;  /* the token's source text, `len` bytes */
    size_t len;
    const uint8_t *data; /* WAT_ID/WAT_STRING: the decoded bytes */
    size_t data_len;
    uint32_t line, col;  /* 1-based; the column counts bytes */
} wat_token;

/* The tokens of one text, ending with a WAT_EOF token.  Owns the decoded
 * string bytes; the source text must outlive it. */
typedef struct wat_tokens {
    wat_token *tok;
    size_t count;
    uint8_t *strings; /* decoded bytes of ids and strings */
    size_t strings_len, strings_cap;
} wat_tokens;

/* Cuts `text` (len bytes) into tokens.  On failure writes
 * "file:line:column: message" into err and returns false (*out is empty). */
bool wat_lex(const char *text, size_t len, const char *file, wat_tokens *out, char *err,
             size_t err_len);
void wat_tokens_free(wat_tokens *t);

/* True if the token is the keyword `kw`. */
bool wat_is_keyword(const wat_token *t, const char *kw);

#endif /* WEFT_TEXT_LEXER_H */

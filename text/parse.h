/*
 * parse.h -- what the text reader's two files share (internal): the token
 * cursor with its error reporting, byte buffers with LEB128 writers, index
 * spaces with their names, and the module being built.  module.c reads
 * module fields; instr.c reads instructions and types.
 */
#ifndef WEFT_TEXT_PARSE_H
#define WEFT_TEXT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text/lexer.h"
#include "text/wat.h"

/* `if (!(x)) return false`: every reader returns false once an error is set. */
#define OK(x)                                                                                \
    do {                                                                                     \
        if (!(x))                                                                            \
            return false;                                                                    \
    } while (0)

/* ---- byte buffers ---- */
typedef struct wat_buf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} wat_buf;

void buf_bytes(wat_buf *b, const void *p, size_t n);
void buf_byte(wat_buf *b, uint8_t v);
void buf_u64(wat_buf *b, uint64_t v); /* unsigned LEB128 */
void buf_s64(wat_buf *b, int64_t v);  /* signed LEB128 */
static inline void buf_u32(wat_buf *b, uint32_t v) { buf_u64(b, v); }
void buf_name(wat_buf *b, const uint8_t *p, size_t n); /* vec(byte) */
void buf_free(wat_buf *b);

/* ---- index spaces ---- */
typedef enum wat_space {
    SP_TYPE, SP_FUNC, SP_TABLE, SP_MEM, SP_GLOBAL, SP_ELEM, SP_DATA, SP_TAG,
    SP_LOCAL, SP_LABEL, SP_FIELD, SP_COUNT_
} wat_space;

typedef struct wat_names {
    const wat_token **name; /* name[i]: index i's $id token, or NULL */
    uint32_t count, cap;
} wat_names;

/* One type definition (explicit or added by a type use). */
typedef struct wat_type {
    size_t tok;        /* where its definition starts (0: added by a use)     */
    uint8_t kind;      /* 0x60 func, 0x5F struct, 0x5E array                 */
    wat_buf enc;       /* the subtype's encoding (sub/final prefix included)   */
    uint32_t nparams;  /* func types                                          */
    bool plain;        /* a final func type with no supertype, alone in its group */
    uint32_t rec_size; /* first type of an explicit rec group: its size, else 0 */
    bool in_rec;
    wat_names fields;  /* struct field names                                  */
    wat_buf sig;       /* func types: vec(params) vec(results), for matching   */
} wat_type;

enum { SEC_CUSTOM = 0, SEC_TYPE = 1, SEC_IMPORT, SEC_FUNC, SEC_TABLE, SEC_MEM, SEC_GLOBAL,
       SEC_EXPORT, SEC_START, SEC_ELEM, SEC_CODE, SEC_DATA, SEC_DATACOUNT, SEC_TAG, SEC_N_ };

typedef struct wat_parser {
    const wat_tokens *toks;
    size_t i;               /* the next token */
    const char *file;
    char *err;
    size_t err_len;
    bool failed;
    /* the module */
    wat_names sp[SP_COUNT_];
    wat_type *types;
    uint32_t ntypes, types_cap;
    uint8_t *mem64, *table64; /* per memory / table: 64-bit addresses */
    wat_buf sec[SEC_N_];
    uint32_t count[SEC_N_];
    bool has_start, needs_datacount;
    uint32_t start;
    uint32_t imported[SP_COUNT_]; /* imports seen so far per space */
    uint32_t defined[SP_COUNT_];  /* definitions seen so far per space */
    /* the function being read */
    const wat_type *cur_fn;
    uint16_t *op_hash; /* name -> opcode table index + 1, open addressing */
    uint32_t op_hash_size;
} wat_parser;

/* ---- the cursor ---- */
static inline const wat_token *tk(const wat_parser *P) { return &P->toks->tok[P->i]; }
static inline const wat_token *tk_at(const wat_parser *P, size_t k)
{
    size_t j = P->i + k;
    return j < P->toks->count ? &P->toks->tok[j] : &P->toks->tok[P->toks->count - 1];
}
/* Sets the error at token t: "file:line:col: expected WHAT, found TOKEN". */
bool wat_expected(wat_parser *P, const wat_token *t, const char *what);
/* Sets the error at token t with a message of its own. */
bool wat_fail(wat_parser *P, const wat_token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

bool wat_is_lpar_kw(const wat_parser *P, const char *kw); /* `(kw` next?  */
bool wat_take_kw(wat_parser *P, const char *kw);         /* takes `kw` if next */
bool wat_take_lpar_kw(wat_parser *P, const char *kw);    /* takes `(kw` if next */
bool wat_expect_lpar(wat_parser *P, const char *what);
bool wat_expect_rpar(wat_parser *P);
bool wat_skip_sexpr(wat_parser *P); /* at `(`: past its matching `)` */

bool wat_u32(wat_parser *P, uint32_t *out); /* a nat token */
bool wat_string(wat_parser *P, const uint8_t **p, size_t *n);

/* ---- index spaces ---- */
bool wat_names_add(wat_parser *P, wat_names *n, const wat_token *id, const char *space);
/* An index: a nat, or an $id named in `n`.  `space` names it in errors. */
bool wat_index(wat_parser *P, const wat_names *n, const char *space, uint32_t *out);
static inline bool wat_at_index(const wat_parser *P)
{
    return tk(P)->kind == WAT_ID || tk(P)->kind == WAT_NUMBER;
}

/* ---- types (instr.c) ---- */
/* valtype (incl. ref types) / reftype / heaptype, encoded into b. */
bool wat_valtype(wat_parser *P, wat_buf *b);
bool wat_reftype(wat_parser *P, wat_buf *b, bool *nullable);
bool wat_heaptype(wat_parser *P, wat_buf *b);
bool wat_at_valtype(const wat_parser *P);
/* A type definition's body after `(type $id?`: the subtype, into t. */
bool wat_typedef(wat_parser *P, wat_type *t);
/* A type use: (type x)? (param ...)* (result ...)*.  `names` (may be NULL)
 * gets the parameters' ids (NULL for unnamed) for a function's locals;
 * *nparams their number.  Adds a type when none matches (spec 6.6.9).
 * named_ok: parameters may have ids (not in call_indirect or block types). */
bool wat_typeuse(wat_parser *P, uint32_t *typeidx, wat_names *names, uint32_t *nparams,
                 bool named_ok);

/* ---- instructions (instr.c) ---- */
/* Instructions up to a `)` (not taken) or an `end`/`else`/... keyword, for
 * a body (labels given) or a constant expression (labels NULL). */
bool wat_instrs(wat_parser *P, wat_buf *b, wat_names *locals, wat_names *labels);
/* An expression: instructions then `end` (0x0B). */
bool wat_expr(wat_parser *P, wat_buf *b);
/* One folded instruction `( ... )`: for offsets and element items. */
bool wat_folded(wat_parser *P, wat_buf *b, wat_names *locals, wat_names *labels);
bool wat_v128(wat_parser *P, uint8_t out[16]);
void wat_ops_free(wat_parser *P);

/* ---- the module (module.c) ---- */
/* Reads module fields up to `)` or the end of the tokens into a binary. */
bool wat_module_fields(wat_parser *P, const wat_options *opt, uint8_t **out, size_t *out_len);
void wat_parser_free(wat_parser *P);

#endif /* WEFT_TEXT_PARSE_H */

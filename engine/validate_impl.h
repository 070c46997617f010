/*
 * validate_impl.h -- what the validator's two files share: validate.c (module
 * rules, constant expressions) and validate_code.c (function bodies).  Private
 * to the validator; everything else goes through engine/validate.h.
 */
#ifndef WEFT_VALIDATE_IMPL_H
#define WEFT_VALIDATE_IMPL_H

#include "engine/immediates.h"
#include "engine/module.h"
#include "engine/opcodes.h"
#include "engine/reader.h"

enum { VAL_BLOCK, VAL_LOOP, VAL_IF, VAL_ELSE, VAL_FUNC };

/* A control frame (spec appendix, "validation algorithm"). */
typedef struct val_frame {
    uint8_t kind;       /* VAL_*                                                */
    bool unreachable;   /* the operand stack above `height` is polymorphic      */
    uint32_t height;    /* operand stack height when the frame began            */
    uint32_t nparams, nresults;
    const mod_valtype *params, *results; /* never point into the frame array    */
    uint32_t stamp;     /* last br_table that checked this label                */
} val_frame;

/* The state of one function body's check, reused from body to body so that the
 * stacks are allocated a few times per module, never per instruction. */
typedef struct val_body {
    const weft_module *m;
    weft_error *err;
    reader r;
    uint64_t op_offset;     /* offset of the instruction being checked */

    mod_valtype *vals;      /* operand stack; VT_UNKNOWN is the bottom type */
    uint32_t nvals, cap_vals;
    val_frame *frames;
    uint32_t nframes, cap_frames;

    const mod_functype *ft; /* the function's type         */
    const mod_code *code;   /* its locals                  */
    uint64_t *local_ends;   /* cumulative local counts per declaration group */
    uint32_t cap_local_ends;
    uint64_t nlocals;       /* params + declared locals    */
    uint32_t stamp;         /* br_table counter            */
} val_body;

WEFT_INTERNAL void val_body_init(val_body *b, const weft_module *m, weft_error *err);
WEFT_INTERNAL void val_body_free(val_body *b);
/* Decodes the body of defined function `func` (an index in the function space):
 * its binary format only.  Every body is decoded before any is checked. */
WEFT_INTERNAL weft_status val_body_decode(val_body *b, uint32_t func);
/* Types the body of `func`, once val_body_decode accepted it. */
WEFT_INTERNAL weft_status val_body_check(val_body *b, uint32_t func);

/* Reads one opcode (prefix and LEB128 code) at r; "illegal opcode" if unknown. */
WEFT_INTERNAL weft_status val_read_opcode(reader *r, op_id *out);
/* The text-format name of a value type ("i32"; "unknown" for the bottom type). */
WEFT_INTERNAL const char *val_type_name(mod_valtype t);

#endif /* WEFT_VALIDATE_IMPL_H */

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

/* What the body checker needs on every instruction, computed once per module
 * from op_table (engine/opcodes.def) so that no instruction parses its SIG
 * string or calls op_lookup for a one-byte opcode. */
typedef struct val_effect {
    bool special;           /* SIG "*": typed by the validator's own code      */
    uint8_t imm;            /* op_imm: the IMM column                          */
    uint8_t npop, npush;    /* the SIG column: at most 3 params, 1 result      */
    mod_valtype pop[3];     /* params in order: pop[npop - 1] is the top       */
    mod_valtype push;
} val_effect;

typedef struct val_tables {
    val_effect effect[OP_COUNT_];
    uint16_t one_byte[256]; /* OP_* + 1 of each one-byte opcode, 0 elsewhere   */
} val_tables;

WEFT_INTERNAL void val_tables_init(val_tables *t);

/* The state of one function body's check, reused from body to body so that the
 * stacks are allocated a few times per module, never per instruction. */
typedef struct val_body {
    const weft_module *m;
    const val_tables *tab;
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
    const mod_valtype *local_types; /* every local's type, or NULL: search local_ends */
    mod_valtype *local_types_buf;
    uint32_t cap_local_types;
    uint64_t nlocals;       /* params + declared locals    */
    uint32_t stamp;         /* br_table counter            */
} val_body;

WEFT_INTERNAL void val_body_init(val_body *b, const weft_module *m, const val_tables *tab,
                                 weft_error *err);
WEFT_INTERNAL void val_body_free(val_body *b);
/* Decodes the body of defined function `func` (an index in the function space):
 * its binary format only. */
WEFT_INTERNAL weft_status val_body_decode(val_body *b, uint32_t func);
/* Decodes and types the body of `func` in one pass.  Success means that
 * val_body_decode accepts it too; on failure, the error may be a typing error
 * where the reference interpreter reports a malformed one later in the module
 * (it decodes every body before it types any): the caller then finds the first
 * malformed body with val_body_decode. */
WEFT_INTERNAL weft_status val_body_check(val_body *b, uint32_t func);

/* Reads one opcode (prefix and LEB128 code) at r; "illegal opcode" if unknown. */
WEFT_INTERNAL weft_status val_read_opcode(reader *r, op_id *out);
/* The text-format name of a value type ("i32"; "unknown" for the bottom type). */
WEFT_INTERNAL const char *val_type_name(mod_valtype t);

#endif /* WEFT_VALIDATE_IMPL_H */

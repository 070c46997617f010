/*
 * immediates.h -- the one reader of instruction immediates (the IMM column of
 * engine/opcodes.def), shared by the decoder (constant expressions), the
 * validator (function bodies) and the compiler.  imm_read checks the binary
 * format only -- zero bytes, value and reference type bytes, LEB128 forms --
 * with the errors and offsets of engine/reader.h; whether the indices name
 * anything, and of what type, is each caller's business.
 */
#ifndef WEFT_IMMEDIATES_H
#define WEFT_IMMEDIATES_H

#include "engine/module.h"
#include "engine/opcodes.h"
#include "engine/reader.h"

/* The forms of a block type. */
typedef enum imm_block_kind {
    IMM_BT_EMPTY, /* 0x40: no results             */
    IMM_BT_VALUE, /* one value type: one result   */
    IMM_BT_INDEX, /* an s33 type index            */
} imm_block_kind;

/* Every immediate kind's decoded fields; imm_read zeroes the ones its kind
 * does not set. */
typedef struct imm_values {
    /* Indices in encoding order: the label depth (br_table: its default), the
     * function, local, global, table, elem or data index; call_indirect's
     * type then table, table.init's elem then table, table.copy's dst then
     * src, memory.init's data index. */
    uint32_t x, y;
    uint32_t align, offset; /* memarg: log2 alignment, offset              */
    uint8_t lane;           /* lane index (IMM_LANE, IMM_MEMARG_LANE)      */
    uint64_t bits;          /* i32 (zero-extended), i64, f32, f64 constant */
    const uint8_t *bytes;   /* v128 constant or shuffle lanes: 16 bytes    */
    uint32_t count;         /* br_table's targets (default excluded), select_t's types */
    const uint8_t *targets; /* br_table: the first target's LEB128; the caller walks `count` u32s */
    uint8_t block;          /* imm_block_kind                             */
    mod_valtype type;       /* block's value type, ref.null's type, select_t's first type */
    int64_t type_index;     /* IMM_BT_INDEX                               */
} imm_values;

/* True for a value type byte (numeric, vector or reference). */
static inline bool imm_is_valtype(uint8_t b) { return mod_is_numtype(b) || mod_is_reftype(b); }

/* Reads a value type byte; "malformed value type" if it is not one. */
WEFT_INTERNAL weft_status imm_read_valtype(reader *r, mod_valtype *out);
/* Reads a reference type byte; "malformed reference type" if it is not one. */
WEFT_INTERNAL weft_status imm_read_reftype(reader *r, mod_valtype *out);

/* Reads the immediates of kind `kind` at r into *out (always written). */
WEFT_INTERNAL weft_status imm_read(reader *r, op_imm kind, imm_values *out);

#endif /* WEFT_IMMEDIATES_H */

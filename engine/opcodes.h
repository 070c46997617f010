/*
 * opcodes.h -- the instruction set as data, expanded from engine/opcodes.def:
 * the opcode enum, immediate kinds, and a table of each opcode's name,
 * encoding, natural alignment and type signature.  Decoding an opcode from
 * bytes to OP_* is op_lookup().
 */
#ifndef WEFT_OPCODES_H
#define WEFT_OPCODES_H

#include "engine/internal.h"

/* Immediate kinds (the IMM column). */
typedef enum op_imm {
    IMM_NONE,
    IMM_BLOCK,         /* blocktype: 0x40, a value type, or a type index (s33)   */
    IMM_LABEL,         /* u32 label depth                                        */
    IMM_BR_TABLE,      /* vec(u32) labels, then a default u32                    */
    IMM_FUNC,          /* u32 function index                                     */
    IMM_CALL_INDIRECT, /* u32 type index, u32 table index                        */
    IMM_LOCAL,         /* u32 local index                                        */
    IMM_GLOBAL,        /* u32 global index                                       */
    IMM_TABLE,         /* u32 table index                                        */
    IMM_MEMARG,        /* u32 align (log2), u32 offset                           */
    IMM_MEM,           /* memory index: one zero byte in 2.0                     */
    IMM_I32,           /* s32                                                    */
    IMM_I64,           /* s64                                                    */
    IMM_F32,           /* 4 bytes                                                */
    IMM_F64,           /* 8 bytes                                                */
    IMM_V128,          /* 16 bytes                                               */
    IMM_LANE,          /* one byte lane index                                    */
    IMM_MEMARG_LANE,   /* memarg, then one byte lane index                       */
    IMM_SHUFFLE,       /* 16 lane index bytes                                    */
    IMM_SELECT_T,      /* vec(valtype), length 1 in 2.0                          */
    IMM_REFTYPE,       /* one reftype byte                                       */
    IMM_ELEM_TABLE,    /* u32 elem index, u32 table index (table.init)           */
    IMM_DATA_MEM,      /* u32 data index, then a zero byte (memory.init)         */
    IMM_DATA,          /* u32 data index                                         */
    IMM_ELEM,          /* u32 elem index                                         */
    IMM_TABLE_TABLE,   /* u32 dst table, u32 src table (table.copy)              */
    IMM_MEM_MEM,       /* two zero bytes: dst and src memory (memory.copy)       */
    IMM_ZERO,          /* one zero byte (atomic.fence)                           */
} op_imm;

typedef enum op_id {
#define OP(id, prefix, code, name, imm, align, sig) OP_##id,
#include "engine/opcodes.def"
#undef OP
    OP_COUNT_
} op_id;

typedef struct op_info {
    const char *name;
    uint8_t prefix;
    uint32_t code;
    op_imm imm;
    uint8_t align;   /* see the ALIGN column */
    const char *sig; /* see the SIG column   */
} op_info;

WEFT_INTERNAL extern const op_info op_table[OP_COUNT_];

/* Maps (prefix, code) to an OP_* id; returns false for an unknown opcode.
 * prefix is 0 for one-byte opcodes. */
WEFT_INTERNAL bool op_lookup(uint8_t prefix, uint32_t code, op_id *out);

static inline bool op_is_prefix(uint8_t byte)
{
    return byte == 0xFC || byte == 0xFD || byte == 0xFE;
}

#endif /* WEFT_OPCODES_H */

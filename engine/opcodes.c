/*
 * opcodes.c -- the opcode table and the (prefix, code) -> OP_* map, both
 * constant data expanded from engine/opcodes.def.
 */
#include "engine/opcodes.h"

const op_info op_table[OP_COUNT_] = {
#define OP(id, prefix, code, name, imm, align, sig) {name, prefix, code, IMM_##imm, align, sig},
#include "engine/opcodes.def"
#undef OP
};

/* Four pages of 256 codes: one-byte, 0xFC, 0xFD, 0xFE.  An entry holds OP_* + 1,
 * so that 0 marks a hole.  Codes on the prefixed pages are below 256 in every
 * proposal weft knows. */
#define PAGE(prefix) ((prefix) == 0 ? 0 : (prefix) - 0xFB)
static const uint16_t op_map[4 * 256] = {
#define OP(id, prefix, code, name, imm, align, sig) [PAGE(prefix) * 256 + (code)] = OP_##id + 1,
#include "engine/opcodes.def"
#undef OP
};

bool op_lookup(uint8_t prefix, uint32_t code, op_id *out)
{
    if (code >= 256 || (prefix != 0 && !op_is_prefix(prefix)))
        return false;
    uint16_t v = op_map[PAGE(prefix) * 256 + code];
    if (v == 0)
        return false;
    *out = (op_id)(v - 1);
    return true;
}

/*
 * immediates.c -- imm_read: an instruction's immediates, by the IMM column of
 * engine/opcodes.def.  See engine/immediates.h.
 */
#include "engine/immediates.h"

/* One type byte: any value type, or (!any_value) a reference type only. */
static weft_status imm_type(reader *r, bool any_value, mod_valtype *out)
{
    uint64_t at = rd_offset(r);
    uint8_t b;
    weft_status st = rd_u8(r, &b);
    if (st != WEFT_OK)
        return st;
    if (any_value ? !imm_is_valtype(b) : !mod_is_reftype(b))
        return err_set(r->err, any_value ? WEFT_E_BAD_VALTYPE : WEFT_E_BAD_REFTYPE, at, "0x%02x", b);
    *out = b;
    return WEFT_OK;
}

weft_status imm_read_valtype(reader *r, mod_valtype *out) { return imm_type(r, true, out); }

weft_status imm_read_reftype(reader *r, mod_valtype *out) { return imm_type(r, false, out); }

/* The memory index of 2.0: one zero byte. */
static weft_status imm_zero(reader *r)
{
    uint64_t at = rd_offset(r);
    uint8_t z;
    weft_status st = rd_u8(r, &z);
    if (st != WEFT_OK)
        return st;
    if (z != 0)
        return err_set(r->err, WEFT_E_ZERO_BYTE, at, NULL);
    return WEFT_OK;
}

/* blocktype: 0x40, a value type, or an s33 type index.  Either byte is also a
 * one-byte s33, so the three forms are told apart by the first byte. */
static weft_status imm_blocktype(reader *r, imm_values *out)
{
    if (rd_done(r))
        return rd_eof(r);
    uint8_t first = *r->p;
    if (first == 0x40 || imm_is_valtype(first)) {
        r->p++;
        out->block = first == 0x40 ? IMM_BT_EMPTY : IMM_BT_VALUE;
        out->type = first;
        return WEFT_OK;
    }
    out->block = IMM_BT_INDEX;
    return rd_sleb(r, 33, &out->type_index);
}

static weft_status imm_memarg(reader *r, imm_values *out)
{
    weft_status st = WEFT_OK;
    TRY(rd_u32(r, &out->align));
    TRY(rd_u32(r, &out->offset));
fail:
    return st;
}

weft_status imm_read(reader *r, op_imm kind, imm_values *out)
{
    weft_status st = WEFT_OK;
    *out = (imm_values){0};
    switch (kind) {
    case IMM_NONE:
        break;
    case IMM_BLOCK:
        TRY(imm_blocktype(r, out));
        break;
    case IMM_BR_TABLE:
        TRY(rd_u32(r, &out->count));
        out->targets = r->p;
        for (uint32_t i = 0; i < out->count; i++)
            TRY(rd_u32(r, &out->x));
        TRY(rd_u32(r, &out->x)); /* the default */
        break;
    case IMM_LABEL:
    case IMM_FUNC:
    case IMM_LOCAL:
    case IMM_GLOBAL:
    case IMM_TABLE:
    case IMM_ELEM:
    case IMM_DATA:
        TRY(rd_u32(r, &out->x));
        break;
    case IMM_CALL_INDIRECT:
    case IMM_ELEM_TABLE:
    case IMM_TABLE_TABLE:
        TRY(rd_u32(r, &out->x));
        TRY(rd_u32(r, &out->y));
        break;
    case IMM_MEMARG:
        TRY(imm_memarg(r, out));
        break;
    case IMM_MEMARG_LANE:
        TRY(imm_memarg(r, out));
        TRY(rd_u8(r, &out->lane));
        break;
    case IMM_LANE:
        TRY(rd_u8(r, &out->lane));
        break;
    case IMM_MEM:
    case IMM_ZERO:
        TRY(imm_zero(r));
        break;
    case IMM_MEM_MEM:
        TRY(imm_zero(r));
        TRY(imm_zero(r));
        break;
    case IMM_DATA_MEM:
        TRY(rd_u32(r, &out->x));
        TRY(imm_zero(r));
        break;
    case IMM_I32: {
        int32_t v;
        TRY(rd_s32(r, &v));
        out->bits = (uint32_t)v;
        break;
    }
    case IMM_I64: {
        int64_t v;
        TRY(rd_s64(r, &v));
        out->bits = (uint64_t)v;
        break;
    }
    case IMM_F32: {
        uint32_t v;
        TRY(rd_fixed32(r, &v));
        out->bits = v;
        break;
    }
    case IMM_F64:
        TRY(rd_fixed64(r, &out->bits));
        break;
    case IMM_V128:
    case IMM_SHUFFLE:
        TRY(rd_bytes(r, 16, &out->bytes));
        break;
    case IMM_SELECT_T:
        TRY(rd_u32(r, &out->count));
        for (uint32_t i = 0; i < out->count; i++) {
            mod_valtype t;
            TRY(imm_read_valtype(r, &t));
            if (i == 0)
                out->type = t;
        }
        break;
    case IMM_REFTYPE:
        TRY(imm_read_reftype(r, &out->type));
        break;
    }
fail:
    return st;
}

/*
 * compile_simd.c -- translation (cmp_) of the 0xFD page, 128-bit SIMD, into
 * the layouts of code.h ("SIMD"), and of select on v128 operands.  A v128
 * value takes two slots (code.h, Frames); its stack entry names the first.
 * v128.const never gets here: it is a constant slot pair (compile.c).
 *
 * v128.load and v128.store take back the i32.add of their address (the _A
 * forms, compile_fuse.c); other SIMD instructions fuse with nothing.  Their
 * results can still be written straight into a local by a local.set that
 * follows (the dst is x of the first operand cell, as for every instruction
 * with a result).
 */
#include "engine/compile_internal.h"

/* Slots of a SIG column result: 'v' is v128. */
static uint32_t result_width(const char *sig)
{
    const char *colon = strchr(sig, ':');
    return colon[1] == 'v' ? 2 : 1;
}

weft_status cmp_translate_simd(cmp_state *t, op_id op, const op_info *info,
                               const imm_values *im)
{
    weft_status st = WEFT_OK;
    uint32_t np, nr;
    int32_t d = 0, in[3] = {0, 0, 0};
    sig_counts(info->sig, &np, &nr);
    weft_assert(np >= 1 && np <= 3 && nr <= 1);
    for (uint32_t i = np; i > 0; i--)
        in[i - 1] = pop(t);
    if (nr)
        TRY(push_temp_w(t, &d, result_width(info->sig)));
    bool mem = info->imm == IMM_MEMARG || info->imm == IMM_MEMARG_LANE;
    cmp_op co = t->software && mem ? cmp_co_sw_of[op] : cmp_co_of[op];
    switch (info->imm) {
    case IMM_MEMARG: { /* loads [op][x=dst y=addr][x=offset]; store [op][x=addr y=val][x=offset] */
        /* v128.load and v128.store take back the i32.add of their address
         * (the _A forms, [x=offset y=b]); the store's may lie several
         * instructions back, before the ones that computed the value. */
        int32_t b = 0;
        if (!cmp_take_addr_add(t, op, &in[0], &b, &co) && !nr)
            cmp_hoist_addr_add(t, op, &in[0], &b, &co);
        TRY(emit_op(t, co));
        TRY(emit_xy(t, nr ? d : in[0], nr ? in[0] : in[1]));
        TRY(emit_xy(t, (int32_t)im->offset, b));
        break;
    }
    case IMM_MEMARG_LANE: /* [op][x=dst y=addr][x=offset y=val][x=lane]; stores:
                             [op][x=addr y=val][x=offset y=lane] */
        TRY(emit_op(t, co));
        if (nr) {
            TRY(emit_xy(t, d, in[0]));
            TRY(emit_xy(t, (int32_t)im->offset, in[1]));
            TRY(emit_xy(t, im->lane, 0));
        } else {
            TRY(emit_xy(t, in[0], in[1]));
            TRY(emit_xy(t, (int32_t)im->offset, im->lane));
        }
        break;
    case IMM_LANE: /* extract [op][x=dst y=a][x=lane]; replace [op][x=dst y=a][x=b y=lane] */
        TRY(emit_op(t, co));
        TRY(emit_xy(t, d, in[0]));
        TRY(emit_xy(t, np == 2 ? in[1] : im->lane, np == 2 ? im->lane : 0));
        break;
    case IMM_SHUFFLE: { /* [op][x=dst y=a][x=b][16 lane indexes] */
        cmp_cell lanes[2];
        memcpy(lanes, im->bytes, 16);
        TRY(emit_op(t, co));
        TRY(emit_xy(t, d, in[0]));
        TRY(emit_xy(t, in[1], 0));
        TRY(emit_cell(t, lanes[0]));
        TRY(emit_cell(t, lanes[1]));
        break;
    }
    default: /* [op][x=dst y=a], [op][x=dst y=a][x=b], [op][x=dst y=a][x=b y=c] */
        weft_assert(info->imm == IMM_NONE && nr == 1);
        TRY(emit_op(t, co));
        TRY(emit_xy(t, d, in[0]));
        if (np >= 2)
            TRY(emit_xy(t, in[1], in[2]));
        break;
    }
    if (nr)
        result_emitted(t, op, d);
fail:
    return st;
}

/* [op][x=dst y=cond][x=a y=b]. */
weft_status cmp_emit_select_v128(cmp_state *t, int32_t d, int32_t a, int32_t b, int32_t cond)
{
    weft_status st = WEFT_OK;
    TRY(emit_op(t, CO_SELECT_V128));
    TRY(emit_xy(t, d, cond));
    TRY(emit_xy(t, a, b));
fail:
    return st;
}

/*
 * emit_simd.c -- templates for the 0xFD page (128-bit SIMD) and the internal
 * v128 moves (SELECT_V128, GLOBAL_GET_V128, GLOBAL_SET_V128).
 *
 * Every SIMD instruction has a template: the hot ones inline, in SSE2 (plus
 * pmulld after a CPUID check), everything else a call to jit_rt_simd
 * (runtime_simd.c), which runs the interpreter's own body for the
 * instruction on its cells in the translation the compiled function keeps.
 *
 * A v128 lives in two 8-byte-aligned slots (engine/code.h), so vectors move
 * between slots and xmm registers with movdqu, and packed operations take
 * both operands in registers (a legacy-SSE m128 operand must be aligned).
 * Every operand is read before the result is written: a result may share
 * slots with an operand.
 */
#include "engine/memory.h"
#include "jit/jit_internal.h"


/* ---- lengths ------------------------------------------------------------------ */

/* Cells of an instruction by its immediate kind and signature (code.h, SIMD). */
static uint32_t len_none(const char *sig)
{
    return strchr(sig, ':') - sig == 1 ? 2 : 3; /* unary, or binary / bitselect */
}
static uint32_t len_memarg_lane(const char *sig)
{
    return sig[strlen(sig) - 1] == ':' ? 3 : 4; /* store<n>_lane, load<n>_lane */
}
#define SIMD_LEN_NONE(id, sig) case CO_##id: return len_none(sig);
#define SIMD_LEN_LANE(id, sig) case CO_##id: return 3;
#define SIMD_LEN_SHUFFLE(id, sig) case CO_##id: return 5;
#define SIMD_LEN_V128(id, sig) /* v128.const: constant slots, never an instruction */
#define SIMD_LEN_MEMARG(id, sig) case CO_##id: case CO_##id##_SW: return 3;
#define SIMD_LEN_MEMARG_LANE(id, sig)                                                       \
    case CO_##id:                                                                           \
    case CO_##id##_SW:                                                                      \
        return len_memarg_lane(sig);
#define SIMD_PICK_0x00(id, imm, sig)
#define SIMD_PICK_0xFC(id, imm, sig)
#define SIMD_PICK_0xFE(id, imm, sig)
#define SIMD_PICK_0xFD(id, imm, sig) SIMD_LEN_##imm(id, sig)

/* The length in cells of a SIMD instruction; 0 for any other op. */
static uint32_t simd_len(cmp_op op)
{
    switch (op) {
#define OP(id, prefix, code, name, imm, align, sig) SIMD_PICK_##prefix(id, imm, sig)
#include "engine/opcodes.def"
#undef OP
    case CO_V128_LOAD_A:
    case CO_V128_LOAD_A_SW:
    case CO_V128_STORE_A:
    case CO_V128_STORE_A_SW:
    case CO_SELECT_V128:
        return 3;
    case CO_GLOBAL_GET_V128:
    case CO_GLOBAL_SET_V128:
        return 2;
    default:
        return 0;
    }
}

/* ---- moves between slots and registers ------------------------------------------------ */

static void vload(jit_state *j, x64_xmm x, int32_t s) { x64_sse_rm(&j->b, X64_MOVDQU, x, jit_slot16(j, s)); }
static void vstore(jit_state *j, int32_t s, x64_xmm x)
{
    x64_sse_store(&j->b, X64_MOVDQU, jit_slot16(j, s), x);
}
/* Both slots of v128 s from rax (low) and rdx (high). */
/* Byte `at` of the v128 in slots s, s + 1, as memory. */
static x64_mem lane_of(jit_state *j, int32_t s, int32_t at)
{
    x64_mem m = jit_slot16(j, s);
    m.disp += at;
    return m;
}

static void store_pair(jit_state *j, int32_t s, x64_reg lo, x64_reg hi)
{
    jit_st64(j, s, lo);
    jit_st64(j, s + 1, hi);
}

/* ---- the generic path ---------------------------------------------------------------- */

/* Calls jit_rt_simd on the instruction's cells in the translation, which the
 * compiled function keeps (jit_func.ops); the frame notes the cell first, for
 * the backtrace of a trap. */
static void emit_helper(jit_state *j, cmp_op op, const cmp_cell *pc, uint32_t len)
{
    (void)op, (void)len;
    cb_buf *b = &j->b;
    jit_note_at(j);
    jit_arg_env(j);
    x64_mov_rr(b, X64_S64, X64_RSI, JIT_FP);
    x64_mov_ri(b, X64_S64, X64_RDX, (int64_t)(uintptr_t)pc);
    jit_call_c(j, (const void *)jit_rt_simd);
    jit_check_status(j);
}

/* ---- inline templates ------------------------------------------------------------------ */

/* A binary op in one packed instruction: dst = a op b, or b op a (swap), then
 * complemented (invert: ne, le, ge from eq, gt, lt). */
typedef struct packed_binop {
    x64_sse op;
    bool swap, invert;
} packed_binop;

static bool packed_of(cmp_op op, packed_binop *p)
{
    switch (op) {
#define P(id, o)                                                                            \
    case CO_##id:                                                                           \
        *p = (packed_binop){X64_##o, false, false};                                         \
        return true;
#define SW(id, o)                                                                           \
    case CO_##id:                                                                           \
        *p = (packed_binop){X64_##o, true, false};                                          \
        return true;
#define INV(id, o, swap)                                                                    \
    case CO_##id:                                                                           \
        *p = (packed_binop){X64_##o, swap, true};                                           \
        return true;
    P(I8X16_ADD, PADDB) P(I16X8_ADD, PADDW) P(I32X4_ADD, PADDD) P(I64X2_ADD, PADDQ)
    P(I8X16_SUB, PSUBB) P(I16X8_SUB, PSUBW) P(I32X4_SUB, PSUBD) P(I64X2_SUB, PSUBQ)
    P(I8X16_ADD_SAT_S, PADDSB) P(I8X16_ADD_SAT_U, PADDUSB) P(I16X8_ADD_SAT_S, PADDSW)
    P(I16X8_ADD_SAT_U, PADDUSW) P(I8X16_SUB_SAT_S, PSUBSB) P(I8X16_SUB_SAT_U, PSUBUSB)
    P(I16X8_SUB_SAT_S, PSUBSW) P(I16X8_SUB_SAT_U, PSUBUSW) P(I8X16_AVGR_U, PAVGB)
    P(I16X8_AVGR_U, PAVGW) P(I8X16_MIN_U, PMINUB) P(I8X16_MAX_U, PMAXUB)
    P(I16X8_MIN_S, PMINSW) P(I16X8_MAX_S, PMAXSW) P(I16X8_MUL, PMULLW)
    P(V128_AND, PAND) P(V128_OR, POR) P(V128_XOR, PXOR)
    SW(V128_ANDNOT, PANDN) /* pandn b, a: ~b & a */
    P(F32X4_ADD, ADDPS) P(F32X4_SUB, SUBPS) P(F32X4_MUL, MULPS) P(F32X4_DIV, DIVPS)
    P(F64X2_ADD, ADDPD) P(F64X2_SUB, SUBPD) P(F64X2_MUL, MULPD) P(F64X2_DIV, DIVPD)
    P(I8X16_EQ, PCMPEQB) P(I16X8_EQ, PCMPEQW) P(I32X4_EQ, PCMPEQD)
    INV(I8X16_NE, PCMPEQB, false) INV(I16X8_NE, PCMPEQW, false) INV(I32X4_NE, PCMPEQD, false)
    P(I8X16_GT_S, PCMPGTB) P(I16X8_GT_S, PCMPGTW) P(I32X4_GT_S, PCMPGTD)
    SW(I8X16_LT_S, PCMPGTB) SW(I16X8_LT_S, PCMPGTW) SW(I32X4_LT_S, PCMPGTD)
    INV(I8X16_LE_S, PCMPGTB, false) INV(I16X8_LE_S, PCMPGTW, false)
    INV(I32X4_LE_S, PCMPGTD, false)
    INV(I8X16_GE_S, PCMPGTB, true) INV(I16X8_GE_S, PCMPGTW, true)
    INV(I32X4_GE_S, PCMPGTD, true)
#undef P
#undef SW
#undef INV
    default:
        return false;
    }
}

/* xmm x = ~x (xmm15: all ones). */
static void complement(jit_state *j, x64_xmm x)
{
    x64_sse_rr(&j->b, X64_PCMPEQD, 15, 15);
    x64_sse_rr(&j->b, X64_PXOR, x, 15);
}

/* v128.load/store (_SW, _A, _A_SW) and the scalar-sized loads:
 * rax = the effective address's u32 part, checked in the _SW forms. */
static x64_mem guest_operand(jit_state *j, int32_t addr, int32_t plus, uint32_t offset, bool sw,
                             uint32_t n)
{
    jit_ld32(j, X64_RAX, addr);
    if (plus >= 0)
        x64_alu_rm(&j->b, X64_ADD, X64_S32, X64_RAX, jit_slot(j, plus));
    return jit_guest(j, offset, n, sw);
}

static bool emit_memory(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    bool sw = false, a = false;
    switch (op) {
    case CO_V128_LOAD_A_SW:
        sw = true; /* fall through */
    case CO_V128_LOAD_A:
        a = true;
        goto load;
    case CO_V128_LOAD_SW:
        sw = true; /* fall through */
    case CO_V128_LOAD:
    load: { /* [op][x=dst y=addr][off (y=b)] */
        x64_mem m = guest_operand(j, pc[1].s.y, a ? pc[2].s.y : -1, (uint32_t)pc[2].s.x, sw, 16);
        x64_sse_rm(b, X64_MOVDQU, 0, m);
        vstore(j, pc[1].s.x, 0);
        return true;
    }
    case CO_V128_STORE_A_SW:
        sw = true; /* fall through */
    case CO_V128_STORE_A:
        a = true;
        goto store;
    case CO_V128_STORE_SW:
        sw = true; /* fall through */
    case CO_V128_STORE:
    store: { /* [op][x=addr y=val][off (y=b)]: one store, so a fault writes nothing */
        vload(j, 0, pc[1].s.y);
        x64_mem m = guest_operand(j, pc[1].s.x, a ? pc[2].s.y : -1, (uint32_t)pc[2].s.x, sw, 16);
        x64_sse_store(b, X64_MOVDQU, m, 0);
        return true;
    }
    default:
        break;
    }
    /* The 4- and 8-byte loads that fill both slots from one value. */
    x64_size n;
    bool splat;
    switch (op) {
    case CO_V128_LOAD32_ZERO_SW:
        sw = true; /* fall through */
    case CO_V128_LOAD32_ZERO:
        n = X64_S32, splat = false;
        break;
    case CO_V128_LOAD64_ZERO_SW:
        sw = true; /* fall through */
    case CO_V128_LOAD64_ZERO:
        n = X64_S64, splat = false;
        break;
    case CO_V128_LOAD32_SPLAT_SW:
        sw = true; /* fall through */
    case CO_V128_LOAD32_SPLAT:
        n = X64_S32, splat = true;
        break;
    case CO_V128_LOAD64_SPLAT_SW:
        sw = true; /* fall through */
    case CO_V128_LOAD64_SPLAT:
        n = X64_S64, splat = true;
        break;
    default:
        return false;
    }
    x64_mem m = guest_operand(j, pc[1].s.y, -1, (uint32_t)pc[2].s.x, sw, (uint32_t)n);
    x64_load(b, n, X64_RAX, m);
    if (splat && n == X64_S32) {
        x64_mov_rr(b, X64_S32, X64_RCX, X64_RAX);
        x64_shift_ri(b, X64_SHL, X64_S64, X64_RCX, 32);
        x64_alu_rr(b, X64_OR, X64_S64, X64_RAX, X64_RCX);
    }
    if (splat) {
        store_pair(j, pc[1].s.x, X64_RAX, X64_RAX);
    } else {
        x64_alu_rr(b, X64_XOR, X64_S32, X64_RCX, X64_RCX);
        store_pair(j, pc[1].s.x, X64_RAX, X64_RCX);
    }
    return true;
}

/* Splats, lanes, any_true, not, select and the v128 globals. */
static bool emit_lanes(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    int32_t dst = pc[1].s.x, a = pc[1].s.y;
    switch (op) {
    case CO_I8X16_SPLAT:
    case CO_I16X8_SPLAT: { /* [op][x=dst y=scalar]: the lane times 0x0101.. */
        bool byte = op == CO_I8X16_SPLAT;
        x64_movzx_rm(b, byte ? X64_S8 : X64_S16, X64_S32, X64_RAX, jit_slot(j, a));
        x64_mov_ri(b, X64_S64, X64_RCX,
                   (int64_t)(byte ? UINT64_C(0x0101010101010101) : UINT64_C(0x0001000100010001)));
        x64_imul_rr(b, X64_S64, X64_RAX, X64_RCX);
        store_pair(j, dst, X64_RAX, X64_RAX);
        return true;
    }
    case CO_I32X4_SPLAT:
    case CO_F32X4_SPLAT:
        jit_ld32(j, X64_RAX, a);
        x64_mov_rr(b, X64_S32, X64_RCX, X64_RAX);
        x64_shift_ri(b, X64_SHL, X64_S64, X64_RCX, 32);
        x64_alu_rr(b, X64_OR, X64_S64, X64_RAX, X64_RCX);
        store_pair(j, dst, X64_RAX, X64_RAX);
        return true;
    case CO_I64X2_SPLAT:
    case CO_F64X2_SPLAT:
        jit_ld64(j, X64_RAX, a);
        store_pair(j, dst, X64_RAX, X64_RAX);
        return true;
    default:
        break;
    }
    /* extract_lane [op][x=dst y=a][x=lane]: the lane from its bytes in the slots. */
    int32_t lane = pc[2].s.x;
    switch (op) {
    case CO_I8X16_EXTRACT_LANE_S:
    case CO_I8X16_EXTRACT_LANE_U:
    case CO_I16X8_EXTRACT_LANE_S:
    case CO_I16X8_EXTRACT_LANE_U: {
        bool byte = op == CO_I8X16_EXTRACT_LANE_S || op == CO_I8X16_EXTRACT_LANE_U;
        x64_size w = byte ? X64_S8 : X64_S16;
        x64_mem m = lane_of(j, a, lane * (int32_t)w);
        if (op == CO_I8X16_EXTRACT_LANE_S || op == CO_I16X8_EXTRACT_LANE_S)
            x64_movsx_rm(b, w, X64_S32, X64_RAX, m); /* i32 result: zero-extended slot */
        else
            x64_movzx_rm(b, w, X64_S32, X64_RAX, m);
        jit_st64(j, dst, X64_RAX);
        return true;
    }
    case CO_I32X4_EXTRACT_LANE:
    case CO_F32X4_EXTRACT_LANE:
        x64_load(b, X64_S32, X64_RAX, lane_of(j, a, lane * 4));
        jit_st64(j, dst, X64_RAX);
        return true;
    case CO_I64X2_EXTRACT_LANE:
    case CO_F64X2_EXTRACT_LANE:
        x64_load(b, X64_S64, X64_RAX, lane_of(j, a, lane * 8));
        jit_st64(j, dst, X64_RAX);
        return true;
    default:
        break;
    }
    /* replace_lane [op][x=dst y=a][x=b y=lane]: a to dst, then the lane. */
    x64_size w;
    switch (op) {
    case CO_I8X16_REPLACE_LANE: w = X64_S8; break;
    case CO_I16X8_REPLACE_LANE: w = X64_S16; break;
    case CO_I32X4_REPLACE_LANE:
    case CO_F32X4_REPLACE_LANE: w = X64_S32; break;
    case CO_I64X2_REPLACE_LANE:
    case CO_F64X2_REPLACE_LANE: w = X64_S64; break;
    default: w = 0; break;
    }
    if (w) {
        vload(j, 0, a);
        jit_ld64(j, X64_RCX, pc[2].s.x);
        vstore(j, dst, 0);
        x64_store(b, w, lane_of(j, dst, pc[2].s.y * (int32_t)w), X64_RCX);
        return true;
    }
    switch (op) {
    case CO_V128_NOT:
        vload(j, 0, a);
        complement(j, 0);
        vstore(j, dst, 0);
        return true;
    case CO_V128_ANY_TRUE: /* dst i32 = (lo | hi) != 0 */
        jit_ld64(j, X64_RAX, a);
        x64_alu_rm(b, X64_OR, X64_S64, X64_RAX, jit_slot(j, a + 1));
        x64_mov_ri(b, X64_S32, X64_RAX, 0); /* keeps the flags */
        x64_setcc(b, X64_NE, X64_RAX);
        jit_st64(j, dst, X64_RAX);
        return true;
    case CO_SELECT_V128: { /* [op][x=dst y=cond][x=a y=b] */
        cb_label chosen = cb_new_label(b);
        x64_alu_mi(b, X64_CMP, X64_S32, jit_slot(j, a), 0);
        vload(j, 0, pc[2].s.x);
        x64_jcc(b, X64_NE, chosen);
        vload(j, 0, pc[2].s.y);
        cb_bind(b, chosen);
        vstore(j, dst, 0);
        return true;
    }
    case CO_GLOBAL_GET_V128:
    case CO_GLOBAL_SET_V128: { /* [op][x=dst|src y=global] */
        jit_load_inst(j, X64_RCX);
        x64_load(b, X64_S64, X64_RCX, x64_mem_bd(X64_RCX, offsetof(weft_instance, globals)));
        x64_load(b, X64_S64, X64_RCX, x64_mem_bd(X64_RCX, a * 8));
        x64_mem value = x64_mem_bd(X64_RCX, offsetof(weft_global, value));
        if (op == CO_GLOBAL_GET_V128) {
            x64_sse_rm(b, X64_MOVDQU, 0, value);
            vstore(j, dst, 0);
        } else {
            vload(j, 0, dst);
            x64_sse_store(b, X64_MOVDQU, value, 0);
        }
        return true;
    }
    default:
        return false;
    }
}

static bool emit_packed(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    packed_binop p;
    bool mulld = op == CO_I32X4_MUL && jit_cpu_sse41();
    if (!mulld && !packed_of(op, &p))
        return false;
    /* [op][x=dst y=a][x=b]: xmm0 = a, xmm1 = b. */
    vload(j, 0, pc[1].s.y);
    vload(j, 1, pc[2].s.x);
    if (mulld) {
        x64_pmulld_rr(&j->b, 0, 1);
        vstore(j, pc[1].s.x, 0);
        return true;
    }
    x64_xmm r = p.swap ? 1 : 0;
    x64_sse_rr(&j->b, p.op, r, p.swap ? 0 : 1);
    if (p.invert)
        complement(j, r);
    vstore(j, pc[1].s.x, r);
    return true;
}

/* Shifts by an i32 ([op][x=dst y=a][x=b]): the count taken modulo the lane
 * width, as wasm does (SSE shifts would clear the lanes instead), into xmm1.
 * i8x16 shifts and i64x2.shr_s have no SSE2 instruction: the helper. */
static bool emit_shift(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    x64_sse o;
    int bits;
    switch (op) {
#define S(id, ins, w)                                                                           case CO_##id:                                                                                   o = X64_##ins;                                                                              bits = w;                                                                                   break;
    S(I16X8_SHL, PSLLW, 16) S(I16X8_SHR_S, PSRAW, 16) S(I16X8_SHR_U, PSRLW, 16)
    S(I32X4_SHL, PSLLD, 32) S(I32X4_SHR_S, PSRAD, 32) S(I32X4_SHR_U, PSRLD, 32)
    S(I64X2_SHL, PSLLQ, 64) S(I64X2_SHR_U, PSRLQ, 64)
#undef S
    default:
        return false;
    }
    jit_ld32(j, X64_RCX, pc[2].s.x);
    x64_alu_ri(&j->b, X64_AND, X64_S32, X64_RCX, bits - 1);
    x64_movd_xr(&j->b, X64_S32, 1, X64_RCX);
    vload(j, 0, pc[1].s.y);
    x64_sse_rr(&j->b, o, 0, 1);
    vstore(j, pc[1].s.x, 0);
    return true;
}

/* Unsigned compares of bytes and words ([op][x=dst y=a][x=b]), which SSE2
 * lacks: a <=u b exactly when the saturating a - b is 0; >= swaps the
 * operands, > and < complement <= and >=. */
static bool emit_ucompare(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    bool word = op == CO_I16X8_LT_U || op == CO_I16X8_GT_U || op == CO_I16X8_LE_U ||
                op == CO_I16X8_GE_U;
    bool swap, invert;
    switch (op) {
    case CO_I8X16_LE_U:
    case CO_I16X8_LE_U:
        swap = false, invert = false;
        break;
    case CO_I8X16_GE_U:
    case CO_I16X8_GE_U:
        swap = true, invert = false;
        break;
    case CO_I8X16_GT_U:
    case CO_I16X8_GT_U:
        swap = false, invert = true;
        break;
    case CO_I8X16_LT_U:
    case CO_I16X8_LT_U:
        swap = true, invert = true;
        break;
    default:
        return false;
    }
    vload(j, swap ? 1 : 0, pc[1].s.y);
    vload(j, swap ? 0 : 1, pc[2].s.x);
    x64_sse_rr(&j->b, word ? X64_PSUBUSW : X64_PSUBUSB, 0, 1);
    x64_sse_rr(&j->b, X64_PXOR, 1, 1);
    x64_sse_rr(&j->b, word ? X64_PCMPEQW : X64_PCMPEQB, 0, 1);
    if (invert)
        complement(j, 0);
    vstore(j, pc[1].s.x, 0);
    return true;
}

/* i64x2.mul ([op][x=dst y=a][x=b]) from 32-bit products, modulo 2^64:
 * lo(a) * lo(b) + ((hi(a) * lo(b) + lo(a) * hi(b)) << 32). */
static void emit_i64x2_mul(jit_state *j, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    vload(j, 0, pc[1].s.y); /* a */
    vload(j, 1, pc[2].s.x); /* b */
    x64_mov_ri(b, X64_S32, X64_RCX, 32);
    x64_movd_xr(b, X64_S32, 4, X64_RCX);   /* xmm4: the count 32 */
    x64_sse_rr(b, X64_MOVDQU, 2, 0);
    x64_sse_rr(b, X64_PSRLQ, 2, 4);
    x64_sse_rr(b, X64_PMULUDQ, 2, 1);      /* hi(a) * lo(b) */
    x64_sse_rr(b, X64_MOVDQU, 3, 1);
    x64_sse_rr(b, X64_PSRLQ, 3, 4);
    x64_sse_rr(b, X64_PMULUDQ, 3, 0);      /* hi(b) * lo(a) */
    x64_sse_rr(b, X64_PADDQ, 2, 3);
    x64_sse_rr(b, X64_PSLLQ, 2, 4);
    x64_sse_rr(b, X64_PMULUDQ, 0, 1);      /* lo(a) * lo(b) */
    x64_sse_rr(b, X64_PADDQ, 0, 2);
    vstore(j, pc[1].s.x, 0);
}

/* xmm x's lanes shifted right arithmetically by `bits` (count through xmm1). */
static void sar_lanes(jit_state *j, x64_sse o, x64_xmm x, int bits)
{
    x64_mov_ri(&j->b, X64_S32, X64_RCX, bits);
    x64_movd_xr(&j->b, X64_S32, 1, X64_RCX);
    x64_sse_rr(&j->b, o, x, 1);
}

/* Widening ([op][x=dst y=a]) and saturating narrowing ([op][x=dst y=a][x=b]).
 * Unsigned widening interleaves with zeros; signed widening interleaves a
 * lane with itself and shifts it down arithmetically (i64: with its sign
 * lanes, made by psrad 31). */
static bool emit_resize(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    x64_sse unpack;
    int half; /* the narrow lane's bits */
    bool sign;
    switch (op) {
#define E(id, un, bits, sg)                                                                 \
    case CO_##id:                                                                           \
        unpack = X64_##un;                                                                  \
        half = bits;                                                                        \
        sign = sg;                                                                          \
        break;
    E(I16X8_EXTEND_LOW_I8X16_U, PUNPCKLBW, 8, false)
    E(I16X8_EXTEND_HIGH_I8X16_U, PUNPCKHBW, 8, false)
    E(I16X8_EXTEND_LOW_I8X16_S, PUNPCKLBW, 8, true)
    E(I16X8_EXTEND_HIGH_I8X16_S, PUNPCKHBW, 8, true)
    E(I32X4_EXTEND_LOW_I16X8_U, PUNPCKLWD, 16, false)
    E(I32X4_EXTEND_HIGH_I16X8_U, PUNPCKHWD, 16, false)
    E(I32X4_EXTEND_LOW_I16X8_S, PUNPCKLWD, 16, true)
    E(I32X4_EXTEND_HIGH_I16X8_S, PUNPCKHWD, 16, true)
    E(I64X2_EXTEND_LOW_I32X4_U, PUNPCKLDQ, 32, false)
    E(I64X2_EXTEND_HIGH_I32X4_U, PUNPCKHDQ, 32, false)
    E(I64X2_EXTEND_LOW_I32X4_S, PUNPCKLDQ, 32, true)
    E(I64X2_EXTEND_HIGH_I32X4_S, PUNPCKHDQ, 32, true)
#undef E
    case CO_I8X16_NARROW_I16X8_S:
    case CO_I8X16_NARROW_I16X8_U:
    case CO_I16X8_NARROW_I32X4_S:
        vload(j, 0, pc[1].s.y);
        vload(j, 1, pc[2].s.x);
        x64_sse_rr(b, op == CO_I8X16_NARROW_I16X8_S   ? X64_PACKSSWB
                      : op == CO_I8X16_NARROW_I16X8_U ? X64_PACKUSWB
                                                      : X64_PACKSSDW,
                   0, 1);
        vstore(j, pc[1].s.x, 0);
        return true;
    default:
        return false;
    }
    vload(j, 0, pc[1].s.y);
    if (!sign) {
        x64_sse_rr(b, X64_PXOR, 2, 2);
        x64_sse_rr(b, unpack, 0, 2);
    } else if (half == 32) {
        x64_sse_rr(b, X64_MOVDQU, 2, 0);
        sar_lanes(j, X64_PSRAD, 2, 31); /* each lane's sign, whole */
        x64_sse_rr(b, unpack, 0, 2);
    } else {
        x64_sse_rr(b, unpack, 0, 0);
        sar_lanes(j, half == 8 ? X64_PSRAW : X64_PSRAD, 0, half);
    }
    vstore(j, pc[1].s.x, 0);
    return true;
}

/* xmm x = the 16 bytes v[0..15], built in registers (no store to load from). */
static void xmm_const(jit_state *j, x64_xmm x, const uint8_t v[16])
{
    uint64_t lo, hi;
    memcpy(&lo, v, 8);
    memcpy(&hi, v + 8, 8);
    x64_mov_ri(&j->b, X64_S64, X64_RAX, (int64_t)lo);
    x64_movd_xr(&j->b, X64_S64, x, X64_RAX);
    x64_mov_ri(&j->b, X64_S64, X64_RAX, (int64_t)hi);
    x64_movd_xr(&j->b, X64_S64, 15, X64_RAX);
    x64_sse_rr(&j->b, X64_PUNPCKLQDQ, x, 15);
}

/* i8x16.shuffle: [op][x=dst y=a][x=b][16 lane indexes in 2 cells].  With
 * SSSE3: a pshufb of each operand (a mask byte with its top bit set makes a
 * zero), then or.  Without: each byte on its own into the red zone below rsp
 * (the 128 bytes the kernel leaves alone; dst must not be written before both
 * operands are read), then the 16 bytes to dst at once. */
static void emit_shuffle(jit_state *j, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    const uint8_t *lanes = (const uint8_t *)(const void *)&pc[3];
    if (jit_cpu_ssse3()) {
        uint8_t from_a[16], from_b[16];
        for (int i = 0; i < 16; i++) {
            uint8_t l = lanes[i] & 31;
            from_a[i] = l < 16 ? l : 0x80;
            from_b[i] = l < 16 ? 0x80 : (uint8_t)(l - 16);
        }
        xmm_const(j, 2, from_a);
        xmm_const(j, 3, from_b);
        vload(j, 0, pc[1].s.y);
        vload(j, 1, pc[2].s.x);
        x64_pshufb_rr(b, 0, 2);
        x64_pshufb_rr(b, 1, 3);
        x64_sse_rr(b, X64_POR, 0, 1);
        vstore(j, pc[1].s.x, 0);
        return;
    }
    for (int i = 0; i < 16; i++) {
        int32_t src = (lanes[i] & 31) < 16 ? pc[1].s.y : pc[2].s.x;
        x64_mem from = jit_slot16(j, src);
        from.disp += lanes[i] & 15;
        x64_movzx_rm(b, X64_S8, X64_S32, X64_RAX, from);
        x64_store(b, X64_S8, x64_mem_bd(X64_RSP, i - 16), X64_RAX);
    }
    x64_sse_rm(b, X64_MOVDQU, 0, x64_mem_bd(X64_RSP, -16));
    vstore(j, pc[1].s.x, 0);
}

bool jit_emit_simd(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    uint32_t len = simd_len(op);
    if (!len)
        return false;
    j->len = len;
    if (op == CO_I8X16_SHUFFLE)
        emit_shuffle(j, pc);
    else if (op == CO_I64X2_MUL)
        emit_i64x2_mul(j, pc);
    else if (!emit_memory(j, op, pc) && !emit_lanes(j, op, pc) && !emit_packed(j, op, pc) &&
             !emit_shift(j, op, pc) && !emit_resize(j, op, pc) && !emit_ucompare(j, op, pc))
        emit_helper(j, op, pc, len);
    return true;
}

/*
 * emit_float.c -- templates for the f32 and f64 instructions that do not touch
 * memory: arithmetic, min/max, sign operations, rounding, compares,
 * conversions (the trapping and the saturating float -> int ones included)
 * and the float pairs of CMP_PAIRS.
 *
 * Operands come from their slots into xmm0 (first) and xmm1 with movss/movsd,
 * or as bits into rax/rcx where an operation is on the bits (abs, neg,
 * copysign).  An f32 result leaves through eax (movd zero-extends), so its
 * slot's high half is 0 as the interpreter's p_f32 leaves it; an f64 result
 * is stored with movsd.  rcx is the scratch for constants (mov rcx, imm64;
 * movq xmm1, rcx).
 *
 * SSE's own NaN rules match what engine/numeric.h does where the spec tests
 * look: arithmetic returns the first NaN operand quieted (or the default
 * NaN), which is an arithmetic NaN; min/max add the operands on the NaN path,
 * which gives exactly num_fmin32's quiet(a) if a is a NaN, else quiet(b).
 * No template uses FMA: each product of a pair is rounded on its own.
 */
#include "jit/jit_internal.h"

#include "engine/numeric.h"

/* ---- operands and results ------------------------------------------------------ */

/* Does an xmm register hold f64 slot s here: were the last bytes emitted
 * st's store of it, with no label bound after it?  Then *x is that register
 * (as jit_in_rax does for rax). */
static bool f64_in_xmm(const jit_state *j, int32_t s, x64_xmm *x)
{
    if (j->b.len != j->xfwd_end || j->b.bound_at == j->b.len || s != j->xfwd_slot)
        return false;
    *x = j->xfwd_reg;
    return true;
}

static void ld(jit_state *j, bool is64, x64_xmm x, int32_t s)
{
    x64_xmm in;
    if (is64 && f64_in_xmm(j, s, &in)) {
        (void)jit_slot(j, s); /* a use as memory all the same (pin.c) */
        if (in != x)
            x64_sse_rr(&j->b, X64_MOVSD, x, in);
        return;
    }
    x64_sse_rm(&j->b, is64 ? X64_MOVSD : X64_MOVSS, x, jit_slot(j, s));
}

/* xmm x = x op slot s: from the register that holds it when an f64 was just
 * stored there, else from memory. */
static void op_slot(jit_state *j, x64_sse op, bool is64, x64_xmm x, int32_t s)
{
    x64_xmm in;
    if (is64 && f64_in_xmm(j, s, &in)) {
        (void)jit_slot(j, s);
        x64_sse_rr(&j->b, op, x, in);
        return;
    }
    x64_sse_rm(&j->b, op, x, jit_slot(j, s));
}

/* The whole slot: an f32 zero-extended. */
static void st(jit_state *j, bool is64, int32_t s, x64_xmm x)
{
    if (is64) {
        x64_sse_store(&j->b, X64_MOVSD, jit_slot(j, s), x);
        j->xfwd_slot = s;
        j->xfwd_reg = x;
        j->xfwd_end = j->b.len;
    } else {
        x64_movd_rx(&j->b, X64_S32, X64_RAX, x);
        jit_st64(j, s, X64_RAX);
    }
}

/* xmm x = the double v (through rcx). */
static void const_f64(jit_state *j, x64_xmm x, double v)
{
    uint64_t bits = num_f64_bits(v);
    if (bits == 0) {
        x64_sse_rr(&j->b, X64_XORPD, x, x);
        return;
    }
    x64_mov_ri(&j->b, X64_S64, X64_RCX, (int64_t)bits);
    x64_movd_xr(&j->b, X64_S64, x, X64_RCX);
}

/* ---- arithmetic ------------------------------------------------------------------ */

/* The SSE instruction of a plain binary op, and its width. */
static bool arith_of(cmp_op op, x64_sse *sse, bool *is64)
{
    switch (op) {
#define A(id, o, w)                                                                         \
    case CO_##id:                                                                           \
        *sse = X64_##o;                                                                     \
        *is64 = w;                                                                          \
        return true;
    A(F32_ADD, ADDSS, false) A(F32_SUB, SUBSS, false) A(F32_MUL, MULSS, false)
    A(F32_DIV, DIVSS, false) A(F64_ADD, ADDSD, true) A(F64_SUB, SUBSD, true)
    A(F64_MUL, MULSD, true) A(F64_DIV, DIVSD, true)
#undef A
    default:
        return false;
    }
}

/* The two ops of a float pair (P_<o1>_<o2>_L / _R), and which side. */
static bool float_pair_of(cmp_op op, x64_sse *o1, x64_sse *o2, bool *right)
{
    cmp_op a, b;
    switch (op) {
#define X(p, q)                                                                             \
    case CO_P_##p##_##q##_L:                                                                \
    case CO_P_##p##_##q##_R:                                                                \
        a = CO_##p;                                                                         \
        b = CO_##q;                                                                         \
        *right = op == CO_P_##p##_##q##_R;                                                  \
        break;
        CMP_PAIRS(X)
#undef X
    default:
        return false;
    }
    bool w1, w2;
    return arith_of(a, o1, &w1) && arith_of(b, o2, &w2); /* false for the integer pairs */
}

/* min/max: [op][x=dst y=a][x=b].  minss/maxss alone get NaNs and zeros of
 * either sign wrong (they return the second operand), so those two cases are
 * taken first: unordered -> a + b (the NaN operand quieted, a's first), equal
 * -> the bits or'ed (min: -0 wins) or and'ed (max: +0 wins). */
static void emit_minmax(jit_state *j, const cmp_cell *pc, bool is64, bool is_min)
{
    cb_buf *b = &j->b;
    cb_label nan = cb_new_label(b), differ = cb_new_label(b), done = cb_new_label(b);
    ld(j, is64, 0, pc[1].s.y);
    ld(j, is64, 1, pc[2].s.x);
    x64_sse_rr(b, is64 ? X64_UCOMISD : X64_UCOMISS, 0, 1);
    x64_jcc(b, X64_P, nan);
    x64_jcc(b, X64_NE, differ);
    x64_sse_rr(b, is_min ? (is64 ? X64_ORPD : X64_ORPS) : (is64 ? X64_ANDPD : X64_ANDPS), 0, 1);
    x64_jmp(b, done);
    cb_bind(b, differ);
    x64_sse_rr(b, is_min ? (is64 ? X64_MINSD : X64_MINSS) : (is64 ? X64_MAXSD : X64_MAXSS), 0, 1);
    x64_jmp(b, done);
    cb_bind(b, nan);
    x64_sse_rr(b, is64 ? X64_ADDSD : X64_ADDSS, 0, 1);
    cb_bind(b, done);
    st(j, is64, pc[1].s.x, 0);
}

/* ---- sign operations, on the bits ---------------------------------------------------- */

typedef enum sign_op { SIGN_ABS, SIGN_NEG, SIGN_COPY } sign_op;

/* rax = the bits of a with the sign cleared (abs), flipped (neg), or b's
 * (copysign); shifts make the masks, so no constant is needed. */
static void emit_sign(jit_state *j, const cmp_cell *pc, bool is64, sign_op o)
{
    cb_buf *b = &j->b;
    x64_size s = is64 ? X64_S64 : X64_S32;
    uint8_t top = is64 ? 63 : 31;
    jit_ld(j, s, X64_RAX, pc[1].s.y);
    if (o == SIGN_NEG) {
        x64_mov_ri(b, s, X64_RCX, is64 ? INT64_MIN : (int64_t)UINT32_C(0x80000000));
        x64_alu_rr(b, X64_XOR, s, X64_RAX, X64_RCX);
    } else {
        x64_shift_ri(b, X64_SHL, s, X64_RAX, 1);
        x64_shift_ri(b, X64_SHR, s, X64_RAX, 1);
        if (o == SIGN_COPY) {
            jit_ld(j, s, X64_RCX, pc[2].s.x);
            x64_shift_ri(b, X64_SHR, s, X64_RCX, top);
            x64_shift_ri(b, X64_SHL, s, X64_RCX, top);
            x64_alu_rr(b, X64_OR, s, X64_RAX, X64_RCX);
        }
    }
    jit_st64(j, pc[1].s.x, X64_RAX);
}

/* ---- rounding to an integral value ------------------------------------------------- */

/* Without SSE4.1: the interpreter's functions (engine/numeric.h), on the bits
 * of the slot.  Called from compiled code with the op in esi. */
static uint64_t round_helper(uint64_t bits, uint32_t op)
{
    float f = num_f32_of((uint32_t)bits);
    double d = num_f64_of(bits);
    switch ((cmp_op)op) {
    case CO_F32_CEIL: return num_f32_bits(num_ceil32(f));
    case CO_F32_FLOOR: return num_f32_bits(num_floor32(f));
    case CO_F32_TRUNC: return num_f32_bits(num_trunc32(f));
    case CO_F32_NEAREST: return num_f32_bits(num_nearest32(f));
    case CO_F64_CEIL: return num_f64_bits(num_ceil64(d));
    case CO_F64_FLOOR: return num_f64_bits(num_floor64(d));
    case CO_F64_TRUNC: return num_f64_bits(num_trunc64(d));
    default: return num_f64_bits(num_nearest64(d));
    }
}

/* ceil/floor/trunc/nearest: [op][x=dst y=a].  roundss/sd take the mode from
 * the immediate (0 nearest-even, 1 down, 2 up, 3 toward zero; + 8: no
 * precision exception), keep -0 and quiet a signalling NaN. */
static void emit_round(jit_state *j, cmp_op op, const cmp_cell *pc, bool is64, uint8_t mode)
{
    cb_buf *b = &j->b;
    if (jit_cpu_sse41()) {
        ld(j, is64, 0, pc[1].s.y);
        if (is64)
            x64_roundsd(b, 0, 0, (uint8_t)(mode | 8));
        else
            x64_roundss(b, 0, 0, (uint8_t)(mode | 8));
        st(j, is64, pc[1].s.x, 0);
        return;
    }
    jit_ld(j, X64_S64, X64_RDI, pc[1].s.y);
    x64_mov_ri(b, X64_S32, X64_RSI, (int64_t)op);
    jit_call_c(j, (const void *)round_helper);
    jit_st64(j, pc[1].s.x, X64_RAX);
}

/* ---- compares ------------------------------------------------------------------------ */

/* [op][x=dst y=a][x=b].  ucomis* sets ZF, PF and CF all on unordered, so
 * "above" and "above or equal" are false for a NaN: lt and le compare the
 * other way round.  eq needs ZF without PF, ne ZF or PF. */
static void emit_compare(jit_state *j, const cmp_cell *pc, bool is64, cmp_op base)
{
    cb_buf *b = &j->b;
    x64_sse ucom = is64 ? X64_UCOMISD : X64_UCOMISS;
    int32_t a = pc[1].s.y, c = pc[2].s.x;
    bool swap = base == CO_F32_LT || base == CO_F32_LE;
    ld(j, is64, 0, swap ? c : a);
    op_slot(j, ucom, is64, 0, swap ? a : c);
    switch (base) {
    case CO_F32_EQ:
        x64_setcc(b, X64_E, X64_RAX);
        x64_setcc(b, X64_NP, X64_RCX);
        x64_alu_rr(b, X64_AND, X64_S32, X64_RAX, X64_RCX);
        break;
    case CO_F32_NE:
        x64_setcc(b, X64_NE, X64_RAX);
        x64_setcc(b, X64_P, X64_RCX);
        x64_alu_rr(b, X64_OR, X64_S32, X64_RAX, X64_RCX);
        break;
    case CO_F32_LT:
    case CO_F32_GT:
        x64_setcc(b, X64_A, X64_RAX);
        break;
    default: /* le, ge */
        x64_setcc(b, X64_AE, X64_RAX);
        break;
    }
    x64_movzx_rr(b, X64_S8, X64_S32, X64_RAX, X64_RAX);
    jit_st64(j, pc[1].s.x, X64_RAX);
}

/* The f32 compare with the same test as an f64 one (emit_compare's base). */
static bool compare_of(cmp_op op, cmp_op *base, bool *is64)
{
    switch (op) {
#define C(n)                                                                                \
    case CO_F32_##n:                                                                        \
        *base = CO_F32_##n;                                                                 \
        *is64 = false;                                                                      \
        return true;                                                                        \
    case CO_F64_##n:                                                                        \
        *base = CO_F32_##n;                                                                 \
        *is64 = true;                                                                       \
        return true;
    C(EQ) C(NE) C(LT) C(GT) C(LE) C(GE)
#undef C
    default:
        return false;
    }
}

/* ---- int -> float ------------------------------------------------------------------- */

/* xmm0 = the u64 in rax, rounded once: cvtsi2s* is signed, so a value with
 * the top bit set is halved first with its lowest bit kept sticky (or'ed in),
 * converted and doubled -- the halving loses nothing the rounding needs.
 * Clobbers rcx. */
static void u64_to_float(jit_state *j, bool is64)
{
    cb_buf *b = &j->b;
    x64_cvt cvt = is64 ? X64_CVTSI2SD : X64_CVTSI2SS;
    cb_label big = cb_new_label(b), done = cb_new_label(b);
    x64_test_rr(b, X64_S64, X64_RAX, X64_RAX);
    x64_jcc(b, X64_S, big);
    x64_cvt_from_int(b, cvt, X64_S64, 0, X64_RAX);
    x64_jmp(b, done);
    cb_bind(b, big);
    x64_mov_rr(b, X64_S64, X64_RCX, X64_RAX);
    x64_shift_ri(b, X64_SHR, X64_S64, X64_RCX, 1);
    x64_alu_ri(b, X64_AND, X64_S32, X64_RAX, 1);
    x64_alu_rr(b, X64_OR, X64_S64, X64_RCX, X64_RAX);
    x64_cvt_from_int(b, cvt, X64_S64, 0, X64_RCX);
    x64_sse_rr(b, is64 ? X64_ADDSD : X64_ADDSS, 0, 0);
    cb_bind(b, done);
}

/* [op][x=dst y=a]: an integer of width from (signed or not) to a float. */
static void emit_from_int(jit_state *j, const cmp_cell *pc, bool to64, x64_size from, bool sign)
{
    cb_buf *b = &j->b;
    x64_sse_rr(b, X64_XORPS, 0, 0); /* cvtsi2s* writes the low lane only */
    jit_ld(j, from, X64_RAX, pc[1].s.y);
    if (from == X64_S64 && !sign) {
        u64_to_float(j, to64);
    } else {
        /* A u32 is zero-extended by its 32-bit load: convert all of rax. */
        x64_size s = sign ? from : X64_S64;
        x64_cvt_from_int(b, to64 ? X64_CVTSI2SD : X64_CVTSI2SS, s, 0, X64_RAX);
    }
    st(j, to64, pc[1].s.x, 0);
}

/* ---- float -> int ------------------------------------------------------------------- */

/* Every float -> int conversion works on the operand as a double in xmm0
 * (an f32 widens exactly), as engine/numeric.h compares it. */
static void ld_as_f64(jit_state *j, bool is64, int32_t s)
{
    ld(j, is64, 0, s);
    if (!is64)
        x64_sse_rr(&j->b, X64_CVTSS2SD, 0, 0);
}

/* rax = the double in xmm0, truncated, which is in [0, 2^64): values from
 * 2^63 up are converted less 2^63 and get the top bit back.  Clobbers xmm0,
 * xmm1, rcx. */
static void f64_to_u64(jit_state *j)
{
    cb_buf *b = &j->b;
    cb_label big = cb_new_label(b), done = cb_new_label(b);
    const_f64(j, 1, 9223372036854775808.0);
    x64_sse_rr(b, X64_UCOMISD, 0, 1);
    x64_jcc(b, X64_AE, big);
    x64_cvt_to_int(b, X64_CVTTSD2SI, X64_S64, X64_RAX, 0);
    x64_jmp(b, done);
    cb_bind(b, big);
    x64_sse_rr(b, X64_SUBSD, 0, 1);
    x64_cvt_to_int(b, X64_CVTTSD2SI, X64_S64, X64_RAX, 0);
    x64_mov_ri(b, X64_S64, X64_RCX, INT64_MIN);
    x64_alu_rr(b, X64_XOR, X64_S64, X64_RAX, X64_RCX);
    cb_bind(b, done);
}

typedef enum int_target { T_I32_S, T_I32_U, T_I64_S, T_I64_U } int_target;

/* The trapping truncations: the ranges of engine/numeric.h's num_trunc_*
 * (open intervals, but i64_s includes -2^63), checked in line; a NaN traps
 * "invalid conversion to integer", anything else outside "integer overflow". */
static void emit_trunc(jit_state *j, const cmp_cell *pc, bool is64, int_target t)
{
    cb_buf *b = &j->b;
    cb_label overflow = jit_trap_label(j, WEFT_E_INT_OVERFLOW);
    static const double lo[] = {-2147483649.0, -1.0, -9223372036854775808.0, -1.0};
    static const double hi[] = {2147483648.0, 4294967296.0, 9223372036854775808.0,
                                18446744073709551616.0};
    ld_as_f64(j, is64, pc[1].s.y);
    const_f64(j, 1, lo[t]);
    x64_sse_rr(b, X64_UCOMISD, 0, 1);
    x64_jcc(b, X64_P, jit_trap_label(j, WEFT_E_BAD_CONVERSION));
    x64_jcc(b, t == T_I64_S ? X64_B : X64_BE, overflow);
    const_f64(j, 1, hi[t]);
    x64_sse_rr(b, X64_UCOMISD, 0, 1);
    x64_jcc(b, X64_AE, overflow);
    switch (t) {
    case T_I32_S:
        x64_cvt_to_int(b, X64_CVTTSD2SI, X64_S32, X64_RAX, 0);
        break;
    case T_I32_U: /* in [0, 2^32): the 64-bit conversion, zero-extended */
    case T_I64_S:
        x64_cvt_to_int(b, X64_CVTTSD2SI, X64_S64, X64_RAX, 0);
        break;
    case T_I64_U:
        f64_to_u64(j);
        break;
    }
    jit_st64(j, pc[1].s.x, X64_RAX);
}

/* The saturating truncations (0xFC page), as num_sat_*: NaN -> 0, the rest
 * clamped to the target's range. */
static void emit_trunc_sat(jit_state *j, const cmp_cell *pc, bool is64, int_target t)
{
    cb_buf *b = &j->b;
    cb_label done = cb_new_label(b);
    ld_as_f64(j, is64, pc[1].s.y);
    x64_alu_rr(b, X64_XOR, X64_S32, X64_RAX, X64_RAX);
    switch (t) {
    case T_I32_S:
    case T_I32_U: /* every i32 and u32 is a double: clamp, then convert */
        x64_sse_rr(b, X64_UCOMISD, 0, 0);
        x64_jcc(b, X64_P, done);
        const_f64(j, 1, t == T_I32_S ? -2147483648.0 : 0.0);
        x64_sse_rr(b, X64_MAXSD, 0, 1);
        const_f64(j, 1, t == T_I32_S ? 2147483647.0 : 4294967295.0);
        x64_sse_rr(b, X64_MINSD, 0, 1);
        x64_cvt_to_int(b, X64_CVTTSD2SI, t == T_I32_S ? X64_S32 : X64_S64, X64_RAX, 0);
        break;
    case T_I64_S: /* cvttsd2si gives INT64_MIN for everything out of range */
        x64_sse_rr(b, X64_UCOMISD, 0, 0);
        x64_jcc(b, X64_P, done);
        x64_mov_ri(b, X64_S64, X64_RAX, INT64_MAX);
        const_f64(j, 1, 9223372036854775808.0);
        x64_sse_rr(b, X64_UCOMISD, 0, 1);
        x64_jcc(b, X64_AE, done);
        x64_cvt_to_int(b, X64_CVTTSD2SI, X64_S64, X64_RAX, 0);
        break;
    case T_I64_U:
        const_f64(j, 1, 0.0);
        x64_sse_rr(b, X64_UCOMISD, 0, 1);
        x64_jcc(b, X64_BE, done); /* NaN (unordered sets CF and ZF) or <= 0 */
        x64_mov_ri(b, X64_S64, X64_RAX, -1);
        const_f64(j, 1, 18446744073709551616.0);
        x64_sse_rr(b, X64_UCOMISD, 0, 1);
        x64_jcc(b, X64_AE, done);
        f64_to_u64(j);
        break;
    }
    cb_bind(b, done);
    jit_st64(j, pc[1].s.x, X64_RAX);
}

/* ---- the group's entry --------------------------------------------------------------- */

static bool emit_unary(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    switch (op) {
    case CO_F32_SQRT:
    case CO_F64_SQRT: {
        bool is64 = op == CO_F64_SQRT;
        ld(j, is64, 0, pc[1].s.y);
        x64_sse_rr(b, is64 ? X64_SQRTSD : X64_SQRTSS, 0, 0);
        st(j, is64, pc[1].s.x, 0);
        return true;
    }
    case CO_F32_ABS: emit_sign(j, pc, false, SIGN_ABS); return true;
    case CO_F32_NEG: emit_sign(j, pc, false, SIGN_NEG); return true;
    case CO_F64_ABS: emit_sign(j, pc, true, SIGN_ABS); return true;
    case CO_F64_NEG: emit_sign(j, pc, true, SIGN_NEG); return true;
    case CO_F32_NEAREST: emit_round(j, op, pc, false, 0); return true;
    case CO_F32_FLOOR: emit_round(j, op, pc, false, 1); return true;
    case CO_F32_CEIL: emit_round(j, op, pc, false, 2); return true;
    case CO_F32_TRUNC: emit_round(j, op, pc, false, 3); return true;
    case CO_F64_NEAREST: emit_round(j, op, pc, true, 0); return true;
    case CO_F64_FLOOR: emit_round(j, op, pc, true, 1); return true;
    case CO_F64_CEIL: emit_round(j, op, pc, true, 2); return true;
    case CO_F64_TRUNC: emit_round(j, op, pc, true, 3); return true;
    case CO_F32_CONVERT_I32_S: emit_from_int(j, pc, false, X64_S32, true); return true;
    case CO_F32_CONVERT_I32_U: emit_from_int(j, pc, false, X64_S32, false); return true;
    case CO_F32_CONVERT_I64_S: emit_from_int(j, pc, false, X64_S64, true); return true;
    case CO_F32_CONVERT_I64_U: emit_from_int(j, pc, false, X64_S64, false); return true;
    case CO_F64_CONVERT_I32_S: emit_from_int(j, pc, true, X64_S32, true); return true;
    case CO_F64_CONVERT_I32_U: emit_from_int(j, pc, true, X64_S32, false); return true;
    case CO_F64_CONVERT_I64_S: emit_from_int(j, pc, true, X64_S64, true); return true;
    case CO_F64_CONVERT_I64_U: emit_from_int(j, pc, true, X64_S64, false); return true;
    case CO_F32_DEMOTE_F64:
        ld(j, true, 0, pc[1].s.y);
        x64_sse_rr(b, X64_CVTSD2SS, 0, 0);
        st(j, false, pc[1].s.x, 0);
        return true;
    case CO_F64_PROMOTE_F32:
        ld(j, false, 0, pc[1].s.y);
        x64_sse_rr(b, X64_CVTSS2SD, 0, 0);
        st(j, true, pc[1].s.x, 0);
        return true;
    case CO_I32_TRUNC_F32_S: emit_trunc(j, pc, false, T_I32_S); return true;
    case CO_I32_TRUNC_F32_U: emit_trunc(j, pc, false, T_I32_U); return true;
    case CO_I32_TRUNC_F64_S: emit_trunc(j, pc, true, T_I32_S); return true;
    case CO_I32_TRUNC_F64_U: emit_trunc(j, pc, true, T_I32_U); return true;
    case CO_I64_TRUNC_F32_S: emit_trunc(j, pc, false, T_I64_S); return true;
    case CO_I64_TRUNC_F32_U: emit_trunc(j, pc, false, T_I64_U); return true;
    case CO_I64_TRUNC_F64_S: emit_trunc(j, pc, true, T_I64_S); return true;
    case CO_I64_TRUNC_F64_U: emit_trunc(j, pc, true, T_I64_U); return true;
    case CO_I32_TRUNC_SAT_F32_S: emit_trunc_sat(j, pc, false, T_I32_S); return true;
    case CO_I32_TRUNC_SAT_F32_U: emit_trunc_sat(j, pc, false, T_I32_U); return true;
    case CO_I32_TRUNC_SAT_F64_S: emit_trunc_sat(j, pc, true, T_I32_S); return true;
    case CO_I32_TRUNC_SAT_F64_U: emit_trunc_sat(j, pc, true, T_I32_U); return true;
    case CO_I64_TRUNC_SAT_F32_S: emit_trunc_sat(j, pc, false, T_I64_S); return true;
    case CO_I64_TRUNC_SAT_F32_U: emit_trunc_sat(j, pc, false, T_I64_U); return true;
    case CO_I64_TRUNC_SAT_F64_S: emit_trunc_sat(j, pc, true, T_I64_S); return true;
    case CO_I64_TRUNC_SAT_F64_U: emit_trunc_sat(j, pc, true, T_I64_U); return true;
    default:
        return false;
    }
}

bool jit_emit_float(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    x64_sse sse, o1, o2;
    bool is64, right;
    cmp_op base;
    if (arith_of(op, &sse, &is64)) { /* [op][x=dst y=a][x=b] */
        ld(j, is64, 0, pc[1].s.y);
        op_slot(j, sse, is64, 0, pc[2].s.x);
        st(j, is64, pc[1].s.x, 0);
    } else if (compare_of(op, &base, &is64)) {
        emit_compare(j, pc, is64, base);
    } else if (float_pair_of(op, &o1, &o2, &right)) {
        /* [op][x=dst y=a][x=b y=c]: t = a o1 b; dst = t o2 c (_L), c o2 t (_R). */
        ld(j, true, 0, pc[1].s.y);
        op_slot(j, o1, true, 0, pc[2].s.x);
        if (right) {
            ld(j, true, 1, pc[2].s.y);
            x64_sse_rr(b, o2, 1, 0);
            st(j, true, pc[1].s.x, 1);
        } else {
            op_slot(j, o2, true, 0, pc[2].s.y);
            st(j, true, pc[1].s.x, 0);
        }
    } else {
        switch (op) {
        case CO_F32_MIN: emit_minmax(j, pc, false, true); break;
        case CO_F32_MAX: emit_minmax(j, pc, false, false); break;
        case CO_F64_MIN: emit_minmax(j, pc, true, true); break;
        case CO_F64_MAX: emit_minmax(j, pc, true, false); break;
        case CO_F32_COPYSIGN: emit_sign(j, pc, false, SIGN_COPY); break;
        case CO_F64_COPYSIGN: emit_sign(j, pc, true, SIGN_COPY); break;
        default:
            if (!emit_unary(j, op, pc))
                return false;
            j->len = 2;
            return true;
        }
    }
    j->len = 3;
    return true;
}

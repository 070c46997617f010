/*
 * emit_int.c -- templates for the i32 and i64 instructions: arithmetic,
 * bit counts, shifts, compares, extensions, divisions with their traps, and
 * the fused integer pairs (CMP_PAIRS).  The first operand comes into rax,
 * the second is an immediate when it is a constant, else a memory operand
 * (a shift count: cl); the result goes from rax to its slot.
 */
#include "jit/jit_internal.h"

typedef enum int_kind {
    K_ALU,  /* x64_alu op               */
    K_MUL,
    K_SHIFT, /* x64_shift op, count in cl */
} int_kind;

typedef struct int_binop {
    int_kind kind;
    x64_size size;
    int op; /* x64_alu or x64_shift */
} int_binop;

static bool binop_of(cmp_op op, int_binop *out)
{
    switch (op) {
#define A(id, sz, o)                                                                        \
    case CO_##id:                                                                           \
        *out = (int_binop){K_ALU, X64_S##sz, X64_##o};                                      \
        return true;
#define S(id, sz, o)                                                                        \
    case CO_##id:                                                                           \
        *out = (int_binop){K_SHIFT, X64_S##sz, X64_##o};                                    \
        return true;
    A(I32_ADD, 32, ADD) A(I32_SUB, 32, SUB) A(I32_AND, 32, AND) A(I32_OR, 32, OR)
    A(I32_XOR, 32, XOR) A(I64_ADD, 64, ADD) A(I64_SUB, 64, SUB) A(I64_AND, 64, AND)
    A(I64_OR, 64, OR) A(I64_XOR, 64, XOR)
    S(I32_SHL, 32, SHL) S(I32_SHR_S, 32, SAR) S(I32_SHR_U, 32, SHR) S(I32_ROTL, 32, ROL)
    S(I32_ROTR, 32, ROR) S(I64_SHL, 64, SHL) S(I64_SHR_S, 64, SAR) S(I64_SHR_U, 64, SHR)
    S(I64_ROTL, 64, ROL) S(I64_ROTR, 64, ROR)
#undef A
#undef S
    case CO_I32_MUL:
        *out = (int_binop){K_MUL, X64_S32, 0};
        return true;
    case CO_I64_MUL:
        *out = (int_binop){K_MUL, X64_S64, 0};
        return true;
    default:
        return false;
    }
}

/* rax = rax op rcx.  x86 masks shift counts as wasm does (mod 32, mod 64). */
static void apply(jit_state *j, int_binop o)
{
    switch (o.kind) {
    case K_ALU:
        x64_alu_rr(&j->b, (x64_alu)o.op, o.size, X64_RAX, X64_RCX);
        break;
    case K_MUL:
        x64_imul_rr(&j->b, o.size, X64_RAX, X64_RCX);
        break;
    case K_SHIFT:
        x64_shift_cl(&j->b, (x64_shift)o.op, o.size, X64_RAX);
        break;
    }
}

/* rax = rax op slot s: the constant as an immediate (a shift's count masked
 * as wasm and x86 both mask it), else from the slot (a shift's count in cl). */
static void apply_slot(jit_state *j, int_binop o, int32_t s)
{
    int32_t imm;
    switch (o.kind) {
    case K_ALU:
        jit_alu_rs(j, (x64_alu)o.op, o.size, X64_RAX, s);
        return;
    case K_MUL:
        if (jit_const_imm(j, o.size, s, &imm)) {
            x64_imul_rri(&j->b, o.size, X64_RAX, X64_RAX, imm);
        } else {
            jit_opnd m = jit_opnd_of(j, s); /* a use either way: the local may be pinned */
            if (m.reg >= 0)
                x64_imul_rr(&j->b, o.size, X64_RAX, (x64_reg)m.reg);
            else
                x64_imul_rm(&j->b, o.size, X64_RAX, m.mem);
        }
        return;
    case K_SHIFT:
        if (jit_const_imm(j, X64_S32, s, &imm)) {
            /* A count of 0 changes nothing: rax already holds the zero-
             * extended operand (or the 64-bit one). */
            uint8_t n = (uint8_t)(imm & (o.size == X64_S64 ? 63 : 31));
            if (n)
                x64_shift_ri(&j->b, (x64_shift)o.op, o.size, X64_RAX, n);
        } else {
            jit_ld32(j, X64_RCX, s);
            x64_shift_cl(&j->b, (x64_shift)o.op, o.size, X64_RAX);
        }
        return;
    }
}

/* Does x op y equal y op x? */
static bool commutes(int_binop o)
{
    return o.kind == K_MUL || (o.kind == K_ALU && o.op != X64_SUB);
}

/* The two ops of a fused pair (P_<o1>_<o2>_L / _R), and which side. */
static bool pair_of(cmp_op op, cmp_op *o1, cmp_op *o2, bool *right)
{
    switch (op) {
#define X(a, b)                                                                             \
    case CO_P_##a##_##b##_L:                                                                \
    case CO_P_##a##_##b##_R:                                                                \
        *o1 = CO_##a;                                                                       \
        *o2 = CO_##b;                                                                       \
        *right = op == CO_P_##a##_##b##_R;                                                  \
        return true;
        CMP_PAIRS(X)
#undef X
    default:
        return false;
    }
}

/* Division and remainder, with the interpreter's traps. */
static void emit_divrem(jit_state *j, const cmp_cell *pc, x64_size s, bool is_signed, bool rem)
{
    cb_buf *b = &j->b;
    jit_ld(j, s, X64_RAX, pc[1].s.y);
    jit_ld(j, s, X64_RCX, pc[2].s.x);
    x64_test_rr(b, s, X64_RCX, X64_RCX);
    x64_jcc(b, X64_E, jit_trap_label(j, WEFT_E_DIV_BY_ZERO));
    cb_label done = cb_new_label(b);
    if (is_signed) {
        /* b == -1: the quotient is -a (overflow for the minimum), the
         * remainder 0; idiv would fault on the minimum. */
        cb_label normal = cb_new_label(b);
        x64_alu_ri(b, X64_CMP, s, X64_RCX, -1);
        x64_jcc(b, X64_NE, normal);
        if (rem) {
            x64_alu_rr(b, X64_XOR, X64_S32, X64_RDX, X64_RDX);
        } else {
            x64_unary(b, X64_NEG, s, X64_RAX);
            x64_jcc(b, X64_O, jit_trap_label(j, WEFT_E_INT_OVERFLOW));
        }
        x64_jmp(b, done);
        cb_bind(b, normal);
        if (s == X64_S64)
            x64_cqo(b);
        else
            x64_cdq(b);
        x64_unary(b, X64_IDIV, s, X64_RCX);
    } else {
        x64_alu_rr(b, X64_XOR, X64_S32, X64_RDX, X64_RDX);
        x64_unary(b, X64_DIV, s, X64_RCX);
    }
    cb_bind(b, done);
    jit_st64(j, pc[1].s.x, rem ? X64_RDX : X64_RAX);
    j->len = 3;
}

/* The bit-count instruction of a clz, ctz or popcnt op. */
static x64_bitcnt bitcnt_of(cmp_op op)
{
    return (op == CO_I32_CLZ || op == CO_I64_CLZ)   ? X64_LZCNT
           : (op == CO_I32_CTZ || op == CO_I64_CTZ) ? X64_TZCNT
                                                    : X64_POPCNT;
}

/* Unary: [op][x=dst y=a], on the operand in rax (forwarded, a pinned
 * local's register or its slot: one load either way). */
static bool emit_unary(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    const x64_reg a = X64_RAX;
    switch (op) {
    case CO_I32_CLZ: case CO_I32_CTZ: case CO_I32_POPCNT:
    case CO_I64_CLZ: case CO_I64_CTZ: case CO_I64_POPCNT:
        if (!jit_cpu_has(bitcnt_of(op)))
            return false;
        jit_ld64(j, a, pc[1].s.y);
        break;
    case CO_I32_EQZ: case CO_I64_EQZ: case CO_I32_WRAP_I64:
    case CO_I64_EXTEND_I32_U: case CO_I64_EXTEND_I32_S: case CO_I64_EXTEND32_S:
    case CO_I32_EXTEND8_S: case CO_I32_EXTEND16_S: case CO_I64_EXTEND8_S:
    case CO_I64_EXTEND16_S: case CO_I32_REINTERPRET_F32: case CO_F32_REINTERPRET_I32:
    case CO_I64_REINTERPRET_F64: case CO_F64_REINTERPRET_I64:
        jit_ld64(j, a, pc[1].s.y);
        break;
    default:
        return false;
    }
    switch (op) {
    case CO_I32_EQZ:
    case CO_I64_EQZ:
        x64_test_rr(b, op == CO_I32_EQZ ? X64_S32 : X64_S64, a, a);
        x64_setcc(b, X64_E, X64_RAX);
        x64_movzx_rr(b, X64_S8, X64_S32, X64_RAX, X64_RAX);
        break;
    case CO_I32_CLZ:
    case CO_I32_CTZ:
    case CO_I32_POPCNT:
    case CO_I64_CLZ:
    case CO_I64_CTZ:
    case CO_I64_POPCNT: {
        bool is64 = op == CO_I64_CLZ || op == CO_I64_CTZ || op == CO_I64_POPCNT;
        x64_bitcnt_rr(b, bitcnt_of(op), is64 ? X64_S64 : X64_S32, X64_RAX, a);
        break;
    }
    case CO_I32_WRAP_I64:
    case CO_I64_EXTEND_I32_U:
        x64_mov_rr(b, X64_S32, X64_RAX, a);
        break;
    case CO_I64_EXTEND_I32_S:
    case CO_I64_EXTEND32_S:
        x64_movsx_rr(b, X64_S32, X64_S64, X64_RAX, a);
        break;
    case CO_I32_EXTEND8_S:
        x64_movsx_rr(b, X64_S8, X64_S32, X64_RAX, a);
        break;
    case CO_I32_EXTEND16_S:
        x64_movsx_rr(b, X64_S16, X64_S32, X64_RAX, a);
        break;
    case CO_I64_EXTEND8_S:
        x64_movsx_rr(b, X64_S8, X64_S64, X64_RAX, a);
        break;
    case CO_I64_EXTEND16_S:
        x64_movsx_rr(b, X64_S16, X64_S64, X64_RAX, a);
        break;
    /* Reinterpretations move bits: slots hold them as they are. */
    case CO_I32_REINTERPRET_F32:
    case CO_F32_REINTERPRET_I32:
    case CO_I64_REINTERPRET_F64:
    case CO_F64_REINTERPRET_I64:
        break;
    default:
        return false;
    }
    jit_st64(j, pc[1].s.x, X64_RAX);
    j->len = 2;
    return true;
}

bool jit_emit_int(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    int_binop o;
    x64_cc cc;
    x64_size size;
    cmp_op o1, o2;
    bool right;
    if (binop_of(op, &o)) { /* [op][x=dst y=a][x=b] */
        jit_ld(j, o.size, X64_RAX, pc[1].s.y);
        apply_slot(j, o, pc[2].s.x);
        jit_st64(j, pc[1].s.x, X64_RAX);
        j->len = 3;
        return true;
    }
    if (jit_int_compare(op, &cc, &size)) { /* [op][x=dst y=a][x=b] */
        jit_ld(j, size, X64_RAX, pc[1].s.y);
        jit_alu_rs(j, X64_CMP, size, X64_RAX, pc[2].s.x);
        x64_setcc(b, cc, X64_RAX);
        x64_movzx_rr(b, X64_S8, X64_S32, X64_RAX, X64_RAX);
        jit_st64(j, pc[1].s.x, X64_RAX);
        j->len = 3;
        return true;
    }
    if (pair_of(op, &o1, &o2, &right)) {
        /* [op][x=dst y=a][x=b y=c]: t = a o1 b; dst = t o2 c (_L), c o2 t (_R). */
        int_binop p1, p2;
        if (!binop_of(o1, &p1) || !binop_of(o2, &p2))
            return false; /* the float pairs */
        jit_ld(j, p1.size, X64_RAX, pc[1].s.y);
        apply_slot(j, p1, pc[2].s.x);
        if (right && !commutes(p2)) {
            x64_mov_rr(b, X64_S64, X64_RCX, X64_RAX);
            jit_ld(j, p2.size, X64_RAX, pc[2].s.y);
            apply(j, p2);
        } else {
            apply_slot(j, p2, pc[2].s.y);
        }
        jit_st64(j, pc[1].s.x, X64_RAX);
        j->len = 3;
        return true;
    }
    switch (op) {
    case CO_I32_DIV_S:
        emit_divrem(j, pc, X64_S32, true, false);
        return true;
    case CO_I32_DIV_U:
        emit_divrem(j, pc, X64_S32, false, false);
        return true;
    case CO_I32_REM_S:
        emit_divrem(j, pc, X64_S32, true, true);
        return true;
    case CO_I32_REM_U:
        emit_divrem(j, pc, X64_S32, false, true);
        return true;
    case CO_I64_DIV_S:
        emit_divrem(j, pc, X64_S64, true, false);
        return true;
    case CO_I64_DIV_U:
        emit_divrem(j, pc, X64_S64, false, false);
        return true;
    case CO_I64_REM_S:
        emit_divrem(j, pc, X64_S64, true, true);
        return true;
    case CO_I64_REM_U:
        emit_divrem(j, pc, X64_S64, false, true);
        return true;
    default:
        return emit_unary(j, op, pc);
    }
}

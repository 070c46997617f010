/*
 * emit_mem.c -- templates for plain loads and stores (with their fused-address
 * _A and scaled _S forms, and the _SW twins of software-bounds mode) and
 * memory.size / memory.grow.
 *
 * The effective address is computed in rax: the u32 address (zero-extended
 * by the 32-bit operations that make it) plus the u32 offset.  Guard mode
 * accesses [r15 + rax + offset] unchecked, as the interpreter does: the
 * reservation covers every such sum and a fault becomes a trap of this
 * thread (DESIGN.md).  The _SW twins compare rax + offset + size with the
 * memory's current size first.
 */
#include "engine/memory.h"
#include "jit/jit_internal.h"

typedef struct mem_access {
    bool store;
    x64_size size;   /* bytes moved                      */
    bool sign;       /* loads: sign-extend               */
    x64_size to;     /* loads: the result's width        */
} mem_access;

static bool access_of(cmp_op op, mem_access *a)
{
    switch (op) {
#define L(id, sz, sg, to_)                                                                  \
    case CO_##id:                                                                           \
        *a = (mem_access){false, X64_S##sz, sg, X64_S##to_};                                \
        return true;
#define S(id, sz)                                                                           \
    case CO_##id:                                                                           \
        *a = (mem_access){true, X64_S##sz, false, X64_S##sz};                               \
        return true;
    L(I32_LOAD, 32, false, 32) L(I64_LOAD, 64, false, 64) L(F32_LOAD, 32, false, 32)
    L(F64_LOAD, 64, false, 64) L(I32_LOAD8_S, 8, true, 32) L(I32_LOAD8_U, 8, false, 32)
    L(I32_LOAD16_S, 16, true, 32) L(I32_LOAD16_U, 16, false, 32) L(I64_LOAD8_S, 8, true, 64)
    L(I64_LOAD8_U, 8, false, 64) L(I64_LOAD16_S, 16, true, 64) L(I64_LOAD16_U, 16, false, 64)
    L(I64_LOAD32_S, 32, true, 64) L(I64_LOAD32_U, 32, false, 64)
    S(I32_STORE, 32) S(I64_STORE, 64) S(F32_STORE, 32) S(F64_STORE, 64) S(I32_STORE8, 8)
    S(I32_STORE16, 16) S(I64_STORE8, 8) S(I64_STORE16, 16) S(I64_STORE32, 32)
#undef L
#undef S
    default:
        return false;
    }
}

typedef enum addr_form { F_PLAIN, F_SW, F_A, F_A_SW, F_S, F_S_SW } addr_form;

/* The base op and the address form of a load or store. */
static cmp_op split(cmp_op op, addr_form *form)
{
    switch (op) {
#define P(id)                                                                               \
    case CO_##id:                                                                           \
        *form = F_PLAIN;                                                                    \
        return CO_##id;                                                                     \
    case CO_##id##_SW:                                                                      \
        *form = F_SW;                                                                       \
        return CO_##id;
#define A(id)                                                                               \
    case CO_##id##_A:                                                                       \
        *form = F_A;                                                                        \
        return CO_##id;                                                                     \
    case CO_##id##_A_SW:                                                                    \
        *form = F_A_SW;                                                                     \
        return CO_##id;
#define K(id)                                                                               \
    case CO_##id##_S:                                                                       \
        *form = F_S;                                                                        \
        return CO_##id;                                                                     \
    case CO_##id##_S_SW:                                                                    \
        *form = F_S_SW;                                                                     \
        return CO_##id;
        P(I32_LOAD) P(I64_LOAD) P(F32_LOAD) P(F64_LOAD) P(I32_LOAD8_S) P(I32_LOAD8_U)
        P(I32_LOAD16_S) P(I32_LOAD16_U) P(I64_LOAD8_S) P(I64_LOAD8_U) P(I64_LOAD16_S)
        P(I64_LOAD16_U) P(I64_LOAD32_S) P(I64_LOAD32_U) P(I32_STORE) P(I64_STORE)
        P(F32_STORE) P(F64_STORE) P(I32_STORE8) P(I32_STORE16) P(I64_STORE8)
        P(I64_STORE16) P(I64_STORE32)
        CMP_ADDR_FUSABLE(A)
        CMP_SCALED_FUSABLE(K)
#undef P
#undef A
#undef K
    default:
        return CO_COUNT_;
    }
}

static void mem_check(jit_state *j, uint32_t offset, uint32_t n)
{
    cb_buf *b = &j->b;
    /* rcx = rax + offset + n (no overflow: each part is below 2^33). */
    x64_mov_ri(b, X64_S32, X64_RCX, (int64_t)offset);
    x64_alu_rr(b, X64_ADD, X64_S64, X64_RCX, X64_RAX);
    if (n)
        x64_alu_ri(b, X64_ADD, X64_S64, X64_RCX, (int32_t)n);
    jit_load_memory0(j, X64_RDX);
    x64_alu_rm(b, X64_CMP, X64_S64, X64_RCX, x64_mem_bd(X64_RDX, offsetof(weft_memory, size)));
    x64_jcc(b, X64_A, jit_trap_label(j, WEFT_E_OOB_MEMORY));
}

static x64_mem mem_operand(jit_state *j, uint32_t offset)
{
    if (offset <= INT32_MAX)
        return x64_mem_bisd(JIT_MEM, X64_RAX, 1, (int32_t)offset);
    x64_mov_ri(&j->b, X64_S32, X64_RCX, (int64_t)offset);
    x64_alu_rr(&j->b, X64_ADD, X64_S64, X64_RAX, X64_RCX);
    return x64_mem_bisd(JIT_MEM, X64_RAX, 1, 0);
}

x64_mem jit_guest(jit_state *j, uint32_t offset, uint32_t n, bool sw)
{
    if (sw)
        mem_check(j, offset, n);
    return mem_operand(j, offset);
}

/* Moves between memory and rcx/rax for access a. */
static void do_access(jit_state *j, mem_access a, x64_mem m, int32_t slot)
{
    cb_buf *b = &j->b;
    if (a.store) {
        uint64_t v;
        if (jit_const(j, slot, &v) && (a.size != X64_S64 || (int64_t)v == (int32_t)v)) {
            x64_store_imm(b, a.size, m, (int32_t)(uint32_t)v);
            return;
        }
        jit_ld64(j, X64_RCX, slot);
        x64_store(b, a.size, m, X64_RCX);
        return;
    }
    if (a.size == X64_S8 || a.size == X64_S16) {
        if (a.sign)
            x64_movsx_rm(b, a.size, a.to, X64_RAX, m);
        else
            x64_movzx_rm(b, a.size, X64_S32, X64_RAX, m);
    } else if (a.size == X64_S32 && a.sign) {
        x64_movsx_rm(b, X64_S32, X64_S64, X64_RAX, m);
    } else {
        x64_load(b, a.size, X64_RAX, m);
    }
    jit_st64(j, slot, X64_RAX);
}

bool jit_emit_mem(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    addr_form form;
    mem_access a;
    cmp_op base = split(op, &form);
    if (base != CO_COUNT_ && access_of(base, &a)) {
        /* load [op][x=dst y=addr][off (y=b)] / store [op][x=addr y=val][off (y=b)];
         * _S: [op][x=dst|a y=a|val][off, y=index][x=k y=w]. */
        int32_t addr = a.store ? pc[1].s.x : pc[1].s.y;
        int32_t value = a.store ? pc[1].s.y : pc[1].s.x;
        uint32_t offset = (uint32_t)pc[2].s.x;
        bool sw = form == F_SW || form == F_A_SW || form == F_S_SW;
        uint64_t k;
        if (form == F_PLAIN && jit_const(j, addr, &k) && (uint32_t)k + (uint64_t)offset <= INT32_MAX) {
            /* A constant address (a global variable): [r15 + address]. */
            int32_t ea = (int32_t)((uint32_t)k + offset);
            do_access(j, a, x64_mem_bd(JIT_MEM, ea), value);
            j->len = 3;
            return true;
        }
        jit_ld32(j, X64_RAX, form == F_S || form == F_S_SW ? pc[2].s.y : addr);
        if (form == F_A || form == F_A_SW) {
            jit_alu_rs(j, X64_ADD, X64_S32, X64_RAX, pc[2].s.y);
        } else if (form == F_S || form == F_S_SW) {
            int32_t n;
            if (jit_const_imm(j, X64_S32, pc[3].s.x, &n)) {
                if (n & 31)
                    x64_shift_ri(b, X64_SHL, X64_S32, X64_RAX, (uint8_t)(n & 31));
            } else {
                jit_ld32(j, X64_RCX, pc[3].s.x);
                x64_shift_cl(b, X64_SHL, X64_S32, X64_RAX);
            }
            jit_alu_rs(j, X64_ADD, X64_S32, X64_RAX, addr);
            jit_st64(j, pc[3].s.y, X64_RAX);
        }
        do_access(j, a, jit_guest(j, offset, (uint32_t)a.size, sw), value);
        j->len = form == F_S || form == F_S_SW ? 4 : 3;
        return true;
    }
    switch (op) {
    case CO_MEMORY_SIZE: /* [op][x=dst] */
        jit_load_memory0(j, X64_RAX);
        x64_load(b, X64_S64, X64_RAX, x64_mem_bd(X64_RAX, offsetof(weft_memory, size)));
        x64_shift_ri(b, X64_SHR, X64_S64, X64_RAX, 16);
        jit_st64(j, pc[1].s.x, X64_RAX);
        j->len = 2;
        return true;
    case CO_MEMORY_GROW: /* [op][x=dst y=delta] */
        jit_arg_env(j);
        jit_ld32(j, X64_RSI, pc[1].s.y);
        jit_call_c(j, (const void *)jit_rt_memory_grow);
        x64_mov_rr(b, X64_S32, X64_RAX, X64_RAX);
        jit_st64(j, pc[1].s.x, X64_RAX);
        j->len = 2;
        return true;
    default:
        return false;
    }
}

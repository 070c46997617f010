/*
 * emit_atomic.c -- templates for the 0xFE page (the threads proposal): atomic
 * loads, stores, read-modify-writes and compare-exchanges in all their forms
 * (plain, _SW, and the constant-address _K and _K_SW), atomic.fence, and
 * memory.atomic.notify / wait32 / wait64 through the parking lot.  The
 * semantics are atomics/atomic_ops.h's, check for check.
 *
 * x86's memory model makes plain loads seq_cst as long as every seq_cst
 * store is an xchg (or a locked instruction), which is what compiled code
 * and the interpreter's __atomic builtins both emit, so the two tiers may
 * share a memory.  add and sub are lock xadd (sub: of the negated value);
 * and, or and xor have no fetch form on x86 and loop on lock cmpxchg;
 * exchange is xchg (locked by the hardware); compare-exchange is lock
 * cmpxchg, whose compare has the access's width, so a narrow `expected` is
 * wrapped to it as the interpreter wraps it.  Results are zero-extended.
 *
 * Registers: the effective address in rsi (the access is [r15 + rsi]), the
 * operand in rcx, the accumulator rax (cmpxchg), rdx and rdi scratch.
 * Checks, in the interpreter's order: alignment ("unaligned atomic") unless
 * the translator checked it (_K), then bounds in the _SW twins (and in guard
 * mode too under TSan); otherwise the guard pages: an aligned atomic never
 * straddles a page, so it faults before it has done anything.
 */
#include "engine/memory.h"
#include "jit/jit_internal.h"

/* As atomic_ops.h's ATOM_GUARD_CHECKS_BOUNDS. */
#define JIT_ATOM_GUARD_CHECKS_BOUNDS WEFT_TSAN

typedef enum atom_kind {
    A_LOAD, A_STORE, A_ADD, A_SUB, A_AND, A_OR, A_XOR, A_XCHG, A_CMPXCHG
} atom_kind;

typedef struct atom_access {
    atom_kind kind;
    x64_size size; /* bytes accessed */
    bool k;        /* the _K forms: the effective address is in pc[2] */
    bool sw;       /* the _SW twins: check bounds */
} atom_access;

static bool access_of(cmp_op op, atom_access *a)
{
    switch (op) {
#define FORMS(id, kd, sz)                                                                   \
    case CO_##id:                                                                           \
        *a = (atom_access){kd, X64_S##sz, false, false};                                    \
        return true;                                                                        \
    case CO_##id##_SW:                                                                      \
        *a = (atom_access){kd, X64_S##sz, false, true};                                     \
        return true;                                                                        \
    case CO_##id##_K:                                                                       \
        *a = (atom_access){kd, X64_S##sz, true, false};                                     \
        return true;                                                                        \
    case CO_##id##_K_SW:                                                                    \
        *a = (atom_access){kd, X64_S##sz, true, true};                                      \
        return true;
#define FAMILY(OP, kd)                                                                      \
    FORMS(I32_ATOMIC_RMW_##OP, kd, 32) FORMS(I64_ATOMIC_RMW_##OP, kd, 64)                   \
    FORMS(I32_ATOMIC_RMW8_##OP##_U, kd, 8) FORMS(I32_ATOMIC_RMW16_##OP##_U, kd, 16)         \
    FORMS(I64_ATOMIC_RMW8_##OP##_U, kd, 8) FORMS(I64_ATOMIC_RMW16_##OP##_U, kd, 16)         \
    FORMS(I64_ATOMIC_RMW32_##OP##_U, kd, 32)
        FORMS(I32_ATOMIC_LOAD, A_LOAD, 32) FORMS(I64_ATOMIC_LOAD, A_LOAD, 64)
        FORMS(I32_ATOMIC_LOAD8_U, A_LOAD, 8) FORMS(I32_ATOMIC_LOAD16_U, A_LOAD, 16)
        FORMS(I64_ATOMIC_LOAD8_U, A_LOAD, 8) FORMS(I64_ATOMIC_LOAD16_U, A_LOAD, 16)
        FORMS(I64_ATOMIC_LOAD32_U, A_LOAD, 32)
        FORMS(I32_ATOMIC_STORE, A_STORE, 32) FORMS(I64_ATOMIC_STORE, A_STORE, 64)
        FORMS(I32_ATOMIC_STORE8, A_STORE, 8) FORMS(I32_ATOMIC_STORE16, A_STORE, 16)
        FORMS(I64_ATOMIC_STORE8, A_STORE, 8) FORMS(I64_ATOMIC_STORE16, A_STORE, 16)
        FORMS(I64_ATOMIC_STORE32, A_STORE, 32)
        FAMILY(ADD, A_ADD) FAMILY(SUB, A_SUB) FAMILY(AND, A_AND) FAMILY(OR, A_OR)
        FAMILY(XOR, A_XOR) FAMILY(XCHG, A_XCHG) FAMILY(CMPXCHG, A_CMPXCHG)
#undef FORMS
#undef FAMILY
    default:
        return false;
    }
}

/* Traps unless [rsi, rsi + n) lies within memory 0's current size (clobbers
 * rdi and rdx). */
static void check_bounds(jit_state *j, uint32_t n)
{
    cb_buf *b = &j->b;
    x64_lea(b, X64_S64, X64_RDI, x64_mem_bd(X64_RSI, (int32_t)n));
    jit_load_memory0(j, X64_RDX);
    x64_alu_rm(b, X64_CMP, X64_S64, X64_RDI, x64_mem_bd(X64_RDX, offsetof(weft_memory, size)));
    x64_jcc(b, X64_A, jit_trap_label(j, WEFT_E_OOB_MEMORY));
}

/* rsi = the u32 in slot `addr` + offset (64 bits: no wrap), as ATOM_ADDR and
 * the wait/notify handlers compute it. */
static void effective_address(jit_state *j, int32_t addr, uint32_t offset)
{
    cb_buf *b = &j->b;
    jit_ld32(j, X64_RSI, addr);
    if (offset == 0)
        return;
    if (offset <= INT32_MAX) {
        x64_alu_ri(b, X64_ADD, X64_S64, X64_RSI, (int32_t)offset);
    } else {
        x64_mov_ri(b, X64_S32, X64_RDI, (int64_t)offset);
        x64_alu_rr(b, X64_ADD, X64_S64, X64_RSI, X64_RDI);
    }
}

/* The checked guest operand of access a at pc (see the top). */
static x64_mem atom_operand(jit_state *j, atom_access a, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    uint32_t n = (uint32_t)a.size;
    bool bounds = a.sw || JIT_ATOM_GUARD_CHECKS_BOUNDS;
    if (a.k) {
        uint64_t ea = pc[2].u64;
        if (ea + n <= INT32_MAX) { /* the address fits the displacement */
            if (bounds) {
                jit_load_memory0(j, X64_RDX);
                x64_alu_mi(b, X64_CMP, X64_S64, x64_mem_bd(X64_RDX, offsetof(weft_memory, size)),
                           (int32_t)(ea + n));
                x64_jcc(b, X64_B, jit_trap_label(j, WEFT_E_OOB_MEMORY));
            }
            return x64_mem_bd(JIT_MEM, (int32_t)ea);
        }
        x64_mov_ri(b, X64_S64, X64_RSI, (int64_t)ea);
    } else {
        /* store: [op][x=addr ...]; the others: [op][x=dst y=addr]. */
        effective_address(j, a.kind == A_STORE ? pc[1].s.x : pc[1].s.y, (uint32_t)pc[2].s.x);
        if (n > 1) {
            x64_test_ri(b, X64_S32, X64_RSI, (int32_t)(n - 1));
            x64_jcc(b, X64_NE, jit_trap_label(j, WEFT_E_UNALIGNED_ATOMIC));
        }
    }
    if (bounds)
        check_bounds(j, n);
    return x64_mem_bisd(JIT_MEM, X64_RSI, 1, 0);
}

/* r = r's low `size` bytes, zero-extended to 64 bits. */
static void zero_extend(jit_state *j, x64_size size, x64_reg r)
{
    if (size == X64_S8 || size == X64_S16)
        x64_movzx_rr(&j->b, size, X64_S32, r, r);
    else if (size == X64_S32)
        x64_mov_rr(&j->b, X64_S32, r, r);
}

/* r = the `size` bytes at m, zero-extended. */
static void load_zx(jit_state *j, x64_size size, x64_reg r, x64_mem m)
{
    if (size == X64_S8 || size == X64_S16)
        x64_movzx_rm(&j->b, size, X64_S32, r, m);
    else
        x64_load(&j->b, size, r, m);
}

/* Does the next instruction (j->len set), which no branch lands on, write
 * slot dst without reading it?  Recognised: the constant-address atomics
 * (_K), which read only their value operands; so in the unrolled loops of
 * atomic adds whose results are dropped (`drop` leaves the temp to the next
 * one), each add need not store its old value -- and a store between two
 * locked instructions would wait for the store buffer to drain. */
static bool result_overwritten(const jit_state *j, int32_t dst)
{
    uint32_t next = j->at + j->len;
    atom_access n;
    if (next >= j->code->ncells || j->targets[next])
        return false;
    const cmp_cell *pc = &j->code->cells[next];
    if (pc->op >= CO_COUNT_ || !access_of((cmp_op)pc->op, &n) || !n.k || n.kind == A_STORE)
        return false;
    if (pc[1].s.x != dst)
        return false;
    if (n.kind != A_LOAD && pc[1].s.y == dst)
        return false; /* its value (or expected value) */
    return n.kind != A_CMPXCHG || pc[3].s.x != dst;
}

/* fp[dst] = r, unless the next instruction overwrites it first. */
static void store_result(jit_state *j, int32_t dst, x64_reg r)
{
    if (!result_overwritten(j, dst))
        jit_st64(j, dst, r);
}

static void emit_access(jit_state *j, atom_access a, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    /* Layouts (code.h): the value operand of an rmw and the expected value
     * of a cmpxchg move up to pc[1].y in the _K forms. */
    int32_t dst = pc[1].s.x;
    int32_t value = a.kind == A_STORE || a.k ? pc[1].s.y : pc[2].s.y;
    x64_mem m = atom_operand(j, a, pc);
    j->len = a.kind == A_CMPXCHG ? 4 : 3;
    switch (a.kind) {
    case A_LOAD:
        load_zx(j, a.size, X64_RAX, m);
        store_result(j, dst, X64_RAX);
        return;
    case A_STORE: /* xchg: a seq_cst store */
        jit_ld64(j, X64_RCX, value);
        x64_xchg(b, a.size, m, X64_RCX);
        return;
    case A_ADD:
    case A_SUB:
        jit_ld64(j, X64_RCX, value);
        if (result_overwritten(j, dst)) { /* no old value wanted: lock add/sub */
            x64_lock_alu_mr(b, a.kind == A_SUB ? X64_SUB : X64_ADD, a.size, m, X64_RCX);
            return;
        }
        if (a.kind == A_SUB) /* the low bytes of -v are -(low bytes of v) */
            x64_unary(b, X64_NEG, X64_S64, X64_RCX);
        x64_lock_xadd(b, a.size, m, X64_RCX);
        break;
    case A_XCHG:
        jit_ld64(j, X64_RCX, value);
        x64_xchg(b, a.size, m, X64_RCX);
        break;
    case A_AND:
    case A_OR:
    case A_XOR: {
        /* rax = old; retry: rdx = rax op rcx; lock cmpxchg [m], rdx (a
         * failure reloads rax); the old value ends in rax. */
        x64_alu op = a.kind == A_AND ? X64_AND : a.kind == A_OR ? X64_OR : X64_XOR;
        cb_label retry = cb_new_label(b);
        jit_ld64(j, X64_RCX, value);
        load_zx(j, a.size, X64_RAX, m);
        cb_bind(b, retry);
        x64_mov_rr(b, X64_S64, X64_RDX, X64_RAX);
        x64_alu_rr(b, op, X64_S64, X64_RDX, X64_RCX);
        x64_lock_cmpxchg(b, a.size, m, X64_RDX);
        x64_jcc(b, X64_NE, retry);
        zero_extend(j, a.size, X64_RAX);
        store_result(j, dst, X64_RAX);
        return;
    }
    case A_CMPXCHG:
        /* rax: expected, compared at the access's width (the wrap); on
         * failure the current value replaces it, on success it was equal:
         * either way rax's low bytes are the old value. */
        jit_ld64(j, X64_RAX, value);
        jit_ld64(j, X64_RDX, pc[3].s.x);
        x64_lock_cmpxchg(b, a.size, m, X64_RDX);
        zero_extend(j, a.size, X64_RAX);
        store_result(j, dst, X64_RAX);
        return;
    }
    /* add, sub, xchg: the old value is in rcx. */
    if (result_overwritten(j, dst))
        return;
    zero_extend(j, a.size, X64_RCX);
    jit_st64(j, dst, X64_RCX);
}

/* ---- wait and notify: the interpreter's handlers, called from compiled code ---- */

/* memory.atomic.notify: fp[dst] = the number woken; the parking lot's traps. */
static weft_status rt_notify(jit_env *env, uint64_t *dst, uint64_t ea, uint32_t count)
{
    uint32_t woken;
    weft_status st = atom_notify(env->inst->memory0, ea, count, &woken, env->err);
    if (st != WEFT_OK)
        return st;
    *dst = woken;
    return WEFT_OK;
}

/* memory.atomic.wait32/64: blocks in the parking lot, which ends the wait
 * with "terminated" when the thread group terminates (the flag is the
 * context's own, as the interpreter passes it: NULL outside a group). */
static weft_status rt_wait(jit_env *env, uint64_t *dst, uint64_t ea, uint64_t expected,
                           int64_t timeout_ns, unsigned width)
{
    uint32_t r;
    weft_status st = atom_wait(env->inst->memory0, ea, expected, width, timeout_ns,
                               env->ctx->terminate, &r, env->err);
    if (st != WEFT_OK)
        return st;
    *dst = r;
    return WEFT_OK;
}

bool jit_emit_atomic(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    atom_access a;
    if (access_of(op, &a)) {
        emit_access(j, a, pc);
        return true;
    }
    switch (op) {
    case CO_ATOMIC_FENCE: /* [op] */
        x64_mfence(b);
        j->len = 1;
        return true;
    case CO_MEMORY_ATOMIC_NOTIFY:
    case CO_MEMORY_ATOMIC_NOTIFY_SW: /* [op][x=dst y=addr][x=offset y=count] */
        effective_address(j, pc[1].s.y, (uint32_t)pc[2].s.x);
        x64_mov_rr(b, X64_S64, X64_RDX, X64_RSI);
        x64_lea(b, X64_S64, X64_RSI, jit_slot(j, pc[1].s.x));
        jit_ld32(j, X64_RCX, pc[2].s.y);
        jit_arg_env(j);
        jit_call_c(j, (const void *)rt_notify);
        jit_check_status(j);
        j->len = 3;
        return true;
    case CO_MEMORY_ATOMIC_WAIT32:
    case CO_MEMORY_ATOMIC_WAIT32_SW:
    case CO_MEMORY_ATOMIC_WAIT64:
    case CO_MEMORY_ATOMIC_WAIT64_SW: { /* [op][x=dst y=addr][x=offset y=expected][x=timeout] */
        bool w64 = op == CO_MEMORY_ATOMIC_WAIT64 || op == CO_MEMORY_ATOMIC_WAIT64_SW;
        effective_address(j, pc[1].s.y, (uint32_t)pc[2].s.x);
        x64_mov_rr(b, X64_S64, X64_RDX, X64_RSI);
        x64_lea(b, X64_S64, X64_RSI, jit_slot(j, pc[1].s.x));
        if (w64)
            jit_ld64(j, X64_RCX, pc[2].s.y);
        else
            jit_ld32(j, X64_RCX, pc[2].s.y);
        jit_ld64(j, X64_R8, pc[3].s.x);
        x64_mov_ri(b, X64_S32, X64_R9, w64 ? 8 : 4);
        jit_arg_env(j);
        jit_call_c(j, (const void *)rt_wait);
        jit_check_status(j);
        j->len = 4;
        return true;
    }
    default:
        return false;
    }
}

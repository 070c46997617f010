/*
 * emit_control.c -- templates for moves, branches, returns, calls, select and
 * globals (layouts in engine/code.h).
 */
#include "jit/jit_internal.h"

/* The condition of an integer compare (CMP_FUSABLE ids), and its width. */
typedef struct int_cmp {
    x64_cc cc;
    x64_size size;
} int_cmp;

static bool int_cmp_of(cmp_op base, int_cmp *out)
{
    switch (base) {
#define C(id, cc, sz)                                                                       \
    case CO_##id:                                                                           \
        *out = (int_cmp){X64_##cc, X64_S##sz};                                              \
        return true;
    C(I32_EQ, E, 32) C(I32_NE, NE, 32) C(I32_LT_S, L, 32) C(I32_LT_U, B, 32)
    C(I32_GT_S, G, 32) C(I32_GT_U, A, 32) C(I32_LE_S, LE, 32) C(I32_LE_U, BE, 32)
    C(I32_GE_S, GE, 32) C(I32_GE_U, AE, 32)
    C(I64_EQ, E, 64) C(I64_NE, NE, 64) C(I64_LT_S, L, 64) C(I64_LT_U, B, 64)
    C(I64_GT_S, G, 64) C(I64_GT_U, A, 64) C(I64_LE_S, LE, 64) C(I64_LE_U, BE, 64)
    C(I64_GE_S, GE, 64) C(I64_GE_U, AE, 64)
#undef C
    default:
        return false;
    }
}

bool jit_int_compare(cmp_op op, x64_cc *cc, x64_size *size)
{
    int_cmp c;
    if (!int_cmp_of(op, &c))
        return false;
    *cc = c.cc;
    *size = c.size;
    return true;
}

/* The flags of slot a <cmp> slot b (clobbers rax). */
static void compare_slots(jit_state *j, x64_size size, int32_t a, int32_t b)
{
    jit_ld(j, size, X64_RAX, a);
    jit_alu_rs(j, X64_CMP, size, X64_RAX, b);
}

static void copy_slot(jit_state *j, int32_t dst, int32_t src)
{
    int32_t imm;
    if (jit_const_imm(j, X64_S64, src, &imm)) {
        jit_st_imm(j, dst, imm);
        return;
    }
    jit_ld64(j, X64_RAX, src);
    jit_st64(j, dst, X64_RAX);
}

/* The call's single result, from its base to where the call sends it. */
static void result_to(jit_state *j, int32_t base, int32_t dst)
{
    if (dst != base)
        copy_slot(j, dst, base);
}

/* Calls the full entry in rax with the callee's frame at slot base: fp moves
 * to the callee's frame and back, a failure returns at once, and the record
 * the callee pushed is popped after it returns. */
static void direct_call(jit_state *j, int32_t base)
{
    cb_buf *b = &j->b;
    jit_pin_call(j);
    jit_pin_store(j, UINT32_MAX);
    x64_lea(b, X64_S64, JIT_FP, jit_slot(j, base));
    x64_call_r(b, X64_RAX);
    x64_lea(b, X64_S64, JIT_FP, jit_slot(j, -base)); /* lea: the flags stay */
    jit_pin_load(j);
    jit_check_status(j);
    x64_alu_mi(b, X64_ADD, X64_S64, x64_mem_bd(JIT_CTX, offsetof(thr_context, interp_top)),
               (int32_t)sizeof(interp_frame));
}

/* The slow path's first arguments, after a poll: rdi = env, rsi = the
 * callee's frame (slot base). */
static void slow_call_args(jit_state *j, int32_t base)
{
    jit_poll(j);
    jit_arg_env(j);
    x64_lea(&j->b, X64_S64, X64_RSI, jit_slot(j, base));
}

/* With a compiled callee's full entry or NULL in rax: calls it directly and
 * jumps to done, or (NULL) goes on with the slow path's first arguments set. */
static void direct_or_slow(jit_state *j, int32_t base, cb_label done)
{
    cb_buf *b = &j->b;
    cb_label slow = cb_new_label(b);
    x64_test_rr(b, X64_S64, X64_RAX, X64_RAX);
    x64_jcc(b, X64_E, slow);
    direct_call(j, base);
    x64_jmp(b, done);
    cb_bind(b, slow);
    slow_call_args(j, base);
}

/* A call of function `func` with its frame at slot base.  A function of this
 * module that is already compiled is called directly at its full entry
 * (which polls and checks the stack itself); any other (imported, host, not
 * yet compiled, interpreted) goes through jit_rt_call. */
static void call_func(jit_state *j, uint32_t func, int32_t base, int32_t dst)
{
    cb_buf *b = &j->b;
    cb_label done = cb_new_label(b);
    jit_note_at(j);
    if (func >= j->m->nfunc_imports) {
        const mod_code *mc = &j->m->codes[func - j->m->nfunc_imports];
        x64_mov_ri(b, X64_S64, X64_RAX, (int64_t)(uintptr_t)&mc->jit_entry);
        x64_load(b, X64_S64, X64_RAX, x64_mem_bd(X64_RAX, 0));
        direct_or_slow(j, base, done);
    } else {
        slow_call_args(j, base);
    }
    x64_mov_ri(b, X64_S32, X64_RDX, func);
    jit_call_c(j, (const void *)jit_rt_call);
    jit_check_status(j);
    cb_bind(b, done);
    result_to(j, base, dst);
}

/* CALL_INDIRECT: [op][x=type y=base][x=table y=elem-index slot][y=dst].  The
 * common case inline: the element is in the table, set, of the expected
 * type, a function of this instance, compiled -- then a direct call.  Any
 * other case (including every trap, whose message names the index) goes
 * through jit_rt_call_indirect, which checks again in the interpreter's
 * order. */
static void call_indirect(jit_state *j, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    int32_t base = pc[1].s.y;
    cb_label slow = cb_new_label(b), done = cb_new_label(b);
    jit_note_at(j);
    jit_load_inst(j, X64_RAX);
    x64_load(b, X64_S64, X64_RAX, x64_mem_bd(X64_RAX, offsetof(weft_instance, tables)));
    x64_load(b, X64_S64, X64_RAX, x64_mem_bd(X64_RAX, pc[2].s.x * 8));
    jit_ld32(j, X64_RCX, pc[2].s.y);
    x64_alu_rm(b, X64_CMP, X64_S32, X64_RCX, x64_mem_bd(X64_RAX, offsetof(weft_table, size)));
    x64_jcc(b, X64_AE, slow);
    x64_load(b, X64_S64, X64_RAX, x64_mem_bd(X64_RAX, offsetof(weft_table, elems)));
    x64_load(b, X64_S64, X64_RAX, x64_mem_bisd(X64_RAX, X64_RCX, 8, 0)); /* the weft_func */
    x64_test_rr(b, X64_S64, X64_RAX, X64_RAX);
    x64_jcc(b, X64_E, slow);
    jit_load_inst(j, X64_RDX);
    x64_alu_rm(b, X64_CMP, X64_S64, X64_RDX, x64_mem_bd(X64_RAX, offsetof(weft_func, instance)));
    x64_jcc(b, X64_NE, slow); /* another instance's, or a host function (instance NULL) */
    x64_load(b, X64_S32, X64_RCX, x64_mem_bd(X64_RAX, offsetof(weft_func, sig)));
    x64_load(b, X64_S64, X64_RDX, x64_mem_bd(X64_RDX, offsetof(weft_instance, sigs)));
    x64_alu_rm(b, X64_CMP, X64_S32, X64_RCX, x64_mem_bd(X64_RDX, pc[1].s.x * 4));
    x64_jcc(b, X64_NE, slow);
    /* codes[index - nfunc_imports].jit_entry of this module */
    x64_load(b, X64_S32, X64_RCX, x64_mem_bd(X64_RAX, offsetof(weft_func, index)));
    x64_imul_rri(b, X64_S64, X64_RCX, X64_RCX, (int32_t)sizeof(mod_code));
    x64_mov_ri(b, X64_S64, X64_RAX,
               (int64_t)(uintptr_t)&j->m->codes[0].jit_entry -
                   (int64_t)j->m->nfunc_imports * (int64_t)sizeof(mod_code));
    x64_load(b, X64_S64, X64_RAX, x64_mem_bisd(X64_RAX, X64_RCX, 1, 0));
    cb_label args = cb_new_label(b);
    direct_or_slow(j, base, done);
    x64_jmp(b, args);
    cb_bind(b, slow);
    slow_call_args(j, base);
    cb_bind(b, args);
    x64_mov_ri(b, X64_S32, X64_RDX, (uint32_t)pc[1].s.x);
    x64_mov_ri(b, X64_S32, X64_RCX, (uint32_t)pc[2].s.x);
    jit_ld32(j, X64_R8, pc[2].s.y);
    jit_call_c(j, (const void *)jit_rt_call_indirect);
    jit_check_status(j);
    cb_bind(b, done);
    result_to(j, base, pc[3].s.y);
}

/* Compare-and-branch forms (BR_<cmp>, ADD_BR_<cmp>), their base compare. */
static cmp_op br_base(cmp_op op, bool *add)
{
    *add = false;
    switch (op) {
#define X(id)                                                                               \
    case CO_BR_##id:                                                                        \
        return CO_##id;
        CMP_FUSABLE(X)
#undef X
#define X(id)                                                                               \
    case CO_ADD_BR_##id:                                                                    \
        *add = true;                                                                        \
        return CO_##id;
        CMP_FUSABLE_I32(X)
#undef X
    default:
        return CO_COUNT_;
    }
}

static cmp_op sel_base(cmp_op op)
{
    switch (op) {
#define X(id)                                                                               \
    case CO_SEL_##id:                                                                       \
        return CO_##id;
        CMP_SEL_FUSABLE(X)
#undef X
    default:
        return CO_COUNT_;
    }
}

/* rcx = cond ? fp[a] : fp[b] with the flags of `test`, stored to dst. */
static void select_into(jit_state *j, int32_t dst, int32_t a, int32_t b)
{
    jit_ld64(j, X64_RCX, a);
    jit_opnd o = jit_opnd_of(j, b);
    if (o.reg >= 0)
        x64_cmov_rr(&j->b, X64_E, X64_S64, X64_RCX, (x64_reg)o.reg);
    else
        x64_cmov_rm(&j->b, X64_E, X64_S64, X64_RCX, o.mem);
    jit_st64(j, dst, X64_RCX);
}

/* A table of rel32 entries after the code, one per target: entry k holds
 * target - (entry + 4), what a rel32 fixup writes. */
void jit_table_jump(jit_state *j, uint32_t first, uint32_t n)
{
    cb_buf *b = &j->b;
    x64_mov_ri(b, X64_S32, X64_RCX, n);
    x64_alu_rr(b, X64_CMP, X64_S32, X64_RAX, X64_RCX);
    x64_cmov_rr(b, X64_A, X64_S32, X64_RAX, X64_RCX); /* index = min(index, n) */
    cb_label table = cb_new_label(b);
    /* lea rcx, [rip + table] */
    cb_put1(b, 0x48);
    cb_put1(b, 0x8D);
    cb_put1(b, 0x0D);
    uint32_t at = (uint32_t)b->len;
    cb_put4(b, 0);
    cb_add_fixup(b, at, table, CB_X64_REL32);
    x64_lea(b, X64_S64, X64_RCX, x64_mem_bisd(X64_RCX, X64_RAX, 4, 0));
    /* movsxd rax, dword [rcx] */
    cb_put1(b, 0x48);
    cb_put1(b, 0x63);
    cb_put1(b, 0x01);
    x64_lea(b, X64_S64, X64_RAX, x64_mem_bisd(X64_RCX, X64_RAX, 1, 4));
    x64_jmp_r(b, X64_RAX);
    cb_bind(b, table);
    for (uint32_t k = 0; k <= n; k++) {
        const cmp_cell *c = &j->code->cells[j->at + first + k];
        cb_label to = jit_cell_label(j, (uint32_t)((int64_t)j->at + first + k + c->s.x));
        uint32_t e = (uint32_t)b->len;
        cb_put4(b, 0);
        cb_add_fixup(b, e, to, CB_X64_REL32);
    }
}

/* BR_TABLE: [op][x=index y=n][x=off_0] .. [x=off_n]. */
static void emit_br_table(jit_state *j, const cmp_cell *pc)
{
    uint32_t n = (uint32_t)pc[1].s.y;
    jit_poll(j); /* every taken branch polls, as in the interpreter */
    jit_ld32(j, X64_RAX, pc[1].s.x);
    jit_table_jump(j, 2, n);
    j->len = 3 + n;
}

bool jit_emit_control(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    bool add;
    cmp_op base = br_base(op, &add);
    int_cmp c;
    if (base != CO_COUNT_ && int_cmp_of(base, &c)) {
        if (!add) { /* [op][x=a y=b][x=off] */
            compare_slots(j, c.size, pc[1].s.x, pc[1].s.y);
            jit_branch_if(j, c.cc, 2, pc[2].s.x);
            j->len = 3;
        } else { /* [op][x=dst y=a][x=b y=c][x=off] */
            jit_ld32(j, X64_RAX, pc[1].s.y);
            jit_alu_rs(j, X64_ADD, X64_S32, X64_RAX, pc[2].s.x);
            jit_st64(j, pc[1].s.x, X64_RAX);
            jit_alu_rs(j, X64_CMP, X64_S32, X64_RAX, pc[2].s.y);
            jit_branch_if(j, c.cc, 3, pc[3].s.x);
            j->len = 4;
        }
        return true;
    }
    base = sel_base(op);
    if (base != CO_COUNT_ && int_cmp_of(base, &c)) {
        /* [op][x=dst y=a][x=c y=d][x=b y=w]: fp[w] = c <cmp> d, then the select. */
        compare_slots(j, c.size, pc[2].s.x, pc[2].s.y);
        x64_setcc(b, c.cc, X64_RAX);
        x64_movzx_rr(b, X64_S8, X64_S32, X64_RAX, X64_RAX);
        jit_st64(j, pc[3].s.y, X64_RAX);
        x64_test_rr(b, X64_S32, X64_RAX, X64_RAX);
        select_into(j, pc[1].s.x, pc[1].s.y, pc[3].s.x);
        j->len = 4;
        return true;
    }

    switch (op) {
    case CO_COPY:
        copy_slot(j, pc[1].s.x, pc[1].s.y);
        j->len = 2;
        return true;
    case CO_COPY2:
    case CO_COPY3: {
        uint32_t n = op == CO_COPY2 ? 2 : 3;
        int32_t d = pc[1].s.x, s = pc[1].s.y;
        if (n == 2 && pc[2].s.x == d + 1 && pc[2].s.y == s + 1 && d != s + 1) {
            /* Two adjacent slots (a v128): one 16-byte move, which a 16-byte
             * load of them later can forward from.  The same as the two
             * copies in order unless the first writes the second's source. */
            x64_sse_rm(b, X64_MOVDQU, 0, jit_slot16(j, s));
            x64_sse_store(b, X64_MOVDQU, jit_slot16(j, d), 0);
            j->len = 3;
            return true;
        }
        for (uint32_t k = 1; k <= n; k++)
            copy_slot(j, pc[k].s.x, pc[k].s.y);
        j->len = n + 1;
        return true;
    }
    case CO_BR:
        jit_branch(j, 1, pc[1].s.x);
        j->len = 2;
        return true;
    case CO_BR_IF:
    case CO_BR_UNLESS:
        jit_test_slot(j, X64_S32, pc[1].s.x);
        jit_branch_if(j, op == CO_BR_IF ? X64_NE : X64_E, 1, pc[1].s.y);
        j->len = 2;
        return true;
    case CO_ADD_BR_NZ:
    case CO_ADD_BR_Z: /* [op][x=dst y=a][x=b][x=off] */
        jit_ld32(j, X64_RAX, pc[1].s.y);
        jit_alu_rs(j, X64_ADD, X64_S32, X64_RAX, pc[2].s.x);
        jit_st64(j, pc[1].s.x, X64_RAX);
        x64_test_rr(b, X64_S32, X64_RAX, X64_RAX);
        jit_branch_if(j, op == CO_ADD_BR_NZ ? X64_NE : X64_E, 3, pc[3].s.x);
        j->len = 4;
        return true;
    case CO_BR_TABLE:
        emit_br_table(j, pc);
        return true;
    case CO_RETURN:
        jit_return_ok(j);
        j->len = 1;
        return true;
    case CO_RETURN1:
        copy_slot(j, 0, pc[1].s.x);
        jit_return_ok(j);
        j->len = 2;
        return true;
    case CO_ADD_RETURN1:
        jit_ld32(j, X64_RAX, pc[1].s.x);
        jit_alu_rs(j, X64_ADD, X64_S32, X64_RAX, pc[1].s.y);
        jit_st64(j, 0, X64_RAX);
        jit_return_ok(j);
        j->len = 2;
        return true;
    case CO_UNREACHABLE:
        x64_jmp(b, jit_trap_label(j, WEFT_E_UNREACHABLE));
        j->len = 1;
        return true;
    case CO_CALL: /* [op][x=func y=base][y=dst] */
        call_func(j, (uint32_t)pc[1].s.x, pc[1].s.y, pc[2].s.y);
        j->len = 3;
        return true;
    case CO_CALL_LOCAL:
    case CO_CALL_LOCAL_C1:
    case CO_CALL_LOCAL_C2:
    case CO_CALL_LOCAL_C3: {
        /* [op][x=code y=base][x=d1 y=s1]..[x=at y=dst]: the copies first. */
        uint32_t n = (uint32_t)(op - CO_CALL_LOCAL);
        for (uint32_t k = 0; k < n; k++)
            copy_slot(j, pc[2 + k].s.x, pc[2 + k].s.y);
        call_func(j, (uint32_t)pc[1].s.x + j->m->nfunc_imports, pc[1].s.y, pc[2 + n].s.y);
        j->len = 3 + n;
        return true;
    }
    case CO_CALL_INDIRECT:
        call_indirect(j, pc);
        j->len = 4;
        return true;
    case CO_SELECT: /* [op][x=dst y=cond][x=a y=b] */
        jit_test_slot(j, X64_S32, pc[1].s.y);
        select_into(j, pc[1].s.x, pc[2].s.x, pc[2].s.y);
        j->len = 3;
        return true;
    case CO_GLOBAL_GET:
    case CO_GLOBAL_SET: { /* [op][x=dst|src y=global] */
        jit_load_inst(j, X64_RCX);
        x64_load(b, X64_S64, X64_RCX, x64_mem_bd(X64_RCX, offsetof(weft_instance, globals)));
        x64_load(b, X64_S64, X64_RCX, x64_mem_bd(X64_RCX, pc[1].s.y * 8));
        x64_mem value = x64_mem_bd(X64_RCX, offsetof(weft_global, value));
        if (op == CO_GLOBAL_GET) {
            x64_load(b, X64_S64, X64_RAX, value);
            jit_st64(j, pc[1].s.x, X64_RAX);
        } else {
            jit_ld64(j, X64_RAX, pc[1].s.x);
            x64_store(b, X64_S64, value, X64_RAX);
        }
        j->len = 2;
        return true;
    }
    default:
        return false;
    }
}

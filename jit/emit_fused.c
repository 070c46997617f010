/*
 * emit_fused.c -- templates for the translator's fused memory forms (layouts
 * in engine/code.h, semantics in engine/interp_ops.h): a binary op and the
 * store of its result (_ST), a binary op on a load (_M, _MA), the
 * read-modify-write of one place (_MST, _MST_A), the same on a product of
 * three (_MM_MST, _MM_MST_A), a fused-address store and the ADD_BR_<cmp>
 * after it (_A_ADD_BR_<cmp>), an i32.load and a branch on it (L_BR_<cmp>,
 * L_BR_NZ, L_BR_Z), and br_table on a loaded byte (BR_TABLE_L8,
 * ADD_BR_TABLE_L8).  Every one has its _SW twin.
 *
 * As in emit_mem.c, the guest address is made in rax and the _SW twins check
 * it (jit_guest's check, which clobbers rcx and rdx) before anything else is
 * loaded; then integer values go through rdx, f64 values through xmm0 and
 * xmm1.  The f64 arithmetic is SSE2 addsd/subsd/mulsd with the first operand
 * in the destination register, the order interp_ops.h writes; a product is
 * rounded by its own mulsd (never a fused multiply-add).  Slots are read and
 * written in the interpreter's order, since a result or address slot may
 * also be an operand's.
 */
#include "jit/jit_internal.h"

typedef enum family {
    FAM_ST,          /* [op][x=addr y=a][off, y=b]                          */
    FAM_M,           /* [op][x=dst y=a][off, y=addr]                        */
    FAM_MA,          /* [op][x=dst y=a][off, y=addr][x=b]                   */
    FAM_MST,         /* [op][x=addr y=b][off]                               */
    FAM_MST_A,       /* [op][x=addr y=b][off, y=p][x=q]                     */
    FAM_MM_MST,      /* [op][x=addr y=a][off, y=b][x=c]                     */
    FAM_MM_MST_A,    /* [op][x=addr y=a][off, y=b][x=c y=p][x=q]            */
    FAM_STORE_BR,    /* [op][x=a y=val][off, y=b][x=dst y=a'][x=b' y=c][x=off] */
    FAM_L_BR,        /* [op][x=dst y=addr][off, y=b][x=off]                 */
    FAM_BR_TABLE,    /* [op][x=addr y=n][off][x=off_0] ..                   */
    FAM_ADD_BR_TABLE /* [op][x=addr y=n][off, y=dst][x=a y=b][x=off_0] ..   */
} family;

typedef struct fused {
    family fam;
    bool sw;
    cmp_op op;      /* the binary op (CO_F64_SUB ...), the compare of STORE_BR
                     * and L_BR_<cmp>, or CO_L_BR_NZ / CO_L_BR_Z            */
    x64_size width; /* bytes of the memory access                           */
} fused;

/* The width of a store or load op's access. */
static x64_size width_of(cmp_op mem)
{
    switch (mem) {
    case CO_I32_STORE8:
        return X64_S8;
    case CO_I32_STORE:
    case CO_I32_LOAD:
        return X64_S32;
    default:
        return X64_S64;
    }
}

static bool fused_of(cmp_op op, fused *f)
{
    switch (op) {
#define SET(fam_, sw_, op_, width_)                                                         \
    *f = (fused){fam_, sw_, op_, width_};                                                   \
    return true;
#define ST(id, st)                                                                          \
    case CO_##id##_ST:                                                                      \
        SET(FAM_ST, false, CO_##id, width_of(CO_##st))                                      \
    case CO_##id##_ST_SW:                                                                   \
        SET(FAM_ST, true, CO_##id, width_of(CO_##st))
        CMP_STORE_FUSABLE(ST)
#undef ST
#define M(id, ld)                                                                           \
    case CO_##id##_M:                                                                       \
        SET(FAM_M, false, CO_##id, width_of(CO_##ld))                                       \
    case CO_##id##_M_SW:                                                                    \
        SET(FAM_M, true, CO_##id, width_of(CO_##ld))                                        \
    case CO_##id##_MA:                                                                      \
        SET(FAM_MA, false, CO_##id, width_of(CO_##ld))                                      \
    case CO_##id##_MA_SW:                                                                   \
        SET(FAM_MA, true, CO_##id, width_of(CO_##ld))
        CMP_MEM_FUSABLE(M)
#undef M
#define MST(id, st)                                                                         \
    case CO_##id##_MST:                                                                     \
        SET(FAM_MST, false, CO_##id, width_of(CO_##st))                                     \
    case CO_##id##_MST_SW:                                                                  \
        SET(FAM_MST, true, CO_##id, width_of(CO_##st))                                      \
    case CO_##id##_MST_A:                                                                   \
        SET(FAM_MST_A, false, CO_##id, width_of(CO_##st))                                   \
    case CO_##id##_MST_A_SW:                                                                \
        SET(FAM_MST_A, true, CO_##id, width_of(CO_##st))
        CMP_MST_FUSABLE(MST)
#undef MST
#define MM(id)                                                                              \
    case CO_##id##_MM_MST:                                                                  \
        SET(FAM_MM_MST, false, CO_##id, X64_S64)                                            \
    case CO_##id##_MM_MST_SW:                                                               \
        SET(FAM_MM_MST, true, CO_##id, X64_S64)                                             \
    case CO_##id##_MM_MST_A:                                                                \
        SET(FAM_MM_MST_A, false, CO_##id, X64_S64)                                          \
    case CO_##id##_MM_MST_A_SW:                                                             \
        SET(FAM_MM_MST_A, true, CO_##id, X64_S64)
        CMP_MM_MST_FUSABLE(MM)
#undef MM
#define SB(st, cmp)                                                                         \
    case CO_##st##_A_ADD_BR_##cmp:                                                          \
        SET(FAM_STORE_BR, false, CO_##cmp, width_of(CO_##st))                               \
    case CO_##st##_A_SW_ADD_BR_##cmp:                                                       \
        SET(FAM_STORE_BR, true, CO_##cmp, width_of(CO_##st))
        CMP_STORE_BR_FUSABLE(SB)
#undef SB
#define LB(id)                                                                              \
    case CO_L_BR_##id:                                                                      \
        SET(FAM_L_BR, false, CO_##id, X64_S32)                                              \
    case CO_L_BR_##id##_SW:                                                                 \
        SET(FAM_L_BR, true, CO_##id, X64_S32)
        CMP_FUSABLE_I32(LB)
#undef LB
    case CO_L_BR_NZ:
    case CO_L_BR_Z:
        SET(FAM_L_BR, false, op, X64_S32)
    case CO_L_BR_NZ_SW:
        SET(FAM_L_BR, true, CO_L_BR_NZ, X64_S32)
    case CO_L_BR_Z_SW:
        SET(FAM_L_BR, true, CO_L_BR_Z, X64_S32)
    case CO_BR_TABLE_L8:
        SET(FAM_BR_TABLE, false, op, X64_S8)
    case CO_BR_TABLE_L8_SW:
        SET(FAM_BR_TABLE, true, op, X64_S8)
    case CO_ADD_BR_TABLE_L8:
        SET(FAM_ADD_BR_TABLE, false, op, X64_S8)
    case CO_ADD_BR_TABLE_L8_SW:
        SET(FAM_ADD_BR_TABLE, true, op, X64_S8)
#undef SET
    default:
        return false;
    }
}

/* ---- values --------------------------------------------------------------- */

static bool is_f64(cmp_op op) { return op == CO_F64_ADD || op == CO_F64_SUB || op == CO_F64_MUL; }

/* xmm x = o (f64 bits). */
static void f64_into(jit_state *j, x64_xmm x, jit_opnd o)
{
    if (o.reg >= 0)
        x64_movd_xr(&j->b, X64_S64, x, (x64_reg)o.reg);
    else
        x64_sse_rm(&j->b, X64_MOVSD, x, o.mem);
}

/* rdx (i32, i64) or xmm0 (f64) = a op b, each a slot (jit_opnd_of) or the
 * guest memory operand; an i32 result is zero-extended (the 32-bit add
 * cleared the top). */
static void op_into(jit_state *j, cmp_op op, jit_opnd a, jit_opnd b)
{
    switch (op) {
    case CO_I32_ADD:
    case CO_I64_ADD: {
        x64_size s = op == CO_I32_ADD ? X64_S32 : X64_S64;
        jit_load_o(j, s, X64_RDX, a);
        jit_alu_ro(j, X64_ADD, s, X64_RDX, b);
        return;
    }
    default: {
        x64_sse sse = op == CO_F64_ADD ? X64_ADDSD : op == CO_F64_SUB ? X64_SUBSD : X64_MULSD;
        f64_into(j, 0, a);
        if (b.reg >= 0) {
            f64_into(j, 1, b);
            x64_sse_rr(&j->b, sse, 0, 1);
        } else {
            x64_sse_rm(&j->b, sse, 0, b.mem);
        }
        return;
    }
    }
}

/* Stores op_into's result: `width` bytes to memory, or a whole slot. */
static void result_to(jit_state *j, cmp_op op, jit_opnd dst, x64_size width)
{
    if (!is_f64(op))
        jit_store_o(j, width, dst, X64_RDX);
    else if (dst.reg >= 0)
        x64_movd_rx(&j->b, X64_S64, (x64_reg)dst.reg, 0);
    else
        x64_sse_store(&j->b, X64_MOVSD, dst.mem, 0);
}

/* eax = fp[p] + fp[q] (i32), the fused address add. */
static void add32(jit_state *j, int32_t p, int32_t q)
{
    jit_ld32(j, X64_RAX, p);
    jit_alu_rs(j, X64_ADD, X64_S32, X64_RAX, q);
}

/* ---- the families ------------------------------------------------------------ */

/* The read-modify-write: m = load; store(m - b) (sub) or store(b + m) (add),
 * the MST_<op> order of interp_ops.h; b is a slot. */
static void emit_mst(jit_state *j, const fused *f, x64_mem m, int32_t b)
{
    if (f->op == CO_F64_SUB)
        op_into(j, f->op, jit_opnd_mem(m), jit_opnd_of(j, b));
    else
        op_into(j, f->op, jit_opnd_of(j, b), jit_opnd_mem(m));
    result_to(j, f->op, jit_opnd_mem(m), f->width);
}

/* m = load; store(m - p) or store(p + m), p = (a * b) * c, each product rounded. */
static void emit_mm_mst(jit_state *j, const fused *f, x64_mem m, int32_t a, int32_t b, int32_t c)
{
    cb_buf *bf = &j->b;
    x64_sse_rm(bf, X64_MOVSD, 1, jit_slot(j, a));
    x64_sse_rm(bf, X64_MULSD, 1, jit_slot(j, b));
    x64_sse_rm(bf, X64_MULSD, 1, jit_slot(j, c));
    if (f->op == CO_F64_SUB) {
        x64_sse_rm(bf, X64_MOVSD, 0, m);
        x64_sse_rr(bf, X64_SUBSD, 0, 1);
        x64_sse_store(bf, X64_MOVSD, m, 0);
    } else {
        x64_sse_rm(bf, X64_ADDSD, 1, m);
        x64_sse_store(bf, X64_MOVSD, m, 1);
    }
}

/* The condition of L_BR_<cmp> (v <cmp> b), or of L_BR_NZ / L_BR_Z (*test:
 * v against zero). */
static x64_cc l_br_cc(cmp_op op, bool *test)
{
    x64_cc cc = X64_E;
    x64_size size;
    *test = op == CO_L_BR_NZ || op == CO_L_BR_Z;
    if (*test)
        return op == CO_L_BR_NZ ? X64_NE : X64_E;
    jit_int_compare(op, &cc, &size); /* CMP_FUSABLE_I32: always one */
    return cc;
}

/* fp[dst] = v = load32(m); then the branch on v at cell 3 (b is read first,
 * as the interpreter does: it is never dst, but nothing here relies on it). */
static void emit_l_br(jit_state *j, const fused *f, x64_mem m, int32_t dst, int32_t b, int32_t off)
{
    cb_buf *bf = &j->b;
    bool test;
    x64_cc cc = l_br_cc(f->op, &test);
    if (!test)
        jit_ld32(j, X64_RCX, b);
    x64_load(bf, X64_S32, X64_RDX, m);
    jit_st64(j, dst, X64_RDX);
    if (test)
        x64_test_rr(bf, X64_S32, X64_RDX, X64_RDX);
    else
        x64_alu_rr(bf, X64_CMP, X64_S32, X64_RDX, X64_RCX);
    jit_branch_if(j, cc, 3, off);
}

bool jit_emit_fused(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    fused f;
    if (!fused_of(op, &f))
        return false;
    uint32_t offset = (uint32_t)pc[2].s.x;
    x64_mem m;
    switch (f.fam) {
    case FAM_ST: /* store(addr, a op b) */
        jit_ld32(j, X64_RAX, pc[1].s.x);
        m = jit_guest(j, offset, (uint32_t)f.width, f.sw);
        op_into(j, f.op, jit_opnd_of(j, pc[1].s.y), jit_opnd_of(j, pc[2].s.y));
        result_to(j, f.op, jit_opnd_mem(m), f.width);
        j->len = 3;
        return true;
    case FAM_M:
    case FAM_MA: /* dst = a op load(addr [+ b]) */
        if (f.fam == FAM_MA)
            add32(j, pc[2].s.y, pc[3].s.x);
        else
            jit_ld32(j, X64_RAX, pc[2].s.y);
        m = jit_guest(j, offset, (uint32_t)f.width, f.sw);
        op_into(j, f.op, jit_opnd_of(j, pc[1].s.y), jit_opnd_mem(m));
        result_to(j, f.op, jit_opnd_of(j, pc[1].s.x), X64_S64);
        j->len = f.fam == FAM_MA ? 4 : 3;
        return true;
    case FAM_MST:
    case FAM_MST_A:
        if (f.fam == FAM_MST_A) { /* fp[addr] = p + q first */
            add32(j, pc[2].s.y, pc[3].s.x);
            jit_st64(j, pc[1].s.x, X64_RAX);
        } else {
            jit_ld32(j, X64_RAX, pc[1].s.x);
        }
        m = jit_guest(j, offset, (uint32_t)f.width, f.sw);
        emit_mst(j, &f, m, pc[1].s.y);
        j->len = f.fam == FAM_MST_A ? 4 : 3;
        return true;
    case FAM_MM_MST:
    case FAM_MM_MST_A:
        if (f.fam == FAM_MM_MST_A) {
            add32(j, pc[3].s.y, pc[4].s.x);
            jit_st64(j, pc[1].s.x, X64_RAX);
        } else {
            jit_ld32(j, X64_RAX, pc[1].s.x);
        }
        m = jit_guest(j, offset, (uint32_t)f.width, f.sw);
        emit_mm_mst(j, &f, m, pc[1].s.y, pc[2].s.y, pc[3].s.x);
        j->len = f.fam == FAM_MM_MST_A ? 5 : 4;
        return true;
    case FAM_STORE_BR: {
        /* The store _A, then ADD_BR_<cmp> on cells 3..5: fp[dst] = a' + b',
         * taken when that <cmp> fp[c]. */
        x64_cc cc;
        x64_size size;
        if (!jit_int_compare(f.op, &cc, &size))
            return false;
        add32(j, pc[1].s.x, pc[2].s.y);
        m = jit_guest(j, offset, (uint32_t)f.width, f.sw);
        jit_ld64(j, X64_RDX, pc[1].s.y);
        x64_store(b, f.width, m, X64_RDX);
        add32(j, pc[3].s.y, pc[4].s.x);
        jit_st64(j, pc[3].s.x, X64_RAX);
        jit_alu_rs(j, X64_CMP, X64_S32, X64_RAX, pc[4].s.y);
        jit_branch_if(j, cc, 5, pc[5].s.x);
        j->len = 6;
        return true;
    }
    case FAM_L_BR:
        jit_ld32(j, X64_RAX, pc[1].s.y);
        m = jit_guest(j, offset, (uint32_t)f.width, f.sw);
        emit_l_br(j, &f, m, pc[1].s.x, pc[2].s.y, pc[3].s.x);
        j->len = 4;
        return true;
    case FAM_BR_TABLE:
    case FAM_ADD_BR_TABLE: {
        /* The add first (the load reads what it wrote, as it did), the bounds
         * check, the byte, then the poll of the taken branch. */
        uint32_t n = (uint32_t)pc[1].s.y;
        uint32_t first = f.fam == FAM_ADD_BR_TABLE ? 4 : 3;
        if (f.fam == FAM_ADD_BR_TABLE) {
            add32(j, pc[3].s.x, pc[3].s.y);
            jit_st64(j, pc[2].s.y, X64_RAX);
        }
        jit_ld32(j, X64_RAX, pc[1].s.x);
        m = jit_guest(j, offset, (uint32_t)f.width, f.sw);
        x64_movzx_rm(b, X64_S8, X64_S32, X64_RAX, m);
        jit_poll(j);
        jit_table_jump(j, first, n);
        j->len = first + n + 1;
        return true;
    }
    }
    return false;
}

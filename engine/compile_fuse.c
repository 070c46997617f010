/*
 * compile_fuse.c -- the plain instructions (numeric ops, loads, stores) and
 * the fused forms of code.h they become: compare-and-branch, add-and-branch,
 * load-and-branch, pairs of binary ops, ops on a loaded operand (_M, _MA),
 * ops stored (_ST), read-modify-writes (_MST, _MM_MST), addresses added or
 * scaled by the access (_A, _S) and select on a compare.
 *
 * Each fusion looks at the instruction just emitted (cmp_state's last_* and
 * add_* fields, or the records in instrs), takes it back when it matches and
 * emits the fused form; nothing fuses across a label.  A separate file from
 * the driver (compile.c) because these rules grow one by one with the
 * interpreter's superinstructions.
 */
#include "engine/compile_internal.h"

/* The fused-address variants (code.h), plain and software-checked; 0: none. */
static const uint16_t co_addr_of[OP_COUNT_][2] = {
#define CMP_XA(id) [OP_##id] = {CO_##id##_A, CO_##id##_A_SW},
    CMP_ADDR_FUSABLE(CMP_XA)
#undef CMP_XA
};

/* The scaled-address variants (code.h), plain and software-checked; 0: none. */
static const uint16_t co_scaled_of[OP_COUNT_][2] = {
#define CMP_XK(id) [OP_##id] = {CO_##id##_S, CO_##id##_S_SW},
    CMP_SCALED_FUSABLE(CMP_XK)
#undef CMP_XK
};

/* Binary ops fused with the store of their result or with a load of an
 * operand (code.h): the op, the store or load, the fused forms. */
static const struct { op_id op, st; cmp_op co, co_sw; } store_fusable[] = {
#define CMP_XST(id, st) {OP_##id, OP_##st, CO_##id##_ST, CO_##id##_ST_SW},
    CMP_STORE_FUSABLE(CMP_XST)
#undef CMP_XST
};
static const struct { op_id op, ld; cmp_op co, co_sw, a, a_sw; } mem_fusable[] = {
#define CMP_XM(id, ld) {OP_##id, OP_##ld, CO_##id##_M, CO_##id##_M_SW, CO_##id##_MA, CO_##id##_MA_SW},
    CMP_MEM_FUSABLE(CMP_XM)
#undef CMP_XM
};

/* ---- fused compares --------------------------------------------------------- */

static const struct { op_id op; cmp_op br; } fusable[] = {
#define CMP_XF(id) {OP_##id, CO_BR_##id},
    CMP_FUSABLE(CMP_XF)
#undef CMP_XF
};

static const struct { op_id op; cmp_op br; } add_fusable[] = {
#define CMP_XF(id) {OP_##id, CO_ADD_BR_##id},
    CMP_FUSABLE_I32(CMP_XF)
#undef CMP_XF
};

static bool fused_of(op_id op, cmp_op *out)
{
    for (size_t i = 0; i < WEFT_ARRAY_LEN(fusable); i++)
        if (fusable[i].op == op) {
            *out = fusable[i].br;
            return true;
        }
    return false;
}

/* The ADD_BR_<cmp> that can replace the compare-and-branch `op` together with
 * the i32.add just before it, when that add computed the compare's first
 * operand `a`. */
static bool add_fused_of(cmp_state *t, op_id op, int32_t a, cmp_op *out)
{
    if (!t->add_valid || t->add_start + 3 != t->last_start)
        return false;
    if (!cell_is(t, t->add_start, CO_I32_ADD) ||
        t->code[t->add_start + 1].s.x != a) /* taken back since? */
        return false;
    for (size_t i = 0; i < WEFT_ARRAY_LEN(add_fusable); i++)
        if (add_fusable[i].op == op) {
            *out = add_fusable[i].br;
            return true;
        }
    return false;
}

static const struct { cmp_op st, st_sw, br, co, co_sw; } store_br_fusable[] = {
#define CMP_XSB(st, cmp)                                                                \
    {CO_##st##_A, CO_##st##_A_SW, CO_ADD_BR_##cmp, CO_##st##_A_ADD_BR_##cmp,             \
     CO_##st##_A_SW_ADD_BR_##cmp},
    CMP_STORE_BR_FUSABLE(CMP_XSB)
#undef CMP_XSB
};

/* With ADD_BR `br` about to be emitted at t->ncells (the add and compare
 * taken back): the fused form that also takes back the _A store just before
 * the add, when there is one and no label came between; else CO_COUNT_. */
static cmp_op store_br_of(cmp_state *t, cmp_op br)
{
    uint32_t n = t->ninstrs;
    while (n && t->instrs[n - 1].at >= t->ncells)
        n--;
    if (!n || t->ncells < 3 || t->instrs[n - 1].at != t->ncells - 3 ||
        t->last_label > t->ncells - 3)
        return CO_COUNT_;
    cmp_op prev = t->instrs[n - 1].op;
    for (size_t i = 0; i < WEFT_ARRAY_LEN(store_br_fusable); i++)
        if (store_br_fusable[i].br == br &&
            prev == (t->software ? store_br_fusable[i].st_sw : store_br_fusable[i].st))
            return t->software ? store_br_fusable[i].co_sw : store_br_fusable[i].co;
    return CO_COUNT_;
}

static const struct { op_id op; cmp_op co, co_sw; } load_br_fusable[] = {
#define CMP_XLB(id) {OP_##id, CO_L_BR_##id, CO_L_BR_##id##_SW},
    CMP_FUSABLE_I32(CMP_XLB)
#undef CMP_XLB
};

/* The compare with its operands swapped (a < b is b > a). */
static op_id swap_cmp(op_id op)
{
    switch (op) {
    case OP_I32_LT_S: return OP_I32_GT_S;
    case OP_I32_GT_S: return OP_I32_LT_S;
    case OP_I32_LT_U: return OP_I32_GT_U;
    case OP_I32_GT_U: return OP_I32_LT_U;
    case OP_I32_LE_S: return OP_I32_GE_S;
    case OP_I32_GE_S: return OP_I32_LE_S;
    case OP_I32_LE_U: return OP_I32_GE_U;
    case OP_I32_GE_U: return OP_I32_LE_U;
    default: return op; /* eq, ne */
    }
}

/* With the branch's compare taken back (its cells gone): when the instruction
 * now last is a plain i32.load writing slot v, with no label after it, takes
 * it back too and returns its cells [x=dst y=addr][x=offset] (L_BR_<cmp>). */
static bool take_load(cmp_state *t, int32_t v, cmp_cell *load, cmp_cell *off)
{
    uint32_t n = t->ninstrs;
    while (n && t->instrs[n - 1].at >= t->ncells)
        n--;
    if (!n || t->ncells < 3 || t->instrs[n - 1].at != t->ncells - 3 ||
        t->last_label > t->ncells - 3 ||
        t->instrs[n - 1].op != (t->software ? CO_I32_LOAD_SW : CO_I32_LOAD) ||
        t->code[t->ncells - 2].s.x != v)
        return false;
    *load = t->code[t->ncells - 2];
    *off = t->code[t->ncells - 1];
    t->ncells -= 3;
    t->last_valid = false;
    return true;
}

/* Emits L_BR_<cmp> (or L_BR_NZ / L_BR_Z for cmp = OP_NOP and `nz`) on the
 * load taken back, the loaded value compared with slot `other`. */
static weft_status emit_load_br(cmp_state *t, op_id cmp, bool nz, cmp_cell load, cmp_cell off,
                                int32_t other)
{
    weft_status st = WEFT_OK;
    cmp_op co = nz ? (t->software ? CO_L_BR_NZ_SW : CO_L_BR_NZ)
                   : (t->software ? CO_L_BR_Z_SW : CO_L_BR_Z);
    for (size_t i = 0; i < WEFT_ARRAY_LEN(load_br_fusable); i++)
        if (load_br_fusable[i].op == cmp)
            co = t->software ? load_br_fusable[i].co_sw : load_br_fusable[i].co;
    TRY(emit_op(t, co));
    TRY(emit_xy(t, load.s.x, load.s.y));
    TRY(emit_xy(t, off.s.x, other));
    TRY(emit_xy(t, 0, 0));
fail:
    return st;
}

/* The compare whose result is the negation (integer compares: exact). */
static op_id negate(op_id op)
{
    switch (op) {
    case OP_I32_EQ: return OP_I32_NE;
    case OP_I32_NE: return OP_I32_EQ;
    case OP_I32_LT_S: return OP_I32_GE_S;
    case OP_I32_GE_S: return OP_I32_LT_S;
    case OP_I32_LT_U: return OP_I32_GE_U;
    case OP_I32_GE_U: return OP_I32_LT_U;
    case OP_I32_GT_S: return OP_I32_LE_S;
    case OP_I32_LE_S: return OP_I32_GT_S;
    case OP_I32_GT_U: return OP_I32_LE_U;
    case OP_I32_LE_U: return OP_I32_GT_U;
    case OP_I64_EQ: return OP_I64_NE;
    case OP_I64_NE: return OP_I64_EQ;
    case OP_I64_LT_S: return OP_I64_GE_S;
    case OP_I64_GE_S: return OP_I64_LT_S;
    case OP_I64_LT_U: return OP_I64_GE_U;
    case OP_I64_GE_U: return OP_I64_LT_U;
    case OP_I64_GT_S: return OP_I64_LE_S;
    case OP_I64_LE_S: return OP_I64_GT_S;
    case OP_I64_GT_U: return OP_I64_LE_U;
    case OP_I64_LE_U: return OP_I64_GT_U;
    default: return op;
    }
}

/* A conditional branch on the condition just popped (slot `cond`), taken when
 * the condition is true (`when` = true) or false.  Returns the field id of
 * its offset.  When the condition came from the instruction just before (an
 * integer compare or i32.eqz writing that temp), the compare is taken back
 * and fused into the branch. */
WEFT_INTERNAL weft_status cmp_emit_cond_br(cmp_state *t, int32_t cond, bool when,
                                          int32_t *fid)
{
    weft_status st = WEFT_OK;
    cmp_op br;
    if (t->last_valid && t->last_dst == cond) {
        op_id op = t->last_wasm;
        cmp_cell operands = t->code[t->last_start + 1];
        cmp_cell load, off;
        if (op == OP_I32_EQZ) {
            t->ncells = t->last_start;
            if (take_load(t, operands.s.y, &load, &off)) {
                TRY(emit_load_br(t, OP_NOP, !when, load, off, 0));
                *fid = field_id(t->ncells - 1, 0);
                goto fail;
            }
            TRY(emit_op(t, when ? CO_BR_UNLESS : CO_BR_IF));
            TRY(emit_xy(t, operands.s.y, 0));
            *fid = field_id(t->ncells - 1, 1);
            goto fail;
        }
        op_id cmp = when ? op : negate(op);
        if (add_fused_of(t, cmp, operands.s.y, &br)) {
            cmp_cell add = t->code[t->add_start + 1];
            int32_t b = t->code[t->add_start + 2].s.x, c = t->code[t->last_start + 2].s.x;
            t->ncells = t->add_start;
            t->add_valid = false;
            cmp_op sb = store_br_of(t, br);
            if (sb != CO_COUNT_) {
                /* The _A store just before goes first (ST_A_ADD_BR_<cmp>). */
                uint32_t at = t->ncells - 3;
                cmp_cell s1 = t->code[at + 1], s2 = t->code[at + 2];
                t->ncells = at;
                TRY(emit_op(t, sb));
                TRY(emit_cell(t, s1));
                TRY(emit_cell(t, s2));
            } else {
                TRY(emit_op(t, br));
            }
            TRY(emit_xy(t, add.s.x, add.s.y));
            TRY(emit_xy(t, b, c));
            TRY(emit_xy(t, 0, 0));
            *fid = field_id(t->ncells - 1, 0);
            goto fail;
        }
        if (fused_of(cmp, &br)) {
            int32_t a = operands.s.y, b = t->code[t->last_start + 2].s.x;
            t->ncells = t->last_start;
            bool i32 = false;
            for (size_t i = 0; i < WEFT_ARRAY_LEN(load_br_fusable); i++)
                i32 = i32 || load_br_fusable[i].op == cmp;
            if (i32 && a != b && take_load(t, a, &load, &off)) {
                TRY(emit_load_br(t, cmp, false, load, off, b));
                *fid = field_id(t->ncells - 1, 0);
                goto fail;
            }
            if (i32 && a != b && take_load(t, b, &load, &off)) {
                TRY(emit_load_br(t, swap_cmp(cmp), false, load, off, a));
                *fid = field_id(t->ncells - 1, 0);
                goto fail;
            }
            TRY(emit_op(t, br));
            TRY(emit_xy(t, operands.s.y, b));
            TRY(emit_xy(t, 0, 0));
            *fid = field_id(t->ncells - 1, 0);
            goto fail;
        }
    }
    if (t->add_valid && t->add_start + 3 == t->ncells && cell_is(t, t->add_start, CO_I32_ADD) &&
        t->code[t->add_start + 1].s.x == cond) {
        /* The condition is an i32.add just before (`i += 1; br_if (i)`). */
        cmp_cell add = t->code[t->add_start + 1];
        int32_t b = t->code[t->add_start + 2].s.x;
        t->ncells = t->add_start;
        t->add_valid = false;
        TRY(emit_op(t, when ? CO_ADD_BR_NZ : CO_ADD_BR_Z));
        TRY(emit_xy(t, add.s.x, add.s.y));
        TRY(emit_xy(t, b, 0));
        TRY(emit_xy(t, 0, 0));
        *fid = field_id(t->ncells - 1, 0);
        goto fail;
    }
    {
        cmp_cell load, off;
        if (take_load(t, cond, &load, &off)) {
            TRY(emit_load_br(t, OP_NOP, when, load, off, 0));
            *fid = field_id(t->ncells - 1, 0);
            goto fail;
        }
    }
    TRY(emit_op(t, when ? CO_BR_IF : CO_BR_UNLESS));
    TRY(emit_xy(t, cond, 0));
    *fid = field_id(t->ncells - 1, 1);
fail:
    if (st == WEFT_OK)
        *field(t, *fid) = -1; /* a chain of one, until it is linked or bound */
    return st;
}

/* The negated form of an integer conditional branch; CO_COUNT_: none. */
WEFT_INTERNAL cmp_op cmp_negated_branch(cmp_op op)
{
    if (op == CO_BR_IF)
        return CO_BR_UNLESS;
    if (op == CO_BR_UNLESS)
        return CO_BR_IF;
    if (op == CO_ADD_BR_NZ)
        return CO_ADD_BR_Z;
    if (op == CO_ADD_BR_Z)
        return CO_ADD_BR_NZ;
    static const cmp_op lz[][2] = {{CO_L_BR_NZ, CO_L_BR_Z}, {CO_L_BR_NZ_SW, CO_L_BR_Z_SW}};
    for (size_t i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++)
            if (op == lz[i][k])
                return lz[i][!k];
    for (size_t i = 0; i < WEFT_ARRAY_LEN(load_br_fusable); i++)
        if (load_br_fusable[i].co == op || load_br_fusable[i].co_sw == op) {
            op_id neg = negate(load_br_fusable[i].op);
            bool sw = load_br_fusable[i].co_sw == op;
            for (size_t j = 0; j < WEFT_ARRAY_LEN(load_br_fusable); j++)
                if (load_br_fusable[j].op == neg)
                    return sw ? load_br_fusable[j].co_sw : load_br_fusable[j].co;
        }
    for (size_t i = 0; i < WEFT_ARRAY_LEN(fusable); i++)
        if (fusable[i].br == op) {
            op_id neg = negate(fusable[i].op);
            for (size_t j = 0; j < WEFT_ARRAY_LEN(fusable); j++)
                if (fusable[j].op == neg)
                    return fusable[j].br;
        }
    for (size_t i = 0; i < WEFT_ARRAY_LEN(add_fusable); i++)
        if (add_fusable[i].br == op) {
            op_id neg = negate(add_fusable[i].op);
            for (size_t j = 0; j < WEFT_ARRAY_LEN(add_fusable); j++)
                if (add_fusable[j].op == neg)
                    return add_fusable[j].br;
        }
    return CO_COUNT_;
}

/* ---- fused pairs --------------------------------------------------------------- */

/* What result_emitted records for a fused instruction: no wasm op, so that
 * nothing fuses with it again. */
#define OP_FUSED OP_NOP

static const struct { op_id o1, o2; cmp_op l, r; } pairs[] = {
#define CMP_XP(o1, o2) {OP_##o1, OP_##o2, CO_P_##o1##_##o2##_L, CO_P_##o1##_##o2##_R},
    CMP_PAIRS(CMP_XP)
#undef CMP_XP
};

static const struct { op_id op; cmp_op sel; } sel_fusable[] = {
#define CMP_XS(id) {OP_##id, CO_SEL_##id},
    CMP_SEL_FUSABLE(CMP_XS)
#undef CMP_XS
};

/* The last instruction, when it is the plain binary op `last_wasm` (3 cells)
 * that wrote temp `v` and nothing came after it. */
static bool last_binary_wrote(cmp_state *t, int32_t v)
{
    return t->last_valid && t->last_dst == v && t->ncells == t->last_start + 3 &&
           t->last_wasm != OP_FUSED && cell_is(t, t->last_start, cmp_co_of[t->last_wasm]);
}

/* Binary op `op` on slots a and b: when one of them is the result of the
 * binary op just before and the two make a pair of CMP_PAIRS, takes that op
 * back and emits the pair writing `d`.  *done tells whether it did. */
static weft_status emit_pair(cmp_state *t, op_id op, int32_t d, int32_t a, int32_t b, bool *done)
{
    weft_status st = WEFT_OK;
    *done = false;
    bool left = last_binary_wrote(t, a);
    if (!left && !last_binary_wrote(t, b))
        goto fail;
    for (size_t i = 0; i < WEFT_ARRAY_LEN(pairs); i++) {
        if (pairs[i].o1 != t->last_wasm || pairs[i].o2 != op)
            continue;
        cmp_cell first = t->code[t->last_start + 1], second = t->code[t->last_start + 2];
        t->ncells = t->last_start;
        TRY(emit_op(t, left ? pairs[i].l : pairs[i].r));
        TRY(emit_xy(t, d, first.s.y));
        TRY(emit_xy(t, second.s.x, left ? b : a));
        result_emitted(t, OP_FUSED, d);
        *done = true;
        break;
    }
fail:
    return st;
}

/* A store of the value in slot v at address slot `addr`: when v is the result
 * of the binary op just before and the two fuse, takes the op back and emits
 * the _ST form.  *done tells whether it did. */
static weft_status emit_op_store(cmp_state *t, op_id st_op, int32_t addr, int32_t v,
                                 uint32_t offset, bool *done)
{
    weft_status st = WEFT_OK;
    *done = false;
    if (!last_binary_wrote(t, v))
        goto fail;
    for (size_t i = 0; i < WEFT_ARRAY_LEN(store_fusable); i++) {
        if (store_fusable[i].op != t->last_wasm || store_fusable[i].st != st_op)
            continue;
        int32_t a = t->code[t->last_start + 1].s.y, b = t->code[t->last_start + 2].s.x;
        t->ncells = t->last_start;
        TRY(emit_op(t, t->software ? store_fusable[i].co_sw : store_fusable[i].co));
        TRY(emit_xy(t, addr, a));
        TRY(emit_xy(t, (int32_t)offset, b));
        *done = true;
        break;
    }
fail:
    return st;
}

static const struct { op_id op, st; cmp_op m, m_sw, co, co_sw; } mst_fusable[] = {
#define CMP_XMST(id, st) {OP_##id, OP_##st, CO_##id##_M, CO_##id##_M_SW, CO_##id##_MST, CO_##id##_MST_SW},
    CMP_MST_FUSABLE(CMP_XMST)
#undef CMP_XMST
};

/* Instruction k of the records, if it is a pure f64 op of 3 cells with the
 * [x=dst ..] layout (a pair or f64 arithmetic) that neither reads slot `keep`
 * nor writes slot `keep` or `addr`: an op a load may move past. */
static bool movable_past(cmp_state *t, uint32_t k, int32_t keep, int32_t addr)
{
    static const cmp_op arith[] = {CO_F64_ADD, CO_F64_SUB, CO_F64_MUL, CO_F64_DIV};
    cmp_op op = t->instrs[k].op;
    bool ok = false;
    for (size_t i = 0; i < WEFT_ARRAY_LEN(pairs) && !ok; i++)
        ok = op == pairs[i].l || op == pairs[i].r;
    for (size_t i = 0; i < WEFT_ARRAY_LEN(arith) && !ok; i++)
        ok = op == arith[i];
    uint32_t at = t->instrs[k].at;
    if (!ok || instr_end(t, k) != at + 3)
        return false;
    cmp_cell c1 = t->code[at + 1], c2 = t->code[at + 2];
    return c1.s.x != keep && c1.s.x != addr && c1.s.y != keep && c2.s.x != keep &&
           c2.s.y != keep;
}

/* A store of v at (addr, offset) that writes back `load(addr, offset) op x`:
 * takes back the load and the op (and the _M form that fused them) and emits
 * ID_MST.  The load may sit one pure f64 op before the op (`p->x -= a * b`);
 * its result must be a temp nothing else reads.  *done tells whether it did. */
static weft_status emit_mst(cmp_state *t, op_id st_op, int32_t addr, int32_t v, uint32_t offset,
                            bool *done)
{
    weft_status st = WEFT_OK;
    *done = false;
    uint32_t n = t->ninstrs;
    if (!t->last_valid || t->last_dst != v || v < (int32_t)t->temp_base || !n ||
        t->instrs[n - 1].at != t->last_start || t->ncells != t->last_start + 3)
        goto fail;
    cmp_op last = t->instrs[n - 1].op;
    cmp_cell l1 = t->code[t->last_start + 1], l2 = t->code[t->last_start + 2];
    for (size_t i = 0; i < WEFT_ARRAY_LEN(mst_fusable); i++) {
        if (mst_fusable[i].st != st_op)
            continue;
        cmp_op co = t->software ? mst_fusable[i].co_sw : mst_fusable[i].co;
        int32_t x = 0;
        uint32_t from = 0;
        if (last == (t->software ? mst_fusable[i].m_sw : mst_fusable[i].m)) {
            /* x op load, _M: [x=v y=x][x=offset y=addr]; sub is x - load. */
            if (mst_fusable[i].op == OP_F64_SUB || l2.s.y != addr || (uint32_t)l2.s.x != offset)
                continue;
            x = l1.s.y;
            from = t->last_start;
        } else if (last == cmp_co_of[mst_fusable[i].op] && t->last_wasm == mst_fusable[i].op) {
            /* load op x, or x op load for the adds: [x=v y=a][x=b]. */
            op_id ld_op = st_op == OP_F64_STORE   ? OP_F64_LOAD
                          : st_op == OP_I32_STORE ? OP_I32_LOAD
                                                  : OP_I64_LOAD;
            cmp_op ld = t->software ? cmp_co_sw_of[ld_op] : cmp_co_of[ld_op];
            uint32_t k = n - 2;
            if (n < 2)
                continue;
            if (t->instrs[k].op != ld && n >= 3 && t->instrs[k - 1].op == ld)
                k--;
            if (t->instrs[k].op != ld || instr_end(t, k) != t->instrs[k].at + 3)
                continue;
            uint32_t at = t->instrs[k].at;
            int32_t tmp = t->code[at + 1].s.x;
            if (t->code[at + 1].s.y != addr || (uint32_t)t->code[at + 2].s.x != offset ||
                tmp < (int32_t)t->temp_base || t->last_label > at)
                continue;
            if (tmp == l1.s.y && tmp != l2.s.x)
                x = l2.s.x;
            else if (tmp == l2.s.x && tmp != l1.s.y && mst_fusable[i].op != OP_F64_SUB)
                x = l1.s.y;
            else
                continue;
            bool mid = k + 3 == n;
            if (mid && !movable_past(t, k + 1, tmp, addr))
                continue;
            if (mid) {
                /* Keep the op in between: move it down over the load. */
                cmp_cell m[3];
                memcpy(m, &t->code[t->instrs[k + 1].at], sizeof m);
                cmp_op mop = t->instrs[k + 1].op;
                t->ncells = at;
                TRY(note_instr(t, at, mop));
                for (int j = 0; j < 3; j++)
                    TRY(emit_cell(t, m[j]));
                from = t->ncells;
            } else {
                from = at;
            }
        } else {
            continue;
        }
        t->ncells = from;
        TRY(emit_op(t, co));
        TRY(emit_xy(t, addr, x));
        TRY(emit_xy(t, (int32_t)offset, 0));
        *done = true;
        break;
    }
fail:
    return st;
}

static const struct { cmp_op mst, mst_sw, co, co_sw; } mm_mst_fusable[] = {
#define CMP_XMM(id) {CO_##id##_MST, CO_##id##_MST_SW, CO_##id##_MM_MST, CO_##id##_MM_MST_SW},
    CMP_MM_MST_FUSABLE(CMP_XMM)
#undef CMP_XMM
};

/* The ID_MST just emitted, when the instruction before it is the pair
 * P_F64_MUL_F64_MUL_L computing its operand into a temp (read by nothing
 * else: the MST consumed it) with no label between: both become ID_MM_MST. */
static weft_status fuse_mm_mst(cmp_state *t)
{
    weft_status st = WEFT_OK;
    uint32_t n = t->ninstrs, pat;
    if (!before_last_is(t, CO_P_F64_MUL_F64_MUL_L, &pat) || t->ncells != pat + 6)
        goto fail;
    uint32_t mat = pat + 3;
    cmp_cell p1 = t->code[pat + 1], p2 = t->code[pat + 2];
    cmp_cell m1 = t->code[mat + 1], m2 = t->code[mat + 2];
    int32_t tmp = p1.s.x;
    if (tmp < (int32_t)t->temp_base || m1.s.y != tmp || m1.s.x == tmp)
        goto fail;
    for (size_t i = 0; i < WEFT_ARRAY_LEN(mm_mst_fusable); i++) {
        if (t->instrs[n - 1].op != (t->software ? mm_mst_fusable[i].mst_sw : mm_mst_fusable[i].mst))
            continue;
        t->ncells = pat;
        TRY(emit_op(t, t->software ? mm_mst_fusable[i].co_sw : mm_mst_fusable[i].co));
        TRY(emit_xy(t, m1.s.x, p1.s.y));
        TRY(emit_xy(t, m2.s.x, p2.s.x));
        TRY(emit_xy(t, p2.s.y, 0));
        break;
    }
fail:
    return st;
}

static const struct { cmp_op op, a; } mst_addr_fusable[] = {
#define CMP_XMST(id, st) {CO_##id##_MST, CO_##id##_MST_A}, {CO_##id##_MST_SW, CO_##id##_MST_A_SW},
    CMP_MST_FUSABLE(CMP_XMST)
#undef CMP_XMST
#define CMP_XMM(id) {CO_##id##_MM_MST, CO_##id##_MM_MST_A}, {CO_##id##_MM_MST_SW, CO_##id##_MM_MST_A_SW},
    CMP_MM_MST_FUSABLE(CMP_XMM)
#undef CMP_XMM
};

/* The ID_MST or ID_MM_MST just emitted, when the instruction before it is
 * the i32.add that computed its address, with no label between: both become
 * the _A form, which still writes the add's result (a local, usually, that
 * later code may read).  Its operands go in the MST's free last y and one
 * more cell (code.h). */
static weft_status fuse_mst_addr(cmp_state *t)
{
    weft_status st = WEFT_OK;
    uint32_t n = t->ninstrs, aat;
    if (!before_last_is(t, CO_I32_ADD, &aat))
        goto fail;
    uint32_t mat = aat + 3, len = t->ncells - mat;
    if (t->code[aat + 1].s.x != t->code[mat + 1].s.x || len > 4)
        goto fail;
    int32_t p = t->code[aat + 1].s.y, q = t->code[aat + 2].s.x;
    for (size_t i = 0; i < WEFT_ARRAY_LEN(mst_addr_fusable); i++) {
        if (t->instrs[n - 1].op != mst_addr_fusable[i].op)
            continue;
        cmp_cell c[4];
        memcpy(c, &t->code[mat], len * sizeof(cmp_cell));
        weft_assert(c[len - 1].s.y == 0);
        c[len - 1].s.y = p;
        t->ncells = aat;
        TRY(emit_op(t, mst_addr_fusable[i].a));
        for (uint32_t k = 1; k < len; k++)
            TRY(emit_cell(t, c[k]));
        TRY(emit_xy(t, q, 0));
        break;
    }
fail:
    return st;
}

/* Instructions that only compute a value into cell 1's x from the slots in
 * their other fields (plus memory, for loads): what a store's address add
 * may be moved past.  The plain wasm ones are checked by range. */
static const bool value_op[CO_COUNT_] = {
#define CMP_XL(id) [CO_##id##_A] = true, [CO_##id##_A_SW] = true, [CO_##id##_SW] = true,
    CMP_XL(I32_LOAD) CMP_XL(I64_LOAD) CMP_XL(F32_LOAD) CMP_XL(F64_LOAD) CMP_XL(I32_LOAD8_S)
    CMP_XL(I32_LOAD8_U) CMP_XL(I32_LOAD16_S) CMP_XL(I32_LOAD16_U) CMP_XL(I64_LOAD8_S)
    CMP_XL(I64_LOAD8_U) CMP_XL(I64_LOAD16_S) CMP_XL(I64_LOAD16_U) CMP_XL(I64_LOAD32_S)
    CMP_XL(I64_LOAD32_U)
#undef CMP_XL
#define CMP_XK(id) [CO_##id##_S] = true, [CO_##id##_S_SW] = true,
    CMP_XK(I32_LOAD) CMP_XK(I64_LOAD) CMP_XK(F32_LOAD) CMP_XK(F64_LOAD)
#undef CMP_XK
#define CMP_XP(o1, o2) [CO_P_##o1##_##o2##_L] = true, [CO_P_##o1##_##o2##_R] = true,
    CMP_PAIRS(CMP_XP)
#undef CMP_XP
#define CMP_XM(id, ld) [CO_##id##_M] = true, [CO_##id##_M_SW] = true, [CO_##id##_MA] = true,  \
                       [CO_##id##_MA_SW] = true,
    CMP_MEM_FUSABLE(CMP_XM)
#undef CMP_XM
#define CMP_XS(id) [CO_SEL_##id] = true,
    CMP_SEL_FUSABLE(CMP_XS)
#undef CMP_XS
};

static bool is_value_op(cmp_op op)
{
    return (op >= CO_I32_LOAD && op <= CO_I64_LOAD32_U) ||
           (op >= CO_I32_EQZ && op <= CO_I64_EXTEND32_S) || value_op[op];
}

/* SIMD instructions that only compute a value (the 0xFD page but its stores,
 * the loads' _SW twins and _A forms, SELECT_V128), as is_value_op's; their
 * result may be a v128, two slots from cell 1's x. */
static const bool simd_value_op_tab[CO_COUNT_] = {
#define CMP_XL(id) [CO_##id##_SW] = true,
    CMP_XL(V128_LOAD) CMP_XL(V128_LOAD8X8_S) CMP_XL(V128_LOAD8X8_U) CMP_XL(V128_LOAD16X4_S)
    CMP_XL(V128_LOAD16X4_U) CMP_XL(V128_LOAD32X2_S) CMP_XL(V128_LOAD32X2_U)
    CMP_XL(V128_LOAD8_SPLAT) CMP_XL(V128_LOAD16_SPLAT) CMP_XL(V128_LOAD32_SPLAT)
    CMP_XL(V128_LOAD64_SPLAT) CMP_XL(V128_LOAD32_ZERO) CMP_XL(V128_LOAD64_ZERO)
    CMP_XL(V128_LOAD8_LANE) CMP_XL(V128_LOAD16_LANE) CMP_XL(V128_LOAD32_LANE)
    CMP_XL(V128_LOAD64_LANE)
#undef CMP_XL
    [CO_V128_LOAD_A] = true, [CO_V128_LOAD_A_SW] = true, [CO_SELECT_V128] = true,
};

static bool is_simd_value_op(cmp_op op)
{
    return (op >= CO_V128_LOAD && op <= CO_F64X2_CONVERT_LOW_I32X4_U && op != CO_V128_STORE &&
            !(op >= CO_V128_STORE8_LANE && op <= CO_V128_STORE64_LANE)) ||
           simd_value_op_tab[op];
}

/* Does the value instruction at cell `at`, `len` cells, leave the add moved
 * past it (temp a = p + q) unharmed: it neither reads a nor writes p, q or a?
 * Cell 1's x is what it writes, the rest what it reads (or offsets, lanes,
 * shift counts: a false match only costs the fusion); `wide`: SIMD, whose
 * result may be a v128 slot pair (a v128 operand never covers a: the add's
 * temp is live below everything computed after it, and locals and constants
 * lie below the temps). */
static bool leaves_add(cmp_state *t, uint32_t at, uint32_t len, bool wide, int32_t a,
                       int32_t p, int32_t q)
{
    int32_t wrote = t->code[at + 1].s.x;
    for (int32_t w = wrote; w <= wrote + wide; w++)
        if (w == a || w == p || w == q)
            return false;
    /* _S and SEL_<cmp> (4 cells) also write fp[y] of cell 3: the local a
     * tee kept their pair or compare in, which may be an operand of the add
     * (`p[q] = load(p = x + (y << 2))`, tests/wat/hoist_tee.wat). */
    if (len == 4 && (t->code[at + 3].s.y == p || t->code[at + 3].s.y == q))
        return false;
    for (uint32_t c = 1; c < len; c++) {
        cmp_cell f = t->code[at + c];
        if ((c > 1 && f.s.x == a) || f.s.y == a)
            return false;
    }
    return true;
}

/* A store's address `a`: when it is the temp an i32.add wrote just before the
 * instructions that computed the stored value (`p[i] = f(x)`: address first,
 * then the value), takes the add back, so that the store adds (the _A forms):
 * *base and *idx are its operands.  Scalar stores look past one value
 * instruction; a v128.store (`simd`) past up to 16 scalar and SIMD ones, the
 * filter kernels' vector expressions.  None may read the add's temp or write
 * its operands. */
static bool hoist_addr_add(cmp_state *t, int32_t a, bool simd, int32_t *base, int32_t *idx)
{
    uint32_t n = t->ninstrs, first = n - 1;
    if (n < 2 || a < (int32_t)t->temp_base)
        return false;
    while (!(t->instrs[first - 1].op == CO_I32_ADD && t->code[t->instrs[first - 1].at + 1].s.x == a)) {
        if (!simd || first < 2 || n - first >= 16)
            return false;
        first--;
    }
    uint32_t aat = t->instrs[first - 1].at, vat = t->instrs[first].at;
    cmp_cell add = t->code[aat + 1];
    int32_t b = t->code[aat + 2].s.x;
    if (aat + 3 != vat || t->last_label > aat)
        return false;
    for (uint32_t k = first; k < n; k++) {
        cmp_op op = t->instrs[k].op;
        uint32_t len = instr_end(t, k) - t->instrs[k].at;
        bool wide = simd && is_simd_value_op(op);
        if (!(is_value_op(op) || wide) || len < 2 || len > (wide ? 5u : 4u) ||
            !leaves_add(t, t->instrs[k].at, len, wide, a, add.s.y, b))
            return false;
    }
    memmove(&t->code[aat], &t->code[vat], (t->ncells - vat) * sizeof(cmp_cell));
    t->ncells -= 3;
    for (uint32_t k = first; k < n; k++) {
        t->instrs[k - 1] = t->instrs[k];
        t->instrs[k - 1].at -= 3;
    }
    t->ninstrs--;
    t->last_valid = false;
    t->add_valid = false;
    t->tee_slot = -1;
    t->call_result = -1;
    *base = add.s.y;
    *idx = b;
    return true;
}

/* The address `*a` of memory instruction `op`: when the i32.add just before
 * wrote it, takes the add back and gives its operands (*a, *b) and the _A
 * form (*co, plain or _SW as the translation's bounds mode). */
WEFT_INTERNAL bool cmp_take_addr_add(cmp_state *t, op_id op, int32_t *a, int32_t *b, cmp_op *co)
{
    if (!t->last_valid || t->last_dst != *a || t->last_wasm != OP_I32_ADD || !co_addr_of[op][0])
        return false;
    *b = t->code[t->last_start + 2].s.x;
    *a = t->code[t->last_start + 1].s.y;
    t->ncells = t->last_start;
    *co = co_addr_of[op][t->software];
    return true;
}

/* The same for a store whose value was computed after its address
 * (hoist_addr_add); *b: the add's second operand. */
WEFT_INTERNAL bool cmp_hoist_addr_add(cmp_state *t, op_id op, int32_t *a, int32_t *b, cmp_op *co)
{
    int32_t base, idx;
    if (!co_addr_of[op][0] || !hoist_addr_add(t, *a, op == OP_V128_STORE, &base, &idx))
        return false;
    *a = base;
    *b = idx;
    *co = co_addr_of[op][t->software];
    return true;
}

/* Binary op `op` on slots a and b writing d: when one of them is the result of
 * a plain load just before and the two fuse, takes the load back and emits
 * the _M form (integer add, f64 add and mul commute; f64.sub only takes the
 * load on its right).  *done tells whether it did. */
static weft_status emit_op_mem(cmp_state *t, op_id op, int32_t d, int32_t a, int32_t b, bool *done)
{
    weft_status st = WEFT_OK;
    *done = false;
    if (!t->last_valid || (t->last_dst != a && t->last_dst != b) ||
        t->ncells != t->last_start + 3)
        goto fail;
    bool right = t->last_dst == b;
    for (size_t i = 0; i < WEFT_ARRAY_LEN(mem_fusable); i++) {
        op_id ld = mem_fusable[i].ld;
        if (mem_fusable[i].op != op || ld != t->last_wasm || (op == OP_F64_SUB && !right))
            continue;
        bool added = cell_is(t, t->last_start, co_addr_of[ld][t->software]);
        if (!added && !cell_is(t, t->last_start, t->software ? cmp_co_sw_of[ld] : cmp_co_of[ld]))
            break; /* another fused load */
        cmp_cell load = t->code[t->last_start + 1], off = t->code[t->last_start + 2];
        t->ncells = t->last_start;
        if (added)
            TRY(emit_op(t, t->software ? mem_fusable[i].a_sw : mem_fusable[i].a));
        else
            TRY(emit_op(t, t->software ? mem_fusable[i].co_sw : mem_fusable[i].co));
        TRY(emit_xy(t, d, right ? a : b));
        TRY(emit_xy(t, off.s.x, load.s.y));
        if (added)
            TRY(emit_xy(t, off.s.y, 0));
        result_emitted(t, OP_FUSED, d);
        *done = true;
        break;
    }
fail:
    return st;
}

/* select of a and b on `cond`: when an integer compare or i32.eqz just before
 * computed cond, takes it back (SEL_<cmp>, or a plain select on the eqz's
 * operand with a and b swapped). */
WEFT_INTERNAL weft_status cmp_emit_select(cmp_state *t, int32_t d, int32_t a, int32_t b,
                                         int32_t cond)
{
    weft_status st = WEFT_OK;
    if (t->last_valid && t->last_dst == cond) {
        cmp_cell operands = t->code[t->last_start + 1];
        if (t->last_wasm == OP_I32_EQZ && t->ncells == t->last_start + 2 &&
            cell_is(t, t->last_start, CO_I32_EQZ)) {
            t->ncells = t->last_start;
            TRY(emit_op(t, CO_SELECT));
            TRY(emit_xy(t, d, operands.s.y));
            TRY(emit_xy(t, b, a));
            goto fail;
        }
    }
    /* The compare just before, writing cond: a temp, or the local a tee set
     * (the SEL writes cond too, so the local keeps its value). */
    bool teed = tee_just_before(t, cond) && cell_is(t, t->tee_start, cmp_co_of[t->tee_wasm]);
    if (teed || last_binary_wrote(t, cond)) {
        uint32_t at = teed ? t->tee_start : t->last_start;
        op_id w = teed ? t->tee_wasm : t->last_wasm;
        for (size_t i = 0; i < WEFT_ARRAY_LEN(sel_fusable); i++) {
            if (sel_fusable[i].op != w)
                continue;
            int32_t x = t->code[at + 1].s.y, y = t->code[at + 2].s.x;
            t->ncells = at;
            TRY(emit_op(t, sel_fusable[i].sel));
            TRY(emit_xy(t, d, a));
            TRY(emit_xy(t, x, y));
            TRY(emit_xy(t, b, cond));
            goto fail;
        }
    }
    TRY(emit_op(t, CO_SELECT));
    TRY(emit_xy(t, d, cond));
    TRY(emit_xy(t, a, b));
fail:
    return st;
}

/* ---- plain instructions: numeric ops, loads and stores ---------------------- */

WEFT_INTERNAL weft_status cmp_translate_plain(cmp_state *t, op_id op, const op_info *info,
                                             const imm_values *im)
{
    weft_status st = WEFT_OK;
    uint32_t np = 1, nr = 1;
    int32_t d = 0;
    if (op != OP_REF_IS_NULL)
        sig_counts(info->sig, &np, &nr);
    if (info->imm == IMM_MEMARG) {
        cmp_op co = t->software ? cmp_co_sw_of[op] : cmp_co_of[op];
        int32_t v = nr == 1 ? 0 : pop(t), a = pop(t), b = 0;
        /* The address came from the i32.add just before: take it back and let
         * the load or store add its operands (the _A variants). */
        cmp_take_addr_add(t, op, &a, &b, &co);
        /* Or from base + (index << k) (the _S variants), computed into a
         * temp or into the local a tee set: the _S form writes it too. */
        bool scaled = false;
        int32_t k = 0, w = a;
        bool teed = tee_just_before(t, a);
        uint32_t pat = teed ? t->tee_start : t->last_start;
        if ((teed || (t->last_valid && t->last_dst == a && t->last_wasm == OP_FUSED &&
                      t->ncells == t->last_start + 3)) &&
            co_scaled_of[op][0] && co == (t->software ? cmp_co_sw_of[op] : cmp_co_of[op]) &&
            (cell_is(t, pat, CO_P_I32_SHL_I32_ADD_L) || cell_is(t, pat, CO_P_I32_SHL_I32_ADD_R))) {
            b = t->code[pat + 1].s.y;
            k = t->code[pat + 2].s.x;
            a = t->code[pat + 2].s.y;
            t->ncells = pat;
            co = co_scaled_of[op][t->software];
            scaled = true;
        }
        if (nr == 1) {
            TRY(push_temp(t, &d));
            TRY(emit_op(t, co));
            TRY(emit_xy(t, d, a));
            TRY(emit_xy(t, (int32_t)im->offset, b));
        } else {
            bool fused = false;
            if (!scaled && co == (t->software ? cmp_co_sw_of[op] : cmp_co_of[op]))
                TRY(emit_mst(t, op, a, v, im->offset, &fused));
            if (fused)
                TRY(fuse_mm_mst(t));
            if (fused)
                TRY(fuse_mst_addr(t));
            if (!fused && !scaled && co == (t->software ? cmp_co_sw_of[op] : cmp_co_of[op]))
                TRY(emit_op_store(t, op, a, v, im->offset, &fused));
            if (!fused && !scaled && co == (t->software ? cmp_co_sw_of[op] : cmp_co_of[op]))
                cmp_hoist_addr_add(t, op, &a, &b, &co);
            if (fused)
                goto fail;
            TRY(emit_op(t, co));
            TRY(emit_xy(t, a, v));
            TRY(emit_xy(t, (int32_t)im->offset, b));
        }
        if (scaled)
            TRY(emit_xy(t, k, w));
        if (nr == 1)
            result_emitted(t, op, d);
        goto fail;
    }
    weft_assert(nr == 1 && (np == 1 || np == 2));
    if (np == 1) {
        int32_t a = pop(t);
        TRY(push_temp(t, &d));
        TRY(emit_op(t, cmp_co_of[op]));
        TRY(emit_xy(t, d, a));
    } else {
        int32_t b = pop(t), a = pop(t);
        bool paired;
        TRY(push_temp(t, &d));
        TRY(emit_pair(t, op, d, a, b, &paired));
        if (!paired)
            TRY(emit_op_mem(t, op, d, a, b, &paired));
        if (paired)
            goto fail;
        TRY(emit_op(t, cmp_co_of[op]));
        TRY(emit_xy(t, d, a));
        TRY(emit_xy(t, b, 0));
        if (op == OP_I32_ADD) {
            t->add_valid = true;
            t->add_start = t->last_start;
        }
    }
    result_emitted(t, op, d);
fail:
    return st;
}

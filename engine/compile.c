/*
 * compile.c -- translation (cmp_) of a validated function body into the
 * internal code of engine/code.h, lazily on first call, published once.
 *
 * One pass over the body after a pre-scan.  The pre-scan collects the distinct
 * constants (their slots sit below the temps, so their number must be known
 * first) and the scratch slots `if` blocks with parameters need.  The main pass
 * keeps the operand stack as slot references (code.h, "Frames") and a stack of
 * control frames; forward branches are chained through their own offset fields
 * and patched when the label is bound.  The body is trusted to be valid: the
 * validator has seen it, so reads here do not re-check types or indexes.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "engine/code.h"
#include "engine/engine.h"
#include "engine/immediates.h"
#include "engine/reader.h"

/* ---- instruction reading ------------------------------------------------- */

/* A block type's parameter and result counts. */
static void block_arity(const weft_module *m, const imm_values *im, uint32_t *np, uint32_t *nr)
{
    *np = 0;
    *nr = im->block == IMM_BT_VALUE;
    if (im->block == IMM_BT_INDEX) {
        *np = m->types[im->type_index].nparams;
        *nr = m->types[im->type_index].nresults;
    }
}

/* Reads one instruction's opcode and immediates. */
static weft_status read_instr(reader *r, op_id *op, imm_values *im)
{
    weft_status st = WEFT_OK;
    uint8_t b = 0;
    uint32_t code = 0;
    TRY(rd_u8(r, &b));
    uint8_t prefix = 0;
    code = b;
    if (op_is_prefix(b)) {
        prefix = b;
        TRY(rd_u32(r, &code));
    }
    if (!op_lookup(prefix, code, op))
        return err_set(r->err, WEFT_E_ILLEGAL_OPCODE, rd_offset(r), NULL);
    TRY(imm_read(r, op_table[*op].imm, im));
fail:
    return st;
}

/* ---- translation state ---------------------------------------------------- */

enum { CTRL_FUNC, CTRL_BLOCK, CTRL_LOOP, CTRL_IF, CTRL_ELSE };

typedef struct cmp_ctrl {
    uint8_t kind;
    bool unreachable;  /* the rest of this block up to else/end is dead  */
    uint32_t base;     /* stack height below the block's parameters      */
    uint32_t np, nr;
    uint32_t loop_pc;  /* loop: the cell its label names                */
    int32_t chain;     /* forward branches to the end label (field ids) */
    int32_t else_chain; /* if: the branch to the else arm               */
    uint32_t scratch;  /* if with parameters: their saved copies         */
} cmp_ctrl;

typedef struct cmp_state {
    const weft_module *m;
    const weft_engine *e;
    weft_error *err;
    const void *const *handlers;
    bool software;

    uint32_t nparams, nlocals, nconsts, nscratch, temp_base;
    uint64_t *consts;   /* sorted distinct values */

    cmp_cell *code;
    uint32_t ncells, cap_cells;

    int32_t *stack;     /* slot of each operand */
    uint32_t height, max_height, cap_stack;

    cmp_ctrl *ctrls;
    uint32_t nctrls, cap_ctrls;

    uint32_t next_scratch;

    /* Peephole: the last instruction, if nothing (no label) came after it. */
    bool last_valid;
    op_id last_wasm;     /* the wasm op it came from                        */
    uint32_t last_start; /* its handler cell                                */
    int32_t last_dst;    /* the temp it wrote, or -1                        */
    /* The last i32.add emitted, if no label came after it (ADD_BR_<cmp>). */
    bool add_valid;
    uint32_t add_start;  /* its handler cell                                */
} cmp_state;

static weft_status grow(cmp_state *t, void **p, uint32_t *cap, uint32_t need, size_t size)
{
    if (need <= *cap)
        return WEFT_OK;
    uint32_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > UINT32_MAX / 2)
            return err_set(t->err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "function too large");
        n *= 2;
    }
    void *q = eng_realloc(t->e, *p, (size_t)n * size);
    if (!q)
        return err_set(t->err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
    *p = q;
    *cap = n;
    return WEFT_OK;
}

/* ---- emission -------------------------------------------------------------- */

static weft_status emit_cell(cmp_state *t, cmp_cell c)
{
    weft_status st = WEFT_OK;
    TRY(grow(t, (void **)&t->code, &t->cap_cells, t->ncells + 1, sizeof(cmp_cell)));
    t->code[t->ncells++] = c;
fail:
    return st;
}

static weft_status emit_op(cmp_state *t, cmp_op op)
{
    cmp_cell c;
    c.u64 = 0;
    if (t->handlers)
        c.h = t->handlers[op];
    else
        c.op = op;
    t->last_valid = false;
    t->last_start = t->ncells;
    return emit_cell(t, c);
}

static weft_status emit_xy(cmp_state *t, int32_t x, int32_t y)
{
    cmp_cell c;
    c.u64 = 0;
    c.s.x = x;
    c.s.y = y;
    return emit_cell(t, c);
}

static int32_t field_id(uint32_t cell, int half) { return (int32_t)(cell * 2 + (uint32_t)half); }
static int32_t *field(cmp_state *t, int32_t id)
{
    cmp_cell *c = &t->code[id / 2];
    return id % 2 ? &c->s.y : &c->s.x;
}

/* Points the branch offset in field `id` at cell `target` (offsets count
 * cells from the cell holding them). */
static void set_target(cmp_state *t, int32_t id, uint32_t target)
{
    *field(t, id) = (int32_t)target - id / 2;
}

/* Adds field `id` to a chain of unresolved branches. */
static void chain_add(cmp_state *t, int32_t *chain, int32_t id)
{
    *field(t, id) = *chain;
    *chain = id;
}

static void chain_bind(cmp_state *t, int32_t chain, uint32_t target)
{
    while (chain >= 0) {
        int32_t next = *field(t, chain);
        set_target(t, chain, target);
        chain = next;
    }
    t->last_valid = false; /* a label: another path may arrive here */
    t->add_valid = false;
}

/* ---- the operand stack ------------------------------------------------------- */

static int32_t temp_slot(cmp_state *t, uint32_t pos) { return (int32_t)(t->temp_base + pos); }

static weft_status push(cmp_state *t, int32_t slot)
{
    weft_status st = WEFT_OK;
    TRY(grow(t, (void **)&t->stack, &t->cap_stack, t->height + 1, sizeof(int32_t)));
    t->stack[t->height++] = slot;
    if (t->height > t->max_height)
        t->max_height = t->height;
fail:
    return st;
}

static weft_status push_temp(cmp_state *t, int32_t *slot)
{
    *slot = temp_slot(t, t->height);
    return push(t, *slot);
}

static int32_t pop(cmp_state *t) { return t->stack[--t->height]; }

static weft_status copy(cmp_state *t, int32_t dst, int32_t src)
{
    weft_status st = WEFT_OK;
    if (dst != src) {
        TRY(emit_op(t, CO_COPY));
        TRY(emit_xy(t, dst, src));
    }
fail:
    return st;
}

/* Puts the value at stack position `pos` into its own temp. */
static weft_status materialize(cmp_state *t, uint32_t pos)
{
    weft_status st = WEFT_OK;
    int32_t tmp = temp_slot(t, pos);
    if (t->stack[pos] != tmp) {
        TRY(copy(t, tmp, t->stack[pos]));
        t->stack[pos] = tmp;
    }
fail:
    return st;
}

static weft_status materialize_from(cmp_state *t, uint32_t from)
{
    weft_status st = WEFT_OK;
    for (uint32_t i = from; i < t->height; i++)
        TRY(materialize(t, i));
fail:
    return st;
}

/* Before local `x` changes: stack entries that still read it get copies. */
static weft_status protect_local(cmp_state *t, int32_t x, uint32_t below)
{
    weft_status st = WEFT_OK;
    for (uint32_t i = 0; i < below; i++)
        if (t->stack[i] == x)
            TRY(materialize(t, i));
fail:
    return st;
}

static bool refers_to(cmp_state *t, int32_t x, uint32_t below)
{
    for (uint32_t i = 0; i < below; i++)
        if (t->stack[i] == x)
            return true;
    return false;
}

static int32_t const_slot(cmp_state *t, uint64_t v)
{
    uint32_t lo = 0, hi = t->nconsts;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (t->consts[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    weft_assert(lo < t->nconsts && t->consts[lo] == v);
    return (int32_t)(t->nlocals + lo);
}

/* Marks the instruction just emitted as having written the new top temp. */
static void result_emitted(cmp_state *t, op_id wasm, int32_t dst)
{
    t->last_valid = true;
    t->last_wasm = wasm;
    t->last_dst = dst;
}

/* ---- control ------------------------------------------------------------------ */

static weft_status push_ctrl(cmp_state *t, uint8_t kind, uint32_t np, uint32_t nr)
{
    weft_status st = WEFT_OK;
    TRY(grow(t, (void **)&t->ctrls, &t->cap_ctrls, t->nctrls + 1, sizeof(cmp_ctrl)));
    cmp_ctrl *c = &t->ctrls[t->nctrls++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->base = t->height - np;
    c->np = np;
    c->nr = nr;
    c->chain = -1;
    c->else_chain = -1;
    c->loop_pc = t->ncells;
fail:
    return st;
}

/* Moves the top n values into positions base.. (a branch to a label whose
 * values sit there).  Ascending order is safe: each source is at or above
 * its destination, and sources that are references are never temps. */
static weft_status move_top(cmp_state *t, uint32_t n, uint32_t base)
{
    weft_status st = WEFT_OK;
    for (uint32_t i = 0; i < n; i++)
        TRY(copy(t, temp_slot(t, base + i), t->stack[t->height - n + i]));
fail:
    return st;
}

static bool needs_moves(cmp_state *t, uint32_t n, uint32_t base)
{
    for (uint32_t i = 0; i < n; i++)
        if (t->stack[t->height - n + i] != temp_slot(t, base + i))
            return true;
    return false;
}

static weft_status emit_return(cmp_state *t)
{
    weft_status st = WEFT_OK;
    uint32_t n = t->ctrls[0].nr;
    if (n == 1) {
        TRY(emit_op(t, CO_RETURN1));
        TRY(emit_xy(t, t->stack[t->height - 1], 0));
        goto fail;
    }
    /* Results go to fp[0..n): the sources become temps first, then each one
     * sits at or above its destination.  The stack's state is put back after:
     * a conditional return's copies run only on the path that returns. */
    uint32_t q = t->height - n;
    for (uint32_t i = 0; i < n; i++)
        TRY(copy(t, temp_slot(t, q + i), t->stack[q + i]));
    for (uint32_t i = 0; i < n; i++)
        TRY(copy(t, (int32_t)i, temp_slot(t, q + i)));
    TRY(emit_op(t, CO_RETURN));
fail:
    return st;
}

/* Unconditional branch to label `depth`, values moved into place. */
static weft_status emit_br(cmp_state *t, uint32_t depth)
{
    weft_status st = WEFT_OK;
    cmp_ctrl *c = &t->ctrls[t->nctrls - 1 - depth];
    if (c->kind == CTRL_FUNC)
        return emit_return(t);
    uint32_t n = c->kind == CTRL_LOOP ? c->np : c->nr;
    TRY(move_top(t, n, c->base));
    TRY(emit_op(t, CO_BR));
    TRY(emit_xy(t, 0, 0));
    if (c->kind == CTRL_LOOP)
        set_target(t, field_id(t->ncells - 1, 0), c->loop_pc);
    else
        chain_add(t, &c->chain, field_id(t->ncells - 1, 0));
fail:
    return st;
}

/* ---- instruction tables ------------------------------------------------------- */

/* The internal instruction of each wasm op that runs as it is, and its
 * software-checked twin. */
static const uint16_t co_of[OP_COUNT_] = {
#define CMP_X(id) [OP_##id] = CO_##id,
#define OP(id, prefix, code, name, imm, align, sig) CMP_PICK_##prefix(CMP_X, id)
#include "engine/opcodes.def"
#undef OP
#undef CMP_X
};

static const uint16_t co_sw_of[OP_COUNT_] = {
#define CMP_XSW(id) [OP_##id] = CO_##id##_SW,
#define OP(id, prefix, code, name, imm, align, sig) CMP_PICK_##prefix(CMP_SW_##imm, id)
#include "engine/opcodes.def"
#undef OP
#undef CMP_XSW
};

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
static const struct { op_id op, ld; cmp_op co, co_sw; } mem_fusable[] = {
#define CMP_XM(id, ld) {OP_##id, OP_##ld, CO_##id##_M, CO_##id##_M_SW},
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

/* Does the instruction at cell `at` run `op`? */
static bool cell_is(cmp_state *t, uint32_t at, cmp_op op)
{
    cmp_cell h = t->code[at];
    return t->handlers ? h.h == t->handlers[op] : h.op == (uintptr_t)op;
}

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
static weft_status emit_cond_br(cmp_state *t, int32_t cond, bool when, int32_t *fid)
{
    weft_status st = WEFT_OK;
    cmp_op br;
    if (t->last_valid && t->last_dst == cond) {
        op_id op = t->last_wasm;
        cmp_cell operands = t->code[t->last_start + 1];
        if (op == OP_I32_EQZ) {
            t->ncells = t->last_start;
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
            TRY(emit_op(t, br));
            TRY(emit_xy(t, add.s.x, add.s.y));
            TRY(emit_xy(t, b, c));
            TRY(emit_xy(t, 0, 0));
            *fid = field_id(t->ncells - 1, 0);
            goto fail;
        }
        if (fused_of(cmp, &br)) {
            int32_t b = t->code[t->last_start + 2].s.x;
            t->ncells = t->last_start;
            TRY(emit_op(t, br));
            TRY(emit_xy(t, operands.s.y, b));
            TRY(emit_xy(t, 0, 0));
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
           t->last_wasm != OP_FUSED && cell_is(t, t->last_start, co_of[t->last_wasm]);
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
        if (!cell_is(t, t->last_start, t->software ? co_sw_of[ld] : co_of[ld]))
            break; /* a fused load */
        cmp_cell load = t->code[t->last_start + 1], off = t->code[t->last_start + 2];
        t->ncells = t->last_start;
        TRY(emit_op(t, t->software ? mem_fusable[i].co_sw : mem_fusable[i].co));
        TRY(emit_xy(t, d, right ? a : b));
        TRY(emit_xy(t, off.s.x, load.s.y));
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
static weft_status emit_select(cmp_state *t, int32_t d, int32_t a, int32_t b, int32_t cond)
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
        for (size_t i = 0; i < WEFT_ARRAY_LEN(sel_fusable); i++) {
            if (sel_fusable[i].op != t->last_wasm || !last_binary_wrote(t, cond))
                continue;
            int32_t y = t->code[t->last_start + 2].s.x;
            t->ncells = t->last_start;
            TRY(emit_op(t, sel_fusable[i].sel));
            TRY(emit_xy(t, d, a));
            TRY(emit_xy(t, operands.s.y, y));
            TRY(emit_xy(t, b, 0));
            goto fail;
        }
    }
    TRY(emit_op(t, CO_SELECT));
    TRY(emit_xy(t, d, cond));
    TRY(emit_xy(t, a, b));
fail:
    return st;
}

/* ---- pre-scan ------------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static weft_status prescan(cmp_state *t, reader r)
{
    weft_status st = WEFT_OK;
    uint64_t *vals = NULL;
    uint32_t n = 0, cap = 0;
    while (!rd_done(&r)) {
        op_id op;
        imm_values im;
        TRY(read_instr(&r, &op, &im));
        uint8_t prefix = op_table[op].prefix;
        if (prefix == 0xFD)
            return err_set(t->err, WEFT_E_UNSUPPORTED, rd_offset(&r),
                           "%s: SIMD instructions do not run yet", op_table[op].name);
        bool is_const = op == OP_I32_CONST || op == OP_I64_CONST || op == OP_F32_CONST ||
                        op == OP_F64_CONST || op == OP_REF_NULL;
        if (is_const) {
            TRY(grow(t, (void **)&vals, &cap, n + 1, sizeof(uint64_t)));
            vals[n++] = op == OP_REF_NULL ? 0 : im.bits;
        }
        if (op == OP_IF) {
            uint32_t np, nr;
            block_arity(t->m, &im, &np, &nr);
            t->nscratch += np;
        }
    }
    if (n) {
        qsort(vals, n, sizeof *vals, cmp_u64);
        uint32_t k = 1;
        for (uint32_t i = 1; i < n; i++)
            if (vals[i] != vals[k - 1])
                vals[k++] = vals[i];
        n = k;
    }
    t->consts = vals;
    t->nconsts = n;
    vals = NULL;
fail:
    eng_free(t->e, vals);
    return st;
}

/* ---- the main pass --------------------------------------------------------------- */

static weft_status translate_plain(cmp_state *t, op_id op, const op_info *info, const imm_values *im);
static weft_status translate_atomic(cmp_state *t, op_id op, const op_info *info,
                                    const imm_values *im); /* atomics block, below */

/* Skips dead code up to the else/end that closes the current block; leaves the
 * reader before that instruction. */
static weft_status skip_dead(reader *r)
{
    weft_status st = WEFT_OK;
    uint32_t depth = 0;
    for (;;) {
        const uint8_t *at = r->p;
        op_id op;
        imm_values im;
        TRY(read_instr(r, &op, &im));
        if (op == OP_BLOCK || op == OP_LOOP || op == OP_IF) {
            depth++;
        } else if (op == OP_END || op == OP_ELSE) {
            if (depth == 0) {
                r->p = at;
                break;
            }
            if (op == OP_END)
                depth--;
        }
    }
fail:
    return st;
}

static weft_status do_end(cmp_state *t, bool *done)
{
    weft_status st = WEFT_OK;
    cmp_ctrl *c = &t->ctrls[t->nctrls - 1];
    if (c->kind == CTRL_FUNC) {
        if (!c->unreachable)
            TRY(emit_return(t));
        *done = true;
        goto fail;
    }
    if (!c->unreachable)
        TRY(materialize_from(t, c->base));
    if (c->kind == CTRL_IF)
        chain_bind(t, c->else_chain, t->ncells); /* no else: params pass through */
    if (c->kind != CTRL_LOOP)
        chain_bind(t, c->chain, t->ncells);
    t->last_valid = false;
    t->height = c->base;
    uint32_t nr = c->nr;
    t->nctrls--;
    for (uint32_t i = 0; i < nr; i++)
        TRY(push(t, temp_slot(t, t->height)));
fail:
    return st;
}

static weft_status do_else(cmp_state *t)
{
    weft_status st = WEFT_OK;
    cmp_ctrl *c = &t->ctrls[t->nctrls - 1];
    if (!c->unreachable) {
        TRY(materialize_from(t, c->base));
        TRY(emit_op(t, CO_BR));
        TRY(emit_xy(t, 0, 0));
        chain_add(t, &c->chain, field_id(t->ncells - 1, 0));
    }
    chain_bind(t, c->else_chain, t->ncells);
    c->else_chain = -1;
    c->kind = CTRL_ELSE;
    c->unreachable = false;
    t->height = c->base;
    /* The else arm sees the parameters as the if saw them. */
    for (uint32_t i = 0; i < c->np; i++)
        TRY(push(t, (int32_t)(c->scratch + i)));
fail:
    return st;
}

static weft_status do_br_if(cmp_state *t, uint32_t depth)
{
    weft_status st = WEFT_OK;
    int32_t cond = pop(t);
    cmp_ctrl *c = &t->ctrls[t->nctrls - 1 - depth];
    int32_t fid;
    uint32_t n = c->kind == CTRL_LOOP ? c->np : c->nr;
    if (c->kind != CTRL_FUNC && !needs_moves(t, n, c->base)) {
        TRY(emit_cond_br(t, cond, true, &fid));
        if (c->kind == CTRL_LOOP)
            set_target(t, fid, c->loop_pc);
        else
            chain_add(t, &c->chain, fid);
        goto fail;
    }
    /* Values move (or the function returns) only when taken: branch around. */
    TRY(emit_cond_br(t, cond, false, &fid));
    TRY(emit_br(t, depth));
    chain_bind(t, fid, t->ncells);
fail:
    return st;
}

static weft_status do_br_table(cmp_state *t, reader *r, const imm_values *im)
{
    weft_status st = WEFT_OK;
    uint32_t *stubs = NULL; /* (cell, depth) pairs needing moves */
    uint32_t nstubs = 0;
    int32_t idx = pop(t);
    uint32_t n = im->count;
    op_id ld = OP_I32_LOAD8_U;
    cmp_op plain = t->software ? co_sw_of[ld] : co_of[ld];
    if (t->last_valid && t->last_dst == idx && t->last_wasm == ld &&
        t->ncells == t->last_start + 3 && cell_is(t, t->last_start, plain)) {
        /* The index was loaded just before: the table loads it (BR_TABLE_L8). */
        cmp_cell load = t->code[t->last_start + 1], off = t->code[t->last_start + 2];
        t->ncells = t->last_start;
        TRY(emit_op(t, t->software ? CO_BR_TABLE_L8_SW : CO_BR_TABLE_L8));
        TRY(emit_xy(t, load.s.y, (int32_t)n));
        TRY(emit_xy(t, off.s.x, 0));
    } else {
        TRY(emit_op(t, CO_BR_TABLE));
        TRY(emit_xy(t, idx, (int32_t)n));
    }
    uint32_t first = t->ncells;
    reader lr = *r;
    lr.p = im->targets;
    stubs = eng_calloc(t->e, (size_t)n + 1, 2 * sizeof(uint32_t));
    if (!stubs)
        return err_set(t->err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
    for (uint32_t i = 0; i <= n; i++) {
        uint32_t depth;
        TRY(rd_u32(&lr, &depth));
        TRY(emit_xy(t, 0, 0));
        cmp_ctrl *c = &t->ctrls[t->nctrls - 1 - depth];
        uint32_t arity = c->kind == CTRL_LOOP ? c->np : c->nr;
        int32_t fid = field_id(first + i, 0);
        if (c->kind == CTRL_FUNC || needs_moves(t, arity, c->base)) {
            stubs[2 * nstubs] = first + i;
            stubs[2 * nstubs + 1] = depth;
            nstubs++;
        } else if (c->kind == CTRL_LOOP) {
            set_target(t, fid, c->loop_pc);
        } else {
            chain_add(t, &c->chain, fid);
        }
    }
    for (uint32_t i = 0; i < nstubs; i++) {
        set_target(t, field_id(stubs[2 * i], 0), t->ncells);
        TRY(emit_br(t, stubs[2 * i + 1]));
    }
fail:
    eng_free(t->e, stubs);
    return st;
}

static weft_status do_call(cmp_state *t, const mod_functype *ft, cmp_op op, int32_t x,
                           int32_t table, bool indirect)
{
    weft_status st = WEFT_OK;
    int32_t elem = indirect ? pop(t) : 0;
    uint32_t q = t->height - ft->nparams;
    TRY(materialize_from(t, q));
    TRY(emit_op(t, op));
    TRY(emit_xy(t, x, temp_slot(t, q)));
    if (indirect)
        TRY(emit_xy(t, table, elem));
    t->height = q;
    for (uint32_t i = 0; i < ft->nresults; i++)
        TRY(push(t, temp_slot(t, t->height)));
fail:
    return st;
}

static weft_status do_local_set(cmp_state *t, int32_t x, bool tee)
{
    weft_status st = WEFT_OK;
    uint32_t top = t->height - 1;
    int32_t v = t->stack[top];
    /* The instruction just before computed the value into the top temp: make it
     * write the local instead, unless something still reads the old value. */
    if (t->last_valid && t->last_dst == v && v == temp_slot(t, top) && !refers_to(t, x, top)) {
        t->code[t->last_start + 1].s.x = x;
        t->last_valid = false;
    } else {
        TRY(protect_local(t, x, top));
        if (t->stack[top] == x)
            goto done; /* local.get x; local.set x */
        TRY(copy(t, x, v));
    }
done:
    t->height--;
    if (tee)
        TRY(push(t, x));
fail:
    return st;
}

static weft_status translate_body(cmp_state *t, reader *r)
{
    weft_status st = WEFT_OK;
    bool done = false;
    int32_t d;
    while (!done) {
        cmp_ctrl *c = &t->ctrls[t->nctrls - 1];
        if (c->unreachable)
            TRY(skip_dead(r));
        op_id op;
        imm_values im;
        TRY(read_instr(r, &op, &im));
        const op_info *info = &op_table[op];
        uint32_t block_np, block_nr; /* block, loop, if */
        block_arity(t->m, &im, &block_np, &block_nr);
        switch (op) {
        case OP_NOP:
            break;
        case OP_UNREACHABLE:
            TRY(emit_op(t, CO_UNREACHABLE));
            c->unreachable = true;
            break;
        case OP_BLOCK:
        case OP_LOOP:
            TRY(materialize_from(t, 0));
            TRY(push_ctrl(t, op == OP_BLOCK ? CTRL_BLOCK : CTRL_LOOP, block_np, block_nr));
            t->last_valid = false; /* a loop label is bound here */
            t->add_valid = false;
            break;
        case OP_IF: {
            int32_t cond = pop(t);
            /* Take the compare back before any copies come between. */
            bool fuse = t->last_valid && t->last_dst == cond;
            uint32_t saved_start = t->last_start;
            cmp_cell saved[3];
            uint32_t nsaved = 0;
            if (fuse) {
                nsaved = t->ncells - saved_start;
                if (nsaved > 3)
                    fuse = false;
                else
                    memcpy(saved, &t->code[saved_start], nsaved * sizeof(cmp_cell));
            }
            if (fuse)
                t->ncells = saved_start;
            TRY(materialize_from(t, 0));
            if (fuse) {
                /* Re-emit it last, so the fusion below sees it. */
                op_id w = t->last_wasm;
                for (uint32_t i = 0; i < nsaved; i++)
                    TRY(emit_cell(t, saved[i]));
                t->last_start = t->ncells - nsaved;
                result_emitted(t, w, cond);
            }
            TRY(push_ctrl(t, CTRL_IF, block_np, block_nr));
            c = &t->ctrls[t->nctrls - 1];
            c->scratch = t->temp_base - t->nscratch + t->next_scratch;
            t->next_scratch += block_np;
            for (uint32_t i = 0; i < block_np; i++)
                TRY(copy(t, (int32_t)(c->scratch + i), t->stack[c->base + i]));
            if (block_np)
                t->last_valid = false;
            int32_t fid;
            TRY(emit_cond_br(t, cond, false, &fid));
            c->else_chain = fid;
            *field(t, fid) = -1;
            break;
        }
        case OP_ELSE:
            TRY(do_else(t));
            break;
        case OP_END:
            TRY(do_end(t, &done));
            break;
        case OP_BR:
            TRY(emit_br(t, im.x));
            c->unreachable = true;
            break;
        case OP_BR_IF:
            TRY(do_br_if(t, im.x));
            break;
        case OP_BR_TABLE:
            TRY(do_br_table(t, r, &im));
            c->unreachable = true;
            break;
        case OP_RETURN:
            TRY(emit_return(t));
            c->unreachable = true;
            break;
        case OP_CALL:
            if (im.x >= t->m->nfunc_imports) /* CALL_LOCAL names the code entry */
                TRY(do_call(t, mod_func_type(t->m, im.x), CO_CALL_LOCAL,
                            (int32_t)(im.x - t->m->nfunc_imports), 0, false));
            else
                TRY(do_call(t, mod_func_type(t->m, im.x), CO_CALL, (int32_t)im.x, 0, false));
            break;
        case OP_CALL_INDIRECT:
            TRY(do_call(t, &t->m->types[im.x], CO_CALL_INDIRECT, (int32_t)im.x, (int32_t)im.y,
                        true));
            break;
        case OP_DROP:
            t->height--;
            break;
        case OP_SELECT:
        case OP_SELECT_T: {
            int32_t cnd = pop(t), b = pop(t), a = pop(t);
            TRY(push_temp(t, &d));
            TRY(emit_select(t, d, a, b, cnd));
            result_emitted(t, op, d);
            break;
        }
        case OP_LOCAL_GET:
            TRY(push(t, (int32_t)im.x));
            break;
        case OP_LOCAL_SET:
        case OP_LOCAL_TEE:
            TRY(do_local_set(t, (int32_t)im.x, op == OP_LOCAL_TEE));
            break;
        case OP_GLOBAL_GET:
            TRY(push_temp(t, &d));
            TRY(emit_op(t, CO_GLOBAL_GET));
            TRY(emit_xy(t, d, (int32_t)im.x));
            result_emitted(t, op, d);
            break;
        case OP_GLOBAL_SET:
            TRY(emit_op(t, CO_GLOBAL_SET));
            TRY(emit_xy(t, pop(t), (int32_t)im.x));
            break;
        case OP_I32_CONST: case OP_I64_CONST: case OP_F32_CONST: case OP_F64_CONST:
            TRY(push(t, const_slot(t, im.bits)));
            break;
        case OP_REF_NULL:
            TRY(push(t, const_slot(t, 0)));
            break;
        case OP_REF_FUNC:
            TRY(push_temp(t, &d));
            TRY(emit_op(t, CO_REF_FUNC));
            TRY(emit_xy(t, d, (int32_t)im.x));
            result_emitted(t, op, d);
            break;
        case OP_MEMORY_SIZE:
            TRY(push_temp(t, &d));
            TRY(emit_op(t, CO_MEMORY_SIZE));
            TRY(emit_xy(t, d, 0));
            result_emitted(t, op, d);
            break;
        case OP_MEMORY_FILL: case OP_MEMORY_COPY: case OP_MEMORY_INIT: {
            int32_t n = pop(t), s = pop(t), dd = pop(t);
            TRY(emit_op(t, op == OP_MEMORY_FILL ? CO_MEMORY_FILL
                           : op == OP_MEMORY_COPY ? CO_MEMORY_COPY : CO_MEMORY_INIT));
            TRY(emit_xy(t, dd, s));
            TRY(emit_xy(t, n, (int32_t)im.x));
            break;
        }
        case OP_DATA_DROP: case OP_ELEM_DROP:
            TRY(emit_op(t, op == OP_DATA_DROP ? CO_DATA_DROP : CO_ELEM_DROP));
            TRY(emit_xy(t, (int32_t)im.x, 0));
            break;
        case OP_TABLE_GET: {
            int32_t i = pop(t);
            TRY(push_temp(t, &d));
            TRY(emit_op(t, CO_TABLE_GET));
            TRY(emit_xy(t, d, i));
            TRY(emit_xy(t, (int32_t)im.x, 0));
            result_emitted(t, op, d);
            break;
        }
        case OP_TABLE_SET: {
            int32_t v = pop(t), i = pop(t);
            TRY(emit_op(t, CO_TABLE_SET));
            TRY(emit_xy(t, i, v));
            TRY(emit_xy(t, (int32_t)im.x, 0));
            break;
        }
        case OP_TABLE_SIZE:
            TRY(push_temp(t, &d));
            TRY(emit_op(t, CO_TABLE_SIZE));
            TRY(emit_xy(t, d, (int32_t)im.x));
            result_emitted(t, op, d);
            break;
        case OP_TABLE_GROW: case OP_TABLE_FILL: {
            int32_t n = pop(t), v = pop(t);
            if (op == OP_TABLE_GROW) {
                TRY(push_temp(t, &d));
            } else {
                d = pop(t);
            }
            TRY(emit_op(t, op == OP_TABLE_GROW ? CO_TABLE_GROW : CO_TABLE_FILL));
            TRY(emit_xy(t, d, v));
            TRY(emit_xy(t, n, (int32_t)im.x));
            break;
        }
        case OP_TABLE_COPY: case OP_TABLE_INIT: {
            int32_t n = pop(t), s = pop(t), dd = pop(t);
            TRY(emit_op(t, op == OP_TABLE_COPY ? CO_TABLE_COPY : CO_TABLE_INIT));
            TRY(emit_xy(t, dd, s));
            TRY(emit_xy(t, n, 0));
            TRY(emit_xy(t, (int32_t)im.x, (int32_t)im.y));
            break;
        }
        default:
            if (info->prefix == 0xFE)
                TRY(translate_atomic(t, op, info, &im));
            else
                TRY(translate_plain(t, op, info, &im));
            break;
        }
    }
fail:
    return st;
}

/* ---- plain instructions: numeric ops, loads and stores ---------------------- */

/* Operand and result counts from the SIG column ("ii:i"). */
static void sig_counts(const char *sig, uint32_t *np, uint32_t *nr)
{
    const char *colon = strchr(sig, ':');
    *np = (uint32_t)(colon - sig);
    *nr = (uint32_t)strlen(colon + 1);
}

/* ---- atomics (0xFE page): layouts in code.h -------------------------------- */

/* Operands in cells by position: [x=dst y=op0][x=offset y=op1][x=op2]; stores,
 * which have no result, keep the plain store's layout [x=addr y=val][x=offset]. */
static weft_status translate_atomic(cmp_state *t, op_id op, const op_info *info,
                                    const imm_values *im)
{
    weft_status st = WEFT_OK;
    cmp_op co = t->software ? co_sw_of[op] : co_of[op];
    uint32_t np, nr;
    int32_t d, in[3] = {0, 0, 0};
    if (op == OP_ATOMIC_FENCE) {
        TRY(emit_op(t, co_of[op]));
        goto fail;
    }
    sig_counts(info->sig, &np, &nr);
    weft_assert(np >= 1 && np <= 3 && nr <= 1);
    for (uint32_t i = np; i > 0; i--)
        in[i - 1] = pop(t);
    if (nr == 0) {
        TRY(emit_op(t, co));
        TRY(emit_xy(t, in[0], in[1]));
        TRY(emit_xy(t, (int32_t)im->offset, 0));
        goto fail;
    }
    TRY(push_temp(t, &d));
    TRY(emit_op(t, co));
    TRY(emit_xy(t, d, in[0]));
    TRY(emit_xy(t, (int32_t)im->offset, in[1]));
    if (np == 3)
        TRY(emit_xy(t, in[2], 0));
    result_emitted(t, op, d);
fail:
    return st;
}

/* ---- end atomics -------------------------------------------------------------- */

static weft_status translate_plain(cmp_state *t, op_id op, const op_info *info, const imm_values *im)
{
    weft_status st = WEFT_OK;
    uint32_t np = 1, nr = 1;
    int32_t d = 0;
    if (op != OP_REF_IS_NULL)
        sig_counts(info->sig, &np, &nr);
    if (info->imm == IMM_MEMARG) {
        cmp_op co = t->software ? co_sw_of[op] : co_of[op];
        int32_t v = nr == 1 ? 0 : pop(t), a = pop(t), b = 0;
        /* The address came from the i32.add just before: take it back and let
         * the load or store add its operands (the _A variants). */
        if (t->last_valid && t->last_dst == a && t->last_wasm == OP_I32_ADD &&
            co_addr_of[op][0]) {
            b = t->code[t->last_start + 2].s.x;
            a = t->code[t->last_start + 1].s.y;
            t->ncells = t->last_start;
            co = co_addr_of[op][t->software];
        }
        /* Or from base + (index << k) (the _S variants). */
        bool scaled = false;
        int32_t k = 0;
        if (t->last_valid && t->last_dst == a && t->last_wasm == OP_FUSED &&
            t->ncells == t->last_start + 3 && co_scaled_of[op][0] &&
            (cell_is(t, t->last_start, CO_P_I32_SHL_I32_ADD_L) ||
             cell_is(t, t->last_start, CO_P_I32_SHL_I32_ADD_R))) {
            b = t->code[t->last_start + 1].s.y;
            k = t->code[t->last_start + 2].s.x;
            a = t->code[t->last_start + 2].s.y;
            t->ncells = t->last_start;
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
            if (!scaled && co == (t->software ? co_sw_of[op] : co_of[op]))
                TRY(emit_op_store(t, op, a, v, im->offset, &fused));
            if (fused)
                goto fail;
            TRY(emit_op(t, co));
            TRY(emit_xy(t, a, v));
            TRY(emit_xy(t, (int32_t)im->offset, b));
        }
        if (scaled)
            TRY(emit_xy(t, k, 0));
        if (nr == 1)
            result_emitted(t, op, d);
        goto fail;
    }
    weft_assert(nr == 1 && (np == 1 || np == 2));
    if (np == 1) {
        int32_t a = pop(t);
        TRY(push_temp(t, &d));
        TRY(emit_op(t, co_of[op]));
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
        TRY(emit_op(t, co_of[op]));
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

/* ---- entry points --------------------------------------------------------------- */

static bool has_v128(const mod_valtype *types, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (types[i] == VT_V128)
            return true;
    return false;
}

static weft_status translate(const weft_module *m, uint32_t func_index, cmp_code **out,
                             weft_error *err)
{
    weft_status st = WEFT_OK;
    cmp_state t;
    memset(&t, 0, sizeof t);
    t.m = m;
    t.e = m->engine;
    t.err = err;
    t.handlers = interp_handlers();
    t.software = eng_config(m->engine)->bounds == WEFT_BOUNDS_SOFTWARE;
    const mod_code *mc = &m->codes[func_index - m->nfunc_imports];
    const mod_functype *ft = mod_func_type(m, func_index);
    if (has_v128(ft->types, ft->nparams + ft->nresults))
        return err_set(err, WEFT_E_UNSUPPORTED, mc->offset, "v128 values do not run yet");
    for (uint32_t i = 0; i < mc->ngroups; i++)
        if (mc->groups[i].type == VT_V128)
            return err_set(err, WEFT_E_UNSUPPORTED, mc->offset, "v128 values do not run yet");
    t.nparams = ft->nparams;
    t.nlocals = ft->nparams + mc->nlocals;
    reader r = {.base = m->bytes, .p = m->bytes + mc->body.start, .end = m->bytes + mc->body.end,
                .err = err, .eof_code = WEFT_E_UNEXPECTED_END};
    TRY(prescan(&t, r));
    uint64_t temp_base = (uint64_t)t.nlocals + t.nconsts + t.nscratch;
    if (temp_base > INT32_MAX / 2)
        return err_set(err, WEFT_E_UNSUPPORTED, mc->offset, "too many locals to translate");
    t.temp_base = (uint32_t)temp_base;
    TRY(push_ctrl(&t, CTRL_FUNC, 0, ft->nresults));
    TRY(translate_body(&t, &r));

    uint32_t nzero = t.nlocals - t.nparams;
    uint32_t ninit = nzero + t.nconsts;
    ninit += ninit & 1;
    size_t bytes = sizeof(cmp_code) + (size_t)t.ncells * sizeof(cmp_cell) +
                   (size_t)ninit * sizeof(uint64_t);
    cmp_code *c = eng_alloc(t.e, bytes);
    if (!c) {
        st = err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
        goto fail;
    }
    c->module = m;
    c->func_index = func_index;
    c->nparams = t.nparams;
    c->nlocals = t.nlocals;
    c->nconsts = t.nconsts;
    c->nresults = ft->nresults;
    uint32_t size = t.temp_base + t.max_height;
    if (size < ft->nresults)
        size = ft->nresults;
    if (size < t.nparams + ninit)
        size = t.nparams + ninit; /* the padding slot */
    c->frame_size = size;
    c->ncells = t.ncells;
    memcpy(c->cells, t.code, (size_t)t.ncells * sizeof(cmp_cell));
    c->ninit = ninit;
    c->init = (uint64_t *)(c->cells + t.ncells);
    memset(c->init, 0, (size_t)ninit * sizeof(uint64_t));
    if (t.nconsts)
        memcpy(c->init + nzero, t.consts, (size_t)t.nconsts * sizeof(uint64_t));
    *out = c;
fail:
    eng_free(t.e, t.consts);
    eng_free(t.e, t.code);
    eng_free(t.e, t.stack);
    eng_free(t.e, t.ctrls);
    return st;
}

weft_status cmp_get(const weft_module *m, uint32_t func_index, const cmp_code **out,
                    weft_error *err)
{
    weft_status st = WEFT_OK;
    struct cmp_code *_Atomic *slot =
        (struct cmp_code *_Atomic *)&m->codes[func_index - m->nfunc_imports].code;
    cmp_code *c = atomic_load_explicit(slot, memory_order_acquire);
    if (!c) {
        TRY(translate(m, func_index, &c, err));
        cmp_code *expected = NULL;
        /* Another thread may have published first: keep its code, free ours. */
        if (!atomic_compare_exchange_strong_explicit(slot, &expected, c, memory_order_acq_rel,
                                                     memory_order_acquire)) {
            cmp_free(m->engine, c);
            c = expected;
        }
    }
    *out = c;
fail:
    return st;
}

void cmp_free(const weft_engine *e, struct cmp_code *code) { eng_free(e, code); }

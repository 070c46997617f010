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
    uint32_t last_label; /* the cell of the latest label                     */

    /* Where each instruction starts and what it runs, in order (instructions
     * taken back drop out): the map the branch-threading pass walks. */
    struct cmp_instr {
        uint32_t at;
        uint16_t op;
    } *instrs;
    uint32_t ninstrs, cap_instrs;
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

static cmp_cell op_cell(const cmp_state *t, cmp_op op)
{
    cmp_cell c;
    c.u64 = 0;
    if (t->handlers)
        c.h = t->handlers[op];
    else
        c.op = op;
    return c;
}

/* Records that an instruction running `op` starts at cell `at`, forgetting
 * the ones taken back (at or above it). */
static weft_status note_instr(cmp_state *t, uint32_t at, cmp_op op)
{
    weft_status st = WEFT_OK;
    while (t->ninstrs && t->instrs[t->ninstrs - 1].at >= at)
        t->ninstrs--;
    TRY(grow(t, (void **)&t->instrs, &t->cap_instrs, t->ninstrs + 1, sizeof *t->instrs));
    t->instrs[t->ninstrs].at = at;
    t->instrs[t->ninstrs].op = (uint16_t)op;
    t->ninstrs++;
fail:
    return st;
}

/* The cell after record k's instruction. */
static uint32_t instr_end(const cmp_state *t, uint32_t k)
{
    return k + 1 < t->ninstrs ? t->instrs[k + 1].at : t->ncells;
}

static weft_status emit_op(cmp_state *t, cmp_op op)
{
    weft_status st = WEFT_OK;
    t->last_valid = false;
    t->last_start = t->ncells;
    TRY(note_instr(t, t->ncells, op));
    TRY(emit_cell(t, op_cell(t, op)));
fail:
    return st;
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
    t->last_label = t->ncells;
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
    if (dst == src)
        goto fail;
    /* Right after another COPY, with no label between: one COPY2. */
    uint32_t n = t->ninstrs, at = t->ncells - 2;
    if (n && t->instrs[n - 1].op == CO_COPY && t->instrs[n - 1].at == at && t->ncells >= 2 &&
        t->last_label <= at) {
        t->code[at] = op_cell(t, CO_COPY2);
        t->instrs[n - 1].op = CO_COPY2;
        t->last_valid = false;
        TRY(emit_xy(t, dst, src));
        goto fail;
    }
    TRY(emit_op(t, CO_COPY));
    TRY(emit_xy(t, dst, src));
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
static weft_status emit_cond_br(cmp_state *t, int32_t cond, bool when, int32_t *fid)
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
        } else if (last == co_of[mst_fusable[i].op] && t->last_wasm == mst_fusable[i].op) {
            /* load op x, or x op load for the adds: [x=v y=a][x=b]. */
            cmp_op ld = t->software ? co_sw_of[st_op == OP_F64_STORE ? OP_F64_LOAD
                                               : st_op == OP_I32_STORE ? OP_I32_LOAD
                                                                       : OP_I64_LOAD]
                                    : co_of[st_op == OP_F64_STORE ? OP_F64_LOAD
                                            : st_op == OP_I32_STORE ? OP_I32_LOAD
                                                                    : OP_I64_LOAD];
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
    uint32_t n = t->ninstrs;
    if (n < 2)
        goto fail;
    uint32_t mat = t->instrs[n - 1].at, pat = t->instrs[n - 2].at;
    if (t->instrs[n - 2].op != CO_P_F64_MUL_F64_MUL_L || pat + 3 != mat ||
        t->ncells != mat + 3 || t->last_label > pat)
        goto fail;
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

/* A store's address `a`: when it is the temp an i32.add wrote just before the
 * one instruction that computed the stored value (`p[i] = f(x)`: address
 * first, then the value), takes the add back, so that the store adds (the _A
 * forms): *base and *idx are its operands.  The value's instruction must not
 * read the add's temp or write its operands. */
static bool hoist_addr_add(cmp_state *t, int32_t a, int32_t *base, int32_t *idx)
{
    uint32_t n = t->ninstrs;
    if (n < 2 || a < (int32_t)t->temp_base)
        return false;
    uint32_t vat = t->instrs[n - 1].at, aat = t->instrs[n - 2].at;
    cmp_op vop = t->instrs[n - 1].op;
    if (t->instrs[n - 2].op != CO_I32_ADD || aat + 3 != vat || t->last_label > aat ||
        !is_value_op(vop) || t->ncells - vat > 4 || t->ncells - vat < 2)
        return false;
    cmp_cell add = t->code[aat + 1];
    int32_t b = t->code[aat + 2].s.x;
    if (add.s.x != a)
        return false;
    /* The value's fields: cell 1's x is what it writes, the rest what it reads
     * (or offsets and shift counts: a false match only costs the fusion). */
    uint32_t len = t->ncells - vat;
    int32_t wrote = t->code[vat + 1].s.x;
    if (wrote == a || wrote == add.s.y || wrote == b)
        return false;
    for (uint32_t c = 1; c < len; c++) {
        cmp_cell f = t->code[vat + c];
        if ((c > 1 && f.s.x == a) || f.s.y == a)
            return false;
    }
    memmove(&t->code[aat], &t->code[vat], len * sizeof(cmp_cell));
    t->ncells -= 3;
    t->instrs[n - 2] = t->instrs[n - 1];
    t->instrs[n - 2].at = aat;
    t->ninstrs--;
    t->last_valid = false;
    t->add_valid = false;
    *base = add.s.y;
    *idx = b;
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
        if (!added && !cell_is(t, t->last_start, t->software ? co_sw_of[ld] : co_of[ld]))
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
        t->last_label = t->ncells;
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
            t->last_label = t->ncells;
            break;
        case OP_IF: {
            int32_t cond = pop(t);
            /* Take the compare back before any copies come between. */
            bool fuse = t->last_valid && t->last_dst == cond;
            uint32_t saved_start = t->last_start;
            cmp_cell saved[3];
            uint32_t nsaved = 0;
            cmp_op saved_op = t->ninstrs ? t->instrs[t->ninstrs - 1].op : CO_NOP;
            weft_assert(!fuse || t->instrs[t->ninstrs - 1].at == saved_start);
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
                TRY(note_instr(t, t->ncells, saved_op));
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

/* The constant-address forms (code.h), plain and software-checked; 0: none. */
static const uint16_t co_const_addr_of[OP_COUNT_][2] = {
#define CMP_XAK(id) [OP_##id] = {CO_##id##_K, CO_##id##_K_SW},
    CMP_ATOMIC_K(CMP_XAK)
#undef CMP_XAK
};

/* The effective address of an access whose address operand is `slot`, when
 * that is a constant and the sum is aligned to the access (`align`: log2 of
 * its width); else false, and the access takes its run-time checks. */
static bool const_address(const cmp_state *t, int32_t slot, uint32_t offset, uint8_t align,
                          uint64_t *ea)
{
    if (slot < (int32_t)t->nlocals || slot >= (int32_t)(t->nlocals + t->nconsts))
        return false;
    *ea = (uint64_t)(uint32_t)t->consts[slot - (int32_t)t->nlocals] + offset;
    return (*ea & ((UINT64_C(1) << align) - 1)) == 0;
}

/* Operands in cells by position: [x=dst y=op0][x=offset y=op1][x=op2]; stores,
 * which have no result, keep the plain store's layout [x=addr y=val][x=offset].
 * With a constant aligned address, the _K form: [x=dst y=op1][address][x=op2]. */
static weft_status translate_atomic(cmp_state *t, op_id op, const op_info *info,
                                    const imm_values *im)
{
    weft_status st = WEFT_OK;
    cmp_op co = t->software ? co_sw_of[op] : co_of[op];
    uint32_t np, nr;
    int32_t d = 0, in[3] = {0, 0, 0};
    uint64_t ea;
    if (op == OP_ATOMIC_FENCE) {
        TRY(emit_op(t, co_of[op]));
        goto fail;
    }
    sig_counts(info->sig, &np, &nr);
    weft_assert(np >= 1 && np <= 3 && nr <= 1);
    for (uint32_t i = np; i > 0; i--)
        in[i - 1] = pop(t);
    if (nr)
        TRY(push_temp(t, &d));
    if (co_const_addr_of[op][0] && const_address(t, in[0], im->offset, info->align, &ea)) {
        TRY(emit_op(t, co_const_addr_of[op][t->software]));
        TRY(emit_xy(t, d, in[1]));
        TRY(emit_cell(t, (cmp_cell){.u64 = ea}));
    } else if (nr == 0) {
        TRY(emit_op(t, co));
        TRY(emit_xy(t, in[0], in[1]));
        TRY(emit_xy(t, (int32_t)im->offset, 0));
    } else {
        TRY(emit_op(t, co));
        TRY(emit_xy(t, d, in[0]));
        TRY(emit_xy(t, (int32_t)im->offset, in[1]));
    }
    if (np == 3)
        TRY(emit_xy(t, in[2], 0));
    if (nr)
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
                TRY(emit_mst(t, op, a, v, im->offset, &fused));
            if (fused)
                TRY(fuse_mm_mst(t));
            if (!fused && !scaled && co == (t->software ? co_sw_of[op] : co_of[op]))
                TRY(emit_op_store(t, op, a, v, im->offset, &fused));
            if (!fused && !scaled && co == (t->software ? co_sw_of[op] : co_of[op]) &&
                co_addr_of[op][0]) {
                int32_t a2, b2;
                if (hoist_addr_add(t, a, &a2, &b2)) {
                    a = a2;
                    b = b2;
                    co = co_addr_of[op][t->software];
                }
            }
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

/* ---- branch threading -------------------------------------------------------- */

/* A pass over the finished code that makes branches cheaper.  A branch whose
 * target is an unconditional BR goes straight to that BR's target.  A BR is
 * replaced by a copy of the code it jumps to ("tail duplication"), when that
 * code is short and straight and ends in an unconditional transfer (br,
 * br_table, return) or in an integer conditional branch.  The copy of a
 * conditional branch is negated to jump to the original's fall-through, and a
 * BR to its target follows: a loop whose test sits at its top runs one
 * dispatch less per iteration, and a bytecode interpreter's `continue` runs
 * the dispatch br_table itself, each case with its own copy.  Every cycle
 * still passes a taken branch, which polls. */

/* The cell, counted from the handler cell, of an instruction's (first) branch
 * offset; 0: none.  BR_TABLE's offsets run from there to its end. */
static const uint8_t br_cell[CO_COUNT_] = {
    [CO_BR] = 1, [CO_BR_IF] = 1, [CO_BR_UNLESS] = 1, [CO_BR_TABLE] = 2,
    [CO_BR_TABLE_L8] = 3, [CO_BR_TABLE_L8_SW] = 3, [CO_ADD_BR_NZ] = 3, [CO_ADD_BR_Z] = 3,
#define CMP_XF(id) [CO_ADD_BR_##id] = 3,
    CMP_FUSABLE_I32(CMP_XF)
#undef CMP_XF
#define CMP_XSB(st, cmp) [CO_##st##_A_ADD_BR_##cmp] = 5, [CO_##st##_A_SW_ADD_BR_##cmp] = 5,
    CMP_STORE_BR_FUSABLE(CMP_XSB)
#undef CMP_XSB
#define CMP_XLB(id) [CO_L_BR_##id] = 3, [CO_L_BR_##id##_SW] = 3,
    CMP_FUSABLE_I32(CMP_XLB)
#undef CMP_XLB
    [CO_L_BR_NZ] = 3, [CO_L_BR_NZ_SW] = 3, [CO_L_BR_Z] = 3, [CO_L_BR_Z_SW] = 3,
#define CMP_XF(id) [CO_BR_##id] = 2,
    CMP_FUSABLE(CMP_XF)
#undef CMP_XF
};

enum { THREAD_MAX_CELLS = 48, THREAD_MAX_HOPS = 4 };

typedef struct cmp_thread {
    uint32_t *index;    /* old cell -> instruction index, UINT32_MAX inside one */
    uint32_t *newpos;   /* instruction index -> new cell (ninstrs -> new end) */
    cmp_cell *out;
    uint32_t nout, cap_out;
    int32_t *patches;   /* new field ids holding an old absolute target     */
    uint32_t npatches, cap_patches;
} cmp_thread;

static bool is_table(cmp_op op)
{
    return op == CO_BR_TABLE || op == CO_BR_TABLE_L8 || op == CO_BR_TABLE_L8_SW;
}

static uint32_t instr_len(const cmp_state *t, uint32_t i)
{
    return instr_end(t, i) - t->instrs[i].at;
}

/* The field id of instruction i's k-th branch offset (old code). */
static int32_t br_field(const cmp_state *t, uint32_t i, uint32_t k)
{
    cmp_op op = t->instrs[i].op;
    int half = op == CO_BR_IF || op == CO_BR_UNLESS;
    return field_id(t->instrs[i].at + br_cell[op] + k, half);
}

static uint32_t br_count(const cmp_state *t, uint32_t i)
{
    cmp_op op = t->instrs[i].op;
    if (!br_cell[op])
        return 0;
    return is_table(op) ? instr_len(t, i) - br_cell[op] : 1;
}

/* The instruction index the old field `fid` branches to, or UINT32_MAX when it
 * is not an instruction's start (then the pass gives up). */
static uint32_t old_target(const cmp_state *t, const cmp_thread *th, int32_t fid)
{
    int64_t at = (int64_t)(fid / 2) + *field((cmp_state *)t, fid);
    if (at < 0 || at > (int64_t)t->ncells)
        return UINT32_MAX;
    return th->index[at];
}

/* Follows unconditional BRs from instruction i. */
static uint32_t final_target(const cmp_state *t, const cmp_thread *th, uint32_t i)
{
    for (int hops = 0; hops < 8 && i < t->ninstrs && t->instrs[i].op == CO_BR; hops++) {
        uint32_t next = old_target(t, th, br_field(t, i, 0));
        if (next == UINT32_MAX)
            break;
        i = next;
    }
    return i;
}

static weft_status put_cell(cmp_state *t, cmp_thread *th, cmp_cell c)
{
    weft_status st = WEFT_OK;
    TRY(grow(t, (void **)&th->out, &th->cap_out, th->nout + 1, sizeof(cmp_cell)));
    th->out[th->nout++] = c;
fail:
    return st;
}

/* Marks the field just put as a branch to old instruction `target`. */
static weft_status put_target(cmp_state *t, cmp_thread *th, int half, uint32_t target)
{
    weft_status st = WEFT_OK;
    int32_t fid = field_id(th->nout - 1, half);
    cmp_cell *c = &th->out[th->nout - 1];
    *(half ? &c->s.y : &c->s.x) = (int32_t)target;
    TRY(grow(t, (void **)&th->patches, &th->cap_patches, th->npatches + 1, sizeof(int32_t)));
    th->patches[th->npatches++] = fid;
fail:
    return st;
}

/* Copies old instruction i, running `op`; a single branch goes to old
 * instruction `retarget` when that is not UINT32_MAX. */
static weft_status put_instr(cmp_state *t, cmp_thread *th, uint32_t i, cmp_op op, uint32_t retarget)
{
    weft_status st = WEFT_OK;
    uint32_t at = t->instrs[i].at, len = instr_len(t, i), nbr = br_count(t, i);
    uint32_t first = br_cell[t->instrs[i].op];
    TRY(put_cell(t, th, op_cell(t, op)));
    for (uint32_t k = 1; k < len; k++) {
        TRY(put_cell(t, th, t->code[at + k]));
        if (nbr && k >= first && k < first + nbr) {
            int32_t fid = br_field(t, i, k - first);
            uint32_t to = retarget != UINT32_MAX ? retarget : old_target(t, th, fid);
            TRY(put_target(t, th, fid % 2, to));
        }
    }
fail:
    return st;
}

/* The negated form of an integer conditional branch; CO_COUNT_: none. */
static cmp_op negated_branch(cmp_op op)
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

/* Puts a copy of the code the BR at instruction i jumps to, if it qualifies
 * (see above); *done tells whether it did. */
static weft_status put_tail(cmp_state *t, cmp_thread *th, uint32_t i, bool *done)
{
    weft_status st = WEFT_OK;
    uint32_t list[THREAD_MAX_CELLS];
    uint32_t n = 0, cells = 0, hops = 0;
    uint32_t pos = old_target(t, th, br_field(t, i, 0));
    *done = false;
    for (;;) {
        if (pos >= t->ninstrs)
            goto fail;
        cmp_op op = t->instrs[pos].op;
        if (op == CO_BR) {
            if (++hops > THREAD_MAX_HOPS)
                goto fail;
            pos = old_target(t, th, br_field(t, pos, 0));
            continue;
        }
        cells += instr_len(t, pos);
        if (cells > THREAD_MAX_CELLS)
            goto fail;
        list[n++] = pos;
        if (is_table(op) || op == CO_RETURN || op == CO_RETURN1 || op == CO_UNREACHABLE)
            break;
        if (br_cell[op]) {
            if (negated_branch(op) == CO_COUNT_)
                goto fail;
            break;
        }
        pos++;
    }
    for (uint32_t k = 0; k + 1 < n; k++)
        TRY(put_instr(t, th, list[k], t->instrs[list[k]].op, UINT32_MAX));
    uint32_t last = list[n - 1];
    cmp_op op = t->instrs[last].op;
    if (br_cell[op] && !is_table(op)) {
        /* Negated to the fall-through, then on to the original target. */
        uint32_t to = old_target(t, th, br_field(t, last, 0));
        TRY(put_instr(t, th, last, negated_branch(op), last + 1));
        TRY(put_cell(t, th, op_cell(t, CO_BR)));
        TRY(put_cell(t, th, (cmp_cell){.u64 = 0}));
        TRY(put_target(t, th, 0, to));
    } else {
        TRY(put_instr(t, th, last, op, UINT32_MAX));
    }
    *done = true;
fail:
    return st;
}

static weft_status thread_branches(cmp_state *t)
{
    weft_status st = WEFT_OK;
    cmp_thread th;
    memset(&th, 0, sizeof th);
    uint32_t n = t->ninstrs;
    while (n && t->instrs[n - 1].at >= t->ncells)
        n--;
    t->ninstrs = n;
    th.index = eng_alloc(t->e, ((size_t)t->ncells + 1) * sizeof(uint32_t));
    th.newpos = eng_alloc(t->e, ((size_t)n + 1) * sizeof(uint32_t));
    if (!th.index || !th.newpos) {
        st = err_set(t->err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
        goto fail;
    }
    for (uint32_t c = 0; c <= t->ncells; c++)
        th.index[c] = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++)
        th.index[t->instrs[i].at] = i;
    th.index[t->ncells] = n;
    /* Every branch must land on an instruction; otherwise keep the code. */
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < br_count(t, i); k++)
            if (old_target(t, &th, br_field(t, i, k)) == UINT32_MAX)
                goto fail;
    for (uint32_t i = 0; i < n; i++) {
        th.newpos[i] = th.nout;
        bool done = false;
        if (t->instrs[i].op == CO_BR)
            TRY(put_tail(t, &th, i, &done));
        if (!done)
            TRY(put_instr(t, &th, i, t->instrs[i].op, UINT32_MAX));
    }
    th.newpos[n] = th.nout;
    for (uint32_t p = 0; p < th.npatches; p++) {
        int32_t fid = th.patches[p];
        cmp_cell *c = &th.out[fid / 2];
        int32_t *f = fid % 2 ? &c->s.y : &c->s.x;
        uint32_t to = final_target(t, &th, (uint32_t)*f);
        *f = (int32_t)th.newpos[to] - fid / 2;
    }
    eng_free(t->e, t->code);
    t->code = th.out;
    t->ncells = th.nout;
    t->cap_cells = th.cap_out;
    th.out = NULL;
fail:
    eng_free(t->e, th.index);
    eng_free(t->e, th.newpos);
    eng_free(t->e, th.out);
    eng_free(t->e, th.patches);
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
    TRY(thread_branches(&t));

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
    eng_free(t.e, t.instrs);
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

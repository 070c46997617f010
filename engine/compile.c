/*
 * compile.c -- translation (cmp_) of a validated function body into the
 * internal code of engine/code.h, lazily on first call, published once: the
 * driver (pre-scan, the main pass, control, calls, atomics, cmp_get).  The
 * plain instructions and their fused forms are in compile_fuse.c, the
 * branch-threading pass in compile_thread.c, what they share in
 * compile_internal.h.
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

#include "engine/compile_internal.h"
#include "engine/reader.h"
#include "jit/jit.h"

/* ---- instruction reading ------------------------------------------------- */

/* A block type's function type, or NULL (no parameters; im->type is the
 * single result, if any). */
static const mod_functype *block_type(const weft_module *m, const imm_values *im)
{
    return im->block == IMM_BT_INDEX ? &m->types[im->type_index] : NULL;
}

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

/* ---- instruction tables ------------------------------------------------------- */

/* The internal instruction of each wasm op that runs as it is, and its
 * software-checked twin. */
WEFT_INTERNAL const uint16_t cmp_co_of[OP_COUNT_] = {
#define CMP_X(id) [OP_##id] = CO_##id,
#define OP(id, prefix, code, name, imm, align, sig) CMP_PICK_##prefix(CMP_X, id)
#include "engine/opcodes.def"
#undef OP
#undef CMP_X
};

WEFT_INTERNAL const uint16_t cmp_co_sw_of[OP_COUNT_] = {
#define CMP_XSW(id) [OP_##id] = CO_##id##_SW,
#define OP(id, prefix, code, name, imm, align, sig) CMP_PICK_##prefix(CMP_SW_##imm, id)
#include "engine/opcodes.def"
#undef OP
#undef CMP_XSW
};

/* ---- the operand stack --------------------------------------------------------- */

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

static weft_status copy(cmp_state *t, int32_t dst, int32_t src)
{
    weft_status st = WEFT_OK;
    if (dst == src)
        goto fail;
    /* Right after a COPY (COPY2), with no label between: one COPY2 (COPY3). */
    uint32_t n = t->ninstrs;
    cmp_op prev = n ? (cmp_op)t->instrs[n - 1].op : CO_COUNT_;
    uint32_t len = prev == CO_COPY ? 2 : prev == CO_COPY2 ? 3 : 0;
    if (len && t->ncells >= len && t->instrs[n - 1].at == t->ncells - len &&
        t->last_label <= t->ncells - len) {
        cmp_op merged = prev == CO_COPY ? CO_COPY2 : CO_COPY3;
        t->code[t->ncells - len] = op_cell(t, merged);
        t->instrs[n - 1].op = (uint16_t)merged;
        t->instrs[n - 1].wasm_at = t->wasm_at;
        t->last_valid = false;
        TRY(emit_xy(t, dst, src));
        goto fail;
    }
    TRY(emit_op(t, CO_COPY));
    TRY(emit_xy(t, dst, src));
fail:
    return st;
}

/* A copy of a value of w slots (v128: two COPYs, which become one COPY2). */
static weft_status copy_w(cmp_state *t, int32_t dst, int32_t src, uint32_t w)
{
    weft_status st = WEFT_OK;
    TRY(copy(t, dst, src));
    if (w == 2)
        TRY(copy(t, dst + 1, src + 1));
fail:
    return st;
}

/* Puts the value at stack position `pos` into its own temp. */
static weft_status materialize(cmp_state *t, uint32_t pos)
{
    weft_status st = WEFT_OK;
    int32_t tmp = temp_slot(t, pos);
    if (t->stack[pos] != tmp) {
        TRY(copy_w(t, tmp, t->stack[pos], width_at(t, pos)));
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
    uint32_t lo = 0, hi = t->nscalar_consts;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (t->consts[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    weft_assert(lo < t->nscalar_consts && t->consts[lo] == v);
    return (int32_t)(t->nlocals + lo);
}

/* Orders v128 constants, pairs of u64 (low half first): by high half, then low. */
static int cmp_v128(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    if (x[1] != y[1])
        return x[1] < y[1] ? -1 : 1;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* The first of the two slots of v128 constant `bytes` (16, little-endian). */
static int32_t v128_const_slot(cmp_state *t, const uint8_t *bytes)
{
    uint64_t v[2];
    memcpy(v, bytes, 16);
    const uint64_t *pairs = t->consts + t->nscalar_consts;
    uint32_t lo = 0, hi = (t->nconsts - t->nscalar_consts) / 2;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (cmp_v128(pairs + 2 * mid, v) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    weft_assert(cmp_v128(pairs + 2 * lo, v) == 0);
    return (int32_t)(t->nlocals + t->nscalar_consts + 2 * lo);
}

/* ---- control ------------------------------------------------------------------ */

static weft_status push_ctrl(cmp_state *t, uint8_t kind, uint32_t np, uint32_t nr,
                            const mod_functype *ft, mod_valtype vt)
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
    c->ft = ft;
    c->vt = vt;
fail:
    return st;
}

/* Slots value i of block c's parameters (or results) takes. */
static uint32_t ctrl_width(const cmp_ctrl *c, bool params, uint32_t i)
{
    if (c->ft)
        return interp_slots_of(params ? mod_params(c->ft)[i] : mod_results(c->ft)[i]);
    return interp_slots_of(c->vt);
}

/* The slot value i of label c sits in: temps from the block's base on, each
 * as wide as the label's type says (not as the values above the base now). */
static int32_t label_slot(cmp_state *t, const cmp_ctrl *c, uint32_t i)
{
    if (!t->has_v128)
        return temp_slot(t, c->base + i);
    uint32_t off = t->sp[c->base];
    for (uint32_t j = 0; j < i; j++)
        off += ctrl_width(c, c->kind == CTRL_LOOP, j);
    return (int32_t)(t->temp_base + off);
}

/* Moves the top n values into positions base.. (a branch to a label whose
 * values sit there).  Ascending order is safe: each source is at or above
 * its destination, and sources that are references are never temps. */
static weft_status move_top(cmp_state *t, const cmp_ctrl *c, uint32_t n)
{
    weft_status st = WEFT_OK;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t pos = t->height - n + i;
        TRY(copy_w(t, label_slot(t, c, i), t->stack[pos], width_at(t, pos)));
    }
fail:
    return st;
}

static bool needs_moves(cmp_state *t, const cmp_ctrl *c, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (t->stack[t->height - n + i] != label_slot(t, c, i))
            return true;
    return false;
}

static weft_status emit_return(cmp_state *t)
{
    weft_status st = WEFT_OK;
    uint32_t n = t->ctrls[0].nr;
    if (n == 1 && width_at(t, t->height - 1) == 1) {
        int32_t src = t->stack[t->height - 1];
        if (t->last_valid && t->last_dst == src && t->last_wasm == OP_I32_ADD &&
            t->ncells == t->last_start + 3 && cell_is(t, t->last_start, CO_I32_ADD)) {
            /* `return a + b`: the add that computed the result runs in the return. */
            cmp_cell a = t->code[t->last_start + 1], b = t->code[t->last_start + 2];
            t->ncells = t->last_start;
            TRY(emit_op(t, CO_ADD_RETURN1));
            TRY(emit_xy(t, a.s.y, b.s.x));
            goto fail;
        }
        TRY(emit_op(t, CO_RETURN1));
        TRY(emit_xy(t, src, 0));
        goto fail;
    }
    /* Results go to fp[0..n): the sources become temps first, then each one
     * sits at or above its destination.  The stack's state is put back after:
     * a conditional return's copies run only on the path that returns. */
    uint32_t q = t->height - n;
    for (uint32_t i = 0; i < n; i++)
        TRY(copy_w(t, temp_slot(t, q + i), t->stack[q + i], width_at(t, q + i)));
    for (uint32_t i = 0; i < n; i++)
        TRY(copy_w(t, temp_slot(t, q + i) - temp_slot(t, q), temp_slot(t, q + i),
                   width_at(t, q + i)));
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
    TRY(move_top(t, c, n));
    TRY(emit_op(t, CO_BR));
    TRY(emit_xy(t, 0, 0));
    if (c->kind == CTRL_LOOP)
        set_target(t, field_id(t->ncells - 1, 0), c->loop_pc);
    else
        chain_add(t, &c->chain, field_id(t->ncells - 1, 0));
fail:
    return st;
}

/* ---- pre-scan ------------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool has_v128(const mod_valtype *types, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (types[i] == VT_V128)
            return true;
    return false;
}

static bool type_has_v128(const mod_functype *ft)
{
    return has_v128(ft->types, ft->nparams + ft->nresults);
}

/* Can instruction op put a v128 on the stack (t->has_v128)? */
static bool makes_v128(const cmp_state *t, op_id op, const imm_values *im)
{
    switch (op) {
    case OP_BLOCK: case OP_LOOP: case OP_IF:
        return im->block == IMM_BT_INDEX ? type_has_v128(&t->m->types[im->type_index])
                                         : im->block == IMM_BT_VALUE && im->type == VT_V128;
    case OP_CALL: return type_has_v128(mod_func_type(t->m, im->x));
    case OP_CALL_INDIRECT: return type_has_v128(&t->m->types[im->x]);
    case OP_GLOBAL_GET: return t->m->globals[im->x].type.type == VT_V128;
    default: return op_table[op].prefix == 0xFD;
    }
}

static weft_status prescan(cmp_state *t, reader r)
{
    weft_status st = WEFT_OK;
    uint64_t *vals = NULL, *vvals = NULL; /* scalar constants; v128 ones (pairs) */
    uint32_t n = 0, cap = 0, nv = 0, capv = 0;
    while (!rd_done(&r)) {
        op_id op;
        imm_values im;
        TRY(read_instr(&r, &op, &im));
        if (!t->has_v128 && makes_v128(t, op, &im))
            t->has_v128 = true;
        if (op == OP_V128_CONST) {
            TRY(grow(t, (void **)&vvals, &capv, 2 * nv + 2, sizeof(uint64_t)));
            memcpy(vvals + 2 * nv++, im.bytes, 16);
        }
        bool is_const = op == OP_I32_CONST || op == OP_I64_CONST || op == OP_F32_CONST ||
                        op == OP_F64_CONST || op == OP_REF_NULL;
        if (is_const) {
            TRY(grow(t, (void **)&vals, &cap, n + 1, sizeof(uint64_t)));
            vals[n++] = op == OP_REF_NULL ? 0 : im.bits;
        }
        if (op == OP_IF) {
            const mod_functype *bt = block_type(t->m, &im);
            for (uint32_t i = 0; bt && i < bt->nparams; i++)
                t->nscratch += interp_slots_of(mod_params(bt)[i]); /* slots, not values */
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
    t->nscalar_consts = n;
    if (nv) {
        /* v128 constants: distinct pairs of slots after the scalar ones. */
        qsort(vvals, nv, 2 * sizeof *vvals, cmp_v128);
        uint32_t k = 1;
        for (uint32_t i = 1; i < nv; i++)
            if (cmp_v128(vvals + 2 * i, vvals + 2 * (k - 1)) != 0)
                memmove(vvals + 2 * k++, vvals + 2 * i, 16); /* k <= i */
        TRY(grow(t, (void **)&vals, &cap, n + 2 * k, sizeof(uint64_t)));
        memcpy(vals + n, vvals, (size_t)k * 16);
        n += 2 * k;
    }
    t->consts = vals;
    t->nconsts = n;
    vals = NULL;
fail:
    eng_free(t->e, vals);
    eng_free(t->e, vvals);
    return st;
}

/* ---- the main pass --------------------------------------------------------------- */

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
        TRY(push_w(t, temp_slot(t, t->height), ctrl_width(c, false, i)));
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
    for (uint32_t i = 0, at = c->scratch; i < c->np; i++) {
        uint32_t w = ctrl_width(c, true, i);
        TRY(push_w(t, (int32_t)at, w));
        at += w;
    }
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
    if (c->kind != CTRL_FUNC && !needs_moves(t, c, n)) {
        TRY(cmp_emit_cond_br(t, cond, true, &fid));
        if (c->kind == CTRL_LOOP)
            set_target(t, fid, c->loop_pc);
        else
            chain_add(t, &c->chain, fid);
        goto fail;
    }
    /* Values move (or the function returns) only when taken: branch around. */
    TRY(cmp_emit_cond_br(t, cond, false, &fid));
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
    cmp_op plain = t->software ? cmp_co_sw_of[ld] : cmp_co_of[ld];
    if (t->last_valid && t->last_dst == idx && t->last_wasm == ld &&
        t->ncells == t->last_start + 3 && cell_is(t, t->last_start, plain)) {
        /* The index was loaded just before: the table loads it (BR_TABLE_L8),
         * and takes in an i32.add right before the load (ADD_BR_TABLE_L8). */
        cmp_cell load = t->code[t->last_start + 1], off = t->code[t->last_start + 2];
        uint32_t add_at = 0;
        bool add = t->instrs[t->ninstrs - 1].at == t->last_start &&
                   before_last_is(t, CO_I32_ADD, &add_at);
        t->ncells = add ? add_at : t->last_start;
        if (add) {
            cmp_cell a1 = t->code[add_at + 1], a2 = t->code[add_at + 2];
            TRY(emit_op(t, t->software ? CO_ADD_BR_TABLE_L8_SW : CO_ADD_BR_TABLE_L8));
            TRY(emit_xy(t, load.s.y, (int32_t)n));
            TRY(emit_xy(t, off.s.x, a1.s.x));
            TRY(emit_xy(t, a1.s.y, a2.s.x));
        } else {
            TRY(emit_op(t, t->software ? CO_BR_TABLE_L8_SW : CO_BR_TABLE_L8));
            TRY(emit_xy(t, load.s.y, (int32_t)n));
            TRY(emit_xy(t, off.s.x, 0));
        }
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
        if (c->kind == CTRL_FUNC || needs_moves(t, c, arity)) {
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
    int32_t base = temp_slot(t, q);
    /* COPYs just before a local call (its arguments, mostly) run inside it. */
    cmp_cell copies[3];
    uint32_t ncopies = 0, n = t->ninstrs;
    if (op == CO_CALL_LOCAL && n) {
        cmp_op last = (cmp_op)t->instrs[n - 1].op;
        uint32_t k = last == CO_COPY ? 1 : last == CO_COPY2 ? 2 : last == CO_COPY3 ? 3 : 0;
        uint32_t at = t->instrs[n - 1].at;
        if (k && at + 1 + k == t->ncells && t->last_label <= at) {
            ncopies = k;
            memcpy(copies, &t->code[at + 1], k * sizeof(cmp_cell));
            t->ncells = at;
            op = k == 1 ? CO_CALL_LOCAL_C1 : k == 2 ? CO_CALL_LOCAL_C2 : CO_CALL_LOCAL_C3;
        }
    }
    t->call_start = t->ncells;
    TRY(emit_op(t, op));
    TRY(emit_xy(t, x, base));
    for (uint32_t i = 0; i < ncopies; i++)
        TRY(emit_cell(t, copies[i]));
    if (indirect)
        TRY(emit_xy(t, table, elem));
    if (op != CO_CALL && op != CO_CALL_INDIRECT) { /* CALL_LOCAL*: the code pointer (code.h) */
        uint64_t at = (uint64_t)(uint32_t)x * sizeof(mod_code) + offsetof(mod_code, code);
        if (at > UINT32_MAX)
            return err_set(t->err, WEFT_E_UNSUPPORTED, WEFT_NO_OFFSET, "too many functions");
        TRY(emit_xy(t, (int32_t)(uint32_t)at, base));
    } else {
        TRY(emit_xy(t, 0, base)); /* y: dst, the result's slot (code.h) */
    }
    t->call_end = t->ncells;
    /* A v128 result comes back in base's two slots (RETURN, not RETURN1). */
    t->call_result = ft->nresults == 1 && mod_results(ft)[0] != VT_V128 ? base : -1;
    t->height = q;
    for (uint32_t i = 0; i < ft->nresults; i++)
        TRY(push_w(t, temp_slot(t, t->height), interp_slots_of(mod_results(ft)[i])));
fail:
    return st;
}

/* Is the last instruction the call recorded in call_start/call_end, with
 * no label after it? */
static bool call_just_before(const cmp_state *t)
{
    uint32_t n = t->ninstrs;
    return n && t->instrs[n - 1].at == t->call_start && t->ncells == t->call_end &&
           t->last_label <= t->call_start &&
           (t->instrs[n - 1].op == CO_CALL || t->instrs[n - 1].op == CO_CALL_INDIRECT ||
            (t->instrs[n - 1].op >= CO_CALL_LOCAL && t->instrs[n - 1].op <= CO_CALL_LOCAL_C3));
}

static weft_status do_local_set(cmp_state *t, uint32_t index, bool tee)
{
    weft_status st = WEFT_OK;
    uint32_t top = t->height - 1;
    int32_t v = t->stack[top], x = local_slot(t, index);
    uint32_t w = width_at(t, top);
    /* The instruction just before computed the value into the top temp: make it
     * write the local instead, unless something still reads the old value. */
    if (t->last_valid && t->last_dst == v && v == temp_slot(t, top) && !refers_to(t, x, top)) {
        t->code[t->last_start + 1].s.x = x;
        t->last_valid = false;
        if (tee) {
            t->tee_start = t->last_start;
            t->tee_end = t->ncells;
            t->tee_slot = x;
            t->tee_wasm = t->last_wasm;
        }
    } else if (v == t->call_result && v == temp_slot(t, top) && call_just_before(t) &&
               !refers_to(t, x, top)) {
        /* The call just before returns its result into the local itself. */
        *field(t, field_id(t->call_end - 1, 1)) = x;
        t->call_result = -1;
    } else {
        TRY(protect_local(t, x, top));
        if (t->stack[top] == x)
            goto done; /* local.get x; local.set x */
        TRY(copy_w(t, x, v, w));
    }
done:
    t->height--;
    if (tee)
        TRY(push_w(t, x, w));
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
        t->wasm_at = (uint32_t)(r->p - r->base);
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
            /* Everything in temps first: every path to the block's end must
             * leave the values below it in the same slots. */
            TRY(materialize_from(t, 0));
            TRY(push_ctrl(t, op == OP_BLOCK ? CTRL_BLOCK : CTRL_LOOP, block_np, block_nr,
                          block_type(t->m, &im), im.type));
            /* A loop's label is bound here; a block's only at its end, so the
             * code before and after a block's start is straight and fuses. */
            if (op == OP_LOOP) {
                t->last_valid = false;
                t->add_valid = false;
                t->last_label = t->ncells;
            }
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
            TRY(push_ctrl(t, CTRL_IF, block_np, block_nr, block_type(t->m, &im), im.type));
            c = &t->ctrls[t->nctrls - 1];
            c->scratch = t->temp_base - t->nscratch + t->next_scratch;
            for (uint32_t i = 0, off = 0; i < block_np; i++) {
                uint32_t w = width_at(t, c->base + i);
                TRY(copy_w(t, (int32_t)(c->scratch + off), t->stack[c->base + i], w));
                off += w;
                t->next_scratch += w;
            }
            if (block_np)
                t->last_valid = false;
            int32_t fid;
            TRY(cmp_emit_cond_br(t, cond, false, &fid));
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
            uint32_t w = width_at(t, t->height - 2);
            int32_t cnd = pop(t), b = pop(t), a = pop(t);
            TRY(push_temp_w(t, &d, w));
            if (w == 2)
                TRY(cmp_emit_select_v128(t, d, a, b, cnd));
            else
                TRY(cmp_emit_select(t, d, a, b, cnd));
            result_emitted(t, op, d);
            break;
        }
        case OP_LOCAL_GET:
            TRY(push_w(t, local_slot(t, im.x), t->lwidth ? t->lwidth[im.x] : 1));
            break;
        case OP_LOCAL_SET:
        case OP_LOCAL_TEE:
            TRY(do_local_set(t, im.x, op == OP_LOCAL_TEE));
            break;
        case OP_GLOBAL_GET: {
            bool wide = t->m->globals[im.x].type.type == VT_V128;
            TRY(push_temp_w(t, &d, wide ? 2 : 1));
            TRY(emit_op(t, wide ? CO_GLOBAL_GET_V128 : CO_GLOBAL_GET));
            TRY(emit_xy(t, d, (int32_t)im.x));
            result_emitted(t, op, d);
            break;
        }
        case OP_GLOBAL_SET:
            TRY(emit_op(t, t->m->globals[im.x].type.type == VT_V128 ? CO_GLOBAL_SET_V128
                                                                   : CO_GLOBAL_SET));
            TRY(emit_xy(t, pop(t), (int32_t)im.x));
            break;
        case OP_V128_CONST:
            TRY(push_w(t, v128_const_slot(t, im.bytes), 2));
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
            else if (info->prefix == 0xFD)
                TRY(cmp_translate_simd(t, op, info, &im));
            else
                TRY(cmp_translate_plain(t, op, info, &im));
            break;
        }
    }
fail:
    return st;
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
    cmp_op co = t->software ? cmp_co_sw_of[op] : cmp_co_of[op];
    uint32_t np, nr;
    int32_t d = 0, in[3] = {0, 0, 0};
    uint64_t ea;
    if (op == OP_ATOMIC_FENCE) {
        TRY(emit_op(t, cmp_co_of[op]));
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

/* ---- entry points --------------------------------------------------------------- */

/* With v128 parameters or locals, local x's slot is not x (code.h, Frames):
 * t->lslot and t->lwidth map them; nparams and nlocals count slots. */
static weft_status map_locals(cmp_state *t, const mod_functype *ft, const mod_code *mc)
{
    uint32_t n = ft->nparams + mc->nlocals, slot = 0, x = 0;
    t->lslot = eng_alloc(t->e, (size_t)n * sizeof(uint32_t) + 1);
    t->lwidth = eng_alloc(t->e, (size_t)n + 1);
    if (!t->lslot || !t->lwidth)
        return err_set(t->err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
    for (uint32_t i = 0; i < ft->nparams; i++, x++) {
        t->lslot[x] = slot;
        t->lwidth[x] = (uint8_t)interp_slots_of(mod_params(ft)[i]);
        slot += t->lwidth[x];
    }
    t->nparams = slot;
    for (uint32_t g = 0; g < mc->ngroups; g++)
        for (uint32_t i = 0; i < mc->groups[g].count; i++, x++) {
            t->lslot[x] = slot;
            t->lwidth[x] = (uint8_t)interp_slots_of(mc->groups[g].type);
            slot += t->lwidth[x];
        }
    t->nlocals = slot;
    return WEFT_OK;
}

/* handlers: the interpreter's handler table, or NULL for cells that hold
 * cmp_op numbers (what the compiler tier reads). */
static weft_status translate(const weft_module *m, uint32_t func_index,
                             const void *const *handlers, cmp_code **out, weft_error *err)
{
    weft_status st = WEFT_OK;
    cmp_state t;
    memset(&t, 0, sizeof t);
    t.call_result = -1;
    t.tee_slot = -1;
    t.m = m;
    t.e = m->engine;
    t.err = err;
    t.handlers = handlers;
    t.software = eng_config(m->engine)->bounds == WEFT_BOUNDS_SOFTWARE;
    const mod_code *mc = &m->codes[func_index - m->nfunc_imports];
    const mod_functype *ft = mod_func_type(m, func_index);
    t.nparams = ft->nparams;
    t.nlocals = ft->nparams + mc->nlocals;
    t.has_v128 = type_has_v128(ft);
    for (uint32_t i = 0; i < mc->ngroups; i++)
        if (mc->groups[i].type == VT_V128)
            t.has_v128 = true;
    if (t.has_v128) /* before the pre-scan: constants sit after the local slots */
        TRY(map_locals(&t, ft, mc));
    TRY(grow(&t, (void **)&t.sp, &t.cap_sp, 1, sizeof(uint32_t)));
    t.sp[0] = 0;
    reader r = {.base = m->bytes, .p = m->bytes + mc->body.start, .end = m->bytes + mc->body.end,
                .err = err, .eof_code = WEFT_E_UNEXPECTED_END};
    TRY(prescan(&t, r));
    uint64_t temp_base = (uint64_t)t.nlocals + t.nconsts + t.nscratch;
    if (temp_base > INT32_MAX / 2)
        return err_set(err, WEFT_E_UNSUPPORTED, mc->offset, "too many locals to translate");
    t.temp_base = (uint32_t)temp_base;
    TRY(push_ctrl(&t, CTRL_FUNC, 0, ft->nresults, ft, VT_UNKNOWN));
    TRY(translate_body(&t, &r));
    TRY(cmp_thread_branches(&t));

    uint32_t nzero = t.nlocals - t.nparams;
    uint32_t ninit = nzero + t.nconsts;
    ninit += ninit & 1;
    if (ninit < CMP_INIT_MIN)
        ninit = CMP_INIT_MIN;
    size_t bytes = sizeof(cmp_code) + (size_t)t.ncells * sizeof(cmp_cell) +
                   (size_t)ninit * sizeof(uint64_t) + (size_t)t.ninstrs * sizeof(u32_pair);
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
    uint32_t nresult_slots = ft->nresults;
    for (uint32_t i = 0; t.has_v128 && i < ft->nresults; i++)
        nresult_slots += interp_slots_of(mod_results(ft)[i]) - 1;
    c->nresults = nresult_slots;
    uint32_t size = t.temp_base + t.max_height;
    if (size < nresult_slots)
        size = nresult_slots;
    if (size < t.nparams + ninit)
        size = t.nparams + ninit; /* the padding slots */
    c->frame_size = size;
    c->ncells = t.ncells;
    memcpy(c->cells, t.code, (size_t)t.ncells * sizeof(cmp_cell));
    c->ninit = ninit;
    c->init = (uint64_t *)(c->cells + t.ncells);
    c->jit = NULL;
    memset(c->init, 0, (size_t)ninit * sizeof(uint64_t));
    if (t.nconsts)
        memcpy(c->init + nzero, t.consts, (size_t)t.nconsts * sizeof(uint64_t));
    c->noffsets = t.ninstrs;
    c->offsets = (u32_pair *)(c->init + ninit);
    for (uint32_t i = 0; i < t.ninstrs; i++)
        c->offsets[i] = (u32_pair){.key = t.instrs[i].at, .value = t.instrs[i].wasm_at};
    *out = c;
fail:
    eng_free(t.e, t.consts);
    eng_free(t.e, t.code);
    eng_free(t.e, t.stack);
    eng_free(t.e, t.sp);
    eng_free(t.e, t.lslot);
    eng_free(t.e, t.lwidth);
    eng_free(t.e, t.ctrls);
    eng_free(t.e, t.instrs);
    return st;
}

/* The code to publish for defined function `func_index`: compiled when the
 * engine's tier says so and the compiler takes the function, else translated
 * for the interpreter. */
static weft_status make_code(const weft_module *m, uint32_t func_index, cmp_code **out,
                             bool *compiled, weft_error *err)
{
    weft_status st = WEFT_OK;
    const void *const *handlers = interp_handlers();
    *compiled = false;
    if (m->engine->jit) {
        cmp_code *ops, *jc = NULL;
        TRY(translate(m, func_index, NULL, &ops, err));
        st = jit_compile(m, ops, &jc, err);
        if (jc) { /* it keeps its translation */
            *out = jc;
            *compiled = true;
            return WEFT_OK;
        }
        if (st == WEFT_OK && !handlers) {
            *out = ops; /* switch dispatch: the same cells serve the interpreter */
            return WEFT_OK;
        }
        cmp_free(m->engine, ops);
        /* Under auto (the default), code that cannot be made (mprotect
         * refused by an SELinux execmem policy, an embedder's allocator
         * saying no) leaves the function to the interpreter; an engine
         * that asked for jit hears of it. */
        if (st != WEFT_OK && eng_config(m->engine)->tier != WEFT_TIER_AUTO)
            return st;
        st = WEFT_OK;
    }
    TRY(translate(m, func_index, handlers, out, err));
fail:
    return st;
}

weft_status cmp_translate(const weft_module *m, uint32_t func_index, cmp_code **out,
                          weft_error *err)
{
    return translate(m, func_index, interp_handlers(), out, err);
}

weft_status cmp_get(const weft_module *m, uint32_t func_index, const cmp_code **out,
                    weft_error *err)
{
    weft_status st = WEFT_OK;
    struct cmp_code *_Atomic *slot =
        (struct cmp_code *_Atomic *)&m->codes[func_index - m->nfunc_imports].code;
    cmp_code *c = atomic_load_explicit(slot, memory_order_acquire);
    if (WEFT_UNLIKELY(!c)) {
        /* The first call: made once, under the function's code lock; a thread
         * that raced here waits and takes what the first one published. */
        weft_engine *e = (weft_engine *)m->engine;
        pthread_mutex_t *lock =
            &e->code_locks[((uintptr_t)m / 64 + func_index) % ENG_CODE_LOCKS];
        pthread_mutex_lock(lock);
        c = atomic_load_explicit(slot, memory_order_acquire);
        bool compiled = false;
        if (!c) {
            st = make_code(m, func_index, &c, &compiled, err);
            if (st == WEFT_OK) {
                atomic_fetch_add_explicit(compiled ? &e->nfuncs_compiled : &e->nfuncs_interpreted,
                                          1, memory_order_relaxed);
                atomic_store_explicit(slot, c, memory_order_release);
                if (compiled)
                    jit_publish(m, func_index, c);
            }
        }
        pthread_mutex_unlock(lock);
        if (st != WEFT_OK)
            return st;
    }
    *out = c;
    return WEFT_OK;
}

uint32_t cmp_wasm_offset(const cmp_code *c, uint32_t cell)
{
    return u32_pairs_floor(c->offsets, c->noffsets, cell, UINT32_MAX);
}

void cmp_free(const weft_engine *e, struct cmp_code *code)
{
    if (code && code->jit)
        jit_func_free(e, code->jit);
    eng_free(e, code);
}

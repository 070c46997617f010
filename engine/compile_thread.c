/*
 * compile_thread.c -- the branch-threading pass (cmp_thread_branches), run
 * over a function's finished code before it is published.  A file of its
 * own: it rewrites the whole cell array through the instruction records,
 * after the one-pass translation of compile.c is done with it.
 */
#include "engine/compile_internal.h"

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
    [CO_BR_TABLE_L8] = 3, [CO_BR_TABLE_L8_SW] = 3, [CO_ADD_BR_TABLE_L8] = 4,
    [CO_ADD_BR_TABLE_L8_SW] = 4, [CO_ADD_BR_NZ] = 3, [CO_ADD_BR_Z] = 3,
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
    return op == CO_BR_TABLE || op == CO_BR_TABLE_L8 || op == CO_BR_TABLE_L8_SW ||
           op == CO_ADD_BR_TABLE_L8 || op == CO_ADD_BR_TABLE_L8_SW;
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
        if (is_table(op) || op == CO_RETURN || op == CO_RETURN1 || op == CO_ADD_RETURN1 ||
            op == CO_UNREACHABLE)
            break;
        if (br_cell[op]) {
            if (cmp_negated_branch(op) == CO_COUNT_)
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
        TRY(put_instr(t, th, last, cmp_negated_branch(op), last + 1));
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

WEFT_INTERNAL weft_status cmp_thread_branches(cmp_state *t)
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
    /* The instruction list now says where each instruction starts in the new
     * code (its op may have changed: only the offset table reads it after). */
    for (uint32_t i = 0; i < n; i++)
        t->instrs[i].at = th.newpos[i];
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

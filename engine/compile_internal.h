/*
 * compile_internal.h -- what the translator's files (cmp_) share: the
 * translation state and the small helpers that emit cells and keep the operand
 * stack.  compile.c holds the driver (one pass over a body, control, calls,
 * atomics), compile_fuse.c the plain instructions and the fused forms they
 * become, compile_thread.c the branch-threading pass over finished code.
 *
 * The helpers are static inline: they run for every cell emitted, and calls
 * across files would cost the translator (the startup benchmark translates
 * 18,000 functions).  Only the compile*.c files include this header.
 */
#ifndef WEFT_COMPILE_INTERNAL_H
#define WEFT_COMPILE_INTERNAL_H

#include "engine/code.h"
#include "engine/engine.h"
#include "engine/immediates.h"
#include "engine/interp.h"

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
    /* The block type, for the slot widths of its values (v128 takes two):
     * a function type, or NULL and `vt`, the single result's type. */
    const mod_functype *ft;
    mod_valtype vt;
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

    /* The operand stack: the slot of each operand, and sp[i], the slot offset
     * from temp_base of the temp of stack position i (0 <= i <= height): i
     * when every value takes one slot, more below v128 values (two slots). */
    int32_t *stack;
    uint32_t *sp;
    uint32_t height, max_height, cap_stack, cap_sp; /* max_height: in slots */
    /* Functions with v128 locals: each local's first slot (lslot[x]) and
     * slot count (lwidth[x]); NULL when local x is slot x. */
    uint32_t *lslot;
    uint8_t *lwidth;
    bool has_v128;      /* v128 values anywhere in the function's types or body */
    uint32_t nscalar_consts; /* consts[0 .. nscalar_consts) sorted; v128 pairs after */

    cmp_ctrl *ctrls;
    uint32_t nctrls, cap_ctrls;

    uint32_t next_scratch;
    uint32_t wasm_at;   /* byte offset in the module of the instruction being read */

    /* Peephole: the last instruction, if nothing (no label) came after it. */
    bool last_valid;
    op_id last_wasm;     /* the wasm op it came from                        */
    uint32_t last_start; /* its handler cell                                */
    int32_t last_dst;    /* the temp it wrote, or -1                        */
    /* The last i32.add emitted, if no label came after it (ADD_BR_<cmp>). */
    bool add_valid;
    uint32_t add_start;  /* its handler cell                                */
    uint32_t last_label; /* the cell of the latest label                     */
    /* The last call emitted: its handler cell, the cell after it, and the
     * temp of its single result (-1: not one result).  A local.set right
     * after it, with no label between, becomes the call's dst (code.h,
     * Frames). */
    uint32_t call_start, call_end;
    int32_t call_result;
    /* The last instruction, when a local.tee made it write local tee_slot
     * (-1: none): its handler cell, the cell after it and its wasm op.  A
     * select on that local may still take it in (SEL_<cmp> writes the local). */
    uint32_t tee_start, tee_end;
    int32_t tee_slot;
    op_id tee_wasm;

    /* Where each instruction starts and what it runs, in order (instructions
     * taken back drop out): the map the branch-threading pass walks. */
    struct cmp_instr {
        uint32_t at;
        uint16_t op;
        uint32_t wasm_at; /* byte offset in the module of the wasm instruction
                             it came from (the last one, when fused) */
    } *instrs;
    uint32_t ninstrs, cap_instrs;
} cmp_state;

static inline weft_status grow(cmp_state *t, void **p, uint32_t *cap, uint32_t need, size_t size)
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

static inline weft_status emit_cell(cmp_state *t, cmp_cell c)
{
    weft_status st = WEFT_OK;
    TRY(grow(t, (void **)&t->code, &t->cap_cells, t->ncells + 1, sizeof(cmp_cell)));
    t->code[t->ncells++] = c;
fail:
    return st;
}

static inline cmp_cell op_cell(const cmp_state *t, cmp_op op)
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
static inline weft_status note_instr(cmp_state *t, uint32_t at, cmp_op op)
{
    weft_status st = WEFT_OK;
    while (t->ninstrs && t->instrs[t->ninstrs - 1].at >= at)
        t->ninstrs--;
    TRY(grow(t, (void **)&t->instrs, &t->cap_instrs, t->ninstrs + 1, sizeof *t->instrs));
    t->instrs[t->ninstrs].at = at;
    t->instrs[t->ninstrs].op = (uint16_t)op;
    t->instrs[t->ninstrs].wasm_at = t->wasm_at;
    t->ninstrs++;
fail:
    return st;
}

/* The cell after record k's instruction. */
static inline uint32_t instr_end(const cmp_state *t, uint32_t k)
{
    return k + 1 < t->ninstrs ? t->instrs[k + 1].at : t->ncells;
}

static inline weft_status emit_op(cmp_state *t, cmp_op op)
{
    weft_status st = WEFT_OK;
    t->last_valid = false;
    t->last_start = t->ncells;
    TRY(note_instr(t, t->ncells, op));
    TRY(emit_cell(t, op_cell(t, op)));
fail:
    return st;
}

static inline weft_status emit_xy(cmp_state *t, int32_t x, int32_t y)
{
    cmp_cell c;
    c.u64 = 0;
    c.s.x = x;
    c.s.y = y;
    return emit_cell(t, c);
}

static inline int32_t field_id(uint32_t cell, int half)
{
    return (int32_t)(cell * 2 + (uint32_t)half);
}

static inline int32_t *field(cmp_state *t, int32_t id)
{
    cmp_cell *c = &t->code[id / 2];
    return id % 2 ? &c->s.y : &c->s.x;
}

/* Points the branch offset in field `id` at cell `target` (offsets count
 * cells from the cell holding them). */
static inline void set_target(cmp_state *t, int32_t id, uint32_t target)
{
    *field(t, id) = (int32_t)target - id / 2;
}

/* Adds field `id` to a chain of unresolved branches. */
static inline void chain_add(cmp_state *t, int32_t *chain, int32_t id)
{
    *field(t, id) = *chain;
    *chain = id;
}

/* ---- the operand stack ------------------------------------------------------- */

/* The temp of stack position pos (pos <= height). */
static inline int32_t temp_slot(cmp_state *t, uint32_t pos)
{
    return (int32_t)(t->temp_base + t->sp[pos]);
}

/* Slots the value at stack position pos takes (pos < height). */
static inline uint32_t width_at(const cmp_state *t, uint32_t pos)
{
    return t->sp[pos + 1] - t->sp[pos];
}

/* Pushes a reference to `slot`, a value of `w` slots (1, or 2 for v128). */
static inline weft_status push_w(cmp_state *t, int32_t slot, uint32_t w)
{
    weft_status st = WEFT_OK;
    TRY(grow(t, (void **)&t->stack, &t->cap_stack, t->height + 1, sizeof(int32_t)));
    TRY(grow(t, (void **)&t->sp, &t->cap_sp, t->height + 2, sizeof(uint32_t)));
    t->stack[t->height++] = slot;
    t->sp[t->height] = t->sp[t->height - 1] + w;
    if (t->sp[t->height] > t->max_height)
        t->max_height = t->sp[t->height];
fail:
    return st;
}

static inline weft_status push(cmp_state *t, int32_t slot) { return push_w(t, slot, 1); }

static inline weft_status push_temp_w(cmp_state *t, int32_t *slot, uint32_t w)
{
    *slot = temp_slot(t, t->height);
    return push_w(t, *slot, w);
}

static inline weft_status push_temp(cmp_state *t, int32_t *slot)
{
    return push_temp_w(t, slot, 1);
}

/* The first slot of local x. */
static inline int32_t local_slot(const cmp_state *t, uint32_t x)
{
    return t->lslot ? (int32_t)t->lslot[x] : (int32_t)x;
}

static inline int32_t pop(cmp_state *t) { return t->stack[--t->height]; }

/* Marks the instruction just emitted as having written the new top temp. */
static inline void result_emitted(cmp_state *t, op_id wasm, int32_t dst)
{
    t->last_valid = true;
    t->last_wasm = wasm;
    t->last_dst = dst;
}

/* Does the instruction at cell `at` run `op`? */
static inline bool cell_is(cmp_state *t, uint32_t at, cmp_op op)
{
    cmp_cell h = t->code[at];
    return t->handlers ? h.h == t->handlers[op] : h.op == (uintptr_t)op;
}

/* Is the instruction before the last one `op`, 3 cells ending where the last
 * starts, with no label since it started?  *at: its handler cell. */
static inline bool before_last_is(const cmp_state *t, cmp_op op, uint32_t *at)
{
    uint32_t n = t->ninstrs;
    if (n < 2 || t->instrs[n - 2].op != op)
        return false;
    *at = t->instrs[n - 2].at;
    return *at + 3 == t->instrs[n - 1].at && t->last_label <= *at;
}

/* Did a local.tee make the last instruction, 3 cells from t->tee_start with
 * no label since, write local `slot` (its [x=dst ..] cell says so too)? */
static inline bool tee_just_before(const cmp_state *t, int32_t slot)
{
    return slot == t->tee_slot && t->ncells == t->tee_end && t->tee_end == t->tee_start + 3 &&
           t->ninstrs && t->instrs[t->ninstrs - 1].at == t->tee_start &&
           t->last_label <= t->tee_start && t->code[t->tee_start + 1].s.x == slot;
}

/* Operand and result counts from the SIG column ("ii:i"). */
static inline void sig_counts(const char *sig, uint32_t *np, uint32_t *nr)
{
    const char *colon = strchr(sig, ':');
    *np = (uint32_t)(colon - sig);
    *nr = (uint32_t)strlen(colon + 1);
}

/* ---- across the files ---------------------------------------------------------- */

/* The internal instruction of each wasm op that runs as it is, and its
 * software-checked twin (compile.c). */
WEFT_INTERNAL extern const uint16_t cmp_co_of[OP_COUNT_];
WEFT_INTERNAL extern const uint16_t cmp_co_sw_of[OP_COUNT_];

/* compile_fuse.c: a conditional branch on slot `cond` (fusing the compare
 * just before), a select, and every instruction translate_body leaves to it
 * (numeric ops, loads and stores); the negation of a conditional branch. */
WEFT_INTERNAL weft_status cmp_emit_cond_br(cmp_state *t, int32_t cond, bool when,
                                          int32_t *fid);
WEFT_INTERNAL weft_status cmp_emit_select(cmp_state *t, int32_t d, int32_t a, int32_t b,
                                         int32_t cond);
WEFT_INTERNAL weft_status cmp_translate_plain(cmp_state *t, op_id op, const op_info *info,
                                              const imm_values *im);
WEFT_INTERNAL cmp_op cmp_negated_branch(cmp_op op);

/* compile_simd.c: the 0xFD page (layouts in code.h, "SIMD"); v128 selects. */
WEFT_INTERNAL bool cmp_take_addr_add(cmp_state *t, op_id op, int32_t *a, int32_t *b, cmp_op *co);
WEFT_INTERNAL bool cmp_hoist_addr_add(cmp_state *t, op_id op, int32_t *a, int32_t *b, cmp_op *co);
WEFT_INTERNAL weft_status cmp_translate_simd(cmp_state *t, op_id op, const op_info *info,
                                             const imm_values *im);
WEFT_INTERNAL weft_status cmp_emit_select_v128(cmp_state *t, int32_t d, int32_t a, int32_t b,
                                              int32_t cond);

/* compile_thread.c: the branch-threading pass over the finished code. */
WEFT_INTERNAL weft_status cmp_thread_branches(cmp_state *t);

#endif

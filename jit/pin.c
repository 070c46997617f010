/*
 * pin.c -- locals pinned to registers for a whole function (jit_internal.h
 * has the rule).  Which ones: the first pass records every use of a local
 * through the accessors with its cell, and each loop (a back-edge's head and
 * tail cells); a use weighs 1 outside loops and 16 per level of nesting
 * inside (up to three).  Each call costs every pinned local a store and a
 * load, so a call counts against every local, four times its weight: a loop
 * that calls on each iteration keeps its locals in their slots unless it
 * uses them much more.  The heaviest locals that some loop uses, that gain
 * and that no template reached as memory get the registers.
 *
 * Why whole-function pinning and not a cache that follows the operand
 * stack: weft's code already resolved the stack to slots, so the values a
 * loop carries from one iteration to the next are its locals, and in slots
 * they cost a store-to-load round trip on every iteration.
 */
#include <stdlib.h>

#include "jit/jit_internal.h"

bool jit_pin_init(jit_state *j)
{
    size_t n = j->code->nlocals ? j->code->nlocals : 1;
    j->pin_raw = eng_alloc(j->e, n);
    if (!j->pin_raw)
        return false;
    memset(j->pin_raw, 0, n);
    return true;
}

void jit_pin_free(jit_state *j)
{
    eng_free(j->e, j->pin);
    eng_free(j->e, j->pin_raw);
    eng_free(j->e, j->pin_uses);
    eng_free(j->e, j->pin_loops);
}

/* Appends (key, value) to a growing list; false when it cannot grow (the
 * choice then sees fewer uses: pinning is an optimisation). */
static bool push_pair(jit_state *j, u32_pair **list, uint32_t *n, uint32_t *cap, uint32_t key,
                      uint32_t value)
{
    enum { MOST = 1u << 22 };
    if (*n == *cap) {
        uint32_t grown = *cap ? *cap * 2 : 256;
        if (grown > MOST)
            return false;
        u32_pair *p = eng_realloc(j->e, *list, (size_t)grown * sizeof *p);
        if (!p)
            return false;
        *list = p;
        *cap = grown;
    }
    (*list)[(*n)++] = (u32_pair){.key = key, .value = value};
    return true;
}

void jit_pin_use(jit_state *j, int32_t s)
{
    push_pair(j, &j->pin_uses, &j->npin_uses, &j->cap_pin_uses, j->at, (uint32_t)s);
}

void jit_pin_call(jit_state *j)
{
    uint32_t n = j->npin_uses;
    if (!j->collecting || (n && j->pin_uses[n - 1].key == j->at &&
                           j->pin_uses[n - 1].value == UINT32_MAX))
        return; /* one per instruction, however many paths it calls on */
    push_pair(j, &j->pin_uses, &j->npin_uses, &j->cap_pin_uses, j->at, UINT32_MAX);
}

void jit_pin_raw(jit_state *j, int32_t s)
{
    if (j->collecting)
        j->pin_raw[s] = 1;
    else if (j->pin && j->pin[s] >= 0)
        cb_fail(&j->b, WEFT_E_UNSUPPORTED, "a pinned local reached as memory");
}

void jit_pin_loop(jit_state *j, uint32_t head)
{
    if (j->collecting && head <= j->at)
        push_pair(j, &j->pin_loops, &j->npin_loops, &j->cap_pin_loops, head, j->at);
}

/* A loop's head and back-edge cells (u32_pair key, value), longest first. */
static int longer_first(const void *a, const void *b)
{
    const u32_pair *x = a, *y = b;
    uint32_t lx = x->value - x->key, ly = y->value - y->key;
    return lx < ly ? 1 : lx > ly ? -1 : 0;
}

/* What the choice needs per cell: loop depth, the span of the innermost loop
 * holding it (the cell itself outside loops), and the running weight of the
 * calls before it. */
typedef struct cell_info {
    int32_t depth;
    uint32_t lo, hi;
    int64_t calls_before; /* of cells [0, this one) */
} cell_info;

static const int64_t weight[] = {1, 16, 256, 4096};
static int64_t weight_at(int32_t depth) { return weight[depth < 0 ? 0 : depth > 3 ? 3 : depth]; }

static void fill_cells(jit_state *j, cell_info *ci)
{
    uint32_t n = j->code->ncells;
    for (uint32_t i = 0; i <= n; i++)
        ci[i] = (cell_info){0, i, i, 0};
    /* Depth: +1 at each head, -1 after each tail, summed. */
    for (uint32_t i = 0; i < j->npin_loops; i++) {
        ci[j->pin_loops[i].key].depth++;
        ci[j->pin_loops[i].value + 1].depth--;
    }
    for (uint32_t i = 1; i <= n; i++)
        ci[i].depth += ci[i - 1].depth;
    /* Spans: each loop paints its cells, inner loops last (they are
     * shorter), unless that is too much work for a huge function. */
    qsort(j->pin_loops, j->npin_loops, sizeof *j->pin_loops, longer_first);
    uint64_t work = 0;
    for (uint32_t i = 0; i < j->npin_loops; i++)
        work += j->pin_loops[i].value - j->pin_loops[i].key + 1;
    if (work <= (UINT64_C(1) << 26))
        for (uint32_t i = 0; i < j->npin_loops; i++)
            for (uint32_t c = j->pin_loops[i].key; c <= j->pin_loops[i].value; c++) {
                ci[c].lo = j->pin_loops[i].key;
                ci[c].hi = j->pin_loops[i].value;
            }
    /* Calls: uses of slot UINT32_MAX, in cell order like all uses. */
    uint32_t u = 0;
    int64_t sum = 0;
    for (uint32_t c = 0; c <= n; c++) {
        ci[c].calls_before = sum;
        for (; u < j->npin_uses && j->pin_uses[u].key <= c; u++)
            if (j->pin_uses[u].key == c && j->pin_uses[u].value == UINT32_MAX)
                sum += 4 * weight_at(ci[c].depth);
    }
}

bool jit_pin_choose(jit_state *j)
{
    const cmp_code *c = j->code;
    static const x64_reg regs[JIT_NPIN] = JIT_PIN_REGS;
    j->npinned = 0;
    if (j->npin_loops == 0 || c->nlocals == 0)
        return true;
    cell_info *ci = eng_alloc(j->e, ((size_t)c->ncells + 1) * sizeof *ci);
    /* Per local: its weighted uses, and the cells its uses' loops span. */
    int64_t *score = eng_alloc(j->e, (size_t)c->nlocals * sizeof *score);
    u32_pair *span = eng_alloc(j->e, (size_t)c->nlocals * sizeof *span);
    bool ok = ci && score && span;
    if (ok) {
        fill_cells(j, ci);
        for (uint32_t s = 0; s < c->nlocals; s++) {
            score[s] = 0;
            span[s] = (u32_pair){UINT32_MAX, 0};
        }
        for (uint32_t i = 0; i < j->npin_uses; i++) {
            uint32_t cell = j->pin_uses[i].key, s = j->pin_uses[i].value;
            if (s == UINT32_MAX)
                continue;
            score[s] += weight_at(ci[cell].depth);
            if (ci[cell].lo < span[s].key)
                span[s].key = ci[cell].lo;
            if (ci[cell].hi > span[s].value)
                span[s].value = ci[cell].hi;
        }
        /* What it gains: its uses, less the calls where it lives; some loop
         * must use it (16). */
        for (uint32_t s = 0; s < c->nlocals; s++) {
            if (j->pin_raw[s] || score[s] < 16)
                score[s] = 0;
            else
                score[s] -= ci[span[s].value + 1].calls_before - ci[span[s].key].calls_before;
        }
        /* The heaviest gain, JIT_NPIN times. */
        for (uint32_t k = 0; k < JIT_NPIN; k++) {
            uint32_t best = UINT32_MAX;
            for (uint32_t s = 0; s < c->nlocals; s++)
                if (score[s] > 0 && (best == UINT32_MAX || score[s] > score[best]))
                    best = s;
            if (best == UINT32_MAX)
                break;
            score[best] = 0;
            j->pinned_slot[j->npinned] = (int32_t)best;
            j->pinned_reg[j->npinned] = regs[k];
            j->npinned++;
        }
    }
    eng_free(j->e, ci);
    eng_free(j->e, score);
    eng_free(j->e, span);
    if (!ok)
        return false;
    if (j->npinned == 0)
        return true;
    j->pin = eng_alloc(j->e, c->nlocals);
    if (!j->pin)
        return false;
    memset(j->pin, -1, c->nlocals);
    for (uint32_t k = 0; k < j->npinned; k++)
        j->pin[j->pinned_slot[k]] = (int8_t)j->pinned_reg[k];
    return true;
}

void jit_pin_store(jit_state *j, uint32_t below)
{
    for (uint32_t k = 0; k < j->npinned; k++)
        if ((uint32_t)j->pinned_slot[k] < below)
            x64_store(&j->b, X64_S64, jit_slot_mem(j->pinned_slot[k]), j->pinned_reg[k]);
}

void jit_pin_load(jit_state *j)
{
    for (uint32_t k = 0; k < j->npinned; k++)
        x64_load(&j->b, X64_S64, j->pinned_reg[k], jit_slot_mem(j->pinned_slot[k]));
}

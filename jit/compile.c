/*
 * compile.c -- the compiler's driver (jit.h): one pass over a function's
 * internal code, one template per instruction (the group files emit_*.c),
 * then the out-of-line trap stubs, then the code sealed read-execute.
 *
 * A function's machine code:
 *
 *   body entry:  sub rsp, 8; jmp body          (the caller set the frame up)
 *   full entry:  sub rsp, 8; poll; native stack, depth and value stack checks;
 *                push the frame record; set locals and constants
 *   body:        the instructions, in cell order; a label at each cell a
 *                branch names (emit_function's first pass finds them)
 *   stubs:       one per trap site, naming its cell (mov edx, cell), on to
 *                one per trap code the function can raise:
 *                  rdi = env, esi = code; call jit_rt_trap; jmp propagate
 *   propagate:   add rsp, 8; ret              (eax: the status)
 */
#include "jit/jit_internal.h"

/* ---- helpers the templates share ---------------------------------------------- */

cb_label jit_cell_label(jit_state *j, uint32_t cell)
{
    if (cell > j->code->ncells) {
        cb_fail(&j->b, WEFT_E_UNSUPPORTED, "branch out of the function");
        return CB_UNBOUND;
    }
    if (j->collecting) {
        j->targets[cell] = 1;
    } else if (!j->targets[cell]) {
        /* The first pass saw no branch to it, so it has no label (a
         * template that branches differently the second time). */
        cb_fail(&j->b, WEFT_E_UNSUPPORTED, "branch target missed by the first pass");
        return CB_UNBOUND;
    }
    if (j->labels[cell] == CB_UNBOUND)
        j->labels[cell] = cb_new_label(&j->b);
    return j->labels[cell];
}

cb_label jit_trap_label(jit_state *j, weft_code code)
{
    uint32_t k = 0;
    while (k < j->ntraps && j->traps[k].code != code)
        k++;
    if (k == j->ntraps) {
        if (j->ntraps == JIT_MAX_TRAP_KINDS) {
            cb_fail(&j->b, WEFT_E_UNSUPPORTED, "too many kinds of trap");
            return CB_UNBOUND;
        }
        j->traps[j->ntraps++] = (jit_trap_stub){.code = code, .label = cb_new_label(&j->b)};
    }
    /* Sites of one instruction share their stub (the latest site first). */
    for (uint32_t i = j->nsites; i-- > 0 && j->sites[i].cell == j->at;)
        if (j->sites[i].stub == k)
            return j->sites[i].label;
    if (j->nsites == j->cap_sites) {
        uint32_t cap = j->cap_sites ? j->cap_sites * 2 : 16;
        jit_trap_site *p = eng_realloc(j->e, j->sites, (size_t)cap * sizeof *p);
        if (!p) {
            cb_fail(&j->b, WEFT_E_OUT_OF_MEMORY, "trap sites");
            return CB_UNBOUND;
        }
        j->sites = p;
        j->cap_sites = cap;
    }
    j->sites[j->nsites] = (jit_trap_site){.stub = k, .cell = j->at, .label = cb_new_label(&j->b)};
    return j->sites[j->nsites++].label;
}

void jit_note_at(jit_state *j)
{
    x64_load(&j->b, X64_S64, X64_RCX, x64_mem_bd(JIT_CTX, offsetof(thr_context, interp_top)));
    x64_store_imm(&j->b, X64_S32, x64_mem_bd(X64_RCX, offsetof(interp_frame, at)), (int32_t)j->at);
}

void jit_poll(jit_state *j)
{
    x64_load(&j->b, X64_S64, X64_RCX, x64_mem_bd(JIT_ENV, offsetof(jit_env, term)));
    x64_alu_mi(&j->b, X64_CMP, X64_S32, x64_mem_bd(X64_RCX, 0), 0);
    x64_jcc(&j->b, X64_NE, jit_trap_label(j, WEFT_E_TERMINATED));
}

void jit_branch_if(jit_state *j, x64_cc cc, uint32_t k, int32_t off)
{
    uint32_t target = (uint32_t)((int64_t)j->at + k + off);
    cb_label to = jit_cell_label(j, target);
    if ((int64_t)k + off > 0) { /* forward: no loop, no poll */
        x64_jcc(&j->b, cc, to);
        return;
    }
    jit_pin_loop(j, target);
    cb_label skip = cb_new_label(&j->b);
    x64_jcc(&j->b, x64_cc_not(cc), skip);
    jit_poll(j);
    x64_jmp(&j->b, to);
    cb_bind(&j->b, skip);
}

void jit_branch(jit_state *j, uint32_t k, int32_t off)
{
    uint32_t target = (uint32_t)((int64_t)j->at + k + off);
    if ((int64_t)k + off <= 0) {
        jit_pin_loop(j, target);
        jit_poll(j);
    }
    x64_jmp(&j->b, jit_cell_label(j, target));
}

void jit_call_c(jit_state *j, const void *fn)
{
    bool body = j->at < j->code->ncells; /* not a trap stub: locals live on */
    if (body) {
        jit_pin_call(j);
        jit_pin_store(j, UINT32_MAX);
    }
    x64_mov_ri(&j->b, X64_S64, X64_RAX, (int64_t)(uintptr_t)fn);
    x64_call_r(&j->b, X64_RAX);
    if (body)
        jit_pin_load(j);
}

void jit_check_status(jit_state *j)
{
    x64_test_rr(&j->b, X64_S32, X64_RAX, X64_RAX);
    x64_jcc(&j->b, X64_NE, j->propagate);
}

void jit_return_ok(jit_state *j)
{
    jit_pin_store(j, j->code->nresults); /* results go back in fp[0 ..) */
    x64_alu_rr(&j->b, X64_XOR, X64_S32, X64_RAX, X64_RAX);
    x64_alu_ri(&j->b, X64_ADD, X64_S64, X64_RSP, 8);
    x64_ret(&j->b);
}

/* Stores a 64-bit constant in slot s. */
static void store_const(jit_state *j, int32_t s, uint64_t v)
{
    if ((int64_t)v == (int32_t)v) {
        x64_store_imm(&j->b, X64_S64, jit_slot(j, s), (int32_t)v);
    } else {
        x64_mov_ri(&j->b, X64_S64, X64_RAX, (int64_t)v);
        jit_st64(j, s, X64_RAX);
    }
}

/* ---- entries ---------------------------------------------------------------------- */

/* The full entry's work (see the top): what the interpreter's ENTER_FRAME and
 * its depth rule do, with the same trap. */
static void emit_full_entry(jit_state *j, cb_label body)
{
    cb_buf *b = &j->b;
    const cmp_code *c = j->code;
    cb_label exhausted = jit_trap_label(j, WEFT_E_STACK_EXHAUSTED);
    x64_alu_ri(b, X64_SUB, X64_S64, X64_RSP, 8);
    jit_poll(j);
    /* Native stack: exhausted when rsp - base < margin (unsigned). */
    x64_mov_rr(b, X64_S64, X64_RAX, X64_RSP);
    x64_alu_rm(b, X64_SUB, X64_S64, X64_RAX, x64_mem_bd(JIT_ENV, offsetof(jit_env, native_base)));
    x64_alu_rm(b, X64_CMP, X64_S64, X64_RAX, x64_mem_bd(JIT_ENV, offsetof(jit_env, native_margin)));
    x64_jcc(b, X64_B, exhausted);
    /* The record, below the innermost one: within the depth limit, and above
     * the frame's end. */
    x64_load(b, X64_S64, X64_RAX, x64_mem_bd(JIT_CTX, offsetof(thr_context, interp_top)));
    x64_alu_ri(b, X64_SUB, X64_S64, X64_RAX, (int32_t)sizeof(interp_frame));
    x64_alu_rm(b, X64_CMP, X64_S64, X64_RAX, x64_mem_bd(JIT_ENV, offsetof(jit_env, rec_floor)));
    x64_jcc(b, X64_B, exhausted);
    x64_lea(b, X64_S64, X64_RCX, jit_slot(j, (int32_t)c->frame_size));
    x64_alu_rr(b, X64_CMP, X64_S64, X64_RCX, X64_RAX);
    x64_jcc(b, X64_A, exhausted);
    x64_mov_ri(b, X64_S64, X64_RCX, (int64_t)(uintptr_t)j->self);
    x64_store(b, X64_S64, x64_mem_bd(X64_RAX, offsetof(interp_frame, code)), X64_RCX);
    jit_load_inst(j, X64_RCX);
    x64_store(b, X64_S64, x64_mem_bd(X64_RAX, offsetof(interp_frame, inst)), X64_RCX);
    x64_store(b, X64_S64, x64_mem_bd(X64_RAX, offsetof(interp_frame, fp)), JIT_FP);
    x64_store_imm(b, X64_S64, x64_mem_bd(X64_RAX, offsetof(interp_frame, ret_pc)), 0);
    x64_store(b, X64_S64, x64_mem_bd(JIT_CTX, offsetof(thr_context, interp_top)), X64_RAX);
    /* Declared locals and constants (cmp_code.init), not init's padding: the
     * interpreter copies that only to move whole 16-byte pairs, and it lands
     * in temps, which are written before they are read.  Zeros (the locals)
     * come from one cleared register: 4 bytes a slot instead of 8. */
    uint32_t n = c->nlocals - c->nparams + c->nconsts;
    bool zero_ready = false;
    for (uint32_t i = 0; i < n; i++) {
        int32_t s = (int32_t)(c->nparams + i);
        if (c->init[i] != 0) {
            store_const(j, s, c->init[i]);
            continue;
        }
        if (!zero_ready) {
            x64_alu_rr(b, X64_XOR, X64_S32, X64_RCX, X64_RCX);
            zero_ready = true;
        }
        x64_store(b, X64_S64, jit_slot(j, s), X64_RCX);
    }
    x64_jmp(b, body);
}

static void emit_stubs(jit_state *j)
{
    cb_buf *b = &j->b;
    for (uint32_t i = 0; i < j->nsites; i++) {
        cb_bind(b, j->sites[i].label);
        x64_mov_ri(b, X64_S32, X64_RDX, (int64_t)j->sites[i].cell);
        x64_jmp(b, j->traps[j->sites[i].stub].label);
    }
    for (uint32_t i = 0; i < j->ntraps; i++) {
        cb_bind(b, j->traps[i].label);
        jit_arg_env(j);
        x64_mov_ri(b, X64_S32, X64_RSI, (int64_t)j->traps[i].code);
        jit_call_c(j, (const void *)jit_rt_trap);
        x64_jmp(b, j->propagate);
    }
    cb_bind(b, j->propagate);
    x64_alu_ri(b, X64_ADD, X64_S64, X64_RSP, 8);
    x64_ret(b);
}

/* ---- the pass ------------------------------------------------------------------------- */

/* Emits the instruction at j->at; false when no template takes it. */
static bool emit_instr(jit_state *j)
{
    const cmp_cell *pc = &j->code->cells[j->at];
    cmp_op op = (cmp_op)pc->op;
    j->len = 0;
    if (op >= CO_COUNT_)
        return false;
    return jit_emit_control(j, op, pc) || jit_emit_int(j, op, pc) || jit_emit_mem(j, op, pc) ||
           jit_emit_atomic(j, op, pc) || jit_emit_float(j, op, pc) ||
           jit_emit_simd(j, op, pc) || jit_emit_table(j, op, pc) ||
           jit_emit_fused(j, op, pc);
}

/* Records where the instruction at j->at starts (jit_func.pcs). */
static bool note_pc(jit_state *j)
{
    if (j->npcs == j->cap_pcs) {
        uint32_t cap = j->cap_pcs ? j->cap_pcs * 2 : 64;
        u32_pair *p = eng_realloc(j->e, j->pcs, (size_t)cap * sizeof *p);
        if (!p) {
            cb_fail(&j->b, WEFT_E_OUT_OF_MEMORY, "pc table");
            return false;
        }
        j->pcs = p;
        j->cap_pcs = cap;
    }
    j->pcs[j->npcs++] = (u32_pair){.key = (uint32_t)j->b.len, .value = j->at};
    return true;
}

/* One pass over the function into j->b (emit_function). */
static bool emit_pass(jit_state *j, uint32_t *full_at)
{
    cb_buf *b = &j->b;
    j->fwd_end = SIZE_MAX;
    j->xfwd_end = SIZE_MAX;
    cb_label body = cb_new_label(b);
    j->propagate = cb_new_label(b);
    x64_alu_ri(b, X64_SUB, X64_S64, X64_RSP, 8);
    x64_jmp(b, body);
    *full_at = (uint32_t)b->len;
    j->at = UINT32_MAX; /* the entry's traps belong to no instruction */
    emit_full_entry(j, body);
    cb_bind(b, body);
    jit_pin_load(j);
    for (j->at = 0; j->at < j->code->ncells; j->at += j->len) {
        if (j->collecting ? j->labels[j->at] != CB_UNBOUND : j->targets[j->at])
            cb_bind(b, jit_cell_label(j, j->at));
        if (!note_pc(j))
            return false;
        if (!emit_instr(j) || j->len == 0) {
            j->unsupported = (cmp_op)j->code->cells[j->at].op;
            return false;
        }
    }
    /* Nothing falls off the end (the last instruction returns or branches);
     * a branch to the end would be a translator bug: stop there. */
    uint32_t end = j->code->ncells;
    if (j->collecting ? j->labels[end] != CB_UNBOUND : j->targets[end])
        cb_bind(b, jit_cell_label(j, end));
    x64_ud2(b);
    emit_stubs(j);
    return true;
}

bool (*_Atomic jit_refuse)(const weft_module *m, uint32_t func_index);

/* Functions up to this size go to the module's arena (xmem.h). */
#define JIT_ARENA_MAX ((size_t)64 << 10)

/* The module's code arena, made on first use (NULL: blocks of their own). */
static xm_arena *module_arena(const weft_module *m)
{
    weft_module *mm = (weft_module *)m;
    xm_arena *ar = atomic_load_explicit(&mm->jit_arena, memory_order_acquire);
    if (ar)
        return ar;
    xm_arena *fresh = xm_arena_new(eng_config(m->engine));
    if (!fresh)
        return NULL;
    if (atomic_compare_exchange_strong_explicit(&mm->jit_arena, &ar, fresh, memory_order_acq_rel,
                                                memory_order_acquire))
        return fresh;
    xm_arena_free(fresh); /* another compilation made one first */
    return ar;
}

void jit_module_free(weft_module *m)
{
    xm_arena_free(atomic_load_explicit(&m->jit_arena, memory_order_acquire));
}

/* Emits the whole function into j->b; *full_at: the full entry's offset.
 * False (with j->unsupported set) when some instruction has no template.
 *
 * Two passes: the first only learns which cells branches land on (j->targets;
 * its code is thrown away: a backward branch asks for a cell emitted before
 * it, too late to give it a label).  The second binds labels at those cells
 * only, so elsewhere an instruction follows the one before with nothing
 * landing in between, and may use what that one left in rax (jit_ld). */
static bool emit_function(jit_state *j, uint32_t *full_at)
{
    j->collecting = true;
    if (!emit_pass(j, full_at))
        return false;
    if (!jit_pin_choose(j)) {
        cb_fail(&j->b, WEFT_E_OUT_OF_MEMORY, "pinned locals");
        return false;
    }
    cb_buf *b = &j->b;
    weft_realloc_fn fn = b->realloc_fn;
    void *user = b->realloc_user;
    size_t limit = b->limit;
    bool oom = b->error == WEFT_E_OUT_OF_MEMORY;
    cb_free(b);
    cb_init(b, fn, user, limit);
    if (oom) {
        cb_fail(b, WEFT_E_OUT_OF_MEMORY, "code buffer");
        return true;
    }
    for (uint32_t i = 0; i <= j->code->ncells; i++)
        j->labels[i] = CB_UNBOUND;
    j->ntraps = 0;
    j->nsites = 0;
    j->npcs = 0;
    j->collecting = false;
    return emit_pass(j, full_at);
}

weft_status jit_compile(const weft_module *m, cmp_code *ops, cmp_code **out,
                        weft_error *err)
{
    weft_status st = WEFT_OK;
    const weft_engine *e = m->engine;
    const weft_config *cfg = eng_config(e);
    *out = NULL;
    /* Slot displacements must fit disp32 (s * 8). */
    if (!jit_supported() || ops->frame_size > (UINT32_C(1) << 27))
        return WEFT_OK;
    bool (*refuse)(const weft_module *, uint32_t) =
        atomic_load_explicit(&jit_refuse, memory_order_relaxed);
    if (refuse && refuse(m, ops->func_index))
        return WEFT_OK;
    jit_state j;
    memset(&j, 0, sizeof j);
    j.m = m;
    j.e = e;
    j.code = ops;
    j.unsupported = CO_COUNT_;
    cb_init(&j.b, cfg->realloc_fn, cfg->realloc_user, 0);
    cmp_code *self = NULL;
    struct jit_func *f = NULL;
    j.labels = eng_alloc(e, ((size_t)ops->ncells + 1) * sizeof(cb_label));
    j.targets = eng_alloc(e, (size_t)ops->ncells + 1);
    size_t bytes = sizeof(cmp_code) + sizeof(cmp_cell) + (size_t)ops->ninit * sizeof(uint64_t) +
                   (size_t)ops->noffsets * sizeof(u32_pair);
    self = eng_alloc(e, bytes);
    f = eng_alloc(e, sizeof *f);
    if (!j.labels || !j.targets || !self || !f || !jit_pin_init(&j)) {
        st = err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
        goto fail;
    }
    *f = (struct jit_func){0};
    for (uint32_t i = 0; i <= ops->ncells; i++)
        j.labels[i] = CB_UNBOUND;
    memset(j.targets, 0, (size_t)ops->ncells + 1);
    memcpy(self, ops, sizeof(cmp_code));
    self->ncells = 1;
    const void *const *handlers = interp_handlers();
    if (handlers)
        self->cells[0].h = handlers[CO_JIT_ENTER];
    else
        self->cells[0].op = CO_JIT_ENTER;
    self->init = (uint64_t *)(self->cells + 1);
    memcpy(self->init, ops->init, (size_t)ops->ninit * sizeof(uint64_t));
    self->offsets = (u32_pair *)(self->init + ops->ninit);
    memcpy(self->offsets, ops->offsets, (size_t)ops->noffsets * sizeof(u32_pair));
    self->jit = NULL;
    j.self = self;

    uint32_t full_at;
    if (!emit_function(&j, &full_at)) {
        if (j.b.error == WEFT_E_OUT_OF_MEMORY)
            st = err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "%s", j.b.what);
        goto fail; /* no template: the interpreter runs it (*out stays NULL) */
    }
    if (j.b.error == WEFT_E_UNSUPPORTED)
        goto fail; /* something the templates could not encode: interpret */
    TRY(cb_finish(&j.b, err));
    xm_arena *arena = module_arena(m);
    if (arena && j.b.len <= JIT_ARENA_MAX)
        TRY(xm_arena_alloc(arena, j.b.len, &f->block, err));
    else
        TRY(xm_alloc(&cfg->code_allocator, j.b.len, &f->block, err));
    memcpy(f->block.ptr, j.b.bytes, j.b.len);
    TRY(xm_seal(&cfg->code_allocator, &f->block, err));
    if (cfg->perf_map)
        jit_perf_map_add(m, ops->func_index, f->block.ptr, j.b.len);
    f->body = f->block.ptr;
    f->full = (const uint8_t *)f->block.ptr + full_at;
    f->pcs = j.pcs;
    f->npcs = j.npcs;
    f->npinned = j.npinned;
    j.pcs = NULL;
    f->ops = ops; /* ours from here (jit.h) */
    self->jit = f;
    *out = self;
    self = NULL;
    f = NULL;
fail:
    if (f)
        xm_free(&cfg->code_allocator, &f->block);
    eng_free(e, f);
    eng_free(e, self);
    jit_pin_free(&j);
    eng_free(e, j.labels);
    eng_free(e, j.targets);
    eng_free(e, j.sites);
    eng_free(e, j.pcs);
    cb_free(&j.b);
    return st;
}

#if WEFT_TSAN
char jit_tsan_sync;
#endif

void jit_publish(const weft_module *m, uint32_t func_index, const cmp_code *c)
{
    jit_tsan_published();
    atomic_store_explicit(&m->codes[func_index - m->nfunc_imports].jit_entry, c->jit->full,
                          memory_order_release);
}

uint32_t jit_cell_at(const struct jit_func *f, uintptr_t pc)
{
    uintptr_t start = (uintptr_t)f->block.ptr;
    if (pc < start || pc - start >= f->block.size)
        return UINT32_MAX;
    return u32_pairs_floor(f->pcs, f->npcs, (uint32_t)(pc - start), UINT32_MAX);
}

uint32_t jit_func_pinned(const struct jit_func *f) { return f->npinned; }

void jit_func_free(const weft_engine *e, struct jit_func *f)
{
    cmp_free(e, f->ops);
    eng_free(e, f->pcs);
    xm_free(&eng_config(e)->code_allocator, &f->block);
    eng_free(e, f);
}

/*
 * interp.c -- the interpreter (interp_): interp_invoke, frame records, and the
 * one dispatch loop over the internal code of engine/code.h.  The op bodies
 * live in interp_ops.h, included once inside the loop.
 *
 * Frames.  A frame's slots are on the thread's value stack (code.h); its
 * record -- code, instance, fp, return pc -- is at the other end of the same
 * stack, growing down from stack_end, so a call checks one pointer against
 * the other for "call stack exhausted", and another for the depth limit.
 * Each interp_invoke first pushes an entry marker (code == NULL); a return
 * that reaches a marker leaves the loop.  ctx->interp_top is kept current at
 * every call and return: after a guard fault longjmps out, the records are
 * still there to name the frames (interp_after_trap).
 */
#include <math.h>

#include "engine/code.h"
#include "engine/engine.h"
#include "engine/interp.h"
#include "engine/numeric.h"
#include "engine/simd.h"
#include "jit/jit.h"

static interp_frame *first_record(const thr_context *ctx)
{
    return (interp_frame *)(void *)ctx->stack_end - 1;
}

/* ---- backtraces ------------------------------------------------------------ */

/* The cell record r's frame is at: from its callee's record (the one visited
 * before it, NULL for the innermost) when that holds a return pc, else what r
 * or the context noted.  After a guard-page fault, the innermost position is
 * known in compiled code (from the faulting pc), not in interpreted code. */
static uint32_t frame_cell(const thr_context *ctx, const interp_frame *r,
                           const interp_frame *callee, bool faulted)
{
    const cmp_code *c = r->code;
    if (!callee) {
        if (c->jit)
            return faulted ? jit_cell_at(c->jit, ctx->fault_pc) : r->at;
        if (faulted)
            return UINT32_MAX; /* the interpreter's pc was in a register */
        const cmp_cell *pc = ctx->interp_pc;
        return pc >= c->cells && pc < c->cells + c->ncells ? (uint32_t)(pc - c->cells)
                                                            : UINT32_MAX;
    }
    if (callee->code && callee->ret_pc && !c->jit)
        return (uint32_t)(callee->ret_pc - c->cells) - 1;
    return r->at;
}

static void backtrace_from(const thr_context *ctx, weft_error *err, bool faulted)
{
    if (!err || err->nframes)
        return;
    jit_tsan_reached(); /* records may name code compiled code reached */
    interp_frame *end = first_record(ctx);
    const interp_frame *callee = NULL;
    for (interp_frame *r = ctx->interp_top; r && r <= end && err->nframes < WEFT_MAX_FRAMES;
         r++) {
        if (!r->code) {
            callee = r; /* a marker: the frame above it called the host */
            continue;
        }
        const weft_module *m = r->code->module;
        weft_frame *f = &err->frames[err->nframes++];
        f->func_index = r->code->func_index;
        uint32_t cell = frame_cell(ctx, r, callee, faulted);
        f->code_offset = cell == UINT32_MAX ? UINT32_MAX : cmp_wasm_offset(r->code, cell);
        f->name = m->names.funcs ? m->names.funcs[f->func_index].data : NULL;
        f->instance = r->inst;
        callee = r;
    }
}

void interp_backtrace(const thr_context *ctx, weft_error *err) { backtrace_from(ctx, err, false); }

/* Entries whose thr_enter has returned (a fault longjmp'd past them: thr_enter
 * restored ctx->depth below theirs) are dead: forget them. */
static void drop_stale(thr_context *ctx)
{
    interp_frame *e;
    while ((e = ctx->interp_entry) && e->entry_depth > ctx->depth) {
        ctx->interp_top = e == first_record(ctx) ? NULL : e + 1;
        ctx->interp_entry = e->prev_entry;
    }
}

void interp_after_trap(thr_context *ctx, weft_error *err)
{
    interp_frame *e = ctx->interp_entry;
    if (e && e->entry_depth > ctx->depth) {
        backtrace_from(ctx, err, true);
        drop_stale(ctx);
    }
}

/* ---- slow paths kept out of the loop ------------------------------------------- */

static inline uint64_t ref_bits(void *p) { return (uint64_t)(uintptr_t)p; }
static inline void *ref_of(uint64_t v) { return (void *)(uintptr_t)v; }

/* ---- the loop ------------------------------------------------------------------ */

/* A frame's declared locals and constants (cmp_code.init; n is even and at
 * least CMP_INIT_MIN).  The first CMP_INIT_MIN slots go without a test (most
 * frames need no more), the rest in a short loop of 16-byte moves, not a
 * memcpy call: frames are small and calls hot.  The empty asm keeps the
 * compiler from turning the copies back into a call. */
static inline void interp_init_frame(uint64_t *dst, const uint64_t *src, uint32_t n)
{
    _Static_assert(CMP_INIT_MIN == 4, "the unconditional copy moves 4 slots");
#if defined(__x86_64__) && defined(__SSE2__)
    /* One SSE register per pair of slots; pointer steps, no index. */
    typedef uint64_t interp_pair __attribute__((vector_size(16), aligned(8), may_alias));
    interp_pair v0 = *(const interp_pair *)(const void *)src;
    interp_pair v1 = *(const interp_pair *)(const void *)(src + 2);
    __asm__("" : "+x"(v0), "+x"(v1));
    *(interp_pair *)(void *)dst = v0;
    *(interp_pair *)(void *)(dst + 2) = v1;
    if (WEFT_UNLIKELY(n > CMP_INIT_MIN)) {
        const uint64_t *end = src + n;
        for (src += 4, dst += 4; src < end; src += 2, dst += 2) {
            interp_pair v = *(const interp_pair *)(const void *)src;
            __asm__("" : "+x"(v));
            *(interp_pair *)(void *)dst = v;
        }
    }
#else
    for (uint32_t i = 0; i < n; i += 2) {
        uint64_t a = src[i], b = src[i + 1];
        __asm__("" : "+r"(a), "+r"(b));
        dst[i] = a;
        dst[i + 1] = b;
    }
#endif
}

/* Value accessors: i32/f32 in the low half of a slot, written zero-extended. */
static inline uint32_t g_u32(uint64_t v) { return (uint32_t)v; }
static inline int32_t g_i32(uint64_t v) { return (int32_t)(uint32_t)v; }
static inline uint64_t g_u64(uint64_t v) { return v; }
static inline int64_t g_i64(uint64_t v) { return (int64_t)v; }
static inline float g_f32(uint64_t v) { return num_f32_of((uint32_t)v); }
static inline double g_f64(uint64_t v) { return num_f64_of(v); }
static inline uint64_t p_u32(uint32_t v) { return v; }
static inline uint64_t p_u64(uint64_t v) { return v; }
static inline uint64_t p_f32(float v) { return num_f32_bits(v); }
static inline uint64_t p_f64(double v) { return num_f64_bits(v); }

/* An intermediate result of a fused pair (interp_ops.h, PAIR), kept as a
 * rounded value: with FMA at hand gcc would otherwise contract a * b + c. */
static inline uint64_t interp_rounded(uint64_t v)
{
#if defined(__FP_FAST_FMA)
    __asm__("" : "+r"(v));
#endif
    return v;
}

static const _Atomic int no_terminate = 0;

uintptr_t interp_record_floor(const thr_context *ctx, const weft_instance *inst)
{
    uint32_t max = eng_config(inst->engine)->max_call_depth;
    uintptr_t first = (uintptr_t)first_record(ctx);
    uintptr_t room = (first - (uintptr_t)ctx->stack) / sizeof(interp_frame);
    return max < room ? first - (uintptr_t)max * sizeof(interp_frame) : (uintptr_t)ctx->stack;
}

/* With ctx == NULL, only hands out the handler table (computed goto). */
static weft_status run(thr_context *ctx, interp_frame *rec, weft_error *err,
                       const void *const **handlers)
{
#if WEFT_COMPUTED_GOTO
    static const void *const labels[CO_COUNT_] = {
#define CMP_X(id) [CO_##id] = &&L_##id,
#define OP(id, prefix, code, name, imm, align, sig) CMP_PICK_##prefix(CMP_X, id)
#include "engine/opcodes.def"
#undef OP
#define CMP_XSW(id) [CO_##id##_SW] = &&L_##id##_SW,
#define OP(id, prefix, code, name, imm, align, sig) CMP_PICK_##prefix(CMP_SW_##imm, id)
#include "engine/opcodes.def"
#undef OP
#undef CMP_XSW
#define CMP_XBR(id) [CO_BR_##id] = &&L_BR_##id,
        CMP_FUSABLE(CMP_XBR)
#undef CMP_XBR
#define CMP_XA(id) [CO_##id##_A] = &&L_##id##_A, [CO_##id##_A_SW] = &&L_##id##_A_SW,
        CMP_ADDR_FUSABLE(CMP_XA)
#undef CMP_XA
#define CMP_XAB(id) [CO_ADD_BR_##id] = &&L_ADD_BR_##id,
        CMP_FUSABLE_I32(CMP_XAB)
#undef CMP_XAB
#define CMP_XLB(id) [CO_L_BR_##id] = &&L_L_BR_##id, [CO_L_BR_##id##_SW] = &&L_L_BR_##id##_SW,
        CMP_FUSABLE_I32(CMP_XLB)
#undef CMP_XLB
#define CMP_XP(o1, o2) [CO_P_##o1##_##o2##_L] = &&L_P_##o1##_##o2##_L,                    \
                       [CO_P_##o1##_##o2##_R] = &&L_P_##o1##_##o2##_R,
        CMP_PAIRS(CMP_XP)
#undef CMP_XP
#define CMP_XS(id) [CO_SEL_##id] = &&L_SEL_##id,
        CMP_SEL_FUSABLE(CMP_XS)
#undef CMP_XS
#define CMP_XK(id) [CO_##id##_S] = &&L_##id##_S, [CO_##id##_S_SW] = &&L_##id##_S_SW,
        CMP_SCALED_FUSABLE(CMP_XK)
#undef CMP_XK
#define CMP_XST(id, st) [CO_##id##_ST] = &&L_##id##_ST, [CO_##id##_ST_SW] = &&L_##id##_ST_SW,
        CMP_STORE_FUSABLE(CMP_XST)
#undef CMP_XST
#define CMP_XM(id, ld) [CO_##id##_M] = &&L_##id##_M, [CO_##id##_M_SW] = &&L_##id##_M_SW,       \
                       [CO_##id##_MA] = &&L_##id##_MA, [CO_##id##_MA_SW] = &&L_##id##_MA_SW,
        CMP_MEM_FUSABLE(CMP_XM)
#undef CMP_XM
#define CMP_XMST(id, st) [CO_##id##_MST] = &&L_##id##_MST, [CO_##id##_MST_SW] = &&L_##id##_MST_SW, \
                         [CO_##id##_MST_A] = &&L_##id##_MST_A,                                \
                         [CO_##id##_MST_A_SW] = &&L_##id##_MST_A_SW,
        CMP_MST_FUSABLE(CMP_XMST)
#undef CMP_XMST
#define CMP_XMM(id) [CO_##id##_MM_MST] = &&L_##id##_MM_MST,                              \
                    [CO_##id##_MM_MST_SW] = &&L_##id##_MM_MST_SW,                        \
                    [CO_##id##_MM_MST_A] = &&L_##id##_MM_MST_A,                          \
                    [CO_##id##_MM_MST_A_SW] = &&L_##id##_MM_MST_A_SW,
        CMP_MM_MST_FUSABLE(CMP_XMM)
#undef CMP_XMM
#define CMP_XSB(st, cmp) [CO_##st##_A_ADD_BR_##cmp] = &&L_##st##_A_ADD_BR_##cmp,                  \
                         [CO_##st##_A_SW_ADD_BR_##cmp] = &&L_##st##_A_SW_ADD_BR_##cmp,
        CMP_STORE_BR_FUSABLE(CMP_XSB)
#undef CMP_XSB
#define CMP_XAK(id) [CO_##id##_K] = &&L_##id##_K, [CO_##id##_K_SW] = &&L_##id##_K_SW,
        CMP_ATOMIC_K(CMP_XAK)
#undef CMP_XAK
        CMP_INTERNAL(CMP_X)
#undef CMP_X
    };
    if (!ctx) {
        *handlers = labels;
        return WEFT_OK;
    }
#else
    if (!ctx) {
        *handlers = NULL;
        return WEFT_OK;
    }
#endif
    const cmp_cell *pc = rec->code->cells;
    uint64_t *fp = rec->fp;
    weft_instance *inst = rec->inst;
    uint8_t *mem;
    weft_memory *memory;
    mod_code *codes;
    const _Atomic int *term = ctx->terminate ? ctx->terminate : &no_terminate;
    uintptr_t rec_floor = interp_record_floor(ctx, inst); /* lowest record the limit allows */
    /* State of the call being made (set before `goto call_func`). */
    weft_func *f;
    const cmp_code *callee;
    weft_instance *callee_inst;
    uint64_t *callee_fp;
    uint32_t len;
    weft_code tcode;
    weft_status st;

#define LOAD_INST()                    \
    do {                               \
        mem = inst->mem0;              \
        memory = inst->memory0;        \
        codes = inst->module->codes;   \
    } while (0)
    LOAD_INST();

#define X1 (pc[1].s.x)
#define Y1 (pc[1].s.y)
#define X2 (pc[2].s.x)
#define Y2 (pc[2].s.y)
#define X3 (pc[3].s.x)
#define Y3 (pc[3].s.y)
#define X4 (pc[4].s.x)
#define Y4 (pc[4].s.y)
#define TRAP(c)                 \
    do {                        \
        tcode = WEFT_E_##c;     \
        goto trap;              \
    } while (0)
#define POLL()                                                                 \
    do {                                                                       \
        if (WEFT_UNLIKELY(atomic_load_explicit(term, memory_order_relaxed)))   \
            goto terminated;                                                   \
    } while (0)
#if WEFT_COMPUTED_GOTO
#define CASE(id) L_##id:
#define DISPATCH() goto *pc->h
#else
#define CASE(id) case CO_##id:
#define DISPATCH() goto dispatch
#endif
#define NEXT(n)         \
    do {                \
        pc += (n);      \
        DISPATCH();     \
    } while (0)
/* Enters translated code `ccode` of instance `cinst` with its frame at `cfp`:
 * polls, checks depth and stack space, pushes the frame record that returns
 * to pc + ret, zeroes the locals and copies the constants.  A macro, not a
 * function: CALL_LOCAL, the hottest call, runs it inline. */
#define ENTER_FRAME(ccode, cfp, cinst, ret)                                            \
    do {                                                                               \
        POLL();                                                                        \
        interp_frame *nrec = rec - 1;                                                  \
        if (WEFT_UNLIKELY((uintptr_t)nrec < rec_floor ||                               \
                          (uintptr_t)((cfp) + (ccode)->frame_size) > (uintptr_t)nrec)) \
            goto stack_exhausted;                                                      \
        nrec->code = (ccode);                                                          \
        nrec->inst = (cinst);                                                          \
        nrec->fp = (cfp);                                                              \
        nrec->ret_pc = pc + (ret);                                                     \
        rec = nrec;                                                                    \
        ctx->interp_top = rec;                                                         \
        interp_init_frame((cfp) + (ccode)->nparams, (ccode)->init, (ccode)->ninit);    \
        fp = (cfp);                                                                    \
        pc = (ccode)->cells;                                                           \
    } while (0)

#if WEFT_COMPUTED_GOTO
    DISPATCH();
#else
dispatch:
    switch ((cmp_op)pc->op) {
#endif

#include "engine/interp_ops.h"

#if !WEFT_COMPUTED_GOTO
    default:
        goto bad_code;
    }
#endif

call_func:
    if (f->kind == FUNC_HOST) {
        POLL();
        rec->at = (uint32_t)(pc - rec->code->cells); /* the host has no record */
        st = inst_call_host(f, inst, callee_fp, err);
        ctx->interp_top = rec; /* a nested entry that faulted may have left it */
        if (st != WEFT_OK)
            goto trap_st;
        {
            /* A single result the call sends elsewhere (code.h, Frames). */
            int32_t dst = pc[len - 1].s.y;
            if (dst != Y1)
                fp[dst] = callee_fp[0];
        }
        NEXT(len);
    }
    callee_inst = f->instance;
    {
        const weft_module *m = callee_inst->module;
        callee = atomic_load_explicit(&m->codes[f->index - m->nfunc_imports].code,
                                      memory_order_acquire);
        if (WEFT_UNLIKELY(!callee)) {
            const cmp_code *got; /* callee itself stays out of memory */
            st = cmp_get(m, f->index, &got, err);
            if (st != WEFT_OK)
                goto trap_st;
            callee = got;
        }
    }
    /* Entering the callee, plus the instance switch of a call into another
     * instance. */
    ENTER_FRAME(callee, callee_fp, callee_inst, len);
    if (WEFT_UNLIKELY(callee_inst != inst)) {
        inst = callee_inst;
        LOAD_INST();
        /* Guard faults in this instance's memories are ours to claim too. */
        inst_allow_memories(ctx, inst);
    }
    DISPATCH();

ret: {
    const cmp_cell *rpc = rec->ret_pc;
    rec++;
    ctx->interp_top = rec;
    /* An entry marker's inst is NULL, never the running instance's: the
     * marker test hides behind the instance test, off the common path. */
    if (WEFT_UNLIKELY(rec->inst != inst)) {
        if (!rec->code)
            return WEFT_OK; /* the entry marker: back to interp_invoke */
        inst = rec->inst;
        LOAD_INST();
    }
    fp = rec->fp;
    pc = rpc;
    DISPATCH();
}

    /* Exits of their own, not `tcode = ...; goto trap`: with a shared exit the
     * compiler loads the code before every poll and check that can branch
     * there, on the hot path. */
stack_exhausted:
    ctx->interp_top = rec;
    ctx->interp_pc = pc;
    return err_set(err, WEFT_E_STACK_EXHAUSTED, WEFT_NO_OFFSET, NULL);
terminated:
    ctx->interp_top = rec;
    ctx->interp_pc = pc;
    return err_set(err, WEFT_E_TERMINATED, WEFT_NO_OFFSET, NULL);
trap:
    ctx->interp_top = rec;
    ctx->interp_pc = pc;
    return err_set(err, tcode, WEFT_NO_OFFSET, NULL);
trap_st:
    ctx->interp_top = rec;
    ctx->interp_pc = pc;
    return st;
bad_code:
    ctx->interp_top = rec;
    ctx->interp_pc = pc;
    return err_set(err, WEFT_E_UNSUPPORTED, WEFT_NO_OFFSET, "internal: bad instruction");

#undef LOAD_INST
#undef X1
#undef Y1
#undef X2
#undef Y2
#undef X3
#undef Y3
#undef X4
#undef Y4
#undef TRAP
#undef POLL
#undef CASE
#undef DISPATCH
#undef NEXT
}

const void *const *interp_handlers(void)
{
    const void *const *h = NULL;
    run(NULL, NULL, NULL, &h);
    return h;
}

/* ---- entry ------------------------------------------------------------------------ */

/* Runs `code` of `inst` with its frame at base: arguments copied there from
 * slots first when slots is not NULL (else they are in place), results
 * copied back to slots (else left at base). */
static weft_status invoke(thr_context *ctx, weft_instance *inst, const cmp_code *code,
                          uint64_t *base, uint64_t *slots, weft_error *err)
{
    weft_status st = WEFT_OK;
    drop_stale(ctx);
    interp_frame *top = ctx->interp_top, *prev_entry = ctx->interp_entry;
    interp_frame *marker = top ? top - 1 : first_record(ctx);
    interp_frame *frame = marker - 1;
    if ((uintptr_t)frame < interp_record_floor(ctx, inst) ||
        (uintptr_t)(base + code->frame_size) > (uintptr_t)frame)
        return err_set(err, WEFT_E_STACK_EXHAUSTED, WEFT_NO_OFFSET, NULL);
    ctx->depth++;
    marker->code = NULL;
    marker->inst = NULL;
    marker->fp = base;
    marker->prev_entry = prev_entry;
    marker->entry_depth = ctx->depth;
    frame->code = code;
    frame->inst = inst;
    frame->fp = base;
    frame->ret_pc = NULL;
    frame->at = UINT32_MAX;
    if (slots)
        memcpy(base, slots, (size_t)code->nparams * sizeof(uint64_t));
    interp_init_frame(base + code->nparams, code->init, code->ninit);
    ctx->interp_entry = marker;
    ctx->interp_top = frame;

    st = run(ctx, frame, err, NULL);
    if (st == WEFT_OK && slots)
        memcpy(slots, base, (size_t)code->nresults * sizeof(uint64_t));
    else if (st != WEFT_OK && weft_code_status(err ? err->code : WEFT_E_NONE) == WEFT_TRAP)
        interp_backtrace(ctx, err);
    ctx->interp_top = top;
    ctx->interp_entry = prev_entry;
    ctx->depth--;
    return st;
}

weft_status interp_invoke_at(thr_context *ctx, weft_instance *inst, const cmp_code *code,
                             uint64_t *base, weft_error *err)
{
    return invoke(ctx, inst, code, base, NULL, err);
}

weft_status interp_invoke(thr_context *ctx, weft_func *f, uint64_t *slots, weft_error *err)
{
    weft_status st = WEFT_OK;
    if (f->kind == FUNC_HOST)
        return inst_call_host(f, NULL, slots, err);
    drop_stale(ctx);
    const cmp_code *code;
    TRY(cmp_get(f->instance->module, f->index, &code, err));
    /* Nested (wasm -> host -> wasm): start above the caller's whole frame. */
    interp_frame *top = ctx->interp_top;
    jit_tsan_reached(); /* its record may name code compiled code reached */
    uint64_t *base = !top ? ctx->stack : top->code ? top->fp + top->code->frame_size : top->fp;
    st = invoke(ctx, f->instance, code, base, slots, err);
fail:
    return st;
}

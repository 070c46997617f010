/*
 * jit_internal.h -- what the compiler's files (jit_) share: the state of one
 * function's compilation, the register convention, and the small helpers
 * every template uses.  Only the files of jit/ include it.
 *
 * Register convention inside compiled code (x86-64, System V underneath):
 *
 *   rbx  fp: the frame's slot 0 (engine/code.h, Frames); slot s is [rbx + 8s]
 *   rbp  the jit_env of this entry (below): the instance, the terminate flag
 *   r14  the thread context
 *   r15  memory 0's base (it never moves: DESIGN.md invariant 1)
 *
 * All four are callee-saved in System V, so C helpers keep them.  r10 to r13
 * hold the function's pinned locals (JIT_PIN_REGS, pin.c), if it has any.
 * jit_enter saves r12 and r13 for its C caller; compiled callers load their
 * pinned locals again after every call.
 * Everything else is scratch and holds nothing across instructions: every
 * other value lives in its frame slot between instructions.
 * A compiled function returns its status in eax (WEFT_OK == 0); on anything
 * else its callers return at once with the same eax, up to jit_enter, so a
 * trap unwinds with no table and no signal.  The stack is 16-byte aligned at
 * every call (each function takes 8 bytes on entry), so helpers are plain C.
 */
#ifndef WEFT_JIT_INTERNAL_H
#define WEFT_JIT_INTERNAL_H

#include "engine/code.h"
#include "engine/engine.h"
#include "engine/interp.h"
#include "jit/jit.h"
#include "jit/x64_emit.h"
#include "jit/xmem.h"

#define JIT_FP X64_RBX
#define JIT_ENV X64_RBP
#define JIT_CTX X64_R14
#define JIT_MEM X64_R15

/* One entry's constants, on jit_run's C stack; rbp points at it. */
typedef struct jit_env {
    thr_context *ctx;
    weft_instance *inst;
    weft_error *err;
    uintptr_t rec_floor;     /* interp_record_floor of this thread and instance */
    const _Atomic int *term;
    uint8_t *mem;
    uintptr_t native_base;   /* the native stack check (thread.c's rule):        */
    uintptr_t native_margin; /* exhausted when rsp - base < margin               */
    struct weft_memory *memory0; /* the instance's memory 0 (its current size)    */
} jit_env;

/* The machine code of one function (cmp_code.jit). */
struct jit_func {
    xm_block block;
    /* Entries, both with the jit_enter convention (above):
     *  - body: the caller pushed the frame record and set the frame up (the
     *    interpreter's ENTER_FRAME did, or a C helper);
     *  - full: polls, checks the native stack, the depth and the value
     *    stack, pushes the record and sets the frame up itself: what compiled
     *    callers call.  The caller pops the record after a normal return. */
    const void *body;
    const void *full;
    /* The translation it was compiled from (cells with cmp_op numbers): the
     * generic SIMD path runs the interpreter's body on its cells. */
    struct cmp_code *ops;
    /* Each instruction's first native byte (offset in the block) -> its
     * cell, sorted: a guard-page fault's pc maps back to an instruction. */
    uint32_t npcs;
    u32_pair *pcs;
    uint32_t npinned; /* locals kept in registers (pin.c) */
};

/* A trap code's out-of-line stub, and the sites that jump to it: each site
 * has a stub of its own that names its cell (for the backtrace's offset)
 * and goes on to the code's. */
typedef struct jit_trap_stub {
    weft_code code;
    cb_label label;
} jit_trap_stub;

typedef struct jit_trap_site {
    uint32_t stub;  /* index in jit_state.traps */
    uint32_t cell;  /* the instruction, or UINT32_MAX (the entry's checks) */
    cb_label label;
} jit_trap_site;

enum { JIT_MAX_TRAP_KINDS = 16 };

/* Registers for pinned locals: caller-saved ones that no template uses
 * (arguments of C helpers are set after the locals are stored, pin.c). */
#define JIT_PIN_REGS {X64_R10, X64_R11, X64_R12, X64_R13}
enum { JIT_NPIN = 4 };

typedef struct jit_state {
    cb_buf b;
    const weft_module *m;
    const weft_engine *e;
    const cmp_code *code;   /* the input: cells hold cmp_op numbers        */
    const cmp_code *self;   /* what will be published (frame records name it) */
    uint32_t at;            /* the instruction's first cell                */
    uint32_t len;           /* its length in cells, set by its template    */
    cb_label *labels;       /* per cell: its label, CB_UNBOUND until asked */
    jit_trap_stub traps[JIT_MAX_TRAP_KINDS];
    uint32_t ntraps;
    jit_trap_site *sites;
    uint32_t nsites, cap_sites;
    cb_label propagate;     /* add rsp, 8; ret -- with eax already the status */
    cmp_op unsupported;     /* the first instruction without a template    */
    u32_pair *pcs;          /* per instruction, in order (jit_func.pcs)   */
    uint32_t npcs, cap_pcs;
    /* Per cell: some branch lands there (the first pass collects them;
     * compile.c, emit_function).  Only those cells get a label, so an
     * instruction may take its operand from the one before in rax. */
    uint8_t *targets;
    bool collecting;        /* the first pass: marking targets            */
    /* Result forwarding: rax holds slot fwd_slot while the code ends at
     * fwd_end, the end of the jit_st64 from rax that wrote it, and no label
     * is bound there (jit_ld). */
    int32_t fwd_slot;
    size_t fwd_end;
    /* The same for an f64 just stored from xmm register xfwd_reg (emit_float.c). */
    int32_t xfwd_slot;
    int xfwd_reg;
    size_t xfwd_end;
    /* Locals pinned to registers (pin.c).  The first pass watches every
     * local slot (pin_raw, pin_uses, pin_loops); pin_choose then fills pin
     * for the second. */
    int8_t *pin;            /* per local slot: its register, or -1 (NULL: none) */
    uint8_t *pin_raw;       /* per local slot: some template reached it as memory */
    u32_pair *pin_uses;     /* (cell, slot) of each accessor's use of a local */
    uint32_t npin_uses, cap_pin_uses;
    u32_pair *pin_loops;    /* (head cell, back-edge cell) of each loop       */
    uint32_t npin_loops, cap_pin_loops;
    uint32_t npinned;
    int32_t pinned_slot[JIT_NPIN];
    x64_reg pinned_reg[JIT_NPIN];
} jit_state;

/* ---- templates ---------------------------------------------------------------
 * Each group file has one entry: it emits the instruction at j->at (pc) and
 * sets j->len, or returns false when the op is not one of its own. */
WEFT_INTERNAL bool jit_emit_control(jit_state *j, cmp_op op, const cmp_cell *pc);
WEFT_INTERNAL bool jit_emit_int(jit_state *j, cmp_op op, const cmp_cell *pc);
WEFT_INTERNAL bool jit_emit_mem(jit_state *j, cmp_op op, const cmp_cell *pc);
WEFT_INTERNAL bool jit_emit_atomic(jit_state *j, cmp_op op, const cmp_cell *pc);
WEFT_INTERNAL bool jit_emit_float(jit_state *j, cmp_op op, const cmp_cell *pc);
WEFT_INTERNAL bool jit_emit_simd(jit_state *j, cmp_op op, const cmp_cell *pc);
WEFT_INTERNAL bool jit_emit_table(jit_state *j, cmp_op op, const cmp_cell *pc);
WEFT_INTERNAL bool jit_emit_fused(jit_state *j, cmp_op op, const cmp_cell *pc);

/* Shared pieces of templates: the condition and width of an integer compare
 * op (CMP_FUSABLE ids; false for others) (emit_control.c); the guest memory
 * operand for n bytes at rax (a u32 address) + offset, which may add to rax,
 * checked first against the memory's current size when sw (software bounds;
 * the check clobbers rcx and rdx) (emit_mem.c). */
WEFT_INTERNAL bool jit_int_compare(cmp_op op, x64_cc *cc, x64_size *size);
WEFT_INTERNAL x64_mem jit_guest(jit_state *j, uint32_t offset, uint32_t n, bool sw);
/* The jump of a br_table whose index is in eax (u32): to the target of entry
 * min(eax, n) of the offset cells first .. first + n of the instruction (each
 * offset counted from its own cell), clobbering rcx (emit_control.c).  The
 * caller polls first: every taken branch of a br_table does. */
WEFT_INTERNAL void jit_table_jump(jit_state *j, uint32_t first, uint32_t n);
/* Does this CPU run that bit-count instruction (cpuid; runtime_x64.c)? */
WEFT_INTERNAL bool jit_cpu_has(x64_bitcnt op);
/* Does this CPU have SSE4.1 (roundss/roundsd)? */
WEFT_INTERNAL bool jit_cpu_sse41(void);
/* Does this CPU have SSSE3 (pshufb)? */
WEFT_INTERNAL bool jit_cpu_ssse3(void);

/* Appends a compiled function to /tmp/perf-<pid>.map (perf_map.c). */
WEFT_INTERNAL void jit_perf_map_add(const weft_module *m, uint32_t func_index, const void *start,
                                    size_t size);

/* ---- runtime helpers (runtime_x64.c), called from compiled code -------------- */
WEFT_INTERNAL weft_status jit_rt_trap(jit_env *env, weft_code code, uint32_t cell);
WEFT_INTERNAL weft_status jit_rt_call(jit_env *env, uint64_t *cfp, uint32_t func);
WEFT_INTERNAL weft_status jit_rt_call_indirect(jit_env *env, uint64_t *cfp, uint32_t type,
                                               uint32_t table, uint32_t elem);
WEFT_INTERNAL uint32_t jit_rt_memory_grow(jit_env *env, uint32_t delta);
/* Runs SIMD instruction pc (its cells, cell 0 the cmp_op number) on frame fp
 * with the interpreter's body for it (runtime_simd.c). */
WEFT_INTERNAL weft_status jit_rt_simd(jit_env *env, uint64_t *fp, const cmp_cell *pc);
/* References, tables and bulk memory (emit_table.c): each calls what the
 * interpreter's op calls, so checks and messages are the same.  Table
 * elements and references are passed as their 64-bit slot bits. */
WEFT_INTERNAL uint32_t jit_rt_table_grow(jit_env *env, uint32_t table, uint32_t delta,
                                         uint64_t init);
WEFT_INTERNAL weft_status jit_rt_table_fill(jit_env *env, uint32_t table, uint32_t i, uint64_t val,
                                            uint32_t n);
WEFT_INTERNAL weft_status jit_rt_table_copy(jit_env *env, uint32_t dst_table, uint32_t src_table,
                                            uint32_t d, uint32_t s, uint32_t n);
WEFT_INTERNAL weft_status jit_rt_table_init(jit_env *env, uint32_t table, uint32_t elem,
                                            uint32_t d, uint32_t s, uint32_t n);
WEFT_INTERNAL void jit_rt_elem_drop(jit_env *env, uint32_t elem);
WEFT_INTERNAL weft_status jit_rt_memory_fill(jit_env *env, uint32_t d, uint32_t v, uint32_t n);
WEFT_INTERNAL weft_status jit_rt_memory_copy(jit_env *env, uint32_t d, uint32_t s, uint32_t n);
WEFT_INTERNAL weft_status jit_rt_memory_init(jit_env *env, uint32_t data, uint32_t d, uint32_t s,
                                             uint32_t n);
WEFT_INTERNAL void jit_rt_data_drop(jit_env *env, uint32_t data);

/* ---- helpers for templates -------------------------------------------------- */

/* ---- locals pinned to registers (pin.c) ---------------------------------------
 * A local that loops use and that templates touch only through the accessors
 * below (jit_ld, jit_st64, jit_alu_rs, jit_opnd, ...) lives in a register for
 * the whole function: loaded at the body's start, stored to its slot before
 * every call out and loaded again after it (jit_call_c, direct calls: a
 * callee or helper may read the frame, write a call's result into it, and
 * clobbers r10/r11), and stored before a return when it is a result slot.
 * A template that reaches a local as memory (jit_slot) keeps that local in
 * its slot: the first pass notes it, and the second refuses the function if a
 * template does so for a pinned one (it would be a template that changed its
 * mind between passes). */
WEFT_INTERNAL bool jit_pin_init(jit_state *j);
WEFT_INTERNAL void jit_pin_free(jit_state *j);
WEFT_INTERNAL void jit_pin_use(jit_state *j, int32_t s);   /* first pass */
WEFT_INTERNAL void jit_pin_raw(jit_state *j, int32_t s);   /* jit_slot's note */
WEFT_INTERNAL void jit_pin_loop(jit_state *j, uint32_t head); /* a back-edge at j->at */
WEFT_INTERNAL void jit_pin_call(jit_state *j);                /* a call out at j->at */
/* After the first pass: picks the pinned locals (none for a function without
 * loops). */
WEFT_INTERNAL bool jit_pin_choose(jit_state *j);
/* Stores the pinned locals of slots below `below` to their slots; loads all. */
WEFT_INTERNAL void jit_pin_store(jit_state *j, uint32_t below);
WEFT_INTERNAL void jit_pin_load(jit_state *j);

/* Is slot s one of the function's locals (params included), inside the body
 * (the entry writes locals' slots itself, before the body loads them)? */
static inline bool jit_is_local(const jit_state *j, int32_t s)
{
    return s >= 0 && (uint32_t)s < j->code->nlocals && j->at < j->code->ncells;
}
/* The register of local s, or -1. */
static inline int jit_pinned(const jit_state *j, int32_t s)
{
    return j->pin && jit_is_local(j, s) ? j->pin[s] : -1;
}

/* Slot s as memory, for templates that cannot take a register: the local
 * stays unpinned (above). */
static inline x64_mem jit_slot_mem(int32_t s) { return x64_mem_bd(JIT_FP, s * 8); }
static inline x64_mem jit_slot(jit_state *j, int32_t s)
{
    if (jit_is_local(j, s))
        jit_pin_raw(j, s);
    return jit_slot_mem(s);
}
/* Slots s and s + 1 as 16 bytes of memory (a v128, or two slots moved at once). */
static inline x64_mem jit_slot16(jit_state *j, int32_t s)
{
    (void)jit_slot(j, s + 1);
    return jit_slot(j, s);
}
static inline x64_mem jit_slot_hi(jit_state *j, int32_t s)
{
    if (jit_is_local(j, s))
        jit_pin_raw(j, s);
    return x64_mem_bd(JIT_FP, s * 8 + 4);
}
/* Notes a use of slot s by an accessor (the first pass counts them). */
static inline void jit_note_use(jit_state *j, int32_t s)
{
    if (j->collecting && jit_is_local(j, s))
        jit_pin_use(j, s);
}

/* Is slot s one of the function's constants ([nlocals, nlocals + nconsts),
 * engine/code.h, Frames)?  Then *v is its value.  Nothing writes a constant's
 * slot after the entry, so a template may use the value instead of the slot. */
static inline bool jit_const(const jit_state *j, int32_t s, uint64_t *v)
{
    const cmp_code *c = j->code;
    if (s < (int32_t)c->nlocals || (uint32_t)s - c->nlocals >= c->nconsts)
        return false;
    *v = c->init[(uint32_t)s - c->nparams];
    return true;
}

/* The constant in slot s as the imm32 of a `size` operation: any value for a
 * 32-bit one (its low half), one that sign-extends to itself for 64 bits. */
static inline bool jit_const_imm(const jit_state *j, x64_size size, int32_t s, int32_t *imm)
{
    uint64_t v;
    if (!jit_const(j, s, &v))
        return false;
    if (size != X64_S64 && size != X64_S32)
        return false;
    if (size == X64_S64 && (int64_t)v != (int32_t)v)
        return false;
    *imm = (int32_t)(uint32_t)v;
    return true;
}

/* Does rax hold slot s here: were the last bytes emitted the jit_st64 of s
 * from rax, with no label bound after it (no branch lands in between)? */
static inline bool jit_in_rax(const jit_state *j, int32_t s)
{
    return j->b.len == j->fwd_end && j->b.bound_at != j->b.len && s == j->fwd_slot;
}

/* r = slot s as a 32-bit (zero-extended) or 64-bit load would make it; a
 * constant's value is an immediate, a slot just stored from rax comes from
 * rax (forwarding: a 32-bit load into rax itself then costs nothing, as an
 * i32 slot's high half is zero like rax's, engine/code.h).  Leaves the flags
 * alone. */
static inline void jit_ld(jit_state *j, x64_size size, x64_reg r, int32_t s)
{
    uint64_t v;
    int p;
    jit_note_use(j, s);
    if (jit_in_rax(j, s)) {
        if (r != X64_RAX)
            x64_mov_rr(&j->b, size, r, X64_RAX);
    } else if (jit_const(j, s, &v))
        x64_mov_ri(&j->b, size, r, size == X64_S64 ? (int64_t)v : (int64_t)(uint32_t)v);
    else if ((p = jit_pinned(j, s)) >= 0)
        x64_mov_rr(&j->b, size, r, (x64_reg)p);
    else
        x64_load(&j->b, size, r, jit_slot_mem(s));
}
static inline void jit_ld32(jit_state *j, x64_reg r, int32_t s) { jit_ld(j, X64_S32, r, s); }
static inline void jit_ld64(jit_state *j, x64_reg r, int32_t s) { jit_ld(j, X64_S64, r, s); }

/* r = r op slot s (x64_alu: add, sub, and, or, xor, cmp): with the constant
 * as an immediate when it fits, else from the slot. */
static inline void jit_alu_rs(jit_state *j, x64_alu op, x64_size size, x64_reg r, int32_t s)
{
    int32_t imm;
    int p;
    jit_note_use(j, s);
    if (jit_const_imm(j, size, s, &imm))
        x64_alu_ri(&j->b, op, size, r, imm);
    else if ((p = jit_pinned(j, s)) >= 0)
        x64_alu_rr(&j->b, op, size, r, (x64_reg)p);
    else
        x64_alu_rm(&j->b, op, size, r, jit_slot_mem(s));
}

/* Slot s as an operand: its pinned register, else its memory.  A template
 * that takes either form uses this instead of jit_slot. */
typedef struct jit_opnd {
    int reg; /* the pinned register, or -1: then mem */
    x64_mem mem;
} jit_opnd;
static inline jit_opnd jit_opnd_of(jit_state *j, int32_t s)
{
    jit_note_use(j, s);
    return (jit_opnd){jit_pinned(j, s), jit_slot_mem(s)};
}
static inline jit_opnd jit_opnd_mem(x64_mem m) { return (jit_opnd){-1, m}; }
/* r = o (a 32-bit move zero-extends); r op= o; o = r (a whole slot, or
 * `size` bytes of guest memory); flags of o against 0. */
static inline void jit_load_o(jit_state *j, x64_size size, x64_reg r, jit_opnd o)
{
    if (o.reg >= 0)
        x64_mov_rr(&j->b, size, r, (x64_reg)o.reg);
    else
        x64_load(&j->b, size, r, o.mem);
}
static inline void jit_alu_ro(jit_state *j, x64_alu op, x64_size size, x64_reg r, jit_opnd o)
{
    if (o.reg >= 0)
        x64_alu_rr(&j->b, op, size, r, (x64_reg)o.reg);
    else
        x64_alu_rm(&j->b, op, size, r, o.mem);
}
static inline void jit_test0(jit_state *j, x64_size size, jit_opnd o)
{
    if (o.reg >= 0)
        x64_test_rr(&j->b, size, (x64_reg)o.reg, (x64_reg)o.reg);
    else
        x64_alu_mi(&j->b, X64_CMP, size, o.mem, 0);
}
/* r = o: the whole slot (a pinned local's register, or memory). */
static inline void jit_store_o(jit_state *j, x64_size size, jit_opnd o, x64_reg r)
{
    if (o.reg >= 0)
        x64_mov_rr(&j->b, X64_S64, (x64_reg)o.reg, r);
    else
        x64_store(&j->b, size, o.mem, r);
}
/* A slot is always written whole: an i32 result zero-extended (the 32-bit
 * operation that made it already cleared the high half). */
static inline void jit_st64(jit_state *j, int32_t s, x64_reg r)
{
    int p = jit_pinned(j, s);
    jit_note_use(j, s);
    if (p >= 0)
        x64_mov_rr(&j->b, X64_S64, (x64_reg)p, r);
    else
        x64_store(&j->b, X64_S64, jit_slot_mem(s), r);
    if (r == X64_RAX) {
        j->fwd_slot = s;
        j->fwd_end = j->b.len;
    }
}

/* The flags of slot s against 0 (zf: it is 0), from rax when it holds s. */
static inline void jit_test_slot(jit_state *j, x64_size size, int32_t s)
{
    if (jit_in_rax(j, s)) {
        jit_note_use(j, s);
        x64_test_rr(&j->b, size, X64_RAX, X64_RAX);
    } else {
        jit_test0(j, size, jit_opnd_of(j, s));
    }
}

/* Slot s = imm (sign-extended to 64 bits). */
static inline void jit_st_imm(jit_state *j, int32_t s, int32_t imm)
{
    int p = jit_pinned(j, s);
    jit_note_use(j, s);
    if (p >= 0)
        x64_mov_ri(&j->b, X64_S64, (x64_reg)p, imm);
    else
        x64_store_imm(&j->b, X64_S64, jit_slot_mem(s), imm);
}

/* The label of cell `cell` (an instruction's first), made on first use. */
WEFT_INTERNAL cb_label jit_cell_label(jit_state *j, uint32_t cell);
/* Where the instruction at j->at jumps to make trap `code` (out of line, at
 * the end of the function). */
WEFT_INTERNAL cb_label jit_trap_label(jit_state *j, weft_code code);
/* Polls the terminate flag (clobbers rcx): mov rcx, env->term;
 * cmp dword [rcx], 0; jne terminated. */
WEFT_INTERNAL void jit_poll(jit_state *j);
/* Branches of an instruction: the target is `off` cells from its cell k (the
 * cell holding the offset).  A back-edge (a loop) polls first, as the
 * interpreter's taken branches do. */
WEFT_INTERNAL void jit_branch_if(jit_state *j, x64_cc cc, uint32_t k, int32_t off);
WEFT_INTERNAL void jit_branch(jit_state *j, uint32_t k, int32_t off);
/* Returns WEFT_OK from the function (results already in place). */
WEFT_INTERNAL void jit_return_ok(jit_state *j);
/* Calls C function fn (arguments already in rdi, rsi, ...). */
WEFT_INTERNAL void jit_call_c(jit_state *j, const void *fn);
/* Returns with eax unless it is WEFT_OK (after a helper or a call). */
WEFT_INTERNAL void jit_check_status(jit_state *j);
/* Notes in this frame's record that it is at instruction j->at, before a
 * call (interp_frame.at: the backtrace's offset). */
WEFT_INTERNAL void jit_note_at(jit_state *j);
/* r = the instance; r = its memory 0 (weft_memory *), from the env. */
static inline void jit_load_inst(jit_state *j, x64_reg r)
{
    x64_load(&j->b, X64_S64, r, x64_mem_bd(JIT_ENV, offsetof(jit_env, inst)));
}
static inline void jit_load_memory0(jit_state *j, x64_reg r)
{
    x64_load(&j->b, X64_S64, r, x64_mem_bd(JIT_ENV, offsetof(jit_env, memory0)));
}
/* rdi = env (the first argument of every runtime helper). */
static inline void jit_arg_env(jit_state *j) { x64_mov_rr(&j->b, X64_S64, X64_RDI, JIT_ENV); }

#endif /* WEFT_JIT_INTERNAL_H */

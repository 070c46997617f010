/*
 * runtime_x64.c -- what compiled code runs on (jit.h, jit_internal.h): the
 * entry from C (jit_enter, a fixed piece of assembly in the library's own
 * text, so entering needs no executable memory of its own), jit_run, and the
 * C helpers templates call for the slow or rare parts of an instruction.
 */
#include "engine/instance.h"
#include "engine/memory.h"
#include "jit/jit_internal.h"

#if defined(__x86_64__) && (defined(__linux__) || defined(__APPLE__))
#define JIT_HOST_OK 1
#else
#define JIT_HOST_OK 0
#endif

bool jit_supported(void) { return JIT_HOST_OK; }

#if JIT_HOST_OK
#include <cpuid.h>

/* The CPU's features, read once (cpuid is slow, and compilation asks per
 * instruction): bit k set when feature k is there, bit 31 when read. */
enum { CPU_POPCNT = 1, CPU_LZCNT = 2, CPU_TZCNT = 4, CPU_SSE41 = 8, CPU_SSSE3 = 16, CPU_READ = 1u << 31 };
static _Atomic uint32_t cpu_features;

static uint32_t cpu(void)
{
    uint32_t f = atomic_load_explicit(&cpu_features, memory_order_relaxed);
    if (f)
        return f;
    unsigned a, b, c, d;
    f = CPU_READ;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        f |= c & bit_POPCNT ? CPU_POPCNT : 0;
        f |= c & bit_SSE4_1 ? CPU_SSE41 : 0;
        f |= c & bit_SSSE3 ? CPU_SSSE3 : 0;
    }
    if (__get_cpuid(0x80000001, &a, &b, &c, &d) && (c & bit_LZCNT)) /* ABM */
        f |= CPU_LZCNT;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_BMI)) /* BMI1 */
        f |= CPU_TZCNT;
    atomic_store_explicit(&cpu_features, f, memory_order_relaxed);
    return f;
}

bool jit_cpu_has(x64_bitcnt op)
{
    switch (op) {
    case X64_POPCNT:
        return cpu() & CPU_POPCNT;
    case X64_LZCNT:
        return cpu() & CPU_LZCNT;
    case X64_TZCNT:
        return cpu() & CPU_TZCNT;
    }
    return false;
}

bool jit_cpu_sse41(void) { return cpu() & CPU_SSE41; }
bool jit_cpu_ssse3(void) { return cpu() & CPU_SSSE3; }
#else
bool jit_cpu_has(x64_bitcnt op)
{
    (void)op;
    return false;
}

bool jit_cpu_sse41(void) { return false; }
bool jit_cpu_ssse3(void) { return false; }
#endif

#if JIT_HOST_OK
/* uint32_t jit_enter(uint64_t *fp, jit_env *env, const void *entry):
 * saves the callee-saved registers, sets up the convention of
 * jit_internal.h and calls entry; its status comes back in eax. */
_Static_assert(offsetof(jit_env, ctx) == 0 && offsetof(jit_env, inst) == 8 &&
                   offsetof(jit_env, term) == 32 && offsetof(jit_env, mem) == 40,
               "jit_enter reads these offsets");
#if defined(__APPLE__)
#define JIT_SYM(name) "_" #name
#define JIT_HIDDEN(name) ".private_extern _" #name "\n"
#define JIT_TYPE(name)
#define JIT_SIZE(name)
#else
#define JIT_SYM(name) #name
#define JIT_HIDDEN(name) ".hidden " #name "\n"
#define JIT_TYPE(name) ".type " #name ", @function\n"
#define JIT_SIZE(name) ".size " #name ", .-" #name "\n"
#endif
__asm__(".text\n"
        ".p2align 4\n"
        ".globl " JIT_SYM(jit_enter) "\n"
        JIT_HIDDEN(jit_enter)
        JIT_TYPE(jit_enter)
        JIT_SYM(jit_enter) ":\n"
        "    push %rbp\n"
        "    push %rbx\n"
        "    push %r12\n"
        "    push %r13\n"
        "    push %r14\n"
        "    push %r15\n"
        "    sub $8, %rsp\n"
        "    mov %rdi, %rbx\n"
        "    mov %rsi, %rbp\n"
        "    mov 0(%rbp), %r14\n"
        "    mov 40(%rbp), %r15\n"
        "    call *%rdx\n"
        "    add $8, %rsp\n"
        "    pop %r15\n"
        "    pop %r14\n"
        "    pop %r13\n"
        "    pop %r12\n"
        "    pop %rbx\n"
        "    pop %rbp\n"
        "    ret\n"
        JIT_SIZE(jit_enter));
WEFT_INTERNAL uint32_t jit_enter(uint64_t *fp, jit_env *env, const void *entry);
#endif

static const _Atomic int no_terminate = 0;

weft_status jit_run(thr_context *ctx, weft_instance *inst, uint64_t *fp, const cmp_code *code,
                    weft_error *err)
{
#if JIT_HOST_OK
    jit_env env = {
        .ctx = ctx,
        .inst = inst,
        .err = err,
        .rec_floor = interp_record_floor(ctx, inst),
        .term = ctx->terminate ? ctx->terminate : &no_terminate,
        .mem = inst->mem0,
        .memory0 = inst->memory0,
        .native_base = ctx->native_base,
        .native_margin = ctx->native_margin,
    };
    /* The interpreter and C helpers recurse through here: the same native
     * stack rule as thr_enter's (compiled entries check it themselves). */
    if ((uintptr_t)__builtin_frame_address(0) - env.native_base < env.native_margin)
        return err_set(err, WEFT_E_STACK_EXHAUSTED, WEFT_NO_OFFSET,
                       "(native stack: host and wasm calls nested too deep)");
    weft_status st = (weft_status)jit_enter(fp, &env, code->jit->body);
    if (st != WEFT_OK)
        interp_backtrace(ctx, err);
    return st;
#else
    (void)ctx, (void)inst, (void)fp, (void)code;
    return err_set(err, WEFT_E_UNSUPPORTED, WEFT_NO_OFFSET, "no compiler tier on this host");
#endif
}

/* ---- helpers called from compiled code ----------------------------------------------- */

weft_status jit_rt_trap(jit_env *env, weft_code code, uint32_t cell)
{
    if (cell != UINT32_MAX) /* the trapping frame's record is the innermost */
        ((interp_frame *)env->ctx->interp_top)->at = cell;
    return err_set(env->err, code, WEFT_NO_OFFSET, NULL);
}

/* Calls f with its frame at cfp (arguments there, results left there). */
static weft_status call_func(jit_env *env, weft_func *f, uint64_t *cfp)
{
    thr_context *ctx = env->ctx;
    if (f->kind == FUNC_HOST) {
        void *top = ctx->interp_top; /* a nested entry that faulted may move it */
        weft_status st = inst_call_host(f, env->inst, cfp, env->err);
        ctx->interp_top = top;
        return st;
    }
    const cmp_code *code;
    weft_status st = cmp_get(f->instance->module, f->index, &code, env->err);
    if (st != WEFT_OK)
        return st;
    return interp_invoke_at(ctx, f->instance, code, cfp, env->err);
}

weft_status jit_rt_call(jit_env *env, uint64_t *cfp, uint32_t func)
{
    return call_func(env, env->inst->funcs[func], cfp);
}

weft_status jit_rt_call_indirect(jit_env *env, uint64_t *cfp, uint32_t type, uint32_t table,
                                 uint32_t elem)
{
    weft_table *t = env->inst->tables[table];
    if (elem >= t->size)
        return err_set(env->err, WEFT_E_UNDEFINED_ELEMENT, WEFT_NO_OFFSET, "%u", elem);
    weft_func *f = t->elems[elem];
    if (!f)
        return err_set(env->err, WEFT_E_UNINITIALIZED_ELEMENT, WEFT_NO_OFFSET, "%u", elem);
    if (f->sig != env->inst->sigs[type])
        return err_set(env->err, WEFT_E_INDIRECT_MISMATCH, WEFT_NO_OFFSET, NULL);
    return call_func(env, f, cfp);
}

uint32_t jit_rt_memory_grow(jit_env *env, uint32_t delta)
{
    return (uint32_t)(int32_t)mem_grow(env->inst->memory0, delta);
}

/* ---- references, tables and bulk memory (emit_table.c) --------------------------------- */

static void *ref_of(uint64_t bits) { return (void *)(uintptr_t)bits; }

uint32_t jit_rt_table_grow(jit_env *env, uint32_t table, uint32_t delta, uint64_t init)
{
    return (uint32_t)(int32_t)inst_table_grow(env->inst->tables[table], delta, ref_of(init));
}

weft_status jit_rt_table_fill(jit_env *env, uint32_t table, uint32_t i, uint64_t val, uint32_t n)
{
    return inst_table_fill(env->inst->tables[table], i, ref_of(val), n, env->err);
}

weft_status jit_rt_table_copy(jit_env *env, uint32_t dst_table, uint32_t src_table, uint32_t d,
                              uint32_t s, uint32_t n)
{
    weft_table **t = env->inst->tables;
    return inst_table_copy(t[dst_table], t[src_table], d, s, n, env->err);
}

weft_status jit_rt_table_init(jit_env *env, uint32_t table, uint32_t elem, uint32_t d, uint32_t s,
                              uint32_t n)
{
    return inst_table_init(env->inst, table, elem, d, s, n, env->err);
}

void jit_rt_elem_drop(jit_env *env, uint32_t elem) { inst_elem_drop(env->inst, elem); }

/* Bulk memory checks the whole range before it writes anything, so nothing
 * here can fault, whatever the bounds mode. */
weft_status jit_rt_memory_fill(jit_env *env, uint32_t d, uint32_t v, uint32_t n)
{
    if (!mem_in_bounds(env->inst->memory0, d, n))
        return err_set(env->err, WEFT_E_OOB_MEMORY, WEFT_NO_OFFSET, NULL);
    guest_fill(env->inst->mem0 + d, (uint8_t)v, n);
    return WEFT_OK;
}

weft_status jit_rt_memory_copy(jit_env *env, uint32_t d, uint32_t s, uint32_t n)
{
    const weft_memory *m = env->inst->memory0;
    if (!mem_in_bounds(m, d, n) || !mem_in_bounds(m, s, n))
        return err_set(env->err, WEFT_E_OOB_MEMORY, WEFT_NO_OFFSET, NULL);
    guest_move(env->inst->mem0 + d, env->inst->mem0 + s, n);
    return WEFT_OK;
}

weft_status jit_rt_memory_init(jit_env *env, uint32_t data, uint32_t d, uint32_t s, uint32_t n)
{
    return inst_memory_init(env->inst, 0, data, d, s, n, env->err);
}

void jit_rt_data_drop(jit_env *env, uint32_t data) { inst_data_drop(env->inst, data); }

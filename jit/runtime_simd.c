/*
 * runtime_simd.c -- the generic path of the SIMD templates (emit_simd.c):
 * jit_rt_simd runs one SIMD instruction with the interpreter's own body for
 * it.  engine/simd_ops.h is included here exactly as interp.c's loop
 * includes it, with the names it expects (CASE, NEXT, TRAP, X1..Y3, fp, inst,
 * mem, memory, SW_BOUNDS) bound to this helper's arguments, so the lane
 * arithmetic, the memory forms, their bounds checks and traps are the same
 * code in both tiers, in the vector and the WEFT_SIMD_SCALAR builds alike.
 *
 * Guard-mode accesses fault here as they do in the interpreter: the fault
 * handler claims any fault of this thread inside wasm in one of its memory
 * reservations, wherever the PC is.
 */
#include "engine/memory.h"
#include "engine/simd.h"
#include "jit/jit_internal.h"

/* The slot accessors simd_ops.h uses (interp.c has the same two). */
static inline uint32_t g_u32(uint64_t v) { return (uint32_t)v; }
static inline uint64_t p_u32(uint32_t v) { return v; }

weft_status jit_rt_simd(jit_env *env, uint64_t *fp, const cmp_cell *pc)
{
    jit_tsan_reached(); /* the cells may be another thread's translation */
    weft_instance *inst = env->inst;
    uint8_t *mem = env->mem;
    weft_memory *memory = inst->memory0;
    (void)mem, (void)memory;
#define X1 (pc[1].s.x)
#define Y1 (pc[1].s.y)
#define X2 (pc[2].s.x)
#define Y2 (pc[2].s.y)
#define X3 (pc[3].s.x)
#define CASE(id) case CO_##id:
#define NEXT(n) return WEFT_OK
#define TRAP(c) return jit_rt_trap(env, WEFT_E_##c, UINT32_MAX) /* the cell is noted */
#define SW_BOUNDS(ea, n)                                                       \
    if (WEFT_UNLIKELY((ea) + (n) > mem_size(memory)))                          \
        TRAP(OOB_MEMORY)
    switch ((cmp_op)pc->op) {
#include "engine/simd_ops.h"
    default:
        goto bad_code;
    }
bad_code:
    return err_set(env->err, WEFT_E_UNSUPPORTED, WEFT_NO_OFFSET, "internal: bad instruction");
#undef X1
#undef Y1
#undef X2
#undef Y2
#undef X3
#undef CASE
#undef NEXT
#undef TRAP
#undef SW_BOUNDS
}

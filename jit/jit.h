/*
 * jit.h -- the compiler tier (jit_): weft's internal code (engine/code.h) to
 * x86-64 machine code, one function at a time, on its first call
 * (docs/compiler.md).
 *
 * The engine asks for it from cmp_get when weft_config.tier is WEFT_TIER_JIT:
 * the function is translated with op numbers in its cells, compiled, and what
 * gets published is a small cmp_code whose one cell is JIT_ENTER and whose
 * `jit` holds the machine code.  A function the compiler cannot take yet (an
 * instruction with no template) is translated again for the interpreter, so
 * the two tiers mix freely, frame by frame, on one value stack and one list
 * of frame records.
 */
#ifndef WEFT_JIT_H
#define WEFT_JIT_H

#include "engine/code.h"
#include "engine/guest_access.h"
#include "threads/thread.h"

struct jit_func;

/* True on hosts the compiler targets (x86-64 with SSE2, System V). */
WEFT_INTERNAL bool jit_supported(void);

/* Compiles `ops` (translated with cmp_op numbers in its cells).  On success
 * *out is the code to publish (see above), which now owns ops; when the
 * compiler cannot take the function, WEFT_OK with *out NULL and ops still the
 * caller's.  Errors: out of memory, or the embedder's
 * code allocator failing. */
WEFT_INTERNAL weft_status jit_compile(const weft_module *m, cmp_code *ops, cmp_code **out,
                                      weft_error *err);

/* For tests of tiers mixed frame by frame: when set, functions for which it
 * returns true are refused as if an instruction had no template, and run in
 * the interpreter.  NULL (no refusals) outside such tests. */
WEFT_INTERNAL extern bool (*_Atomic jit_refuse)(const weft_module *m, uint32_t func_index);

/* Called once compiled code `c` of function `func_index` is published: lets
 * compiled callers call it directly from now on. */
WEFT_INTERNAL void jit_publish(const weft_module *m, uint32_t func_index, const cmp_code *c);

/* The cell of compiled function f's instruction holding native address pc,
 * or UINT32_MAX if pc is not in its code. */
WEFT_INTERNAL uint32_t jit_cell_at(const struct jit_func *f, uintptr_t pc);
/* How many locals f keeps in registers (jit/pin.c), for tests. */
WEFT_INTERNAL uint32_t jit_func_pinned(const struct jit_func *f);

/* Frees what the compiler keeps per module (its code arena), after every
 * function's code (module teardown). */
WEFT_INTERNAL void jit_module_free(weft_module *m);

/* Frees a function's machine code (cmp_free). */
WEFT_INTERNAL void jit_func_free(const weft_engine *e, struct jit_func *f);

/* Runs compiled function `code` of `inst` with its frame at fp, whose record
 * the caller has pushed and whose locals it has set (interp.c, JIT_ENTER).
 * Results are left in fp[0..).  On a trap, err holds it and its backtrace. */
WEFT_INTERNAL weft_status jit_run(thr_context *ctx, weft_instance *inst, uint64_t *fp,
                                  const cmp_code *code, weft_error *err);

/* ThreadSanitizer builds.  Compiled code finds a function another thread
 * compiled through mod_code.jit_entry with a plain x86 load (an acquire under
 * x86's ordering, which TSan does not see, as it sees no compiled code) and
 * then hands the published code to C: frame records name its cmp_code, the
 * generic SIMD path reads its cells.  Publishing releases, and the C code
 * that reads what it reached that way acquires, on one object. */
#if WEFT_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
extern char jit_tsan_sync;
static inline void jit_tsan_published(void) { __tsan_release(&jit_tsan_sync); }
static inline void jit_tsan_reached(void) { __tsan_acquire(&jit_tsan_sync); }
#else
static inline void jit_tsan_published(void) {}
static inline void jit_tsan_reached(void) {}
#endif

#endif /* WEFT_JIT_H */

/*
 * interp.h -- the interpreter's entry (interp_).  The internal code it runs is
 * drawn in engine/code.h; translation (cmp_) happens lazily on a function's
 * first call, and is safe under threads.
 *
 * Values cross this boundary as 64-bit slots: i32 and f32 in the low 32 bits,
 * i64 and f64 in the whole slot, v128 in two slots (low half first), a
 * reference as a pointer (weft_func * for funcref, NULL for null).
 */
#ifndef WEFT_INTERP_H
#define WEFT_INTERP_H

#include "engine/instance.h"
#include "threads/thread.h"

/* Runs wasm function `f` on this thread: its arguments in slots[0..), its
 * results written to slots[0..) (the array has room for both).  Must run inside
 * thr_enter (guard-page faults become traps there).  A trap returns WEFT_TRAP
 * with err filled, backtrace included. */
WEFT_INTERNAL weft_status interp_invoke(thr_context *ctx, weft_func *f, uint64_t *slots,
                                        weft_error *err);

/* Call after thr_enter returned a trap: if a guard-page fault longjmp'd out of
 * interp_invoke, fills err's backtrace (when empty) from the frame records the
 * interpreter left in ctx, and forgets those frames.  Otherwise does nothing. */
WEFT_INTERNAL void interp_after_trap(thr_context *ctx, weft_error *err);

/* Number of slots a value type takes (v128: 2). */
static inline uint32_t interp_slots_of(mod_valtype t) { return t == VT_V128 ? 2 : 1; }

#endif /* WEFT_INTERP_H */

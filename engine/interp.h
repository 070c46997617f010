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

/* A frame record (interp.c): one per live wasm frame of either tier, at the
 * far end of the thread's value stack, growing down; ctx->interp_top is the
 * innermost.  Compiled code (jit/) pushes and pops the same records, so one
 * walk names every frame and one limit counts them. */
typedef struct interp_frame {
    const struct cmp_code *code; /* NULL: an entry marker                        */
    weft_instance *inst;    /* NULL in a marker too (the return path tests it) */
    uint64_t *fp;
    union {
        const union cmp_cell *ret_pc;    /* interpreted callers: where they resume;
                                            NULL: the caller is compiled code or an
                                            entry (a single result goes to fp[0]) */
        struct interp_frame *prev_entry; /* markers: the entry below         */
    };
    union {
        uint32_t entry_depth; /* markers: ctx->depth while this entry runs     */
        uint32_t at;          /* frames: the cell of the call this frame is in
                                 when its callee has no record to say so (a host
                                 function, or compiled code's callees), or where
                                 compiled code trapped; UINT32_MAX: unknown */
    };
} interp_frame;

/* The lowest address a frame record may take on this thread (the depth limit,
 * or the value stack's start). */
WEFT_INTERNAL uintptr_t interp_record_floor(const thr_context *ctx, const weft_instance *inst);

/* Fills err's backtrace (when empty) from the records from ctx->interp_top,
 * with each frame's module byte offset where it is known. */
WEFT_INTERNAL void interp_backtrace(const thr_context *ctx, weft_error *err);

/* Runs wasm function `f` on this thread: its arguments in slots[0..), its
 * results written to slots[0..) (the array has room for both).  Must run inside
 * thr_enter (guard-page faults become traps there).  A trap returns WEFT_TRAP
 * with err filled, backtrace included. */
WEFT_INTERNAL weft_status interp_invoke(thr_context *ctx, weft_func *f, uint64_t *slots,
                                        weft_error *err);

/* Runs `code` of `inst` (translated or compiled) with its frame at base, its
 * arguments already there and its results left there: a call from compiled
 * code (jit/) into a function it does not call directly. */
WEFT_INTERNAL weft_status interp_invoke_at(thr_context *ctx, weft_instance *inst,
                                           const struct cmp_code *code, uint64_t *base,
                                           weft_error *err);

/* Call after thr_enter returned a trap: if a guard-page fault longjmp'd out of
 * interp_invoke, fills err's backtrace (when empty) from the frame records the
 * interpreter left in ctx, and forgets those frames.  Otherwise does nothing. */
WEFT_INTERNAL void interp_after_trap(thr_context *ctx, weft_error *err);

/* Number of slots a value type takes (v128: 2). */
static inline uint32_t interp_slots_of(mod_valtype t) { return t == VT_V128 ? 2 : 1; }

#endif /* WEFT_INTERP_H */

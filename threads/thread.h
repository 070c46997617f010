/*
 * thread.h -- the per-OS-thread execution context (thr_) and trap delivery
 * (DESIGN.md invariant 2).
 *
 * Every OS thread that runs wasm has one thr_context, made lazily on its first
 * entry and released when the thread ends (a pthread key destructor): its value
 * stack, call depth, alternate signal stack and the jump buffer of the
 * innermost host->wasm entry.  One process-wide SIGSEGV/SIGBUS handler
 * (SA_SIGINFO|SA_ONSTACK|SA_NODEFER, installed once) claims a fault only when
 * the faulting thread is inside wasm and the address lies in one of the
 * reservations its context lists; then it records the trap and siglongjmps to
 * the entry.  Every other fault goes to the handler installed before weft's
 * (or the default action).  This is the only longjmp in weft (STYLE.md 8).
 *
 * Each entry also guards what the handler cannot: it traps "call stack
 * exhausted" before the native stack runs out (host -> wasm -> host -> ...
 * recursion), and an outermost entry unblocks SIGSEGV/SIGBUS for as long as
 * wasm runs (a blocked synchronous fault kills the process).
 */
#ifndef WEFT_THREAD_H
#define WEFT_THREAD_H

#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>

#include "engine/internal.h"

#define THR_MAX_RESERVATIONS 16

typedef struct thr_reservation {
    uintptr_t start, end;
} thr_reservation;

typedef struct thr_context {
    /* Value stack: locals and operands of every wasm frame of this thread. */
    uint64_t *stack;
    uint64_t *stack_end;
    size_t stack_bytes;
    uint32_t depth;          /* wasm frames now live                        */

    /* Guard-page trap delivery.  `jmp` is the innermost entry's buffer (NULL
     * outside wasm); entries nest (wasm -> host -> wasm) and restore it. */
    sigjmp_buf *volatile jmp;
    volatile sig_atomic_t inside_wasm;
    volatile sig_atomic_t nreservations;
    thr_reservation reservations[THR_MAX_RESERVATIONS];
    volatile uintptr_t fault_addr; /* set by the handler                    */

    /* Group termination (wasi-threads): points at the group's flag, polled at
     * loop back-edges and calls; NULL when the thread belongs to no group. */
    _Atomic int *terminate;
    /* The thread group (threads/group.h) this thread runs for, or NULL, and
     * its wasi-threads id there (0: the entry thread).  Set together with
     * `terminate` by the group, read by this thread only. */
    struct thr_group *group;
    uint32_t tid;

    /* The interpreter's frame records (engine/interp.c): the innermost frame
     * and the innermost entry marker.  Kept here, not in locals, so that a
     * trap that longjmps out of wasm still leaves a backtrace to read. */
    void *interp_top;
    void *interp_entry;

    void *altstack;          /* mmap'd alternate signal stack, guard page first */
    size_t altstack_size;    /* bytes mapped at altstack, guard page included    */
    stack_t prev_altstack;   /* what the thread had before ours; restored at exit */
    uint32_t next_slot;      /* reservation slot to reuse once all are taken     */

    /* The native stack of this thread, found on its first entry (thr_enter):
     * an entry whose frame lies in [native_base, native_base + native_margin)
     * traps instead of running.  native_margin 0: bounds unknown, no check. */
    uintptr_t native_base;   /* lowest address of the stack                      */
    size_t native_margin;    /* room kept for the last host function and traps   */
    bool native_known;       /* the bounds were looked up (successfully or not)  */
    /* An entry has unblocked SIGSEGV/SIGBUS and will block them again. */
    bool faults_unblocked;
} thr_context;

/* This thread's context, made on first use (value stack of at least
 * `stack_bytes`; an existing smaller one grows when no wasm is running).
 * NULL if out of memory. */
WEFT_INTERNAL thr_context *thr_current(size_t stack_bytes);

/* Installs the signal handler once per process (idempotent, thread-safe). */
WEFT_INTERNAL weft_status thr_install_handler(weft_error *err);

/* Lets the handler claim faults in [start, start + len) on this thread
 * (idempotent).  Call before running code that may touch a memory. */
WEFT_INTERNAL void thr_allow_range(thr_context *ctx, const void *start, size_t len);

/* The one host->wasm entry: marks the thread inside wasm, sets the jump buffer,
 * runs fn(arg), restores the previous state.  A guard-page fault inside fn
 * comes back as WEFT_TRAP "out of bounds memory access" in err.  Nests.
 * Traps "call stack exhausted" without running fn when the native stack is
 * nearly spent.  The outermost entry that may fault (the thread has
 * reservations) unblocks SIGSEGV/SIGBUS while fn runs and blocks again, after
 * a return or a trap, what the caller had blocked. */
WEFT_INTERNAL weft_status thr_enter(thr_context *ctx, weft_status (*fn)(void *arg), void *arg,
                                    weft_error *err);

#endif /* WEFT_THREAD_H */

/*
 * group.h -- thread groups (thr_group_): the OS threads of one wasi-threads
 * program and how they end together (DESIGN.md invariant 4).
 *
 * A group has
 *  - a terminate flag.  Each member's thr_context.terminate points at it; the
 *    interpreter polls it at loop back-edges and calls, the parking lot before
 *    parking and after every wake-up, and a set flag makes the thread trap
 *    with "terminated";
 *  - its members: every OS thread the group spawned (the entry thread, on
 *    which the program's entry function runs, is attached, not spawned);
 *  - thread ids: 0 is the entry thread; spawned threads get the lowest free id
 *    in [1, THR_GROUP_MAX_TID], so ids are sequential while no thread ends and
 *    an id is reused once its thread has ended (it is released after
 *    wasi_thread_start has returned, never while the guest could still use it);
 *  - the status: the first ending wins -- a trap or error in any thread (with
 *    that thread's id and backtrace), proc_exit (WEFT_EXIT), the end of the
 *    entry function (WEFT_OK), or weft_program_terminate.
 *
 * Ending a group (thr_group_end): record the status, set the flag (seq_cst),
 * wake every waiter of the shared memory (weft_memory_wake_all), call the
 * interrupt hook (the program passes wasi_interrupt, which unblocks poll_oneoff
 * and reads).  Joining it (thr_group_join) waits for every member's OS thread.
 * A member that returns normally ends alone: its id is released and its OS
 * thread is joined later (by the next spawn or by thr_group_join).
 *
 * Locking: `lock` guards the member lists, the id bitmap and the status; it is
 * a leaf, and pthread_create and pthread_join run outside it (group.c says
 * why).  The flag is an atomic read anywhere.
 */
#ifndef WEFT_GROUP_H
#define WEFT_GROUP_H

#include <stdatomic.h>

#include "threads/thread.h"

#define THR_GROUP_MAX_TID 0x1FFFFFFFu

/* wasi-threads' limits when the program config says 0.  A spawned thread
 * costs little resident memory: wasm frames live on its value stack (touched
 * only as deep as the guest goes), and the native stack only holds the
 * interpreter loop, host calls and nested entries -- so 2 MiB is plenty, also
 * under the sanitizers, and both are virtual until used.  Both live in the
 * thread's one context mapping (thr_context_new), made before the spawn
 * returns. */
#define THR_GROUP_DEFAULT_MAX_THREADS 2048u
#define THR_GROUP_DEFAULT_STACK_BYTES ((size_t)2 << 20)

/* Contexts (value, native and alternate signal stacks: threads/thread.h) of
 * joined members kept for new ones: 16 x ~10 MiB of address space, a few
 * touched pages of memory each. */
#define THR_GROUP_SPARE_CONTEXTS 16u

typedef struct thr_group thr_group;

/* What a member thread runs: `arg` given to thr_group_spawn, `tid` its id.
 * WEFT_OK ends only this thread; anything else ends the group with that
 * status (err->thread_id is filled in by the group). */
typedef weft_status (*thr_member_fn)(void *arg, uint32_t tid, weft_error *err);

typedef struct thr_group_config {
    uint32_t max_threads;        /* spawned threads alive at once; 0: default */
    size_t stack_bytes;          /* native stack of each spawned thread; 0: default */
    weft_memory *memory;         /* woken on termination (may be NULL); borrowed */
    void (*interrupt)(void *user); /* called once on termination (may be NULL) */
    void *interrupt_user;
} thr_group_config;

WEFT_INTERNAL weft_status thr_group_new(weft_engine *e, const thr_group_config *cfg,
                                        thr_group **out, weft_error *err);
/* Ends the group if it still runs (status "terminated"), joins it, frees it. */
WEFT_INTERNAL void thr_group_free(thr_group *g);

/* Starts a member thread running fn(arg, tid).  Returns its id (> 0), or a
 * negative WASI errno when the group is ending, max_threads threads are alive,
 * the thread's context (stacks included) cannot be mapped or the OS cannot
 * make a thread; then `drop` has not been called and the id is free again.
 * Everything the thread needs is made before the id is returned: a thread
 * that starts cannot fail for want of memory before fn runs.  After a
 * success the group calls drop(arg) on the member's thread when fn returns. */
WEFT_INTERNAL int32_t thr_group_spawn(thr_group *g, thr_member_fn fn, void *arg,
                                      void (*drop)(void *arg));

/* Makes the calling thread run as member `tid` of `g` (its thr_context points
 * at the group's flag) until thr_group_detach puts back what was there.  For
 * the entry thread, which the group did not spawn.  False if out of memory. */
typedef struct thr_attach {
    thr_context *ctx;
    _Atomic int *terminate;
    uint32_t tid;
    thr_group *group;
} thr_attach;
WEFT_INTERNAL bool thr_group_attach(thr_group *g, uint32_t tid, thr_attach *saved);
WEFT_INTERNAL void thr_group_detach(const thr_attach *saved);

/* Ends the group with `st` (err, if given, says how; WEFT_OK: the entry
 * returned) unless it has ended already: the first ending wins.  Sets the
 * flag, wakes waiters and calls the interrupt hook, then returns at once.
 * Thread-safe.  Returns true if this call decided the status. */
WEFT_INTERNAL bool thr_group_end(thr_group *g, weft_status st, const weft_error *err);

/* Waits until every spawned thread has ended and joins it.  Call after
 * thr_group_end, from a thread that is not a member. */
WEFT_INTERNAL void thr_group_join(thr_group *g);

/* True once thr_group_end has run (the flag is set). */
WEFT_INTERNAL bool thr_group_ending(const thr_group *g);

/* The status the group ended with (WEFT_OK and err code NONE if it has not
 * ended); copies it into *err if not NULL. */
WEFT_INTERNAL weft_status thr_group_status(thr_group *g, weft_error *err);

/* Spawned threads alive now (for tests and diagnostics). */
WEFT_INTERNAL uint32_t thr_group_live(thr_group *g);

#endif /* WEFT_GROUP_H */

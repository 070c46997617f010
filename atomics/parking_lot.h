/*
 * parking_lot.h -- memory.atomic.wait32/64 and memory.atomic.notify (atom_),
 * DESIGN.md invariant 5.
 *
 * Waiters park in a table keyed by the byte address they wait on (hashed into
 * buckets, each with its own lock, so waits on different addresses do not
 * contend).  A memory's lot is made on the first wait (a notify before any
 * wait has nobody to wake and makes none) and hangs off
 * weft_memory.lot (published with a compare-exchange); mem_release frees it.
 *
 * Guarantees: the value check and the enqueue happen under the bucket lock, so
 * a notify that follows a store cannot be missed; a waiter returns 0 only when
 * a notify (or atom_wake_all) chose it -- never spuriously; notify wakes in
 * FIFO order per address and returns the number it woke; timeouts are
 * nanoseconds turned into one absolute CLOCK_MONOTONIC deadline at entry
 * (negative: no deadline).
 *
 * Speed: a waiter spins for up to ~20 us, never past its deadline, before
 * it sleeps in the kernel, and a notify makes a FUTEX_WAKE system call only
 * for a waiter that went to sleep; so a notify that follows a wait closely
 * costs no system call on either side.  Nobody spins on a one-CPU machine,
 * nor, for a while, on an address whose notifier was found to share the
 * waiter's CPU (the spin would only keep it from running).
 *
 * Lock order: a bucket lock is a leaf.
 */
#ifndef WEFT_PARKING_LOT_H
#define WEFT_PARKING_LOT_H

#include <stdatomic.h>

#include "engine/memory.h"

enum { ATOM_WAIT_OK = 0, ATOM_WAIT_NOT_EQUAL = 1, ATOM_WAIT_TIMED_OUT = 2 };

/* memory.atomic.wait32 (width 4) / wait64 (width 8) at byte address `addr`
 * (already including the instruction's offset).  Checks, in the spec's order:
 * the memory is shared (else WEFT_TRAP "expected shared memory"), the address
 * is aligned ("unaligned atomic") and in bounds ("out of bounds memory
 * access").  Then *result = ATOM_WAIT_NOT_EQUAL if the value there (read with a
 * seq_cst atomic load) is not `expected`, else parks until notified (0) or the
 * deadline passes (2).  `terminate`, if not NULL, is the thread group's flag:
 * it is read under the bucket lock just before parking and again after every
 * wake-up; when set, the wait ends with WEFT_TRAP "terminated".  A terminator
 * sets the flag first and then calls atom_wake_all, so no waiter can miss it. */
WEFT_INTERNAL weft_status atom_wait(weft_memory *m, uint64_t addr, uint64_t expected,
                                    unsigned width, int64_t timeout_ns,
                                    const _Atomic int *terminate, uint32_t *result,
                                    weft_error *err);

/* memory.atomic.notify: wakes up to `count` waiters of `addr`, oldest first;
 * *woken gets the number.  Checks alignment (4) and bounds; on a memory that
 * is not shared nobody can wait, so it wakes 0. */
WEFT_INTERNAL weft_status atom_notify(weft_memory *m, uint64_t addr, uint32_t count,
                                      uint32_t *woken, weft_error *err);

/* Wakes every waiter of `m` (each wait returns 0); returns how many. */
WEFT_INTERNAL uint32_t atom_wake_all(weft_memory *m);

/* How many threads are parked on `addr` right now (for tests and diagnostics:
 * by the time it returns the number may have changed). */
WEFT_INTERNAL uint32_t atom_waiter_count(weft_memory *m, uint64_t addr);

/* Frees a memory's lot (no waiter may remain).  Called by mem_release. */
WEFT_INTERNAL void atom_lot_free(weft_engine *e, struct atom_lot *lot);

#endif /* WEFT_PARKING_LOT_H */

/*
 * wasi.h -- WASI preview 1 as the rest of weft sees it (wasi_): one context
 * per program (thread group) holding the fd table, preopens, args and
 * environment, and the host functions that implement
 * `wasi_snapshot_preview1` over it (DESIGN.md invariant 7).
 *
 * A context is shared by every thread of its group: every call is safe under
 * concurrent use, and works on buffers in shared memory.
 */
#ifndef WEFT_WASI_H
#define WEFT_WASI_H

#include "engine/internal.h"

typedef struct wasi_ctx wasi_ctx;

/* Makes a context from `cfg` (strings copied; preopens opened now: a preopen
 * that cannot be opened fails with WEFT_IO naming it). */
WEFT_INTERNAL weft_status wasi_new(weft_engine *e, const weft_program_config *cfg, wasi_ctx **out,
                                   weft_error *err);
/* Closes every fd the context opened (never the host's stdio) and frees it. */
WEFT_INTERNAL void wasi_free(wasi_ctx *w);

/* True when `module` is a WASI module name this context answers
 * ("wasi_snapshot_preview1", and "wasi_unstable" if supported). */
WEFT_INTERNAL bool wasi_provides(const weft_name *module);

/* The host function for import `name` of a WASI module: *out is borrowed (it
 * lives as long as the context; every instance of the group shares it).
 * WEFT_UNLINKABLE "unknown import" when WASI has no such function.  The
 * caller's linking checks the type. */
WEFT_INTERNAL weft_status wasi_import(wasi_ctx *w, const weft_name *name, weft_func **out,
                                      weft_error *err);

/* Group termination: from now on every blocking call (poll_oneoff, reads and
 * writes on pipes, terminals and sockets, sock_accept, path_open of a FIFO)
 * returns at once, and
 * every call made afterwards fails, with WEFT_TRAP "terminated".
 * Thread-safe and idempotent; returns at once. */
WEFT_INTERNAL void wasi_interrupt(wasi_ctx *w);

#endif /* WEFT_WASI_H */

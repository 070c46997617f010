/*
 * clock.h -- WASI clock ids on the host (wasi_clock_*), for clock.c and
 * poll.c.
 */
#ifndef WEFT_WASI_CLOCK_H
#define WEFT_WASI_CLOCK_H

#include <time.h>

#include "wasi/fd_table.h"

/* The host clock of WASI clock `id`; false for an unknown id. */
WEFT_INTERNAL bool wasi_clock_host(uint32_t id, clockid_t *out);
/* Nanoseconds on host clock `id`. */
WEFT_INTERNAL uint64_t wasi_clock_now(clockid_t id);

#endif /* WEFT_WASI_CLOCK_H */

/*
 * spectest.h -- the `spectest` host module every spec script may import from:
 * print functions that do nothing, four globals holding 666 / 666.6, a
 * funcref table of 10..20 elements, a memory of 1..2 pages and, for the
 * threads proposal, a shared memory of 1..2 pages.
 *
 * Each object is made on first use (so a script that imports nothing never
 * reserves a memory), through the public API only, and lives until
 * spectest_free; instances that import an object hold their own reference.
 */
#ifndef SPEC_SPECTEST_H
#define SPEC_SPECTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "weft.h"

typedef struct spectest spectest;

/* NULL when out of memory. */
spectest *spectest_new(weft_engine *engine);
void spectest_free(spectest *st);

/*
 * Looks up export `name` (`len` bytes).  Returns WEFT_OK with *found false if
 * spectest has no such export, WEFT_OK with *found and *out set if it has, or
 * the failing status (in err) if the object could not be made -- for
 * instance WEFT_UNSUPPORTED while the engine cannot make memories yet.
 * *out is borrowed: valid until spectest_free.
 */
weft_status spectest_lookup(spectest *st, const char *name, size_t len, bool *found,
                            weft_extern *out, weft_error *err);

#endif /* SPEC_SPECTEST_H */

/*
 * host_realloc.h -- a weft_realloc_fn over the C library for unit tests that
 * drive internal modules without an engine.  user: NULL, or an int budget
 * of allocations (not frees) that succeed before every later one fails.
 */
#ifndef WEFT_TEST_HOST_REALLOC_H
#define WEFT_TEST_HOST_REALLOC_H

#include <stdlib.h>

static inline void *host_realloc(void *user, void *p, size_t n)
{
    int *budget = user;
    if (n == 0) {
        free(p);
        return NULL;
    }
    if (budget && (*budget)-- <= 0)
        return NULL;
    return realloc(p, n);
}

#endif /* WEFT_TEST_HOST_REALLOC_H */

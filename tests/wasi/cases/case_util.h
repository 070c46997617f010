/* case_util.h -- output and checks shared by the C cases.  Each cases/NAME.c is
 * a program of its own (tests/wasi/CMakeLists.txt), so this is a header of
 * static inline functions.  They call WASI directly, not stdio, so that a
 * case tests only the calls it means to. */
#ifndef WEFT_WASI_CASE_UTIL_H
#define WEFT_WASI_CASE_UTIL_H

#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

/* Writes s to stdout; exits 99 if it cannot. */
static inline void put(const char *s)
{
    __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
    __wasi_size_t n;
    if (__wasi_fd_write(1, &iov, 1, &n) != 0)
        exit(99);
}

/* A failed check prints "failed check at LINE/STEP" (its line, and the
 * running count of checks) and exits 1. */
#define check(ok) check_at((ok), __LINE__)
static inline void check_at(int ok, int line)
{
    static int step;
    step++;
    if (!ok) {
        char msg[32] = "failed check at ";
        int n = 16;
        for (int d = 100; d > 0; d /= 10)
            msg[n++] = (char)('0' + line / d % 10);
        msg[n++] = '/';
        for (int d = 100; d > 0; d /= 10)
            msg[n++] = (char)('0' + step / d % 10);
        msg[n++] = '\n';
        msg[n] = '\0';
        put(msg);
        exit(1);
    }
}

#endif /* WEFT_WASI_CASE_UTIL_H */

/*
 * bench_util.h -- what the benchmark harnesses (weft_main.c,
 * startup/startup_main.c, threaded/driver.c) share: a monotonic clock and
 * reading a module file.  Header-only: each harness is built by a plain
 * compiler command in its build script.
 */
#ifndef WEFT_BENCH_UTIL_H
#define WEFT_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC. */
static inline double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The whole file at `path` (malloc'ed, freed by the caller) and its length in
 * *size; NULL if it cannot be read. */
static inline uint8_t *bench_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;
    *size = 0;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        *size = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

#endif /* WEFT_BENCH_UTIL_H */

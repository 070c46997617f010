/*
 * native_main.c -- the native runner: links with one kernel, calls its run()
 * `warmup` times untimed and `repeat` times timed (CLOCK_MONOTONIC around
 * each call), and prints what bench.py reads:
 *
 *     checksum <u64 decimal>
 *     ms <milliseconds of one call>      (one line per timed call)
 *
 * usage: native_KERNEL [warmup [repeat]]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

uint64_t run(void);

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    int warmup = argc > 1 ? atoi(argv[1]) : 1;
    int repeat = argc > 2 ? atoi(argv[2]) : 3;
    uint64_t first = 0;
    int have_first = 0;
    for (int i = 0; i < warmup + repeat; i++) {
        double t0 = now_ms();
        uint64_t sum = run();
        double t1 = now_ms();
        if (!have_first) {
            first = sum, have_first = 1;
            printf("checksum %" PRIu64 "\n", sum);
        } else if (sum != first) {
            /* run() must be repeatable; a kernel that is not is a bench bug. */
            fprintf(stderr, "native: run() returned %" PRIu64 " then %" PRIu64 "\n", first, sum);
            return 1;
        }
        if (i >= warmup)
            printf("ms %.3f\n", t1 - t0);
    }
    return 0;
}

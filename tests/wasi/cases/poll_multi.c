/* poll_oneoff with several subscriptions: clocks (relative and absolute),
 * fd readiness, errors per subscription, and the EINVAL/EFAULT cases.
 * stdin is an open pipe that never gets data (the runner keeps it open). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define CHECK(c)                                                         \
    do {                                                                 \
        if (!(c)) {                                                      \
            fprintf(stderr, "check failed line %d: %s\n", __LINE__, #c); \
            exit(1);                                                     \
        }                                                                \
    } while (0)

static __wasi_timestamp_t now(__wasi_clockid_t id)
{
    __wasi_timestamp_t t = 0;
    CHECK(__wasi_clock_time_get(id, 1, &t) == 0);
    return t;
}

static __wasi_subscription_t clock_sub(uint64_t ud, __wasi_clockid_t id, uint64_t timeout, int abs)
{
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = ud;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = id;
    s.u.u.clock.timeout = timeout;
    s.u.u.clock.flags = abs ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
    return s;
}

static __wasi_subscription_t fd_sub(uint64_t ud, __wasi_eventtype_t type, __wasi_fd_t fd)
{
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = ud;
    s.u.tag = type;
    s.u.u.fd_read.file_descriptor = fd;
    return s;
}

int main(void)
{
    __wasi_subscription_t in[4];
    __wasi_event_t out[4];
    __wasi_size_t n = 99;
    const uint64_t ms = 1000000;

    /* One relative clock: it fires, and not before its time. */
    in[0] = clock_sub(7, __WASI_CLOCKID_MONOTONIC, 20 * ms, 0);
    __wasi_timestamp_t t0 = now(__WASI_CLOCKID_MONOTONIC);
    CHECK(__wasi_poll_oneoff(in, out, 1, &n) == 0);
    CHECK(now(__WASI_CLOCKID_MONOTONIC) - t0 >= 20 * ms);
    CHECK(n == 1 && out[0].userdata == 7 && out[0].type == __WASI_EVENTTYPE_CLOCK);
    CHECK(out[0].error == 0);

    /* Two clocks: only the earlier fires. */
    in[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 5 * 1000 * ms, 0);
    in[1] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, 10 * ms, 0);
    t0 = now(__WASI_CLOCKID_MONOTONIC);
    CHECK(__wasi_poll_oneoff(in, out, 2, &n) == 0);
    CHECK(n == 1 && out[0].userdata == 2);
    CHECK(now(__WASI_CLOCKID_MONOTONIC) - t0 < 2000 * ms);

    /* An absolute realtime deadline 15 ms ahead. */
    in[0] = clock_sub(3, __WASI_CLOCKID_REALTIME, now(__WASI_CLOCKID_REALTIME) + 15 * ms, 1);
    t0 = now(__WASI_CLOCKID_MONOTONIC);
    CHECK(__wasi_poll_oneoff(in, out, 1, &n) == 0);
    CHECK(n == 1 && out[0].userdata == 3 && out[0].error == 0);
    CHECK(now(__WASI_CLOCKID_MONOTONIC) - t0 >= 10 * ms);

    /* An absolute time already past fires at once. */
    in[0] = clock_sub(4, __WASI_CLOCKID_MONOTONIC, 1, 1);
    CHECK(__wasi_poll_oneoff(in, out, 1, &n) == 0);
    CHECK(n == 1 && out[0].userdata == 4);

    /* stdout is writable at once; the clock beside it does not fire. */
    in[0] = clock_sub(10, __WASI_CLOCKID_MONOTONIC, 5 * 1000 * ms, 0);
    in[1] = fd_sub(11, __WASI_EVENTTYPE_FD_WRITE, 1);
    t0 = now(__WASI_CLOCKID_MONOTONIC);
    CHECK(__wasi_poll_oneoff(in, out, 2, &n) == 0);
    CHECK(n == 1 && out[0].userdata == 11 && out[0].type == __WASI_EVENTTYPE_FD_WRITE);
    CHECK(out[0].error == 0);
    CHECK(now(__WASI_CLOCKID_MONOTONIC) - t0 < 2000 * ms);

    /* stdin never gets data: the clock fires, the read does not. */
    in[0] = fd_sub(20, __WASI_EVENTTYPE_FD_READ, 0);
    in[1] = clock_sub(21, __WASI_CLOCKID_MONOTONIC, 10 * ms, 0);
    CHECK(__wasi_poll_oneoff(in, out, 2, &n) == 0);
    CHECK(n == 1 && out[0].userdata == 21 && out[0].type == __WASI_EVENTTYPE_CLOCK);

    /* A bad fd is an event with its own error, delivered at once. */
    in[0] = fd_sub(30, __WASI_EVENTTYPE_FD_READ, 77);
    in[1] = clock_sub(31, __WASI_CLOCKID_MONOTONIC, 5 * 1000 * ms, 0);
    CHECK(__wasi_poll_oneoff(in, out, 2, &n) == 0);
    CHECK(n == 1 && out[0].userdata == 30 && out[0].error == __WASI_ERRNO_BADF);

    /* Several ready at once: both writes. */
    in[0] = fd_sub(40, __WASI_EVENTTYPE_FD_WRITE, 1);
    in[1] = fd_sub(41, __WASI_EVENTTYPE_FD_WRITE, 2);
    in[2] = fd_sub(42, __WASI_EVENTTYPE_FD_READ, 0);
    CHECK(__wasi_poll_oneoff(in, out, 3, &n) == 0);
    CHECK(n == 2 && out[0].userdata == 40 && out[1].userdata == 41);

    /* No subscriptions: EINVAL. */
    CHECK(__wasi_poll_oneoff(in, out, 0, &n) == __WASI_ERRNO_INVAL);
    /* An unknown clock: an event with EINVAL. */
    in[0] = clock_sub(50, 99, 0, 0);
    CHECK(__wasi_poll_oneoff(in, out, 1, &n) == 0);
    CHECK(n == 1 && out[0].userdata == 50 && out[0].error == __WASI_ERRNO_INVAL);

    printf("poll ok\n");
    return 0;
}

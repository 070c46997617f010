/* Every call family given a guest pointer outside memory returns EFAULT (21)
 * and the program goes on.  fd 3 is a preopened directory. */
#include <stdio.h>
#include <stdlib.h>
#include <wasi/api.h>

#define BAD ((void *)0xFFFFFFF0u)
static int failures;

static void expect_fault(const char *what, __wasi_errno_t got)
{
    if (got != __WASI_ERRNO_FAULT) {
        fprintf(stderr, "%s returned %u, expected EFAULT\n", what, got);
        failures++;
    }
}

int main(void)
{
    __wasi_size_t n1, n2;
    uint8_t buf[16];
    __wasi_ciovec_t civ_bad = {BAD, 4};
    __wasi_iovec_t iov_bad = {BAD, 4};
    __wasi_subscription_t sub = {0};
    __wasi_event_t ev;

    expect_fault("args_sizes_get", __wasi_args_sizes_get(BAD, &n2));
    expect_fault("args_sizes_get 2", __wasi_args_sizes_get(&n1, BAD));
    expect_fault("args_get", __wasi_args_get(BAD, BAD));
    expect_fault("environ_sizes_get", __wasi_environ_sizes_get(BAD, &n2));
    expect_fault("environ_get", __wasi_environ_get(BAD, BAD));
    expect_fault("clock_res_get", __wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, BAD));
    expect_fault("clock_time_get", __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, BAD));
    expect_fault("random_get", __wasi_random_get(BAD, 8));
    /* iovec arrays, iovec buffers and result pointers */
    expect_fault("fd_write iovs", __wasi_fd_write(1, BAD, 1, &n1));
    expect_fault("fd_write buffer", __wasi_fd_write(1, &civ_bad, 1, &n1));
    expect_fault("fd_write nwritten", __wasi_fd_write(1, &(__wasi_ciovec_t){buf, 1}, 1, BAD));
    expect_fault("fd_read buffer", __wasi_fd_read(0, &iov_bad, 1, &n1));
    expect_fault("fd_pwrite buffer", __wasi_fd_pwrite(1, &civ_bad, 1, 0, &n1));
    /* The runner's stdout is a regular file, so it can seek. */
    expect_fault("fd_seek", __wasi_fd_seek(1, 0, __WASI_WHENCE_CUR, BAD));
    expect_fault("fd_tell", __wasi_fd_tell(1, BAD));
    expect_fault("fd_fdstat_get", __wasi_fd_fdstat_get(1, BAD));
    expect_fault("fd_prestat_get", __wasi_fd_prestat_get(3, BAD));
    expect_fault("fd_prestat_dir_name", __wasi_fd_prestat_dir_name(3, BAD, 4));
    expect_fault("poll_oneoff in", __wasi_poll_oneoff(BAD, &ev, 1, &n1));
    expect_fault("poll_oneoff out", __wasi_poll_oneoff(&sub, BAD, 1, &n1));
    expect_fault("poll_oneoff nevents", __wasi_poll_oneoff(&sub, &ev, 1, BAD));
    expect_fault("poll_oneoff count", __wasi_poll_oneoff(&sub, &ev, 0x10000000, &n1));
    expect_fault("sock_recv", __wasi_sock_recv(1, &iov_bad, 1, 0, BAD, BAD));
    expect_fault("sock_send", __wasi_sock_send(1, &civ_bad, 1, 0, BAD));
    expect_fault("sock_accept", __wasi_sock_accept(3, 0, BAD));
    /* Still alive, and the calls still work with good pointers. */
    if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, (__wasi_timestamp_t *)buf) != 0)
        failures++;
    if (failures)
        return 1;
    printf("bad pointers ok\n");
    return 0;
}

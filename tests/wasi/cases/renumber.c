/* fd_renumber: moving stdout onto stderr's number, and the EBADF cases. */
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static void put(__wasi_fd_t fd, const char *s)
{
    __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
    __wasi_size_t n;
    if (__wasi_fd_write(fd, &iov, 1, &n) != 0 || n != strlen(s))
        exit(10);
}

int main(void)
{
    __wasi_fdstat_t st;
    __wasi_size_t n;
    __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
    /* Unknown source or target: EBADF, nothing changes. */
    if (__wasi_fd_renumber(77, 1) != __WASI_ERRNO_BADF)
        return 1;
    if (__wasi_fd_renumber(1, 77) != __WASI_ERRNO_BADF)
        return 2;
    if (__wasi_fd_renumber(1, 1) != 0)
        return 3;
    put(1, "one\n");
    /* stdout's entry moves to 2 (stderr's entry is closed); 1 is free. */
    if (__wasi_fd_renumber(1, 2) != 0)
        return 4;
    if (__wasi_fd_write(1, &iov, 1, &n) != __WASI_ERRNO_BADF)
        return 5;
    if (__wasi_fd_fdstat_get(1, &st) != __WASI_ERRNO_BADF)
        return 6;
    if (__wasi_fd_fdstat_get(2, &st) != 0)
        return 7;
    put(2, "two\n"); /* goes to stdout */
    if (__wasi_fd_close(2) != 0)
        return 8;
    if (__wasi_fd_close(2) != __WASI_ERRNO_BADF)
        return 9;
    return 0;
}

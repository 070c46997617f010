/*
 * fifo_open.c -- path_open of FIFOs keeps POSIX's rendezvous although weft
 * opens them without blocking (so that group termination can end the wait;
 * term.c checks that): `fifo_open` with /data preopened (fd 3) holding the
 * FIFOs a.fifo and b.fifo and the socket file s.sock, made by the driver.
 *   1. a thread opens a.fifo for writing before any reader: its open waits
 *      until the main thread opens it for reading, then its data arrives;
 *   2. the main thread opens b.fifo for reading before any writer: its read
 *      waits for the writer a thread brings later, then sees end of file
 *      when that writer closes;
 *   3. with the guest's fdflags nonblock, opening a FIFO for writing with no
 *      reader is ENXIO at once, and so is opening a socket file whatever
 *      the flags (it must not be mistaken for a FIFO waiting for a reader).
 */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#include "weft_guest.h"

#define PREOPEN_FD 3
#define MS 1000000

static int failures;

static void expect(bool ok, const char *what)
{
    if (!ok) {
        wg_stdio_lock();
        printf("FAILED: %s\n", what);
        wg_stdio_unlock();
        __atomic_fetch_add(&failures, 1, __ATOMIC_SEQ_CST);
    }
}

static __wasi_errno_t open_fifo(const char *name, bool write, __wasi_fdflags_t fl,
                                __wasi_fd_t *fd)
{
    return __wasi_path_open(PREOPEN_FD, 0, name, 0,
                            write ? __WASI_RIGHTS_FD_WRITE : __WASI_RIGHTS_FD_READ, 0, fl, fd);
}

static bool write_all(__wasi_fd_t fd, const char *s)
{
    __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
    __wasi_size_t n;
    return __wasi_fd_write(fd, &iov, 1, &n) == 0 && n == strlen(s);
}

/* Reads until end of file; returns the byte count, -1 on error. */
static int read_all(__wasi_fd_t fd, char *buf, size_t size)
{
    size_t got = 0;
    for (;;) {
        __wasi_iovec_t iov = {(uint8_t *)buf + got, size - 1 - got};
        __wasi_size_t n;
        if (__wasi_fd_read(fd, &iov, 1, &n) != 0)
            return -1;
        if (n == 0)
            break;
        got += n;
    }
    buf[got] = '\0';
    return (int)got;
}

static uint32_t writer_opened; /* case 1: set once the writer's open returned */

static void *writer_first(void *arg)
{
    (void)arg;
    __wasi_fd_t fd;
    __wasi_errno_t r = open_fifo("a.fifo", true, 0, &fd);
    __atomic_store_n(&writer_opened, 1, __ATOMIC_SEQ_CST);
    expect(r == 0, "1: open for writing waits for the reader and succeeds");
    if (r == 0) {
        expect(write_all(fd, "one"), "1: write");
        expect(__wasi_fd_close(fd) == 0, "close");
    }
    return NULL;
}

static void *writer_later(void *arg)
{
    (void)arg;
    wg_sleep_ns(50 * MS); /* the reader is in fd_read by now */
    __wasi_fd_t fd;
    __wasi_errno_t r = open_fifo("b.fifo", true, 0, &fd);
    expect(r == 0, "2: open for writing with a reader there");
    if (r == 0) {
        expect(write_all(fd, "two"), "2: write");
        wg_sleep_ns(20 * MS); /* the reader must not see end of file yet */
        expect(write_all(fd, "three"), "2: second write");
        expect(__wasi_fd_close(fd) == 0, "close");
    }
    return NULL;
}

int main(void)
{
    char buf[64];
    __wasi_fd_t fd;
    wg_thread *t;

    /* 1 */
    if (wg_thread_create(&t, 0, writer_first, NULL))
        return printf("spawn failed\n"), 1;
    wg_sleep_ns(50 * MS);
    expect(!__atomic_load_n(&writer_opened, __ATOMIC_SEQ_CST),
           "1: open for writing returned before any reader");
    expect(open_fifo("a.fifo", false, 0, &fd) == 0, "1: open for reading");
    expect(read_all(fd, buf, sizeof buf) == 3 && !strcmp(buf, "one"), "1: data arrives");
    expect(__wasi_fd_close(fd) == 0, "close");
    wg_thread_join(t);

    /* 2 */
    expect(open_fifo("b.fifo", false, 0, &fd) == 0, "2: open for reading before any writer");
    __wasi_fdstat_t st;
    expect(__wasi_fd_fdstat_get(fd, &st) == 0 && !(st.fs_flags & __WASI_FDFLAGS_NONBLOCK),
           "2: the fd is blocking");
    if (wg_thread_create(&t, 0, writer_later, NULL))
        return printf("spawn failed\n"), 1;
    expect(read_all(fd, buf, sizeof buf) == 8 && !strcmp(buf, "twothree"),
           "2: the read waits for the writer, then end of file");
    expect(__wasi_fd_close(fd) == 0, "close");
    wg_thread_join(t);

    /* 3 */
    expect(open_fifo("a.fifo", true, __WASI_FDFLAGS_NONBLOCK, &fd) == __WASI_ERRNO_NXIO,
           "3: nonblock open for writing without a reader is ENXIO");
    expect(open_fifo("s.sock", true, 0, &fd) == __WASI_ERRNO_NXIO,
           "3: a socket file is ENXIO at once");
    expect(open_fifo("s.sock", false, 0, &fd) == __WASI_ERRNO_NXIO,
           "3: a socket file is ENXIO at once (read)");

    printf("fifo rendezvous: %s\n", failures ? "WRONG" : "ok");
    return failures ? 1 : 0;
}

/*
 * fd_io.c -- the generic fd calls (see fd_table.h for the split with
 * wasi-fs): reads and writes (interruptible on pipes, terminals and
 * sockets), positioned I/O, seeking, closing, renumbering, fdstat and
 * prestat.
 */
#include "wasi/fd_table.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#define FD_MAX_IOV 128

static uint32_t arg_u32(const wasi_call *c, int i) { return (uint32_t)c->args[i].of.i32; }

/* Whether an operation on `e` may block for an unbounded time, and must
 * therefore wait interruptibly first. */
static bool fd_may_block(const wasi_fd *e)
{
    if (atomic_load_explicit(&e->fdflags, memory_order_relaxed) & WASI_FDFLAGS_NONBLOCK)
        return false;
    return e->filetype != WASI_FILETYPE_REGULAR_FILE && e->filetype != WASI_FILETYPE_DIRECTORY &&
           e->filetype != WASI_FILETYPE_BLOCK_DEVICE;
}

typedef struct fd_io_args {
    bool write, positioned;
    const struct iovec *iov;
    int n;
    off_t offset;
} fd_io_args;

static ssize_t fd_io(int host_fd, void *arg)
{
    const fd_io_args *a = arg;
    if (a->positioned)
        return a->write ? pwritev(host_fd, a->iov, a->n, a->offset)
                        : preadv(host_fd, a->iov, a->n, a->offset);
    return a->write ? writev(host_fd, a->iov, a->n) : readv(host_fd, a->iov, a->n);
}

/* fd_read, fd_write, fd_pread, fd_pwrite: args are (fd, iovs, iovs_len, [offset,] out). */
static wasi_errno fd_transfer(wasi_call *c, bool write, bool positioned)
{
    uint64_t rights = (write ? WASI_RIGHT_FD_WRITE : WASI_RIGHT_FD_READ) |
                      (positioned ? WASI_RIGHT_FD_SEEK : 0);
    uint64_t offset = positioned ? (uint64_t)c->args[3].of.i64 : 0;
    uint8_t *out = wasi_mem(c, arg_u32(c, positioned ? 4 : 3), 4);
    struct iovec iov[FD_MAX_IOV];
    uint32_t n;
    wasi_fd *e;
    wasi_errno r = wasi_fd_get(c->w, arg_u32(c, 0), rights, &e);
    if (r != WASI_ESUCCESS)
        return r;
    if (!out) {
        r = WASI_EFAULT;
        goto done;
    }
    if ((r = wasi_iovecs(c, arg_u32(c, 1), arg_u32(c, 2), iov, FD_MAX_IOV, &n)) != WASI_ESUCCESS)
        goto done;
    if (positioned && offset > INT64_MAX) {
        r = WASI_EINVAL;
        goto done;
    }
    bool block = fd_may_block(e);
    /* Guest non-blocking mode on a borrowed (host stdio) fd is kept
     * guest-side: check readiness without waiting. */
    if (!block && e->borrowed && (atomic_load(&e->fdflags) & WASI_FDFLAGS_NONBLOCK) &&
        e->filetype != WASI_FILETYPE_REGULAR_FILE) {
        struct pollfd p = {.fd = e->host_fd, .events = write ? POLLOUT : POLLIN};
        if (poll(&p, 1, 0) == 0) {
            r = WASI_EAGAIN;
            goto done;
        }
    }
    fd_io_args a = {.write = write, .positioned = positioned, .iov = iov, .n = (int)n,
                    .offset = (off_t)offset};
    ssize_t got;
    r = wasi_io_retry(c->w, e->host_fd, write ? POLLOUT : POLLIN, block, fd_io, &a, &got);
    if (r == WASI_ESUCCESS)
        wasi_st32(out, (uint32_t)got);
done:
    wasi_fd_put(c->w, e);
    return r;
}

wasi_errno wasi_fd_read(wasi_call *c) { return fd_transfer(c, false, false); }
wasi_errno wasi_fd_write(wasi_call *c) { return fd_transfer(c, true, false); }
wasi_errno wasi_fd_pread(wasi_call *c) { return fd_transfer(c, false, true); }
wasi_errno wasi_fd_pwrite(wasi_call *c) { return fd_transfer(c, true, true); }

static wasi_errno fd_lseek(wasi_call *c, uint32_t fd, int64_t offset, int whence, uint64_t rights,
                           uint8_t *out)
{
    wasi_fd *e;
    wasi_errno r = wasi_fd_get(c->w, fd, rights, &e);
    if (r != WASI_ESUCCESS)
        return r;
    if (!out) {
        r = WASI_EFAULT;
    } else {
        off_t pos = lseek(e->host_fd, (off_t)offset, whence);
        if (pos < 0)
            r = wasi_errno_from_host(errno);
        else
            wasi_st64(out, (uint64_t)pos);
    }
    wasi_fd_put(c->w, e);
    return r;
}

wasi_errno wasi_fd_seek(wasi_call *c)
{
    int64_t offset = c->args[1].of.i64;
    uint32_t whence = arg_u32(c, 2) & 0xff;
    int w = whence == WASI_WHENCE_SET ? SEEK_SET
          : whence == WASI_WHENCE_CUR ? SEEK_CUR
          : whence == WASI_WHENCE_END ? SEEK_END : -1;
    if (w < 0)
        return WASI_EINVAL;
    /* Asking where we are needs only fd_tell. */
    uint64_t rights = (w == SEEK_CUR && offset == 0) ? WASI_RIGHT_FD_TELL : WASI_RIGHT_FD_SEEK;
    return fd_lseek(c, arg_u32(c, 0), offset, w, rights, wasi_mem(c, arg_u32(c, 3), 8));
}

wasi_errno wasi_fd_tell(wasi_call *c)
{
    return fd_lseek(c, arg_u32(c, 0), 0, SEEK_CUR, WASI_RIGHT_FD_TELL, wasi_mem(c, arg_u32(c, 1), 8));
}

wasi_errno wasi_fd_close(wasi_call *c)
{
    return wasi_fd_remove(c->w, arg_u32(c, 0));
}

wasi_errno wasi_fd_renumber(wasi_call *c)
{
    return wasi_fd_renumber_to(c->w, arg_u32(c, 0), arg_u32(c, 1));
}

wasi_errno wasi_fd_fdstat_get(wasi_call *c)
{
    uint8_t *out = wasi_mem(c, arg_u32(c, 1), WASI_FDSTAT_SIZE);
    wasi_fd *e;
    wasi_errno r = wasi_fd_get(c->w, arg_u32(c, 0), 0, &e);
    if (r != WASI_ESUCCESS)
        return r;
    if (!out) {
        r = WASI_EFAULT;
    } else {
        memset(out, 0, WASI_FDSTAT_SIZE);
        wasi_st8(out + WASI_FDSTAT_FILETYPE, e->filetype);
        wasi_st16(out + WASI_FDSTAT_FLAGS, atomic_load(&e->fdflags));
        wasi_st64(out + WASI_FDSTAT_RIGHTS_BASE, atomic_load(&e->rights_base));
        wasi_st64(out + WASI_FDSTAT_RIGHTS_INHERITING, atomic_load(&e->rights_inheriting));
    }
    wasi_fd_put(c->w, e);
    return r;
}

wasi_errno wasi_fd_fdstat_set_flags(wasi_call *c)
{
    uint32_t flags = arg_u32(c, 1) & 0xffff;
    wasi_fd *e;
    wasi_errno r = wasi_fd_get(c->w, arg_u32(c, 0), WASI_RIGHT_FD_FDSTAT_SET_FLAGS, &e);
    if (r != WASI_ESUCCESS)
        return r;
    /* Only append and nonblock can change on an open file (as in wasmtime);
     * the sync flags are fixed when the file is opened. */
    if (flags & ~(uint32_t)(WASI_FDFLAGS_APPEND | WASI_FDFLAGS_NONBLOCK)) {
        r = WASI_ENOTSUP;
        goto done;
    }
    pthread_mutex_lock(&e->lock);
    int fl = fcntl(e->host_fd, F_GETFL);
    if (fl >= 0) {
        fl &= ~(O_APPEND | O_NONBLOCK);
        if (flags & WASI_FDFLAGS_APPEND)
            fl |= O_APPEND;
        /* Guest non-blocking mode of a borrowed fd stays guest-side: the
         * host's stdio file description is shared with other processes. */
        if ((flags & WASI_FDFLAGS_NONBLOCK) && !e->borrowed)
            fl |= O_NONBLOCK;
        fl = fcntl(e->host_fd, F_SETFL, fl);
    }
    if (fl < 0) {
        r = wasi_errno_from_host(errno);
    } else {
        uint16_t keep = atomic_load(&e->fdflags) & ~(WASI_FDFLAGS_APPEND | WASI_FDFLAGS_NONBLOCK);
        atomic_store(&e->fdflags, (uint16_t)(keep | flags));
    }
    pthread_mutex_unlock(&e->lock);
done:
    wasi_fd_put(c->w, e);
    return r;
}

wasi_errno wasi_fd_fdstat_set_rights(wasi_call *c)
{
    uint64_t base = (uint64_t)c->args[1].of.i64, inheriting = (uint64_t)c->args[2].of.i64;
    wasi_fd *e;
    wasi_errno r = wasi_fd_get(c->w, arg_u32(c, 0), 0, &e);
    if (r != WASI_ESUCCESS)
        return r;
    /* Rights can only shrink; the entry lock makes check-and-store one step. */
    pthread_mutex_lock(&e->lock);
    if ((base & ~atomic_load(&e->rights_base)) || (inheriting & ~atomic_load(&e->rights_inheriting))) {
        r = WASI_ENOTCAPABLE;
    } else {
        atomic_store(&e->rights_base, base);
        atomic_store(&e->rights_inheriting, inheriting);
    }
    pthread_mutex_unlock(&e->lock);
    wasi_fd_put(c->w, e);
    return r;
}

wasi_errno wasi_fd_prestat_get(wasi_call *c)
{
    uint8_t *out = wasi_mem(c, arg_u32(c, 1), WASI_PRESTAT_SIZE);
    wasi_fd *e;
    wasi_errno r = wasi_fd_get(c->w, arg_u32(c, 0), 0, &e);
    if (r != WASI_ESUCCESS)
        return r;
    if (!e->preopen) {
        r = WASI_EBADF;
    } else if (!out) {
        r = WASI_EFAULT;
    } else {
        memset(out, 0, WASI_PRESTAT_SIZE);
        wasi_st8(out, WASI_PREOPENTYPE_DIR);
        wasi_st32(out + WASI_PRESTAT_NAME_LEN, (uint32_t)e->guest_path_len);
    }
    wasi_fd_put(c->w, e);
    return r;
}

wasi_errno wasi_fd_prestat_dir_name(wasi_call *c)
{
    uint32_t len = arg_u32(c, 2);
    uint8_t *out = wasi_mem(c, arg_u32(c, 1), len);
    wasi_fd *e;
    wasi_errno r = wasi_fd_get(c->w, arg_u32(c, 0), 0, &e);
    if (r != WASI_ESUCCESS)
        return r;
    if (!e->preopen)
        r = WASI_EBADF;
    else if (!out)
        r = WASI_EFAULT;
    else if (len < e->guest_path_len)
        r = WASI_ENAMETOOLONG;
    else
        memcpy(out, e->guest_path, e->guest_path_len);
    wasi_fd_put(c->w, e);
    return r;
}

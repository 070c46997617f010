/*
 * sock.c -- sock_accept, sock_recv, sock_send and sock_shutdown on sockets
 * the host handed in (a preopened listening socket, or one accepted from
 * it).  Blocking operations wait with wasi_wait_fd so that group
 * termination interrupts them.
 */
#define _GNU_SOURCE /* ppoll, accept4 */
#include "wasi/fd_table.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define SOCK_MAX_IOV 64

static bool sock_is_socket(const wasi_fd *e)
{
    return e->filetype == WASI_FILETYPE_SOCKET_STREAM || e->filetype == WASI_FILETYPE_SOCKET_DGRAM;
}

/* Takes fd `fd` as a socket: EBADF / ENOTSOCK / ENOTCAPABLE otherwise. */
static wasi_errno sock_get(wasi_call *c, uint32_t fd, uint64_t rights, wasi_fd **out)
{
    wasi_errno r = wasi_fd_get(c->w, fd, 0, out);
    if (r != WASI_ESUCCESS)
        return r;
    if (!sock_is_socket(*out))
        r = WASI_ENOTSOCK;
    else if ((atomic_load(&(*out)->rights_base) & rights) != rights)
        r = WASI_ENOTCAPABLE;
    if (r != WASI_ESUCCESS)
        wasi_fd_put(c->w, *out);
    return r;
}

static bool sock_nonblocking(const wasi_fd *e)
{
    return atomic_load(&e->fdflags) & WASI_FDFLAGS_NONBLOCK;
}

static ssize_t sock_accept_io(int host_fd, void *arg)
{
    return accept4(host_fd, NULL, NULL, *(const int *)arg);
}

wasi_errno wasi_sock_accept(wasi_call *c)
{
    uint32_t fd = (uint32_t)c->args[0].of.i32;
    uint16_t flags = (uint16_t)c->args[1].of.i32;
    uint8_t *out = wasi_mem(c, (uint32_t)c->args[2].of.i32, 4);
    if ((uint32_t)c->args[1].of.i32 & ~(uint32_t)WASI_FDFLAGS_NONBLOCK)
        return WASI_EINVAL;
    if (!out)
        return WASI_EFAULT;
    wasi_fd *e;
    wasi_errno r = sock_get(c, fd, WASI_RIGHT_SOCK_ACCEPT, &e);
    if (r != WASI_ESUCCESS)
        return r;
    int accept_flags = SOCK_CLOEXEC | ((flags & WASI_FDFLAGS_NONBLOCK) ? SOCK_NONBLOCK : 0);
    ssize_t nfd;
    r = wasi_io_retry(c->w, e->host_fd, POLLIN, !sock_nonblocking(e), sock_accept_io, &accept_flags,
                      &nfd);
    if (r == WASI_ESUCCESS) {
        uint32_t gfd;
        r = wasi_fd_insert(c->w, (int)nfd, WASI_FILETYPE_SOCKET_STREAM,
                           wasi_rights_for(WASI_FILETYPE_SOCKET_STREAM, false) &
                               ~(uint64_t)WASI_RIGHT_SOCK_ACCEPT,
                           0, flags & WASI_FDFLAGS_NONBLOCK, &gfd);
        if (r == WASI_ESUCCESS)
            wasi_st32(out, gfd);
    }
    wasi_fd_put(c->w, e);
    return r;
}

typedef struct sock_io_args {
    bool recv;
    struct msghdr *msg;
    int flags;
} sock_io_args;

static ssize_t sock_io(int host_fd, void *arg)
{
    const sock_io_args *a = arg;
    return a->recv ? recvmsg(host_fd, a->msg, a->flags | MSG_DONTWAIT)
                   : sendmsg(host_fd, a->msg, a->flags | MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* sock_recv and sock_send: one message over the guest's iovecs. */
static wasi_errno sock_transfer(wasi_call *c, bool recv, uint32_t fd, uint32_t iovs,
                                uint32_t niovs, int msg_flags, uint8_t *len_out,
                                uint8_t *flags_out)
{
    struct iovec iov[SOCK_MAX_IOV];
    uint32_t n;
    wasi_fd *e;
    wasi_errno r = sock_get(c, fd, recv ? WASI_RIGHT_FD_READ : WASI_RIGHT_FD_WRITE, &e);
    if (r != WASI_ESUCCESS)
        return r;
    if ((r = wasi_iovecs(c, iovs, niovs, iov, SOCK_MAX_IOV, &n)) != WASI_ESUCCESS)
        goto done;
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n};
    sock_io_args a = {.recv = recv, .msg = &msg, .flags = msg_flags};
    ssize_t got;
    r = wasi_io_retry(c->w, e->host_fd, recv ? POLLIN : POLLOUT, !sock_nonblocking(e), sock_io, &a,
                      &got);
    if (r == WASI_ESUCCESS) {
        wasi_st32(len_out, (uint32_t)got);
        if (flags_out)
            wasi_st16(flags_out, (msg.msg_flags & MSG_TRUNC) ? WASI_ROFLAGS_RECV_DATA_TRUNCATED : 0);
    }
done:
    wasi_fd_put(c->w, e);
    return r;
}

wasi_errno wasi_sock_recv(wasi_call *c)
{
    uint32_t riflags = (uint32_t)c->args[3].of.i32;
    uint8_t *len_out = wasi_mem(c, (uint32_t)c->args[4].of.i32, 4);
    uint8_t *flags_out = wasi_mem(c, (uint32_t)c->args[5].of.i32, 2);
    if (riflags & ~(uint32_t)(WASI_RIFLAGS_RECV_PEEK | WASI_RIFLAGS_RECV_WAITALL))
        return WASI_EINVAL;
    if (!len_out || !flags_out)
        return WASI_EFAULT;
    int flags = ((riflags & WASI_RIFLAGS_RECV_PEEK) ? MSG_PEEK : 0) |
                ((riflags & WASI_RIFLAGS_RECV_WAITALL) ? MSG_WAITALL : 0);
    return sock_transfer(c, true, (uint32_t)c->args[0].of.i32, (uint32_t)c->args[1].of.i32,
                         (uint32_t)c->args[2].of.i32, flags, len_out, flags_out);
}

wasi_errno wasi_sock_send(wasi_call *c)
{
    uint8_t *len_out = wasi_mem(c, (uint32_t)c->args[4].of.i32, 4);
    if ((uint32_t)c->args[3].of.i32 != 0) /* no siflags are defined */
        return WASI_EINVAL;
    if (!len_out)
        return WASI_EFAULT;
    return sock_transfer(c, false, (uint32_t)c->args[0].of.i32, (uint32_t)c->args[1].of.i32,
                         (uint32_t)c->args[2].of.i32, 0, len_out, NULL);
}

wasi_errno wasi_sock_shutdown(wasi_call *c)
{
    uint32_t how = (uint32_t)c->args[1].of.i32;
    wasi_fd *e;
    wasi_errno r = sock_get(c, (uint32_t)c->args[0].of.i32, WASI_RIGHT_SOCK_SHUTDOWN, &e);
    if (r != WASI_ESUCCESS)
        return r;
    int h = how == WASI_SDFLAGS_RD ? SHUT_RD
          : how == WASI_SDFLAGS_WR ? SHUT_WR
          : how == (WASI_SDFLAGS_RD | WASI_SDFLAGS_WR) ? SHUT_RDWR : -1;
    if (h < 0)
        r = WASI_EINVAL;
    else if (shutdown(e->host_fd, h) != 0)
        r = wasi_errno_from_host(errno);
    wasi_fd_put(c->w, e);
    return r;
}

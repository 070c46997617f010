/*
 * fd_table.c -- the per-context fd table (contract in fd_table.h): lookup
 * with rights, insertion, removal, renumbering, the initial stdio and
 * preopen entries, host errno translation and the interruptible wait.
 */
#include "wasi/fd_table.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---- rights per file type ------------------------------------------------ */

#define RIGHTS_FD_COMMON                                                                     \
    (WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_FILESTAT_GET |                          \
     WASI_RIGHT_POLL_FD_READWRITE)
#define RIGHTS_STREAM (RIGHTS_FD_COMMON | WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE)
#define RIGHTS_FILE                                                                          \
    (RIGHTS_STREAM | WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_SYNC |      \
     WASI_RIGHT_FD_TELL | WASI_RIGHT_FD_ADVISE | WASI_RIGHT_FD_ALLOCATE |                   \
     WASI_RIGHT_FD_FILESTAT_SET_SIZE | WASI_RIGHT_FD_FILESTAT_SET_TIMES)
#define RIGHTS_DIR                                                                           \
    (RIGHTS_FD_COMMON | WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_SYNC |                        \
     WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_CREATE_FILE |                       \
     WASI_RIGHT_PATH_LINK_SOURCE | WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_OPEN |      \
     WASI_RIGHT_FD_READDIR | WASI_RIGHT_PATH_READLINK | WASI_RIGHT_PATH_RENAME_SOURCE |      \
     WASI_RIGHT_PATH_RENAME_TARGET | WASI_RIGHT_PATH_FILESTAT_GET |                         \
     WASI_RIGHT_PATH_FILESTAT_SET_SIZE | WASI_RIGHT_PATH_FILESTAT_SET_TIMES |               \
     WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK |                            \
     WASI_RIGHT_PATH_REMOVE_DIRECTORY | WASI_RIGHT_PATH_UNLINK_FILE)
#define RIGHTS_SOCKET (RIGHTS_STREAM | WASI_RIGHT_SOCK_SHUTDOWN | WASI_RIGHT_SOCK_ACCEPT)

uint64_t wasi_rights_for(uint8_t filetype, bool inheriting)
{
    switch (filetype) {
    case WASI_FILETYPE_DIRECTORY:
        /* A directory hands on everything that files and directories under it can have. */
        return inheriting ? (RIGHTS_DIR | RIGHTS_FILE) : RIGHTS_DIR;
    case WASI_FILETYPE_REGULAR_FILE:
    case WASI_FILETYPE_BLOCK_DEVICE:
        return inheriting ? 0 : RIGHTS_FILE;
    case WASI_FILETYPE_SOCKET_STREAM:
    case WASI_FILETYPE_SOCKET_DGRAM:
        return inheriting ? 0 : RIGHTS_SOCKET;
    default: /* terminals, pipes, unknown */
        return inheriting ? 0 : RIGHTS_STREAM;
    }
}

uint8_t wasi_host_filetype(int host_fd)
{
    struct stat st;
    if (fstat(host_fd, &st) != 0)
        return WASI_FILETYPE_UNKNOWN;
    switch (st.st_mode & S_IFMT) {
    case S_IFREG: return WASI_FILETYPE_REGULAR_FILE;
    case S_IFDIR: return WASI_FILETYPE_DIRECTORY;
    case S_IFCHR: return WASI_FILETYPE_CHARACTER_DEVICE;
    case S_IFBLK: return WASI_FILETYPE_BLOCK_DEVICE;
    case S_IFLNK: return WASI_FILETYPE_SYMBOLIC_LINK;
    case S_IFSOCK: {
        int type = 0;
        socklen_t len = sizeof type;
        if (getsockopt(host_fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM)
            return WASI_FILETYPE_SOCKET_DGRAM;
        return WASI_FILETYPE_SOCKET_STREAM;
    }
    default: /* FIFOs have no WASI type */
        return WASI_FILETYPE_UNKNOWN;
    }
}

wasi_errno wasi_errno_from_host(int e)
{
    switch (e) {
    case 0: return WASI_ESUCCESS;
    case E2BIG: return WASI_E2BIG;
    case EACCES: return WASI_EACCES;
    case EADDRINUSE: return WASI_EADDRINUSE;
    case EADDRNOTAVAIL: return WASI_EADDRNOTAVAIL;
    case EAFNOSUPPORT: return WASI_EAFNOSUPPORT;
    case EAGAIN: return WASI_EAGAIN;
    case EALREADY: return WASI_EALREADY;
    case EBADF: return WASI_EBADF;
    case EBADMSG: return WASI_EBADMSG;
    case EBUSY: return WASI_EBUSY;
    case ECANCELED: return WASI_ECANCELED;
    case ECHILD: return WASI_ECHILD;
    case ECONNABORTED: return WASI_ECONNABORTED;
    case ECONNREFUSED: return WASI_ECONNREFUSED;
    case ECONNRESET: return WASI_ECONNRESET;
    case EDEADLK: return WASI_EDEADLK;
    case EDESTADDRREQ: return WASI_EDESTADDRREQ;
    case EDOM: return WASI_EDOM;
    case EDQUOT: return WASI_EDQUOT;
    case EEXIST: return WASI_EEXIST;
    case EFAULT: return WASI_EFAULT;
    case EFBIG: return WASI_EFBIG;
    case EHOSTUNREACH: return WASI_EHOSTUNREACH;
    case EIDRM: return WASI_EIDRM;
    case EILSEQ: return WASI_EILSEQ;
    case EINPROGRESS: return WASI_EINPROGRESS;
    case EINTR: return WASI_EINTR;
    case EINVAL: return WASI_EINVAL;
    case EIO: return WASI_EIO;
    case EISCONN: return WASI_EISCONN;
    case EISDIR: return WASI_EISDIR;
    case ELOOP: return WASI_ELOOP;
    case EMFILE: return WASI_EMFILE;
    case EMLINK: return WASI_EMLINK;
    case EMSGSIZE: return WASI_EMSGSIZE;
    case EMULTIHOP: return WASI_EMULTIHOP;
    case ENAMETOOLONG: return WASI_ENAMETOOLONG;
    case ENETDOWN: return WASI_ENETDOWN;
    case ENETRESET: return WASI_ENETRESET;
    case ENETUNREACH: return WASI_ENETUNREACH;
    case ENFILE: return WASI_ENFILE;
    case ENOBUFS: return WASI_ENOBUFS;
    case ENODEV: return WASI_ENODEV;
    case ENOENT: return WASI_ENOENT;
    case ENOEXEC: return WASI_ENOEXEC;
    case ENOLCK: return WASI_ENOLCK;
    case ENOLINK: return WASI_ENOLINK;
    case ENOMEM: return WASI_ENOMEM;
    case ENOMSG: return WASI_ENOMSG;
    case ENOPROTOOPT: return WASI_ENOPROTOOPT;
    case ENOSPC: return WASI_ENOSPC;
    case ENOSYS: return WASI_ENOSYS;
    case ENOTCONN: return WASI_ENOTCONN;
    case ENOTDIR: return WASI_ENOTDIR;
    case ENOTEMPTY: return WASI_ENOTEMPTY;
    case ENOTRECOVERABLE: return WASI_ENOTRECOVERABLE;
    case ENOTSOCK: return WASI_ENOTSOCK;
    case ENOTSUP: return WASI_ENOTSUP; /* == EOPNOTSUPP on Linux */
    case ENOTTY: return WASI_ENOTTY;
    case ENXIO: return WASI_ENXIO;
    case EOVERFLOW: return WASI_EOVERFLOW;
    case EOWNERDEAD: return WASI_EOWNERDEAD;
    case EPERM: return WASI_EPERM;
    case EPIPE: return WASI_EPIPE;
    case EPROTO: return WASI_EPROTO;
    case EPROTONOSUPPORT: return WASI_EPROTONOSUPPORT;
    case EPROTOTYPE: return WASI_EPROTOTYPE;
    case ERANGE: return WASI_ERANGE;
    case EROFS: return WASI_EROFS;
    case ESPIPE: return WASI_ESPIPE;
    case ESRCH: return WASI_ESRCH;
    case ESTALE: return WASI_ESTALE;
    case ETIMEDOUT: return WASI_ETIMEDOUT;
    case ETXTBSY: return WASI_ETXTBSY;
    case EXDEV: return WASI_EXDEV;
    default: return WASI_EIO;
    }
}

/* ---- entries ----------------------------------------------------------------- */

static wasi_fd *fd_entry_new(wasi_ctx *w, int host_fd, bool borrowed, uint8_t filetype,
                             uint64_t base, uint64_t inheriting, uint16_t fdflags)
{
    wasi_fd *e = eng_calloc(w->engine, 1, sizeof *e);
    if (!e)
        return NULL;
    atomic_init(&e->refs, 1);
    e->host_fd = host_fd;
    e->borrowed = borrowed;
    e->filetype = filetype;
    atomic_init(&e->fdflags, fdflags);
    atomic_init(&e->rights_base, base);
    atomic_init(&e->rights_inheriting, inheriting);
    pthread_mutex_init(&e->lock, NULL);
    return e;
}

static void fd_entry_free(wasi_ctx *w, wasi_fd *e)
{
    if (e->dir && e->dir_free)
        e->dir_free(e->dir);
    if (!e->borrowed && e->host_fd >= 0)
        close(e->host_fd);
    pthread_mutex_destroy(&e->lock);
    eng_free(w->engine, e->guest_path);
    eng_free(w->engine, e->host_path);
    eng_free(w->engine, e);
}

void wasi_fd_put(wasi_ctx *w, wasi_fd *e)
{
    if (e && atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
        fd_entry_free(w, e);
}

wasi_errno wasi_fd_get(wasi_ctx *w, uint32_t fd, uint64_t rights, wasi_fd **out)
{
    wasi_errno r = WASI_EBADF;
    pthread_rwlock_rdlock(&w->fds.lock);
    wasi_fd *e = fd < w->fds.cap ? w->fds.slots[fd] : NULL;
    if (e) {
        if ((atomic_load_explicit(&e->rights_base, memory_order_relaxed) & rights) != rights) {
            r = WASI_ENOTCAPABLE;
        } else {
            /* Raised under the read lock: a remover needs the write lock, so the
             * slot's own reference keeps the entry alive until here. */
            atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
            *out = e;
            r = WASI_ESUCCESS;
        }
    }
    pthread_rwlock_unlock(&w->fds.lock);
    return r;
}

/* Makes slot `fd` exist; caller holds the write lock. */
static bool fd_table_reserve(wasi_ctx *w, uint32_t fd)
{
    if (fd < w->fds.cap)
        return true;
    uint32_t cap = w->fds.cap ? w->fds.cap : 16;
    while (cap <= fd)
        cap *= 2;
    wasi_fd **slots = eng_realloc(w->engine, w->fds.slots, (size_t)cap * sizeof *slots);
    if (!slots)
        return false;
    memset(slots + w->fds.cap, 0, (size_t)(cap - w->fds.cap) * sizeof *slots);
    w->fds.slots = slots;
    w->fds.cap = cap;
    return true;
}

/* Puts `e` at the lowest free number >= `from`; consumes `e` on failure. */
static wasi_errno fd_table_place(wasi_ctx *w, wasi_fd *e, uint32_t from, uint32_t *out_fd)
{
    wasi_errno r = WASI_ESUCCESS;
    pthread_rwlock_wrlock(&w->fds.lock);
    uint32_t fd = from;
    while (fd < w->fds.cap && w->fds.slots[fd])
        fd++;
    if (fd >= (1u << 30)) {
        r = WASI_ENFILE;
    } else if (!fd_table_reserve(w, fd)) {
        r = WASI_ENOMEM;
    } else {
        w->fds.slots[fd] = e;
        *out_fd = fd;
    }
    pthread_rwlock_unlock(&w->fds.lock);
    if (r != WASI_ESUCCESS)
        fd_entry_free(w, e);
    return r;
}

wasi_errno wasi_fd_insert(wasi_ctx *w, int host_fd, uint8_t filetype, uint64_t rights_base,
                          uint64_t rights_inheriting, uint16_t fdflags, uint32_t *out_fd)
{
    wasi_fd *e = fd_entry_new(w, host_fd, false, filetype, rights_base, rights_inheriting, fdflags);
    if (!e) {
        close(host_fd);
        return WASI_ENOMEM;
    }
    return fd_table_place(w, e, 3, out_fd);
}

wasi_errno wasi_fd_remove(wasi_ctx *w, uint32_t fd)
{
    pthread_rwlock_wrlock(&w->fds.lock);
    wasi_fd *e = fd < w->fds.cap ? w->fds.slots[fd] : NULL;
    if (e)
        w->fds.slots[fd] = NULL;
    pthread_rwlock_unlock(&w->fds.lock);
    if (!e)
        return WASI_EBADF;
    wasi_fd_put(w, e);
    return WASI_ESUCCESS;
}

wasi_errno wasi_fd_renumber_to(wasi_ctx *w, uint32_t from, uint32_t to)
{
    wasi_fd *old = NULL;
    wasi_errno r = WASI_ESUCCESS;
    pthread_rwlock_wrlock(&w->fds.lock);
    wasi_fd *e = from < w->fds.cap ? w->fds.slots[from] : NULL;
    wasi_fd *dst = to < w->fds.cap ? w->fds.slots[to] : NULL;
    /* Both must be open, as in wasmtime; renumbering onto itself changes nothing. */
    if (!e || !dst) {
        r = WASI_EBADF;
    } else if (from != to) {
        old = dst;
        w->fds.slots[to] = e;
        w->fds.slots[from] = NULL;
    }
    pthread_rwlock_unlock(&w->fds.lock);
    wasi_fd_put(w, old);
    return r;
}

/* ---- setup ------------------------------------------------------------------- */

static char *fd_strdup(wasi_ctx *w, const char *s, size_t *len)
{
    size_t n = strlen(s);
    char *d = eng_alloc(w->engine, n + 1);
    if (d)
        memcpy(d, s, n + 1);
    if (len)
        *len = n;
    return d;
}

weft_status wasi_fd_table_init(wasi_ctx *w, const weft_program_config *cfg, weft_error *err)
{
    weft_status st = WEFT_OK;
    if (pthread_rwlock_init(&w->fds.lock, NULL) != 0)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "fd table lock");
    pthread_rwlock_wrlock(&w->fds.lock);
    bool ok = fd_table_reserve(w, 16);
    pthread_rwlock_unlock(&w->fds.lock);
    if (!ok)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "fd table");

    const int stdio[3] = {cfg->stdin_fd, cfg->stdout_fd, cfg->stderr_fd};
    for (uint32_t i = 0; i < 3; i++) {
        struct stat sb;
        if (stdio[i] < 0 || fstat(stdio[i], &sb) != 0)
            continue; /* a closed host stdio stays closed for the guest */
        uint8_t type = wasi_host_filetype(stdio[i]);
        uint64_t base = wasi_rights_for(type, false);
        /* Only what the host opened it for: no reading a write-only stdout. */
        int mode = fcntl(stdio[i], F_GETFL);
        if (mode >= 0 && (mode & O_ACCMODE) == O_WRONLY)
            base &= ~WASI_RIGHT_FD_READ;
        if (mode >= 0 && (mode & O_ACCMODE) == O_RDONLY)
            base &= ~WASI_RIGHT_FD_WRITE;
        uint16_t flags = (mode >= 0 && (mode & O_APPEND)) ? WASI_FDFLAGS_APPEND : 0;
        wasi_fd *e =
            fd_entry_new(w, stdio[i], true, type, base, wasi_rights_for(type, true), flags);
        if (!e)
            return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "fd table");
        w->fds.slots[i] = e;
    }

    for (size_t i = 0; i < cfg->npreopens; i++) {
        const weft_preopen *p = &cfg->preopens[i];
        int hfd = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (hfd < 0)
            return err_set(err, WEFT_E_IO_ERROR, WEFT_NO_OFFSET, "cannot open directory %s: %s",
                           p->host_path, strerror(errno));
        wasi_fd *e = fd_entry_new(w, hfd, false, WASI_FILETYPE_DIRECTORY,
                                  wasi_rights_for(WASI_FILETYPE_DIRECTORY, false),
                                  wasi_rights_for(WASI_FILETYPE_DIRECTORY, true), 0);
        if (!e) {
            close(hfd);
            return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "fd table");
        }
        e->preopen = true;
        const char *guest = p->guest_path ? p->guest_path : p->host_path;
        e->guest_path = fd_strdup(w, guest, &e->guest_path_len);
        e->host_path = fd_strdup(w, p->host_path, NULL);
        uint32_t fd;
        if (!e->guest_path || !e->host_path || fd_table_place(w, e, 3, &fd) != WASI_ESUCCESS) {
            if (!e->guest_path || !e->host_path)
                fd_entry_free(w, e);
            TRY(err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "fd table"));
        }
    }
fail:
    return st;
}

void wasi_fd_table_free(wasi_ctx *w)
{
    for (uint32_t i = 0; i < w->fds.cap; i++)
        wasi_fd_put(w, w->fds.slots[i]);
    eng_free(w->engine, w->fds.slots);
    w->fds.slots = NULL;
    w->fds.cap = 0;
    pthread_rwlock_destroy(&w->fds.lock);
}

/* ---- waiting ----------------------------------------------------------------- */

wasi_errno wasi_wait_fd(wasi_ctx *w, int host_fd, short events)
{
    struct pollfd p[2] = {{.fd = host_fd, .events = events}, {.fd = w->intr_fd, .events = POLLIN}};
    for (;;) {
        if (atomic_load_explicit(&w->interrupted, memory_order_acquire))
            return WASI_EINTR;
        int n = poll(p, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return WASI_ESUCCESS; /* let the real call report the problem */
        if (p[1].revents)
            return WASI_EINTR;
        if (p[0].revents)
            return WASI_ESUCCESS;
    }
}

wasi_errno wasi_sleep_interruptibly(wasi_ctx *w, int ms)
{
    struct pollfd p = {.fd = w->intr_fd, .events = POLLIN};
    if (atomic_load_explicit(&w->interrupted, memory_order_acquire))
        return WASI_EINTR;
    /* EINTR from a signal only shortens the sleep: the caller tries again. */
    if (poll(&p, 1, ms) > 0 || atomic_load_explicit(&w->interrupted, memory_order_acquire))
        return WASI_EINTR;
    return WASI_ESUCCESS;
}

wasi_errno wasi_io_retry(wasi_ctx *w, int host_fd, short events, bool block, wasi_host_io io,
                         void *arg, ssize_t *result)
{
    for (;;) {
        wasi_errno r;
        if (block && (r = wasi_wait_fd(w, host_fd, events)) != WASI_ESUCCESS)
            return r;
        ssize_t got = io(host_fd, arg);
        if (got >= 0) {
            *result = got;
            return WASI_ESUCCESS;
        }
        /* EAGAIN on a blocking guest fd: the host fd is non-blocking (shared
         * with another process, or another thread took the data or the
         * connection between the wait and the call); wait again. */
        if (errno == EINTR || (block && (errno == EAGAIN || errno == EWOULDBLOCK)))
            continue;
        return wasi_errno_from_host(errno);
    }
}

/* ---- guest iovecs ------------------------------------------------------------ */

wasi_errno wasi_iovecs(const wasi_call *c, uint32_t ptr, uint32_t n, struct iovec *out,
                       uint32_t max, uint32_t *count)
{
    const uint8_t *arr = wasi_mem_array(c, ptr, n, WASI_IOVEC_SIZE);
    if (!arr)
        return WASI_EFAULT;
    uint32_t used = 0;
    for (uint32_t i = 0; i < n && used < max; i++) {
        /* Each field read once: another thread may be rewriting the array. */
        uint32_t buf = wasi_ld32(arr + i * WASI_IOVEC_SIZE);
        uint32_t len = wasi_ld32(arr + i * WASI_IOVEC_SIZE + 4);
        uint8_t *host = wasi_mem(c, buf, len);
        if (!host)
            return WASI_EFAULT;
        if (len == 0)
            continue;
        out[used].iov_base = host;
        out[used].iov_len = len;
        used++;
    }
    *count = used;
    return WASI_ESUCCESS;
}

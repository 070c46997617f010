/*
 * path.c -- the path_* calls of WASI: each resolves its guest path beneath
 * the directory fd it is given through the sandbox (sandbox.h), then acts on
 * the final name with the *at() call and AT_SYMLINK_NOFOLLOW, so nothing
 * outside the preopen is ever reached.
 */
#define _GNU_SOURCE /* O_PATH, O_DIRECTORY */
#include "wasi/fs.h"

#include <stdio.h> /* renameat */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* Guest fd `fd` with `rights`, which must be a directory. */
static wasi_errno fs_dir_get(wasi_call *c, uint32_t fd, uint64_t rights, wasi_fd **out)
{
    /* The type first: a path call on a file is ENOTDIR, not a missing right. */
    wasi_errno r = wasi_fd_get(c->w, fd, 0, out);
    if (r != WASI_ESUCCESS)
        return r;
    if ((*out)->filetype != WASI_FILETYPE_DIRECTORY)
        r = WASI_ENOTDIR;
    else if ((atomic_load_explicit(&(*out)->rights_base, memory_order_relaxed) & rights) != rights)
        r = WASI_ENOTCAPABLE;
    if (r != WASI_ESUCCESS)
        wasi_fd_put(c->w, *out);
    return r;
}

/* Resolves guest path (ptr, len) beneath directory `e` to parent + name. */
static wasi_errno fs_at(wasi_call *c, wasi_fd *e, uint32_t ptr, uint32_t len, bool follow,
                        sbx_at *at)
{
    const uint8_t *p = wasi_mem(c, ptr, len);
    if (!p)
        return WASI_EFAULT;
    return wasi_fs_errno(sbx_at_open(e->host_fd, (const char *)p, len, follow ? SBX_FOLLOW : 0, at));
}

/* The final name exists as a directory (for "name/" forms). */
static wasi_errno fs_need_dir(const sbx_at *at)
{
    struct stat st;
    if (fstatat(at->dirfd, at->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return wasi_errno_from_host(errno);
    return S_ISDIR(st.st_mode) ? WASI_ESUCCESS : WASI_ENOTDIR;
}

/* Acting on one path: fd arg 0 with `rights`, path args (ptr, len) at
 * `arg`, then `op` on the resolved parent and name. */
static wasi_errno fs_on_path(wasi_call *c, uint64_t rights, int arg, bool follow,
                             wasi_errno (*op)(wasi_call *, const sbx_at *))
{
    wasi_fd *e;
    wasi_errno r = fs_dir_get(c, wasi_fs_u32(c, 0), rights, &e);
    if (r != WASI_ESUCCESS)
        return r;
    sbx_at at;
    r = fs_at(c, e, wasi_fs_u32(c, arg), wasi_fs_u32(c, arg + 1), follow, &at);
    if (r == WASI_ESUCCESS) {
        r = op(c, &at);
        sbx_at_close(&at);
    }
    wasi_fd_put(c->w, e);
    return r;
}

static wasi_errno fs_errno_of(int rc) { return rc == 0 ? WASI_ESUCCESS : wasi_errno_from_host(errno); }

static bool fs_follow(const wasi_call *c, int arg)
{
    return wasi_fs_u32(c, arg) & WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
}

/* ---- path_create_directory, path_remove_directory, path_unlink_file ------ */

static wasi_errno fs_mkdir(wasi_call *c, const sbx_at *at)
{
    (void)c;
    return fs_errno_of(mkdirat(at->dirfd, at->name, 0777));
}

static wasi_errno fs_rmdir(wasi_call *c, const sbx_at *at)
{
    (void)c;
    return fs_errno_of(unlinkat(at->dirfd, at->name, AT_REMOVEDIR));
}

static wasi_errno fs_unlink(wasi_call *c, const sbx_at *at)
{
    (void)c;
    if (at->trailing_slash) {
        /* "x/" is a directory or nothing: never unlink a file or link by it. */
        wasi_errno r = fs_need_dir(at);
        return r == WASI_ESUCCESS ? WASI_EISDIR : r;
    }
    return fs_errno_of(unlinkat(at->dirfd, at->name, 0));
}

wasi_errno wasi_path_create_directory(wasi_call *c)
{
    return fs_on_path(c, WASI_RIGHT_PATH_CREATE_DIRECTORY, 1, false, fs_mkdir);
}

wasi_errno wasi_path_remove_directory(wasi_call *c)
{
    return fs_on_path(c, WASI_RIGHT_PATH_REMOVE_DIRECTORY, 1, false, fs_rmdir);
}

wasi_errno wasi_path_unlink_file(wasi_call *c)
{
    return fs_on_path(c, WASI_RIGHT_PATH_UNLINK_FILE, 1, false, fs_unlink);
}

/* ---- path_filestat_get, path_filestat_set_times ------------------------- */

static wasi_errno fs_stat(wasi_call *c, const sbx_at *at)
{
    uint8_t *out = wasi_mem(c, wasi_fs_u32(c, 4), WASI_FILESTAT_SIZE);
    if (!out)
        return WASI_EFAULT;
    struct stat st;
    if (fstatat(at->dirfd, at->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return wasi_errno_from_host(errno);
    if (at->trailing_slash && !S_ISDIR(st.st_mode))
        return WASI_ENOTDIR;
    wasi_fs_store_filestat(out, &st);
    return WASI_ESUCCESS;
}

static wasi_errno fs_utimes(wasi_call *c, const sbx_at *at)
{
    struct timespec ts[2];
    wasi_errno r = wasi_fs_times(wasi_fs_u64(c, 4), wasi_fs_u64(c, 5), wasi_fs_u32(c, 6), ts);
    if (r != WASI_ESUCCESS)
        return r;
    if (at->trailing_slash && (r = fs_need_dir(at)) != WASI_ESUCCESS)
        return r;
    return fs_errno_of(utimensat(at->dirfd, at->name, ts, AT_SYMLINK_NOFOLLOW));
}

/* A trailing slash resolves a final symlink (POSIX), as lookupflags' follow. */
static bool fs_path_follows(const wasi_call *c, int flags_arg, int path_arg)
{
    if (fs_follow(c, flags_arg))
        return true;
    uint32_t len = wasi_fs_u32(c, path_arg + 1);
    const uint8_t *p = wasi_mem(c, wasi_fs_u32(c, path_arg), len);
    return p && len > 0 && p[len - 1] == '/';
}

wasi_errno wasi_path_filestat_get(wasi_call *c)
{
    return fs_on_path(c, WASI_RIGHT_PATH_FILESTAT_GET, 2, fs_path_follows(c, 1, 2), fs_stat);
}

wasi_errno wasi_path_filestat_set_times(wasi_call *c)
{
    return fs_on_path(c, WASI_RIGHT_PATH_FILESTAT_SET_TIMES, 2, fs_path_follows(c, 1, 2),
                      fs_utimes);
}

/* ---- path_readlink ------------------------------------------------------ */

static wasi_errno fs_readlink(wasi_call *c, const sbx_at *at)
{
    uint32_t len = wasi_fs_u32(c, 4);
    uint8_t *out = wasi_mem(c, wasi_fs_u32(c, 3), len);
    uint8_t *usedp = wasi_mem(c, wasi_fs_u32(c, 5), 4);
    if (!out || !usedp)
        return WASI_EFAULT;
    char target[PATH_MAX];
    ssize_t n = readlinkat(at->dirfd, at->name, target, sizeof target);
    if (n < 0)
        return wasi_errno_from_host(errno);
    /* A buffer too small gets the target truncated (bufused says how much). */
    uint32_t k = (uint64_t)n < len ? (uint32_t)n : len;
    memcpy(out, target, k);
    wasi_st32(usedp, k);
    return WASI_ESUCCESS;
}

wasi_errno wasi_path_readlink(wasi_call *c)
{
    return fs_on_path(c, WASI_RIGHT_PATH_READLINK, 1, false, fs_readlink);
}

/* ---- path_symlink ------------------------------------------------------- */

/* A new name given with a trailing slash cannot be made: EEXIST if taken. */
static wasi_errno fs_new_name_slash(const sbx_at *at)
{
    struct stat st;
    return fstatat(at->dirfd, at->name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? WASI_EEXIST : WASI_ENOENT;
}

wasi_errno wasi_path_symlink(wasi_call *c)
{
    /* (old_path, old_len, fd, new_path, new_len): the target is text stored
     * as it is (absolute ones refused); the sandbox decides wherever it is
     * later followed. */
    uint32_t tlen = wasi_fs_u32(c, 1);
    const uint8_t *tp = wasi_mem(c, wasi_fs_u32(c, 0), tlen);
    if (!tp)
        return WASI_EFAULT;
    char target[PATH_MAX];
    if (tlen >= sizeof target)
        return WASI_ENAMETOOLONG;
    memcpy(target, tp, tlen); /* copy once: shared memory may change */
    target[tlen] = '\0';
    if (tlen == 0)
        return WASI_ENOENT;
    if (memchr(target, '\0', tlen))
        return WASI_EILSEQ;
    /* An absolute target is refused (EPERM, as wasmtime/cap-std and uvwasi
     * answer): the sandbox would never follow it, but a host program
     * walking the preopen might.  A relative target is stored as given even
     * if its `..` climb above the preopen: whether it does depends on where
     * the link later lives (a rename moves it), and the sandbox refuses to
     * follow it out wherever it is. */
    if (target[0] == '/')
        return WASI_EPERM;

    wasi_fd *e;
    wasi_errno r = fs_dir_get(c, wasi_fs_u32(c, 2), WASI_RIGHT_PATH_SYMLINK, &e);
    if (r != WASI_ESUCCESS)
        return r;
    sbx_at at;
    r = fs_at(c, e, wasi_fs_u32(c, 3), wasi_fs_u32(c, 4), false, &at);
    if (r == WASI_ESUCCESS) {
        r = at.trailing_slash ? fs_new_name_slash(&at)
                              : fs_errno_of(symlinkat(target, at.dirfd, at.name));
        sbx_at_close(&at);
    }
    wasi_fd_put(c->w, e);
    return r;
}

/* ---- path_link, path_rename: two directories ---------------------------- */

typedef struct fs_two {
    wasi_fd *e1, *e2;
    sbx_at a1, a2;
} fs_two;

static wasi_errno fs_two_open(wasi_call *c, fs_two *t, uint32_t fd1, uint64_t r1, uint32_t p1,
                              uint32_t l1, bool follow1, uint32_t fd2, uint64_t r2, uint32_t p2,
                              uint32_t l2)
{
    t->e1 = t->e2 = NULL;
    t->a1.dirfd = t->a2.dirfd = -1;
    t->a1.owned = t->a2.owned = false;
    wasi_errno r = fs_dir_get(c, fd1, r1, &t->e1);
    if (r == WASI_ESUCCESS)
        r = fs_dir_get(c, fd2, r2, &t->e2);
    if (r == WASI_ESUCCESS)
        r = fs_at(c, t->e1, p1, l1, follow1, &t->a1);
    if (r == WASI_ESUCCESS)
        r = fs_at(c, t->e2, p2, l2, false, &t->a2);
    return r;
}

static void fs_two_close(wasi_call *c, fs_two *t)
{
    sbx_at_close(&t->a1);
    sbx_at_close(&t->a2);
    if (t->e1)
        wasi_fd_put(c->w, t->e1);
    if (t->e2)
        wasi_fd_put(c->w, t->e2);
}

wasi_errno wasi_path_link(wasi_call *c)
{
    /* (old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len) */
    fs_two t;
    wasi_errno r = fs_two_open(c, &t, wasi_fs_u32(c, 0), WASI_RIGHT_PATH_LINK_SOURCE,
                               wasi_fs_u32(c, 2), wasi_fs_u32(c, 3), fs_follow(c, 1),
                               wasi_fs_u32(c, 4), WASI_RIGHT_PATH_LINK_TARGET, wasi_fs_u32(c, 5),
                               wasi_fs_u32(c, 6));
    if (r == WASI_ESUCCESS) {
        if (t.a2.trailing_slash)
            r = fs_new_name_slash(&t.a2);
        else if (t.a1.trailing_slash && (r = fs_need_dir(&t.a1)) == WASI_ESUCCESS)
            r = WASI_EPERM; /* a directory cannot be hard-linked */
        else if (r == WASI_ESUCCESS)
            /* Flags 0: the old name, already resolved, is linked itself. */
            r = fs_errno_of(linkat(t.a1.dirfd, t.a1.name, t.a2.dirfd, t.a2.name, 0));
    }
    fs_two_close(c, &t);
    return r;
}

wasi_errno wasi_path_rename(wasi_call *c)
{
    /* (fd, old_path, old_len, new_fd, new_path, new_len) */
    fs_two t;
    wasi_errno r = fs_two_open(c, &t, wasi_fs_u32(c, 0), WASI_RIGHT_PATH_RENAME_SOURCE,
                               wasi_fs_u32(c, 1), wasi_fs_u32(c, 2), false, wasi_fs_u32(c, 3),
                               WASI_RIGHT_PATH_RENAME_TARGET, wasi_fs_u32(c, 4),
                               wasi_fs_u32(c, 5));
    /* "a/" names a directory: renaming a file or link by it is ENOTDIR. */
    if (r == WASI_ESUCCESS && (t.a1.trailing_slash || t.a2.trailing_slash))
        r = fs_need_dir(&t.a1);
    if (r == WASI_ESUCCESS)
        r = fs_errno_of(renameat(t.a1.dirfd, t.a1.name, t.a2.dirfd, t.a2.name));
    fs_two_close(c, &t);
    return r;
}

/* ---- path_open ---------------------------------------------------------- */

/* Whether an open asks to write: rights that need a writable host fd, or
 * truncation (truncating is writing; O_TRUNC on a read-only open is
 * unspecified in POSIX).  Such an open of a directory is EISDIR. */
static bool fs_open_writes(uint32_t oflags, uint64_t base)
{
    return (base & (WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE |
                    WASI_RIGHT_FD_FILESTAT_SET_SIZE)) ||
           (oflags & WASI_OFLAGS_TRUNC);
}

/* The open(2) flags for WASI oflags, fdflags and the rights asked for. */
static int fs_open_flags(uint32_t oflags, uint32_t fdflags, uint64_t base)
{
    int f = 0;
    if (oflags & WASI_OFLAGS_CREAT)
        f |= O_CREAT;
    if (oflags & WASI_OFLAGS_DIRECTORY)
        f |= O_DIRECTORY;
    if (oflags & WASI_OFLAGS_EXCL)
        f |= O_EXCL;
    if (oflags & WASI_OFLAGS_TRUNC)
        f |= O_TRUNC;
    if (fdflags & WASI_FDFLAGS_APPEND)
        f |= O_APPEND;
    if (fdflags & WASI_FDFLAGS_DSYNC)
        f |= O_DSYNC;
    if (fdflags & WASI_FDFLAGS_NONBLOCK)
        f |= O_NONBLOCK;
    if (fdflags & WASI_FDFLAGS_RSYNC)
        f |= O_RSYNC;
    if (fdflags & WASI_FDFLAGS_SYNC)
        f |= O_SYNC;
    bool rd = base & (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR);
    /* With O_DIRECTORY the open is read-only, and wasi_path_open refuses
     * the directory it gives if writing was asked for; without it, open(2)
     * itself says EISDIR. */
    if (fs_open_writes(oflags, base) && !(oflags & WASI_OFLAGS_DIRECTORY))
        f |= rd ? O_RDWR : O_WRONLY;
    else
        f |= O_RDONLY;
    return f;
}

/* After an open with O_NONBLOCK failed with `err`: whether a blocking open
 * would have waited instead -- a FIFO opened for writing with no reader
 * (ENXIO, which a socket file also gives, hence the look at the type), or
 * a file under a lease being broken (EWOULDBLOCK). */
static bool fs_open_would_wait(int dirfd, const char *path, size_t len, unsigned sflags, int err)
{
    if (err == EAGAIN || err == EWOULDBLOCK)
        return true;
    if (err != ENXIO)
        return false;
    int fd;
    struct stat st;
    if (sbx_open(dirfd, path, len, O_PATH, 0, sflags, &fd) != 0)
        return false;
    bool fifo = fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
    close(fd);
    return fifo;
}

/* Waits between two tries of an open that would block: 1 ms, doubling up
 * to FS_OPEN_WAIT_MAX_MS (how late a reader that comes is noticed). */
#define FS_OPEN_WAIT_MAX_MS 20

/* open(2) blocks on a FIFO until its other end is opened, in a wait no
 * interrupt of weft's ends (DESIGN.md invariant 4), so path_open opens with
 * O_NONBLOCK, which is the same open for every other file, and restores
 * blocking mode afterwards unless the guest asked for non-blocking:
 *   - a FIFO opened for reading (or both) is open at once; the guest's
 *     first blocking read then waits, interruptibly, for a writer's data or
 *     its hang-up.  (Waiting in open for data instead would hang a guest
 *     whose writer waits to hear from it before writing.)
 *   - a FIFO opened for writing with no reader fails with ENXIO: it is
 *     tried again after a wait on the interrupt eventfd, until a reader
 *     comes or the group ends (EINTR).  A reader that comes and goes
 *     between two tries is missed, where open(2) would have returned.
 * Each try resolves the path through the sandbox again. */
static int fs_open_interruptible(wasi_ctx *w, int dirfd, const char *path, size_t len, int flags,
                                 unsigned sflags, int *out)
{
    bool guest_nonblock = flags & O_NONBLOCK;
    for (int wait_ms = 1;; wait_ms = wait_ms * 2 < FS_OPEN_WAIT_MAX_MS ? wait_ms * 2
                                                                        : FS_OPEN_WAIT_MAX_MS) {
        int err = sbx_open(dirfd, path, len, flags | O_NONBLOCK, 0666, sflags, out);
        if (err == 0)
            break;
        if (guest_nonblock || !fs_open_would_wait(dirfd, path, len, sflags, err))
            return err;
        if (wasi_sleep_interruptibly(w, wait_ms) != WASI_ESUCCESS)
            return EINTR;
    }
    if (guest_nonblock)
        return 0;
    int fl = fcntl(*out, F_GETFL);
    if (fl < 0 || fcntl(*out, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        int err = errno;
        close(*out);
        return err;
    }
    return 0;
}

wasi_errno wasi_path_open(wasi_call *c)
{
    /* (fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting,
     *  fdflags, fd_out) */
    uint32_t oflags = wasi_fs_u32(c, 4) & 0xffff, fdflags = wasi_fs_u32(c, 7) & 0xffff;
    uint64_t base = wasi_fs_u64(c, 5), inheriting = wasi_fs_u64(c, 6);
    uint32_t len = wasi_fs_u32(c, 3);
    const uint8_t *path = wasi_mem(c, wasi_fs_u32(c, 2), len);
    uint8_t *fd_out = wasi_mem(c, wasi_fs_u32(c, 8), 4);
    if (!path || !fd_out)
        return WASI_EFAULT;
    if (oflags & ~(uint32_t)(WASI_OFLAGS_CREAT | WASI_OFLAGS_DIRECTORY | WASI_OFLAGS_EXCL |
                             WASI_OFLAGS_TRUNC))
        return WASI_EINVAL;

    uint64_t need = WASI_RIGHT_PATH_OPEN;
    if (oflags & WASI_OFLAGS_CREAT)
        need |= WASI_RIGHT_PATH_CREATE_FILE;
    if (oflags & WASI_OFLAGS_TRUNC)
        need |= WASI_RIGHT_PATH_FILESTAT_SET_SIZE;
    wasi_fd *e;
    wasi_errno r = fs_dir_get(c, wasi_fs_u32(c, 0), need, &e);
    if (r != WASI_ESUCCESS)
        return r;
    /* What the new fd may do comes from what the directory hands on. */
    uint64_t dir_inh = atomic_load_explicit(&e->rights_inheriting, memory_order_relaxed);
    if ((base | inheriting) & ~dir_inh) {
        wasi_fd_put(c->w, e);
        return WASI_ENOTCAPABLE;
    }
    /* Copied once: an open may be tried again, and shared memory may change. */
    char cpath[PATH_MAX];
    if (len >= sizeof cpath) {
        wasi_fd_put(c->w, e);
        return WASI_ENAMETOOLONG;
    }
    memcpy(cpath, path, len);
    int hfd;
    int err = fs_open_interruptible(c->w, e->host_fd, cpath, len,
                                    fs_open_flags(oflags, fdflags, base),
                                    fs_follow(c, 1) ? SBX_FOLLOW : 0, &hfd);
    wasi_fd_put(c->w, e);
    if (err != 0)
        return wasi_fs_errno(err);

    uint8_t type = wasi_host_filetype(hfd);
    /* A directory is never opened for writing, also when OFLAGS_DIRECTORY
     * made the host open read-only: EISDIR, as wasmtime, wasmer, WasmEdge,
     * WAMR and Node answer for fd_write (they look at that right alone;
     * weft at every right that opens for writing, as without the flag). */
    if (type == WASI_FILETYPE_DIRECTORY && fs_open_writes(oflags, base)) {
        close(hfd);
        return WASI_EISDIR;
    }
    uint32_t newfd;
    r = wasi_fd_insert(c->w, hfd, type, base & wasi_rights_for(type, false),
                       inheriting & wasi_rights_for(type, true), (uint16_t)fdflags, &newfd);
    if (r == WASI_ESUCCESS)
        wasi_st32(fd_out, newfd);
    return r;
}

/*
 * fd_file.c -- the fd calls of wasi-fs: fd_advise, fd_allocate, fd_datasync,
 * fd_sync, fd_filestat_get/set_size/set_times and fd_readdir, plus the
 * filestat and time helpers path.c shares (fs.h).
 */
#define _GNU_SOURCE /* O_* and DT_* */
#include "wasi/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* ---- shared with path.c ------------------------------------------------- */

uint8_t wasi_fs_filetype(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return WASI_FILETYPE_REGULAR_FILE;
    case S_IFDIR: return WASI_FILETYPE_DIRECTORY;
    case S_IFLNK: return WASI_FILETYPE_SYMBOLIC_LINK;
    case S_IFCHR: return WASI_FILETYPE_CHARACTER_DEVICE;
    case S_IFBLK: return WASI_FILETYPE_BLOCK_DEVICE;
    case S_IFSOCK: return WASI_FILETYPE_SOCKET_STREAM;
    default: return WASI_FILETYPE_UNKNOWN; /* FIFOs have no WASI type */
    }
}

static uint64_t fs_ns(const struct timespec *t)
{
    return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

void wasi_fs_store_filestat(uint8_t *out, const struct stat *st)
{
    memset(out, 0, WASI_FILESTAT_SIZE);
    wasi_st64(out + WASI_FILESTAT_DEV, (uint64_t)st->st_dev);
    wasi_st64(out + WASI_FILESTAT_INO, (uint64_t)st->st_ino);
    wasi_st8(out + WASI_FILESTAT_FILETYPE, wasi_fs_filetype(st->st_mode));
    wasi_st64(out + WASI_FILESTAT_NLINK, (uint64_t)st->st_nlink);
    wasi_st64(out + WASI_FILESTAT_SIZE_, (uint64_t)st->st_size);
    wasi_st64(out + WASI_FILESTAT_ATIM, fs_ns(&st->st_atim));
    wasi_st64(out + WASI_FILESTAT_MTIM, fs_ns(&st->st_mtim));
    wasi_st64(out + WASI_FILESTAT_CTIM, fs_ns(&st->st_ctim));
}

static wasi_errno fs_time(uint64_t t, bool set, bool now, struct timespec *ts)
{
    if (set && now)
        return WASI_EINVAL;
    if (now) {
        ts->tv_sec = 0;
        ts->tv_nsec = UTIME_NOW;
    } else if (set) {
        ts->tv_sec = (time_t)(t / 1000000000u);
        ts->tv_nsec = (long)(t % 1000000000u);
    } else {
        ts->tv_sec = 0;
        ts->tv_nsec = UTIME_OMIT;
    }
    return WASI_ESUCCESS;
}

wasi_errno wasi_fs_times(uint64_t atim, uint64_t mtim, uint32_t fstflags, struct timespec ts[2])
{
    if (fstflags & ~(uint32_t)(WASI_FSTFLAGS_ATIM | WASI_FSTFLAGS_ATIM_NOW | WASI_FSTFLAGS_MTIM |
                               WASI_FSTFLAGS_MTIM_NOW))
        return WASI_EINVAL;
    wasi_errno r = fs_time(atim, fstflags & WASI_FSTFLAGS_ATIM, fstflags & WASI_FSTFLAGS_ATIM_NOW,
                           &ts[0]);
    if (r == WASI_ESUCCESS)
        r = fs_time(mtim, fstflags & WASI_FSTFLAGS_MTIM, fstflags & WASI_FSTFLAGS_MTIM_NOW, &ts[1]);
    return r;
}

/* ---- simple fd calls ---------------------------------------------------- */

/* Runs `op` on the host fd of guest fd arg 0 once it has `rights`. */
static wasi_errno fs_with_fd(wasi_call *c, uint64_t rights, wasi_errno (*op)(wasi_call *, wasi_fd *))
{
    wasi_fd *e;
    wasi_errno r = wasi_fd_get(c->w, wasi_fs_u32(c, 0), rights, &e);
    if (r != WASI_ESUCCESS)
        return r;
    r = op(c, e);
    wasi_fd_put(c->w, e);
    return r;
}

static wasi_errno fs_advise(wasi_call *c, wasi_fd *e)
{
    static const int advice[] = {
        [WASI_ADVICE_NORMAL] = POSIX_FADV_NORMAL,     [WASI_ADVICE_SEQUENTIAL] = POSIX_FADV_SEQUENTIAL,
        [WASI_ADVICE_RANDOM] = POSIX_FADV_RANDOM,     [WASI_ADVICE_WILLNEED] = POSIX_FADV_WILLNEED,
        [WASI_ADVICE_DONTNEED] = POSIX_FADV_DONTNEED, [WASI_ADVICE_NOREUSE] = POSIX_FADV_NOREUSE,
    };
    uint64_t off = wasi_fs_u64(c, 1), len = wasi_fs_u64(c, 2);
    uint32_t adv = wasi_fs_u32(c, 3);
    if (adv >= WEFT_ARRAY_LEN(advice) || off > INT64_MAX || len > INT64_MAX)
        return WASI_EINVAL;
    return wasi_errno_from_host(posix_fadvise(e->host_fd, (off_t)off, (off_t)len, advice[adv]));
}

static wasi_errno fs_allocate(wasi_call *c, wasi_fd *e)
{
    uint64_t off = wasi_fs_u64(c, 1), len = wasi_fs_u64(c, 2);
    if (off > INT64_MAX || len > INT64_MAX - off)
        return WASI_EFBIG;
    if (len == 0)
        return WASI_EINVAL;
    return wasi_errno_from_host(posix_fallocate(e->host_fd, (off_t)off, (off_t)len));
}

static wasi_errno fs_datasync(wasi_call *c, wasi_fd *e)
{
    (void)c;
    return fdatasync(e->host_fd) == 0 ? WASI_ESUCCESS : wasi_errno_from_host(errno);
}

static wasi_errno fs_sync(wasi_call *c, wasi_fd *e)
{
    (void)c;
    return fsync(e->host_fd) == 0 ? WASI_ESUCCESS : wasi_errno_from_host(errno);
}

static wasi_errno fs_filestat_get(wasi_call *c, wasi_fd *e)
{
    uint8_t *out = wasi_mem(c, wasi_fs_u32(c, 1), WASI_FILESTAT_SIZE);
    if (!out)
        return WASI_EFAULT;
    struct stat st;
    if (fstat(e->host_fd, &st) != 0)
        return wasi_errno_from_host(errno);
    wasi_fs_store_filestat(out, &st);
    return WASI_ESUCCESS;
}

static wasi_errno fs_set_size(wasi_call *c, wasi_fd *e)
{
    uint64_t size = wasi_fs_u64(c, 1);
    if (size > INT64_MAX)
        return WASI_EFBIG;
    return ftruncate(e->host_fd, (off_t)size) == 0 ? WASI_ESUCCESS : wasi_errno_from_host(errno);
}

static wasi_errno fs_set_times(wasi_call *c, wasi_fd *e)
{
    struct timespec ts[2];
    wasi_errno r = wasi_fs_times(wasi_fs_u64(c, 1), wasi_fs_u64(c, 2), wasi_fs_u32(c, 3), ts);
    if (r != WASI_ESUCCESS)
        return r;
    return futimens(e->host_fd, ts) == 0 ? WASI_ESUCCESS : wasi_errno_from_host(errno);
}

wasi_errno wasi_fd_advise(wasi_call *c) { return fs_with_fd(c, WASI_RIGHT_FD_ADVISE, fs_advise); }
wasi_errno wasi_fd_allocate(wasi_call *c) { return fs_with_fd(c, WASI_RIGHT_FD_ALLOCATE, fs_allocate); }
wasi_errno wasi_fd_datasync(wasi_call *c) { return fs_with_fd(c, WASI_RIGHT_FD_DATASYNC, fs_datasync); }
wasi_errno wasi_fd_sync(wasi_call *c) { return fs_with_fd(c, WASI_RIGHT_FD_SYNC, fs_sync); }

wasi_errno wasi_fd_filestat_get(wasi_call *c)
{
    return fs_with_fd(c, WASI_RIGHT_FD_FILESTAT_GET, fs_filestat_get);
}

wasi_errno wasi_fd_filestat_set_size(wasi_call *c)
{
    return fs_with_fd(c, WASI_RIGHT_FD_FILESTAT_SET_SIZE, fs_set_size);
}

wasi_errno wasi_fd_filestat_set_times(wasi_call *c)
{
    return fs_with_fd(c, WASI_RIGHT_FD_FILESTAT_SET_TIMES, fs_set_times);
}

/* ---- fd_readdir --------------------------------------------------------- *
 * Cookies are positions in the directory stream: entry k (from 0) carries
 * d_next = k + 1, and cookie 0 starts over (re-reading the directory).  The
 * stream is a DIR of its own (a second open of the directory, so the guest's
 * fd keeps its own offset), kept in the entry with the position it stands at,
 * so reading on from the last d_next costs nothing; any other cookie rewinds
 * and skips.  Guarded by the entry's lock: a DIR is not thread-safe. */

static void fs_dir_free(void *dir) { closedir(dir); }

static uint8_t fs_dirent_type(DIR *d, const struct dirent *ent)
{
    switch (ent->d_type) {
    case DT_REG: return WASI_FILETYPE_REGULAR_FILE;
    case DT_DIR: return WASI_FILETYPE_DIRECTORY;
    case DT_LNK: return WASI_FILETYPE_SYMBOLIC_LINK;
    case DT_CHR: return WASI_FILETYPE_CHARACTER_DEVICE;
    case DT_BLK: return WASI_FILETYPE_BLOCK_DEVICE;
    case DT_SOCK: return WASI_FILETYPE_SOCKET_STREAM;
    default: {
        /* Some file systems do not fill d_type: ask the entry itself. */
        struct stat st;
        if (fstatat(dirfd(d), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return WASI_FILETYPE_UNKNOWN;
        return wasi_fs_filetype(st.st_mode);
    }
    }
}

/* Puts the entry's stream at position `cookie` (opening it if needed). */
static wasi_errno fs_dir_seek(wasi_fd *e, uint64_t cookie)
{
    if (!e->dir) {
        int fd = openat(e->host_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return wasi_errno_from_host(errno);
        DIR *d = fdopendir(fd);
        if (!d) {
            int err = errno;
            close(fd);
            return wasi_errno_from_host(err);
        }
        e->dir = d;
        e->dir_free = fs_dir_free;
        e->dir_cookie = 0;
    } else if (cookie == 0 || cookie < e->dir_cookie) {
        rewinddir(e->dir);
        e->dir_cookie = 0;
    }
    while (e->dir_cookie < cookie) {
        errno = 0;
        if (!readdir(e->dir)) {
            if (errno != 0)
                return wasi_errno_from_host(errno);
            break; /* a cookie past the end reads nothing */
        }
        e->dir_cookie++;
    }
    return WASI_ESUCCESS;
}

/* Fills out[0, len) with entries from the stream; *used gets the bytes written.
 * An entry that does not fit is written truncated, filling the buffer: the
 * guest sees bufused == buf_len and reads again from its cookie. */
static wasi_errno fs_dir_fill(wasi_fd *e, uint8_t *out, uint32_t len, uint32_t *used)
{
    uint32_t n = 0;
    while (n < len) {
        errno = 0;
        struct dirent *ent = readdir(e->dir);
        if (!ent) {
            if (errno != 0)
                return wasi_errno_from_host(errno);
            break;
        }
        e->dir_cookie++;
        size_t namlen = strlen(ent->d_name);
        uint8_t hdr[WASI_DIRENT_SIZE] = {0};
        wasi_st64(hdr + WASI_DIRENT_NEXT, e->dir_cookie);
        wasi_st64(hdr + WASI_DIRENT_INO, (uint64_t)ent->d_ino);
        wasi_st32(hdr + WASI_DIRENT_NAMLEN, (uint32_t)namlen);
        wasi_st8(hdr + WASI_DIRENT_TYPE, fs_dirent_type(e->dir, ent));
        uint32_t room = len - n;
        uint32_t h = room < WASI_DIRENT_SIZE ? room : WASI_DIRENT_SIZE;
        memcpy(out + n, hdr, h);
        n += h;
        room = len - n;
        uint32_t k = namlen < room ? (uint32_t)namlen : room;
        memcpy(out + n, ent->d_name, k);
        n += k;
    }
    *used = n;
    return WASI_ESUCCESS;
}

wasi_errno wasi_fd_readdir(wasi_call *c)
{
    uint32_t buf = wasi_fs_u32(c, 1), len = wasi_fs_u32(c, 2);
    uint64_t cookie = wasi_fs_u64(c, 3);
    uint8_t *out = wasi_mem(c, buf, len);
    uint8_t *usedp = wasi_mem(c, wasi_fs_u32(c, 4), 4);
    if (!out || !usedp)
        return WASI_EFAULT;
    wasi_fd *e;
    wasi_errno r = wasi_fd_get(c->w, wasi_fs_u32(c, 0), WASI_RIGHT_FD_READDIR, &e);
    if (r != WASI_ESUCCESS)
        return r;
    uint32_t used = 0;
    if (e->filetype != WASI_FILETYPE_DIRECTORY) {
        r = WASI_ENOTDIR;
    } else {
        pthread_mutex_lock(&e->lock);
        r = fs_dir_seek(e, cookie);
        if (r == WASI_ESUCCESS)
            r = fs_dir_fill(e, out, len, &used);
        pthread_mutex_unlock(&e->lock);
    }
    wasi_fd_put(c->w, e);
    if (r == WASI_ESUCCESS)
        wasi_st32(usedp, used);
    return r;
}

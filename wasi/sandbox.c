/*
 * sandbox.c -- path resolution beneath a directory fd (see sandbox.h): the
 * openat2 resolver, the component walk that stands in for it, and the
 * parent-plus-name form the path_* calls act through.
 */
#define _GNU_SOURCE /* O_PATH, openat2 */
#include "wasi/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The walk keeps the unresolved rest of the path right-aligned in a buffer,
 * so that a symlink's target is spliced in front of it without a copy of the
 * rest.  Twice PATH_MAX leaves room for a few splices of long targets. */
#define SBX_BUF (2 * PATH_MAX)
/* Directories the walk holds open at once (the depth reached below base). */
#define SBX_MAX_DEPTH 256
/* openat2 says EAGAIN when a rename raced with a `..`; retry, then walk. */
#define SBX_OPENAT2_TRIES 8

/* A guest path as a C string: checked, NUL-terminated copy into buf. */
static int sbx_copy_path(const char *path, size_t len, char buf[PATH_MAX])
{
    if (len == 0)
        return ENOENT;
    if (len >= PATH_MAX)
        return ENAMETOOLONG;
    /* Copy first, then check the copy: the path may sit in shared memory
     * that another thread rewrites meanwhile. */
    memcpy(buf, path, len);
    buf[len] = '\0';
    if (memchr(buf, '\0', len))
        return EILSEQ; /* not a string a path can be (wasmtime's answer too) */
    if (buf[0] == '/')
        return SBX_ESCAPE;
    return 0;
}

/* ---- openat2 ------------------------------------------------------------ */

/* Returns 0 (*out set), an error, or -1 when openat2 cannot decide (absent,
 * filtered, or repeatedly raced) and the walk must. */
static int sbx_openat2(int base, const char *cpath, int oflags, mode_t mode, int *out)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(unsigned)oflags;
    how.mode = (oflags & O_CREAT) ? mode : 0; /* openat2 rejects a stray mode */
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    for (int i = 0; i < SBX_OPENAT2_TRIES; i++) {
        long fd = syscall(SYS_openat2, base, cpath, &how, sizeof how);
        if (fd >= 0) {
            *out = (int)fd;
            return 0;
        }
        switch (errno) {
        case EAGAIN:
            continue;
        case EXDEV:
            return SBX_ESCAPE;
        case ENOSYS: /* kernel before 5.6 */
        case EPERM:  /* a seccomp filter that does not know the call */
        case E2BIG:
        case EINVAL: /* flags this kernel's openat2 rejects: the walk decides */
            return -1;
        default:
            return errno;
        }
    }
    return -1;
}

/* ---- the component walk ------------------------------------------------- */

typedef struct sbx_walk {
    int stack[SBX_MAX_DEPTH]; /* stack[0] is the base (borrowed), others owned */
    int depth;                /* index of the current directory               */
    size_t start;             /* the rest of the path is buf[start, SBX_BUF)  */
    int hops;
    char buf[SBX_BUF];
} sbx_walk;

static void sbx_walk_release(sbx_walk *wk)
{
    while (wk->depth > 0)
        close(wk->stack[wk->depth--]);
}

/* `name` (NUL-terminated) in the current directory may be a symlink: if it
 * is, its target replaces it in front of the rest, which begins at `rest`.
 * Returns 0 when spliced, EINVAL when it is not a symlink, or an error. */
static int sbx_splice(sbx_walk *wk, const char *name, size_t rest)
{
    char target[PATH_MAX];
    ssize_t n = readlinkat(wk->stack[wk->depth], name, target, sizeof target);
    if (n < 0)
        return errno;
    if ((size_t)n >= sizeof target)
        return ENAMETOOLONG;
    if (n == 0)
        return ENOENT;
    if (++wk->hops > SBX_MAX_HOPS)
        return ELOOP;
    if (target[0] == '/')
        return SBX_ESCAPE;
    if ((size_t)n > rest)
        return ENAMETOOLONG;
    wk->start = rest - (size_t)n;
    memcpy(wk->buf + wk->start, target, (size_t)n);
    return 0;
}

/* The final component `name` of the walk, in the current directory. */
static int sbx_walk_last(sbx_walk *wk, const char *name, size_t rest, bool trailing, int oflags,
                         mode_t mode, bool follow, int *out, bool *spliced)
{
    int dir = wk->stack[wk->depth];
    *spliced = false;
    if (trailing) {
        /* "x/" names a directory, symlinks resolved (POSIX); creating one
         * with open(2) is not possible. */
        if (oflags & O_CREAT)
            return EISDIR;
        oflags |= O_DIRECTORY;
        follow = true;
    }
    int fd = openat(dir, name, oflags | O_NOFOLLOW | O_CLOEXEC, mode);
    int e = fd < 0 ? errno : 0;
    if (fd >= 0) {
        struct stat st;
        /* O_PATH|O_NOFOLLOW opens a symlink itself rather than failing. */
        if (!follow || !(oflags & O_PATH) || fstat(fd, &st) != 0 || !S_ISLNK(st.st_mode)) {
            *out = fd;
            return 0;
        }
        close(fd);
        e = ELOOP;
    }
    if (!follow || (e != ELOOP && e != ENOTDIR && e != EMLINK))
        return e;
    int s = sbx_splice(wk, name, rest);
    if (s == EINVAL || s == ENOENT)
        return e; /* not a symlink (any more): the open's own error */
    if (s == 0)
        *spliced = true;
    return s;
}

/* Opens the current directory itself (the path ended in "." or ".."). */
static int sbx_walk_here(sbx_walk *wk, int oflags, mode_t mode, int *out)
{
    int fd = openat(wk->stack[wk->depth], ".", oflags | O_CLOEXEC, mode);
    if (fd < 0)
        return errno;
    *out = fd;
    return 0;
}

static int sbx_walk_run(sbx_walk *wk, int oflags, mode_t mode, bool follow, int *out)
{
    char name[NAME_MAX + 1];
    for (;;) {
        size_t p = wk->start;
        while (p < SBX_BUF && wk->buf[p] == '/')
            p++;
        if (p == SBX_BUF) /* nothing left (cannot happen: paths are relative) */
            return sbx_walk_here(wk, oflags, mode, out);
        size_t ce = p;
        while (ce < SBX_BUF && wk->buf[ce] != '/')
            ce++;
        size_t q = ce;
        while (q < SBX_BUF && wk->buf[q] == '/')
            q++;
        bool last = q == SBX_BUF;
        bool trailing = last && q > ce;
        size_t n = ce - p;
        if (n > NAME_MAX)
            return ENAMETOOLONG;
        memcpy(name, wk->buf + p, n);
        name[n] = '\0';
        wk->start = ce;

        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
            if (name[1] == '.') {
                if (wk->depth == 0)
                    return SBX_ESCAPE;
                close(wk->stack[wk->depth--]);
            }
            if (last)
                return sbx_walk_here(wk, oflags, mode, out);
            continue;
        }
        if (last) {
            bool spliced;
            int e = sbx_walk_last(wk, name, ce, trailing, oflags, mode, follow, out, &spliced);
            if (e != 0 || !spliced)
                return e;
            continue;
        }
        int fd = openat(wk->stack[wk->depth], name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            if (wk->depth + 1 >= SBX_MAX_DEPTH) {
                close(fd);
                return ENAMETOOLONG;
            }
            wk->stack[++wk->depth] = fd;
            continue;
        }
        int e = errno;
        if (e != ENOTDIR && e != ELOOP)
            return e;
        int s = sbx_splice(wk, name, ce);
        if (s == EINVAL)
            return ENOTDIR; /* a file used as a directory */
        if (s != 0)
            return s;
    }
}

static int sbx_walk_open(int base, const char *cpath, size_t len, int oflags, mode_t mode,
                         bool follow, int *out)
{
    sbx_walk walk, *wk = &walk; /* ~9 KiB of stack: the walk allocates nothing */
    wk->stack[0] = base;
    wk->depth = 0;
    wk->hops = 0;
    wk->start = SBX_BUF - len;
    memcpy(wk->buf + wk->start, cpath, len);
    int e = sbx_walk_run(wk, oflags, mode, follow, out);
    sbx_walk_release(wk);
    return e;
}

/* ---- public ------------------------------------------------------------- */

int sbx_open(int base, const char *path, size_t len, int oflags, mode_t mode, unsigned flags,
             int *out)
{
    char cpath[PATH_MAX];
    int e = sbx_copy_path(path, len, cpath);
    if (e != 0)
        return e;
    bool follow = flags & SBX_FOLLOW;
    if (!(flags & SBX_WALK)) {
        e = sbx_openat2(base, cpath, oflags | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW), mode, out);
        if (e >= 0)
            return e;
    }
    return sbx_walk_open(base, cpath, len, oflags, mode, follow, out);
}

static bool sbx_is_dots(const char *s, size_t n)
{
    return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

int sbx_at_open(int base, const char *path, size_t len, unsigned flags, sbx_at *at)
{
    char cur[PATH_MAX];
    int e = sbx_copy_path(path, len, cur);
    if (e != 0)
        return e;
    unsigned dflags = (flags & SBX_WALK) | SBX_FOLLOW;
    at->dirfd = -1;
    at->owned = false;
    for (int hops = 0;; hops++) {
        size_t end = len;
        while (end > 0 && cur[end - 1] == '/')
            end--;
        if (end == 0)
            return SBX_ESCAPE; /* only slashes: the root */
        size_t ns = end;
        while (ns > 0 && cur[ns - 1] != '/')
            ns--;
        at->trailing_slash = end < len;
        if (sbx_is_dots(cur + ns, end - ns)) {
            /* The path names a directory itself: act on "." inside it. */
            int fd;
            e = sbx_open(base, cur, len, O_PATH | O_DIRECTORY, 0, dflags, &fd);
            if (e != 0)
                return e;
            at->dirfd = fd;
            at->owned = true;
            strcpy(at->name, ".");
            return 0;
        }
        if (end - ns > NAME_MAX)
            return ENAMETOOLONG;
        memcpy(at->name, cur + ns, end - ns);
        at->name[end - ns] = '\0';
        if (ns == 0) {
            at->dirfd = base;
            at->owned = false;
        } else {
            e = sbx_open(base, cur, ns, O_PATH | O_DIRECTORY, 0, dflags, &at->dirfd);
            if (e != 0)
                return e;
            at->owned = true;
        }
        if (!(flags & SBX_FOLLOW))
            return 0;

        char target[PATH_MAX];
        ssize_t n = readlinkat(at->dirfd, at->name, target, sizeof target);
        if (n < 0)
            return 0; /* not a symlink (or absent): the caller's call says which */
        sbx_at_close(at);
        if ((size_t)n >= sizeof target)
            return ENAMETOOLONG;
        if (n == 0)
            return ENOENT;
        if (hops + 1 > SBX_MAX_HOPS)
            return ELOOP;
        if (target[0] == '/')
            return SBX_ESCAPE;
        /* cur = dir part + target (+ the trailing slash), from the base again:
         * the target's `..` may climb above the parent but not the base. */
        size_t tail = end < len ? 1 : 0;
        if (ns + (size_t)n + tail >= PATH_MAX)
            return ENAMETOOLONG;
        memcpy(cur + ns, target, (size_t)n);
        len = ns + (size_t)n;
        if (tail)
            cur[len++] = '/';
        cur[len] = '\0';
    }
}

void sbx_at_close(sbx_at *at)
{
    if (at->owned && at->dirfd >= 0)
        close(at->dirfd);
    at->dirfd = -1;
    at->owned = false;
}

/*
 * sandbox.h -- resolving guest paths beneath a directory fd (sbx_), so that no
 * path -- `..`, absolute, or through a symlink (dangling, looping, chained or
 * pointing outside) -- reaches anything outside it (DESIGN.md invariant 7).
 *
 * Two resolvers give the same answers:
 *   - openat2(2) with RESOLVE_BENEATH, when the kernel has it (checked on each
 *     call: ENOSYS, or a seccomp filter's EPERM, falls back; no global state);
 *   - a walk one component at a time: openat(O_PATH|O_DIRECTORY|O_NOFOLLOW)
 *     per directory, symlinks read with readlinkat and spliced into the rest
 *     of the path (at most SBX_MAX_HOPS of them), and `..` popping a stack of
 *     the directories already opened -- never openat(fd, "..") -- so a
 *     directory renamed away during the walk cannot lead above the base.
 *
 * Operations on a final component (unlink, rename, mkdir, link, symlink, stat,
 * set times) open its parent beneath the base with sbx_at_open, then call the
 * *at() function on the final name with AT_SYMLINK_NOFOLLOW (or its
 * equivalent): the name never contains '/' and is never "..", so the kernel
 * never resolves anything on its own outside the parent.
 *
 * Errors are host errno values (0 = success), plus SBX_ESCAPE for a path that
 * would leave the base (WASI's ENOTCAPABLE).
 */
#ifndef WEFT_WASI_SANDBOX_H
#define WEFT_WASI_SANDBOX_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "engine/internal.h"

/* Not a host errno value: the path would resolve outside the base. */
#define SBX_ESCAPE 0x10000
/* Symlinks followed in one resolution before ELOOP (Linux's own limit). */
#define SBX_MAX_HOPS 40

enum {
    SBX_FOLLOW = 1u << 0, /* follow a symlink in the final component           */
    SBX_WALK = 1u << 1,   /* never use openat2: the component walk only (tests) */
};

/* The directory holding a path's final component, and that component. */
typedef struct sbx_at {
    int dirfd;               /* an O_PATH directory fd beneath the base         */
    bool owned;              /* sbx_at_close closes dirfd (else it is the base) */
    bool trailing_slash;     /* the path ended in '/'                           */
    char name[NAME_MAX + 1]; /* no '/', never ".."; "." when the path names
                                dirfd itself (".", "a/..", "a/.")               */
} sbx_at;

/* Opens `path` (`len` bytes, not NUL-terminated) beneath directory `base` with
 * open(2) flags `oflags` and `mode` (used with O_CREAT).  O_CLOEXEC is added,
 * and O_NOFOLLOW unless `flags` has SBX_FOLLOW.  A trailing '/' requires a
 * directory.  Returns 0 and the new fd in *out, or an error. */
WEFT_INTERNAL int sbx_open(int base, const char *path, size_t len, int oflags, mode_t mode,
                           unsigned flags, int *out);

/* Fills *at for `path` beneath `base`.  With SBX_FOLLOW, symlinks in the final
 * component are followed (within the base) until the name is not a symlink;
 * callers still act on it with AT_SYMLINK_NOFOLLOW, so a symlink swapped in
 * afterwards is acted on itself, never followed.  Release with sbx_at_close. */
WEFT_INTERNAL int sbx_at_open(int base, const char *path, size_t len, unsigned flags, sbx_at *at);
WEFT_INTERNAL void sbx_at_close(sbx_at *at);

#endif /* WEFT_WASI_SANDBOX_H */

/* Escapes from inside a guest: `..` chains, absolute paths, symlinks out of
 * the preopen (made by the guest: a relative target is stored as given but
 * never followed outside; an absolute one is refused with EPERM), chains and
 * loops, through every path call; each fails with ENOTCAPABLE (ELOOP for
 * loops) and paths that stay inside keep working.  The preopen is fs_tree.dir (fd 3), holding hello.txt. */
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#include "case_util.h"

#define DIR_FD 3
#define CAP __WASI_ERRNO_NOTCAPABLE

static __wasi_errno_t open_(const char *path, __wasi_lookupflags_t lf, __wasi_oflags_t of)
{
    __wasi_fd_t f;
    __wasi_errno_t r = __wasi_path_open(DIR_FD, lf, path, of,
                                        __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR, 0, 0, &f);
    if (r == 0 && __wasi_fd_close(f) != 0)
        exit(2);
    return r;
}

/* path_open as imported, with the path's length given (wasi/api.h's
 * wrapper takes strlen). */
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t len, int32_t oflags,
                      int64_t base, int64_t inheriting, int32_t fdflags, int32_t out)
    __attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open")));

static __wasi_errno_t stat_(const char *path, __wasi_lookupflags_t lf)
{
    __wasi_filestat_t st;
    return __wasi_path_filestat_get(DIR_FD, lf, path, &st);
}

int main(void)
{
    const __wasi_lookupflags_t F = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
    static const char *out[] = {"..", "../", "../fs_tree.dir/hello.txt", "/", "/etc/passwd",
                                "./../x", "sub/../../x", "sub/sub2/../../../x", "//hello.txt"};
    check(__wasi_path_create_directory(DIR_FD, "sub") == 0);
    check(__wasi_path_create_directory(DIR_FD, "sub/sub2") == 0);
    for (size_t i = 0; i < sizeof out / sizeof *out; i++) {
        check(open_(out[i], F, 0) == CAP);
        check(open_(out[i], 0, __WASI_OFLAGS_CREAT) == CAP);
        check(stat_(out[i], F) == CAP);
        check(__wasi_path_create_directory(DIR_FD, out[i]) == CAP);
        check(__wasi_path_unlink_file(DIR_FD, out[i]) == CAP);
        check(__wasi_path_remove_directory(DIR_FD, out[i]) == CAP);
        check(__wasi_path_symlink("hello.txt", DIR_FD, out[i]) == CAP);
        check(__wasi_path_rename(DIR_FD, "hello.txt", DIR_FD, out[i]) == CAP);
        check(__wasi_path_rename(DIR_FD, out[i], DIR_FD, "moved") == CAP);
        check(__wasi_path_link(DIR_FD, 0, "hello.txt", DIR_FD, out[i]) == CAP);
        check(__wasi_path_filestat_set_times(DIR_FD, F, out[i], 0, 0, __WASI_FSTFLAGS_MTIM_NOW) ==
              CAP);
    }
    /* Inside stays reachable, `..` included. */
    check(open_("sub/../hello.txt", 0, 0) == 0);
    check(open_("sub/sub2/../../hello.txt", 0, 0) == 0);
    check(open_(".", 0, __WASI_OFLAGS_DIRECTORY) == 0);

    /* An absolute target is refused (EPERM) and nothing is made. */
    static const char *abs[] = {"/", "/etc/passwd", "//", "/fs_tree.dir/hello.txt"};
    for (size_t i = 0; i < sizeof abs / sizeof *abs; i++) {
        check(__wasi_path_symlink(abs[i], DIR_FD, "root") == __WASI_ERRNO_PERM);
        check(stat_("root", 0) == __WASI_ERRNO_NOENT);
    }
    /* Relative symlinks that point out: made as the guest asks (where a
     * link leads depends on where it lives), read back as made. */
    check(__wasi_path_symlink("..", DIR_FD, "up") == 0);
    check(__wasi_path_symlink("../../..", DIR_FD, "sub/sub2/up3") == 0);
    check(__wasi_path_symlink("sub/sub2/up3/etc", DIR_FD, "chain") == 0);
    check(__wasi_path_symlink("loop2", DIR_FD, "loop1") == 0);
    check(__wasi_path_symlink("loop1", DIR_FD, "loop2") == 0);
    check(__wasi_path_symlink("../hello.txt", DIR_FD, "sub/ok") == 0);
    char buf[64];
    __wasi_size_t used;
    check(__wasi_path_readlink(DIR_FD, "sub/sub2/up3", (uint8_t *)buf, sizeof buf, &used) == 0 &&
          used == 8 && memcmp(buf, "../../..", 8) == 0);
    check(__wasi_path_readlink(DIR_FD, "sub/sub2/up3", (uint8_t *)buf, 4, &used) == 0 &&
          used == 4 && memcmp(buf, "../.", 4) == 0); /* truncated to the buffer */
    check(__wasi_path_readlink(DIR_FD, "hello.txt", (uint8_t *)buf, sizeof buf, &used) ==
          __WASI_ERRNO_INVAL);

    static const char *via[] = {"up", "up/fs_tree.dir", "up/fs_tree.dir/hello.txt",
                                "sub/sub2/up3", "chain", "chain/passwd", "up/x"};
    for (size_t i = 0; i < sizeof via / sizeof *via; i++) {
        check(open_(via[i], F, 0) == CAP);
        check(open_(via[i], F, __WASI_OFLAGS_CREAT) == CAP);
        check(stat_(via[i], F) == CAP);
        check(__wasi_path_filestat_set_times(DIR_FD, F, via[i], 0, 0, __WASI_FSTFLAGS_MTIM_NOW) ==
              CAP);
        check(__wasi_path_link(DIR_FD, F, via[i], DIR_FD, "hard") == CAP);
    }
    /* Without follow, the links themselves are fine to look at and remove. */
    __wasi_filestat_t st;
    check(__wasi_path_filestat_get(DIR_FD, 0, "up", &st) == 0 &&
          st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    check(open_("up", 0, 0) == __WASI_ERRNO_LOOP);
    check(__wasi_path_unlink_file(DIR_FD, "chain/passwd") == CAP);
    check(__wasi_path_create_directory(DIR_FD, "up/made") == CAP);
    check(__wasi_path_symlink("x", DIR_FD, "up/made") == CAP);
    check(__wasi_path_rename(DIR_FD, "hello.txt", DIR_FD, "up/hello.txt") == CAP);
    check(__wasi_path_rename(DIR_FD, "sub/sub2/up3/x", DIR_FD, "x") == CAP);

    check(open_("loop1", F, 0) == __WASI_ERRNO_LOOP);
    check(stat_("loop1", F) == __WASI_ERRNO_LOOP);
    check(open_("loop1/x", 0, 0) == __WASI_ERRNO_LOOP);
    check(open_("sub/ok", F, 0) == 0);
    check(open_("sub/ok", 0, 0) == __WASI_ERRNO_LOOP);
    check(stat_("sub/ok", F) == 0);

    /* Rights: no more than the directory hands on; a file is no directory. */
    __wasi_fd_t d, f;
    check(__wasi_path_open(DIR_FD, 0, "sub", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_PATH_OPEN,
                           __WASI_RIGHTS_FD_READ, 0, &d) == 0);
    check(__wasi_path_open(d, 0, "ok", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &f) == CAP);
    check(__wasi_path_open(d, F, "ok", 0, __WASI_RIGHTS_FD_READ, 0, 0, &f) == CAP);
    check(__wasi_path_create_directory(d, "new") == CAP);
    check(__wasi_path_open(DIR_FD, 0, "hello.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &f) == 0);
    check(__wasi_path_open(f, 0, "x", 0, 0, 0, 0, &d) == __WASI_ERRNO_NOTDIR);
    check(__wasi_path_open(DIR_FD, 0, "hello.txt/", 0, 0, 0, 0, &d) == __WASI_ERRNO_NOTDIR);
    /* A NUL inside the path is no path; a path outside memory faults. */
    static const char nul[] = "hello.txt\0/../../x";
    check(raw_path_open(DIR_FD, 0, (int32_t)nul, sizeof nul - 1, 0, 0, 0, 0, (int32_t)&d) ==
          __WASI_ERRNO_ILSEQ);
    check(raw_path_open(DIR_FD, 0, (int32_t)0xFFFFFFF0u, 64, 0, 0, 0, 0, (int32_t)&d) ==
          __WASI_ERRNO_FAULT);
    check(raw_path_open(DIR_FD, 0, (int32_t)nul, 9, 0, 0, 0, 0, (int32_t)0xFFFFFFFEu) ==
          __WASI_ERRNO_FAULT);
    put("escape ok\n");
    return 0;
}

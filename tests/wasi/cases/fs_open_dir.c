/* path_open of a directory: asking to write it -- the fd_write right (or
 * fd_allocate, fd_filestat_set_size) or truncation -- is EISDIR, with
 * OFLAGS_DIRECTORY or without, for "." and a subdirectory alike; reading it
 * and path rights stay fine, and the same rights on a file still work.  The
 * preopen is fs_tree.dir (fd 3), holding hello.txt. */
#include <wasi/api.h>

#include "case_util.h"

#define DIR_FD 3
#define ISDIR __WASI_ERRNO_ISDIR

static __wasi_errno_t open_(const char *path, __wasi_oflags_t of, __wasi_rights_t base)
{
    __wasi_fd_t f = 0;
    __wasi_errno_t r = __wasi_path_open(DIR_FD, 0, path, of, base, 0, 0, &f);
    if (r == 0 && __wasi_fd_close(f) != 0)
        exit(2);
    return r;
}

int main(void)
{
    const __wasi_oflags_t D = __WASI_OFLAGS_DIRECTORY;
    const __wasi_rights_t R = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR;
    static const __wasi_rights_t writes[] = {
        __WASI_RIGHTS_FD_WRITE, __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_READ,
        __WASI_RIGHTS_FD_ALLOCATE, __WASI_RIGHTS_FD_FILESTAT_SET_SIZE};
    static const char *dirs[] = {".", "odsub", "odsub/", "odsub/.."};
    check(__wasi_path_create_directory(DIR_FD, "odsub") == 0);
    for (unsigned i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        for (unsigned j = 0; j < sizeof writes / sizeof *writes; j++) {
            check(open_(dirs[i], D, writes[j]) == ISDIR);
            check(open_(dirs[i], 0, writes[j]) == ISDIR);
        }
        check(open_(dirs[i], D | __WASI_OFLAGS_TRUNC, R) == ISDIR);
        check(open_(dirs[i], __WASI_OFLAGS_TRUNC, R) == ISDIR);
        /* Reading, and no rights at all, open it. */
        check(open_(dirs[i], D, R) == 0);
        check(open_(dirs[i], 0, R) == 0);
        check(open_(dirs[i], D, __WASI_RIGHTS_PATH_OPEN) == 0);
    }
    /* A refused open leaves no fd behind: the next open takes the same number. */
    __wasi_fd_t a, b;
    check(__wasi_path_open(DIR_FD, 0, ".", D, R, 0, 0, &a) == 0 && __wasi_fd_close(a) == 0);
    check(open_("odsub", D, __WASI_RIGHTS_FD_WRITE) == ISDIR);
    check(__wasi_path_open(DIR_FD, 0, ".", D, R, 0, 0, &b) == 0 && b == a);
    check(__wasi_fd_close(b) == 0);
    /* Files: the same rights work, OFLAGS_DIRECTORY is ENOTDIR. */
    check(open_("hello.txt", 0, __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_READ) == 0);
    check(open_("hello.txt", D, __WASI_RIGHTS_FD_WRITE) == __WASI_ERRNO_NOTDIR);
    check(open_("missing", D, __WASI_RIGHTS_FD_WRITE) == __WASI_ERRNO_NOENT);
    /* The directory itself was never written to. */
    __wasi_filestat_t st;
    check(__wasi_path_filestat_get(DIR_FD, 0, "odsub", &st) == 0 &&
          st.filetype == __WASI_FILETYPE_DIRECTORY);
    put("open dir ok\n");
    return 0;
}

/* Trailing slashes and the final-name calls: "x/" names a directory, so a
 * file or a link given that way is ENOTDIR (or EISDIR / ENOENT / EEXIST as
 * POSIX says), and a directory works with or without it.  Preopen
 * fs_tree.dir (fd 3); works in its own folder "tr". */
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#include "case_util.h"

#define D 3

static void make_file(const char *path)
{
    __wasi_fd_t f;
    check(__wasi_path_open(D, 0, path, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, 0, 0, &f) == 0);
    check(__wasi_fd_close(f) == 0);
}

int main(void)
{
    __wasi_filestat_t st;
    __wasi_fd_t f;
    check(__wasi_path_create_directory(D, "tr/") == 0);
    check(__wasi_path_create_directory(D, "tr/dir/") == 0);
    check(__wasi_path_create_directory(D, "tr/dir") == __WASI_ERRNO_EXIST);
    make_file("tr/file");
    make_file("tr/dir/inner");
    check(__wasi_path_create_directory(D, "tr/file/") == __WASI_ERRNO_EXIST);
    check(__wasi_path_symlink("dir", D, "tr/ldir") == 0);
    check(__wasi_path_symlink("file", D, "tr/lfile") == 0);

    /* Opening and stat. */
    check(__wasi_path_open(D, 0, "tr/file/", 0, 0, 0, 0, &f) == __WASI_ERRNO_NOTDIR);
    check(__wasi_path_open(D, 0, "tr/dir/", 0, 0, 0, 0, &f) == 0 && __wasi_fd_close(f) == 0);
    check(__wasi_path_open(D, 0, "tr/ldir/", 0, 0, 0, 0, &f) == 0 && __wasi_fd_close(f) == 0);
    check(__wasi_path_open(D, 0, "tr/ldir", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &f) ==
              __WASI_ERRNO_LOOP ||
          __wasi_path_open(D, 0, "tr/ldir", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &f) ==
              __WASI_ERRNO_NOTDIR);
    check(__wasi_path_open(D, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "tr/lfile", __WASI_OFLAGS_DIRECTORY,
                           0, 0, 0, &f) == __WASI_ERRNO_NOTDIR);
    check(__wasi_path_open(D, 0, "tr/new/", __WASI_OFLAGS_CREAT, 0, 0, 0, &f) == __WASI_ERRNO_ISDIR);
    check(__wasi_path_open(D, 0, "tr/file", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, 0, 0,
                           &f) == __WASI_ERRNO_EXIST);
    check(__wasi_path_open(D, 0, "tr/lfile", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, 0, 0,
                           &f) == __WASI_ERRNO_EXIST);
    check(__wasi_path_filestat_get(D, 0, "tr/file/", &st) == __WASI_ERRNO_NOTDIR);
    check(__wasi_path_filestat_get(D, 0, "tr/ldir/", &st) == 0 &&
          st.filetype == __WASI_FILETYPE_DIRECTORY);
    check(__wasi_path_filestat_get(D, 0, "tr/ldir", &st) == 0 &&
          st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    check(__wasi_path_filestat_get(D, 0, "tr/dir/..", &st) == 0 &&
          st.filetype == __WASI_FILETYPE_DIRECTORY);

    /* Unlink and rmdir. */
    check(__wasi_path_unlink_file(D, "tr/dir") == __WASI_ERRNO_ISDIR);
    check(__wasi_path_unlink_file(D, "tr/dir/") == __WASI_ERRNO_ISDIR);
    check(__wasi_path_unlink_file(D, "tr/file/") == __WASI_ERRNO_NOTDIR);
    check(__wasi_path_unlink_file(D, "tr/lfile/") == __WASI_ERRNO_NOTDIR);
    check(__wasi_path_remove_directory(D, "tr/file") == __WASI_ERRNO_NOTDIR);
    check(__wasi_path_remove_directory(D, "tr/file/") == __WASI_ERRNO_NOTDIR);
    check(__wasi_path_remove_directory(D, "tr/ldir/") == __WASI_ERRNO_NOTDIR);
    check(__wasi_path_remove_directory(D, "tr/dir") == __WASI_ERRNO_NOTEMPTY);
    check(__wasi_path_remove_directory(D, "tr/missing") == __WASI_ERRNO_NOENT);

    /* Rename. */
    check(__wasi_path_rename(D, "tr/file/", D, "tr/f2") == __WASI_ERRNO_NOTDIR);
    check(__wasi_path_rename(D, "tr/file", D, "tr/f2/") == __WASI_ERRNO_NOTDIR);
    check(__wasi_path_rename(D, "tr/dir/", D, "tr/dir2/") == 0);
    check(__wasi_path_rename(D, "tr/dir2", D, "tr/dir") == 0);
    check(__wasi_path_rename(D, "tr/file", D, "tr/dir") == __WASI_ERRNO_ISDIR);
    check(__wasi_path_rename(D, "tr/file", D, "tr/f2") == 0);
    check(__wasi_path_rename(D, "tr/f2", D, "tr/file") == 0);

    /* Symlink and link: a new name with a slash cannot be made. */
    check(__wasi_path_symlink("file", D, "tr/s/") == __WASI_ERRNO_NOENT);
    check(__wasi_path_symlink("file", D, "tr/lfile/") == __WASI_ERRNO_EXIST);
    check(__wasi_path_symlink("file", D, "tr/lfile") == __WASI_ERRNO_EXIST);
    check(__wasi_path_link(D, 0, "tr/file", D, "tr/h/") == __WASI_ERRNO_NOENT);
    check(__wasi_path_link(D, 0, "tr/file/", D, "tr/h") == __WASI_ERRNO_NOTDIR);
    check(__wasi_path_link(D, 0, "tr/dir", D, "tr/h") == __WASI_ERRNO_PERM);
    check(__wasi_path_link(D, 0, "tr/file", D, "tr/lfile") == __WASI_ERRNO_EXIST);
    /* Linking a symlink: the link itself, or (follow) what it names. */
    check(__wasi_path_link(D, 0, "tr/lfile", D, "tr/h1") == 0);
    check(__wasi_path_filestat_get(D, 0, "tr/h1", &st) == 0 &&
          st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    check(__wasi_path_link(D, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "tr/lfile", D, "tr/h2") == 0);
    check(__wasi_path_filestat_get(D, 0, "tr/h2", &st) == 0 &&
          st.filetype == __WASI_FILETYPE_REGULAR_FILE && st.nlink == 2);

    /* Removing everything, slashes allowed on directories. */
    static const char *files[] = {"tr/dir/inner", "tr/file", "tr/ldir", "tr/lfile", "tr/h1", "tr/h2"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        check(__wasi_path_unlink_file(D, files[i]) == 0);
    check(__wasi_path_remove_directory(D, "tr/dir/") == 0);
    check(__wasi_path_remove_directory(D, "tr/.") == __WASI_ERRNO_INVAL ||
          __wasi_path_remove_directory(D, "tr/.") == __WASI_ERRNO_BUSY);
    check(__wasi_path_remove_directory(D, "tr") == 0);
    check(__wasi_path_filestat_get(D, 0, "tr", &st) == __WASI_ERRNO_NOENT);
    put("trailing ok\n");
    return 0;
}

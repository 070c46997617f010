/* path_filestat_set_times and fd_filestat_set_times / set_size: given
 * times, "now", omitted times, the flags' errors, and a symlink's own times
 * (lookupflags 0) against its target's (symlink_follow). */
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#include "case_util.h"

#define DIR_FD 3
#define T1 1234567890123456789ull /* ns: 2009, with a nanosecond part */
#define T2 1000000000000000007ull

static __wasi_filestat_t stat_of(const char *path, __wasi_lookupflags_t flags)
{
    __wasi_filestat_t st;
    if (__wasi_path_filestat_get(DIR_FD, flags, path, &st) != 0)
        exit(98);
    return st;
}

int main(void)
{
    const __wasi_lookupflags_t FOLLOW = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
    __wasi_fd_t f;
    if (__wasi_path_create_directory(DIR_FD, "st") != 0)
        return 1;
    if (__wasi_path_open(DIR_FD, 0, "st/file", __WASI_OFLAGS_CREAT,
                         __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_FILESTAT_GET |
                             __WASI_RIGHTS_FD_FILESTAT_SET_TIMES |
                             __WASI_RIGHTS_FD_FILESTAT_SET_SIZE,
                         0, 0, &f) != 0)
        return 2;
    __wasi_ciovec_t iov = {(const uint8_t *)"0123456789", 10};
    __wasi_size_t n;
    if (__wasi_fd_write(f, &iov, 1, &n) != 0 || n != 10)
        return 3;

    /* Both times given. */
    if (__wasi_path_filestat_set_times(DIR_FD, 0, "st/file", T1, T2,
                                       __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM) != 0)
        return 4;
    __wasi_filestat_t st = stat_of("st/file", 0);
    if (st.atim != T1 || st.mtim != T2 || st.size != 10 ||
        st.filetype != __WASI_FILETYPE_REGULAR_FILE)
        return 5;
    /* Only mtim: atim stays. */
    if (__wasi_path_filestat_set_times(DIR_FD, 0, "st/file", 0, T1, __WASI_FSTFLAGS_MTIM) != 0)
        return 6;
    st = stat_of("st/file", 0);
    if (st.atim != T1 || st.mtim != T1)
        return 7;
    /* "now" is the realtime clock's now. */
    __wasi_timestamp_t before, after;
    if (__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &before) != 0)
        return 8;
    if (__wasi_path_filestat_set_times(DIR_FD, 0, "st/file", 0, 0, __WASI_FSTFLAGS_MTIM_NOW) != 0)
        return 9;
    if (__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &after) != 0)
        return 10;
    st = stat_of("st/file", 0);
    /* File systems round "now" down to their tick (at most 10 ms here). */
    if (st.atim != T1 || st.mtim + 10000000ull < before || st.mtim > after)
        return 11;
    /* A time both given and "now", or unknown flags: EINVAL. */
    if (__wasi_path_filestat_set_times(DIR_FD, 0, "st/file", T1, 0,
                                       __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW) !=
        __WASI_ERRNO_INVAL)
        return 12;
    if (__wasi_path_filestat_set_times(DIR_FD, 0, "st/file", 0, T1,
                                       __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW) !=
        __WASI_ERRNO_INVAL)
        return 13;
    if (__wasi_path_filestat_set_times(DIR_FD, 0, "st/file", 0, 0, 0x40) != __WASI_ERRNO_INVAL)
        return 14;
    if (__wasi_path_filestat_set_times(DIR_FD, 0, "st/none", 0, 0, __WASI_FSTFLAGS_MTIM_NOW) !=
        __WASI_ERRNO_NOENT)
        return 15;

    /* Through a symlink: without follow the link's own times change. */
    if (__wasi_path_symlink("file", DIR_FD, "st/link") != 0)
        return 16;
    if (__wasi_path_filestat_set_times(DIR_FD, 0, "st/file", T1, T1,
                                       __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM) != 0)
        return 17;
    if (__wasi_path_filestat_set_times(DIR_FD, 0, "st/link", T2, T2,
                                       __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM) != 0)
        return 18;
    __wasi_filestat_t l = stat_of("st/link", 0);
    st = stat_of("st/file", 0);
    if (l.filetype != __WASI_FILETYPE_SYMBOLIC_LINK || l.mtim != T2 || st.mtim != T1)
        return 19;
    if (stat_of("st/link", FOLLOW).ino != st.ino)
        return 20;
    if (__wasi_path_filestat_set_times(DIR_FD, FOLLOW, "st/link", T2, T2,
                                       __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM) != 0)
        return 21;
    if (stat_of("st/file", 0).mtim != T2)
        return 22;

    /* The fd forms. */
    /* (set_size first: truncating sets mtim to now) */
    if (__wasi_fd_filestat_set_size(f, 3) != 0)
        return 23;
    if (__wasi_fd_filestat_set_times(f, T1, T2, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM) != 0)
        return 24;
    __wasi_filestat_t fs;
    if (__wasi_fd_filestat_get(f, &fs) != 0 || fs.atim != T1 || fs.mtim != T2 || fs.size != 3 ||
        fs.ino != st.ino)
        return 25;
    if (__wasi_fd_filestat_set_times(f, 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW) !=
        __WASI_ERRNO_INVAL)
        return 26;
    /* Without the right: ENOTCAPABLE. */
    __wasi_fd_t ro;
    if (__wasi_path_open(DIR_FD, 0, "st/file", 0, __WASI_RIGHTS_FD_READ, 0, 0, &ro) != 0)
        return 27;
    if (__wasi_fd_filestat_set_times(ro, 0, 0, __WASI_FSTFLAGS_MTIM_NOW) != __WASI_ERRNO_NOTCAPABLE)
        return 28;
    if (__wasi_fd_filestat_set_size(ro, 0) != __WASI_ERRNO_NOTCAPABLE)
        return 29;
    put("set_times ok\n");
    return 0;
}

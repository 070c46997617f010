/* fd_readdir: the dirent layout, cookies (resuming and rewinding), buffers
 * too small for one entry (the entry comes truncated, filling the buffer),
 * and the errors.  Works in its own folder of fs_tree.dir (fd 3). */
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#include "case_util.h"

#define DIR_FD 3
#define NFILES 12

typedef struct ent {
    __wasi_dircookie_t next;
    __wasi_inode_t ino;
    __wasi_filetype_t type;
    char name[64];
} ent;

/* Parses whole entries of buf[0, used); returns how many. */
static int parse(const uint8_t *buf, size_t used, ent *out, int max)
{
    int n = 0;
    size_t p = 0;
    while (p + sizeof(__wasi_dirent_t) <= used && n < max) {
        __wasi_dirent_t d;
        memcpy(&d, buf + p, sizeof d);
        if (p + sizeof d + d.d_namlen > used || d.d_namlen >= sizeof out->name)
            break;
        out[n].next = d.d_next;
        out[n].ino = d.d_ino;
        out[n].type = d.d_type;
        memcpy(out[n].name, buf + p + sizeof d, d.d_namlen);
        out[n].name[d.d_namlen] = '\0';
        n++;
        p += sizeof d + d.d_namlen;
    }
    return n;
}

/* Reads the whole directory with buffers of `size` bytes, resuming from the
 * last whole entry's cookie each time. */
static int read_all(__wasi_fd_t fd, size_t size, ent *out, int max)
{
    uint8_t buf[512];
    __wasi_dircookie_t cookie = 0;
    int n = 0;
    for (int rounds = 0; rounds < 1000; rounds++) {
        __wasi_size_t used;
        if (__wasi_fd_readdir(fd, buf, size, cookie, &used) != 0)
            exit(20);
        int k = parse(buf, used, out + n, max - n);
        n += k;
        if (used < size)
            return n; /* end of directory */
        if (k == 0)
            exit(21); /* the buffer cannot hold one entry: caller's choice */
        cookie = out[n - 1].next;
    }
    exit(22);
}

static int find(const ent *e, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(e[i].name, name) == 0)
            return i;
    return -1;
}

int main(void)
{
    static const char *names[NFILES] = {"a", "bb", "ccc", "a-much-longer-file-name-0123456789",
                                        "e", "ff", "g.txt", "h.dat", "i", "jj", "kk", "l"};
    __wasi_fd_t d, f;
    if (__wasi_path_create_directory(DIR_FD, "rd") != 0)
        return 1;
    if (__wasi_path_create_directory(DIR_FD, "rd/subdir") != 0)
        return 2;
    for (int i = 0; i < NFILES; i++) {
        char p[80] = "rd/";
        strcat(p, names[i]);
        if (__wasi_path_open(DIR_FD, 0, p, __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, 0, 0, &f) != 0)
            return 3;
        if (__wasi_fd_close(f) != 0)
            return 4;
    }
    if (__wasi_path_open(DIR_FD, 0, "rd", __WASI_OFLAGS_DIRECTORY,
                         __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_FILESTAT_GET |
                             __WASI_RIGHTS_PATH_OPEN,
                         __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR, 0, &d) != 0)
        return 5;

    /* One big read: every entry, ".", "..", the files and the folder. */
    ent all[40], part[40];
    int n = read_all(d, sizeof(((uint8_t[512]){0})), all, 40);
    if (n != NFILES + 3)
        return 6;
    if (find(all, n, ".") < 0 || find(all, n, "..") < 0)
        return 7;
    for (int i = 0; i < NFILES; i++) {
        int k = find(all, n, names[i]);
        if (k < 0 || all[k].type != __WASI_FILETYPE_REGULAR_FILE)
            return 8;
        __wasi_filestat_t st;
        if (__wasi_path_filestat_get(d, 0, names[i], &st) != 0 || st.ino != all[k].ino)
            return 9;
    }
    int sd = find(all, n, "subdir");
    if (sd < 0 || all[sd].type != __WASI_FILETYPE_DIRECTORY)
        return 10;
    /* Cookies are distinct and each d_next resumes right after its entry. */
    for (int i = 0; i + 1 < n; i++) {
        uint8_t buf[128];
        __wasi_size_t used;
        if (__wasi_fd_readdir(d, buf, sizeof buf, all[i].next, &used) != 0)
            return 11;
        if (parse(buf, used, part, 1) != 1 || strcmp(part[0].name, all[i + 1].name) != 0)
            return 12;
    }
    /* The cookie after the last entry reads nothing. */
    {
        uint8_t buf[64];
        __wasi_size_t used = 77;
        if (__wasi_fd_readdir(d, buf, sizeof buf, all[n - 1].next, &used) != 0 || used != 0)
            return 13;
    }
    /* Tiny buffers: the first entry comes truncated and fills the buffer. */
    for (size_t size = 1; size < sizeof(__wasi_dirent_t) + strlen(all[0].name); size++) {
        uint8_t buf[64], full[64];
        __wasi_size_t used, fused;
        memset(buf, 0xAA, sizeof buf);
        if (__wasi_fd_readdir(d, buf, size, 0, &used) != 0 || used != size)
            return 14;
        if (buf[size] != 0xAA)
            return 15; /* nothing written past the buffer */
        if (__wasi_fd_readdir(d, full, sizeof full, 0, &fused) != 0 || memcmp(buf, full, size) != 0)
            return 16;
    }
    /* Reading on with buffers just big enough for the longest entry. */
    for (size_t size = sizeof(__wasi_dirent_t) + 34; size < 200; size += 13) {
        int m = read_all(d, size, part, 40);
        if (m != n)
            return 17;
        for (int i = 0; i < n; i++)
            if (strcmp(part[i].name, all[i].name) != 0 || part[i].next != all[i].next)
                return 18;
    }
    /* Rewinding (cookie 0) sees a file made since. */
    if (__wasi_path_open(DIR_FD, 0, "rd/new", __WASI_OFLAGS_CREAT, 0, 0, 0, &f) != 0 ||
        __wasi_fd_close(f) != 0)
        return 19;
    if (find(part, read_all(d, 512, part, 40), "new") < 0)
        return 23;

    /* Errors: a file is no directory, a bad buffer faults, rights count. */
    uint8_t buf[64];
    __wasi_size_t used;
    if (__wasi_path_open(d, 0, "a", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR, 0, 0, &f) != 0)
        return 24;
    __wasi_errno_t r = __wasi_fd_readdir(f, buf, sizeof buf, 0, &used);
    if (r != __WASI_ERRNO_NOTDIR && r != __WASI_ERRNO_NOTCAPABLE && r != __WASI_ERRNO_BADF)
        return 25;
    if (__wasi_fd_readdir(d, (uint8_t *)0xFFFFFFF0u, 64, 0, &used) != __WASI_ERRNO_FAULT)
        return 26;
    if (__wasi_fd_readdir(99, buf, sizeof buf, 0, &used) != __WASI_ERRNO_BADF)
        return 27;
    __wasi_fd_t d2;
    if (__wasi_path_open(DIR_FD, 0, "rd", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &d2) != 0)
        return 28;
    if (__wasi_fd_readdir(d2, buf, sizeof buf, 0, &used) != __WASI_ERRNO_NOTCAPABLE)
        return 29;
    put("readdir ok\n");
    return 0;
}

/*
 * files.c -- WASI calls from several threads at once on one fd table:
 * `files DIR` (DIR preopened, e.g. `weft run --dir HOST::/data ... /data`).
 * THREADS threads each create their own file in DIR, write RECORDS records
 * with write(), and close it; then the main thread reads every file back.
 * Also checks an environment variable given with `--env WEFT_GUEST=threads`.
 * Raw write/read/close only: wasi-libc's stdio is not thread-safe.  The
 * writers open their files with path_open itself, relative to the preopen
 * (fd 3): Debian's single-thread wasi-libc resolves open()'s path through one
 * static buffer, so concurrent open() calls can swap paths in the guest.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

#include "weft_guest.h"

#define THREADS 4
#define RECORDS 200

#define PREOPEN_FD 3 /* the first (and only) --dir */

static const char *dir;

static void name_of(char *buf, size_t size, unsigned n)
{
    snprintf(buf, size, "thread%u.txt", n);
}

static void path_of(char *buf, size_t size, unsigned n)
{
    char name[32];
    name_of(name, sizeof name, n);
    snprintf(buf, size, "%s/%s", dir, name);
}

static void *writer(void *arg)
{
    unsigned me = (unsigned)(uintptr_t)arg;
    char name[32], rec[32];
    name_of(name, sizeof name, me);
    __wasi_fd_t wfd;
    if (__wasi_path_open(PREOPEN_FD, 0, name, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                         __WASI_RIGHTS_FD_WRITE, 0, 0, &wfd))
        return (void *)1;
    int fd = (int)wfd;
    for (unsigned i = 0; i < RECORDS; i++) {
        int len = snprintf(rec, sizeof rec, "%u:%04u\n", me, i);
        if (write(fd, rec, (size_t)len) != len) {
            close(fd);
            return (void *)2;
        }
    }
    return close(fd) ? (void *)3 : NULL;
}

static int check_file(unsigned n)
{
    char path[256], expect[32], got[32];
    path_of(path, sizeof path, n);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int bad = 0;
    for (unsigned i = 0; i < RECORDS && !bad; i++) {
        int len = snprintf(expect, sizeof expect, "%u:%04u\n", n, i);
        bad = read(fd, got, (size_t)len) != len || memcmp(got, expect, (size_t)len);
    }
    bad |= read(fd, got, 1) != 0; /* nothing more */
    close(fd);
    unlink(path);
    return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return fprintf(stderr, "usage: files DIR\n"), 2;
    dir = argv[1];
    const char *env = getenv("WEFT_GUEST");
    wg_thread *t[THREADS];
    for (unsigned i = 0; i < THREADS; i++)
        if (wg_thread_create(&t[i], 0, writer, (void *)(uintptr_t)i))
            return printf("spawn failed\n"), 1;
    int errors = 0;
    for (unsigned i = 0; i < THREADS; i++)
        if (wg_thread_join(t[i]))
            printf("thread %u could not write its file\n", i), errors++;
    for (unsigned i = 0; i < THREADS; i++)
        if (check_file(i))
            printf("file %u is wrong\n", i), errors++;
    printf("%d threads wrote %d records each: %s; WEFT_GUEST=%s\n", THREADS, RECORDS,
           errors ? "WRONG" : "ok", env ? env : "(unset)");
    return errors ? 1 : 0;
}

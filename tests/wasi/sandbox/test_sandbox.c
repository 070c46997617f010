/*
 * test_sandbox.c -- wasi/sandbox: every way out of a preopen (`..` chains,
 * absolute paths, symlinks to / and out of the base, chains, loops, dangling
 * links, a directory renamed during the walk) fails with the right error and
 * leaves a canary outside untouched, in both resolvers (openat2 and the walk).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "wasi/sandbox.h"

typedef struct fx {
    unsigned mode; /* 0 (openat2 when available) or SBX_WALK */
    char tmp[64];  /* holds canary, out1/out2/ and box/ (the base) */
    int base;
} fx;

static fx g_fx[2];

static void pathf(char *buf, const fx *f, const char *rel)
{
    snprintf(buf, PATH_MAX, "%s/%s", f->tmp, rel);
}

static void put(const fx *f, const char *rel, const char *text)
{
    char p[PATH_MAX];
    pathf(p, f, rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void dir(const fx *f, const char *rel)
{
    char p[PATH_MAX];
    pathf(p, f, rel);
    assert_int_equal(mkdir(p, 0755), 0);
}

static void link_(const fx *f, const char *target, const char *rel)
{
    char p[PATH_MAX];
    pathf(p, f, rel);
    assert_int_equal(symlink(target, p), 0);
}

static bool exists(const fx *f, const char *rel)
{
    char p[PATH_MAX];
    struct stat st;
    pathf(p, f, rel);
    return lstat(p, &st) == 0;
}

/* Content of host file `rel` (empty string if absent). */
static const char *content(const fx *f, const char *rel)
{
    static char buf[256];
    char p[PATH_MAX];
    pathf(p, f, rel);
    buf[0] = '\0';
    int fd = open(p, O_RDONLY);
    if (fd < 0)
        return buf;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
    return buf;
}

static int setup(void **state)
{
    fx *f = &g_fx[*(unsigned *)*state ? 1 : 0];
    f->mode = *(unsigned *)*state;
    strcpy(f->tmp, "/tmp/weft-sbx-XXXXXX");
    assert_non_null(mkdtemp(f->tmp));
    put(f, "canary", "canary");
    dir(f, "out1");
    dir(f, "out1/out2");
    put(f, "out1/victim", "canary");
    dir(f, "box");
    put(f, "box/file", "inside");
    dir(f, "box/sub");
    dir(f, "box/sub/deep");
    dir(f, "box/d");
    dir(f, "box/d/x");
    link_(f, "/", "box/to_root");
    link_(f, "/etc", "box/to_etc");
    link_(f, "..", "box/up");
    link_(f, "../canary", "box/up_canary");
    link_(f, "chain2", "box/chain1");
    link_(f, "sub/chain3", "box/chain2");
    link_(f, "../../canary", "box/sub/chain3");
    link_(f, "loop2", "box/loop1");
    link_(f, "loop1", "box/loop2");
    link_(f, "nonexistent", "box/dangling");
    link_(f, "../created_outside", "box/dangling_out");
    link_(f, "../file", "box/sub/ok_link");
    link_(f, ".", "box/selfdir");
    link_(f, "deep/../..", "box/sub/to_box");
    char p[PATH_MAX];
    pathf(p, f, "box");
    f->base = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(f->base >= 0);
    *state = f;
    return 0;
}

static int rm_tree(const char *path)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    return system(cmd);
}

static int teardown(void **state)
{
    fx *f = *state;
    /* Nothing outside the base changed, whatever the test did. */
    assert_string_equal(content(f, "canary"), "canary");
    assert_string_equal(content(f, "out1/victim"), "canary");
    assert_false(exists(f, "created_outside"));
    assert_false(exists(f, "out1/out2/created"));
    assert_false(exists(f, "out1/made"));
    close(f->base);
    assert_int_equal(rm_tree(f->tmp), 0);
    return 0;
}

static int sopen(fx *f, const char *path, int oflags, unsigned flags, int *fd)
{
    *fd = -1;
    int e = sbx_open(f->base, path, strlen(path), oflags, 0644, flags | f->mode, fd);
    if (e == 0)
        assert_true(*fd >= 0);
    return e;
}

/* Opening `path` fails with `want` (nothing is opened). */
static void open_fails(fx *f, const char *path, int oflags, unsigned flags, int want)
{
    int fd;
    int e = sopen(f, path, oflags, flags, &fd);
    if (e != want)
        fail_msg("%s: %d (want %d)", path, e, want);
    assert_int_equal(fd, -1);
}

/* Opening `path` for reading gives the file whose text is `want`. */
static void open_reads(fx *f, const char *path, unsigned flags, const char *want)
{
    int fd;
    int e = sopen(f, path, O_RDONLY, flags, &fd);
    if (e != 0)
        fail_msg("%s: %d", path, e);
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    assert_true(n >= 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
    close(fd);
}

static void test_dotdot(void **state)
{
    fx *f = *state;
    const char *esc[] = {"..", "../canary", "sub/../../canary", "sub/deep/../../../canary",
                         "./..", "sub/deep/../../..", "d/x/../../../out1/victim", "../box/file"};
    for (size_t i = 0; i < sizeof esc / sizeof *esc; i++) {
        open_fails(f, esc[i], O_RDONLY, SBX_FOLLOW, SBX_ESCAPE);
        open_fails(f, esc[i], O_WRONLY | O_TRUNC, 0, SBX_ESCAPE);
    }
    open_reads(f, "sub/../file", 0, "inside");
    open_reads(f, "sub/deep/../../file", 0, "inside");
    open_reads(f, "./sub//deep/..///../file", 0, "inside");
    int fd;
    assert_int_equal(sopen(f, ".", O_RDONLY | O_DIRECTORY, 0, &fd), 0);
    close(fd);
    assert_int_equal(sopen(f, "sub/..", O_RDONLY | O_DIRECTORY, 0, &fd), 0);
    close(fd);
}

static void test_absolute(void **state)
{
    fx *f = *state;
    open_fails(f, "/etc/passwd", O_RDONLY, SBX_FOLLOW, SBX_ESCAPE);
    open_fails(f, "/", O_RDONLY, SBX_FOLLOW, SBX_ESCAPE);
    open_fails(f, "//file", O_RDONLY, SBX_FOLLOW, SBX_ESCAPE);
    char p[PATH_MAX];
    pathf(p, f, "canary"); /* the canary's real absolute path */
    open_fails(f, p, O_WRONLY | O_TRUNC, SBX_FOLLOW, SBX_ESCAPE);
    open_fails(f, "", O_RDONLY, 0, ENOENT);
    int fd = -1;
    assert_int_equal(sbx_open(f->base, "fi\0le", 5, O_RDONLY, 0, f->mode, &fd), EILSEQ);
    assert_int_equal(fd, -1);
}

static void test_symlink_to_root(void **state)
{
    fx *f = *state;
    open_fails(f, "to_root", O_RDONLY | O_DIRECTORY, SBX_FOLLOW, SBX_ESCAPE);
    open_fails(f, "to_root/etc/passwd", O_RDONLY, 0, SBX_ESCAPE);
    open_fails(f, "to_etc/passwd", O_RDONLY, 0, SBX_ESCAPE);
    open_fails(f, "to_root/", O_RDONLY, 0, SBX_ESCAPE);
    /* Not following the final link opens nothing outside either. */
    open_fails(f, "to_root", O_RDONLY, 0, ELOOP);
    int fd;
    assert_int_equal(sopen(f, "to_root", O_PATH, 0, &fd), 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_true(S_ISLNK(st.st_mode)); /* the link itself */
    close(fd);
}

static void test_symlink_chains(void **state)
{
    fx *f = *state;
    open_fails(f, "chain1", O_WRONLY | O_TRUNC, SBX_FOLLOW, SBX_ESCAPE);
    open_fails(f, "up_canary", O_WRONLY | O_TRUNC, SBX_FOLLOW, SBX_ESCAPE);
    open_fails(f, "up/canary", O_WRONLY | O_TRUNC, 0, SBX_ESCAPE);
    open_fails(f, "up/box/file", O_RDONLY, 0, SBX_ESCAPE);
    open_fails(f, "sub/to_box/up/canary", O_RDONLY, 0, SBX_ESCAPE);
    open_fails(f, "loop1", O_RDONLY, SBX_FOLLOW, ELOOP);
    open_fails(f, "loop1/x", O_RDONLY, 0, ELOOP);
    /* Links that stay inside work. */
    open_reads(f, "sub/ok_link", SBX_FOLLOW, "inside");
    open_reads(f, "selfdir/selfdir/sub/ok_link", SBX_FOLLOW, "inside");
    open_reads(f, "sub/to_box/file", 0, "inside");
    open_fails(f, "sub/ok_link", O_RDONLY, 0, ELOOP);

    /* Chains of links inside: 30 and 35 hops resolve, 45 pass the limit. */
    char name[32], target[32];
    for (int i = 0; i < 30; i++) {
        snprintf(name, sizeof name, "box/a%d", i);
        snprintf(target, sizeof target, i == 29 ? "file" : "a%d", i + 1);
        link_(f, target, name);
    }
    for (int i = 0; i < 45; i++) {
        snprintf(name, sizeof name, "box/b%d", i);
        snprintf(target, sizeof target, i == 44 ? "sub/../file" : "b%d", i + 1);
        link_(f, target, name);
    }
    open_reads(f, "a0", SBX_FOLLOW, "inside");
    open_reads(f, "b10", SBX_FOLLOW, "inside");
    open_fails(f, "b0", O_RDONLY, SBX_FOLLOW, ELOOP);
    open_fails(f, "b0/x", O_RDONLY, 0, ELOOP);
    open_fails(f, "a0/", O_RDONLY, 0, ENOTDIR);
    sbx_at at;
    assert_int_equal(sbx_at_open(f->base, "a0", 2, f->mode | SBX_FOLLOW, &at), 0);
    assert_string_equal(at.name, "file");
    sbx_at_close(&at);
    assert_int_equal(sbx_at_open(f->base, "b0", 2, f->mode | SBX_FOLLOW, &at), ELOOP);
}

static void test_dangling(void **state)
{
    fx *f = *state;
    open_fails(f, "dangling", O_RDONLY, SBX_FOLLOW, ENOENT);
    open_fails(f, "dangling_out", O_WRONLY | O_CREAT, SBX_FOLLOW, SBX_ESCAPE);
    open_fails(f, "dangling_out", O_WRONLY | O_CREAT, 0, ELOOP);
    open_fails(f, "dangling", O_WRONLY | O_CREAT | O_EXCL, SBX_FOLLOW, EEXIST);
    int fd;
    /* Creating through a dangling link inside creates its target inside. */
    assert_int_equal(sopen(f, "dangling", O_WRONLY | O_CREAT, SBX_FOLLOW, &fd), 0);
    close(fd);
    assert_true(exists(f, "box/nonexistent"));
    open_fails(f, "file/", O_RDONLY, 0, ENOTDIR);
    open_fails(f, "file/x", O_RDONLY, 0, ENOTDIR);
    open_fails(f, "newdir/", O_WRONLY | O_CREAT, 0, EISDIR);
}

static void test_at(void **state)
{
    fx *f = *state;
    sbx_at at;
    struct stat a, b;
    char p[PATH_MAX];

    assert_int_equal(sbx_at_open(f->base, "sub/deep/name", 13, f->mode, &at), 0);
    assert_string_equal(at.name, "name");
    assert_true(at.owned);
    pathf(p, f, "box/sub/deep");
    assert_int_equal(stat(p, &a), 0);
    assert_int_equal(fstat(at.dirfd, &b), 0);
    assert_int_equal(a.st_ino, b.st_ino);
    sbx_at_close(&at);

    assert_int_equal(sbx_at_open(f->base, "sub/..", 6, f->mode, &at), 0);
    assert_string_equal(at.name, ".");
    assert_int_equal(fstatat(at.dirfd, at.name, &b, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(fstat(f->base, &a), 0);
    assert_int_equal(a.st_ino, b.st_ino);
    sbx_at_close(&at);

    assert_int_equal(sbx_at_open(f->base, "sub/", 4, f->mode, &at), 0);
    assert_string_equal(at.name, "sub");
    assert_true(at.trailing_slash);
    assert_false(at.owned);
    sbx_at_close(&at);

    /* Following a final link that stays inside ends on a non-link name. */
    assert_int_equal(sbx_at_open(f->base, "sub/ok_link", 11, f->mode | SBX_FOLLOW, &at), 0);
    assert_string_equal(at.name, "file");
    sbx_at_close(&at);
    assert_int_equal(sbx_at_open(f->base, "sub/ok_link", 11, f->mode, &at), 0);
    assert_string_equal(at.name, "ok_link");
    sbx_at_close(&at);

    const char *esc[] = {"../canary", "up/canary", "to_root/tmp", "/x", "..", "sub/../.."};
    for (size_t i = 0; i < sizeof esc / sizeof *esc; i++)
        assert_int_equal(sbx_at_open(f->base, esc[i], strlen(esc[i]), f->mode, &at), SBX_ESCAPE);
    assert_int_equal(sbx_at_open(f->base, "up_canary", 9, f->mode | SBX_FOLLOW, &at), SBX_ESCAPE);
    assert_int_equal(sbx_at_open(f->base, "chain1", 6, f->mode | SBX_FOLLOW, &at), SBX_ESCAPE);
    assert_int_equal(sbx_at_open(f->base, "loop1", 5, f->mode | SBX_FOLLOW, &at), ELOOP);

    /* Removing the escape link itself is fine; the canary stays. */
    assert_int_equal(sbx_at_open(f->base, "up_canary", 9, f->mode, &at), 0);
    assert_int_equal(unlinkat(at.dirfd, at.name, 0), 0);
    sbx_at_close(&at);
    assert_false(exists(f, "box/up_canary"));
}

/* ---- a directory renamed out of the base during resolution -------------- */

typedef struct mover {
    fx *f;
    _Atomic bool stop;
    _Atomic int moves;
} mover;

static void *mover_main(void *arg)
{
    mover *m = arg;
    char in[PATH_MAX], out[PATH_MAX];
    pathf(in, m->f, "box/d/x");
    pathf(out, m->f, "out1/out2/x");
    while (!m->stop) {
        if (rename(in, out) == 0)
            m->moves++;
        rename(out, in);
    }
    return NULL;
}

static void test_rename_race(void **state)
{
    fx *f = *state;
    mover m = {.f = f};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, mover_main, &m), 0);
    /* While x sits in out1/out2, x/../.. is out1: a resolver that asked the
     * kernel for `..` would truncate out1/victim or create out1/out2/created. */
    int ok[2] = {0, 0}, enoent = 0; /* ok[1]: victim, ok[0]: created */
    /* 3000 rounds, and on a loaded machine more (up to 10 s) until each path
     * resolved at least once and the mover moved x at least once. */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0;; i++) {
        if (i >= 3000 && ok[0] > 0 && ok[1] > 0 && m.moves > 0)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec > 10)
            break;
        int fd;
        if (i % 3 == 2) {
            /* The parent-plus-name form: mkdir, then rmdir, by that name. */
            sbx_at at;
            int e = sbx_at_open(f->base, "d/x/../../made", 14, f->mode, &at);
            if (e == 0) {
                assert_int_equal(mkdirat(at.dirfd, at.name, 0755), 0);
                assert_int_equal(unlinkat(at.dirfd, at.name, AT_REMOVEDIR), 0);
                sbx_at_close(&at);
            } else if (e != ENOENT) {
                fail_msg("made: unexpected %d", e);
            }
            continue;
        }
        const char *p = i & 1 ? "d/x/../../victim" : "d/x/../created";
        int e = sopen(f, p, O_WRONLY | O_CREAT | O_TRUNC, 0, &fd);
        if (e == 0) {
            ok[i & 1]++;
            close(fd);
        } else if (e == ENOENT) {
            enoent++;
        } else {
            fail_msg("%s: unexpected %d", p, e);
        }
    }
    m.stop = true;
    pthread_join(t, NULL);
    assert_true(ok[0] > 0);
    assert_true(ok[1] > 0);
    assert_true(m.moves > 0);
    assert_true(exists(f, "box/victim"));
    /* x ends inside (the mover always moves it back). */
    assert_true(exists(f, "box/d/x"));
}

static unsigned mode_auto = 0, mode_walk = SBX_WALK;

#define BOTH(t)                                                                   \
    cmocka_unit_test_prestate_setup_teardown(t, setup, teardown, &mode_auto),     \
        cmocka_unit_test_prestate_setup_teardown(t, setup, teardown, &mode_walk)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_dotdot),          BOTH(test_absolute), BOTH(test_symlink_to_root),
        BOTH(test_symlink_chains),  BOTH(test_dangling), BOTH(test_at),
        BOTH(test_rename_race),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

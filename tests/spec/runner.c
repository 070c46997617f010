/*
 * runner.c -- the spec-test runner's main: options, finding the .wast files,
 * converting them with wast2json into the build tree, and the totals.  The
 * commands themselves run in script.c.  See README.md.
 *
 * Two ctest runs may convert the same file at once (guard and software
 * bounds), so each file's conversion happens under an exclusive flock and
 * its execution under a shared one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "script.h"
#include "weft.h"

#ifndef WEFT_SPEC_SHARED_DIR
#define WEFT_SPEC_SHARED_DIR "../shared"
#endif
#ifndef WEFT_SPEC_OUT_DIR
#define WEFT_SPEC_OUT_DIR "spec-out"
#endif
#ifndef WEFT_SPEC_WAST2JSON
#define WEFT_SPEC_WAST2JSON "wast2json"
#endif

typedef struct runner_opts {
    weft_bounds_mode bounds;
    uint32_t features;
    bool validate_only;
    bool verbose;
    bool stats;          /* per command kind totals at the end */
    const char *match;   /* fnmatch pattern on file names, or NULL */
    const char *exclude; /* idem */
    const char *out_dir;
    char suite[PATH_MAX]; /* the testsuite/ folder */
} runner_opts;

typedef struct path_list {
    char **items;
    size_t count, cap;
} path_list;

/* snprintf into a path buffer; false (with a message) if it does not fit. */
static bool path_fmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool path_fmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < size)
        return true;
    fprintf(stderr, "spec: path too long: %s...\n", buf);
    return false;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: spec_runner [--bounds=guard|software] [--features=core|threads|default] [--validate-only] [--match=GLOB]\n"
            "                   [--exclude=GLOB] [--out=DIR] [--verbose] [--stats]\n"
            "                   [FILE.wast|FOLDER]...\n"
            "Without paths it runs the suite's top-level .wast files.  Relative paths that do\n"
            "not exist here are looked up in the suite folder ($WEFT_SHARED/testsuite).\n");
    return 2;
}

static bool list_add(path_list *l, const char *path)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return false;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count] = strdup(path);
    return l->items[l->count++] != NULL;
}

static void list_free(path_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool wanted(const runner_opts *o, const char *name)
{
    size_t n = strlen(name);
    if (n < 5 || strcmp(name + n - 5, ".wast") != 0)
        return false;
    if (o->match && fnmatch(o->match, name, 0) != 0)
        return false;
    if (o->exclude && fnmatch(o->exclude, name, 0) == 0)
        return false;
    return true;
}

/* The .wast files directly in `dir` that pass the filters, sorted. */
static bool add_folder(const runner_opts *o, path_list *l, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "spec: cannot open %s: %s\n", dir, strerror(errno));
        return false;
    }
    size_t first = l->count;
    struct dirent *e;
    bool ok = true;
    while (ok && (e = readdir(d)) != NULL) {
        if (!wanted(o, e->d_name))
            continue;
        char path[PATH_MAX];
        ok = path_fmt(path, sizeof path, "%s/%s", dir, e->d_name) && list_add(l, path);
    }
    closedir(d);
    qsort(l->items + first, l->count - first, sizeof *l->items, cmp_str);
    return ok;
}

static bool add_arg(const runner_opts *o, path_list *l, const char *arg)
{
    char path[PATH_MAX];
    struct stat st;
    bool fits = arg[0] != '/' && stat(arg, &st) != 0
                    ? path_fmt(path, sizeof path, "%s/%s", o->suite, arg)
                    : path_fmt(path, sizeof path, "%s", arg);
    if (!fits)
        return false;
    if (is_dir(path))
        return add_folder(o, l, path);
    if (stat(path, &st) != 0) {
        fprintf(stderr, "spec: no such file: %s\n", arg);
        return false;
    }
    return list_add(l, path);
}

/* ---- conversion ------------------------------------------------------------ */

static bool mkdirs(const char *path)
{
    char buf[PATH_MAX];
    if (!path_fmt(buf, sizeof buf, "%s", path))
        return false;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return false;
        *p = '/';
    }
    return mkdir(buf, 0777) == 0 || errno == EEXIST;
}

static bool newer_or_same(const struct stat *a, const struct stat *b)
{
    if (a->st_mtim.tv_sec != b->st_mtim.tv_sec)
        return a->st_mtim.tv_sec > b->st_mtim.tv_sec;
    return a->st_mtim.tv_nsec >= b->st_mtim.tv_nsec;
}

static bool fresh(const char *json_path, const char *wast)
{
    struct stat js, ws;
    return stat(json_path, &js) == 0 && stat(wast, &ws) == 0 && newer_or_same(&js, &ws);
}

static bool run_wast2json(const char *wast, const char *json_path)
{
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        execlp(WEFT_SPEC_WAST2JSON, WEFT_SPEC_WAST2JSON, "--enable-threads", wast, "-o",
               json_path, (char *)NULL);
        fprintf(stderr, "spec: cannot run %s: %s\n", WEFT_SPEC_WAST2JSON, strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    unlink(json_path); /* never leave a half-written file that looks fresh */
    return false;
}

/*
 * Makes sure <out>/<name>/<name>.json is up to date and returns the lock fd
 * (held shared while the caller runs the script), or -1.
 */
static int convert(const runner_opts *o, const char *wast, const char *name, char *dir,
                   size_t dirsize, char *json_path, size_t jsonsize)
{
    char lock_path[PATH_MAX];
    if (!path_fmt(dir, dirsize, "%s/%s", o->out_dir, name) ||
        !path_fmt(json_path, jsonsize, "%s/%s.json", dir, name) ||
        !path_fmt(lock_path, sizeof lock_path, "%s/%s.lock", o->out_dir, name))
        return -1;
    if (!mkdirs(dir)) {
        fprintf(stderr, "spec: cannot make %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        fprintf(stderr, "spec: cannot open %s: %s\n", lock_path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_SH) == 0 && fresh(json_path, wast))
        return fd;
    /* Stale: take the lock alone, and look again (another run may have won). */
    bool ok = flock(fd, LOCK_EX) == 0;
    if (ok && !fresh(json_path, wast)) {
        ok = run_wast2json(wast, json_path);
        if (!ok)
            fprintf(stderr, "spec: wast2json failed on %s\n", wast);
    }
    if (ok && flock(fd, LOCK_SH) == 0)
        return fd;
    close(fd);
    return -1;
}

/* "i32" for a top-level file, "threads-atomic" for proposals/threads/atomic. */
static void script_name(const runner_opts *o, const char *wast, char *name, size_t size,
                        const char **label)
{
    const char *base = strrchr(wast, '/');
    base = base ? base + 1 : wast;
    size_t n = strlen(base) - 5; /* ".wast" */
    size_t slen = strlen(o->suite);
    *label = wast;
    if (strncmp(wast, o->suite, slen) == 0 && wast[slen] == '/')
        *label = wast + slen + 1;
    char parent[PATH_MAX] = "";
    if (base > wast) {
        snprintf(parent, sizeof parent, "%.*s", (int)(base - wast - 1), wast);
        char real_parent[PATH_MAX], real_suite[PATH_MAX];
        if (realpath(parent, real_parent) && realpath(o->suite, real_suite) &&
            strcmp(real_parent, real_suite) == 0)
            parent[0] = '\0';
    }
    if (parent[0]) {
        const char *pb = strrchr(parent, '/');
        pb = pb ? pb + 1 : parent;
        snprintf(name, size, "%s-%.*s", pb, (int)n, base);
    } else {
        snprintf(name, size, "%.*s", (int)n, base);
    }
}

static void run_file(const runner_opts *o, const scr_options *so, const char *wast,
                     scr_counts *total)
{
    char name[256], dir[PATH_MAX], json_path[PATH_MAX + 300], err[256];
    const char *label;
    script_name(o, wast, name, sizeof name, &label);
    int lock = convert(o, wast, name, dir, sizeof dir, json_path, sizeof json_path);
    if (lock < 0) {
        printf("%s: 0 passed, 1 failed, 0 skipped (could not convert)\n", label);
        total->failed++;
        return;
    }
    size_t size = 0;
    char *text = scr_read_file(json_path, &size);
    json *doc = text ? json_parse(text, size, err, sizeof err) : NULL;
    if (!doc) {
        printf("%s: 0 passed, 1 failed, 0 skipped (cannot read %s: %s)\n", label, json_path,
               text ? err : strerror(errno));
        total->failed++;
    } else {
        script_run(so, doc, dir, label, total);
    }
    json_free(doc);
    free(text);
    close(lock);
}

static bool parse_opts(int argc, char **argv, runner_opts *o, path_list *args)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--bounds=guard") == 0)
            o->bounds = WEFT_BOUNDS_GUARD;
        else if (strcmp(a, "--bounds=software") == 0)
            o->bounds = WEFT_BOUNDS_SOFTWARE;
        /* The suite's files assume a feature set: the 2.0 core files predate
         * the threads proposal (a shared-memory limits flag is malformed
         * there), and the threads proposal's files predate 2.0's multiple
         * tables. */
        else if (strcmp(a, "--features=core") == 0)
            o->features = WEFT_FEATURE_MULTI_TABLE;
        else if (strcmp(a, "--features=threads") == 0)
            o->features = WEFT_FEATURE_THREADS;
        else if (strcmp(a, "--features=default") == 0)
            o->features = WEFT_FEATURES_DEFAULT;
        else if (strcmp(a, "--validate-only") == 0)
            o->validate_only = true;
        else if (strcmp(a, "--verbose") == 0)
            o->verbose = true;
        else if (strcmp(a, "--stats") == 0)
            o->stats = true;
        else if (strncmp(a, "--match=", 8) == 0)
            o->match = a + 8;
        else if (strncmp(a, "--exclude=", 10) == 0)
            o->exclude = a + 10;
        else if (strncmp(a, "--out=", 6) == 0)
            o->out_dir = a + 6;
        else if (a[0] == '-')
            return false;
        else if (!list_add(args, a))
            return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    runner_opts o = {.bounds = WEFT_BOUNDS_GUARD, .features = WEFT_FEATURES_DEFAULT, .out_dir = WEFT_SPEC_OUT_DIR};
    path_list args = {0}, files = {0};
    int rc = 1;
    if (!parse_opts(argc, argv, &o, &args)) {
        list_free(&args);
        return usage();
    }
    const char *shared = getenv("WEFT_SHARED");
    if (!shared || !*shared)
        shared = WEFT_SPEC_SHARED_DIR;
    if (!path_fmt(o.suite, sizeof o.suite, "%s/testsuite", shared)) {
        list_free(&args);
        return 1;
    }
    if (args.count == 0 && !is_dir(o.suite)) {
        printf("spec: skipped: test suite not found at %s; set WEFT_SHARED=... (it is the "
               "shared/ folder beside the repository: testsuite/ from the "
               "WebAssembly/testsuite repository)\n",
               o.suite);
        list_free(&args);
        return 0;
    }
    bool ok = true;
    if (args.count == 0)
        ok = add_folder(&o, &files, o.suite);
    for (size_t i = 0; ok && i < args.count; i++)
        ok = add_arg(&o, &files, args.items[i]);
    if (!ok)
        goto done;

    weft_config config;
    weft_config_init(&config);
    config.bounds = o.bounds;
    config.features = o.features;
    weft_engine *engine;
    weft_error err;
    memset(&err, 0, sizeof err);
    if (weft_engine_new(&config, &engine, &err) != WEFT_OK) {
        fprintf(stderr, "spec: cannot make an engine: %s\n", err.message);
        goto done;
    }
    scr_options so = {.engine = engine, .validate_only = o.validate_only, .verbose = o.verbose};
    scr_counts total = {0};
    for (size_t i = 0; i < files.count; i++) {
        run_file(&o, &so, files.items[i], &total);
        fflush(stdout);
    }
    /* The tier (WEFT_TIER): how many functions ran compiled, how many fell
     * back to the interpreter (docs/compiler.md). */
    uint64_t compiled, interpreted;
    weft_engine_tier_stats(engine, &compiled, &interpreted);
    printf("tier %s: %llu functions compiled, %llu interpreted\n",
           config.tier == WEFT_TIER_JIT ? "jit" : "interp", (unsigned long long)compiled,
           (unsigned long long)interpreted);
    weft_engine_free(engine);
    if (o.stats)
        scr_counts_print_kinds(&total);
    printf("%lu passed, %lu failed, %lu skipped\n", total.passed, total.failed, total.skipped);
    scr_counts_print_reasons(&total, "  skipped: ");
    rc = total.failed ? 1 : 0;
    scr_counts_free(&total);
done:
    list_free(&args);
    list_free(&files);
    return rc;
}

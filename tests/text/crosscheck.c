/*
 * crosscheck.c -- the text reader (text/wat.h) against wabt: every module of
 * the spec suite's scripts that wast2json turned into a .wasm is read again
 * from the same script by wat_module_form_read, and the two binaries are
 * compared.  Identical bytes are the goal; where they differ the modules
 * are compared section by section with custom sections left out
 * ("equivalent"); anything else fails, as does a module that weft's
 * validator accepts from wabt but not from the reader.
 *
 *   crosscheck [--out=DIR] [--verbose] FILE.wast|FOLDER...
 *   crosscheck --parse-only [--verbose] FOLDER...   (no wabt: 3.0 scripts)
 *
 * --parse-only reads every module form of the scripts and counts, per
 * folder, the modules read and the `assert_malformed` text modules
 * rejected, for suites wabt cannot convert (3.0); it fails unless every
 * module is read and every malformed one rejected.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "script/exec.h"
#include "tests/spec/json.h"
#include "text/wat.h"
#include "weft.h"

#ifndef WEFT_WAST2JSON
#define WEFT_WAST2JSON "wast2json"
#endif

typedef struct counts {
    unsigned long read, identical, equivalent, failed, binary;
    unsigned long malformed, rejected; /* --parse-only */
} counts;

static bool verbose;

static bool wast2json(const char *wast, const char *json_path)
{
    struct stat js, ws;
    if (stat(json_path, &js) == 0 && stat(wast, &ws) == 0 && js.st_mtime >= ws.st_mtime)
        return true;
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        execlp(WEFT_WAST2JSON, WEFT_WAST2JSON, "--enable-threads", wast, "-o", json_path,
               (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* ---- comparing two binaries section by section ---- */

static bool leb(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/* The non-custom sections in order, as (id, content) slices; false if the
 * bytes are not a module's section sequence. */
typedef struct section {
    uint8_t id;
    const uint8_t *p;
    size_t n;
} section;

static size_t sections(const uint8_t *m, size_t len, section *out, size_t max)
{
    const uint8_t *p = m + 8, *end = m + len;
    size_t k = 0;
    while (p < end && k < max) {
        uint8_t id = *p++;
        uint64_t n;
        if (!leb(&p, end, &n) || n > (uint64_t)(end - p))
            return 0;
        if (id != 0)
            out[k++] = (section){id, p, (size_t)n};
        p += n;
    }
    return k;
}

static bool equivalent(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    section sa[32], sb[32];
    size_t na = sections(a, al, sa, 32), nb = sections(b, bl, sb, 32);
    if (na != nb)
        return false;
    for (size_t k = 0; k < na; k++)
        if (sa[k].id != sb[k].id || sa[k].n != sb[k].n || memcmp(sa[k].p, sb[k].p, sa[k].n))
            return false;
    return true;
}

static void first_difference(const char *label, unsigned line, const uint8_t *a, size_t al,
                             const uint8_t *b, size_t bl)
{
    size_t k = 0;
    while (k < al && k < bl && a[k] == b[k])
        k++;
    printf("%s:%u: differs from wabt at byte %zu (sizes %zu, wabt %zu)\n", label, line, k, al,
           bl);
    if (verbose) {
        printf("  ours:");
        for (size_t j = k > 8 ? k - 8 : 0; j < al && j < k + 16; j++)
            printf(" %02x", a[j]);
        printf("\n  wabt:");
        for (size_t j = k > 8 ? k - 8 : 0; j < bl && j < k + 16; j++)
            printf(" %02x", b[j]);
        printf("\n");
    }
}

/* The `(module` token a command at `line` holds: the command's own token
 * when it is a module, else the first `(module` after it. */
static size_t module_at(const wat_tokens *t, unsigned line)
{
    for (size_t j = 0; j + 1 < t->count; j++)
        if (t->tok[j].kind == WAT_LPAR && wat_is_keyword(&t->tok[j + 1], "module") &&
            (t->tok[j].line == line || t->tok[j + 1].line == line))
            return j;
    size_t k = 0;
    while (k < t->count && !(t->tok[k].line == line && t->tok[k].kind == WAT_LPAR))
        k++;
    for (; k + 1 < t->count; k++)
        if (t->tok[k].kind == WAT_LPAR && wat_is_keyword(&t->tok[k + 1], "module"))
            return k;
    return t->count;
}

/* wabt 1.0.32 writes `select (result)` as a plain select (0x1B) where the
 * reader writes the typed form with no type (0x1C 0x00), as the spec says
 * (select.wast expects "invalid result arity"): true if tokens [from, to)
 * hold one. */
static bool wabt_select_result(const wat_tokens *t, size_t from, size_t to)
{
    for (size_t j = from; j + 3 < to; j++)
        if (wat_is_keyword(&t->tok[j], "select") && t->tok[j + 1].kind == WAT_LPAR &&
            wat_is_keyword(&t->tok[j + 2], "result") && t->tok[j + 3].kind == WAT_RPAR)
            return true;
    return false;
}

static void check_file(const char *wast, const char *label, const char *out_dir,
                       weft_engine *engine, counts *c)
{
    char dir[PATH_MAX], json_path[PATH_MAX + 64], err[512];
    const char *base = strrchr(label, '/');
    base = base ? base + 1 : label;
    char name[256];
    snprintf(name, sizeof name, "%s", label);
    for (char *s = name; *s; s++)
        if (*s == '/')
            *s = '-';
    name[strlen(name) - 5] = 0; /* .wast */
    snprintf(dir, sizeof dir, "%s/%s", out_dir, name);
    mkdir(out_dir, 0777);
    mkdir(dir, 0777);
    snprintf(json_path, sizeof json_path, "%s/%s.json", dir, name);
    (void)base;
    if (!wast2json(wast, json_path)) {
        printf("%s: wast2json failed\n", label);
        c->failed++;
        return;
    }
    size_t jlen, wlen;
    char *jtext = scr_read_file(json_path, &jlen), *wtext = scr_read_file(wast, &wlen);
    json *doc = jtext ? json_parse(jtext, jlen, err, sizeof err) : NULL;
    wat_tokens toks;
    if (!doc || !wtext || !wat_lex(wtext, wlen, label, &toks, err, sizeof err)) {
        printf("%s: cannot read: %s\n", label, err);
        c->failed++;
        json_free(doc);
        free(jtext);
        free(wtext);
        return;
    }
    const json *cmds = json_get(doc, "commands");
    for (size_t k = 0; k < json_len(cmds); k++) {
        const json *cmd = json_at(cmds, k);
        const char *type = json_get_str(cmd, "type"), *file = json_get_str(cmd, "filename");
        const char *mtype = json_get_str(cmd, "module_type");
        const json *line_j = json_get(cmd, "line");
        if (!type || !file || !line_j || strstr(file, ".wasm") == NULL)
            continue;
        if (mtype && strcmp(mtype, "binary") != 0)
            continue;
        bool valid = !strcmp(type, "module");
        if (!valid && strcmp(type, "assert_invalid") && strcmp(type, "assert_unlinkable") &&
            strcmp(type, "assert_uninstantiable") && strcmp(type, "assert_trap") &&
            strcmp(type, "assert_exhaustion") && strcmp(type, "assert_return"))
            continue; /* assert_malformed binaries: bytes as written */
        unsigned line = (unsigned)line_j->number;
        char wasm_path[PATH_MAX * 2];
        snprintf(wasm_path, sizeof wasm_path, "%s/%s", dir, file);
        size_t ref_len;
        uint8_t *ref = (uint8_t *)scr_read_file(wasm_path, &ref_len);
        size_t pos = module_at(&toks, line);
        if (ref && pos >= toks.count && line == 1 && valid) {
            /* a script of bare module fields is one module */
            uint8_t *bytes;
            size_t len;
            wat_options opt = {.names = false};
            c->read++;
            bool ok = wat_to_wasm(wtext, wlen, label, &opt, &bytes, &len, err, sizeof err);
            if (ok && len == ref_len && !memcmp(bytes, ref, len)) {
                c->identical++;
            } else {
                printf("%s:1: %s\n", label, ok ? "differs from wabt" : err);
                c->failed++;
            }
            if (ok)
                free(bytes);
            free(ref);
            continue;
        }
        if (!ref || pos >= toks.count) {
            printf("%s:%u: no module found (%s)\n", label, line, file);
            c->failed++;
            free(ref);
            continue;
        }
        wat_options opt = {.names = false};
        wat_module_out m;
        size_t start = pos;
        c->read++;
        if (!wat_module_form_read(&toks, &pos, label, &opt, &m, err, sizeof err)) {
            printf("%s\n", err);
            c->failed++;
            free(ref);
            continue;
        }
        if (m.form == WAT_FORM_BINARY)
            c->binary++;
        bool same = m.len == ref_len && !memcmp(m.bytes, ref, ref_len);
        bool ok = same || equivalent(m.bytes, m.len, ref, ref_len) ||
                  wabt_select_result(&toks, start, pos);
        if (ok && valid) {
            weft_error e1, e2;
            bool ref_valid = weft_module_validate(engine, ref, ref_len, &e1) == WEFT_OK;
            bool our_valid = weft_module_validate(engine, m.bytes, m.len, &e2) == WEFT_OK;
            if (ref_valid != our_valid) {
                printf("%s:%u: weft's validator %s wabt's module but %s ours\n", label, line,
                       ref_valid ? "accepts" : "rejects", our_valid ? "accepts" : "rejects");
                ok = false;
            }
        }
        if (!ok) {
            first_difference(label, line, m.bytes, m.len, ref, ref_len);
            c->failed++;
        } else if (same) {
            c->identical++;
        } else {
            c->equivalent++;
        }
        free(m.bytes);
        free(ref);
    }
    wat_tokens_free(&toks);
    json_free(doc);
    free(jtext);
    free(wtext);
}

/* --parse-only: every module form of one script. */
static void parse_file(const char *wast, const char *label, counts *c)
{
    size_t len;
    char *text = scr_read_file(wast, &len), err[512];
    wat_tokens toks;
    if (!text || !wat_lex(text, len, label, &toks, err, sizeof err)) {
        printf("%s: %s\n", label, text ? err : "cannot read");
        c->failed++;
        free(text);
        return;
    }
    /* top-level commands: a module, or a command whose direct child is one */
    size_t k = 0;
    while (k < toks.count && toks.tok[k].kind == WAT_LPAR) {
        size_t end = k;
        int depth = 0;
        do {
            depth += toks.tok[end].kind == WAT_LPAR ? 1 : toks.tok[end].kind == WAT_RPAR ? -1 : 0;
            end++;
        } while (depth > 0 && end < toks.count);
        const wat_token *head = &toks.tok[k + 1];
        bool malformed = wat_is_keyword(head, "assert_malformed");
        size_t pos = wat_is_keyword(head, "module") ? k : k + 2;
        /* a malformed binary module is no test of a text reader */
        size_t form = pos + 2 + (toks.tok[pos + 2].kind == WAT_ID);
        bool binary = wat_is_keyword(&toks.tok[form], "binary");
        if (pos < end && toks.tok[pos].kind == WAT_LPAR &&
            wat_is_keyword(&toks.tok[pos + 1], "module") && !(malformed && binary)) {
            wat_options opt = {.names = false};
            wat_module_out m;
            bool ok = wat_module_form_read(&toks, &pos, label, &opt, &m, err, sizeof err);
            if (ok)
                free(m.bytes);
            if (malformed) {
                c->malformed++;
                c->rejected += !ok;
                if (ok && verbose)
                    printf("%s:%u: malformed module read without error\n", label,
                           toks.tok[k].line);
            } else {
                c->read++;
                if (ok)
                    c->identical++;
                else {
                    c->failed++;
                    if (verbose)
                        printf("%s\n", err);
                }
            }
        }
        k = end;
    }
    wat_tokens_free(&toks);
    free(text);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .wast files of a folder (not recursive), sorted. */
static size_t list_wast(const char *dir, char ***out)
{
    DIR *d = opendir(dir);
    char **v = NULL;
    size_t n = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".wast")) {
            v = realloc(v, (n + 1) * sizeof *v);
            size_t pl = strlen(dir) + l + 2;
            v[n] = malloc(pl);
            snprintf(v[n++], pl, "%s/%s", dir, e->d_name);
        }
    }
    closedir(d);
    qsort(v, n, sizeof *v, cmp_str);
    *out = v;
    return n;
}

int main(int argc, char **argv)
{
    const char *out_dir = "text-crosscheck";
    bool parse_only = false;
    int first = 1;
    for (; first < argc && !strncmp(argv[first], "--", 2); first++) {
        if (!strncmp(argv[first], "--out=", 6))
            out_dir = argv[first] + 6;
        else if (!strcmp(argv[first], "--verbose"))
            verbose = true;
        else if (!strcmp(argv[first], "--parse-only"))
            parse_only = true;
        else {
            fprintf(stderr, "crosscheck: unknown option %s\n", argv[first]);
            return 2;
        }
    }
    weft_engine *engine;
    weft_error err;
    if (weft_engine_new(NULL, &engine, &err)) {
        fprintf(stderr, "crosscheck: %s\n", err.message);
        return 1;
    }
    counts total = {0};
    for (int a = first; a < argc; a++) {
        struct stat st;
        if (stat(argv[a], &st) != 0) {
            printf("text: skipped: %s not found\n", argv[a]);
            continue;
        }
        char **files = NULL;
        size_t n = 1;
        if (S_ISDIR(st.st_mode)) {
            n = list_wast(argv[a], &files);
        } else {
            files = malloc(sizeof *files);
            files[0] = strdup(argv[a]);
        }
        counts folder = {0};
        for (size_t k = 0; k < n; k++) {
            const char *label = files[k];
            if (parse_only)
                parse_file(files[k], label, &folder);
            else
                check_file(files[k], label, out_dir, engine, &folder);
            free(files[k]);
        }
        free(files);
        if (parse_only)
            printf("%s: %lu of %lu modules read, %lu of %lu malformed modules rejected\n",
                   argv[a], folder.identical, folder.read, folder.rejected, folder.malformed);
        else
            printf("%s: %lu modules read: %lu identical, %lu equivalent, %lu failed "
                   "(%lu binary modules)\n",
                   argv[a], folder.read, folder.identical, folder.equivalent, folder.failed,
                   folder.binary);
        total.read += folder.read, total.identical += folder.identical;
        total.equivalent += folder.equivalent, total.failed += folder.failed;
        total.binary += folder.binary, total.malformed += folder.malformed;
        total.rejected += folder.rejected;
    }
    weft_engine_free(engine);
    if (parse_only) {
        printf("text: %lu of %lu modules read, %lu of %lu malformed modules rejected\n",
               total.identical, total.read, total.rejected, total.malformed);
        /* every module read and every malformed one rejected, or a failure */
        printf("%lu passed, %lu failed\n", total.identical + total.rejected,
               (total.read - total.identical) + (total.malformed - total.rejected));
        return total.read == total.identical && total.malformed == total.rejected ? 0 : 1;
    }
    printf("text: %lu modules read: %lu identical, %lu equivalent, %lu failed\n", total.read,
           total.identical, total.equivalent, total.failed);
    printf("%lu passed, %lu failed\n", total.identical + total.equivalent, total.failed);
    return total.failed ? 1 : 0;
}

/*
 * main.c -- the weft command: `weft run`, `weft validate`, `weft --help`.
 * Turns library statuses into exit codes (the library never exits).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_read_file(const char *path, uint8_t **out, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "weft: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fprintf(stderr, "weft: out of memory reading %s\n", path);
            fclose(f);
            return -1;
        }
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap)
            break;
        cap *= 2;
        uint8_t *nb = realloc(buf, cap);
        if (!nb)
            free(buf);
        buf = nb;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "weft: cannot read %s\n", path);
        free(buf);
        return -1;
    }
    *out = buf;
    *size = len;
    return 0;
}

static void usage(FILE *to)
{
    fprintf(to,
            "usage: weft run [OPTIONS] FILE.wasm [ARGS...]\n"
            "       weft validate FILE.wasm\n"
            "       weft --help\n"
            "\n"
            "run: instantiates FILE.wasm and calls its `_start` export, or with\n"
            "  --invoke NAME     the exported function NAME, with ARGS parsed by its\n"
            "                    parameter types: i32/i64 in decimal or 0x hex,\n"
            "                    f32/f64 as decimal or hex floats (nan, inf allowed),\n"
            "                    references only as `null`.  Each result is printed\n"
            "                    on its own line as KIND:VALUE, e.g. `i32:42`,\n"
            "                    `i64:-1`, `f64:0.5`, `f32:nan:0x400000`,\n"
            "                    `funcref:null` (integers as signed decimal).\n"
            "  --bounds-checks=software\n"
            "                    check every memory access in software instead of\n"
            "                    relying on guard pages and SIGSEGV (=guard: default).\n"
            "validate: decodes and validates FILE.wasm.\n"
            "\n"
            "Exit status: 0 on success; 1 on an error (missing file, malformed or\n"
            "invalid module, unknown or incompatible import, bad argument), printed as\n"
            "one line `weft: ...`; 2 on a usage error; 134 when the program traps, with\n"
            "`weft: trap: MESSAGE` and the wasm backtrace on stderr; a WASI program's\n"
            "own exit status when it exits.\n");
}

static int validate(const char *path)
{
    uint8_t *bytes;
    size_t size;
    if (cli_read_file(path, &bytes, &size))
        return CLI_EXIT_ERROR;
    weft_engine *e;
    weft_error err;
    if (weft_engine_new(NULL, &e, &err)) {
        fprintf(stderr, "weft: %s\n", err.message);
        free(bytes);
        return CLI_EXIT_ERROR;
    }
    weft_status st = weft_module_validate(e, bytes, size, &err);
    free(bytes);
    weft_engine_free(e);
    if (st) {
        char msg[4096];
        weft_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "weft: %s: %s\n", path, msg);
        return CLI_EXIT_ERROR;
    }
    printf("%s: valid\n", path);
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "validate") && argc == 3)
        return validate(argv[2]);
    if (!strcmp(argv[1], "run"))
        return cli_run(argc - 2, argv + 2);
    usage(stderr);
    return CLI_EXIT_USAGE;
}

/*
 * main.c -- the weft command: `weft run`, `weft validate`, `weft --help`.
 * Turns library statuses into exit codes (the library never exits).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "text/wat.h"

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

int cli_load_module(const char *path, uint8_t **out, size_t *size)
{
    if (cli_read_file(path, out, size))
        return -1;
    /* By content, not by name: a binary module starts with \0asm; text has
     * no NUL byte, so bytes with one go to the decoder, whose message
     * ("magic header not detected") fits them better. */
    if ((*size >= 4 && !memcmp(*out, "\0asm", 4)) || memchr(*out, 0, *size))
        return 0;
    char err[512];
    uint8_t *wasm;
    size_t len;
    wat_options opt = {.names = true};
    bool ok = wat_to_wasm((const char *)*out, *size, path, &opt, &wasm, &len, err, sizeof err);
    free(*out);
    *out = NULL;
    if (!ok) {
        fprintf(stderr, "weft: %s\n", err);
        return -1;
    }
    *out = wasm;
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
            "run: runs FILE.wasm as a WASI preview 1 program (wasi-threads too):\n"
            "  its `_start` export, with ARGS as the program's arguments (argv[0] is\n"
            "  FILE.wasm); stdin, stdout and stderr are the guest's fds 0, 1, 2.\n"
            "  --dir HOST[::GUEST]\n"
            "                    preopen host directory HOST; the guest sees it as\n"
            "                    GUEST (default: HOST).  Repeatable; fds 3, 4, ... in\n"
            "                    order.  The guest reaches nothing outside them.\n"
            "  --env NAME=VALUE  set a variable of the guest's environment (repeatable;\n"
            "                    a later one wins).  By default the environment is empty.\n"
            "  --env-inherit     start from weft's own environment.\n"
            "  --max-threads N   at most N threads spawned by thread-spawn alive at\n"
            "                    once (0: the default limit); more spawns fail.\n"
            "  --invoke NAME     call the exported function NAME instead of `_start`,\n"
            "                    with ARGS parsed by its parameter types: i32/i64 in\n"
            "                    decimal or 0x hex, f32/f64 as decimal or hex floats\n"
            "                    (nan, inf allowed), references only as `null`, v128\n"
            "                    as lanes of a shape (i8x16 i16x8 i32x4 i64x2 f32x4\n"
            "                    f64x2), lane 0 first, one argument: 'i32x4:1 2 3 4'\n"
            "                    (a `v128:` prefix allowed), or 0x and 32 hex digits.\n"
            "                    Each result is printed on its own line as KIND:VALUE,\n"
            "                    e.g. `i32:42`, `i64:-1`, `f64:0.5`, `f32:nan:0x400000`,\n"
            "                    `funcref:null`, `v128:i32x4:1 2 3 4` (integers as\n"
            "                    signed decimal).\n"
            "  --bounds-checks=software\n"
            "                    check every memory access in software instead of\n"
            "                    relying on guard pages and SIGSEGV (=guard: default).\n"
            "  --tier=TIER       how functions run: interp (the interpreter), jit\n"
            "                    (compiled to x86-64 machine code where the compiler\n"
            "                    can, the interpreter for the rest) or auto (the\n"
            "                    default: the interpreter for now).  The environment\n"
            "                    variable WEFT_TIER sets the default.\n"
            "  --perf-map        name compiled functions for Linux perf: append them\n"
            "                    to /tmp/perf-PID.map (see `perf report`).\n"
            "  --grow-fail=SPEC  make memory.grow fail (return -1), to test a program's\n"
            "                    out-of-memory paths.  Each memory numbers its grows by\n"
            "                    1 page or more 1, 2, 3, ... in the order they happen,\n"
            "                    from any thread (grows by 0 are not counted); SPEC:\n"
            "                      after:N        every grow after the Nth fails\n"
            "                      every:K        grows K, 2K, 3K, ... fail (K >= 1)\n"
            "                      random:P,SEED  each fails with probability P (0 to\n"
            "                                     1, e.g. 0.1), drawn from a PRNG seeded\n"
            "                                     with SEED: the same grows every run\n"
            "  --                end of options: what follows is FILE.wasm and ARGS.\n"
            "validate: decodes and validates FILE.wasm.\n"
            "\n"
            "Exit status: 0 on success; 1 on an error (missing file, malformed or\n"
            "invalid module, unknown or incompatible import, bad argument), printed as\n"
            "one line `weft: ...`; 2 on a usage error; 134 when the program traps (in\n"
            "any of its threads), with `weft: trap: MESSAGE` and the wasm backtrace on\n"
            "stderr; N when the program calls proc_exit(N) (modulo 256).\n");
}

static int validate(const char *path)
{
    uint8_t *bytes;
    size_t size;
    if (cli_load_module(path, &bytes, &size))
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
    /* `weft --help`, and `weft run --help` / `weft validate --help` alike. */
    bool help_of_command = argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"));
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || help_of_command) {
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

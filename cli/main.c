/*
 * main.c -- the weft command: `weft run` (also without the word `run`),
 * `weft validate`, `weft wast`, `weft --help`, `weft --version`.  Turns library statuses into exit codes
 * (the library never exits).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "help.h"
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

/* `weft X ...` without a command: a run when X is an option of run, looks
 * like a module (.wasm, or .wat: text, text/wat.h) or names a file. */
static bool runs_without_command(const char *x)
{
    size_t n = strlen(x);
    struct stat st;
    return x[0] == '-' || (n > 5 && !strcmp(x + n - 5, ".wasm")) ||
           (n > 4 && !strcmp(x + n - 4, ".wat")) || stat(x, &st) == 0;
}

static bool is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_help_usage_print(stderr);
        fprintf(stderr, "weft: no FILE.wasm given (see weft --help)\n");
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    bool known = !strcmp(cmd, "run") || !strcmp(cmd, "validate") || !strcmp(cmd, "wast");
    /* `weft --help`, and `weft run --help` / `weft validate --help` alike. */
    if (is_help(cmd) || (known && argc >= 3 && is_help(argv[2]))) {
        cli_help_print(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        if (argc == 2) {
            printf("weft %s\n", weft_version());
            return CLI_EXIT_OK;
        }
        fprintf(stderr, "weft: %s takes no arguments (see weft --help)\n", cmd);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(cmd, "validate")) {
        if (argc == 3 && argv[2][0] != '-')
            return validate(argv[2]);
        if (argc >= 3 && argv[2][0] == '-')
            fprintf(stderr, "weft: unknown option %s of validate (see weft --help)\n", argv[2]);
        else
            fprintf(stderr, "weft: validate takes one FILE.wasm (see weft --help)\n");
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(cmd, "run"))
        return cli_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "wast"))
        return cli_wast(argc - 2, argv + 2);
    if (runs_without_command(cmd))
        return cli_run(argc - 1, argv + 1);
    fprintf(stderr,
            "weft: %s is neither a command (run, validate, wast) nor a file (see weft --help)\n", cmd);
    return CLI_EXIT_USAGE;
}

/*
 * main.c -- the weft command: `weft validate FILE.wasm`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

static int read_file(const char *path, uint8_t **out, size_t *size)
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
    fprintf(to, "usage: weft validate FILE.wasm\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "validate") && argc == 3) {
        uint8_t *bytes;
        size_t size;
        if (read_file(argv[2], &bytes, &size))
            return 1;
        weft_engine *e;
        weft_error err;
        if (weft_engine_new(NULL, &e, &err)) {
            fprintf(stderr, "weft: %s\n", err.message);
            return 1;
        }
        weft_status st = weft_module_validate(e, bytes, size, &err);
        free(bytes);
        weft_engine_free(e);
        if (st) {
            char msg[4096];
            weft_error_format(&err, msg, sizeof msg);
            fprintf(stderr, "weft: %s: %s\n", argv[2], msg);
            return 1;
        }
        printf("%s: valid\n", argv[2]);
        return 0;
    }
    usage(stderr);
    return 2;
}

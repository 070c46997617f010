/*
 * cli.h -- the weft command's parts (cli_): reading files, parsing and
 * printing values, and the `run` subcommand.  The options and the help
 * text live in options.def and help.c (help.h).
 */
#ifndef WEFT_CLI_H
#define WEFT_CLI_H

#include <stdio.h>

#include "weft.h"

/* Exit statuses of the weft command (documented in --help). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_ERROR = 1, /* missing file, malformed/invalid module, link error, ... */
    CLI_EXIT_USAGE = 2,  /* unknown option, missing or bad value: one line naming it */
    CLI_EXIT_TIMEOUT = 124, /* --timeout passed (as GNU timeout(1) reports it) */
    CLI_EXIT_TRAP = 134 /* 128 + SIGABRT, as other engines report a trap */
};

/* Reads a whole file into a malloc'd buffer; prints the cause and returns -1
 * on failure. */
int cli_read_file(const char *path, uint8_t **out, size_t *size);

/* Reads a module: a binary as it is, anything else (not starting with
 * "\0asm") as the text format, converted by text/wat.h.  Prints the cause
 * (file:line:column for text) and returns -1 on failure. */
int cli_load_module(const char *path, uint8_t **out, size_t *size);

/* Parses `text` as a value of `kind` (integers in decimal or 0x hex, floats in
 * decimal or hex, nan and inf allowed); false if it does not parse. */
bool cli_parse_val(const char *text, weft_valkind kind, weft_val *out);

/* Parses `weft run --grow-fail`'s SPEC (after:N, every:K, random:P,SEED) into
 * *out; NULL on success, else what is wrong with it. */
const char *cli_parse_grow_fail(const char *spec, weft_grow_fail *out);

/* Parses a DURATION of --timeout (500ms, 10s, 1.5m, 2h; a plain number is
 * seconds) into nanoseconds; NULL on success, else what is wrong with it. */
const char *cli_parse_duration(const char *text, uint64_t *ns);

/* Parses a SIZE (65536, 64K, 64KiB, 16M, 16MiB, 1G, 1GiB: powers of 1024)
 * into bytes; NULL on success, else what is wrong with it. */
const char *cli_parse_size(const char *text, uint64_t *bytes);

/* Prints "KIND:VALUE" (e.g. "i32:42", "f64:0.5", "funcref:null"). */
void cli_print_val(FILE *to, const weft_val *v);

/* `weft run [options] FILE.wasm [ARGS...]`; argv starts after "run". */
int cli_run(int argc, char **argv);

/* `weft wast [options] FILE.wast...`: spec scripts; argv starts after "wast". */
int cli_wast(int argc, char **argv);

#endif /* WEFT_CLI_H */

/*
 * help.c -- the weft command's documentation (help.h): the text of --help and
 * of the man page, and --help's layout.  Options are listed in options.def.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "help.h"

const cli_option cli_options[] = {
#define CLI_OPTION(id, name, arg, help) {name, arg, help},
#include "options.def"
#undef CLI_OPTION
};
const size_t cli_noptions = sizeof cli_options / sizeof cli_options[0];

const char cli_help_summary[] = "run WebAssembly programs built for wasm32-wasip1-threads";

const char *const cli_help_usage[] = {
    "[run] [OPTIONS] FILE.wasm [ARGS...]",
    "validate FILE.wasm",
    "wast [OPTIONS] FILE.wast...",
    "--help",
    "--version",
};
const size_t cli_help_nusage = sizeof cli_help_usage / sizeof cli_help_usage[0];

const cli_help_section cli_help_sections[] = {
    {"DESCRIPTION",
     "run: runs FILE.wasm as a WASI preview 1 program (wasi-threads too): its `_start` "
     "export, with ARGS as the program's arguments (argv[0] is FILE.wasm); stdin, stdout "
     "and stderr are the guest's fds 0, 1, 2. Options come before FILE.wasm; what follows "
     "it is the program's. Every option that takes a value takes it as --opt=VALUE or as "
     "the next argument, --opt VALUE.\n"
     "`run` may be left out: `weft FILE.wasm ARGS...` is `weft run FILE.wasm ARGS...` "
     "when the first argument is not a command (run, validate) and starts with -- (an "
     "option of run), ends with .wasm or .wat, or names an existing file. A file named "
     "like a command runs as `weft run validate` or `weft ./validate`.\n"
     "FILE.wasm may also be a module in the text format (.wat): a file that does not start "
     "like a binary module and holds no NUL byte is read as text, whatever its name; a syntax error "
     "names FILE:LINE:COLUMN.\n"
     "validate: decodes and validates FILE.wasm; an error names the byte offset.\n"
     "wast: runs WebAssembly spec scripts (.wast) with the engine: every command (module, "
     "register, invoke, get, assert_*), the spectest module. Prints per file `FILE: N "
     "passed, M failed, K skipped (reasons)` and each failure as FILE:LINE:COLUMN; a command "
     "that needs a feature weft lacks (GC, exception handling, tail calls, memory64, ...) is "
     "skipped with the feature's name. OPTIONS: --bounds-checks and --tier as for run; --features "
     "2.0 (the 2.0 suite: no threads), threads (the threads proposal's files: no multiple "
     "tables) or default; --verbose prints every skip; --stats totals per command kind; "
     "--known-features LIST names the features of commands no scan can tell (lines "
     "FILE:LINE FEATURE). "
     "Exit status 0 only if nothing failed.\n"
     "--version (or version): prints `weft VERSION`, the library's version."},
    {"OPTIONS", NULL},
    {"EXIT STATUS",
     "  0    the program returned from _start (or the --invoke export)\n"
     "  N    the program called proc_exit(N) (modulo 256)\n"
     "  1    an error: missing file, malformed or invalid module, unknown\n"
     "       or incompatible import, initial memory over --max-memory,\n"
     "       bad ARGS for --invoke\n"
     "  2    a usage error: unknown option, missing or bad value\n"
     "  124  the --timeout passed; every thread of the program was ended\n"
     "  134  the program trapped, in any of its threads\n"
     "Errors are one line on stderr, `weft: ...`; a trap prints `weft: trap: MESSAGE` and "
     "the wasm backtrace, a timeout `weft: timeout: ...`."},
    {"ENVIRONMENT", "WEFT_TIER: interp, jit or auto, the default of --tier."},
};
const size_t cli_help_nsections = sizeof cli_help_sections / sizeof cli_help_sections[0];

/* ---- --help's layout ------------------------------------------------------------------ */

enum { WIDTH = 78, OPTION_COLUMN = 20 };

static void spaces(FILE *to, int n)
{
    fprintf(to, "%*s", n, "");
}

/* Prints `text` (help.h's conventions) filled to WIDTH, each line starting at
 * column `indent`; with `on_line`, the cursor already stands there.  With
 * `gap`, a blank line separates paragraphs. */
static void print_text(FILE *to, const char *text, int indent, bool on_line, bool gap)
{
    const char *p = text;
    while (*p) {
        if (gap && p != text)
            fputc('\n', to);
        size_t len = strcspn(p, "\n");
        if (!on_line)
            spaces(to, indent);
        on_line = false;
        if (!strncmp(p, "  ", 2)) {
            fprintf(to, "%.*s\n", (int)len, p);
        } else {
            int col = indent;
            bool first = true;
            for (const char *w = p; w < p + len;) {
                if (*w == ' ') {
                    w++;
                    continue;
                }
                int wlen = (int)strcspn(w, " \n");
                if (!first && col + 1 + wlen > WIDTH) {
                    fputc('\n', to);
                    spaces(to, indent);
                    col = indent;
                    first = true;
                }
                if (!first) {
                    fputc(' ', to);
                    col++;
                }
                fprintf(to, "%.*s", wlen, w);
                col += wlen;
                first = false;
                w += wlen;
            }
            fputc('\n', to);
        }
        p += len + (p[len] == '\n');
    }
}

static void print_options(FILE *to)
{
    for (size_t i = 0; i < cli_noptions; i++) {
        const cli_option *o = &cli_options[i];
        int n = fprintf(to, "  %s%s%s", o->name, o->arg ? "=" : "", o->arg ? o->arg : "");
        if (n <= OPTION_COLUMN - 2) {
            spaces(to, OPTION_COLUMN - n);
            print_text(to, o->help, OPTION_COLUMN, true, false);
        } else {
            fputc('\n', to);
            print_text(to, o->help, OPTION_COLUMN, false, false);
        }
    }
}

void cli_help_usage_print(FILE *to)
{
    for (size_t i = 0; i < cli_help_nusage; i++)
        fprintf(to, "%s weft %s\n", i ? "      " : "usage:", cli_help_usage[i]);
}

void cli_help_print(FILE *to)
{
    fprintf(to, "weft -- %s\n\n", cli_help_summary);
    cli_help_usage_print(to);
    for (size_t i = 0; i < cli_help_nsections; i++) {
        const cli_help_section *s = &cli_help_sections[i];
        fputc('\n', to);
        if (!strcmp(s->title, "DESCRIPTION")) {
            print_text(to, s->text, 0, false, true);
            continue;
        }
        /* "EXIT STATUS" -> "Exit status:" */
        fputc(s->title[0], to);
        for (const char *c = s->title + 1; *c; c++)
            fputc(tolower((unsigned char)*c), to);
        fputs(":\n", to);
        if (s->text)
            print_text(to, s->text, 2, false, false);
        else
            print_options(to);
    }
}

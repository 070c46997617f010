/*
 * help.h -- the weft command's documentation as data (cli_help_): --help
 * prints it (help.c) and cli/man/mkman.c writes it as the man page weft.1 at
 * build time, so the two say the same.
 *
 * Text conventions (cli_help_section.text, options.def's HELP): paragraphs
 * separated by "\n"; a paragraph that starts with two spaces is a line of a
 * table, kept as it is; any other is filled to the width of the output.
 */
#ifndef WEFT_CLI_HELP_H
#define WEFT_CLI_HELP_H

#include <stddef.h>
#include <stdio.h>

typedef struct cli_option {
    const char *name; /* "--dir"                                 */
    const char *arg;  /* "HOST[::GUEST]", or NULL for a flag      */
    const char *help;
} cli_option;

/* The rows of options.def, in order. */
extern const cli_option cli_options[];
extern const size_t cli_noptions;

typedef struct cli_help_section {
    const char *title; /* "EXIT STATUS" (the man page's; --help capitalises it) */
    const char *text;  /* NULL: the options of `weft run` go here               */
} cli_help_section;

/* The command's one-line summary, its usage lines (without "weft "), and the
 * sections after them. */
extern const char cli_help_summary[];
extern const char *const cli_help_usage[];
extern const size_t cli_help_nusage;
extern const cli_help_section cli_help_sections[];
extern const size_t cli_help_nsections;

/* Prints --help: usage, then every section, filled to 78 columns. */
void cli_help_print(FILE *to);
/* Prints the usage lines only (for a usage error). */
void cli_help_usage_print(FILE *to);

#endif /* WEFT_CLI_HELP_H */

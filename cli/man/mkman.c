/*
 * mkman.c -- writes the man page weft.1 from the text of --help (cli/help.h),
 * at build time: `weft_mkman OUT`.  Paragraphs become filled roff text, table
 * lines (two leading spaces) no-fill blocks, options .TP entries.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../help.h"

/* Writes `n` bytes of text escaped for roff: backslashes and hyphens (so that
 * option names are minus signs, as typed), and a control character (. or ')
 * where a line would start with it. */
static void roff(FILE *to, const char *s, size_t n, bool line_start)
{
    for (size_t i = 0; i < n; i++) {
        if (line_start && (s[i] == '.' || s[i] == '\''))
            fputs("\\&", to);
        line_start = false;
        if (s[i] == '\\')
            fputs("\\e", to);
        else if (s[i] == '-')
            fputs("\\-", to);
        else
            fputc(s[i], to);
    }
}

static void text(FILE *to, const char *t)
{
    bool in_table = false, first = true;
    while (*t) {
        size_t len = strcspn(t, "\n");
        bool table = !strncmp(t, "  ", 2);
        if (table && !in_table)
            fputs(first ? ".nf\n" : ".PP\n.nf\n", to);
        else if (!table && in_table)
            fputs(".fi\n", to);
        if (!table && !in_table && !first)
            fputs(".PP\n", to);
        in_table = table;
        first = false;
        roff(to, t, len, true);
        fputc('\n', to);
        t += len + (t[len] == '\n');
    }
    if (in_table)
        fputs(".fi\n", to);
}

static void options(FILE *to)
{
    for (size_t i = 0; i < cli_noptions; i++) {
        const cli_option *o = &cli_options[i];
        fputs(".TP\n\\fB", to);
        roff(to, o->name, strlen(o->name), false);
        fputs("\\fR", to);
        if (o->arg) {
            fputs("=\\fI", to);
            roff(to, o->arg, strlen(o->arg), false);
            fputs("\\fR", to);
        }
        fputc('\n', to);
        text(to, o->help);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: weft_mkman OUT.1\n");
        return 2;
    }
    FILE *to = fopen(argv[1], "w");
    if (!to) {
        perror(argv[1]);
        return 1;
    }
    fputs(".TH WEFT 1 \"\" \"weft\" \"User Commands\"\n.SH NAME\nweft \\- ", to);
    roff(to, cli_help_summary, strlen(cli_help_summary), false);
    fputs("\n.SH SYNOPSIS\n.nf\n", to);
    for (size_t i = 0; i < cli_help_nusage; i++) {
        fputs("\\fBweft\\fR ", to);
        roff(to, cli_help_usage[i], strlen(cli_help_usage[i]), false);
        fputc('\n', to);
    }
    fputs(".fi\n", to);
    for (size_t i = 0; i < cli_help_nsections; i++) {
        const cli_help_section *s = &cli_help_sections[i];
        fprintf(to, ".SH \"%s\"\n", s->title);
        if (s->text)
            text(to, s->text);
        else
            options(to);
    }
    if (fclose(to) != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}

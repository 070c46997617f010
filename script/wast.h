/*
 * wast.h -- spec scripts (.wast) read with the text reader (text/wat.h) and
 * run command by command through the script runner (exec.h): what
 * `weft wast` does, with no wast2json.
 */
#ifndef SCRIPT_WAST_H
#define SCRIPT_WAST_H

#include "script/exec.h"
#include "text/lexer.h"

/*
 * Runs the script at `path` (named `label` in the output).  Prints each
 * failure, each skip under opt->verbose, then the file's line, and adds to
 * *total.  A file that cannot be read or cut into tokens counts as one
 * failed command.
 */
void scr_wast_run(const scr_options *opt, const char *path, const char *label,
                  scr_counts *total);

/* The same for a script's text (size bytes) in memory. */
void scr_wast_run_text(const scr_options *opt, const char *text, size_t size, const char *label,
                       scr_counts *total);

/*
 * Reads a list of known features (exec.h, scr_known): lines "FILE:LINE
 * FEATURE...", `#` comments and blank lines ignored.  On failure prints why
 * and returns false.  *out is malloc'd.
 */
bool scr_wast_known_load(const char *path, scr_known **out, size_t *n);

/*
 * The feature weft lacks that tokens [from, to) of a module's fields use
 * (GC, exception handling, tail calls, memory64, ...), by name, or NULL.
 */
const char *scr_wast_feature_scan(const wat_tokens *t, size_t from, size_t to);

#endif /* SCRIPT_WAST_H */

/*
 * exec.h -- runs the commands of one spec script (scr_), whatever it was
 * read from: `weft wast` reads .wast text (wast.c), tests/spec's runner reads
 * wast2json's JSON.  Modules live in slots a later action, register or
 * import can name; every command is counted exactly once: passed, failed
 * (printed with its position and why) or skipped (with a reason, counted per
 * reason: a feature weft does not have is named).
 *
 * Not part of libweft: this code prints (to stdout), as a runner must.
 */
#ifndef SCRIPT_EXEC_H
#define SCRIPT_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "script/values.h"
#include "weft.h"

/* A command known to need a feature weft lacks, where no scan can see it
 * (binary modules): "FILE:LINE FEATURE", FILE matching the end of a path. */
typedef struct scr_known {
    char file[200];
    long line;
    char feature[96];
} scr_known;

typedef struct scr_options {
    weft_engine *engine;
    const scr_known *known; /* may be NULL */
    size_t nknown;
    bool validate_only; /* compile modules, run assert_invalid/malformed only */
    bool error_features; /* a failing command whose error names a feature weft
                            lacks is skipped for it (weft wast; not the JSON runner) */
    bool verbose;       /* also print every skip                             */
} scr_options;

/* The command kinds, for per-kind counts. */
#define SCR_COMMANDS(X)                                                                  \
    X(MODULE, "module")                                                                  \
    X(REGISTER, "register")                                                              \
    X(ACTION, "action")                                                                  \
    X(ASSERT_RETURN, "assert_return")                                                    \
    X(ASSERT_TRAP, "assert_trap")                                                        \
    X(ASSERT_EXHAUSTION, "assert_exhaustion")                                            \
    X(ASSERT_EXCEPTION, "assert_exception")                                              \
    X(ASSERT_INVALID, "assert_invalid")                                                  \
    X(ASSERT_MALFORMED, "assert_malformed")                                              \
    X(ASSERT_UNLINKABLE, "assert_unlinkable")                                            \
    X(ASSERT_UNINSTANTIABLE, "assert_uninstantiable")                                    \
    X(OTHER, "(other)")

typedef enum scr_cmd {
#define SCR_X_ENUM(name, text) SCR_CMD_##name,
    SCR_COMMANDS(SCR_X_ENUM)
#undef SCR_X_ENUM
    SCR_CMD_COUNT
} scr_cmd;

extern const char *const scr_cmd_names[SCR_CMD_COUNT];

enum { SCR_PASSED, SCR_FAILED, SCR_SKIPPED };

/* Skips counted by reason (a feature's name, or why the runner could not
 * run the command). */
typedef struct scr_reason {
    char name[96];
    unsigned long count;
} scr_reason;

typedef struct scr_counts {
    unsigned long passed, failed, skipped;
    unsigned long by_cmd[SCR_CMD_COUNT][3]; /* [kind][SCR_PASSED...] */
    scr_reason *reasons;
    size_t nreasons, capreasons;
} scr_counts;

/* Adds n skips for `reason`; false when out of memory. */
bool scr_counts_reason(scr_counts *c, const char *reason, unsigned long n);
/* Adds everything in `from` to `to`. */
void scr_counts_add(scr_counts *to, const scr_counts *from);
void scr_counts_free(scr_counts *c);
/* "  N  reason" lines, most skipped first; `indent` before each. */
void scr_counts_print_reasons(const scr_counts *c, const char *indent);
/* Per command kind totals. */
void scr_counts_print_kinds(const scr_counts *c);

typedef struct scr_script scr_script;

/* A script named `label` in the output; NULL when out of memory. */
scr_script *scr_begin(const scr_options *opt, const char *label);
/* Prints the file's line "<label>: P passed, F failed, S skipped (...)",
 * adds to *total and frees the script. */
void scr_end(scr_script *S, scr_counts *total);

/* Starts a command at line:col (col 0: unknown) of the script. */
void scr_command(scr_script *S, scr_cmd kind, const char *name, long line, long col);
/* The feature the current command needs that weft lacks, or NULL: set by
 * the reader before the command runs, used when weft cannot do it. */
void scr_needs(scr_script *S, const char *feature);

/* Outcomes the reader decides itself. */
void scr_pass(scr_script *S);
void scr_fail(scr_script *S, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void scr_skip(scr_script *S, const char *reason, const char *detail);

/* `module`: decodes, validates and (unless `definition`) instantiates bytes
 * (borrowed) into a new slot named `name` (may be NULL). */
void scr_module(scr_script *S, const char *name, const uint8_t *bytes, size_t len,
                bool definition);
/* A module the reader could not turn into bytes: the slot fails (why). */
void scr_module_unreadable(scr_script *S, const char *name, const char *why);
/* `(module instance $name $def)`: instantiates the definition's module. */
void scr_instance(scr_script *S, const char *name, const char *def);
/* `register "as" $name?` */
void scr_register(scr_script *S, const char *as, const char *name);

typedef struct scr_action {
    bool get;           /* `get` a global, else `invoke` a function */
    const char *module; /* $name, or NULL: the latest module */
    const char *field;
    size_t field_len;
    const weft_val *args;
    size_t nargs;
} scr_action;

/* One acceptable list of results (assert_return has one, or several with
 * `either`). */
typedef struct scr_results {
    const val_expect *vals;
    size_t n;
} scr_results;

void scr_do_action(scr_script *S, const scr_action *a);
void scr_assert_return(scr_script *S, const scr_action *a, const scr_results *alts,
                       size_t nalts);
/* assert_trap and assert_exhaustion on an action. */
void scr_assert_trap(scr_script *S, const scr_action *a, const char *text);
/* assert_invalid (want WEFT_INVALID) / assert_malformed (WEFT_MALFORMED) on
 * a binary. */
void scr_assert_bad_module(scr_script *S, const uint8_t *bytes, size_t len, weft_status want,
                           const char *text);
/* assert_unlinkable (WEFT_UNLINKABLE), assert_uninstantiable and assert_trap
 * on a module (WEFT_TRAP). */
void scr_assert_instantiate(scr_script *S, const uint8_t *bytes, size_t len, weft_status want,
                            const char *text);

/* The whole file at path, NUL-terminated, in a malloc'd buffer the caller
 * frees (its length, without the NUL, in *size); NULL if it cannot be read. */
char *scr_read_file(const char *path, size_t *size);

#endif /* SCRIPT_EXEC_H */

/*
 * script.h -- runs the commands of one converted spec script (wast2json's
 * JSON) in order, through weft's public API, and counts each command once:
 * passed, failed (reported with its line) or skipped (with a reason that is
 * summarised per file).
 */
#ifndef SPEC_SCRIPT_H
#define SPEC_SCRIPT_H

#include <stdbool.h>

#include "json.h"
#include "weft.h"

typedef struct spec_options {
    weft_engine *engine;
    bool validate_only; /* compile modules, run assert_invalid/malformed only */
    bool verbose;       /* also print every skip                             */
} spec_options;

/* The command kinds of wast2json's output, for per-kind counts. */
#define SPEC_COMMANDS(X)                                                                 \
    X(MODULE, "module")                                                                  \
    X(REGISTER, "register")                                                              \
    X(ACTION, "action")                                                                  \
    X(ASSERT_RETURN, "assert_return")                                                    \
    X(ASSERT_TRAP, "assert_trap")                                                        \
    X(ASSERT_EXHAUSTION, "assert_exhaustion")                                            \
    X(ASSERT_INVALID, "assert_invalid")                                                  \
    X(ASSERT_MALFORMED, "assert_malformed")                                              \
    X(ASSERT_UNLINKABLE, "assert_unlinkable")                                            \
    X(ASSERT_UNINSTANTIABLE, "assert_uninstantiable")                                    \
    X(OTHER, "(other)")

typedef enum spec_cmd {
#define SPEC_X_ENUM(name, text) SPEC_CMD_##name,
    SPEC_COMMANDS(SPEC_X_ENUM)
#undef SPEC_X_ENUM
    SPEC_CMD_COUNT
} spec_cmd;

extern const char *const spec_cmd_names[SPEC_CMD_COUNT];

enum { SPEC_PASSED, SPEC_FAILED, SPEC_SKIPPED };

typedef struct spec_counts {
    unsigned long passed, failed, skipped;
    unsigned long by_cmd[SPEC_CMD_COUNT][3]; /* [kind][SPEC_PASSED...] */
} spec_counts;

/*
 * Runs `script`; its .wasm files are in `dir`.  `label` names the file in the
 * output.  Prints failures as they happen, then the file's line
 * "<label>: P passed, F failed, S skipped (...)", and adds to *counts.
 */
void script_run(const spec_options *opt, const json *script, const char *dir, const char *label,
                spec_counts *counts);

#endif /* SPEC_SCRIPT_H */

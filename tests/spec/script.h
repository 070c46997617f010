/*
 * script.h -- runs one script converted by wast2json (its JSON and .wasm
 * files) through the shared script runner (script/exec.h): each JSON command
 * becomes the runner's command.
 */
#ifndef SPEC_SCRIPT_H
#define SPEC_SCRIPT_H

#include "json.h"
#include "script/exec.h"

/*
 * Runs `script`; its .wasm files are in `dir`.  `label` names the file in the
 * output.  Prints failures as they happen, then the file's line
 * "<label>: P passed, F failed, S skipped (...)", and adds to *counts.
 */
void script_run(const scr_options *opt, const json *script, const char *dir, const char *label,
                scr_counts *counts);

#endif /* SPEC_SCRIPT_H */

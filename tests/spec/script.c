/*
 * script.c -- wast2json's commands handed to the shared script runner
 * (script/exec.h): modules are read from the .wasm files beside the JSON,
 * values from their JSON form (values_json.h).  Text-form modules of
 * assert_malformed / assert_invalid are not converted by wast2json and so
 * are skipped here (`weft wast` reads them).
 */
#include "script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "values_json.h"

/* The command's .wasm file; false (the command failed, counted) if unreadable. */
static bool module_bytes(scr_script *S, const json *c, const char *dir, uint8_t **bytes,
                         size_t *size)
{
    const char *file = json_get_str(c, "filename");
    char path[4096];
    if (!file) {
        scr_fail(S, "command has no filename");
        return false;
    }
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (!(*bytes = (uint8_t *)scr_read_file(path, size))) {
        scr_fail(S, "cannot read %s", path);
        return false;
    }
    return true;
}

/* The command's action with its arguments in args (caller frees *args);
 * false (the command failed, counted) if the JSON is not one. */
static bool action_of(scr_script *S, const json *c, scr_action *out, weft_val **args)
{
    const json *a = json_get(c, "action");
    const char *type = json_get_str(a, "type");
    const json *field = json_get(a, "field");
    *args = NULL;
    if (!type || !field || field->kind != JSON_STRING ||
        (strcmp(type, "invoke") != 0 && strcmp(type, "get") != 0)) {
        scr_fail(S, "malformed action");
        return false;
    }
    const json *ja = json_get(a, "args");
    size_t n = json_len(ja);
    *args = calloc(n + 1, sizeof **args);
    if (!*args) {
        scr_fail(S, "out of memory");
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        char why[200];
        if (!val_parse_arg(json_at(ja, k), &(*args)[k], why, sizeof why)) {
            scr_fail(S, "argument %zu: %s", k, why);
            free(*args);
            *args = NULL;
            return false;
        }
    }
    *out = (scr_action){.get = strcmp(type, "get") == 0,
                        .module = json_get_str(a, "module"),
                        .field = field->str,
                        .field_len = field->len,
                        .args = *args,
                        .nargs = n};
    return true;
}

static void assert_return(scr_script *S, const json *c)
{
    scr_action a;
    weft_val *args;
    if (!action_of(S, c, &a, &args))
        return;
    const json *expected = json_get(c, "expected");
    size_t n = json_len(expected);
    val_expect *vals = calloc(n + 1, sizeof *vals);
    if (!vals) {
        scr_fail(S, "out of memory");
    } else {
        bool ok = true;
        for (size_t k = 0; k < n && ok; k++) {
            char why[200];
            ok = val_parse_expect(json_at(expected, k), &vals[k], why, sizeof why);
            if (!ok)
                scr_fail(S, "expected result %zu: %s", k, why);
        }
        scr_results r = {vals, n};
        if (ok)
            scr_assert_return(S, &a, &r, 1);
    }
    free(vals);
    free(args);
}

static scr_cmd kind_of(const char *type)
{
    for (int k = 0; k < SCR_CMD_OTHER; k++)
        if (strcmp(type, scr_cmd_names[k]) == 0)
            return (scr_cmd)k;
    return SCR_CMD_OTHER;
}

static void command(scr_script *S, const scr_options *opt, const json *c, const char *dir)
{
    const char *type = json_get_str(c, "type");
    const char *text = json_get_str(c, "text");
    const json *line = json_get(c, "line");
    scr_cmd kind = type ? kind_of(type) : SCR_CMD_OTHER;
    scr_command(S, kind, type ? type : "(no type)",
                line && line->kind == JSON_NUMBER ? (long)line->number : 0, 0);
    if (!text)
        text = "";
    bool compile_only = kind == SCR_CMD_MODULE || kind == SCR_CMD_ASSERT_INVALID ||
                        kind == SCR_CMD_ASSERT_MALFORMED;
    if (opt->validate_only && !compile_only) {
        scr_skip(S, "not run with --validate-only", NULL);
        return;
    }
    bool bad_module = kind == SCR_CMD_ASSERT_INVALID || kind == SCR_CMD_ASSERT_MALFORMED;
    const char *mt = json_get_str(c, "module_type");
    if (bad_module && mt && strcmp(mt, "binary") != 0) {
        scr_skip(S, "text-form modules (wast2json does not convert them)", NULL);
        return;
    }
    bool on_module = kind == SCR_CMD_MODULE || bad_module || kind == SCR_CMD_ASSERT_UNLINKABLE ||
                     kind == SCR_CMD_ASSERT_UNINSTANTIABLE ||
                     ((kind == SCR_CMD_ASSERT_TRAP || kind == SCR_CMD_ASSERT_EXHAUSTION) &&
                      !json_get(c, "action"));
    if (on_module) {
        uint8_t *bytes;
        size_t size;
        if (!module_bytes(S, c, dir, &bytes, &size))
            return;
        if (kind == SCR_CMD_MODULE)
            scr_module(S, json_get_str(c, "name"), bytes, size, false);
        else if (bad_module)
            scr_assert_bad_module(S, bytes, size,
                                  kind == SCR_CMD_ASSERT_INVALID ? WEFT_INVALID : WEFT_MALFORMED,
                                  text);
        else
            scr_assert_instantiate(
                S, bytes, size, kind == SCR_CMD_ASSERT_UNLINKABLE ? WEFT_UNLINKABLE : WEFT_TRAP,
                text);
        free(bytes);
        return;
    }
    scr_action a;
    weft_val *args;
    switch (kind) {
    case SCR_CMD_REGISTER: {
        const char *as = json_get_str(c, "as");
        if (as)
            scr_register(S, as, json_get_str(c, "name"));
        else
            scr_fail(S, "register without \"as\"");
        break;
    }
    case SCR_CMD_ASSERT_RETURN: assert_return(S, c); break;
    case SCR_CMD_ACTION:
    case SCR_CMD_ASSERT_TRAP:
    case SCR_CMD_ASSERT_EXHAUSTION:
        if (!action_of(S, c, &a, &args))
            break;
        if (kind == SCR_CMD_ACTION)
            scr_do_action(S, &a);
        else
            scr_assert_trap(S, &a, text);
        free(args);
        break;
    default: scr_fail(S, "unknown command"); break;
    }
}

void script_run(const scr_options *opt, const json *doc, const char *dir, const char *label,
                scr_counts *counts)
{
    scr_script *S = scr_begin(opt, label);
    if (!S) {
        printf("%s: 0 passed, 1 failed, 0 skipped (out of memory)\n", label);
        counts->failed++;
        return;
    }
    const json *cmds = json_get(doc, "commands");
    if (!cmds || cmds->kind != JSON_ARRAY)
        scr_fail(S, "no \"commands\" array");
    else
        for (size_t i = 0; i < cmds->count; i++)
            command(S, opt, cmds->items[i], dir);
    scr_end(S, counts);
}

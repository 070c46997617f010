/*
 * script.c -- executes one converted spec script (see script.h).
 *
 * Modules live in "slots", one per `module` command, so that a later action,
 * register or import can name them ($M) or use the latest one.  A slot that
 * could not be made because weft reports WEFT_UNSUPPORTED is "skipped", and
 * so is everything that depends on it; a slot that failed for any other
 * reason is "failed", and its dependents fail with it (reported once, then
 * counted).  Every command is counted exactly once.
 */
#include "script.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spectest.h"
#include "values.h"

typedef enum skip_kind {
    SKIP_TEXT,          /* text-form module: weft reads binaries only      */
    SKIP_VALIDATE_ONLY, /* --validate-only                                 */
    SKIP_UNSUPPORTED,   /* weft said WEFT_UNSUPPORTED                       */
    SKIP_DEPENDS,       /* needs a module that was skipped                 */
    SKIP_AMBIGUOUS,     /* same bytes as an earlier assertion expecting other text */
    SKIP_COUNT
} skip_kind;

static const char *const skip_names[SKIP_COUNT] = {
    [SKIP_TEXT] = "text-form modules",
    [SKIP_VALIDATE_ONLY] = "not run with --validate-only",
    [SKIP_UNSUPPORTED] = "unsupported by weft",
    [SKIP_DEPENDS] = "need a skipped module",
    [SKIP_AMBIGUOUS] = "binary identical to an earlier assertion's with another expected error",
};

const char *const spec_cmd_names[SPEC_CMD_COUNT] = {
#define SPEC_X_NAME(name, text) [SPEC_CMD_##name] = text,
    SPEC_COMMANDS(SPEC_X_NAME)
#undef SPEC_X_NAME
};

/* An assert_invalid / assert_malformed module seen earlier in the file. */
typedef struct bad_binary {
    uint64_t hash;
    size_t size;
    long line;
    char text[128];
} bad_binary;

typedef enum slot_state { SLOT_READY, SLOT_SKIPPED, SLOT_FAILED } slot_state;

typedef struct slot {
    char *name; /* "$M", or NULL */
    long line;
    weft_module *module;
    weft_instance *instance;
    slot_state state;
    unsigned long dependents_failed; /* commands that failed because this one did */
} slot;

typedef struct registration {
    char *as;
    size_t slot;
} registration;

/* How far a step got: it ran (look at its status), or it could not run. */
typedef enum step { STEP_RAN, STEP_SKIP, STEP_FAIL } step;

typedef struct script {
    const spec_options *opt;
    const char *dir;
    const char *label;
    spectest *st;
    slot *slots;
    size_t nslots, capslots;
    registration *regs;
    bad_binary *bads; /* binaries of earlier assert_invalid / assert_malformed */
    size_t nbads, capbads;
    size_t nregs, capregs;
    size_t current; /* the latest module's slot, or SIZE_MAX */
    long line;      /* of the command being run */
    const char *cmd;
    spec_cmd kind;
    bool dynamic;     /* the command executes something (not assert_invalid/malformed) */
    unsigned long passed, failed, skipped;
    unsigned long by_cmd[SPEC_CMD_COUNT][3];
    unsigned long skips[SKIP_COUNT];
    bool unsupported_printed;
    /* Why the last step could not run (STEP_SKIP / STEP_FAIL). */
    skip_kind why_skip;
    char why[512];
} script;

/* ---- bookkeeping ---------------------------------------------------------- */

static void sc_pass(script *S)
{
    S->passed++;
    S->by_cmd[S->kind][SPEC_PASSED]++;
}

static void sc_skip(script *S, skip_kind kind, const char *detail);

static void sc_fail(script *S, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sc_fail(script *S, const char *fmt, ...)
{
    /* A failure always counts as one, even after an action was skipped as
     * unsupported (the script's state may have drifted then; the skip line
     * printed before says so). */
    S->failed++;
    S->by_cmd[S->kind][SPEC_FAILED]++;
    printf("%s:%ld: %s: FAIL: ", S->label, S->line, S->cmd);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static void sc_skip(script *S, skip_kind kind, const char *detail)
{
    S->skipped++;
    S->skips[kind]++;
    S->by_cmd[S->kind][SPEC_SKIPPED]++;
    bool first_unsupported = kind == SKIP_UNSUPPORTED && !S->unsupported_printed;
    if (first_unsupported || (S->opt->verbose && detail && *detail)) {
        printf("%s:%ld: %s: skipped: %s%s\n", S->label, S->line, S->cmd, detail ? detail : "",
               first_unsupported ? " (and so are later commands that need it)" : "");
        if (first_unsupported)
            S->unsupported_printed = true;
    }
}

/* Records why a step could not run. */
static step sc_why(script *S, step s, skip_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static step sc_why(script *S, step s, skip_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(S->why, sizeof S->why, fmt, ap);
    va_end(ap);
    S->why_skip = kind;
    return s;
}

/* Counts a step that did not run. */
static void sc_not_run(script *S, step s)
{
    if (s == STEP_SKIP)
        sc_skip(S, S->why_skip, S->why);
    else if (S->why[0])
        sc_fail(S, "%s", S->why);
    else {
        S->failed++; /* a dependent of a failed module, already reported */
        S->by_cmd[S->kind][SPEC_FAILED]++;
    }
}

static const char *status_name(weft_status s)
{
    switch (s) {
    case WEFT_OK: return "ok";
    case WEFT_MALFORMED: return "malformed";
    case WEFT_INVALID: return "invalid";
    case WEFT_UNLINKABLE: return "unlinkable";
    case WEFT_TRAP: return "trap";
    case WEFT_EXIT: return "exit";
    case WEFT_NOMEM: return "nomem";
    case WEFT_BAD_ARGUMENT: return "bad argument";
    case WEFT_UNSUPPORTED: return "unsupported";
    case WEFT_IO: return "io";
    }
    return "unknown status";
}

/* "trap: integer divide by zero" -- what weft said. */
static const char *said(weft_status s, const weft_error *err, char *buf, size_t size)
{
    const char *msg = err->message[0] ? err->message : "(no message)";
    const char *cls = status_name(s);
    if (s == WEFT_OK)
        snprintf(buf, size, "ok");
    else if (strncmp(msg, cls, strlen(cls)) == 0)
        snprintf(buf, size, "%s", msg); /* "unsupported: unsupported ..." says it twice */
    else
        snprintf(buf, size, "%s: %s", cls, msg);
    return buf;
}

static void err_clear(weft_error *err)
{
    memset(err, 0, sizeof *err);
}

/* ---- slots ------------------------------------------------------------------ */

static char *sc_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static size_t sc_new_slot(script *S, const char *name)
{
    if (S->nslots == S->capslots) {
        size_t cap = S->capslots ? S->capslots * 2 : 16;
        slot *slots = realloc(S->slots, cap * sizeof *slots);
        if (!slots)
            return SIZE_MAX;
        S->slots = slots;
        S->capslots = cap;
    }
    slot *sl = &S->slots[S->nslots];
    memset(sl, 0, sizeof *sl);
    sl->name = sc_strdup(name);
    sl->line = S->line;
    sl->state = SLOT_FAILED; /* until it is made */
    return S->nslots++;
}

static size_t sc_find_slot(script *S, const char *name)
{
    if (!name)
        return S->current;
    for (size_t i = S->nslots; i-- > 0;)
        if (S->slots[i].name && strcmp(S->slots[i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

/* The slot a command uses, if it is ready; else why not. */
static step sc_use_slot(script *S, const char *name, size_t *out)
{
    size_t i = sc_find_slot(S, name);
    if (i == SIZE_MAX)
        return sc_why(S, STEP_FAIL, SKIP_COUNT, "no module %s", name ? name : "defined yet");
    slot *sl = &S->slots[i];
    *out = i;
    if (sl->state == SLOT_SKIPPED)
        return sc_why(S, STEP_SKIP, SKIP_DEPENDS, "the module of line %ld was skipped", sl->line);
    if (sl->state == SLOT_FAILED) {
        /* Report the first dependent; count the rest at the end of the file. */
        if (sl->dependents_failed++ == 0)
            return sc_why(S, STEP_FAIL, SKIP_COUNT,
                          "the module of line %ld failed (later commands needing it fail "
                          "silently)",
                          sl->line);
        return sc_why(S, STEP_FAIL, SKIP_COUNT, "%s", "");
    }
    return STEP_RAN;
}

static bool sc_register(script *S, const char *as, size_t slot_index)
{
    if (S->nregs == S->capregs) {
        size_t cap = S->capregs ? S->capregs * 2 : 8;
        registration *regs = realloc(S->regs, cap * sizeof *regs);
        if (!regs)
            return false;
        S->regs = regs;
        S->capregs = cap;
    }
    char *copy = sc_strdup(as);
    if (!copy)
        return false;
    S->regs[S->nregs++] = (registration){copy, slot_index};
    return true;
}

static const registration *sc_find_registration(script *S, const char *name, size_t len)
{
    for (size_t i = S->nregs; i-- > 0;)
        if (strlen(S->regs[i].as) == len && memcmp(S->regs[i].as, name, len) == 0)
            return &S->regs[i];
    return NULL;
}

/* ---- modules -------------------------------------------------------------- */

static bool sc_read_file(const char *path, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return false;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    bool ok = !ferror(f);
    fclose(f);
    if (!ok) {
        free(buf);
        return false;
    }
    *data = buf;
    *size = len;
    return true;
}

/* Decodes and validates the command's .wasm file. */
static weft_status sc_compile(script *S, const json *c, weft_module **out, weft_error *err)
{
    const char *file = json_get_str(c, "filename");
    *out = NULL;
    if (!file)
        return weft_error_set(err, WEFT_E_BAD_ARGUMENT, "command has no filename");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", S->dir, file);
    uint8_t *bytes;
    size_t size;
    if (!sc_read_file(path, &bytes, &size))
        return weft_error_set(err, WEFT_E_IO_ERROR, "cannot read %s", path);
    weft_status s = weft_module_new(S->opt->engine, bytes, size, out, err);
    free(bytes);
    if (s != WEFT_OK)
        *out = NULL;
    return s;
}

/*
 * Finds what each import of `module` names: a spectest export or an export of
 * a registered instance.  A kind or type mismatch is left to
 * weft_instance_new; a name nobody exports is reported here, as the unlinkable
 * error "unknown import", in *status/err.
 */
static step sc_resolve(script *S, weft_module *module, weft_extern **imports_out, size_t *n_out,
                       weft_status *status, weft_error *err)
{
    uint32_t n = weft_module_import_count(module);
    weft_extern *imports = calloc(n ? n : 1, sizeof *imports);
    *imports_out = imports;
    *n_out = n;
    *status = WEFT_OK;
    if (!imports)
        return sc_why(S, STEP_FAIL, SKIP_COUNT, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        weft_import_desc d;
        weft_module_import(module, i, &d);
        bool found = false;
        if (d.module.len == 8 && memcmp(d.module.data, "spectest", 8) == 0) {
            weft_error e2;
            err_clear(&e2);
            weft_status s = spectest_lookup(S->st, d.name.data, d.name.len, &found, &imports[i],
                                            &e2);
            if (s == WEFT_UNSUPPORTED)
                return sc_why(S, STEP_SKIP, SKIP_UNSUPPORTED, "making spectest.%.*s: %s",
                              (int)d.name.len, d.name.data, e2.message);
            if (s != WEFT_OK)
                return sc_why(S, STEP_FAIL, SKIP_COUNT, "making spectest.%.*s: %s",
                              (int)d.name.len, d.name.data, e2.message);
        } else {
            const registration *r = sc_find_registration(S, d.module.data, d.module.len);
            if (r) {
                slot *sl = &S->slots[r->slot];
                if (sl->state == SLOT_SKIPPED)
                    return sc_why(S, STEP_SKIP, SKIP_DEPENDS,
                                  "imports from \"%s\", the module of line %ld, which was skipped",
                                  r->as, sl->line);
                if (sl->state == SLOT_FAILED)
                    return sc_why(S, STEP_FAIL, SKIP_COUNT,
                                  "imports from \"%s\", the module of line %ld, which failed",
                                  r->as, sl->line);
                found = weft_instance_export(sl->instance, d.name.data, d.name.len, &imports[i]);
            }
        }
        if (!found) {
            *status = weft_error_set(err, WEFT_E_UNKNOWN_IMPORT, "%.*s.%.*s",
                                     (int)d.module.len, d.module.data, (int)d.name.len,
                                     d.name.data);
            return STEP_RAN;
        }
    }
    return STEP_RAN;
}

/* Resolves the imports and instantiates; STEP_RAN leaves the outcome in
 * *status, err and *out. */
static step sc_instantiate(script *S, weft_module *module, weft_instance **out,
                           weft_status *status, weft_error *err)
{
    weft_extern *imports;
    size_t n;
    *out = NULL;
    step s = sc_resolve(S, module, &imports, &n, status, err);
    if (s == STEP_RAN && *status == WEFT_OK) {
        *status = weft_instance_new(module, imports, n, out, err);
        if (*status != WEFT_OK)
            *out = NULL;
    }
    free(imports);
    return s;
}

static void cmd_module(script *S, const json *c)
{
    size_t i = sc_new_slot(S, json_get_str(c, "name"));
    if (i == SIZE_MAX) {
        sc_fail(S, "out of memory");
        return;
    }
    S->current = i;
    weft_error err;
    char buf[400];
    err_clear(&err);
    weft_module *module;
    weft_status s = sc_compile(S, c, &module, &err);
    if (s == WEFT_UNSUPPORTED) {
        S->slots[i].state = SLOT_SKIPPED;
        sc_skip(S, SKIP_UNSUPPORTED, said(s, &err, buf, sizeof buf));
        return;
    }
    if (s != WEFT_OK) {
        sc_fail(S, "compiling: %s", said(s, &err, buf, sizeof buf));
        return;
    }
    if (S->opt->validate_only) {
        /* Compiling was the test; later commands on it are not run. */
        weft_module_free(module);
        S->slots[i].state = SLOT_SKIPPED;
        sc_pass(S);
        return;
    }
    S->slots[i].module = module;
    weft_instance *inst;
    step st = sc_instantiate(S, module, &inst, &s, &err);
    if (st != STEP_RAN) {
        if (st == STEP_SKIP)
            S->slots[i].state = SLOT_SKIPPED;
        sc_not_run(S, st);
        return;
    }
    if (s == WEFT_UNSUPPORTED) {
        S->slots[i].state = SLOT_SKIPPED;
        sc_skip(S, SKIP_UNSUPPORTED, said(s, &err, buf, sizeof buf));
        return;
    }
    if (s != WEFT_OK) {
        sc_fail(S, "instantiating: %s", said(s, &err, buf, sizeof buf));
        return;
    }
    S->slots[i].instance = inst;
    S->slots[i].state = SLOT_READY;
    sc_pass(S);
}

static void cmd_register(script *S, const json *c)
{
    const char *as = json_get_str(c, "as");
    size_t i = SIZE_MAX;
    if (!as) {
        sc_fail(S, "register without \"as\"");
        return;
    }
    step st = sc_use_slot(S, json_get_str(c, "name"), &i);
    /* Register even a module that could not be made, so that importers say
     * why they cannot run. */
    if (i != SIZE_MAX && !sc_register(S, as, i)) {
        sc_fail(S, "out of memory");
        return;
    }
    if (st == STEP_RAN)
        sc_pass(S);
    else
        sc_not_run(S, st);
}

/* ---- actions --------------------------------------------------------------- */

typedef struct action_result {
    weft_status status;
    weft_error err;
    weft_val *results;
    size_t nresults;
} action_result;

static step sc_invoke(script *S, weft_instance *inst, const json *a, const json *field,
                      action_result *r)
{
    weft_extern ext;
    if (!weft_instance_export(inst, field->str, field->len, &ext))
        return sc_why(S, STEP_FAIL, SKIP_COUNT, "no export \"%s\"", field->str);
    if (ext.kind != WEFT_EXTERN_FUNC)
        return sc_why(S, STEP_FAIL, SKIP_COUNT, "export \"%s\" is not a function", field->str);
    weft_functype type;
    weft_func_type(ext.of.func, &type);
    const json *args = json_get(a, "args");
    size_t nargs = json_len(args);
    if (nargs != type.nparams)
        return sc_why(S, STEP_FAIL, SKIP_COUNT, "\"%s\" takes %" PRIu32 " arguments, given %zu",
                      field->str, type.nparams, nargs);
    weft_val *vals = calloc(nargs + type.nresults + 1, sizeof *vals);
    if (!vals)
        return sc_why(S, STEP_FAIL, SKIP_COUNT, "out of memory");
    for (size_t k = 0; k < nargs; k++) {
        char why[200];
        if (!val_parse_arg(json_at(args, k), &vals[k], why, sizeof why)) {
            free(vals);
            return sc_why(S, STEP_FAIL, SKIP_COUNT, "argument %zu: %s", k, why);
        }
        if (vals[k].kind != type.params[k]) {
            weft_valkind given = vals[k].kind;
            free(vals);
            return sc_why(S, STEP_FAIL, SKIP_COUNT, "argument %zu is %s, \"%s\" takes %s", k,
                          weft_valkind_name(given), field->str, weft_valkind_name(type.params[k]));
        }
    }
    r->results = calloc(type.nresults + 1, sizeof *r->results);
    if (!r->results) {
        free(vals);
        return sc_why(S, STEP_FAIL, SKIP_COUNT, "out of memory");
    }
    r->nresults = type.nresults;
    r->status = weft_call(ext.of.func, vals, nargs, r->results, r->nresults, &r->err);
    free(vals);
    return STEP_RAN;
}

static step sc_get(script *S, weft_instance *inst, const json *field, action_result *r)
{
    weft_extern ext;
    if (!weft_instance_export(inst, field->str, field->len, &ext))
        return sc_why(S, STEP_FAIL, SKIP_COUNT, "no export \"%s\"", field->str);
    if (ext.kind != WEFT_EXTERN_GLOBAL)
        return sc_why(S, STEP_FAIL, SKIP_COUNT, "export \"%s\" is not a global", field->str);
    r->results = calloc(1, sizeof *r->results);
    if (!r->results)
        return sc_why(S, STEP_FAIL, SKIP_COUNT, "out of memory");
    r->nresults = 1;
    weft_global_get(ext.of.global, &r->results[0]);
    r->status = WEFT_OK;
    return STEP_RAN;
}

/* Runs the command's "action"; on STEP_RAN the caller frees r->results. */
static step sc_action(script *S, const json *c, action_result *r)
{
    memset(r, 0, sizeof *r);
    const json *a = json_get(c, "action");
    const char *type = json_get_str(a, "type");
    const json *field = json_get(a, "field");
    if (!type || !field || field->kind != JSON_STRING)
        return sc_why(S, STEP_FAIL, SKIP_COUNT, "malformed action");
    size_t i;
    step st = sc_use_slot(S, json_get_str(a, "module"), &i);
    if (st != STEP_RAN)
        return st;
    weft_instance *inst = S->slots[i].instance;
    if (strcmp(type, "invoke") == 0)
        st = sc_invoke(S, inst, a, field, r);
    else if (strcmp(type, "get") == 0)
        st = sc_get(S, inst, field, r);
    else
        st = sc_why(S, STEP_FAIL, SKIP_COUNT, "unknown action type \"%s\"", type);
    if (st != STEP_RAN) {
        free(r->results);
        r->results = NULL;
    }
    return st;
}

/* An action that ran with WEFT_UNSUPPORTED is a skip: true if so (counted). */
static bool sc_unsupported(script *S, weft_status s, const weft_error *err)
{
    if (s != WEFT_UNSUPPORTED)
        return false;
    char buf[400];
    sc_skip(S, SKIP_UNSUPPORTED, said(s, err, buf, sizeof buf));
    return true;
}

static void cmd_action(script *S, const json *c)
{
    action_result r;
    step st = sc_action(S, c, &r);
    if (st != STEP_RAN) {
        sc_not_run(S, st);
        return;
    }
    char buf[400];
    if (!sc_unsupported(S, r.status, &r.err)) {
        if (r.status == WEFT_OK)
            sc_pass(S);
        else
            sc_fail(S, "weft said %s", said(r.status, &r.err, buf, sizeof buf));
    }
    free(r.results);
}

static void sc_check_results(script *S, const json *expected, const action_result *r)
{
    size_t n = json_len(expected);
    if (n != r->nresults) {
        sc_fail(S, "%zu results, expected %zu", r->nresults, n);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        val_expect e;
        char why[200], want[300], got[300];
        if (!val_parse_expect(json_at(expected, k), &e, why, sizeof why)) {
            sc_fail(S, "expected result %zu: %s", k, why);
            return;
        }
        if (!val_matches(&e, &r->results[k])) {
            val_format_expect(&e, want, sizeof want);
            val_format(&r->results[k], e.lane_bytes, got, sizeof got);
            sc_fail(S, "result %zu: got %s, expected %s", k, got, want);
            return;
        }
    }
    sc_pass(S);
}

static void cmd_assert_return(script *S, const json *c)
{
    action_result r;
    step st = sc_action(S, c, &r);
    if (st != STEP_RAN) {
        sc_not_run(S, st);
        return;
    }
    char buf[400];
    if (!sc_unsupported(S, r.status, &r.err)) {
        if (r.status != WEFT_OK)
            sc_fail(S, "weft said %s, expected results", said(r.status, &r.err, buf, sizeof buf));
        else
            sc_check_results(S, json_get(c, "expected"), &r);
    }
    free(r.results);
}

static bool msg_starts(const weft_error *err, const char *text)
{
    return strncmp(err->message, text, strlen(text)) == 0;
}

/* Judges an outcome against the expected class and wording. */
static void sc_expect_error(script *S, weft_status got, const weft_error *err,
                            weft_status want, bool class_ok, const char *text)
{
    char buf[400];
    if (sc_unsupported(S, got, err))
        return;
    if (got == WEFT_OK)
        sc_fail(S, "weft said ok, expected %s: \"%s\"", status_name(want), text);
    else if ((got == want || class_ok) && msg_starts(err, text))
        sc_pass(S);
    else
        sc_fail(S, "weft said %s, expected %s: \"%s\"", said(got, err, buf, sizeof buf),
                status_name(want), text);
}

static void cmd_assert_trap_action(script *S, const json *c, const char *text)
{
    action_result r;
    step st = sc_action(S, c, &r);
    if (st != STEP_RAN) {
        sc_not_run(S, st);
        return;
    }
    sc_expect_error(S, r.status, &r.err, WEFT_TRAP, false, text);
    free(r.results);
}

/* MALFORMED and INVALID stand in for each other when the expected wording
 * is one weft files under the other class (the suite is not consistent). */
static bool sc_other_class_ok(weft_status got, weft_status want, const char *text)
{
    bool pair = (want == WEFT_INVALID && got == WEFT_MALFORMED) ||
                (want == WEFT_MALFORMED && got == WEFT_INVALID);
    if (!pair)
        return false;
    for (int code = 0; code < WEFT_E_COUNT_; code++) {
        const char *wording = weft_code_text((weft_code)code);
        if (weft_code_status((weft_code)code) == got && wording &&
            strncmp(text, wording, strlen(wording)) == 0)
            return true;
    }
    return false;
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

/* One message can match both expectations (the runner matches prefixes) only
 * when one text is a prefix of the other: "unknown memory" and "unknown
 * memory 0" can both be met; "type mismatch" and "invalid result arity" cannot. */
static bool texts_compatible(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return strncmp(a, b, la < lb ? la : lb) == 0;
}

/*
 * wast2json sometimes writes one binary for two assertions that expect
 * different errors (wabt 1.0.32 encodes `select (result)` as a plain select,
 * select.wast:324 vs :320): no engine can give both messages for one binary.
 * Remembers this assertion's binary and returns an earlier one with the same
 * bytes and an expected text no one message can share with this one, or NULL.
 * The caller still requires the module to be rejected.
 */
static const bad_binary *sc_twin_binary(script *S, const json *c, const char *text)
{
    const char *file = json_get_str(c, "filename");
    char path[4096];
    uint8_t *bytes;
    size_t size;
    if (!file || !text)
        return NULL;
    snprintf(path, sizeof path, "%s/%s", S->dir, file);
    if (!sc_read_file(path, &bytes, &size))
        return NULL;
    uint64_t h = fnv1a(bytes, size);
    free(bytes);
    for (size_t i = 0; i < S->nbads; i++)
        if (S->bads[i].hash == h && S->bads[i].size == size &&
            !texts_compatible(S->bads[i].text, text))
            return &S->bads[i];
    if (S->nbads == S->capbads) {
        size_t cap = S->capbads ? 2 * S->capbads : 64;
        bad_binary *b = realloc(S->bads, cap * sizeof *b);
        if (!b)
            return NULL;
        S->bads = b;
        S->capbads = cap;
    }
    bad_binary *b = &S->bads[S->nbads++];
    *b = (bad_binary){.hash = h, .size = size, .line = S->line};
    snprintf(b->text, sizeof b->text, "%s", text);
    return NULL;
}

static void cmd_assert_bad_module(script *S, const json *c, weft_status want, const char *text)
{
    const char *mt = json_get_str(c, "module_type");
    if (mt && strcmp(mt, "binary") != 0) {
        sc_skip(S, SKIP_TEXT, "text-form module");
        return;
    }
    weft_error err;
    err_clear(&err);
    weft_module *module;
    weft_status s = sc_compile(S, c, &module, &err);
    if (s == WEFT_OK)
        weft_module_free(module);
    const bad_binary *twin = sc_twin_binary(S, c, text);
    if (twin && s != WEFT_OK) {
        char why[300];
        snprintf(why, sizeof why, "the converter wrote the same bytes as for line %ld, which expects \"%s\"",
                 twin->line, twin->text);
        sc_skip(S, SKIP_AMBIGUOUS, why);
        return;
    }
    sc_expect_error(S, s, &err, want, sc_other_class_ok(s, want, text), text);
}

/* assert_unlinkable, assert_uninstantiable and assert_trap on a module. */
static void cmd_assert_instantiate(script *S, const json *c, weft_status want, const char *text)
{
    weft_error err;
    char buf[400];
    err_clear(&err);
    weft_module *module;
    weft_status s = sc_compile(S, c, &module, &err);
    if (sc_unsupported(S, s, &err))
        return;
    if (s != WEFT_OK) {
        sc_fail(S, "compiling: %s", said(s, &err, buf, sizeof buf));
        return;
    }
    weft_instance *inst;
    step st = sc_instantiate(S, module, &inst, &s, &err);
    if (st != STEP_RAN)
        sc_not_run(S, st);
    else
        sc_expect_error(S, s, &err, want, false, text);
    if (inst)
        weft_instance_free(inst);
    weft_module_free(module);
}

/* ---- the script ----------------------------------------------------------- */

static spec_cmd sc_kind(const char *type)
{
    for (int k = 0; k < SPEC_CMD_OTHER; k++)
        if (strcmp(type, spec_cmd_names[k]) == 0)
            return (spec_cmd)k;
    return SPEC_CMD_OTHER;
}

static void sc_command(script *S, const json *c)
{
    const char *type = json_get_str(c, "type");
    const char *text = json_get_str(c, "text");
    const json *line = json_get(c, "line");
    S->line = line && line->kind == JSON_NUMBER ? (long)line->number : 0;
    S->cmd = type ? type : "(no type)";
    S->kind = type ? sc_kind(type) : SPEC_CMD_OTHER;
    S->dynamic = S->kind != SPEC_CMD_ASSERT_INVALID && S->kind != SPEC_CMD_ASSERT_MALFORMED;
    if (!text)
        text = "";
    bool compile_only = S->kind == SPEC_CMD_MODULE || !S->dynamic;
    if (S->opt->validate_only && !compile_only) {
        sc_skip(S, SKIP_VALIDATE_ONLY, "--validate-only");
        return;
    }
    switch (S->kind) {
    case SPEC_CMD_MODULE: cmd_module(S, c); break;
    case SPEC_CMD_REGISTER: cmd_register(S, c); break;
    case SPEC_CMD_ACTION: cmd_action(S, c); break;
    case SPEC_CMD_ASSERT_RETURN: cmd_assert_return(S, c); break;
    case SPEC_CMD_ASSERT_TRAP:
    case SPEC_CMD_ASSERT_EXHAUSTION:
        if (json_get(c, "action"))
            cmd_assert_trap_action(S, c, text);
        else
            cmd_assert_instantiate(S, c, WEFT_TRAP, text);
        break;
    case SPEC_CMD_ASSERT_INVALID: cmd_assert_bad_module(S, c, WEFT_INVALID, text); break;
    case SPEC_CMD_ASSERT_MALFORMED: cmd_assert_bad_module(S, c, WEFT_MALFORMED, text); break;
    case SPEC_CMD_ASSERT_UNLINKABLE: cmd_assert_instantiate(S, c, WEFT_UNLINKABLE, text); break;
    case SPEC_CMD_ASSERT_UNINSTANTIABLE: cmd_assert_instantiate(S, c, WEFT_TRAP, text); break;
    default: sc_fail(S, "unknown command"); break;
    }
}

static void sc_print_summary(script *S)
{
    printf("%s: %lu passed, %lu failed, %lu skipped", S->label, S->passed, S->failed, S->skipped);
    const char *sep = " (";
    for (int k = 0; k < SKIP_COUNT; k++) {
        if (S->skips[k]) {
            printf("%s%lu %s", sep, S->skips[k], skip_names[k]);
            sep = ", ";
        }
    }
    printf("%s\n", sep[0] == ',' ? ")" : "");
}

static void sc_free(script *S)
{
    for (size_t i = S->nslots; i-- > 0;) {
        slot *sl = &S->slots[i];
        if (sl->dependents_failed > 1)
            printf("%s:%ld: %lu commands failed because this module failed\n", S->label,
                   sl->line, sl->dependents_failed);
        if (sl->instance)
            weft_instance_free(sl->instance);
    }
    for (size_t i = 0; i < S->nslots; i++) {
        if (S->slots[i].module)
            weft_module_free(S->slots[i].module);
        free(S->slots[i].name);
    }
    for (size_t i = 0; i < S->nregs; i++)
        free(S->regs[i].as);
    free(S->slots);
    free(S->regs);
    free(S->bads);
    spectest_free(S->st);
}

void script_run(const spec_options *opt, const json *doc, const char *dir, const char *label,
                spec_counts *counts)
{
    script S = {.opt = opt, .dir = dir, .label = label, .current = SIZE_MAX};
    const json *cmds = json_get(doc, "commands");
    S.cmd = "script";
    S.st = spectest_new(opt->engine);
    if (!S.st)
        sc_fail(&S, "out of memory");
    else if (!cmds || cmds->kind != JSON_ARRAY)
        sc_fail(&S, "no \"commands\" array");
    else
        for (size_t i = 0; i < cmds->count; i++)
            sc_command(&S, cmds->items[i]);
    sc_free(&S);
    sc_print_summary(&S);
    counts->passed += S.passed;
    counts->failed += S.failed;
    counts->skipped += S.skipped;
    for (int k = 0; k < SPEC_CMD_COUNT; k++)
        for (int o = 0; o < 3; o++)
            counts->by_cmd[k][o] += S.by_cmd[k][o];
}

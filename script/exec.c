/*
 * exec.c -- executes the commands of one spec script (see exec.h).
 *
 * Modules live in "slots", one per `module` command.  A slot that could not
 * be made because weft lacks a feature (WEFT_UNSUPPORTED, or a failure in a
 * command the reader marked with scr_needs) is "skipped" with that reason,
 * and so is everything that depends on it; a slot that failed for any other
 * reason is "failed", and its dependents fail with it (reported once, then
 * counted).  Every command is counted exactly once.
 */
#include "script/exec.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script/spectest.h"

const char *const scr_cmd_names[SCR_CMD_COUNT] = {
#define SCR_X_NAME(name, text) [SCR_CMD_##name] = text,
    SCR_COMMANDS(SCR_X_NAME)
#undef SCR_X_NAME
};

/* Reasons for skips that are not a missing feature. */
#define WHY_DEPENDS "need a skipped module"
#define WHY_UNSUPPORTED "unsupported by weft"
#define WHY_AMBIGUOUS "binary identical to an earlier assertion's with another expected error"
#define WHY_VALIDATE_ONLY "not run with --validate-only"

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
    weft_instance *instance; /* NULL for a definition */
    slot_state state;
    char reason[96];                 /* SLOT_SKIPPED: why (a feature) */
    char taint[96]; /* a registered instance a skipped module may have changed: its feature */
    unsigned long dependents_failed; /* commands that failed because this one did */
} slot;

typedef struct registration {
    char *as;
    size_t slot;
} registration;

/* How far a step got: it ran (look at its status), or it could not run. */
typedef enum step { STEP_RAN, STEP_SKIP, STEP_FAIL } step;

struct scr_script {
    const scr_options *opt;
    char *label;
    spectest *st;
    slot *slots;
    size_t nslots, capslots;
    registration *regs;
    size_t nregs, capregs;
    bad_binary *bads; /* binaries of earlier assert_invalid / assert_malformed */
    size_t nbads, capbads;
    size_t current; /* the latest module's slot, or SIZE_MAX */
    long line, col; /* of the command being run */
    const char *cmd;
    scr_cmd kind;
    const char *needs; /* the feature the command needs that weft lacks */
    char said[400];    /* weft's last error message in this command */
    scr_counts counts;
    bool unsupported_printed;
    /* Why the last step could not run (STEP_SKIP / STEP_FAIL). */
    char why_skip[96];
    char why[512];
};

/* ---- counts ------------------------------------------------------------------ */

bool scr_counts_reason(scr_counts *c, const char *reason, unsigned long n)
{
    for (size_t i = 0; i < c->nreasons; i++)
        if (strcmp(c->reasons[i].name, reason) == 0) {
            c->reasons[i].count += n;
            return true;
        }
    if (c->nreasons == c->capreasons) {
        size_t cap = c->capreasons ? 2 * c->capreasons : 8;
        scr_reason *r = realloc(c->reasons, cap * sizeof *r);
        if (!r)
            return false;
        c->reasons = r;
        c->capreasons = cap;
    }
    scr_reason *r = &c->reasons[c->nreasons++];
    snprintf(r->name, sizeof r->name, "%s", reason);
    r->count = n;
    return true;
}

void scr_counts_add(scr_counts *to, const scr_counts *from)
{
    to->passed += from->passed;
    to->failed += from->failed;
    to->skipped += from->skipped;
    for (int k = 0; k < SCR_CMD_COUNT; k++)
        for (int o = 0; o < 3; o++)
            to->by_cmd[k][o] += from->by_cmd[k][o];
    for (size_t i = 0; i < from->nreasons; i++)
        scr_counts_reason(to, from->reasons[i].name, from->reasons[i].count);
}

void scr_counts_free(scr_counts *c)
{
    free(c->reasons);
    c->reasons = NULL;
    c->nreasons = c->capreasons = 0;
}

static int by_count(const void *a, const void *b)
{
    const scr_reason *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->name, y->name);
}

void scr_counts_print_reasons(const scr_counts *c, const char *indent)
{
    scr_reason *sorted = malloc((c->nreasons + 1) * sizeof *sorted);
    if (!sorted)
        return;
    memcpy(sorted, c->reasons, c->nreasons * sizeof *sorted);
    qsort(sorted, c->nreasons, sizeof *sorted, by_count);
    for (size_t i = 0; i < c->nreasons; i++)
        printf("%s%7lu  %s\n", indent, sorted[i].count, sorted[i].name);
    free(sorted);
}

void scr_counts_print_kinds(const scr_counts *t)
{
    for (int k = 0; k < SCR_CMD_COUNT; k++) {
        const unsigned long *c = t->by_cmd[k];
        if (c[SCR_PASSED] + c[SCR_FAILED] + c[SCR_SKIPPED])
            printf("  %-22s %7lu passed %6lu failed %7lu skipped\n", scr_cmd_names[k],
                   c[SCR_PASSED], c[SCR_FAILED], c[SCR_SKIPPED]);
    }
}

/* ---- outcomes ---------------------------------------------------------------- */

static void where(const scr_script *S)
{
    if (S->col > 0)
        printf("%s:%ld:%ld: %s: ", S->label, S->line, S->col, S->cmd);
    else
        printf("%s:%ld: %s: ", S->label, S->line, S->cmd);
}

void scr_pass(scr_script *S)
{
    S->counts.passed++;
    S->counts.by_cmd[S->kind][SCR_PASSED]++;
}

void scr_skip(scr_script *S, const char *reason, const char *detail)
{
    S->counts.skipped++;
    S->counts.by_cmd[S->kind][SCR_SKIPPED]++;
    scr_counts_reason(&S->counts, reason, 1);
    bool first_unsupported = strcmp(reason, WHY_UNSUPPORTED) == 0 && !S->unsupported_printed;
    if (first_unsupported || S->opt->verbose) {
        where(S);
        printf("skipped: %s%s%s%s\n", reason, detail && *detail ? ": " : "",
               detail ? detail : "",
               first_unsupported ? " (and so are later commands that need it)" : "");
        if (first_unsupported)
            S->unsupported_printed = true;
    }
}

/*
 * What weft's error says about a feature it lacks, for a command the scan
 * did not mark (binary modules, 3.0 rules): the decoder and validator name
 * what they do not know.  Only a failing command is looked at, so a pass is
 * never turned into a skip; the 2.0 suites' ctests check their totals, so a
 * 2.0 failure cannot hide here either.
 */
static const struct {
    const char *said;
    const char *feature;
} feature_errors[] = {
    {"invalid: multiple memories", "multiple memories"},
    {"invalid: constant expression required (i32.add", "extended constant expressions"},
    {"invalid: constant expression required (i32.sub", "extended constant expressions"},
    {"invalid: constant expression required (i32.mul", "extended constant expressions"},
    {"invalid: constant expression required (i64.add", "extended constant expressions"},
    {"invalid: constant expression required (i64.sub", "extended constant expressions"},
    {"invalid: constant expression required (i64.mul", "extended constant expressions"},
    /* 3.0: a constant expression may read any earlier immutable global */
    {"invalid: unknown global", "garbage collection"},
    /* a table's initialiser, (ref ...) types */
    {"malformed reference type", "typed function references"},
    {"malformed: illegal opcode 0x12", "tail calls"},
    {"malformed: illegal opcode 0x13", "tail calls"},
    {"malformed: illegal opcode 0x14", "typed function references"},
    {"malformed: illegal opcode 0x15", "tail calls"},
    {"malformed: illegal opcode 0xfc 0x13", "wide arithmetic"},
    {"malformed: illegal opcode 0xfc 0x14", "wide arithmetic"},
    {"malformed: illegal opcode 0xfc 0x15", "wide arithmetic"},
    {"malformed: illegal opcode 0xfc 0x16", "wide arithmetic"},
    /* rec, sub, struct and array types */
    {"malformed function type", "garbage collection"},
    /* 3.0 reads limits and memory offsets as u64 (memory64's encoding) */
    {"malformed: integer too large", "memory64"},
    {"malformed: integer representation too long", "memory64"},
    /* 3.0: bit 6 of the alignment flags says a memory index follows */
    {"invalid: alignment must not be larger than natural", "multiple memories"},
};

static const char *error_feature(const char *said)
{
    for (size_t k = 0; k < sizeof feature_errors / sizeof feature_errors[0]; k++)
        if (strncmp(said, feature_errors[k].said, strlen(feature_errors[k].said)) == 0)
            return feature_errors[k].feature;
    return NULL;
}

/* A module that was skipped may have written to a registered instance's
 * memory, table or global (data and element segments, a start function):
 * later failures on those instances are that feature's too. */
static void sc_taint(scr_script *S, const char *reason)
{
    for (size_t r = 0; r < S->nregs; r++) {
        char *taint = S->slots[S->regs[r].slot].taint;
        if (!taint[0])
            snprintf(taint, sizeof S->slots[0].taint, "%s", reason);
    }
}

static void fail_v(scr_script *S, const char *fmt, va_list ap)
{
    if (!S->needs && S->said[0] && S->opt->error_features)
        S->needs = error_feature(S->said);
    /* A command that needs a feature weft lacks cannot pass: what it got
     * wrong is that feature's absence. */
    if (S->needs) {
        char detail[512];
        vsnprintf(detail, sizeof detail, fmt, ap);
        if (S->kind == SCR_CMD_ASSERT_TRAP || S->kind == SCR_CMD_ASSERT_UNINSTANTIABLE)
            sc_taint(S, S->needs); /* a module that was not instantiated */
        scr_skip(S, S->needs, detail);
        return;
    }
    S->counts.failed++;
    S->counts.by_cmd[S->kind][SCR_FAILED]++;
    where(S);
    printf("FAIL: ");
    vprintf(fmt, ap);
    putchar('\n');
}

void scr_fail(scr_script *S, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(S, fmt, ap);
    va_end(ap);
}

/* Records why a step could not run. */
static step sc_why(scr_script *S, step s, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static step sc_why(scr_script *S, step s, const char *reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(S->why, sizeof S->why, fmt, ap);
    va_end(ap);
    snprintf(S->why_skip, sizeof S->why_skip, "%s", reason ? reason : "");
    return s;
}

/* Counts a step that did not run. */
static void sc_not_run(scr_script *S, step s)
{
    if (s == STEP_SKIP)
        scr_skip(S, S->why_skip, S->why);
    else if (S->why[0])
        scr_fail(S, "%s", S->why);
    else if (S->needs)
        scr_skip(S, S->needs, NULL);
    else {
        S->counts.failed++; /* a dependent of a failed module, already reported */
        S->counts.by_cmd[S->kind][SCR_FAILED]++;
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

/* Like said(), and remembers it as the command's last error (error_feature). */
static const char *sc_said(scr_script *S, weft_status s, const weft_error *err, char *buf,
                           size_t size)
{
    said(s, err, buf, size);
    if (s != WEFT_OK)
        snprintf(S->said, sizeof S->said, "%s", buf);
    return buf;
}

/* A status of WEFT_UNSUPPORTED is a skip: true if so (counted). */
static bool sc_unsupported(scr_script *S, weft_status s, const weft_error *err)
{
    if (s != WEFT_UNSUPPORTED)
        return false;
    char buf[400];
    scr_skip(S, S->needs ? S->needs : WHY_UNSUPPORTED, said(s, err, buf, sizeof buf));
    return true;
}

/* ---- slots ------------------------------------------------------------------- */

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

static size_t sc_new_slot(scr_script *S, const char *name)
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

static size_t sc_find_slot(scr_script *S, const char *name)
{
    if (!name)
        return S->current;
    for (size_t i = S->nslots; i-- > 0;)
        if (S->slots[i].name && strcmp(S->slots[i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

/* Marks a slot skipped for `reason` and counts the command. */
static void sc_slot_skip(scr_script *S, size_t i, const char *reason, const char *detail)
{
    if (strcmp(reason, WHY_DEPENDS) != 0)
        sc_taint(S, reason);
    S->slots[i].state = SLOT_SKIPPED;
    snprintf(S->slots[i].reason, sizeof S->slots[i].reason, "%s", reason);
    scr_skip(S, reason, detail);
}

/* A module weft could not make because it lacks a feature (unsupported,
 * the scan's feature, or one its error names): true if so, and the slot is
 * skipped with it (counted). */
static bool sc_slot_lacks(scr_script *S, size_t i, weft_status s, const weft_error *err)
{
    char buf[400];
    said(s, err, buf, sizeof buf);
    const char *f = S->needs ? S->needs : S->opt->error_features ? error_feature(buf) : NULL;
    if (!f && s == WEFT_UNSUPPORTED)
        f = WHY_UNSUPPORTED;
    if (f)
        sc_slot_skip(S, i, f, buf);
    return f != NULL;
}

/* The slot a command uses, if it is ready; else why not. */
static step sc_use_slot(scr_script *S, const char *name, size_t *out)
{
    size_t i = sc_find_slot(S, name);
    if (i == SIZE_MAX)
        return sc_why(S, STEP_FAIL, NULL, "no module %s", name ? name : "defined yet");
    slot *sl = &S->slots[i];
    *out = i;
    if (sl->state == SLOT_SKIPPED)
        return sc_why(S, STEP_SKIP, sl->reason, "the module of line %ld was skipped", sl->line);
    if (sl->state == SLOT_FAILED) {
        /* Report the first dependent; count the rest at the end of the file. */
        if (sl->dependents_failed++ == 0)
            return sc_why(S, STEP_FAIL, NULL,
                          "the module of line %ld failed (later commands needing it fail "
                          "silently)",
                          sl->line);
        return sc_why(S, STEP_FAIL, NULL, "%s", "");
    }
    return STEP_RAN;
}

static bool sc_add_registration(scr_script *S, const char *as, size_t slot_index)
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

static const registration *sc_find_registration(scr_script *S, const char *name, size_t len)
{
    for (size_t i = S->nregs; i-- > 0;)
        if (strlen(S->regs[i].as) == len && memcmp(S->regs[i].as, name, len) == 0)
            return &S->regs[i];
    return NULL;
}

/* ---- modules ----------------------------------------------------------------- */

/*
 * Finds what each import of `module` names: a spectest export or an export of
 * a registered instance.  A kind or type mismatch is left to
 * weft_instance_new; a name nobody exports is reported here, as the unlinkable
 * error "unknown import", in *status/err.
 */
static step sc_resolve(scr_script *S, weft_module *module, weft_extern **imports_out,
                       size_t *n_out, weft_status *status, weft_error *err)
{
    uint32_t n = weft_module_import_count(module);
    weft_extern *imports = calloc(n ? n : 1, sizeof *imports);
    *imports_out = imports;
    *n_out = n;
    *status = WEFT_OK;
    if (!imports)
        return sc_why(S, STEP_FAIL, NULL, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        weft_import_desc d;
        weft_module_import(module, i, &d);
        bool found = false;
        if (d.module.len == 8 && memcmp(d.module.data, "spectest", 8) == 0) {
            weft_error e2;
            memset(&e2, 0, sizeof e2);
            weft_status s =
                spectest_lookup(S->st, d.name.data, d.name.len, &found, &imports[i], &e2);
            if (s == WEFT_UNSUPPORTED)
                return sc_why(S, STEP_SKIP, S->needs ? S->needs : WHY_UNSUPPORTED,
                              "making spectest.%.*s: %s", (int)d.name.len, d.name.data,
                              e2.message);
            if (s != WEFT_OK)
                return sc_why(S, STEP_FAIL, NULL, "making spectest.%.*s: %s", (int)d.name.len,
                              d.name.data, e2.message);
        } else {
            const registration *r = sc_find_registration(S, d.module.data, d.module.len);
            if (r) {
                slot *sl = &S->slots[r->slot];
                if (sl->state == SLOT_SKIPPED)
                    return sc_why(S, STEP_SKIP, sl->reason,
                                  "imports from \"%s\", the module of line %ld, which was skipped",
                                  r->as, sl->line);
                if (sl->state == SLOT_FAILED || !sl->instance)
                    return sc_why(S, STEP_FAIL, NULL,
                                  "imports from \"%s\", the module of line %ld, which failed",
                                  r->as, sl->line);
                found = weft_instance_export(sl->instance, d.name.data, d.name.len, &imports[i]);
            }
        }
        if (!found) {
            *status = weft_error_set(err, WEFT_E_UNKNOWN_IMPORT, "%.*s.%.*s", (int)d.module.len,
                                     d.module.data, (int)d.name.len, d.name.data);
            return STEP_RAN;
        }
    }
    return STEP_RAN;
}

/* Resolves the imports and instantiates; STEP_RAN leaves the outcome in
 * *status, err and *out. */
static step sc_instantiate(scr_script *S, weft_module *module, weft_instance **out,
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

/* Instantiates slot i's module into slot i; counts the command. */
static void sc_instantiate_slot(scr_script *S, size_t i)
{
    weft_error err;
    char buf[400];
    memset(&err, 0, sizeof err);
    weft_status s;
    weft_instance *inst;
    step st = sc_instantiate(S, S->slots[i].module, &inst, &s, &err);
    if (st != STEP_RAN) {
        if (st == STEP_SKIP)
            sc_slot_skip(S, i, S->why_skip, S->why);
        else
            sc_not_run(S, st);
        return;
    }
    if (s != WEFT_OK && sc_slot_lacks(S, i, s, &err))
        return;
    if (s != WEFT_OK) {
        scr_fail(S, "instantiating: %s", sc_said(S, s, &err, buf, sizeof buf));
        return;
    }
    S->slots[i].instance = inst;
    S->slots[i].state = SLOT_READY;
    scr_pass(S);
}

void scr_module(scr_script *S, const char *name, const uint8_t *bytes, size_t len,
                bool definition)
{
    size_t i = sc_new_slot(S, name);
    if (i == SIZE_MAX) {
        scr_fail(S, "out of memory");
        return;
    }
    S->current = i;
    weft_error err;
    char buf[400];
    memset(&err, 0, sizeof err);
    weft_module *module;
    weft_status s = weft_module_new(S->opt->engine, bytes, len, &module, &err);
    if (s != WEFT_OK && sc_slot_lacks(S, i, s, &err))
        return;
    if (s != WEFT_OK) {
        scr_fail(S, "compiling: %s", sc_said(S, s, &err, buf, sizeof buf));
        return;
    }
    S->slots[i].module = module;
    if (S->opt->validate_only || definition) {
        /* Compiling was the test; a definition is instantiated later. */
        S->slots[i].state = definition ? SLOT_READY : SLOT_SKIPPED;
        snprintf(S->slots[i].reason, sizeof S->slots[i].reason, "%s", WHY_VALIDATE_ONLY);
        scr_pass(S);
        return;
    }
    sc_instantiate_slot(S, i);
}

void scr_module_unreadable(scr_script *S, const char *name, const char *why)
{
    size_t i = sc_new_slot(S, name);
    if (i == SIZE_MAX) {
        scr_fail(S, "out of memory");
        return;
    }
    S->current = i;
    if (S->needs)
        sc_slot_skip(S, i, S->needs, why);
    else
        scr_fail(S, "%s", why);
}

void scr_instance(scr_script *S, const char *name, const char *def)
{
    size_t d;
    step st = sc_use_slot(S, def, &d);
    size_t i = sc_new_slot(S, name);
    if (i == SIZE_MAX) {
        scr_fail(S, "out of memory");
        return;
    }
    S->current = i;
    if (st != STEP_RAN) {
        if (st == STEP_SKIP) {
            S->slots[i].state = SLOT_SKIPPED;
            snprintf(S->slots[i].reason, sizeof S->slots[i].reason, "%s", S->why_skip);
        }
        sc_not_run(S, st);
        return;
    }
    if (!S->slots[d].module) {
        scr_fail(S, "the module of line %ld has no definition to instantiate", S->slots[d].line);
        return;
    }
    /* The slot shares the definition's module; only the first owns it. */
    S->slots[i].module = S->slots[d].module;
    sc_instantiate_slot(S, i);
}

void scr_register(scr_script *S, const char *as, const char *name)
{
    size_t i = SIZE_MAX;
    step st = sc_use_slot(S, name, &i);
    /* Register even a module that could not be made, so that importers say
     * why they cannot run. */
    if (i != SIZE_MAX && !sc_add_registration(S, as, i)) {
        scr_fail(S, "out of memory");
        return;
    }
    if (st == STEP_RAN && !S->slots[i].instance)
        scr_fail(S, "the module of line %ld is a definition, not an instance", S->slots[i].line);
    else if (st == STEP_RAN)
        scr_pass(S);
    else
        sc_not_run(S, st);
}

/* ---- actions ----------------------------------------------------------------- */

typedef struct action_result {
    weft_status status;
    weft_error err;
    weft_val *results;
    size_t nresults;
} action_result;

static step sc_invoke(scr_script *S, weft_instance *inst, const scr_action *a, action_result *r)
{
    weft_extern ext;
    int fl = (int)a->field_len;
    if (!weft_instance_export(inst, a->field, a->field_len, &ext))
        return sc_why(S, STEP_FAIL, NULL, "no export \"%.*s\"", fl, a->field);
    if (ext.kind != WEFT_EXTERN_FUNC)
        return sc_why(S, STEP_FAIL, NULL, "export \"%.*s\" is not a function", fl, a->field);
    weft_functype type;
    weft_func_type(ext.of.func, &type);
    if (a->nargs != type.nparams)
        return sc_why(S, STEP_FAIL, NULL, "\"%.*s\" takes %" PRIu32 " arguments, given %zu", fl,
                      a->field, type.nparams, a->nargs);
    for (size_t k = 0; k < a->nargs; k++)
        if (a->args[k].kind != type.params[k])
            return sc_why(S, STEP_FAIL, NULL, "argument %zu is %s, \"%.*s\" takes %s", k,
                          weft_valkind_name(a->args[k].kind), fl, a->field,
                          weft_valkind_name(type.params[k]));
    r->results = calloc(type.nresults + 1, sizeof *r->results);
    if (!r->results)
        return sc_why(S, STEP_FAIL, NULL, "out of memory");
    r->nresults = type.nresults;
    r->status = weft_call(ext.of.func, a->args, a->nargs, r->results, r->nresults, &r->err);
    return STEP_RAN;
}

static step sc_get(scr_script *S, weft_instance *inst, const scr_action *a, action_result *r)
{
    weft_extern ext;
    int fl = (int)a->field_len;
    if (!weft_instance_export(inst, a->field, a->field_len, &ext))
        return sc_why(S, STEP_FAIL, NULL, "no export \"%.*s\"", fl, a->field);
    if (ext.kind != WEFT_EXTERN_GLOBAL)
        return sc_why(S, STEP_FAIL, NULL, "export \"%.*s\" is not a global", fl, a->field);
    r->results = calloc(1, sizeof *r->results);
    if (!r->results)
        return sc_why(S, STEP_FAIL, NULL, "out of memory");
    r->nresults = 1;
    weft_global_get(ext.of.global, &r->results[0]);
    r->status = WEFT_OK;
    return STEP_RAN;
}

/* Runs the action; on STEP_RAN the caller frees r->results. */
static step sc_action(scr_script *S, const scr_action *a, action_result *r)
{
    memset(r, 0, sizeof *r);
    size_t i;
    step st = sc_use_slot(S, a->module, &i);
    if (st != STEP_RAN)
        return st;
    weft_instance *inst = S->slots[i].instance;
    if (!S->needs && S->slots[i].taint[0])
        S->needs = S->slots[i].taint;
    if (!inst)
        st = sc_why(S, STEP_FAIL, NULL, "the module of line %ld is a definition, not an instance",
                    S->slots[i].line);
    else
        st = a->get ? sc_get(S, inst, a, r) : sc_invoke(S, inst, a, r);
    if (st != STEP_RAN) {
        free(r->results);
        r->results = NULL;
    }
    return st;
}

void scr_do_action(scr_script *S, const scr_action *a)
{
    action_result r;
    step st = sc_action(S, a, &r);
    if (st != STEP_RAN) {
        sc_not_run(S, st);
        return;
    }
    char buf[400];
    if (!sc_unsupported(S, r.status, &r.err)) {
        if (r.status == WEFT_OK)
            scr_pass(S);
        else
            scr_fail(S, "weft said %s", sc_said(S, r.status, &r.err, buf, sizeof buf));
    }
    free(r.results);
}

/* True if the results match one list; else writes what is wrong into why. */
static bool sc_results_match(const scr_results *e, const action_result *r, char *why,
                             size_t size)
{
    if (e->n != r->nresults) {
        snprintf(why, size, "%zu results, expected %zu", r->nresults, e->n);
        return false;
    }
    for (size_t k = 0; k < e->n; k++) {
        if (!val_matches(&e->vals[k], &r->results[k])) {
            char want[300], got[300];
            val_format_expect(&e->vals[k], want, sizeof want);
            val_format(&r->results[k], e->vals[k].lane_bytes, got, sizeof got);
            snprintf(why, size, "result %zu: got %s, expected %s", k, got, want);
            return false;
        }
    }
    return true;
}

void scr_assert_return(scr_script *S, const scr_action *a, const scr_results *alts,
                       size_t nalts)
{
    action_result r;
    step st = sc_action(S, a, &r);
    if (st != STEP_RAN) {
        sc_not_run(S, st);
        return;
    }
    char buf[400];
    if (!sc_unsupported(S, r.status, &r.err)) {
        if (r.status != WEFT_OK) {
            scr_fail(S, "weft said %s, expected results", sc_said(S, r.status, &r.err, buf, sizeof buf));
        } else {
            char why[700] = "";
            bool ok = false;
            for (size_t k = 0; k < nalts && !ok; k++)
                ok = sc_results_match(&alts[k], &r, why, sizeof why);
            if (ok)
                scr_pass(S);
            else
                scr_fail(S, "%s%s", why, nalts > 1 ? " (and none of the other alternatives)" : "");
        }
    }
    free(r.results);
}

/* Wordings that differ between the 2.0 and 3.0 suites for one error:
 * weft gives the first, a script may expect the second. */
static const char *const wording_aliases[][2] = {
    {"global is immutable", "immutable global"},
};

static bool msg_starts(const weft_error *err, const char *text)
{
    if (strncmp(err->message, text, strlen(text)) == 0)
        return true;
    for (size_t k = 0; k < sizeof wording_aliases / sizeof wording_aliases[0]; k++)
        if (strncmp(err->message, wording_aliases[k][0], strlen(wording_aliases[k][0])) == 0 &&
            strncmp(text, wording_aliases[k][1], strlen(wording_aliases[k][1])) == 0)
            return true;
    /* "illegal opcode 0xff" (weft) is the 3.0 suite's "illegal opcode ff" */
    char plain[sizeof err->message];
    size_t n = 0;
    for (const char *p = err->message; *p && n + 1 < sizeof plain; p++) {
        if (p[0] == '0' && p[1] == 'x' && p > err->message && p[-1] == ' ')
            p++;
        else
            plain[n++] = *p;
    }
    plain[n] = 0;
    return strncmp(plain, text, strlen(text)) == 0;
}

/* Judges an outcome against the expected class and wording. */
static void sc_expect_error(scr_script *S, weft_status got, const weft_error *err,
                            weft_status want, bool class_ok, const char *text)
{
    char buf[400];
    if (sc_unsupported(S, got, err))
        return;
    if (got == WEFT_OK)
        scr_fail(S, "weft said ok, expected %s: \"%s\"", status_name(want), text);
    else if ((got == want || class_ok) && msg_starts(err, text))
        scr_pass(S);
    else
        scr_fail(S, "weft said %s, expected %s: \"%s\"", sc_said(S, got, err, buf, sizeof buf),
                 status_name(want), text);
}

void scr_assert_trap(scr_script *S, const scr_action *a, const char *text)
{
    action_result r;
    step st = sc_action(S, a, &r);
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
 * wabt's wast2json sometimes writes one binary for two assertions that
 * expect different errors (wabt 1.0.32 encodes `select (result)` as a plain
 * select, select.wast:324 vs :320), and the text reader writes what wabt
 * writes: no engine can give both messages for one binary.  Remembers this
 * assertion's binary and returns an earlier one with the same bytes and an
 * expected text no one message can share with this one, or NULL.  The
 * caller still requires the module to be rejected.
 */
static const bad_binary *sc_twin_binary(scr_script *S, const uint8_t *bytes, size_t size,
                                        const char *text)
{
    uint64_t h = fnv1a(bytes, size);
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

void scr_assert_bad_module(scr_script *S, const uint8_t *bytes, size_t len, weft_status want,
                           const char *text)
{
    weft_error err;
    memset(&err, 0, sizeof err);
    weft_module *module;
    weft_status s = weft_module_new(S->opt->engine, bytes, len, &module, &err);
    if (s == WEFT_OK)
        weft_module_free(module);
    const bad_binary *twin = sc_twin_binary(S, bytes, len, text);
    if (twin && s != WEFT_OK) {
        char why[300];
        snprintf(why, sizeof why,
                 "the converter wrote the same bytes as for line %ld, which expects \"%s\"",
                 twin->line, twin->text);
        scr_skip(S, WHY_AMBIGUOUS, why);
        return;
    }
    sc_expect_error(S, s, &err, want, sc_other_class_ok(s, want, text), text);
}

void scr_assert_instantiate(scr_script *S, const uint8_t *bytes, size_t len, weft_status want,
                            const char *text)
{
    weft_error err;
    char buf[400];
    memset(&err, 0, sizeof err);
    weft_module *module;
    weft_status s = weft_module_new(S->opt->engine, bytes, len, &module, &err);
    if (sc_unsupported(S, s, &err))
        return;
    if (s != WEFT_OK) {
        scr_fail(S, "compiling: %s", sc_said(S, s, &err, buf, sizeof buf));
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

/* ---- the script ---------------------------------------------------------------- */

scr_script *scr_begin(const scr_options *opt, const char *label)
{
    scr_script *S = calloc(1, sizeof *S);
    if (!S)
        return NULL;
    S->opt = opt;
    S->current = SIZE_MAX;
    S->cmd = "script";
    S->label = sc_strdup(label);
    S->st = spectest_new(opt->engine);
    if (!S->label || !S->st) {
        spectest_free(S->st);
        free(S->label);
        free(S);
        return NULL;
    }
    return S;
}

void scr_command(scr_script *S, scr_cmd kind, const char *name, long line, long col)
{
    S->kind = kind;
    S->cmd = name ? name : scr_cmd_names[kind];
    S->line = line;
    S->col = col;
    S->needs = NULL;
    S->said[0] = 0;
    S->why[0] = 0;
    S->why_skip[0] = 0;
}

void scr_needs(scr_script *S, const char *feature)
{
    S->needs = feature;
}

static void sc_print_summary(scr_script *S)
{
    printf("%s: %lu passed, %lu failed, %lu skipped", S->label, S->counts.passed,
           S->counts.failed, S->counts.skipped);
    for (size_t k = 0; k < S->counts.nreasons; k++)
        printf("%s%lu %s", k ? ", " : " (", S->counts.reasons[k].count, S->counts.reasons[k].name);
    printf("%s\n", S->counts.nreasons ? ")" : "");
}

void scr_end(scr_script *S, scr_counts *total)
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
        /* An instance slot shares its definition's module. */
        bool shared = false;
        for (size_t j = 0; j < i && !shared; j++)
            shared = S->slots[j].module == S->slots[i].module;
        if (S->slots[i].module && !shared)
            weft_module_free(S->slots[i].module);
        free(S->slots[i].name);
    }
    for (size_t i = 0; i < S->nregs; i++)
        free(S->regs[i].as);
    sc_print_summary(S);
    scr_counts_add(total, &S->counts);
    scr_counts_free(&S->counts);
    free(S->slots);
    free(S->regs);
    free(S->bads);
    spectest_free(S->st);
    free(S->label);
    free(S);
}

char *scr_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (!n)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[len] = 0;
    *size = len;
    return buf;
}

/*
 * wast.c -- `weft wast [OPTIONS] FILE.wast...`: runs spec scripts with the
 * engine itself (script/wast.h), one engine for all files.  Prints per file
 * `FILE: N passed, M failed, K skipped (reasons)`, each failure with its
 * line:column, and the totals; exit status 0 only if nothing failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "script/wast.h"

static int usage(const char *why, const char *what)
{
    fprintf(stderr, "weft: wast: %s%s (see weft --help)\n", why, what ? what : "");
    return CLI_EXIT_USAGE;
}

/* `--opt=VALUE` or `--opt VALUE`: the value, or NULL if argv[*i] is not opt. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt, bool *missing)
{
    size_t n = strlen(opt);
    const char *a = argv[*i];
    if (strncmp(a, opt, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != 0)
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

int cli_wast(int argc, char **argv)
{
    weft_config config;
    weft_config_init(&config);
    scr_options so = {.error_features = true};
    bool stats = false;
    scr_known *known = NULL;
    int i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i], *v;
        bool missing = false;
        if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (!strcmp(a, "--verbose")) {
            so.verbose = true;
        } else if (!strcmp(a, "--stats")) {
            stats = true;
        } else if ((v = opt_value(argc, argv, &i, "--bounds-checks", &missing))) {
            if (!strcmp(v, "software"))
                config.bounds = WEFT_BOUNDS_SOFTWARE;
            else if (!strcmp(v, "guard"))
                config.bounds = WEFT_BOUNDS_GUARD;
            else
                return free(known), usage("--bounds-checks takes software or guard, not ", v);
        } else if ((v = opt_value(argc, argv, &i, "--tier", &missing))) {
            if (!strcmp(v, "interp"))
                config.tier = WEFT_TIER_INTERP;
            else if (!strcmp(v, "jit"))
                config.tier = WEFT_TIER_JIT;
            else if (!strcmp(v, "auto"))
                config.tier = WEFT_TIER_AUTO;
            else
                return free(known), usage("--tier takes interp, jit or auto, not ", v);
        } else if ((v = opt_value(argc, argv, &i, "--features", &missing))) {
            /* The 2.0 files predate the threads proposal (a shared limits
             * flag is malformed there); the threads proposal's own files
             * predate 2.0's multiple tables. */
            if (!strcmp(v, "2.0"))
                config.features = WEFT_FEATURE_MULTI_TABLE;
            else if (!strcmp(v, "threads"))
                config.features = WEFT_FEATURE_THREADS;
            else if (!strcmp(v, "default"))
                config.features = WEFT_FEATURES_DEFAULT;
            else
                return free(known), usage("--features takes 2.0, threads or default, not ", v);
        } else if ((v = opt_value(argc, argv, &i, "--known-features", &missing))) {
            free(known);
            if (!scr_wast_known_load(v, &known, &so.nknown))
                return CLI_EXIT_ERROR; /* it frees what it read */
            so.known = known;
        } else if (missing) {
            return free(known), usage("missing value of ", a);
        } else {
            return free(known), usage("unknown option ", a);
        }
    }
    if (i >= argc)
        return free(known), usage("no FILE.wast given", NULL);
    weft_engine *engine;
    weft_error err;
    memset(&err, 0, sizeof err);
    if (weft_engine_new(&config, &engine, &err) != WEFT_OK) {
        fprintf(stderr, "weft: %s\n", err.message);
        free(known);
        return CLI_EXIT_ERROR;
    }
    so.engine = engine;
    scr_counts total = {0};
    for (; i < argc; i++) {
        scr_wast_run(&so, argv[i], argv[i], &total);
        fflush(stdout);
    }
    uint64_t compiled, interpreted;
    weft_engine_tier_stats(engine, &compiled, &interpreted);
    weft_engine_free(engine);
    if (stats) {
        scr_counts_print_kinds(&total);
        printf("tier %s: %llu functions compiled, %llu interpreted\n",
               config.tier == WEFT_TIER_JIT ? "jit" : "interp", (unsigned long long)compiled,
               (unsigned long long)interpreted);
    }
    printf("total: %lu passed, %lu failed, %lu skipped\n", total.passed, total.failed,
           total.skipped);
    if (total.nreasons) {
        printf("skipped, by reason:\n");
        scr_counts_print_reasons(&total, "  ");
    }
    int rc = total.failed ? CLI_EXIT_ERROR : CLI_EXIT_OK;
    scr_counts_free(&total);
    free(known);
    return rc;
}

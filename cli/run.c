/*
 * run.c -- `weft run`: instantiate a module and call `_start` or the export
 * named by --invoke with arguments from the command line.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct run_opts {
    const char *invoke; /* NULL: _start */
    const char *file;
    weft_bounds_mode bounds;
    int nargs;
    char **args;
} run_opts;

static int parse_opts(int argc, char **argv, run_opts *o)
{
    memset(o, 0, sizeof *o);
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (!strcmp(a, "--invoke") && i + 1 < argc) {
            o->invoke = argv[++i];
        } else if (!strncmp(a, "--invoke=", 9)) {
            o->invoke = a + 9;
        } else if (!strcmp(a, "--bounds-checks=software")) {
            o->bounds = WEFT_BOUNDS_SOFTWARE;
        } else if (!strcmp(a, "--bounds-checks=guard")) {
            o->bounds = WEFT_BOUNDS_GUARD;
        } else {
            fprintf(stderr, "weft: unknown option %s (see weft --help)\n", a);
            return -1;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "weft: run needs a FILE.wasm (see weft --help)\n");
        return -1;
    }
    o->file = argv[i++];
    o->nargs = argc - i;
    o->args = argv + i;
    return 0;
}

static int report(const char *what, const weft_error *err)
{
    if (err->status == WEFT_EXIT)
        return err->exit_code;
    if (err->status == WEFT_TRAP) {
        char msg[4096];
        weft_error_format(err, msg, sizeof msg);
        fprintf(stderr, "weft: trap: %s\n", msg);
        return CLI_EXIT_TRAP;
    }
    if (what)
        fprintf(stderr, "weft: %s: %s\n", what, err->message);
    else
        fprintf(stderr, "weft: %s\n", err->message);
    return CLI_EXIT_ERROR;
}

/* Calls `func` with the command line's arguments and prints its results. */
static int call(weft_func *func, const run_opts *o, bool program_args)
{
    weft_functype type;
    weft_func_type(func, &type);
    const char *name = o->invoke ? o->invoke : "_start";
    uint32_t nargs = program_args ? 0 : (uint32_t)o->nargs;
    if (nargs != type.nparams) {
        fprintf(stderr, "weft: %s takes %u arguments, %u given\n", name, type.nparams, nargs);
        return CLI_EXIT_ERROR;
    }
    weft_val *vals = calloc((size_t)type.nparams + type.nresults + 1, sizeof *vals);
    if (!vals) {
        fprintf(stderr, "weft: out of memory\n");
        return CLI_EXIT_ERROR;
    }
    weft_val *results = vals + type.nparams;
    int rc = CLI_EXIT_OK;
    for (uint32_t i = 0; i < type.nparams; i++) {
        if (!cli_parse_val(o->args[i], type.params[i], &vals[i])) {
            fprintf(stderr, "weft: argument %u of %s: '%s' is not of type %s\n", i + 1, name,
                    o->args[i], weft_valkind_name(type.params[i]));
            rc = CLI_EXIT_ERROR;
            goto done;
        }
    }
    weft_error err;
    if (weft_call(func, vals, type.nparams, results, type.nresults, &err) != WEFT_OK) {
        rc = report(NULL, &err);
        goto done;
    }
    for (uint32_t i = 0; i < type.nresults; i++)
        cli_print_val(stdout, &results[i]);
done:
    free(vals);
    return rc;
}

int cli_run(int argc, char **argv)
{
    run_opts o;
    if (parse_opts(argc, argv, &o))
        return CLI_EXIT_USAGE;
    uint8_t *bytes = NULL;
    size_t size;
    if (cli_read_file(o.file, &bytes, &size))
        return CLI_EXIT_ERROR;

    int rc = CLI_EXIT_ERROR;
    weft_engine *engine = NULL;
    weft_module *module = NULL;
    weft_instance *inst = NULL;
    weft_error err;
    weft_config config;
    weft_config_init(&config);
    config.bounds = o.bounds;
    if (weft_engine_new(&config, &engine, &err)) {
        rc = report(NULL, &err);
        goto done;
    }
    if (weft_module_new(engine, bytes, size, &module, &err)) {
        char msg[1024];
        weft_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "weft: %s: %s\n", o.file, msg);
        goto done;
    }
    /* No host imports yet: an import names itself in "unknown import M.N". */
    if (weft_instance_new(module, NULL, 0, &inst, &err)) {
        rc = report(NULL, &err);
        goto done;
    }
    const char *name = o.invoke ? o.invoke : "_start";
    weft_extern ext;
    if (!weft_instance_export(inst, name, strlen(name), &ext) || ext.kind != WEFT_EXTERN_FUNC) {
        fprintf(stderr, "weft: %s has no exported function %s\n", o.file, name);
        goto done;
    }
    /* Without --invoke the arguments after FILE belong to the program (WASI
     * argv), not to _start. */
    rc = call(ext.of.func, &o, o.invoke == NULL);
done:
    weft_instance_free(inst);
    weft_module_free(module);
    weft_engine_free(engine);
    free(bytes);
    return rc;
}

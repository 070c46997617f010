/*
 * run.c -- `weft run`: runs a module as a WASI program (weft_program_*): its
 * `_start`, or the export named by --invoke with typed arguments from the
 * command line, with preopened directories, environment, thread limit and
 * memory.grow failure injection from the options.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

extern char **environ;

typedef struct run_opts {
    const char *invoke; /* NULL: _start */
    const char *file;
    weft_bounds_mode bounds;
    bool tier_set;      /* --tier given (else weft_config_init's: WEFT_TIER or auto) */
    weft_tier tier;
    bool perf_map;
    weft_grow_fail grow_fail;
    uint32_t max_threads;
    bool env_inherit;
    int nargs;
    char **args;
    weft_preopen *dirs;
    size_t ndirs;
    const char **envs; /* --env values, in order */
    size_t nenvs;
} run_opts;

/* The value of option `name` at argv[*i]: "--name=VALUE" or "--name VALUE". */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n))
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] == 0 && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

/* --dir HOST[::GUEST]: the guest sees HOST under GUEST (default: HOST). */
static int add_dir(run_opts *o, const char *spec)
{
    weft_preopen *d = realloc(o->dirs, (o->ndirs + 1) * sizeof *d);
    if (!d)
        return -1;
    o->dirs = d;
    const char *sep = strstr(spec, "::");
    char *host = sep ? strndup(spec, (size_t)(sep - spec)) : strdup(spec);
    if (!host)
        return -1;
    d[o->ndirs].host_path = host;
    d[o->ndirs].guest_path = sep ? sep + 2 : host;
    o->ndirs++;
    return 0;
}

static int add_env(run_opts *o, const char *kv)
{
    if (!strchr(kv, '=')) {
        fprintf(stderr, "weft: --env %s: expected NAME=VALUE\n", kv);
        return -1;
    }
    const char **e = realloc(o->envs, (o->nenvs + 1) * sizeof *e);
    if (!e)
        return -1;
    o->envs = e;
    e[o->nenvs++] = kv;
    return 0;
}

static int parse_opts(int argc, char **argv, run_opts *o)
{
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--")) {
            i++;
            break;
        } else if ((v = opt_value(argc, argv, &i, "--invoke"))) {
            o->invoke = v;
        } else if ((v = opt_value(argc, argv, &i, "--dir"))) {
            if (add_dir(o, v))
                return -1;
        } else if ((v = opt_value(argc, argv, &i, "--env"))) {
            if (add_env(o, v))
                return -1;
        } else if (!strcmp(a, "--env-inherit")) {
            o->env_inherit = true;
        } else if ((v = opt_value(argc, argv, &i, "--max-threads"))) {
            char *end;
            unsigned long n = strtoul(v, &end, 10);
            if (!*v || *end || n > UINT32_MAX) {
                fprintf(stderr, "weft: --max-threads %s: expected a number\n", v);
                return -1;
            }
            o->max_threads = (uint32_t)n;
        } else if ((v = opt_value(argc, argv, &i, "--grow-fail"))) {
            const char *why = cli_parse_grow_fail(v, &o->grow_fail);
            if (why) {
                fprintf(stderr, "weft: --grow-fail=%s: %s\n", v, why);
                return -1;
            }
        } else if ((v = opt_value(argc, argv, &i, "--tier"))) {
            static const char *const names[] = {"auto", "interp", "jit"};
            size_t k = 0;
            while (k < 3 && strcmp(v, names[k]))
                k++;
            if (k == 3) {
                fprintf(stderr, "weft: --tier=%s: expected interp, jit or auto\n", v);
                return -1;
            }
            o->tier_set = true;
            o->tier = (weft_tier)k;
        } else if (!strcmp(a, "--perf-map")) {
            o->perf_map = true;
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

static void free_opts(run_opts *o)
{
    for (size_t i = 0; i < o->ndirs; i++)
        free((char *)o->dirs[i].host_path);
    free(o->dirs);
    free(o->envs);
}

/* The exit status for a failed run; prints what happened. */
static int report(const char *what, const weft_error *err)
{
    if (err->status == WEFT_EXIT)
        return err->exit_code & 0xff;
    char msg[4096];
    weft_error_format(err, msg, sizeof msg);
    if (err->status == WEFT_TRAP) {
        fprintf(stderr, "weft: trap: %s\n", msg);
        return CLI_EXIT_TRAP;
    }
    if (what)
        fprintf(stderr, "weft: %s: %s\n", what, msg);
    else
        fprintf(stderr, "weft: %s\n", msg);
    return CLI_EXIT_ERROR;
}

/* Parses --invoke's arguments by the export's parameter types into *vals
 * (room for its results too). */
static int invoke_args(weft_program *p, const run_opts *o, weft_functype *type, weft_val **vals)
{
    weft_extern ext;
    weft_instance *inst = weft_program_instance(p);
    if (!weft_instance_export(inst, o->invoke, strlen(o->invoke), &ext) ||
        ext.kind != WEFT_EXTERN_FUNC) {
        fprintf(stderr, "weft: %s has no exported function %s\n", o->file, o->invoke);
        return -1;
    }
    weft_func_type(ext.of.func, type);
    if ((uint32_t)o->nargs != type->nparams) {
        fprintf(stderr, "weft: %s takes %u arguments, %d given\n", o->invoke, type->nparams,
                o->nargs);
        return -1;
    }
    *vals = calloc((size_t)type->nparams + type->nresults + 1, sizeof **vals);
    if (!*vals) {
        fprintf(stderr, "weft: out of memory\n");
        return -1;
    }
    for (uint32_t i = 0; i < type->nparams; i++) {
        if (!cli_parse_val(o->args[i], type->params[i], &(*vals)[i])) {
            fprintf(stderr, "weft: argument %u of %s: '%s' is not of type %s\n", i + 1, o->invoke,
                    o->args[i], weft_valkind_name(type->params[i]));
            return -1;
        }
    }
    return 0;
}

/* The guest's environment: the host's with --env-inherit, then each --env. */
static const char **make_env(const run_opts *o, size_t *n)
{
    size_t host = 0;
    if (o->env_inherit)
        while (environ[host])
            host++;
    const char **env = calloc(host + o->nenvs + 1, sizeof *env);
    if (!env)
        return NULL;
    *n = 0;
    for (size_t i = 0; i < host; i++)
        env[(*n)++] = environ[i];
    for (size_t i = 0; i < o->nenvs; i++) {
        /* A later NAME=... replaces an earlier one. */
        size_t klen = (size_t)(strchr(o->envs[i], '=') - o->envs[i]) + 1;
        size_t j = 0;
        while (j < *n && strncmp(env[j], o->envs[i], klen))
            j++;
        env[j] = o->envs[i];
        if (j == *n)
            (*n)++;
    }
    return env;
}

int cli_run(int argc, char **argv)
{
    run_opts o;
    memset(&o, 0, sizeof o);
    if (parse_opts(argc, argv, &o)) {
        free_opts(&o);
        return CLI_EXIT_USAGE;
    }
    uint8_t *bytes = NULL;
    size_t size;
    if (cli_load_module(o.file, &bytes, &size)) {
        free_opts(&o);
        return CLI_EXIT_ERROR;
    }
    /* A guest writing to a closed pipe gets EPIPE, not a dead weft. */
    signal(SIGPIPE, SIG_IGN);

    int rc = CLI_EXIT_ERROR;
    weft_engine *engine = NULL;
    weft_module *module = NULL;
    weft_program *prog = NULL;
    weft_val *vals = NULL;
    const char **argvs = NULL, **env = NULL;
    weft_error err;
    weft_config config;
    weft_config_init(&config);
    config.bounds = o.bounds;
    config.grow_fail = o.grow_fail;
    if (o.tier_set)
        config.tier = o.tier;
    config.perf_map = o.perf_map;
    if (weft_engine_new(&config, &engine, &err)) {
        rc = report(NULL, &err);
        goto done;
    }
    if (weft_module_new(engine, bytes, size, &module, &err)) {
        rc = report(o.file, &err);
        goto done;
    }

    weft_program_config pc;
    weft_program_config_init(&pc);
    /* WASI argv: the file, then (without --invoke) the program's arguments. */
    size_t nargv = 1 + (o.invoke ? 0 : (size_t)o.nargs);
    argvs = calloc(nargv, sizeof *argvs);
    size_t nenv = 0;
    env = make_env(&o, &nenv);
    if (!argvs || !env) {
        fprintf(stderr, "weft: out of memory\n");
        goto done;
    }
    argvs[0] = o.file;
    for (size_t i = 1; i < nargv; i++)
        argvs[i] = o.args[i - 1];
    pc.argv = argvs;
    pc.argc = nargv;
    pc.envp = env;
    pc.envc = nenv;
    pc.preopens = o.dirs;
    pc.npreopens = o.ndirs;
    pc.max_threads = o.max_threads;
    if (weft_program_new(module, &pc, &prog, &err)) {
        rc = report(o.file, &err);
        goto done;
    }

    weft_functype type = {0};
    if (o.invoke && invoke_args(prog, &o, &type, &vals))
        goto done;
    weft_val *results = vals ? vals + type.nparams : NULL;
    if (weft_program_run(prog, o.invoke, vals, type.nparams, results, type.nresults, &err)) {
        rc = report(NULL, &err);
        goto done;
    }
    for (uint32_t i = 0; i < type.nresults; i++)
        cli_print_val(stdout, &results[i]);
    rc = CLI_EXIT_OK;
done:
    weft_program_free(prog);
    weft_module_free(module);
    weft_engine_free(engine);
    free(vals);
    free(argvs);
    free(env);
    free(bytes);
    free_opts(&o);
    return rc;
}

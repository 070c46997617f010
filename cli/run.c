/*
 * run.c -- `weft run`: runs a module as a WASI program (weft_program_*): its
 * `_start`, or the export named by --invoke with typed arguments from the
 * command line, with preopened directories, environment, thread limit,
 * time and memory limits, stack size and memory.grow failure injection from
 * the options (options.def).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "help.h"

extern char **environ;

typedef struct run_opts {
    const char *invoke; /* NULL: _start */
    const char *file;
    weft_bounds_mode bounds;
    bool tier_set;      /* --tier given (else weft_config_init's: WEFT_TIER or auto) */
    weft_tier tier;
    bool perf_map;
    weft_grow_fail grow_fail;
    uint64_t timeout_ns;      /* 0: none */
    const char *timeout;      /* as given, for the message */
    uint64_t max_memory;      /* bytes; 0: no cap */
    const char *max_memory_text; /* as given */
    uint64_t stack_size;      /* bytes; 0: the library's default */
    uint32_t max_threads;
    bool env_inherit;
    int nargs;
    char **args;
    weft_preopen *dirs;
    size_t ndirs;
    const char **envs; /* --env values, in order */
    size_t nenvs;
} run_opts;

/* --dir HOST[::GUEST]: the guest sees HOST under GUEST (default: HOST). */
static int add_dir(run_opts *o, const char *spec)
{
    weft_preopen *d = realloc(o->dirs, (o->ndirs + 1) * sizeof *d);
    if (!d) {
        fprintf(stderr, "weft: out of memory\n");
        return -1;
    }
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
        fprintf(stderr, "weft: --env=%s: expected NAME=VALUE\n", kv);
        return -1;
    }
    const char **e = realloc(o->envs, (o->nenvs + 1) * sizeof *e);
    if (!e)
        return -1;
    o->envs = e;
    e[o->nenvs++] = kv;
    return 0;
}

enum {
#define CLI_OPTION(id, name, arg, help) OPT_##id,
#include "options.def"
#undef CLI_OPTION
};

/* The smallest --stack-size: it keeps the whole margin that thread.c leaves
 * for host calls and traps below the deepest wasm frame (64 KiB, at most a
 * quarter of the stack). */
#define CLI_MIN_STACK ((uint64_t)256 << 10)

/* A size option's value, checked against its least value; prints the
 * problem.  `least` is also its name in the message. */
static int size_value(const char *name, const char *v, uint64_t least, const char *least_text,
                      uint64_t *out)
{
    const char *why = cli_parse_size(v, out);
    if (!why && *out < least)
        why = least_text;
    if (why) {
        fprintf(stderr, "weft: %s=%s: %s\n", name, v, why);
        return -1;
    }
    return 0;
}

/* Applies option `id` with value `v` (NULL for a flag); prints the problem
 * and returns -1 if the value is bad. */
static int apply(run_opts *o, int id, const char *name, const char *v)
{
    const char *why = NULL;
    switch (id) {
    case OPT_DIR:
        return add_dir(o, v);
    case OPT_ENV:
        return add_env(o, v);
    case OPT_ENV_INHERIT:
        o->env_inherit = true;
        return 0;
    case OPT_MAX_THREADS: {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (*v < '0' || *v > '9' || *end || errno || n > UINT32_MAX)
            why = "expected a number of threads";
        o->max_threads = (uint32_t)n;
        break;
    }
    case OPT_TIMEOUT:
        why = cli_parse_duration(v, &o->timeout_ns);
        o->timeout = v;
        break;
    case OPT_MAX_MEMORY:
        o->max_memory_text = v;
        return size_value(name, v, 65536, "expected at least 64KiB (one page)", &o->max_memory);
    case OPT_STACK_SIZE:
        return size_value(name, v, CLI_MIN_STACK, "expected at least 256KiB", &o->stack_size);
    case OPT_INVOKE:
        o->invoke = v;
        if (!*v)
            why = "expected the name of an exported function";
        break;
    case OPT_BOUNDS_CHECKS:
        if (!strcmp(v, "guard"))
            o->bounds = WEFT_BOUNDS_GUARD;
        else if (!strcmp(v, "software"))
            o->bounds = WEFT_BOUNDS_SOFTWARE;
        else
            why = "expected guard or software";
        break;
    case OPT_TIER: {
        static const char *const names[] = {"auto", "interp", "jit"};
        size_t k = 0;
        while (k < 3 && strcmp(v, names[k]))
            k++;
        if (k == 3)
            why = "expected interp, jit or auto";
        o->tier_set = true;
        o->tier = (weft_tier)k;
        break;
    }
    case OPT_PERF_MAP:
        o->perf_map = true;
        return 0;
    case OPT_GROW_FAIL:
        why = cli_parse_grow_fail(v, &o->grow_fail);
        break;
    }
    if (why) {
        fprintf(stderr, "weft: %s=%s: %s\n", name, v, why);
        return -1;
    }
    return 0;
}

/* Options (options.def), then FILE.wasm and the program's ARGS.  Every
 * problem is one line on stderr naming the option. */
static int parse_opts(int argc, char **argv, run_opts *o)
{
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        size_t len = strcspn(a, "=");
        int id = 0;
        while (id < (int)cli_noptions &&
               (strlen(cli_options[id].name) != len || strncmp(a, cli_options[id].name, len)))
            id++;
        if (id == (int)cli_noptions || id == OPT_END) {
            fprintf(stderr, "weft: unknown option %.*s (see weft --help)\n", (int)len, a);
            return -1;
        }
        const cli_option *opt = &cli_options[id];
        const char *v = NULL;
        if (!opt->arg && a[len]) {
            fprintf(stderr, "weft: %s takes no value (%s)\n", opt->name, a);
            return -1;
        }
        if (opt->arg) {
            if (a[len])
                v = a + len + 1;
            else if (i + 1 < argc)
                v = argv[++i];
            else {
                fprintf(stderr, "weft: %s needs a value: %s=%s\n", opt->name, opt->name,
                        opt->arg);
                return -1;
            }
        }
        if (apply(o, id, opt->name, v))
            return -1;
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
static int report(const run_opts *o, const char *what, const weft_error *err)
{
    if (err->status == WEFT_EXIT)
        return err->exit_code & 0xff;
    if (err->status == WEFT_TRAP && err->code == WEFT_E_TIMEOUT) {
        fprintf(stderr, "weft: timeout: %s ran longer than --timeout=%s; every thread was ended\n",
                o->file, o->timeout);
        return CLI_EXIT_TIMEOUT;
    }
    char msg[4096];
    weft_error_format(err, msg, sizeof msg);
    if (err->status == WEFT_TRAP) {
        fprintf(stderr, "weft: trap: %s\n", msg);
        return CLI_EXIT_TRAP;
    }
    if (err->status == WEFT_NOMEM && o->max_memory)
        fprintf(stderr, "weft: %s: %s (--max-memory=%s)\n", what ? what : o->file, msg,
                o->max_memory_text);
    else if (what)
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

/* Nanoseconds on CLOCK_MONOTONIC. */
static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int cli_run(int argc, char **argv)
{
    /* --timeout counts from here: reading and decoding the module too. */
    uint64_t started = now_ns();
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
    config.max_memory_bytes = o.max_memory;
    if (weft_engine_new(&config, &engine, &err)) {
        rc = report(&o, NULL, &err);
        goto done;
    }
    if (weft_module_new(engine, bytes, size, &module, &err)) {
        rc = report(&o, o.file, &err);
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
    pc.thread_stack_bytes = (size_t)o.stack_size;
    if (o.timeout_ns) {
        uint64_t spent = now_ns() - started;
        pc.timeout_ns = spent < o.timeout_ns ? o.timeout_ns - spent : 1;
    }
    if (weft_program_new(module, &pc, &prog, &err)) {
        rc = report(&o, o.file, &err);
        goto done;
    }

    weft_functype type = {0};
    if (o.invoke && invoke_args(prog, &o, &type, &vals))
        goto done;
    weft_val *results = vals ? vals + type.nparams : NULL;
    /* On a thread of the program's own, not this one: --stack-size holds for
     * the main wasm thread as for spawned ones. */
    if (weft_program_start(prog, o.invoke, vals, type.nparams, &err) ||
        weft_program_wait(prog, results, type.nresults, &err)) {
        rc = report(&o, NULL, &err);
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

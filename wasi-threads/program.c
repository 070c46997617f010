/*
 * program.c -- the program API of weft.h (weft_program_*): a module linked
 * against WASI preview 1 and wasi-threads, run as one thread group
 * (DESIGN.md invariants 3 and 4).
 *
 * Linking: `wasi_snapshot_preview1` functions come from the program's WASI
 * context, `wasi` `thread-spawn` from spawn.c, and a memory import -- under
 * any names -- is made as its type asks.  Anything else is "unknown import".
 *
 * Running: the entry thread (the caller of weft_program_run, or the runner
 * thread weft_program_start makes) attaches to the group as thread 0, runs the
 * start function and the entry, and then ends the group with the entry's
 * outcome -- which loses if another thread ended it first -- and joins every
 * spawned thread.  Only then is the program `finished`: weft_program_wait
 * waits for that, and the status is the group's.
 *
 * A time limit (timeout_ns) is kept by a watchdog thread that the entry
 * thread starts before the start function and stops once the group is
 * joined: at the deadline it ends the group with WEFT_E_TIMEOUT, the way
 * weft_program_terminate does -- the one termination mechanism (flag, wake
 * every waiter, interrupt WASI) of threads/group.c.
 */
#include <limits.h>
#include <time.h>

#include "wasi-threads/wasit.h"

WEFT_API void weft_program_config_init(weft_program_config *config)
{
    memset(config, 0, sizeof *config);
    config->stdin_fd = 0;
    config->stdout_fd = 1;
    config->stderr_fd = 2;
}

/* ---- linking ------------------------------------------------------------------------ */

static weft_status unknown_import(weft_error *err, const mod_import *im)
{
    return err_set(err, WEFT_E_UNKNOWN_IMPORT, im->offset, "%.*s.%.*s", (int)im->module.len,
                   im->module.data, (int)im->name.len, im->name.data);
}

static bool name_is(const mod_name *n, const char *s)
{
    return n->len == strlen(s) && memcmp(n->data, s, n->len) == 0;
}

static weft_status link_one(weft_program *p, uint32_t i, weft_error *err)
{
    weft_status st = WEFT_OK;
    const mod_import *im = &p->module->imports[i];
    weft_extern *ext = &p->imports[i];
    if (im->kind == EXT_MEMORY) {
        /* One memory for the whole group; a second memory import would need
         * multi-memory, which validation rejects. */
        weft_limits limits;
        weft_module_import_memory_limits(p->module, i, &limits);
        TRY(weft_memory_new(p->engine, &limits, &p->import_memory, err));
        ext->kind = WEFT_EXTERN_MEMORY;
        ext->of.memory = p->import_memory;
        return WEFT_OK;
    }
    if (im->kind != EXT_FUNC)
        return unknown_import(err, im);
    weft_name module = {.data = im->module.data, .len = im->module.len};
    weft_name name = {.data = im->name.data, .len = im->name.len};
    ext->kind = WEFT_EXTERN_FUNC;
    if (name_is(&im->module, "wasi") && name_is(&im->name, "thread-spawn")) {
        if (!p->spawn)
            TRY(wasit_spawn_func(p, &p->spawn, err));
        ext->of.func = p->spawn;
        return WEFT_OK;
    }
    if (!wasi_provides(&module) || wasi_import(p->wasi, &name, &ext->of.func, err) != WEFT_OK)
        return unknown_import(err, im);
fail:
    return st;
}

static void interrupt_wasi(void *w) { wasi_interrupt(w); }

WEFT_API weft_status weft_program_new(weft_module *module, const weft_program_config *config,
                                      weft_program **out, weft_error *err)
{
    weft_status st = WEFT_OK;
    if (!module || !out)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "no module");
    weft_program_config defaults;
    if (!config) {
        weft_program_config_init(&defaults);
        config = &defaults;
    }
    weft_engine *e = module->engine;
    weft_program *p = eng_calloc(e, 1, sizeof *p);
    if (!p)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "program");
    p->engine = e;
    p->module = module;
    mod_retain(module);
    p->stack_bytes = config->thread_stack_bytes ? config->thread_stack_bytes
                                                : THR_GROUP_DEFAULT_STACK_BYTES;
    if (p->stack_bytes < PTHREAD_STACK_MIN)
        p->stack_bytes = PTHREAD_STACK_MIN;
    p->timeout_ns = config->timeout_ns;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->finished_cv, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->watchdog_cv, &ca);
    pthread_condattr_destroy(&ca);
    TRY(wasi_new(e, config, &p->wasi, err));

    p->imports = eng_calloc(e, module->nimports, sizeof *p->imports);
    uint32_t ndefined = module->nmemories - module->nmemory_imports;
    p->defined = eng_calloc(e, ndefined, sizeof *p->defined);
    if (!p->imports || !p->defined) {
        st = err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "program");
        goto fail;
    }
    for (uint32_t i = 0; i < module->nimports; i++)
        TRY(link_one(p, i, err));
    TRY(inst_instantiate(module, p->imports, module->nimports, false, &p->instance, err));
    for (uint32_t i = 0; i < ndefined; i++)
        p->defined[i] = p->instance->memories[module->nmemory_imports + i];
    p->memory = p->instance->memory0;

    thr_group_config gc = {.max_threads = config->max_threads,
                           .stack_bytes = config->thread_stack_bytes,
                           .memory = p->memory,
                           .interrupt = interrupt_wasi,
                           .interrupt_user = p->wasi};
    TRY(thr_group_new(e, &gc, &p->group, err));
    *out = p;
    return WEFT_OK;
fail:
    weft_program_free(p);
    return st;
}

/* ---- running ------------------------------------------------------------------------- */

/* Checks the entry and its arguments and keeps them for the entry thread. */
static weft_status prepare(weft_program *p, const char *entry, const weft_val *args,
                           size_t nargs, size_t nresults, weft_error *err)
{
    if (!entry)
        entry = "_start";
    weft_extern ext;
    if (!weft_instance_export(p->instance, entry, strlen(entry), &ext) ||
        ext.kind != WEFT_EXTERN_FUNC)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "no exported function \"%s\"",
                       entry);
    weft_functype t;
    weft_func_type(ext.of.func, &t);
    if (nargs != t.nparams || (nargs && !args))
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                       "\"%s\" takes %u arguments, not %zu", entry, t.nparams, nargs);
    if (nresults != SIZE_MAX && nresults != t.nresults)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                       "\"%s\" returns %u results, not %zu", entry, t.nresults, nresults);
    for (size_t i = 0; i < nargs; i++)
        if (args[i].kind != t.params[i])
            return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                           "argument %zu of \"%s\" has the wrong kind", i, entry);
    weft_val *a = eng_calloc(p->engine, nargs, sizeof *a);
    weft_val *r = eng_calloc(p->engine, t.nresults, sizeof *r);
    pthread_mutex_lock(&p->lock);
    bool again = p->started;
    p->started = !again && a && r;
    pthread_mutex_unlock(&p->lock);
    if (again || !a || !r) {
        eng_free(p->engine, a);
        eng_free(p->engine, r);
        return again ? err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                               "the program was started already")
                     : err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "program");
    }
    if (nargs)
        memcpy(a, args, nargs * sizeof *args);
    p->entry = ext.of.func;
    p->args = a;
    p->nargs = nargs;
    p->results = r;
    p->nresults = t.nresults;
    return WEFT_OK;
}

/* ---- the time limit ----------------------------------------------------------------- */

typedef struct watchdog {
    weft_program *program;
    struct timespec deadline; /* CLOCK_MONOTONIC */
    pthread_t thread;
} watchdog;

static void *watchdog_main(void *arg)
{
    watchdog *w = arg;
    weft_program *p = w->program;
    pthread_mutex_lock(&p->lock);
    while (!p->watchdog_stop &&
           pthread_cond_timedwait(&p->watchdog_cv, &p->lock, &w->deadline) == 0)
        ;
    bool fire = !p->watchdog_stop;
    pthread_mutex_unlock(&p->lock);
    if (fire) {
        weft_error err;
        err_set(&err, WEFT_E_TIMEOUT, WEFT_NO_OFFSET, "(after %llu ms)",
                (unsigned long long)(p->timeout_ns / 1000000));
        thr_group_end(p->group, WEFT_TRAP, &err); /* loses if the group has ended */
    }
    return NULL;
}

/* Starts the watchdog of p's time limit, counted from now; false if no
 * thread could be made. */
static bool watchdog_start(weft_program *p, watchdog *w)
{
    w->program = p;
    clock_gettime(CLOCK_MONOTONIC, &w->deadline);
    uint64_t ns = (uint64_t)w->deadline.tv_nsec + p->timeout_ns % 1000000000u;
    uint64_t s = p->timeout_ns / 1000000000u + ns / 1000000000u;
    /* A limit of centuries is no limit, but must not wrap tv_sec. */
    w->deadline.tv_sec = s > (uint64_t)(INT32_MAX) ? w->deadline.tv_sec + INT32_MAX
                                                  : w->deadline.tv_sec + (time_t)s;
    w->deadline.tv_nsec = (long)(ns % 1000000000u);
    p->watchdog_stop = false;
    return pthread_create(&w->thread, NULL, watchdog_main, w) == 0;
}

static void watchdog_stop(weft_program *p, watchdog *w)
{
    pthread_mutex_lock(&p->lock);
    p->watchdog_stop = true;
    pthread_cond_signal(&p->watchdog_cv);
    pthread_mutex_unlock(&p->lock);
    pthread_join(w->thread, NULL);
}

/* ---- the entry thread ---------------------------------------------------------------- */

/* The entry thread's whole life: start function, entry, end of the group. */
static void run_entry(weft_program *p)
{
    weft_status st = WEFT_OK;
    weft_error err;
    thr_attach saved;
    watchdog w;
    bool watching = p->timeout_ns && watchdog_start(p, &w);
    if (p->timeout_ns && !watching) {
        /* Never run a limited program without its limit. */
        st = err_set(&err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                     "cannot start the thread that keeps the time limit");
    } else if (!thr_group_attach(p->group, 0, &saved)) {
        st = err_set(&err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "thread context");
    } else {
        const weft_module *m = p->module;
        if (m->has_start)
            st = weft_call(p->instance->funcs[m->start], NULL, 0, NULL, 0, &err);
        if (st == WEFT_OK)
            st = weft_call(p->entry, p->args, p->nargs, p->results, p->nresults, &err);
        thr_group_detach(&saved);
    }
    if (st != WEFT_OK) {
        err.status = st;
        err.thread_id = 0;
    }
    thr_group_end(p->group, st, st == WEFT_OK ? NULL : &err);
    thr_group_join(p->group);
    if (watching)
        watchdog_stop(p, &w);
}

/* The last thing the entry thread does with `p`: weft_program_free may free
 * it as soon as the lock is released. */
static void mark_finished(weft_program *p)
{
    pthread_mutex_lock(&p->lock);
    p->finished = true;
    pthread_cond_broadcast(&p->finished_cv);
    pthread_mutex_unlock(&p->lock);
}

static void *runner_main(void *arg)
{
    run_entry(arg);
    mark_finished(arg);
    return NULL;
}

/* The group's status, and the entry's results if it returned. */
static weft_status copy_status(weft_program *p, weft_val *results, size_t nresults,
                               weft_error *status)
{
    weft_status st = thr_group_status(p->group, status);
    if (st == WEFT_OK && nresults) {
        if (!results || nresults != p->nresults)
            return err_set(status, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                           "the entry returns %zu results, not %zu", p->nresults, nresults);
        memcpy(results, p->results, nresults * sizeof *results);
    }
    return st;
}

WEFT_API weft_status weft_program_start(weft_program *p, const char *entry, const weft_val *args,
                                        size_t nargs, weft_error *err)
{
    weft_status st = WEFT_OK;
    if (!p)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "no program");
    TRY(prepare(p, entry, args, nargs, SIZE_MAX, err));
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "thread attributes");
    pthread_attr_setstacksize(&attr, p->stack_bytes);
    int rc = pthread_create(&p->runner, &attr, runner_main, p);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        /* Nothing ran: the program is finished with this error. */
        st = err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "cannot start a thread");
        thr_group_end(p->group, st, err);
        mark_finished(p);
        return st;
    }
    pthread_mutex_lock(&p->lock);
    p->has_runner = true;
    pthread_mutex_unlock(&p->lock);
fail:
    return st;
}

WEFT_API weft_status weft_program_wait(weft_program *p, weft_val *results, size_t nresults,
                                       weft_error *status)
{
    if (!p)
        return err_set(status, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "no program");
    pthread_mutex_lock(&p->lock);
    bool started = p->started;
    while (started && !p->finished)
        pthread_cond_wait(&p->finished_cv, &p->lock);
    pthread_mutex_unlock(&p->lock);
    if (!started)
        return err_set(status, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "the program was not started");
    return copy_status(p, results, nresults, status);
}

WEFT_API weft_status weft_program_run(weft_program *p, const char *entry, const weft_val *args,
                                      size_t nargs, weft_val *results, size_t nresults,
                                      weft_error *status)
{
    weft_status st = WEFT_OK;
    if (!p)
        return err_set(status, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "no program");
    if (nresults && !results)
        return err_set(status, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "no room for results");
    TRY(prepare(p, entry, args, nargs, nresults, status));
    run_entry(p);
    st = copy_status(p, results, nresults, status);
    mark_finished(p);
fail:
    return st;
}

WEFT_API void weft_program_terminate(weft_program *p)
{
    if (!p)
        return;
    weft_error err;
    err_set(&err, WEFT_E_TERMINATED, WEFT_NO_OFFSET, "(by the embedder)");
    thr_group_end(p->group, WEFT_TRAP, &err);
}

WEFT_API weft_instance *weft_program_instance(weft_program *p) { return p ? p->instance : NULL; }

WEFT_API weft_memory *weft_program_memory(weft_program *p) { return p ? p->memory : NULL; }

WEFT_API void weft_program_free(weft_program *p)
{
    if (!p)
        return;
    weft_engine *e = p->engine;
    if (p->group) {
        weft_program_terminate(p);
        pthread_mutex_lock(&p->lock);
        bool started = p->started;
        /* Also when weft_program_run runs the entry on another thread. */
        while (started && !p->finished)
            pthread_cond_wait(&p->finished_cv, &p->lock);
        bool join = p->has_runner;
        pthread_mutex_unlock(&p->lock);
        if (join)
            pthread_join(p->runner, NULL);
        thr_group_free(p->group); /* joins spawned threads started but never run */
    }
    weft_instance_free(p->instance);
    if (p->import_memory)
        weft_memory_free(p->import_memory);
    inst_func_release(p->spawn);
    if (p->wasi)
        wasi_free(p->wasi);
    eng_free(e, p->imports);
    eng_free(e, p->defined);
    eng_free(e, p->args);
    eng_free(e, p->results);
    pthread_cond_destroy(&p->finished_cv);
    pthread_cond_destroy(&p->watchdog_cv);
    pthread_mutex_destroy(&p->lock);
    mod_release(p->module);
    eng_free(e, p);
}

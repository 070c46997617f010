/*
 * spawn.c -- the wasi-threads import `wasi` `thread-spawn` (wasit_), DESIGN.md
 * invariant 3: each call instantiates the program's module again (fresh
 * globals and tables, the same shared memory, no start function) and runs
 * `wasi_thread_start(tid, arg)` of that instance on a new member thread of the
 * program's group.
 *
 * "Again" means instantiation as the spec defines it, so active data segments
 * are written once more into the shared memory; toolchains for threads make
 * every segment passive (wasm-ld's __wasm_init_memory runs them once, guarded
 * by an atomic flag), so real programs are not affected.
 *
 * Failure never traps the caller: when the instance cannot be made, the
 * module has no proper wasi_thread_start, the group is ending, max_threads
 * threads are alive, the thread's context and stacks cannot be mapped or the
 * OS refuses a thread, the result is a negative WASI errno (wasi-threads: "the
 * value is negative and it represents error code"; wasi-libc's pthread_create
 * turns any negative value into EAGAIN).  All of it is made here, before the
 * id is returned (threads/group.c), so a started thread never ends the group
 * for want of memory.
 */
#include "wasi-threads/wasit.h"

enum { WASI_EAGAIN_ = 6, WASI_ENOMEM_ = 48, WASI_ENOSYS_ = 52 };

/* One spawned thread's own state; freed on that thread when it ends. */
typedef struct spawn_thread {
    weft_program *program;
    weft_instance *instance;
    weft_func *start;    /* wasi_thread_start of `instance` */
    int32_t arg;
} spawn_thread;

static weft_status thread_main(void *arg, uint32_t tid, weft_error *err)
{
    spawn_thread *t = arg;
    weft_val args[2] = {{.kind = WEFT_I32, .of.i32 = (int32_t)tid},
                        {.kind = WEFT_I32, .of.i32 = t->arg}};
    return weft_call(t->start, args, 2, NULL, 0, err);
}

static void thread_drop(void *arg)
{
    spawn_thread *t = arg;
    weft_engine *e = t->program->engine;
    weft_instance_free(t->instance);
    eng_free(e, t);
}

weft_status wasit_instantiate(weft_program *p, weft_instance **out, weft_error *err)
{
    return inst_instantiate_with(p->module, p->imports, p->module->nimports, false, p->defined,
                                 out, err);
}

/* wasi_thread_start of `inst`, if it is exported with type (i32, i32) -> (). */
static weft_func *start_func(weft_instance *inst)
{
    static const char name[] = "wasi_thread_start";
    weft_extern ext;
    if (!weft_instance_export(inst, name, sizeof name - 1, &ext) || ext.kind != WEFT_EXTERN_FUNC)
        return NULL;
    weft_functype t;
    weft_func_type(ext.of.func, &t);
    if (t.nparams != 2 || t.nresults != 0 || t.params[0] != WEFT_I32 || t.params[1] != WEFT_I32)
        return NULL;
    return ext.of.func;
}

static int32_t spawn(weft_program *p, int32_t start_arg)
{
    if (thr_group_ending(p->group))
        return -WASI_EAGAIN_;
    spawn_thread *t = eng_calloc(p->engine, 1, sizeof *t);
    if (!t)
        return -WASI_ENOMEM_;
    t->program = p;
    t->arg = start_arg;
    weft_error err;
    if (wasit_instantiate(p, &t->instance, &err) != WEFT_OK) {
        eng_free(p->engine, t);
        return err.status == WEFT_NOMEM ? -WASI_ENOMEM_ : -WASI_EAGAIN_;
    }
    t->start = start_func(t->instance);
    int32_t tid = t->start ? thr_group_spawn(p->group, thread_main, t, thread_drop)
                           : -WASI_ENOSYS_;
    if (tid < 0)
        thread_drop(t);
    return tid;
}

static weft_status spawn_host(void *env, weft_caller *caller, const weft_val *args,
                              weft_val *results, weft_error *err)
{
    (void)caller;
    (void)err;
    results[0].kind = WEFT_I32;
    results[0].of.i32 = spawn(env, args[0].of.i32);
    return WEFT_OK;
}

weft_status wasit_spawn_func(weft_program *p, weft_func **out, weft_error *err)
{
    static const weft_valkind i32[1] = {WEFT_I32};
    weft_functype type = {.params = i32, .nparams = 1, .results = i32, .nresults = 1};
    return weft_func_new(p->engine, &type, spawn_host, p, NULL, out, err);
}

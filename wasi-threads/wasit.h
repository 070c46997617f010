/*
 * wasit.h -- what the files of wasi-threads/ share (wasit_): the program
 * object behind weft.h's weft_program_* (program.c) and the `wasi`
 * `thread-spawn` import (spawn.c).
 *
 * A program owns: its WASI context (shared by every thread), its thread group,
 * the memory it made for a memory import, the resolved imports (reused for
 * every thread's instance), the first instance and the thread-spawn host
 * function.  Spawned threads own their instance and free it when they end;
 * thr_group_join runs before anything they use is freed.
 */
#ifndef WEFT_WASIT_H
#define WEFT_WASIT_H

#include <pthread.h>

#include "engine/instance.h"
#include "threads/group.h"
#include "wasi/wasi.h"

struct weft_program {
    weft_engine *engine;
    weft_module *module;          /* one reference held */
    wasi_ctx *wasi;
    thr_group *group;
    weft_memory *import_memory;   /* made for a memory import (reference held), or NULL */
    weft_memory *memory;          /* memory 0 of every thread's instance, or NULL */
    weft_memory **defined;        /* memories the first instance defines, handed to
                                     the others (module->nmemories - nmemory_imports) */
    weft_func *spawn;             /* the thread-spawn host function (reference held) */
    weft_extern *imports;         /* module->nimports, resolved once */
    weft_instance *instance;      /* the first instance: entry and exports */

    /* The entry call, set by start/run before the entry thread runs. */
    weft_func *entry;
    weft_val *args, *results;
    size_t nargs, nresults;

    pthread_mutex_t lock;         /* guards the fields below; a leaf */
    pthread_cond_t finished_cv;
    bool started;                 /* start or run was called */
    bool finished;                /* the entry ended and the group is joined */
    bool has_runner;              /* `runner` is a thread to join (start) */
    pthread_t runner;
    size_t stack_bytes;           /* the runner's native stack */
    /* The time limit (weft_program_config.timeout_ns; 0: none), kept by a
     * watchdog thread that the entry thread starts and stops (program.c). */
    uint64_t timeout_ns;
    pthread_cond_t watchdog_cv;   /* CLOCK_MONOTONIC; signalled to stop the watchdog */
    bool watchdog_stop;           /* guarded by lock */
};

/* Makes the `wasi` `thread-spawn` host function of `p` (type i32 -> i32). */
WEFT_INTERNAL weft_status wasit_spawn_func(weft_program *p, weft_func **out, weft_error *err);

/* A new instance of p's module for a thread: the same imports and memory, no
 * start function.  Thread-safe. */
WEFT_INTERNAL weft_status wasit_instantiate(weft_program *p, weft_instance **out,
                                            weft_error *err);

#endif /* WEFT_WASIT_H */

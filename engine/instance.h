/*
 * instance.h -- runtime objects (inst_): functions, tables, globals and
 * instances, laid out for the interpreter to reach in one or two loads.
 *
 * Reference values in the interpreter's 64-bit slots are pointers: a funcref
 * is a weft_func * (NULL = null), an externref is the embedder's void *.
 *
 * Ownership: an instance owns its weft_func objects (own_funcs) and holds one
 * reference on every memory, table and global it defines or imports, and on
 * its module.  Host functions are reference counted.  A funcref stays valid
 * while the instance it came from lives (documented in weft.h).
 */
#ifndef WEFT_INSTANCE_H
#define WEFT_INSTANCE_H

#include <stdatomic.h>

#include "engine/memory.h"
#include "engine/module.h"

enum { FUNC_WASM = 0, FUNC_HOST = 1 };

struct weft_func {
    uint8_t kind;             /* FUNC_WASM or FUNC_HOST                          */
    uint32_t sig;             /* engine-wide id of the type: equal types, equal ids
                                 (eng_intern_type), so call_indirect compares one word */
    const mod_functype *type; /* the module's, or the host function's own copy   */
    /* FUNC_WASM */
    weft_instance *instance;  /* the instance it belongs to                      */
    uint32_t index;           /* function index in the module                    */
    /* FUNC_HOST */
    _Atomic uint32_t refs;
    weft_host_fn host_fn;
    void *env;
    void (*finalizer)(void *env);
    weft_engine *engine;
    mod_functype own_type;    /* storage behind `type`                           */
};

struct weft_table {
    weft_engine *engine;
    _Atomic uint32_t refs;
    mod_valtype elem;         /* VT_FUNCREF or VT_EXTERNREF                      */
    uint32_t size;            /* current number of elements                      */
    uint64_t max;             /* declared maximum, or UINT32_MAX                 */
    bool has_max;
    void **elems;             /* size entries: weft_func * or externref          */
};

/* A global's value: every type fits (v128 in both words). */
typedef union inst_value {
    uint64_t u64[2];
    uint32_t u32;
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    void *ref;
    uint8_t v128[16];
} inst_value;

struct weft_global {
    weft_engine *engine;
    _Atomic uint32_t refs;
    mod_globaltype type;
    inst_value value;
};

struct weft_instance {
    weft_engine *engine;
    weft_module *module;

    weft_func **funcs;        /* module->nfuncs: imported ones point elsewhere   */
    weft_func *own_funcs;     /* the functions this instance defines            */
    weft_table **tables;      /* module->ntables                                  */
    weft_memory **memories;   /* module->nmemories                                */
    weft_global **globals;    /* module->nglobals                                 */

    uint8_t *mem0;            /* memories[0]->base, or NULL: the base never moves */
    weft_memory *memory0;     /* memories[0], or NULL                             */

    bool *elem_dropped;       /* module->nelems: elem.drop (and active/declarative after init) */
    bool *data_dropped;       /* module->ndatas                                   */

    uint32_t *sigs;           /* module->ntypes: eng_intern_type of each type     */

    /* The evaluated items of every element segment (module->nelems arrays of
     * module->elems[i].count references), for table.init; freed by elem.drop. */
    void ***elem_refs;
};

/* ---- tables, globals, segments (engine/table.c, global.c, instance.c) ------
 * Tables and globals follow one-thread-at-a-time rules like their instance:
 * nothing here locks.  The range operations check bounds first and then
 * write, and return WEFT_TRAP "out of bounds table/memory access" before
 * touching anything, as the bulk-memory instructions must. */

WEFT_INTERNAL weft_status inst_table_new(weft_engine *e, mod_valtype elem, const mod_limits *limits,
                                         void *init, weft_table **out, weft_error *err);
WEFT_INTERNAL void inst_table_retain(weft_table *t);
WEFT_INTERNAL void inst_table_release(weft_table *t);
/* table.grow: the old size, or -1 (nothing changes) past the maximum or when
 * out of memory.  New elements are `init`. */
WEFT_INTERNAL int64_t inst_table_grow(weft_table *t, uint32_t delta, void *init);
WEFT_INTERNAL weft_status inst_table_fill(weft_table *t, uint32_t i, void *val, uint32_t n,
                                          weft_error *err);
WEFT_INTERNAL weft_status inst_table_copy(weft_table *dst, weft_table *src, uint32_t d, uint32_t s,
                                          uint32_t n, weft_error *err);
/* table.init x y of `inst`: segment `elem` (empty once dropped) into table `table`. */
WEFT_INTERNAL weft_status inst_table_init(weft_instance *inst, uint32_t table, uint32_t elem,
                                          uint32_t d, uint32_t s, uint32_t n, weft_error *err);
WEFT_INTERNAL void inst_elem_drop(weft_instance *inst, uint32_t elem);
/* memory.init x of `inst` into memory `memory`; data.drop. */
WEFT_INTERNAL weft_status inst_memory_init(weft_instance *inst, uint32_t memory, uint32_t data,
                                           uint32_t d, uint32_t s, uint32_t n, weft_error *err);
WEFT_INTERNAL void inst_data_drop(weft_instance *inst, uint32_t data);

WEFT_INTERNAL weft_status inst_global_new(weft_engine *e, const mod_globaltype *type,
                                          const inst_value *init, weft_global **out,
                                          weft_error *err);
WEFT_INTERNAL void inst_global_retain(weft_global *g);
WEFT_INTERNAL void inst_global_release(weft_global *g);

/* Host functions are reference counted; wasm functions belong to their
 * instance, so these do nothing for them. */
WEFT_INTERNAL void inst_func_retain(weft_func *f);
WEFT_INTERNAL void inst_func_release(weft_func *f);

/* weft_instance_new, with the start function run only if `run_start`
 * (wasi-threads instantiates a module again for each thread without it). */
WEFT_INTERNAL weft_status inst_instantiate(weft_module *m, const weft_extern *imports,
                                           size_t nimports, bool run_start, weft_instance **out,
                                           weft_error *err);
/* inst_instantiate, with the memories the module defines taken from
 * `defined` (module->nmemories - nmemory_imports entries; NULL entries are
 * made as usual) instead of made anew: wasi-threads gives every thread's
 * instance the memory the first instance defined. */
WEFT_INTERNAL weft_status inst_instantiate_with(weft_module *m, const weft_extern *imports,
                                                size_t nimports, bool run_start,
                                                weft_memory *const *defined,
                                                weft_instance **out, weft_error *err);

/* Runs wasm function `f` with the slots of interp.h on this thread: gets the
 * thread context, installs the signal handler (guard mode), lets the handler
 * claim faults in the memories of f's instance, and enters.  Used by weft_call
 * and the start function. */
WEFT_INTERNAL weft_status inst_invoke(weft_func *f, uint64_t *slots, weft_error *err);

/* Lets this thread's signal handler claim faults in every memory of `inst`
 * (guard mode; nothing in software mode).  inst_invoke does it on entry; the
 * interpreter must do it too when a call crosses into another instance (an
 * imported function, or a table entry from elsewhere), whose memories this
 * thread may not have entered through inst_invoke. */
struct thr_context;
WEFT_INTERNAL void inst_allow_memories(struct thr_context *ctx, const weft_instance *inst);

/* The weft_valkind of a value type, and back (VT_UNKNOWN for none). */
WEFT_INTERNAL weft_valkind inst_kind_of(mod_valtype t);
WEFT_INTERNAL mod_valtype inst_valtype_of(weft_valkind k);
/* weft_val <-> interpreter slots (interp.h); returns the slots used. */
WEFT_INTERNAL uint32_t inst_val_to_slots(const weft_val *v, uint64_t *slots);
WEFT_INTERNAL uint32_t inst_slots_to_val(mod_valtype t, const uint64_t *slots, weft_val *v);

/* Calls host function `f` for wasm code of `caller` (slots as in interp.h:
 * arguments in, results out).  Implemented with the instance code. */
WEFT_INTERNAL weft_status inst_call_host(weft_func *f, weft_instance *caller, uint64_t *slots,
                                         weft_error *err);

/* Engine-wide interning of function types (thread-safe): equal types get equal
 * ids.  Returns UINT32_MAX when out of memory. */
WEFT_INTERNAL uint32_t eng_intern_type(weft_engine *e, const mod_functype *t);

#endif /* WEFT_INSTANCE_H */

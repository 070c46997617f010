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
};

/* Calls host function `f` for wasm code of `caller` (slots as in interp.h:
 * arguments in, results out).  Implemented with the instance code. */
WEFT_INTERNAL weft_status inst_call_host(weft_func *f, weft_instance *caller, uint64_t *slots,
                                         weft_error *err);

/* Engine-wide interning of function types (thread-safe): equal types get equal
 * ids.  Returns UINT32_MAX when out of memory. */
WEFT_INTERNAL uint32_t eng_intern_type(weft_engine *e, const mod_functype *t);

#endif /* WEFT_INSTANCE_H */

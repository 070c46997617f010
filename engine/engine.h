/*
 * engine.h -- the engine object: configuration, allocator, and the two pieces
 * of shared mutable state an engine owns.
 *
 * `config` is immutable after weft_engine_new, so every thread may read it
 * without a lock.  Everything below `lock` is guarded by it:
 *  - the function-type intern table (eng_intern_type): equal types get equal
 *    ids engine-wide, so call_indirect and import matching compare one word;
 *  - the list of instances that failed after their functions may have escaped
 *    into imported tables or globals (a trap in a segment or in the start
 *    function).  The spec keeps such an instance alive in the store; weft keeps
 *    it until the engine is freed (inst_keep_failed).
 * `lock` is a leaf: nothing else is taken while it is held.
 */
#ifndef WEFT_ENGINE_H
#define WEFT_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine/module.h"

/* weft_config.max_table_elements when it is 0. */
#define WEFT_DEFAULT_TABLE_ELEMENTS (UINT64_C(1) << 27)

enum { ENG_CODE_LOCKS = 16 };

struct weft_engine {
    weft_config config; /* immutable after creation */
    /* Elements held by all of this engine's tables (engine/table.c's budget);
     * relaxed atomics, no lock. */
    _Atomic uint64_t table_elems;
    /* Resolved weft_config.tier: functions are compiled (jit/) when true. */
    bool jit;
    /* weft_engine_tier_stats: functions published compiled / interpreted. */
    _Atomic uint64_t nfuncs_compiled;
    _Atomic uint64_t nfuncs_interpreted;
    /* First calls translate (and compile) a function under one of these,
     * picked by module and function, so two threads racing to a function's
     * first call make its code once (cmp_get).  Leaves, like `lock`. */
    pthread_mutex_t code_locks[ENG_CODE_LOCKS];

    pthread_mutex_t lock;    /* guards every field below                        */
    uint32_t ntypes;         /* interned types: ids are indices into `types`    */
    uint32_t types_cap;
    mod_functype *types;     /* owned copies                                    */
    const weft_valkind **kinds; /* the same types as weft_valkind arrays (for
                                   weft_func_type); each array never moves      */
    uint32_t *type_hash;     /* open addressing: id + 1, 0 = empty; hash_cap slots */
    uint32_t hash_cap;       /* power of two, > 2 * ntypes                       */
    weft_instance **kept;    /* failed instances kept alive (see above)         */
    uint32_t nkept, kept_cap;
};

/* Hands a failed instance to the engine, which frees it in weft_engine_free.
 * Returns false (and keeps nothing) when out of memory. */
/* Params then results of interned type `id`, as weft_valkind; lives as long
 * as the engine. */
WEFT_INTERNAL const weft_valkind *eng_type_kinds(weft_engine *e, uint32_t id);

WEFT_INTERNAL bool eng_keep_instance(weft_engine *e, weft_instance *inst);

#endif /* WEFT_ENGINE_H */

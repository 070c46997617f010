/*
 * engine.c -- weft_engine: its configuration defaults, the allocator every
 * other module allocates through, the engine-wide interning of function types
 * and the instances kept alive after a failed instantiation (engine.h).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/memory.h"
#include "jit/jit.h"

static void *libc_realloc(void *user, void *ptr, size_t size)
{
    (void)user;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

WEFT_API void weft_config_init(weft_config *c)
{
    memset(c, 0, sizeof *c);
    c->bounds = WEFT_BOUNDS_GUARD;
    c->features = WEFT_FEATURES_DEFAULT;
    c->max_call_depth = 20000;
    c->value_stack_bytes = (size_t)8 << 20;
    c->realloc_fn = libc_realloc;
    c->max_table_elements = WEFT_DEFAULT_TABLE_ELEMENTS;
    const char *tier = getenv("WEFT_TIER");
    if (tier && strcmp(tier, "jit") == 0)
        c->tier = WEFT_TIER_JIT;
    else if (tier && strcmp(tier, "interp") == 0)
        c->tier = WEFT_TIER_INTERP;
}

WEFT_API weft_status weft_engine_new(const weft_config *config, weft_engine **out, weft_error *err)
{
    weft_config c;
    if (config)
        c = *config;
    else
        weft_config_init(&c);
    if (!c.realloc_fn)
        c.realloc_fn = libc_realloc;
    if (!c.max_table_elements)
        c.max_table_elements = WEFT_DEFAULT_TABLE_ELEMENTS;
    if (c.max_call_depth == 0 || c.value_stack_bytes < 4096)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                       "max_call_depth must be > 0 and value_stack_bytes >= 4096");
    const weft_code_allocator *ca = &c.code_allocator;
    if ((ca->allocate || ca->make_executable || ca->free) &&
        !(ca->allocate && ca->make_executable && ca->free))
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                       "code_allocator needs allocate, make_executable and free, or none");
    weft_status st = mem_grow_fail_check(&c.grow_fail, err);
    if (st != WEFT_OK)
        return st;
    if ((unsigned)c.tier > WEFT_TIER_JIT)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "unknown tier %u",
                       (unsigned)c.tier);
    if (c.tier == WEFT_TIER_JIT && !jit_supported())
        return err_set(err, WEFT_E_UNSUPPORTED, WEFT_NO_OFFSET,
                       "the compiler tier needs an x86-64 host");
    weft_engine *e = c.realloc_fn(c.realloc_user, NULL, sizeof *e);
    if (!e)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, NULL);
    memset(e, 0, sizeof *e);
    e->config = c;
    /* auto: the compiler where it runs and is tested (x86-64 Linux), else
     * the interpreter. */
#if defined(__linux__)
    e->jit = c.tier == WEFT_TIER_JIT || (c.tier == WEFT_TIER_AUTO && jit_supported());
#else
    e->jit = c.tier == WEFT_TIER_JIT;
#endif
    atomic_init(&e->table_elems, 0);
    atomic_init(&e->nfuncs_compiled, 0);
    atomic_init(&e->nfuncs_interpreted, 0);
    uint32_t nlocks = 0;
    bool ok = pthread_mutex_init(&e->lock, NULL) == 0;
    while (ok && nlocks < ENG_CODE_LOCKS && pthread_mutex_init(&e->code_locks[nlocks], NULL) == 0)
        nlocks++;
    if (!ok || nlocks < ENG_CODE_LOCKS) {
        while (nlocks)
            pthread_mutex_destroy(&e->code_locks[--nlocks]);
        if (ok)
            pthread_mutex_destroy(&e->lock);
        c.realloc_fn(c.realloc_user, e, 0);
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "cannot create a mutex");
    }
    *out = e;
    return WEFT_OK;
}

WEFT_API void weft_engine_tier_stats(const weft_engine *e, uint64_t *compiled,
                                     uint64_t *interpreted)
{
    if (compiled)
        *compiled = atomic_load_explicit(&e->nfuncs_compiled, memory_order_relaxed);
    if (interpreted)
        *interpreted = atomic_load_explicit(&e->nfuncs_interpreted, memory_order_relaxed);
}

WEFT_API void weft_engine_free(weft_engine *e)
{
    if (!e)
        return;
    /* Kept instances may hold the last references to memories, tables and
     * modules; they all allocate through this engine, so they go first. */
    for (uint32_t i = 0; i < e->nkept; i++)
        weft_instance_free(e->kept[i]);
    eng_free(e, e->kept);
    for (uint32_t i = 0; i < e->ntypes; i++) {
        eng_free(e, e->types[i].types);
        eng_free(e, (void *)e->kinds[i]);
    }
    eng_free(e, e->types);
    eng_free(e, e->kinds);
    eng_free(e, e->type_hash);
    pthread_mutex_destroy(&e->lock);
    for (uint32_t i = 0; i < ENG_CODE_LOCKS; i++)
        pthread_mutex_destroy(&e->code_locks[i]);
    e->config.realloc_fn(e->config.realloc_user, e, 0);
}

void *eng_realloc(const weft_engine *e, void *ptr, size_t size)
{
    return e->config.realloc_fn(e->config.realloc_user, ptr, size);
}

void *eng_calloc(const weft_engine *e, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = eng_alloc(e, n * size);
    if (p)
        memset(p, 0, (n * size) != 0 ? n * size : 1);
    return p;
}

const weft_config *eng_config(const weft_engine *e) { return &e->config; }

/* ---- function types --------------------------------------------------------- */

static uint32_t type_hash(const mod_functype *t)
{
    uint32_t h = 2166136261u ^ (t->nparams * 31u + t->nresults);
    for (uint32_t i = 0; i < t->nparams + t->nresults; i++)
        h = (h ^ t->types[i]) * 16777619u;
    return h;
}

static bool type_equal(const mod_functype *a, const mod_functype *b)
{
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           memcmp(a->types, b->types, a->nparams + a->nresults) == 0;
}

/* Rebuilds the hash index at twice the size.  Caller holds e->lock. */
static bool rehash(weft_engine *e)
{
    uint32_t cap = e->hash_cap ? e->hash_cap * 2 : 64;
    uint32_t *slots = eng_calloc(e, cap, sizeof *slots);
    if (!slots)
        return false;
    for (uint32_t id = 0; id < e->ntypes; id++) {
        uint32_t j = type_hash(&e->types[id]) & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = id + 1;
    }
    eng_free(e, e->type_hash);
    e->type_hash = slots;
    e->hash_cap = cap;
    return true;
}

uint32_t eng_intern_type(weft_engine *e, const mod_functype *t)
{
    uint32_t id = UINT32_MAX;
    uint32_t h = type_hash(t);
    pthread_mutex_lock(&e->lock);
    if (e->hash_cap) {
        for (uint32_t j = h & (e->hash_cap - 1); e->type_hash[j]; j = (j + 1) & (e->hash_cap - 1)) {
            if (type_equal(&e->types[e->type_hash[j] - 1], t)) {
                id = e->type_hash[j] - 1;
                goto done;
            }
        }
    }
    if ((e->ntypes + 1) * 2 >= e->hash_cap && !rehash(e))
        goto done;
    if (e->ntypes == e->types_cap) {
        uint32_t cap = e->types_cap ? e->types_cap * 2 : 32;
        mod_functype *nt = eng_realloc(e, e->types, (size_t)cap * sizeof *nt);
        if (!nt)
            goto done;
        e->types = nt;
        const weft_valkind **nk = eng_realloc(e, e->kinds, (size_t)cap * sizeof *nk);
        if (!nk)
            goto done;
        e->kinds = nk;
        e->types_cap = cap;
    }
    size_t n = (size_t)t->nparams + t->nresults;
    mod_valtype *copy = eng_alloc(e, n);
    weft_valkind *kinds = eng_alloc(e, n * sizeof *kinds);
    if (!copy || !kinds) {
        eng_free(e, copy);
        eng_free(e, kinds);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        copy[i] = t->types[i];
        kinds[i] = inst_kind_of(t->types[i]);
    }
    id = e->ntypes++;
    e->types[id] = (mod_functype){.nparams = t->nparams, .nresults = t->nresults, .types = copy};
    e->kinds[id] = kinds;
    uint32_t j = h & (e->hash_cap - 1);
    while (e->type_hash[j])
        j = (j + 1) & (e->hash_cap - 1);
    e->type_hash[j] = id + 1;
done:
    pthread_mutex_unlock(&e->lock);
    return id;
}

const weft_valkind *eng_type_kinds(weft_engine *e, uint32_t id)
{
    pthread_mutex_lock(&e->lock);
    const weft_valkind *k = e->kinds[id];
    pthread_mutex_unlock(&e->lock);
    return k;
}

bool eng_keep_instance(weft_engine *e, weft_instance *inst)
{
    bool ok = true;
    pthread_mutex_lock(&e->lock);
    if (e->nkept == e->kept_cap) {
        uint32_t cap = e->kept_cap ? e->kept_cap * 2 : 8;
        weft_instance **nk = eng_realloc(e, e->kept, (size_t)cap * sizeof *nk);
        if (!nk)
            ok = false;
        else {
            e->kept = nk;
            e->kept_cap = cap;
        }
    }
    if (ok)
        e->kept[e->nkept++] = inst;
    pthread_mutex_unlock(&e->lock);
    return ok;
}

/*
 * table.c -- tables (struct weft_table): the weft_table_* API, growth, and the
 * range operations of the bulk-memory instructions (table.fill/copy/init).
 *
 * A table is an array of pointers: weft_func * for funcref, the embedder's
 * void * for externref, NULL for null.  Its size is at most TABLE_MAX_ELEMS
 * (the declared maximum, if lower), so every index fits a u32, and all the
 * tables of one engine together hold at most its max_table_elements.
 */
#include <stdatomic.h>

#include "engine/engine.h"
#include "engine/instance.h"

/* An implementation limit on elements, the one the JS API sets for every
 * engine.  The spec lets a table reach 2^32-1, but each element is a pointer:
 * an 18-byte module declaring 10^9 of them had the host allocate and zero
 * 8 GB before the instance existed.  Past the limit a table cannot be made
 * ("out of memory") and table.grow returns -1, as when an allocation fails. */
#define TABLE_MAX_ELEMS 10000000u

/* What all the tables of one engine may hold together (weft_config's
 * max_table_elements, 2^27 by default): a limit on each table is not enough,
 * as a module declaring (or growing) hundreds of them would have the host
 * commit memory until the OOM killer ended it.  Taken when a table is made or
 * grows, given back when it is freed. */
static bool budget_take(weft_engine *e, uint64_t n)
{
    uint64_t max = e->config.max_table_elements;
    uint64_t cur = atomic_load_explicit(&e->table_elems, memory_order_relaxed);
    do {
        if (cur > max || n > max - cur)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&e->table_elems, &cur, cur + n,
                                                    memory_order_relaxed, memory_order_relaxed));
    return true;
}

static void budget_give(weft_engine *e, uint64_t n)
{
    atomic_fetch_sub_explicit(&e->table_elems, n, memory_order_relaxed);
}

weft_status inst_table_new(weft_engine *e, mod_valtype elem, const mod_limits *limits, void *init,
                           weft_table **out, weft_error *err)
{
    weft_status st = WEFT_OK;
    weft_table *t = NULL;
    if (limits->min > UINT32_MAX || (limits->has_max && limits->max < limits->min))
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "table limits");
    if (limits->min > TABLE_MAX_ELEMS)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                       "table of %llu elements, more than weft's limit of %u",
                       (unsigned long long)limits->min, TABLE_MAX_ELEMS);
    if (!budget_take(e, limits->min))
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                       "table of %llu elements: the engine's tables would hold more than %llu",
                       (unsigned long long)limits->min,
                       (unsigned long long)e->config.max_table_elements);
    t = eng_calloc(e, 1, sizeof *t);
    if (!t)
        goto nomem;
    t->engine = e;
    atomic_init(&t->refs, 1);
    t->elem = elem;
    t->size = (uint32_t)limits->min;
    t->has_max = limits->has_max;
    t->max = limits->has_max && limits->max < UINT32_MAX ? limits->max : UINT32_MAX;
    t->elems = eng_calloc(e, t->size, sizeof *t->elems);
    if (!t->elems)
        goto nomem;
    for (uint32_t i = 0; init && i < t->size; i++)
        t->elems[i] = init;
    *out = t;
    return WEFT_OK;
nomem:
    st = err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "table of %llu elements",
                 (unsigned long long)limits->min);
    budget_give(e, limits->min);
    if (t)
        eng_free(e, t);
    return st;
}

void inst_table_retain(weft_table *t) { atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed); }

void inst_table_release(weft_table *t)
{
    if (!t || atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
        return;
    budget_give(t->engine, t->size);
    eng_free(t->engine, t->elems);
    eng_free(t->engine, t);
}

int64_t inst_table_grow(weft_table *t, uint32_t delta, void *init)
{
    uint32_t old = t->size;
    if ((uint64_t)old + delta > t->max || (uint64_t)old + delta > TABLE_MAX_ELEMS)
        return -1;
    if (delta == 0)
        return old;
    if (!budget_take(t->engine, delta))
        return -1;
    void **ne = eng_realloc(t->engine, t->elems, ((size_t)old + delta) * sizeof *ne);
    if (!ne) {
        budget_give(t->engine, delta);
        return -1;
    }
    for (uint32_t i = old; i < old + delta; i++)
        ne[i] = init;
    t->elems = ne;
    t->size = old + delta;
    return old;
}

static inline bool range_ok(uint32_t size, uint32_t i, uint32_t n)
{
    return (uint64_t)i + n <= size;
}

weft_status inst_table_fill(weft_table *t, uint32_t i, void *val, uint32_t n, weft_error *err)
{
    if (!range_ok(t->size, i, n))
        return err_set(err, WEFT_E_OOB_TABLE, WEFT_NO_OFFSET, NULL);
    for (uint32_t k = 0; k < n; k++)
        t->elems[i + k] = val;
    return WEFT_OK;
}

weft_status inst_table_copy(weft_table *dst, weft_table *src, uint32_t d, uint32_t s, uint32_t n,
                            weft_error *err)
{
    if (!range_ok(dst->size, d, n) || !range_ok(src->size, s, n))
        return err_set(err, WEFT_E_OOB_TABLE, WEFT_NO_OFFSET, NULL);
    if (n)
        memmove(dst->elems + d, src->elems + s, (size_t)n * sizeof *dst->elems);
    return WEFT_OK;
}

weft_status inst_table_init(weft_instance *inst, uint32_t table, uint32_t elem, uint32_t d,
                            uint32_t s, uint32_t n, weft_error *err)
{
    weft_table *t = inst->tables[table];
    void **items = inst->elem_refs[elem];
    uint32_t count = items ? inst->module->elems[elem].count : 0;
    if (!range_ok(t->size, d, n) || !range_ok(count, s, n))
        return err_set(err, WEFT_E_OOB_TABLE, WEFT_NO_OFFSET, NULL);
    if (n)
        memcpy(t->elems + d, items + s, (size_t)n * sizeof *t->elems);
    return WEFT_OK;
}

void inst_elem_drop(weft_instance *inst, uint32_t elem)
{
    inst->elem_dropped[elem] = true;
    eng_free(inst->engine, inst->elem_refs[elem]);
    inst->elem_refs[elem] = NULL;
}

/* ---- public API ------------------------------------------------------------- */

static bool ref_kind_ok(weft_valkind k) { return k == WEFT_FUNCREF || k == WEFT_EXTERNREF; }

static void *ref_of(const weft_val *v)
{
    return v->kind == WEFT_FUNCREF ? (void *)v->of.funcref : v->of.externref;
}

WEFT_API weft_status weft_table_new(weft_engine *engine, weft_valkind elem,
                                    const weft_limits *limits, const weft_val *init,
                                    weft_table **out, weft_error *err)
{
    if (!engine || !limits || !out || !ref_kind_ok(elem) || limits->shared)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                       "a table needs an engine, limits, and funcref or externref elements");
    if (init && init->kind != elem)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                       "initial value of the wrong kind");
    mod_limits l = {.min = limits->min, .max = limits->max, .has_max = limits->has_max};
    return inst_table_new(engine, inst_valtype_of(elem), &l, init ? ref_of(init) : NULL, out, err);
}

WEFT_API void weft_table_free(weft_table *table) { inst_table_release(table); }

WEFT_API uint32_t weft_table_size(const weft_table *table) { return table->size; }

WEFT_API weft_status weft_table_get(const weft_table *table, uint32_t index, weft_val *out,
                                    weft_error *err)
{
    if (index >= table->size)
        return err_set(err, WEFT_E_OOB_TABLE, WEFT_NO_OFFSET, "index %u, size %u", index,
                       table->size);
    out->kind = inst_kind_of(table->elem);
    if (table->elem == VT_FUNCREF)
        out->of.funcref = table->elems[index];
    else
        out->of.externref = table->elems[index];
    return WEFT_OK;
}

WEFT_API weft_status weft_table_set(weft_table *table, uint32_t index, const weft_val *val,
                                    weft_error *err)
{
    if (val->kind != inst_kind_of(table->elem))
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "value of the wrong kind");
    if (index >= table->size)
        return err_set(err, WEFT_E_OOB_TABLE, WEFT_NO_OFFSET, "index %u, size %u", index,
                       table->size);
    table->elems[index] = ref_of(val);
    return WEFT_OK;
}

WEFT_API weft_status weft_table_grow(weft_table *table, uint32_t delta, const weft_val *init,
                                     uint32_t *old_size, weft_error *err)
{
    if (init && init->kind != inst_kind_of(table->elem))
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "value of the wrong kind");
    int64_t old = inst_table_grow(table, delta, init ? ref_of(init) : NULL);
    if (old < 0)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                       "table of %u elements cannot grow by %u", table->size, delta);
    if (old_size)
        *old_size = (uint32_t)old;
    return WEFT_OK;
}

WEFT_API void weft_table_type(const weft_table *table, weft_valkind *elem, weft_limits *limits)
{
    if (elem)
        *elem = inst_kind_of(table->elem);
    if (limits)
        *limits = (weft_limits){.min = table->size, .max = table->has_max ? table->max : 0,
                                .has_max = table->has_max};
}

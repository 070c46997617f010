/*
 * module.c -- modules: wasm_module_new and _validate over weft_module_new,
 * the import and export listings, serialization (the binary itself: weft
 * keeps no compiled form) and sharing between stores.
 *
 * A weft module is immutable and reference counted, so one wasm_module_t may
 * be instantiated in stores on several threads at once, and share/obtain
 * hand over a reference.
 */
#include <stdlib.h>

#include "capi/capi.h"
#include "engine/module.h"

static wasm_module_t *module_handle(wasm_store_t *store, weft_module *module)
{
    wasm_module_t *m = capi_handle_new(store, CAPI_MODULE, sizeof *m);
    if (!m) {
        weft_module_free(module);
        return NULL;
    }
    m->module = module;
    return m;
}

WASM_API_EXTERN wasm_module_t *wasm_module_new(wasm_store_t *store, const wasm_byte_vec_t *binary)
{
    weft_module *module;
    if (weft_module_new(store->engine->engine, (const uint8_t *)binary->data, binary->size,
                        &module, NULL) != WEFT_OK)
        return NULL;
    return module_handle(store, module);
}

WASM_API_EXTERN bool wasm_module_validate(wasm_store_t *store, const wasm_byte_vec_t *binary)
{
    return weft_module_validate(store->engine->engine, (const uint8_t *)binary->data, binary->size,
                                NULL) == WEFT_OK;
}

static void name_of(wasm_name_t *out, weft_name n) { wasm_name_new(out, n.len, n.data); }

WASM_API_EXTERN void wasm_module_imports(const wasm_module_t *m, wasm_importtype_vec_t *out)
{
    uint32_t n = weft_module_import_count(m->module);
    wasm_importtype_vec_new_uninitialized(out, n);
    for (uint32_t i = 0; i < out->size; i++) {
        weft_import_desc d;
        weft_externtype t;
        weft_module_import(m->module, i, &d);
        wasm_name_t module, name;
        name_of(&module, d.module);
        name_of(&name, d.name);
        wasm_externtype_t *type =
            weft_module_import_type(m->module, i, &t) ? capi_externtype_new(&t) : NULL;
        if (!type || module.size != d.module.len || name.size != d.name.len) {
            wasm_name_delete(&module);
            wasm_name_delete(&name);
            wasm_externtype_delete(type);
            wasm_importtype_vec_delete(out);
            return;
        }
        out->data[i] = wasm_importtype_new(&module, &name, type);
        if (!out->data[i]) {
            wasm_importtype_vec_delete(out);
            return;
        }
    }
}

WASM_API_EXTERN void wasm_module_exports(const wasm_module_t *m, wasm_exporttype_vec_t *out)
{
    uint32_t n = weft_module_export_count(m->module);
    wasm_exporttype_vec_new_uninitialized(out, n);
    for (uint32_t i = 0; i < out->size; i++) {
        weft_export_desc d;
        weft_externtype t;
        weft_module_export(m->module, i, &d);
        wasm_name_t name;
        name_of(&name, d.name);
        wasm_externtype_t *type =
            weft_module_export_type(m->module, i, &t) ? capi_externtype_new(&t) : NULL;
        if (!type || name.size != d.name.len) {
            wasm_name_delete(&name);
            wasm_externtype_delete(type);
            wasm_exporttype_vec_delete(out);
            return;
        }
        out->data[i] = wasm_exporttype_new(&name, type);
        if (!out->data[i]) {
            wasm_exporttype_vec_delete(out);
            return;
        }
    }
}

/* weft keeps the module's binary (for offsets in errors and backtraces) and
 * compiles lazily; there is no compiled form to save. */
WASM_API_EXTERN void wasm_module_serialize(const wasm_module_t *m, wasm_byte_vec_t *out)
{
    wasm_byte_vec_new(out, m->module->size, (const wasm_byte_t *)m->module->bytes);
}

WASM_API_EXTERN wasm_module_t *wasm_module_deserialize(wasm_store_t *store,
                                                       const wasm_byte_vec_t *bytes)
{
    return wasm_module_new(store, bytes);
}

/* ---- sharing between stores ---------------------------------------------------------- */

WASM_API_EXTERN wasm_shared_module_t *wasm_module_share(const wasm_module_t *m)
{
    wasm_shared_module_t *s = malloc(sizeof *s);
    if (s) {
        s->module = m->module;
        mod_retain(s->module);
    }
    return s;
}

WASM_API_EXTERN void wasm_shared_module_delete(wasm_shared_module_t *s)
{
    if (!s)
        return;
    weft_module_free(s->module);
    free(s);
}

/* NULL for a store of another engine: the module's code and types are its
 * engine's. */
WASM_API_EXTERN wasm_module_t *wasm_module_obtain(wasm_store_t *store,
                                                  const wasm_shared_module_t *s)
{
    if (s->module->engine != store->engine->engine)
        return NULL;
    mod_retain(s->module);
    return module_handle(store, s->module);
}

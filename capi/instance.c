/*
 * instance.c -- instances: wasm_instance_new over weft_instance_new (imports
 * in the module's order, failures and start traps as wasm_trap_t) and the
 * exports as extern handles.
 *
 * The store owns the weft instance and keeps a handle of its own to it, the
 * one that frames name (wasm_frame_instance); the caller gets a copy.
 */
#include <stdlib.h>

#include "capi/capi.h"
#include "engine/instance.h"

static void set_trap(wasm_trap_t **trap, wasm_trap_t *t)
{
    if (trap)
        *trap = t;
    else if (t)
        wasm_trap_delete(t);
}

static wasm_instance_t *fail(wasm_store_t *store, wasm_trap_t **trap, const char *msg)
{
    set_trap(trap, capi_trap_new(store, msg, strlen(msg)));
    return NULL;
}

WASM_API_EXTERN wasm_instance_t *wasm_instance_new(wasm_store_t *store,
                                                   const wasm_module_t *module,
                                                   const wasm_extern_vec_t *imports,
                                                   wasm_trap_t **trap)
{
    if (trap)
        *trap = NULL;
    size_t n = imports ? imports->size : 0;
    if (n != weft_module_import_count(module->module))
        return fail(store, trap, "wasm_instance_new: the module asks for another number of imports");
    weft_extern *ext = calloc(n ? n : 1, sizeof *ext);
    if (!ext)
        return fail(store, trap, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!imports->data[i]) {
            free(ext);
            return fail(store, trap, "wasm_instance_new: an import is NULL");
        }
        ext[i] = imports->data[i]->ext;
    }
    weft_instance *inst = NULL;
    weft_error err;
    weft_status st = weft_instance_new(module->module, ext, n, &inst, &err);
    free(ext);
    if (st != WEFT_OK) {
        set_trap(trap, capi_trap_from_error(store, &err, module->module));
        return NULL;
    }
    wasm_instance_t *kept = capi_handle_new(store, CAPI_INSTANCE, sizeof *kept);
    if (!kept || !capi_store_own(store, CAPI_INSTANCE, kept)) {
        free(kept);
        weft_instance_free(inst);
        return fail(store, trap, "out of memory");
    }
    kept->instance = inst;
    wasm_instance_t *copy = wasm_instance_copy(kept);
    if (!copy)
        return fail(store, trap, "out of memory");
    return copy;
}

WASM_API_EXTERN void wasm_instance_exports(const wasm_instance_t *instance,
                                           wasm_extern_vec_t *out)
{
    weft_instance *inst = instance->instance;
    /* The exports in the module's order: look each one up by its name. */
    const weft_module *module = inst->module;
    uint32_t n = weft_module_export_count(module);
    wasm_extern_vec_new_uninitialized(out, n);
    for (uint32_t i = 0; i < out->size; i++) {
        weft_export_desc d;
        weft_extern e;
        weft_module_export(module, i, &d);
        if (!weft_instance_export(inst, d.name.data, d.name.len, &e) ||
            !(out->data[i] = capi_extern_new(instance->ref.store, &e))) {
            wasm_extern_vec_delete(out);
            return;
        }
    }
}

/*
 * trap.c -- traps and frames: wasm_trap_new for the host's traps, the traps
 * made from weft's errors (message and backtrace, whose frames carry the
 * function index, the module byte offset and the instance), and the frame
 * accessors.
 */
#include <stdio.h>
#include <stdlib.h>

#include "capi/capi.h"
#include "engine/instance.h"

wasm_trap_t *capi_trap_new(wasm_store_t *store, const char *msg, size_t len)
{
    wasm_trap_t *t = capi_handle_new(store, CAPI_TRAP, sizeof *t);
    if (!t)
        return NULL;
    wasm_byte_vec_new_uninitialized(&t->message, len + 1);
    if (t->message.size != len + 1) {
        free(t);
        return NULL;
    }
    if (len)
        memcpy(t->message.data, msg, len);
    t->message.data[len] = '\0';
    return t;
}

WASM_API_EXTERN wasm_trap_t *wasm_trap_new(wasm_store_t *store, const wasm_message_t *message)
{
    size_t len = message->size;
    /* The message is meant to end with its NUL; one that does not gets one. */
    if (len && message->data[len - 1] == '\0')
        len--;
    return capi_trap_new(store, message->data, len);
}

WASM_API_EXTERN void wasm_trap_message(const wasm_trap_t *t, wasm_message_t *out)
{
    wasm_byte_vec_copy(out, &t->message);
}

WASM_API_EXTERN wasm_frame_t *wasm_trap_origin(const wasm_trap_t *t)
{
    return t->nframes ? wasm_frame_copy(&t->frames[0]) : NULL;
}

WASM_API_EXTERN void wasm_trap_trace(const wasm_trap_t *t, wasm_frame_vec_t *out)
{
    wasm_frame_vec_new_uninitialized(out, t->nframes);
    for (size_t i = 0; i < out->size; i++) {
        out->data[i] = wasm_frame_copy(&t->frames[i]);
        if (!out->data[i]) {
            wasm_frame_vec_delete(out);
            return;
        }
    }
}

/* The frame's offset from the start of its function's body, in module m:
 * the byte after the body's size field (mod_code.offset names the size
 * field). */
static size_t func_offset(const weft_frame *f, const weft_module *m)
{
    if (!m || f->code_offset == UINT32_MAX)
        return SIZE_MAX;
    if (f->func_index < m->nfunc_imports || f->func_index >= m->nfuncs)
        return SIZE_MAX;
    uint32_t at = m->codes[f->func_index - m->nfunc_imports].offset;
    while (at < m->size && (m->bytes[at] & 0x80))
        at++;
    at++;
    return f->code_offset >= at ? f->code_offset - at : SIZE_MAX;
}

/* The frames of err's backtrace, innermost first, into t.  `instantiating`:
 * see capi_trap_from_error. */
static bool set_frames(wasm_trap_t *t, const weft_error *err, const weft_module *instantiating)
{
    size_t n = err->nframes < WEFT_MAX_FRAMES ? err->nframes : WEFT_MAX_FRAMES;
    free(t->frames);
    t->frames = NULL;
    t->nframes = 0;
    if (!n)
        return true;
    t->frames = malloc(n * sizeof *t->frames);
    if (!t->frames)
        return false;
    for (size_t i = 0; i < n; i++) {
        const weft_frame *f = &err->frames[i];
        wasm_instance_t *known = capi_store_instance(t->ref.store, f->instance);
        /* A frame's instance lives while its function runs, but not past a
         * failed instantiation, which frees it: then the frames the store
         * does not know are of the module being instantiated. */
        const weft_module *m = known          ? known->instance->module
                               : instantiating ? instantiating
                               : f->instance   ? f->instance->module
                                               : NULL;
        t->frames[i] = (wasm_frame_t){
            .instance = known,
            .func_index = f->func_index,
            .func_offset = func_offset(f, m),
            .module_offset = f->code_offset == UINT32_MAX ? SIZE_MAX : f->code_offset,
        };
    }
    t->nframes = n;
    return true;
}

wasm_trap_t *capi_trap_from_error(wasm_store_t *store, const weft_error *err,
                                  const weft_module *instantiating)
{
    wasm_trap_t *t = store->pending_trap;
    store->pending_trap = NULL;
    if (t && err->code != WEFT_E_HOST_TRAP) {
        /* Not the host's trap after all: report what weft said. */
        wasm_trap_delete(t);
        t = NULL;
    }
    if (!t) {
        char msg[sizeof err->message + 32];
        int n = snprintf(msg, sizeof msg, "%s", err->message);
        if (err->offset != WEFT_NO_OFFSET && n >= 0 && (size_t)n < sizeof msg)
            snprintf(msg + n, sizeof msg - (size_t)n, " (at offset 0x%llx)",
                     (unsigned long long)err->offset);
        t = capi_trap_new(store, msg, strlen(msg));
        if (!t)
            return NULL;
    }
    if (err->status == WEFT_TRAP && !set_frames(t, err, instantiating)) {
        wasm_trap_delete(t);
        return NULL;
    }
    return t;
}

/* ---- frames ---------------------------------------------------------------------- */

WASM_API_EXTERN void wasm_frame_delete(wasm_frame_t *f) { free(f); }

WASM_API_EXTERN wasm_frame_t *wasm_frame_copy(const wasm_frame_t *src)
{
    wasm_frame_t *f = malloc(sizeof *f);
    if (f)
        *f = *src;
    return f;
}

WASM_API_EXTERN wasm_instance_t *wasm_frame_instance(const wasm_frame_t *f) { return f->instance; }

WASM_API_EXTERN uint32_t wasm_frame_func_index(const wasm_frame_t *f) { return f->func_index; }

WASM_API_EXTERN size_t wasm_frame_func_offset(const wasm_frame_t *f) { return f->func_offset; }

WASM_API_EXTERN size_t wasm_frame_module_offset(const wasm_frame_t *f) { return f->module_offset; }

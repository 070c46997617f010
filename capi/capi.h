/*
 * capi.h -- the standard WebAssembly C API (include/wasm.h) over weft's own
 * (include/weft.h): the layout of the handles that every capi/ file shares,
 * and the conversions between the two APIs' values, types and errors.
 *
 * Handles and objects.  A handle (wasm_func_t, wasm_memory_t, ...) is a small
 * malloc'd struct that names a weft object; the object itself belongs to the
 * store, which keeps one reference on every object made in it (host
 * functions, globals, tables, memories, instances) and ends them all in
 * wasm_store_delete.  So deleting a handle never ends an object that wasm
 * may still reach through a table, a global or an import, and a handle stays
 * valid while its store lives.
 *
 * Every handle starts with a wasm_ref_t (kind, store, host info), which is
 * what wasm_X_as_ref returns; functions, globals, tables and memories start
 * with a wasm_extern_t (a wasm_ref_t and the weft_extern), which is what
 * wasm_X_as_extern returns.  Conversions are casts after a kind check.
 *
 * References as externref.  weft passes an externref through wasm as an
 * opaque pointer.  The pointer capi/ gives it is a capi_box owned by the
 * store: a foreign object's box is made with it; any other reference passed
 * as an externref gets a box of its own.  A reference coming back from wasm
 * becomes a new handle to the box's object, so wasm_ref_same holds.
 *
 * Threads: a store and its handles are used by one thread at a time (the
 * standard's rule), so nothing here locks; an engine and a module are
 * immutable after creation and used from any thread (weft's engine and
 * module are thread-safe).
 */
#ifndef WEFT_CAPI_H
#define WEFT_CAPI_H

#include "engine/internal.h"
#include "wasm.h"

typedef enum capi_kind {
    CAPI_FUNC,
    CAPI_GLOBAL,
    CAPI_TABLE,
    CAPI_MEMORY,
    CAPI_FOREIGN,
    CAPI_MODULE,
    CAPI_INSTANCE,
    CAPI_TRAP,
} capi_kind;

struct wasm_config_t {
    weft_config config;
};

struct wasm_engine_t {
    weft_engine *engine;
};

/* What the store ends when it is deleted: a weft object of `kind` (one
 * reference), a capi_box (CAPI_FOREIGN), or the store's own handle of an
 * instance (CAPI_INSTANCE: a wasm_instance_t, which wasm_frame_instance
 * returns). */
typedef struct capi_owned {
    capi_kind kind;
    void *object;
} capi_owned;

struct wasm_store_t {
    wasm_engine_t *engine;
    capi_owned *owned;
    size_t nowned, owned_cap;
    /* A host callback's trap on its way through wasm to the wasm_func_call
     * that called it (weft carries only a message of bounded length): that
     * call gives this trap to its caller, with the wasm frames. */
    wasm_trap_t *pending_trap;
};

struct wasm_ref_t {
    capi_kind kind;
    wasm_store_t *store;
    void *host_info;
    void (*finalizer)(void *);
};

/* A reference's object in a store, as wasm holds it in an externref. */
typedef struct capi_box {
    capi_kind kind;
    void *object; /* the weft object, module or instance; the box itself for foreign */
} capi_box;

struct wasm_extern_t {
    wasm_ref_t ref;
    weft_extern ext;
};
struct wasm_func_t {
    wasm_extern_t ext;
};
struct wasm_global_t {
    wasm_extern_t ext;
};
struct wasm_table_t {
    wasm_extern_t ext;
};
struct wasm_memory_t {
    wasm_extern_t ext;
};

struct wasm_foreign_t {
    wasm_ref_t ref;
    capi_box *box;
};

struct wasm_module_t {
    wasm_ref_t ref;
    weft_module *module; /* one reference */
};

struct wasm_shared_module_t {
    weft_module *module; /* one reference */
};

struct wasm_instance_t {
    wasm_ref_t ref;
    weft_instance *instance; /* the store's */
};

struct wasm_frame_t {
    wasm_instance_t *instance; /* the store's handle, or NULL */
    uint32_t func_index;
    size_t func_offset;
    size_t module_offset;
};

struct wasm_trap_t {
    wasm_ref_t ref;
    wasm_message_t message; /* NUL-terminated, the NUL counted */
    size_t nframes;
    wasm_frame_t *frames;
};

/* The types: every kind of type is a wasm_externtype_t, so that the
 * as_externtype conversions are casts. */
struct wasm_valtype_t {
    wasm_valkind_t kind;
};

struct wasm_externtype_t {
    wasm_externkind_t kind;
    wasm_valtype_vec_t params, results; /* FUNC                      */
    wasm_valtype_t *content;            /* GLOBAL: the value type    */
    wasm_mutability_t mutability;       /* GLOBAL                    */
    wasm_valtype_t *element;            /* TABLE                     */
    wasm_limits_t limits;               /* TABLE, MEMORY             */
    bool shared;                        /* MEMORY: a shared memory (not in the standard) */
};
struct wasm_functype_t {
    wasm_externtype_t e;
};
struct wasm_globaltype_t {
    wasm_externtype_t e;
};
struct wasm_tabletype_t {
    wasm_externtype_t e;
};
struct wasm_memorytype_t {
    wasm_externtype_t e;
};

struct wasm_importtype_t {
    wasm_name_t module, name;
    wasm_externtype_t *type;
};

struct wasm_exporttype_t {
    wasm_name_t name;
    wasm_externtype_t *type;
};

/* ---- stores (capi/store.c) ---------------------------------------------------- */

/* Hands the store one reference on `object` to end in wasm_store_delete;
 * false (and nothing is kept) when out of memory. */
WEFT_INTERNAL bool capi_store_own(wasm_store_t *store, capi_kind kind, void *object);
/* The store's handle of `instance`, or NULL. */
WEFT_INTERNAL wasm_instance_t *capi_store_instance(const wasm_store_t *store,
                                                   const weft_instance *instance);

/* ---- references (capi/ref.c) --------------------------------------------------- */

/* A new handle of `size` bytes starting with a wasm_ref_t of `kind`; NULL
 * when out of memory. */
WEFT_INTERNAL void *capi_handle_new(wasm_store_t *store, capi_kind kind, size_t size);
/* Runs the host info's finalizer and frees the handle (not its object). */
WEFT_INTERNAL void capi_handle_free(wasm_ref_t *ref);
/* A new extern handle of the kind of `ext`; NULL when out of memory. */
WEFT_INTERNAL wasm_extern_t *capi_extern_new(wasm_store_t *store, const weft_extern *ext);

/* ---- values (capi/val.c) ---------------------------------------------------------- */

/* wasm_val_t -> weft_val, by the kind the value declares; false for an
 * unknown kind, a reference of the wrong kind or no memory for a box. */
WEFT_INTERNAL bool capi_val_to_weft(wasm_store_t *store, const wasm_val_t *in, weft_val *out);
/* weft_val -> wasm_val_t; a reference becomes a new handle (own).  False
 * for a v128 (out gets kind WEFT_WASM_V128 and zero) or when out of memory. */
WEFT_INTERNAL bool capi_val_from_weft(wasm_store_t *store, const weft_val *in, wasm_val_t *out);
/* A table's element for `ref` of `elem` kind: false for a reference of the
 * wrong kind. */
WEFT_INTERNAL bool capi_ref_to_weft(wasm_store_t *store, wasm_ref_t *ref, weft_valkind elem,
                                    weft_val *out);

/* ---- types (capi/types.c) ----------------------------------------------------------- */

WEFT_INTERNAL wasm_valkind_t capi_valkind(weft_valkind k);
/* false for a kind weft does not know */
WEFT_INTERNAL bool capi_weft_valkind(wasm_valkind_t k, weft_valkind *out);
WEFT_INTERNAL wasm_externkind_t capi_externkind(weft_extern_kind k);
WEFT_INTERNAL wasm_limits_t capi_limits(const weft_limits *l);
WEFT_INTERNAL weft_limits capi_weft_limits(const wasm_limits_t *l);
/* A new type from weft's; NULL when out of memory. */
WEFT_INTERNAL wasm_functype_t *capi_functype_new(const weft_functype *t);
WEFT_INTERNAL wasm_externtype_t *capi_externtype_new(const weft_externtype *t);
/* weft's function type of `t`: the kinds go to `kinds` (room for params and
 * results); false for a kind weft does not know. */
WEFT_INTERNAL bool capi_weft_functype(const wasm_functype_t *t, weft_valkind *kinds,
                                      weft_functype *out);

/* ---- traps (capi/trap.c) -------------------------------------------------------------- */

/* A trap with message `msg` (len bytes, a NUL is added) and no frames. */
WEFT_INTERNAL wasm_trap_t *capi_trap_new(wasm_store_t *store, const char *msg, size_t len);
/* A trap from a failed weft call: its message and its backtrace, or the
 * store's pending host trap with the backtrace.  `instantiating`: the module
 * whose instantiation failed with err (its start function trapped), else
 * NULL; weft has freed that instance, whose frames then use this module. */
WEFT_INTERNAL wasm_trap_t *capi_trap_from_error(wasm_store_t *store, const weft_error *err,
                                                const weft_module *instantiating);

#endif /* WEFT_CAPI_H */

/*
 * wasm.h -- the standard WebAssembly C API (the interface of the
 * WebAssembly/wasm-c-api project, which other engines implement too), over
 * weft.  A program written against that interface compiles against this
 * header unchanged and links libweft.  This file is weft's own; only the
 * names and signatures follow the standard.
 *
 * Ownership
 *  - `own` marks what changes hands: an `own` parameter is taken by the
 *    callee (the caller must not use or delete it afterwards), an `own` result
 *    or out-parameter is given to the caller, who deletes it with the matching
 *    wasm_*_delete.  Everything else is borrowed.
 *  - A vector owns its elements: wasm_*_vec_delete deletes each of them.
 *  - Every object made in a store (functions, globals, tables, memories,
 *    foreign objects, instances, modules, traps) may be used only while that
 *    store lives.  Handles are separate from what they name: deleting a
 *    wasm_func_t handle does not end the function, which the store keeps
 *    until wasm_store_delete.
 *
 * Threads: an engine is usable from any thread; a store and everything made
 * in it belong to one thread at a time.  A module may be instantiated in
 * several stores on several threads at once (it is immutable), so a host can
 * run one store per thread over one engine and one module.
 *
 * What weft does not support (documented on each function): v128 values
 * cannot cross this API; wasm_module_serialize gives the module's binary
 * (weft keeps no compiled form), which wasm_module_deserialize compiles again.
 */
#ifndef WASM_H
#define WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef WASM_API_EXTERN
#if defined(WEFT_BUILDING)
#define WASM_API_EXTERN __attribute__((visibility("default")))
#else
#define WASM_API_EXTERN
#endif
#endif

/* Marks what changes hands (see above); expands to nothing. */
#define own

typedef char byte_t;
typedef float float32_t;
typedef double float64_t;
typedef byte_t wasm_byte_t;

/* ------------------------------------------------------------------------ */
/* The families every object type has                                       */
/* ------------------------------------------------------------------------ */

/* wasm_NAME_t and its delete. */
#define WASM_DECLARE_OWN(name)                                      \
    typedef struct wasm_##name##_t wasm_##name##_t;                 \
    WASM_API_EXTERN void wasm_##name##_delete(own wasm_##name##_t *);

/* wasm_NAME_vec_t, a sized array of ELEM (an element type, or a pointer to
 * one), with its constructors, copy and delete. */
#define WASM_DECLARE_VEC_OF(name, elem)                                                  \
    typedef struct wasm_##name##_vec_t {                                                 \
        size_t size;                                                                     \
        elem *data;                                                                      \
    } wasm_##name##_vec_t;                                                               \
    WASM_API_EXTERN void wasm_##name##_vec_new_empty(own wasm_##name##_vec_t *out);      \
    WASM_API_EXTERN void wasm_##name##_vec_new_uninitialized(own wasm_##name##_vec_t *out, \
                                                             size_t size);               \
    WASM_API_EXTERN void wasm_##name##_vec_new(own wasm_##name##_vec_t *out, size_t size, \
                                               own elem const data[]);                  \
    WASM_API_EXTERN void wasm_##name##_vec_copy(own wasm_##name##_vec_t *out,            \
                                                const wasm_##name##_vec_t *src);         \
    WASM_API_EXTERN void wasm_##name##_vec_delete(own wasm_##name##_vec_t *);

/* The standard's spelling: `ptr_or_none` is `*` for vectors of pointers. */
#define WASM_DECLARE_VEC(name, ptr_or_none) WASM_DECLARE_VEC_OF(name, wasm_##name##_t ptr_or_none)

/* A type: owned, copied, kept in vectors of pointers. */
#define WASM_DECLARE_TYPE(name)                                                       \
    WASM_DECLARE_OWN(name)                                                            \
    WASM_DECLARE_VEC(name, *)                                                         \
    WASM_API_EXTERN own wasm_##name##_t *wasm_##name##_copy(const wasm_##name##_t *);

/* Host info: a pointer the host attaches to a handle, with an optional
 * finalizer run on it when the handle is deleted or the info replaced. */
#define WASM_DECLARE_HOST_INFO(name)                                                      \
    WASM_API_EXTERN void *wasm_##name##_get_host_info(const wasm_##name##_t *);           \
    WASM_API_EXTERN void wasm_##name##_set_host_info(wasm_##name##_t *, void *);          \
    WASM_API_EXTERN void wasm_##name##_set_host_info_with_finalizer(wasm_##name##_t *, void *, \
                                                                    void (*)(void *));

/* A reference-like object: copy gives a new handle to the same object, same
 * says whether two handles name one object. */
#define WASM_DECLARE_REF_BASE(name)                                                      \
    WASM_DECLARE_OWN(name)                                                               \
    WASM_API_EXTERN own wasm_##name##_t *wasm_##name##_copy(const wasm_##name##_t *);    \
    WASM_API_EXTERN bool wasm_##name##_same(const wasm_##name##_t *,                     \
                                            const wasm_##name##_t *);                    \
    WASM_DECLARE_HOST_INFO(name)

/* ... that also converts to and from wasm_ref_t (borrowed: the same handle). */
#define WASM_DECLARE_REF(name)                                                           \
    WASM_DECLARE_REF_BASE(name)                                                          \
    WASM_API_EXTERN wasm_ref_t *wasm_##name##_as_ref(wasm_##name##_t *);                 \
    WASM_API_EXTERN wasm_##name##_t *wasm_ref_as_##name(wasm_ref_t *);                   \
    WASM_API_EXTERN const wasm_ref_t *wasm_##name##_as_ref_const(const wasm_##name##_t *); \
    WASM_API_EXTERN const wasm_##name##_t *wasm_ref_as_##name##_const(const wasm_ref_t *);

/* ... that can also be handed to another store (another thread). */
#define WASM_DECLARE_SHARABLE_REF(name)                                                  \
    WASM_DECLARE_REF(name)                                                               \
    WASM_DECLARE_OWN(shared_##name)                                                      \
    WASM_API_EXTERN own wasm_shared_##name##_t *wasm_##name##_share(const wasm_##name##_t *); \
    WASM_API_EXTERN own wasm_##name##_t *wasm_##name##_obtain(wasm_store_t *,            \
                                                              const wasm_shared_##name##_t *);

/* ------------------------------------------------------------------------ */
/* Bytes and names                                                          */
/* ------------------------------------------------------------------------ */

WASM_DECLARE_VEC(byte, )

/* A name: UTF-8 bytes, not NUL-terminated (size counts the bytes). */
typedef wasm_byte_vec_t wasm_name_t;
#define wasm_name wasm_byte_vec
#define wasm_name_new wasm_byte_vec_new
#define wasm_name_new_empty wasm_byte_vec_new_empty
#define wasm_name_new_uninitialized wasm_byte_vec_new_uninitialized
#define wasm_name_copy wasm_byte_vec_copy
#define wasm_name_delete wasm_byte_vec_delete

static inline void wasm_name_new_from_string(own wasm_name_t *out, own const char *s)
{
    wasm_name_new(out, strlen(s), s);
}

/* The same, with the terminating NUL counted in size (a wasm_message_t). */
static inline void wasm_name_new_from_string_nt(own wasm_name_t *out, own const char *s)
{
    wasm_name_new(out, strlen(s) + 1, s);
}

/* ------------------------------------------------------------------------ */
/* Runtime environment                                                      */
/* ------------------------------------------------------------------------ */

/* Engine settings: weft's defaults (weft_config_init, so WEFT_TIER applies). */
WASM_DECLARE_OWN(config)
WASM_API_EXTERN own wasm_config_t *wasm_config_new(void);

/* An engine: shared by any number of stores and threads. */
WASM_DECLARE_OWN(engine)
WASM_API_EXTERN own wasm_engine_t *wasm_engine_new(void);
WASM_API_EXTERN own wasm_engine_t *wasm_engine_new_with_config(own wasm_config_t *);

/* A store: the objects of one thread of the host.  Delete it before its
 * engine; deleting it ends everything made in it. */
WASM_DECLARE_OWN(store)
WASM_API_EXTERN own wasm_store_t *wasm_store_new(wasm_engine_t *);

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

typedef uint8_t wasm_mutability_t;
enum wasm_mutability_enum {
    WASM_CONST,
    WASM_VAR,
};

/* Sizes of tables (elements) and memories (64 KiB pages); no maximum is
 * wasm_limits_max_default. */
typedef struct wasm_limits_t {
    uint32_t min;
    uint32_t max;
} wasm_limits_t;

static const uint32_t wasm_limits_max_default = 0xffffffff;

WASM_DECLARE_TYPE(valtype)

typedef uint8_t wasm_valkind_t;
enum wasm_valkind_enum {
    WASM_I32,
    WASM_I64,
    WASM_F32,
    WASM_F64,
    WASM_EXTERNREF = 128,
    WASM_FUNCREF,
};
/* The earlier name of externref in the standard. */
#define WASM_ANYREF WASM_EXTERNREF

/* A v128 in a module's signatures shows as this kind (weft's; not in the
 * standard, which has no v128): such a function cannot be called, nor such
 * a global read, through this API. */
#define WEFT_WASM_V128 ((wasm_valkind_t)4)

WASM_API_EXTERN own wasm_valtype_t *wasm_valtype_new(wasm_valkind_t);
WASM_API_EXTERN wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t *);

static inline bool wasm_valkind_is_num(wasm_valkind_t k) { return k < WASM_EXTERNREF; }
static inline bool wasm_valkind_is_ref(wasm_valkind_t k) { return k >= WASM_EXTERNREF; }
static inline bool wasm_valtype_is_num(const wasm_valtype_t *t)
{
    return wasm_valkind_is_num(wasm_valtype_kind(t));
}
static inline bool wasm_valtype_is_ref(const wasm_valtype_t *t)
{
    return wasm_valkind_is_ref(wasm_valtype_kind(t));
}

WASM_DECLARE_TYPE(functype)
WASM_API_EXTERN own wasm_functype_t *wasm_functype_new(own wasm_valtype_vec_t *params,
                                                       own wasm_valtype_vec_t *results);
WASM_API_EXTERN const wasm_valtype_vec_t *wasm_functype_params(const wasm_functype_t *);
WASM_API_EXTERN const wasm_valtype_vec_t *wasm_functype_results(const wasm_functype_t *);

WASM_DECLARE_TYPE(globaltype)
WASM_API_EXTERN own wasm_globaltype_t *wasm_globaltype_new(own wasm_valtype_t *,
                                                           wasm_mutability_t);
WASM_API_EXTERN const wasm_valtype_t *wasm_globaltype_content(const wasm_globaltype_t *);
WASM_API_EXTERN wasm_mutability_t wasm_globaltype_mutability(const wasm_globaltype_t *);

WASM_DECLARE_TYPE(tabletype)
WASM_API_EXTERN own wasm_tabletype_t *wasm_tabletype_new(own wasm_valtype_t *,
                                                         const wasm_limits_t *);
WASM_API_EXTERN const wasm_valtype_t *wasm_tabletype_element(const wasm_tabletype_t *);
WASM_API_EXTERN const wasm_limits_t *wasm_tabletype_limits(const wasm_tabletype_t *);

/* A memory type made here is never shared.  One taken from a module (an
 * import or export of a shared memory) remembers that the memory is shared,
 * so wasm_memory_new with it makes a shared memory the module can import. */
WASM_DECLARE_TYPE(memorytype)
WASM_API_EXTERN own wasm_memorytype_t *wasm_memorytype_new(const wasm_limits_t *);
WASM_API_EXTERN const wasm_limits_t *wasm_memorytype_limits(const wasm_memorytype_t *);

WASM_DECLARE_TYPE(externtype)

typedef uint8_t wasm_externkind_t;
enum wasm_externkind_enum {
    WASM_EXTERN_FUNC,
    WASM_EXTERN_GLOBAL,
    WASM_EXTERN_TABLE,
    WASM_EXTERN_MEMORY,
};

WASM_API_EXTERN wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t *);

/* Conversions between a type and its externtype view: the same object,
 * borrowed.  externtype -> a kind it is not gives NULL. */
#define WASM_DECLARE_EXTERNTYPE_VIEW(name)                                                   \
    WASM_API_EXTERN wasm_externtype_t *wasm_##name##_as_externtype(wasm_##name##_t *);       \
    WASM_API_EXTERN const wasm_externtype_t *wasm_##name##_as_externtype_const(              \
        const wasm_##name##_t *);                                                            \
    WASM_API_EXTERN wasm_##name##_t *wasm_externtype_as_##name(wasm_externtype_t *);         \
    WASM_API_EXTERN const wasm_##name##_t *wasm_externtype_as_##name##_const(                \
        const wasm_externtype_t *);

WASM_DECLARE_EXTERNTYPE_VIEW(functype)
WASM_DECLARE_EXTERNTYPE_VIEW(globaltype)
WASM_DECLARE_EXTERNTYPE_VIEW(tabletype)
WASM_DECLARE_EXTERNTYPE_VIEW(memorytype)

WASM_DECLARE_TYPE(importtype)
WASM_API_EXTERN own wasm_importtype_t *wasm_importtype_new(own wasm_name_t *module,
                                                           own wasm_name_t *name,
                                                           own wasm_externtype_t *);
WASM_API_EXTERN const wasm_name_t *wasm_importtype_module(const wasm_importtype_t *);
WASM_API_EXTERN const wasm_name_t *wasm_importtype_name(const wasm_importtype_t *);
WASM_API_EXTERN const wasm_externtype_t *wasm_importtype_type(const wasm_importtype_t *);

WASM_DECLARE_TYPE(exporttype)
WASM_API_EXTERN own wasm_exporttype_t *wasm_exporttype_new(own wasm_name_t *,
                                                           own wasm_externtype_t *);
WASM_API_EXTERN const wasm_name_t *wasm_exporttype_name(const wasm_exporttype_t *);
WASM_API_EXTERN const wasm_externtype_t *wasm_exporttype_type(const wasm_exporttype_t *);

/* ------------------------------------------------------------------------ */
/* Values                                                                   */
/* ------------------------------------------------------------------------ */

struct wasm_ref_t;

/* A value.  A reference (kind WASM_EXTERNREF or WASM_FUNCREF) is a handle:
 * a value given to the caller owns it (wasm_val_delete deletes it); NULL is
 * the null reference. */
typedef struct wasm_val_t {
    wasm_valkind_t kind;
    union {
        int32_t i32;
        int64_t i64;
        float32_t f32;
        float64_t f64;
        struct wasm_ref_t *ref;
    } of;
} wasm_val_t;

WASM_API_EXTERN void wasm_val_delete(own wasm_val_t *v);
WASM_API_EXTERN void wasm_val_copy(own wasm_val_t *out, const wasm_val_t *);

WASM_DECLARE_VEC(val, )

/* ------------------------------------------------------------------------ */
/* References                                                               */
/* ------------------------------------------------------------------------ */

/* Every object below is also a wasm_ref_t (wasm_X_as_ref).  A reference
 * passed to wasm as an externref comes back as a new handle to the same
 * object (wasm_ref_same says so). */
WASM_DECLARE_REF_BASE(ref)

/* Frames of a trap's backtrace, innermost first. */
WASM_DECLARE_OWN(frame)
WASM_DECLARE_VEC(frame, *)
WASM_API_EXTERN own wasm_frame_t *wasm_frame_copy(const wasm_frame_t *);

struct wasm_instance_t;
/* The instance whose function the frame is in: a handle the store keeps
 * (borrowed; do not delete it). */
WASM_API_EXTERN struct wasm_instance_t *wasm_frame_instance(const wasm_frame_t *);
/* The function's index in its module's function space. */
WASM_API_EXTERN uint32_t wasm_frame_func_index(const wasm_frame_t *);
/* Byte offset of the frame's instruction from the start of the function's
 * body (its locals, right after the body's size), and from the start of the
 * module binary.  (size_t)-1 when unknown. */
WASM_API_EXTERN size_t wasm_frame_func_offset(const wasm_frame_t *);
WASM_API_EXTERN size_t wasm_frame_module_offset(const wasm_frame_t *);

/* A trap: a message (NUL-terminated, the NUL counted in size) and, for one
 * raised while wasm ran, the wasm frames at that point. */
typedef wasm_name_t wasm_message_t;

WASM_DECLARE_REF(trap)
WASM_API_EXTERN own wasm_trap_t *wasm_trap_new(wasm_store_t *store, const wasm_message_t *);
WASM_API_EXTERN void wasm_trap_message(const wasm_trap_t *, own wasm_message_t *out);
/* The innermost frame, or NULL when the trap has none. */
WASM_API_EXTERN own wasm_frame_t *wasm_trap_origin(const wasm_trap_t *);
WASM_API_EXTERN void wasm_trap_trace(const wasm_trap_t *, own wasm_frame_vec_t *out);

/* A host object with no contents, for the host's own references. */
WASM_DECLARE_REF(foreign)
WASM_API_EXTERN own wasm_foreign_t *wasm_foreign_new(wasm_store_t *);

/* ------------------------------------------------------------------------ */
/* Modules                                                                  */
/* ------------------------------------------------------------------------ */

WASM_DECLARE_SHARABLE_REF(module)

/* Decodes and validates a binary; NULL if it is malformed or invalid. */
WASM_API_EXTERN own wasm_module_t *wasm_module_new(wasm_store_t *, const wasm_byte_vec_t *binary);
WASM_API_EXTERN bool wasm_module_validate(wasm_store_t *, const wasm_byte_vec_t *binary);

WASM_API_EXTERN void wasm_module_imports(const wasm_module_t *, own wasm_importtype_vec_t *out);
WASM_API_EXTERN void wasm_module_exports(const wasm_module_t *, own wasm_exporttype_vec_t *out);

/* weft keeps no compiled form of a module: serialize gives the module's
 * binary, and deserialize decodes and validates it again (wasm_module_new). */
WASM_API_EXTERN void wasm_module_serialize(const wasm_module_t *, own wasm_byte_vec_t *out);
WASM_API_EXTERN own wasm_module_t *wasm_module_deserialize(wasm_store_t *,
                                                           const wasm_byte_vec_t *);

/* ------------------------------------------------------------------------ */
/* Functions                                                                */
/* ------------------------------------------------------------------------ */

WASM_DECLARE_REF(func)

/* A host function's callback: `args` are borrowed; `results` comes sized to
 * the function's results, and the callback fills it (references it puts there
 * are taken).  Returning a trap (own) traps the wasm caller with it. */
typedef own wasm_trap_t *(*wasm_func_callback_t)(const wasm_val_vec_t *args,
                                                 own wasm_val_vec_t *results);
typedef own wasm_trap_t *(*wasm_func_callback_with_env_t)(void *env, const wasm_val_vec_t *args,
                                                          own wasm_val_vec_t *results);

WASM_API_EXTERN own wasm_func_t *wasm_func_new(wasm_store_t *, const wasm_functype_t *,
                                               wasm_func_callback_t);
/* `finalizer`, if not NULL, runs on `env` when the function ends: when its
 * store is deleted (instances that import it may use it until then). */
WASM_API_EXTERN own wasm_func_t *wasm_func_new_with_env(wasm_store_t *, const wasm_functype_t *type,
                                                        wasm_func_callback_with_env_t, void *env,
                                                        void (*finalizer)(void *));

WASM_API_EXTERN own wasm_functype_t *wasm_func_type(const wasm_func_t *);
WASM_API_EXTERN size_t wasm_func_param_arity(const wasm_func_t *);
WASM_API_EXTERN size_t wasm_func_result_arity(const wasm_func_t *);

/* Calls the function: `args` must match its parameters, `results` must have
 * room for exactly its results (e.g. WASM_ARRAY_VEC of an array).  Returns
 * NULL, or the trap (wrong arguments are a trap too, with nothing run). */
WASM_API_EXTERN own wasm_trap_t *wasm_func_call(const wasm_func_t *, const wasm_val_vec_t *args,
                                                wasm_val_vec_t *results);

/* ------------------------------------------------------------------------ */
/* Globals                                                                  */
/* ------------------------------------------------------------------------ */

WASM_DECLARE_REF(global)

/* NULL if the value's kind is not the type's. */
WASM_API_EXTERN own wasm_global_t *wasm_global_new(wasm_store_t *, const wasm_globaltype_t *,
                                                   const wasm_val_t *);
WASM_API_EXTERN own wasm_globaltype_t *wasm_global_type(const wasm_global_t *);
WASM_API_EXTERN void wasm_global_get(const wasm_global_t *, own wasm_val_t *out);
/* Does nothing for an immutable global or a value of the wrong kind (the
 * standard gives set no way to fail). */
WASM_API_EXTERN void wasm_global_set(wasm_global_t *, const wasm_val_t *);

/* ------------------------------------------------------------------------ */
/* Tables                                                                   */
/* ------------------------------------------------------------------------ */

WASM_DECLARE_REF(table)

typedef uint32_t wasm_table_size_t;

/* Every element starts as `init` (NULL: null).  NULL on bad limits. */
WASM_API_EXTERN own wasm_table_t *wasm_table_new(wasm_store_t *, const wasm_tabletype_t *,
                                                 wasm_ref_t *init);
WASM_API_EXTERN own wasm_tabletype_t *wasm_table_type(const wasm_table_t *);
/* NULL for a null element and for an index out of bounds. */
WASM_API_EXTERN own wasm_ref_t *wasm_table_get(const wasm_table_t *, wasm_table_size_t index);
/* False (nothing changes) out of bounds or for a reference of the wrong kind. */
WASM_API_EXTERN bool wasm_table_set(wasm_table_t *, wasm_table_size_t index, wasm_ref_t *);
WASM_API_EXTERN wasm_table_size_t wasm_table_size(const wasm_table_t *);
/* False (nothing changes) past the maximum or when out of memory. */
WASM_API_EXTERN bool wasm_table_grow(wasm_table_t *, wasm_table_size_t delta, wasm_ref_t *init);

/* ------------------------------------------------------------------------ */
/* Memories                                                                 */
/* ------------------------------------------------------------------------ */

WASM_DECLARE_REF(memory)

typedef uint32_t wasm_memory_pages_t;

static const size_t MEMORY_PAGE_SIZE = 0x10000;

WASM_API_EXTERN own wasm_memory_t *wasm_memory_new(wasm_store_t *, const wasm_memorytype_t *);
WASM_API_EXTERN own wasm_memorytype_t *wasm_memory_type(const wasm_memory_t *);
/* The base: it never moves, growth included. */
WASM_API_EXTERN byte_t *wasm_memory_data(wasm_memory_t *);
/* The size in bytes, and in pages. */
WASM_API_EXTERN size_t wasm_memory_data_size(const wasm_memory_t *);
WASM_API_EXTERN wasm_memory_pages_t wasm_memory_size(const wasm_memory_t *);
/* False (nothing changes) past the maximum or when out of memory. */
WASM_API_EXTERN bool wasm_memory_grow(wasm_memory_t *, wasm_memory_pages_t delta);

/* ------------------------------------------------------------------------ */
/* Externals                                                                */
/* ------------------------------------------------------------------------ */

WASM_DECLARE_REF(extern)
WASM_DECLARE_VEC(extern, *)

WASM_API_EXTERN wasm_externkind_t wasm_extern_kind(const wasm_extern_t *);
WASM_API_EXTERN own wasm_externtype_t *wasm_extern_type(const wasm_extern_t *);

/* Conversions between an object and its extern view: the same handle,
 * borrowed.  extern -> a kind it is not gives NULL. */
#define WASM_DECLARE_EXTERN_VIEW(name)                                                   \
    WASM_API_EXTERN wasm_extern_t *wasm_##name##_as_extern(wasm_##name##_t *);           \
    WASM_API_EXTERN const wasm_extern_t *wasm_##name##_as_extern_const(                  \
        const wasm_##name##_t *);                                                        \
    WASM_API_EXTERN wasm_##name##_t *wasm_extern_as_##name(wasm_extern_t *);             \
    WASM_API_EXTERN const wasm_##name##_t *wasm_extern_as_##name##_const(const wasm_extern_t *);

WASM_DECLARE_EXTERN_VIEW(func)
WASM_DECLARE_EXTERN_VIEW(global)
WASM_DECLARE_EXTERN_VIEW(table)
WASM_DECLARE_EXTERN_VIEW(memory)

/* ------------------------------------------------------------------------ */
/* Instances                                                                */
/* ------------------------------------------------------------------------ */

WASM_DECLARE_REF(instance)

/* Instantiates `module` in the store with `imports` in the order of
 * wasm_module_imports (NULL: none).  On failure returns NULL and, if `trap`
 * is not NULL, sets *trap: the start function's trap, or a trap whose
 * message says why linking or instantiation failed.  *trap is set to NULL on
 * success. */
WASM_API_EXTERN own wasm_instance_t *wasm_instance_new(wasm_store_t *, const wasm_module_t *,
                                                       const wasm_extern_vec_t *imports,
                                                       own wasm_trap_t **trap);

/* The exports, in the order of wasm_module_exports. */
WASM_API_EXTERN void wasm_instance_exports(const wasm_instance_t *, own wasm_extern_vec_t *out);

/* ------------------------------------------------------------------------ */
/* Conveniences                                                             */
/* ------------------------------------------------------------------------ */

#define WASM_EMPTY_VEC {0, NULL}
#define WASM_ARRAY_VEC(array) {sizeof(array) / sizeof(*(array)), array}

#define WASM_I32_VAL(x) {.kind = WASM_I32, .of = {.i32 = (x)}}
#define WASM_I64_VAL(x) {.kind = WASM_I64, .of = {.i64 = (x)}}
#define WASM_F32_VAL(x) {.kind = WASM_F32, .of = {.f32 = (x)}}
#define WASM_F64_VAL(x) {.kind = WASM_F64, .of = {.f64 = (x)}}
#define WASM_REF_VAL(x) {.kind = WASM_EXTERNREF, .of = {.ref = (x)}}
#define WASM_INIT_VAL {.kind = WASM_EXTERNREF, .of = {.ref = NULL}}

static inline own wasm_valtype_t *wasm_valtype_new_i32(void) { return wasm_valtype_new(WASM_I32); }
static inline own wasm_valtype_t *wasm_valtype_new_i64(void) { return wasm_valtype_new(WASM_I64); }
static inline own wasm_valtype_t *wasm_valtype_new_f32(void) { return wasm_valtype_new(WASM_F32); }
static inline own wasm_valtype_t *wasm_valtype_new_f64(void) { return wasm_valtype_new(WASM_F64); }
static inline own wasm_valtype_t *wasm_valtype_new_externref(void)
{
    return wasm_valtype_new(WASM_EXTERNREF);
}
static inline own wasm_valtype_t *wasm_valtype_new_anyref(void)
{
    return wasm_valtype_new(WASM_EXTERNREF);
}
static inline own wasm_valtype_t *wasm_valtype_new_funcref(void)
{
    return wasm_valtype_new(WASM_FUNCREF);
}

/* wasm_functype_new_P_R: a function type of P parameters and R results,
 * taking the value types given (params first).  An empty list is made
 * without a pointer into `types`: past its end, that pointer is one that
 * compilers reject reading (-Wstringop-overread), even for no elements. */
static inline own wasm_functype_t *weft_wasm_functype_of(size_t np, size_t nr,
                                                         wasm_valtype_t *const *types)
{
    wasm_valtype_vec_t params, results;
    if (np)
        wasm_valtype_vec_new(&params, np, types);
    else
        wasm_valtype_vec_new_empty(&params);
    if (nr)
        wasm_valtype_vec_new(&results, nr, types + np);
    else
        wasm_valtype_vec_new_empty(&results);
    return wasm_functype_new(&params, &results);
}
static inline own wasm_functype_t *wasm_functype_new_0_0(void)
{
    wasm_valtype_t *t[] = {NULL};
    return weft_wasm_functype_of(0, 0, t);
}
static inline own wasm_functype_t *wasm_functype_new_1_0(own wasm_valtype_t *p1)
{
    wasm_valtype_t *t[] = {p1};
    return weft_wasm_functype_of(1, 0, t);
}
static inline own wasm_functype_t *wasm_functype_new_2_0(own wasm_valtype_t *p1, own wasm_valtype_t *p2)
{
    wasm_valtype_t *t[] = {p1, p2};
    return weft_wasm_functype_of(2, 0, t);
}
static inline own wasm_functype_t *wasm_functype_new_3_0(own wasm_valtype_t *p1, own wasm_valtype_t *p2, own wasm_valtype_t *p3)
{
    wasm_valtype_t *t[] = {p1, p2, p3};
    return weft_wasm_functype_of(3, 0, t);
}
static inline own wasm_functype_t *wasm_functype_new_0_1(own wasm_valtype_t *r1)
{
    wasm_valtype_t *t[] = {r1};
    return weft_wasm_functype_of(0, 1, t);
}
static inline own wasm_functype_t *wasm_functype_new_1_1(own wasm_valtype_t *p1, own wasm_valtype_t *r1)
{
    wasm_valtype_t *t[] = {p1, r1};
    return weft_wasm_functype_of(1, 1, t);
}
static inline own wasm_functype_t *wasm_functype_new_2_1(own wasm_valtype_t *p1, own wasm_valtype_t *p2, own wasm_valtype_t *r1)
{
    wasm_valtype_t *t[] = {p1, p2, r1};
    return weft_wasm_functype_of(2, 1, t);
}
static inline own wasm_functype_t *wasm_functype_new_3_1(own wasm_valtype_t *p1, own wasm_valtype_t *p2, own wasm_valtype_t *p3, own wasm_valtype_t *r1)
{
    wasm_valtype_t *t[] = {p1, p2, p3, r1};
    return weft_wasm_functype_of(3, 1, t);
}
static inline own wasm_functype_t *wasm_functype_new_0_2(own wasm_valtype_t *r1, own wasm_valtype_t *r2)
{
    wasm_valtype_t *t[] = {r1, r2};
    return weft_wasm_functype_of(0, 2, t);
}
static inline own wasm_functype_t *wasm_functype_new_1_2(own wasm_valtype_t *p1, own wasm_valtype_t *r1, own wasm_valtype_t *r2)
{
    wasm_valtype_t *t[] = {p1, r1, r2};
    return weft_wasm_functype_of(1, 2, t);
}
static inline own wasm_functype_t *wasm_functype_new_2_2(own wasm_valtype_t *p1, own wasm_valtype_t *p2, own wasm_valtype_t *r1, own wasm_valtype_t *r2)
{
    wasm_valtype_t *t[] = {p1, p2, r1, r2};
    return weft_wasm_functype_of(2, 2, t);
}
static inline own wasm_functype_t *wasm_functype_new_3_2(own wasm_valtype_t *p1, own wasm_valtype_t *p2, own wasm_valtype_t *p3, own wasm_valtype_t *r1, own wasm_valtype_t *r2)
{
    wasm_valtype_t *t[] = {p1, p2, p3, r1, r2};
    return weft_wasm_functype_of(3, 2, t);
}

#ifdef __cplusplus
}
#endif

#endif /* WASM_H */

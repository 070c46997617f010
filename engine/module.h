/*
 * module.h -- a decoded module (struct weft_module): what the decoder (dec_)
 * produces, the validator (val_) checks, and the translator and instances read.
 * Immutable once weft_module_new returns, except for the lazily translated code
 * (see the `code` field's comment), so any number of threads may share it.
 *
 * Index spaces put imports first, as the spec does: funcs[0 .. nfunc_imports)
 * are imported, the rest are defined here (and have an entry in `codes` at
 * index - nfunc_imports).  Same for tables, memories and globals.
 *
 * Byte ranges (mod_range) are offsets into `bytes`, the module's own copy of
 * the binary, so that errors and backtraces can name offsets.
 */
#ifndef WEFT_MODULE_H
#define WEFT_MODULE_H

#include "engine/internal.h"

/* Value types, as their binary encodings. */
enum {
    VT_I32 = 0x7F,
    VT_I64 = 0x7E,
    VT_F32 = 0x7D,
    VT_F64 = 0x7C,
    VT_V128 = 0x7B,
    VT_FUNCREF = 0x70,
    VT_EXTERNREF = 0x6F,
    VT_UNKNOWN = 0x00, /* the validator's bottom type for unreachable code */
};
typedef uint8_t mod_valtype;

static inline bool mod_is_reftype(mod_valtype t) { return t == VT_FUNCREF || t == VT_EXTERNREF; }
static inline bool mod_is_numtype(mod_valtype t) { return t >= VT_V128 && t <= VT_I32; }

typedef struct mod_range {
    uint32_t start; /* first byte            */
    uint32_t end;   /* one past the last one */
} mod_range;

typedef struct mod_name {
    const char *data; /* NUL-terminated copy, owned by the module */
    uint32_t len;
} mod_name;

typedef struct mod_functype {
    uint32_t nparams;
    uint32_t nresults;
    mod_valtype *types; /* nparams params, then nresults results */
} mod_functype;

static inline const mod_valtype *mod_params(const mod_functype *t) { return t->types; }
static inline const mod_valtype *mod_results(const mod_functype *t) { return t->types + t->nparams; }

typedef struct mod_limits {
    uint64_t min;
    uint64_t max;  /* meaningful when has_max */
    bool has_max;
    bool shared;
    bool is64;     /* memory64 (decoded, not yet supported for execution) */
    uint32_t offset; /* byte offset of the limits in the binary, for errors */
} mod_limits;

typedef struct mod_tabletype {
    mod_valtype elem; /* VT_FUNCREF or VT_EXTERNREF */
    mod_limits limits;
} mod_tabletype;

typedef struct mod_globaltype {
    mod_valtype type;
    bool mutable_;
} mod_globaltype;

enum { EXT_FUNC = 0, EXT_TABLE = 1, EXT_MEMORY = 2, EXT_GLOBAL = 3 };

typedef struct mod_import {
    mod_name module;
    mod_name name;
    uint8_t kind;   /* EXT_* */
    uint32_t index; /* index in that kind's space (imports come first there) */
    uint32_t offset; /* byte offset of the import entry, for errors */
} mod_import;

typedef struct mod_export {
    mod_name name;
    uint8_t kind;   /* EXT_* */
    uint32_t index;
    uint32_t offset; /* byte offset of the entry in the binary, for errors */
} mod_export;

/* A constant expression: the bytes of its instructions, the final `end`
 * included.  The validator checks it; instantiation evaluates it. */
typedef mod_range mod_constexpr;

typedef struct mod_global {
    mod_globaltype type;
    mod_constexpr init; /* unused for imports */
} mod_global;

enum { SEG_ACTIVE = 0, SEG_PASSIVE = 1, SEG_DECLARATIVE = 2 };

typedef struct mod_elem {
    uint8_t mode;         /* SEG_*                                        */
    mod_valtype type;     /* VT_FUNCREF or VT_EXTERNREF                   */
    uint32_t table;       /* active only                                  */
    mod_constexpr offset; /* active only                                  */
    uint32_t count;
    /* Exactly one of these is set: plain function indices (the element kinds
     * of flags 0-3), or one constant expression per item (flags 4-7). */
    uint32_t *funcs;
    mod_constexpr *exprs;
    uint32_t offset_in_module; /* byte offset of the segment, for errors */
} mod_elem;

typedef struct mod_data {
    uint8_t mode;         /* SEG_ACTIVE or SEG_PASSIVE */
    uint32_t memory;      /* active only               */
    mod_constexpr offset; /* active only               */
    mod_range bytes;      /* the segment's contents    */
    uint32_t offset_in_module;
} mod_data;

typedef struct mod_localgroup {
    uint32_t count;
    mod_valtype type;
} mod_localgroup;

struct cmp_code; /* translated code, engine/code.h */

typedef struct mod_code {
    uint32_t nlocals;       /* declared locals, parameters not included */
    uint32_t ngroups;
    mod_localgroup *groups; /* the local declarations as encoded        */
    mod_range body;         /* the instructions after the locals, final `end` included */
    uint32_t offset;        /* byte offset of the code entry (its size field) */
    /* The translated code, published once with a release store and read with an
     * acquire load: translation may be lazy and run on any thread. */
    struct cmp_code *_Atomic code;
    /* Compiled code's full entry (jit/jit_internal.h), set once `code` is
     * published compiled: what compiled callers in this module call directly.
     * NULL until then (they call through jit_rt_call, which compiles). */
    const void *_Atomic jit_entry;
} mod_code;

typedef struct mod_custom {
    mod_name name;
    mod_range contents;
} mod_custom;

/* Names from the "name" custom section (absent ones are NULL / zero). */
typedef struct mod_names {
    mod_name module;
    mod_name *funcs;       /* nfuncs entries; data == NULL where unnamed */
    mod_name **locals;     /* nfuncs entries; NULL or an array of the function's locals */
    uint32_t *nlocals;     /* length of each locals[i] array */
} mod_names;

struct weft_module {
    weft_engine *engine;
    _Atomic uint32_t refs; /* weft_module_free and instances drop references */

    uint8_t *bytes;        /* the module's own copy of the binary */
    uint32_t size;

    uint32_t ntypes;
    mod_functype *types;

    uint32_t nimports;
    mod_import *imports;

    uint32_t nfuncs, nfunc_imports;
    uint32_t *func_types;  /* type index of every function */

    uint32_t ntables, ntable_imports;
    mod_tabletype *tables;

    uint32_t nmemories, nmemory_imports;
    mod_limits *memories;

    uint32_t nglobals, nglobal_imports;
    mod_global *globals;

    uint32_t nexports;
    mod_export *exports;

    bool has_start;
    uint32_t start;
    uint32_t start_offset; /* byte offset of the start section's index */

    uint32_t nelems;
    mod_elem *elems;

    bool has_data_count;
    uint32_t data_count;
    uint32_t ndatas;
    mod_data *datas;

    uint32_t ncodes;       /* == nfuncs - nfunc_imports once decoded */
    mod_code *codes;

    uint32_t ncustoms;
    mod_custom *customs;

    mod_names names;

    /* Set by the validator: functions that may be referenced by ref.func in code
     * (declared in an element segment, an export or a global's initializer). */
    uint8_t *func_declared; /* nfuncs flags */

    /* Where this module's compiled code lives (jit/xmem.h), made on the first
     * compilation; freed with the module. */
    struct xm_arena *_Atomic jit_arena;
};

static inline const mod_functype *mod_func_type(const weft_module *m, uint32_t func)
{
    return &m->types[m->func_types[func]];
}

/* Frees everything the module owns (not the engine).  Tolerates a module that
 * is only partly decoded. */
WEFT_INTERNAL void mod_free(weft_module *m);

/* Reference counting (the `refs` field): instances retain their module;
 * mod_release frees it when the last reference goes.  Thread-safe. */
WEFT_INTERNAL void mod_retain(weft_module *m);
WEFT_INTERNAL void mod_release(weft_module *m);

/* Frees m->names and zeroes it (the decoder drops a malformed name section). */
WEFT_INTERNAL void mod_free_names(weft_module *m);

#endif /* WEFT_MODULE_H */

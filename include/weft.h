/*
 * weft.h -- the whole public API of weft, a WebAssembly engine for threaded
 * programs.  An embedder includes this header and links libweft; nothing else.
 *
 * Conventions
 *  - Every call that can fail returns a weft_status (WEFT_OK == 0) and fills the
 *    caller-owned weft_error it is given (which may be NULL).  Nothing in the
 *    library prints, aborts or exits.
 *  - Objects are opaque handles made by *_new and released by *_free.
 *    Memories, tables, globals and host functions are reference counted: *_free
 *    drops the caller's reference, and every instance that imports or defines
 *    an object holds one of its own.  Objects an instance exports (see
 *    weft_instance_export) are borrowed: valid while that instance lives.
 *  - Thread safety is stated per function.  In short: engines and modules are
 *    immutable once made and usable from any thread; an instance runs on one
 *    thread at a time; memories may be read, written and grown from any thread.
 */
#ifndef WEFT_H
#define WEFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(WEFT_BUILDING)
#define WEFT_API __attribute__((visibility("default")))
#else
#define WEFT_API
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                  */
/* ------------------------------------------------------------------------ */

/* The version of the library linked in, "MAJOR.MINOR.PATCH" (e.g. "0.1.0"):
 * with the shared library, the one loaded at run time, whose SONAME carries
 * MAJOR (libweft.so.0).  A static string; thread-safe. */
WEFT_API const char *weft_version(void);

/* ------------------------------------------------------------------------ */
/* Status and errors                                                        */
/* ------------------------------------------------------------------------ */

/* The class of an outcome.  weft_error.code says exactly what happened. */
typedef enum weft_status {
    WEFT_OK = 0,
    WEFT_MALFORMED,    /* the bytes are not a well-formed binary module        */
    WEFT_INVALID,      /* the module is well formed but fails validation       */
    WEFT_UNLINKABLE,   /* imports do not match what the module asks for       */
    WEFT_TRAP,         /* execution trapped (backtrace in weft_error.frames)   */
    WEFT_EXIT,         /* the program exited (weft_error.exit_code)            */
    WEFT_NOMEM,        /* an allocation or address-space reservation failed    */
    WEFT_BAD_ARGUMENT, /* API misuse: wrong count or type of values, ...       */
    WEFT_UNSUPPORTED,  /* a feature this build or configuration cannot do      */
    WEFT_IO            /* a host file or system call failed                    */
} weft_status;

/*
 * Every specific error, its class and its wording.  The wording is the one the
 * WebAssembly specification's reference interpreter uses, so that the spec
 * tests can match it; a message may add detail after it ("unknown local 7",
 * "type mismatch: expected i32, found i64").
 */
#define WEFT_ERRORS(X)                                                                   \
    X(NONE, OK, "no error")                                                              \
    /* malformed binary */                                                               \
    X(UNEXPECTED_END, MALFORMED, "unexpected end")                                       \
    X(UNEXPECTED_END_SECTION, MALFORMED, "unexpected end of section or function")        \
    X(LENGTH_OUT_OF_BOUNDS, MALFORMED, "length out of bounds")                           \
    X(BAD_MAGIC, MALFORMED, "magic header not detected")                                 \
    X(BAD_VERSION, MALFORMED, "unknown binary version")                                  \
    X(BAD_SECTION_ID, MALFORMED, "malformed section id")                                 \
    X(SECTION_SIZE, MALFORMED, "section size mismatch")                                  \
    X(JUNK_AFTER_LAST_SECTION, MALFORMED, "unexpected content after last section")       \
    X(INT_TOO_LONG, MALFORMED, "integer representation too long")                        \
    X(INT_TOO_LARGE, MALFORMED, "integer too large")                                     \
    X(BAD_UTF8, MALFORMED, "malformed UTF-8 encoding")                                   \
    X(BAD_IMPORT_KIND, MALFORMED, "malformed import kind")                               \
    X(BAD_EXPORT_KIND, MALFORMED, "malformed export kind")                               \
    X(BAD_MUTABILITY, MALFORMED, "malformed mutability")                                 \
    X(BAD_REFTYPE, MALFORMED, "malformed reference type")                                \
    X(BAD_VALTYPE, MALFORMED, "malformed value type")                                    \
    X(BAD_FUNCTYPE, MALFORMED, "malformed function type")                                \
    X(BAD_LIMITS, MALFORMED, "malformed limits flags")                                   \
    X(BAD_ELEM_KIND, MALFORMED, "malformed element kind")                                \
    X(BAD_SEGMENT_FLAGS, MALFORMED, "malformed segment flags")                           \
    X(ZERO_BYTE, MALFORMED, "zero byte expected")                                        \
    X(TOO_MANY_LOCALS, MALFORMED, "too many locals")                                     \
    X(FUNC_CODE_MISMATCH, MALFORMED, "function and code section have inconsistent lengths") \
    X(DATA_COUNT_MISMATCH, MALFORMED, "data count and data section have inconsistent lengths") \
    X(DATA_COUNT_REQUIRED, MALFORMED, "data count section required")                     \
    X(ILLEGAL_OPCODE, MALFORMED, "illegal opcode")                                       \
    X(END_EXPECTED, MALFORMED, "END opcode expected")                                    \
    X(DUPLICATE_SECTION, MALFORMED, "unexpected section (duplicate or out of order)")    \
    /* invalid module */                                                                 \
    X(TYPE_MISMATCH, INVALID, "type mismatch")                                           \
    X(UNKNOWN_TYPE, INVALID, "unknown type")                                             \
    X(UNKNOWN_FUNC, INVALID, "unknown function")                                         \
    X(UNKNOWN_TABLE, INVALID, "unknown table")                                           \
    X(UNKNOWN_MEMORY, INVALID, "unknown memory")                                         \
    X(UNKNOWN_GLOBAL, INVALID, "unknown global")                                         \
    X(UNKNOWN_LOCAL, INVALID, "unknown local")                                           \
    X(UNKNOWN_LABEL, INVALID, "unknown label")                                           \
    X(UNKNOWN_DATA, INVALID, "unknown data segment")                                     \
    X(UNKNOWN_ELEM, INVALID, "unknown elem segment")                                     \
    X(BAD_ALIGNMENT, INVALID, "alignment must not be larger than natural")               \
    X(BAD_ATOMIC_ALIGNMENT, INVALID, "alignment must be equal to natural")               \
    X(CONST_EXPR_REQUIRED, INVALID, "constant expression required")                      \
    X(DUPLICATE_EXPORT, INVALID, "duplicate export name")                                \
    X(GLOBAL_IMMUTABLE, INVALID, "global is immutable")                                  \
    X(BAD_LANE, INVALID, "invalid lane index")                                           \
    X(BAD_RESULT_ARITY, INVALID, "invalid result arity")                                 \
    X(MEMORY_TOO_LARGE, INVALID, "memory size must be at most 65536 pages (4GiB)")       \
    X(TABLE_TOO_LARGE, INVALID, "table size must be at most 2^32-1")                     \
    X(MULTIPLE_MEMORIES, INVALID, "multiple memories")                                   \
    X(MULTIPLE_TABLES, INVALID, "multiple tables")                                       \
    X(SHARED_NEEDS_MAX, INVALID, "shared memory must have maximum")                      \
    X(MIN_OVER_MAX, INVALID, "size minimum must not be greater than maximum")            \
    X(BAD_START, INVALID, "start function")                                              \
    X(UNDECLARED_FUNC_REF, INVALID, "undeclared function reference")                     \
    /* linking */                                                                        \
    X(UNKNOWN_IMPORT, UNLINKABLE, "unknown import")                                      \
    X(INCOMPATIBLE_IMPORT, UNLINKABLE, "incompatible import type")                       \
    /* traps */                                                                          \
    X(UNREACHABLE, TRAP, "unreachable")                                                  \
    X(DIV_BY_ZERO, TRAP, "integer divide by zero")                                       \
    X(INT_OVERFLOW, TRAP, "integer overflow")                                            \
    X(BAD_CONVERSION, TRAP, "invalid conversion to integer")                             \
    X(OOB_MEMORY, TRAP, "out of bounds memory access")                                   \
    X(OOB_TABLE, TRAP, "out of bounds table access")                                     \
    X(INDIRECT_MISMATCH, TRAP, "indirect call type mismatch")                            \
    X(UNDEFINED_ELEMENT, TRAP, "undefined element")                                      \
    X(UNINITIALIZED_ELEMENT, TRAP, "uninitialized element")                              \
    X(STACK_EXHAUSTED, TRAP, "call stack exhausted")                                     \
    X(UNALIGNED_ATOMIC, TRAP, "unaligned atomic")                                        \
    X(EXPECTED_SHARED, TRAP, "expected shared memory")                                   \
    X(NULL_REFERENCE, TRAP, "null reference")                                            \
    X(TERMINATED, TRAP, "terminated: another thread of the group ended it")              \
    X(TIMEOUT, TRAP, "terminated: the program ran out of time")                          \
    X(HOST_TRAP, TRAP, "host function trapped")                                          \
    /* everything else */                                                                \
    X(EXITED, EXIT, "program exited")                                                    \
    X(OUT_OF_MEMORY, NOMEM, "out of memory")                                             \
    X(BAD_ARGUMENT, BAD_ARGUMENT, "bad argument")                                        \
    X(UNSUPPORTED, UNSUPPORTED, "unsupported")                                           \
    X(IO_ERROR, IO, "i/o error")

typedef enum weft_code {
#define WEFT_X_CODE(name, cls, text) WEFT_E_##name,
    WEFT_ERRORS(WEFT_X_CODE)
#undef WEFT_X_CODE
    WEFT_E_COUNT_
} weft_code;

/* The objects of the API: opaque handles (see the sections below). */
typedef struct weft_engine weft_engine;
typedef struct weft_module weft_module;
typedef struct weft_instance weft_instance;
typedef struct weft_func weft_func;
typedef struct weft_table weft_table;
typedef struct weft_memory weft_memory;
typedef struct weft_global weft_global;

/* One frame of a trap's wasm backtrace, innermost first. */
typedef struct weft_frame {
    uint32_t func_index;  /* index in the module's function space              */
    uint32_t code_offset; /* byte offset in the module, or UINT32_MAX if unknown */
    const char *name;     /* from the name section, or NULL; lives as long as the module.
                             Valid UTF-8, but the module's own bytes: it may hold
                             control characters (weft_error_format escapes them) */
    weft_instance *instance; /* the instance the function belongs to; valid while that
                                instance lives (NULL for an instance that failed to
                                start and was freed) */
} weft_frame;

#define WEFT_MAX_FRAMES 32
#define WEFT_NO_OFFSET UINT64_MAX

/* Caller-owned; filled by any call that fails.  Copying it is fine. */
typedef struct weft_error {
    weft_status status;    /* the class                                      */
    weft_code code;        /* exactly what                                   */
    uint64_t offset;       /* byte offset in the module binary, or WEFT_NO_OFFSET */
    int32_t exit_code;     /* with WEFT_EXIT                                 */
    uint32_t thread_id;    /* wasi-threads id of the thread that trapped (0: main) */
    uint32_t nframes;      /* backtrace length (traps only)                  */
    weft_frame frames[WEFT_MAX_FRAMES];
    char message[256];     /* wording of `code`, then detail (names from the module
                              escaped: see weft_error_format); NUL-terminated */
} weft_error;

/* The spec wording of a code ("type mismatch"), and its class. */
WEFT_API const char *weft_code_text(weft_code code);
WEFT_API weft_status weft_code_status(weft_code code);

/* Writes "message (at offset N)" and the backtrace, one frame a line, into buf
 * (always NUL-terminated when size > 0).  Returns the length it wanted.
 * Function names are escaped as messages are (control characters and bytes
 * that are not UTF-8 as \xNN or \u{N}), so the text is safe on a terminal. */
WEFT_API size_t weft_error_format(const weft_error *err, char *buf, size_t size);

/* ------------------------------------------------------------------------ */
/* Engine                                                                   */
/* ------------------------------------------------------------------------ */


typedef enum weft_bounds_mode {
    /* Accesses are not checked: an out-of-bounds one faults on a guard page and
     * the signal handler turns it into a trap.  The default. */
    WEFT_BOUNDS_GUARD = 0,
    /* Every access is checked in software; no signal handler is installed.  For
     * hosts that cannot take SIGSEGV.  (Memory64 always works this way.) */
    WEFT_BOUNDS_SOFTWARE = 1
} weft_bounds_mode;

/* How functions run (docs/compiler.md).  The compiler tier is being built in
 * steps: a function it cannot compile yet runs in the interpreter, with the
 * same results, traps and limits; weft_engine_tier_stats counts both. */
typedef enum weft_tier {
    WEFT_TIER_AUTO = 0,  /* the compiler on x86-64 Linux, else the interpreter */
    WEFT_TIER_INTERP = 1, /* the interpreter only: no executable memory is ever mapped */
    WEFT_TIER_JIT = 2     /* x86-64 machine code where the compiler can; elsewhere
                             (other hosts) weft_engine_new says WEFT_UNSUPPORTED */
} weft_tier;

/* Proposals beyond the WebAssembly 2.0 core that an engine accepts.  Turning one
 * off gives the older binary format and validation rules, e.g. to run a test
 * suite written before the proposal. */
typedef enum weft_feature {
    WEFT_FEATURE_THREADS = 1u << 0,     /* shared memories and 0xFE atomics (default on)       */
    WEFT_FEATURE_MULTI_TABLE = 1u << 1, /* more than one table, as 2.0 allows (default on)     */
    WEFT_FEATURE_MEMORY64 = 1u << 2,    /* 64-bit memories: decoded only, not run (default off) */
} weft_feature;
#define WEFT_FEATURES_DEFAULT (WEFT_FEATURE_THREADS | WEFT_FEATURE_MULTI_TABLE)

/*
 * Failure injection for memory.grow, to test how a program copes with running
 * out of memory (`weft run --grow-fail=SPEC`).  It applies to every memory the
 * engine creates -- defined, imported by a program, or made by weft_memory_new
 * -- and to both ways of growing one: the memory.grow instruction (which then
 * returns -1) and weft_memory_grow (WEFT_NOMEM).  A failed grow changes nothing.
 *
 * What counts: each memory numbers its grows by one page or more 1, 2, 3, ...
 * in the order its grow lock admits them, whichever thread makes them and
 * whatever their outcome would have been (a grow past the maximum counts too).
 * A grow by 0 pages (a size query) is neither counted nor failed.  Whether grow
 * number k fails depends on k alone, so the failures are the same in every run;
 * which thread makes grow k is up to the scheduler.
 */
typedef enum weft_grow_fail_mode {
    WEFT_GROW_FAIL_NONE = 0, /* no injection (the default)                          */
    WEFT_GROW_FAIL_AFTER,    /* grows 1..n behave as usual, every later one fails    */
    WEFT_GROW_FAIL_EVERY,    /* grows n, 2n, 3n, ... fail (n >= 1)                    */
    WEFT_GROW_FAIL_RANDOM    /* each fails with `probability`: one draw per counted
                                grow from a PRNG (splitmix64) seeded with `seed`     */
} weft_grow_fail_mode;

typedef struct weft_grow_fail {
    weft_grow_fail_mode mode;
    uint64_t n;         /* AFTER, EVERY                                            */
    double probability; /* RANDOM: 0.0 (never) to 1.0 (always)                      */
    uint64_t seed;      /* RANDOM                                                  */
} weft_grow_fail;

/* Allocator: like realloc(ptr, size) with free when size == 0.  Must be thread-safe. */
typedef void *(*weft_realloc_fn)(void *user, void *ptr, size_t size);

/*
 * Executable memory for the compiler tier (machine code), supplied by the
 * embedder.  Hosts under a hardened runtime or an SELinux `execmem` policy
 * decide where code may live; everyone else leaves `allocate` NULL and weft
 * maps its own (Linux: mmap read-write, then mprotect to read-execute; macOS:
 * MAP_JIT).  Code is never writable and executable at once: weft asks for
 * read-write memory, writes the code, then asks for it to become executable
 * (read-execute, never read-write-execute), and never writes it again.
 *
 *   allocate(user, size)            -> size bytes (size > 0, a multiple of
 *                                      the host's page size), page-aligned,
 *                                      readable and writable; NULL on failure
 *   make_executable(user, ptr, size) turns that block read-execute and makes
 *                                      the instruction cache coherent; returns
 *                                      0 on success, nonzero on failure (weft
 *                                      then frees the block and reports
 *                                      "out of memory")
 *   free(user, ptr, size)           releases a block, in either state
 *
 * ptr and size are always exactly those of one allocate call.  The callbacks
 * may be called from any thread, concurrently (compilation is lazy and runs
 * on the thread that first calls a function), so they must be thread-safe;
 * make_executable runs on the thread that allocated the block.  Set all
 * three or none: weft_engine_new rejects a partial set (WEFT_BAD_ARGUMENT).
 * `user` is passed through untouched; weft_config keeps a copy of this
 * struct, so nothing here need outlive weft_engine_new except what `user`
 * points to, which must outlive the engine.
 */
typedef struct weft_code_allocator {
    void *(*allocate)(void *user, size_t size);
    int (*make_executable)(void *user, void *ptr, size_t size);
    void (*free)(void *user, void *ptr, size_t size);
    void *user;
} weft_code_allocator;

typedef struct weft_config {
    weft_bounds_mode bounds;
    uint32_t features;          /* weft_feature bits; WEFT_FEATURES_DEFAULT */
    uint32_t max_call_depth;    /* wasm frames per thread before "call stack exhausted" */
    size_t value_stack_bytes;   /* per thread value stack (locals and operands) */
    weft_realloc_fn realloc_fn; /* NULL: the C library's                       */
    void *realloc_user;
    /* Elements all the engine's tables may hold together (each is a pointer);
     * past it a table cannot be made ("out of memory") and table.grow returns
     * -1.  One table holds at most 10^7 whatever this says.  0: the default,
     * 2^27 (1 GiB of pointers). */
    uint64_t max_table_elements;
    /* memory.grow failure injection (above); mode WEFT_GROW_FAIL_NONE: none.
     * weft_engine_new rejects an unknown mode, EVERY with n == 0 and a
     * probability outside [0, 1] with WEFT_BAD_ARGUMENT. */
    weft_grow_fail grow_fail;
    /* Where compiled code lives (above); all NULL: weft's own mappings. */
    weft_code_allocator code_allocator;
    /* Guard mode: false (the default), each outermost call into wasm on a
     * thread makes sure SIGSEGV and SIGBUS are unblocked while wasm runs (one
     * pthread_sigmask call, ~200 ns) and restores the caller's mask after.
     * true: the host promises they are never blocked on a thread that calls
     * into wasm, and weft leaves the mask alone; a guest fault with them
     * blocked then kills the process. */
    bool trust_signal_mask;
    /* The tier (above).  weft_config_init takes it from the environment
     * variable WEFT_TIER ("interp", "jit" or "auto") when that is set, so a
     * whole test run or program can switch tiers without being rebuilt. */
    weft_tier tier;
    /* Profiling compiled code: true, each function the compiler makes is
     * appended to /tmp/perf-<pid>.map ("START SIZE NAME", the format Linux
     * perf reads for code it cannot otherwise name).  Off by default. */
    bool perf_map;
    /* A cap on every linear memory of the engine, in bytes, rounded down to
     * whole 64 KiB pages (`weft run --max-memory`); 0: none (the default).
     * It holds for memories a module defines or imports through a program,
     * made by weft_memory_new, shared or not, grown by any thread: a grow
     * past it fails as one past the memory's maximum does (memory.grow
     * returns -1, weft_memory_grow WEFT_NOMEM), and a memory whose initial
     * size is already over it is not made: instantiation and weft_memory_new
     * fail with WEFT_NOMEM "out of memory" naming both sizes.  A memory's
     * declared maximum (weft_memory_limits) is unchanged by the cap. */
    uint64_t max_memory_bytes;
} weft_config;

/* Fills *config with the defaults (and the tier from WEFT_TIER, above). */
WEFT_API void weft_config_init(weft_config *config);

/* config may be NULL for the defaults.  Thread-safe. */
WEFT_API weft_status weft_engine_new(const weft_config *config, weft_engine **out, weft_error *err);
/* Frees the engine; every module and instance made from it must be freed first. */
WEFT_API void weft_engine_free(weft_engine *engine);

/* Functions this engine has compiled to machine code, and functions that run
 * in the interpreter (all of them with WEFT_TIER_INTERP; with WEFT_TIER_JIT,
 * those the compiler cannot take yet), counted once each on first call.
 * Thread-safe. */
WEFT_API void weft_engine_tier_stats(const weft_engine *engine, uint64_t *compiled,
                                     uint64_t *interpreted);

/* ------------------------------------------------------------------------ */
/* Values and types                                                         */
/* ------------------------------------------------------------------------ */

typedef enum weft_valkind {
    WEFT_I32,
    WEFT_I64,
    WEFT_F32,
    WEFT_F64,
    WEFT_V128,
    WEFT_FUNCREF,
    WEFT_EXTERNREF
} weft_valkind;

/* A typed value.  Floats keep their exact bits (NaN payloads included) when
 * read and written through f32_bits / f64_bits.  A null reference is NULL. */
typedef struct weft_val {
    weft_valkind kind;
    union {
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        uint8_t v128[16]; /* little-endian lanes, as in linear memory */
        weft_func *funcref;
        void *externref;
    } of;
} weft_val;

/* The text-format name of a kind: "i32", "funcref", ...; "?" for no kind. */
WEFT_API const char *weft_valkind_name(weft_valkind kind);

typedef struct weft_functype {
    const weft_valkind *params;
    uint32_t nparams;
    const weft_valkind *results;
    uint32_t nresults;
} weft_functype;

typedef struct weft_limits {
    uint64_t min;
    uint64_t max;  /* meaningful when has_max */
    bool has_max;
    bool shared;   /* memories only; requires has_max */
} weft_limits;

typedef enum weft_extern_kind {
    WEFT_EXTERN_FUNC = 0,
    WEFT_EXTERN_TABLE = 1,
    WEFT_EXTERN_MEMORY = 2,
    WEFT_EXTERN_GLOBAL = 3
} weft_extern_kind;

typedef struct weft_extern {
    weft_extern_kind kind;
    union {
        weft_func *func;
        weft_table *table;
        weft_memory *memory;
        weft_global *global;
    } of;
} weft_extern;

/* A name from a module: UTF-8, `len` bytes, and NUL-terminated for convenience
 * (a name may itself contain NUL bytes: trust `len`).  Lives as long as the module. */
typedef struct weft_name {
    const char *data;
    size_t len;
} weft_name;

/* ------------------------------------------------------------------------ */
/* Modules                                                                  */
/* ------------------------------------------------------------------------ */

/* Decodes and validates `bytes` (copied; the caller keeps its buffer).  A
 * malformed or invalid module fails with the byte offset and the reason.
 * Thread-safe; the module is immutable and may be shared by threads. */
WEFT_API weft_status weft_module_new(weft_engine *engine, const uint8_t *bytes, size_t size,
                                     weft_module **out, weft_error *err);
/* Decodes and validates without keeping anything. */
WEFT_API weft_status weft_module_validate(weft_engine *engine, const uint8_t *bytes, size_t size,
                                          weft_error *err);
/* Drops the caller's reference; instances keep their module alive. */
WEFT_API void weft_module_free(weft_module *module);
/* Makes every function's code now (translated, and compiled under the jit
 * tier) instead of on its first call: for embedders who want no first-call
 * latency later.  Thread-safe; calls racing with it find the code made once.
 * Errors: out of memory, or the embedder's code allocator failing. */
WEFT_API weft_status weft_module_prepare(weft_module *module, weft_error *err);

typedef struct weft_import_desc {
    weft_name module;
    weft_name name;
    weft_extern_kind kind;
} weft_import_desc;

typedef struct weft_export_desc {
    weft_name name;
    weft_extern_kind kind;
} weft_export_desc;

WEFT_API uint32_t weft_module_import_count(const weft_module *module);
WEFT_API void weft_module_import(const weft_module *module, uint32_t index, weft_import_desc *out);
WEFT_API uint32_t weft_module_export_count(const weft_module *module);
WEFT_API void weft_module_export(const weft_module *module, uint32_t index, weft_export_desc *out);
/* The limits a memory import asks for (index: of the import); false if not a memory. */
WEFT_API bool weft_module_import_memory_limits(const weft_module *module, uint32_t index,
                                               weft_limits *out);
/* The full type of import or export `index`: what wasm.h's importtype and
 * exporttype describe.  A function type's arrays live as long as the engine.
 * False when `index` is out of range or the type cannot be recorded (out of
 * memory).  Thread-safe. */
typedef struct weft_externtype {
    weft_extern_kind kind;
    weft_functype func;       /* WEFT_EXTERN_FUNC                         */
    weft_valkind elem;        /* WEFT_EXTERN_TABLE: the element kind      */
    weft_limits limits;       /* WEFT_EXTERN_TABLE and WEFT_EXTERN_MEMORY */
    weft_valkind global_kind; /* WEFT_EXTERN_GLOBAL                       */
    bool global_mutable;      /* WEFT_EXTERN_GLOBAL                       */
} weft_externtype;
WEFT_API bool weft_module_import_type(const weft_module *module, uint32_t index,
                                      weft_externtype *out);
WEFT_API bool weft_module_export_type(const weft_module *module, uint32_t index,
                                      weft_externtype *out);
/* The name-section name of function `func_index`, or NULL. */
WEFT_API const char *weft_module_func_name(const weft_module *module, uint32_t func_index);

/* ------------------------------------------------------------------------ */
/* Instances                                                                */
/* ------------------------------------------------------------------------ */

/* Instantiates `module` with `imports`, given in the order of the module's
 * imports (weft_module_import).  Runs element and data segments, then the
 * start function.  A start-function trap fails with WEFT_TRAP (segments
 * already applied to imported tables and memories stay, as the spec says).
 * The instance runs on one thread at a time. */
WEFT_API weft_status weft_instance_new(weft_module *module, const weft_extern *imports,
                                       size_t nimports, weft_instance **out, weft_error *err);
/* Frees the instance; what it exported is invalid afterwards. */
WEFT_API void weft_instance_free(weft_instance *instance);

/* Looks up an export by name; false if there is none.  Borrowed references. */
WEFT_API bool weft_instance_export(weft_instance *instance, const char *name, size_t len,
                                   weft_extern *out);

/* ------------------------------------------------------------------------ */
/* Functions                                                                */
/* ------------------------------------------------------------------------ */

/* Calls `func` with `nargs` arguments of the types it takes; writes its results.
 * Traps return WEFT_TRAP with a backtrace.  Callable from any thread, but the
 * function's instance runs on one thread at a time.
 *  - Host functions may call back into wasm (weft_call inside a weft_host_fn);
 *    when such nesting nearly spends the calling thread's native stack, the
 *    innermost call traps "call stack exhausted" instead of overflowing it.
 *  - Guard mode: while wasm runs on a thread, SIGSEGV and SIGBUS are unblocked
 *    there (a blocked fault would kill the process); the outermost call blocks
 *    again, on return or trap, those the caller had blocked.  A host function
 *    called from wasm must not block them before it calls back into wasm. */
WEFT_API weft_status weft_call(weft_func *func, const weft_val *args, size_t nargs,
                               weft_val *results, size_t nresults, weft_error *err);

/* The type of a function; arrays live as long as the function. */
WEFT_API void weft_func_type(const weft_func *func, weft_functype *out);

/* What a host function sees of its caller. */
typedef struct weft_caller weft_caller;
/* Memory `index` of the calling instance, or NULL. */
WEFT_API weft_memory *weft_caller_memory(weft_caller *caller, uint32_t index);

/* A host function.  Return WEFT_OK, or fill err (use weft_error_set) and return
 * its status to trap the caller. */
typedef weft_status (*weft_host_fn)(void *env, weft_caller *caller, const weft_val *args,
                                    weft_val *results, weft_error *err);

/* Makes a host function of type `type` (copied).  `finalizer`, if not NULL,
 * runs on `env` when the last reference goes. */
WEFT_API weft_status weft_func_new(weft_engine *engine, const weft_functype *type,
                                   weft_host_fn fn, void *env, void (*finalizer)(void *env),
                                   weft_func **out, weft_error *err);
/* Drops a reference to a host function made by weft_func_new. */
WEFT_API void weft_func_free(weft_func *func);

/* Fills err with `code` and a printf-style detail appended to its wording; returns
 * the code's class.  For host functions and embedders. */
WEFT_API weft_status weft_error_set(weft_error *err, weft_code code, const char *detail_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------------ */
/* Signals (guard mode)                                                     */
/* ------------------------------------------------------------------------ */

/*
 * In guard mode (WEFT_BOUNDS_GUARD) an out-of-bounds access faults on a guard
 * page and weft's SIGSEGV/SIGBUS handler, installed once per process on the
 * first call into wasm of a guard-mode engine, turns the fault into a trap;
 * every other fault goes to the handler that was installed before weft's.  An
 * embedder that installs its own SIGSEGV or SIGBUS handler after creating a
 * guard-mode engine must either chain to the previous handler (the one
 * sigaction returned) or call weft_handle_signal first from its handler; a
 * handler that does neither takes the guest's faults itself (returning from it
 * re-runs the access forever).
 */

/* For an embedder's own SA_SIGINFO handler of SIGSEGV or SIGBUS: pass its
 * three arguments (`info` is the siginfo_t *, `ucontext` the third, both
 * required).  If the signal is a guard-page fault of wasm running on this
 * thread, weft claims it and does not return: it siglongjmps to the wasm
 * entry, which returns WEFT_TRAP "out of bounds memory access", with the
 * signal mask of the interrupted code.  Otherwise returns false and the
 * handler goes on as it would without weft.  Async-signal-safe. */
WEFT_API bool weft_handle_signal(int sig, void *info, void *ucontext);

/* ------------------------------------------------------------------------ */
/* Memories                                                                 */
/* ------------------------------------------------------------------------ */

/* A linear memory of `limits` (in 64 KiB pages).  Reserves its whole address
 * range up front: the base never moves.  Thread-safe. */
WEFT_API weft_status weft_memory_new(weft_engine *engine, const weft_limits *limits,
                                     weft_memory **out, weft_error *err);
WEFT_API void weft_memory_free(weft_memory *memory);
/* The base address: fixed for the memory's life, valid across growth. */
WEFT_API uint8_t *weft_memory_data(const weft_memory *memory);
/* The current size in bytes (sequentially consistent read). */
WEFT_API uint64_t weft_memory_size(const weft_memory *memory);
WEFT_API void weft_memory_limits(const weft_memory *memory, weft_limits *out);
/* Grows by `delta` pages; *old_pages gets the previous size.  Fails (nothing
 * changes) beyond the maximum, or when the engine's grow_fail says so.
 * Concurrent grows are serialised. */
WEFT_API weft_status weft_memory_grow(weft_memory *memory, uint64_t delta, uint64_t *old_pages,
                                      weft_error *err);

/* Atomic wait and notify on a shared memory from the host, with the semantics
 * of memory.atomic.wait32/64 and memory.atomic.notify: `addr` is a byte
 * address, naturally aligned, inside the current size (else WEFT_TRAP with
 * "unaligned atomic" or "out of bounds memory access"; waiting on a memory
 * that is not shared traps with "expected shared memory").  *result of a wait:
 * 0 woken by a notify, 1 the value was not `expected`, 2 timed out.  Timeouts
 * are nanoseconds (negative: forever).  Waiters wake in FIFO order and never
 * spuriously.  Thread-safe. */
WEFT_API weft_status weft_memory_wait32(weft_memory *memory, uint64_t addr, uint32_t expected,
                                        int64_t timeout_ns, uint32_t *result, weft_error *err);
WEFT_API weft_status weft_memory_wait64(weft_memory *memory, uint64_t addr, uint64_t expected,
                                        int64_t timeout_ns, uint32_t *result, weft_error *err);
/* Wakes up to `count` waiters on `addr`; *woken gets how many. */
WEFT_API weft_status weft_memory_notify(weft_memory *memory, uint64_t addr, uint32_t count,
                                        uint32_t *woken, weft_error *err);
/* Wakes every waiter of the memory, whatever its address (each one's wait
 * returns 0): group termination uses it before ending the threads.  Returns
 * how many were woken. */
WEFT_API uint32_t weft_memory_wake_all(weft_memory *memory);

/* ------------------------------------------------------------------------ */
/* Tables and globals                                                       */
/* ------------------------------------------------------------------------ */

/* A table of `elem` (WEFT_FUNCREF or WEFT_EXTERNREF) filled with `init`. */
WEFT_API weft_status weft_table_new(weft_engine *engine, weft_valkind elem,
                                    const weft_limits *limits, const weft_val *init,
                                    weft_table **out, weft_error *err);
WEFT_API void weft_table_free(weft_table *table);
WEFT_API uint32_t weft_table_size(const weft_table *table);
WEFT_API weft_status weft_table_get(const weft_table *table, uint32_t index, weft_val *out,
                                    weft_error *err);
WEFT_API weft_status weft_table_set(weft_table *table, uint32_t index, const weft_val *val,
                                    weft_error *err);
WEFT_API void weft_table_type(const weft_table *table, weft_valkind *elem, weft_limits *limits);
/* Grows by `delta` elements set to `init` (NULL: null references); *old_size,
 * if not NULL, gets the previous size.  Fails and changes nothing past the
 * maximum, past the engine's max_table_elements, or when out of memory
 * (WEFT_NOMEM), or for an `init` of the wrong kind (WEFT_BAD_ARGUMENT).
 * One thread at a time, like the instances using the table. */
WEFT_API weft_status weft_table_grow(weft_table *table, uint32_t delta, const weft_val *init,
                                     uint32_t *old_size, weft_error *err);

WEFT_API weft_status weft_global_new(weft_engine *engine, weft_valkind kind, bool mutable_,
                                     const weft_val *init, weft_global **out, weft_error *err);
WEFT_API void weft_global_free(weft_global *global);
WEFT_API void weft_global_get(const weft_global *global, weft_val *out);
/* Fails on an immutable global or a value of the wrong kind. */
WEFT_API weft_status weft_global_set(weft_global *global, const weft_val *val, weft_error *err);
WEFT_API void weft_global_type(const weft_global *global, weft_valkind *kind, bool *mutable_);

/* ------------------------------------------------------------------------ */
/* Programs: WASI preview 1 and wasi-threads                                */
/* ------------------------------------------------------------------------ */

/*
 * A program is a module run the way `weft run` runs it: its imports come from
 * WASI preview 1 (`wasi_snapshot_preview1`), from wasi-threads (`wasi`
 * `thread-spawn`), and an imported memory -- under any module and field
 * name -- is created as the import's type asks.  Every thread it spawns is a
 * new instance of the module on a new OS thread, sharing its memory and its
 * WASI state (fd table, preopens, args, environment).  The threads form one
 * group: a trap or proc_exit in any of them, or the end of the entry
 * function, ends them all, and the group's status is the program's.
 * A spawn the host cannot serve (max_threads alive, memory or mappings
 * exhausted, no OS thread) returns a negative errno to the guest and the
 * program goes on: a thread that starts has all it needs already.
 */
typedef struct weft_program weft_program;

/* A host directory the guest may reach, seen by the guest as `guest_path`. */
typedef struct weft_preopen {
    const char *host_path;
    const char *guest_path;
} weft_preopen;

typedef struct weft_program_config {
    const char *const *argv;      /* argv[0] is the program name            */
    size_t argc;
    const char *const *envp;      /* "NAME=VALUE" strings                   */
    size_t envc;
    const weft_preopen *preopens;
    size_t npreopens;
    int stdin_fd, stdout_fd, stderr_fd; /* host fds for guest fds 0, 1, 2 (default 0, 1, 2) */
    uint32_t max_threads;         /* spawned threads alive at once; 0: default */
    /* Native stack of every thread weft starts for the program: each spawned
     * thread and the entry thread of weft_program_start (weft_program_run runs
     * the entry on the caller's own stack).  0: the default, 2 MiB; at least
     * PTHREAD_STACK_MIN.  Compiled code (WEFT_TIER_JIT) keeps its wasm frames
     * there, so it bounds how deep compiled recursion goes before "call stack
     * exhausted"; the interpreter keeps them on the value stack
     * (weft_config.value_stack_bytes, max_call_depth) and uses the native
     * stack only for host calls and nested entries.  Whatever the size, a
     * recursion that reaches its end traps instead of overflowing. */
    size_t thread_stack_bytes;
    /* A time limit, in nanoseconds, counted from the moment the entry thread
     * starts (weft_program_start or _run; the start function counts).  When
     * it passes, the group ends as weft_program_terminate ends it -- every
     * thread, also one blocked in memory.atomic.wait or in a blocking WASI
     * call, stops at its next loop back-edge, call or wake-up -- and its
     * status is WEFT_TRAP with code WEFT_E_TIMEOUT (unless the group ended
     * first).  0: no limit (the default).  A helper thread waits for the
     * deadline while the program runs. */
    uint64_t timeout_ns;
} weft_program_config;

/* Fills *config with the defaults (no args, env or preopens; stdio 0, 1, 2). */
WEFT_API void weft_program_config_init(weft_program_config *config);

/* Links `module` against WASI and wasi-threads and instantiates it (data and
 * element segments; not yet the start function).  The strings of `config` are
 * copied.  A missing import fails with WEFT_UNLINKABLE naming it. */
WEFT_API weft_status weft_program_new(weft_module *module, const weft_program_config *config,
                                      weft_program **out, weft_error *err);

/* Starts the program on a new host thread: the start function if any, then
 * the export `entry` (NULL: "_start") with `args`.  Returns at once. */
WEFT_API weft_status weft_program_start(weft_program *program, const char *entry,
                                        const weft_val *args, size_t nargs, weft_error *err);

/* Waits until the whole group has ended and returns its status: WEFT_OK when
 * `entry` returned (its results in `results`), WEFT_EXIT with exit_code after
 * proc_exit, WEFT_TRAP with the thread id and backtrace of the first trap.
 * Thread-safe; every caller gets the same status. */
WEFT_API weft_status weft_program_wait(weft_program *program, weft_val *results, size_t nresults,
                                       weft_error *status);

/* weft_program_start and weft_program_wait, with the entry running on the
 * calling thread. */
WEFT_API weft_status weft_program_run(weft_program *program, const char *entry,
                                      const weft_val *args, size_t nargs, weft_val *results,
                                      size_t nresults, weft_error *status);

/* Ends the group from any host thread: every thread traps with "terminated"
 * at its next loop back-edge, call, wait or blocking WASI call.  Returns at
 * once; weft_program_wait gives the status. */
WEFT_API void weft_program_terminate(weft_program *program);

/* The program's first instance (its exports) and its memory (NULL if none). */
WEFT_API weft_instance *weft_program_instance(weft_program *program);
WEFT_API weft_memory *weft_program_memory(weft_program *program);

/* Terminates the program if it still runs, waits for it and frees it. */
WEFT_API void weft_program_free(weft_program *program);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_H */

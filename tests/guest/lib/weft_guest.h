/*
 * weft_guest.h -- the guest side of wasi-threads for weft's test programs and
 * examples: threads over the `wasi` `thread-spawn` import, and a mutex,
 * condition variable and barrier over memory.atomic.wait32/notify.
 *
 * Why it exists: Debian's wasi-libc has no threads build (no pthreads, no
 * wasi_thread_start), so threaded guests are built against the single-thread
 * libc with -matomics -mbulk-memory and shared memory, plus this library.
 *
 * Build (tests/guest/CMakeLists.txt does this):
 *   clang-19 --target=wasm32-wasi --sysroot=/usr -matomics -mbulk-memory
 *     prog.c lib/thread_start.s lib/thread.c lib/sync.c
 *     -Wl,--shared-memory,--no-check-features,--max-memory=BYTES
 *     -Wl,--wrap=malloc,--wrap=free,--wrap=calloc,--wrap=realloc,
 *         --wrap=aligned_alloc,--wrap=posix_memalign
 *     [-Wl,--import-memory,--export-memory]      (imported-memory shape)
 *
 * Rules for programs that use it:
 *  - malloc/free/calloc/realloc/aligned_alloc/posix_memalign are thread-safe
 *    only when linked with the --wrap flags above (the wrappers take a lock
 *    around wasi-libc's single-thread dlmalloc).
 *  - stdio (printf, FILE buffers) and errno are NOT thread-safe in that libc:
 *    print from one thread at a time (wg_stdio_lock/unlock), and do not rely
 *    on errno when several threads make WASI calls.
 *  - Path calls (open, stat, unlink, ...) resolve the path against the
 *    preopens through one static buffer: call them from one thread at a
 *    time, or call the __wasi_path_* functions with a preopen fd directly.
 *  - The main thread's id is 0; spawned threads get the engine's ids (> 0).
 *  - Waiting (mutex, join, ...) on the main thread is allowed (weft allows
 *    memory.atomic.wait32 there; browsers would not).
 */
#ifndef WEFT_GUEST_H
#define WEFT_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- raw primitives ------------------------------------------------------ */

/* The `wasi` `thread-spawn` import: starts a new thread (a new instance of
 * this module sharing its memory) running wasi_thread_start(tid, start_arg).
 * Returns the new thread's id (> 0) or a negative value on failure. */
__attribute__((import_module("wasi"), import_name("thread-spawn"))) int32_t
wg_thread_spawn_raw(void *start_arg);

/* memory.atomic.wait32 on *addr: 0 woken, 1 *addr != expected, 2 timed out.
 * timeout_ns < 0 waits forever. */
static inline int wg_wait32(volatile uint32_t *addr, uint32_t expected, int64_t timeout_ns)
{
    return __builtin_wasm_memory_atomic_wait32((int32_t *)addr, (int32_t)expected, timeout_ns);
}

/* memory.atomic.notify: wakes up to `count` waiters on addr; returns how many. */
static inline uint32_t wg_notify(volatile uint32_t *addr, uint32_t count)
{
    return __builtin_wasm_memory_atomic_notify((int32_t *)addr, count);
}

#define WG_WAKE_ALL UINT32_MAX

/* Sleeps about `ns` nanoseconds with a timed wait on a private word (no
 * WASI call, so it works on any thread without touching libc). */
void wg_sleep_ns(int64_t ns);

/* ---- threads ------------------------------------------------------------- */

typedef struct wg_thread wg_thread;
typedef void *(*wg_thread_fn)(void *arg);

#define WG_DEFAULT_STACK (64u * 1024u)

/* Starts fn(arg) on a new thread with a `stack_bytes` shadow stack (0: the
 * default, 64 KiB) and its own TLS block.  Returns 0 and *out, or a negative
 * value: thread-spawn's failure code, or -12 (ENOMEM) if the stack could not
 * be allocated.  Every started thread must be joined exactly once. */
int wg_thread_create(wg_thread **out, size_t stack_bytes, wg_thread_fn fn, void *arg);

/* Waits until the thread's function has returned, frees its stack and TLS and
 * returns what fn returned. */
void *wg_thread_join(wg_thread *thread);

/* Runs fn((void *)i) for every i in [0, n): 1..n-1 on new threads (default
 * stack), then 0 on the calling thread, then joins the others.  Returns 0, or
 * the failure code of a spawn (as wg_thread_create), in which case fn has not
 * run on the calling thread and the threads already started are left running
 * (they may be waiting for the rest): the caller should exit. */
int wg_run_team(unsigned n, wg_thread_fn fn);

/* The wasi-threads id of the thread (valid until it is joined). */
int32_t wg_thread_tid(const wg_thread *thread);

/* The calling thread's id: 0 on the main thread. */
int32_t wg_self(void);

/* ---- mutex --------------------------------------------------------------- */

/* 0 unlocked, 1 locked, 2 locked and someone may be waiting. */
typedef struct wg_mutex {
    uint32_t state;
} wg_mutex;
#define WG_MUTEX_INIT {0}

void wg_mutex_lock(wg_mutex *m);
bool wg_mutex_trylock(wg_mutex *m);
void wg_mutex_unlock(wg_mutex *m);

/* ---- condition variable -------------------------------------------------- */

/* A sequence number bumped by every signal; waiters sleep on it. */
typedef struct wg_cond {
    uint32_t seq;
} wg_cond;
#define WG_COND_INIT {0}

/* Atomically releases m and waits for a signal, then re-acquires m.  As with
 * pthreads, callers re-check their predicate in a loop. */
void wg_cond_wait(wg_cond *c, wg_mutex *m);
/* Like wg_cond_wait with a timeout; false when it timed out. */
bool wg_cond_timedwait(wg_cond *c, wg_mutex *m, int64_t timeout_ns);
void wg_cond_signal(wg_cond *c);
void wg_cond_broadcast(wg_cond *c);

/* ---- barrier ------------------------------------------------------------- */

typedef struct wg_barrier {
    uint32_t count;      /* threads per phase                        */
    uint32_t arrived;    /* threads arrived in the current phase     */
    uint32_t generation; /* phase number; waiters sleep on it        */
} wg_barrier;

void wg_barrier_init(wg_barrier *b, uint32_t count);
/* Blocks until `count` threads have called it; returns true in exactly one
 * of them (the last to arrive).  Reusable for any number of phases. */
bool wg_barrier_wait(wg_barrier *b);

/* ---- stdio --------------------------------------------------------------- */

/* One process-wide lock for stdio and other single-thread libc state. */
void wg_stdio_lock(void);
void wg_stdio_unlock(void);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_GUEST_H */

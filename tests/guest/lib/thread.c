/*
 * thread.c -- guest threads over `wasi` `thread-spawn` (see weft_guest.h),
 * the thread-safe malloc wrappers, and the stdio lock.
 *
 * A thread is one allocation: its struct wg_thread, its TLS block and its
 * shadow stack.  thread_start.s switches __stack_pointer to the stack and
 * initialises TLS before any C runs, calls wg__thread_main, then sets `done`
 * and notifies; wg_thread_join waits on `done` and frees the allocation.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "weft_guest.h"

struct wg_thread {
    uint32_t stack_top; /* +0: read by thread_start.s      */
    uint32_t tls_block; /* +4: read by thread_start.s      */
    uint32_t done;      /* +8: written by thread_start.s   */
    int32_t tid;
    wg_thread_fn fn;
    void *arg;
    void *result;
};

_Static_assert(offsetof(struct wg_thread, stack_top) == 0, "thread_start.s reads +0");
_Static_assert(offsetof(struct wg_thread, tls_block) == 4, "thread_start.s reads +4");
_Static_assert(offsetof(struct wg_thread, done) == 8, "thread_start.s writes +8");

/* The wasm ABI keeps the stack pointer 16-byte aligned. */
#define STACK_ALIGN 16u

static _Thread_local int32_t self_tid; /* 0 on the main thread */

int32_t wg_self(void)
{
    return self_tid;
}

/* Called by wasi_thread_start with the stack and TLS already set up. */
void wg__thread_main(int32_t tid, struct wg_thread *t);
void wg__thread_main(int32_t tid, struct wg_thread *t)
{
    self_tid = tid;
    t->result = t->fn(t->arg);
}

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

int wg_thread_create(wg_thread **out, size_t stack_bytes, wg_thread_fn fn, void *arg)
{
    if (stack_bytes == 0)
        stack_bytes = WG_DEFAULT_STACK;
    size_t tls_align = __builtin_wasm_tls_align();
    size_t tls_size = __builtin_wasm_tls_size();
    if (tls_align < STACK_ALIGN)
        tls_align = STACK_ALIGN;
    /* [struct | pad | TLS block | stack ... top]; the stack grows down
     * towards the TLS block. */
    size_t tls_off = align_up(sizeof(struct wg_thread), tls_align);
    size_t stack_off = align_up(tls_off + tls_size, STACK_ALIGN);
    size_t total = stack_off + align_up(stack_bytes, STACK_ALIGN);
    uint8_t *block = aligned_alloc(tls_align, align_up(total, tls_align));
    if (!block)
        return -12; /* ENOMEM */
    struct wg_thread *t = (struct wg_thread *)block;
    memset(t, 0, sizeof *t);
    t->stack_top = (uint32_t)(uintptr_t)(block + total);
    t->tls_block = (uint32_t)(uintptr_t)(block + tls_off);
    t->fn = fn;
    t->arg = arg;
    int32_t tid = wg_thread_spawn_raw(t);
    if (tid <= 0) {
        free(block);
        return tid < 0 ? tid : -1;
    }
    t->tid = tid;
    *out = t;
    return 0;
}

void *wg_thread_join(wg_thread *t)
{
    while (__atomic_load_n(&t->done, __ATOMIC_SEQ_CST) == 0)
        wg_wait32(&t->done, 0, -1);
    void *result = t->result;
    free(t);
    return result;
}

int wg_run_team(unsigned n, wg_thread_fn fn)
{
    if (n == 0)
        return 0;
    wg_thread **t = malloc(n * sizeof *t);
    if (!t)
        return -12; /* ENOMEM, as wg_thread_create */
    for (unsigned i = 1; i < n; i++) {
        int r = wg_thread_create(&t[i], 0, fn, (void *)(uintptr_t)i);
        if (r)
            return r; /* the started threads may wait for the others: leave them */
    }
    fn((void *)0);
    for (unsigned i = 1; i < n; i++)
        wg_thread_join(t[i]);
    free(t);
    return 0;
}

int32_t wg_thread_tid(const wg_thread *t)
{
    return t->tid;
}

void wg_sleep_ns(int64_t ns)
{
    uint32_t never_notified = 0;
    if (ns > 0)
        wg_wait32(&never_notified, 0, ns);
}

/* ---- stdio lock ------------------------------------------------------------ */

static wg_mutex stdio_lock = WG_MUTEX_INIT;

void wg_stdio_lock(void)
{
    wg_mutex_lock(&stdio_lock);
}

void wg_stdio_unlock(void)
{
    wg_mutex_unlock(&stdio_lock);
}

/* ---- malloc wrappers ----------------------------------------------------------
 * Linked with -Wl,--wrap=malloc (and the others), every call of malloc --
 * the program's and libc's own, e.g. stdio's -- lands here and runs
 * wasi-libc's single-thread dlmalloc under one lock.  dlmalloc's internal
 * calls (calloc calling malloc) stay inside its object file and are not
 * wrapped, so the lock is never taken twice. */

void *__real_malloc(size_t size);
void __real_free(void *ptr);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *ptr, size_t size);
void *__real_aligned_alloc(size_t align, size_t size);
int __real_posix_memalign(void **out, size_t align, size_t size);

void *__wrap_malloc(size_t size);
void __wrap_free(void *ptr);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *ptr, size_t size);
void *__wrap_aligned_alloc(size_t align, size_t size);
int __wrap_posix_memalign(void **out, size_t align, size_t size);

static wg_mutex heap_lock = WG_MUTEX_INIT;

void *__wrap_malloc(size_t size)
{
    wg_mutex_lock(&heap_lock);
    void *p = __real_malloc(size);
    wg_mutex_unlock(&heap_lock);
    return p;
}

void __wrap_free(void *ptr)
{
    wg_mutex_lock(&heap_lock);
    __real_free(ptr);
    wg_mutex_unlock(&heap_lock);
}

void *__wrap_calloc(size_t n, size_t size)
{
    wg_mutex_lock(&heap_lock);
    void *p = __real_calloc(n, size);
    wg_mutex_unlock(&heap_lock);
    return p;
}

void *__wrap_realloc(void *ptr, size_t size)
{
    wg_mutex_lock(&heap_lock);
    void *p = __real_realloc(ptr, size);
    wg_mutex_unlock(&heap_lock);
    return p;
}

void *__wrap_aligned_alloc(size_t align, size_t size)
{
    wg_mutex_lock(&heap_lock);
    void *p = __real_aligned_alloc(align, size);
    wg_mutex_unlock(&heap_lock);
    return p;
}

int __wrap_posix_memalign(void **out, size_t align, size_t size)
{
    wg_mutex_lock(&heap_lock);
    int r = __real_posix_memalign(out, align, size);
    wg_mutex_unlock(&heap_lock);
    return r;
}

/*
 * native/weft_guest.h -- the part of lib/weft_guest.h's thread API that
 * guest programs compared with a native build use (simd_filter.c), over
 * pthreads, for building the same C for the host.  Only what those programs
 * call; semantics as in lib/weft_guest.h.
 */
#ifndef WEFT_GUEST_NATIVE_H
#define WEFT_GUEST_NATIVE_H

#include <pthread.h>
#include <stdlib.h>

typedef struct wg_thread {
    pthread_t id;
} wg_thread;
typedef void *(*wg_thread_fn)(void *arg);

/* stack_bytes: 0 or at least PTHREAD_STACK_MIN (0: the default). */
static inline int wg_thread_create(wg_thread **out, size_t stack_bytes, wg_thread_fn fn,
                                   void *arg)
{
    wg_thread *t = malloc(sizeof *t);
    pthread_attr_t attr;
    if (!t)
        return -12;
    pthread_attr_init(&attr);
    if (stack_bytes)
        pthread_attr_setstacksize(&attr, stack_bytes);
    int rc = pthread_create(&t->id, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    if (rc) {
        free(t);
        return -rc;
    }
    *out = t;
    return 0;
}

static inline void *wg_thread_join(wg_thread *t)
{
    void *result = NULL;
    pthread_join(t->id, &result);
    free(t);
    return result;
}

#endif /* WEFT_GUEST_NATIVE_H */

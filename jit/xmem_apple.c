/*
 * xmem_apple.c -- executable memory on macOS (compiled on Apple hosts only;
 * UNTESTED: weft's CI has no macOS machine, so treat this as a starting point
 * that follows Apple's "Porting just-in-time compilers to Apple silicon").
 *
 * Under the hardened runtime (com.apple.security.cs.allow-jit) code pages are
 * mapped once with MAP_JIT and PROT_READ|PROT_WRITE|PROT_EXEC, but each thread
 * sees them either writable or executable, never both:
 * pthread_jit_write_protect_np(0) makes them writable for the calling thread,
 * (1) executable again.  xm_os_map leaves the new block writable for the
 * caller; xm_os_make_executable flips the thread back and invalidates the
 * instruction cache.  The toggle covers every MAP_JIT page of the thread, so
 * a thread writes one block at a time (xmem.h: allocate, copy, seal).
 */
#if defined(__APPLE__)

#include <libkern/OSCacheControl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jit/xmem_os.h"

void *xm_os_map(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_JIT, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    pthread_jit_write_protect_np(0);
    return p;
}

int xm_os_make_executable(void *p, size_t size)
{
    pthread_jit_write_protect_np(1);
    sys_icache_invalidate(p, size);
    return 0;
}

void xm_os_unmap(void *p, size_t size) { munmap(p, size); }

size_t xm_os_page_size(void)
{
    long n = sysconf(_SC_PAGESIZE);
    return n > 0 ? (size_t)n : 16384;
}

#endif /* __APPLE__ */

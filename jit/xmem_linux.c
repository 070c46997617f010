/*
 * xmem_linux.c -- executable memory on Linux (and any POSIX host but Apple's):
 * private anonymous pages mapped read-write, then mprotect'ed read-execute.
 * Never PROT_WRITE|PROT_EXEC, so an SELinux `execmem` denial shows up here as
 * an mprotect failure (an error), not as a crash.
 */
#if !defined(__APPLE__)

#include <sys/mman.h>
#include <unistd.h>

#include "jit/xmem_os.h"

void *xm_os_map(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int xm_os_make_executable(void *p, size_t size)
{
    if (mprotect(p, size, PROT_READ | PROT_EXEC) != 0)
        return -1;
    /* A no-op on x86-64 (coherent caches); aarch64 needs it. */
    __builtin___clear_cache((char *)p, (char *)p + size);
    return 0;
}

void xm_os_unmap(void *p, size_t size) { munmap(p, size); }

size_t xm_os_page_size(void)
{
    long n = sysconf(_SC_PAGESIZE);
    return n > 0 ? (size_t)n : 4096;
}

#endif /* !__APPLE__ */

/*
 * xmem_os.h -- the platform layer under xmem.c (xm_os_): one implementation
 * per host, each compiled only there.  xmem_linux.c: mmap read-write, then
 * mprotect read-execute (any non-Apple POSIX host).  xmem_apple.c: MAP_JIT
 * pages with per-thread write protection, as Apple's hardened runtime
 * requires (untested here: no macOS machine in CI).
 */
#ifndef WEFT_XMEM_OS_H
#define WEFT_XMEM_OS_H

#include "engine/internal.h"

/* size: a multiple of xm_os_page_size().  Returns read-write memory the
 * calling thread may write, or NULL. */
WEFT_INTERNAL void *xm_os_map(size_t size);
/* Makes [p, p+size) read-execute and the instruction cache coherent for it;
 * 0 on success. */
WEFT_INTERNAL int xm_os_make_executable(void *p, size_t size);
WEFT_INTERNAL void xm_os_unmap(void *p, size_t size);
WEFT_INTERNAL size_t xm_os_page_size(void);

#endif /* WEFT_XMEM_OS_H */

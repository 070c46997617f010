/*
 * random.c -- random_get from the kernel's CSPRNG (getrandom).
 */
#include "wasi/fd_table.h"

#include <errno.h>
#include <sys/random.h>

wasi_errno wasi_random_get(wasi_call *c)
{
    uint32_t len = (uint32_t)c->args[1].of.i32;
    uint8_t *buf = wasi_mem(c, (uint32_t)c->args[0].of.i32, len);
    if (!buf)
        return WASI_EFAULT;
    /* getrandom returns at most 32 MiB per call and can be interrupted. */
    for (uint32_t done = 0; done < len;) {
        ssize_t n = getrandom(buf + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return wasi_errno_from_host(errno);
        }
        done += (uint32_t)n;
    }
    return WASI_ESUCCESS;
}

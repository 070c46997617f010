/* random_get: buffers get filled, differ between calls, zero length works
 * even at the very end of memory, and a range past the end is EFAULT. */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static uint8_t a[256], b[256];

int main(void)
{
    if (__wasi_random_get(a, sizeof a) != 0 || __wasi_random_get(b, sizeof b) != 0)
        return 1;
    if (memcmp(a, b, sizeof a) == 0)
        return 2;
    int zeros = 0;
    for (size_t i = 0; i < sizeof a; i++)
        zeros += a[i] == 0;
    if (zeros > 32) /* 256 random bytes have ~1 zero */
        return 3;
    uint8_t *end = (uint8_t *)(__builtin_wasm_memory_size(0) * 65536);
    if (__wasi_random_get(end, 0) != 0)
        return 4;
    if (__wasi_random_get(end - 1, 2) != __WASI_ERRNO_FAULT)
        return 5;
    /* A large request (more than one getrandom call's worth is fine too). */
    static uint8_t big[1 << 20];
    if (__wasi_random_get(big, sizeof big) != 0)
        return 6;
    printf("random ok\n");
    return 0;
}

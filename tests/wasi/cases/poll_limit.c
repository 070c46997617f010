/* poll_oneoff's bound on subscriptions: 65,536 in one call work (every one
 * answered, in order, none twice), one more is EINVAL although its buffers
 * are valid (the host allocates per subscription: without the bound a big
 * memory lets the guest make it allocate gigabytes), and a huge count over
 * a small buffer is EFAULT. */
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#include "case_util.h"

#define MAX_SUBS 65536u

int32_t raw_poll_oneoff(int32_t in, int32_t out, int32_t n, int32_t nevents)
    __attribute__((import_module("wasi_snapshot_preview1"), import_name("poll_oneoff")));

int main(void)
{
    uint32_t n = MAX_SUBS + 1;
    __wasi_subscription_t *in = calloc(n, sizeof *in);
    __wasi_event_t *out = calloc(n, sizeof *out);
    check(in && out);
    /* Clocks that are due at once. */
    for (uint32_t i = 0; i < n; i++) {
        in[i].userdata = 1000000u + i;
        in[i].u.tag = __WASI_EVENTTYPE_CLOCK;
        in[i].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
        in[i].u.u.clock.timeout = 0;
    }
    __wasi_size_t got = 12345;
    check(__wasi_poll_oneoff(in, out, n, &got) == __WASI_ERRNO_INVAL);
    check(got == 12345);
    /* Over buffers too small for the count, the pointers fault first. */
    check(raw_poll_oneoff((int32_t)in, (int32_t)out, 0x10000000, (int32_t)&got) ==
          __WASI_ERRNO_FAULT);
    check(raw_poll_oneoff((int32_t)in, (int32_t)out, -1, (int32_t)&got) == __WASI_ERRNO_FAULT);

    /* At the bound: every clock fires, each reported once. */
    memset(out, 0xff, n * sizeof *out);
    check(__wasi_poll_oneoff(in, out, MAX_SUBS, &got) == 0);
    check(got == MAX_SUBS);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < MAX_SUBS; i++)
        bad += out[i].userdata != 1000000u + i || out[i].error != 0 ||
               out[i].type != __WASI_EVENTTYPE_CLOCK;
    check(bad == 0);
    check(out[MAX_SUBS].userdata == ~0ull); /* nothing written past n events */

    /* A large mix: fd_write on stdout (ready) among clocks an hour away. */
    uint32_t m = 20000;
    for (uint32_t i = 0; i < m; i++)
        in[i].u.u.clock.timeout = 3600ull * 1000000000ull;
    for (uint32_t i = 0; i < m; i += 100) {
        memset(&in[i].u, 0, sizeof in[i].u);
        in[i].u.tag = __WASI_EVENTTYPE_FD_WRITE;
        in[i].u.u.fd_write.file_descriptor = 1;
    }
    check(__wasi_poll_oneoff(in, out, m, &got) == 0);
    check(got == m / 100);
    bad = 0;
    for (uint32_t k = 0; k < got; k++)
        bad += out[k].userdata != 1000000u + k * 100 || out[k].error != 0 ||
               out[k].type != __WASI_EVENTTYPE_FD_WRITE;
    check(bad == 0);
    put("poll limit ok\n");
    return 0;
}

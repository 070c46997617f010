/*
 * narrow_cas.c -- compare-exchange on 8- and 16-bit atomics whose expected
 * value comes from a wider counter.  C truncates it, but LLVM passes the
 * register unmasked to i32.atomic.rmw8/16.cmpxchg_u, whose operands the
 * threads proposal wraps to the access width.  An engine that compares the
 * whole operand never stores once a counter passes 255 (65535).
 *
 * THREADS threads (and the main thread) each own one byte and one halfword,
 * which only they change: every compare-exchange on them must succeed.  They
 * also all increment one shared byte and one shared halfword with
 * compare-exchange loops: the totals must be exact modulo the width.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "weft_guest.h"

#define THREADS 4
#define ITERS 3000

static _Atomic uint8_t own8[THREADS + 1];
static _Atomic uint16_t own16[THREADS + 1];
static _Atomic uint8_t shared8;
static _Atomic uint16_t shared16;
static unsigned failures[THREADS + 1];

/* n counts past the width on purpose: the truncation to the width is the
 * compiler's to do (and LLVM leaves it to the instruction). */
static void *work(void *arg)
{
    unsigned idx = (unsigned)(uintptr_t)arg;
    for (unsigned n = 0; n < ITERS * 30; n++) {
        uint8_t e8 = (uint8_t)n;
        if (!atomic_compare_exchange_strong(&own8[idx], &e8, (uint8_t)(n + 1)))
            failures[idx]++;
        uint16_t e16 = (uint16_t)n;
        if (!atomic_compare_exchange_strong(&own16[idx], &e16, (uint16_t)(n + 1)))
            failures[idx]++;
    }
    unsigned seen8 = atomic_load(&shared8), seen16 = atomic_load(&shared16);
    for (unsigned i = 0; i < ITERS; i++) {
        for (uint8_t e = (uint8_t)seen8;
             !atomic_compare_exchange_weak(&shared8, &e, (uint8_t)(seen8 + 1));)
            seen8 = e;
        seen8++;
        for (uint16_t e = (uint16_t)seen16;
             !atomic_compare_exchange_weak(&shared16, &e, (uint16_t)(seen16 + 1));)
            seen16 = e;
        seen16++;
    }
    return NULL;
}

int main(void)
{
    int r = wg_run_team(THREADS + 1, work);
    if (r) {
        printf("spawn failed: %d\n", r);
        return 1;
    }
    unsigned bad = 0, total = (THREADS + 1) * ITERS;
    for (unsigned i = 0; i <= THREADS; i++) {
        bad += failures[i];
        if (own8[i] != (uint8_t)(ITERS * 30) || own16[i] != (uint16_t)(ITERS * 30))
            bad++;
    }
    printf("own: %u failed compare-exchanges; shared8 %u (expected %u), shared16 %u "
           "(expected %u)\n",
           bad, (unsigned)shared8, total % 256, (unsigned)shared16, total % 65536);
    return bad == 0 && shared8 == total % 256 && shared16 == total % 65536 ? 0 : 1;
}

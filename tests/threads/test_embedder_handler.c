/*
 * test_embedder_handler.c -- an embedder's own SIGSEGV/SIGBUS handler beside
 * weft's, in both orders (include/weft.h, "Signals"):
 *  (a) installed before weft's: weft chains to it for every fault that is not
 *      a guest's, and guest faults still trap;
 *  (b) installed after weft's, without chaining, calling weft_handle_signal
 *      first: guest faults trap as before, and a host fault outside wasm
 *      reaches the embedder's handler (weft_handle_signal returns false).
 * The embedder's handlers recover from a host fault with siglongjmp.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/reentry.h"
#include "support/signals.h"

static sigjmp_buf host_jmp;
static volatile sig_atomic_t early_calls, late_calls, late_declined;
static void *volatile fault_addr;

/* (a): installed in main() before weft's handler exists. */
static void early_handler(int sig, siginfo_t *info, void *uctx)
{
    (void)sig;
    (void)uctx;
    early_calls++;
    fault_addr = info->si_addr;
    siglongjmp(host_jmp, 1);
}

/* (b): replaces weft's handler and never chains; asks weft first. */
static void late_handler(int sig, siginfo_t *info, void *uctx)
{
    late_calls++;
    if (weft_handle_signal(sig, info, uctx))
        return; /* not reached: a claimed fault does not come back */
    late_declined++;
    fault_addr = info->si_addr;
    siglongjmp(host_jmp, 1);
}

static weft_status host(void *env, weft_caller *caller, const weft_val *args, weft_val *results,
                        weft_error *err)
{
    (void)env;
    (void)caller;
    (void)err;
    results[0].of.i32 = args[0].of.i32;
    return WEFT_OK;
}

/* Reads `p` as the host, outside wasm; returns whether that faulted. */
static bool host_read_faults(volatile uint8_t *p)
{
    if (sigsetjmp(host_jmp, 1) == 0) {
        (void)*p;
        return false;
    }
    return true;
}

/* Guest out-of-bounds loads trap, several times in a row (a handler that left
 * the signal blocked would make the second one kill). */
static void assert_guest_traps(reentry *r)
{
    weft_error err;
    int32_t v = -1;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(reentry_call(r->load, 65536 + 4 * i, NULL, &err), WEFT_TRAP);
        assert_int_equal(err.code, WEFT_E_OOB_MEMORY);
    }
    assert_int_equal(reentry_call(r->load, 8, &v, &err), WEFT_OK);
    assert_int_equal(v, 0);
}

static uint8_t *inaccessible_page(void)
{
    void *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    assert_true(p != MAP_FAILED);
    return p;
}

static void test_handler_before_weft(void **state)
{
    (void)state;
    test_traps_on();
    reentry r;
    reentry_open(&r, NULL, host, NULL);
    early_calls = 0;
    assert_guest_traps(&r);
    assert_int_equal(early_calls, 0);

    uint8_t *page = inaccessible_page();
    assert_true(host_read_faults(page));
    assert_int_equal(early_calls, 1);
    assert_ptr_equal(fault_addr, page);
    /* An address weft would claim inside wasm is the host's own fault outside. */
    uint8_t *guard = weft_memory_data(r.memory) + 65536;
    assert_true(host_read_faults(guard));
    assert_int_equal(early_calls, 2);
    assert_ptr_equal(fault_addr, guard);
    munmap(page, (size_t)sysconf(_SC_PAGESIZE));
    assert_guest_traps(&r);
    assert_int_equal(early_calls, 2);
    reentry_close(&r);
    test_traps_off();
}

static void test_handler_after_weft(void **state)
{
    (void)state;
    test_traps_on();
    reentry r;
    reentry_open(&r, NULL, host, NULL);
    /* Without SA_ONSTACK or SA_NODEFER, as a plain handler is often set. */
    struct sigaction sa, weft_segv, weft_bus;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = late_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGSEGV, &sa, &weft_segv), 0);
    assert_int_equal(sigaction(SIGBUS, &sa, &weft_bus), 0);
    late_calls = late_declined = 0;

    assert_guest_traps(&r);
    assert_int_equal(late_calls, 3);
    assert_int_equal(late_declined, 0);

    uint8_t *page = inaccessible_page();
    assert_true(host_read_faults(page));
    assert_int_equal(late_declined, 1);
    assert_ptr_equal(fault_addr, page);
    munmap(page, (size_t)sysconf(_SC_PAGESIZE));
    uint8_t *guard = weft_memory_data(r.memory) + 65536;
    assert_true(host_read_faults(guard));
    assert_int_equal(late_declined, 2);
    assert_ptr_equal(fault_addr, guard);

    assert_guest_traps(&r);
    assert_int_equal(late_calls, 8);
    assert_int_equal(late_declined, 2);
    sigaction(SIGSEGV, &weft_segv, NULL);
    sigaction(SIGBUS, &weft_bus, NULL);
    reentry_close(&r);
    test_traps_off();
}

/* Nothing of weft's outside a handler: not a fault, not inside wasm. */
static void test_handle_signal_declines(void **state)
{
    (void)state;
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_code = SEGV_MAPERR;
    ucontext_t uc;
    memset(&uc, 0, sizeof uc);
    assert_false(weft_handle_signal(SIGSEGV, &info, &uc));
    assert_false(weft_handle_signal(SIGUSR1, &info, &uc));
    assert_false(weft_handle_signal(SIGSEGV, NULL, &uc));
    assert_false(weft_handle_signal(SIGSEGV, &info, NULL));
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = early_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) != 0 || sigaction(SIGBUS, &sa, NULL) != 0)
        return 1;
    if (!test_signals_save())
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handler_before_weft),
        cmocka_unit_test(test_handler_after_weft),
        cmocka_unit_test(test_handle_signal_declines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

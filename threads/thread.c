/*
 * thread.c -- the per-OS-thread execution context (thr_) and guard-page trap
 * delivery (DESIGN.md invariant 2).
 *
 * Owns: the thr_context of each thread (value stack, alternate signal
 * stack), made lazily on first use or ahead for a thread weft starts, and its
 * release when the thread ends; the one process-wide
 * SIGSEGV/SIGBUS handler and the chain to whatever handler came before it;
 * thr_enter, the only sigsetjmp in weft, with its two guards (native stack,
 * signal mask); weft_handle_signal for embedders that own the handler.
 *
 * Process-wide state is limited to what a signal handler needs (STYLE.md 9):
 * the previous actions, the install-once flags and the pthread key whose
 * destructor frees a context when its thread exits.
 */
#define _GNU_SOURCE /* pthread_getattr_np */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "threads/thread.h"

/* Alternate signal stack: the handler itself needs little, but an unclaimed
 * fault runs the previous handler on this stack too, and sanitizer or crash
 * reporters symbolise there. */
#define THR_ALTSTACK_BYTES ((size_t)128 << 10)

/* Native stack kept free below the last entry that may run: it must hold one
 * more level of host -> wasm calls (about 2 KiB; several times that under
 * ASan), the trap's way out (err_set formats with vsnprintf) and whatever a
 * host function does without entering wasm (WASI path and poll buffers).  At
 * most a quarter of the stack, so small embedder stacks still run wasm. */
#if defined(__SANITIZE_ADDRESS__)
#define THR_NATIVE_MARGIN ((size_t)256 << 10)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define THR_NATIVE_MARGIN ((size_t)256 << 10)
#endif
#endif
#ifndef THR_NATIVE_MARGIN
#define THR_NATIVE_MARGIN ((size_t)64 << 10)
#endif
/* Linux keeps this much unmapped below a growing main-thread stack (the
 * default stack_guard_gap, 256 pages): the stack ends that far above the
 * mapping below it. */
#define THR_KERNEL_STACK_GAP ((size_t)1 << 20)

/* The handler finds the context through this, not pthread_getspecific (not
 * async-signal-safe).  initial-exec: reading it never allocates, also when
 * weft is a shared library, so it is safe inside the handler. */
static __thread thr_context *tls_ctx __attribute__((tls_model("initial-exec")));

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t ctx_key;
static int key_error; /* written once under key_once */

static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static int handler_error; /* written once under handler_once */
/* Written before our handler can run (under handler_once), read-only after. */
static struct sigaction prev_segv, prev_bus;

static size_t os_page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

/* ---- alternate signal stack -------------------------------------------- */

/* Usable bytes of an alternate signal stack, a multiple of the page size. */
static size_t altstack_bytes(size_t page)
{
    size_t usable = THR_ALTSTACK_BYTES;
#ifdef _SC_SIGSTKSZ
    long min = sysconf(_SC_SIGSTKSZ);
    if (min > 0 && (size_t)min * 4 > usable)
        usable = (size_t)min * 4;
#endif
    return (usable + page - 1) / page * page;
}

static bool altstack_on(thr_context *ctx)
{
    size_t page = os_page_size();
    stack_t ss = { .ss_sp = (char *)ctx->altstack + page,
                   .ss_size = ctx->altstack_size - page,
                   .ss_flags = 0 };
    ctx->altstack_set = sigaltstack(&ss, &ctx->prev_altstack) == 0;
    return ctx->altstack_set;
}

static void altstack_off(thr_context *ctx)
{
    if (!ctx->altstack_set)
        return;
    ctx->altstack_set = false;
    stack_t cur;
    /* Give the thread back what it had (a sanitizer's stack, say) -- but only
     * if ours is still the one installed; someone may have replaced it. */
    if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == (char *)ctx->altstack + os_page_size() &&
        !(cur.ss_flags & SS_ONSTACK)) {
        stack_t prev = ctx->prev_altstack;
        if (prev.ss_flags & SS_DISABLE) {
            prev.ss_sp = NULL;
            prev.ss_size = 0;
            prev.ss_flags = SS_DISABLE;
        } else {
            prev.ss_flags = 0;
        }
        if (sigaltstack(&prev, NULL) != 0) {
            stack_t off = { .ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE };
            sigaltstack(&off, NULL);
        }
    }
}

/* A context made on first use maps its alternate stack on its own. */
static bool altstack_install(thr_context *ctx)
{
    size_t page = os_page_size();
    size_t usable = altstack_bytes(page);
    size_t total = usable + page;
    void *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                   -1, 0);
    if (p == MAP_FAILED)
        return false;
    /* Stacks grow down: a handler that overflows hits this page and dies
     * visibly instead of writing over whatever is mapped below. */
    if (mprotect(p, page, PROT_NONE) != 0)
        goto fail;
    ctx->altstack = p;
    ctx->altstack_size = total;
    if (!altstack_on(ctx))
        goto fail;
    ctx->map = p;
    ctx->map_bytes = total;
    return true;
fail:
    munmap(p, total);
    return false;
}

/* ---- the context ------------------------------------------------------- */

static bool stack_alloc(thr_context *ctx, size_t bytes)
{
    size_t slots = (bytes + sizeof(uint64_t) - 1) / sizeof(uint64_t);
    if (slots == 0)
        slots = 1;
    uint64_t *s = malloc(slots * sizeof(uint64_t));
    if (!s)
        return false;
    if (ctx->stack_malloced)
        free(ctx->stack);
    ctx->stack = s;
    ctx->stack_end = s + slots;
    ctx->stack_bytes = slots * sizeof(uint64_t);
    ctx->stack_malloced = true;
    return true;
}

/* Frees the value stack if malloc'd and unmaps the context's mapping; the
 * struct itself may lie in that mapping (a context made ahead), so nothing
 * of it is read after. */
static void ctx_unmap(thr_context *ctx)
{
    void *map = ctx->map;
    size_t bytes = ctx->map_bytes;
    if (ctx->stack_malloced)
        free(ctx->stack);
    if (map)
        munmap(map, bytes);
}

/* For a context made on first use (pthread key destructor). */
static void ctx_destroy(void *p)
{
    thr_context *ctx = p;
    thr_context_leave(ctx);
    ctx_unmap(ctx);
    free(ctx);
}

static void key_create(void) { key_error = pthread_key_create(&ctx_key, ctx_destroy); }

static thr_context *ctx_new(size_t stack_bytes)
{
    if (pthread_once(&key_once, key_create) != 0 || key_error != 0)
        return NULL;
    thr_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    if (!stack_alloc(ctx, stack_bytes) || !altstack_install(ctx))
        goto fail;
    if (pthread_setspecific(ctx_key, ctx) != 0)
        goto fail;
    tls_ctx = ctx;
    return ctx;
fail:
    ctx_destroy(ctx);
    return NULL;
}

/*
 * A context made ahead is one mapping, low addresses first:
 *
 *   guard page | alternate signal stack | native stack ... (glibc's TLS) | value stack | thr_context
 *
 * Two VMAs (the guard page and the rest), where separate mappings cost five
 * (native stack and its guard, alternate stack and its guard, value stack):
 * vm.max_map_count (65530) is what limited threads before address space did.
 * The guard page serves both stacks.  The alternate stack overflows into it
 * (DESIGN.md invariant 2).  An overflow of the native stack runs through the
 * alternate stack first -- unused then, since nothing runs on it outside a
 * handler -- and then faults on the guard with the stack pointer inside the
 * alternate stack, so the kernel cannot push a signal frame and kills the
 * process with SIGSEGV: still a visible crash, never a silent overwrite.
 * The value stack needs no guard: its frames and operands are checked
 * explicitly (engine/interp.c).
 */
static size_t ctx_head_bytes(size_t page)
{
    return (sizeof(thr_context) + page - 1) / page * page;
}

/* Puts a fresh context (outside wasm, in no group) at the top of `p`. */
static thr_context *ctx_lay_out(char *p, size_t total, size_t alt, size_t native)
{
    size_t page = os_page_size();
    size_t head = ctx_head_bytes(page);
    size_t value = total - head - page - alt - native;
    thr_context *ctx = (thr_context *)(void *)(p + total - head);
    memset(ctx, 0, sizeof *ctx);
    ctx->map = p;
    ctx->map_bytes = total;
    ctx->altstack = p;
    ctx->altstack_size = page + alt;
    ctx->native_stack = p + page + alt;
    ctx->native_bytes = native;
    ctx->stack = (uint64_t *)(void *)(p + page + alt + native);
    ctx->stack_bytes = value;
    ctx->stack_end = ctx->stack + value / sizeof(uint64_t);
    return ctx;
}

thr_context *thr_context_new(size_t native_bytes, size_t value_bytes)
{
    size_t page = os_page_size();
    size_t alt = altstack_bytes(page);
    if (native_bytes > SIZE_MAX / 4 || value_bytes > SIZE_MAX / 4)
        return NULL;
    size_t native = (native_bytes + page - 1) / page * page;
    size_t value = (value_bytes + page - 1) / page * page;
    if (value == 0)
        value = page;
    size_t total = page + alt + native + value + ctx_head_bytes(page);
    char *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                   -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (mprotect(p, page, PROT_NONE) != 0) {
        munmap(p, total);
        return NULL;
    }
    return ctx_lay_out(p, total, alt, native);
}

thr_context *thr_context_reuse(thr_context *ctx)
{
    if (ctx->stack_malloced)
        free(ctx->stack);
    return ctx_lay_out(ctx->map, ctx->map_bytes, ctx->altstack_size - os_page_size(),
                       ctx->native_bytes);
}

void thr_context_native_stack(const thr_context *ctx, void **addr, size_t *bytes)
{
    *addr = ctx->native_stack;
    *bytes = ctx->native_bytes;
}

void thr_context_adopt(thr_context *ctx)
{
    tls_ctx = ctx;
    altstack_on(ctx);
}

void thr_context_leave(thr_context *ctx)
{
    /* First, so that a signal from here on finds no context. */
    tls_ctx = NULL;
    altstack_off(ctx);
}

void thr_context_free(thr_context *ctx)
{
    if (ctx)
        ctx_unmap(ctx);
}

thr_context *thr_current(size_t stack_bytes)
{
    thr_context *ctx = tls_ctx;
    if (!ctx)
        return ctx_new(stack_bytes);
    /* The value stack holds live frames while wasm runs: only swap it when
     * none do.  A nested entry keeps the stack it has (see stack_bytes). */
    if (stack_bytes > ctx->stack_bytes && !ctx->inside_wasm && ctx->depth == 0 &&
        !stack_alloc(ctx, stack_bytes))
        return NULL;
    return ctx;
}

void thr_allow_range(thr_context *ctx, const void *start, size_t len)
{
    uintptr_t s = (uintptr_t)start, e = s + len;
    sig_atomic_t n = ctx->nreservations;
    for (sig_atomic_t i = 0; i < n; i++)
        if (ctx->reservations[i].start == s && ctx->reservations[i].end == e)
            return;
    if (n < THR_MAX_RESERVATIONS) {
        ctx->reservations[n] = (thr_reservation){ s, e };
        /* The entry is complete before the handler may look at it. */
        atomic_signal_fence(memory_order_seq_cst);
        ctx->nreservations = n + 1;
        return;
    }
    /* All slots taken (a thread that ran many memories, most of them freed by
     * now): reuse the oldest.  Empty the slot first so the handler never sees
     * a mix of two ranges. */
    thr_reservation *r = &ctx->reservations[ctx->next_slot++ % THR_MAX_RESERVATIONS];
    r->end = r->start;
    atomic_signal_fence(memory_order_seq_cst);
    r->start = s;
    atomic_signal_fence(memory_order_seq_cst);
    r->end = e;
}

/* ---- the handler --------------------------------------------------------- */

static bool ctx_claims(const thr_context *ctx, uintptr_t addr)
{
    sig_atomic_t n = ctx->nreservations;
    for (sig_atomic_t i = 0; i < n; i++)
        if (addr >= ctx->reservations[i].start && addr < ctx->reservations[i].end)
            return true;
    return false;
}

/* Hands an unclaimed signal to whoever had it before weft.  Async-signal-safe. */
static void forward(int sig, siginfo_t *info, void *uctx)
{
    const struct sigaction *prev = sig == SIGBUS ? &prev_bus : &prev_segv;
    if (prev->sa_flags & SA_SIGINFO) {
        if (prev->sa_sigaction) {
            prev->sa_sigaction(sig, info, uctx);
            return;
        }
    } else if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
        prev->sa_handler(sig);
        return;
    }
    /* Default (or ignored, which the kernel does not honour for a real fault):
     * put the default action back and return; the faulting instruction runs
     * again and the process dies of the signal, as it would without weft.
     * A signal sent by kill() re-executes nothing, so raise it again. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    if (info->si_code <= 0)
        raise(sig);
}

/* Claims a fault of wasm code on this thread: records it and siglongjmps to
 * the innermost entry, so it returns only with false, for a signal that is
 * not weft's.  Async-signal-safe. */
static bool claim(int sig, siginfo_t *info, void *uctx)
{
    thr_context *ctx = tls_ctx;
    /* si_code > 0: the kernel reports a fault (for kill() the address field
     * holds the sender's pid and uid instead). */
    if ((sig != SIGSEGV && sig != SIGBUS) || !info || !uctx || !ctx || !ctx->inside_wasm ||
        !ctx->jmp || info->si_code <= 0 || !ctx_claims(ctx, (uintptr_t)info->si_addr))
        return false;
    ctx->fault_addr = (uintptr_t)info->si_addr;
#if defined(__linux__) && defined(__x86_64__)
    /* Where it faulted: compiled code maps it to an instruction (jit/). */
    ctx->fault_pc = (uintptr_t)((ucontext_t *)uctx)->uc_mcontext.gregs[REG_RIP];
#elif defined(__APPLE__) && defined(__x86_64__)
    ctx->fault_pc = (uintptr_t)((ucontext_t *)uctx)->uc_mcontext->__ss.__rip;
#else
    ctx->fault_pc = 0;
#endif
    /* siglongjmp does not restore the mask (sigsetjmp(buf, 0)); put back
     * the interrupted code's own, which a returning handler would have
     * restored -- a wrapper's sa_mask (TSan blocks everything) or an
     * embedder's handler without SA_NODEFER would otherwise leave the
     * signal blocked, and a second fault would kill. */
    pthread_sigmask(SIG_SETMASK, &((ucontext_t *)uctx)->uc_sigmask, NULL);
    siglongjmp(*ctx->jmp, 1);
}

static void on_fault(int sig, siginfo_t *info, void *uctx)
{
    int saved_errno = errno;
    claim(sig, info, uctx);
    forward(sig, info, uctx);
    errno = saved_errno;
}

WEFT_API bool weft_handle_signal(int sig, void *info, void *ucontext)
{
    return claim(sig, info, ucontext);
}

static bool handler_is_ours(int sig)
{
    struct sigaction cur;
    memset(&cur, 0, sizeof cur);
    return sigaction(sig, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
           cur.sa_sigaction == on_fault;
}

static void handler_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    /* ONSTACK: a fault may come from a thread whose stack is nearly spent.
     * NODEFER: a fault while forwarding must not find the signal blocked
     * (a blocked synchronous SIGSEGV kills the process silently).  An empty
     * mask, since siglongjmp leaves the mask as the handler had it. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    /* Read the previous actions first, so that a fault on another thread
     * between the install and the return of sigaction finds them. */
    if (sigaction(SIGSEGV, NULL, &prev_segv) != 0 || sigaction(SIGBUS, NULL, &prev_bus) != 0 ||
        sigaction(SIGSEGV, &sa, &prev_segv) != 0 || sigaction(SIGBUS, &sa, &prev_bus) != 0) {
        handler_error = errno ? errno : EINVAL;
        return;
    }
    /* A sanitizer that keeps these signals for itself (ASan's handle_segv=2
     * or allow_user_segv_handler=0) makes sigaction succeed without doing
     * anything: check that ours is really in place. */
    if (!handler_is_ours(SIGSEGV) || !handler_is_ours(SIGBUS))
        handler_error = EPERM;
}

weft_status thr_install_handler(weft_error *err)
{
    int rc = pthread_once(&handler_once, handler_install);
    if (rc != 0 || handler_error != 0)
        return err_set(err, WEFT_E_UNSUPPORTED, WEFT_NO_OFFSET,
                       "cannot install the SIGSEGV/SIGBUS handler (%s); use "
                       "WEFT_BOUNDS_SOFTWARE", strerror(rc ? rc : handler_error));
    return WEFT_OK;
}

/* ---- entry ----------------------------------------------------------------- */

/* Finds this thread's stack as glibc reports it: a thread's own block, or for
 * the main thread the rlimit, cut at the mapping below. */
static void native_bounds(thr_context *ctx)
{
    ctx->native_known = true;
    pthread_attr_t attr;
    void *addr = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    int rc = pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
    if (rc != 0 || size == 0)
        return;
    size_t margin = THR_NATIVE_MARGIN < size / 4 ? THR_NATIVE_MARGIN : size / 4;
    /* The main thread's stack grows on demand, up to the rlimit less what
     * argv and environ hold above the stack.  When glibc reports much less,
     * it cut the size at the mapping below, and the kernel's gap comes off
     * too.  (Args beyond a MiB make this err on the safe side.) */
    struct rlimit rl;
    if (getpid() == (pid_t)syscall(SYS_gettid) && getrlimit(RLIMIT_STACK, &rl) == 0 &&
        (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > size + THR_KERNEL_STACK_GAP) &&
        size > THR_KERNEL_STACK_GAP + margin)
        margin += THR_KERNEL_STACK_GAP;
    ctx->native_base = (uintptr_t)addr;
    ctx->native_margin = margin;
}

/* Is the native stack nearly spent at `sp`?  One compare: an address outside
 * the thread's stack (a coroutine's stack, say) wraps past the margin and is
 * not checked -- its bounds are not known. */
static inline bool native_exhausted(thr_context *ctx, uintptr_t sp)
{
    if (__builtin_expect(!ctx->native_known, 0))
        native_bounds(ctx);
    return sp - ctx->native_base < ctx->native_margin;
}

/* Unblocks SIGSEGV and SIGBUS; returns those of them that were blocked, for
 * fault_mask_restore.  One system call, made only by the outermost entry that
 * may fault (nested ones run under the mask it set): the mask cannot be read
 * without one, and an embedder may change it between any two calls. */
static sigset_t fault_mask_open(void)
{
    sigset_t faults, old, was;
    sigemptyset(&faults);
    sigaddset(&faults, SIGSEGV);
    sigaddset(&faults, SIGBUS);
    sigemptyset(&was);
    if (pthread_sigmask(SIG_UNBLOCK, &faults, &old) != 0)
        return was;
    if (sigismember(&old, SIGSEGV) == 1)
        sigaddset(&was, SIGSEGV);
    if (sigismember(&old, SIGBUS) == 1)
        sigaddset(&was, SIGBUS);
    return was;
}

/* Blocks again what fault_mask_open found blocked, and nothing else: a host
 * function may have changed other signals on purpose. */
static void fault_mask_restore(const sigset_t *was)
{
    if (sigismember(was, SIGSEGV) == 1 || sigismember(was, SIGBUS) == 1)
        pthread_sigmask(SIG_BLOCK, was, NULL);
}

/* fn(arg) inside wasm, with the jump buffer a guard fault returns to. */
static weft_status enter_jmp(thr_context *ctx, weft_status (*fn)(void *arg), void *arg,
                             weft_error *err)
{
    sigjmp_buf buf;
    /* Set before sigsetjmp and never changed after it, so they keep their
     * values across the siglongjmp without being volatile. */
    sigjmp_buf *const prev_jmp = ctx->jmp;
    const sig_atomic_t prev_inside = ctx->inside_wasm;
    const uint32_t prev_depth = ctx->depth;
    weft_status st;

    /* 0: no signal mask saved -- entries are frequent; the handler restores
     * the mask itself on the rare trap. */
    if (sigsetjmp(buf, 0) == 0) {
        ctx->jmp = &buf;
        atomic_signal_fence(memory_order_seq_cst);
        ctx->inside_wasm = 1;
        st = fn(arg);
    } else {
        st = err_set(err, WEFT_E_OOB_MEMORY, WEFT_NO_OFFSET, NULL);
    }
    /* The frames a trap skipped are gone: their depth goes with them. */
    ctx->inside_wasm = prev_inside;
    atomic_signal_fence(memory_order_seq_cst);
    ctx->jmp = prev_jmp;
    ctx->depth = prev_depth;
    return st;
}

weft_status thr_enter(thr_context *ctx, weft_status (*fn)(void *arg), void *arg,
                      bool unblock_faults, weft_error *err)
{
    /* The frame address, not a local's: ASan may move locals to a heap
     * "fake stack". */
    if (native_exhausted(ctx, (uintptr_t)__builtin_frame_address(0)))
        return err_set(err, WEFT_E_STACK_EXHAUSTED, WEFT_NO_OFFSET,
                       "(native stack: host and wasm calls nested too deep)");
    /* Once per thread that may fault (guard mode): the first entry since the
     * memories appeared, normally the outermost. */
    if (!unblock_faults || ctx->faults_unblocked || ctx->nreservations == 0)
        return enter_jmp(ctx, fn, arg, err);
    sigset_t mask_was = fault_mask_open();
    ctx->faults_unblocked = true;
    weft_status st = enter_jmp(ctx, fn, arg, err);
    /* A fault returns to the innermost entry, so this one always gets here. */
    ctx->faults_unblocked = false;
    fault_mask_restore(&mask_was);
    return st;
}

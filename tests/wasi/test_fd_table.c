/*
 * test_fd_table.c -- the WASI context's core: fd table lookups and rights,
 * an entry outliving a concurrent close, interruption of a blocked wait, and
 * calls made directly through the wasi_call convention on a real memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "wasi/fd_table.h"

typedef struct fixture {
    weft_engine *engine;
    wasi_ctx *w;
    int in[2], out[2]; /* pipes standing in for stdin and stdout */
    weft_memory *mem;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    weft_error err;
    assert_int_equal(weft_engine_new(NULL, &f->engine, &err), WEFT_OK);
    assert_int_equal(pipe(f->in), 0);
    assert_int_equal(pipe(f->out), 0);
    const char *argv[] = {"prog", "a1"};
    const char *envp[] = {"K=V"};
    weft_program_config cfg;
    weft_program_config_init(&cfg);
    cfg.argv = argv;
    cfg.argc = 2;
    cfg.envp = envp;
    cfg.envc = 1;
    cfg.stdin_fd = f->in[0];
    cfg.stdout_fd = f->out[1];
    assert_int_equal(wasi_new(f->engine, &cfg, &f->w, &err), WEFT_OK);
    weft_limits lim = {.min = 1, .max = 1, .has_max = true, .shared = true};
    assert_int_equal(weft_memory_new(f->engine, &lim, &f->mem, &err), WEFT_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    wasi_free(f->w);
    weft_memory_free(f->mem);
    weft_engine_free(f->engine);
    /* The context never closes the host's stdio: these closes must succeed. */
    assert_int_equal(close(f->in[0]), 0);
    assert_int_equal(close(f->out[1]), 0);
    close(f->in[1]);
    close(f->out[0]);
    free(f);
    return 0;
}

static void test_lookup_and_rights(void **state)
{
    fixture *f = *state;
    wasi_fd *e;
    assert_int_equal(wasi_fd_get(f->w, 1, WASI_RIGHT_FD_WRITE, &e), WASI_ESUCCESS);
    assert_int_equal(e->host_fd, f->out[1]);
    assert_true(e->borrowed);
    wasi_fd_put(f->w, e);
    /* A pipe's write end cannot be read, and nothing can seek a pipe. */
    assert_int_equal(wasi_fd_get(f->w, 1, WASI_RIGHT_FD_READ, &e), WASI_ENOTCAPABLE);
    assert_int_equal(wasi_fd_get(f->w, 0, WASI_RIGHT_FD_SEEK, &e), WASI_ENOTCAPABLE);
    assert_int_equal(wasi_fd_get(f->w, 9, 0, &e), WASI_EBADF);
    assert_int_equal(wasi_fd_get(f->w, UINT32_MAX, 0, &e), WASI_EBADF);

    uint32_t fd;
    assert_int_equal(wasi_fd_insert(f->w, dup(f->out[1]), WASI_FILETYPE_UNKNOWN,
                                    WASI_RIGHT_FD_WRITE, 0, 0, &fd),
                     WASI_ESUCCESS);
    assert_int_equal(fd, 3); /* lowest free number from 3 */
    assert_int_equal(wasi_fd_renumber_to(f->w, 3, 0), WASI_ESUCCESS);
    assert_int_equal(wasi_fd_get(f->w, 3, 0, &e), WASI_EBADF);
    assert_int_equal(wasi_fd_get(f->w, 0, WASI_RIGHT_FD_WRITE, &e), WASI_ESUCCESS);
    wasi_fd_put(f->w, e);
    assert_int_equal(wasi_fd_remove(f->w, 0), WASI_ESUCCESS);
    assert_int_equal(wasi_fd_remove(f->w, 0), WASI_EBADF);
}

/* Readers hold fd 3 while the main thread closes and reopens it: every held
 * entry's host fd must stay open until it is put back. */
typedef struct race {
    fixture *f;
    _Atomic bool stop;
    _Atomic long held, bad;
} race;

static void *race_reader(void *arg)
{
    race *r = arg;
    while (!atomic_load(&r->stop)) {
        wasi_fd *e;
        if (wasi_fd_get(r->f->w, 3, 0, &e) != WASI_ESUCCESS)
            continue;
        atomic_fetch_add(&r->held, 1);
        if (fcntl(e->host_fd, F_GETFD) < 0)
            atomic_fetch_add(&r->bad, 1);
        wasi_fd_put(r->f->w, e);
    }
    return NULL;
}

static void test_close_while_held(void **state)
{
    race r = {.f = *state};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&t[i], NULL, race_reader, &r), 0);
    for (int i = 0; i < 20000 || atomic_load(&r.held) < 1000; i++) {
        uint32_t fd;
        assert_int_equal(wasi_fd_insert(r.f->w, dup(r.f->out[1]), WASI_FILETYPE_UNKNOWN, 0, 0,
                                        0, &fd),
                         WASI_ESUCCESS);
        assert_int_equal(fd, 3);
        assert_int_equal(wasi_fd_remove(r.f->w, 3), WASI_ESUCCESS);
    }
    atomic_store(&r.stop, true);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    assert_true(atomic_load(&r.held) >= 1000);
    assert_int_equal(atomic_load(&r.bad), 0);
}

static void *blocked_wait(void *arg)
{
    fixture *f = arg;
    return (void *)(uintptr_t)wasi_wait_fd(f->w, f->in[0], POLLIN);
}

static void test_interrupt_wakes_wait(void **state)
{
    fixture *f = *state;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, blocked_wait, f), 0);
    struct timespec nap = {0, 50 * 1000 * 1000};
    nanosleep(&nap, NULL); /* let it block in poll (the result is the same if not) */
    wasi_interrupt(f->w);
    wasi_interrupt(f->w); /* idempotent */
    void *res;
    pthread_join(t, &res);
    assert_int_equal((uintptr_t)res, WASI_EINTR);
}

/* Calls `fn` with i32 arguments. */
static wasi_errno call(fixture *f, wasi_errno (*fn)(wasi_call *), int n, ...)
{
    weft_val args[8];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        args[i] = (weft_val){.kind = WEFT_I32, .of.i32 = va_arg(ap, int32_t)};
    va_end(ap);
    weft_error err;
    wasi_call c = {.w = f->w, .mem = f->mem, .args = args, .status = WEFT_OK, .err = &err};
    wasi_errno r = fn(&c);
    assert_int_equal(c.status, WEFT_OK);
    return r;
}

static void test_calls_on_memory(void **state)
{
    fixture *f = *state;
    uint8_t *m = weft_memory_data(f->mem);
    /* fd_write of "hey" from an iovec at 0 pointing to 100 */
    memcpy(m + 100, "hey", 3);
    wasi_st32(m, 100);
    wasi_st32(m + 4, 3);
    assert_int_equal(call(f, wasi_fd_write, 4, 1, 0, 1, 200), WASI_ESUCCESS);
    assert_int_equal(wasi_ld32(m + 200), 3);
    char buf[8] = {0};
    assert_int_equal(read(f->out[0], buf, sizeof buf), 3);
    assert_string_equal(buf, "hey");
    /* A buffer past the end of memory: EFAULT, nothing written. */
    wasi_st32(m + 4, 65536);
    assert_int_equal(call(f, wasi_fd_write, 4, 1, 0, 1, 200), WASI_EFAULT);
    /* args: "prog\0a1\0" */
    assert_int_equal(call(f, wasi_args_sizes_get, 2, 300, 304), WASI_ESUCCESS);
    assert_int_equal(wasi_ld32(m + 300), 2);
    assert_int_equal(wasi_ld32(m + 304), 8);
    assert_int_equal(call(f, wasi_args_get, 2, 400, 500), WASI_ESUCCESS);
    assert_int_equal(wasi_ld32(m + 404), 505);
    assert_string_equal((char *)m + 505, "a1");
    assert_int_equal(call(f, wasi_environ_get, 2, 65534, 500), WASI_EFAULT);
    /* clocks */
    assert_int_equal(call(f, wasi_clock_res_get, 2, WASI_CLOCK_MONOTONIC, 600), WASI_ESUCCESS);
    assert_true(wasi_ld64(m + 600) > 0);
    assert_int_equal(call(f, wasi_clock_res_get, 2, 4, 600), WASI_EINVAL);
    /* fdstat of the stdin pipe: unknown type, read but no write right */
    assert_int_equal(call(f, wasi_fd_fdstat_get, 2, 0, 700), WASI_ESUCCESS);
    assert_int_equal(m[700 + WASI_FDSTAT_FILETYPE], WASI_FILETYPE_UNKNOWN);
    uint64_t rights = wasi_ld64(m + 700 + WASI_FDSTAT_RIGHTS_BASE);
    assert_true(rights & WASI_RIGHT_FD_READ);
    assert_false(rights & WASI_RIGHT_FD_WRITE);
    /* Rights only shrink. */
    weft_val a3[3] = {{.kind = WEFT_I32, .of.i32 = 0},
                      {.kind = WEFT_I64, .of.i64 = (int64_t)WASI_RIGHT_FD_READ},
                      {.kind = WEFT_I64, .of.i64 = 0}};
    weft_error err;
    wasi_call c = {.w = f->w, .mem = f->mem, .args = a3, .err = &err};
    assert_int_equal(wasi_fd_fdstat_set_rights(&c), WASI_ESUCCESS);
    a3[1].of.i64 = (int64_t)(WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE);
    assert_int_equal(wasi_fd_fdstat_set_rights(&c), WASI_ENOTCAPABLE);
}

static void test_proc_exit(void **state)
{
    fixture *f = *state;
    weft_val a = {.kind = WEFT_I32, .of.i32 = 17};
    weft_error err;
    wasi_call c = {.w = f->w, .mem = f->mem, .args = &a, .status = WEFT_OK, .err = &err};
    wasi_proc_exit(&c);
    assert_int_equal(c.status, WEFT_EXIT);
    assert_int_equal(err.code, WEFT_E_EXITED);
    assert_int_equal(err.exit_code, 17);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lookup_and_rights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_while_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_wakes_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calls_on_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proc_exit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

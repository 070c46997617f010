/*
 * wasi.c -- the WASI context's life (wasi_new / wasi_free), the import table
 * expanded from calls.def (one host function per call), the dispatcher that
 * turns each guest call into a wasi_call, and group interruption.
 */
#include "wasi/fd_table.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* ---- the call table ---------------------------------------------------------- */

typedef wasi_errno (*wasi_fn)(wasi_call *c);

typedef struct wasi_call_desc {
    const char *name;
    const char *params;  /* 'i' i32, 'I' i64 */
    const char *results;
    wasi_fn fn;
} wasi_call_desc;

static const wasi_call_desc wasi_calls[] = {
#define WASI_CALL(name, params, results) {#name, params, results, wasi_##name},
#include "wasi/calls.def"
#undef WASI_CALL
};
#define WASI_NCALLS WEFT_ARRAY_LEN(wasi_calls)

/* The env of each host function. */
struct wasi_import_slot {
    wasi_ctx *w;
    uint32_t index;
    weft_func *func;
};

static weft_status wasi_terminated(weft_error *err)
{
    return err_set(err, WEFT_E_TERMINATED, WEFT_NO_OFFSET, NULL);
}

static weft_status wasi_host_call(void *env, weft_caller *caller, const weft_val *args,
                                  weft_val *results, weft_error *err)
{
    const struct wasi_import_slot *s = env;
    wasi_ctx *w = s->w;
    if (atomic_load_explicit(&w->interrupted, memory_order_acquire))
        return wasi_terminated(err);
    wasi_call c = {
        .w = w,
        .mem = weft_caller_memory(caller, 0),
        .args = args,
        .status = WEFT_OK,
        .err = err,
    };
    wasi_errno r = wasi_calls[s->index].fn(&c);
    if (c.status != WEFT_OK)
        return c.status;
    /* A call that was blocked (or finished) while the group ended does not
     * return into the guest: the thread is being torn down. */
    if (atomic_load_explicit(&w->interrupted, memory_order_acquire))
        return wasi_terminated(err);
    if (wasi_calls[s->index].results[0]) {
        results[0].kind = WEFT_I32;
        results[0].of.i32 = r;
    }
    return WEFT_OK;
}

static void wasi_kinds(const char *letters, weft_valkind *out, uint32_t *n)
{
    *n = 0;
    for (; *letters; letters++)
        out[(*n)++] = *letters == 'I' ? WEFT_I64 : WEFT_I32;
}

static weft_status wasi_make_imports(wasi_ctx *w, weft_error *err)
{
    weft_status st = WEFT_OK;
    w->imports = eng_calloc(w->engine, WASI_NCALLS, sizeof *w->imports);
    if (!w->imports)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "wasi imports");
    for (uint32_t i = 0; i < WASI_NCALLS; i++) {
        weft_valkind params[16], results[2];
        weft_functype type = {.params = params, .results = results};
        wasi_kinds(wasi_calls[i].params, params, &type.nparams);
        wasi_kinds(wasi_calls[i].results, results, &type.nresults);
        w->imports[i].w = w;
        w->imports[i].index = i;
        TRY(weft_func_new(w->engine, &type, wasi_host_call, &w->imports[i], NULL,
                          &w->imports[i].func, err));
    }
fail:
    return st;
}

/* ---- args and environment copies ---------------------------------------------- */

static weft_status wasi_copy_strings(wasi_ctx *w, const char *const *src, size_t n,
                                     char ***out, size_t *bytes, weft_error *err)
{
    *bytes = 0;
    *out = eng_calloc(w->engine, n ? n : 1, sizeof **out);
    if (!*out)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "wasi strings");
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(src[i]) + 1;
        (*out)[i] = eng_alloc(w->engine, len);
        if (!(*out)[i])
            return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "wasi strings");
        memcpy((*out)[i], src[i], len);
        *bytes += len;
    }
    if (*bytes > UINT32_MAX)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "args or environment too large");
    return WEFT_OK;
}

static void wasi_free_strings(wasi_ctx *w, char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        eng_free(w->engine, v[i]);
    eng_free(w->engine, v);
}

/* ---- the context ------------------------------------------------------------- */

weft_status wasi_new(weft_engine *e, const weft_program_config *cfg, wasi_ctx **out,
                     weft_error *err)
{
    weft_status st = WEFT_OK;
    wasi_ctx *w = eng_calloc(e, 1, sizeof *w);
    if (!w)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET, "wasi context");
    w->engine = e;
    w->intr_fd = -1;
    atomic_init(&w->interrupted, false);
    TRY(wasi_copy_strings(w, cfg->argv, cfg->argc, &w->argv, &w->argv_bytes, err));
    w->argc = cfg->argc;
    TRY(wasi_copy_strings(w, cfg->envp, cfg->envc, &w->envp, &w->envp_bytes, err));
    w->envc = cfg->envc;
    w->intr_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->intr_fd < 0)
        TRY(err_set(err, WEFT_E_IO_ERROR, WEFT_NO_OFFSET, "eventfd: %s", strerror(errno)));
    TRY(wasi_fd_table_init(w, cfg, err));
    TRY(wasi_make_imports(w, err));
    *out = w;
    return WEFT_OK;
fail:
    wasi_free(w);
    return st;
}

void wasi_free(wasi_ctx *w)
{
    if (!w)
        return;
    if (w->imports) {
        for (uint32_t i = 0; i < WASI_NCALLS; i++)
            if (w->imports[i].func)
                weft_func_free(w->imports[i].func);
        eng_free(w->engine, w->imports);
    }
    if (w->fds.slots)
        wasi_fd_table_free(w);
    wasi_free_strings(w, w->argv, w->argc);
    wasi_free_strings(w, w->envp, w->envc);
    if (w->intr_fd >= 0)
        close(w->intr_fd);
    eng_free(w->engine, w);
}

bool wasi_provides(const weft_name *module)
{
    static const char name[] = "wasi_snapshot_preview1";
    return module->len == sizeof name - 1 && memcmp(module->data, name, module->len) == 0;
}

weft_status wasi_import(wasi_ctx *w, const weft_name *name, weft_func **out, weft_error *err)
{
    for (uint32_t i = 0; i < WASI_NCALLS; i++) {
        if (strlen(wasi_calls[i].name) == name->len &&
            memcmp(wasi_calls[i].name, name->data, name->len) == 0) {
            *out = w->imports[i].func;
            return WEFT_OK;
        }
    }
    return err_set(err, WEFT_E_UNKNOWN_IMPORT, WEFT_NO_OFFSET, "wasi_snapshot_preview1::%.*s",
                   (int)name->len, name->data);
}

void wasi_interrupt(wasi_ctx *w)
{
    if (atomic_exchange_explicit(&w->interrupted, true, memory_order_acq_rel))
        return;
    uint64_t one = 1;
    /* The eventfd stays readable from now on: every poll on it returns at once. */
    ssize_t n = write(w->intr_fd, &one, sizeof one);
    (void)n;
}

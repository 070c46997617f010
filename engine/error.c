/*
 * error.c -- errors as values: the code table expanded from WEFT_ERRORS, and
 * the functions that fill a caller's weft_error without allocating.
 */
#include <stdio.h>

#include "engine/internal.h"

static const char *const code_text[] = {
#define X(name, cls, text) text,
    WEFT_ERRORS(X)
#undef X
};

static const weft_status code_status[] = {
#define X(name, cls, text) WEFT_##cls,
    WEFT_ERRORS(X)
#undef X
};

WEFT_API const char *weft_code_text(weft_code code)
{
    return (unsigned)code < WEFT_E_COUNT_ ? code_text[code] : "unknown error code";
}

WEFT_API weft_status weft_code_status(weft_code code)
{
    return (unsigned)code < WEFT_E_COUNT_ ? code_status[code] : WEFT_BAD_ARGUMENT;
}

weft_status err_setv(weft_error *err, weft_code code, uint64_t offset, const char *fmt, va_list ap)
{
    weft_status st = weft_code_status(code);
    if (!err)
        return st;
    err->status = st;
    err->code = code;
    err->offset = offset;
    err->exit_code = 0;
    err->thread_id = 0;
    err->nframes = 0;
    int n = snprintf(err->message, sizeof err->message, "%s", weft_code_text(code));
    if (fmt && n >= 0 && (size_t)n + 1 < sizeof err->message) {
        err->message[n] = ' ';
        vsnprintf(err->message + n + 1, sizeof err->message - (size_t)n - 1, fmt, ap);
    }
    return st;
}

weft_status err_set(weft_error *err, weft_code code, uint64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    weft_status st = err_setv(err, code, offset, fmt, ap);
    va_end(ap);
    return st;
}

WEFT_API weft_status weft_error_set(weft_error *err, weft_code code, const char *detail_fmt, ...)
{
    va_list ap;
    va_start(ap, detail_fmt);
    weft_status st = err_setv(err, code, WEFT_NO_OFFSET, detail_fmt, ap);
    va_end(ap);
    return st;
}

WEFT_API size_t weft_error_format(const weft_error *err, char *buf, size_t size)
{
    size_t len = 0;
#define APPEND(...)                                                                   \
    do {                                                                              \
        int n_ = snprintf(size > len ? buf + len : NULL, size > len ? size - len : 0, \
                          __VA_ARGS__);                                               \
        if (n_ > 0)                                                                   \
            len += (size_t)n_;                                                        \
    } while (0)
    if (size)
        buf[0] = '\0';
    APPEND("%s", err->message);
    if (err->offset != WEFT_NO_OFFSET)
        APPEND(" (at offset 0x%llx)", (unsigned long long)err->offset);
    for (uint32_t i = 0; i < err->nframes && i < WEFT_MAX_FRAMES; i++) {
        const weft_frame *f = &err->frames[i];
        APPEND("\n  %u: ", i);
        if (f->name)
            APPEND("%s", f->name);
        else
            APPEND("func[%u]", f->func_index);
        if (f->code_offset != UINT32_MAX)
            APPEND(" @ 0x%x", f->code_offset);
    }
#undef APPEND
    return len;
}

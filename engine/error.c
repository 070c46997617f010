/*
 * error.c -- errors as values: the code table expanded from WEFT_ERRORS, and
 * the functions that fill a caller's weft_error without allocating.
 */
#include <stdio.h>
#include <string.h>

#include "engine/internal.h"
#include "engine/utf8.h"

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

/* A code point a terminal acts on or that hides text: C0 and C1 controls,
 * DEL, and the bidirectional overrides and isolates ("Trojan Source"). */
static bool err_is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t err_escape(char *out, size_t size, const char *s, size_t len)
{
    const uint8_t *u = (const uint8_t *)s;
    size_t o = 0;
    if (!size)
        return 0;
    for (size_t i = 0, step; i < len; i += step) {
        char esc[16];
        uint32_t cp;
        step = utf8_next(u + i, len - i, &cp);
        const char *piece = s + i;
        size_t plen = step;
        if (!step) {
            step = 1;
            plen = (size_t)snprintf(esc, sizeof esc, "\\x%02x", u[i]);
            piece = esc;
        } else if (err_is_control(cp)) {
            plen = (size_t)snprintf(esc, sizeof esc, cp < 0x80 ? "\\x%02x" : "\\u{%x}",
                                    (unsigned)cp);
            piece = esc;
        }
        if (o + plen >= size)
            break; /* only whole characters and escapes */
        memcpy(out + o, piece, plen);
        o += plen;
    }
    out[o] = '\0';
    return o;
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
        /* The detail may quote the module's names (imports, exports):
         * escaped, they cannot drive the terminal that shows the message. */
        char detail[sizeof err->message];
        vsnprintf(detail, sizeof detail, fmt, ap);
        err->message[n] = ' ';
        err_escape(err->message + n + 1, sizeof err->message - (size_t)n - 1, detail,
                   strlen(detail));
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
        if (f->name) {
            char name[1024];
            err_escape(name, sizeof name, f->name, strlen(f->name));
            APPEND("%s", name);
        }
        else
            APPEND("func[%u]", f->func_index);
        if (f->code_offset != UINT32_MAX)
            APPEND(" @ 0x%x", f->code_offset);
    }
#undef APPEND
    return len;
}

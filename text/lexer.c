/*
 * lexer.c -- the text format's tokens (spec 6.3): a run of id characters is
 * one token, classified by its first character; strings and quoted ids are
 * decoded as they are read.  Every error names file:line:column.
 */
#include "text/lexer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/utf8.h"

typedef struct lexer {
    const char *p, *end;
    const char *line_start;
    uint32_t line;
    const char *file;
    wat_tokens *out;
    char *err;
    size_t err_len;
} lexer;

static bool fail_at(lexer *L, const char *at, const char *fmt, ...)
{
    /* The column of `at` on the current line (errors never span lines). */
    int n = snprintf(L->err, L->err_len, "%s:%u:%u: ", L->file ? L->file : "<text>", L->line,
                     (unsigned)(at - L->line_start) + 1);
    if (n >= 0 && (size_t)n < L->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(L->err + n, L->err_len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* Spec 6.3.5: the characters an id, keyword, number or reserved token is
 * made of. */
static bool is_idchar(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return true;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c) != NULL;
}

/* 3.0 (annotations): these may stand in reserved tokens too. */
static bool is_reserved_char(unsigned char c)
{
    return c != 0 && strchr(",;[]{}", c) != NULL;
}

static bool in_run(const lexer *L, const char *p)
{
    unsigned char c = (unsigned char)*p;
    if (is_idchar(c))
        return true;
    /* `;;` starts a comment even right after a token */
    return is_reserved_char(c) && !(c == ';' && p + 1 < L->end && p[1] == ';');
}

static bool put_bytes(lexer *L, const void *b, size_t n)
{
    wat_tokens *t = L->out;
    if (t->strings_len + n > t->strings_cap) {
        size_t cap = t->strings_cap ? t->strings_cap : 256;
        while (cap < t->strings_len + n)
            cap *= 2;
        uint8_t *s = realloc(t->strings, cap);
        if (!s)
            return false;
        t->strings = s;
        t->strings_cap = cap;
    }
    memcpy(t->strings + t->strings_len, b, n);
    t->strings_len += n;
    return true;
}

static bool put_utf8(lexer *L, uint32_t cp)
{
    uint8_t b[4];
    size_t n;
    if (cp < 0x80)
        b[0] = (uint8_t)cp, n = 1;
    else if (cp < 0x800)
        b[0] = (uint8_t)(0xC0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        b[0] = (uint8_t)(0xE0 | cp >> 12), b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)),
        b[2] = (uint8_t)(0x80 | (cp & 0x3F)), n = 3;
    else
        b[0] = (uint8_t)(0xF0 | cp >> 18), b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F)),
        b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (uint8_t)(0x80 | (cp & 0x3F)), n = 4;
    return put_bytes(L, b, n);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the string at L->p (on its opening quote) into the string bytes;
 * *start gets the offset of its first decoded byte. */
static bool read_string(lexer *L, size_t *start, bool *utf8_ok)
{
    *start = L->out->strings_len;
    *utf8_ok = true; /* escapes \hh may make any bytes */
    const char *open = L->p++;
    for (;;) {
        if (L->p >= L->end || *L->p == '\n')
            return fail_at(L, open, "unterminated string");
        unsigned char c = (unsigned char)*L->p;
        if (c == '"') {
            L->p++;
            break;
        }
        if (c < 0x20 || c == 0x7F)
            return fail_at(L, L->p, "control character in string");
        if (c >= 0x80) {
            uint32_t cp;
            size_t n = utf8_next((const uint8_t *)L->p, (size_t)(L->end - L->p), &cp);
            if (!n)
                return fail_at(L, L->p, "malformed UTF-8 encoding");
            if (!put_bytes(L, L->p, n))
                return fail_at(L, L->p, "out of memory");
            L->p += n;
            continue;
        }
        if (c != '\\') {
            if (!put_bytes(L, L->p, 1))
                return fail_at(L, L->p, "out of memory");
            L->p++;
            continue;
        }
        const char *esc = L->p++;
        if (L->p >= L->end)
            return fail_at(L, esc, "unterminated string");
        char e = *L->p++;
        uint8_t byte;
        switch (e) {
        case 't': byte = '\t'; break;
        case 'n': byte = '\n'; break;
        case 'r': byte = '\r'; break;
        case '"': byte = '"'; break;
        case '\'': byte = '\''; break;
        case '\\': byte = '\\'; break;
        case 'u': {
            if (L->p >= L->end || *L->p != '{')
                return fail_at(L, esc, "malformed escape: expected \\u{hex}");
            L->p++;
            uint32_t cp = 0;
            int digits = 0;
            bool last_us = true;
            while (L->p < L->end && *L->p != '}') {
                if (*L->p == '_' && !last_us) {
                    last_us = true;
                    L->p++;
                    continue;
                }
                int h = hexval(*L->p);
                if (h < 0)
                    return fail_at(L, esc, "malformed escape: expected \\u{hex}");
                cp = cp * 16 + (uint32_t)h;
                if (cp > 0x10FFFF)
                    return fail_at(L, esc, "escape beyond U+10FFFF");
                digits++, last_us = false;
                L->p++;
            }
            if (L->p >= L->end || !digits || last_us)
                return fail_at(L, esc, "malformed escape: expected \\u{hex}");
            L->p++;
            if (cp >= 0xD800 && cp < 0xE000)
                return fail_at(L, esc, "escape of a surrogate code point");
            if (!put_utf8(L, cp))
                return fail_at(L, esc, "out of memory");
            continue;
        }
        default: {
            int h1 = hexval(e), h2 = L->p < L->end ? hexval(*L->p) : -1;
            if (h1 < 0 || h2 < 0)
                return fail_at(L, esc, "unknown escape");
            L->p++;
            byte = (uint8_t)(h1 * 16 + h2);
            if (byte >= 0x80)
                *utf8_ok = false;
            break;
        }
        }
        if (!put_bytes(L, &byte, 1))
            return fail_at(L, esc, "out of memory");
    }
    if (!*utf8_ok) {
        /* Bytes from \hh escapes: a name ($"...") must still be UTF-8. */
        const uint8_t *s = L->out->strings + *start;
        size_t n = L->out->strings_len - *start, i = 0;
        uint32_t cp;
        *utf8_ok = true;
        while (i < n) {
            size_t k = utf8_next(s + i, n - i, &cp);
            if (!k) {
                *utf8_ok = false;
                break;
            }
            i += k;
        }
    }
    return true;
}

/* Skips blanks and comments; false on an unterminated block comment. */
static bool skip_space(lexer *L)
{
    while (L->p < L->end) {
        char c = *L->p;
        if (c == '\n') {
            L->p++;
            L->line++;
            L->line_start = L->p;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            L->p++;
        } else if (c == ';' && L->p + 1 < L->end && L->p[1] == ';') {
            /* a line comment ends at a newline: LF, CR or CR LF (spec 6.3.4) */
            while (L->p < L->end && *L->p != '\n' && *L->p != '\r')
                L->p++;
        } else if (c == '(' && L->p + 1 < L->end && L->p[1] == ';') {
            const char *open = L->p;
            uint32_t open_line = L->line;
            const char *open_ls = L->line_start;
            int depth = 1;
            L->p += 2;
            while (depth) {
                if (L->p >= L->end) {
                    L->line = open_line, L->line_start = open_ls;
                    return fail_at(L, open, "unterminated block comment");
                }
                if (*L->p == '(' && L->p + 1 < L->end && L->p[1] == ';')
                    depth++, L->p += 2;
                else if (*L->p == ';' && L->p + 1 < L->end && L->p[1] == ')')
                    depth--, L->p += 2;
                else if (*L->p == '\n')
                    L->p++, L->line++, L->line_start = L->p;
                else
                    L->p++;
            }
        } else {
            return true;
        }
    }
    return true;
}

/* Reads one token into *t (offsets of decoded bytes in data_len's place are
 * fixed up by wat_lex once the string bytes stop moving). */
static bool next_token(lexer *L, wat_token *t, size_t *data_off)
{
    if (!skip_space(L))
        return false;
    memset(t, 0, sizeof *t);
    *data_off = 0;
    t->line = L->line;
    t->col = (uint32_t)(L->p - L->line_start) + 1;
    t->text = L->p;
    if (L->p >= L->end) {
        t->kind = WAT_EOF;
        return true;
    }
    unsigned char c = (unsigned char)*L->p;
    if (c == '(' || c == ')') {
        t->kind = c == '(' ? WAT_LPAR : WAT_RPAR;
        L->p++;
        t->len = 1;
        return true;
    }
    if (c != '"' && !in_run(L, L->p)) {
        if (c >= 0x80) {
            uint32_t cp;
            if (!utf8_next((const uint8_t *)L->p, (size_t)(L->end - L->p), &cp))
                return fail_at(L, L->p, "malformed UTF-8 encoding");
        }
        return fail_at(L, L->p, "unexpected character");
    }
    /* A token is runs of id characters and strings with nothing between
     * them: one string, one run, `$` and a string (a 3.0 quoted id), or
     * else a reserved token (`a"b"`, `"a""b"`, `$"l"0`). */
    int parts = 0, strings = 0;
    bool reserved = false, utf8_ok = true, dollar = false;
    size_t off = 0;
    while (L->p < L->end && (*L->p == '"' || in_run(L, L->p))) {
        if (*L->p == '"') {
            if (!read_string(L, &off, &utf8_ok))
                return false;
            strings++;
        } else {
            dollar = L->p[0] == '$' && L->p + 1 < L->end && !in_run(L, L->p + 1);
            while (L->p < L->end && in_run(L, L->p))
                reserved |= !is_idchar((unsigned char)*L->p++);
        }
        parts++;
    }
    t->len = (size_t)(L->p - t->text);
    if (parts == 1 && strings == 1) {
        t->kind = WAT_STRING;
        *data_off = off;
        t->data_len = L->out->strings_len - off;
    } else if (parts == 2 && strings == 1 && dollar) {
        if (L->out->strings_len == off)
            return fail_at(L, t->text, "empty identifier");
        if (!utf8_ok)
            return fail_at(L, t->text, "malformed UTF-8 encoding in identifier");
        t->kind = WAT_ID;
        *data_off = off;
        t->data_len = L->out->strings_len - off;
    } else if (parts > 1 || reserved) {
        t->kind = WAT_RESERVED;
    } else if (c == '$') {
        if (t->len == 1) {
            t->kind = WAT_RESERVED;
            return true;
        }
        t->kind = WAT_ID;
        *data_off = (size_t)-1; /* the name is the text after `$` */
        t->data = (const uint8_t *)t->text + 1;
        t->data_len = t->len - 1;
    } else if (c >= 'a' && c <= 'z') {
        t->kind = WAT_KEYWORD;
    } else if ((c >= '0' && c <= '9') || c == '+' || c == '-') {
        t->kind = WAT_NUMBER;
    } else {
        t->kind = WAT_RESERVED;
    }
    return true;
}

static bool push(lexer *L, const wat_token *t, size_t data_off, size_t *cap, size_t **offs)
{
    wat_tokens *o = L->out;
    if (o->count == *cap) {
        size_t nc = *cap ? *cap * 2 : 1024;
        wat_token *nt = realloc(o->tok, nc * sizeof *nt);
        if (!nt)
            return false;
        o->tok = nt;
        size_t *no = realloc(*offs, nc * sizeof *no);
        if (!no)
            return false;
        *offs = no;
        *cap = nc;
    }
    (*offs)[o->count] = data_off;
    o->tok[o->count++] = *t;
    return true;
}

bool wat_lex(const char *text, size_t len, const char *file, wat_tokens *out, char *err,
             size_t err_len)
{
    memset(out, 0, sizeof *out);
    lexer L = {text, text + len, text, 1, file, out, err, err_len};
    size_t cap = 0, *offs = NULL;
    for (;;) {
        wat_token t;
        size_t off;
        if (!next_token(&L, &t, &off))
            goto fail;
        if (t.kind == WAT_LPAR && L.p < L.end && *L.p == '@') {
            /* An annotation: skipped with everything inside, balanced. */
            wat_token open = t;
            int depth = 1;
            L.p++;
            /* its id: id characters or a non-empty UTF-8 string, at once */
            const char *id = L.p;
            if (!next_token(&L, &t, &off))
                goto fail;
            if (t.text != id || !(t.kind == WAT_KEYWORD || t.kind == WAT_ID ||
                                  t.kind == WAT_NUMBER || t.kind == WAT_RESERVED ||
                                  (t.kind == WAT_STRING && t.data_len))) {
                fail_at(&L, id, "empty annotation id");
                goto fail;
            }
            if (t.kind == WAT_STRING) {
                const uint8_t *sb = L.out->strings + off;
                uint32_t cp;
                for (size_t k = 0, n = t.data_len; k < n;) {
                    size_t m = utf8_next(sb + k, n - k, &cp);
                    if (!m) {
                        fail_at(&L, id, "malformed UTF-8 encoding in annotation id");
                        goto fail;
                    }
                    k += m;
                }
            }
            while (depth) {
                if (!next_token(&L, &t, &off))
                    goto fail;
                if (t.kind == WAT_EOF) {
                    fail_at(&L, L.p, "unterminated annotation (opened at %u:%u)", open.line,
                            open.col);
                    goto fail;
                }
                depth += t.kind == WAT_LPAR ? 1 : t.kind == WAT_RPAR ? -1 : 0;
            }
            continue;
        }
        if (!push(&L, &t, off, &cap, &offs)) {
            fail_at(&L, L.p, "out of memory");
            goto fail;
        }
        if (t.kind == WAT_EOF)
            break;
    }
    for (size_t i = 0; i < out->count; i++) {
        wat_token *t = &out->tok[i];
        if ((t->kind == WAT_STRING || t->kind == WAT_ID) && offs[i] != (size_t)-1)
            t->data = out->strings ? out->strings + offs[i] : (const uint8_t *)"";
    }
    free(offs);
    return true;
fail:
    free(offs);
    wat_tokens_free(out);
    return false;
}

void wat_tokens_free(wat_tokens *t)
{
    free(t->tok);
    free(t->strings);
    memset(t, 0, sizeof *t);
}

bool wat_is_keyword(const wat_token *t, const char *kw)
{
    size_t n = strlen(kw);
    return t->kind == WAT_KEYWORD && t->len == n && memcmp(t->text, kw, n) == 0;
}

/*
 * json.c -- the recursive-descent JSON reader behind json.h.  wast2json's
 * output nests only a few levels deep; the depth limit exists so that a
 * hostile file cannot exhaust the C stack.
 */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { JSON_MAX_DEPTH = 64 };

typedef struct json_reader {
    const char *p;
    const char *end;
    const char *start;
    char *errbuf;
    size_t errsize;
    bool failed;
} json_reader;

static json *json_value(json_reader *r, int depth);

static void json_fail(json_reader *r, const char *fmt, ...)
{
    if (r->failed)
        return; /* keep the first, innermost reason */
    r->failed = true;
    if (r->errsize == 0)
        return;
    int n = snprintf(r->errbuf, r->errsize, "at byte %zu: ", (size_t)(r->p - r->start));
    if (n < 0 || (size_t)n >= r->errsize)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->errbuf + n, r->errsize - (size_t)n, fmt, ap);
    va_end(ap);
}

static void json_skip_ws(json_reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static bool json_expect(json_reader *r, char c)
{
    json_skip_ws(r);
    if (r->p < r->end && *r->p == c) {
        r->p++;
        return true;
    }
    json_fail(r, "expected '%c'", c);
    return false;
}

static json *json_node(json_reader *r, json_kind kind)
{
    json *v = calloc(1, sizeof *v);
    if (!v)
        json_fail(r, "out of memory");
    else
        v->kind = kind;
    return v;
}

/* Growable byte buffer for decoded strings. */
typedef struct json_buf {
    char *data;
    size_t len, cap;
} json_buf;

static bool json_buf_put(json_buf *b, const char *bytes, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *data = realloc(b->data, cap);
        if (!data)
            return false;
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

static bool json_hex4(json_reader *r, uint32_t *out)
{
    if (r->end - r->p < 4) {
        json_fail(r, "truncated \\u escape");
        return false;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = r->p[i];
        int d = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d < 0) {
            json_fail(r, "bad hex digit in \\u escape");
            return false;
        }
        v = v * 16 + (uint32_t)d;
    }
    r->p += 4;
    *out = v;
    return true;
}

static size_t json_utf8(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A \u escape, already past the "\u".  A lone surrogate is kept as its own
 * three-byte sequence rather than rejected: names in the suite are raw bytes. */
static bool json_unicode_escape(json_reader *r, json_buf *b)
{
    uint32_t cp;
    if (!json_hex4(r, &cp))
        return false;
    if (cp >= 0xD800 && cp < 0xDC00 && r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u') {
        const char *save = r->p;
        uint32_t lo;
        r->p += 2;
        if (json_hex4(r, &lo) && lo >= 0xDC00 && lo < 0xE000)
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        else
            r->p = save;
        if (r->failed)
            return false;
    }
    char out[4];
    return json_buf_put(b, out, json_utf8(cp, out));
}

/* Parses a string starting at the opening quote. */
static bool json_string_raw(json_reader *r, char **str, size_t *len)
{
    json_buf b = {0};
    if (!json_expect(r, '"'))
        return false;
    if (!json_buf_put(&b, "", 0))
        goto nomem;
    for (;;) {
        if (r->p >= r->end) {
            json_fail(r, "unterminated string");
            goto fail;
        }
        char c = *r->p++;
        if (c == '"')
            break;
        if ((unsigned char)c < 0x20) {
            json_fail(r, "control character in string");
            goto fail;
        }
        if (c != '\\') {
            if (!json_buf_put(&b, &c, 1))
                goto nomem;
            continue;
        }
        if (r->p >= r->end) {
            json_fail(r, "unterminated escape");
            goto fail;
        }
        char e = *r->p++, out;
        switch (e) {
        case '"': out = '"'; break;
        case '\\': out = '\\'; break;
        case '/': out = '/'; break;
        case 'b': out = '\b'; break;
        case 'f': out = '\f'; break;
        case 'n': out = '\n'; break;
        case 'r': out = '\r'; break;
        case 't': out = '\t'; break;
        case 'u':
            if (!json_unicode_escape(r, &b)) {
                if (!r->failed)
                    goto nomem;
                goto fail;
            }
            continue;
        default:
            json_fail(r, "bad escape '\\%c'", e);
            goto fail;
        }
        if (!json_buf_put(&b, &out, 1))
            goto nomem;
    }
    *str = b.data;
    *len = b.len;
    return true;
nomem:
    json_fail(r, "out of memory");
fail:
    free(b.data);
    return false;
}

static json *json_number(json_reader *r)
{
    const char *s = r->p;
    if (r->p < r->end && *r->p == '-')
        r->p++;
    while (r->p < r->end && ((*r->p >= '0' && *r->p <= '9') || *r->p == '.' || *r->p == 'e' ||
                             *r->p == 'E' || *r->p == '+' || *r->p == '-'))
        r->p++;
    char tmp[64];
    size_t n = (size_t)(r->p - s);
    if (n == 0 || n >= sizeof tmp) {
        json_fail(r, "bad number");
        return NULL;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *endp;
    double d = strtod(tmp, &endp);
    if (*endp != '\0') {
        json_fail(r, "bad number");
        return NULL;
    }
    json *v = json_node(r, JSON_NUMBER);
    if (v)
        v->number = d;
    return v;
}

/* Appends `item` (and `key`, for objects) to a container, growing it. */
static bool json_push(json_reader *r, json *c, size_t *cap, json *item, char *key)
{
    if (c->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        json **items = realloc(c->items, ncap * sizeof *items);
        if (!items)
            goto nomem;
        c->items = items;
        if (c->kind == JSON_OBJECT) {
            char **keys = realloc(c->keys, ncap * sizeof *keys);
            if (!keys)
                goto nomem;
            c->keys = keys;
        }
        *cap = ncap;
    }
    c->items[c->count] = item;
    if (c->kind == JSON_OBJECT)
        c->keys[c->count] = key;
    c->count++;
    return true;
nomem:
    json_fail(r, "out of memory");
    json_free(item);
    free(key);
    return false;
}

static json *json_container(json_reader *r, int depth, bool object)
{
    char close = object ? '}' : ']';
    json *c = json_node(r, object ? JSON_OBJECT : JSON_ARRAY);
    size_t cap = 0;
    if (!c)
        return NULL;
    r->p++; /* the opening bracket */
    json_skip_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return c;
    }
    for (;;) {
        char *key = NULL;
        size_t keylen;
        if (object) {
            json_skip_ws(r);
            if (!json_string_raw(r, &key, &keylen) || !json_expect(r, ':')) {
                free(key);
                goto fail;
            }
        }
        json *item = json_value(r, depth + 1);
        if (!item) {
            free(key);
            goto fail;
        }
        if (!json_push(r, c, &cap, item, key))
            goto fail;
        json_skip_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (!json_expect(r, close))
            goto fail;
        return c;
    }
fail:
    json_free(c);
    return NULL;
}

static bool json_word(json_reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) >= n && memcmp(r->p, word, n) == 0) {
        r->p += n;
        return true;
    }
    return false;
}

static json *json_value(json_reader *r, int depth)
{
    if (depth > JSON_MAX_DEPTH) {
        json_fail(r, "nested too deeply");
        return NULL;
    }
    json_skip_ws(r);
    if (r->p >= r->end) {
        json_fail(r, "unexpected end of input");
        return NULL;
    }
    json *v;
    switch (*r->p) {
    case '{':
        return json_container(r, depth, true);
    case '[':
        return json_container(r, depth, false);
    case '"':
        v = json_node(r, JSON_STRING);
        if (v && !json_string_raw(r, &v->str, &v->len)) {
            free(v);
            v = NULL;
        }
        return v;
    case 't':
    case 'f':
        if (json_word(r, "true") || json_word(r, "false")) {
            v = json_node(r, JSON_BOOL);
            if (v)
                v->boolean = r->p[-1] == 'e' && r->p[-2] == 'u';
            return v;
        }
        break;
    case 'n':
        if (json_word(r, "null"))
            return json_node(r, JSON_NULL);
        break;
    default:
        if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
            return json_number(r);
        break;
    }
    json_fail(r, "unexpected character '%c'", *r->p);
    return NULL;
}

json *json_parse(const char *text, size_t size, char *errbuf, size_t errsize)
{
    json_reader r = {text, text + size, text, errbuf, errsize, false};
    if (errsize)
        errbuf[0] = '\0';
    json *v = json_value(&r, 0);
    if (v) {
        json_skip_ws(&r);
        if (r.p != r.end) {
            json_fail(&r, "trailing content");
            json_free(v);
            v = NULL;
        }
    }
    return v;
}

void json_free(json *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->count; i++) {
        json_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

const json *json_get(const json *obj, const char *key)
{
    if (!obj || obj->kind != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->count; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->items[i];
    return NULL;
}

const char *json_get_str(const json *obj, const char *key)
{
    const json *v = json_get(obj, key);
    return v && v->kind == JSON_STRING ? v->str : NULL;
}

const json *json_at(const json *arr, size_t i)
{
    if (!arr || arr->kind != JSON_ARRAY || i >= arr->count)
        return NULL;
    return arr->items[i];
}

size_t json_len(const json *arr)
{
    return arr && arr->kind == JSON_ARRAY ? arr->count : 0;
}

/*
 * json.h -- a small JSON reader for the spec runner: just enough for what
 * wast2json writes (objects, arrays, strings, integers), and strict about
 * the rest, so that a damaged file is reported rather than half-run.
 *
 * The whole document is one tree owned by its root; json_free releases it.
 * Strings are decoded to UTF-8 (\uXXXX escapes and surrogate pairs
 * included) and may contain NUL bytes: trust `len`.
 */
#ifndef SPEC_JSON_H
#define SPEC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum json_kind {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_kind;

typedef struct json json;

struct json {
    json_kind kind;
    bool boolean;
    double number;
    char *str;     /* JSON_STRING: NUL-terminated, `len` bytes */
    size_t len;
    size_t count;  /* JSON_ARRAY / JSON_OBJECT: number of items */
    json **items;  /* the elements, or the members' values */
    char **keys;   /* JSON_OBJECT: the members' names (NUL-terminated) */
};

/* Parses `size` bytes.  On failure returns NULL and writes a reason with the
 * byte offset into errbuf. */
json *json_parse(const char *text, size_t size, char *errbuf, size_t errsize);
void json_free(json *value);

/* Member `key` of an object, or NULL (also when `obj` is not an object). */
const json *json_get(const json *obj, const char *key);
/* The string of member `key`, or NULL if absent or not a string. */
const char *json_get_str(const json *obj, const char *key);
/* Element i of an array, or NULL. */
const json *json_at(const json *arr, size_t i);
/* The length of an array (0 if not an array). */
size_t json_len(const json *arr);

#endif /* SPEC_JSON_H */

/*
 * vec.c -- the vector families of wasm.h: wasm_X_vec_new, _new_empty,
 * _new_uninitialized, _copy and _delete for bytes, values and every kind of
 * handle or type.
 *
 * A vector owns its elements: copy copies each (wasm_X_copy, or wasm_val_copy
 * for values, which copies references), delete deletes each.  Out of memory,
 * a constructor gives the empty vector (the standard has no way to fail).
 */
#include <stdlib.h>

#include "capi/capi.h"

/* The parts every family shares: the element type and the vector type. */
#define CAPI_VEC_COMMON(name, elem)                                                        \
    WASM_API_EXTERN void wasm_##name##_vec_new_empty(wasm_##name##_vec_t *out)             \
    {                                                                                      \
        out->size = 0;                                                                     \
        out->data = NULL;                                                                  \
    }                                                                                      \
    WASM_API_EXTERN void wasm_##name##_vec_new_uninitialized(wasm_##name##_vec_t *out,     \
                                                             size_t size)                  \
    {                                                                                      \
        /* Zeroed all the same: a vector of pointers deleted before it is filled           \
         * then deletes nothing. */                                                        \
        out->data = size ? calloc(size, sizeof(elem)) : NULL;                              \
        out->size = out->data ? size : 0;                                                  \
    }                                                                                      \
    WASM_API_EXTERN void wasm_##name##_vec_new(wasm_##name##_vec_t *out, size_t size,      \
                                               elem const data[])                          \
    {                                                                                      \
        wasm_##name##_vec_new_uninitialized(out, size);                                    \
        if (out->size)                                                                     \
            memcpy(out->data, data, size * sizeof(elem));                                  \
    }

/* Plain elements: bytes. */
#define CAPI_VEC_PLAIN(name, elem)                                                         \
    CAPI_VEC_COMMON(name, elem)                                                            \
    WASM_API_EXTERN void wasm_##name##_vec_copy(wasm_##name##_vec_t *out,                  \
                                                const wasm_##name##_vec_t *src)            \
    {                                                                                      \
        wasm_##name##_vec_new(out, src->size, src->data);                                  \
    }                                                                                      \
    WASM_API_EXTERN void wasm_##name##_vec_delete(wasm_##name##_vec_t *v)                  \
    {                                                                                      \
        free(v->data);                                                                     \
        wasm_##name##_vec_new_empty(v);                                                    \
    }

/* Owned pointers, copied with wasm_X_copy and deleted with wasm_X_delete;
 * NULL elements are kept as they are. */
#define CAPI_VEC_OWN(name)                                                                 \
    CAPI_VEC_COMMON(name, wasm_##name##_t *)                                               \
    WASM_API_EXTERN void wasm_##name##_vec_copy(wasm_##name##_vec_t *out,                  \
                                                const wasm_##name##_vec_t *src)            \
    {                                                                                      \
        wasm_##name##_vec_new_uninitialized(out, src->size);                               \
        for (size_t i = 0; i < out->size; i++)                                             \
            out->data[i] = src->data[i] ? wasm_##name##_copy(src->data[i]) : NULL;         \
    }                                                                                      \
    WASM_API_EXTERN void wasm_##name##_vec_delete(wasm_##name##_vec_t *v)                  \
    {                                                                                      \
        for (size_t i = 0; i < v->size; i++)                                               \
            if (v->data[i])                                                                \
                wasm_##name##_delete(v->data[i]);                                          \
        free(v->data);                                                                     \
        wasm_##name##_vec_new_empty(v);                                                    \
    }

CAPI_VEC_PLAIN(byte, wasm_byte_t)
CAPI_VEC_OWN(valtype)
CAPI_VEC_OWN(functype)
CAPI_VEC_OWN(globaltype)
CAPI_VEC_OWN(tabletype)
CAPI_VEC_OWN(memorytype)
CAPI_VEC_OWN(externtype)
CAPI_VEC_OWN(importtype)
CAPI_VEC_OWN(exporttype)
CAPI_VEC_OWN(frame)
CAPI_VEC_OWN(extern)

/* Values own their references. */
CAPI_VEC_COMMON(val, wasm_val_t)

WASM_API_EXTERN void wasm_val_vec_copy(wasm_val_vec_t *out, const wasm_val_vec_t *src)
{
    wasm_val_vec_new_uninitialized(out, src->size);
    for (size_t i = 0; i < out->size; i++)
        wasm_val_copy(&out->data[i], &src->data[i]);
}

WASM_API_EXTERN void wasm_val_vec_delete(wasm_val_vec_t *v)
{
    for (size_t i = 0; i < v->size; i++)
        wasm_val_delete(&v->data[i]);
    free(v->data);
    wasm_val_vec_new_empty(v);
}

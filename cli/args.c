/*
 * args.c -- values on the command line: parsing arguments by the parameter
 * types of the invoked function, and printing results in a typed form.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* An integer of `bits` bits: signed decimal, or unsigned decimal/hex that fits
 * the unsigned range (so 0xFFFFFFFF and 4294967295 are both -1 as an i32). */
static bool parse_int(const char *text, unsigned bits, uint64_t *out)
{
    if (!*text)
        return false;
    char *end;
    errno = 0;
    if (text[0] == '-') {
        long long v = strtoll(text, &end, 0);
        long long lo = bits == 64 ? INT64_MIN : INT32_MIN;
        if (errno || *end || v < lo)
            return false;
        *out = (uint64_t)v;
        return true;
    }
    if (text[0] == '+')
        text++;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno || *end || (bits == 32 && v > UINT32_MAX) || !*text || text[0] == '-')
        return false;
    *out = v;
    return true;
}

bool cli_parse_val(const char *text, weft_valkind kind, weft_val *out)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    char *end;
    uint64_t u;
    switch (kind) {
    case WEFT_I32:
        if (!parse_int(text, 32, &u))
            return false;
        out->of.i32 = (int32_t)(uint32_t)u;
        return true;
    case WEFT_I64:
        if (!parse_int(text, 64, &u))
            return false;
        out->of.i64 = (int64_t)u;
        return true;
    case WEFT_F32:
        out->of.f32 = strtof(text, &end);
        return *text && !*end;
    case WEFT_F64:
        out->of.f64 = strtod(text, &end);
        return *text && !*end;
    case WEFT_FUNCREF:
    case WEFT_EXTERNREF:
        /* Only null can be written on a command line. */
        return strcmp(text, "null") == 0;
    case WEFT_V128:
        return false;
    }
    return false;
}

void cli_print_val(FILE *to, const weft_val *v)
{
    fprintf(to, "%s:", weft_valkind_name(v->kind));
    switch (v->kind) {
    case WEFT_I32: fprintf(to, "%" PRId32 "\n", v->of.i32); break;
    case WEFT_I64: fprintf(to, "%" PRId64 "\n", v->of.i64); break;
    case WEFT_F32:
        if (isnan(v->of.f32))
            fprintf(to, "%snan:0x%" PRIx32 "\n", signbit(v->of.f32) ? "-" : "",
                    v->of.f32_bits & 0x7FFFFFu);
        else
            fprintf(to, "%.9g\n", (double)v->of.f32);
        break;
    case WEFT_F64:
        if (isnan(v->of.f64))
            fprintf(to, "%snan:0x%" PRIx64 "\n", signbit(v->of.f64) ? "-" : "",
                    (uint64_t)(v->of.f64_bits & 0xFFFFFFFFFFFFFull));
        else
            fprintf(to, "%.17g\n", v->of.f64);
        break;
    case WEFT_V128:
        fprintf(to, "0x");
        for (int i = 15; i >= 0; i--)
            fprintf(to, "%02x", v->of.v128[i]);
        fprintf(to, "\n");
        break;
    case WEFT_FUNCREF:
        if (v->of.funcref)
            fprintf(to, "%p\n", (void *)v->of.funcref);
        else
            fprintf(to, "null\n");
        break;
    case WEFT_EXTERNREF:
        if (v->of.externref)
            fprintf(to, "%p\n", v->of.externref);
        else
            fprintf(to, "null\n");
        break;
    }
}

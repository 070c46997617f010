/*
 * args.c -- values on the command line: parsing arguments by the parameter
 * types of the invoked function, printing results in a typed form, and the
 * SPEC of --grow-fail.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* An unsigned 64-bit integer in decimal or 0x hex, without a sign. */
static bool parse_u64(const char *text, uint64_t *out)
{
    if (*text < '0' || *text > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* An integer of `bits` bits: signed decimal, or unsigned decimal/hex that fits
 * the unsigned range (so 0xFFFFFFFF and 4294967295 are both -1 as an i32). */
static bool parse_int(const char *text, unsigned bits, uint64_t *out)
{
    if (!*text)
        return false;
    if (text[0] == '-') {
        char *end;
        errno = 0;
        long long v = strtoll(text, &end, 0);
        long long lo = bits == 64 ? INT64_MIN : INT32_MIN;
        if (errno || *end || v < lo)
            return false;
        *out = (uint64_t)v;
        return true;
    }
    if (text[0] == '+')
        text++;
    return parse_u64(text, out) && (bits == 64 || *out <= UINT32_MAX);
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

const char *cli_parse_grow_fail(const char *spec, weft_grow_fail *out)
{
    memset(out, 0, sizeof *out);
    const char *arg = strchr(spec, ':');
    size_t kind = arg ? (size_t)(arg - spec) : 0;
    if (arg && kind == 5 && !strncmp(spec, "after", 5)) {
        out->mode = WEFT_GROW_FAIL_AFTER;
        if (!parse_u64(arg + 1, &out->n))
            return "after:N needs N, a whole number of grows (0: fail them all)";
        return NULL;
    }
    if (arg && kind == 5 && !strncmp(spec, "every", 5)) {
        out->mode = WEFT_GROW_FAIL_EVERY;
        if (!parse_u64(arg + 1, &out->n) || out->n == 0)
            return "every:K needs K, a whole number of at least 1";
        return NULL;
    }
    if (arg && kind == 6 && !strncmp(spec, "random", 6)) {
        out->mode = WEFT_GROW_FAIL_RANDOM;
        const char *comma = strchr(arg + 1, ',');
        if (!comma)
            return "random:P,SEED needs a probability P and a SEED, e.g. random:0.1,42";
        /* Plain decimals only: strtod would also take "nan", "inf" and hex. */
        const char *p = arg + 1;
        size_t digits = strspn(p, "0123456789.");
        char *end = NULL;
        out->probability = digits ? strtod(p, &end) : -1.0;
        if (p + digits != comma || end != comma ||
            !(out->probability >= 0.0 && out->probability <= 1.0))
            return "random:P,SEED needs P between 0 and 1, e.g. 0.25";
        if (!parse_u64(comma + 1, &out->seed))
            return "random:P,SEED needs SEED, a whole number (decimal or 0x hex)";
        return NULL;
    }
    return "expected after:N, every:K or random:P,SEED";
}

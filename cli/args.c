/*
 * args.c -- values on the command line: parsing arguments by the parameter
 * types of the invoked function, printing results in a typed form, and the
 * SPEC of --grow-fail.
 */
#include <ctype.h>
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

/* v128 lane shapes, as the spec runner writes them (`i32x4:1 2 3 4`). */
static const struct {
    const char *name;
    unsigned bits; /* lane width */
    bool fp;
} shapes[] = {{"i8x16", 8, false}, {"i16x8", 16, false}, {"i32x4", 32, false},
              {"i64x2", 64, false}, {"f32x4", 32, true},  {"f64x2", 64, true}};

/* One lane of `bits` bits: an integer (signed or unsigned range) or a float. */
static bool parse_lane(const char *text, unsigned bits, bool fp, uint64_t *out)
{
    char *end;
    if (fp && bits == 32) {
        float f = strtof(text, &end);
        uint32_t b;
        memcpy(&b, &f, 4);
        *out = b;
        return *text && !*end;
    }
    if (fp) {
        double d = strtod(text, &end);
        memcpy(out, &d, 8);
        return *text && !*end;
    }
    if (!parse_int(text, bits == 64 ? 64 : 32, out))
        return false;
    if (bits < 32) {
        int64_t v = text[0] == '-' ? (int64_t)*out : (int64_t)(uint32_t)*out;
        if (v < -(INT64_C(1) << (bits - 1)) || v >= (INT64_C(1) << bits))
            return false;
    }
    return true;
}

/* A v128: [v128:]SHAPE:LANES, the lanes separated by spaces or commas (lane
 * 0 first), or 0x and 32 hex digits (lane 15 of i8x16 first). */
static bool parse_v128(const char *text, uint8_t bytes[16])
{
    if (strncmp(text, "v128:", 5) == 0)
        text += 5;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X') && strlen(text) == 34) {
        for (int i = 0; i < 16; i++) {
            char hex[3] = {text[2 + 2 * i], text[3 + 2 * i], 0}, *end;
            bytes[15 - i] = (uint8_t)strtoul(hex, &end, 16);
            if (*end || !isxdigit((unsigned char)hex[0]))
                return false;
        }
        return true;
    }
    const char *colon = strchr(text, ':');
    char buf[512];
    if (!colon || strlen(colon + 1) >= sizeof buf)
        return false;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        if (strlen(shapes[k].name) != (size_t)(colon - text) ||
            strncmp(text, shapes[k].name, (size_t)(colon - text)) != 0)
            continue;
        unsigned n = 128 / shapes[k].bits, bytes_per = shapes[k].bits / 8, got = 0;
        strcpy(buf, colon + 1);
        char *save = NULL;
        for (char *tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
            uint64_t lane;
            if (got == n || !parse_lane(tok, shapes[k].bits, shapes[k].fp, &lane))
                return false;
            for (unsigned b = 0; b < bytes_per; b++) /* little-endian lanes */
                bytes[got * bytes_per + b] = (uint8_t)(lane >> (8 * b));
            got++;
        }
        return got == n;
    }
    return false;
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
        return parse_v128(text, out->of.v128);
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
    case WEFT_V128: /* as i32x4 lanes, the form parse_v128 reads back */
        fprintf(to, "i32x4:");
        for (int i = 0; i < 4; i++) {
            int32_t lane;
            memcpy(&lane, v->of.v128 + 4 * i, 4);
            fprintf(to, "%" PRId32 "%s", lane, i < 3 ? " " : "\n");
        }
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

/* A plain decimal number (digits and at most one point: no sign, exponent,
 * hex, inf or nan, which strtod would take) and the unit after it. */
static bool parse_number(const char *text, double *value, const char **unit)
{
    size_t n = strspn(text, "0123456789.");
    const char *point = memchr(text, '.', n);
    if (n == 0 || (point && memchr(point + 1, '.', n - (size_t)(point - text) - 1)) ||
        (n == 1 && point))
        return false;
    char *end;
    *value = strtod(text, &end);
    *unit = text + n;
    return end == *unit;
}

const char *cli_parse_duration(const char *text, uint64_t *ns)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"", 1e9}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    static const char *const want =
        "expected a duration: a number and ms, s, m or h (500ms, 10s, 2m; a plain number "
        "is seconds)";
    double v;
    const char *unit;
    if (!parse_number(text, &v, &unit))
        return want;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(unit, units[i].unit))
            continue;
        double t = v * units[i].ns;
        if (t > 1e18) /* ~31 years; nanoseconds in a uint64_t */
            return "too long (at most 1e9 s)";
        *ns = (uint64_t)t;
        if (*ns == 0 && v > 0)
            *ns = 1;
        return NULL;
    }
    return want;
}

const char *cli_parse_size(const char *text, uint64_t *bytes)
{
    static const struct {
        const char *unit;
        unsigned shift;
    } units[] = {{"", 0},    {"K", 10},  {"KiB", 10}, {"M", 20},
                 {"MiB", 20}, {"G", 30}, {"GiB", 30}, {"B", 0}};
    static const char *const want =
        "expected a size: bytes, or a whole number and K, KiB, M, MiB, G or GiB (64KiB, "
        "16MiB, 1GiB)";
    size_t digits = strspn(text, "0123456789");
    if (digits == 0)
        return want;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(text + digits, units[i].unit))
            continue;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno || v > (UINT64_MAX >> units[i].shift))
            return "too large";
        *bytes = (uint64_t)v << units[i].shift;
        return NULL;
    }
    return want;
}

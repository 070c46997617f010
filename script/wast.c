/*
 * wast.c -- reads a .wast script (see wast.h): the whole file is cut into
 * tokens once (text/lexer.h), each top-level form is one command, its
 * modules are read by wat_module_form_read and its values by text/num.h,
 * and the command runs in exec.c.
 *
 * Commands that need a feature weft does not have are skipped with the
 * feature's name: the feature scan below names what a module's text uses
 * (GC types and instructions, exception handling, tail calls, memory64,
 * ...), and a command that uses one is judged as usual but, if weft cannot
 * do it, counted as skipped for that feature instead of failed.  Results
 * weft cannot hold (GC references) and commands of proposals weft lacks
 * (assert_exception, thread scripts) are skipped without running.
 */
#include "script/wast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/num.h"
#include "text/wat.h"

#define VALIDATE_ONLY "not run with --validate-only"
#define F_TAIL "tail calls"
#define F_EXN "exception handling"
#define F_LEGACY_EXN "legacy exception handling"
#define F_FUNCREF "typed function references"
#define F_GC "garbage collection"
#define F_MEM64 "memory64"
#define F_MULTI_MEM "multiple memories"
#define F_RELAXED "relaxed SIMD"
#define F_WIDE "wide arithmetic"
#define F_PAGES "custom page sizes"
#define F_DESC "custom descriptors"
#define F_ANNOT "custom annotations (assert_*_custom)"
#define F_THREAD_SCRIPTS "thread scripts (thread, wait)"

/* ---- the feature scan --------------------------------------------------------- */

static const struct {
    const char *kw;
    const char *feature;
} exact_kw[] = {
    /* before GC's prefixes: struct.new_desc is a descriptor instruction */
    {"descriptor", F_DESC}, {"describes", F_DESC}, {"exact", F_DESC},
    {"ref.get_desc", F_DESC}, {"ref.cast_desc_eq", F_DESC}, {"br_on_cast_desc_eq", F_DESC},
    {"br_on_cast_desc_eq_fail", F_DESC}, {"struct.new_desc", F_DESC},
    {"struct.new_default_desc", F_DESC},
    {"try_table", F_EXN}, {"throw", F_EXN}, {"throw_ref", F_EXN}, {"exnref", F_EXN},
    {"exn", F_EXN}, {"noexn", F_EXN}, {"nullexnref", F_EXN},
    {"try", F_LEGACY_EXN}, {"rethrow", F_LEGACY_EXN}, {"delegate", F_LEGACY_EXN},
    {"catch_all", F_LEGACY_EXN},
    {"call_ref", F_FUNCREF}, {"ref.as_non_null", F_FUNCREF}, {"br_on_null", F_FUNCREF},
    {"br_on_non_null", F_FUNCREF},
    {"ref.i31", F_GC}, {"ref.test", F_GC}, {"ref.cast", F_GC}, {"br_on_cast", F_GC},
    {"br_on_cast_fail", F_GC}, {"any.convert_extern", F_GC}, {"extern.convert_any", F_GC},
    {"ref.eq", F_GC}, {"anyref", F_GC}, {"eqref", F_GC}, {"i31ref", F_GC}, {"structref", F_GC},
    {"arrayref", F_GC}, {"nullref", F_GC}, {"nullfuncref", F_GC}, {"nullexternref", F_GC},
    {"any", F_GC}, {"eq", F_GC}, {"i31", F_GC}, {"struct", F_GC}, {"array", F_GC},
    {"none", F_GC}, {"nofunc", F_GC}, {"noextern", F_GC}, {"rec", F_GC}, {"sub", F_GC},
    {"field", F_GC}, {"final", F_GC},
    {"i64.add128", F_WIDE}, {"i64.sub128", F_WIDE}, {"i64.mul_wide_s", F_WIDE},
    {"i64.mul_wide_u", F_WIDE},
    {"pagesize", F_PAGES},
};

static const struct {
    const char *prefix;
    const char *feature;
} prefix_kw[] = {
    {"return_call", F_TAIL}, {"struct.", F_GC}, {"array.", F_GC}, {"i31.", F_GC},
};

static bool tok_is(const wat_token *t, const char *kw)
{
    return t->kind == WAT_KEYWORD && wat_is_keyword(t, kw);
}

static const char *keyword_feature(const wat_token *t)
{
    if (t->kind != WAT_KEYWORD)
        return NULL;
    for (size_t k = 0; k < sizeof exact_kw / sizeof exact_kw[0]; k++)
        if (wat_is_keyword(t, exact_kw[k].kw))
            return exact_kw[k].feature;
    for (size_t k = 0; k < sizeof prefix_kw / sizeof prefix_kw[0]; k++) {
        size_t n = strlen(prefix_kw[k].prefix);
        if (t->len >= n && memcmp(t->text, prefix_kw[k].prefix, n) == 0)
            return prefix_kw[k].feature;
    }
    for (size_t i = 0; i + 7 <= t->len; i++)
        if (memcmp(t->text + i, "relaxed", 7) == 0)
            return F_RELAXED;
    return NULL;
}

/* `(memory ...)` or `(table ...)` at t[i] (the paren): an i64 address type
 * among its direct children. */
static bool is_64(const wat_tokens *t, size_t i, size_t to)
{
    int depth = 0;
    for (size_t j = i; j < to; j++) {
        if (t->tok[j].kind == WAT_LPAR)
            depth++;
        else if (t->tok[j].kind == WAT_RPAR && --depth == 0)
            return false;
        else if (depth == 1 && tok_is(&t->tok[j], "i64"))
            return true;
    }
    return false;
}

const char *scr_wast_feature_scan(const wat_tokens *t, size_t from, size_t to)
{
    int depth = 0;
    bool in_import = false;
    unsigned memories = 0;
    for (size_t i = from; i < to; i++) {
        const wat_token *k = &t->tok[i];
        if (k->kind == WAT_RPAR) {
            if (--depth == 0)
                in_import = false;
            continue;
        }
        if (k->kind != WAT_LPAR) {
            const char *f = keyword_feature(k);
            if (f)
                return f;
            /* ref.null $t: a typed reference */
            if (tok_is(k, "ref.null") && i + 1 < to &&
                (t->tok[i + 1].kind == WAT_ID || t->tok[i + 1].kind == WAT_NUMBER))
                return F_FUNCREF;
            continue;
        }
        depth++;
        if (i + 1 >= to)
            break;
        const wat_token *kw = &t->tok[i + 1];
        if (tok_is(kw, "ref")) {
            /* (ref null func) is funcref; anything else is a typed reference
             * (GC heap types are caught by their own keywords) */
            bool null = i + 2 < to && tok_is(&t->tok[i + 2], "null");
            const wat_token *ht = &t->tok[i + (null ? 3 : 2)];
            if (!null || !(tok_is(ht, "func") || tok_is(ht, "extern")))
                return F_FUNCREF;
        }
        if (tok_is(kw, "tag"))
            return F_EXN;
        if (tok_is(kw, "catch") && depth > 1)
            return F_LEGACY_EXN;
        if ((tok_is(kw, "memory") || tok_is(kw, "table")) && is_64(t, i, to))
            return F_MEM64;
        if (depth == 1 && tok_is(kw, "import"))
            in_import = true;
        if (tok_is(kw, "memory") && (depth == 1 || (depth == 2 && in_import)) && ++memories > 1)
            return F_MULTI_MEM;
    }
    return NULL;
}

/* The feature a quote module's text uses (its strings lexed again). */
static const char *quote_feature(const wat_tokens *t, size_t from, size_t to)
{
    size_t n = 0;
    for (size_t i = from; i < to; i++)
        if (t->tok[i].kind == WAT_STRING)
            n += t->tok[i].data_len;
    char *text = malloc(n + 1);
    if (!text)
        return NULL;
    n = 0;
    for (size_t i = from; i < to; i++)
        if (t->tok[i].kind == WAT_STRING) {
            memcpy(text + n, t->tok[i].data, t->tok[i].data_len);
            n += t->tok[i].data_len;
        }
    wat_tokens q;
    char err[8];
    const char *f = NULL;
    if (wat_lex(text, n, NULL, &q, err, sizeof err)) {
        size_t a = 0, b = q.count - 1; /* the EOF token */
        if (q.count > 2 && q.tok[0].kind == WAT_LPAR && tok_is(&q.tok[1], "module"))
            a = 2, b = b > 3 ? b - 1 : b;
        f = scr_wast_feature_scan(&q, a, b);
        wat_tokens_free(&q);
    }
    free(text);
    return f;
}

/* ---- reading commands ----------------------------------------------------------- */

typedef struct wast {
    const scr_options *opt;
    scr_script *S;
    const char *file;
    wat_tokens t;
    size_t i;   /* the next token */
    size_t end; /* the current command's closing paren */
    char err[512];
} wast;

static const wat_token *tok(const wast *W, size_t i)
{
    return &W->t.tok[i < W->t.count ? i : W->t.count - 1];
}

/* The closing paren of the form opening at i, or the EOF token. */
static size_t form_end(const wat_tokens *t, size_t i)
{
    int depth = 0;
    for (size_t j = i; j < t->count; j++) {
        if (t->tok[j].kind == WAT_LPAR)
            depth++;
        else if (t->tok[j].kind == WAT_RPAR && --depth == 0)
            return j;
    }
    return t->count - 1;
}

static bool at_lpar_kw(const wast *W, const char *kw)
{
    return tok(W, W->i)->kind == WAT_LPAR && tok_is(tok(W, W->i + 1), kw);
}

/* "$name" of an id token into buf. */
static const char *id_name(const wat_token *id, char *buf, size_t size)
{
    if (!id)
        return NULL;
    snprintf(buf, size, "$%.*s", (int)id->data_len, (const char *)id->data);
    return buf;
}

/* Takes an optional $id. */
static const char *take_id(wast *W, char *buf, size_t size)
{
    if (tok(W, W->i)->kind != WAT_ID)
        return NULL;
    return id_name(&W->t.tok[W->i++], buf, size);
}

/* Fails the command at the token's position. */
static void fail_at(wast *W, const wat_token *t, const char *what)
{
    scr_fail(W->S, "%u:%u: expected %s", t->line, t->col, what);
}

/* A module form at W->i: the feature its text needs, noted for the command,
 * then read.  false (with the reader's message in W->err) if unreadable. */
static bool read_module(wast *W, wat_module_out *m)
{
    size_t end = form_end(&W->t, W->i);
    const char *f = NULL;
    size_t j = W->i + 2;
    while (j < end && (tok(W, j)->kind == WAT_ID || tok_is(tok(W, j), "definition")))
        j++;
    if (tok_is(tok(W, j), "quote"))
        f = quote_feature(&W->t, j + 1, end);
    else if (!tok_is(tok(W, j), "binary") && !tok_is(tok(W, j), "instance"))
        f = scr_wast_feature_scan(&W->t, j, end);
    scr_needs(W->S, f);
    wat_options o = {.names = false};
    bool ok = wat_module_form_read(&W->t, &W->i, W->file, &o, m, W->err, sizeof W->err);
    if (!ok)
        W->i = end + 1;
    return ok;
}

/* ---- values ----------------------------------------------------------------------- */

static bool num_err(wast *W, const wat_token *t, const char *why)
{
    snprintf(W->err, sizeof W->err, "%u:%u: %s: %.*s", t->line, t->col, why, (int)t->len,
             t->text);
    return false;
}

/* A float lane or scalar; NaN classes only where m is not NULL (results). */
static bool float_lit(wast *W, const wat_token *t, unsigned bits, val_match *m, uint64_t *out)
{
    *out = 0;
    if (m && tok_is(t, "nan:canonical")) {
        *m = MATCH_CANON_NAN;
        return true;
    }
    if (m && tok_is(t, "nan:arithmetic")) {
        *m = MATCH_ARITH_NAN;
        return true;
    }
    const char *why;
    if (bits == 32) {
        uint32_t v = 0;
        why = wat_num_f32(t->text, t->len, &v);
        *out = v;
    } else {
        why = wat_num_f64(t->text, t->len, out);
    }
    return why ? num_err(W, t, why) : true;
}

static const struct {
    const char *name;
    unsigned bytes;
    bool fp;
    weft_valkind lane;
} shapes[] = {{"i8x16", 1, false, WEFT_I32}, {"i16x8", 2, false, WEFT_I32},
              {"i32x4", 4, false, WEFT_I32}, {"i64x2", 8, false, WEFT_I64},
              {"f32x4", 4, true, WEFT_F32},  {"f64x2", 8, true, WEFT_F64}};

/*
 * One constant `( type.const ... )` / `(ref.* ...)` at W->i into e (results:
 * NaN classes and reference patterns allowed when `result`).  Returns false
 * with W->err set if it is not a value; *feature is set instead (true
 * returned) when the value needs a feature weft lacks.
 */
static bool value(wast *W, bool result, val_expect *e, const char **feature)
{
    memset(e, 0, sizeof *e);
    const wat_token *lp = tok(W, W->i), *op = tok(W, W->i + 1);
    if (lp->kind != WAT_LPAR || op->kind != WAT_KEYWORD)
        return num_err(W, lp, "expected a constant, found");
    size_t end = form_end(&W->t, W->i);
    size_t a = W->i + 2; /* the first operand */
    W->i = end + 1;
    const wat_token *x = tok(W, a);
    weft_val *v = &e->val;
    uint64_t bits = 0;
    const char *why = NULL;
    bool scalar = tok_is(op, "i32.const") || tok_is(op, "i64.const") ||
                  tok_is(op, "f32.const") || tok_is(op, "f64.const");
    if (scalar && end != a + 1)
        return num_err(W, op, "expected one number after");
    if (tok_is(op, "i32.const") || tok_is(op, "i64.const")) {
        bool is32 = tok_is(op, "i32.const");
        v->kind = is32 ? WEFT_I32 : WEFT_I64;
        why = wat_num_int(x->text, x->len, is32 ? 32 : 64, &bits);
        if (is32)
            v->of.i32 = (int32_t)(uint32_t)bits;
        else
            v->of.i64 = (int64_t)bits;
    } else if (tok_is(op, "f32.const") || tok_is(op, "f64.const")) {
        bool is32 = tok_is(op, "f32.const");
        v->kind = is32 ? WEFT_F32 : WEFT_F64;
        val_match m = MATCH_BITS;
        if (!float_lit(W, x, is32 ? 32 : 64, result ? &m : NULL, &bits))
            return false;
        if (!result && m != MATCH_BITS)
            return num_err(W, x, "a NaN class in an argument");
        e->match = m;
        if (is32)
            v->of.f32_bits = (uint32_t)bits;
        else
            v->of.f64_bits = bits;
    } else if (tok_is(op, "v128.const")) {
        size_t s = 0;
        while (s < sizeof shapes / sizeof shapes[0] && !tok_is(x, shapes[s].name))
            s++;
        if (s == sizeof shapes / sizeof shapes[0])
            return num_err(W, x, "unknown v128 shape");
        v->kind = WEFT_V128;
        e->lane = shapes[s].lane;
        e->lane_bytes = shapes[s].bytes;
        unsigned n = 16 / shapes[s].bytes;
        if (end - (a + 1) != n)
            return num_err(W, x, "wrong number of lanes for");
        for (unsigned l = 0; l < n; l++) {
            const wat_token *lt = tok(W, a + 1 + l);
            val_match m = MATCH_BITS;
            if (shapes[s].fp) {
                if (!float_lit(W, lt, shapes[s].bytes * 8, result ? &m : NULL, &bits))
                    return false;
            } else if ((why = wat_num_int(lt->text, lt->len, shapes[s].bytes * 8, &bits))) {
                return num_err(W, lt, why);
            }
            if (!result && m != MATCH_BITS)
                return num_err(W, lt, "a NaN class in an argument");
            e->lanes[l] = m;
            val_put_lane(v->of.v128, shapes[s].bytes, l, bits);
        }
    } else if (tok_is(op, "ref.null")) {
        e->match = MATCH_NULL;
        if (a == end) {
            if (!result)
                return num_err(W, op, "a heap type after");
            e->any_ref_kind = true;
            v->kind = WEFT_FUNCREF;
        } else if (tok_is(x, "func") || tok_is(x, "nofunc")) {
            v->kind = WEFT_FUNCREF;
        } else if (tok_is(x, "extern") || tok_is(x, "noextern")) {
            v->kind = WEFT_EXTERNREF;
        } else {
            const wat_token *xt = x;
            *feature = keyword_feature(xt) ? keyword_feature(xt) : F_FUNCREF;
        }
    } else if (tok_is(op, "ref.extern")) {
        v->kind = WEFT_EXTERNREF;
        if (a == end) {
            if (!result)
                return num_err(W, op, "a number after");
            e->match = MATCH_ANY_REF;
        } else if ((why = wat_num_nat(x->text, x->len, UINT32_MAX, &bits)) == NULL) {
            v->of.externref = val_extern_ref(bits);
        }
    } else if (tok_is(op, "ref.func") && result) {
        v->kind = WEFT_FUNCREF;
        e->match = MATCH_ANY_REF; /* which function is not said */
    } else if (tok_is(op, "ref.exn")) {
        *feature = F_EXN;
    } else if (tok_is(op, "ref.host") || tok_is(op, "ref.i31") || tok_is(op, "ref.struct") ||
               tok_is(op, "ref.array") || tok_is(op, "ref.eq") || tok_is(op, "ref.any")) {
        *feature = F_GC;
    } else {
        return num_err(W, op, "expected a constant, found");
    }
    return why ? num_err(W, x, why) : true;
}

/* ---- actions ------------------------------------------------------------------------- */

typedef struct action {
    scr_action a;
    weft_val args[64];
    char module[256];
    const char *feature; /* an argument weft cannot hold */
} action;

/* `(invoke $id? "name" const*)` or `(get $id? "name")` at W->i. */
static bool read_action(wast *W, action *A)
{
    memset(A, 0, sizeof *A);
    const wat_token *lp = tok(W, W->i);
    bool invoke = at_lpar_kw(W, "invoke");
    if (!invoke && !at_lpar_kw(W, "get"))
        return num_err(W, lp, "expected (invoke ...) or (get ...), found");
    size_t end = form_end(&W->t, W->i);
    W->i += 2;
    A->a.get = !invoke;
    A->a.module = take_id(W, A->module, sizeof A->module);
    const wat_token *name = tok(W, W->i);
    if (name->kind != WAT_STRING)
        return num_err(W, name, "expected the export's name, found");
    A->a.field = (const char *)name->data;
    A->a.field_len = name->data_len;
    W->i++;
    while (W->i < end) {
        val_expect e;
        if (A->a.nargs == sizeof A->args / sizeof A->args[0])
            return num_err(W, tok(W, W->i), "too many arguments at");
        if (!value(W, false, &e, &A->feature))
            return false;
        A->args[A->a.nargs++] = e.val;
    }
    A->a.args = A->args;
    W->i = end + 1;
    return true;
}

/* ---- commands ----------------------------------------------------------------------- */

static void cmd_module(wast *W, const char *known)
{
    wat_module_out m;
    char name[256];
    bool ok = read_module(W, &m);
    if (known)
        scr_needs(W->S, known);
    if (!ok) {
        scr_module_unreadable(W->S, NULL, W->err);
        return;
    }
    const char *id = id_name(m.id, name, sizeof name);
    if (m.form == WAT_FORM_INSTANCE) {
        char def[256];
        scr_instance(W->S, id, id_name(m.def, def, sizeof def));
    } else {
        scr_module(W->S, id, m.bytes, m.len, m.definition);
    }
    free(m.bytes);
}

/* The message string that ends an assertion, or "" (and a failure) if absent. */
static const char *message(wast *W, char *buf, size_t size)
{
    const wat_token *s = tok(W, W->i);
    if (s->kind != WAT_STRING || W->i + 1 != W->end) {
        buf[0] = 0;
        return NULL;
    }
    snprintf(buf, size, "%.*s", (int)s->data_len, (const char *)s->data);
    return buf;
}

/* assert_invalid / assert_malformed / assert_unlinkable / assert_trap on a
 * module / assert_uninstantiable. */
static void cmd_assert_module(wast *W, scr_cmd kind, const char *known)
{
    wat_module_out m;
    char text[256];
    bool ok = read_module(W, &m);
    if (known)
        scr_needs(W->S, known);
    if (!message(W, text, sizeof text)) {
        if (ok)
            free(m.bytes);
        fail_at(W, tok(W, W->i), "the expected error's text");
        return;
    }
    if (!ok) {
        /* A text the reader rejects is malformed: the reader's wording is
         * its own, so only the class is judged. */
        if (kind == SCR_CMD_ASSERT_MALFORMED)
            scr_pass(W->S);
        else
            scr_fail(W->S, "the text reader rejected the module: %s", W->err);
        return;
    }
    /* A malformed text is the reader's to report or, where it leaves a
     * check to the decoder (32-bit limits), the decoder's: the expected
     * wording is the reference reader's, so only the class is judged. */
    bool text_form = m.form == WAT_FORM_TEXT || m.form == WAT_FORM_QUOTE;
    if (m.form == WAT_FORM_INSTANCE) {
        scr_fail(W->S, "(module instance ...) in an assertion");
    } else if (kind == SCR_CMD_ASSERT_INVALID || kind == SCR_CMD_ASSERT_MALFORMED) {
        bool malformed = kind == SCR_CMD_ASSERT_MALFORMED;
        scr_assert_bad_module(W->S, m.bytes, m.len, malformed ? WEFT_MALFORMED : WEFT_INVALID,
                              malformed && text_form ? "" : text);
    } else {
        scr_assert_instantiate(W->S, m.bytes, m.len,
                               kind == SCR_CMD_ASSERT_UNLINKABLE ? WEFT_UNLINKABLE : WEFT_TRAP,
                               text);
    }
    free(m.bytes);
}

enum { MAX_RESULTS = 64, MAX_ALTS = 64 };

/* assert_return: the results, `(either ...)` positions multiplied out into
 * alternative lists. */
static void cmd_assert_return(wast *W, const action *A)
{
    val_expect pos[MAX_RESULTS][8];
    size_t npos = 0, nalt[MAX_RESULTS];
    const char *feature = A->feature;
    while (W->i < W->end) {
        if (npos == MAX_RESULTS) {
            fail_at(W, tok(W, W->i), "at most 64 results");
            return;
        }
        nalt[npos] = 0;
        if (at_lpar_kw(W, "either")) {
            size_t end = form_end(&W->t, W->i);
            W->i += 2;
            while (W->i < end && nalt[npos] < 8)
                if (!value(W, true, &pos[npos][nalt[npos]++], &feature)) {
                    scr_fail(W->S, "%s", W->err);
                    return;
                }
            W->i = end + 1;
        } else if (!value(W, true, &pos[npos][nalt[npos]++], &feature)) {
            scr_fail(W->S, "%s", W->err);
            return;
        }
        npos++;
    }
    if (feature || W->opt->validate_only) {
        scr_skip(W->S, feature ? feature : VALIDATE_ONLY,
                 feature ? "a value weft cannot hold" : NULL);
        return;
    }
    /* Every combination of the alternatives, in order. */
    size_t total = 1;
    for (size_t p = 0; p < npos && total <= MAX_ALTS; p++)
        total *= nalt[p];
    if (total > MAX_ALTS) {
        fail_at(W, tok(W, W->end), "at most 64 combinations of (either ...)");
        return;
    }
    val_expect *lists = calloc(total * (npos ? npos : 1), sizeof *lists);
    scr_results alts[MAX_ALTS];
    if (!lists) {
        scr_fail(W->S, "out of memory");
        return;
    }
    for (size_t k = 0; k < total; k++) {
        size_t r = k;
        for (size_t p = npos; p-- > 0;) {
            lists[k * npos + p] = pos[p][r % nalt[p]];
            r /= nalt[p];
        }
        alts[k] = (scr_results){&lists[k * npos], npos};
    }
    scr_assert_return(W->S, &A->a, alts, total);
    free(lists);
}

static void cmd_with_action(wast *W, scr_cmd kind)
{
    action A;
    if (!read_action(W, &A)) {
        scr_fail(W->S, "%s", W->err);
        return;
    }
    if (kind == SCR_CMD_ASSERT_RETURN) {
        cmd_assert_return(W, &A);
        return;
    }
    if (A.feature || W->opt->validate_only) {
        scr_skip(W->S, A.feature ? A.feature : VALIDATE_ONLY,
                 A.feature ? "an argument weft cannot hold" : NULL);
        return;
    }
    if (kind == SCR_CMD_ACTION) {
        scr_do_action(W->S, &A.a);
        return;
    }
    char text[256];
    if (!message(W, text, sizeof text))
        fail_at(W, tok(W, W->i), "the expected trap's text");
    else
        scr_assert_trap(W->S, &A.a, text);
}

static void cmd_register(wast *W)
{
    const wat_token *as = tok(W, W->i);
    char name[256], as_buf[256];
    if (as->kind != WAT_STRING) {
        fail_at(W, as, "the name to register under");
        return;
    }
    W->i++;
    const char *id = take_id(W, name, sizeof name);
    snprintf(as_buf, sizeof as_buf, "%.*s", (int)as->data_len, (const char *)as->data);
    scr_register(W->S, as_buf, id);
}

/* The known feature of the command at `line`, or NULL. */
static const char *known_feature(const wast *W, long line)
{
    size_t fl = strlen(W->file);
    for (size_t k = 0; k < W->opt->nknown; k++) {
        const scr_known *e = &W->opt->known[k];
        size_t n = strlen(e->file);
        if (e->line == line && fl >= n && strcmp(W->file + fl - n, e->file) == 0 &&
            (fl == n || W->file[fl - n - 1] == '/'))
            return e->feature;
    }
    return NULL;
}

bool scr_wast_known_load(const char *path, scr_known **out, size_t *n)
{
    FILE *f = fopen(path, "r");
    *out = NULL;
    *n = 0;
    if (!f) {
        fprintf(stderr, "weft: cannot open %s\n", path);
        return false;
    }
    char line[512];
    size_t cap = 0;
    long lineno = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char file[200], feature[96];
        long at;
        int used = 0;
        if (sscanf(line, " %199[^: \t\n]:%ld %n", file, &at, &used) < 2) {
            if (strspn(line, " \t\r\n") != strlen(line)) {
                fprintf(stderr, "weft: %s:%ld: expected FILE:LINE FEATURE\n", path, lineno);
                ok = false;
            }
            continue;
        }
        size_t fl = strcspn(line + used, "\r\n");
        while (fl && (line[used + fl - 1] == ' ' || line[used + fl - 1] == '\t'))
            fl--;
        if (!fl || fl >= sizeof feature) {
            fprintf(stderr, "weft: %s:%ld: expected a feature after %s:%ld\n", path, lineno,
                    file, at);
            ok = false;
            continue;
        }
        memcpy(feature, line + used, fl);
        feature[fl] = 0;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            scr_known *k = realloc(*out, cap * sizeof *k);
            if (!k) {
                ok = false;
                break;
            }
            *out = k;
        }
        scr_known *e = &(*out)[(*n)++];
        snprintf(e->file, sizeof e->file, "%s", file);
        e->line = at;
        snprintf(e->feature, sizeof e->feature, "%s", feature);
    }
    fclose(f);
    if (!ok) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return ok;
}

static const struct {
    const char *name;
    scr_cmd kind;
} commands[] = {
    {"module", SCR_CMD_MODULE},
    {"register", SCR_CMD_REGISTER},
    {"invoke", SCR_CMD_ACTION},
    {"get", SCR_CMD_ACTION},
    {"assert_return", SCR_CMD_ASSERT_RETURN},
    {"assert_trap", SCR_CMD_ASSERT_TRAP},
    {"assert_exhaustion", SCR_CMD_ASSERT_EXHAUSTION},
    {"assert_exception", SCR_CMD_ASSERT_EXCEPTION},
    {"assert_invalid", SCR_CMD_ASSERT_INVALID},
    {"assert_malformed", SCR_CMD_ASSERT_MALFORMED},
    {"assert_unlinkable", SCR_CMD_ASSERT_UNLINKABLE},
    {"assert_uninstantiable", SCR_CMD_ASSERT_UNINSTANTIABLE},
};

/* An action and its values are read (then skipped) under validate_only. */
static bool reads_action(const wast *W, scr_cmd kind)
{
    return kind == SCR_CMD_ACTION || kind == SCR_CMD_ASSERT_RETURN ||
           kind == SCR_CMD_ASSERT_EXHAUSTION ||
           (kind == SCR_CMD_ASSERT_TRAP && !tok_is(tok(W, W->i + 3), "module"));
}

static void command(wast *W)
{
    const wat_token *lp = tok(W, W->i), *kw = tok(W, W->i + 1);
    W->end = form_end(&W->t, W->i);
    size_t next = W->end + 1;
    scr_cmd kind = SCR_CMD_OTHER;
    const char *name = "(command)";
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (tok_is(kw, commands[k].name)) {
            kind = commands[k].kind;
            name = commands[k].name;
        }
    if (kw->kind == WAT_KEYWORD && kind == SCR_CMD_OTHER)
        name = "(other)";
    scr_command(W->S, kind, name, (long)lp->line, (long)lp->col);
    const char *known = known_feature(W, (long)lp->line);
    if (lp->kind != WAT_LPAR || W->end >= W->t.count - 1) {
        if (lp->kind != WAT_LPAR)
            scr_fail(W->S, "expected a command in parentheses");
        else
            scr_fail(W->S, "the command has no closing paren");
        W->i = W->t.count - 1;
        return;
    }
    bool compile_only = kind == SCR_CMD_MODULE || kind == SCR_CMD_ASSERT_INVALID ||
                        kind == SCR_CMD_ASSERT_MALFORMED;
    if (kind == SCR_CMD_MODULE) {
        cmd_module(W, known);
    } else if (W->opt->validate_only && !compile_only && !reads_action(W, kind)) {
        scr_skip(W->S, VALIDATE_ONLY, NULL);
    } else if (kind == SCR_CMD_ACTION) {
        cmd_with_action(W, kind);
    } else {
        W->i += 2;
        switch (kind) {
        case SCR_CMD_REGISTER: cmd_register(W); break;
        case SCR_CMD_ASSERT_RETURN:
        case SCR_CMD_ASSERT_EXHAUSTION: cmd_with_action(W, kind); break;
        case SCR_CMD_ASSERT_TRAP:
            if (at_lpar_kw(W, "module"))
                cmd_assert_module(W, kind, known);
            else
                cmd_with_action(W, kind);
            break;
        case SCR_CMD_ASSERT_INVALID:
        case SCR_CMD_ASSERT_MALFORMED:
        case SCR_CMD_ASSERT_UNLINKABLE:
        case SCR_CMD_ASSERT_UNINSTANTIABLE: cmd_assert_module(W, kind, known); break;
        case SCR_CMD_ASSERT_EXCEPTION:
            scr_skip(W->S, F_EXN, "assert_exception");
            break;
        default:
            if (tok_is(kw, "assert_invalid_custom") || tok_is(kw, "assert_malformed_custom"))
                scr_skip(W->S, F_ANNOT, NULL);
            else if (tok_is(kw, "thread") || tok_is(kw, "wait"))
                scr_skip(W->S, F_THREAD_SCRIPTS, NULL);
            else
                fail_at(W, kw, "a command (module, register, invoke, get, assert_...)");
            break;
        }
    }
    W->i = next;
}

/* A script may be a module's fields alone (spec: an inline module). */
static bool inline_module(const wat_tokens *t)
{
    static const char *const fields[] = {"func", "memory", "table", "global", "type", "import",
                                         "export", "start", "elem", "data", "rec", "tag"};
    if (t->count < 3 || t->tok[0].kind != WAT_LPAR)
        return false;
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
        if (tok_is(&t->tok[1], fields[k]))
            return true;
    return false;
}

/* The whole text as one `module` command. */
static void inline_run(wast *W, const char *text, size_t size)
{
    const wat_token *first = &W->t.tok[0];
    scr_command(W->S, SCR_CMD_MODULE, "module", (long)first->line, (long)first->col);
    scr_needs(W->S, scr_wast_feature_scan(&W->t, 0, W->t.count - 1));
    uint8_t *bytes;
    size_t len;
    wat_options o = {.names = false};
    if (!wat_to_wasm(text, size, W->file, &o, &bytes, &len, W->err, sizeof W->err)) {
        scr_module_unreadable(W->S, NULL, W->err);
        return;
    }
    scr_module(W->S, NULL, bytes, len, false);
    free(bytes);
}

void scr_wast_run_text(const scr_options *opt, const char *text, size_t size, const char *label,
                       scr_counts *total)
{
    wast W = {.opt = opt, .file = label};
    if (!wat_lex(text, size, label, &W.t, W.err, sizeof W.err)) {
        printf("%s\n%s: 0 passed, 1 failed, 0 skipped (cannot read the file)\n", W.err, label);
        total->failed++;
        return;
    }
    W.S = scr_begin(opt, label);
    if (!W.S) {
        printf("%s: 0 passed, 1 failed, 0 skipped (out of memory)\n", label);
        total->failed++;
    } else if (inline_module(&W.t)) {
        inline_run(&W, text, size);
        scr_end(W.S, total);
    } else {
        while (W.i + 1 < W.t.count)
            command(&W);
        scr_end(W.S, total);
    }
    wat_tokens_free(&W.t);
}

void scr_wast_run(const scr_options *opt, const char *path, const char *label,
                  scr_counts *total)
{
    size_t size;
    char *text = scr_read_file(path, &size);
    if (!text) {
        printf("%s: 0 passed, 1 failed, 0 skipped (cannot read the file)\n", label);
        total->failed++;
        return;
    }
    scr_wast_run_text(opt, text, size, label, total);
    free(text);
}

/*
 * instr.c -- types and instructions of the text format (spec 6.4, 6.5):
 * value, reference and heap types, type definitions and type uses, and every
 * instruction, flat or folded, encoded as the binary format has it.
 *
 * The instructions weft decodes come from engine/opcodes.def (op_table); the
 * 3.0 ones it does not decode yet (tail calls, exception handling, typed
 * references, GC, relaxed SIMD) are listed in `extra` below, with immediate
 * kinds of their own.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/opcodes.h"
#include "text/num.h"
#include "text/parse.h"

/* Immediate kinds beyond engine/opcodes.h's. */
enum {
    X_TYPE = 100,  /* typeidx                                  */
    X_TYPE_FIELD,  /* typeidx fieldidx (struct.get/set)        */
    X_TYPE_TYPE,   /* array.copy                               */
    X_TYPE_DATA,   /* array.new_data, array.init_data          */
    X_TYPE_ELEM,   /* array.new_elem, array.init_elem          */
    X_TYPE_U32,    /* array.new_fixed                          */
    X_TAG,         /* throw                                    */
    X_CAST,        /* ref.test/ref.cast: code+1 when nullable  */
    X_BR_ON_CAST,  /* flags, label, two reftypes               */
};

typedef struct extra_op {
    const char *name;
    uint8_t prefix;
    uint32_t code;
    int imm;
} extra_op;

static const extra_op extra[] = {
    {"return_call", 0, 0x12, IMM_FUNC},
    {"return_call_indirect", 0, 0x13, IMM_CALL_INDIRECT},
    {"call_ref", 0, 0x14, X_TYPE},
    {"return_call_ref", 0, 0x15, X_TYPE},
    {"throw", 0, 0x08, X_TAG},
    {"throw_ref", 0, 0x0A, IMM_NONE},
    {"rethrow", 0, 0x09, IMM_LABEL},
    {"ref.eq", 0, 0xD3, IMM_NONE},
    {"ref.as_non_null", 0, 0xD4, IMM_NONE},
    {"br_on_null", 0, 0xD5, IMM_LABEL},
    {"br_on_non_null", 0, 0xD6, IMM_LABEL},
    {"struct.new", 0xFB, 0, X_TYPE},
    {"struct.new_default", 0xFB, 1, X_TYPE},
    {"struct.get", 0xFB, 2, X_TYPE_FIELD},
    {"struct.get_s", 0xFB, 3, X_TYPE_FIELD},
    {"struct.get_u", 0xFB, 4, X_TYPE_FIELD},
    {"struct.set", 0xFB, 5, X_TYPE_FIELD},
    {"array.new", 0xFB, 6, X_TYPE},
    {"array.new_default", 0xFB, 7, X_TYPE},
    {"array.new_fixed", 0xFB, 8, X_TYPE_U32},
    {"array.new_data", 0xFB, 9, X_TYPE_DATA},
    {"array.new_elem", 0xFB, 10, X_TYPE_ELEM},
    {"array.get", 0xFB, 11, X_TYPE},
    {"array.get_s", 0xFB, 12, X_TYPE},
    {"array.get_u", 0xFB, 13, X_TYPE},
    {"array.set", 0xFB, 14, X_TYPE},
    {"array.len", 0xFB, 15, IMM_NONE},
    {"array.fill", 0xFB, 16, X_TYPE},
    {"array.copy", 0xFB, 17, X_TYPE_TYPE},
    {"array.init_data", 0xFB, 18, X_TYPE_DATA},
    {"array.init_elem", 0xFB, 19, X_TYPE_ELEM},
    {"ref.test", 0xFB, 20, X_CAST},
    {"ref.cast", 0xFB, 22, X_CAST},
    {"br_on_cast", 0xFB, 24, X_BR_ON_CAST},
    {"br_on_cast_fail", 0xFB, 25, X_BR_ON_CAST},
    {"any.convert_extern", 0xFB, 26, IMM_NONE},
    {"extern.convert_any", 0xFB, 27, IMM_NONE},
    {"ref.i31", 0xFB, 28, IMM_NONE},
    {"i31.get_s", 0xFB, 29, IMM_NONE},
    {"i31.get_u", 0xFB, 30, IMM_NONE},
    {"i8x16.relaxed_swizzle", 0xFD, 0x100, IMM_NONE},
    {"i32x4.relaxed_trunc_f32x4_s", 0xFD, 0x101, IMM_NONE},
    {"i32x4.relaxed_trunc_f32x4_u", 0xFD, 0x102, IMM_NONE},
    {"i32x4.relaxed_trunc_f64x2_s_zero", 0xFD, 0x103, IMM_NONE},
    {"i32x4.relaxed_trunc_f64x2_u_zero", 0xFD, 0x104, IMM_NONE},
    {"f32x4.relaxed_madd", 0xFD, 0x105, IMM_NONE},
    {"f32x4.relaxed_nmadd", 0xFD, 0x106, IMM_NONE},
    {"f64x2.relaxed_madd", 0xFD, 0x107, IMM_NONE},
    {"f64x2.relaxed_nmadd", 0xFD, 0x108, IMM_NONE},
    {"i8x16.relaxed_laneselect", 0xFD, 0x109, IMM_NONE},
    {"i16x8.relaxed_laneselect", 0xFD, 0x10A, IMM_NONE},
    {"i32x4.relaxed_laneselect", 0xFD, 0x10B, IMM_NONE},
    {"i64x2.relaxed_laneselect", 0xFD, 0x10C, IMM_NONE},
    {"f32x4.relaxed_min", 0xFD, 0x10D, IMM_NONE},
    {"f32x4.relaxed_max", 0xFD, 0x10E, IMM_NONE},
    {"f64x2.relaxed_min", 0xFD, 0x10F, IMM_NONE},
    {"f64x2.relaxed_max", 0xFD, 0x110, IMM_NONE},
    {"i16x8.relaxed_q15mulr_s", 0xFD, 0x111, IMM_NONE},
    {"i16x8.relaxed_dot_i8x16_i7x16_s", 0xFD, 0x112, IMM_NONE},
    {"i32x4.relaxed_dot_i8x16_i7x16_add_s", 0xFD, 0x113, IMM_NONE},
    {"i64.add128", 0xFC, 19, IMM_NONE},
    {"i64.sub128", 0xFC, 20, IMM_NONE},
    {"i64.mul_wide_s", 0xFC, 21, IMM_NONE},
    {"i64.mul_wide_u", 0xFC, 22, IMM_NONE},
};
#define N_EXTRA (sizeof extra / sizeof extra[0])

typedef struct op_def {
    const char *name;
    uint8_t prefix;
    uint32_t code;
    int imm;
    uint8_t align;
} op_def;

static op_def op_get(uint32_t k)
{
    if (k < OP_COUNT_) {
        const op_info *o = &op_table[k];
        return (op_def){o->name, o->prefix, o->code, (int)o->imm, o->align};
    }
    const extra_op *x = &extra[k - OP_COUNT_];
    return (op_def){x->name, x->prefix, x->code, x->imm, 0};
}

static uint32_t hash_name(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/* The opcode named by keyword token t; false if none.  The table is built
 * per parser (no process-wide state); the first of two equal names wins
 * (plain `select`). */
static bool op_find(wat_parser *P, const wat_token *t, op_def *out)
{
    if (!P->op_hash) {
        P->op_hash_size = 2048;
        P->op_hash = calloc(P->op_hash_size, sizeof *P->op_hash);
        if (!P->op_hash)
            return false;
        for (uint32_t k = 0; k < OP_COUNT_ + N_EXTRA; k++) {
            op_def d = op_get(k);
            size_t n = strlen(d.name);
            uint32_t h = hash_name(d.name, n) & (P->op_hash_size - 1);
            for (;; h = (h + 1) & (P->op_hash_size - 1)) {
                if (!P->op_hash[h]) {
                    P->op_hash[h] = (uint16_t)(k + 1);
                    break;
                }
                if (!strcmp(op_get(P->op_hash[h] - 1u).name, d.name))
                    break;
            }
        }
    }
    uint32_t h = hash_name(t->text, t->len) & (P->op_hash_size - 1);
    for (; P->op_hash[h]; h = (h + 1) & (P->op_hash_size - 1)) {
        op_def d = op_get(P->op_hash[h] - 1u);
        if (strlen(d.name) == t->len && !memcmp(d.name, t->text, t->len)) {
            *out = d;
            return true;
        }
    }
    return false;
}

void wat_ops_free(wat_parser *P)
{
    free(P->op_hash);
    P->op_hash = NULL;
}

/* ---- types ---- */

static const struct {
    const char *kw;
    uint8_t code;
} numtypes[] = {{"i32", 0x7F}, {"i64", 0x7E}, {"f32", 0x7D}, {"f64", 0x7C}, {"v128", 0x7B}},
  reftypes[] = {{"funcref", 0x70},     {"externref", 0x6F},    {"anyref", 0x6E},
                {"eqref", 0x6D},       {"i31ref", 0x6C},       {"structref", 0x6B},
                {"arrayref", 0x6A},    {"exnref", 0x69},       {"nullref", 0x71},
                {"nullfuncref", 0x73}, {"nullexternref", 0x72}, {"nullexnref", 0x74}},
  heaptypes[] = {{"func", 0x70},   {"extern", 0x6F}, {"any", 0x6E},   {"eq", 0x6D},
                 {"i31", 0x6C},    {"struct", 0x6B}, {"array", 0x6A}, {"exn", 0x69},
                 {"none", 0x71},   {"nofunc", 0x73}, {"noextern", 0x72}, {"noexn", 0x74}};

#define FIND_KW(table, t, code)                                                              \
    for (size_t k_ = 0; k_ < sizeof table / sizeof table[0]; k_++)                          \
        if (wat_is_keyword(t, table[k_].kw)) {                                               \
            code = table[k_].code;                                                           \
            break;                                                                           \
        }

bool wat_heaptype(wat_parser *P, wat_buf *b)
{
    int code = -1;
    FIND_KW(heaptypes, tk(P), code);
    if (code >= 0) {
        P->i++;
        buf_byte(b, (uint8_t)code);
        return true;
    }
    uint32_t idx;
    if (!wat_at_index(P))
        return wat_expected(P, tk(P), "a heap type");
    OK(wat_index(P, &P->sp[SP_TYPE], "type", &idx));
    buf_s64(b, idx);
    return true;
}

bool wat_reftype(wat_parser *P, wat_buf *b, bool *nullable)
{
    int code = -1;
    FIND_KW(reftypes, tk(P), code);
    *nullable = true;
    if (code >= 0) {
        P->i++;
        buf_byte(b, (uint8_t)code);
        return true;
    }
    if (!wat_take_lpar_kw(P, "ref"))
        return wat_expected(P, tk(P), "a reference type");
    *nullable = wat_take_kw(P, "null");
    /* (ref null func) and friends have one-byte shorthands: use them, so that
     * 2.0 decoders read what 2.0 text meant. */
    FIND_KW(heaptypes, tk(P), code);
    if (*nullable && code >= 0) {
        P->i++;
        buf_byte(b, (uint8_t)code);
    } else {
        buf_byte(b, *nullable ? 0x63 : 0x64);
        OK(wat_heaptype(P, b));
    }
    return wat_expect_rpar(P);
}

bool wat_at_valtype(const wat_parser *P)
{
    const wat_token *t = tk(P);
    int code = -1;
    FIND_KW(numtypes, t, code);
    FIND_KW(reftypes, t, code);
    return code >= 0 || wat_is_lpar_kw(P, "ref");
}

bool wat_valtype(wat_parser *P, wat_buf *b)
{
    int code = -1;
    FIND_KW(numtypes, tk(P), code);
    if (code >= 0) {
        P->i++;
        buf_byte(b, (uint8_t)code);
        return true;
    }
    bool nullable;
    if (!wat_at_valtype(P))
        return wat_expected(P, tk(P), "a value type");
    return wat_reftype(P, b, &nullable);
}

/* storagetype | (mut storagetype) */
static bool fieldtype(wat_parser *P, wat_buf *b)
{
    bool mut = wat_take_lpar_kw(P, "mut");
    if (wat_take_kw(P, "i8"))
        buf_byte(b, 0x78);
    else if (wat_take_kw(P, "i16"))
        buf_byte(b, 0x77);
    else
        OK(wat_valtype(P, b));
    buf_byte(b, mut);
    return mut ? wat_expect_rpar(P) : true;
}

/* (param ...)* (result ...)*: encoded as vec(params) vec(results) into sig. */
static bool params_results(wat_parser *P, wat_buf *sig, wat_names *names, uint32_t *np,
                           uint32_t *nr, bool named_ok)
{
    wat_buf ps = {0}, rs = {0};
    *np = *nr = 0;
    bool ok = true;
    while (ok && wat_is_lpar_kw(P, "param")) {
        P->i += 2;
        if (tk(P)->kind == WAT_ID) {
            const wat_token *id = tk(P);
            if (!named_ok) {
                ok = wat_fail(P, id, "unexpected token: a named parameter here");
                break;
            }
            P->i++;
            ok = wat_valtype(P, &ps) && (!names || wat_names_add(P, names, id, "local"));
            (*np)++;
        } else {
            while (ok && tk(P)->kind != WAT_RPAR) {
                ok = wat_valtype(P, &ps) && (!names || wat_names_add(P, names, NULL, "local"));
                (*np)++;
            }
        }
        ok = ok && wat_expect_rpar(P);
    }
    while (ok && wat_is_lpar_kw(P, "result")) {
        P->i += 2;
        while (ok && tk(P)->kind != WAT_RPAR) {
            ok = wat_valtype(P, &rs);
            (*nr)++;
        }
        ok = ok && wat_expect_rpar(P);
    }
    if (ok) {
        buf_u32(sig, *np);
        buf_bytes(sig, ps.p, ps.len);
        buf_u32(sig, *nr);
        buf_bytes(sig, rs.p, rs.len);
    }
    buf_free(&ps);
    buf_free(&rs);
    return ok;
}

bool wat_typedef(wat_parser *P, wat_type *t)
{
    bool sub = wat_take_lpar_kw(P, "sub"), final = false;
    wat_buf supers = {0};
    uint32_t nsupers = 0;
    if (sub) {
        final = wat_take_kw(P, "final");
        while (wat_at_index(P)) {
            uint32_t idx;
            if (!wat_index(P, &P->sp[SP_TYPE], "type", &idx)) {
                buf_free(&supers);
                return false;
            }
            buf_u32(&supers, idx);
            nsupers++;
        }
        buf_byte(&t->enc, final ? 0x4F : 0x50);
        buf_u32(&t->enc, nsupers);
        buf_bytes(&t->enc, supers.p, supers.len);
        buf_free(&supers);
    }
    t->plain = !sub;
    if (wat_take_lpar_kw(P, "func")) {
        t->kind = 0x60;
        uint32_t nr;
        wat_names ignored = {0};
        bool ok = params_results(P, &t->sig, &ignored, &t->nparams, &nr, true);
        free(ignored.name);
        OK(ok);
        buf_byte(&t->enc, 0x60);
        buf_bytes(&t->enc, t->sig.p, t->sig.len);
    } else if (wat_take_lpar_kw(P, "struct")) {
        t->kind = 0x5F;
        wat_buf fs = {0};
        uint32_t n = 0;
        bool ok = true;
        while (ok && wat_take_lpar_kw(P, "field")) {
            if (tk(P)->kind == WAT_ID) {
                const wat_token *id = tk(P);
                P->i++;
                ok = wat_names_add(P, &t->fields, id, "field") && fieldtype(P, &fs);
                n++;
            } else {
                while (ok && tk(P)->kind != WAT_RPAR) {
                    ok = wat_names_add(P, &t->fields, NULL, "field") && fieldtype(P, &fs);
                    n++;
                }
            }
            ok = ok && wat_expect_rpar(P);
        }
        if (ok) {
            buf_byte(&t->enc, 0x5F);
            buf_u32(&t->enc, n);
            buf_bytes(&t->enc, fs.p, fs.len);
        }
        buf_free(&fs);
        OK(ok);
    } else if (wat_take_lpar_kw(P, "array")) {
        t->kind = 0x5E;
        buf_byte(&t->enc, 0x5E);
        OK(fieldtype(P, &t->enc));
    } else {
        return wat_expected(P, tk(P), "(func ...), (struct ...), (array ...) or (sub ...)");
    }
    OK(wat_expect_rpar(P));
    return sub ? wat_expect_rpar(P) : true;
}

static bool add_type(wat_parser *P, const wat_buf *sig, uint32_t nparams, uint32_t *idx)
{
    if (P->ntypes == P->types_cap) {
        uint32_t cap = P->types_cap ? P->types_cap * 2 : 16;
        wat_type *nt = realloc(P->types, cap * sizeof *nt);
        if (!nt)
            return wat_fail(P, tk(P), "out of memory");
        P->types = nt;
        P->types_cap = cap;
    }
    wat_type *t = &P->types[P->ntypes];
    memset(t, 0, sizeof *t);
    t->kind = 0x60;
    t->plain = true;
    t->nparams = nparams;
    buf_bytes(&t->sig, sig->p, sig->len);
    buf_byte(&t->enc, 0x60);
    buf_bytes(&t->enc, sig->p, sig->len);
    OK(wat_names_add(P, &P->sp[SP_TYPE], NULL, "type"));
    *idx = P->ntypes++;
    return true;
}

/* The type index a type use means (spec 6.6.9): the one written, or the
 * first plain function type with the signature, else a new one.  sig_out
 * (may be NULL) gets the signature written inline. */
static bool typeuse(wat_parser *P, uint32_t *typeidx, wat_names *names, uint32_t *nparams,
                    uint32_t *nresults, bool *has_type, wat_buf *sig_out, bool named_ok)
{
    const wat_token *at = tk(P);
    *has_type = false;
    if (wat_take_lpar_kw(P, "type")) {
        OK(wat_index(P, &P->sp[SP_TYPE], "type", typeidx));
        OK(wat_expect_rpar(P));
        *has_type = true;
    }
    wat_buf sig = {0};
    uint32_t np, nr;
    uint32_t names_before = names ? names->count : 0;
    bool ok = params_results(P, &sig, names, &np, &nr, named_ok);
    if (ok && *has_type && (*typeidx >= P->ntypes || P->types[*typeidx].kind != 0x60)) {
        /* no such function type: the validator says so, unless a signature
         * is written beside it, which the text format must check */
        if (np || nr)
            ok = wat_fail(P, at, "unknown type %u", *typeidx);
    } else if (ok && *has_type) {
        const wat_type *t = &P->types[*typeidx];
        if ((np || nr) && (sig.len != t->sig.len || memcmp(sig.p, t->sig.p, sig.len)))
            ok = wat_fail(P, at, "inline function type does not match (type %u)", *typeidx);
        if (ok && names && names->count == names_before)
            for (uint32_t k = 0; ok && k < t->nparams; k++)
                ok = wat_names_add(P, names, NULL, "local");
        np = t->nparams;
        nr = 0; /* not needed with a type index */
    } else if (ok && nresults && np == 0 && nr <= 1) {
        /* a block type of at most one result: no type index */
    } else if (ok) {
        uint32_t k = 0;
        for (; k < P->ntypes; k++) {
            const wat_type *t = &P->types[k];
            if (t->kind == 0x60 && t->plain && !t->in_rec && t->sig.len == sig.len &&
                !memcmp(t->sig.p, sig.p, sig.len))
                break;
        }
        if (k == P->ntypes)
            ok = add_type(P, &sig, np, &k);
        *typeidx = k;
    }
    if (ok && sig_out)
        buf_bytes(sig_out, sig.p, sig.len);
    buf_free(&sig);
    if (nparams)
        *nparams = np;
    if (nresults)
        *nresults = nr;
    return ok;
}

bool wat_typeuse(wat_parser *P, uint32_t *typeidx, wat_names *names, uint32_t *nparams,
                 bool named_ok)
{
    bool has_type;
    return typeuse(P, typeidx, names, nparams, NULL, &has_type, NULL, named_ok);
}

/* blocktype: 0x40, a value type, or a type index (s33).  A type written
 * by index is encoded as wabt does: as a value type when it has no params
 * and at most one result. */
static bool blocktype(wat_parser *P, wat_buf *b)
{
    uint32_t idx = 0, np, nr;
    bool has_type;
    wat_buf sig = {0};
    OK(typeuse(P, &idx, NULL, &np, &nr, &has_type, &sig, false));
    if (has_type && (idx >= P->ntypes || P->types[idx].kind != 0x60)) {
        buf_s64(b, idx); /* for the validator to reject */
        buf_free(&sig);
        return true;
    }
    const wat_buf *s = has_type ? &P->types[idx].sig : &sig;
    /* s: vec(params) vec(results); counts below 128 are one byte */
    if (s->p[0] == 0 && s->p[1] <= 1) {
        if (s->p[1] == 0)
            buf_byte(b, 0x40);
        else
            buf_bytes(b, s->p + 2, s->len - 2);
    } else {
        buf_s64(b, idx);
    }
    buf_free(&sig);
    return true;
}

/* ---- instructions ---- */

typedef struct ctx {
    wat_parser *P;
    wat_names *locals, *labels;
    unsigned depth; /* blocks and folded instructions open: nested() */
} ctx;

static bool label_push(ctx *c, const wat_token *id)
{
    wat_names *l = c->labels;
    if (l->count == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 16;
        const wat_token **nn = realloc(l->name, cap * sizeof *nn);
        if (!nn)
            return wat_fail(c->P, tk(c->P), "out of memory");
        l->name = nn;
        l->cap = cap;
    }
    l->name[l->count++] = id;
    return true;
}

static bool same_id(const wat_token *a, const wat_token *b)
{
    return a->data_len == b->data_len && !memcmp(a->data, b->data, a->data_len);
}

static bool label_idx(ctx *c, uint32_t *out)
{
    wat_parser *P = c->P;
    const wat_token *t = tk(P);
    if (!c->labels)
        return wat_fail(P, t, "branch outside a function body");
    if (t->kind == WAT_ID) {
        for (uint32_t k = c->labels->count; k-- > 0;) {
            if (c->labels->name[k] && same_id(c->labels->name[k], t)) {
                *out = c->labels->count - 1 - k;
                P->i++;
                return true;
            }
        }
        return wat_fail(P, t, "unknown label $%.*s", (int)t->data_len, (const char *)t->data);
    }
    return wat_u32(P, out);
}

/* An optional `$id` after end/else/catch...: must name the block. */
static bool end_label(ctx *c, const wat_token *label)
{
    wat_parser *P = c->P;
    if (tk(P)->kind != WAT_ID)
        return true;
    if (!label || !same_id(label, tk(P)))
        return wat_fail(P, tk(P), "mismatching label");
    P->i++;
    return true;
}

static bool idx_in(ctx *c, wat_space s, const char *what, uint32_t *out)
{
    return wat_index(c->P, &c->P->sp[s], what, out);
}

static bool memarg(ctx *c, wat_buf *b, unsigned natural, bool mem_allowed)
{
    wat_parser *P = c->P;
    uint32_t mem = 0;
    if (mem_allowed && wat_at_index(P))
        OK(idx_in(c, SP_MEM, "memory", &mem));
    uint64_t offset = 0, align = UINT64_C(1) << natural;
    const wat_token *t = tk(P);
    if (t->kind == WAT_KEYWORD && t->len > 7 && !memcmp(t->text, "offset=", 7)) {
        const char *e = wat_num_nat(t->text + 7, t->len - 7, UINT64_MAX, &offset);
        if (e)
            return wat_fail(P, t, "%s", e);
        t = &P->toks->tok[++P->i];
    }
    if (t->kind == WAT_KEYWORD && t->len > 6 && !memcmp(t->text, "align=", 6)) {
        const char *e = wat_num_nat(t->text + 6, t->len - 6, UINT64_MAX, &align);
        if (e)
            return wat_fail(P, t, "%s", e);
        if (!align || (align & (align - 1)))
            return wat_fail(P, t, "alignment must be a power of two");
        P->i++;
    }
    uint32_t log = 0;
    while (log < 63 && (UINT64_C(1) << log) < align)
        log++;
    buf_u32(b, mem ? log | 0x40 : log);
    if (mem)
        buf_u32(b, mem);
    buf_u64(b, offset);
    return true;
}

/* A lane index: any byte; whether it names a lane is the validator's call. */
static bool lane(wat_parser *P, wat_buf *b)
{
    const wat_token *t = tk(P);
    uint64_t v;
    const char *e = t->kind == WAT_NUMBER ? wat_num_nat(t->text, t->len, 255, &v) : "";
    if (e)
        return *e ? wat_fail(P, t, "lane index: %s", e) : wat_expected(P, t, "a lane index");
    P->i++;
    buf_byte(b, (uint8_t)v);
    return true;
}

static bool int_const(wat_parser *P, unsigned bits, uint64_t *v)
{
    const wat_token *t = tk(P);
    if (t->kind != WAT_NUMBER)
        return wat_expected(P, t, bits == 32 ? "an i32 literal" : "an integer literal");
    const char *e = wat_num_int(t->text, t->len, bits, v);
    if (e && !strcmp(e, "malformed number"))
        return wat_expected(P, t, bits == 32 ? "an i32 literal" : bits == 64 ? "an i64 literal" : "an integer literal");
    if (e)
        return wat_fail(P, t, "%s", e);
    P->i++;
    return true;
}

static bool float_const(wat_parser *P, bool f64, uint64_t *v)
{
    const wat_token *t = tk(P);
    if (t->kind != WAT_NUMBER && t->kind != WAT_KEYWORD)
        return wat_expected(P, t, f64 ? "an f64 literal" : "an f32 literal");
    const char *e;
    if (f64) {
        e = wat_num_f64(t->text, t->len, v);
    } else {
        uint32_t b;
        e = wat_num_f32(t->text, t->len, &b);
        *v = b;
    }
    if (e && !strcmp(e, "malformed number"))
        return wat_expected(P, t, f64 ? "an f64 literal" : "an f32 literal");
    if (e)
        return wat_fail(P, t, "%s", e);
    P->i++;
    return true;
}

static void put_le(wat_buf *b, uint64_t v, unsigned bytes)
{
    for (unsigned k = 0; k < bytes; k++)
        buf_byte(b, (uint8_t)(v >> (8 * k)));
}

bool wat_v128(wat_parser *P, uint8_t out[16])
{
    static const struct {
        const char *kw;
        unsigned lanes;
        int kind; /* 0 int, 1 f32, 2 f64 */
    } shapes[] = {{"i8x16", 16, 0}, {"i16x8", 8, 0}, {"i32x4", 4, 0},
                  {"i64x2", 2, 0},  {"f32x4", 4, 1}, {"f64x2", 2, 2}};
    for (size_t s = 0; s < 6; s++) {
        if (!wat_take_kw(P, shapes[s].kw))
            continue;
        unsigned width = 16 / shapes[s].lanes;
        for (unsigned k = 0; k < shapes[s].lanes; k++) {
            uint64_t v;
            if (shapes[s].kind == 0)
                OK(int_const(P, width * 8, &v));
            else
                OK(float_const(P, shapes[s].kind == 2, &v));
            for (unsigned j = 0; j < width; j++)
                out[k * width + j] = (uint8_t)(v >> (8 * j));
        }
        return true;
    }
    return wat_expected(P, tk(P), "a v128 shape (i8x16, i16x8, i32x4, i64x2, f32x4, f64x2)");
}

/* How many index tokens follow (up to 2). */
static unsigned indices_ahead(const wat_parser *P)
{
    unsigned n = 0;
    while (n < 2 && (tk_at(P, n)->kind == WAT_ID || tk_at(P, n)->kind == WAT_NUMBER))
        n++;
    return n;
}

static void put_op(wat_buf *b, uint8_t prefix, uint32_t code)
{
    if (prefix) {
        buf_byte(b, prefix);
        buf_u32(b, code);
    } else {
        buf_byte(b, (uint8_t)code);
    }
}

/* The immediates of a plain instruction `d`, after its keyword. */
static bool immediates(ctx *c, const op_def *d, wat_buf *b)
{
    wat_parser *P = c->P;
    uint32_t x, y;
    uint64_t v;
    switch (d->imm) {
    case IMM_NONE:
        put_op(b, d->prefix, d->code);
        return true;
    case IMM_LABEL:
        OK(label_idx(c, &x));
        put_op(b, d->prefix, d->code);
        buf_u32(b, x);
        return true;
    case IMM_BR_TABLE: {
        wat_buf ls = {0};
        uint32_t n = 0;
        while (wat_at_index(P)) {
            if (!label_idx(c, &x)) {
                buf_free(&ls);
                return false;
            }
            buf_u32(&ls, x);
            n++;
        }
        if (!n)
            return wat_expected(P, tk(P), "a label");
        put_op(b, d->prefix, d->code);
        buf_u32(b, n - 1);
        buf_bytes(b, ls.p, ls.len);
        buf_free(&ls);
        return true;
    }
    case IMM_FUNC:
        OK(idx_in(c, SP_FUNC, "function", &x));
        put_op(b, d->prefix, d->code);
        buf_u32(b, x);
        return true;
    case IMM_CALL_INDIRECT:
        x = 0;
        if (wat_at_index(P))
            OK(idx_in(c, SP_TABLE, "table", &x));
        OK(wat_typeuse(P, &y, NULL, NULL, false));
        put_op(b, d->prefix, d->code);
        buf_u32(b, y);
        buf_u32(b, x);
        return true;
    case IMM_LOCAL:
        if (!c->locals)
            return wat_fail(P, tk(P), "local outside a function body");
        OK(wat_index(P, c->locals, "local", &x));
        put_op(b, d->prefix, d->code);
        buf_u32(b, x);
        return true;
    case IMM_GLOBAL:
        OK(idx_in(c, SP_GLOBAL, "global", &x));
        put_op(b, d->prefix, d->code);
        buf_u32(b, x);
        return true;
    case IMM_TABLE:
        x = 0;
        if (wat_at_index(P))
            OK(idx_in(c, SP_TABLE, "table", &x));
        put_op(b, d->prefix, d->code);
        buf_u32(b, x);
        return true;
    case IMM_MEMARG:
        put_op(b, d->prefix, d->code);
        return memarg(c, b, d->align, true);
    case IMM_MEMARG_LANE: {
        /* `op 1 2`: memory 1, lane 2; `op 1`: lane 1 */
        bool mem = tk(P)->kind == WAT_ID ||
                   (tk(P)->kind == WAT_NUMBER &&
                    (tk_at(P, 1)->kind == WAT_NUMBER || tk_at(P, 1)->kind == WAT_KEYWORD));
        x = 0;
        if (mem)
            OK(idx_in(c, SP_MEM, "memory", &x));
        put_op(b, d->prefix, d->code);
        wat_buf m = {0};
        bool ok = memarg(c, &m, d->align, false);
        if (ok && x) {
            m.p[0] |= 0x40; /* alignment < 64: one byte */
            buf_bytes(b, m.p, 1);
            buf_u32(b, x);
            buf_bytes(b, m.p + 1, m.len - 1);
        } else if (ok) {
            buf_bytes(b, m.p, m.len);
        }
        buf_free(&m);
        OK(ok);
        return lane(P, b);
    }
    case IMM_MEM:
        x = 0;
        if (wat_at_index(P))
            OK(idx_in(c, SP_MEM, "memory", &x));
        put_op(b, d->prefix, d->code);
        buf_u32(b, x);
        return true;
    case IMM_I32:
    case IMM_I64: {
        unsigned bits = d->imm == IMM_I32 ? 32 : 64;
        OK(int_const(P, bits, &v));
        put_op(b, d->prefix, d->code);
        buf_s64(b, bits == 32 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v);
        return true;
    }
    case IMM_F32:
    case IMM_F64:
        OK(float_const(P, d->imm == IMM_F64, &v));
        put_op(b, d->prefix, d->code);
        put_le(b, v, d->imm == IMM_F64 ? 8 : 4);
        return true;
    case IMM_V128: {
        uint8_t bytes[16];
        OK(wat_v128(P, bytes));
        put_op(b, d->prefix, d->code);
        buf_bytes(b, bytes, 16);
        return true;
    }
    case IMM_LANE:
        put_op(b, d->prefix, d->code);
        return lane(P, b);
    case IMM_SHUFFLE:
        put_op(b, d->prefix, d->code);
        for (int k = 0; k < 16; k++)
            OK(lane(P, b));
        return true;
    case IMM_REFTYPE:
        put_op(b, d->prefix, d->code);
        return wat_heaptype(P, b);
    case IMM_ELEM_TABLE:
        x = 0;
        if (indices_ahead(P) == 2)
            OK(idx_in(c, SP_TABLE, "table", &x));
        OK(idx_in(c, SP_ELEM, "elem segment", &y));
        put_op(b, d->prefix, d->code);
        buf_u32(b, y);
        buf_u32(b, x);
        return true;
    case IMM_DATA_MEM:
        x = 0;
        if (indices_ahead(P) == 2)
            OK(idx_in(c, SP_MEM, "memory", &x));
        OK(idx_in(c, SP_DATA, "data segment", &y));
        put_op(b, d->prefix, d->code);
        buf_u32(b, y);
        buf_u32(b, x);
        P->needs_datacount = true;
        return true;
    case IMM_DATA:
        OK(idx_in(c, SP_DATA, "data segment", &x));
        put_op(b, d->prefix, d->code);
        buf_u32(b, x);
        P->needs_datacount = true;
        return true;
    case IMM_ELEM:
        OK(idx_in(c, SP_ELEM, "elem segment", &x));
        put_op(b, d->prefix, d->code);
        buf_u32(b, x);
        return true;
    case IMM_TABLE_TABLE:
    case IMM_MEM_MEM: {
        wat_space s = d->imm == IMM_TABLE_TABLE ? SP_TABLE : SP_MEM;
        const char *what = s == SP_TABLE ? "table" : "memory";
        x = y = 0;
        if (wat_at_index(P)) {
            OK(idx_in(c, s, what, &x));
            OK(idx_in(c, s, what, &y));
        }
        put_op(b, d->prefix, d->code);
        buf_u32(b, x);
        buf_u32(b, y);
        return true;
    }
    case IMM_ZERO:
        put_op(b, d->prefix, d->code);
        buf_byte(b, 0);
        return true;
    case X_TYPE:
    case X_TYPE_TYPE:
    case X_TYPE_DATA:
    case X_TYPE_ELEM:
    case X_TYPE_U32:
        OK(idx_in(c, SP_TYPE, "type", &x));
        put_op(b, d->prefix, d->code);
        buf_u32(b, x);
        if (d->imm == X_TYPE_TYPE)
            OK(idx_in(c, SP_TYPE, "type", &y));
        else if (d->imm == X_TYPE_DATA && (P->needs_datacount = true))
            OK(idx_in(c, SP_DATA, "data segment", &y));
        else if (d->imm == X_TYPE_ELEM)
            OK(idx_in(c, SP_ELEM, "elem segment", &y));
        else if (d->imm == X_TYPE_U32)
            OK(wat_u32(P, &y));
        else
            return true;
        buf_u32(b, y);
        return true;
    case X_TYPE_FIELD: {
        OK(idx_in(c, SP_TYPE, "type", &x));
        static const wat_names none;
        const wat_names *fields = x < P->ntypes ? &P->types[x].fields : &none;
        OK(wat_index(P, fields, "field", &y));
        put_op(b, d->prefix, d->code);
        buf_u32(b, x);
        buf_u32(b, y);
        return true;
    }
    case X_TAG:
        OK(idx_in(c, SP_TAG, "tag", &x));
        put_op(b, d->prefix, d->code);
        buf_u32(b, x);
        return true;
    case X_CAST: {
        wat_buf rt = {0};
        bool nullable;
        bool ok = wat_reftype(P, &rt, &nullable);
        if (ok) {
            put_op(b, d->prefix, d->code + nullable);
            /* the heap type alone: drop the 0x63/0x64 prefix */
            if (rt.p[0] == 0x63 || rt.p[0] == 0x64)
                buf_bytes(b, rt.p + 1, rt.len - 1);
            else
                buf_bytes(b, rt.p, rt.len);
        }
        buf_free(&rt);
        return ok;
    }
    case X_BR_ON_CAST: {
        OK(label_idx(c, &x));
        wat_buf r1 = {0}, r2 = {0};
        bool n1, n2;
        bool ok = wat_reftype(P, &r1, &n1) && wat_reftype(P, &r2, &n2);
        if (ok) {
            put_op(b, d->prefix, d->code);
            buf_byte(b, (uint8_t)(n1 | n2 << 1));
            buf_u32(b, x);
            size_t s1 = r1.p[0] == 0x63 || r1.p[0] == 0x64, s2 = r2.p[0] == 0x63 || r2.p[0] == 0x64;
            buf_bytes(b, r1.p + s1, r1.len - s1);
            buf_bytes(b, r2.p + s2, r2.len - s2);
        }
        buf_free(&r1);
        buf_free(&r2);
        return ok;
    }
    default:
        return wat_fail(P, tk(P), "internal: immediate kind %d", d->imm);
    }
}

static bool instr(ctx *c, wat_buf *b);

/* `select (result t)*`: the typed form when results are written. */
static bool select_op(ctx *c, wat_buf *b)
{
    wat_parser *P = c->P;
    if (!wat_is_lpar_kw(P, "result")) {
        buf_byte(b, 0x1B);
        return true;
    }
    wat_buf ts = {0};
    uint32_t n = 0;
    bool ok = true;
    while (ok && wat_take_lpar_kw(P, "result")) {
        while (ok && tk(P)->kind != WAT_RPAR)
            ok = wat_valtype(P, &ts), n++;
        ok = ok && wat_expect_rpar(P);
    }
    /* `select (result)` is the typed form with no type (0x1C 0x00), which
     * the validator rejects ("invalid result arity"); wabt 1.0.32 writes a
     * plain select instead (tests/text/crosscheck.c allows for it). */
    buf_byte(b, 0x1C);
    buf_u32(b, n);
    buf_bytes(b, ts.p, ts.len);
    buf_free(&ts);
    return ok;
}

/* A plain instruction at its keyword: into b. */
static bool plain(ctx *c, wat_buf *b)
{
    wat_parser *P = c->P;
    const wat_token *t = tk(P);
    op_def d;
    if (t->kind != WAT_KEYWORD || !op_find(P, t, &d))
        return wat_expected(P, t, "an instruction");
    P->i++;
    if (d.prefix == 0 && d.code == 0x1B)
        return select_op(c, b);
    return immediates(c, &d, b);
}

static bool is_block_kw(const wat_token *t)
{
    return wat_is_keyword(t, "block") || wat_is_keyword(t, "loop") || wat_is_keyword(t, "if") ||
           wat_is_keyword(t, "try_table") || wat_is_keyword(t, "try");
}

static bool is_terminator(const wat_token *t)
{
    return wat_is_keyword(t, "end") || wat_is_keyword(t, "else") ||
           wat_is_keyword(t, "catch") || wat_is_keyword(t, "catch_all") ||
           wat_is_keyword(t, "delegate");
}

static bool seq(ctx *c, wat_buf *b)
{
    wat_parser *P = c->P;
    for (;;) {
        const wat_token *t = tk(P);
        if (t->kind == WAT_RPAR || t->kind == WAT_EOF || is_terminator(t))
            return true;
        OK(instr(c, b));
    }
}

/* try_table's catch clauses; their labels are outside the block's own. */
static bool catches(ctx *c, wat_buf *b)
{
    wat_parser *P = c->P;
    wat_buf cs = {0};
    uint32_t n = 0;
    bool ok = true;
    for (;;) {
        int kind = wat_is_lpar_kw(P, "catch")           ? 0
                   : wat_is_lpar_kw(P, "catch_ref")     ? 1
                   : wat_is_lpar_kw(P, "catch_all")     ? 2
                   : wat_is_lpar_kw(P, "catch_all_ref") ? 3
                                                        : -1;
        if (kind < 0)
            break;
        P->i += 2;
        uint32_t tag, l;
        buf_byte(&cs, (uint8_t)kind);
        if (kind < 2) {
            ok = idx_in(c, SP_TAG, "tag", &tag);
            if (!ok)
                break;
            buf_u32(&cs, tag);
        }
        ok = label_idx(c, &l) && wat_expect_rpar(P);
        if (!ok)
            break;
        buf_u32(&cs, l);
        n++;
    }
    if (ok) {
        buf_u32(b, n);
        buf_bytes(b, cs.p, cs.len);
    }
    buf_free(&cs);
    return ok;
}

/* An else branch; an empty one is left out, as wabt does. */
static bool else_body(ctx *c, wat_buf *b)
{
    size_t at = b->len;
    buf_byte(b, 0x05);
    OK(seq(c, b));
    if (b->len == at + 1)
        b->len = at;
    return true;
}

/* Blocks and folded instructions are read by recursion, so their nesting is
 * bounded: text nested deeper fails with an error instead of running out of
 * native stack (a frame per level is a few hundred bytes, more under the
 * sanitizers; 10,000 levels stay well inside a thread's stack). */
enum { MAX_NESTING = 10000 };

static bool nested(ctx *c, wat_buf *b, bool (*read)(ctx *, wat_buf *))
{
    if (c->depth >= MAX_NESTING)
        return wat_fail(c->P, tk(c->P), "blocks and folded instructions nested deeper than %u",
                        (unsigned)MAX_NESTING);
    c->depth++;
    bool ok = read(c, b);
    c->depth--;
    return ok;
}

/* block/loop/if/try_table/try, flat, at the keyword. */
static bool flat_block(ctx *c, wat_buf *b)
{
    wat_parser *P = c->P;
    const wat_token *kw = tk(P);
    P->i++;
    const wat_token *label = tk(P)->kind == WAT_ID ? tk(P) : NULL;
    if (label)
        P->i++;
    bool is_if = wat_is_keyword(kw, "if"), is_try = wat_is_keyword(kw, "try");
    bool is_tt = wat_is_keyword(kw, "try_table");
    buf_byte(b, wat_is_keyword(kw, "block") ? 0x02
                : wat_is_keyword(kw, "loop") ? 0x03
                : is_if                      ? 0x04
                : is_tt                      ? 0x1F
                                             : 0x06);
    OK(blocktype(P, b));
    if (is_tt)
        OK(catches(c, b));
    OK(label_push(c, label));
    OK(seq(c, b));
    if (is_if && wat_take_kw(P, "else")) {
        OK(end_label(c, label));
        OK(else_body(c, b));
    }
    bool caught = false, caught_all = false;
    while (is_try && (wat_is_keyword(tk(P), "catch") || wat_is_keyword(tk(P), "catch_all"))) {
        bool all = wat_is_keyword(tk(P), "catch_all");
        if (caught_all)
            return wat_fail(P, tk(P), "unexpected token: a clause after catch_all");
        caught = true, caught_all = all;
        P->i++;
        if (all) {
            buf_byte(b, 0x19);
        } else {
            uint32_t tag;
            OK(idx_in(c, SP_TAG, "tag", &tag));
            buf_byte(b, 0x07);
            buf_u32(b, tag);
        }
        OK(seq(c, b));
    }
    if (is_try && wat_is_keyword(tk(P), "delegate")) {
        if (caught)
            return wat_fail(P, tk(P), "unexpected token: delegate after catch");
        P->i++;
        c->labels->count--;
        uint32_t l;
        OK(label_idx(c, &l));
        buf_byte(b, 0x18);
        buf_u32(b, l);
        return true;
    }
    c->labels->count--;
    if (!wat_take_kw(P, "end"))
        return wat_expected(P, tk(P), "end");
    OK(end_label(c, label));
    buf_byte(b, 0x0B);
    return true;
}

static bool folded_at(ctx *c, wat_buf *b);

/* A folded instruction at its `(`. */
static bool folded(ctx *c, wat_buf *b) { return nested(c, b, folded_at); }

static bool folded_at(ctx *c, wat_buf *b)
{
    wat_parser *P = c->P;
    P->i++;
    const wat_token *kw = tk(P);
    if (!is_block_kw(kw)) {
        wat_buf op = {0};
        bool ok = plain(c, &op);
        while (ok && tk(P)->kind == WAT_LPAR)
            ok = folded(c, b);
        if (ok)
            buf_bytes(b, op.p, op.len);
        buf_free(&op);
        return ok && wat_expect_rpar(P);
    }
    P->i++;
    const wat_token *label = tk(P)->kind == WAT_ID ? tk(P) : NULL;
    if (label)
        P->i++;
    wat_buf head = {0};
    bool ok = blocktype(P, &head);
    if (wat_is_keyword(kw, "if")) {
        while (ok && tk(P)->kind == WAT_LPAR && !wat_is_lpar_kw(P, "then"))
            ok = folded(c, b);
        buf_byte(b, 0x04);
        buf_bytes(b, head.p, head.len);
        buf_free(&head);
        OK(ok);
        OK(label_push(c, label));
        if (!wat_take_lpar_kw(P, "then"))
            return wat_expected(P, tk(P), "(then ...)");
        OK(seq(c, b));
        OK(wat_expect_rpar(P));
        if (wat_take_lpar_kw(P, "else")) {
            OK(else_body(c, b));
            OK(wat_expect_rpar(P));
        }
    } else if (wat_is_keyword(kw, "try")) {
        buf_byte(b, 0x06);
        buf_bytes(b, head.p, head.len);
        buf_free(&head);
        OK(ok);
        OK(label_push(c, label));
        if (!wat_take_lpar_kw(P, "do"))
            return wat_expected(P, tk(P), "(do ...)");
        OK(seq(c, b));
        OK(wat_expect_rpar(P));
        bool caught = false, caught_all = false;
        for (;;) {
            if ((wat_is_lpar_kw(P, "catch") || wat_is_lpar_kw(P, "catch_all") ||
                 wat_is_lpar_kw(P, "delegate")) && caught_all)
                return wat_fail(P, tk(P), "unexpected token: a clause after catch_all");
            if (wat_is_lpar_kw(P, "delegate") && caught)
                return wat_fail(P, tk(P), "unexpected token: delegate after catch");
            caught_all = wat_is_lpar_kw(P, "catch_all");
            caught = caught || caught_all || wat_is_lpar_kw(P, "catch");
            if (wat_take_lpar_kw(P, "catch")) {
                uint32_t tag;
                OK(idx_in(c, SP_TAG, "tag", &tag));
                buf_byte(b, 0x07);
                buf_u32(b, tag);
            } else if (wat_take_lpar_kw(P, "catch_all")) {
                buf_byte(b, 0x19);
            } else {
                break;
            }
            OK(seq(c, b));
            OK(wat_expect_rpar(P));
        }
        if (wat_take_lpar_kw(P, "delegate")) {
            c->labels->count--;
            uint32_t l;
            OK(label_idx(c, &l));
            buf_byte(b, 0x18);
            buf_u32(b, l);
            OK(wat_expect_rpar(P));
            return wat_expect_rpar(P);
        }
    } else {
        bool tt = wat_is_keyword(kw, "try_table");
        buf_byte(b, wat_is_keyword(kw, "block") ? 0x02 : wat_is_keyword(kw, "loop") ? 0x03 : 0x1F);
        buf_bytes(b, head.p, head.len);
        buf_free(&head);
        OK(ok);
        if (tt)
            OK(catches(c, b));
        OK(label_push(c, label));
        OK(seq(c, b));
    }
    c->labels->count--;
    buf_byte(b, 0x0B);
    return wat_expect_rpar(P);
}

static bool instr(ctx *c, wat_buf *b)
{
    wat_parser *P = c->P;
    if (tk(P)->kind == WAT_LPAR)
        return folded(c, b);
    if (is_block_kw(tk(P))) {
        if (!c->labels)
            return wat_fail(P, tk(P), "block in a constant expression");
        return nested(c, b, flat_block);
    }
    return plain(c, b);
}

bool wat_instrs(wat_parser *P, wat_buf *b, wat_names *locals, wat_names *labels)
{
    ctx c = {P, locals, labels, 0};
    OK(seq(&c, b));
    if (tk(P)->kind != WAT_RPAR)
        return wat_expected(P, tk(P), "an instruction or ')'");
    return true;
}

bool wat_expr(wat_parser *P, wat_buf *b)
{
    /* empty locals and labels: `local.get 0` in a constant expression is
     * for the validator to reject, not the reader */
    wat_names labels = {0}, locals = {0};
    bool ok = wat_instrs(P, b, &locals, &labels);
    free(labels.name);
    buf_byte(b, 0x0B);
    return ok;
}

bool wat_folded(wat_parser *P, wat_buf *b, wat_names *locals, wat_names *labels)
{
    wat_names own = {0}, no_locals = {0};
    ctx c = {P, locals ? locals : &no_locals, labels ? labels : &own, 0};
    bool ok = folded(&c, b);
    free(own.name);
    return ok;
}

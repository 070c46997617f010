/*
 * validate_code.c -- function bodies: reads every instruction from the module
 * bytes and types it with the spec's algorithm (appendix "Validation
 * Algorithm"): an operand stack whose bottom type VT_UNKNOWN stands for any
 * value in unreachable code, and a stack of control frames.  Instructions with
 * a signature in engine/opcodes.def are typed from it; the "*" ones here.
 *
 * val_body_check decodes and types a body in one pass.  The reference
 * interpreter decodes every body before it types any (malformed beats
 * invalid), so when a check fails, validate.c looks for a malformed body from
 * there on with decode_body (val_body_decode), which reads the binary format
 * only.  Costs: linear in the code size, no allocation per instruction (the
 * stacks grow geometrically and live across bodies), no parsing of opcode
 * signatures per instruction (val_tables), and br_table checks each distinct
 * label once.
 */
#include "engine/validate_impl.h"

/* Single-result block types point here, so that frames never point into the
 * frame array (which moves when it grows). */
static const mod_valtype val_single[256] = {
    [VT_I32] = VT_I32,           [VT_I64] = VT_I64,   [VT_F32] = VT_F32,
    [VT_F64] = VT_F64,           [VT_V128] = VT_V128, [VT_FUNCREF] = VT_FUNCREF,
    [VT_EXTERNREF] = VT_EXTERNREF,
};

const char *val_type_name(mod_valtype t)
{
    switch (t) {
    case VT_I32: return "i32";
    case VT_I64: return "i64";
    case VT_F32: return "f32";
    case VT_F64: return "f64";
    case VT_V128: return "v128";
    case VT_FUNCREF: return "funcref";
    case VT_EXTERNREF: return "externref";
    default: return "unknown";
    }
}

weft_status val_read_opcode(reader *r, op_id *out)
{
    uint64_t at = rd_offset(r);
    uint8_t b;
    uint32_t code;
    weft_status st = rd_u8(r, &b);
    if (st != WEFT_OK)
        return st;
    code = b;
    if (op_is_prefix(b)) {
        st = rd_u32(r, &code);
        if (st != WEFT_OK)
            return st;
        if (!op_lookup(b, code, out))
            return err_set(r->err, WEFT_E_ILLEGAL_OPCODE, at, "0x%02x 0x%x", b, code);
        return WEFT_OK;
    }
    if (!op_lookup(0, code, out))
        return err_set(r->err, WEFT_E_ILLEGAL_OPCODE, at, "0x%02x", b);
    return WEFT_OK;
}

/* ---- errors ---------------------------------------------------------------- */

static weft_status fail_code(val_body *b, weft_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static weft_status fail_code(val_body *b, weft_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    weft_status st = err_setv(b->err, code, b->op_offset, fmt, ap);
    va_end(ap);
    return st;
}

static weft_status mismatch(val_body *b, mod_valtype expected, const char *found)
{
    return fail_code(b, WEFT_E_TYPE_MISMATCH, "(expected %s, found %s)",
                     expected == VT_UNKNOWN ? "a value" : val_type_name(expected), found);
}

/* ---- the operand and control stacks ------------------------------------------ */

static weft_status grow(val_body *b, void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return WEFT_OK;
    uint64_t ncap = *cap ? (uint64_t)*cap * 2 : 64;
    while (ncap < need)
        ncap *= 2;
    if (ncap > UINT32_MAX)
        return fail_code(b, WEFT_E_OUT_OF_MEMORY, "validator stack");
    void *p = eng_realloc(b->m->engine, *arr, (size_t)ncap * elem);
    if (!p)
        return fail_code(b, WEFT_E_OUT_OF_MEMORY, "validator stack");
    *arr = p;
    *cap = (uint32_t)ncap;
    return WEFT_OK;
}

static inline val_frame *top_frame(val_body *b) { return &b->frames[b->nframes - 1]; }

static inline weft_status push(val_body *b, mod_valtype t)
{
    if (WEFT_UNLIKELY(b->nvals == b->cap_vals)) {
        weft_status st = grow(b, (void **)&b->vals, &b->cap_vals, b->nvals + 1, 1);
        if (st != WEFT_OK)
            return st;
    }
    b->vals[b->nvals++] = t;
    return WEFT_OK;
}

static weft_status push_n(val_body *b, const mod_valtype *ts, uint32_t n)
{
    if (n == 0)
        return WEFT_OK;
    weft_status st = grow(b, (void **)&b->vals, &b->cap_vals, b->nvals + n, 1);
    if (st != WEFT_OK)
        return st;
    memcpy(b->vals + b->nvals, ts, n);
    b->nvals += n;
    return WEFT_OK;
}

/* Pops one value of type `expect` (VT_UNKNOWN: any); *actual gets what was
 * there (VT_UNKNOWN in unreachable code). */
static inline weft_status pop_any(val_body *b, mod_valtype expect, mod_valtype *actual)
{
    val_frame *f = top_frame(b);
    if (b->nvals == f->height) {
        if (f->unreachable) {
            *actual = VT_UNKNOWN;
            return WEFT_OK;
        }
        return mismatch(b, expect, "nothing");
    }
    mod_valtype t = b->vals[--b->nvals];
    if (t != expect && t != VT_UNKNOWN && expect != VT_UNKNOWN)
        return mismatch(b, expect, val_type_name(t));
    *actual = t;
    return WEFT_OK;
}

static inline weft_status pop(val_body *b, mod_valtype expect)
{
    mod_valtype t;
    return pop_any(b, expect, &t);
}

static weft_status pop_n(val_body *b, const mod_valtype *ts, uint32_t n)
{
    for (uint32_t i = n; i-- > 0;) {
        weft_status st = pop(b, ts[i]);
        if (st != WEFT_OK)
            return st;
    }
    return WEFT_OK;
}

/* Checks, without popping, that the top of the stack matches ts[0..n). */
static weft_status peek_n(val_body *b, const mod_valtype *ts, uint32_t n)
{
    val_frame *f = top_frame(b);
    uint32_t avail = b->nvals - f->height;
    for (uint32_t i = 0; i < n; i++) {
        mod_valtype want = ts[n - 1 - i];
        if (i >= avail) {
            if (!f->unreachable)
                return mismatch(b, want, "nothing");
            continue;
        }
        mod_valtype t = b->vals[b->nvals - 1 - i];
        if (t != want && t != VT_UNKNOWN)
            return mismatch(b, want, val_type_name(t));
    }
    return WEFT_OK;
}

static weft_status push_frame(val_body *b, uint8_t kind, const mod_valtype *params, uint32_t np,
                              const mod_valtype *results, uint32_t nr)
{
    weft_status st = grow(b, (void **)&b->frames, &b->cap_frames, b->nframes + 1, sizeof(val_frame));
    if (st != WEFT_OK)
        return st;
    val_frame *f = &b->frames[b->nframes++];
    f->kind = kind;
    f->unreachable = false;
    f->height = b->nvals;
    f->nparams = np;
    f->nresults = nr;
    f->params = params;
    f->results = results;
    f->stamp = 0;
    return push_n(b, params, np);
}

/* Pops the frame's results and checks that nothing else is left in it. */
static weft_status close_frame(val_body *b)
{
    val_frame *f = top_frame(b);
    weft_status st = pop_n(b, f->results, f->nresults);
    if (st != WEFT_OK)
        return st;
    if (b->nvals != f->height)
        return fail_code(b, WEFT_E_TYPE_MISMATCH, "(%u values left on the stack at the end of a block)",
                         b->nvals - f->height);
    return WEFT_OK;
}

static inline void set_unreachable(val_body *b)
{
    val_frame *f = top_frame(b);
    b->nvals = f->height;
    f->unreachable = true;
}

static inline void label_types(const val_frame *f, const mod_valtype **ts, uint32_t *n)
{
    if (f->kind == VAL_LOOP) {
        *ts = f->params;
        *n = f->nparams;
    } else {
        *ts = f->results;
        *n = f->nresults;
    }
}

static weft_status get_label(val_body *b, uint32_t depth, val_frame **out)
{
    if (depth >= b->nframes)
        return fail_code(b, WEFT_E_UNKNOWN_LABEL, "%u", depth);
    *out = &b->frames[b->nframes - 1 - depth];
    return WEFT_OK;
}

/* ---- decoding immediates ----------------------------------------------------------
 *
 * A body may be read twice: to decode and type it (val_body_check), and to
 * decode it only (decode_body), when the reference interpreter would report a
 * malformed body before an invalid one.  read_imm is the one decoder of
 * immediates both use: the binary format is imm_read's (engine/immediates.h);
 * only the data count rule, which needs the module, is checked here.
 * imm_fast is its shortcut for the commonest case. */

/* memory.init and data.drop name data segments, which come after the code: the
 * data count section announces them.  (Without a data section either, the index
 * is simply unknown: that is how text-format tests convert to binaries.) */
static weft_status need_data_count(const weft_module *m, weft_error *err, uint64_t at)
{
    if (!m->has_data_count && m->ndatas > 0)
        return err_set(err, WEFT_E_DATA_COUNT_REQUIRED, at, NULL);
    return WEFT_OK;
}

static weft_status read_imm(reader *r, const weft_module *m, const op_info *info, uint64_t at, imm_values *im)
{
    weft_status st = imm_read(r, info->imm, im);
    if (st == WEFT_OK && (info->imm == IMM_DATA_MEM || info->imm == IMM_DATA))
        st = need_data_count(m, r->err, at);
    return st;
}

/* A LEB128 of one to four bytes at p (which has 8 readable bytes): 28 value
 * bits at most, so never too long or too large for a 32- or 64-bit one.
 * Returns its length, 0 if it is longer. */
static inline unsigned leb_short(const uint8_t *p, uint32_t *v)
{
    uint32_t x = 0;
    for (unsigned i = 0; i < 4; i++) {
        x |= (uint32_t)(p[i] & 0x7F) << (7 * i);
        if (p[i] < 0x80) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/* The immediates of the commonest instructions (an index, a constant, a
 * memarg, call_indirect's pair, a block type) when each of their LEB128s is
 * at most four bytes: the fields imm_read would fill that the checker reads,
 * without its general path.  False: use read_imm. */
static inline bool imm_fast(reader *r, op_imm kind, imm_values *im)
{
    const uint8_t *p = r->p;
    uint32_t v, w;
    unsigned n, k;
    if (WEFT_UNLIKELY(r->end - p < 8))
        return false; /* the general path knows how to run out */
    switch (kind) {
    case IMM_LOCAL:
    case IMM_GLOBAL:
    case IMM_FUNC:
    case IMM_LABEL:
        if ((n = leb_short(p, &v)) == 0)
            return false;
        im->x = v;
        r->p = p + n;
        return true;
    case IMM_I32:
    case IMM_I64:
        if ((n = leb_short(p, &v)) == 0)
            return false;
        /* Sign-extend from the last value bit, bit 7n-1. */
        im->bits = (uint64_t)((int64_t)((uint64_t)v << (64 - 7 * n)) >> (64 - 7 * n));
        if (kind == IMM_I32)
            im->bits = (uint32_t)im->bits;
        r->p = p + n;
        return true;
    case IMM_MEMARG:
        if ((n = leb_short(p, &v)) == 0 || (k = leb_short(p + n, &w)) == 0)
            return false;
        im->align = v;
        im->offset = w;
        r->p = p + n + k;
        return true;
    case IMM_CALL_INDIRECT:
        if ((n = leb_short(p, &v)) == 0 || (k = leb_short(p + n, &w)) == 0)
            return false;
        im->x = v;
        im->y = w;
        r->p = p + n + k;
        return true;
    case IMM_F32:
    case IMM_F64:
        n = kind == IMM_F32 ? 4 : 8;
        im->bits = 0;
        memcpy(&im->bits, p, n); /* little-endian, as in imm_read */
        r->p = p + n;
        return true;
    case IMM_BLOCK:
        if (p[0] != 0x40 && !imm_is_valtype(p[0]))
            return false;
        im->block = p[0] == 0x40 ? IMM_BT_EMPTY : IMM_BT_VALUE;
        im->type = p[0];
        im->type_index = 0;
        r->p = p + 1;
        return true;
    default:
        return false;
    }
}

/* The body ran out before its final `end`.  The reference interpreter reads on
 * into whatever follows, so its message depends on that: the end of the module,
 * an `end`-valued byte that closes the function but makes the code entry too
 * long, or anything else. */
static weft_status missing_end(val_body *b, uint32_t depth)
{
    uint64_t at = rd_offset(&b->r);
    if (at >= b->m->size)
        return err_set(b->err, WEFT_E_UNEXPECTED_END_SECTION, at, NULL);
    if (depth == 1 && b->m->bytes[at] == 0x0B)
        return err_set(b->err, WEFT_E_SECTION_SIZE, at, NULL);
    return err_set(b->err, WEFT_E_END_EXPECTED, at, NULL);
}

/* Pass one: the binary format of a body.  The operand stack's bytes serve as the
 * stack of open block kinds (an `else` needs an open `if`). */
static weft_status decode_body(val_body *b)
{
    weft_status st = WEFT_OK;
    uint32_t depth = 0;
    TRY(grow(b, (void **)&b->vals, &b->cap_vals, 1, 1));
    b->vals[depth++] = VAL_FUNC;
    while (depth > 0) {
        op_id op;
        imm_values im;
        if (rd_done(&b->r))
            return missing_end(b, depth);
        uint64_t at = rd_offset(&b->r);
        TRY(val_read_opcode(&b->r, &op));
        TRY(read_imm(&b->r, b->m, &op_table[op], at, &im));
        switch (op) {
        case OP_BLOCK:
        case OP_LOOP:
        case OP_IF:
            TRY(grow(b, (void **)&b->vals, &b->cap_vals, depth + 1, 1));
            b->vals[depth++] = op == OP_IF ? VAL_IF : VAL_BLOCK;
            break;
        case OP_ELSE:
            if (b->vals[depth - 1] != VAL_IF)
                return err_set(b->err, WEFT_E_END_EXPECTED, at, "(else without if)");
            b->vals[depth - 1] = VAL_ELSE;
            break;
        case OP_END:
            depth--;
            break;
        default:
            break;
        }
    }
    if (!rd_done(&b->r))
        return err_set(b->err, WEFT_E_SECTION_SIZE, rd_offset(&b->r), "(bytes after the function's end)");
fail:
    return st;
}

/* ---- checking immediates ---------------------------------------------------------- */

static weft_status check_memarg(val_body *b, const op_info *info, const imm_values *im)
{
    if (b->m->nmemories == 0)
        return fail_code(b, WEFT_E_UNKNOWN_MEMORY, "0");
    if (info->prefix == 0xFE) {
        /* Atomics: exactly the natural alignment (threads proposal). */
        if (im->align != info->align)
            return fail_code(b, WEFT_E_BAD_ATOMIC_ALIGNMENT, "(%u, natural %u)", im->align, info->align);
    } else if (im->align > info->align) {
        return fail_code(b, WEFT_E_BAD_ALIGNMENT, "(%u, natural %u)", im->align, info->align);
    }
    return WEFT_OK;
}

static weft_status check_lane(val_body *b, unsigned lane, unsigned lanes)
{
    if (lane >= lanes)
        return fail_code(b, WEFT_E_BAD_LANE, "%u (of %u)", lane, lanes);
    return WEFT_OK;
}

static weft_status need_memory(val_body *b)
{
    return b->m->nmemories > 0 ? WEFT_OK : fail_code(b, WEFT_E_UNKNOWN_MEMORY, "0");
}

static weft_status check_table(val_body *b, uint32_t idx)
{
    if (idx >= b->m->ntables)
        return fail_code(b, WEFT_E_UNKNOWN_TABLE, "%u", idx);
    return WEFT_OK;
}

static weft_status check_elem(val_body *b, uint32_t idx)
{
    if (idx >= b->m->nelems)
        return fail_code(b, WEFT_E_UNKNOWN_ELEM, "%u", idx);
    return WEFT_OK;
}

static weft_status check_data(val_body *b, uint32_t idx)
{
    uint32_t n = b->m->has_data_count ? b->m->data_count : b->m->ndatas;
    if (idx >= n)
        return fail_code(b, WEFT_E_UNKNOWN_DATA, "%u", idx);
    return WEFT_OK;
}

static weft_status local_type(val_body *b, uint32_t idx, mod_valtype *out)
{
    if (idx >= b->nlocals)
        return fail_code(b, WEFT_E_UNKNOWN_LOCAL, "%u", idx);
    if (WEFT_LIKELY(b->local_types != NULL)) {
        *out = b->local_types[idx];
        return WEFT_OK;
    }
    if (idx < b->ft->nparams) {
        *out = mod_params(b->ft)[idx];
        return WEFT_OK;
    }
    /* Binary search for the first group whose cumulative end exceeds idx. */
    uint64_t want = idx - b->ft->nparams;
    uint32_t lo = 0, hi = b->code->ngroups;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (b->local_ends[mid] > want)
            hi = mid;
        else
            lo = mid + 1;
    }
    *out = b->code->groups[lo].type;
    return WEFT_OK;
}

/* ---- instructions typed by their SIG column --------------------------------------- */

static inline mod_valtype sig_type(char c)
{
    switch (c) {
    case 'i': return VT_I32;
    case 'I': return VT_I64;
    case 'f': return VT_F32;
    case 'F': return VT_F64;
    default: return VT_V128; /* 'v' */
    }
}

void val_tables_init(val_tables *t)
{
    memset(t, 0, sizeof *t);
    for (unsigned op = 0; op < OP_COUNT_; op++) {
        const char *sig = op_table[op].sig;
        val_effect *e = &t->effect[op];
        e->imm = (uint8_t)op_table[op].imm;
        if (sig[0] == '*') {
            e->special = true;
            continue;
        }
        const char *colon = strchr(sig, ':');
        weft_assert(colon != NULL && colon - sig <= 3 && strlen(colon + 1) <= 1);
        for (const char *p = sig; p < colon; p++)
            e->pop[e->npop++] = sig_type(*p);
        if (colon[1]) {
            e->push = sig_type(colon[1]);
            e->npush = 1;
        }
    }
    for (unsigned c = 0; c < 256; c++) {
        op_id op;
        if (!op_is_prefix((uint8_t)c) && op_lookup(0, c, &op))
            t->one_byte[c] = (uint16_t)(op + 1);
    }
}

/* Pops the params (top first, as the spec's algorithm does), pushes the result. */
static inline weft_status apply_effect(val_body *b, const val_effect *e)
{
    for (unsigned i = e->npop; i-- > 0;) {
        weft_status st = pop(b, e->pop[i]);
        if (WEFT_UNLIKELY(st != WEFT_OK))
            return st;
    }
    return e->npush ? push(b, e->push) : WEFT_OK;
}

/* The checks on immediates of a signature-typed instruction (the reference
 * interpreter's order: memory or table before segment). */
static weft_status check_plain_imm(val_body *b, const op_info *info, const imm_values *im)
{
    weft_status st = WEFT_OK;
    const weft_module *m = b->m;
    switch (info->imm) {
    case IMM_MEMARG:
        TRY(check_memarg(b, info, im));
        break;
    case IMM_MEMARG_LANE:
        TRY(check_memarg(b, info, im));
        TRY(check_lane(b, im->lane, 16u >> info->align));
        break;
    case IMM_LANE:
        TRY(check_lane(b, im->lane, 16u >> info->align));
        break;
    case IMM_SHUFFLE:
        for (int i = 0; i < 16; i++)
            TRY(check_lane(b, im->bytes[i], 32));
        break;
    case IMM_MEM:
    case IMM_MEM_MEM:
        TRY(need_memory(b));
        break;
    case IMM_DATA_MEM:
        TRY(need_memory(b));
        TRY(check_data(b, im->x));
        break;
    case IMM_DATA:
        TRY(check_data(b, im->x));
        break;
    case IMM_ELEM:
        TRY(check_elem(b, im->x));
        break;
    case IMM_TABLE:
        TRY(check_table(b, im->x));
        break;
    case IMM_ELEM_TABLE: /* table.init elem table */
        TRY(check_table(b, im->y));
        TRY(check_elem(b, im->x));
        if (m->elems[im->x].type != m->tables[im->y].elem)
            return fail_code(b, WEFT_E_TYPE_MISMATCH, "(elem segment %u is %s, table %u holds %s)", im->x,
                             val_type_name(m->elems[im->x].type), im->y, val_type_name(m->tables[im->y].elem));
        break;
    case IMM_TABLE_TABLE: /* table.copy dst src */
        TRY(check_table(b, im->x));
        TRY(check_table(b, im->y));
        if (m->tables[im->x].elem != m->tables[im->y].elem)
            return fail_code(b, WEFT_E_TYPE_MISMATCH, "(table %u holds %s, table %u holds %s)", im->x,
                             val_type_name(m->tables[im->x].elem), im->y, val_type_name(m->tables[im->y].elem));
        break;
    default:
        break; /* constants, atomic.fence: nothing to check */
    }
fail:
    return st;
}

/* ---- instructions typed here ("*") ------------------------------------------------ */

static weft_status check_br_table(val_body *b, const imm_values *im)
{
    weft_status st = WEFT_OK;
    uint32_t depth;
    val_frame *f = NULL, *deff = NULL;
    reader targets = b->r;
    targets.p = im->targets;
    for (uint32_t i = 0; i < im->count; i++) {
        TRY(rd_u32(&targets, &depth));
        TRY(get_label(b, depth, &f));
    }
    TRY(get_label(b, im->x, &deff));
    TRY(pop(b, VT_I32));

    const mod_valtype *dts;
    uint32_t dn;
    label_types(deff, &dts, &dn);
    uint32_t stamp = ++b->stamp;
    deff->stamp = stamp;
    targets.p = im->targets;
    for (uint32_t i = 0; i < im->count; i++) {
        TRY(rd_u32(&targets, &depth));
        f = &b->frames[b->nframes - 1 - depth];
        if (f->stamp == stamp)
            continue; /* this label is already checked: keeps the cost O(targets) */
        f->stamp = stamp;
        const mod_valtype *ts;
        uint32_t tn;
        label_types(f, &ts, &tn);
        if (tn != dn)
            return fail_code(b, WEFT_E_TYPE_MISMATCH, "(br_table labels of arity %u and %u)", tn, dn);
        TRY(peek_n(b, ts, tn));
    }
    TRY(pop_n(b, dts, dn));
    set_unreachable(b);
fail:
    return st;
}

static weft_status check_select(val_body *b, bool typed, const imm_values *im)
{
    weft_status st = WEFT_OK;
    mod_valtype t1 = VT_UNKNOWN, t2 = VT_UNKNOWN;
    if (typed) {
        if (im->count != 1)
            return fail_code(b, WEFT_E_BAD_RESULT_ARITY, "(select with %u types)", im->count);
        TRY(pop(b, VT_I32));
        TRY(pop(b, im->type));
        TRY(pop(b, im->type));
        return push(b, im->type);
    }
    TRY(pop(b, VT_I32));
    TRY(pop_any(b, VT_UNKNOWN, &t1));
    TRY(pop_any(b, VT_UNKNOWN, &t2));
    /* Untyped select takes numbers or vectors only. */
    if (mod_is_reftype(t1) || mod_is_reftype(t2))
        return fail_code(b, WEFT_E_TYPE_MISMATCH, "(select of %s needs a type annotation)",
                         val_type_name(mod_is_reftype(t1) ? t1 : t2));
    if (t1 != t2 && t1 != VT_UNKNOWN && t2 != VT_UNKNOWN)
        return fail_code(b, WEFT_E_TYPE_MISMATCH, "(select of %s and %s)", val_type_name(t2),
                         val_type_name(t1));
    return push(b, t1 == VT_UNKNOWN ? t2 : t1);
fail:
    return st;
}

static weft_status check_call(val_body *b, const mod_functype *t)
{
    weft_status st = pop_n(b, mod_params(t), t->nparams);
    if (st != WEFT_OK)
        return st;
    return push_n(b, mod_results(t), t->nresults);
}

static weft_status check_block(val_body *b, op_id op, const imm_values *im)
{
    weft_status st = WEFT_OK;
    const mod_valtype *ps = NULL, *rs = NULL;
    uint32_t np = 0, nr = 0;
    if (im->block == IMM_BT_VALUE) {
        rs = &val_single[im->type];
        nr = 1;
    } else if (im->block == IMM_BT_INDEX) {
        if (im->type_index < 0 || (uint64_t)im->type_index >= b->m->ntypes)
            return fail_code(b, WEFT_E_UNKNOWN_TYPE, "%lld", (long long)im->type_index);
        const mod_functype *t = &b->m->types[im->type_index];
        ps = mod_params(t);
        np = t->nparams;
        rs = mod_results(t);
        nr = t->nresults;
    }
    if (op == OP_IF)
        TRY(pop(b, VT_I32));
    TRY(pop_n(b, ps, np));
    TRY(push_frame(b, op == OP_BLOCK ? VAL_BLOCK : op == OP_LOOP ? VAL_LOOP : VAL_IF, ps, np, rs, nr));
fail:
    return st;
}

static weft_status check_table_op(val_body *b, op_id op, uint32_t idx)
{
    weft_status st = WEFT_OK;
    TRY(check_table(b, idx));
    mod_valtype t = b->m->tables[idx].elem;
    switch (op) {
    case OP_TABLE_GET:
        TRY(pop(b, VT_I32));
        TRY(push(b, t));
        break;
    case OP_TABLE_SET:
        TRY(pop(b, t));
        TRY(pop(b, VT_I32));
        break;
    case OP_TABLE_GROW:
        TRY(pop(b, VT_I32));
        TRY(pop(b, t));
        TRY(push(b, VT_I32));
        break;
    default: /* table.fill */
        TRY(pop(b, VT_I32));
        TRY(pop(b, t));
        TRY(pop(b, VT_I32));
        break;
    }
fail:
    return st;
}

/* Types the "*" instructions; *done is set by the function's final `end`. */
static weft_status check_special(val_body *b, op_id op, const imm_values *im, bool *done)
{
    weft_status st = WEFT_OK;
    const weft_module *m = b->m;
    mod_valtype t = VT_UNKNOWN;
    val_frame *f = NULL;
    switch (op) {
    case OP_UNREACHABLE:
        set_unreachable(b);
        break;
    case OP_BLOCK:
    case OP_LOOP:
    case OP_IF:
        TRY(check_block(b, op, im));
        break;
    case OP_ELSE:
        f = top_frame(b);
        if (f->kind != VAL_IF) /* as decode_body says it */
            return err_set(b->err, WEFT_E_END_EXPECTED, b->op_offset, "(else without if)");
        TRY(close_frame(b));
        f->kind = VAL_ELSE;
        f->unreachable = false;
        TRY(push_n(b, f->params, f->nparams));
        break;
    case OP_END:
        f = top_frame(b);
        TRY(close_frame(b));
        /* No else: the missing branch passes the params through. */
        if (f->kind == VAL_IF && (f->nparams != f->nresults ||
                                  (f->nparams && memcmp(f->params, f->results, f->nparams) != 0)))
            return fail_code(b, WEFT_E_TYPE_MISMATCH, "(if without else must not change the stack)");
        b->nframes--;
        if (b->nframes == 0)
            *done = true;
        else
            TRY(push_n(b, f->results, f->nresults));
        break;
    case OP_BR:
    case OP_BR_IF: {
        const mod_valtype *ts;
        uint32_t n;
        TRY(get_label(b, im->x, &f));
        label_types(f, &ts, &n);
        if (op == OP_BR_IF)
            TRY(pop(b, VT_I32));
        TRY(pop_n(b, ts, n));
        if (op == OP_BR)
            set_unreachable(b);
        else
            TRY(push_n(b, ts, n));
        break;
    }
    case OP_BR_TABLE:
        TRY(check_br_table(b, im));
        break;
    case OP_RETURN:
        TRY(pop_n(b, mod_results(b->ft), b->ft->nresults));
        set_unreachable(b);
        break;
    case OP_CALL:
        if (im->x >= m->nfuncs)
            return fail_code(b, WEFT_E_UNKNOWN_FUNC, "%u", im->x);
        TRY(check_call(b, mod_func_type(m, im->x)));
        break;
    case OP_CALL_INDIRECT: /* type x, table y */
        TRY(check_table(b, im->y));
        if (im->x >= m->ntypes)
            return fail_code(b, WEFT_E_UNKNOWN_TYPE, "%u", im->x);
        if (m->tables[im->y].elem != VT_FUNCREF)
            return fail_code(b, WEFT_E_TYPE_MISMATCH, "(call_indirect through a table of %s)",
                             val_type_name(m->tables[im->y].elem));
        TRY(pop(b, VT_I32));
        TRY(check_call(b, &m->types[im->x]));
        break;
    case OP_DROP:
        TRY(pop_any(b, VT_UNKNOWN, &t));
        break;
    case OP_SELECT:
    case OP_SELECT_T:
        TRY(check_select(b, op == OP_SELECT_T, im));
        break;
    case OP_LOCAL_GET:
    case OP_LOCAL_SET:
    case OP_LOCAL_TEE:
        TRY(local_type(b, im->x, &t));
        if (op != OP_LOCAL_GET)
            TRY(pop(b, t));
        if (op != OP_LOCAL_SET)
            TRY(push(b, t));
        break;
    case OP_GLOBAL_GET:
    case OP_GLOBAL_SET:
        if (im->x >= m->nglobals)
            return fail_code(b, WEFT_E_UNKNOWN_GLOBAL, "%u", im->x);
        t = m->globals[im->x].type.type;
        if (op == OP_GLOBAL_GET) {
            TRY(push(b, t));
        } else {
            if (!m->globals[im->x].type.mutable_)
                return fail_code(b, WEFT_E_GLOBAL_IMMUTABLE, "%u", im->x);
            TRY(pop(b, t));
        }
        break;
    case OP_TABLE_GET:
    case OP_TABLE_SET:
    case OP_TABLE_GROW:
    case OP_TABLE_FILL:
        TRY(check_table_op(b, op, im->x));
        break;
    case OP_REF_NULL:
        TRY(push(b, im->type));
        break;
    case OP_REF_IS_NULL:
        TRY(pop_any(b, VT_UNKNOWN, &t));
        if (t != VT_UNKNOWN && !mod_is_reftype(t))
            return fail_code(b, WEFT_E_TYPE_MISMATCH, "(ref.is_null of %s)", val_type_name(t));
        TRY(push(b, VT_I32));
        break;
    case OP_REF_FUNC:
        if (im->x >= m->nfuncs)
            return fail_code(b, WEFT_E_UNKNOWN_FUNC, "%u", im->x);
        if (!m->func_declared || !m->func_declared[im->x])
            return fail_code(b, WEFT_E_UNDECLARED_FUNC_REF, "%u", im->x);
        TRY(push(b, VT_FUNCREF));
        break;
    default:
        weft_assert(!"opcode marked * without a case");
        return fail_code(b, WEFT_E_ILLEGAL_OPCODE, "%s", op_table[op].name);
    }
fail:
    return st;
}

/* ---- bodies ------------------------------------------------------------------------ */

void val_body_init(val_body *b, const weft_module *m, const val_tables *tab, weft_error *err)
{
    memset(b, 0, sizeof *b);
    b->m = m;
    b->tab = tab;
    b->err = err;
}

void val_body_free(val_body *b)
{
    const weft_engine *e = b->m->engine;
    eng_free(e, b->vals);
    eng_free(e, b->frames);
    eng_free(e, b->local_ends);
    eng_free(e, b->local_types_buf);
    b->local_types_buf = NULL;
    b->vals = NULL;
    b->frames = NULL;
    b->local_ends = NULL;
}

static void start_reader(val_body *b, const mod_code *code)
{
    b->r = (reader){
        .base = b->m->bytes,
        .p = b->m->bytes + code->body.start,
        .end = b->m->bytes + code->body.end,
        .err = b->err,
        .eof_code = WEFT_E_UNEXPECTED_END_SECTION,
    };
}

weft_status val_body_decode(val_body *b, uint32_t func)
{
    start_reader(b, &b->m->codes[func - b->m->nfunc_imports]);
    return decode_body(b);
}

static weft_status setup_locals(val_body *b)
{
    weft_status st = WEFT_OK;
    const mod_code *code = b->code;
    TRY(grow(b, (void **)&b->local_ends, &b->cap_local_ends, code->ngroups + 1, sizeof(uint64_t)));
    uint64_t total = 0;
    for (uint32_t i = 0; i < code->ngroups; i++) {
        total += code->groups[i].count;
        b->local_ends[i] = total;
    }
    b->nlocals = b->ft->nparams + total;
    /* A table of every local's type when that costs no more than the body's
     * own size would (locals are cheap to declare: a few bytes can declare
     * billions); else local_type searches the groups. */
    b->local_types = NULL;
    if (b->nlocals > 0 && b->nlocals <= 1024 + 16 * (uint64_t)(code->body.end - code->body.start)) {
        TRY(grow(b, (void **)&b->local_types_buf, &b->cap_local_types, (uint32_t)b->nlocals, 1));
        memcpy(b->local_types_buf, mod_params(b->ft), b->ft->nparams);
        mod_valtype *t = b->local_types_buf + b->ft->nparams;
        for (uint32_t i = 0; i < code->ngroups; i++) {
            memset(t, code->groups[i].type, code->groups[i].count);
            t += code->groups[i].count;
        }
        b->local_types = b->local_types_buf;
    }
fail:
    return st;
}

/* An opcode: one-byte ones from the table, the rest through val_read_opcode. */
static inline weft_status read_op(val_body *b, op_id *op)
{
    reader *r = &b->r;
    if (WEFT_LIKELY(r->p < r->end)) {
        uint16_t v = b->tab->one_byte[*r->p];
        if (WEFT_LIKELY(v != 0)) {
            r->p++;
            *op = (op_id)(v - 1);
            return WEFT_OK;
        }
    }
    return val_read_opcode(r, op);
}

weft_status val_body_check(val_body *b, uint32_t func)
{
    weft_status st = WEFT_OK;
    const weft_module *m = b->m;
    b->ft = mod_func_type(m, func);
    b->code = &m->codes[func - m->nfunc_imports];
    start_reader(b, b->code);
    b->nvals = 0;
    b->nframes = 0;
    b->stamp = 0;
    TRY(setup_locals(b));
    TRY(push_frame(b, VAL_FUNC, NULL, 0, mod_results(b->ft), b->ft->nresults));

    for (bool done = false; !done;) {
        op_id op;
        imm_values im;
        b->op_offset = rd_offset(&b->r);
        TRY(read_op(b, &op));
        const op_info *info = &op_table[op];
        const val_effect *e = &b->tab->effect[op];
        /* Nothing reads `im` of an instruction without immediates. */
        if (e->imm != IMM_NONE && !imm_fast(&b->r, (op_imm)e->imm, &im))
            TRY(read_imm(&b->r, m, info, b->op_offset, &im));
        if (e->special) {
            TRY(check_special(b, op, &im, &done));
        } else {
            if (e->imm != IMM_NONE)
                TRY(check_plain_imm(b, info, &im));
            TRY(apply_effect(b, e));
        }
    }
    /* decode_body's last rule, so that a body checked here also decodes. */
    if (!rd_done(&b->r))
        return err_set(b->err, WEFT_E_SECTION_SIZE, rd_offset(&b->r), "(bytes after the function's end)");
fail:
    return st;
}

/*
 * x64_emit.c -- the x86-64 encoder (x64_emit.h).  Every instruction goes
 * through op_rr (register r/m) or op_rm (memory r/m): legacy prefixes, REX,
 * opcode bytes, ModRM, SIB, displacement -- Intel SDM vol. 2, ch. 2.
 */
#include "jit/x64_emit.h"

/* Which operands of an instruction are byte registers: numbers 4..7 then
 * need a REX prefix (spl, bpl, sil, dil rather than ah, ch, dh, bh). */
enum { BYTE_R = 1, BYTE_M = 2 };

static bool fits8(int64_t v) { return v >= INT8_MIN && v <= INT8_MAX; }

/* The immediate of an instruction whose opcode chose imm8 when it fits. */
static void imm8or32(cb_buf *b, int32_t imm)
{
    if (fits8(imm))
        cb_put1(b, (uint8_t)imm);
    else
        cb_put4(b, (uint32_t)imm);
}

static bool bad(cb_buf *b, const char *what)
{
    cb_fail(b, WEFT_E_BAD_ARGUMENT, what);
    return true;
}

static bool bad_reg(cb_buf *b, int r)
{
    return (r < 0 || r > 15) && bad(b, "x64: register out of range");
}

/* Integer ALU-style instructions exist in 32 and 64 bits here. */
static bool bad_size(cb_buf *b, x64_size s)
{
    return s != X64_S32 && s != X64_S64 && bad(b, "x64: operand size must be 32 or 64 bits");
}

/* Legacy prefixes, high byte first (0x66F0: operand size, then lock). */
static void prefixes(cb_buf *b, uint32_t pfx)
{
    for (int sh = 24; sh >= 0; sh -= 8)
        if ((pfx >> sh) & 0xFF)
            cb_put1(b, (uint8_t)(pfx >> sh));
}

static void opcode(cb_buf *b, uint32_t op, int n)
{
    for (int i = n - 1; i >= 0; i--)
        cb_put1(b, (uint8_t)(op >> (8 * i)));
}

static void rex(cb_buf *b, bool w, int r, int x, int m, bool force)
{
    uint8_t v = (uint8_t)(0x40 | (w << 3) | (((r >> 3) & 1) << 2) | (((x >> 3) & 1) << 1) |
                          ((m >> 3) & 1));
    if (v != 0x40 || force)
        cb_put1(b, v);
}

static bool low_byte_needs_rex(int r) { return r >= 4 && r < 8; }

/* prefixes [REX] opcode ModRM(11, r, m): r is a register or a /digit. */
static void op_rr(cb_buf *b, uint32_t pfx, bool w, unsigned bytes, uint32_t op, int oplen, int r,
                  int m)
{
    if (bad_reg(b, r) || bad_reg(b, m) || !cb_reserve(b, 16))
        return;
    prefixes(b, pfx);
    rex(b, w, r, 0, m,
        ((bytes & BYTE_R) && low_byte_needs_rex(r)) || ((bytes & BYTE_M) && low_byte_needs_rex(m)));
    opcode(b, op, oplen);
    cb_put1(b, (uint8_t)(0xC0 | ((r & 7) << 3) | (m & 7)));
}

/* prefixes [REX] opcode ModRM [SIB] [disp] with a memory r/m. */
static void op_rm(cb_buf *b, uint32_t pfx, bool w, unsigned bytes, uint32_t op, int oplen, int r,
                  x64_mem m)
{
    if (bad_reg(b, r) || (m.base != X64_NOREG && bad_reg(b, m.base)) ||
        (m.index != X64_NOREG && bad_reg(b, m.index)))
        return;
    if (m.index == X64_RSP && bad(b, "x64: rsp cannot be an index register"))
        return;
    int ss = m.scale == 1 ? 0 : m.scale == 2 ? 1 : m.scale == 4 ? 2 : m.scale == 8 ? 3 : -1;
    if (ss < 0 && bad(b, "x64: scale must be 1, 2, 4 or 8"))
        return;
    if (!cb_reserve(b, 16))
        return;
    int base = m.base, index = m.index;
    if (index < 0)
        ss = 0; /* no index: the scale means nothing, encode it as as does */
    prefixes(b, pfx);
    rex(b, w, r, index < 0 ? 0 : index, base < 0 ? 0 : base,
        (bytes & BYTE_R) && low_byte_needs_rex(r));
    opcode(b, op, oplen);
    uint8_t reg = (uint8_t)((r & 7) << 3);
    uint8_t sib_index = (uint8_t)(index < 0 ? 4 : index & 7);
    if (base < 0) { /* [index*scale + disp32]: mod 00, base 101 means none */
        cb_put1(b, reg | 4);
        cb_put1(b, (uint8_t)(ss << 6 | sib_index << 3 | 5));
        cb_put4(b, (uint32_t)m.disp);
        return;
    }
    /* rbp/r13 as base with mod 00 would mean RIP-relative / no base. */
    int mod = (m.disp == 0 && (base & 7) != 5) ? 0 : fits8(m.disp) ? 1 : 2;
    if (index >= 0 || (base & 7) == 4) { /* rsp/r12 as base need a SIB */
        cb_put1(b, (uint8_t)(mod << 6 | reg | 4));
        cb_put1(b, (uint8_t)(ss << 6 | sib_index << 3 | (base & 7)));
    } else {
        cb_put1(b, (uint8_t)(mod << 6 | reg | (base & 7)));
    }
    if (mod == 1)
        cb_put1(b, (uint8_t)(int8_t)m.disp);
    else if (mod == 2)
        cb_put4(b, (uint32_t)m.disp);
}

/* ---- integer ------------------------------------------------------------- */

void x64_alu_rr(cb_buf *b, x64_alu op, x64_size s, x64_reg dst, x64_reg src)
{
    if (!bad_size(b, s))
        op_rr(b, 0, s == X64_S64, 0, (uint32_t)op << 3 | 1, 1, src, dst);
}

void x64_alu_ri(cb_buf *b, x64_alu op, x64_size s, x64_reg dst, int32_t imm)
{
    if (bad_size(b, s) || bad_reg(b, dst))
        return;
    if (fits8(imm)) {
        op_rr(b, 0, s == X64_S64, 0, 0x83, 1, op, dst);
        cb_put1(b, (uint8_t)imm);
    } else if (dst == X64_RAX) { /* the accumulator's short form */
        rex(b, s == X64_S64, 0, 0, 0, false);
        cb_put1(b, (uint8_t)((uint32_t)op << 3 | 5));
        cb_put4(b, (uint32_t)imm);
    } else {
        op_rr(b, 0, s == X64_S64, 0, 0x81, 1, op, dst);
        cb_put4(b, (uint32_t)imm);
    }
}

void x64_alu_rm(cb_buf *b, x64_alu op, x64_size s, x64_reg dst, x64_mem src)
{
    if (!bad_size(b, s))
        op_rm(b, 0, s == X64_S64, 0, (uint32_t)op << 3 | 3, 1, dst, src);
}

void x64_alu_mr(cb_buf *b, x64_alu op, x64_size s, x64_mem dst, x64_reg src)
{
    if (!bad_size(b, s))
        op_rm(b, 0, s == X64_S64, 0, (uint32_t)op << 3 | 1, 1, src, dst);
}

void x64_alu_mi(cb_buf *b, x64_alu op, x64_size s, x64_mem dst, int32_t imm)
{
    if (bad_size(b, s))
        return;
    op_rm(b, 0, s == X64_S64, 0, fits8(imm) ? 0x83 : 0x81, 1, op, dst);
    imm8or32(b, imm);
}

void x64_test_rr(cb_buf *b, x64_size s, x64_reg a, x64_reg c)
{
    if (!bad_size(b, s))
        op_rr(b, 0, s == X64_S64, 0, 0x85, 1, c, a);
}

void x64_test_ri(cb_buf *b, x64_size s, x64_reg a, int32_t imm)
{
    if (bad_size(b, s) || bad_reg(b, a))
        return;
    if (a == X64_RAX) {
        rex(b, s == X64_S64, 0, 0, 0, false);
        cb_put1(b, 0xA9);
    } else {
        op_rr(b, 0, s == X64_S64, 0, 0xF7, 1, 0, a);
    }
    cb_put4(b, (uint32_t)imm);
}

void x64_imul_rr(cb_buf *b, x64_size s, x64_reg dst, x64_reg src)
{
    if (!bad_size(b, s))
        op_rr(b, 0, s == X64_S64, 0, 0x0FAF, 2, dst, src);
}

void x64_imul_rm(cb_buf *b, x64_size s, x64_reg dst, x64_mem src)
{
    if (!bad_size(b, s))
        op_rm(b, 0, s == X64_S64, 0, 0x0FAF, 2, dst, src);
}

void x64_imul_rri(cb_buf *b, x64_size s, x64_reg dst, x64_reg src, int32_t imm)
{
    if (bad_size(b, s))
        return;
    op_rr(b, 0, s == X64_S64, 0, fits8(imm) ? 0x6B : 0x69, 1, dst, src);
    imm8or32(b, imm);
}

void x64_unary(cb_buf *b, x64_unop op, x64_size s, x64_reg r)
{
    if (!bad_size(b, s))
        op_rr(b, 0, s == X64_S64, 0, 0xF7, 1, op, r);
}

void x64_shift_ri(cb_buf *b, x64_shift op, x64_size s, x64_reg r, uint8_t imm)
{
    if (bad_size(b, s))
        return;
    if (imm == 1) {
        op_rr(b, 0, s == X64_S64, 0, 0xD1, 1, op, r);
    } else {
        op_rr(b, 0, s == X64_S64, 0, 0xC1, 1, op, r);
        cb_put1(b, imm);
    }
}

void x64_shift_cl(cb_buf *b, x64_shift op, x64_size s, x64_reg r)
{
    if (!bad_size(b, s))
        op_rr(b, 0, s == X64_S64, 0, 0xD3, 1, op, r);
}

void x64_cdq(cb_buf *b) { cb_put1(b, 0x99); }

void x64_cqo(cb_buf *b)
{
    cb_put1(b, 0x48);
    cb_put1(b, 0x99);
}

void x64_bitcnt_rr(cb_buf *b, x64_bitcnt op, x64_size s, x64_reg dst, x64_reg src)
{
    if (!bad_size(b, s))
        op_rr(b, 0xF3, s == X64_S64, 0, 0x0F00 | op, 2, dst, src);
}

void x64_bitcnt_rm(cb_buf *b, x64_bitcnt op, x64_size s, x64_reg dst, x64_mem src)
{
    if (!bad_size(b, s))
        op_rm(b, 0xF3, s == X64_S64, 0, 0x0F00 | op, 2, dst, src);
}

/* ---- moves --------------------------------------------------------------- */

void x64_mov_rr(cb_buf *b, x64_size s, x64_reg dst, x64_reg src)
{
    if (!bad_size(b, s))
        op_rr(b, 0, s == X64_S64, 0, 0x89, 1, src, dst);
}

void x64_mov_ri(cb_buf *b, x64_size s, x64_reg dst, int64_t imm)
{
    if (bad_size(b, s) || bad_reg(b, dst))
        return;
    if (s == X64_S32 || (imm >= 0 && imm <= (int64_t)UINT32_MAX)) {
        rex(b, false, 0, 0, dst, false);
        cb_put1(b, (uint8_t)(0xB8 | (dst & 7)));
        cb_put4(b, (uint32_t)imm);
    } else if (imm >= INT32_MIN && imm <= INT32_MAX) {
        op_rr(b, 0, true, 0, 0xC7, 1, 0, dst);
        cb_put4(b, (uint32_t)imm);
    } else {
        rex(b, true, 0, 0, dst, false);
        cb_put1(b, (uint8_t)(0xB8 | (dst & 7)));
        cb_put8(b, (uint64_t)imm);
    }
}

void x64_load(cb_buf *b, x64_size s, x64_reg dst, x64_mem src)
{
    if (!bad_size(b, s))
        op_rm(b, 0, s == X64_S64, 0, 0x8B, 1, dst, src);
}

void x64_store(cb_buf *b, x64_size s, x64_mem dst, x64_reg src)
{
    switch (s) {
    case X64_S8: op_rm(b, 0, false, BYTE_R, 0x88, 1, src, dst); break;
    case X64_S16: op_rm(b, 0x66, false, 0, 0x89, 1, src, dst); break;
    case X64_S32:
    case X64_S64: op_rm(b, 0, s == X64_S64, 0, 0x89, 1, src, dst); break;
    default: bad(b, "x64: bad store size");
    }
}

void x64_store_imm(cb_buf *b, x64_size s, x64_mem dst, int32_t imm)
{
    switch (s) {
    case X64_S8:
        op_rm(b, 0, false, 0, 0xC6, 1, 0, dst);
        cb_put1(b, (uint8_t)imm);
        break;
    case X64_S16:
        op_rm(b, 0x66, false, 0, 0xC7, 1, 0, dst);
        cb_put1(b, (uint8_t)imm);
        cb_put1(b, (uint8_t)(imm >> 8));
        break;
    case X64_S32:
    case X64_S64:
        op_rm(b, 0, s == X64_S64, 0, 0xC7, 1, 0, dst);
        cb_put4(b, (uint32_t)imm);
        break;
    default: bad(b, "x64: bad store size");
    }
}

/* The opcode of movzx/movsx from `from` bytes, 0 if there is none. */
static uint32_t extend_op(bool sign, x64_size from, x64_size s)
{
    if (from == X64_S8)
        return sign ? 0x0FBE : 0x0FB6;
    if (from == X64_S16)
        return sign ? 0x0FBF : 0x0FB7;
    if (from == X64_S32 && sign && s == X64_S64)
        return 0x63; /* movsxd */
    return 0;
}

static void extend(cb_buf *b, bool sign, x64_size from, x64_size s, x64_reg dst, const x64_reg *src,
                   const x64_mem *msrc)
{
    uint32_t op = extend_op(sign, from, s);
    if (bad_size(b, s) || (!op && bad(b, "x64: bad extension")))
        return;
    int oplen = op > 0xFF ? 2 : 1;
    if (src)
        op_rr(b, 0, s == X64_S64, from == X64_S8 ? BYTE_M : 0, op, oplen, dst, *src);
    else
        op_rm(b, 0, s == X64_S64, 0, op, oplen, dst, *msrc);
}

void x64_movzx_rr(cb_buf *b, x64_size from, x64_size s, x64_reg dst, x64_reg src)
{
    extend(b, false, from, s, dst, &src, NULL);
}
void x64_movzx_rm(cb_buf *b, x64_size from, x64_size s, x64_reg dst, x64_mem src)
{
    extend(b, false, from, s, dst, NULL, &src);
}
void x64_movsx_rr(cb_buf *b, x64_size from, x64_size s, x64_reg dst, x64_reg src)
{
    extend(b, true, from, s, dst, &src, NULL);
}
void x64_movsx_rm(cb_buf *b, x64_size from, x64_size s, x64_reg dst, x64_mem src)
{
    extend(b, true, from, s, dst, NULL, &src);
}

void x64_lea(cb_buf *b, x64_size s, x64_reg dst, x64_mem src)
{
    if (!bad_size(b, s))
        op_rm(b, 0, s == X64_S64, 0, 0x8D, 1, dst, src);
}

void x64_setcc(cb_buf *b, x64_cc cc, x64_reg dst)
{
    op_rr(b, 0, false, BYTE_M, 0x0F90 | (cc & 15), 2, 0, dst);
}

void x64_cmov_rr(cb_buf *b, x64_cc cc, x64_size s, x64_reg dst, x64_reg src)
{
    if (!bad_size(b, s))
        op_rr(b, 0, s == X64_S64, 0, 0x0F40 | (cc & 15), 2, dst, src);
}

void x64_cmov_rm(cb_buf *b, x64_cc cc, x64_size s, x64_reg dst, x64_mem src)
{
    if (!bad_size(b, s))
        op_rm(b, 0, s == X64_S64, 0, 0x0F40 | (cc & 15), 2, dst, src);
}

static void push_pop(cb_buf *b, uint8_t op, x64_reg r)
{
    if (bad_reg(b, r))
        return;
    rex(b, false, 0, 0, r, false);
    cb_put1(b, (uint8_t)(op | (r & 7)));
}
void x64_push(cb_buf *b, x64_reg r) { push_pop(b, 0x50, r); }
void x64_pop(cb_buf *b, x64_reg r) { push_pop(b, 0x58, r); }

/* ---- control ------------------------------------------------------------- */

/* A jump of opcode op8 (rel8) or op32 (rel32, op32len bytes) to l. */
static void jump(cb_buf *b, uint32_t op8, uint32_t op32, int op32len, cb_label l, bool force8)
{
    uint32_t target = cb_label_offset(b, l);
    if (l >= b->nlabels && bad(b, "x64: unknown label"))
        return;
    if (!cb_reserve(b, 8))
        return;
    int64_t d8 = (int64_t)target - ((int64_t)b->len + 2);
    if (force8 || (target != CB_UNBOUND && fits8(d8))) {
        cb_put1(b, (uint8_t)op8);
        if (target != CB_UNBOUND && !force8) {
            cb_put1(b, (uint8_t)(int8_t)d8);
        } else {
            cb_add_fixup(b, (uint32_t)b->len, l, CB_X64_REL8);
            cb_put1(b, 0);
        }
        return;
    }
    opcode(b, op32, op32len);
    cb_add_fixup(b, (uint32_t)b->len, l, CB_X64_REL32);
    cb_put4(b, 0);
}

void x64_jmp(cb_buf *b, cb_label l) { jump(b, 0xEB, 0xE9, 1, l, false); }
void x64_jcc(cb_buf *b, x64_cc cc, cb_label l) { jump(b, 0x70 | (cc & 15), 0x0F80 | (cc & 15), 2, l, false); }
void x64_jmp_short(cb_buf *b, cb_label l) { jump(b, 0xEB, 0, 0, l, true); }
void x64_jcc_short(cb_buf *b, x64_cc cc, cb_label l) { jump(b, 0x70 | (cc & 15), 0, 0, l, true); }
void x64_jmp_r(cb_buf *b, x64_reg r) { op_rr(b, 0, false, 0, 0xFF, 1, 4, r); }
void x64_jmp_m(cb_buf *b, x64_mem m) { op_rm(b, 0, false, 0, 0xFF, 1, 4, m); }

void x64_call(cb_buf *b, cb_label l)
{
    if (l >= b->nlabels && bad(b, "x64: unknown label"))
        return;
    cb_put1(b, 0xE8);
    cb_add_fixup(b, (uint32_t)b->len, l, CB_X64_REL32);
    cb_put4(b, 0);
}
void x64_call_r(cb_buf *b, x64_reg r) { op_rr(b, 0, false, 0, 0xFF, 1, 2, r); }
void x64_call_m(cb_buf *b, x64_mem m) { op_rm(b, 0, false, 0, 0xFF, 1, 2, m); }
void x64_ret(cb_buf *b) { cb_put1(b, 0xC3); }

void x64_ud2(cb_buf *b)
{
    cb_put1(b, 0x0F);
    cb_put1(b, 0x0B);
}

/* ---- atomics --------------------------------------------------------------- */

/* op8 for bytes, op8 + 1 for the wider sizes (as in most of the ISA). */
static void rmw(cb_buf *b, uint32_t lock, x64_size s, uint32_t op8, int oplen, x64_mem dst,
                x64_reg src)
{
    switch (s) {
    case X64_S8: op_rm(b, lock, false, BYTE_R, op8, oplen, src, dst); break;
    case X64_S16: /* 66 before F0, in GNU as's order (either is valid) */
        op_rm(b, lock ? 0x66F0 : 0x66, false, 0, op8 + 1, oplen, src, dst);
        break;
    case X64_S32:
    case X64_S64: op_rm(b, lock, s == X64_S64, 0, op8 + 1, oplen, src, dst); break;
    default: bad(b, "x64: bad atomic size");
    }
}

void x64_lock_xadd(cb_buf *b, x64_size s, x64_mem dst, x64_reg src) { rmw(b, 0xF0, s, 0x0FC0, 2, dst, src); }
void x64_lock_alu_mr(cb_buf *b, x64_alu op, x64_size s, x64_mem dst, x64_reg src)
{
    rmw(b, 0xF0, s, (uint32_t)op << 3, 1, dst, src);
}
void x64_lock_cmpxchg(cb_buf *b, x64_size s, x64_mem dst, x64_reg src) { rmw(b, 0xF0, s, 0x0FB0, 2, dst, src); }
void x64_xchg(cb_buf *b, x64_size s, x64_mem dst, x64_reg src) { rmw(b, 0, s, 0x86, 1, dst, src); }

void x64_mfence(cb_buf *b)
{
    cb_put1(b, 0x0F);
    cb_put1(b, 0xAE);
    cb_put1(b, 0xF0);
}

/* ---- SSE ----------------------------------------------------------------- */

void x64_sse_rr(cb_buf *b, x64_sse op, x64_xmm dst, x64_xmm src)
{
    op_rr(b, (uint32_t)op >> 8, false, 0, 0x0F00 | (op & 0xFF), 2, dst, src);
}

void x64_sse_rm(cb_buf *b, x64_sse op, x64_xmm dst, x64_mem src)
{
    op_rm(b, (uint32_t)op >> 8, false, 0, 0x0F00 | (op & 0xFF), 2, dst, src);
}

void x64_sse_store(cb_buf *b, x64_sse op, x64_mem dst, x64_xmm src)
{
    if (op != X64_MOVSS && op != X64_MOVSD && op != X64_MOVDQU &&
        bad(b, "x64: only movss/movsd/movdqu store"))
        return;
    op_rm(b, (uint32_t)op >> 8, false, 0, op == X64_MOVDQU ? 0x0F7F : 0x0F11, 2, src, dst);
}

void x64_movd_xr(cb_buf *b, x64_size s, x64_xmm dst, x64_reg src)
{
    if (!bad_size(b, s))
        op_rr(b, 0x66, s == X64_S64, 0, 0x0F6E, 2, dst, src);
}

void x64_movd_rx(cb_buf *b, x64_size s, x64_reg dst, x64_xmm src)
{
    if (!bad_size(b, s))
        op_rr(b, 0x66, s == X64_S64, 0, 0x0F7E, 2, src, dst);
}

void x64_cvt_from_int(cb_buf *b, x64_cvt op, x64_size s, x64_xmm dst, x64_reg src)
{
    if ((op & 0xFF) != 0x2A && bad(b, "x64: not a conversion from an integer"))
        return;
    if (!bad_size(b, s))
        op_rr(b, (uint32_t)op >> 8, s == X64_S64, 0, 0x0F00 | (op & 0xFF), 2, dst, src);
}

void x64_cvt_to_int(cb_buf *b, x64_cvt op, x64_size s, x64_reg dst, x64_xmm src)
{
    if ((op & 0xFF) != 0x2C && bad(b, "x64: not a conversion to an integer"))
        return;
    if (!bad_size(b, s))
        op_rr(b, (uint32_t)op >> 8, s == X64_S64, 0, 0x0F00 | (op & 0xFF), 2, dst, src);
}

void x64_pmulld_rr(cb_buf *b, x64_xmm dst, x64_xmm src)
{
    op_rr(b, 0x66, false, 0, 0x0F3840, 3, dst, src);
}

void x64_pshufb_rr(cb_buf *b, x64_xmm dst, x64_xmm src)
{
    op_rr(b, 0x66, false, 0, 0x0F3800, 3, dst, src);
}

static void round_op(cb_buf *b, uint32_t op, x64_xmm dst, x64_xmm src, uint8_t mode)
{
    op_rr(b, 0x66, false, 0, op, 3, dst, src);
    cb_put1(b, mode);
}
void x64_roundss(cb_buf *b, x64_xmm dst, x64_xmm src, uint8_t mode) { round_op(b, 0x0F3A0A, dst, src, mode); }
void x64_roundsd(cb_buf *b, x64_xmm dst, x64_xmm src, uint8_t mode) { round_op(b, 0x0F3A0B, dst, src, mode); }

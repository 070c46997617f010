/*
 * x64_emit.h -- the x86-64 instruction encoder (x64_): what a baseline
 * template compiler emits, written into a cb_buf (codebuf.h).  The backend
 * interface: a compiler for another architecture (aarch64) gets its own
 * <arch>_emit.h over the same cb_buf, labels and fixups.
 *
 * Conventions
 *  - Operand order is Intel's: destination first.
 *  - x64_size picks the operand size; integer ALU, shift, multiply and
 *    divide instructions take X64_S32 (upper 32 bits of the destination
 *    zeroed, as the hardware does) or X64_S64.  Loads, stores and the locked
 *    read-modify-writes also take X64_S8 and X64_S16.  Byte registers 4..7
 *    are spl, bpl, sil, dil (a REX prefix is emitted), never ah..bh.
 *  - Memory operands are [base + index*scale + disp32]; base may be
 *    X64_NOREG ([index*scale + disp32], or an absolute [disp32]); index is
 *    X64_NOREG or any register but rsp.  rbp/r13 bases get a zero disp8,
 *    rsp/r12 bases a SIB byte, and disp8 is used whenever it fits.
 *  - Encodings are the ones GNU as picks for the same Intel-syntax text
 *    (tests/jit/test_x64_emit.c compares them), e.g. reg-reg ALU ops in their
 *    "r/m, reg" form, the accumulator short form for imm32 operands.
 *  - A misuse (rsp as index, a size an instruction does not have, a label
 *    of another buffer) records an error in the buffer; cb_finish reports it.
 *  - roundss/roundsd and pmulld need SSE4.1 and lzcnt/tzcnt/popcnt need ABM/BMI1/POPCNT:
 *    the compiler must check CPUID before emitting them (on older CPUs
 *    lzcnt/tzcnt silently decode as bsr/bsf).
 */
#ifndef WEFT_X64_EMIT_H
#define WEFT_X64_EMIT_H

#include "jit/codebuf.h"

typedef enum x64_reg {
    X64_NOREG = -1,
    X64_RAX, X64_RCX, X64_RDX, X64_RBX, X64_RSP, X64_RBP, X64_RSI, X64_RDI,
    X64_R8, X64_R9, X64_R10, X64_R11, X64_R12, X64_R13, X64_R14, X64_R15
} x64_reg;

/* xmm0..xmm15 are 0..15 (a separate type only for the reader). */
typedef int x64_xmm;

typedef enum x64_size { X64_S8 = 1, X64_S16 = 2, X64_S32 = 4, X64_S64 = 8 } x64_size;

typedef struct x64_mem {
    int8_t base, index; /* x64_reg or X64_NOREG */
    uint8_t scale;      /* 1, 2, 4, 8           */
    int32_t disp;
} x64_mem;

static inline x64_mem x64_mem_bd(x64_reg base, int32_t disp)
{
    return (x64_mem){.base = (int8_t)base, .index = X64_NOREG, .scale = 1, .disp = disp};
}
static inline x64_mem x64_mem_bisd(x64_reg base, x64_reg index, unsigned scale, int32_t disp)
{
    return (x64_mem){.base = (int8_t)base, .index = (int8_t)index, .scale = (uint8_t)scale,
                     .disp = disp};
}

/* Condition codes, in the hardware's order (cc ^ 1 is the negation). */
typedef enum x64_cc {
    X64_O, X64_NO, X64_B, X64_AE, X64_E, X64_NE, X64_BE, X64_A,
    X64_S, X64_NS, X64_P, X64_NP, X64_L, X64_GE, X64_LE, X64_G
} x64_cc;
static inline x64_cc x64_cc_not(x64_cc cc) { return (x64_cc)(cc ^ 1); }

/* The eight classic ALU operations (their /digit in opcodes 0x80-0x83). */
typedef enum x64_alu {
    X64_ADD, X64_OR, X64_ADC, X64_SBB, X64_AND, X64_SUB, X64_XOR, X64_CMP
} x64_alu;

/* Shifts and rotates (group 2 /digit). */
typedef enum x64_shift { X64_ROL = 0, X64_ROR = 1, X64_SHL = 4, X64_SHR = 5, X64_SAR = 7 } x64_shift;

/* One-operand group 3 (/digit of 0xF7): mul/imul/div/idiv take rdx:rax. */
typedef enum x64_unop {
    X64_NOT = 2, X64_NEG = 3, X64_MUL = 4, X64_IMUL1 = 5, X64_DIV = 6, X64_IDIV = 7
} x64_unop;

/* Bit counts (F3 0F xx). */
typedef enum x64_bitcnt { X64_POPCNT = 0xB8, X64_TZCNT = 0xBC, X64_LZCNT = 0xBD } x64_bitcnt;

/* SSE/SSE2 scalar and packed operations: mandatory prefix << 8 | the byte
 * after 0F.  All take xmm, xmm or xmm, mem; a packed operation's m128
 * operand must be 16-byte aligned (movdqu and movaps' loads aside: movdqu
 * takes any address, movaps none but aligned ones). */
typedef enum x64_sse {
    X64_MOVSS = 0xF310, X64_MOVSD = 0xF210, X64_MOVAPS = 0x0028,
    X64_ADDSS = 0xF358, X64_ADDSD = 0xF258, X64_SUBSS = 0xF35C, X64_SUBSD = 0xF25C,
    X64_MULSS = 0xF359, X64_MULSD = 0xF259, X64_DIVSS = 0xF35E, X64_DIVSD = 0xF25E,
    X64_SQRTSS = 0xF351, X64_SQRTSD = 0xF251, X64_MINSS = 0xF35D, X64_MINSD = 0xF25D,
    X64_MAXSS = 0xF35F, X64_MAXSD = 0xF25F, X64_UCOMISS = 0x002E, X64_UCOMISD = 0x662E,
    X64_ANDPS = 0x0054, X64_ANDPD = 0x6654, X64_ANDNPS = 0x0055, X64_ANDNPD = 0x6655,
    X64_ORPS = 0x0056, X64_ORPD = 0x6656, X64_XORPS = 0x0057, X64_XORPD = 0x6657,
    X64_CVTSS2SD = 0xF35A, X64_CVTSD2SS = 0xF25A,
    /* packed (128-bit) */
    X64_MOVDQU = 0xF36F,
    X64_ADDPS = 0x0058, X64_ADDPD = 0x6658, X64_SUBPS = 0x005C, X64_SUBPD = 0x665C,
    X64_MULPS = 0x0059, X64_MULPD = 0x6659, X64_DIVPS = 0x005E, X64_DIVPD = 0x665E,
    X64_PADDB = 0x66FC, X64_PADDW = 0x66FD, X64_PADDD = 0x66FE, X64_PADDQ = 0x66D4,
    X64_PSUBB = 0x66F8, X64_PSUBW = 0x66F9, X64_PSUBD = 0x66FA, X64_PSUBQ = 0x66FB,
    X64_PADDSB = 0x66EC, X64_PADDSW = 0x66ED, X64_PADDUSB = 0x66DC, X64_PADDUSW = 0x66DD,
    X64_PSUBSB = 0x66E8, X64_PSUBSW = 0x66E9, X64_PSUBUSB = 0x66D8, X64_PSUBUSW = 0x66D9,
    X64_PAVGB = 0x66E0, X64_PAVGW = 0x66E3, X64_PMINUB = 0x66DA, X64_PMAXUB = 0x66DE,
    X64_PMINSW = 0x66EA, X64_PMAXSW = 0x66EE, X64_PMULLW = 0x66D5,
    X64_PAND = 0x66DB, X64_PANDN = 0x66DF, X64_POR = 0x66EB, X64_PXOR = 0x66EF,
    X64_PCMPEQB = 0x6674, X64_PCMPEQW = 0x6675, X64_PCMPEQD = 0x6676,
    X64_PCMPGTB = 0x6664, X64_PCMPGTW = 0x6665, X64_PCMPGTD = 0x6666,
    /* shifts by the count in the low quadword of the source xmm */
    X64_PSLLW = 0x66F1, X64_PSLLD = 0x66F2, X64_PSLLQ = 0x66F3, X64_PSRLW = 0x66D1,
    X64_PSRLD = 0x66D2, X64_PSRLQ = 0x66D3, X64_PSRAW = 0x66E1, X64_PSRAD = 0x66E2,
    /* interleaves and saturating packs */
    X64_PUNPCKLBW = 0x6660, X64_PUNPCKHBW = 0x6668, X64_PUNPCKLWD = 0x6661,
    X64_PUNPCKHWD = 0x6669, X64_PUNPCKLDQ = 0x6662, X64_PUNPCKHDQ = 0x666A,
    X64_PACKSSWB = 0x6663, X64_PACKUSWB = 0x6667, X64_PACKSSDW = 0x666B,
    X64_PMULUDQ = 0x66F4, /* the low u32 of each u64 lane, multiplied to a u64 */
    X64_PUNPCKLQDQ = 0x666C
} x64_sse;

/* Conversions between a general register (32 or 64 bits) and a scalar. */
typedef enum x64_cvt {
    X64_CVTSI2SS = 0xF32A, X64_CVTSI2SD = 0xF22A,   /* xmm <- gpr, rounding */
    X64_CVTTSS2SI = 0xF32C, X64_CVTTSD2SI = 0xF22C  /* gpr <- xmm, truncating */
} x64_cvt;

/* ---- integer ---------------------------------------------------------- */
WEFT_INTERNAL void x64_alu_rr(cb_buf *b, x64_alu op, x64_size s, x64_reg dst, x64_reg src);
WEFT_INTERNAL void x64_alu_ri(cb_buf *b, x64_alu op, x64_size s, x64_reg dst, int32_t imm);
WEFT_INTERNAL void x64_alu_rm(cb_buf *b, x64_alu op, x64_size s, x64_reg dst, x64_mem src);
WEFT_INTERNAL void x64_alu_mr(cb_buf *b, x64_alu op, x64_size s, x64_mem dst, x64_reg src);
WEFT_INTERNAL void x64_alu_mi(cb_buf *b, x64_alu op, x64_size s, x64_mem dst, int32_t imm);
WEFT_INTERNAL void x64_test_rr(cb_buf *b, x64_size s, x64_reg a, x64_reg c);
WEFT_INTERNAL void x64_test_ri(cb_buf *b, x64_size s, x64_reg a, int32_t imm);
WEFT_INTERNAL void x64_imul_rr(cb_buf *b, x64_size s, x64_reg dst, x64_reg src);
WEFT_INTERNAL void x64_imul_rm(cb_buf *b, x64_size s, x64_reg dst, x64_mem src);
WEFT_INTERNAL void x64_imul_rri(cb_buf *b, x64_size s, x64_reg dst, x64_reg src, int32_t imm);
WEFT_INTERNAL void x64_unary(cb_buf *b, x64_unop op, x64_size s, x64_reg r);
WEFT_INTERNAL void x64_shift_ri(cb_buf *b, x64_shift op, x64_size s, x64_reg r, uint8_t imm);
WEFT_INTERNAL void x64_shift_cl(cb_buf *b, x64_shift op, x64_size s, x64_reg r);
WEFT_INTERNAL void x64_cdq(cb_buf *b); /* edx:eax <- sign of eax */
WEFT_INTERNAL void x64_cqo(cb_buf *b); /* rdx:rax <- sign of rax */
WEFT_INTERNAL void x64_bitcnt_rr(cb_buf *b, x64_bitcnt op, x64_size s, x64_reg dst, x64_reg src);
WEFT_INTERNAL void x64_bitcnt_rm(cb_buf *b, x64_bitcnt op, x64_size s, x64_reg dst, x64_mem src);

/* ---- moves ------------------------------------------------------------ */
WEFT_INTERNAL void x64_mov_rr(cb_buf *b, x64_size s, x64_reg dst, x64_reg src);
/* Shortest form: mov r32, imm32 (zero-extends) for X64_S32 and for 64-bit
 * values in [0, 2^32); mov r64, simm32 (sign-extends); else movabs. */
WEFT_INTERNAL void x64_mov_ri(cb_buf *b, x64_size s, x64_reg dst, int64_t imm);
WEFT_INTERNAL void x64_load(cb_buf *b, x64_size s, x64_reg dst, x64_mem src);   /* S32, S64 */
WEFT_INTERNAL void x64_store(cb_buf *b, x64_size s, x64_mem dst, x64_reg src);  /* S8..S64  */
WEFT_INTERNAL void x64_store_imm(cb_buf *b, x64_size s, x64_mem dst, int32_t imm);
/* Zero- or sign-extending moves from an 8- or 16-bit source (movsx also from
 * 32 bits, movsxd, with s == X64_S64) into a 32- or 64-bit register. */
WEFT_INTERNAL void x64_movzx_rr(cb_buf *b, x64_size from, x64_size s, x64_reg dst, x64_reg src);
WEFT_INTERNAL void x64_movzx_rm(cb_buf *b, x64_size from, x64_size s, x64_reg dst, x64_mem src);
WEFT_INTERNAL void x64_movsx_rr(cb_buf *b, x64_size from, x64_size s, x64_reg dst, x64_reg src);
WEFT_INTERNAL void x64_movsx_rm(cb_buf *b, x64_size from, x64_size s, x64_reg dst, x64_mem src);
WEFT_INTERNAL void x64_lea(cb_buf *b, x64_size s, x64_reg dst, x64_mem src);
WEFT_INTERNAL void x64_setcc(cb_buf *b, x64_cc cc, x64_reg dst); /* the low byte only */
WEFT_INTERNAL void x64_cmov_rr(cb_buf *b, x64_cc cc, x64_size s, x64_reg dst, x64_reg src);
WEFT_INTERNAL void x64_cmov_rm(cb_buf *b, x64_cc cc, x64_size s, x64_reg dst, x64_mem src);
WEFT_INTERNAL void x64_push(cb_buf *b, x64_reg r);
WEFT_INTERNAL void x64_pop(cb_buf *b, x64_reg r);

/* ---- control ------------------------------------------------------------ */
/* To a label: rel8 when it is bound and in reach, else rel32 patched by
 * cb_finish.  The _short forms always take rel8 (cb_finish fails if the
 * bound label is out of reach). */
WEFT_INTERNAL void x64_jmp(cb_buf *b, cb_label l);
WEFT_INTERNAL void x64_jcc(cb_buf *b, x64_cc cc, cb_label l);
WEFT_INTERNAL void x64_jmp_short(cb_buf *b, cb_label l);
WEFT_INTERNAL void x64_jcc_short(cb_buf *b, x64_cc cc, cb_label l);
WEFT_INTERNAL void x64_jmp_r(cb_buf *b, x64_reg r);
WEFT_INTERNAL void x64_jmp_m(cb_buf *b, x64_mem m);
WEFT_INTERNAL void x64_call(cb_buf *b, cb_label l); /* rel32 */
WEFT_INTERNAL void x64_call_r(cb_buf *b, x64_reg r);
WEFT_INTERNAL void x64_call_m(cb_buf *b, x64_mem m);
WEFT_INTERNAL void x64_ret(cb_buf *b);
WEFT_INTERNAL void x64_ud2(cb_buf *b);

/* ---- atomics (all sizes; xchg with memory is locked by the hardware) ---- */
WEFT_INTERNAL void x64_lock_xadd(cb_buf *b, x64_size s, x64_mem dst, x64_reg src);
/* lock add/sub/and/or/xor [dst], src: a read-modify-write with no result. */
WEFT_INTERNAL void x64_lock_alu_mr(cb_buf *b, x64_alu op, x64_size s, x64_mem dst, x64_reg src);
WEFT_INTERNAL void x64_lock_cmpxchg(cb_buf *b, x64_size s, x64_mem dst, x64_reg src);
WEFT_INTERNAL void x64_xchg(cb_buf *b, x64_size s, x64_mem dst, x64_reg src);
WEFT_INTERNAL void x64_mfence(cb_buf *b);

/* ---- SSE ---------------------------------------------------------------- */
WEFT_INTERNAL void x64_sse_rr(cb_buf *b, x64_sse op, x64_xmm dst, x64_xmm src);
WEFT_INTERNAL void x64_sse_rm(cb_buf *b, x64_sse op, x64_xmm dst, x64_mem src);
/* movss/movsd/movdqu store: op X64_MOVSS, X64_MOVSD or X64_MOVDQU. */
WEFT_INTERNAL void x64_sse_store(cb_buf *b, x64_sse op, x64_mem dst, x64_xmm src);
/* movd/movq between a general register (s: 32 or 64 bits) and xmm. */
WEFT_INTERNAL void x64_movd_xr(cb_buf *b, x64_size s, x64_xmm dst, x64_reg src);
WEFT_INTERNAL void x64_movd_rx(cb_buf *b, x64_size s, x64_reg dst, x64_xmm src);
/* cvtsi2ss/sd: xmm <- gpr of size s; cvttss2si/cvttsd2si: gpr of size s <- xmm. */
WEFT_INTERNAL void x64_cvt_from_int(cb_buf *b, x64_cvt op, x64_size s, x64_xmm dst, x64_reg src);
WEFT_INTERNAL void x64_cvt_to_int(cb_buf *b, x64_cvt op, x64_size s, x64_reg dst, x64_xmm src);
/* pmulld xmm, xmm (SSE4.1: check CPUID first). */
WEFT_INTERNAL void x64_pmulld_rr(cb_buf *b, x64_xmm dst, x64_xmm src);
/* pshufb xmm, xmm (SSSE3: check CPUID first). */
WEFT_INTERNAL void x64_pshufb_rr(cb_buf *b, x64_xmm dst, x64_xmm src);
/* roundss/roundsd (SSE4.1): mode 0 nearest, 1 floor, 2 ceil, 3 trunc (+ 8:
 * suppress the precision exception). */
WEFT_INTERNAL void x64_roundss(cb_buf *b, x64_xmm dst, x64_xmm src, uint8_t mode);
WEFT_INTERNAL void x64_roundsd(cb_buf *b, x64_xmm dst, x64_xmm src, uint8_t mode);

#endif /* WEFT_X64_EMIT_H */

/*
 * test_x64_emit.c -- the x86-64 encoder (jit/x64_emit.h) against GNU as.
 *
 * Each test emits a table of instructions twice: through the encoder, and as
 * Intel-syntax text.  The text is assembled by `as` (binutils) at test time,
 * its .text copied out with objcopy, and the two byte strings must be equal;
 * a difference names the first instruction that differs, with both
 * encodings.  Register forms loop over all 16 registers, memory forms over
 * every base (and none), every index register but rsp, and displacements
 * that take no, 8-bit and 32-bit fields, so the rbp/r13/rsp/r12 special
 * cases are all covered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "jit/x64_emit.h"
#include "support/host_realloc.h"

/* ---- the two encodings side by side ---------------------------------------- */

typedef struct gen {
    cb_buf cb;
    char *text;
    size_t tlen, tcap;
    size_t *start;     /* byte offset of case i in cb               */
    size_t *line;      /* offset of case i's text in `text`         */
    size_t n, cap;
    size_t prev_end;   /* where the next case's bytes start         */
} gen;

static void gen_init(gen *g)
{
    memset(g, 0, sizeof *g);
    cb_init(&g->cb, host_realloc, NULL, 0);
}

static void gen_free(gen *g)
{
    cb_free(&g->cb);
    free(g->text);
    free(g->start);
    free(g->line);
}

static void text_vadd(gen *g, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    assert_true(n >= 0);
    if (g->tlen + (size_t)n + 2 > g->tcap) {
        g->tcap = (g->tcap + (size_t)n + 2) * 2;
        g->text = realloc(g->text, g->tcap);
        assert_non_null(g->text);
    }
    vsnprintf(g->text + g->tlen, (size_t)n + 1, fmt, ap);
    g->tlen += (size_t)n;
    g->text[g->tlen++] = '\n';
    g->text[g->tlen] = 0;
}

/* The case just emitted through the encoder, as assembly text. */
static void __attribute__((format(printf, 2, 3))) I(gen *g, const char *fmt, ...)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 1024;
        g->start = realloc(g->start, g->cap * sizeof *g->start);
        g->line = realloc(g->line, g->cap * sizeof *g->line);
        assert_true(g->start && g->line);
    }
    g->start[g->n] = g->prev_end;
    g->line[g->n] = g->tlen;
    g->n++;
    g->prev_end = g->cb.len;
    va_list ap;
    va_start(ap, fmt);
    text_vadd(g, fmt, ap);
    va_end(ap);
}

/* A line that emits no bytes (a label). */
static void __attribute__((format(printf, 2, 3))) T(gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_vadd(g, fmt, ap);
    va_end(ap);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void print_case(const gen *g, size_t i, const uint8_t *ref, size_t reflen)
{
    size_t s = g->start[i], e = i + 1 < g->n ? g->start[i + 1] : g->cb.len;
    const char *t = g->text + g->line[i];
    fprintf(stderr, "  case %zu: %.*s\n    encoder:", i, (int)strcspn(t, "\n"), t);
    for (size_t k = s; k < e; k++)
        fprintf(stderr, " %02x", g->cb.bytes[k]);
    fprintf(stderr, "\n    as:     ");
    for (size_t k = s; k < e + 4 && k < reflen; k++)
        fprintf(stderr, " %02x", ref[k]);
    fprintf(stderr, "%s\n", e + 4 < reflen ? " ..." : "");
}

/* Assembles g's text and compares it with g's bytes. */
static void check(gen *g)
{
    weft_error err;
    if (cb_finish(&g->cb, &err) != WEFT_OK)
        fail_msg("encoder error: %s", err.message);
    char dir[] = "/tmp/weft-x64-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char src[64], obj[64], bin[64], cmd[512];
    snprintf(src, sizeof src, "%s/t.s", dir);
    snprintf(obj, sizeof obj, "%s/t.o", dir);
    snprintf(bin, sizeof bin, "%s/t.bin", dir);
    FILE *f = fopen(src, "w");
    assert_non_null(f);
    fprintf(f, ".intel_syntax noprefix\n.text\n%s", g->text);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' --64 -o %s %s && '%s' -O binary -j .text %s %s",
             WEFT_TEST_AS, obj, src, WEFT_TEST_OBJCOPY, obj, bin);
    int rc = system(cmd);
    size_t reflen = 0;
    uint8_t *ref = rc == 0 ? slurp(bin, &reflen) : NULL;
    unlink(src);
    unlink(obj);
    unlink(bin);
    rmdir(dir);
    if (rc != 0)
        fail_msg("assembling the reference failed (%d)", rc);
    assert_non_null(ref);
    size_t n = reflen < g->cb.len ? reflen : g->cb.len, at = 0;
    while (at < n && ref[at] == g->cb.bytes[at])
        at++;
    if (at < n || reflen != g->cb.len) {
        fprintf(stderr, "encoder and as differ at byte %zu (%zu vs %zu bytes, %zu cases):\n",
                at, g->cb.len, reflen, g->n);
        size_t i = 0;
        while (i + 1 < g->n && g->start[i + 1] <= at)
            i++;
        if (i > 0)
            print_case(g, i - 1, ref, reflen);
        print_case(g, i, ref, reflen);
        free(ref);
        fail_msg("x64 encoding differs from GNU as");
    }
    free(ref);
}

/* ---- names and operand sets ------------------------------------------------ */

static const char *const R64[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                  "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
static const char *const R32[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                  "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"};
static const char *const R16[] = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
                                  "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"};
static const char *const R8[] = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
                                 "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"};

static const char *reg(x64_size s, int r)
{
    return s == X64_S64 ? R64[r] : s == X64_S32 ? R32[r] : s == X64_S16 ? R16[r] : R8[r];
}

static const char *ptr(x64_size s)
{
    return s == X64_S64 ? "QWORD" : s == X64_S32 ? "DWORD" : s == X64_S16 ? "WORD" : "BYTE";
}

static const x64_size SIZES[] = {X64_S32, X64_S64};
static const x64_size ALL_SIZES[] = {X64_S8, X64_S16, X64_S32, X64_S64};

/* Memory operands: `full` for the addressing forms themselves, `small` for
 * every other instruction (every base and index once, each displacement). */
typedef struct mems {
    x64_mem m[1024];
    char text[1024][48];
    size_t n;
} mems;

static void mem_add(mems *ms, int base, int index, unsigned scale, int32_t disp)
{
    x64_mem m = {.base = (int8_t)base, .index = (int8_t)index, .scale = (uint8_t)scale,
                 .disp = disp};
    char *t = ms->text[ms->n];
    int k = sprintf(t, "[");
    if (base >= 0)
        k += sprintf(t + k, "%s", R64[base]);
    if (index >= 0)
        k += sprintf(t + k, "%s%s*%u", base >= 0 ? "+" : "", R64[index], scale);
    if (disp || base < 0)
        k += sprintf(t + k, "%s%s0x%x", (base >= 0 || index >= 0) ? (disp < 0 ? "-" : "+") : "",
                     (base < 0 && index < 0 && disp < 0) ? "-" : "",
                     disp < 0 ? (unsigned)-(int64_t)disp : (unsigned)disp);
    sprintf(t + k, "]");
    ms->m[ms->n++] = m;
}

static const int32_t DISPS[] = {0, 0x7f, -0x80, 0x80, -0x12345678};

static void mems_full(mems *ms)
{
    ms->n = 0;
    unsigned k = 0;
    for (int base = -1; base < 16; base++)
        for (int index = -1; index < 16; index++) {
            if (index == X64_RSP || (base < 0 && index < 0))
                continue;
            for (int d = 0; d < 3; d++, k++)
                mem_add(ms, base, index, 1u << (k % 4), DISPS[(k + (unsigned)d) % 5]);
        }
    mem_add(ms, -1, -1, 1, 0x1000); /* absolute */
}

static void mems_small(mems *ms)
{
    ms->n = 0;
    for (int base = 0; base < 16; base++)
        for (int d = 0; d < 5; d++)
            mem_add(ms, base, -1, 1, DISPS[d]);
    for (int index = 0; index < 16; index++)
        if (index != X64_RSP) {
            mem_add(ms, X64_R13, index, 8, 0);
            mem_add(ms, X64_RSP, index, 2, -4);
            mem_add(ms, -1, index, 4, 0x40);
        }
}

static mems M_FULL, M_SMALL;

static int setup(void **state)
{
    (void)state;
    mems_full(&M_FULL);
    mems_small(&M_SMALL);
    return 0;
}

static const char *const CC[] = {"o", "no", "b", "ae", "e", "ne", "be", "a",
                                 "s", "ns", "p", "np", "l", "ge", "le", "g"};
static const char *const ALU[] = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
static const int32_t IMMS[] = {0, 1, -1, 127, -128, 128, -129, 0x12345678, INT32_MIN};

/* ---- the tables ----------------------------------------------------------- */

static void test_alu(void **state)
{
    (void)state;
    gen g;
    gen_init(&g);
    for (int op = 0; op < 8; op++)
        for (size_t si = 0; si < 2; si++) {
            x64_size s = SIZES[si];
            for (int d = 0; d < 16; d++) {
                for (int r = 0; r < 16; r++) {
                    x64_alu_rr(&g.cb, op, s, d, r);
                    I(&g, "%s %s, %s", ALU[op], reg(s, d), reg(s, r));
                }
                for (size_t k = 0; k < WEFT_ARRAY_LEN(IMMS); k++) {
                    x64_alu_ri(&g.cb, op, s, d, IMMS[k]);
                    I(&g, "%s %s, %d", ALU[op], reg(s, d), IMMS[k]);
                }
            }
            for (size_t k = 0; k < M_SMALL.n; k++) {
                int r = (int)(k % 16);
                x64_alu_rm(&g.cb, op, s, r, M_SMALL.m[k]);
                I(&g, "%s %s, %s PTR %s", ALU[op], reg(s, r), ptr(s), M_SMALL.text[k]);
                x64_alu_mr(&g.cb, op, s, M_SMALL.m[k], 15 - r);
                I(&g, "%s %s PTR %s, %s", ALU[op], ptr(s), M_SMALL.text[k], reg(s, 15 - r));
                int32_t imm = IMMS[k % WEFT_ARRAY_LEN(IMMS)];
                x64_alu_mi(&g.cb, op, s, M_SMALL.m[k], imm);
                I(&g, "%s %s PTR %s, %d", ALU[op], ptr(s), M_SMALL.text[k], imm);
            }
        }
    check(&g);
    gen_free(&g);
}

static const char *const UNARY[] = {NULL, NULL, "not", "neg", "mul", "imul", "div", "idiv"};
static const char *const SHIFT[] = {"rol", "ror", NULL, NULL, "shl", "shr", NULL, "sar"};

static void test_mul_shift_test(void **state)
{
    (void)state;
    gen g;
    gen_init(&g);
    for (size_t si = 0; si < 2; si++) {
        x64_size s = SIZES[si];
        for (int d = 0; d < 16; d++) {
            for (int r = 0; r < 16; r++) {
                x64_test_rr(&g.cb, s, d, r);
                I(&g, "test %s, %s", reg(s, d), reg(s, r));
                x64_imul_rr(&g.cb, s, d, r);
                I(&g, "imul %s, %s", reg(s, d), reg(s, r));
                int32_t imm = IMMS[(unsigned)(d + r) % WEFT_ARRAY_LEN(IMMS)];
                x64_imul_rri(&g.cb, s, d, r, imm);
                I(&g, "imul %s, %s, %d", reg(s, d), reg(s, r), imm);
            }
            for (size_t k = 0; k < WEFT_ARRAY_LEN(IMMS); k++) {
                x64_test_ri(&g.cb, s, d, IMMS[k]);
                I(&g, "test %s, %d", reg(s, d), IMMS[k]);
            }
            for (int op = 2; op < 8; op++) {
                x64_unary(&g.cb, op, s, d);
                I(&g, "%s %s", UNARY[op], reg(s, d));
            }
            for (int op = 0; op < 8; op++) {
                if (!SHIFT[op])
                    continue;
                static const uint8_t counts[] = {1, 2, 5, 31};
                for (size_t k = 0; k < 4; k++) {
                    x64_shift_ri(&g.cb, op, s, d, counts[k]);
                    I(&g, "%s %s, %u", SHIFT[op], reg(s, d), counts[k]);
                }
                if (s == X64_S64) {
                    x64_shift_ri(&g.cb, op, s, d, 63);
                    I(&g, "%s %s, 63", SHIFT[op], reg(s, d));
                }
                x64_shift_cl(&g.cb, op, s, d);
                I(&g, "%s %s, cl", SHIFT[op], reg(s, d));
            }
        }
        for (size_t k = 0; k < M_SMALL.n; k++) {
            x64_imul_rm(&g.cb, s, (int)(k % 16), M_SMALL.m[k]);
            I(&g, "imul %s, %s PTR %s", reg(s, (int)(k % 16)), ptr(s), M_SMALL.text[k]);
        }
    }
    x64_cdq(&g.cb);
    I(&g, "cdq");
    x64_cqo(&g.cb);
    I(&g, "cqo");
    static const char *const cnt[] = {"popcnt", "tzcnt", "lzcnt"};
    static const x64_bitcnt cop[] = {X64_POPCNT, X64_TZCNT, X64_LZCNT};
    for (int c = 0; c < 3; c++)
        for (size_t si = 0; si < 2; si++) {
            x64_size s = SIZES[si];
            for (int d = 0; d < 16; d++)
                for (int r = 0; r < 16; r++) {
                    x64_bitcnt_rr(&g.cb, cop[c], s, d, r);
                    I(&g, "%s %s, %s", cnt[c], reg(s, d), reg(s, r));
                }
            for (size_t k = 0; k < M_SMALL.n; k++) {
                x64_bitcnt_rm(&g.cb, cop[c], s, (int)(k % 16), M_SMALL.m[k]);
                I(&g, "%s %s, %s PTR %s", cnt[c], reg(s, (int)(k % 16)), ptr(s), M_SMALL.text[k]);
            }
        }
    check(&g);
    gen_free(&g);
}

static void test_moves(void **state)
{
    (void)state;
    gen g;
    gen_init(&g);
    static const int64_t imm64[] = {0, 1, 42, 0x7fffffff, 0x80000000, 0xffffffff, -1,
                                    INT32_MIN, (int64_t)INT32_MIN - 1, 0x100000000,
                                    0x123456789abcdef0, INT64_MIN};
    for (int d = 0; d < 16; d++) {
        for (size_t si = 0; si < 2; si++) {
            x64_size s = SIZES[si];
            for (int r = 0; r < 16; r++) {
                x64_mov_rr(&g.cb, s, d, r);
                I(&g, "mov %s, %s", reg(s, d), reg(s, r));
                x64_cmov_rr(&g.cb, (x64_cc)r, s, d, 15 - r);
                I(&g, "cmov%s %s, %s",
                  CC[r],
                  reg(s, d), reg(s, 15 - r));
                for (int from = 1; from <= 2; from++) {
                    x64_size f = (x64_size)from;
                    x64_movzx_rr(&g.cb, f, s, d, r);
                    I(&g, "movzx %s, %s", reg(s, d), reg(f, r));
                    x64_movsx_rr(&g.cb, f, s, d, r);
                    I(&g, "movsx %s, %s", reg(s, d), reg(f, r));
                }
            }
        }
        for (int r = 0; r < 16; r++) {
            x64_movsx_rr(&g.cb, X64_S32, X64_S64, d, r);
            I(&g, "movsxd %s, %s", R64[d], R32[r]);
        }
        for (size_t k = 0; k < WEFT_ARRAY_LEN(imm64); k++) {
            x64_mov_ri(&g.cb, X64_S32, d, imm64[k]);
            I(&g, "mov %s, %u", R32[d], (uint32_t)imm64[k]);
            x64_mov_ri(&g.cb, X64_S64, d, imm64[k]);
            if (imm64[k] >= 0 && imm64[k] <= (int64_t)UINT32_MAX)
                I(&g, "mov %s, %u", R32[d], (uint32_t)imm64[k]);
            else if (imm64[k] >= INT32_MIN && imm64[k] <= INT32_MAX)
                I(&g, "mov %s, %d", R64[d], (int32_t)imm64[k]);
            else
                I(&g, "movabs %s, %lld", R64[d], (long long)imm64[k]);
        }
        for (int cc = 0; cc < 16; cc++) {
            x64_setcc(&g.cb, (x64_cc)cc, d);
            I(&g, "set%s %s", CC[cc], R8[d]);
        }
        x64_push(&g.cb, d);
        I(&g, "push %s", R64[d]);
        x64_pop(&g.cb, d);
        I(&g, "pop %s", R64[d]);
    }
    /* The addressing forms in full, through load, store and lea. */
    for (size_t k = 0; k < M_FULL.n; k++) {
        int r = (int)(k % 16);
        for (size_t si = 0; si < 2; si++) {
            x64_size s = SIZES[si];
            x64_load(&g.cb, s, r, M_FULL.m[k]);
            I(&g, "mov %s, %s PTR %s", reg(s, r), ptr(s), M_FULL.text[k]);
            x64_lea(&g.cb, s, 15 - r, M_FULL.m[k]);
            I(&g, "lea %s, %s", reg(s, 15 - r), M_FULL.text[k]);
        }
        for (size_t si = 0; si < 4; si++) {
            x64_size s = ALL_SIZES[si];
            x64_store(&g.cb, s, M_FULL.m[k], r);
            I(&g, "mov %s PTR %s, %s", ptr(s), M_FULL.text[k], reg(s, r));
        }
    }
    for (size_t k = 0; k < M_SMALL.n; k++) {
        int r = (int)(k % 16);
        for (size_t si = 0; si < 4; si++) {
            x64_size s = ALL_SIZES[si];
            int32_t imm = s == X64_S8 ? -5 : s == X64_S16 ? 0x1234 : IMMS[k % 9];
            x64_store_imm(&g.cb, s, M_SMALL.m[k], imm);
            I(&g, "mov %s PTR %s, %d", ptr(s), M_SMALL.text[k], imm);
        }
        for (size_t si = 0; si < 2; si++) {
            x64_size s = SIZES[si];
            for (int from = 1; from <= 2; from++) {
                x64_movzx_rm(&g.cb, (x64_size)from, s, r, M_SMALL.m[k]);
                I(&g, "movzx %s, %s PTR %s", reg(s, r), ptr((x64_size)from), M_SMALL.text[k]);
                x64_movsx_rm(&g.cb, (x64_size)from, s, r, M_SMALL.m[k]);
                I(&g, "movsx %s, %s PTR %s", reg(s, r), ptr((x64_size)from), M_SMALL.text[k]);
            }
            x64_cmov_rm(&g.cb, (x64_cc)(k % 16), s, r, M_SMALL.m[k]);
            I(&g, "cmov%s %s, %s PTR %s",
              CC[k % 16],
              reg(s, r), ptr(s), M_SMALL.text[k]);
        }
        x64_movsx_rm(&g.cb, X64_S32, X64_S64, r, M_SMALL.m[k]);
        I(&g, "movsxd %s, DWORD PTR %s", R64[r], M_SMALL.text[k]);
    }
    check(&g);
    gen_free(&g);
}

static void test_control(void **state)
{
    (void)state;
    gen g;
    gen_init(&g);
    for (int r = 0; r < 16; r++) {
        x64_jmp_r(&g.cb, r);
        I(&g, "jmp %s", R64[r]);
        x64_call_r(&g.cb, r);
        I(&g, "call %s", R64[r]);
    }
    for (size_t k = 0; k < M_SMALL.n; k++) {
        x64_jmp_m(&g.cb, M_SMALL.m[k]);
        I(&g, "jmp QWORD PTR %s", M_SMALL.text[k]);
        x64_call_m(&g.cb, M_SMALL.m[k]);
        I(&g, "call QWORD PTR %s", M_SMALL.text[k]);
    }
    x64_ret(&g.cb);
    I(&g, "ret");
    x64_ud2(&g.cb);
    I(&g, "ud2");
    x64_mfence(&g.cb);
    I(&g, "mfence");
    /* Labels: near backward (rel8), far backward (rel32), forward rel32,
     * forward short, calls both ways. */
    for (int cc = 0; cc < 16; cc++) {
        cb_label back = cb_new_label(&g.cb), fwd = cb_new_label(&g.cb),
                 fshort = cb_new_label(&g.cb);
        cb_bind(&g.cb, back);
        T(&g, "B%d:", cc);
        x64_jcc(&g.cb, (x64_cc)cc, back);
        I(&g, "j%s B%d", CC[cc], cc);
        x64_jmp(&g.cb, back);
        I(&g, "jmp B%d", cc);
        x64_jcc(&g.cb, (x64_cc)cc, fwd);
        I(&g, "{disp32} j%s F%d", CC[cc], cc);
        x64_jmp(&g.cb, fwd);
        I(&g, "{disp32} jmp F%d", cc);
        x64_jcc_short(&g.cb, (x64_cc)cc, fshort);
        I(&g, "j%s S%d", CC[cc], cc);
        x64_jmp_short(&g.cb, fshort);
        I(&g, "jmp S%d", cc);
        x64_call(&g.cb, back);
        I(&g, "call B%d", cc);
        x64_call(&g.cb, fwd);
        I(&g, "call F%d", cc);
        cb_bind(&g.cb, fshort);
        T(&g, "S%d:", cc);
        for (int k = 0; k < 20 * cc; k++) { /* beyond rel8 reach from cc 3 on */
            x64_mov_rr(&g.cb, X64_S64, X64_RAX, k % 16);
            I(&g, "mov rax, %s", R64[k % 16]);
        }
        x64_jcc(&g.cb, (x64_cc)cc, back);
        I(&g, "j%s B%d", CC[cc], cc);
        x64_jmp(&g.cb, back);
        I(&g, "jmp B%d", cc);
        cb_bind(&g.cb, fwd);
        T(&g, "F%d:", cc);
    }
    check(&g);
    gen_free(&g);
}

static void test_atomics(void **state)
{
    (void)state;
    gen g;
    gen_init(&g);
    for (size_t k = 0; k < M_SMALL.n; k++)
        for (size_t si = 0; si < 4; si++) {
            x64_size s = ALL_SIZES[si];
            int r = (int)((k + si) % 16);
            x64_lock_xadd(&g.cb, s, M_SMALL.m[k], r);
            I(&g, "lock xadd %s PTR %s, %s", ptr(s), M_SMALL.text[k], reg(s, r));
            x64_lock_cmpxchg(&g.cb, s, M_SMALL.m[k], 15 - r);
            I(&g, "lock cmpxchg %s PTR %s, %s", ptr(s), M_SMALL.text[k], reg(s, 15 - r));
            x64_xchg(&g.cb, s, M_SMALL.m[k], r);
            I(&g, "xchg %s PTR %s, %s", ptr(s), M_SMALL.text[k], reg(s, r));
            x64_lock_alu_mr(&g.cb, X64_ADD, s, M_SMALL.m[k], r);
            I(&g, "lock add %s PTR %s, %s", ptr(s), M_SMALL.text[k], reg(s, r));
            x64_lock_alu_mr(&g.cb, X64_SUB, s, M_SMALL.m[k], 15 - r);
            I(&g, "lock sub %s PTR %s, %s", ptr(s), M_SMALL.text[k], reg(s, 15 - r));
        }
    check(&g);
    gen_free(&g);
}

typedef struct sse_name {
    x64_sse op;
    const char *name;
    const char *mem;
} sse_name;

static const sse_name SSE[] = {
    {X64_MOVSS, "movss", "DWORD"},       {X64_MOVSD, "movsd", "QWORD"},
    {X64_MOVAPS, "movaps", "XMMWORD"},   {X64_ADDSS, "addss", "DWORD"},
    {X64_ADDSD, "addsd", "QWORD"},       {X64_SUBSS, "subss", "DWORD"},
    {X64_SUBSD, "subsd", "QWORD"},       {X64_MULSS, "mulss", "DWORD"},
    {X64_MULSD, "mulsd", "QWORD"},       {X64_DIVSS, "divss", "DWORD"},
    {X64_DIVSD, "divsd", "QWORD"},       {X64_SQRTSS, "sqrtss", "DWORD"},
    {X64_SQRTSD, "sqrtsd", "QWORD"},     {X64_MINSS, "minss", "DWORD"},
    {X64_MINSD, "minsd", "QWORD"},       {X64_MAXSS, "maxss", "DWORD"},
    {X64_MAXSD, "maxsd", "QWORD"},       {X64_UCOMISS, "ucomiss", "DWORD"},
    {X64_UCOMISD, "ucomisd", "QWORD"},   {X64_ANDPS, "andps", "XMMWORD"},
    {X64_ANDPD, "andpd", "XMMWORD"},     {X64_ANDNPS, "andnps", "XMMWORD"},
    {X64_ANDNPD, "andnpd", "XMMWORD"},   {X64_ORPS, "orps", "XMMWORD"},
    {X64_ORPD, "orpd", "XMMWORD"},       {X64_XORPS, "xorps", "XMMWORD"},
    {X64_XORPD, "xorpd", "XMMWORD"},     {X64_CVTSS2SD, "cvtss2sd", "DWORD"},
    {X64_CVTSD2SS, "cvtsd2ss", "QWORD"},     {X64_MOVDQU, "movdqu", "XMMWORD"},
    {X64_ADDPS, "addps", "XMMWORD"},     {X64_ADDPD, "addpd", "XMMWORD"},
    {X64_SUBPS, "subps", "XMMWORD"},     {X64_SUBPD, "subpd", "XMMWORD"},
    {X64_MULPS, "mulps", "XMMWORD"},     {X64_MULPD, "mulpd", "XMMWORD"},
    {X64_DIVPS, "divps", "XMMWORD"},     {X64_DIVPD, "divpd", "XMMWORD"},
    {X64_PADDB, "paddb", "XMMWORD"},     {X64_PADDW, "paddw", "XMMWORD"},
    {X64_PADDD, "paddd", "XMMWORD"},     {X64_PADDQ, "paddq", "XMMWORD"},
    {X64_PSUBB, "psubb", "XMMWORD"},     {X64_PSUBW, "psubw", "XMMWORD"},
    {X64_PSUBD, "psubd", "XMMWORD"},     {X64_PSUBQ, "psubq", "XMMWORD"},
    {X64_PADDSB, "paddsb", "XMMWORD"},   {X64_PADDSW, "paddsw", "XMMWORD"},
    {X64_PADDUSB, "paddusb", "XMMWORD"}, {X64_PADDUSW, "paddusw", "XMMWORD"},
    {X64_PSUBSB, "psubsb", "XMMWORD"},   {X64_PSUBSW, "psubsw", "XMMWORD"},
    {X64_PSUBUSB, "psubusb", "XMMWORD"}, {X64_PSUBUSW, "psubusw", "XMMWORD"},
    {X64_PAVGB, "pavgb", "XMMWORD"},     {X64_PAVGW, "pavgw", "XMMWORD"},
    {X64_PMINUB, "pminub", "XMMWORD"},   {X64_PMAXUB, "pmaxub", "XMMWORD"},
    {X64_PMINSW, "pminsw", "XMMWORD"},   {X64_PMAXSW, "pmaxsw", "XMMWORD"},
    {X64_PMULLW, "pmullw", "XMMWORD"},   {X64_PAND, "pand", "XMMWORD"},
    {X64_PANDN, "pandn", "XMMWORD"},     {X64_POR, "por", "XMMWORD"},
    {X64_PXOR, "pxor", "XMMWORD"},       {X64_PCMPEQB, "pcmpeqb", "XMMWORD"},
    {X64_PCMPEQW, "pcmpeqw", "XMMWORD"}, {X64_PCMPEQD, "pcmpeqd", "XMMWORD"},
    {X64_PCMPGTB, "pcmpgtb", "XMMWORD"}, {X64_PCMPGTW, "pcmpgtw", "XMMWORD"},
    {X64_PCMPGTD, "pcmpgtd", "XMMWORD"},
    {X64_PSLLW, "psllw", "XMMWORD"},     {X64_PSLLD, "pslld", "XMMWORD"},
    {X64_PSLLQ, "psllq", "XMMWORD"},     {X64_PSRLW, "psrlw", "XMMWORD"},
    {X64_PSRLD, "psrld", "XMMWORD"},     {X64_PSRLQ, "psrlq", "XMMWORD"},
    {X64_PSRAW, "psraw", "XMMWORD"},     {X64_PSRAD, "psrad", "XMMWORD"},
    {X64_PUNPCKLBW, "punpcklbw", "XMMWORD"}, {X64_PUNPCKHBW, "punpckhbw", "XMMWORD"},
    {X64_PUNPCKLWD, "punpcklwd", "XMMWORD"}, {X64_PUNPCKHWD, "punpckhwd", "XMMWORD"},
    {X64_PUNPCKLDQ, "punpckldq", "XMMWORD"}, {X64_PUNPCKHDQ, "punpckhdq", "XMMWORD"},
    {X64_PACKSSWB, "packsswb", "XMMWORD"}, {X64_PACKUSWB, "packuswb", "XMMWORD"},
    {X64_PACKSSDW, "packssdw", "XMMWORD"}, {X64_PMULUDQ, "pmuludq", "XMMWORD"},
    {X64_PUNPCKLQDQ, "punpcklqdq", "XMMWORD"},
};

static void test_sse(void **state)
{
    (void)state;
    gen g;
    gen_init(&g);
    for (size_t o = 0; o < WEFT_ARRAY_LEN(SSE); o++) {
        for (int d = 0; d < 16; d++)
            for (int r = 0; r < 16; r++) {
                x64_sse_rr(&g.cb, SSE[o].op, d, r);
                I(&g, "%s xmm%d, xmm%d", SSE[o].name, d, r);
            }
        for (size_t k = 0; k < M_SMALL.n; k++) {
            x64_sse_rm(&g.cb, SSE[o].op, (int)(k % 16), M_SMALL.m[k]);
            I(&g, "%s xmm%d, %s PTR %s", SSE[o].name, (int)(k % 16), SSE[o].mem, M_SMALL.text[k]);
        }
    }
    for (size_t k = 0; k < M_SMALL.n; k++) {
        x64_sse_store(&g.cb, X64_MOVSS, M_SMALL.m[k], (int)(k % 16));
        I(&g, "movss DWORD PTR %s, xmm%d", M_SMALL.text[k], (int)(k % 16));
        x64_sse_store(&g.cb, X64_MOVSD, M_SMALL.m[k], (int)(15 - k % 16));
        I(&g, "movsd QWORD PTR %s, xmm%d", M_SMALL.text[k], (int)(15 - k % 16));
        x64_sse_store(&g.cb, X64_MOVDQU, M_SMALL.m[k], (int)((k + 5) % 16));
        I(&g, "movdqu XMMWORD PTR %s, xmm%d", M_SMALL.text[k], (int)((k + 5) % 16));
    }
    for (int x = 0; x < 16; x++)
        for (int r = 0; r < 16; r++) {
            for (size_t si = 0; si < 2; si++) {
                x64_size s = SIZES[si];
                const char *mv = s == X64_S64 ? "movq" : "movd";
                x64_movd_xr(&g.cb, s, x, r);
                I(&g, "%s xmm%d, %s", mv, x, reg(s, r));
                x64_movd_rx(&g.cb, s, r, x);
                I(&g, "%s %s, xmm%d", mv, reg(s, r), x);
                x64_cvt_from_int(&g.cb, X64_CVTSI2SS, s, x, r);
                I(&g, "cvtsi2ss xmm%d, %s", x, reg(s, r));
                x64_cvt_from_int(&g.cb, X64_CVTSI2SD, s, x, r);
                I(&g, "cvtsi2sd xmm%d, %s", x, reg(s, r));
                x64_cvt_to_int(&g.cb, X64_CVTTSS2SI, s, r, x);
                I(&g, "cvttss2si %s, xmm%d", reg(s, r), x);
                x64_cvt_to_int(&g.cb, X64_CVTTSD2SI, s, r, x);
                I(&g, "cvttsd2si %s, xmm%d", reg(s, r), x);
            }
            x64_pmulld_rr(&g.cb, x, r);
            I(&g, "pmulld xmm%d, xmm%d", x, r);
            x64_pshufb_rr(&g.cb, x, r);
            I(&g, "pshufb xmm%d, xmm%d", x, r);
            x64_roundss(&g.cb, x, r, (uint8_t)(r % 4 | 8));
            I(&g, "roundss xmm%d, xmm%d, %d", x, r, r % 4 | 8);
            x64_roundsd(&g.cb, x, r, (uint8_t)(x % 4));
            I(&g, "roundsd xmm%d, xmm%d, %d", x, r, x % 4);
        }
    check(&g);
    gen_free(&g);
}

/* Misuse is an error in the buffer, not a crash or a silent wrong byte. */
static void test_errors(void **state)
{
    (void)state;
    weft_error err;
    cb_buf b;
    cb_init(&b, host_realloc, NULL, 0);
    x64_load(&b, X64_S64, X64_RAX, x64_mem_bisd(X64_RAX, X64_RSP, 1, 0));
    assert_int_equal(cb_finish(&b, &err), WEFT_BAD_ARGUMENT);
    assert_non_null(strstr(err.message, "rsp cannot be an index"));
    cb_free(&b);

    cb_init(&b, host_realloc, NULL, 0);
    x64_alu_rr(&b, X64_ADD, X64_S16, X64_RAX, X64_RCX);
    assert_int_equal(cb_finish(&b, &err), WEFT_BAD_ARGUMENT);
    cb_free(&b);

    cb_init(&b, host_realloc, NULL, 0);
    x64_load(&b, X64_S64, X64_RAX, x64_mem_bisd(X64_RAX, X64_RCX, 3, 0));
    assert_int_equal(cb_finish(&b, &err), WEFT_BAD_ARGUMENT);
    cb_free(&b);

    /* A short jump that cannot reach its label. */
    cb_init(&b, host_realloc, NULL, 0);
    cb_label l = cb_new_label(&b);
    x64_jmp_short(&b, l);
    for (int i = 0; i < 50; i++)
        x64_mov_rr(&b, X64_S64, X64_RAX, X64_RBX);
    cb_bind(&b, l);
    assert_int_equal(cb_finish(&b, &err), WEFT_UNSUPPORTED);
    assert_non_null(strstr(err.message, "out of reach"));
    cb_free(&b);

    /* A label never bound; binding twice. */
    cb_init(&b, host_realloc, NULL, 0);
    l = cb_new_label(&b);
    x64_jcc(&b, X64_E, l);
    assert_int_equal(cb_finish(&b, &err), WEFT_BAD_ARGUMENT);
    cb_free(&b);
    cb_init(&b, host_realloc, NULL, 0);
    l = cb_new_label(&b);
    cb_bind(&b, l);
    cb_bind(&b, l);
    assert_int_equal(cb_finish(&b, &err), WEFT_BAD_ARGUMENT);
    cb_free(&b);

    /* Past the limit: the code stops growing, the error is "too large". */
    cb_init(&b, host_realloc, NULL, 100);
    for (int i = 0; i < 40; i++)
        x64_mov_rr(&b, X64_S64, X64_RAX, X64_RBX);
    assert_true(b.len <= 100);
    assert_int_equal(cb_finish(&b, &err), WEFT_UNSUPPORTED);
    assert_non_null(strstr(err.message, "too large"));
    cb_free(&b);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    weft_error err;
    int budget = 0;
    cb_buf b;
    cb_init(&b, host_realloc, &budget, 0);
    x64_ret(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(cb_finish(&b, &err), WEFT_NOMEM);
    cb_free(&b);
    /* The buffer grows past its first 4 KiB. */
    budget = 100;
    cb_init(&b, host_realloc, &budget, 0);
    for (int i = 0; i < 5000; i++)
        x64_mov_rr(&b, X64_S64, X64_RAX, X64_RBX);
    assert_int_equal(cb_finish(&b, &err), WEFT_OK);
    assert_int_equal(b.len, 15000);
    assert_int_equal(b.bytes[14997], 0x48);
    cb_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alu),      cmocka_unit_test(test_mul_shift_test),
        cmocka_unit_test(test_moves),    cmocka_unit_test(test_control),
        cmocka_unit_test(test_atomics),  cmocka_unit_test(test_sse),
        cmocka_unit_test(test_errors),   cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

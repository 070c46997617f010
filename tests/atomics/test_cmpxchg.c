/*
 * test_cmpxchg.c -- the compare-exchange instructions wrap their expected
 * and replacement operands to the access width before comparing and storing
 * (threads proposal, Overview: "the expected value is wrapped"), so an
 * i32.atomic.rmw8.cmpxchg_u whose expected operand is 0x1234 matches a byte
 * 0x34.  Checked for every width, in the run-time address form (d_<ID>) and
 * the constant-address form (k_<ID>, code.h _K) of tests/wat/atomic_const.wat,
 * in both bounds modes: a match with high garbage stores the wrapped
 * replacement and returns the old value; a mismatch in the low bits stores
 * nothing; the bytes around the access never change.  (Found twice: by a
 * threaded C program, and by the binaryen differential test, tests/diff,
 * seed 2040: an i32.atomic.rmw8.cmpxchg_u with expected 0xF0000000 on a zero
 * byte stored under V8 and not under weft.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "support/code_probe.h"
#include "weft.h"

/* The exports' addresses: k_ forms use 56 + offset 8, d_ forms a parameter
 * + offset 8. */
#define K_ADDR 64u
#define D_BASE 1080u

typedef struct cx_form {
    const char *id;
    unsigned width; /* bytes accessed */
    bool i64;       /* operand type */
} cx_form;

static const cx_form forms[] = {
    {"I32_ATOMIC_RMW_CMPXCHG", 4, false},     {"I64_ATOMIC_RMW_CMPXCHG", 8, true},
    {"I32_ATOMIC_RMW8_CMPXCHG_U", 1, false},  {"I32_ATOMIC_RMW16_CMPXCHG_U", 2, false},
    {"I64_ATOMIC_RMW8_CMPXCHG_U", 1, true},   {"I64_ATOMIC_RMW16_CMPXCHG_U", 2, true},
    {"I64_ATOMIC_RMW32_CMPXCHG_U", 4, true},
};

static weft_val operand(const cx_form *f, uint64_t bits)
{
    return f->i64 ? (weft_val){.kind = WEFT_I64, .of.i64 = (int64_t)bits}
                  : (weft_val){.kind = WEFT_I32, .of.i32 = (int32_t)(uint32_t)bits};
}

static uint64_t mask_of(unsigned width)
{
    return width == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * width)) - 1;
}

/* One compare-exchange at `at` (mem + at), through export `name`; `base`
 * is the address parameter for a d_ form, or absent (k_).  Memory around
 * the cell is 0xEE; the cell holds `cur`.  Checks the old value returned and
 * what the cell and its neighbours hold afterwards. */
static void check_one(fixture *fx, uint8_t *mem, const cx_form *f, const char *name,
                      const uint32_t *base, uint32_t at, uint64_t cur, uint64_t expected,
                      uint64_t replacement)
{
    uint64_t m = mask_of(f->width);
    memset(mem + at - 8, 0xEE, 24);
    memcpy(mem + at, &cur, f->width); /* little-endian host, as wasm */
    weft_val args[3];
    size_t n = 0;
    if (base)
        args[n++] = (weft_val){.kind = WEFT_I32, .of.i32 = (int32_t)*base};
    args[n++] = operand(f, expected);
    args[n++] = operand(f, replacement);
    weft_val out = fixture_call(fx, name, args, n);
    uint64_t old = f->i64 ? (uint64_t)out.of.i64 : (uint32_t)out.of.i32;

    uint64_t want_cell = ((expected & m) == (cur & m)) ? replacement & m : cur & m;
    uint64_t cell = 0;
    memcpy(&cell, mem + at, f->width);
    if (old != (cur & m) || cell != want_cell)
        fail_msg("%s: cell 0x%llx, expected 0x%llx, replacement 0x%llx: returned 0x%llx "
                 "(want 0x%llx), cell now 0x%llx (want 0x%llx)",
                 name, (unsigned long long)cur, (unsigned long long)expected,
                 (unsigned long long)replacement, (unsigned long long)old,
                 (unsigned long long)(cur & m), (unsigned long long)cell,
                 (unsigned long long)want_cell);
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(mem[at - 8 + i], 0xEE);
    for (unsigned i = f->width; i < 16; i++)
        assert_int_equal(mem[at + i], 0xEE);
}

static void run(weft_bounds_mode bounds)
{
    fixture fx;
    fixture_open(&fx, "atomic_const", bounds);
    weft_extern mx;
    assert_true(weft_instance_export(fx.inst, "mem", 3, &mx));
    uint8_t *mem = weft_memory_data(mx.of.memory);
    const uint32_t d_base = D_BASE;

    /* Bits above the width: on the operand, never in the comparison. */
    const uint64_t high[] = {0, 0x100, 0xABCD0000, UINT64_C(0xFFFFFFFF00000000),
                             UINT64_C(0x8000000000000000)};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        const cx_form *f = &forms[i];
        uint64_t m = mask_of(f->width);
        char kname[64], dname[64];
        snprintf(kname, sizeof kname, "k_%s", f->id);
        snprintf(dname, sizeof dname, "d_%s", f->id);
        for (size_t h = 0; h < sizeof high / sizeof high[0]; h++) {
            uint64_t cur = UINT64_C(0x0123456789ABCDEF) & m;
            uint64_t garbage = f->i64 ? high[h] : (uint32_t)high[h];
            garbage &= ~m;
            uint64_t rep = UINT64_C(0xF1E2D3C4B5A69788) ^ high[h];
            /* Matches in the low bits: stores. */
            check_one(&fx, mem, f, kname, NULL, K_ADDR, cur, cur | garbage, rep);
            check_one(&fx, mem, f, dname, &d_base, D_BASE + 8, cur, cur | garbage, rep);
            /* Differs in the low bits: stores nothing. */
            check_one(&fx, mem, f, kname, NULL, K_ADDR, cur, (cur ^ 1) | garbage, rep);
            check_one(&fx, mem, f, dname, &d_base, D_BASE + 8, cur, (cur ^ 1) | garbage, rep);
        }
    }
    fixture_close(&fx);
}

static void test_cmpxchg_wraps_guard(void **state)
{
    (void)state;
    run(WEFT_BOUNDS_GUARD);
}

static void test_cmpxchg_wraps_software(void **state)
{
    (void)state;
    run(WEFT_BOUNDS_SOFTWARE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmpxchg_wraps_guard),
        cmocka_unit_test(test_cmpxchg_wraps_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

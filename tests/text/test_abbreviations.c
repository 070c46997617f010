/*
 * test_abbreviations.c -- each abbreviation of the text format (inline
 * imports and exports, inline types and implicit type uses, inline element
 * and data segments, offsets, folded instructions, grouped params and
 * locals, default memarg, labels by name, a module without `(module ...)`)
 * read by text/wat.h gives the same binary as the form the spec expands it
 * to, written out in full.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text/wat.h"

typedef struct abbrev {
    const char *what;
    const char *short_form;
    const char *full_form;
} abbrev;

static const abbrev cases[] = {
    {"inline export of a function",
     "(module (func (export \"f\") (result i32) (i32.const 1)))",
     "(module (func $f (result i32) (i32.const 1)) (export \"f\" (func $f)))"},
    {"two inline exports",
     "(module (func (export \"a\") (export \"b\")))",
     "(module (func $f) (export \"a\" (func $f)) (export \"b\" (func $f)))"},
    {"inline import of a function",
     "(module (func $f (import \"m\" \"n\") (param i32)) (func (call $f (i32.const 0))))",
     "(module (import \"m\" \"n\" (func $f (param i32))) (func (call $f (i32.const 0))))"},
    {"inline import and export of a global",
     "(module (global $g (export \"e\") (import \"m\" \"g\") i32))",
     "(module (import \"m\" \"g\" (global $g i32)) (export \"e\" (global $g)))"},
    {"inline import of a memory and a table",
     "(module (memory (import \"m\" \"mem\") 1) (table (import \"m\" \"t\") 2 funcref))",
     "(module (import \"m\" \"mem\" (memory 1)) (import \"m\" \"t\" (table 2 funcref)))"},
    {"inline exports of a memory, table and global",
     "(module (memory (export \"m\") 1) (table (export \"t\") 1 funcref)"
     " (global (export \"g\") i32 (i32.const 3)))",
     "(module (memory $m 1) (table $t 1 funcref) (global $g i32 (i32.const 3))"
     " (export \"m\" (memory $m)) (export \"t\" (table $t)) (export \"g\" (global $g)))"},
    {"inline function type",
     "(module (func (param i32) (result i32) (local.get 0)))",
     "(module (type (func (param i32) (result i32))) (func (type 0) (local.get 0)))"},
    {"implicit use of an existing type",
     "(module (type $t (func (param i64))) (func (param i64)))",
     "(module (type $t (func (param i64))) (func (type $t) (param i64)))"},
    {"grouped params, results and locals",
     "(module (func (param i32 i64) (result i32 i64) (local f32 f64)"
     " (local.get 0) (local.get 1)))",
     "(module (func (param i32) (param i64) (result i32) (result i64) (local f32) (local f64)"
     " (local.get 0) (local.get 1)))"},
    {"inline element segment of a table",
     "(module (func $f) (func $g) (table funcref (elem $f $g)))",
     "(module (func $f) (func $g) (table $t 2 2 funcref) (elem (table $t) (i32.const 0) func $f $g))"},
    {"inline data segment of a memory",
     "(module (memory (data \"ab\" \"c\")))",
     "(module (memory $m 1 1) (data (memory $m) (i32.const 0) \"abc\"))"},
    {"offset without (offset ...), table 0 implied",
     "(module (memory 1) (data (i32.const 8) \"x\") (table 1 funcref) (func $f)"
     " (elem (i32.const 0) $f))",
     "(module (memory 1) (data (memory 0) (offset (i32.const 8)) \"x\") (table 1 funcref)"
     " (func $f) (elem (table 0) (offset (i32.const 0)) func $f))"},
    {"folded instructions",
     "(module (func (param i32) (result i32)"
     " (i32.add (i32.mul (local.get 0) (i32.const 3)) (i32.const 1))))",
     "(module (func (param i32) (result i32)"
     " local.get 0 i32.const 3 i32.mul i32.const 1 i32.add))"},
    {"folded if with its condition",
     "(module (func (param i32) (result i32)"
     " (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))))",
     "(module (func (param i32) (result i32)"
     " local.get 0 if (result i32) i32.const 1 else i32.const 2 end))"},
    {"folded block and loop with labels by name",
     "(module (func (block $out (loop $top (br_if $out (i32.const 1)) (br $top)))))",
     "(module (func block loop i32.const 1 br_if 1 br 0 end end))"},
    {"default memory offset and alignment",
     "(module (memory 1) (func (drop (i32.load (i32.const 0)))"
     " (i64.store8 (i32.const 0) (i64.const 1))))",
     "(module (memory 1) (func i32.const 0 i32.load offset=0 align=4 drop"
     " i32.const 0 i64.const 1 i64.store8 offset=0 align=1))"},
    {"module fields without (module ...)",
     "(func (export \"f\")) (memory 1)",
     "(module (func (export \"f\")) (memory 1))"},
    {"names of every index space instead of numbers",
     "(module (type $t (func)) (global $g (mut i32) (i32.const 0)) (memory $m 1)"
     " (table $tab 1 funcref) (func $f (type $t) (local $l i32)"
     " (local.set $l (global.get $g)) (global.set $g (local.get $l))"
     " (call_indirect $tab (type $t) (i32.const 0)) (call $f)))",
     "(module (type (func)) (global (mut i32) (i32.const 0)) (memory 1)"
     " (table 1 funcref) (func (type 0) (local i32)"
     " (local.set 0 (global.get 0)) (global.set 0 (local.get 0))"
     " (call_indirect 0 (type 0) (i32.const 0)) (call 0)))"},
};

static uint8_t *read_ok(const char *text, size_t *len)
{
    char err[512];
    uint8_t *out = NULL;
    wat_options opt = {.names = false}; /* names differ; the code must not */
    if (!wat_to_wasm(text, strlen(text), "t.wat", &opt, &out, len, err, sizeof err))
        fail_msg("%s: %s", text, err);
    return out;
}

static void abbreviations_expand(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t ls, lf;
        uint8_t *s = read_ok(cases[i].short_form, &ls);
        uint8_t *f = read_ok(cases[i].full_form, &lf);
        if (ls != lf || memcmp(s, f, ls))
            fail_msg("%s: %zu bytes abbreviated, %zu written out, not the same", cases[i].what,
                     ls, lf);
        free(s);
        free(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(abbreviations_expand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * constexpr.c -- constant expressions, evaluated when a module is
 * instantiated.  The validator has checked their types, so this only
 * computes.  Besides the 2.0 forms (t.const, ref.null, ref.func, global.get)
 * it computes the extended-const arithmetic (i32/i64 add, sub, mul), which
 * costs three lines and keeps the evaluator whole if the validator admits it.
 */
#include "engine/constexpr.h"
#include "engine/reader.h"

enum { CEXPR_STACK = 16 };

/* The reader's LEB128 readers leave *out alone on error; these initialise it,
 * so that optimising compilers see every path define the value. */
static weft_status read_u32(reader *r, uint32_t *out)
{
    uint64_t v = 0;
    weft_status st = rd_uleb(r, 32, &v);
    *out = (uint32_t)v;
    return st;
}

static weft_status read_s(reader *r, unsigned bits, int64_t *out)
{
    *out = 0;
    return rd_sleb(r, bits, out);
}

weft_status cexpr_eval(const weft_instance *inst, mod_constexpr expr, inst_value *out,
                       weft_error *err)
{
    weft_status st = WEFT_OK;
    const weft_module *m = inst->module;
    reader r = {.base = m->bytes, .p = m->bytes + expr.start, .end = m->bytes + expr.end,
                .err = err, .eof_code = WEFT_E_UNEXPECTED_END};
    inst_value stack[CEXPR_STACK];
    uint32_t sp = 0;
    for (;;) {
        uint64_t at = rd_offset(&r);
        uint8_t op = 0;
        TRY(rd_u8(&r, &op));
        if (op == 0x0B)
            break;
        if (sp == CEXPR_STACK)
            return err_set(err, WEFT_E_UNSUPPORTED, at, "constant expression too deep");
        inst_value *v = &stack[sp];
        memset(v, 0, sizeof *v);
        switch (op) {
        case 0x41: TRY(read_s(&r, 32, &v->i64)); v->u64[0] = (uint32_t)v->i64; sp++; break;
        case 0x42: TRY(read_s(&r, 64, &v->i64)); sp++; break;
        case 0x43: TRY(rd_fixed32(&r, &v->u32)); sp++; break;
        case 0x44: TRY(rd_fixed64(&r, &v->u64[0])); sp++; break;
        case 0xD0: { /* ref.null t */
            uint8_t t = 0;
            TRY(rd_u8(&r, &t));
            v->ref = NULL;
            sp++;
            break;
        }
        case 0xD2: { /* ref.func x */
            uint32_t x = 0;
            TRY(read_u32(&r, &x));
            v->ref = inst->funcs[x];
            sp++;
            break;
        }
        case 0x23: { /* global.get x */
            uint32_t x = 0;
            TRY(read_u32(&r, &x));
            *v = inst->globals[x]->value;
            sp++;
            break;
        }
        case 0xFD: { /* v128.const */
            uint32_t sub = 0;
            const uint8_t *b = NULL;
            TRY(read_u32(&r, &sub));
            if (sub != 0x0C)
                return err_set(err, WEFT_E_CONST_EXPR_REQUIRED, at, NULL);
            TRY(rd_bytes(&r, 16, &b));
            memcpy(v->v128, b, 16);
            sp++;
            break;
        }
        case 0x6A: case 0x6B: case 0x6C: { /* i32.add/sub/mul */
            uint32_t a = stack[sp - 2].u32, b = stack[sp - 1].u32;
            uint32_t res = op == 0x6A ? a + b : op == 0x6B ? a - b : a * b;
            sp--;
            memset(&stack[sp - 1], 0, sizeof stack[0]);
            stack[sp - 1].u64[0] = res;
            break;
        }
        case 0x7C: case 0x7D: case 0x7E: { /* i64.add/sub/mul */
            uint64_t a = stack[sp - 2].u64[0], b = stack[sp - 1].u64[0];
            sp--;
            stack[sp - 1].u64[0] = op == 0x7C ? a + b : op == 0x7D ? a - b : a * b;
            break;
        }
        default:
            return err_set(err, WEFT_E_CONST_EXPR_REQUIRED, at, NULL);
        }
    }
    if (sp != 1)
        return err_set(err, WEFT_E_TYPE_MISMATCH, expr.start, "constant expression");
    *out = stack[0];
fail:
    return st;
}

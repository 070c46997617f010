/*
 * simd_ops.h -- the bodies of the 0xFD page's instructions (128-bit SIMD),
 * included once inside the dispatch loop by interp_ops.h; same conventions
 * (CASE, NEXT, TRAP, X1..Y3, fp, mem, memory, SW_BOUNDS).  Operand layouts
 * are the ones drawn in code.h ("SIMD"); a v128 operand is the first of its
 * two slots.  The lane arithmetic is engine/simd.h's: each handler reads its
 * operands, calls one simd_ function, writes the result (a result may share
 * slots with an operand, so everything is read first).
 *
 * Memory accesses compute the effective address as scalar ones do: unchecked
 * in guard mode (an access that straddles the end of memory faults on the
 * guard page), checked against the current size in the _SW twins.  A 16-byte
 * store writes its high 8 bytes first: if they are out of bounds it faults
 * before writing anything, and if they are in, so are the low 8 (memory
 * starts at 0), so a trapping store never writes part of its value.
 */

#define SV(slot) simd_get(fp + (slot))
#define SV_PUT(slot, v) simd_put(fp + (slot), (v))

/* [op][x=dst y=a] and [op][x=dst y=a][x=b]: v128 results. */
#define V_UN(id, fn)                                                           \
    CASE(id) {                                                                 \
        SV_PUT(X1, simd_##fn(SV(Y1)));                                         \
        NEXT(2);                                                               \
    }
#define V_UN_HALF(id, fn, half)                                                \
    CASE(id) {                                                                 \
        SV_PUT(X1, simd_##fn(SV(Y1), half));                                   \
        NEXT(2);                                                               \
    }
#define V_BIN(id, fn)                                                          \
    CASE(id) {                                                                 \
        simd_v a = SV(Y1), b = SV(X2);                                         \
        SV_PUT(X1, simd_##fn(a, b));                                           \
        NEXT(3);                                                               \
    }
#define V_BIN_HALF(id, fn, half)                                               \
    CASE(id) {                                                                 \
        simd_v a = SV(Y1), b = SV(X2);                                         \
        SV_PUT(X1, simd_##fn(a, b, half));                                     \
        NEXT(3);                                                               \
    }
/* Shifts: [op][x=dst y=a][x=count (i32)]. */
#define V_SHIFT(id, fn)                                                        \
    CASE(id) {                                                                 \
        simd_v a = SV(Y1);                                                     \
        SV_PUT(X1, simd_##fn(a, g_u32(fp[X2])));                               \
        NEXT(3);                                                               \
    }
/* v128 -> i32 tests: [op][x=dst y=a]. */
#define V_TEST(id, fn)                                                         \
    CASE(id) {                                                                 \
        fp[X1] = p_u32(simd_##fn(SV(Y1)));                                     \
        NEXT(2);                                                               \
    }
/* Splats: [op][x=dst y=scalar]. */
#define V_SPLAT(id, fn, T)                                                     \
    CASE(id) {                                                                 \
        SV_PUT(X1, simd_##fn((T)fp[Y1]));                                      \
        NEXT(2);                                                               \
    }
/* Lanes: extract [op][x=dst y=a][x=lane], replace [op][x=dst y=a][x=b y=lane]. */
#define V_EXTRACT(id, f, P)                                                    \
    CASE(id) {                                                                 \
        simd_v a = SV(Y1);                                                     \
        fp[X1] = P(a.f[X2]);                                                   \
        NEXT(3);                                                               \
    }
#define V_REPLACE(id, f)                                                       \
    CASE(id) {                                                                 \
        simd_v a = SV(Y1);                                                     \
        a.f[Y2] = (__typeof__(a.f[0]))fp[X2];                                  \
        SV_PUT(X1, a);                                                         \
        NEXT(3);                                                               \
    }

/* Loads: [op][x=dst y=addr][x=offset]: n bytes into v (zeroed first), the
 * result EXPR of v; and the _SW twin. */
#define V_LOAD_AT(n, EXPR, check) V_LOAD_ADDR(g_u32(fp[Y1]), n, EXPR, check)
/* The same at the i32 address `addr` (the _A forms add Y2 to it first). */
#define V_LOAD_ADDR(addr, n, EXPR, check)                                      \
    {                                                                          \
        uint64_t ea = (uint64_t)(addr) + (uint32_t)X2;                         \
        if (check) {                                                           \
            SW_BOUNDS(ea, n);                                                  \
        }                                                                      \
        simd_v v = {.u64 = {0, 0}};                                            \
        guest_read(&v, mem + ea, n);                                           \
        SV_PUT(X1, EXPR);                                                      \
        NEXT(3);                                                               \
    }
#define V_LOAD(id, n, EXPR)                                                    \
    CASE(id) V_LOAD_AT(n, EXPR, 0)                                             \
    CASE(id##_SW) V_LOAD_AT(n, EXPR, 1)

/* v128.store: [op][x=addr y=val][x=offset], high half first (see above). */
#define V_STORE_AT(check) V_STORE_ADDR(g_u32(fp[X1]), check)
#define V_STORE_ADDR(addr, check)                                              \
    {                                                                          \
        uint64_t ea = (uint64_t)(addr) + (uint32_t)X2;                         \
        if (check) {                                                           \
            SW_BOUNDS(ea, 16);                                                 \
        }                                                                      \
        uint64_t lo = fp[Y1], hi = fp[Y1 + 1];                                 \
        guest_write(mem + ea + 8, &hi, 8);                                     \
        __asm__ volatile("" ::: "memory");                                     \
        guest_write(mem + ea, &lo, 8);                                         \
        NEXT(3);                                                               \
    }

/* Lane loads [op][x=dst y=addr][x=offset y=val][x=lane] and lane stores
 * [op][x=addr y=val][x=offset y=lane]: n bytes, lane `lane` of width n. */
#define V_LOAD_LANE_AT(n, check)                                               \
    {                                                                          \
        uint64_t ea = (uint64_t)g_u32(fp[Y1]) + (uint32_t)X2;                  \
        if (check) {                                                           \
            SW_BOUNDS(ea, n);                                                  \
        }                                                                      \
        simd_v v = SV(Y2);                                                     \
        guest_read(&v.u8[(uint32_t)X3 * (n)], mem + ea, n);                    \
        SV_PUT(X1, v);                                                         \
        NEXT(4);                                                               \
    }
#define V_STORE_LANE_AT(n, check)                                              \
    {                                                                          \
        uint64_t ea = (uint64_t)g_u32(fp[X1]) + (uint32_t)X2;                  \
        if (check) {                                                           \
            SW_BOUNDS(ea, n);                                                  \
        }                                                                      \
        simd_v v = SV(Y1);                                                     \
        guest_write(mem + ea, &v.u8[(uint32_t)Y2 * (n)], n);                   \
        NEXT(3);                                                               \
    }
#define V_LANE_MEM(n)                                                          \
    CASE(V128_LOAD##n##_LANE) V_LOAD_LANE_AT((n) / 8, 0)                       \
    CASE(V128_LOAD##n##_LANE_SW) V_LOAD_LANE_AT((n) / 8, 1)                    \
    CASE(V128_STORE##n##_LANE) V_STORE_LANE_AT((n) / 8, 0)                     \
    CASE(V128_STORE##n##_LANE_SW) V_STORE_LANE_AT((n) / 8, 1)

/* ---- memory ---- */
V_LOAD(V128_LOAD, 16, v)
V_LOAD(V128_LOAD8X8_S, 8, simd_i16x8_extend_s(v, 0))
V_LOAD(V128_LOAD8X8_U, 8, simd_i16x8_extend_u(v, 0))
V_LOAD(V128_LOAD16X4_S, 8, simd_i32x4_extend_s(v, 0))
V_LOAD(V128_LOAD16X4_U, 8, simd_i32x4_extend_u(v, 0))
V_LOAD(V128_LOAD32X2_S, 8, simd_i64x2_extend_s(v, 0))
V_LOAD(V128_LOAD32X2_U, 8, simd_i64x2_extend_u(v, 0))
V_LOAD(V128_LOAD8_SPLAT, 1, simd_i8x16_splat(v.u8[0]))
V_LOAD(V128_LOAD16_SPLAT, 2, simd_i16x8_splat(v.u16[0]))
V_LOAD(V128_LOAD32_SPLAT, 4, simd_i32x4_splat(v.u32[0]))
V_LOAD(V128_LOAD64_SPLAT, 8, simd_i64x2_splat(v.u64[0]))
V_LOAD(V128_LOAD32_ZERO, 4, v)
V_LOAD(V128_LOAD64_ZERO, 8, v)
CASE(V128_STORE) V_STORE_AT(0)
CASE(V128_STORE_SW) V_STORE_AT(1)
/* The _A forms (code.h, CMP_ADDR_FUSABLE): the address is a + b (i32). */
CASE(V128_LOAD_A) V_LOAD_ADDR(g_u32(fp[Y1]) + g_u32(fp[Y2]), 16, v, 0)
CASE(V128_LOAD_A_SW) V_LOAD_ADDR(g_u32(fp[Y1]) + g_u32(fp[Y2]), 16, v, 1)
CASE(V128_STORE_A) V_STORE_ADDR(g_u32(fp[X1]) + g_u32(fp[Y2]), 0)
CASE(V128_STORE_A_SW) V_STORE_ADDR(g_u32(fp[X1]) + g_u32(fp[Y2]), 1)
V_LANE_MEM(8)
V_LANE_MEM(16)
V_LANE_MEM(32)
V_LANE_MEM(64)

/* v128.const is a constant slot pair (code.h, Frames), never an instruction. */
CASE(V128_CONST) goto bad_code;

/* ---- shuffles, splats, lanes ---- */
/* [op][x=dst y=a][x=b][16 lane indexes (2 cells)]. */
CASE(I8X16_SHUFFLE) {
    simd_v a = SV(Y1), b = SV(X2);
    SV_PUT(X1, simd_shuffle(a, b, (const uint8_t *)(const void *)&pc[3]));
    NEXT(5);
}
V_BIN(I8X16_SWIZZLE, swizzle)
V_SPLAT(I8X16_SPLAT, i8x16_splat, uint8_t)
V_SPLAT(I16X8_SPLAT, i16x8_splat, uint16_t)
V_SPLAT(I32X4_SPLAT, i32x4_splat, uint32_t)
V_SPLAT(I64X2_SPLAT, i64x2_splat, uint64_t)
V_SPLAT(F32X4_SPLAT, i32x4_splat, uint32_t)
V_SPLAT(F64X2_SPLAT, i64x2_splat, uint64_t)
V_EXTRACT(I8X16_EXTRACT_LANE_S, i8, (uint32_t)(int32_t))
V_EXTRACT(I8X16_EXTRACT_LANE_U, u8, (uint32_t))
V_EXTRACT(I16X8_EXTRACT_LANE_S, i16, (uint32_t)(int32_t))
V_EXTRACT(I16X8_EXTRACT_LANE_U, u16, (uint32_t))
V_EXTRACT(I32X4_EXTRACT_LANE, u32, (uint64_t))
V_EXTRACT(I64X2_EXTRACT_LANE, u64, (uint64_t))
V_EXTRACT(F32X4_EXTRACT_LANE, u32, (uint64_t))
V_EXTRACT(F64X2_EXTRACT_LANE, u64, (uint64_t))
V_REPLACE(I8X16_REPLACE_LANE, u8)
V_REPLACE(I16X8_REPLACE_LANE, u16)
V_REPLACE(I32X4_REPLACE_LANE, u32)
V_REPLACE(I64X2_REPLACE_LANE, u64)
V_REPLACE(F32X4_REPLACE_LANE, u32)
V_REPLACE(F64X2_REPLACE_LANE, u64)

/* ---- bitwise ---- */
V_UN(V128_NOT, not)
V_BIN(V128_AND, and)
V_BIN(V128_ANDNOT, andnot)
V_BIN(V128_OR, or)
V_BIN(V128_XOR, xor)
/* [op][x=dst y=a][x=b y=c]. */
CASE(V128_BITSELECT) {
    simd_v a = SV(Y1), b = SV(X2), c = SV(Y2);
    SV_PUT(X1, simd_bitselect(a, b, c));
    NEXT(3);
}
V_TEST(V128_ANY_TRUE, any_true)

/* ---- compares ---- */
#define V_CMP_INT(s, S)                                                        \
    V_BIN(S##_EQ, s##_eq) V_BIN(S##_NE, s##_ne) V_BIN(S##_LT_S, s##_lt_s)      \
    V_BIN(S##_LT_U, s##_lt_u) V_BIN(S##_GT_S, s##_gt_s) V_BIN(S##_GT_U, s##_gt_u) \
    V_BIN(S##_LE_S, s##_le_s) V_BIN(S##_LE_U, s##_le_u) V_BIN(S##_GE_S, s##_ge_s) \
    V_BIN(S##_GE_U, s##_ge_u)
V_CMP_INT(i8x16, I8X16)
V_CMP_INT(i16x8, I16X8)
V_CMP_INT(i32x4, I32X4)
V_BIN(I64X2_EQ, i64x2_eq)
V_BIN(I64X2_NE, i64x2_ne)
V_BIN(I64X2_LT_S, i64x2_lt_s)
V_BIN(I64X2_GT_S, i64x2_gt_s)
V_BIN(I64X2_LE_S, i64x2_le_s)
V_BIN(I64X2_GE_S, i64x2_ge_s)
#define V_CMP_FLOAT(s, S)                                                      \
    V_BIN(S##_EQ, s##_eq) V_BIN(S##_NE, s##_ne) V_BIN(S##_LT, s##_lt)          \
    V_BIN(S##_GT, s##_gt) V_BIN(S##_LE, s##_le) V_BIN(S##_GE, s##_ge)
V_CMP_FLOAT(f32x4, F32X4)
V_CMP_FLOAT(f64x2, F64X2)

/* ---- integer arithmetic ---- */
#define V_INT_COMMON(s, S)                                                     \
    V_UN(S##_ABS, s##_abs) V_UN(S##_NEG, s##_neg) V_TEST(S##_ALL_TRUE, s##_all_true) \
    V_TEST(S##_BITMASK, s##_bitmask) V_SHIFT(S##_SHL, s##_shl)                 \
    V_SHIFT(S##_SHR_S, s##_shr_s) V_SHIFT(S##_SHR_U, s##_shr_u)                \
    V_BIN(S##_ADD, s##_add) V_BIN(S##_SUB, s##_sub)
V_INT_COMMON(i8x16, I8X16)
V_INT_COMMON(i16x8, I16X8)
V_INT_COMMON(i32x4, I32X4)
V_INT_COMMON(i64x2, I64X2)
#define V_SAT_AVG_MINMAX(s, S)                                                 \
    V_BIN(S##_ADD_SAT_S, s##_add_sat_s) V_BIN(S##_ADD_SAT_U, s##_add_sat_u)    \
    V_BIN(S##_SUB_SAT_S, s##_sub_sat_s) V_BIN(S##_SUB_SAT_U, s##_sub_sat_u)    \
    V_BIN(S##_AVGR_U, s##_avgr_u) V_BIN(S##_MIN_S, s##_min_s)                  \
    V_BIN(S##_MIN_U, s##_min_u) V_BIN(S##_MAX_S, s##_max_s) V_BIN(S##_MAX_U, s##_max_u)
V_SAT_AVG_MINMAX(i8x16, I8X16)
V_SAT_AVG_MINMAX(i16x8, I16X8)
V_BIN(I32X4_MIN_S, i32x4_min_s)
V_BIN(I32X4_MIN_U, i32x4_min_u)
V_BIN(I32X4_MAX_S, i32x4_max_s)
V_BIN(I32X4_MAX_U, i32x4_max_u)
V_BIN(I16X8_MUL, i16x8_mul)
V_BIN(I32X4_MUL, i32x4_mul)
V_BIN(I64X2_MUL, i64x2_mul)
V_UN(I8X16_POPCNT, i8x16_popcnt)
V_BIN(I16X8_Q15MULR_SAT_S, i16x8_q15mulr_sat_s)
V_BIN(I32X4_DOT_I16X8_S, i32x4_dot_i16x8_s)

/* ---- narrowing, widening, extended multiplication ---- */
V_BIN(I8X16_NARROW_I16X8_S, i8x16_narrow_i16x8_s)
V_BIN(I8X16_NARROW_I16X8_U, i8x16_narrow_i16x8_u)
V_BIN(I16X8_NARROW_I32X4_S, i16x8_narrow_i32x4_s)
V_BIN(I16X8_NARROW_I32X4_U, i16x8_narrow_i32x4_u)
#define V_WIDEN(S, s, F)                                                       \
    V_UN_HALF(S##_EXTEND_LOW_##F##_S, s##_extend_s, 0)                         \
    V_UN_HALF(S##_EXTEND_HIGH_##F##_S, s##_extend_s, 1)                        \
    V_UN_HALF(S##_EXTEND_LOW_##F##_U, s##_extend_u, 0)                         \
    V_UN_HALF(S##_EXTEND_HIGH_##F##_U, s##_extend_u, 1)                        \
    V_BIN_HALF(S##_EXTMUL_LOW_##F##_S, s##_extmul_s, 0)                        \
    V_BIN_HALF(S##_EXTMUL_HIGH_##F##_S, s##_extmul_s, 1)                       \
    V_BIN_HALF(S##_EXTMUL_LOW_##F##_U, s##_extmul_u, 0)                        \
    V_BIN_HALF(S##_EXTMUL_HIGH_##F##_U, s##_extmul_u, 1)
V_WIDEN(I16X8, i16x8, I8X16)
V_WIDEN(I32X4, i32x4, I16X8)
V_WIDEN(I64X2, i64x2, I32X4)
V_UN(I16X8_EXTADD_PAIRWISE_I8X16_S, i16x8_extadd_pairwise_i8x16_s)
V_UN(I16X8_EXTADD_PAIRWISE_I8X16_U, i16x8_extadd_pairwise_i8x16_u)
V_UN(I32X4_EXTADD_PAIRWISE_I16X8_S, i32x4_extadd_pairwise_i16x8_s)
V_UN(I32X4_EXTADD_PAIRWISE_I16X8_U, i32x4_extadd_pairwise_i16x8_u)

/* ---- float arithmetic ---- */
#define V_FLOAT(s, S)                                                          \
    V_UN(S##_ABS, s##_abs) V_UN(S##_NEG, s##_neg) V_UN(S##_SQRT, s##_sqrt)     \
    V_BIN(S##_ADD, s##_add) V_BIN(S##_SUB, s##_sub) V_BIN(S##_MUL, s##_mul)    \
    V_BIN(S##_DIV, s##_div) V_BIN(S##_MIN, s##_min) V_BIN(S##_MAX, s##_max)    \
    V_BIN(S##_PMIN, s##_pmin) V_BIN(S##_PMAX, s##_pmax) V_UN(S##_CEIL, s##_ceil) \
    V_UN(S##_FLOOR, s##_floor) V_UN(S##_TRUNC, s##_trunc) V_UN(S##_NEAREST, s##_nearest)
V_FLOAT(f32x4, F32X4)
V_FLOAT(f64x2, F64X2)

/* ---- conversions ---- */
V_UN(I32X4_TRUNC_SAT_F32X4_S, i32x4_trunc_sat_f32x4_s)
V_UN(I32X4_TRUNC_SAT_F32X4_U, i32x4_trunc_sat_f32x4_u)
V_UN(F32X4_CONVERT_I32X4_S, f32x4_convert_i32x4_s)
V_UN(F32X4_CONVERT_I32X4_U, f32x4_convert_i32x4_u)
V_UN(I32X4_TRUNC_SAT_F64X2_S_ZERO, i32x4_trunc_sat_f64x2_s_zero)
V_UN(I32X4_TRUNC_SAT_F64X2_U_ZERO, i32x4_trunc_sat_f64x2_u_zero)
V_UN(F64X2_CONVERT_LOW_I32X4_S, f64x2_convert_low_i32x4_s)
V_UN(F64X2_CONVERT_LOW_I32X4_U, f64x2_convert_low_i32x4_u)
V_UN(F32X4_DEMOTE_F64X2_ZERO, f32x4_demote_f64x2_zero)
V_UN(F64X2_PROMOTE_LOW_F32X4, f64x2_promote_low_f32x4)

/* ---- v128 values outside the 0xFD page (code.h, CMP_INTERNAL) ---- */
CASE(GLOBAL_GET_V128) {
    memcpy(fp + X1, inst->globals[Y1]->value.v128, 16);
    NEXT(2);
}
CASE(GLOBAL_SET_V128) {
    memcpy(inst->globals[Y1]->value.v128, fp + X1, 16);
    NEXT(2);
}
/* [op][x=dst y=cond][x=a y=b]. */
CASE(SELECT_V128) {
    simd_v v = g_u32(fp[Y1]) ? SV(X2) : SV(Y2);
    SV_PUT(X1, v);
    NEXT(3);
}

#undef SV
#undef SV_PUT
#undef V_UN
#undef V_UN_HALF
#undef V_BIN
#undef V_BIN_HALF
#undef V_SHIFT
#undef V_TEST
#undef V_SPLAT
#undef V_EXTRACT
#undef V_REPLACE
#undef V_LOAD_AT
#undef V_LOAD_ADDR
#undef V_LOAD
#undef V_STORE_AT
#undef V_STORE_ADDR
#undef V_LOAD_LANE_AT
#undef V_STORE_LANE_AT
#undef V_LANE_MEM
#undef V_CMP_INT
#undef V_CMP_FLOAT
#undef V_INT_COMMON
#undef V_SAT_AVG_MINMAX
#undef V_WIDEN
#undef V_FLOAT

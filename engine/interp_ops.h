/*
 * interp_ops.h -- the bodies of the interpreter's instructions, included once,
 * inside the dispatch loop of interp.c (which defines CASE, NEXT, TRAP, the
 * operand fields X1..Y3 and the loop's registers: pc, fp, inst, mem, memory).
 * Operand layouts are the ones drawn in code.h.  Every handler reads all its
 * operands before it writes its result: the result slot may be an operand's.
 */

/* ---- families ------------------------------------------------------------ */

#define UN(id, T, G, P, expr)      \
    CASE(id) {                     \
        T a = G(fp[Y1]);           \
        fp[X1] = P(expr);          \
        NEXT(2);                   \
    }
#define BIN(id, T, G, P, expr)     \
    CASE(id) {                     \
        T a = G(fp[Y1]);           \
        T b = G(fp[X2]);           \
        fp[X1] = P(expr);          \
        NEXT(3);                   \
    }
#define I32_BIN(id, expr) BIN(id, uint32_t, g_u32, p_u32, expr)
#define I64_BIN(id, expr) BIN(id, uint64_t, g_u64, p_u64, expr)
#define F32_BIN(id, expr) BIN(id, float, g_f32, p_f32, expr)
#define F64_BIN(id, expr) BIN(id, double, g_f64, p_f64, expr)
#define F32_CMP(id, expr) BIN(id, float, g_f32, p_u32, expr)
#define F64_CMP(id, expr) BIN(id, double, g_f64, p_u32, expr)
#define INT_CMP(id, T, G, expr) BIN(id, T, G, p_u32, expr)

/* The integer compares, once: (id, operand type, slot getter, test).  Each
 * runs as a plain compare, a fused compare-and-branch, a select on the
 * compare and (i32) an add-compare-and-branch. */
#define INT_COMPARES_I32(X)                                                   \
    X(I32_EQ, uint32_t, g_u32, a == b)                                        \
    X(I32_NE, uint32_t, g_u32, a != b)                                        \
    X(I32_LT_S, int32_t, g_i32, a < b)                                        \
    X(I32_LT_U, uint32_t, g_u32, a < b)                                       \
    X(I32_GT_S, int32_t, g_i32, a > b)                                        \
    X(I32_GT_U, uint32_t, g_u32, a > b)                                       \
    X(I32_LE_S, int32_t, g_i32, a <= b)                                       \
    X(I32_LE_U, uint32_t, g_u32, a <= b)                                      \
    X(I32_GE_S, int32_t, g_i32, a >= b)                                       \
    X(I32_GE_U, uint32_t, g_u32, a >= b)
#define INT_COMPARES_I64(X)                                                   \
    X(I64_EQ, uint64_t, g_u64, a == b)                                        \
    X(I64_NE, uint64_t, g_u64, a != b)                                        \
    X(I64_LT_S, int64_t, g_i64, a < b)                                        \
    X(I64_LT_U, uint64_t, g_u64, a < b)                                       \
    X(I64_GT_S, int64_t, g_i64, a > b)                                        \
    X(I64_GT_U, uint64_t, g_u64, a > b)                                       \
    X(I64_LE_S, int64_t, g_i64, a <= b)                                       \
    X(I64_LE_U, uint64_t, g_u64, a <= b)                                      \
    X(I64_GE_S, int64_t, g_i64, a >= b)                                       \
    X(I64_GE_U, uint64_t, g_u64, a >= b)

/* Fused compare-and-branch: [op][x=a y=b][x=off]. */
#define BR_CMP(id, T, G, expr)                 \
    CASE(BR_##id) {                            \
        T a = G(fp[X1]);                       \
        T b = G(fp[Y1]);                       \
        if (expr) {                            \
            pc += 2 + X2;                      \
            POLL();                            \
            DISPATCH();                        \
        }                                      \
        NEXT(3);                               \
    }

/* i32.add, then a fused compare-and-branch on its result:
 * [op][x=dst y=a][x=b y=c][x=off]. */
#define ADD_BR_CMP(id, T, G, expr)             \
    CASE(ADD_BR_##id)                          \
    add_br_##id: __attribute__((unused));      \
    {                                          \
        uint32_t s = g_u32(fp[Y1]) + g_u32(fp[X2]); \
        fp[X1] = p_u32(s);                     \
        T a = G(s);                            \
        T b = G(fp[Y2]);                       \
        if (expr) {                            \
            pc += 3 + X3;                      \
            POLL();                            \
            DISPATCH();                        \
        }                                      \
        NEXT(4);                               \
    }

/* Pairs of binary ops (code.h, CMP_PAIRS): [op][x=dst y=a][x=b y=c].  Each
 * EV_<op> computes an op on slot bits.  Where the compiler may contract
 * a * b + c into one fused multiply-add (gcc does across statements when the
 * target has FMA), the product is forced out first: wasm rounds twice. */
#define EV_F64_ADD(a, b) p_f64(g_f64(a) + g_f64(b))
#define EV_F64_SUB(a, b) p_f64(g_f64(a) - g_f64(b))
#define EV_F64_MUL(a, b) p_f64(g_f64(a) * g_f64(b))
#define EV_F64_DIV(a, b) p_f64(g_f64(a) / g_f64(b))
#define EV_I32_ADD(a, b) p_u32(g_u32(a) + g_u32(b))
#define EV_I32_SUB(a, b) p_u32(g_u32(a) - g_u32(b))
#define EV_I32_MUL(a, b) p_u32(g_u32(a) * g_u32(b))
#define EV_I32_AND(a, b) p_u32(g_u32(a) & g_u32(b))
#define EV_I32_XOR(a, b) p_u32(g_u32(a) ^ g_u32(b))
#define EV_I32_SHL(a, b) p_u32(g_u32(a) << (g_u32(b) & 31))
#define EV_I32_SHR_U(a, b) p_u32(g_u32(a) >> (g_u32(b) & 31))
#define EV_I64_ADD(a, b) ((a) + (b))
#define EV_I64_MUL(a, b) ((a) * (b))
#define EV_I64_XOR(a, b) ((a) ^ (b))
#define EV_I64_SHL(a, b) ((a) << ((b) & 63))
#define EV_I64_SHR_U(a, b) ((a) >> ((b) & 63))
#define PAIR(o1, o2)                                           \
    CASE(P_##o1##_##o2##_L) {                                  \
        uint64_t t = interp_rounded(EV_##o1(fp[Y1], fp[X2]));  \
        fp[X1] = EV_##o2(t, fp[Y2]);                           \
        NEXT(3);                                               \
    }                                                          \
    CASE(P_##o1##_##o2##_R) {                                  \
        uint64_t t = interp_rounded(EV_##o1(fp[Y1], fp[X2]));  \
        fp[X1] = EV_##o2(fp[Y2], t);                           \
        NEXT(3);                                               \
    }

/* select on a fused integer compare: [op][x=dst y=a][x=c y=d][x=b y=w].
 * The compare's result goes to w first, as the compare wrote it (a dead temp,
 * or a local it was tee'd to, which a or b may read after). */
#define SEL_CMP(id, T, G, expr)                \
    CASE(SEL_##id) {                           \
        T a = G(fp[X2]);                       \
        T b = G(fp[Y2]);                       \
        uint32_t r = (expr);                   \
        fp[Y3] = r;                            \
        fp[X1] = r ? fp[Y1] : fp[X3];          \
        NEXT(4);                               \
    }

/* Loads and stores: [op][x=dst|addr y=addr|val][x=offset].  Guard mode adds
 * the u32 address and offset to the base unchecked (the reservation covers
 * every sum); the _SW twin checks against the current size first.  The bytes
 * move through engine/guest_access.h, which TSan builds exempt from checking.
 * The _A variants add a second i32 operand (Y2) to the address first.
 * SW_BOUNDS is every _SW twin's check: `n` bytes at ea within the size. */
#define SW_BOUNDS(ea, n)                                                       \
    if (WEFT_UNLIKELY((ea) + (n) > mem_size(memory)))                          \
        TRAP(OOB_MEMORY)
#define LOAD_AT(T, P, addr, n)                                                 \
    {                                                                          \
        T v;                                                                   \
        guest_read(&v, mem + (uint64_t)(addr) + (uint32_t)X2, sizeof v);      \
        fp[X1] = P;                                                            \
        NEXT(n);                                                               \
    }
#define LOAD_AT_SW(T, P, addr, n)                                              \
    {                                                                          \
        uint64_t ea = (uint64_t)(addr) + (uint32_t)X2;                         \
        SW_BOUNDS(ea, sizeof(T));                                              \
        T v;                                                                   \
        guest_read(&v, mem + ea, sizeof v);                                    \
        fp[X1] = P;                                                            \
        NEXT(n);                                                               \
    }
/* The i32 address base + (index << k) of the _S variants, which also write
 * it to the pair's slot, y of cell 3: a dead temp, or the local a tee kept it
 * in (a store's value is read after, as it was). */
#define SCALED(base) (g_u32(fp[base]) + (g_u32(fp[Y2]) << (g_u32(fp[X3]) & 31)))
#define SCALED_SET(base)                                                       \
    uint32_t ad = SCALED(base);                                                \
    fp[Y3] = p_u32(ad)
#define LOAD(id, T, P)                                                         \
    CASE(id) LOAD_AT(T, P, g_u32(fp[Y1]), 3)                                   \
    CASE(id##_SW) LOAD_AT_SW(T, P, g_u32(fp[Y1]), 3)                           \
    CASE(id##_A) LOAD_AT(T, P, g_u32(fp[Y1]) + g_u32(fp[Y2]), 3)              \
    CASE(id##_A_SW) LOAD_AT_SW(T, P, g_u32(fp[Y1]) + g_u32(fp[Y2]), 3)
#define LOAD_S(id, T)                                                          \
    CASE(id##_S) {                                                             \
        SCALED_SET(Y1);                                                        \
        LOAD_AT(T, v, ad, 4)                                                   \
    }                                                                          \
    CASE(id##_S_SW) {                                                          \
        SCALED_SET(Y1);                                                        \
        LOAD_AT_SW(T, v, ad, 4)                                                \
    }
#define STORE_AT(T, addr, n) STORE_VAL(T, addr, fp[Y1], n)
#define STORE_VAL(T, addr, val, n)                                             \
    {                                                                          \
        T v = (T)(val);                                                        \
        guest_write(mem + (uint64_t)(addr) + (uint32_t)X2, &v, sizeof v);     \
        NEXT(n);                                                               \
    }
#define STORE_AT_SW(T, addr, n) STORE_VAL_SW(T, addr, fp[Y1], n)
#define STORE_VAL_SW(T, addr, val, n)                                          \
    {                                                                          \
        uint64_t ea = (uint64_t)(addr) + (uint32_t)X2;                         \
        SW_BOUNDS(ea, sizeof(T));                                              \
        T v = (T)(val);                                                        \
        guest_write(mem + ea, &v, sizeof v);                                   \
        NEXT(n);                                                               \
    }
#define STORE(id, T)                                                           \
    CASE(id) STORE_AT(T, g_u32(fp[X1]), 3)                                     \
    CASE(id##_SW) STORE_AT_SW(T, g_u32(fp[X1]), 3)                             \
    CASE(id##_A) STORE_AT(T, g_u32(fp[X1]) + g_u32(fp[Y2]), 3)                \
    CASE(id##_A_SW) STORE_AT_SW(T, g_u32(fp[X1]) + g_u32(fp[Y2]), 3)
#define STORE_S(id, T)                                                         \
    CASE(id##_S) {                                                             \
        SCALED_SET(X1);                                                        \
        STORE_AT(T, ad, 4)                                                     \
    }                                                                          \
    CASE(id##_S_SW) {                                                          \
        SCALED_SET(X1);                                                        \
        STORE_AT_SW(T, ad, 4)                                                  \
    }

/* The fused binop-and-store and binop-on-a-load (code.h, CMP_STORE_FUSABLE
 * and CMP_MEM_FUSABLE), with the memory type of their store or load. */
#define MT_I32_STORE uint32_t
#define MT_I64_STORE uint64_t
#define MT_F64_STORE uint64_t
#define MT_I32_LOAD uint32_t
#define MT_I64_LOAD uint64_t
#define MT_F64_LOAD uint64_t
#define OP_ST(id, st)                                                          \
    CASE(id##_ST) STORE_VAL(MT_##st, g_u32(fp[X1]), EV_##id(fp[Y1], fp[Y2]), 3) \
    CASE(id##_ST_SW) STORE_VAL_SW(MT_##st, g_u32(fp[X1]), EV_##id(fp[Y1], fp[Y2]), 3)
#define OP_M(id, ld)                                                           \
    CASE(id##_M) LOAD_AT(MT_##ld, EV_##id(fp[Y1], (uint64_t)v), g_u32(fp[Y2]), 3) \
    CASE(id##_M_SW) LOAD_AT_SW(MT_##ld, EV_##id(fp[Y1], (uint64_t)v), g_u32(fp[Y2]), 3) \
    CASE(id##_MA) LOAD_AT(MT_##ld, EV_##id(fp[Y1], (uint64_t)v),                \
                          g_u32(fp[Y2]) + g_u32(fp[X3]), 4)                     \
    CASE(id##_MA_SW) LOAD_AT_SW(MT_##ld, EV_##id(fp[Y1], (uint64_t)v),          \
                                (uint32_t)(g_u32(fp[Y2]) + g_u32(fp[X3])), 4)

/* Load, op, store back to the same place (code.h, CMP_MST_FUSABLE):
 * [op][x=addr y=b][x=offset].  MST_<op>(m, b) keeps the operand order of the
 * unfused code: m - b for sub, b + m for the adds (as _M has it). */
#define MST_F64_ADD(m, b) EV_F64_ADD(b, m)
#define MST_F64_SUB(m, b) EV_F64_SUB(m, b)
#define MST_I32_ADD(m, b) EV_I32_ADD(b, m)
#define MST_I64_ADD(m, b) EV_I64_ADD(b, m)
#define MST_AT(id, st, ea, n)                                                  \
    {                                                                          \
        MT_##st v;                                                             \
        guest_read(&v, mem + (ea), sizeof v);                                  \
        v = (MT_##st)MST_##id((uint64_t)v, fp[Y1]);                            \
        guest_write(mem + (ea), &v, sizeof v);                                 \
        NEXT(n);                                                               \
    }
/* The _A forms first write the address add's result `ad` where the add did
 * (the op's operands are read after it, as they were after the add), and
 * address with the value itself, not a reload of the slot. */
#define MST_ADDR_SET(p, q)                                                     \
    uint32_t ad = g_u32(fp[p]) + g_u32(fp[q]);                                 \
    fp[X1] = p_u32(ad)
#define OP_MST(id, st)                                                         \
    CASE(id##_MST) MST_AT(id, st, (uint64_t)g_u32(fp[X1]) + (uint32_t)X2, 3)   \
    CASE(id##_MST_SW) {                                                        \
        uint64_t ea = (uint64_t)g_u32(fp[X1]) + (uint32_t)X2;                  \
        SW_BOUNDS(ea, sizeof(MT_##st));                                        \
        MST_AT(id, st, ea, 3)                                                  \
    }                                                                          \
    CASE(id##_MST_A) {                                                         \
        MST_ADDR_SET(Y2, X3);                                                  \
        MST_AT(id, st, (uint64_t)ad + (uint32_t)X2, 4)                         \
    }                                                                          \
    CASE(id##_MST_A_SW) {                                                      \
        MST_ADDR_SET(Y2, X3);                                                  \
        uint64_t ea = (uint64_t)ad + (uint32_t)X2;                             \
        SW_BOUNDS(ea, sizeof(MT_##st));                                        \
        MST_AT(id, st, ea, 4)                                                  \
    }

/* ID_MST on a product of three (code.h, CMP_MM_MST_FUSABLE):
 * [op][x=addr y=a][x=offset y=b][x=c].  Both products are rounded, as the
 * unfused pair and op round them. */
#define MM_MST_AT(id, ea, n)                                                   \
    {                                                                          \
        uint64_t p = interp_rounded(EV_F64_MUL(fp[Y1], fp[Y2]));               \
        p = interp_rounded(EV_F64_MUL(p, fp[X3]));                             \
        uint64_t v;                                                            \
        guest_read(&v, mem + (ea), sizeof v);                                  \
        v = MST_##id(v, p);                                                    \
        guest_write(mem + (ea), &v, sizeof v);                                 \
        NEXT(n);                                                               \
    }
#define OP_MM_MST(id)                                                          \
    CASE(id##_MM_MST) MM_MST_AT(id, (uint64_t)g_u32(fp[X1]) + (uint32_t)X2, 4) \
    CASE(id##_MM_MST_SW) {                                                     \
        uint64_t ea = (uint64_t)g_u32(fp[X1]) + (uint32_t)X2;                  \
        SW_BOUNDS(ea, sizeof(uint64_t));                                       \
        MM_MST_AT(id, ea, 4)                                                   \
    }                                                                          \
    CASE(id##_MM_MST_A) {                                                      \
        MST_ADDR_SET(Y3, X4);                                                  \
        MM_MST_AT(id, (uint64_t)ad + (uint32_t)X2, 5)                          \
    }                                                                          \
    CASE(id##_MM_MST_A_SW) {                                                   \
        MST_ADDR_SET(Y3, X4);                                                  \
        uint64_t ea = (uint64_t)ad + (uint32_t)X2;                             \
        SW_BOUNDS(ea, sizeof(uint64_t));                                       \
        MM_MST_AT(id, ea, 5)                                                   \
    }

/* A fused-address store, then the ADD_BR_<cmp> whose operand cells follow the
 * store's (code.h, CMP_STORE_BR_FUSABLE): store, step over the store's cells
 * and go on as that instruction. */
#define MT_I32_STORE8 uint8_t
#define STORE_BR(st, cmp)                                                      \
    CASE(st##_A_ADD_BR_##cmp) {                                                \
        MT_##st v = (MT_##st)fp[Y1];                                           \
        uint32_t a = g_u32(fp[X1]) + g_u32(fp[Y2]);                            \
        guest_write(mem + (uint64_t)a + (uint32_t)X2, &v, sizeof v);           \
        pc += 2;                                                               \
        goto add_br_##cmp;                                                     \
    }                                                                          \
    CASE(st##_A_SW_ADD_BR_##cmp) {                                             \
        uint64_t ea = (uint64_t)(uint32_t)(g_u32(fp[X1]) + g_u32(fp[Y2])) + (uint32_t)X2; \
        SW_BOUNDS(ea, sizeof(MT_##st));                                        \
        MT_##st v = (MT_##st)fp[Y1];                                           \
        guest_write(mem + ea, &v, sizeof v);                                   \
        pc += 2;                                                               \
        goto add_br_##cmp;                                                     \
    }

/* Trapping float -> int: NaN is an invalid conversion, the rest overflow. */
#define TRUNC(id, TIN, GIN, TOUT, P, fn)           \
    CASE(id) {                                     \
        TIN a = GIN(fp[Y1]);                       \
        TOUT r;                                    \
        if (WEFT_UNLIKELY(!fn((double)a, &r))) {   \
            if (isnan(a))                          \
                TRAP(BAD_CONVERSION);              \
            TRAP(INT_OVERFLOW);                    \
        }                                          \
        fp[X1] = P(r);                             \
        NEXT(2);                                   \
    }

/* ---- instructions the translator never emits as such --------------------- */

CASE(NOP) CASE(BLOCK) CASE(LOOP) CASE(IF) CASE(ELSE) CASE(END) CASE(DROP) CASE(SELECT_T)
CASE(LOCAL_GET) CASE(LOCAL_SET) CASE(LOCAL_TEE) CASE(I32_CONST) CASE(I64_CONST)
CASE(F32_CONST) CASE(F64_CONST) CASE(REF_NULL)
    goto bad_code;

/* ---- control ------------------------------------------------------------ */

CASE(UNREACHABLE) TRAP(UNREACHABLE);

CASE(COPY) {
    fp[X1] = fp[Y1];
    NEXT(2);
}

CASE(COPY2) {
    fp[X1] = fp[Y1];
    fp[X2] = fp[Y2];
    NEXT(3);
}

CASE(COPY3) {
    fp[X1] = fp[Y1];
    fp[X2] = fp[Y2];
    fp[X3] = fp[Y3];
    NEXT(4);
}

CASE(BR) {
    pc += 1 + X1;
    POLL();
    DISPATCH();
}

CASE(BR_IF) {
    if (g_u32(fp[X1])) {
        pc += 1 + Y1;
        POLL();
        DISPATCH();
    }
    NEXT(2);
}

CASE(BR_UNLESS) {
    if (!g_u32(fp[X1])) {
        pc += 1 + Y1;
        POLL();
        DISPATCH();
    }
    NEXT(2);
}


INT_COMPARES_I32(INT_CMP)
INT_COMPARES_I64(INT_CMP)
INT_COMPARES_I32(BR_CMP)
INT_COMPARES_I64(BR_CMP)
INT_COMPARES_I32(ADD_BR_CMP)

/* An i32.load, then a branch on the loaded value (code.h, L_BR_<cmp>):
 * [op][x=dst y=addr][x=offset y=b][x=off].  b is never dst (the translator
 * sees to it), so every operand is read before the value is written: a store
 * to a slot could alias the code cells, as far as the compiler knows. */
#define L_BR_AT(id, T, G, expr, ea)                                            \
    {                                                                          \
        T b = G(fp[Y2]);                                                       \
        int32_t off = X3;                                                      \
        uint32_t v;                                                            \
        guest_read(&v, mem + (ea), sizeof v);                                  \
        fp[X1] = p_u32(v);                                                     \
        T a = G(p_u32(v));                                                     \
        (void)b;                                                               \
        if (expr) {                                                            \
            pc += 3 + off;                                                     \
            POLL();                                                            \
            DISPATCH();                                                        \
        }                                                                      \
        NEXT(4);                                                               \
    }
#define L_BR_CMP(id, T, G, expr)                                               \
    CASE(L_BR_##id) L_BR_AT(id, T, G, expr, (uint64_t)g_u32(fp[Y1]) + (uint32_t)X2) \
    CASE(L_BR_##id##_SW) {                                                     \
        uint64_t ea = (uint64_t)g_u32(fp[Y1]) + (uint32_t)X2;                  \
        SW_BOUNDS(ea, sizeof(uint32_t));                                       \
        L_BR_AT(id, T, G, expr, ea)                                            \
    }
INT_COMPARES_I32(L_BR_CMP)
L_BR_CMP(NZ, uint32_t, g_u32, a != 0)
L_BR_CMP(Z, uint32_t, g_u32, a == 0)
#undef L_BR_CMP
#undef L_BR_AT
INT_COMPARES_I32(SEL_CMP)
INT_COMPARES_I64(SEL_CMP)

/* i32.add and a br_if (or if) on the sum: [op][x=dst y=a][x=b][x=off]. */
#define ADD_BR_TEST(id, expr)                  \
    CASE(id) {                                 \
        uint32_t s = g_u32(fp[Y1]) + g_u32(fp[X2]); \
        fp[X1] = p_u32(s);                     \
        if (expr) {                            \
            pc += 3 + X3;                      \
            POLL();                            \
            DISPATCH();                        \
        }                                      \
        NEXT(4);                               \
    }
ADD_BR_TEST(ADD_BR_NZ, s != 0)
ADD_BR_TEST(ADD_BR_Z, s == 0)
#undef ADD_BR_TEST

CMP_PAIRS(PAIR)


CASE(BR_TABLE) {
    uint32_t i = g_u32(fp[X1]);
    uint32_t n = (uint32_t)Y1;
    pc += 2 + (i < n ? i : n);
    pc += pc->s.x;
    POLL();
    DISPATCH();
}

/* The index is a byte of memory (a bytecode interpreter's dispatch); the
 * table starts at cell `first`. */
#define BR_TABLE_AT(ea, first)                                                 \
    {                                                                          \
        uint8_t i;                                                             \
        guest_read(&i, mem + (ea), 1);                                         \
        uint32_t n = (uint32_t)Y1;                                             \
        pc += (first) + (i < n ? i : n);                                       \
        pc += pc->s.x;                                                         \
        POLL();                                                                \
        DISPATCH();                                                            \
    }
#define BR_TABLE_EA ((uint64_t)g_u32(fp[X1]) + (uint32_t)X2)
/* The ADD_ forms add first: the load reads what the add wrote, as it did. */
#define BR_TABLE_ADD() (fp[Y2] = p_u32(g_u32(fp[X3]) + g_u32(fp[Y3])))
CASE(BR_TABLE_L8) BR_TABLE_AT(BR_TABLE_EA, 3)
CASE(BR_TABLE_L8_SW) {
    uint64_t ea = BR_TABLE_EA;
    SW_BOUNDS(ea, 1);
    BR_TABLE_AT(ea, 3)
}
CASE(ADD_BR_TABLE_L8) {
    BR_TABLE_ADD();
    BR_TABLE_AT(BR_TABLE_EA, 4)
}
CASE(ADD_BR_TABLE_L8_SW) {
    BR_TABLE_ADD();
    uint64_t ea = BR_TABLE_EA;
    SW_BOUNDS(ea, 1);
    BR_TABLE_AT(ea, 4)
}
#undef BR_TABLE_AT
#undef BR_TABLE_EA
#undef BR_TABLE_ADD

/* The one result goes to the slot the call names (code.h, Frames): its
 * temp, or the local a local.set after the call named.  The entry frame (no
 * return pc) leaves it in fp[0] for interp_invoke. */
#define RETURN_VALUE(v)                                                        \
    {                                                                          \
        const cmp_cell *rpc = rec->ret_pc;                                     \
        if (WEFT_LIKELY(rpc != NULL))                                          \
            rec[1].fp[rpc[-1].s.y] = (v);                                      \
        else                                                                   \
            fp[0] = (v);                                                       \
        goto ret;                                                              \
    }
CASE(RETURN1) {
    uint64_t v = fp[X1];
    RETURN_VALUE(v)
}
CASE(ADD_RETURN1) {
    uint64_t v = p_u32(g_u32(fp[X1]) + g_u32(fp[Y1]));
    RETURN_VALUE(v)
}
/* A compiled function (jit/jit.h): ENTER_FRAME has pushed its record and
 * set up its frame; the machine code runs it to its return and leaves its
 * results in fp[0..), where a single one is then sent on as RETURN1 does. */
CASE(JIT_ENTER) {
    st = jit_run(ctx, inst, fp, rec->code, err);
    if (WEFT_UNLIKELY(st != WEFT_OK))
        goto trap_st;
    if (rec->code->nresults == 1) {
        uint64_t v = fp[0];
        RETURN_VALUE(v)
    }
    goto ret;
}
#undef RETURN_VALUE
CASE(RETURN) goto ret;

/* The hottest call: same instance, code usually translated, so no instance
 * switch (CALL's `enter` in interp.c has one).  The x of the last cell, after
 * n COPYs' cells, is the byte offset of the code pointer in `codes` (code.h):
 * no index arithmetic. */
#define CALL_LOCAL_AT(n)                                                       \
    {                                                                          \
        struct cmp_code *_Atomic const *slot =                                 \
            (struct cmp_code *_Atomic const *)(const void *)((const char *)codes + \
                                                             (uint32_t)pc[2 + (n)].s.x); \
        const cmp_code *code = atomic_load_explicit(slot, memory_order_acquire); \
        uint64_t *cfp = fp + Y1;                                               \
        if (WEFT_UNLIKELY(!code)) {                                            \
            const cmp_code *got; /* code itself stays out of memory */         \
            st = cmp_get(inst->module, (uint32_t)X1 + inst->module->nfunc_imports, &got, \
                         err);                                                 \
            if (st != WEFT_OK)                                                 \
                goto trap_st;                                                  \
            code = got;                                                        \
        }                                                                      \
        ENTER_FRAME(code, cfp, inst, 3 + (n));                                 \
        DISPATCH();                                                            \
    }
CASE(CALL_LOCAL) CALL_LOCAL_AT(0)
/* The COPYs of the arguments just before taken in, run first, in order. */
CASE(CALL_LOCAL_C1) {
    fp[X2] = fp[Y2];
    CALL_LOCAL_AT(1)
}
CASE(CALL_LOCAL_C2) {
    fp[X2] = fp[Y2];
    fp[X3] = fp[Y3];
    CALL_LOCAL_AT(2)
}
CASE(CALL_LOCAL_C3) {
    fp[X2] = fp[Y2];
    fp[X3] = fp[Y3];
    fp[X4] = fp[Y4];
    CALL_LOCAL_AT(3)
}
#undef CALL_LOCAL_AT

CASE(CALL) {
    f = inst->funcs[X1];
    callee_fp = fp + Y1;
    len = 3;
    goto call_func;
}

CASE(CALL_INDIRECT) {
    weft_table *t = inst->tables[X2];
    uint32_t i = g_u32(fp[Y2]);
    if (WEFT_UNLIKELY(i >= t->size)) {
        st = err_set(err, WEFT_E_UNDEFINED_ELEMENT, WEFT_NO_OFFSET, "%u", i);
        goto trap_st;
    }
    f = t->elems[i];
    if (WEFT_UNLIKELY(!f)) {
        st = err_set(err, WEFT_E_UNINITIALIZED_ELEMENT, WEFT_NO_OFFSET, "%u", i);
        goto trap_st;
    }
    if (WEFT_UNLIKELY(f->sig != inst->sigs[X1]))
        TRAP(INDIRECT_MISMATCH);
    callee_fp = fp + Y1;
    len = 4;
    goto call_func;
}

CASE(SELECT) {
    fp[X1] = g_u32(fp[Y1]) ? fp[X2] : fp[Y2];
    NEXT(3);
}

/* ---- variables and references -------------------------------------------- */

CASE(GLOBAL_GET) {
    fp[X1] = inst->globals[Y1]->value.u64[0];
    NEXT(2);
}
CASE(GLOBAL_SET) {
    inst->globals[Y1]->value.u64[0] = fp[X1];
    NEXT(2);
}
CASE(REF_IS_NULL) {
    fp[X1] = fp[Y1] == 0;
    NEXT(2);
}
CASE(REF_FUNC) {
    fp[X1] = ref_bits(inst->funcs[Y1]);
    NEXT(2);
}

/* ---- memory ------------------------------------------------------------------ */

LOAD(I32_LOAD, uint32_t, v)
LOAD(I64_LOAD, uint64_t, v)
LOAD(F32_LOAD, uint32_t, v)
LOAD(F64_LOAD, uint64_t, v)
LOAD(I32_LOAD8_S, int8_t, (uint32_t)(int32_t)v)
LOAD(I32_LOAD8_U, uint8_t, v)
LOAD(I32_LOAD16_S, int16_t, (uint32_t)(int32_t)v)
LOAD(I32_LOAD16_U, uint16_t, v)
LOAD(I64_LOAD8_S, int8_t, (uint64_t)(int64_t)v)
LOAD(I64_LOAD8_U, uint8_t, v)
LOAD(I64_LOAD16_S, int16_t, (uint64_t)(int64_t)v)
LOAD(I64_LOAD16_U, uint16_t, v)
LOAD(I64_LOAD32_S, int32_t, (uint64_t)(int64_t)v)
LOAD(I64_LOAD32_U, uint32_t, v)
STORE(I32_STORE, uint32_t)
STORE(I64_STORE, uint64_t)
STORE(F32_STORE, uint32_t)
STORE(F64_STORE, uint64_t)
STORE(I32_STORE8, uint8_t)
STORE(I32_STORE16, uint16_t)
STORE(I64_STORE8, uint8_t)
STORE(I64_STORE16, uint16_t)
STORE(I64_STORE32, uint32_t)
CMP_STORE_FUSABLE(OP_ST)
CMP_MEM_FUSABLE(OP_M)
CMP_MST_FUSABLE(OP_MST)
CMP_MM_MST_FUSABLE(OP_MM_MST)
CMP_STORE_BR_FUSABLE(STORE_BR)
LOAD_S(I32_LOAD, uint32_t)
LOAD_S(I64_LOAD, uint64_t)
LOAD_S(F32_LOAD, uint32_t)
LOAD_S(F64_LOAD, uint64_t)
STORE_S(I32_STORE, uint32_t)
STORE_S(I64_STORE, uint64_t)
STORE_S(F32_STORE, uint32_t)
STORE_S(F64_STORE, uint64_t)

CASE(MEMORY_SIZE) {
    fp[X1] = (uint32_t)(mem_size(memory) / WASM_PAGE_SIZE);
    NEXT(2);
}
CASE(MEMORY_GROW) {
    fp[X1] = (uint32_t)(int32_t)mem_grow(memory, g_u32(fp[Y1]));
    NEXT(2);
}
/* Bulk operations check the whole range before writing anything. */
CASE(MEMORY_FILL) {
    uint64_t d = g_u32(fp[X1]), n = g_u32(fp[X2]);
    if (WEFT_UNLIKELY(!mem_in_bounds(memory, d, n)))
        TRAP(OOB_MEMORY);
    guest_fill(mem + d, (uint8_t)fp[Y1], n);
    NEXT(3);
}
CASE(MEMORY_COPY) {
    uint64_t d = g_u32(fp[X1]), s = g_u32(fp[Y1]), n = g_u32(fp[X2]);
    if (WEFT_UNLIKELY(!mem_in_bounds(memory, d, n) || !mem_in_bounds(memory, s, n)))
        TRAP(OOB_MEMORY);
    guest_move(mem + d, mem + s, n);
    NEXT(3);
}
/* The segment and table operations are the instance's own (engine/instance.h),
 * shared with instantiation. */
CASE(MEMORY_INIT) {
    st = inst_memory_init(inst, 0, (uint32_t)Y2, g_u32(fp[X1]), g_u32(fp[Y1]), g_u32(fp[X2]), err);
    if (WEFT_UNLIKELY(st != WEFT_OK))
        goto trap_st;
    NEXT(3);
}
CASE(DATA_DROP) {
    inst_data_drop(inst, (uint32_t)X1);
    NEXT(2);
}

/* ---- tables ----------------------------------------------------------------- */

CASE(TABLE_GET) {
    weft_table *t = inst->tables[X2];
    uint32_t i = g_u32(fp[Y1]);
    if (WEFT_UNLIKELY(i >= t->size))
        TRAP(OOB_TABLE);
    fp[X1] = ref_bits(t->elems[i]);
    NEXT(3);
}
CASE(TABLE_SET) {
    weft_table *t = inst->tables[X2];
    uint32_t i = g_u32(fp[X1]);
    if (WEFT_UNLIKELY(i >= t->size))
        TRAP(OOB_TABLE);
    t->elems[i] = ref_of(fp[Y1]);
    NEXT(3);
}
CASE(TABLE_SIZE) {
    fp[X1] = inst->tables[Y1]->size;
    NEXT(2);
}
CASE(TABLE_GROW) {
    fp[X1] = (uint32_t)(int32_t)inst_table_grow(inst->tables[Y2], g_u32(fp[X2]), ref_of(fp[Y1]));
    NEXT(3);
}
CASE(TABLE_FILL) {
    st = inst_table_fill(inst->tables[Y2], g_u32(fp[X1]), ref_of(fp[Y1]), g_u32(fp[X2]), err);
    if (WEFT_UNLIKELY(st != WEFT_OK))
        goto trap_st;
    NEXT(3);
}
CASE(TABLE_COPY) {
    st = inst_table_copy(inst->tables[X3], inst->tables[Y3], g_u32(fp[X1]), g_u32(fp[Y1]),
                         g_u32(fp[X2]), err);
    if (WEFT_UNLIKELY(st != WEFT_OK))
        goto trap_st;
    NEXT(4);
}
CASE(TABLE_INIT) {
    st = inst_table_init(inst, (uint32_t)Y3, (uint32_t)X3, g_u32(fp[X1]), g_u32(fp[Y1]),
                         g_u32(fp[X2]), err);
    if (WEFT_UNLIKELY(st != WEFT_OK))
        goto trap_st;
    NEXT(4);
}
CASE(ELEM_DROP) {
    inst_elem_drop(inst, (uint32_t)X1);
    NEXT(2);
}

/* ---- i32 -------------------------------------------------------------------- */

UN(I32_EQZ, uint32_t, g_u32, p_u32, a == 0)
UN(I32_CLZ, uint32_t, g_u32, p_u32, num_clz32(a))
UN(I32_CTZ, uint32_t, g_u32, p_u32, num_ctz32(a))
UN(I32_POPCNT, uint32_t, g_u32, p_u32, num_popcnt32(a))
I32_BIN(I32_ADD, a + b)
I32_BIN(I32_SUB, a - b)
I32_BIN(I32_MUL, a * b)
CASE(I32_DIV_S) {
    int32_t a = g_i32(fp[Y1]), b = g_i32(fp[X2]);
    if (WEFT_UNLIKELY(b == 0))
        TRAP(DIV_BY_ZERO);
    if (WEFT_UNLIKELY(a == INT32_MIN && b == -1))
        TRAP(INT_OVERFLOW);
    fp[X1] = (uint32_t)(a / b);
    NEXT(3);
}
CASE(I32_DIV_U) {
    uint32_t a = g_u32(fp[Y1]), b = g_u32(fp[X2]);
    if (WEFT_UNLIKELY(b == 0))
        TRAP(DIV_BY_ZERO);
    fp[X1] = a / b;
    NEXT(3);
}
CASE(I32_REM_S) {
    int32_t a = g_i32(fp[Y1]), b = g_i32(fp[X2]);
    if (WEFT_UNLIKELY(b == 0))
        TRAP(DIV_BY_ZERO);
    fp[X1] = b == -1 ? 0 : (uint32_t)(a % b);
    NEXT(3);
}
CASE(I32_REM_U) {
    uint32_t a = g_u32(fp[Y1]), b = g_u32(fp[X2]);
    if (WEFT_UNLIKELY(b == 0))
        TRAP(DIV_BY_ZERO);
    fp[X1] = a % b;
    NEXT(3);
}
I32_BIN(I32_AND, a & b)
I32_BIN(I32_OR, a | b)
I32_BIN(I32_XOR, a ^ b)
I32_BIN(I32_SHL, a << (b & 31))
I32_BIN(I32_SHR_S, (uint32_t)((int32_t)a >> (b & 31)))
I32_BIN(I32_SHR_U, a >> (b & 31))
I32_BIN(I32_ROTL, num_rotl32(a, b))
I32_BIN(I32_ROTR, num_rotr32(a, b))

/* ---- i64 -------------------------------------------------------------------- */

UN(I64_EQZ, uint64_t, g_u64, p_u32, a == 0)
UN(I64_CLZ, uint64_t, g_u64, p_u64, num_clz64(a))
UN(I64_CTZ, uint64_t, g_u64, p_u64, num_ctz64(a))
UN(I64_POPCNT, uint64_t, g_u64, p_u64, num_popcnt64(a))
I64_BIN(I64_ADD, a + b)
I64_BIN(I64_SUB, a - b)
I64_BIN(I64_MUL, a * b)
CASE(I64_DIV_S) {
    int64_t a = g_i64(fp[Y1]), b = g_i64(fp[X2]);
    if (WEFT_UNLIKELY(b == 0))
        TRAP(DIV_BY_ZERO);
    if (WEFT_UNLIKELY(a == INT64_MIN && b == -1))
        TRAP(INT_OVERFLOW);
    fp[X1] = (uint64_t)(a / b);
    NEXT(3);
}
CASE(I64_DIV_U) {
    uint64_t a = fp[Y1], b = fp[X2];
    if (WEFT_UNLIKELY(b == 0))
        TRAP(DIV_BY_ZERO);
    fp[X1] = a / b;
    NEXT(3);
}
CASE(I64_REM_S) {
    int64_t a = g_i64(fp[Y1]), b = g_i64(fp[X2]);
    if (WEFT_UNLIKELY(b == 0))
        TRAP(DIV_BY_ZERO);
    fp[X1] = b == -1 ? 0 : (uint64_t)(a % b);
    NEXT(3);
}
CASE(I64_REM_U) {
    uint64_t a = fp[Y1], b = fp[X2];
    if (WEFT_UNLIKELY(b == 0))
        TRAP(DIV_BY_ZERO);
    fp[X1] = a % b;
    NEXT(3);
}
I64_BIN(I64_AND, a & b)
I64_BIN(I64_OR, a | b)
I64_BIN(I64_XOR, a ^ b)
I64_BIN(I64_SHL, a << (b & 63))
I64_BIN(I64_SHR_S, (uint64_t)((int64_t)a >> (b & 63)))
I64_BIN(I64_SHR_U, a >> (b & 63))
I64_BIN(I64_ROTL, num_rotl64(a, b))
I64_BIN(I64_ROTR, num_rotr64(a, b))

/* ---- floats ----------------------------------------------------------------- */

F32_CMP(F32_EQ, a == b)
F32_CMP(F32_NE, a != b)
F32_CMP(F32_LT, a < b)
F32_CMP(F32_GT, a > b)
F32_CMP(F32_LE, a <= b)
F32_CMP(F32_GE, a >= b)
F64_CMP(F64_EQ, a == b)
F64_CMP(F64_NE, a != b)
F64_CMP(F64_LT, a < b)
F64_CMP(F64_GT, a > b)
F64_CMP(F64_LE, a <= b)
F64_CMP(F64_GE, a >= b)

UN(F32_ABS, float, g_f32, p_f32, num_fabs32(a))
UN(F32_NEG, float, g_f32, p_f32, num_fneg32(a))
UN(F32_CEIL, float, g_f32, p_f32, num_ceil32(a))
UN(F32_FLOOR, float, g_f32, p_f32, num_floor32(a))
UN(F32_TRUNC, float, g_f32, p_f32, num_trunc32(a))
UN(F32_NEAREST, float, g_f32, p_f32, num_nearest32(a))
UN(F32_SQRT, float, g_f32, p_f32, sqrtf(a))
F32_BIN(F32_ADD, a + b)
F32_BIN(F32_SUB, a - b)
F32_BIN(F32_MUL, a * b)
F32_BIN(F32_DIV, a / b)
F32_BIN(F32_MIN, num_fmin32(a, b))
F32_BIN(F32_MAX, num_fmax32(a, b))
F32_BIN(F32_COPYSIGN, num_copysign32(a, b))
UN(F64_ABS, double, g_f64, p_f64, num_fabs64(a))
UN(F64_NEG, double, g_f64, p_f64, num_fneg64(a))
UN(F64_CEIL, double, g_f64, p_f64, num_ceil64(a))
UN(F64_FLOOR, double, g_f64, p_f64, num_floor64(a))
UN(F64_TRUNC, double, g_f64, p_f64, num_trunc64(a))
UN(F64_NEAREST, double, g_f64, p_f64, num_nearest64(a))
UN(F64_SQRT, double, g_f64, p_f64, sqrt(a))
F64_BIN(F64_ADD, a + b)
F64_BIN(F64_SUB, a - b)
F64_BIN(F64_MUL, a * b)
F64_BIN(F64_DIV, a / b)
F64_BIN(F64_MIN, num_fmin64(a, b))
F64_BIN(F64_MAX, num_fmax64(a, b))
F64_BIN(F64_COPYSIGN, num_copysign64(a, b))

/* ---- conversions --------------------------------------------------------------- */

UN(I32_WRAP_I64, uint64_t, g_u64, p_u32, (uint32_t)a)
TRUNC(I32_TRUNC_F32_S, float, g_f32, int32_t, p_u32, num_trunc_i32_s)
TRUNC(I32_TRUNC_F32_U, float, g_f32, uint32_t, p_u32, num_trunc_i32_u)
TRUNC(I32_TRUNC_F64_S, double, g_f64, int32_t, p_u32, num_trunc_i32_s)
TRUNC(I32_TRUNC_F64_U, double, g_f64, uint32_t, p_u32, num_trunc_i32_u)
UN(I64_EXTEND_I32_S, int32_t, g_i32, p_u64, (uint64_t)(int64_t)a)
UN(I64_EXTEND_I32_U, uint32_t, g_u32, p_u64, a)
TRUNC(I64_TRUNC_F32_S, float, g_f32, int64_t, p_u64, num_trunc_i64_s)
TRUNC(I64_TRUNC_F32_U, float, g_f32, uint64_t, p_u64, num_trunc_i64_u)
TRUNC(I64_TRUNC_F64_S, double, g_f64, int64_t, p_u64, num_trunc_i64_s)
TRUNC(I64_TRUNC_F64_U, double, g_f64, uint64_t, p_u64, num_trunc_i64_u)
UN(F32_CONVERT_I32_S, int32_t, g_i32, p_f32, (float)a)
UN(F32_CONVERT_I32_U, uint32_t, g_u32, p_f32, (float)a)
UN(F32_CONVERT_I64_S, int64_t, g_i64, p_f32, num_i64_to_f32(a))
UN(F32_CONVERT_I64_U, uint64_t, g_u64, p_f32, num_u64_to_f32(a))
UN(F32_DEMOTE_F64, double, g_f64, p_f32, (float)a)
UN(F64_CONVERT_I32_S, int32_t, g_i32, p_f64, (double)a)
UN(F64_CONVERT_I32_U, uint32_t, g_u32, p_f64, (double)a)
UN(F64_CONVERT_I64_S, int64_t, g_i64, p_f64, (double)a)
UN(F64_CONVERT_I64_U, uint64_t, g_u64, p_f64, num_u64_to_f64(a))
UN(F64_PROMOTE_F32, float, g_f32, p_f64, (double)a)
UN(I32_REINTERPRET_F32, uint32_t, g_u32, p_u32, a)
UN(I64_REINTERPRET_F64, uint64_t, g_u64, p_u64, a)
UN(F32_REINTERPRET_I32, uint32_t, g_u32, p_u32, a)
UN(F64_REINTERPRET_I64, uint64_t, g_u64, p_u64, a)
UN(I32_EXTEND8_S, uint32_t, g_u32, p_u32, (uint32_t)(int32_t)(int8_t)a)
UN(I32_EXTEND16_S, uint32_t, g_u32, p_u32, (uint32_t)(int32_t)(int16_t)a)
UN(I64_EXTEND8_S, uint64_t, g_u64, p_u64, (uint64_t)(int64_t)(int8_t)a)
UN(I64_EXTEND16_S, uint64_t, g_u64, p_u64, (uint64_t)(int64_t)(int16_t)a)
UN(I64_EXTEND32_S, uint64_t, g_u64, p_u64, (uint64_t)(int64_t)(int32_t)a)
UN(I32_TRUNC_SAT_F32_S, float, g_f32, p_u32, (uint32_t)num_sat_i32_s(a))
UN(I32_TRUNC_SAT_F32_U, float, g_f32, p_u32, num_sat_i32_u(a))
UN(I32_TRUNC_SAT_F64_S, double, g_f64, p_u32, (uint32_t)num_sat_i32_s(a))
UN(I32_TRUNC_SAT_F64_U, double, g_f64, p_u32, num_sat_i32_u(a))
UN(I64_TRUNC_SAT_F32_S, float, g_f32, p_u64, (uint64_t)num_sat_i64_s(a))
UN(I64_TRUNC_SAT_F32_U, float, g_f32, p_u64, num_sat_i64_u(a))
UN(I64_TRUNC_SAT_F64_S, double, g_f64, p_u64, (uint64_t)num_sat_i64_s(a))
UN(I64_TRUNC_SAT_F64_U, double, g_f64, p_u64, num_sat_i64_u(a))

/* ---- atomics (0xFE page): atomics/atomic_ops.h ---------------------------- */

#include "atomics/atomic_ops.h"

/* ---- end atomics ------------------------------------------------------------ */

/* ---- SIMD (0xFD page) and v128 moves: engine/simd_ops.h --------------------- */

#include "engine/simd_ops.h"

#undef UN
#undef BIN
#undef I32_BIN
#undef I64_BIN
#undef F32_BIN
#undef F64_BIN
#undef F32_CMP
#undef F64_CMP
#undef BR_CMP
#undef INT_CMP
#undef INT_COMPARES_I32
#undef INT_COMPARES_I64
#undef ADD_BR_CMP
#undef EV_F64_ADD
#undef EV_F64_SUB
#undef EV_F64_MUL
#undef EV_F64_DIV
#undef EV_I32_ADD
#undef EV_I32_SUB
#undef EV_I32_MUL
#undef EV_I32_AND
#undef EV_I32_XOR
#undef EV_I32_SHL
#undef EV_I32_SHR_U
#undef EV_I64_ADD
#undef EV_I64_MUL
#undef EV_I64_XOR
#undef EV_I64_SHL
#undef EV_I64_SHR_U
#undef PAIR
#undef SEL_CMP
#undef LOAD_AT
#undef LOAD_AT_SW
#undef LOAD
#undef LOAD_S
#undef STORE_VAL
#undef STORE_VAL_SW
#undef MT_I32_STORE
#undef MT_I64_STORE
#undef MT_F64_STORE
#undef MT_I32_LOAD
#undef MT_I64_LOAD
#undef MT_F64_LOAD
#undef OP_ST
#undef OP_M
#undef MST_F64_ADD
#undef MST_F64_SUB
#undef MST_I32_ADD
#undef MST_I64_ADD
#undef MST_AT
#undef MST_ADDR_SET
#undef OP_MST
#undef MM_MST_AT
#undef OP_MM_MST
#undef MT_I32_STORE8
#undef STORE_BR
#undef SCALED
#undef SW_BOUNDS
#undef SCALED_SET
#undef STORE_S
#undef STORE_AT
#undef STORE_AT_SW
#undef STORE
#undef TRUNC

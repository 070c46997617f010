/*
 * code.h -- weft's internal code: what the translator (cmp_, compile.c) makes
 * of a validated function body and the interpreter (interp_, interp.c) runs.
 * This file is the contract between the two, as lopcodes.h is in Lua.
 *
 * ---- Frames ----------------------------------------------------------------
 * Every value lives in a 64-bit slot of the function's frame, fp[0 .. frame_size),
 * except a v128, which takes two consecutive slots, low half (lanes 0..) first,
 * wherever it is: parameter, local, constant, temp, result, if-scratch (so a
 * v128 parameter or local moves every later local up one slot; nparams,
 * nlocals and nresults count slots):
 *
 *     [ params | declared locals | constants | if-scratch | operand temps ]
 *       0        nparams           nlocals     ...          temp_base
 *
 * The wasm operand stack is resolved at translation time: the value at stack
 * height h lives in temp slot temp_base + sp(h), sp(h) the slots of the values
 * below it -- h itself when none of them is a v128, so scalar code's frames
 * and instructions are exactly as they would be without SIMD.  local.get and constants cost no
 * instruction: they push a reference to the local's or the constant's slot,
 * and the instruction that consumes the value reads that slot directly.  A
 * reference is copied into its temp ("materialised") only where it must be:
 * before a local.set to that local, at block boundaries, as a call argument.
 * Constants are the function's distinct constant values, the scalar ones
 * sorted, then the distinct v128 constants (v128.const) as slot pairs.  On entry one copy
 * of cmp_code.init sets fp[nparams ..): the declared locals' zeros, then the
 * constants, then padding zeros up to an even count of at least CMP_INIT_MIN
 * (the copy moves 16 bytes at a time and the first CMP_INIT_MIN slots without
 * a test; frame_size leaves room for the pad, which lands in temps).
 *
 * A call passes its arguments in consecutive temps; the callee's frame starts
 * at the first of them (fp' = fp + base) and its results come back in the same
 * slots, which are the caller's temps for them -- except a single result,
 * which goes to the caller's slot `dst`, the y field of the call's last cell:
 * base itself, or the local of a local.set that followed the call (the
 * translator moved the set into the call, so no COPY runs after the return).
 * A single v128 result is not one of those: it comes back in base's two slots
 * (RETURN, never RETURN1), as host calls and the API also pass v128 values.
 * Frame records (return pc, caller state) live at the other end of the
 * thread's value stack, growing down (interp.c), so frames themselves carry no
 * header.
 *
 * ---- Instructions ----------------------------------------------------------
 * An instruction is a run of 8-byte cells: a handler cell (the label address
 * under computed goto, the cmp_op number under the switch), then operand
 * cells.  Operand cells hold two int32 fields x and y: slot indexes relative
 * to fp, or branch offsets counted in cells from the cell holding the offset.
 * Layouts, with pc at the handler cell:
 *
 *   unary op            [op][x=dst y=a]
 *   binary op           [op][x=dst y=a][x=b]
 *   load                [op][x=dst y=addr][u32 offset in x]
 *   store               [op][x=addr y=val][u32 offset in x]
 *   load  _A (fused)    [op][x=dst y=a][u32 offset in x, y=b]   addr = a + b (i32)
 *   store _A (fused)    [op][x=a y=val][u32 offset in x, y=b]   addr = a + b (i32)
 *   load  _S (fused)    [op][x=dst y=a][u32 offset in x, y=b][x=k y=w]   addr = a + (b << k)
 *   store _S (fused)    [op][x=a y=val][u32 offset in x, y=b][x=k y=w]   (i32, k mod 32),
 *                       also written to fp[w]: the pair's slot (a local a tee kept it in)
 *   binop _ST (fused)   [op][x=addr y=a][u32 offset in x, y=b]   store(addr, a op b)
 *   binop _M (fused)    [op][x=dst y=a][u32 offset in x, y=addr]  dst = a op load(addr)
 *   binop _MA (fused)   [op][x=dst y=a][u32 offset in x, y=addr][x=b]
 *                       dst = a op load(addr + b), the address add of a load _A
 *   binop _MST (fused)  [op][x=addr y=b][u32 offset in x]   m = load(addr); store(addr,
 *                       m op b) (sub), b op m (add): a read-modify-write of one place
 *   binop _MST_A        [op][x=addr y=b][u32 offset in x, y=p][x=q]   fp[addr] = p + q
 *                       (i32), then the _MST at it: the address add taken in
 *   binop _MM_MST_A     see CMP_MM_MST_FUSABLE
 *   store _A_ADD_BR_<cmp> (fused)  [op][x=a y=val][u32 offset in x, y=b]
 *                       [x=dst y=a'][x=b' y=c][x=off]   store _A, then ADD_BR_<cmp>
 *   COPY                [op][x=dst y=src]
 *   COPY2               [op][x=dst y=src][x=dst2 y=src2]   two COPYs, in order
 *   COPY3               [op][x=dst y=src][x=dst2 y=src2][x=dst3 y=src3]   three
 *   BR                  [op][x=off]
 *   BR_IF, BR_UNLESS    [op][x=cond y=off]
 *   BR_<cmp> (fused)    [op][x=a y=b][x=off]          taken when a <cmp> b
 *   ADD_BR_<cmp>        [op][x=dst y=a][x=b y=c][x=off]   dst = a + b (i32), then
 *                                                    taken when dst <cmp> c
 *   L_BR_<cmp> (fused)  [op][x=dst y=addr][u32 offset in x, y=b][x=off]   an i32.load
 *                       and a compare-and-branch on it: v = load(addr); fp[dst] = v;
 *                       taken when v <cmp> b (i32 compares; L_BR_NZ, L_BR_Z: v != 0,
 *                       v == 0, y unused; all with _SW twins)
 *   ADD_BR_NZ, ADD_BR_Z [op][x=dst y=a][x=b][x=off]   dst = a + b (i32), then
 *                                                    taken when dst != 0 (== 0)
 *   BR_TABLE            [op][x=index y=n][x=off_0] .. [x=off_n]   off_n: default
 *   BR_TABLE_L8(_SW)    [op][x=addr y=n][u32 offset in x][x=off_0] .. [x=off_n]
 *                       index = i32.load8_u(addr + offset), taken back
 *   ADD_BR_TABLE_L8(_SW) [op][x=addr y=n][u32 offset in x, y=dst][x=a y=b][x=off_0] ..
 *                       fp[dst] = a + b (i32), then BR_TABLE_L8: the i32.add just
 *                       before the load taken in too (a bytecode loop's `pc += k`)
 *   RETURN              [op]                 results already in fp[0..)
 *   RETURN1             [op][x=src]          the caller's fp[dst] = fp[src] (dst: the
 *                       call's, see Frames; fp[0] in the entry frame), then return
 *   ADD_RETURN1         [op][x=a y=b]        the same with a + b (i32): `return a + b`
 *   CALL                [op][x=func y=base][y=dst]  func: index in the module's space
 *   CALL_LOCAL          [op][x=code y=base][x=at y=dst]   code: index in module->codes,
 *                       at: byte offset of codes[code].code in it (u32)
 *   CALL_LOCAL_C<n>     [op][x=code y=base][x=d1 y=s1]..[x=dn y=sn][x=at y=dst]: the
 *                       n = 1..3 COPYs just before (the arguments) run first, in order
 *   CALL_INDIRECT       [op][x=type y=base][x=table y=elem-index slot][y=dst]
 *   SELECT              [op][x=dst y=cond][x=a y=b]
 *   SEL_<cmp> (fused)   [op][x=dst y=a][x=c y=d][x=b y=w]   fp[w] = c <cmp> d, then
 *                       dst = fp[w] ? a : b (w: the compare's slot, see CMP_SEL_FUSABLE)
 *   P_<op1>_<op2>_L|R   [op][x=dst y=a][x=b y=c]   pairs of binary ops (CMP_PAIRS)
 *   GLOBAL_GET / SET    [op][x=dst|src y=global]
 *   MEMORY_SIZE         [op][x=dst]
 *   MEMORY_GROW         [op][x=dst y=delta]
 *   MEMORY_FILL / COPY  [op][x=d y=v|s][x=n]
 *   MEMORY_INIT         [op][x=d y=s][x=n y=data]
 *   DATA_DROP           [op][x=data]
 *   REF_IS_NULL         [op][x=dst y=a]
 *   REF_FUNC            [op][x=dst y=func]
 *   TABLE_GET / SET     [op][x=dst|idx y=idx|val][x=table]
 *   TABLE_SIZE          [op][x=dst y=table]
 *   TABLE_GROW          [op][x=dst y=init][x=n y=table]
 *   TABLE_FILL          [op][x=i y=val][x=n y=table]
 *   TABLE_COPY / INIT   [op][x=d y=s][x=n][x=dst-table|elem y=src-table|table]
 *   ELEM_DROP           [op][x=elem]
 *   UNREACHABLE         [op]
 *
 *   ---- atomics (0xFE page; atomics/atomic_ops.h) ----
 *   atomic load         [op][x=dst y=addr][u32 offset in x]
 *   atomic store        [op][x=addr y=val][u32 offset in x]
 *   atomic rmw          [op][x=dst y=addr][x=offset y=val]
 *   atomic cmpxchg      [op][x=dst y=addr][x=offset y=expected][x=replacement]
 *   MEMORY_ATOMIC_NOTIFY  [op][x=dst y=addr][x=offset y=count]
 *   MEMORY_ATOMIC_WAIT32/64  [op][x=dst y=addr][x=offset y=expected][x=timeout]
 *   ATOMIC_FENCE        [op]
 *   Atomics always check alignment; the _SW twins (and, under TSan, both)
 *   also check bounds, guard mode leaves that to the guard pages (an aligned
 *   atomic cannot fault half-done; atomics/atomic_ops.h).
 *   With a constant address (a global counter, a lock in .bss) the translator
 *   adds it to the offset and checks the alignment itself; then the _K forms
 *   (and _K_SW) carry the effective address, the value operands move up:
 *   atomic load _K      [op][x=dst][u64 address]
 *   atomic store _K     [op][y=val][u64 address]
 *   atomic rmw _K       [op][x=dst y=val][u64 address]
 *   atomic cmpxchg _K   [op][x=dst y=expected][u64 address][x=replacement]
 *   ---- end atomics ----
 *
 *   ---- SIMD (0xFD page; engine/simd_ops.h) ----
 *   A v128 operand or result names the first of its two slots.
 *   unary / binary      [op][x=dst y=a] / [op][x=dst y=a][x=b]   (shifts: b is i32;
 *                       splats: a scalar; any_true, all_true, bitmask: dst i32)
 *   v128.bitselect      [op][x=dst y=a][x=b y=c]
 *   extract_lane        [op][x=dst y=a][x=lane]
 *   replace_lane        [op][x=dst y=a][x=b y=lane]
 *   i8x16.shuffle       [op][x=dst y=a][x=b][16 lane bytes in 2 cells]
 *   v128 loads          [op][x=dst y=addr][u32 offset in x]   (splat, extend, zero)
 *   v128.store          [op][x=addr y=val][u32 offset in x]
 *   v128.load _A, v128.store _A: the scalar _A layouts, addr = a + b (i32)
 *   load<n>_lane        [op][x=dst y=addr][x=offset y=val][x=lane]
 *   store<n>_lane       [op][x=addr y=val][x=offset y=lane]
 *   The memory forms have _SW twins; v128.const is constant slots, no
 *   instruction.  SELECT_V128, GLOBAL_GET_V128 and GLOBAL_SET_V128 (internal)
 *   move v128 values for select and global.get/set.
 *   ---- end SIMD ----
 *
 * Every taken branch and every call polls the thread group's terminate flag.
 * Loads and stores have an _SW twin that checks the access against the
 * memory's current size; the translator picks it in software-bounds mode, so
 * guard mode pays nothing.
 */
#ifndef WEFT_CODE_H
#define WEFT_CODE_H

#include "engine/module.h"
#include "engine/opcodes.h"

/* Every page runs here: 1-byte, 0xFC, 0xFD (SIMD: engine/simd_ops.h) and
 * 0xFE (atomics). */
#define CMP_PICK_0x00(X, id) X(id)
#define CMP_PICK_0xFC(X, id) X(id)
#define CMP_PICK_0xFD(X, id) X(id)
/* ---- atomics (0xFE page) ---- */
#define CMP_PICK_0xFE(X, id) X(id)
/* The handlers run inside interp.c's loop, which sees these through here:
 * the parking lot (wait/notify) and the TSan-aware guest accessors. */
#include "atomics/parking_lot.h"
#include "engine/guest_access.h"
/* Loads, stores, read-modify-writes and compare-exchanges: the atomics that
 * have _K forms (a constant address). */
#define CMP_ATOMIC_RMW_FAMILY(X, OP)                                                \
    X(I32_ATOMIC_RMW_##OP) X(I64_ATOMIC_RMW_##OP) X(I32_ATOMIC_RMW8_##OP##_U)         \
    X(I32_ATOMIC_RMW16_##OP##_U) X(I64_ATOMIC_RMW8_##OP##_U)                        \
    X(I64_ATOMIC_RMW16_##OP##_U) X(I64_ATOMIC_RMW32_##OP##_U)
#define CMP_ATOMIC_K(X)                                                             \
    X(I32_ATOMIC_LOAD) X(I64_ATOMIC_LOAD) X(I32_ATOMIC_LOAD8_U) X(I32_ATOMIC_LOAD16_U) \
    X(I64_ATOMIC_LOAD8_U) X(I64_ATOMIC_LOAD16_U) X(I64_ATOMIC_LOAD32_U)               \
    X(I32_ATOMIC_STORE) X(I64_ATOMIC_STORE) X(I32_ATOMIC_STORE8) X(I32_ATOMIC_STORE16) \
    X(I64_ATOMIC_STORE8) X(I64_ATOMIC_STORE16) X(I64_ATOMIC_STORE32)                 \
    CMP_ATOMIC_RMW_FAMILY(X, ADD) CMP_ATOMIC_RMW_FAMILY(X, SUB)                     \
    CMP_ATOMIC_RMW_FAMILY(X, AND) CMP_ATOMIC_RMW_FAMILY(X, OR)                      \
    CMP_ATOMIC_RMW_FAMILY(X, XOR) CMP_ATOMIC_RMW_FAMILY(X, XCHG)                    \
    CMP_ATOMIC_RMW_FAMILY(X, CMPXCHG)
/* ---- end atomics ---- */

/* Plain loads and stores (IMM MEMARG) get a software-checked twin, ID_SW. */
#define CMP_SW_NONE(id)
#define CMP_SW_BLOCK(id)
#define CMP_SW_LABEL(id)
#define CMP_SW_BR_TABLE(id)
#define CMP_SW_FUNC(id)
#define CMP_SW_CALL_INDIRECT(id)
#define CMP_SW_LOCAL(id)
#define CMP_SW_GLOBAL(id)
#define CMP_SW_TABLE(id)
#define CMP_SW_MEMARG(id) CMP_XSW(id)
#define CMP_SW_MEM(id)
#define CMP_SW_I32(id)
#define CMP_SW_I64(id)
#define CMP_SW_F32(id)
#define CMP_SW_F64(id)
#define CMP_SW_V128(id)
#define CMP_SW_LANE(id)
#define CMP_SW_MEMARG_LANE(id) CMP_XSW(id)
#define CMP_SW_SHUFFLE(id)
#define CMP_SW_SELECT_T(id)
#define CMP_SW_REFTYPE(id)
#define CMP_SW_ELEM_TABLE(id)
#define CMP_SW_DATA_MEM(id)
#define CMP_SW_DATA(id)
#define CMP_SW_ELEM(id)
#define CMP_SW_TABLE_TABLE(id)
#define CMP_SW_MEM_MEM(id)
#define CMP_SW_ZERO(id)

/* Integer compares that fuse with a following br_if / if into BR_<id>.  The
 * i32 ones also take back an i32.add just before them whose result is their
 * first operand (a loop's `i += step; if (i < n) continue`): ADD_BR_<id>. */
#define CMP_FUSABLE_I32(X)                                                          \
    X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U) X(I32_LE_S)  \
    X(I32_LE_U) X(I32_GE_S) X(I32_GE_U)
#define CMP_FUSABLE(X)                                                              \
    CMP_FUSABLE_I32(X)                                                              \
    X(I64_EQ) X(I64_NE) X(I64_LT_S) X(I64_LT_U) X(I64_GT_S) X(I64_GT_U) X(I64_LE_S)  \
    X(I64_LE_U) X(I64_GE_S) X(I64_GE_U)

/* Plain loads and stores that take back an i32.add computing their address
 * (ID_A, and its software-checked twin ID_A_SW): one dispatch instead of two.
 * v128.load and v128.store too (engine/simd_ops.h; the store's add may come
 * several SIMD value instructions before it, compile_fuse.c hoist_addr_add). */
#define CMP_ADDR_FUSABLE(X)                                                         \
    X(V128_LOAD) X(V128_STORE)                                                      \
    X(I32_LOAD) X(I64_LOAD) X(F32_LOAD) X(F64_LOAD) X(I32_LOAD8_S) X(I32_LOAD8_U)     \
    X(I32_LOAD16_S) X(I32_LOAD16_U) X(I64_LOAD8_S) X(I64_LOAD8_U) X(I64_LOAD16_S)     \
    X(I64_LOAD16_U) X(I64_LOAD32_S) X(I64_LOAD32_U) X(I32_STORE) X(I64_STORE)         \
    X(F32_STORE) X(F64_STORE) X(I32_STORE8) X(I32_STORE16) X(I64_STORE8)              \
    X(I64_STORE16) X(I64_STORE32)

/* Loads and stores whose address is base + (index << k), the pair
 * P_I32_SHL_I32_ADD taken back (ID_S, and ID_S_SW): arrays indexed by i. */
#define CMP_SCALED_FUSABLE(X)                                                       \
    X(I32_LOAD) X(I64_LOAD) X(F32_LOAD) X(F64_LOAD) X(I32_STORE) X(I64_STORE)         \
    X(F32_STORE) X(F64_STORE)

/* A binary op and the store of its result (ID_ST, ID_ST_SW), and a binary op
 * whose operand is a load just before it (ID_M, ID_M_SW; ID_MA, ID_MA_SW when
 * that load is a fused-address one; the other operand may be on either side,
 * but f64.sub only takes the load on its right). */
#define CMP_STORE_FUSABLE(X)                                                        \
    X(F64_ADD, F64_STORE) X(F64_SUB, F64_STORE) X(F64_MUL, F64_STORE)                \
    X(I32_ADD, I32_STORE) X(I64_ADD, I64_STORE)
#define CMP_MEM_FUSABLE(X)                                                          \
    X(F64_ADD, F64_LOAD) X(F64_SUB, F64_LOAD) X(F64_MUL, F64_LOAD) X(I32_ADD, I32_LOAD) \
    X(I64_ADD, I64_LOAD)

/* A load, a binary op on it and the store of the result to the same place
 * (ID_MST, ID_MST_SW): `p->x -= v`, `p->x += v`.  With the i32.add that
 * computed the address just before (into a temp or a local, which it still
 * writes): ID_MST_A, ID_MST_A_SW (and ID_MM_MST_A, ID_MM_MST_A_SW below). */
#define CMP_MST_FUSABLE(X)                                                          \
    X(F64_ADD, F64_STORE) X(F64_SUB, F64_STORE) X(I32_ADD, I32_STORE) X(I64_ADD, I64_STORE)

/* An f64 ID_MST whose operand is a product of three, the P_F64_MUL_F64_MUL_L
 * just before it taken back (ID_MM_MST, ID_MM_MST_SW): `p->v -= a * b * c`.
 * [op][x=addr y=a][u32 offset in x, y=b][x=c]   m = load(addr);
 * store(addr, m - (a * b) * c) (sub), (a * b) * c + m (add), each product rounded.
 * _MM_MST_A: [op][x=addr y=a][u32 offset in x, y=b][x=c y=p][x=q]: fp[addr] = p + q
 * (i32) first. */
#define CMP_MM_MST_FUSABLE(X) X(F64_ADD) X(F64_SUB)

/* A fused-address store followed by ADD_BR_<cmp> (ST_A_ADD_BR_<cmp>, and the
 * _SW twin): the body of a strided fill loop, `a[j] = k; j += s; if (j < n)`. */
#define CMP_STORE_BR_FUSABLE(X)                                                     \
    X(I32_STORE8, I32_LT_U) X(I32_STORE8, I32_NE) X(I32_STORE, I32_LT_U)               \
    X(I32_STORE, I32_NE) X(I64_STORE, I32_LT_U) X(I64_STORE, I32_NE)

/* Pairs of binary ops fused when the second consumes the first's result, a
 * temp nothing else reads (the hottest pairs of the benchmarks: f64 chains,
 * scaled indexes, hash mixing).  P_<op1>_<op2>_L computes
 * (a op1 b) op2 c, _R computes c op2 (a op1 b); the temp is not written. */
#define CMP_PAIRS(X)                                                                \
    X(F64_MUL, F64_MUL) X(F64_MUL, F64_ADD) X(F64_MUL, F64_SUB) X(F64_MUL, F64_DIV)   \
    X(F64_ADD, F64_MUL) X(F64_ADD, F64_ADD) X(F64_ADD, F64_SUB) X(F64_SUB, F64_MUL)   \
    X(F64_SUB, F64_ADD) X(F64_SUB, F64_SUB)                                         \
    X(I32_SHL, I32_ADD) X(I32_ADD, I32_SHL) X(I32_AND, I32_SHL) X(I32_ADD, I32_ADD)   \
    X(I32_MUL, I32_ADD) X(I32_ADD, I32_AND) X(I32_SUB, I32_ADD) X(I32_ADD, I32_SUB)   \
    X(I32_XOR, I32_SHL) X(I32_SHR_U, I32_XOR) X(I32_SHL, I32_XOR) X(I32_AND, I32_ADD) \
    X(I64_SHR_U, I64_XOR) X(I64_XOR, I64_MUL) X(I64_MUL, I64_ADD) X(I64_ADD, I64_ADD) \
    X(I64_SHL, I64_ADD) X(I64_SHL, I64_XOR) X(I64_ADD, I64_XOR) X(I64_XOR, I64_ADD)   \
    X(I64_MUL, I64_XOR) X(I64_SHR_U, I64_ADD)

/* select on an integer compare just before it (SEL_<cmp>):
 * [op][x=dst y=a][x=c y=d][x=b y=w]   fp[w] = c <cmp> d; dst = fp[w] ? a : b
 * (w: the compare's own result slot, a temp or the local it was tee'd to). */
#define CMP_SEL_FUSABLE(X) CMP_FUSABLE(X)

/* Instructions with no wasm opcode of their own. */
#define CMP_INTERNAL(X)                                                             \
    X(COPY)      /* fp[x] = fp[y]                                              */   \
    X(COPY2)     /* two COPYs: [op][x=dst y=src][x=dst2 y=src2], in order       */   \
    X(COPY3)     /* three COPYs, in order                                      */   \
    X(ADD_BR_NZ) /* [op][x=dst y=a][x=b][x=off]: dst = a + b (i32), taken if != 0 */ \
    X(ADD_BR_Z)  /* the same, taken when the sum is 0                           */   \
    X(RETURN1)   /* one result to the caller's dst slot; return               */   \
    X(ADD_RETURN1) /* an i32.add, then RETURN1 of its sum                       */ \
    X(BR_UNLESS) /* branch when the i32 in fp[x] is zero                       */   \
    X(CALL_LOCAL) /* call of a function this module defines                     */ \
    X(CALL_LOCAL_C1) /* the same, with the COPY (COPY2, COPY3) just before     */ \
    X(CALL_LOCAL_C2)                                                                \
    X(CALL_LOCAL_C3)                                                                \
    X(BR_TABLE_L8)    /* br_table on an i32.load8_u just before (interpreters) */ \
    X(BR_TABLE_L8_SW)                                                               \
    X(ADD_BR_TABLE_L8) /* an i32.add, then BR_TABLE_L8                          */ \
    X(ADD_BR_TABLE_L8_SW)                                                           \
    X(L_BR_NZ)   /* i32.load, then br_if on it: the L_BR_<cmp> layout, y unused */    \
    X(L_BR_NZ_SW)                                                                   \
    X(L_BR_Z)    /* the same, taken when the loaded value is 0                   */   \
    X(L_BR_Z_SW)                                                                    \
    X(GLOBAL_GET_V128) /* GLOBAL_GET / SET of a v128 global (two slots)        */ \
    X(GLOBAL_SET_V128)                                                              \
    X(SELECT_V128)     /* [op][x=dst y=cond][x=a y=b], v128 operands            */ \
    X(JIT_ENTER)       /* [op]: the function is compiled (cmp_code.jit); run it */

/* Every instruction the interpreter has: the wasm ones it runs as they are
 * (their OP_ names), the _SW twins, the fused branches and address loads and
 * stores, and the internal ones. */
typedef enum cmp_op {
#define CMP_X(id) CO_##id,
#define OP(id, prefix, code, name, imm, align, sig) CMP_PICK_##prefix(CMP_X, id)
#include "engine/opcodes.def"
#undef OP
#define CMP_XSW(id) CO_##id##_SW,
#define OP(id, prefix, code, name, imm, align, sig) CMP_PICK_##prefix(CMP_SW_##imm, id)
#include "engine/opcodes.def"
#undef OP
#undef CMP_XSW
#define CMP_XBR(id) CO_BR_##id,
    CMP_FUSABLE(CMP_XBR)
#undef CMP_XBR
#define CMP_XA(id) CO_##id##_A, CO_##id##_A_SW,
    CMP_ADDR_FUSABLE(CMP_XA)
#undef CMP_XA
#define CMP_XAB(id) CO_ADD_BR_##id,
    CMP_FUSABLE_I32(CMP_XAB)
#undef CMP_XAB
#define CMP_XLB(id) CO_L_BR_##id, CO_L_BR_##id##_SW,
    CMP_FUSABLE_I32(CMP_XLB)
#undef CMP_XLB
#define CMP_XP(o1, o2) CO_P_##o1##_##o2##_L, CO_P_##o1##_##o2##_R,
    CMP_PAIRS(CMP_XP)
#undef CMP_XP
#define CMP_XK(id) CO_##id##_S, CO_##id##_S_SW,
    CMP_SCALED_FUSABLE(CMP_XK)
#undef CMP_XK
#define CMP_XST(id, st) CO_##id##_ST, CO_##id##_ST_SW,
    CMP_STORE_FUSABLE(CMP_XST)
#undef CMP_XST
#define CMP_XM(id, ld) CO_##id##_M, CO_##id##_M_SW, CO_##id##_MA, CO_##id##_MA_SW,
    CMP_MEM_FUSABLE(CMP_XM)
#undef CMP_XM
#define CMP_XS(id) CO_SEL_##id,
    CMP_SEL_FUSABLE(CMP_XS)
#undef CMP_XS
#define CMP_XMST(id, st) CO_##id##_MST, CO_##id##_MST_SW, CO_##id##_MST_A, CO_##id##_MST_A_SW,
    CMP_MST_FUSABLE(CMP_XMST)
#undef CMP_XMST
#define CMP_XMM(id) CO_##id##_MM_MST, CO_##id##_MM_MST_SW, CO_##id##_MM_MST_A, CO_##id##_MM_MST_A_SW,
    CMP_MM_MST_FUSABLE(CMP_XMM)
#undef CMP_XMM
#define CMP_XSB(st, cmp) CO_##st##_A_ADD_BR_##cmp, CO_##st##_A_SW_ADD_BR_##cmp,
    CMP_STORE_BR_FUSABLE(CMP_XSB)
#undef CMP_XSB
#define CMP_XAK(id) CO_##id##_K, CO_##id##_K_SW,
    CMP_ATOMIC_K(CMP_XAK)
#undef CMP_XAK
    CMP_INTERNAL(CMP_X)
#undef CMP_X
    CO_COUNT_
} cmp_op;

typedef union cmp_cell {
    const void *h;     /* handler address (computed goto)        */
    uintptr_t op;      /* cmp_op (switch dispatch)                */
    struct {
        int32_t x, y;
    } s;
    uint64_t u64;
} cmp_cell;


typedef struct cmp_code {
    const weft_module *module;
    uint32_t func_index;  /* in the module's function space            */
    uint32_t nparams;     /* parameter slots (a v128 takes two)        */
    uint32_t nlocals;     /* parameter + declared local slots          */
    uint32_t nconsts;     /* constant slots, at fp[nlocals ..)          */
    uint32_t frame_size;  /* slots the frame needs, temps included     */
    uint32_t nresults;    /* result slots                              */
    uint32_t ncells;
    uint32_t ninit;       /* nlocals - nparams + nconsts, padded: even, >= CMP_INIT_MIN */
    uint64_t *init;       /* ninit values for fp[nparams ..) (inside this allocation) */
    /* Where each instruction came from, for backtraces: each instruction's
     * first cell -> the module byte offset of its wasm instruction, sorted
     * (cmp_wasm_offset); inside this allocation.  Compiled code keeps the
     * table of its translation (the cells are then the translation's). */
    uint32_t noffsets;
    u32_pair *offsets;
    /* Compiled (jit/jit.h): the machine code, and cells holds one JIT_ENTER;
     * NULL for code the interpreter runs. */
    struct jit_func *jit;
    cmp_cell cells[];     /* the instructions; execution starts at cells[0] */
} cmp_code;

/* The fewest init slots a frame copies (cmp_code.ninit): the interpreter
 * copies that many without a loop test. */
enum { CMP_INIT_MIN = 4 };

/* The published code of defined function `func_index` of m, translating it on
 * first use.  Thread-safe: racing translators publish one result (compare-
 * exchange; the loser frees its copy). */
WEFT_INTERNAL weft_status cmp_get(const weft_module *m, uint32_t func_index, const cmp_code **out,
                                  weft_error *err);

/* Translates defined function `func_index` of m for the interpreter, whatever
 * the engine's tier, without publishing it (the caller frees it with
 * cmp_free): what the translator's tests inspect. */
WEFT_INTERNAL weft_status cmp_translate(const weft_module *m, uint32_t func_index, cmp_code **out,
                                        weft_error *err);

/* The module byte offset of the wasm instruction that cell `cell` (any cell
 * of an instruction) of translated code c came from; UINT32_MAX if unknown. */
WEFT_INTERNAL uint32_t cmp_wasm_offset(const cmp_code *c, uint32_t cell);

/* Frees a function's translated code (module teardown). */
WEFT_INTERNAL void cmp_free(const weft_engine *e, struct cmp_code *code);

/* The interpreter's handler addresses, indexed by cmp_op (computed goto), or
 * NULL when it dispatches with a switch.  Implemented in interp.c. */
WEFT_INTERNAL const void *const *interp_handlers(void);

#endif /* WEFT_CODE_H */

/*
 * atomic_ops.h -- the bodies of the 0xFE page's instructions (the threads
 * proposal), included once inside the dispatch loop by interp_ops.h; same
 * conventions (CASE, NEXT, TRAP, X1..Y3, fp, mem, memory, st, err, ctx).
 * Operand layouts are the ones drawn in code.h ("atomics").
 *
 * Every access is a real hardware atomic (__atomic builtins, seq_cst) on the
 * linear-memory address, with no lock (DESIGN.md invariant 5).  The effective
 * address is checked for alignment first ("unaligned atomic") and then, in
 * software-bounds mode (the _SW twins), against the current size ("out of
 * bounds memory access").  In guard mode the guard pages catch an address
 * past the size as they do for plain accesses: an aligned atomic never
 * straddles a page, so it faults before it does anything or not at all.
 * Except under TSan, where an atomic is a call into the sanitizer's runtime,
 * which a fault could not be unwound out of safely: there both twins check.
 * Wait and notify are the parking lot's (atomics/parking_lot.h), which does
 * its own checks in the spec's order.
 *
 * The hot path is what the contended-RMW benchmark (bench/threaded) runs: the
 * operands, the destination slot and the next handler are all read before
 * the atomic, because a locked instruction holds back every later load until
 * it completes; after it there is one store and the jump.  An atomic on a
 * constant address (a counter or a lock that is a C global) runs its _K form:
 * the translator added the offset and checked the alignment, so the handler
 * reads the address from its code and, in guard mode, checks nothing -- 11
 * machine instructions for an i32.atomic.rmw.add instead of 18 (callgrind, the
 * contended-RMW kernel).
 */

/* Guard mode checks bounds too under TSan (see above). */
#define ATOM_GUARD_CHECKS_BOUNDS WEFT_TSAN

/* Declares `p`, the checked T* for the access.  Its address is fp[slot] plus
 * the offset in X2, or, in a _K form (K == 1), the effective address the
 * translator computed and found aligned, in pc[2]; `bounds` (a constant)
 * says whether to check it against the size. */
#define ATOM_ADDR(T, K, slot, bounds)                                          \
    uint64_t ea = (K) ? pc[2].u64 : (uint64_t)g_u32(fp[slot]) + (uint32_t)X2;  \
    if (!(K) && WEFT_UNLIKELY(ea & (sizeof(T) - 1)))                           \
        TRAP(UNALIGNED_ATOMIC);                                                \
    if ((bounds) && WEFT_UNLIKELY(ea + sizeof(T) > mem_size(memory)))          \
        TRAP(OOB_MEMORY);                                                      \
    T *p = (T *)(void *)(mem + ea)

/* The next handler, read before the atomic (computed goto only); ATOM_NEXT
 * then moves on as NEXT does. */
#if WEFT_COMPUTED_GOTO
#define ATOM_PREFETCH(n) const void *next_h = pc[(n)].h
#define ATOM_NEXT(n)                                                           \
    do {                                                                       \
        pc += (n);                                                             \
        goto *next_h;                                                          \
    } while (0)
#else
#define ATOM_PREFETCH(n) ((void)0)
#define ATOM_NEXT(n) NEXT(n)
#endif

/* The guard-mode handler `id`, its software-bounds twin id_SW and their
 * constant-address forms id_K, id_K_SW, from one body macro
 * BODY(args..., bounds, K). */
#define ATOM_TWINS(id, BODY, ...)                                              \
    CASE(id) BODY(__VA_ARGS__, ATOM_GUARD_CHECKS_BOUNDS, 0)                    \
    CASE(id##_SW) BODY(__VA_ARGS__, 1, 0)                                      \
    CASE(id##_K) BODY(__VA_ARGS__, ATOM_GUARD_CHECKS_BOUNDS, 1)                \
    CASE(id##_K_SW) BODY(__VA_ARGS__, 1, 1)

/* [op][x=dst y=addr][x=offset], _K: [op][x=dst][address]: zero-extends the
 * T it reads. */
#define ATOM_LOAD_BODY(T, bounds, K)                                           \
    {                                                                          \
        int32_t dst = X1;                                                      \
        ATOM_PREFETCH(3);                                                      \
        ATOM_ADDR(T, K, Y1, bounds);                                           \
        fp[dst] = (uint64_t)__atomic_load_n(p, __ATOMIC_SEQ_CST);              \
        ATOM_NEXT(3);                                                          \
    }
#define ATOM_LOAD(id, T) ATOM_TWINS(id, ATOM_LOAD_BODY, T)

/* [op][x=addr y=val][x=offset], _K: [op][y=val][address]: stores the low T
 * of the value. */
#define ATOM_STORE_BODY(T, bounds, K)                                          \
    {                                                                          \
        T v = (T)fp[Y1];                                                       \
        ATOM_PREFETCH(3);                                                      \
        ATOM_ADDR(T, K, X1, bounds);                                           \
        __atomic_store_n(p, v, __ATOMIC_SEQ_CST);                              \
        ATOM_NEXT(3);                                                          \
    }
#define ATOM_STORE(id, T) ATOM_TWINS(id, ATOM_STORE_BODY, T)

/* [op][x=dst y=addr][x=offset y=val], _K: [op][x=dst y=val][address]:
 * fp[dst] = the old T, zero-extended. */
#define ATOM_RMW_BODY(T, fn, bounds, K)                                        \
    {                                                                          \
        T v = (T)fp[(K) ? Y1 : Y2];                                            \
        int32_t dst = X1;                                                      \
        ATOM_PREFETCH(3);                                                      \
        ATOM_ADDR(T, K, Y1, bounds);                                           \
        fp[dst] = (uint64_t)fn(p, v, __ATOMIC_SEQ_CST);                        \
        ATOM_NEXT(3);                                                          \
    }
#define ATOM_RMW(id, T, fn) ATOM_TWINS(id, ATOM_RMW_BODY, T, fn)

/* [op][x=dst y=addr][x=offset y=expected][x=replacement], _K: [op][x=dst
 * y=expected][address][x=replacement].  The expected operand is wrapped to T
 * before the compare, as the replacement is: an rmw8 cmpxchg compares bytes,
 * whatever the operand's upper bits (the threads Overview, "Compare
 * Exchange"; WebAssembly/threads issue #195 corrected the draft formal text,
 * which compared the whole operand; tests/wat/cmpxchg_wrap.wat). */
#define ATOM_CMPXCHG_BODY(T, bounds, K)                                        \
    {                                                                          \
        T old = (T)fp[(K) ? Y1 : Y2];                                          \
        T rep = (T)fp[X3];                                                     \
        int32_t dst = X1;                                                      \
        ATOM_PREFETCH(4);                                                      \
        ATOM_ADDR(T, K, Y1, bounds);                                           \
        __atomic_compare_exchange_n(p, &old, rep, false, __ATOMIC_SEQ_CST,      \
                                    __ATOMIC_SEQ_CST);                         \
        fp[dst] = (uint64_t)old;                                               \
        ATOM_NEXT(4);                                                          \
    }
#define ATOM_CMPXCHG(id, T) ATOM_TWINS(id, ATOM_CMPXCHG_BODY, T)

/* i32 values sit zero-extended in their slots, so the i32 forms read the
 * operand's low 32 bits as the i64 forms read all 64. */
#define ATOM_FAMILY(OP, fn)                                                    \
    ATOM_RMW(I32_ATOMIC_RMW_##OP, uint32_t, fn)                                \
    ATOM_RMW(I64_ATOMIC_RMW_##OP, uint64_t, fn)                                \
    ATOM_RMW(I32_ATOMIC_RMW8_##OP##_U, uint8_t, fn)                            \
    ATOM_RMW(I32_ATOMIC_RMW16_##OP##_U, uint16_t, fn)                          \
    ATOM_RMW(I64_ATOMIC_RMW8_##OP##_U, uint8_t, fn)                            \
    ATOM_RMW(I64_ATOMIC_RMW16_##OP##_U, uint16_t, fn)                          \
    ATOM_RMW(I64_ATOMIC_RMW32_##OP##_U, uint32_t, fn)

ATOM_LOAD(I32_ATOMIC_LOAD, uint32_t)
ATOM_LOAD(I64_ATOMIC_LOAD, uint64_t)
ATOM_LOAD(I32_ATOMIC_LOAD8_U, uint8_t)
ATOM_LOAD(I32_ATOMIC_LOAD16_U, uint16_t)
ATOM_LOAD(I64_ATOMIC_LOAD8_U, uint8_t)
ATOM_LOAD(I64_ATOMIC_LOAD16_U, uint16_t)
ATOM_LOAD(I64_ATOMIC_LOAD32_U, uint32_t)
ATOM_STORE(I32_ATOMIC_STORE, uint32_t)
ATOM_STORE(I64_ATOMIC_STORE, uint64_t)
ATOM_STORE(I32_ATOMIC_STORE8, uint8_t)
ATOM_STORE(I32_ATOMIC_STORE16, uint16_t)
ATOM_STORE(I64_ATOMIC_STORE8, uint8_t)
ATOM_STORE(I64_ATOMIC_STORE16, uint16_t)
ATOM_STORE(I64_ATOMIC_STORE32, uint32_t)
ATOM_FAMILY(ADD, __atomic_fetch_add)
ATOM_FAMILY(SUB, __atomic_fetch_sub)
ATOM_FAMILY(AND, __atomic_fetch_and)
ATOM_FAMILY(OR, __atomic_fetch_or)
ATOM_FAMILY(XOR, __atomic_fetch_xor)
ATOM_FAMILY(XCHG, __atomic_exchange_n)
ATOM_CMPXCHG(I32_ATOMIC_RMW_CMPXCHG, uint32_t)
ATOM_CMPXCHG(I64_ATOMIC_RMW_CMPXCHG, uint64_t)
ATOM_CMPXCHG(I32_ATOMIC_RMW8_CMPXCHG_U, uint8_t)
ATOM_CMPXCHG(I32_ATOMIC_RMW16_CMPXCHG_U, uint16_t)
ATOM_CMPXCHG(I64_ATOMIC_RMW8_CMPXCHG_U, uint8_t)
ATOM_CMPXCHG(I64_ATOMIC_RMW16_CMPXCHG_U, uint16_t)
ATOM_CMPXCHG(I64_ATOMIC_RMW32_CMPXCHG_U, uint32_t)

/* [op] */
CASE(ATOMIC_FENCE) {
    atomic_thread_fence(memory_order_seq_cst);
    NEXT(1);
}

/* [op][x=dst y=addr][x=offset y=count] */
CASE(MEMORY_ATOMIC_NOTIFY) CASE(MEMORY_ATOMIC_NOTIFY_SW) {
    uint64_t ea = (uint64_t)g_u32(fp[Y1]) + (uint32_t)X2;
    uint32_t woken;
    st = atom_notify(memory, ea, g_u32(fp[Y2]), &woken, err);
    if (WEFT_UNLIKELY(st != WEFT_OK))
        goto trap_st;
    fp[X1] = woken;
    NEXT(3);
}

/* [op][x=dst y=addr][x=offset y=expected][x=timeout]: blocks in the parking
 * lot, which also ends the wait (as a trap) when the group terminates. */
#define ATOM_WAIT(id, width, G)                                                \
    CASE(id) CASE(id##_SW) {                                                   \
        uint64_t ea = (uint64_t)g_u32(fp[Y1]) + (uint32_t)X2;                  \
        uint32_t r;                                                            \
        st = atom_wait(memory, ea, G(fp[Y2]), width, g_i64(fp[X3]),            \
                       ctx->terminate, &r, err);                               \
        if (WEFT_UNLIKELY(st != WEFT_OK))                                      \
            goto trap_st;                                                      \
        fp[X1] = r;                                                            \
        NEXT(4);                                                               \
    }
ATOM_WAIT(MEMORY_ATOMIC_WAIT32, 4, g_u32)
ATOM_WAIT(MEMORY_ATOMIC_WAIT64, 8, g_u64)

#undef ATOM_GUARD_CHECKS_BOUNDS
#undef ATOM_ADDR
#undef ATOM_PREFETCH
#undef ATOM_NEXT
#undef ATOM_TWINS
#undef ATOM_LOAD_BODY
#undef ATOM_LOAD
#undef ATOM_STORE_BODY
#undef ATOM_STORE
#undef ATOM_RMW_BODY
#undef ATOM_RMW
#undef ATOM_CMPXCHG_BODY
#undef ATOM_CMPXCHG
#undef ATOM_FAMILY
#undef ATOM_WAIT

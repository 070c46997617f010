/*
 * atomic_ops.h -- the bodies of the 0xFE page's instructions (the threads
 * proposal), included once inside the dispatch loop by interp_ops.h; same
 * conventions (CASE, NEXT, TRAP, X1..Y3, fp, mem, memory, st, err, ctx).
 * Operand layouts are the ones drawn in code.h ("atomics").
 *
 * Every access is a real hardware atomic (__atomic builtins, seq_cst) on the
 * linear-memory address, with no lock (DESIGN.md invariant 5).  The effective
 * address is checked for alignment first ("unaligned atomic") and then against
 * the current size ("out of bounds memory access"), in both bounds modes: an
 * atomic must never fault half-done, and a fault inside a sanitizer's atomic
 * wrapper could not be unwound safely.  So the _SW twins share the bodies.
 * Wait and notify are the parking lot's (atomics/parking_lot.h), which does
 * its own checks in the spec's order.
 */

/* Declares `p`, the checked T* for the access whose address is in fp[slot]. */
#define ATOM_ADDR(T, slot)                                                     \
    uint64_t ea = (uint64_t)g_u32(fp[slot]) + (uint32_t)X2;                    \
    if (WEFT_UNLIKELY(ea & (sizeof(T) - 1)))                                   \
        TRAP(UNALIGNED_ATOMIC);                                                \
    if (WEFT_UNLIKELY(ea + sizeof(T) > mem_size(memory)))                      \
        TRAP(OOB_MEMORY);                                                      \
    T *p = (T *)(void *)(mem + ea)

/* [op][x=dst y=addr][x=offset]: zero-extends the T it reads. */
#define ATOM_LOAD(id, T)                                                       \
    CASE(id) CASE(id##_SW) {                                                   \
        ATOM_ADDR(T, Y1);                                                      \
        fp[X1] = (uint64_t)__atomic_load_n(p, __ATOMIC_SEQ_CST);               \
        NEXT(3);                                                               \
    }

/* [op][x=addr y=val][x=offset]: stores the low T of the value. */
#define ATOM_STORE(id, T)                                                      \
    CASE(id) CASE(id##_SW) {                                                   \
        T v = (T)fp[Y1];                                                       \
        ATOM_ADDR(T, X1);                                                      \
        __atomic_store_n(p, v, __ATOMIC_SEQ_CST);                              \
        NEXT(3);                                                               \
    }

/* [op][x=dst y=addr][x=offset y=val]: fp[dst] = the old T, zero-extended. */
#define ATOM_RMW(id, T, fn)                                                    \
    CASE(id) CASE(id##_SW) {                                                   \
        T v = (T)fp[Y2];                                                       \
        ATOM_ADDR(T, Y1);                                                      \
        fp[X1] = (uint64_t)fn(p, v, __ATOMIC_SEQ_CST);                         \
        NEXT(3);                                                               \
    }

/* [op][x=dst y=addr][x=offset y=expected][x=replacement].  The expected
 * operand is compared whole with the zero-extended T in memory (it is not
 * wrapped): one with bits above T can never match, so that case only reads. */
#define ATOM_CMPXCHG(id, T)                                                    \
    CASE(id) CASE(id##_SW) {                                                   \
        uint64_t want = fp[Y2];                                                \
        T rep = (T)fp[X3];                                                     \
        ATOM_ADDR(T, Y1);                                                      \
        T old = (T)want;                                                       \
        if (WEFT_UNLIKELY((uint64_t)old != want))                              \
            old = __atomic_load_n(p, __ATOMIC_SEQ_CST);                        \
        else                                                                   \
            __atomic_compare_exchange_n(p, &old, rep, false, __ATOMIC_SEQ_CST,  \
                                        __ATOMIC_SEQ_CST);                     \
        fp[X1] = (uint64_t)old;                                                \
        NEXT(4);                                                               \
    }

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

#undef ATOM_ADDR
#undef ATOM_LOAD
#undef ATOM_STORE
#undef ATOM_RMW
#undef ATOM_CMPXCHG
#undef ATOM_FAMILY
#undef ATOM_WAIT

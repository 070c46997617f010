/*
 * recursion.c -- call-heavy recursion: naive Fibonacci, Ackermann's function
 * and Takeuchi's tak.  Almost nothing but calls, returns, compares and adds,
 * so it measures an engine's call path.  The deepest recursion (ackermann
 * 3,8) is about two thousand frames.
 */
#include "kernel.h"

#define FIB_N 37
#define ACK_M 3
#define ACK_N 8
#define ACK_CALLS 40
#define TAK_CALLS 24

/* noinline keeps each function a real callee in both builds. */
__attribute__((noinline)) static uint32_t fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static uint32_t ack(uint32_t m, uint32_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

__attribute__((noinline)) static int32_t tak(int32_t x, int32_t y, int32_t z)
{
    if (y >= x)
        return z;
    return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
}

/* Each argument is derived from a fresh read of the volatile seed (bit 0 is 1),
 * so the compiler can neither fold a call nor hoist a repeated one out of its
 * loop: these functions have no side effects, and calls with the same
 * arguments would otherwise be merged. */
static inline uint32_t one(void)
{
    return (uint32_t)(kernel_get_seed() & 1);
}

KERNEL_RUN
{
    uint64_t h = 0;
    h = mix64(h, fib(FIB_N * one())); /* 24157817 */
    for (uint32_t i = 0; i < ACK_CALLS; i++)
        h = mix64(h, ack(ACK_M * one(), ACK_N * one() - (i & 1))); /* 2045, 1021 */
    for (uint32_t i = 0; i < TAK_CALLS; i++)
        h = mix64(h, (uint64_t)tak(24 * (int32_t)one() + (int32_t)(i % 3), 16, 8));
    return h;
}

/*
 * vm.c -- a tiny stack-based bytecode interpreter with switch dispatch, the
 * shape of a scripting-language VM inside a wasm guest.  Its program counts
 * Collatz steps for 1..N and checks a running sum, so the guest executes a
 * hot dispatch loop with hard-to-predict indirect branches.
 */
#include "kernel.h"

#define N_MAX 100000

enum {
    OP_PUSH,   /* imm: push imm                  */
    OP_LOAD,   /* imm: push reg[imm]             */
    OP_STORE,  /* imm: reg[imm] = pop            */
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_SHR1,   /* top >>= 1                      */
    OP_AND1,   /* top &= 1                       */
    OP_DUP,
    OP_JZ,     /* imm: pop; if zero jump to imm  */
    OP_JMP,    /* imm: jump to imm               */
    OP_LT,     /* a b -> a < b                   */
    OP_EQ,     /* a b -> a == b                  */
    OP_INC,    /* imm: reg[imm]++                */
    OP_HALT
};

typedef struct {
    uint8_t op;
    int32_t imm;
} insn;

/* Registers: 0 = n, 1 = x, 2 = steps (total), 3 = limit, 4 = checksum. */
static const insn program[] = {
    /* 0 */ {OP_PUSH, 1}, {OP_STORE, 0},                    /* n = 1                 */
    /* 2 */ {OP_LOAD, 0}, {OP_LOAD, 3}, {OP_LT, 0}, {OP_JZ, 34}, /* while n < limit */
    /* 6 */ {OP_LOAD, 0}, {OP_STORE, 1},                    /*   x = n               */
    /* 8 */ {OP_LOAD, 1}, {OP_PUSH, 1}, {OP_EQ, 0}, {OP_PUSH, 0}, {OP_EQ, 0}, {OP_JZ, 28},
    /*14 */ {OP_INC, 2},                                    /*   while x != 1: steps++ */
    /*15 */ {OP_LOAD, 1}, {OP_AND1, 0}, {OP_JZ, 24},        /*     if x odd           */
    /*18 */ {OP_LOAD, 1}, {OP_PUSH, 3}, {OP_MUL, 0}, {OP_PUSH, 1}, {OP_ADD, 0},
    /*23 */ {OP_JMP, 26},                                   /*       x = 3x+1         */
    /*24 */ {OP_LOAD, 1}, {OP_SHR1, 0},                     /*     else x = x/2       */
    /*26 */ {OP_STORE, 1}, {OP_JMP, 8},
    /*28 */ {OP_LOAD, 4}, {OP_LOAD, 2}, {OP_ADD, 0}, {OP_STORE, 4}, /* sum += steps */
    /*32 */ {OP_INC, 0},
    /*33 */ {OP_JMP, 2},
    /*34 */ {OP_HALT, 0},
};

static insn code[sizeof program / sizeof program[0]];

static uint64_t execute(const insn *pc0, int64_t *reg)
{
    int64_t stack[64];
    int sp = 0;
    const insn *pc = pc0;
    uint64_t executed = 0;
    for (;;) {
        const insn *i = pc++;
        executed++;
        switch (i->op) {
        case OP_PUSH:
            stack[sp++] = i->imm;
            break;
        case OP_LOAD:
            stack[sp++] = reg[i->imm];
            break;
        case OP_STORE:
            reg[i->imm] = stack[--sp];
            break;
        case OP_ADD:
            sp--, stack[sp - 1] += stack[sp];
            break;
        case OP_SUB:
            sp--, stack[sp - 1] -= stack[sp];
            break;
        case OP_MUL:
            sp--, stack[sp - 1] *= stack[sp];
            break;
        case OP_SHR1:
            stack[sp - 1] >>= 1;
            break;
        case OP_AND1:
            stack[sp - 1] &= 1;
            break;
        case OP_DUP:
            stack[sp] = stack[sp - 1], sp++;
            break;
        case OP_JZ:
            if (stack[--sp] == 0)
                pc = pc0 + i->imm;
            break;
        case OP_JMP:
            pc = pc0 + i->imm;
            break;
        case OP_LT:
            sp--, stack[sp - 1] = stack[sp - 1] < stack[sp];
            break;
        case OP_EQ:
            sp--, stack[sp - 1] = stack[sp - 1] == stack[sp];
            break;
        case OP_INC:
            reg[i->imm]++;
            break;
        case OP_HALT:
            return executed;
        default:
            return ~executed; /* a corrupt program shows in the checksum */
        }
    }
}

KERNEL_RUN
{
    for (size_t k = 0; k < sizeof program / sizeof program[0]; k++)
        code[k] = program[k];
    int64_t reg[5] = {0, 0, 0, (int64_t)(N_MAX + (kernel_get_seed() & 1) - 1), 0};
    uint64_t executed = execute(code, reg);
    uint64_t h = mix64(0, executed);
    h = mix64(h, (uint64_t)reg[2]);
    return mix64(h, (uint64_t)reg[4]);
}

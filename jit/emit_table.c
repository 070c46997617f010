/*
 * emit_table.c -- templates for references, tables, bulk memory and
 * segments; layouts in engine/code.h, semantics in engine/interp_ops.h.
 *
 * table.get, table.set, table.size and the reference ops are inline: a
 * bounds check against the table's size and a load or store of its elements
 * array.  Everything that moves a range, grows or touches a segment calls
 * the engine/instance.h function the interpreter calls, through a runtime
 * helper (runtime_x64.c) where it needs the environment, so the checks and
 * the trap messages are the interpreter's.
 */
#include "engine/instance.h"
#include "jit/jit_internal.h"

/* r = the pointer at index `i` of the array whose address is the instance's
 * field at `field` (funcs, tables, globals). */
static void load_indexed(jit_state *j, x64_reg r, int32_t field, uint32_t i)
{
    cb_buf *b = &j->b;
    jit_load_inst(j, r);
    x64_load(b, X64_S64, r, x64_mem_bd(r, field));
    if (i <= INT32_MAX / 8) {
        x64_load(b, X64_S64, r, x64_mem_bd(r, (int32_t)(i * 8)));
    } else {
        x64_mov_ri(b, X64_S32, X64_RDX, (int64_t)i);
        x64_load(b, X64_S64, r, x64_mem_bisd(r, X64_RDX, 8, 0));
    }
}

static void load_table(jit_state *j, x64_reg r, int32_t table)
{
    load_indexed(j, r, offsetof(weft_instance, tables), (uint32_t)table);
}

/* rcx = table `table`, eax = the u32 in slot `index`, trapping "out of bounds
 * table access" unless index < size; then rdx = the elements array. */
static void table_element(jit_state *j, int32_t table, int32_t index)
{
    cb_buf *b = &j->b;
    load_table(j, X64_RCX, table);
    jit_ld32(j, X64_RAX, index);
    x64_alu_rm(b, X64_CMP, X64_S32, X64_RAX, x64_mem_bd(X64_RCX, offsetof(weft_table, size)));
    x64_jcc(b, X64_AE, jit_trap_label(j, WEFT_E_OOB_TABLE));
    x64_load(b, X64_S64, X64_RDX, x64_mem_bd(X64_RCX, offsetof(weft_table, elems)));
}

/* The 32-bit argument registers after rdi (the environment), in order. */
static const x64_reg arg_regs[] = {X64_RSI, X64_RDX, X64_RCX, X64_R8, X64_R9};

/* A runtime helper's argument after the environment: a u32 immediate, the
 * u32 in a slot, or a slot's whole 64 bits (a reference). */
typedef struct helper_arg {
    bool is_slot;
    bool wide;
    int32_t v;
} helper_arg;

#define SLOT(s) ((helper_arg){true, false, (s)})
#define REF(s) ((helper_arg){true, true, (s)})
#define IMM(k) ((helper_arg){false, false, (k)})

/* Calls fn(env, args..); then, when `status`, propagates anything but WEFT_OK. */
static void call_helper(jit_state *j, const void *fn, bool status, uint32_t n,
                        const helper_arg *args)
{
    jit_arg_env(j);
    for (uint32_t k = 0; k < n; k++) {
        if (!args[k].is_slot)
            x64_mov_ri(&j->b, X64_S32, arg_regs[k], (int64_t)(uint32_t)args[k].v);
        else if (args[k].wide)
            jit_ld64(j, arg_regs[k], args[k].v);
        else
            jit_ld32(j, arg_regs[k], args[k].v);
    }
    jit_call_c(j, fn);
    if (status)
        jit_check_status(j);
}

#define CALL_HELPER(j, fn, status, ...)                                                     \
    call_helper((j), (const void *)(fn), (status),                                          \
                sizeof((helper_arg[]){__VA_ARGS__}) / sizeof(helper_arg),                   \
                (helper_arg[]){__VA_ARGS__})

bool jit_emit_table(jit_state *j, cmp_op op, const cmp_cell *pc)
{
    cb_buf *b = &j->b;
    switch (op) {
    case CO_REF_IS_NULL: /* [op][x=dst y=a] */
        x64_alu_rr(b, X64_XOR, X64_S32, X64_RAX, X64_RAX);
        jit_test_slot(j, X64_S64, pc[1].s.y);
        x64_setcc(b, X64_E, X64_RAX);
        jit_st64(j, pc[1].s.x, X64_RAX);
        j->len = 2;
        return true;
    case CO_REF_FUNC: /* [op][x=dst y=func]: the weft_func pointer is the reference */
        load_indexed(j, X64_RAX, offsetof(weft_instance, funcs), (uint32_t)pc[1].s.y);
        jit_st64(j, pc[1].s.x, X64_RAX);
        j->len = 2;
        return true;
    case CO_TABLE_GET: /* [op][x=dst y=idx][x=table] */
        table_element(j, pc[2].s.x, pc[1].s.y);
        x64_load(b, X64_S64, X64_RAX, x64_mem_bisd(X64_RDX, X64_RAX, 8, 0));
        jit_st64(j, pc[1].s.x, X64_RAX);
        j->len = 3;
        return true;
    case CO_TABLE_SET: /* [op][x=idx y=val][x=table] */
        table_element(j, pc[2].s.x, pc[1].s.x);
        jit_ld64(j, X64_RCX, pc[1].s.y);
        x64_store(b, X64_S64, x64_mem_bisd(X64_RDX, X64_RAX, 8, 0), X64_RCX);
        j->len = 3;
        return true;
    case CO_TABLE_SIZE: /* [op][x=dst y=table] */
        load_table(j, X64_RCX, pc[1].s.y);
        x64_load(b, X64_S32, X64_RAX, x64_mem_bd(X64_RCX, offsetof(weft_table, size)));
        jit_st64(j, pc[1].s.x, X64_RAX);
        j->len = 2;
        return true;
    case CO_TABLE_GROW: /* [op][x=dst y=init][x=n y=table]; the result is a u32 */
        CALL_HELPER(j, jit_rt_table_grow, false, IMM(pc[2].s.y), SLOT(pc[2].s.x), REF(pc[1].s.y));
        x64_mov_rr(b, X64_S32, X64_RAX, X64_RAX);
        jit_st64(j, pc[1].s.x, X64_RAX);
        j->len = 3;
        return true;
    case CO_TABLE_FILL: /* [op][x=i y=val][x=n y=table] */
        CALL_HELPER(j, jit_rt_table_fill, true, IMM(pc[2].s.y), SLOT(pc[1].s.x), REF(pc[1].s.y),
                    SLOT(pc[2].s.x));
        j->len = 3;
        return true;
    case CO_TABLE_COPY: /* [op][x=d y=s][x=n][x=dst-table y=src-table] */
        CALL_HELPER(j, jit_rt_table_copy, true, IMM(pc[3].s.x), IMM(pc[3].s.y), SLOT(pc[1].s.x),
                    SLOT(pc[1].s.y), SLOT(pc[2].s.x));
        j->len = 4;
        return true;
    case CO_TABLE_INIT: /* [op][x=d y=s][x=n][x=elem y=table] */
        CALL_HELPER(j, jit_rt_table_init, true, IMM(pc[3].s.y), IMM(pc[3].s.x), SLOT(pc[1].s.x),
                    SLOT(pc[1].s.y), SLOT(pc[2].s.x));
        j->len = 4;
        return true;
    case CO_ELEM_DROP: /* [op][x=elem] */
        CALL_HELPER(j, jit_rt_elem_drop, false, IMM(pc[1].s.x));
        j->len = 2;
        return true;
    case CO_MEMORY_FILL: /* [op][x=d y=v][x=n] */
        CALL_HELPER(j, jit_rt_memory_fill, true, SLOT(pc[1].s.x), SLOT(pc[1].s.y),
                    SLOT(pc[2].s.x));
        j->len = 3;
        return true;
    case CO_MEMORY_COPY: /* [op][x=d y=s][x=n] */
        CALL_HELPER(j, jit_rt_memory_copy, true, SLOT(pc[1].s.x), SLOT(pc[1].s.y),
                    SLOT(pc[2].s.x));
        j->len = 3;
        return true;
    case CO_MEMORY_INIT: /* [op][x=d y=s][x=n y=data] */
        CALL_HELPER(j, jit_rt_memory_init, true, IMM(pc[2].s.y), SLOT(pc[1].s.x),
                    SLOT(pc[1].s.y), SLOT(pc[2].s.x));
        j->len = 3;
        return true;
    case CO_DATA_DROP: /* [op][x=data] */
        CALL_HELPER(j, jit_rt_data_drop, false, IMM(pc[1].s.x));
        j->len = 2;
        return true;
    default:
        return false;
    }
}

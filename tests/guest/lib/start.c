/*
 * start.c -- the program entry `_start`, replacing wasi-libc's crt1-command.o
 * (link with -nostartfiles).
 *
 * Why: Debian's wasi-libc (2022) has a crt1 whose _start does not call
 * __wasm_call_ctors, so wasm-ld wraps *every* export in a
 * "command_export" function that runs the constructors before and
 * __wasm_call_dtors after it -- wasi_thread_start included.  That would
 * flush stdio and run atexit handlers at each thread's end, on a stack its
 * joiner may already have freed.  An explicit call of __wasm_call_ctors in
 * the inputs tells wasm-ld not to wrap anything, so the entry does it here.
 */
#include <stdlib.h>

void __wasm_call_ctors(void);
void __wasm_call_dtors(void);
int __original_main(void);

void _start(void);
void _start(void)
{
    __wasm_call_ctors();
    int status = __original_main();
    /* exit() flushes stdio itself and ends the whole group with proc_exit;
     * a 0 status returns from _start instead, which also ends the group. */
    if (status != 0)
        exit(status);
    __wasm_call_dtors();
}

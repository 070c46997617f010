/*
 * perf_map.c -- names compiled functions for Linux perf (weft_config.perf_map):
 * one "START SIZE NAME" line per function in /tmp/perf-<pid>.map, the file
 * perf reads for code no binary on disk describes.  Opt-in, for profiling
 * only: a write that fails is ignored (the code runs the same).
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "jit/jit_internal.h"

static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;

void jit_perf_map_add(const weft_module *m, uint32_t func_index, const void *start, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%ld.map", (long)getpid());
    const mod_name *n = m->names.funcs ? &m->names.funcs[func_index] : NULL;
    pthread_mutex_lock(&map_lock);
    FILE *f = fopen(path, "a");
    if (f) {
        fprintf(f, "%lx %zx wasm:", (unsigned long)(uintptr_t)start, size);
        if (n && n->data) /* one line per function: no spaces or controls in it */
            for (uint32_t i = 0; i < n->len; i++)
                fputc((unsigned char)n->data[i] > ' ' && n->data[i] != 0x7F ? n->data[i] : '?', f);
        else
            fprintf(f, "func[%u]", func_index);
        fputc('\n', f);
        fclose(f);
    }
    pthread_mutex_unlock(&map_lock);
}

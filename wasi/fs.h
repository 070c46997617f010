/*
 * fs.h -- what the file-system calls of wasi-fs share (wasi_fs_): argument
 * access, the filestat layout, time arguments, and errors of the sandbox.
 * Implemented in fd_file.c; used by fd_file.c and path.c only.
 */
#ifndef WEFT_WASI_FS_H
#define WEFT_WASI_FS_H

#include <sys/stat.h>
#include <time.h>

#include "wasi/fd_table.h"
#include "wasi/sandbox.h"

static inline uint32_t wasi_fs_u32(const wasi_call *c, int i) { return (uint32_t)c->args[i].of.i32; }
static inline uint64_t wasi_fs_u64(const wasi_call *c, int i) { return (uint64_t)c->args[i].of.i64; }

/* A host errno or SBX_ESCAPE as a WASI errno (an escape is ENOTCAPABLE). */
static inline wasi_errno wasi_fs_errno(int e)
{
    return e == SBX_ESCAPE ? WASI_ENOTCAPABLE : wasi_errno_from_host(e);
}

/* The WASI filetype of a stat mode. */
WEFT_INTERNAL uint8_t wasi_fs_filetype(mode_t mode);

/* Writes the 64-byte filestat of `st` at `out` (guest memory, checked). */
WEFT_INTERNAL void wasi_fs_store_filestat(uint8_t *out, const struct stat *st);

/* The times of fd/path_filestat_set_times as utimensat's pair: EINVAL for a
 * time both given and "now", or unknown flags. */
WEFT_INTERNAL wasi_errno wasi_fs_times(uint64_t atim, uint64_t mtim, uint32_t fstflags,
                                       struct timespec ts[2]);

#endif /* WEFT_WASI_FS_H */

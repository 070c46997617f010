/*
 * fd_table.h -- the WASI context and its fd table (wasi_fd_*): guest fd
 * numbers mapped to host fds with their WASI type, rights and flags.
 *
 * Which file implements which call (all declared in calls.def):
 *   fd_io.c, args.c, clock.c, random.c, poll.c, proc.c, sock.c: args_*,
 *     environ_*, clock_*, random_get, poll_oneoff, proc_*, sched_yield,
 *     sock_*, and the generic fd calls fd_read, fd_write, fd_pread,
 *     fd_pwrite, fd_seek, fd_tell, fd_close, fd_renumber, fd_fdstat_get,
 *     fd_fdstat_set_flags, fd_fdstat_set_rights, fd_prestat_get,
 *     fd_prestat_dir_name.
 *   fd_file.c and path.c (over sandbox.c): fd_advise, fd_allocate,
 *     fd_datasync, fd_sync, fd_filestat_get, fd_filestat_set_size,
 *     fd_filestat_set_times, fd_readdir, and every path_*.
 *
 * Concurrency: the table is a growable array of pointers to refcounted
 * entries under one rwlock.  A call takes its entry with wasi_fd_get() (read
 * lock held only during the lookup; the entry's refcount is raised) and
 * gives it back with wasi_fd_put().  fd_close/fd_renumber only unhook the
 * slot; the entry, its host fd and its directory state live until the last
 * holder puts it back, so a concurrent close never frees what a call uses.
 * Lock order: table lock, then an entry's `lock`; never the other way.
 *
 * Guest fds 0, 1, 2 are the configured host stdio fds, marked `borrowed`:
 * weft never closes them.  Preopens take 3, 4, ... in config order.  New fds
 * (path_open, sock_accept) take the lowest free number.
 *
 * Interruption: blocking calls use wasi_wait_fd() (poll on the fd and the
 * context's interrupt eventfd); path_open, which cannot poll a FIFO before
 * it is open, tries a non-blocking open between wasi_sleep_interruptibly()
 * waits (path.c).  The dispatcher in wasi.c turns every call
 * made or finished after wasi_interrupt() into WEFT_TRAP "terminated", so
 * a call needs no check of its own unless it may block indefinitely.
 */
#ifndef WEFT_WASI_FD_TABLE_H
#define WEFT_WASI_FD_TABLE_H

#include <pthread.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "wasi/errno.h"
#include "wasi/wasi_impl.h"

typedef struct wasi_fd {
    _Atomic uint32_t refs;   /* 1 for the table slot + 1 per call holding it */
    int host_fd;             /* immutable                                    */
    bool borrowed;           /* host stdio: never closed by weft              */
    bool preopen;            /* a preopened directory (fd_prestat_*)          */
    uint8_t filetype;        /* WASI_FILETYPE_*, immutable                    */
    _Atomic uint16_t fdflags;            /* WASI_FDFLAGS_*                    */
    _Atomic uint64_t rights_base;        /* only ever narrowed                */
    _Atomic uint64_t rights_inheriting;  /* only ever narrowed                */
    char *guest_path;        /* preopens: the guest's name (NUL-terminated)   */
    size_t guest_path_len;
    char *host_path;         /* preopens: the host directory as configured   */

    /* Per-entry state of wasi-fs, guarded by `lock`: fd_readdir's stream
     * (e.g. a DIR* and the cookie it stands at).  `dir_free`, if set, runs on
     * `dir` when the entry is freed, before the host fd is closed. */
    pthread_mutex_t lock;
    void *dir;
    uint64_t dir_cookie;
    void (*dir_free)(void *dir);
} wasi_fd;

typedef struct wasi_fd_table {
    pthread_rwlock_t lock;   /* guards `slots` and `cap`                      */
    wasi_fd **slots;         /* NULL = free number                            */
    uint32_t cap;
} wasi_fd_table;

/* The context: fds, plus what the calls of wasi-core need. */
struct wasi_ctx {
    weft_engine *engine;
    wasi_fd_table fds;
    char **argv;             /* immutable after wasi_new                      */
    size_t argc, argv_bytes; /* argv_bytes counts the NULs                    */
    char **envp;
    size_t envc, envp_bytes;
    int intr_fd;             /* eventfd, readable once interrupted            */
    _Atomic bool interrupted;
    struct wasi_import_slot *imports; /* wasi.c: one host function per call  */
};

/* Looks up guest fd `fd` and checks that it has every right in `rights`
 * (WASI_RIGHT_* bits; 0 = none needed).  On success *out holds a reference:
 * give it back with wasi_fd_put.  WASI_EBADF if there is no such fd,
 * WASI_ENOTCAPABLE if a right is missing. */
WEFT_INTERNAL wasi_errno wasi_fd_get(wasi_ctx *w, uint32_t fd, uint64_t rights, wasi_fd **out);
WEFT_INTERNAL void wasi_fd_put(wasi_ctx *w, wasi_fd *e);

/* Makes an entry for `host_fd` (owned from now on: closed when the entry
 * goes, also when this fails) and puts it at the lowest free number >= 3.
 * WASI_ENOMEM / WASI_ENFILE on failure. */
WEFT_INTERNAL wasi_errno wasi_fd_insert(wasi_ctx *w, int host_fd, uint8_t filetype,
                                        uint64_t rights_base, uint64_t rights_inheriting,
                                        uint16_t fdflags, uint32_t *out_fd);

/* Unhooks guest fd `fd` (its entry is freed when the last holder puts it).
 * WASI_EBADF if there is none. */
WEFT_INTERNAL wasi_errno wasi_fd_remove(wasi_ctx *w, uint32_t fd);

/* fd_renumber: moves `from` onto `to` (closing what `to` held). */
WEFT_INTERNAL wasi_errno wasi_fd_renumber_to(wasi_ctx *w, uint32_t from, uint32_t to);

/* The WASI filetype of a host fd (fstat). */
WEFT_INTERNAL uint8_t wasi_host_filetype(int host_fd);

/* The rights an fd of `filetype` can have at most. */
WEFT_INTERNAL uint64_t wasi_rights_for(uint8_t filetype, bool inheriting);

/* errno -> WASI errno. */
WEFT_INTERNAL wasi_errno wasi_errno_from_host(int host_errno);

/* Waits until `host_fd` is ready for `events` (POLLIN / POLLOUT) or the
 * context is interrupted: WASI_ESUCCESS when ready, WASI_EINTR when
 * interrupted (the dispatcher then traps "terminated").  Files and fds that
 * poll() cannot wait on return ready at once. */
WEFT_INTERNAL wasi_errno wasi_wait_fd(wasi_ctx *w, int host_fd, short events);

/* Sleeps `ms` milliseconds, or less when the context is interrupted:
 * WASI_ESUCCESS after the time, WASI_EINTR when interrupted (before or
 * during the sleep). */
WEFT_INTERNAL wasi_errno wasi_sleep_interruptibly(wasi_ctx *w, int ms);

/* One host call on `host_fd` for wasi_io_retry (readv, recvmsg, accept4...):
 * a result >= 0, or -1 with errno set. */
typedef ssize_t (*wasi_host_io)(int host_fd, void *arg);

/* Runs `io` until it succeeds (*result gets its result) or really fails (its
 * errno, translated).  EINTR from the host retries.  With `block` (the guest
 * fd is blocking) it first waits with wasi_wait_fd for `events`, so it may
 * return WASI_EINTR, and waits again after EAGAIN. */
WEFT_INTERNAL wasi_errno wasi_io_retry(wasi_ctx *w, int host_fd, short events, bool block,
                                       wasi_host_io io, void *arg, ssize_t *result);

/* Copies the guest's iovec array at `ptr` (`n` entries) into `out` (room for
 * `max`; more entries are ignored, which only shortens the transfer) after
 * checking every buffer.  *count gets the entries used.  WASI_EFAULT on a
 * bad array or buffer. */
struct iovec;
WEFT_INTERNAL wasi_errno wasi_iovecs(const wasi_call *c, uint32_t ptr, uint32_t n,
                                     struct iovec *out, uint32_t max, uint32_t *count);

/* Table setup and teardown (wasi.c). */
WEFT_INTERNAL weft_status wasi_fd_table_init(wasi_ctx *w, const weft_program_config *cfg,
                                             weft_error *err);
WEFT_INTERNAL void wasi_fd_table_free(wasi_ctx *w);

#endif /* WEFT_WASI_FD_TABLE_H */

/*
 * errno.h -- the numbers of WASI preview 1 (wasi_snapshot_preview1, witx
 * typenames): errno values, rights, file types, flags, clock ids, event
 * types and the byte layout of every structure a call reads or writes in
 * guest memory.  Values exactly as the spec defines them.
 */
#ifndef WEFT_WASI_ERRNO_H
#define WEFT_WASI_ERRNO_H

/* ---- errno (u16) -------------------------------------------------------- */
enum {
    WASI_ESUCCESS = 0, WASI_E2BIG = 1, WASI_EACCES = 2, WASI_EADDRINUSE = 3,
    WASI_EADDRNOTAVAIL = 4, WASI_EAFNOSUPPORT = 5, WASI_EAGAIN = 6, WASI_EALREADY = 7,
    WASI_EBADF = 8, WASI_EBADMSG = 9, WASI_EBUSY = 10, WASI_ECANCELED = 11,
    WASI_ECHILD = 12, WASI_ECONNABORTED = 13, WASI_ECONNREFUSED = 14, WASI_ECONNRESET = 15,
    WASI_EDEADLK = 16, WASI_EDESTADDRREQ = 17, WASI_EDOM = 18, WASI_EDQUOT = 19,
    WASI_EEXIST = 20, WASI_EFAULT = 21, WASI_EFBIG = 22, WASI_EHOSTUNREACH = 23,
    WASI_EIDRM = 24, WASI_EILSEQ = 25, WASI_EINPROGRESS = 26, WASI_EINTR = 27,
    WASI_EINVAL = 28, WASI_EIO = 29, WASI_EISCONN = 30, WASI_EISDIR = 31,
    WASI_ELOOP = 32, WASI_EMFILE = 33, WASI_EMLINK = 34, WASI_EMSGSIZE = 35,
    WASI_EMULTIHOP = 36, WASI_ENAMETOOLONG = 37, WASI_ENETDOWN = 38, WASI_ENETRESET = 39,
    WASI_ENETUNREACH = 40, WASI_ENFILE = 41, WASI_ENOBUFS = 42, WASI_ENODEV = 43,
    WASI_ENOENT = 44, WASI_ENOEXEC = 45, WASI_ENOLCK = 46, WASI_ENOLINK = 47,
    WASI_ENOMEM = 48, WASI_ENOMSG = 49, WASI_ENOPROTOOPT = 50, WASI_ENOSPC = 51,
    WASI_ENOSYS = 52, WASI_ENOTCONN = 53, WASI_ENOTDIR = 54, WASI_ENOTEMPTY = 55,
    WASI_ENOTRECOVERABLE = 56, WASI_ENOTSOCK = 57, WASI_ENOTSUP = 58, WASI_ENOTTY = 59,
    WASI_ENXIO = 60, WASI_EOVERFLOW = 61, WASI_EOWNERDEAD = 62, WASI_EPERM = 63,
    WASI_EPIPE = 64, WASI_EPROTO = 65, WASI_EPROTONOSUPPORT = 66, WASI_EPROTOTYPE = 67,
    WASI_ERANGE = 68, WASI_EROFS = 69, WASI_ESPIPE = 70, WASI_ESRCH = 71,
    WASI_ESTALE = 72, WASI_ETIMEDOUT = 73, WASI_ETXTBSY = 74, WASI_EXDEV = 75,
    WASI_ENOTCAPABLE = 76
};

/* ---- rights (u64 bit set) ----------------------------------------------- */
#define WASI_RIGHT_FD_DATASYNC (1ull << 0)
#define WASI_RIGHT_FD_READ (1ull << 1)
#define WASI_RIGHT_FD_SEEK (1ull << 2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS (1ull << 3)
#define WASI_RIGHT_FD_SYNC (1ull << 4)
#define WASI_RIGHT_FD_TELL (1ull << 5)
#define WASI_RIGHT_FD_WRITE (1ull << 6)
#define WASI_RIGHT_FD_ADVISE (1ull << 7)
#define WASI_RIGHT_FD_ALLOCATE (1ull << 8)
#define WASI_RIGHT_PATH_CREATE_DIRECTORY (1ull << 9)
#define WASI_RIGHT_PATH_CREATE_FILE (1ull << 10)
#define WASI_RIGHT_PATH_LINK_SOURCE (1ull << 11)
#define WASI_RIGHT_PATH_LINK_TARGET (1ull << 12)
#define WASI_RIGHT_PATH_OPEN (1ull << 13)
#define WASI_RIGHT_FD_READDIR (1ull << 14)
#define WASI_RIGHT_PATH_READLINK (1ull << 15)
#define WASI_RIGHT_PATH_RENAME_SOURCE (1ull << 16)
#define WASI_RIGHT_PATH_RENAME_TARGET (1ull << 17)
#define WASI_RIGHT_PATH_FILESTAT_GET (1ull << 18)
#define WASI_RIGHT_PATH_FILESTAT_SET_SIZE (1ull << 19)
#define WASI_RIGHT_PATH_FILESTAT_SET_TIMES (1ull << 20)
#define WASI_RIGHT_FD_FILESTAT_GET (1ull << 21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE (1ull << 22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES (1ull << 23)
#define WASI_RIGHT_PATH_SYMLINK (1ull << 24)
#define WASI_RIGHT_PATH_REMOVE_DIRECTORY (1ull << 25)
#define WASI_RIGHT_PATH_UNLINK_FILE (1ull << 26)
#define WASI_RIGHT_POLL_FD_READWRITE (1ull << 27)
#define WASI_RIGHT_SOCK_SHUTDOWN (1ull << 28)
#define WASI_RIGHT_SOCK_ACCEPT (1ull << 29)
#define WASI_RIGHTS_ALL ((1ull << 30) - 1)

/* ---- filetype (u8) ------------------------------------------------------ */
enum {
    WASI_FILETYPE_UNKNOWN = 0, WASI_FILETYPE_BLOCK_DEVICE = 1,
    WASI_FILETYPE_CHARACTER_DEVICE = 2, WASI_FILETYPE_DIRECTORY = 3,
    WASI_FILETYPE_REGULAR_FILE = 4, WASI_FILETYPE_SOCKET_DGRAM = 5,
    WASI_FILETYPE_SOCKET_STREAM = 6, WASI_FILETYPE_SYMBOLIC_LINK = 7
};

/* ---- fdflags (u16) ------------------------------------------------------ */
#define WASI_FDFLAGS_APPEND 0x1
#define WASI_FDFLAGS_DSYNC 0x2
#define WASI_FDFLAGS_NONBLOCK 0x4
#define WASI_FDFLAGS_RSYNC 0x8
#define WASI_FDFLAGS_SYNC 0x10

/* ---- oflags (u16), lookupflags (u32), fstflags (u16) -------------------- */
#define WASI_OFLAGS_CREAT 0x1
#define WASI_OFLAGS_DIRECTORY 0x2
#define WASI_OFLAGS_EXCL 0x4
#define WASI_OFLAGS_TRUNC 0x8
#define WASI_LOOKUPFLAGS_SYMLINK_FOLLOW 0x1
#define WASI_FSTFLAGS_ATIM 0x1
#define WASI_FSTFLAGS_ATIM_NOW 0x2
#define WASI_FSTFLAGS_MTIM 0x4
#define WASI_FSTFLAGS_MTIM_NOW 0x8

/* ---- whence (u8), advice (u8) ------------------------------------------- */
enum { WASI_WHENCE_SET = 0, WASI_WHENCE_CUR = 1, WASI_WHENCE_END = 2 };
enum {
    WASI_ADVICE_NORMAL = 0, WASI_ADVICE_SEQUENTIAL = 1, WASI_ADVICE_RANDOM = 2,
    WASI_ADVICE_WILLNEED = 3, WASI_ADVICE_DONTNEED = 4, WASI_ADVICE_NOREUSE = 5
};

/* ---- clocks, events, subscriptions -------------------------------------- */
enum {
    WASI_CLOCK_REALTIME = 0, WASI_CLOCK_MONOTONIC = 1,
    WASI_CLOCK_PROCESS_CPUTIME_ID = 2, WASI_CLOCK_THREAD_CPUTIME_ID = 3
};
enum { WASI_EVENTTYPE_CLOCK = 0, WASI_EVENTTYPE_FD_READ = 1, WASI_EVENTTYPE_FD_WRITE = 2 };
#define WASI_EVENTRWFLAGS_HANGUP 0x1
#define WASI_SUBCLOCKFLAGS_ABSTIME 0x1

/* ---- sockets, prestat --------------------------------------------------- */
#define WASI_RIFLAGS_RECV_PEEK 0x1
#define WASI_RIFLAGS_RECV_WAITALL 0x2
#define WASI_ROFLAGS_RECV_DATA_TRUNCATED 0x1
#define WASI_SDFLAGS_RD 0x1
#define WASI_SDFLAGS_WR 0x2
enum { WASI_PREOPENTYPE_DIR = 0 };

/* ---- layouts in guest memory (little-endian, offsets in bytes) ---------- */
/* iovec / ciovec: buf u32, buf_len u32 */
#define WASI_IOVEC_SIZE 8
/* fdstat: fs_filetype u8, fs_flags u16, fs_rights_base u64, fs_rights_inheriting u64 */
#define WASI_FDSTAT_SIZE 24
#define WASI_FDSTAT_FILETYPE 0
#define WASI_FDSTAT_FLAGS 2
#define WASI_FDSTAT_RIGHTS_BASE 8
#define WASI_FDSTAT_RIGHTS_INHERITING 16
/* prestat: tag u8, then (dir) pr_name_len u32 */
#define WASI_PRESTAT_SIZE 8
#define WASI_PRESTAT_NAME_LEN 4
/* filestat: dev, ino u64; filetype u8; nlink, size, atim, mtim, ctim u64 */
#define WASI_FILESTAT_SIZE 64
#define WASI_FILESTAT_DEV 0
#define WASI_FILESTAT_INO 8
#define WASI_FILESTAT_FILETYPE 16
#define WASI_FILESTAT_NLINK 24
#define WASI_FILESTAT_SIZE_ 32
#define WASI_FILESTAT_ATIM 40
#define WASI_FILESTAT_MTIM 48
#define WASI_FILESTAT_CTIM 56
/* dirent: d_next u64, d_ino u64, d_namlen u32, d_type u8; the name follows */
#define WASI_DIRENT_SIZE 24
#define WASI_DIRENT_NEXT 0
#define WASI_DIRENT_INO 8
#define WASI_DIRENT_NAMLEN 16
#define WASI_DIRENT_TYPE 20
/* subscription: userdata u64, tag u8 at 8, union at 16:
 *   clock: id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40
 *   fd_read / fd_write: file_descriptor u32 @16 */
#define WASI_SUBSCRIPTION_SIZE 48
#define WASI_SUB_USERDATA 0
#define WASI_SUB_TAG 8
#define WASI_SUB_CLOCK_ID 16
#define WASI_SUB_CLOCK_TIMEOUT 24
#define WASI_SUB_CLOCK_PRECISION 32
#define WASI_SUB_CLOCK_FLAGS 40
#define WASI_SUB_FD 16
/* event: userdata u64, error u16 @8, type u8 @10,
 *   fd_readwrite: nbytes u64 @16, flags u16 @24 */
#define WASI_EVENT_SIZE 32
#define WASI_EVENT_USERDATA 0
#define WASI_EVENT_ERROR 8
#define WASI_EVENT_TYPE 10
#define WASI_EVENT_NBYTES 16
#define WASI_EVENT_FLAGS 24

/* Little-endian guest field access (the host is little-endian too, but
 * memcpy keeps unaligned and shared-memory reads single and defined). */
#include <stdint.h>
#include <string.h>
static inline uint16_t wasi_ld16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t wasi_ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t wasi_ld64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void wasi_st8(uint8_t *p, uint8_t v) { *p = v; }
static inline void wasi_st16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void wasi_st32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void wasi_st64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

#endif /* WEFT_WASI_ERRNO_H */

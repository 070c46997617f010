/*
 * poll.c -- poll_oneoff: clock and fd read/write subscriptions, relative and
 * absolute timeouts, any number of each, interruptible by group
 * termination (the context's eventfd is polled with the guest's fds).
 *
 * Clocks are turned into one deadline on CLOCK_MONOTONIC; the call returns
 * the fd events ready at once or when poll() wakes, or else every clock whose
 * time has come.  Regular files are always ready, as POSIX poll says.
 *
 * The host keeps 48 bytes per subscription for the call, so their number is
 * bounded: more than POLL_MAX_SUBSCRIPTIONS is EINVAL (as poll(2) says of
 * more fds than RLIMIT_NOFILE), whatever the guest's memory could hold --
 * else each of many threads could make the host allocate gigabytes.
 */
#define _GNU_SOURCE /* ppoll, accept4 */
#include "wasi/clock.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* 2^16 subscriptions (3 MiB of host memory a call): wasi-libc's poll()
 * makes at most two per fd, so 32,768 fds in one call. */
#define POLL_MAX_SUBSCRIPTIONS 65536u

typedef struct poll_sub {
    uint64_t userdata;
    uint8_t type;
    wasi_errno error;        /* an immediate error event                  */
    uint64_t deadline;       /* clocks: CLOCK_MONOTONIC ns                 */
    wasi_fd *fd;             /* fd subscriptions: held until the end       */
    int pfd;                 /* index in the pollfd array, or -1           */
} poll_sub;

/* The monotonic deadline of a clock subscription; false for a bad clock. */
static bool poll_deadline(const uint8_t *s, uint64_t *out)
{
    uint32_t id = wasi_ld32(s + WASI_SUB_CLOCK_ID);
    uint64_t timeout = wasi_ld64(s + WASI_SUB_CLOCK_TIMEOUT);
    uint16_t flags = wasi_ld16(s + WASI_SUB_CLOCK_FLAGS);
    clockid_t host;
    if (!wasi_clock_host(id, &host))
        return false;
    uint64_t mono = wasi_clock_now(CLOCK_MONOTONIC);
    if (flags & WASI_SUBCLOCKFLAGS_ABSTIME) {
        /* An absolute time on another clock: wait as long as that clock has to go. */
        uint64_t now = host == CLOCK_MONOTONIC ? mono : wasi_clock_now(host);
        timeout = timeout > now ? timeout - now : 0;
    }
    *out = mono + timeout < mono ? UINT64_MAX : mono + timeout;
    return true;
}

/* Bytes readable without blocking, for an fd_read event. */
static uint64_t poll_nbytes(const wasi_fd *e)
{
    if (e->filetype == WASI_FILETYPE_REGULAR_FILE) {
        struct stat st;
        off_t pos = lseek(e->host_fd, 0, SEEK_CUR);
        if (fstat(e->host_fd, &st) == 0 && pos >= 0 && st.st_size > pos)
            return (uint64_t)(st.st_size - pos);
        return 0;
    }
    int n = 0;
    if (ioctl(e->host_fd, FIONREAD, &n) == 0 && n > 0)
        return (uint64_t)n;
    return 0;
}

static void poll_event(uint8_t *ev, const poll_sub *s, wasi_errno error, uint64_t nbytes,
                       uint16_t flags)
{
    memset(ev, 0, WASI_EVENT_SIZE);
    wasi_st64(ev + WASI_EVENT_USERDATA, s->userdata);
    wasi_st16(ev + WASI_EVENT_ERROR, error);
    wasi_st8(ev + WASI_EVENT_TYPE, s->type);
    if (s->type != WASI_EVENTTYPE_CLOCK) {
        wasi_st64(ev + WASI_EVENT_NBYTES, nbytes);
        wasi_st16(ev + WASI_EVENT_FLAGS, flags);
    }
}

/* Reads the subscriptions once, into `subs` and the pollfd array. */
static void poll_prepare(wasi_call *c, const uint8_t *in, uint32_t n, poll_sub *subs,
                         struct pollfd *pfds, nfds_t *npfds)
{
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = in + (size_t)i * WASI_SUBSCRIPTION_SIZE;
        poll_sub *p = &subs[i];
        p->userdata = wasi_ld64(s + WASI_SUB_USERDATA);
        p->type = s[WASI_SUB_TAG];
        p->pfd = -1;
        p->deadline = UINT64_MAX;
        switch (p->type) {
        case WASI_EVENTTYPE_CLOCK:
            if (!poll_deadline(s, &p->deadline))
                p->error = WASI_EINVAL;
            break;
        case WASI_EVENTTYPE_FD_READ:
        case WASI_EVENTTYPE_FD_WRITE:
            p->error = wasi_fd_get(c->w, wasi_ld32(s + WASI_SUB_FD), WASI_RIGHT_POLL_FD_READWRITE,
                                   &p->fd);
            if (p->error == WASI_ESUCCESS) {
                p->pfd = (int)*npfds;
                pfds[(*npfds)++] = (struct pollfd){
                    .fd = p->fd->host_fd,
                    .events = p->type == WASI_EVENTTYPE_FD_READ ? POLLIN : POLLOUT,
                };
            }
            break;
        default:
            p->type = WASI_EVENTTYPE_CLOCK; /* the event still needs a type */
            p->error = WASI_EINVAL;
            break;
        }
    }
}

/* Writes the events of every ready subscription; returns how many. */
static uint32_t poll_collect(const poll_sub *subs, uint32_t n, const struct pollfd *pfds,
                             uint64_t now, bool clocks_only, uint8_t *out)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        const poll_sub *s = &subs[i];
        uint8_t *ev = out + (size_t)k * WASI_EVENT_SIZE;
        if (s->error != WASI_ESUCCESS) {
            if (!clocks_only)
                poll_event(ev, s, s->error, 0, 0), k++;
        } else if (s->type == WASI_EVENTTYPE_CLOCK) {
            if (clocks_only && s->deadline <= now)
                poll_event(ev, s, WASI_ESUCCESS, 0, 0), k++;
        } else if (!clocks_only && pfds[s->pfd].revents) {
            short re = pfds[s->pfd].revents;
            if (re & POLLNVAL)
                poll_event(ev, s, WASI_EBADF, 0, 0);
            else if ((re & (POLLHUP | POLLERR)) && !(re & (POLLIN | POLLOUT)))
                poll_event(ev, s, WASI_ESUCCESS, 0, WASI_EVENTRWFLAGS_HANGUP);
            else
                poll_event(ev, s, WASI_ESUCCESS,
                           s->type == WASI_EVENTTYPE_FD_READ ? poll_nbytes(s->fd) : 0,
                           (re & POLLHUP) ? WASI_EVENTRWFLAGS_HANGUP : 0);
            k++;
        }
    }
    return k;
}

static wasi_errno poll_run(wasi_call *c, poll_sub *subs, uint32_t n, struct pollfd *pfds,
                           nfds_t npfds, uint8_t *out, uint32_t *nevents)
{
    bool immediate = false;
    uint64_t deadline = UINT64_MAX;
    for (uint32_t i = 0; i < n; i++) {
        if (subs[i].error != WASI_ESUCCESS)
            immediate = true;
        else if (subs[i].type == WASI_EVENTTYPE_CLOCK && subs[i].deadline < deadline)
            deadline = subs[i].deadline;
    }
    /* The interrupt eventfd goes last. */
    pfds[npfds] = (struct pollfd){.fd = c->w->intr_fd, .events = POLLIN};
    for (;;) {
        uint64_t now = wasi_clock_now(CLOCK_MONOTONIC);
        struct timespec ts = {0, 0}, *tsp = NULL;
        if (!immediate && deadline != UINT64_MAX) {
            uint64_t left = deadline > now ? deadline - now : 0;
            ts.tv_sec = (time_t)(left / 1000000000u);
            ts.tv_nsec = (long)(left % 1000000000u);
            tsp = &ts;
        } else if (immediate) {
            tsp = &ts;
        }
        int r = ppoll(pfds, npfds + 1, tsp, NULL);
        if (r < 0 && errno != EINTR)
            return wasi_errno_from_host(errno);
        if (pfds[npfds].revents || atomic_load(&c->w->interrupted))
            return WASI_EINTR;
        if (r < 0)
            continue;
        uint32_t k = poll_collect(subs, n, pfds, 0, false, out);
        if (k == 0) {
            now = wasi_clock_now(CLOCK_MONOTONIC);
            if (now < deadline)
                continue; /* woken early (a signal): wait for the rest */
            k = poll_collect(subs, n, pfds, now, true, out);
        }
        *nevents = k;
        return WASI_ESUCCESS;
    }
}

wasi_errno wasi_poll_oneoff(wasi_call *c)
{
    uint32_t n = (uint32_t)c->args[2].of.i32;
    const uint8_t *in = wasi_mem_array(c, (uint32_t)c->args[0].of.i32, n, WASI_SUBSCRIPTION_SIZE);
    uint8_t *out = wasi_mem_array(c, (uint32_t)c->args[1].of.i32, n, WASI_EVENT_SIZE);
    uint8_t *nevents_out = wasi_mem(c, (uint32_t)c->args[3].of.i32, 4);
    if (n == 0)
        return WASI_EINVAL;
    if (!in || !out || !nevents_out)
        return WASI_EFAULT;
    if (n > POLL_MAX_SUBSCRIPTIONS)
        return WASI_EINVAL;
    poll_sub *subs = eng_calloc(c->w->engine, n, sizeof *subs);
    struct pollfd *pfds = eng_calloc(c->w->engine, (size_t)n + 1, sizeof *pfds);
    wasi_errno r = WASI_ENOMEM;
    nfds_t npfds = 0;
    if (subs && pfds) {
        poll_prepare(c, in, n, subs, pfds, &npfds);
        uint32_t nevents = 0;
        r = poll_run(c, subs, n, pfds, npfds, out, &nevents);
        if (r == WASI_ESUCCESS)
            wasi_st32(nevents_out, nevents);
    }
    for (uint32_t i = 0; subs && i < n; i++)
        wasi_fd_put(c->w, subs[i].fd);
    eng_free(c->w->engine, subs);
    eng_free(c->w->engine, pfds);
    return r;
}

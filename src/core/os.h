/*
 * core/ — the operating-system layer: the only place that knows whether it runs on POSIX
 * (os_posix.c) or Windows (os_win32.c). Every layer above calls these functions instead of
 * the system's, so transport, codec and service code has no platform switches.
 *
 * Conventions: paths are UTF-8 everywhere (Windows: converted to UTF-16 and the wide APIs
 * used, so Japanese folder names work whatever the system code page, CP932 included);
 * failures return -1 (or NULL) with errno set to the POSIX value (Windows errors are
 * translated: ERROR_FILE_EXISTS → EEXIST, ERROR_ACCESS_DENIED → EACCES, ...); file
 * descriptors are C runtime descriptors (read/write/close/lseek work on them on both).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_CORE_OS_H
#define ONSHI_CORE_OS_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef _WIN32
#include <io.h>
/* Open flags POSIX has and the Windows C runtime lacks: private bits that os_win32.c's
 * open interprets (O_NOFOLLOW: a reparse point — symlink, junction — is refused with ELOOP
 * like a symbolic link on POSIX; O_DIRECTORY: only a folder). */
#define O_NOFOLLOW 0x01000000
#define O_DIRECTORY 0x02000000
#define O_CLOEXEC 0 /* handles are never inherited: CreateFileW without bInheritHandle */
#define O_NONBLOCK 0
#define O_NOCTTY 0
#ifndef ELOOP
#define ELOOP 114
#endif
#else
#include <unistd.h>
#endif

/* ---- files ------------------------------------------------------------------------------ */
/* Does c separate folders in a path? '/' (Windows: also '\\', as in C:\OQS\Req\). */
#ifdef _WIN32
#define ONSHI__OS_IS_SEP(c) ((c) == '/' || (c) == '\\')
#else
#define ONSHI__OS_IS_SEP(c) ((c) == '/')
#endif

/* open(2) with a UTF-8 path. Windows: CreateFileW, binary mode, share modes that let other
 * programs (the linkage app) read, write and rename or delete while we hold the file. */
int onshi__os_open(const char *path, int flags, int mode);
/* Clear O_NONBLOCK of fd (after an open that must not hang on a FIFO); Windows: nothing. */
void onshi__os_blocking(int fd);
/* write(2) (the default of the file transport's write hook). */
ssize_t onshi__os_write(int fd, const void *p, size_t n);
/* fopen(3) with a UTF-8 path, close-on-exec (Windows: _wfopen; handles are not inherited). */
FILE *onshi__os_fopen(const char *path, const char *mode);
/* fsync(2) / FlushFileBuffers. */
int onshi__os_fsync(int fd);
/* fchmod(2); Windows: 0 (a file inherits the folder's ACL; there are no mode bits). */
int onshi__os_fchmod(int fd, unsigned mode);
/* pread(2). */
ssize_t onshi__os_pread(int fd, void *buf, size_t n, int64_t off);

enum { ONSHI__OS_REG = 1, ONSHI__OS_DIR, ONSHI__OS_LNK, ONSHI__OS_OTHER };
typedef struct onshi__os_st {
    int type;         /* ONSHI__OS_*: LNK only from lstat (a reparse point on Windows) */
    int64_t size;
    int64_t mtime_s;  /* modification time (Unix seconds and nanoseconds) */
    long mtime_ns;
    uint64_t nlink;
    unsigned mode;    /* permission bits (Windows: 0600 for files, 0700 for folders) */
    int mine;         /* owned by the effective user (Windows: always 1) */
} onshi__os_st;
int onshi__os_stat(const char *path, onshi__os_st *st);
int onshi__os_lstat(const char *path, onshi__os_st *st);
int onshi__os_fstat(int fd, onshi__os_st *st);

int onshi__os_unlink(const char *path);
int onshi__os_mkdir(const char *path, unsigned mode);
/* rename(2): replaces an existing `to` (Windows: MoveFileExW REPLACE_EXISTING|WRITE_THROUGH). */
int onshi__os_rename(const char *from, const char *to);
/* Rename that never replaces an existing `to`: returns 0 or an errno value (EEXIST when `to`
 * exists). POSIX: renameat2(RENAME_NOREPLACE) where the kernel and file system have it, else
 * link(2) + unlink(2) (always with force_link). Windows: MoveFileExW without
 * REPLACE_EXISTING (fails when the target exists, also on SMB shares), WRITE_THROUGH. */
int onshi__os_rename_noreplace(const char *from, const char *to, int force_link);
/* Make a rename in dir durable: fsync of the folder (EINVAL/EROFS ignored); Windows: 0
 * (MoveFileExW with WRITE_THROUGH already waited). Returns 0 or an errno value. */
int onshi__os_fsync_dir(const char *dir);
/* access(2) with R_OK/W_OK/X_OK (Windows: existence and the read-only attribute). */
int onshi__os_access(const char *path, int mode);
/* realpath(3) into out[size]; NULL with errno on failure. */
char *onshi__os_realpath(const char *path, char *out, size_t size);

/* Folder listing: names in UTF-8, "." and ".." included as on POSIX. */
typedef struct onshi__os_dir onshi__os_dir;
onshi__os_dir *onshi__os_opendir(const char *path);
/* Next name, NULL at the end (errno 0) or on an error (errno set). */
const char *onshi__os_readdir(onshi__os_dir *d);
void onshi__os_closedir(onshi__os_dir *d);

/* The default state store path (ONSHI_OPT_STATE_DB unset): POSIX $XDG_STATE_HOME/libonshi/
 * state.db, else $HOME/.local/state/libonshi/state.db; Windows %LOCALAPPDATA%/libonshi/
 * state.db. 0, -1 when there is no such folder, -2 when too long. */
int onshi__os_state_path(char *buf, size_t size);

/* ---- processes and time ----------------------------------------------------------------- */
int64_t onshi__os_pid(void);
/* Is the process pid (of this machine) alive? */
int onshi__os_pid_alive(int64_t pid);
/* Host name, always NUL-terminated ("" when unknown). */
void onshi__os_hostname(char *buf, size_t size);
void onshi__os_sleep_ms(int64_t ms);
/* Real time and monotonic time in nanoseconds. */
int64_t onshi__os_real_ns(void);
int64_t onshi__os_mono_ns(void);
/* Message of an errno value (thread-safe; Winsock values too on Windows). */
const char *onshi__os_strerror(int err, char *buf, size_t size);

/* ---- random ----------------------------------------------------------------------------- */
/* n bytes from the system's CSPRNG (getrandom(2) / BCryptGenRandom); 0 or -1 (errno). */
int onshi__os_random(void *buf, size_t n);

/* ---- wake-ups ----------------------------------------------------------------------------
 * A wake object lets onshi_ctx_cancel (any thread) wake a wait: a non-blocking self-pipe on
 * POSIX, an event object on Windows. */
typedef struct onshi__os_wake onshi__os_wake;
int onshi__os_wake_open(onshi__os_wake **out);
void onshi__os_wake_close(onshi__os_wake *w);
void onshi__os_wake_signal(onshi__os_wake *w); /* thread-safe, never blocks */
void onshi__os_wake_drain(onshi__os_wake *w);
/* Sleep up to ms or until woken: 1 woken, 0 time is up. */
int onshi__os_wake_wait(onshi__os_wake *w, int64_t ms);

/* ---- folder watch ------------------------------------------------------------------------
 * inotify on Linux. Windows: ReadDirectoryChangesW on the first folder when it is on a local
 * disk (FILE_ACTION_ADDED and _MODIFIED → TOUCHED, _REMOVED and _RENAMED_OLD_NAME → GONE,
 * _RENAMED_NEW_NAME → MOVED_IN, names in UTF-8, lost changes → OVERFLOW); Windows reports no
 * close, so a name created or modified is TOUCHED (the stable-read rule then compares two
 * reads a poll interval apart, as without names, instead of holding it as written-to); a read
 * that cannot be started again (the folder removed) ends the names with an OVERFLOW. On a
 * network path (UNC, mapped drive: DRIVE_REMOTE), or where ReadDirectoryChangesW cannot be
 * started: FindFirstChangeNotificationW, which only says that something changed
 * (ONSHI__OS_EV_CHANGED, no name: the stable-read rule keeps its polling gaps there). The
 * second folder always has a change notification: OTHER when the first folder reports names
 * (as on POSIX), else CHANGED. */
enum {
    ONSHI__OS_EV_WRITING = 1, /* name created or modified: a writer may still hold it */
    ONSHI__OS_EV_GONE,        /* name closed after writing, moved away or deleted */
    ONSHI__OS_EV_MOVED_IN,    /* name renamed into the folder (complete) */
    ONSHI__OS_EV_OVERFLOW,    /* events were lost: forget what is known about names */
    ONSHI__OS_EV_OTHER,       /* an event about no name of the first folder (the watch works) */
    ONSHI__OS_EV_CHANGED,     /* Windows without names (network path): something changed,
                                 nothing more known; name NULL */
    ONSHI__OS_EV_TOUCHED      /* Windows (ReadDirectoryChangesW): name created or modified;
                                 the platform never reports a close */
};
typedef struct onshi__os_watch onshi__os_watch;
/* Watch dir (names reported) and dir2 (may be NULL; only wakes). errno on failure (the
 * caller then polls). */
int onshi__os_watch_open(onshi__os_watch **out, const char *dir, const char *dir2);
void onshi__os_watch_close(onshi__os_watch *wt);
/* Wait up to ms for an event of wt (may be NULL) or the wake w; then report the events:
 * fn(arg, kind, name) for each (name of the first folder). Returns 1 when woken by w. */
int onshi__os_watch_wait(onshi__os_watch *wt, onshi__os_wake *w, int64_t ms,
                         void (*fn)(void *arg, int kind, const char *name), void *arg);

/* ---- sockets ---------------------------------------------------------------------------- */
#ifdef _WIN32
typedef uintptr_t onshi__os_sock; /* SOCKET */
#define ONSHI__OS_NOSOCK (~(uintptr_t)0)
#else
typedef int onshi__os_sock;
#define ONSHI__OS_NOSOCK (-1)
#endif
struct addrinfo;
/* Once per process before the first socket (WSAStartup on Windows); 0 or an errno value. */
int onshi__os_net_init(void);
/* Resolve like getaddrinfo (0 or an EAI_* value; message by onshi__os_gai_strerror). */
int onshi__os_getaddrinfo(const char *host, const char *port, const struct addrinfo *hints,
                          struct addrinfo **res);
void onshi__os_freeaddrinfo(struct addrinfo *res);
const char *onshi__os_gai_strerror(int err);
/* Non-blocking TCP socket for ai; connect started: 0 connected, 1 in progress, -1 (errno). */
int onshi__os_sock_connect(const struct addrinfo *ai, onshi__os_sock *out);
/* The pending error of a connecting socket (getsockopt SO_ERROR): 0 or an errno value. */
int onshi__os_sock_error(onshi__os_sock s);
void onshi__os_sock_nodelay(onshi__os_sock s);
void onshi__os_sock_close(onshi__os_sock s);
/* send/recv without SIGPIPE; -1 with errno (EAGAIN when it would block). */
ssize_t onshi__os_send(onshi__os_sock s, const void *p, size_t n);
ssize_t onshi__os_recv(onshi__os_sock s, void *p, size_t n);
#define ONSHI__OS_IN 1
#define ONSHI__OS_OUT 2
/* Wait up to ms for s to be ready for `events` (ONSHI__OS_IN/OUT) or for the wake w (may be
 * NULL). Returns a set of 1 (s ready, including errors and hang-up) and 2 (woken); 0 when
 * the time is up; -1 on an error (errno). */
int onshi__os_sock_wait(onshi__os_sock s, int events, onshi__os_wake *w, int64_t ms);
/* Text form of an IPv4/IPv6 address → 4 or 16 bytes; 4, 16, or 0 when not an address. */
int onshi__os_inet_pton(const char *text, unsigned char out[16]);

#ifdef _WIN32
/* ---- UTF-8 ⇄ UTF-16 (Windows) ------------------------------------------------------------
 * For the wide APIs called outside core (WinSCard's reader names in card/pcsc_sys.c). n units
 * of the input, NULs included (a multi-string converts whole), into a malloc'ed copy with one
 * more 0 unit after them; its length in units without that 0 in *out_n (may be NULL). Strict:
 * NULL with errno EILSEQ for what is not UTF-8 (onshi__os_utf16) or not UTF-16 (a lone
 * surrogate, onshi__os_utf8), ENOMEM. */
wchar_t *onshi__os_utf16(const char *s, size_t n, size_t *out_n);
char *onshi__os_utf8(const wchar_t *w, size_t n, size_t *out_n);
#endif

/* ---- character conversion ----------------------------------------------------------------
 * iconv(3)-shaped converters between UTF-8, CP932 and EUC-JP (the only three the library
 * uses): glibc's iconv on POSIX; on Windows MultiByteToWideChar/WideCharToMultiByte with code
 * page 932 (EUC-JP derived from it, restricted to JIS X 0208 as glibc's table is), one
 * character at a time so errors point at the byte. Same results on the same test vectors. */
#ifdef _WIN32
typedef struct onshi__cv *onshi__cv_t;
#define ONSHI__CV_NONE ((onshi__cv_t)0)
#else
#include <iconv.h>
typedef iconv_t onshi__cv_t;
#define ONSHI__CV_NONE ((iconv_t)-1)
#endif
/* "UTF-8", "CP932" or "EUC-JP"; ONSHI__CV_NONE (errno EINVAL) when not available. */
onshi__cv_t onshi__cv_open(const char *to, const char *from);
/* iconv(3): -1 with errno E2BIG, EILSEQ (at *in), EINVAL (incomplete sequence at the end);
 * in == NULL resets the state. */
size_t onshi__cv(onshi__cv_t cd, char **in, size_t *inleft, char **out, size_t *outleft);
void onshi__cv_close(onshi__cv_t cd);

#endif

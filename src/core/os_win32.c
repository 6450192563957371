/*
 * core/ — the operating-system layer on Windows (os.h documents each call; docs/windows.md).
 * UTF-8 paths are converted to UTF-16 and only the wide ("W") APIs are used, so Japanese
 * folder names work whatever the system code page (a clinic's Windows runs in CP932).
 * Windows errors are translated to errno values so the layers above keep one error path.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifdef _WIN32
#include "core/os_net.h"

#include <windows.h>
#include <bcrypt.h>

#include <errno.h>
#include <io.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ------------------------------------------------------------------------------ */
static int errno_of(DWORD e)
{
    switch (e) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_DRIVE:
    case ERROR_BAD_NETPATH:
    case ERROR_BAD_NET_NAME:
    case ERROR_DIRECTORY: return ENOENT;
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS: return EEXIST;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
    case ERROR_NETWORK_ACCESS_DENIED: return EACCES;
    case ERROR_WRITE_PROTECT: return EROFS;
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL: return ENOSPC;
    case ERROR_NOT_SAME_DEVICE: return EXDEV;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY: return ENOMEM;
    case ERROR_FILENAME_EXCED_RANGE:
    case ERROR_BUFFER_OVERFLOW: return ENAMETOOLONG;
    case ERROR_DIR_NOT_EMPTY: return ENOTEMPTY;
    case ERROR_NOT_SUPPORTED:
    case ERROR_INVALID_FUNCTION: return ENOSYS;
    case ERROR_CANT_RESOLVE_FILENAME: return ELOOP;
    case ERROR_INVALID_NAME:
    case ERROR_INVALID_PARAMETER:
    default: return EINVAL;
    }
}

static int fail(DWORD e)
{
    errno = errno_of(e);
    return -1;
}

static int wsa_errno(int e)
{
    switch (e) {
    case WSAEWOULDBLOCK:
    case WSAEINPROGRESS: return EAGAIN;
    case WSAEINTR: return EINTR;
    case WSAECONNREFUSED: return ECONNREFUSED;
    case WSAECONNRESET: return ECONNRESET;
    case WSAECONNABORTED: return ECONNABORTED;
    case WSAETIMEDOUT: return ETIMEDOUT;
    case WSAENETUNREACH: return ENETUNREACH;
    case WSAEHOSTUNREACH: return EHOSTUNREACH;
    case WSAENETDOWN: return ENETDOWN;
    case WSAEADDRNOTAVAIL: return EADDRNOTAVAIL;
    case WSAEAFNOSUPPORT: return EAFNOSUPPORT;
    case WSAENOTCONN: return ENOTCONN;
    case WSAESHUTDOWN: return EPIPE;
    case WSAENOBUFS: return ENOBUFS;
    case WSAEMFILE: return EMFILE;
    case WSANOTINITIALISED: return ENOSYS;
    default: return EIO;
    }
}

/* ---- UTF-8 ⇄ UTF-16 ------------------------------------------------------------------------ */
wchar_t *onshi__os_utf16(const char *s, size_t n, size_t *out_n)
{
    if (n > 0x3FFFFFFF) {
        errno = ENOMEM;
        return NULL;
    }
    int k = n == 0 ? 0 : MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, (int)n, NULL, 0);
    if (n > 0 && k <= 0) {
        errno = EILSEQ;
        return NULL;
    }
    wchar_t *w = malloc(((size_t)k + 1) * sizeof *w);
    if (w == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    if (k > 0)
        MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, (int)n, w, k);
    w[k] = 0;
    if (out_n != NULL)
        *out_n = (size_t)k;
    return w;
}

char *onshi__os_utf8(const wchar_t *w, size_t n, size_t *out_n)
{
    if (n > 0x0FFFFFFF) {
        errno = ENOMEM;
        return NULL;
    }
    int k = n == 0 ? 0
                   : WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, (int)n, NULL, 0,
                                         NULL, NULL);
    if (n > 0 && k <= 0) {
        errno = EILSEQ;
        return NULL;
    }
    char *s = malloc((size_t)k + 1);
    if (s == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    if (k > 0)
        WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, (int)n, s, k, NULL, NULL);
    s[k] = '\0';
    if (out_n != NULL)
        *out_n = (size_t)k;
    return s;
}

/* malloc'd wide copy of a UTF-8 string; NULL with errno (EILSEQ: not UTF-8). */
static wchar_t *widen(const char *s)
{
    return onshi__os_utf16(s, strlen(s), NULL);
}

/* UTF-16 → UTF-8 into out[size]; 0 or -1 (ENAMETOOLONG). */
static int narrow(const wchar_t *w, char *out, size_t size)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)size, NULL, NULL);
    if (n <= 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* ---- files ------------------------------------------------------------------------------ */
static int64_t unix_ns_of(FILETIME ft)
{
    ULARGE_INTEGER u;
    u.LowPart = ft.dwLowDateTime;
    u.HighPart = ft.dwHighDateTime;
    /* 100 ns ticks since 1601-01-01 → ns since 1970-01-01 */
    return ((int64_t)u.QuadPart - INT64_C(116444736000000000)) * 100;
}

static void from_info(const BY_HANDLE_FILE_INFORMATION *fi, DWORD ftype, int follow,
                      onshi__os_st *st)
{
    memset(st, 0, sizeof *st);
    if (ftype != FILE_TYPE_DISK)
        st->type = ONSHI__OS_OTHER;
    else if (!follow && (fi->dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))
        st->type = ONSHI__OS_LNK; /* symbolic link, junction, mount point */
    else if (fi->dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
        st->type = ONSHI__OS_DIR;
    else
        st->type = ONSHI__OS_REG;
    st->size = (int64_t)(((uint64_t)fi->nFileSizeHigh << 32) | fi->nFileSizeLow);
    int64_t ns = unix_ns_of(fi->ftLastWriteTime);
    st->mtime_s = ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
    st->mtime_ns = (long)(ns - st->mtime_s * 1000000000);
    st->nlink = fi->nNumberOfLinks;
    st->mode = st->type == ONSHI__OS_DIR ? 0700u : 0600u;
    st->mine = 1;
}

static int handle_stat(HANDLE h, int follow, onshi__os_st *st)
{
    BY_HANDLE_FILE_INFORMATION fi;
    DWORD ftype = GetFileType(h);
    if (ftype != FILE_TYPE_DISK) {
        memset(st, 0, sizeof *st);
        st->type = ONSHI__OS_OTHER;
        st->mine = 1;
        return 0;
    }
    if (!GetFileInformationByHandle(h, &fi))
        return fail(GetLastError());
    from_info(&fi, ftype, follow, st);
    return 0;
}

int onshi__os_open(const char *path, int flags, int mode)
{
    (void)mode; /* no mode bits: the file inherits the folder's ACL */
    wchar_t *w = widen(path);
    if (w == NULL)
        return -1;
    int acc = flags & (O_RDONLY | O_WRONLY | O_RDWR);
    DWORD access = acc == O_WRONLY ? GENERIC_WRITE
                   : acc == O_RDWR ? GENERIC_READ | GENERIC_WRITE
                                   : GENERIC_READ;
    DWORD disp;
    if ((flags & O_CREAT) && (flags & O_EXCL))
        disp = CREATE_NEW;
    else if ((flags & O_CREAT) && (flags & O_TRUNC))
        disp = CREATE_ALWAYS;
    else if (flags & O_CREAT)
        disp = OPEN_ALWAYS;
    else if (flags & O_TRUNC)
        disp = TRUNCATE_EXISTING;
    else
        disp = OPEN_EXISTING;
    DWORD attr = FILE_ATTRIBUTE_NORMAL;
    if (flags & O_NOFOLLOW)
        attr |= FILE_FLAG_OPEN_REPARSE_POINT;
    if (flags & O_DIRECTORY)
        attr |= FILE_FLAG_BACKUP_SEMANTICS;
    /* Others (the linkage app) may read, write, rename and delete while we hold the file. */
    HANDLE h = CreateFileW(w, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, disp, attr, NULL);
    DWORD e = GetLastError();
    free(w);
    if (h == INVALID_HANDLE_VALUE)
        return fail(e);
    if (flags & (O_NOFOLLOW | O_DIRECTORY)) {
        onshi__os_st st;
        int bad = handle_stat(h, 0, &st) != 0 ? errno
                  : (flags & O_NOFOLLOW) && st.type == ONSHI__OS_LNK ? ELOOP
                  : (flags & O_DIRECTORY) && st.type != ONSHI__OS_DIR ? ENOTDIR
                                                                      : 0;
        if (bad != 0) {
            CloseHandle(h);
            errno = bad;
            return -1;
        }
    }
    int cfl = _O_BINARY | (acc == O_WRONLY ? _O_WRONLY : acc == O_RDWR ? _O_RDWR : _O_RDONLY);
    if (flags & O_APPEND)
        cfl |= _O_APPEND;
    int fd = _open_osfhandle((intptr_t)h, cfl);
    if (fd < 0) {
        CloseHandle(h);
        errno = EMFILE;
        return -1;
    }
    return fd;
}

void onshi__os_blocking(int fd)
{
    (void)fd;
}

FILE *onshi__os_fopen(const char *path, const char *mode)
{
    wchar_t *w = widen(path);
    if (w == NULL)
        return NULL;
    wchar_t wm[8];
    size_t i = 0;
    for (; mode[i] && i < 7; i++)
        wm[i] = (wchar_t)(unsigned char)mode[i];
    wm[i] = 0;
    FILE *f = _wfopen(w, wm);
    free(w);
    return f;
}

ssize_t onshi__os_write(int fd, const void *p, size_t n)
{
    return _write(fd, p, n > 0x40000000u ? 0x40000000u : (unsigned)n);
}

int onshi__os_fsync(int fd)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return -1;
    }
    return FlushFileBuffers(h) ? 0 : fail(GetLastError());
}

int onshi__os_fchmod(int fd, unsigned mode)
{
    (void)fd;
    (void)mode;
    return 0;
}

ssize_t onshi__os_pread(int fd, void *buf, size_t n, int64_t off)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return -1;
    }
    /* ReadFile at an offset moves a synchronous handle's position: put it back, as pread
     * leaves it unchanged. */
    int64_t pos = _lseeki64(fd, 0, SEEK_CUR);
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.Offset = (DWORD)((uint64_t)off & 0xffffffffu);
    ov.OffsetHigh = (DWORD)((uint64_t)off >> 32);
    DWORD got = 0;
    BOOL ok = ReadFile(h, buf, n > 0x40000000u ? 0x40000000u : (DWORD)n, &got, &ov);
    DWORD e = GetLastError();
    if (pos >= 0)
        _lseeki64(fd, pos, SEEK_SET);
    if (!ok)
        return e == ERROR_HANDLE_EOF ? 0 : fail(e);
    return (ssize_t)got;
}

static int path_stat(const char *path, int follow, onshi__os_st *st)
{
    wchar_t *w = widen(path);
    if (w == NULL)
        return -1;
    HANDLE h = CreateFileW(w, FILE_READ_ATTRIBUTES,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING,
                           FILE_FLAG_BACKUP_SEMANTICS | (follow ? 0 : FILE_FLAG_OPEN_REPARSE_POINT),
                           NULL);
    DWORD e = GetLastError();
    free(w);
    if (h == INVALID_HANDLE_VALUE)
        return fail(e);
    int r = handle_stat(h, follow, st);
    CloseHandle(h);
    return r;
}

int onshi__os_stat(const char *path, onshi__os_st *st)
{
    return path_stat(path, 1, st);
}

int onshi__os_lstat(const char *path, onshi__os_st *st)
{
    return path_stat(path, 0, st);
}

int onshi__os_fstat(int fd, onshi__os_st *st)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return -1;
    }
    return handle_stat(h, 0, st);
}

int onshi__os_unlink(const char *path)
{
    wchar_t *w = widen(path);
    if (w == NULL)
        return -1;
    BOOL ok = DeleteFileW(w);
    DWORD e = GetLastError();
    free(w);
    return ok ? 0 : fail(e);
}

int onshi__os_mkdir(const char *path, unsigned mode)
{
    (void)mode;
    wchar_t *w = widen(path);
    if (w == NULL)
        return -1;
    BOOL ok = CreateDirectoryW(w, NULL);
    DWORD e = GetLastError();
    /* "C:" or "\\server\share" cannot be created but exist: like EEXIST on POSIX. */
    DWORD a = ok ? 0 : GetFileAttributesW(w);
    free(w);
    if (ok)
        return 0;
    if (a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY)) {
        errno = EEXIST;
        return -1;
    }
    return fail(e);
}

static int move(const char *from, const char *to, DWORD how)
{
    wchar_t *a = widen(from), *b = a ? widen(to) : NULL;
    if (b == NULL) {
        free(a);
        return errno;
    }
    BOOL ok = MoveFileExW(a, b, how);
    DWORD e = GetLastError();
    free(a);
    free(b);
    return ok ? 0 : errno_of(e);
}

int onshi__os_rename(const char *from, const char *to)
{
    int e = move(from, to, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH);
    if (e != 0) {
        errno = e;
        return -1;
    }
    return 0;
}

int onshi__os_rename_noreplace(const char *from, const char *to, int force_link)
{
    if (force_link) {
        /* The test hook's path: a hard link, then the temporary name removed (NTFS). */
        wchar_t *a = widen(from), *b = a ? widen(to) : NULL;
        if (b == NULL) {
            free(a);
            return errno;
        }
        BOOL ok = CreateHardLinkW(b, a, NULL);
        DWORD e = GetLastError();
        if (ok)
            DeleteFileW(a);
        free(a);
        free(b);
        return ok ? 0 : errno_of(e);
    }
    /* Without MOVEFILE_REPLACE_EXISTING the move fails when the target exists (also on an
     * SMB share): an existing request is never replaced. */
    return move(from, to, MOVEFILE_WRITE_THROUGH);
}

int onshi__os_fsync_dir(const char *dir)
{
    (void)dir; /* MOVEFILE_WRITE_THROUGH waited for the rename to reach the disk */
    return 0;
}

int onshi__os_access(const char *path, int mode)
{
    wchar_t *w = widen(path);
    if (w == NULL)
        return -1;
    DWORD a = GetFileAttributesW(w);
    DWORD e = GetLastError();
    free(w);
    if (a == INVALID_FILE_ATTRIBUTES)
        return fail(e);
    if ((mode & W_OK) && !(a & FILE_ATTRIBUTE_DIRECTORY) && (a & FILE_ATTRIBUTE_READONLY)) {
        errno = EACCES;
        return -1;
    }
    return 0;
}

char *onshi__os_realpath(const char *path, char *out, size_t size)
{
    wchar_t *w = widen(path);
    if (w == NULL)
        return NULL;
    wchar_t full[4096];
    DWORD n = GetFullPathNameW(w, 4096, full, NULL);
    DWORD e = GetLastError();
    free(w);
    if (n == 0 || n >= 4096) {
        errno = n == 0 ? errno_of(e) : ENAMETOOLONG;
        return NULL;
    }
    if (GetFileAttributesW(full) == INVALID_FILE_ATTRIBUTES) {
        fail(GetLastError());
        return NULL;
    }
    return narrow(full, out, size) == 0 ? out : NULL;
}

int onshi__os_state_path(char *buf, size_t size)
{
    wchar_t w[2048];
    DWORD n = GetEnvironmentVariableW(L"LOCALAPPDATA", w, 2048);
    if (n == 0 || n >= 2048)
        return -1;
    char base[4096];
    if (narrow(w, base, sizeof base) != 0)
        return -2;
    for (char *p = base; *p; p++)
        if (*p == '\\')
            *p = '/'; /* one separator for the folder creation that follows */
    int k = snprintf(buf, size, "%s/libonshi/state.db", base);
    return k < 0 || (size_t)k >= size ? -2 : 0;
}

struct onshi__os_dir {
    HANDLE h;
    int first;
    WIN32_FIND_DATAW fd;
    char name[1024];
};

onshi__os_dir *onshi__os_opendir(const char *path)
{
    size_t n = strlen(path);
    char *pat = malloc(n + 3);
    if (pat == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    memcpy(pat, path, n);
    size_t o = n;
    if (n > 0 && path[n - 1] != '/' && path[n - 1] != '\\')
        pat[o++] = '\\';
    pat[o++] = '*';
    pat[o] = '\0';
    wchar_t *w = widen(pat);
    free(pat);
    if (w == NULL)
        return NULL;
    onshi__os_dir *d = calloc(1, sizeof *d);
    if (d == NULL) {
        free(w);
        errno = ENOMEM;
        return NULL;
    }
    d->h = FindFirstFileW(w, &d->fd);
    DWORD e = GetLastError();
    free(w);
    if (d->h == INVALID_HANDLE_VALUE) {
        free(d);
        fail(e);
        return NULL;
    }
    d->first = 1;
    return d;
}

const char *onshi__os_readdir(onshi__os_dir *d)
{
    for (;;) {
        if (!d->first) {
            if (!FindNextFileW(d->h, &d->fd)) {
                DWORD e = GetLastError();
                errno = e == ERROR_NO_MORE_FILES ? 0 : errno_of(e);
                return NULL;
            }
        }
        d->first = 0;
        if (narrow(d->fd.cFileName, d->name, sizeof d->name) == 0)
            return d->name;
        /* a name longer than any the library uses: skipped */
    }
}

void onshi__os_closedir(onshi__os_dir *d)
{
    if (d != NULL) {
        FindClose(d->h);
        free(d);
    }
}

/* ---- processes and time ----------------------------------------------------------------- */
int64_t onshi__os_pid(void)
{
    return (int64_t)GetCurrentProcessId();
}

int onshi__os_pid_alive(int64_t pid)
{
    HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
    if (h == NULL)
        return GetLastError() == ERROR_ACCESS_DENIED; /* exists, not ours (like EPERM) */
    DWORD code = 0;
    BOOL ok = GetExitCodeProcess(h, &code);
    CloseHandle(h);
    return ok && code == STILL_ACTIVE;
}

void onshi__os_hostname(char *buf, size_t size)
{
    if (size == 0)
        return;
    buf[0] = '\0';
    wchar_t w[256];
    DWORD n = 256;
    if (GetComputerNameExW(ComputerNameDnsHostname, w, &n) && narrow(w, buf, size) == 0)
        return;
    buf[0] = '\0';
}

void onshi__os_sleep_ms(int64_t ms)
{
    if (ms > 0)
        Sleep(ms > 0x7fffffff ? 0x7fffffff : (DWORD)ms);
}

int64_t onshi__os_real_ns(void)
{
    FILETIME ft;
    GetSystemTimePreciseAsFileTime(&ft);
    return unix_ns_of(ft);
}

int64_t onshi__os_mono_ns(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER now;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq); /* fixed at boot: a race writes the same value */
    QueryPerformanceCounter(&now);
    return (int64_t)(now.QuadPart / freq.QuadPart) * 1000000000 +
           (int64_t)(now.QuadPart % freq.QuadPart) * 1000000000 / freq.QuadPart;
}

const char *onshi__os_strerror(int err, char *buf, size_t size)
{
    /* The C runtime knows the classic errno texts only. */
    const char *s = NULL;
    switch (err) {
    case ECONNREFUSED: s = "Connection refused"; break;
    case ECONNRESET: s = "Connection reset by peer"; break;
    case ECONNABORTED: s = "Connection aborted"; break;
    case ETIMEDOUT: s = "Connection timed out"; break;
    case ENETUNREACH: s = "Network is unreachable"; break;
    case EHOSTUNREACH: s = "No route to host"; break;
    case ENETDOWN: s = "Network is down"; break;
    case EADDRNOTAVAIL: s = "Cannot assign requested address"; break;
    case ECANCELED: s = "Operation canceled"; break;
    case ELOOP: s = "Too many levels of symbolic links"; break;
    case EAGAIN: s = "Resource temporarily unavailable"; break;
    default: break;
    }
    if (s == NULL)
        s = strerror(err);
    snprintf(buf, size, "%s", s);
    return buf;
}

/* ---- random ----------------------------------------------------------------------------- */
int onshi__os_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ULONG k = n > 0x10000 ? 0x10000 : (ULONG)n;
        if (BCryptGenRandom(NULL, p, k, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) {
            errno = EIO;
            return -1;
        }
        p += k;
        n -= k;
    }
    return 0;
}

/* ---- wake-ups: a manual-reset event ------------------------------------------------------- */
struct onshi__os_wake {
    HANDLE ev;
};

int onshi__os_wake_open(onshi__os_wake **out)
{
    *out = NULL;
    onshi__os_wake *w = malloc(sizeof *w);
    if (w == NULL) {
        errno = ENOMEM;
        return -1;
    }
    w->ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (w->ev == NULL) {
        DWORD e = GetLastError();
        free(w);
        return fail(e);
    }
    *out = w;
    return 0;
}

void onshi__os_wake_close(onshi__os_wake *w)
{
    if (w != NULL) {
        CloseHandle(w->ev);
        free(w);
    }
}

void onshi__os_wake_signal(onshi__os_wake *w)
{
    SetEvent(w->ev);
}

void onshi__os_wake_drain(onshi__os_wake *w)
{
    if (w != NULL)
        ResetEvent(w->ev);
}

static DWORD wait_ms(int64_t ms)
{
    return ms <= 0 ? 0 : ms > 1000000 ? 1000000 : (DWORD)ms;
}

int onshi__os_wake_wait(onshi__os_wake *w, int64_t ms)
{
    if (WaitForSingleObject(w->ev, wait_ms(ms)) == WAIT_OBJECT_0) {
        ResetEvent(w->ev);
        return 1;
    }
    return 0;
}

/* ---- folder watch: ReadDirectoryChangesW on a local folder -------------------------------
 * The first folder, when local, is read with ReadDirectoryChangesW (overlapped, on a handle
 * opened with FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED): each change comes with its
 * name. On a network path (UNC, mapped drive), or where that read cannot be started, the
 * first folder falls back to FindFirstChangeNotificationW (a wake without names), as does the
 * second folder always (it only wakes). Polling runs above in every case. */
#define WATCH_FILTER \
    (FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_LAST_WRITE | FILE_NOTIFY_CHANGE_SIZE)

struct onshi__os_watch {
    HANDLE dir;     /* the first folder for ReadDirectoryChangesW, or INVALID_HANDLE_VALUE */
    OVERLAPPED ov;  /* its outstanding read; ov.hEvent signalled on completion */
    int pending;    /* a read is outstanding (the system writes into buf) */
    HANDLE note[2]; /* change notifications: [0] the first folder without names, [1] dir2 */
    /* Changes of the first folder, one read's worth: DWORD-aligned as the call requires.
     * The system keeps recording changes between two reads in a buffer of this size; when
     * they do not fit, the read completes empty (or with ERROR_NOTIFY_ENUM_DIR): an overflow. */
    DWORD buf[8192];
};

/* Is the folder on a local disk? A network path (UNC, a mapped drive) is not: the server
 * reports changes with its own delays and rules, so names are not trusted there. */
static int local_folder(const wchar_t *w)
{
    wchar_t root[1024];
    if (!GetVolumePathNameW(w, root, (DWORD)(sizeof root / sizeof *root)))
        return 0;
    UINT t = GetDriveTypeW(root);
    return t == DRIVE_FIXED || t == DRIVE_REMOVABLE || t == DRIVE_RAMDISK;
}

static HANDLE change_handle(const wchar_t *w)
{
    HANDLE h = FindFirstChangeNotificationW(w, FALSE, WATCH_FILTER);
    if (h == INVALID_HANDLE_VALUE)
        errno = errno_of(GetLastError());
    return h == INVALID_HANDLE_VALUE ? NULL : h;
}

/* Start the next read of the first folder's changes; 0 or -1. */
static int rdc_arm(onshi__os_watch *wt)
{
    ResetEvent(wt->ov.hEvent);
    if (!ReadDirectoryChangesW(wt->dir, wt->buf, (DWORD)sizeof wt->buf, FALSE, WATCH_FILTER,
                               NULL, &wt->ov, NULL))
        return -1;
    wt->pending = 1;
    return 0;
}

/* Open the first folder for ReadDirectoryChangesW and start the first read; 0 or -1. */
static int rdc_open(onshi__os_watch *wt, const wchar_t *w)
{
    wt->dir = CreateFileW(w, FILE_LIST_DIRECTORY,
                          FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                          OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, NULL);
    if (wt->dir == INVALID_HANDLE_VALUE)
        return -1;
    wt->ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (wt->ov.hEvent != NULL && rdc_arm(wt) == 0)
        return 0;
    if (wt->ov.hEvent != NULL)
        CloseHandle(wt->ov.hEvent);
    CloseHandle(wt->dir);
    wt->dir = INVALID_HANDLE_VALUE;
    wt->ov.hEvent = NULL;
    return -1;
}

int onshi__os_watch_open(onshi__os_watch **out, const char *dir, const char *dir2)
{
    *out = NULL;
    onshi__os_watch *wt = calloc(1, sizeof *wt);
    if (wt == NULL) {
        errno = ENOMEM;
        return -1;
    }
    wt->dir = INVALID_HANDLE_VALUE;
    wchar_t *w = widen(dir);
    if (w == NULL) {
        free(wt);
        return -1;
    }
    if (!local_folder(w) || rdc_open(wt, w) != 0)
        wt->note[0] = change_handle(w);
    free(w);
    if (wt->dir == INVALID_HANDLE_VALUE && wt->note[0] == NULL) {
        int e = errno;
        free(wt);
        errno = e;
        return -1;
    }
    if (dir2 != NULL && (w = widen(dir2)) != NULL) {
        wt->note[1] = change_handle(w);
        free(w);
    }
    *out = wt;
    return 0;
}

/* Stop the outstanding read and wait until the system no longer writes into buf. */
static void rdc_stop(onshi__os_watch *wt)
{
    if (wt->pending) {
        DWORD got;
        CancelIoEx(wt->dir, &wt->ov);
        GetOverlappedResult(wt->dir, &wt->ov, &got, TRUE);
        wt->pending = 0;
    }
}

void onshi__os_watch_close(onshi__os_watch *wt)
{
    if (wt == NULL)
        return;
    if (wt->dir != INVALID_HANDLE_VALUE) {
        rdc_stop(wt);
        CloseHandle(wt->dir);
        CloseHandle(wt->ov.hEvent);
    }
    for (int i = 0; i < 2; i++)
        if (wt->note[i] != NULL)
            FindCloseChangeNotification(wt->note[i]);
    free(wt);
}

/* The os.h kind of a FILE_ACTION_*. Windows reports no close: a name created or modified
 * stays "writing" until it is renamed away or deleted (the stable-read rule then waits for
 * its content to stay unchanged, ONSHI__WRITER_HOLD_MS, as for a Linux writer whose close
 * was not seen). */
static int kind_of_action(DWORD action)
{
    switch (action) {
    case FILE_ACTION_ADDED:
    case FILE_ACTION_MODIFIED: return ONSHI__OS_EV_TOUCHED; /* no close is ever reported */
    case FILE_ACTION_REMOVED:
    case FILE_ACTION_RENAMED_OLD_NAME: return ONSHI__OS_EV_GONE;
    case FILE_ACTION_RENAMED_NEW_NAME: return ONSHI__OS_EV_MOVED_IN;
    default: return ONSHI__OS_EV_OTHER;
    }
}

/* Report the records of one completed read: got bytes of buf. */
static void rdc_report(const onshi__os_watch *wt, DWORD got,
                       void (*fn)(void *, int, const char *), void *arg)
{
    const unsigned char *p = (const unsigned char *)wt->buf;
    size_t off = 0;
    while (off + offsetof(FILE_NOTIFY_INFORMATION, FileName) <= got) {
        const FILE_NOTIFY_INFORMATION *fi = (const FILE_NOTIFY_INFORMATION *)(p + off);
        size_t wlen = fi->FileNameLength / sizeof(WCHAR);
        char name[1024];
        int n = 0;
        if (off + offsetof(FILE_NOTIFY_INFORMATION, FileName) + fi->FileNameLength <= got &&
            wlen > 0 && wlen < 512)
            n = WideCharToMultiByte(CP_UTF8, 0, fi->FileName, (int)wlen, name,
                                    (int)sizeof name - 1, NULL, NULL);
        if (n > 0) {
            name[n] = '\0';
            fn(arg, kind_of_action(fi->Action), name);
        } else {
            /* A name the library never uses (too long) or a damaged record: what we know
             * about names may be incomplete. */
            fn(arg, ONSHI__OS_EV_OVERFLOW, NULL);
        }
        if (fi->NextEntryOffset == 0)
            break;
        off += fi->NextEntryOffset;
    }
}

/* Report what a completed read of the first folder brought (without waiting) and start the
 * next one. A read that completed empty or with ERROR_NOTIFY_ENUM_DIR lost changes: an
 * overflow. When the next read cannot be started (the folder was removed, access lost) the
 * watch of names ends with an overflow; polling goes on. */
static void rdc_collect(onshi__os_watch *wt, void (*fn)(void *, int, const char *), void *arg)
{
    if (!wt->pending)
        return;
    DWORD got = 0;
    if (!GetOverlappedResult(wt->dir, &wt->ov, &got, FALSE)) {
        DWORD e = GetLastError();
        if (e == ERROR_IO_INCOMPLETE)
            return;
        wt->pending = 0;
        fn(arg, ONSHI__OS_EV_OVERFLOW, NULL);
        if (e != ERROR_NOTIFY_ENUM_DIR)
            return; /* the folder cannot be read any more: no next read */
    } else {
        wt->pending = 0;
        if (got == 0)
            fn(arg, ONSHI__OS_EV_OVERFLOW, NULL);
        else
            rdc_report(wt, got, fn, arg);
    }
    if (rdc_arm(wt) != 0)
        fn(arg, ONSHI__OS_EV_OVERFLOW, NULL);
}

int onshi__os_watch_wait(onshi__os_watch *wt, onshi__os_wake *w, int64_t ms,
                         void (*fn)(void *arg, int kind, const char *name), void *arg)
{
    HANDLE hs[3];
    int what[3]; /* 0 the wake, 1 the read of names, 2 a change notification */
    DWORD n = 0;
    hs[n] = w->ev, what[n++] = 0;
    if (wt != NULL && wt->pending)
        hs[n] = wt->ov.hEvent, what[n++] = 1;
    for (int i = 0; wt != NULL && i < 2; i++)
        if (wt->note[i] != NULL)
            hs[n] = wt->note[i], what[n++] = 2 + i;
    DWORD k = WaitForMultipleObjects(n, hs, FALSE, wait_ms(ms));
    int woken = 0;
    if (k == WAIT_OBJECT_0) {
        ResetEvent(w->ev);
        woken = 1;
    }
    /* Names first, whatever ended the wait (as the POSIX side drains inotify). */
    if (wt != NULL)
        rdc_collect(wt, fn, arg);
    if (k > WAIT_OBJECT_0 && k < WAIT_OBJECT_0 + n && what[k - WAIT_OBJECT_0] >= 2) {
        FindNextChangeNotification(hs[k - WAIT_OBJECT_0]);
        /* The first folder without names: something changed, nothing more known. The second
         * folder: as on POSIX, an event about no name of the first folder when the first
         * one reports names. */
        int names = wt->dir != INVALID_HANDLE_VALUE;
        fn(arg, what[k - WAIT_OBJECT_0] == 2 || !names ? ONSHI__OS_EV_CHANGED : ONSHI__OS_EV_OTHER,
           NULL);
    }
    return woken;
}

/* ---- sockets: Winsock 2 ------------------------------------------------------------------ */
static INIT_ONCE net_once = INIT_ONCE_STATIC_INIT;
static int net_status;

static BOOL CALLBACK net_start(PINIT_ONCE once, PVOID p, PVOID *ctx)
{
    (void)once;
    (void)p;
    (void)ctx;
    WSADATA wd;
    int e = WSAStartup(MAKEWORD(2, 2), &wd);
    net_status = e == 0 ? 0 : wsa_errno(e);
    return TRUE;
}

int onshi__os_net_init(void)
{
    InitOnceExecuteOnce(&net_once, net_start, NULL, NULL);
    return net_status;
}

int onshi__os_getaddrinfo(const char *host, const char *port, const struct addrinfo *hints,
                          struct addrinfo **res)
{
    return getaddrinfo(host, port, hints, res);
}

void onshi__os_freeaddrinfo(struct addrinfo *res)
{
    freeaddrinfo(res);
}

const char *onshi__os_gai_strerror(int err)
{
    return gai_strerrorA(err);
}

int onshi__os_sock_connect(const struct addrinfo *ai, onshi__os_sock *out)
{
    *out = ONSHI__OS_NOSOCK;
    SOCKET s = WSASocketW(ai->ai_family, ai->ai_socktype, ai->ai_protocol, NULL, 0,
                          WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET) {
        errno = wsa_errno(WSAGetLastError());
        return -1;
    }
    *out = (onshi__os_sock)s;
    u_long one = 1;
    ioctlsocket(s, FIONBIO, &one);
    if (connect(s, ai->ai_addr, (int)ai->ai_addrlen) == 0)
        return 0;
    int e = WSAGetLastError();
    if (e == WSAEWOULDBLOCK || e == WSAEINPROGRESS)
        return 1;
    errno = wsa_errno(e);
    return -1;
}

int onshi__os_sock_error(onshi__os_sock s)
{
    int so = 0;
    int sl = sizeof so;
    if (getsockopt((SOCKET)s, SOL_SOCKET, SO_ERROR, (char *)&so, &sl) != 0)
        return wsa_errno(WSAGetLastError());
    return so == 0 ? 0 : wsa_errno(so);
}

void onshi__os_sock_nodelay(onshi__os_sock s)
{
    BOOL one = TRUE;
    setsockopt((SOCKET)s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
}

void onshi__os_sock_close(onshi__os_sock s)
{
    if (s != ONSHI__OS_NOSOCK)
        closesocket((SOCKET)s);
}

ssize_t onshi__os_send(onshi__os_sock s, const void *p, size_t n)
{
    int r = send((SOCKET)s, p, n > 0x40000000u ? 0x40000000 : (int)n, 0);
    if (r == SOCKET_ERROR) {
        errno = wsa_errno(WSAGetLastError());
        return -1;
    }
    return r;
}

ssize_t onshi__os_recv(onshi__os_sock s, void *p, size_t n)
{
    int r = recv((SOCKET)s, p, n > 0x40000000u ? 0x40000000 : (int)n, 0);
    if (r == SOCKET_ERROR) {
        errno = wsa_errno(WSAGetLastError());
        return -1;
    }
    return r;
}

static int sock_ready(SOCKET s, int events)
{
    WSAPOLLFD p;
    p.fd = s;
    p.events = (SHORT)((events & ONSHI__OS_IN ? POLLRDNORM : 0) |
                       (events & ONSHI__OS_OUT ? POLLWRNORM : 0));
    p.revents = 0;
    int r = WSAPoll(&p, 1, 0);
    return r > 0 && p.revents != 0;
}

int onshi__os_sock_wait(onshi__os_sock sock, int events, onshi__os_wake *w, int64_t ms)
{
    SOCKET s = (SOCKET)sock;
    int out = sock_ready(s, events) ? 1 : 0;
    if (w != NULL && WaitForSingleObject(w->ev, 0) == WAIT_OBJECT_0)
        out |= 2;
    if (out != 0 || ms <= 0)
        return out;
    /* The socket's network events and the wake event in one wait. */
    WSAEVENT se = WSACreateEvent();
    if (se == WSA_INVALID_EVENT) {
        errno = wsa_errno(WSAGetLastError());
        return -1;
    }
    long what = FD_CLOSE | (events & ONSHI__OS_IN ? FD_READ : 0) |
                (events & ONSHI__OS_OUT ? FD_WRITE | FD_CONNECT : 0);
    if (WSAEventSelect(s, se, what) != 0) {
        errno = wsa_errno(WSAGetLastError());
        WSACloseEvent(se);
        return -1;
    }
    HANDLE hs[2] = {se, w != NULL ? w->ev : NULL};
    DWORD k = WaitForMultipleObjects(w != NULL ? 2 : 1, hs, FALSE, wait_ms(ms));
    WSAEventSelect(s, NULL, 0); /* the socket stays non-blocking */
    WSACloseEvent(se);
    if (k == WAIT_OBJECT_0)
        out |= 1; /* the caller's send/recv/SO_ERROR tells what it was */
    else if (k == WAIT_OBJECT_0 + 1)
        out |= 2;
    else if (k == WAIT_FAILED) {
        errno = EIO;
        return -1;
    }
    if (sock_ready(s, events))
        out |= 1;
    return out;
}

int onshi__os_inet_pton(const char *text, unsigned char out[16])
{
    if (inet_pton(AF_INET, text, out) == 1)
        return 4;
    if (inet_pton(AF_INET6, text, out) == 1)
        return 16;
    return 0;
}

/* ---- character conversion: code page 932 ---------------------------------------------------
 * One character at a time, so an error points at its byte exactly as iconv's does. */
enum { ENC_UTF8, ENC_CP932, ENC_EUCJP };
struct onshi__cv {
    int to, from;
};

static int enc_of(const char *name)
{
    if (_stricmp(name, "UTF-8") == 0 || _stricmp(name, "UTF8") == 0)
        return ENC_UTF8;
    if (_stricmp(name, "CP932") == 0 || _stricmp(name, "SHIFT_JIS") == 0 ||
        _stricmp(name, "WINDOWS-31J") == 0)
        return ENC_CP932;
    if (_stricmp(name, "EUC-JP") == 0)
        return ENC_EUCJP;
    return -1;
}

onshi__cv_t onshi__cv_open(const char *to, const char *from)
{
    int t = enc_of(to), f = enc_of(from);
    /* What the library converts: CP932 → UTF-8 and UTF-8 → UTF-8, CP932, EUC-JP. */
    if (t < 0 || f < 0 || f == ENC_EUCJP || (f == ENC_CP932 && t != ENC_UTF8)) {
        errno = EINVAL;
        return ONSHI__CV_NONE;
    }
    onshi__cv_t cd = malloc(sizeof *cd);
    if (cd == NULL) {
        errno = ENOMEM;
        return ONSHI__CV_NONE;
    }
    cd->to = t;
    cd->from = f;
    return cd;
}

void onshi__cv_close(onshi__cv_t cd)
{
    free(cd);
}

/* One UTF-8 character: its length, 0 when incomplete, -1 when invalid. */
static int utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned char b = p[0];
    int len;
    uint32_t c, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
        len = 2, c = b & 0x1F, min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3, c = b & 0x0F, min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4, c = b & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n)
            return 0;
        if ((p[i] & 0xC0) != 0x80)
            return -1;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return -1;
    *cp = c;
    return len;
}

static int utf8_encode(uint32_t c, unsigned char *o)
{
    if (c < 0x80) {
        o[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (unsigned char)(0xC0 | (c >> 6));
        o[1] = (unsigned char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (c >> 12));
        o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (c >> 18));
    o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (c & 0x3F));
    return 4;
}

/* One CP932 character: its length, 0 when incomplete, -1 when invalid. */
static int cp932_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned char b = p[0];
    int len = (b >= 0x81 && b <= 0x9F) || (b >= 0xE0 && b <= 0xFC) ? 2 : 1;
    if ((size_t)len > n)
        return 0;
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    wchar_t w[2];
    int k = MultiByteToWideChar(932, MB_ERR_INVALID_CHARS, (const char *)p, len, w, 2);
    if (k != 1)
        return -1;
    *cp = w[0];
    return len;
}

/* A code point in CP932: its 1 or 2 bytes, or -1. No best fit: what has no cell fails. */
static int cp932_encode(uint32_t c, unsigned char *o)
{
    if (c < 0x80) {
        o[0] = (unsigned char)c;
        return 1;
    }
    if (c > 0xFFFF)
        return -1;
    wchar_t w = (wchar_t)c;
    char b[4];
    BOOL dflt = FALSE;
    int k = WideCharToMultiByte(932, WC_NO_BEST_FIT_CHARS, &w, 1, b, sizeof b, NULL, &dflt);
    if (k <= 0 || k > 2 || dflt)
        return -1;
    memcpy(o, b, (size_t)k);
    return k;
}

/* EUC-JP as glibc's table has it: ASCII, half-width katakana (SS2) and JIS X 0208, whose
 * cells are CP932's lead bytes 0x81-0x84, 0x88-0x9F, 0xE0-0xEA (rows 1-8, 16-84) converted
 * arithmetically. CP932 maps seven JIS X 0208 cells to other code points (－ ～ ∥ ￠ ￡ ￢ ―);
 * glibc's EUC-JP has the JIS code points (− 〜 ‖ ¢ £ ¬ —) and not CP932's. JIS X 0212 (SS3)
 * is not produced: the library asks EUC-JP only whether a character lies in JIS X 0208. */
static int eucjp_encode(uint32_t c, unsigned char *o)
{
    if (c < 0x80) {
        o[0] = (unsigned char)c;
        return 1;
    }
    if (c >= 0xFF61 && c <= 0xFF9F) {
        o[0] = 0x8E;
        o[1] = (unsigned char)(c - 0xFF61 + 0xA1);
        return 2;
    }
    switch (c) {
    case 0xFF0D: case 0xFF5E: case 0x2225: case 0xFFE0: case 0xFFE1: case 0xFFE2: case 0x2015:
        return -1;
    case 0x2212: c = 0xFF0D; break;
    case 0x301C: c = 0xFF5E; break;
    case 0x2016: c = 0x2225; break;
    case 0x00A2: c = 0xFFE0; break;
    case 0x00A3: c = 0xFFE1; break;
    case 0x00AC: c = 0xFFE2; break;
    case 0x2014: c = 0x2015; break;
    default: break;
    }
    unsigned char s[2];
    if (cp932_encode(c, s) != 2)
        return -1;
    unsigned s1 = s[0], s2 = s[1];
    if (!((s1 >= 0x81 && s1 <= 0x84) || (s1 >= 0x88 && s1 <= 0x9F) || (s1 >= 0xE0 && s1 <= 0xEA)))
        return -1; /* NEC row 13, IBM extensions, user-defined area */
    unsigned j1 = (s1 - (s1 < 0xA0 ? 0x70u : 0xB0u)) * 2, j2;
    if (s2 >= 0x9F) {
        j2 = s2 - 0x7E;
    } else {
        j1 -= 1;
        j2 = s2 - (s2 >= 0x80 ? 0x20u : 0x1Fu);
    }
    if (j1 < 0x21 || j1 > 0x74 || j2 < 0x21 || j2 > 0x7E)
        return -1;
    o[0] = (unsigned char)(j1 | 0x80);
    o[1] = (unsigned char)(j2 | 0x80);
    return 2;
}

size_t onshi__cv(onshi__cv_t cd, char **in, size_t *inleft, char **out, size_t *outleft)
{
    if (in == NULL || *in == NULL)
        return 0; /* stateless encodings: nothing to reset or flush */
    while (*inleft > 0) {
        const unsigned char *p = (const unsigned char *)*in;
        uint32_t c = 0;
        int l = cd->from == ENC_UTF8 ? utf8_decode(p, *inleft, &c) : cp932_decode(p, *inleft, &c);
        if (l == 0) {
            errno = EINVAL;
            return (size_t)-1;
        }
        if (l < 0) {
            errno = EILSEQ;
            return (size_t)-1;
        }
        unsigned char o[4];
        int k = cd->to == ENC_UTF8    ? utf8_encode(c, o)
                : cd->to == ENC_CP932 ? cp932_encode(c, o)
                                      : eucjp_encode(c, o);
        if (k < 0) {
            errno = EILSEQ;
            return (size_t)-1;
        }
        if ((size_t)k > *outleft) {
            errno = E2BIG;
            return (size_t)-1;
        }
        memcpy(*out, o, (size_t)k);
        *out += k;
        *outleft -= (size_t)k;
        *in += l;
        *inleft -= (size_t)l;
    }
    return 0;
}
#endif

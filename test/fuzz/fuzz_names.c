/* Fuzz target: file names in res/ and face/. The input is "name\0content": a file of that
 * name (any bytes but '/' and NUL; made safe for the folder) is put into face/ and res/ and
 * the face watcher and the type-from-name rules run over it. */
#define _GNU_SOURCE
#include "onshi.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];

static void put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s/%s", root, dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (write(fd, p, n) < 0) {
    }
    close(fd);
}

static void clean(const char *dir, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s/%s", root, dir, name);
    unlink(path);
}

static void remove_root(void)
{
    static const char *const parts[] = {"face", "res", "state.db-wal", "state.db-shm",
                                        "state.db-journal", "state.db"};
    char p[128];
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        snprintf(p, sizeof p, "%s/%s", root, parts[i]);
        if (rmdir(p) != 0)
            unlink(p);
    }
    rmdir(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (root[0] == '\0') {
        atexit(remove_root);
        snprintf(root, sizeof root, "/tmp/onshi-fuzz-names-%ld", (long)getpid());
        char d[128];
        mkdir(root, 0700);
        snprintf(d, sizeof d, "%s/face", root);
        mkdir(d, 0700);
        snprintf(d, sizeof d, "%s/res", root);
        mkdir(d, 0700);
        snprintf(d, sizeof d, "%s/state.db", root);
        setenv("ONSHI_STATE_DB", d, 1);
    }
    const uint8_t *nul = memchr(data, 0, size);
    size_t nl = nul ? (size_t)(nul - data) : size;
    if (nl == 0 || nl > 200)
        return 0;
    char name[256];
    memcpy(name, data, nl);
    name[nl] = '\0';
    for (size_t i = 0; i < nl; i++)
        if (name[i] == '/')
            name[i] = '_';
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 0;
    const uint8_t *content = nul ? nul + 1 : data + size;
    size_t cl = (size_t)(data + size - content);
    (void)onshi_msgtype_from_filename(name);
    onshi_ctx *ctx;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 0;
    char d[128];
    snprintf(d, sizeof d, "%s/face", root);
    onshi_ctx_set_str(ctx, ONSHI_OPT_FACE_DIR, d);
    snprintf(d, sizeof d, "%s/res", root);
    onshi_ctx_set_str(ctx, ONSHI_OPT_RES_DIR, d);
    onshi_ctx_set_int(ctx, ONSHI_OPT_XML_MAX_SIZE, 1 << 20);
    put("face", name, content, cl);
    put("res", name, content, cl);
    onshi_face_watch *fw = NULL;
    if (onshi_face_watch_new(&fw, ctx, ONSHI_FACE_WATCH_DELIVER_EXISTING) == ONSHI_OK) {
        /* the watcher decodes what it delivers (the type from the name) */
        onshi_msg *r = NULL;
        if (onshi_face_watch_next(&r, fw, 0) == ONSHI_OK && r != NULL)
            (void)onshi_msg_type(r);
        onshi_msg_free(r);
        onshi_face_watch_free(fw);
    }
    char path[600];
    snprintf(path, sizeof path, "%s/res/%s", root, name);
    onshi_msg *m = NULL;
    onshi_msg_decode_file(&m, ctx, path);
    onshi_msg_free(m);
    clean("face", name);
    clean("res", name);
    onshi_ctx_free(ctx);
    return 0;
}

/* core: the one random source — bytes from the kernel, hex of the right length, and a loud
 * ONSHI_E_RANDOM (never zeros) when the kernel gives none: a child process forbids getrandom
 * with a seccomp filter and checks what the library does. Also the wipe core does itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/core.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_bytes_and_hex(void **state)
{
    (void)state;
    unsigned char a[64], b[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    assert_int_equal(onshi__random(NULL, a, sizeof a), ONSHI_OK);
    assert_int_equal(onshi__random(NULL, b, sizeof b), ONSHI_OK);
    assert_memory_not_equal(a, b, sizeof a); /* 2^-512 */
    char hex[2 * 64 + 1];
    assert_int_equal(onshi__random_hex(NULL, hex, 16), ONSHI_OK);
    assert_int_equal(strlen(hex), 32);
    assert_int_equal(strspn(hex, "0123456789abcdef"), 32);
    assert_int_equal(onshi__random_hex(NULL, hex, 65), ONSHI_E_INVALID_ARG);
    unsigned char big[1000]; /* more than one getrandom call */
    assert_int_equal(onshi__random(NULL, big, sizeof big), ONSHI_OK);
    unsigned char cb[8];
    assert_int_equal(onshi__random_cb(NULL, cb, sizeof cb), 0);
}

/* Make getrandom fail with ENOSYS for this process (no privileges needed with NO_NEW_PRIVS). */
static int forbid_getrandom(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static void test_fails_loudly(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (forbid_getrandom() != 0)
            _exit(77);
        onshi_ctx *ctx = NULL;
        if (onshi_ctx_new(&ctx) != ONSHI_OK)
            _exit(10);
        unsigned char buf[16];
        memset(buf, 0xAA, sizeof buf);
        if (onshi__random(ctx, buf, sizeof buf) != ONSHI_E_RANDOM)
            _exit(11);
        for (size_t i = 0; i < sizeof buf; i++)
            if (buf[i] != 0) /* wiped, not half-filled */
                _exit(12);
        if (onshi_ctx_last_error(ctx) != ONSHI_E_RANDOM)
            _exit(13);
        char hex[33] = "";
        if (onshi__random_hex(ctx, hex, 16) != ONSHI_E_RANDOM)
            _exit(14);
        if (onshi__random_cb(NULL, buf, sizeof buf) == 0)
            _exit(15);
        onshi_ctx_free(ctx);
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) == 77)
        skip();
    assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_wipe(void **state)
{
    (void)state;
    unsigned char secret[32];
    memset(secret, 0x5A, sizeof secret);
    onshi_mem_wipe(secret, sizeof secret);
    for (size_t i = 0; i < sizeof secret; i++)
        assert_int_equal(secret[i], 0);
    onshi_mem_wipe(NULL, 10); /* harmless */
    onshi_mem_wipe(secret, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_and_hex),
        cmocka_unit_test(test_fails_loudly),
        cmocka_unit_test(test_wipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

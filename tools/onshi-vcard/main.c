/*
 * onshi-vcard: the virtual My Number Card as a process that sits in a vpcd reader of the
 * real pcscd. Wire protocol (vsmartcard vpcd.c): every message is a 2-byte big-endian length
 * and a payload; a 1-byte payload is a control byte (00 off, 01 on, 02 reset, 04 "send ATR"),
 * anything else is a command APDU answered with one message.
 * SPDX-License-Identifier: Apache-2.0
 */
#define _GNU_SOURCE /* ppoll */
#include "vcard.h"
#include "vcard_pki.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;
/* SIGTERM/SIGINT stay blocked except inside ppoll, so a stop request can never fall between
 * a check of stop_flag and a blocking recv. */
static sigset_t wait_mask;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fputs(
        "usage: onshi-vcard [options]\n"
        "A virtual My Number Card (JPKI AP) for pcscd's vpcd reader (vsmartcard-vpcd).\n"
        "仮想マイナンバーカード（公的個人認証AP）。pcscd の vpcd リーダーに挿入されたカードとして動作します。\n"
        "\n"
        "  --vpcd HOST:PORT     vpcd to connect to (default 127.0.0.1:35963 = 'Virtual PCD 00 00';\n"
        "                       35964 is 'Virtual PCD 00 01'); retried until vpcd listens\n"
        "  --cert FILE          auth certificate, EF 000A (PEM or DER)\n"
        "  --key FILE           its private key, EF 0017 (PEM or DER, RSA)\n"
        "  --ca FILE            auth CA certificate, EF 000B (PEM or DER)\n"
        "                       without --cert/--key/--ca a fresh test PKI is generated\n"
        "  --export DIR         write the public parts (card-auth.der, jpki-ca.der) into DIR\n"
        "  --pin NNNN           TEST PIN (default 1234). Real PINs never go on a command line:\n"
        "                       argv is visible to every user of the machine.\n"
        "                       テスト用PINのみ。本物のPINをコマンドラインに書かないこと。\n"
        "  --tries N            PIN retry counter (default 3)\n"
        "  --apdu-log FILE      append one line per APDU: command hex, response hex\n"
        "                       (VERIFY data masked; FORBIDDEN marks a SELECT outside the JPKI\n"
        "                       allowlist, MYNUMBER-READ a read of the decoy My Number)\n"
        "  --latency-ms N       timing model: every APDU takes at least N ms\n"
        "  --sign-ms N          timing model: a signature takes at least N ms more\n"
        "  --remove-after N     answer N APDUs (0: none), then leave the reader (card removed)\n"
        "                       when the next one arrives\n"
        "  --smartphone KIND    a smartphone instead of a card: android (JPKIAPGPSETOKEN, the\n"
        "                       auth certificate only after the PIN) or iphone (JPKIAPIOSTOKEN)\n"
        "                       スマートフォン（android / iphone）として動作します\n"
        "  --help\n",
        f);
}

typedef struct opts {
    const char *vpcd, *cert, *key, *ca, *pin, *apdu_log, *export_dir;
    int tries, smartphone;
    unsigned latency_ms, sign_ms;
    unsigned long remove_after;
    int remove_set;
} opts;

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *s == '\0' || *end != '\0' || v > max || *s == '-')
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, opts *o)
{
    static const struct option lo[] = {
        {"vpcd", required_argument, NULL, 'v'},     {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},      {"ca", required_argument, NULL, 'a'},
        {"pin", required_argument, NULL, 'p'},      {"tries", required_argument, NULL, 't'},
        {"apdu-log", required_argument, NULL, 'l'}, {"latency-ms", required_argument, NULL, 'L'},
        {"sign-ms", required_argument, NULL, 'S'},  {"remove-after", required_argument, NULL, 'r'},
        {"export", required_argument, NULL, 'e'},   {"help", no_argument, NULL, 'h'},
        {"smartphone", required_argument, NULL, 'P'},
        {NULL, 0, NULL, 0}};
    unsigned long v;
    int ch;
    memset(o, 0, sizeof *o);
    o->vpcd = "127.0.0.1:35963";
    o->tries = 3;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'v': o->vpcd = optarg; break;
        case 'c': o->cert = optarg; break;
        case 'k': o->key = optarg; break;
        case 'a': o->ca = optarg; break;
        case 'p': o->pin = optarg; break;
        case 'l': o->apdu_log = optarg; break;
        case 'e': o->export_dir = optarg; break;
        case 't':
            if (parse_uint(optarg, 15, &v) != 0 || v == 0)
                return fprintf(stderr, "onshi-vcard: --tries must be 1..15\n"), -1;
            o->tries = (int)v;
            break;
        case 'L':
        case 'S':
            if (parse_uint(optarg, 600000, &v) != 0)
                return fprintf(stderr, "onshi-vcard: --%s must be 0..600000\n",
                               ch == 'L' ? "latency-ms" : "sign-ms"), -1;
            if (ch == 'L')
                o->latency_ms = (unsigned)v;
            else
                o->sign_ms = (unsigned)v;
            break;
        case 'r':
            if (parse_uint(optarg, 1000000000ul, &v) != 0)
                return fprintf(stderr, "onshi-vcard: --remove-after must be >= 0\n"), -1;
            o->remove_after = v;
            o->remove_set = 1;
            break;
        case 'P':
            if (strcmp(optarg, "android") == 0)
                o->smartphone = VCARD_PHONE_ANDROID;
            else if (strcmp(optarg, "iphone") == 0)
                o->smartphone = VCARD_PHONE_IPHONE;
            else
                return fprintf(stderr, "onshi-vcard: --smartphone must be android or iphone\n"), -1;
            break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (optind != argc)
        return fprintf(stderr, "onshi-vcard: unexpected argument '%s'\n", argv[optind]), -1;
    if ((o->cert || o->key || o->ca) && !(o->cert && o->key && o->ca))
        return fprintf(stderr, "onshi-vcard: give all of --cert, --key and --ca, or none\n"), -1;
    return 0;
}

/* ---- vpcd socket ------------------------------------------------------------------------- */

static int connect_vpcd(const char *hostport)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    struct addrinfo hints, *res = NULL, *ai;
    int fd = -1;
    if (colon == NULL || (size_t)(colon - hostport) >= sizeof host)
        return -2;
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
        return -2;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

/* Read exactly n bytes. TCP_QUICKACK is re-armed before every recv: Debian's vpcd 3.3 sends
 * length and payload in two writes without TCP_NODELAY, so a delayed ACK from us would make
 * Nagle hold its second write for ~40 ms per APDU (virtual-pcsc.md, gotcha 1). */
static int recv_all(int fd, unsigned char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        int one = 1;
        ssize_t r;
        struct pollfd pfd;
        pfd.fd = fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (ppoll(&pfd, 1, NULL, &wait_mask) < 0) {
            if (errno == EINTR && !stop_flag)
                continue;
            return -1;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        r = recv(fd, buf + got, n - got, 0);
        if (r == 0)
            return 0;
        if (r < 0) {
            if (errno == EINTR && !stop_flag)
                continue;
            return -1;
        }
        got += (size_t)r;
    }
    return 1;
}

static int send_msg(int fd, const unsigned char *data, size_t len, unsigned char *frame)
{
    size_t off = 0, total = len + 2;
    frame[0] = (unsigned char)(len >> 8);
    frame[1] = (unsigned char)len;
    memcpy(frame + 2, data, len);
    while (off < total) {
        ssize_t w = send(fd, frame + off, total - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR && !stop_flag)
                continue;
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

static void log_line(void *userdata, const char *line)
{
    FILE *f = userdata;
    fprintf(f, "%s\n", line);
    fflush(f);
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    ppoll(NULL, 0, &ts, &wait_mask);
}

#define MAX_MSG 65544u /* extended APDU: 4 + 3 + 65535 + 2 */

/* One vpcd session. Returns 1 when the card was removed on purpose, 0 when vpcd went away,
 * -1 on a fatal error. */
static int serve(int fd, vcard *card, const opts *o, unsigned long *answered, unsigned char *in,
                 unsigned char *out, unsigned char *frame)
{
    for (;;) {
        unsigned char hdr[2];
        size_t len, rlen;
        int r = recv_all(fd, hdr, 2);
        if (r <= 0)
            return 0;
        len = (size_t)hdr[0] << 8 | hdr[1];
        if (len == 0)
            continue;
        if (recv_all(fd, in, len) <= 0)
            return 0;
        if (len == 1) {
            switch (in[0]) {
            case 0x00: vcard_power(card, VCARD_POWER_OFF); break;
            case 0x01: vcard_power(card, VCARD_POWER_ON); break;
            case 0x02: vcard_power(card, VCARD_POWER_RESET); break;
            case 0x04:
                if (send_msg(fd, vcard_atr, vcard_atr_len, frame) != 0)
                    return 0;
                break;
            default: break; /* unknown control bytes are ignored, as vicc does */
            }
            continue;
        }
        if (o->remove_set && *answered >= o->remove_after)
            return 1;
        if (vcard_transmit(card, in, len, out, MAX_MSG, &rlen) != 0)
            return -1;
        (*answered)++;
        if (send_msg(fd, out, rlen, frame) != 0)
            return 0;
    }
}

int main(int argc, char **argv)
{
    vcard_material m;
    vcard_config cfg;
    vcard_stats st;
    vcard *card = NULL;
    FILE *logf = NULL;
    unsigned char *in = NULL, *out = NULL, *frame = NULL;
    unsigned long answered = 0;
    struct sigaction sa;
    char err[256];
    opts o;
    int rc = 1, fd;

    if (parse_args(argc, argv, &o) != 0)
        return 2;
    if (o.cert != NULL) {
        const char *failed = NULL;
        if (vcard_material_load(&m, o.cert, o.key, o.ca, &failed) != 0) {
            fprintf(stderr, "onshi-vcard: cannot read %s\n", failed);
            return 1;
        }
    } else if (vcard_material_generate(&m, NULL) != 0) {
        fprintf(stderr, "onshi-vcard: generating the test PKI failed\n");
        return 1;
    }
    if (o.export_dir != NULL && vcard_material_export(&m, o.export_dir) != 0) {
        fprintf(stderr, "onshi-vcard: cannot write into %s\n", o.export_dir);
        goto done;
    }
    vcard_material_config(&cfg, &m);
    cfg.pin = o.pin;
    cfg.tries = o.tries;
    cfg.latency_ms = o.latency_ms;
    cfg.sign_ms = o.sign_ms;
    cfg.smartphone = o.smartphone;
    if (vcard_new(&card, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "onshi-vcard: %s\n", err);
        goto done;
    }
    if (o.apdu_log != NULL) {
        logf = fopen(o.apdu_log, "a");
        if (logf == NULL) {
            fprintf(stderr, "onshi-vcard: cannot open %s: %s\n", o.apdu_log, strerror(errno));
            goto done;
        }
        vcard_set_log(card, log_line, logf);
    }
    in = malloc(MAX_MSG);
    out = malloc(MAX_MSG);
    frame = malloc(MAX_MSG + 2);
    if (in == NULL || out == NULL || frame == NULL)
        goto done;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    {
        sigset_t stop;
        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        sigprocmask(SIG_BLOCK, &stop, &wait_mask);
        sigdelset(&wait_mask, SIGTERM);
        sigdelset(&wait_mask, SIGINT);
    }

    rc = 0;
    while (!stop_flag) {
        int r;
        fd = connect_vpcd(o.vpcd);
        if (fd == -2) {
            fprintf(stderr, "onshi-vcard: bad --vpcd '%s' (HOST:PORT)\n", o.vpcd);
            rc = 2;
            break;
        }
        if (fd < 0) {
            sleep_ms(20); /* vpcd not listening yet (pcscd starting): try again */
            continue;
        }
        r = serve(fd, card, &o, &answered, in, out, frame);
        close(fd);
        if (r != 0) {
            if (r > 0 && logf != NULL)
                log_line(logf, "# removed");
            rc = r > 0 ? 0 : 1;
            break;
        }
        /* vpcd closed the connection (pcscd restarting): the card goes out of the reader
         * and comes back as soon as vpcd listens again. */
        vcard_power(card, VCARD_POWER_OFF);
    }
    vcard_get_stats(card, &st);
    fprintf(stderr, "onshi-vcard: %lu APDUs, %lu forbidden, %lu My Number reads\n", st.apdus,
            st.forbidden, st.mynumber_reads);
done:
    free(in);
    free(out);
    free(frame);
    if (logf != NULL)
        fclose(logf);
    vcard_free(card);
    vcard_material_free(&m);
    return rc;
}

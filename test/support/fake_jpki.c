/*
 * Test doubles of fake_jpki.h: a behavioural JPKI card and an in-process HTTPS server of the
 * card-authentication / disaster-search extensions.
 * SPDX-License-Identifier: Apache-2.0
 */
#define _GNU_SOURCE /* memmem, strcasestr */
#include "api.h"
#include "fake_jpki.h"

#include "../../tools/onshi-pki/pki.h"
#include <mbedtls/pk.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ================================ the card ================================ */

void fake_card_init(fake_card *c, const vcard_material *m)
{
    fake_card_init_phone(c, m, VCARD_PHONE_NONE);
}

void fake_card_init_phone(fake_card *c, const vcard_material *m, int smartphone)
{
    memset(c, 0, sizeof *c);
    vcard_config cfg;
    vcard_material_config(&cfg, m);
    cfg.smartphone = smartphone;
    if (vcard_new(&c->card, &cfg, NULL, 0) != 0)
        abort();
}

void fake_card_free(fake_card *c)
{
    vcard_free(c->card);
    memset(c, 0, sizeof *c);
}

void fake_card_spend_tries(fake_card *c, int n)
{
    static const unsigned char sel_ap[] = {0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0,
                                           0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01};
    static const unsigned char sel_pin[] = {0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18};
    static const unsigned char wrong[] = {0x00, 0x20, 0x00, 0x80, 0x04, '0', '0', '0', '0'};
    unsigned char r[300];
    size_t rl = 0;
    vcard_transmit(c->card, sel_ap, sizeof sel_ap, r, sizeof r, &rl);
    vcard_transmit(c->card, sel_pin, sizeof sel_pin, r, sizeof r, &rl);
    for (int i = 0; i < n; i++)
        vcard_transmit(c->card, wrong, sizeof wrong, r, sizeof r, &rl);
    vcard_power(c->card, VCARD_POWER_RESET);
}

static void trace_cmd(fake_card *c, const unsigned char *cmd, size_t len)
{
    char one[16];
    if (len < 4)
        snprintf(one, sizeof one, "??");
    else if (cmd[1] == 0xA4 && cmd[2] == 0x04)
        snprintf(one, sizeof one, "A4:AP");
    else if (cmd[1] == 0xA4 && len >= 7)
        snprintf(one, sizeof one, "A4:%02X%02X", cmd[5], cmd[6]);
    else
        snprintf(one, sizeof one, "%02X", cmd[1]);
    size_t used = strlen(c->trace);
    snprintf(c->trace + used, sizeof c->trace - used, "%s%s", used ? " " : "", one);
}

static int ONSHI_CALL card_transmit(void *ud, const unsigned char *cmd, size_t len,
                                    unsigned char *resp, size_t cap, size_t *rlen)
{
    fake_card *c = ud;
    c->apdus++;
    trace_cmd(c, cmd, len);
    if (c->remove_at > 0 && c->apdus >= (unsigned long)c->remove_at)
        return ONSHI_E_CARD_REMOVED;
    if (c->remove_on_sign && len > 2 && cmd[1] == 0x2A)
        return ONSHI_E_CARD_REMOVED;
    if (len > 5 && cmd[0] == 0x00 && cmd[1] == 0x20)
        c->verifies++;
    return vcard_transmit_cb(c->card, cmd, len, resp, cap, rlen);
}

static int ONSHI_CALL card_reset(void *ud)
{
    fake_card *c = ud;
    c->resets++;
    return vcard_reset_cb(c->card);
}

void fake_card_attach(onshi_ctx *ctx, fake_card *c)
{
    onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_DRIVER, ONSHI_CARD_DRIVER_CALLBACK);
    tcb_set_card_transmit(ctx, card_transmit, c);
    tcb_set_card_reset(ctx, card_reset, c);
}

/* ================================ the server ================================ */

#define INST "1311234569"

typedef struct chal {
    char id[32], nonce[64];
    int64_t issued, expires;
    int used;
} chal;

struct fake_server {
    fake_server_cfg cfg;
    char dir[64];
    int lfd, port;
    volatile int stop;
    pthread_t th;
    pthread_mutex_t mu;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt srv, ca;
    pki_key *key;
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    unsigned char card_der[8192];
    size_t card_len;
    mbedtls_pk_context card_pk;
    chal chals[64];
    int nchal;
    fake_server_stats st;
};

static int64_t now_s(fake_server *s)
{
    return (int64_t)time(NULL) + s->cfg.clock_skew_s;
}

static void jst(char out[15], int64_t t)
{
    time_t x = (time_t)(t + 9 * 3600);
    struct tm tm;
    gmtime_r(&x, &tm);
    strftime(out, 15, "%Y%m%d%H%M%S", &tm);
}

static int64_t from_jst(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (strlen(s) != 14 || sscanf(s, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) - 9 * 3600;
}

static int fd_send(void *p, const unsigned char *b, size_t n)
{
    ssize_t k = send(*(int *)p, b, n, MSG_NOSIGNAL);
    if (k < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? MBEDTLS_ERR_SSL_WANT_WRITE : -1;
    return (int)k;
}

static int fd_recv(void *p, unsigned char *b, size_t n)
{
    ssize_t k = recv(*(int *)p, b, n, 0);
    if (k < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                   ? MBEDTLS_ERR_SSL_WANT_READ : -1;
    return (int)k;
}

static char *file_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)len + 1);
    if (p && fread(p, 1, (size_t)len, f) != (size_t)len) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p) {
        p[len] = '\0';
        *n = (size_t)len;
    }
    return p;
}

static char *seg9(const char *code, const char *msg, size_t *n)
{
    char *p = malloc(1024);
    snprintf(p, 1024,
             "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<XmlMsg><MessageHeader>"
             "<ProcessExecutionTime>20250115093004</ProcessExecutionTime>"
             "<MedicalInstitutionCode>" INST "</MedicalInstitutionCode>"
             "<ReferenceClassification>1</ReferenceClassification>"
             "<SegmentOfResult>9</SegmentOfResult><ErrorCode>%s</ErrorCode>"
             "<ErrorMessage>%s</ErrorMessage><CharacterCodeIdentifier>0</CharacterCodeIdentifier>"
             "</MessageHeader><MessageBody/></XmlMsg>\n",
             code, msg);
    *n = strlen(p);
    return p;
}

static int el(xmlNode *parent, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0) {
            xmlChar *t = xmlNodeGetContent(c);
            snprintf(out, cap, "%s", t ? (const char *)t : "");
            xmlFree(t);
            return 1;
        }
    return 0;
}

static xmlNode *child(xmlNode *parent, const char *name)
{
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

static const char *check_auth(fake_server *s, xmlNode *root, const char **msg)
{
    xmlNode *hdr = child(root, "MessageHeader"), *a = child(child(root, "MessageBody"),
                                                             "OnshiCardAuthentication");
    char id[80], nonce[80], stime[20], method[8], alg[40], inst[20], sigtxt[1024];
    static char cert[16384];
    if (!a) {
        *msg = "no OnshiCardAuthentication";
        return "CA001";
    }
    el(hdr, "MedicalInstitutionCode", inst, sizeof inst);
    el(a, "ChallengeId", id, sizeof id);
    el(a, "Nonce", nonce, sizeof nonce);
    el(a, "SigningTime", stime, sizeof stime);
    el(a, "IdentityVerificationMethod", method, sizeof method);
    el(a, "AuthCertificate", cert, sizeof cert);
    int has_sig = el(a, "Signature", sigtxt, sizeof sigtxt);
    el(a, "SignatureAlgorithm", alg, sizeof alg);
    chal *c = NULL;
    for (int i = 0; i < s->nchal; i++)
        if (strcmp(s->chals[i].id, id) == 0)
            c = &s->chals[i];
    if (!c || c->used) {
        *msg = "unknown or used challenge";
        return "CA001";
    }
    c->used = 1;
    int64_t now = now_s(s), t = from_jst(stime);
    if (now > c->expires || t < 0 || t < now - 300 || t > now + 300 || t < c->issued ||
        t > c->expires) {
        *msg = "challenge expired or SigningTime out of range";
        return "CA002";
    }
    if (strcmp(nonce, c->nonce) != 0) {
        *msg = "Nonce differs";
        return "CA003";
    }
    if (strcmp(inst, INST) != 0) {
        *msg = "MedicalInstitutionCode differs";
        return "CA004";
    }
    unsigned char der[8192], sig[1024];
    size_t dl = 0, sl = 0;
    const char *code = NULL;
    if (mbedtls_base64_decode(der, sizeof der, &dl, (unsigned char *)cert, strlen(cert)) != 0 ||
        dl != s->card_len || memcmp(der, s->card_der, dl) != 0) {
        *msg = "AuthCertificate is not the test card's";
        code = "CA005";
    } else if (strcmp(method, "1") == 0 || has_sig) {
        /* The server's own to-be-signed bytes (docs/protocol.md 7.2). */
        unsigned char ch[32], h[32];
        char hex[65], tbs[600];
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
        mbedtls_sha256(der, dl, ch, 0);
#else
        mbedtls_sha256_ret(der, dl, ch, 0);
#endif
        for (int i = 0; i < 32; i++)
            sprintf(hex + 2 * i, "%02x", ch[i]);
        int tl = snprintf(tbs, sizeof tbs, "libonshi-cardauth-v%d\n%s\n%s\n%s\n%s\n%s\n%s",
                          s->cfg.tbs_version ? s->cfg.tbs_version : 1, id, nonce, inst, stime,
                          method, hex);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
        mbedtls_sha256((unsigned char *)tbs, (size_t)tl, h, 0);
#else
        mbedtls_sha256_ret((unsigned char *)tbs, (size_t)tl, h, 0);
#endif
        if (!has_sig || strcmp(alg, "RSA-PKCS1-v1_5-SHA256") != 0 ||
            mbedtls_base64_decode(sig, sizeof sig, &sl, (unsigned char *)sigtxt,
                                  strlen(sigtxt)) != 0 ||
            /* the certificate is the fixture's (checked above), so its key verifies */
            mbedtls_pk_verify(&s->card_pk, MBEDTLS_MD_SHA256, h, 32, sig, sl) != 0) {
            *msg = "Signature does not verify";
            code = "CA008";
        }
    }
    if (!code && (strlen(method) != 1 || !strchr(s->cfg.methods ? s->cfg.methods : "123",
                                                  method[0]))) {
        *msg = "IdentityVerificationMethod not allowed";
        code = "CA009";
    }
    return code;
}

/* Answer one request: returns the body (malloc) and its content type. */
static char *handle(fake_server *s, const char *path, const char *key, const char *body,
                    size_t blen, size_t *n, const char **ctype)
{
    *ctype = "application/xml; charset=UTF-8";
    pthread_mutex_lock(&s->mu);
    char *out = NULL;
    if (strcmp(path, "/oqs/v1/cardauth/challenge") == 0) {
        s->st.challenges++;
        chal *c = &s->chals[s->nchal++ % 64];
        memset(c, 0, sizeof *c);
        unsigned char r[32];
        mbedtls_ctr_drbg_random(&s->drbg, r, sizeof r);
        snprintf(c->id, sizeof c->id, "c-%d", s->st.challenges);
        size_t ol = 0;
        mbedtls_base64_encode((unsigned char *)c->nonce, sizeof c->nonce, &ol, r, sizeof r);
        c->issued = now_s(s);
        c->expires = c->issued + 300;
        char a[15], b[15];
        jst(a, c->issued);
        jst(b, c->expires);
        out = malloc(512);
        snprintf(out, 512,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OnshiCardAuthChallenge version=\"1\">"
                 "<ChallengeId>%s</ChallengeId><Nonce>%s</Nonce><IssuedAt>%s</IssuedAt>"
                 "<ExpiresAt>%s</ExpiresAt></OnshiCardAuthChallenge>\n",
                 c->id, c->nonce, a, b);
        *n = strlen(out);
    } else if (strcmp(path, "/oqs/v1/cardauth") == 0 || strcmp(path, "/oqs/v1/disaster") == 0) {
        bool auth = strcmp(path, "/oqs/v1/cardauth") == 0;
        if (auth)
            s->st.cardauths++;
        else
            s->st.disasters++;
        snprintf(s->st.last_body, sizeof s->st.last_body, "%.*s", (int)blen, body);
        snprintf(s->st.last_key, sizeof s->st.last_key, "%s", key);
        xmlDoc *doc = xmlReadMemory(body, (int)blen, "req.xml", NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
        const char *msg = "", *code = NULL;
        if (auth) {
            code = check_auth(s, root, &msg);
        } else if (!s->cfg.disaster_open) {
            code = "DS001";
            msg = "disaster mode is not open";
        } else if (s->cfg.disaster_matches == 0) {
            code = "DS003";
            msg = "nobody found";
        } else if (s->cfg.disaster_matches > 1) {
            code = "DS002";
            msg = "several candidates";
        }
        snprintf(s->st.last_code, sizeof s->st.last_code, "%s", code ? code : "");
        if (code) {
            out = seg9(code, msg, n);
        } else if (auth) {
            out = file_bytes("test/data/codec/OQSsiquc01res_face_1311234569abcdefghij0123456789_"
                             "20250115093004.xml", n);
        } else {
            char kind[4], cat[4];
            xmlNode *q = child(child(root, "MessageBody"), "OnshiDisasterSearch");
            el(q, "InformationKind", kind, sizeof kind);
            el(q, "FileCategory", cat, sizeof cat);
            if (strcmp(cat, "1") == 0) {
                out = file_bytes("test/data/codec/YZKsiquc01res_202501150007.pdf", n);
                *ctype = "application/pdf";
            } else {
                out = file_bytes(strcmp(kind, "2") == 0
                                     ? "test/data/codec/TKKsiquc01res_202501150006.xml"
                                     : "test/data/codec/YZKsiquc01res_202501150005.xml", n);
            }
        }
        xmlFreeDoc(doc);
    }
    pthread_mutex_unlock(&s->mu);
    return out;
}

static int ssl_write_all(mbedtls_ssl_context *ssl, const char *p, size_t n)
{
    while (n > 0) {
        int k = mbedtls_ssl_write(ssl, (const unsigned char *)p, n);
        if (k == MBEDTLS_ERR_SSL_WANT_WRITE || k == MBEDTLS_ERR_SSL_WANT_READ)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static void serve_conn(fake_server *s, int fd)
{
    mbedtls_ssl_context ssl;
    mbedtls_ssl_init(&ssl);
    if (mbedtls_ssl_setup(&ssl, &s->conf) != 0)
        goto out;
    mbedtls_ssl_set_bio(&ssl, &fd, fd_send, fd_recv, NULL);
    int rc;
    while ((rc = mbedtls_ssl_handshake(&ssl)) != 0) {
        if ((rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) || s->stop)
            goto out;
    }
    static char buf[65536];
    size_t have = 0;
    for (;;) {
        char *end = NULL;
        while ((end = memmem(buf, have, "\r\n\r\n", 4)) == NULL) {
            int k = mbedtls_ssl_read(&ssl, (unsigned char *)buf + have, sizeof buf - 1 - have);
            if (k == MBEDTLS_ERR_SSL_WANT_READ) {
                if (s->stop)
                    goto out;
                continue;
            }
            if (k <= 0)
                goto out;
            have += (size_t)k;
        }
        buf[have] = '\0';
        size_t hlen = (size_t)(end - buf) + 4, clen = 0;
        char method[8] = "", path[256] = "", key[160] = "";
        sscanf(buf, "%7s %255s", method, path);
        const char *cl = strcasestr(buf, "\r\nContent-Length:");
        if (cl && cl < end)
            clen = strtoul(cl + 17, NULL, 10);
        const char *ik = strcasestr(buf, "\r\nIdempotency-Key:");
        if (ik && ik < end)
            sscanf(ik + 18, " %159[^\r]", key);
        while (have < hlen + clen) {
            int k = mbedtls_ssl_read(&ssl, (unsigned char *)buf + have, sizeof buf - 1 - have);
            if (k == MBEDTLS_ERR_SSL_WANT_READ) {
                if (s->stop)
                    goto out;
                continue;
            }
            if (k <= 0)
                goto out;
            have += (size_t)k;
        }
        size_t n = 0;
        const char *ctype = NULL;
        char *resp = handle(s, path, key, buf + hlen, clen, &n, &ctype);
        char head[256];
        if (resp)
            snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n", ctype,
                     n);
        else
            snprintf(head, sizeof head, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        int w = ssl_write_all(&ssl, head, strlen(head));
        if (w == 0 && resp)
            w = ssl_write_all(&ssl, resp, n);
        free(resp);
        if (w != 0)
            goto out;
        memmove(buf, buf + hlen + clen, have - hlen - clen);
        have -= hlen + clen;
    }
out:
    mbedtls_ssl_free(&ssl);
    close(fd);
}

static void *server_main(void *arg)
{
    fake_server *s = arg;
    while (!s->stop) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        if (s->stop) {
            close(fd);
            break;
        }
        struct timeval tv = {0, 100000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        serve_conn(s, fd);
    }
    return NULL;
}

static void die(const char *what)
{
    fprintf(stderr, "fake_server: %s failed\n", what);
    abort();
}

fake_server *fake_server_start(const fake_server_cfg *cfg, const vcard_material *card)
{
    fake_server *s = calloc(1, sizeof *s);
    if (!s)
        die("calloc");
    pthread_mutex_init(&s->mu, NULL);
    fake_server_set_cfg(s, cfg);
    snprintf(s->dir, sizeof s->dir, "/tmp/onshi-fake-srv-XXXXXX");
    if (!mkdtemp(s->dir) || pki_make_standard(s->dir) != 0)
        die("test PKI");
    char p[128];
    mbedtls_x509_crt_init(&s->srv);
    mbedtls_x509_crt_init(&s->ca);
    mbedtls_pk_init(&s->card_pk);
    if (card->cert_len > sizeof s->card_der)
        die("card certificate size");
    memcpy(s->card_der, card->cert, card->cert_len);
    s->card_len = card->cert_len;
    mbedtls_ssl_config_init(&s->conf);
    mbedtls_entropy_init(&s->ent);
    mbedtls_ctr_drbg_init(&s->drbg);
    if (mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->ent, NULL, 0) != 0)
        die("drbg");
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    if (mbedtls_pk_parse_key(&s->card_pk, card->key, card->key_len, NULL, 0,
                             mbedtls_ctr_drbg_random, &s->drbg) != 0)
#else
    if (mbedtls_pk_parse_key(&s->card_pk, card->key, card->key_len, NULL, 0) != 0)
#endif
        die("card key");
    snprintf(p, sizeof p, "%s/server.crt", s->dir);
    if (mbedtls_x509_crt_parse_file(&s->srv, p) != 0)
        die("server.crt");
    snprintf(p, sizeof p, "%s/tls-ca.crt", s->dir);
    if (mbedtls_x509_crt_parse_file(&s->ca, p) != 0)
        die("tls-ca.crt");
    snprintf(p, sizeof p, "%s/server.key", s->dir);
    if (pki_key_read(&s->key, p) != 0)
        die("server.key");
    if (mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT) != 0)
        die("ssl config");
    mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
    mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&s->conf, &s->ca, NULL);
    if (mbedtls_ssl_conf_own_cert(&s->conf, &s->srv, pki_key_pk(s->key)) != 0)
        die("own cert");
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(s->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->lfd, 8) != 0 ||
        getsockname(s->lfd, (struct sockaddr *)&a, &al) != 0)
        die("listen");
    s->port = ntohs(a.sin_port);
    pthread_create(&s->th, NULL, server_main, s);
    return s;
}

void fake_server_set_cfg(fake_server *s, const fake_server_cfg *cfg)
{
    pthread_mutex_lock(&s->mu);
    if (cfg)
        s->cfg = *cfg;
    else
        memset(&s->cfg, 0, sizeof s->cfg);
    pthread_mutex_unlock(&s->mu);
}

void fake_server_stop(fake_server *s)
{
    if (!s)
        return;
    s->stop = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)s->port);
    connect(fd, (struct sockaddr *)&a, sizeof a); /* wakes accept() */
    pthread_join(s->th, NULL);
    close(fd);
    close(s->lfd);
    mbedtls_ssl_config_free(&s->conf);
    mbedtls_x509_crt_free(&s->srv);
    mbedtls_x509_crt_free(&s->ca);
    pki_key_free(s->key);
    mbedtls_pk_free(&s->card_pk);
    mbedtls_ctr_drbg_free(&s->drbg);
    mbedtls_entropy_free(&s->ent);
    pthread_mutex_destroy(&s->mu);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fake_server: could not remove %s\n", s->dir);
    free(s);
}

void fake_server_setup_ctx(fake_server *s, onshi_ctx *ctx)
{
    char p[160];
    onshi_ctx_set_int(ctx, ONSHI_OPT_TRANSPORT, ONSHI_TRANSPORT_HTTPS);
    snprintf(p, sizeof p, "https://localhost:%d", s->port);
    onshi_ctx_set_str(ctx, ONSHI_OPT_SERVER_URL, p);
    snprintf(p, sizeof p, "%s/tls-ca.crt", s->dir);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CA_FILE, p);
    snprintf(p, sizeof p, "%s/client.crt", s->dir);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_CERT, p);
    snprintf(p, sizeof p, "%s/client.key", s->dir);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_KEY, p);
    onshi_ctx_set_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE, INST);
}

void fake_server_stats_get(fake_server *s, fake_server_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->st;
    pthread_mutex_unlock(&s->mu);
}

int fake_server_last_el(fake_server *s, const char *name, char *out, size_t cap)
{
    pthread_mutex_lock(&s->mu);
    xmlDoc *doc = xmlReadMemory(s->st.last_body, (int)strlen(s->st.last_body), "b.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    pthread_mutex_unlock(&s->mu);
    int found = 0;
    out[0] = '\0';
    xmlNode *stack[64];
    int sp = 0;
    if (doc && xmlDocGetRootElement(doc))
        stack[sp++] = xmlDocGetRootElement(doc);
    while (sp > 0 && !found) {
        xmlNode *n = stack[--sp];
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0) {
            xmlChar *t = xmlNodeGetContent(n);
            snprintf(out, cap, "%s", t ? (const char *)t : "");
            xmlFree(t);
            found = 1;
        }
        for (xmlNode *c = n->children; c && sp < 64; c = c->next)
            if (c->type == XML_ELEMENT_NODE)
                stack[sp++] = c;
    }
    xmlFreeDoc(doc);
    return found;
}

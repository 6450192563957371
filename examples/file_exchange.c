/*
 * Example (CC0-1.0): exchange one request file with the terminal's linkage app.
 *
 *   file_exchange REQ_DIR RES_DIR STATE_DB REQUEST.xml
 *
 * First picks up results of requests sent earlier (a previous run may have timed out or been
 * killed), then sends REQUEST.xml as a qualification inquiry and waits for its result. A
 * request is never sent twice: on ONSHI_E_PENDING keep the id and pick it up later.
 */
#include <onshi.h>
#include <onshi_transport.h>

#include <stdio.h>
#include <stdlib.h>

static void handle(onshi_ctx *ctx, onshi_file_result *res)
{
    /* Hand the bytes to the codec (or store them) BEFORE consuming: a crash in between
     * only means the same result is delivered again at the next start. */
    printf("%s: %lu bytes\n", onshi_file_result_name(res),
           (unsigned long)onshi_file_result_len(res));
    if (onshi_file_consume(ctx, onshi_file_result_id(res)) != ONSHI_OK)
        fprintf(stderr, "consume: %s\n", onshi_ctx_last_error_message(ctx));
}

static void pick_up_earlier(onshi_ctx *ctx)
{
    char id[ONSHI_FILE_ID_SIZE] = "";
    while (onshi_file_pending_next(id, sizeof id, ctx, id) == ONSHI_OK) {
        onshi_file_result *res = NULL;
        int rc = onshi_file_wait(&res, ctx, id, 0); /* look once */
        if (rc == ONSHI_OK) {
            handle(ctx, res);
            onshi_file_result_free(res);
        } else if (rc != ONSHI_E_PENDING) {
            printf("%s: %s\n", id, onshi_ctx_last_error_message(ctx));
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s REQ_DIR RES_DIR STATE_DB REQUEST.xml\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[4], "rb");
    if (f == NULL) {
        perror(argv[4]);
        return 1;
    }
    static unsigned char body[1 << 20];
    size_t len = fread(body, 1, sizeof body, f);
    fclose(f);

    onshi_ctx *ctx;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 1;
    onshi_ctx_set_str(ctx, ONSHI_OPT_REQ_DIR, argv[1]);
    onshi_ctx_set_str(ctx, ONSHI_OPT_RES_DIR, argv[2]);
    onshi_ctx_set_str(ctx, ONSHI_OPT_STATE_DB, argv[3]);

    pick_up_earlier(ctx);

    char id[ONSHI_FILE_ID_SIZE];
    onshi_file_result *res = NULL;
    /* publish the request (it is recorded as pending first), then wait for its result with
     * the configured timeout (-1); the id picks it up later if it does not come in time */
    int rc = onshi_file_send(id, sizeof id, ctx, ONSHI_MSG_QUAL_REQ, body, len);
    if (rc == ONSHI_OK)
        rc = onshi_file_wait(&res, ctx, id, -1);
    if (rc == ONSHI_OK) {
        handle(ctx, res);
        onshi_file_result_free(res);
    } else if (rc == ONSHI_E_PENDING || rc == ONSHI_E_LINKAGE_NOT_RUNNING) {
        printf("request %s is pending; run again later to pick it up\n%s\n", id,
               onshi_ctx_last_error_message(ctx));
    } else {
        fprintf(stderr, "%s\n", onshi_ctx_last_error_message(ctx));
    }
    onshi_ctx_free(ctx);
    return rc == ONSHI_OK ? 0 : 1;
}

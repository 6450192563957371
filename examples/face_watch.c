/*
 * Example (CC0-1.0): receive the face-recognition card reader's results.
 *
 *   face_watch FACE_DIR STATE_DB
 *
 * Prints each new result file of FACE_DIR until Ctrl-C. The folder is shared with other
 * products: nothing there is locked, moved or deleted. Restarting the program neither
 * repeats nor misses a file (the cursor lives in STATE_DB).
 */
#include <onshi.h>

#include <signal.h>
#include <stdio.h>

static volatile sig_atomic_t g_stop;

static void on_sigint(int sig)
{
    (void)sig;
    /* onshi_ctx_cancel is not async-signal-safe: a GUI or service would call it from the
     * thread that handles "stop"; here the loop below looks at a flag every second. */
    g_stop = 1;
}

static int ONSHI_CALL on_face(void *userdata, const onshi_file_result *res)
{
    (void)userdata;
    printf("%s (%lu bytes)\n", onshi_file_result_name(res),
           (unsigned long)onshi_file_result_len(res));
    fflush(stdout);
    return 0; /* go on */
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s FACE_DIR STATE_DB\n", argv[0]);
        return 2;
    }
    onshi_ctx *ctx;
    onshi_face_watch *w;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 1;
    onshi_ctx_set_str(ctx, ONSHI_OPT_FACE_DIR, argv[1]);
    onshi_ctx_set_str(ctx, ONSHI_OPT_STATE_DB, argv[2]);
    if (onshi_face_watch_new(&w, ctx, 0) != ONSHI_OK) {
        fprintf(stderr, "%s\n", onshi_ctx_last_error_message(ctx));
        onshi_ctx_free(ctx);
        return 1;
    }
    signal(SIGINT, on_sigint);
    int rc = ONSHI_OK;
    while (!g_stop && rc == ONSHI_OK)
        rc = onshi_face_watch_run(w, on_face, NULL, 1000);
    if (rc != ONSHI_OK)
        fprintf(stderr, "%s\n", onshi_ctx_last_error_message(ctx));
    onshi_face_watch_free(w);
    onshi_ctx_free(ctx);
    return rc == ONSHI_OK ? 0 : 1;
}

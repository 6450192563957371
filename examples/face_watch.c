/*
 * Example (CC0-1.0): receive the face-recognition card reader's results.
 *
 *   face_watch FACE_DIR STATE_DB
 *
 * Prints the patient of each new result of FACE_DIR until Ctrl-C. The folder is shared with other
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

/* Each result arrives decoded: the patient (ONSHI_G_RESULT) and the validity of the card. */
static int ONSHI_CALL on_face(void *userdata, int status, const onshi_msg *msg,
                              const char *filename)
{
    onshi_ctx *ctx = userdata;
    onshi_group *person = NULL;
    const char *name = NULL, *validity = NULL;
    if (status != ONSHI_OK) {
        printf("%s: cannot be read: %s\n", filename, onshi_ctx_last_error_message(ctx));
        return 0;
    }
    /* the accessors take non-const groups; the message stays borrowed */
    onshi_msg *m = (onshi_msg *)msg;
    onshi_group_get_label(&validity, ctx, onshi_msg_body(m), ONSHI_F_QUALIFICATION_VALIDITY);
    if (onshi_group_at(&person, onshi_msg_body(m), ONSHI_G_RESULT, 0) == ONSHI_OK)
        onshi_group_get_str(&name, person, ONSHI_F_NAME);
    printf("%s: %s (%s)%s\n", filename, name ? name : "?", validity ? validity : "?",
           onshi_result_check(ctx, msg) == ONSHI_OK ? "" : " - see the system's message");
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
        rc = onshi_face_watch_run(w, on_face, ctx, 1000);
    if (rc != ONSHI_OK)
        fprintf(stderr, "%s\n", onshi_ctx_last_error_message(ctx));
    onshi_face_watch_free(w);
    onshi_ctx_free(ctx);
    return rc == ONSHI_OK ? 0 : 1;
}

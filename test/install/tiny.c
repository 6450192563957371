/* Built against the installed tree by test/scripts/check-install.sh. */
#include <onshi.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    onshi_ctx *ctx = NULL;
    int major = -1;
    if (onshi_global_init() != ONSHI_OK || onshi_ctx_new(&ctx) != ONSHI_OK)
        return 1;
    if (strcmp(onshi_version(&major, NULL, NULL), ONSHI_VERSION_STRING) != 0 ||
        major != ONSHI_VERSION_MAJOR)
        return 2;
    if (onshi_ctx_set_int(ctx, 999999, 1) != ONSHI_E_UNKNOWN_OPTION)
        return 3;
    printf("installed libonshi %s: %s\n", onshi_version(NULL, NULL, NULL),
           onshi_ctx_last_error_message(ctx));
    onshi_ctx_free(ctx);
    onshi_global_cleanup();
    return 0;
}

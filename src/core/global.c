/*
 * Reference-counted global init/cleanup. Layers initialise their foreign libraries lazily
 * and register a cleanup with onshi__global_atexit, so core depends on no upper layer.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core.h"

#include <pthread.h>

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static int global_refs;      /* explicit onshi_global_init references */
static void (*atexit_fns[ONSHI__MAX_ATEXIT])(void);
static int atexit_count;

ONSHI_API int ONSHI_CALL onshi_global_init(void)
{
    pthread_mutex_lock(&global_lock);
    global_refs++;
    pthread_mutex_unlock(&global_lock);
    return ONSHI_OK;
}

int onshi__global_ensure(void)
{
    /* Nothing global must exist before a context: foreign libraries are initialised lazily
     * by the layers that use them (pthread_once), which is what makes this call cheap. */
    return ONSHI_OK;
}

int onshi__global_atexit(void (*fn)(void))
{
    int rc = ONSHI_OK;
    pthread_mutex_lock(&global_lock);
    for (int i = 0; i < atexit_count; i++)
        if (atexit_fns[i] == fn)
            goto out;
    if (atexit_count == ONSHI__MAX_ATEXIT)
        rc = ONSHI_E_LIMIT;
    else
        atexit_fns[atexit_count++] = fn;
out:
    pthread_mutex_unlock(&global_lock);
    return rc;
}

ONSHI_API void ONSHI_CALL onshi_global_cleanup(void)
{
    void (*fns[ONSHI__MAX_ATEXIT])(void);
    int n = 0;

    pthread_mutex_lock(&global_lock);
    if (global_refs > 0)
        global_refs--;
    if (global_refs == 0) {
        /* Run in reverse order of registration, outside the lock. */
        n = atexit_count;
        for (int i = 0; i < n; i++)
            fns[i] = atexit_fns[n - 1 - i];
        atexit_count = 0;
    }
    pthread_mutex_unlock(&global_lock);
    for (int i = 0; i < n; i++)
        fns[i]();
}

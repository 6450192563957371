/*
 * Library version as loaded.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core.h"

ONSHI_API const char *ONSHI_CALL onshi_version(int *major, int *minor, int *patch)
{
    if (major)
        *major = ONSHI_VERSION_MAJOR;
    if (minor)
        *minor = ONSHI_VERSION_MINOR;
    if (patch)
        *patch = ONSHI_VERSION_PATCH;
    return ONSHI_VERSION_STRING;
}

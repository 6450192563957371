/*
 * A counting CHECK for the small C clients of the onshi-sim tests (lib_https.c, lib_files.c).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_SIM_TEST_CHECK_H
#define ONSHI_SIM_TEST_CHECK_H

#include <stdio.h>

static int failures;
#define CHECK(cond, ...)                                                                      \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                             \
            fprintf(stderr, __VA_ARGS__);                                                     \
            fputc('\n', stderr);                                                              \
            failures++;                                                                       \
        }                                                                                     \
    } while (0)

#endif

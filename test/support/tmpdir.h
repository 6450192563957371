/* Test support: a private scratch folder per test under /tmp, and its removal. */
#ifndef ONSHI_TEST_TMPDIR_H
#define ONSHI_TEST_TMPDIR_H

#include <stddef.h>

/* Create /tmp/onshi-<tag>-XXXXXX (mode 0700) into dir; 0, or -1 when it cannot be made. */
int tmpdir_make(char *dir, size_t size, const char *tag);

/* Remove the folder and everything below it (links are removed, not followed); 0 or -1. */
int tmpdir_remove(const char *dir);

#endif

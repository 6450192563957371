/*
 * The seed registry (test/data/registry.sql) embedded in the binary, so `onshi-sim init-db`
 * works from any directory. module.mk makes this object depend on the SQL file.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stddef.h>

__asm__(".section .rodata\n"
        ".global sim_seed_sql\n"
        ".type sim_seed_sql, @object\n"
        ".balign 16\n"
        "sim_seed_sql:\n"
        ".incbin \"test/data/registry.sql\"\n"
        ".byte 0\n"
        "sim_seed_sql_end:\n"
        ".global sim_seed_sql_len\n"
        ".type sim_seed_sql_len, @object\n"
        ".balign 8\n"
        "sim_seed_sql_len:\n"
        ".quad sim_seed_sql_end - sim_seed_sql - 1\n"
        ".previous\n");

/*
 * core/ — the system's socket headers (struct addrinfo, AF_*, SOCK_*), for the few files that
 * resolve names through the OS layer (os.h). Winsock 2 on Windows.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_CORE_OS_NET_H
#define ONSHI_CORE_OS_NET_H

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#include "core/os.h"

#endif

/* <arpa/inet.h> for the Windows build of test programs (inet_pton, AF_INET*): Winsock 2.
 * SPDX-License-Identifier: Apache-2.0 */
#include <winsock2.h>
#include <ws2tcpip.h>

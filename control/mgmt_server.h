/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management socket: a UNIX stream socket served from the control
 * thread's epoll loop. One command per connection:
 *
 *   client -> "[--json ]COMMAND WORDS...\n"
 *   server -> "ok\n" + answer        or        "error\n" + reason
 *   then the server closes.
 *
 * Owner-only by default (mode 0600), and every client's credentials are
 * checked (SO_PEERCRED): root or the daemon's own user. Everything is
 * non-blocking and bounded, so a client that floods, stalls or vanishes
 * never holds up the others.
 */
#ifndef IPSECGW_MGMT_SERVER_H
#define IPSECGW_MGMT_SERVER_H

#include <stdint.h>

#include "evloop.h"
#include "mgmt.h"

#define GW_MGMT_DEFAULT_SOCKET "/run/ipsecgw/ipsecgw.sock"
#define GW_MGMT_MAX_REQUEST (64 * 1024)
#define GW_MGMT_IDLE_TIMEOUT_MS 5000

struct gw_mgmt_server;

/* Bind and listen; registers its fds with epfd (data.ptr = a gw_ev_source). NULL with errbuf on failure
 * (e.g. another daemon already serves that path). */
struct gw_mgmt_server *gw_mgmt_server_open(int epfd, const char *path, uint32_t mode,
					   uint32_t max_clients, const struct gw_mgmt_backend *be,
					   char *errbuf, size_t errlen);
/* Drop clients idle for longer than the timeout; call about once a second. */
void gw_mgmt_server_tick(struct gw_mgmt_server *s);
/* Close every client, the listener, and remove the socket file. */
void gw_mgmt_server_close(struct gw_mgmt_server *s);

#endif

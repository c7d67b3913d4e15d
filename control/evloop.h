/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread's epoll loop hands each event to the source that
 * registered the fd: data.ptr of every epoll registration points at one of
 * these, so the loop needs no knowledge of who owns what.
 */
#ifndef IPSECGW_EVLOOP_H
#define IPSECGW_EVLOOP_H

#include <stdint.h>

struct gw_ev_source {
	void (*handle)(struct gw_ev_source *src, uint32_t events);
};

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 Identification values for the packets we build (ESP/AH outer
 * headers, ICMP errors, IKE datagrams).
 *
 * RFC 791 / RFC 6864 4.1: an ID must not repeat for a (source, destination,
 * protocol) while a datagram with it may still be in fragments, or the
 * receiver joins fragments of two datagrams (the AH/ESP ICV then fails).
 * Every worker builds outer headers with the same two gateway addresses,
 * and ESP-in-UDP shares protocol 17 with IKE: independent counters per
 * thread meet sooner or later (seen with two workers: an ICV failure at
 * the peer). So each generator owns one lane of the 16-bit space: it hands
 * out lane, lane + lanes, lane + 2 lanes, ... from a random start. `lanes`
 * is a power of two, so the lanes stay disjoint across the wrap at 65536.
 */
#ifndef IPSECGW_IP_ID_H
#define IPSECGW_IP_ID_H

#include <stdint.h>

struct gw_ip_id {
	uint16_t next, step;
};

/* Generator `lane` of `lanes` (lanes rounded up to a power of two, at most
 * 32768; lane < lanes), starting from a random point `seed` of its lane. */
static inline void gw_ip_id_init(struct gw_ip_id *g, unsigned lane, unsigned lanes, uint16_t seed)
{
	unsigned step = 1;

	while (step < lanes && step < 32768u)
		step <<= 1;
	g->step = (uint16_t)step;
	g->next = (uint16_t)((seed & ~(step - 1u)) | (lane & (step - 1u)));
}

static inline uint16_t gw_ip_id_next(struct gw_ip_id *g)
{
	uint16_t id = g->next;

	g->next = (uint16_t)(g->next + g->step);
	return id;
}

/* The lanes of a dataplane with n_workers workers: worker w's ESP/AH outer
 * headers (2w), worker w's own packets (2w + 1), control's (2 n_workers + 1). */
static inline unsigned gw_ip_id_lanes(unsigned n_workers)
{
	return 2 * (n_workers + 1);
}

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's runtime, as the control thread holds it: mbuf pools,
 * the neighbour table, the rings between workers and control (punted
 * frames, next hops to resolve, SA events; frames control wants sent), and
 * each worker's packet-path state (L3 context, crypto manager).
 *
 * Control never transmits on a port itself: its frames go through a
 * worker's ring and leave on that worker's own TX queue, so no TX queue is
 * shared and a device with a single TX queue (net_af_packet's default)
 * works too.
 */
#ifndef IPSECGW_DP_H
#define IPSECGW_DP_H

#include <stdint.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "fields.h"
#include "model.h"
#include "ports.h"
#include "tables.h"
#include "views.h"

struct gw_worker;
struct gw_path;
struct gw_l3_ctx;
struct gw_neigh_table;
struct gw_events;
struct gw_frag;
struct gw_event;

#define GW_DP_PENDING 32

struct gw_dp {
	struct rte_mempool *mp, *indirect, *jumbo;
	const struct gw_port *ports;
	unsigned n_ports, n_workers;
	struct gw_neigh_table *neigh;
	struct rte_ring *neigh_ring; /* workers -> control: next hops to resolve */
	struct rte_ring *punt;       /* workers -> control: ARP frames, IKE datagrams */
	struct gw_events *events;    /* workers -> control: EXPIRE, ACQUIRE */
	struct gw_path *paths;       /* one per worker */
	struct gw_l3_ctx **l3;       /* one per worker, then control's */
	struct gw_frag **frag;       /* likewise */
	struct rte_ring **ctl_tx;    /* control -> worker i: frames to send */
	uint64_t punted_ike, acquires, expires, ctl_tx_lost;
	/* Control's datagrams whose next hop is not resolved yet: held for
	 * up to a second instead of lost (the first IKE packet to a peer). */
	struct rte_mbuf *pending[GW_DP_PENDING];
	uint64_t pending_until[GW_DP_PENDING];
	unsigned n_pending;
	uint64_t pending_lost;
	/* Where IKE datagrams and SA events go (control's IKE glue); NULL:
	 * counted and logged only. The datagram is IPv4 without L2; the
	 * callee does not keep m. */
	void (*on_ike)(void *arg, const struct rte_mbuf *m);
	void (*on_event)(void *arg, const struct gw_event *ev);
	void *cb_arg;
};

/* Everything but the FIB, which comes with each table generation. */
int gw_dp_init(struct gw_dp *dp, struct rte_mempool *mp, const struct gw_port *ports, unsigned n_ports,
	       unsigned n_workers, struct gw_worker_counters *counters, char *err, size_t errlen);
void gw_dp_fini(struct gw_dp *dp);
/* Give worker w (id set) its packet path and control TX ring. */
void gw_dp_worker_attach(struct gw_dp *dp, struct gw_worker *w);

/* Interfaces and routes of c on the opened ports; NULL with err set. */
struct gw_fib *gw_dp_fib_build(struct gw_dp *dp, const struct gw_config *c, struct gw_err *err);
/* Interfaces changed: neighbours may sit behind other ports now. */
void gw_dp_neigh_flush(struct gw_dp *dp);

/* Control loop, every turn: ARP, next hops to resolve, SA events. */
void gw_dp_poll(struct gw_dp *dp, const struct gw_tables *live);
/* Send one UDP datagram from us (IKE): IPv4 + UDP around payload, routed
 * and resolved like any packet we originate, but not matched against the
 * SPD (the seed's out-accept-isakmp). 0, or -1 (no mbuf, too long). */
int gw_dp_send_udp(struct gw_dp *dp, const struct gw_tables *live, uint32_t src, uint16_t sport,
		   uint32_t dst, uint16_t dport, const uint8_t *payload, size_t len);
/* Queue what control has for the workers (call after sending). */
void gw_dp_flush(struct gw_dp *dp);

/* Once a second: neighbour ageing, SA time lifetimes. */
void gw_dp_tick(struct gw_dp *dp, const struct gw_tables *live);
/* Per-reason drops of the L3 and ESP/AH stages, summed over the threads,
 * appended after `have` entries already in out; returns the new count. */
unsigned gw_dp_drops(const struct gw_dp *dp, struct gw_drop_view *out, unsigned have, unsigned max);
void gw_dp_reset_drops(struct gw_dp *dp);

#endif

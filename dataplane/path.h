/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet path of one worker, after DESIGN.md "Packet path":
 *
 *   frames ─▶ classify ─▶ ARP ─────────────────────────────▶ punt to control
 *                      └▶ IPv4 checks ─▶ to us? ─ ESP/AH ──▶ ipsec_in ─▶ (again)
 *                                       │        ├ IKE ────▶ punt (in-accept-isakmp)
 *                                       │        └ other ──▶ incoming policy check ─▶ local
 *                                       └ transit ─────────▶ incoming policy check ─▶ forward
 *   forward / local output ─▶ SPD ─ accept ─▶ L3 output
 *                                 ├ drop ───▶ counted
 *                                 └ encrypt ▶ ESP, AH ─▶ SPD again as locally originated
 *
 * Each stage works on a burst and every drop is counted under a reason.
 */
#ifndef IPSECGW_PATH_H
#define IPSECGW_PATH_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "crypto.h"
#include "esp.h"
#include "events.h"
#include "l3.h"
#include "tables.h"

/* Decapsulations of one packet (nested tunnels, AH+ESP bundles) and
 * encapsulations likewise: deeper than this is a loop or an attack. */
#define GW_PATH_MAX_DEPTH 4

struct gw_path {
	unsigned worker; /* counter slot (control uses its own slot) */
	struct gw_l3_ctx *l3;
	struct gw_crypto_ctx *crypto;
	struct gw_worker_counters *ctr;
	struct gw_events *events;
	struct rte_ring *punt;          /* to control: ARP frames, IKE datagrams */
	struct rte_mempool *jumbo;      /* for reassembled packets that must be linear */
	/* Set per burst. */
	const struct gw_tables *t;
	int64_t now_sec;
	/* The outer route of the last packet checked for its MTU
	 * (fits_after_encap), valid for the burst: one tunnel, one lookup. */
	uint32_t outer_dst;
	uint64_t outer_at; /* l3->now it was looked up at; 0 = none */
	struct gw_nh outer_nh;
	/* Drops by ESP/AH reason (esp.h), this thread only. */
	uint64_t ipsec_drop[GW_IPSEC_DROP_COUNT];
};

/* Per burst: tables and clocks for what follows. */
void gw_path_begin(struct gw_path *p, const struct gw_tables *t);
/* Frames received on a port (Ethernet at data start, m->port set). */
void gw_path_rx(struct gw_path *p, struct rte_mbuf **mb, uint16_t n);
/* IPv4 packets we originate (no L2): through the SPD like any output. */
void gw_path_local_out(struct gw_path *p, struct rte_mbuf **mb, uint16_t n);
/* The ICMP-error hook of L3 (gw_l3_local_out_fn): errors we send go through
 * the SPD too, so an error for a host behind a tunnel is encrypted. */
void gw_path_l3_local_out(struct gw_l3_ctx *ctx, struct rte_mbuf *m, const struct gw_nh *nh,
			  void *arg);

#endif

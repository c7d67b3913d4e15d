/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IKE engine (ike/) on the control thread: the transport (punted
 * datagrams in, UDP out through the dataplane), its timers, the dataplane's
 * ACQUIRE and EXPIRE events, and what it decides: SAs installed into and
 * deleted from the tables, dynamic policies (generate-policy).
 *
 * Negotiated SAs are kept in a list here and given to every table build;
 * once installed, an SA object belongs to the tables, which free it after
 * the RCU grace period that follows its removal from this list.
 */
#ifndef IPSECGW_IKECTL_H
#define IPSECGW_IKECTL_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "views.h"

struct gw_ctl;
struct gw_event;
struct gw_sa;
struct ike_engine;

/* An outbound SA we negotiated as quick mode initiator of a rekey, kept
 * larval (not used) until the peer shows it has the pair: see hold_out()
 * in ikectl.c. */
struct gw_ikectl_hold {
	uint32_t out_spi, in_spi; /* the held outbound SA and its pair */
	uint32_t local, remote;
	uint8_t proto;
	uint64_t deadline_ms;
};

#define GW_IKECTL_MAX_HOLDS 256
/* How long an outbound rekeyed SA waits at most for the peer's first packet. */
#define GW_IKECTL_HOLD_MS 1000

struct gw_ikectl {
	struct ike_engine *e;
	struct gw_sa **sas; /* negotiated SAs in the tables */
	uint32_t n_sas, cap_sas;
	struct gw_ikectl_hold holds[GW_IKECTL_MAX_HOLDS];
	unsigned n_holds;
	uint64_t holds_released_by_traffic, holds_released_by_timer;
	uint64_t stats_base[32]; /* the engine's counters at the last reset */
	uint64_t out_isakmp; /* datagrams sent: the seed's out-accept-isakmp */
	uint64_t send_failed;
};

int gw_ikectl_init(struct gw_ikectl *ik);
void gw_ikectl_fini(struct gw_ikectl *ik);

/* Hooks for the dataplane runtime (dp.h on_ike / on_event; arg = ctl). */
void gw_ikectl_on_datagram(void *ctl, const struct rte_mbuf *m);
void gw_ikectl_on_event(void *ctl, const struct gw_event *ev);
/* Every control-loop turn: timers due. */
void gw_ikectl_poll(struct gw_ctl *ctl);
/* The config changed (after every commit). */
void gw_ikectl_config(struct gw_ctl *ctl);
/* installed-sa flush: forget every negotiated SA and phase 1. */
void gw_ikectl_flush(struct gw_ctl *ctl);
/* `counters print detail`: the IKE engine's counters (malformed, bad
 * cookies, retransmissions, half-open drops, ...) as "ike-..." rows after
 * the n already in out[]; returns the new count. */
unsigned gw_ikectl_drops(struct gw_ctl *ctl, struct gw_drop_view *out, unsigned n, unsigned max);
void gw_ikectl_reset_counters(struct gw_ctl *ctl);
/* Views for the management socket. */
unsigned gw_ikectl_remote_peers(struct gw_ctl *ctl, struct gw_remote_peer_view *out, unsigned max);
enum gw_ph2_state gw_ikectl_ph2_state(struct gw_ctl *ctl, uint32_t policy_uid);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IKEv1 engine (RFC 2407/2408/2409, RFC 3706 DPD, RFC 3947 NAT-T):
 * main and aggressive mode with pre-shared keys, quick mode with or without
 * PFS, informational exchanges (notify, delete, DPD).
 *
 * Pure protocol logic: no sockets, no DPDK, no clock, no threads. The caller
 *  - feeds received UDP payloads with ike_input() (verbatim: on port 4500
 *    the engine itself strips the 4-byte non-ESP marker of RFC 3948 2.2 and
 *    ignores NAT keepalives; ESP-in-UDP never reaches it);
 *  - reports dataplane events with ike_acquire() and ike_expire();
 *  - calls ike_tick() at least every IKE_TICK_MS (or at ike_next_timeout());
 *  - after each call drains the actions with ike_action_next(): datagrams to
 *    send (verbatim UDP payloads, marker included on port 4500), SA pairs
 *    to install, SAs to delete, policies to add (generate-policy), and
 *    log lines.
 * Time is the caller's monotonic milliseconds; wall-clock time is only
 * used for the `established` field of the remote-peers view (`wall_now`).
 *
 * Two engines can therefore talk to each other inside one unit test by
 * passing SEND actions of one to ike_input() of the other.
 *
 * Not thread-safe: one engine belongs to one thread (the control thread).
 * Addresses and ports are host byte order everywhere in this API.
 */
#ifndef IPSECGW_IKEV1_H
#define IPSECGW_IKEV1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "model.h"
#include "views.h"

#define IKE_PORT 500
#define IKE_NATT_PORT 4500
#define IKE_TICK_MS 200
/* ACQUIREs for a policy are ignored this long after a pair for it was
 * installed (ike_acquire). */
#define IKE_ACQUIRE_HOLDOFF_MS 2000

/* The identity of an SA as dataplane/sa.h's struct gw_sa_id has it
 * (same fields, same meaning; sa.h needs DPDK headers, this does not). */
struct ike_sa_id {
	uint32_t spi;
	uint32_t src, dst;
	uint8_t proto; /* IPPROTO_ESP (50) or IPPROTO_AH (51) */
	uint8_t dir;   /* enum gw_sa_dir */
};

/* struct gw_sa_params plus the RFC 3948 UDP encapsulation that NAT-T
 * negotiated (both ports 0 = plain ESP). */
struct ike_sa_params {
	enum gw_enc_alg enc_alg;
	enum gw_auth_alg auth_alg;
	struct gw_key enc_key, auth_key;
	bool tunnel;
	unsigned flags; /* GW_SA_FLAG_ESP / _AH, GW_SA_FLAG_PFS */
	gw_seconds add_soft, add_hard;
	gw_seconds use_soft, use_hard;
	uint64_t lifebytes_soft, lifebytes_hard;
	uint32_t replay_window; /* 0: the caller's dataplane default */
	uint16_t encap_sport, encap_dport; /* UDP ports of ESP-in-UDP, or 0 */
};

enum ike_action_type {
	IKE_ACT_SEND = 0,
	IKE_ACT_INSTALL_SA,
	IKE_ACT_DELETE_SA,
	IKE_ACT_ADD_POLICY,
	IKE_ACT_LOG,
	/* The inbound SA alone (install.in_id / in / policy_uid), ahead of its
	 * pair: a quick mode responder installs it when it sends message 2,
	 * so the initiator's first packets on the new SA (sent right after
	 * message 3) find it. The INSTALL_SA of the pair follows after message 3
	 * and names the same inbound SA again (the caller keeps the one it
	 * has); if message 3 never comes, a DELETE_SA of it follows. */
	IKE_ACT_INSTALL_IN,
};

enum ike_log_level { IKE_LOG_ERR = 3, IKE_LOG_WARNING = 4, IKE_LOG_NOTICE = 5, IKE_LOG_INFO = 6, IKE_LOG_DEBUG = 7 };

struct ike_action {
	enum ike_action_type type;
	union {
		struct {
			uint32_t src, dst;
			uint16_t sport, dport;
			size_t len;
			uint8_t *data; /* owned by the action: ike_action_free */
		} send;
		struct {
			/* One negotiated SA pair: in (SPI we chose) and out. */
			struct ike_sa_id in_id, out_id;
			struct ike_sa_params in, out;
			uint32_t policy_uid;
			uint32_t replaces_spi_in; /* rekey: the pair it renews, else 0 */
			bool initiator;           /* we started this quick mode */
		} install;
		struct {
			struct ike_sa_id id;
		} del;
		struct {
			/* generate-policy=yes: a dynamic policy (dynamic=true) with an
			 * engine-chosen uid (bit 31 set) that INSTALL_SA names. */
			struct gw_policy policy;
		} add_policy;
		struct {
			enum ike_log_level level;
			char text[240];
		} log;
	};
};

struct ike_engine_conf {
	/* Limits on phase 1 SAs still negotiating (DoS bound). */
	unsigned max_half_open;          /* per engine; default 64 */
	unsigned max_half_open_per_peer; /* per remote address; default 4 */
	unsigned max_actions;            /* queue bound; default 1024 */
	/* Retransmission: first after this, doubling, this many times. */
	uint32_t retransmit_ms;          /* default 2000 */
	unsigned retransmit_tries;       /* default 5 */
	/* Log level kept in the queue (default IKE_LOG_INFO). */
	enum ike_log_level log_level;
	/* NAT keepalives (RFC 3948 4) when a NAT is in front of us; default
	 * 20000 (the RFC's suggested 20 s). */
	uint32_t natt_keepalive_ms;
	/* Test hook: soft lifetime jitter off (soft = exactly 80 % of hard). */
	bool no_jitter;
};

struct ike_stats {
	uint64_t rx, tx, malformed, bad_cookie, unknown_msgid, out_of_order, retransmits_rx,
		retransmits_tx, half_open_drops, auth_failures, no_proposal, decrypt_failures,
		p1_established, p2_established, actions_dropped, keepalives, keepalives_tx,
		acquires_ignored;
};

struct ike_engine;

/* A new engine; conf may be NULL for the defaults. NULL on failure
 * (out of memory, OpenSSL providers missing). */
struct ike_engine *ike_engine_new(const struct ike_engine_conf *conf);
/* Free everything, without sending anything. */
void ike_engine_free(struct ike_engine *e);

/*
 * The configuration to negotiate from: peers, proposals, policies. The
 * engine keeps the pointer (no copy) and reads it during later calls, so
 * the caller keeps it alive and unchanged until the next ike_engine_set_config
 * (the control thread swaps its config, then calls this). SAs under
 * negotiation keep private copies of their peer and proposal, so changing
 * the config never disturbs an exchange in flight.
 */
void ike_engine_set_config(struct ike_engine *e, const struct gw_config *cfg);

/* A received UDP datagram's payload. local/remote host order. */
void ike_input(struct ike_engine *e, uint64_t now_ms, uint32_t local_addr, uint16_t local_port,
	       uint32_t remote_addr, uint16_t remote_port, const uint8_t *dgram, size_t len);

/* The dataplane found no SA for this encrypt policy (ACQUIRE). Starts phase
 * 1 with the policy's peer if needed, then quick mode. The selector of the
 * triggering packet is informational (SAs cover the whole policy).
 * Returns 0, or -1 if the policy cannot be negotiated (logged). */
int ike_acquire(struct ike_engine *e, uint64_t now_ms, uint32_t policy_uid, uint32_t pkt_src,
		uint32_t pkt_dst, uint8_t pkt_proto);

/* An SA reached a soft or hard limit (EXPIRE). Soft: negotiate a
 * replacement (the old pair stays until its hard limit). Hard: delete the
 * pair and tell the peer (Delete notification). 0, or -1 if unknown SA. */
int ike_expire(struct ike_engine *e, uint64_t now_ms, const struct ike_sa_id *id, bool hard);

/* Retransmissions, timeouts, phase 1 lifetime, DPD. */
void ike_tick(struct ike_engine *e, uint64_t now_ms);
/* The earliest time ike_tick has something to do, or UINT64_MAX. */
uint64_t ike_next_timeout(const struct ike_engine *e);

/* Take the oldest pending action into *a; false when there is none. The
 * caller calls ike_action_free(a) when done with it. */
bool ike_action_next(struct ike_engine *e, struct ike_action *a);
void ike_action_free(struct ike_action *a);

/* Delete every phase 1 and phase 2 SA with a peer (or all: addr 0), with
 * Delete notifications; used on peer removal and shutdown. */
void ike_flush(struct ike_engine *e, uint64_t now_ms, uint32_t remote_addr);

/* ---- views */

/* remote-peers print: one row per phase 1 SA; returns rows written. `wall`
 * converts the engine's ms to wall-clock: established = wall_now -
 * (now_ms - established_ms)/1000. */
unsigned ike_remote_peers(const struct ike_engine *e, uint64_t now_ms, time_t wall_now,
			  struct gw_remote_peer_view *out, unsigned max);
/* policy print stats: ph2-state of a policy (no-phase2 / established /
 * expired). */
enum gw_ph2_state ike_policy_ph2_state(const struct ike_engine *e, uint32_t policy_uid);
const struct ike_stats *ike_engine_stats(const struct ike_engine *e);

#endif

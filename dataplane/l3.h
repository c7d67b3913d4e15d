/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 layer 3 of the gateway: interfaces, routes (FIB), neighbours (ARP),
 * IPv4 input/forward/output, ICMP, fragmentation and reassembly.
 *
 * Everything here works on DPDK mbufs and on tables that control builds and
 * workers only read:
 *
 *   - the FIB (struct gw_fib) is immutable: control builds a new one from the
 *     config and the opened ports, publishes it with RCU and frees the old one
 *     after the grace period. It carries its own copy of the interfaces, so a
 *     worker that read one FIB pointer sees routes and interfaces that agree.
 *   - the neighbour table (struct gw_neigh_table) lives as long as the daemon.
 *     Control is its only writer; each entry is published with a seqlock, so
 *     workers read it without locks and never see half an update. Workers that
 *     miss put the next hop on a ring (struct gw_neigh_req) to control, which
 *     sends at most one ARP request per next hop per second.
 *
 * Each thread (worker or control) owns one struct gw_l3_ctx: its counters,
 * ICMP rate limiters, fragmentation state and per-port TX bins. Before a
 * burst the caller stores the current FIB and rte_rdtsc() into it.
 *
 * Addresses in this API are host byte order (as in model.h and rte_lpm);
 * packets are converted at their boundaries.
 *
 * docs/l3.md describes the behaviour, the counters and the drop reasons.
 */
#ifndef IPSECGW_L3_H
#define IPSECGW_L3_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_lpm.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "fields.h"
#include "ip_id.h"
#include "model.h"
#include "ports.h"

#define GW_L3_MAX_IFS 32      /* interfaces in one FIB */
#define GW_L3_TX_BIN 64       /* packets held per port before a bin is flushed */
#define GW_L3_MAX_FRAGS 128   /* fragments one packet may be cut into */
#define GW_L3_MIN_MTU 68      /* RFC 791: every host must take 68 octets */
#define GW_L3_MAX_MTU 9216

/* ---- counters */

/* Why L3 dropped a packet. Each drop is counted once, under one reason. */
enum gw_l3_drop {
	GW_L3_DROP_NO_ROUTE = 0,      /* no FIB entry (ICMP net unreachable sent) */
	GW_L3_DROP_NO_ARP,            /* next hop not resolved (control asked) */
	GW_L3_DROP_TTL_EXCEEDED,      /* TTL <= 1 when forwarding (ICMP sent) */
	GW_L3_DROP_MALFORMED,         /* truncated/invalid Ethernet, ARP or IPv4 */
	GW_L3_DROP_FRAG_NEEDED,       /* DF set and larger than the MTU (ICMP sent) */
	GW_L3_DROP_REASSEMBLY_FAILED, /* fragment timed out, overlapped or no room */
	GW_L3_DROP_MARTIAN,           /* RFC 1812 5.3.7: invalid source or destination */
	GW_L3_DROP_OTHER_HOST,        /* L2 destination is not our unicast MAC */
	GW_L3_DROP_LOCAL,             /* to one of our addresses, nobody takes it */
	GW_L3_DROP_NO_MBUF,           /* no headroom, no mbuf, too many fragments */
	GW_L3_DROP_TX_FULL,           /* the port's TX queue did not take it */
	GW_L3_DROP_COUNT
};

/* Things L3 did, for `counters print` and debugging. */
enum gw_l3_event {
	GW_L3_EV_IP_OPTIONS = 0,     /* IPv4 packets with options (allowed) */
	GW_L3_EV_IP_SENT,            /* IPv4 frames queued for TX (fragments count each) */
	GW_L3_EV_ICMP_ECHO_REPLIES,  /* echo replies built */
	GW_L3_EV_ICMP_ERRORS,        /* ICMP errors sent */
	GW_L3_EV_ICMP_RATE_LIMITED,  /* errors not sent: token bucket empty */
	GW_L3_EV_ICMP_SUPPRESSED,    /* errors not sent: RFC 1812 4.3.2.7 */
	GW_L3_EV_ARP_REQUESTS,       /* ARP requests sent */
	GW_L3_EV_ARP_REPLIES,        /* ARP replies sent */
	GW_L3_EV_ARP_LEARNED,        /* neighbour entries created or confirmed */
	GW_L3_EV_ARP_RATE_LIMITED,   /* requests not sent: one per second */
	GW_L3_EV_ARP_IGNORED,        /* valid ARP that did not concern us */
	GW_L3_EV_NEIGH_TABLE_FULL,   /* no slot for a new neighbour */
	GW_L3_EV_NEIGH_PUNT_FULL,    /* ring to control full: next hop not asked */
	GW_L3_EV_FRAGMENTS_OUT,      /* fragments made from larger packets */
	GW_L3_EV_FRAGMENTS_IN,       /* fragments given to reassembly */
	GW_L3_EV_REASSEMBLED,        /* packets rebuilt from fragments */
	GW_L3_EV_COUNT
};

/* "no-route", ...: indexed by the enums above. */
extern const char *const gw_l3_drop_names[GW_L3_DROP_COUNT];
extern const char *const gw_l3_event_names[GW_L3_EV_COUNT];

/* One thread's counters: written by that thread only, readable by control at
 * any time (relaxed 64-bit loads never tear). */
struct gw_l3_stats {
	uint64_t drop[GW_L3_DROP_COUNT];
	uint64_t ev[GW_L3_EV_COUNT];
} __rte_cache_aligned;

static inline void gw_l3_stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* ---- interfaces */

struct gw_l3_if {
	uint16_t port_id;
	uint32_t addr; /* our address, host order */
	uint8_t plen;  /* connected prefix length, 1..32 */
	uint16_t mtu;  /* largest IPv4 packet sent (Ethernet header excluded) */
	struct rte_ether_addr mac;
};

/*
 * The enabled interfaces of the config, in config order, each with the port
 * that gw_ports_open opened for it (matched by name). 0, or -1 with err set:
 * an interface without a port, a bad MTU or prefix, two interfaces with the
 * same address, more than `max` (err->index: the interface's index).
 */
int gw_l3_ifs_build(const struct gw_config *c, const struct gw_port *ports, unsigned n_ports,
		    struct gw_l3_if *ifs, unsigned max, unsigned *n_ifs, struct gw_err *err);

/* ---- routes */

#define GW_NH_LOCAL (1u << 0)     /* the destination is one of our addresses */
#define GW_NH_CONNECTED (1u << 1) /* on a connected prefix: next hop = destination */
#define GW_NH_NONE 0xffffu       /* gw_nh.ifidx of a lookup that found nothing */

/* A route lookup's answer. */
struct gw_nh {
	uint32_t ip;    /* address to resolve with ARP: the gateway, or the destination */
	uint16_t ifidx; /* index into fib->ifs, or GW_NH_NONE */
	uint16_t flags; /* GW_NH_* */
};

/* One distinct next hop of the FIB; rte_lpm stores its index. */
struct gw_fib_nh {
	uint32_t gw; /* 0 for connected and local */
	uint16_t ifidx;
	uint16_t flags;
};

struct gw_fib {
	struct rte_lpm *lpm;       /* prefixes of length 1..32 */
	uint32_t def_nh;           /* 0.0.0.0/0 (rte_lpm has no depth 0), or UINT32_MAX */
	uint32_t n_nh;
	struct gw_fib_nh *nh;
	unsigned n_ifs;
	struct gw_l3_if ifs[GW_L3_MAX_IFS];
	uint32_t bcast[GW_L3_MAX_IFS];    /* directed broadcast of ifs[i], 0 if none */
	/* One bit per hash of every local and broadcast address: most packets
	 * are neither, and a clear bit answers gw_l3_is_local/_bcast without
	 * scanning the interfaces (several times per packet). */
	uint64_t addr_filter;
	/* Bits that exactly one of our addresses has, and that address by
	 * bit: gw_l3_is_local answers a hit on them (our own address, as
	 * every ESP packet to us is) with one compare instead of the scan. */
	uint64_t local_single;
	uint32_t local_of_bit[64];
	int8_t port_if[RTE_MAX_ETHPORTS]; /* port id -> ifidx, -1 if none */
};

/*
 * An immutable FIB from the interfaces (each gives its connected prefix and
 * its own address as a local /32) and the enabled static routes. Connected
 * routes win over static routes to the same prefix (RouterOS: distance 0 vs
 * 1). A static route's gateway must lie in a connected prefix and must not
 * be one of our addresses; two enabled routes to the same prefix are refused.
 * NULL with err set (menu route, the route's index, field "gateway" or
 * "dst-address"; "route 2 (dst-address=... gateway=...): ...") on error.
 * Needs EAL memory: one FIB costs 64 MiB (rte_lpm's tbl24) plus 1 KiB per
 * prefix longer than /24.
 */
struct gw_fib *gw_fib_build(const struct gw_l3_if *ifs, unsigned n_ifs, const struct gw_route *routes,
			    unsigned n_routes, int socket_id, struct gw_err *err);
void gw_fib_free(struct gw_fib *fib);

static inline void gw_fib_nh_fill(const struct gw_fib_nh *e, uint32_t dst, struct gw_nh *nh)
{
	nh->ifidx = e->ifidx;
	nh->flags = e->flags;
	nh->ip = e->gw != 0 ? e->gw : dst;
}

/* Longest-prefix match for dst (host order): 0, or -ENOENT (nh->ifidx = GW_NH_NONE). */
static inline int gw_fib_lookup(const struct gw_fib *fib, uint32_t dst, struct gw_nh *nh)
{
	uint32_t idx;

	if (rte_lpm_lookup(fib->lpm, dst, &idx) != 0) {
		if (fib->def_nh == UINT32_MAX) {
			nh->ifidx = GW_NH_NONE;
			nh->flags = 0;
			nh->ip = 0;
			return -ENOENT;
		}
		idx = fib->def_nh;
	}
	gw_fib_nh_fill(&fib->nh[idx], dst, nh);
	return 0;
}

/* n lookups with rte_lpm_lookup_bulk; misses get nh[i].ifidx = GW_NH_NONE. */
void gw_fib_lookup_bulk(const struct gw_fib *fib, const uint32_t *dst, struct gw_nh *nh, unsigned n);

/* The addr_filter bit number of an address (Fibonacci hashing, top 6 bits). */
static inline unsigned gw_fib_filter_index(uint32_t addr)
{
	return (addr * 2654435761u) >> 26;
}

static inline uint64_t gw_fib_filter_bit(uint32_t addr)
{
	return UINT64_C(1) << gw_fib_filter_index(addr);
}

bool gw_l3_is_local_slow(const struct gw_fib *fib, uint32_t dst);
bool gw_l3_is_bcast_slow(const struct gw_fib *fib, uint32_t dst);

/* Is dst (host order) one of our interface addresses? */
static inline bool gw_l3_is_local(const struct gw_fib *fib, uint32_t dst)
{
	unsigned h = gw_fib_filter_index(dst);
	uint64_t bit = UINT64_C(1) << h;

	if ((fib->addr_filter & bit) == 0)
		return false;
	if (fib->local_single & bit)
		return fib->local_of_bit[h] == dst;
	return gw_l3_is_local_slow(fib, dst);
}

/* Limited broadcast, or the directed broadcast of a connected prefix (<= /30)? */
static inline bool gw_l3_is_bcast(const struct gw_fib *fib, uint32_t dst)
{
	return (fib->addr_filter & gw_fib_filter_bit(dst)) != 0 && gw_l3_is_bcast_slow(fib, dst);
}

/* gw_l3_is_local || gw_l3_is_bcast, with one filter probe. */
static inline bool gw_l3_is_local_or_bcast(const struct gw_fib *fib, uint32_t a)
{
	return (fib->addr_filter & gw_fib_filter_bit(a)) != 0 &&
	       (gw_l3_is_bcast_slow(fib, a) || gw_l3_is_local_slow(fib, a));
}

/* The interface a port belongs to, or -1. */
static inline int gw_l3_if_of_port(const struct gw_fib *fib, uint16_t port)
{
	return port < RTE_MAX_ETHPORTS ? fib->port_if[port] : -1;
}

/* ---- neighbours */

enum gw_neigh_state { GW_NEIGH_FREE = 0, GW_NEIGH_INCOMPLETE, GW_NEIGH_REACHABLE };

/*
 * One slot. `seq` is a seqlock over ip/val/confirmed: control makes it odd,
 * writes, makes it even (release); a reader retries if it saw it odd or
 * changed. `val` packs mac (bytes 0-5), state (6) and ifidx (7). `requested`
 * is a hint outside the seqlock (last ARP request sent, TSC).
 * ip == 0 marks a slot never used: probing stops there.
 */
struct gw_neigh_entry {
	uint32_t seq;
	uint32_t ip;
	uint64_t val;
	uint64_t confirmed; /* TSC of the last ARP heard from it */
	uint64_t requested;
};

struct gw_neigh_table {
	uint32_t mask;     /* slots - 1 */
	uint32_t n_used;   /* slots not FREE (control only) */
	uint64_t reachable_cycles;  /* after this without ARP: refresh while in use */
	uint64_t expire_cycles;     /* after this without ARP: removed */
	uint64_t incomplete_cycles; /* unanswered request: removed */
	uint64_t request_cycles;    /* one request per next hop per this */
	struct gw_neigh_entry e[] __rte_cache_aligned;
};

#define GW_NEIGH_PROBE 16 /* slots looked at from an address's home slot */

/* A next hop a worker could not resolve, sent to control. */
struct gw_neigh_req {
	uint32_t ip;
	uint16_t ifidx;
	uint16_t pad;
};

/* Lookup result bits. */
#define GW_NEIGH_HAVE_MAC (1u << 0) /* mac is valid: send */
#define GW_NEIGH_PUNT (1u << 1)     /* tell control (miss, or refresh due) */

/* slots: a power of two >= 64. Timers: reachable 30 s, expire 60 s,
 * incomplete 3 s, one request per second. NULL on error. */
struct gw_neigh_table *gw_neigh_create(unsigned slots, int socket_id);
void gw_neigh_free(struct gw_neigh_table *t);

static inline uint32_t gw_neigh_hash(const struct gw_neigh_table *t, uint32_t ip)
{
	return (ip * 2654435761u) & t->mask; /* Fibonacci hashing */
}

static inline void gw_neigh_prefetch(const struct gw_neigh_table *t, uint32_t ip)
{
	rte_prefetch0(&t->e[gw_neigh_hash(t, ip)]);
}

/* Worker side: GW_NEIGH_* bits; mac filled with HAVE_MAC. */
unsigned gw_neigh_lookup(const struct gw_neigh_table *t, uint32_t ip, uint16_t ifidx, uint64_t now,
			 struct rte_ether_addr *mac);

/* Control side (single writer). */
/* RFC 826: update an existing entry, or create one if `create`. 0, -ENOSPC. */
int gw_neigh_learn(struct gw_neigh_table *t, uint32_t ip, uint16_t ifidx,
		   const struct rte_ether_addr *mac, uint64_t now, bool create);
/* Rate limit: may a request for ip go out now? Records it (creating an
 * incomplete entry) if so. 0, -EAGAIN (sent less than a second ago), -ENOSPC. */
int gw_neigh_want_request(struct gw_neigh_table *t, uint32_t ip, uint16_t ifidx, uint64_t now);
/* Remove timed-out entries; returns how many. Call about once a second. */
unsigned gw_neigh_age(struct gw_neigh_table *t, uint64_t now);
/* Remove everything (interfaces changed: ifidx values may mean other ports). */
void gw_neigh_flush(struct gw_neigh_table *t);

/* For printing (`ip arp print`). */
struct gw_neigh_view {
	uint32_t ip;
	struct rte_ether_addr mac;
	uint16_t ifidx;
	enum gw_neigh_state state;
	uint64_t age_ms; /* since last confirmed (reachable) or requested (incomplete) */
};
unsigned gw_neigh_dump(const struct gw_neigh_table *t, uint64_t now, struct gw_neigh_view *out,
		       unsigned max);

/* The worker -> control ring: multi-producer, single-consumer. */
struct rte_ring *gw_neigh_ring_create(const char *name, unsigned count, int socket_id);

/* ---- per-thread context */

/* Per-port TX bins: output appends, gw_l3_tx_flush sends. */
struct gw_l3_tx {
	uint16_t queue_id; /* this thread's TX queue on every port */
	uint64_t dirty;    /* bit per port holding packets */
	uint16_t n[RTE_MAX_ETHPORTS];
	struct rte_mbuf *pkts[RTE_MAX_ETHPORTS][GW_L3_TX_BIN];
};

/* Generic cell rate algorithm (a token bucket in one variable): allow if
 * now >= tat - span; then tat = max(tat, now) + interval. */
struct gw_ratelimit {
	uint64_t tat;
	uint64_t interval; /* cycles per token */
	uint64_t span;     /* (burst - 1) * interval */
};

enum gw_icmp_rl { GW_ICMP_RL_TIME_EXCEEDED = 0, GW_ICMP_RL_UNREACH, GW_ICMP_RL_FRAG_NEEDED, GW_ICMP_RL_COUNT };

struct gw_frag;
struct gw_l3_ctx;

/* Where L3 sends packets it originates itself (ICMP errors). NULL: straight
 * to gw_ipv4_output_burst. Point it at the SPD output stage so that an
 * error for a host behind a tunnel is encrypted like any packet we send
 * (RFC 4301 section 6). The callee owns m; nh is its route. */
typedef void (*gw_l3_local_out_fn)(struct gw_l3_ctx *ctx, struct rte_mbuf *m, const struct gw_nh *nh,
				   void *arg);

/* One per thread, cache aligned (rte_zmalloc or a static): ~17 KiB. */
struct gw_l3_ctx {
	/* Set by the caller before each burst. */
	const struct gw_fib *fib; /* read under RCU */
	uint64_t now;             /* rte_rdtsc(); never 0 */
	/* Shared, long-lived. */
	struct gw_neigh_table *neigh;
	struct rte_ring *neigh_ring;
	/* This thread's own. */
	struct gw_frag *frag;
	gw_l3_local_out_fn local_out;
	void *local_out_arg;
	uint64_t hz;
	struct gw_ip_id ip_id; /* IP IDs of packets we originate: this thread's lane */
	uint32_t punt_ip;       /* last next hop punted, with punt_ifidx, punt_at */
	uint16_t punt_ifidx;
	uint64_t punt_at;
	/* The last next hop resolved, valid while now == mac_at: a burst
	 * mostly goes to one next hop, and its verdict cannot change within
	 * one `now` (gw_neigh_lookup's only other input is control's write). */
	uint32_t mac_ip;
	uint16_t mac_ifidx;
	uint64_t mac_at;
	struct rte_ether_addr mac;
	struct gw_ratelimit icmp_rl[GW_ICMP_RL_COUNT];
	struct gw_l3_stats stats;
	struct gw_l3_tx tx;
};

struct gw_l3_ctx_conf {
	uint16_t tx_queue;
	struct gw_neigh_table *neigh;
	struct rte_ring *neigh_ring;
	struct gw_frag *frag;   /* from gw_frag_create: needed to send big packets */
	uint32_t icmp_rate;     /* ICMP errors per second per kind; 0 = 1000 */
	uint32_t icmp_burst;    /* 0 = 50 */
	gw_l3_local_out_fn local_out; /* NULL: direct output */
	void *local_out_arg;
	unsigned ip_id_lane, ip_id_lanes; /* ip_id.h; 0 lanes: the whole space */
};

void gw_l3_ctx_init(struct gw_l3_ctx *ctx, const struct gw_l3_ctx_conf *conf);

static inline void gw_l3_count_drop(struct gw_l3_ctx *ctx, enum gw_l3_drop r, uint64_t n)
{
	gw_l3_stat_add(&ctx->stats.drop[r], n);
}

static inline void gw_l3_count_event(struct gw_l3_ctx *ctx, enum gw_l3_event e, uint64_t n)
{
	gw_l3_stat_add(&ctx->stats.ev[e], n);
}

/* ---- TX bins */

/* Queue m (a complete frame) for port; a full bin is flushed first. */
void gw_l3_tx_enqueue(struct gw_l3_ctx *ctx, uint16_t port, struct rte_mbuf *m);
/* rte_eth_tx_burst every bin on ctx->tx.queue_id; frees and counts
 * (tx-full) what a port did not take. Call once per loop iteration. */
void gw_l3_tx_flush(struct gw_l3_ctx *ctx);

/* ---- Ethernet and IPv4 */

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). Any byte order, if all three agree. */
static inline uint16_t gw_cksum_adjust(uint16_t hc, uint16_t old_word, uint16_t new_word)
{
	uint32_t s = (uint32_t)(uint16_t)~hc + (uint16_t)~old_word + new_word;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* 4 and 8 bytes at p, any alignment (headers are only 2-byte aligned). */
static inline uint32_t gw_load32(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static inline uint64_t gw_load64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* s + w with the carry out of bit 63 added back in (RFC 1071 2(B)):
 * an add and an add-with-carry. */
static inline uint64_t gw_add_carry(uint64_t s, uint64_t w)
{
	s += w;
	return s + (s < w);
}

/*
 * The ones'-complement sum of an IPv4 header (RFC 1071), hlen bytes, a
 * multiple of 4 and at least 20: the first 20 bytes as two 64-bit words and
 * one 32-bit word with end-around carries, since the sum is independent of
 * how the words are grouped; then any options. It replaces rte_raw_cksum's
 * generic byte loop, which cost ~60 instructions per header and is run on
 * every header we receive and write.
 * Each fold adds the value to itself rotated by half its width: the upper
 * half then holds the end-around-carry sum of both halves, one add instead
 * of the mask/shift/add pairs that need two rounds.
 */
static inline uint16_t gw_ipv4_hdr_sum(const void *hdr, unsigned hlen)
{
	const uint8_t *p = hdr;
	uint64_t s;
	uint32_t s32;
	unsigned i;

	s = gw_add_carry(gw_load64(p), gw_load64(p + 8));
	s = gw_add_carry(s, gw_load32(p + 16));
	for (i = 20; i + 4 <= hlen; i += 4)
		s = gw_add_carry(s, gw_load32(p + i));
	s += (s >> 32) | (s << 32);
	s32 = (uint32_t)(s >> 32);
	s32 += (s32 >> 16) | (s32 << 16);
	return (uint16_t)(s32 >> 16);
}

/* The header checksum to store (hdr_checksum must be 0 while summing). */
static inline uint16_t gw_ipv4_cksum(const struct rte_ipv4_hdr *ip)
{
	return (uint16_t)~gw_ipv4_hdr_sum(ip, rte_ipv4_hdr_len(ip));
}

/*
 * RFC 1812 5.3.1: TTL - 1 with an incremental checksum update. ttl must be > 1.
 * RFC 1624 eqn. 3 with m = the TTL/protocol word and m' = m - delta (delta:
 * 1 in the TTL byte; no borrow as TTL > 1): ~m + m' is the constant
 * 0xffff - delta, so HC' = ~(~HC + 0xffff - delta), which never yields -0.
 */
static inline void gw_ipv4_ttl_dec(struct rte_ipv4_hdr *ip)
{
	uint32_t s = (uint32_t)(uint16_t)~ip->hdr_checksum + (0xffffu - RTE_BE16(0x0100));

	ip->time_to_live--;
	s = (s & 0xffff) + (s >> 16); /* s <= 0x1fffe: one fold */
	ip->hdr_checksum = (uint16_t)~s;
}

/*
 * RFC 1812 5.2.2 header checks on m (IPv4 header at data start, no L2):
 * header in the first segment, version 4, IHL >= 5, checksum, IHL*4 <=
 * total length <= packet length, fragment inside 64 KiB. Trims link padding
 * beyond the total length, sets l2_len = 0 and l3_len. 0, or -EINVAL.
 */
int gw_ipv4_sanitize(struct rte_mbuf *m);

/* RFC 1812 5.3.7: 0/8, 127/8, 224/4 and 240/4 (includes 255.255.255.255). */
static inline bool gw_ipv4_martian_src(uint32_t src)
{
	uint8_t a = (uint8_t)(src >> 24);

	return (uint8_t)(a - 1) >= 223 || a == 127; /* a - 1 wraps 0 to 255 */
}

/*
 * Received frames of IPv4 (Ethernet header at data start, m->port set): the
 * L2 destination must be our port's unicast MAC (RFC 1812 5.3.4: no
 * forwarding of link-layer broadcasts), then the Ethernet header is
 * stripped and the IPv4 header checked. Survivors are compacted to the front
 * in order and their number returned; the rest are counted and freed.
 */
uint16_t gw_ipv4_input_burst(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, uint16_t n);

/*
 * Forwarding of checked IPv4 packets: route lookup (no route: ICMP net
 * unreachable), local destination (dropped, local-unhandled), TTL (<= 1:
 * ICMP time exceeded, else decremented). Survivors and their next hops are
 * compacted to the front; returns their number. Next: SPD, then
 * gw_ipv4_output_burst for plain packets.
 */
uint16_t gw_ipv4_forward_burst(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, struct gw_nh *nh, uint16_t n);

/*
 * Send routed IPv4 packets: too big for the interface MTU -> ICMP
 * fragmentation needed if DF (RFC 1191), else fragmented; next hop resolved
 * (miss: no-arp, punted to control); Ethernet header prepended; queued in
 * the TX bins. Takes every mbuf.
 */
void gw_ipv4_output_burst(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, const struct gw_nh *nh, uint16_t n);

/* Route and send packets we originate (encapsulated ESP/AH, echo replies):
 * no TTL change; no ICMP for a missing route (we are the source). */
void gw_l3_send_burst(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, uint16_t n);

/* ---- ARP (control) */

/*
 * A received ARP frame (Ethernet header at data start, m->port set).
 * RFC 826: refresh the sender's entry if known, create it if the target is
 * our address on that port; a request for our address becomes the reply in
 * the same mbuf, returned for TX on m->port. Otherwise m is freed and NULL
 * returned.
 */
struct rte_mbuf *gw_arp_input(struct gw_l3_ctx *ctx, struct rte_mbuf *m);

/* Build a broadcast request for ip on interface ifidx into the empty mbuf m,
 * subject to the one-per-second limit. 0; -EAGAIN (limited), -ENOSPC (no
 * neighbour slot), -EINVAL (ip not on that interface) leave m untouched. */
int gw_arp_request(struct gw_l3_ctx *ctx, uint16_t ifidx, uint32_t ip, struct rte_mbuf *m);

/* Control: take up to `max` next hops from the workers' ring and queue ARP
 * requests (from mp) in ctx's TX bins. Returns the requests queued. */
unsigned gw_neigh_drain(struct gw_l3_ctx *ctx, struct rte_mempool *mp, unsigned max);

/* ---- ICMP */

/* RFC 792 types and codes that a router sends. */
#define GW_ICMP_DEST_UNREACH 3
#define GW_ICMP_CODE_NET_UNREACH 0
#define GW_ICMP_CODE_FRAG_NEEDED 4 /* RFC 1191: carries the next-hop MTU */
#define GW_ICMP_TIME_EXCEEDED 11
#define GW_ICMP_CODE_TTL_EXCEEDED 0

/* RFC 792 / RFC 1122 3.2.2.6: turn an echo request to us (IPv4 at data start,
 * sanitized) into the reply in place: addresses swapped, options dropped,
 * TTL 64, checksums updated. 0, or -EINVAL if it is not a valid echo request. */
int gw_icmp_echo_reply(struct rte_mbuf *m);

/*
 * RFC 1812 4.3: turn the offending packet m (IPv4 at data start) into an
 * ICMP error (type, code; `mtu` for fragmentation needed) addressed to its
 * source, from the address of the interface the error leaves by (4.3.2.4),
 * quoting its header + 8 bytes. Not sent (4.3.2.7) about ICMP errors,
 * non-first fragments, broadcast/multicast, invalid or own sources; rate
 * limited per kind. _build leaves m as the error with its route in *nh (0),
 * or returns -EPERM (suppressed), -EBUSY (rate limited), -ENOENT (no route
 * back), -ENOSPC (headroom), m unchanged but unusable: free it.
 */
int gw_icmp_error_build(struct gw_l3_ctx *ctx, struct rte_mbuf *m, uint8_t type, uint8_t code,
			uint16_t mtu, struct gw_nh *nh);
/* _build then send (ctx->local_out, or output); always takes m. The caller
 * counts the original drop. */
int gw_icmp_error(struct gw_l3_ctx *ctx, struct rte_mbuf *m, uint8_t type, uint8_t code, uint16_t mtu);

/* ---- fragmentation and reassembly */

struct gw_frag_conf {
	struct rte_mempool *direct;   /* fragment headers (data room >= 128 + 60 + 14) */
	struct rte_mempool *indirect; /* data_room 0: references into the original */
	uint32_t max_flows;  /* datagrams being reassembled at once; 0 = no reassembly */
	uint32_t timeout_ms; /* 0 = 3000 */
	int socket_id;
};

struct gw_frag {
	struct rte_mempool *direct, *indirect;
	struct rte_ip_frag_tbl *tbl; /* NULL without reassembly */
	struct rte_ip_frag_death_row dr;
};

struct gw_frag *gw_frag_create(const struct gw_frag_conf *conf);
/* Frees the table and every fragment it holds. */
void gw_frag_free(struct gw_frag *f);

/*
 * Cut m (IPv4 at data start, DF clear, > mtu) into fragments of at most mtu
 * bytes, with header checksums (RFC 791 3.2). n >= 1 and m freed (the
 * fragments reference its data), or -errno with m untouched.
 */
int gw_ipv4_fragment(struct gw_l3_ctx *ctx, struct rte_mbuf *m, uint16_t mtu, struct rte_mbuf **out,
		     unsigned max);

/*
 * Reassembly (RFC 815 via rte_ip_frag) of packets to our addresses (ESP
 * before decap): fragments go to the table, complete datagrams replace them,
 * other packets pass; the burst is compacted and its new length returned.
 * Each fragment dropped (timeout, overlap, table full) counts as
 * reassembly-failed. A rebuilt packet is a chain of segments.
 */
uint16_t gw_ipv4_reassemble_burst(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, uint16_t n);
/* Drop datagrams older than the timeout; call when idle too. */
void gw_frag_expire(struct gw_l3_ctx *ctx);

#endif

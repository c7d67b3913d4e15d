/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 on the packet path: header checks on input (RFC 1812 5.2.2),
 * forwarding (5.3.1 TTL), output (MTU, next hop, Ethernet) and the per-port
 * TX bins; plus the counters' names and the per-thread context.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "l3.h"

#define CHUNK 64 /* packets per bulk route lookup */

_Static_assert(RTE_MAX_ETHPORTS <= 64, "gw_l3_tx.dirty is one 64-bit mask");

const char *const gw_l3_drop_names[GW_L3_DROP_COUNT] = {
	[GW_L3_DROP_NO_ROUTE] = "no-route",
	[GW_L3_DROP_NO_ARP] = "no-arp",
	[GW_L3_DROP_TTL_EXCEEDED] = "ttl-exceeded",
	[GW_L3_DROP_MALFORMED] = "malformed",
	[GW_L3_DROP_FRAG_NEEDED] = "frag-needed",
	[GW_L3_DROP_REASSEMBLY_FAILED] = "reassembly-failed",
	[GW_L3_DROP_MARTIAN] = "martian",
	[GW_L3_DROP_OTHER_HOST] = "other-host",
	[GW_L3_DROP_LOCAL] = "local-unhandled",
	[GW_L3_DROP_NO_MBUF] = "no-mbuf",
	[GW_L3_DROP_TX_FULL] = "tx-full",
};

const char *const gw_l3_event_names[GW_L3_EV_COUNT] = {
	[GW_L3_EV_IP_OPTIONS] = "ip-options",
	[GW_L3_EV_IP_SENT] = "ip-sent",
	[GW_L3_EV_ICMP_ECHO_REPLIES] = "icmp-echo-replies",
	[GW_L3_EV_ICMP_ERRORS] = "icmp-errors-sent",
	[GW_L3_EV_ICMP_RATE_LIMITED] = "icmp-errors-rate-limited",
	[GW_L3_EV_ICMP_SUPPRESSED] = "icmp-errors-suppressed",
	[GW_L3_EV_ARP_REQUESTS] = "arp-requests-sent",
	[GW_L3_EV_ARP_REPLIES] = "arp-replies-sent",
	[GW_L3_EV_ARP_LEARNED] = "arp-learned",
	[GW_L3_EV_ARP_RATE_LIMITED] = "arp-requests-rate-limited",
	[GW_L3_EV_ARP_IGNORED] = "arp-ignored",
	[GW_L3_EV_NEIGH_TABLE_FULL] = "neigh-table-full",
	[GW_L3_EV_NEIGH_PUNT_FULL] = "neigh-punt-ring-full",
	[GW_L3_EV_FRAGMENTS_OUT] = "fragments-sent",
	[GW_L3_EV_FRAGMENTS_IN] = "fragments-received",
	[GW_L3_EV_REASSEMBLED] = "reassembled",
};

/* ---- context */

static void ratelimit_init(struct gw_ratelimit *rl, uint32_t rate, uint32_t burst, uint64_t hz)
{
	rl->interval = RTE_MAX(hz / rate, (uint64_t)1);
	rl->span = (uint64_t)(burst - 1) * rl->interval;
	rl->tat = 0;
}

void gw_l3_ctx_init(struct gw_l3_ctx *ctx, const struct gw_l3_ctx_conf *conf)
{
	uint32_t rate = conf->icmp_rate != 0 ? conf->icmp_rate : 1000;
	uint32_t burst = conf->icmp_burst != 0 ? conf->icmp_burst : 50;
	unsigned k;

	memset(ctx, 0, sizeof(*ctx));
	ctx->neigh = conf->neigh;
	ctx->neigh_ring = conf->neigh_ring;
	ctx->frag = conf->frag;
	ctx->local_out = conf->local_out;
	ctx->local_out_arg = conf->local_out_arg;
	ctx->tx.queue_id = conf->tx_queue;
	ctx->hz = rte_get_tsc_hz();
	gw_ip_id_init(&ctx->ip_id, conf->ip_id_lane, conf->ip_id_lanes ? conf->ip_id_lanes : 1,
		      (uint16_t)rte_rdtsc());
	for (k = 0; k < GW_ICMP_RL_COUNT; k++)
		ratelimit_init(&ctx->icmp_rl[k], rate, burst, ctx->hz);
}

/* ---- TX bins */

static void tx_flush_port(struct gw_l3_ctx *ctx, uint16_t port)
{
	struct gw_l3_tx *tx = &ctx->tx;
	uint16_t n = tx->n[port], sent;

	sent = rte_eth_tx_burst(port, tx->queue_id, tx->pkts[port], n);
	if (unlikely(sent < n)) {
		gw_l3_count_drop(ctx, GW_L3_DROP_TX_FULL, n - sent);
		rte_pktmbuf_free_bulk(&tx->pkts[port][sent], n - sent);
	}
	tx->n[port] = 0;
	tx->dirty &= ~(UINT64_C(1) << port);
}

void gw_l3_tx_flush(struct gw_l3_ctx *ctx)
{
	while (ctx->tx.dirty != 0)
		tx_flush_port(ctx, (uint16_t)__builtin_ctzll(ctx->tx.dirty));
}

/* ---- header checks */

static __rte_always_inline bool ipv4_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
						 unsigned hlen)
{
	uint64_t f = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

	if (f == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return true;
	/* BAD is believed; UNKNOWN and NONE (not vouched for) are summed. */
	return f != RTE_MBUF_F_RX_IP_CKSUM_BAD && gw_ipv4_hdr_sum(ip, hlen) == 0xffff;
}

/* Cut m to len bytes (len <= pkt_len, len within the first segments). */
static void trim_to(struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *seg = m;
	uint32_t left = len;
	uint16_t nb = 1;
	uint32_t excess = rte_pktmbuf_pkt_len(m) - len;

	if (excess <= UINT16_MAX && rte_pktmbuf_trim(m, (uint16_t)excess) == 0)
		return;
	/* The padding spans segments: keep what holds len bytes, free the rest. */
	while (seg->data_len < left && seg->next != NULL) {
		left -= seg->data_len;
		seg = seg->next;
		nb++;
	}
	seg->data_len = (uint16_t)left;
	if (seg->next != NULL)
		rte_pktmbuf_free(seg->next);
	seg->next = NULL;
	m->nb_segs = nb;
	m->pkt_len = len;
}

/* The header length if version and IHL are valid (RFC 1812 5.2.2 (3),
 * (4)) and the header is all in the first segment, else 0. Not IHL 5. */
static uint32_t ipv4_hlen_options(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	uint32_t hlen = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;

	if ((ip->version_ihl >> 4) != 4 || hlen < sizeof(*ip) || hlen > rte_pktmbuf_data_len(m))
		return 0;
	return hlen;
}

/* m->l2_len = l2; m->l3_len = l3 as one read-modify-write of the word
 * that holds both bit-fields, not two (layout: rte_mbuf_core.h). */
static inline void set_l2_l3_len(struct rte_mbuf *m, uint64_t l2, uint64_t l3)
{
	const uint64_t l2_mask = ((UINT64_C(1) << RTE_MBUF_L2_LEN_BITS) - 1) << RTE_MBUF_L2_LEN_OFS;
	const uint64_t l3_mask = ((UINT64_C(1) << RTE_MBUF_L3_LEN_BITS) - 1) << RTE_MBUF_L3_LEN_OFS;

	m->tx_offload = (m->tx_offload & ~(l2_mask | l3_mask)) | l2 << RTE_MBUF_L2_LEN_OFS |
			l3 << RTE_MBUF_L3_LEN_OFS;
}

/* The end of ipv4_sanitize for a packet with link padding (rare). */
static __rte_noinline int trim_and_set_len(struct rte_mbuf *m, uint32_t tot, uint32_t hlen)
{
	trim_to(m, tot); /* Ethernet padding of short frames */
	set_l2_l3_len(m, 0, hlen);
	return 0;
}

/* gw_ipv4_sanitize, inlined into input; path.c calls the exported copy. */
static __rte_always_inline int ipv4_sanitize(struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t hlen, tot, frag_off;

	/* RFC 1812 5.2.2 (1): a whole minimal header, here in the first segment. */
	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*ip)))
		return -EINVAL;
	/* (3), (4), then (2) the checksum. Options are rare: version 4 and
	 * IHL 5 in one compare, and a sum of exactly 20 bytes. */
	if (likely(ip->version_ihl == RTE_IPV4_VHL_DEF)) {
		hlen = sizeof(*ip);
		if (unlikely(!ipv4_cksum_ok(m, ip, sizeof(*ip))))
			return -EINVAL;
	} else {
		hlen = ipv4_hlen_options(m, ip);
		if (hlen == 0 || !ipv4_cksum_ok(m, ip, hlen))
			return -EINVAL;
	}
	/* (5) total length holds the header and fits in what was received */
	tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(tot < hlen || tot > rte_pktmbuf_pkt_len(m)))
		return -EINVAL;
	/* RFC 791: no fragment may reach beyond 65535 octets ("ping of
	 * death"): offset + payload (tot - hlen) + hlen, i.e. offset + tot. */
	frag_off = (uint32_t)(rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) * 8;
	if (unlikely(frag_off + tot > UINT16_MAX))
		return -EINVAL;
	if (unlikely(rte_pktmbuf_pkt_len(m) > tot))
		return trim_and_set_len(m, tot, hlen); /* a tail call: no registers to save */
	set_l2_l3_len(m, 0, hlen);
	return 0;
}

int gw_ipv4_sanitize(struct rte_mbuf *m)
{
	return ipv4_sanitize(m);
}

/* ---- input */

/* The port frames last came in on, with its interface's MAC as 8 bytes
 * (2 zero) to compare the first 8 bytes of a frame with: a burst mostly
 * comes from one port, so this is looked up once. */
struct rx_port {
	uint16_t port;
	int ifidx;
	uint64_t mac;
};

/* The first 6 of 8 bytes in memory order, whatever the byte order. */
static inline uint64_t mac_mask(void)
{
	static const uint8_t ones[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0 };
	uint64_t v;

	memcpy(&v, ones, sizeof(v));
	return v;
}

static void rx_port_set(struct rx_port *rp, const struct gw_fib *fib, uint16_t port)
{
	rp->port = port;
	rp->ifidx = gw_l3_if_of_port(fib, port);
	rp->mac = 0;
	if (rp->ifidx >= 0)
		memcpy(&rp->mac, &fib->ifs[rp->ifidx].mac, RTE_ETHER_ADDR_LEN);
}

/* -1 to keep m, else why it is dropped. */
static inline int input_one(struct gw_l3_ctx *ctx, struct rx_port *rp, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip;
	uint64_t dst_mac;
	uint32_t src;

	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eh)))
		return GW_L3_DROP_MALFORMED;
	if (unlikely(m->port != rp->port))
		rx_port_set(rp, ctx->fib, m->port);
	memcpy(&dst_mac, eh, sizeof(dst_mac)); /* destination + 2 bytes of source */
	if (unlikely(rp->ifidx < 0 || ((dst_mac ^ rp->mac) & mac_mask()) != 0))
		return GW_L3_DROP_OTHER_HOST;
	if (unlikely(eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4)))
		return GW_L3_DROP_MALFORMED;
	/* rte_pktmbuf_adj without its length check: done above */
	m->data_off += sizeof(*eh);
	m->data_len -= sizeof(*eh);
	m->pkt_len -= sizeof(*eh);
	if (unlikely(ipv4_sanitize(m) != 0))
		return GW_L3_DROP_MALFORMED;
	ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	src = rte_be_to_cpu_32(ip->src_addr);
	/* RFC 1812 5.3.7; our own addresses can only come back by a loop or a spoof. */
	if (unlikely(gw_ipv4_martian_src(src) || gw_l3_is_local_or_bcast(ctx->fib, src)))
		return GW_L3_DROP_MARTIAN;
	if (unlikely(m->l3_len > sizeof(*ip)))
		gw_l3_count_event(ctx, GW_L3_EV_IP_OPTIONS, 1);
	return -1;
}

uint16_t gw_ipv4_input_burst(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, uint16_t n)
{
	struct rx_port rp = { .port = RTE_MBUF_PORT_INVALID, .ifidx = -1, .mac = 0 };
	uint16_t i, out = 0;

	for (i = 0; i < n; i++) {
		int why;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(mb[i + 1], void *));
		why = input_one(ctx, &rp, mb[i]);
		if (likely(why < 0)) {
			mb[out++] = mb[i];
			continue;
		}
		gw_l3_count_drop(ctx, (enum gw_l3_drop)why, 1);
		rte_pktmbuf_free(mb[i]);
	}
	return out;
}

/* ---- forward */

/* RFC 1812 5.3.7 and RFC 2644: no forwarding to 0/8, 127/8, multicast,
 * class E or (directed) broadcast. */
static bool dst_forwardable(const struct gw_fib *fib, uint32_t dst)
{
	uint8_t a = (uint8_t)(dst >> 24);

	/* a - 1 wraps 0 to 255: one compare for 0 and >= 224 */
	return (uint8_t)(a - 1) < 223 && a != 127 && !gw_l3_is_bcast(fib, dst);
}

static void drop(struct gw_l3_ctx *ctx, struct rte_mbuf *m, enum gw_l3_drop why)
{
	gw_l3_count_drop(ctx, why, 1);
	rte_pktmbuf_free(m);
}

static void drop_all(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, uint16_t n, enum gw_l3_drop why)
{
	gw_l3_count_drop(ctx, why, n);
	rte_pktmbuf_free_bulk(mb, n);
}

/* Why a packet to dst by route nh is not forwarded, TTL aside, or -1.
 * It depends on dst alone: a burst to one destination asks once. */
static int route_verdict(const struct gw_fib *fib, uint32_t dst, const struct gw_nh *nh)
{
	if (unlikely(!dst_forwardable(fib, dst)))
		return GW_L3_DROP_MARTIAN;
	if (unlikely(nh->ifidx == GW_NH_NONE))
		return GW_L3_DROP_NO_ROUTE; /* ICMP net unreachable */
	if (unlikely(nh->flags & GW_NH_LOCAL))
		return GW_L3_DROP_LOCAL;
	return -1;
}

static void not_forwarded(struct gw_l3_ctx *ctx, struct rte_mbuf *m, enum gw_l3_drop why)
{
	if (why == GW_L3_DROP_NO_ROUTE) {
		gw_l3_count_drop(ctx, why, 1);
		gw_icmp_error(ctx, m, GW_ICMP_DEST_UNREACH, GW_ICMP_CODE_NET_UNREACH, 0);
		return;
	}
	drop(ctx, m, why);
}

/* true if m (route_verdict `why`) goes on to output, its TTL decremented. */
static inline bool forward_one(struct gw_l3_ctx *ctx, struct rte_mbuf *m, int why)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

	if (unlikely(why >= 0)) {
		not_forwarded(ctx, m, (enum gw_l3_drop)why);
		return false;
	}
	/* RFC 1812 5.3.1: a packet that cannot get past the next hop is answered. */
	if (unlikely(ip->time_to_live <= 1)) {
		gw_l3_count_drop(ctx, GW_L3_DROP_TTL_EXCEEDED, 1);
		gw_icmp_error(ctx, m, GW_ICMP_TIME_EXCEEDED, GW_ICMP_CODE_TTL_EXCEEDED, 0);
		return false;
	}
	gw_ipv4_ttl_dec(ip);
	return true;
}

/* The destinations of n >= 1 packets, host order; true if all are one. */
static bool dst_collect(struct rte_mbuf **mb, uint32_t *dst, uint16_t n)
{
	uint32_t differ = 0;
	uint16_t i;

	for (i = 0; i < n; i++) {
		dst[i] = rte_be_to_cpu_32(rte_pktmbuf_mtod(mb[i], const struct rte_ipv4_hdr *)->dst_addr);
		differ |= dst[i] ^ dst[0];
	}
	return differ == 0;
}

uint16_t gw_ipv4_forward_burst(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, struct gw_nh *nh, uint16_t n)
{
	const struct gw_fib *fib = ctx->fib;
	uint32_t dst[CHUNK];
	struct gw_nh one;
	uint16_t base, i, k, out = 0;

	/* out <= base + i: compaction never overwrites an unread slot */
	for (base = 0; base < n; base += k) {
		k = RTE_MIN((uint16_t)(n - base), (uint16_t)CHUNK);
		if (dst_collect(mb + base, dst, k)) {
			/* One destination: one lookup and one verdict for the chunk. */
			int why;

			gw_fib_lookup(fib, dst[0], &one);
			why = route_verdict(fib, dst[0], &one);
			for (i = 0; i < k; i++) {
				if (!forward_one(ctx, mb[base + i], why))
					continue;
				mb[out] = mb[base + i];
				nh[out++] = one;
			}
			continue;
		}
		gw_fib_lookup_bulk(fib, dst, nh + base, k);
		for (i = 0; i < k; i++) {
			if (!forward_one(ctx, mb[base + i], route_verdict(fib, dst[i], &nh[base + i])))
				continue;
			mb[out] = mb[base + i];
			nh[out++] = nh[base + i];
		}
	}
	return out;
}

/* ---- output */

static void punt(struct gw_l3_ctx *ctx, const struct gw_nh *nh)
{
	struct gw_neigh_req req = { .ip = nh->ip, .ifidx = nh->ifidx };

	/* A burst to one unresolved next hop asks once. */
	if (ctx->punt_at == ctx->now && ctx->punt_ip == nh->ip && ctx->punt_ifidx == nh->ifidx)
		return;
	ctx->punt_at = ctx->now;
	ctx->punt_ip = nh->ip;
	ctx->punt_ifidx = nh->ifidx;
	if (ctx->neigh_ring == NULL || rte_ring_mp_enqueue_elem(ctx->neigh_ring, &req, sizeof(req)) != 0)
		gw_l3_count_event(ctx, GW_L3_EV_NEIGH_PUNT_FULL, 1);
}

static bool resolve(struct gw_l3_ctx *ctx, const struct gw_nh *nh, struct rte_ether_addr *mac)
{
	unsigned r;

	if (ctx->mac_at == ctx->now && ctx->mac_ip == nh->ip && ctx->mac_ifidx == nh->ifidx) {
		*mac = ctx->mac;
		return true;
	}
	r = gw_neigh_lookup(ctx->neigh, nh->ip, nh->ifidx, ctx->now, mac);
	if (r & GW_NEIGH_PUNT)
		punt(ctx, nh);
	if (!(r & GW_NEIGH_HAVE_MAC))
		return false;
	ctx->mac_at = ctx->now;
	ctx->mac_ip = nh->ip;
	ctx->mac_ifidx = nh->ifidx;
	ctx->mac = *mac;
	return true;
}

/* The Ethernet header to one next hop (its MAC, ours, IPv4) as bytes 0-7
 * and 6-13: two overlapping 8-byte stores write the 14 bytes. */
struct eth_tmpl {
	uint64_t head;
	uint64_t tail;
};

static void eth_tmpl_make(struct eth_tmpl *t, const struct rte_ether_addr *dst, const struct gw_l3_if *ifp)
{
	uint8_t h[RTE_ETHER_HDR_LEN];
	const uint16_t type = RTE_BE16(RTE_ETHER_TYPE_IPV4);

	memcpy(h, dst, RTE_ETHER_ADDR_LEN);
	memcpy(h + RTE_ETHER_ADDR_LEN, &ifp->mac, RTE_ETHER_ADDR_LEN);
	memcpy(h + 2 * RTE_ETHER_ADDR_LEN, &type, sizeof(type));
	memcpy(&t->head, h, sizeof(t->head));
	memcpy(&t->tail, h + RTE_ETHER_HDR_LEN - sizeof(t->tail), sizeof(t->tail));
}

/* rte_pktmbuf_prepend of the header in t, with l2_len; false without headroom. */
static inline bool eth_prepend(struct rte_mbuf *m, const struct eth_tmpl *t)
{
	uint8_t *p;

	if (unlikely(rte_pktmbuf_headroom(m) < RTE_ETHER_HDR_LEN))
		return false;
	m->data_off -= RTE_ETHER_HDR_LEN;
	m->data_len += RTE_ETHER_HDR_LEN;
	m->pkt_len += RTE_ETHER_HDR_LEN;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(p, &t->head, sizeof(t->head));
	memcpy(p + RTE_ETHER_HDR_LEN - sizeof(t->tail), &t->tail, sizeof(t->tail));
	m->l2_len = RTE_ETHER_HDR_LEN;
	return true;
}

/* gw_l3_tx_enqueue for a valid port, without the dirty bit: a run of
 * packets sets it once, after its last append (a flush clears it). */
static inline void tx_append(struct gw_l3_ctx *ctx, uint16_t port, struct rte_mbuf *m)
{
	struct gw_l3_tx *tx = &ctx->tx;

	if (unlikely(tx->n[port] == GW_L3_TX_BIN))
		tx_flush_port(ctx, port);
	tx->pkts[port][tx->n[port]++] = m;
}

void gw_l3_tx_enqueue(struct gw_l3_ctx *ctx, uint16_t port, struct rte_mbuf *m)
{
	if (unlikely(port >= RTE_MAX_ETHPORTS)) {
		drop(ctx, m, GW_L3_DROP_TX_FULL);
		return;
	}
	tx_append(ctx, port, m);
	ctx->tx.dirty |= UINT64_C(1) << port;
}

static void output_too_big(struct gw_l3_ctx *ctx, struct rte_mbuf *m, const struct gw_nh *nh,
			   const struct gw_l3_if *ifp)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	struct rte_mbuf *frags[GW_L3_MAX_FRAGS];
	struct rte_ether_addr mac;
	struct eth_tmpl t;
	int k, i;

	/* RFC 1191: DF set -> "fragmentation needed" with the next-hop MTU. */
	if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG)) {
		gw_l3_count_drop(ctx, GW_L3_DROP_FRAG_NEEDED, 1);
		gw_icmp_error(ctx, m, GW_ICMP_DEST_UNREACH, GW_ICMP_CODE_FRAG_NEEDED, ifp->mtu);
		return;
	}
	if (!resolve(ctx, nh, &mac)) { /* before cutting: nothing to throw away */
		drop(ctx, m, GW_L3_DROP_NO_ARP);
		return;
	}
	k = gw_ipv4_fragment(ctx, m, ifp->mtu, frags, RTE_DIM(frags));
	if (k < 0) {
		drop(ctx, m, GW_L3_DROP_NO_MBUF);
		return;
	}
	eth_tmpl_make(&t, &mac, ifp);
	for (i = 0; i < k; i++) {
		if (unlikely(!eth_prepend(frags[i], &t))) {
			drop(ctx, frags[i], GW_L3_DROP_NO_MBUF);
			continue;
		}
		gw_l3_count_event(ctx, GW_L3_EV_IP_SENT, 1);
		gw_l3_tx_enqueue(ctx, ifp->port_id, frags[i]);
	}
}

/* A run's next hop: not looked up until a packet needs it (a run of
 * packets too big with DF asks nobody), then resolved once for the run. */
enum hop_state { HOP_UNKNOWN, HOP_RESOLVED, HOP_UNRESOLVED };

static enum hop_state hop_resolve(struct gw_l3_ctx *ctx, const struct gw_nh *nh, const struct gw_l3_if *ifp,
				  struct eth_tmpl *t)
{
	struct rte_ether_addr mac;

	if (!resolve(ctx, nh, &mac))
		return HOP_UNRESOLVED;
	eth_tmpl_make(t, &mac, ifp);
	return HOP_RESOLVED;
}

/* Why output_run cannot frame m the quick way: handled (sent, cut,
 * answered or dropped) here, outside the loop. */
static void output_slow(struct gw_l3_ctx *ctx, struct rte_mbuf *m, const struct gw_nh *nh,
			const struct gw_l3_if *ifp, enum hop_state hop)
{
	if (rte_pktmbuf_pkt_len(m) > ifp->mtu)
		output_too_big(ctx, m, nh, ifp);
	else if (hop == HOP_UNRESOLVED)
		drop(ctx, m, GW_L3_DROP_NO_ARP);
	else
		drop(ctx, m, GW_L3_DROP_NO_MBUF);
}

/*
 * Send n packets to one next hop, in order, each as one at a time would
 * be: too big -> output_too_big; next hop unresolved -> no-arp; no
 * headroom -> no-mbuf; else framed and queued. What is per next hop
 * (interface, neighbour, header, dirty bit, ip-sent) is done once, and the
 * bin's count is kept in a register between the calls that may change it.
 * The port is valid: gw_fib_build refuses one >= RTE_MAX_ETHPORTS.
 */
static void output_run(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, uint16_t n, const struct gw_nh *nh)
{
	const struct gw_l3_if *ifp = &ctx->fib->ifs[nh->ifidx];
	const uint16_t port = ifp->port_id, mtu = ifp->mtu;
	struct rte_mbuf **bin = ctx->tx.pkts[port];
	enum hop_state hop = HOP_UNKNOWN;
	struct eth_tmpl t = { 0, 0 };
	unsigned i, k, framed = 0;

	k = ctx->tx.n[port];
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = mb[i];

		/* resolved by the first packet that is not too big */
		if (unlikely(hop != HOP_RESOLVED) && rte_pktmbuf_pkt_len(m) <= mtu)
			hop = hop == HOP_UNKNOWN ? hop_resolve(ctx, nh, ifp, &t) : hop;
		if (unlikely(rte_pktmbuf_pkt_len(m) > mtu || hop != HOP_RESOLVED || !eth_prepend(m, &t))) {
			ctx->tx.n[port] = (uint16_t)k;
			output_slow(ctx, m, nh, ifp, hop);
			k = ctx->tx.n[port];
			continue;
		}
		if (unlikely(k == GW_L3_TX_BIN)) {
			ctx->tx.n[port] = (uint16_t)k;
			tx_flush_port(ctx, port);
			k = 0;
		}
		bin[k++] = m;
		framed++;
	}
	ctx->tx.n[port] = (uint16_t)k;
	if (framed == 0)
		return;
	gw_l3_count_event(ctx, GW_L3_EV_IP_SENT, framed);
	ctx->tx.dirty |= UINT64_C(1) << port;
}

/* Packets we originate by route nh: the route must exist and not be ours. */
static void send_run(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, uint16_t n, const struct gw_nh *nh)
{
	if (unlikely(nh->ifidx == GW_NH_NONE))
		drop_all(ctx, mb, n, GW_L3_DROP_NO_ROUTE);
	else if (unlikely(nh->flags & GW_NH_LOCAL))
		drop_all(ctx, mb, n, GW_L3_DROP_LOCAL);
	else
		output_run(ctx, mb, n, nh);
}

_Static_assert(sizeof(struct gw_nh) == sizeof(uint64_t), "a next hop compares as one word");

static inline bool same_hop(const struct gw_nh *a, const struct gw_nh *b)
{
	uint64_t x, y;

	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return x == y;
}

/*
 * Split mb[0..n) into runs of one next hop (address, interface and flags),
 * in order, and send each with output_run (or send_run if `originated`).
 * The next run's neighbour slot is prefetched while a run is sent.
 */
static void output_runs(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, const struct gw_nh *nh, uint16_t n,
			bool originated)
{
	uint16_t i, end;

	if (n != 0)
		gw_neigh_prefetch(ctx->neigh, nh[0].ip);
	for (i = 0; i < n; i = end) {
		for (end = i + 1; end < n && same_hop(&nh[end], &nh[i]); end++)
			;
		if (end < n)
			gw_neigh_prefetch(ctx->neigh, nh[end].ip);
		if (originated)
			send_run(ctx, mb + i, end - i, &nh[i]);
		else
			output_run(ctx, mb + i, end - i, &nh[i]);
	}
}

void gw_ipv4_output_burst(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, const struct gw_nh *nh, uint16_t n)
{
	output_runs(ctx, mb, nh, n, false);
}

void gw_l3_send_burst(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, uint16_t n)
{
	uint32_t dst[CHUNK];
	struct gw_nh nh[CHUNK];
	uint16_t base, k;

	for (base = 0; base < n; base += k) {
		k = RTE_MIN((uint16_t)(n - base), (uint16_t)CHUNK);
		if (dst_collect(mb + base, dst, k)) {
			/* One destination (one tunnel's outer packets): one lookup, one run. */
			gw_fib_lookup(ctx->fib, dst[0], &nh[0]);
			gw_neigh_prefetch(ctx->neigh, nh[0].ip);
			send_run(ctx, mb + base, k, &nh[0]);
			continue;
		}
		gw_fib_lookup_bulk(ctx->fib, dst, nh, k);
		output_runs(ctx, mb + base, nh, k, true);
	}
}

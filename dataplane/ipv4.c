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

void gw_l3_tx_enqueue(struct gw_l3_ctx *ctx, uint16_t port, struct rte_mbuf *m)
{
	struct gw_l3_tx *tx = &ctx->tx;

	if (unlikely(port >= RTE_MAX_ETHPORTS)) {
		gw_l3_count_drop(ctx, GW_L3_DROP_TX_FULL, 1);
		rte_pktmbuf_free(m);
		return;
	}
	if (unlikely(tx->n[port] == GW_L3_TX_BIN))
		tx_flush_port(ctx, port);
	tx->pkts[port][tx->n[port]++] = m;
	tx->dirty |= UINT64_C(1) << port;
}

void gw_l3_tx_flush(struct gw_l3_ctx *ctx)
{
	while (ctx->tx.dirty != 0)
		tx_flush_port(ctx, (uint16_t)__builtin_ctzll(ctx->tx.dirty));
}

/* ---- header checks */

static bool ipv4_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, unsigned hlen)
{
	switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
		return true;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD:
		return false;
	default:
		return gw_ipv4_hdr_sum(ip, hlen) == 0xffff;
	}
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

int gw_ipv4_sanitize(struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t hlen, tot, frag_end;

	/* RFC 1812 5.2.2 (1): a whole minimal header, here in the first segment. */
	if (rte_pktmbuf_data_len(m) < sizeof(*ip))
		return -EINVAL;
	/* (3) version 4, (4) IHL >= 5 words and the header all present */
	hlen = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if ((ip->version_ihl >> 4) != 4 || hlen < sizeof(*ip) || hlen > rte_pktmbuf_data_len(m))
		return -EINVAL;
	/* (2) checksum */
	if (!ipv4_cksum_ok(m, ip, hlen))
		return -EINVAL;
	/* (5) total length holds the header and fits in what was received */
	tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < hlen || tot > rte_pktmbuf_pkt_len(m))
		return -EINVAL;
	/* RFC 791: no fragment may reach beyond 65535 octets ("ping of death") */
	frag_end = (uint32_t)(rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) * 8 + tot - hlen;
	if (frag_end + hlen > UINT16_MAX)
		return -EINVAL;
	if (rte_pktmbuf_pkt_len(m) > tot)
		trim_to(m, tot); /* Ethernet padding of short frames */
	m->l2_len = 0;
	m->l3_len = hlen;
	return 0;
}

/* ---- input */

/* -1 to keep m, else why it is dropped. */
static int input_one(struct gw_l3_ctx *ctx, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip;
	int ifidx;
	uint32_t src;

	if (rte_pktmbuf_data_len(m) < sizeof(*eh))
		return GW_L3_DROP_MALFORMED;
	ifidx = gw_l3_if_of_port(ctx->fib, m->port);
	if (ifidx < 0 || !rte_is_same_ether_addr(&eh->dst_addr, &ctx->fib->ifs[ifidx].mac))
		return GW_L3_DROP_OTHER_HOST;
	if (eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return GW_L3_DROP_MALFORMED;
	rte_pktmbuf_adj(m, sizeof(*eh));
	if (gw_ipv4_sanitize(m) != 0)
		return GW_L3_DROP_MALFORMED;
	ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	src = rte_be_to_cpu_32(ip->src_addr);
	/* RFC 1812 5.3.7; our own addresses can only come back by a loop or a spoof. */
	if (gw_ipv4_martian_src(src) || gw_l3_is_bcast(ctx->fib, src) || gw_l3_is_local(ctx->fib, src))
		return GW_L3_DROP_MARTIAN;
	if (m->l3_len > sizeof(*ip))
		gw_l3_count_event(ctx, GW_L3_EV_IP_OPTIONS, 1);
	return -1;
}

uint16_t gw_ipv4_input_burst(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, uint16_t n)
{
	uint16_t i, out = 0;

	for (i = 0; i < n; i++) {
		int why;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(mb[i + 1], void *));
		why = input_one(ctx, mb[i]);
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

	return a != 0 && a != 127 && a < 224 && !gw_l3_is_bcast(fib, dst);
}

static void drop(struct gw_l3_ctx *ctx, struct rte_mbuf *m, enum gw_l3_drop why)
{
	gw_l3_count_drop(ctx, why, 1);
	rte_pktmbuf_free(m);
}

static bool forward_one(struct gw_l3_ctx *ctx, struct rte_mbuf *m, const struct gw_nh *nh)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

	if (unlikely(!dst_forwardable(ctx->fib, rte_be_to_cpu_32(ip->dst_addr)))) {
		drop(ctx, m, GW_L3_DROP_MARTIAN);
		return false;
	}
	if (unlikely(nh->ifidx == GW_NH_NONE)) {
		gw_l3_count_drop(ctx, GW_L3_DROP_NO_ROUTE, 1);
		gw_icmp_error(ctx, m, GW_ICMP_DEST_UNREACH, GW_ICMP_CODE_NET_UNREACH, 0);
		return false;
	}
	if (unlikely(nh->flags & GW_NH_LOCAL)) {
		drop(ctx, m, GW_L3_DROP_LOCAL);
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

static void dst_collect(struct rte_mbuf **mb, uint32_t *dst, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		dst[i] = rte_be_to_cpu_32(rte_pktmbuf_mtod(mb[i], const struct rte_ipv4_hdr *)->dst_addr);
}

uint16_t gw_ipv4_forward_burst(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, struct gw_nh *nh, uint16_t n)
{
	uint32_t dst[CHUNK];
	uint16_t base, i, k, out = 0;

	for (base = 0; base < n; base += k) {
		k = RTE_MIN((uint16_t)(n - base), (uint16_t)CHUNK);
		dst_collect(mb + base, dst, k);
		gw_fib_lookup_bulk(ctx->fib, dst, nh + base, k);
		/* out <= base + i: compaction never overwrites an unread slot */
		for (i = 0; i < k; i++) {
			if (!forward_one(ctx, mb[base + i], &nh[base + i]))
				continue;
			mb[out] = mb[base + i];
			nh[out] = nh[base + i];
			out++;
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

static void send_frame(struct gw_l3_ctx *ctx, struct rte_mbuf *m, const struct gw_l3_if *ifp,
		       const struct rte_ether_addr *mac)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eh));

	if (unlikely(eh == NULL)) {
		drop(ctx, m, GW_L3_DROP_NO_MBUF);
		return;
	}
	eh->dst_addr = *mac;
	eh->src_addr = ifp->mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	m->l2_len = sizeof(*eh);
	gw_l3_count_event(ctx, GW_L3_EV_IP_SENT, 1);
	gw_l3_tx_enqueue(ctx, ifp->port_id, m);
}

static void output_too_big(struct gw_l3_ctx *ctx, struct rte_mbuf *m, const struct gw_nh *nh,
			   const struct gw_l3_if *ifp)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	struct rte_mbuf *frags[GW_L3_MAX_FRAGS];
	struct rte_ether_addr mac;
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
	for (i = 0; i < k; i++)
		send_frame(ctx, frags[i], ifp, &mac);
}

static void output_one(struct gw_l3_ctx *ctx, struct rte_mbuf *m, const struct gw_nh *nh)
{
	const struct gw_l3_if *ifp = &ctx->fib->ifs[nh->ifidx];
	struct rte_ether_addr mac;

	if (unlikely(rte_pktmbuf_pkt_len(m) > ifp->mtu)) {
		output_too_big(ctx, m, nh, ifp);
		return;
	}
	if (unlikely(!resolve(ctx, nh, &mac))) {
		drop(ctx, m, GW_L3_DROP_NO_ARP);
		return;
	}
	send_frame(ctx, m, ifp, &mac);
}

void gw_ipv4_output_burst(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, const struct gw_nh *nh, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		gw_neigh_prefetch(ctx->neigh, nh[i].ip);
	for (i = 0; i < n; i++)
		output_one(ctx, mb[i], &nh[i]);
}

void gw_l3_send_burst(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, uint16_t n)
{
	uint32_t dst[CHUNK];
	struct gw_nh nh[CHUNK];
	uint16_t base, i, k;

	for (base = 0; base < n; base += k) {
		k = RTE_MIN((uint16_t)(n - base), (uint16_t)CHUNK);
		dst_collect(mb + base, dst, k);
		gw_fib_lookup_bulk(ctx->fib, dst, nh, k);
		for (i = 0; i < k; i++)
			if (nh[i].ifidx != GW_NH_NONE)
				gw_neigh_prefetch(ctx->neigh, nh[i].ip);
		for (i = 0; i < k; i++) {
			struct rte_mbuf *m = mb[base + i];

			if (unlikely(nh[i].ifidx == GW_NH_NONE))
				drop(ctx, m, GW_L3_DROP_NO_ROUTE);
			else if (unlikely(nh[i].flags & GW_NH_LOCAL))
				drop(ctx, m, GW_L3_DROP_LOCAL);
			else
				output_one(ctx, m, &nh[i]);
		}
	}
}

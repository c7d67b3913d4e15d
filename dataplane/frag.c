/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Outer fragmentation (RFC 791 3.2) and reassembly of fragments addressed
 * to us, over DPDK's rte_ip_frag. Each worker owns its table and death row,
 * so nothing here is shared; memory is bounded by max_flows datagrams of at
 * most RTE_LIBRTE_IP_FRAG_MAX_FRAG fragments, each held at most timeout_ms.
 */
#ifndef ALLOW_EXPERIMENTAL_API
#define ALLOW_EXPERIMENTAL_API /* rte_ip_frag_table_del_expired_entries */
#endif

#include <errno.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "l3.h"

#define BUCKET_ENTRIES 4 /* associativity of the fragment table's hash */

struct gw_frag *gw_frag_create(const struct gw_frag_conf *conf)
{
	uint32_t timeout_ms = conf->timeout_ms != 0 ? conf->timeout_ms : 3000;
	uint64_t cycles = (rte_get_tsc_hz() + 999) / 1000 * timeout_ms;
	struct gw_frag *f;

	if (conf->direct == NULL || conf->indirect == NULL)
		return NULL;
	f = rte_zmalloc_socket("gw_frag", sizeof(*f), RTE_CACHE_LINE_SIZE, conf->socket_id);
	if (f == NULL)
		return NULL;
	f->direct = conf->direct;
	f->indirect = conf->indirect;
	if (conf->max_flows == 0)
		return f;
	f->tbl = rte_ip_frag_table_create(conf->max_flows, BUCKET_ENTRIES, conf->max_flows, cycles,
					  conf->socket_id);
	if (f->tbl == NULL) {
		rte_free(f);
		return NULL;
	}
	return f;
}

void gw_frag_free(struct gw_frag *f)
{
	if (f == NULL)
		return;
	if (f->tbl != NULL) {
		rte_ip_frag_free_death_row(&f->dr, 0);
		rte_ip_frag_table_destroy(f->tbl);
	}
	rte_free(f);
}

/* ---- fragmentation */

int gw_ipv4_fragment(struct gw_l3_ctx *ctx, struct rte_mbuf *m, uint16_t mtu, struct rte_mbuf **out,
		     unsigned max)
{
	struct gw_frag *f = ctx->frag;
	int32_t n, i;

	if (f == NULL)
		return -ENOTSUP;
	n = rte_ipv4_fragment_packet(m, out, (uint16_t)RTE_MIN(max, (unsigned)UINT16_MAX), mtu, f->direct,
				     f->indirect);
	if (n < 0)
		return n;
	/* rte_ip_frag leaves the checksums to offload; we have none to rely on. */
	for (i = 0; i < n; i++) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(out[i], struct rte_ipv4_hdr *);

		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		out[i]->l2_len = 0;
	}
	rte_pktmbuf_free(m); /* the fragments hold references to its data */
	gw_l3_count_event(ctx, GW_L3_EV_FRAGMENTS_OUT, (uint64_t)n);
	return n;
}

/* ---- reassembly */

/* Every mbuf on the death row is a fragment that will never be delivered. */
static void death_row_free(struct gw_l3_ctx *ctx)
{
	struct gw_frag *f = ctx->frag;

	if (f->dr.cnt == 0)
		return;
	gw_l3_count_drop(ctx, GW_L3_DROP_REASSEMBLY_FAILED, f->dr.cnt);
	rte_ip_frag_free_death_row(&f->dr, 4);
}

void gw_frag_expire(struct gw_l3_ctx *ctx)
{
	struct gw_frag *f = ctx->frag;

	if (f == NULL || f->tbl == NULL)
		return;
	rte_ip_frag_table_del_expired_entries(f->tbl, &f->dr, ctx->now);
	death_row_free(ctx);
}

/* rte_ip_frag rebuilds the header but leaves the checksum 0. */
static void reassembled(struct gw_l3_ctx *ctx, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	gw_l3_count_event(ctx, GW_L3_EV_REASSEMBLED, 1);
}

static inline bool is_fragment(const struct rte_mbuf *m)
{
	return rte_ipv4_frag_pkt_is_fragmented(rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *));
}

uint16_t gw_ipv4_reassemble_burst(struct gw_l3_ctx *ctx, struct rte_mbuf **mb, uint16_t n)
{
	struct gw_frag *f = ctx->frag;
	unsigned i, out, fed = 0;

	if (f == NULL || f->tbl == NULL)
		return n;
	/* Most bursts hold no fragment: find the first before moving any. */
	for (i = 0; i < n && !is_fragment(mb[i]); i++)
		;
	for (out = i; i < n; i++) {
		struct rte_mbuf *m = mb[i];
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

		if (!rte_ipv4_frag_pkt_is_fragmented(ip)) {
			mb[out++] = m;
			continue;
		}
		gw_l3_count_event(ctx, GW_L3_EV_FRAGMENTS_IN, 1);
		m->l2_len = 0;
		m->l3_len = (uint16_t)rte_ipv4_hdr_len(ip);
		m = rte_ipv4_frag_reassemble_packet(f->tbl, &f->dr, m, ctx->now, ip);
		if (m != NULL) {
			reassembled(ctx, m);
			mb[out++] = m;
		}
		/* The death row holds RTE_IP_FRAG_DEATH_ROW_LEN packets' worth. */
		if (++fed == RTE_IP_FRAG_DEATH_ROW_LEN) {
			death_row_free(ctx);
			fed = 0;
		}
	}
	gw_frag_expire(ctx);
	return (uint16_t)out;
}

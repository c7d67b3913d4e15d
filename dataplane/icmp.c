/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP as a router sends it: echo replies (RFC 792, RFC 1122 3.2.2.6) and
 * errors (RFC 1812 4.3), built in the mbuf of the packet that caused them.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_icmp.h>

#include "l3.h"

#define ICMP_TTL 64
#define ICMP_ERROR_TOS 0xc0 /* RFC 1812 4.3.2.5: precedence 6, internetwork control */
#define QUOTE_EXTRA 8       /* RFC 792: the header + 64 bits of the datagram */

/* IP + ICMP headers of an error, prepended to the quoted packet. */
struct icmp_error_hdr {
	struct rte_ipv4_hdr ip;
	struct rte_icmp_hdr icmp;
} __rte_packed;

/* ---- rate limit: generic cell rate algorithm, a token bucket in one word */

static bool ratelimit_allow(struct gw_ratelimit *rl, uint64_t now)
{
	if (rl->tat > now + rl->span)
		return false;
	rl->tat = RTE_MAX(rl->tat, now) + rl->interval;
	return true;
}

static enum gw_icmp_rl ratelimit_kind(uint8_t type, uint8_t code)
{
	if (type == GW_ICMP_TIME_EXCEEDED)
		return GW_ICMP_RL_TIME_EXCEEDED;
	if (type == GW_ICMP_DEST_UNREACH && code == GW_ICMP_CODE_FRAG_NEEDED)
		return GW_ICMP_RL_FRAG_NEEDED; /* own bucket: path MTU discovery needs it */
	return GW_ICMP_RL_UNREACH;
}

/* ---- echo */

static unsigned ipv4_hlen(const struct rte_ipv4_hdr *ip)
{
	return (unsigned)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
}

static bool echo_request_valid(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, unsigned hlen)
{
	const struct rte_icmp_hdr *ic;
	uint16_t sum;

	if (ip->next_proto_id != IPPROTO_ICMP || rte_ipv4_frag_pkt_is_fragmented(ip))
		return false;
	if (rte_pktmbuf_data_len(m) < hlen + sizeof(*ic) || rte_pktmbuf_pkt_len(m) < hlen + sizeof(*ic))
		return false;
	ic = (const struct rte_icmp_hdr *)((const uint8_t *)ip + hlen);
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0)
		return false;
	/* RFC 1122 3.2.2: a bad ICMP checksum is silently discarded. */
	if (rte_raw_cksum_mbuf(m, hlen, rte_pktmbuf_pkt_len(m) - hlen, &sum) != 0)
		return false;
	return sum == 0xffff;
}

/* The reply carries no options: record-route and friends stay with the request. */
static struct rte_ipv4_hdr *strip_options(struct rte_mbuf *m, struct rte_ipv4_hdr *ip, unsigned hlen)
{
	unsigned opt = hlen - sizeof(*ip);

	memmove((uint8_t *)ip + opt, ip, sizeof(*ip));
	rte_pktmbuf_adj(m, (uint16_t)opt);
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ip->total_length) - opt));
	m->l3_len = sizeof(*ip);
	return ip;
}

int gw_icmp_echo_reply(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	struct rte_icmp_hdr *ic;
	uint16_t old_word, new_word;
	uint32_t addr;
	unsigned hlen;

	if (rte_pktmbuf_data_len(m) < sizeof(*ip))
		return -EINVAL;
	hlen = ipv4_hlen(ip);
	if (hlen < sizeof(*ip) || !echo_request_valid(m, ip, hlen))
		return -EINVAL;
	/* ICMP: type 8 -> 0, checksum adjusted (RFC 1624), the rest echoed. */
	ic = (struct rte_icmp_hdr *)((uint8_t *)ip + hlen);
	memcpy(&old_word, ic, sizeof(old_word));
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	memcpy(&new_word, ic, sizeof(new_word));
	ic->icmp_cksum = gw_cksum_adjust(ic->icmp_cksum, old_word, new_word);
	/* IP: back to the sender, from the address it pinged. */
	if (hlen > sizeof(*ip))
		ip = strip_options(m, ip, hlen);
	addr = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = addr;
	ip->time_to_live = ICMP_TTL;
	ip->fragment_offset = 0;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	m->ol_flags = 0;
	return 0;
}

/* ---- errors */

/* RFC 1122 3.2.2: the ICMP types that are errors. */
static bool icmp_type_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static bool about_icmp_error(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, unsigned hlen)
{
	if (ip->next_proto_id != IPPROTO_ICMP)
		return false;
	if (rte_pktmbuf_data_len(m) < hlen + 1)
		return true; /* cannot tell: stay silent */
	return icmp_type_is_error(*((const uint8_t *)ip + hlen));
}

/* RFC 1812 4.3.2.7: when a router must not send an ICMP error. Link-layer
 * broadcasts never get here: input drops them (other-host). */
static bool error_allowed(const struct gw_l3_ctx *ctx, const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t src, dst;
	unsigned hlen;

	if (rte_pktmbuf_data_len(m) < sizeof(*ip))
		return false;
	hlen = ipv4_hlen(ip);
	if (hlen < sizeof(*ip) || hlen > rte_pktmbuf_data_len(m))
		return false;
	/* not about a fragment other than the first */
	if (rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK)
		return false;
	/* not about a datagram to an IP broadcast or multicast address */
	dst = rte_be_to_cpu_32(ip->dst_addr);
	if ((dst >> 28) == 0xe || gw_l3_is_bcast(ctx->fib, dst))
		return false;
	/* not to a source that does not name one host (0/8, 127/8, multicast,
	 * class E, broadcast), nor to ourselves */
	src = rte_be_to_cpu_32(ip->src_addr);
	if (gw_ipv4_martian_src(src) || gw_l3_is_bcast(ctx->fib, src) || gw_l3_is_local(ctx->fib, src))
		return false;
	/* not about an ICMP error */
	return !about_icmp_error(m, ip, hlen);
}

/* Can m become the error in place? Returns the quoted length, or 0. */
static uint32_t quote_len(const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t q = RTE_MIN(ipv4_hlen(ip) + QUOTE_EXTRA, rte_pktmbuf_pkt_len(m));

	if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1 || rte_pktmbuf_data_len(m) < q)
		return 0;
	if (rte_pktmbuf_headroom(m) < sizeof(struct icmp_error_hdr) + RTE_ETHER_HDR_LEN)
		return 0;
	return q;
}

static void keep_quote(struct rte_mbuf *m, uint32_t q)
{
	if (m->next != NULL) {
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
	}
	m->data_len = (uint16_t)q;
	m->pkt_len = q;
}

static void fill_error(struct gw_l3_ctx *ctx, struct icmp_error_hdr *h, uint32_t q, uint8_t type, uint8_t code,
		       uint16_t mtu, uint32_t from, uint32_t to_be)
{
	h->icmp.icmp_type = type;
	h->icmp.icmp_code = code;
	h->icmp.icmp_ident = 0; /* "unused" */
	/* RFC 1191: the low 16 bits of the unused word carry the next-hop MTU */
	h->icmp.icmp_seq_nb = code == GW_ICMP_CODE_FRAG_NEEDED && type == GW_ICMP_DEST_UNREACH ?
				      rte_cpu_to_be_16(mtu) : 0;
	h->icmp.icmp_cksum = 0;
	h->icmp.icmp_cksum = (uint16_t)~rte_raw_cksum(&h->icmp, sizeof(h->icmp) + q);

	h->ip.version_ihl = RTE_IPV4_VHL_DEF;
	h->ip.type_of_service = ICMP_ERROR_TOS;
	h->ip.total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*h) + q));
	h->ip.packet_id = rte_cpu_to_be_16(gw_ip_id_next(&ctx->ip_id));
	h->ip.fragment_offset = 0;
	h->ip.time_to_live = ICMP_TTL;
	h->ip.next_proto_id = IPPROTO_ICMP;
	h->ip.src_addr = rte_cpu_to_be_32(from);
	h->ip.dst_addr = to_be;
	h->ip.hdr_checksum = 0;
	h->ip.hdr_checksum = rte_ipv4_cksum(&h->ip);
}

int gw_icmp_error_build(struct gw_l3_ctx *ctx, struct rte_mbuf *m, uint8_t type, uint8_t code, uint16_t mtu,
			struct gw_nh *nh)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	struct icmp_error_hdr *h;
	uint32_t q, to_be;

	if (!error_allowed(ctx, m)) {
		gw_l3_count_event(ctx, GW_L3_EV_ICMP_SUPPRESSED, 1);
		return -EPERM;
	}
	/* RFC 1812 4.3.2.4: from the address of the interface it leaves by. */
	to_be = ip->src_addr;
	if (gw_fib_lookup(ctx->fib, rte_be_to_cpu_32(to_be), nh) != 0)
		return -ENOENT;
	q = quote_len(m);
	if (q == 0)
		return -ENOSPC;
	if (!ratelimit_allow(&ctx->icmp_rl[ratelimit_kind(type, code)], ctx->now)) {
		gw_l3_count_event(ctx, GW_L3_EV_ICMP_RATE_LIMITED, 1);
		return -EBUSY;
	}
	keep_quote(m, q);
	h = (struct icmp_error_hdr *)rte_pktmbuf_prepend(m, sizeof(*h));
	fill_error(ctx, h, q, type, code, mtu, ctx->fib->ifs[nh->ifidx].addr, to_be);
	m->ol_flags = 0;
	m->packet_type = 0;
	m->l2_len = 0;
	m->l3_len = sizeof(h->ip);
	return 0;
}

int gw_icmp_error(struct gw_l3_ctx *ctx, struct rte_mbuf *m, uint8_t type, uint8_t code, uint16_t mtu)
{
	struct gw_nh nh;
	int rc = gw_icmp_error_build(ctx, m, type, code, mtu, &nh);

	if (rc != 0) {
		rte_pktmbuf_free(m);
		return rc;
	}
	gw_l3_count_event(ctx, GW_L3_EV_ICMP_ERRORS, 1);
	if (ctx->local_out != NULL)
		ctx->local_out(ctx, m, &nh, ctx->local_out_arg);
	else
		gw_ipv4_output_burst(ctx, &m, &nh, 1);
	return 0;
}

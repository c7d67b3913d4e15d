/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AH (RFC 4302), outbound and inbound. The ICV is computed in place: the
 * mutable IPv4 fields and the ICV field are zeroed in the packet itself,
 * one HMAC job runs over the whole datagram, and the saved fields are put
 * back when the job completes. With ESN the high 32 bits of the sequence
 * number are appended for the duration of the job (RFC 4302 2.5.1).
 */
#include <string.h>

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "ah.h"

#define SLOT_ESN 1u /* 4 bytes of seq-hi were appended for the job */

/* ---- mutable fields, RFC 4302 3.3.3.1.1.1 */

/* TOS, flags + fragment offset, TTL and checksum are zero while hashing. */
static void ah_zero_mutable(struct rte_ipv4_hdr *ip, struct gw_crypto_slot *s)
{
	s->saved[0] = ip->type_of_service;
	s->saved[1] = ip->time_to_live;
	memcpy(&s->saved[2], &ip->fragment_offset, 2);
	ip->type_of_service = 0;
	ip->time_to_live = 0;
	ip->fragment_offset = 0;
	ip->hdr_checksum = 0;
}

static void ah_restore_mutable(struct rte_ipv4_hdr *ip, const struct gw_crypto_slot *s)
{
	ip->type_of_service = s->saved[0];
	ip->time_to_live = s->saved[1];
	memcpy(&ip->fragment_offset, &s->saved[2], 2);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = gw_ipv4_cksum(ip);
}

/* The HMAC job over the whole datagram (+ seq-hi with ESN). */
static int ah_job(struct rte_mbuf *m, const struct gw_sa_crypto *c, uint64_t seq, uint8_t *tag,
		  struct gw_crypto_slot *s, IMB_JOB *job)
{
	unsigned len = rte_pktmbuf_data_len(m);

	s->flags = 0;
	if (c->esn) {
		uint8_t *hi = (uint8_t *)rte_pktmbuf_append(m, 4);

		if (hi == NULL)
			return GW_DROP_NO_TAILROOM;
		gw_put_be32(hi, (uint32_t)(seq >> 32));
		s->flags = SLOT_ESN;
		len += 4;
	}
	gw_job_sa(job, c, true);
	job->cipher_mode = IMB_CIPHER_NULL;
	job->chain_order = IMB_ORDER_HASH_CIPHER;
	job->src = rte_pktmbuf_mtod(m, const uint8_t *);
	job->dst = rte_pktmbuf_mtod(m, uint8_t *);
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = len;
	job->auth_tag_output = tag;
	return 0;
}

static void ah_header(struct gw_ah_hdr *ah, const struct gw_sa_crypto *c, uint8_t nh,
		      uint64_t seq)
{
	ah->next_header = nh;
	ah->payload_len = (uint8_t)(c->ah_len / 4 - 2); /* RFC 4302 2.2 */
	ah->reserved = 0;
	ah->spi = c->spi_be;
	ah->seq = rte_cpu_to_be_32((uint32_t)seq);
	memset(ah + 1, 0, c->ah_len - sizeof(*ah)); /* ICV and its padding */
}

/* ---- outbound */

/* Room for AH (and the outer header in tunnel mode); returns the IPv4
 * header now at the front, with AH after it. */
static struct rte_ipv4_hdr *outb_grow(struct gw_crypto_ctx *ctx, struct rte_mbuf *m,
				      struct gw_sa *sa, unsigned front, unsigned tot,
				      uint8_t df)
{
	const struct gw_sa_crypto *c = gw_sa_crypto(sa);
	uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)front);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;

	if (c->tunnel) {
		gw_ipv4_outer(ip, (const struct rte_ipv4_hdr *)(p + front), sa, df, IPPROTO_AH,
			      tot + front, gw_ip_id_next(&ctx->ip_id));
		return ip;
	}
	memmove(p, p + front, sizeof(*ip));
	ip->next_proto_id = IPPROTO_AH;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(tot + front));
	return ip;
}

static int outb_one(struct gw_crypto_ctx *ctx, struct rte_mbuf *m, struct gw_sa *sa,
		    const uint64_t *want, uint8_t df, struct gw_crypto_slot *s, IMB_JOB *job,
		    uint32_t *bytes)
{
	const struct gw_sa_crypto *c = gw_sa_crypto(sa);
	struct rte_ipv4_hdr *ip;
	unsigned hl, tot, front;
	uint64_t seq;
	uint8_t nh;
	int rc;

	if (c == NULL)
		return GW_DROP_CRYPTO;
	rc = gw_ipv4_check(m, &hl, &tot);
	if (rc != 0)
		return rc;
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	if (c->tunnel) {
		front = sizeof(*ip) + c->ah_len;
		nh = GW_ESP_NH_IPV4;
	} else {
		if (hl != sizeof(*ip))
			return GW_DROP_IP_OPTIONS;
		if (gw_ipv4_is_fragment(ip))
			return GW_DROP_FRAGMENT;
		front = c->ah_len;
		nh = ip->next_proto_id;
	}
	if (tot + front > UINT16_MAX)
		return GW_DROP_OVERSIZE;
	if (rte_pktmbuf_headroom(m) < front)
		return GW_DROP_NO_HEADROOM;
	if (c->esn && rte_pktmbuf_tailroom(m) < 4)
		return GW_DROP_NO_TAILROOM;
	seq = gw_ipsec_out_seq(sa, want, c->esn);
	if (seq == 0)
		return GW_DROP_SEQ_OVERFLOW;

	ip = outb_grow(ctx, m, sa, front, tot, df);
	ah_header((struct gw_ah_hdr *)(ip + 1), c, nh, seq);
	ah_zero_mutable(ip, s);
	*bytes = tot + front;
	return ah_job(m, c, seq, (uint8_t *)(ip + 1) + sizeof(struct gw_ah_hdr), s, job);
}

struct ah_round {
	struct gw_crypto_ctx *ctx;
	struct rte_mbuf **mb;
	struct gw_sa **sa;
	uint8_t *rc;
	uint32_t *bytes;
};

static void outb_done(struct ah_round *r, IMB_JOB *job)
{
	uintptr_t i = (uintptr_t)job->user_data;
	const struct gw_crypto_slot *s = &r->ctx->slot[i];
	struct rte_mbuf *m = r->mb[i];

	if (s->flags & SLOT_ESN)
		rte_pktmbuf_trim(m, 4);
	ah_restore_mutable(rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *), s);
	if (job->status != IMB_STATUS_COMPLETED)
		r->rc[i] = GW_DROP_CRYPTO;
}

static void outb_round(struct gw_crypto_ctx *ctx, struct rte_mbuf **mb, struct gw_sa **sa,
		       const uint64_t *seq, const uint8_t *df, uint16_t n, uint8_t *rc,
		       uint32_t *bytes)
{
	struct ah_round r = {.ctx = ctx, .mb = mb, .sa = sa, .rc = rc, .bytes = bytes};
	uint32_t unused;
	uint16_t i;

	for (i = 0; i < n; i++) {
		IMB_JOB *job;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(mb[i + 1], void *));
		job = IMB_GET_NEXT_JOB(ctx->mgr);
		rc[i] = (uint8_t)outb_one(ctx, mb[i], sa[i], seq ? &seq[i] : NULL,
					  df ? df[i] : GW_DF_CLEAR, &ctx->slot[i], job,
					  bytes ? &bytes[i] : &unused);
		if (rc[i] != 0)
			continue;
		job->user_data = (void *)(uintptr_t)i;
		GW_CRYPTO_SUBMIT(ctx->mgr, outb_done, &r);
	}
	GW_CRYPTO_FLUSH(ctx->mgr, outb_done, &r);
}

uint16_t gw_ah_outb(struct gw_crypto_ctx *ctx, struct rte_mbuf **mb, struct gw_sa **sa,
		    const uint64_t *seq, const uint8_t *df, uint16_t n, uint8_t *rc,
		    uint32_t *bytes)
{
	return gw_crypto_out_rounds(outb_round, ctx, mb, sa, seq, df, n, rc, bytes);
}

unsigned gw_ah_overhead(const struct gw_sa *sa)
{
	const struct gw_sa_crypto *c = gw_sa_crypto(sa);

	if (c == NULL)
		return 0;
	return c->ah_len + (c->tunnel ? sizeof(struct rte_ipv4_hdr) : 0);
}

/* ---- inbound step 1 */

static int inb_check(struct rte_mbuf *m, const struct gw_sa *sa, uint32_t *seq)
{
	const struct gw_sa_crypto *c = gw_sa_crypto(sa);
	const struct rte_ipv4_hdr *ip;
	const struct gw_ah_hdr *ah;
	unsigned hl, tot;
	int rc;

	rc = gw_ipsec_inb_outer(m, c, IPPROTO_AH, &hl, &tot);
	if (rc != 0)
		return rc;
	ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	if (hl != sizeof(*ip))
		return GW_DROP_IP_OPTIONS;
	if (tot < hl + sizeof(*ah))
		return GW_DROP_TRUNCATED;
	ah = (const struct gw_ah_hdr *)(ip + 1);
	/* RFC 4302 2.2: the length must be that of this SA's ICV. */
	if ((ah->payload_len + 2u) * 4u != c->ah_len)
		return GW_DROP_MALFORMED;
	if (tot < hl + c->ah_len)
		return GW_DROP_TRUNCATED;
	*seq = rte_be_to_cpu_32(ah->seq);
	return 0;
}

uint16_t gw_ah_inb_prepare(struct rte_mbuf **mb, struct gw_sa **sa, uint16_t n, uint32_t *seq,
			   uint8_t *rc)
{
	uint16_t i, ok = 0;

	for (i = 0; i < n; i++) {
		seq[i] = 0;
		rc[i] = (uint8_t)inb_check(mb[i], sa[i], &seq[i]);
		ok += rc[i] == 0;
	}
	return ok;
}

/* ---- inbound step 2 */

static int inb_one(struct rte_mbuf *m, const struct gw_sa_crypto *c, uint64_t seq,
		   struct gw_crypto_slot *s, IMB_JOB *job)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint8_t *icv = (uint8_t *)(ip + 1) + sizeof(struct gw_ah_hdr);
	int rc;

	/* RFC 4302 3.4.4: the received ICV is kept aside and its field
	 * zeroed, with the mutable fields, for the computation. */
	memcpy(s->icv, icv, c->icv_len);
	memset(icv, 0, c->ah_len - sizeof(struct gw_ah_hdr));
	ah_zero_mutable(ip, s);
	rc = ah_job(m, c, seq, s->tag, s, job);
	if (rc != 0)
		ah_restore_mutable(ip, s);
	return rc;
}

static int inb_strip(struct rte_mbuf *m, const struct gw_sa_crypto *c, uint8_t outer_tos)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	const struct gw_ah_hdr *ah = (const struct gw_ah_hdr *)(ip + 1);
	unsigned tot = rte_pktmbuf_data_len(m), hl = sizeof(*ip), pl, itot;
	uint8_t nh = ah->next_header;
	uint8_t *inner = (uint8_t *)ah + c->ah_len;

	pl = tot - hl - c->ah_len;
	if (c->tunnel) {
		if (nh != GW_ESP_NH_IPV4)
			return GW_DROP_NEXT_HEADER;
		if (gw_ipv4_inner_check(inner, pl, &itot) != 0)
			return GW_DROP_INNER_IP;
		gw_ecn_decap(outer_tos, (struct rte_ipv4_hdr *)inner);
		rte_pktmbuf_adj(m, (uint16_t)(hl + c->ah_len));
		rte_pktmbuf_trim(m, (uint16_t)(pl - itot));
		gw_ipv4_mark_cksum_good(m);
		return 0;
	}
	if (nh == GW_ESP_NH_DUMMY)
		return GW_DROP_NEXT_HEADER;
	memmove((uint8_t *)ip + c->ah_len, ip, hl);
	ip = (struct rte_ipv4_hdr *)rte_pktmbuf_adj(m, c->ah_len);
	ip->next_proto_id = nh;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hl + pl));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = gw_ipv4_cksum(ip);
	gw_ipv4_mark_cksum_good(m);
	return 0;
}

static void inb_done(struct ah_round *r, IMB_JOB *job)
{
	uintptr_t i = (uintptr_t)job->user_data;
	const struct gw_crypto_slot *s = &r->ctx->slot[i];
	const struct gw_sa_crypto *c = gw_sa_crypto(r->sa[i]);
	struct rte_mbuf *m = r->mb[i];

	if (s->flags & SLOT_ESN)
		rte_pktmbuf_trim(m, 4);
	ah_restore_mutable(rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *), s);
	if (job->status != IMB_STATUS_COMPLETED) {
		r->rc[i] = GW_DROP_CRYPTO;
		return;
	}
	if (gw_icv_differs(s->tag, s->icv, c->icv_len)) {
		r->rc[i] = GW_DROP_ICV;
		return;
	}
	if (r->bytes)
		r->bytes[i] = rte_pktmbuf_data_len(m);
	r->rc[i] = (uint8_t)inb_strip(m, c, s->saved[0]);
}

static void inb_round(struct gw_crypto_ctx *ctx, struct rte_mbuf **mb, struct gw_sa **sa,
		      const uint64_t *seq, uint16_t n, uint8_t *rc, uint32_t *bytes)
{
	struct ah_round r = {.ctx = ctx, .mb = mb, .sa = sa, .rc = rc, .bytes = bytes};
	uint16_t i;

	for (i = 0; i < n; i++) {
		const struct gw_sa_crypto *c = gw_sa_crypto(sa[i]);
		IMB_JOB *job;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(mb[i + 1], void *));
		if (rc[i] != 0)
			continue;
		if (c == NULL) {
			rc[i] = GW_DROP_CRYPTO;
			continue;
		}
		job = IMB_GET_NEXT_JOB(ctx->mgr);
		rc[i] = (uint8_t)inb_one(mb[i], c, seq[i], &ctx->slot[i], job);
		if (rc[i] != 0)
			continue;
		job->user_data = (void *)(uintptr_t)i;
		GW_CRYPTO_SUBMIT(ctx->mgr, inb_done, &r);
	}
	GW_CRYPTO_FLUSH(ctx->mgr, inb_done, &r);
}

uint16_t gw_ah_inb_process(struct gw_crypto_ctx *ctx, struct rte_mbuf **mb, struct gw_sa **sa,
			   const uint64_t *seq, uint16_t n, uint8_t *rc, uint32_t *bytes)
{
	return gw_crypto_in_rounds(inb_round, ctx, mb, sa, seq, n, rc, bytes);
}

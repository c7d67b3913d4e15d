/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP inbound (RFC 4303 3.4). Step 1 (gw_esp_inb_prepare) checks every
 * length against the buffer before anything else is read and returns the
 * wire sequence number for the caller's replay check. Step 2
 * (gw_esp_inb_process) lets intel-ipsec-mb compute the ICV and decrypt in
 * one job; the ICV is compared in constant time before a single decrypted
 * byte is looked at, then the padding is checked and ESP is stripped.
 */
#include <string.h>

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "esp.h"

static const char *const drop_names[GW_IPSEC_DROP_COUNT] = {
	[GW_IPSEC_OK] = "ok",
	[GW_DROP_MALFORMED] = "malformed",
	[GW_DROP_TRUNCATED] = "truncated",
	[GW_DROP_FRAGMENT] = "fragment",
	[GW_DROP_MULTISEG] = "multi-segment",
	[GW_DROP_ICV] = "icv",
	[GW_DROP_PADDING] = "padding",
	[GW_DROP_NEXT_HEADER] = "next-header",
	[GW_DROP_INNER_IP] = "inner-ip",
	[GW_DROP_IP_OPTIONS] = "ip-options",
	[GW_DROP_NO_HEADROOM] = "no-headroom",
	[GW_DROP_NO_TAILROOM] = "no-tailroom",
	[GW_DROP_OVERSIZE] = "oversize",
	[GW_DROP_SEQ_OVERFLOW] = "seq-overflow",
	[GW_DROP_CRYPTO] = "crypto",
};

const char *gw_ipsec_drop_name(unsigned rc)
{
	return rc < GW_IPSEC_DROP_COUNT ? drop_names[rc] : "?";
}

int gw_ipsec_peek_spi(const struct rte_mbuf *m, uint8_t *proto, uint32_t *spi)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	unsigned len = rte_pktmbuf_data_len(m), hl, off;
	rte_be32_t be;

	if (len < sizeof(*ip))
		return -1;
	hl = (ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if (ip->next_proto_id == IPPROTO_ESP)
		off = hl;
	else if (ip->next_proto_id == IPPROTO_AH)
		off = hl + offsetof(struct gw_ah_hdr, spi);
	else
		return -1;
	if (hl < sizeof(*ip) || off + 4 > len)
		return -1;
	memcpy(&be, (const uint8_t *)ip + off, 4);
	*proto = ip->next_proto_id;
	*spi = rte_be_to_cpu_32(be);
	return 0;
}

/* ---- step 1 */

static int inb_check(struct rte_mbuf *m, const struct gw_sa *sa, uint32_t *seq)
{
	const struct gw_sa_crypto *c = gw_sa_crypto(sa);
	const struct rte_ipv4_hdr *ip;
	const struct gw_esp_hdr *eh;
	unsigned hl, tot, esp, fixed, ct;
	int rc;

	rc = gw_ipsec_inb_outer(m, c, IPPROTO_ESP, &hl, &tot);
	if (rc != 0)
		return rc;
	ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	esp = tot - hl;
	fixed = sizeof(struct gw_esp_hdr) + c->iv_len + c->icv_len;
	/* At least the trailer, and at least one whole block. */
	if (esp < fixed + RTE_MAX((unsigned)c->block, (unsigned)sizeof(struct gw_esp_tail)))
		return GW_DROP_TRUNCATED;
	ct = esp - fixed;
	/* Cipher blocks are 1, 8 or 16 bytes (crypto.c): a mask, not a division. */
	if ((ct & (c->block - 1u)) != 0)
		return GW_DROP_MALFORMED;
	eh = (const struct gw_esp_hdr *)((const uint8_t *)ip + hl);
	*seq = rte_be_to_cpu_32(eh->seq);
	return 0;
}

uint16_t gw_esp_inb_prepare(struct rte_mbuf **mb, struct gw_sa **sa, uint16_t n,
			    uint32_t *seq, uint8_t *rc)
{
	uint16_t i, ok = 0;

	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(mb[i + 1], void *));
		seq[i] = 0;
		rc[i] = (uint8_t)inb_check(mb[i], sa[i], &seq[i]);
		ok += rc[i] == 0;
	}
	return ok;
}

/* ---- step 2 */

#define SLOT_ICV_COPIED 1u /* ESN: the received ICV was moved to slot->icv */

static void inb_job(const struct gw_sa_crypto *c, uint8_t *esp, unsigned ct, uint64_t seq,
		    struct gw_crypto_slot *s, IMB_JOB *job)
{
	unsigned off = sizeof(struct gw_esp_hdr) + c->iv_len;
	uint8_t *icv = esp + off + ct;

	gw_job_sa(job, c, false);
	job->src = esp;
	job->dst = esp + off;
	job->cipher_start_src_offset_in_bytes = off;
	job->msg_len_to_cipher_in_bytes = ct;
	job->auth_tag_output = s->tag;
	s->len = ct;
	s->flags = 0;
	if (c->kind == GW_CIPHER_CBC) {
		job->iv = esp + sizeof(struct gw_esp_hdr);
		job->iv_len_in_bytes = c->iv_len;
	} else if (c->kind != GW_CIPHER_NONE) {
		memcpy(s->nonce, c->salt, 4);
		memcpy(s->nonce + 4, esp + sizeof(struct gw_esp_hdr), 8);
		job->iv = s->nonce;
		job->iv_len_in_bytes = 12;
	}
	if (c->kind == GW_CIPHER_AEAD) {
		/* The SPI as received: the AAD authenticates the packet's header. */
		gw_job_aead(job, c, s->aad, ((const struct gw_esp_hdr *)esp)->spi, seq, off, ct);
		return;
	}
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = off + ct;
	if (c->esn && c->hmac) {
		/* RFC 4303 2.2.1: the ICV covers seq-hi after the trailer,
		 * where the received ICV lies: keep that aside first. */
		memcpy(s->icv, icv, c->icv_len);
		gw_put_be32(icv, (uint32_t)(seq >> 32));
		job->msg_len_to_hash_in_bytes += 4;
		s->flags = SLOT_ICV_COPIED;
	}
}

/* RFC 4303 2.4: the padding that the sender wrote as 1, 2, 3..., compared a
 * 64-bit word at a time (no secret in it: the ICV was verified first). */
static bool inb_pad_ok(const uint8_t *pad, unsigned len)
{
	const uint64_t next_eight = UINT64_C(0x0808080808080808);
	uint64_t want = UINT64_C(0x0807060504030201); /* bytes k+1 .. k+8 */
	unsigned k, shift;
	uint64_t w;

	if (len == 0)
		return true;
	for (k = 0; k + 8 < len; k += 8, want += next_eight) {
		memcpy(&w, pad + k, 8);
		if (rte_le_to_cpu_64(w) != want)
			return false;
	}
	/* The last 1..8 bytes, as the top of the word that ends with them; its
	 * start may lie before the padding, in the payload or the ESP header
	 * and IV (8 bytes at least), which are in the buffer and not compared. */
	memcpy(&w, pad + len - 8, 8);
	shift = 8 * (8 - (len - k));
	return rte_le_to_cpu_64(w) >> shift == (want << shift) >> shift;
}

/* Returns the payload length of the ct decrypted bytes at pt, or -1. */
static int inb_unpad(const uint8_t *pt, unsigned ct, uint8_t *nh)
{
	const struct gw_esp_tail *t = (const struct gw_esp_tail *)(pt + ct - sizeof(*t));
	unsigned pad = t->pad_length, pl;

	if (pad + sizeof(*t) > ct)
		return -1;
	pl = ct - sizeof(*t) - pad;
	if (!inb_pad_ok(pt + pl, pad))
		return -1;
	*nh = t->next_header;
	return (int)pl;
}

/* Keep len bytes from offset off of the packet: rte_pktmbuf_adj and
 * rte_pktmbuf_trim without their re-checks and the walk to the last
 * segment, since gw_esp_inb_prepare saw one segment and the callers
 * checked both bounds against it. */
static void inb_keep(struct rte_mbuf *m, unsigned off, unsigned len)
{
	m->data_off = (uint16_t)(m->data_off + off);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
}

/* Tunnel mode: keep the inner packet only; the caller then checks it
 * against the policy of its SA (RFC 4301 5.2). */
static int inb_strip_tunnel(struct rte_mbuf *m, unsigned hl, unsigned off, unsigned pl,
			    uint8_t nh)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint8_t *inner = (uint8_t *)ip + hl + off;
	unsigned itot;

	if (nh != GW_ESP_NH_IPV4)
		return GW_DROP_NEXT_HEADER;
	if (gw_ipv4_inner_check(inner, pl, &itot) != 0)
		return GW_DROP_INNER_IP;
	gw_ecn_decap(ip->type_of_service, (struct rte_ipv4_hdr *)inner);
	inb_keep(m, hl + off, itot);
	gw_ipv4_mark_cksum_good(m);
	return 0;
}

/* Transport mode: the IPv4 header moves up over ESP and takes the next
 * header as its protocol. */
static int inb_strip_transport(struct rte_mbuf *m, unsigned hl, unsigned off, unsigned pl,
			       uint8_t nh)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip;

	memmove(p + off, p, hl);
	inb_keep(m, off, hl + pl);
	ip = (struct rte_ipv4_hdr *)(p + off);
	ip->next_proto_id = nh;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hl + pl));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = gw_ipv4_cksum(ip);
	gw_ipv4_mark_cksum_good(m);
	return 0;
}

/* gw_icv_differs with our ICV lengths as constants, so that it unrolls to
 * a few word compares: 16 bytes (GCM, ChaCha20-Poly1305, SHA-256-128) and
 * 12 (HMAC-MD5/SHA1-96); 0 (null authentication) never differs. */
static bool inb_icv_differs(const uint8_t *tag, const uint8_t *rx, unsigned len)
{
	switch (len) {
	case 16:
		return gw_icv_differs(tag, rx, 16);
	case 12:
		return gw_icv_differs(tag, rx, 12);
	default:
		return gw_icv_differs(tag, rx, len);
	}
}

static int inb_finish(struct rte_mbuf *m, const struct gw_sa_crypto *c,
		      const struct gw_crypto_slot *s)
{
	uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *);
	unsigned hl = (ip[0] & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	unsigned off = sizeof(struct gw_esp_hdr) + c->iv_len;
	uint8_t *pt = ip + hl + off;
	const uint8_t *rx = (s->flags & SLOT_ICV_COPIED) ? s->icv : pt + s->len;
	uint8_t nh;
	int pl;

	/* RFC 4303 3.4.4.1: nothing decrypted is used before this. */
	if (inb_icv_differs(s->tag, rx, c->icv_len))
		return GW_DROP_ICV;
	pl = inb_unpad(pt, s->len, &nh);
	if (pl < 0)
		return GW_DROP_PADDING;
	/* RFC 4303 2.6: dummy packets are discarded. */
	if (nh == GW_ESP_NH_DUMMY)
		return GW_DROP_NEXT_HEADER;
	if (c->tunnel)
		return inb_strip_tunnel(m, hl, off, (unsigned)pl, nh);
	return inb_strip_transport(m, hl, off, (unsigned)pl, nh);
}

struct inb_round {
	struct gw_crypto_ctx *ctx;
	struct rte_mbuf **mb;
	struct gw_sa **sa;
	uint8_t *rc;
	uint32_t *bytes;
};

static void inb_done(struct inb_round *r, IMB_JOB *job)
{
	uintptr_t i = (uintptr_t)job->user_data;
	const struct gw_crypto_slot *s = &r->ctx->slot[i];

	if (job->status != IMB_STATUS_COMPLETED) {
		r->rc[i] = GW_DROP_CRYPTO;
		return;
	}
	r->rc[i] = (uint8_t)inb_finish(r->mb[i], gw_sa_crypto(r->sa[i]), s);
	if (r->rc[i] == 0 && r->bytes)
		r->bytes[i] = s->len;
}

static void inb_round(struct gw_crypto_ctx *ctx, struct rte_mbuf **mb, struct gw_sa **sa,
		      const uint64_t *seq, uint16_t n, uint8_t *rc, uint32_t *bytes)
{
	struct inb_round r = {.ctx = ctx, .mb = mb, .sa = sa, .rc = rc, .bytes = bytes};
	uint16_t i;

	for (i = 0; i < n; i++) {
		const struct gw_sa_crypto *c = gw_sa_crypto(sa[i]);
		uint8_t *ip;
		unsigned hl, ct;
		IMB_JOB *job;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(mb[i + 1], void *));
		if (rc[i] != 0)
			continue;
		if (c == NULL) {
			rc[i] = GW_DROP_CRYPTO;
			continue;
		}
		/* Lengths were checked by gw_esp_inb_prepare. */
		ip = rte_pktmbuf_mtod(mb[i], uint8_t *);
		hl = (ip[0] & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
		ct = rte_pktmbuf_data_len(mb[i]) - hl - sizeof(struct gw_esp_hdr) - c->iv_len -
		     c->icv_len;
		if (gw_gcm_direct(c)) {
			/* No job: decrypted and the ICV recomputed on the spot,
			 * then checked and stripped as a completed job would be. */
			struct gw_crypto_slot *s = &ctx->slot[i];
			uint8_t *esp = ip + hl, *iv = esp + sizeof(struct gw_esp_hdr);

			s->len = ct;
			s->flags = 0;
			gw_esp_gcm(ctx->mgr, c, false, ((const struct gw_esp_hdr *)esp)->spi, seq[i], iv,
				   iv + c->iv_len, ct, s->tag);
			rc[i] = (uint8_t)inb_finish(mb[i], c, s);
			if (rc[i] == 0 && bytes)
				bytes[i] = ct;
			continue;
		}
		job = IMB_GET_NEXT_JOB(ctx->mgr);
		inb_job(c, ip + hl, ct, seq[i], &ctx->slot[i], job);
		job->user_data = (void *)(uintptr_t)i;
		GW_CRYPTO_SUBMIT(ctx->mgr, inb_done, &r);
	}
	GW_CRYPTO_FLUSH(ctx->mgr, inb_done, &r);
}

uint16_t gw_esp_inb_process(struct gw_crypto_ctx *ctx, struct rte_mbuf **mb, struct gw_sa **sa,
			    const uint64_t *seq, uint16_t n, uint8_t *rc, uint32_t *bytes)
{
	return gw_crypto_in_rounds(inb_round, ctx, mb, sa, seq, n, rc, bytes);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP outbound (RFC 4303 3.3): make room, write the headers, pad, take a
 * sequence number and an IV, and hand the packet to intel-ipsec-mb, which
 * encrypts and then computes the ICV in one job. A burst is processed in
 * rounds of GW_CRYPTO_BURST packets: every job of a round is submitted
 * before the round is flushed. AES-GCM skips the job manager: its packets
 * are sealed on the spot by the direct GCM API (gw_esp_gcm).
 */
#include <string.h>

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "esp.h"

/* Where things go in the packet being built. */
struct outb_layout {
	unsigned hl;    /* transport: IPv4 header length kept in front */
	unsigned front; /* bytes added before the payload */
	unsigned tail;  /* bytes added after it: padding, trailer, ICV */
	unsigned pl;    /* payload: the inner packet or the transport payload */
	unsigned ct;    /* enciphered bytes: payload, padding, trailer */
	uint8_t nh;     /* next header */
};

/* RFC 4303 2.4: pad so that payload + pad + 2 is a multiple of the cipher
 * block and of 4 bytes. */
static int outb_plan(const struct gw_sa_crypto *c, const struct rte_ipv4_hdr *ip, unsigned hl,
		     unsigned tot, struct outb_layout *L)
{
	unsigned esp = sizeof(struct gw_esp_hdr) + c->iv_len;

	if (c->tunnel) {
		L->hl = 0;
		L->pl = tot;
		L->nh = GW_ESP_NH_IPV4;
		L->front = sizeof(struct rte_ipv4_hdr) + esp;
	} else {
		/* RFC 4303 3.3: transport mode is applied to whole datagrams. */
		if (gw_ipv4_is_fragment(ip))
			return GW_DROP_FRAGMENT;
		L->hl = hl;
		L->pl = tot - hl;
		L->nh = ip->next_proto_id;
		L->front = esp;
	}
	L->ct = RTE_ALIGN_CEIL(L->pl + sizeof(struct gw_esp_tail), c->align);
	L->tail = L->ct - L->pl + c->icv_len;
	if (tot + L->front + L->tail > UINT16_MAX)
		return GW_DROP_OVERSIZE;
	return 0;
}

/* Prepend and append the room; returns the ESP header. */
static uint8_t *outb_grow(struct gw_crypto_ctx *ctx, struct rte_mbuf *m, struct gw_sa *sa,
			  const struct outb_layout *L, uint8_t df)
{
	uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)L->front);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	unsigned tot;

	rte_pktmbuf_append(m, (uint16_t)L->tail);
	tot = rte_pktmbuf_data_len(m);
	if (L->hl == 0) {
		gw_ipv4_outer(ip, (const struct rte_ipv4_hdr *)(p + L->front), sa, df, IPPROTO_ESP,
			      tot, gw_ip_id_next(&ctx->ip_id));
		return p + sizeof(*ip);
	}
	/* Transport: the IP header moves to the front, ESP goes after it. */
	memmove(p, p + L->front, L->hl);
	ip->next_proto_id = IPPROTO_ESP;
	ip->total_length = rte_cpu_to_be_16((uint16_t)tot);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = gw_ipv4_cksum(ip);
	return p + L->hl;
}

/* The IV on the wire: RFC 3602 2.1 random for CBC; RFC 3686 3, 4106 3.1,
 * 7634 2: the sequence number for counter modes, unique per key. */
static void outb_iv(struct gw_crypto_ctx *ctx, const struct gw_sa_crypto *c, uint8_t *iv,
		    uint64_t seq)
{
	rte_be64_t be = rte_cpu_to_be_64(seq);

	if (c->kind == GW_CIPHER_CBC)
		gw_crypto_rnd_take(ctx, iv, c->iv_len);
	else if (c->kind != GW_CIPHER_NONE)
		memcpy(iv, &be, 8);
}

/* The padding RFC 4303 2.4 asks for, 1, 2, 3...: copied, not counted out
 * byte by byte (up to 15 bytes per packet with AES-CBC; outb_plan never
 * pads to more than one block, the loop below is only a safety net). */
static const uint8_t pad_bytes[32] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

/* RFC 4303 2.4: padding bytes 1, 2, 3..., then pad length and next header. */
static void outb_trailer(uint8_t *pt, const struct outb_layout *L)
{
	unsigned pad = L->ct - L->pl - sizeof(struct gw_esp_tail), k;
	uint8_t *t = pt + L->pl;

	if (likely(pad <= sizeof(pad_bytes))) {
		memcpy(t, pad_bytes, pad);
	} else {
		for (k = 0; k < pad; k++)
			t[k] = (uint8_t)(k + 1);
	}
	t[pad] = (uint8_t)pad;
	t[pad + 1] = L->nh;
}

/* A packet with its headers, IV and trailer written, ready for the crypto. */
struct outb_pkt {
	const struct gw_sa_crypto *c;
	uint8_t *esp; /* ESP header */
	uint64_t seq;
	struct outb_layout L;
};

static void outb_job(const struct outb_pkt *P, struct gw_crypto_slot *s, IMB_JOB *job)
{
	const struct gw_sa_crypto *c = P->c;
	unsigned off = sizeof(struct gw_esp_hdr) + c->iv_len;
	uint8_t *iv = P->esp + sizeof(struct gw_esp_hdr), *icv = P->esp + off + P->L.ct;

	gw_job_sa(job, c, true);
	job->src = P->esp;
	job->dst = P->esp + off;
	job->cipher_start_src_offset_in_bytes = off;
	job->msg_len_to_cipher_in_bytes = P->L.ct;
	job->auth_tag_output = icv;
	if (c->kind == GW_CIPHER_CBC) {
		job->iv = iv;
		job->iv_len_in_bytes = c->iv_len;
	} else if (c->kind != GW_CIPHER_NONE) {
		/* RFC 3686 4, RFC 7634 2: salt || IV. */
		memcpy(s->nonce, c->salt, 4);
		memcpy(s->nonce + 4, iv, 8);
		job->iv = s->nonce;
		job->iv_len_in_bytes = 12;
	}
	if (c->kind == GW_CIPHER_AEAD) {
		gw_job_aead(job, c, s->aad, c->spi_be, P->seq, off, P->L.ct);
		return;
	}
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = off + P->L.ct;
	if (c->esn && c->hmac) {
		/* RFC 4303 2.2.1: the high half enters the ICV after the
		 * trailer; it sits where the ICV will be written over it. */
		gw_put_be32(icv, (uint32_t)(P->seq >> 32));
		job->msg_len_to_hash_in_bytes += 4;
	}
}

/* AES-GCM, done when this returns: the ICV lands right after the trailer. */
static void outb_gcm(IMB_MGR *mgr, const struct outb_pkt *P)
{
	const struct gw_sa_crypto *c = P->c;
	uint8_t *iv = P->esp + sizeof(struct gw_esp_hdr), *ct = iv + c->iv_len;

	gw_esp_gcm(mgr, c, true, c->spi_be, P->seq, iv, ct, P->L.ct, ct + P->L.ct);
}

/* Everything but the crypto: checks, room, headers, sequence number, IV,
 * trailer. Returns 0 with P filled, or a drop code. */
static int outb_build(struct gw_crypto_ctx *ctx, struct rte_mbuf *m, struct gw_sa *sa,
		      const uint64_t *want, uint8_t df, struct outb_pkt *P)
{
	const struct gw_sa_crypto *c = gw_sa_crypto(sa);
	struct gw_esp_hdr *eh;
	unsigned hl, tot;
	int rc;

	if (c == NULL)
		return GW_DROP_CRYPTO;
	rc = gw_ipv4_check(m, &hl, &tot);
	if (rc == 0)
		rc = outb_plan(c, rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *), hl, tot, &P->L);
	if (rc != 0)
		return rc;
	if (rte_pktmbuf_headroom(m) < P->L.front)
		return GW_DROP_NO_HEADROOM;
	if (rte_pktmbuf_tailroom(m) < P->L.tail)
		return GW_DROP_NO_TAILROOM;
	P->seq = gw_ipsec_out_seq(sa, want, c->esn);
	if (P->seq == 0)
		return GW_DROP_SEQ_OVERFLOW;

	P->c = c;
	P->esp = outb_grow(ctx, m, sa, &P->L, df);
	eh = (struct gw_esp_hdr *)P->esp;
	eh->spi = c->spi_be;
	eh->seq = rte_cpu_to_be_32((uint32_t)P->seq);
	outb_iv(ctx, c, P->esp + sizeof(*eh), P->seq);
	outb_trailer(P->esp + sizeof(*eh) + c->iv_len, &P->L);
	return 0;
}

struct outb_round {
	uint8_t *rc;
};

static void outb_done(struct outb_round *r, IMB_JOB *job)
{
	if (job->status != IMB_STATUS_COMPLETED)
		r->rc[(uintptr_t)job->user_data] = GW_DROP_CRYPTO;
}

static void outb_round(struct gw_crypto_ctx *ctx, struct rte_mbuf **mb, struct gw_sa **sa,
		       const uint64_t *seq, const uint8_t *df, uint16_t n, uint8_t *rc,
		       uint32_t *bytes)
{
	struct outb_round r = {.rc = rc};
	struct outb_pkt P;
	uint16_t i;

	/* Every CBC IV of the round, drawn before any job is queued. */
	gw_crypto_rnd_reserve(ctx, n * 16u);
	for (i = 0; i < n; i++) {
		IMB_JOB *job;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(mb[i + 1], void *));
		rc[i] = (uint8_t)outb_build(ctx, mb[i], sa[i], seq ? &seq[i] : NULL,
					    df ? df[i] : GW_DF_CLEAR, &P);
		if (rc[i] != 0)
			continue;
		if (bytes)
			bytes[i] = P.L.ct;
		if (gw_gcm_direct(P.c)) {
			outb_gcm(ctx->mgr, &P);
			continue;
		}
		job = IMB_GET_NEXT_JOB(ctx->mgr);
		outb_job(&P, &ctx->slot[i], job);
		job->user_data = (void *)(uintptr_t)i;
		GW_CRYPTO_SUBMIT(ctx->mgr, outb_done, &r);
	}
	GW_CRYPTO_FLUSH(ctx->mgr, outb_done, &r);
}

uint16_t gw_esp_outb(struct gw_crypto_ctx *ctx, struct rte_mbuf **mb, struct gw_sa **sa,
		     const uint64_t *seq, const uint8_t *df, uint16_t n, uint8_t *rc,
		     uint32_t *bytes)
{
	return gw_crypto_out_rounds(outb_round, ctx, mb, sa, seq, df, n, rc, bytes);
}

unsigned gw_esp_overhead(const struct gw_sa *sa, unsigned ip_len)
{
	const struct gw_sa_crypto *c = gw_sa_crypto(sa);
	unsigned pl;

	if (c == NULL || ip_len < sizeof(struct rte_ipv4_hdr))
		return 0;
	pl = c->tunnel ? ip_len : ip_len - sizeof(struct rte_ipv4_hdr);
	return (c->tunnel ? sizeof(struct rte_ipv4_hdr) : 0) + sizeof(struct gw_esp_hdr) +
	       c->iv_len + RTE_ALIGN_CEIL(pl + sizeof(struct gw_esp_tail), c->align) - pl +
	       c->icv_len;
}

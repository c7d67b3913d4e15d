/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IKEv1 engine: actions, input dispatch (cookies, ports, NAT-T marker),
 * message encryption / sending / retransmission, informational exchanges
 * (notify, delete, DPD, INITIAL-CONTACT), timers, views. Phase 1 is in
 * ikev1_p1.c, quick mode in ikev1_p2.c.
 */
#include "ikev1_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

/* ---- actions */

static bool q_push(struct ike_action_q *q, unsigned max, const struct ike_action *a)
{
	if (q->n == q->cap) {
		unsigned ncap = q->cap ? q->cap * 2 : 64;
		struct ike_action *v;

		if (q->n >= max)
			return false;
		if (ncap > max)
			ncap = max;
		v = malloc(ncap * sizeof(*v));
		if (!v)
			return false;
		for (unsigned i = 0; i < q->n; i++)
			v[i] = q->v[(q->head + i) % q->cap];
		free(q->v);
		q->v = v;
		q->cap = ncap;
		q->head = 0;
	}
	q->v[(q->head + q->n) % q->cap] = *a;
	q->n++;
	return true;
}

void ike_push(struct ike_engine *e, const struct ike_action *a)
{
	if (!q_push(&e->q, e->conf.max_actions, a)) {
		e->stats.actions_dropped++;
		if (a->type == IKE_ACT_SEND)
			free(a->send.data);
	}
}

bool ike_action_next(struct ike_engine *e, struct ike_action *a)
{
	if (e->q.n == 0)
		return false;
	*a = e->q.v[e->q.head];
	e->q.head = (e->q.head + 1) % e->q.cap;
	e->q.n--;
	return true;
}

void ike_action_free(struct ike_action *a)
{
	if (a->type == IKE_ACT_SEND) {
		free(a->send.data);
		a->send.data = NULL;
	}
	if (a->type == IKE_ACT_INSTALL_SA || a->type == IKE_ACT_INSTALL_IN) {
		ike_wipe(&a->install.in, sizeof(a->install.in));
		ike_wipe(&a->install.out, sizeof(a->install.out));
	}
}

void ike_log(struct ike_engine *e, enum ike_log_level lvl, const char *fmt, ...)
{
	struct ike_action a = {.type = IKE_ACT_LOG};
	va_list ap;

	if (lvl > e->conf.log_level)
		return;
	a.log.level = lvl;
	va_start(ap, fmt);
	vsnprintf(a.log.text, sizeof(a.log.text), fmt, ap);
	va_end(ap);
	ike_push(e, &a);
}

const char *ike_ip(uint32_t a, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return buf;
}

/* ---- engine */

struct ike_engine *ike_engine_new(const struct ike_engine_conf *conf)
{
	struct ike_engine *e;

	if (ike_crypto_init() != 0)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	if (conf)
		e->conf = *conf;
	if (!e->conf.max_half_open)
		e->conf.max_half_open = 64;
	if (!e->conf.max_half_open_per_peer)
		e->conf.max_half_open_per_peer = 4;
	if (!e->conf.max_actions)
		e->conf.max_actions = 1024;
	if (!e->conf.retransmit_ms)
		e->conf.retransmit_ms = 2000;
	if (!e->conf.retransmit_tries)
		e->conf.retransmit_tries = 5;
	if (!e->conf.natt_keepalive_ms)
		e->conf.natt_keepalive_ms = 20000;
	if (!e->conf.log_level)
		e->conf.log_level = IKE_LOG_INFO;
	e->msg = malloc(sizeof(*e->msg));
	e->buf = malloc(IKE_DGRAM_MAX);
	e->rxbuf = malloc(IKE_DGRAM_MAX + ISAKMP_HDR_LEN);
	if (!e->msg || !e->buf || !e->rxbuf) {
		ike_engine_free(e);
		return NULL;
	}
	e->dyn_uid = 0x80000000u;
	return e;
}

void ike_p2_free(struct ike_p2 *p2)
{
	if (!p2)
		return;
	ike_dh_free(p2->dh);
	if (p2->gqm)
		ike_wipe(p2->gqm, p2->gqm_len);
	free(p2->gqm);
	free(p2->retx.data);
	ike_wipe(p2, sizeof(*p2));
	free(p2);
}

static void p1_free(struct ike_p1 *p1)
{
	ike_dh_free(p1->dh);
	free(p1->sai_b);
	free(p1->id_i);
	free(p1->id_r);
	free(p1->gxi);
	free(p1->gxr);
	free(p1->retx.data);
	ike_wipe(p1, sizeof(*p1));
	free(p1);
}

void ike_engine_free(struct ike_engine *e)
{
	struct ike_action a;

	if (!e)
		return;
	while (e->p1s) {
		struct ike_p1 *n = e->p1s->next;

		p1_free(e->p1s);
		e->p1s = n;
	}
	while (e->p2s) {
		struct ike_p2 *n = e->p2s->next;

		ike_p2_free(e->p2s);
		e->p2s = n;
	}
	while (ike_action_next(e, &a))
		ike_action_free(&a);
	free(e->q.v);
	free(e->msg);
	free(e->buf);
	free(e->rxbuf);
	free(e);
}

void ike_engine_set_config(struct ike_engine *e, const struct gw_config *cfg)
{
	e->cfg = cfg;
}

const struct ike_stats *ike_engine_stats(const struct ike_engine *e)
{
	return &e->stats;
}

/* ---- config lookups */

static bool in_prefix(uint32_t a, const struct gw_prefix *p)
{
	uint32_t m = gw_prefix_mask(p->len);

	return (a & m) == (p->addr & m);
}

/* The enabled peer whose address prefix holds `remote` (longest prefix
 * wins, then config order) and whose local-address, if set, is ours. */
const struct gw_peer *ike_peer_find(const struct ike_engine *e, uint32_t local, uint32_t remote)
{
	const struct gw_peer *best = NULL;

	if (!e->cfg)
		return NULL;
	for (uint32_t i = 0; i < e->cfg->peers.n; i++) {
		const struct gw_peer *p = &e->cfg->peers.v[i];

		if (p->disabled || !in_prefix(remote, &p->address))
			continue;
		if (p->local_address && local && p->local_address != local)
			continue;
		if (!best || p->address.len > best->address.len)
			best = p;
	}
	return best;
}

const struct gw_proposal *ike_proposal_find(const struct ike_engine *e, const char *name)
{
	if (!e->cfg)
		return NULL;
	for (uint32_t i = 0; i < e->cfg->proposals.n; i++)
		if (!strcmp(e->cfg->proposals.v[i].name, name) && !e->cfg->proposals.v[i].disabled)
			return &e->cfg->proposals.v[i];
	return NULL;
}

const struct gw_policy *ike_policy_find(const struct ike_engine *e, uint32_t uid)
{
	if (!e->cfg)
		return NULL;
	for (uint32_t i = 0; i < e->cfg->policies.n; i++)
		if (e->cfg->policies.v[i].uid == uid)
			return &e->cfg->policies.v[i];
	return NULL;
}

/* ---- phase 1 SA objects */

struct ike_p1 *ike_p1_new(struct ike_engine *e, bool initiator, const struct gw_peer *peer,
			  uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport)
{
	struct ike_p1 *p1 = calloc(1, sizeof(*p1));

	if (!p1)
		return NULL;
	p1->serial = ++e->serial;
	p1->initiator = initiator;
	p1->peer = *peer;
	p1->local = local;
	p1->lport = lport;
	p1->remote = remote;
	p1->rport = rport;
	p1->created_ms = p1->last_heard_ms = e->now;
	p1->aggressive = peer->exchange_mode == GW_XMODE_AGGRESSIVE;
	if (ike_random(initiator ? p1->cky_i : p1->cky_r, 8) != 0) {
		free(p1);
		return NULL;
	}
	p1->next = e->p1s;
	e->p1s = p1;
	return p1;
}

void ike_p1_kill(struct ike_engine *e, struct ike_p1 *p1, const char *why)
{
	char r[16];

	if (p1->state == P1_DEAD)
		return;
	if (why)
		ike_log(e, p1->state == P1_ESTABLISHED ? IKE_LOG_INFO : IKE_LOG_WARNING,
			"peer %s: ISAKMP SA %s: %s", ike_ip(p1->remote, r),
			p1->state == P1_ESTABLISHED ? "deleted" : "negotiation failed", why);
	p1->state = P1_DEAD;
	p1->retx.armed = false;
	for (struct ike_p2 *p2 = e->p2s; p2; p2 = p2->next)
		if (p2->p1 == p1) {
			if (p2->state != P2_INSTALLED)
				p2->state = P2_DEAD;
			p2->p1 = NULL;
		}
}

static unsigned half_open(const struct ike_engine *e, uint32_t remote, unsigned *per_remote)
{
	unsigned n = 0;

	*per_remote = 0;
	for (const struct ike_p1 *p = e->p1s; p; p = p->next)
		if (p->state != P1_ESTABLISHED && p->state != P1_DEAD) {
			n++;
			if (p->remote == remote)
				(*per_remote)++;
		}
	return n;
}

struct ike_p1 *ike_p1_established_for(struct ike_engine *e, uint32_t remote)
{
	struct ike_p1 *best = NULL;

	for (struct ike_p1 *p = e->p1s; p; p = p->next)
		if (p->state == P1_ESTABLISHED && p->remote == remote &&
		    (!best || p->established_ms > best->established_ms))
			best = p;
	return best;
}

static struct ike_p1 *p1_negotiating_for(struct ike_engine *e, uint32_t remote)
{
	for (struct ike_p1 *p = e->p1s; p; p = p->next)
		if (p->state != P1_ESTABLISHED && p->state != P1_DEAD && p->remote == remote)
			return p;
	return NULL;
}

/* ---- sending */

void ike_hdr_init(const struct ike_p1 *p1, struct isakmp_hdr *h, uint8_t exch, uint32_t msgid)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->icookie, p1->cky_i, 8);
	memcpy(h->rcookie, p1->cky_r, 8);
	h->exch = exch;
	h->msgid = msgid;
}

/* A SEND action to p1's peer: `zeros` zero bytes (the non-ESP marker),
 * then data. */
static int send_to_peer(struct ike_engine *e, const struct ike_p1 *p1, size_t zeros, const uint8_t *data,
			size_t len)
{
	struct ike_action a = {.type = IKE_ACT_SEND};

	a.send.data = malloc(zeros + len);
	if (!a.send.data)
		return -1;
	memset(a.send.data, 0, zeros);
	memcpy(a.send.data + zeros, data, len);
	a.send.len = zeros + len;
	a.send.src = p1->local;
	a.send.sport = p1->lport;
	a.send.dst = p1->remote;
	a.send.dport = p1->rport;
	ike_push(e, &a);
	return 0;
}

void ike_send_raw(struct ike_engine *e, struct ike_p1 *p1, const uint8_t *data, size_t len)
{
	size_t marker = p1->lport == IKE_NATT_PORT ? ISAKMP_NONE_MARKER_LEN : 0;

	if (send_to_peer(e, p1, marker, data, len) == 0)
		e->stats.tx++;
}

void ike_retx_clear(struct ike_retx *r)
{
	free(r->data);
	memset(r, 0, sizeof(*r));
}

int ike_send_msg(struct ike_engine *e, struct ike_p1 *p1, struct isakmp_buf *b, bool enc, uint8_t *iv,
		 struct ike_retx *retx, bool expect_reply)
{
	if (enc) {
		size_t bs = p1->keys.block, body = b->len - ISAKMP_HDR_LEN;
		static const uint8_t zeros[IKE_BLOCK_MAX];

		/* Pad with zeros to the block size; receivers find the end of
		 * the payloads by their lengths (RFC 2408 3.1: the header's
		 * length covers the padding). */
		if (body % bs)
			isakmp_put(b, zeros, bs - body % bs);
		b->p[19] |= ISAKMP_FLAG_E;
	}
	isakmp_finish(b);
	if (!isakmp_buf_ok(b)) {
		ike_log(e, IKE_LOG_ERR, "message does not fit %zu bytes", b->cap);
		return -1;
	}
	if (enc && ike_cbc(p1->keys.enc, p1->keys.enc_key, iv, b->p + ISAKMP_HDR_LEN, b->len - ISAKMP_HDR_LEN,
			   true) != 0)
		return -1;
	if (enc)
		p1->bytes += b->len - ISAKMP_HDR_LEN;
	if (retx) {
		uint8_t *copy = malloc(b->len);

		if (!copy)
			return -1;
		memcpy(copy, b->p, b->len);
		ike_retx_clear(retx);
		retx->data = copy;
		retx->len = b->len;
		retx->armed = expect_reply;
		retx->tries = 0;
		retx->next_ms = e->now + e->conf.retransmit_ms;
	}
	ike_send_raw(e, p1, b->p, b->len);
	return 0;
}

bool ike_seen_before(struct ike_last_rx *l, const uint8_t *d, size_t len)
{
	uint8_t dg[20];
	struct ike_chunk c = {d, len};

	if (ike_hash(GW_HASH_SHA1, &c, 1, dg) != 0)
		return false;
	if (l->set && !memcmp(dg, l->digest, 20))
		return true;
	memcpy(l->digest, dg, 20);
	l->set = true;
	return false;
}

/* ---- receiving */

int ike_decrypt_parse(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_hdr *h,
		      const uint8_t *dgram, size_t len, uint8_t *iv)
{
	size_t blen = h->len - ISAKMP_HDR_LEN;
	struct isakmp_err err;
	char r[16];

	(void)len;
	if (!p1->have_keys || blen == 0 || blen % p1->keys.block || blen > IKE_DGRAM_MAX) {
		e->stats.malformed++;
		ike_log(e, IKE_LOG_DEBUG, "peer %s: encrypted %s message of %zu bytes: not decryptable",
			ike_ip(p1->remote, r), isakmp_exch_name(h->exch), blen);
		return -1;
	}
	memcpy(e->rxbuf, dgram + ISAKMP_HDR_LEN, blen);
	if (ike_cbc(p1->keys.enc, p1->keys.enc_key, iv, e->rxbuf, blen, false) != 0)
		return -1;
	p1->bytes += blen;
	e->msg->hdr = *h;
	if (isakmp_parse_payloads(h->np, e->rxbuf, blen, true, e->msg, &err) != 0) {
		e->stats.decrypt_failures++;
		ike_log(e, IKE_LOG_DEBUG, "peer %s: decrypted %s message malformed: %s", ike_ip(p1->remote, r),
			isakmp_exch_name(h->exch), err.msg);
		return -1;
	}
	return 0;
}

static struct ike_p1 *p1_by_cookies(struct ike_engine *e, const struct isakmp_hdr *h)
{
	static const uint8_t zero[8];

	for (struct ike_p1 *p = e->p1s; p; p = p->next) {
		if (p->state == P1_DEAD || memcmp(p->cky_i, h->icookie, 8))
			continue;
		if (!memcmp(p->cky_r, h->rcookie, 8))
			return p;
		/* our MM1/AM1 is answered: the responder's cookie is new */
		if (p->initiator && !memcmp(p->cky_r, zero, 8) &&
		    (p->state == P1_MM1_SENT || p->state == P1_AM1_SENT))
			return p;
		/* a retransmitted MM1/AM1 of a peer we answered */
		if (!p->initiator && !memcmp(h->rcookie, zero, 8))
			return p;
	}
	return NULL;
}

static void info_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_hdr *h,
		       const uint8_t *dgram, size_t len);

void ike_input(struct ike_engine *e, uint64_t now_ms, uint32_t local_addr, uint16_t local_port,
	       uint32_t remote_addr, uint16_t remote_port, const uint8_t *dgram, size_t len)
{
	static const uint8_t zero[8];
	struct isakmp_hdr h;
	struct isakmp_err err;
	struct ike_p1 *p1;
	char r[16];

	e->now = now_ms;
	e->stats.rx++;
	if (local_port == IKE_NATT_PORT) {
		/* RFC 3948 2.2/2.3: a NAT keepalive is one 0xff byte; IKE has
		 * the 4-byte zero non-ESP marker; anything else is ESP. */
		if (len == 1 && dgram[0] == 0xff) {
			e->stats.keepalives++;
			return;
		}
		if (len < ISAKMP_NONE_MARKER_LEN || memcmp(dgram, zero, ISAKMP_NONE_MARKER_LEN)) {
			e->stats.malformed++;
			return;
		}
		dgram += ISAKMP_NONE_MARKER_LEN;
		len -= ISAKMP_NONE_MARKER_LEN;
	}
	if (isakmp_hdr_parse(dgram, len, &h, &err) != 0) {
		e->stats.malformed++;
		ike_log(e, IKE_LOG_DEBUG, "peer %s: malformed datagram: %s", ike_ip(remote_addr, r), err.msg);
		return;
	}
	len = h.len;
	p1 = p1_by_cookies(e, &h);
	if (!p1) {
		if (!memcmp(h.rcookie, zero, 8) && h.msgid == 0 &&
		    (h.exch == ISAKMP_EXCH_MAIN || h.exch == ISAKMP_EXCH_AGGRESSIVE) &&
		    !(h.flags & ISAKMP_FLAG_E)) {
			unsigned per, all = half_open(e, remote_addr, &per);

			if (all >= e->conf.max_half_open || per >= e->conf.max_half_open_per_peer) {
				e->stats.half_open_drops++;
				ike_log(e, IKE_LOG_WARNING,
					"peer %s: too many phase 1 negotiations in progress (%u, %u from it): dropped",
					ike_ip(remote_addr, r), all, per);
				return;
			}
			ike_p1_respond(e, local_addr, local_port, remote_addr, remote_port, &h, dgram, len);
			return;
		}
		e->stats.bad_cookie++;
		ike_log(e, IKE_LOG_DEBUG, "peer %s: %s message with unknown cookies dropped",
			ike_ip(remote_addr, r), isakmp_exch_name(h.exch));
		return;
	}
	if (p1->remote != remote_addr) {
		e->stats.bad_cookie++;
		return;
	}
	/* Port floating (RFC 3947 4): the peer moved to 4500, or a NAT
	 * mapped it anew. Only keyed (encrypted) messages move us. */
	if ((h.flags & ISAKMP_FLAG_E) && p1->have_keys &&
	    (local_port != p1->lport || remote_port != p1->rport) && local_port == IKE_NATT_PORT) {
		ike_log(e, IKE_LOG_INFO, "peer %s: NAT-T: floating to %u -> %u", ike_ip(remote_addr, r),
			local_port, remote_port);
		p1->lport = local_port;
		p1->rport = remote_port;
		p1->floated = true;
	}
	switch (h.exch) {
	case ISAKMP_EXCH_MAIN:
	case ISAKMP_EXCH_AGGRESSIVE:
		ike_p1_input(e, p1, &h, dgram, len);
		break;
	case ISAKMP_EXCH_INFO:
		info_input(e, p1, &h, dgram, len);
		break;
	case ISAKMP_EXCH_QUICK:
		if (p1->state != P1_ESTABLISHED) {
			e->stats.out_of_order++;
			ike_log(e, IKE_LOG_DEBUG, "peer %s: quick mode while phase 1 is incomplete: dropped",
				ike_ip(remote_addr, r));
			break;
		}
		ike_qm_input(e, p1, &h, dgram, len);
		break;
	}
	if (p1->state != P1_DEAD)
		p1->last_heard_ms = now_ms;
}

/* ---- informational exchanges (RFC 2409 5.7) */

/* Header and HASH(1) placeholder; returns where the hash goes. */
static size_t info_begin(struct ike_p1 *p1, struct isakmp_buf *b, uint8_t *mem, uint32_t *msgid)
{
	struct isakmp_hdr h;
	static const uint8_t zeros[IKE_HASH_MAX];
	size_t off;

	do {
		ike_random(msgid, sizeof(*msgid));
	} while (*msgid == 0);
	ike_hdr_init(p1, &h, ISAKMP_EXCH_INFO, *msgid);
	isakmp_buf_init(b, mem, IKE_DGRAM_MAX);
	isakmp_put_hdr(b, &h);
	off = isakmp_pl_begin(b, ISAKMP_NP_HASH);
	isakmp_put(b, zeros, p1->keys.prf_len);
	isakmp_pl_end(b, off);
	return off + ISAKMP_GEN_LEN;
}

static void info_end(struct ike_engine *e, struct ike_p1 *p1, struct isakmp_buf *b, size_t hash_off,
		     uint32_t msgid)
{
	size_t rest = hash_off + p1->keys.prf_len;
	uint8_t iv[IKE_BLOCK_MAX];

	if (!isakmp_buf_ok(b) || ike_qm_hash(&p1->keys, false, msgid, b->p + rest, b->len - rest, NULL, 0,
					     NULL, 0, b->p + hash_off) != 0)
		return;
	if (ike_p2_iv(&p1->keys, p1->state == P1_ESTABLISHED ? p1->p1_last : p1->keys.iv, msgid, iv) != 0)
		return;
	ike_send_msg(e, p1, b, true, iv, NULL, false);
}

void ike_send_info_notify(struct ike_engine *e, struct ike_p1 *p1, uint8_t proto, uint16_t type,
			  const uint8_t *spi, uint8_t spi_size, const void *data, size_t len)
{
	struct isakmp_buf b;
	uint32_t msgid;
	size_t hoff;

	if (!p1->have_keys) {
		/* Before keys: an unprotected notification (RFC 2408 5). */
		struct isakmp_hdr h;

		ike_hdr_init(p1, &h, ISAKMP_EXCH_INFO, 0);
		isakmp_buf_init(&b, e->buf, IKE_DGRAM_MAX);
		isakmp_put_hdr(&b, &h);
		isakmp_put_notify(&b, proto, type, spi, spi_size, data, len);
		ike_send_msg(e, p1, &b, false, NULL, NULL, false);
		return;
	}
	hoff = info_begin(p1, &b, e->buf, &msgid);
	isakmp_put_notify(&b, proto, type, spi, spi_size, data, len);
	info_end(e, p1, &b, hoff, msgid);
}

static void send_info_delete(struct ike_engine *e, struct ike_p1 *p1, uint8_t proto, const uint8_t *spis,
			     uint8_t spi_size, uint16_t n)
{
	struct isakmp_buf b;
	uint32_t msgid;
	size_t hoff;

	if (!p1 || p1->state != P1_ESTABLISHED)
		return;
	hoff = info_begin(p1, &b, e->buf, &msgid);
	isakmp_put_delete(&b, proto, spi_size, spis, n);
	info_end(e, p1, &b, hoff, msgid);
}

void ike_p2_delete_sa(struct ike_engine *e, const struct ike_p2 *p2, uint8_t isakmp_proto, uint32_t spi,
		      enum gw_sa_dir dir)
{
	struct ike_action a = {.type = IKE_ACT_DELETE_SA};
	uint8_t proto = isakmp_proto == ISAKMP_PROTO_AH ? IPPROTO_AH : IPPROTO_ESP;

	a.del.id = dir == GW_SA_IN ? (struct ike_sa_id){.spi = spi, .src = p2->remote, .dst = p2->local,
							 .proto = proto, .dir = GW_SA_IN}
				   : (struct ike_sa_id){.spi = spi, .src = p2->local, .dst = p2->remote,
							 .proto = proto, .dir = GW_SA_OUT};
	ike_push(e, &a);
}

static void emit_delete(struct ike_engine *e, struct ike_p2 *p2)
{
	ike_p2_delete_sa(e, p2, p2->ch.protocol, p2->spi_in, GW_SA_IN);
	ike_p2_delete_sa(e, p2, p2->ch.protocol, p2->spi_out, GW_SA_OUT);
	if (p2->bundle) {
		ike_p2_delete_sa(e, p2, ISAKMP_PROTO_AH, p2->spi_in_ah, GW_SA_IN);
		ike_p2_delete_sa(e, p2, ISAKMP_PROTO_AH, p2->spi_out_ah, GW_SA_OUT);
	}
}

/* Remember that a policy's last SA pair reached its hard limit. */
static void mark_expired(struct ike_engine *e, uint32_t uid)
{
	for (unsigned i = 0; i < e->n_expired; i++)
		if (e->expired[i] == uid)
			return;
	if (e->n_expired < sizeof(e->expired) / sizeof(e->expired[0]))
		e->expired[e->n_expired++] = uid;
}

static void unmark_expired(struct ike_engine *e, uint32_t uid)
{
	for (unsigned i = 0; i < e->n_expired; i++)
		if (e->expired[i] == uid) {
			e->expired[i] = e->expired[--e->n_expired];
			return;
		}
}

void ike_p2_installed_note(struct ike_engine *e, uint32_t policy_uid)
{
	unmark_expired(e, policy_uid);
}

void ike_p2_delete(struct ike_engine *e, struct ike_p2 *p2, bool notify_peer)
{
	char r[16];

	if (p2->state == P2_INSTALLED) {
		struct ike_p1 *p1 = p2->p1 ? p2->p1 : ike_p1_established_for(e, p2->remote);
		uint32_t spi = htonl(p2->spi_in), spi_ah = htonl(p2->spi_in_ah);

		emit_delete(e, p2);
		ike_log(e, IKE_LOG_INFO, "peer %s: SA pair in %08X / out %08X deleted%s", ike_ip(p2->remote, r),
			p2->spi_in, p2->spi_out, p2->bundle ? " (with its AH pair)" : "");
		if (notify_peer)
			send_info_delete(e, p1, p2->ch.protocol, (const uint8_t *)&spi, 4, 1);
		if (notify_peer && p2->bundle)
			send_info_delete(e, p1, ISAKMP_PROTO_AH, (const uint8_t *)&spi_ah, 4, 1);
	}
	p2->state = P2_DEAD;
	p2->retx.armed = false;
}

/* INITIAL-CONTACT (RFC 2407 4.6.3.3): the peer has rebooted; everything
 * we hold with it except the ISAKMP SA that carried the notify is stale. */
void ike_initial_contact(struct ike_engine *e, struct ike_p1 *keep)
{
	char r[16];

	ike_log(e, IKE_LOG_INFO, "peer %s: INITIAL-CONTACT: dropping its old SAs", ike_ip(keep->remote, r));
	for (struct ike_p1 *p = e->p1s; p; p = p->next)
		if (p != keep && p->remote == keep->remote && p->state == P1_ESTABLISHED)
			ike_p1_kill(e, p, "INITIAL-CONTACT from the peer");
	for (struct ike_p2 *p2 = e->p2s; p2; p2 = p2->next)
		if (p2->remote == keep->remote && p2->state == P2_INSTALLED && p2->p1 != keep)
			ike_p2_delete(e, p2, false);
}

static bool info_replayed(struct ike_p1 *p1, uint32_t msgid)
{
	for (unsigned i = 0; i < 16; i++)
		if (p1->info_ids[i] == msgid)
			return true;
	p1->info_ids[p1->info_pos++ % 16] = msgid;
	return false;
}

static void dpd_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_notify_pl *n)
{
	uint32_t seq;
	uint8_t spi[16];
	char r[16];

	if (n->spi_size != 16 || n->data_len != 4 || memcmp(n->spi, p1->cky_i, 8) ||
	    memcmp(n->spi + 8, p1->cky_r, 8)) {
		e->stats.malformed++;
		return;
	}
	seq = (uint32_t)n->data[0] << 24 | (uint32_t)n->data[1] << 16 | (uint32_t)n->data[2] << 8 | n->data[3];
	if (n->type == ISAKMP_N_DPD_R_U_THERE) {
		memcpy(spi, p1->cky_i, 8);
		memcpy(spi + 8, p1->cky_r, 8);
		ike_log(e, IKE_LOG_DEBUG, "peer %s: R-U-THERE %u, acknowledged", ike_ip(p1->remote, r), seq);
		p1->dpd_seq_in = seq;
		p1->dpd_seq_in_set = true;
		ike_send_info_notify(e, p1, ISAKMP_PROTO_ISAKMP, ISAKMP_N_DPD_R_U_THERE_ACK, spi, 16, n->data, 4);
	} else if (seq == p1->dpd_seq_out) {
		p1->dpd_outstanding = 0;
	} else {
		e->stats.out_of_order++;
	}
}

static void delete_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_delete_pl *d)
{
	char r[16];

	if (d->proto == ISAKMP_PROTO_ISAKMP) {
		for (unsigned i = 0; i < d->n_spi && d->spi_size == 16; i++) {
			const uint8_t *s = d->spis + 16 * i;

			for (struct ike_p1 *p = e->p1s; p; p = p->next)
				if (p->remote == p1->remote && !memcmp(s, p->cky_i, 8) && !memcmp(s + 8, p->cky_r, 8))
					ike_p1_kill(e, p, "Delete from the peer");
		}
		return;
	}
	if ((d->proto != ISAKMP_PROTO_ESP && d->proto != ISAKMP_PROTO_AH) || d->spi_size != 4) {
		e->stats.malformed++;
		return;
	}
	for (unsigned i = 0; i < d->n_spi; i++) {
		const uint8_t *s = d->spis + 4 * i;
		uint32_t spi = (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
		bool found = false;

		/* The peer names its inbound SA: our outbound. Both go. */
		for (struct ike_p2 *p2 = e->p2s; p2; p2 = p2->next)
			if (p2->state == P2_INSTALLED && p2->remote == p1->remote &&
			    ((p2->spi_out == spi && p2->ch.protocol == d->proto) ||
			     (p2->bundle && p2->spi_out_ah == spi && d->proto == ISAKMP_PROTO_AH))) {
				ike_log(e, IKE_LOG_INFO, "peer %s: Delete for %s SPI %08X", ike_ip(p1->remote, r),
					isakmp_proto_name(d->proto), spi);
				ike_p2_delete(e, p2, false);
				found = true;
			}
		if (!found)
			ike_log(e, IKE_LOG_DEBUG, "peer %s: Delete for unknown SPI %08X", ike_ip(p1->remote, r), spi);
	}
}

/* The peer answered our keyed phase 1 message (main mode 5, aggressive 2)
 * with an encrypted informational that our keys cannot read: its keys
 * differ from ours, which with the same DH exchange means another
 * pre-shared key (strongSwan answers a main mode 5 it cannot decrypt
 * with PAYLOAD-MALFORMED, encrypted with its own keys). Unauthenticated:
 * logged once, the negotiation goes on (and times out). */
static void undecryptable_answer(struct ike_engine *e, struct ike_p1 *p1)
{
	char r[16];

	if ((p1->state != P1_MM5_SENT && p1->state != P1_AM2_SENT) || p1->undecryptable_logged)
		return;
	p1->undecryptable_logged = true;
	ike_log(e, IKE_LOG_ERR,
		"peer %s: cannot decrypt its answer to our %s mode message %u — probably a wrong pre-shared key",
		ike_ip(p1->remote, r), p1->aggressive ? "aggressive" : "main", p1->aggressive ? 2 : 5);
}

static void info_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_hdr *h,
		       const uint8_t *dgram, size_t len)
{
	struct isakmp_msg *m = e->msg;
	struct isakmp_err err;
	uint8_t iv[IKE_BLOCK_MAX], want[IKE_HASH_MAX];
	char r[16];

	if (!(h->flags & ISAKMP_FLAG_E)) {
		/* Unprotected: only believed while no keys exist, and only to
		 * end our own negotiation (the peer refused it). */
		m->hdr = *h;
		if (isakmp_parse_payloads(h->np, dgram + ISAKMP_HDR_LEN, len - ISAKMP_HDR_LEN, false, m, &err)) {
			e->stats.malformed++;
			return;
		}
		for (unsigned i = 0; i < m->n_notify; i++) {
			ike_log(e, IKE_LOG_WARNING, "peer %s: notification %s (%u)%s", ike_ip(p1->remote, r),
				isakmp_notify_name(m->notify[i].type), m->notify[i].type,
				p1->have_keys ? ", unprotected: ignored" : "");
			if (!p1->have_keys && p1->initiator && m->notify[i].type < 8192)
				ike_p1_kill(e, p1, isakmp_notify_name(m->notify[i].type));
		}
		return;
	}
	if (!p1->have_keys) {
		e->stats.out_of_order++;
		return;
	}
	if (ike_p2_iv(&p1->keys, p1->state == P1_ESTABLISHED ? p1->p1_last : p1->keys.iv, h->msgid, iv) != 0)
		return;
	if (ike_decrypt_parse(e, p1, h, dgram, len, iv) != 0) {
		undecryptable_answer(e, p1);
		return;
	}
	if (m->first_np != ISAKMP_NP_HASH || m->hash.len != p1->keys.prf_len ||
	    ike_qm_hash(&p1->keys, false, h->msgid, m->after_hash, m->after_hash_len, NULL, 0, NULL, 0, want) ||
	    memcmp(want, m->hash.data, m->hash.len)) {
		e->stats.auth_failures++;
		ike_log(e, IKE_LOG_WARNING, "peer %s: informational message with a bad HASH(1): dropped",
			ike_ip(p1->remote, r));
		undecryptable_answer(e, p1);
		return;
	}
	if (info_replayed(p1, h->msgid)) {
		e->stats.out_of_order++;
		return;
	}
	for (unsigned i = 0; i < m->n_notify; i++) {
		const struct isakmp_notify_pl *n = &m->notify[i];

		switch (n->type) {
		case ISAKMP_N_DPD_R_U_THERE:
		case ISAKMP_N_DPD_R_U_THERE_ACK:
			dpd_input(e, p1, n);
			break;
		case ISAKMP_N_INITIAL_CONTACT:
			ike_initial_contact(e, p1);
			break;
		default:
			ike_log(e, n->type < 8192 ? IKE_LOG_WARNING : IKE_LOG_INFO, "peer %s: notification %s (%u)",
				ike_ip(p1->remote, r), isakmp_notify_name(n->type), n->type);
			/* An error about one of our quick modes ends it. strongSwan
			 * refuses a quick mode before it has taken an SPI from it:
			 * its NO-PROPOSAL-CHOSEN carries SPI 0 (or none), which then
			 * means each of our quick modes in flight on this ISAKMP SA. */
			if (n->type < 8192 && (n->spi_size == 4 || n->spi_size == 0)) {
				uint32_t spi = n->spi_size == 0 ? 0 :
					       (uint32_t)n->spi[0] << 24 | (uint32_t)n->spi[1] << 16 |
					       (uint32_t)n->spi[2] << 8 | n->spi[3];

				for (struct ike_p2 *p2 = e->p2s; p2; p2 = p2->next)
					if (p2->p1 == p1 && p2->state == P2_QM1_SENT &&
					    (p2->spi_in == spi || (p2->bundle && p2->spi_in_ah == spi) ||
					     (spi == 0 && (n->spi_size == 0 || n->proto == p2->ch.protocol ||
							   (p2->bundle && n->proto == ISAKMP_PROTO_AH))))) {
						ike_log(e, IKE_LOG_WARNING, "peer %s: quick mode refused: %s",
							ike_ip(p1->remote, r), isakmp_notify_name(n->type));
						p2->state = P2_DEAD;
					}
			}
			break;
		}
	}
	for (unsigned i = 0; i < m->n_delete; i++)
		delete_input(e, p1, &m->del[i]);
}

/* ---- dataplane events */

static int start_for_policy(struct ike_engine *e, const struct gw_policy *pol, uint32_t replaces)
{
	const struct gw_peer *peer;
	struct ike_p1 *p1;
	char r[16];

	p1 = ike_p1_established_for(e, pol->sa_dst_address);
	if (p1)
		return ike_qm_initiate(e, p1, pol, replaces);
	peer = ike_peer_find(e, pol->sa_src_address, pol->sa_dst_address);
	if (!peer) {
		ike_log(e, IKE_LOG_WARNING, "peer not configured for %s (policy uid %u)",
			ike_ip(pol->sa_dst_address, r), pol->uid);
		return -1;
	}
	p1 = p1_negotiating_for(e, pol->sa_dst_address);
	if (!p1) {
		p1 = ike_p1_new(e, true, peer, pol->sa_src_address ? pol->sa_src_address : peer->local_address,
				IKE_PORT, pol->sa_dst_address, peer->port ? peer->port : IKE_PORT);
		if (!p1 || ike_p1_initiate(e, p1) != 0)
			return -1;
	}
	for (unsigned i = 0; i < p1->n_pending; i++)
		if (p1->pending[i] == pol->uid)
			return 0;
	if (p1->n_pending < IKE_MAX_PENDING)
		p1->pending[p1->n_pending++] = pol->uid;
	return 0;
}

int ike_acquire(struct ike_engine *e, uint64_t now_ms, uint32_t policy_uid, uint32_t pkt_src,
		uint32_t pkt_dst, uint8_t pkt_proto)
{
	const struct gw_policy *pol;
	char s[16], d[16];

	e->now = now_ms;
	pol = ike_policy_find(e, policy_uid);
	if (!pol || pol->disabled || pol->action != GW_ACTION_ENCRYPT || pol->manual_sa[0]) {
		ike_log(e, IKE_LOG_WARNING, "ACQUIRE for policy uid %u: no such IKE policy", policy_uid);
		return -1;
	}
	for (struct ike_p2 *p2 = e->p2s; p2; p2 = p2->next) {
		if (p2->pol.uid != policy_uid)
			continue;
		if (p2->state == P2_QM1_SENT || p2->state == P2_QM2_SENT)
			return 0; /* already negotiating */
		/* Workers raise an ACQUIRE for every packet that finds no SA
		 * (at most one a second per policy) until the tables with the
		 * new pair are published: one raised just before that arrives
		 * just after the install and would negotiate a duplicate pair.
		 * Later ones are real (the pair is gone from the tables, e.g.
		 * an EXPIRE was lost) and start a new quick mode. */
		if (p2->state == P2_INSTALLED && e->now - p2->installed_ms < IKE_ACQUIRE_HOLDOFF_MS) {
			e->stats.acquires_ignored++;
			ike_log(e, IKE_LOG_DEBUG, "ACQUIRE policy uid %u ignored: a pair was installed %llu ms ago",
				policy_uid, (unsigned long long)(e->now - p2->installed_ms));
			return 0;
		}
	}
	ike_log(e, IKE_LOG_DEBUG, "ACQUIRE policy uid %u (%s -> %s proto %u)", policy_uid, ike_ip(pkt_src, s),
		ike_ip(pkt_dst, d), pkt_proto);
	return start_for_policy(e, pol, 0);
}

static struct ike_p2 *p2_by_sa(struct ike_engine *e, const struct ike_sa_id *id)
{
	for (struct ike_p2 *p2 = e->p2s; p2; p2 = p2->next) {
		if (p2->state != P2_INSTALLED)
			continue;
		if (id->dir == GW_SA_IN && p2->local == id->dst &&
		    (p2->spi_in == id->spi || (p2->bundle && p2->spi_in_ah == id->spi)))
			return p2;
		if (id->dir == GW_SA_OUT && p2->remote == id->dst &&
		    (p2->spi_out == id->spi || (p2->bundle && p2->spi_out_ah == id->spi)))
			return p2;
	}
	return NULL;
}

int ike_expire(struct ike_engine *e, uint64_t now_ms, const struct ike_sa_id *id, bool hard)
{
	struct ike_p2 *p2;
	char r[16];

	e->now = now_ms;
	p2 = p2_by_sa(e, id);
	if (!p2)
		return -1;
	if (hard) {
		uint32_t uid = p2->pol.uid;
		bool other = false;

		ike_log(e, IKE_LOG_INFO, "peer %s: SA %08X reached its hard limit", ike_ip(p2->remote, r), id->spi);
		ike_p2_delete(e, p2, true);
		for (struct ike_p2 *o = e->p2s; o; o = o->next)
			if (o->pol.uid == uid && o->state == P2_INSTALLED)
				other = true;
		if (!other)
			mark_expired(e, uid);
		return 0;
	}
	if (p2->rekeying)
		return 0;
	p2->rekeying = true;
	/* Both ends rekey on their own soft limits: when the peer's rekey
	 * has already given this policy a newer pair, a second one would
	 * only double the SAs with each generation. */
	for (const struct ike_p2 *o = e->p2s; o; o = o->next)
		if (o != p2 && o->state == P2_INSTALLED && o->pol.uid == p2->pol.uid &&
		    o->remote == p2->remote && o->installed_ms > p2->installed_ms) {
			ike_log(e, IKE_LOG_INFO,
				"peer %s: SA %08X reached its soft limit: already replaced by %08X, not rekeying",
				ike_ip(p2->remote, r), id->spi, o->spi_in);
			return 0;
		}
	ike_log(e, IKE_LOG_INFO, "peer %s: SA %08X reached its soft limit: rekeying", ike_ip(p2->remote, r),
		id->spi);
	return start_for_policy(e, &p2->pol, p2->spi_in);
}

void ike_flush(struct ike_engine *e, uint64_t now_ms, uint32_t remote_addr)
{
	e->now = now_ms;
	for (struct ike_p2 *p2 = e->p2s; p2; p2 = p2->next)
		if (!remote_addr || p2->remote == remote_addr)
			ike_p2_delete(e, p2, true);
	for (struct ike_p1 *p = e->p1s; p; p = p->next)
		if ((!remote_addr || p->remote == remote_addr) && p->state != P1_DEAD) {
			if (p->state == P1_ESTABLISHED) {
				uint8_t spi[16];

				memcpy(spi, p->cky_i, 8);
				memcpy(spi + 8, p->cky_r, 8);
				send_info_delete(e, p, ISAKMP_PROTO_ISAKMP, spi, 16, 1);
			}
			ike_p1_kill(e, p, "flushed");
		}
}

/* ---- timers */

static bool retx_due(struct ike_engine *e, struct ike_retx *r, struct ike_p1 *p1, bool *give_up)
{
	*give_up = false;
	if (!r->armed || e->now < r->next_ms || !r->data)
		return false;
	if (r->tries >= e->conf.retransmit_tries) {
		*give_up = true;
		return false;
	}
	r->tries++;
	/* back-off doubling up to 8x: 2, 4, 8, 16, 16 s by default, then
	 * one more interval for the last answer */
	r->next_ms = e->now + ((uint64_t)e->conf.retransmit_ms << (r->tries < 3 ? r->tries : 3));
	e->stats.retransmits_tx++;
	ike_send_raw(e, p1, r->data, r->len);
	return true;
}

static void dpd_tick(struct ike_engine *e, struct ike_p1 *p1)
{
	uint64_t ivl = p1->peer.dpd_interval * 1000;
	uint8_t spi[16], seq[4];
	char r[16];

	if (!ivl || !p1->peer_dpd || e->now < p1->dpd_next_ms)
		return;
	p1->dpd_next_ms = e->now + ivl;
	if (p1->dpd_outstanding == 0 && e->now - p1->last_heard_ms < ivl)
		return; /* heard from it recently: alive */
	if (p1->dpd_outstanding >= (p1->peer.dpd_maximum_failures ? p1->peer.dpd_maximum_failures : 5)) {
		ike_log(e, IKE_LOG_WARNING, "peer %s: no answer to %u DPD requests: peer is dead",
			ike_ip(p1->remote, r), p1->dpd_outstanding);
		for (struct ike_p2 *p2 = e->p2s; p2; p2 = p2->next)
			if (p2->remote == p1->remote)
				ike_p2_delete(e, p2, false);
		ike_p1_kill(e, p1, "dead peer detection");
		return;
	}
	p1->dpd_seq_out++;
	p1->dpd_outstanding++;
	memcpy(spi, p1->cky_i, 8);
	memcpy(spi + 8, p1->cky_r, 8);
	seq[0] = (uint8_t)(p1->dpd_seq_out >> 24);
	seq[1] = (uint8_t)(p1->dpd_seq_out >> 16);
	seq[2] = (uint8_t)(p1->dpd_seq_out >> 8);
	seq[3] = (uint8_t)p1->dpd_seq_out;
	ike_send_info_notify(e, p1, ISAKMP_PROTO_ISAKMP, ISAKMP_N_DPD_R_U_THERE, spi, 16, seq, 4);
}

#define HALF_OPEN_MS 60000

/* Phase 1 lifebytes (RFC 2407 4.5 / 2409 5.1: the amount of data the
 * ISAKMP SA protects): it is deleted like at the end of its lifetime and
 * negotiated again when a quick mode needs it. */
static bool p1_bytes_used_up(const struct ike_p1 *p1)
{
	return p1->lifebytes && p1->bytes >= p1->lifebytes;
}

static bool keepalive_needed(const struct ike_engine *e, const struct ike_p1 *p1)
{
	(void)e;
	return p1->state == P1_ESTABLISHED && p1->nat_local && p1->lport == IKE_NATT_PORT;
}

/* RFC 3948 2.3/4: behind a NAT, one 0xFF byte to the peer's NAT-T port
 * keeps the NAT's mapping (and so the peer's way back to us) alive. */
static void keepalive_tick(struct ike_engine *e, struct ike_p1 *p1)
{
	static const uint8_t keepalive = 0xff;

	if (!keepalive_needed(e, p1))
		return;
	if (!p1->keepalive_next_ms)
		p1->keepalive_next_ms = e->now + e->conf.natt_keepalive_ms;
	if (e->now < p1->keepalive_next_ms)
		return;
	p1->keepalive_next_ms = e->now + e->conf.natt_keepalive_ms;
	if (send_to_peer(e, p1, 0, &keepalive, 1) == 0)
		e->stats.keepalives_tx++;
}

void ike_tick(struct ike_engine *e, uint64_t now_ms)
{
	struct ike_p1 **pp;
	struct ike_p2 **qq;
	bool give_up;
	char r[16];

	e->now = now_ms;
	for (struct ike_p1 *p1 = e->p1s; p1; p1 = p1->next) {
		if (p1->state == P1_DEAD)
			continue;
		retx_due(e, &p1->retx, p1, &give_up);
		if (give_up) {
			ike_p1_kill(e, p1, "phase 1 negotiation failed due to time up");
			continue;
		}
		if (p1->state != P1_ESTABLISHED) {
			/* initiators give up by their retransmission schedule */
			if (!p1->retx.armed && now_ms - p1->created_ms > HALF_OPEN_MS)
				ike_p1_kill(e, p1, "phase 1 negotiation timed out");
			continue;
		}
		if ((p1->expire_ms && now_ms >= p1->expire_ms) || p1_bytes_used_up(p1)) {
			uint8_t spi[16];

			memcpy(spi, p1->cky_i, 8);
			memcpy(spi + 8, p1->cky_r, 8);
			send_info_delete(e, p1, ISAKMP_PROTO_ISAKMP, spi, 16, 1);
			ike_p1_kill(e, p1, p1_bytes_used_up(p1) ? "lifebytes reached" : "lifetime expired");
			continue;
		}
		dpd_tick(e, p1);
		keepalive_tick(e, p1);
	}
	for (struct ike_p2 *p2 = e->p2s; p2; p2 = p2->next) {
		if (p2->state == P2_DEAD || p2->state == P2_INSTALLED || !p2->p1)
			continue;
		retx_due(e, &p2->retx, p2->p1, &give_up);
		if (give_up || now_ms - p2->created_ms > HALF_OPEN_MS) {
			ike_log(e, IKE_LOG_WARNING, "peer %s: phase 2 negotiation failed due to time up",
				ike_ip(p2->remote, r));
			p2->state = P2_DEAD;
		}
	}
	/* reap */
	for (pp = &e->p1s; *pp;) {
		if ((*pp)->state == P1_DEAD) {
			struct ike_p1 *d = *pp;

			*pp = d->next;
			p1_free(d);
		} else {
			pp = &(*pp)->next;
		}
	}
	for (qq = &e->p2s; *qq;) {
		if ((*qq)->state == P2_DEAD) {
			struct ike_p2 *d = *qq;

			*qq = d->next;
			if (d->in_early) {
				/* its quick mode never completed: the inbound SA(s)
				 * installed at message 2 go */
				ike_p2_delete_sa(e, d, d->ch.protocol, d->spi_in, GW_SA_IN);
				if (d->bundle)
					ike_p2_delete_sa(e, d, ISAKMP_PROTO_AH, d->spi_in_ah, GW_SA_IN);
			}
			ike_p2_free(d);
		} else {
			qq = &(*qq)->next;
		}
	}
}

uint64_t ike_next_timeout(const struct ike_engine *e)
{
	uint64_t t = UINT64_MAX;

	for (const struct ike_p1 *p1 = e->p1s; p1; p1 = p1->next) {
		if (p1->retx.armed && p1->retx.next_ms < t)
			t = p1->retx.next_ms;
		if (p1->state == P1_ESTABLISHED && p1->expire_ms && p1->expire_ms < t)
			t = p1->expire_ms;
		if (p1->state == P1_ESTABLISHED && p1_bytes_used_up(p1))
			t = 0;
		if (keepalive_needed(e, p1) && p1->keepalive_next_ms < t)
			t = p1->keepalive_next_ms;
		if (p1->state == P1_ESTABLISHED && p1->peer.dpd_interval && p1->peer_dpd && p1->dpd_next_ms < t)
			t = p1->dpd_next_ms;
		if (p1->state != P1_ESTABLISHED && p1->created_ms + HALF_OPEN_MS < t)
			t = p1->created_ms + HALF_OPEN_MS;
	}
	for (const struct ike_p2 *p2 = e->p2s; p2; p2 = p2->next)
		if (p2->retx.armed && p2->retx.next_ms < t)
			t = p2->retx.next_ms;
	return t;
}

/* ---- views */

unsigned ike_remote_peers(const struct ike_engine *e, uint64_t now_ms, time_t wall_now,
			  struct gw_remote_peer_view *out, unsigned max)
{
	unsigned n = 0;

	/* Counts every peer and fills the first max: max = 0 sizes the view. */
	for (const struct ike_p1 *p1 = e->p1s; p1; p1 = p1->next) {
		struct gw_remote_peer_view *v;

		if (p1->state == P1_DEAD)
			continue;
		if (n++ >= max)
			continue;
		v = &out[n - 1];
		memset(v, 0, sizeof(*v));
		v->local_address = p1->local;
		v->remote_address = p1->remote;
		snprintf(v->state, sizeof(v->state), "%s", ike_p1_state_name(p1->state));
		v->side = p1->initiator ? GW_SIDE_INITIATOR : GW_SIDE_RESPONDER;
		if (p1->state == P1_ESTABLISHED)
			v->established = wall_now - (time_t)((now_ms - p1->established_ms) / 1000);
		for (const struct ike_p2 *p2 = e->p2s; p2; p2 = p2->next)
			if (p2->p1 == p1 && p2->state == P2_INSTALLED) {
				v->ph2_total++;
				if (!p2->rekeying)
					v->ph2_active++;
			}
	}
	return n;
}

enum gw_ph2_state ike_policy_ph2_state(const struct ike_engine *e, uint32_t policy_uid)
{
	for (const struct ike_p2 *p2 = e->p2s; p2; p2 = p2->next)
		if (p2->pol.uid == policy_uid && p2->state == P2_INSTALLED)
			return GW_PH2_ESTABLISHED;
	for (unsigned i = 0; i < e->n_expired; i++)
		if (e->expired[i] == policy_uid)
			return GW_PH2_EXPIRED;
	return GW_PH2_NO_PHASE2;
}

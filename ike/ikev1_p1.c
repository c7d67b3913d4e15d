/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Phase 1 (RFC 2409 5, 5.4): main mode (6 messages) and aggressive mode
 * (3 messages) with pre-shared keys, both roles; NAT-T detection and
 * floating (RFC 3947 3, 4); DPD and NAT-T vendor IDs.
 *
 *   main:        I: SA                  ->  R: SA
 *                I: KE, Ni [NAT-D x2]   ->  R: KE, Nr [NAT-D x2]
 *                I: *ID, HASH_I [N(IC)] ->  R: *ID, HASH_R
 *   aggressive:  I: SA, KE, Ni, ID      ->  R: SA, KE, Nr, ID, HASH_R [NAT-D x2]
 *                I: HASH_I [NAT-D x2]
 * (* = encrypted)
 */
#include "ikev1_priv.h"

#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
	[P1_MM1_SENT] = "message-1-sent",
	[P1_MM3_SENT] = "message-3-sent",
	[P1_MM5_SENT] = "message-5-sent",
	[P1_MM2_SENT] = "message-2-sent",
	[P1_MM4_SENT] = "message-4-sent",
	[P1_AM1_SENT] = "message-1-sent",
	[P1_AM2_SENT] = "message-2-sent",
	[P1_ESTABLISHED] = "established",
	[P1_DEAD] = "dead",
};

const char *ike_p1_state_name(enum p1_state s)
{
	return (unsigned)s <= P1_DEAD ? state_names[s] : "unknown";
}

/* ---- wire <-> config values */

static int p1_enc_wire(enum gw_ike_enc e, uint16_t *key_bits)
{
	*key_bits = 0;
	switch (e) {
	case GW_IKE_DES: return ISAKMP_ENC_DES;
	case GW_IKE_3DES: return ISAKMP_ENC_3DES;
	case GW_IKE_AES128: *key_bits = 128; return ISAKMP_ENC_AES;
	case GW_IKE_AES192: *key_bits = 192; return ISAKMP_ENC_AES;
	case GW_IKE_AES256: *key_bits = 256; return ISAKMP_ENC_AES;
	default: return -1;
	}
}

static const uint8_t hash_wire[GW_HASH_COUNT] = {ISAKMP_HASH_MD5, ISAKMP_HASH_SHA, ISAKMP_HASH_SHA256,
						 ISAKMP_HASH_SHA384, ISAKMP_HASH_SHA512};

struct p1_xf {
	enum gw_ike_enc enc;
	enum gw_hash_alg hash;
	enum gw_dh_group group;
	gw_seconds life_s;
	uint64_t life_kb;
	bool psk;
};

/* The shorter of two limits, 0 meaning none. */
static uint64_t shorter_limit(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* Decode a phase 1 transform; -1 if something in it is unknown to us
 * (an unknown attribute makes the whole transform unacceptable). */
static int p1_xf_decode(const struct isakmp_transform *t, struct p1_xf *x)
{
	int enc_id = -1, key_bits = 0, hash_id = -1, last_type = 0;

	memset(x, 0, sizeof(*x));
	x->group = GW_DH_NONE;
	if (t->id != ISAKMP_KEY_IKE)
		return -1;
	for (unsigned i = 0; i < t->n_attrs; i++) {
		const struct isakmp_attr *a = &t->attrs[i];

		switch (a->type) {
		case ISAKMP_P1_ENC: enc_id = (int)a->value; break;
		case ISAKMP_P1_KEY_LENGTH: key_bits = (int)a->value; break;
		case ISAKMP_P1_HASH: hash_id = (int)a->value; break;
		case ISAKMP_P1_AUTH: x->psk = a->value == ISAKMP_AUTH_PSK; break;
		case ISAKMP_P1_GROUP:
			x->group = (enum gw_dh_group)a->value;
			if (!ike_dh_supported(x->group))
				return -1;
			break;
		case ISAKMP_P1_LIFE_TYPE: last_type = (int)a->value; break;
		case ISAKMP_P1_LIFE_DURATION:
			if (last_type == ISAKMP_LIFE_SECONDS)
				x->life_s = a->value > UINT32_MAX ? UINT32_MAX : a->value;
			else if (last_type == ISAKMP_LIFE_KILOBYTES)
				x->life_kb = a->value > UINT64_MAX / 1024 ? UINT64_MAX / 1024 : a->value;
			else
				return -1;
			break;
		default:
			return -1;
		}
	}
	switch (enc_id) {
	case ISAKMP_ENC_DES: x->enc = GW_IKE_DES; break;
	case ISAKMP_ENC_3DES: x->enc = GW_IKE_3DES; break;
	case ISAKMP_ENC_AES:
		x->enc = key_bits == 0 || key_bits == 128 ? GW_IKE_AES128 :
			 key_bits == 192 ? GW_IKE_AES192 : key_bits == 256 ? GW_IKE_AES256 : GW_IKE_ENC_COUNT;
		if (x->enc == GW_IKE_ENC_COUNT)
			return -1;
		break;
	default: return -1;
	}
	for (int h = 0; h < GW_HASH_COUNT; h++)
		if (hash_wire[h] == hash_id) {
			x->hash = (enum gw_hash_alg)h;
			return x->group == GW_DH_NONE ? -1 : 0;
		}
	return -1;
}

static bool p1_xf_matches(const struct p1_xf *x, const struct gw_peer *peer)
{
	return x->psk && x->enc == peer->enc_algorithm && x->hash == peer->hash_algorithm &&
	       x->group == peer->dh_group;
}

/* ---- building */

/* Our phase 1 SA: one proposal, one transform, from the peer's settings.
 * Returns the offset of the SA payload. */
static size_t put_p1_sa(struct isakmp_buf *b, const struct gw_peer *peer)
{
	uint16_t key_bits;
	int enc = p1_enc_wire(peer->enc_algorithm, &key_bits);
	size_t sa = isakmp_sa_begin(b), pr, xf;

	pr = isakmp_prop_begin(b, 1, ISAKMP_PROTO_ISAKMP, NULL, 0, 1);
	xf = isakmp_xf_begin(b, 1, ISAKMP_KEY_IKE);
	isakmp_attr_tv(b, ISAKMP_P1_ENC, (uint16_t)enc);
	if (key_bits)
		isakmp_attr_tv(b, ISAKMP_P1_KEY_LENGTH, key_bits);
	isakmp_attr_tv(b, ISAKMP_P1_HASH, hash_wire[peer->hash_algorithm]);
	isakmp_attr_tv(b, ISAKMP_P1_AUTH, ISAKMP_AUTH_PSK);
	isakmp_attr_tv(b, ISAKMP_P1_GROUP, (uint16_t)peer->dh_group);
	if (peer->lifetime) {
		isakmp_attr_tv(b, ISAKMP_P1_LIFE_TYPE, ISAKMP_LIFE_SECONDS);
		isakmp_attr_num(b, ISAKMP_P1_LIFE_DURATION, peer->lifetime);
	}
	if (peer->lifebytes) {
		isakmp_attr_tv(b, ISAKMP_P1_LIFE_TYPE, ISAKMP_LIFE_KILOBYTES);
		isakmp_attr_num(b, ISAKMP_P1_LIFE_DURATION, (peer->lifebytes + 1023) / 1024);
	}
	isakmp_sub_end(b, xf, true, ISAKMP_NP_T);
	isakmp_sub_end(b, pr, true, ISAKMP_NP_P);
	isakmp_pl_end(b, sa);
	return sa;
}

/* Re-emit a received transform as it was (responder's echo of its choice). */
void ike_put_xf_copy(struct isakmp_buf *b, const struct isakmp_transform *t, bool last)
{
	size_t xf = isakmp_xf_begin(b, t->num, t->id);

	for (unsigned i = 0; i < t->n_attrs; i++) {
		const struct isakmp_attr *a = &t->attrs[i];

		if (a->tv) {
			isakmp_attr_tv(b, a->type, (uint16_t)a->value);
		} else {
			isakmp_put16(b, a->type);
			isakmp_put16(b, a->len);
			isakmp_put(b, a->data, a->len);
		}
	}
	isakmp_sub_end(b, xf, last, ISAKMP_NP_T);
}

static void put_vids(struct isakmp_buf *b, const struct gw_peer *peer)
{
	if (peer->nat_traversal)
		isakmp_put_blob_pl(b, ISAKMP_NP_VID, isakmp_vid_natt, 16);
	isakmp_put_blob_pl(b, ISAKMP_NP_VID, isakmp_vid_dpd, 16);
}

static void read_vids(struct ike_p1 *p1, const struct isakmp_msg *m)
{
	for (unsigned i = 0; i < m->n_vid; i++) {
		if (m->vid[i].len == 16 && !memcmp(m->vid[i].data, isakmp_vid_dpd, 16))
			p1->peer_dpd = true;
		if (m->vid[i].len == 16 && !memcmp(m->vid[i].data, isakmp_vid_natt, 16))
			p1->peer_natt = true;
	}
}

static bool natt_on(const struct ike_p1 *p1)
{
	return p1->peer.nat_traversal && p1->peer_natt;
}

/* RFC 3947 3.2: the hash of the destination as we see it, then ours. */
static void put_natd(struct isakmp_buf *b, struct ike_p1 *p1)
{
	uint8_t h[IKE_HASH_MAX];
	size_t n = ike_hash_len(p1->hash);

	ike_natd_hash(p1->hash, p1->cky_i, p1->cky_r, p1->remote, p1->rport, h);
	isakmp_put_blob_pl(b, ISAKMP_NP_NAT_D, h, n);
	ike_natd_hash(p1->hash, p1->cky_i, p1->cky_r, p1->local, p1->lport, h);
	isakmp_put_blob_pl(b, ISAKMP_NP_NAT_D, h, n);
}

static void natd_check(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_msg *m)
{
	uint8_t me[IKE_HASH_MAX], him[IKE_HASH_MAX];
	size_t n = ike_hash_len(p1->hash);
	char r[16];

	if (!natt_on(p1) || m->n_natd < 2)
		return;
	ike_natd_hash(p1->hash, p1->cky_i, p1->cky_r, p1->local, p1->lport, me);
	ike_natd_hash(p1->hash, p1->cky_i, p1->cky_r, p1->remote, p1->rport, him);
	p1->nat_local = m->natd[0].len != n || memcmp(m->natd[0].data, me, n) != 0;
	p1->nat_remote = true;
	for (unsigned i = 1; i < m->n_natd; i++)
		if (m->natd[i].len == n && !memcmp(m->natd[i].data, him, n))
			p1->nat_remote = false;
	if (p1->nat_local || p1->nat_remote)
		ike_log(e, IKE_LOG_INFO, "peer %s: NAT-T: NAT detected (%s%s)", ike_ip(p1->remote, r),
			p1->nat_local ? "in front of us" : "", p1->nat_remote ? (p1->nat_local ? ", in front of the peer" : "in front of the peer") : "");
}

/* Initiator: move to 4500 from message 5 (main) / 3 (aggressive). */
static void maybe_float(struct ike_engine *e, struct ike_p1 *p1)
{
	char r[16];

	if (!natt_on(p1) || !(p1->nat_local || p1->nat_remote) || p1->lport == IKE_NATT_PORT)
		return;
	p1->lport = IKE_NATT_PORT;
	p1->rport = IKE_NATT_PORT;
	p1->floated = true;
	ike_log(e, IKE_LOG_INFO, "peer %s: NAT-T: floating to port %u", ike_ip(p1->remote, r), IKE_NATT_PORT);
}

/* Our phase 1 ID: IPV4_ADDR of our address, protocol and port 0. */
static void put_my_id(struct isakmp_buf *b, struct ike_p1 *p1, uint8_t **save, size_t *save_len)
{
	size_t off = b->len;

	isakmp_put_id_v4(b, ISAKMP_ID_IPV4_ADDR, 0, 0, p1->local, 0);
	if (!isakmp_buf_ok(b))
		return;
	free(*save);
	*save_len = b->len - off - ISAKMP_GEN_LEN;
	*save = malloc(*save_len);
	if (*save)
		memcpy(*save, b->p + off + ISAKMP_GEN_LEN, *save_len);
}

static int keep_copy(uint8_t **dst, size_t *dst_len, const uint8_t *src, size_t len)
{
	free(*dst);
	*dst = malloc(len ? len : 1);
	if (!*dst)
		return -1;
	memcpy(*dst, src, len);
	*dst_len = len;
	return 0;
}

static int new_nonce(uint8_t *n, size_t *len)
{
	*len = IKE_NONCE_LEN;
	return ike_random(n, IKE_NONCE_LEN);
}

static int take_nonce(uint8_t *n, size_t *len, const struct isakmp_blob *b)
{
	/* RFC 2409 5: nonces of 8 to 256 bytes */
	if (b->len < 8 || b->len > IKE_NONCE_LEN + 32)
		return -1;
	memcpy(n, b->data, b->len);
	*len = b->len;
	return 0;
}

/* The peer's KE: the DH shared secret and the keys. */
static int p1_keys(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_blob *ke)
{
	uint8_t gxy[IKE_DH_MAX];
	size_t n = ike_dh_len(p1->group);
	const uint8_t *mine = ike_dh_public(p1->dh);
	int rc;

	if (ke->len != n || ike_dh_derive(p1->dh, ke->data, ke->len, gxy) != 0)
		return -1;
	p1->gx_len = n;
	if (keep_copy(p1->initiator ? &p1->gxi : &p1->gxr, &n, mine, n) ||
	    keep_copy(p1->initiator ? &p1->gxr : &p1->gxi, &n, ke->data, n)) {
		ike_wipe(gxy, sizeof(gxy));
		return -1;
	}
	rc = ike_p1_derive(&p1->keys, p1->hash, p1->enc, p1->peer.secret, strlen(p1->peer.secret), p1->ni,
			   p1->ni_len, p1->nr, p1->nr_len, gxy, n, p1->cky_i, p1->cky_r, p1->gxi, p1->gxr, n);
	ike_wipe(gxy, sizeof(gxy));
	p1->have_keys = rc == 0;
	(void)e;
	return rc;
}

static int hash_i(struct ike_p1 *p1, uint8_t *out)
{
	return ike_p1_auth_hash(&p1->keys, p1->gxi, p1->gxr, p1->gx_len, p1->cky_i, p1->cky_r, p1->sai_b,
				p1->sai_len, p1->id_i, p1->id_i_len, out);
}

static int hash_r(struct ike_p1 *p1, uint8_t *out)
{
	return ike_p1_auth_hash(&p1->keys, p1->gxr, p1->gxi, p1->gx_len, p1->cky_r, p1->cky_i, p1->sai_b,
				p1->sai_len, p1->id_r, p1->id_r_len, out);
}

static void bad_hash(struct ike_engine *e, struct ike_p1 *p1)
{
	char r[16];

	e->stats.auth_failures++;
	ike_log(e, IKE_LOG_ERR, "peer %s: invalid HASH — probably a wrong pre-shared key",
		ike_ip(p1->remote, r));
	ike_p1_kill(e, p1, NULL);
}

static void begin_msg(struct ike_engine *e, struct ike_p1 *p1, struct isakmp_buf *b)
{
	struct isakmp_hdr h;

	ike_hdr_init(p1, &h, p1->aggressive ? ISAKMP_EXCH_AGGRESSIVE : ISAKMP_EXCH_MAIN, 0);
	isakmp_buf_init(b, e->buf, IKE_DGRAM_MAX);
	isakmp_put_hdr(b, &h);
}

/* INITIAL-CONTACT only when we hold nothing else with the peer: it tells
 * the peer to drop everything it has with us (RFC 2407 4.6.3.3). */
static bool first_contact(struct ike_engine *e, const struct ike_p1 *p1)
{
	for (const struct ike_p1 *p = e->p1s; p; p = p->next)
		if (p != p1 && p->remote == p1->remote && p->state == P1_ESTABLISHED)
			return false;
	for (const struct ike_p2 *p2 = e->p2s; p2; p2 = p2->next)
		if (p2->remote == p1->remote && p2->state == P2_INSTALLED)
			return false;
	return true;
}

static void put_initial_contact(struct isakmp_buf *b, struct ike_p1 *p1)
{
	uint8_t spi[16];

	memcpy(spi, p1->cky_i, 8);
	memcpy(spi + 8, p1->cky_r, 8);
	isakmp_put_notify(b, ISAKMP_PROTO_ISAKMP, ISAKMP_N_INITIAL_CONTACT, spi, 16, NULL, 0);
	p1->initial_contact_done = true;
}

/* ---- initiator */

int ike_p1_initiate(struct ike_engine *e, struct ike_p1 *p1)
{
	struct isakmp_buf b;
	size_t sa;
	char r[16];

	p1->hash = p1->peer.hash_algorithm;
	p1->enc = p1->peer.enc_algorithm;
	p1->group = p1->peer.dh_group;
	p1->lifetime = p1->peer.lifetime;
	p1->lifebytes = p1->peer.lifebytes;
	begin_msg(e, p1, &b);
	sa = put_p1_sa(&b, &p1->peer);
	if (keep_copy(&p1->sai_b, &p1->sai_len, b.p + sa + ISAKMP_GEN_LEN, b.len - sa - ISAKMP_GEN_LEN))
		return -1;
	if (p1->aggressive) {
		p1->dh = ike_dh_new(p1->group);
		if (!p1->dh || new_nonce(p1->ni, &p1->ni_len))
			return -1;
		isakmp_put_blob_pl(&b, ISAKMP_NP_KE, ike_dh_public(p1->dh), ike_dh_len(p1->group));
		isakmp_put_blob_pl(&b, ISAKMP_NP_NONCE, p1->ni, p1->ni_len);
		put_my_id(&b, p1, &p1->id_i, &p1->id_i_len);
	}
	put_vids(&b, &p1->peer);
	ike_log(e, IKE_LOG_INFO, "peer %s: initiating %s mode (%s/%s/%s)", ike_ip(p1->remote, r),
		p1->aggressive ? "aggressive" : "main", gw_ike_enc_name(p1->enc), gw_hash_alg_name(p1->hash),
		gw_dh_group_name(p1->group));
	p1->state = p1->aggressive ? P1_AM1_SENT : P1_MM1_SENT;
	return ike_send_msg(e, p1, &b, false, NULL, &p1->retx, true);
}

/* The responder's SA: exactly one proposal with one transform, one we offered. */
static int check_chosen(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_msg *m)
{
	struct p1_xf x;
	char r[16];

	if (!m->has_sa || m->sa.n_props != 1 || m->sa.props[0].n_xforms != 1 ||
	    m->sa.props[0].protocol != ISAKMP_PROTO_ISAKMP ||
	    p1_xf_decode(&m->sa.props[0].xf[0], &x) != 0 || !p1_xf_matches(&x, &p1->peer)) {
		ike_log(e, IKE_LOG_WARNING, "peer %s: responder chose a transform we did not offer",
			ike_ip(p1->remote, r));
		return -1;
	}
	if (x.life_s && (!p1->lifetime || x.life_s < p1->lifetime))
		p1->lifetime = x.life_s;
	p1->lifebytes = shorter_limit(p1->lifebytes, x.life_kb * 1024);
	return 0;
}

static void mm2_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_msg *m)
{
	struct isakmp_buf b;

	if (check_chosen(e, p1, m)) {
		ike_p1_kill(e, p1, "no acceptable transform in message 2");
		return;
	}
	memcpy(p1->cky_r, m->hdr.rcookie, 8);
	read_vids(p1, m);
	p1->dh = ike_dh_new(p1->group);
	if (!p1->dh || new_nonce(p1->ni, &p1->ni_len))
		return;
	begin_msg(e, p1, &b);
	isakmp_put_blob_pl(&b, ISAKMP_NP_KE, ike_dh_public(p1->dh), ike_dh_len(p1->group));
	isakmp_put_blob_pl(&b, ISAKMP_NP_NONCE, p1->ni, p1->ni_len);
	if (natt_on(p1))
		put_natd(&b, p1);
	p1->state = P1_MM3_SENT;
	ike_send_msg(e, p1, &b, false, NULL, &p1->retx, true);
}

static void mm4_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_msg *m)
{
	struct isakmp_buf b;
	size_t off;

	if (!isakmp_has(m, ISAKMP_NP_KE) || !isakmp_has(m, ISAKMP_NP_NONCE) ||
	    take_nonce(p1->nr, &p1->nr_len, &m->nonce) || p1_keys(e, p1, &m->ke)) {
		e->stats.malformed++;
		ike_p1_kill(e, p1, "bad KE or nonce in message 4");
		return;
	}
	natd_check(e, p1, m);
	maybe_float(e, p1);
	begin_msg(e, p1, &b);
	put_my_id(&b, p1, &p1->id_i, &p1->id_i_len);
	off = isakmp_pl_begin(&b, ISAKMP_NP_HASH);
	if (b.len + p1->keys.prf_len <= b.cap)
		hash_i(p1, b.p + b.len);
	b.len += p1->keys.prf_len;
	isakmp_pl_end(&b, off);
	if (p1->peer.send_initial_contact && first_contact(e, p1))
		put_initial_contact(&b, p1);
	else
		p1->initial_contact_done = true;
	p1->state = P1_MM5_SENT;
	ike_send_msg(e, p1, &b, true, p1->keys.iv, &p1->retx, true);
}

static void mm6_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_hdr *h,
		      const uint8_t *dgram, size_t len)
{
	struct isakmp_msg *m = e->msg;
	uint8_t iv[IKE_BLOCK_MAX], want[IKE_HASH_MAX];

	memcpy(iv, p1->keys.iv, p1->keys.block);
	if (!(h->flags & ISAKMP_FLAG_E) || ike_decrypt_parse(e, p1, h, dgram, len, iv) != 0 ||
	    m->n_ids != 1 || m->hash.len != p1->keys.prf_len) {
		bad_hash(e, p1);
		return;
	}
	if (keep_copy(&p1->id_r, &p1->id_r_len, m->ids[0].body, m->ids[0].body_len) || hash_r(p1, want) ||
	    memcmp(want, m->hash.data, m->hash.len)) {
		bad_hash(e, p1);
		return;
	}
	memcpy(p1->keys.iv, iv, p1->keys.block);
	ike_p1_established(e, p1);
}

static void am2_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_msg *m)
{
	struct isakmp_buf b;
	uint8_t want[IKE_HASH_MAX];
	size_t off;

	if (check_chosen(e, p1, m)) {
		ike_p1_kill(e, p1, "no acceptable transform in message 2");
		return;
	}
	memcpy(p1->cky_r, m->hdr.rcookie, 8);
	read_vids(p1, m);
	if (!isakmp_has(m, ISAKMP_NP_KE) || !isakmp_has(m, ISAKMP_NP_NONCE) || m->n_ids != 1 ||
	    !isakmp_has(m, ISAKMP_NP_HASH) || take_nonce(p1->nr, &p1->nr_len, &m->nonce) ||
	    p1_keys(e, p1, &m->ke) ||
	    keep_copy(&p1->id_r, &p1->id_r_len, m->ids[0].body, m->ids[0].body_len)) {
		e->stats.malformed++;
		ike_p1_kill(e, p1, "message 2 incomplete");
		return;
	}
	if (m->hash.len != p1->keys.prf_len || hash_r(p1, want) || memcmp(want, m->hash.data, m->hash.len)) {
		bad_hash(e, p1);
		return;
	}
	natd_check(e, p1, m);
	maybe_float(e, p1);
	begin_msg(e, p1, &b);
	off = isakmp_pl_begin(&b, ISAKMP_NP_HASH);
	if (b.len + p1->keys.prf_len <= b.cap)
		hash_i(p1, b.p + b.len);
	b.len += p1->keys.prf_len;
	isakmp_pl_end(&b, off);
	if (natt_on(p1))
		put_natd(&b, p1);
	/* Message 3 goes in the clear (RFC 2409 5.4), so the phase 2 IVs
	 * derive from the initial IV. */
	ike_send_msg(e, p1, &b, false, NULL, &p1->retx, false);
	ike_p1_established(e, p1);
}

/* ---- responder */

static void refuse(struct ike_engine *e, uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport,
		   const struct isakmp_hdr *h, uint16_t notify)
{
	struct ike_p1 tmp;
	struct isakmp_buf b;
	struct isakmp_hdr rh;

	memset(&tmp, 0, sizeof(tmp));
	tmp.local = local;
	tmp.lport = lport;
	tmp.remote = remote;
	tmp.rport = rport;
	memcpy(tmp.cky_i, h->icookie, 8);
	if (ike_random(tmp.cky_r, 8))
		return;
	ike_hdr_init(&tmp, &rh, ISAKMP_EXCH_INFO, 0);
	isakmp_buf_init(&b, e->buf, IKE_DGRAM_MAX);
	isakmp_put_hdr(&b, &rh);
	isakmp_put_notify(&b, ISAKMP_PROTO_ISAKMP, notify, NULL, 0, NULL, 0);
	ike_send_msg(e, &tmp, &b, false, NULL, NULL, false);
}

static void log_offer(struct ike_engine *e, uint32_t remote, const struct isakmp_sa *sa, const struct gw_peer *peer)
{
	char r[16];

	ike_log(e, IKE_LOG_WARNING, "peer %s: no proposal chosen: we want %s/%s/%s, it offered %u transform(s):",
		ike_ip(remote, r), gw_ike_enc_name(peer->enc_algorithm), gw_hash_alg_name(peer->hash_algorithm),
		gw_dh_group_name(peer->dh_group), sa->n_xf_pool);
	for (unsigned i = 0; i < sa->n_xf_pool && i < 8; i++) {
		struct p1_xf x;

		if (p1_xf_decode(&sa->xf_pool[i], &x) == 0)
			ike_log(e, IKE_LOG_WARNING, "peer %s:   %s/%s/%s%s", r, gw_ike_enc_name(x.enc),
				gw_hash_alg_name(x.hash), gw_dh_group_name(x.group), x.psk ? "" : " (not PSK)");
		else
			ike_log(e, IKE_LOG_WARNING, "peer %s:   transform %u: unsupported attributes", r,
				sa->xf_pool[i].num);
	}
}

void ike_p1_respond(struct ike_engine *e, uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport,
		    const struct isakmp_hdr *h, const uint8_t *dgram, size_t len)
{
	struct isakmp_msg *m = e->msg;
	const struct gw_peer *peer = ike_peer_find(e, local, remote);
	const struct isakmp_transform *chosen = NULL;
	bool aggressive = h->exch == ISAKMP_EXCH_AGGRESSIVE;
	struct isakmp_err err;
	struct isakmp_buf b;
	struct ike_p1 *p1;
	struct p1_xf x = {0};
	size_t sa, pr, off;
	char r[16];

	ike_ip(remote, r);
	if (isakmp_parse(dgram, len, m, &err) != 0) {
		e->stats.malformed++;
		ike_log(e, IKE_LOG_DEBUG, "peer %s: malformed message 1: %s", r, err.msg);
		if (err.notify)
			refuse(e, local, lport, remote, rport, h, err.notify);
		return;
	}
	if (!peer) {
		ike_log(e, IKE_LOG_WARNING, "peer not configured for %s", r);
		return;
	}
	if (aggressive != (peer->exchange_mode == GW_XMODE_AGGRESSIVE)) {
		ike_log(e, IKE_LOG_WARNING, "peer %s: %s mode offered, exchange-mode is %s", r,
			aggressive ? "aggressive" : "main", aggressive ? "main" : "aggressive");
		e->stats.no_proposal++;
		refuse(e, local, lport, remote, rport, h, ISAKMP_N_NO_PROPOSAL_CHOSEN);
		return;
	}
	if (!m->has_sa || (aggressive && (!isakmp_has(m, ISAKMP_NP_KE) || !isakmp_has(m, ISAKMP_NP_NONCE) ||
					  m->n_ids != 1))) {
		e->stats.malformed++;
		ike_log(e, IKE_LOG_DEBUG, "peer %s: message 1 lacks payloads", r);
		refuse(e, local, lport, remote, rport, h, ISAKMP_N_PAYLOAD_MALFORMED);
		return;
	}
	for (unsigned i = 0; i < m->sa.n_props && !chosen; i++) {
		const struct isakmp_proposal *p = &m->sa.props[i];

		if (p->protocol != ISAKMP_PROTO_ISAKMP)
			continue;
		for (unsigned j = 0; j < p->n_xforms && !chosen; j++)
			if (p1_xf_decode(&p->xf[j], &x) == 0 && p1_xf_matches(&x, peer))
				chosen = &p->xf[j];
	}
	if (!chosen) {
		e->stats.no_proposal++;
		log_offer(e, remote, &m->sa, peer);
		refuse(e, local, lport, remote, rport, h, ISAKMP_N_NO_PROPOSAL_CHOSEN);
		return;
	}
	p1 = ike_p1_new(e, false, peer, local, lport, remote, rport);
	if (!p1)
		return;
	memcpy(p1->cky_i, h->icookie, 8);
	p1->aggressive = aggressive;
	p1->hash = x.hash;
	p1->enc = x.enc;
	p1->group = x.group;
	p1->lifetime = peer->lifetime;
	if (x.life_s && (!p1->lifetime || x.life_s < p1->lifetime))
		p1->lifetime = x.life_s;
	p1->lifebytes = shorter_limit(peer->lifebytes, x.life_kb * 1024);
	read_vids(p1, m);
	ike_seen_before(&p1->last_rx, dgram, len);
	if (keep_copy(&p1->sai_b, &p1->sai_len, m->sa.body, m->sa.body_len))
		goto fail;
	ike_log(e, IKE_LOG_INFO, "peer %s: responding to %s mode (%s/%s/%s)", r, aggressive ? "aggressive" : "main",
		gw_ike_enc_name(p1->enc), gw_hash_alg_name(p1->hash), gw_dh_group_name(p1->group));
	begin_msg(e, p1, &b);
	sa = isakmp_sa_begin(&b);
	pr = isakmp_prop_begin(&b, 1, ISAKMP_PROTO_ISAKMP, NULL, 0, 1);
	ike_put_xf_copy(&b, chosen, true);
	isakmp_sub_end(&b, pr, true, ISAKMP_NP_P);
	isakmp_pl_end(&b, sa);
	if (aggressive) {
		uint8_t *hp;

		p1->dh = ike_dh_new(p1->group);
		if (!p1->dh || new_nonce(p1->nr, &p1->nr_len) || take_nonce(p1->ni, &p1->ni_len, &m->nonce) ||
		    keep_copy(&p1->id_i, &p1->id_i_len, m->ids[0].body, m->ids[0].body_len) ||
		    p1_keys(e, p1, &m->ke)) {
			e->stats.malformed++;
			ike_p1_kill(e, p1, "bad KE or nonce in message 1");
			return;
		}
		isakmp_put_blob_pl(&b, ISAKMP_NP_KE, ike_dh_public(p1->dh), ike_dh_len(p1->group));
		isakmp_put_blob_pl(&b, ISAKMP_NP_NONCE, p1->nr, p1->nr_len);
		put_my_id(&b, p1, &p1->id_r, &p1->id_r_len);
		off = isakmp_pl_begin(&b, ISAKMP_NP_HASH);
		hp = b.len + p1->keys.prf_len <= b.cap ? b.p + b.len : NULL;
		b.len += p1->keys.prf_len;
		isakmp_pl_end(&b, off);
		if (hp)
			hash_r(p1, hp);
	}
	put_vids(&b, peer);
	if (aggressive && natt_on(p1))
		put_natd(&b, p1);
	p1->state = aggressive ? P1_AM2_SENT : P1_MM2_SENT;
	ike_send_msg(e, p1, &b, false, NULL, &p1->retx, false);
	return;
fail:
	ike_p1_kill(e, p1, "out of memory");
}

static void mm3_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_msg *m)
{
	struct isakmp_buf b;

	p1->dh = ike_dh_new(p1->group);
	if (!p1->dh || !isakmp_has(m, ISAKMP_NP_KE) || !isakmp_has(m, ISAKMP_NP_NONCE) ||
	    take_nonce(p1->ni, &p1->ni_len, &m->nonce) || new_nonce(p1->nr, &p1->nr_len) ||
	    p1_keys(e, p1, &m->ke)) {
		e->stats.malformed++;
		ike_p1_kill(e, p1, "bad KE or nonce in message 3");
		return;
	}
	natd_check(e, p1, m);
	begin_msg(e, p1, &b);
	isakmp_put_blob_pl(&b, ISAKMP_NP_KE, ike_dh_public(p1->dh), ike_dh_len(p1->group));
	isakmp_put_blob_pl(&b, ISAKMP_NP_NONCE, p1->nr, p1->nr_len);
	if (natt_on(p1))
		put_natd(&b, p1);
	p1->state = P1_MM4_SENT;
	ike_send_msg(e, p1, &b, false, NULL, &p1->retx, false);
}

static bool has_initial_contact(const struct isakmp_msg *m)
{
	for (unsigned i = 0; i < m->n_notify; i++)
		if (m->notify[i].type == ISAKMP_N_INITIAL_CONTACT)
			return true;
	return false;
}

static void mm5_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_hdr *h,
		      const uint8_t *dgram, size_t len)
{
	struct isakmp_msg *m = e->msg;
	uint8_t iv[IKE_BLOCK_MAX], want[IKE_HASH_MAX];
	struct isakmp_buf b;
	bool ic;
	size_t off;

	memcpy(iv, p1->keys.iv, p1->keys.block);
	/* With a wrong key the decrypted bytes are garbage: a parse error
	 * here means the same as a bad HASH. */
	if (!(h->flags & ISAKMP_FLAG_E) || ike_decrypt_parse(e, p1, h, dgram, len, iv) != 0 ||
	    m->n_ids != 1 || m->hash.len != p1->keys.prf_len) {
		bad_hash(e, p1);
		return;
	}
	if (keep_copy(&p1->id_i, &p1->id_i_len, m->ids[0].body, m->ids[0].body_len) || hash_i(p1, want) ||
	    memcmp(want, m->hash.data, m->hash.len)) {
		bad_hash(e, p1);
		return;
	}
	ic = has_initial_contact(m);
	memcpy(p1->keys.iv, iv, p1->keys.block);
	begin_msg(e, p1, &b);
	put_my_id(&b, p1, &p1->id_r, &p1->id_r_len);
	off = isakmp_pl_begin(&b, ISAKMP_NP_HASH);
	if (b.len + p1->keys.prf_len <= b.cap)
		hash_r(p1, b.p + b.len);
	b.len += p1->keys.prf_len;
	isakmp_pl_end(&b, off);
	ike_send_msg(e, p1, &b, true, p1->keys.iv, &p1->retx, false);
	ike_p1_established(e, p1);
	if (ic)
		ike_initial_contact(e, p1);
}

static void am3_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_hdr *h,
		      const uint8_t *dgram, size_t len)
{
	struct isakmp_msg *m = e->msg;
	struct isakmp_err err;
	uint8_t iv[IKE_BLOCK_MAX], want[IKE_HASH_MAX];

	memcpy(iv, p1->keys.iv, p1->keys.block);
	if (h->flags & ISAKMP_FLAG_E) {
		if (ike_decrypt_parse(e, p1, h, dgram, len, iv) != 0) {
			bad_hash(e, p1);
			return;
		}
	} else {
		m->hdr = *h;
		if (isakmp_parse_payloads(h->np, dgram + ISAKMP_HDR_LEN, len - ISAKMP_HDR_LEN, false, m, &err)) {
			e->stats.malformed++;
			return;
		}
	}
	if (m->hash.len != p1->keys.prf_len || hash_i(p1, want) || memcmp(want, m->hash.data, m->hash.len)) {
		bad_hash(e, p1);
		return;
	}
	memcpy(p1->keys.iv, iv, p1->keys.block);
	natd_check(e, p1, m);
	ike_p1_established(e, p1);
	if (has_initial_contact(m))
		ike_initial_contact(e, p1);
}

/* ---- dispatch and completion */

void ike_p1_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_hdr *h, const uint8_t *dgram,
		  size_t len)
{
	struct isakmp_msg *m = e->msg;
	struct isakmp_err err;
	bool aggr = h->exch == ISAKMP_EXCH_AGGRESSIVE;
	char r[16];

	if (aggr != p1->aggressive || h->msgid != 0) {
		e->stats.out_of_order++;
		return;
	}
	/* A copy of what we answered last: our answer was lost. */
	if (ike_seen_before(&p1->last_rx, dgram, len)) {
		e->stats.retransmits_rx++;
		if (p1->retx.data) {
			e->stats.retransmits_tx++;
			ike_send_raw(e, p1, p1->retx.data, p1->retx.len);
		}
		return;
	}
	if (!(h->flags & ISAKMP_FLAG_E) &&
	    (p1->state == P1_MM1_SENT || p1->state == P1_MM2_SENT || p1->state == P1_MM3_SENT ||
	     p1->state == P1_AM1_SENT)) {
		m->hdr = *h;
		if (isakmp_parse_payloads(h->np, dgram + ISAKMP_HDR_LEN, len - ISAKMP_HDR_LEN, false, m, &err)) {
			e->stats.malformed++;
			ike_log(e, IKE_LOG_DEBUG, "peer %s: malformed: %s", ike_ip(p1->remote, r), err.msg);
			p1->last_rx.set = false;
			return;
		}
	}
	switch (p1->state) {
	case P1_MM1_SENT:
		if (h->flags & ISAKMP_FLAG_E)
			break;
		mm2_input(e, p1, m);
		return;
	case P1_MM2_SENT:
		if (h->flags & ISAKMP_FLAG_E)
			break;
		mm3_input(e, p1, m);
		return;
	case P1_MM3_SENT:
		if (h->flags & ISAKMP_FLAG_E)
			break;
		mm4_input(e, p1, m);
		return;
	case P1_MM4_SENT:
		mm5_input(e, p1, h, dgram, len);
		return;
	case P1_MM5_SENT:
		mm6_input(e, p1, h, dgram, len);
		return;
	case P1_AM1_SENT:
		if (h->flags & ISAKMP_FLAG_E)
			break;
		am2_input(e, p1, m);
		return;
	case P1_AM2_SENT:
		am3_input(e, p1, h, dgram, len);
		return;
	default:
		break;
	}
	e->stats.out_of_order++;
	ike_log(e, IKE_LOG_DEBUG, "peer %s: unexpected %s message in state %s: dropped", ike_ip(p1->remote, r),
		isakmp_exch_name(h->exch), ike_p1_state_name(p1->state));
}

void ike_p1_established(struct ike_engine *e, struct ike_p1 *p1)
{
	char r[16];
	uint32_t pending[IKE_MAX_PENDING];
	unsigned n = p1->n_pending;

	p1->state = P1_ESTABLISHED;
	p1->retx.armed = false;
	p1->established_ms = e->now;
	p1->expire_ms = p1->lifetime ? e->now + p1->lifetime * 1000 : 0;
	p1->dpd_next_ms = e->now + p1->peer.dpd_interval * 1000;
	memcpy(p1->p1_last, p1->keys.iv, p1->keys.block);
	ike_dh_free(p1->dh);
	p1->dh = NULL;
	e->stats.p1_established++;
	ike_log(e, IKE_LOG_INFO, "peer %s: ISAKMP SA established (%s mode, %s, %s/%s/%s%s%s)",
		ike_ip(p1->remote, r), p1->aggressive ? "aggressive" : "main", p1->initiator ? "initiator" : "responder",
		gw_ike_enc_name(p1->enc), gw_hash_alg_name(p1->hash), gw_dh_group_name(p1->group),
		p1->floated ? ", NAT-T" : "", p1->peer_dpd ? ", DPD" : "");
	if (ike_enc_is_weak(p1->enc) || ike_hash_is_weak(p1->hash) || ike_dh_is_weak(p1->group))
		ike_log(e, IKE_LOG_WARNING, "peer %s: phase 1 uses weak algorithms (%s/%s/%s)", r,
			gw_ike_enc_name(p1->enc), gw_hash_alg_name(p1->hash), gw_dh_group_name(p1->group));
	/* Aggressive mode cannot carry INITIAL-CONTACT protected in its
	 * exchange: send it in an informational one. */
	if (p1->initiator && p1->peer.send_initial_contact && !p1->initial_contact_done &&
	    first_contact(e, p1)) {
		uint8_t spi[16];

		memcpy(spi, p1->cky_i, 8);
		memcpy(spi + 8, p1->cky_r, 8);
		p1->initial_contact_done = true;
		ike_send_info_notify(e, p1, ISAKMP_PROTO_ISAKMP, ISAKMP_N_INITIAL_CONTACT, spi, 16, NULL, 0);
	}
	memcpy(pending, p1->pending, sizeof(pending));
	p1->n_pending = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct gw_policy *pol = ike_policy_find(e, pending[i]);

		if (pol)
			ike_qm_initiate(e, p1, pol, 0);
	}
}

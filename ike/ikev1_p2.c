/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Quick mode (RFC 2409 5.5): proposals from a policy's proposal, lifetime
 * checks (RouterOS proposal-check obey / claim / strict / exact), identities
 * from the policy, PFS, KEYMAT and the SA pair to install.
 *
 *   I: *HASH(1), SA, Ni [, KE] [, IDci, IDcr]
 *   R: *HASH(2), SA, Nr [, KE] [, IDci, IDcr] [, N(RESPONDER-LIFETIME)]
 *   I: *HASH(3)
 */
#include "ikev1_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#define RFC2407_DEFAULT_LIFE 28800 /* 4.5: seconds when no lifetime is given */

/* ---- algorithm numbers */

static int esp_wire(enum gw_enc_alg e, uint16_t *key_bits)
{
	*key_bits = 0;
	switch (e) {
	case GW_ENC_NULL: return ISAKMP_ESP_NULL;
	case GW_ENC_DES: return ISAKMP_ESP_DES;
	case GW_ENC_3DES: return ISAKMP_ESP_3DES;
	case GW_ENC_AES128_CBC: *key_bits = 128; return ISAKMP_ESP_AES_CBC;
	case GW_ENC_AES192_CBC: *key_bits = 192; return ISAKMP_ESP_AES_CBC;
	case GW_ENC_AES256_CBC: *key_bits = 256; return ISAKMP_ESP_AES_CBC;
	case GW_ENC_AES128_CTR: *key_bits = 128; return ISAKMP_ESP_AES_CTR;
	case GW_ENC_AES192_CTR: *key_bits = 192; return ISAKMP_ESP_AES_CTR;
	case GW_ENC_AES256_CTR: *key_bits = 256; return ISAKMP_ESP_AES_CTR;
	case GW_ENC_AES128_GCM: *key_bits = 128; return ISAKMP_ESP_AES_GCM_16;
	case GW_ENC_AES192_GCM: *key_bits = 192; return ISAKMP_ESP_AES_GCM_16;
	case GW_ENC_AES256_GCM: *key_bits = 256; return ISAKMP_ESP_AES_GCM_16;
	default: return -1; /* chacha20-poly1305 has no IKEv1 number */
	}
}

static enum gw_enc_alg esp_from_wire(unsigned id, unsigned bits)
{
	unsigned k = bits == 0 || bits == 128 ? 0 : bits == 192 ? 1 : bits == 256 ? 2 : 3;

	switch (id) {
	case ISAKMP_ESP_NULL: return GW_ENC_NULL;
	case ISAKMP_ESP_DES: return GW_ENC_DES;
	case ISAKMP_ESP_3DES: return GW_ENC_3DES;
	case ISAKMP_ESP_AES_CBC: return k < 3 ? (enum gw_enc_alg)(GW_ENC_AES128_CBC + k) : GW_ENC_COUNT;
	case ISAKMP_ESP_AES_CTR: return k < 3 ? (enum gw_enc_alg)(GW_ENC_AES128_CTR + k) : GW_ENC_COUNT;
	case ISAKMP_ESP_AES_GCM_16: return k < 3 ? (enum gw_enc_alg)(GW_ENC_AES128_GCM + k) : GW_ENC_COUNT;
	default: return GW_ENC_COUNT;
	}
}

static bool enc_is_aead(enum gw_enc_alg e)
{
	return e >= GW_ENC_AES128_GCM && e <= GW_ENC_CHACHA20_POLY1305;
}

static const uint8_t auth_attr[GW_AUTH_COUNT] = {0, ISAKMP_AUTH_HMAC_MD5, ISAKMP_AUTH_HMAC_SHA,
						 ISAKMP_AUTH_HMAC_SHA256, ISAKMP_AUTH_HMAC_SHA384,
						 ISAKMP_AUTH_HMAC_SHA512};
static const uint8_t ah_id[GW_AUTH_COUNT] = {0, ISAKMP_AH_MD5, ISAKMP_AH_SHA, ISAKMP_AH_SHA2_256,
					     ISAKMP_AH_SHA2_384, ISAKMP_AH_SHA2_512};

static int auth_from_attr(unsigned v)
{
	for (int a = 1; a < GW_AUTH_COUNT; a++)
		if (auth_attr[a] == v)
			return a;
	return -1;
}

static bool list_has(const uint8_t *v, unsigned n, unsigned x)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* ---- our proposal */

static uint16_t encap_for(const struct ike_p1 *p1, bool tunnel)
{
	bool udp = p1->floated || p1->nat_local || p1->nat_remote;

	return tunnel ? (udp ? ISAKMP_ENCAP_UDP_TUNNEL : ISAKMP_ENCAP_TUNNEL) :
			(udp ? ISAKMP_ENCAP_UDP_TRANSPORT : ISAKMP_ENCAP_TRANSPORT);
}

static void put_common_attrs(struct isakmp_buf *b, const struct gw_proposal *pr, uint16_t encap)
{
	if (pr->lifetime) {
		isakmp_attr_tv(b, ISAKMP_P2_LIFE_TYPE, ISAKMP_LIFE_SECONDS);
		isakmp_attr_num(b, ISAKMP_P2_LIFE_DURATION, pr->lifetime);
	}
	if (pr->lifebytes) {
		isakmp_attr_tv(b, ISAKMP_P2_LIFE_TYPE, ISAKMP_LIFE_KILOBYTES);
		isakmp_attr_num(b, ISAKMP_P2_LIFE_DURATION, (pr->lifebytes + 1023) / 1024);
	}
	if (pr->pfs_group != GW_DH_NONE)
		isakmp_attr_tv(b, ISAKMP_P2_GROUP, (uint16_t)pr->pfs_group);
	isakmp_attr_tv(b, ISAKMP_P2_ENCAP, encap);
}

struct p2_offer {
	uint8_t id;
	uint16_t bits;
	int auth;
};

static void spi_bytes(uint32_t spi, uint8_t out[4])
{
	out[0] = (uint8_t)(spi >> 24);
	out[1] = (uint8_t)(spi >> 16);
	out[2] = (uint8_t)(spi >> 8);
	out[3] = (uint8_t)spi;
}

static uint32_t spi_of(const struct isakmp_proposal *p)
{
	return (uint32_t)p->spi[0] << 24 | (uint32_t)p->spi[1] << 16 | (uint32_t)p->spi[2] << 8 | p->spi[3];
}

/* One proposal (number 1): ESP (enc x auth transforms, AEAD ones without
 * auth) or AH (one transform per auth algorithm); `last` ends the SA's
 * proposal list. Returns the transform count (0: nothing written). */
static unsigned put_p2_prop(struct isakmp_buf *b, const struct ike_p2 *p2, uint8_t protocol, uint32_t spi_in,
			    uint16_t encap, bool last)
{
	const struct gw_proposal *pr = &p2->prop;
	uint8_t spi[4];
	struct p2_offer xf[IKE_MAX_P2_XF];
	unsigned n = 0;
	size_t prop;
	bool ah = protocol == ISAKMP_PROTO_AH;

	for (unsigned a = 0; ah && a < pr->n_auth && n < IKE_MAX_P2_XF; a++)
		if (pr->auth_algorithms[a] != GW_AUTH_NULL)
			xf[n++] = (struct p2_offer){ah_id[pr->auth_algorithms[a]], 0, pr->auth_algorithms[a]};
	for (unsigned i = 0; !ah && i < pr->n_enc; i++) {
		uint16_t bits;
		int id = esp_wire((enum gw_enc_alg)pr->enc_algorithms[i], &bits);

		if (id < 0)
			continue;
		if (enc_is_aead((enum gw_enc_alg)pr->enc_algorithms[i])) {
			if (n < IKE_MAX_P2_XF)
				xf[n++] = (struct p2_offer){(uint8_t)id, bits, 0};
			continue;
		}
		for (unsigned a = 0; a < pr->n_auth && n < IKE_MAX_P2_XF; a++) {
			if (pr->auth_algorithms[a] == GW_AUTH_NULL && id == ISAKMP_ESP_NULL)
				continue; /* RFC 4303 3.2: not both null */
			xf[n++] = (struct p2_offer){(uint8_t)id, bits, pr->auth_algorithms[a]};
		}
	}
	if (n == 0)
		return 0;
	spi_bytes(spi_in, spi);
	prop = isakmp_prop_begin(b, 1, protocol, spi, 4, (uint8_t)n);
	for (unsigned i = 0; i < n; i++) {
		size_t t = isakmp_xf_begin(b, (uint8_t)(i + 1), xf[i].id);

		put_common_attrs(b, pr, encap);
		if (xf[i].auth)
			isakmp_attr_tv(b, ISAKMP_P2_AUTH, auth_attr[xf[i].auth]);
		if (xf[i].bits)
			isakmp_attr_tv(b, ISAKMP_P2_KEY_LENGTH, xf[i].bits);
		isakmp_sub_end(b, t, i + 1 == n, ISAKMP_NP_T);
	}
	isakmp_sub_end(b, prop, last, ISAKMP_NP_P);
	return n;
}

/*
 * The encapsulation mode of each SA of a bundle: ESP makes the tunnel (or
 * is transport), the AH of a bundle always protects the packet ESP made in
 * transport mode, as the dataplane applies it (RFC 4301 4.5 transport
 * adjacency: one outer header, AH over ESP).
 */
static uint16_t encap_of(const struct ike_p1 *p1, const struct ike_p2 *p2, uint8_t protocol)
{
	return encap_for(p1, p2->pol.tunnel && !(p2->bundle && protocol == ISAKMP_PROTO_AH));
}

/* Our SA payload: one proposal, or ESP AND AH (both numbered 1) for a
 * bundle. Returns the transform count of the first (0: nothing to offer). */
static unsigned put_p2_sa(struct isakmp_buf *b, const struct ike_p1 *p1, const struct ike_p2 *p2)
{
	size_t sa = isakmp_sa_begin(b);
	unsigned n = put_p2_prop(b, p2, p2->ch.protocol, p2->spi_in, encap_of(p1, p2, p2->ch.protocol),
				 !p2->bundle);

	if (n && p2->bundle &&
	    !put_p2_prop(b, p2, ISAKMP_PROTO_AH, p2->spi_in_ah, encap_of(p1, p2, ISAKMP_PROTO_AH), true))
		n = 0;
	isakmp_pl_end(b, sa);
	return n;
}

/* Decode a phase 2 transform; -1 for anything we do not support. */
static int p2_xf_decode(uint8_t protocol, const struct isakmp_transform *t, struct p2_choice *c)
{
	unsigned bits = 0, life_type = 0;
	int auth = 0;
	bool life_s_seen = false;

	memset(c, 0, sizeof(*c));
	c->protocol = protocol;
	c->xf_num = t->num;
	c->xf_id = t->id;
	c->encap = ISAKMP_ENCAP_TUNNEL;
	for (unsigned i = 0; i < t->n_attrs; i++) {
		const struct isakmp_attr *a = &t->attrs[i];

		switch (a->type) {
		case ISAKMP_P2_LIFE_TYPE: life_type = (unsigned)a->value; break;
		case ISAKMP_P2_LIFE_DURATION:
			if (life_type == ISAKMP_LIFE_SECONDS) {
				c->life_s = a->value > UINT32_MAX ? UINT32_MAX : a->value;
				life_s_seen = true;
			} else if (life_type == ISAKMP_LIFE_KILOBYTES) {
				c->life_kb = a->value;
			} else {
				return -1;
			}
			break;
		case ISAKMP_P2_GROUP:
			c->group = (enum gw_dh_group)a->value;
			if (!ike_dh_supported(c->group))
				return -1;
			break;
		case ISAKMP_P2_ENCAP:
			c->encap = (uint16_t)a->value;
			if (c->encap == ISAKMP_ENCAP_UDP_TUNNEL_DRAFT)
				c->encap = ISAKMP_ENCAP_UDP_TUNNEL;
			if (c->encap == ISAKMP_ENCAP_UDP_TRANSPORT_DRAFT)
				c->encap = ISAKMP_ENCAP_UDP_TRANSPORT;
			if (c->encap < 1 || c->encap > 4)
				return -1;
			break;
		case ISAKMP_P2_AUTH:
			auth = auth_from_attr((unsigned)a->value);
			if (auth < 0)
				return -1;
			break;
		case ISAKMP_P2_KEY_LENGTH: bits = (unsigned)a->value; break;
		default:
			return -1;
		}
	}
	if (!life_s_seen)
		c->life_s = RFC2407_DEFAULT_LIFE;
	if (protocol == ISAKMP_PROTO_AH) {
		for (int a = 1; a < GW_AUTH_COUNT; a++)
			if (ah_id[a] == t->id) {
				c->auth = (enum gw_auth_alg)a;
				c->enc = GW_ENC_NULL;
				return auth && auth != a ? -1 : 0;
			}
		return -1;
	}
	c->enc = esp_from_wire(t->id, bits);
	if (c->enc == GW_ENC_COUNT)
		return -1;
	/* AEAD carries no separate integrity; ESP_NULL must have one
	 * (RFC 4303 3.2); a CBC/CTR cipher without one is RouterOS's
	 * auth-algorithms=null. */
	if ((enc_is_aead(c->enc) && auth) || (c->enc == GW_ENC_NULL && !auth))
		return -1;
	c->auth = (enum gw_auth_alg)auth;
	return 0;
}

/* 0 means unlimited in both config and wire. */
static bool longer(uint64_t a, uint64_t b)
{
	return b != 0 && (a == 0 || a > b);
}

/* RouterOS proposal-check on one lifetime value: the result, or -1 to
 * refuse. *claim is set when we answer shorter than offered. */
static int64_t life_check(enum gw_proposal_check pc, uint64_t theirs, uint64_t ours, bool *claim)
{
	switch (pc) {
	case GW_PCHECK_OBEY:
		return (int64_t)theirs;
	case GW_PCHECK_CLAIM:
		if (longer(theirs, ours)) {
			*claim = true;
			return (int64_t)ours;
		}
		return (int64_t)theirs;
	case GW_PCHECK_STRICT:
		return longer(theirs, ours) ? -1 : (int64_t)theirs;
	case GW_PCHECK_EXACT:
	default:
		return theirs == ours ? (int64_t)theirs : -1;
	}
}

/* ---- identities */

static void sel_to_id(const struct gw_selector *s, uint16_t protocol, bool tunnel, uint8_t *body, size_t *len)
{
	uint32_t mask = gw_prefix_mask(s->prefix.len), a = s->prefix.addr & mask;
	uint8_t type = tunnel ? ISAKMP_ID_IPV4_ADDR_SUBNET : ISAKMP_ID_IPV4_ADDR;

	if (!tunnel && s->prefix.len != 32)
		type = ISAKMP_ID_IPV4_ADDR_SUBNET;
	body[0] = type;
	body[1] = protocol == GW_PROTOCOL_ALL ? 0 : (uint8_t)protocol;
	body[2] = (uint8_t)(s->port >> 8);
	body[3] = (uint8_t)s->port;
	body[4] = (uint8_t)(a >> 24);
	body[5] = (uint8_t)(a >> 16);
	body[6] = (uint8_t)(a >> 8);
	body[7] = (uint8_t)a;
	*len = 8;
	if (type == ISAKMP_ID_IPV4_ADDR_SUBNET) {
		body[8] = (uint8_t)(mask >> 24);
		body[9] = (uint8_t)(mask >> 16);
		body[10] = (uint8_t)(mask >> 8);
		body[11] = (uint8_t)mask;
		*len = 12;
	}
}

static void put_id_body(struct isakmp_buf *b, const uint8_t *body, size_t len)
{
	isakmp_put_blob_pl(b, ISAKMP_NP_ID, body, len);
}

/* An IPv4 ID as a selector; RANGE only when it is exactly a prefix. */
static int id_to_sel(const struct isakmp_id *id, struct gw_selector *s, uint8_t *proto)
{
	uint32_t mask;
	int len = 0;

	switch (id->type) {
	case ISAKMP_ID_IPV4_ADDR:
	case ISAKMP_ID_IPV4_ADDR_SUBNET:
		mask = id->mask;
		break;
	case ISAKMP_ID_IPV4_ADDR_RANGE:
		mask = ~(id->addr2 - id->addr);
		if ((id->addr & ~mask) || (uint32_t)(id->addr | ~mask) != id->addr2)
			return -1;
		break;
	default:
		return -1;
	}
	while (len < 32 && (mask & (0x80000000u >> len)))
		len++;
	if (gw_prefix_mask((unsigned)len) != mask)
		return -1;
	s->prefix.addr = id->addr & mask;
	s->prefix.len = (uint8_t)len;
	s->port = id->port;
	*proto = id->proto;
	return 0;
}

static bool sel_equal(struct gw_selector a, const struct gw_selector *b)
{
	uint32_t m = gw_prefix_mask(a.prefix.len);

	return a.prefix.len == b->prefix.len && (a.prefix.addr & m) == (b->prefix.addr & m) && a.port == b->port;
}

/* The configured policy the peer's identities describe (src/dst swapped:
 * IDci is the peer's side, our dst). */
static const struct gw_policy *policy_for_ids(struct ike_engine *e, const struct ike_p1 *p1,
					      const struct gw_selector *ci, const struct gw_selector *cr,
					      uint8_t proto)
{
	if (!e->cfg)
		return NULL;
	for (uint32_t i = 0; i < e->cfg->policies.n; i++) {
		const struct gw_policy *p = &e->cfg->policies.v[i];
		uint8_t pp = p->protocol == GW_PROTOCOL_ALL ? 0 : (uint8_t)p->protocol;

		if (p->disabled || p->action != GW_ACTION_ENCRYPT || p->manual_sa[0] ||
		    p->sa_dst_address != p1->remote || (p->sa_src_address && p->sa_src_address != p1->local))
			continue;
		if (pp == proto && sel_equal(gw_policy_src_selector(p), cr) && sel_equal(gw_policy_dst_selector(p), ci))
			return p;
	}
	return NULL;
}

/* ---- p2 objects */

struct ike_p2 *ike_p2_by_msgid(struct ike_engine *e, struct ike_p1 *p1, uint32_t msgid)
{
	for (struct ike_p2 *p2 = e->p2s; p2; p2 = p2->next)
		if (p2->p1 == p1 && p2->msgid == msgid && p2->state != P2_DEAD)
			return p2;
	return NULL;
}

static bool spi_in_use(struct ike_engine *e, uint32_t spi)
{
	for (struct ike_p2 *p2 = e->p2s; p2; p2 = p2->next)
		if ((p2->spi_in == spi || (p2->bundle && p2->spi_in_ah == spi)) && p2->state != P2_DEAD)
			return true;
	return false;
}

/* An inbound SPI: random, above the reserved 1..255 (RFC 4303 2.1), and
 * not one we already use. */
static uint32_t new_spi(struct ike_engine *e)
{
	uint32_t spi;

	do {
		if (ike_random(&spi, sizeof(spi)))
			return 0;
	} while (spi < 256 || spi_in_use(e, spi));
	return spi;
}

static bool qm_id_used(struct ike_p1 *p1, uint32_t msgid, bool record)
{
	for (unsigned i = 0; i < 32; i++)
		if (p1->qm_ids[i] == msgid)
			return true;
	if (record)
		p1->qm_ids[p1->qm_pos++ % 32] = msgid;
	return false;
}

static struct ike_p2 *p2_new(struct ike_engine *e, struct ike_p1 *p1, bool initiator, uint32_t msgid)
{
	struct ike_p2 *p2 = calloc(1, sizeof(*p2));

	if (!p2)
		return NULL;
	p2->p1 = p1;
	p2->initiator = initiator;
	p2->msgid = msgid;
	p2->local = p1->local;
	p2->remote = p1->remote;
	p2->created_ms = e->now;
	p2->spi_in = new_spi(e);
	if (!p2->spi_in || ike_p2_iv(&p1->keys, p1->p1_last, msgid, p2->iv)) {
		free(p2);
		return NULL;
	}
	qm_id_used(p1, msgid, true);
	p2->next = e->p2s;
	e->p2s = p2;
	return p2;
}

/* HASH payload placeholder; returns the offset of its data. */
static size_t put_hash_placeholder(struct isakmp_buf *b, size_t len)
{
	static const uint8_t zeros[IKE_HASH_MAX];
	size_t off = isakmp_pl_begin(b, ISAKMP_NP_HASH);

	isakmp_put(b, zeros, len);
	isakmp_pl_end(b, off);
	return off + ISAKMP_GEN_LEN;
}

/* ---- SA installation */

static gw_seconds soft_of(struct ike_engine *e, gw_seconds hard)
{
	uint32_t r = 0;

	if (!hard)
		return 0;
	if (!e->conf.no_jitter)
		ike_random(&r, sizeof(r));
	/* 80 % minus up to 5 % jitter, so both ends do not rekey at once */
	return hard * 80 / 100 - (e->conf.no_jitter || hard < 20 ? 0 : r % (hard * 5 / 100 + 1));
}

static int keymat_for(const struct ike_p2 *p2, const struct p2_choice *ch, uint32_t spi,
		      struct ike_sa_params *sp)
{
	uint8_t km[IKE_KEYMAT_MAX];
	unsigned el = gw_enc_key_len(ch->enc), al = gw_auth_key_len(ch->auth);
	struct ike_p1 *p1 = p2->p1;
	int rc;

	if (el > GW_KEY_MAX || al > GW_KEY_MAX)
		return -1;
	rc = ike_keymat(&p1->keys, p2->gqm, p2->gqm_len, ch->protocol, spi, p2->ni, p2->ni_len, p2->nr,
			p2->nr_len, km, el + al);
	if (rc == 0) {
		sp->enc_key.len = (uint8_t)el;
		memcpy(sp->enc_key.bytes, km, el);
		sp->auth_key.len = (uint8_t)al;
		memcpy(sp->auth_key.bytes, km + el, al);
	}
	ike_wipe(km, sizeof(km));
	return rc;
}

/* The INSTALL_SA action of p2's pair (keys, lifetimes, encapsulation):
 * its ESP or AH pair, or of a bundle the AH pair when `ah`. */
static int pair_action(struct ike_engine *e, struct ike_p2 *p2, bool ah, struct ike_action *ap)
{
	struct ike_action a = {.type = IKE_ACT_INSTALL_SA};
	struct ike_sa_params base = {0};
	const struct p2_choice *ch = ah ? &p2->ch_ah : &p2->ch;
	uint32_t spi_in = ah ? p2->spi_in_ah : p2->spi_in, spi_out = ah ? p2->spi_out_ah : p2->spi_out;
	uint8_t proto = ch->protocol == ISAKMP_PROTO_AH ? IPPROTO_AH : IPPROTO_ESP;
	bool udp = ch->encap == ISAKMP_ENCAP_UDP_TUNNEL || ch->encap == ISAKMP_ENCAP_UDP_TRANSPORT;

	base.enc_alg = ch->enc;
	base.auth_alg = ch->auth;
	base.tunnel = ch->encap == ISAKMP_ENCAP_TUNNEL || ch->encap == ISAKMP_ENCAP_UDP_TUNNEL;
	base.flags = (proto == IPPROTO_AH ? GW_SA_FLAG_AH : GW_SA_FLAG_ESP) |
		     (ch->group != GW_DH_NONE ? GW_SA_FLAG_PFS : 0);
	base.add_hard = ch->life_s;
	base.add_soft = soft_of(e, ch->life_s);
	base.lifebytes_hard = ch->life_kb * 1024;
	base.lifebytes_soft = base.lifebytes_hard / 10 * 8;
	a.install.in = a.install.out = base;
	a.install.in_id = (struct ike_sa_id){.spi = spi_in, .src = p2->remote, .dst = p2->local,
					     .proto = proto, .dir = GW_SA_IN};
	a.install.out_id = (struct ike_sa_id){.spi = spi_out, .src = p2->local, .dst = p2->remote,
					      .proto = proto, .dir = GW_SA_OUT};
	if (udp && p2->p1) {
		a.install.in.encap_sport = p2->p1->rport;
		a.install.in.encap_dport = p2->p1->lport;
		a.install.out.encap_sport = p2->p1->lport;
		a.install.out.encap_dport = p2->p1->rport;
	}
	if (keymat_for(p2, ch, spi_in, &a.install.in) || keymat_for(p2, ch, spi_out, &a.install.out)) {
		ike_wipe(&a, sizeof(a));
		return -1;
	}
	a.install.policy_uid = p2->pol.uid;
	a.install.replaces_spi_in = p2->replaces_spi_in; /* of a bundle: the ESP SA of the one it renews */
	a.install.initiator = p2->initiator;
	*ap = a;
	return 0;
}

/* Responder, sending QM2: the inbound SA now (IKE_ACT_INSTALL_IN). */
static void install_in_early(struct ike_engine *e, struct ike_p2 *p2)
{
	struct ike_action a;

	for (int ah = 0; ah <= (int)p2->bundle; ah++) {
		if (pair_action(e, p2, ah, &a) != 0)
			return;
		a.type = IKE_ACT_INSTALL_IN;
		ike_wipe(&a.install.out, sizeof(a.install.out));
		memset(&a.install.out_id, 0, sizeof(a.install.out_id));
		ike_push(e, &a);
		p2->in_early = true;
	}
}

static void install(struct ike_engine *e, struct ike_p2 *p2)
{
	struct ike_action a, a_ah;
	uint8_t proto = p2->ch.protocol == ISAKMP_PROTO_AH ? IPPROTO_AH : IPPROTO_ESP;
	char r[16];

	if (pair_action(e, p2, false, &a) != 0 || (p2->bundle && pair_action(e, p2, true, &a_ah) != 0)) {
		ike_wipe(&a, sizeof(a));
		p2->state = P2_DEAD;
		return;
	}
	ike_push(e, &a);
	if (p2->bundle)
		ike_push(e, &a_ah);
	p2->in_early = false;
	p2->state = P2_INSTALLED;
	p2->installed_ms = e->now;
	p2->retx.armed = false;
	ike_dh_free(p2->dh);
	p2->dh = NULL;
	ike_p2_installed_note(e, p2->pol.uid);
	e->stats.p2_established++;
	ike_log(e, IKE_LOG_INFO, "peer %s: %s SA pair installed: in %08X out %08X, %s%s%s, %s%s, lifetime %llus%s",
		ike_ip(p2->remote, r), proto == IPPROTO_AH ? "AH" : "ESP", p2->spi_in, p2->spi_out,
		proto == IPPROTO_AH ? "" : gw_enc_alg_name(p2->ch.enc),
		proto == IPPROTO_AH || enc_is_aead(p2->ch.enc) ? "" : "/",
		enc_is_aead(p2->ch.enc) ? "" : gw_auth_alg_name(p2->ch.auth), isakmp_encap_name(p2->ch.encap),
		p2->ch.group ? ", PFS" : "", (unsigned long long)p2->ch.life_s,
		p2->replaces_spi_in ? ", rekey" : "");
	if (p2->bundle)
		ike_log(e, IKE_LOG_INFO, "peer %s: AH SA pair of the bundle installed: in %08X out %08X, %s", r,
			p2->spi_in_ah, p2->spi_out_ah, gw_auth_alg_name(p2->ch_ah.auth));
	if (p2->ch.enc == GW_ENC_DES || p2->ch.auth == GW_AUTH_MD5 || p2->ch.group == GW_DH_MODP768)
		ike_log(e, IKE_LOG_WARNING, "peer %s: phase 2 uses weak algorithms", r);
}

/* ---- initiator */

int ike_qm_initiate(struct ike_engine *e, struct ike_p1 *p1, const struct gw_policy *pol,
		    uint32_t replaces_spi_in)
{
	const struct gw_proposal *pr = ike_proposal_find(e, pol->proposal[0] ? pol->proposal : "default");
	struct ike_p2 *p2;
	struct isakmp_buf b;
	struct isakmp_hdr h;
	uint32_t msgid;
	unsigned n_xf;
	size_t hoff;
	char r[16];

	if (!pr) {
		ike_log(e, IKE_LOG_WARNING, "policy uid %u: proposal \"%s\" not found", pol->uid, pol->proposal);
		return -1;
	}
	do {
		if (ike_random(&msgid, sizeof(msgid)))
			return -1;
	} while (msgid == 0 || ike_p2_by_msgid(e, p1, msgid) || qm_id_used(p1, msgid, false));
	p2 = p2_new(e, p1, true, msgid);
	if (!p2)
		return -1;
	p2->pol = *pol;
	p2->prop = *pr;
	p2->replaces_spi_in = replaces_spi_in;
	p2->bundle = (pol->ipsec_protocols & (GW_PROTO_AH | GW_PROTO_ESP)) == (GW_PROTO_AH | GW_PROTO_ESP);
	p2->ch.protocol = p2->bundle || !(pol->ipsec_protocols & GW_PROTO_AH) ? ISAKMP_PROTO_ESP : ISAKMP_PROTO_AH;
	p2->ch.group = pr->pfs_group;
	if (p2->bundle && !(p2->spi_in_ah = new_spi(e)))
		goto fail;
	if ((pol->ipsec_protocols & GW_PROTO_AH) && (p1->nat_local || p1->nat_remote)) {
		ike_log(e, IKE_LOG_WARNING, "policy uid %u: AH cannot cross the NAT between us and peer %s", pol->uid,
			ike_ip(p1->remote, r));
		goto fail;
	}
	p2->ni_len = IKE_NONCE_LEN;
	if (ike_random(p2->ni, p2->ni_len))
		goto fail;
	if (pr->pfs_group != GW_DH_NONE && !(p2->dh = ike_dh_new(pr->pfs_group)))
		goto fail;
	ike_hdr_init(p1, &h, ISAKMP_EXCH_QUICK, msgid);
	isakmp_buf_init(&b, e->buf, IKE_DGRAM_MAX);
	isakmp_put_hdr(&b, &h);
	hoff = put_hash_placeholder(&b, p1->keys.prf_len);
	n_xf = put_p2_sa(&b, p1, p2);
	if (n_xf == IKE_MAX_P2_XF)
		ike_log(e, IKE_LOG_WARNING, "policy uid %u: proposal \"%s\" offers only its first %d combinations",
			pol->uid, pr->name, IKE_MAX_P2_XF);
	if (n_xf == 0) {
		ike_log(e, IKE_LOG_WARNING, "policy uid %u: proposal \"%s\" has nothing IKEv1 can offer", pol->uid,
			pr->name);
		goto fail;
	}
	isakmp_put_blob_pl(&b, ISAKMP_NP_NONCE, p2->ni, p2->ni_len);
	if (p2->dh)
		isakmp_put_blob_pl(&b, ISAKMP_NP_KE, ike_dh_public(p2->dh), ike_dh_len(pr->pfs_group));
	sel_to_id(&(struct gw_selector){gw_policy_src_selector(pol).prefix, gw_policy_src_selector(pol).port},
		  pol->protocol, pol->tunnel, p2->id_ci, &p2->id_ci_len);
	sel_to_id(&(struct gw_selector){gw_policy_dst_selector(pol).prefix, gw_policy_dst_selector(pol).port},
		  pol->protocol, pol->tunnel, p2->id_cr, &p2->id_cr_len);
	put_id_body(&b, p2->id_ci, p2->id_ci_len);
	put_id_body(&b, p2->id_cr, p2->id_cr_len);
	if (!isakmp_buf_ok(&b))
		goto fail;
	ike_qm_hash(&p1->keys, false, msgid, b.p + hoff + p1->keys.prf_len, b.len - hoff - p1->keys.prf_len, NULL,
		    0, NULL, 0, b.p + hoff);
	ike_log(e, IKE_LOG_INFO, "peer %s: quick mode for policy uid %u (proposal %s%s)", ike_ip(p1->remote, r),
		pol->uid, pr->name, replaces_spi_in ? ", rekey" : "");
	p2->state = P2_QM1_SENT;
	return ike_send_msg(e, p1, &b, true, p2->iv, &p2->retx, true);
fail:
	p2->state = P2_DEAD;
	return -1;
}

/* Attributes inside a RESPONDER-LIFETIME notification (RFC 2407 4.6.3.1). */
static void responder_lifetime(struct ike_p2 *p2, const struct isakmp_notify_pl *n)
{
	const uint8_t *p = n->data;
	size_t left = n->data_len;
	unsigned type = 0;

	while (left >= 4) {
		uint16_t t = (uint16_t)(p[0] << 8 | p[1]), v = (uint16_t)(p[2] << 8 | p[3]);
		uint64_t val = v;
		size_t used = 4;

		if (!(t & 0x8000)) {
			if (v > left - 4 || v > 8)
				return;
			val = 0;
			for (unsigned i = 0; i < v; i++)
				val = val << 8 | p[4 + i];
			used += v;
		}
		t &= 0x7fff;
		if (t == ISAKMP_P2_LIFE_TYPE)
			type = (unsigned)val;
		else if (t == ISAKMP_P2_LIFE_DURATION && type == ISAKMP_LIFE_SECONDS && longer(p2->ch.life_s, val))
			p2->ch.life_s = val;
		else if (t == ISAKMP_P2_LIFE_DURATION && type == ISAKMP_LIFE_KILOBYTES && longer(p2->ch.life_kb, val))
			p2->ch.life_kb = val;
		p += used;
		left -= used;
	}
}

static int derive_pfs(struct ike_p2 *p2, const struct isakmp_msg *m)
{
	size_t n;

	if (p2->ch.group == GW_DH_NONE)
		return isakmp_has(m, ISAKMP_NP_KE) ? -1 : 0;
	n = ike_dh_len(p2->ch.group);
	if (!p2->dh || !isakmp_has(m, ISAKMP_NP_KE) || m->ke.len != n)
		return -1;
	p2->gqm = malloc(n);
	if (!p2->gqm || ike_dh_derive(p2->dh, m->ke.data, n, p2->gqm))
		return -1;
	p2->gqm_len = n;
	return 0;
}

/* The responder's proposal of that protocol in its answer (one or, for a
 * bundle, two proposals of one number), or NULL. */
static const struct isakmp_proposal *answer_prop(const struct isakmp_msg *m, uint8_t protocol)
{
	for (unsigned i = 0; m->has_sa && i < m->sa.n_props; i++)
		if (m->sa.props[i].protocol == protocol)
			return &m->sa.props[i];
	return NULL;
}

/* One transform of the answer for `protocol`, which must be one we offered. */
static int answer_one(const struct ike_p1 *p1, const struct ike_p2 *p2, const struct isakmp_msg *m,
		      uint8_t protocol, struct p2_choice *c)
{
	const struct isakmp_proposal *pr = answer_prop(m, protocol);

	if (!pr || pr->n_xforms != 1 || pr->spi_size != 4 || p2_xf_decode(pr->protocol, &pr->xf[0], c) ||
	    c->group != p2->ch.group || c->encap != encap_of(p1, p2, protocol) ||
	    (c->protocol == ISAKMP_PROTO_ESP && !list_has(p2->prop.enc_algorithms, p2->prop.n_enc, c->enc)) ||
	    (!enc_is_aead(c->enc) && !list_has(p2->prop.auth_algorithms, p2->prop.n_auth, c->auth)) ||
	    longer(c->life_s, p2->prop.lifetime))
		return -1;
	return 0;
}

/* The responder's choice: exactly one proposal, or the ESP and AH ones of a
 * bundle (same proposal number). */
static int answer_choice(const struct ike_p1 *p1, const struct ike_p2 *p2, const struct isakmp_msg *m,
			 struct p2_choice *c, struct p2_choice *c_ah)
{
	unsigned want = p2->bundle ? 2 : 1;

	if (!m->has_sa || m->sa.n_props != want || answer_one(p1, p2, m, p2->ch.protocol, c))
		return -1;
	if (!p2->bundle)
		return 0;
	if (m->sa.props[0].num != m->sa.props[1].num || answer_one(p1, p2, m, ISAKMP_PROTO_AH, c_ah))
		return -1;
	return 0;
}

static void qm2_input(struct ike_engine *e, struct ike_p2 *p2, const struct isakmp_hdr *h, const uint8_t *dgram,
		      size_t len)
{
	struct ike_p1 *p1 = p2->p1;
	struct isakmp_msg *m = e->msg;
	uint8_t iv[IKE_BLOCK_MAX], want[IKE_HASH_MAX];
	struct p2_choice c, c_ah;
	struct isakmp_buf b;
	struct isakmp_hdr rh;
	size_t hoff;
	char r[16];

	ike_ip(p1->remote, r);
	memcpy(iv, p2->iv, p1->keys.block);
	if (ike_decrypt_parse(e, p1, h, dgram, len, iv))
		return;
	if (m->first_np != ISAKMP_NP_HASH || m->hash.len != p1->keys.prf_len ||
	    ike_qm_hash(&p1->keys, false, h->msgid, p2->ni, p2->ni_len, m->after_hash, m->after_hash_len, NULL, 0,
			want) ||
	    memcmp(want, m->hash.data, m->hash.len)) {
		e->stats.auth_failures++;
		ike_log(e, IKE_LOG_WARNING, "peer %s: quick mode message 2 with a bad HASH(2): dropped", r);
		return;
	}
	memcpy(p2->iv, iv, p1->keys.block);
	if (answer_choice(p1, p2, m, &c, &c_ah) != 0) {
		ike_log(e, IKE_LOG_WARNING, "peer %s: quick mode: responder chose something we did not offer", r);
		p2->state = P2_DEAD;
		return;
	}
	if (!isakmp_has(m, ISAKMP_NP_NONCE) || m->nonce.len < 8 || m->nonce.len > sizeof(p2->nr)) {
		e->stats.malformed++;
		p2->state = P2_DEAD;
		return;
	}
	memcpy(p2->nr, m->nonce.data, m->nonce.len);
	p2->nr_len = m->nonce.len;
	c.life_kb = c.life_kb ? c.life_kb : (p2->prop.lifebytes + 1023) / 1024;
	p2->ch = c;
	p2->spi_out = spi_of(answer_prop(m, p2->ch.protocol));
	if (p2->bundle) {
		c_ah.life_kb = c_ah.life_kb ? c_ah.life_kb : c.life_kb;
		p2->ch_ah = c_ah;
		p2->spi_out_ah = spi_of(answer_prop(m, ISAKMP_PROTO_AH));
	}
	for (unsigned i = 0; i < m->n_notify; i++)
		if (m->notify[i].type == ISAKMP_N_RESPONDER_LIFETIME)
			responder_lifetime(p2, &m->notify[i]);
	if (p2->bundle) { /* one RESPONDER-LIFETIME (for ESP) stands for the bundle */
		p2->ch_ah.life_s = p2->ch.life_s;
		p2->ch_ah.life_kb = p2->ch.life_kb;
	}
	if (derive_pfs(p2, m)) {
		ike_log(e, IKE_LOG_WARNING, "peer %s: quick mode: bad or missing PFS KE", r);
		p2->state = P2_DEAD;
		return;
	}
	/* HASH(3) */
	ike_hdr_init(p1, &rh, ISAKMP_EXCH_QUICK, h->msgid);
	isakmp_buf_init(&b, e->buf, IKE_DGRAM_MAX);
	isakmp_put_hdr(&b, &rh);
	hoff = put_hash_placeholder(&b, p1->keys.prf_len);
	ike_qm_hash(&p1->keys, true, h->msgid, p2->ni, p2->ni_len, p2->nr, p2->nr_len, NULL, 0, b.p + hoff);
	ike_send_msg(e, p1, &b, true, p2->iv, &p2->retx, false);
	install(e, p2);
}

/* ---- responder */

static void qm_refuse(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_msg *m, uint16_t type)
{
	const struct isakmp_proposal *pr = m->has_sa && m->sa.n_props ? &m->sa.props[0] : NULL;

	ike_send_info_notify(e, p1, pr ? pr->protocol : ISAKMP_PROTO_ESP, type, pr ? pr->spi : NULL,
			     pr && pr->spi_size <= 16 ? pr->spi_size : 0, NULL, 0);
}

static const struct gw_policy *dynamic_policy(struct ike_engine *e, struct ike_p1 *p1, struct ike_p2 *p2,
					      const struct gw_selector *ci, const struct gw_selector *cr,
					      uint8_t proto, bool tunnel)
{
	struct ike_action a = {.type = IKE_ACT_ADD_POLICY};
	struct gw_policy *pol = &p2->pol;
	char s[16], d[16];

	memset(pol, 0, sizeof(*pol));
	pol->uid = e->dyn_uid++;
	pol->src_address = *cr;
	pol->dst_address = *ci;
	pol->src_address_set = pol->dst_address_set = true;
	pol->protocol = proto ? proto : GW_PROTOCOL_ALL;
	pol->action = GW_ACTION_ENCRYPT;
	pol->level = GW_LEVEL_REQUIRE;
	pol->ipsec_protocols = GW_PROTO_ESP;
	pol->tunnel = tunnel;
	pol->sa_src_address = p1->local;
	pol->sa_dst_address = p1->remote;
	snprintf(pol->proposal, sizeof(pol->proposal), "default");
	pol->dynamic = true;
	a.add_policy.policy = *pol;
	ike_push(e, &a);
	ike_log(e, IKE_LOG_INFO, "peer %s: generate-policy: %s/%u -> %s/%u (uid %u)", ike_ip(p1->remote, s),
		ike_ip(cr->prefix.addr, s), cr->prefix.len, ike_ip(ci->prefix.addr, d), ci->prefix.len, pol->uid);
	return pol;
}

/* What the responder picked from the initiator's SA payload: one proposal
 * and transform, or for a bundle the ESP and the AH ones. */
struct p2_pick {
	const struct isakmp_proposal *p, *p_ah;
	const struct isakmp_transform *t, *t_ah;
	bool claim; /* proposal-check claim shortened a lifetime */
};

/* The first acceptable transform of proposal p (in the initiator's order)
 * into *c; -1 if none. `tunnel` is the mode this SA must have. */
static int choose_xf(const struct ike_p1 *p1, const struct gw_proposal *pr, const struct isakmp_proposal *p,
		     bool tunnel, struct p2_choice *c, const struct isakmp_transform **t, bool *claim)
{
	uint16_t encap_udp = encap_for(p1, tunnel);
	uint16_t encap_plain = tunnel ? ISAKMP_ENCAP_TUNNEL : ISAKMP_ENCAP_TRANSPORT;

	if (p->spi_size != 4)
		return -1;
	for (unsigned j = 0; j < p->n_xforms; j++) {
		int64_t ls, lk;

		if (p2_xf_decode(p->protocol, &p->xf[j], c))
			continue;
		if (c->protocol == ISAKMP_PROTO_ESP && !list_has(pr->enc_algorithms, pr->n_enc, c->enc))
			continue;
		if (!enc_is_aead(c->enc) && !list_has(pr->auth_algorithms, pr->n_auth, c->auth))
			continue;
		if (c->group != pr->pfs_group)
			continue;
		if (c->encap != encap_udp && c->encap != encap_plain)
			continue;
		ls = life_check(p1->peer.proposal_check, c->life_s, pr->lifetime, claim);
		lk = life_check(p1->peer.proposal_check, c->life_kb, (pr->lifebytes + 1023) / 1024, claim);
		if (ls < 0 || lk < 0)
			continue;
		c->life_s = (uint64_t)ls;
		c->life_kb = (uint64_t)lk;
		c->prop_num = p->num;
		*t = &p->xf[j];
		return 0;
	}
	return -1;
}

/* A single-protocol policy takes a lone proposal of its protocol. */
static int choose_single(const struct ike_p1 *p1, struct ike_p2 *p2, const struct isakmp_proposal *p,
			 struct p2_pick *pick)
{
	uint8_t want = p2->pol.ipsec_protocols & GW_PROTO_AH ? ISAKMP_PROTO_AH : ISAKMP_PROTO_ESP;
	bool claim = false;

	if (p->protocol != want || (want == ISAKMP_PROTO_AH && (p1->nat_local || p1->nat_remote)) ||
	    choose_xf(p1, &p2->prop, p, p2->pol.tunnel, &p2->ch, &pick->t, &claim))
		return -1;
	pick->p = p;
	pick->claim = claim;
	return 0;
}

/* A bundle policy takes a pair of proposals of one number, ESP AND AH;
 * ESP has the policy's mode, AH is transport over it (encap_of). */
static int choose_bundle(const struct ike_p1 *p1, struct ike_p2 *p2, const struct isakmp_proposal *g,
			 struct p2_pick *pick)
{
	const struct isakmp_proposal *esp = g[0].protocol == ISAKMP_PROTO_ESP ? &g[0] : &g[1];
	const struct isakmp_proposal *ah = esp == &g[0] ? &g[1] : &g[0];
	bool claim = false;

	if (esp->protocol != ISAKMP_PROTO_ESP || ah->protocol != ISAKMP_PROTO_AH || p1->nat_local || p1->nat_remote ||
	    choose_xf(p1, &p2->prop, esp, p2->pol.tunnel, &p2->ch, &pick->t, &claim) ||
	    choose_xf(p1, &p2->prop, ah, false, &p2->ch_ah, &pick->t_ah, &claim))
		return -1;
	p2->bundle = true;
	pick->p = esp;
	pick->p_ah = ah;
	pick->claim = claim;
	return 0;
}

/* Pick from the initiator's proposals (groups of one number are ANDed),
 * in its order, what the policy wants: one protocol or an AH+ESP bundle. */
static int choose(struct ike_p1 *p1, struct ike_p2 *p2, const struct isakmp_sa *sa, struct p2_pick *pick)
{
	bool bundle = (p2->pol.ipsec_protocols & (GW_PROTO_AH | GW_PROTO_ESP)) == (GW_PROTO_AH | GW_PROTO_ESP);
	unsigned i, j;

	memset(pick, 0, sizeof(*pick));
	for (i = 0; i < sa->n_props; i = j) {
		for (j = i + 1; j < sa->n_props && sa->props[j].num == sa->props[i].num; j++)
			;
		if (!bundle && j - i == 1 && choose_single(p1, p2, &sa->props[i], pick) == 0)
			break;
		if (bundle && j - i == 2 && choose_bundle(p1, p2, &sa->props[i], pick) == 0)
			break;
	}
	if (i == sa->n_props)
		return -1;
	p2->resp_lifetime_sent = pick->claim;
	return 0;
}

/* Our answer's SA payload: the chosen proposal(s), in the initiator's
 * order, each with our SPI and the one transform we took. */
static void put_answer_sa(struct isakmp_buf *b, const struct ike_p2 *p2, const struct p2_pick *pick)
{
	size_t sa = isakmp_sa_begin(b);
	bool ah_first = pick->p_ah && pick->p_ah < pick->p;

	for (int k = 0; k < (pick->p_ah ? 2 : 1); k++) {
		bool ah = pick->p_ah && (k == 0) == ah_first;
		const struct isakmp_proposal *p = ah ? pick->p_ah : pick->p;
		uint8_t spi[4];
		size_t pr;

		spi_bytes(ah ? p2->spi_in_ah : p2->spi_in, spi);
		pr = isakmp_prop_begin(b, p->num, p->protocol, spi, 4, 1);
		ike_put_xf_copy(b, ah ? pick->t_ah : pick->t, true);
		isakmp_sub_end(b, pr, k + 1 == (pick->p_ah ? 2 : 1), ISAKMP_NP_P);
	}
	isakmp_pl_end(b, sa);
}

static void qm1_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_hdr *h, const uint8_t *dgram,
		      size_t len)
{
	struct isakmp_msg *m = e->msg;
	uint8_t iv[IKE_BLOCK_MAX], want[IKE_HASH_MAX];
	struct p2_pick pick;
	const struct gw_policy *pol;
	const struct gw_proposal *prop;
	struct gw_selector ci, cr;
	uint8_t proto_ci = 0, proto_cr = 0;
	struct ike_p2 *p2;
	struct isakmp_buf b;
	struct isakmp_hdr rh;
	size_t hoff;
	char r[16];

	ike_ip(p1->remote, r);
	if (ike_p2_iv(&p1->keys, p1->p1_last, h->msgid, iv) || ike_decrypt_parse(e, p1, h, dgram, len, iv))
		return;
	if (m->first_np != ISAKMP_NP_HASH || m->hash.len != p1->keys.prf_len ||
	    ike_qm_hash(&p1->keys, false, h->msgid, m->after_hash, m->after_hash_len, NULL, 0, NULL, 0, want) ||
	    memcmp(want, m->hash.data, m->hash.len)) {
		e->stats.auth_failures++;
		ike_log(e, IKE_LOG_WARNING, "peer %s: quick mode message 1 with a bad HASH(1): dropped", r);
		return;
	}
	if (!m->has_sa || !isakmp_has(m, ISAKMP_NP_NONCE) || m->nonce.len < 8 || m->nonce.len > IKE_NONCE_LEN ||
	    (m->n_ids != 0 && m->n_ids != 2)) {
		e->stats.malformed++;
		qm_refuse(e, p1, m, ISAKMP_N_PAYLOAD_MALFORMED);
		return;
	}
	if (m->n_ids == 2) {
		if (id_to_sel(&m->ids[0], &ci, &proto_ci) || id_to_sel(&m->ids[1], &cr, &proto_cr) ||
		    proto_ci != proto_cr) {
			ike_log(e, IKE_LOG_WARNING, "peer %s: quick mode identities not supported", r);
			qm_refuse(e, p1, m, ISAKMP_N_INVALID_ID_INFORMATION);
			return;
		}
	} else {
		/* No IDs: the two IKE peers themselves (RFC 2409 5.5). */
		ci = (struct gw_selector){{p1->remote, 32}, 0};
		cr = (struct gw_selector){{p1->local, 32}, 0};
	}
	p2 = p2_new(e, p1, false, h->msgid);
	if (!p2)
		return;
	memcpy(p2->iv, iv, p1->keys.block);
	ike_seen_before(&p2->last_rx, dgram, len);
	memcpy(p2->ni, m->nonce.data, m->nonce.len);
	p2->ni_len = m->nonce.len;
	if (m->n_ids == 2) {
		p2->id_ci_len = m->ids[0].body_len < sizeof(p2->id_ci) ? m->ids[0].body_len : 0;
		p2->id_cr_len = m->ids[1].body_len < sizeof(p2->id_cr) ? m->ids[1].body_len : 0;
		memcpy(p2->id_ci, m->ids[0].body, p2->id_ci_len);
		memcpy(p2->id_cr, m->ids[1].body, p2->id_cr_len);
	}
	pol = policy_for_ids(e, p1, &ci, &cr, proto_ci);
	if (pol) {
		p2->pol = *pol;
	} else if (p1->peer.generate_policy) {
		bool tunnel = true;

		/* tunnel unless every offered transform says transport */
		for (unsigned i = 0; i < m->sa.n_xf_pool; i++) {
			const struct isakmp_attr *a = isakmp_attr_find(&m->sa.xf_pool[i], ISAKMP_P2_ENCAP);

			tunnel = !(a && (a->value == ISAKMP_ENCAP_TRANSPORT || a->value == ISAKMP_ENCAP_UDP_TRANSPORT ||
					 a->value == ISAKMP_ENCAP_UDP_TRANSPORT_DRAFT));
			if (tunnel)
				break;
		}
		dynamic_policy(e, p1, p2, &ci, &cr, proto_ci, tunnel);
	} else {
		char a1[16], a2[16];

		ike_log(e, IKE_LOG_WARNING, "peer %s: no policy for %s/%u <=> %s/%u (and generate-policy=no)", r,
			ike_ip(cr.prefix.addr, a1), cr.prefix.len, ike_ip(ci.prefix.addr, a2), ci.prefix.len);
		qm_refuse(e, p1, m, ISAKMP_N_INVALID_ID_INFORMATION);
		p2->state = P2_DEAD;
		return;
	}
	prop = ike_proposal_find(e, p2->pol.proposal[0] ? p2->pol.proposal : "default");
	if (!prop) {
		ike_log(e, IKE_LOG_WARNING, "peer %s: policy uid %u: proposal \"%s\" not found", r, p2->pol.uid,
			p2->pol.proposal);
		qm_refuse(e, p1, m, ISAKMP_N_NO_PROPOSAL_CHOSEN);
		p2->state = P2_DEAD;
		return;
	}
	p2->prop = *prop;
	if (choose(p1, p2, &m->sa, &pick)) {
		e->stats.no_proposal++;
		ike_log(e, IKE_LOG_WARNING, "peer %s: no proposal chosen for policy uid %u (proposal %s, %u transform(s) offered)",
			r, p2->pol.uid, prop->name, m->sa.n_xf_pool);
		qm_refuse(e, p1, m, ISAKMP_N_NO_PROPOSAL_CHOSEN);
		p2->state = P2_DEAD;
		return;
	}
	p2->spi_out = spi_of(pick.p);
	if (p2->bundle) {
		p2->spi_out_ah = spi_of(pick.p_ah);
		if (!(p2->spi_in_ah = new_spi(e)))
			goto fail;
	}
	p2->nr_len = IKE_NONCE_LEN;
	if (ike_random(p2->nr, p2->nr_len))
		goto fail;
	if (p2->ch.group != GW_DH_NONE && !(p2->dh = ike_dh_new(p2->ch.group)))
		goto fail;
	if (derive_pfs(p2, m)) {
		ike_log(e, IKE_LOG_WARNING, "peer %s: quick mode: bad or missing PFS KE", r);
		qm_refuse(e, p1, m, ISAKMP_N_INVALID_KEY_INFORMATION);
		goto fail;
	}
	/* message 2 */
	ike_hdr_init(p1, &rh, ISAKMP_EXCH_QUICK, h->msgid);
	isakmp_buf_init(&b, e->buf, IKE_DGRAM_MAX);
	isakmp_put_hdr(&b, &rh);
	hoff = put_hash_placeholder(&b, p1->keys.prf_len);
	put_answer_sa(&b, p2, &pick);
	isakmp_put_blob_pl(&b, ISAKMP_NP_NONCE, p2->nr, p2->nr_len);
	if (p2->dh)
		isakmp_put_blob_pl(&b, ISAKMP_NP_KE, ike_dh_public(p2->dh), ike_dh_len(p2->ch.group));
	if (m->n_ids == 2) {
		put_id_body(&b, p2->id_ci, p2->id_ci_len);
		put_id_body(&b, p2->id_cr, p2->id_cr_len);
	}
	if (p2->resp_lifetime_sent) {
		uint8_t attrs[32], spi[4];
		struct isakmp_buf ab;

		spi_bytes(p2->spi_in, spi);
		isakmp_buf_init(&ab, attrs, sizeof(attrs));
		if (p2->ch.life_s) {
			isakmp_attr_tv(&ab, ISAKMP_P2_LIFE_TYPE, ISAKMP_LIFE_SECONDS);
			isakmp_attr_num(&ab, ISAKMP_P2_LIFE_DURATION, p2->ch.life_s);
		}
		if (p2->ch.life_kb) {
			isakmp_attr_tv(&ab, ISAKMP_P2_LIFE_TYPE, ISAKMP_LIFE_KILOBYTES);
			isakmp_attr_num(&ab, ISAKMP_P2_LIFE_DURATION, p2->ch.life_kb);
		}
		isakmp_put_notify(&b, pick.p->protocol, ISAKMP_N_RESPONDER_LIFETIME, spi, 4, attrs, ab.len);
		ike_log(e, IKE_LOG_INFO, "peer %s: proposal-check claim: lifetime %llus", r,
			(unsigned long long)p2->ch.life_s);
	}
	if (!isakmp_buf_ok(&b))
		goto fail;
	ike_qm_hash(&p1->keys, false, h->msgid, p2->ni, p2->ni_len, b.p + hoff + p1->keys.prf_len,
		    b.len - hoff - p1->keys.prf_len, NULL, 0, b.p + hoff);
	p2->state = P2_QM2_SENT;
	install_in_early(e, p2);
	ike_send_msg(e, p1, &b, true, p2->iv, &p2->retx, true);
	return;
fail:
	p2->state = P2_DEAD;
}

static void qm3_input(struct ike_engine *e, struct ike_p2 *p2, const struct isakmp_hdr *h, const uint8_t *dgram,
		      size_t len)
{
	struct ike_p1 *p1 = p2->p1;
	struct isakmp_msg *m = e->msg;
	uint8_t iv[IKE_BLOCK_MAX], want[IKE_HASH_MAX];
	char r[16];

	memcpy(iv, p2->iv, p1->keys.block);
	if (ike_decrypt_parse(e, p1, h, dgram, len, iv))
		return;
	if (m->first_np != ISAKMP_NP_HASH || m->hash.len != p1->keys.prf_len ||
	    ike_qm_hash(&p1->keys, true, h->msgid, p2->ni, p2->ni_len, p2->nr, p2->nr_len, NULL, 0, want) ||
	    memcmp(want, m->hash.data, m->hash.len)) {
		e->stats.auth_failures++;
		ike_log(e, IKE_LOG_WARNING, "peer %s: quick mode message 3 with a bad HASH(3): dropped",
			ike_ip(p1->remote, r));
		return;
	}
	memcpy(p2->iv, iv, p1->keys.block);
	install(e, p2);
}

void ike_qm_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_hdr *h, const uint8_t *dgram,
		  size_t len)
{
	struct ike_p2 *p2 = ike_p2_by_msgid(e, p1, h->msgid);

	if (!(h->flags & ISAKMP_FLAG_E) || h->msgid == 0) {
		e->stats.malformed++;
		return;
	}
	if (!p2) {
		if (qm_id_used(p1, h->msgid, false)) {
			e->stats.unknown_msgid++;
			return; /* an old exchange's message: replayed or late */
		}
		qm1_input(e, p1, h, dgram, len);
		return;
	}
	if (ike_seen_before(&p2->last_rx, dgram, len)) {
		e->stats.retransmits_rx++;
		if (p2->retx.data && (p2->state == P2_QM2_SENT || (p2->initiator && p2->state == P2_INSTALLED))) {
			e->stats.retransmits_tx++;
			ike_send_raw(e, p1, p2->retx.data, p2->retx.len);
		}
		return;
	}
	if (p2->initiator && p2->state == P2_QM1_SENT)
		qm2_input(e, p2, h, dgram, len);
	else if (!p2->initiator && p2->state == P2_QM2_SENT)
		qm3_input(e, p2, h, dgram, len);
	else
		e->stats.out_of_order++;
}

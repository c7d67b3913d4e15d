/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ISAKMP codec: validate-then-read parsing, a chaining builder, name tables.
 * See isakmp.h.
 */
#include "isakmp.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const uint8_t isakmp_vid_dpd[16] = {0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
				    0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00};
const uint8_t isakmp_vid_natt[16] = {0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
				     0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

__attribute__((format(printf, 3, 4))) static int fail(struct isakmp_err *err, uint16_t notify,
						      const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->notify = notify;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- header */

int isakmp_hdr_parse(const uint8_t *buf, size_t len, struct isakmp_hdr *h, struct isakmp_err *err)
{
	if (len < ISAKMP_HDR_LEN)
		return fail(err, 0, "isakmp_hdr_parse: datagram of %zu bytes, header needs %d", len,
			    ISAKMP_HDR_LEN);
	memcpy(h->icookie, buf, 8);
	memcpy(h->rcookie, buf + 8, 8);
	h->np = buf[16];
	h->version = buf[17];
	h->exch = buf[18];
	h->flags = buf[19];
	h->msgid = get32(buf + 20);
	h->len = get32(buf + 24);
	if ((h->version >> 4) != 1)
		return fail(err, ISAKMP_N_INVALID_MAJOR_VERSION, "isakmp_hdr_parse: version %u.%u",
			    h->version >> 4, h->version & 15);
	if (h->len < ISAKMP_HDR_LEN || h->len > len)
		return fail(err, ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS,
			    "isakmp_hdr_parse: length field %u, datagram %zu", h->len, len);
	switch (h->exch) {
	case ISAKMP_EXCH_MAIN:
	case ISAKMP_EXCH_AGGRESSIVE:
	case ISAKMP_EXCH_INFO:
	case ISAKMP_EXCH_QUICK:
		break;
	default:
		return fail(err, ISAKMP_N_UNSUPPORTED_EXCHANGE_TYPE,
			    "isakmp_hdr_parse: exchange type %u (%s) not supported", h->exch,
			    isakmp_exch_name(h->exch));
	}
	if (h->flags & ~(ISAKMP_FLAG_E | ISAKMP_FLAG_C | ISAKMP_FLAG_A))
		return fail(err, ISAKMP_N_INVALID_FLAGS, "isakmp_hdr_parse: flags 0x%02x", h->flags);
	if (h->flags & ISAKMP_FLAG_A)
		return fail(err, ISAKMP_N_INVALID_FLAGS,
			    "isakmp_hdr_parse: authentication-only flag not supported");
	return 0;
}

/* ---- SA payload: SA -> proposals -> transforms -> attributes */

static int attrs_validate(const uint8_t *p, size_t left, struct isakmp_transform *t,
			  struct isakmp_err *err)
{
	while (left > 0) {
		struct isakmp_attr *a;
		uint16_t type, v;

		if (left < 4)
			return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
				    "attrs_validate: %zu bytes left, attribute header needs 4", left);
		if (t->n_attrs >= ISAKMP_MAX_ATTRS)
			return fail(err, ISAKMP_N_BAD_PROPOSAL_SYNTAX,
				    "attrs_validate: more than %d attributes in transform %u",
				    ISAKMP_MAX_ATTRS, t->num);
		type = get16(p);
		v = get16(p + 2);
		a = &t->attrs[t->n_attrs++];
		a->type = type & 0x7fff;
		if (type & 0x8000) {
			a->tv = true;
			a->len = 2;
			a->data = NULL;
			a->value = v;
			p += 4;
			left -= 4;
			continue;
		}
		if (v > left - 4)
			return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
				    "attrs_validate: attribute %u length %u, %zu bytes left", a->type, v,
				    left - 4);
		a->tv = false;
		a->len = v;
		a->data = p + 4;
		if (v > 8) {
			size_t i;

			a->value = 0;
			for (i = 0; i < v - 8u; i++)
				if (a->data[i])
					break;
			if (i < v - 8u) {
				a->value = UINT64_MAX;
			} else {
				for (; i < v; i++)
					a->value = a->value << 8 | a->data[i];
			}
		} else {
			a->value = 0;
			for (uint16_t i = 0; i < v; i++)
				a->value = a->value << 8 | a->data[i];
		}
		p += 4 + v;
		left -= 4 + (size_t)v;
	}
	return 0;
}

/* RFC 2408 3.6 transform payload, inside a proposal. */
static int xform_validate(const uint8_t *p, size_t left, struct isakmp_sa *sa, struct isakmp_proposal *pr,
			  bool last_expected, size_t *used, struct isakmp_err *err)
{
	struct isakmp_transform *t;
	uint16_t len;

	if (left < 8)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
			    "xform_validate: %zu bytes left, transform needs 8", left);
	len = get16(p + 2);
	if (len < 8 || len > left)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
			    "xform_validate: transform length %u, %zu bytes left", len, left);
	if (p[0] != (last_expected ? ISAKMP_NP_NONE : ISAKMP_NP_T))
		return fail(err, ISAKMP_N_BAD_PROPOSAL_SYNTAX,
			    "xform_validate: next payload %u in a transform (expected %u)", p[0],
			    last_expected ? 0 : 3);
	if (p[1] != 0)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED, "xform_validate: reserved byte %u", p[1]);
	if (sa->n_xf_pool >= ISAKMP_MAX_XFORMS)
		return fail(err, ISAKMP_N_BAD_PROPOSAL_SYNTAX,
			    "xform_validate: more than %d transforms in the SA", ISAKMP_MAX_XFORMS);
	t = &sa->xf_pool[sa->n_xf_pool++];
	pr->n_xforms++;
	t->num = p[4];
	t->id = p[5];
	t->n_attrs = 0;
	if (get16(p + 6) != 0)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED, "xform_validate: reserved2 0x%04x",
			    get16(p + 6));
	*used = len;
	return attrs_validate(p + 8, len - 8u, t, err);
}

/* RFC 2408 3.5 proposal payload, inside an SA. */
static int prop_validate(const uint8_t *p, size_t left, struct isakmp_sa *sa, bool *last,
			 size_t *used, struct isakmp_err *err)
{
	struct isakmp_proposal *pr;
	uint16_t len;
	size_t off, n, i;

	if (left < 8)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
			    "prop_validate: %zu bytes left, proposal needs 8", left);
	len = get16(p + 2);
	if (len < 8 || len > left)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
			    "prop_validate: proposal length %u, %zu bytes left", len, left);
	if (p[0] != ISAKMP_NP_NONE && p[0] != ISAKMP_NP_P)
		return fail(err, ISAKMP_N_BAD_PROPOSAL_SYNTAX,
			    "prop_validate: next payload %u in a proposal", p[0]);
	if (p[1] != 0)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED, "prop_validate: reserved byte %u", p[1]);
	*last = p[0] == ISAKMP_NP_NONE;
	if (sa->n_props >= ISAKMP_MAX_PROPS)
		return fail(err, ISAKMP_N_BAD_PROPOSAL_SYNTAX, "prop_validate: more than %d proposals",
			    ISAKMP_MAX_PROPS);
	pr = &sa->props[sa->n_props++];
	pr->num = p[4];
	pr->protocol = p[5];
	pr->spi_size = p[6];
	pr->n_xforms = 0;
	pr->xf = &sa->xf_pool[sa->n_xf_pool];
	n = p[7];
	if (pr->spi_size > ISAKMP_MAX_SPI)
		return fail(err, ISAKMP_N_INVALID_SPI, "prop_validate: SPI size %u", pr->spi_size);
	if (pr->spi_size > len - 8u)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
			    "prop_validate: SPI size %u, %u bytes left in the proposal", pr->spi_size,
			    len - 8u);
	memcpy(pr->spi, p + 8, pr->spi_size);
	if (n == 0)
		return fail(err, ISAKMP_N_BAD_PROPOSAL_SYNTAX, "prop_validate: proposal %u has no transforms",
			    pr->num);
	off = 8u + pr->spi_size;
	for (i = 0; i < n; i++) {
		size_t u = 0;

		if (xform_validate(p + off, len - off, sa, pr, i + 1 == n, &u, err) != 0)
			return -1;
		off += u;
	}
	if (off != len)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
			    "prop_validate: %u transforms use %zu of %u bytes", (unsigned)n, off, len);
	*used = len;
	return 0;
}

static int sa_validate(const uint8_t *p, size_t len, struct isakmp_sa *sa, struct isakmp_err *err)
{
	size_t off = 8;
	bool last = false;

	if (len < 8)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED, "sa_validate: body of %zu bytes, needs 8", len);
	sa->doi = get32(p);
	sa->situation = get32(p + 4);
	sa->body = p;
	sa->body_len = len;
	sa->n_props = 0;
	sa->n_xf_pool = 0;
	if (sa->doi != ISAKMP_DOI_IPSEC)
		return fail(err, ISAKMP_N_DOI_NOT_SUPPORTED, "sa_validate: DOI %u", sa->doi);
	if (sa->situation != ISAKMP_SIT_IDENTITY_ONLY)
		return fail(err, ISAKMP_N_SITUATION_NOT_SUPPORTED, "sa_validate: situation 0x%x",
			    sa->situation);
	while (!last) {
		size_t used = 0;

		if (off >= len)
			return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
				    "sa_validate: proposal chain runs past the SA (%zu bytes)", len);
		if (prop_validate(p + off, len - off, sa, &last, &used, err) != 0)
			return -1;
		off += used;
	}
	if (off != len)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
			    "sa_validate: proposals end at %zu of %zu bytes", off, len);
	return 0;
}

/* ---- the other payloads */

static int id_validate(const uint8_t *p, size_t len, struct isakmp_id *id, struct isakmp_err *err)
{
	if (len < 4)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED, "id_validate: body of %zu bytes, needs 4", len);
	id->type = p[0];
	id->proto = p[1];
	id->port = get16(p + 2);
	id->body = p;
	id->body_len = len;
	id->data = p + 4;
	id->data_len = len - 4;
	id->addr = id->addr2 = id->mask = 0;
	switch (id->type) {
	case ISAKMP_ID_IPV4_ADDR:
		if (id->data_len != 4)
			return fail(err, ISAKMP_N_INVALID_ID_INFORMATION,
				    "id_validate: IPV4_ADDR of %zu bytes", id->data_len);
		id->addr = id->addr2 = get32(id->data);
		id->mask = 0xffffffffu;
		break;
	case ISAKMP_ID_IPV4_ADDR_SUBNET:
	case ISAKMP_ID_IPV4_ADDR_RANGE:
		if (id->data_len != 8)
			return fail(err, ISAKMP_N_INVALID_ID_INFORMATION, "id_validate: %s of %zu bytes",
				    isakmp_id_type_name(id->type), id->data_len);
		id->addr = get32(id->data);
		if (id->type == ISAKMP_ID_IPV4_ADDR_SUBNET) {
			id->mask = get32(id->data + 4);
			id->addr2 = id->addr | ~id->mask;
		} else {
			id->addr2 = get32(id->data + 4);
			if (id->addr2 < id->addr)
				return fail(err, ISAKMP_N_INVALID_ID_INFORMATION,
					    "id_validate: range ends before it starts");
		}
		break;
	case ISAKMP_ID_IPV6_ADDR:
		if (id->data_len != 16)
			return fail(err, ISAKMP_N_INVALID_ID_INFORMATION, "id_validate: IPV6_ADDR of %zu bytes",
				    id->data_len);
		break;
	case ISAKMP_ID_IPV6_ADDR_SUBNET:
		if (id->data_len != 32)
			return fail(err, ISAKMP_N_INVALID_ID_INFORMATION,
				    "id_validate: IPV6_ADDR_SUBNET of %zu bytes", id->data_len);
		break;
	case ISAKMP_ID_FQDN:
	case ISAKMP_ID_USER_FQDN:
	case ISAKMP_ID_KEY_ID:
		break; /* opaque; PSK authenticates whatever was sent */
	default:
		return fail(err, ISAKMP_N_INVALID_ID_INFORMATION, "id_validate: ID type %u", id->type);
	}
	return 0;
}

static int notify_validate(const uint8_t *p, size_t len, struct isakmp_notify_pl *n,
			   struct isakmp_err *err)
{
	if (len < 8)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED, "notify_validate: body of %zu bytes, needs 8",
			    len);
	n->doi = get32(p);
	n->proto = p[4];
	n->spi_size = p[5];
	n->type = get16(p + 6);
	if (n->spi_size > len - 8)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
			    "notify_validate: SPI size %u, %zu bytes left", n->spi_size, len - 8);
	n->spi = p + 8;
	n->data = p + 8 + n->spi_size;
	n->data_len = len - 8 - n->spi_size;
	/* DOI 0 is allowed for ISAKMP-level notifications (RFC 2408 3.14). */
	if (n->doi != ISAKMP_DOI_IPSEC && n->doi != 0)
		return fail(err, ISAKMP_N_DOI_NOT_SUPPORTED, "notify_validate: DOI %u", n->doi);
	return 0;
}

static int delete_validate(const uint8_t *p, size_t len, struct isakmp_delete_pl *d,
			   struct isakmp_err *err)
{
	if (len < 8)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED, "delete_validate: body of %zu bytes, needs 8",
			    len);
	d->doi = get32(p);
	d->proto = p[4];
	d->spi_size = p[5];
	d->n_spi = get16(p + 6);
	d->spis = p + 8;
	if ((size_t)d->spi_size * d->n_spi != len - 8)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
			    "delete_validate: %u SPIs of %u bytes in %zu bytes", d->n_spi, d->spi_size,
			    len - 8);
	if (d->doi != ISAKMP_DOI_IPSEC)
		return fail(err, ISAKMP_N_DOI_NOT_SUPPORTED, "delete_validate: DOI %u", d->doi);
	return 0;
}

static int once(struct isakmp_msg *m, uint8_t np, struct isakmp_err *err)
{
	if (isakmp_has(m, np))
		return fail(err, ISAKMP_N_INVALID_PAYLOAD_TYPE, "isakmp_parse_payloads: second %s payload",
			    isakmp_np_name(np));
	return 0;
}

int isakmp_parse_payloads(uint8_t first_np, const uint8_t *body, size_t len, bool padded,
			  struct isakmp_msg *m, struct isakmp_err *err)
{
	struct isakmp_hdr keep = m->hdr;
	uint8_t np = first_np;
	size_t off = 0;

	memset(m, 0, offsetof(struct isakmp_msg, sa));
	m->hdr = keep;
	m->has_sa = false;
	memset(&m->ke, 0, sizeof(*m) - offsetof(struct isakmp_msg, ke));
	m->first_np = first_np;
	if (np == ISAKMP_NP_NONE)
		return fail(err, ISAKMP_N_PAYLOAD_MALFORMED, "isakmp_parse_payloads: message has no payload");
	while (np != ISAKMP_NP_NONE) {
		const uint8_t *pl = body + off, *b;
		size_t left = len - off, blen;
		uint16_t plen;
		uint8_t next;

		if (left < ISAKMP_GEN_LEN)
			return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
				    "isakmp_parse_payloads: %s payload: %zu bytes left, header needs 4",
				    isakmp_np_name(np), left);
		next = pl[0];
		plen = get16(pl + 2);
		if (plen < ISAKMP_GEN_LEN || plen > left)
			return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
				    "isakmp_parse_payloads: %s payload length %u, %zu bytes left",
				    isakmp_np_name(np), plen, left);
		if (pl[1] != 0)
			return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
				    "isakmp_parse_payloads: %s payload reserved byte %u", isakmp_np_name(np),
				    pl[1]);
		b = pl + ISAKMP_GEN_LEN;
		blen = plen - ISAKMP_GEN_LEN;
		switch (np) {
		case ISAKMP_NP_SA:
			if (once(m, np, err) || sa_validate(b, blen, &m->sa, err))
				return -1;
			m->has_sa = true;
			break;
		case ISAKMP_NP_KE:
		case ISAKMP_NP_NONCE:
		case ISAKMP_NP_HASH: {
			struct isakmp_blob *bl = np == ISAKMP_NP_KE ? &m->ke :
						 np == ISAKMP_NP_NONCE ? &m->nonce : &m->hash;

			if (once(m, np, err))
				return -1;
			if (blen == 0)
				return fail(err, ISAKMP_N_PAYLOAD_MALFORMED,
					    "isakmp_parse_payloads: empty %s payload", isakmp_np_name(np));
			bl->data = b;
			bl->len = blen;
			if (np == ISAKMP_NP_HASH && off == 0) {
				m->after_hash = pl + plen;
				m->after_hash_len = 0; /* set at the end */
			}
			break;
		}
		case ISAKMP_NP_ID:
			if (m->n_ids >= ISAKMP_MAX_IDS)
				return fail(err, ISAKMP_N_INVALID_PAYLOAD_TYPE,
					    "isakmp_parse_payloads: more than %d ID payloads", ISAKMP_MAX_IDS);
			if (id_validate(b, blen, &m->ids[m->n_ids], err))
				return -1;
			m->n_ids++;
			break;
		case ISAKMP_NP_N:
			if (m->n_notify >= ISAKMP_MAX_NOTIFY)
				return fail(err, ISAKMP_N_INVALID_PAYLOAD_TYPE,
					    "isakmp_parse_payloads: more than %d notifications", ISAKMP_MAX_NOTIFY);
			if (notify_validate(b, blen, &m->notify[m->n_notify], err))
				return -1;
			m->n_notify++;
			break;
		case ISAKMP_NP_D:
			if (m->n_delete >= ISAKMP_MAX_DELETE)
				return fail(err, ISAKMP_N_INVALID_PAYLOAD_TYPE,
					    "isakmp_parse_payloads: more than %d delete payloads", ISAKMP_MAX_DELETE);
			if (delete_validate(b, blen, &m->del[m->n_delete], err))
				return -1;
			m->n_delete++;
			break;
		case ISAKMP_NP_VID:
			/* Unknown vendor IDs are legal and ignored; the excess too. */
			if (m->n_vid < ISAKMP_MAX_VID) {
				m->vid[m->n_vid].data = b;
				m->vid[m->n_vid].len = blen;
				m->n_vid++;
			}
			break;
		case ISAKMP_NP_NAT_D:
			if (m->n_natd >= ISAKMP_MAX_NATD)
				return fail(err, ISAKMP_N_INVALID_PAYLOAD_TYPE,
					    "isakmp_parse_payloads: more than %d NAT-D payloads", ISAKMP_MAX_NATD);
			if (blen == 0)
				return fail(err, ISAKMP_N_PAYLOAD_MALFORMED, "isakmp_parse_payloads: empty NAT-D");
			m->natd[m->n_natd].data = b;
			m->natd[m->n_natd].len = blen;
			m->n_natd++;
			break;
		case ISAKMP_NP_CR:
		case ISAKMP_NP_NAT_OA:
			/* Harmless to ignore: a certificate request we cannot serve
			 * (PSK only), the peer's original address (we do not fix
			 * transport-mode checksums from it). */
			break;
		default:
			/* CERT, SIG, proposal/transform out of place, unknown types:
			 * RFC 2408 5.2 answers INVALID-PAYLOAD-TYPE. */
			return fail(err, ISAKMP_N_INVALID_PAYLOAD_TYPE,
				    "isakmp_parse_payloads: payload type %u (%s) not supported here", np,
				    isakmp_np_name(np));
		}
		m->present |= 1u << np;
		off += plen;
		np = next;
	}
	if (off != len && !padded)
		return fail(err, ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS,
			    "isakmp_parse_payloads: payloads end at %zu of %zu bytes", off, len);
	if (m->after_hash)
		m->after_hash_len = (size_t)(body + off - m->after_hash);
	return 0;
}

int isakmp_parse(const uint8_t *buf, size_t len, struct isakmp_msg *m, struct isakmp_err *err)
{
	if (isakmp_hdr_parse(buf, len, &m->hdr, err) != 0)
		return -1;
	if (m->hdr.flags & ISAKMP_FLAG_E)
		return fail(err, ISAKMP_N_INVALID_FLAGS, "isakmp_parse: message is encrypted");
	return isakmp_parse_payloads(m->hdr.np, buf + ISAKMP_HDR_LEN, m->hdr.len - ISAKMP_HDR_LEN, false,
				     m, err);
}

const struct isakmp_attr *isakmp_attr_find(const struct isakmp_transform *t, uint16_t type)
{
	for (unsigned i = 0; i < t->n_attrs; i++)
		if (t->attrs[i].type == type)
			return &t->attrs[i];
	return NULL;
}

/* ---- builder */

void isakmp_buf_init(struct isakmp_buf *b, uint8_t *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->np_off = SIZE_MAX;
	b->overflow = false;
}

void isakmp_put(struct isakmp_buf *b, const void *data, size_t len)
{
	if (b->overflow || len > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
}

void isakmp_put8(struct isakmp_buf *b, uint8_t v)
{
	isakmp_put(b, &v, 1);
}

void isakmp_put16(struct isakmp_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	isakmp_put(b, x, 2);
}

void isakmp_put32(struct isakmp_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	isakmp_put(b, x, 4);
}

void isakmp_set16(struct isakmp_buf *b, size_t off, uint16_t v)
{
	if (b->overflow || off + 2 > b->len)
		return;
	b->p[off] = (uint8_t)(v >> 8);
	b->p[off + 1] = (uint8_t)v;
}

void isakmp_set32(struct isakmp_buf *b, size_t off, uint32_t v)
{
	if (b->overflow || off + 4 > b->len)
		return;
	b->p[off] = (uint8_t)(v >> 24);
	b->p[off + 1] = (uint8_t)(v >> 16);
	b->p[off + 2] = (uint8_t)(v >> 8);
	b->p[off + 3] = (uint8_t)v;
}

void isakmp_put_hdr(struct isakmp_buf *b, const struct isakmp_hdr *h)
{
	isakmp_put(b, h->icookie, 8);
	isakmp_put(b, h->rcookie, 8);
	b->np_off = b->len;
	isakmp_put8(b, ISAKMP_NP_NONE);
	isakmp_put8(b, ISAKMP_VERSION);
	isakmp_put8(b, h->exch);
	isakmp_put8(b, h->flags);
	isakmp_put32(b, h->msgid);
	isakmp_put32(b, 0);
}

size_t isakmp_pl_begin(struct isakmp_buf *b, uint8_t np)
{
	size_t off = b->len;

	if (!b->overflow && b->np_off < b->len)
		b->p[b->np_off] = np;
	b->np_off = off;
	isakmp_put8(b, ISAKMP_NP_NONE);
	isakmp_put8(b, 0);
	isakmp_put16(b, 0);
	return off;
}

void isakmp_pl_end(struct isakmp_buf *b, size_t off)
{
	if (b->len - off > 0xffff)
		b->overflow = true;
	isakmp_set16(b, off + 2, (uint16_t)(b->len - off));
}

void isakmp_put_blob_pl(struct isakmp_buf *b, uint8_t np, const void *data, size_t len)
{
	size_t off = isakmp_pl_begin(b, np);

	isakmp_put(b, data, len);
	isakmp_pl_end(b, off);
}

void isakmp_finish(struct isakmp_buf *b)
{
	isakmp_set32(b, 24, (uint32_t)b->len);
}

size_t isakmp_sa_begin(struct isakmp_buf *b)
{
	size_t off = isakmp_pl_begin(b, ISAKMP_NP_SA);

	isakmp_put32(b, ISAKMP_DOI_IPSEC);
	isakmp_put32(b, ISAKMP_SIT_IDENTITY_ONLY);
	return off;
}

size_t isakmp_prop_begin(struct isakmp_buf *b, uint8_t num, uint8_t proto, const uint8_t *spi,
			 uint8_t spi_size, uint8_t n_xforms)
{
	size_t off = b->len;

	isakmp_put8(b, ISAKMP_NP_NONE);
	isakmp_put8(b, 0);
	isakmp_put16(b, 0);
	isakmp_put8(b, num);
	isakmp_put8(b, proto);
	isakmp_put8(b, spi_size);
	isakmp_put8(b, n_xforms);
	isakmp_put(b, spi, spi_size);
	return off;
}

size_t isakmp_xf_begin(struct isakmp_buf *b, uint8_t num, uint8_t id)
{
	size_t off = b->len;

	isakmp_put8(b, ISAKMP_NP_NONE);
	isakmp_put8(b, 0);
	isakmp_put16(b, 0);
	isakmp_put8(b, num);
	isakmp_put8(b, id);
	isakmp_put16(b, 0);
	return off;
}

void isakmp_sub_end(struct isakmp_buf *b, size_t off, bool last, uint8_t kind_np)
{
	if (b->overflow || off + 4 > b->len)
		return;
	b->p[off] = last ? ISAKMP_NP_NONE : kind_np;
	isakmp_set16(b, off + 2, (uint16_t)(b->len - off));
}

void isakmp_attr_tv(struct isakmp_buf *b, uint16_t type, uint16_t value)
{
	isakmp_put16(b, (uint16_t)(0x8000u | type));
	isakmp_put16(b, value);
}

void isakmp_attr_num(struct isakmp_buf *b, uint16_t type, uint64_t value)
{
	if (value <= 0xffff) {
		isakmp_attr_tv(b, type, (uint16_t)value);
		return;
	}
	isakmp_put16(b, type & 0x7fff);
	if (value <= 0xffffffffu) {
		isakmp_put16(b, 4);
		isakmp_put32(b, (uint32_t)value);
	} else {
		isakmp_put16(b, 8);
		isakmp_put32(b, (uint32_t)(value >> 32));
		isakmp_put32(b, (uint32_t)value);
	}
}

void isakmp_put_id_v4(struct isakmp_buf *b, uint8_t type, uint8_t proto, uint16_t port, uint32_t addr,
		      uint32_t mask_or_end)
{
	size_t off = isakmp_pl_begin(b, ISAKMP_NP_ID);

	isakmp_put8(b, type);
	isakmp_put8(b, proto);
	isakmp_put16(b, port);
	isakmp_put32(b, addr);
	if (type != ISAKMP_ID_IPV4_ADDR)
		isakmp_put32(b, mask_or_end);
	isakmp_pl_end(b, off);
}

void isakmp_put_notify(struct isakmp_buf *b, uint8_t proto, uint16_t type, const uint8_t *spi,
		       uint8_t spi_size, const void *data, size_t data_len)
{
	size_t off = isakmp_pl_begin(b, ISAKMP_NP_N);

	isakmp_put32(b, ISAKMP_DOI_IPSEC);
	isakmp_put8(b, proto);
	isakmp_put8(b, spi_size);
	isakmp_put16(b, type);
	isakmp_put(b, spi, spi_size);
	isakmp_put(b, data, data_len);
	isakmp_pl_end(b, off);
}

void isakmp_put_delete(struct isakmp_buf *b, uint8_t proto, uint8_t spi_size, const uint8_t *spis,
		       uint16_t n_spi)
{
	size_t off = isakmp_pl_begin(b, ISAKMP_NP_D);

	isakmp_put32(b, ISAKMP_DOI_IPSEC);
	isakmp_put8(b, proto);
	isakmp_put8(b, spi_size);
	isakmp_put16(b, n_spi);
	isakmp_put(b, spis, (size_t)spi_size * n_spi);
	isakmp_pl_end(b, off);
}

/* ---- name tables */

static const char *map(const struct isakmp_name *t, unsigned v)
{
	for (; t->name; t++)
		if ((unsigned)t->value == v)
			return t->name;
	return "unknown";
}

#define NAME_FN(fn, table) \
	const char *fn(unsigned v) { return map(table, v); }

static const struct isakmp_name np_names[] = {
	{0, "NONE"}, {1, "SA"}, {2, "P"}, {3, "T"}, {4, "KE"}, {5, "ID"}, {6, "CERT"},
	{7, "CR"}, {8, "HASH"}, {9, "SIG"}, {10, "NONCE"}, {11, "N"}, {12, "D"}, {13, "VID"},
	{20, "NAT-D"}, {21, "NAT-OA"}, {0, NULL}};
static const struct isakmp_name exch_names[] = {
	{1, "base"}, {2, "main"}, {3, "auth-only"}, {4, "aggressive"}, {5, "informational"},
	{32, "quick"}, {0, NULL}};
static const struct isakmp_name notify_names[] = {
	{1, "INVALID-PAYLOAD-TYPE"}, {2, "DOI-NOT-SUPPORTED"}, {3, "SITUATION-NOT-SUPPORTED"},
	{4, "INVALID-COOKIE"}, {5, "INVALID-MAJOR-VERSION"}, {6, "INVALID-MINOR-VERSION"},
	{7, "INVALID-EXCHANGE-TYPE"}, {8, "INVALID-FLAGS"}, {9, "INVALID-MESSAGE-ID"},
	{10, "INVALID-PROTOCOL-ID"}, {11, "INVALID-SPI"}, {12, "INVALID-TRANSFORM-ID"},
	{13, "ATTRIBUTES-NOT-SUPPORTED"}, {14, "NO-PROPOSAL-CHOSEN"}, {15, "BAD-PROPOSAL-SYNTAX"},
	{16, "PAYLOAD-MALFORMED"}, {17, "INVALID-KEY-INFORMATION"}, {18, "INVALID-ID-INFORMATION"},
	{19, "INVALID-CERT-ENCODING"}, {20, "INVALID-CERTIFICATE"}, {21, "CERT-TYPE-UNSUPPORTED"},
	{22, "INVALID-CERT-AUTHORITY"}, {23, "INVALID-HASH-INFORMATION"}, {24, "AUTHENTICATION-FAILED"},
	{25, "INVALID-SIGNATURE"}, {26, "ADDRESS-NOTIFICATION"}, {27, "NOTIFY-SA-LIFETIME"},
	{28, "CERTIFICATE-UNAVAILABLE"}, {29, "UNSUPPORTED-EXCHANGE-TYPE"},
	{30, "UNEQUAL-PAYLOAD-LENGTHS"}, {16384, "CONNECTED"}, {24576, "RESPONDER-LIFETIME"},
	{24577, "REPLAY-STATUS"}, {24578, "INITIAL-CONTACT"}, {36136, "R-U-THERE"},
	{36137, "R-U-THERE-ACK"}, {0, NULL}};
static const struct isakmp_name proto_names[] = {
	{1, "ISAKMP"}, {2, "AH"}, {3, "ESP"}, {4, "IPCOMP"}, {0, NULL}};
static const struct isakmp_name id_names[] = {
	{1, "IPV4_ADDR"}, {2, "FQDN"}, {3, "USER_FQDN"}, {4, "IPV4_ADDR_SUBNET"}, {5, "IPV6_ADDR"},
	{6, "IPV6_ADDR_SUBNET"}, {7, "IPV4_ADDR_RANGE"}, {8, "IPV6_ADDR_RANGE"}, {9, "DER_ASN1_DN"},
	{10, "DER_ASN1_GN"}, {11, "KEY_ID"}, {0, NULL}};
static const struct isakmp_name p1_attr_names[] = {
	{1, "Encryption-Algorithm"}, {2, "Hash-Algorithm"}, {3, "Authentication-Method"},
	{4, "Group-Description"}, {5, "Group-Type"}, {6, "Group-Prime"}, {7, "Group-Generator-One"},
	{8, "Group-Generator-Two"}, {11, "Life-Type"}, {12, "Life-Duration"}, {13, "PRF"},
	{14, "Key-Length"}, {15, "Field-Size"}, {16, "Group-Order"}, {0, NULL}};
static const struct isakmp_name p2_attr_names[] = {
	{1, "SA-Life-Type"}, {2, "SA-Life-Duration"}, {3, "Group-Description"},
	{4, "Encapsulation-Mode"}, {5, "Authentication-Algorithm"}, {6, "Key-Length"},
	{7, "Key-Rounds"}, {8, "Compress-Dictionary-Size"}, {9, "Compress-Private-Algorithm"},
	{10, "ECN-Tunnel"}, {11, "Extended-Sequence-Number"}, {0, NULL}};
static const struct isakmp_name p1_enc_names[] = {
	{1, "des"}, {2, "idea"}, {3, "blowfish"}, {4, "rc5"}, {5, "3des"}, {6, "cast"},
	{7, "aes"}, {0, NULL}};
static const struct isakmp_name p1_hash_names[] = {
	{1, "md5"}, {2, "sha1"}, {3, "tiger"}, {4, "sha256"}, {5, "sha384"}, {6, "sha512"}, {0, NULL}};
static const struct isakmp_name esp_names[] = {
	{1, "ESP_DES_IV64"}, {2, "ESP_DES"}, {3, "ESP_3DES"}, {4, "ESP_RC5"}, {5, "ESP_IDEA"},
	{6, "ESP_CAST"}, {7, "ESP_BLOWFISH"}, {8, "ESP_3IDEA"}, {9, "ESP_DES_IV32"}, {10, "ESP_RC4"},
	{11, "ESP_NULL"}, {12, "ESP_AES_CBC"}, {13, "ESP_AES_CTR"}, {14, "ESP_AES_CCM_8"},
	{15, "ESP_AES_CCM_12"}, {16, "ESP_AES_CCM_16"}, {18, "ESP_AES_GCM_8"},
	{19, "ESP_AES_GCM_12"}, {20, "ESP_AES_GCM_16"}, {0, NULL}};
static const struct isakmp_name ah_names[] = {
	{2, "AH_MD5"}, {3, "AH_SHA"}, {4, "AH_DES"}, {5, "AH_SHA2_256"}, {6, "AH_SHA2_384"},
	{7, "AH_SHA2_512"}, {0, NULL}};
static const struct isakmp_name p2_auth_names[] = {
	{1, "hmac-md5"}, {2, "hmac-sha1"}, {3, "des-mac"}, {4, "kpdk"}, {5, "hmac-sha256"},
	{6, "hmac-sha384"}, {7, "hmac-sha512"}, {0, NULL}};
static const struct isakmp_name encap_names[] = {
	{1, "tunnel"}, {2, "transport"}, {3, "udp-tunnel"}, {4, "udp-transport"},
	{61443, "udp-tunnel(draft)"}, {61444, "udp-transport(draft)"}, {0, NULL}};
static const struct isakmp_name group_names[] = {
	{1, "modp768"}, {2, "modp1024"}, {5, "modp1536"}, {14, "modp2048"}, {15, "modp3072"},
	{16, "modp4096"}, {17, "modp6144"}, {18, "modp8192"}, {19, "ecp256"}, {20, "ecp384"},
	{21, "ecp521"}, {0, NULL}};

NAME_FN(isakmp_np_name, np_names)
NAME_FN(isakmp_exch_name, exch_names)
NAME_FN(isakmp_notify_name, notify_names)
NAME_FN(isakmp_proto_name, proto_names)
NAME_FN(isakmp_id_type_name, id_names)
NAME_FN(isakmp_p1_attr_name, p1_attr_names)
NAME_FN(isakmp_p2_attr_name, p2_attr_names)
NAME_FN(isakmp_p1_enc_name, p1_enc_names)
NAME_FN(isakmp_p1_hash_name, p1_hash_names)
NAME_FN(isakmp_esp_name, esp_names)
NAME_FN(isakmp_ah_name, ah_names)
NAME_FN(isakmp_p2_auth_name, p2_auth_names)
NAME_FN(isakmp_encap_name, encap_names)
NAME_FN(isakmp_group_name, group_names)

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ISAKMP codec (ike/isakmp.c): round trips of every payload we build,
 * attribute encodings (TV, TLV, long TLV), and the malformed cases: every
 * truncation, every length field set to every troublesome value, nesting
 * errors (transform count, proposal chain), unknown payloads, exchanges,
 * versions, DOIs, trailing bytes. Meant to run under ASan as well.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "isakmp.h"

static struct isakmp_msg *msg;

static int setup(void **state)
{
	(void)state;
	msg = calloc(1, sizeof(*msg));
	return msg ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(msg);
	return 0;
}

static const uint8_t CKY_I[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t CKY_R[8] = {9, 10, 11, 12, 13, 14, 15, 16};

/* A main mode message 1 like strongSwan's: SA with one ISAKMP proposal of
 * two transforms, VIDs; optional life duration as a 4-byte TLV. */
static size_t build_mm1(uint8_t *out, size_t cap)
{
	struct isakmp_hdr h = {.exch = ISAKMP_EXCH_MAIN};
	struct isakmp_buf b;
	size_t sa, pr, xf;

	memcpy(h.icookie, CKY_I, 8);
	isakmp_buf_init(&b, out, cap);
	isakmp_put_hdr(&b, &h);
	sa = isakmp_sa_begin(&b);
	pr = isakmp_prop_begin(&b, 1, ISAKMP_PROTO_ISAKMP, NULL, 0, 2);
	xf = isakmp_xf_begin(&b, 1, ISAKMP_KEY_IKE);
	isakmp_attr_tv(&b, ISAKMP_P1_ENC, ISAKMP_ENC_AES);
	isakmp_attr_tv(&b, ISAKMP_P1_KEY_LENGTH, 128);
	isakmp_attr_tv(&b, ISAKMP_P1_HASH, ISAKMP_HASH_SHA);
	isakmp_attr_tv(&b, ISAKMP_P1_AUTH, ISAKMP_AUTH_PSK);
	isakmp_attr_tv(&b, ISAKMP_P1_GROUP, 2);
	isakmp_attr_tv(&b, ISAKMP_P1_LIFE_TYPE, ISAKMP_LIFE_SECONDS);
	isakmp_attr_num(&b, ISAKMP_P1_LIFE_DURATION, 86400);
	isakmp_sub_end(&b, xf, false, ISAKMP_NP_T);
	xf = isakmp_xf_begin(&b, 2, ISAKMP_KEY_IKE);
	isakmp_attr_tv(&b, ISAKMP_P1_ENC, ISAKMP_ENC_3DES);
	isakmp_attr_tv(&b, ISAKMP_P1_HASH, ISAKMP_HASH_MD5);
	isakmp_attr_num(&b, ISAKMP_P1_LIFE_DURATION, 600);
	isakmp_sub_end(&b, xf, true, ISAKMP_NP_T);
	isakmp_sub_end(&b, pr, true, ISAKMP_NP_P);
	isakmp_pl_end(&b, sa);
	isakmp_put_blob_pl(&b, ISAKMP_NP_VID, isakmp_vid_natt, 16);
	isakmp_put_blob_pl(&b, ISAKMP_NP_VID, isakmp_vid_dpd, 16);
	isakmp_finish(&b);
	assert_true(isakmp_buf_ok(&b));
	return b.len;
}

static void test_mm1_round_trip(void **state)
{
	uint8_t buf[512];
	struct isakmp_err err;
	size_t len = build_mm1(buf, sizeof(buf));
	const struct isakmp_transform *t;

	(void)state;
	assert_int_equal(isakmp_parse(buf, len, msg, &err), 0);
	assert_memory_equal(msg->hdr.icookie, CKY_I, 8);
	assert_int_equal(msg->hdr.exch, ISAKMP_EXCH_MAIN);
	assert_int_equal(msg->hdr.version, 0x10);
	assert_int_equal(msg->hdr.len, len);
	assert_true(msg->has_sa);
	assert_int_equal(msg->sa.n_props, 1);
	assert_int_equal(msg->sa.props[0].protocol, ISAKMP_PROTO_ISAKMP);
	assert_int_equal(msg->sa.props[0].n_xforms, 2);
	t = &msg->sa.props[0].xf[0];
	assert_int_equal(t->id, ISAKMP_KEY_IKE);
	assert_int_equal(t->n_attrs, 7);
	assert_int_equal(isakmp_attr_find(t, ISAKMP_P1_ENC)->value, ISAKMP_ENC_AES);
	assert_int_equal(isakmp_attr_find(t, ISAKMP_P1_KEY_LENGTH)->value, 128);
	assert_false(isakmp_attr_find(t, ISAKMP_P1_LIFE_DURATION)->tv);
	assert_int_equal(isakmp_attr_find(t, ISAKMP_P1_LIFE_DURATION)->len, 4);
	assert_int_equal(isakmp_attr_find(t, ISAKMP_P1_LIFE_DURATION)->value, 86400);
	assert_null(isakmp_attr_find(t, ISAKMP_P1_PRF));
	t = &msg->sa.props[0].xf[1];
	assert_int_equal(t->num, 2);
	assert_true(isakmp_attr_find(t, ISAKMP_P1_LIFE_DURATION)->tv);
	assert_int_equal(isakmp_attr_find(t, ISAKMP_P1_LIFE_DURATION)->value, 600);
	assert_int_equal(msg->n_vid, 2);
	assert_memory_equal(msg->vid[0].data, isakmp_vid_natt, 16);
	assert_memory_equal(msg->vid[1].data, isakmp_vid_dpd, 16);
	/* SAi_b is the SA body without its generic header */
	assert_ptr_equal(msg->sa.body, buf + ISAKMP_HDR_LEN + 4);
	assert_int_equal(msg->sa.body_len, (size_t)((buf[28 + 2] << 8 | buf[28 + 3]) - 4));
}

/* Quick mode style: HASH first, SA with two ESP proposals, nonce, KE, two
 * IDs, notify, delete, NAT-D; after_hash covers the rest. */
static size_t build_qm(uint8_t *out, size_t cap, size_t *hash_end)
{
	struct isakmp_hdr h = {.exch = ISAKMP_EXCH_QUICK, .msgid = 0x11223344};
	struct isakmp_buf b;
	uint8_t hash[20] = {0}, nonce[16] = {7}, ke[128] = {3}, spi[4] = {0xca, 0xfe, 0, 1};
	uint8_t spis[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	size_t sa, pr, xf;

	memcpy(h.icookie, CKY_I, 8);
	memcpy(h.rcookie, CKY_R, 8);
	isakmp_buf_init(&b, out, cap);
	isakmp_put_hdr(&b, &h);
	isakmp_put_blob_pl(&b, ISAKMP_NP_HASH, hash, sizeof(hash));
	*hash_end = b.len;
	sa = isakmp_sa_begin(&b);
	pr = isakmp_prop_begin(&b, 1, ISAKMP_PROTO_ESP, spi, 4, 1);
	xf = isakmp_xf_begin(&b, 1, ISAKMP_ESP_AES_GCM_16);
	isakmp_attr_tv(&b, ISAKMP_P2_LIFE_TYPE, ISAKMP_LIFE_SECONDS);
	isakmp_attr_num(&b, ISAKMP_P2_LIFE_DURATION, 1800);
	isakmp_attr_tv(&b, ISAKMP_P2_LIFE_TYPE, ISAKMP_LIFE_KILOBYTES);
	isakmp_attr_num(&b, ISAKMP_P2_LIFE_DURATION, UINT64_C(0x123456789));
	isakmp_attr_tv(&b, ISAKMP_P2_ENCAP, ISAKMP_ENCAP_UDP_TUNNEL);
	isakmp_attr_tv(&b, ISAKMP_P2_KEY_LENGTH, 128);
	isakmp_sub_end(&b, xf, true, ISAKMP_NP_T);
	isakmp_sub_end(&b, pr, false, ISAKMP_NP_P);
	pr = isakmp_prop_begin(&b, 2, ISAKMP_PROTO_ESP, spi, 4, 2);
	xf = isakmp_xf_begin(&b, 1, ISAKMP_ESP_3DES);
	isakmp_attr_tv(&b, ISAKMP_P2_AUTH, ISAKMP_AUTH_HMAC_SHA);
	isakmp_sub_end(&b, xf, false, ISAKMP_NP_T);
	xf = isakmp_xf_begin(&b, 2, ISAKMP_ESP_DES);
	isakmp_attr_tv(&b, ISAKMP_P2_AUTH, ISAKMP_AUTH_HMAC_MD5);
	isakmp_sub_end(&b, xf, true, ISAKMP_NP_T);
	isakmp_sub_end(&b, pr, true, ISAKMP_NP_P);
	isakmp_pl_end(&b, sa);
	isakmp_put_blob_pl(&b, ISAKMP_NP_NONCE, nonce, sizeof(nonce));
	isakmp_put_blob_pl(&b, ISAKMP_NP_KE, ke, sizeof(ke));
	isakmp_put_id_v4(&b, ISAKMP_ID_IPV4_ADDR_SUBNET, 0, 0, 0xc6120100, 0xffffff00);
	isakmp_put_id_v4(&b, ISAKMP_ID_IPV4_ADDR_RANGE, 17, 4500, 0xc6120200, 0xc61202ff);
	isakmp_put_notify(&b, ISAKMP_PROTO_ESP, ISAKMP_N_RESPONDER_LIFETIME, spi, 4, "\x80\x01\x00\x01", 4);
	isakmp_put_delete(&b, ISAKMP_PROTO_ESP, 4, spis, 2);
	isakmp_put_blob_pl(&b, ISAKMP_NP_NAT_D, hash, 20);
	isakmp_finish(&b);
	assert_true(isakmp_buf_ok(&b));
	return b.len;
}

static void test_qm_round_trip(void **state)
{
	uint8_t buf[1024];
	struct isakmp_err err;
	size_t hash_end, len = build_qm(buf, sizeof(buf), &hash_end);
	const struct isakmp_transform *t;

	(void)state;
	assert_int_equal(isakmp_parse(buf, len, msg, &err), 0);
	assert_int_equal(msg->hdr.msgid, 0x11223344);
	assert_int_equal(msg->first_np, ISAKMP_NP_HASH);
	assert_int_equal(msg->hash.len, 20);
	assert_ptr_equal(msg->after_hash, buf + hash_end);
	assert_int_equal(msg->after_hash_len, len - hash_end);
	assert_int_equal(msg->sa.n_props, 2);
	assert_int_equal(msg->sa.props[0].spi_size, 4);
	assert_memory_equal(msg->sa.props[0].spi, "\xca\xfe\x00\x01", 4);
	t = &msg->sa.props[0].xf[0];
	assert_int_equal(t->id, ISAKMP_ESP_AES_GCM_16);
	assert_int_equal(t->n_attrs, 6);
	assert_int_equal(t->attrs[3].len, 8);
	assert_int_equal(t->attrs[3].value, UINT64_C(0x123456789));
	assert_int_equal(msg->sa.props[1].n_xforms, 2);
	assert_int_equal(msg->sa.props[1].xf[1].id, ISAKMP_ESP_DES);
	assert_int_equal(msg->nonce.len, 16);
	assert_int_equal(msg->ke.len, 128);
	assert_int_equal(msg->n_ids, 2);
	assert_int_equal(msg->ids[0].type, ISAKMP_ID_IPV4_ADDR_SUBNET);
	assert_int_equal(msg->ids[0].addr, 0xc6120100);
	assert_int_equal(msg->ids[0].mask, 0xffffff00);
	assert_int_equal(msg->ids[1].proto, 17);
	assert_int_equal(msg->ids[1].port, 4500);
	assert_int_equal(msg->ids[1].addr2, 0xc61202ff);
	assert_int_equal(msg->n_notify, 1);
	assert_int_equal(msg->notify[0].type, ISAKMP_N_RESPONDER_LIFETIME);
	assert_int_equal(msg->notify[0].data_len, 4);
	assert_int_equal(msg->n_delete, 1);
	assert_int_equal(msg->del[0].n_spi, 2);
	assert_int_equal(msg->n_natd, 1);
	assert_true(isakmp_has(msg, ISAKMP_NP_D));
	assert_false(isakmp_has(msg, ISAKMP_NP_CERT));
}

/* Every prefix of a valid message: the header's length no longer matches
 * (short datagram) or, with the length fixed, a payload runs out. */
static void test_truncations(void **state)
{
	uint8_t buf[1024], cut[1024];
	struct isakmp_err err;
	size_t hash_end, len = build_qm(buf, sizeof(buf), &hash_end);

	(void)state;
	for (size_t n = 0; n < len; n++) {
		memcpy(cut, buf, n);
		assert_int_not_equal(isakmp_parse(cut, n, msg, &err), 0);
		if (n >= ISAKMP_HDR_LEN) {
			cut[24] = 0;
			cut[25] = 0;
			cut[26] = (uint8_t)(n >> 8);
			cut[27] = (uint8_t)n;
			assert_int_not_equal(isakmp_parse(cut, n, msg, &err), 0);
		}
	}
}

/* Write each 16-bit length field with each troublesome value. */
struct len_field {
	size_t off;
};

static void mutate_lengths(const uint8_t *buf, size_t len, const size_t *offs, size_t n_offs)
{
	static const uint16_t vals[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 0x7fff, 0x8000, 0xffff};
	uint8_t m[1024];
	struct isakmp_err err;

	for (size_t i = 0; i < n_offs; i++) {
		uint16_t orig = (uint16_t)(buf[offs[i]] << 8 | buf[offs[i] + 1]);
		uint16_t more[] = {(uint16_t)(orig - 1), (uint16_t)(orig + 1), (uint16_t)(orig + 4)};

		for (size_t v = 0; v < sizeof(vals) / 2 + 3; v++) {
			uint16_t val = v < sizeof(vals) / 2 ? vals[v] : more[v - sizeof(vals) / 2];

			if (val == orig)
				continue;
			memcpy(m, buf, len);
			m[offs[i]] = (uint8_t)(val >> 8);
			m[offs[i] + 1] = (uint8_t)val;
			/* Must not crash; most must fail. A changed TLV attribute
			 * length may re-frame into other valid attributes, so only
			 * payload/proposal/transform lengths are asserted. */
			(void)isakmp_parse(m, len, msg, &err);
		}
	}
}

static void walk_length_offsets(const uint8_t *buf, size_t len, size_t *offs, size_t *n, size_t *strict,
				size_t *n_strict)
{
	size_t off = ISAKMP_HDR_LEN;
	uint8_t np = buf[16];

	*n = *n_strict = 0;
	while (np && off + 4 <= len) {
		uint16_t plen = (uint16_t)(buf[off + 2] << 8 | buf[off + 3]);

		offs[(*n)++] = off + 2;
		strict[(*n_strict)++] = off + 2;
		if (np == ISAKMP_NP_SA) {
			size_t p = off + 12;

			for (;;) {
				uint16_t prlen = (uint16_t)(buf[p + 2] << 8 | buf[p + 3]);
				size_t x = p + 8 + buf[p + 6];
				unsigned nx = buf[p + 7];

				offs[(*n)++] = p + 2;
				strict[(*n_strict)++] = p + 2;
				for (unsigned k = 0; k < nx; k++) {
					uint16_t xl = (uint16_t)(buf[x + 2] << 8 | buf[x + 3]);
					size_t a = x + 8;

					offs[(*n)++] = x + 2;
					strict[(*n_strict)++] = x + 2;
					while (a < x + xl) {
						if (!(buf[a] & 0x80)) {
							offs[(*n)++] = a + 2;
							a += 4 + (size_t)(buf[a + 2] << 8 | buf[a + 3]);
						} else {
							a += 4;
						}
					}
					x += xl;
				}
				if (buf[p] == 0)
					break;
				p += prlen;
			}
		}
		np = buf[off];
		off += plen;
	}
}

static void test_every_length_field(void **state)
{
	uint8_t buf[1024];
	size_t offs[128], strict[128], n, ns, hash_end, len;
	struct isakmp_err err;
	uint8_t m[1024];

	(void)state;
	len = build_qm(buf, sizeof(buf), &hash_end);
	walk_length_offsets(buf, len, offs, &n, strict, &ns);
	assert_true(ns >= 12);
	assert_true(n > ns);
	mutate_lengths(buf, len, offs, n);
	/* Payload, proposal and transform lengths: any change is an error. */
	for (size_t i = 0; i < ns; i++) {
		for (int d = -9; d <= 9; d++) {
			uint16_t orig = (uint16_t)(buf[strict[i]] << 8 | buf[strict[i] + 1]);
			uint16_t val = (uint16_t)(orig + d);

			if (d == 0)
				continue;
			memcpy(m, buf, len);
			m[strict[i]] = (uint8_t)(val >> 8);
			m[strict[i] + 1] = (uint8_t)val;
			assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
		}
	}
	len = build_mm1(buf, sizeof(buf));
	walk_length_offsets(buf, len, offs, &n, strict, &ns);
	mutate_lengths(buf, len, offs, n);
}

static void test_header_errors(void **state)
{
	uint8_t buf[512], m[512];
	struct isakmp_err err;
	size_t len = build_mm1(buf, sizeof(buf));

	(void)state;
	memcpy(m, buf, len);
	m[17] = 0x20; /* version 2.0 */
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
	assert_int_equal(err.notify, ISAKMP_N_INVALID_MAJOR_VERSION);
	memcpy(m, buf, len);
	m[18] = 34; /* IKEv2 IKE_SA_INIT */
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
	assert_int_equal(err.notify, ISAKMP_N_UNSUPPORTED_EXCHANGE_TYPE);
	memcpy(m, buf, len);
	m[19] = 0x08;
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
	assert_int_equal(err.notify, ISAKMP_N_INVALID_FLAGS);
	memcpy(m, buf, len);
	m[27] = (uint8_t)(m[27] + 1); /* length past the datagram */
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
	assert_int_equal(err.notify, ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS);
	/* Trailing bytes beyond the header's length are ignored (RFC 2408 5.1). */
	memcpy(m, buf, len);
	m[len] = 0xee;
	assert_int_equal(isakmp_parse(m, len + 1, msg, &err), 0);
	/* Trailing bytes within the length: an error unless encrypted (padding). */
	m[26] = (uint8_t)((len + 1) >> 8);
	m[27] = (uint8_t)(len + 1);
	assert_int_not_equal(isakmp_parse(m, len + 1, msg, &err), 0);
	assert_int_equal(isakmp_parse_payloads(m[16], m + 28, len + 1 - 28, true, msg, &err), 0);
	/* No payload at all */
	memcpy(m, buf, 28);
	m[16] = 0;
	m[26] = 0;
	m[27] = 28;
	assert_int_not_equal(isakmp_parse(m, 28, msg, &err), 0);
	assert_int_not_equal(isakmp_hdr_parse(m, 27, &msg->hdr, &err), 0);
}

static void test_payload_errors(void **state)
{
	uint8_t buf[512], m[512];
	struct isakmp_err err;
	size_t len = build_mm1(buf, sizeof(buf));

	(void)state;
	/* Unknown first payload type */
	memcpy(m, buf, len);
	m[16] = 99;
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
	assert_int_equal(err.notify, ISAKMP_N_INVALID_PAYLOAD_TYPE);
	/* CERT is refused (PSK only) */
	m[16] = ISAKMP_NP_CERT;
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
	/* Reserved byte of the generic header */
	memcpy(m, buf, len);
	m[29] = 1;
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
	/* DOI and situation */
	memcpy(m, buf, len);
	m[35] = 2;
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
	assert_int_equal(err.notify, ISAKMP_N_DOI_NOT_SUPPORTED);
	memcpy(m, buf, len);
	m[39] = 2;
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
	assert_int_equal(err.notify, ISAKMP_N_SITUATION_NOT_SUPPORTED);
	/* Proposal: transform count too high / zero, next payload wrong */
	memcpy(m, buf, len);
	m[40 + 7] = 3;
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
	m[40 + 7] = 1;
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
	m[40 + 7] = 0;
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
	assert_int_equal(err.notify, ISAKMP_N_BAD_PROPOSAL_SYNTAX);
	memcpy(m, buf, len);
	m[40] = ISAKMP_NP_P; /* says another proposal follows: none does */
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
	memcpy(m, buf, len);
	m[40] = ISAKMP_NP_KE;
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
	/* SPI size larger than the proposal */
	memcpy(m, buf, len);
	m[40 + 6] = 200;
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
	/* Transform next payload says "last" too early */
	memcpy(m, buf, len);
	m[48] = 0;
	assert_int_not_equal(isakmp_parse(m, len, msg, &err), 0);
}

static void test_ids_notify_delete(void **state)
{
	uint8_t buf[256];
	struct isakmp_hdr h = {.exch = ISAKMP_EXCH_INFO};
	struct isakmp_buf b;
	struct isakmp_err err;
	size_t off;

	(void)state;
	/* ID of the wrong length for its type */
	isakmp_buf_init(&b, buf, sizeof(buf));
	isakmp_put_hdr(&b, &h);
	off = isakmp_pl_begin(&b, ISAKMP_NP_ID);
	isakmp_put8(&b, ISAKMP_ID_IPV4_ADDR_SUBNET);
	isakmp_put8(&b, 0);
	isakmp_put16(&b, 0);
	isakmp_put32(&b, 0x01020300);
	isakmp_pl_end(&b, off);
	isakmp_finish(&b);
	assert_int_not_equal(isakmp_parse(buf, b.len, msg, &err), 0);
	assert_int_equal(err.notify, ISAKMP_N_INVALID_ID_INFORMATION);
	/* Range backwards */
	isakmp_buf_init(&b, buf, sizeof(buf));
	isakmp_put_hdr(&b, &h);
	isakmp_put_id_v4(&b, ISAKMP_ID_IPV4_ADDR_RANGE, 0, 0, 10, 9);
	isakmp_finish(&b);
	assert_int_not_equal(isakmp_parse(buf, b.len, msg, &err), 0);
	/* FQDN is carried opaquely */
	isakmp_buf_init(&b, buf, sizeof(buf));
	isakmp_put_hdr(&b, &h);
	off = isakmp_pl_begin(&b, ISAKMP_NP_ID);
	isakmp_put8(&b, ISAKMP_ID_FQDN);
	isakmp_put8(&b, 0);
	isakmp_put16(&b, 0);
	isakmp_put(&b, "gw.example", 10);
	isakmp_pl_end(&b, off);
	isakmp_finish(&b);
	assert_int_equal(isakmp_parse(buf, b.len, msg, &err), 0);
	assert_int_equal(msg->ids[0].data_len, 10);
	/* Notify with SPI size past the payload */
	isakmp_buf_init(&b, buf, sizeof(buf));
	isakmp_put_hdr(&b, &h);
	isakmp_put_notify(&b, ISAKMP_PROTO_ISAKMP, ISAKMP_N_DPD_R_U_THERE, (const uint8_t *)"0123456789abcdef", 16,
			  "\0\0\0\1", 4);
	isakmp_finish(&b);
	assert_int_equal(isakmp_parse(buf, b.len, msg, &err), 0);
	assert_int_equal(msg->notify[0].spi_size, 16);
	assert_int_equal(msg->notify[0].data_len, 4);
	buf[28 + 4 + 5] = 21;
	assert_int_not_equal(isakmp_parse(buf, b.len, msg, &err), 0);
	/* Delete whose SPI count does not fit */
	isakmp_buf_init(&b, buf, sizeof(buf));
	isakmp_put_hdr(&b, &h);
	isakmp_put_delete(&b, ISAKMP_PROTO_ESP, 4, (const uint8_t *)"abcdefgh", 2);
	isakmp_finish(&b);
	assert_int_equal(isakmp_parse(buf, b.len, msg, &err), 0);
	buf[28 + 4 + 7] = 3;
	assert_int_not_equal(isakmp_parse(buf, b.len, msg, &err), 0);
	/* Two SA payloads */
	isakmp_buf_init(&b, buf, sizeof(buf));
	isakmp_put_hdr(&b, &h);
	isakmp_put_blob_pl(&b, ISAKMP_NP_NONCE, "n", 1);
	isakmp_put_blob_pl(&b, ISAKMP_NP_NONCE, "n", 1);
	isakmp_finish(&b);
	assert_int_not_equal(isakmp_parse(buf, b.len, msg, &err), 0);
}

static void test_attr_long_tlv(void **state)
{
	uint8_t buf[256];
	struct isakmp_hdr h = {.exch = ISAKMP_EXCH_MAIN};
	struct isakmp_buf b;
	struct isakmp_err err;
	size_t sa, pr, xf;
	const struct isakmp_attr *a;

	(void)state;
	isakmp_buf_init(&b, buf, sizeof(buf));
	isakmp_put_hdr(&b, &h);
	sa = isakmp_sa_begin(&b);
	pr = isakmp_prop_begin(&b, 1, ISAKMP_PROTO_ISAKMP, NULL, 0, 1);
	xf = isakmp_xf_begin(&b, 1, ISAKMP_KEY_IKE);
	/* 12-byte lifetime with leading zeros: still a number */
	isakmp_put16(&b, ISAKMP_P1_LIFE_DURATION);
	isakmp_put16(&b, 12);
	isakmp_put(&b, "\0\0\0\0\0\0\0\0\0\0\x0e\x10", 12);
	/* 10-byte lifetime that overflows 64 bits: "forever" */
	isakmp_put16(&b, ISAKMP_P1_LIFE_DURATION);
	isakmp_put16(&b, 10);
	isakmp_put(&b, "\x01\0\0\0\0\0\0\0\0\0", 10);
	/* zero-length TLV */
	isakmp_put16(&b, 200);
	isakmp_put16(&b, 0);
	isakmp_sub_end(&b, xf, true, ISAKMP_NP_T);
	isakmp_sub_end(&b, pr, true, ISAKMP_NP_P);
	isakmp_pl_end(&b, sa);
	isakmp_finish(&b);
	assert_int_equal(isakmp_parse(buf, b.len, msg, &err), 0);
	a = &msg->sa.props[0].xf[0].attrs[0];
	assert_int_equal(a[0].value, 3600);
	assert_int_equal(a[1].value, UINT64_MAX);
	assert_int_equal(a[2].len, 0);
	assert_int_equal(a[2].value, 0);
}

static void test_builder_overflow(void **state)
{
	uint8_t buf[40];
	struct isakmp_hdr h = {.exch = ISAKMP_EXCH_MAIN};
	struct isakmp_buf b;
	uint8_t big[64] = {0};

	(void)state;
	isakmp_buf_init(&b, buf, sizeof(buf));
	isakmp_put_hdr(&b, &h);
	assert_true(isakmp_buf_ok(&b));
	isakmp_put_blob_pl(&b, ISAKMP_NP_NONCE, big, sizeof(big));
	isakmp_finish(&b);
	assert_false(isakmp_buf_ok(&b));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(isakmp_notify_name(14), "NO-PROPOSAL-CHOSEN");
	assert_string_equal(isakmp_notify_name(24578), "INITIAL-CONTACT");
	assert_string_equal(isakmp_notify_name(36136), "R-U-THERE");
	assert_string_equal(isakmp_exch_name(2), "main");
	assert_string_equal(isakmp_exch_name(32), "quick");
	assert_string_equal(isakmp_np_name(20), "NAT-D");
	assert_string_equal(isakmp_esp_name(20), "ESP_AES_GCM_16");
	assert_string_equal(isakmp_encap_name(3), "udp-tunnel");
	assert_string_equal(isakmp_group_name(18), "modp8192");
	assert_string_equal(isakmp_p1_attr_name(12), "Life-Duration");
	assert_string_equal(isakmp_notify_name(9999), "unknown");
}

/* Random bit flips of valid messages never crash the parser (ASan). */
static void test_random_flips(void **state)
{
	uint8_t buf[1024], m[1024];
	struct isakmp_err err;
	size_t hash_end, len = build_qm(buf, sizeof(buf), &hash_end);
	unsigned seed = 12345;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		memcpy(m, buf, len);
		for (int k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			m[(seed >> 8) % len] ^= (uint8_t)(1u << ((seed >> 4) & 7));
		}
		(void)isakmp_parse(m, len, msg, &err);
		(void)isakmp_parse_payloads(m[16], m + 28, len - 28, true, msg, &err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mm1_round_trip),
		cmocka_unit_test(test_qm_round_trip),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_every_length_field),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_payload_errors),
		cmocka_unit_test(test_ids_notify_delete),
		cmocka_unit_test(test_attr_long_tlv),
		cmocka_unit_test(test_builder_overflow),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_random_flips),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

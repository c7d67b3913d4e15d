/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AH (RFC 4302) and AH+ESP bundles, against:
 *  - scapy's IPsec layer, both directions: every HMAC in tunnel and
 *    transport mode, with and without ESN, and four AH+ESP bundles
 *    (test_scapy_ah); the HMACs themselves are checked against RFC 2202 /
 *    RFC 4231 in test_esp;
 *  - the mutable-field rules: TOS, flags, fragment offset, TTL and checksum
 *    may change in transit, nothing else may;
 *  - malformed input: every truncation, wrong lengths, options, fragments,
 *    missing room; each its own counted drop, every mbuf back.
 */
#include "ipsec_testlib.h"

static struct gw_sa *ah_sa(enum gw_auth_alg a, bool tunnel, bool esn, uint32_t spi)
{
	struct t_sa_spec sp = {.proto = IPPROTO_AH, .enc = GW_ENC_NULL, .auth = a, .spi = spi,
			       .tunnel = tunnel, .esn = esn};

	return t_sa_new(&sp);
}

static unsigned packet(uint8_t *buf, unsigned i, bool tunnel)
{
	static const uint8_t protos[] = {IPPROTO_ICMP, IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ESP};
	unsigned len = (i * 53 + i * i) % 1401;

	if (tunnel)
		return t_ipv4(buf, 0xc6120101 + i, 0xc6130101, protos[i % 4], len, i);
	return t_ipv4(buf, T_SA_SRC, T_SA_DST, protos[i % 4], len, i);
}

/* RFC 4302 2: 12 bytes + the ICV (null integrity: none, as the seed's example) */
static const unsigned ah_len[GW_AUTH_COUNT] = {12, 24, 24, 28, 36, 44};

#define N 70

static void roundtrip(enum gw_auth_alg a, bool tunnel, bool esn)
{
	struct gw_sa *out = ah_sa(a, tunnel, esn, 0x77), *in = ah_sa(a, tunnel, esn, 0x77);
	struct gw_sa *so[N], *si[N];
	static uint8_t orig[N][T_MAX_PKT];
	unsigned olen[N];
	struct rte_mbuf *m[N];
	uint8_t rc[N];
	uint32_t bytes[N], seq32[N];
	uint64_t seq[N], start = esn ? 0x7fffffffdull : 0;

	out->hot.seq = start;
	for (unsigned i = 0; i < N; i++) {
		olen[i] = packet(orig[i], i, tunnel);
		m[i] = t_mbuf(orig[i], olen[i]);
		so[i] = out;
		si[i] = in;
	}
	assert_int_equal(gw_ah_outb(t_ctx, m, so, NULL, NULL, N, rc, bytes), N);
	for (unsigned i = 0; i < N; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(m[i], const uint8_t *);
		const struct gw_ah_hdr *ah = (const struct gw_ah_hdr *)(p + 20);
		unsigned grow = ah_len[a] + (tunnel ? 20 : 0);

		t_assert_cksum(m[i]);
		assert_int_equal(rte_pktmbuf_data_len(m[i]), olen[i] + grow);
		assert_int_equal(gw_ah_overhead(out), grow);
		assert_int_equal(bytes[i], olen[i] + grow);
		assert_int_equal(p[9], IPPROTO_AH);
		/* RFC 4302 2.2: 32-bit words minus 2. */
		assert_int_equal(ah->payload_len, ah_len[a] / 4 - 2);
		assert_int_equal(ah->next_header, tunnel ? 4 : orig[i][9]);
		assert_int_equal(rte_be_to_cpu_32(ah->spi), 0x77);
		assert_int_equal(rte_be_to_cpu_32(ah->seq), (uint32_t)(start + i + 1));
		if (!tunnel) { /* the mutable fields are as they were */
			assert_int_equal(p[1], orig[i][1]);
			assert_int_equal(p[8], orig[i][8]);
		} else {
			assert_int_equal(p[8], 64);
		}
	}
	assert_int_equal(gw_ah_inb_prepare(m, si, N, seq32, rc), N);
	for (unsigned i = 0; i < N; i++) {
		uint32_t hi = (uint32_t)(start >> 32);

		seq[i] = esn ? (uint64_t)(seq32[i] > (uint32_t)start ? hi : hi + 1) << 32 | seq32[i]
			     : seq32[i];
	}
	assert_int_equal(gw_ah_inb_process(t_ctx, m, si, seq, N, rc, NULL), N);
	for (unsigned i = 0; i < N; i++) {
		t_assert_mbuf(m[i], orig[i], olen[i]);
		rte_pktmbuf_free(m[i]);
	}
	t_sa_free(out);
	t_sa_free(in);
}

static void test_ah_roundtrip_all(void **state)
{
	(void)state;
	for (int a = GW_AUTH_NULL; a < GW_AUTH_COUNT; a++)
		for (int mode = 0; mode < 4; mode++)
			roundtrip((enum gw_auth_alg)a, mode & 1, mode & 2);
}

/* A transport-mode AH packet, from our own outbound. */
static unsigned ah_packet(struct gw_sa *sa, uint8_t *out, uint8_t proto, unsigned payload)
{
	uint8_t buf[T_MAX_PKT];
	unsigned len = t_ipv4(buf, T_SA_SRC, T_SA_DST, proto, payload, 9);
	struct rte_mbuf *m = t_mbuf(buf, len);

	assert_rc(t_ah_out(sa, m, GW_DF_CLEAR), 0);
	len = rte_pktmbuf_data_len(m);
	memcpy(out, rte_pktmbuf_mtod(m, uint8_t *), len);
	rte_pktmbuf_free(m);
	return len;
}

/* Inbound from an exactly sized buffer (see t_mbuf_exact). */
static int ah_in_bytes(struct gw_sa *sa, const uint8_t *p, unsigned len)
{
	struct rte_mbuf *m = t_mbuf_exact(p, len);
	int rc = t_ah_in(sa, m, 0);

	rte_pktmbuf_free(m);
	return rc;
}

static void fix_cksum(uint8_t *p)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* RFC 4302 3.3.3.1.1.1: what routers may change, and what they may not. */
static void test_ah_mutable_fields(void **state)
{
	struct gw_sa *sa = ah_sa(GW_AUTH_SHA256, false, false, 0x99);
	uint8_t p[T_MAX_PKT], q[T_MAX_PKT];
	unsigned len = ah_packet(sa, p, IPPROTO_UDP, 100);
	struct rte_mbuf *m;

	(void)state;
	/* TTL down, DSCP/ECN rewritten, DF set, checksum redone: still valid,
	 * and the packet comes out as it arrived. */
	memcpy(q, p, len);
	q[8] -= 3;
	q[1] = 0xb9;
	q[6] |= 0x40;
	fix_cksum(q);
	m = t_mbuf(q, len);
	assert_rc(t_ah_in(sa, m, 0), 0);
	assert_int_equal(rte_pktmbuf_mtod(m, uint8_t *)[8], q[8]);
	assert_int_equal(rte_pktmbuf_mtod(m, uint8_t *)[1], 0xb9);
	assert_int_equal(rte_pktmbuf_mtod(m, uint8_t *)[6] & 0x40, 0x40);
	t_assert_cksum(m);
	rte_pktmbuf_free(m);
	/* Immutable: identification, addresses, every byte of AH (but the
	 * reserved field is covered too) and of the payload. */
	for (unsigned off = 0; off < len; off++) {
		int want = GW_DROP_ICV;

		if (off == 1 || off == 6 || off == 7 || off == 8 || off == 10 || off == 11)
			continue; /* mutable */
		if (off == 0 || off == 2)
			want = GW_DROP_MALFORMED; /* version, total length > buffer */
		if (off == 3 && (p[3] ^ 0x10) > p[3])
			want = GW_DROP_MALFORMED; /* shorter: the rest is cut, ICV */
		if (off == 9 || off == 21)
			want = GW_DROP_MALFORMED; /* protocol, AH length */
		memcpy(q, p, len);
		q[off] ^= 0x10;
		fix_cksum(q);
		assert_rc(ah_in_bytes(sa, q, len), want);
	}
	assert_rc(ah_in_bytes(sa, p, len), 0);
	t_sa_free(sa);
}

static void test_ah_ip_options(void **state)
{
	struct gw_sa *tr = ah_sa(GW_AUTH_SHA1, false, false, 0x31);
	struct gw_sa *tun = ah_sa(GW_AUTH_SHA1, true, false, 0x31);
	uint8_t buf[128], p[T_MAX_PKT];
	unsigned len = t_ipv4(buf + 4, T_SA_SRC, T_SA_DST, IPPROTO_UDP, 40, 2), alen;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;
	struct rte_mbuf *m;

	(void)state;
	/* An IPv4 header with one 4-byte option (NOP x3, EOL). */
	memmove(buf, buf + 4, 20);
	memcpy(buf + 20, "\x01\x01\x01\x00", 4);
	ip->version_ihl = 0x46;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len + 4));
	fix_cksum(buf);
	len += 4;
	m = t_mbuf(buf, len);
	assert_rc(t_ah_out(tr, m, GW_DF_CLEAR), GW_DROP_IP_OPTIONS);
	t_assert_mbuf(m, buf, len);
	/* In tunnel mode the options are inside, untouched. */
	assert_rc(t_ah_out(tun, m, GW_DF_CLEAR), 0);
	assert_rc(t_ah_in(tun, m, 0), 0);
	t_assert_mbuf(m, buf, len);
	rte_pktmbuf_free(m);
	/* Received AH behind options. */
	alen = ah_packet(tr, p, IPPROTO_UDP, 40);
	memmove(p + 24, p + 20, alen - 20);
	memcpy(p + 20, "\x01\x01\x01\x00", 4);
	p[0] = 0x46;
	ip = (struct rte_ipv4_hdr *)p;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(alen + 4));
	fix_cksum(p);
	assert_rc(ah_in_bytes(tr, p, alen + 4), GW_DROP_IP_OPTIONS);
	t_sa_free(tr);
	t_sa_free(tun);
}

static void test_ah_truncated_every_length(void **state)
{
	(void)state;
	for (int a = GW_AUTH_MD5; a < GW_AUTH_COUNT; a++) {
		struct gw_sa *sa = ah_sa((enum gw_auth_alg)a, false, false, 0x41);
		uint8_t p[T_MAX_PKT], q[T_MAX_PKT];
		unsigned len = ah_packet(sa, p, IPPROTO_UDP, 30);

		for (unsigned l = 0; l < len; l++) {
			assert_rc(ah_in_bytes(sa, p, l), GW_DROP_MALFORMED); /* IP length > buffer */
			if (l < 20)
				continue;
			memcpy(q, p, l);
			q[2] = (uint8_t)(l >> 8);
			q[3] = (uint8_t)l;
			fix_cksum(q);
			if (l < 20 + 12)
				assert_rc(ah_in_bytes(sa, q, l), GW_DROP_TRUNCATED);
			else if (l < 20 + ah_len[a])
				assert_rc(ah_in_bytes(sa, q, l), GW_DROP_TRUNCATED);
			else
				assert_rc(ah_in_bytes(sa, q, l), GW_DROP_ICV);
		}
		t_sa_free(sa);
	}
}

static void test_ah_wrong_length_field_and_icv(void **state)
{
	struct gw_sa *sa = ah_sa(GW_AUTH_SHA384, true, true, 0x51);
	struct gw_sa *md5 = ah_sa(GW_AUTH_MD5, true, true, 0x51);
	uint8_t buf[128], q[T_MAX_PKT];
	unsigned len = t_ipv4(buf, 7, 8, IPPROTO_TCP, 60, 4), ol;
	struct rte_mbuf *m = t_mbuf(buf, len);

	(void)state;
	assert_rc(t_ah_out(sa, m, GW_DF_SET), 0);
	ol = rte_pktmbuf_data_len(m);
	memcpy(q, rte_pktmbuf_mtod(m, uint8_t *), ol);
	rte_pktmbuf_free(m);
	/* An SA with another ICV size sees a wrong AH length. */
	assert_rc(ah_in_bytes(md5, q, ol), GW_DROP_MALFORMED);
	/* ESN: the high half is in the ICV. */
	m = t_mbuf(q, ol);
	assert_rc(t_ah_in(sa, m, 1), GW_DROP_ICV);
	rte_pktmbuf_free(m);
	/* Each ICV byte. ESN inbound appends seq-hi while hashing, so these
	 * mbufs need 4 bytes of tailroom: pool mbufs, not exact ones. */
	for (unsigned off = 32; off < 32 + 24; off++) {
		q[off] ^= 1;
		m = t_mbuf(q, ol);
		assert_rc(t_ah_in(sa, m, 0), GW_DROP_ICV);
		rte_pktmbuf_free(m);
		q[off] ^= 1;
	}
	m = t_mbuf_exact(q, ol);
	assert_rc(t_ah_in(sa, m, 0), GW_DROP_NO_TAILROOM);
	rte_pktmbuf_free(m);
	m = t_mbuf(q, ol);
	assert_rc(t_ah_in(sa, m, 0), 0);
	rte_pktmbuf_free(m);
	t_sa_free(sa);
	t_sa_free(md5);
}

/* A packet authenticated by a transport SA, decapsulated by a tunnel SA of
 * the same keys: a valid ICV over a payload that tunnel mode must refuse. */
static void test_ah_tunnel_payload_checks(void **state)
{
	struct gw_sa *tr = ah_sa(GW_AUTH_SHA512, false, false, 0x61);
	struct gw_sa *tun = ah_sa(GW_AUTH_SHA512, true, false, 0x61);
	uint8_t p[T_MAX_PKT];
	unsigned len;

	(void)state;
	len = ah_packet(tr, p, IPPROTO_UDP, 40);
	assert_rc(ah_in_bytes(tun, p, len), GW_DROP_NEXT_HEADER);
	len = ah_packet(tr, p, IPPROTO_IPIP, 40); /* "IPv4" that is not */
	assert_rc(ah_in_bytes(tun, p, len), GW_DROP_INNER_IP);
	len = ah_packet(tr, p, 59, 0); /* no next header in transport mode */
	assert_rc(ah_in_bytes(tr, p, len), GW_DROP_NEXT_HEADER);
	t_sa_free(tr);
	t_sa_free(tun);
}

static void test_ah_room_fragments_seq(void **state)
{
	struct gw_sa *esn = ah_sa(GW_AUTH_SHA1, false, true, 0x71);
	struct gw_sa *tr = ah_sa(GW_AUTH_SHA1, false, false, 0x71);
	uint8_t buf[128], p[T_MAX_PKT];
	unsigned len = t_ipv4(buf, T_SA_SRC, T_SA_DST, IPPROTO_UDP, 40, 1), alen;
	struct rte_mbuf *m;

	(void)state;
	m = rte_pktmbuf_alloc(t_pool);
	m->data_off = 10;
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), buf, len);
	assert_rc(t_ah_out(tr, m, GW_DF_CLEAR), GW_DROP_NO_HEADROOM);
	rte_pktmbuf_free(m);
	/* ESN appends seq-hi while hashing: needs 4 bytes at the end. */
	m = rte_pktmbuf_alloc(t_pool);
	m->data_off = (uint16_t)(m->buf_len - len - 2);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), buf, len);
	assert_rc(t_ah_out(esn, m, GW_DF_CLEAR), GW_DROP_NO_TAILROOM);
	t_assert_mbuf(m, buf, len);
	rte_pktmbuf_free(m);
	/* Fragments. */
	buf[6] = 0x20; /* MF */
	fix_cksum(buf);
	m = t_mbuf(buf, len);
	assert_rc(t_ah_out(tr, m, GW_DF_CLEAR), GW_DROP_FRAGMENT);
	rte_pktmbuf_free(m);
	buf[6] = 0;
	fix_cksum(buf);
	alen = ah_packet(tr, p, IPPROTO_UDP, 20);
	p[7] = 1; /* offset 8 */
	fix_cksum(p);
	assert_rc(ah_in_bytes(tr, p, alen), GW_DROP_FRAGMENT);
	/* Sequence numbers: 1 first; no cycling without ESN. */
	tr->hot.seq = UINT32_MAX;
	m = t_mbuf(buf, len);
	assert_rc(t_ah_out(tr, m, GW_DF_CLEAR), GW_DROP_SEQ_OVERFLOW);
	t_assert_mbuf(m, buf, len);
	rte_pktmbuf_free(m);
	esn->hot.seq = UINT32_MAX;
	m = t_mbuf(buf, len);
	assert_rc(t_ah_out(esn, m, GW_DF_CLEAR), 0);
	assert_int_equal(rte_pktmbuf_mtod(m, uint8_t *)[31], 0); /* low half of 2^32 */
	assert_rc(t_ah_in(esn, m, 1), 0);
	t_assert_mbuf(m, buf, len);
	rte_pktmbuf_free(m);
	/* Caller-reserved numbers go on the wire as given. */
	{
		uint64_t want = 0x2a;
		uint8_t rc;

		m = t_mbuf(buf, len);
		assert_int_equal(gw_ah_outb(t_ctx, &m, &tr, &want, NULL, 1, &rc, NULL), 1);
		assert_int_equal(rte_pktmbuf_mtod(m, uint8_t *)[31], 0x2a);
		assert_rc(t_ah_in(tr, m, 0), 0);
		t_assert_mbuf(m, buf, len);
		rte_pktmbuf_free(m);
	}
	t_sa_free(esn);
	t_sa_free(tr);
}

/* ---- AH + ESP bundles: ESP inside, AH outside (RFC 4301 4.5) */

static void bundle(const struct t_sa_spec *esp_sp, enum gw_auth_alg a)
{
	struct gw_sa *eo = t_sa_new(esp_sp), *ei = t_sa_new(esp_sp);
	struct gw_sa *ao = ah_sa(a, false, false, 0x5001), *ai = ah_sa(a, false, false, 0x5001);
	struct gw_sa *se[N], *sh[N];
	static uint8_t orig[N][T_MAX_PKT];
	unsigned olen[N];
	struct rte_mbuf *m[N];
	uint8_t rc[N];
	uint32_t seq32[N];
	uint64_t seq[N];

	for (unsigned i = 0; i < N; i++) {
		olen[i] = packet(orig[i], i, esp_sp->tunnel);
		m[i] = t_mbuf(orig[i], olen[i]);
	}
	for (unsigned i = 0; i < N; i++)
		se[i] = eo, sh[i] = ao;
	assert_int_equal(gw_esp_outb(t_ctx, m, se, NULL, NULL, N, rc, NULL), N);
	assert_int_equal(gw_ah_outb(t_ctx, m, sh, NULL, NULL, N, rc, NULL), N);
	for (unsigned i = 0; i < N; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(m[i], const uint8_t *);

		assert_int_equal(p[9], IPPROTO_AH);
		assert_int_equal(p[20], IPPROTO_ESP); /* AH's next header */
		t_assert_cksum(m[i]);
	}
	for (unsigned i = 0; i < N; i++)
		se[i] = ei, sh[i] = ai;
	assert_int_equal(gw_ah_inb_prepare(m, sh, N, seq32, rc), N);
	for (unsigned i = 0; i < N; i++)
		seq[i] = seq32[i];
	assert_int_equal(gw_ah_inb_process(t_ctx, m, sh, seq, N, rc, NULL), N);
	assert_int_equal(gw_esp_inb_prepare(m, se, N, seq32, rc), N);
	for (unsigned i = 0; i < N; i++)
		seq[i] = seq32[i];
	assert_int_equal(gw_esp_inb_process(t_ctx, m, se, seq, N, rc, NULL), N);
	for (unsigned i = 0; i < N; i++) {
		t_assert_mbuf(m[i], orig[i], olen[i]);
		rte_pktmbuf_free(m[i]);
	}
	t_sa_free(eo);
	t_sa_free(ei);
	t_sa_free(ao);
	t_sa_free(ai);
}

static void test_ah_esp_bundle(void **state)
{
	static const struct t_sa_spec esp[] = {
		{IPPROTO_ESP, GW_ENC_AES128_CBC, GW_AUTH_SHA1, NULL, NULL, 0x4001, true, false},
		{IPPROTO_ESP, GW_ENC_AES256_GCM, GW_AUTH_NULL, NULL, NULL, 0x4002, false, false},
		{IPPROTO_ESP, GW_ENC_3DES, GW_AUTH_NULL, NULL, NULL, 0x4003, true, false},
		{IPPROTO_ESP, GW_ENC_CHACHA20_POLY1305, GW_AUTH_NULL, NULL, NULL, 0x4004, false,
		 true},
	};

	(void)state;
	bundle(&esp[0], GW_AUTH_SHA256);
	bundle(&esp[1], GW_AUTH_MD5);
	bundle(&esp[2], GW_AUTH_SHA512); /* confidentiality from ESP, integrity from AH */
	bundle(&esp[3], GW_AUTH_SHA384);
}

/* ---- scapy, both directions */

static void scapy_in(struct t_case *c, struct gw_sa *sa, bool ah, struct rte_mbuf **m)
{
	struct gw_sa *sv[T_SCAPY_PKTS];
	uint8_t rc[T_SCAPY_PKTS];
	uint32_t seq32[T_SCAPY_PKTS];
	uint64_t seq[T_SCAPY_PKTS];
	uint16_t n = (uint16_t)c->n;

	for (unsigned i = 0; i < n; i++)
		sv[i] = sa;
	if (ah)
		gw_ah_inb_prepare(m, sv, n, seq32, rc);
	else
		gw_esp_inb_prepare(m, sv, n, seq32, rc);
	for (unsigned i = 0; i < n; i++) {
		if (rc[i] != 0)
			fail_msg("case %d packet %u: prepare: %s", c->id, i,
				 gw_ipsec_drop_name(rc[i]));
		seq[i] = (uint64_t)c->seqhi << 32 | seq32[i];
	}
	if (ah)
		gw_ah_inb_process(t_ctx, m, sv, seq, n, rc, NULL);
	else
		gw_esp_inb_process(t_ctx, m, sv, seq, n, rc, NULL);
	for (unsigned i = 0; i < n; i++)
		if (rc[i] != 0)
			fail_msg("case %d (%s %s) packet %u: %s", c->id, c->proto, c->mode, i,
				 gw_ipsec_drop_name(rc[i]));
}

static void scapy_out(struct t_case *c, struct gw_sa *sa, bool ah, struct rte_mbuf **m)
{
	struct gw_sa *sv[T_SCAPY_PKTS];
	uint8_t rc[T_SCAPY_PKTS];
	uint16_t n = (uint16_t)c->n;

	for (unsigned i = 0; i < n; i++)
		sv[i] = sa;
	sa->hot.seq = (uint64_t)c->seqhi << 32;
	if (ah)
		assert_int_equal(gw_ah_outb(t_ctx, m, sv, NULL, NULL, n, rc, NULL), n);
	else
		assert_int_equal(gw_esp_outb(t_ctx, m, sv, NULL, NULL, n, rc, NULL), n);
}

static void scapy_ah_case(struct t_case *c, FILE *out)
{
	bool tunnel = strcmp(c->mode, "tunnel") == 0, bundled = strcmp(c->proto, "bundle") == 0;
	struct t_sa_spec esp = {.proto = IPPROTO_ESP, .enc = c->enc, .auth = c->auth,
				.ekey = c->ekey, .akey = c->akey, .spi = c->spi,
				.tunnel = tunnel, .esn = c->esn};
	struct t_sa_spec ah = {.proto = IPPROTO_AH, .enc = GW_ENC_NULL, .auth = c->auth,
			       .akey = c->akey, .spi = c->spi, .tunnel = tunnel, .esn = c->esn};
	struct gw_sa *ahin, *ahout, *espin = NULL, *espout = NULL;
	struct rte_mbuf *m[T_SCAPY_PKTS];

	if (bundled) {
		ah = (struct t_sa_spec){.proto = IPPROTO_AH, .enc = GW_ENC_NULL, .auth = c->ahauth,
					.akey = c->ahkey, .spi = c->ahspi};
		espin = t_sa_new(&esp);
		espout = t_sa_new(&esp);
	}
	ahin = t_sa_new(&ah);
	ahout = t_sa_new(&ah);
	for (unsigned i = 0; i < c->n; i++)
		m[i] = t_mbuf(c->wire[i], c->wire_len[i]);
	scapy_in(c, ahin, true, m);
	if (bundled)
		scapy_in(c, espin, false, m);
	for (unsigned i = 0; i < c->n; i++) {
		t_assert_mbuf(m[i], c->plain[i], c->plain_len[i]);
		rte_pktmbuf_free(m[i]);
		m[i] = t_mbuf(c->plain[i], c->plain_len[i]);
	}
	if (bundled)
		scapy_out(c, espout, false, m);
	scapy_out(c, ahout, true, m);
	for (unsigned i = 0; i < c->n; i++) {
		t_case_emit(out, c, i, m[i]);
		rte_pktmbuf_free(m[i]);
	}
	t_sa_free(ahin);
	t_sa_free(ahout);
	if (bundled) {
		t_sa_free(espin);
		t_sa_free(espout);
	}
}

static void test_scapy_ah(void **state)
{
	(void)state;
	t_scapy_run("ah", scapy_ah_case);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T_TEST(test_ah_roundtrip_all),
		T_TEST(test_ah_mutable_fields),
		T_TEST(test_ah_ip_options),
		T_TEST(test_ah_truncated_every_length),
		T_TEST(test_ah_wrong_length_field_and_icv),
		T_TEST(test_ah_tunnel_payload_checks),
		T_TEST(test_ah_room_fragments_seq),
		T_TEST(test_ah_esp_bundle),
		T_TEST(test_scapy_ah),
	};
	int rc;

	if (t_setup("test_ah") != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	t_teardown();
	return rc;
}

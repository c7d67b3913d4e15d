/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by test_esp.c and test_ah.c: EAL and mempools, SAs, packets,
 * single-packet wrappers around the burst API, and the scapy
 * cross-implementation driver (test/vectors/scapy_ipsec.py).
 *
 * Header-only on purpose: each test is one executable.
 */
#ifndef IPSECGW_TEST_IPSEC_TESTLIB_H
#define IPSECGW_TEST_IPSEC_TESTLIB_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ah.h"
#include "crypto.h"
#include "esp.h"
#include "sa.h"

#define T_POOL_SIZE 2047u
#define T_BIG_POOL_SIZE 3u
#define T_MAX_PKT 1600u

static struct rte_mempool *t_pool;     /* 2 KiB data room */
static struct rte_mempool *t_big_pool; /* the largest data room an mbuf can have */
static struct gw_crypto_ctx *t_ctx;

/* ---- EAL, pools, crypto context */

static inline int t_setup(const char *name)
{
	char prefix[64];
	char *argv[] = {(char *)name, "--no-huge", "--no-pci", "-m", "128", "--file-prefix",
			prefix, "--log-level", "error", "--no-telemetry", NULL};

	if (geteuid() != 0) {
		fprintf(stderr, "FAIL: %s needs root (DPDK EAL with --no-huge); run it as root\n",
			name);
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "gwtest_%s_%d", name, (int)getpid());
	if (rte_eal_init(RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "FAIL: rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	/* No per-lcore cache: rte_mempool_avail_count is then exact. */
	t_pool = rte_pktmbuf_pool_create("t_pool", T_POOL_SIZE, 0, 0,
					 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	t_big_pool = rte_pktmbuf_pool_create("t_big", T_BIG_POOL_SIZE, 0, 0, UINT16_MAX,
					     SOCKET_ID_ANY);
	t_ctx = gw_crypto_ctx_new();
	if (t_pool == NULL || t_big_pool == NULL || t_ctx == NULL) {
		fprintf(stderr, "FAIL: mempools or crypto context\n");
		return -1;
	}
	return 0;
}

static inline void t_teardown(void)
{
	gw_crypto_ctx_free(t_ctx);
	rte_mempool_free(t_pool);
	rte_mempool_free(t_big_pool);
	rte_eal_cleanup();
}

/* Around every test: every mbuf it took is back. A failed test longjmps out
 * and may leak; the baseline keeps that from failing the tests after it. */
static unsigned t_avail, t_big_avail;

static inline int t_mark_pools(void **state)
{
	(void)state;
	t_avail = rte_mempool_avail_count(t_pool);
	t_big_avail = rte_mempool_avail_count(t_big_pool);
	return 0;
}

static inline int t_check_pools(void **state)
{
	(void)state;
	assert_int_equal(rte_mempool_avail_count(t_pool), t_avail);
	assert_int_equal(rte_mempool_avail_count(t_big_pool), t_big_avail);
	return 0;
}

#define T_TEST(f) cmocka_unit_test_setup_teardown(f, t_mark_pools, t_check_pools)

/* ---- bytes */

static inline size_t t_unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;

		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else if (*hex >= 'A' && *hex <= 'F')
			v = *hex - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < max);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return n;
}

static inline void t_fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

/* ---- SAs */

struct t_sa_spec {
	uint8_t proto; /* IPPROTO_ESP / IPPROTO_AH */
	enum gw_enc_alg enc;
	enum gw_auth_alg auth;
	const uint8_t *ekey, *akey; /* NULL: a fixed pattern of the right length */
	uint32_t spi;
	bool tunnel, esn;
};

#define T_SA_SRC 0xc6120001u /* 198.18.0.1 */
#define T_SA_DST 0xc6130001u /* 198.19.0.1 */

static struct gw_sa *t_sa_new(const struct t_sa_spec *sp)
{
	struct gw_sa_params p;
	struct gw_sa_id id;
	struct gw_err err;
	struct gw_sa *sa;

	memset(&id, 0, sizeof(id));
	memset(&p, 0, sizeof(p));
	id.spi = sp->spi ? sp->spi : 0x1234;
	id.src = T_SA_SRC;
	id.dst = T_SA_DST;
	id.proto = sp->proto;
	id.dir = GW_SA_OUT;
	p.enc_alg = sp->enc;
	p.auth_alg = sp->auth;
	p.enc_key.len = (uint8_t)gw_enc_key_len(sp->enc);
	p.auth_key.len = (uint8_t)gw_auth_key_len(sp->auth);
	if (sp->ekey)
		memcpy(p.enc_key.bytes, sp->ekey, p.enc_key.len);
	else
		t_fill(p.enc_key.bytes, p.enc_key.len, 11 + sp->enc);
	if (sp->akey)
		memcpy(p.auth_key.bytes, sp->akey, p.auth_key.len);
	else
		t_fill(p.auth_key.bytes, p.auth_key.len, 29 + sp->auth);
	p.tunnel = sp->tunnel;
	p.flags = sp->esn ? GW_SA_FLAG_ESN : 0;
	p.replay_window = 64;
	sa = gw_sa_new(&id, &p, 1, 0);
	assert_non_null(sa);
	memset(&err, 0, sizeof(err));
	if (gw_sa_crypto_init(sa, &err) != 0)
		fail_msg("gw_sa_crypto_init: %s", err.msg);
	return sa;
}

static inline void t_sa_free(struct gw_sa *sa)
{
	gw_sa_crypto_free(sa);
	gw_sa_free(sa);
}

/* ---- packets */

/* A valid IPv4 packet (proto, payload_len bytes of pattern); returns its length. */
static inline unsigned t_ipv4(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
		       unsigned payload_len, unsigned seed)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;
	unsigned tot = sizeof(*ip) + payload_len;

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = (uint8_t)(seed << 2);
	ip->total_length = rte_cpu_to_be_16((uint16_t)tot);
	ip->packet_id = rte_cpu_to_be_16((uint16_t)(seed * 7));
	ip->time_to_live = (uint8_t)(17 + seed);
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	t_fill(buf + sizeof(*ip), payload_len, seed);
	return tot;
}

static struct rte_mbuf *t_mbuf_in(struct rte_mempool *mp, const uint8_t *data, unsigned len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(p);
	memcpy(p, data, len);
	return m;
}

static struct rte_mbuf *t_mbuf(const uint8_t *data, unsigned len)
{
	return t_mbuf_in(t_pool, data, len);
}

static void t_extbuf_free(void *addr, void *opaque)
{
	free(addr);
	free(opaque);
}

/*
 * An mbuf whose data buffer is a malloc'd block of exactly `len` bytes
 * (external buffer, no headroom or tailroom): under AddressSanitizer any
 * read past the packet is reported, which DPDK's own pools cannot show.
 */
static inline struct rte_mbuf *t_mbuf_exact(const uint8_t *data, unsigned len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t_pool);
	struct rte_mbuf_ext_shared_info *sh = malloc(sizeof(*sh));
	uint8_t *buf = malloc(len ? len : 1);

	assert_non_null(m);
	assert_non_null(sh);
	assert_non_null(buf);
	memset(sh, 0, sizeof(*sh));
	sh->free_cb = t_extbuf_free;
	sh->fcb_opaque = sh;
	rte_mbuf_ext_refcnt_set(sh, 1);
	rte_pktmbuf_attach_extbuf(m, buf, 0, (uint16_t)len, sh);
	if (len)
		memcpy(rte_pktmbuf_append(m, (uint16_t)len), data, len);
	return m;
}

static inline void t_assert_mbuf(const struct rte_mbuf *m, const uint8_t *data, unsigned len)
{
	assert_int_equal(rte_pktmbuf_pkt_len(m), len);
	assert_int_equal(rte_pktmbuf_data_len(m), len);
	assert_memory_equal(rte_pktmbuf_mtod(m, const uint8_t *), data, len);
}

static inline void t_assert_cksum(const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);

	assert_int_equal(rte_raw_cksum(ip, rte_ipv4_hdr_len(ip)), 0xffff);
}

/* ---- one packet through the burst API */

static inline int t_esp_out(struct gw_sa *sa, struct rte_mbuf *m, uint8_t df)
{
	uint8_t rc = 0xff;
	uint32_t bytes;

	gw_esp_outb(t_ctx, &m, &sa, NULL, &df, 1, &rc, &bytes);
	return rc;
}

/* Inbound with the high half of the sequence number given (ESN). */
static inline int t_esp_in(struct gw_sa *sa, struct rte_mbuf *m, uint32_t seq_hi)
{
	uint8_t rc = 0xff;
	uint32_t seq32;
	uint64_t seq;

	gw_esp_inb_prepare(&m, &sa, 1, &seq32, &rc);
	if (rc != 0)
		return rc;
	seq = (uint64_t)seq_hi << 32 | seq32;
	gw_esp_inb_process(t_ctx, &m, &sa, &seq, 1, &rc, NULL);
	return rc;
}

static inline int t_ah_out(struct gw_sa *sa, struct rte_mbuf *m, uint8_t df)
{
	uint8_t rc = 0xff;

	gw_ah_outb(t_ctx, &m, &sa, NULL, &df, 1, &rc, NULL);
	return rc;
}

static inline int t_ah_in(struct gw_sa *sa, struct rte_mbuf *m, uint32_t seq_hi)
{
	uint8_t rc = 0xff;
	uint32_t seq32;
	uint64_t seq;

	gw_ah_inb_prepare(&m, &sa, 1, &seq32, &rc);
	if (rc != 0)
		return rc;
	seq = (uint64_t)seq_hi << 32 | seq32;
	gw_ah_inb_process(t_ctx, &m, &sa, &seq, 1, &rc, NULL);
	return rc;
}

#define assert_rc(expr, want)                                                              \
	do {                                                                               \
		int got_ = (expr);                                                         \
		if (got_ != (int)(want))                                                   \
			fail_msg("%s: got %s, want %s", #expr, gw_ipsec_drop_name(got_),   \
				 gw_ipsec_drop_name(want));                                \
	} while (0)

/* ---- scapy cross-implementation driver */

static const struct {
	const char *name;
	int value;
} t_enc_names[] = {
	{"null", GW_ENC_NULL},
	{"des", GW_ENC_DES},
	{"3des", GW_ENC_3DES},
	{"aes-128-cbc", GW_ENC_AES128_CBC},
	{"aes-192-cbc", GW_ENC_AES192_CBC},
	{"aes-256-cbc", GW_ENC_AES256_CBC},
	{"aes-128-ctr", GW_ENC_AES128_CTR},
	{"aes-192-ctr", GW_ENC_AES192_CTR},
	{"aes-256-ctr", GW_ENC_AES256_CTR},
	{"aes-128-gcm", GW_ENC_AES128_GCM},
	{"aes-192-gcm", GW_ENC_AES192_GCM},
	{"aes-256-gcm", GW_ENC_AES256_GCM},
	{"chacha20-poly1305", GW_ENC_CHACHA20_POLY1305},
}, t_auth_names[] = {
	{"null", GW_AUTH_NULL},     {"md5", GW_AUTH_MD5},       {"sha1", GW_AUTH_SHA1},
	{"sha256", GW_AUTH_SHA256}, {"sha384", GW_AUTH_SHA384}, {"sha512", GW_AUTH_SHA512},
};

static inline int t_name(const char *name, bool enc)
{
	size_t i, n = enc ? RTE_DIM(t_enc_names) : RTE_DIM(t_auth_names);

	for (i = 0; i < n; i++) {
		const char *s = enc ? t_enc_names[i].name : t_auth_names[i].name;

		if (strcmp(s, name) == 0)
			return enc ? t_enc_names[i].value : t_auth_names[i].value;
	}
	fail_msg("unknown algorithm name %s", name);
	return -1;
}

#define T_SCAPY_PKTS 8

struct t_case {
	int id;
	char proto[8], mode[12];
	enum gw_enc_alg enc;
	enum gw_auth_alg auth, ahauth;
	uint8_t ekey[GW_KEY_MAX], akey[GW_KEY_MAX], ahkey[GW_KEY_MAX];
	uint32_t spi, ahspi, seqhi;
	bool esn;
	unsigned n;
	uint8_t *plain[T_SCAPY_PKTS], *wire[T_SCAPY_PKTS];
	unsigned plain_len[T_SCAPY_PKTS], wire_len[T_SCAPY_PKTS];
};

static const char *t_kv(char *line, const char *key)
{
	size_t kl = strlen(key);
	char *p = line;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == line || p[-1] == ' ') && p[kl] == '=')
			return p + kl + 1;
		p += kl;
	}
	fail_msg("case line without %s", key);
	return NULL;
}

static inline void t_kv_word(char *line, const char *key, char *out, size_t max)
{
	const char *v = t_kv(line, key);
	size_t n = strcspn(v, " \n");

	assert_true(n < max);
	memcpy(out, v, n);
	out[n] = '\0';
}

static inline void t_case_parse(char *line, struct t_case *c)
{
	char w[160];

	memset(c, 0, sizeof(*c));
	t_kv_word(line, "id", w, sizeof(w));
	c->id = atoi(w);
	t_kv_word(line, "proto", c->proto, sizeof(c->proto));
	t_kv_word(line, "mode", c->mode, sizeof(c->mode));
	t_kv_word(line, "enc", w, sizeof(w));
	c->enc = (enum gw_enc_alg)t_name(w, true);
	t_kv_word(line, "auth", w, sizeof(w));
	c->auth = (enum gw_auth_alg)t_name(w, false);
	t_kv_word(line, "ahauth", w, sizeof(w));
	c->ahauth = (enum gw_auth_alg)t_name(w, false);
	t_kv_word(line, "ekey", w, sizeof(w));
	t_unhex(w, c->ekey, sizeof(c->ekey));
	t_kv_word(line, "akey", w, sizeof(w));
	t_unhex(w, c->akey, sizeof(c->akey));
	t_kv_word(line, "ahkey", w, sizeof(w));
	t_unhex(w, c->ahkey, sizeof(c->ahkey));
	c->spi = (uint32_t)strtoul(t_kv(line, "spi"), NULL, 16);
	c->ahspi = (uint32_t)strtoul(t_kv(line, "ahspi"), NULL, 16);
	c->seqhi = (uint32_t)strtoul(t_kv(line, "seqhi"), NULL, 10);
	c->esn = atoi(t_kv(line, "esn")) != 0;
}

static inline void t_case_free(struct t_case *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		free(c->plain[i]);
		free(c->wire[i]);
	}
	c->n = 0;
}

/* The interpreter that has scapy: Debian's, unless GW_PYTHON says otherwise. */
static const char *t_python(void)
{
	const char *py = getenv("GW_PYTHON");

	return py && *py ? py : "/usr/bin/python3";
}

static inline void t_script(char *out, size_t len)
{
	const char *root = getenv("GW_SOURCE_ROOT");
	struct stat st;

	snprintf(out, len, "%s/test/vectors/scapy_ipsec.py", root && *root ? root : ".");
	if (stat(out, &st) != 0)
		fail_msg("%s not found: set GW_SOURCE_ROOT to the source tree", out);
}

/* Run a command; a non-zero exit fails the test, loudly. */
static inline void t_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void t_run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (status %d): %s", rc, cmd);
}

/*
 * The per-case work: decapsulate scapy's packets and compare with the
 * plain ones, then encapsulate the plain ones into `out` for scapy.
 */
typedef void (*t_case_fn)(struct t_case *c, FILE *out);

static inline void t_case_emit(FILE *out, const struct t_case *c, unsigned idx,
			       const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

	fprintf(out, "gw %d %u ", c->id, idx);
	for (unsigned i = 0; i < rte_pktmbuf_data_len(m); i++)
		fprintf(out, "%02x", p[i]);
	fputc('\n', out);
}

static inline void t_scapy_run(const char *kind, t_case_fn fn)
{
	char dir[] = "/tmp/gwscapyXXXXXX", script[512], cases[600], results[600];
	char *line = NULL;
	size_t cap = 0;
	struct t_case c;
	unsigned ncases = 0;
	FILE *in, *out;
	bool have = false;

	assert_non_null(mkdtemp(dir));
	t_script(script, sizeof(script));
	snprintf(cases, sizeof(cases), "%s/cases.txt", dir);
	snprintf(results, sizeof(results), "%s/results.txt", dir);
	t_run("%s %s gen %s %s", t_python(), script, kind, cases);
	in = fopen(cases, "r");
	out = fopen(results, "w");
	assert_non_null(in);
	assert_non_null(out);
	while (getline(&line, &cap, in) > 0) {
		uint8_t buf[4096];
		size_t n;

		if (strncmp(line, "case ", 5) == 0) {
			if (have) {
				fn(&c, out);
				t_case_free(&c);
				ncases++;
			}
			t_case_parse(line, &c);
			have = true;
		} else if (strncmp(line, "plain ", 6) == 0) {
			assert_true(have && c.n < T_SCAPY_PKTS);
			n = t_unhex(line + 6, buf, sizeof(buf));
			c.plain[c.n] = malloc(n);
			memcpy(c.plain[c.n], buf, n);
			c.plain_len[c.n] = (unsigned)n;
		} else if (strncmp(line, "wire ", 5) == 0) {
			n = t_unhex(line + 5, buf, sizeof(buf));
			c.wire[c.n] = malloc(n);
			memcpy(c.wire[c.n], buf, n);
			c.wire_len[c.n] = (unsigned)n;
			c.n++;
		}
	}
	if (have) {
		fn(&c, out);
		t_case_free(&c);
		ncases++;
	}
	free(line);
	fclose(in);
	fclose(out);
	assert_true(ncases > 0);
	printf("ipsecgw decapsulated the scapy packets of %u %s cases\n", ncases, kind);
	t_run("%s %s check %s %s", t_python(), script, cases, results);
	if (getenv("GW_SCAPY_KEEP"))
		printf("scapy files kept in %s\n", dir);
	else
		t_run("rm -rf %s", dir);
}

#endif

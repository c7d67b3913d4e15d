/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1 crypto (ike/ike_crypto.c): DH agreement and value lengths for every
 * MODP group, the primes' shape; the PRF against RFC 2202 (HMAC-MD5,
 * HMAC-SHA1) and RFC 4231 (HMAC-SHA-256/384/512) vectors; AES-CBC against
 * NIST SP 800-38A F.2; and the whole RFC 2409 derivation (SKEYID, _d, _a,
 * _e, Ka expansion, IVs, HASH_I/R, quick mode hashes, KEYMAT with and
 * without PFS, NAT-D) against an independent computation with Debian's
 * python3 hmac/hashlib and python3-cryptography from the same fixed inputs.
 * A missing python3 is a failure, not a skip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bn.h>

#include "ike_crypto.h"

static void unhex(const char *s, uint8_t *out, size_t *len)
{
	size_t n = 0;

	while (s[0] && s[1]) {
		unsigned v;

		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	*len = n;
}

static void tohex(const uint8_t *p, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = 0;
}

static const enum gw_dh_group groups[] = {GW_DH_MODP768, GW_DH_MODP1024, GW_DH_MODP1536,
					  GW_DH_MODP2048, GW_DH_MODP3072, GW_DH_MODP4096};

static void dh_pair(enum gw_dh_group grp)
{
	struct ike_dh *a = ike_dh_new(grp), *b = ike_dh_new(grp);
	size_t n = ike_dh_len(grp);
	uint8_t sa[IKE_DH_MAX], sb[IKE_DH_MAX], bad[IKE_DH_MAX];

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(ike_dh_group(a), grp);
	assert_memory_not_equal(ike_dh_public(a), ike_dh_public(b), n);
	assert_int_equal(ike_dh_derive(a, ike_dh_public(b), n, sa), 0);
	assert_int_equal(ike_dh_derive(b, ike_dh_public(a), n, sb), 0);
	assert_memory_equal(sa, sb, n);
	/* wrong length, 0, 1, p-1 are refused */
	assert_int_not_equal(ike_dh_derive(a, ike_dh_public(b), n - 1, sa), 0);
	memset(bad, 0, n);
	assert_int_not_equal(ike_dh_derive(a, bad, n, sa), 0);
	bad[n - 1] = 1;
	assert_int_not_equal(ike_dh_derive(a, bad, n, sa), 0);
	memset(bad, 0xff, n);
	assert_int_not_equal(ike_dh_derive(a, bad, n, sa), 0);
	ike_dh_free(a);
	ike_dh_free(b);
}

static void test_dh_groups(void **state)
{
	static const size_t lens[] = {96, 128, 192, 256, 384, 512};

	(void)state;
	assert_int_equal(ike_crypto_init(), 0);
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		assert_int_equal(ike_dh_len(groups[i]), lens[i]);
		dh_pair(groups[i]);
	}
	assert_int_equal(ike_dh_len(GW_DH_MODP8192), 1024);
	assert_int_equal(ike_dh_len(GW_DH_NONE), 0);
	assert_null(ike_dh_new(GW_DH_NONE));
	assert_null(ike_dh_new((enum gw_dh_group)17));
	assert_true(ike_dh_is_weak(GW_DH_MODP768));
	assert_false(ike_dh_is_weak(GW_DH_MODP1024));
}

/* Public values are zero-padded to the modulus: over many keys some start
 * with a zero byte and must still be full length (checked by derive). */
static void test_dh_padding(void **state)
{
	int seen_short = 0;

	(void)state;
	for (int i = 0; i < 3000 && !seen_short; i++) {
		struct ike_dh *a = ike_dh_new(GW_DH_MODP768), *b = ike_dh_new(GW_DH_MODP768);
		uint8_t s1[96], s2[96];

		assert_int_equal(ike_dh_derive(a, ike_dh_public(b), 96, s1), 0);
		assert_int_equal(ike_dh_derive(b, ike_dh_public(a), 96, s2), 0);
		assert_memory_equal(s1, s2, 96);
		if (ike_dh_public(a)[0] == 0 || ike_dh_public(b)[0] == 0 || s1[0] == 0)
			seen_short = 1;
		ike_dh_free(a);
		ike_dh_free(b);
	}
	assert_true(seen_short);
}

static void test_dh_modp8192(void **state)
{
	struct timespec t0, t1;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dh_pair(GW_DH_MODP8192);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("modp8192 pair + 2 derives: %.0f ms\n",
		      (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
}

/* The primes OpenSSL hands out are the RFC's: right size, the all-ones top
 * and bottom 64 bits of RFC 2409 6.1 / RFC 3526, safe primes. */
static void test_dh_primes(void **state)
{
	BIGNUM *(*fn[])(BIGNUM *) = {BN_get_rfc2409_prime_768, BN_get_rfc2409_prime_1024,
				     BN_get_rfc3526_prime_1536, BN_get_rfc3526_prime_2048};
	static const int bits[] = {768, 1024, 1536, 2048};
	static const uint8_t top[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc9, 0x0f, 0xda, 0xa2};

	(void)state;
	for (int i = 0; i < 4; i++) {
		BIGNUM *p = fn[i](NULL), *q = BN_new();
		uint8_t buf[256];

		assert_int_equal(BN_num_bits(p), bits[i]);
		BN_bn2bin(p, buf);
		assert_memory_equal(buf, top, sizeof(top));
		for (int k = 0; k < 8; k++)
			assert_int_equal(buf[bits[i] / 8 - 1 - k], 0xff);
		assert_int_equal(BN_check_prime(p, NULL, NULL), 1);
		BN_rshift1(q, p);
		assert_int_equal(BN_check_prime(q, NULL, NULL), 1);
		BN_free(p);
		BN_free(q);
	}
}

struct hmac_vec {
	enum gw_hash_alg h;
	const char *key, *data, *mac;
};

/* RFC 2202 sections 2 and 3 (test cases 1, 2, 3, 6), RFC 4231 4.2, 4.3, 4.7 */
static const struct hmac_vec hmac_vecs[] = {
	{GW_HASH_MD5, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265", "9294727a3638bb1c13f48ef8158bfc9d"},
	{GW_HASH_MD5, "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	 "750c783e6ab0b503eaa86e310a5db738"},
	{GW_HASH_MD5, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
	 "56be34521d144c88dbb8c733f0e8b3f6"},
	{GW_HASH_MD5,
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
	 "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
	{GW_HASH_SHA1, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
	 "b617318655057264e28bc0b6fb378c8ef146be00"},
	{GW_HASH_SHA1, "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	 "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
	{GW_HASH_SHA1,
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
	 "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
	{GW_HASH_SHA256, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
	 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	{GW_HASH_SHA384, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
	 "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"},
	{GW_HASH_SHA512, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
	 "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
	{GW_HASH_SHA256, "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	{GW_HASH_SHA512, "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	 "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
	{GW_HASH_SHA256,
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
	 "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

static void test_prf_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hmac_vecs) / sizeof(hmac_vecs[0]); i++) {
		uint8_t key[200], data[200], want[64], got[64];
		size_t kl, dl, wl;
		struct ike_chunk c[2];

		unhex(hmac_vecs[i].key, key, &kl);
		unhex(hmac_vecs[i].data, data, &dl);
		unhex(hmac_vecs[i].mac, want, &wl);
		assert_int_equal(wl, ike_hash_len(hmac_vecs[i].h));
		/* split the data in two chunks: concatenation is the PRF input */
		c[0].p = data;
		c[0].len = dl / 3;
		c[1].p = data + dl / 3;
		c[1].len = dl - dl / 3;
		assert_int_equal(ike_prf(hmac_vecs[i].h, key, kl, c, 2, got), 0);
		assert_memory_equal(got, want, wl);
	}
}

/* NIST SP 800-38A F.2.1 / F.2.2: AES-128-CBC, two blocks, and IV chaining
 * across two calls (the IV becomes the last ciphertext block). */
static void test_aes_cbc_vector(void **state)
{
	uint8_t key[16], iv[16], pt[32], ct[32], buf[32], iv2[16];
	size_t n;

	(void)state;
	unhex("2b7e151628aed2a6abf7158809cf4f3c", key, &n);
	unhex("000102030405060708090a0b0c0d0e0f", iv, &n);
	unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51", pt, &n);
	unhex("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2", ct, &n);
	memcpy(buf, pt, 32);
	memcpy(iv2, iv, 16);
	assert_int_equal(ike_cbc(GW_IKE_AES128, key, iv2, buf, 16, true), 0);
	assert_int_equal(ike_cbc(GW_IKE_AES128, key, iv2, buf + 16, 16, true), 0);
	assert_memory_equal(buf, ct, 32);
	assert_memory_equal(iv2, ct + 16, 16);
	memcpy(iv2, iv, 16);
	assert_int_equal(ike_cbc(GW_IKE_AES128, key, iv2, buf, 32, false), 0);
	assert_memory_equal(buf, pt, 32);
	assert_memory_equal(iv2, ct + 16, 16);
	/* not a multiple of the block */
	assert_int_not_equal(ike_cbc(GW_IKE_AES128, key, iv2, buf, 15, true), 0);
	assert_int_not_equal(ike_cbc(GW_IKE_3DES, key, iv2, buf, 12, true), 0);
}

/* ---- the independent computation */

static const char *PY =
	"import sys, hmac, hashlib\n"
	"from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes\n"
	"a = dict(x.split('=', 1) for x in sys.argv[1:])\n"
	"b = {k: bytes.fromhex(v) for k, v in a.items() if k not in ('hash', 'enc')}\n"
	"H = getattr(hashlib, a['hash'])\n"
	"def prf(k, *m): return hmac.new(k, b''.join(m), H).digest()\n"
	"def out(n, v): print(n, v.hex())\n"
	"klen = {'des': 8, '3des': 24, 'aes128': 16, 'aes192': 24, 'aes256': 32}[a['enc']]\n"
	"bs = 8 if 'des' in a['enc'] else 16\n"
	"cky = b['ci'] + b['cr']\n"
	"s = prf(b['psk'], b['ni'], b['nr'])\n"
	"d = prf(s, b['gxy'], cky, b'\\x00')\n"
	"sa_ = prf(s, d, b['gxy'], cky, b'\\x01')\n"
	"e = prf(s, sa_, b['gxy'], cky, b'\\x02')\n"
	"if len(e) >= klen: ka = e[:klen]\n"
	"else:\n"
	"    k = prf(e, b'\\x00'); ka = k\n"
	"    while len(ka) < klen: k = prf(e, k); ka += k\n"
	"    ka = ka[:klen]\n"
	"iv = H(b['gxi'] + b['gxr']).digest()[:bs]\n"
	"for n, v in (('skeyid', s), ('skeyid_d', d), ('skeyid_a', sa_), ('skeyid_e', e), ('ka', ka), ('iv', iv)): out(n, v)\n"
	"out('hash_i', prf(s, b['gxi'], b['gxr'], b['ci'], b['cr'], b['sai'], b['idi']))\n"
	"out('hash_r', prf(s, b['gxr'], b['gxi'], b['cr'], b['ci'], b['sai'], b['idr']))\n"
	"out('p2iv', H(b['last'] + b['mid']).digest()[:bs])\n"
	"out('hash1', prf(sa_, b['mid'], b['rest']))\n"
	"out('hash2', prf(sa_, b['mid'], b['ni'], b['rest']))\n"
	"out('hash3', prf(sa_, b'\\x00', b['mid'], b['ni'], b['nr']))\n"
	"def keymat(g, n):\n"
	"    seed = g + b'\\x03' + b['spi'] + b['ni'] + b['nr']\n"
	"    k = prf(d, seed); km = k\n"
	"    while len(km) < n: k = prf(d, k + seed); km += k\n"
	"    return km[:n]\n"
	"out('keymat', keymat(b'', 100))\n"
	"out('keymat_pfs', keymat(b['gqm'], 100))\n"
	"out('natd', H(cky + b['addr'] + b['port']).digest())\n"
	"c = Cipher(algorithms.TripleDES(ka) if 'des' in a['enc'] else algorithms.AES(ka), modes.CBC(iv)).encryptor()\n"
	"out('cbc', c.update(b['plain']) + c.finalize())\n";

struct kv {
	char name[32];
	uint8_t v[256];
	size_t len;
};

static int run_python(const char *hash, const char *enc, const char *args, struct kv *res, int max)
{
	const char *py = getenv("GW_PYTHON") ? getenv("GW_PYTHON") : "/usr/bin/python3";
	char path[] = "/tmp/ike_kat_XXXXXX", *cmd, line[1024];
	FILE *f;
	int fd, n = 0;

	if (access(py, X_OK) != 0)
		fail_msg("python3 not found at %s: the independent KDF vector cannot be computed", py);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(PY, f);
	fclose(f);
	cmd = malloc(strlen(args) + 512);
	sprintf(cmd, "%s %s hash=%s enc=%s %s", py, path, hash, enc, args);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (n < max && fgets(line, sizeof(line), f)) {
		char hex[600];

		if (sscanf(line, "%31s %599s", res[n].name, hex) == 2) {
			unhex(hex, res[n].v, &res[n].len);
			n++;
		}
	}
	if (pclose(f) != 0)
		fail_msg("python3 failed (python3-cryptography missing?): %s", cmd);
	free(cmd);
	unlink(path);
	return n;
}

static const struct kv *find(const struct kv *res, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(res[i].name, name))
			return &res[i];
	fail_msg("python3 gave no %s", name);
	return NULL;
}

static void check(const struct kv *res, int n, const char *name, const uint8_t *got, size_t len)
{
	const struct kv *e = find(res, n, name);

	if (e->len != len || memcmp(e->v, got, len) != 0) {
		char a[600], b[600];

		tohex(got, len, a);
		tohex(e->v, e->len, b);
		fail_msg("%s: ours %s, python3 %s", name, a, b);
	}
}

static void kdf_case(enum gw_hash_alg h, enum gw_ike_enc e)
{
	static const char *hn[] = {"md5", "sha1", "sha256", "sha384", "sha512"};
	static const char *en[] = {"des", "3des", "aes128", "aes192", "aes256"};
	uint8_t psk[] = "gwejimezyfopmekun", ni[24], nr[32], gxy[128], ci[8], cr[8], gxi[128], gxr[128];
	uint8_t sai[60], idi[8] = {1, 0, 0, 0, 198, 18, 0, 1}, idr[8] = {1, 17, 1, 244, 198, 18, 0, 2};
	uint8_t last[16], rest[90], gqm[96], plain[64], out[128], iv[16], cbc[64];
	uint32_t mid = 0xdeadbeef, spi = 0x0e727605;
	struct ike_p1_keys k;
	struct kv res[32];
	char *args = malloc(8192), *p;
	int n;

	for (size_t i = 0; i < sizeof(gxy); i++) {
		gxy[i] = (uint8_t)(i * 7 + 1);
		gxi[i] = (uint8_t)(i * 13 + 5);
		gxr[i] = (uint8_t)(255 - i);
	}
	for (size_t i = 0; i < sizeof(ni); i++)
		ni[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < sizeof(nr); i++)
		nr[i] = (uint8_t)(0x30 + i * 3);
	for (size_t i = 0; i < 8; i++) {
		ci[i] = (uint8_t)(0x11 * (i + 1));
		cr[i] = (uint8_t)(0xf0 - i);
	}
	for (size_t i = 0; i < sizeof(sai); i++)
		sai[i] = (uint8_t)(i ^ 0x5a);
	for (size_t i = 0; i < sizeof(last); i++)
		last[i] = (uint8_t)(i * 17);
	for (size_t i = 0; i < sizeof(rest); i++)
		rest[i] = (uint8_t)(i * 3 + 2);
	for (size_t i = 0; i < sizeof(gqm); i++)
		gqm[i] = (uint8_t)(i * 5 + 9);
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)i;

	p = args;
#define ARG(name, buf, len)                     \
	do {                                    \
		p += sprintf(p, " %s=", name);  \
		tohex(buf, len, p);             \
		p += strlen(p);                 \
	} while (0)
	ARG("psk", psk, strlen((char *)psk));
	ARG("ni", ni, sizeof(ni));
	ARG("nr", nr, sizeof(nr));
	ARG("gxy", gxy, sizeof(gxy));
	ARG("ci", ci, 8);
	ARG("cr", cr, 8);
	ARG("gxi", gxi, sizeof(gxi));
	ARG("gxr", gxr, sizeof(gxr));
	ARG("sai", sai, sizeof(sai));
	ARG("idi", idi, sizeof(idi));
	ARG("idr", idr, sizeof(idr));
	ARG("last", last, ike_enc_block(e));
	ARG("mid", (const uint8_t *)"\xde\xad\xbe\xef", 4);
	ARG("rest", rest, sizeof(rest));
	ARG("spi", (const uint8_t *)"\x0e\x72\x76\x05", 4);
	ARG("gqm", gqm, sizeof(gqm));
	ARG("addr", (const uint8_t *)"\xc6\x12\x00\x01", 4);
	ARG("port", (const uint8_t *)"\x11\x94", 2);
	ARG("plain", plain, sizeof(plain));
#undef ARG
	n = run_python(hn[h], en[e], args, res, 32);
	free(args);

	assert_int_equal(ike_p1_derive(&k, h, e, psk, strlen((char *)psk), ni, sizeof(ni), nr, sizeof(nr), gxy,
				       sizeof(gxy), ci, cr, gxi, gxr, sizeof(gxi)),
			 0);
	check(res, n, "skeyid", k.skeyid, k.prf_len);
	check(res, n, "skeyid_d", k.skeyid_d, k.prf_len);
	check(res, n, "skeyid_a", k.skeyid_a, k.prf_len);
	check(res, n, "skeyid_e", k.skeyid_e, k.prf_len);
	check(res, n, "ka", k.enc_key, k.enc_key_len);
	check(res, n, "iv", k.iv, k.block);
	assert_int_equal(ike_p1_auth_hash(&k, gxi, gxr, sizeof(gxi), ci, cr, sai, sizeof(sai), idi, 8, out), 0);
	check(res, n, "hash_i", out, k.prf_len);
	assert_int_equal(ike_p1_auth_hash(&k, gxr, gxi, sizeof(gxi), cr, ci, sai, sizeof(sai), idr, 8, out), 0);
	check(res, n, "hash_r", out, k.prf_len);
	assert_int_equal(ike_p2_iv(&k, last, mid, iv), 0);
	check(res, n, "p2iv", iv, k.block);
	assert_int_equal(ike_qm_hash(&k, false, mid, rest, sizeof(rest), NULL, 0, NULL, 0, out), 0);
	check(res, n, "hash1", out, k.prf_len);
	assert_int_equal(ike_qm_hash(&k, false, mid, ni, sizeof(ni), rest, sizeof(rest), NULL, 0, out), 0);
	check(res, n, "hash2", out, k.prf_len);
	assert_int_equal(ike_qm_hash(&k, true, mid, ni, sizeof(ni), nr, sizeof(nr), NULL, 0, out), 0);
	check(res, n, "hash3", out, k.prf_len);
	assert_int_equal(ike_keymat(&k, NULL, 0, 3, spi, ni, sizeof(ni), nr, sizeof(nr), out, 100), 0);
	check(res, n, "keymat", out, 100);
	assert_int_equal(ike_keymat(&k, gqm, sizeof(gqm), 3, spi, ni, sizeof(ni), nr, sizeof(nr), out, 100), 0);
	check(res, n, "keymat_pfs", out, 100);
	assert_int_equal(ike_natd_hash(h, ci, cr, 0xc6120001, 4500, out), 0);
	check(res, n, "natd", out, ike_hash_len(h));
	memcpy(cbc, plain, sizeof(plain));
	memcpy(iv, k.iv, k.block);
	assert_int_equal(ike_cbc(e, k.enc_key, iv, cbc, sizeof(cbc), true), 0);
	check(res, n, "cbc", cbc, sizeof(cbc));
	assert_int_equal(ike_cbc(e, k.enc_key, k.iv, cbc, sizeof(cbc), false), 0);
	assert_memory_equal(cbc, plain, sizeof(plain));
}

/* Every hash with every cipher: covers Ka taken directly (SHA-256+ with
 * 3DES) and expanded (MD5/SHA-1 with 3DES or AES-192/256). */
static void test_kdf_python(void **state)
{
	(void)state;
	for (int h = 0; h < GW_HASH_COUNT; h++)
		for (int e = 0; e < GW_IKE_ENC_COUNT; e++)
			kdf_case((enum gw_hash_alg)h, (enum gw_ike_enc)e);
}

static void test_random(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	assert_int_equal(ike_random(a, sizeof(a)), 0);
	assert_int_equal(ike_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_true(ike_enc_is_weak(GW_IKE_DES));
	assert_true(ike_hash_is_weak(GW_HASH_MD5));
	assert_false(ike_hash_is_weak(GW_HASH_SHA1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dh_groups),
		cmocka_unit_test(test_dh_padding),
		cmocka_unit_test(test_dh_modp8192),
		cmocka_unit_test(test_dh_primes),
		cmocka_unit_test(test_prf_vectors),
		cmocka_unit_test(test_aes_cbc_vector),
		cmocka_unit_test(test_kdf_python),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1 cryptography on OpenSSL 3, in a private library context. See
 * ike_crypto.h.
 */
#include "ike_crypto.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

/* ---- the private library context */

static struct {
	OSSL_LIB_CTX *libctx;
	OSSL_PROVIDER *dflt, *legacy;
	EVP_MAC *hmac;
	EVP_MD *md[GW_HASH_COUNT];
	EVP_CIPHER *cipher[GW_IKE_ENC_COUNT];
	int status; /* 0 ok, -1 failed */
} g;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static const char *const md_names[GW_HASH_COUNT] = {"MD5", "SHA1", "SHA256", "SHA384", "SHA512"};
static const char *const cipher_names[GW_IKE_ENC_COUNT] = {"DES-CBC", "DES-EDE3-CBC", "AES-128-CBC",
							    "AES-192-CBC", "AES-256-CBC"};

static void init_ctx(void)
{
	unsigned i;

	g.status = -1;
	g.libctx = OSSL_LIB_CTX_new();
	if (!g.libctx)
		return;
	/* "legacy" only for single DES; "default" for everything else. */
	g.dflt = OSSL_PROVIDER_load(g.libctx, "default");
	g.legacy = OSSL_PROVIDER_load(g.libctx, "legacy");
	if (!g.dflt || !g.legacy)
		return;
	g.hmac = EVP_MAC_fetch(g.libctx, "HMAC", NULL);
	if (!g.hmac)
		return;
	for (i = 0; i < GW_HASH_COUNT; i++)
		if (!(g.md[i] = EVP_MD_fetch(g.libctx, md_names[i], NULL)))
			return;
	for (i = 0; i < GW_IKE_ENC_COUNT; i++)
		if (!(g.cipher[i] = EVP_CIPHER_fetch(g.libctx, cipher_names[i], NULL)))
			return;
	g.status = 0;
}

int ike_crypto_init(void)
{
	pthread_once(&init_once, init_ctx);
	return g.status;
}

void ike_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

int ike_random(void *buf, size_t len)
{
	if (ike_crypto_init() != 0)
		return -1;
	return RAND_bytes_ex(g.libctx, buf, len, 0) == 1 ? 0 : -1;
}

/* ---- Diffie-Hellman */

struct dh_group_def {
	enum gw_dh_group group;
	size_t bytes;
	BIGNUM *(*prime)(BIGNUM *);
	int priv_bits; /* short exponents: twice the RFC 3526 upper strength estimate */
};

static const struct dh_group_def dh_groups[] = {
	{GW_DH_MODP768, 96, BN_get_rfc2409_prime_768, 256},
	{GW_DH_MODP1024, 128, BN_get_rfc2409_prime_1024, 256},
	{GW_DH_MODP1536, 192, BN_get_rfc3526_prime_1536, 256},
	{GW_DH_MODP2048, 256, BN_get_rfc3526_prime_2048, 320},
	{GW_DH_MODP3072, 384, BN_get_rfc3526_prime_3072, 420},
	{GW_DH_MODP4096, 512, BN_get_rfc3526_prime_4096, 480},
	{GW_DH_MODP8192, 1024, BN_get_rfc3526_prime_8192, 640},
};

static const struct dh_group_def *dh_def(enum gw_dh_group grp)
{
	for (size_t i = 0; i < sizeof(dh_groups) / sizeof(dh_groups[0]); i++)
		if (dh_groups[i].group == grp)
			return &dh_groups[i];
	return NULL;
}

size_t ike_dh_len(enum gw_dh_group grp)
{
	const struct dh_group_def *d = dh_def(grp);

	return d ? d->bytes : 0;
}

bool ike_dh_supported(enum gw_dh_group grp)
{
	return dh_def(grp) != NULL;
}

struct ike_dh {
	const struct dh_group_def *def;
	EVP_PKEY *key;
	BIGNUM *p;
	uint8_t pub[IKE_DH_MAX];
};

/* An EVP_PKEY of the group: parameters only (pub NULL) or a peer key. */
static EVP_PKEY *dh_pkey(const struct dh_group_def *d, const BIGNUM *p, const BIGNUM *pub)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *gen = BN_new();

	if (!bld || !gen || !BN_set_word(gen, 2))
		goto out;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, gen) ||
	    !OSSL_PARAM_BLD_push_int(bld, OSSL_PKEY_PARAM_DH_PRIV_LEN, d->priv_bits))
		goto out;
	if (pub && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, pub))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(g.libctx, "DH", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0)
		goto out;
	if (EVP_PKEY_fromdata(ctx, &pkey, pub ? EVP_PKEY_PUBLIC_KEY : EVP_PKEY_KEY_PARAMETERS, params) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(gen);
	return pkey;
}

struct ike_dh *ike_dh_new(enum gw_dh_group grp)
{
	const struct dh_group_def *d = dh_def(grp);
	struct ike_dh *dh = NULL;
	EVP_PKEY *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *pub = NULL;

	if (!d || ike_crypto_init() != 0)
		return NULL;
	dh = calloc(1, sizeof(*dh));
	if (!dh)
		return NULL;
	dh->def = d;
	dh->p = d->prime(NULL);
	if (!dh->p || !(params = dh_pkey(d, dh->p, NULL)))
		goto fail;
	ctx = EVP_PKEY_CTX_new_from_pkey(g.libctx, params, NULL);
	if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_generate(ctx, &dh->key) <= 0)
		goto fail;
	if (!EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY, &pub) ||
	    BN_bn2binpad(pub, dh->pub, (int)d->bytes) != (int)d->bytes)
		goto fail;
	BN_free(pub);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(params);
	return dh;
fail:
	BN_free(pub);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(params);
	ike_dh_free(dh);
	return NULL;
}

void ike_dh_free(struct ike_dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->key);
	BN_free(dh->p);
	free(dh);
}

enum gw_dh_group ike_dh_group(const struct ike_dh *dh)
{
	return dh->def->group;
}

const uint8_t *ike_dh_public(const struct ike_dh *dh)
{
	return dh->pub;
}

int ike_dh_derive(struct ike_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *secret)
{
	const struct dh_group_def *d = dh->def;
	BIGNUM *y = NULL, *pm1 = NULL;
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t out_len = d->bytes;
	int rc = -1;

	if (peer_len != d->bytes)
		return -1;
	y = BN_bin2bn(peer, (int)peer_len, NULL);
	pm1 = BN_dup(dh->p);
	if (!y || !pm1 || !BN_sub_word(pm1, 1))
		goto out;
	/* 1 < y < p-1: rules out the degenerate values that force the
	 * secret (RFC 2631 2.1.5 style range check; the group has no q). */
	if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, pm1) >= 0)
		goto out;
	if (!(pk = dh_pkey(d, dh->p, y)))
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(g.libctx, dh->key, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, pk, 0) <= 0)
		goto out;
	if (EVP_PKEY_derive(ctx, secret, &out_len) <= 0 || out_len != d->bytes)
		goto out;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	BN_free(y);
	BN_free(pm1);
	return rc;
}

/* ---- PRF, hash */

size_t ike_hash_len(enum gw_hash_alg h)
{
	static const size_t len[GW_HASH_COUNT] = {16, 20, 32, 48, 64};

	return (unsigned)h < GW_HASH_COUNT ? len[h] : 0;
}

int ike_prf(enum gw_hash_alg h, const void *key, size_t key_len, const struct ike_chunk *c,
	    unsigned n, uint8_t *out)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	size_t out_len = 0;
	int rc = -1;

	if ((unsigned)h >= GW_HASH_COUNT || ike_crypto_init() != 0)
		return -1;
	ctx = EVP_MAC_CTX_new(g.hmac);
	if (!ctx)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md_names[h], 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key, key_len, params))
		goto out;
	for (unsigned i = 0; i < n; i++)
		if (c[i].len && !EVP_MAC_update(ctx, c[i].p, c[i].len))
			goto out;
	if (!EVP_MAC_final(ctx, out, &out_len, IKE_HASH_MAX) || out_len != ike_hash_len(h))
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

int ike_hash(enum gw_hash_alg h, const struct ike_chunk *c, unsigned n, uint8_t *out)
{
	EVP_MD_CTX *ctx;
	int rc = -1;

	if ((unsigned)h >= GW_HASH_COUNT || ike_crypto_init() != 0)
		return -1;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -1;
	if (!EVP_DigestInit_ex(ctx, g.md[h], NULL))
		goto out;
	for (unsigned i = 0; i < n; i++)
		if (c[i].len && !EVP_DigestUpdate(ctx, c[i].p, c[i].len))
			goto out;
	if (!EVP_DigestFinal_ex(ctx, out, NULL))
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* ---- ciphers */

size_t ike_enc_block(enum gw_ike_enc e)
{
	return e == GW_IKE_DES || e == GW_IKE_3DES ? 8 : (unsigned)e < GW_IKE_ENC_COUNT ? 16 : 0;
}

size_t ike_enc_key_len(enum gw_ike_enc e)
{
	static const size_t len[GW_IKE_ENC_COUNT] = {8, 24, 16, 24, 32};

	return (unsigned)e < GW_IKE_ENC_COUNT ? len[e] : 0;
}

int ike_cbc(enum gw_ike_enc e, const uint8_t *key, uint8_t *iv, uint8_t *buf, size_t len, bool encrypt)
{
	size_t bs = ike_enc_block(e);
	uint8_t next_iv[IKE_BLOCK_MAX];
	EVP_CIPHER_CTX *ctx;
	int out1 = 0, out2 = 0, rc = -1;

	if (!bs || len == 0 || len % bs || len > INT32_MAX || ike_crypto_init() != 0)
		return -1;
	/* The next IV is the last ciphertext block: before decrypting, it is
	 * still in buf. */
	if (!encrypt)
		memcpy(next_iv, buf + len - bs, bs);
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -1;
	if (!EVP_CipherInit_ex2(ctx, g.cipher[e], key, iv, encrypt ? 1 : 0, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_CipherUpdate(ctx, buf, &out1, buf, (int)len) ||
	    !EVP_CipherFinal_ex(ctx, buf + out1, &out2) || (size_t)(out1 + out2) != len)
		goto out;
	if (encrypt)
		memcpy(next_iv, buf + len - bs, bs);
	memcpy(iv, next_iv, bs);
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

bool ike_enc_is_weak(enum gw_ike_enc e)
{
	return e == GW_IKE_DES;
}

bool ike_hash_is_weak(enum gw_hash_alg h)
{
	return h == GW_HASH_MD5;
}

bool ike_dh_is_weak(enum gw_dh_group grp)
{
	return grp == GW_DH_MODP768;
}

/* ---- RFC 2409 section 5 */

int ike_p1_derive(struct ike_p1_keys *k, enum gw_hash_alg h, enum gw_ike_enc e, const void *psk,
		  size_t psk_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		  const uint8_t *gxy, size_t gxy_len, const uint8_t cky_i[8], const uint8_t cky_r[8],
		  const uint8_t *gxi, const uint8_t *gxr, size_t gx_len)
{
	static const uint8_t c0 = 0, c1 = 1, c2 = 2;
	uint8_t digest[IKE_HASH_MAX];
	size_t n, have;

	memset(k, 0, sizeof(*k));
	k->hash = h;
	k->enc = e;
	k->prf_len = n = ike_hash_len(h);
	k->enc_key_len = ike_enc_key_len(e);
	k->block = ike_enc_block(e);
	if (!n || !k->enc_key_len)
		return -1;
	{
		struct ike_chunk c[] = {{ni, ni_len}, {nr, nr_len}};

		if (ike_prf(h, psk, psk_len, c, 2, k->skeyid))
			return -1;
	}
	{
		struct ike_chunk c[] = {{gxy, gxy_len}, {cky_i, 8}, {cky_r, 8}, {&c0, 1}};

		if (ike_prf(h, k->skeyid, n, c, 4, k->skeyid_d))
			return -1;
	}
	{
		struct ike_chunk c[] = {{k->skeyid_d, n}, {gxy, gxy_len}, {cky_i, 8}, {cky_r, 8}, {&c1, 1}};

		if (ike_prf(h, k->skeyid, n, c, 5, k->skeyid_a))
			return -1;
	}
	{
		struct ike_chunk c[] = {{k->skeyid_a, n}, {gxy, gxy_len}, {cky_i, 8}, {cky_r, 8}, {&c2, 1}};

		if (ike_prf(h, k->skeyid, n, c, 5, k->skeyid_e))
			return -1;
	}
	/* Appendix B: Ka is SKEYID_e's first bytes, or its expansion
	 * K1 = prf(SKEYID_e, 0), K2 = prf(SKEYID_e, K1), ... when too short. */
	if (n >= k->enc_key_len) {
		memcpy(k->enc_key, k->skeyid_e, k->enc_key_len);
	} else {
		struct ike_chunk c = {&c0, 1};

		for (have = 0; have < k->enc_key_len; have += n) {
			if (ike_prf(h, k->skeyid_e, n, &c, 1, digest))
				return -1;
			memcpy(k->enc_key + have, digest, k->enc_key_len - have < n ? k->enc_key_len - have : n);
			c.p = k->enc_key + have;
			c.len = n;
			if (k->enc_key_len - have < n)
				break;
		}
	}
	{
		struct ike_chunk c[] = {{gxi, gx_len}, {gxr, gx_len}};

		if (ike_hash(h, c, 2, digest))
			return -1;
		memcpy(k->iv, digest, k->block);
	}
	ike_wipe(digest, sizeof(digest));
	return 0;
}

int ike_p1_auth_hash(const struct ike_p1_keys *k, const uint8_t *gx_a, const uint8_t *gx_b,
		     size_t gx_len, const uint8_t cky_a[8], const uint8_t cky_b[8], const uint8_t *sai_b,
		     size_t sai_len, const uint8_t *id_b, size_t id_len, uint8_t *out)
{
	struct ike_chunk c[] = {{gx_a, gx_len}, {gx_b, gx_len}, {cky_a, 8},
				{cky_b, 8},     {sai_b, sai_len}, {id_b, id_len}};

	return ike_prf(k->hash, k->skeyid, k->prf_len, c, 6, out);
}

int ike_p2_iv(const struct ike_p1_keys *k, const uint8_t *p1_last_block, uint32_t msgid, uint8_t *iv)
{
	uint8_t m[4] = {(uint8_t)(msgid >> 24), (uint8_t)(msgid >> 16), (uint8_t)(msgid >> 8), (uint8_t)msgid};
	uint8_t digest[IKE_HASH_MAX];
	struct ike_chunk c[] = {{p1_last_block, k->block}, {m, 4}};

	if (ike_hash(k->hash, c, 2, digest))
		return -1;
	memcpy(iv, digest, k->block);
	return 0;
}

int ike_qm_hash(const struct ike_p1_keys *k, bool zero_byte, uint32_t msgid, const uint8_t *a,
		size_t a_len, const uint8_t *b, size_t b_len, const uint8_t *c, size_t c_len, uint8_t *out)
{
	static const uint8_t zero = 0;
	uint8_t m[4] = {(uint8_t)(msgid >> 24), (uint8_t)(msgid >> 16), (uint8_t)(msgid >> 8), (uint8_t)msgid};
	struct ike_chunk ch[] = {{&zero, zero_byte ? 1 : 0}, {m, 4}, {a, a_len}, {b, b_len}, {c, c_len}};

	return ike_prf(k->hash, k->skeyid_a, k->prf_len, ch, 5, out);
}

int ike_keymat(const struct ike_p1_keys *k, const uint8_t *gqm, size_t gqm_len, uint8_t protocol,
	       uint32_t spi, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
	       uint8_t *out, size_t out_len)
{
	uint8_t s[4] = {(uint8_t)(spi >> 24), (uint8_t)(spi >> 16), (uint8_t)(spi >> 8), (uint8_t)spi};
	uint8_t prev[IKE_HASH_MAX], digest[IKE_HASH_MAX];
	size_t have = 0, n = k->prf_len;
	struct ike_chunk c[] = {{prev, 0},  {gqm, gqm ? gqm_len : 0}, {&protocol, 1}, {s, 4},
				{ni, ni_len}, {nr, nr_len}};

	while (have < out_len) {
		size_t take = out_len - have < n ? out_len - have : n;

		if (ike_prf(k->hash, k->skeyid_d, n, c, 6, digest))
			return -1;
		memcpy(out + have, digest, take);
		memcpy(prev, digest, n);
		c[0].len = n;
		have += take;
	}
	ike_wipe(prev, sizeof(prev));
	ike_wipe(digest, sizeof(digest));
	return 0;
}

int ike_natd_hash(enum gw_hash_alg h, const uint8_t cky_i[8], const uint8_t cky_r[8], uint32_t addr,
		  uint16_t port, uint8_t *out)
{
	uint8_t a[4] = {(uint8_t)(addr >> 24), (uint8_t)(addr >> 16), (uint8_t)(addr >> 8), (uint8_t)addr};
	uint8_t p[2] = {(uint8_t)(port >> 8), (uint8_t)port};
	struct ike_chunk c[] = {{cky_i, 8}, {cky_r, 8}, {a, 4}, {p, 2}};

	return ike_hash(h, c, 4, out);
}

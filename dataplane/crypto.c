/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-SA key schedules, per-worker intel-ipsec-mb managers, the CBC IV
 * generator, and the known-answer helpers. The ESP and AH transforms use
 * what is set up here; they never expand a key themselves.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <rte_common.h>

#include "crypto.h"

/* ---- algorithm tables */

struct enc_info {
	IMB_CIPHER_MODE mode;
	IMB_HASH_ALG aead_hash; /* AEAD only: the paired "hash" */
	uint8_t kind;           /* enum gw_cipher_kind */
	uint8_t key_len;        /* cipher key bytes, salt/nonce excluded */
	uint8_t salt_len;       /* bytes at the end of the configured key */
	uint8_t iv_len;
	uint8_t block;
	uint8_t icv_len;        /* AEAD tag (RFC 4106 / 7634: 16) */
};

static const struct enc_info enc_info[GW_ENC_COUNT] = {
	[GW_ENC_NULL] = {IMB_CIPHER_NULL, IMB_AUTH_NULL, GW_CIPHER_NONE, 0, 0, 0, 1, 0},
	/* RFC 2405 / 2451: 8-byte IV and block. */
	[GW_ENC_DES] = {IMB_CIPHER_DES, IMB_AUTH_NULL, GW_CIPHER_CBC, 8, 0, 8, 8, 0},
	[GW_ENC_3DES] = {IMB_CIPHER_DES3, IMB_AUTH_NULL, GW_CIPHER_CBC, 24, 0, 8, 8, 0},
	/* RFC 3602: 16-byte IV and block. */
	[GW_ENC_AES128_CBC] = {IMB_CIPHER_CBC, IMB_AUTH_NULL, GW_CIPHER_CBC, 16, 0, 16, 16, 0},
	[GW_ENC_AES192_CBC] = {IMB_CIPHER_CBC, IMB_AUTH_NULL, GW_CIPHER_CBC, 24, 0, 16, 16, 0},
	[GW_ENC_AES256_CBC] = {IMB_CIPHER_CBC, IMB_AUTH_NULL, GW_CIPHER_CBC, 32, 0, 16, 16, 0},
	/* RFC 3686: 8-byte IV, 4-byte nonce from the key, stream cipher. */
	[GW_ENC_AES128_CTR] = {IMB_CIPHER_CNTR, IMB_AUTH_NULL, GW_CIPHER_CTR, 16, 4, 8, 1, 0},
	[GW_ENC_AES192_CTR] = {IMB_CIPHER_CNTR, IMB_AUTH_NULL, GW_CIPHER_CTR, 24, 4, 8, 1, 0},
	[GW_ENC_AES256_CTR] = {IMB_CIPHER_CNTR, IMB_AUTH_NULL, GW_CIPHER_CTR, 32, 4, 8, 1, 0},
	/* RFC 4106: 8-byte IV, 4-byte salt, 16-byte ICV. */
	[GW_ENC_AES128_GCM] = {IMB_CIPHER_GCM, IMB_AUTH_AES_GMAC, GW_CIPHER_AEAD, 16, 4, 8, 1, 16},
	[GW_ENC_AES192_GCM] = {IMB_CIPHER_GCM, IMB_AUTH_AES_GMAC, GW_CIPHER_AEAD, 24, 4, 8, 1, 16},
	[GW_ENC_AES256_GCM] = {IMB_CIPHER_GCM, IMB_AUTH_AES_GMAC, GW_CIPHER_AEAD, 32, 4, 8, 1, 16},
	/* RFC 7634: 8-byte IV, 4-byte salt, 16-byte ICV. */
	[GW_ENC_CHACHA20_POLY1305] = {IMB_CIPHER_CHACHA20_POLY1305, IMB_AUTH_CHACHA20_POLY1305,
				      GW_CIPHER_AEAD, 32, 4, 8, 1, 16},
};

struct auth_info {
	IMB_HASH_ALG hash;
	uint8_t icv_len; /* RFC 2403, 2404, 4868 truncations */
	uint8_t block;   /* hash block size, for the HMAC pads */
	uint8_t digest;  /* full digest size */
};

static const struct auth_info auth_info[GW_AUTH_COUNT] = {
	[GW_AUTH_NULL] = {IMB_AUTH_NULL, 0, 0, 0},
	[GW_AUTH_MD5] = {IMB_AUTH_MD5, 12, 64, 16},
	[GW_AUTH_SHA1] = {IMB_AUTH_HMAC_SHA_1, 12, 64, 20},
	[GW_AUTH_SHA256] = {IMB_AUTH_HMAC_SHA_256, 16, 64, 32},
	[GW_AUTH_SHA384] = {IMB_AUTH_HMAC_SHA_384, 24, 128, 48},
	[GW_AUTH_SHA512] = {IMB_AUTH_HMAC_SHA_512, 32, 128, 64},
};

static void set_err(struct gw_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(struct gw_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->menu = -1;
	err->index = -1;
	err->field = NULL;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* ---- the key-schedule manager of the control thread */

/* Key expansion and the one-block hashes are pure functions that an
 * IMB_MGR only dispatches to the best code path; one shared manager, never
 * given a job, serves every install. */
static IMB_MGR *key_mgr;
static pthread_once_t key_mgr_once = PTHREAD_ONCE_INIT;

static void key_mgr_create(void)
{
	IMB_MGR *m = alloc_mb_mgr(0);

	if (m == NULL)
		return;
	init_mb_mgr_auto(m, NULL);
	if (imb_get_errno(m) != 0) {
		free_mb_mgr(m);
		return;
	}
	key_mgr = m;
}

static IMB_MGR *get_key_mgr(void)
{
	pthread_once(&key_mgr_once, key_mgr_create);
	return key_mgr;
}

/* ---- HMAC pads (RFC 2104) */

static void hash_one_block(IMB_MGR *m, enum gw_auth_alg a, const uint8_t *in, uint8_t *out)
{
	switch (a) {
	case GW_AUTH_MD5: IMB_MD5_ONE_BLOCK(m, in, out); break;
	case GW_AUTH_SHA1: IMB_SHA1_ONE_BLOCK(m, in, out); break;
	case GW_AUTH_SHA256: IMB_SHA256_ONE_BLOCK(m, in, out); break;
	case GW_AUTH_SHA384: IMB_SHA384_ONE_BLOCK(m, in, out); break;
	case GW_AUTH_SHA512: IMB_SHA512_ONE_BLOCK(m, in, out); break;
	default: break;
	}
}

/* RFC 2104 2: a key longer than the block is replaced by its hash. */
static int hash_long_key(IMB_MGR *m, enum gw_auth_alg a, const uint8_t *key, size_t len,
			 uint8_t *out)
{
	switch (a) {
	case GW_AUTH_SHA1: IMB_SHA1(m, key, len, out); return 0;
	case GW_AUTH_SHA256: IMB_SHA256(m, key, len, out); return 0;
	case GW_AUTH_SHA384: IMB_SHA384(m, key, len, out); return 0;
	case GW_AUTH_SHA512: IMB_SHA512(m, key, len, out); return 0;
	default: return -EINVAL; /* MD5: intel-ipsec-mb 1.3 has no plain MD5 */
	}
}

/* The partial hashes of (K ^ ipad) and (K ^ opad): what intel-ipsec-mb's
 * HMAC jobs take instead of a key, so no packet ever hashes the key. */
static int hmac_pads(IMB_MGR *m, enum gw_auth_alg a, const uint8_t *key, size_t len,
		     uint8_t *ipad, uint8_t *opad)
{
	unsigned bs = auth_info[a].block, i;
	uint8_t k[128] = {0}, buf[128];

	if (len > bs) {
		if (hash_long_key(m, a, key, len, k) != 0)
			return -EINVAL;
	} else {
		memcpy(k, key, len);
	}
	for (i = 0; i < bs; i++)
		buf[i] = k[i] ^ 0x36;
	hash_one_block(m, a, buf, ipad);
	for (i = 0; i < bs; i++)
		buf[i] = k[i] ^ 0x5c;
	hash_one_block(m, a, buf, opad);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* ---- per-SA state */

static void expand_cipher_key(IMB_MGR *m, struct gw_sa_crypto *c, const uint8_t *key)
{
	switch (c->cipher_mode) {
	case IMB_CIPHER_CBC:
	case IMB_CIPHER_CNTR:
		if (c->cipher_key_len == 16)
			IMB_AES_KEYEXP_128(m, key, c->k.aes.enc, c->k.aes.dec);
		else if (c->cipher_key_len == 24)
			IMB_AES_KEYEXP_192(m, key, c->k.aes.enc, c->k.aes.dec);
		else
			IMB_AES_KEYEXP_256(m, key, c->k.aes.enc, c->k.aes.dec);
		c->enc_keys = c->k.aes.enc;
		c->dec_keys = c->k.aes.dec;
		break;
	case IMB_CIPHER_GCM:
		if (c->cipher_key_len == 16)
			IMB_AES128_GCM_PRE(m, key, &c->k.gcm);
		else if (c->cipher_key_len == 24)
			IMB_AES192_GCM_PRE(m, key, &c->k.gcm);
		else
			IMB_AES256_GCM_PRE(m, key, &c->k.gcm);
		c->enc_keys = c->dec_keys = &c->k.gcm;
		break;
	case IMB_CIPHER_DES:
		IMB_DES_KEYSCHED(m, c->k.des[0], key);
		c->enc_keys = c->dec_keys = c->k.des[0];
		break;
	case IMB_CIPHER_DES3:
		/* RFC 2451: K1, K2, K3 in order; the job takes an array of the
		 * three schedules. */
		for (unsigned i = 0; i < 3; i++) {
			IMB_DES_KEYSCHED(m, c->k.des[i], key + 8 * i);
			c->des3_ks[i] = c->k.des[i];
		}
		c->enc_keys = c->dec_keys = c->des3_ks;
		break;
	case IMB_CIPHER_CHACHA20_POLY1305:
		memcpy(c->k.chacha, key, 32);
		c->enc_keys = c->dec_keys = c->k.chacha;
		break;
	default:
		c->enc_keys = c->dec_keys = NULL;
		break;
	}
}

/* Which algorithm combinations an SA may have. */
static int check_algs(const struct gw_sa *sa, struct gw_err *err)
{
	const struct gw_sa_params *p = &sa->p;
	bool ah = sa->id.proto == IPPROTO_AH;

	if (sa->id.proto != IPPROTO_ESP && !ah) {
		set_err(err, "SA protocol %u is neither ESP nor AH", sa->id.proto);
		return -EINVAL;
	}
	if ((unsigned)p->enc_alg >= GW_ENC_COUNT || (unsigned)p->auth_alg >= GW_AUTH_COUNT) {
		set_err(err, "unknown algorithm");
		return -EINVAL;
	}
	/* AH with null integrity is RouterOS's default (ah-algorithm=null) and
	 * the seed's own AH example: a header with a zero-length ICV that
	 * authenticates nothing, like Linux's digest_null. Allowed, as the seed
	 * does it; docs/crypto.md warns. */
	if (ah && p->enc_alg != GW_ENC_NULL) {
		set_err(err, "AH takes no cipher");
		return -EINVAL;
	}
	if (!ah && p->enc_alg == GW_ENC_NULL && p->auth_alg == GW_AUTH_NULL) {
		set_err(err, "ESP with null encryption and null integrity (RFC 4303 3.2)");
		return -EINVAL;
	}
	if (!ah && enc_info[p->enc_alg].kind == GW_CIPHER_AEAD && p->auth_alg != GW_AUTH_NULL) {
		set_err(err, "%s is a combined mode: integrity must be null",
			gw_enc_alg_name(p->enc_alg));
		return -EINVAL;
	}
	/* A key given to a null algorithm is ignored (RouterOS keeps ah-key
	 * with ah-algorithm=null); a real algorithm needs its exact length. */
	if (p->enc_alg != GW_ENC_NULL && p->enc_key.len != gw_enc_key_len(p->enc_alg)) {
		set_err(err, "%s key is %u bytes, must be %u", gw_enc_alg_name(p->enc_alg),
			p->enc_key.len, gw_enc_key_len(p->enc_alg));
		return -EINVAL;
	}
	if (p->auth_alg != GW_AUTH_NULL && p->auth_key.len != gw_auth_key_len(p->auth_alg)) {
		set_err(err, "%s key is %u bytes, must be %u", gw_auth_alg_name(p->auth_alg),
			p->auth_key.len, gw_auth_key_len(p->auth_alg));
		return -EINVAL;
	}
	return 0;
}

static void fill_params(struct gw_sa_crypto *c, const struct gw_sa *sa)
{
	const struct enc_info *ei = &enc_info[sa->p.enc_alg];
	const struct auth_info *ai = &auth_info[sa->p.auth_alg];

	c->cipher_mode = ei->mode;
	c->kind = ei->kind;
	c->cipher_key_len = ei->key_len;
	c->iv_len = ei->iv_len;
	c->block = ei->block;
	c->align = ei->block > 4 ? ei->block : 4; /* lcm(block, 4) for 1, 8, 16 */
	if (ei->kind == GW_CIPHER_AEAD) {
		c->hash_alg = ei->aead_hash;
		c->icv_len = ei->icv_len;
	} else {
		c->hash_alg = ai->hash;
		c->icv_len = ai->icv_len;
		c->hmac = sa->p.auth_alg != GW_AUTH_NULL;
	}
	/* RFC 4302 2: 12 bytes of header, then the ICV padded to 32 bits. */
	c->ah_len = (uint8_t)(12 + RTE_ALIGN_CEIL(c->icv_len, 4));
	memcpy(c->salt, sa->p.enc_key.bytes + ei->key_len, ei->salt_len);
	c->esn = (sa->p.flags & GW_SA_FLAG_ESN) != 0;
	c->tunnel = sa->p.tunnel;
	c->spi_be = rte_cpu_to_be_32(sa->id.spi);
}

int gw_sa_crypto_init(struct gw_sa *sa, struct gw_err *err)
{
	IMB_MGR *m = get_key_mgr();
	struct gw_sa_crypto *c;
	int rc;

	if (m == NULL) {
		set_err(err, "intel-ipsec-mb cannot be initialised");
		return -ENOMEM;
	}
	rc = check_algs(sa, err);
	if (rc != 0)
		return rc;
	if (posix_memalign((void **)&c, RTE_CACHE_LINE_SIZE, sizeof(*c)) != 0) {
		set_err(err, "no memory for SA keys");
		return -ENOMEM;
	}
	memset(c, 0, sizeof(*c));
	fill_params(c, sa);
	expand_cipher_key(m, c, sa->p.enc_key.bytes);
	if (c->hmac)
		hmac_pads(m, sa->p.auth_alg, sa->p.auth_key.bytes, sa->p.auth_key.len, c->ipad,
			  c->opad);
	gw_sa_crypto_free(sa);
	sa->crypto = c;
	return 0;
}

void gw_sa_crypto_free(struct gw_sa *sa)
{
	if (sa == NULL || sa->crypto == NULL)
		return;
	explicit_bzero(sa->crypto, sizeof(struct gw_sa_crypto));
	free(sa->crypto);
	sa->crypto = NULL;
}

/* ---- the CBC IV generator */

/*
 * A per-worker AES-128-CTR keystream generator with fast key erasure: each
 * refill produces GW_RND_BYTES of keystream, whose first 16 bytes become the
 * next key and are never handed out. Seeded from getrandom(2). RFC 4303 /
 * RFC 3602 2.1 want CBC IVs the attacker cannot predict; a CSPRNG output is
 * that, and costs about one AES block per IV.
 */
static int drbg_run(struct gw_crypto_ctx *ctx)
{
	IMB_MGR *m = ctx->mgr;
	IMB_JOB *job = IMB_GET_NEXT_JOB(m);
	IMB_JOB *done;
	int ok = 0;

	memset(ctx->rnd, 0, GW_RND_BYTES);
	job->cipher_mode = IMB_CIPHER_CNTR;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	job->hash_alg = IMB_AUTH_NULL;
	job->enc_keys = job->dec_keys = ctx->drbg_key;
	job->key_len_in_bytes = 16;
	job->src = ctx->rnd;
	job->dst = ctx->rnd;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = GW_RND_BYTES;
	job->iv = ctx->drbg_ctr;
	job->iv_len_in_bytes = 16;
	job->user_data = ctx;
	done = IMB_SUBMIT_JOB(m);
	while (done == NULL || done->user_data != ctx)
		done = done ? IMB_GET_COMPLETED_JOB(m) : IMB_FLUSH_JOB(m);
	ok = done->status == IMB_STATUS_COMPLETED;
	while (IMB_FLUSH_JOB(m) != NULL)
		;
	return ok ? 0 : -EIO;
}

static void drbg_refill(struct gw_crypto_ctx *ctx)
{
	uint32_t dec[60] __attribute__((aligned(16)));
	uint64_t lo;
	unsigned i;

	if (drbg_run(ctx) != 0) {
		/* Cannot happen with a valid job; never hand out zeros. */
		if (getrandom(ctx->rnd, GW_RND_BYTES, 0) != (ssize_t)GW_RND_BYTES)
			abort();
	}
	/* Advance the counter past the blocks used (big-endian low half). */
	memcpy(&lo, ctx->drbg_ctr + 8, 8);
	lo = rte_cpu_to_be_64(rte_be_to_cpu_64(lo) + GW_RND_BYTES / 16);
	memcpy(ctx->drbg_ctr + 8, &lo, 8);
	IMB_AES_KEYEXP_128(ctx->mgr, ctx->rnd, ctx->drbg_key, dec);
	for (i = 0; i < 16; i++)
		ctx->rnd[i] = 0;
	explicit_bzero(dec, sizeof(dec));
	ctx->rnd_pos = 16;
}

void gw_crypto_rnd_reserve(struct gw_crypto_ctx *ctx, unsigned bytes)
{
	if (GW_RND_BYTES - ctx->rnd_pos < bytes)
		drbg_refill(ctx);
}

/* ---- per-worker context */

void gw_crypto_ctx_set_ip_id_lane(struct gw_crypto_ctx *ctx, unsigned lane, unsigned lanes)
{
	gw_ip_id_init(&ctx->ip_id, lane, lanes, ctx->ip_id.next);
}

struct gw_crypto_ctx *gw_crypto_ctx_new(void)
{
	struct gw_crypto_ctx *ctx;
	uint8_t seed[34];
	uint32_t dec[60] __attribute__((aligned(16)));

	if (posix_memalign((void **)&ctx, RTE_CACHE_LINE_SIZE, sizeof(*ctx)) != 0)
		return NULL;
	memset(ctx, 0, sizeof(*ctx));
	ctx->mgr = alloc_mb_mgr(0);
	if (ctx->mgr == NULL)
		goto fail;
	init_mb_mgr_auto(ctx->mgr, &ctx->arch);
	if (imb_get_errno(ctx->mgr) != 0)
		goto fail;
	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		goto fail;
	IMB_AES_KEYEXP_128(ctx->mgr, seed, ctx->drbg_key, dec);
	memcpy(ctx->drbg_ctr, seed + 16, 16);
	memcpy(&ctx->ip_id.next, seed + 32, 2);
	gw_ip_id_init(&ctx->ip_id, 0, 1, ctx->ip_id.next);
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(dec, sizeof(dec));
	drbg_refill(ctx);
	return ctx;
fail:
	gw_crypto_ctx_free(ctx);
	return NULL;
}

void gw_crypto_ctx_free(struct gw_crypto_ctx *ctx)
{
	if (ctx == NULL)
		return;
	if (ctx->mgr)
		free_mb_mgr(ctx->mgr);
	explicit_bzero(ctx, sizeof(*ctx));
	free(ctx);
}

const char *gw_crypto_ctx_arch(const struct gw_crypto_ctx *ctx)
{
	static const char *const names[IMB_ARCH_NUM] = {
		[IMB_ARCH_NONE] = "none", [IMB_ARCH_NOAESNI] = "no-aesni", [IMB_ARCH_SSE] = "sse",
		[IMB_ARCH_AVX] = "avx",   [IMB_ARCH_AVX2] = "avx2",        [IMB_ARCH_AVX512] = "avx512",
	};

	return (unsigned)ctx->arch < IMB_ARCH_NUM ? names[ctx->arch] : "?";
}

/* ---- known-answer helpers */

/* Run one job to completion on an idle manager. */
static int run_one(IMB_MGR *m)
{
	IMB_JOB *done = IMB_SUBMIT_JOB(m);
	int status = -1;

	if (done == NULL)
		done = IMB_FLUSH_JOB(m);
	if (done != NULL)
		status = done->status;
	while (IMB_FLUSH_JOB(m) != NULL)
		;
	return status == IMB_STATUS_COMPLETED ? 0 : -EIO;
}

int gw_crypto_hmac(struct gw_crypto_ctx *ctx, enum gw_auth_alg alg, const uint8_t *key,
		   size_t key_len, const void *msg, size_t len, uint8_t *tag, unsigned tag_len)
{
	uint8_t ipad[64] __attribute__((aligned(16)));
	uint8_t opad[64] __attribute__((aligned(16)));
	IMB_JOB *job;
	int rc;

	if ((unsigned)alg >= GW_AUTH_COUNT || alg == GW_AUTH_NULL || len == 0 ||
	    (tag_len != auth_info[alg].icv_len && tag_len != auth_info[alg].digest))
		return -EINVAL;
	if (hmac_pads(ctx->mgr, alg, key, key_len, ipad, opad) != 0)
		return -EINVAL;
	job = IMB_GET_NEXT_JOB(ctx->mgr);
	job->cipher_mode = IMB_CIPHER_NULL;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_HASH_CIPHER;
	job->hash_alg = auth_info[alg].hash;
	job->src = msg;
	job->dst = (uint8_t *)(uintptr_t)msg;
	job->msg_len_to_cipher_in_bytes = 0;
	job->cipher_start_src_offset_in_bytes = 0;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = len;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = tag_len;
	job->u.HMAC._hashed_auth_key_xor_ipad = ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = opad;
	rc = run_one(ctx->mgr);
	explicit_bzero(ipad, sizeof(ipad));
	explicit_bzero(opad, sizeof(opad));
	return rc;
}

int gw_crypto_cipher(struct gw_crypto_ctx *ctx, const struct gw_sa *sa, bool encrypt,
		     const uint8_t *iv, const uint8_t *aad, unsigned aad_len, const uint8_t *in,
		     uint8_t *out, unsigned len, uint8_t *tag)
{
	const struct gw_sa_crypto *c = gw_sa_crypto(sa);
	uint8_t nonce[16];
	IMB_JOB *job;

	if (c == NULL || c->kind == GW_CIPHER_NONE)
		return -EINVAL;
	if (gw_gcm_direct(c)) {
		/* As the packet path runs GCM: the direct API, no job. */
		memcpy(nonce, c->salt, 4);
		memcpy(nonce + 4, iv, 8);
		gw_gcm(ctx->mgr, c, encrypt, out, in, len, nonce, aad, aad_len, tag, 16);
		return 0;
	}
	job = IMB_GET_NEXT_JOB(ctx->mgr);
	gw_job_sa(job, c, encrypt);
	job->src = in;
	job->dst = out;
	job->msg_len_to_cipher_in_bytes = len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = len;
	if (c->kind == GW_CIPHER_CBC) {
		job->hash_alg = IMB_AUTH_NULL;
		job->iv = iv;
		job->iv_len_in_bytes = c->iv_len;
	} else {
		/* RFC 3686 4, RFC 7634 2: salt || IV. */
		memcpy(nonce, c->salt, 4);
		memcpy(nonce + 4, iv, 8);
		job->iv = nonce;
		job->iv_len_in_bytes = 12;
	}
	if (c->kind == GW_CIPHER_CTR)
		job->hash_alg = IMB_AUTH_NULL;
	if (c->kind == GW_CIPHER_AEAD) {
		/* ChaCha20-Poly1305: GCM took the direct path above */
		job->u.CHACHA20_POLY1305.aad = aad;
		job->u.CHACHA20_POLY1305.aad_len_in_bytes = aad_len;
		job->auth_tag_output = tag;
		job->auth_tag_output_len_in_bytes = 16;
	}
	return run_one(ctx->mgr);
}

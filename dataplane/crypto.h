/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Crypto on the packet path: intel-ipsec-mb, one IMB_MGR per worker.
 *
 * Everything that depends only on the keys is computed once, when the SA is
 * installed (gw_sa_crypto_init): AES key expansions, GCM hash keys, DES key
 * schedules, the HMAC inner/outer partial hashes, and the salt or nonce that
 * RFC 3686 / 4106 / 7634 put at the end of the key. The packet path then only
 * fills IMB_JOBs that point at that state, or for AES-GCM calls the direct
 * GCM API with it (gw_esp_gcm); nothing is expanded or allocated per packet.
 *
 * A worker owns one struct gw_crypto_ctx: its IMB_MGR, a fast CSPRNG for CBC
 * IVs, and per-burst scratch (nonces, AAD, computed ICVs) that the jobs of
 * one burst point into until they complete. docs/crypto.md has the details.
 *
 * The first half of this header is the API; the second half ("for esp/ah")
 * is shared by the ESP and AH transforms only.
 */
#ifndef IPSECGW_CRYPTO_H
#define IPSECGW_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <rte_byteorder.h>

#include "ip_id.h"
#include "sa.h"

/* Packets per crypto round: a longer burst is processed in rounds of this. */
#define GW_CRYPTO_BURST 64

struct gw_crypto_ctx;

/* ---- per SA, control thread */

/*
 * Precompute the SA's crypto state into sa->crypto (replacing any previous
 * one). Checks the algorithm/key combination: key lengths as
 * gw_enc_key_len/gw_auth_key_len say, ESP not both null (RFC 4303 3.2),
 * AEAD ciphers without a separate integrity algorithm, AH with one.
 * Returns 0, or -EINVAL / -ENOMEM with err set (err may be NULL).
 */
int gw_sa_crypto_init(struct gw_sa *sa, struct gw_err *err);
/* Wipe and free sa->crypto; NULL-safe, idempotent. */
void gw_sa_crypto_free(struct gw_sa *sa);

/* ---- per worker */

/* An IMB_MGR (best code path of this CPU) plus a seeded IV generator.
 * Call it on the worker's own lcore (first touch puts it on its NUMA node).
 * NULL on failure (no memory, no entropy, no usable intel-ipsec-mb). */
struct gw_crypto_ctx *gw_crypto_ctx_new(void);
/* Its outer IPv4 IDs from lane `lane` of `lanes` (ip_id.h); a new context
 * has the whole space (lane 0 of 1). */
void gw_crypto_ctx_set_ip_id_lane(struct gw_crypto_ctx *ctx, unsigned lane, unsigned lanes);
void gw_crypto_ctx_free(struct gw_crypto_ctx *ctx);
/* Name of the intel-ipsec-mb code path in use ("avx512", ...), for logs. */
const char *gw_crypto_ctx_arch(const struct gw_crypto_ctx *ctx);

/* ---- known-answer helpers (tests, benchmark): same crypto calls as packets
 * (a job, or the direct GCM API for AES-GCM) */

/*
 * HMAC of a buffer through the precomputed-pad path: the key is turned into
 * ipad/opad partial hashes exactly as gw_sa_crypto_init does, then one
 * intel-ipsec-mb job runs. tag_len is the RFC truncation (12/12/16/24/32) or
 * the full digest. Keys longer than the hash block are hashed first
 * (RFC 2104), except for MD5, which intel-ipsec-mb 1.3 cannot hash alone.
 * Returns 0 or -EINVAL / -EIO.
 */
int gw_crypto_hmac(struct gw_crypto_ctx *ctx, enum gw_auth_alg alg, const uint8_t *key,
		   size_t key_len, const void *msg, size_t len, uint8_t *tag, unsigned tag_len);

/*
 * Run an SA's ESP cipher over one buffer. `iv` is the IV as it travels in
 * the ESP packet (16 bytes for AES-CBC, 8 for DES/3DES/CTR/GCM/ChaCha20);
 * the salt/nonce comes from the SA key. AEAD only: aad/aad_len, and the
 * 16-byte tag computed (encrypt) or recomputed for comparison (decrypt).
 * Returns 0 or -EINVAL / -EIO.
 */
int gw_crypto_cipher(struct gw_crypto_ctx *ctx, const struct gw_sa *sa, bool encrypt,
		     const uint8_t *iv, const uint8_t *aad, unsigned aad_len, const uint8_t *in,
		     uint8_t *out, unsigned len, uint8_t *tag);

/* ======== for esp/ah only ======================================== */

enum gw_cipher_kind {
	GW_CIPHER_NONE = 0, /* ESP-NULL (RFC 2410) or AH */
	GW_CIPHER_CBC,      /* random IV in the packet (RFC 3602, 2451, 2405) */
	GW_CIPHER_CTR,      /* IV = sequence number, nonce from the key (RFC 3686) */
	GW_CIPHER_AEAD,     /* GCM (RFC 4106), ChaCha20-Poly1305 (RFC 7634) */
};

/* sa->crypto. The first cache line is all that a job set-up reads besides
 * the key material it points at. */
struct gw_sa_crypto {
	IMB_CIPHER_MODE cipher_mode;
	IMB_HASH_ALG hash_alg;
	const void *enc_keys, *dec_keys;
	uint32_t cipher_key_len; /* bytes: AES 16/24/32, DES 8, 3DES 24, ChaCha20 32 */
	uint8_t kind;            /* enum gw_cipher_kind */
	uint8_t iv_len;          /* IV bytes on the wire */
	uint8_t icv_len;         /* ICV bytes on the wire (AEAD tag or truncated HMAC) */
	uint8_t block;           /* ciphertext must be a multiple of this */
	uint8_t align;           /* ESP payload alignment: lcm(block, 4), RFC 4303 2.4 */
	uint8_t ah_len;          /* AH header bytes, ICV padded to 32 bits (RFC 4302 2.2) */
	bool esn;                /* GW_SA_FLAG_ESN (views.h) in sa->p.flags */
	bool tunnel;
	bool hmac;               /* hash_alg is one of the HMACs */
	uint8_t salt[4];         /* CTR nonce / GCM and ChaCha20 salt */
	uint32_t spi_be;         /* sa->id.spi in network order */
	const void *des3_ks[3];  /* 3DES: the job's key pointer is this array */
	uint8_t ipad[64] __attribute__((aligned(16))); /* HMAC partial hashes */
	uint8_t opad[64] __attribute__((aligned(16)));
	union {
		struct {
			uint32_t enc[60] __attribute__((aligned(16)));
			uint32_t dec[60] __attribute__((aligned(16)));
		} aes;
		struct gcm_key_data gcm;
		uint64_t des[3][16];
		uint8_t chacha[32];
	} k __attribute__((aligned(64)));
} __attribute__((aligned(64)));

/* Scratch of one packet of a round; jobs point into it until they finish. */
struct gw_crypto_slot {
	uint8_t nonce[16];  /* CTR / GCM / ChaCha20 counter block prefix */
	uint8_t aad[16];    /* AEAD: SPI || [seq hi] || seq lo */
	uint8_t tag[64];    /* ICV computed by the job */
	uint8_t icv[64];    /* ICV received, when the packet bytes get reused */
	uint8_t saved[8];   /* AH: the IPv4 mutable fields */
	uint32_t len;       /* transform-specific */
	uint8_t flags;
} __attribute__((aligned(64)));

#define GW_RND_BYTES 4096u

struct gw_crypto_ctx {
	IMB_MGR *mgr;
	IMB_ARCH arch;
	struct gw_ip_id ip_id; /* outer IPv4 identification: this worker's lane */
	uint32_t rnd_pos;   /* next unused byte of rnd[] */
	uint8_t drbg_ctr[16];
	uint32_t drbg_key[60] __attribute__((aligned(16)));
	uint8_t rnd[GW_RND_BYTES] __attribute__((aligned(64)));
	struct gw_crypto_slot slot[GW_CRYPTO_BURST];
};

static inline const struct gw_sa_crypto *gw_sa_crypto(const struct gw_sa *sa)
{
	return (const struct gw_sa_crypto *)sa->crypto;
}

/*
 * CBC IVs: make sure `bytes` unpredictable bytes are ready. Must be called
 * while no job is queued on ctx->mgr (before a round), as a refill runs a
 * job of its own.
 */
void gw_crypto_rnd_reserve(struct gw_crypto_ctx *ctx, unsigned bytes);

static inline void gw_crypto_rnd_take(struct gw_crypto_ctx *ctx, uint8_t *dst, unsigned len)
{
	const uint8_t *src = &ctx->rnd[ctx->rnd_pos];

	/* AES (16) and DES (8) IVs as fixed-size copies, two or one moves
	 * instead of a byte loop of ~100 instructions per packet. */
	if (len == 16)
		memcpy(dst, src, 16);
	else if (len == 8)
		memcpy(dst, src, 8);
	else
		memcpy(dst, src, len);
	ctx->rnd_pos += len;
}

/* Common part of every job of an SA: algorithms, direction, keys, HMAC pads. */
static inline void gw_job_sa(IMB_JOB *job, const struct gw_sa_crypto *c, bool encrypt)
{
	job->cipher_mode = c->cipher_mode;
	job->hash_alg = c->hash_alg;
	job->cipher_direction = encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	/* Encrypt-then-MAC out, MAC-then-decrypt in (RFC 4303 3.3.2, 3.4.4). */
	job->chain_order = encrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->enc_keys = c->enc_keys;
	job->dec_keys = c->dec_keys;
	job->key_len_in_bytes = c->cipher_key_len;
	job->auth_tag_output_len_in_bytes = c->icv_len;
	job->msg_len_to_cipher_in_bytes = 0;
	job->cipher_start_src_offset_in_bytes = 0;
	job->iv = NULL;
	job->iv_len_in_bytes = 0;
	if (c->hmac) {
		job->u.HMAC._hashed_auth_key_xor_ipad = c->ipad;
		job->u.HMAC._hashed_auth_key_xor_opad = c->opad;
	}
}

/* The AEAD additional data of RFC 4106 5 / RFC 7634 2.1: SPI, then the
 * 64-bit ESN or the 32-bit sequence number. Returns its length. */
static inline unsigned gw_aead_aad(uint8_t *aad, uint32_t spi_be, uint64_t seq, bool esn)
{
	uint32_t hi = rte_cpu_to_be_32((uint32_t)(seq >> 32));
	uint32_t lo = rte_cpu_to_be_32((uint32_t)seq);

	memcpy(aad, &spi_be, 4);
	if (!esn) {
		memcpy(aad + 4, &lo, 4);
		return 8;
	}
	memcpy(aad + 4, &hi, 4);
	memcpy(aad + 8, &lo, 4);
	return 12;
}

/* An AEAD ESP job, i.e. ChaCha20-Poly1305 (RFC 7634; AES-GCM never runs as
 * a job, gw_gcm_direct): the AAD built in `aad` from the SPI as it stands
 * in the packet (network order) and the sequence number, and the
 * ciphertext of `ct` bytes at `off` as the authenticated data. */
static inline void gw_job_aead(IMB_JOB *job, const struct gw_sa_crypto *c, uint8_t *aad, uint32_t spi_be,
			       uint64_t seq, unsigned off, unsigned ct)
{
	job->hash_start_src_offset_in_bytes = off;
	job->msg_len_to_hash_in_bytes = ct;
	job->u.CHACHA20_POLY1305.aad = aad;
	job->u.CHACHA20_POLY1305.aad_len_in_bytes = gw_aead_aad(aad, spi_be, seq, c->esn);
}

/* ---- AES-GCM without the job manager */

/*
 * ESP AES-GCM (RFC 4106) runs through intel-ipsec-mb's direct GCM API, one
 * call per packet, not as a job: nothing is chained to it, so the job
 * manager (get_next_job, submit, get_completed: ~120 instructions a packet)
 * and the job fill only cost. Everything else, ChaCha20-Poly1305 included,
 * stays on jobs.
 */
static inline bool gw_gcm_direct(const struct gw_sa_crypto *c)
{
	return c->cipher_mode == IMB_CIPHER_GCM;
}

/*
 * One AES-GCM operation with the SA's precomputed key: `nonce` is the
 * 12-byte salt || IV of RFC 4106 4 (the library appends the block counter
 * 1), dst == src is allowed. `tag` gets tag_len bytes (16, 12 or 8):
 * computed (encrypt) or recomputed for the caller to compare (decrypt).
 *
 * No status comes back. intel-ipsec-mb's SAFE_PARAM checks (Debian builds
 * them in) only refuse NULL pointers, a tag length of 0 or over 16, and a
 * length over 2^39 - 256: then nothing is written and the process-wide
 * imb_get_errno(NULL) is set. Every argument here points into a checked
 * packet or SA, so that cannot happen; on decap a tag left unwritten could
 * only fail the ICV comparison anyway.
 */
static inline aes_gcm_enc_dec_t gw_gcm_fn(const IMB_MGR *m, uint32_t key_len, bool encrypt)
{
	switch (key_len) {
	case 16: return encrypt ? m->gcm128_enc : m->gcm128_dec;
	case 24: return encrypt ? m->gcm192_enc : m->gcm192_dec;
	default: return encrypt ? m->gcm256_enc : m->gcm256_dec;
	}
}

static inline void gw_gcm(IMB_MGR *m, const struct gw_sa_crypto *c, bool encrypt, uint8_t *dst,
			  const uint8_t *src, unsigned len, const uint8_t *nonce, const uint8_t *aad,
			  unsigned aad_len, uint8_t *tag, unsigned tag_len)
{
	struct gcm_context_data g;

	/* what IMB_AES{128,192,256}_GCM_{ENC,DEC} expand to, picked once */
	gw_gcm_fn(m, c->cipher_key_len, encrypt)(&c->k.gcm, &g, dst, src, len, nonce, aad, aad_len,
						  tag, tag_len);
}

/*
 * The GCM of one ESP packet, in place: the `len` bytes at `data` (payload,
 * padding, trailer), the 8-byte IV of the packet at `iv`, and as AAD the
 * SPI as it stands in the packet (network order) with the 32- or 64-bit
 * (ESN, RFC 4303 2.2.1) sequence number. The ICV (c->icv_len bytes) goes
 * to `tag`: into the packet on encap, aside for comparison on decap.
 */
static inline void gw_esp_gcm(IMB_MGR *m, const struct gw_sa_crypto *c, bool encrypt,
			      uint32_t spi_be, uint64_t seq, const uint8_t *iv, uint8_t *data,
			      unsigned len, uint8_t *tag)
{
	uint8_t nonce[12], aad[12];
	unsigned aad_len = gw_aead_aad(aad, spi_be, seq, c->esn);

	memcpy(nonce, c->salt, 4);
	memcpy(nonce + 4, iv, 8);
	gw_gcm(m, c, encrypt, data, data, len, nonce, aad, aad_len, tag, c->icv_len);
}

/* Constant-time inequality of two ICVs: no early exit on the first
 * differing byte (RFC 4303 3.4.4.1 leaves timing to us; we leak nothing). */
static inline bool gw_icv_differs(const uint8_t *a, const uint8_t *b, unsigned len)
{
	uint32_t diff = 0, x, y;
	unsigned i;

	/* ICVs are 12, 16, 24 or 32 bytes (RFC 2404, 4868, 4106): whole
	 * 32-bit words, OR-ed together without a branch on their values. */
	for (i = 0; i + 4 <= len; i += 4) {
		memcpy(&x, a + i, 4);
		memcpy(&y, b + i, 4);
		diff |= x ^ y;
	}
	for (; i < len; i++)
		diff |= (uint32_t)(a[i] ^ b[i]);
	return diff != 0;
}

/* Submit the filled job; hand every job that comes back to done().
 * NOCHECK: every job is built by gw_job_sa and the transforms from SA
 * state that gw_sa_crypto_init validated, so intel-ipsec-mb's per-job
 * argument checks (~40 instructions) would only re-check our own code,
 * which the known-answer tests of every algorithm cover. */
#define GW_CRYPTO_SUBMIT(mgr, done, arg)                        \
	do {                                                    \
		IMB_JOB *gw_j_ = IMB_SUBMIT_JOB_NOCHECK(mgr);   \
		while (gw_j_ != NULL) {                         \
			done((arg), gw_j_);                     \
			gw_j_ = IMB_GET_COMPLETED_JOB(mgr);     \
		}                                               \
	} while (0)

/* Finish every queued job. */
#define GW_CRYPTO_FLUSH(mgr, done, arg)                         \
	do {                                                    \
		IMB_JOB *gw_j_;                                 \
		while ((gw_j_ = IMB_FLUSH_JOB(mgr)) != NULL)    \
			done((arg), gw_j_);                     \
	} while (0)

/* ---- bursts longer than the job slots: the transforms' rounds */

struct rte_mbuf;

/* One round of an outbound (inbound: no df) transform over at most
 * GW_CRYPTO_BURST packets, one job slot each; rc[i] 0 when packet i is done. */
typedef void gw_crypto_out_round_fn(struct gw_crypto_ctx *ctx, struct rte_mbuf **mb, struct gw_sa **sa,
				    const uint64_t *seq, const uint8_t *df, uint16_t n, uint8_t *rc,
				    uint32_t *bytes);
typedef void gw_crypto_in_round_fn(struct gw_crypto_ctx *ctx, struct rte_mbuf **mb, struct gw_sa **sa,
				   const uint64_t *seq, uint16_t n, uint8_t *rc, uint32_t *bytes);

static inline uint16_t gw_crypto_count_ok(const uint8_t *rc, uint16_t n)
{
	uint16_t i, ok = 0;

	for (i = 0; i < n; i++)
		ok += rc[i] == 0;
	return ok;
}

/* n packets in rounds of GW_CRYPTO_BURST; returns how many succeeded.
 * Inline with a constant `round`, so the call is direct. */
static inline uint16_t gw_crypto_out_rounds(gw_crypto_out_round_fn *round, struct gw_crypto_ctx *ctx,
					    struct rte_mbuf **mb, struct gw_sa **sa, const uint64_t *seq,
					    const uint8_t *df, uint16_t n, uint8_t *rc, uint32_t *bytes)
{
	for (uint16_t k = 0; k < n; k += GW_CRYPTO_BURST)
		round(ctx, mb + k, sa + k, seq ? seq + k : NULL, df ? df + k : NULL,
		      RTE_MIN((uint16_t)(n - k), (uint16_t)GW_CRYPTO_BURST), rc + k, bytes ? bytes + k : NULL);
	return gw_crypto_count_ok(rc, n);
}

static inline uint16_t gw_crypto_in_rounds(gw_crypto_in_round_fn *round, struct gw_crypto_ctx *ctx,
					   struct rte_mbuf **mb, struct gw_sa **sa, const uint64_t *seq,
					   uint16_t n, uint8_t *rc, uint32_t *bytes)
{
	for (uint16_t k = 0; k < n; k += GW_CRYPTO_BURST)
		round(ctx, mb + k, sa + k, seq + k, RTE_MIN((uint16_t)(n - k), (uint16_t)GW_CRYPTO_BURST),
		      rc + k, bytes ? bytes + k : NULL);
	return gw_crypto_count_ok(rc, n);
}

#endif

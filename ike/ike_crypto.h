/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1 cryptography on OpenSSL 3: MODP Diffie-Hellman, the HMAC PRF, the
 * RFC 2409 section 5 key derivations and hashes, CBC payload encryption with
 * the phase 1 / phase 2 IV rules, random cookies, nonces and SPIs.
 *
 * Everything runs in a private OSSL_LIB_CTX with the "default" and "legacy"
 * providers loaded, so single DES (legacy provider) works here while the
 * rest of the process keeps OpenSSL's defaults. The context is created once,
 * on first use (thread-safe); nothing else in the process sees it.
 *
 * Weak choices (single DES, MD5, modp768) work; ike_*_is_weak() lets the
 * engine log them as weak.
 */
#ifndef IPSECGW_IKE_CRYPTO_H
#define IPSECGW_IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define IKE_HASH_MAX 64    /* SHA-512 */
#define IKE_BLOCK_MAX 16   /* AES */
#define IKE_ENC_KEY_MAX 32 /* AES-256 */
#define IKE_DH_MAX 1024    /* modp8192 public value / shared secret bytes */
#define IKE_KEYMAT_MAX (2 * GW_KEY_MAX)

/* A piece of PRF input; a PRF call concatenates several. */
struct ike_chunk {
	const void *p;
	size_t len;
};

/* 0 if OpenSSL and both providers load; -1 otherwise (then every other
 * function here fails too). Called implicitly; call it at start to fail
 * early. */
int ike_crypto_init(void);

/* ---- randomness */
int ike_random(void *buf, size_t len);

/* ---- Diffie-Hellman (RFC 2409 6.1/6.2, RFC 3526), generator 2 */

/* Bytes of the group's modulus = of a public value = of a shared secret;
 * 0 for an unsupported group. */
size_t ike_dh_len(enum gw_dh_group g);
bool ike_dh_supported(enum gw_dh_group g);

struct ike_dh; /* one private key */
/* A fresh key pair, or NULL. */
struct ike_dh *ike_dh_new(enum gw_dh_group g);
void ike_dh_free(struct ike_dh *dh);
enum gw_dh_group ike_dh_group(const struct ike_dh *dh);
/* Our public value, left-padded with zeros to ike_dh_len bytes. */
const uint8_t *ike_dh_public(const struct ike_dh *dh);
/* g^xy from the peer's public value, which must be exactly ike_dh_len
 * bytes and in 2..p-2; `secret` gets ike_dh_len bytes, zero-padded.
 * 0 or -1. */
int ike_dh_derive(struct ike_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *secret);

/* ---- PRF and hash */

/* Output bytes of the hash (= of its HMAC PRF). */
size_t ike_hash_len(enum gw_hash_alg h);
/* HMAC(key, chunks...) with hash h; out gets ike_hash_len bytes. 0 / -1. */
int ike_prf(enum gw_hash_alg h, const void *key, size_t key_len, const struct ike_chunk *c,
	    unsigned n, uint8_t *out);
/* The plain hash of chunks (phase 1 IV, NAT-D). */
int ike_hash(enum gw_hash_alg h, const struct ike_chunk *c, unsigned n, uint8_t *out);

/* ---- payload ciphers (CBC) */

/* Cipher block size, key length (bytes; for AES the negotiated one). */
size_t ike_enc_block(enum gw_ike_enc e);
size_t ike_enc_key_len(enum gw_ike_enc e);
/* CBC over len bytes in place (len a multiple of the block size). `iv` is
 * updated to the last ciphertext block: the next message's IV (RFC 2409
 * appendix B). 0 / -1. */
int ike_cbc(enum gw_ike_enc e, const uint8_t *key, uint8_t *iv, uint8_t *buf, size_t len, bool encrypt);

bool ike_enc_is_weak(enum gw_ike_enc e);
bool ike_hash_is_weak(enum gw_hash_alg h);
bool ike_dh_is_weak(enum gw_dh_group g);

/* ---- RFC 2409 section 5 */

/* Phase 1 keying state of one ISAKMP SA. */
struct ike_p1_keys {
	enum gw_hash_alg hash;
	enum gw_ike_enc enc;
	size_t prf_len; /* = ike_hash_len(hash) */
	uint8_t skeyid[IKE_HASH_MAX], skeyid_d[IKE_HASH_MAX], skeyid_a[IKE_HASH_MAX],
		skeyid_e[IKE_HASH_MAX];
	uint8_t enc_key[IKE_ENC_KEY_MAX]; /* Ka, appendix B */
	size_t enc_key_len, block;
	uint8_t iv[IKE_BLOCK_MAX]; /* phase 1 IV chain: the last block seen */
};

/*
 * SKEYID = prf(pre-shared-key, Ni_b | Nr_b);
 * SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0);
 * SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1);
 * SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2);
 * Ka from SKEYID_e (appendix B: K1 = prf(SKEYID_e, 0), K2 = prf(SKEYID_e,
 * K1), ... when SKEYID_e is shorter than the key); the first IV =
 * hash(g^xi | g^xr) cut to the block size. 0 / -1.
 */
int ike_p1_derive(struct ike_p1_keys *k, enum gw_hash_alg h, enum gw_ike_enc e, const void *psk,
		  size_t psk_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		  const uint8_t *gxy, size_t gxy_len, const uint8_t cky_i[8], const uint8_t cky_r[8],
		  const uint8_t *gxi, const uint8_t *gxr, size_t gx_len);

/*
 * HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b);
 * HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b).
 * Pass (g^xi, g^xr, CKY-I, CKY-R, IDii_b) for HASH_I and (g^xr, g^xi, CKY-R,
 * CKY-I, IDir_b) for HASH_R.
 */
int ike_p1_auth_hash(const struct ike_p1_keys *k, const uint8_t *gx_a, const uint8_t *gx_b,
		     size_t gx_len, const uint8_t cky_a[8], const uint8_t cky_b[8], const uint8_t *sai_b,
		     size_t sai_len, const uint8_t *id_b, size_t id_len, uint8_t *out);

/* Phase 2 / informational IV: hash(last phase-1 block | M-ID) cut to the
 * block size (RFC 2409 appendix B). */
int ike_p2_iv(const struct ike_p1_keys *k, const uint8_t *p1_last_block, uint32_t msgid, uint8_t *iv);

/*
 * Quick mode and informational hashes (RFC 2409 5.5, 5.7):
 * HASH(1) = prf(SKEYID_a, M-ID | rest)
 * HASH(2) = prf(SKEYID_a, M-ID | Ni_b | rest)
 * HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
 * ike_qm_hash() covers the three: zero_byte adds the leading 0, and the
 * blobs follow M-ID (unused ones NULL/0).
 */
int ike_qm_hash(const struct ike_p1_keys *k, bool zero_byte, uint32_t msgid, const uint8_t *a,
		size_t a_len, const uint8_t *b, size_t b_len, const uint8_t *c, size_t c_len, uint8_t *out);

/*
 * KEYMAT = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b), expanded
 * K1 | K2 | ... with Kn+1 = prf(SKEYID_d, Kn | [g(qm)^xy |] protocol | SPI |
 * Ni_b | Nr_b) to out_len bytes (RFC 2409 5.5). `spi` is the SPI the
 * receiving side of this SA chose, network order. gqm NULL without PFS.
 */
int ike_keymat(const struct ike_p1_keys *k, const uint8_t *gqm, size_t gqm_len, uint8_t protocol,
	       uint32_t spi, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
	       uint8_t *out, size_t out_len);

/* RFC 3947 3.2 NAT-D = HASH(CKY-I | CKY-R | IP | Port), address and port
 * in host order (hashed in network order). */
int ike_natd_hash(enum gw_hash_alg h, const uint8_t cky_i[8], const uint8_t cky_r[8], uint32_t addr,
		  uint16_t port, uint8_t *out);

/* Wipe secrets. */
void ike_wipe(void *p, size_t len);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ISAKMP (RFC 2408) codec with the IPsec DOI (RFC 2407) and the IKEv1
 * attribute values of RFC 2409 appendix A, plus NAT-T (RFC 3947) and DPD
 * (RFC 3706) numbers.
 *
 * Parsing is in two steps, as the message is: isakmp_hdr_parse() checks the
 * fixed 28-byte header; the caller decrypts the body if the E flag says so;
 * isakmp_parse_payloads() then walks the payload chain. Every length is
 * checked against what is left before anything under it is read (OpenBSD
 * iked's discipline), nested down SA -> proposal -> transform -> attribute.
 * The parsed message points into the caller's buffer (no copies), so the
 * buffer must outlive it. Anything the parser does not understand is
 * refused with the RFC 2408 3.14.1 notify type that says why, never
 * silently skipped.
 *
 * Building is a cursor over a caller's buffer that fixes up the chain of
 * "next payload" bytes and the lengths as payloads close; overflow is
 * sticky and reported once at the end (isakmp_buf_ok).
 */
#ifndef IPSECGW_ISAKMP_H
#define IPSECGW_ISAKMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISAKMP_HDR_LEN 28
#define ISAKMP_GEN_LEN 4
#define ISAKMP_COOKIE_LEN 8
#define ISAKMP_VERSION 0x10 /* major 1, minor 0 */
#define ISAKMP_MSG_MAX 65535 /* the header's length is 32 bits; UDP caps it */
#define ISAKMP_NONE_MARKER_LEN 4 /* RFC 3948 2.2 non-ESP marker on port 4500 */

/* RFC 2408 3.1 next payload types (+ RFC 3947 NAT-D/NAT-OA). */
enum isakmp_np {
	ISAKMP_NP_NONE = 0,
	ISAKMP_NP_SA = 1,
	ISAKMP_NP_P = 2,
	ISAKMP_NP_T = 3,
	ISAKMP_NP_KE = 4,
	ISAKMP_NP_ID = 5,
	ISAKMP_NP_CERT = 6,
	ISAKMP_NP_CR = 7,
	ISAKMP_NP_HASH = 8,
	ISAKMP_NP_SIG = 9,
	ISAKMP_NP_NONCE = 10,
	ISAKMP_NP_N = 11,
	ISAKMP_NP_D = 12,
	ISAKMP_NP_VID = 13,
	ISAKMP_NP_NAT_D = 20,
	ISAKMP_NP_NAT_OA = 21,
};

/* RFC 2408 3.1 / RFC 2409 exchange types. */
enum isakmp_exch {
	ISAKMP_EXCH_BASE = 1,
	ISAKMP_EXCH_MAIN = 2, /* identity protection */
	ISAKMP_EXCH_AUTH_ONLY = 3,
	ISAKMP_EXCH_AGGRESSIVE = 4,
	ISAKMP_EXCH_INFO = 5,
	ISAKMP_EXCH_QUICK = 32,
};

#define ISAKMP_FLAG_E 0x01 /* encryption */
#define ISAKMP_FLAG_C 0x02 /* commit */
#define ISAKMP_FLAG_A 0x04 /* authentication only */

#define ISAKMP_DOI_IPSEC 1
#define ISAKMP_SIT_IDENTITY_ONLY 1

/* RFC 2407 4.4.1 protocol identifiers. */
enum isakmp_proto { ISAKMP_PROTO_ISAKMP = 1, ISAKMP_PROTO_AH = 2, ISAKMP_PROTO_ESP = 3, ISAKMP_PROTO_IPCOMP = 4 };

#define ISAKMP_KEY_IKE 1 /* RFC 2407 4.4.2 phase 1 transform id */

/* RFC 2407 4.4.3 AH transform ids (+ RFC 4868). */
enum isakmp_ah_id { ISAKMP_AH_MD5 = 2, ISAKMP_AH_SHA = 3, ISAKMP_AH_SHA2_256 = 5, ISAKMP_AH_SHA2_384 = 6, ISAKMP_AH_SHA2_512 = 7 };

/* RFC 2407 4.4.4 ESP transform ids (+ RFC 3602, 3686, 4106). */
enum isakmp_esp_id {
	ISAKMP_ESP_DES = 2,
	ISAKMP_ESP_3DES = 3,
	ISAKMP_ESP_NULL = 11,
	ISAKMP_ESP_AES_CBC = 12,
	ISAKMP_ESP_AES_CTR = 13,
	ISAKMP_ESP_AES_GCM_8 = 18,
	ISAKMP_ESP_AES_GCM_12 = 19,
	ISAKMP_ESP_AES_GCM_16 = 20,
};

/* RFC 2409 appendix A: phase 1 attribute classes. */
enum isakmp_p1_attr {
	ISAKMP_P1_ENC = 1,
	ISAKMP_P1_HASH = 2,
	ISAKMP_P1_AUTH = 3,
	ISAKMP_P1_GROUP = 4,
	ISAKMP_P1_GROUP_TYPE = 5,
	ISAKMP_P1_LIFE_TYPE = 11,
	ISAKMP_P1_LIFE_DURATION = 12,
	ISAKMP_P1_PRF = 13,
	ISAKMP_P1_KEY_LENGTH = 14,
};
enum isakmp_p1_enc { ISAKMP_ENC_DES = 1, ISAKMP_ENC_3DES = 5, ISAKMP_ENC_AES = 7 };
enum isakmp_p1_hash { ISAKMP_HASH_MD5 = 1, ISAKMP_HASH_SHA = 2, ISAKMP_HASH_SHA256 = 4, ISAKMP_HASH_SHA384 = 5, ISAKMP_HASH_SHA512 = 6 };
#define ISAKMP_AUTH_PSK 1
#define ISAKMP_LIFE_SECONDS 1
#define ISAKMP_LIFE_KILOBYTES 2

/* RFC 2407 4.5: phase 2 (IPsec DOI) attribute classes. */
enum isakmp_p2_attr {
	ISAKMP_P2_LIFE_TYPE = 1,
	ISAKMP_P2_LIFE_DURATION = 2,
	ISAKMP_P2_GROUP = 3,
	ISAKMP_P2_ENCAP = 4,
	ISAKMP_P2_AUTH = 5,
	ISAKMP_P2_KEY_LENGTH = 6,
	ISAKMP_P2_KEY_ROUNDS = 7,
	ISAKMP_P2_ESN = 11,
};
/* Encapsulation modes: RFC 2407 + RFC 3947 5.1 (and the drafts' numbers
 * that old peers still send). */
enum isakmp_encap {
	ISAKMP_ENCAP_TUNNEL = 1,
	ISAKMP_ENCAP_TRANSPORT = 2,
	ISAKMP_ENCAP_UDP_TUNNEL = 3,
	ISAKMP_ENCAP_UDP_TRANSPORT = 4,
	ISAKMP_ENCAP_UDP_TUNNEL_DRAFT = 61443,
	ISAKMP_ENCAP_UDP_TRANSPORT_DRAFT = 61444,
};
/* RFC 2407 4.5 authentication algorithm (+ RFC 4868). */
enum isakmp_p2_auth { ISAKMP_AUTH_HMAC_MD5 = 1, ISAKMP_AUTH_HMAC_SHA = 2, ISAKMP_AUTH_HMAC_SHA256 = 5, ISAKMP_AUTH_HMAC_SHA384 = 6, ISAKMP_AUTH_HMAC_SHA512 = 7 };

/* RFC 2407 4.6.2.1 identification types. */
enum isakmp_id_type {
	ISAKMP_ID_IPV4_ADDR = 1,
	ISAKMP_ID_FQDN = 2,
	ISAKMP_ID_USER_FQDN = 3,
	ISAKMP_ID_IPV4_ADDR_SUBNET = 4,
	ISAKMP_ID_IPV6_ADDR = 5,
	ISAKMP_ID_IPV6_ADDR_SUBNET = 6,
	ISAKMP_ID_IPV4_ADDR_RANGE = 7,
	ISAKMP_ID_KEY_ID = 11,
};

/* RFC 2408 3.14.1 notify types, RFC 2407 4.6.3, RFC 3706. */
enum isakmp_notify {
	ISAKMP_N_INVALID_PAYLOAD_TYPE = 1,
	ISAKMP_N_DOI_NOT_SUPPORTED = 2,
	ISAKMP_N_SITUATION_NOT_SUPPORTED = 3,
	ISAKMP_N_INVALID_COOKIE = 4,
	ISAKMP_N_INVALID_MAJOR_VERSION = 5,
	ISAKMP_N_INVALID_MINOR_VERSION = 6,
	ISAKMP_N_INVALID_EXCHANGE_TYPE = 7,
	ISAKMP_N_INVALID_FLAGS = 8,
	ISAKMP_N_INVALID_MESSAGE_ID = 9,
	ISAKMP_N_INVALID_PROTOCOL_ID = 10,
	ISAKMP_N_INVALID_SPI = 11,
	ISAKMP_N_INVALID_TRANSFORM_ID = 12,
	ISAKMP_N_ATTRIBUTES_NOT_SUPPORTED = 13,
	ISAKMP_N_NO_PROPOSAL_CHOSEN = 14,
	ISAKMP_N_BAD_PROPOSAL_SYNTAX = 15,
	ISAKMP_N_PAYLOAD_MALFORMED = 16,
	ISAKMP_N_INVALID_KEY_INFORMATION = 17,
	ISAKMP_N_INVALID_ID_INFORMATION = 18,
	ISAKMP_N_INVALID_HASH_INFORMATION = 23,
	ISAKMP_N_AUTHENTICATION_FAILED = 24,
	ISAKMP_N_UNSUPPORTED_EXCHANGE_TYPE = 29,
	ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS = 30,
	ISAKMP_N_CONNECTED = 16384,
	ISAKMP_N_RESPONDER_LIFETIME = 24576,
	ISAKMP_N_REPLAY_STATUS = 24577,
	ISAKMP_N_INITIAL_CONTACT = 24578,
	ISAKMP_N_DPD_R_U_THERE = 36136,
	ISAKMP_N_DPD_R_U_THERE_ACK = 36137,
};

/* Vendor IDs we send and recognise. */
extern const uint8_t isakmp_vid_dpd[16];  /* RFC 3706: AFCAD713...770100 */
extern const uint8_t isakmp_vid_natt[16]; /* RFC 3947: MD5("RFC 3947") */

/* ---- limits of one parsed message (more is refused, not truncated) */
#define ISAKMP_MAX_PROPS 16     /* proposals in one SA payload */
#define ISAKMP_MAX_XFORMS 64    /* transforms over all proposals of it */
#define ISAKMP_MAX_ATTRS 16     /* attributes of one transform */
#define ISAKMP_MAX_IDS 2        /* IDii/IDir, or IDci + IDcr */
#define ISAKMP_MAX_NOTIFY 8
#define ISAKMP_MAX_DELETE 4
#define ISAKMP_MAX_VID 16
#define ISAKMP_MAX_NATD 4
#define ISAKMP_MAX_SPI 16       /* bytes of a proposal/notify SPI */

/* One data attribute (RFC 2408 3.3). TV attributes and TLV attributes of at
 * most 8 bytes give `value`; a longer TLV sets `value` to UINT64_MAX (a
 * lifetime that long is "forever") and leaves the bytes in data/len. */
struct isakmp_attr {
	uint16_t type; /* AF bit cleared */
	bool tv;
	uint16_t len;       /* TLV value length; 2 for TV */
	const uint8_t *data; /* TLV value; NULL for TV */
	uint64_t value;
};

struct isakmp_transform {
	uint8_t num, id;
	uint8_t n_attrs;
	struct isakmp_attr attrs[ISAKMP_MAX_ATTRS];
};

struct isakmp_proposal {
	uint8_t num, protocol, spi_size;
	uint8_t spi[ISAKMP_MAX_SPI];
	uint8_t n_xforms;
	struct isakmp_transform *xf; /* into isakmp_sa.xf_pool */
};

struct isakmp_sa {
	uint32_t doi, situation;
	const uint8_t *body; /* the payload minus its generic header: SAi_b */
	size_t body_len;
	uint8_t n_props;
	struct isakmp_proposal props[ISAKMP_MAX_PROPS];
	uint16_t n_xf_pool;
	struct isakmp_transform xf_pool[ISAKMP_MAX_XFORMS];
};

/* RFC 2407 4.6.2 identification payload. */
struct isakmp_id {
	uint8_t type, proto;
	uint16_t port;
	const uint8_t *body; /* from the ID type on: IDii_b */
	size_t body_len;
	const uint8_t *data; /* identification data */
	size_t data_len;
	/* IPv4 types decoded, host order: ADDR -> addr/32 (mask all ones),
	 * SUBNET -> addr/mask, RANGE -> addr..addr2. */
	uint32_t addr, addr2, mask;
};

struct isakmp_notify_pl {
	uint32_t doi;
	uint8_t proto, spi_size;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t data_len;
};

struct isakmp_delete_pl {
	uint32_t doi;
	uint8_t proto, spi_size;
	uint16_t n_spi;
	const uint8_t *spis; /* n_spi * spi_size bytes */
};

struct isakmp_blob {
	const uint8_t *data;
	size_t len;
};

struct isakmp_hdr {
	uint8_t icookie[ISAKMP_COOKIE_LEN], rcookie[ISAKMP_COOKIE_LEN];
	uint8_t np, version, exch, flags;
	uint32_t msgid, len;
};

/* A whole parsed message. Large (the SA holds its transforms): keep one
 * per engine or on the heap, not on a small stack. */
struct isakmp_msg {
	struct isakmp_hdr hdr;
	uint32_t present; /* bit (1 << np) per payload type seen, np < 32 */
	uint8_t first_np; /* type of the first payload */
	bool has_sa;
	struct isakmp_sa sa;
	struct isakmp_blob ke, nonce, hash;
	uint8_t n_ids;
	struct isakmp_id ids[ISAKMP_MAX_IDS];
	uint8_t n_notify;
	struct isakmp_notify_pl notify[ISAKMP_MAX_NOTIFY];
	uint8_t n_delete;
	struct isakmp_delete_pl del[ISAKMP_MAX_DELETE];
	uint8_t n_vid;
	struct isakmp_blob vid[ISAKMP_MAX_VID];
	uint8_t n_natd;
	struct isakmp_blob natd[ISAKMP_MAX_NATD];
	/* What HASH(1)/HASH(2) cover (RFC 2409 5.5): the payloads after the
	 * HASH payload, generic headers included, padding excluded. NULL when
	 * the first payload is not HASH. */
	const uint8_t *after_hash;
	size_t after_hash_len;
};

/* Why a parse failed: the notify type to answer with (or 0 to answer
 * nothing) and a line for the log naming the payload and both numbers. */
struct isakmp_err {
	uint16_t notify;
	char msg[160];
};

/* Check the fixed header of a datagram: at least 28 bytes, major version 1
 * (INVALID-MAJOR-VERSION), a length field of at least 28 and at most len
 * (UNEQUAL-PAYLOAD-LENGTHS; trailing bytes past it are ignored, RFC 2408
 * 5.1), known exchange type, no unknown flag bits. 0 or -1. */
int isakmp_hdr_parse(const uint8_t *buf, size_t len, struct isakmp_hdr *h, struct isakmp_err *err);

/*
 * Walk the payload chain of a (decrypted) body of `len` bytes that starts
 * with payload `first_np`. `padded`: the body was encrypted, so bytes after
 * the last payload are padding; otherwise they are an error. Fills *m
 * (m->hdr is left alone). 0 or -1 with err filled.
 */
int isakmp_parse_payloads(uint8_t first_np, const uint8_t *body, size_t len, bool padded,
			  struct isakmp_msg *m, struct isakmp_err *err);

/* Header + payloads of an unencrypted datagram. */
int isakmp_parse(const uint8_t *buf, size_t len, struct isakmp_msg *m, struct isakmp_err *err);

/* The attribute of a transform, or NULL (first one if repeated). */
const struct isakmp_attr *isakmp_attr_find(const struct isakmp_transform *t, uint16_t type);
/* Is payload type np present in m. */
static inline bool isakmp_has(const struct isakmp_msg *m, uint8_t np)
{
	return np < 32 && (m->present & (1u << np));
}

/* ---- builder */

struct isakmp_buf {
	uint8_t *p;
	size_t len, cap;
	size_t np_off; /* where the next "next payload" byte goes */
	bool overflow;
};

void isakmp_buf_init(struct isakmp_buf *b, uint8_t *mem, size_t cap);
static inline bool isakmp_buf_ok(const struct isakmp_buf *b)
{
	return !b->overflow;
}
/* Append raw bytes / big-endian numbers. */
void isakmp_put(struct isakmp_buf *b, const void *data, size_t len);
void isakmp_put8(struct isakmp_buf *b, uint8_t v);
void isakmp_put16(struct isakmp_buf *b, uint16_t v);
void isakmp_put32(struct isakmp_buf *b, uint32_t v);
/* Set a big-endian 16/32-bit number at an offset already written. */
void isakmp_set16(struct isakmp_buf *b, size_t off, uint16_t v);
void isakmp_set32(struct isakmp_buf *b, size_t off, uint32_t v);

/* The header (length fixed by isakmp_finish); the first payload's type is
 * filled in by the first isakmp_pl_begin. */
void isakmp_put_hdr(struct isakmp_buf *b, const struct isakmp_hdr *h);
/* Open a payload: chain its type into the previous one, write a generic
 * header; returns its offset for isakmp_pl_end. */
size_t isakmp_pl_begin(struct isakmp_buf *b, uint8_t np);
void isakmp_pl_end(struct isakmp_buf *b, size_t off);
/* A payload with a plain body (KE, NONCE, HASH, VID, NAT-D). */
void isakmp_put_blob_pl(struct isakmp_buf *b, uint8_t np, const void *data, size_t len);
/* Fix the header's length field to the bytes written. */
void isakmp_finish(struct isakmp_buf *b);

/* SA payload: begin (DOI IPsec, identity only), then proposals, each with
 * transforms, each with attributes; close in reverse. The "next payload"
 * of proposals and transforms (2/3 or 0 for the last) is fixed at close. */
size_t isakmp_sa_begin(struct isakmp_buf *b);
size_t isakmp_prop_begin(struct isakmp_buf *b, uint8_t num, uint8_t proto, const uint8_t *spi,
			 uint8_t spi_size, uint8_t n_xforms);
size_t isakmp_xf_begin(struct isakmp_buf *b, uint8_t num, uint8_t id);
/* Close a proposal or transform; `last`: no more of its kind follows. */
void isakmp_sub_end(struct isakmp_buf *b, size_t off, bool last, uint8_t kind_np);
/* TV attribute; value must fit 16 bits. */
void isakmp_attr_tv(struct isakmp_buf *b, uint16_t type, uint16_t value);
/* A value as RFC 2408 3.3 wants it: TV if it fits 16 bits, else a TLV of
 * 4 or 8 bytes (life durations). */
void isakmp_attr_num(struct isakmp_buf *b, uint16_t type, uint64_t value);

/* ID payload: IPV4_ADDR (mask all ones), IPV4_ADDR_SUBNET or RANGE. */
void isakmp_put_id_v4(struct isakmp_buf *b, uint8_t type, uint8_t proto, uint16_t port, uint32_t addr,
		      uint32_t mask_or_end);
void isakmp_put_notify(struct isakmp_buf *b, uint8_t proto, uint16_t type, const uint8_t *spi,
		       uint8_t spi_size, const void *data, size_t data_len);
void isakmp_put_delete(struct isakmp_buf *b, uint8_t proto, uint8_t spi_size, const uint8_t *spis,
		       uint16_t n_spi);

/* ---- name tables for logs ("SA", "main", "NO-PROPOSAL-CHOSEN"); unknown
 * numbers give "unknown". */
struct isakmp_name {
	int value;
	const char *name;
};
const char *isakmp_np_name(unsigned np);
const char *isakmp_exch_name(unsigned exch);
const char *isakmp_notify_name(unsigned type);
const char *isakmp_proto_name(unsigned proto);
const char *isakmp_id_type_name(unsigned type);
const char *isakmp_p1_attr_name(unsigned type);
const char *isakmp_p2_attr_name(unsigned type);
const char *isakmp_p1_enc_name(unsigned v);
const char *isakmp_p1_hash_name(unsigned v);
const char *isakmp_esp_name(unsigned id);
const char *isakmp_ah_name(unsigned id);
const char *isakmp_p2_auth_name(unsigned v);
const char *isakmp_encap_name(unsigned v);
const char *isakmp_group_name(unsigned g);

#endif

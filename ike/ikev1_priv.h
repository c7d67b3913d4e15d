/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals of the IKEv1 engine, shared by its files:
 *   ikev1.c     engine, actions, input dispatch, timers, messages (encrypt,
 *               send, retransmit), informational exchanges, views
 *   ikev1_p1.c  phase 1: main and aggressive mode, NAT-T detection
 *   ikev1_p2.c  phase 2: quick mode, proposals, SA install
 */
#ifndef IPSECGW_IKEV1_PRIV_H
#define IPSECGW_IKEV1_PRIV_H

#include "ike_crypto.h"
#include "ikev1.h"
#include "isakmp.h"

#define IKE_NONCE_LEN 32
#define IKE_MAX_PENDING 8   /* policies waiting for phase 1 */
#define IKE_MAX_P2_XF 32    /* transforms we offer in one proposal */
#define IKE_DGRAM_MAX 8192

/* Phase 1 states; the names are what remote-peers prints. */
enum p1_state {
	P1_MM1_SENT = 0, /* initiator */
	P1_MM3_SENT,
	P1_MM5_SENT,
	P1_MM2_SENT,     /* responder */
	P1_MM4_SENT,
	P1_AM1_SENT,
	P1_AM2_SENT,
	P1_ESTABLISHED,
	P1_DEAD,
};

enum p2_state {
	P2_QM1_SENT = 0,
	P2_QM2_SENT,
	P2_INSTALLED,
	P2_DEAD,
};

/* A datagram we may have to send again. */
struct ike_retx {
	uint8_t *data;
	size_t len;
	uint64_t next_ms;
	unsigned tries; /* sent so far beyond the first */
	bool armed;     /* we wait for an answer: retransmit on the timer */
};

/* What we received last in an exchange: a copy of it received again
 * means our answer was lost, and is answered with a copy of that. */
struct ike_last_rx {
	uint8_t digest[20];
	bool set;
};

struct ike_p1 {
	struct ike_p1 *next;
	uint32_t serial;
	enum p1_state state;
	bool initiator, aggressive;
	uint8_t cky_i[8], cky_r[8];
	uint32_t local, remote;
	uint16_t lport, rport;
	struct gw_peer peer; /* copy of the config at start */

	/* negotiated */
	enum gw_hash_alg hash;
	enum gw_ike_enc enc;
	enum gw_dh_group group;
	gw_seconds lifetime;
	uint64_t lifebytes;  /* 0 = not limited (RFC 2407 4.5 kilobytes, as bytes) */
	uint64_t bytes;      /* ISAKMP bytes enciphered and deciphered under this SA */

	/* exchange material */
	uint8_t *sai_b; /* initiator's SA body */
	size_t sai_len;
	uint8_t *id_i, *id_r; /* ID payload bodies */
	size_t id_i_len, id_r_len;
	struct ike_dh *dh;
	uint8_t *gxi, *gxr;
	size_t gx_len;
	uint8_t ni[IKE_NONCE_LEN + 32], nr[IKE_NONCE_LEN + 32];
	size_t ni_len, nr_len;
	struct ike_p1_keys keys;
	bool have_keys;
	uint8_t p1_last[IKE_BLOCK_MAX]; /* last CBC block of phase 1 */

	/* capabilities, NAT-T */
	bool peer_dpd, peer_natt;
	bool nat_local, nat_remote; /* a NAT in front of us / of the peer */
	bool floated;               /* using port 4500 */
	uint64_t keepalive_next_ms; /* RFC 3948 4: next NAT keepalive (nat_local) */

	struct ike_retx retx;
	struct ike_last_rx last_rx;
	uint64_t created_ms, established_ms, expire_ms, last_heard_ms;

	/* DPD (RFC 3706) */
	uint32_t dpd_seq_out, dpd_seq_in;
	bool dpd_seq_in_set;
	unsigned dpd_outstanding;
	uint64_t dpd_next_ms;

	uint32_t pending[IKE_MAX_PENDING]; /* policy uids to start after phase 1 */
	unsigned n_pending;
	bool initial_contact_done;
	bool undecryptable_logged; /* "probably a wrong pre-shared key" said once */
	/* informational message ids seen (replay check), small ring */
	uint32_t info_ids[16];
	unsigned info_pos;
	/* quick mode message ids used on this ISAKMP SA (replay check) */
	uint32_t qm_ids[32];
	unsigned qm_pos;
};

/* The chosen phase 2 transform. */
struct p2_choice {
	uint8_t protocol; /* ISAKMP_PROTO_ESP / _AH */
	uint8_t prop_num, xf_num, xf_id;
	enum gw_enc_alg enc;
	enum gw_auth_alg auth;
	uint16_t encap; /* ISAKMP_ENCAP_* (normalised: 1..4) */
	enum gw_dh_group group;
	gw_seconds life_s;   /* 0 = not limited */
	uint64_t life_kb;    /* 0 = not limited */
};

struct ike_p2 {
	struct ike_p2 *next;
	struct ike_p1 *p1; /* may become NULL if the ISAKMP SA goes away */
	enum p2_state state;
	bool initiator;
	uint32_t msgid;
	uint8_t iv[IKE_BLOCK_MAX];
	uint32_t local, remote; /* SA endpoints */
	uint32_t peer_uid_unused;
	struct gw_policy pol;       /* copy; dynamic ones live only here */
	struct gw_proposal prop;    /* copy */
	struct p2_choice ch;
	uint32_t spi_in, spi_out;
	/* An AH+ESP bundle (ipsec-protocols=ah,esp): ch/spi_in/spi_out are the
	 * ESP SA pair's, these the AH pair's; both come from one quick mode
	 * (two proposals with the same number, RFC 2408 4.2: a logical AND). */
	bool bundle;
	struct p2_choice ch_ah;
	uint32_t spi_in_ah, spi_out_ah;
	uint8_t ni[IKE_NONCE_LEN], nr[IKE_NONCE_LEN + 32];
	size_t ni_len, nr_len;
	struct ike_dh *dh;
	uint8_t *gqm; /* PFS shared secret */
	size_t gqm_len;
	uint8_t id_ci[24], id_cr[24]; /* ID bodies as sent/received */
	size_t id_ci_len, id_cr_len;
	bool resp_lifetime_sent;
	struct ike_retx retx;
	struct ike_last_rx last_rx;
	uint64_t created_ms, installed_ms;
	bool rekeying;       /* a replacement has been started */
	uint32_t replaces_spi_in;
	bool expired;        /* hard limit reached (ph2-state expired) */
	bool in_early;       /* responder: inbound SA installed at QM2, pair not yet */
	uint16_t encap_sport, encap_dport;
};

struct ike_action_q {
	struct ike_action *v;
	unsigned head, n, cap;
};

struct ike_engine {
	struct ike_engine_conf conf;
	const struct gw_config *cfg;
	struct ike_p1 *p1s;
	struct ike_p2 *p2s;
	struct ike_action_q q;
	struct ike_stats stats;
	struct isakmp_msg *msg; /* parse scratch (large) */
	uint8_t *buf;           /* build scratch */
	uint8_t *rxbuf;         /* decrypted input (e->msg points into it) */
	uint32_t expired[256];  /* policies whose last SA pair hard-expired */
	unsigned n_expired;
	uint32_t serial;
	uint32_t dyn_uid;
	uint64_t now;
};

/* ---- ikev1.c: shared helpers */
void ike_log(struct ike_engine *e, enum ike_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *ike_ip(uint32_t a, char *buf); /* buf of 16 */
void ike_push(struct ike_engine *e, const struct ike_action *a);

/* Build helpers: header with the p1's cookies. */
void ike_hdr_init(const struct ike_p1 *p1, struct isakmp_hdr *h, uint8_t exch, uint32_t msgid);
/* Send the message in b (header finished here); if `enc`, encrypt its
 * body with iv (updated). Keeps a copy for retransmission if `expect_reply`
 * (retx of p1 or p2 given). 0 / -1. */
int ike_send_msg(struct ike_engine *e, struct ike_p1 *p1, struct isakmp_buf *b, bool enc, uint8_t *iv,
		 struct ike_retx *retx, bool expect_reply);
void ike_send_raw(struct ike_engine *e, struct ike_p1 *p1, const uint8_t *data, size_t len);
void ike_retx_clear(struct ike_retx *r);
/* Same datagram as last time? Records it otherwise. */
bool ike_seen_before(struct ike_last_rx *l, const uint8_t *d, size_t len);

struct ike_p1 *ike_p1_new(struct ike_engine *e, bool initiator, const struct gw_peer *peer,
			  uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport);
void ike_p1_kill(struct ike_engine *e, struct ike_p1 *p1, const char *why);
const struct gw_peer *ike_peer_find(const struct ike_engine *e, uint32_t local, uint32_t remote);
const struct gw_proposal *ike_proposal_find(const struct ike_engine *e, const char *name);
const struct gw_policy *ike_policy_find(const struct ike_engine *e, uint32_t uid);
struct ike_p1 *ike_p1_established_for(struct ike_engine *e, uint32_t remote);
void ike_send_info_notify(struct ike_engine *e, struct ike_p1 *p1, uint8_t proto, uint16_t type,
			  const uint8_t *spi, uint8_t spi_size, const void *data, size_t len);
void ike_initial_contact(struct ike_engine *e, struct ike_p1 *keep);
void ike_p2_delete(struct ike_engine *e, struct ike_p2 *p2, bool notify_peer);
/* A DELETE_SA action for one SA of p2 (protocol as ISAKMP numbers it). */
void ike_p2_delete_sa(struct ike_engine *e, const struct ike_p2 *p2, uint8_t isakmp_proto, uint32_t spi,
		      enum gw_sa_dir dir);
void ike_p2_free(struct ike_p2 *p2);
/* A policy got a new SA pair: its ph2-state is no longer "expired". */
void ike_p2_installed_note(struct ike_engine *e, uint32_t policy_uid);

/* ---- ikev1_p1.c */
int ike_p1_initiate(struct ike_engine *e, struct ike_p1 *p1);
void ike_p1_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_hdr *h,
		  const uint8_t *dgram, size_t len);
/* A first message (MM1 / AM1) from a new peer. */
void ike_p1_respond(struct ike_engine *e, uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport,
		    const struct isakmp_hdr *h, const uint8_t *dgram, size_t len);
void ike_p1_established(struct ike_engine *e, struct ike_p1 *p1);
/* Re-emit a received transform as it was (the responder's echo). */
void ike_put_xf_copy(struct isakmp_buf *b, const struct isakmp_transform *t, bool last);
const char *ike_p1_state_name(enum p1_state s);

/* ---- ikev1_p2.c */
int ike_qm_initiate(struct ike_engine *e, struct ike_p1 *p1, const struct gw_policy *pol,
		    uint32_t replaces_spi_in);
void ike_qm_input(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_hdr *h,
		  const uint8_t *dgram, size_t len);
struct ike_p2 *ike_p2_by_msgid(struct ike_engine *e, struct ike_p1 *p1, uint32_t msgid);
/* Decrypt the body of dgram into e->rxbuf with iv (updated to the last
 * ciphertext block: pass a copy and commit it once the message proved
 * authentic) and parse it into e->msg; logs and counts failures. 0 / -1. */
int ike_decrypt_parse(struct ike_engine *e, struct ike_p1 *p1, const struct isakmp_hdr *h,
		      const uint8_t *dgram, size_t len, uint8_t *iv);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1 engine (ike/ikev1*.c): two engines in one process, the SEND actions
 * of one fed to ike_input of the other, on a simulated clock. Main and
 * aggressive mode, every phase 1 DH group, PFS on/off, every phase 2
 * cipher and integrity algorithm, both roles; the installed SAs mirror each
 * other (our out == their in: SPI, algorithms, keys). Failures: wrong PSK,
 * phase 1 and phase 2 proposal mismatches, proposal-check obey / claim /
 * strict / exact, lost messages and retransmission, rekey on soft expire
 * (and not twice when both ends rekey),
 * Delete both ways, INITIAL-CONTACT after a restart, DPD alive and dead,
 * NAT-T with a port-translating NAT, generate-policy, remote-peers and
 * ph2-state views, and malformed input in every state (for ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ikev1.h"
#include "ikev1_priv.h" /* to play a peer that sends what ours does not */
#include "isakmp.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define A_ADDR IP(198, 18, 0, 1)
#define B_ADDR IP(198, 18, 0, 2)
#define MAX_REC 64

struct side {
	const char *name;
	struct ike_engine *e;
	struct gw_config cfg;
	uint32_t addr;
	struct ike_action inst[MAX_REC];
	unsigned n_inst;
	struct ike_sa_id del[MAX_REC];
	unsigned n_del;
	struct ike_sa_id early[MAX_REC]; /* IKE_ACT_INSTALL_IN */
	unsigned n_early;
	struct gw_policy added[8];
	unsigned n_added;
	char logs[128][240];
	unsigned n_logs;
	unsigned sent;
};

static struct side A, B;
static uint64_t now = 1000000;
/* message filter: return false to lose the datagram */
static bool (*lose)(struct side *from, unsigned nth, const uint8_t *d, size_t len);
/* NAT in front of A: B sees A's ports + NAT_SHIFT */
static bool nat_a;
#define NAT_SHIFT 20000
static bool verbose;

static void side_init(struct side *s, const char *name, uint32_t addr)
{
	struct ike_engine_conf conf = {.no_jitter = true, .log_level = IKE_LOG_DEBUG};

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->addr = addr;
	s->e = ike_engine_new(&conf);
	assert_non_null(s->e);
	assert_int_equal(gw_config_init(&s->cfg), 0);
}

static void side_free(struct side *s)
{
	for (unsigned i = 0; i < s->n_inst; i++)
		ike_action_free(&s->inst[i]);
	ike_engine_free(s->e);
	gw_config_free(&s->cfg);
}

static struct gw_peer *add_peer(struct side *s, uint32_t remote, const char *secret)
{
	int i = gw_menu_append(&s->cfg, GW_MENU_PEER);
	struct gw_peer *p;

	assert_true(i >= 0);
	p = &s->cfg.peers.v[i];
	p->address.addr = remote;
	p->address.len = 32;
	snprintf(p->secret, sizeof(p->secret), "%s", secret);
	return p;
}

static struct gw_policy *add_policy(struct side *s, uint32_t src_net, uint32_t dst_net, uint32_t sa_dst)
{
	int i = gw_menu_append(&s->cfg, GW_MENU_POLICY);
	struct gw_policy *p;

	assert_true(i >= 0);
	p = &s->cfg.policies.v[i];
	p->src_address.prefix.addr = src_net;
	p->src_address.prefix.len = 24;
	p->dst_address.prefix.addr = dst_net;
	p->dst_address.prefix.len = 24;
	p->src_address_set = p->dst_address_set = true;
	p->action = GW_ACTION_ENCRYPT;
	p->tunnel = true;
	p->sa_src_address = s->addr;
	p->sa_dst_address = sa_dst;
	return p;
}

static struct gw_proposal *def_prop(struct side *s)
{
	return &s->cfg.proposals.v[0];
}

/* A standard pair: a peer each, mirrored tunnel policies. */
static void pair_setup(void)
{
	side_init(&A, "A", A_ADDR);
	side_init(&B, "B", B_ADDR);
	add_peer(&A, B_ADDR, "gwejimezyfopmekun");
	add_peer(&B, A_ADDR, "gwejimezyfopmekun");
	add_policy(&A, IP(198, 18, 1, 0), IP(198, 18, 2, 0), B_ADDR);
	add_policy(&B, IP(198, 18, 2, 0), IP(198, 18, 1, 0), A_ADDR);
	lose = NULL;
	nat_a = false;
}

static int setup(void **state)
{
	(void)state;
	verbose = getenv("IKE_TEST_VERBOSE") != NULL;
	pair_setup();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	side_free(&A);
	side_free(&B);
	return 0;
}

static void apply(void)
{
	ike_engine_set_config(A.e, &A.cfg);
	ike_engine_set_config(B.e, &B.cfg);
}

/* Deliver everything until both engines are quiet. */
static void pump(void)
{
	for (int round = 0; round < 100; round++) {
		bool any = false;
		struct side *sides[2] = {&A, &B};

		for (int k = 0; k < 2; k++) {
			struct side *s = sides[k], *o = sides[1 - k];
			struct ike_action a;

			while (ike_action_next(s->e, &a)) {
				any = true;
				switch (a.type) {
				case IKE_ACT_SEND: {
					uint16_t sport = a.send.sport, dport = a.send.dport;

					assert_int_equal(a.send.src, s->addr);
					if (a.send.dst != o->addr) { /* a stranger's */
						ike_action_free(&a);
						break;
					}
					s->sent++;
					if (nat_a && s == &A)
						sport = (uint16_t)(sport + NAT_SHIFT);
					if (nat_a && s == &B)
						dport = (uint16_t)(dport - NAT_SHIFT);
					if (!lose || lose(s, s->sent, a.send.data, a.send.len))
						ike_input(o->e, now, o->addr, dport, s->addr, sport, a.send.data, a.send.len);
					ike_action_free(&a);
					break;
				}
				case IKE_ACT_INSTALL_SA:
					assert_true(s->n_inst < MAX_REC);
					s->inst[s->n_inst++] = a;
					break;
				case IKE_ACT_DELETE_SA:
					assert_true(s->n_del < MAX_REC);
					s->del[s->n_del++] = a.del.id;
					break;
				case IKE_ACT_INSTALL_IN:
					/* a responder's inbound SA at QM2: its pair must not be there yet */
					for (unsigned i = 0; i < s->n_inst; i++)
						assert_int_not_equal(s->inst[i].install.in_id.spi, a.install.in_id.spi);
					assert_true(s->n_early < MAX_REC);
					s->early[s->n_early++] = a.install.in_id;
					ike_action_free(&a);
					break;
				case IKE_ACT_ADD_POLICY:
					assert_true(s->n_added < 8);
					s->added[s->n_added++] = a.add_policy.policy;
					break;
				case IKE_ACT_LOG:
					if (verbose)
						fprintf(stderr, "%s: %s\n", s->name, a.log.text);
					if (s->n_logs < 128)
						snprintf(s->logs[s->n_logs++], 240, "%s", a.log.text);
					break;
				}
			}
		}
		if (!any)
			return;
	}
	fail_msg("engines never went quiet");
}

static void advance(uint64_t ms)
{
	uint64_t end = now + ms;

	while (now < end) {
		now += 100;
		ike_tick(A.e, now);
		ike_tick(B.e, now);
		pump();
	}
}

static bool logged(struct side *s, const char *needle)
{
	for (unsigned i = 0; i < s->n_logs; i++)
		if (strstr(s->logs[i], needle))
			return true;
	return false;
}

static void key_eq(const struct gw_key *a, const struct gw_key *b)
{
	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->bytes, b->bytes, a->len);
}

/* The n-th install of x and of y are one SA pair seen from both ends. */
static void mirror(const struct ike_action *x, const struct ike_action *y)
{
	const struct ike_sa_id *xo = &x->install.out_id, *yi = &y->install.in_id;

	assert_int_equal(xo->spi, yi->spi);
	assert_int_equal(xo->src, yi->src);
	assert_int_equal(xo->dst, yi->dst);
	assert_int_equal(xo->proto, yi->proto);
	assert_int_equal(x->install.in_id.spi, y->install.out_id.spi);
	assert_int_equal(x->install.out.enc_alg, y->install.in.enc_alg);
	assert_int_equal(x->install.out.auth_alg, y->install.in.auth_alg);
	key_eq(&x->install.out.enc_key, &y->install.in.enc_key);
	key_eq(&x->install.out.auth_key, &y->install.in.auth_key);
	key_eq(&x->install.in.enc_key, &y->install.out.enc_key);
	key_eq(&x->install.in.auth_key, &y->install.out.auth_key);
	assert_int_equal(x->install.out.tunnel, y->install.in.tunnel);
	assert_int_equal(x->install.out.add_hard, y->install.in.add_hard);
	assert_int_equal(x->install.out.flags, y->install.in.flags);
	assert_int_equal(x->install.in.encap_sport == 0, y->install.out.encap_sport == 0);
	/* the two directions have different keys */
	if (x->install.in.enc_key.len)
		assert_memory_not_equal(x->install.in.enc_key.bytes, x->install.out.enc_key.bytes,
					x->install.in.enc_key.len);
}

static void negotiate(void)
{
	apply();
	assert_int_equal(ike_acquire(A.e, now, A.cfg.policies.v[0].uid, IP(198, 18, 1, 5), IP(198, 18, 2, 5), 1), 0);
	pump();
}

static void expect_pair(unsigned n)
{
	assert_int_equal(A.n_inst, n);
	assert_int_equal(B.n_inst, n);
	mirror(&A.inst[n - 1], &B.inst[n - 1]);
	mirror(&B.inst[n - 1], &A.inst[n - 1]);
}

/* ---- handshakes */

static void test_main_mode(void **state)
{
	const struct ike_action *a;
	struct gw_remote_peer_view v[4];

	(void)state;
	negotiate();
	expect_pair(1);
	a = &A.inst[0];
	assert_int_equal(a->install.out.enc_alg, GW_ENC_3DES);
	assert_int_equal(a->install.out.auth_alg, GW_AUTH_SHA1);
	assert_int_equal(a->install.out.enc_key.len, 24);
	assert_int_equal(a->install.out.auth_key.len, 20);
	assert_true(a->install.out.tunnel);
	assert_true(a->install.out.flags & GW_SA_FLAG_PFS); /* default pfs-group modp1024 */
	assert_int_equal(a->install.out.add_hard, 1800);
	assert_int_equal(a->install.out.add_soft, 1440);
	assert_int_equal(a->install.policy_uid, A.cfg.policies.v[0].uid);
	assert_int_equal(a->install.out_id.src, A_ADDR);
	assert_int_equal(a->install.out_id.dst, B_ADDR);
	assert_int_equal(a->install.out_id.proto, 50);
	assert_int_equal(a->install.in.encap_sport, 0);
	assert_int_equal(B.inst[0].install.policy_uid, B.cfg.policies.v[0].uid);
	assert_true(logged(&A, "ISAKMP SA established (main mode, initiator"));
	assert_true(logged(&A, "phase 1 uses weak algorithms")); /* md5 default */
	assert_int_equal(ike_remote_peers(A.e, now, 1000, v, 4), 1);
	assert_string_equal(v[0].state, "established");
	assert_int_equal(v[0].side, GW_SIDE_INITIATOR);
	assert_int_equal(v[0].ph2_active, 1);
	assert_int_equal(v[0].ph2_total, 1);
	assert_int_equal(v[0].local_address, A_ADDR);
	assert_int_equal(ike_remote_peers(B.e, now, 1000, v, 4), 1);
	assert_int_equal(v[0].side, GW_SIDE_RESPONDER);
	assert_int_equal(ike_policy_ph2_state(A.e, A.cfg.policies.v[0].uid), GW_PH2_ESTABLISHED);
	assert_int_equal(ike_policy_ph2_state(A.e, 12345), GW_PH2_NO_PHASE2);
	/* a second ACQUIRE (after the hold-off) reuses phase 1 */
	now += IKE_ACQUIRE_HOLDOFF_MS;
	assert_int_equal(ike_acquire(A.e, now, A.cfg.policies.v[0].uid, 0, 0, 0), 0);
	pump();
	expect_pair(2);
	assert_int_equal(ike_engine_stats(A.e)->p1_established, 1);
}

static void test_aggressive_mode(void **state)
{
	(void)state;
	A.cfg.peers.v[0].exchange_mode = GW_XMODE_AGGRESSIVE;
	B.cfg.peers.v[0].exchange_mode = GW_XMODE_AGGRESSIVE;
	A.cfg.peers.v[0].hash_algorithm = GW_HASH_SHA256;
	B.cfg.peers.v[0].hash_algorithm = GW_HASH_SHA256;
	A.cfg.peers.v[0].enc_algorithm = GW_IKE_AES256;
	B.cfg.peers.v[0].enc_algorithm = GW_IKE_AES256;
	negotiate();
	expect_pair(1);
	assert_true(logged(&A, "aggressive mode, initiator"));
	assert_true(logged(&B, "aggressive mode, responder"));
	/* the IC went in an informational exchange; both sides stay up */
	assert_int_equal(A.n_del + B.n_del, 0);
}

static void test_mode_mismatch(void **state)
{
	(void)state;
	A.cfg.peers.v[0].exchange_mode = GW_XMODE_AGGRESSIVE;
	negotiate();
	assert_int_equal(A.n_inst + B.n_inst, 0);
	assert_true(logged(&B, "aggressive mode offered, exchange-mode is main"));
	assert_true(logged(&A, "NO-PROPOSAL-CHOSEN"));
}

static void test_dh_groups(void **state)
{
	static const enum gw_dh_group g[] = {GW_DH_MODP768, GW_DH_MODP1024, GW_DH_MODP1536, GW_DH_MODP2048,
					     GW_DH_MODP3072, GW_DH_MODP4096};

	(void)state;
	for (unsigned i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		if (i)
			pair_setup();
		A.cfg.peers.v[0].dh_group = B.cfg.peers.v[0].dh_group = g[i];
		def_prop(&A)->pfs_group = def_prop(&B)->pfs_group = g[(i + 1) % 6];
		A.cfg.peers.v[0].exchange_mode = B.cfg.peers.v[0].exchange_mode = (enum gw_exchange_mode)(i % 2);
		negotiate();
		expect_pair(1);
		if (i + 1 < sizeof(g) / sizeof(g[0]))
			teardown(NULL);
	}
}

static void test_modp8192(void **state)
{
	(void)state;
	A.cfg.peers.v[0].dh_group = B.cfg.peers.v[0].dh_group = GW_DH_MODP8192;
	def_prop(&A)->pfs_group = def_prop(&B)->pfs_group = GW_DH_MODP8192;
	negotiate();
	expect_pair(1);
}

static void test_pfs_off(void **state)
{
	(void)state;
	def_prop(&A)->pfs_group = def_prop(&B)->pfs_group = GW_DH_NONE;
	negotiate();
	expect_pair(1);
	assert_false(A.inst[0].install.out.flags & GW_SA_FLAG_PFS);
}

static void test_pfs_mismatch(void **state)
{
	(void)state;
	def_prop(&B)->pfs_group = GW_DH_NONE;
	negotiate();
	assert_int_equal(A.n_inst + B.n_inst, 0);
	assert_true(logged(&B, "no proposal chosen for policy"));
	assert_true(logged(&A, "quick mode refused: NO-PROPOSAL-CHOSEN"));
}

static void test_every_cipher(void **state)
{
	static const enum gw_enc_alg encs[] = {GW_ENC_DES, GW_ENC_3DES, GW_ENC_AES128_CBC, GW_ENC_AES192_CBC,
					       GW_ENC_AES256_CBC, GW_ENC_AES128_CTR, GW_ENC_AES192_CTR,
					       GW_ENC_AES256_CTR, GW_ENC_AES128_GCM, GW_ENC_AES192_GCM,
					       GW_ENC_AES256_GCM, GW_ENC_NULL};
	static const enum gw_auth_alg auths[] = {GW_AUTH_MD5, GW_AUTH_SHA1, GW_AUTH_SHA256, GW_AUTH_SHA384,
						 GW_AUTH_SHA512};
	unsigned n = 0;

	(void)state;
	def_prop(&A)->pfs_group = def_prop(&B)->pfs_group = GW_DH_NONE;
	apply();
	for (unsigned i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		for (unsigned j = 0; j < sizeof(auths) / sizeof(auths[0]); j++) {
			const struct ike_action *x;
			bool aead = encs[i] >= GW_ENC_AES128_GCM && encs[i] <= GW_ENC_AES256_GCM;

			if (aead && j)
				break;
			/* A offers everything, B accepts only this one */
			def_prop(&B)->n_enc = 1;
			def_prop(&B)->enc_algorithms[0] = encs[i];
			def_prop(&B)->n_auth = 1;
			def_prop(&B)->auth_algorithms[0] = auths[j];
			/* A offers three ciphers x five integrity algorithms */
			def_prop(&A)->n_enc = 3;
			def_prop(&A)->enc_algorithms[0] = encs[(i + 1) % 12];
			def_prop(&A)->enc_algorithms[1] = encs[i];
			def_prop(&A)->enc_algorithms[2] = encs[(i + 5) % 12];
			def_prop(&A)->n_auth = 5;
			for (unsigned k = 0; k < 5; k++)
				def_prop(&A)->auth_algorithms[k] = auths[(k + j + 1) % 5];
			now += IKE_ACQUIRE_HOLDOFF_MS;
			assert_int_equal(ike_acquire(A.e, now, A.cfg.policies.v[0].uid, 0, 0, 0), 0);
			pump();
			n++;
			expect_pair(n);
			x = &A.inst[n - 1];
			assert_int_equal(x->install.out.enc_alg, encs[i]);
			assert_int_equal(x->install.out.auth_alg, aead ? GW_AUTH_NULL : auths[j]);
			assert_int_equal(x->install.out.enc_key.len, gw_enc_key_len(encs[i]));
			assert_int_equal(x->install.out.auth_key.len, aead ? 0 : gw_auth_key_len(auths[j]));
		}
	}
	assert_int_equal(n, 9 * 5 + 3);
}

static void test_ah(void **state)
{
	(void)state;
	A.cfg.policies.v[0].ipsec_protocols = GW_PROTO_AH;
	B.cfg.policies.v[0].ipsec_protocols = GW_PROTO_AH;
	def_prop(&A)->auth_algorithms[0] = def_prop(&B)->auth_algorithms[0] = GW_AUTH_SHA256;
	negotiate();
	expect_pair(1);
	assert_int_equal(A.inst[0].install.out_id.proto, 51);
	assert_int_equal(A.inst[0].install.out.flags & GW_SA_FLAG_AH, GW_SA_FLAG_AH);
	assert_int_equal(A.inst[0].install.out.auth_key.len, 32);
	assert_int_equal(A.inst[0].install.out.enc_key.len, 0);
}

static void set_bundle(struct side *s)
{
	s->cfg.policies.v[0].ipsec_protocols = GW_PROTO_AH | GW_PROTO_ESP;
}

/* ipsec-protocols=ah,esp: one quick mode, two proposals numbered 1 (ESP AND
 * AH), an ESP pair (tunnel) and an AH pair (transport over it) each side. */
static void test_bundle(void **state)
{
	struct ike_sa_id old_ah_out;

	(void)state;
	set_bundle(&A);
	set_bundle(&B);
	negotiate();
	assert_int_equal(A.n_inst, 2);
	assert_int_equal(B.n_inst, 2);
	for (unsigned i = 0; i < 2; i++) {
		mirror(&A.inst[i], &B.inst[i]);
		mirror(&B.inst[i], &A.inst[i]);
	}
	assert_int_equal(A.inst[0].install.out_id.proto, 50);
	assert_true(A.inst[0].install.out.tunnel);
	assert_int_equal(A.inst[1].install.out_id.proto, 51);
	assert_false(A.inst[1].install.out.tunnel);
	assert_true(A.inst[1].install.out.flags & GW_SA_FLAG_AH);
	assert_int_equal(A.inst[1].install.out.auth_key.len, 20);
	assert_int_equal(A.inst[1].install.out.enc_key.len, 0);
	assert_int_not_equal(A.inst[0].install.in_id.spi, A.inst[1].install.in_id.spi);
	assert_int_equal(B.n_early, 2); /* both inbound SAs before message 2 */
	assert_true(logged(&A, "AH SA pair of the bundle installed"));
	assert_int_equal(ike_policy_ph2_state(A.e, A.cfg.policies.v[0].uid), GW_PH2_ESTABLISHED);
	/* the AH SA's soft limit renews the whole bundle */
	old_ah_out = A.inst[1].install.out_id;
	assert_int_equal(ike_expire(A.e, now, &old_ah_out, false), 0);
	pump();
	assert_int_equal(A.n_inst, 4);
	assert_int_equal(B.n_inst, 4);
	mirror(&A.inst[3], &B.inst[3]);
	assert_int_equal(A.inst[2].install.replaces_spi_in, A.inst[0].install.in_id.spi);
	assert_int_equal(A.n_del + B.n_del, 0);
	/* its hard limit deletes both pairs, here and (two Deletes) there */
	assert_int_equal(ike_expire(A.e, now, &old_ah_out, true), 0);
	pump();
	assert_int_equal(A.n_del, 4);
	assert_int_equal(B.n_del, 4);
	assert_int_equal(ike_policy_ph2_state(B.e, B.cfg.policies.v[0].uid), GW_PH2_ESTABLISHED);
}

/* A bundle against a single protocol (either way) is no proposal. */
static void test_bundle_mismatch(void **state)
{
	(void)state;
	set_bundle(&A);
	negotiate();
	assert_int_equal(A.n_inst + B.n_inst, 0);
	assert_true(logged(&B, "no proposal chosen"));
	teardown(NULL);
	pair_setup();
	set_bundle(&B);
	negotiate();
	assert_int_equal(A.n_inst + B.n_inst, 0);
	assert_true(logged(&B, "no proposal chosen"));
}

static void test_transport(void **state)
{
	(void)state;
	for (int k = 0; k < 2; k++) {
		struct side *s = k ? &B : &A;
		struct gw_policy *p = &s->cfg.policies.v[0];

		p->tunnel = false;
		p->src_address_set = p->dst_address_set = false;
	}
	negotiate();
	expect_pair(1);
	assert_false(A.inst[0].install.out.tunnel);
}

static void test_responder_initiates(void **state)
{
	(void)state;
	apply();
	assert_int_equal(ike_acquire(B.e, now, B.cfg.policies.v[0].uid, 0, 0, 0), 0);
	pump();
	expect_pair(1);
	assert_true(logged(&B, "main mode, initiator"));
	/* and the other way over the same phase 1 */
	now += IKE_ACQUIRE_HOLDOFF_MS;
	assert_int_equal(ike_acquire(A.e, now, A.cfg.policies.v[0].uid, 0, 0, 0), 0);
	pump();
	expect_pair(2);
	assert_int_equal(ike_engine_stats(A.e)->p1_established, 1);
}

/* ---- failures */

static void test_wrong_psk(void **state)
{
	(void)state;
	snprintf(B.cfg.peers.v[0].secret, GW_SECRET_MAX, "not-the-secret");
	negotiate();
	assert_int_equal(A.n_inst + B.n_inst, 0);
	assert_true(logged(&B, "invalid HASH — probably a wrong pre-shared key"));
	advance(70000);
	assert_true(logged(&A, "negotiation failed"));
	assert_int_equal(ike_engine_stats(B.e)->auth_failures, 1);
}

/* strongSwan answers a main mode message 5 that it cannot decrypt (another
 * PSK) with an encrypted PAYLOAD-MALFORMED that our keys cannot read:
 * the initiator says why, once, and goes on retransmitting. */
static uint8_t mm5_hdr[ISAKMP_HDR_LEN];
static bool keep_mm5_header(struct side *from, unsigned nth, const uint8_t *d, size_t len)
{
	if (from == &A && nth == 3 && len >= ISAKMP_HDR_LEN) {
		memcpy(mm5_hdr, d, ISAKMP_HDR_LEN);
		return false; /* B never sees it */
	}
	return true;
}

static void test_wrong_psk_undecryptable_answer(void **state)
{
	uint8_t dg[ISAKMP_HDR_LEN + 48];

	(void)state;
	lose = keep_mm5_header;
	negotiate();
	assert_int_equal(mm5_hdr[18], ISAKMP_EXCH_MAIN);
	memcpy(dg, mm5_hdr, ISAKMP_HDR_LEN);
	dg[16] = ISAKMP_NP_HASH;
	dg[18] = ISAKMP_EXCH_INFO;
	dg[19] = ISAKMP_FLAG_E;
	dg[20] = 0x12; dg[21] = 0x34; dg[22] = 0x56; dg[23] = 0x78;
	dg[24] = dg[25] = dg[26] = 0;
	dg[27] = sizeof(dg);
	for (unsigned i = ISAKMP_HDR_LEN; i < sizeof(dg); i++)
		dg[i] = (uint8_t)(i * 37 + 11);
	ike_input(A.e, now, A_ADDR, 500, B_ADDR, 500, dg, sizeof(dg));
	dg[23]++;
	ike_input(A.e, now, A_ADDR, 500, B_ADDR, 500, dg, sizeof(dg));
	pump();
	assert_true(logged(&A, "cannot decrypt its answer to our main mode message 5 — probably a wrong pre-shared key"));
	unsigned n = 0;
	for (unsigned i = 0; i < A.n_logs; i++)
		n += strstr(A.logs[i], "probably a wrong pre-shared key") != NULL;
	assert_int_equal(n, 1);
	assert_int_equal(A.n_inst, 0);
}

static void test_wrong_psk_aggressive(void **state)
{
	(void)state;
	A.cfg.peers.v[0].exchange_mode = B.cfg.peers.v[0].exchange_mode = GW_XMODE_AGGRESSIVE;
	snprintf(B.cfg.peers.v[0].secret, GW_SECRET_MAX, "not-the-secret");
	negotiate();
	assert_int_equal(A.n_inst + B.n_inst, 0);
	assert_true(logged(&A, "invalid HASH — probably a wrong pre-shared key"));
}

static void test_p1_mismatch(void **state)
{
	(void)state;
	B.cfg.peers.v[0].enc_algorithm = GW_IKE_AES128;
	negotiate();
	assert_int_equal(A.n_inst + B.n_inst, 0);
	assert_true(logged(&B, "no proposal chosen"));
	assert_true(logged(&A, "NO-PROPOSAL-CHOSEN"));
	assert_int_equal(ike_engine_stats(B.e)->no_proposal, 1);
}

static void test_p2_mismatch(void **state)
{
	(void)state;
	def_prop(&B)->enc_algorithms[0] = GW_ENC_AES256_GCM;
	negotiate();
	assert_int_equal(A.n_inst + B.n_inst, 0);
	assert_true(logged(&A, "quick mode refused: NO-PROPOSAL-CHOSEN"));
}

/* strongSwan refuses a quick mode with NO-PROPOSAL-CHOSEN before it has
 * taken an SPI from it: the notification has SPI 0. It still ends our
 * quick mode in flight (else it is retransmitted until it times out). */
static bool lose_qm1(struct side *from, unsigned nth, const uint8_t *d, size_t len)
{
	(void)d;
	(void)len;
	return !(from == &A && nth == 4); /* MM1, MM3, MM5, QM1 */
}

static void refused_with_spi(uint8_t spi_size)
{
	static const uint8_t zero[4];
	struct ike_p1 *bp1;

	lose = lose_qm1;
	negotiate();
	assert_int_equal(A.n_inst + B.n_inst, 0);
	bp1 = ike_p1_established_for(B.e, A_ADDR);
	assert_non_null(bp1);
	ike_send_info_notify(B.e, bp1, ISAKMP_PROTO_ESP, ISAKMP_N_NO_PROPOSAL_CHOSEN, zero, spi_size, NULL, 0);
	pump();
	assert_true(logged(&A, "quick mode refused: NO-PROPOSAL-CHOSEN"));
	lose = NULL;
	advance(5000); /* no retransmitted QM1 gets through to B now */
	assert_int_equal(A.n_inst + B.n_inst, 0);
	assert_int_equal(ike_engine_stats(A.e)->retransmits_tx, 0);
}

static void test_p2_refused_spi_zero(void **state)
{
	(void)state;
	refused_with_spi(4);
}

static void test_p2_refused_no_spi(void **state)
{
	(void)state;
	refused_with_spi(0);
}

/* The responder installs its inbound SA when it sends QM2 (the initiator
 * sends on the new SA as soon as it has sent QM3); the pair follows at QM3.
 * Without QM3 the early inbound SA is deleted when the quick mode dies. */
static void test_responder_inbound_early(void **state)
{
	(void)state;
	negotiate();
	expect_pair(1);
	assert_int_equal(A.n_early, 0);
	assert_int_equal(B.n_early, 1);
	assert_int_equal(B.early[0].spi, B.inst[0].install.in_id.spi);
	assert_int_equal(B.early[0].dir, GW_SA_IN);
	assert_int_equal(B.early[0].dst, B_ADDR);
	assert_int_equal(B.n_del, 0);
}

static bool lose_qm3(struct side *from, unsigned nth, const uint8_t *d, size_t len)
{
	(void)d;
	(void)len;
	return !(from == &A && nth >= 5); /* MM1, MM3, MM5, QM1 pass */
}

static void test_responder_inbound_early_no_qm3(void **state)
{
	(void)state;
	lose = lose_qm3;
	negotiate();
	assert_int_equal(A.n_inst, 1); /* the initiator installs at QM2 */
	assert_int_equal(B.n_inst, 0);
	assert_int_equal(B.n_early, 1);
	advance(70000);
	assert_int_equal(B.n_inst, 0);
	assert_true(B.n_del >= 1);
	assert_int_equal(B.del[0].spi, B.early[0].spi);
	assert_int_equal(B.del[0].dir, GW_SA_IN);
}

static void test_unknown_peer(void **state)
{
	(void)state;
	B.cfg.peers.v[0].address.addr = IP(198, 18, 9, 9);
	negotiate();
	assert_true(logged(&B, "peer not configured for 198.18.0.1"));
	assert_int_equal(A.n_inst, 0);
	/* and the initiator side without a peer */
	A.cfg.peers.n = 0;
	assert_int_not_equal(ike_acquire(A.e, now, A.cfg.policies.v[0].uid, 0, 0, 0), 0);
	pump();
	assert_true(logged(&A, "peer not configured for 198.18.0.2"));
}

static void test_no_policy(void **state)
{
	(void)state;
	B.cfg.policies.v[0].src_address.prefix.len = 25; /* not exactly mirrored */
	negotiate();
	assert_int_equal(A.n_inst + B.n_inst, 0);
	assert_true(logged(&B, "no policy for"));
	assert_true(logged(&A, "INVALID-ID-INFORMATION"));
}

static void test_generate_policy(void **state)
{
	(void)state;
	B.cfg.policies.n = 0;
	B.cfg.peers.v[0].generate_policy = true;
	negotiate();
	expect_pair(1);
	assert_int_equal(B.n_added, 1);
	assert_true(B.added[0].dynamic);
	assert_true(B.added[0].uid & 0x80000000u);
	assert_int_equal(B.added[0].src_address.prefix.addr, IP(198, 18, 2, 0));
	assert_int_equal(B.added[0].dst_address.prefix.addr, IP(198, 18, 1, 0));
	assert_int_equal(B.added[0].sa_dst_address, A_ADDR);
	assert_true(B.added[0].tunnel);
	assert_int_equal(B.inst[0].install.policy_uid, B.added[0].uid);
}

/* ---- proposal-check */

static void lifetimes(gw_seconds a, gw_seconds b, enum gw_proposal_check pc)
{
	def_prop(&A)->lifetime = a;
	def_prop(&B)->lifetime = b;
	B.cfg.peers.v[0].proposal_check = pc;
	negotiate();
}

static void test_check_obey(void **state)
{
	(void)state;
	lifetimes(3600, 600, GW_PCHECK_OBEY);
	expect_pair(1);
	assert_int_equal(A.inst[0].install.out.add_hard, 3600);
}

static void test_check_claim(void **state)
{
	(void)state;
	lifetimes(3600, 600, GW_PCHECK_CLAIM);
	expect_pair(1);
	assert_int_equal(A.inst[0].install.out.add_hard, 600);
	assert_int_equal(B.inst[0].install.out.add_hard, 600);
	assert_true(logged(&B, "proposal-check claim"));
}

static void test_check_strict(void **state)
{
	(void)state;
	lifetimes(3600, 600, GW_PCHECK_STRICT);
	assert_int_equal(A.n_inst + B.n_inst, 0);
	assert_true(logged(&A, "NO-PROPOSAL-CHOSEN"));
	teardown(NULL);
	pair_setup();
	lifetimes(300, 600, GW_PCHECK_STRICT);
	expect_pair(1);
	assert_int_equal(A.inst[0].install.out.add_hard, 300);
}

static void test_check_exact(void **state)
{
	(void)state;
	lifetimes(300, 600, GW_PCHECK_EXACT);
	assert_int_equal(A.n_inst + B.n_inst, 0);
	teardown(NULL);
	pair_setup();
	lifetimes(600, 600, GW_PCHECK_EXACT);
	expect_pair(1);
}

/* ---- loss, retransmission */

static unsigned lose_nth;
static struct side *lose_from;
static bool lose_one(struct side *from, unsigned nth, const uint8_t *d, size_t len)
{
	(void)d;
	(void)len;
	return !(from == lose_from && nth == lose_nth);
}

static void test_retransmit(void **state)
{
	(void)state;
	/* lose each of A's messages (MM1, MM3, MM5, QM1, QM3) and B's (MM2, MM4, MM6, QM2) once */
	for (unsigned k = 0; k < 9; k++) {
		if (k)
			pair_setup();
		lose = lose_one;
		lose_from = k < 5 ? &A : &B;
		lose_nth = k < 5 ? k + 1 : k - 4;
		negotiate();
		advance(20000);
		expect_pair(1);
		assert_true(ike_engine_stats(A.e)->retransmits_tx + ike_engine_stats(B.e)->retransmits_tx > 0);
		if (k < 8)
			teardown(NULL);
	}
}

static bool lose_all_from_b(struct side *from, unsigned nth, const uint8_t *d, size_t len)
{
	(void)nth;
	(void)d;
	(void)len;
	return from != &B;
}

static void test_timeout(void **state)
{
	(void)state;
	lose = lose_all_from_b;
	negotiate();
	advance(120000);
	assert_int_equal(A.n_inst, 0);
	assert_true(logged(&A, "phase 1 negotiation failed due to time up"));
	assert_true(A.sent == 6); /* MM1 + 5 retransmissions */
}

/* ---- rekey, delete, initial contact */

static void test_rekey_and_delete(void **state)
{
	struct ike_sa_id old_out;

	(void)state;
	negotiate();
	expect_pair(1);
	old_out = A.inst[0].install.out_id;
	assert_int_equal(ike_expire(A.e, now, &old_out, false), 0);
	pump();
	expect_pair(2);
	assert_int_equal(A.inst[1].install.replaces_spi_in, A.inst[0].install.in_id.spi);
	assert_int_equal(A.n_del + B.n_del, 0); /* make before break */
	assert_true(logged(&A, "rekeying"));
	/* a second soft expire of the same SA does not rekey twice */
	assert_int_equal(ike_expire(A.e, now, &old_out, false), 0);
	pump();
	assert_int_equal(A.n_inst, 2);
	/* hard expire of the old pair: deleted here and, by Delete, there */
	assert_int_equal(ike_expire(A.e, now, &old_out, true), 0);
	pump();
	assert_int_equal(A.n_del, 2);
	assert_int_equal(B.n_del, 2);
	assert_int_equal(B.del[0].spi, B.inst[0].install.in_id.spi);
	assert_int_equal(B.del[1].spi, B.inst[0].install.out_id.spi);
	assert_int_equal(ike_policy_ph2_state(A.e, A.cfg.policies.v[0].uid), GW_PH2_ESTABLISHED);
	/* the new pair goes too: ph2-state expired */
	assert_int_equal(ike_expire(A.e, now, &A.inst[1].install.in_id, true), 0);
	pump();
	assert_int_equal(B.n_del, 4);
	assert_int_equal(ike_policy_ph2_state(A.e, A.cfg.policies.v[0].uid), GW_PH2_EXPIRED);
	assert_int_equal(ike_expire(A.e, now, &old_out, true), -1);
}

/* Both ends reach their soft limits (strongSwan and a second ipsecgw do):
 * the end whose soft limit comes second sees the pair the peer's rekey
 * made and does not rekey again (else each generation doubled the SAs). */
static void test_rekey_both_ends(void **state)
{
	(void)state;
	negotiate();
	expect_pair(1);
	advance(1000);
	assert_int_equal(ike_expire(B.e, now, &B.inst[0].install.out_id, false), 0);
	pump();
	expect_pair(2);
	advance(1000);
	assert_int_equal(ike_expire(A.e, now, &A.inst[0].install.out_id, false), 0);
	assert_int_equal(ike_expire(A.e, now, &A.inst[0].install.in_id, false), 0);
	pump();
	assert_int_equal(A.n_inst, 2);
	assert_int_equal(B.n_inst, 2);
	assert_true(logged(&A, "already replaced by"));
	/* the new pair still rekeys when its own time comes */
	advance(1000);
	assert_int_equal(ike_expire(A.e, now, &A.inst[1].install.in_id, false), 0);
	pump();
	expect_pair(3);
}

static void test_initial_contact(void **state)
{
	struct ike_engine_conf conf = {.no_jitter = true};

	(void)state;
	negotiate();
	expect_pair(1);
	/* A "reboots": a fresh engine with the same config negotiates again */
	ike_engine_free(A.e);
	A.e = ike_engine_new(&conf);
	negotiate();
	assert_int_equal(A.n_inst, 2);
	assert_int_equal(B.n_inst, 2);
	assert_true(logged(&B, "INITIAL-CONTACT"));
	assert_int_equal(B.n_del, 2); /* the old pair */
	assert_int_equal(B.del[0].spi, B.inst[0].install.in_id.spi);
	mirror(&A.inst[1], &B.inst[1]);
}

static void test_flush(void **state)
{
	(void)state;
	negotiate();
	expect_pair(1);
	ike_flush(A.e, now, 0);
	pump();
	assert_int_equal(A.n_del, 2);
	assert_int_equal(B.n_del, 2);
	advance(1000);
	/* B got the ISAKMP Delete too: a new ACQUIRE starts from scratch */
	assert_int_equal(ike_remote_peers(B.e, now, 0, (struct gw_remote_peer_view[4]){0}, 4), 0);
}

/* ---- DPD */

static void test_dpd(void **state)
{
	(void)state;
	A.cfg.peers.v[0].dpd_interval = B.cfg.peers.v[0].dpd_interval = 10;
	A.cfg.peers.v[0].dpd_maximum_failures = 3;
	negotiate();
	expect_pair(1);
	advance(60000); /* alive: R-U-THERE answered */
	assert_int_equal(A.n_del, 0);
	assert_int_equal(B.n_del, 0);
	lose = lose_all_from_b;
	advance(60000);
	assert_true(logged(&A, "peer is dead"));
	assert_int_equal(A.n_del, 2);
}

/* ---- NAT-T */

static void test_natt(void **state)
{
	(void)state;
	A.cfg.peers.v[0].nat_traversal = B.cfg.peers.v[0].nat_traversal = true;
	nat_a = true;
	negotiate();
	expect_pair(1);
	assert_true(logged(&A, "NAT detected"));
	assert_true(logged(&B, "NAT detected"));
	assert_int_equal(A.inst[0].install.out.encap_sport, 4500);
	assert_int_equal(A.inst[0].install.out.encap_dport, 4500);
	assert_int_equal(B.inst[0].install.out.encap_dport, 4500 + NAT_SHIFT);
	assert_int_equal(B.inst[0].install.in.encap_sport, 4500 + NAT_SHIFT);
	/* NAT-T on but no NAT: plain ESP */
	teardown(NULL);
	pair_setup();
	A.cfg.peers.v[0].nat_traversal = B.cfg.peers.v[0].nat_traversal = true;
	negotiate();
	expect_pair(1);
	assert_int_equal(A.inst[0].install.out.encap_sport, 0);
	/* aggressive with a NAT */
	teardown(NULL);
	pair_setup();
	A.cfg.peers.v[0].nat_traversal = B.cfg.peers.v[0].nat_traversal = true;
	A.cfg.peers.v[0].exchange_mode = B.cfg.peers.v[0].exchange_mode = GW_XMODE_AGGRESSIVE;
	nat_a = true;
	negotiate();
	expect_pair(1);
	assert_int_equal(B.inst[0].install.out.encap_dport, 4500 + NAT_SHIFT);
	/* keepalive and junk on 4500 */
	ike_input(B.e, now, B_ADDR, 4500, A_ADDR, 4500, (const uint8_t *)"\xff", 1);
	ike_input(B.e, now, B_ADDR, 4500, A_ADDR, 4500, (const uint8_t *)"\x01\x02\x03\x04\x05", 5);
	assert_int_equal(ike_engine_stats(B.e)->keepalives, 1);
}

/* AH authenticates the outer addresses a NAT rewrites: refused with a NAT. */
static void test_natt_ah_refused(void **state)
{
	(void)state;
	A.cfg.peers.v[0].nat_traversal = B.cfg.peers.v[0].nat_traversal = true;
	A.cfg.policies.v[0].ipsec_protocols = B.cfg.policies.v[0].ipsec_protocols = GW_PROTO_AH;
	nat_a = true;
	negotiate();
	assert_int_equal(A.n_inst + B.n_inst, 0);
	assert_true(logged(&A, "AH cannot cross the NAT"));
	/* the bundle too */
	A.cfg.policies.v[0].ipsec_protocols = B.cfg.policies.v[0].ipsec_protocols = GW_PROTO_AH | GW_PROTO_ESP;
	apply();
	now += IKE_ACQUIRE_HOLDOFF_MS;
	assert_int_equal(ike_acquire(A.e, now, A.cfg.policies.v[0].uid, 0, 0, 0), -1);
	pump();
	assert_int_equal(A.n_inst + B.n_inst, 0);
}

/* Behind a NAT we send a keepalive every 20 s (RFC 3948 4); without a NAT
 * in front of us, none. */
static void test_natt_keepalive(void **state)
{
	(void)state;
	A.cfg.peers.v[0].nat_traversal = B.cfg.peers.v[0].nat_traversal = true;
	nat_a = true;
	negotiate();
	expect_pair(1);
	advance(19000);
	assert_int_equal(ike_engine_stats(A.e)->keepalives_tx, 0);
	advance(2000);
	assert_int_equal(ike_engine_stats(A.e)->keepalives_tx, 1);
	assert_int_equal(ike_engine_stats(B.e)->keepalives, 1); /* received as one 0xFF byte */
	advance(40000);
	assert_int_equal(ike_engine_stats(A.e)->keepalives_tx, 3);
	assert_int_equal(ike_engine_stats(B.e)->keepalives, 3);
	/* B has no NAT in front of it (only A has): it sends none */
	assert_int_equal(ike_engine_stats(B.e)->keepalives_tx, 0);
	assert_int_equal(ike_engine_stats(A.e)->keepalives, 0);
	/* the tunnel is unharmed */
	assert_int_equal(A.n_del + B.n_del, 0);
}

/* Phase 1 lifebytes: the ISAKMP SA is deleted (and the peer told) once it
 * has protected that many bytes, and negotiated again when needed. */
static void test_p1_lifebytes(void **state)
{
	(void)state;
	A.cfg.peers.v[0].lifebytes = 1500; /* offered as 2 KB; A keeps its 1500 */
	negotiate();
	expect_pair(1);
	advance(200);
	for (unsigned n = 2; n <= 6 && ike_engine_stats(A.e)->p1_established == 1; n++) {
		now += IKE_ACQUIRE_HOLDOFF_MS;
		assert_int_equal(ike_acquire(A.e, now, A.cfg.policies.v[0].uid, 0, 0, 0), 0);
		pump();
		advance(200);
	}
	assert_true(logged(&A, "lifebytes reached"));
	assert_true(logged(&B, "ISAKMP SA deleted")); /* by A's Delete */
	/* the SA pairs are not phase 1's to delete */
	assert_int_equal(A.n_del + B.n_del, 0);
	/* a new phase 1 for the next quick mode */
	now += IKE_ACQUIRE_HOLDOFF_MS;
	assert_int_equal(ike_acquire(A.e, now, A.cfg.policies.v[0].uid, 0, 0, 0), 0);
	pump();
	assert_int_equal(ike_engine_stats(A.e)->p1_established, 2);
	assert_int_equal(A.n_inst, B.n_inst);
	mirror(&A.inst[A.n_inst - 1], &B.inst[B.n_inst - 1]);
}

/* A stale ACQUIRE (raised before the new pair reached the tables) does not
 * negotiate a second pair; one after the hold-off does (the pair is gone
 * from the dataplane, e.g. an EXPIRE was lost). */
static void test_acquire_holdoff(void **state)
{
	(void)state;
	negotiate();
	expect_pair(1);
	assert_true(A.inst[0].install.initiator);
	assert_false(B.inst[0].install.initiator);
	now += IKE_ACQUIRE_HOLDOFF_MS - 1;
	assert_int_equal(ike_acquire(A.e, now, A.cfg.policies.v[0].uid, 0, 0, 0), 0);
	pump();
	assert_int_equal(A.n_inst, 1);
	assert_int_equal(ike_engine_stats(A.e)->acquires_ignored, 1);
	now += 1;
	assert_int_equal(ike_acquire(A.e, now, A.cfg.policies.v[0].uid, 0, 0, 0), 0);
	pump();
	expect_pair(2);
	/* the responder's pair counts too */
	assert_int_equal(ike_acquire(B.e, now, B.cfg.policies.v[0].uid, 0, 0, 0), 0);
	pump();
	assert_int_equal(B.n_inst, 2);
	assert_int_equal(ike_engine_stats(B.e)->acquires_ignored, 1);
}

/* ---- robustness */

static uint8_t saved[64][2048];
static size_t saved_len[64];
static unsigned n_saved;
static bool keep_copy(struct side *from, unsigned nth, const uint8_t *d, size_t len)
{
	(void)from;
	(void)nth;
	if (n_saved < 64 && len <= 2048) {
		memcpy(saved[n_saved], d, len);
		saved_len[n_saved++] = len;
	}
	return true;
}

static void test_malformed(void **state)
{
	unsigned seed = 7;

	(void)state;
	n_saved = 0;
	lose = keep_copy;
	negotiate();
	expect_pair(1);
	lose = NULL;
	/* every recorded message, mutated, truncated and replayed, into both
	 * engines (established now): nothing crashes, nothing is installed */
	for (int round = 0; round < 30; round++) {
		for (unsigned i = 0; i < n_saved; i++) {
			uint8_t m[2048];
			size_t len = saved_len[i];

			memcpy(m, saved[i], len);
			for (int k = 0; k < 1 + round % 5; k++) {
				seed = seed * 1103515245u + 12345u;
				m[(seed >> 8) % len] ^= (uint8_t)(seed >> 16);
			}
			seed = seed * 1103515245u + 12345u;
			if (round % 3 == 0)
				len = (seed >> 8) % len + 1;
			ike_input(A.e, now, A_ADDR, 500, B_ADDR, 500, m, len);
			ike_input(B.e, now, B_ADDR, 500, A_ADDR, 500, m, len);
			ike_input(B.e, now, B_ADDR, 4500, A_ADDR, 4500, m, len);
			ike_input(A.e, now, A_ADDR, 500, B_ADDR, 500, saved[i], saved_len[i]);
		}
		pump();
	}
	assert_int_equal(A.n_inst, 1);
	assert_true(ike_engine_stats(B.e)->malformed + ike_engine_stats(B.e)->bad_cookie > 0);
	/* random garbage from strangers */
	for (int i = 0; i < 2000; i++) {
		uint8_t g[256];

		for (size_t k = 0; k < sizeof(g); k++) {
			seed = seed * 1103515245u + 12345u;
			g[k] = (uint8_t)(seed >> 16);
		}
		g[17] = 0x10;
		g[18] = (uint8_t)(i % 2 ? 2 : 4);
		memset(g + 8, 0, 8);
		memset(g + 20, 0, 4);
		g[24] = 0;
		g[25] = 0;
		g[26] = 0;
		g[27] = (uint8_t)(28 + i % 200);
		ike_input(B.e, now, B_ADDR, 500, IP(198, 18, 7, (uint8_t)i), 500, g, 28 + i % 200);
	}
	pump();
	advance(70000);
}

static void test_half_open_limit(void **state)
{
	(void)state;
	/* a peer prefix that accepts many addresses, and strangers that never
	 * go past message 1 */
	B.cfg.peers.v[0].address.len = 8;
	apply();
	for (int i = 0; i < 100; i++) {
		uint8_t mm1[512];
		struct isakmp_hdr h = {.exch = ISAKMP_EXCH_MAIN};
		struct isakmp_buf b;
		size_t sa, pr, xf;

		h.icookie[0] = (uint8_t)(i + 1);
		isakmp_buf_init(&b, mm1, sizeof(mm1));
		isakmp_put_hdr(&b, &h);
		sa = isakmp_sa_begin(&b);
		pr = isakmp_prop_begin(&b, 1, ISAKMP_PROTO_ISAKMP, NULL, 0, 1);
		xf = isakmp_xf_begin(&b, 1, ISAKMP_KEY_IKE);
		isakmp_attr_tv(&b, ISAKMP_P1_ENC, ISAKMP_ENC_3DES);
		isakmp_attr_tv(&b, ISAKMP_P1_HASH, ISAKMP_HASH_MD5);
		isakmp_attr_tv(&b, ISAKMP_P1_AUTH, ISAKMP_AUTH_PSK);
		isakmp_attr_tv(&b, ISAKMP_P1_GROUP, 2);
		isakmp_sub_end(&b, xf, true, ISAKMP_NP_T);
		isakmp_sub_end(&b, pr, true, ISAKMP_NP_P);
		isakmp_pl_end(&b, sa);
		isakmp_finish(&b);
		ike_input(B.e, now, B_ADDR, 500, IP(198, 50, (uint8_t)(i / 8), (uint8_t)i), 500, mm1, b.len);
		mm1[1] = 0xaa; /* another initiator cookie */
		ike_input(B.e, now, B_ADDR, 500, A_ADDR, 500, mm1, b.len);
	}
	/* at most 64 half-open in all, 4 from one address */
	assert_true(ike_engine_stats(B.e)->half_open_drops >= 200 - 64);
	{
		struct ike_action a;

		while (ike_action_next(B.e, &a))
			ike_action_free(&a);
	}
	advance(61000);
	/* the half-open ones time out; a real peer gets through again */
	B.cfg.peers.v[0].address.len = 32;
	negotiate();
	expect_pair(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_main_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aggressive_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dh_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modp8192, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pfs_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pfs_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_cipher, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ah, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transport, setup, teardown),
		cmocka_unit_test_setup_teardown(test_responder_initiates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_psk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_psk_aggressive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_psk_undecryptable_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_p1_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_p2_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_p2_refused_spi_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_p2_refused_no_spi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_responder_inbound_early, setup, teardown),
		cmocka_unit_test_setup_teardown(test_responder_inbound_early_no_qm3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generate_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_obey, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_claim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_strict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_and_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_both_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initial_contact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dpd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_natt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_natt_keepalive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_natt_ah_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_p1_lifebytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acquire_holdoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_open_limit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dataplane tables: manual SAs derived exactly as the seed says, SA reuse
 * across rebuilds, per-policy stats kept by uid, SPD first match and the
 * reverse (incoming policy) match, retire freeing exactly the right objects
 * (run under ASan/LSan for the last one), global counters.
 * No EAL: the tables are plain memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fields.h"
#include "model.h"
#include "tables.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* Test addresses: 198.18.0.0/15 (RFC 2544 benchmarking range). */
#define GW_A IP(198, 18, 0, 1) /* sa-src: us */
#define GW_B IP(198, 18, 0, 2) /* sa-dst: the peer */
#define GW_C IP(198, 18, 0, 3) /* another peer */
#define NET1 IP(198, 18, 1, 0)
#define NET2 IP(198, 18, 2, 0)

/* ---- building configs by hand */

static void key_fill(struct gw_key *k, uint8_t len, uint8_t seed)
{
	uint8_t i;

	k->len = len;
	for (i = 0; i < len; i++)
		k->bytes[i] = (uint8_t)(seed + i);
}

static void cfg_init(struct gw_config *c)
{
	assert_int_equal(gw_config_init(c), 0);
	c->dataplane.replay_window = 32;
}

/* A template with distinct in and out SPIs and keys for both protocols. */
static uint32_t add_template(struct gw_config *c, const char *name)
{
	int idx = gw_menu_append(c, GW_MENU_MANUAL_SA);
	struct gw_manual_sa *t;

	assert_true(idx >= 0);
	t = &c->manual_sas.v[idx];
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->ah_algorithm = GW_AUTH_SHA1;
	t->esp_auth_algorithm = GW_AUTH_SHA256;
	t->esp_enc_algorithm = GW_ENC_AES128_CBC;
	key_fill(&t->ah_key.in, 20, 0x10);
	key_fill(&t->ah_key.out, 20, 0x20);
	key_fill(&t->esp_auth_key.in, 32, 0x30);
	key_fill(&t->esp_auth_key.out, 32, 0x40);
	key_fill(&t->esp_enc_key.in, 16, 0x50);
	key_fill(&t->esp_enc_key.out, 16, 0x60);
	t->ah_spi.in = 0x201;
	t->ah_spi.out = 0x200;
	t->esp_spi.in = 0x101;
	t->esp_spi.out = 0x100;
	t->lifetime = 0;
	t->disabled = false;
	return (uint32_t)idx;
}

static void set_selector(struct gw_selector *s, bool *set, uint32_t addr, uint8_t len, uint16_t port)
{
	s->prefix.addr = addr;
	s->prefix.len = len;
	s->port = port;
	*set = true;
}

static uint32_t add_policy(struct gw_config *c, uint32_t src, uint8_t slen, uint32_t dst, uint8_t dlen,
			   enum gw_action action)
{
	int idx = gw_menu_append(c, GW_MENU_POLICY);
	struct gw_policy *p;

	assert_true(idx >= 0);
	p = &c->policies.v[idx];
	set_selector(&p->src_address, &p->src_address_set, src, slen, 0);
	set_selector(&p->dst_address, &p->dst_address_set, dst, dlen, 0);
	p->protocol = GW_PROTOCOL_ALL;
	p->action = action;
	p->disabled = false;
	return (uint32_t)idx;
}

/* An encrypt policy NET1 -> NET2 between GW_A and sa_dst with a template. */
static uint32_t add_encrypt(struct gw_config *c, uint32_t sa_dst, uint8_t protos, const char *tmpl)
{
	uint32_t idx = add_policy(c, NET1, 24, NET2, 24, GW_ACTION_ENCRYPT);
	struct gw_policy *p = &c->policies.v[idx];

	p->sa_src_address = GW_A;
	p->sa_dst_address = sa_dst;
	p->ipsec_protocols = protos;
	p->tunnel = true;
	snprintf(p->manual_sa, sizeof(p->manual_sa), "%s", tmpl);
	return idx;
}

static struct gw_tables *build(const struct gw_config *c, const struct gw_tables *prev, bool flush)
{
	struct gw_err err;
	struct gw_tables *t;

	memset(&err, 0, sizeof(err));
	t = gw_tables_build(c, prev, flush, &err);
	if (!t)
		fail_msg("gw_tables_build: %s", err.msg);
	return t;
}

static struct gw_sa *sa_at(const struct gw_tables *t, uint32_t i)
{
	assert_true(i < t->sad->n);
	return t->sad->sa[i];
}

static void assert_key(const struct gw_key *k, uint8_t len, uint8_t seed)
{
	struct gw_key want;

	memset(&want, 0, sizeof(want));
	key_fill(&want, len, seed);
	assert_int_equal(k->len, len);
	assert_memory_equal(k->bytes, want.bytes, len);
}

static void assert_id(const struct gw_sa *sa, uint32_t spi, enum gw_sa_dir dir, uint32_t src,
		      uint32_t dst, uint8_t proto)
{
	assert_int_equal(sa->id.spi, spi);
	assert_int_equal(sa->id.dir, dir);
	assert_int_equal(sa->id.src, src);
	assert_int_equal(sa->id.dst, dst);
	assert_int_equal(sa->id.proto, proto);
}

/* ---- derivation */

static void test_manual_esp(void **state)
{
	struct gw_config c;
	struct gw_tables *t;
	struct gw_sa_view v[4];
	const struct gw_spd_policy *sp;
	time_t before = time(NULL);
	(void)state;

	cfg_init(&c);
	add_template(&c, "sa1");
	c.manual_sas.v[0].lifetime = 1800;
	add_encrypt(&c, GW_B, GW_PROTO_ESP, "sa1");
	t = build(&c, NULL, false);

	assert_int_equal(gw_tables_sa_views(t, NULL, 0), 2);
	assert_int_equal(gw_tables_sa_views(t, v, 4), 2);
	/* OUT: out SPI, sa-src -> sa-dst, out keys */
	assert_int_equal(v[0].flags, GW_SA_FLAG_MANUAL | GW_SA_FLAG_ESP);
	assert_int_equal(v[0].spi, 0x100);
	assert_int_equal(v[0].direction, GW_SA_OUT);
	assert_int_equal(v[0].src_address, GW_A);
	assert_int_equal(v[0].dst_address, GW_B);
	assert_int_equal(v[0].enc_algorithm, GW_ENC_AES128_CBC);
	assert_int_equal(v[0].auth_algorithm, GW_AUTH_SHA256);
	assert_key(&v[0].enc_key, 16, 0x60);
	assert_key(&v[0].auth_key, 32, 0x40);
	assert_int_equal(v[0].state, GW_SA_MATURE);
	assert_int_equal(v[0].replay_bytes, 4); /* 32-packet window: the seed's replay=4 */
	assert_int_equal(v[0].add_lifetime_hard, 1800);
	assert_int_equal(v[0].add_lifetime_soft, 0);
	assert_int_equal(v[0].lifebytes_hard, 0);
	assert_true(v[0].current_addtime >= before && v[0].current_addtime <= time(NULL));
	assert_int_equal(v[0].current_usetime, 0);
	assert_int_equal(v[0].current_bytes, 0);
	/* IN: in SPI, sa-dst -> sa-src, in keys */
	assert_int_equal(v[1].flags, GW_SA_FLAG_MANUAL | GW_SA_FLAG_ESP);
	assert_int_equal(v[1].spi, 0x101);
	assert_int_equal(v[1].direction, GW_SA_IN);
	assert_int_equal(v[1].src_address, GW_B);
	assert_int_equal(v[1].dst_address, GW_A);
	assert_key(&v[1].enc_key, 16, 0x50);
	assert_key(&v[1].auth_key, 32, 0x30);
	assert_int_equal(v[1].state, GW_SA_MATURE);
	assert_true(sa_at(t, 0)->p.tunnel);

	/* inbound lookup: (SPI, dst, ESP) of the IN SA only */
	assert_ptr_equal(gw_sad_lookup_in(t->sad, 0x101, GW_A, IPPROTO_ESP, GW_B), sa_at(t, 1));
	assert_null(gw_sad_lookup_in(t->sad, 0x100, GW_B, IPPROTO_ESP, GW_A)); /* an OUT SA */
	assert_null(gw_sad_lookup_in(t->sad, 0x101, GW_A, IPPROTO_AH, GW_B));
	assert_null(gw_sad_lookup_in(t->sad, 0x101, GW_B, IPPROTO_ESP, GW_A));

	/* the policy points at its SAs */
	sp = gw_spd_lookup(t->spd, IP(198, 18, 1, 7), IP(198, 18, 2, 7), IPPROTO_ICMP, 0, 0);
	assert_non_null(sp);
	assert_ptr_equal(sp->out_esp, sa_at(t, 0));
	assert_ptr_equal(sp->in_esp, sa_at(t, 1));
	assert_null(sp->out_ah);
	assert_null(sp->in_ah);
	assert_true(gw_spd_policy_has_in_sa(sp, sa_at(t, 1)));
	assert_false(gw_spd_policy_has_in_sa(sp, sa_at(t, 0)));

	gw_tables_retire(t, NULL);
	gw_config_free(&c);
}

static void test_manual_ah(void **state)
{
	struct gw_config c;
	struct gw_tables *t;
	struct gw_sa_view v[2];
	(void)state;

	cfg_init(&c);
	add_template(&c, "ah-sa1");
	add_encrypt(&c, GW_B, GW_PROTO_AH, "ah-sa1");
	t = build(&c, NULL, false);

	assert_int_equal(gw_tables_sa_views(t, v, 2), 2);
	assert_int_equal(v[0].flags, GW_SA_FLAG_MANUAL | GW_SA_FLAG_AH);
	assert_int_equal(v[0].spi, 0x200);
	assert_int_equal(v[0].direction, GW_SA_OUT);
	assert_int_equal(v[0].src_address, GW_A);
	assert_int_equal(v[0].dst_address, GW_B);
	assert_int_equal(v[0].auth_algorithm, GW_AUTH_SHA1);
	assert_int_equal(v[0].enc_algorithm, GW_ENC_NULL);
	assert_key(&v[0].auth_key, 20, 0x20);
	assert_int_equal(v[0].enc_key.len, 0);
	assert_int_equal(v[1].spi, 0x201);
	assert_int_equal(v[1].direction, GW_SA_IN);
	assert_int_equal(v[1].src_address, GW_B);
	assert_int_equal(v[1].dst_address, GW_A);
	assert_key(&v[1].auth_key, 20, 0x10);
	assert_int_equal(sa_at(t, 1)->id.proto, IPPROTO_AH);
	assert_ptr_equal(t->spd->p[0].out_ah, sa_at(t, 0));
	assert_ptr_equal(t->spd->p[0].in_ah, sa_at(t, 1));
	assert_null(t->spd->p[0].out_esp);

	gw_tables_retire(t, NULL);
	gw_config_free(&c);
}

static void test_manual_ah_esp(void **state)
{
	struct gw_config c;
	struct gw_tables *t;
	(void)state;

	cfg_init(&c);
	add_template(&c, "sa1");
	add_encrypt(&c, GW_B, GW_PROTO_AH | GW_PROTO_ESP, "sa1");
	t = build(&c, NULL, false);

	assert_int_equal(t->sad->n, 4);
	assert_id(sa_at(t, 0), 0x200, GW_SA_OUT, GW_A, GW_B, IPPROTO_AH);
	assert_id(sa_at(t, 1), 0x201, GW_SA_IN, GW_B, GW_A, IPPROTO_AH);
	assert_id(sa_at(t, 2), 0x100, GW_SA_OUT, GW_A, GW_B, IPPROTO_ESP);
	assert_id(sa_at(t, 3), 0x101, GW_SA_IN, GW_B, GW_A, IPPROTO_ESP);
	assert_ptr_equal(t->spd->p[0].out_ah, sa_at(t, 0));
	assert_ptr_equal(t->spd->p[0].in_ah, sa_at(t, 1));
	assert_ptr_equal(t->spd->p[0].out_esp, sa_at(t, 2));
	assert_ptr_equal(t->spd->p[0].in_esp, sa_at(t, 3));
	assert_ptr_equal(gw_sad_lookup_in(t->sad, 0x201, GW_A, IPPROTO_AH, GW_B), sa_at(t, 1));
	assert_ptr_equal(gw_sad_lookup_in(t->sad, 0x101, GW_A, IPPROTO_ESP, GW_B), sa_at(t, 3));

	gw_tables_retire(t, NULL);
	gw_config_free(&c);
}

/* "You can reference same manual-sa template from several policies ...
 * each SA is distinguished by its source, destination, protocol, SPI and
 * direction": the same identity twice is one SA. */
static void test_shared_template(void **state)
{
	struct gw_config c;
	struct gw_tables *t;
	uint32_t p2;
	(void)state;

	cfg_init(&c);
	add_template(&c, "sa1");
	add_encrypt(&c, GW_B, GW_PROTO_ESP, "sa1");
	p2 = add_encrypt(&c, GW_B, GW_PROTO_ESP, "sa1");
	c.policies.v[p2].dst_address.prefix.addr = IP(198, 18, 3, 0); /* another network */
	add_encrypt(&c, GW_C, GW_PROTO_ESP, "sa1"); /* another peer: other SAs */
	t = build(&c, NULL, false);

	assert_int_equal(t->sad->n, 4);
	assert_ptr_equal(t->spd->p[0].out_esp, t->spd->p[1].out_esp);
	assert_ptr_equal(t->spd->p[0].in_esp, t->spd->p[1].in_esp);
	assert_ptr_not_equal(t->spd->p[0].out_esp, t->spd->p[2].out_esp);
	assert_id(t->spd->p[2].out_esp, 0x100, GW_SA_OUT, GW_A, GW_C, IPPROTO_ESP);
	assert_id(t->spd->p[2].in_esp, 0x101, GW_SA_IN, GW_C, GW_A, IPPROTO_ESP);
	assert_int_equal(sa_at(t, 0)->policy_uid, c.policies.v[0].uid);
	/* same in SPI and dst from two peers: the source picks the SA */
	assert_ptr_equal(gw_sad_lookup_in(t->sad, 0x101, GW_A, IPPROTO_ESP, GW_B), t->spd->p[0].in_esp);
	assert_ptr_equal(gw_sad_lookup_in(t->sad, 0x101, GW_A, IPPROTO_ESP, GW_C), t->spd->p[2].in_esp);

	gw_tables_retire(t, NULL);
	gw_config_free(&c);
}

/* Two templates that give the same identity with other keys: one SA can be
 * installed, the first policy's (and a warning is logged). */
static void test_conflicting_templates(void **state)
{
	struct gw_config c;
	struct gw_tables *t;
	(void)state;

	cfg_init(&c);
	add_template(&c, "first");
	add_template(&c, "second");
	c.manual_sas.v[1].esp_enc_key.out.bytes[0] ^= 0xff;
	add_encrypt(&c, GW_B, GW_PROTO_ESP, "first");
	add_encrypt(&c, GW_B, GW_PROTO_ESP, "second");
	t = build(&c, NULL, false);
	assert_int_equal(t->sad->n, 2);
	assert_key(&sa_at(t, 0)->p.enc_key, 16, 0x60);
	assert_ptr_equal(t->spd->p[1].out_esp, sa_at(t, 0));
	gw_tables_retire(t, NULL);
	gw_config_free(&c);
}

static void test_disabled_yields_nothing(void **state)
{
	struct gw_config c;
	struct gw_tables *t;
	uint32_t p;
	(void)state;

	cfg_init(&c);
	add_template(&c, "on");
	add_template(&c, "off");
	c.manual_sas.v[1].disabled = true;
	p = add_encrypt(&c, GW_B, GW_PROTO_ESP, "on");
	c.policies.v[p].disabled = true;                  /* disabled policy */
	add_encrypt(&c, GW_B, GW_PROTO_ESP, "off");       /* disabled template */
	add_encrypt(&c, GW_B, GW_PROTO_ESP, "missing");   /* unknown template */
	add_encrypt(&c, GW_B, GW_PROTO_ESP, "");          /* manual-sa=none: IKE's */
	p = add_encrypt(&c, GW_B, GW_PROTO_ESP, "on");
	c.policies.v[p].action = GW_ACTION_ACCEPT;        /* not encrypt */
	t = build(&c, NULL, false);

	assert_int_equal(gw_tables_sa_views(t, NULL, 0), 0);
	assert_int_equal(t->spd->n, 4); /* the disabled policy is not compiled */
	for (p = 0; p < t->spd->n; p++) {
		assert_null(t->spd->p[p].out_esp);
		assert_null(t->spd->p[p].in_esp);
	}
	assert_int_equal(t->spd->p[0].cfg_index, 1);

	gw_tables_retire(t, NULL);
	gw_config_free(&c);
}

/* The seed's "tunnel mode AH with manual keying" on both routers, typed as
 * the seed types it: Router 1's OUT SA is Router 2's IN SA and vice versa. */
static void seed_router(struct gw_config *c, const char *spi, const char *sa_src, const char *sa_dst,
			const char *src, const char *dst)
{
	struct gw_err err;
	int t, p;

	cfg_init(c);
	t = gw_menu_append(c, GW_MENU_MANUAL_SA);
	p = gw_menu_append(c, GW_MENU_POLICY);
	assert_true(t >= 0 && p >= 0);
	memset(&err, 0, sizeof(err));
#define SET(menu, obj, k, v) \
	assert_int_equal(gw_field_set(menu, obj, k, v, &err), 0)
	SET(GW_MENU_MANUAL_SA, &c->manual_sas.v[t], "name", "ah-sa1");
	SET(GW_MENU_MANUAL_SA, &c->manual_sas.v[t], "ah-spi", spi);
	/* The seed writes ah-key=abcfed with no ah-algorithm; AH needs one
	 * (validation refuses null), so the example names md5 and a 16-byte key. */
	SET(GW_MENU_MANUAL_SA, &c->manual_sas.v[t], "ah-algorithm", "md5");
	SET(GW_MENU_MANUAL_SA, &c->manual_sas.v[t], "ah-key", "abcfed00112233445566778899aabbcc");
	SET(GW_MENU_POLICY, &c->policies.v[p], "src-address", src);
	SET(GW_MENU_POLICY, &c->policies.v[p], "dst-address", dst);
	SET(GW_MENU_POLICY, &c->policies.v[p], "action", "encrypt");
	SET(GW_MENU_POLICY, &c->policies.v[p], "ipsec-protocols", "ah");
	SET(GW_MENU_POLICY, &c->policies.v[p], "tunnel", "yes");
	SET(GW_MENU_POLICY, &c->policies.v[p], "sa-src", sa_src);
	SET(GW_MENU_POLICY, &c->policies.v[p], "sa-dst", sa_dst);
	SET(GW_MENU_POLICY, &c->policies.v[p], "manual-sa", "ah-sa1");
#undef SET
}

static void assert_same_sa(const struct gw_sa *a, const struct gw_sa *b)
{
	assert_int_equal(a->id.spi, b->id.spi);
	assert_int_equal(a->id.src, b->id.src);
	assert_int_equal(a->id.dst, b->id.dst);
	assert_int_equal(a->id.proto, b->id.proto);
	assert_int_not_equal(a->id.dir, b->id.dir);
	assert_true(gw_sa_params_equal(&a->p, &b->p));
}

/* A negotiated (IKE) SA for policy `uid`, as an IKE install would make it. */
static struct gw_sa *negotiated(uint32_t spi, enum gw_sa_dir dir, uint32_t uid, time_t added,
				enum gw_sa_state st)
{
	struct gw_sa_id id = {.spi = spi, .src = dir == GW_SA_OUT ? GW_A : GW_B,
			      .dst = dir == GW_SA_OUT ? GW_B : GW_A, .proto = IPPROTO_ESP,
			      .dir = (uint8_t)dir};
	struct gw_sa_params p = {.enc_alg = GW_ENC_AES128_CBC, .auth_alg = GW_AUTH_SHA1,
				 .tunnel = true, .flags = GW_SA_FLAG_ESP, .replay_window = 64};
	struct gw_sa *sa = gw_sa_new(&id, &p, uid, added);

	assert_non_null(sa);
	gw_sa_set_state(sa, st);
	return sa;
}

/* IKE's SAs join the SAD and the slots of their policy (by uid): mature
 * before dying, newer before older; an SA being replaced still belongs to
 * its policy; retiring keeps the SAs the caller still lists. */
static void test_negotiated_sas(void **state)
{
	struct gw_config c;
	struct gw_tables *t1, *t2;
	struct gw_sa *dyn[4];
	struct gw_err err;
	const struct gw_spd_policy *sp;
	uint32_t pi;
	(void)state;

	cfg_init(&c);
	pi = add_encrypt(&c, GW_B, GW_PROTO_ESP, "");
	dyn[0] = negotiated(0x5000, GW_SA_OUT, c.policies.v[pi].uid, 100, GW_SA_DYING);
	dyn[1] = negotiated(0x5001, GW_SA_IN, c.policies.v[pi].uid, 100, GW_SA_DYING);
	dyn[2] = negotiated(0x6000, GW_SA_OUT, c.policies.v[pi].uid, 200, GW_SA_MATURE);
	dyn[3] = negotiated(0x6001, GW_SA_IN, c.policies.v[pi].uid, 200, GW_SA_MATURE);
	memset(&err, 0, sizeof(err));
	t1 = gw_tables_build_dyn(&c, NULL, false, dyn, 4, &err);
	assert_non_null(t1);
	assert_int_equal(t1->sad->n, 4);
	sp = &t1->spd->p[0];
	assert_ptr_equal(sp->out_esp, dyn[2]);
	assert_ptr_equal(sp->in_esp, dyn[3]);
	/* the old inbound SA still decrypts and still matches its policy */
	assert_ptr_equal(gw_sad_lookup_in(t1->sad, 0x5001, GW_A, IPPROTO_ESP, GW_B), dyn[1]);
	assert_true(gw_spd_policy_has_in_sa(sp, dyn[1]));
	/* the old pair is deleted: gone from the next tables, freed with t1 */
	t2 = gw_tables_build_dyn(&c, t1, false, dyn + 2, 2, &err);
	assert_non_null(t2);
	assert_int_equal(t2->sad->n, 2);
	assert_null(gw_sad_lookup_in(t2->sad, 0x5001, GW_A, IPPROTO_ESP, GW_B));
	gw_tables_retire(t1, t2); /* frees dyn[0..1] (ASan would see a leak otherwise) */
	assert_ptr_equal(t2->spd->p[0].out_esp, dyn[2]);
	gw_tables_retire(t2, NULL);
	gw_config_free(&c);
}

/* An inbound SA of any key, for the SAD index tests. */
static struct gw_sa *in_sa(uint32_t spi, uint32_t src, uint32_t dst, uint8_t proto)
{
	struct gw_sa_id id = {.spi = spi, .src = src, .dst = dst, .proto = proto,
			      .dir = GW_SA_IN};
	struct gw_sa_params p = {.enc_alg = GW_ENC_AES128_CBC, .auth_alg = GW_AUTH_SHA1,
				 .tunnel = true, .replay_window = 64,
				 .flags = proto == IPPROTO_AH ? GW_SA_FLAG_AH : GW_SA_FLAG_ESP};
	struct gw_sa *sa = gw_sa_new(&id, &p, 1, 100);

	assert_non_null(sa);
	return sa;
}

/* The inbound index with thousands of keys that differ in a few bits
 * (sequential SPIs, neighbouring destinations, both protocols on one SPI
 * and destination): every SA is found under its own key and under no
 * other, and a key that is not there finds nothing. */
#define MANY_SPI 3000u
#define MANY_DST 300u

static void test_sad_many_inbound_keys(void **state)
{
	static struct gw_sa *dyn[MANY_SPI + 2 * MANY_DST];
	struct gw_config c;
	struct gw_tables *t;
	struct gw_err err;
	uint32_t i, n = 0;
	(void)state;

	cfg_init(&c);
	for (i = 0; i < MANY_SPI; i++)
		dyn[n++] = in_sa(0x10000 + i, GW_B, GW_A, IPPROTO_ESP);
	for (i = 0; i < MANY_DST; i++) {
		dyn[n++] = in_sa(0x4242, GW_B, IP(198, 19, i / 256, i % 256), IPPROTO_ESP);
		dyn[n++] = in_sa(0x4242, GW_B, IP(198, 19, i / 256, i % 256), IPPROTO_AH);
	}
	memset(&err, 0, sizeof(err));
	t = gw_tables_build_dyn(&c, NULL, false, dyn, n, &err);
	assert_non_null(t);
	assert_int_equal(t->sad->n, n);
	for (i = 0; i < MANY_SPI; i++) {
		assert_ptr_equal(gw_sad_lookup_in(t->sad, 0x10000 + i, GW_A, IPPROTO_ESP, GW_B), dyn[i]);
		/* the source only breaks ties: another one still finds the SA */
		assert_ptr_equal(gw_sad_lookup_in(t->sad, 0x10000 + i, GW_A, IPPROTO_ESP, GW_C), dyn[i]);
		assert_null(gw_sad_lookup_in(t->sad, 0x10000 + i, GW_A, IPPROTO_AH, GW_B));
		assert_null(gw_sad_lookup_in(t->sad, 0x10000 + i, GW_B, IPPROTO_ESP, GW_B));
	}
	assert_null(gw_sad_lookup_in(t->sad, 0x10000 + MANY_SPI, GW_A, IPPROTO_ESP, GW_B));
	assert_null(gw_sad_lookup_in(t->sad, 0xffff, GW_A, IPPROTO_ESP, GW_B));
	for (i = 0; i < MANY_DST; i++) {
		uint32_t dst = IP(198, 19, i / 256, i % 256);

		assert_ptr_equal(gw_sad_lookup_in(t->sad, 0x4242, dst, IPPROTO_ESP, GW_B),
				 dyn[MANY_SPI + 2 * i]);
		assert_ptr_equal(gw_sad_lookup_in(t->sad, 0x4242, dst, IPPROTO_AH, GW_B),
				 dyn[MANY_SPI + 2 * i + 1]);
		assert_null(gw_sad_lookup_in(t->sad, 0x4243, dst, IPPROTO_ESP, GW_B));
	}
	assert_null(gw_sad_lookup_in(t->sad, 0x4242, IP(198, 19, 1, 255), IPPROTO_ESP, GW_B));
	gw_tables_retire(t, NULL);
	gw_config_free(&c);
}

static void test_seed_ah_example(void **state)
{
	struct gw_config r1, r2;
	struct gw_tables *t1, *t2;
	(void)state;

	seed_router(&r1, "0x101/0x100", "198.18.200.1", "198.18.200.2", "198.19.110.0/24", "198.19.120.0/24");
	seed_router(&r2, "0x100/0x101", "198.18.200.2", "198.18.200.1", "198.19.120.0/24", "198.19.110.0/24");
	t1 = build(&r1, NULL, false);
	t2 = build(&r2, NULL, false);

	assert_int_equal(t1->sad->n, 2);
	assert_id(sa_at(t1, 0), 0x100, GW_SA_OUT, IP(198, 18, 200, 1), IP(198, 18, 200, 2), IPPROTO_AH);
	assert_id(sa_at(t1, 1), 0x101, GW_SA_IN, IP(198, 18, 200, 2), IP(198, 18, 200, 1), IPPROTO_AH);
	assert_int_equal(sa_at(t1, 0)->p.auth_key.len, 16);
	assert_memory_equal(sa_at(t1, 0)->p.auth_key.bytes, "\xab\xcf\xed\x00\x11", 5);
	assert_int_equal(sa_at(t1, 0)->p.flags, GW_SA_FLAG_MANUAL | GW_SA_FLAG_AH);
	assert_true(sa_at(t1, 0)->p.tunnel);
	assert_same_sa(sa_at(t1, 0), sa_at(t2, 1));
	assert_same_sa(sa_at(t1, 1), sa_at(t2, 0));
	/* Router 1 encrypts 198.19.110/24 -> 198.19.120/24; Router 2 checks it in reverse */
	assert_non_null(gw_spd_lookup(t1->spd, IP(198, 19, 110, 5), IP(198, 19, 120, 5), IPPROTO_UDP, 1, 2));
	assert_non_null(gw_spd_lookup_reverse(t2->spd, IP(198, 19, 110, 5), IP(198, 19, 120, 5), IPPROTO_UDP, 1, 2));

	gw_tables_retire(t1, NULL);
	gw_tables_retire(t2, NULL);
	gw_config_free(&r1);
	gw_config_free(&r2);
}

/* ---- rebuilds */

static void heat(struct gw_sa *sa)
{
	sa->hot.seq = 1000;
	sa->hot.bytes = 123456;
	sa->hot.packets = 99;
	sa->hot.first_use = 1700000000;
	sa->replay[0] = 0xf0f0;
}

static void assert_hot(const struct gw_sa *sa)
{
	assert_int_equal(sa->hot.seq, 1000);
	assert_int_equal(sa->hot.bytes, 123456);
	assert_int_equal(sa->hot.packets, 99);
	assert_int_equal(sa->hot.first_use, 1700000000);
	assert_int_equal(sa->replay[0], 0xf0f0);
}

static void assert_cold(const struct gw_sa *sa)
{
	assert_int_equal(sa->hot.seq, 0);
	assert_int_equal(sa->hot.bytes, 0);
	assert_int_equal(sa->hot.packets, 0);
	assert_int_equal(sa->hot.first_use, 0);
	assert_int_equal(sa->replay[0], 0);
	assert_int_equal(gw_sa_state(sa), GW_SA_MATURE);
}

static void test_reuse_keeps_hot_state(void **state)
{
	struct gw_config c;
	struct gw_tables *t1, *t2, *t3, *t4;
	uint32_t other;
	(void)state;

	cfg_init(&c);
	add_template(&c, "sa1");
	other = add_policy(&c, IP(198, 18, 9, 0), 24, IP(198, 18, 10, 0), 24, GW_ACTION_ACCEPT);
	add_encrypt(&c, GW_B, GW_PROTO_AH | GW_PROTO_ESP, "sa1");
	t1 = build(&c, NULL, false);
	heat(sa_at(t1, 2));
	heat(sa_at(t1, 3));

	/* An unrelated policy changes: every SA object is reused, state and all. */
	c.policies.v[other].dst_address.prefix.addr = IP(198, 18, 11, 0);
	t2 = build(&c, t1, false);
	assert_int_equal(t2->generation, t1->generation + 1);
	assert_int_equal(t2->sad->n, 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_ptr_equal(sa_at(t2, i), sa_at(t1, i));
	gw_tables_retire(t1, t2); /* must free nothing t2 holds (ASan) */
	assert_hot(sa_at(t2, 2));
	assert_hot(sa_at(t2, 3));
	assert_int_equal(t2->spd->p[1].out_esp->hot.bytes, 123456);

	/* The ESP out key changes: a new OUT SA with zeroed state; the IN SA,
	 * whose key did not change, stays. */
	c.manual_sas.v[0].esp_enc_key.out.bytes[0] ^= 0xff;
	t3 = build(&c, t2, false);
	assert_ptr_equal(sa_at(t3, 0), sa_at(t2, 0));
	assert_ptr_equal(sa_at(t3, 1), sa_at(t2, 1));
	assert_ptr_not_equal(sa_at(t3, 2), sa_at(t2, 2));
	assert_ptr_equal(sa_at(t3, 3), sa_at(t2, 3));
	assert_cold(sa_at(t3, 2));
	assert_hot(sa_at(t3, 3));
	assert_ptr_equal(t3->spd->p[1].out_esp, sa_at(t3, 2));
	gw_tables_retire(t2, t3); /* frees exactly the old ESP OUT SA */
	assert_hot(sa_at(t3, 3));

	/* installed-sa flush: every SA is new, with zeroed state. */
	heat(sa_at(t3, 2));
	t4 = build(&c, t3, true);
	for (uint32_t i = 0; i < 4; i++) {
		assert_ptr_not_equal(sa_at(t4, i), sa_at(t3, i));
		assert_id(sa_at(t4, i), sa_at(t3, i)->id.spi, (enum gw_sa_dir)sa_at(t3, i)->id.dir,
			  sa_at(t3, i)->id.src, sa_at(t3, i)->id.dst, sa_at(t3, i)->id.proto);
		assert_cold(sa_at(t4, i));
	}
	gw_tables_retire(t3, t4);
	gw_tables_retire(t4, NULL);
	gw_config_free(&c);
}

/* A parameter that is not a key also makes a new SA: the window size. */
static void test_window_change_is_new_sa(void **state)
{
	struct gw_config c;
	struct gw_tables *t1, *t2;
	(void)state;

	cfg_init(&c);
	add_template(&c, "sa1");
	add_encrypt(&c, GW_B, GW_PROTO_ESP, "sa1");
	t1 = build(&c, NULL, false);
	assert_int_equal(sa_at(t1, 1)->replay_buckets, 2); /* RFC 6479: window/64 + 1 */
	c.dataplane.replay_window = 1024;
	t2 = build(&c, t1, false);
	assert_ptr_not_equal(sa_at(t2, 1), sa_at(t1, 1));
	assert_int_equal(sa_at(t2, 1)->replay_buckets, 32); /* 16 + 1, rounded up */
	sa_at(t2, 1)->replay[31] = 1; /* the whole bitmap is ours (ASan) */
	gw_tables_retire(t1, t2);
	gw_tables_retire(t2, NULL);
	gw_config_free(&c);
}

/* A failed build frees what it made and leaves prev whole. */
static void test_failed_build_leaves_prev(void **state)
{
	struct gw_config c;
	struct gw_tables *t1, *t2;
	struct gw_err err;
	uint32_t p;
	(void)state;

	cfg_init(&c);
	add_template(&c, "sa1");
	add_encrypt(&c, GW_B, GW_PROTO_ESP, "sa1");
	t1 = build(&c, NULL, false);
	heat(sa_at(t1, 0));
	c.manual_sas.v[0].esp_spi.out = 0x999; /* would be a new SA */
	p = add_policy(&c, NET1, 24, NET2, 24, GW_ACTION_DROP);
	c.policies.v[p].uid = c.policies.v[0].uid; /* a broken config */
	memset(&err, 0, sizeof(err));
	t2 = gw_tables_build(&c, t1, false, &err);
	assert_null(t2);
	assert_non_null(strstr(err.msg, "uid"));
	assert_hot(sa_at(t1, 0));
	gw_tables_retire(t1, NULL);
	gw_config_free(&c);
}

/* ---- policy stats */

static void bump(const struct gw_tables *t, uint32_t uid, unsigned worker, enum gw_pctr what,
		 uint64_t n)
{
	struct gw_policy_counters *pc = gw_spd_counters(t->spd, uid);

	assert_non_null(pc);
	gw_policy_count(pc, worker, what, n);
}

static void test_policy_stats_by_uid(void **state)
{
	struct gw_config c;
	struct gw_tables *t1, *t2, *t3, *t4;
	struct gw_policy_stats s;
	struct gw_policy tmp;
	uint32_t uid_a, uid_b;
	(void)state;

	cfg_init(&c);
	add_template(&c, "sa1");
	add_encrypt(&c, GW_B, GW_PROTO_ESP, "sa1");
	add_policy(&c, NET2, 24, NET1, 24, GW_ACTION_DROP);
	uid_a = c.policies.v[0].uid;
	uid_b = c.policies.v[1].uid;
	assert_int_not_equal(uid_a, uid_b);
	t1 = build(&c, NULL, false);
	assert_ptr_equal(t1->spd->p[0].counters, gw_spd_counters(t1->spd, uid_a));
	bump(t1, uid_a, 0, GW_PCTR_ENCRYPTED, 5);
	bump(t1, uid_a, 1, GW_PCTR_ENCRYPTED, 2);
	bump(t1, uid_a, GW_MAX_WORKERS - 1, GW_PCTR_DECRYPTED, 7);
	bump(t1, uid_b, 0, GW_PCTR_OUT_DROPPED, 3);

	/* reorder: the stats follow the uid, not the position */
	tmp = c.policies.v[0];
	c.policies.v[0] = c.policies.v[1];
	c.policies.v[1] = tmp;
	t2 = build(&c, t1, false);
	gw_tables_retire(t1, t2);
	assert_int_equal(t2->spd->p[1].uid, uid_a);
	gw_tables_policy_stats(t2, uid_a, &s);
	assert_int_equal(s.ph2_state, GW_PH2_NO_PHASE2);
	assert_int_equal(s.encrypted, 7);
	assert_int_equal(s.decrypted, 7);
	assert_int_equal(s.out_dropped, 0);
	gw_tables_policy_stats(t2, uid_b, &s);
	assert_int_equal(s.out_dropped, 3);
	assert_int_equal(s.encrypted, 0);

	/* disable A: its block stays (not compiled, still printable) */
	c.policies.v[1].disabled = true;
	t3 = build(&c, t2, false);
	gw_tables_retire(t2, t3);
	assert_int_equal(t3->spd->n, 1);
	gw_tables_policy_stats(t3, uid_a, &s);
	assert_int_equal(s.encrypted, 7);

	/* remove B: A keeps its stats; B's block is freed at retire (LSan) */
	gw_menu_remove(&c, GW_MENU_POLICY, 0);
	c.policies.v[0].disabled = false;
	t4 = build(&c, t3, false);
	gw_tables_retire(t3, t4);
	gw_tables_policy_stats(t4, uid_a, &s);
	assert_int_equal(s.encrypted, 7);
	gw_tables_policy_stats(t4, uid_b, &s);
	assert_int_equal(s.out_dropped, 0); /* unknown uid: zeroes */

	/* reset starts from zero without touching the workers' slots */
	gw_tables_reset_stats(t4);
	gw_tables_policy_stats(t4, uid_a, &s);
	assert_int_equal(s.encrypted, 0);
	assert_int_equal(s.decrypted, 0);
	bump(t4, uid_a, 1, GW_PCTR_ENCRYPTED, 1);
	gw_tables_policy_stats(t4, uid_a, &s);
	assert_int_equal(s.encrypted, 1);

	gw_tables_retire(t4, NULL);
	gw_config_free(&c);
}

/* ---- SPD matching */

static void test_spd_first_match(void **state)
{
	struct gw_config c;
	struct gw_tables *t;
	const struct gw_spd_policy *m;
	uint32_t p;
	(void)state;

	cfg_init(&c);
	add_policy(&c, IP(198, 18, 1, 5), 32, NET2, 24, GW_ACTION_ACCEPT);            /* 0 */
	p = add_policy(&c, NET1, 24, NET2, 24, GW_ACTION_DROP);                         /* disabled */
	c.policies.v[p].disabled = true;
	add_encrypt(&c, GW_B, GW_PROTO_ESP, "");                                        /* 1 */
	p = add_policy(&c, IP(198, 18, 0, 0), 15, IP(198, 18, 3, 1), 32, GW_ACTION_DROP); /* 2 */
	c.policies.v[p].protocol = IPPROTO_TCP;
	c.policies.v[p].dst_address.port = 22;
	p = add_policy(&c, 0, 0, 0, 0, GW_ACTION_ACCEPT);                               /* 3: sa defaults */
	c.policies.v[p].src_address_set = false;
	c.policies.v[p].dst_address_set = false;
	c.policies.v[p].sa_src_address = IP(198, 18, 7, 1);
	c.policies.v[p].sa_dst_address = IP(198, 18, 7, 2);
	t = build(&c, NULL, false);
	assert_int_equal(t->spd->n, 4);

	m = gw_spd_lookup(t->spd, IP(198, 18, 1, 5), IP(198, 18, 2, 9), IPPROTO_UDP, 1000, 53);
	assert_ptr_equal(m, &t->spd->p[0]);
	m = gw_spd_lookup(t->spd, IP(198, 18, 1, 6), IP(198, 18, 2, 9), IPPROTO_UDP, 1000, 53);
	assert_ptr_equal(m, &t->spd->p[1]);
	assert_int_equal(m->action, GW_ACTION_ENCRYPT);
	m = gw_spd_lookup(t->spd, IP(198, 18, 1, 6), IP(198, 18, 3, 1), IPPROTO_TCP, 40000, 22);
	assert_ptr_equal(m, &t->spd->p[2]);
	assert_null(gw_spd_lookup(t->spd, IP(198, 18, 1, 6), IP(198, 18, 3, 1), IPPROTO_TCP, 40000, 23));
	assert_null(gw_spd_lookup(t->spd, IP(198, 18, 1, 6), IP(198, 18, 3, 1), IPPROTO_UDP, 40000, 22));
	assert_null(gw_spd_lookup(t->spd, IP(198, 20, 1, 6), IP(198, 18, 3, 1), IPPROTO_TCP, 40000, 22));
	/* unset addresses default to sa-src-address/32 and sa-dst-address/32 */
	m = gw_spd_lookup(t->spd, IP(198, 18, 7, 1), IP(198, 18, 7, 2), IPPROTO_ICMP, 0, 0);
	assert_ptr_equal(m, &t->spd->p[3]);
	assert_null(gw_spd_lookup(t->spd, IP(198, 18, 7, 3), IP(198, 18, 7, 2), IPPROTO_ICMP, 0, 0));
	/* nothing matches a packet the other way round... */
	assert_null(gw_spd_lookup(t->spd, IP(198, 18, 2, 9), IP(198, 18, 1, 6), IPPROTO_UDP, 53, 1000));

	/* ...except the reverse lookup (incoming policy check) */
	m = gw_spd_lookup_reverse(t->spd, IP(198, 18, 2, 9), IP(198, 18, 1, 6), IPPROTO_UDP, 53, 1000);
	assert_ptr_equal(m, &t->spd->p[1]);
	m = gw_spd_lookup_reverse(t->spd, IP(198, 18, 2, 9), IP(198, 18, 1, 5), IPPROTO_UDP, 53, 1000);
	assert_ptr_equal(m, &t->spd->p[0]);
	m = gw_spd_lookup_reverse(t->spd, IP(198, 18, 3, 1), IP(198, 18, 1, 6), IPPROTO_TCP, 22, 40000);
	assert_ptr_equal(m, &t->spd->p[2]);
	assert_null(gw_spd_lookup_reverse(t->spd, IP(198, 18, 3, 1), IP(198, 18, 1, 6), IPPROTO_TCP, 40000, 22));
	assert_null(gw_spd_lookup_reverse(t->spd, IP(198, 18, 1, 6), IP(198, 18, 2, 9), IPPROTO_UDP, 1000, 53));

	gw_tables_retire(t, NULL);
	gw_config_free(&c);
}

static void test_empty_config(void **state)
{
	struct gw_config c;
	struct gw_tables *t;
	struct gw_policy_stats s;
	(void)state;

	cfg_init(&c);
	t = build(&c, NULL, false);
	assert_int_equal(t->generation, 1);
	assert_int_equal(t->spd->n, 0);
	assert_null(gw_spd_lookup(t->spd, 1, 2, 6, 3, 4));
	assert_null(gw_sad_lookup_in(t->sad, 0x100, 1, IPPROTO_ESP, 2));
	assert_int_equal(gw_tables_sa_views(t, NULL, 0), 0);
	gw_tables_policy_stats(t, 42, &s);
	assert_int_equal(s.encrypted, 0);
	gw_tables_retire(t, NULL);
	gw_config_free(&c);
}

/* ---- global counters */

static void test_worker_counters(void **state)
{
	struct gw_worker_counters *w = gw_worker_counters_alloc(2);
	struct gw_counters s;
	struct gw_drop_view d[GW_DROP_COUNT];
	unsigned k;
	(void)state;

	assert_non_null(w);
	assert_int_equal((uintptr_t)w % RTE_CACHE_LINE_SIZE, 0);
	assert_int_equal(sizeof(*w) % RTE_CACHE_LINE_SIZE, 0);
	gw_count(&w[0], GW_CTR_OUT_ENCRYPT, 3);
	gw_count(&w[1], GW_CTR_OUT_ENCRYPT, 4);
	gw_count(&w[1], GW_CTR_IN_DROP_ENCRYPTED_EXPECTED, 1);
	gw_count(&w[0], GW_CTR_DROP_RX_OTHER, 9);
	gw_count(&w[1], GW_CTR_DROP_BAD_SPI, 2);
	gw_worker_counters_sum(w, 2, &s);
	assert_int_equal(s.out_encrypt, 7);
	assert_int_equal(s.in_drop_encrypted_expected, 1);
	assert_int_equal(s.out_accept, 0);
	assert_int_equal(gw_worker_drops_sum(w, 2, d, GW_DROP_COUNT), 10);
	assert_string_equal(d[0].name, "bad-spi");
	assert_int_equal(d[0].count, 2);
	assert_string_equal(d[GW_DROP_COUNT - 1].name, "rx-other");
	assert_int_equal(d[GW_DROP_COUNT - 1].count, 9);
	for (k = 0; k < GW_CTR_COUNT; k++)
		assert_non_null(gw_ctr_name((enum gw_ctr)k));
	assert_string_equal(gw_ctr_name(GW_CTR_IN_DROP_ENCRYPTED_EXPECTED), "in-drop-encrypted-expected");

	gw_worker_counters_reset(w, 2);
	gw_worker_counters_sum(w, 2, &s);
	assert_int_equal(s.out_encrypt, 0);
	gw_count(&w[0], GW_CTR_OUT_ENCRYPT, 1);
	gw_worker_counters_sum(w, 2, &s);
	assert_int_equal(s.out_encrypt, 1);
	gw_worker_drops_sum(w, 2, d, GW_DROP_COUNT);
	assert_int_equal(d[GW_DROP_COUNT - 1].count, 0);
	gw_worker_counters_free(w);
}

/* The hot state sits in its own cache lines, away from the parameters. */
static void test_sa_layout(void **state)
{
	(void)state;
	assert_int_equal(offsetof(struct gw_sa, hot) % RTE_CACHE_LINE_SIZE, 0);
	assert_int_equal(offsetof(struct gw_sa, replay) % RTE_CACHE_LINE_SIZE, 0);
	assert_true(offsetof(struct gw_sa, hot) >= offsetof(struct gw_sa, crypto) + sizeof(void *));
	assert_int_equal(sizeof(struct gw_pctr_slot), RTE_CACHE_LINE_SIZE);
	assert_int_equal(offsetof(struct gw_policy_counters, w) % RTE_CACHE_LINE_SIZE, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manual_esp),
		cmocka_unit_test(test_manual_ah),
		cmocka_unit_test(test_manual_ah_esp),
		cmocka_unit_test(test_shared_template),
		cmocka_unit_test(test_conflicting_templates),
		cmocka_unit_test(test_disabled_yields_nothing),
		cmocka_unit_test(test_seed_ah_example),
		cmocka_unit_test(test_reuse_keeps_hot_state),
		cmocka_unit_test(test_window_change_is_new_sa),
		cmocka_unit_test(test_failed_build_leaves_prev),
		cmocka_unit_test(test_policy_stats_by_uid),
		cmocka_unit_test(test_spd_first_match),
		cmocka_unit_test(test_negotiated_sas),
		cmocka_unit_test(test_sad_many_inbound_keys),
		cmocka_unit_test(test_empty_config),
		cmocka_unit_test(test_worker_counters),
		cmocka_unit_test(test_sa_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

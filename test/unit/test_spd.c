/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SPD's lookup index (dataplane/spd.c) against a reference: a plain
 * first-match scan over the config's policies, written here from the
 * seed's rules and not from the compiled SPD. Randomized policy lists
 * (overlapping prefixes, ports, protocols, "any", disabled entries) and
 * random packets, forward and reverse; a big SPD; rebuilds that must free
 * the old index (run under ASan/LSan); the template index of the table
 * build; name checks of the whole-config validation.
 * No EAL: the tables are plain memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fields.h"
#include "model.h"
#include "tables.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* Test addresses: 198.18.0.0/15 (RFC 2544 benchmarking range). */
#define NET IP(198, 18, 0, 0)
#define GW_A IP(198, 19, 255, 1)
#define GW_B IP(198, 19, 255, 2)

/* xorshift32: the same sequence on every run and machine. */
static uint32_t rng_state;

static uint32_t rnd(void)
{
	uint32_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return rng_state = x;
}

static uint32_t pick(const uint32_t *v, size_t n)
{
	return v[rnd() % n];
}

/* ---- the reference: the seed's first match, straight from the config */

static bool selector_matches(struct gw_selector s, uint32_t addr, uint16_t port)
{
	uint32_t mask = gw_prefix_mask(s.prefix.len);

	return (addr & mask) == (s.prefix.addr & mask) && (s.port == 0 || s.port == port);
}

static int reference_lookup(const struct gw_config *c, uint32_t src, uint32_t dst, uint8_t proto,
			    uint16_t sport, uint16_t dport)
{
	for (uint32_t i = 0; i < c->policies.n; i++) {
		const struct gw_policy *p = &c->policies.v[i];

		if (p->disabled)
			continue;
		if (selector_matches(gw_policy_src_selector(p), src, sport) &&
		    selector_matches(gw_policy_dst_selector(p), dst, dport) &&
		    (p->protocol == GW_PROTOCOL_ALL || p->protocol == proto))
			return (int)i;
	}
	return -1;
}

static int cfg_index_of(const struct gw_spd_policy *sp)
{
	return sp ? (int)sp->cfg_index : -1;
}

/* ---- random policy lists and packets */

static const uint32_t prefix_lens[] = {0, 8, 15, 16, 20, 24, 24, 28, 31, 32, 32};
static const uint32_t protos[] = {GW_PROTOCOL_ALL, GW_PROTOCOL_ALL, IPPROTO_TCP, IPPROTO_UDP,
				  IPPROTO_UDP, IPPROTO_ICMP};
static const uint32_t ports[] = {0, 0, 0, 53, 80, 500, 4500};
static const uint32_t pkt_protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ESP};

/* An address of the test range, from a small pool of /24s so that the
 * prefixes of different policies overlap often. */
static uint32_t rnd_addr(void)
{
	return NET | (rnd() % 2) << 16 | (rnd() % 4) << 8 | (rnd() % 8);
}

static void rnd_selector(struct gw_selector *s, bool *set)
{
	s->prefix.len = (uint8_t)pick(prefix_lens, RTE_DIM(prefix_lens));
	s->prefix.addr = rnd_addr() & gw_prefix_mask(s->prefix.len);
	s->port = (uint16_t)pick(ports, RTE_DIM(ports));
	*set = true;
}

static void add_random_policy(struct gw_config *c)
{
	int idx = gw_menu_append(c, GW_MENU_POLICY);
	struct gw_policy *p;

	assert_true(idx >= 0);
	p = &c->policies.v[idx];
	rnd_selector(&p->src_address, &p->src_address_set);
	rnd_selector(&p->dst_address, &p->dst_address_set);
	p->protocol = (uint16_t)pick(protos, RTE_DIM(protos));
	p->action = (enum gw_action)(rnd() % 3);
	p->disabled = rnd() % 10 == 0;
	if (p->action == GW_ACTION_ENCRYPT) {
		/* Some keep the seed's default selectors: the SA addresses /32. */
		p->sa_src_address = GW_A;
		p->sa_dst_address = GW_B;
		p->ipsec_protocols = GW_PROTO_ESP;
		p->tunnel = rnd() % 2;
		if (rnd() % 4 == 0)
			p->src_address_set = p->dst_address_set = false;
	}
}

struct pkt {
	uint32_t src, dst;
	uint8_t proto;
	uint16_t sport, dport;
};

/* Ports only for TCP/UDP, as path.c passes them. */
static void rnd_packet(struct pkt *k)
{
	k->src = rnd() % 8 ? rnd_addr() : rnd();
	k->dst = rnd() % 8 ? rnd_addr() : rnd();
	if (rnd() % 16 == 0)
		k->src = GW_A, k->dst = GW_B;
	k->proto = (uint8_t)pick(pkt_protos, RTE_DIM(pkt_protos));
	k->sport = k->dport = 0;
	if (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP) {
		k->sport = (uint16_t)(rnd() % 2 ? pick(ports, RTE_DIM(ports)) : rnd());
		k->dport = (uint16_t)(rnd() % 2 ? pick(ports, RTE_DIM(ports)) : rnd());
	}
}

static struct gw_tables *build(const struct gw_config *c, const struct gw_tables *prev)
{
	struct gw_err err;
	struct gw_tables *t;

	memset(&err, 0, sizeof(err));
	t = gw_tables_build(c, prev, false, &err);
	if (!t)
		fail_msg("gw_tables_build: %s", err.msg);
	return t;
}

static void cfg_init(struct gw_config *c)
{
	assert_int_equal(gw_config_init(c), 0);
	c->dataplane.replay_window = 32;
}

/* Every packet gets the reference's answer, both ways. */
static void check_packets(const struct gw_config *c, const struct gw_spd *spd, unsigned n_packets)
{
	for (unsigned i = 0; i < n_packets; i++) {
		struct pkt k;
		int want, got;

		rnd_packet(&k);
		want = reference_lookup(c, k.src, k.dst, k.proto, k.sport, k.dport);
		got = cfg_index_of(gw_spd_lookup(spd, k.src, k.dst, k.proto, k.sport, k.dport));
		if (want != got)
			fail_msg("forward %08x:%u -> %08x:%u proto %u: policy %d, want %d", k.src,
				 k.sport, k.dst, k.dport, k.proto, got, want);
		/* Reverse: the packet's source against dst-address and so on. */
		want = reference_lookup(c, k.dst, k.src, k.proto, k.dport, k.sport);
		got = cfg_index_of(gw_spd_lookup_reverse(spd, k.src, k.dst, k.proto, k.sport, k.dport));
		if (want != got)
			fail_msg("reverse %08x:%u -> %08x:%u proto %u: policy %d, want %d", k.src,
				 k.sport, k.dst, k.dport, k.proto, got, want);
	}
}

/* Each policy's own selector corner must find it or an earlier policy. */
static void check_policy_corners(const struct gw_config *c, const struct gw_spd *spd)
{
	for (uint32_t i = 0; i < c->policies.n; i++) {
		const struct gw_policy *p = &c->policies.v[i];
		struct gw_selector s = gw_policy_src_selector(p), d = gw_policy_dst_selector(p);
		uint8_t proto = p->protocol == GW_PROTOCOL_ALL ? IPPROTO_UDP : (uint8_t)p->protocol;
		int want = reference_lookup(c, s.prefix.addr, d.prefix.addr, proto, s.port, d.port);
		int got = cfg_index_of(gw_spd_lookup(spd, s.prefix.addr, d.prefix.addr, proto, s.port,
						     d.port));

		assert_int_equal(got, want);
		assert_true(p->disabled || (want >= 0 && want <= (int)i));
	}
}

/* ---- tests */

static void run_random(unsigned n_policies, unsigned rounds)
{
	for (unsigned r = 0; r < rounds; r++) {
		struct gw_config c;
		struct gw_tables *t;

		cfg_init(&c);
		for (unsigned i = 0; i < n_policies; i++)
			add_random_policy(&c);
		t = build(&c, NULL);
		assert_int_equal(t->spd->index != NULL, t->spd->n > GW_SPD_LINEAR_MAX);
		check_packets(&c, t->spd, 4000);
		check_policy_corners(&c, t->spd);
		gw_tables_retire(t, NULL);
		gw_config_free(&c);
	}
}

static void test_random_small(void **state)
{
	(void)state;
	rng_state = 0x9e3779b9u;
	for (unsigned n = 0; n <= GW_SPD_LINEAR_MAX + 2; n++)
		run_random(n, 5);
}

static void test_random_medium(void **state)
{
	(void)state;
	rng_state = 0x2545f491u;
	run_random(40, 20);
	run_random(300, 10);
}

static void test_random_large(void **state)
{
	(void)state;
	rng_state = 0x6c8e9cf5u;
	run_random(3000, 3);
}

/* The tunnel's outer packets are looked up at build time through the index
 * too: the answer must be the linear one. */
static void test_outer_resolved(void **state)
{
	struct gw_config c;
	struct gw_tables *t;

	(void)state;
	rng_state = 0x1234567u;
	cfg_init(&c);
	for (unsigned i = 0; i < 200; i++)
		add_random_policy(&c);
	t = build(&c, NULL);
	for (uint32_t i = 0; i < t->spd->n; i++) {
		const struct gw_spd_policy *sp = &t->spd->p[i];

		if (!sp->outer_known)
			continue;
		assert_int_equal(cfg_index_of(sp->outer),
				 reference_lookup(&c, sp->sa_src, sp->sa_dst, IPPROTO_ESP, 0, 0));
	}
	gw_tables_retire(t, NULL);
	gw_config_free(&c);
}

/* Same selectors twice: the earlier policy shadows the later one. */
static void test_shadowed(void **state)
{
	struct gw_config c;
	struct gw_tables *t;

	(void)state;
	rng_state = 0xdeadbeefu;
	cfg_init(&c);
	for (unsigned i = 0; i < 20; i++) {
		int idx = gw_menu_append(&c, GW_MENU_POLICY);
		struct gw_policy *p = &c.policies.v[idx];

		p->src_address = (struct gw_selector){{NET, 16}, 0};
		p->dst_address = (struct gw_selector){{NET | (i % 10), 32}, (uint16_t)(i % 2 ? 80 : 0)};
		p->src_address_set = p->dst_address_set = true;
		p->protocol = i < 10 ? IPPROTO_TCP : GW_PROTOCOL_ALL;
		p->action = GW_ACTION_ACCEPT;
	}
	t = build(&c, NULL);
	assert_int_equal(cfg_index_of(gw_spd_lookup(t->spd, NET | 7, NET | 3, IPPROTO_TCP, 1, 80)), 3);
	assert_null(gw_spd_lookup(t->spd, NET | 7, NET | 3, IPPROTO_TCP, 1, 81));
	assert_int_equal(cfg_index_of(gw_spd_lookup(t->spd, NET | 7, NET | 4, IPPROTO_TCP, 1, 81)), 4);
	assert_int_equal(cfg_index_of(gw_spd_lookup(t->spd, NET | 7, NET | 3, IPPROTO_UDP, 1, 80)), 13);
	assert_int_equal(cfg_index_of(gw_spd_lookup(t->spd, NET | 7, NET | 4, IPPROTO_UDP, 1, 80)), 14);
	assert_null(gw_spd_lookup(t->spd, IP(198, 17, 0, 1), NET | 4, IPPROTO_UDP, 1, 80));
	check_packets(&c, t->spd, 2000);
	gw_tables_retire(t, NULL);
	gw_config_free(&c);
}

/* The bench's shape at 20 000 policies: one /24 to many hosts and ports;
 * the index has one tuple and every flow finds its own policy. */
static void add_host_policy(struct gw_config *c, uint32_t j)
{
	int idx = gw_menu_append(c, GW_MENU_POLICY);
	struct gw_policy *p = &c->policies.v[idx];

	p->src_address = (struct gw_selector){{NET, 24}, 0};
	p->dst_address = (struct gw_selector){{IP(198, 18, 128, 0) + (j & 0x3fff), 32},
					      (uint16_t)(1024 + (j >> 14))};
	p->src_address_set = p->dst_address_set = true;
	p->protocol = IPPROTO_UDP;
	p->action = j % 2 ? GW_ACTION_DROP : GW_ACTION_ACCEPT;
}

static void test_big_spd(void **state)
{
	const uint32_t n = 20000;
	struct gw_config c;
	struct gw_tables *t;

	(void)state;
	cfg_init(&c);
	for (uint32_t j = 0; j < n; j++)
		add_host_policy(&c, j);
	t = build(&c, NULL);
	assert_int_equal(t->spd->n, n);
	assert_int_equal(gw_spd_index_tuples(t->spd), 1);
	assert_true(gw_spd_index_bytes(t->spd) > 0);
	for (uint32_t j = 0; j < n; j++) {
		uint32_t host = IP(198, 18, 128, 0) + (j & 0x3fff);
		uint16_t port = (uint16_t)(1024 + (j >> 14));

		assert_int_equal(cfg_index_of(gw_spd_lookup(t->spd, NET | 9, host, IPPROTO_UDP, 5000, port)),
				 (int)j);
		assert_int_equal(cfg_index_of(gw_spd_lookup_reverse(t->spd, host, NET | 9, IPPROTO_UDP,
								    port, 5000)),
				 (int)j);
		assert_null(gw_spd_lookup(t->spd, NET | 9, host, IPPROTO_TCP, 5000, port));
		assert_null(gw_spd_lookup(t->spd, NET | 9, host, IPPROTO_UDP, 5000, (uint16_t)(port + 2)));
		assert_null(gw_spd_lookup(t->spd, host, NET | 9, IPPROTO_UDP, port, 5000));
	}
	gw_tables_retire(t, NULL);
	gw_config_free(&c);
}

/* A rebuild gives a new index; retiring the old generation frees its
 * index (LSan would report it otherwise) and the new one still answers. */
static void test_rebuild_frees_index(void **state)
{
	struct gw_config c;
	struct gw_tables *t1, *t2, *t3;

	(void)state;
	rng_state = 0xabcdef01u;
	cfg_init(&c);
	for (unsigned i = 0; i < 100; i++)
		add_random_policy(&c);
	t1 = build(&c, NULL);
	c.policies.v[3].disabled = !c.policies.v[3].disabled;
	t2 = build(&c, t1);
	assert_ptr_not_equal(t1->spd->index, t2->spd->index);
	gw_tables_retire(t1, t2);
	check_packets(&c, t2->spd, 2000);
	/* Down to a linear SPD and back. */
	c.policies.n = GW_SPD_LINEAR_MAX;
	t3 = build(&c, t2);
	assert_null(t3->spd->index);
	gw_tables_retire(t2, t3);
	check_packets(&c, t3->spd, 1000);
	gw_tables_retire(t3, NULL);
	gw_config_free(&c);
}

/* ---- the table build's template index */

static void add_template(struct gw_config *c, const char *name, bool disabled, uint32_t spi)
{
	int idx = gw_menu_append_unnamed(c, GW_MENU_MANUAL_SA);
	struct gw_manual_sa *t = &c->manual_sas.v[idx];

	snprintf(t->name, sizeof(t->name), "%s", name);
	t->disabled = disabled;
	t->esp_spi.in = spi + 1;
	t->esp_spi.out = spi;
}

static void add_named_policy(struct gw_config *c, const char *tmpl, bool disabled)
{
	int idx = gw_menu_append(c, GW_MENU_POLICY);
	struct gw_policy *p = &c->policies.v[idx];

	p->action = GW_ACTION_ENCRYPT;
	p->sa_src_address = GW_A;
	p->sa_dst_address = GW_B;
	p->ipsec_protocols = GW_PROTO_ESP;
	p->disabled = disabled;
	snprintf(p->manual_sa, sizeof(p->manual_sa), "%s", tmpl);
}

static void test_manual_sa_resolve(void **state)
{
	static const char *const refs[] = {"b", "a", "none", "", "zz", "off", "dup", "a"};
	struct gw_config c;
	const struct gw_manual_sa **of;

	(void)state;
	cfg_init(&c);
	add_template(&c, "dup", false, 0x1000);
	add_template(&c, "b", false, 0x2000);
	add_template(&c, "off", true, 0x3000);
	add_template(&c, "a", false, 0x4000);
	add_template(&c, "dup", false, 0x5000); /* unvalidated config: the first wins */
	for (size_t i = 0; i < RTE_DIM(refs); i++)
		add_named_policy(&c, refs[i], i == 7);
	of = gw_manual_sa_resolve(&c);
	assert_non_null(of);
	for (uint32_t i = 0; i < c.policies.n; i++)
		assert_ptr_equal(of[i], gw_manual_sa_of(&c, &c.policies.v[i]));
	assert_ptr_equal(of[0], &c.manual_sas.v[1]);
	assert_ptr_equal(of[6], &c.manual_sas.v[0]);
	assert_null(of[2]);
	assert_null(of[5]);
	assert_null(of[7]);
	free(of);
	gw_config_free(&c);
}

/* ---- whole-config name checks (sorted, not pairwise) */

static void add_interface(struct gw_config *c, const char *name, uint32_t addr)
{
	int idx = gw_menu_append(c, GW_MENU_INTERFACE);
	struct gw_interface *itf = &c->interfaces.v[idx];

	snprintf(itf->name, sizeof(itf->name), "%s", name);
	snprintf(itf->device, sizeof(itf->device), "net_null%d", idx);
	itf->address = (struct gw_prefix){addr, 24};
}

static void expect_names_error(const char *const *names, size_t n, const char *want)
{
	struct gw_config c;
	struct gw_err err;

	cfg_init(&c);
	for (size_t i = 0; i < n; i++)
		add_interface(&c, names[i], IP(198, 18, (uint32_t)i, 1));
	memset(&err, 0, sizeof(err));
	if (want) {
		assert_int_not_equal(gw_config_validate(&c, &err), 0);
		assert_string_equal(err.msg, want);
	} else if (gw_config_validate(&c, &err) != 0) {
		fail_msg("unexpected: %s", err.msg);
	}
	gw_config_free(&c);
}

static void test_check_names(void **state)
{
	static const char *const ok[] = {"a", "b", "c", "ab"};
	static const char *const later_dup[] = {"a", "b", "b", "a"};
	static const char *const empty_first[] = {"x", "", "x", ""};
	static const char *const dup_first[] = {"x", "y", "x", ""};

	(void)state;
	expect_names_error(ok, RTE_DIM(ok), NULL);
	/* The lowest offending index wins, named with the first holder. */
	expect_names_error(later_dup, RTE_DIM(later_dup),
			   "duplicate interface name \"b\": already used by interface 1");
	expect_names_error(empty_first, RTE_DIM(empty_first), "interface 1 has no name");
	expect_names_error(dup_first, RTE_DIM(dup_first),
			   "duplicate interface name \"x\": already used by interface 0");
}

/* 50 000 manual SAs with one duplicate near the end: found, and quickly
 * (pairwise checking took minutes at this size). */
static void test_check_names_many(void **state)
{
	struct gw_config c;
	struct gw_err err;
	char name[32];

	(void)state;
	cfg_init(&c);
	for (uint32_t i = 0; i < 50000; i++) {
		snprintf(name, sizeof(name), "t%u", i == 49990 ? 17 : i);
		add_template(&c, name, false, 0x1000 + 2 * i);
	}
	memset(&err, 0, sizeof(err));
	assert_int_not_equal(gw_config_validate(&c, &err), 0);
	assert_string_equal(err.msg, "duplicate manual-sa name \"t17\": already used by manual-sa 17");
	gw_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_small),
		cmocka_unit_test(test_random_medium),
		cmocka_unit_test(test_random_large),
		cmocka_unit_test(test_outer_resolved),
		cmocka_unit_test(test_shadowed),
		cmocka_unit_test(test_big_spd),
		cmocka_unit_test(test_rebuild_frees_index),
		cmocka_unit_test(test_manual_sa_resolve),
		cmocka_unit_test(test_check_names),
		cmocka_unit_test(test_check_names_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

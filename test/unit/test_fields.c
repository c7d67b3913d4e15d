/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The object model and field schema: every value grammar (good and bad),
 * every menu's defaults, print formats exactly as the seed manual shows them,
 * parse(format(x)) == x for every field, whole-config validation and clones.
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
#include "views.h"

static struct gw_config cfg;

static int setup(void **state)
{
	(void)state;
	return gw_config_init(&cfg);
}

static int teardown(void **state)
{
	(void)state;
	gw_config_free(&cfg);
	return 0;
}

/* ---- helpers */

static void set_ok(enum gw_menu m, void *obj, const char *key, const char *text)
{
	struct gw_err err = {.menu = -1};

	if (gw_field_set(m, obj, key, text, &err))
		fail_msg("%s %s=%s refused: %s", gw_menu_name(m), key, text, err.msg);
}

/* A refused value names its field, says why (want), and changes nothing. */
static void set_bad(enum gw_menu m, void *obj, const char *key, const char *text, const char *want)
{
	struct gw_err err = {.menu = -1, .index = -1};
	size_t size = gw_menu_obj_size(m);
	void *before = malloc(size);
	const struct gw_field *f = gw_field_find(m, key);

	assert_non_null(before);
	memcpy(before, obj, size);
	if (gw_field_set(m, obj, key, text, &err) == 0)
		fail_msg("%s %s=%s was accepted", gw_menu_name(m), key, text);
	if (!strstr(err.msg, want))
		fail_msg("%s=%s: message \"%s\" lacks \"%s\"", key, text, err.msg, want);
	assert_int_equal(err.menu, m);
	if (f)
		assert_string_equal(err.field, f->name);
	assert_memory_equal(before, obj, size);
	free(before);
}

static const char *fmt(enum gw_menu m, const void *obj, const char *key)
{
	static char buf[1024];
	const struct gw_field *f = gw_field_find(m, key);

	assert_non_null(f);
	gw_field_format(m, obj, f, buf, sizeof buf);
	return buf;
}

/* One object as RouterOS prints it: `key=value`, quoted where the field says. */
static const char *render(enum gw_menu m, const void *obj, unsigned flags)
{
	static char out[4096];
	size_t off = 0;
	unsigned n;
	const struct gw_field *f = gw_fields(m, &n);

	out[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		const char *q = f[i].flags & GW_FIELD_QUOTE ? "\"" : "";
		char v[1024];

		if (!(f[i].flags & flags))
			continue;
		gw_field_format(m, obj, &f[i], v, sizeof v);
		off += (size_t)snprintf(out + off, sizeof out - off, "%s%s=%s%s%s", off ? " " : "",
					f[i].name, q, v, q);
	}
	return out;
}

/* `MENU add k=v k="v" ...` on cfg; returns the new object's index. */
static uint32_t add(enum gw_menu m, const char *args)
{
	char *copy = strdup(args), *save = NULL;
	int idx = gw_menu_append(&cfg, m);

	assert_non_null(copy);
	assert_true(idx >= 0);
	for (char *kv = strtok_r(copy, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(kv, '='), *v;
		size_t n;

		assert_non_null(eq);
		*eq = '\0';
		v = eq + 1;
		n = strlen(v);
		if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
			v[n - 1] = '\0';
			v++;
		}
		set_ok(m, gw_menu_obj(&cfg, m, (uint32_t)idx), kv, v);
	}
	free(copy);
	return (uint32_t)idx;
}

static void *obj_at(enum gw_menu m, uint32_t idx)
{
	void *o = gw_menu_obj(&cfg, m, idx);

	assert_non_null(o);
	return o;
}

static void expect_invalid(int menu, int index, const char *field, const char *want)
{
	struct gw_err err = {.menu = -2, .index = -2};

	if (gw_config_validate(&cfg, &err) == 0)
		fail_msg("config accepted, expected \"%s\"", want);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	assert_int_equal(err.menu, menu);
	assert_int_equal(err.index, index);
	assert_non_null(err.field);
	assert_string_equal(err.field, field);
}

static void expect_valid(void)
{
	struct gw_err err = {.menu = -1};

	if (gw_config_validate(&cfg, &err))
		fail_msg("config refused: %s", err.msg);
}

static uint32_t ip(const char *s)
{
	uint32_t a;

	assert_int_equal(gw_parse_ipv4(s, &a), 0);
	return a;
}

/* ---- names */

static void test_menu_names(void **state)
{
	static const char *const names[GW_MENU_COUNT] = {"interface", "route",  "proposal",
							 "peer",      "policy", "manual-sa"};

	(void)state;
	for (int m = 0; m < GW_MENU_COUNT; m++) {
		assert_string_equal(gw_menu_name(m), names[m]);
		assert_int_equal(gw_menu_from_name(names[m]), m);
		assert_true(gw_menu_obj_size(m) > 0);
	}
	assert_int_equal(gw_menu_from_name("installed-sa"), -1);
	assert_int_equal(gw_menu_from_name(""), -1);
	assert_int_equal(gw_menu_obj_size(GW_MENU_POLICY), sizeof(struct gw_policy));
}

static void test_name_tables(void **state)
{
	static const char *const auth[] = {"null", "md5", "sha1", "sha256", "sha384", "sha512"};
	static const char *const enc[] = {
		"null",        "des",         "3des",        "aes-128-cbc", "aes-192-cbc",
		"aes-256-cbc", "aes-128-ctr", "aes-192-ctr", "aes-256-ctr", "aes-128-gcm",
		"aes-192-gcm", "aes-256-gcm", "chacha20poly1305"};
	static const unsigned auth_len[] = {0, 16, 20, 32, 48, 64};
	static const unsigned enc_len[] = {0, 8, 24, 16, 24, 32, 20, 28, 36, 20, 28, 36, 36};

	(void)state;
	for (int a = 0; a < GW_AUTH_COUNT; a++) {
		assert_string_equal(gw_auth_alg_name(a), auth[a]);
		assert_int_equal(gw_name_lookup(gw_auth_alg_names, auth[a]), a);
		assert_int_equal(gw_auth_key_len(a), auth_len[a]);
	}
	for (int e = 0; e < GW_ENC_COUNT; e++) {
		assert_string_equal(gw_enc_alg_name(e), enc[e]);
		assert_int_equal(gw_name_lookup(gw_enc_alg_names, enc[e]), e);
		assert_int_equal(gw_enc_key_len(e), enc_len[e]);
	}
	assert_string_equal(gw_hash_alg_name(GW_HASH_SHA1), "sha1");
	assert_string_equal(gw_hash_alg_name(GW_HASH_SHA512), "sha512");
	assert_string_equal(gw_ike_enc_name(GW_IKE_AES192), "aes-192");
	assert_string_equal(gw_dh_group_name(GW_DH_NONE), "none");
	assert_string_equal(gw_dh_group_name(GW_DH_MODP768), "modp768");
	assert_string_equal(gw_dh_group_name(GW_DH_MODP8192), "modp8192");
	assert_string_equal(gw_dh_group_name((enum gw_dh_group)3), "unknown");
	assert_int_equal(gw_name_lookup(gw_dh_group_names, "modp2048"), 14);
	/* aliases are accepted, never printed */
	assert_int_equal(gw_name_lookup(gw_hash_alg_names, "sha"), GW_HASH_SHA1);
	assert_int_equal(gw_name_lookup(gw_enc_alg_names, "aes-128"), GW_ENC_AES128_CBC);
	assert_int_equal(gw_name_lookup(gw_enc_alg_names, "aes-256"), GW_ENC_AES256_CBC);
	assert_int_equal(gw_name_lookup(gw_enc_alg_names, "none"), GW_ENC_NULL);
	assert_int_equal(gw_name_lookup(gw_auth_alg_names, "none"), GW_AUTH_NULL);
	assert_string_equal(gw_name_of(gw_auth_alg_names, GW_AUTH_NULL), "null");
	assert_int_equal(gw_name_lookup(gw_auth_alg_names, "SHA1"), -1);
	assert_null(gw_name_of(gw_enc_alg_names, 99));
	assert_string_equal(gw_auth_alg_name(GW_AUTH_COUNT), "unknown");
	assert_int_equal(gw_enc_key_len(GW_ENC_COUNT), 0);
}

static void test_view_names(void **state)
{
	(void)state;
	assert_string_equal(gw_sa_state_name(GW_SA_LARVAL), "larval");
	assert_string_equal(gw_sa_state_name(GW_SA_MATURE), "mature");
	assert_string_equal(gw_sa_state_name(GW_SA_DYING), "dying");
	assert_string_equal(gw_sa_state_name(GW_SA_DEAD), "dead");
	assert_string_equal(gw_sa_state_name((enum gw_sa_state)7), "unknown");
	assert_string_equal(gw_ph2_state_name(GW_PH2_NO_PHASE2), "no-phase2");
	assert_string_equal(gw_ph2_state_name(GW_PH2_ESTABLISHED), "established");
	assert_string_equal(gw_ph2_state_name(GW_PH2_EXPIRED), "expired");
	assert_string_equal(gw_ph2_state_name(GW_PH2_COUNT), "unknown");
}

/* ---- value grammars */

static void test_parse_ipv4(void **state)
{
	static const char *const bad[] = {"",        "1.2.3",    "1.2.3.4.5", "256.0.0.1",
					  "01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d",
					  "1..2.3",  "1.2.3.-4", "1.2.3.4/", "1.2.3.1000",
					  "0x1.2.3.4"};
	uint32_t a = 7;
	char buf[16];

	(void)state;
	assert_int_equal(gw_parse_ipv4("198.18.0.1", &a), 0);
	assert_int_equal(a, 0xc6120001u);
	assert_int_equal(gw_parse_ipv4("0.0.0.0", &a), 0);
	assert_int_equal(a, 0);
	assert_int_equal(gw_parse_ipv4("255.255.255.255", &a), 0);
	assert_int_equal(a, 0xffffffffu);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		a = 7;
		if (gw_parse_ipv4(bad[i], &a) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(a, 7);
	}
	gw_format_ipv4(0xc6120001u, buf, sizeof buf);
	assert_string_equal(buf, "198.18.0.1");
	gw_format_ipv4(0xffffffffu, buf, sizeof buf);
	assert_string_equal(buf, "255.255.255.255");
}

static void test_parse_prefix(void **state)
{
	static const char *const bad[] = {"", "1.2.3.4/", "1.2.3.4/33", "1.2.3.4/-1",
					  "1.2.3.4/3a", "/24", "1.2.3/24", "1.2.3.4/24/1"};
	struct gw_prefix p;
	char buf[24];

	(void)state;
	assert_int_equal(gw_parse_prefix("198.18.0.2", &p), 0);
	assert_int_equal(p.addr, ip("198.18.0.2"));
	assert_int_equal(p.len, 32);
	assert_int_equal(gw_parse_prefix("0.0.0.0/0", &p), 0);
	assert_int_equal(p.len, 0);
	/* the raw parser keeps host bits; selectors mask them */
	assert_int_equal(gw_parse_prefix("198.18.1.5/24", &p), 0);
	assert_int_equal(p.addr, ip("198.18.1.5"));
	assert_int_equal(p.len, 24);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (gw_parse_prefix(bad[i], &p) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
	gw_format_prefix(&(struct gw_prefix){ip("198.18.1.0"), 24}, buf, sizeof buf);
	assert_string_equal(buf, "198.18.1.0/24");
	assert_int_equal(gw_prefix_mask(0), 0);
	assert_int_equal(gw_prefix_mask(24), 0xffffff00u);
	assert_int_equal(gw_prefix_mask(32), 0xffffffffu);
}

static void test_parse_duration(void **state)
{
	static const struct {
		const char *s;
		gw_seconds v;
	} good[] = {{"0s", 0},	       {"0", 0},	   {"30m", 1800},     {"1d", 86400},
		    {"1w", 604800},    {"3600", 3600},	   {"24m", 1440},     {"1d2h3m4s", 93784},
		    {"2h30m", 9000},   {"1w1d", 691200},   {"90m", 5400},     {"45s", 45},
		    {"4294967295", GW_DURATION_MAX}};
	static const char *const bad[] = {"",	 "30x",	 "1m1h",  "1h1h", "m",
					  "1d 2h", "-1",   "30m5",  "1.5h", "4294967296",
					  "7102w", "1W",   "s30",   "30 m", "0x10"};
	gw_seconds v;

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		v = 1;
		if (gw_parse_duration(good[i].s, &v))
			fail_msg("refused \"%s\"", good[i].s);
		assert_int_equal(v, good[i].v);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 1;
		if (gw_parse_duration(bad[i], &v) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(v, 1);
	}
}

static void test_format_duration(void **state)
{
	static const struct {
		gw_seconds v;
		const char *s;
	} cases[] = {{0, "0s"},	      {1, "1s"},	 {59, "59s"},	    {60, "1m"},
		     {1800, "30m"},   {1440, "24m"},	 {3600, "1h"},	    {86400, "1d"},
		     {90000, "1d1h"}, {90061, "1d1h1m1s"}, {604800, "1w"}, {694861, "1w1d1h1m1s"},
		     {3601, "1h1s"}};
	char buf[64];
	gw_seconds back;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		gw_format_duration(cases[i].v, buf, sizeof buf);
		assert_string_equal(buf, cases[i].s);
	}
	/* every canonical form reads back */
	for (gw_seconds s = 0; s < 200000; s += 997) {
		gw_format_duration(s, buf, sizeof buf);
		assert_int_equal(gw_parse_duration(buf, &back), 0);
		assert_int_equal(back, s);
	}
	gw_format_duration(GW_DURATION_MAX, buf, sizeof buf);
	assert_int_equal(gw_parse_duration(buf, &back), 0);
	assert_int_equal(back, GW_DURATION_MAX);
	/* a short buffer is cut, never overrun */
	gw_format_duration(90061, buf, 4);
	assert_string_equal(buf, "1d1");
}

static void test_hex_key(void **state)
{
	char hex[2 * GW_KEY_MAX + 3];
	struct gw_key k;
	char buf[2 * GW_KEY_MAX + 1];

	(void)state;
	assert_int_equal(gw_parse_hex_key("0xA0", &k), 0);
	assert_int_equal(k.len, 1);
	assert_int_equal(k.bytes[0], 0xa0);
	assert_int_equal(gw_parse_hex_key("abcfed", &k), 0);
	assert_int_equal(k.len, 3);
	assert_int_equal(k.bytes[2], 0xed);
	gw_format_hex_key(&k, buf, sizeof buf);
	assert_string_equal(buf, "abcfed");
	assert_int_equal(gw_parse_hex_key("0XABCFED", &k), 0);
	gw_format_hex_key(&k, buf, sizeof buf);
	assert_string_equal(buf, "abcfed"); /* printed lowercase */
	assert_int_equal(gw_parse_hex_key("", &k), 0);
	assert_int_equal(k.len, 0);
	memset(hex, 'f', 2 * GW_KEY_MAX);
	hex[2 * GW_KEY_MAX] = '\0';
	assert_int_equal(gw_parse_hex_key(hex, &k), 0);
	assert_int_equal(k.len, GW_KEY_MAX);
	strcat(hex, "ff"); /* 65 bytes */
	assert_int_equal(gw_parse_hex_key(hex, &k), -1);
	assert_int_equal(gw_parse_hex_key("0x", &k), -1);
	assert_int_equal(gw_parse_hex_key("abc", &k), -1);
	assert_int_equal(gw_parse_hex_key("zz", &k), -1);
	assert_int_equal(gw_parse_hex_key("0x0g", &k), -1);
	assert_int_equal(gw_parse_hex_key("a0 ", &k), -1);
}

/* ---- defaults */

static void test_config_defaults(void **state)
{
	const struct gw_proposal *p;

	(void)state;
	assert_int_equal(gw_menu_count(&cfg, GW_MENU_PROPOSAL), 1);
	for (int m = 0; m < GW_MENU_COUNT; m++)
		if (m != GW_MENU_PROPOSAL)
			assert_int_equal(gw_menu_count(&cfg, m), 0);
	p = &cfg.proposals.v[0];
	assert_string_equal(p->name, "default");
	assert_int_equal(p->n_auth, 1);
	assert_int_equal(p->auth_algorithms[0], GW_AUTH_SHA1);
	assert_int_equal(p->n_enc, 1);
	assert_int_equal(p->enc_algorithms[0], GW_ENC_3DES);
	assert_int_equal(p->lifetime, 1800);
	assert_int_equal(p->lifebytes, 0);
	assert_int_equal(p->pfs_group, GW_DH_MODP1024);
	assert_false(p->disabled);
	assert_string_equal(render(GW_MENU_PROPOSAL, p, GW_FIELD_PRINT),
			    "name=\"default\" auth-algorithms=sha1 enc-algorithms=3des "
			    "lifetime=30m lifebytes=0 pfs-group=modp1024");
	assert_string_equal(cfg.management.socket, "/run/ipsecgw/ipsecgw.sock");
	assert_int_equal(cfg.management.socket_mode, 0600);
	assert_int_equal(cfg.management.max_clients, 64);
	assert_int_equal(cfg.dataplane.replay_window, 32);
	assert_int_equal(cfg.dataplane.burst_size, 32);
	assert_int_equal(cfg.dataplane.idle_sleep_us, 100);
	assert_int_equal(cfg.dataplane.mbufs, 8191);
	assert_true(cfg.next_uid >= 1);
	expect_valid();
}

static void test_peer_defaults(void **state)
{
	const struct gw_peer *p = obj_at(GW_MENU_PEER, add(GW_MENU_PEER, ""));

	(void)state;
	assert_int_equal(p->address.addr, 0);
	assert_int_equal(p->address.len, 0);
	assert_int_equal(p->port, 500);
	assert_int_equal(p->local_address, 0);
	assert_string_equal(p->secret, "");
	assert_false(p->generate_policy);
	assert_int_equal(p->exchange_mode, GW_XMODE_MAIN);
	assert_true(p->send_initial_contact);
	assert_int_equal(p->proposal_check, GW_PCHECK_STRICT);
	assert_int_equal(p->hash_algorithm, GW_HASH_MD5);
	assert_int_equal(p->enc_algorithm, GW_IKE_3DES);
	assert_int_equal(p->dh_group, GW_DH_MODP1024);
	assert_int_equal(p->lifetime, 86400);
	assert_int_equal(p->lifebytes, 0);
	assert_false(p->nat_traversal);
	assert_int_equal(p->dpd_interval, 120);
	assert_int_equal(p->dpd_maximum_failures, 5);
	assert_false(p->disabled);
	assert_true(p->uid != 0);
	assert_string_equal(render(GW_MENU_PEER, p, GW_FIELD_PRINT | GW_FIELD_DETAIL),
			    "address=0.0.0.0/0:500 port=500 local-address=0.0.0.0 secret=\"\" "
			    "generate-policy=no exchange-mode=main send-initial-contact=yes "
			    "proposal-check=strict hash-algorithm=md5 enc-algorithm=3des "
			    "dh-group=modp1024 lifetime=1d lifebytes=0 nat-traversal=no "
			    "dpd-interval=2m dpd-maximum-failures=5");
}

static void test_policy_defaults(void **state)
{
	const struct gw_policy *p = obj_at(GW_MENU_POLICY, add(GW_MENU_POLICY, ""));

	(void)state;
	assert_false(p->src_address_set);
	assert_false(p->dst_address_set);
	assert_int_equal(p->protocol, GW_PROTOCOL_ALL);
	assert_int_equal(p->action, GW_ACTION_ACCEPT);
	assert_int_equal(p->level, GW_LEVEL_REQUIRE);
	assert_int_equal(p->ipsec_protocols, GW_PROTO_ESP);
	assert_false(p->tunnel);
	assert_int_equal(p->sa_src_address, 0);
	assert_int_equal(p->sa_dst_address, 0);
	assert_string_equal(p->proposal, "default");
	assert_string_equal(p->manual_sa, "");
	assert_int_equal(p->dont_fragment, GW_DF_CLEAR);
	assert_false(p->dynamic);
	assert_true(p->uid != 0);
	assert_string_equal(render(GW_MENU_POLICY, p, GW_FIELD_PRINT),
			    "src-address=0.0.0.0/0:any dst-address=0.0.0.0/0:any protocol=all "
			    "action=accept level=require ipsec-protocols=esp tunnel=no "
			    "sa-src-address=0.0.0.0 sa-dst-address=0.0.0.0 proposal=default "
			    "manual-sa=none dont-fragment=clear");
	expect_valid();
}

static void test_manual_sa_defaults(void **state)
{
	const struct gw_manual_sa *sa = obj_at(GW_MENU_MANUAL_SA, add(GW_MENU_MANUAL_SA, ""));

	(void)state;
	assert_string_equal(sa->name, "sa1");
	assert_int_equal(sa->ah_algorithm, GW_AUTH_NULL);
	assert_int_equal(sa->esp_auth_algorithm, GW_AUTH_NULL);
	assert_int_equal(sa->esp_enc_algorithm, GW_ENC_NULL);
	assert_int_equal(sa->ah_key.in.len, 0);
	assert_int_equal(sa->esp_enc_key.out.len, 0);
	assert_int_equal(sa->ah_spi.in, 0x100);
	assert_int_equal(sa->ah_spi.out, 0x100);
	assert_int_equal(sa->esp_spi.in, 0x100);
	assert_int_equal(sa->esp_spi.out, 0x100);
	assert_int_equal(sa->lifetime, 0);
	assert_string_equal(fmt(GW_MENU_MANUAL_SA, sa, "lifetime"), "0s");
	expect_valid();
}

static void test_interface_route_proposal_defaults(void **state)
{
	const struct gw_interface *itf = obj_at(GW_MENU_INTERFACE, add(GW_MENU_INTERFACE, ""));
	const struct gw_route *r = obj_at(GW_MENU_ROUTE, add(GW_MENU_ROUTE, ""));
	const struct gw_proposal *p = obj_at(GW_MENU_PROPOSAL, add(GW_MENU_PROPOSAL, ""));

	(void)state;
	assert_string_equal(itf->name, "ether1");
	assert_string_equal(itf->device, "");
	assert_int_equal(itf->mtu, 1500);
	assert_int_equal(itf->address.addr, 0);
	assert_string_equal(render(GW_MENU_INTERFACE, itf, GW_FIELD_PRINT),
			    "name=\"ether1\" device=\"\" address=0.0.0.0/0 mtu=1500");
	assert_int_equal(r->gateway, 0);
	assert_string_equal(render(GW_MENU_ROUTE, r, GW_FIELD_PRINT),
			    "dst-address=0.0.0.0/0 gateway=0.0.0.0");
	assert_string_equal(p->name, "proposal1");
	assert_string_equal(render(GW_MENU_PROPOSAL, p, GW_FIELD_PRINT),
			    "name=\"proposal1\" auth-algorithms=sha1 enc-algorithms=3des "
			    "lifetime=30m lifebytes=0 pfs-group=modp1024");
}

/* Add one object and return it (looked up after the append, which may move the array). */
static const void *add_obj(enum gw_menu m, const char *args)
{
	uint32_t idx = add(m, args);

	return obj_at(m, idx);
}

static void test_auto_names_and_uids(void **state)
{
	const struct gw_manual_sa *sa;
	uint32_t uids[4];

	(void)state;
	for (int i = 0; i < 3; i++)
		add(GW_MENU_MANUAL_SA, "");
	assert_string_equal(cfg.manual_sas.v[2].name, "sa3");
	gw_menu_remove(&cfg, GW_MENU_MANUAL_SA, 0);
	assert_string_equal(cfg.manual_sas.v[0].name, "sa2");
	/* the first free number is reused, as RouterOS does */
	sa = add_obj(GW_MENU_MANUAL_SA, "");
	assert_string_equal(sa->name, "sa1");
	sa = add_obj(GW_MENU_MANUAL_SA, "");
	assert_string_equal(sa->name, "sa4");
	add(GW_MENU_MANUAL_SA, "name=sa5");
	sa = add_obj(GW_MENU_MANUAL_SA, "");
	assert_string_equal(sa->name, "sa6");

	/* uids are unique across peers and policies and never reused */
	uids[0] = ((const struct gw_peer *)add_obj(GW_MENU_PEER, ""))->uid;
	uids[1] = ((const struct gw_policy *)add_obj(GW_MENU_POLICY, ""))->uid;
	uids[2] = ((const struct gw_policy *)add_obj(GW_MENU_POLICY, ""))->uid;
	gw_menu_remove(&cfg, GW_MENU_POLICY, 1);
	uids[3] = ((const struct gw_policy *)add_obj(GW_MENU_POLICY, ""))->uid;
	for (int i = 0; i < 4; i++) {
		assert_true(uids[i] != 0);
		for (int j = 0; j < i; j++)
			assert_true(uids[i] != uids[j]);
	}
	assert_int_equal(cfg.policies.v[0].uid, uids[1]);
}

static void test_defaults_helper(void **state)
{
	struct gw_manual_sa sa;
	struct gw_proposal p;
	char name[GW_NAME_MAX];

	(void)state;
	memset(&sa, 0xaa, sizeof sa);
	gw_field_defaults(GW_MENU_MANUAL_SA, &sa, 7);
	assert_string_equal(sa.name, "sa7");
	assert_false(sa.disabled);
	assert_string_equal(sa.comment, "");
	gw_field_defaults(GW_MENU_PROPOSAL, &p, 2);
	assert_string_equal(p.name, "proposal2");
	gw_menu_auto_name(GW_MENU_POLICY, 3, name, sizeof name);
	assert_string_equal(name, "");
	gw_menu_auto_name(GW_MENU_INTERFACE, 3, name, sizeof name);
	assert_string_equal(name, "ether3");
}

/* ---- prints exactly as the seed manual */

static void test_seed_proposal_print(void **state)
{
	struct gw_proposal *p;

	(void)state;
	p = obj_at(GW_MENU_PROPOSAL, (uint32_t)gw_menu_lookup(&cfg, GW_MENU_PROPOSAL, "default"));
	/* [admin@MikroTik] ip ipsec proposal> set default enc-algorithms=des,aes-128 */
	set_ok(GW_MENU_PROPOSAL, p, "enc-algorithms", "des,aes-128");
	assert_int_equal(p->n_enc, 2);
	assert_int_equal(p->enc_algorithms[0], GW_ENC_DES);
	assert_int_equal(p->enc_algorithms[1], GW_ENC_AES128_CBC);
	/* the seed prints its input "aes-128"; we print the canonical CBC name */
	assert_string_equal(render(GW_MENU_PROPOSAL, p, GW_FIELD_PRINT),
			    "name=\"default\" auth-algorithms=sha1 enc-algorithms=des,aes-128-cbc "
			    "lifetime=30m lifebytes=0 pfs-group=modp1024");
	/* SonicWALL example: proposal add name=sw-client auth-algorithms=md5
	 * enc-algorithms=des lifetime=30m pfs-group=modp768 */
	p = obj_at(GW_MENU_PROPOSAL, add(GW_MENU_PROPOSAL, "name=sw-client auth-algorithms=md5 "
							   "enc-algorithms=des lifetime=30m "
							   "pfs-group=modp768"));
	assert_string_equal(render(GW_MENU_PROPOSAL, p, GW_FIELD_PRINT),
			    "name=\"sw-client\" auth-algorithms=md5 enc-algorithms=des "
			    "lifetime=30m lifebytes=0 pfs-group=modp768");
	expect_valid();
}

static void test_seed_peer_print(void **state)
{
	const struct gw_peer *p;

	(void)state;
	/* ip ipsec peer> add address=198.19.100.147/32 secret=gwejimezyfopmekun */
	p = obj_at(GW_MENU_PEER, add(GW_MENU_PEER, "address=198.19.100.147/32 secret=gwejimezyfopmekun"));
	assert_string_equal(render(GW_MENU_PEER, p, GW_FIELD_PRINT),
			    "address=198.19.100.147/32:500 secret=\"gwejimezyfopmekun\" "
			    "generate-policy=no exchange-mode=main send-initial-contact=yes "
			    "proposal-check=strict hash-algorithm=md5 enc-algorithm=3des "
			    "dh-group=modp1024 lifetime=1d lifebytes=0");
	/* SonicWALL example, with its "hash-algorithm=sha" and "address=...:500" */
	p = obj_at(GW_MENU_PEER,
		   add(GW_MENU_PEER, "address=198.19.100.81:500 exchange-mode=main "
				     "send-initial-contact=no proposal-check=obey "
				     "hash-algorithm=sha enc-algorithm=3des dh-group=modp1024 "
				     "secret=\"********\""));
	assert_string_equal(render(GW_MENU_PEER, p, GW_FIELD_PRINT),
			    "address=198.19.100.81/32:500 secret=\"********\" generate-policy=no "
			    "exchange-mode=main send-initial-contact=no proposal-check=obey "
			    "hash-algorithm=sha1 enc-algorithm=3des dh-group=modp1024 "
			    "lifetime=1d lifebytes=0");
	add(GW_MENU_PEER, "address=198.18.200.0/24 secret=roberkenon generate-policy=yes");
	add(GW_MENU_PEER, "address=198.19.101.2 secret=test_key enc-algorithm=des");
	add(GW_MENU_PEER, "address=198.18.200.2 exchange-mode=aggressive secret=sviestapika");
	expect_valid();
}

static void test_seed_policy_print(void **state)
{
	const struct gw_policy *p;

	(void)state;
	/* ip ipsec policy> add sa-src-address=198.19.100.147 sa-dst-address=198.19.100.148 action=encrypt */
	p = obj_at(GW_MENU_POLICY, add(GW_MENU_POLICY, "sa-src-address=198.19.100.147 "
						       "sa-dst-address=198.19.100.148 action=encrypt"));
	assert_string_equal(render(GW_MENU_POLICY, p, GW_FIELD_PRINT),
			    "src-address=198.19.100.147/32:any dst-address=198.19.100.148/32:any "
			    "protocol=all action=encrypt level=require ipsec-protocols=esp "
			    "tunnel=no sa-src-address=198.19.100.147 sa-dst-address=198.19.100.148 "
			    "proposal=default manual-sa=none dont-fragment=clear");
	/* print stats starts with src-address dst-address protocol */
	assert_string_equal(fmt(GW_MENU_POLICY, p, "protocol"), "all");
	expect_valid();
}

static void test_seed_manual_sa_print(void **state)
{
	const struct gw_manual_sa *sa;

	(void)state;
	/* ip ipsec manual-sa> add ah-key=A0/0A */
	sa = obj_at(GW_MENU_MANUAL_SA, add(GW_MENU_MANUAL_SA, "ah-key=A0/0A"));
	assert_int_equal(sa->ah_key.in.len, 1);
	assert_int_equal(sa->ah_key.in.bytes[0], 0xa0);
	assert_int_equal(sa->ah_key.out.bytes[0], 0x0a);
	/* as the seed, with hex keys printed lowercase */
	assert_string_equal(render(GW_MENU_MANUAL_SA, sa, GW_FIELD_PRINT),
			    "name=\"sa1\" ah-algorithm=null esp-auth-algorithm=null "
			    "esp-enc-algorithm=null ah-key=a0/0a esp-auth-key=\"\" "
			    "esp-enc-key=\"\" ah-spi=100 esp-spi=100");
	assert_string_equal(render(GW_MENU_MANUAL_SA, sa, GW_FIELD_DETAIL), "lifetime=0s");
	expect_valid();
}

/* The seed's manual-keying tunnel example, both routers, must load as is. */
static void test_seed_ah_example_valid(void **state)
{
	const struct gw_policy *p;
	const struct gw_manual_sa *sa;
	uint32_t pi, si;

	(void)state;
	si = add(GW_MENU_MANUAL_SA, "name=ah-sa1 ah-spi=0x101/0x100 ah-key=abcfed");
	sa = obj_at(GW_MENU_MANUAL_SA, si);
	assert_int_equal(sa->ah_spi.in, 0x101);
	assert_int_equal(sa->ah_spi.out, 0x100);
	assert_string_equal(fmt(GW_MENU_MANUAL_SA, sa, "ah-spi"), "101/100");
	assert_string_equal(fmt(GW_MENU_MANUAL_SA, sa, "ah-key"), "abcfed");
	pi = add(GW_MENU_POLICY, "src-address=198.19.110.0/24 dst-address=198.19.120.0/24 "
				 "action=encrypt ipsec-protocols=ah tunnel=yes "
				 "sa-src=198.18.200.1 sa-dst=198.18.200.2 manual-sa=ah-sa1");
	p = obj_at(GW_MENU_POLICY, pi);
	assert_string_equal(render(GW_MENU_POLICY, p, GW_FIELD_PRINT),
			    "src-address=198.19.110.0/24:any dst-address=198.19.120.0/24:any "
			    "protocol=all action=encrypt level=require ipsec-protocols=ah "
			    "tunnel=yes sa-src-address=198.18.200.1 sa-dst-address=198.18.200.2 "
			    "proposal=default manual-sa=ah-sa1 dont-fragment=clear");
	/* The seed's literal template has no AH algorithm (null): AH without an
	 * ICV protects nothing, so it is refused until it names one. */
	expect_invalid(GW_MENU_POLICY, (int)pi, "manual-sa", "AH needs an integrity algorithm");
	set_ok(GW_MENU_MANUAL_SA, obj_at(GW_MENU_MANUAL_SA, si), "ah-algorithm", "md5");
	set_ok(GW_MENU_MANUAL_SA, obj_at(GW_MENU_MANUAL_SA, si), "ah-key",
	       "00112233445566778899aabbccddeeff");
	/* transport mode with IKE (Router 1 of the minimal example) */
	add(GW_MENU_POLICY, "sa-src=198.18.200.1 sa-dst=198.18.200.2 action=encrypt");
	/* SonicWALL: policy with its own proposal */
	add(GW_MENU_PROPOSAL, "name=sw-client auth-algorithms=md5 enc-algorithms=des");
	add(GW_MENU_POLICY, "src-address=198.18.211.0/24 dst-address=198.19.100.81/32 action=encrypt "
			    "ipsec-protocols=esp tunnel=yes sa-src-address=198.19.100.204 "
			    "sa-dst-address=198.19.100.81 proposal=sw-client");
	expect_valid();
}

/* ---- per-field grammars */

static void test_policy_selectors(void **state)
{
	struct gw_policy *p = obj_at(GW_MENU_POLICY, add(GW_MENU_POLICY, ""));
	struct gw_selector s;

	(void)state;
	set_ok(GW_MENU_POLICY, p, "sa-src-address", "198.18.0.1");
	assert_string_equal(fmt(GW_MENU_POLICY, p, "src-address"), "198.18.0.1/32:any");
	assert_string_equal(fmt(GW_MENU_POLICY, p, "dst-address"), "0.0.0.0/0:any");
	s = gw_policy_src_selector(p);
	assert_int_equal(s.prefix.addr, ip("198.18.0.1"));
	assert_int_equal(s.prefix.len, 32);
	/* host bits of a selector are cleared, as RouterOS does */
	set_ok(GW_MENU_POLICY, p, "src-address", "198.18.1.5/24");
	assert_true(p->src_address_set);
	assert_string_equal(fmt(GW_MENU_POLICY, p, "src-address"), "198.18.1.0/24:any");
	set_ok(GW_MENU_POLICY, p, "dst-address", "198.19.0.0/16:443");
	assert_true(p->dst_address_set);
	assert_int_equal(p->dst_address.port, 443);
	assert_string_equal(fmt(GW_MENU_POLICY, p, "dst-address"), "198.19.0.0/16:443");
	set_ok(GW_MENU_POLICY, p, "dst-address", "198.19.0.7:any");
	assert_string_equal(fmt(GW_MENU_POLICY, p, "dst-address"), "198.19.0.7/32:any");
	s = gw_policy_dst_selector(p);
	assert_int_equal(s.prefix.len, 32);
	assert_int_equal(s.port, 0);
	set_bad(GW_MENU_POLICY, p, "src-address", "198.18.1.0/33",
		"invalid value \"198.18.1.0/33\" for src-address: expected a.b.c.d[/0..32]");
	set_bad(GW_MENU_POLICY, p, "src-address", "198.18.1.0/24:0", "port 1..65535");
	set_bad(GW_MENU_POLICY, p, "src-address", "198.18.1.0/24:65536", "65536");
	set_bad(GW_MENU_POLICY, p, "src-address", "198.18.1.0/24:http", ":any");
	set_bad(GW_MENU_POLICY, p, "dst-address", "", "for dst-address");
	set_bad(GW_MENU_POLICY, p, "dst-address", "any", "\"any\"");
}

static void test_peer_address(void **state)
{
	struct gw_peer *p = obj_at(GW_MENU_PEER, add(GW_MENU_PEER, ""));

	(void)state;
	set_ok(GW_MENU_PEER, p, "address", "198.18.0.2");
	assert_string_equal(fmt(GW_MENU_PEER, p, "address"), "198.18.0.2/32:500");
	set_ok(GW_MENU_PEER, p, "address", "198.18.0.2:4500");
	assert_int_equal(p->port, 4500);
	assert_string_equal(fmt(GW_MENU_PEER, p, "port"), "4500");
	/* without ":port" the port stays as it was */
	set_ok(GW_MENU_PEER, p, "address", "198.18.0.0/24");
	assert_string_equal(fmt(GW_MENU_PEER, p, "address"), "198.18.0.0/24:4500");
	set_ok(GW_MENU_PEER, p, "address", "198.18.0.9/24:500");
	assert_string_equal(fmt(GW_MENU_PEER, p, "address"), "198.18.0.0/24:500");
	set_ok(GW_MENU_PEER, p, "port", "4501");
	assert_string_equal(fmt(GW_MENU_PEER, p, "address"), "198.18.0.0/24:4501");
	set_bad(GW_MENU_PEER, p, "address", "198.18.0.2:any", "a.b.c.d[/0..32][:port]");
	set_bad(GW_MENU_PEER, p, "address", "198.18.0.2:0", "port 1..65535");
	set_bad(GW_MENU_PEER, p, "address", "198.18.0.2/40", "198.18.0.2/40");
	set_bad(GW_MENU_PEER, p, "address", "peer.example", "peer.example");
	set_bad(GW_MENU_PEER, p, "port", "0", "expected a number from 1 to 65535");
	set_bad(GW_MENU_PEER, p, "port", "65536", "expected a number from 1 to 65535");
	set_bad(GW_MENU_PEER, p, "local-address", "198.18.0", "expected an IPv4 address");
	set_ok(GW_MENU_PEER, p, "local-address", "198.18.0.1");
	assert_string_equal(fmt(GW_MENU_PEER, p, "local-address"), "198.18.0.1");
}

static void test_peer_fields(void **state)
{
	struct gw_peer *p = obj_at(GW_MENU_PEER, add(GW_MENU_PEER, ""));
	char long_secret[GW_SECRET_MAX + 1];

	(void)state;
	set_ok(GW_MENU_PEER, p, "exchange-mode", "aggressive");
	assert_int_equal(p->exchange_mode, GW_XMODE_AGGRESSIVE);
	set_bad(GW_MENU_PEER, p, "exchange-mode", "fast",
		"invalid value \"fast\" for exchange-mode: expected one of main, aggressive");
	set_ok(GW_MENU_PEER, p, "proposal-check", "exact");
	set_bad(GW_MENU_PEER, p, "proposal-check", "loose",
		"expected one of obey, claim, strict, exact");
	set_ok(GW_MENU_PEER, p, "hash-algorithm", "sha256");
	set_bad(GW_MENU_PEER, p, "hash-algorithm", "sha3",
		"expected one of md5, sha1, sha256, sha384, sha512");
	set_ok(GW_MENU_PEER, p, "enc-algorithm", "aes-256");
	set_bad(GW_MENU_PEER, p, "enc-algorithm", "aes-256-cbc",
		"expected one of des, 3des, aes-128, aes-192, aes-256");
	set_ok(GW_MENU_PEER, p, "dh-group", "modp2048");
	assert_int_equal(p->dh_group, GW_DH_MODP2048);
	set_bad(GW_MENU_PEER, p, "dh-group", "none", "expected one of modp768, modp1024");
	set_bad(GW_MENU_PEER, p, "dh-group", "ecp256", "\"ecp256\" for dh-group");
	set_ok(GW_MENU_PEER, p, "generate-policy", "true");
	assert_true(p->generate_policy);
	set_ok(GW_MENU_PEER, p, "generate-policy", "false");
	assert_false(p->generate_policy);
	set_bad(GW_MENU_PEER, p, "nat-traversal", "Yes",
		"invalid value \"Yes\" for nat-traversal: expected yes or no");
	set_bad(GW_MENU_PEER, p, "send-initial-contact", "1", "expected yes or no");
	set_ok(GW_MENU_PEER, p, "lifetime", "8h");
	assert_string_equal(fmt(GW_MENU_PEER, p, "lifetime"), "8h");
	set_bad(GW_MENU_PEER, p, "lifetime", "8 hours",
		"invalid value \"8 hours\" for lifetime: expected a duration");
	set_ok(GW_MENU_PEER, p, "lifebytes", "18446744073709551615");
	assert_true(p->lifebytes == UINT64_MAX);
	set_bad(GW_MENU_PEER, p, "lifebytes", "18446744073709551616", "expected a number from 0");
	set_bad(GW_MENU_PEER, p, "lifebytes", "-1", "for lifebytes");
	set_bad(GW_MENU_PEER, p, "lifebytes", "1k", "for lifebytes");
	/* dpd */
	set_ok(GW_MENU_PEER, p, "dpd-interval", "disable-dpd");
	assert_int_equal(p->dpd_interval, 0);
	assert_string_equal(fmt(GW_MENU_PEER, p, "dpd-interval"), "disable-dpd");
	set_ok(GW_MENU_PEER, p, "dpd-interval", "30s");
	assert_string_equal(fmt(GW_MENU_PEER, p, "dpd-interval"), "30s");
	set_ok(GW_MENU_PEER, p, "dpd-interval", "0s");
	assert_string_equal(fmt(GW_MENU_PEER, p, "dpd-interval"), "disable-dpd");
	set_bad(GW_MENU_PEER, p, "dpd-interval", "off", "expected disable-dpd or a duration");
	set_ok(GW_MENU_PEER, p, "dpd-maximum-failures", "100");
	set_bad(GW_MENU_PEER, p, "dpd-maximum-failures", "0", "expected a number from 1 to 100");
	set_bad(GW_MENU_PEER, p, "dpd-maximum-failures", "101", "from 1 to 100");
	/* secret: any text; too long is refused without echoing it */
	set_ok(GW_MENU_PEER, p, "secret", "x y \"z\"");
	assert_string_equal(p->secret, "x y \"z\"");
	memset(long_secret, 's', GW_SECRET_MAX);
	long_secret[GW_SECRET_MAX] = '\0';
	set_bad(GW_MENU_PEER, p, "secret", long_secret, "longer than 255 characters");
	{
		struct gw_err err;

		assert_int_equal(gw_field_set(GW_MENU_PEER, p, "secret", long_secret, &err), -1);
		assert_null(strstr(err.msg, "sss"));
	}
	long_secret[GW_SECRET_MAX - 1] = '\0';
	set_ok(GW_MENU_PEER, p, "secret", long_secret);
}

static void test_policy_fields(void **state)
{
	struct gw_policy *p = obj_at(GW_MENU_POLICY, add(GW_MENU_POLICY, ""));

	(void)state;
	set_ok(GW_MENU_POLICY, p, "protocol", "tcp");
	assert_int_equal(p->protocol, 6);
	assert_string_equal(fmt(GW_MENU_POLICY, p, "protocol"), "tcp");
	set_ok(GW_MENU_POLICY, p, "protocol", "17");
	assert_string_equal(fmt(GW_MENU_POLICY, p, "protocol"), "udp");
	set_ok(GW_MENU_POLICY, p, "protocol", "ipsec-esp");
	assert_string_equal(fmt(GW_MENU_POLICY, p, "protocol"), "esp");
	set_ok(GW_MENU_POLICY, p, "protocol", "ipencap");
	assert_int_equal(p->protocol, 4);
	set_ok(GW_MENU_POLICY, p, "protocol", "200");
	assert_string_equal(fmt(GW_MENU_POLICY, p, "protocol"), "200");
	set_ok(GW_MENU_POLICY, p, "protocol", "0");
	assert_string_equal(fmt(GW_MENU_POLICY, p, "protocol"), "0");
	set_ok(GW_MENU_POLICY, p, "protocol", "all");
	assert_int_equal(p->protocol, GW_PROTOCOL_ALL);
	set_bad(GW_MENU_POLICY, p, "protocol", "256",
		"invalid value \"256\" for protocol: expected all, a number from 0 to 255");
	set_bad(GW_MENU_POLICY, p, "protocol", "tcpx", "\"tcpx\"");
	set_bad(GW_MENU_POLICY, p, "protocol", "-6", "\"-6\"");
	/* ipsec-protocols */
	set_ok(GW_MENU_POLICY, p, "ipsec-protocols", "ah");
	assert_int_equal(p->ipsec_protocols, GW_PROTO_AH);
	set_ok(GW_MENU_POLICY, p, "ipsec-protocols", "esp,ah");
	assert_int_equal(p->ipsec_protocols, GW_PROTO_AH | GW_PROTO_ESP);
	assert_string_equal(fmt(GW_MENU_POLICY, p, "ipsec-protocols"), "ah,esp");
	set_ok(GW_MENU_POLICY, p, "ipsec-protocols", "esp");
	assert_string_equal(fmt(GW_MENU_POLICY, p, "ipsec-protocols"), "esp");
	set_bad(GW_MENU_POLICY, p, "ipsec-protocols", "esp,esp",
		"duplicate value \"esp\" in ipsec-protocols");
	set_bad(GW_MENU_POLICY, p, "ipsec-protocols", "",
		"for ipsec-protocols: expected one of esp, ah");
	set_bad(GW_MENU_POLICY, p, "ipsec-protocols", "ipcomp", "\"ipcomp\"");
	/* enums */
	set_ok(GW_MENU_POLICY, p, "action", "drop");
	set_bad(GW_MENU_POLICY, p, "action", "reject",
		"invalid value \"reject\" for action: expected one of accept, drop, encrypt");
	set_ok(GW_MENU_POLICY, p, "level", "unique");
	set_bad(GW_MENU_POLICY, p, "level", "must", "expected one of use, require, unique");
	set_ok(GW_MENU_POLICY, p, "dont-fragment", "inherit");
	set_bad(GW_MENU_POLICY, p, "dont-fragment", "copy", "expected one of clear, set, inherit");
	set_ok(GW_MENU_POLICY, p, "tunnel", "yes");
	assert_true(p->tunnel);
	/* aliases of sa-src-address / sa-dst-address */
	set_ok(GW_MENU_POLICY, p, "sa-src", "198.18.200.1");
	set_ok(GW_MENU_POLICY, p, "sa-dst", "198.18.200.2");
	assert_int_equal(p->sa_src_address, ip("198.18.200.1"));
	assert_int_equal(p->sa_dst_address, ip("198.18.200.2"));
	set_bad(GW_MENU_POLICY, p, "sa-src", "198.18.200.256",
		"invalid value \"198.18.200.256\" for sa-src-address: expected an IPv4 address");
	/* references */
	set_ok(GW_MENU_POLICY, p, "manual-sa", "sa1");
	assert_string_equal(p->manual_sa, "sa1");
	set_ok(GW_MENU_POLICY, p, "manual-sa", "none");
	assert_string_equal(p->manual_sa, "");
	assert_string_equal(fmt(GW_MENU_POLICY, p, "manual-sa"), "none");
	set_ok(GW_MENU_POLICY, p, "proposal", "sw-client");
	set_bad(GW_MENU_POLICY, p, "proposal", "", "expected 1 to 63 printable characters");
}

static void test_proposal_lists(void **state)
{
	struct gw_proposal *p = obj_at(GW_MENU_PROPOSAL, 0);

	(void)state;
	set_ok(GW_MENU_PROPOSAL, p, "enc-algorithms", "aes-256-gcm,chacha20poly1305,aes-128-ctr");
	assert_int_equal(p->n_enc, 3);
	assert_string_equal(fmt(GW_MENU_PROPOSAL, p, "enc-algorithms"),
			    "aes-256-gcm,chacha20poly1305,aes-128-ctr");
	set_ok(GW_MENU_PROPOSAL, p, "auth-algorithms", "sha512,sha256,md5,none");
	assert_string_equal(fmt(GW_MENU_PROPOSAL, p, "auth-algorithms"), "sha512,sha256,md5,null");
	set_bad(GW_MENU_PROPOSAL, p, "enc-algorithms", "des,aes-129",
		"invalid value \"aes-129\" for enc-algorithms: expected one of null, des, 3des, "
		"aes-128-cbc, aes-192-cbc, aes-256-cbc, aes-128-ctr, aes-192-ctr, aes-256-ctr, "
		"aes-128-gcm, aes-192-gcm, aes-256-gcm, chacha20poly1305");
	set_bad(GW_MENU_PROPOSAL, p, "auth-algorithms", "sha1,sha",
		"invalid value \"sha\" for auth-algorithms: expected one of null, md5, sha1, "
		"sha256, sha384, sha512");
	set_bad(GW_MENU_PROPOSAL, p, "enc-algorithms", "des,des",
		"duplicate value \"des\" in enc-algorithms");
	/* aes-128 and aes-128-cbc are the same cipher */
	set_bad(GW_MENU_PROPOSAL, p, "enc-algorithms", "aes-128,aes-128-cbc", "duplicate value");
	set_bad(GW_MENU_PROPOSAL, p, "enc-algorithms", "", "for enc-algorithms: expected one of");
	set_bad(GW_MENU_PROPOSAL, p, "enc-algorithms", "des,", "for enc-algorithms");
	set_bad(GW_MENU_PROPOSAL, p, "enc-algorithms", ",des", "for enc-algorithms");
	set_bad(GW_MENU_PROPOSAL, p, "enc-algorithms", "des, 3des", "\" 3des\"");
	set_ok(GW_MENU_PROPOSAL, p, "pfs-group", "none");
	assert_int_equal(p->pfs_group, GW_DH_NONE);
	set_bad(GW_MENU_PROPOSAL, p, "pfs-group", "modp1023",
		"expected one of none, modp768, modp1024, modp1536, modp2048, modp3072, modp4096, "
		"modp8192");
	set_ok(GW_MENU_PROPOSAL, p, "lifetime", "1d2h3m4s");
	assert_string_equal(fmt(GW_MENU_PROPOSAL, p, "lifetime"), "1d2h3m4s");
	set_bad(GW_MENU_PROPOSAL, p, "lifetime", "30m1h", "\"30m1h\" for lifetime");
	set_ok(GW_MENU_PROPOSAL, p, "lifebytes", "1000000");
	assert_string_equal(fmt(GW_MENU_PROPOSAL, p, "lifebytes"), "1000000");
}

static void test_manual_sa_keys_and_spis(void **state)
{
	struct gw_manual_sa *sa = obj_at(GW_MENU_MANUAL_SA, add(GW_MENU_MANUAL_SA, ""));
	struct gw_err err;

	(void)state;
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-enc-key", "0x0102/0x0304");
	assert_int_equal(sa->esp_enc_key.in.bytes[1], 0x02);
	assert_int_equal(sa->esp_enc_key.out.bytes[0], 0x03);
	assert_string_equal(fmt(GW_MENU_MANUAL_SA, sa, "esp-enc-key"), "0102/0304");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-enc-key", "0xABCDEF01");
	assert_string_equal(fmt(GW_MENU_MANUAL_SA, sa, "esp-enc-key"), "abcdef01");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-enc-key", "a0/");
	assert_string_equal(fmt(GW_MENU_MANUAL_SA, sa, "esp-enc-key"), "a0/");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-enc-key", "\"\"");
	assert_int_equal(sa->esp_enc_key.in.len, 0);
	assert_int_equal(sa->esp_enc_key.out.len, 0);
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-enc-key", "");
	assert_string_equal(fmt(GW_MENU_MANUAL_SA, sa, "esp-enc-key"), "\"\"");
	set_bad(GW_MENU_MANUAL_SA, sa, "esp-enc-key", "abc",
		"invalid value for esp-enc-key: an odd number of hex digits");
	set_bad(GW_MENU_MANUAL_SA, sa, "ah-key", "zz11", "invalid value for ah-key: not a hex digit");
	set_bad(GW_MENU_MANUAL_SA, sa, "ah-key", "a0/0a/0b", "more than one '/'");
	set_bad(GW_MENU_MANUAL_SA, sa, "esp-auth-key", "0x", "0x without hex digits");
	/* key material never appears in a message */
	assert_int_equal(gw_field_set(GW_MENU_MANUAL_SA, sa, "ah-key", "c0ffee1", &err), -1);
	assert_null(strstr(err.msg, "c0ffee"));
	/* SPIs are hex */
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-spi", "E727605");
	assert_int_equal(sa->esp_spi.in, 0xE727605);
	assert_string_equal(fmt(GW_MENU_MANUAL_SA, sa, "esp-spi"), "E727605");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-spi", "101/100");
	assert_int_equal(sa->esp_spi.in, 0x101);
	assert_int_equal(sa->esp_spi.out, 0x100);
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-spi", "0xffffffff");
	assert_string_equal(fmt(GW_MENU_MANUAL_SA, sa, "esp-spi"), "FFFFFFFF");
	set_bad(GW_MENU_MANUAL_SA, sa, "esp-spi", "100000000",
		"invalid value \"100000000\" for esp-spi: expected a hex SPI");
	set_bad(GW_MENU_MANUAL_SA, sa, "esp-spi", "0x", "for esp-spi");
	set_bad(GW_MENU_MANUAL_SA, sa, "ah-spi", "101/", "\"101/\"");
	set_bad(GW_MENU_MANUAL_SA, sa, "ah-spi", "/100", "\"/100\"");
	set_bad(GW_MENU_MANUAL_SA, sa, "ah-spi", "g", "for ah-spi");
	set_bad(GW_MENU_MANUAL_SA, sa, "ah-spi", "1/2/3", "for ah-spi");
	/* algorithms */
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-enc-algorithm", "aes-128");
	assert_int_equal(sa->esp_enc_algorithm, GW_ENC_AES128_CBC);
	assert_string_equal(fmt(GW_MENU_MANUAL_SA, sa, "esp-enc-algorithm"), "aes-128-cbc");
	set_ok(GW_MENU_MANUAL_SA, sa, "ah-algorithm", "none");
	assert_string_equal(fmt(GW_MENU_MANUAL_SA, sa, "ah-algorithm"), "null");
	set_bad(GW_MENU_MANUAL_SA, sa, "esp-auth-algorithm", "sha224",
		"expected one of null, md5, sha1, sha256, sha384, sha512");
	set_bad(GW_MENU_MANUAL_SA, sa, "esp-enc-algorithm", "aes", "\"aes\" for esp-enc-algorithm");
	/* names */
	set_bad(GW_MENU_MANUAL_SA, sa, "name", "none", "a name other than none");
	set_ok(GW_MENU_MANUAL_SA, sa, "lifetime", "1h");
	assert_int_equal(sa->lifetime, 3600);
}

static void test_strings_and_ranges(void **state)
{
	struct gw_interface *itf = obj_at(GW_MENU_INTERFACE, add(GW_MENU_INTERFACE, ""));
	struct gw_route *r = obj_at(GW_MENU_ROUTE, add(GW_MENU_ROUTE, ""));
	char name[GW_NAME_MAX + 1];
	char device[GW_DEVICE_MAX + 1];

	(void)state;
	memset(name, 'n', GW_NAME_MAX);
	name[GW_NAME_MAX] = '\0';
	set_bad(GW_MENU_INTERFACE, itf, "name", name, "expected 1 to 63 printable characters");
	name[GW_NAME_MAX - 1] = '\0';
	set_ok(GW_MENU_INTERFACE, itf, "name", name);
	set_bad(GW_MENU_INTERFACE, itf, "name", "", "invalid value \"\" for name");
	set_bad(GW_MENU_INTERFACE, itf, "name", "a\nb", "printable");
	set_ok(GW_MENU_INTERFACE, itf, "name", "wan");
	set_ok(GW_MENU_INTERFACE, itf, "device", "net_tap0,iface=gw0");
	assert_string_equal(fmt(GW_MENU_INTERFACE, itf, "device"), "net_tap0,iface=gw0");
	memset(device, 'd', GW_DEVICE_MAX);
	device[GW_DEVICE_MAX] = '\0';
	set_bad(GW_MENU_INTERFACE, itf, "device", device, "expected 1 to 255 printable characters");
	set_bad(GW_MENU_INTERFACE, itf, "device", "", "for device");
	/* our own address keeps its host part */
	set_ok(GW_MENU_INTERFACE, itf, "address", "198.19.0.1/24");
	assert_string_equal(fmt(GW_MENU_INTERFACE, itf, "address"), "198.19.0.1/24");
	set_bad(GW_MENU_INTERFACE, itf, "address", "198.19.0.1/24:80", "for address");
	set_ok(GW_MENU_INTERFACE, itf, "mtu", "68");
	set_ok(GW_MENU_INTERFACE, itf, "mtu", "9000");
	assert_int_equal(itf->mtu, 9000);
	set_bad(GW_MENU_INTERFACE, itf, "mtu", "67",
		"invalid value \"67\" for mtu: expected a number from 68 to 9000");
	set_bad(GW_MENU_INTERFACE, itf, "mtu", "9001", "from 68 to 9000");
	set_bad(GW_MENU_INTERFACE, itf, "mtu", "1500.0", "from 68 to 9000");
	/* route selectors are networks: host bits cleared */
	set_ok(GW_MENU_ROUTE, r, "dst-address", "198.18.5.7/16");
	assert_string_equal(fmt(GW_MENU_ROUTE, r, "dst-address"), "198.18.0.0/16");
	set_ok(GW_MENU_ROUTE, r, "gateway", "198.19.0.2");
	set_bad(GW_MENU_ROUTE, r, "gateway", "198.19.0.2/32", "for gateway: expected an IPv4");
	set_ok(GW_MENU_ROUTE, r, "comment", "to the lab");
	assert_string_equal(r->comment, "to the lab");
	set_ok(GW_MENU_ROUTE, r, "comment", "");
	set_bad(GW_MENU_ROUTE, r, "comment", "tab\there", "up to 127 printable characters");
	/* a long bad value is cut in the message */
	{
		char longv[200];
		struct gw_err err;

		memset(longv, '9', sizeof longv - 1);
		longv[sizeof longv - 1] = '\0';
		assert_int_equal(gw_field_set(GW_MENU_INTERFACE, itf, "mtu", longv, &err), -1);
		assert_non_null(strstr(err.msg, "...\" for mtu"));
	}
}

static void test_disabled_everywhere(void **state)
{
	(void)state;
	for (int m = 0; m < GW_MENU_COUNT; m++) {
		uint32_t idx = add(m, "disabled=yes");
		const struct gw_field *f = gw_field_find(m, "disabled");

		assert_non_null(f);
		assert_int_equal(f->flags & (GW_FIELD_PRINT | GW_FIELD_DETAIL), 0);
		assert_string_equal(fmt(m, obj_at(m, idx), "disabled"), "yes");
		set_ok(m, obj_at(m, idx), "disabled", "no");
		assert_string_equal(fmt(m, obj_at(m, idx), "disabled"), "no");
		set_bad(m, obj_at(m, idx), "disabled", "maybe", "expected yes or no");
	}
}

static void test_unknown_field(void **state)
{
	struct gw_policy *p = obj_at(GW_MENU_POLICY, add(GW_MENU_POLICY, ""));
	struct gw_err err = {.menu = -1};

	(void)state;
	assert_int_equal(gw_field_set(GW_MENU_POLICY, p, "foo", "1", &err), -1);
	assert_string_equal(err.msg, "unknown field \"foo\" for policy");
	assert_int_equal(err.menu, GW_MENU_POLICY);
	assert_null(err.field);
	assert_int_equal(gw_field_set(GW_MENU_PROPOSAL, cfg.proposals.v, "enc-algorithm", "des",
				      &err), -1);
	assert_string_equal(err.msg, "unknown field \"enc-algorithm\" for proposal");
	assert_null(gw_field_find(GW_MENU_PEER, "sa-src"));
	assert_string_equal(gw_field_find(GW_MENU_POLICY, "sa-dst")->name, "sa-dst-address");
	/* NULL err is allowed */
	assert_int_equal(gw_field_set(GW_MENU_POLICY, p, "action", "x", NULL), -1);
}

/* ---- schema */

static void test_field_tables(void **state)
{
	static const char *const order[GW_MENU_COUNT] = {
		[GW_MENU_INTERFACE] = "name device address mtu disabled",
		[GW_MENU_ROUTE] = "dst-address gateway disabled comment",
		[GW_MENU_PROPOSAL] = "name auth-algorithms enc-algorithms lifetime lifebytes "
				     "pfs-group disabled comment",
		[GW_MENU_PEER] = "address port local-address secret generate-policy "
				 "exchange-mode send-initial-contact proposal-check "
				 "hash-algorithm enc-algorithm dh-group lifetime lifebytes "
				 "nat-traversal dpd-interval dpd-maximum-failures disabled comment",
		[GW_MENU_POLICY] = "src-address dst-address protocol action level "
				   "ipsec-protocols tunnel sa-src-address sa-dst-address "
				   "proposal manual-sa dont-fragment disabled comment",
		[GW_MENU_MANUAL_SA] = "name ah-algorithm esp-auth-algorithm esp-enc-algorithm "
				      "ah-key esp-auth-key esp-enc-key ah-spi esp-spi lifetime "
				      "disabled comment",
	};
	unsigned n;

	(void)state;
	for (int m = 0; m < GW_MENU_COUNT; m++) {
		const struct gw_field *f = gw_fields(m, &n);
		char names[512] = "";

		for (unsigned i = 0; i < n; i++) {
			assert_non_null(f[i].parse);
			assert_non_null(f[i].format);
			assert_non_null(f[i].help);
			assert_ptr_equal(gw_field_find(m, f[i].name), &f[i]);
			if (f[i].flags & GW_FIELD_KEY)
				assert_string_equal(f[i].name, "name");
			strcat(names, i ? " " : "");
			strcat(names, f[i].name);
		}
		assert_string_equal(names, order[m]);
		assert_int_equal(gw_field_find(m, "name") != NULL,
				 gw_menu_obj_name(m, &(struct gw_policy){0}) != NULL);
	}
	assert_null(gw_fields(GW_MENU_COUNT, &n));
	assert_int_equal(n, 0);
	assert_true(gw_field_find(GW_MENU_MANUAL_SA, "name")->flags & GW_FIELD_QUOTE);
	assert_true(gw_field_find(GW_MENU_PEER, "secret")->flags & GW_FIELD_QUOTE);
	assert_true(gw_field_find(GW_MENU_PEER, "port")->flags & GW_FIELD_DETAIL);
	assert_true(gw_field_find(GW_MENU_MANUAL_SA, "lifetime")->flags & GW_FIELD_DETAIL);
}

/* parse(format(x)) == x, byte for byte, for every field of every object. */
static void roundtrip_object(enum gw_menu m, const void *obj)
{
	size_t size = gw_menu_obj_size(m);
	unsigned n;
	const struct gw_field *f = gw_fields(m, &n);
	void *copy = malloc(size);

	assert_non_null(copy);
	for (unsigned i = 0; i < n; i++) {
		char text[1024];

		/* an unset policy selector prints the derived one; setting it
		 * back marks it set, which matches the same packets */
		if (m == GW_MENU_POLICY && (strcmp(f[i].name, "src-address") == 0 ||
					    strcmp(f[i].name, "dst-address") == 0)) {
			const struct gw_policy *p = obj;
			bool set = f[i].name[0] == 's' ? p->src_address_set : p->dst_address_set;

			if (!set)
				continue;
		}
		memcpy(copy, obj, size);
		gw_field_format(m, obj, &f[i], text, sizeof text);
		set_ok(m, copy, f[i].name, text);
		if (memcmp(copy, obj, size) != 0)
			fail_msg("%s %s=%s does not read back", gw_menu_name(m), f[i].name, text);
	}
	free(copy);
}

static void test_roundtrip(void **state)
{
	struct gw_policy *p;

	(void)state;
	add(GW_MENU_INTERFACE, "name=lan device=net_tap0,iface=x address=198.19.0.1/24 mtu=9000 "
			       "disabled=yes");
	add(GW_MENU_ROUTE, "dst-address=198.18.8.0/22 gateway=198.19.0.2 comment=hello");
	add(GW_MENU_PROPOSAL, "name=p2 auth-algorithms=sha512,md5,null "
			      "enc-algorithms=aes-256-gcm,3des,chacha20poly1305,aes-192-ctr,null "
			      "lifetime=1w2d3h4m5s lifebytes=123456789012 pfs-group=modp8192 "
			      "comment=x");
	add(GW_MENU_PEER, "address=198.18.0.0/15:4500 local-address=198.19.0.1 secret=s3cr3t "
			  "generate-policy=yes exchange-mode=aggressive send-initial-contact=no "
			  "proposal-check=claim hash-algorithm=sha384 enc-algorithm=aes-192 "
			  "dh-group=modp4096 lifetime=0s lifebytes=18446744073709551615 "
			  "nat-traversal=yes dpd-interval=disable-dpd dpd-maximum-failures=100");
	add(GW_MENU_PEER, "secret=a dpd-interval=45s");
	add(GW_MENU_POLICY, "src-address=198.18.1.0/24:22 dst-address=0.0.0.0/0 protocol=tcp "
			    "action=encrypt level=use ipsec-protocols=ah,esp tunnel=yes "
			    "sa-src-address=198.19.0.1 sa-dst-address=198.19.0.2 proposal=p2 "
			    "manual-sa=sa1 dont-fragment=inherit");
	add(GW_MENU_POLICY, "protocol=99 sa-src=198.18.200.1 sa-dst=198.18.200.2");
	add(GW_MENU_MANUAL_SA, "ah-algorithm=sha256 esp-auth-algorithm=md5 "
			       "esp-enc-algorithm=aes-256-ctr ah-key=0x00ff/ff00 "
			       "esp-auth-key=00112233445566778899aabbccddeeff "
			       "esp-enc-key=01 ah-spi=0x101/0x100 esp-spi=FFFFFFFF lifetime=30m "
			       "comment=manual");
	for (int m = 0; m < GW_MENU_COUNT; m++)
		for (uint32_t i = 0; i < gw_menu_count(&cfg, m); i++)
			roundtrip_object(m, gw_menu_obj_const(&cfg, m, i));
	/* a derived selector reads back as the same selector */
	p = obj_at(GW_MENU_POLICY, 1);
	set_ok(GW_MENU_POLICY, p, "src-address", fmt(GW_MENU_POLICY, p, "src-address"));
	assert_true(p->src_address_set);
	assert_int_equal(p->src_address.prefix.addr, ip("198.18.200.1"));
	assert_int_equal(p->src_address.prefix.len, 32);
}

/* ---- validation */

static void test_validate_names(void **state)
{
	uint32_t i;

	(void)state;
	i = add(GW_MENU_PROPOSAL, "name=default");
	expect_invalid(GW_MENU_PROPOSAL, (int)i, "name",
		       "duplicate proposal name \"default\": already used by proposal 0");
	gw_menu_remove(&cfg, GW_MENU_PROPOSAL, i);
	add(GW_MENU_MANUAL_SA, "name=a");
	add(GW_MENU_MANUAL_SA, "name=b");
	i = add(GW_MENU_MANUAL_SA, "name=a");
	expect_invalid(GW_MENU_MANUAL_SA, (int)i, "name", "duplicate manual-sa name \"a\"");
	gw_menu_remove(&cfg, GW_MENU_MANUAL_SA, i);
	add(GW_MENU_INTERFACE, "name=wan device=port:0");
	i = add(GW_MENU_INTERFACE, "name=wan device=port:1");
	expect_invalid(GW_MENU_INTERFACE, (int)i, "name", "duplicate interface name \"wan\"");
	set_ok(GW_MENU_INTERFACE, obj_at(GW_MENU_INTERFACE, i), "name", "lan");
	expect_valid();
	cfg.manual_sas.v[0].name[0] = '\0';
	expect_invalid(GW_MENU_MANUAL_SA, 0, "name", "has no name");
}

static void test_validate_proposals(void **state)
{
	(void)state;
	cfg.proposals.v[0].n_enc = 0;
	expect_invalid(GW_MENU_PROPOSAL, 0, "enc-algorithms",
		       "enc-algorithms of proposal \"default\" is empty");
	cfg.proposals.v[0].n_enc = 1;
	cfg.proposals.v[0].n_auth = 0;
	expect_invalid(GW_MENU_PROPOSAL, 0, "auth-algorithms", "is empty");
}

static void test_validate_policy_refs(void **state)
{
	uint32_t i;

	(void)state;
	i = add(GW_MENU_POLICY, "sa-src=198.18.200.1 sa-dst=198.18.200.2 action=encrypt proposal=nope");
	expect_invalid(GW_MENU_POLICY, (int)i, "proposal", "proposal \"nope\" does not exist");
	set_ok(GW_MENU_POLICY, obj_at(GW_MENU_POLICY, i), "proposal", "default");
	expect_valid();
	/* removing the default proposal breaks the encrypt policy that uses it */
	gw_menu_remove(&cfg, GW_MENU_PROPOSAL, 0);
	expect_invalid(GW_MENU_POLICY, (int)i, "proposal", "\"default\" does not exist");
	add(GW_MENU_PROPOSAL, "name=default");
	set_ok(GW_MENU_POLICY, obj_at(GW_MENU_POLICY, i), "manual-sa", "ghost");
	expect_invalid(GW_MENU_POLICY, (int)i, "manual-sa", "manual-sa \"ghost\" does not exist");
	/* also on a policy that does not encrypt */
	set_ok(GW_MENU_POLICY, obj_at(GW_MENU_POLICY, i), "action", "accept");
	expect_invalid(GW_MENU_POLICY, (int)i, "manual-sa", "does not exist");
	add(GW_MENU_MANUAL_SA, "name=ghost esp-enc-algorithm=des esp-enc-key=0011223344556677");
	expect_valid();
	cfg.policies.v[i].ipsec_protocols = 0;
	expect_invalid(GW_MENU_POLICY, (int)i, "ipsec-protocols", "ipsec-protocols is empty");
}

static void test_validate_encrypt_needs_sa_addresses(void **state)
{
	uint32_t i;

	(void)state;
	add(GW_MENU_POLICY, "action=accept"); /* accept needs none */
	i = add(GW_MENU_POLICY, "action=encrypt tunnel=yes src-address=198.18.1.0/24 "
				"dst-address=198.18.2.0/24 sa-dst-address=198.19.0.2");
	expect_invalid(GW_MENU_POLICY, (int)i, "sa-src-address",
		       "policy 1: action=encrypt needs sa-src-address");
	set_ok(GW_MENU_POLICY, obj_at(GW_MENU_POLICY, i), "sa-src-address", "198.19.0.1");
	set_ok(GW_MENU_POLICY, obj_at(GW_MENU_POLICY, i), "sa-dst-address", "0.0.0.0");
	expect_invalid(GW_MENU_POLICY, (int)i, "sa-dst-address", "needs sa-dst-address");
	/* transport mode too */
	set_ok(GW_MENU_POLICY, obj_at(GW_MENU_POLICY, i), "tunnel", "no");
	expect_invalid(GW_MENU_POLICY, (int)i, "sa-dst-address", "needs sa-dst-address");
	set_ok(GW_MENU_POLICY, obj_at(GW_MENU_POLICY, i), "sa-dst", "198.19.0.2");
	expect_valid();
}

static void test_validate_manual_sa_keys(void **state)
{
	struct gw_manual_sa *sa;
	uint32_t i;

	(void)state;
	i = add(GW_MENU_MANUAL_SA, "esp-enc-algorithm=aes-128-cbc "
				   "esp-enc-key=000102030405060708090a0b0c0d0e");
	sa = obj_at(GW_MENU_MANUAL_SA, i);
	expect_invalid(GW_MENU_MANUAL_SA, (int)i, "esp-enc-key",
		       "esp-enc-key of manual-sa \"sa1\" has 15 bytes (in) but aes-128-cbc needs "
		       "16 (32 hex digits)");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-enc-key",
	       "000102030405060708090a0b0c0d0e0f/000102030405060708090a0b0c0d0e");
	expect_invalid(GW_MENU_MANUAL_SA, (int)i, "esp-enc-key", "has 15 bytes (out)");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-enc-key",
	       "000102030405060708090a0b0c0d0e0f/0f0e0d0c0b0a09080706050403020100");
	expect_valid();
	/* GCM keys carry the RFC 4106 salt */
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-enc-algorithm", "aes-128-gcm");
	expect_invalid(GW_MENU_MANUAL_SA, (int)i, "esp-enc-key", "aes-128-gcm needs 20");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-enc-key", "000102030405060708090a0b0c0d0e0f10111213");
	/* one key both ways would reuse (key, nonce) pairs: refused */
	expect_invalid(GW_MENU_MANUAL_SA, (int)i, "esp-enc-key", "needs different in and out keys");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-enc-key",
	       "000102030405060708090a0b0c0d0e0f10111213/100102030405060708090a0b0c0d0e0f10111213");
	expect_valid();
	/* and are combined mode: no separate integrity algorithm */
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-auth-algorithm", "sha1");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-auth-key", "00112233445566778899aabbccddeeff00112233");
	expect_invalid(GW_MENU_MANUAL_SA, (int)i, "esp-auth-algorithm",
		       "esp-auth-algorithm must be null with aes-128-gcm");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-enc-algorithm", "chacha20poly1305");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-enc-key",
	       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223/"
	       "100102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223");
	expect_invalid(GW_MENU_MANUAL_SA, (int)i, "esp-auth-algorithm", "chacha20poly1305");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-enc-algorithm", "3des");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-enc-key", "000102030405060708090a0b0c0d0e0f1011121314151617");
	expect_valid();
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-auth-key", "00112233");
	expect_invalid(GW_MENU_MANUAL_SA, (int)i, "esp-auth-key", "sha1 needs 20 (40 hex digits)");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-auth-algorithm", "null");
	expect_valid(); /* a null algorithm ignores its key, as in the seed's AH example */
	set_ok(GW_MENU_MANUAL_SA, sa, "ah-algorithm", "md5");
	expect_invalid(GW_MENU_MANUAL_SA, (int)i, "ah-key", "has 0 bytes (in) but md5 needs 16");
	set_ok(GW_MENU_MANUAL_SA, sa, "ah-key", "00112233445566778899aabbccddeeff");
	expect_valid();
}

static void test_validate_spis(void **state)
{
	struct gw_manual_sa *sa;
	uint32_t i;

	(void)state;
	i = add(GW_MENU_MANUAL_SA, "ah-spi=0");
	sa = obj_at(GW_MENU_MANUAL_SA, i);
	expect_invalid(GW_MENU_MANUAL_SA, (int)i, "ah-spi", "SPI 0 is reserved");
	set_ok(GW_MENU_MANUAL_SA, sa, "ah-spi", "100/FF");
	expect_invalid(GW_MENU_MANUAL_SA, (int)i, "ah-spi",
		       "ah-spi of manual-sa \"sa1\" is FF (out): SPIs 1..FF are reserved by IANA "
		       "(RFC 4303)");
	set_ok(GW_MENU_MANUAL_SA, sa, "ah-spi", "100");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-spi", "0x1/0x200");
	expect_invalid(GW_MENU_MANUAL_SA, (int)i, "esp-spi", "is 1 (in)");
	set_ok(GW_MENU_MANUAL_SA, sa, "esp-spi", "0x100");
	expect_valid();
}

static void test_validate_esp_null_null(void **state)
{
	uint32_t i, s;

	(void)state;
	s = add(GW_MENU_MANUAL_SA, "name=plain");
	i = add(GW_MENU_POLICY, "action=encrypt sa-src=198.18.200.1 sa-dst=198.18.200.2 manual-sa=plain");
	expect_invalid(GW_MENU_POLICY, (int)i, "manual-sa",
		       "manual-sa \"plain\" has esp-enc-algorithm=null and esp-auth-algorithm=null");
	/* AH with a null algorithm protects nothing: refused */
	set_ok(GW_MENU_POLICY, obj_at(GW_MENU_POLICY, i), "ipsec-protocols", "ah");
	expect_invalid(GW_MENU_POLICY, (int)i, "manual-sa", "AH needs an integrity algorithm");
	set_ok(GW_MENU_POLICY, obj_at(GW_MENU_POLICY, i), "ipsec-protocols", "ah,esp");
	expect_invalid(GW_MENU_POLICY, (int)i, "manual-sa", "ESP needs at least one");
	set_ok(GW_MENU_POLICY, obj_at(GW_MENU_POLICY, i), "ipsec-protocols", "esp");
	/* integrity-only ESP is allowed (RFC 4303 3.2) */
	set_ok(GW_MENU_MANUAL_SA, obj_at(GW_MENU_MANUAL_SA, s), "esp-auth-algorithm", "sha256");
	set_ok(GW_MENU_MANUAL_SA, obj_at(GW_MENU_MANUAL_SA, s), "esp-auth-key",
	       "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	expect_valid();
}

static void test_validate_interfaces_routes_peers(void **state)
{
	uint32_t i;

	(void)state;
	i = add(GW_MENU_INTERFACE, "name=wan");
	expect_invalid(GW_MENU_INTERFACE, (int)i, "device", "interface \"wan\" has no device");
	set_ok(GW_MENU_INTERFACE, obj_at(GW_MENU_INTERFACE, i), "device", "port:0");
	cfg.interfaces.v[i].mtu = 10;
	expect_invalid(GW_MENU_INTERFACE, (int)i, "mtu", "mtu 10 of interface \"wan\"");
	cfg.interfaces.v[i].mtu = 1500;
	set_ok(GW_MENU_INTERFACE, obj_at(GW_MENU_INTERFACE, i), "address", "198.19.0.1/24");
	i = add(GW_MENU_INTERFACE, "name=lan device=port:1 address=198.19.0.200/25");
	expect_invalid(GW_MENU_INTERFACE, (int)i, "address",
		       "address 198.19.0.200/25 of interface \"lan\" overlaps 198.19.0.1/24 of "
		       "interface \"wan\"");
	set_ok(GW_MENU_INTERFACE, obj_at(GW_MENU_INTERFACE, i), "address", "198.18.0.1/24");
	expect_valid();
	i = add(GW_MENU_ROUTE, "dst-address=198.18.64.0/18");
	expect_invalid(GW_MENU_ROUTE, (int)i, "gateway", "route 0 has no gateway");
	set_ok(GW_MENU_ROUTE, obj_at(GW_MENU_ROUTE, i), "gateway", "198.19.0.2");
	expect_valid();
	i = add(GW_MENU_PEER, "address=198.19.0.2");
	expect_invalid(GW_MENU_PEER, (int)i, "secret", "peer 0 has an empty secret");
	set_ok(GW_MENU_PEER, obj_at(GW_MENU_PEER, i), "secret", "k");
	expect_valid();
}

static void test_validate_settings(void **state)
{
	static const uint32_t bad[] = {0, 16, 31, 48, 4097, 4128, 8192};
	static const uint32_t good[] = {32, 64, 1024, 4064, 4096};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cfg.dataplane.replay_window = bad[i];
		expect_invalid(-1, -1, "replay-window", "expected 32..4096 packets, a multiple of 32");
	}
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		cfg.dataplane.replay_window = good[i];
		expect_valid();
	}
	cfg.management.socket[0] = '\0';
	expect_invalid(-1, -1, "socket", "management socket path is empty");
}

/* ---- lookup, remove, clone */

static void test_lookup(void **state)
{
	(void)state;
	add(GW_MENU_MANUAL_SA, "name=ah-sa1");
	add(GW_MENU_MANUAL_SA, "name=7");
	add(GW_MENU_POLICY, "");
	add(GW_MENU_POLICY, "");
	add(GW_MENU_INTERFACE, "name=wan");
	assert_int_equal(gw_menu_lookup(&cfg, GW_MENU_PROPOSAL, "default"), 0);
	assert_int_equal(gw_menu_lookup(&cfg, GW_MENU_PROPOSAL, "0"), 0);
	assert_int_equal(gw_menu_lookup(&cfg, GW_MENU_PROPOSAL, "1"), -1);
	assert_int_equal(gw_menu_lookup(&cfg, GW_MENU_PROPOSAL, "Default"), -1);
	assert_int_equal(gw_menu_lookup(&cfg, GW_MENU_MANUAL_SA, "ah-sa1"), 0);
	assert_int_equal(gw_menu_lookup(&cfg, GW_MENU_MANUAL_SA, "1"), 1);
	/* a name wins over a print number */
	assert_int_equal(gw_menu_lookup(&cfg, GW_MENU_MANUAL_SA, "7"), 1);
	assert_int_equal(gw_menu_lookup(&cfg, GW_MENU_POLICY, "1"), 1);
	assert_int_equal(gw_menu_lookup(&cfg, GW_MENU_POLICY, "2"), -1);
	assert_int_equal(gw_menu_lookup(&cfg, GW_MENU_POLICY, "-1"), -1);
	assert_int_equal(gw_menu_lookup(&cfg, GW_MENU_POLICY, ""), -1);
	assert_int_equal(gw_menu_lookup(&cfg, GW_MENU_POLICY, "1x"), -1);
	assert_int_equal(gw_menu_lookup(&cfg, GW_MENU_POLICY, "99999999999"), -1);
	assert_int_equal(gw_menu_lookup(&cfg, GW_MENU_INTERFACE, "wan"), 0);
	assert_int_equal(gw_menu_lookup(&cfg, GW_MENU_PEER, "0"), -1);
}

static void test_remove(void **state)
{
	(void)state;
	for (int i = 0; i < 20; i++) {
		char args[32];

		snprintf(args, sizeof args, "protocol=%d", i);
		add(GW_MENU_POLICY, args);
	}
	gw_menu_remove(&cfg, GW_MENU_POLICY, 5);
	assert_int_equal(gw_menu_count(&cfg, GW_MENU_POLICY), 19);
	assert_int_equal(cfg.policies.v[4].protocol, 4);
	assert_int_equal(cfg.policies.v[5].protocol, 6);
	gw_menu_remove(&cfg, GW_MENU_POLICY, 18);
	assert_int_equal(cfg.policies.v[17].protocol, 18);
	gw_menu_remove(&cfg, GW_MENU_POLICY, 18); /* out of range: no-op */
	assert_int_equal(gw_menu_count(&cfg, GW_MENU_POLICY), 18);
	assert_null(gw_menu_obj(&cfg, GW_MENU_POLICY, 18));
	assert_non_null(gw_menu_obj(&cfg, GW_MENU_POLICY, 17));
	assert_null(gw_menu_obj(&cfg, GW_MENU_COUNT, 0));
	assert_int_equal(gw_menu_count(&cfg, GW_MENU_COUNT), 0);
}

static void test_clone_independence(void **state)
{
	struct gw_config copy;

	(void)state;
	add(GW_MENU_POLICY, "sa-src=198.18.200.1 sa-dst=198.18.200.2 action=encrypt");
	add(GW_MENU_PEER, "address=198.18.200.2 secret=x");
	add(GW_MENU_MANUAL_SA, "");
	assert_int_equal(gw_config_clone(&copy, &cfg), 0);
	assert_ptr_not_equal(copy.proposals.v, cfg.proposals.v);
	assert_ptr_not_equal(copy.policies.v, cfg.policies.v);
	assert_null(copy.interfaces.v); /* empty stays empty */
	assert_int_equal(copy.next_uid, cfg.next_uid);
	assert_memory_equal(copy.policies.v, cfg.policies.v, sizeof *cfg.policies.v);
	assert_string_equal(copy.management.socket, cfg.management.socket);

	/* change the clone every way: the original does not move */
	set_ok(GW_MENU_PROPOSAL, copy.proposals.v, "enc-algorithms", "des");
	set_ok(GW_MENU_PEER, copy.peers.v, "secret", "changed");
	gw_menu_remove(&copy, GW_MENU_MANUAL_SA, 0);
	for (int i = 0; i < 50; i++)
		assert_true(gw_menu_append(&copy, GW_MENU_POLICY) >= 0);
	assert_int_equal(gw_menu_append(&copy, GW_MENU_INTERFACE), 0);
	assert_int_equal(cfg.proposals.v[0].enc_algorithms[0], GW_ENC_3DES);
	assert_string_equal(cfg.peers.v[0].secret, "x");
	assert_int_equal(gw_menu_count(&cfg, GW_MENU_MANUAL_SA), 1);
	assert_int_equal(gw_menu_count(&cfg, GW_MENU_POLICY), 1);
	assert_int_equal(gw_menu_count(&cfg, GW_MENU_INTERFACE), 0);
	assert_true(copy.next_uid > cfg.next_uid);
	gw_config_free(&copy);
	assert_null(copy.policies.v);
	assert_int_equal(copy.policies.n, 0);
	expect_valid();
}

static void test_format_short_buffers(void **state)
{
	char buf[5];

	(void)state;
	add(GW_MENU_PEER, "address=198.18.0.2 secret=abcdefgh");
	add(GW_MENU_POLICY, "src-address=198.18.1.0/24");
	add(GW_MENU_MANUAL_SA, "ah-key=00112233445566778899/aabbccddeeff");
	for (int m = 0; m < GW_MENU_COUNT; m++) {
		unsigned n;
		const struct gw_field *f = gw_fields(m, &n);

		for (uint32_t i = 0; i < gw_menu_count(&cfg, m); i++)
			for (unsigned j = 0; j < n; j++) {
				memset(buf, 'x', sizeof buf);
				gw_field_format(m, gw_menu_obj_const(&cfg, m, i), &f[j], buf,
						sizeof buf);
				assert_true(strlen(buf) < sizeof buf);
			}
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_menu_names),
		T(test_name_tables),
		T(test_view_names),
		T(test_parse_ipv4),
		T(test_parse_prefix),
		T(test_parse_duration),
		T(test_format_duration),
		T(test_hex_key),
		T(test_config_defaults),
		T(test_peer_defaults),
		T(test_policy_defaults),
		T(test_manual_sa_defaults),
		T(test_interface_route_proposal_defaults),
		T(test_auto_names_and_uids),
		T(test_defaults_helper),
		T(test_seed_proposal_print),
		T(test_seed_peer_print),
		T(test_seed_policy_print),
		T(test_seed_manual_sa_print),
		T(test_seed_ah_example_valid),
		T(test_policy_selectors),
		T(test_peer_address),
		T(test_peer_fields),
		T(test_policy_fields),
		T(test_proposal_lists),
		T(test_manual_sa_keys_and_spis),
		T(test_strings_and_ranges),
		T(test_disabled_everywhere),
		T(test_unknown_field),
		T(test_field_tables),
		T(test_roundtrip),
		T(test_validate_names),
		T(test_validate_proposals),
		T(test_validate_policy_refs),
		T(test_validate_encrypt_needs_sa_addresses),
		T(test_validate_manual_sa_keys),
		T(test_validate_spis),
		T(test_validate_esp_null_null),
		T(test_validate_interfaces_routes_peers),
		T(test_validate_settings),
		T(test_lookup),
		T(test_remove),
		T(test_clone_independence),
		T(test_format_short_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

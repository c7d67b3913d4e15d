/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The YAML config loader: every section and field lands in the model, the
 * defaults hold, every refusal names the right FILE:LINE:COLUMN and reason,
 * and the shipped configs under conf/ all load.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fields.h"
#include "model.h"

#define ERRLEN 512

static int load(const char *yaml, struct gw_config *c, char *err)
{
	return gw_config_load_string(yaml, strlen(yaml), "t.yaml", c, err, ERRLEN);
}

/* Load must fail with exactly `want`, leave *c freed (all zero) and write
 * one line. */
static void expect_error(const char *yaml, const char *want)
{
	struct gw_config c, zero;
	char err[ERRLEN];

	memset(&c, 0x5a, sizeof(c));
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(load(yaml, &c, err), -1);
	assert_string_equal(err, want);
	assert_null(strchr(err, '\n'));
	assert_memory_equal(&c, &zero, sizeof(c));
}

static void expect_ok(const char *yaml, struct gw_config *c)
{
	char err[ERRLEN] = "";
	int rc = load(yaml, c, err);

	if (rc != 0)
		fail_msg("unexpected error: %s", err);
}

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

static void assert_key(const struct gw_key *k, const char *hex)
{
	struct gw_key want;

	assert_int_equal(gw_parse_hex_key(hex, &want), 0);
	assert_int_equal(k->len, want.len);
	assert_memory_equal(k->bytes, want.bytes, want.len);
}

/* ---- defaults */

static void check_defaults(const struct gw_config *c)
{
	assert_int_equal(c->interfaces.n, 0);
	assert_int_equal(c->routes.n, 0);
	assert_int_equal(c->peers.n, 0);
	assert_int_equal(c->policies.n, 0);
	assert_int_equal(c->manual_sas.n, 0);
	assert_int_equal(c->proposals.n, 1);
	assert_string_equal(c->proposals.v[0].name, "default");
	assert_int_equal(c->proposals.v[0].n_auth, 1);
	assert_int_equal(c->proposals.v[0].auth_algorithms[0], GW_AUTH_SHA1);
	assert_int_equal(c->proposals.v[0].n_enc, 1);
	assert_int_equal(c->proposals.v[0].enc_algorithms[0], GW_ENC_3DES);
	assert_int_equal(c->proposals.v[0].lifetime, 1800);
	assert_int_equal(c->proposals.v[0].pfs_group, GW_DH_MODP1024);
	assert_string_equal(c->management.socket, "/run/ipsecgw/ipsecgw.sock");
	assert_int_equal(c->management.socket_mode, 0600);
	assert_int_equal(c->management.max_clients, 64);
	assert_int_equal(c->dataplane.idle_sleep_us, 100);
	assert_int_equal(c->dataplane.burst_size, 32);
	assert_int_equal(c->dataplane.mbufs, 8191);
	assert_int_equal(c->dataplane.replay_window, 32);
}

static void test_empty_file_gives_defaults(void **state)
{
	static const char *const docs[] = {
		"",
		"{}\n",
		"# only a comment\n",
		"---\n",
		"~\n",
		"interfaces:\nroutes: ~\nipsec:\nmanagement:\ndataplane: null\n",
		"ipsec:\n  proposals: []\n  peers:\n  policies: ~\n  manual-sa: []\n",
	};
	struct gw_config c;

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		expect_ok(docs[i], &c);
		check_defaults(&c);
		gw_config_free(&c);
	}
}

static void test_null_buffer_is_empty(void **state)
{
	struct gw_config c;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(gw_config_load_string(NULL, 0, "t.yaml", &c, err, sizeof(err)), 0);
	check_defaults(&c);
	gw_config_free(&c);
}

/* ---- every field of every menu */

static void test_interface_fields(void **state)
{
	struct gw_config c;
	const struct gw_interface *i;

	(void)state;
	expect_ok("interfaces:\n"
		  "  - name: wan\n"
		  "    device: net_af_packet0,iface=veth-wan\n"
		  "    address: 198.19.0.1/24\n"
		  "    mtu: 1400\n"
		  "    disabled: yes\n"
		  "  - device: net_null0\n",
		  &c);
	assert_int_equal(c.interfaces.n, 2);
	i = &c.interfaces.v[0];
	assert_string_equal(i->name, "wan");
	assert_string_equal(i->device, "net_af_packet0,iface=veth-wan");
	assert_int_equal(i->address.addr, ip(198, 19, 0, 1)); /* host part kept */
	assert_int_equal(i->address.len, 24);
	assert_int_equal(i->mtu, 1400);
	assert_true(i->disabled);
	/* Defaults of an entry that sets almost nothing. */
	i = &c.interfaces.v[1];
	assert_string_equal(i->name, "ether1");
	assert_int_equal(i->mtu, 1500);
	assert_false(i->disabled);
	gw_config_free(&c);
}

static void test_route_fields(void **state)
{
	struct gw_config c;
	const struct gw_route *r;

	(void)state;
	expect_ok("routes:\n"
		  "  - dst-address: 198.18.2.7/24\n"
		  "    gateway: 198.19.0.2\n"
		  "    disabled: true\n"
		  "    comment: \"to the remote LAN\"\n",
		  &c);
	assert_int_equal(c.routes.n, 1);
	r = &c.routes.v[0];
	assert_int_equal(r->dst_address.addr, ip(198, 18, 2, 0));
	assert_int_equal(r->dst_address.len, 24);
	assert_int_equal(r->gateway, ip(198, 19, 0, 2));
	assert_true(r->disabled);
	assert_string_equal(r->comment, "to the remote LAN");
	gw_config_free(&c);
}

static void test_proposal_fields(void **state)
{
	struct gw_config c;
	const struct gw_proposal *p;

	(void)state;
	expect_ok("ipsec:\n"
		  "  proposals:\n"
		  "    - name: strong\n"
		  "      auth-algorithms: [sha256, sha1]\n"
		  "      enc-algorithms: aes-256-gcm,aes-128-cbc,3des\n"
		  "      lifetime: 1h30m\n"
		  "      lifebytes: 1000000\n"
		  "      pfs-group: modp2048\n"
		  "      disabled: no\n"
		  "      comment: strong one\n",
		  &c);
	assert_int_equal(c.proposals.n, 2);
	assert_string_equal(c.proposals.v[0].name, "default");
	p = &c.proposals.v[1];
	assert_string_equal(p->name, "strong");
	assert_int_equal(p->n_auth, 2);
	assert_int_equal(p->auth_algorithms[0], GW_AUTH_SHA256);
	assert_int_equal(p->auth_algorithms[1], GW_AUTH_SHA1);
	assert_int_equal(p->n_enc, 3);
	assert_int_equal(p->enc_algorithms[0], GW_ENC_AES256_GCM);
	assert_int_equal(p->enc_algorithms[1], GW_ENC_AES128_CBC);
	assert_int_equal(p->enc_algorithms[2], GW_ENC_3DES);
	assert_int_equal(p->lifetime, 5400);
	assert_int_equal(p->lifebytes, 1000000);
	assert_int_equal(p->pfs_group, GW_DH_MODP2048);
	assert_false(p->disabled);
	assert_string_equal(p->comment, "strong one");
	gw_config_free(&c);
}

/* seed: "proposal set default enc-algorithms=des,aes-128" */
static void test_proposal_default_sets_builtin(void **state)
{
	struct gw_config c;
	const struct gw_proposal *p;

	(void)state;
	expect_ok("ipsec:\n"
		  "  proposals:\n"
		  "    - name: other\n"
		  "    - name: default\n"
		  "      enc-algorithms: [des, aes-128]\n",
		  &c);
	assert_int_equal(c.proposals.n, 2);
	p = &c.proposals.v[0];
	assert_string_equal(p->name, "default");
	assert_int_equal(p->n_enc, 2);
	assert_int_equal(p->enc_algorithms[0], GW_ENC_DES);
	assert_int_equal(p->enc_algorithms[1], GW_ENC_AES128_CBC);
	/* Untouched fields keep the built-in values. */
	assert_int_equal(p->n_auth, 1);
	assert_int_equal(p->auth_algorithms[0], GW_AUTH_SHA1);
	assert_int_equal(p->lifetime, 1800);
	assert_string_equal(c.proposals.v[1].name, "other");
	gw_config_free(&c);
}

static void test_peer_fields(void **state)
{
	struct gw_config c;
	const struct gw_peer *p;

	(void)state;
	expect_ok("ipsec:\n"
		  "  peers:\n"
		  "    - address: 198.19.0.0/24:4500\n"
		  "      local-address: 198.19.0.1\n"
		  "      secret: \"s3cret with spaces\"\n"
		  "      generate-policy: yes\n"
		  "      exchange-mode: aggressive\n"
		  "      send-initial-contact: no\n"
		  "      proposal-check: obey\n"
		  "      hash-algorithm: sha\n"
		  "      enc-algorithm: aes-256\n"
		  "      dh-group: modp3072\n"
		  "      lifetime: 8h\n"
		  "      lifebytes: 123456\n"
		  "      nat-traversal: yes\n"
		  "      dpd-interval: 30s\n"
		  "      dpd-maximum-failures: 7\n"
		  "      disabled: yes\n"
		  "      comment: branch office\n"
		  "    - address: 198.19.0.3\n"
		  "      port: 4501\n"
		  "      secret: x\n"
		  "      dpd-interval: disable-dpd\n",
		  &c);
	assert_int_equal(c.peers.n, 2);
	p = &c.peers.v[0];
	assert_int_equal(p->address.addr, ip(198, 19, 0, 0));
	assert_int_equal(p->address.len, 24);
	assert_int_equal(p->port, 4500);
	assert_int_equal(p->local_address, ip(198, 19, 0, 1));
	assert_string_equal(p->secret, "s3cret with spaces");
	assert_true(p->generate_policy);
	assert_int_equal(p->exchange_mode, GW_XMODE_AGGRESSIVE);
	assert_false(p->send_initial_contact);
	assert_int_equal(p->proposal_check, GW_PCHECK_OBEY);
	assert_int_equal(p->hash_algorithm, GW_HASH_SHA1);
	assert_int_equal(p->enc_algorithm, GW_IKE_AES256);
	assert_int_equal(p->dh_group, GW_DH_MODP3072);
	assert_int_equal(p->lifetime, 8 * 3600);
	assert_int_equal(p->lifebytes, 123456);
	assert_true(p->nat_traversal);
	assert_int_equal(p->dpd_interval, 30);
	assert_int_equal(p->dpd_maximum_failures, 7);
	assert_true(p->disabled);
	assert_string_equal(p->comment, "branch office");

	p = &c.peers.v[1];
	assert_int_equal(p->address.addr, ip(198, 19, 0, 3));
	assert_int_equal(p->address.len, 32);
	assert_int_equal(p->port, 4501);
	assert_int_equal(p->dpd_interval, 0);
	/* seed defaults */
	assert_false(p->generate_policy);
	assert_int_equal(p->exchange_mode, GW_XMODE_MAIN);
	assert_true(p->send_initial_contact);
	assert_int_equal(p->proposal_check, GW_PCHECK_STRICT);
	assert_int_equal(p->hash_algorithm, GW_HASH_MD5);
	assert_int_equal(p->enc_algorithm, GW_IKE_3DES);
	assert_int_equal(p->dh_group, GW_DH_MODP1024);
	assert_int_equal(p->lifetime, 86400);
	gw_config_free(&c);
}

static void test_policy_fields(void **state)
{
	struct gw_config c;
	const struct gw_policy *p;

	(void)state;
	expect_ok("ipsec:\n"
		  "  proposals:\n"
		  "    - name: p2\n"
		  "  manual-sa:\n"
		  "    - name: m1\n"
		  "      esp-enc-algorithm: aes-128-cbc\n"
		  "      esp-enc-key: 000102030405060708090a0b0c0d0e0f\n"
		  "      ah-algorithm: md5\n"
		  "      ah-key: 000102030405060708090a0b0c0d0e0f\n"
		  "  policies:\n"
		  "    - src-address: 198.18.1.0/24:80\n"
		  "      dst-address: 198.18.2.0/24:any\n"
		  "      protocol: tcp\n"
		  "      action: encrypt\n"
		  "      level: unique\n"
		  "      ipsec-protocols: [ah, esp]\n"
		  "      tunnel: yes\n"
		  "      sa-src-address: 198.19.0.1\n"
		  "      sa-dst-address: 198.19.0.2\n"
		  "      proposal: p2\n"
		  "      manual-sa: m1\n"
		  "      dont-fragment: inherit\n"
		  "      disabled: yes\n"
		  "      comment: web only\n"
		  "    - sa-src: 198.19.0.1\n"
		  "      sa-dst: 198.19.0.2\n"
		  "      action: drop\n"
		  "      protocol: 17\n"
		  "      manual-sa: none\n",
		  &c);
	assert_int_equal(c.policies.n, 2);
	p = &c.policies.v[0];
	assert_true(p->src_address_set);
	assert_int_equal(p->src_address.prefix.addr, ip(198, 18, 1, 0));
	assert_int_equal(p->src_address.prefix.len, 24);
	assert_int_equal(p->src_address.port, 80);
	assert_true(p->dst_address_set);
	assert_int_equal(p->dst_address.prefix.addr, ip(198, 18, 2, 0));
	assert_int_equal(p->dst_address.port, 0);
	assert_int_equal(p->protocol, 6);
	assert_int_equal(p->action, GW_ACTION_ENCRYPT);
	assert_int_equal(p->level, GW_LEVEL_UNIQUE);
	assert_int_equal(p->ipsec_protocols, GW_PROTO_AH | GW_PROTO_ESP);
	assert_true(p->tunnel);
	assert_int_equal(p->sa_src_address, ip(198, 19, 0, 1));
	assert_int_equal(p->sa_dst_address, ip(198, 19, 0, 2));
	assert_string_equal(p->proposal, "p2");
	assert_string_equal(p->manual_sa, "m1");
	assert_int_equal(p->dont_fragment, GW_DF_INHERIT);
	assert_true(p->disabled);
	assert_string_equal(p->comment, "web only");

	/* Aliases sa-src/sa-dst, and the seed's defaults. */
	p = &c.policies.v[1];
	assert_false(p->src_address_set);
	assert_false(p->dst_address_set);
	assert_int_equal(p->sa_src_address, ip(198, 19, 0, 1));
	assert_int_equal(p->sa_dst_address, ip(198, 19, 0, 2));
	assert_int_equal(p->action, GW_ACTION_DROP);
	assert_int_equal(p->protocol, 17);
	assert_int_equal(p->level, GW_LEVEL_REQUIRE);
	assert_int_equal(p->ipsec_protocols, GW_PROTO_ESP);
	assert_false(p->tunnel);
	assert_string_equal(p->proposal, "default");
	assert_string_equal(p->manual_sa, "");
	assert_int_equal(p->dont_fragment, GW_DF_CLEAR);
	assert_true(p->uid != c.policies.v[0].uid);
	gw_config_free(&c);
}

static void test_manual_sa_fields(void **state)
{
	struct gw_config c;
	const struct gw_manual_sa *sa;

	(void)state;
	expect_ok("ipsec:\n"
		  "  manual-sa:\n"
		  "    - name: full\n"
		  "      ah-algorithm: sha256\n"
		  "      esp-auth-algorithm: sha1\n"
		  "      esp-enc-algorithm: aes-128-ctr\n"
		  "      ah-key: 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
		  "      esp-auth-key: 0102030405060708090a0b0c0d0e0f1011121314/"
		  "1413121110090807060504030201000102030405\n"
		  "      esp-enc-key: 000102030405060708090a0b0c0d0e0f10111213/"
		  "100102030405060708090a0b0c0d0e0f10111213\n"
		  "      ah-spi: 0x101/0x100\n"
		  "      esp-spi: 1001/1000\n"
		  "      lifetime: 1d\n"
		  "      disabled: yes\n"
		  "      comment: every field\n"
		  "    - ah-key: A0/0A\n",
		  &c);
	assert_int_equal(c.manual_sas.n, 2);
	sa = &c.manual_sas.v[0];
	assert_string_equal(sa->name, "full");
	assert_int_equal(sa->ah_algorithm, GW_AUTH_SHA256);
	assert_int_equal(sa->esp_auth_algorithm, GW_AUTH_SHA1);
	assert_int_equal(sa->esp_enc_algorithm, GW_ENC_AES128_CTR);
	assert_key(&sa->ah_key.in, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	assert_key(&sa->ah_key.out, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	assert_key(&sa->esp_auth_key.in, "0102030405060708090a0b0c0d0e0f1011121314");
	assert_key(&sa->esp_auth_key.out, "1413121110090807060504030201000102030405");
	assert_key(&sa->esp_enc_key.in, "000102030405060708090a0b0c0d0e0f10111213");
	assert_int_equal(sa->ah_spi.in, 0x101);
	assert_int_equal(sa->ah_spi.out, 0x100);
	assert_int_equal(sa->esp_spi.in, 0x1001);
	assert_int_equal(sa->esp_spi.out, 0x1000);
	assert_int_equal(sa->lifetime, 86400);
	assert_true(sa->disabled);
	assert_string_equal(sa->comment, "every field");

	/* seed: "manual-sa add ah-key=A0/0A" prints name="sa1" ... ah-spi=100 */
	sa = &c.manual_sas.v[1];
	assert_string_equal(sa->name, "sa1");
	assert_int_equal(sa->ah_algorithm, GW_AUTH_NULL);
	assert_key(&sa->ah_key.in, "a0");
	assert_key(&sa->ah_key.out, "0a");
	assert_int_equal(sa->ah_spi.in, 0x100);
	assert_int_equal(sa->esp_spi.out, 0x100);
	gw_config_free(&c);
}

static void test_management_and_dataplane(void **state)
{
	struct gw_config c;

	(void)state;
	expect_ok("management:\n"
		  "  socket: /tmp/gw.sock\n"
		  "  socket-mode: \"0660\"\n"
		  "  max-clients: 8\n"
		  "dataplane:\n"
		  "  idle-sleep-us: 0\n"
		  "  burst-size: 64\n"
		  "  mbufs: 16383\n"
		  "  replay-window: 4096\n",
		  &c);
	assert_string_equal(c.management.socket, "/tmp/gw.sock");
	assert_int_equal(c.management.socket_mode, 0660);
	assert_int_equal(c.management.max_clients, 8);
	assert_int_equal(c.dataplane.idle_sleep_us, 0);
	assert_int_equal(c.dataplane.burst_size, 64);
	assert_int_equal(c.dataplane.mbufs, 16383);
	assert_int_equal(c.dataplane.replay_window, 4096);
	gw_config_free(&c);

	/* Limits are inclusive; a bare 600 is octal too. */
	expect_ok("management:\n"
		  "  socket-mode: 600\n"
		  "  max-clients: 1024\n"
		  "dataplane:\n"
		  "  idle-sleep-us: 100000\n"
		  "  burst-size: 1\n"
		  "  mbufs: 1023\n"
		  "  replay-window: 32\n",
		  &c);
	assert_int_equal(c.management.socket_mode, 0600);
	assert_int_equal(c.dataplane.mbufs, 1023);
	gw_config_free(&c);
	expect_ok("dataplane: {burst-size: 512, mbufs: 1048575}\nmanagement: {socket-mode: \"0\"}\n", &c);
	assert_int_equal(c.dataplane.burst_size, 512);
	assert_int_equal(c.dataplane.mbufs, 1048575);
	assert_int_equal(c.management.socket_mode, 0);
	gw_config_free(&c);
}

/* A socket path fills sun_path with its NUL: 107 bytes is the longest. */
static void test_socket_path_length(void **state)
{
	char yaml[300], path[120], want[200];
	struct gw_config c;

	(void)state;
	memset(path, 'a', 107);
	path[0] = '/';
	path[107] = '\0';
	snprintf(yaml, sizeof(yaml), "management:\n  socket: %s\n", path);
	expect_ok(yaml, &c);
	assert_string_equal(c.management.socket, path);
	gw_config_free(&c);

	path[107] = 'a';
	path[108] = '\0';
	snprintf(yaml, sizeof(yaml), "management:\n  socket: %s\n", path);
	snprintf(want, sizeof(want), "t.yaml:2:11: 'socket' must be a path of 1 to 107 bytes");
	expect_error(yaml, want);
}

/* Flow style, anchors and aliases are all just YAML. */
static void test_flow_style_and_aliases(void **state)
{
	struct gw_config c;

	(void)state;
	expect_ok("{routes: [{dst-address: 198.18.2.0/24, gateway: &gw 198.19.0.2},\n"
		  "          {dst-address: 198.18.3.0/24, gateway: *gw}]}\n",
		  &c);
	assert_int_equal(c.routes.n, 2);
	assert_int_equal(c.routes.v[1].gateway, ip(198, 19, 0, 2));
	gw_config_free(&c);
}

/* ---- errors, each with its exact position and reason */

static void test_error_invalid_yaml(void **state)
{
	(void)state;
	expect_error("interfaces:\n"
		     "  - name: wan\n"
		     "   device: x\n",
		     "t.yaml:3:4: invalid YAML: did not find expected '-' indicator");
	expect_error("routes: [\n", "t.yaml:2:1: invalid YAML: did not find expected node content");
	expect_error("a: \"unterminated\n",
		     "t.yaml:2:1: invalid YAML: found unexpected end of stream");
	expect_error("routes: *nowhere\n", "t.yaml:1:9: invalid YAML: found undefined alias");
	/* A reader error: libyaml gives only a byte offset. */
	expect_error("routes:\n  - gateway: \xff\n",
		     "t.yaml:2:14: invalid YAML: invalid leading UTF-8 octet");
}

static void test_error_unknown_section(void **state)
{
	(void)state;
	expect_error("interfaces: []\n"
		     "firewall:\n"
		     "  - x: 1\n",
		     "t.yaml:2:1: unknown section 'firewall'");
	expect_error("ipsec:\n"
		     "  peers: []\n"
		     "  installed-sa: []\n",
		     "t.yaml:3:3: unknown section 'ipsec.installed-sa'");
	/* Menus live under ipsec:, not at the top. */
	expect_error("peers: []\n", "t.yaml:1:1: unknown section 'peers'");
}

static void test_error_unknown_key(void **state)
{
	(void)state;
	expect_error("ipsec:\n"
		     "  peers:\n"
		     "    - address: 198.19.0.2\n"
		     "      secrte: x\n",
		     "t.yaml:4:7: unknown key 'secrte' in ipsec.peers");
	expect_error("interfaces:\n"
		     "  - name: a\n"
		     "    ip: 198.18.0.1/24\n",
		     "t.yaml:3:5: unknown key 'ip' in interfaces");
	expect_error("management:\n"
		     "  socket: /tmp/x\n"
		     "  owner: root\n",
		     "t.yaml:3:3: unknown key 'owner' in management");
	expect_error("dataplane:\n"
		     "  burst: 32\n",
		     "t.yaml:2:3: unknown key 'burst' in dataplane");
}

static void test_error_bad_address(void **state)
{
	(void)state;
	expect_error("routes:\n"
		     "  - dst-address: 198.18.2.0/24\n"
		     "    gateway: 198.19.0.256\n",
		     "t.yaml:3:14: invalid value \"198.19.0.256\" for gateway: expected an IPv4 "
		     "address a.b.c.d");
	expect_error("ipsec:\n"
		     "  policies:\n"
		     "    - sa-src-address: 198.19.0\n",
		     "t.yaml:3:23: invalid value \"198.19.0\" for sa-src-address: expected an IPv4 "
		     "address a.b.c.d");
}

static void test_error_bad_prefix(void **state)
{
	(void)state;
	expect_error("routes:\n"
		     "  - dst-address: 198.18.2.0/33\n",
		     "t.yaml:2:18: invalid value \"198.18.2.0/33\" for dst-address: expected an IPv4 "
		     "prefix a.b.c.d[/0..32]");
	expect_error("interfaces:\n"
		     "  - name: lan\n"
		     "    address: 198.18.0.1/\n",
		     "t.yaml:3:14: invalid value \"198.18.0.1/\" for address: expected an IPv4 address "
		     "with prefix length a.b.c.d/0..32");
}

static void test_error_unknown_algorithm(void **state)
{
	(void)state;
	/* In a sequence, the joined list is what the field parser saw, so the
	 * position is the sequence's. */
	expect_error("ipsec:\n"
		     "  proposals:\n"
		     "    - name: p\n"
		     "      enc-algorithms: [aes-128-cbc, blowfish]\n",
		     "t.yaml:4:23: invalid value \"blowfish\" for enc-algorithms: expected one of "
		     "null, des, 3des, aes-128-cbc, aes-192-cbc, aes-256-cbc, aes-128-ctr, "
		     "aes-192-ctr, aes-256-ctr, aes-128-gcm, aes-192-gcm, aes-256-gcm, "
		     "chacha20poly1305");
	expect_error("ipsec:\n"
		     "  manual-sa:\n"
		     "    - esp-auth-algorithm: sha3\n",
		     "t.yaml:3:27: invalid value \"sha3\" for esp-auth-algorithm: expected one of "
		     "null, md5, sha1, sha256, sha384, sha512");
}

/* Validate errors point at the value of the field they name. */
static void test_error_key_length(void **state)
{
	(void)state;
	expect_error("ipsec:\n"
		     "  manual-sa:\n"
		     "    - name: k\n"
		     "      esp-enc-key: 00112233445566778899aabbccddeeff\n"
		     "      esp-enc-algorithm: aes-256-cbc\n",
		     "t.yaml:4:20: esp-enc-key of manual-sa \"k\" has 16 bytes (in) but aes-256-cbc "
		     "needs 32 (64 hex digits)");
	/* The key was never written: point at the entry. */
	expect_error("ipsec:\n"
		     "  manual-sa:\n"
		     "    - name: k\n"
		     "      ah-algorithm: sha1\n",
		     "t.yaml:3:7: ah-key of manual-sa \"k\" has 0 bytes (in) but sha1 needs 20 (40 "
		     "hex digits)");
}

static void test_error_spi_zero(void **state)
{
	(void)state;
	expect_error("ipsec:\n"
		     "  manual-sa:\n"
		     "    - name: s\n"
		     "      esp-spi: 0x101/0\n",
		     "t.yaml:4:16: esp-spi of manual-sa \"s\" is 0 (out): SPI 0 is reserved and never "
		     "sent (RFC 4303)");
}

static void test_error_duplicate_names(void **state)
{
	(void)state;
	expect_error("ipsec:\n"
		     "  manual-sa:\n"
		     "    - name: sa1\n"
		     "    - name: sa2\n"
		     "    - name: sa1\n",
		     "t.yaml:5:13: duplicate manual-sa name \"sa1\": already used by manual-sa 0");
	expect_error("interfaces:\n"
		     "  - {name: lan, device: net_null0}\n"
		     "  - {name: lan, device: net_null1}\n",
		     "t.yaml:3:12: duplicate interface name \"lan\": already used by interface 0");
	/* The first "default" entry is the built-in proposal, a second one is
	 * a duplicate like any other name. */
	expect_error("ipsec:\n"
		     "  proposals:\n"
		     "    - name: default\n"
		     "    - name: default\n",
		     "t.yaml:4:13: duplicate proposal name \"default\": already used by proposal 0");
}

static void test_error_missing_manual_sa(void **state)
{
	(void)state;
	expect_error("ipsec:\n"
		     "  manual-sa:\n"
		     "    - name: sa1\n"
		     "      esp-enc-algorithm: des\n"
		     "      esp-enc-key: 0011223344556677\n"
		     "  policies:\n"
		     "    - action: encrypt\n"
		     "      sa-src-address: 198.19.0.1\n"
		     "      sa-dst-address: 198.19.0.2\n"
		     "      manual-sa: sa2\n",
		     "t.yaml:10:18: policy 0: manual-sa \"sa2\" does not exist");
	/* A policy field that was never written points at the policy. */
	expect_error("ipsec:\n"
		     "  policies:\n"
		     "    - action: accept\n"
		     "    - action: encrypt\n"
		     "      sa-dst-address: 198.19.0.2\n",
		     "t.yaml:4:7: policy 1: action=encrypt needs sa-src-address (the SA's local "
		     "endpoint)");
}

static void test_error_duplicate_key(void **state)
{
	(void)state;
	expect_error("ipsec:\n"
		     "  peers:\n"
		     "    - address: 198.19.0.2\n"
		     "      secret: a\n"
		     "      secret: b\n",
		     "t.yaml:5:7: duplicate key 'secret'");
	expect_error("ipsec:\n"
		     "  policies:\n"
		     "    - sa-src-address: 198.19.0.1\n"
		     "      sa-src: 198.19.0.3\n",
		     "t.yaml:4:7: duplicate key 'sa-src' (same field as 'sa-src-address')");
	expect_error("routes: []\n"
		     "routes: []\n",
		     "t.yaml:2:1: duplicate key 'routes'");
	expect_error("ipsec:\n"
		     "  peers: []\n"
		     "  peers: []\n",
		     "t.yaml:3:3: duplicate key 'peers'");
	expect_error("dataplane:\n"
		     "  mbufs: 2047\n"
		     "  mbufs: 4095\n",
		     "t.yaml:3:3: duplicate key 'mbufs'");
}

static void test_error_wrong_node_kind(void **state)
{
	(void)state;
	/* A sequence where a scalar belongs. */
	expect_error("ipsec:\n"
		     "  peers:\n"
		     "    - address: [198.19.0.2, 198.19.0.3]\n",
		     "t.yaml:3:16: expected a scalar for 'address', got a sequence");
	expect_error("management:\n"
		     "  socket: [a]\n",
		     "t.yaml:2:11: expected a scalar for 'socket', got a sequence");
	/* A mapping where a scalar belongs. */
	expect_error("routes:\n"
		     "  - gateway:\n"
		     "      address: 198.19.0.2\n",
		     "t.yaml:3:7: expected a scalar for 'gateway', got a mapping");
	/* Only scalars inside a list field's sequence. */
	expect_error("ipsec:\n"
		     "  proposals:\n"
		     "    - enc-algorithms: [des, [3des]]\n",
		     "t.yaml:3:29: expected a scalar for 'enc-algorithms', got a sequence");
	expect_error("interfaces:\n"
		     "  name: lan\n",
		     "t.yaml:2:3: expected a sequence for 'interfaces', got a mapping");
	expect_error("routes:\n"
		     "  - 198.18.2.0/24\n",
		     "t.yaml:2:5: expected a mapping for an entry of 'routes', got a scalar");
	expect_error("ipsec: [peers]\n", "t.yaml:1:8: expected a mapping for 'ipsec', got a sequence");
	expect_error("dataplane: fast\n",
		     "t.yaml:1:12: expected a mapping for 'dataplane', got a scalar");
	expect_error("- interfaces\n", "t.yaml:1:1: expected a mapping at the top level, got a sequence");
	expect_error("? [a, b]\n: c\n", "t.yaml:1:3: expected a scalar key, got a sequence");
}

static void test_error_settings_ranges(void **state)
{
	static const struct {
		const char *yaml, *err;
	} cases[] = {
		{ "dataplane:\n  idle-sleep-us: 100001\n",
		  "t.yaml:2:18: 'idle-sleep-us' must be an integer from 0 to 100000" },
		{ "dataplane:\n  idle-sleep-us: -1\n",
		  "t.yaml:2:18: 'idle-sleep-us' must be an integer from 0 to 100000" },
		{ "dataplane:\n  burst-size: 0\n",
		  "t.yaml:2:15: 'burst-size' must be an integer from 1 to 512" },
		{ "dataplane:\n  burst-size: 513\n",
		  "t.yaml:2:15: 'burst-size' must be an integer from 1 to 512" },
		{ "dataplane:\n  burst-size: 0x20\n",
		  "t.yaml:2:15: 'burst-size' must be an integer from 1 to 512" },
		{ "dataplane:\n  mbufs: 1022\n",
		  "t.yaml:2:10: 'mbufs' must be an integer from 1023 to 1048575" },
		{ "dataplane:\n  mbufs: 1048576\n",
		  "t.yaml:2:10: 'mbufs' must be an integer from 1023 to 1048575" },
		{ "dataplane:\n  mbufs: 99999999999999999999999\n",
		  "t.yaml:2:10: 'mbufs' must be an integer from 1023 to 1048575" },
		{ "dataplane:\n  replay-window: 48\n",
		  "t.yaml:2:18: 'replay-window' must be a multiple of 32 from 32 to 4096" },
		{ "dataplane:\n  replay-window: 4128\n",
		  "t.yaml:2:18: 'replay-window' must be a multiple of 32 from 32 to 4096" },
		{ "dataplane:\n  replay-window: 0\n",
		  "t.yaml:2:18: 'replay-window' must be a multiple of 32 from 32 to 4096" },
		{ "management:\n  socket-mode: \"01000\"\n",
		  "t.yaml:2:16: 'socket-mode' must be an octal mode from 0 to 0777" },
		{ "management:\n  socket-mode: \"0680\"\n",
		  "t.yaml:2:16: 'socket-mode' must be an octal mode from 0 to 0777" },
		{ "management:\n  socket-mode: rw\n",
		  "t.yaml:2:16: 'socket-mode' must be an octal mode from 0 to 0777" },
		{ "management:\n  socket:\n",
		  "t.yaml:2:10: 'socket' must be a path of 1 to 107 bytes" },
		{ "management:\n  max-clients: 0\n",
		  "t.yaml:2:16: 'max-clients' must be an integer from 1 to 1024" },
		{ "management:\n  max-clients: 1025\n",
		  "t.yaml:2:16: 'max-clients' must be an integer from 1 to 1024" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].yaml, cases[i].err);
}

static void test_error_bad_values(void **state)
{
	(void)state;
	expect_error("interfaces:\n"
		     "  - name: lan\n"
		     "    device: net_null0\n"
		     "    mtu: 9001\n",
		     "t.yaml:4:10: invalid value \"9001\" for mtu: expected a number from 68 to 9000");
	expect_error("ipsec:\n"
		     "  policies:\n"
		     "    - tunnel: maybe\n",
		     "t.yaml:3:15: invalid value \"maybe\" for tunnel: expected yes or no");
	expect_error("ipsec:\n"
		     "  proposals:\n"
		     "    - lifetime: 30x\n",
		     "t.yaml:3:17: invalid value \"30x\" for lifetime: expected a duration such as "
		     "30m, 1d2h3m4s, 1w, 0s or 3600 (seconds), at most 4294967295s");
	/* Empty secret: refused by validate, pointing at the empty value. */
	expect_error("ipsec:\n"
		     "  peers:\n"
		     "    - address: 198.19.0.2\n"
		     "      secret: \"\"\n",
		     "t.yaml:4:15: peer 0 has an empty secret");
	/* An SPI from IANA's reserved range. */
	expect_error("ipsec:\n"
		     "  manual-sa:\n"
		     "    - ah-spi: 0xff\n",
		     "t.yaml:3:15: ah-spi of manual-sa \"sa1\" is FF (in): SPIs 1..FF are reserved by "
		     "IANA (RFC 4303)");
	/* Overlapping interfaces point at the second address. */
	expect_error("interfaces:\n"
		     "  - {name: a, device: net_null0, address: 198.18.0.1/24}\n"
		     "  - {name: b, device: net_null1, address: 198.18.0.2/16}\n",
		     "t.yaml:3:43: address 198.18.0.2/16 of interface \"b\" overlaps 198.18.0.1/24 "
		     "of interface \"a\"");
}

static void test_error_other(void **state)
{
	(void)state;
	/* The next document would otherwise be ignored without a word. */
	expect_error("routes: []\n---\nroutes: []\n",
		     "t.yaml:3:1: only one YAML document is allowed");
	/* A "\0" escape would cut the value short behind our back. */
	expect_error("ipsec:\n"
		     "  peers:\n"
		     "    - address: 198.19.0.2\n"
		     "      secret: \"abc\\0def\"\n",
		     "t.yaml:4:15: NUL character in the value of 'secret'");
	/* An echoed key cannot break the one-line format. */
	expect_error("\"fire\\nwall\\e\": []\n", "t.yaml:1:1: unknown section 'fire wall?'");
}

static void test_error_list_too_long(void **state)
{
	char yaml[4096];
	size_t off;

	(void)state;
	off = (size_t)snprintf(yaml, sizeof(yaml), "ipsec:\n  proposals:\n    - enc-algorithms: [");
	for (int i = 0; i < 60; i++)
		off += (size_t)snprintf(yaml + off, sizeof(yaml) - off, "%saes-128-cbc-xxxxxx",
					i ? ", " : "");
	snprintf(yaml + off, sizeof(yaml) - off, "]\n");
	/* 1024 bytes hold 53 items of 18 characters plus commas: item 54 fails. */
	expect_error(yaml, "t.yaml:3:1084: list too long for 'enc-algorithms'");
}

static void test_error_file(void **state)
{
	struct gw_config c, zero;
	char err[ERRLEN];

	(void)state;
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(gw_config_load_file("/nonexistent/ipsecgw.yaml", &c, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/ipsecgw.yaml:1:1: cannot read: No such file or directory");
	assert_memory_equal(&c, &zero, sizeof(c));
	/* fopen() takes a directory; reading it is what fails. */
	assert_int_equal(gw_config_load_file("/", &c, err, sizeof(err)), -1);
	assert_string_equal(err, "/:1:1: cannot read: Is a directory");
}

/* A short error buffer gets a truncated line, never an overrun; no buffer at
 * all is allowed too. */
static void test_error_buffer_small(void **state)
{
	struct gw_config c;
	char err[8];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(gw_config_load_string("x: 1\n", 5, "t.yaml", &c, err, sizeof(err)), -1);
	assert_string_equal(err, "t.yaml:");
	assert_int_equal(gw_config_load_string("x: 1\n", 5, "t.yaml", &c, NULL, 0), -1);
}

/* ---- shipped configs */

static void load_path(const char *path, struct gw_config *c)
{
	char err[ERRLEN] = "";

	if (gw_config_load_file(path, c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static size_t load_all(const char *pattern)
{
	const char *root = getenv("GW_SOURCE_ROOT");
	char full[4096];
	glob_t g;
	size_t n;

	snprintf(full, sizeof(full), "%s/%s", root ? root : ".", pattern);
	if (glob(full, 0, NULL, &g) != 0)
		fail_msg("no files match %s (is GW_SOURCE_ROOT set?)", full);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct gw_config c;

		load_path(g.gl_pathv[i], &c);
		gw_config_free(&c);
	}
	n = g.gl_pathc;
	globfree(&g);
	return n;
}

static void test_shipped_configs_load(void **state)
{
	(void)state;
	assert_true(load_all("conf/*.yaml") >= 1);
	assert_true(load_all("conf/examples/*.yaml") >= 7);
}

/* The demo config: what the daemon and the demo scripts rely on. */
static void test_default_config_content(void **state)
{
	const char *root = getenv("GW_SOURCE_ROOT");
	char path[4096];
	struct gw_config c;
	const struct gw_policy *enc = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/ipsecgw.yaml", root ? root : ".");
	load_path(path, &c);
	assert_int_equal(c.interfaces.n, 2);
	assert_string_equal(c.interfaces.v[0].device, "net_null0");
	assert_int_equal(c.interfaces.v[0].address.addr, ip(198, 18, 0, 1));
	assert_string_equal(c.interfaces.v[1].device, "net_null1");
	assert_int_equal(c.interfaces.v[1].address.addr, ip(198, 19, 0, 1));
	assert_true(c.routes.n >= 1);
	assert_int_equal(c.peers.n, 1);
	assert_int_equal(c.peers.v[0].address.addr, ip(198, 19, 0, 2));
	assert_int_equal(c.manual_sas.n, 1);
	assert_int_equal(c.manual_sas.v[0].esp_enc_algorithm, GW_ENC_AES128_CBC);
	assert_int_equal(c.manual_sas.v[0].esp_auth_algorithm, GW_AUTH_SHA1);
	assert_int_equal(c.manual_sas.v[0].esp_spi.in, 0x1001);
	assert_int_equal(c.manual_sas.v[0].esp_spi.out, 0x1000);
	for (uint32_t i = 0; i < c.policies.n; i++)
		if (c.policies.v[i].action == GW_ACTION_ENCRYPT)
			enc = &c.policies.v[i];
	assert_non_null(enc);
	assert_int_equal(enc->src_address.prefix.addr, ip(198, 18, 0, 0));
	assert_int_equal(enc->dst_address.prefix.addr, ip(198, 18, 2, 0));
	assert_true(enc->tunnel);
	assert_int_equal(enc->sa_src_address, ip(198, 19, 0, 1));
	assert_int_equal(enc->sa_dst_address, ip(198, 19, 0, 2));
	assert_string_equal(enc->manual_sa, c.manual_sas.v[0].name);
	assert_int_equal(c.policies.v[0].action, GW_ACTION_ACCEPT);
	gw_config_free(&c);
}

/* The AH example pair must mirror each other's SPIs and share the key. */
static void test_manual_ah_examples_mirror(void **state)
{
	const char *root = getenv("GW_SOURCE_ROOT");
	char p1[4096], p2[4096];
	struct gw_config a, b;

	(void)state;
	snprintf(p1, sizeof(p1), "%s/conf/examples/manual-ah-tunnel-router1.yaml", root ? root : ".");
	snprintf(p2, sizeof(p2), "%s/conf/examples/manual-ah-tunnel-router2.yaml", root ? root : ".");
	load_path(p1, &a);
	load_path(p2, &b);
	assert_int_equal(a.manual_sas.v[0].ah_spi.in, 0x101);
	assert_int_equal(a.manual_sas.v[0].ah_spi.out, 0x100);
	assert_int_equal(b.manual_sas.v[0].ah_spi.in, 0x100);
	assert_int_equal(b.manual_sas.v[0].ah_spi.out, 0x101);
	assert_int_equal(a.manual_sas.v[0].ah_algorithm, GW_AUTH_SHA1);
	assert_int_equal(a.manual_sas.v[0].ah_key.in.len, 20);
	assert_memory_equal(&a.manual_sas.v[0].ah_key, &b.manual_sas.v[0].ah_key,
			    sizeof(a.manual_sas.v[0].ah_key));
	assert_int_equal(a.policies.v[0].ipsec_protocols, GW_PROTO_AH);
	assert_int_equal(a.policies.v[0].sa_src_address, b.policies.v[0].sa_dst_address);
	gw_config_free(&a);
	gw_config_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_file_gives_defaults),
		cmocka_unit_test(test_null_buffer_is_empty),
		cmocka_unit_test(test_interface_fields),
		cmocka_unit_test(test_route_fields),
		cmocka_unit_test(test_proposal_fields),
		cmocka_unit_test(test_proposal_default_sets_builtin),
		cmocka_unit_test(test_peer_fields),
		cmocka_unit_test(test_policy_fields),
		cmocka_unit_test(test_manual_sa_fields),
		cmocka_unit_test(test_management_and_dataplane),
		cmocka_unit_test(test_socket_path_length),
		cmocka_unit_test(test_flow_style_and_aliases),
		cmocka_unit_test(test_error_invalid_yaml),
		cmocka_unit_test(test_error_unknown_section),
		cmocka_unit_test(test_error_unknown_key),
		cmocka_unit_test(test_error_bad_address),
		cmocka_unit_test(test_error_bad_prefix),
		cmocka_unit_test(test_error_unknown_algorithm),
		cmocka_unit_test(test_error_key_length),
		cmocka_unit_test(test_error_spi_zero),
		cmocka_unit_test(test_error_duplicate_names),
		cmocka_unit_test(test_error_missing_manual_sa),
		cmocka_unit_test(test_error_duplicate_key),
		cmocka_unit_test(test_error_wrong_node_kind),
		cmocka_unit_test(test_error_settings_ranges),
		cmocka_unit_test(test_error_bad_values),
		cmocka_unit_test(test_error_other),
		cmocka_unit_test(test_error_list_too_long),
		cmocka_unit_test(test_error_file),
		cmocka_unit_test(test_error_buffer_small),
		cmocka_unit_test(test_shipped_configs_load),
		cmocka_unit_test(test_default_config_content),
		cmocka_unit_test(test_manual_ah_examples_mirror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

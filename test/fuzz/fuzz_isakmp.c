/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the ISAKMP codec and the IKEv1 responder:
 *  - the input parsed as a datagram (header + payload chain), then its body
 *    again as a decrypted (padded) payload chain of every first type;
 *  - the input fed to an engine configured with a catch-all peer and a
 *    policy, on port 500 and on 4500 (non-ESP marker path), then a tick
 *    far in the future; every action is drained and freed.
 * Build: scripts/fuzz.sh (clang -fsanitize=fuzzer,address,undefined).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ikev1.h"
#include "isakmp.h"

static struct ike_engine *eng;
static struct gw_config cfg;
static struct isakmp_msg *msg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void init(void)
{
	int i;

	msg = malloc(sizeof(*msg));
	eng = ike_engine_new(NULL);
	if (!msg || !eng || gw_config_init(&cfg) != 0)
		abort();
	i = gw_menu_append(&cfg, GW_MENU_PEER);
	cfg.peers.v[i].address.len = 0; /* everyone */
	cfg.peers.v[i].nat_traversal = true;
	cfg.peers.v[i].generate_policy = true;
	strcpy(cfg.peers.v[i].secret, "fuzz");
	i = gw_menu_append(&cfg, GW_MENU_PEER);
	cfg.peers.v[i].address.addr = 0xc6120063; /* 198.18.0.99: aggressive */
	cfg.peers.v[i].address.len = 32;
	cfg.peers.v[i].exchange_mode = GW_XMODE_AGGRESSIVE;
	strcpy(cfg.peers.v[i].secret, "fuzz");
	ike_engine_set_config(eng, &cfg);
}

static void drain(void)
{
	struct ike_action a;

	while (ike_action_next(eng, &a))
		ike_action_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t now = 1000;
	struct isakmp_err err;
	uint8_t *buf;

	if (!eng)
		init();
	(void)isakmp_parse(data, size, msg, &err);
	if (size > ISAKMP_HDR_LEN)
		(void)isakmp_parse_payloads(data[16], data + ISAKMP_HDR_LEN, size - ISAKMP_HDR_LEN, true, msg, &err);
	now += 10;
	ike_input(eng, now, 0xc6120001, 500, 0xc6120002, 500, data, size);
	ike_input(eng, now, 0xc6120001, 500, 0xc6120063, 500, data, size);
	buf = malloc(size + 4);
	if (buf) {
		memset(buf, 0, 4);
		memcpy(buf + 4, data, size);
		ike_input(eng, now, 0xc6120001, 4500, 0xc6120002, 4500, buf, size + 4);
		free(buf);
	}
	drain();
	if ((now / 10) % 64 == 0) {
		now += 120000; /* expire half-open state so memory stays bounded */
		ike_tick(eng, now);
		drain();
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the inbound packet path: a frame addressed to the
 * gateway carrying ESP or AH for one of its SAs, whose bytes after the SPI
 * come from the fuzzer. It goes through the same code as a received frame
 * (gw_path_rx: L3 checks, SA lookup, replay check, decryption or ICV check,
 * padding and inner-header checks, policy check, forwarding). Any crash,
 * sanitizer report or leaked mbuf is a finding.
 *
 * The SAs are chosen so that the fuzzer reaches deep: an ESP SA with
 * encryption only (no ICV to stop it) lets random bytes reach the padding
 * and inner-header checks; GCM and AH exercise the ICV paths.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "config.h"
#include "ctl.h"
#include "dp.h"
#include "path.h"
#include "ports.h"

static const char conf_yaml[] =
	"interfaces:\n"
	"  - {name: lan, device: net_null0, address: 198.18.1.1/24}\n"
	"  - {name: wan, device: net_null1, address: 198.19.0.1/24}\n"
	"routes:\n"
	"  - {dst-address: 198.18.2.0/24, gateway: 198.19.0.2}\n"
	"ipsec:\n"
	"  manual-sa:\n"
	"    - {name: cbc, esp-enc-algorithm: aes-128-cbc, esp-spi: 0x1001/0x1000,\n"
	"       esp-enc-key: 000102030405060708090a0b0c0d0e0f/101112131415161718191a1b1c1d1e1f}\n"
	"    - {name: gcm, esp-enc-algorithm: aes-128-gcm, esp-spi: 0x2001/0x2000,\n"
	"       esp-enc-key: 000102030405060708090a0b0c0d0e0f10111213/101112131415161718191a1b1c1d1e1f10111213}\n"
	"    - {name: ah, ah-algorithm: sha1, ah-spi: 0x3001/0x3000,\n"
	"       ah-key: 0102030405060708090a0b0c0d0e0f1011121314}\n"
	"    - {name: tr, esp-enc-algorithm: 3des, esp-auth-algorithm: md5, esp-spi: 0x4001/0x4000,\n"
	"       esp-enc-key: 000102030405060708090a0b0c0d0e0f1011121314151617,\n"
	"       esp-auth-key: 00112233445566778899aabbccddeeff}\n"
	"  policies:\n"
	"    - {src-address: 198.18.1.0/24, dst-address: 198.18.2.0/24, action: encrypt, tunnel: yes,\n"
	"       sa-src-address: 198.19.0.1, sa-dst-address: 198.19.0.2, manual-sa: cbc}\n"
	"    - {src-address: 198.18.1.0/24, dst-address: 198.18.3.0/24, action: encrypt, tunnel: yes,\n"
	"       sa-src-address: 198.19.0.1, sa-dst-address: 198.19.0.3, manual-sa: gcm}\n"
	"    - {src-address: 198.18.1.0/24, dst-address: 198.18.4.0/24, action: encrypt, tunnel: yes,\n"
	"       ipsec-protocols: ah, sa-src-address: 198.19.0.1, sa-dst-address: 198.19.0.4, manual-sa: ah}\n"
	"    - {sa-src-address: 198.19.0.1, sa-dst-address: 198.19.0.5, action: encrypt, manual-sa: tr}\n"
	"dataplane: {idle-sleep-us: 0, mbufs: 2047}\n";

/* One per SA above: the peer's address, the SPI we receive on, the protocol. */
static const struct {
	uint32_t src, spi;
	uint8_t proto;
} targets[] = {
	{RTE_IPV4(198, 19, 0, 2), 0x1001, IPPROTO_ESP},
	{RTE_IPV4(198, 19, 0, 3), 0x2001, IPPROTO_ESP},
	{RTE_IPV4(198, 19, 0, 4), 0x3001, IPPROTO_AH},
	{RTE_IPV4(198, 19, 0, 5), 0x4001, IPPROTO_ESP},
};

static struct rte_mempool *mp;
static struct gw_port ports[2];
static unsigned n_ports;
static struct gw_ctl ctl;
static struct gw_dp dp;
static struct gw_path *path;
static unsigned mbufs_free;

static void die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_decap: %s: %s\n", what, why);
	exit(1);
}

static void setup(void)
{
	struct gw_config cfg;
	struct gw_err gerr;
	char err[512];

	if (gw_config_load_string(conf_yaml, sizeof(conf_yaml) - 1, "fuzz.yaml", &cfg, err, sizeof(err)))
		die("config", err);
	mp = rte_pktmbuf_pool_create("fuzz_mbufs", cfg.dataplane.mbufs, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     (int)rte_socket_id());
	if (!mp)
		die("mempool", rte_strerror(rte_errno));
	if (gw_ports_open(&cfg, mp, 1, ports, &n_ports, err, sizeof(err)))
		die("ports", err);
	/* One "worker" whose path the fuzzer drives from this thread. */
	if (gw_ctl_init(&ctl, &cfg, 1, &gerr) ||
	    gw_dp_init(&dp, mp, ports, n_ports, 1, ctl.counters, err, sizeof(err)) ||
	    gw_ctl_start(&ctl, &dp, &gerr))
		die("control", gerr.msg[0] ? gerr.msg : err);
	path = &dp.paths[0];
	mbufs_free = rte_mempool_avail_count(mp);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char prefix[64];
	char *eal[] = {"fuzz_decap", "--no-huge", "--no-pci", "-m", "256", "--file-prefix", prefix,
		       "--log-level", "*:error", NULL};
	(void)argc;
	(void)argv;

	snprintf(prefix, sizeof(prefix), "fuzz_decap_%d", (int)getpid());
	if (rte_eal_init(9, eal) < 0)
		die("EAL", rte_strerror(rte_errno));
	setup();
	return 0;
}

/* Ethernet + IPv4 from the SA's peer to us + SPI, then the fuzzer's bytes. */
static struct rte_mbuf *frame(const uint8_t *data, size_t size)
{
	const uint8_t sel = data[0] % RTE_DIM(targets);
	const size_t body = size - 1, hdr = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr);
	size_t spi_off = targets[sel].proto == IPPROTO_AH ? 4 : 0;
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	uint8_t *p;

	if (!m)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hdr + spi_off + 4 + body));
	if (!p) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	eh = (struct rte_ether_hdr *)p;
	eh->dst_addr = ports[1].mac;
	memset(&eh->src_addr, 0x02, sizeof(eh->src_addr));
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + spi_off + 4 + body));
	ip->time_to_live = 64;
	ip->next_proto_id = targets[sel].proto;
	ip->src_addr = rte_cpu_to_be_32(targets[sel].src);
	ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(198, 19, 0, 1));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	p += hdr;
	/* AH: next header, length and reserved come from the fuzzer too */
	if (spi_off)
		memcpy(p, data + 1, body < 4 ? body : 4);
	*(rte_be32_t *)(p + spi_off) = rte_cpu_to_be_32(targets[sel].spi);
	if (spi_off && body > 4)
		memcpy(p + spi_off + 4, data + 5, body - 4);
	else if (!spi_off)
		memcpy(p + 4, data + 1, body);
	m->port = ports[1].port_id;
	return m;
}

static void drain(void)
{
	void *m;

	gw_l3_tx_flush(path->l3);
	while (rte_ring_dequeue(dp.punt, &m) == 0)
		rte_pktmbuf_free(m);
	gw_dp_poll(&dp, ctl.live);
	while (rte_ring_dequeue(dp.ctl_tx[0], &m) == 0)
		rte_pktmbuf_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *m;

	if (size < 1 || size > 1400)
		return 0;
	m = frame(data, size);
	if (!m)
		return 0;
	gw_path_begin(path, ctl.live);
	gw_path_rx(path, &m, 1);
	drain();
	if (rte_mempool_avail_count(mp) != mbufs_free) {
		fprintf(stderr, "fuzz_decap: mbuf leak: %u free, %u expected\n",
			rte_mempool_avail_count(mp), mbufs_free);
		abort();
	}
	return 0;
}

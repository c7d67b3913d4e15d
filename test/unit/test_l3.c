/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L3 unit tests: FIB, neighbours/ARP, IPv4 checks, TTL, ICMP, fragmentation
 * and reassembly, over a real EAL (--no-huge --no-pci) with two net_null
 * ports. Expected bytes are built here by hand, with this file's own
 * checksum, not with the code under test. Every test ends with both mempools
 * full again: no mbuf leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_mbuf.h>

#include "l3.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define N_MBUFS 1023
#define N_INDIRECT 511

/* Topology: if0 198.18.0.1/24 (port 0), if1 198.19.0.1/24 (port 1);
 * 198.18.100.0/24 via 198.19.0.254; 198.18.128.0/17 via 198.18.0.254. */
#define IF0_ADDR IP(198, 18, 0, 1)
#define IF1_ADDR IP(198, 19, 0, 1)
#define HOST_A IP(198, 18, 0, 10)
#define GW_B IP(198, 19, 0, 254)
#define FAR_DST IP(198, 18, 100, 5)

static const struct rte_ether_addr MAC_IF0 = { { 0x02, 0, 0, 0, 0, 0x01 } };
static const struct rte_ether_addr MAC_IF1 = { { 0x02, 0, 0, 0, 0, 0x02 } };
static const struct rte_ether_addr MAC_A = { { 0x02, 0, 0, 0, 0, 0x0a } };
static const struct rte_ether_addr MAC_B = { { 0x02, 0, 0, 0, 0, 0xfe } };

static struct rte_mempool *mp, *mp_ind;
static struct gw_neigh_table *neigh;
static struct rte_ring *ring;
static struct gw_frag *frag;
static struct gw_l3_ctx ctx;
static struct gw_fib *fib;
static uint64_t hz, now0;

/* ---- helpers: bytes */

/* RFC 1071 checksum, written independently of DPDK's: 0 over a valid region. */
static uint16_t ref_cksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

struct ipspec {
	uint32_t src, dst;
	uint8_t proto, ttl, ihl; /* ihl 0 = 5 */
	uint16_t len;            /* total length */
	uint16_t id;
	uint16_t frag;           /* flags + offset, host order */
};

/* IPv4 header (options: NOPs) + payload pattern; returns the length. */
static unsigned build_ip(uint8_t *b, const struct ipspec *s)
{
	unsigned ihl = s->ihl ? s->ihl : 5, hl = ihl * 4, i;

	memset(b, 0, hl);
	b[0] = (uint8_t)(0x40 | ihl);
	put16(b + 2, s->len);
	put16(b + 4, s->id);
	put16(b + 6, s->frag);
	b[8] = s->ttl;
	b[9] = s->proto;
	put32(b + 12, s->src);
	put32(b + 16, s->dst);
	for (i = 20; i < hl; i++)
		b[i] = 1; /* NOP */
	for (i = hl; i < s->len; i++)
		b[i] = (uint8_t)(i * 7 + 3);
	put16(b + 10, ref_cksum(b, hl));
	return s->len;
}

/* Make the payload an ICMP message of type/code (checksummed). */
static void make_icmp(uint8_t *b, uint8_t type, uint8_t code)
{
	unsigned hl = (b[0] & 0xf) * 4, len = get16(b + 2);
	uint8_t *ic = b + hl;

	ic[0] = type;
	ic[1] = code;
	put16(ic + 2, 0);
	put16(ic + 2, ref_cksum(ic, len - hl));
}

static struct rte_mbuf *mbuf_from(const void *bytes, unsigned len, uint16_t port)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	void *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(p);
	memcpy(p, bytes, len);
	m->port = port;
	return m;
}

/* An Ethernet frame carrying the IPv4 packet ip, received on port. */
static struct rte_mbuf *frame_in(uint16_t port, const struct rte_ether_addr *dst, const struct rte_ether_addr *src,
				 const uint8_t *ip, unsigned len)
{
	uint8_t buf[4096];

	assert_true(len + 14 <= sizeof(buf));
	memcpy(buf, dst->addr_bytes, 6);
	memcpy(buf + 6, src->addr_bytes, 6);
	put16(buf + 12, RTE_ETHER_TYPE_IPV4);
	memcpy(buf + 14, ip, len);
	return mbuf_from(buf, len + 14, port);
}

static unsigned bin_n(uint16_t port)
{
	return ctx.tx.n[port];
}

static const uint8_t *bin_frame(uint16_t port, unsigned i, unsigned *len)
{
	struct rte_mbuf *m = ctx.tx.pkts[port][i];

	assert_int_equal(m->nb_segs, 1);
	*len = rte_pktmbuf_pkt_len(m);
	return rte_pktmbuf_mtod(m, const uint8_t *);
}

/* Copy a (possibly chained) mbuf out. */
static unsigned mbuf_bytes(const struct rte_mbuf *m, uint8_t *out, unsigned max)
{
	unsigned len = rte_pktmbuf_pkt_len(m);
	const void *p;

	assert_true(len <= max);
	p = rte_pktmbuf_read(m, 0, len, out);
	assert_non_null(p);
	if (p != out)
		memcpy(out, p, len);
	return len;
}

static uint64_t drops(enum gw_l3_drop r)
{
	return ctx.stats.drop[r];
}

static uint64_t events(enum gw_l3_event e)
{
	return ctx.stats.ev[e];
}

/* ---- fixtures */

static void std_ifs(struct gw_l3_if *ifs)
{
	memset(ifs, 0, 2 * sizeof(*ifs));
	ifs[0] = (struct gw_l3_if){ .port_id = 0, .addr = IF0_ADDR, .plen = 24, .mtu = 1500, .mac = MAC_IF0 };
	ifs[1] = (struct gw_l3_if){ .port_id = 1, .addr = IF1_ADDR, .plen = 24, .mtu = 1500, .mac = MAC_IF1 };
}

static struct gw_route mkroute(uint32_t dst, uint8_t len, uint32_t gw)
{
	struct gw_route r;

	memset(&r, 0, sizeof(r));
	r.dst_address.addr = dst;
	r.dst_address.len = len;
	r.gateway = gw;
	return r;
}

static void ctx_reset(uint32_t icmp_rate, uint32_t icmp_burst)
{
	struct gw_l3_ctx_conf conf = {
		.tx_queue = 0,
		.neigh = neigh,
		.neigh_ring = ring,
		.frag = frag,
		.icmp_rate = icmp_rate,
		.icmp_burst = icmp_burst,
	};

	gw_l3_ctx_init(&ctx, &conf);
	ctx.fib = fib;
	ctx.now = now0;
}

static int setup(void **state)
{
	struct gw_l3_if ifs[2];
	struct gw_route routes[2] = {
		mkroute(IP(198, 18, 100, 0), 24, GW_B),
		mkroute(IP(198, 18, 128, 0), 17, IP(198, 18, 0, 254)),
	};
	struct gw_err err;

	(void)state;
	std_ifs(ifs);
	fib = gw_fib_build(ifs, 2, routes, 2, SOCKET_ID_ANY, &err);
	if (fib == NULL) {
		fprintf(stderr, "fib: %s\n", err.msg);
		return -1;
	}
	ctx_reset(0, 0);
	return 0;
}

/* Route tests build their own FIBs: at 64 MiB each, two do not fit in -m 128. */
static int setup_nofib(void **state)
{
	(void)state;
	fib = NULL;
	ctx_reset(0, 0);
	return 0;
}

static void ring_empty(void)
{
	struct gw_neigh_req r;

	while (rte_ring_dequeue_elem(ring, &r, sizeof(r)) == 0)
		;
}

static int teardown(void **state)
{
	(void)state;
	gw_l3_tx_flush(&ctx); /* net_null frees what it sends */
	ring_empty();
	gw_neigh_flush(neigh);
	ctx.now += 3600 * hz;
	gw_frag_expire(&ctx);
	gw_fib_free(fib);
	fib = NULL;
	/* No mbuf leaked, direct or indirect. */
	assert_int_equal(rte_mempool_avail_count(mp), N_MBUFS);
	assert_int_equal(rte_mempool_avail_count(mp_ind), N_INDIRECT);
	return 0;
}

/* ---- names */

static void test_names(void **state)
{
	unsigned i;

	(void)state;
	assert_string_equal(gw_l3_drop_names[GW_L3_DROP_NO_ROUTE], "no-route");
	assert_string_equal(gw_l3_drop_names[GW_L3_DROP_NO_ARP], "no-arp");
	assert_string_equal(gw_l3_drop_names[GW_L3_DROP_TTL_EXCEEDED], "ttl-exceeded");
	assert_string_equal(gw_l3_drop_names[GW_L3_DROP_MALFORMED], "malformed");
	assert_string_equal(gw_l3_drop_names[GW_L3_DROP_FRAG_NEEDED], "frag-needed");
	assert_string_equal(gw_l3_drop_names[GW_L3_DROP_REASSEMBLY_FAILED], "reassembly-failed");
	for (i = 0; i < GW_L3_DROP_COUNT; i++)
		assert_non_null(gw_l3_drop_names[i]);
	for (i = 0; i < GW_L3_EV_COUNT; i++)
		assert_non_null(gw_l3_event_names[i]);
}

/* ---- routes */

static void expect_nh(const struct gw_fib *f, uint32_t dst, uint32_t ip, uint16_t ifidx, uint16_t flags)
{
	struct gw_nh nh;

	assert_int_equal(gw_fib_lookup(f, dst, &nh), 0);
	assert_int_equal(nh.ip, ip);
	assert_int_equal(nh.ifidx, ifidx);
	assert_int_equal(nh.flags, flags);
}

static void test_lpm_longest_match(void **state)
{
	struct gw_l3_if ifs[2];
	struct gw_route routes[6] = {
		mkroute(IP(198, 18, 128, 0), 17, IP(198, 18, 0, 254)),
		mkroute(IP(198, 18, 192, 0), 18, IP(198, 19, 0, 254)),
		mkroute(IP(198, 18, 194, 0), 24, IP(198, 18, 0, 253)),
		mkroute(IP(198, 18, 194, 3), 32, IP(198, 19, 0, 253)),
		mkroute(0, 0, IP(198, 18, 0, 200)),
		mkroute(IP(198, 18, 194, 128), 25, IP(198, 19, 200, 1)), /* disabled: not checked */
	};
	uint32_t dst[1000];
	struct gw_nh bulk[1000], one;
	struct gw_fib *f;
	struct gw_err err;
	unsigned i;

	(void)state;
	routes[5].disabled = true;
	std_ifs(ifs);
	f = gw_fib_build(ifs, 2, routes, 6, SOCKET_ID_ANY, &err);
	assert_non_null(f);
	expect_nh(f, IP(198, 18, 130, 9), IP(198, 18, 0, 254), 0, 0);
	expect_nh(f, IP(198, 18, 200, 9), IP(198, 19, 0, 254), 1, 0);
	expect_nh(f, IP(198, 18, 194, 9), IP(198, 18, 0, 253), 0, 0);
	expect_nh(f, IP(198, 18, 194, 3), IP(198, 19, 0, 253), 1, 0);
	expect_nh(f, IP(198, 18, 194, 200), IP(198, 18, 0, 253), 0, 0);
	expect_nh(f, IP(8, 8, 8, 8), IP(198, 18, 0, 200), 0, 0); /* default route */
	/* the bulk lookup agrees with single lookups */
	srand(7);
	for (i = 0; i < RTE_DIM(dst); i++)
		dst[i] = i % 3 == 0 ? IP(198, 18, 194, rand() & 0xff) : (uint32_t)rand() << 1 ^ (uint32_t)rand();
	gw_fib_lookup_bulk(f, dst, bulk, RTE_DIM(dst));
	for (i = 0; i < RTE_DIM(dst); i++) {
		assert_int_equal(gw_fib_lookup(f, dst[i], &one), 0);
		assert_memory_equal(&one, &bulk[i], sizeof(one));
	}
	gw_fib_free(f);
}

static void test_connected_vs_static(void **state)
{
	struct gw_l3_if ifs[2];
	struct gw_route routes[2] = {
		mkroute(IP(198, 19, 0, 0), 24, IP(198, 18, 0, 254)),   /* same as connected: loses */
		mkroute(IP(198, 19, 0, 128), 25, IP(198, 18, 0, 254)), /* longer: wins */
	};
	struct gw_err err;
	struct gw_fib *f;
	struct gw_nh nh;
	uint32_t d = IP(203, 0, 113, 1);

	(void)state;
	std_ifs(ifs);
	f = gw_fib_build(ifs, 2, routes, 2, SOCKET_ID_ANY, &err);
	assert_non_null(f);
	expect_nh(f, IP(198, 19, 0, 7), IP(198, 19, 0, 7), 1, GW_NH_CONNECTED);
	expect_nh(f, IP(198, 19, 0, 200), IP(198, 18, 0, 254), 0, 0);
	expect_nh(f, IP(198, 18, 0, 77), IP(198, 18, 0, 77), 0, GW_NH_CONNECTED);
	expect_nh(f, IF0_ADDR, IF0_ADDR, 0, GW_NH_LOCAL);
	expect_nh(f, IF1_ADDR, IF1_ADDR, 1, GW_NH_LOCAL);
	assert_int_equal(gw_fib_lookup(f, d, &nh), -ENOENT);
	assert_int_equal(nh.ifidx, GW_NH_NONE);
	gw_fib_lookup_bulk(f, &d, &nh, 1);
	assert_int_equal(nh.ifidx, GW_NH_NONE);
	assert_true(gw_l3_is_local(f, IF0_ADDR));
	assert_true(gw_l3_is_local(f, IF1_ADDR));
	assert_false(gw_l3_is_local(f, IP(198, 18, 0, 2)));
	assert_true(gw_l3_is_bcast(f, IP(198, 18, 0, 255)));
	assert_true(gw_l3_is_bcast(f, UINT32_MAX));
	assert_false(gw_l3_is_bcast(f, IP(198, 18, 0, 254)));
	assert_int_equal(gw_l3_if_of_port(f, 1), 1);
	assert_int_equal(gw_l3_if_of_port(f, 5), -1);
	gw_fib_free(f);
}

/* The first 198.18.x.1 (x > after) whose filter bit is that of `like`
 * (same) or is neither that of like nor of `unlike` (!same). */
static uint32_t addr_with_bit(unsigned after, uint32_t like, uint32_t unlike, bool same)
{
	unsigned x;

	for (x = after + 1; x < 256; x++) {
		unsigned h = gw_fib_filter_index(IP(198, 18, x, 1));

		if (same ? h == gw_fib_filter_index(like)
			 : h != gw_fib_filter_index(like) && h != gw_fib_filter_index(unlike))
			return IP(198, 18, x, 1);
	}
	fail();
	return 0;
}

static uint64_t f_bits(const uint32_t *a)
{
	return gw_fib_filter_bit(a[0]) | gw_fib_filter_bit(a[1]) | gw_fib_filter_bit(a[2]) |
	       gw_fib_filter_bit(a[3]);
}

/* gw_l3_is_local's one-compare answer (a filter bit of one address of
 * ours) and its scan (a bit two of ours share) against the plain answer. */
static void test_is_local_filter(void **state)
{
	struct gw_l3_if ifs[4];
	struct gw_err err;
	struct gw_fib *f;
	uint32_t a[4], x;
	unsigned i, k;

	(void)state;
	a[0] = IP(198, 18, 1, 1);
	a[1] = addr_with_bit(1, a[0], 0, true);     /* shares a[0]'s bit: scan */
	a[2] = addr_with_bit(1, a[0], a[0], false); /* a bit of its own: one compare */
	a[3] = addr_with_bit(1, a[0], a[2], false); /* another */
	assert_int_equal(__builtin_popcountll(f_bits(a)), 3);
	memset(ifs, 0, sizeof(ifs));
	for (i = 0; i < 4; i++)
		ifs[i] = (struct gw_l3_if){ .port_id = (uint16_t)i, .addr = a[i], .plen = 24, .mtu = 1500 };
	f = gw_fib_build(ifs, 4, NULL, 0, SOCKET_ID_ANY, &err);
	assert_non_null(f);
	for (i = 0; i < 4; i++)
		assert_true(gw_l3_is_local(f, a[i]));
	/* every address of 198.18.0.0/16 and a sample beyond: local iff one of a[] */
	for (k = 0; k < (1u << 16) + 100000; k++) {
		bool want = false;

		x = k < (1u << 16) ? IP(198, 18, 0, 0) + k : (uint32_t)rand() * 2654435761u;
		for (i = 0; i < 4; i++)
			want |= x == a[i];
		assert_int_equal(gw_l3_is_local(f, x), want);
	}
	gw_fib_free(f);
}

static void test_route_refused(void **state)
{
	struct gw_l3_if ifs[2];
	struct gw_route routes[3] = {
		mkroute(IP(198, 18, 128, 0), 17, IP(198, 18, 0, 254)),
		mkroute(IP(198, 19, 128, 0), 17, IP(198, 19, 200, 1)),
		mkroute(IP(198, 18, 128, 0), 17, IP(198, 19, 0, 9)),
	};
	struct gw_err err;
	struct gw_fib *f;

	(void)state;
	std_ifs(ifs);
	memset(&err, 0, sizeof(err));
	assert_null(gw_fib_build(ifs, 2, routes, 3, SOCKET_ID_ANY, &err));
	assert_int_equal(err.menu, GW_MENU_ROUTE);
	assert_int_equal(err.index, 1);
	assert_string_equal(err.field, "gateway");
	assert_non_null(strstr(err.msg, "route 1 (dst-address=198.19.128.0/17 gateway=198.19.200.1)"));
	assert_non_null(strstr(err.msg, "not reachable"));
	/* gateway that is our own address */
	routes[1].gateway = IF1_ADDR;
	assert_null(gw_fib_build(ifs, 2, routes, 3, SOCKET_ID_ANY, &err));
	assert_int_equal(err.index, 1);
	assert_non_null(strstr(err.msg, "own addresses"));
	/* two routes to one prefix */
	routes[1].gateway = IP(198, 19, 0, 5);
	assert_null(gw_fib_build(ifs, 2, routes, 3, SOCKET_ID_ANY, &err));
	assert_int_equal(err.index, 2);
	assert_non_null(strstr(err.msg, "same dst-address as route 0"));
	/* ... unless one is disabled */
	routes[2].disabled = true;
	f = gw_fib_build(ifs, 2, routes, 3, SOCKET_ID_ANY, &err);
	assert_non_null(f);
	gw_fib_free(f);
}

static void test_ifs_build(void **state)
{
	struct gw_interface itf[3];
	struct gw_port ports[2];
	struct gw_config c;
	struct gw_l3_if ifs[4];
	struct gw_err err;
	unsigned n;

	(void)state;
	memset(itf, 0, sizeof(itf));
	memset(ports, 0, sizeof(ports));
	memset(&c, 0, sizeof(c));
	snprintf(itf[0].name, sizeof(itf[0].name), "lan");
	itf[0].address = (struct gw_prefix){ IF0_ADDR, 24 };
	itf[0].mtu = 1400;
	snprintf(itf[1].name, sizeof(itf[1].name), "off");
	itf[1].disabled = true;
	snprintf(itf[2].name, sizeof(itf[2].name), "wan");
	itf[2].address = (struct gw_prefix){ IF1_ADDR, 24 };
	c.interfaces.v = itf;
	c.interfaces.n = 3;
	/* ports in another order than the interfaces */
	snprintf(ports[0].ifname, sizeof(ports[0].ifname), "wan");
	ports[0].port_id = 1;
	ports[0].mac = MAC_IF1;
	snprintf(ports[1].ifname, sizeof(ports[1].ifname), "lan");
	ports[1].port_id = 0;
	ports[1].mac = MAC_IF0;
	assert_int_equal(gw_l3_ifs_build(&c, ports, 2, ifs, 4, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ifs[0].port_id, 0);
	assert_int_equal(ifs[0].addr, IF0_ADDR);
	assert_int_equal(ifs[0].mtu, 1400);
	assert_memory_equal(&ifs[0].mac, &MAC_IF0, 6);
	assert_int_equal(ifs[1].port_id, 1);
	assert_int_equal(ifs[1].plen, 24);
	assert_int_equal(ifs[1].mtu, 1500); /* default */
	/* an enabled interface without a port */
	itf[1].disabled = false;
	itf[1].address = (struct gw_prefix){ IP(198, 20, 0, 1), 24 };
	assert_int_equal(gw_l3_ifs_build(&c, ports, 2, ifs, 4, &n, &err), -1);
	assert_int_equal(err.index, 1);
	assert_non_null(strstr(err.msg, "off"));
}

/* ---- ARP */

/* Ethernet + ARP bytes, padded to 60. */
static unsigned build_arp(uint8_t *b, const struct rte_ether_addr *edst, const struct rte_ether_addr *esrc,
			  uint16_t op, const struct rte_ether_addr *sha, uint32_t sip,
			  const struct rte_ether_addr *tha, uint32_t tip)
{
	memset(b, 0, 60);
	memcpy(b, edst->addr_bytes, 6);
	memcpy(b + 6, esrc->addr_bytes, 6);
	put16(b + 12, RTE_ETHER_TYPE_ARP);
	put16(b + 14, 1);
	put16(b + 16, RTE_ETHER_TYPE_IPV4);
	b[18] = 6;
	b[19] = 4;
	put16(b + 20, op);
	memcpy(b + 22, sha->addr_bytes, 6);
	put32(b + 28, sip);
	memcpy(b + 32, tha->addr_bytes, 6);
	put32(b + 38, tip);
	return 60;
}

static const struct rte_ether_addr BCAST = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
static const struct rte_ether_addr ZERO_MAC;

static unsigned neigh_state(uint32_t ip, struct rte_ether_addr *mac)
{
	return gw_neigh_lookup(neigh, ip, 0, ctx.now, mac);
}

static void test_arp_request_for_us(void **state)
{
	uint8_t req[60], want[60];
	struct rte_ether_addr mac;
	struct rte_mbuf *m, *r;

	(void)state;
	build_arp(req, &BCAST, &MAC_A, 1, &MAC_A, HOST_A, &ZERO_MAC, IF0_ADDR);
	m = mbuf_from(req, sizeof(req), 0);
	r = gw_arp_input(&ctx, m);
	assert_ptr_equal(r, m);
	build_arp(want, &MAC_A, &MAC_IF0, 2, &MAC_IF0, IF0_ADDR, &MAC_A, HOST_A);
	assert_int_equal(rte_pktmbuf_pkt_len(r), 60);
	assert_memory_equal(rte_pktmbuf_mtod(r, uint8_t *), want, 60);
	rte_pktmbuf_free(r);
	/* RFC 826: we are the target, so the sender was added */
	assert_int_equal(neigh_state(HOST_A, &mac), GW_NEIGH_HAVE_MAC);
	assert_memory_equal(&mac, &MAC_A, 6);
	assert_int_equal(events(GW_L3_EV_ARP_REPLIES), 1);
	assert_int_equal(events(GW_L3_EV_ARP_LEARNED), 1);
	/* a request for someone else: no reply, nothing learned */
	build_arp(req, &BCAST, &MAC_B, 1, &MAC_B, IP(198, 18, 0, 11), &ZERO_MAC, IP(198, 18, 0, 12));
	assert_null(gw_arp_input(&ctx, mbuf_from(req, sizeof(req), 0)));
	assert_int_equal(neigh_state(IP(198, 18, 0, 11), &mac), GW_NEIGH_PUNT);
	/* for us, but the sender is not on the port's prefix: answered, not learned */
	build_arp(req, &BCAST, &MAC_B, 1, &MAC_B, IP(198, 19, 200, 1), &ZERO_MAC, IF0_ADDR);
	r = gw_arp_input(&ctx, mbuf_from(req, sizeof(req), 0));
	assert_non_null(r);
	rte_pktmbuf_free(r);
	assert_int_equal(gw_neigh_lookup(neigh, IP(198, 19, 200, 1), 0, ctx.now, &mac), GW_NEIGH_PUNT);
	/* our if1 address asked on port 0: not ours there */
	build_arp(req, &BCAST, &MAC_B, 1, &MAC_B, IP(198, 18, 0, 13), &ZERO_MAC, IF1_ADDR);
	assert_null(gw_arp_input(&ctx, mbuf_from(req, sizeof(req), 0)));
	/* malformed: truncated, bad hlen */
	assert_null(gw_arp_input(&ctx, mbuf_from(req, 41, 0)));
	build_arp(req, &BCAST, &MAC_A, 1, &MAC_A, HOST_A, &ZERO_MAC, IF0_ADDR);
	req[18] = 8;
	assert_null(gw_arp_input(&ctx, mbuf_from(req, sizeof(req), 0)));
	assert_int_equal(drops(GW_L3_DROP_MALFORMED), 2);
}

static void test_arp_learn_from_reply(void **state)
{
	const uint32_t h2 = IP(198, 18, 0, 20);
	uint8_t b[60], want[60];
	struct rte_ether_addr mac, mac2 = { { 0x02, 0, 0, 0, 0, 0x20 } }, mac3 = { { 0x02, 0, 0, 0, 0, 0x21 } };
	struct rte_mbuf *m;

	(void)state;
	assert_int_equal(neigh_state(h2, &mac), GW_NEIGH_PUNT); /* miss: ask control */
	m = rte_pktmbuf_alloc(mp);
	assert_int_equal(gw_arp_request(&ctx, 0, h2, m), 0);
	build_arp(want, &BCAST, &MAC_IF0, 1, &MAC_IF0, IF0_ADDR, &ZERO_MAC, h2);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 60);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), want, 60);
	rte_pktmbuf_free(m);
	/* asked less than a second ago: workers do not ask again */
	assert_int_equal(neigh_state(h2, &mac), 0);
	build_arp(b, &MAC_IF0, &mac2, 2, &mac2, h2, &MAC_IF0, IF0_ADDR);
	assert_null(gw_arp_input(&ctx, mbuf_from(b, sizeof(b), 0)));
	assert_int_equal(neigh_state(h2, &mac), GW_NEIGH_HAVE_MAC);
	assert_memory_equal(&mac, &mac2, 6);
	/* gratuitous ARP (sender = target) updates a known neighbour ... */
	build_arp(b, &BCAST, &mac3, 1, &mac3, h2, &ZERO_MAC, h2);
	assert_null(gw_arp_input(&ctx, mbuf_from(b, sizeof(b), 0)));
	assert_int_equal(neigh_state(h2, &mac), GW_NEIGH_HAVE_MAC);
	assert_memory_equal(&mac, &mac3, 6);
	/* ... and does not add an unknown one */
	build_arp(b, &BCAST, &mac3, 1, &mac3, IP(198, 18, 0, 40), &ZERO_MAC, IP(198, 18, 0, 40));
	assert_null(gw_arp_input(&ctx, mbuf_from(b, sizeof(b), 0)));
	assert_int_equal(neigh_state(IP(198, 18, 0, 40), &mac), GW_NEIGH_PUNT);
	/* an entry on if0 is no answer for if1 */
	assert_int_equal(gw_neigh_lookup(neigh, h2, 1, ctx.now, &mac), 0);
}

static void test_arp_rate_limit(void **state)
{
	const uint32_t h = IP(198, 18, 0, 50), h2 = IP(198, 18, 0, 60);
	struct gw_neigh_req req = { .ip = h2, .ifidx = 0 };
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	unsigned i;

	(void)state;
	assert_int_equal(gw_arp_request(&ctx, 0, h, m), 0);
	rte_pktmbuf_reset(m);
	assert_int_equal(gw_arp_request(&ctx, 0, h, m), -EAGAIN);
	ctx.now += hz / 2;
	assert_int_equal(gw_arp_request(&ctx, 0, h, m), -EAGAIN);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 0); /* untouched when refused */
	ctx.now += hz / 2;
	assert_int_equal(gw_arp_request(&ctx, 0, h, m), 0);
	rte_pktmbuf_free(m);
	assert_int_equal(events(GW_L3_EV_ARP_RATE_LIMITED), 2);
	assert_int_equal(events(GW_L3_EV_ARP_REQUESTS), 2);
	/* not on the interface's prefix */
	m = rte_pktmbuf_alloc(mp);
	assert_int_equal(gw_arp_request(&ctx, 0, IP(198, 19, 200, 1), m), -EINVAL);
	rte_pktmbuf_free(m);
	/* five workers ask for one next hop: one request goes out */
	for (i = 0; i < 5; i++)
		assert_int_equal(rte_ring_enqueue_elem(ring, &req, sizeof(req)), 0);
	assert_int_equal(gw_neigh_drain(&ctx, mp, 64), 1);
	assert_int_equal(bin_n(0), 1);
	assert_int_equal(events(GW_L3_EV_ARP_RATE_LIMITED), 6);
}

static void test_neigh_miss_punt_age(void **state)
{
	const uint32_t h = IP(198, 18, 0, 70);
	const struct rte_ether_addr mh = { { 0x02, 0, 0, 0, 0, 0x70 } };
	struct ipspec s = { .src = IF0_ADDR, .dst = h, .proto = 17, .ttl = 64, .len = 40 };
	struct rte_mbuf *mb[3];
	struct gw_neigh_req req;
	struct rte_ether_addr mac;
	uint8_t ip[40];
	unsigned i, len;
	const uint8_t *f;

	(void)state;
	build_ip(ip, &s);
	for (i = 0; i < 3; i++)
		mb[i] = mbuf_from(ip, sizeof(ip), 0);
	gw_l3_send_burst(&ctx, mb, 3);
	assert_int_equal(drops(GW_L3_DROP_NO_ARP), 3);
	assert_int_equal(rte_ring_count(ring), 1); /* once per burst */
	assert_int_equal(gw_neigh_drain(&ctx, mp, 64), 1);
	assert_int_equal(bin_n(0), 1);
	/* next burst: the request is pending, nobody asks again */
	ctx.now += hz / 1000;
	for (i = 0; i < 3; i++)
		mb[i] = mbuf_from(ip, sizeof(ip), 0);
	gw_l3_send_burst(&ctx, mb, 3);
	assert_int_equal(drops(GW_L3_DROP_NO_ARP), 6);
	assert_int_equal(rte_ring_count(ring), 0);
	/* the answer arrives: packets go */
	assert_int_equal(gw_neigh_learn(neigh, h, 0, &mh, ctx.now, false), 0);
	mb[0] = mbuf_from(ip, sizeof(ip), 0);
	gw_l3_send_burst(&ctx, mb, 1);
	assert_int_equal(bin_n(0), 2);
	f = bin_frame(0, 1, &len);
	assert_int_equal(len, 54);
	assert_memory_equal(f, mh.addr_bytes, 6);
	assert_memory_equal(f + 6, MAC_IF0.addr_bytes, 6);
	assert_int_equal(get16(f + 12), RTE_ETHER_TYPE_IPV4);
	assert_memory_equal(f + 14, ip, sizeof(ip));
	/* after 30 s: still used, and control is asked to refresh it */
	ctx.now += 31 * hz;
	assert_int_equal(neigh_state(h, &mac), GW_NEIGH_HAVE_MAC | GW_NEIGH_PUNT);
	/* after 60 s without an answer it is gone */
	ctx.now += 30 * hz;
	assert_int_equal(neigh_state(h, &mac), GW_NEIGH_PUNT);
	assert_true(gw_neigh_age(neigh, ctx.now) >= 1);
	assert_int_equal(neigh_state(h, &mac), GW_NEIGH_PUNT);
	assert_int_equal(gw_neigh_dump(neigh, ctx.now, NULL, 0), 0);
	/* an unanswered request is dropped after 3 s */
	assert_int_equal(gw_neigh_want_request(neigh, h, 0, ctx.now), 0);
	assert_int_equal(gw_neigh_dump(neigh, ctx.now, NULL, 0), 1);
	ctx.now += 4 * hz;
	assert_int_equal(gw_neigh_age(neigh, ctx.now), 1);
	(void)req;
}

/* Control rewrites one slot between two addresses while a reader looks one
 * of them up: the reader must never see the other one's MAC. */
struct seq_arg {
	uint32_t ip;
	volatile bool stop;
	unsigned hits, bad;
};

static void *seq_reader(void *p)
{
	struct seq_arg *a = p;
	struct rte_ether_addr mac;

	while (!a->stop) {
		if (gw_neigh_lookup(neigh, a->ip, 0, now0, &mac) & GW_NEIGH_HAVE_MAC) {
			a->hits++;
			if (mac.addr_bytes[5] != 0xaa || mac.addr_bytes[0] != 0x02)
				a->bad++;
		}
	}
	return NULL;
}

static void test_neigh_seqlock(void **state)
{
	const struct rte_ether_addr ma = { { 0x02, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa } };
	const struct rte_ether_addr mb = { { 0x02, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb } };
	struct seq_arg a = { .ip = IP(198, 18, 0, 80) };
	uint32_t b = a.ip + 1;
	pthread_t th;
	unsigned i;

	(void)state;
	while (gw_neigh_hash(neigh, b) != gw_neigh_hash(neigh, a.ip))
		b++; /* same home slot: they take turns in it */
	assert_int_equal(pthread_create(&th, NULL, seq_reader, &a), 0);
	for (i = 0; i < 100000; i++) {
		gw_neigh_learn(neigh, a.ip, 0, &ma, now0, true);
		gw_neigh_flush(neigh);
		gw_neigh_learn(neigh, b, 0, &mb, now0, true);
		gw_neigh_flush(neigh);
	}
	a.stop = true;
	pthread_join(th, NULL);
	assert_int_equal(a.bad, 0);
	print_message("seqlock: %u hits, 0 torn\n", a.hits);
}

/* ---- IPv4 input */

static void input_expect_drop(struct rte_mbuf *m, enum gw_l3_drop why)
{
	uint64_t before = drops(why);

	assert_int_equal(gw_ipv4_input_burst(&ctx, &m, 1), 0);
	assert_int_equal(drops(why), before + 1);
}

static void test_ipv4_truncations(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = FAR_DST, .proto = 17, .ttl = 64, .len = 48, .id = 1 };
	uint8_t ip[48], fr[62];
	struct rte_mbuf *m;
	unsigned cut;

	(void)state;
	build_ip(ip, &s);
	m = frame_in(0, &MAC_IF0, &MAC_A, ip, sizeof(ip));
	memcpy(fr, rte_pktmbuf_mtod(m, uint8_t *), sizeof(fr));
	/* the whole frame passes */
	assert_int_equal(gw_ipv4_input_burst(&ctx, &m, 1), 1);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 48);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), ip, 48);
	rte_pktmbuf_free(m);
	/* every shorter frame is malformed */
	for (cut = 0; cut < sizeof(fr); cut++)
		input_expect_drop(mbuf_from(fr, cut, 0), GW_L3_DROP_MALFORMED);
	assert_int_equal(drops(GW_L3_DROP_MALFORMED), sizeof(fr));
}

static struct rte_mbuf *frame_of(const uint8_t *ip, unsigned len)
{
	return frame_in(0, &MAC_IF0, &MAC_A, ip, len);
}

static void test_ipv4_bad_headers(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = FAR_DST, .proto = 17, .ttl = 64, .len = 48, .id = 2 };
	uint8_t ip[64];
	struct rte_mbuf *m;

	(void)state;
	build_ip(ip, &s);
	ip[10] ^= 0x01; /* checksum */
	input_expect_drop(frame_of(ip, 48), GW_L3_DROP_MALFORMED);
	build_ip(ip, &s);
	ip[0] = 0x65; /* version 6 */
	put16(ip + 10, 0);
	put16(ip + 10, ref_cksum(ip, 20));
	input_expect_drop(frame_of(ip, 48), GW_L3_DROP_MALFORMED);
	ip[0] = 0x44; /* IHL 4 */
	put16(ip + 10, 0);
	put16(ip + 10, ref_cksum(ip, 16));
	input_expect_drop(frame_of(ip, 48), GW_L3_DROP_MALFORMED);
	s.ihl = 15; /* 60-byte header in a 48-byte packet */
	build_ip(ip, &s);
	input_expect_drop(frame_of(ip, 48), GW_L3_DROP_MALFORMED);
	s.ihl = 0;
	s.len = 19; /* total length below the header */
	build_ip(ip, &s);
	input_expect_drop(frame_of(ip, 48), GW_L3_DROP_MALFORMED);
	s.len = 48;
	s.frag = 8189; /* offset 65512 + 28 bytes > 65535 */
	build_ip(ip, &s);
	input_expect_drop(frame_of(ip, 48), GW_L3_DROP_MALFORMED);
	s.frag = 0;
	build_ip(ip, &s); /* good bytes, but the NIC said bad */
	m = frame_of(ip, 48);
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_BAD;
	input_expect_drop(m, GW_L3_DROP_MALFORMED);
	/* not an IPv4 frame */
	m = frame_of(ip, 48);
	rte_pktmbuf_mtod(m, uint8_t *)[12] = 0x86;
	input_expect_drop(m, GW_L3_DROP_MALFORMED);
	/* not to our MAC, broadcast, unknown port */
	input_expect_drop(frame_in(0, &MAC_B, &MAC_A, ip, 48), GW_L3_DROP_OTHER_HOST);
	input_expect_drop(frame_in(0, &BCAST, &MAC_A, ip, 48), GW_L3_DROP_OTHER_HOST);
	input_expect_drop(frame_in(0, &MAC_IF1, &MAC_A, ip, 48), GW_L3_DROP_OTHER_HOST);
	input_expect_drop(frame_in(7, &MAC_IF0, &MAC_A, ip, 48), GW_L3_DROP_OTHER_HOST);
	/* martian sources: loopback, multicast, our own */
	s.src = IP(127, 0, 0, 1);
	build_ip(ip, &s);
	input_expect_drop(frame_of(ip, 48), GW_L3_DROP_MARTIAN);
	s.src = IP(224, 0, 0, 5);
	build_ip(ip, &s);
	input_expect_drop(frame_of(ip, 48), GW_L3_DROP_MARTIAN);
	s.src = IF1_ADDR;
	build_ip(ip, &s);
	input_expect_drop(frame_of(ip, 48), GW_L3_DROP_MARTIAN);
	assert_int_equal(drops(GW_L3_DROP_MALFORMED), 8);
}

static void test_ipv4_options_padding(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = FAR_DST, .proto = 17, .ttl = 64, .len = 48, .ihl = 6 };
	uint8_t ip[64];
	struct rte_mbuf *m;

	(void)state;
	build_ip(ip, &s);
	m = frame_of(ip, 48);
	assert_int_equal(gw_ipv4_input_burst(&ctx, &m, 1), 1);
	assert_int_equal(m->l3_len, 24);
	assert_int_equal(events(GW_L3_EV_IP_OPTIONS), 1);
	rte_pktmbuf_free(m);
	/* a 28-byte packet in a 60-byte frame: the padding goes */
	s.ihl = 0;
	s.len = 28;
	build_ip(ip, &s);
	memset(ip + 28, 0xee, 18);
	m = frame_of(ip, 46);
	assert_int_equal(gw_ipv4_input_burst(&ctx, &m, 1), 1);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 28);
	assert_int_equal(rte_pktmbuf_data_len(m), 28);
	rte_pktmbuf_free(m);
}

/* ---- TTL */

static void test_ttl_decrement_cksum(void **state)
{
	uint8_t b[60], ref[60];
	unsigned h, ttl, ihl, zero = 0, ffff = 0;

	(void)state;
	srand(1);
	for (h = 0; h < 1000; h++) {
		struct ipspec s = { .src = (uint32_t)rand(), .dst = (uint32_t)rand(), .proto = (uint8_t)rand(),
				    .len = 60, .id = (uint16_t)rand(), .frag = (uint16_t)(rand() & 0x5fff) };

		ihl = 5 + (unsigned)h % 11;
		s.ihl = (uint8_t)ihl;
		for (ttl = 2; ttl <= 255; ttl++) {
			struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)b;

			s.ttl = (uint8_t)ttl;
			build_ip(b, &s);
			gw_ipv4_ttl_dec(ip);
			/* a full recompute of the decremented header */
			memcpy(ref, b, ihl * 4);
			put16(ref + 10, 0);
			put16(ref + 10, ref_cksum(ref, ihl * 4));
			assert_int_equal(b[8], ttl - 1);
			assert_memory_equal(b + 10, ref + 10, 2);
			zero += get16(b + 10) == 0;
			ffff += get16(b + 10) == 0xffff;
		}
	}
	print_message("ttl: 254000 decrements equal a recompute (%u with checksum 0, %u with 0xffff)\n", zero,
		      ffff);
	assert_int_equal(ffff, 0); /* -0 never appears: RFC 1624 section 3 */
}

/* ---- forwarding and ICMP */

static void learn(uint32_t ip, uint16_t ifidx, const struct rte_ether_addr *mac)
{
	assert_int_equal(gw_neigh_learn(neigh, ip, ifidx, mac, ctx.now, true), 0);
}

/* input + forward + output of one frame from host A on port 0. */
static void route_one(const uint8_t *ip, unsigned len)
{
	struct rte_mbuf *m = frame_of(ip, len);
	struct gw_nh nh;
	uint16_t n;

	n = gw_ipv4_input_burst(&ctx, &m, 1);
	if (n == 1)
		n = gw_ipv4_forward_burst(&ctx, &m, &nh, 1);
	if (n == 1)
		gw_ipv4_output_burst(&ctx, &m, &nh, 1);
}

static void test_forward(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = FAR_DST, .proto = 17, .ttl = 64, .len = 100, .id = 9 };
	uint8_t ip[100], want[100];
	const uint8_t *f;
	unsigned len;

	(void)state;
	learn(GW_B, 1, &MAC_B);
	build_ip(ip, &s);
	route_one(ip, sizeof(ip));
	assert_int_equal(bin_n(1), 1);
	f = bin_frame(1, 0, &len);
	assert_int_equal(len, 114);
	assert_memory_equal(f, MAC_B.addr_bytes, 6);
	assert_memory_equal(f + 6, MAC_IF1.addr_bytes, 6);
	s.ttl = 63;
	build_ip(want, &s);
	assert_memory_equal(f + 14, want, sizeof(want));
	assert_int_equal(events(GW_L3_EV_IP_SENT), 1);
}

/* Check an ICMP error frame sent to host A about `orig`. */
static void expect_icmp_error(const uint8_t *orig, uint8_t type, uint8_t code, uint16_t mtu)
{
	unsigned len, ohl = (orig[0] & 0xf) * 4, q = ohl + 8;
	const uint8_t *f, *ip, *ic;

	assert_int_equal(bin_n(0), 1);
	f = bin_frame(0, 0, &len);
	assert_int_equal(len, 14 + 20 + 8 + q);
	assert_memory_equal(f, MAC_A.addr_bytes, 6);
	assert_memory_equal(f + 6, MAC_IF0.addr_bytes, 6);
	ip = f + 14;
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[1], 0xc0);
	assert_int_equal(get16(ip + 2), 28 + q);
	assert_int_equal(get16(ip + 6), 0);
	assert_int_equal(ip[8], 64);
	assert_int_equal(ip[9], 1);
	assert_int_equal(get32(ip + 12), IF0_ADDR); /* the interface toward A */
	assert_int_equal(get32(ip + 16), HOST_A);
	assert_int_equal(ref_cksum(ip, 20), 0);
	ic = ip + 20;
	assert_int_equal(ic[0], type);
	assert_int_equal(ic[1], code);
	assert_int_equal(get16(ic + 4), 0);
	assert_int_equal(get16(ic + 6), mtu);
	assert_int_equal(ref_cksum(ic, 8 + q), 0);
	assert_memory_equal(ic + 8, orig, q); /* header + 8 bytes, as it was */
}

static void test_icmp_time_exceeded(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = FAR_DST, .proto = 17, .ttl = 1, .len = 100, .id = 10 };
	uint8_t ip[100];

	(void)state;
	learn(HOST_A, 0, &MAC_A);
	learn(GW_B, 1, &MAC_B);
	build_ip(ip, &s);
	route_one(ip, sizeof(ip));
	assert_int_equal(drops(GW_L3_DROP_TTL_EXCEEDED), 1);
	assert_int_equal(events(GW_L3_EV_ICMP_ERRORS), 1);
	assert_int_equal(bin_n(1), 0);
	expect_icmp_error(ip, GW_ICMP_TIME_EXCEEDED, GW_ICMP_CODE_TTL_EXCEEDED, 0);
}

static unsigned captured;

static void capture_out(struct gw_l3_ctx *c, struct rte_mbuf *m, const struct gw_nh *nh, void *arg)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);

	assert_ptr_equal(c, &ctx);
	assert_ptr_equal(arg, &captured);
	assert_int_equal(nh->ifidx, 0);
	assert_int_equal(nh->ip, HOST_A);
	assert_int_equal(ip[9], 1);
	assert_int_equal(ip[20], GW_ICMP_TIME_EXCEEDED);
	captured++;
	rte_pktmbuf_free(m);
}

/* The lead's hook: ICMP errors go where ctx->local_out says (the SPD). */
static void test_icmp_local_out(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = FAR_DST, .proto = 17, .ttl = 1, .len = 100, .id = 16 };
	uint8_t ip[100];

	(void)state;
	ctx.local_out = capture_out;
	ctx.local_out_arg = &captured;
	captured = 0;
	build_ip(ip, &s);
	route_one(ip, sizeof(ip));
	assert_int_equal(captured, 1);
	assert_int_equal(bin_n(0), 0);
	assert_int_equal(events(GW_L3_EV_ICMP_ERRORS), 1);
}

static void test_icmp_frag_needed(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = FAR_DST, .proto = 17, .ttl = 64, .len = 1600, .id = 11,
			    .frag = RTE_IPV4_HDR_DF_FLAG };
	static uint8_t ip[1600];

	(void)state;
	learn(HOST_A, 0, &MAC_A);
	learn(GW_B, 1, &MAC_B);
	build_ip(ip, &s);
	route_one(ip, sizeof(ip));
	assert_int_equal(drops(GW_L3_DROP_FRAG_NEEDED), 1);
	assert_int_equal(bin_n(1), 0);
	/* the quote is the header as forwarded: TTL already 63 */
	s.ttl = 63;
	build_ip(ip, &s);
	expect_icmp_error(ip, GW_ICMP_DEST_UNREACH, GW_ICMP_CODE_FRAG_NEEDED, 1500);
}

static void test_icmp_net_unreachable(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = IP(203, 0, 113, 5), .proto = 6, .ttl = 64, .len = 60, .id = 12 };
	uint8_t ip[60];

	(void)state;
	learn(HOST_A, 0, &MAC_A);
	build_ip(ip, &s);
	route_one(ip, sizeof(ip));
	assert_int_equal(drops(GW_L3_DROP_NO_ROUTE), 1);
	expect_icmp_error(ip, GW_ICMP_DEST_UNREACH, GW_ICMP_CODE_NET_UNREACH, 0);
}

static int build_error_for(const struct ipspec *s, bool icmp_error_payload)
{
	uint8_t ip[100];
	struct rte_mbuf *m;
	struct gw_nh nh;
	int rc;

	build_ip(ip, s);
	if (icmp_error_payload)
		make_icmp(ip, GW_ICMP_DEST_UNREACH, 1);
	m = mbuf_from(ip, s->len, 0);
	rc = gw_icmp_error_build(&ctx, m, GW_ICMP_TIME_EXCEEDED, 0, 0, &nh);
	rte_pktmbuf_free(m);
	return rc;
}

static void test_icmp_never_about(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = FAR_DST, .proto = 1, .ttl = 1, .len = 100, .id = 13 };
	uint8_t ip[100];

	(void)state;
	learn(HOST_A, 0, &MAC_A);
	/* an ICMP error with TTL 1: dropped, no error about an error */
	build_ip(ip, &s);
	make_icmp(ip, GW_ICMP_TIME_EXCEEDED, 0);
	route_one(ip, sizeof(ip));
	assert_int_equal(drops(GW_L3_DROP_TTL_EXCEEDED), 1);
	assert_int_equal(events(GW_L3_EV_ICMP_SUPPRESSED), 1);
	assert_int_equal(bin_n(0), 0);
	/* an echo request with TTL 1 is not an error: answered */
	build_ip(ip, &s);
	make_icmp(ip, RTE_IP_ICMP_ECHO_REQUEST, 0);
	route_one(ip, sizeof(ip));
	expect_icmp_error(ip, GW_ICMP_TIME_EXCEEDED, 0, 0);
	/* and through _build, each rule of RFC 1812 4.3.2.7 */
	assert_int_equal(build_error_for(&s, true), -EPERM);
	s.proto = 17;
	s.frag = 185; /* a fragment other than the first */
	assert_int_equal(build_error_for(&s, false), -EPERM);
	s.frag = RTE_IPV4_HDR_MF_FLAG; /* the first one is fine */
	assert_int_equal(build_error_for(&s, false), 0);
	s.frag = 0;
	s.dst = IP(224, 0, 0, 9); /* multicast destination */
	assert_int_equal(build_error_for(&s, false), -EPERM);
	s.dst = IP(198, 19, 0, 255); /* directed broadcast */
	assert_int_equal(build_error_for(&s, false), -EPERM);
	s.dst = UINT32_MAX;
	assert_int_equal(build_error_for(&s, false), -EPERM);
	s.dst = FAR_DST;
	s.src = 0; /* sources that are no single host, or us */
	assert_int_equal(build_error_for(&s, false), -EPERM);
	s.src = IP(198, 18, 0, 255);
	assert_int_equal(build_error_for(&s, false), -EPERM);
	s.src = IF0_ADDR;
	assert_int_equal(build_error_for(&s, false), -EPERM);
	s.src = IP(198, 19, 200, 1); /* no route back */
	assert_int_equal(build_error_for(&s, false), -ENOENT);
}

static void test_icmp_rate_limit(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = FAR_DST, .proto = 17, .ttl = 1, .len = 60, .id = 14 };
	uint8_t ip[60];
	unsigned i;

	(void)state;
	ctx_reset(10, 3); /* 10/s, bursts of 3 */
	learn(HOST_A, 0, &MAC_A);
	build_ip(ip, &s);
	for (i = 0; i < 5; i++)
		route_one(ip, sizeof(ip));
	assert_int_equal(drops(GW_L3_DROP_TTL_EXCEEDED), 5);
	assert_int_equal(events(GW_L3_EV_ICMP_ERRORS), 3);
	assert_int_equal(events(GW_L3_EV_ICMP_RATE_LIMITED), 2);
	/* a tenth of a second later: one more token */
	ctx.now += hz / 10;
	route_one(ip, sizeof(ip));
	route_one(ip, sizeof(ip));
	assert_int_equal(events(GW_L3_EV_ICMP_ERRORS), 4);
	assert_int_equal(events(GW_L3_EV_ICMP_RATE_LIMITED), 3);
	/* unreachables have their own bucket */
	s.ttl = 64;
	s.dst = IP(203, 0, 113, 9);
	build_ip(ip, &s);
	route_one(ip, sizeof(ip));
	assert_int_equal(events(GW_L3_EV_ICMP_ERRORS), 5);
	assert_int_equal(bin_n(0), 5);
}

/* ---- echo */

static void test_icmp_echo_reply(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = IF0_ADDR, .proto = 1, .ttl = 57, .len = 60, .id = 0x4242,
			    .frag = RTE_IPV4_HDR_DF_FLAG, .ihl = 6 };
	uint8_t req[60], want[56];
	struct rte_mbuf *m;
	unsigned i;

	(void)state;
	/* request: options (one word of NOPs), id 0x1234, seq 1, 28 bytes of data */
	build_ip(req, &s);
	req[24] = 8;
	req[25] = 0;
	put16(req + 28, 0x1234);
	put16(req + 30, 1);
	put16(req + 26, 0);
	put16(req + 26, ref_cksum(req + 24, 36));
	/* the reply, by hand: no options, addresses swapped, TTL 64, type 0 */
	memset(want, 0, sizeof(want));
	want[0] = 0x45;
	put16(want + 2, 56);
	put16(want + 4, 0x4242);
	want[8] = 64;
	want[9] = 1;
	put32(want + 12, IF0_ADDR);
	put32(want + 16, HOST_A);
	put16(want + 10, ref_cksum(want, 20));
	memcpy(want + 20, req + 24, 36);
	want[20] = 0;
	put16(want + 22, 0);
	put16(want + 22, ref_cksum(want + 20, 36));

	m = frame_in(0, &MAC_IF0, &MAC_A, req, sizeof(req));
	assert_int_equal(gw_ipv4_input_burst(&ctx, &m, 1), 1);
	assert_int_equal(gw_icmp_echo_reply(m), 0);
	assert_int_equal(rte_pktmbuf_pkt_len(m), sizeof(want));
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), want, sizeof(want));
	/* and it goes back to A */
	learn(HOST_A, 0, &MAC_A);
	gw_l3_send_burst(&ctx, &m, 1);
	assert_int_equal(bin_n(0), 1);
	/* not echo requests: a reply, a bad checksum, a truncated message */
	for (i = 0; i < 3; i++) {
		uint8_t b[60];

		memcpy(b, req, sizeof(b));
		if (i == 0) {
			b[24] = 0;
			put16(b + 26, 0);
			put16(b + 26, ref_cksum(b + 24, 36));
		} else if (i == 1) {
			b[40] ^= 1;
		}
		m = mbuf_from(b, i == 2 ? 30 : 60, 0);
		assert_int_equal(gw_icmp_echo_reply(m), -EINVAL);
		rte_pktmbuf_free(m);
	}
}

/* ---- fragmentation */

static struct rte_mbuf *big_packet(uint8_t *ip, unsigned len, uint32_t dst)
{
	struct ipspec s = { .src = HOST_A, .dst = dst, .proto = 17, .ttl = 64, .len = (uint16_t)len, .id = 0x7777 };

	build_ip(ip, &s);
	return mbuf_from(ip, len, 0);
}

/* A fragment as it would arrive from the wire: one fresh, flat mbuf. */
static struct rte_mbuf *rewire(struct rte_mbuf *f)
{
	uint8_t b[2048];
	unsigned len = mbuf_bytes(f, b, sizeof(b));
	struct rte_mbuf *m = mbuf_from(b, len, 1);

	rte_pktmbuf_free(f);
	return m;
}

static void test_fragment_reassemble(void **state)
{
	static uint8_t ip[3000], back[3000];
	struct rte_mbuf *m = big_packet(ip, sizeof(ip), IF1_ADDR), *fr[GW_L3_MAX_FRAGS], *wire[3];
	static const unsigned order[3] = { 2, 0, 1 };
	uint16_t n;
	int k, i;

	(void)state;
	k = gw_ipv4_fragment(&ctx, m, 1500, fr, RTE_DIM(fr));
	assert_int_equal(k, 3);
	for (i = 0; i < k; i++) {
		uint8_t h[20];
		unsigned len = rte_pktmbuf_pkt_len(fr[i]);

		mbuf_bytes(fr[i], back, sizeof(back));
		memcpy(h, back, 20);
		assert_true(len <= 1500);
		assert_int_equal(get16(h + 2), len);
		assert_int_equal(get16(h + 4), 0x7777);
		assert_int_equal(get16(h + 6) & 0x1fff, i * 185); /* 1480 / 8 */
		assert_int_equal(!!(get16(h + 6) & RTE_IPV4_HDR_MF_FLAG), i < 2);
		assert_int_equal(ref_cksum(h, 20), 0);
		assert_memory_equal(back + 20, ip + 20 + i * 1480, len - 20);
	}
	assert_int_equal(rte_pktmbuf_pkt_len(fr[2]), 40);
	assert_int_equal(events(GW_L3_EV_FRAGMENTS_OUT), 3);
	for (i = 0; i < 3; i++)
		wire[i] = rewire(fr[order[i]]);
	/* out of order, one by one: only the last one completes it */
	for (i = 0; i < 3; i++) {
		m = wire[i];
		n = gw_ipv4_reassemble_burst(&ctx, &m, 1);
		assert_int_equal(n, i == 2 ? 1 : 0);
	}
	assert_int_equal(mbuf_bytes(m, back, sizeof(back)), sizeof(ip));
	assert_memory_equal(back, ip, sizeof(ip));
	assert_int_equal(events(GW_L3_EV_REASSEMBLED), 1);
	assert_int_equal(events(GW_L3_EV_FRAGMENTS_IN), 3);
	rte_pktmbuf_free(m);
}

static void test_reassembly_mixed_burst(void **state)
{
	static uint8_t ip[3000], back[3000];
	struct rte_mbuf *fr[GW_L3_MAX_FRAGS], *mb[4];
	struct ipspec s = { .src = HOST_A, .dst = IF1_ADDR, .proto = 50, .ttl = 64, .len = 60, .id = 5 };
	uint8_t small[60];
	int k, i;

	(void)state;
	k = gw_ipv4_fragment(&ctx, big_packet(ip, sizeof(ip), IF1_ADDR), 1500, fr, RTE_DIM(fr));
	assert_int_equal(k, 3);
	build_ip(small, &s);
	mb[0] = rewire(fr[1]);
	mb[1] = mbuf_from(small, sizeof(small), 1); /* not a fragment: passes */
	mb[2] = rewire(fr[2]);
	mb[3] = rewire(fr[0]);
	assert_int_equal(gw_ipv4_reassemble_burst(&ctx, mb, 4), 2);
	assert_int_equal(rte_pktmbuf_pkt_len(mb[0]), 60);
	assert_int_equal(mbuf_bytes(mb[1], back, sizeof(back)), sizeof(ip));
	assert_memory_equal(back, ip, sizeof(ip));
	for (i = 0; i < 2; i++)
		rte_pktmbuf_free(mb[i]);
}

static void test_reassembly_timeout(void **state)
{
	static uint8_t ip[3000];
	struct rte_mbuf *fr[GW_L3_MAX_FRAGS], *m;
	int k;

	(void)state;
	k = gw_ipv4_fragment(&ctx, big_packet(ip, sizeof(ip), IF1_ADDR), 1500, fr, RTE_DIM(fr));
	assert_int_equal(k, 3);
	m = rewire(fr[0]);
	assert_int_equal(gw_ipv4_reassemble_burst(&ctx, &m, 1), 0);
	m = rewire(fr[1]);
	assert_int_equal(gw_ipv4_reassemble_burst(&ctx, &m, 1), 0);
	rte_pktmbuf_free(fr[2]); /* lost */
	ctx.now += 2 * hz;
	gw_frag_expire(&ctx);
	assert_int_equal(drops(GW_L3_DROP_REASSEMBLY_FAILED), 0);
	ctx.now += 2 * hz; /* past the 3 s timeout */
	gw_frag_expire(&ctx);
	assert_int_equal(drops(GW_L3_DROP_REASSEMBLY_FAILED), 2);
}

static void test_output_fragments(void **state)
{
	static uint8_t ip[3000];
	struct ipspec s = { .src = HOST_A, .dst = FAR_DST, .proto = 17, .ttl = 64, .len = 3000, .id = 0x99 };
	unsigned i, len, total = 0;
	const uint8_t *f;

	(void)state;
	learn(GW_B, 1, &MAC_B);
	build_ip(ip, &s);
	route_one(ip, sizeof(ip));
	assert_int_equal(bin_n(1), 3);
	for (i = 0; i < 3; i++) {
		uint8_t fl[1514];

		len = mbuf_bytes(ctx.tx.pkts[1][i], fl, sizeof(fl));
		f = fl;
		assert_true(len <= 1514);
		assert_memory_equal(f, MAC_B.addr_bytes, 6);
		assert_int_equal(f[14 + 8], 63);
		assert_int_equal(ref_cksum(f + 14, 20), 0);
		total += len - 14 - 20;
	}
	assert_int_equal(total, 2980);
	assert_int_equal(events(GW_L3_EV_IP_SENT), 3);
}

static void test_tx_flush(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = FAR_DST, .proto = 17, .ttl = 64, .len = 60, .id = 15 };
	struct rte_eth_stats st0, st1;
	uint8_t ip[60];
	unsigned i;

	(void)state;
	learn(GW_B, 1, &MAC_B);
	build_ip(ip, &s);
	assert_int_equal(rte_eth_stats_get(1, &st0), 0);
	for (i = 0; i < GW_L3_TX_BIN + 6; i++) /* a full bin flushes itself */
		route_one(ip, sizeof(ip));
	assert_int_equal(bin_n(1), 6);
	gw_l3_tx_flush(&ctx);
	assert_int_equal(bin_n(1), 0);
	assert_int_equal(ctx.tx.dirty, 0);
	assert_int_equal(rte_eth_stats_get(1, &st1), 0);
	assert_int_equal(st1.opackets - st0.opackets, GW_L3_TX_BIN + 6);
}

/* ---- bursts: per-next-hop runs, one destination, checksums */

/* Expect frame i of port's bin: Ethernet to dst_mac from src_mac, then the
 * IPv4 packet ip (len bytes). */
static void expect_frame(uint16_t port, unsigned i, const struct rte_ether_addr *dst_mac,
			 const struct rte_ether_addr *src_mac, const uint8_t *ip, unsigned len)
{
	struct rte_mbuf *m = ctx.tx.pkts[port][i];
	unsigned flen;
	const uint8_t *f = bin_frame(port, i, &flen);

	assert_int_equal(flen, 14 + len);
	assert_memory_equal(f, dst_mac->addr_bytes, 6);
	assert_memory_equal(f + 6, src_mac->addr_bytes, 6);
	assert_int_equal(get16(f + 12), RTE_ETHER_TYPE_IPV4);
	assert_memory_equal(f + 14, ip, len);
	assert_int_equal(m->l2_len, 14);
}

/* input + forward + output of a whole burst of frames from host A. */
static void route_burst(struct rte_mbuf **mb, uint16_t n)
{
	struct gw_nh nh[64];

	assert_true(n <= RTE_DIM(nh));
	n = gw_ipv4_input_burst(&ctx, mb, n);
	n = gw_ipv4_forward_burst(&ctx, mb, nh, n);
	gw_ipv4_output_burst(&ctx, mb, nh, n);
}

/*
 * One burst through the run-based output: next hops change mid-burst, and
 * inside one run a packet too big with DF, one to be fragmented, and an
 * unresolved next hop must each be handled as alone, in order, with the
 * same counters as packet by packet.
 */
static void test_output_burst_runs(void **state)
{
	static uint8_t big_df[1600], big[3000];
	struct ipspec far = { .src = HOST_A, .dst = FAR_DST, .proto = 17, .ttl = 64, .len = 60 };
	struct ipspec unres = far, local = far;
	uint8_t small[4][60], to_unres[60], to_a[60], want[60];
	struct gw_neigh_req req;
	struct rte_mbuf *mb[8];
	unsigned i;

	(void)state;
	learn(GW_B, 1, &MAC_B);
	learn(HOST_A, 0, &MAC_A);
	for (i = 0; i < 4; i++) {
		far.id = (uint16_t)(100 + i);
		build_ip(small[i], &far);
	}
	far.id = 200;
	far.len = sizeof(big_df);
	far.frag = RTE_IPV4_HDR_DF_FLAG;
	build_ip(big_df, &far);
	far.id = 201;
	far.len = sizeof(big);
	far.frag = 0;
	build_ip(big, &far);
	unres.dst = IP(198, 19, 0, 77); /* connected on if1, never learned */
	unres.id = 300;
	build_ip(to_unres, &unres);
	local.src = IP(198, 19, 0, 20); /* from the other side, to host A */
	local.dst = HOST_A;
	local.id = 400;
	build_ip(to_a, &local);

	mb[0] = frame_of(small[0], 60);
	mb[1] = frame_of(small[1], 60);
	mb[2] = frame_of(big_df, sizeof(big_df));
	mb[3] = frame_of(big, sizeof(big));
	mb[4] = frame_of(small[2], 60);
	mb[5] = frame_of(to_unres, 60);
	mb[6] = frame_in(1, &MAC_IF1, &MAC_B, to_a, 60);
	mb[7] = frame_of(small[3], 60);
	route_burst(mb, 8);

	/* port 1: small 0, 1, three fragments of big, small 2, small 3 */
	assert_int_equal(bin_n(1), 7);
	for (i = 0; i < 2; i++) {
		memcpy(want, small[i], 60);
		want[8] = 63;
		put16(want + 10, 0);
		put16(want + 10, ref_cksum(want, 20));
		expect_frame(1, i, &MAC_B, &MAC_IF1, want, 60);
	}
	for (i = 2; i < 5; i++) {
		uint8_t fl[1514];
		unsigned len = mbuf_bytes(ctx.tx.pkts[1][i], fl, sizeof(fl));

		assert_true(len <= 1514);
		assert_memory_equal(fl, MAC_B.addr_bytes, 6);
		assert_int_equal(get16(fl + 14 + 4), 201); /* big's ID */
		assert_int_equal(ctx.tx.pkts[1][i]->l2_len, 14);
	}
	for (i = 2; i < 4; i++) {
		memcpy(want, small[i], 60);
		want[8] = 63;
		put16(want + 10, 0);
		put16(want + 10, ref_cksum(want, 20));
		expect_frame(1, i + 3, &MAC_B, &MAC_IF1, want, 60);
	}
	/* port 0: the frag-needed error (sent while the run went on), then to_a */
	assert_int_equal(bin_n(0), 2);
	assert_int_equal(get32(rte_pktmbuf_mtod(ctx.tx.pkts[0][0], uint8_t *) + 14 + 16), HOST_A);
	assert_int_equal(rte_pktmbuf_mtod(ctx.tx.pkts[0][0], uint8_t *)[14 + 20], GW_ICMP_DEST_UNREACH);
	memcpy(want, to_a, 60);
	want[8] = 63;
	put16(want + 10, 0);
	put16(want + 10, ref_cksum(want, 20));
	expect_frame(0, 1, &MAC_A, &MAC_IF0, want, 60);
	assert_int_equal(drops(GW_L3_DROP_FRAG_NEEDED), 1);
	assert_int_equal(drops(GW_L3_DROP_NO_ARP), 1);
	assert_int_equal(events(GW_L3_EV_FRAGMENTS_OUT), 3);
	assert_int_equal(events(GW_L3_EV_IP_SENT), 9); /* 4 + 3 fragments + error + to_a */
	assert_int_equal(ctx.tx.dirty, 3);
	/* the unresolved next hop was asked for once */
	assert_int_equal(rte_ring_dequeue_elem(ring, &req, sizeof(req)), 0);
	assert_int_equal(req.ip, IP(198, 19, 0, 77));
	assert_int_equal(req.ifidx, 1);
	assert_int_not_equal(rte_ring_dequeue_elem(ring, &req, sizeof(req)), 0);
}

/* A run of unresolved packets: each one no-arp, control asked once. */
static void test_output_burst_unresolved(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = IP(198, 19, 0, 78), .proto = 17, .ttl = 64, .len = 60 };
	struct rte_mbuf *mb[5];
	struct gw_neigh_req r;
	uint8_t ip[60];
	unsigned i;

	(void)state;
	build_ip(ip, &s);
	for (i = 0; i < RTE_DIM(mb); i++)
		mb[i] = frame_of(ip, 60);
	route_burst(mb, RTE_DIM(mb));
	assert_int_equal(drops(GW_L3_DROP_NO_ARP), 5);
	assert_int_equal(events(GW_L3_EV_IP_SENT), 0);
	assert_int_equal(bin_n(1), 0);
	assert_int_equal(ctx.tx.dirty, 0);
	assert_int_equal(rte_ring_dequeue_elem(ring, &r, sizeof(r)), 0);
	assert_int_not_equal(rte_ring_dequeue_elem(ring, &r, sizeof(r)), 0);
}

/* No headroom for the Ethernet header: no-mbuf, the rest of the run goes. */
static void test_output_no_headroom(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = FAR_DST, .proto = 17, .ttl = 64, .len = 60 };
	struct rte_mbuf *mb[3];
	struct gw_nh nh[3];
	uint8_t ip[60];
	unsigned i;

	(void)state;
	learn(GW_B, 1, &MAC_B);
	build_ip(ip, &s);
	assert_int_equal(gw_fib_lookup(fib, FAR_DST, &nh[0]), 0);
	for (i = 0; i < 3; i++) {
		mb[i] = mbuf_from(ip, 60, 0);
		nh[i] = nh[0];
	}
	/* mb[1] with 13 bytes of headroom */
	mb[1]->data_off = 13;
	memcpy(rte_pktmbuf_mtod(mb[1], uint8_t *), ip, 60);
	gw_ipv4_output_burst(&ctx, mb, nh, 3);
	assert_int_equal(drops(GW_L3_DROP_NO_MBUF), 1);
	assert_int_equal(bin_n(1), 2);
	expect_frame(1, 0, &MAC_B, &MAC_IF1, ip, 60);
	expect_frame(1, 1, &MAC_B, &MAC_IF1, ip, 60);
	assert_int_equal(events(GW_L3_EV_IP_SENT), 2);
}

/* One run longer than a TX bin: the bin is flushed mid-run and stays dirty. */
static void test_output_burst_fills_bin(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = FAR_DST, .proto = 17, .ttl = 64, .len = 60 };
	struct rte_mbuf *mb[GW_L3_TX_BIN + 6];
	struct gw_nh nh[GW_L3_TX_BIN + 6];
	struct rte_eth_stats st0, st1;
	uint8_t ip[60];
	unsigned i;

	(void)state;
	learn(GW_B, 1, &MAC_B);
	build_ip(ip, &s);
	assert_int_equal(rte_eth_stats_get(1, &st0), 0);
	for (i = 0; i < RTE_DIM(mb); i++) {
		mb[i] = mbuf_from(ip, 60, 0);
		assert_int_equal(gw_fib_lookup(fib, FAR_DST, &nh[i]), 0);
	}
	gw_ipv4_output_burst(&ctx, mb, nh, RTE_DIM(mb));
	assert_int_equal(bin_n(1), 6);
	assert_int_equal(ctx.tx.dirty, 2);
	gw_l3_tx_flush(&ctx);
	assert_int_equal(rte_eth_stats_get(1, &st1), 0);
	assert_int_equal(st1.opackets - st0.opackets, RTE_DIM(mb));
	assert_int_equal(events(GW_L3_EV_IP_SENT), RTE_DIM(mb));
}

/* Packets we originate: one destination per burst, or mixed with no route
 * and our own address among them. */
static void test_send_burst(void **state)
{
	const uint32_t dsts[6] = { FAR_DST, FAR_DST, IP(203, 0, 113, 1), IF1_ADDR, HOST_A, FAR_DST };
	struct ipspec s = { .src = IF0_ADDR, .proto = 50, .ttl = 64, .len = 60 };
	struct rte_mbuf *mb[6];
	uint8_t ip[6][60];
	unsigned i;

	(void)state;
	learn(GW_B, 1, &MAC_B);
	learn(HOST_A, 0, &MAC_A);
	for (i = 0; i < 6; i++) {
		s.dst = dsts[i];
		s.id = (uint16_t)i;
		build_ip(ip[i], &s);
		mb[i] = mbuf_from(ip[i], 60, 0);
	}
	gw_l3_send_burst(&ctx, mb, 6);
	assert_int_equal(drops(GW_L3_DROP_NO_ROUTE), 1);
	assert_int_equal(drops(GW_L3_DROP_LOCAL), 1);
	assert_int_equal(bin_n(1), 3);
	expect_frame(1, 0, &MAC_B, &MAC_IF1, ip[0], 60); /* TTL untouched */
	expect_frame(1, 1, &MAC_B, &MAC_IF1, ip[1], 60);
	expect_frame(1, 2, &MAC_B, &MAC_IF1, ip[5], 60);
	assert_int_equal(bin_n(0), 1);
	expect_frame(0, 0, &MAC_A, &MAC_IF0, ip[4], 60);
	/* a burst to one destination: one lookup, same frames */
	for (i = 0; i < 3; i++)
		mb[i] = mbuf_from(ip[0], 60, 0);
	gw_l3_send_burst(&ctx, mb, 3);
	assert_int_equal(bin_n(1), 6);
	for (i = 3; i < 6; i++)
		expect_frame(1, i, &MAC_B, &MAC_IF1, ip[0], 60);
	/* and to one unroutable destination */
	for (i = 0; i < 3; i++)
		mb[i] = mbuf_from(ip[2], 60, 0);
	gw_l3_send_burst(&ctx, mb, 3);
	assert_int_equal(drops(GW_L3_DROP_NO_ROUTE), 4);
	assert_int_equal(events(GW_L3_EV_IP_SENT), 7);
}

/* A burst of one destination is routed once: its drops and ICMP errors
 * must still be per packet, TTL decisions per packet. */
static void test_forward_one_destination(void **state)
{
	struct ipspec s = { .src = HOST_A, .dst = IP(203, 0, 113, 7), .proto = 17, .ttl = 64, .len = 60 };
	struct rte_mbuf *mb[4];
	struct gw_nh nh[4];
	uint8_t ip[60], ip1[60];
	unsigned i;

	(void)state;
	learn(HOST_A, 0, &MAC_A);
	build_ip(ip, &s); /* no route: each gets net unreachable */
	for (i = 0; i < 3; i++)
		mb[i] = mbuf_from(ip, 60, 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(gw_ipv4_sanitize(mb[i]), 0);
	assert_int_equal(gw_ipv4_forward_burst(&ctx, mb, nh, 3), 0);
	assert_int_equal(drops(GW_L3_DROP_NO_ROUTE), 3);
	assert_int_equal(events(GW_L3_EV_ICMP_ERRORS), 3);
	/* one route, mixed TTLs: the TTL-1 packet alone is answered */
	s.dst = FAR_DST;
	build_ip(ip, &s);
	s.ttl = 1;
	build_ip(ip1, &s);
	for (i = 0; i < 4; i++) {
		mb[i] = mbuf_from(i == 1 ? ip1 : ip, 60, 0);
		assert_int_equal(gw_ipv4_sanitize(mb[i]), 0);
	}
	assert_int_equal(gw_ipv4_forward_burst(&ctx, mb, nh, 4), 3);
	assert_int_equal(drops(GW_L3_DROP_TTL_EXCEEDED), 1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(nh[i].ip, GW_B);
		assert_int_equal(nh[i].ifidx, 1);
		assert_int_equal(rte_pktmbuf_mtod(mb[i], uint8_t *)[8], 63);
		assert_int_equal(ref_cksum(rte_pktmbuf_mtod(mb[i], uint8_t *), 20), 0);
	}
	rte_pktmbuf_free_bulk(mb, 3);
	/* our own address, and a martian destination, dropped per packet */
	s.ttl = 64;
	s.dst = IF1_ADDR;
	build_ip(ip, &s);
	s.dst = IP(198, 19, 0, 255);
	build_ip(ip1, &s);
	for (i = 0; i < 4; i++) {
		mb[i] = mbuf_from(i < 2 ? ip : ip1, 60, 0);
		assert_int_equal(gw_ipv4_sanitize(mb[i]), 0);
	}
	assert_int_equal(gw_ipv4_forward_burst(&ctx, mb, nh, 2), 0);
	assert_int_equal(gw_ipv4_forward_burst(&ctx, mb + 2, nh, 2), 0);
	assert_int_equal(drops(GW_L3_DROP_LOCAL), 2);
	assert_int_equal(drops(GW_L3_DROP_MARTIAN), 2);
}

/* gw_ipv4_hdr_sum / gw_ipv4_cksum against the reference, every IHL,
 * random headers and the all-ones and all-zero extremes of the folds. */
static void test_ipv4_cksum(void **state)
{
	uint8_t b[60];
	unsigned h, ihl, i;

	(void)state;
	srand(7);
	for (h = 0; h < 200000; h++) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)b;
		int fill = h % 50 == 0 ? 0xff : h % 50 == 1 ? 0 : -1;

		ihl = 5 + h % 11;
		for (i = 0; i < ihl * 4; i++)
			b[i] = fill >= 0 ? (uint8_t)fill : (uint8_t)rand();
		if (h % 3 == 0) /* few bits: sums near the fold edges */
			for (i = 0; i < ihl * 4; i++)
				b[i] &= (uint8_t)(rand() % 2 ? 0xff : 0x01);
		b[0] = (uint8_t)(0x40 | ihl);
		put16(b + 10, 0);
		put16(b + 10, ref_cksum(b, ihl * 4));
		assert_int_equal(gw_ipv4_hdr_sum(b, ihl * 4), 0xffff);
		{
			uint16_t want = ip->hdr_checksum;

			ip->hdr_checksum = 0;
			assert_int_equal(gw_ipv4_cksum(ip), want);
			ip->hdr_checksum = want;
		}
		b[12] ^= 0x10; /* one bit off: never valid */
		assert_int_not_equal(gw_ipv4_hdr_sum(b, ihl * 4), 0xffff);
	}
}

/* ---- main */

static int port_start(uint16_t port)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 64, SOCKET_ID_ANY, NULL, mp) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, 64, SOCKET_ID_ANY, NULL) != 0)
		return -1;
	return rte_eth_dev_start(port);
}

static int env_init(void)
{
	char prefix[64];
	char *argv[] = { "test_l3", "--no-huge", "--no-pci", "-m", "128", prefix, "--log-level=error",
			 "--vdev=net_null0", "--vdev=net_null1" };
	struct gw_frag_conf fc;

	snprintf(prefix, sizeof(prefix), "--file-prefix=test_l3_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return -1;
	hz = rte_get_tsc_hz();
	now0 = 1000 * hz;
	mp = rte_pktmbuf_pool_create("l3_mp", N_MBUFS, 0, 0, RTE_PKTMBUF_HEADROOM + 4096, SOCKET_ID_ANY);
	mp_ind = rte_pktmbuf_pool_create("l3_ind", N_INDIRECT, 0, 0, 0, SOCKET_ID_ANY);
	neigh = gw_neigh_create(1024, SOCKET_ID_ANY);
	ring = gw_neigh_ring_create("l3_ring", 256, SOCKET_ID_ANY);
	memset(&fc, 0, sizeof(fc));
	fc.direct = mp;
	fc.indirect = mp_ind;
	fc.max_flows = 64;
	fc.socket_id = SOCKET_ID_ANY;
	frag = mp && mp_ind ? gw_frag_create(&fc) : NULL;
	if (!mp || !mp_ind || !neigh || !ring || !frag || port_start(0) != 0 || port_start(1) != 0)
		return -1;
	return 0;
}

/* IP ID lanes (ip_id.h): the generators of one dataplane never hand out
 * the same ID, not even across the wrap at 65536, and each one still uses
 * every value of its lane before repeating. */
static void test_ip_id_lanes(void **state)
{
	enum { WORKERS = 3 };
	unsigned lanes = gw_ip_id_lanes(WORKERS); /* 8, rounded up from 8 */
	static uint8_t owner[65536];
	struct gw_ip_id g[2 * (WORKERS + 1)];

	(void)state;
	memset(owner, 0xff, sizeof(owner));
	for (unsigned l = 0; l < lanes; l++)
		gw_ip_id_init(&g[l], l, lanes, (uint16_t)(l * 40503u + 12345u));
	/* two full turns of every lane */
	for (unsigned k = 0; k < 2 * 65536 / 8; k++)
		for (unsigned l = 0; l < lanes; l++) {
			uint16_t id = gw_ip_id_next(&g[l]);

			assert_true(owner[id] == 0xff || owner[id] == l);
			owner[id] = (uint8_t)l;
		}
	for (unsigned i = 0; i < 65536; i++)
		assert_int_not_equal(owner[i], 0xff); /* 8 lanes x 8192 = all */
	/* 5 workers: 12 lanes, rounded up to 16 */
	gw_ip_id_init(&g[0], 11, gw_ip_id_lanes(5), 0xffff);
	assert_int_equal(g[0].step, 16);
	assert_int_equal(g[0].next & 15, 11);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define T_NOFIB(f) cmocka_unit_test_setup_teardown(f, setup_nofib, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_names),
		cmocka_unit_test(test_ip_id_lanes),
		T_NOFIB(test_lpm_longest_match),
		T_NOFIB(test_connected_vs_static),
		T_NOFIB(test_route_refused),
		T_NOFIB(test_is_local_filter),
		T_NOFIB(test_ifs_build),
		T(test_arp_request_for_us),
		T(test_arp_learn_from_reply),
		T(test_arp_rate_limit),
		T(test_neigh_miss_punt_age),
		T(test_neigh_seqlock),
		T(test_ipv4_truncations),
		T(test_ipv4_bad_headers),
		T(test_ipv4_options_padding),
		T(test_ttl_decrement_cksum),
		T(test_forward),
		T(test_icmp_time_exceeded),
		T(test_icmp_local_out),
		T(test_icmp_frag_needed),
		T(test_icmp_net_unreachable),
		T(test_icmp_never_about),
		T(test_icmp_rate_limit),
		T(test_icmp_echo_reply),
		T(test_fragment_reassemble),
		T(test_reassembly_mixed_burst),
		T(test_reassembly_timeout),
		T(test_output_fragments),
		T(test_tx_flush),
		T(test_output_burst_runs),
		T(test_output_burst_unresolved),
		T(test_output_no_headroom),
		T(test_output_burst_fills_bin),
		T(test_send_burst),
		T(test_forward_one_destination),
		T(test_ipv4_cksum),
	};
	int rc;

	if (env_init() != 0) {
		fprintf(stderr, "test_l3: EAL/mempool/port setup failed\n");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	gw_frag_free(frag);
	rte_eth_dev_stop(0);
	rte_eth_dev_stop(1);
	rte_eth_dev_close(0);
	rte_eth_dev_close(1);
	rte_ring_free(ring);
	gw_neigh_free(neigh);
	rte_mempool_free(mp_ind);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return rc;
}

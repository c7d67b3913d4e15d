/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The gateway under test, built the way the daemon builds it (control/main.c
 * start()): a gw_config made in memory with the same field parsers as the
 * YAML loader, ports opened by gw_ports_open (here on net_ring devices),
 * gw_ctl_init / gw_dp_init / gw_ctl_start for the tables, FIB and per-worker
 * paths. Plus what the bench itself needs: neighbours learned up front, the
 * frames to inject, and the peer's mirror SAs.
 *
 * Addressing (bench.h):
 *   LAN 198.18.0.1/24 (hosts .2-.201)  gw  WAN 198.19.0.1/24 ── peer 198.19.0.2
 *   remote hosts 198.18.128.0/17 behind the peer (static route)
 * Policy j (< --policies): 198.18.0.0/24 -> remote host j (/32, plus a port
 * above 32768 policies), udp, encrypt, manual-sa b<j % pairs>. SA pairs
 * beyond the policies get policies of their own at the end of the SPD that
 * no packet matches: they fill the SAD but carry no traffic.
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_udp.h>

#include "ah.h"
#include "bench.h"
#include "esp.h"
#include "fields.h"
#include "l3.h"
#include "log.h"
#include "tables.h"

#define SPI_BASE 0x10000u /* pair i: gw out SPI = base + 2i, gw in = base + 2i + 1 */
#define UDP_PORT 5001
#define HOST_MAC_PREFIX 0x02

static const uint16_t imix[B_IMIX_N] = {64, 64, 576, 64, 64, 576, 64, 1420, 64, 576, 64, 576};

uint16_t b_imix_size(unsigned i)
{
	return imix[i % B_IMIX_N];
}

/* ---- addresses of flows and policies */

static unsigned n_pairs(const struct b_opts *o)
{
	return o->sas / 2;
}

/* The remote host and UDP port that policy j selects. */
static void policy_remote(const struct b_opts *o, unsigned j, uint32_t *host, uint16_t *port)
{
	*host = B_REMOTE_NET + (j & 0x7fffu);
	*port = o->policies > 32768 ? (uint16_t)(1024 + (j >> 15)) : 0;
}

/* Flow k: its LAN host, its policy, the remote end and ports. */
struct flow_addr {
	uint32_t lan, remote;
	uint16_t lan_port, remote_port;
	unsigned policy;
};

static void flow_addr(const struct b_opts *o, unsigned k, struct flow_addr *f)
{
	uint16_t pport;

	f->policy = k % o->policies;
	f->lan = B_LAN_ADDR + 1 + k % B_LAN_HOSTS;
	f->lan_port = (uint16_t)(10000 + (k / o->policies) % 50000);
	if (o->policies == 1) {
		f->remote = B_REMOTE_NET + 1 + (k / B_LAN_HOSTS) % 32000;
		f->remote_port = UDP_PORT;
		return;
	}
	policy_remote(o, f->policy, &f->remote, &pport);
	f->remote_port = pport ? pport : UDP_PORT;
}

void b_flow_of(const struct b_run *r, unsigned t, uint32_t *lan, uint32_t *remote, uint16_t *lan_port,
	       uint16_t *remote_port, unsigned *pair)
{
	struct flow_addr f;

	flow_addr(r->o, t % r->o->flows, &f);
	*lan = f.lan;
	*remote = f.remote;
	*lan_port = f.lan_port;
	*remote_port = f.remote_port;
	*pair = f.policy % r->peer.n;
}

static void host_mac(uint32_t ip, struct rte_ether_addr *mac)
{
	mac->addr_bytes[0] = HOST_MAC_PREFIX;
	mac->addr_bytes[1] = 0;
	mac->addr_bytes[2] = (uint8_t)(ip >> 24);
	mac->addr_bytes[3] = (uint8_t)(ip >> 16);
	mac->addr_bytes[4] = (uint8_t)(ip >> 8);
	mac->addr_bytes[5] = (uint8_t)ip;
}

/* ---- the config */

static int set(struct gw_config *c, enum gw_menu m, int idx, const char *key, const char *val,
	       struct gw_err *err)
{
	return gw_field_set(m, gw_menu_obj(c, m, (uint32_t)idx), key, val, err);
}

static void ipstr(uint32_t a, char *b, size_t l)
{
	gw_format_ipv4(a, b, l);
}

static void hex_key(unsigned len, char *out)
{
	unsigned i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", (unsigned)(rand() & 0xff));
	out[2 * len] = '\0';
}

/* "in/out" of two fresh random keys of len bytes. */
static void key_pair(unsigned len, char *out)
{
	char a[2 * GW_KEY_MAX + 1], b[2 * GW_KEY_MAX + 1];

	hex_key(len, a);
	hex_key(len, b);
	sprintf(out, "%s/%s", a, b);
}

/* --enc-key / --auth-key: IN/OUT as manual-sa writes it, or one key both
 * ways (refused by the config check for AEAD: nonce reuse); else random. */
static void sa_key(const char *given, unsigned len, char *out)
{
	if (given && strchr(given, '/'))
		sprintf(out, "%.*s", 4 * GW_KEY_MAX + 1, given);
	else if (given)
		sprintf(out, "%.*s/%.*s", 2 * GW_KEY_MAX, given, 2 * GW_KEY_MAX, given);
	else
		key_pair(len, out);
}

static int add_template(struct gw_config *c, const struct b_opts *o, const struct b_alg *alg, unsigned i,
			struct gw_err *err)
{
	char name[32], spi[32], key[4 * GW_KEY_MAX + 4];
	/* Named right below: no search for a free automatic name. */
	int idx = gw_menu_append_unnamed(c, GW_MENU_MANUAL_SA);

	if (idx < 0)
		return -1;
	snprintf(name, sizeof(name), "b%u", i);
	snprintf(spi, sizeof(spi), "0x%x/0x%x", SPI_BASE + 2 * i + 1, SPI_BASE + 2 * i);
	if (set(c, GW_MENU_MANUAL_SA, idx, "name", name, err))
		return -1;
	if (alg->ah) {
		sa_key(o->auth_key, gw_auth_key_len(alg->auth), key);
		return set(c, GW_MENU_MANUAL_SA, idx, "ah-algorithm", gw_auth_alg_name(alg->auth), err) ||
		       set(c, GW_MENU_MANUAL_SA, idx, "ah-key", key, err) ||
		       set(c, GW_MENU_MANUAL_SA, idx, "ah-spi", spi, err);
	}
	if (set(c, GW_MENU_MANUAL_SA, idx, "esp-enc-algorithm", gw_enc_alg_name(alg->enc), err) ||
	    set(c, GW_MENU_MANUAL_SA, idx, "esp-auth-algorithm", gw_auth_alg_name(alg->auth), err) ||
	    set(c, GW_MENU_MANUAL_SA, idx, "esp-spi", spi, err))
		return -1;
	if (gw_enc_key_len(alg->enc)) {
		sa_key(o->enc_key, gw_enc_key_len(alg->enc), key);
		if (set(c, GW_MENU_MANUAL_SA, idx, "esp-enc-key", key, err))
			return -1;
	}
	if (gw_auth_key_len(alg->auth)) {
		sa_key(o->auth_key, gw_auth_key_len(alg->auth), key);
		if (set(c, GW_MENU_MANUAL_SA, idx, "esp-auth-key", key, err))
			return -1;
	}
	return 0;
}

/* Policy j; j >= --policies: an SA carrier that no packet matches. */
static int add_policy(struct gw_config *c, const struct b_run *r, unsigned j, struct gw_err *err)
{
	const struct b_opts *o = r->o;
	char dst[48], host[16], wan[16], peer[16], sa[32];
	int idx = gw_menu_append(c, GW_MENU_POLICY);
	uint32_t h;
	uint16_t port;

	if (idx < 0)
		return -1;
	if (o->policies == 1 && j == 0) {
		snprintf(dst, sizeof(dst), "198.18.128.0/17");
	} else {
		policy_remote(o, j, &h, &port);
		ipstr(h, host, sizeof(host));
		if (port)
			snprintf(dst, sizeof(dst), "%s/32:%u", host, port);
		else
			snprintf(dst, sizeof(dst), "%s/32", host);
	}
	ipstr(B_WAN_ADDR, wan, sizeof(wan));
	ipstr(B_PEER_ADDR, peer, sizeof(peer));
	snprintf(sa, sizeof(sa), "b%u", j % n_pairs(o));
	return set(c, GW_MENU_POLICY, idx, "src-address", j < o->policies ? "198.18.0.0/24" : "198.18.1.0/24", err) ||
	       set(c, GW_MENU_POLICY, idx, "dst-address", dst, err) ||
	       set(c, GW_MENU_POLICY, idx, "protocol", "udp", err) ||
	       set(c, GW_MENU_POLICY, idx, "action", "encrypt", err) ||
	       set(c, GW_MENU_POLICY, idx, "level", "require", err) ||
	       set(c, GW_MENU_POLICY, idx, "ipsec-protocols", r->alg->ah ? "ah" : "esp", err) ||
	       set(c, GW_MENU_POLICY, idx, "tunnel", o->tunnel ? "yes" : "no", err) ||
	       set(c, GW_MENU_POLICY, idx, "sa-src-address", wan, err) ||
	       set(c, GW_MENU_POLICY, idx, "sa-dst-address", peer, err) ||
	       set(c, GW_MENU_POLICY, idx, "manual-sa", sa, err);
}

static int make_config(struct b_run *r, struct gw_config *c, struct gw_err *err)
{
	const struct b_opts *o = r->o;
	unsigned pairs = n_pairs(o), n_pol = o->policies > pairs ? o->policies : pairs, i;
	char dev[32];
	int idx;

	if (gw_config_init(c) != 0)
		return -1;
	for (i = 0; i < B_PORTS; i++) {
		idx = gw_menu_append(c, GW_MENU_INTERFACE);
		snprintf(dev, sizeof(dev), "port:%u", r->port_id[i]);
		if (idx < 0 || set(c, GW_MENU_INTERFACE, idx, "name", i == B_LAN ? "lan" : "wan", err) ||
		    set(c, GW_MENU_INTERFACE, idx, "device", dev, err) ||
		    set(c, GW_MENU_INTERFACE, idx, "address", i == B_LAN ? "198.18.0.1/24" : "198.19.0.1/24", err))
			return -1;
	}
	idx = gw_menu_append(c, GW_MENU_ROUTE);
	if (idx < 0 || set(c, GW_MENU_ROUTE, idx, "dst-address", "198.18.128.0/17", err) ||
	    set(c, GW_MENU_ROUTE, idx, "gateway", "198.19.0.2", err))
		return -1;
	for (i = 0; i < pairs; i++)
		if (add_template(c, o, r->alg, i, err) != 0)
			return -1;
	for (i = 0; i < n_pol; i++)
		if (add_policy(c, r, i, err) != 0)
			return -1;
	c->dataplane.idle_sleep_us = 0; /* workers busy-poll, never sleep */
	c->dataplane.burst_size = o->burst;
	c->dataplane.replay_window = o->replay_window;
	return 0;
}

/* ---- ports on rings */

static int make_ports(struct b_run *r)
{
	unsigned p, q;
	char name[RTE_RING_NAMESIZE];
	int socket = (int)rte_socket_id();

	for (p = 0; p < B_PORTS; p++) {
		for (q = 0; q < r->n_workers; q++) {
			snprintf(name, sizeof(name), "b%u_rx%u_%u", r->iter, p, q);
			r->rx[p][q] = rte_ring_create(name, B_RX_RING, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		}
		for (q = 0; q <= r->n_workers; q++) {
			snprintf(name, sizeof(name), "b%u_tx%u_%u", r->iter, p, q);
			r->tx[p][q] = rte_ring_create(name, B_TX_RING, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		}
		for (q = 0; q < r->n_workers; q++)
			if (!r->rx[p][q])
				return -1;
		for (q = 0; q <= r->n_workers; q++)
			if (!r->tx[p][q])
				return -1;
		snprintf(name, sizeof(name), "b%u_%s", r->iter, p == B_LAN ? "lan" : "wan");
		int id = rte_eth_from_rings(name, r->rx[p], r->n_workers, r->tx[p], r->n_workers + 1, socket);
		if (id < 0)
			return -1;
		r->port_id[p] = (uint16_t)id;
	}
	return 0;
}

/* ---- --pcap: net_pcap in, net_null out */

/* Records in a pcap file (classic format, either byte order), one pass of
 * infinite_rx, after which the sequence numbers of a decap file start over;
 * and the destination MAC of its first frame. */
static int64_t pcap_records(const char *path, struct rte_ether_addr *dst)
{
	FILE *f = fopen(path, "rb");
	uint32_t magic, rec[4];
	uint8_t hdr[20];
	int64_t n = 0;
	bool swap;

	if (!f)
		return -1;
	if (fread(&magic, 4, 1, f) != 1 || fread(hdr, sizeof(hdr), 1, f) != 1)
		goto bad;
	if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
		swap = false;
	else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u)
		swap = true;
	else
		goto bad;
	while (fread(rec, sizeof(rec), 1, f) == 1) {
		uint32_t len = swap ? rte_bswap32(rec[2]) : rec[2];
		long skip = (long)len;

		if (len > 65535)
			goto bad;
		if (n == 0 && len >= sizeof(*dst)) {
			if (fread(dst, sizeof(*dst), 1, f) != 1)
				goto bad;
			skip -= (long)sizeof(*dst);
		}
		if (fseek(f, skip, SEEK_CUR) != 0)
			goto bad;
		n++;
	}
	fclose(f);
	return n;
bad:
	fclose(f);
	return -1;
}

/*
 * The input port (LAN for encap, WAN for decap) replays the file; the other
 * port is a net_null sink that never receives (no-rx). net_pcap cannot
 * change its MAC (02:70:63:61:70:00 for the first net_pcap device of a
 * process): the file's frames must be addressed to it, or the gateway
 * drops them all as other-host; checked here rather than found as a zero rate.
 */
static int make_pcap_ports(struct b_run *r)
{
	unsigned in = r->o->dir == B_DECAP ? B_WAN : B_LAN, p;
	struct rte_ether_addr dst, mac;
	int64_t n = pcap_records(r->o->pcap, &dst);
	char args[PATH_MAX + 128], a[RTE_ETHER_ADDR_FMT_SIZE], b[RTE_ETHER_ADDR_FMT_SIZE];

	if (n <= 0) {
		fprintf(stderr, "ipsecgw-bench: %s: not a pcap file with packets\n", r->o->pcap);
		return -1;
	}
	r->pcap_packets = (uint64_t)n;
	for (p = 0; p < B_PORTS; p++) {
		int rc;

		if (p == in) {
			snprintf(r->vdev_name[p], sizeof(r->vdev_name[p]), "net_pcap_b%u", r->iter);
			snprintf(args, sizeof(args), "%s,rx_pcap=%s,infinite_rx=1", r->vdev_name[p], r->o->pcap);
		} else {
			snprintf(r->vdev_name[p], sizeof(r->vdev_name[p]), "net_null_b%u", r->iter);
			snprintf(args, sizeof(args), "%s,no-rx=1", r->vdev_name[p]);
		}
		rc = rte_dev_probe(args);
		if (rc != 0 || rte_eth_dev_get_port_by_name(r->vdev_name[p], &r->port_id[p]) != 0) {
			fprintf(stderr, "ipsecgw-bench: cannot create %s: %s\n", args, rte_strerror(rc ? -rc : ENODEV));
			r->vdev_name[p][0] = '\0';
			return -1;
		}
	}
	if (rte_eth_macaddr_get(r->port_id[in], &mac) != 0)
		return -1;
	if (!rte_is_same_ether_addr(&mac, &dst)) {
		rte_ether_format_addr(a, sizeof(a), &dst);
		rte_ether_format_addr(b, sizeof(b), &mac);
		fprintf(stderr, "ipsecgw-bench: %s: frames to %s, but the net_pcap port is %s\n", r->o->pcap, a, b);
		return -1;
	}
	return 0;
}

static void remove_pcap_ports(struct b_run *r)
{
	for (unsigned p = 0; p < B_PORTS; p++)
		if (r->vdev_name[p][0])
			rte_eal_hotplug_remove("vdev", r->vdev_name[p]);
}

/* ---- neighbours: the peer on WAN, the LAN hosts */

void b_neigh_refresh(struct b_run *r)
{
	struct rte_ether_addr mac;
	/* 10 ms in the past: a worker that sampled its clock for the burst
	 * before this write would otherwise see a negative age, i.e. an
	 * expired entry (see docs/performance.md, "Bugs found"). */
	uint64_t now = rte_rdtsc() - rte_get_tsc_hz() / 100;
	unsigned i;

	host_mac(B_PEER_ADDR, &mac);
	gw_neigh_learn(r->dp.neigh, B_PEER_ADDR, B_WAN, &mac, now, true);
	for (i = 0; i < B_LAN_HOSTS; i++) {
		host_mac(B_LAN_ADDR + 1 + i, &mac);
		gw_neigh_learn(r->dp.neigh, B_LAN_ADDR + 1 + i, B_LAN, &mac, now, true);
	}
}

/* ---- the peer's SAs */

static struct gw_sa *find_sa(const struct gw_tables *t, uint32_t spi, uint32_t src, uint32_t dst,
			     uint8_t proto, enum gw_sa_dir dir)
{
	struct gw_sa_id id = {.spi = spi, .src = src, .dst = dst, .proto = proto, .dir = (uint8_t)dir};

	return gw_sad_find(t->sad, &id);
}

/* A copy of a gateway SA (same identity, keys, mode), for the peer. */
static struct gw_sa *mirror(const struct gw_sa *sa)
{
	struct gw_sa *m = gw_sa_new(&sa->id, &sa->p, 0, time(NULL));
	struct gw_err err;

	if (!m)
		return NULL;
	m->p.replay_window = 0;
	if (gw_sa_crypto_init(m, &err) != 0) {
		fprintf(stderr, "ipsecgw-bench: peer SA: %s\n", err.msg);
		gw_sa_free(m);
		return NULL;
	}
	m->hot.state = GW_SA_MATURE;
	return m;
}

static struct gw_sa **gw_in_sas; /* the gateway's inbound SAs, for window resets */

static int make_peer(struct b_run *r)
{
	struct b_peer *pe = &r->peer;
	const struct gw_tables *t = r->ctl.live;
	uint8_t proto = r->alg->ah ? IPPROTO_AH : IPPROTO_ESP;
	unsigned i;

	pe->n = n_pairs(r->o);
	pe->spi_base = SPI_BASE;
	pe->in = calloc(pe->n, sizeof(*pe->in));
	pe->out = calloc(pe->n, sizeof(*pe->out));
	gw_in_sas = calloc(pe->n, sizeof(*gw_in_sas));
	pe->ctx = gw_crypto_ctx_new();
	if (!pe->in || !pe->out || !gw_in_sas || !pe->ctx)
		return -1;
	for (i = 0; i < pe->n; i++) {
		struct gw_sa *o = find_sa(t, SPI_BASE + 2 * i, B_WAN_ADDR, B_PEER_ADDR, proto, GW_SA_OUT);
		struct gw_sa *in = find_sa(t, SPI_BASE + 2 * i + 1, B_PEER_ADDR, B_WAN_ADDR, proto, GW_SA_IN);

		if (!o || !in) {
			fprintf(stderr, "ipsecgw-bench: SA pair %u not installed\n", i);
			return -1;
		}
		gw_in_sas[i] = in;
		/* Only pairs that carry traffic need a mirror (1M SAs!); encap none. */
		if (i >= r->o->policies || r->o->dir == B_ENCAP)
			continue;
		pe->in[i] = mirror(o);
		pe->out[i] = mirror(in);
		if (!pe->in[i] || !pe->out[i])
			return -1;
	}
	return 0;
}

void b_reset_windows(struct b_run *r)
{
	unsigned i, n = r->peer.n < r->o->policies ? r->peer.n : r->o->policies;

	for (i = 0; i < n; i++) {
		struct gw_sa *sa = gw_in_sas[i];

		rte_spinlock_lock(&sa->hot.replay_lock);
		memset(sa->replay, 0, sa->replay_buckets * sizeof(uint64_t));
		__atomic_store_n(&sa->hot.seq, 0, __ATOMIC_RELEASE);
		rte_spinlock_unlock(&sa->hot.replay_lock);
	}
}

/* ---- frames */

/* An IPv4/UDP packet of ip_len bytes at p; payload: magic, index, pattern. */
static void build_ip(uint8_t *p, unsigned ip_len, uint32_t src, uint32_t dst, uint16_t sport,
		     uint16_t dport, uint32_t index)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *pl = (uint8_t *)(udp + 1);
	unsigned i, n = ip_len - sizeof(*ip) - sizeof(*udp);
	uint32_t be;

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)ip_len);
	ip->packet_id = rte_cpu_to_be_16((uint16_t)index);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(ip_len - sizeof(*ip)));
	udp->dgram_cksum = 0;
	be = rte_cpu_to_be_32(0x62656e63u); /* "benc" */
	memcpy(pl, &be, 4);
	be = rte_cpu_to_be_32(index);
	memcpy(pl + 4, &be, 4);
	for (i = 8; i < n; i++)
		pl[i] = (uint8_t)(i * 7 + index);
}

static void build_eth(uint8_t *p, const struct rte_ether_addr *dst, const struct rte_ether_addr *src)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;

	eh->dst_addr = *dst;
	eh->src_addr = *src;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
}

static unsigned tmpl_size(const struct b_opts *o, unsigned t)
{
	return o->size ? o->size : b_imix_size(t);
}

/* Plaintext from a LAN host towards the remote side (encap, round trip). */
static int plain_tmpl(struct b_run *r, unsigned t, struct b_tmpl *tp)
{
	struct flow_addr f;
	struct rte_ether_addr smac;
	unsigned len = tmpl_size(r->o, t);

	flow_addr(r->o, t % r->o->flows, &f);
	tp->data = malloc(RTE_ETHER_HDR_LEN + len);
	if (!tp->data)
		return -1;
	host_mac(f.lan, &smac);
	build_eth(tp->data, &r->gw_mac[B_LAN], &smac);
	build_ip(tp->data + RTE_ETHER_HDR_LEN, len, f.lan, f.remote, f.lan_port, f.remote_port, t);
	tp->len = (uint16_t)(RTE_ETHER_HDR_LEN + len);
	tp->ip_len = (uint16_t)len;
	tp->tmpl_sa = f.policy % r->peer.n;
	return 0;
}

/* ESP/AH from the peer, sealed once with its mirror SA (decap). */
static int sealed_tmpl(struct b_run *r, unsigned t, struct b_tmpl *tp)
{
	struct flow_addr f;
	struct rte_ether_addr smac;
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->mp);
	unsigned len = tmpl_size(r->o, t), pair;
	struct gw_sa *sa;
	uint8_t rc = 0;
	uint8_t *p;

	if (!m)
		return -1;
	flow_addr(r->o, t % r->o->flows, &f);
	pair = f.policy % r->peer.n;
	sa = r->peer.out[pair];
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	build_ip(p, len, f.remote, f.lan, f.remote_port, f.lan_port, t);
	if (r->alg->ah)
		gw_ah_outb(r->peer.ctx, &m, &sa, NULL, NULL, 1, &rc, NULL);
	else
		gw_esp_outb(r->peer.ctx, &m, &sa, NULL, NULL, 1, &rc, NULL);
	if (rc != 0) {
		fprintf(stderr, "ipsecgw-bench: sealing a decap packet: %s\n", gw_ipsec_drop_name(rc));
		rte_pktmbuf_free(m);
		return -1;
	}
	host_mac(B_PEER_ADDR, &smac);
	p = (uint8_t *)rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN);
	build_eth(p, &r->gw_mac[B_WAN], &smac);
	tp->len = rte_pktmbuf_data_len(m);
	tp->ip_len = (uint16_t)len;
	tp->tmpl_sa = pair;
	tp->data = malloc(tp->len);
	if (tp->data)
		memcpy(tp->data, p, tp->len);
	rte_pktmbuf_free(m);
	return tp->data ? 0 : -1;
}

/*
 * Templates per worker: flows are spread over workers as RSS would (flow k
 * to worker k mod N). Decap needs a pool: each template is sealed with its
 * own sequence number, so a pool long enough to be replayed only after the
 * windows are reset (source.c).
 */
static int make_templates(struct b_run *r)
{
	const struct b_opts *o = r->o;
	unsigned n = o->flows, w, t;

	if (!o->size && n < B_IMIX_N)
		n = B_IMIX_N;
	if (o->dir == B_DECAP && n < o->pool)
		n = o->pool;
	for (w = 0; w < r->n_workers; w++) {
		r->tmpl[w] = calloc(n / r->n_workers + 1, sizeof(struct b_tmpl));
		if (!r->tmpl[w])
			return -1;
	}
	/* Flow of template t is t % flows; its worker that flow's. */
	for (t = 0; t < n; t++) {
		w = (t % o->flows) % r->n_workers;
		if (r->n_tmpl[w] >= n / r->n_workers + 1)
			continue;
		struct b_tmpl *tp = &r->tmpl[w][r->n_tmpl[w]++];
		if ((o->dir == B_DECAP ? sealed_tmpl(r, t, tp) : plain_tmpl(r, t, tp)) != 0)
			return -1;
	}
	for (w = 0; w < r->n_workers; w++)
		if (r->n_tmpl[w] == 0)
			return -1; /* fewer flows than workers */
	return 0;
}

/* ---- worker thread clocks */

double b_cpu_seconds(clockid_t c)
{
	struct timespec ts;

	if (clock_gettime(c, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int thread_clock(void *arg)
{
	clockid_t *c = arg;

	return pthread_getcpuclockid(pthread_self(), c);
}

/* ---- build time and memory */

static double ms_since(struct timespec t0, clockid_t clk)
{
	struct timespec t;

	clock_gettime(clk, &t);
	return (double)(t.tv_sec - t0.tv_sec) * 1e3 + (double)(t.tv_nsec - t0.tv_nsec) / 1e6;
}

/* Bytes in use on the C heap (the tables are plain malloc memory, sa.h):
 * small chunks plus mmap()ed big ones. */
static uint64_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
}

/* What one more SA like sa costs on the heap: a fresh copy with its key
 * schedules, measured and freed. */
static uint64_t sa_object_bytes(const struct gw_sa *sa)
{
	uint64_t before = heap_in_use(), bytes = 0;
	struct gw_sa *copy = gw_sa_new(&sa->id, &sa->p, 0, 0);
	struct gw_err err;

	if (copy && gw_sa_crypto_init(copy, &err) == 0)
		bytes = heap_in_use() - before;
	if (copy)
		gw_sa_free(copy);
	return bytes;
}

static void measure_memory(struct b_run *r, uint64_t heap_before)
{
	const struct gw_tables *t = r->ctl.live;
	const struct gw_sad *sad = t->sad;

	r->mem.tables_heap = heap_in_use() - heap_before;
	r->mem.n_sas = sad->n;
	r->mem.sa_object = sad->n ? sa_object_bytes(sad->sa[0]) : 0;
	r->mem.sad_index = (uint64_t)sad->n * sizeof(sad->sa[0]) +
			   ((uint64_t)sad->in_mask + 1 + sad->id_mask + 1) * sizeof(struct gw_sad_slot);
	r->mem.spd_index = gw_spd_index_bytes(t->spd);
	r->mem.spd_tuples = gw_spd_index_tuples(t->spd);
}

/* The generated config, validated as the daemon validates a config file. */
static int config_phase(struct b_run *r, struct gw_config *cfg, struct gw_err *gerr)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (make_config(r, cfg, gerr) != 0)
		return -1;
	r->config_ms = ms_since(t0, CLOCK_MONOTONIC);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (gw_config_validate(cfg, gerr) != 0)
		return -1;
	r->validate_ms = ms_since(t0, CLOCK_MONOTONIC);
	return 0;
}

/* The first tables, as the daemon builds them, timed and weighed. */
static int tables_phase(struct b_run *r, struct gw_err *gerr)
{
	struct timespec wall0, cpu0;
	uint64_t heap0 = heap_in_use();

	clock_gettime(CLOCK_MONOTONIC, &wall0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
	if (gw_ctl_start(&r->ctl, &r->dp, gerr) != 0)
		return -1;
	r->tables_ms = ms_since(wall0, CLOCK_MONOTONIC);
	r->tables_cpu_ms = ms_since(cpu0, CLOCK_THREAD_CPUTIME_ID);
	measure_memory(r, heap0);
	return 0;
}

/* ---- all of it */

int b_setup(struct b_run *r)
{
	struct gw_config cfg;
	struct gw_err gerr = {.msg = ""};
	char err[512];
	uint64_t t0;
	unsigned w, lcore;

	srand(1 + r->iter);
	if (r->o->pcap ? make_pcap_ports(r) != 0 : make_ports(r) != 0) {
		fprintf(stderr, "ipsecgw-bench: ring ports: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	t0 = rte_rdtsc();
	if (config_phase(r, &cfg, &gerr) != 0) {
		fprintf(stderr, "ipsecgw-bench: generated config: %s\n", gerr.msg);
		gw_config_free(&cfg);
		return -1;
	}
	if (gw_ports_open(&cfg, r->mp, r->n_workers, r->ports, &r->n_ports, err, sizeof(err)) != 0) {
		fprintf(stderr, "ipsecgw-bench: %s\n", err);
		gw_config_free(&cfg);
		return -1;
	}
	r->ports_up = true;
	for (w = 0; w < B_PORTS; w++)
		r->gw_mac[w] = r->ports[w].mac;
	if (gw_ctl_init(&r->ctl, &cfg, r->n_workers, &gerr) != 0) {
		fprintf(stderr, "ipsecgw-bench: %s\n", gerr.msg);
		gw_config_free(&cfg);
		return -1;
	}
	r->ctl_up = true;
	if (gw_dp_init(&r->dp, r->mp, r->ports, r->n_ports, r->n_workers, r->ctl.counters, err,
		       sizeof(err)) != 0) {
		fprintf(stderr, "ipsecgw-bench: %s\n", err);
		return -1;
	}
	r->dp_up = true;
	if (tables_phase(r, &gerr) != 0) {
		fprintf(stderr, "ipsecgw-bench: tables: %s\n", gerr.msg);
		return -1;
	}
	r->build_us = (rte_rdtsc() - t0) * 1000000 / rte_get_tsc_hz();
	b_neigh_refresh(r);
	/* --pcap: the file is the traffic, no templates. */
	if (make_peer(r) != 0 || (!r->o->pcap && make_templates(r) != 0)) {
		fprintf(stderr, "ipsecgw-bench: peer SAs or packet templates failed\n");
		return -1;
	}
	/* The daemon's assign_queues(): worker w polls queue w of every port
	 * and sends on TX queue w. */
	w = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct gw_worker *wk = &r->workers[w];
		unsigned p;

		if (w >= r->n_workers)
			break;
		memset(wk, 0, sizeof(*wk));
		gw_ctl_worker_init(&r->ctl, wk, w);
		gw_dp_worker_attach(&r->dp, wk);
		wk->lcore_id = lcore;
		wk->stop = &r->stop;
		wk->tx_queue = (uint16_t)w;
		for (p = 0; p < B_PORTS; p++)
			gw_worker_add_rx(wk, r->port_id[p], (uint16_t)w);
		r->worker_lcore[w] = lcore;
		if (rte_eal_remote_launch(thread_clock, &r->worker_clock[w], lcore) != 0 ||
		    rte_eal_wait_lcore(lcore) != 0)
			return -1;
		w++;
	}
	return 0;
}

static void drain_ring(struct rte_ring *rg)
{
	void *m;

	while (rg && rte_ring_dequeue(rg, &m) == 0)
		rte_pktmbuf_free(m);
}

void b_teardown(struct b_run *r)
{
	unsigned p, q, w;

	if (r->ctl_up)
		gw_ctl_fini(&r->ctl);
	if (r->dp_up)
		gw_dp_fini(&r->dp);
	if (r->ports_up)
		gw_ports_close(r->ports, r->n_ports);
	remove_pcap_ports(r);
	for (p = 0; p < B_PORTS; p++) {
		for (q = 0; q <= r->n_workers; q++) {
			if (q < r->n_workers) {
				drain_ring(r->rx[p][q]);
				rte_ring_free(r->rx[p][q]);
			}
			drain_ring(r->tx[p][q]);
			rte_ring_free(r->tx[p][q]);
		}
	}
	for (w = 0; w < r->n_workers; w++) {
		unsigned t;

		for (t = 0; t < r->n_tmpl[w]; t++)
			free(r->tmpl[w][t].data);
		free(r->tmpl[w]);
	}
	for (q = 0; q < r->peer.n; q++) {
		if (r->peer.in && r->peer.in[q])
			gw_sa_free(r->peer.in[q]);
		if (r->peer.out && r->peer.out[q])
			gw_sa_free(r->peer.out[q]);
	}
	free(r->peer.in);
	free(r->peer.out);
	free(gw_in_sas);
	gw_in_sas = NULL;
	gw_crypto_ctx_free(r->peer.ctx);
}

/*
 * Round trip: is ip (len bytes, IPv4 at p) exactly the plaintext that the
 * generator makes for its index, every payload byte, in the direction
 * given (reply: remote -> LAN)? The TTL and header checksum are not
 * compared (the gateway forwards: TTL - 1), the checksum is checked.
 */
bool b_verify_plain(const struct b_run *r, const uint8_t *p, unsigned len, bool reply)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)p;
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);
	const uint8_t *pl = (const uint8_t *)(udp + 1);
	uint32_t lan, remote, magic, index;
	uint16_t lport, rport;
	unsigned i, n, pair;

	if (len < sizeof(*ip) + sizeof(*udp) + 8 || ip->version_ihl != RTE_IPV4_VHL_DEF ||
	    rte_be_to_cpu_16(ip->total_length) != len || ip->next_proto_id != IPPROTO_UDP ||
	    rte_raw_cksum(ip, sizeof(*ip)) != 0xffff)
		return false;
	memcpy(&magic, pl, 4);
	memcpy(&index, pl + 4, 4);
	index = rte_be_to_cpu_32(index);
	if (rte_be_to_cpu_32(magic) != 0x62656e63u)
		return false;
	b_flow_of(r, index, &lan, &remote, &lport, &rport, &pair);
	if (rte_be_to_cpu_32(ip->src_addr) != (reply ? remote : lan) ||
	    rte_be_to_cpu_32(ip->dst_addr) != (reply ? lan : remote) ||
	    rte_be_to_cpu_16(udp->src_port) != (reply ? rport : lport) ||
	    rte_be_to_cpu_16(udp->dst_port) != (reply ? lport : rport) ||
	    len != (r->o->size ? r->o->size : b_imix_size(index)))
		return false;
	n = len - sizeof(*ip) - sizeof(*udp);
	for (i = 8; i < n; i++)
		if (pl[i] != (uint8_t)(i * 7 + index))
			return false;
	return true;
}

/* The generator's index of a plaintext (checked by b_verify_plain). */
unsigned b_index_of(const uint8_t *p)
{
	uint32_t index;

	memcpy(&index, p + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) + 4, 4);
	return rte_be_to_cpu_32(index);
}

/* Round trip: turn a verified plaintext into the remote host's answer. */
void b_make_reply(uint8_t *p)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	rte_be32_t a = ip->src_addr;
	rte_be16_t port = udp->src_port;

	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	udp->src_port = udp->dst_port;
	udp->dst_port = port;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

void b_peer_eth(const struct b_run *r, uint8_t *p)
{
	struct rte_ether_addr smac;

	host_mac(B_PEER_ADDR, &smac);
	build_eth(p, &r->gw_mac[B_WAN], &smac);
}

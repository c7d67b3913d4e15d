/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "crypto.h"
#include "events.h"
#include "l3.h"
#include "lifetime.h"
#include "log.h"
#include "path.h"
#include "worker.h"

#define NEIGH_SLOTS 4096
#define RING_SIZE 4096
#define CTL_TX_RING 1024
#define JUMBO_MBUFS 511
#define JUMBO_DATA (9216 + RTE_PKTMBUF_HEADROOM) /* a reassembled jumbo frame */
#define REASSEMBLY_FLOWS 256

/* Baselines for `counters reset`: threads own their counters, so a reset
 * subtracts instead of writing them. */
static uint64_t l3_base[GW_L3_DROP_COUNT];
static uint64_t ipsec_base[GW_IPSEC_DROP_COUNT];

static void *zalloc_aligned(size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, RTE_CACHE_LINE_SIZE, size) != 0)
		return NULL;
	memset(p, 0, size);
	return p;
}

static int make_pools(struct gw_dp *dp, char *err, size_t errlen)
{
	int socket = (int)rte_socket_id();

	dp->indirect = rte_pktmbuf_pool_create("gw_indirect", 8191, 256, 0, 0, socket);
	dp->jumbo = rte_pktmbuf_pool_create("gw_jumbo", JUMBO_MBUFS, 32, 0, JUMBO_DATA, socket);
	if (!dp->indirect || !dp->jumbo) {
		snprintf(err, errlen, "mbuf pools for fragments: %s (EAL -m too small?)",
			 rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int make_rings(struct gw_dp *dp, char *err, size_t errlen)
{
	int socket = (int)rte_socket_id();
	unsigned i;

	dp->neigh = gw_neigh_create(NEIGH_SLOTS, socket);
	dp->neigh_ring = gw_neigh_ring_create("gw_neigh", RING_SIZE, socket);
	dp->punt = rte_ring_create("gw_punt", RING_SIZE, socket, RING_F_SC_DEQ);
	dp->events = gw_events_create("gw_events", RING_SIZE);
	dp->ctl_tx = calloc(dp->n_workers ? dp->n_workers : 1, sizeof(*dp->ctl_tx));
	if (!dp->neigh || !dp->neigh_ring || !dp->punt || !dp->events || !dp->ctl_tx)
		goto fail;
	for (i = 0; i < dp->n_workers; i++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "gw_ctl_tx%u", i);
		dp->ctl_tx[i] = rte_ring_create(name, CTL_TX_RING, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!dp->ctl_tx[i])
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "rings and neighbour table: %s", rte_strerror(rte_errno));
	return -1;
}

/* Thread i's L3 context; i == n_workers is control's (no reassembly). */
static int make_l3(struct gw_dp *dp, unsigned i, char *err, size_t errlen)
{
	bool ctl = i == dp->n_workers;
	struct gw_frag_conf fc = {
		.direct = dp->mp, .indirect = dp->indirect,
		.max_flows = ctl ? 0 : REASSEMBLY_FLOWS, .socket_id = (int)rte_socket_id(),
	};
	struct gw_l3_ctx_conf lc = {
		.tx_queue = (uint16_t)(ctl ? 0 : i), .neigh = dp->neigh, .neigh_ring = dp->neigh_ring,
		.local_out = ctl ? NULL : gw_path_l3_local_out, .local_out_arg = ctl ? NULL : &dp->paths[i],
		.ip_id_lane = 2 * i + 1, .ip_id_lanes = gw_ip_id_lanes(dp->n_workers),
	};

	dp->frag[i] = gw_frag_create(&fc);
	dp->l3[i] = zalloc_aligned(sizeof(struct gw_l3_ctx));
	if (!dp->frag[i] || !dp->l3[i]) {
		snprintf(err, errlen, "L3 context %u: out of memory", i);
		return -1;
	}
	lc.frag = dp->frag[i];
	gw_l3_ctx_init(dp->l3[i], &lc);
	return 0;
}

static int make_paths(struct gw_dp *dp, struct gw_worker_counters *counters, char *err, size_t errlen)
{
	unsigned i;

	dp->paths = calloc(dp->n_workers ? dp->n_workers : 1, sizeof(*dp->paths));
	dp->l3 = calloc(dp->n_workers + 1, sizeof(*dp->l3));
	dp->frag = calloc(dp->n_workers + 1, sizeof(*dp->frag));
	if (!dp->paths || !dp->l3 || !dp->frag) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i <= dp->n_workers; i++)
		if (make_l3(dp, i, err, errlen) != 0)
			return -1;
	for (i = 0; i < dp->n_workers; i++) {
		struct gw_path *p = &dp->paths[i];

		p->worker = i;
		p->l3 = dp->l3[i];
		p->ctr = &counters[i];
		p->events = dp->events;
		p->punt = dp->punt;
		p->jumbo = dp->jumbo;
		p->crypto = gw_crypto_ctx_new();
		if (!p->crypto) {
			snprintf(err, errlen, "intel-ipsec-mb manager for worker %u: out of memory", i);
			return -1;
		}
		gw_crypto_ctx_set_ip_id_lane(p->crypto, 2 * i, gw_ip_id_lanes(dp->n_workers));
	}
	return 0;
}

int gw_dp_init(struct gw_dp *dp, struct rte_mempool *mp, const struct gw_port *ports, unsigned n_ports,
	       unsigned n_workers, struct gw_worker_counters *counters, char *err, size_t errlen)
{
	memset(dp, 0, sizeof(*dp));
	dp->mp = mp;
	dp->ports = ports;
	dp->n_ports = n_ports;
	dp->n_workers = n_workers;
	if (make_pools(dp, err, errlen) != 0 || make_rings(dp, err, errlen) != 0 ||
	    make_paths(dp, counters, err, errlen) != 0) {
		gw_dp_fini(dp);
		return -1;
	}
	if (n_workers)
		gw_log(GW_LOG_INFO, "ipsec", "crypto: intel-ipsec-mb, %s code path",
		       gw_crypto_ctx_arch(dp->paths[0].crypto));
	return 0;
}

static void free_ring_mbufs(struct rte_ring *r)
{
	void *m;

	while (r && rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

/* Call once the workers have stopped. */
void gw_dp_fini(struct gw_dp *dp)
{
	unsigned i;

	for (i = 0; dp->paths && i < dp->n_workers; i++)
		gw_crypto_ctx_free(dp->paths[i].crypto);
	for (i = 0; dp->l3 && i <= dp->n_workers; i++)
		free(dp->l3[i]);
	for (i = 0; dp->frag && i <= dp->n_workers; i++)
		if (dp->frag[i])
			gw_frag_free(dp->frag[i]);
	for (i = 0; dp->ctl_tx && i < dp->n_workers; i++) {
		free_ring_mbufs(dp->ctl_tx[i]);
		rte_ring_free(dp->ctl_tx[i]);
	}
	free_ring_mbufs(dp->punt);
	rte_ring_free(dp->punt);
	for (i = 0; i < dp->n_pending; i++)
		rte_pktmbuf_free(dp->pending[i]);
	rte_ring_free(dp->neigh_ring);
	if (dp->events)
		gw_events_free(dp->events);
	if (dp->neigh)
		gw_neigh_free(dp->neigh);
	rte_mempool_free(dp->jumbo);
	rte_mempool_free(dp->indirect);
	free(dp->paths);
	free(dp->l3);
	free(dp->frag);
	free(dp->ctl_tx);
	memset(dp, 0, sizeof(*dp));
}

void gw_dp_worker_attach(struct gw_dp *dp, struct gw_worker *w)
{
	if (w->id >= dp->n_workers)
		return;
	w->path = &dp->paths[w->id];
	w->ctl_tx = dp->ctl_tx[w->id];
}

struct gw_fib *gw_dp_fib_build(struct gw_dp *dp, const struct gw_config *c, struct gw_err *err)
{
	struct gw_l3_if ifs[GW_L3_MAX_IFS];
	unsigned n_ifs;

	if (gw_l3_ifs_build(c, dp->ports, dp->n_ports, ifs, GW_L3_MAX_IFS, &n_ifs, err) != 0)
		return NULL;
	return gw_fib_build(ifs, n_ifs, c->routes.v, c->routes.n, (int)rte_socket_id(), err);
}

void gw_dp_neigh_flush(struct gw_dp *dp)
{
	gw_neigh_flush(dp->neigh);
}

/* ---- control's own frames */

static struct gw_l3_ctx *ctl_l3(const struct gw_dp *dp)
{
	return dp->l3[dp->n_workers];
}

/* Move what control queued in its TX bins to a worker's ring (or, with no
 * worker at all, straight to the port). */
static void ctl_flush(struct gw_dp *dp)
{
	struct gw_l3_tx *tx = &ctl_l3(dp)->tx;
	uint16_t port;

	if (!dp->n_workers) {
		gw_l3_tx_flush(ctl_l3(dp));
		return;
	}
	for (port = 0; tx->dirty && port < 64; port++) {
		uint16_t i;

		if (!(tx->dirty & (1ull << port)))
			continue;
		for (i = 0; i < tx->n[port]; i++) {
			struct rte_mbuf *m = tx->pkts[port][i];

			m->port = port;
			if (rte_ring_sp_enqueue(dp->ctl_tx[0], m) != 0) {
				dp->ctl_tx_lost++;
				rte_pktmbuf_free(m);
			}
		}
		tx->n[port] = 0;
		tx->dirty &= ~(1ull << port);
	}
}

static void handle_punt(struct gw_dp *dp, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct rte_mbuf *reply;

	if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		reply = gw_arp_input(ctl_l3(dp), m);
		if (reply)
			gw_l3_tx_enqueue(ctl_l3(dp), reply->port, reply);
		return;
	}
	/* An IKE datagram (IPv4, no L2). */
	dp->punted_ike++;
	if (dp->on_ike)
		dp->on_ike(dp->cb_arg, m);
	else
		gw_log(GW_LOG_DEBUG, "ike", "IKE datagram received; no IKE, dropped");
	rte_pktmbuf_free(m);
}

static void log_event(struct gw_dp *dp, const struct gw_event *ev)
{
	char src[16], dst[16];

	if (ev->type == GW_EV_ACQUIRE) {
		dp->acquires++;
		gw_format_ipv4(ev->acquire.src, src, sizeof(src));
		gw_format_ipv4(ev->acquire.dst, dst, sizeof(dst));
		gw_log(GW_LOG_INFO, "ipsec", "ACQUIRE for policy uid %u (%s -> %s proto %u): no SA",
		       ev->acquire.policy_uid, src, dst, ev->acquire.proto);
		return;
	}
	dp->expires++;
	gw_format_ipv4(ev->sa.src, src, sizeof(src));
	gw_format_ipv4(ev->sa.dst, dst, sizeof(dst));
	gw_log(GW_LOG_NOTICE, "ipsec", "SA %s spi %X %s -> %s reached its %s limit%s",
	       ev->sa.proto == IPPROTO_AH ? "AH" : "ESP", ev->sa.spi, src, dst,
	       ev->type == GW_EV_EXPIRE_HARD ? "hard" : "soft",
	       ev->type == GW_EV_EXPIRE_HARD ? ": discarded" : ": replacement needed");
}

/* Whether the neighbour for dst is resolved; if not, control is asked. */
static bool next_hop_known(struct gw_dp *dp, struct gw_l3_ctx *l3, uint32_t dst)
{
	struct rte_ether_addr mac;
	struct gw_nh nh;
	unsigned r;

	if (gw_fib_lookup(l3->fib, dst, &nh) != 0 || (nh.flags & GW_NH_LOCAL))
		return true; /* nothing to wait for: L3 output counts it */
	r = gw_neigh_lookup(dp->neigh, nh.ip, nh.ifidx, l3->now, &mac);
	if (r & GW_NEIGH_HAVE_MAC)
		return true;
	if (r & GW_NEIGH_PUNT) {
		struct gw_neigh_req req = {.ip = nh.ip, .ifidx = nh.ifidx};

		rte_ring_mp_enqueue_elem(dp->neigh_ring, &req, sizeof(req));
	}
	return false;
}

static bool hold(struct gw_dp *dp, struct rte_mbuf *m)
{
	if (dp->n_pending == GW_DP_PENDING)
		return false;
	dp->pending[dp->n_pending] = m;
	dp->pending_until[dp->n_pending++] = rte_rdtsc() + rte_get_tsc_hz();
	return true;
}

/* Send what waited for ARP and can go now; drop what waited too long. */
static void retry_pending(struct gw_dp *dp, struct gw_l3_ctx *l3)
{
	unsigned i, k = 0;

	for (i = 0; i < dp->n_pending; i++) {
		struct rte_mbuf *m = dp->pending[i];
		uint32_t dst = rte_be_to_cpu_32(rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *)->dst_addr);

		if (next_hop_known(dp, l3, dst)) {
			gw_l3_send_burst(l3, &m, 1);
		} else if (l3->now > dp->pending_until[i]) {
			dp->pending_lost++;
			rte_pktmbuf_free(m);
		} else {
			dp->pending_until[k] = dp->pending_until[i];
			dp->pending[k++] = m;
		}
	}
	dp->n_pending = k;
}

void gw_dp_poll(struct gw_dp *dp, const struct gw_tables *live)
{
	struct gw_l3_ctx *l3 = ctl_l3(dp);
	struct gw_event ev[32];
	void *m[32];
	unsigned i, n;

	if (!live || !live->fib)
		return;
	l3->fib = live->fib;
	l3->now = rte_rdtsc();
	while ((n = rte_ring_sc_dequeue_burst(dp->punt, m, RTE_DIM(m), NULL)) > 0)
		for (i = 0; i < n; i++)
			handle_punt(dp, m[i]);
	gw_neigh_drain(l3, dp->mp, 256);
	if (dp->n_pending)
		retry_pending(dp, l3);
	while ((n = gw_events_drain(dp->events, ev, RTE_DIM(ev))) > 0)
		for (i = 0; i < n; i++) {
			log_event(dp, &ev[i]);
			if (dp->on_event)
				dp->on_event(dp->cb_arg, &ev[i]);
		}
	ctl_flush(dp);
}

void gw_dp_flush(struct gw_dp *dp)
{
	ctl_flush(dp);
}

int gw_dp_send_udp(struct gw_dp *dp, const struct gw_tables *live, uint32_t src, uint16_t sport,
		   uint32_t dst, uint16_t dport, const uint8_t *payload, size_t len)
{
	struct gw_l3_ctx *l3 = ctl_l3(dp);
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	struct rte_mbuf *m;
	size_t tot = sizeof(*ip) + sizeof(*udp) + len;

	if (!live || !live->fib || tot > UINT16_MAX)
		return -1;
	m = rte_pktmbuf_alloc(dp->mp);
	if (!m)
		return -1;
	ip = (struct rte_ipv4_hdr *)rte_pktmbuf_append(m, (uint16_t)tot);
	if (!ip) {
		/* larger than one buffer: IKE messages stay well below that */
		rte_pktmbuf_free(m);
		return -1;
	}
	memset(ip, 0, sizeof(*ip) + sizeof(*udp));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)tot);
	ip->packet_id = rte_cpu_to_be_16(gw_ip_id_next(&l3->ip_id));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + len));
	memcpy(udp + 1, payload, len);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	l3->fib = live->fib;
	l3->now = rte_rdtsc();
	if (!next_hop_known(dp, l3, dst) && hold(dp, m))
		return 0;
	gw_l3_send_burst(l3, &m, 1);
	return 0;
}

/* Time lifetimes (add-lifetime, use-lifetime) are the control thread's:
 * the packet path checks only a precomputed hard deadline. */
static void check_sa_times(struct gw_dp *dp, const struct gw_tables *live)
{
	int64_t now = (int64_t)time(NULL);
	struct gw_event ev[64];
	unsigned n = 0, k;
	uint32_t i;

	for (i = 0; live->sad && i < live->sad->n; i++) {
		struct gw_sa *sa = live->sad->sa[i];
		enum gw_expire e = gw_sa_check_time(sa, now);

		if (e == GW_EXPIRE_NONE)
			continue;
		ev[n] = (struct gw_event){.type = e == GW_EXPIRE_HARD ? GW_EV_EXPIRE_HARD : GW_EV_EXPIRE_SOFT};
		ev[n].sa = sa->id;
		log_event(dp, &ev[n]);
		/* More crossings than fit this tick are caught on the next: an
		 * SA's state says what it reached, whoever looks. */
		if (++n == RTE_DIM(ev))
			break;
	}
	/* Only after the walk: a callback may publish new tables and retire
	 * the ones being walked. */
	for (k = 0; dp->on_event && k < n; k++)
		dp->on_event(dp->cb_arg, &ev[k]);
}

void gw_dp_tick(struct gw_dp *dp, const struct gw_tables *live)
{
	if (!live)
		return;
	gw_neigh_age(dp->neigh, rte_rdtsc());
	check_sa_times(dp, live);
}

/* ---- drops */

static uint64_t l3_drop_sum(const struct gw_dp *dp, unsigned r)
{
	uint64_t s = 0;
	unsigned i;

	for (i = 0; i <= dp->n_workers; i++)
		s += __atomic_load_n(&dp->l3[i]->stats.drop[r], __ATOMIC_RELAXED);
	return s;
}

static uint64_t ipsec_drop_sum(const struct gw_dp *dp, unsigned r)
{
	uint64_t s = 0;
	unsigned i;

	for (i = 0; i < dp->n_workers; i++)
		s += __atomic_load_n(&dp->paths[i].ipsec_drop[r], __ATOMIC_RELAXED);
	return s;
}

/* "ipsec-icv", ...: the ESP/AH detail of the global reasons, kept apart from
 * them by the prefix (they would otherwise merge with L3's "malformed"). */
static const char *ipsec_drop_label(unsigned r)
{
	static char labels[GW_IPSEC_DROP_COUNT][40];

	if (!labels[r][0])
		snprintf(labels[r], sizeof(labels[r]), "ipsec-%s", gw_ipsec_drop_name(r));
	return labels[r];
}

unsigned gw_dp_drops(const struct gw_dp *dp, struct gw_drop_view *out, unsigned have, unsigned max)
{
	unsigned r;

	for (r = 0; r < GW_L3_DROP_COUNT && have < max; r++)
		out[have++] = (struct gw_drop_view){gw_l3_drop_names[r], l3_drop_sum(dp, r) - l3_base[r]};
	/* ESP/AH reasons in detail (the global drops above only name classes). */
	for (r = 1; r < GW_IPSEC_DROP_COUNT && have < max; r++)
		out[have++] = (struct gw_drop_view){ipsec_drop_label(r), ipsec_drop_sum(dp, r) - ipsec_base[r]};
	return have;
}

void gw_dp_reset_drops(struct gw_dp *dp)
{
	unsigned r;

	for (r = 0; r < GW_L3_DROP_COUNT; r++)
		l3_base[r] = l3_drop_sum(dp, r);
	for (r = 0; r < GW_IPSEC_DROP_COUNT; r++)
		ipsec_base[r] = ipsec_drop_sum(dp, r);
}

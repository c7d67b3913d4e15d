/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The run: the workers execute gw_worker_main (the daemon's poll loop) on
 * their lcores; the main lcore is source, sink, control and peer:
 *
 *  - refill: keeps every worker's RX rings full with frames copied from
 *    the templates into mbufs (alloc_bulk from the mempool);
 *  - drain: takes what the workers sent from the TX rings, counts it and
 *    gives the mbufs back (free_bulk). Round trip: ESP from the gateway is
 *    decapsulated with the peer's mirror SA, the plaintext checked byte for
 *    byte, answered, sealed and sent back to the WAN port; the gateway's
 *    decapsulated answer on LAN is checked again;
 *  - control: gw_ctl_poll (punted frames, neighbour requests, SA events)
 *    every millisecond, gw_ctl_tick and the neighbour refresh every second.
 *
 * Decap replays a pool of pre-sealed packets: each pass carries sequence
 * numbers 1..n, so between passes the source lets the workers finish the
 * pass and resets the gateway's replay windows (b_reset_windows). That
 * pause is measured and taken out of the rates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "ah.h"
#include "bench.h"
#include "esp.h"
#include "l3.h"
#include "path.h"
#include "rcu.h"
#include "tables.h"

#define DRAIN_BURST 64
#define REFILL_BURST 128

static void count_tx(struct b_worker_stats *s, struct rte_mbuf *m)
{
	s->tx++;
	s->tx_bytes += rte_pktmbuf_pkt_len(m);
}

static bool is_ipv4(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	return rte_pktmbuf_data_len(m) > RTE_ETHER_HDR_LEN &&
	       eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
}

static uint8_t ip_proto(const struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN)->next_proto_id;
}

/* ---- round trip: the peer */

/* ESP/AH frames the gateway sent to the peer: open, check, answer. */
static void peer_answer(struct b_run *r, unsigned w, struct rte_mbuf **mb, uint16_t n)
{
	struct b_worker_stats *s = &r->ws[w];
	struct gw_sa *sa[DRAIN_BURST];
	uint32_t seq32[DRAIN_BURST];
	uint64_t seq64[DRAIN_BURST];
	uint8_t rc[DRAIN_BURST], proto;
	struct rte_mbuf *ok[DRAIN_BURST];
	uint16_t i, k = 0;
	uint32_t spi;

	for (i = 0; i < n; i++) {
		rte_pktmbuf_adj(mb[i], RTE_ETHER_HDR_LEN);
		sa[i] = NULL;
		if (gw_ipsec_peek_spi(mb[i], &proto, &spi) == 0 && spi >= r->peer.spi_base &&
		    (spi - r->peer.spi_base) / 2 < r->peer.n)
			sa[i] = r->peer.in[(spi - r->peer.spi_base) / 2];
		if (!sa[i])
			sa[i] = r->peer.in[0]; /* fails below, counted bad */
	}
	if (r->alg->ah)
		gw_ah_inb_prepare(mb, sa, n, seq32, rc);
	else
		gw_esp_inb_prepare(mb, sa, n, seq32, rc);
	for (i = 0; i < n; i++)
		seq64[i] = seq32[i];
	if (r->alg->ah)
		gw_ah_inb_process(r->peer.ctx, mb, sa, seq64, n, rc, NULL);
	else
		gw_esp_inb_process(r->peer.ctx, mb, sa, seq64, n, rc, NULL);
	for (i = 0; i < n; i++) {
		uint8_t *ip = rte_pktmbuf_mtod(mb[i], uint8_t *);
		uint32_t lan, remote;
		uint16_t lp, rp;
		unsigned pair;

		if (rc[i] != 0 || !b_verify_plain(r, ip, rte_pktmbuf_data_len(mb[i]), false)) {
			if (getenv("BENCH_DEBUG") && s->bad < 3)
				fprintf(stderr, "peer: rc %u (%s), %u bytes: %02x %02x %02x %02x\n", rc[i],
					gw_ipsec_drop_name(rc[i]), rte_pktmbuf_data_len(mb[i]), ip[0], ip[1], ip[2], ip[3]);
			s->bad++;
			rte_pktmbuf_free(mb[i]);
			continue;
		}
		/* The answer goes back under the SA pair of its flow. */
		b_flow_of(r, b_index_of(ip), &lan, &remote, &lp, &rp, &pair);
		b_make_reply(ip);
		sa[k] = r->peer.out[pair];
		ok[k++] = mb[i];
	}
	if (!k)
		return;
	if (r->alg->ah)
		gw_ah_outb(r->peer.ctx, ok, sa, NULL, NULL, k, rc, NULL);
	else
		gw_esp_outb(r->peer.ctx, ok, sa, NULL, NULL, k, rc, NULL);
	n = 0;
	for (i = 0; i < k; i++) {
		if (rc[i] != 0) {
			s->bad++;
			rte_pktmbuf_free(ok[i]);
			continue;
		}
		b_peer_eth(r, (uint8_t *)rte_pktmbuf_prepend(ok[i], RTE_ETHER_HDR_LEN));
		ok[i]->port = r->port_id[B_WAN];
		ok[n++] = ok[i];
	}
	i = (uint16_t)rte_ring_sp_enqueue_burst(r->rx[B_WAN][w], (void **)ok, n, NULL);
	s->injected += i;
	if (i < n)
		rte_pktmbuf_free_bulk(ok + i, n - i);
}

/* ---- drain */

static void drain_port(struct b_run *r, unsigned port, unsigned q)
{
	struct rte_mbuf *mb[DRAIN_BURST], *peer[DRAIN_BURST];
	unsigned w = q < r->n_workers ? q : 0;
	struct b_worker_stats *s = &r->ws[w];
	uint16_t n, i, n_peer = 0;
	enum b_dir dir = r->o->dir;

	n = (uint16_t)rte_ring_sc_dequeue_burst(r->tx[port][q], (void **)mb, DRAIN_BURST, NULL);
	if (!n)
		return;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = mb[i];

		if (!is_ipv4(m)) {
			r->other_frames++;
		} else if (port == B_WAN && (ip_proto(m) == IPPROTO_ESP || ip_proto(m) == IPPROTO_AH)) {
			count_tx(s, m);
			if (dir == B_ROUNDTRIP) {
				peer[n_peer++] = m;
				mb[i] = NULL;
			}
		} else if (port == B_LAN && dir != B_ENCAP) {
			count_tx(s, m);
			s->plain_bytes += rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
			if (dir == B_ROUNDTRIP) {
				if (b_verify_plain(r, rte_pktmbuf_mtod_offset(m, uint8_t *, RTE_ETHER_HDR_LEN),
						   rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN, true))
					s->verified++;
				else
					s->bad++;
			}
		} else {
			r->other_frames++;
		}
	}
	for (i = 0; i < n; i++)
		if (mb[i])
			rte_pktmbuf_free(mb[i]);
	if (n_peer)
		peer_answer(r, w, peer, n_peer);
}

static void drain_all(struct b_run *r)
{
	unsigned p, q;

	for (p = 0; p < B_PORTS; p++)
		for (q = 0; q <= r->n_workers; q++)
			drain_port(r, p, q);
}

/* ---- refill */

/* Fill the RX ring of worker w on its input port; false when the decap pool
 * pass is complete for w (nothing injected). */
static bool refill(struct b_run *r, unsigned w, bool stop_at_wrap)
{
	unsigned port = r->o->dir == B_DECAP ? B_WAN : B_LAN;
	struct rte_ring *rg = r->rx[port][w];
	struct rte_mbuf *mb[REFILL_BURST];
	struct b_worker_stats *s = &r->ws[w];
	unsigned room = rte_ring_free_count(rg), n, i, sent;

	if (room < REFILL_BURST / 4)
		return true;
	/* Round trip: the peer on this lcore is slower than the gateway; new
	 * plaintext only while the gateway's ESP for the peer is not piling up. */
	if (r->o->dir == B_ROUNDTRIP && rte_ring_count(r->tx[B_WAN][w]) > B_TX_RING / 4)
		return true;
	if (rte_ring_count(rg) == 0 && !r->o->inline_src)
		s->underruns++;
	n = room < REFILL_BURST ? room : REFILL_BURST;
	if (r->o->inline_src && n > r->o->burst)
		n = r->o->burst; /* one burst per poll: the ring stays short and hot */
	if (stop_at_wrap && n > r->n_tmpl[w] - r->next_tmpl[w])
		n = r->n_tmpl[w] - r->next_tmpl[w];
	if (n == 0)
		return false;
	if (rte_pktmbuf_alloc_bulk(r->mp, mb, n) != 0)
		return true; /* pool empty for now: the workers hold it */
	for (i = 0; i < n; i++) {
		const struct b_tmpl *t = &r->tmpl[w][r->next_tmpl[w]];

		rte_memcpy(rte_pktmbuf_mtod(mb[i], void *), t->data, t->len);
		mb[i]->data_len = t->len;
		mb[i]->pkt_len = t->len;
		mb[i]->port = r->port_id[port];
		/* Decap stops at the end of the pool: next_pass() starts over. */
		if (++r->next_tmpl[w] == r->n_tmpl[w] && !stop_at_wrap)
			r->next_tmpl[w] = 0;
	}
	sent = rte_ring_sp_enqueue_burst(rg, (void **)mb, n, NULL);
	s->injected += sent;
	if (sent < n)
		rte_pktmbuf_free_bulk(mb + sent, n - sent);
	return true;
}

/* ---- decap passes */

/* Packets the workers have finished with: sent, or dropped for a reason. */
static uint64_t finished(const struct b_run *r)
{
	uint64_t sum = 0;
	unsigned w, k;

	for (w = 0; w < r->n_workers; w++) {
		const struct gw_worker_counters *c = &r->ctl.counters[w];

		sum += r->ws[w].tx;
		sum += __atomic_load_n(&c->c[GW_CTR_IN_DROP], __ATOMIC_RELAXED);
		sum += __atomic_load_n(&c->c[GW_CTR_IN_DROP_ENCRYPTED_EXPECTED], __ATOMIC_RELAXED);
		for (k = GW_CTR_DROP_FIRST; k < GW_CTR_COUNT; k++)
			sum += __atomic_load_n(&c->c[k], __ATOMIC_RELAXED);
		for (k = 0; k < GW_L3_DROP_COUNT; k++)
			sum += __atomic_load_n(&r->dp.l3[w]->stats.drop[k], __ATOMIC_RELAXED);
	}
	return sum;
}

static uint64_t injected(const struct b_run *r)
{
	uint64_t sum = 0;
	unsigned w;

	for (w = 0; w < r->n_workers; w++)
		sum += r->ws[w].injected;
	return sum;
}

static bool rx_empty(const struct b_run *r)
{
	unsigned w;

	for (w = 0; w < r->n_workers; w++)
		if (rte_ring_count(r->rx[B_WAN][w]) != 0)
			return false;
	return true;
}

/*
 * End of a decap pass: wait until the workers have finished every packet
 * of it (or 200 ms: a worker descheduled by a busy host), reset the
 * windows, start over. Returns the cycles the
 * workers spent without input.
 */
static uint64_t next_pass(struct b_run *r)
{
	uint64_t hz = rte_get_tsc_hz(), t_empty, deadline;
	unsigned w;

	while (!rx_empty(r))
		drain_all(r);
	t_empty = rte_rdtsc();
	deadline = t_empty + hz / 5;
	while (finished(r) < injected(r) && rte_rdtsc() < deadline)
		drain_all(r);
	b_reset_windows(r);
	for (w = 0; w < r->n_workers; w++)
		r->next_tmpl[w] = 0;
	r->passes++;
	for (w = 0; w < r->n_workers; w++)
		refill(r, w, true);
	return rte_rdtsc() - t_empty;
}

/* ---- the run */

static void snapshot(struct b_run *r, double dt)
{
	b_print_second(r, dt);
	for (unsigned w = 0; w < r->n_workers; w++) {
		struct b_worker_stats *s = &r->ws[w];

		s->last_rx = s->rx_done;
		s->last_tx = s->tx;
		s->last_bytes = s->tx_bytes;
	}
}

/* Once a second, after the counts were taken: the per-second block, the
 * neighbours refreshed every 20 s (inside the 30 s reachable time: a
 * refresh racing a lookup costs a burst, docs/performance.md), and
 * control's timers. */
static void each_second(struct b_run *r, uint64_t now, uint64_t hz, uint64_t *last_sec, uint64_t *next_sec)
{
	snapshot(r, (double)(now - *last_sec) / (double)hz);
	if (++r->seconds % 20 == 0)
		b_neigh_refresh(r);
	gw_ctl_tick(&r->ctl);
	*last_sec = now;
	*next_sec = now + hz;
}

static void update_rx(struct b_run *r)
{
	unsigned w, p;

	for (w = 0; w < r->n_workers; w++) {
		uint64_t queued = 0;

		for (p = 0; p < B_PORTS; p++)
			queued += rte_ring_count(r->rx[p][w]);
		r->ws[w].rx_done = r->ws[w].injected - queued;
	}
}

/* ---- inline: the source on the worker's own lcore */

/*
 * --inline: one thread does what worker.c's poll_once does (tables, burst
 * begin, rx_burst on each queue, gw_path_rx, fragment expiry, TX flush,
 * quiescent state) and, between polls, the source's refill and drain. The
 * worker never waits for a source on another core, and its thread CPU time
 * is exact on a shared host. With `calibrate`, packets are freed instead of
 * entering the path: the cost of the source alone, reported separately.
 */
static int inline_main(void *arg)
{
	struct b_run *r = arg;
	struct gw_worker *wk = &r->workers[0];
	struct rte_mbuf *pkts[GW_BURST_MAX];
	bool decap = r->o->dir == B_DECAP;
	uint16_t burst = (uint16_t)(r->o->burst > GW_BURST_MAX ? GW_BURST_MAX : r->o->burst);

	gw_rcu_register(wk->rcu, wk->id);
	gw_rcu_online(wk->rcu, wk->id);
	r->inline_cpu = b_cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
	while (!r->stop) {
		const struct gw_tables *t = __atomic_load_n(wk->tables_slot, __ATOMIC_ACQUIRE);
		unsigned i;

		if (!refill(r, 0, decap)) {
			/* Every packet of the pass went through the path already. */
			b_reset_windows(r);
			r->next_tmpl[0] = 0;
			r->passes++;
			refill(r, 0, decap);
		}
		gw_path_begin(wk->path, t);
		for (i = 0; i < wk->n_rx; i++) {
			uint16_t n = rte_eth_rx_burst(wk->ports[i], wk->queues[i], pkts, burst);

			if (!n)
				continue;
			if (r->calibrate) {
				r->ws[0].tx += n;
				rte_pktmbuf_free_bulk(pkts, n);
			} else {
				gw_path_rx(wk->path, pkts, n);
			}
		}
		gw_frag_expire(wk->path->l3);
		gw_l3_tx_flush(wk->path->l3);
		gw_rcu_quiescent(wk->rcu, wk->id);
		drain_all(r);
	}
	r->inline_cpu = b_cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - r->inline_cpu;
	gw_rcu_offline(wk->rcu, wk->id);
	gw_rcu_unregister(wk->rcu, wk->id);
	return 0;
}

/* Seconds of source-only work on the worker lcore: cycles per packet. */
static double calibrate_source(struct b_run *r)
{
	uint64_t hz = rte_get_tsc_hz(), end;
	double cyc;

	r->calibrate = true;
	rte_eal_remote_launch(inline_main, r, r->worker_lcore[0]);
	end = rte_rdtsc() + hz / 2;
	while (rte_rdtsc() < end)
		;
	r->stop = true;
	rte_eal_wait_lcore(r->worker_lcore[0]);
	r->stop = false;
	r->calibrate = false;
	cyc = r->ws[0].tx ? r->inline_cpu * (double)hz / (double)r->ws[0].tx : 0;
	/* Start the real run from zero (and from the start of the decap pool). */
	drain_all(r);
	rte_ring_reset(r->rx[B_LAN][0]);
	rte_ring_reset(r->rx[B_WAN][0]);
	memset(&r->ws[0], 0, sizeof(r->ws[0]));
	r->next_tmpl[0] = 0;
	r->passes = 0;
	b_reset_windows(r);
	return cyc;
}

static int run_inline(struct b_run *r)
{
	uint64_t hz = rte_get_tsc_hz(), start, end, now, next_poll, next_sec, last_sec;

	if (r->n_workers != 1 || r->o->dir == B_ROUNDTRIP) {
		fprintf(stderr, "ipsecgw-bench: --inline: one worker, encap or decap\n");
		return -1;
	}
	r->source_cycles = calibrate_source(r);
	if (rte_eal_remote_launch(inline_main, r, r->worker_lcore[0]) != 0)
		return -1;
	start = rte_rdtsc();
	end = start + (uint64_t)(r->o->duration * (double)hz);
	next_poll = start + hz / 1000;
	next_sec = start + hz;
	last_sec = start;
	while ((now = rte_rdtsc()) < end) {
		if (now >= next_poll) {
			gw_ctl_poll(&r->ctl);
			next_poll = now + hz / 1000;
		}
		if (now >= next_sec) {
			update_rx(r);
			each_second(r, now, hz, &last_sec, &next_sec);
		}
	}
	r->stop = true;
	rte_eal_wait_lcore(r->worker_lcore[0]);
	r->elapsed = (double)(rte_rdtsc() - start) / (double)hz;
	r->worker_cpu[0] = r->inline_cpu;
	update_rx(r);
	gw_ctl_poll(&r->ctl);
	r->stop = false;
	return 0;
}

/* ---- --pcap: net_pcap in, net_null out, the worker alone on its lcore */

/*
 * Decap from a replayed file: packet k of the port is record k mod N of the
 * file, whose sequence numbers run 1..N. Where a pass ends, the rest of
 * the burst waits until the gateway's replay windows are reset, so no
 * packet of the next pass is taken for a replay. Otherwise the same steps
 * as worker.c poll_once.
 */
static void pcap_decap_rx(struct b_run *r, struct gw_worker *wk, struct rte_mbuf **pkts, uint16_t n,
			  uint64_t *pos)
{
	while (n) {
		uint64_t left = r->pcap_packets - *pos;
		uint16_t k = left < n ? (uint16_t)left : n;

		gw_path_rx(wk->path, pkts, k);
		pkts += k;
		n = (uint16_t)(n - k);
		*pos += k;
		if (*pos == r->pcap_packets) {
			b_reset_windows(r);
			r->passes++;
			*pos = 0;
		}
	}
}

static int pcap_decap_main(void *arg)
{
	struct b_run *r = arg;
	struct gw_worker *wk = &r->workers[0];
	struct rte_mbuf *pkts[GW_BURST_MAX];
	uint16_t burst = (uint16_t)(r->o->burst > GW_BURST_MAX ? GW_BURST_MAX : r->o->burst);
	uint16_t wan = r->port_id[B_WAN];
	uint64_t pos = 0;

	gw_rcu_register(wk->rcu, wk->id);
	gw_rcu_online(wk->rcu, wk->id);
	while (!r->stop) {
		const struct gw_tables *t = __atomic_load_n(wk->tables_slot, __ATOMIC_ACQUIRE);
		unsigned i;

		gw_path_begin(wk->path, t);
		for (i = 0; i < wk->n_rx; i++) {
			uint16_t n = rte_eth_rx_burst(wk->ports[i], wk->queues[i], pkts, burst);

			if (!n)
				continue;
			if (wk->ports[i] == wan)
				pcap_decap_rx(r, wk, pkts, n, &pos);
			else
				gw_path_rx(wk->path, pkts, n);
		}
		gw_frag_expire(wk->path->l3);
		gw_l3_tx_flush(wk->path->l3);
		gw_rcu_quiescent(wk->rcu, wk->id);
	}
	gw_rcu_offline(wk->rcu, wk->id);
	gw_rcu_unregister(wk->rcu, wk->id);
	return 0;
}

/* Packets in on the input port, out on the output port (the PMDs' counts). */
static void pcap_count(struct b_run *r)
{
	unsigned in = r->o->dir == B_DECAP ? B_WAN : B_LAN;
	struct rte_eth_stats si, so;

	if (rte_eth_stats_get(r->port_id[in], &si) != 0 || rte_eth_stats_get(r->port_id[1 - in], &so) != 0)
		return;
	r->ws[0].rx_done = si.ipackets;
	r->ws[0].injected = si.ipackets;
	r->ws[0].tx = so.opackets;
	r->ws[0].tx_bytes = so.obytes;
	if (r->o->dir != B_DECAP)
		r->passes = si.ipackets / r->pcap_packets;
}

/*
 * One worker on the pcap port: encap runs the daemon's own loop
 * (gw_worker_main), decap the loop above. The main lcore plays control
 * (gw_ctl_poll every ms, gw_ctl_tick every s) and sleeps in between: no
 * busy thread besides the worker. Rates are the PMDs' packet counts over
 * the worker thread's CPU time and over the wall clock.
 */
static int pcap_run(struct b_run *r)
{
	uint64_t hz = rte_get_tsc_hz(), start, end, now, next_sec, last_sec;
	bool decap = r->o->dir == B_DECAP;
	double cpu0;

	if (r->n_workers != 1 || r->o->inline_src || r->o->dir == B_ROUNDTRIP) {
		fprintf(stderr, "ipsecgw-bench: --pcap: one worker, encap or decap, no --inline\n");
		return -1;
	}
	for (unsigned p = 0; p < B_PORTS; p++)
		rte_eth_stats_reset(r->port_id[p]);
	cpu0 = b_cpu_seconds(r->worker_clock[0]);
	if (rte_eal_remote_launch(decap ? pcap_decap_main : gw_worker_main, decap ? (void *)r : (void *)&r->workers[0],
				  r->worker_lcore[0]) != 0)
		return -1;
	start = last_sec = rte_rdtsc();
	end = start + (uint64_t)(r->o->duration * (double)hz);
	next_sec = start + hz;
	while ((now = rte_rdtsc()) < end) {
		rte_delay_us_sleep(1000);
		gw_ctl_poll(&r->ctl);
		if (now >= next_sec) {
			pcap_count(r);
			each_second(r, now, hz, &last_sec, &next_sec);
		}
	}
	/* Counts and CPU time at the same instant, then stop. */
	pcap_count(r);
	r->worker_cpu[0] = b_cpu_seconds(r->worker_clock[0]) - cpu0;
	r->elapsed = (double)(rte_rdtsc() - start) / (double)hz;
	r->stop = true;
	rte_eal_wait_lcore(r->worker_lcore[0]);
	gw_ctl_poll(&r->ctl);
	r->stop = false;
	return 0;
}

int b_run_traffic(struct b_run *r)
{
	uint64_t hz = rte_get_tsc_hz(), start, end, now, next_poll, next_sec, last_sec, paused = 0;
	bool decap = r->o->dir == B_DECAP;
	double cpu0[B_MAX_WORKERS];
	unsigned w;

	if (r->o->pcap)
		return pcap_run(r);
	if (r->o->inline_src)
		return run_inline(r);
	for (w = 0; w < r->n_workers; w++) {
		cpu0[w] = b_cpu_seconds(r->worker_clock[w]);
		if (rte_eal_remote_launch(gw_worker_main, &r->workers[w], r->worker_lcore[w]) != 0)
			return -1;
	}
	for (w = 0; w < r->n_workers; w++)
		refill(r, w, decap);
	start = rte_rdtsc();
	end = start + (uint64_t)(r->o->duration * (double)hz);
	next_poll = start + hz / 1000;
	next_sec = last_sec = start + hz;
	last_sec = start;
	while ((now = rte_rdtsc()) < end) {
		bool pass_done = decap;

		drain_all(r);
		for (w = 0; w < r->n_workers; w++)
			pass_done &= !refill(r, w, decap);
		if (decap && pass_done)
			paused += next_pass(r);
		if (now >= next_poll) {
			gw_ctl_poll(&r->ctl);
			next_poll = now + hz / 1000;
		}
		if (now >= next_sec) {
			update_rx(r);
			each_second(r, now, hz, &last_sec, &next_sec);
		}
	}
	update_rx(r);
	r->elapsed = (double)(rte_rdtsc() - start) / (double)hz;
	r->paused = (double)paused / (double)hz;
	for (w = 0; w < r->n_workers; w++)
		r->worker_cpu[w] = b_cpu_seconds(r->worker_clock[w]) - cpu0[w];
	r->stop = true;
	rte_eal_mp_wait_lcore();
	/* What the workers sent before they stopped still counts. */
	drain_all(r);
	update_rx(r);
	gw_ctl_poll(&r->ctl);
	r->stop = false;
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker poll loop: receive a burst on each assigned queue, run it
 * through the packet path (path.c), send what control queued for this
 * worker, flush the TX bins, report a quiescent state.
 */
#include <errno.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "log.h"
#include "path.h"
#include "worker.h"

int gw_worker_add_rx(struct gw_worker *w, uint16_t port, uint16_t queue)
{
	if (w->n_rx >= GW_WORKER_MAX_RX)
		return -ENOSPC;
	w->ports[w->n_rx] = port;
	w->queues[w->n_rx] = queue;
	w->n_rx++;
	return 0;
}

/* One burst through the packet path, with the tables of this iteration. */
static void process_burst(struct gw_worker *w, const struct gw_tables *t,
			  struct rte_mbuf **pkts, uint16_t n)
{
	if (unlikely(!w->path || !t->fib)) {
		gw_count(w->counters, GW_CTR_DROP_RX_OTHER, n);
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	gw_path_rx(w->path, pkts, n);
}

/* Frames from control (ARP, IKE) leave on this worker's TX queue, so no
 * TX queue is ever shared between threads. */
static unsigned drain_ctl_tx(struct gw_worker *w)
{
	struct rte_mbuf *m[32];
	unsigned i, n;

	if (!w->ctl_tx || !w->path)
		return 0;
	n = rte_ring_sc_dequeue_burst(w->ctl_tx, (void **)m, RTE_DIM(m), NULL);
	for (i = 0; i < n; i++)
		gw_l3_tx_enqueue(w->path->l3, m[i]->port, m[i]);
	return n;
}

/* Poll every assigned queue once; returns the packets received. */
static unsigned poll_once(struct gw_worker *w, uint16_t burst)
{
	struct rte_mbuf *pkts[GW_BURST_MAX];
	/* Acquire pairs with gw_rcu_publish's release (typed: no void ** cast). */
	const struct gw_tables *t = __atomic_load_n(w->tables_slot, __ATOMIC_ACQUIRE);
	unsigned i, total = 0;

	if (w->path && t->fib)
		gw_path_begin(w->path, t);
	for (i = 0; i < w->n_rx; i++) {
		uint16_t n = rte_eth_rx_burst(w->ports[i], w->queues[i], pkts, burst);

		if (n) {
			process_burst(w, t, pkts, n);
			total += n;
		}
	}
	total += drain_ctl_tx(w);
	if (w->path && t->fib) {
		gw_frag_expire(w->path->l3);
		gw_l3_tx_flush(w->path->l3);
	}
	return total;
}

/* Offline around the sleep: a sleeping worker holds no table pointer, and
 * control's grace periods must not wait for it. */
static void idle_sleep(struct gw_worker *w)
{
	struct timespec ts = {w->idle_sleep_us / 1000000u, (long)(w->idle_sleep_us % 1000000u) * 1000L};

	gw_rcu_offline(w->rcu, w->id);
	nanosleep(&ts, NULL);
	gw_rcu_online(w->rcu, w->id);
}

static uint16_t burst_size(const struct gw_worker *w)
{
	if (w->burst == 0)
		return 32;
	return (uint16_t)(w->burst > GW_BURST_MAX ? GW_BURST_MAX : w->burst);
}

static void poll_loop(struct gw_worker *w)
{
	uint16_t burst = burst_size(w);
	unsigned empty = 0;

	while (!*w->stop) {
		unsigned n = poll_once(w, burst);

		gw_rcu_quiescent(w->rcu, w->id);
		if (n) {
			empty = 0;
		} else if (empty < GW_IDLE_POLLS) {
			empty++;
		} else if (w->idle_sleep_us) {
			idle_sleep(w);
		}
	}
}

int gw_worker_main(void *arg)
{
	struct gw_worker *w = arg;

	if (!w || !w->rcu || !w->tables_slot || !w->stop || !w->counters ||
	    w->id >= GW_MAX_WORKERS || gw_rcu_register(w->rcu, w->id) != 0) {
		/* An id past GW_MAX_WORKERS would write beyond the per-policy
		 * counter slots: refuse rather than corrupt them. */
		gw_log(GW_LOG_ERR, "dataplane", "worker %u: incomplete setup or id >= %u, not started",
		       w ? w->id : 0, GW_MAX_WORKERS);
		return -EINVAL;
	}
	gw_log(GW_LOG_INFO, "dataplane", "worker %u: lcore %u, %u rx queues", w->id, w->lcore_id,
	       w->n_rx);
	gw_rcu_online(w->rcu, w->id);
	poll_loop(w);
	gw_rcu_offline(w->rcu, w->id);
	gw_rcu_unregister(w->rcu, w->id);
	gw_log(GW_LOG_INFO, "dataplane", "worker %u: stopped", w->id);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker lcore's poll loop: RX bursts from its (port, queue) pairs, the
 * packet path over each burst, a quiescent state per iteration, and a short
 * offline sleep when idle (dataplane.idle-sleep-us) so that gateways, peers
 * and tests share a small machine. Control fills the struct before launch
 * and sets *stop to end the loop.
 */
#ifndef IPSECGW_WORKER_H
#define IPSECGW_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "rcu.h"
#include "tables.h"

#define GW_WORKER_MAX_RX 64 /* (port, queue) pairs per worker */
#define GW_BURST_MAX 256    /* dataplane.burst-size is clamped to this */
/* Consecutive empty iterations before the worker starts sleeping: long
 * enough that a busy link never sleeps between bursts. */
#define GW_IDLE_POLLS 1024

struct gw_path;
struct rte_ring;

struct gw_worker {
	unsigned id;       /* 0..n_workers-1 (< GW_MAX_WORKERS): RCU id, counter slot */
	unsigned lcore_id; /* EAL lcore it runs on */
	uint16_t ports[GW_WORKER_MAX_RX], queues[GW_WORKER_MAX_RX];
	uint16_t n_rx;
	uint16_t tx_queue; /* this worker's TX queue on every port */
	struct gw_rcu *rcu;
	struct gw_tables *const *tables_slot; /* published by control */
	volatile bool *stop;
	uint32_t idle_sleep_us; /* 0 = busy poll (benchmarks) */
	uint32_t burst;         /* RX burst size, 1..GW_BURST_MAX */
	struct gw_worker_counters *counters; /* this worker's own block */
	struct gw_path *path;   /* the packet path's per-worker state */
	struct rte_ring *ctl_tx; /* frames control wants sent (m->port set) */
};

/* Assign one RX queue; 0, or -ENOSPC when GW_WORKER_MAX_RX are taken. */
int gw_worker_add_rx(struct gw_worker *w, uint16_t port, uint16_t queue);

/* lcore_function_t: arg is a struct gw_worker. Registers with RCU, polls
 * until *stop, unregisters; returns 0, or -EINVAL if the struct is unusable. */
int gw_worker_main(void *arg);

#endif

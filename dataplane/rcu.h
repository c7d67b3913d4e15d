/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publishing immutable tables to the workers: a thin layer over DPDK's
 * quiescent-state-based RCU (rte_rcu_qsbr).
 *
 * Workers (readers) load a published pointer with gw_rcu_read once per
 * burst and report a quiescent state once per poll-loop iteration, after
 * they stopped using what they read. Control (the only writer) swaps the
 * pointer with gw_rcu_publish, which returns the old one once every online
 * worker has passed a quiescent state, i.e. when nobody can still hold it.
 * A worker that is about to block or sleep goes offline first, so it never
 * delays control; going online again re-reads the pointer afterwards.
 *
 * The QSBR variable lives in ordinary memory (no rte_malloc): it needs no
 * EAL, so unit tests use it from plain pthreads.
 */
#ifndef IPSECGW_RCU_H
#define IPSECGW_RCU_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>

struct gw_rcu {
	struct rte_rcu_qsbr *qsv;
	unsigned n_workers;
	uint64_t slow_waits; /* grace periods that needed to sleep (stats) */
};

/* For worker ids 0..n_workers-1; NULL on allocation failure. */
struct gw_rcu *gw_rcu_create(unsigned n_workers);
void gw_rcu_free(struct gw_rcu *r);

/* Make a worker id known to grace periods (it starts offline); 0 or -errno. */
int gw_rcu_register(struct gw_rcu *r, unsigned worker);
int gw_rcu_unregister(struct gw_rcu *r, unsigned worker);

/* Worker side: cheap, inline, lock-free. */
static inline void gw_rcu_online(struct gw_rcu *r, unsigned worker)
{
	rte_rcu_qsbr_thread_online(r->qsv, worker);
}

static inline void gw_rcu_offline(struct gw_rcu *r, unsigned worker)
{
	rte_rcu_qsbr_thread_offline(r->qsv, worker);
}

/* "I hold no pointer read before this call." */
static inline void gw_rcu_quiescent(struct gw_rcu *r, unsigned worker)
{
	rte_rcu_qsbr_quiescent(r->qsv, worker);
}

/* The acquire pairs with the release in gw_rcu_publish: the object's
 * contents, written before publishing, are visible through the pointer. */
static inline void *gw_rcu_read(void *const *slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

/*
 * Control side. Store `new_ptr` into *slot (release), wait for a grace
 * period and return the previous pointer, which no worker can reach any
 * more: free it. Blocks until then, sleeping between checks; a worker that
 * stays online without reporting is logged every second (a bug: the old
 * object can never be freed safely while it might be in use).
 */
void *gw_rcu_publish(struct gw_rcu *r, void **slot, void *new_ptr);

/* Wait for one grace period (for objects unlinked by other means). */
void gw_rcu_synchronize(struct gw_rcu *r);

/* Non-blocking form, for deferred frees from timers: take a token now,
 * poll it later; true once every worker passed a quiescent state since. */
uint64_t gw_rcu_start(struct gw_rcu *r);
bool gw_rcu_poll(struct gw_rcu *r, uint64_t token);

#endif

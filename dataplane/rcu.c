/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_rcu_qsbr on plain memory, with a grace-period wait that sleeps
 * instead of spinning: on a 2-core machine a spinning control thread would
 * take the very CPU a worker needs to reach its quiescent state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_pause.h>

#include "log.h"
#include "rcu.h"

/* Spin this many checks first: with busy workers a grace period is one
 * burst (microseconds), cheaper to wait out than a sleep. */
#define RCU_SPIN_CHECKS 256
#define RCU_SLEEP_NS 20000L
#define RCU_WARN_NS 1000000000LL

struct gw_rcu *gw_rcu_create(unsigned n_workers)
{
	/* rte_rcu_qsbr wants at least one thread slot; a gateway without
	 * workers then simply never waits. */
	unsigned n = n_workers ? n_workers : 1;
	ssize_t size = rte_rcu_qsbr_get_memsize(n);
	struct gw_rcu *r;
	void *mem;

	if (size <= 0)
		return NULL;
	r = calloc(1, sizeof(*r));
	/* rte_rcu_qsbr_init requires cache-line alignment. */
	if (!r || posix_memalign(&mem, RTE_CACHE_LINE_SIZE,
				 RTE_ALIGN_CEIL((size_t)size, RTE_CACHE_LINE_SIZE)) != 0) {
		free(r);
		return NULL;
	}
	r->qsv = mem;
	r->n_workers = n;
	if (rte_rcu_qsbr_init(r->qsv, n) != 0) {
		gw_rcu_free(r);
		return NULL;
	}
	return r;
}

void gw_rcu_free(struct gw_rcu *r)
{
	if (!r)
		return;
	free(r->qsv);
	free(r);
}

int gw_rcu_register(struct gw_rcu *r, unsigned worker)
{
	if (worker >= r->n_workers)
		return -EINVAL;
	return rte_rcu_qsbr_thread_register(r->qsv, worker) == 0 ? 0 : -EINVAL;
}

int gw_rcu_unregister(struct gw_rcu *r, unsigned worker)
{
	if (worker >= r->n_workers)
		return -EINVAL;
	return rte_rcu_qsbr_thread_unregister(r->qsv, worker) == 0 ? 0 : -EINVAL;
}

uint64_t gw_rcu_start(struct gw_rcu *r)
{
	return rte_rcu_qsbr_start(r->qsv);
}

bool gw_rcu_poll(struct gw_rcu *r, uint64_t token)
{
	return rte_rcu_qsbr_check(r->qsv, token, false) == 1;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ns(long ns)
{
	struct timespec ts = {0, ns};

	nanosleep(&ts, NULL);
}

/* Sleep between checks after a short spin; never give up: returning before
 * the grace period ends would let the caller free memory a worker reads. */
static void wait_token(struct gw_rcu *r, uint64_t token)
{
	int64_t start = 0, next_warn = 0;
	unsigned spins = 0;

	while (!gw_rcu_poll(r, token)) {
		if (spins++ < RCU_SPIN_CHECKS) {
			rte_pause();
			continue;
		}
		if (start == 0) {
			start = now_ns();
			next_warn = start + RCU_WARN_NS;
			r->slow_waits++;
		}
		sleep_ns(RCU_SLEEP_NS);
		if (now_ns() >= next_warn) {
			gw_log(GW_LOG_WARNING, "dataplane",
			       "rcu: grace period waiting for %lld s: a worker is online "
			       "but not reporting quiescent states",
			       (long long)((next_warn - start) / 1000000000LL));
			next_warn += RCU_WARN_NS;
		}
	}
}

void gw_rcu_synchronize(struct gw_rcu *r)
{
	wait_token(r, gw_rcu_start(r));
}

void *gw_rcu_publish(struct gw_rcu *r, void **slot, void *new_ptr)
{
	/* Release: everything written into *new_ptr is visible to a worker
	 * that acquires the pointer. The token is taken after the store, so a
	 * worker that reports it has finished any iteration that could have
	 * read the old pointer. */
	void *old = __atomic_exchange_n(slot, new_ptr, __ATOMIC_ACQ_REL);

	gw_rcu_synchronize(r);
	return old;
}

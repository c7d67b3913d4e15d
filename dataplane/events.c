/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker -> control event ring (events.h): creation on ordinary memory
 * and the control thread's side.
 */
#include <stdlib.h>
#include <string.h>

#include "events.h"

struct gw_events *gw_events_create(const char *name, unsigned int capacity)
{
	struct gw_events *q;
	ssize_t size;
	void *mem;

	if (capacity == 0 || capacity > RTE_RING_SZ_MASK)
		return NULL;
	/* RING_F_EXACT_SZ: the ring holds exactly `capacity`, on a power of
	 * two of slots above it (what rte_ring_create_elem would allocate). */
	size = rte_ring_get_memsize_elem(sizeof(struct gw_event), rte_align32pow2(capacity + 1));
	if (size < 0)
		return NULL;
	q = gw_dp_zalloc(sizeof(*q));
	if (!q)
		return NULL;
	if (posix_memalign(&mem, RTE_CACHE_LINE_SIZE, (size_t)size) != 0)
		goto fail;
	q->ring = mem;
	if (rte_ring_init(q->ring, name, capacity, RING_F_SC_DEQ | RING_F_EXACT_SZ) != 0)
		goto fail;
	return q;
fail:
	gw_events_free(q);
	return NULL;
}

void gw_events_free(struct gw_events *q)
{
	if (!q)
		return;
	free(q->ring);
	free(q);
}

unsigned int gw_events_drain(struct gw_events *q, struct gw_event *out, unsigned int max)
{
	return rte_ring_sc_dequeue_burst_elem(q->ring, out, sizeof(*out), max, NULL);
}

uint64_t gw_events_lost(const struct gw_events *q, enum gw_event_type t)
{
	return __atomic_load_n(&q->lost[t], __ATOMIC_RELAXED);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Events from the workers to the control thread: SA EXPIRE (soft / hard)
 * and ACQUIRE (a packet matched an encrypt policy that has no usable SA),
 * the two kernel-to-IKE messages of RFC 2367 (SADB_EXPIRE, SADB_ACQUIRE).
 *
 * A multi-producer / single-consumer rte_ring of fixed-size records stored
 * by value (no allocation per event). Workers never block: when the ring is
 * full the event is dropped and counted per type. Control drains it on
 * every loop iteration.
 *
 * An event names its SA by identity, never by pointer: the SA may be
 * retired and freed (after an RCU grace period that the posting worker has
 * long left) before control reads the event. And an event is only a
 * prompt: the SA's state (lifetime.h) is the truth, so control can also
 * find dying and dead SAs on its tick if an EXPIRE was lost.
 */
#ifndef IPSECGW_EVENTS_H
#define IPSECGW_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "lifetime.h"
#include "sa.h"

enum gw_event_type {
	GW_EV_EXPIRE_SOFT = 0,
	GW_EV_EXPIRE_HARD,
	GW_EV_ACQUIRE,
	GW_EV_TYPE_COUNT
};

/* The packet that triggered an ACQUIRE: its selector, host byte order. */
struct gw_ev_acquire {
	uint32_t policy_uid;
	uint32_t src, dst;
	uint16_t sport, dport; /* 0 for protocols without ports */
	uint8_t proto;
};

struct gw_event {
	uint8_t type; /* enum gw_event_type */
	union {
		struct gw_sa_id sa;          /* EXPIRE: (spi, src, dst, proto, dir) */
		struct gw_ev_acquire acquire;
	};
};
/* rte_ring element sizes are multiples of 4 bytes. */
_Static_assert(sizeof(struct gw_event) % 4 == 0, "gw_event size");

struct gw_events {
	struct rte_ring *ring;
	/* Events dropped because the ring was full; any worker adds. */
	uint64_t lost[GW_EV_TYPE_COUNT] __rte_cache_aligned;
};

/*
 * A ring for `capacity` events (exactly), on plain posix_memalign memory
 * with rte_ring_init: no EAL, no hugepages, so the unit tests use it too.
 * NULL on failure (bad capacity, no memory).
 */
struct gw_events *gw_events_create(const char *name, unsigned int capacity);
void gw_events_free(struct gw_events *q);

/* Control: take up to max events, oldest first; returns how many. */
unsigned int gw_events_drain(struct gw_events *q, struct gw_event *out, unsigned int max);
/* Events lost since creation, of one type. */
uint64_t gw_events_lost(const struct gw_events *q, enum gw_event_type t);

/* Worker: post an event without blocking. False (and counted) if full. */
static inline bool gw_event_post(struct gw_events *q, const struct gw_event *ev)
{
	if (likely(rte_ring_mp_enqueue_elem(q->ring, (void *)(uintptr_t)ev, sizeof(*ev)) == 0))
		return true;
	__atomic_fetch_add(&q->lost[ev->type], 1, __ATOMIC_RELAXED);
	return false;
}

static inline bool gw_event_post_expire(struct gw_events *q, const struct gw_sa *sa, bool hard)
{
	struct gw_event ev = { .type = hard ? GW_EV_EXPIRE_HARD : GW_EV_EXPIRE_SOFT };

	ev.sa = sa->id;
	return gw_event_post(q, &ev);
}

/* Post the EXPIRE that a packet-path verdict asks for, if any. */
static inline void gw_event_post_life(struct gw_events *q, const struct gw_sa *sa,
				      enum gw_life r)
{
	enum gw_expire e = gw_life_expire(r);

	if (unlikely(e != GW_EXPIRE_NONE))
		gw_event_post_expire(q, sa, e == GW_EXPIRE_HARD);
}

static inline bool gw_event_post_acquire(struct gw_events *q, const struct gw_ev_acquire *a)
{
	struct gw_event ev = { .type = GW_EV_ACQUIRE };

	ev.acquire = *a;
	return gw_event_post(q, &ev);
}

/*
 * ACQUIRE rate limit: at most one per policy per second (hz = TSC ticks per
 * second). *last_tsc is the policy's shared timestamp of the last ACQUIRE
 * (0 = never); of the workers that find it a second old, only the one whose
 * CAS moves it to now_tsc sends. Stores at least 1, so "never" stays
 * distinguishable.
 */
static inline bool gw_acquire_should_send(uint64_t *last_tsc, uint64_t now_tsc, uint64_t hz)
{
	uint64_t last = __atomic_load_n(last_tsc, __ATOMIC_RELAXED);
	uint64_t stamp = now_tsc ? now_tsc : 1;

	/* now_tsc < last: another core's (slightly ahead) TSC just sent. */
	if (last != 0 && (now_tsc < last || now_tsc - last < hz))
		return false;
	return __atomic_compare_exchange_n(last_tsc, &last, stamp, false, __ATOMIC_RELAXED,
					   __ATOMIC_RELAXED);
}

#endif

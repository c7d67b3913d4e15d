/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SA lifetimes and lifebytes, and the state machine they drive:
 *
 *   larval -> mature -> dying (soft limit) -> dead (hard limit)
 *
 * States only move forward, each by one compare-and-swap, so of all the
 * workers and the control thread that see a limit crossed, exactly one
 * wins the transition and reports it (an EXPIRE event, events.h).
 *
 * The seed's limits (installed-sa):
 *  add-lifetime soft/hard  from current-addtime (sa->add_time);
 *  use-lifetime soft/hard  from current-usetime (sa->hot.first_use, set by
 *                          the first accounted packet);
 *  lifebytes soft/hard     on current-bytes (sa->hot.bytes), "the amount
 *                          of data processed by this SA's crypto
 *                          algorithms": see gw_life_esp_bytes and
 *                          gw_life_ah_bytes for exactly which bytes.
 * 0 means no limit. Times are wall-clock seconds (time_t), like
 * current-addtime.
 *
 * Packet path: gw_sa_account (or _burst) on every packet, after the
 * outbound sequence number was taken, or inbound after the ICV and
 * gw_replay_update accepted it: forged and replayed packets never age an
 * SA. It refuses packets once the hard lifebytes would be exceeded (exact,
 * with any number of workers) or the hard deadline has passed. Control
 * thread: gw_sa_check_time once a second, for the time limits.
 */
#ifndef IPSECGW_LIFETIME_H
#define IPSECGW_LIFETIME_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

#include "sa.h"

/* Packet-path verdict. */
enum gw_life {
	GW_LIFE_OK = 0,       /* process the packet */
	GW_LIFE_SOFT_CROSSED, /* process it; this caller moved the SA to dying:
			       * post EXPIRE soft */
	GW_LIFE_HARD,         /* drop it: the SA is dead */
	GW_LIFE_HARD_CROSSED, /* drop it; this caller moved the SA to dead:
			       * post EXPIRE hard */
};

/* Control-thread verdict: the crossing this call reported, at most once
 * per SA and level. */
enum gw_expire {
	GW_EXPIRE_NONE = 0,
	GW_EXPIRE_SOFT,
	GW_EXPIRE_HARD,
};

static inline bool gw_life_drop(enum gw_life r)
{
	return r >= GW_LIFE_HARD;
}

/* The EXPIRE a packet-path verdict asks for, if any. */
static inline enum gw_expire gw_life_expire(enum gw_life r)
{
	if (r == GW_LIFE_SOFT_CROSSED)
		return GW_EXPIRE_SOFT;
	if (r == GW_LIFE_HARD_CROSSED)
		return GW_EXPIRE_HARD;
	return GW_EXPIRE_NONE;
}

/* ---- state machine */

/* Move the SA forward to `to` unless it is there or further already.
 * True only for the one caller that made the move. */
static inline bool gw_sa_advance(struct gw_sa *sa, enum gw_sa_state to)
{
	uint32_t s = __atomic_load_n(&sa->hot.state, __ATOMIC_RELAXED);

	while (s < (uint32_t)to)
		if (__atomic_compare_exchange_n(&sa->hot.state, &s, (uint32_t)to, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return true;
	return false;
}

/* larval -> mature: keys installed, the SA may carry traffic (control). */
static inline bool gw_sa_make_mature(struct gw_sa *sa)
{
	return gw_sa_advance(sa, GW_SA_MATURE);
}

/* A soft limit: -> dying. IKE negotiates a replacement; the SA still works. */
static inline bool gw_sa_expire_soft(struct gw_sa *sa)
{
	return gw_sa_advance(sa, GW_SA_DYING);
}

/* A hard limit: -> dead. No packet is processed with it any more. */
static inline bool gw_sa_expire_hard(struct gw_sa *sa)
{
	return gw_sa_advance(sa, GW_SA_DEAD);
}

/* ---- which bytes count */

/*
 * ESP: the bytes the cipher processes, i.e. the encrypted part of the
 * packet (RFC 4303 2.3-2.6: Payload Data, Padding, Pad Length, Next
 * Header), without ESP header, IV and ICV. The same number on both ends
 * and in both directions: the out SA of one peer and the in SA of the
 * other count the same bytes. esp_len runs from the ESP header to the end
 * of the ICV (the IP payload, or the UDP payload with NAT-T).
 */
static inline uint32_t gw_life_esp_bytes(uint32_t esp_len, uint32_t iv_len, uint32_t icv_len)
{
	uint32_t hdr = 8 + iv_len + icv_len; /* SPI + sequence number */

	return esp_len > hdr ? esp_len - hdr : 0;
}

/* AH: the bytes the ICV covers, RFC 4302 3.3.3: the whole IP packet as
 * sent or received (outer header, AH header with its ICV field, payload). */
static inline uint32_t gw_life_ah_bytes(uint32_t ip_total_len)
{
	return ip_total_len;
}

/* ---- deadlines */

static inline int64_t gw_life_deadline(int64_t from, gw_seconds len)
{
	if (len == 0)
		return INT64_MAX;
	if (len > (uint64_t)(INT64_MAX - from))
		return INT64_MAX;
	return from + (int64_t)len;
}

/*
 * The earliest second at which a hard time limit ends the SA: add-lifetime
 * from installation, use-lifetime from first use (none before it).
 * INT64_MAX if none. Computed from read-only parameters and first_use,
 * which sit in cache lines the packet path reads anyway.
 */
static inline int64_t gw_sa_hard_deadline(const struct gw_sa *sa)
{
	int64_t d = gw_life_deadline((int64_t)sa->add_time, sa->p.add_hard);
	int64_t fu;

	if (sa->p.use_hard == 0)
		return d;
	fu = __atomic_load_n(&sa->hot.first_use, __ATOMIC_RELAXED);
	return fu == 0 ? d : RTE_MIN(d, gw_life_deadline(fu, sa->p.use_hard));
}

/* The same for the soft limits. */
static inline int64_t gw_sa_soft_deadline(const struct gw_sa *sa)
{
	int64_t d = gw_life_deadline((int64_t)sa->add_time, sa->p.add_soft);
	int64_t fu;

	if (sa->p.use_soft == 0)
		return d;
	fu = __atomic_load_n(&sa->hot.first_use, __ATOMIC_RELAXED);
	return fu == 0 ? d : RTE_MIN(d, gw_life_deadline(fu, sa->p.use_soft));
}

/* ---- packet path */

/* How many of len[0..n) fit from current-bytes `cur` under `hard`, and
 * their sum in *add. Packets are taken in order: the first that does not
 * fit ends the run. */
static inline uint32_t gw_life_fit(const uint32_t *len, uint32_t n, uint64_t cur, uint64_t hard,
				   uint64_t total, uint64_t *add)
{
	uint64_t room = hard > cur ? hard - cur : 0;
	uint32_t k;

	if (likely(total <= room)) {
		*add = total;
		return n;
	}
	for (*add = 0, k = 0; k < n && *add + len[k] <= room; k++)
		*add += len[k];
	return k;
}

/*
 * Add the bytes of the packets that fit to current-bytes; returns the
 * previous value. Without a hard limit, one fetch-add; with one, a CAS
 * loop, so that the sum never passes the limit whatever the other workers
 * do (a fetch-add-then-undo would briefly overshoot and could refuse a
 * packet that fits).
 */
static inline uint64_t gw_life_add_bytes(struct gw_sa *sa, const uint32_t *len, uint32_t n,
					 uint64_t total, uint32_t *n_ok, uint64_t *add)
{
	uint64_t hard = sa->p.lifebytes_hard;
	uint64_t cur;

	if (hard == 0) {
		*n_ok = n;
		*add = total;
		return __atomic_fetch_add(&sa->hot.bytes, total, __ATOMIC_RELAXED);
	}
	cur = __atomic_load_n(&sa->hot.bytes, __ATOMIC_RELAXED);
	do {
		*n_ok = gw_life_fit(len, n, cur, hard, total, add);
		if (*add == 0)
			break;
	} while (!__atomic_compare_exchange_n(&sa->hot.bytes, &cur, cur + *add, true,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return cur;
}

/* current-usetime: the first accounted packet sets it, once (CAS from 0). */
static inline void gw_life_first_use(struct gw_sa *sa, int64_t now)
{
	int64_t zero = 0;

	if (unlikely(__atomic_load_n(&sa->hot.first_use, __ATOMIC_RELAXED) == 0))
		__atomic_compare_exchange_n(&sa->hot.first_use, &zero, now, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static inline enum gw_life gw_life_refuse(struct gw_sa *sa)
{
	return gw_sa_expire_hard(sa) ? GW_LIFE_HARD_CROSSED : GW_LIFE_HARD;
}

/*
 * Account a run of n packets of one SA (len[i]: the bytes that count, see
 * above), at wall-clock second now (read once per burst). *n_ok gets how
 * many of them, from the first, may be processed; the rest must be
 * dropped. A packet that would take current-bytes past the hard lifebytes
 * is refused, and so is every packet after it: the SA is dead from then on.
 * Refused packets change no counter.
 */
static inline enum gw_life gw_sa_account_burst(struct gw_sa *sa, const uint32_t *len, uint32_t n,
					       int64_t now, uint32_t *n_ok)
{
	uint64_t soft = sa->p.lifebytes_soft;
	uint64_t total = 0, add, cur;
	uint32_t i;

	*n_ok = 0;
	if (unlikely(gw_sa_state(sa) == GW_SA_DEAD))
		return GW_LIFE_HARD;
	if (unlikely(now >= gw_sa_hard_deadline(sa)))
		return gw_life_refuse(sa);
	for (i = 0; i < n; i++)
		total += len[i];
	cur = gw_life_add_bytes(sa, len, n, total, n_ok, &add);
	if (likely(*n_ok > 0)) {
		__atomic_fetch_add(&sa->hot.packets, *n_ok, __ATOMIC_RELAXED);
		gw_life_first_use(sa, now);
	}
	if (unlikely(*n_ok < n))
		return gw_life_refuse(sa);
	/* The seed: "when SA reaches its soft lifetime"; exactly one
	 * accounting run moves current-bytes from below soft to soft or more. */
	if (unlikely(soft != 0 && cur < soft && cur + add >= soft) && gw_sa_expire_soft(sa))
		return GW_LIFE_SOFT_CROSSED;
	return GW_LIFE_OK;
}

/* One packet of `bytes` bytes; results as gw_sa_account_burst (HARD: drop). */
static inline enum gw_life gw_sa_account(struct gw_sa *sa, uint32_t bytes, int64_t now)
{
	uint32_t ok;

	return gw_sa_account_burst(sa, &bytes, 1, now, &ok);
}

/* ---- control thread */

/*
 * Once a second per SA: the time limits, plus byte limits reached exactly
 * (current-bytes == hard with no packet since to be refused) or whose
 * packet-path report was lost. Returns the crossing this call reported and
 * made (state -> dying or dead), never the same one twice, and never a
 * soft one after the hard one.
 */
enum gw_expire gw_sa_check_time(struct gw_sa *sa, int64_t now);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP/AH sequence numbers: outbound allocation (RFC 4303 3.3.3, RFC 4302
 * 3.3.2) and the inbound anti-replay window (RFC 4303 3.4.3 and Appendix
 * A2, RFC 6479 bucketed bitmap), for 32-bit and Extended Sequence Numbers.
 *
 * Inbound is split in the two steps the packet path needs:
 *
 *   gw_replay_check()   before the ICV is verified: cheap, lock-free, no
 *                       state change; rejects duplicates and too-old
 *                       numbers, and with ESN guesses the high 32 bits
 *                       (RFC 4303 A2.2) that go into the ICV input;
 *   gw_replay_update()  after the ICV verified: under sa->hot.replay_lock
 *                       it tests again (another worker may have accepted
 *                       the same number meanwhile), slides the window and
 *                       sets the bit. Only its verdict accepts a packet.
 *                       gw_replay_update_run() does the same for a run of
 *                       packets of one SA under one acquisition of the lock.
 *
 * The right edge T of the window is sa->hot.seq: written only under the
 * lock (store-release, after the buckets it uncovers were cleared), read
 * lock-free (load-acquire) by the check. A racy check can only be stricter
 * than the truth at a later moment, never looser than the update that
 * follows, so it needs no lock (docs/sa-lifecycle.md has the argument).
 *
 * Window W = sa->p.replay_window packets (32..4096, multiple of 32; 0 = no
 * anti-replay check). The bitmap has sa->replay_buckets 64-bit buckets, a
 * power of two of at least W/64 + 1 (gw_sa_new sizes it): bit (s mod 64) of
 * bucket ((s / 64) mod buckets) stands for sequence number s.
 */
#ifndef IPSECGW_REPLAY_H
#define IPSECGW_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_spinlock.h>

#include "lifetime.h"
#include "sa.h"

#define GW_REPLAY_WIN_MIN 32u
#define GW_REPLAY_WIN_MAX 4096u
#define GW_REPLAY_WIN_STEP 32u

/* RFC 6479 section 2: 64-bit buckets. */
#define GW_REPLAY_BUCKET_SHIFT 6
#define GW_REPLAY_BIT_MASK 63u

/* ESN without anti-replay: RFC 4303 A2.2 still needs a W to place the high
 * bits; half the 32-bit space is the widest unambiguous one. */
#define GW_REPLAY_ESN_NOWIN (UINT32_C(1) << 31)

/*
 * Outbound limits. RFC 4303 3.3.3: the counter MUST NOT cycle; without ESN
 * the last usable number is 2^32 - 1. With ESN we stop at 2^63 (292 years
 * at 10^9 packets/s) so that the 64-bit counter can never wrap either, even
 * if workers keep asking after exhaustion. GW_SEQ_SOFT_MARGIN numbers
 * before the end the SA goes dying, so IKE rekeys before traffic stops
 * (2^28 packets: 27 s at 10 Mpps).
 */
#define GW_SEQ_MAX_32 UINT64_C(0xffffffff)
#define GW_SEQ_MAX_ESN (UINT64_C(1) << 63)
#define GW_SEQ_SOFT_MARGIN (UINT64_C(1) << 28)

/* Verdict of the inbound checks; the drop reasons are named for counters. */
enum gw_replay {
	GW_REPLAY_OK = 0,    /* new number inside or right of the window */
	GW_REPLAY_TOO_OLD,   /* left of the window, or 0 (never sent) */
	GW_REPLAY_DUPLICATE, /* its bit is already set */
};

/* Config validation: 0 (off) or 32..4096 in steps of 32. */
static inline bool gw_replay_window_valid(uint32_t w)
{
	return w == 0 || (w >= GW_REPLAY_WIN_MIN && w <= GW_REPLAY_WIN_MAX &&
			  w % GW_REPLAY_WIN_STEP == 0);
}

/*
 * RFC 4303 A2.2: the high-order 32 bits of a received ESN, from the right
 * edge t of the window and its size w. Bl = Tl - W + 1 is the bottom of the
 * window modulo 2^32.
 *  Case A (Tl >= W - 1, the window lies in one subspace): Seql >= Bl is
 *   inside it (Th), anything lower wrapped past 2^32 (Th + 1).
 *  Case B (Tl < W - 1, the window straddles Th - 1 and Th): Seql >= Bl is
 *   a late packet of the previous subspace (Th - 1), the rest is Th. With
 *   Th = 0 there is no previous subspace: Th.
 * The guess is checked by the ICV, which covers seq-hi (RFC 4303 2.2.1).
 */
static inline uint64_t gw_esn_reconstruct(uint64_t t, uint32_t seq_lo, uint32_t w)
{
	uint32_t tl = (uint32_t)t;
	uint32_t th = (uint32_t)(t >> 32);
	uint32_t bl = tl - w + 1;

	if (tl >= w - 1)
		th += seq_lo < bl;
	else if (th != 0)
		th -= seq_lo >= bl;
	return (uint64_t)th << 32 | seq_lo;
}

/* Index in sa->replay[] of bucket number b (numbers b*64 .. b*64+63). */
static inline uint32_t gw_replay_slot(const struct gw_sa *sa, uint64_t b)
{
	return (uint32_t)b & (sa->replay_buckets - 1);
}

/* Index in sa->replay[] of the bucket holding sequence number seq. */
static inline uint32_t gw_replay_idx(const struct gw_sa *sa, uint64_t seq)
{
	return gw_replay_slot(sa, seq >> GW_REPLAY_BUCKET_SHIFT);
}

/* RFC 4303 3.4.3 against right edge `top`: the window is [top-w+1, top]. */
static inline enum gw_replay gw_replay_test(const struct gw_sa *sa, uint64_t top, uint64_t seq,
					    uint32_t w)
{
	uint64_t word;

	if (likely(seq > top))
		return GW_REPLAY_OK;
	if (unlikely(seq == 0 || top - seq >= w))
		return GW_REPLAY_TOO_OLD;
	word = __atomic_load_n(&sa->replay[gw_replay_idx(sa, seq)], __ATOMIC_RELAXED);
	if (word >> (seq & GW_REPLAY_BIT_MASK) & 1)
		return GW_REPLAY_DUPLICATE;
	return GW_REPLAY_OK;
}

/*
 * Step 1, before integrity verification. Returns the 64-bit sequence number
 * in *seq64 (seq_lo without ESN; with ESN the RFC 4303 A2.2 guess, whose
 * high half goes into the ICV input) and whether the packet may go on.
 * Changes nothing.
 */
static inline enum gw_replay gw_replay_check(const struct gw_sa *sa, uint32_t seq_lo, bool esn,
					     uint64_t *seq64)
{
	uint32_t w = sa->p.replay_window;
	uint64_t top;

	if (!esn && w == 0) {
		*seq64 = seq_lo;
		return GW_REPLAY_OK;
	}
	top = __atomic_load_n(&sa->hot.seq, __ATOMIC_ACQUIRE);
	*seq64 = esn ? gw_esn_reconstruct(top, seq_lo, w ? w : GW_REPLAY_ESN_NOWIN) : seq_lo;
	if (w == 0)
		return GW_REPLAY_OK;
	return gw_replay_test(sa, top, *seq64, w);
}

/* RFC 6479 section 2: moving the right edge from top to seq clears the
 * buckets that the new edge enters; at most all of them. */
static inline void gw_replay_slide(struct gw_sa *sa, uint64_t top, uint64_t seq)
{
	uint64_t from = top >> GW_REPLAY_BUCKET_SHIFT;
	uint64_t n = (seq >> GW_REPLAY_BUCKET_SHIFT) - from;
	uint64_t i;

	if (n > sa->replay_buckets)
		n = sa->replay_buckets;
	for (i = 1; i <= n; i++)
		__atomic_store_n(&sa->replay[gw_replay_slot(sa, from + i)], 0, __ATOMIC_RELAXED);
}

/* Under replay_lock: the only writer of the window, so plain
 * read-modify-write, made of atomic accesses for the lock-free readers. */
static inline void gw_replay_mark(struct gw_sa *sa, uint64_t top, uint64_t seq)
{
	uint64_t *b = &sa->replay[gw_replay_idx(sa, seq)];
	uint64_t bit = UINT64_C(1) << (seq & GW_REPLAY_BIT_MASK);

	if (seq > top)
		gw_replay_slide(sa, top, seq);
	__atomic_store_n(b, __atomic_load_n(b, __ATOMIC_RELAXED) | bit, __ATOMIC_RELAXED);
	if (seq > top)
		__atomic_store_n(&sa->hot.seq, seq, __ATOMIC_RELEASE);
}

/* No window: only the right edge moves (ESN needs it), by a CAS maximum. */
static inline void gw_replay_raise_top(struct gw_sa *sa, uint64_t seq)
{
	uint64_t top = __atomic_load_n(&sa->hot.seq, __ATOMIC_RELAXED);

	while (seq > top && !__atomic_compare_exchange_n(&sa->hot.seq, &top, seq, true,
							 __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
}

/*
 * Step 2, after the ICV verified seq64 (the value gw_replay_check
 * returned): test again against the current window, then record it, as one
 * step with respect to other workers. GW_REPLAY_OK is the only acceptance:
 * of two workers that authenticated the same number, exactly one gets it.
 */
static inline enum gw_replay gw_replay_update(struct gw_sa *sa, uint64_t seq64)
{
	uint32_t w = sa->p.replay_window;
	enum gw_replay r;
	uint64_t top;

	if (w == 0) {
		gw_replay_raise_top(sa, seq64);
		return GW_REPLAY_OK;
	}
	rte_spinlock_lock(&sa->hot.replay_lock);
	top = __atomic_load_n(&sa->hot.seq, __ATOMIC_RELAXED);
	r = gw_replay_test(sa, top, seq64, w);
	if (r == GW_REPLAY_OK)
		gw_replay_mark(sa, top, seq64);
	rte_spinlock_unlock(&sa->hot.replay_lock);
	return r;
}

/*
 * gw_replay_update of the packets of a run of one SA whose rc[i] is 0 (ICV
 * verified), in order, under one acquisition of the lock: to other workers
 * the n updates are one step, as if made back to back. A refused number
 * gets rc[i] = rc_refused; the others are accepted.
 */
static inline void gw_replay_update_run(struct gw_sa *sa, const uint64_t *seq64, uint8_t *rc,
					uint16_t n, uint8_t rc_refused)
{
	uint32_t w = sa->p.replay_window;
	uint64_t top;
	uint16_t i;

	if (w == 0) {
		for (i = 0; i < n; i++)
			if (rc[i] == 0)
				gw_replay_raise_top(sa, seq64[i]);
		return;
	}
	rte_spinlock_lock(&sa->hot.replay_lock);
	top = __atomic_load_n(&sa->hot.seq, __ATOMIC_RELAXED);
	for (i = 0; i < n; i++) {
		if (rc[i] != 0)
			continue;
		if (gw_replay_test(sa, top, seq64[i], w) != GW_REPLAY_OK) {
			rc[i] = rc_refused;
			continue;
		}
		gw_replay_mark(sa, top, seq64[i]);
		top = RTE_MAX(top, seq64[i]);
	}
	rte_spinlock_unlock(&sa->hot.replay_lock);
}

/* The right edge of the window (highest authenticated number), for views. */
static inline uint64_t gw_replay_top(const struct gw_sa *sa)
{
	return __atomic_load_n(&sa->hot.seq, __ATOMIC_ACQUIRE);
}

/*
 * Outbound: reserve *n consecutive sequence numbers with one atomic
 * fetch-add on sa->hot.seq (several workers may send on one SA; numbers
 * never repeat). The first packet of an SA gets 1 (RFC 4303 3.3.3).
 * Numbers [*first, *first + *n) are usable; on return *n may be smaller
 * than asked (the SA ran out): drop the rest.
 *  GW_LIFE_OK            all granted;
 *  GW_LIFE_SOFT_CROSSED  all granted; the range crossed the rekey mark and
 *                        this caller moved the SA to dying: post EXPIRE soft;
 *  GW_LIFE_HARD(_CROSSED) the counter is exhausted (RFC 4303 3.3.3: no
 *                        wrap; a new SA is needed); _CROSSED: this caller
 *                        moved the SA to dead, post EXPIRE hard.
 * *n must be 1..2^16 (a burst).
 */
static inline enum gw_life gw_seq_out_reserve(struct gw_sa *sa, bool esn, uint32_t *n,
					      uint64_t *first)
{
	uint64_t max = esn ? GW_SEQ_MAX_ESN : GW_SEQ_MAX_32;
	uint64_t soft = max - GW_SEQ_SOFT_MARGIN;
	uint64_t last = __atomic_add_fetch(&sa->hot.seq, *n, __ATOMIC_RELAXED);
	uint64_t start = last - *n + 1;

	*first = start;
	if (likely(last < soft))
		return GW_LIFE_OK;
	if (last <= max) {
		if (start <= soft && gw_sa_expire_soft(sa))
			return GW_LIFE_SOFT_CROSSED;
		return GW_LIFE_OK;
	}
	*n = start > max ? 0 : (uint32_t)(max - start + 1);
	return gw_sa_expire_hard(sa) ? GW_LIFE_HARD_CROSSED : GW_LIFE_HARD;
}

/* One outbound sequence number in *seq64 (the low 32 bits go on the wire,
 * the high 32 into the ESN ICV input); results as gw_seq_out_reserve. */
static inline enum gw_life gw_seq_out_next(struct gw_sa *sa, bool esn, uint64_t *seq64)
{
	uint32_t n = 1;

	return gw_seq_out_reserve(sa, esn, &n, seq64);
}

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sequence numbers and anti-replay (dataplane/replay.h): RFC 4303 3.4.3 and
 * Appendix A2, RFC 6479 buckets, for every window size class (32, 64, 1024,
 * 4096): in order, reordering, duplicates, too old, big jumps, bucket
 * boundaries, a random walk against a naive reference model, ESN
 * reconstruction (A2.2 cases A and B, wrap of the low 32 bits), the
 * check-then-update race with two threads, outbound allocation and
 * overflow (RFC 4303 3.3.3). No EAL.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static struct gw_sa *sa_make(uint32_t window)
{
	struct gw_sa_id id = {
		.spi = 0x1000, .src = IP(198, 18, 0, 2), .dst = IP(198, 18, 0, 1),
		.proto = IPPROTO_ESP, .dir = GW_SA_IN,
	};
	struct gw_sa_params p = { .replay_window = window };
	struct gw_sa *sa = gw_sa_new(&id, &p, 1, 1000);

	assert_non_null(sa);
	assert_true(gw_sa_make_mature(sa));
	return sa;
}

/* The whole inbound path with an ICV that always verifies. */
static enum gw_replay rx64(struct gw_sa *sa, uint32_t seq_lo, bool esn, uint64_t *seq64)
{
	enum gw_replay r = gw_replay_check(sa, seq_lo, esn, seq64);

	return r != GW_REPLAY_OK ? r : gw_replay_update(sa, *seq64);
}

static enum gw_replay rx(struct gw_sa *sa, uint64_t seq)
{
	uint64_t s64;
	enum gw_replay r = rx64(sa, (uint32_t)seq, false, &s64);

	assert_int_equal(s64, seq);
	return r;
}

/* ---- naive reference model: a set of every number ever accepted */

#define REF_SPACE (UINT64_C(1) << 24)

struct ref {
	uint64_t base, top; /* top: absolute; seen[] indexed from base */
	uint32_t w;
	uint8_t *seen;
};

static void ref_init(struct ref *m, uint64_t base, uint32_t w)
{
	m->base = base;
	m->top = base;
	m->w = w;
	m->seen = calloc(REF_SPACE / 8, 1);
	assert_non_null(m->seen);
}

static bool ref_seen(const struct ref *m, uint64_t s)
{
	uint64_t i = s - m->base;

	return m->seen[i / 8] >> (i % 8) & 1;
}

static enum gw_replay ref_verdict(const struct ref *m, uint64_t s)
{
	if (s > m->top)
		return GW_REPLAY_OK;
	if (s == 0 || m->top - s >= m->w || s < m->base)
		return GW_REPLAY_TOO_OLD;
	return ref_seen(m, s) ? GW_REPLAY_DUPLICATE : GW_REPLAY_OK;
}

static void ref_accept(struct ref *m, uint64_t s)
{
	uint64_t i = s - m->base;

	m->seen[i / 8] |= (uint8_t)(1u << (i % 8));
	if (s > m->top)
		m->top = s;
}

/* Small deterministic PRNG (xorshift64*), so failures reproduce. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dull;
}

/* The next number a lossy, reordering, replaying path would deliver. */
static uint64_t walk_next(const struct ref *m, uint32_t buckets)
{
	uint64_t r = rnd() % 1000, back;

	if (r < 550)
		return m->top + 1 + rnd() % 3;
	if (r < 850) {
		back = rnd() % (m->w + 130);
		return m->top - m->base > back ? m->top - back : m->base + 1;
	}
	if (r < 950)
		return m->top + 60 + rnd() % 140; /* across one or more buckets */
	if (r < 990)
		return m->top - (m->top - m->base) / 2; /* far too old */
	return m->top + (uint64_t)buckets * 64 * (1 + rnd() % 3) + rnd() % 64;
}

/* ---- per window size class */

#define PER_WINDOW(fn)                                                  \
	static void fn##_w32(void **s) { (void)s; fn(32); }             \
	static void fn##_w64(void **s) { (void)s; fn(64); }             \
	static void fn##_w1024(void **s) { (void)s; fn(1024); }         \
	static void fn##_w4096(void **s) { (void)s; fn(4096); }
#define WINDOW_CASES(fn)                                                \
	cmocka_unit_test(fn##_w32), cmocka_unit_test(fn##_w64),         \
	cmocka_unit_test(fn##_w1024), cmocka_unit_test(fn##_w4096)

static void in_order(uint32_t w)
{
	struct gw_sa *sa = sa_make(w);
	uint64_t s, n = 3 * w + 100;

	assert_true(sa->replay_buckets * 64 >= w + 64);
	for (s = 1; s <= n; s++) {
		assert_int_equal(rx(sa, s), GW_REPLAY_OK);
		assert_int_equal(rx(sa, s), GW_REPLAY_DUPLICATE);
	}
	assert_int_equal(gw_replay_top(sa), n);
	/* RFC 4303 3.3.3: 0 is never sent. */
	assert_int_equal(rx(sa, 0), GW_REPLAY_TOO_OLD);
	gw_sa_free(sa);
}
PER_WINDOW(in_order)

/* Each block of w numbers arrives backwards: the window's whole width is
 * used, left edge included. */
static void reorder_within_window(uint32_t w)
{
	struct gw_sa *sa = sa_make(w);
	uint64_t k, s;

	for (k = 0; k < 5; k++) {
		for (s = (k + 1) * w; s > k * w; s--)
			assert_int_equal(rx(sa, s), GW_REPLAY_OK);
		for (s = k * w + 1; s <= (k + 1) * w; s++)
			assert_int_equal(rx(sa, s), GW_REPLAY_DUPLICATE);
	}
	gw_sa_free(sa);
}
PER_WINDOW(reorder_within_window)

static void too_old(uint32_t w)
{
	struct gw_sa *sa = sa_make(w);
	uint64_t t = 10 * (uint64_t)w;

	assert_int_equal(rx(sa, t), GW_REPLAY_OK);
	/* The window is [T - W + 1, T]. */
	assert_int_equal(rx(sa, t - w), GW_REPLAY_TOO_OLD);
	assert_int_equal(rx(sa, 1), GW_REPLAY_TOO_OLD);
	assert_int_equal(rx(sa, t - w + 1), GW_REPLAY_OK);
	assert_int_equal(rx(sa, t - w + 2), GW_REPLAY_OK);
	/* The edge moves by one: the old left edge falls out. */
	assert_int_equal(rx(sa, t + 1), GW_REPLAY_OK);
	assert_int_equal(rx(sa, t - w + 1), GW_REPLAY_TOO_OLD);
	assert_int_equal(rx(sa, t - w + 2), GW_REPLAY_DUPLICATE);
	assert_int_equal(rx(sa, t - w + 3), GW_REPLAY_OK);
	gw_sa_free(sa);
}
PER_WINDOW(too_old)

/* Jumps farther than the whole bitmap must clear every bucket: numbers
 * whose bits alias ones set before the jump are new. */
static void big_jump(uint32_t w)
{
	struct gw_sa *sa = sa_make(w);
	uint64_t span = (uint64_t)sa->replay_buckets * 64;
	uint64_t fill = w + 64, j, s;

	for (s = 1; s <= fill; s++)
		assert_int_equal(rx(sa, s), GW_REPLAY_OK);
	j = fill + 3 * span;
	assert_int_equal(rx(sa, j), GW_REPLAY_OK);
	assert_int_equal(rx(sa, fill), GW_REPLAY_TOO_OLD);
	for (s = j - w + 1; s < j; s++)
		assert_int_equal(rx(sa, s), GW_REPLAY_OK);
	assert_int_equal(rx(sa, j - w + 1), GW_REPLAY_DUPLICATE);
	/* A jump across half the 32-bit space. */
	assert_int_equal(rx(sa, (UINT64_C(1) << 31) + 7), GW_REPLAY_OK);
	assert_int_equal(rx(sa, j), GW_REPLAY_TOO_OLD);
	assert_int_equal(rx(sa, (UINT64_C(1) << 31) + 7 - w + 1), GW_REPLAY_OK);
	assert_int_equal(rx(sa, UINT32_MAX), GW_REPLAY_OK);
	assert_int_equal(rx(sa, UINT32_MAX), GW_REPLAY_DUPLICATE);
	gw_sa_free(sa);
}
PER_WINDOW(big_jump)

/* The right edge crosses 64-bit bucket boundaries by 1, 63, 64 and 65. */
static void bucket_boundaries(uint32_t w)
{
	struct gw_sa *sa = sa_make(w);
	static const uint64_t steps[] = { 1, 63, 64, 65, 1, 1, 127, 128, 129, 4095, 4096, 4097 };
	uint64_t got[RTE_DIM(steps) + 1], t = 63, s, s64;
	size_t i, j;

	got[0] = t;
	assert_int_equal(rx(sa, t), GW_REPLAY_OK);
	for (i = 0; i < RTE_DIM(steps); i++) {
		t += steps[i];
		got[i + 1] = t;
		assert_int_equal(rx(sa, t), GW_REPLAY_OK);
		/* Inside the window, the edges received so far are duplicates
		 * and every other number is new; left of it, too old. */
		for (s = (t >= w ? t - w + 1 : 1); s < t; s++) {
			enum gw_replay want = GW_REPLAY_OK;

			for (j = 0; j <= i; j++)
				if (got[j] == s)
					want = GW_REPLAY_DUPLICATE;
			assert_int_equal(gw_replay_check(sa, (uint32_t)s, false, &s64), want);
		}
		if (t >= w)
			assert_int_equal(gw_replay_check(sa, (uint32_t)(t - w), false, &s64),
					 GW_REPLAY_TOO_OLD);
	}
	gw_sa_free(sa);
}
PER_WINDOW(bucket_boundaries)

/* 200000 deliveries of a lossy, reordering, replaying path: check and
 * update agree with the naive model on every one. */
static void random_vs_model(uint32_t w)
{
	struct gw_sa *sa = sa_make(w);
	struct ref m;
	uint64_t s64;
	int i;

	ref_init(&m, 0, w);
	for (i = 0; i < 200000; i++) {
		uint64_t s = walk_next(&m, sa->replay_buckets);
		enum gw_replay want = ref_verdict(&m, s);

		if (s - m.base >= REF_SPACE - 100000)
			break;
		assert_int_equal(gw_replay_check(sa, (uint32_t)s, false, &s64), want);
		if (want == GW_REPLAY_OK) {
			assert_int_equal(gw_replay_update(sa, s64), GW_REPLAY_OK);
			ref_accept(&m, s);
		}
		assert_int_equal(gw_replay_top(sa), m.top);
	}
	free(m.seen);
	gw_sa_free(sa);
}
PER_WINDOW(random_vs_model)

/*
 * gw_replay_update_run on runs of 1..40 numbers from the same random walk,
 * with duplicates inside a run and packets whose ICV "failed" (rc set on
 * entry: skipped, neither accepted nor recorded): each verdict and the
 * right edge as the model gives, packet after packet in order.
 */
#define RC_ICV_FAILED 5
#define RC_REFUSED 99

static void run_vs_model(uint32_t w)
{
	struct gw_sa *sa = sa_make(w);
	struct ref m;
	uint64_t seq[40];
	uint8_t rc[40];
	int r, i, n;

	ref_init(&m, 0, w);
	for (r = 0; r < 20000 && m.top < REF_SPACE - 200000; r++) {
		n = 1 + (int)(rnd() % 40);
		for (i = 0; i < n; i++) {
			seq[i] = i > 0 && rnd() % 8 == 0 ? seq[rnd() % (uint64_t)i] : walk_next(&m, sa->replay_buckets);
			rc[i] = rnd() % 10 == 0 ? RC_ICV_FAILED : 0;
		}
		gw_replay_update_run(sa, seq, rc, (uint16_t)n, RC_REFUSED);
		for (i = 0; i < n; i++) {
			if (rc[i] == RC_ICV_FAILED)
				continue;
			if (ref_verdict(&m, seq[i]) != GW_REPLAY_OK) {
				assert_int_equal(rc[i], RC_REFUSED);
				continue;
			}
			assert_int_equal(rc[i], 0);
			ref_accept(&m, seq[i]);
		}
		assert_int_equal(gw_replay_top(sa), m.top);
	}
	free(m.seen);
	gw_sa_free(sa);
}
PER_WINDOW(run_vs_model)

/*
 * ESN (RFC 4303 A2) on a random walk across the 2^32 boundary twice: every
 * packet inside or ahead of the window gets its true 64-bit number back;
 * a wrong guess happens only for packets that are too old anyway (their
 * ICV, computed with the wrong seq-hi, fails: the update is not called).
 */
static void esn_random_vs_model(uint32_t w)
{
	struct gw_sa *sa = sa_make(w);
	uint64_t base = (UINT64_C(1) << 32) - 300000, s64;
	struct ref m;
	int i, wraps = 0;

	ref_init(&m, base, w);
	assert_int_equal(gw_replay_update(sa, base), GW_REPLAY_OK);
	ref_accept(&m, base);
	for (i = 0; i < 200000; i++) {
		uint64_t s = walk_next(&m, sa->replay_buckets);
		enum gw_replay want = ref_verdict(&m, s), got;

		if (s - m.base >= REF_SPACE - 100000)
			break;
		got = gw_replay_check(sa, (uint32_t)s, true, &s64);
		if (s64 != s) {
			assert_true(m.top - s >= w); /* only too-old ones */
			continue;
		}
		assert_int_equal(got, want);
		if (want == GW_REPLAY_OK) {
			assert_int_equal(gw_replay_update(sa, s64), GW_REPLAY_OK);
			wraps += (s >> 32) != (m.top >> 32) && s > m.top;
			ref_accept(&m, s);
		}
	}
	assert_true(wraps >= 1);
	assert_true(gw_replay_top(sa) >> 32 >= 1);
	free(m.seen);
	gw_sa_free(sa);
}
PER_WINDOW(esn_random_vs_model)

static uint64_t hl(uint32_t hi, uint32_t lo)
{
	return (uint64_t)hi << 32 | lo;
}

/* RFC 4303 A2.2, both cases, by hand. */
static void esn_cases(uint32_t w)
{
	struct gw_sa *sa = sa_make(w);
	uint64_t s64;

	/* Case A: T = (5, 100000), window inside subspace 5. */
	assert_int_equal(gw_replay_update(sa, hl(5, 100000)), GW_REPLAY_OK);
	assert_int_equal(gw_replay_check(sa, 100000 - w + 1, true, &s64), GW_REPLAY_OK);
	assert_int_equal(s64, hl(5, 100000 - w + 1));
	assert_int_equal(gw_replay_check(sa, 100001, true, &s64), GW_REPLAY_OK);
	assert_int_equal(s64, hl(5, 100001));
	/* Below the window: taken as having wrapped (Th + 1). */
	assert_int_equal(gw_replay_check(sa, 100000 - w, true, &s64), GW_REPLAY_OK);
	assert_int_equal(s64, hl(6, 100000 - w));
	assert_int_equal(gw_replay_check(sa, 100000, true, &s64), GW_REPLAY_DUPLICATE);

	/* Case B: T = (6, 10), the window straddles subspaces 5 and 6. */
	assert_int_equal(gw_replay_update(sa, hl(6, 10)), GW_REPLAY_OK);
	assert_int_equal(gw_replay_check(sa, UINT32_MAX - 2, true, &s64), GW_REPLAY_OK);
	assert_int_equal(s64, hl(5, UINT32_MAX - 2)); /* late: Th - 1 */
	assert_int_equal(gw_replay_update(sa, s64), GW_REPLAY_OK);
	assert_int_equal(gw_replay_check(sa, UINT32_MAX - 2, true, &s64), GW_REPLAY_DUPLICATE);
	assert_int_equal(gw_replay_check(sa, 0, true, &s64), GW_REPLAY_OK);
	assert_int_equal(s64, hl(6, 0)); /* seq_lo 0 is valid with ESN */
	assert_int_equal(gw_replay_update(sa, s64), GW_REPLAY_OK);
	assert_int_equal(gw_replay_check(sa, 11, true, &s64), GW_REPLAY_OK);
	assert_int_equal(s64, hl(6, 11));
	/* Just left of the window in subspace 5: case B places it in Th,
	 * far ahead. The check lets it through and its ICV, computed with
	 * seq-hi 5 by the sender, fails against the guess 6. */
	assert_int_equal(gw_replay_check(sa, (uint32_t)(10 - w), true, &s64), GW_REPLAY_OK);
	assert_int_equal(s64, hl(6, (uint32_t)(10 - w)));
	gw_sa_free(sa);
}
PER_WINDOW(esn_cases)

/* In-order traffic across the wrap of the low 32 bits: seq-hi increments. */
static void esn_wrap_in_order(uint32_t w)
{
	struct gw_sa *sa = sa_make(w);
	uint64_t s, s64;

	assert_int_equal(gw_replay_update(sa, UINT32_MAX - 2 * w), GW_REPLAY_OK);
	for (s = UINT32_MAX - 2 * w + 1; s <= hl(1, 3 * w); s++) {
		assert_int_equal(rx64(sa, (uint32_t)s, true, &s64), GW_REPLAY_OK);
		assert_int_equal(s64, s);
	}
	assert_int_equal(gw_replay_top(sa), hl(1, 3 * w));
	assert_int_equal(gw_replay_update(sa, hl(1, 3 * w - 1)), GW_REPLAY_DUPLICATE);
	gw_sa_free(sa);
	/* A late packet from before the wrap, inside the window (case B). */
	sa = sa_make(w);
	assert_int_equal(gw_replay_update(sa, hl(1, 5)), GW_REPLAY_OK);
	assert_int_equal(rx64(sa, UINT32_MAX - 3, true, &s64), GW_REPLAY_OK);
	assert_int_equal(s64, hl(0, UINT32_MAX - 3));
	assert_int_equal(rx64(sa, UINT32_MAX - 3, true, &s64), GW_REPLAY_DUPLICATE);
	gw_sa_free(sa);
}
PER_WINDOW(esn_wrap_in_order)

/* Without ESN a number is only 32 bits: 0 after 2^32 - 1 is too old. */
static void no_esn_wrap_refused(void **state)
{
	struct gw_sa *sa = sa_make(64);
	uint64_t s64;

	(void)state;
	assert_int_equal(rx(sa, UINT32_MAX), GW_REPLAY_OK);
	assert_int_equal(rx64(sa, 0, false, &s64), GW_REPLAY_TOO_OLD);
	assert_int_equal(rx64(sa, 1, false, &s64), GW_REPLAY_TOO_OLD);
	gw_sa_free(sa);
}

/* replay window 0: no check at all; with ESN the edge still moves so that
 * seq-hi is found (with half the 32-bit space as W). */
static void window_off(void **state)
{
	struct gw_sa *sa = sa_make(0);
	uint64_t s64;

	(void)state;
	assert_int_equal(sa->replay_buckets, 0);
	assert_int_equal(rx(sa, 5), GW_REPLAY_OK);
	assert_int_equal(rx(sa, 5), GW_REPLAY_OK);
	assert_int_equal(rx(sa, 1), GW_REPLAY_OK);
	gw_sa_free(sa);

	sa = sa_make(0);
	assert_int_equal(rx64(sa, 0x80000000u, true, &s64), GW_REPLAY_OK);
	assert_int_equal(s64, 0x80000000u);
	assert_int_equal(rx64(sa, 0xfffffff0u, true, &s64), GW_REPLAY_OK);
	assert_int_equal(rx64(sa, 3, true, &s64), GW_REPLAY_OK);
	assert_int_equal(s64, hl(1, 3));
	assert_int_equal(rx64(sa, 0xfffffff1u, true, &s64), GW_REPLAY_OK);
	assert_int_equal(s64, hl(0, 0xfffffff1u));
	assert_int_equal(gw_replay_top(sa), hl(1, 3));
	gw_sa_free(sa);

	/* A run without a window: everything verified passes, the right edge
	 * (for ESN) moves to the highest verified number only. */
	sa = sa_make(0);
	{
		uint64_t seq[4] = {5, 5, 9, 3};
		uint8_t rc[4] = {0, 0, 1, 0};

		gw_replay_update_run(sa, seq, rc, 4, 2);
		assert_int_equal(rc[0], 0);
		assert_int_equal(rc[1], 0);
		assert_int_equal(rc[2], 1);
		assert_int_equal(rc[3], 0);
		assert_int_equal(gw_replay_top(sa), 5);
	}
	gw_sa_free(sa);
}

static void window_valid(void **state)
{
	(void)state;
	assert_true(gw_replay_window_valid(0));
	assert_true(gw_replay_window_valid(32));
	assert_true(gw_replay_window_valid(64));
	assert_true(gw_replay_window_valid(4096));
	assert_false(gw_replay_window_valid(16));
	assert_false(gw_replay_window_valid(48));
	assert_false(gw_replay_window_valid(4128));
}

/* ---- the check-then-update race */

#define RACE_NUMBERS (1u << 18)

struct race {
	struct gw_sa *sa;
	pthread_barrier_t bar;
	uint32_t chunk, n;
	uint8_t *accepted; /* per number, both threads add */
	unsigned passed_check[2];
};

struct race_arg {
	struct race *r;
	int id;
};

/* Both threads take every number of each chunk through check, "ICV" and
 * update, released together by a barrier: on even chunks in the same
 * order (they collide on every number), on odd ones thread 1 goes
 * backwards (reordering; they meet in the middle). A chunk is half the
 * window, so no number can fall out of the window before both have tried
 * it: each must be accepted exactly once. */
static void *race_thread(void *p)
{
	struct race_arg *a = p;
	struct race *r = a->r;
	uint32_t c, i;
	uint64_t s64;

	for (c = 0; c < r->n / r->chunk; c++) {
		pthread_barrier_wait(&r->bar);
		for (i = 0; i < r->chunk; i++) {
			bool back = a->id == 1 && c % 2 == 1;
			uint32_t s = c * r->chunk + 1 + (back ? r->chunk - 1 - i : i);

			if (gw_replay_check(r->sa, s, false, &s64) != GW_REPLAY_OK)
				continue;
			r->passed_check[a->id]++;
			if (gw_replay_update(r->sa, s64) == GW_REPLAY_OK)
				__atomic_fetch_add(&r->accepted[s], 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

/* The same race with each thread taking a chunk as runs of 8 numbers:
 * the check of each, then one gw_replay_update_run for the run. */
static void *race_thread_runs(void *p)
{
	struct race_arg *a = p;
	struct race *r = a->r;
	uint64_t seq[8];
	uint8_t rc[8];
	uint32_t c, i, k;

	for (c = 0; c < r->n / r->chunk; c++) {
		pthread_barrier_wait(&r->bar);
		for (i = 0; i < r->chunk; i += 8) {
			for (k = 0; k < 8; k++) {
				bool back = a->id == 1 && c % 2 == 1;
				uint32_t s = c * r->chunk + 1 + (back ? r->chunk - 1 - i - k : i + k);

				rc[k] = gw_replay_check(r->sa, s, false, &seq[k]) == GW_REPLAY_OK ? 0 : 1;
				r->passed_check[a->id] += rc[k] == 0;
			}
			gw_replay_update_run(r->sa, seq, rc, 8, 2);
			for (k = 0; k < 8; k++)
				if (rc[k] == 0)
					__atomic_fetch_add(&r->accepted[seq[k]], 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void race_run(uint32_t w, void *(*thread)(void *))
{
	struct race r = { .sa = sa_make(w), .chunk = w / 2 };
	struct race_arg args[2] = { { &r, 0 }, { &r, 1 } };
	pthread_t t[2];
	uint32_t s;
	int i;

	r.n = RACE_NUMBERS;
	r.accepted = calloc(r.n + 1, 1);
	assert_non_null(r.accepted);
	assert_int_equal(pthread_barrier_init(&r.bar, NULL, 2), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread, &args[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (s = 1; s <= r.n; s++)
		assert_int_equal(r.accepted[s], 1);
	assert_int_equal(gw_replay_top(r.sa), r.n);
	/* How often both passed the check and the update decided. */
	assert_true(r.passed_check[0] + r.passed_check[1] >= r.n);
	print_message("window %u: %u numbers, %u lost at update\n", w, r.n,
		      r.passed_check[0] + r.passed_check[1] - r.n);
	pthread_barrier_destroy(&r.bar);
	free(r.accepted);
	gw_sa_free(r.sa);
}
static void two_workers_same_numbers(uint32_t w)
{
	race_run(w, race_thread);
}

static void two_workers_same_runs(uint32_t w)
{
	race_run(w, race_thread_runs);
}
PER_WINDOW(two_workers_same_runs)
PER_WINDOW(two_workers_same_numbers)

/* ---- outbound */

static void out_starts_at_one(void **state)
{
	struct gw_sa *sa = sa_make(64);
	uint64_t s, i;
	uint32_t n = 32;

	(void)state;
	for (i = 1; i <= 100; i++) {
		assert_int_equal(gw_seq_out_next(sa, false, &s), GW_LIFE_OK);
		assert_int_equal(s, i);
	}
	assert_int_equal(gw_seq_out_reserve(sa, false, &n, &s), GW_LIFE_OK);
	assert_int_equal(n, 32);
	assert_int_equal(s, 101);
	assert_int_equal(gw_seq_out_next(sa, false, &s), GW_LIFE_OK);
	assert_int_equal(s, 133);
	gw_sa_free(sa);
}

/* RFC 4303 3.3.3: without ESN the counter must not cycle. */
static void out_overflow_32(void **state)
{
	struct gw_sa *sa = sa_make(64);
	uint64_t s;

	(void)state;
	sa->hot.seq = GW_SEQ_MAX_32 - 2;
	assert_int_equal(gw_seq_out_next(sa, false, &s), GW_LIFE_OK);
	assert_int_equal(s, GW_SEQ_MAX_32 - 1);
	assert_int_equal(gw_seq_out_next(sa, false, &s), GW_LIFE_OK);
	assert_int_equal(s, GW_SEQ_MAX_32);
	assert_int_equal(gw_seq_out_next(sa, false, &s), GW_LIFE_HARD_CROSSED);
	assert_int_equal(gw_sa_state(sa), GW_SA_DEAD);
	assert_int_equal(gw_seq_out_next(sa, false, &s), GW_LIFE_HARD);
	assert_int_equal(gw_seq_out_next(sa, false, &s), GW_LIFE_HARD);
	gw_sa_free(sa);
}

/* A burst that runs past the end gets the numbers that are left. */
static void out_overflow_burst(void **state)
{
	struct gw_sa *sa = sa_make(64);
	uint64_t first;
	uint32_t n = 8;

	(void)state;
	sa->hot.seq = GW_SEQ_MAX_32 - 3;
	assert_int_equal(gw_seq_out_reserve(sa, false, &n, &first), GW_LIFE_HARD_CROSSED);
	assert_int_equal(n, 3);
	assert_int_equal(first, GW_SEQ_MAX_32 - 2);
	n = 8;
	assert_int_equal(gw_seq_out_reserve(sa, false, &n, &first), GW_LIFE_HARD);
	assert_int_equal(n, 0);
	gw_sa_free(sa);
}

/* The rekey mark: dying (EXPIRE soft) once, by the packet that reaches it. */
static void out_soft_mark(void **state)
{
	struct gw_sa *sa = sa_make(64);
	uint64_t soft = GW_SEQ_MAX_32 - GW_SEQ_SOFT_MARGIN, s;
	uint32_t n = 4;

	(void)state;
	sa->hot.seq = soft - 2;
	assert_int_equal(gw_seq_out_next(sa, false, &s), GW_LIFE_OK);
	assert_int_equal(gw_seq_out_next(sa, false, &s), GW_LIFE_SOFT_CROSSED);
	assert_int_equal(s, soft);
	assert_int_equal(gw_sa_state(sa), GW_SA_DYING);
	assert_int_equal(gw_seq_out_next(sa, false, &s), GW_LIFE_OK);
	gw_sa_free(sa);

	sa = sa_make(64);
	sa->hot.seq = soft - 2;
	assert_int_equal(gw_seq_out_reserve(sa, false, &n, &s), GW_LIFE_SOFT_CROSSED);
	assert_int_equal(n, 4);
	assert_int_equal(s, soft - 1);
	gw_sa_free(sa);
}

/* With ESN the counter runs on past 2^32: seq-hi becomes 1. */
static void out_esn(void **state)
{
	struct gw_sa *sa = sa_make(64);
	uint64_t s;

	(void)state;
	sa->hot.seq = GW_SEQ_MAX_32 - 1;
	assert_int_equal(gw_seq_out_next(sa, true, &s), GW_LIFE_OK);
	assert_int_equal(s, GW_SEQ_MAX_32);
	assert_int_equal(gw_seq_out_next(sa, true, &s), GW_LIFE_OK);
	assert_int_equal(s, hl(1, 0));
	assert_int_equal(gw_sa_state(sa), GW_SA_MATURE);
	sa->hot.seq = GW_SEQ_MAX_ESN - 1;
	assert_int_equal(gw_seq_out_next(sa, true, &s), GW_LIFE_OK);
	assert_int_equal(gw_seq_out_next(sa, true, &s), GW_LIFE_HARD_CROSSED);
	gw_sa_free(sa);
}

#define OUT_PER_THREAD 300000u

struct out_race {
	struct gw_sa *sa;
	uint8_t *used;
	unsigned failed; /* cmocka asserts only on the main thread */
};

static void *out_thread(void *p)
{
	struct out_race *o = p;
	uint32_t got = 0, n;
	uint64_t first, i;

	while (got < OUT_PER_THREAD) {
		n = (got / 7) % 2 ? 1 : 32;
		if (n > OUT_PER_THREAD - got)
			n = OUT_PER_THREAD - got;
		if (gw_seq_out_reserve(o->sa, false, &n, &first) != GW_LIFE_OK)
			__atomic_fetch_add(&o->failed, 1, __ATOMIC_RELAXED);
		for (i = first; i < first + n; i++)
			__atomic_fetch_add(&o->used[i], 1, __ATOMIC_RELAXED);
		got += n;
	}
	return NULL;
}

/* Two workers sending on one SA: no number twice, none skipped. */
static void out_two_workers(void **state)
{
	struct out_race o = { .sa = sa_make(64) };
	pthread_t t[2];
	uint64_t i;

	(void)state;
	o.used = calloc(2 * OUT_PER_THREAD + 1, 1);
	assert_non_null(o.used);
	assert_int_equal(pthread_create(&t[0], NULL, out_thread, &o), 0);
	assert_int_equal(pthread_create(&t[1], NULL, out_thread, &o), 0);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	assert_int_equal(o.failed, 0);
	assert_int_equal(o.used[0], 0);
	for (i = 1; i <= 2 * OUT_PER_THREAD; i++)
		assert_int_equal(o.used[i], 1);
	free(o.used);
	gw_sa_free(o.sa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		WINDOW_CASES(in_order),
		WINDOW_CASES(reorder_within_window),
		WINDOW_CASES(too_old),
		WINDOW_CASES(big_jump),
		WINDOW_CASES(bucket_boundaries),
		WINDOW_CASES(random_vs_model),
		WINDOW_CASES(esn_cases),
		WINDOW_CASES(esn_wrap_in_order),
		WINDOW_CASES(esn_random_vs_model),
		WINDOW_CASES(two_workers_same_numbers),
		WINDOW_CASES(run_vs_model),
		WINDOW_CASES(two_workers_same_runs),
		cmocka_unit_test(no_esn_wrap_refused),
		cmocka_unit_test(window_off),
		cmocka_unit_test(window_valid),
		cmocka_unit_test(out_starts_at_one),
		cmocka_unit_test(out_overflow_32),
		cmocka_unit_test(out_overflow_burst),
		cmocka_unit_test(out_soft_mark),
		cmocka_unit_test(out_esn),
		cmocka_unit_test(out_two_workers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SA lifetimes, lifebytes and the state machine (dataplane/lifetime.h,
 * lifetime.c), and the worker -> control events (dataplane/events.h,
 * events.c): soft lifebytes reported exactly once, the hard lifebytes
 * exact to the byte with two workers, use-lifetime counted from first
 * use, add-lifetime from installation, the packet path refusing after the
 * hard deadline before any control tick, transitions never repeated, the
 * event ring counting its losses without blocking, the ACQUIRE rate limit.
 * No EAL: the ring lives on posix_memalign memory.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"
#include "lifetime.h"
#include "replay.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

#define T0 1700000000 /* current-addtime of the test SAs */

static struct gw_sa *sa_make(const struct gw_sa_params *p)
{
	struct gw_sa_id id = {
		.spi = 0x2000, .src = IP(198, 18, 0, 1), .dst = IP(198, 18, 0, 2),
		.proto = IPPROTO_ESP, .dir = GW_SA_OUT,
	};
	struct gw_sa *sa = gw_sa_new(&id, p, 7, T0);

	assert_non_null(sa);
	assert_int_equal(gw_sa_state(sa), GW_SA_LARVAL);
	assert_true(gw_sa_make_mature(sa));
	assert_false(gw_sa_make_mature(sa));
	return sa;
}

static uint64_t cur_bytes(const struct gw_sa *sa)
{
	return __atomic_load_n(&sa->hot.bytes, __ATOMIC_RELAXED);
}

/* ---- lifebytes */

static void soft_bytes_once(void **state)
{
	struct gw_sa_params p = { .lifebytes_soft = 1000 };
	struct gw_sa *sa = sa_make(&p);
	int i;

	(void)state;
	for (i = 0; i < 9; i++)
		assert_int_equal(gw_sa_account(sa, 100, T0 + 1), GW_LIFE_OK);
	assert_int_equal(gw_sa_state(sa), GW_SA_MATURE);
	/* 900 -> 1000: this packet reaches the soft limit. */
	assert_int_equal(gw_sa_account(sa, 100, T0 + 1), GW_LIFE_SOFT_CROSSED);
	assert_int_equal(gw_sa_state(sa), GW_SA_DYING);
	for (i = 0; i < 100; i++)
		assert_int_equal(gw_sa_account(sa, 100, T0 + 1), GW_LIFE_OK);
	assert_int_equal(gw_sa_check_time(sa, T0 + 2), GW_EXPIRE_NONE);
	assert_int_equal(cur_bytes(sa), 11000);
	assert_int_equal(sa->hot.packets, 110);
	gw_sa_free(sa);
}

/* A packet that jumps over the soft limit also crosses it. */
static void soft_bytes_jumped(void **state)
{
	struct gw_sa_params p = { .lifebytes_soft = 1000 };
	struct gw_sa *sa = sa_make(&p);

	(void)state;
	assert_int_equal(gw_sa_account(sa, 999, T0), GW_LIFE_OK);
	assert_int_equal(gw_sa_account(sa, 1500, T0), GW_LIFE_SOFT_CROSSED);
	assert_int_equal(gw_sa_account(sa, 1500, T0), GW_LIFE_OK);
	gw_sa_free(sa);
}

static void hard_bytes_single(void **state)
{
	struct gw_sa_params p = { .lifebytes_soft = 500, .lifebytes_hard = 1000 };
	struct gw_sa *sa = sa_make(&p);

	(void)state;
	assert_int_equal(gw_sa_account(sa, 300, T0), GW_LIFE_OK);
	assert_int_equal(gw_sa_account(sa, 300, T0), GW_LIFE_SOFT_CROSSED);
	assert_int_equal(gw_sa_account(sa, 300, T0), GW_LIFE_OK);
	/* 900 + 300 > 1000: refused, counts nothing, the SA is dead. */
	assert_int_equal(gw_sa_account(sa, 300, T0), GW_LIFE_HARD_CROSSED);
	assert_int_equal(cur_bytes(sa), 900);
	assert_int_equal(sa->hot.packets, 3);
	assert_int_equal(gw_sa_state(sa), GW_SA_DEAD);
	/* Dead: even a packet that would fit is refused. */
	assert_int_equal(gw_sa_account(sa, 100, T0), GW_LIFE_HARD);
	assert_int_equal(cur_bytes(sa), 900);
	assert_int_equal(gw_sa_check_time(sa, T0 + 1), GW_EXPIRE_NONE);
	gw_sa_free(sa);
}

/* Landing exactly on the hard limit is allowed; the next packet, or the
 * next control tick, ends the SA, once. */
static void hard_bytes_exactly_reached(void **state)
{
	struct gw_sa_params p = { .lifebytes_hard = 900 };
	struct gw_sa *sa = sa_make(&p);
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(gw_sa_account(sa, 300, T0), GW_LIFE_OK);
	assert_int_equal(cur_bytes(sa), 900);
	assert_int_equal(gw_sa_state(sa), GW_SA_MATURE);
	assert_int_equal(gw_sa_check_time(sa, T0), GW_EXPIRE_HARD);
	assert_int_equal(gw_sa_check_time(sa, T0), GW_EXPIRE_NONE);
	assert_int_equal(gw_sa_account(sa, 1, T0), GW_LIFE_HARD);
	gw_sa_free(sa);
}

/* A burst is taken packet by packet: the prefix that fits passes. */
static void hard_bytes_burst_prefix(void **state)
{
	struct gw_sa_params p = { .lifebytes_hard = 1000 };
	struct gw_sa *sa = sa_make(&p);
	uint32_t len[] = { 300, 300, 300, 300, 50 };
	uint32_t ok;

	(void)state;
	assert_int_equal(gw_sa_account_burst(sa, len, 5, T0, &ok), GW_LIFE_HARD_CROSSED);
	assert_int_equal(ok, 3);
	assert_int_equal(cur_bytes(sa), 900);
	assert_int_equal(sa->hot.packets, 3);
	gw_sa_free(sa);

	sa = sa_make(&p);
	assert_int_equal(gw_sa_account_burst(sa, len, 3, T0, &ok), GW_LIFE_OK);
	assert_int_equal(ok, 3);
	assert_int_equal(gw_sa_account_burst(sa, len + 4, 1, T0, &ok), GW_LIFE_OK);
	assert_int_equal(cur_bytes(sa), 950);
	gw_sa_free(sa);
}

/* ---- two workers on one SA */

#define HARD_LIMIT 1000003u

struct bytes_race {
	struct gw_sa *sa;
	pthread_barrier_t bar;
	bool mixed, burst;
	/* per thread */
	uint64_t accepted[2];
	unsigned soft[2], hard_crossed[2];
	unsigned accepted_after_refusal[2];
};

struct bytes_arg {
	struct bytes_race *r;
	int id;
};

static uint32_t pkt_len(const struct bytes_race *r, uint64_t *rs)
{
	if (!r->mixed)
		return 100;
	*rs = *rs * 6364136223846793005ull + 1442695040888963407ull;
	return 40 + (uint32_t)(*rs >> 33) % 1461;
}

static void count(struct bytes_race *r, int id, enum gw_life res)
{
	r->soft[id] += res == GW_LIFE_SOFT_CROSSED;
	r->hard_crossed[id] += res == GW_LIFE_HARD_CROSSED;
}

/* Each worker sends until refused, then 1000 more: with one packet size,
 * none of those may pass. */
static void *bytes_thread(void *p)
{
	struct bytes_arg *a = p;
	struct bytes_race *r = a->r;
	uint64_t rs = (uint64_t)a->id + 1;
	int refused_more = 0;
	bool refused = false;

	pthread_barrier_wait(&r->bar);
	while (refused_more < 1000) {
		uint32_t len[8], ok, i, n = r->burst && a->id == 1 ? 8 : 1;
		enum gw_life res;

		for (i = 0; i < n; i++)
			len[i] = pkt_len(r, &rs);
		res = gw_sa_account_burst(r->sa, len, n, T0, &ok);
		count(r, a->id, res);
		for (i = 0; i < ok; i++)
			r->accepted[a->id] += len[i];
		if (ok > 0 && refused)
			r->accepted_after_refusal[a->id]++;
		if (ok < n)
			refused = true;
		refused_more += refused;
	}
	return NULL;
}

static void bytes_race_run(bool mixed, bool burst)
{
	struct gw_sa_params p = { .lifebytes_soft = HARD_LIMIT / 2, .lifebytes_hard = HARD_LIMIT };
	struct bytes_race r = { .sa = sa_make(&p), .mixed = mixed, .burst = burst };
	struct bytes_arg args[2] = { { &r, 0 }, { &r, 1 } };
	pthread_t t[2];
	uint64_t sum;
	int i;

	assert_int_equal(pthread_barrier_init(&r.bar, NULL, 2), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, bytes_thread, &args[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	sum = r.accepted[0] + r.accepted[1];
	assert_true(sum <= HARD_LIMIT);
	assert_int_equal(cur_bytes(r.sa), sum);
	if (!mixed)
		assert_int_equal(sum, HARD_LIMIT / 100 * 100); /* exact to the byte */
	else
		assert_true(sum > HARD_LIMIT - 1500);
	assert_int_equal(r.soft[0] + r.soft[1], 1);
	assert_int_equal(r.hard_crossed[0] + r.hard_crossed[1], 1);
	assert_int_equal(r.accepted_after_refusal[0] + r.accepted_after_refusal[1], 0);
	assert_int_equal(gw_sa_state(r.sa), GW_SA_DEAD);
	pthread_barrier_destroy(&r.bar);
	gw_sa_free(r.sa);
}

static void hard_bytes_two_workers(void **state)
{
	(void)state;
	bytes_race_run(false, false);
}

static void hard_bytes_two_workers_mixed(void **state)
{
	(void)state;
	bytes_race_run(true, false);
}

static void hard_bytes_two_workers_burst(void **state)
{
	(void)state;
	bytes_race_run(true, true);
}

/* Many short races right at the limit: each round two workers start
 * together on a reset SA with room for exactly 10 packets of 100 bytes. */
#define ROUNDS 5000

struct rounds {
	struct gw_sa *sa;
	pthread_barrier_t bar;
	uint64_t round_bytes[2];
	unsigned inexact, crossed;
};

struct rounds_arg {
	struct rounds *r;
	int id;
};

static void rounds_check_and_reset(struct rounds *r)
{
	uint64_t sum = r->round_bytes[0] + r->round_bytes[1];

	r->inexact += sum != 1000 || cur_bytes(r->sa) != 1000;
	r->sa->hot.bytes = 0;
	r->sa->hot.state = GW_SA_MATURE;
}

static void *rounds_thread(void *p)
{
	struct rounds_arg *a = p;
	struct rounds *r = a->r;
	enum gw_life res;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		pthread_barrier_wait(&r->bar);
		r->round_bytes[a->id] = 0;
		while (!gw_life_drop(res = gw_sa_account(r->sa, 100, T0)))
			r->round_bytes[a->id] += 100;
		if (res == GW_LIFE_HARD_CROSSED)
			__atomic_fetch_add(&r->crossed, 1, __ATOMIC_RELAXED);
		pthread_barrier_wait(&r->bar);
		if (a->id == 0)
			rounds_check_and_reset(r);
	}
	return NULL;
}

static void hard_bytes_race_rounds(void **state)
{
	struct gw_sa_params p = { .lifebytes_hard = 1000 };
	struct rounds r = { .sa = sa_make(&p) };
	struct rounds_arg args[2] = { { &r, 0 }, { &r, 1 } };
	pthread_t t[2];
	int i;

	(void)state;
	assert_int_equal(pthread_barrier_init(&r.bar, NULL, 2), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, rounds_thread, &args[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(r.inexact, 0);
	assert_int_equal(r.crossed, ROUNDS);
	pthread_barrier_destroy(&r.bar);
	gw_sa_free(r.sa);
}

/* The state CAS itself: two threads ask for the same transitions at the
 * same moment, round after round; exactly one wins each. */
static void *expire_thread(void *p)
{
	struct rounds_arg *a = p;
	struct rounds *r = a->r;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		unsigned won;

		pthread_barrier_wait(&r->bar);
		won = gw_sa_expire_soft(r->sa);
		won += gw_sa_expire_hard(r->sa);
		__atomic_fetch_add(&r->crossed, won, __ATOMIC_RELAXED);
		pthread_barrier_wait(&r->bar);
		if (a->id == 0)
			r->sa->hot.state = GW_SA_MATURE;
	}
	return NULL;
}

static void transitions_race_rounds(void **state)
{
	struct gw_sa_params p = { 0 };
	struct rounds r = { .sa = sa_make(&p) };
	struct rounds_arg args[2] = { { &r, 0 }, { &r, 1 } };
	pthread_t t[2];
	int i;

	(void)state;
	assert_int_equal(pthread_barrier_init(&r.bar, NULL, 2), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, expire_thread, &args[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(r.crossed, 2 * ROUNDS);
	pthread_barrier_destroy(&r.bar);
	gw_sa_free(r.sa);
}

/* ---- time */

static void add_lifetime(void **state)
{
	struct gw_sa_params p = { .add_soft = 100, .add_hard = 200 };
	struct gw_sa *sa = sa_make(&p);

	(void)state;
	assert_int_equal(gw_sa_check_time(sa, T0 + 99), GW_EXPIRE_NONE);
	assert_int_equal(gw_sa_check_time(sa, T0 + 100), GW_EXPIRE_SOFT);
	assert_int_equal(gw_sa_check_time(sa, T0 + 101), GW_EXPIRE_NONE);
	assert_int_equal(gw_sa_state(sa), GW_SA_DYING);
	/* A dying SA still carries traffic until its hard limit. */
	assert_int_equal(gw_sa_account(sa, 100, T0 + 199), GW_LIFE_OK);
	/* Past the hard add-lifetime the packet path refuses at once, before
	 * the control thread's next tick... */
	assert_int_equal(gw_sa_account(sa, 100, T0 + 200), GW_LIFE_HARD_CROSSED);
	assert_int_equal(gw_sa_state(sa), GW_SA_DEAD);
	/* ...which then has nothing more to report. */
	assert_int_equal(gw_sa_check_time(sa, T0 + 200), GW_EXPIRE_NONE);
	assert_int_equal(gw_sa_account(sa, 100, T0 + 201), GW_LIFE_HARD);
	assert_int_equal(cur_bytes(sa), 100);
	gw_sa_free(sa);
}

/* Soft and hard both passed between two ticks: only hard is reported. */
static void add_lifetime_missed_soft(void **state)
{
	struct gw_sa_params p = { .add_soft = 100, .add_hard = 200 };
	struct gw_sa *sa = sa_make(&p);

	(void)state;
	assert_int_equal(gw_sa_check_time(sa, T0 + 500), GW_EXPIRE_HARD);
	assert_int_equal(gw_sa_check_time(sa, T0 + 501), GW_EXPIRE_NONE);
	gw_sa_free(sa);
}

static void use_lifetime_from_first_use(void **state)
{
	struct gw_sa_params p = { .use_soft = 10, .use_hard = 20 };
	struct gw_sa *sa = sa_make(&p);

	(void)state;
	/* Never used: no use-lifetime runs, however long it waits. */
	assert_int_equal(gw_sa_check_time(sa, T0 + 100000), GW_EXPIRE_NONE);
	assert_int_equal(sa->hot.first_use, 0);
	assert_int_equal(gw_sa_account(sa, 64, T0 + 1000), GW_LIFE_OK);
	assert_int_equal(sa->hot.first_use, T0 + 1000);
	/* Later packets do not move current-usetime. */
	assert_int_equal(gw_sa_account(sa, 64, T0 + 1005), GW_LIFE_OK);
	assert_int_equal(sa->hot.first_use, T0 + 1000);
	assert_int_equal(gw_sa_check_time(sa, T0 + 1009), GW_EXPIRE_NONE);
	assert_int_equal(gw_sa_check_time(sa, T0 + 1010), GW_EXPIRE_SOFT);
	assert_int_equal(gw_sa_check_time(sa, T0 + 1011), GW_EXPIRE_NONE);
	assert_int_equal(gw_sa_account(sa, 64, T0 + 1019), GW_LIFE_OK);
	assert_int_equal(gw_sa_check_time(sa, T0 + 1020), GW_EXPIRE_HARD);
	assert_int_equal(gw_sa_check_time(sa, T0 + 1021), GW_EXPIRE_NONE);
	assert_int_equal(gw_sa_account(sa, 64, T0 + 1020), GW_LIFE_HARD);
	gw_sa_free(sa);
}

/* A refused packet is not a use. */
static void refused_packet_is_not_first_use(void **state)
{
	struct gw_sa_params p = { .add_hard = 5, .use_hard = 100 };
	struct gw_sa *sa = sa_make(&p);

	(void)state;
	assert_int_equal(gw_sa_account(sa, 64, T0 + 5), GW_LIFE_HARD_CROSSED);
	assert_int_equal(sa->hot.first_use, 0);
	assert_int_equal(cur_bytes(sa), 0);
	gw_sa_free(sa);
}

/* The packet-path deadline is the earlier of the two hard limits. */
static void hard_deadline(void **state)
{
	struct gw_sa_params p = { .add_hard = 3600, .use_hard = 60 };
	struct gw_sa *sa = sa_make(&p);

	(void)state;
	assert_int_equal(gw_sa_hard_deadline(sa), T0 + 3600);
	assert_int_equal(gw_sa_account(sa, 1, T0 + 10), GW_LIFE_OK);
	assert_int_equal(gw_sa_hard_deadline(sa), T0 + 70);
	assert_int_equal(gw_sa_account(sa, 1, T0 + 70), GW_LIFE_HARD_CROSSED);
	gw_sa_free(sa);

	p = (struct gw_sa_params){ .add_hard = UINT64_MAX };
	sa = sa_make(&p);
	assert_int_equal(gw_sa_hard_deadline(sa), INT64_MAX);
	assert_int_equal(gw_sa_account(sa, 1, INT64_MAX - 1), GW_LIFE_OK);
	gw_sa_free(sa);

	p = (struct gw_sa_params){ 0 };
	sa = sa_make(&p);
	assert_int_equal(gw_sa_hard_deadline(sa), INT64_MAX);
	assert_int_equal(gw_sa_check_time(sa, INT64_MAX - 1), GW_EXPIRE_NONE);
	gw_sa_free(sa);
}

/* ---- transitions never repeated, with workers and control racing */

struct trans_race {
	struct gw_sa *sa;
	pthread_barrier_t bar;
	unsigned soft[3], hard[3];
	unsigned went_back; /* the observer saw a state go backwards */
	bool done;
};

struct trans_arg {
	struct trans_race *r;
	int id;
};

/* The test's clock runs with the traffic: one second per 10000 bytes, so
 * the soft limits (1 MB, 100 s) and the hard one (200 s) are met by the
 * workers' packets and the control thread's ticks at the same moment. */
static int64_t trans_now(const struct trans_race *r)
{
	return T0 + (int64_t)(cur_bytes(r->sa) / 10000);
}

/* Workers 0 and 1: packets of 10 bytes, until refused 1000 times. */
static void *trans_worker(void *p)
{
	struct trans_arg *a = p;
	struct trans_race *r = a->r;
	int refused = 0;

	pthread_barrier_wait(&r->bar);
	while (refused < 1000) {
		enum gw_life res = gw_sa_account(r->sa, 10, trans_now(r));

		r->soft[a->id] += res == GW_LIFE_SOFT_CROSSED;
		r->hard[a->id] += res == GW_LIFE_HARD_CROSSED;
		refused += gw_life_drop(res);
	}
	return NULL;
}

/* Control: ticks as fast as it can until the SA is dead, and watches
 * that the state never goes back. */
static void *trans_control(void *p)
{
	struct trans_arg *a = p;
	struct trans_race *r = a->r;
	uint32_t last = GW_SA_MATURE, s;

	pthread_barrier_wait(&r->bar);
	do {
		enum gw_expire e = gw_sa_check_time(r->sa, trans_now(r));

		s = gw_sa_state(r->sa);
		r->soft[2] += e == GW_EXPIRE_SOFT;
		r->hard[2] += e == GW_EXPIRE_HARD;
		r->went_back += s < last;
		last = s;
	} while (s != GW_SA_DEAD);
	return NULL;
}

static void transitions_never_repeated(void **state)
{
	struct gw_sa_params p = { .lifebytes_soft = 1000000, .add_soft = 100, .add_hard = 200 };
	struct trans_race r = { 0 };
	struct trans_arg args[3] = { { &r, 0 }, { &r, 1 }, { &r, 2 } };
	pthread_t t[3];
	int i;

	(void)state;
	r.sa = sa_make(&p);
	assert_int_equal(pthread_barrier_init(&r.bar, NULL, 3), 0);
	assert_int_equal(pthread_create(&t[0], NULL, trans_worker, &args[0]), 0);
	assert_int_equal(pthread_create(&t[1], NULL, trans_worker, &args[1]), 0);
	assert_int_equal(pthread_create(&t[2], NULL, trans_control, &args[2]), 0);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(r.soft[0] + r.soft[1] + r.soft[2], 1);
	assert_int_equal(r.hard[0] + r.hard[1] + r.hard[2], 1);
	assert_int_equal(r.went_back, 0);
	assert_int_equal(gw_sa_state(r.sa), GW_SA_DEAD);
	/* The hard deadline is read before each packet: a worker may still
	 * pass one packet stamped a moment earlier. */
	assert_true(cur_bytes(r.sa) >= 2000000);
	print_message("soft reported by %s, hard by %s\n",
		      r.soft[2] ? "control" : "a worker", r.hard[2] ? "control" : "a worker");
	pthread_barrier_destroy(&r.bar);
	gw_sa_free(r.sa);
}

static void states_only_forward(void **state)
{
	struct gw_sa_params p = { 0 };
	struct gw_sa *sa = sa_make(&p);

	(void)state;
	assert_true(gw_sa_expire_soft(sa));
	assert_false(gw_sa_expire_soft(sa));
	assert_false(gw_sa_make_mature(sa));
	assert_true(gw_sa_expire_hard(sa));
	assert_false(gw_sa_expire_hard(sa));
	assert_false(gw_sa_expire_soft(sa));
	assert_int_equal(gw_sa_state(sa), GW_SA_DEAD);
	gw_sa_free(sa);
}

/* ---- which bytes count */

static void counted_bytes(void **state)
{
	(void)state;
	/* ESP, AES-CBC (IV 16) + HMAC-SHA1-96 (ICV 12): 84 bytes of inner
	 * packet + 10 padding + 2 trailer = 96 encrypted bytes. */
	assert_int_equal(gw_life_esp_bytes(8 + 16 + 96 + 12, 16, 12), 96);
	/* AES-GCM: IV 8, ICV 16. */
	assert_int_equal(gw_life_esp_bytes(8 + 8 + 64 + 16, 8, 16), 64);
	assert_int_equal(gw_life_esp_bytes(20, 16, 12), 0); /* runt */
	assert_int_equal(gw_life_ah_bytes(1400), 1400);
}

/* ---- events */

static struct gw_sa *expire_sa(void)
{
	struct gw_sa_params p = { 0 };

	return sa_make(&p);
}

static void ring_full_counts_loss(void **state)
{
	struct gw_events *q = gw_events_create("ev_full", 5);
	struct gw_sa *sa = expire_sa();
	struct gw_ev_acquire acq = { .policy_uid = 3, .src = IP(198, 18, 1, 5), .dst = IP(198, 18, 2, 9),
				     .sport = 1234, .dport = 80, .proto = IPPROTO_TCP };
	struct gw_event out[16];
	int i;

	(void)state;
	assert_non_null(q);
	for (i = 0; i < 4; i++)
		assert_true(gw_event_post_expire(q, sa, i % 2));
	assert_true(gw_event_post_acquire(q, &acq));
	/* Full: refused at once, counted per type, nothing blocks. */
	assert_false(gw_event_post_acquire(q, &acq));
	assert_false(gw_event_post_expire(q, sa, true));
	assert_false(gw_event_post_expire(q, sa, true));
	assert_int_equal(gw_events_lost(q, GW_EV_ACQUIRE), 1);
	assert_int_equal(gw_events_lost(q, GW_EV_EXPIRE_HARD), 2);
	assert_int_equal(gw_events_lost(q, GW_EV_EXPIRE_SOFT), 0);

	assert_int_equal(gw_events_drain(q, out, 16), 5);
	for (i = 0; i < 4; i++) {
		assert_int_equal(out[i].type, i % 2 ? GW_EV_EXPIRE_HARD : GW_EV_EXPIRE_SOFT);
		assert_true(gw_sa_id_equal(&out[i].sa, &sa->id));
	}
	assert_int_equal(out[4].type, GW_EV_ACQUIRE);
	assert_int_equal(out[4].acquire.policy_uid, 3);
	assert_int_equal(out[4].acquire.src, acq.src);
	assert_int_equal(out[4].acquire.dst, acq.dst);
	assert_int_equal(out[4].acquire.sport, 1234);
	assert_int_equal(out[4].acquire.dport, 80);
	assert_int_equal(out[4].acquire.proto, IPPROTO_TCP);
	assert_int_equal(gw_events_drain(q, out, 16), 0);
	assert_true(gw_event_post_acquire(q, &acq));
	assert_int_equal(gw_events_drain(q, out, 1), 1);
	gw_events_free(q);
	gw_sa_free(sa);
}

static void post_life_only_on_crossings(void **state)
{
	struct gw_events *q = gw_events_create("ev_life", 8);
	struct gw_sa *sa = expire_sa();
	struct gw_event out[8];

	(void)state;
	gw_event_post_life(q, sa, GW_LIFE_OK);
	gw_event_post_life(q, sa, GW_LIFE_HARD);
	gw_event_post_life(q, sa, GW_LIFE_SOFT_CROSSED);
	gw_event_post_life(q, sa, GW_LIFE_HARD_CROSSED);
	assert_int_equal(gw_events_drain(q, out, 8), 2);
	assert_int_equal(out[0].type, GW_EV_EXPIRE_SOFT);
	assert_int_equal(out[1].type, GW_EV_EXPIRE_HARD);
	assert_int_equal(out[1].sa.spi, 0x2000);
	assert_int_equal(out[1].sa.dir, GW_SA_OUT);
	gw_events_free(q);
	gw_sa_free(sa);
}

#define EV_PER_PRODUCER 200000

struct ev_race {
	struct gw_events *q;
	unsigned posted[2];
	unsigned finished; /* producers done */
};

struct ev_arg {
	struct ev_race *r;
	int id;
};

static void *ev_producer(void *p)
{
	struct ev_arg *a = p;
	struct gw_ev_acquire acq = { .policy_uid = (uint32_t)a->id };
	int i;

	for (i = 0; i < EV_PER_PRODUCER; i++) {
		acq.src = (uint32_t)i;
		a->r->posted[a->id] += gw_event_post_acquire(a->r->q, &acq);
	}
	__atomic_fetch_add(&a->r->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Two producers, one consumer: every event is delivered or counted lost,
 * and each producer's events arrive in order. */
static void ring_two_producers(void **state)
{
	struct ev_race r = { .q = gw_events_create("ev_mp", 64) };
	struct ev_arg args[2] = { { &r, 0 }, { &r, 1 } };
	uint32_t next[2] = { 0, 0 };
	unsigned got[2] = { 0, 0 }, k, n, disorder = 0;
	struct gw_event out[32];
	pthread_t t[2];
	bool done;
	int i;

	(void)state;
	assert_non_null(r.q);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, ev_producer, &args[i]), 0);
	do {
		/* Read "finished" before draining: once both are done, this
		 * drain sees every event they posted. */
		done = __atomic_load_n(&r.finished, __ATOMIC_ACQUIRE) == 2;
		n = gw_events_drain(r.q, out, 32);
		for (k = 0; k < n; k++) {
			uint32_t id = out[k].acquire.policy_uid;

			disorder += out[k].acquire.src < next[id];
			next[id] = out[k].acquire.src + 1;
			got[id]++;
		}
	} while (!done || n > 0);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(disorder, 0);
	assert_int_equal(got[0], r.posted[0]);
	assert_int_equal(got[1], r.posted[1]);
	assert_int_equal(got[0] + got[1] + gw_events_lost(r.q, GW_EV_ACQUIRE), 2 * EV_PER_PRODUCER);
	gw_events_free(r.q);
}

static void ring_create_bad(void **state)
{
	(void)state;
	assert_null(gw_events_create("ev_zero", 0));
	gw_events_free(NULL);
}

/* ---- ACQUIRE rate limit */

static void acquire_rate_limit(void **state)
{
	uint64_t last = 0, hz = 1000;

	(void)state;
	assert_true(gw_acquire_should_send(&last, 5000, hz));
	assert_int_equal(last, 5000);
	assert_false(gw_acquire_should_send(&last, 5001, hz));
	assert_false(gw_acquire_should_send(&last, 5999, hz));
	/* A core whose TSC lags a little behind the sender's. */
	assert_false(gw_acquire_should_send(&last, 4990, hz));
	assert_true(gw_acquire_should_send(&last, 6000, hz));
	assert_false(gw_acquire_should_send(&last, 6500, hz));
	assert_true(gw_acquire_should_send(&last, 100000, hz));
	/* "never" is 0; a TSC of 0 still records a send. */
	last = 0;
	assert_true(gw_acquire_should_send(&last, 0, hz));
	assert_false(gw_acquire_should_send(&last, 1, hz));
}

struct acq_race {
	uint64_t last;
	pthread_barrier_t bar;
	unsigned sent[2];
};

struct acq_arg {
	struct acq_race *r;
	int id;
};

/* Two workers ask on every tick of a shared clock, 100 seconds of 1000
 * ticks: exactly one ACQUIRE per second in total. */
static void *acq_thread(void *p)
{
	struct acq_arg *a = p;
	uint64_t now;

	for (now = 1000; now < 101000; now++) {
		if (now % 1000 == 0)
			pthread_barrier_wait(&a->r->bar);
		a->r->sent[a->id] += gw_acquire_should_send(&a->r->last, now, 1000);
	}
	return NULL;
}

static void acquire_rate_limit_two_workers(void **state)
{
	struct acq_race r = { 0 };
	struct acq_arg args[2] = { { &r, 0 }, { &r, 1 } };
	pthread_t t[2];
	int i;

	(void)state;
	assert_int_equal(pthread_barrier_init(&r.bar, NULL, 2), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, acq_thread, &args[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(r.sent[0] + r.sent[1], 100);
	pthread_barrier_destroy(&r.bar);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(soft_bytes_once),
		cmocka_unit_test(soft_bytes_jumped),
		cmocka_unit_test(hard_bytes_single),
		cmocka_unit_test(hard_bytes_exactly_reached),
		cmocka_unit_test(hard_bytes_burst_prefix),
		cmocka_unit_test(hard_bytes_two_workers),
		cmocka_unit_test(hard_bytes_two_workers_mixed),
		cmocka_unit_test(hard_bytes_two_workers_burst),
		cmocka_unit_test(hard_bytes_race_rounds),
		cmocka_unit_test(add_lifetime),
		cmocka_unit_test(add_lifetime_missed_soft),
		cmocka_unit_test(use_lifetime_from_first_use),
		cmocka_unit_test(refused_packet_is_not_first_use),
		cmocka_unit_test(hard_deadline),
		cmocka_unit_test(transitions_never_repeated),
		cmocka_unit_test(transitions_race_rounds),
		cmocka_unit_test(states_only_forward),
		cmocka_unit_test(counted_bytes),
		cmocka_unit_test(ring_full_counts_loss),
		cmocka_unit_test(post_life_only_on_crossings),
		cmocka_unit_test(ring_two_producers),
		cmocka_unit_test(ring_create_bad),
		cmocka_unit_test(acquire_rate_limit),
		cmocka_unit_test(acquire_rate_limit_two_workers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RCU publication with real reader threads (plain pthreads: rte_rcu_qsbr
 * works on ordinary memory, so no EAL, no hugepages, no root).
 *
 * Readers keep loading the published object and checking its canary and
 * payload while control publishes thousands of times; control poisons each
 * old object before freeing it, so a reader that could still see an object
 * after gw_rcu_publish returned would see the poison (and ASan would see a
 * use after free). Also: publish really waits for an online reader, does
 * not wait for an offline one, and the worker loop skeleton starts, lets
 * control publish while it polls or sleeps, and stops.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "rcu.h"
#include "tables.h"
#include "worker.h"

#define CANARY 0x600df00dcafef00dULL
#define POISON_BYTE 0xa5
#define PAYLOAD 6
#define N_READERS 2
#define N_PUBLISH 20000

struct obj {
	uint64_t canary;
	uint64_t gen;
	uint64_t payload[PAYLOAD];
};

static void *slot; /* the published pointer */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static struct obj *obj_new(uint64_t gen)
{
	struct obj *o = malloc(sizeof(*o));
	unsigned i;

	assert_non_null(o);
	o->canary = CANARY;
	o->gen = gen;
	for (i = 0; i < PAYLOAD; i++)
		o->payload[i] = gen * 31 + i;
	return o;
}

/* What control does with a retired object: poison, then free. */
static void obj_retire(struct obj *o)
{
	if (!o)
		return;
	memset(o, POISON_BYTE, sizeof(*o));
	free(o);
}

/*
 * The stress test keeps the last QUARANTINE retired objects poisoned before
 * it frees them: malloc would otherwise hand the same chunk straight back
 * for the next object, and a reader holding a stale pointer would see a
 * valid-looking newer object instead of the poison.
 */
#define QUARANTINE 512
static struct obj *quarantine[QUARANTINE];

static void obj_retire_quarantined(struct obj *o, uint64_t seq)
{
	struct obj **q = &quarantine[seq % QUARANTINE];

	if (*q)
		free(*q);
	memset(o, POISON_BYTE, sizeof(*o));
	*q = o;
}

static void quarantine_flush(void)
{
	unsigned i;

	for (i = 0; i < QUARANTINE; i++) {
		free(quarantine[i]);
		quarantine[i] = NULL;
	}
}

/* 0 if the object is whole; readers call it from their threads. */
static int obj_check(const struct obj *o)
{
	unsigned i;

	if (__atomic_load_n(&o->canary, __ATOMIC_RELAXED) != CANARY)
		return -1;
	for (i = 0; i < PAYLOAD; i++)
		if (__atomic_load_n(&o->payload[i], __ATOMIC_RELAXED) != o->gen * 31 + i)
			return -1;
	return 0;
}

/* ---- stress: readers against thousands of publishes */

struct reader {
	pthread_t th;
	struct gw_rcu *rcu;
	unsigned id;
	volatile bool *stop;
	uint64_t reads, bad, backwards, gens_seen;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	uint64_t last = 0;

	if (gw_rcu_register(rd->rcu, rd->id) != 0) {
		rd->bad++;
		return NULL;
	}
	gw_rcu_online(rd->rcu, rd->id);
	while (!*rd->stop) {
		const struct obj *o = gw_rcu_read(&slot);
		unsigned k;

		/* Hold the pointer for a while, checking it again and again:
		 * an early free would land inside this window. */
		for (k = 0; k < 16; k++)
			rd->bad += obj_check(o) != 0;
		rd->backwards += o->gen < last;
		rd->gens_seen += o->gen != last;
		last = o->gen;
		__atomic_store_n(&rd->reads, rd->reads + 1, __ATOMIC_RELAXED);
		gw_rcu_quiescent(rd->rcu, rd->id);
		/* 2 cores, 3 threads: let control run to end its grace period. */
		if ((rd->reads & 15) == 0)
			sched_yield();
	}
	gw_rcu_offline(rd->rcu, rd->id);
	gw_rcu_unregister(rd->rcu, rd->id);
	return NULL;
}

static void test_publish_stress(void **state)
{
	struct gw_rcu *rcu = gw_rcu_create(N_READERS);
	struct reader rd[N_READERS];
	volatile bool stop = false;
	uint64_t t0, i;
	unsigned k;
	(void)state;

	assert_non_null(rcu);
	slot = obj_new(1);
	memset(rd, 0, sizeof(rd));
	for (k = 0; k < N_READERS; k++) {
		rd[k] = (struct reader){.rcu = rcu, .id = k, .stop = &stop};
		assert_int_equal(pthread_create(&rd[k].th, NULL, reader_main, &rd[k]), 0);
	}
	/* Readers must be in their loops before the swaps begin. */
	for (k = 0; k < N_READERS; k++)
		while (__atomic_load_n(&rd[k].reads, __ATOMIC_RELAXED) == 0)
			sleep_ms(1);
	t0 = now_ns();
	for (i = 2; i <= N_PUBLISH + 1; i++) {
		obj_retire_quarantined(gw_rcu_publish(rcu, &slot, obj_new(i)), i);
		/* A correct publish sleeps while readers run; this keeps the
		 * readers running even if it did not, so a broken grace
		 * period shows up as poison rather than as idle readers. */
		if (i % 16 == 0)
			sched_yield();
	}
	stop = true;
	for (k = 0; k < N_READERS; k++) {
		pthread_join(rd[k].th, NULL);
		print_message("reader %u: %lu reads, %lu generations seen\n", k,
			      (unsigned long)rd[k].reads, (unsigned long)rd[k].gens_seen);
		assert_int_equal(rd[k].bad, 0);
		assert_int_equal(rd[k].backwards, 0);
		assert_true(rd[k].reads > 0);
	}
	print_message("%d publishes in %.2f s (%lu slow grace periods)\n", N_PUBLISH,
		      (double)(now_ns() - t0) / 1e9, (unsigned long)rcu->slow_waits);
	assert_int_equal(((struct obj *)slot)->gen, N_PUBLISH + 1);
	obj_retire(slot);
	slot = NULL;
	quarantine_flush();
	gw_rcu_free(rcu);
}

/* ---- publish waits for an online reader, and only for it */

struct publisher {
	pthread_t th;
	struct gw_rcu *rcu;
	struct obj *next;
	void *old;
	bool done;
};

static void *publisher_main(void *arg)
{
	struct publisher *p = arg;

	p->old = gw_rcu_publish(p->rcu, &slot, p->next);
	__atomic_store_n(&p->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static bool wait_done(const struct publisher *p, unsigned ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000ULL;

	while (!__atomic_load_n(&p->done, __ATOMIC_ACQUIRE) && now_ns() < end)
		sleep_ms(1);
	return __atomic_load_n(&p->done, __ATOMIC_ACQUIRE);
}

static void test_publish_waits_for_online_reader(void **state)
{
	struct gw_rcu *rcu = gw_rcu_create(2);
	struct publisher pub = {.rcu = rcu};
	struct obj *first = obj_new(1);
	const struct obj *held;
	(void)state;

	slot = first;
	assert_int_equal(gw_rcu_register(rcu, 1), 0);
	gw_rcu_online(rcu, 1);
	held = gw_rcu_read(&slot);  /* this thread is reader 1 and holds it */
	pub.next = obj_new(2);
	assert_int_equal(pthread_create(&pub.th, NULL, publisher_main, &pub), 0);
	assert_false(wait_done(&pub, 100));
	assert_int_equal(obj_check(held), 0);  /* not freed under our feet */
	assert_ptr_equal(gw_rcu_read(&slot), pub.next); /* but already swapped */
	gw_rcu_quiescent(rcu, 1);
	assert_true(wait_done(&pub, 5000));
	pthread_join(pub.th, NULL);
	assert_ptr_equal(pub.old, first);
	obj_retire(pub.old);
	gw_rcu_offline(rcu, 1);
	gw_rcu_unregister(rcu, 1);
	obj_retire(slot);
	slot = NULL;
	gw_rcu_free(rcu);
}

static void test_offline_reader_does_not_block(void **state)
{
	struct gw_rcu *rcu = gw_rcu_create(3);
	uint64_t t0;
	unsigned i;
	(void)state;

	slot = obj_new(1);
	/* reader 0 goes offline (as a sleeping worker does) and stays there;
	 * reader 2 is registered but never came online. */
	assert_int_equal(gw_rcu_register(rcu, 0), 0);
	assert_int_equal(gw_rcu_register(rcu, 2), 0);
	gw_rcu_online(rcu, 0);
	assert_int_equal(obj_check(gw_rcu_read(&slot)), 0);
	gw_rcu_offline(rcu, 0);
	t0 = now_ns();
	for (i = 2; i <= 1000; i++)
		obj_retire(gw_rcu_publish(rcu, &slot, obj_new(i)));
	assert_true(now_ns() - t0 < 1000000000ULL);
	/* back online, it sees the latest object */
	gw_rcu_online(rcu, 0);
	assert_int_equal(((const struct obj *)gw_rcu_read(&slot))->gen, 1000);
	gw_rcu_offline(rcu, 0);
	assert_int_equal(gw_rcu_unregister(rcu, 0), 0);
	assert_int_equal(gw_rcu_unregister(rcu, 2), 0);
	assert_int_equal(gw_rcu_register(rcu, 3), -EINVAL); /* out of range */
	obj_retire(slot);
	slot = NULL;
	gw_rcu_free(rcu);
}

/* ---- the worker loop skeleton, without ports */

struct worker_run {
	pthread_t th;
	struct gw_worker w;
	int rc;
};

static void *worker_thread(void *arg)
{
	struct worker_run *run = arg;

	run->rc = gw_worker_main(&run->w);
	return NULL;
}

/* Publish tables while a worker polls (busy or sleeping), then stop it. */
static void run_worker(uint32_t idle_sleep_us)
{
	struct gw_rcu *rcu = gw_rcu_create(1);
	struct gw_worker_counters *ctr = gw_worker_counters_alloc(1);
	struct gw_tables *live = calloc(1, sizeof(*live));
	struct worker_run run;
	volatile bool stop = false;
	struct gw_counters sum;
	unsigned i;

	memset(&run, 0, sizeof(run));
	run.w = (struct gw_worker){.id = 0, .rcu = rcu, .tables_slot = &live, .stop = &stop,
				   .idle_sleep_us = idle_sleep_us, .burst = 32, .counters = ctr};
	assert_int_equal(pthread_create(&run.th, NULL, worker_thread, &run), 0);
	for (i = 0; i < 2000; i++) {
		struct gw_tables *next = calloc(1, sizeof(*next));

		next->generation = i + 1;
		free(gw_rcu_publish(rcu, (void **)&live, next));
		if (i % 500 == 0)
			sleep_ms(5); /* let it reach its idle sleep */
	}
	stop = true;
	pthread_join(run.th, NULL);
	assert_int_equal(run.rc, 0);
	/* unregistered on exit: control does not wait for a stopped worker */
	free(gw_rcu_publish(rcu, (void **)&live, NULL));
	gw_worker_counters_sum(ctr, 1, &sum);
	assert_int_equal(sum.in_accept, 0);
	gw_worker_counters_free(ctr);
	gw_rcu_free(rcu);
}

static void test_worker_sleeping(void **state)
{
	(void)state;
	run_worker(200);
}

static void test_worker_busy(void **state)
{
	(void)state;
	run_worker(0);
}

static void test_worker_setup(void **state)
{
	struct gw_worker w;
	unsigned i;
	(void)state;

	memset(&w, 0, sizeof(w));
	for (i = 0; i < GW_WORKER_MAX_RX; i++)
		assert_int_equal(gw_worker_add_rx(&w, (uint16_t)(i % 4), (uint16_t)(i / 4)), 0);
	assert_int_equal(gw_worker_add_rx(&w, 0, 99), -ENOSPC);
	assert_int_equal(w.n_rx, GW_WORKER_MAX_RX);
	assert_int_equal(w.ports[5], 1);
	assert_int_equal(w.queues[5], 1);
	assert_int_equal(gw_worker_main(&w), -EINVAL); /* no rcu, slot, stop, counters */
	assert_int_equal(gw_worker_main(NULL), -EINVAL);
}

/* An id beyond the per-policy counter slots is refused, not run. */
static void test_worker_id_range(void **state)
{
	struct gw_rcu *rcu = gw_rcu_create(GW_MAX_WORKERS + 1);
	struct gw_worker_counters *ctr = gw_worker_counters_alloc(1);
	struct gw_tables *live = NULL;
	volatile bool stop = true;
	struct gw_worker w = {.id = GW_MAX_WORKERS, .rcu = rcu, .tables_slot = &live,
			      .stop = &stop, .counters = ctr};
	(void)state;

	assert_int_equal(gw_worker_main(&w), -EINVAL);
	w.id = GW_MAX_WORKERS - 1;
	assert_int_equal(gw_worker_main(&w), 0); /* stop already set: in and out */
	gw_worker_counters_free(ctr);
	gw_rcu_free(rcu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish_stress),
		cmocka_unit_test(test_publish_waits_for_online_reader),
		cmocka_unit_test(test_offline_reader_does_not_block),
		cmocka_unit_test(test_worker_setup),
		cmocka_unit_test(test_worker_id_range),
		cmocka_unit_test(test_worker_sleeping),
		cmocka_unit_test(test_worker_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

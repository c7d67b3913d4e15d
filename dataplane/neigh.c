/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbours: the IPv4 -> MAC table (control writes, workers read without
 * locks), the ring on which workers ask for unresolved next hops, and ARP
 * (RFC 826) on the control thread.
 *
 * The table is open addressing with linear probing over at most
 * GW_NEIGH_PROBE slots. A removed entry becomes FREE but keeps its address,
 * so the probe chains of other addresses stay intact; a FREE slot is reused
 * for the next new address in its window. Every entry update is one seqlock
 * write section, so a reader sees the old or the new (ip, mac, state), never
 * a mix, even when a slot changes owner.
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "l3.h"

#define SEQLOCK_TRIES 4 /* reader retries before it calls a busy entry a miss */

/* ---- entry encoding */

static uint64_t val_pack(const struct rte_ether_addr *mac, enum gw_neigh_state state, uint16_t ifidx)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		v |= (uint64_t)mac->addr_bytes[i] << (8 * i);
	return v | (uint64_t)state << 48 | (uint64_t)(ifidx & 0xff) << 56;
}

static void val_mac(uint64_t v, struct rte_ether_addr *mac)
{
	unsigned i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		mac->addr_bytes[i] = (uint8_t)(v >> (8 * i));
}

static enum gw_neigh_state val_state(uint64_t v)
{
	return (enum gw_neigh_state)((v >> 48) & 0xff);
}

static uint16_t val_ifidx(uint64_t v)
{
	return (uint16_t)(v >> 56);
}

/* ---- seqlock (Boehm, "Can seqlocks get along with programming language
 * memory models?", 2012: relaxed data accesses between the fences). */

static void entry_write(struct gw_neigh_entry *e, uint32_t ip, uint64_t val, uint64_t confirmed)
{
	uint32_t s = e->seq; /* single writer */

	__atomic_store_n(&e->seq, s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&e->ip, ip, __ATOMIC_RELAXED);
	__atomic_store_n(&e->val, val, __ATOMIC_RELAXED);
	__atomic_store_n(&e->confirmed, confirmed, __ATOMIC_RELAXED);
	__atomic_store_n(&e->seq, s + 2, __ATOMIC_RELEASE);
}

static bool entry_read(const struct gw_neigh_entry *e, uint32_t *ip, uint64_t *val, uint64_t *confirmed)
{
	unsigned tries;

	for (tries = 0; tries < SEQLOCK_TRIES; tries++) {
		uint32_t s = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);

		if (s & 1) {
			rte_pause();
			continue;
		}
		*ip = __atomic_load_n(&e->ip, __ATOMIC_RELAXED);
		*val = __atomic_load_n(&e->val, __ATOMIC_RELAXED);
		*confirmed = __atomic_load_n(&e->confirmed, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) == s)
			return true;
	}
	return false;
}

/* ---- table */

struct gw_neigh_table *gw_neigh_create(unsigned slots, int socket_id)
{
	struct gw_neigh_table *t;
	uint64_t hz = rte_get_tsc_hz();

	if (slots < 64 || !rte_is_power_of_2(slots))
		return NULL;
	t = rte_zmalloc_socket("gw_neigh", sizeof(*t) + slots * sizeof(t->e[0]), RTE_CACHE_LINE_SIZE,
			       socket_id);
	if (t == NULL)
		return NULL;
	t->mask = slots - 1;
	t->reachable_cycles = 30 * hz;
	t->expire_cycles = 60 * hz;
	t->incomplete_cycles = 3 * hz;
	t->request_cycles = hz;
	return t;
}

void gw_neigh_free(struct gw_neigh_table *t)
{
	rte_free(t);
}

/* Writer's search: the slot holding ip (live), or -1; *free_slot is the first
 * FREE slot of the window (where ip would go), or -1. */
static int slot_find(const struct gw_neigh_table *t, uint32_t ip, int *free_slot)
{
	uint32_t h = gw_neigh_hash(t, ip);
	unsigned i;

	*free_slot = -1;
	for (i = 0; i < GW_NEIGH_PROBE; i++) {
		uint32_t idx = (h + i) & t->mask;
		const struct gw_neigh_entry *e = &t->e[idx];
		bool is_free = val_state(e->val) == GW_NEIGH_FREE;

		if (e->ip == ip && !is_free)
			return (int)idx;
		if (is_free && *free_slot < 0)
			*free_slot = (int)idx;
		if (e->ip == 0)
			break; /* never used: no chain goes further */
	}
	return -1;
}

/* Time since `then`, 0 if `then` is later than `now`: a worker samples the
 * TSC once per burst, so control may stamp an entry after that sample (or
 * on a core whose TSC runs a little ahead). */
static uint64_t since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static bool due(uint64_t now, uint64_t then, uint64_t interval)
{
	return then == 0 || since(now, then) >= interval;
}

/* What a worker does with a live entry. */
static unsigned entry_verdict(const struct gw_neigh_table *t, const struct gw_neigh_entry *e, uint64_t val,
			      uint64_t confirmed, uint16_t ifidx, uint64_t now, struct rte_ether_addr *mac)
{
	uint64_t requested = __atomic_load_n(&e->requested, __ATOMIC_RELAXED);
	unsigned punt = due(now, requested, t->request_cycles) ? GW_NEIGH_PUNT : 0;
	uint64_t age = since(now, confirmed);

	if (val_state(val) != GW_NEIGH_REACHABLE || val_ifidx(val) != ifidx || age >= t->expire_cycles)
		return punt;
	val_mac(val, mac);
	/* Still in use after the reachable time: keep sending, ask for a refresh. */
	return GW_NEIGH_HAVE_MAC | (age >= t->reachable_cycles ? punt : 0);
}

unsigned gw_neigh_lookup(const struct gw_neigh_table *t, uint32_t ip, uint16_t ifidx, uint64_t now,
			 struct rte_ether_addr *mac)
{
	uint32_t h = gw_neigh_hash(t, ip);
	unsigned i;

	for (i = 0; i < GW_NEIGH_PROBE; i++) {
		const struct gw_neigh_entry *e = &t->e[(h + i) & t->mask];
		uint32_t eip;
		uint64_t val, confirmed;
		unsigned tries = 0;

		/* Control is mid-update: its write is a few stores, so read again
		 * rather than drop the burst to this next hop as no-arp. */
		while (!entry_read(e, &eip, &val, &confirmed))
			if (++tries == 64)
				return 0;
		if (eip == 0)
			break;
		if (eip == ip && val_state(val) != GW_NEIGH_FREE)
			return entry_verdict(t, e, val, confirmed, ifidx, now, mac);
	}
	return GW_NEIGH_PUNT;
}

int gw_neigh_learn(struct gw_neigh_table *t, uint32_t ip, uint16_t ifidx, const struct rte_ether_addr *mac,
		   uint64_t now, bool create)
{
	int idx, free_slot;

	idx = slot_find(t, ip, &free_slot);
	if (idx < 0) {
		if (!create)
			return -ENOENT;
		if (free_slot < 0)
			return -ENOSPC;
		idx = free_slot;
		__atomic_store_n(&t->e[idx].requested, 0, __ATOMIC_RELAXED);
		t->n_used++;
	}
	entry_write(&t->e[idx], ip, val_pack(mac, GW_NEIGH_REACHABLE, ifidx), now);
	return 0;
}

int gw_neigh_want_request(struct gw_neigh_table *t, uint32_t ip, uint16_t ifidx, uint64_t now)
{
	static const struct rte_ether_addr zero;
	int idx, free_slot;

	idx = slot_find(t, ip, &free_slot);
	if (idx >= 0) {
		if (!due(now, t->e[idx].requested, t->request_cycles))
			return -EAGAIN;
	} else {
		if (free_slot < 0)
			return -ENOSPC;
		idx = free_slot;
		entry_write(&t->e[idx], ip, val_pack(&zero, GW_NEIGH_INCOMPLETE, ifidx), 0);
		t->n_used++;
	}
	__atomic_store_n(&t->e[idx].requested, now, __ATOMIC_RELAXED);
	return 0;
}

static void entry_remove(struct gw_neigh_table *t, struct gw_neigh_entry *e)
{
	static const struct rte_ether_addr zero;

	/* Keep ip: the slot still links the probe chain through it. */
	entry_write(e, e->ip, val_pack(&zero, GW_NEIGH_FREE, 0), 0);
	__atomic_store_n(&e->requested, 0, __ATOMIC_RELAXED);
	t->n_used--;
}

static bool entry_expired(const struct gw_neigh_table *t, const struct gw_neigh_entry *e, uint64_t now)
{
	switch (val_state(e->val)) {
	case GW_NEIGH_INCOMPLETE:
		return now - e->requested >= t->incomplete_cycles;
	case GW_NEIGH_REACHABLE:
		return now - e->confirmed >= t->expire_cycles;
	default:
		return false;
	}
}

unsigned gw_neigh_age(struct gw_neigh_table *t, uint64_t now)
{
	unsigned removed = 0;
	uint32_t i;

	for (i = 0; i <= t->mask; i++)
		if (entry_expired(t, &t->e[i], now)) {
			entry_remove(t, &t->e[i]);
			removed++;
		}
	return removed;
}

void gw_neigh_flush(struct gw_neigh_table *t)
{
	uint32_t i;

	for (i = 0; i <= t->mask; i++)
		if (val_state(t->e[i].val) != GW_NEIGH_FREE)
			entry_remove(t, &t->e[i]);
}

unsigned gw_neigh_dump(const struct gw_neigh_table *t, uint64_t now, struct gw_neigh_view *out, unsigned max)
{
	uint64_t hz = rte_get_tsc_hz();
	unsigned n = 0;
	uint32_t i;

	for (i = 0; i <= t->mask; i++) {
		const struct gw_neigh_entry *e = &t->e[i];
		enum gw_neigh_state st = val_state(e->val);
		uint64_t since;

		if (st == GW_NEIGH_FREE)
			continue;
		if (n < max) {
			since = st == GW_NEIGH_REACHABLE ? e->confirmed : e->requested;
			out[n].ip = e->ip;
			val_mac(e->val, &out[n].mac);
			out[n].ifidx = val_ifidx(e->val);
			out[n].state = st;
			out[n].age_ms = (now - since) * 1000 / hz;
		}
		n++;
	}
	return n;
}

struct rte_ring *gw_neigh_ring_create(const char *name, unsigned count, int socket_id)
{
	return rte_ring_create_elem(name, sizeof(struct gw_neigh_req), count, socket_id, RING_F_SC_DEQ);
}

/* ---- ARP (RFC 826) */

struct arp_frame {
	struct rte_ether_hdr eth;
	struct rte_arp_hdr arp;
} __rte_packed __rte_aligned(2);

static bool in_prefix(uint32_t ip, uint32_t net, unsigned plen)
{
	uint32_t mask = gw_prefix_mask(plen);

	return (ip & mask) == (net & mask);
}

/* Ethernet/IPv4 ARP of a known opcode, whole in the first segment. */
static bool arp_valid(const struct rte_mbuf *m)
{
	const struct arp_frame *f = rte_pktmbuf_mtod(m, const struct arp_frame *);
	struct rte_ether_addr sha;
	uint16_t op;

	if (rte_pktmbuf_data_len(m) < sizeof(*f) || f->eth.ether_type != RTE_BE16(RTE_ETHER_TYPE_ARP))
		return false;
	if (f->arp.arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    f->arp.arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || f->arp.arp_hlen != RTE_ETHER_ADDR_LEN ||
	    f->arp.arp_plen != 4)
		return false;
	op = rte_be_to_cpu_16(f->arp.arp_opcode);
	if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY)
		return false;
	sha = f->arp.arp_data.arp_sha;
	return rte_is_unicast_ether_addr(&sha) && !rte_is_zero_ether_addr(&sha);
}

/* Someone we may keep an entry for: a host of the port's connected prefix. */
static bool sender_learnable(const struct gw_l3_if *ifp, uint32_t sip)
{
	return sip != 0 && sip != ifp->addr && in_prefix(sip, ifp->addr, ifp->plen);
}

static void arp_learn(struct gw_l3_ctx *ctx, uint16_t ifidx, const struct rte_ether_addr *sha, uint32_t sip,
		      bool for_us)
{
	/* RFC 826: merge into an existing entry; add one only if we are the target. */
	int rc = gw_neigh_learn(ctx->neigh, sip, ifidx, sha, ctx->now, for_us);

	if (rc == 0)
		gw_l3_count_event(ctx, GW_L3_EV_ARP_LEARNED, 1);
	else if (rc == -ENOSPC)
		gw_l3_count_event(ctx, GW_L3_EV_NEIGH_TABLE_FULL, 1);
}

/* The request becomes our reply, in place (RFC 826 "swap fields"). */
static void arp_make_reply(const struct gw_l3_if *ifp, struct arp_frame *f)
{
	struct rte_ether_addr sha = f->arp.arp_data.arp_sha;
	uint32_t sip = f->arp.arp_data.arp_sip;

	f->eth.dst_addr = sha;
	f->eth.src_addr = ifp->mac;
	f->arp.arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	f->arp.arp_data.arp_tha = sha;
	f->arp.arp_data.arp_tip = sip;
	f->arp.arp_data.arp_sha = ifp->mac;
	f->arp.arp_data.arp_sip = rte_cpu_to_be_32(ifp->addr);
}

struct rte_mbuf *gw_arp_input(struct gw_l3_ctx *ctx, struct rte_mbuf *m)
{
	int ifidx = ctx->fib != NULL ? gw_l3_if_of_port(ctx->fib, m->port) : -1;
	const struct gw_l3_if *ifp;
	struct arp_frame *f;
	uint32_t sip, tip;
	bool for_us;

	if (ifidx < 0) {
		gw_l3_count_drop(ctx, GW_L3_DROP_OTHER_HOST, 1);
		goto drop;
	}
	if (!arp_valid(m)) {
		gw_l3_count_drop(ctx, GW_L3_DROP_MALFORMED, 1);
		goto drop;
	}
	ifp = &ctx->fib->ifs[ifidx];
	f = rte_pktmbuf_mtod(m, struct arp_frame *);
	sip = rte_be_to_cpu_32(f->arp.arp_data.arp_sip);
	tip = rte_be_to_cpu_32(f->arp.arp_data.arp_tip);
	for_us = tip == ifp->addr;
	if (sender_learnable(ifp, sip)) {
		struct rte_ether_addr sha = f->arp.arp_data.arp_sha;

		arp_learn(ctx, (uint16_t)ifidx, &sha, sip, for_us);
	}
	if (for_us && f->arp.arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST)) {
		arp_make_reply(ifp, f);
		m->l2_len = sizeof(f->eth);
		m->ol_flags = 0;
		gw_l3_count_event(ctx, GW_L3_EV_ARP_REPLIES, 1);
		return m;
	}
	if (!for_us)
		gw_l3_count_event(ctx, GW_L3_EV_ARP_IGNORED, 1);
drop:
	rte_pktmbuf_free(m);
	return NULL;
}

static void arp_fill_request(const struct gw_l3_if *ifp, uint32_t ip, struct arp_frame *f)
{
	memset(&f->eth.dst_addr, 0xff, sizeof(f->eth.dst_addr));
	f->eth.src_addr = ifp->mac;
	f->eth.ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	f->arp.arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	f->arp.arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	f->arp.arp_hlen = RTE_ETHER_ADDR_LEN;
	f->arp.arp_plen = 4;
	f->arp.arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	f->arp.arp_data.arp_sha = ifp->mac;
	f->arp.arp_data.arp_sip = rte_cpu_to_be_32(ifp->addr);
	f->arp.arp_data.arp_tip = rte_cpu_to_be_32(ip);
}

int gw_arp_request(struct gw_l3_ctx *ctx, uint16_t ifidx, uint32_t ip, struct rte_mbuf *m)
{
	const unsigned frame_len = RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN; /* 60: padded */
	const struct gw_l3_if *ifp;
	uint8_t *p;
	int rc;

	if (ctx->fib == NULL || ifidx >= ctx->fib->n_ifs || rte_pktmbuf_pkt_len(m) != 0 ||
	    rte_pktmbuf_tailroom(m) < frame_len)
		return -EINVAL;
	ifp = &ctx->fib->ifs[ifidx];
	if (!sender_learnable(ifp, ip))
		return -EINVAL;
	rc = gw_neigh_want_request(ctx->neigh, ip, ifidx, ctx->now);
	if (rc != 0) {
		gw_l3_count_event(ctx, rc == -EAGAIN ? GW_L3_EV_ARP_RATE_LIMITED : GW_L3_EV_NEIGH_TABLE_FULL, 1);
		return rc;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)frame_len);
	if (p == NULL)
		return -EINVAL; /* cannot happen: tailroom checked */
	memset(p, 0, frame_len);
	arp_fill_request(ifp, ip, (struct arp_frame *)p);
	m->l2_len = sizeof(struct rte_ether_hdr);
	gw_l3_count_event(ctx, GW_L3_EV_ARP_REQUESTS, 1);
	return 0;
}

static unsigned drain_one(struct gw_l3_ctx *ctx, struct rte_mempool *mp, const struct gw_neigh_req *req)
{
	struct rte_mbuf *m;

	if (req->ifidx >= ctx->fib->n_ifs)
		return 0; /* from a FIB that was replaced meanwhile */
	m = rte_pktmbuf_alloc(mp);
	if (m == NULL) {
		gw_l3_count_drop(ctx, GW_L3_DROP_NO_MBUF, 1);
		return 0;
	}
	if (gw_arp_request(ctx, req->ifidx, req->ip, m) != 0) {
		rte_pktmbuf_free(m);
		return 0;
	}
	gw_l3_tx_enqueue(ctx, ctx->fib->ifs[req->ifidx].port_id, m);
	return 1;
}

unsigned gw_neigh_drain(struct gw_l3_ctx *ctx, struct rte_mempool *mp, unsigned max)
{
	struct gw_neigh_req req[32];
	unsigned done = 0, sent = 0, i, k;

	if (ctx->fib == NULL || ctx->neigh_ring == NULL)
		return 0;
	while (done < max) {
		k = rte_ring_sc_dequeue_burst_elem(ctx->neigh_ring, req, sizeof(req[0]),
						   RTE_MIN(max - done, (unsigned)RTE_DIM(req)), NULL);
		if (k == 0)
			break;
		for (i = 0; i < k; i++)
			sent += drain_one(ctx, mp, &req[i]);
		done += k;
	}
	return sent;
}

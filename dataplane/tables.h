/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tables the workers read, as one immutable generation: SPD + SAD.
 *
 * Control builds a new generation from the config (reusing unchanged SA
 * objects and every policy's stats block), publishes it with gw_rcu_publish,
 * and after the grace period retires the old one, which frees exactly what
 * the new generation no longer references. A failed or discarded build is
 * undone the same way: gw_tables_retire(new, prev).
 *
 * Also here: the per-worker global counters (`counters print`) and the
 * named per-reason drop counters.
 */
#ifndef IPSECGW_TABLES_H
#define IPSECGW_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "fields.h"
#include "model.h"
#include "sa.h"
#include "spd.h"
#include "views.h"

struct gw_fib;

struct gw_tables {
	uint64_t generation; /* 1 for the first build, +1 per rebuild */
	struct gw_spd *spd;
	struct gw_sad *sad;
	/* Interfaces and routes (l3.h). Built by control from the config and
	 * the opened ports; shared by successive generations until interfaces
	 * or routes change (an rte_lpm is large, so it is not rebuilt for a
	 * policy edit). NULL in tables built without ports (unit tests). */
	struct gw_fib *fib;
};

/*
 * Build immutable tables from a validated config. SAs of prev (may be NULL)
 * whose identity and parameters are unchanged are reused with their hot
 * state, unless flush_sas (`installed-sa flush`); policy stats blocks are
 * reused by uid. NULL with err set on failure (prev is untouched).
 */
struct gw_tables *gw_tables_build(const struct gw_config *c, const struct gw_tables *prev,
				  bool flush_sas, struct gw_err *err);
/* The same with the SAs IKE negotiated (owned by the caller, who must not
 * free one before the tables that hold it are retired): they join the SAD
 * and the slots of the policy whose uid they carry. */
struct gw_tables *gw_tables_build_dyn(const struct gw_config *c, const struct gw_tables *prev,
				      bool flush_sas, struct gw_sa *const *dyn, uint32_t n_dyn,
				      struct gw_err *err);

/* Free old and everything of it that live (may be NULL: free all) does not
 * reference. Only after the RCU grace period that followed publishing live. */
void gw_tables_retire(struct gw_tables *old, const struct gw_tables *live);

/* installed-sa print: fill up to max views in print order; returns the
 * number of SAs (call with max = 0 to size). */
unsigned gw_tables_sa_views(const struct gw_tables *t, struct gw_sa_view *out, unsigned max);

/* policy print stats of one policy (enabled or disabled); zeroes if the
 * uid is unknown. */
void gw_tables_policy_stats(const struct gw_tables *t, uint32_t policy_uid,
			    struct gw_policy_stats *out);

/* Start every policy's stats from zero again (a baseline, see spd.h). */
void gw_tables_reset_stats(const struct gw_tables *t);

/* ---- global counters */

/* The seed's nine `counters print` counters, then our drop reasons. */
enum gw_ctr {
	GW_CTR_OUT_ACCEPT = 0,
	GW_CTR_OUT_ACCEPT_ISAKMP,
	GW_CTR_OUT_DROP,
	GW_CTR_OUT_ENCRYPT,
	GW_CTR_IN_ACCEPT,
	GW_CTR_IN_ACCEPT_ISAKMP,
	GW_CTR_IN_DROP,
	GW_CTR_IN_DECRYPTED,
	GW_CTR_IN_DROP_ENCRYPTED_EXPECTED,
	GW_CTR_DROP_FIRST, /* drop reasons from here */
	GW_CTR_DROP_BAD_SPI = GW_CTR_DROP_FIRST, /* no SA for (SPI, dst, proto) */
	GW_CTR_DROP_ICV_FAILURE,  /* integrity check failed */
	GW_CTR_DROP_REPLAY,       /* outside or already in the replay window */
	GW_CTR_DROP_BAD_PADDING,  /* ESP padding or next header invalid */
	GW_CTR_DROP_NO_ROUTE,
	GW_CTR_DROP_NO_ARP,
	GW_CTR_DROP_MALFORMED,    /* truncated or inconsistent headers */
	GW_CTR_DROP_NO_SA,        /* encrypt policy without a usable SA */
	GW_CTR_DROP_TTL_EXCEEDED,
	GW_CTR_DROP_RX_OTHER,     /* not for the packet path (yet) */
	GW_CTR_COUNT
};
#define GW_DROP_COUNT (GW_CTR_COUNT - GW_CTR_DROP_FIRST)

/* One worker's counters, written by that worker alone; cache aligned so
 * that workers never share a line. */
struct gw_worker_counters {
	uint64_t c[GW_CTR_COUNT];
} __rte_cache_aligned;

static inline void gw_count(struct gw_worker_counters *w, enum gw_ctr what, uint64_t n)
{
	/* Single writer: relaxed load + store (a plain add on x86), readable
	 * by control at any time without tearing. */
	__atomic_store_n(&w->c[what], __atomic_load_n(&w->c[what], __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

/* The seed's name ("out-accept") or the drop reason's ("bad-spi"). */
const char *gw_ctr_name(enum gw_ctr c);

/*
 * Counter blocks for n workers: w[0..n-1], one per worker, plus a hidden
 * baseline block w[n] that only control writes. Control never writes a
 * worker's block: `counters reset` copies the current sums into the
 * baseline, and the sums below subtract it, so a reset racing with a
 * worker's increment loses nothing and tears nothing.
 */
struct gw_worker_counters *gw_worker_counters_alloc(unsigned n);
void gw_worker_counters_free(struct gw_worker_counters *w);
void gw_worker_counters_reset(struct gw_worker_counters *w, unsigned n);
/* `counters print`: the seed's nine, summed over n workers since the reset. */
void gw_worker_counters_sum(const struct gw_worker_counters *w, unsigned n, struct gw_counters *out);
/* The drop reasons in enum order; returns GW_DROP_COUNT (writes up to max). */
unsigned gw_worker_drops_sum(const struct gw_worker_counters *w, unsigned n,
			     struct gw_drop_view *out, unsigned max);

#endif

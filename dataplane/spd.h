/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The compiled SPD: the enabled policies of the config in order, each with
 * its selectors pre-masked, its action and the SAs it uses, plus the
 * per-policy statistics blocks (`policy print stats`).
 *
 * The SPD is immutable once built. The statistics blocks are not part of
 * it: they are found again by policy uid on every rebuild, so reordering,
 * editing or disabling any policy never loses another policy's counters
 * (nor its own: a disabled policy keeps its block and shows it again when
 * it is enabled).
 */
#ifndef IPSECGW_SPD_H
#define IPSECGW_SPD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "fields.h"
#include "model.h"
#include "sa.h"
#include "views.h"

/* Worker ids index per-worker counter slots; ids are 0..GW_MAX_WORKERS-1. */
#define GW_MAX_WORKERS 32

/* `policy print stats`, in the seed's order. */
enum gw_pctr {
	GW_PCTR_IN_ACCEPTED = 0,
	GW_PCTR_IN_DROPPED,
	GW_PCTR_OUT_ACCEPTED,
	GW_PCTR_OUT_DROPPED,
	GW_PCTR_ENCRYPTED,
	GW_PCTR_NOT_ENCRYPTED,
	GW_PCTR_DECRYPTED,
	GW_PCTR_NOT_DECRYPTED,
	GW_PCTR_COUNT
};

/* One worker's counters of one policy: exactly one cache line, written by
 * that worker alone, so an increment needs no locked instruction and never
 * bounces a line between cores. */
struct gw_pctr_slot {
	uint64_t c[GW_PCTR_COUNT];
} __rte_cache_aligned;

struct gw_policy_counters {
	uint32_t uid;
	/* Control only: the sums at the last reset (workers' slots are never
	 * written by control, so a reset cannot race with an increment). */
	uint64_t base[GW_PCTR_COUNT];
	/* TSC of the last ACQUIRE sent for this policy: workers CAS it
	 * (gw_acquire_should_send) so IKE is asked at most once a second. */
	uint64_t acquire_tsc __rte_cache_aligned;
	struct gw_pctr_slot w[GW_MAX_WORKERS];
};

static inline void gw_policy_count(struct gw_policy_counters *pc, unsigned worker,
				   enum gw_pctr what, uint64_t n)
{
	uint64_t *c = &pc->w[worker].c[what];

	/* Single writer: relaxed load + store (a plain add on x86) keeps
	 * control's concurrent reads free of torn values and data races. */
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* Sum every worker's slot since the last reset (ph2_state is left
 * no-phase2: IKE fills it). */
void gw_policy_counters_sum(const struct gw_policy_counters *pc, struct gw_policy_stats *out);
void gw_policy_counters_reset(struct gw_policy_counters *pc);

/* One compiled policy. Addresses host order, already masked. */
struct gw_spd_policy {
	uint32_t src_addr, src_mask, dst_addr, dst_mask;
	uint16_t src_port, dst_port; /* 0 = any */
	uint16_t protocol;           /* GW_PROTOCOL_ALL or an IP protocol */
	uint8_t action;              /* enum gw_action */
	uint8_t level;               /* enum gw_level */
	uint8_t ipsec_protocols;     /* enum gw_ipsec_proto bits */
	uint8_t dont_fragment;       /* enum gw_dont_fragment */
	bool tunnel;
	bool manual; /* keyed by a manual-sa template, not by IKE */
	/* Tunnel mode: the outer header is the policy's own (sa-src -> sa-dst,
	 * ESP, AH or ESP-in-UDP), so the SPD's verdict on the encapsulated
	 * packet is known at build time (outer_known) and not looked up per
	 * packet. NULL outer: no policy matches it. */
	bool outer_known;
	const struct gw_spd_policy *outer;
	uint32_t sa_src, sa_dst;
	/* The SAs of an encrypt policy, NULL where none (yet): out for
	 * encapsulation, in for the check that a decrypted packet matches the
	 * policy of its SA. */
	struct gw_sa *out_ah, *out_esp, *in_ah, *in_esp;
	struct gw_policy_counters *counters;
	uint32_t uid;
	uint32_t cfg_index; /* index in the config's policy menu */
};

/* Up to this many policies a lookup scans them in order (a few compares
 * beat hashing); above, it uses the tuple-space index (spd.c). */
#define GW_SPD_LINEAR_MAX 8

struct gw_spd_index;

struct gw_spd {
	uint32_t n;
	struct gw_spd_policy *p; /* first match wins */
	/* The lookup structure over p, built with it and as immutable; NULL
	 * when n <= GW_SPD_LINEAR_MAX. */
	struct gw_spd_index *index;
	/* Every config policy's stats block (disabled ones too), by uid. */
	uint32_t n_counters;
	struct gw_policy_counters **counters;
	/* The enabled policies sorted by uid, for gw_spd_by_uid. */
	struct gw_spd_uid_ref *by_uid;
};

struct gw_spd_uid_ref {
	uint32_t uid;
	struct gw_spd_policy *sp;
};

/* The enabled policy with this uid, or NULL (O(log n)). */
const struct gw_spd_policy *gw_spd_by_uid(const struct gw_spd *spd, uint32_t uid);

/*
 * Compile the enabled policies of c (tmpl: their templates,
 * gw_manual_sa_resolve), pointing at the SAs of sad, and take
 * the stats blocks of prev (may be NULL) by uid, new zeroed ones otherwise.
 * NULL with err set on allocation failure or a duplicate policy uid.
 */
struct gw_spd *gw_spd_build(const struct gw_config *c, const struct gw_manual_sa *const *tmpl,
			    const struct gw_sad *sad, const struct gw_spd *prev, struct gw_err *err);

/* Free the SPD and every stats block that `keep` (may be NULL) does not hold.
 * SAs belong to the SAD, not to the SPD. */
void gw_spd_free(struct gw_spd *spd, const struct gw_spd *keep);

/* The stats block of a policy uid, or NULL. */
struct gw_policy_counters *gw_spd_counters(const struct gw_spd *spd, uint32_t uid);

/*
 * Outbound (forward / locally originated) lookup, first match wins; NULL
 * means no policy matched (the seed's default "accept all"). Addresses and
 * ports host order; pass ports 0 for protocols without ports, and a policy
 * with a port then does not match. The cost does not grow with the number
 * of policies, only with the number of distinct selector shapes (spd.c).
 */
const struct gw_spd_policy *gw_spd_lookup(const struct gw_spd *spd, uint32_t src, uint32_t dst,
					  uint8_t proto, uint16_t sport, uint16_t dport);

/*
 * Start loading what gw_spd_lookup (same arguments) will read from a big
 * SPD, so that a burst's lookups overlap their cache misses: call it for
 * every packet of a burst, then look them up. A no-op for a linear SPD.
 */
void gw_spd_prefetch(const struct gw_spd *spd, uint32_t src, uint32_t dst, uint8_t proto,
		     uint16_t sport, uint16_t dport);

/*
 * The seed's incoming policy check: the SPD "reversing its matching rules",
 * i.e. the packet's source against the policy's dst-address and its
 * destination against src-address. Arguments are the packet's as received.
 */
const struct gw_spd_policy *gw_spd_lookup_reverse(const struct gw_spd *spd, uint32_t src,
						  uint32_t dst, uint8_t proto, uint16_t sport,
						  uint16_t dport);

/* Memory of the lookup index in bytes (0 for a linear SPD), and the
 * number of selector shapes (tuples) a lookup may probe. */
size_t gw_spd_index_bytes(const struct gw_spd *spd);
uint32_t gw_spd_index_tuples(const struct gw_spd *spd);

/* Whether sa is one of the policy's inbound SAs (post-decryption check). */
static inline bool gw_spd_policy_has_in_sa(const struct gw_spd_policy *pol, const struct gw_sa *sa)
{
	if (!sa)
		return false;
	if (pol->in_ah == sa || pol->in_esp == sa)
		return true;
	/* A negotiated SA being replaced (make-before-break) is no longer in
	 * the policy's slot but still belongs to it. */
	return !(sa->p.flags & GW_SA_FLAG_MANUAL) && sa->policy_uid == pol->uid;
}

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Security Associations and the SAD.
 *
 * An SA is identified, as the seed says, by "its source (sa-src),
 * destination (sa-dst), protocol (AH or ESP), SPI and direction". Its
 * parameters (algorithms, keys, mode, lifetimes, window) never change once
 * it is published: a changed key is a new SA. Only the hot per-packet state
 * (sequence number, replay window, byte and packet counts, first use,
 * state) is written after publication, by the workers, and it lives in its
 * own cache lines so that writing it never evicts the parameters that
 * every worker reads.
 *
 * SA objects outlive the tables that point at them: a rebuild whose SA is
 * unchanged reuses the same object, so counters, sequence numbers and the
 * replay window survive unrelated config edits. The SAD itself (the lookup
 * indexes and the print-order list) is immutable and rebuilt each time.
 *
 * Memory is plain C (posix_memalign), not rte_malloc: the tables are built
 * by the control thread, read through ordinary pointers, and the unit tests
 * build them without an EAL or hugepages. Packet buffers are the only
 * dataplane memory that must sit in DPDK's memory.
 */
#ifndef IPSECGW_SA_H
#define IPSECGW_SA_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <rte_common.h>
#include <rte_spinlock.h>

#include "fields.h"
#include "model.h"
#include "views.h"

/* The seed's identity of an SA. Addresses in host byte order. */
struct gw_sa_id {
	uint32_t spi;
	uint32_t src, dst;
	uint8_t proto; /* IPPROTO_ESP or IPPROTO_AH */
	uint8_t dir;   /* enum gw_sa_dir */
};

/* What an SA does; equal parameters and identity mean "the same SA". */
struct gw_sa_params {
	enum gw_enc_alg enc_alg;   /* GW_ENC_NULL for AH */
	enum gw_auth_alg auth_alg;
	struct gw_key enc_key, auth_key;
	bool tunnel;
	unsigned flags;            /* GW_SA_FLAG_* (views.h): A/E, P, M */
	gw_seconds add_soft, add_hard; /* add-lifetime, from installation */
	gw_seconds use_soft, use_hard; /* use-lifetime, from first use */
	uint64_t lifebytes_soft, lifebytes_hard; /* 0 = unlimited */
	uint32_t replay_window;    /* packets; 0 = no anti-replay check */
	/* ESP in UDP (RFC 3948, NAT traversal): our and the peer's port, host
	 * order; 0 = plain ESP. Outbound packets get the UDP header, inbound
	 * ones may come with or without it. */
	uint16_t encap_sport, encap_dport;
};

/*
 * Per-packet state, written by workers. Several workers may carry packets
 * of one SA (RSS spreads flows over queues), so:
 *  - outbound `seq` is taken with an atomic fetch-add (RFC 4303 3.3.3: the
 *    first packet carries 1; with ESN the 64-bit counter is the whole
 *    number and the low 32 bits go on the wire);
 *  - inbound `seq` is the highest authenticated sequence number (the right
 *    edge of the window, RFC 4303 3.4.3) and changes only together with the
 *    window bitmap, under `replay_lock`;
 *  - `bytes`/`packets` grow with atomic adds so that the hard lifebytes
 *    limit is enforced exactly (DESIGN: SA lifecycle);
 *  - `first_use` goes from 0 to the wall-clock second once, by CAS;
 *  - `state` is an enum gw_sa_state, read and written atomically.
 */
struct gw_sa_hot {
	uint64_t seq;
	uint64_t bytes;   /* current-bytes */
	uint64_t packets;
	int64_t first_use; /* current-usetime, 0 = not used yet */
	uint32_t state;
	rte_spinlock_t replay_lock;
} __rte_cache_aligned;

struct gw_sa {
	struct gw_sa_id id;
	struct gw_sa_params p;
	/* The policy that installed it. A manual SA shared by several policies
	 * names the first one in SPD order; control refreshes this on reuse
	 * and the dataplane never reads it (it checks a decrypted packet
	 * against the policy's own SA pointers, struct gw_spd_policy). */
	uint32_t policy_uid;
	time_t add_time;          /* current-addtime, wall clock */
	uint32_t replay_buckets;  /* 64-bit words in replay[], a power of 2 */
	void *crypto;             /* precomputed key schedules (packet path issue) */
	struct gw_sa_hot hot;
	/* RFC 6479 window: buckets of 64 bits, one more than the window needs
	 * so that sliding clears whole buckets without touching live bits. */
	uint64_t replay[] __rte_cache_aligned;
};

/*
 * The SAD: the SAs of one table generation.
 *  - sa[]: every SA in print order (installed-sa print);
 *  - inbound index: IN SAs by (SPI, dst, protocol), the RFC 4301 4.1
 *    unicast lookup for a received ESP/AH packet;
 *  - identity index: every SA by its full identity, for control (reuse
 *    across rebuilds, what to free at retire).
 * Both indexes are open-addressing tables with linear probing, sized to at
 * most half full, and never written after gw_sad_build returns.
 */
struct gw_sad_slot {
	uint32_t spi, dst; /* copied from the SA: a miss never touches it */
	struct gw_sa *sa;  /* NULL = empty */
};

struct gw_sad {
	uint32_t n;
	struct gw_sa **sa;
	uint32_t in_mask, id_mask; /* slots - 1 */
	struct gw_sad_slot *in, *by_id;
};

/* ---- one SA */

/* A new SA in state larval with zeroed hot state, or NULL. */
struct gw_sa *gw_sa_new(const struct gw_sa_id *id, const struct gw_sa_params *p,
			uint32_t policy_uid, time_t now);
void gw_sa_free(struct gw_sa *sa);
bool gw_sa_id_equal(const struct gw_sa_id *a, const struct gw_sa_id *b);
bool gw_sa_params_equal(const struct gw_sa_params *a, const struct gw_sa_params *b);
/* installed-sa print: parameters plus a snapshot of the hot state. */
void gw_sa_view_fill(const struct gw_sa *sa, struct gw_sa_view *v);

static inline enum gw_sa_state gw_sa_state(const struct gw_sa *sa)
{
	return (enum gw_sa_state)__atomic_load_n(&sa->hot.state, __ATOMIC_ACQUIRE);
}

static inline void gw_sa_set_state(struct gw_sa *sa, enum gw_sa_state s)
{
	__atomic_store_n(&sa->hot.state, (uint32_t)s, __ATOMIC_RELEASE);
}

/* ---- manual SAs from the config */

/* The enabled manual-sa template that an enabled encrypt policy names, or
 * NULL (no template, "none", unknown, or disabled). */
const struct gw_manual_sa *gw_manual_sa_of(const struct gw_config *c, const struct gw_policy *pol);

/*
 * gw_manual_sa_of for every policy of c at once, indexed like
 * c->policies.v: one sort of the templates by name, then a binary search
 * per policy, so a table build is O(n log n) and not O(policies x
 * templates). The pointers point into c. NULL on ENOMEM; free() it.
 */
const struct gw_manual_sa **gw_manual_sa_resolve(const struct gw_config *c);

/*
 * One manual SA of a policy: proto IPPROTO_AH or IPPROTO_ESP, dir in/out.
 * OUT: SPI = the template's out SPI, src = sa-src-address, dst =
 * sa-dst-address, out keys; IN: the in SPI, the addresses swapped, in keys.
 */
void gw_sa_manual_derive(const struct gw_config *c, const struct gw_policy *pol,
			 const struct gw_manual_sa *t, uint8_t proto, enum gw_sa_dir dir,
			 struct gw_sa_id *id, struct gw_sa_params *p);

/* ---- the SAD */

/*
 * Build the SAD of a config: for each enabled encrypt policy with an enabled
 * manual-sa, for AH then ESP as ipsec-protocols says, an OUT and an IN SA,
 * state mature. An identity met twice (policies sharing a template and
 * addresses) gives one SA, with the first policy's parameters. An SA of
 * `prev` with the same identity and parameters is reused, hot state and
 * all, unless `flush`. Then the n_dyn SAs that IKE negotiated (dyn: the
 * caller's objects, owned by whoever installed them; flush does not touch
 * them). tmpl: gw_manual_sa_resolve(c). Returns NULL (err set) on
 * allocation failure.
 */
struct gw_sad *gw_sad_build(const struct gw_config *c, const struct gw_manual_sa *const *tmpl,
			    const struct gw_sad *prev, bool flush, struct gw_sa *const *dyn,
			    uint32_t n_dyn, time_t now, struct gw_err *err);

/* Free the SAD and every SA of it that `keep` (may be NULL) does not hold. */
void gw_sad_free(struct gw_sad *sad, const struct gw_sad *keep);

/* The SA with exactly this identity, or NULL. */
struct gw_sa *gw_sad_find(const struct gw_sad *sad, const struct gw_sa_id *id);

/*
 * Inbound lookup of a received ESP/AH packet (addresses host order). The
 * receiver's key is (SPI, dst, protocol), RFC 4301 4.1. The seed also
 * distinguishes SAs by source, so when several IN SAs share that key the
 * one whose source matches wins; otherwise the first one in print order.
 */
struct gw_sa *gw_sad_lookup_in(const struct gw_sad *sad, uint32_t spi, uint32_t dst,
			       uint8_t proto, uint32_t src);

/* ---- allocation shared by the dataplane tables */

/* Zeroed memory aligned to a cache line; the size is rounded up to one
 * (C11 aligned_alloc wants a multiple). Free with free(). */
void *gw_dp_zalloc(size_t size);
/* The same for big tables read at random by the packet path (indexes of
 * 100 000s of entries): from 2 MiB up, aligned to and advised onto
 * transparent huge pages, so that a lookup costs a cache miss but no TLB
 * miss. Free with free(). */
void *gw_dp_zalloc_big(size_t size);

#endif

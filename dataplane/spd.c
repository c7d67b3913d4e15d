/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compiling the config's policies into the SPD, the per-policy statistics
 * blocks kept by uid, and first-match lookup: a linear scan for a handful
 * of policies, a tuple-space index (below) for more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_prefetch.h>

#include "spd.h"

/* ---- statistics blocks */

static void raw_sum(const struct gw_policy_counters *pc, uint64_t sum[GW_PCTR_COUNT])
{
	unsigned w, k;

	memset(sum, 0, GW_PCTR_COUNT * sizeof(sum[0]));
	for (w = 0; w < GW_MAX_WORKERS; w++)
		for (k = 0; k < GW_PCTR_COUNT; k++)
			sum[k] += __atomic_load_n(&pc->w[w].c[k], __ATOMIC_RELAXED);
}

void gw_policy_counters_reset(struct gw_policy_counters *pc)
{
	raw_sum(pc, pc->base);
}

void gw_policy_counters_sum(const struct gw_policy_counters *pc, struct gw_policy_stats *out)
{
	uint64_t sum[GW_PCTR_COUNT];
	unsigned k;

	raw_sum(pc, sum);
	for (k = 0; k < GW_PCTR_COUNT; k++)
		sum[k] -= pc->base[k];
	memset(out, 0, sizeof(*out));
	out->ph2_state = GW_PH2_NO_PHASE2;
	out->in_accepted = sum[GW_PCTR_IN_ACCEPTED];
	out->in_dropped = sum[GW_PCTR_IN_DROPPED];
	out->out_accepted = sum[GW_PCTR_OUT_ACCEPTED];
	out->out_dropped = sum[GW_PCTR_OUT_DROPPED];
	out->encrypted = sum[GW_PCTR_ENCRYPTED];
	out->not_encrypted = sum[GW_PCTR_NOT_ENCRYPTED];
	out->decrypted = sum[GW_PCTR_DECRYPTED];
	out->not_decrypted = sum[GW_PCTR_NOT_DECRYPTED];
}

static int cmp_counters_uid(const void *a, const void *b)
{
	uint32_t x = (*(struct gw_policy_counters *const *)a)->uid;
	uint32_t y = (*(struct gw_policy_counters *const *)b)->uid;

	return x < y ? -1 : x > y;
}

struct gw_policy_counters *gw_spd_counters(const struct gw_spd *spd, uint32_t uid)
{
	uint32_t lo = 0, hi;

	if (!spd)
		return NULL;
	hi = spd->n_counters;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint32_t u = spd->counters[mid]->uid;

		if (u == uid)
			return spd->counters[mid];
		if (u < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The block of every config policy: prev's for a known uid, else a new one. */
static int take_counters(struct gw_spd *spd, const struct gw_config *c, const struct gw_spd *prev)
{
	uint32_t i;

	spd->counters = calloc(c->policies.n ? c->policies.n : 1, sizeof(*spd->counters));
	if (!spd->counters)
		return -ENOMEM;
	for (i = 0; i < c->policies.n; i++) {
		uint32_t uid = c->policies.v[i].uid;
		struct gw_policy_counters *pc = gw_spd_counters(prev, uid);

		if (!pc) {
			pc = gw_dp_zalloc(sizeof(*pc));
			if (!pc)
				return -ENOMEM;
			pc->uid = uid;
		}
		spd->counters[spd->n_counters++] = pc;
	}
	qsort(spd->counters, spd->n_counters, sizeof(*spd->counters), cmp_counters_uid);
	return 0;
}

/* Statistics are keyed by uid, so two policies with one uid would share
 * (and on removal lose) them: refuse rather than mix them up. */
static int check_unique_uids(const struct gw_spd *spd, struct gw_err *err)
{
	uint32_t i;

	for (i = 1; i < spd->n_counters; i++) {
		if (spd->counters[i]->uid == spd->counters[i - 1]->uid) {
			if (err)
				gw_err_set(err, GW_MENU_POLICY, -1, NULL,
					   "policy: two policies share uid %u", spd->counters[i]->uid);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- the lookup index: tuple space search */

/*
 * A selector has a shape: the lengths of its two prefixes and whether the
 * protocol and each port are exact or any. Policies of one shape (a
 * "tuple", Srinivasan, Suri, Varghese, SIGCOMM 1999) test the same bits of
 * a packet, so under that shape's masks the packet's fields are an exact
 * key, and one hash probe finds the first policy of the tuple that
 * matches. The SPD's answer is the lowest policy index over all tuples.
 * Tuples are tried in the order of their first policy and the search stops
 * once the best hit comes before the next tuple's first policy (priority
 * sorting, as Open vSwitch's classifier does), so a policy list that
 * starts with broad rules answers from the first probe.
 *
 * The cost is one probe per shape, not per policy: real SPDs have a few
 * shapes (the bench's 100 000 policies have one or two). Before the probe,
 * two small bitmaps of the tuple's masked source and destination
 * addresses (a one-hash Bloom filter each, in L1) reject most packets that
 * cannot match without touching the hash table, which is out of cache for
 * a big SPD: the reverse lookup of every plaintext from the LAN (the
 * incoming policy check) is such a miss. Built by control with the SPD,
 * immutable, freed with it after the RCU grace period.
 */

#define SHAPE_COUNT (1u << 15) /* 6 + 6 bits of prefix lengths, 3 any-bits */
#define SHAPE_PROTO_ANY (1u << 12)
#define SHAPE_SPORT_ANY (1u << 13)
#define SHAPE_DPORT_ANY (1u << 14)
#define NO_POLICY UINT32_MAX
#define TUPLE_MIN_SLOTS 8u
/* gw_spd_prefetch warms the slots of this many tuples (the first ones:
 * where the earliest policies are). */
#define SPD_PREFETCH_TUPLES 2u
#define FILTER_LOG2 11
#define FILTER_BITS (1u << FILTER_LOG2)

struct spd_key {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto;
};

struct spd_slot {
	struct spd_key key; /* masked with the tuple's masks */
	uint32_t pos;       /* policy index + 1; 0: empty slot */
};

struct spd_tuple {
	uint32_t first; /* the tuple's lowest policy index */
	uint32_t src_mask, dst_mask;
	uint16_t sport_mask, dport_mask;
	uint8_t proto_mask;
	uint32_t slot_mask; /* slots - 1; at most half of them used */
	struct spd_slot *slots;
	/* Bit filter_bit(a) set for every masked address a of the tuple. */
	uint64_t src_filter[FILTER_BITS / 64], dst_filter[FILTER_BITS / 64];
};

struct gw_spd_index {
	uint32_t n_tuples;
	size_t bytes;
	struct spd_tuple tuples[]; /* by first, ascending */
};

/* fmix64 of MurmurHash3 over the packed key: sequential addresses and
 * ports (the common case in generated SPDs) spread over the slots. */
static inline uint32_t key_hash(const struct spd_key *k)
{
	uint64_t h = ((uint64_t)k->src << 32 | k->dst) ^
		     (((uint64_t)k->sport << 24 | (uint64_t)k->dport << 8 | k->proto) *
		      0x9e3779b97f4a7c15ull);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h;
}

/* Fibonacci hashing: the top bits of a multiply spread prefixes that
 * differ in any bit. */
static inline uint32_t filter_bit(uint32_t addr)
{
	return (addr * 0x9e3779b1u) >> (32 - FILTER_LOG2);
}

static inline bool filter_has(const uint64_t *filter, uint32_t addr)
{
	uint32_t b = filter_bit(addr);

	return (filter[b / 64] >> (b % 64)) & 1;
}

static inline void filter_add(uint64_t *filter, uint32_t addr)
{
	uint32_t b = filter_bit(addr);

	filter[b / 64] |= 1ull << (b % 64);
}

static inline bool key_equal(const struct spd_key *a, const struct spd_key *b)
{
	return a->src == b->src && a->dst == b->dst && a->sport == b->sport &&
	       a->dport == b->dport && a->proto == b->proto;
}

static inline struct spd_key key_masked(const struct spd_tuple *t, const struct spd_key *k)
{
	return (struct spd_key){
		.src = k->src & t->src_mask,
		.dst = k->dst & t->dst_mask,
		.sport = k->sport & t->sport_mask,
		.dport = k->dport & t->dport_mask,
		.proto = k->proto & t->proto_mask,
	};
}

/* The first policy of tuple t that matches the packet, or NO_POLICY. */
static inline uint32_t tuple_find(const struct spd_tuple *t, const struct spd_key *pkt)
{
	struct spd_key k = key_masked(t, pkt);
	uint32_t i;

	if (!filter_has(t->src_filter, k.src) || !filter_has(t->dst_filter, k.dst))
		return NO_POLICY;
	for (i = key_hash(&k) & t->slot_mask; t->slots[i].pos; i = (i + 1) & t->slot_mask)
		if (key_equal(&t->slots[i].key, &k))
			return t->slots[i].pos - 1;
	return NO_POLICY;
}

static inline uint32_t index_lookup(const struct gw_spd_index *ix, const struct spd_key *pkt)
{
	uint32_t best = NO_POLICY, t;

	for (t = 0; t < ix->n_tuples && ix->tuples[t].first < best; t++) {
		uint32_t hit = tuple_find(&ix->tuples[t], pkt);

		if (hit < best)
			best = hit;
	}
	return best;
}

/* A protocol other than "all" above 255 is no IP protocol: it never
 * matches (the linear scan compares it with a uint8_t) and is left out. */
static bool policy_can_match(const struct gw_spd_policy *p)
{
	return p->protocol == GW_PROTOCOL_ALL || p->protocol <= UINT8_MAX;
}

static unsigned policy_shape(const struct gw_spd_policy *p)
{
	return (unsigned)__builtin_popcount(p->src_mask) |
	       (unsigned)__builtin_popcount(p->dst_mask) << 6 |
	       (p->protocol == GW_PROTOCOL_ALL ? SHAPE_PROTO_ANY : 0) |
	       (p->src_port == 0 ? SHAPE_SPORT_ANY : 0) | (p->dst_port == 0 ? SHAPE_DPORT_ANY : 0);
}

static struct spd_key policy_key(const struct gw_spd_policy *p)
{
	return (struct spd_key){
		.src = p->src_addr,
		.dst = p->dst_addr,
		.sport = p->src_port,
		.dport = p->dst_port,
		.proto = p->protocol == GW_PROTOCOL_ALL ? 0 : (uint8_t)p->protocol,
	};
}

static int tuple_init(struct spd_tuple *t, unsigned shape, uint32_t n_policies)
{
	uint32_t slots = rte_align32pow2(n_policies * 2);

	if (slots < TUPLE_MIN_SLOTS)
		slots = TUPLE_MIN_SLOTS;
	t->first = NO_POLICY;
	t->src_mask = gw_prefix_mask(shape & 63);
	t->dst_mask = gw_prefix_mask((shape >> 6) & 63);
	t->proto_mask = shape & SHAPE_PROTO_ANY ? 0 : UINT8_MAX;
	t->sport_mask = shape & SHAPE_SPORT_ANY ? 0 : UINT16_MAX;
	t->dport_mask = shape & SHAPE_DPORT_ANY ? 0 : UINT16_MAX;
	t->slot_mask = slots - 1;
	t->slots = gw_dp_zalloc_big((size_t)slots * sizeof(*t->slots));
	return t->slots ? 0 : -ENOMEM;
}

/* Policies are inserted in SPD order, so a key already present belongs to
 * an earlier policy, which wins: the later one is shadowed for that key. */
static void tuple_insert(struct spd_tuple *t, const struct spd_key *k, uint32_t policy)
{
	uint32_t i;

	if (t->first == NO_POLICY)
		t->first = policy;
	filter_add(t->src_filter, k->src);
	filter_add(t->dst_filter, k->dst);
	for (i = key_hash(k) & t->slot_mask; t->slots[i].pos; i = (i + 1) & t->slot_mask)
		if (key_equal(&t->slots[i].key, k))
			return;
	t->slots[i].key = *k;
	t->slots[i].pos = policy + 1;
}

static int tuple_cmp_first(const void *a, const void *b)
{
	uint32_t x = ((const struct spd_tuple *)a)->first, y = ((const struct spd_tuple *)b)->first;

	return x < y ? -1 : x > y;
}

static void index_free(struct gw_spd_index *ix)
{
	uint32_t t;

	if (!ix)
		return;
	for (t = 0; t < ix->n_tuples; t++)
		free(ix->tuples[t].slots);
	free(ix);
}

/* One tuple per shape in use; shape_map: policies per shape on entry,
 * the shape's tuple on return. */
static struct gw_spd_index *index_alloc_tuples(uint32_t *shape_map)
{
	struct gw_spd_index *ix;
	uint32_t n = 0, s;

	for (s = 0; s < SHAPE_COUNT; s++)
		n += shape_map[s] != 0;
	ix = calloc(1, sizeof(*ix) + (size_t)n * sizeof(ix->tuples[0]));
	if (!ix)
		return NULL;
	ix->bytes = sizeof(*ix) + (size_t)n * sizeof(ix->tuples[0]);
	for (s = 0; s < SHAPE_COUNT; s++) {
		struct spd_tuple *t = &ix->tuples[ix->n_tuples];

		if (!shape_map[s])
			continue;
		if (tuple_init(t, s, shape_map[s]) != 0) {
			index_free(ix);
			return NULL;
		}
		ix->bytes += (size_t)(t->slot_mask + 1) * sizeof(*t->slots);
		shape_map[s] = ix->n_tuples++;
	}
	return ix;
}

/* O(policies + shapes): count the shapes, size one hash per shape, insert
 * in SPD order, sort the tuples by their first policy. */
static int index_build(struct gw_spd *spd)
{
	uint32_t *shape_map = calloc(SHAPE_COUNT, sizeof(*shape_map));
	uint32_t i;

	if (!shape_map)
		return -ENOMEM;
	for (i = 0; i < spd->n; i++)
		if (policy_can_match(&spd->p[i]))
			shape_map[policy_shape(&spd->p[i])]++;
	spd->index = index_alloc_tuples(shape_map);
	if (spd->index) {
		for (i = 0; i < spd->n; i++) {
			const struct gw_spd_policy *p = &spd->p[i];
			struct spd_key k = policy_key(p);

			if (policy_can_match(p))
				tuple_insert(&spd->index->tuples[shape_map[policy_shape(p)]], &k, i);
		}
		qsort(spd->index->tuples, spd->index->n_tuples, sizeof(spd->index->tuples[0]),
		      tuple_cmp_first);
	}
	free(shape_map);
	return spd->index ? 0 : -ENOMEM;
}

size_t gw_spd_index_bytes(const struct gw_spd *spd)
{
	return spd && spd->index ? spd->index->bytes : 0;
}

uint32_t gw_spd_index_tuples(const struct gw_spd *spd)
{
	return spd && spd->index ? spd->index->n_tuples : 0;
}

/* ---- compiling */

/* The effective selector (model.h applies the seed's default of
 * sa-src-address/32 for an unset src-address), pre-masked. */
static void compile_selector(struct gw_selector sel, uint32_t *addr, uint32_t *mask, uint16_t *port)
{
	*mask = gw_prefix_mask(sel.prefix.len);
	*addr = sel.prefix.addr & *mask;
	*port = sel.port;
}

static struct gw_sa *policy_sa(const struct gw_config *c, const struct gw_sad *sad,
			       const struct gw_policy *pol, const struct gw_manual_sa *t,
			       uint8_t proto, enum gw_sa_dir dir)
{
	struct gw_sa_id id;
	struct gw_sa_params p;

	gw_sa_manual_derive(c, pol, t, proto, dir, &id, &p);
	return gw_sad_find(sad, &id);
}

/* Derive the identities again and find them: the SAD deduplicated them, so
 * a policy sharing a template points at the SAs another policy made. */
static void attach_sas(struct gw_spd_policy *sp, const struct gw_config *c,
		       const struct gw_sad *sad, const struct gw_policy *pol,
		       const struct gw_manual_sa *t)
{
	if (!t)
		return;
	if (pol->ipsec_protocols & GW_PROTO_AH) {
		sp->out_ah = policy_sa(c, sad, pol, t, IPPROTO_AH, GW_SA_OUT);
		sp->in_ah = policy_sa(c, sad, pol, t, IPPROTO_AH, GW_SA_IN);
	}
	if (pol->ipsec_protocols & GW_PROTO_ESP) {
		sp->out_esp = policy_sa(c, sad, pol, t, IPPROTO_ESP, GW_SA_OUT);
		sp->in_esp = policy_sa(c, sad, pol, t, IPPROTO_ESP, GW_SA_IN);
	}
}

/* ---- SAs negotiated by IKE */

static int uid_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct gw_spd_uid_ref *)a)->uid, y = ((const struct gw_spd_uid_ref *)b)->uid;

	return x < y ? -1 : x > y;
}

const struct gw_spd_policy *gw_spd_by_uid(const struct gw_spd *spd, uint32_t uid)
{
	struct gw_spd_uid_ref key = {.uid = uid}, *hit;

	if (!spd || !spd->by_uid)
		return NULL;
	hit = bsearch(&key, spd->by_uid, spd->n, sizeof(key), uid_cmp);
	return hit ? hit->sp : NULL;
}

/* Of two SAs for one slot, the one to use: usable before unusable, mature
 * before dying (make-before-break: the replacement takes over outbound as
 * soon as it is mature), then the newer. */
static bool better_sa(const struct gw_sa *cand, const struct gw_sa *cur)
{
	enum gw_sa_state a = gw_sa_state(cand), b;

	if (!cur)
		return true;
	b = gw_sa_state(cur);
	if ((a == GW_SA_MATURE) != (b == GW_SA_MATURE))
		return a == GW_SA_MATURE;
	if ((a == GW_SA_DYING) != (b == GW_SA_DYING))
		return a == GW_SA_DYING;
	return cand->add_time >= cur->add_time;
}

static void attach_one(struct gw_spd_policy *sp, struct gw_sa *sa)
{
	bool ah = sa->id.proto == IPPROTO_AH, out = sa->id.dir == GW_SA_OUT;
	struct gw_sa **slot = ah ? (out ? &sp->out_ah : &sp->in_ah) : (out ? &sp->out_esp : &sp->in_esp);

	if (sp->action == GW_ACTION_ENCRYPT && better_sa(sa, *slot))
		*slot = sa;
}

/*
 * SAs that IKE installed (not M) belong to a policy by uid; a policy with a
 * manual-sa keeps its manual ones. Each slot gets the best SA of its kind;
 * the others (the SA being replaced) still decrypt, found by SPI.
 */
static int index_by_uid(struct gw_spd *spd)
{
	uint32_t i;

	spd->by_uid = gw_dp_zalloc_big((spd->n ? spd->n : 1) * sizeof(*spd->by_uid));
	if (!spd->by_uid)
		return -ENOMEM;
	for (i = 0; i < spd->n; i++)
		spd->by_uid[i] = (struct gw_spd_uid_ref){spd->p[i].uid, &spd->p[i]};
	qsort(spd->by_uid, spd->n, sizeof(*spd->by_uid), uid_cmp);
	return 0;
}

static int attach_negotiated(struct gw_spd *spd, const struct gw_sad *sad)
{
	uint32_t i;

	if (index_by_uid(spd) != 0)
		return -ENOMEM;
	for (i = 0; sad && i < sad->n; i++) {
		struct gw_sa *sa = sad->sa[i];
		struct gw_spd_policy *sp;

		if (sa->p.flags & GW_SA_FLAG_MANUAL)
			continue;
		sp = (struct gw_spd_policy *)gw_spd_by_uid(spd, sa->policy_uid);
		if (sp && !sp->manual)
			attach_one(sp, sa);
	}
	return 0;
}

/* The SPD's answer for each tunnel policy's outer packets, once. */
static void resolve_outer(struct gw_spd *spd)
{
	uint32_t i;

	for (i = 0; i < spd->n; i++) {
		struct gw_spd_policy *sp = &spd->p[i];
		uint8_t proto = (sp->ipsec_protocols & GW_PROTO_AH) ? IPPROTO_AH : IPPROTO_ESP;
		uint16_t sport = 0, dport = 0;

		if (sp->action != GW_ACTION_ENCRYPT || !sp->tunnel)
			continue;
		if (proto == IPPROTO_ESP && sp->out_esp && sp->out_esp->p.encap_dport) {
			proto = IPPROTO_UDP;
			sport = sp->out_esp->p.encap_sport;
			dport = sp->out_esp->p.encap_dport;
		}
		sp->outer = gw_spd_lookup(spd, sp->sa_src, sp->sa_dst, proto, sport, dport);
		sp->outer_known = true;
	}
}

static void compile_policy(struct gw_spd_policy *sp, const struct gw_config *c,
			   const struct gw_manual_sa *tmpl, const struct gw_sad *sad,
			   const struct gw_spd *spd, uint32_t idx)
{
	const struct gw_policy *pol = &c->policies.v[idx];

	memset(sp, 0, sizeof(*sp));
	compile_selector(gw_policy_src_selector(pol), &sp->src_addr, &sp->src_mask, &sp->src_port);
	compile_selector(gw_policy_dst_selector(pol), &sp->dst_addr, &sp->dst_mask, &sp->dst_port);
	sp->protocol = pol->protocol;
	sp->action = (uint8_t)pol->action;
	sp->level = (uint8_t)pol->level;
	sp->ipsec_protocols = pol->ipsec_protocols;
	sp->dont_fragment = (uint8_t)pol->dont_fragment;
	sp->tunnel = pol->tunnel;
	sp->sa_src = pol->sa_src_address;
	sp->sa_dst = pol->sa_dst_address;
	sp->manual = tmpl != NULL;
	if (pol->action == GW_ACTION_ENCRYPT)
		attach_sas(sp, c, sad, pol, tmpl);
	sp->counters = gw_spd_counters(spd, pol->uid);
	sp->uid = pol->uid;
	sp->cfg_index = idx;
}

struct gw_spd *gw_spd_build(const struct gw_config *c, const struct gw_manual_sa *const *tmpl,
			    const struct gw_sad *sad, const struct gw_spd *prev, struct gw_err *err)
{
	struct gw_spd *spd = calloc(1, sizeof(*spd));
	uint32_t i;

	if (!spd || take_counters(spd, c, prev) != 0)
		goto nomem;
	if (check_unique_uids(spd, err) != 0)
		goto fail;
	spd->p = gw_dp_zalloc_big((c->policies.n ? c->policies.n : 1) * sizeof(*spd->p));
	if (!spd->p)
		goto nomem;
	for (i = 0; i < c->policies.n; i++)
		if (!c->policies.v[i].disabled)
			compile_policy(&spd->p[spd->n++], c, tmpl[i], sad, spd, i);
	if (attach_negotiated(spd, sad) != 0)
		goto nomem;
	if (spd->n > GW_SPD_LINEAR_MAX && index_build(spd) != 0) {
		if (err)
			gw_err_set(err, GW_MENU_POLICY, -1, NULL,
				   "policy: building the SPD lookup index (%u policies): %s", spd->n,
				   strerror(ENOMEM));
		goto fail;
	}
	resolve_outer(spd);
	return spd;
nomem:
	if (err)
		gw_err_set(err, GW_MENU_POLICY, -1, NULL, "policy: building the SPD: %s",
			   strerror(ENOMEM));
fail:
	gw_spd_free(spd, prev);
	return NULL;
}

void gw_spd_free(struct gw_spd *spd, const struct gw_spd *keep)
{
	uint32_t i;

	if (!spd)
		return;
	for (i = 0; i < spd->n_counters; i++) {
		struct gw_policy_counters *pc = spd->counters[i];

		/* A duplicate uid (refused build) may list one block twice. */
		if (i > 0 && spd->counters[i - 1] == pc)
			continue;
		if (gw_spd_counters(keep, pc->uid) != pc)
			free(pc);
	}
	index_free(spd->index);
	free(spd->counters);
	free(spd->by_uid);
	free(spd->p);
	free(spd);
}

/* ---- lookup */

static inline bool policy_matches(const struct gw_spd_policy *p, uint32_t src, uint32_t dst,
				  uint8_t proto, uint16_t sport, uint16_t dport)
{
	return (src & p->src_mask) == p->src_addr && (dst & p->dst_mask) == p->dst_addr &&
	       (p->protocol == GW_PROTOCOL_ALL || p->protocol == proto) &&
	       (p->src_port == 0 || p->src_port == sport) &&
	       (p->dst_port == 0 || p->dst_port == dport);
}

static const struct gw_spd_policy *linear_lookup(const struct gw_spd *spd, uint32_t src,
						 uint32_t dst, uint8_t proto, uint16_t sport,
						 uint16_t dport)
{
	uint32_t i;

	for (i = 0; i < spd->n; i++)
		if (policy_matches(&spd->p[i], src, dst, proto, sport, dport))
			return &spd->p[i];
	return NULL;
}

const struct gw_spd_policy *gw_spd_lookup(const struct gw_spd *spd, uint32_t src, uint32_t dst,
					  uint8_t proto, uint16_t sport, uint16_t dport)
{
	struct spd_key k = {.src = src, .dst = dst, .sport = sport, .dport = dport, .proto = proto};
	uint32_t i;

	if (!spd->index)
		return linear_lookup(spd, src, dst, proto, sport, dport);
	i = index_lookup(spd->index, &k);
	return i == NO_POLICY ? NULL : &spd->p[i];
}

void gw_spd_prefetch(const struct gw_spd *spd, uint32_t src, uint32_t dst, uint8_t proto,
		     uint16_t sport, uint16_t dport)
{
	struct spd_key pkt = {.src = src, .dst = dst, .sport = sport, .dport = dport, .proto = proto};
	uint32_t t;

	for (t = 0; spd->index && t < spd->index->n_tuples && t < SPD_PREFETCH_TUPLES; t++) {
		const struct spd_tuple *tp = &spd->index->tuples[t];
		struct spd_key k = key_masked(tp, &pkt);

		if (filter_has(tp->src_filter, k.src) && filter_has(tp->dst_filter, k.dst))
			rte_prefetch0(&tp->slots[key_hash(&k) & tp->slot_mask]);
	}
}

/* The same selectors with the packet's ends swapped: one index serves both. */
const struct gw_spd_policy *gw_spd_lookup_reverse(const struct gw_spd *spd, uint32_t src,
						  uint32_t dst, uint8_t proto, uint16_t sport,
						  uint16_t dport)
{
	return gw_spd_lookup(spd, dst, src, proto, dport, sport);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compiling the config's policies into the SPD, the per-policy statistics
 * blocks kept by uid, and first-match lookup. Linear for now: the benchmark
 * issue brings a faster structure behind the same two lookup functions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
		       const struct gw_sad *sad, const struct gw_policy *pol)
{
	const struct gw_manual_sa *t = gw_manual_sa_of(c, pol);

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

	spd->by_uid = malloc((spd->n ? spd->n : 1) * sizeof(*spd->by_uid));
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
			   const struct gw_sad *sad, const struct gw_spd *spd, uint32_t idx)
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
	sp->manual = gw_manual_sa_of(c, pol) != NULL;
	if (pol->action == GW_ACTION_ENCRYPT)
		attach_sas(sp, c, sad, pol);
	sp->counters = gw_spd_counters(spd, pol->uid);
	sp->uid = pol->uid;
	sp->cfg_index = idx;
}

struct gw_spd *gw_spd_build(const struct gw_config *c, const struct gw_sad *sad,
			    const struct gw_spd *prev, struct gw_err *err)
{
	struct gw_spd *spd = calloc(1, sizeof(*spd));
	uint32_t i;

	if (!spd || take_counters(spd, c, prev) != 0)
		goto nomem;
	if (check_unique_uids(spd, err) != 0)
		goto fail;
	spd->p = calloc(c->policies.n ? c->policies.n : 1, sizeof(*spd->p));
	if (!spd->p)
		goto nomem;
	for (i = 0; i < c->policies.n; i++)
		if (!c->policies.v[i].disabled)
			compile_policy(&spd->p[spd->n++], c, sad, spd, i);
	if (attach_negotiated(spd, sad) != 0)
		goto nomem;
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

const struct gw_spd_policy *gw_spd_lookup(const struct gw_spd *spd, uint32_t src, uint32_t dst,
					  uint8_t proto, uint16_t sport, uint16_t dport)
{
	uint32_t i;

	for (i = 0; i < spd->n; i++)
		if (policy_matches(&spd->p[i], src, dst, proto, sport, dport))
			return &spd->p[i];
	return NULL;
}

const struct gw_spd_policy *gw_spd_lookup_reverse(const struct gw_spd *spd, uint32_t src,
						  uint32_t dst, uint8_t proto, uint16_t sport,
						  uint16_t dport)
{
	uint32_t i;

	for (i = 0; i < spd->n; i++)
		if (policy_matches(&spd->p[i], dst, src, proto, dport, sport))
			return &spd->p[i];
	return NULL;
}

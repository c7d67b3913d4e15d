/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One generation of dataplane tables: build from config, retire after the
 * RCU grace period, snapshots for the printers; and the global counters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tables.h"

#include "l3.h"

struct gw_tables *gw_tables_build(const struct gw_config *c, const struct gw_tables *prev,
				  bool flush_sas, struct gw_err *err)
{
	return gw_tables_build_dyn(c, prev, flush_sas, NULL, 0, err);
}

struct gw_tables *gw_tables_build_dyn(const struct gw_config *c, const struct gw_tables *prev,
				      bool flush_sas, struct gw_sa *const *dyn, uint32_t n_dyn,
				      struct gw_err *err)
{
	struct gw_tables *t = calloc(1, sizeof(*t));
	/* Each policy's template, found once for both builds. */
	const struct gw_manual_sa **tmpl = gw_manual_sa_resolve(c);

	if (!t || !tmpl) {
		if (err)
			gw_err_set(err, -1, -1, NULL, "tables: %s", strerror(ENOMEM));
		free(t);
		free(tmpl);
		return NULL;
	}
	t->generation = prev ? prev->generation + 1 : 1;
	t->fib = prev ? prev->fib : NULL;
	t->sad = gw_sad_build(c, tmpl, prev ? prev->sad : NULL, flush_sas, dyn, n_dyn, time(NULL),
			      err);
	if (!t->sad)
		goto fail;
	t->spd = gw_spd_build(c, tmpl, t->sad, prev ? prev->spd : NULL, err);
	if (!t->spd)
		goto fail;
	free(tmpl);
	return t;
fail:
	free(tmpl);
	gw_tables_retire(t, prev);
	return NULL;
}

void gw_tables_retire(struct gw_tables *old, const struct gw_tables *live)
{
	if (!old)
		return;
	/* SPD first: it points into the SAD's SAs, never the other way. */
	gw_spd_free(old->spd, live ? live->spd : NULL);
	gw_sad_free(old->sad, live ? live->sad : NULL);
	if (old->fib && (!live || live->fib != old->fib))
		gw_fib_free(old->fib);
	free(old);
}

unsigned gw_tables_sa_views(const struct gw_tables *t, struct gw_sa_view *out, unsigned max)
{
	unsigned i;

	if (!t || !t->sad)
		return 0;
	for (i = 0; i < t->sad->n && i < max; i++)
		gw_sa_view_fill(t->sad->sa[i], &out[i]);
	return t->sad->n;
}

void gw_tables_policy_stats(const struct gw_tables *t, uint32_t policy_uid,
			    struct gw_policy_stats *out)
{
	const struct gw_policy_counters *pc = t ? gw_spd_counters(t->spd, policy_uid) : NULL;

	if (pc) {
		gw_policy_counters_sum(pc, out);
	} else {
		memset(out, 0, sizeof(*out));
		out->ph2_state = GW_PH2_NO_PHASE2;
	}
}

void gw_tables_reset_stats(const struct gw_tables *t)
{
	uint32_t i;

	if (!t || !t->spd)
		return;
	for (i = 0; i < t->spd->n_counters; i++)
		gw_policy_counters_reset(t->spd->counters[i]);
}

/* ---- global counters */

static const char *const ctr_names[GW_CTR_COUNT] = {
	[GW_CTR_OUT_ACCEPT] = "out-accept",
	[GW_CTR_OUT_ACCEPT_ISAKMP] = "out-accept-isakmp",
	[GW_CTR_OUT_DROP] = "out-drop",
	[GW_CTR_OUT_ENCRYPT] = "out-encrypt",
	[GW_CTR_IN_ACCEPT] = "in-accept",
	[GW_CTR_IN_ACCEPT_ISAKMP] = "in-accept-isakmp",
	[GW_CTR_IN_DROP] = "in-drop",
	[GW_CTR_IN_DECRYPTED] = "in-decrypted",
	[GW_CTR_IN_DROP_ENCRYPTED_EXPECTED] = "in-drop-encrypted-expected",
	[GW_CTR_DROP_BAD_SPI] = "bad-spi",
	[GW_CTR_DROP_ICV_FAILURE] = "icv-failure",
	[GW_CTR_DROP_REPLAY] = "replay",
	[GW_CTR_DROP_BAD_PADDING] = "bad-padding",
	[GW_CTR_DROP_NO_ROUTE] = "no-route",
	[GW_CTR_DROP_NO_ARP] = "no-arp",
	[GW_CTR_DROP_MALFORMED] = "malformed",
	[GW_CTR_DROP_NO_SA] = "no-sa",
	[GW_CTR_DROP_TTL_EXCEEDED] = "ttl-exceeded",
	[GW_CTR_DROP_RX_OTHER] = "rx-other",
};

const char *gw_ctr_name(enum gw_ctr c)
{
	return (unsigned)c < GW_CTR_COUNT ? ctr_names[c] : "?";
}

struct gw_worker_counters *gw_worker_counters_alloc(unsigned n)
{
	/* +1: the baseline block behind the workers' */
	return gw_dp_zalloc(((size_t)n + 1) * sizeof(struct gw_worker_counters));
}

void gw_worker_counters_free(struct gw_worker_counters *w)
{
	free(w);
}

static void raw_sum(const struct gw_worker_counters *w, unsigned n, struct gw_worker_counters *into)
{
	unsigned i, k;

	memset(into, 0, sizeof(*into));
	for (i = 0; i < n; i++)
		for (k = 0; k < GW_CTR_COUNT; k++)
			into->c[k] += __atomic_load_n(&w[i].c[k], __ATOMIC_RELAXED);
}

void gw_worker_counters_reset(struct gw_worker_counters *w, unsigned n)
{
	raw_sum(w, n, &w[n]);
}

/* Totals since the last reset. */
static void totals(const struct gw_worker_counters *w, unsigned n, struct gw_worker_counters *t)
{
	unsigned k;

	raw_sum(w, n, t);
	for (k = 0; k < GW_CTR_COUNT; k++)
		t->c[k] -= w[n].c[k];
}

void gw_worker_counters_sum(const struct gw_worker_counters *w, unsigned n, struct gw_counters *out)
{
	struct gw_worker_counters t;

	totals(w, n, &t);
	out->out_accept = t.c[GW_CTR_OUT_ACCEPT];
	out->out_accept_isakmp = t.c[GW_CTR_OUT_ACCEPT_ISAKMP];
	out->out_drop = t.c[GW_CTR_OUT_DROP];
	out->out_encrypt = t.c[GW_CTR_OUT_ENCRYPT];
	out->in_accept = t.c[GW_CTR_IN_ACCEPT];
	out->in_accept_isakmp = t.c[GW_CTR_IN_ACCEPT_ISAKMP];
	out->in_drop = t.c[GW_CTR_IN_DROP];
	out->in_decrypted = t.c[GW_CTR_IN_DECRYPTED];
	out->in_drop_encrypted_expected = t.c[GW_CTR_IN_DROP_ENCRYPTED_EXPECTED];
}

unsigned gw_worker_drops_sum(const struct gw_worker_counters *w, unsigned n,
			     struct gw_drop_view *out, unsigned max)
{
	struct gw_worker_counters t;
	unsigned k;

	totals(w, n, &t);
	for (k = 0; k < GW_DROP_COUNT && k < max; k++) {
		out[k].name = ctr_names[GW_CTR_DROP_FIRST + k];
		out[k].count = t.c[GW_CTR_DROP_FIRST + k];
	}
	return GW_DROP_COUNT;
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

#include "dp.h"
#include "log.h"
#include "rcu.h"
#include "tables.h"
#include "worker.h"

/* Publish new tables to the workers; the old ones are retired once no
 * worker can still be reading them. */
static void publish(struct gw_ctl *ctl, struct gw_tables *next)
{
	struct gw_tables *old = gw_rcu_publish(ctl->rcu, (void **)&ctl->live, next);

	if (old)
		gw_tables_retire(old, next);
}

/* Interfaces are DPDK ports opened at start: they cannot come and go live. */
static int check_interfaces_fixed(const struct gw_config *cur, const struct gw_config *next,
				  struct gw_err *err)
{
	uint32_t i;

	if (cur->interfaces.n != next->interfaces.n) {
		gw_err_set(err, GW_MENU_INTERFACE, -1, NULL,
			   "interfaces cannot be added or removed while running: edit the config file and restart");
		return -1;
	}
	for (i = 0; i < cur->interfaces.n; i++) {
		const struct gw_interface *a = &cur->interfaces.v[i], *b = &next->interfaces.v[i];

		if (strcmp(a->device, b->device) != 0 || a->disabled != b->disabled) {
			gw_err_set(err, GW_MENU_INTERFACE, (int)i, "device",
				   "interface %s: device and disabled cannot change while running: edit the config file and restart",
				   a->name);
			return -1;
		}
	}
	return 0;
}

#define VEC_EQUAL(a, b) ((a).n == (b).n && ((a).n == 0 || memcmp((a).v, (b).v, (a).n * sizeof(*(a).v)) == 0))

/* A new FIB only when interfaces or routes change: an rte_lpm is large. */
static int attach_fib(struct gw_ctl *ctl, const struct gw_config *cfg, struct gw_tables *next,
		      struct gw_err *err)
{
	bool ifs_changed = !VEC_EQUAL(ctl->cfg.interfaces, cfg->interfaces);
	struct gw_fib *fib;

	if (!ctl->dp || (next->fib && !ifs_changed && VEC_EQUAL(ctl->cfg.routes, cfg->routes)))
		return 0;
	fib = gw_dp_fib_build(ctl->dp, cfg, err);
	if (!fib)
		return -1;
	next->fib = fib; /* the old one goes when the old tables are retired */
	if (ifs_changed)
		gw_dp_neigh_flush(ctl->dp);
	return 0;
}

static int rebuild(struct gw_ctl *ctl, const struct gw_config *cfg, bool flush, struct gw_err *err)
{
	struct gw_tables *next = gw_tables_build_dyn(cfg, ctl->live, flush, ctl->ike.sas, ctl->ike.n_sas, err);

	if (!next)
		return -1;
	if (attach_fib(ctl, cfg, next, err) != 0) {
		gw_tables_retire(next, ctl->live);
		return -1;
	}
	publish(ctl, next);
	return 0;
}

int gw_ctl_apply(struct gw_ctl *ctl, struct gw_config *candidate, struct gw_err *err)
{
	if (check_interfaces_fixed(&ctl->cfg, candidate, err) != 0 ||
	    rebuild(ctl, candidate, false, err) != 0) {
		gw_config_free(candidate);
		return -1;
	}
	gw_config_free(&ctl->cfg);
	ctl->cfg = *candidate;
	memset(candidate, 0, sizeof(*candidate));
	gw_ikectl_config(ctl);
	return 0;
}

int gw_ctl_rebuild(struct gw_ctl *ctl, struct gw_err *err)
{
	return rebuild(ctl, &ctl->cfg, false, err);
}

/* ---- the management backend */

static const struct gw_config *be_config(void *ctx)
{
	return &((struct gw_ctl *)ctx)->cfg;
}

static int be_commit(void *ctx, struct gw_config *candidate, struct gw_err *err)
{
	return gw_ctl_apply(ctx, candidate, err);
}

static unsigned be_installed_sas(void *ctx, struct gw_sa_view *out, unsigned max)
{
	return gw_tables_sa_views(((struct gw_ctl *)ctx)->live, out, max);
}

static unsigned be_remote_peers(void *ctx, struct gw_remote_peer_view *out, unsigned max)
{
	return gw_ikectl_remote_peers(ctx, out, max);
}

static void be_counters(void *ctx, struct gw_counters *out)
{
	struct gw_ctl *ctl = ctx;

	gw_worker_counters_sum(ctl->counters, ctl->n_workers, out);
	out->out_accept_isakmp += ctl->ike.out_isakmp - ctl->ike_out_base;
}

/* Reasons of the same name from two stages are one line. */
static unsigned merge_by_name(struct gw_drop_view *v, unsigned n)
{
	unsigned i, j, k = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < k && strcmp(v[j].name, v[i].name) != 0; j++)
			;
		if (j < k)
			v[j].count += v[i].count;
		else
			v[k++] = v[i];
	}
	return k;
}

static unsigned be_drops(void *ctx, struct gw_drop_view *out, unsigned max)
{
	struct gw_ctl *ctl = ctx;
	struct gw_drop_view all[128];
	unsigned n = gw_worker_drops_sum(ctl->counters, ctl->n_workers, all, RTE_DIM(all));

	if (n > RTE_DIM(all))
		n = RTE_DIM(all);
	if (ctl->dp)
		n = gw_dp_drops(ctl->dp, all, n, RTE_DIM(all));
	n = merge_by_name(all, n);
	n = gw_ikectl_drops(ctl, all, n, RTE_DIM(all));
	if (out)
		memcpy(out, all, (n < max ? n : max) * sizeof(*out));
	return n;
}

static void be_policy_stats(void *ctx, unsigned idx, struct gw_policy_stats *out)
{
	struct gw_ctl *ctl = ctx;

	memset(out, 0, sizeof(*out));
	if (idx < ctl->cfg.policies.n) {
		gw_tables_policy_stats(ctl->live, ctl->cfg.policies.v[idx].uid, out);
		out->ph2_state = gw_ikectl_ph2_state(ctl, ctl->cfg.policies.v[idx].uid);
	}
}

static void be_flush_sas(void *ctx)
{
	struct gw_ctl *ctl = ctx;
	struct gw_err err;

	gw_ikectl_flush(ctl);
	if (rebuild(ctl, &ctl->cfg, true, &err) != 0)
		gw_log(GW_LOG_ERR, "ipsec", "installed-sa flush: %s", err.msg);
	else
		gw_log(GW_LOG_INFO, "ipsec", "installed SAs flushed; manual SAs installed again");
}

static void be_reset_counters(void *ctx)
{
	struct gw_ctl *ctl = ctx;

	gw_worker_counters_reset(ctl->counters, ctl->n_workers);
	gw_tables_reset_stats(ctl->live);
	ctl->ike_out_base = ctl->ike.out_isakmp;
	gw_ikectl_reset_counters(ctl);
	if (ctl->dp)
		gw_dp_reset_drops(ctl->dp);
}

const struct gw_mgmt_backend *gw_ctl_backend(struct gw_ctl *ctl)
{
	return &ctl->be;
}

/* ---- life cycle */

int gw_ctl_init(struct gw_ctl *ctl, struct gw_config *cfg, unsigned n_workers, struct gw_err *err)
{
	memset(ctl, 0, sizeof(*ctl));
	if (n_workers > GW_MAX_WORKERS) {
		gw_err_set(err, -1, -1, NULL, "%u worker lcores, at most %u are supported", n_workers,
			   GW_MAX_WORKERS);
		return -1;
	}
	ctl->n_workers = n_workers;
	ctl->rcu = gw_rcu_create(n_workers);
	ctl->counters = gw_worker_counters_alloc(n_workers);
	if (!ctl->rcu || !ctl->counters) {
		gw_err_set(err, -1, -1, NULL, "out of memory for %u workers", n_workers);
		gw_ctl_fini(ctl);
		return -1;
	}
	ctl->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	ctl->be = (struct gw_mgmt_backend){
		.ctx = ctl,
		.config = be_config,
		.commit = be_commit,
		.installed_sas = be_installed_sas,
		.remote_peers = be_remote_peers,
		.counters = be_counters,
		.drops = be_drops,
		.policy_stats = be_policy_stats,
		.flush_sas = be_flush_sas,
		.reset_counters = be_reset_counters,
	};
	return 0;
}

int gw_ctl_start(struct gw_ctl *ctl, struct gw_dp *dp, struct gw_err *err)
{
	ctl->dp = dp;
	if (gw_ikectl_init(&ctl->ike) != 0) {
		gw_err_set(err, -1, -1, NULL, "IKE engine: out of memory");
		return -1;
	}
	gw_ikectl_config(ctl);
	if (dp) {
		dp->on_ike = gw_ikectl_on_datagram;
		dp->on_event = gw_ikectl_on_event;
		dp->cb_arg = ctl;
	}
	return rebuild(ctl, &ctl->cfg, false, err);
}

void gw_ctl_poll(struct gw_ctl *ctl)
{
	if (ctl->dp)
		gw_dp_poll(ctl->dp, ctl->live);
	gw_ikectl_poll(ctl);
}

void gw_ctl_prepare_stop(struct gw_ctl *ctl)
{
	gw_ikectl_flush(ctl);
	if (ctl->dp)
		gw_dp_poll(ctl->dp, ctl->live);
}

/* Call only once the workers have stopped. */
void gw_ctl_fini(struct gw_ctl *ctl)
{
	if (ctl->live)
		gw_tables_retire(ctl->live, NULL);
	ctl->live = NULL;
	gw_worker_counters_free(ctl->counters);
	ctl->counters = NULL;
	gw_rcu_free(ctl->rcu);
	ctl->rcu = NULL;
	gw_ikectl_fini(&ctl->ike);
	gw_config_free(&ctl->cfg);
}

void gw_ctl_worker_init(struct gw_ctl *ctl, struct gw_worker *w, unsigned id)
{
	w->id = id;
	w->rcu = ctl->rcu;
	w->tables_slot = &ctl->live;
	w->counters = &ctl->counters[id];
	w->idle_sleep_us = ctl->cfg.dataplane.idle_sleep_us;
	w->burst = ctl->cfg.dataplane.burst_size;
}

void gw_ctl_tick(struct gw_ctl *ctl)
{
	if (ctl->dp)
		gw_dp_tick(ctl->dp, ctl->live);
}

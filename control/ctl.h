/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread's state: the running config and the tables built from
 * it, published to the workers with RCU. It is the only writer of both; the
 * management socket reaches it through the backend returned here.
 */
#ifndef IPSECGW_CTL_H
#define IPSECGW_CTL_H

#include "fields.h"
#include "ikectl.h"
#include "mgmt.h"
#include "model.h"

struct gw_tables;
struct gw_rcu;
struct gw_worker;
struct gw_worker_counters;
struct gw_dp;

struct gw_ctl {
	struct gw_config cfg;
	struct gw_tables *live; /* what the workers read (via RCU) */
	struct gw_rcu *rcu;
	struct gw_worker_counters *counters; /* one per worker */
	unsigned n_workers;
	struct gw_dp *dp; /* NULL: tables without ports (no FIB) */
	struct gw_ikectl ike;
	uint64_t ike_out_base; /* out_isakmp at the last counters reset */
	struct gw_mgmt_backend be;
};

/* Takes over *cfg (left zeroed); allocates RCU and the workers' counters. */
int gw_ctl_init(struct gw_ctl *ctl, struct gw_config *cfg, unsigned n_workers, struct gw_err *err);
/* Builds and publishes the first tables, with the FIB on dp's ports. */
int gw_ctl_start(struct gw_ctl *ctl, struct gw_dp *dp, struct gw_err *err);
/* Every control-loop turn: punted frames, neighbour requests, SA events. */
void gw_ctl_poll(struct gw_ctl *ctl);
void gw_ctl_fini(struct gw_ctl *ctl);
/* Give a worker its id, the RCU handle, the tables slot and its counters. */
void gw_ctl_worker_init(struct gw_ctl *ctl, struct gw_worker *w, unsigned id);
/* Once a second: SA time lifetimes, neighbour ageing. */
void gw_ctl_tick(struct gw_ctl *ctl);
const struct gw_mgmt_backend *gw_ctl_backend(struct gw_ctl *ctl);
/* Build and publish tables again from the running config and the
 * negotiated SAs (after IKE installed or deleted some). */
int gw_ctl_rebuild(struct gw_ctl *ctl, struct gw_err *err);
/* Before the workers stop: IKE says goodbye (Delete notifications). */
void gw_ctl_prepare_stop(struct gw_ctl *ctl);
/* Apply a validated candidate config live (what `commit` does). */
int gw_ctl_apply(struct gw_ctl *ctl, struct gw_config *candidate, struct gw_err *err);

#endif

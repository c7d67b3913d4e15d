/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Between the command executor (mgmt_cmd.c) and the printers (mgmt_print.c).
 * Printers are pure functions of the data they are given: the executor
 * takes the snapshots from the backend, so printers can be tested on canned
 * data and never touch live state.
 */
#ifndef IPSECGW_MGMT_PRIV_H
#define IPSECGW_MGMT_PRIV_H

#include <stdbool.h>

#include "mgmt.h"

struct gw_print_opts {
	bool detail; /* add GW_FIELD_DETAIL fields (counters: per-reason drops) */
	bool json;
	int item;    /* print number of the one row to print, or -1 for all */
};

/* `print [detail]` of a config menu. */
void gw_print_menu(struct gw_buf *out, const struct gw_config *c, enum gw_menu m,
		   const struct gw_print_opts *o);
/* `policy print stats`; st[i] belongs to policy i of c. */
void gw_print_policy_stats(struct gw_buf *out, const struct gw_config *c,
			   const struct gw_policy_stats *st, const struct gw_print_opts *o);
void gw_print_installed_sas(struct gw_buf *out, const struct gw_sa_view *sa, unsigned n,
			    const struct gw_print_opts *o);
void gw_print_remote_peers(struct gw_buf *out, const struct gw_remote_peer_view *p, unsigned n,
			   const struct gw_print_opts *o);
/* `counters print`; drops are printed only with o->detail. */
void gw_print_counters(struct gw_buf *out, const struct gw_counters *ctr,
		       const struct gw_drop_view *drops, unsigned n_drops,
		       const struct gw_print_opts *o);

#endif

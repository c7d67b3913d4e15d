/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Management commands: RouterOS menus with `key=value` arguments.
 *
 *   [/ip ipsec] MENU VERB [ITEM] [key=value ...]      e.g.
 *   policy print stats          installed-sa flush       counters reset
 *   proposal set default enc-algorithms=des,aes-128
 *   peer add address=198.19.0.2/32 secret="x y"
 *
 * The executor is independent of sockets: it takes one command line and
 * writes the answer into a growable text buffer. Control's state is reached
 * through a backend, so the same code is unit-tested with a test backend and
 * runs in the daemon with the real one. Every change is applied to a clone
 * of the config, validated as a whole, and committed only if valid.
 */
#ifndef IPSECGW_MGMT_H
#define IPSECGW_MGMT_H

#include <stdbool.h>
#include <stddef.h>

#include "fields.h"
#include "model.h"
#include "views.h"

/* A growable output buffer (always NUL-terminated). */
struct gw_buf {
	char *s;
	size_t len, cap;
	bool oom; /* an append failed: the answer is incomplete */
};
void gw_buf_init(struct gw_buf *b);
void gw_buf_free(struct gw_buf *b);
void gw_buf_printf(struct gw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gw_buf_put(struct gw_buf *b, const char *s, size_t n);

/* What the executor needs from the control thread. */
struct gw_mgmt_backend {
	void *ctx;
	/* The running config (read only: changes go through commit). */
	const struct gw_config *(*config)(void *ctx);
	/* Take ownership of a validated candidate config and apply it live
	 * (rebuild and publish tables). On failure nothing changed and err says why. */
	int (*commit)(void *ctx, struct gw_config *candidate, struct gw_err *err);
	/* Snapshots; each returns the number of items written or needed (call
	 * with max=0 to size), in print order. */
	unsigned (*installed_sas)(void *ctx, struct gw_sa_view *out, unsigned max);
	unsigned (*remote_peers)(void *ctx, struct gw_remote_peer_view *out, unsigned max);
	void (*counters)(void *ctx, struct gw_counters *out);
	/* Per-reason drops for `counters print detail`; NULL-terminated static names. */
	unsigned (*drops)(void *ctx, struct gw_drop_view *out, unsigned max);
	/* Stats of the policy at print index idx of the running config. */
	void (*policy_stats)(void *ctx, unsigned idx, struct gw_policy_stats *out);
	void (*flush_sas)(void *ctx);
	void (*reset_counters)(void *ctx);
};

/* Run one command line. Returns 0 on success (answer in out) or -1 with a
 * one-line error in out (no partial answer). `json` selects JSON output. */
int gw_mgmt_exec(const struct gw_mgmt_backend *be, const char *line, bool json, struct gw_buf *out);

/* Split a command line into words: whitespace separates, double quotes group
 * and may hold \" and \\. Returns the count or -1 on an unterminated quote.
 * Words point into `scratch` (at least strlen(line)+1 bytes). */
int gw_mgmt_split(const char *line, char *scratch, char **words, int max_words);

/* `ipsecctl help`: menus and their fields. */
void gw_mgmt_help(struct gw_buf *out, const char *menu);

#endif

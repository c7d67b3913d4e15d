/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management command executor: RouterOS's /ip ipsec menus and verbs.
 *
 *   [/ip ipsec] MENU VERB [ITEM] [key=value ...]
 *
 * Every change (add, set, remove, enable, disable, move) is made on a clone
 * of the running config, validated as a whole and handed to the backend's
 * commit; any error frees the clone, so a refused command changes nothing.
 * Items are named by their print number or, where the menu has one, their
 * name (gw_menu_lookup); numbers always refer to the running config, as the
 * user saw them in the last `print`.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt.h"
#include "mgmt_priv.h"

#define MGMT_MAX_WORDS 256
#define MGMT_MAX_LINE (64 * 1024)
#define MGMT_ERR_MAX 1024
#define MGMT_KEY_MAX 64

/* The runtime menus follow the config menus of model.h. */
enum cmd_menu {
	CMD_INSTALLED_SA = GW_MENU_COUNT,
	CMD_REMOTE_PEERS,
	CMD_COUNTERS,
};

enum cmd_verb { V_PRINT, V_ADD, V_SET, V_REMOVE, V_ENABLE, V_DISABLE, V_MOVE, V_FLUSH, V_RESET, V_COUNT };

static const char *const verb_names[V_COUNT] = {
	[V_PRINT] = "print",   [V_ADD] = "add",         [V_SET] = "set",
	[V_REMOVE] = "remove", [V_ENABLE] = "enable",   [V_DISABLE] = "disable",
	[V_MOVE] = "move",     [V_FLUSH] = "flush",     [V_RESET] = "reset",
};

#define VB(v) (1u << (v))
#define CONFIG_VERBS \
	(VB(V_PRINT) | VB(V_ADD) | VB(V_SET) | VB(V_REMOVE) | VB(V_ENABLE) | VB(V_DISABLE) | VB(V_MOVE))

struct menu_info {
	const char *name;
	int id; /* enum gw_menu or enum cmd_menu */
	unsigned verbs;
	const char *what;
};

/* In the order `help` and error messages list them: the seed's menus first. */
static const struct menu_info menus[] = {
	{"proposal", GW_MENU_PROPOSAL, CONFIG_VERBS, "phase 2 proposals: SA algorithms, lifetime, PFS"},
	{"peer", GW_MENU_PEER, CONFIG_VERBS, "IKE peers and their phase 1 settings"},
	{"policy", GW_MENU_POLICY, CONFIG_VERBS, "security policies (SPD), first match wins"},
	{"manual-sa", GW_MENU_MANUAL_SA, CONFIG_VERBS, "templates of manually keyed SAs"},
	{"installed-sa", CMD_INSTALLED_SA, VB(V_PRINT) | VB(V_FLUSH), "SAs in use (SAD)"},
	{"remote-peers", CMD_REMOTE_PEERS, VB(V_PRINT), "phase 1 state per remote peer"},
	{"counters", CMD_COUNTERS, VB(V_PRINT) | VB(V_RESET), "global IPsec counters"},
	{"interface", GW_MENU_INTERFACE, CONFIG_VERBS, "gateway ports and their addresses"},
	{"route", GW_MENU_ROUTE, CONFIG_VERBS, "static routes"},
};
#define N_MENUS (sizeof(menus) / sizeof(menus[0]))

struct cmd {
	const struct gw_mgmt_backend *be;
	struct gw_buf *out;
	bool json;
	const struct menu_info *menu;
	char **arg; /* words after the verb */
	int n_arg;
	char err[MGMT_ERR_MAX];
};

static int fail(struct cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record the one-line error of this command; always returns -1. */
static int fail(struct cmd *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- word splitting */

int gw_mgmt_split(const char *line, char *scratch, char **words, int max_words)
{
	const char *p = line;
	char *o = scratch;
	int n = 0;

	/* Every word writes at most the characters it consumed plus a NUL,
	 * and words are separated by at least one blank, so the scratch of
	 * strlen(line)+1 bytes always suffices. Words beyond max_words are
	 * counted but not stored, so the caller can say "too many". */
	for (;;) {
		char *start = o;
		bool quoted = false;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		while (*p && (quoted || !isspace((unsigned char)*p))) {
			if (*p == '"') {
				quoted = !quoted;
				p++;
				continue;
			}
			if (quoted && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			*o++ = *p++;
		}
		if (quoted)
			return -1;
		*o++ = '\0';
		if (n < max_words)
			words[n] = start;
		n++;
	}
	return n;
}

/* ---- names and lists */

static const struct menu_info *find_menu(const char *name)
{
	for (size_t i = 0; i < N_MENUS; i++)
		if (strcmp(menus[i].name, name) == 0)
			return &menus[i];
	return NULL;
}

static int find_verb(const char *name)
{
	for (int v = 0; v < V_COUNT; v++)
		if (strcmp(verb_names[v], name) == 0)
			return v;
	return -1;
}

static void menu_list(char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_MENUS && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", menus[i].name);
}

static void verb_list(const struct menu_info *m, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int v = 0; v < V_COUNT && o < len; v++)
		if (m->verbs & VB(v))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", verb_names[v]);
}

static void key_list(enum gw_menu m, char *buf, size_t len)
{
	unsigned n;
	const struct gw_field *f = gw_fields(m, &n);
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", f[i].name);
}

/* A print number: decimal digits only, as RouterOS shows them. */
static bool parse_number(const char *s, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)s[0]) || strlen(s) > 9)
		return false;
	*v = strtoul(s, &end, 10);
	return *end == '\0';
}

/* What validate or commit said. Their messages name the object and field
 * themselves ("policy 0: proposal \"x\" does not exist"). */
static int fail_err(struct cmd *c, const char *prefix, const struct gw_err *e)
{
	return fail(c, "%s%s%s", prefix ? prefix : "", prefix ? ": " : "", e->msg[0] ? e->msg : "refused");
}

static void err_init(struct gw_err *e)
{
	memset(e, 0, sizeof(*e));
	e->menu = -1;
	e->index = -1;
}

/* ---- items */

static const struct gw_config *running(const struct cmd *c)
{
	return c->be->config(c->be->ctx);
}

static enum gw_menu cmenu(const struct cmd *c)
{
	return (enum gw_menu)c->menu->id;
}

static int out_of_range(struct cmd *c, const char *ref, unsigned long count)
{
	if (count == 0)
		return fail(c, "item number %s out of range: %s has no items", ref, c->menu->name);
	return fail(c, "item number %s out of range: %s has %lu item%s (0..%lu)", ref, c->menu->name,
		    count, count == 1 ? "" : "s", count - 1);
}

/* One ITEM of a config menu: print number or name. */
static int resolve_item(struct cmd *c, const char *ref, uint32_t *idx)
{
	const struct gw_config *cfg = running(c);
	int i = gw_menu_lookup(cfg, cmenu(c), ref);
	unsigned long v;

	if (i >= 0) {
		*idx = (uint32_t)i;
		return 0;
	}
	if (ref[0] == '\0')
		return fail(c, "empty item in \"%s\"", ref);
	if (parse_number(ref, &v))
		return out_of_range(c, ref, gw_menu_count(cfg, cmenu(c)));
	return fail(c, "no such %s \"%.64s\"", c->menu->name, ref);
}

/* ITEM[,ITEM...] into a selection mask over the running config's items. */
static int select_items(struct cmd *c, const char *list, bool **sel)
{
	uint32_t n = gw_menu_count(running(c), cmenu(c)), idx;
	char ref[GW_NAME_MAX + 16];
	const char *p = list;

	*sel = calloc(n ? n : 1, sizeof(**sel));
	if (!*sel)
		return fail(c, "out of memory");
	for (;;) {
		size_t len = strcspn(p, ",");

		if (len == 0) {
			fail(c, "empty item in \"%.64s\"", list);
			break;
		}
		if (len >= sizeof(ref)) {
			fail(c, "no such %s \"%.64s\"", c->menu->name, p);
			break;
		}
		memcpy(ref, p, len);
		ref[len] = '\0';
		if (resolve_item(c, ref, &idx) != 0)
			break;
		(*sel)[idx] = true;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
	free(*sel);
	*sel = NULL;
	return -1;
}

static bool is_dynamic(const struct gw_config *cfg, enum gw_menu m, uint32_t idx)
{
	if (m != GW_MENU_POLICY)
		return false;
	return ((const struct gw_policy *)gw_menu_obj_const(cfg, m, idx))->dynamic;
}

/* Dynamic policies belong to IKE (generate-policy): RouterOS refuses to edit them. */
static int refuse_dynamic(struct cmd *c, const bool *sel)
{
	const struct gw_config *cfg = running(c);
	uint32_t n = gw_menu_count(cfg, cmenu(c));

	for (uint32_t i = 0; i < n; i++)
		if (sel[i] && is_dynamic(cfg, cmenu(c), i))
			return fail(c, "policy %u is dynamic (generated by IKE) and cannot be changed", i);
	return 0;
}

/* Move object `from` to index `to`, shifting those between. */
static int move_obj(struct gw_config *cfg, enum gw_menu m, uint32_t from, uint32_t to)
{
	size_t sz = gw_menu_obj_size(m);
	char *base = gw_menu_obj(cfg, m, 0);
	void *tmp;

	if (from == to)
		return 0;
	tmp = malloc(sz);
	if (!tmp)
		return -1;
	memcpy(tmp, base + from * sz, sz);
	if (from < to)
		memmove(base + from * sz, base + (from + 1) * sz, (to - from) * sz);
	else
		memmove(base + (to + 1) * sz, base + to * sz, (from - to) * sz);
	memcpy(base + to * sz, tmp, sz);
	free(tmp);
	return 0;
}

static void set_disabled(enum gw_menu m, void *obj, bool off)
{
	switch (m) {
	case GW_MENU_INTERFACE: ((struct gw_interface *)obj)->disabled = off; break;
	case GW_MENU_ROUTE: ((struct gw_route *)obj)->disabled = off; break;
	case GW_MENU_PROPOSAL: ((struct gw_proposal *)obj)->disabled = off; break;
	case GW_MENU_PEER: ((struct gw_peer *)obj)->disabled = off; break;
	case GW_MENU_POLICY: ((struct gw_policy *)obj)->disabled = off; break;
	case GW_MENU_MANUAL_SA: ((struct gw_manual_sa *)obj)->disabled = off; break;
	default: break;
	}
}

/* ---- changing the config */

static int validate_and_commit(struct cmd *c, struct gw_config *cand, const char *prefix)
{
	struct gw_err err;

	err_init(&err);
	if (gw_config_validate(cand, &err) != 0) {
		gw_config_free(cand);
		return fail_err(c, prefix, &err);
	}
	/* commit owns the candidate from here on, whatever it answers. */
	err_init(&err);
	if (c->be->commit(c->be->ctx, cand, &err) != 0)
		return fail_err(c, prefix, &err);
	return 0;
}

static bool field_seen(const struct gw_field **seen, int n, const struct gw_field *f)
{
	for (int i = 0; i < n; i++)
		if (seen[i] == f)
			return true;
	return false;
}

/* One key=value onto obj. */
static int apply_pair(struct cmd *c, void *obj, const char *word, const struct gw_field **seen,
		      int *n_seen)
{
	enum gw_menu m = cmenu(c);
	const char *eq = strchr(word, '='), *val;
	const struct gw_field *f;
	char key[MGMT_KEY_MAX], keys[1024];
	struct gw_err err;

	if (!eq)
		return fail(c, "expected key=value, got \"%.64s\"", word);
	if (eq == word)
		return fail(c, "missing key before \"=\" in \"%.64s\"", word);
	val = eq + 1;
	f = NULL;
	if ((size_t)(eq - word) < sizeof(key)) {
		memcpy(key, word, (size_t)(eq - word));
		key[eq - word] = '\0';
		f = gw_field_find(m, key);
	}
	if (!f) {
		key_list(m, keys, sizeof(keys));
		return fail(c, "unknown key \"%.*s\" for %s; keys: %s", (int)(eq - word > 64 ? 64 : eq - word),
			    word, c->menu->name, keys);
	}
	if (field_seen(seen, *n_seen, f))
		return fail(c, "key %s given twice", f->name);
	seen[(*n_seen)++] = f;
	err_init(&err);
	if (gw_field_set(m, obj, key, val, &err) != 0)
		return fail(c, "%s", err.msg[0] ? err.msg : "invalid value");
	return 0;
}

/* key=value words onto obj. With place_before, that key is taken out for `add`. */
static int apply_pairs(struct cmd *c, void *obj, char **w, int n, const char **place_before)
{
	const struct gw_field *seen[MGMT_MAX_WORDS];
	int n_seen = 0;

	for (int i = 0; i < n; i++) {
		if (place_before && strncmp(w[i], "place-before=", 13) == 0) {
			if (*place_before)
				return fail(c, "key place-before given twice");
			*place_before = w[i] + 13;
			continue;
		}
		if (apply_pair(c, obj, w[i], seen, &n_seen) != 0)
			return -1;
	}
	return 0;
}

/* Where a new object goes: before `place-before`, else at the end, except
 * that static policies stay above the dynamic ones (seed: "dynamic
 * policies are added at the bottom of the list"). */
static int place_new(struct cmd *c, struct gw_config *cand, uint32_t idx, const char *before)
{
	enum gw_menu m = cmenu(c);
	uint32_t to = idx;

	if (before) {
		if (resolve_item(c, before, &to) != 0)
			return -1;
	} else if (m == GW_MENU_POLICY) {
		for (uint32_t i = 0; i < idx; i++)
			if (is_dynamic(cand, m, i)) {
				to = i;
				break;
			}
	}
	if (move_obj(cand, m, idx, to) != 0)
		return fail(c, "out of memory");
	return 0;
}

static int cmd_add(struct cmd *c)
{
	struct gw_config cand;
	const char *before = NULL;
	int idx;

	if (gw_config_clone(&cand, running(c)) != 0)
		return fail(c, "out of memory");
	idx = gw_menu_append(&cand, cmenu(c));
	if (idx < 0) {
		gw_config_free(&cand);
		return fail(c, "out of memory");
	}
	if (apply_pairs(c, gw_menu_obj(&cand, cmenu(c), (uint32_t)idx), c->arg, c->n_arg, &before) != 0 ||
	    place_new(c, &cand, (uint32_t)idx, before) != 0) {
		gw_config_free(&cand);
		return -1;
	}
	return validate_and_commit(c, &cand, NULL);
}

static bool is_default_proposal(const struct gw_config *cfg, enum gw_menu m, uint32_t idx)
{
	return m == GW_MENU_PROPOSAL &&
	       strcmp(((const struct gw_proposal *)gw_menu_obj_const(cfg, m, idx))->name, "default") == 0;
}

/* Renaming the default proposal would be a way round "cannot remove it". */
static bool default_renamed(struct cmd *c, const struct gw_config *cand, uint32_t idx)
{
	if (!is_default_proposal(running(c), cmenu(c), idx) || is_default_proposal(cand, cmenu(c), idx))
		return false;
	fail(c, "the default proposal cannot be renamed");
	return true;
}

static int refuse_default_proposal(struct cmd *c, const bool *sel)
{
	const struct gw_config *cfg = running(c);
	uint32_t n = gw_menu_count(cfg, GW_MENU_PROPOSAL);

	if (cmenu(c) != GW_MENU_PROPOSAL)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (sel[i] && is_default_proposal(cfg, GW_MENU_PROPOSAL, i))
			return fail(c, "cannot remove the default proposal");
	return 0;
}

/* Select the ITEMs a change applies to, check they may be changed, and
 * clone the running config to make the change on. */
static int begin_change(struct cmd *c, const char *list, bool removing, bool **sel,
			struct gw_config *cand)
{
	if (select_items(c, list, sel) != 0)
		return -1;
	if (refuse_dynamic(c, *sel) != 0 || (removing && refuse_default_proposal(c, *sel) != 0))
		goto fail;
	if (gw_config_clone(cand, running(c)) != 0) {
		fail(c, "out of memory");
		goto fail;
	}
	return 0;
fail:
	free(*sel);
	*sel = NULL;
	return -1;
}

static int cmd_set(struct cmd *c)
{
	struct gw_config cand;
	bool *sel;
	uint32_t n;

	if (c->n_arg < 1)
		return fail(c, "missing item: %s set ITEM key=value...", c->menu->name);
	if (c->n_arg < 2)
		return fail(c, "nothing to set: %s set %.64s key=value...", c->menu->name, c->arg[0]);
	if (begin_change(c, c->arg[0], false, &sel, &cand) != 0)
		return -1;
	n = gw_menu_count(&cand, cmenu(c));
	for (uint32_t i = 0; i < n; i++) {
		if (sel[i] && (apply_pairs(c, gw_menu_obj(&cand, cmenu(c), i), c->arg + 1, c->n_arg - 1, NULL) != 0 ||
			       default_renamed(c, &cand, i))) {
			gw_config_free(&cand);
			free(sel);
			return -1;
		}
	}
	free(sel);
	return validate_and_commit(c, &cand, NULL);
}

/* The verbs that take exactly one ITEM[,ITEM...] and nothing else. */
static int one_item_arg(struct cmd *c, const char *verb)
{
	if (c->n_arg < 1)
		return fail(c, "missing item: %s %s ITEM[,ITEM...]", c->menu->name, verb);
	if (c->n_arg > 1)
		return fail(c, "too many words: \"%.64s\" after %s %s %.64s", c->arg[1], c->menu->name, verb,
			    c->arg[0]);
	return 0;
}

static int cmd_remove(struct cmd *c)
{
	struct gw_config cand;
	char prefix[128];
	bool *sel;
	uint32_t n;

	if (one_item_arg(c, "remove") != 0 || begin_change(c, c->arg[0], true, &sel, &cand) != 0)
		return -1;
	/* From the end, so the indices still to remove stay valid. */
	n = gw_menu_count(&cand, cmenu(c));
	for (uint32_t i = n; i-- > 0;)
		if (sel[i])
			gw_menu_remove(&cand, cmenu(c), i);
	free(sel);
	/* A proposal or manual-sa still used by a policy is refused here,
	 * by validate, like a config file that names a missing one. */
	snprintf(prefix, sizeof(prefix), "cannot remove %s %.64s", c->menu->name, c->arg[0]);
	return validate_and_commit(c, &cand, prefix);
}

static int cmd_enable(struct cmd *c, bool disable)
{
	struct gw_config cand;
	bool *sel;
	uint32_t n;

	if (one_item_arg(c, disable ? "disable" : "enable") != 0 ||
	    begin_change(c, c->arg[0], false, &sel, &cand) != 0)
		return -1;
	n = gw_menu_count(&cand, cmenu(c));
	for (uint32_t i = 0; i < n; i++)
		if (sel[i])
			set_disabled(cmenu(c), gw_menu_obj(&cand, cmenu(c), i), disable);
	free(sel);
	return validate_and_commit(c, &cand, NULL);
}

/* `move ITEM [DESTINATION]`: before DESTINATION, or to the end (RouterOS). */
static int cmd_move(struct cmd *c)
{
	struct gw_config cand;
	uint32_t from, dest, to, n = gw_menu_count(running(c), cmenu(c));

	if (c->n_arg < 1)
		return fail(c, "missing item: %s move ITEM [DESTINATION]", c->menu->name);
	if (c->n_arg > 2)
		return fail(c, "too many words: \"%.64s\"", c->arg[2]);
	if (resolve_item(c, c->arg[0], &from) != 0)
		return -1;
	if (c->n_arg == 2 && resolve_item(c, c->arg[1], &dest) != 0)
		return -1;
	if (is_dynamic(running(c), cmenu(c), from))
		return fail(c, "policy %u is dynamic (generated by IKE) and cannot be changed", from);
	to = c->n_arg == 2 ? (from < dest ? dest - 1 : dest) : n - 1;
	if (gw_config_clone(&cand, running(c)) != 0)
		return fail(c, "out of memory");
	if (move_obj(&cand, cmenu(c), from, to) != 0) {
		gw_config_free(&cand);
		return fail(c, "out of memory");
	}
	return validate_and_commit(c, &cand, NULL);
}

/* ---- print */

static int print_config(struct cmd *c, struct gw_print_opts *o, const char *item, bool stats)
{
	const struct gw_config *cfg = running(c);
	struct gw_policy_stats *st;
	uint32_t idx, n;

	if (item) {
		if (resolve_item(c, item, &idx) != 0)
			return -1;
		o->item = (int)idx;
	}
	if (!stats) {
		gw_print_menu(c->out, cfg, cmenu(c), o);
		return 0;
	}
	n = gw_menu_count(cfg, GW_MENU_POLICY);
	st = calloc(n ? n : 1, sizeof(*st));
	if (!st)
		return fail(c, "out of memory");
	for (uint32_t i = 0; i < n; i++)
		if (c->be->policy_stats && (o->item < 0 || (uint32_t)o->item == i))
			c->be->policy_stats(c->be->ctx, i, &st[i]);
	gw_print_policy_stats(c->out, cfg, st, o);
	free(st);
	return 0;
}

static int runtime_item(struct cmd *c, struct gw_print_opts *o, const char *item, unsigned n)
{
	unsigned long v;

	if (!item)
		return 0;
	if (!parse_number(item, &v))
		return fail(c, "no such %s \"%.64s\"; items are print numbers", c->menu->name, item);
	if (v >= n)
		return out_of_range(c, item, n);
	o->item = (int)v;
	return 0;
}

static int print_installed_sa(struct cmd *c, struct gw_print_opts *o, const char *item)
{
	const struct gw_mgmt_backend *be = c->be;
	unsigned n = be->installed_sas ? be->installed_sas(be->ctx, NULL, 0) : 0, got;
	struct gw_sa_view *v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return fail(c, "out of memory");
	/* SAs may come and go between the two calls: print what fitted. */
	got = n ? be->installed_sas(be->ctx, v, n) : 0;
	n = got < n ? got : n;
	if (runtime_item(c, o, item, n) != 0) {
		free(v);
		return -1;
	}
	gw_print_installed_sas(c->out, v, n, o);
	free(v);
	return 0;
}

static int print_remote_peers(struct cmd *c, struct gw_print_opts *o, const char *item)
{
	const struct gw_mgmt_backend *be = c->be;
	unsigned n = be->remote_peers ? be->remote_peers(be->ctx, NULL, 0) : 0, got;
	struct gw_remote_peer_view *v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return fail(c, "out of memory");
	got = n ? be->remote_peers(be->ctx, v, n) : 0;
	n = got < n ? got : n;
	if (runtime_item(c, o, item, n) != 0) {
		free(v);
		return -1;
	}
	gw_print_remote_peers(c->out, v, n, o);
	free(v);
	return 0;
}

static int print_counters(struct cmd *c, struct gw_print_opts *o, const char *item)
{
	const struct gw_mgmt_backend *be = c->be;
	struct gw_counters ctr = {0};
	struct gw_drop_view *d;
	unsigned n = 0, got;

	if (item)
		return fail(c, "too many words: \"%.64s\"; counters print [detail]", item);
	if (be->counters)
		be->counters(be->ctx, &ctr);
	if (o->detail && be->drops)
		n = be->drops(be->ctx, NULL, 0);
	d = calloc(n ? n : 1, sizeof(*d));
	if (!d)
		return fail(c, "out of memory");
	got = n ? be->drops(be->ctx, d, n) : 0;
	n = got < n ? got : n;
	gw_print_counters(c->out, &ctr, d, n, o);
	free(d);
	return 0;
}

static int cmd_print(struct cmd *c)
{
	struct gw_print_opts o = {.json = c->json, .item = -1};
	const char *item = NULL;
	bool stats = false;

	for (int i = 0; i < c->n_arg; i++) {
		const char *a = c->arg[i];

		if (strcmp(a, "detail") == 0) {
			o.detail = true;
		} else if (strcmp(a, "stats") == 0) {
			if (c->menu->id != GW_MENU_POLICY)
				return fail(c, "print stats is only for policy");
			stats = true;
		} else if (strcmp(a, "where") == 0) {
			return fail(c, "print where is not supported; give an item number");
		} else if (item) {
			return fail(c, "too many words: \"%.64s\"; %s print [detail] [ITEM]", a, c->menu->name);
		} else {
			item = a;
		}
	}
	switch (c->menu->id) {
	case CMD_INSTALLED_SA: return print_installed_sa(c, &o, item);
	case CMD_REMOTE_PEERS: return print_remote_peers(c, &o, item);
	case CMD_COUNTERS: return print_counters(c, &o, item);
	default: return print_config(c, &o, item, stats);
	}
}

/* ---- runtime verbs */

static int no_args(struct cmd *c, const char *verb)
{
	if (c->n_arg > 0)
		return fail(c, "too many words: \"%.64s\"; %s %s takes no arguments", c->arg[0], c->menu->name,
			    verb);
	return 0;
}

static int cmd_flush(struct cmd *c)
{
	if (no_args(c, "flush") != 0)
		return -1;
	if (!c->be->flush_sas)
		return fail(c, "installed-sa flush is not available");
	c->be->flush_sas(c->be->ctx);
	return 0;
}

static int cmd_reset(struct cmd *c)
{
	if (no_args(c, "reset") != 0)
		return -1;
	if (!c->be->reset_counters)
		return fail(c, "counters reset is not available");
	c->be->reset_counters(c->be->ctx);
	return 0;
}

/* ---- help */

static void help_menus(struct gw_buf *out)
{
	char verbs[128];

	gw_buf_printf(out, "usage: [/ip ipsec] MENU VERB [ITEM] [key=value ...]\n"
			   "       help [MENU]\n\nmenus:\n");
	for (size_t i = 0; i < N_MENUS; i++) {
		verb_list(&menus[i], verbs, sizeof(verbs));
		gw_buf_printf(out, "  %-13s %s\n  %-13s   verbs: %s\n", menus[i].name, menus[i].what, "", verbs);
	}
}

static void help_fields(struct gw_buf *out, enum gw_menu m)
{
	unsigned n;
	const struct gw_field *f = gw_fields(m, &n);

	gw_buf_printf(out, "\nkeys:\n");
	for (unsigned i = 0; i < n; i++) {
		char name[96];

		if (f[i].alias)
			snprintf(name, sizeof(name), "%s (%s)", f[i].name, f[i].alias);
		else
			snprintf(name, sizeof(name), "%s", f[i].name);
		gw_buf_printf(out, "  %-26s %s\n", name, f[i].help ? f[i].help : "");
	}
}

/* Menus whose items have names (GW_FIELD_KEY) can be named in ITEM. */
static bool menu_has_names(enum gw_menu m)
{
	unsigned n;
	const struct gw_field *f = gw_fields(m, &n);

	for (unsigned i = 0; i < n; i++)
		if (f[i].flags & GW_FIELD_KEY)
			return true;
	return false;
}

static void help_config_menu(struct gw_buf *out, enum gw_menu m)
{
	gw_buf_printf(out,
		      "  print [detail%s] [ITEM]\n"
		      "  add key=value... [place-before=ITEM]\n"
		      "  set ITEM[,ITEM...] key=value...\n"
		      "  remove|enable|disable ITEM[,ITEM...]\n"
		      "  move ITEM [DESTINATION]\n"
		      "ITEM is a print number%s.\n",
		      m == GW_MENU_POLICY ? "|stats" : "", menu_has_names(m) ? " or a name" : "");
	help_fields(out, m);
}

static void help_menu(struct gw_buf *out, const struct menu_info *m)
{
	char verbs[128];

	verb_list(m, verbs, sizeof(verbs));
	gw_buf_printf(out, "%s: %s\nverbs: %s\n", m->name, m->what, verbs);
	switch (m->id) {
	case CMD_INSTALLED_SA:
		gw_buf_printf(out, "  print [detail] [ITEM]\n"
				   "  flush             delete every installed SA\n");
		break;
	case CMD_REMOTE_PEERS:
		gw_buf_printf(out, "  print [ITEM]\n");
		break;
	case CMD_COUNTERS:
		gw_buf_printf(out, "  print [detail]    detail adds the per-reason drop counters\n"
				   "  reset             set every counter to 0\n");
		break;
	default:
		help_config_menu(out, (enum gw_menu)m->id);
		break;
	}
}

void gw_mgmt_help(struct gw_buf *out, const char *menu)
{
	const struct menu_info *m = menu ? find_menu(menu) : NULL;
	char list[256];

	if (!menu) {
		help_menus(out);
		return;
	}
	if (!m) {
		menu_list(list, sizeof(list));
		gw_buf_printf(out, "unknown menu \"%.64s\"; menus: %s\n", menu, list);
		return;
	}
	help_menu(out, m);
}

static int cmd_help(struct cmd *c, char **w, int n)
{
	char list[256];

	if (n > 1)
		return fail(c, "too many words: \"%.64s\"; help [MENU]", w[1]);
	if (n == 1 && !find_menu(w[0])) {
		menu_list(list, sizeof(list));
		return fail(c, "unknown menu \"%.64s\"; menus: %s", w[0], list);
	}
	gw_mgmt_help(c->out, n ? w[0] : NULL);
	return 0;
}

/* ---- dispatch */

/* The RouterOS path prefix, in its console ("/ip ipsec"), v7 ("/ip/ipsec",
 * also "/ip/ipsec/policy") and script ("ip ipsec") spellings. Returns the
 * number of words it takes; may shorten w[0] to the menu part. */
static int skip_prefix(char **w, int n)
{
	static const char *const joined[] = {"/ip/ipsec", "ip/ipsec"};

	/* The seed also writes "/ ip ipsec peer add ...". */
	if (n >= 3 && strcmp(w[0], "/") == 0 && strcmp(w[1], "ip") == 0 && strcmp(w[2], "ipsec") == 0)
		return 3;
	if (n >= 2 && (strcmp(w[0], "/ip") == 0 || strcmp(w[0], "ip") == 0) && strcmp(w[1], "ipsec") == 0)
		return 2;
	for (size_t i = 0; i < 2 && n >= 1; i++) {
		size_t len = strlen(joined[i]);
		const char *rest = w[0] + len;

		if (strncmp(w[0], joined[i], len) != 0 || (*rest != '\0' && *rest != '/'))
			continue;
		if (*rest == '\0' || rest[1] == '\0')
			return 1;
		w[0] += len + 1;
		return 0;
	}
	return 0;
}

static int dispatch(struct cmd *c, int verb)
{
	switch (verb) {
	case V_PRINT: return cmd_print(c);
	case V_ADD: return cmd_add(c);
	case V_SET: return cmd_set(c);
	case V_REMOVE: return cmd_remove(c);
	case V_ENABLE: return cmd_enable(c, false);
	case V_DISABLE: return cmd_enable(c, true);
	case V_MOVE: return cmd_move(c);
	case V_FLUSH: return cmd_flush(c);
	case V_RESET: return cmd_reset(c);
	default: return fail(c, "internal error: verb %d", verb);
	}
}

static int run_words(struct cmd *c, char **w, int n)
{
	char list[256];
	int skip = skip_prefix(w, n), verb;

	w += skip;
	n -= skip;
	menu_list(list, sizeof(list));
	if (n == 0)
		return fail(c, "%s; menus: %s", skip ? "missing menu after /ip ipsec" : "empty command", list);
	if (strcmp(w[0], "help") == 0)
		return cmd_help(c, w + 1, n - 1);
	c->menu = find_menu(w[0]);
	if (!c->menu)
		return fail(c, "unknown menu \"%.64s\"; menus: %s", w[0], list);
	verb_list(c->menu, list, sizeof(list));
	if (n < 2)
		return fail(c, "missing verb after %s; verbs: %s", c->menu->name, list);
	if (strcmp(w[1], "help") == 0 && n == 2) {
		gw_mgmt_help(c->out, c->menu->name);
		return 0;
	}
	verb = find_verb(w[1]);
	if (verb < 0 || !(c->menu->verbs & VB(verb)))
		return fail(c, "unknown verb \"%.64s\" for %s; verbs: %s", w[1], c->menu->name, list);
	c->arg = w + 2;
	c->n_arg = n - 2;
	return dispatch(c, verb);
}

int gw_mgmt_exec(const struct gw_mgmt_backend *be, const char *line, bool json, struct gw_buf *out)
{
	struct cmd c = {.be = be, .out = out, .json = json};
	char *words[MGMT_MAX_WORDS], *scratch = NULL;
	size_t start = out->len, len = strlen(line);
	int n, rc;

	if (len > MGMT_MAX_LINE)
		rc = fail(&c, "command too long: %zu bytes, at most %d", len, MGMT_MAX_LINE);
	else if (!(scratch = malloc(len + 1)))
		rc = fail(&c, "out of memory");
	else if ((n = gw_mgmt_split(line, scratch, words, MGMT_MAX_WORDS)) < 0)
		rc = fail(&c, "unterminated quote");
	else if (n > MGMT_MAX_WORDS)
		rc = fail(&c, "too many words: %d, at most %d", n, MGMT_MAX_WORDS);
	else
		rc = run_words(&c, words, n);
	free(scratch);
	if (rc == 0 && out->oom)
		rc = fail(&c, "out of memory");
	if (rc != 0) {
		/* Errors echo user words: keep them on their one line. */
		for (char *p = c.err; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		/* No partial answer: the error replaces whatever was printed. */
		out->len = start;
		if (out->s)
			out->s[start] = '\0';
		out->oom = false;
		gw_buf_printf(out, "%s\n", c.err);
	}
	return rc;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Printers of the management commands, in RouterOS's `print` layout:
 *
 *   Flags: X - disabled, I - invalid
 *    0   src-address=10.0.0.147/32:any dst-address=10.0.0.148/32:any
 *        protocol=all action=encrypt ...
 *
 * A legend line, then one block per row: the print number right-aligned, a
 * column per flag letter (a letter in its own column, as RouterOS keeps
 * them), then key=value pairs in field-table order, wrapped before column 80
 * and never inside a pair, continuation lines aligned under the first pair.
 * A blank line ends each block. An empty list prints nothing at all, as the
 * seed's `installed-sa print` after `flush` shows.
 *
 * The same rows go out as JSON: an array of objects with the same keys plus
 * "number" and "flags", values typed (numbers, true/false, strings; null
 * for a time that has not happened yet).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mgmt_priv.h"

#define PRINT_WIDTH 79 /* longest text line, RouterOS's 80-column console */
#define VAL_MAX 1024   /* longest formatted value: two 64-byte keys in hex, a secret */

/* How a value prints: its quoting in text, its type in JSON. */
enum vkind {
	V_TEXT,   /* key=value; JSON string */
	V_QUOTED, /* key="value"; JSON string */
	V_NUM,    /* key=123; JSON number */
	V_BOOL,   /* key=yes|no; JSON true|false */
	V_TIME,   /* key=jan/28/2003 20:55:12, or "" if not yet; JSON string or null */
};

/* Flag letters of a menu, in legend order; each letter has its own column. */
struct flag_set {
	const char *letters;
	const char *legend;
};

static const struct flag_set flags_disabled = {"X", "Flags: X - disabled"};
static const struct flag_set flags_policy = {"XDI", "Flags: X - disabled, D - dynamic, I - invalid"};
static const struct flag_set flags_invalid = {"XI", "Flags: X - disabled, I - invalid"};
static const struct flag_set flags_sa = {"AEPM", "Flags: A - AH, E - ESP, P - pfs, M - manual"};
static const struct flag_set flags_none = {"", NULL};

/* One list being printed. */
struct list {
	struct gw_buf *out;
	const struct gw_print_opts *o;
	const struct flag_set *fs;
	unsigned numw; /* width of the print number column */
	unsigned rows; /* rows printed so far */
};

/* One row being printed. */
struct row {
	struct list *l;
	unsigned indent;  /* text: column of the first pair on every line */
	unsigned col;     /* text: current column */
	bool line_used;   /* text: a pair (or comment) is on this line already */
	bool force_wrap;  /* text: next pair starts a new line (after a comment) */
};

/* ---- value helpers */

static void put_str(struct gw_buf *b, const char *s)
{
	gw_buf_put(b, s, strlen(s));
}

static void put_spaces(struct gw_buf *b, unsigned n)
{
	static const char sp[] = "                                ";

	while (n) {
		unsigned k = n < sizeof(sp) - 1 ? n : (unsigned)sizeof(sp) - 1;

		gw_buf_put(b, sp, k);
		n -= k;
	}
}

static void json_string(struct gw_buf *b, const char *s)
{
	gw_buf_put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			gw_buf_put(b, "\\", 1);
			gw_buf_put(b, s, 1);
		} else if (ch == '\n') {
			put_str(b, "\\n");
		} else if (ch == '\t') {
			put_str(b, "\\t");
		} else if (ch < 0x20 || ch == 0x7f) {
			gw_buf_printf(b, "\\u%04x", ch);
		} else {
			gw_buf_put(b, s, 1);
		}
	}
	gw_buf_put(b, "\"", 1);
}

/* RouterOS's quoted string: the splitter's \" and \\ escapes, so a printed
 * value can be pasted back into a command. */
static size_t quote_into(char *dst, size_t len, const char *s)
{
	size_t o = 0;

	if (o + 1 < len)
		dst[o++] = '"';
	for (; *s && o + 3 < len; s++) {
		if (*s == '"' || *s == '\\')
			dst[o++] = '\\';
		dst[o++] = *s;
	}
	if (o + 1 < len)
		dst[o++] = '"';
	dst[o < len ? o : len - 1] = '\0';
	return o;
}

/* RouterOS date: "jan/28/2003 20:55:12", local time; "" if t is 0. */
static void format_time(time_t t, char *buf, size_t len)
{
	static const char *const mon[12] = {"jan", "feb", "mar", "apr", "may", "jun",
					    "jul", "aug", "sep", "oct", "nov", "dec"};
	struct tm tm;

	if (t == 0 || !localtime_r(&t, &tm)) {
		snprintf(buf, len, "%s", "");
		return;
	}
	snprintf(buf, len, "%s/%02d/%04d %02d:%02d:%02d", mon[tm.tm_mon], tm.tm_mday, tm.tm_year + 1900,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* SA keys as the seed shows them: lowercase hex, no 0x. */
static void format_key(const struct gw_key *k, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < k->len && i < GW_KEY_MAX && o + 3 <= len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%02x", k->bytes[i]);
}

/* ---- lists and rows */

static unsigned digits(unsigned long v)
{
	unsigned d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

static void list_begin(struct list *l, struct gw_buf *out, const struct gw_print_opts *o,
		       const struct flag_set *fs, unsigned n)
{
	l->out = out;
	l->o = o;
	l->fs = fs;
	l->rows = 0;
	/* RouterOS right-aligns numbers in at least two columns: " 0", "10". */
	l->numw = n > 1 ? digits(n - 1) : 1;
	if (l->numw < 2)
		l->numw = 2;
	if (o->json)
		put_str(out, "[");
	else if (n > 0 && fs->legend)
		gw_buf_printf(out, "%s\n", fs->legend);
}

static void list_end(struct list *l)
{
	if (l->o->json)
		put_str(l->out, "]\n");
}

static bool list_wants(const struct list *l, unsigned i)
{
	return l->o->item < 0 || (unsigned)l->o->item == i;
}

/* flags: bit i set = l->fs->letters[i] shown. */
static void row_begin(struct row *r, struct list *l, unsigned number, unsigned flags)
{
	size_t nf = strlen(l->fs->letters);
	char packed[8] = "", column[8] = "";
	size_t np = 0;

	for (size_t i = 0; i < nf && i < sizeof(column) - 1; i++) {
		bool on = flags & (1u << i);

		column[i] = on ? l->fs->letters[i] : ' ';
		if (on)
			packed[np++] = l->fs->letters[i];
	}
	column[nf < sizeof(column) ? nf : sizeof(column) - 1] = '\0';
	packed[np] = '\0';
	r->l = l;
	r->line_used = false;
	r->force_wrap = false;
	if (l->o->json) {
		gw_buf_printf(l->out, "%s{\"number\":%u", l->rows ? "," : "", number);
		if (nf) {
			put_str(l->out, ",\"flags\":");
			json_string(l->out, packed);
		}
	} else {
		gw_buf_printf(l->out, "%*u", (int)l->numw, number);
		r->col = l->numw;
		if (nf) {
			gw_buf_printf(l->out, " %s", column);
			r->col += 1 + (unsigned)nf;
		}
		r->indent = r->col + 1;
	}
	l->rows++;
}

static void row_end(struct row *r)
{
	put_str(r->l->out, r->l->o->json ? "}" : "\n\n");
}

/* Text: one " key=value" unit, on this line if it fits, else on the next. */
static void text_unit(struct row *r, const char *unit, size_t len)
{
	struct gw_buf *out = r->l->out;

	if (r->force_wrap || (r->line_used && r->col + 1 + len > PRINT_WIDTH)) {
		put_str(out, "\n");
		put_spaces(out, r->indent - 1);
		r->col = r->indent - 1;
		r->force_wrap = false;
	}
	put_str(out, " ");
	gw_buf_put(out, unit, len);
	r->col += 1 + (unsigned)len;
	r->line_used = true;
}

static void json_value(struct gw_buf *out, const char *val, enum vkind kind)
{
	switch (kind) {
	case V_NUM:
		put_str(out, val[0] ? val : "0");
		break;
	case V_BOOL:
		put_str(out, strcmp(val, "yes") == 0 ? "true" : "false");
		break;
	case V_TIME:
		if (!val[0]) {
			put_str(out, "null");
			break;
		}
		/* fall through */
	default:
		json_string(out, val);
		break;
	}
}

static void row_pair(struct row *r, const char *key, const char *val, enum vkind kind)
{
	char unit[VAL_MAX * 2 + 80];
	int n;

	if (r->l->o->json) {
		put_str(r->l->out, ",");
		json_string(r->l->out, key);
		put_str(r->l->out, ":");
		json_value(r->l->out, val, kind);
		return;
	}
	n = snprintf(unit, sizeof(unit), "%s=", key);
	if (kind == V_QUOTED || (kind == V_TIME && !val[0]))
		n += (int)quote_into(unit + n, sizeof(unit) - (size_t)n, val);
	else
		n += snprintf(unit + n, sizeof(unit) - (size_t)n, "%s", val);
	if ((size_t)n >= sizeof(unit))
		n = (int)sizeof(unit) - 1;
	text_unit(r, unit, (size_t)n);
}

static void row_num(struct row *r, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	row_pair(r, key, buf, V_NUM);
}

/* RouterOS shows an object's comment as ";;; text" after the flags, the
 * fields starting on the next line. */
static void row_comment(struct row *r, const char *text)
{
	char unit[VAL_MAX + 8];

	if (r->l->o->json) {
		row_pair(r, "comment", text, V_TEXT);
		return;
	}
	if (!text[0])
		return;
	snprintf(unit, sizeof(unit), ";;; %s", text);
	text_unit(r, unit, strlen(unit));
	r->force_wrap = true;
}

/* ---- config menus */

static const struct flag_set *menu_flag_set(enum gw_menu m)
{
	switch (m) {
	case GW_MENU_POLICY: return &flags_policy;
	case GW_MENU_MANUAL_SA:
	case GW_MENU_ROUTE: return &flags_invalid;
	default: return &flags_disabled;
	}
}

static bool obj_disabled(enum gw_menu m, const void *obj)
{
	switch (m) {
	case GW_MENU_INTERFACE: return ((const struct gw_interface *)obj)->disabled;
	case GW_MENU_ROUTE: return ((const struct gw_route *)obj)->disabled;
	case GW_MENU_PROPOSAL: return ((const struct gw_proposal *)obj)->disabled;
	case GW_MENU_PEER: return ((const struct gw_peer *)obj)->disabled;
	case GW_MENU_POLICY: return ((const struct gw_policy *)obj)->disabled;
	case GW_MENU_MANUAL_SA: return ((const struct gw_manual_sa *)obj)->disabled;
	default: return false;
	}
}

/* An enabled object of a named menu, or NULL. */
static const void *find_enabled(const struct gw_config *c, enum gw_menu m, const char *name)
{
	for (uint32_t i = 0; i < gw_menu_count(c, m); i++) {
		const void *obj = gw_menu_obj_const(c, m, i);

		if (strcmp(gw_menu_obj_name(m, obj), name) == 0)
			return obj_disabled(m, obj) ? NULL : obj;
	}
	return NULL;
}

static bool is_local_address(const struct gw_config *c, uint32_t addr)
{
	for (uint32_t i = 0; i < c->interfaces.n; i++)
		if (!c->interfaces.v[i].disabled && c->interfaces.v[i].address.addr == addr)
			return true;
	return false;
}

/* The I flag: an encrypt policy that cannot get SAs as configured (its
 * proposal or manual-sa is disabled, or its sa-src-address is none of our
 * addresses). A config without interfaces (tests, a fresh start) has no
 * addresses to check against. */
static bool policy_invalid(const struct gw_config *c, const struct gw_policy *p)
{
	if (p->action != GW_ACTION_ENCRYPT)
		return false;
	if (!find_enabled(c, GW_MENU_PROPOSAL, p->proposal))
		return true;
	if (p->manual_sa[0] && !find_enabled(c, GW_MENU_MANUAL_SA, p->manual_sa))
		return true;
	return c->interfaces.n > 0 && !is_local_address(c, p->sa_src_address);
}

/* The I flag of a route: no enabled interface's prefix holds its gateway. */
static bool route_invalid(const struct gw_config *c, const struct gw_route *rt)
{
	for (uint32_t i = 0; i < c->interfaces.n; i++) {
		const struct gw_interface *ifc = &c->interfaces.v[i];
		uint32_t mask = gw_prefix_mask(ifc->address.len);

		if (!ifc->disabled && (ifc->address.addr & mask) == (rt->gateway & mask))
			return false;
	}
	return true;
}

/* Bits in the order of menu_flag_set()'s letters. */
static unsigned config_flags(const struct gw_config *c, enum gw_menu m, const void *obj)
{
	unsigned f = obj_disabled(m, obj) ? 1u : 0u;

	switch (m) {
	case GW_MENU_POLICY:
		if (((const struct gw_policy *)obj)->dynamic)
			f |= 1u << 1;
		if (policy_invalid(c, obj))
			f |= 1u << 2;
		break;
	case GW_MENU_ROUTE:
		if (route_invalid(c, obj))
			f |= 1u << 1;
		break;
	default:
		break;
	}
	return f;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The JSON type of a config field, from its value. Fields whose values look
 * numeric but are not decimal quantities stay strings: SPIs are hex, keys
 * are hex, protocol is a name or a number. */
static enum vkind field_kind(const struct gw_field *f, const char *val)
{
	static const char *const text_suffix[] = {"-spi", "-key", "protocol"};
	size_t nl = strlen(f->name);

	if (f->flags & GW_FIELD_QUOTE)
		return V_QUOTED;
	for (size_t i = 0; i < sizeof(text_suffix) / sizeof(text_suffix[0]); i++) {
		size_t sl = strlen(text_suffix[i]);

		if (nl >= sl && strcmp(f->name + nl - sl, text_suffix[i]) == 0)
			return V_TEXT;
	}
	if (strcmp(val, "yes") == 0 || strcmp(val, "no") == 0)
		return V_BOOL;
	return all_digits(val) ? V_NUM : V_TEXT;
}

static bool field_shown(const struct gw_field *f, bool detail)
{
	return (f->flags & GW_FIELD_PRINT) || (detail && (f->flags & GW_FIELD_DETAIL));
}

static void print_comment(struct row *r, enum gw_menu m, const void *obj)
{
	const struct gw_field *f = gw_field_find(m, "comment");
	char val[VAL_MAX];

	if (!f || field_shown(f, r->l->o->detail))
		return; /* no comment here, or it prints as a plain pair */
	gw_field_format(m, obj, f, val, sizeof(val));
	row_comment(r, val);
}

/* One field as a pair. Unquoted fields that print an empty value show a
 * literal "" (seed: esp-auth-key=""); in JSON that is the empty string. */
static void print_field(struct row *r, enum gw_menu m, const void *obj, const struct gw_field *f)
{
	char val[VAL_MAX];

	gw_field_format(m, obj, f, val, sizeof(val));
	if (r->l->o->json && !(f->flags & GW_FIELD_QUOTE) && strcmp(val, "\"\"") == 0)
		val[0] = '\0';
	row_pair(r, f->name, val, field_kind(f, val));
}

static void print_fields(struct row *r, enum gw_menu m, const void *obj)
{
	unsigned n;
	const struct gw_field *f = gw_fields(m, &n);

	for (unsigned i = 0; i < n; i++)
		if (field_shown(&f[i], r->l->o->detail))
			print_field(r, m, obj, &f[i]);
}

void gw_print_menu(struct gw_buf *out, const struct gw_config *c, enum gw_menu m,
		   const struct gw_print_opts *o)
{
	uint32_t n = gw_menu_count(c, m);
	struct list l;

	list_begin(&l, out, o, menu_flag_set(m), n);
	for (uint32_t i = 0; i < n; i++) {
		const void *obj = gw_menu_obj_const(c, m, i);
		struct row r;

		if (!list_wants(&l, i))
			continue;
		row_begin(&r, &l, i, config_flags(c, m, obj));
		print_comment(&r, m, obj);
		print_fields(&r, m, obj);
		row_end(&r);
	}
	list_end(&l);
}

/* ---- policy print stats */

static void print_named_field(struct row *r, enum gw_menu m, const void *obj, const char *name)
{
	const struct gw_field *f = gw_field_find(m, name);

	if (f)
		print_field(r, m, obj, f);
}

/* Seed order: the selectors, ph2-state, then the eight counters. */
static void print_stats_row(struct row *r, const struct gw_policy *p, const struct gw_policy_stats *s)
{
	print_named_field(r, GW_MENU_POLICY, p, "src-address");
	print_named_field(r, GW_MENU_POLICY, p, "dst-address");
	print_named_field(r, GW_MENU_POLICY, p, "protocol");
	row_pair(r, "ph2-state", gw_ph2_state_name(s->ph2_state), V_TEXT);
	row_num(r, "in-accepted", s->in_accepted);
	row_num(r, "in-dropped", s->in_dropped);
	row_num(r, "out-accepted", s->out_accepted);
	row_num(r, "out-dropped", s->out_dropped);
	row_num(r, "encrypted", s->encrypted);
	row_num(r, "not-encrypted", s->not_encrypted);
	row_num(r, "decrypted", s->decrypted);
	row_num(r, "not-decrypted", s->not_decrypted);
}

void gw_print_policy_stats(struct gw_buf *out, const struct gw_config *c,
			   const struct gw_policy_stats *st, const struct gw_print_opts *o)
{
	uint32_t n = c->policies.n;
	struct list l;

	list_begin(&l, out, o, &flags_policy, n);
	for (uint32_t i = 0; i < n; i++) {
		const struct gw_policy *p = &c->policies.v[i];
		struct row r;

		if (!list_wants(&l, i))
			continue;
		row_begin(&r, &l, i, config_flags(c, GW_MENU_POLICY, p));
		print_stats_row(&r, p, &st[i]);
		row_end(&r);
	}
	list_end(&l);
}

/* ---- installed-sa */

static unsigned sa_flags(const struct gw_sa_view *sa)
{
	/* Column order of flags_sa: A E P M. */
	return ((sa->flags & GW_SA_FLAG_AH) ? 1u : 0u) | ((sa->flags & GW_SA_FLAG_ESP) ? 2u : 0u) |
	       ((sa->flags & GW_SA_FLAG_PFS) ? 4u : 0u) | ((sa->flags & GW_SA_FLAG_MANUAL) ? 8u : 0u);
}

/* installed-sa says "none" where the config menus say "null". */
static const char *sa_auth_name(enum gw_auth_alg a)
{
	return a == GW_AUTH_NULL ? "none" : gw_auth_alg_name(a);
}

static const char *sa_enc_name(enum gw_enc_alg e)
{
	return e == GW_ENC_NULL ? "none" : gw_enc_alg_name(e);
}

static void row_pair_of_durations(struct row *r, const char *key, gw_seconds soft, gw_seconds hard)
{
	char a[32], b[32], both[72];

	gw_format_duration(soft, a, sizeof(a));
	gw_format_duration(hard, b, sizeof(b));
	snprintf(both, sizeof(both), "%s/%s", a, b);
	row_pair(r, key, both, V_TEXT);
}

static void row_addr(struct row *r, const char *key, uint32_t addr)
{
	char buf[16];

	gw_format_ipv4(addr, buf, sizeof(buf));
	row_pair(r, key, buf, V_TEXT);
}

static void row_time(struct row *r, const char *key, time_t t)
{
	char buf[32];

	format_time(t, buf, sizeof(buf));
	row_pair(r, key, buf, V_TIME);
}

static void row_key(struct row *r, const char *key, const struct gw_key *k)
{
	char buf[GW_KEY_MAX * 2 + 1];

	format_key(k, buf, sizeof(buf));
	row_pair(r, key, buf, V_QUOTED);
}

static void print_sa_row(struct row *r, const struct gw_sa_view *sa)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%X", sa->spi);
	row_pair(r, "spi", buf, V_TEXT);
	row_pair(r, "direction", sa->direction == GW_SA_OUT ? "out" : "in", V_TEXT);
	row_addr(r, "src-address", sa->src_address);
	row_addr(r, "dst-address", sa->dst_address);
	row_pair(r, "auth-algorithm", sa_auth_name(sa->auth_algorithm), V_TEXT);
	row_pair(r, "enc-algorithm", sa_enc_name(sa->enc_algorithm), V_TEXT);
	row_num(r, "replay", sa->replay_bytes);
	row_pair(r, "state", gw_sa_state_name(sa->state), V_TEXT);
	row_key(r, "auth-key", &sa->auth_key);
	row_key(r, "enc-key", &sa->enc_key);
	row_pair_of_durations(r, "add-lifetime", sa->add_lifetime_soft, sa->add_lifetime_hard);
	row_pair_of_durations(r, "use-lifetime", sa->use_lifetime_soft, sa->use_lifetime_hard);
	snprintf(buf, sizeof(buf), "%llu/%llu", (unsigned long long)sa->lifebytes_soft,
		 (unsigned long long)sa->lifebytes_hard);
	row_pair(r, "lifebytes", buf, V_TEXT);
	row_time(r, "current-addtime", sa->current_addtime);
	row_time(r, "current-usetime", sa->current_usetime);
	row_num(r, "current-bytes", sa->current_bytes);
}

void gw_print_installed_sas(struct gw_buf *out, const struct gw_sa_view *sa, unsigned n,
			    const struct gw_print_opts *o)
{
	struct list l;

	list_begin(&l, out, o, &flags_sa, n);
	for (unsigned i = 0; i < n; i++) {
		struct row r;

		if (!list_wants(&l, i))
			continue;
		row_begin(&r, &l, i, sa_flags(&sa[i]));
		print_sa_row(&r, &sa[i]);
		row_end(&r);
	}
	list_end(&l);
}

/* ---- remote-peers */

void gw_print_remote_peers(struct gw_buf *out, const struct gw_remote_peer_view *p, unsigned n,
			   const struct gw_print_opts *o)
{
	struct list l;

	/* The seed prints remote-peers without a legend: they have no flags. */
	list_begin(&l, out, o, &flags_none, n);
	for (unsigned i = 0; i < n; i++) {
		struct row r;

		if (!list_wants(&l, i))
			continue;
		row_begin(&r, &l, i, 0);
		row_addr(&r, "local-address", p[i].local_address);
		row_addr(&r, "remote-address", p[i].remote_address);
		row_pair(&r, "state", p[i].state, V_TEXT);
		row_pair(&r, "side", p[i].side == GW_SIDE_RESPONDER ? "responder" : "initiator", V_TEXT);
		row_time(&r, "established", p[i].established);
		row_num(&r, "ph2-active", p[i].ph2_active);
		row_num(&r, "ph2-total", p[i].ph2_total);
		row_end(&r);
	}
	list_end(&l);
}

/* ---- counters */

struct counter_row {
	const char *name;
	size_t offset;
};

/* The seed's order. */
static const struct counter_row counter_rows[] = {
	{"out-accept", offsetof(struct gw_counters, out_accept)},
	{"out-accept-isakmp", offsetof(struct gw_counters, out_accept_isakmp)},
	{"out-drop", offsetof(struct gw_counters, out_drop)},
	{"out-encrypt", offsetof(struct gw_counters, out_encrypt)},
	{"in-accept", offsetof(struct gw_counters, in_accept)},
	{"in-accept-isakmp", offsetof(struct gw_counters, in_accept_isakmp)},
	{"in-drop", offsetof(struct gw_counters, in_drop)},
	{"in-decrypted", offsetof(struct gw_counters, in_decrypted)},
	{"in-drop-encrypted-expected", offsetof(struct gw_counters, in_drop_encrypted_expected)},
};
#define N_COUNTERS (sizeof(counter_rows) / sizeof(counter_rows[0]))

static uint64_t counter_value(const struct gw_counters *c, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)c + counter_rows[i].offset, sizeof(v));
	return v;
}

static void counters_json(struct gw_buf *out, const struct gw_counters *ctr,
			  const struct gw_drop_view *d, unsigned nd, bool detail)
{
	put_str(out, "{");
	for (size_t i = 0; i < N_COUNTERS; i++) {
		gw_buf_printf(out, "%s\"%s\":%llu", i ? "," : "", counter_rows[i].name,
			      (unsigned long long)counter_value(ctr, i));
	}
	if (detail) {
		put_str(out, ",\"drops\":{");
		for (unsigned i = 0; i < nd; i++) {
			if (i)
				put_str(out, ",");
			json_string(out, d[i].name ? d[i].name : "");
			gw_buf_printf(out, ":%llu", (unsigned long long)d[i].count);
		}
		put_str(out, "}");
	}
	put_str(out, "}\n");
}

/* RouterOS's "key: value" listing: keys right-aligned, two spaces before
 * the longest. Per-reason drops follow in the same columns. */
void gw_print_counters(struct gw_buf *out, const struct gw_counters *ctr,
		       const struct gw_drop_view *drops, unsigned n_drops,
		       const struct gw_print_opts *o)
{
	size_t w = 0;

	if (o->json) {
		counters_json(out, ctr, drops, n_drops, o->detail);
		return;
	}
	for (size_t i = 0; i < N_COUNTERS; i++)
		w = strlen(counter_rows[i].name) > w ? strlen(counter_rows[i].name) : w;
	for (unsigned i = 0; o->detail && i < n_drops; i++)
		if (drops[i].name && strlen(drops[i].name) > w)
			w = strlen(drops[i].name);
	w += 2;
	for (size_t i = 0; i < N_COUNTERS; i++)
		gw_buf_printf(out, "%*s: %llu\n", (int)w, counter_rows[i].name,
			      (unsigned long long)counter_value(ctr, i));
	for (unsigned i = 0; o->detail && i < n_drops; i++)
		gw_buf_printf(out, "%*s: %llu\n", (int)w, drops[i].name ? drops[i].name : "?",
			      (unsigned long long)drops[i].count);
}

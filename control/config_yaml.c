/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The YAML configuration file, read with libyaml's document API.
 *
 * File shape (docs/config.md is the full reference):
 *
 *   interfaces:            sequence of mappings, fields of menu "interface"
 *     - name: wan
 *       device: net_null0
 *       address: 198.19.0.1/24
 *   routes:                sequence of mappings, fields of menu "route"
 *   ipsec:
 *     proposals:           an entry named "default" sets the built-in default
 *                          proposal (like `proposal set default ...`)
 *     peers:
 *     policies:
 *     manual-sa:
 *   management:            single mapping, parsed here: socket, socket-mode,
 *                          max-clients
 *   dataplane:             single mapping, parsed here: idle-sleep-us,
 *                          burst-size, mbufs, replay-window
 *
 * Every menu field is set with gw_field_set() from its raw scalar text, the
 * very call the management socket makes for `key=value`, and the whole result
 * goes through gw_config_validate(): a value is accepted or refused the same
 * way whichever door it comes through. A YAML sequence given to a list field
 * (enc-algorithms: [des, 3des]) is joined with commas first.
 *
 * We keep libyaml's raw scalars on purpose: YAML 1.1 would turn `yes` into a
 * boolean and `0600` into 384, but the field parsers want the text as the
 * user wrote it.
 *
 * Any problem refuses the whole file with one line "FILE:LINE:COLUMN: reason".
 * To point whole-config (validate) errors at the right spot, the loader
 * records where each object starts and where each of its fields was written.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config.h"
#include "fields.h"
#include "model.h"

/* Refuse absurd inputs before handing them to libyaml. */
#define CONFIG_FILE_MAX (16u << 20)
/* A joined list value ("aes-128-cbc,aes-256-cbc,..."): far above
 * GW_ALG_LIST_MAX names of at most ~20 characters. */
#define JOIN_MAX 1024

/* Where one field (or, with field == NULL, one object) was written.
 * management and dataplane settings are recorded with menu and index -1,
 * which is how gw_config_validate names them. */
struct pos {
	int menu;
	int index;
	const char *field; /* canonical name from the field table, or NULL */
	yaml_mark_t mark;
};

struct loader {
	const char *name; /* file name for messages */
	yaml_document_t *doc;
	struct gw_config *cfg;
	char *errbuf;
	size_t errlen;
	struct pos *pos;
	size_t n_pos, cap_pos;
	/* The first "default" proposal entry sets the built-in one; a second
	 * one is appended so that validate reports the duplicate name. */
	bool default_proposal_used;
};

/* A YAML sequence of menu objects. */
struct menu_section {
	const char *key;  /* key in its parent mapping */
	const char *path; /* dotted path for messages */
	enum gw_menu menu;
};

static const struct menu_section top_menus[] = {
	{ "interfaces", "interfaces", GW_MENU_INTERFACE },
	{ "routes", "routes", GW_MENU_ROUTE },
};

static const struct menu_section ipsec_menus[] = {
	{ "proposals", "ipsec.proposals", GW_MENU_PROPOSAL },
	{ "peers", "ipsec.peers", GW_MENU_PEER },
	{ "policies", "ipsec.policies", GW_MENU_POLICY },
	{ "manual-sa", "ipsec.manual-sa", GW_MENU_MANUAL_SA },
};

/* Fields whose value is a comma-separated list, so a YAML sequence may stand
 * for it. fields.h has no flag for this; the set is small and fixed by the
 * seed (proposal algorithms, policy ipsec-protocols). */
static const struct {
	enum gw_menu menu;
	const char *field;
} list_fields[] = {
	{ GW_MENU_PROPOSAL, "auth-algorithms" },
	{ GW_MENU_PROPOSAL, "enc-algorithms" },
	{ GW_MENU_POLICY, "ipsec-protocols" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errors */

/* Messages must stay one printable line, whatever a field parser, libyaml
 * or an echoed key ("a\nb" is a valid quoted YAML key) put in them. */
static void one_line(char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\n' || ch == '\r' || ch == '\t')
			*s = ' ';
		else if (ch < 0x20 || ch == 0x7f)
			*s = '?';
	}
}

static void put_error(char *errbuf, size_t errlen, const char *name, size_t line, size_t col,
		      const char *reason)
{
	if (errbuf == NULL || errlen == 0)
		return;
	snprintf(errbuf, errlen, "%s:%zu:%zu: %s", name, line, col, reason);
	one_line(errbuf);
}

/* Report at a libyaml mark (0-based) and return -1. */
static int fail(struct loader *L, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct loader *L, yaml_mark_t m, const char *fmt, ...)
{
	char reason[GW_ERR_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	put_error(L->errbuf, L->errlen, L->name, m.line + 1, m.column + 1, reason);
	return -1;
}

/* ---- node helpers */

static yaml_node_t *node_at(struct loader *L, int idx)
{
	return yaml_document_get_node(L->doc, idx);
}

static const char *kind_name(yaml_node_type_t t)
{
	switch (t) {
	case YAML_SCALAR_NODE:
		return "scalar";
	case YAML_SEQUENCE_NODE:
		return "sequence";
	case YAML_MAPPING_NODE:
		return "mapping";
	default:
		return "empty node";
	}
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* `key:` with nothing after it, or an explicit null: an empty section. */
static bool is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = scalar(n);
	return !strcmp(s, "") || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static int expect_kind(struct loader *L, const yaml_node_t *n, yaml_node_type_t want,
		       const char *what)
{
	if (n->type == want)
		return 0;
	return fail(L, n->start_mark, "expected a %s for %s, got a %s", kind_name(want), what,
		    kind_name(n->type));
}

/* A scalar's text, refusing "\0" escapes that would silently cut it short. */
static int scalar_text(struct loader *L, const yaml_node_t *n, const char *key, const char **out)
{
	char what[GW_NAME_MAX + 8];

	snprintf(what, sizeof(what), "'%s'", key);
	if (expect_kind(L, n, YAML_SCALAR_NODE, what))
		return -1;
	if (strlen(scalar(n)) != n->data.scalar.length)
		return fail(L, n->start_mark, "NUL character in the value of '%s'", key);
	*out = scalar(n);
	return 0;
}

/* Keys must be plain text; `? [a, b] : c` is not a config key. */
static int key_text(struct loader *L, const yaml_node_t *k, const char **out)
{
	if (k->type != YAML_SCALAR_NODE)
		return fail(L, k->start_mark, "expected a scalar key, got a %s", kind_name(k->type));
	if (strlen(scalar(k)) != k->data.scalar.length)
		return fail(L, k->start_mark, "NUL character in a key");
	*out = scalar(k);
	return 0;
}

/*
 * libyaml's document API keeps both of two equal keys without a word; we
 * refuse the second one. With by_field, a field's alias ("sa-src") counts
 * as the same key as its canonical name ("sa-src-address"). Earlier keys
 * of the mapping were already checked to be scalars.
 */
static int check_duplicate(struct loader *L, const yaml_node_t *map, const yaml_node_pair_t *pair,
			   enum gw_menu menu, bool by_field)
{
	const yaml_node_t *k = node_at(L, pair->key);
	const char *name = scalar(k);
	const struct gw_field *f = by_field ? gw_field_find(menu, name) : NULL;

	for (const yaml_node_pair_t *p = map->data.mapping.pairs.start; p < pair; p++) {
		const yaml_node_t *pk = node_at(L, p->key);
		const char *prev = scalar(pk);

		if (!strcmp(prev, name))
			return fail(L, k->start_mark, "duplicate key '%s'", name);
		if (f != NULL && gw_field_find(menu, prev) == f)
			return fail(L, k->start_mark, "duplicate key '%s' (same field as '%s')", name,
				    prev);
	}
	return 0;
}

/* Every key/value pair of a mapping node, in file order. */
#define FOR_PAIRS(map, p) \
	for (yaml_node_pair_t *p = (map)->data.mapping.pairs.start; p < (map)->data.mapping.pairs.top; p++)

static int pair_key(struct loader *L, const yaml_node_t *map, const yaml_node_pair_t *p,
		    enum gw_menu menu, bool by_field, const char **key)
{
	*key = NULL; /* set on every path, which gcc -O3 cannot see through key_text */
	if (key_text(L, node_at(L, p->key), key))
		return -1;
	return check_duplicate(L, map, p, menu, by_field);
}

/* ---- positions, for validate errors */

static int record(struct loader *L, int m, int idx, const char *field, yaml_mark_t mark)
{
	if (L->n_pos == L->cap_pos) {
		size_t cap = L->cap_pos ? L->cap_pos * 2 : 64;
		struct pos *p = realloc(L->pos, cap * sizeof(*p));

		if (p == NULL)
			return fail(L, mark, "out of memory");
		L->pos = p;
		L->cap_pos = cap;
	}
	L->pos[L->n_pos++] = (struct pos){ .menu = m, .index = idx, .field = field, .mark = mark };
	return 0;
}

static bool same_field(int m, const char *a, const char *b)
{
	const struct gw_field *fa, *fb;

	if (a == NULL || b == NULL)
		return a == b;
	if (!strcmp(a, b))
		return true;
	if (m < 0)
		return false;
	fa = gw_field_find((enum gw_menu)m, a);
	fb = gw_field_find((enum gw_menu)m, b);
	return fa != NULL && fa == fb;
}

/* Where to point for (menu, index, field): the field's value if it was
 * written, else the object's start, else the top of the file. */
static yaml_mark_t find_pos(const struct loader *L, const struct gw_err *err)
{
	yaml_mark_t mark = { 0 };
	bool have_obj = false;

	for (size_t i = 0; i < L->n_pos; i++) {
		const struct pos *p = &L->pos[i];

		if (p->menu != err->menu || p->index != err->index)
			continue;
		if (p->field == NULL && !have_obj) {
			mark = p->mark;
			have_obj = true;
		}
		if (p->field != NULL && err->field != NULL && same_field(p->menu, p->field, err->field))
			return p->mark;
	}
	return mark;
}

/* ---- menu objects */

static bool is_list_field(enum gw_menu m, const struct gw_field *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(list_fields); i++)
		if (list_fields[i].menu == m && !strcmp(list_fields[i].field, f->name))
			return true;
	return false;
}

/* [a, b, c] -> "a,b,c" for a list field. */
static int join_sequence(struct loader *L, const yaml_node_t *seq, const char *key, char *buf)
{
	size_t len = 0;

	buf[0] = '\0';
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
	     it++) {
		const yaml_node_t *n = node_at(L, *it);
		const char *s;
		size_t sl;

		if (scalar_text(L, n, key, &s))
			return -1;
		sl = strlen(s);
		if (len + sl + 2 > JOIN_MAX)
			return fail(L, n->start_mark, "list too long for '%s'", key);
		if (len > 0)
			buf[len++] = ',';
		memcpy(buf + len, s, sl + 1);
		len += sl;
	}
	return 0;
}

/* The text gw_field_set gets for a value node. */
static int field_text(struct loader *L, enum gw_menu m, const struct gw_field *f, const char *key,
		      const yaml_node_t *v, char *join, const char **out)
{
	if (v->type == YAML_SEQUENCE_NODE && is_list_field(m, f)) {
		*out = join;
		return join_sequence(L, v, key, join);
	}
	return scalar_text(L, v, key, out);
}

/* A proposal entry named "default" is the built-in default proposal. */
static bool names_default(struct loader *L, const yaml_node_t *map)
{
	const struct gw_field *name = gw_field_find(GW_MENU_PROPOSAL, "name");

	FOR_PAIRS(map, p)
	{
		const yaml_node_t *k = node_at(L, p->key), *v = node_at(L, p->value);

		if (k->type == YAML_SCALAR_NODE && v->type == YAML_SCALAR_NODE &&
		    gw_field_find(GW_MENU_PROPOSAL, scalar(k)) == name && !strcmp(scalar(v), "default"))
			return true;
	}
	return false;
}

/* Index of the object an entry fills: a new one, or the default proposal. */
static int object_for(struct loader *L, enum gw_menu m, const yaml_node_t *map)
{
	int idx;

	if (m == GW_MENU_PROPOSAL && !L->default_proposal_used && names_default(L, map)) {
		L->default_proposal_used = true;
		idx = gw_menu_lookup(L->cfg, GW_MENU_PROPOSAL, "default");
		if (idx >= 0)
			return idx;
	}
	idx = gw_menu_append(L->cfg, m);
	if (idx < 0)
		return fail(L, map->start_mark, "out of memory");
	return idx;
}

static int set_field(struct loader *L, const struct menu_section *s, uint32_t idx,
		     const yaml_node_t *map, const yaml_node_pair_t *p)
{
	const yaml_node_t *k = node_at(L, p->key), *v = node_at(L, p->value);
	const struct gw_field *f;
	struct gw_err err = { .menu = -1, .index = -1 };
	char join[JOIN_MAX];
	const char *key, *text;

	if (pair_key(L, map, p, s->menu, true, &key))
		return -1;
	f = gw_field_find(s->menu, key);
	if (f == NULL)
		return fail(L, k->start_mark, "unknown key '%s' in %s", key, s->path);
	if (field_text(L, s->menu, f, key, v, join, &text))
		return -1;
	if (gw_field_set(s->menu, gw_menu_obj(L->cfg, s->menu, idx), key, text, &err))
		return fail(L, v->start_mark, "%s", err.msg[0] ? err.msg : "invalid value");
	return record(L, (int)s->menu, (int)idx, f->name, v->start_mark);
}

static int load_object(struct loader *L, const struct menu_section *s, const yaml_node_t *map)
{
	char what[64];
	int idx;

	snprintf(what, sizeof(what), "an entry of '%s'", s->path);
	if (expect_kind(L, map, YAML_MAPPING_NODE, what))
		return -1;
	idx = object_for(L, s->menu, map);
	if (idx < 0)
		return -1;
	if (record(L, (int)s->menu, idx, NULL, map->start_mark))
		return -1;
	FOR_PAIRS(map, p)
	{
		if (set_field(L, s, (uint32_t)idx, map, p))
			return -1;
	}
	return 0;
}

static int load_menu(struct loader *L, const struct menu_section *s, const yaml_node_t *seq)
{
	char what[64];

	if (is_null(seq))
		return 0;
	snprintf(what, sizeof(what), "'%s'", s->path);
	if (expect_kind(L, seq, YAML_SEQUENCE_NODE, what))
		return -1;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
	     it++)
		if (load_object(L, s, node_at(L, *it)))
			return -1;
	return 0;
}

static const struct menu_section *find_section(const struct menu_section *t, size_t n,
					       const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].key, key))
			return &t[i];
	return NULL;
}

static int load_ipsec(struct loader *L, const yaml_node_t *map)
{
	if (is_null(map))
		return 0;
	if (expect_kind(L, map, YAML_MAPPING_NODE, "'ipsec'"))
		return -1;
	FOR_PAIRS(map, p)
	{
		const struct menu_section *s;
		const char *key;

		if (pair_key(L, map, p, 0, false, &key))
			return -1;
		s = find_section(ipsec_menus, ARRAY_SIZE(ipsec_menus), key);
		if (s == NULL)
			return fail(L, node_at(L, p->key)->start_mark, "unknown section 'ipsec.%s'",
				    key);
		if (load_menu(L, s, node_at(L, p->value)))
			return -1;
	}
	return 0;
}

/* ---- management and dataplane: plain settings, not menus */

/* Decimal only: "0x20" or "+5" in a burst size is more likely a typo. */
static bool parse_uint(const char *s, uint64_t min, uint64_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return false;
	}
	if (v < min)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool set_socket(struct gw_config *c, const char *s)
{
	size_t n = strlen(s);

	/* sun_path holds GW_PATH_MAX bytes including the terminating NUL. */
	if (n == 0 || n >= GW_PATH_MAX)
		return false;
	memcpy(c->management.socket, s, n + 1);
	return true;
}

/* "0600" or "600": octal digits, permission bits only (no setuid/sticky). */
static bool set_socket_mode(struct gw_config *c, const char *s)
{
	uint32_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return false;
		v = v * 8 + (uint32_t)(*s - '0');
		if (v > 0777)
			return false;
	}
	c->management.socket_mode = v;
	return true;
}

static bool set_max_clients(struct gw_config *c, const char *s)
{
	return parse_uint(s, 1, 1024, &c->management.max_clients);
}

static bool set_idle_sleep(struct gw_config *c, const char *s)
{
	return parse_uint(s, 0, 100000, &c->dataplane.idle_sleep_us);
}

static bool set_burst_size(struct gw_config *c, const char *s)
{
	return parse_uint(s, 1, 512, &c->dataplane.burst_size);
}

static bool set_mbufs(struct gw_config *c, const char *s)
{
	return parse_uint(s, 1023, 1048575, &c->dataplane.mbufs);
}

/* The window is kept in 32-bit blocks, so it is a whole number of them. */
static bool set_replay_window(struct gw_config *c, const char *s)
{
	uint32_t v;

	if (!parse_uint(s, 32, 4096, &v) || v % 32 != 0)
		return false;
	c->dataplane.replay_window = v;
	return true;
}

struct setting {
	const char *key;
	bool (*set)(struct gw_config *c, const char *text);
	const char *reason; /* why a value was refused */
};

static const struct setting management_settings[] = {
	{ "socket", set_socket, "'socket' must be a path of 1 to 107 bytes" },
	{ "socket-mode", set_socket_mode, "'socket-mode' must be an octal mode from 0 to 0777" },
	{ "max-clients", set_max_clients, "'max-clients' must be an integer from 1 to 1024" },
};

static const struct setting dataplane_settings[] = {
	{ "idle-sleep-us", set_idle_sleep, "'idle-sleep-us' must be an integer from 0 to 100000" },
	{ "burst-size", set_burst_size, "'burst-size' must be an integer from 1 to 512" },
	{ "mbufs", set_mbufs, "'mbufs' must be an integer from 1023 to 1048575" },
	{ "replay-window", set_replay_window,
	  "'replay-window' must be a multiple of 32 from 32 to 4096" },
};

static int load_settings(struct loader *L, const char *section, const struct setting *t, size_t n,
			 const yaml_node_t *map)
{
	char what[32];

	if (is_null(map))
		return 0;
	snprintf(what, sizeof(what), "'%s'", section);
	if (expect_kind(L, map, YAML_MAPPING_NODE, what))
		return -1;
	FOR_PAIRS(map, p)
	{
		const yaml_node_t *v = node_at(L, p->value);
		const struct setting *s = NULL;
		const char *key, *text;

		if (pair_key(L, map, p, 0, false, &key))
			return -1;
		for (size_t i = 0; i < n && s == NULL; i++)
			if (!strcmp(t[i].key, key))
				s = &t[i];
		if (s == NULL)
			return fail(L, node_at(L, p->key)->start_mark, "unknown key '%s' in %s", key,
				    section);
		if (scalar_text(L, v, key, &text))
			return -1;
		if (!s->set(L->cfg, text))
			return fail(L, v->start_mark, "%s", s->reason);
		if (record(L, -1, -1, s->key, v->start_mark))
			return -1;
	}
	return 0;
}

/* ---- the document */

static int load_section(struct loader *L, const char *key, const yaml_node_t *k,
			const yaml_node_t *v)
{
	const struct menu_section *s = find_section(top_menus, ARRAY_SIZE(top_menus), key);

	if (s != NULL)
		return load_menu(L, s, v);
	if (!strcmp(key, "ipsec"))
		return load_ipsec(L, v);
	if (!strcmp(key, "management"))
		return load_settings(L, key, management_settings, ARRAY_SIZE(management_settings), v);
	if (!strcmp(key, "dataplane"))
		return load_settings(L, key, dataplane_settings, ARRAY_SIZE(dataplane_settings), v);
	return fail(L, k->start_mark, "unknown section '%s'", key);
}

static int load_root(struct loader *L, const yaml_node_t *root)
{
	if (root == NULL || is_null(root))
		return 0; /* empty file: the defaults */
	if (root->type != YAML_MAPPING_NODE)
		return fail(L, root->start_mark, "expected a mapping at the top level, got a %s",
			    kind_name(root->type));
	FOR_PAIRS(root, p)
	{
		const char *key;

		if (pair_key(L, root, p, 0, false, &key))
			return -1;
		if (load_section(L, key, node_at(L, p->key), node_at(L, p->value)))
			return -1;
	}
	return 0;
}

static int validate(struct loader *L)
{
	struct gw_err err = { .menu = -1, .index = -1 };

	if (gw_config_validate(L->cfg, &err) == 0)
		return 0;
	return fail(L, find_pos(L, &err), "%s", err.msg[0] ? err.msg : "invalid configuration");
}

/* libyaml reader errors carry a byte offset only: turn it into a mark,
 * counting UTF-8 characters for the column as libyaml does. */
static yaml_mark_t mark_at_offset(const char *buf, size_t len, size_t off)
{
	yaml_mark_t m = { 0 };

	for (size_t i = 0; i < off && i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '\n') {
			m.line++;
			m.column = 0;
		} else if ((ch & 0xc0) != 0x80) {
			m.column++;
		}
	}
	return m;
}

static int syntax_error(struct loader *L, const yaml_parser_t *parser, const char *buf, size_t len)
{
	const char *problem = parser->problem ? parser->problem : "parse error";

	switch (parser->error) {
	case YAML_MEMORY_ERROR:
		return fail(L, (yaml_mark_t){ 0 }, "out of memory");
	case YAML_READER_ERROR:
		return fail(L, mark_at_offset(buf, len, parser->problem_offset), "invalid YAML: %s",
			    problem);
	default:
		return fail(L, parser->problem_mark, "invalid YAML: %s", problem);
	}
}

/* One document per file: a second one would be silently ignored otherwise. */
static int check_single_document(struct loader *L, yaml_parser_t *parser, const char *buf,
				 size_t len)
{
	yaml_document_t next;
	const yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_load(parser, &next))
		return syntax_error(L, parser, buf, len);
	root = yaml_document_get_root_node(&next);
	if (root != NULL && !is_null(root))
		rc = fail(L, root->start_mark, "only one YAML document is allowed");
	yaml_document_delete(&next);
	return rc;
}

static int parse_and_load(struct loader *L, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc;

	if (!yaml_parser_initialize(&parser))
		return fail(L, (yaml_mark_t){ 0 }, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = syntax_error(L, &parser, buf, len);
		goto out_parser;
	}
	L->doc = &doc;
	rc = check_single_document(L, &parser, buf, len);
	if (rc == 0)
		rc = load_root(L, yaml_document_get_root_node(&doc));
	if (rc == 0)
		rc = validate(L);
	L->doc = NULL;
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	return rc;
}

int gw_config_load_string(const char *yaml, size_t len, const char *name, struct gw_config *c,
			  char *errbuf, size_t errlen)
{
	struct loader L = {
		.name = name ? name : "<config>",
		.cfg = c,
		.errbuf = errbuf,
		.errlen = errlen,
	};
	int rc;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (gw_config_init(c) != 0) {
		memset(c, 0, sizeof(*c));
		return fail(&L, (yaml_mark_t){ 0 }, "out of memory");
	}
	rc = parse_and_load(&L, yaml ? yaml : "", yaml ? len : 0);
	free(L.pos);
	if (rc != 0) {
		gw_config_free(c);
		memset(c, 0, sizeof(*c));
		return -1;
	}
	return 0;
}

/* The whole file in memory: libyaml reads strings, and reader errors need
 * the bytes to turn an offset into a line. */
static char *read_file(const char *path, size_t *len, const char **why)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	*why = NULL;
	if (f == NULL) {
		*why = strerror(errno);
		return NULL;
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > CONFIG_FILE_MAX + 1)
				cap = CONFIG_FILE_MAX + 1;
			if (n == cap) {
				*why = "file too large (over 16 MiB)";
				break;
			}
			nb = realloc(buf, cap);
			if (nb == NULL) {
				*why = "out of memory";
				break;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				*why = strerror(errno);
			break;
		}
	}
	fclose(f);
	if (*why != NULL) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

int gw_config_load_file(const char *path, struct gw_config *c, char *errbuf, size_t errlen)
{
	const char *why;
	size_t len = 0;
	char *buf = read_file(path, &len, &why);
	int rc;

	if (buf == NULL) {
		char reason[GW_ERR_MAX];

		/* No position to point at: line 1, column 1 keeps the one format. */
		memset(c, 0, sizeof(*c));
		snprintf(reason, sizeof(reason), "cannot read: %s", why);
		put_error(errbuf, errlen, path, 1, 1, reason);
		return -1;
	}
	rc = gw_config_load_string(buf, len, path, c, errbuf, errlen);
	free(buf);
	return rc;
}

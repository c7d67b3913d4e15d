/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The field schema of every menu: one table per menu that names each field
 * (seed spelling, in the seed's print order), how to parse it from text, how
 * to print it and its RouterOS default. The YAML loader, the management
 * socket's add/set and all printers go through these functions, so a value
 * is accepted or refused the same way wherever it comes from.
 */
#ifndef IPSECGW_FIELDS_H
#define IPSECGW_FIELDS_H

#include "model.h"

#define GW_ERR_MAX 256

/* Why something was refused, and where, so callers can point at it:
 * the YAML loader turns (menu, index, field) into FILE:LINE:COLUMN. */
struct gw_err {
	char msg[GW_ERR_MAX];
	int menu;          /* enum gw_menu, or -1 */
	int index;         /* object index in its menu, or -1 */
	const char *field; /* canonical field name, or NULL */
};

void gw_err_set(struct gw_err *e, int menu, int index, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

enum gw_field_flags {
	GW_FIELD_PRINT = 1u << 0,  /* shown by plain `print` */
	GW_FIELD_DETAIL = 1u << 1, /* shown by `print detail` only */
	GW_FIELD_QUOTE = 1u << 2,  /* printed in double quotes (names, keys, secret) */
	GW_FIELD_KEY = 1u << 3,    /* identifies the object in `set NAME` */
};
/* A field with neither PRINT nor DETAIL is settable but not printed as
 * key=value: `disabled` shows as flag X, `comment` as a ";;; text" line. */

struct gw_field {
	const char *name;  /* canonical seed spelling */
	const char *alias; /* accepted on input too ("sa-src"), or NULL */
	unsigned flags;
	/* Parse text into the object; 0 on success, else -1 and err->msg set. */
	int (*parse)(void *obj, const char *text, struct gw_err *err);
	/* Print the value as RouterOS does (without quotes). */
	void (*format)(const void *obj, char *buf, size_t len);
	const char *help; /* one line for `ipsecctl help` */
};

/* Fields of a menu in print order. */
const struct gw_field *gw_fields(enum gw_menu m, unsigned *n);
/* Field by name or alias; NULL if the menu has no such field. */
const struct gw_field *gw_field_find(enum gw_menu m, const char *name);

/* Fill an object with the menu's defaults. `seq` numbers auto names ("sa1"). */
void gw_field_defaults(enum gw_menu m, void *obj, unsigned seq);

/* Set one field of one object from text: find + parse, with err->field set. */
int gw_field_set(enum gw_menu m, void *obj, const char *key, const char *text, struct gw_err *err);

/* Format one field; returns the formatted value in buf. */
void gw_field_format(enum gw_menu m, const void *obj, const struct gw_field *f, char *buf, size_t len);

/*
 * Whole-config checks that one field alone cannot make: duplicate names,
 * references to proposals and manual SAs that exist, key lengths against the
 * algorithm, SPI 0, encrypt policies without SA addresses, interface address
 * overlaps. First problem found wins; err->menu/index/field point at it.
 */
int gw_config_validate(const struct gw_config *c, struct gw_err *err);

/* Find an object by its name ("default", "sa1") or print number ("0").
 * Returns the index or -1. */
int gw_menu_lookup(const struct gw_config *c, enum gw_menu m, const char *ref);

/* ---- value parsers and printers, shared with other modules and tests */
int gw_parse_ipv4(const char *s, uint32_t *addr);
int gw_parse_prefix(const char *s, struct gw_prefix *p); /* "a.b.c.d[/len]" */
int gw_parse_duration(const char *s, gw_seconds *out);   /* "30m", "1d2h", "0s", "3600" */
int gw_parse_hex_key(const char *s, struct gw_key *k);   /* "0x..." or plain hex */
void gw_format_ipv4(uint32_t addr, char *buf, size_t len);
void gw_format_duration(gw_seconds s, char *buf, size_t len); /* 1800 -> "30m", 90000 -> "1d1h" */
void gw_format_hex_key(const struct gw_key *k, char *buf, size_t len);

/* Longest duration accepted (about 136 years): keeps "now + lifetime" safe
 * in every clock unit the daemon uses. */
#define GW_DURATION_MAX 0xffffffffu
/* "a.b.c.d/len" */
void gw_format_prefix(const struct gw_prefix *p, char *buf, size_t len);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Field schema of every menu: value grammars, parsers with precise error
 * messages, RouterOS print formats, defaults, and whole-config validation.
 *
 * Every parser writes its object only on success, so a refused value leaves
 * the object as it was; strings and keys are stored zero-padded, so two
 * objects holding the same values compare equal with memcmp.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Longest piece of a bad value quoted back in an error message. */
#define ECHO_MAX 48

void gw_err_set(struct gw_err *e, int menu, int index, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	e->menu = menu;
	e->index = index;
	e->field = field;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}

/* snprintf at buf+off that never overruns; returns the new offset (clamped). */
static size_t append(char *buf, size_t len, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t append(char *buf, size_t len, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (off >= len)
		return off;
	va_start(ap, fmt);
	n = vsnprintf(buf + off, len - off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return off;
	return off + (size_t)n < len ? off + (size_t)n : len;
}

/* ---- plain value grammars */

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Strict unsigned decimal of n chars: digits only (no sign, no blanks), <= max. */
static int parse_dec_n(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int parse_dec(const char *s, uint64_t max, uint64_t *out)
{
	return parse_dec_n(s, strlen(s), max, out);
}

/* Hex number of n chars with optional 0x, 1..8 digits (an SPI). */
static int parse_hex32_n(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if (n == 0 || n > 8)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int d = hex_digit(s[i]);

		if (d < 0)
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

/* Dotted quad, decimal octets. A leading zero ("010") is refused: other
 * tools read it as octal, so it cannot mean what it seems to. */
int gw_parse_ipv4(const char *s, uint32_t *addr)
{
	uint32_t a = 0;

	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;

		for (; *s >= '0' && *s <= '9'; s++, digits++) {
			if (digits && v == 0)
				return -1;
			v = v * 10 + (unsigned)(*s - '0');
			if (v > 255)
				return -1;
		}
		if (!digits)
			return -1;
		a = a << 8 | v;
		if (i < 3 && *s++ != '.')
			return -1;
	}
	if (*s)
		return -1;
	*addr = a;
	return 0;
}

/* Same grammar on the first n chars of s. */
static int parse_ipv4_n(const char *s, size_t n, uint32_t *addr)
{
	char tmp[16];

	if (n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return gw_parse_ipv4(tmp, addr);
}

static int parse_prefix_n(const char *s, size_t n, struct gw_prefix *p)
{
	const char *slash = memchr(s, '/', n);
	uint64_t len = 32;
	uint32_t addr;

	if (parse_ipv4_n(s, slash ? (size_t)(slash - s) : n, &addr))
		return -1;
	if (slash && parse_dec_n(slash + 1, n - (size_t)(slash + 1 - s), 32, &len))
		return -1;
	p->addr = addr;
	p->len = (uint8_t)len;
	return 0;
}

int gw_parse_prefix(const char *s, struct gw_prefix *p)
{
	return parse_prefix_n(s, strlen(s), p);
}

/*
 * RouterOS durations: "1w2d3h4m5s" with any subset of the units, largest
 * first, each at most once, or a plain number of seconds.
 */
int gw_parse_duration(const char *s, gw_seconds *out)
{
	static const struct {
		char unit;
		uint64_t secs;
	} units[] = {{'w', 604800}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
	uint64_t total = 0;
	size_t next = 0;

	if (parse_dec(s, GW_DURATION_MAX, out) == 0)
		return 0;
	if (!*s)
		return -1;
	while (*s) {
		size_t digits = strspn(s, "0123456789"), u;
		uint64_t v;

		if (parse_dec_n(s, digits, GW_DURATION_MAX, &v))
			return -1;
		s += digits;
		for (u = next; u < ARRAY_SIZE(units) && units[u].unit != *s; u++)
			;
		if (u == ARRAY_SIZE(units))
			return -1; /* unknown unit, or one out of order / repeated */
		if (v > (GW_DURATION_MAX - total) / units[u].secs)
			return -1;
		total += v * units[u].secs;
		next = u + 1;
		s++;
	}
	*out = total;
	return 0;
}

/* Why s is not a hex key, or NULL after storing it (zero-padded) in *k. */
static const char *hex_key_error(const char *s, size_t n, struct gw_key *k)
{
	struct gw_key tmp;

	memset(&tmp, 0, sizeof tmp);
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
		if (n == 0)
			return "0x without hex digits";
	}
	if (n % 2)
		return "an odd number of hex digits";
	if (n / 2 > GW_KEY_MAX)
		return "longer than 64 bytes";
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);

		if (hi < 0 || lo < 0)
			return "not a hex digit";
		tmp.bytes[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	tmp.len = (uint8_t)(n / 2);
	*k = tmp;
	return NULL;
}

int gw_parse_hex_key(const char *s, struct gw_key *k)
{
	return hex_key_error(s, strlen(s), k) ? -1 : 0;
}

void gw_format_ipv4(uint32_t addr, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", addr >> 24, addr >> 16 & 0xff, addr >> 8 & 0xff,
		 addr & 0xff);
}

void gw_format_prefix(const struct gw_prefix *p, char *buf, size_t len)
{
	char a[16];

	gw_format_ipv4(p->addr, a, sizeof a);
	snprintf(buf, len, "%s/%u", a, p->len);
}

/* Canonical RouterOS form: 1800 -> "30m", 90061 -> "1d1h1m1s", 0 -> "0s". */
void gw_format_duration(gw_seconds s, char *buf, size_t len)
{
	static const struct {
		char unit;
		uint64_t secs;
	} units[] = {{'w', 604800}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	if (s == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	for (size_t u = 0; u < ARRAY_SIZE(units); u++) {
		uint64_t v = s / units[u].secs;

		if (v)
			off = append(buf, len, off, "%llu%c", (unsigned long long)v, units[u].unit);
		s %= units[u].secs;
	}
}

void gw_format_hex_key(const struct gw_key *k, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < k->len && i < GW_KEY_MAX; i++)
		off = append(buf, len, off, "%02x", k->bytes[i]);
}

/* ---- error messages */

/* `invalid value "X" for FIELD: expected WHAT`; the value is cut at ECHO_MAX. */
static int bad_value_n(struct gw_err *e, const char *field, const char *text, size_t n,
		       const char *expected)
{
	gw_err_set(e, -1, -1, field, "invalid value \"%.*s%s\" for %s: expected %s",
		   (int)(n > ECHO_MAX ? ECHO_MAX : n), text, n > ECHO_MAX ? "..." : "", field,
		   expected);
	return -1;
}

static int bad_value(struct gw_err *e, const char *field, const char *text, const char *expected)
{
	return bad_value_n(e, field, text, strlen(text), expected);
}

/* "one of a, b, c" from a table's canonical names. */
static void choices(const struct gw_name *t, char *buf, size_t len)
{
	size_t off = append(buf, len, 0, "one of");
	const char *sep = " ";

	for (; t->name; t++) {
		if (t->alias)
			continue;
		off = append(buf, len, off, "%s%s", sep, t->name);
		sep = ", ";
	}
}

static int bad_choice_n(struct gw_err *e, const char *field, const char *text, size_t n,
			const struct gw_name *t)
{
	char expected[200];

	choices(t, expected, sizeof expected);
	return bad_value_n(e, field, text, n, expected);
}

/* ---- field kinds: parse text for one field, with its name in messages */

static const char EXPECT_DURATION[] =
	"a duration such as 30m, 1d2h3m4s, 1w, 0s or 3600 (seconds), at most 4294967295s";
static const char EXPECT_IPV4[] = "an IPv4 address a.b.c.d";
static const char EXPECT_PREFIX[] = "an IPv4 prefix a.b.c.d[/0..32]";

static int p_bool(const char *field, const char *text, bool *out, struct gw_err *e)
{
	if (strcmp(text, "yes") == 0 || strcmp(text, "true") == 0)
		*out = true;
	else if (strcmp(text, "no") == 0 || strcmp(text, "false") == 0)
		*out = false;
	else
		return bad_value(e, field, text, "yes or no");
	return 0;
}

static void f_bool(const bool *v, char *buf, size_t len)
{
	snprintf(buf, len, "%s", *v ? "yes" : "no");
}

static int p_dur(const char *field, const char *text, gw_seconds *out, struct gw_err *e)
{
	gw_seconds v;

	if (gw_parse_duration(text, &v))
		return bad_value(e, field, text, EXPECT_DURATION);
	*out = v;
	return 0;
}

static void f_dur(const gw_seconds *v, char *buf, size_t len)
{
	gw_format_duration(*v, buf, len);
}

static int p_u64(const char *field, const char *text, uint64_t *out, struct gw_err *e)
{
	uint64_t v;

	if (parse_dec(text, UINT64_MAX, &v))
		return bad_value(e, field, text, "a number from 0 to 18446744073709551615");
	*out = v;
	return 0;
}

static void f_u64(const uint64_t *v, char *buf, size_t len)
{
	snprintf(buf, len, "%llu", (unsigned long long)*v);
}

static int p_range(const char *field, const char *text, uint64_t min, uint64_t max, uint64_t *out,
		   struct gw_err *e)
{
	char expected[64];
	uint64_t v;

	if (parse_dec(text, max, &v) == 0 && v >= min) {
		*out = v;
		return 0;
	}
	snprintf(expected, sizeof expected, "a number from %llu to %llu", (unsigned long long)min,
		 (unsigned long long)max);
	return bad_value(e, field, text, expected);
}

static int p_ipv4(const char *field, const char *text, uint32_t *out, struct gw_err *e)
{
	uint32_t v;

	if (gw_parse_ipv4(text, &v))
		return bad_value(e, field, text, EXPECT_IPV4);
	*out = v;
	return 0;
}

static void f_ipv4(const uint32_t *v, char *buf, size_t len)
{
	gw_format_ipv4(*v, buf, len);
}

/* Member-wise stores: a struct copy could carry a local's padding bytes into
 * the object and break memcmp equality of objects. */
static void store_prefix(struct gw_prefix *dst, struct gw_prefix src)
{
	dst->addr = src.addr;
	dst->len = src.len;
}

static void store_selector(struct gw_selector *dst, struct gw_selector src)
{
	store_prefix(&dst->prefix, src.prefix);
	dst->port = src.port;
}

/* A network (route, selector): host bits are cleared, as RouterOS does. */
static int p_net(const char *field, const char *text, struct gw_prefix *out, struct gw_err *e)
{
	struct gw_prefix p;

	if (gw_parse_prefix(text, &p))
		return bad_value(e, field, text, EXPECT_PREFIX);
	p.addr &= gw_prefix_mask(p.len);
	store_prefix(out, p);
	return 0;
}

/* An interface address: the host part is our own address, so it is kept. */
static int p_host(const char *field, const char *text, struct gw_prefix *out, struct gw_err *e)
{
	struct gw_prefix p;

	if (gw_parse_prefix(text, &p))
		return bad_value(e, field, text, "an IPv4 address with prefix length a.b.c.d/0..32");
	store_prefix(out, p);
	return 0;
}

static void f_net(const struct gw_prefix *p, char *buf, size_t len)
{
	gw_format_prefix(p, buf, len);
}

#define f_host f_net

static bool has_control_char(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Copy a string field zero-padded; refuses control characters (they would
 * break the one-line print formats) and anything that does not fit. */
static int p_text(const char *field, const char *text, char *dst, size_t cap, bool empty_ok,
		  struct gw_err *e)
{
	char expected[96];
	size_t n = strlen(text);

	if (n < cap && (n || empty_ok) && !has_control_char(text)) {
		memset(dst, 0, cap);
		memcpy(dst, text, n);
		return 0;
	}
	snprintf(expected, sizeof expected, "%s%zu printable characters", empty_ok ? "up to " : "1 to ",
		 cap - 1);
	return bad_value(e, field, text, expected);
}

static int p_name(const char *field, const char *text, char (*dst)[GW_NAME_MAX], struct gw_err *e)
{
	return p_text(field, text, *dst, sizeof *dst, false, e);
}

static void f_name(const char (*v)[GW_NAME_MAX], char *buf, size_t len)
{
	snprintf(buf, len, "%s", *v);
}

static int p_comment(const char *field, const char *text, char (*dst)[GW_COMMENT_MAX],
		     struct gw_err *e)
{
	return p_text(field, text, *dst, sizeof *dst, true, e);
}

static void f_comment(const char (*v)[GW_COMMENT_MAX], char *buf, size_t len)
{
	snprintf(buf, len, "%s", *v);
}

static int p_device(const char *field, const char *text, char (*dst)[GW_DEVICE_MAX],
		    struct gw_err *e)
{
	return p_text(field, text, *dst, sizeof *dst, false, e);
}

static void f_device(const char (*v)[GW_DEVICE_MAX], char *buf, size_t len)
{
	snprintf(buf, len, "%s", *v);
}

/* The pre-shared key is never echoed back in a message. */
static int p_secret(const char *field, const char *text, char (*dst)[GW_SECRET_MAX],
		    struct gw_err *e)
{
	size_t n = strlen(text);

	if (n >= sizeof *dst) {
		gw_err_set(e, -1, -1, field, "invalid value for %s: longer than %zu characters",
			   field, sizeof *dst - 1);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		/* A control character would split the one-line print and logs. */
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
			gw_err_set(e, -1, -1, field, "invalid value for %s: control characters are not allowed",
				   field);
			return -1;
		}
	}
	memset(*dst, 0, sizeof *dst);
	memcpy(*dst, text, n);
	return 0;
}

static void f_secret(const char (*v)[GW_SECRET_MAX], char *buf, size_t len)
{
	snprintf(buf, len, "%s", *v);
}

/*
 * manual-sa keys: "IN/OUT" in hex, one value for both, "" (or a literal "",
 * as the print shows it) for none. Key material is not echoed in messages.
 */
static int p_keypair(const char *field, const char *text, struct gw_key_pair *out,
		     struct gw_err *e)
{
	const char *slash, *why;
	struct gw_key_pair kp;

	if (strcmp(text, "\"\"") == 0)
		text = "";
	slash = strchr(text, '/');
	if (slash && strchr(slash + 1, '/'))
		why = "more than one '/'";
	else if (!slash)
		why = hex_key_error(text, strlen(text), &kp.in);
	else if (!(why = hex_key_error(text, (size_t)(slash - text), &kp.in)))
		why = hex_key_error(slash + 1, strlen(slash + 1), &kp.out);
	if (why) {
		gw_err_set(e, -1, -1, field,
			   "invalid value for %s: %s; expected hex bytes (0x optional), "
			   "one KEY for both directions or IN/OUT",
			   field, why);
		return -1;
	}
	if (!slash)
		kp.out = kp.in;
	*out = kp;
	return 0;
}

static bool key_equal(const struct gw_key *a, const struct gw_key *b)
{
	return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* Seed: "ah-key=A0/0A", "esp-auth-key=\"\"" (lowercase hex here). */
static void f_keypair(const struct gw_key_pair *kp, char *buf, size_t len)
{
	char in[2 * GW_KEY_MAX + 1], out[2 * GW_KEY_MAX + 1];

	gw_format_hex_key(&kp->in, in, sizeof in);
	gw_format_hex_key(&kp->out, out, sizeof out);
	if (!key_equal(&kp->in, &kp->out))
		snprintf(buf, len, "%s/%s", in, out);
	else
		snprintf(buf, len, "%s", in[0] ? in : "\"\"");
}

/* SPIs are hex, as the seed writes them ("ah-spi=0x101/0x100", "101/100"). */
static int p_spipair(const char *field, const char *text, struct gw_spi_pair *out,
		     struct gw_err *e)
{
	const char *slash = strchr(text, '/');
	struct gw_spi_pair sp;
	bool ok;

	if (!slash) {
		ok = parse_hex32_n(text, strlen(text), &sp.in) == 0;
		sp.out = sp.in;
	} else {
		ok = parse_hex32_n(text, (size_t)(slash - text), &sp.in) == 0 &&
		     parse_hex32_n(slash + 1, strlen(slash + 1), &sp.out) == 0;
	}
	if (!ok)
		return bad_value(e, field, text,
				 "a hex SPI of 1 to 8 digits (0x optional), one for both "
				 "directions or IN/OUT like 0x101/0x100");
	*out = sp;
	return 0;
}

static void f_spipair(const struct gw_spi_pair *sp, char *buf, size_t len)
{
	if (sp->in == sp->out)
		snprintf(buf, len, "%X", sp->in);
	else
		snprintf(buf, len, "%X/%X", sp->in, sp->out);
}

static int p_choice(const char *field, const char *text, const struct gw_name *t,
		    struct gw_err *e)
{
	int v = gw_name_lookup(t, text);

	if (v < 0)
		bad_choice_n(e, field, text, strlen(text), t);
	return v;
}

static void f_choice(const struct gw_name *t, int v, char *buf, size_t len)
{
	const char *n = gw_name_of(t, v);

	snprintf(buf, len, "%s", n ? n : "unknown");
}

/* A comma list of names from t, no duplicates, at most GW_ALG_LIST_MAX. */
static int p_list(const char *field, const char *text, const struct gw_name *t, uint8_t *list,
		  uint8_t *count, struct gw_err *e)
{
	uint8_t tmp[GW_ALG_LIST_MAX] = {0};
	unsigned n = 0;
	const char *s = text;

	for (;;) {
		size_t len = strcspn(s, ",");
		char item[32];
		int v;

		if (len == 0 || len >= sizeof item)
			return bad_choice_n(e, field, s, len, t);
		memcpy(item, s, len);
		item[len] = '\0';
		v = gw_name_lookup(t, item);
		if (v < 0)
			return bad_choice_n(e, field, item, len, t);
		if (memchr(tmp, v, n)) {
			gw_err_set(e, -1, -1, field, "duplicate value \"%s\" in %s", item, field);
			return -1;
		}
		if (n == GW_ALG_LIST_MAX) {
			gw_err_set(e, -1, -1, field, "too many values in %s: at most %d", field,
				   GW_ALG_LIST_MAX);
			return -1;
		}
		tmp[n++] = (uint8_t)v;
		if (!s[len])
			break;
		s += len + 1;
	}
	memcpy(list, tmp, n);
	*count = (uint8_t)n;
	return 0;
}

static void f_list(const struct gw_name *t, const uint8_t *list, unsigned n, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		const char *name = gw_name_of(t, list[i]);

		off = append(buf, len, off, "%s%s", i ? "," : "", name ? name : "unknown");
	}
}

/*
 * "a.b.c.d[/len][:port]" (peer address) and "a.b.c.d[/len][:port|:any]"
 * (policy selectors). *port is left alone when no ":port" is given.
 */
static int parse_addr_port(const char *text, bool any_ok, struct gw_prefix *p, uint16_t *port,
			   bool *port_given)
{
	const char *colon = strchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : strlen(text);
	uint64_t v = 0;

	if (parse_prefix_n(text, n, p))
		return -1;
	p->addr &= gw_prefix_mask(p->len);
	*port_given = colon != NULL;
	if (!colon)
		return 0;
	if (!(any_ok && strcmp(colon + 1, "any") == 0) && parse_dec(colon + 1, 65535, &v))
		return -1;
	if (v == 0 && strcmp(colon + 1, "any") != 0)
		return -1; /* port 0 is spelled "any" */
	*port = (uint16_t)v;
	return 0;
}

/* ---- per-field accessors */

/* parse_T_member / fmt_T_member for a member whose kind has p_KIND / f_KIND. */
#define ACCESSORS(T, member, fname, kind)                                        \
	static int parse_##T##_##member(void *o, const char *t, struct gw_err *e) \
	{                                                                        \
		return p_##kind(fname, t, &((struct gw_##T *)o)->member, e);      \
	}                                                                        \
	static void fmt_##T##_##member(const void *o, char *b, size_t l)        \
	{                                                                        \
		f_##kind(&((const struct gw_##T *)o)->member, b, l);             \
	}

/* The same for an enum member named by table t. */
#define ENUM_ACCESSORS(T, member, fname, t)                                      \
	static int parse_##T##_##member(void *o, const char *text, struct gw_err *e) \
	{                                                                        \
		int v = p_choice(fname, text, t, e);                             \
		if (v < 0)                                                       \
			return -1;                                               \
		((struct gw_##T *)o)->member = v;                                \
		return 0;                                                        \
	}                                                                        \
	static void fmt_##T##_##member(const void *o, char *b, size_t l)        \
	{                                                                        \
		f_choice(t, (int)((const struct gw_##T *)o)->member, b, l);      \
	}

/* An integer member limited to [min, max], printed in decimal. */
#define RANGE_ACCESSORS(T, member, fname, min, max)                              \
	static int parse_##T##_##member(void *o, const char *t, struct gw_err *e) \
	{                                                                        \
		uint64_t v;                                                      \
		if (p_range(fname, t, min, max, &v, e))                          \
			return -1;                                               \
		((struct gw_##T *)o)->member = v;                                \
		return 0;                                                        \
	}                                                                        \
	static void fmt_##T##_##member(const void *o, char *b, size_t l)        \
	{                                                                        \
		snprintf(b, l, "%llu",                                           \
			 (unsigned long long)((const struct gw_##T *)o)->member); \
	}

#define FIELD(T, member, fname, alias, flags, help) \
	{fname, alias, flags, parse_##T##_##member, fmt_##T##_##member, help}

static const struct gw_name xmode_names[] = {
	{"main", GW_XMODE_MAIN, false}, {"aggressive", GW_XMODE_AGGRESSIVE, false}, {NULL, 0, false}};
static const struct gw_name pcheck_names[] = {
	{"obey", GW_PCHECK_OBEY, false},     {"claim", GW_PCHECK_CLAIM, false},
	{"strict", GW_PCHECK_STRICT, false}, {"exact", GW_PCHECK_EXACT, false},
	{NULL, 0, false}};
static const struct gw_name action_names[] = {{"accept", GW_ACTION_ACCEPT, false},
					      {"drop", GW_ACTION_DROP, false},
					      {"encrypt", GW_ACTION_ENCRYPT, false},
					      {NULL, 0, false}};
static const struct gw_name level_names[] = {{"use", GW_LEVEL_USE, false},
					     {"require", GW_LEVEL_REQUIRE, false},
					     {"unique", GW_LEVEL_UNIQUE, false},
					     {NULL, 0, false}};
static const struct gw_name df_names[] = {{"clear", GW_DF_CLEAR, false},
					  {"set", GW_DF_SET, false},
					  {"inherit", GW_DF_INHERIT, false},
					  {NULL, 0, false}};
static const struct gw_name ipsec_proto_names[] = {
	{"esp", GW_PROTO_ESP, false}, {"ah", GW_PROTO_AH, false}, {NULL, 0, false}};

/* IP protocol names as RouterOS spells them (IANA numbers). */
static const struct gw_name ip_proto_names[] = {
	{"icmp", 1, false},	   {"igmp", 2, false},	     {"ggp", 3, false},
	{"ipencap", 4, false},	   {"st", 5, false},	     {"tcp", 6, false},
	{"egp", 8, false},	   {"pup", 12, false},	     {"udp", 17, false},
	{"hmp", 20, false},	   {"xns-idp", 22, false},   {"rdp", 27, false},
	{"iso-tp4", 29, false},	   {"xtp", 36, false},	     {"ddp", 37, false},
	{"idpr-cmtp", 38, false},  {"ipv6", 41, false},	     {"ipv6-route", 43, false},
	{"ipv6-frag", 44, false},  {"rsvp", 46, false},	     {"gre", 47, false},
	{"esp", 50, false},	   {"ah", 51, false},	     {"icmpv6", 58, false},
	{"ipv6-nonxt", 59, false}, {"ipv6-opts", 60, false}, {"rspf", 73, false},
	{"vmtp", 81, false},	   {"ospf", 89, false},	     {"ipip", 94, false},
	{"etherip", 97, false},	   {"encap", 98, false},     {"pim", 103, false},
	{"vrrp", 112, false},	   {"l2tp", 115, false},     {"sctp", 132, false},
	{"udp-lite", 136, false},  {"ipsec-esp", 50, true},  {"ipsec-ah", 51, true},
	{"ipv6-icmp", 58, true},   {NULL, 0, false}};

/* ---- proposal */

static int parse_proposal_auth_algorithms(void *o, const char *t, struct gw_err *e)
{
	struct gw_proposal *p = o;

	return p_list("auth-algorithms", t, gw_auth_alg_names, p->auth_algorithms, &p->n_auth, e);
}

static void fmt_proposal_auth_algorithms(const void *o, char *b, size_t l)
{
	const struct gw_proposal *p = o;

	f_list(gw_auth_alg_names, p->auth_algorithms, p->n_auth, b, l);
}

static int parse_proposal_enc_algorithms(void *o, const char *t, struct gw_err *e)
{
	struct gw_proposal *p = o;

	return p_list("enc-algorithms", t, gw_enc_alg_names, p->enc_algorithms, &p->n_enc, e);
}

static void fmt_proposal_enc_algorithms(const void *o, char *b, size_t l)
{
	const struct gw_proposal *p = o;

	f_list(gw_enc_alg_names, p->enc_algorithms, p->n_enc, b, l);
}

ACCESSORS(proposal, name, "name", name)
ACCESSORS(proposal, lifetime, "lifetime", dur)
ACCESSORS(proposal, lifebytes, "lifebytes", u64)
ENUM_ACCESSORS(proposal, pfs_group, "pfs-group", gw_dh_group_names)
ACCESSORS(proposal, disabled, "disabled", bool)
ACCESSORS(proposal, comment, "comment", comment)

/* Seed: name="default" auth-algorithms=sha1 enc-algorithms=des,aes-128
 * lifetime=30m lifebytes=0 pfs-group=modp1024 */
static const struct gw_field proposal_fields[] = {
	FIELD(proposal, name, "name", NULL, GW_FIELD_PRINT | GW_FIELD_QUOTE | GW_FIELD_KEY,
	      "proposal name"),
	FIELD(proposal, auth_algorithms, "auth-algorithms", NULL, GW_FIELD_PRINT,
	      "ESP/AH integrity algorithms, most preferred first (null, md5, sha1, sha256, ...)"),
	FIELD(proposal, enc_algorithms, "enc-algorithms", NULL, GW_FIELD_PRINT,
	      "ESP ciphers, most preferred first (null, des, 3des, aes-128-cbc, aes-128-gcm, ...)"),
	FIELD(proposal, lifetime, "lifetime", NULL, GW_FIELD_PRINT,
	      "hard lifetime of the SAs (soft is 80%)"),
	FIELD(proposal, lifebytes, "lifebytes", NULL, GW_FIELD_PRINT,
	      "hard byte limit of the SAs, 0 = unlimited"),
	FIELD(proposal, pfs_group, "pfs-group", NULL, GW_FIELD_PRINT,
	      "Diffie-Hellman group for PFS in phase 2, or none"),
	FIELD(proposal, disabled, "disabled", NULL, 0, "yes: not offered or accepted"),
	FIELD(proposal, comment, "comment", NULL, GW_FIELD_QUOTE, "free text"),
};

/* ---- peer */

/* "198.18.0.2/32:500": the port rides along with the address. */
static int parse_peer_address(void *o, const char *t, struct gw_err *e)
{
	struct gw_peer *p = o;
	struct gw_prefix pfx;
	uint16_t port = p->port;
	bool port_given;

	if (parse_addr_port(t, false, &pfx, &port, &port_given))
		return bad_value(e, "address", t, "a.b.c.d[/0..32][:port], port 1..65535");
	store_prefix(&p->address, pfx);
	p->port = port;
	return 0;
}

static void fmt_peer_address(const void *o, char *b, size_t l)
{
	const struct gw_peer *p = o;
	char pfx[24];

	gw_format_prefix(&p->address, pfx, sizeof pfx);
	snprintf(b, l, "%s:%u", pfx, p->port);
}

/* Phase 1 always runs a Diffie-Hellman exchange: "none" is for PFS only. */
static int parse_peer_dh_group(void *o, const char *t, struct gw_err *e)
{
	int v = gw_name_lookup(gw_dh_group_names, t);

	if (v < 0 || v == GW_DH_NONE)
		return bad_value(e, "dh-group", t,
				 "one of modp768, modp1024, modp1536, modp2048, modp3072, "
				 "modp4096, modp8192");
	((struct gw_peer *)o)->dh_group = v;
	return 0;
}

static void fmt_peer_dh_group(const void *o, char *b, size_t l)
{
	f_choice(gw_dh_group_names, ((const struct gw_peer *)o)->dh_group, b, l);
}

static int parse_peer_dpd_interval(void *o, const char *t, struct gw_err *e)
{
	gw_seconds v = 0;

	if (strcmp(t, "disable-dpd") != 0 && gw_parse_duration(t, &v))
		return bad_value(e, "dpd-interval", t, "disable-dpd or a duration such as 2m or 30s");
	((struct gw_peer *)o)->dpd_interval = v;
	return 0;
}

static void fmt_peer_dpd_interval(const void *o, char *b, size_t l)
{
	const struct gw_peer *p = o;

	if (p->dpd_interval == 0)
		snprintf(b, l, "disable-dpd");
	else
		gw_format_duration(p->dpd_interval, b, l);
}

RANGE_ACCESSORS(peer, port, "port", 1, 65535)
ACCESSORS(peer, local_address, "local-address", ipv4)
ACCESSORS(peer, secret, "secret", secret)
ACCESSORS(peer, generate_policy, "generate-policy", bool)
ENUM_ACCESSORS(peer, exchange_mode, "exchange-mode", xmode_names)
ACCESSORS(peer, send_initial_contact, "send-initial-contact", bool)
ENUM_ACCESSORS(peer, proposal_check, "proposal-check", pcheck_names)
ENUM_ACCESSORS(peer, hash_algorithm, "hash-algorithm", gw_hash_alg_names)
ENUM_ACCESSORS(peer, enc_algorithm, "enc-algorithm", gw_ike_enc_names)
ACCESSORS(peer, lifetime, "lifetime", dur)
ACCESSORS(peer, lifebytes, "lifebytes", u64)
ACCESSORS(peer, nat_traversal, "nat-traversal", bool)
RANGE_ACCESSORS(peer, dpd_maximum_failures, "dpd-maximum-failures", 1, 100)
ACCESSORS(peer, disabled, "disabled", bool)
ACCESSORS(peer, comment, "comment", comment)

/* Seed: address=10.0.0.147/32:500 secret="..." generate-policy=no
 * exchange-mode=main send-initial-contact=yes proposal-check=strict
 * hash-algorithm=md5 enc-algorithm=3des dh-group=modp1024 lifetime=1d lifebytes=0 */
static const struct gw_field peer_fields[] = {
	FIELD(peer, address, "address", NULL, GW_FIELD_PRINT,
	      "remote peer address or prefix, optionally :port"),
	FIELD(peer, port, "port", NULL, GW_FIELD_DETAIL, "remote IKE port"),
	FIELD(peer, local_address, "local-address", NULL, GW_FIELD_DETAIL,
	      "our address for this peer, 0.0.0.0 = any"),
	FIELD(peer, secret, "secret", NULL, GW_FIELD_PRINT | GW_FIELD_QUOTE, "pre-shared key"),
	FIELD(peer, generate_policy, "generate-policy", NULL, GW_FIELD_PRINT,
	      "create policies from the peer's proposals"),
	FIELD(peer, exchange_mode, "exchange-mode", NULL, GW_FIELD_PRINT,
	      "phase 1 mode: main or aggressive"),
	FIELD(peer, send_initial_contact, "send-initial-contact", NULL, GW_FIELD_PRINT,
	      "send INITIAL-CONTACT after phase 1"),
	FIELD(peer, proposal_check, "proposal-check", NULL, GW_FIELD_PRINT,
	      "phase 2 lifetime check: obey, claim, strict or exact"),
	FIELD(peer, hash_algorithm, "hash-algorithm", NULL, GW_FIELD_PRINT, "phase 1 hash"),
	FIELD(peer, enc_algorithm, "enc-algorithm", NULL, GW_FIELD_PRINT, "phase 1 cipher"),
	FIELD(peer, dh_group, "dh-group", NULL, GW_FIELD_PRINT, "phase 1 Diffie-Hellman group"),
	FIELD(peer, lifetime, "lifetime", NULL, GW_FIELD_PRINT, "phase 1 lifetime"),
	FIELD(peer, lifebytes, "lifebytes", NULL, GW_FIELD_PRINT,
	      "phase 1 byte limit, 0 = unlimited"),
	FIELD(peer, nat_traversal, "nat-traversal", NULL, GW_FIELD_DETAIL,
	      "NAT-T (RFC 3947/3948)"),
	FIELD(peer, dpd_interval, "dpd-interval", NULL, GW_FIELD_DETAIL,
	      "dead peer detection interval, or disable-dpd"),
	FIELD(peer, dpd_maximum_failures, "dpd-maximum-failures", NULL, GW_FIELD_DETAIL,
	      "unanswered DPD requests before the peer is declared dead"),
	FIELD(peer, disabled, "disabled", NULL, 0, "yes: ignore this peer"),
	FIELD(peer, comment, "comment", NULL, GW_FIELD_QUOTE, "free text"),
};

/* ---- policy */

static int parse_selector(const char *field, const char *t, struct gw_selector *out,
			  bool *set, struct gw_err *e)
{
	struct gw_selector s = {.port = 0};
	bool port_given;

	if (parse_addr_port(t, true, &s.prefix, &s.port, &port_given))
		return bad_value(e, field, t, "a.b.c.d[/0..32][:port|:any], port 1..65535");
	store_selector(out, s);
	*set = true;
	return 0;
}

static void format_selector(struct gw_selector s, char *b, size_t l)
{
	char pfx[24];

	gw_format_prefix(&s.prefix, pfx, sizeof pfx);
	if (s.port)
		snprintf(b, l, "%s:%u", pfx, s.port);
	else
		snprintf(b, l, "%s:any", pfx);
}

static int parse_policy_src_address(void *o, const char *t, struct gw_err *e)
{
	struct gw_policy *p = o;

	return parse_selector("src-address", t, &p->src_address, &p->src_address_set, e);
}

/* Seed rule: an unset src-address prints (and matches) sa-src-address/32. */
static void fmt_policy_src_address(const void *o, char *b, size_t l)
{
	format_selector(gw_policy_src_selector(o), b, l);
}

static int parse_policy_dst_address(void *o, const char *t, struct gw_err *e)
{
	struct gw_policy *p = o;

	return parse_selector("dst-address", t, &p->dst_address, &p->dst_address_set, e);
}

static void fmt_policy_dst_address(const void *o, char *b, size_t l)
{
	format_selector(gw_policy_dst_selector(o), b, l);
}

static int parse_policy_protocol(void *o, const char *t, struct gw_err *e)
{
	uint64_t v;
	int named;

	if (strcmp(t, "all") == 0)
		v = GW_PROTOCOL_ALL;
	else if ((named = gw_name_lookup(ip_proto_names, t)) >= 0)
		v = (uint64_t)named;
	else if (parse_dec(t, 255, &v))
		return bad_value(e, "protocol", t,
				 "all, a number from 0 to 255 or a name such as tcp, udp, icmp, "
				 "gre, esp, ah, ipencap");
	((struct gw_policy *)o)->protocol = (uint16_t)v;
	return 0;
}

static void fmt_policy_protocol(const void *o, char *b, size_t l)
{
	uint16_t proto = ((const struct gw_policy *)o)->protocol;
	const char *name = gw_name_of(ip_proto_names, proto);

	if (proto == GW_PROTOCOL_ALL)
		snprintf(b, l, "all");
	else if (name)
		snprintf(b, l, "%s", name);
	else
		snprintf(b, l, "%u", proto);
}

static int parse_policy_ipsec_protocols(void *o, const char *t, struct gw_err *e)
{
	uint8_t list[GW_ALG_LIST_MAX], n, bits = 0;

	if (p_list("ipsec-protocols", t, ipsec_proto_names, list, &n, e))
		return -1;
	for (unsigned i = 0; i < n; i++)
		bits |= list[i];
	((struct gw_policy *)o)->ipsec_protocols = bits;
	return 0;
}

/* Seed order: "ah,esp" (AH is outermost). */
static void fmt_policy_ipsec_protocols(const void *o, char *b, size_t l)
{
	uint8_t bits = ((const struct gw_policy *)o)->ipsec_protocols;

	snprintf(b, l, "%s%s%s", bits & GW_PROTO_AH ? "ah" : "",
		 (bits & GW_PROTO_AH) && (bits & GW_PROTO_ESP) ? "," : "",
		 bits & GW_PROTO_ESP ? "esp" : "");
}

/* manual-sa=none clears the reference (seed: manual-sa=none). */
static int parse_policy_manual_sa(void *o, const char *t, struct gw_err *e)
{
	struct gw_policy *p = o;

	if (strcmp(t, "none") == 0) {
		memset(p->manual_sa, 0, sizeof p->manual_sa);
		return 0;
	}
	return p_name("manual-sa", t, &p->manual_sa, e);
}

static void fmt_policy_manual_sa(const void *o, char *b, size_t l)
{
	const struct gw_policy *p = o;

	snprintf(b, l, "%s", p->manual_sa[0] ? p->manual_sa : "none");
}

ENUM_ACCESSORS(policy, action, "action", action_names)
ENUM_ACCESSORS(policy, level, "level", level_names)
ACCESSORS(policy, tunnel, "tunnel", bool)
ACCESSORS(policy, sa_src_address, "sa-src-address", ipv4)
ACCESSORS(policy, sa_dst_address, "sa-dst-address", ipv4)
ACCESSORS(policy, proposal, "proposal", name)
ENUM_ACCESSORS(policy, dont_fragment, "dont-fragment", df_names)
ACCESSORS(policy, disabled, "disabled", bool)
ACCESSORS(policy, comment, "comment", comment)

/* Seed: src-address=10.0.0.147/32:any dst-address=10.0.0.148/32:any
 * protocol=all action=encrypt level=require ipsec-protocols=esp tunnel=no
 * sa-src-address=10.0.0.147 sa-dst-address=10.0.0.148 proposal=default
 * manual-sa=none dont-fragment=clear */
static const struct gw_field policy_fields[] = {
	FIELD(policy, src_address, "src-address", NULL, GW_FIELD_PRINT,
	      "source prefix[:port|:any]; unset = sa-src-address/32"),
	FIELD(policy, dst_address, "dst-address", NULL, GW_FIELD_PRINT,
	      "destination prefix[:port|:any]; unset = sa-dst-address/32"),
	FIELD(policy, protocol, "protocol", NULL, GW_FIELD_PRINT,
	      "IP protocol: all, a name or a number"),
	FIELD(policy, action, "action", NULL, GW_FIELD_PRINT, "accept, drop or encrypt"),
	FIELD(policy, level, "level", NULL, GW_FIELD_PRINT,
	      "without an SA: use (send plain), require or unique (drop)"),
	FIELD(policy, ipsec_protocols, "ipsec-protocols", NULL, GW_FIELD_PRINT,
	      "esp, ah or ah,esp"),
	FIELD(policy, tunnel, "tunnel", NULL, GW_FIELD_PRINT, "tunnel (yes) or transport (no) mode"),
	FIELD(policy, sa_src_address, "sa-src-address", "sa-src", GW_FIELD_PRINT,
	      "local SA endpoint"),
	FIELD(policy, sa_dst_address, "sa-dst-address", "sa-dst", GW_FIELD_PRINT,
	      "remote SA endpoint"),
	FIELD(policy, proposal, "proposal", NULL, GW_FIELD_PRINT, "proposal for IKE-made SAs"),
	FIELD(policy, manual_sa, "manual-sa", NULL, GW_FIELD_PRINT,
	      "manual-sa template to use instead of IKE, or none"),
	FIELD(policy, dont_fragment, "dont-fragment", NULL, GW_FIELD_PRINT,
	      "outer DF bit: clear, set or inherit"),
	FIELD(policy, disabled, "disabled", NULL, 0, "yes: skip this policy"),
	FIELD(policy, comment, "comment", NULL, GW_FIELD_QUOTE, "free text"),
};

/* ---- manual-sa */

/* "none" names no manual SA in a policy, so it cannot name one here. */
static int parse_manual_sa_name(void *o, const char *t, struct gw_err *e)
{
	struct gw_manual_sa *sa = o;

	if (strcmp(t, "none") == 0)
		return bad_value(e, "name", t, "a name other than none (policy manual-sa=none means no SA)");
	return p_name("name", t, &sa->name, e);
}

static void fmt_manual_sa_name(const void *o, char *b, size_t l)
{
	f_name(&((const struct gw_manual_sa *)o)->name, b, l);
}

ENUM_ACCESSORS(manual_sa, ah_algorithm, "ah-algorithm", gw_auth_alg_names)
ENUM_ACCESSORS(manual_sa, esp_auth_algorithm, "esp-auth-algorithm", gw_auth_alg_names)
ENUM_ACCESSORS(manual_sa, esp_enc_algorithm, "esp-enc-algorithm", gw_enc_alg_names)
ACCESSORS(manual_sa, ah_key, "ah-key", keypair)
ACCESSORS(manual_sa, esp_auth_key, "esp-auth-key", keypair)
ACCESSORS(manual_sa, esp_enc_key, "esp-enc-key", keypair)
ACCESSORS(manual_sa, ah_spi, "ah-spi", spipair)
ACCESSORS(manual_sa, esp_spi, "esp-spi", spipair)
ACCESSORS(manual_sa, lifetime, "lifetime", dur)
ACCESSORS(manual_sa, disabled, "disabled", bool)
ACCESSORS(manual_sa, comment, "comment", comment)

/* Seed: name="sa1" ah-algorithm=null esp-auth-algorithm=null
 * esp-enc-algorithm=null ah-key=A0/0A esp-auth-key="" esp-enc-key=""
 * ah-spi=100 esp-spi=100 */
static const struct gw_field manual_sa_fields[] = {
	FIELD(manual_sa, name, "name", NULL, GW_FIELD_PRINT | GW_FIELD_QUOTE | GW_FIELD_KEY,
	      "template name, referenced by policy manual-sa"),
	FIELD(manual_sa, ah_algorithm, "ah-algorithm", NULL, GW_FIELD_PRINT, "AH integrity"),
	FIELD(manual_sa, esp_auth_algorithm, "esp-auth-algorithm", NULL, GW_FIELD_PRINT,
	      "ESP integrity (null with GCM and chacha20poly1305)"),
	FIELD(manual_sa, esp_enc_algorithm, "esp-enc-algorithm", NULL, GW_FIELD_PRINT,
	      "ESP cipher"),
	FIELD(manual_sa, ah_key, "ah-key", NULL, GW_FIELD_PRINT, "hex key, IN/OUT or one for both"),
	FIELD(manual_sa, esp_auth_key, "esp-auth-key", NULL, GW_FIELD_PRINT,
	      "hex key, IN/OUT or one for both"),
	FIELD(manual_sa, esp_enc_key, "esp-enc-key", NULL, GW_FIELD_PRINT,
	      "hex key (salt/nonce included), IN/OUT or one for both"),
	FIELD(manual_sa, ah_spi, "ah-spi", NULL, GW_FIELD_PRINT, "hex SPI, IN/OUT or one for both"),
	FIELD(manual_sa, esp_spi, "esp-spi", NULL, GW_FIELD_PRINT,
	      "hex SPI, IN/OUT or one for both"),
	FIELD(manual_sa, lifetime, "lifetime", NULL, GW_FIELD_DETAIL,
	      "hard lifetime of the SAs, 0s = forever"),
	FIELD(manual_sa, disabled, "disabled", NULL, 0, "yes: install no SAs from it"),
	FIELD(manual_sa, comment, "comment", NULL, GW_FIELD_QUOTE, "free text"),
};

/* ---- interface */

ACCESSORS(interface, name, "name", name)
ACCESSORS(interface, device, "device", device)
ACCESSORS(interface, address, "address", host)
RANGE_ACCESSORS(interface, mtu, "mtu", 68, 9000)
ACCESSORS(interface, disabled, "disabled", bool)

static const struct gw_field interface_fields[] = {
	FIELD(interface, name, "name", NULL, GW_FIELD_PRINT | GW_FIELD_QUOTE | GW_FIELD_KEY,
	      "interface name"),
	FIELD(interface, device, "device", NULL, GW_FIELD_PRINT | GW_FIELD_QUOTE,
	      "DPDK devargs, PCI address or port:N"),
	FIELD(interface, address, "address", NULL, GW_FIELD_PRINT,
	      "our address and connected prefix, a.b.c.d/len"),
	FIELD(interface, mtu, "mtu", NULL, GW_FIELD_PRINT, "IP MTU, 68..9000"),
	FIELD(interface, disabled, "disabled", NULL, 0, "yes: port not used"),
};

/* ---- route */

ACCESSORS(route, dst_address, "dst-address", net)
ACCESSORS(route, gateway, "gateway", ipv4)
ACCESSORS(route, disabled, "disabled", bool)
ACCESSORS(route, comment, "comment", comment)

static const struct gw_field route_fields[] = {
	FIELD(route, dst_address, "dst-address", NULL, GW_FIELD_PRINT, "destination prefix"),
	FIELD(route, gateway, "gateway", NULL, GW_FIELD_PRINT, "next hop address"),
	FIELD(route, disabled, "disabled", NULL, 0, "yes: route not installed"),
	FIELD(route, comment, "comment", NULL, GW_FIELD_QUOTE, "free text"),
};

/* ---- schema lookups */

static const struct {
	const struct gw_field *fields;
	unsigned n;
} schema[GW_MENU_COUNT] = {
	[GW_MENU_INTERFACE] = {interface_fields, ARRAY_SIZE(interface_fields)},
	[GW_MENU_ROUTE] = {route_fields, ARRAY_SIZE(route_fields)},
	[GW_MENU_PROPOSAL] = {proposal_fields, ARRAY_SIZE(proposal_fields)},
	[GW_MENU_PEER] = {peer_fields, ARRAY_SIZE(peer_fields)},
	[GW_MENU_POLICY] = {policy_fields, ARRAY_SIZE(policy_fields)},
	[GW_MENU_MANUAL_SA] = {manual_sa_fields, ARRAY_SIZE(manual_sa_fields)},
};

const struct gw_field *gw_fields(enum gw_menu m, unsigned *n)
{
	if ((unsigned)m >= GW_MENU_COUNT) {
		*n = 0;
		return NULL;
	}
	*n = schema[m].n;
	return schema[m].fields;
}

const struct gw_field *gw_field_find(enum gw_menu m, const char *name)
{
	unsigned n;
	const struct gw_field *f = gw_fields(m, &n);

	for (unsigned i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0 || (f[i].alias && strcmp(f[i].alias, name) == 0))
			return &f[i];
	return NULL;
}

int gw_field_set(enum gw_menu m, void *obj, const char *key, const char *text, struct gw_err *err)
{
	const struct gw_field *f = gw_field_find(m, key);

	if (!f) {
		gw_err_set(err, (int)m, -1, NULL, "unknown field \"%.*s\" for %s", ECHO_MAX, key,
			   gw_menu_name(m));
		return -1;
	}
	if (f->parse(obj, text ? text : "", err) == 0)
		return 0;
	if (err) {
		err->menu = (int)m;
		err->field = f->name;
	}
	return -1;
}

void gw_field_format(enum gw_menu m, const void *obj, const struct gw_field *f, char *buf,
		     size_t len)
{
	(void)m;
	f->format(obj, buf, len);
}

/* ---- defaults (RouterOS's, as the seed prints them) */

static void proposal_defaults(struct gw_proposal *p, unsigned seq)
{
	gw_menu_auto_name(GW_MENU_PROPOSAL, seq, p->name, sizeof p->name);
	p->n_auth = 1;
	p->auth_algorithms[0] = GW_AUTH_SHA1;
	p->n_enc = 1;
	p->enc_algorithms[0] = GW_ENC_3DES;
	p->lifetime = 30 * 60;
	p->pfs_group = GW_DH_MODP1024;
}

static void peer_defaults(struct gw_peer *p)
{
	p->port = 500;
	p->send_initial_contact = true;
	p->exchange_mode = GW_XMODE_MAIN;
	p->proposal_check = GW_PCHECK_STRICT;
	p->hash_algorithm = GW_HASH_MD5;
	p->enc_algorithm = GW_IKE_3DES;
	p->dh_group = GW_DH_MODP1024;
	p->lifetime = 86400;
	p->dpd_interval = 120;
	p->dpd_maximum_failures = 5;
}

static void policy_defaults(struct gw_policy *p)
{
	p->protocol = GW_PROTOCOL_ALL;
	p->action = GW_ACTION_ACCEPT;
	p->level = GW_LEVEL_REQUIRE;
	p->ipsec_protocols = GW_PROTO_ESP;
	p->dont_fragment = GW_DF_CLEAR;
	snprintf(p->proposal, sizeof p->proposal, "default");
}

static void manual_sa_defaults(struct gw_manual_sa *sa, unsigned seq)
{
	gw_menu_auto_name(GW_MENU_MANUAL_SA, seq, sa->name, sizeof sa->name);
	sa->ah_spi.in = sa->ah_spi.out = 0x100;
	sa->esp_spi.in = sa->esp_spi.out = 0x100;
}

void gw_field_defaults(enum gw_menu m, void *obj, unsigned seq)
{
	memset(obj, 0, gw_menu_obj_size(m));
	switch (m) {
	case GW_MENU_INTERFACE:
		gw_menu_auto_name(m, seq, ((struct gw_interface *)obj)->name, GW_NAME_MAX);
		((struct gw_interface *)obj)->mtu = 1500;
		break;
	case GW_MENU_PROPOSAL: proposal_defaults(obj, seq); break;
	case GW_MENU_PEER: peer_defaults(obj); break;
	case GW_MENU_POLICY: policy_defaults(obj); break;
	case GW_MENU_MANUAL_SA: manual_sa_defaults(obj, seq); break;
	default: break; /* route: all zero */
	}
}

/* ---- whole-config validation */

/* A menu's object names sorted by (name, index): duplicate names and name
 * references are then found in O(n log n) for the whole config, which
 * matters with 100 000 policies and 500 000 manual SAs. */
struct name_ref {
	const char *name;
	uint32_t i;
};

static int name_ref_cmp(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r ? r : (x->i > y->i) - (x->i < y->i);
}

static struct name_ref *sorted_names(const struct gw_config *c, enum gw_menu m, uint32_t n,
				     struct gw_err *e)
{
	struct name_ref *v = malloc((n ? n : 1) * sizeof(*v));

	if (!v) {
		gw_err_set(e, (int)m, -1, NULL, "%s: checking names: out of memory", gw_menu_name(m));
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++)
		v[i] = (struct name_ref){gw_menu_obj_name(m, gw_menu_obj_const(c, m, i)), i};
	qsort(v, n, sizeof(*v), name_ref_cmp);
	return v;
}

/* The lowest index with this name in a sorted_names array, or -1. */
static int64_t name_ref_find(const struct name_ref *v, uint32_t n, const char *name)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (strcmp(v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(v[lo].name, name) == 0 ? (int64_t)v[lo].i : -1;
}

/* The error is the one a scan in config order meets first: the lowest
 * index that has no name or repeats an earlier one (named by its first). */
static int check_names(const struct gw_config *c, enum gw_menu m, struct gw_err *e)
{
	uint32_t n = gw_menu_count(c, m), bad = UINT32_MAX, first_of_bad = 0, group = 0;
	struct name_ref *v = sorted_names(c, m, n, e);

	if (!v)
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		if (k == 0 || strcmp(v[k].name, v[group].name) != 0)
			group = k;
		if ((!v[k].name[0] || k != group) && v[k].i < bad) {
			bad = v[k].i;
			first_of_bad = v[group].i;
		}
	}
	free(v);
	if (bad == UINT32_MAX)
		return 0;
	if (!gw_menu_obj_name(m, gw_menu_obj_const(c, m, bad))[0])
		gw_err_set(e, (int)m, (int)bad, "name", "%s %u has no name", gw_menu_name(m), bad);
	else
		gw_err_set(e, (int)m, (int)bad, "name", "duplicate %s name \"%s\": already used by %s %u",
			   gw_menu_name(m), gw_menu_obj_name(m, gw_menu_obj_const(c, m, bad)),
			   gw_menu_name(m), first_of_bad);
	return -1;
}

static bool prefixes_overlap(struct gw_prefix a, struct gw_prefix b)
{
	uint32_t mask = gw_prefix_mask(a.len < b.len ? a.len : b.len);

	return (a.addr & mask) == (b.addr & mask);
}

static int check_interface(const struct gw_config *c, uint32_t i, struct gw_err *e)
{
	const struct gw_interface *itf = &c->interfaces.v[i];
	char pa[24], pb[24];

	if (!itf->device[0]) {
		gw_err_set(e, GW_MENU_INTERFACE, (int)i, "device", "interface \"%s\" has no device",
			   itf->name);
		return -1;
	}
	if (itf->mtu < 68 || itf->mtu > 9000) {
		gw_err_set(e, GW_MENU_INTERFACE, (int)i, "mtu",
			   "mtu %u of interface \"%s\" is out of range 68..9000", itf->mtu, itf->name);
		return -1;
	}
	for (uint32_t j = 0; j < i && itf->address.addr; j++) {
		const struct gw_interface *o = &c->interfaces.v[j];

		if (!o->address.addr || !prefixes_overlap(itf->address, o->address))
			continue;
		gw_format_prefix(&itf->address, pa, sizeof pa);
		gw_format_prefix(&o->address, pb, sizeof pb);
		gw_err_set(e, GW_MENU_INTERFACE, (int)i, "address",
			   "address %s of interface \"%s\" overlaps %s of interface \"%s\"", pa,
			   itf->name, pb, o->name);
		return -1;
	}
	return 0;
}

static int validate_interfaces(const struct gw_config *c, struct gw_err *e)
{
	if (check_names(c, GW_MENU_INTERFACE, e))
		return -1;
	for (uint32_t i = 0; i < c->interfaces.n; i++)
		if (check_interface(c, i, e))
			return -1;
	return 0;
}

static int validate_routes(const struct gw_config *c, struct gw_err *e)
{
	for (uint32_t i = 0; i < c->routes.n; i++) {
		if (c->routes.v[i].gateway == 0) {
			gw_err_set(e, GW_MENU_ROUTE, (int)i, "gateway", "route %u has no gateway", i);
			return -1;
		}
	}
	return 0;
}

static int validate_proposals(const struct gw_config *c, struct gw_err *e)
{
	if (check_names(c, GW_MENU_PROPOSAL, e))
		return -1;
	for (uint32_t i = 0; i < c->proposals.n; i++) {
		const struct gw_proposal *p = &c->proposals.v[i];
		const char *empty = !p->n_auth ? "auth-algorithms" : !p->n_enc ? "enc-algorithms" : NULL;

		if (empty) {
			gw_err_set(e, GW_MENU_PROPOSAL, (int)i, empty, "%s of proposal \"%s\" is empty",
				   empty, p->name);
			return -1;
		}
	}
	return 0;
}

static int validate_peers(const struct gw_config *c, struct gw_err *e)
{
	for (uint32_t i = 0; i < c->peers.n; i++) {
		/* Pre-shared key is our only phase 1 authentication: an empty one
		 * would let anyone in. */
		if (!c->peers.v[i].secret[0]) {
			gw_err_set(e, GW_MENU_PEER, (int)i, "secret", "peer %u has an empty secret", i);
			return -1;
		}
	}
	return 0;
}

/* A non-null algorithm needs keys of exactly its length in both directions;
 * a null one ignores its key (the seed's AH example sets one). */
static int check_key(const struct gw_manual_sa *sa, uint32_t i, const char *field,
		     const struct gw_key_pair *kp, unsigned need, const char *alg, struct gw_err *e)
{
	const struct gw_key *k = kp->in.len != need ? &kp->in : &kp->out;

	if (need == 0 || (kp->in.len == need && kp->out.len == need))
		return 0;
	gw_err_set(e, GW_MENU_MANUAL_SA, (int)i, field,
		   "%s of manual-sa \"%s\" has %u bytes (%s) but %s needs %u (%u hex digits)", field,
		   sa->name, k->len, k == &kp->in ? "in" : "out", alg, need, 2 * need);
	return -1;
}

/* RFC 4303 section 2.1: SPI 0 is for local use and 1..255 belong to IANA. */
static int check_spi(const struct gw_manual_sa *sa, uint32_t i, const char *field,
		     const struct gw_spi_pair *sp, struct gw_err *e)
{
	uint32_t bad = sp->in < 256 ? sp->in : sp->out;
	const char *dir = sp->in < 256 ? "in" : "out";

	if (sp->in >= 256 && sp->out >= 256)
		return 0;
	if (bad == 0)
		gw_err_set(e, GW_MENU_MANUAL_SA, (int)i, field,
			   "%s of manual-sa \"%s\" is 0 (%s): SPI 0 is reserved and never sent "
			   "(RFC 4303)",
			   field, sa->name, dir);
	else
		gw_err_set(e, GW_MENU_MANUAL_SA, (int)i, field,
			   "%s of manual-sa \"%s\" is %X (%s): SPIs 1..FF are reserved by IANA "
			   "(RFC 4303)",
			   field, sa->name, bad, dir);
	return -1;
}

static bool enc_is_aead(enum gw_enc_alg a)
{
	return (a >= GW_ENC_AES128_GCM && a <= GW_ENC_AES256_GCM) || a == GW_ENC_CHACHA20_POLY1305;
}

static bool enc_uses_counter(enum gw_enc_alg a)
{
	return enc_is_aead(a) || (a >= GW_ENC_AES128_CTR && a <= GW_ENC_AES256_CTR);
}

static int check_manual_sa(const struct gw_manual_sa *sa, uint32_t i, struct gw_err *e)
{
	if (check_spi(sa, i, "ah-spi", &sa->ah_spi, e) ||
	    check_spi(sa, i, "esp-spi", &sa->esp_spi, e) ||
	    check_key(sa, i, "ah-key", &sa->ah_key, gw_auth_key_len(sa->ah_algorithm),
		      gw_auth_alg_name(sa->ah_algorithm), e) ||
	    check_key(sa, i, "esp-auth-key", &sa->esp_auth_key,
		      gw_auth_key_len(sa->esp_auth_algorithm),
		      gw_auth_alg_name(sa->esp_auth_algorithm), e) ||
	    check_key(sa, i, "esp-enc-key", &sa->esp_enc_key,
		      gw_enc_key_len(sa->esp_enc_algorithm), gw_enc_alg_name(sa->esp_enc_algorithm),
		      e))
		return -1;
	/* RFC 4106 / RFC 7634: combined-mode ciphers carry their own ICV. */
	if (enc_is_aead(sa->esp_enc_algorithm) && sa->esp_auth_algorithm != GW_AUTH_NULL) {
		gw_err_set(e, GW_MENU_MANUAL_SA, (int)i, "esp-auth-algorithm",
			   "manual-sa \"%s\": esp-auth-algorithm must be null with %s, a "
			   "combined-mode cipher with its own integrity check",
			   sa->name, gw_enc_alg_name(sa->esp_enc_algorithm));
		return -1;
	}
	/* Counter-mode ciphers use the sequence number as IV: one key for both
	 * directions would encrypt two packets under the same key and nonce,
	 * which gives away their XOR (and, for GCM, the authentication key). */
	if (enc_uses_counter(sa->esp_enc_algorithm) && sa->esp_enc_key.in.len &&
	    memcmp(&sa->esp_enc_key.in, &sa->esp_enc_key.out, sizeof(sa->esp_enc_key.in)) == 0) {
		gw_err_set(e, GW_MENU_MANUAL_SA, (int)i, "esp-enc-key",
			   "manual-sa \"%s\": %s needs different in and out keys (IN/OUT): "
			   "one key both ways would reuse nonces",
			   sa->name, gw_enc_alg_name(sa->esp_enc_algorithm));
		return -1;
	}
	return 0;
}

static int validate_manual_sas(const struct gw_config *c, struct gw_err *e)
{
	if (check_names(c, GW_MENU_MANUAL_SA, e))
		return -1;
	for (uint32_t i = 0; i < c->manual_sas.n; i++)
		if (check_manual_sa(&c->manual_sas.v[i], i, e))
			return -1;
	return 0;
}

static const struct gw_manual_sa *find_manual_sa(const struct gw_config *c,
						 const struct name_ref *sa_names, const char *name)
{
	int64_t i = name_ref_find(sa_names, c->manual_sas.n, name);

	return i < 0 ? NULL : &c->manual_sas.v[i];
}

static bool proposal_exists(const struct gw_config *c, const char *name)
{
	for (uint32_t i = 0; i < c->proposals.n; i++)
		if (strcmp(c->proposals.v[i].name, name) == 0)
			return true;
	return false;
}

/* What an encrypt policy needs to build its SAs. */
static int check_encrypt_policy(const struct gw_config *c, const struct gw_policy *p, uint32_t i,
				const struct gw_manual_sa *sa, struct gw_err *e)
{
	if (!p->sa_src_address || !p->sa_dst_address) {
		const char *f = !p->sa_src_address ? "sa-src-address" : "sa-dst-address";

		gw_err_set(e, GW_MENU_POLICY, (int)i, f,
			   "policy %u: action=encrypt needs %s (the SA's %s endpoint)", i, f,
			   !p->sa_src_address ? "local" : "remote");
		return -1;
	}
	/* Checked even for manual-keyed policies: a proposal that a policy
	 * names cannot disappear under it. */
	if (p->proposal[0] && !proposal_exists(c, p->proposal)) {
		gw_err_set(e, GW_MENU_POLICY, (int)i, "proposal",
			   "policy %u: proposal \"%s\" does not exist", i, p->proposal);
		return -1;
	}
	/* RFC 4303 section 3.2: ESP must provide confidentiality or integrity. */
	if (sa && (p->ipsec_protocols & GW_PROTO_ESP) && sa->esp_enc_algorithm == GW_ENC_NULL &&
	    sa->esp_auth_algorithm == GW_AUTH_NULL) {
		gw_err_set(e, GW_MENU_POLICY, (int)i, "manual-sa",
			   "policy %u: manual-sa \"%s\" has esp-enc-algorithm=null and "
			   "esp-auth-algorithm=null; ESP needs at least one (RFC 4303)",
			   i, sa->name);
		return -1;
	}
	/* RFC 4302: AH is nothing but its integrity check value. */
	if (sa && (p->ipsec_protocols & GW_PROTO_AH) && sa->ah_algorithm == GW_AUTH_NULL) {
		gw_err_set(e, GW_MENU_POLICY, (int)i, "manual-sa",
			   "policy %u: ipsec-protocols has ah but manual-sa \"%s\" has ah-algorithm=null; "
			   "AH needs an integrity algorithm (md5, sha1, sha256, ...)",
			   i, sa->name);
		return -1;
	}
	return 0;
}

static int check_policy(const struct gw_config *c, const struct name_ref *sa_names,
			const struct gw_policy *p, uint32_t i, struct gw_err *e)
{
	const struct gw_manual_sa *sa = NULL;

	if (!p->ipsec_protocols) {
		gw_err_set(e, GW_MENU_POLICY, (int)i, "ipsec-protocols",
			   "policy %u: ipsec-protocols is empty", i);
		return -1;
	}
	if (p->manual_sa[0] && !(sa = find_manual_sa(c, sa_names, p->manual_sa))) {
		gw_err_set(e, GW_MENU_POLICY, (int)i, "manual-sa",
			   "policy %u: manual-sa \"%s\" does not exist", i, p->manual_sa);
		return -1;
	}
	if (p->action == GW_ACTION_ENCRYPT)
		return check_encrypt_policy(c, p, i, sa, e);
	return 0;
}

static int validate_policies(const struct gw_config *c, struct gw_err *e)
{
	struct name_ref *sa_names = sorted_names(c, GW_MENU_MANUAL_SA, c->manual_sas.n, e);
	int rc = 0;

	if (!sa_names)
		return -1;
	for (uint32_t i = 0; i < c->policies.n && rc == 0; i++)
		rc = check_policy(c, sa_names, &c->policies.v[i], i, e);
	free(sa_names);
	return rc;
}

static int validate_settings(const struct gw_config *c, struct gw_err *e)
{
	uint32_t w = c->dataplane.replay_window;

	if (!c->management.socket[0]) {
		gw_err_set(e, -1, -1, "socket", "management socket path is empty");
		return -1;
	}
	/* The window is kept in 32-bit words (RFC 4303 appendix A2). */
	if (w < 32 || w > 4096 || w % 32) {
		gw_err_set(e, -1, -1, "replay-window",
			   "replay-window %u is invalid: expected 32..4096 packets, a multiple of 32",
			   w);
		return -1;
	}
	return 0;
}

int gw_config_validate(const struct gw_config *c, struct gw_err *err)
{
	if (validate_interfaces(c, err) || validate_routes(c, err) ||
	    validate_proposals(c, err) || validate_peers(c, err) || validate_manual_sas(c, err) ||
	    validate_policies(c, err) || validate_settings(c, err))
		return -1;
	return 0;
}

/* ---- lookup */

int gw_menu_lookup(const struct gw_config *c, enum gw_menu m, const char *ref)
{
	uint32_t n = gw_menu_count(c, m);
	uint64_t num;

	for (uint32_t i = 0; i < n; i++) {
		const char *name = gw_menu_obj_name(m, gw_menu_obj_const(c, m, i));

		if (name && strcmp(name, ref) == 0)
			return (int)i;
	}
	if (parse_dec(ref, UINT32_MAX, &num) == 0 && num < n)
		return (int)num;
	return -1;
}

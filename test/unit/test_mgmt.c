/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Management commands: word splitting, every verb of every menu, the seed's
 * print outputs, JSON, and the rule that a refused command changes nothing.
 *
 * The backend is implemented here: a real gw_config that commit swaps in,
 * and canned SA, peer and counter snapshots. The seed's console captures
 * lost their line breaks, so seed comparisons squeeze our whitespace the
 * same way; the layout itself (columns, wrapping) is tested separately.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mgmt.h"

/* ---- the test backend */

struct tb {
	struct gw_config cfg;
	unsigned commits, flushes, resets;
	bool fail_commit;
	struct gw_sa_view sas[4];
	unsigned n_sas;
	struct gw_remote_peer_view peers[2];
	unsigned n_peers;
	struct gw_counters ctr;
	struct gw_drop_view drops[2];
	unsigned n_drops;
	unsigned stats_calls;
};

static struct tb T;

static const struct gw_config *tb_config(void *ctx)
{
	return &((struct tb *)ctx)->cfg;
}

/* Like the daemon's: owns the candidate whatever happens. */
static int tb_commit(void *ctx, struct gw_config *cand, struct gw_err *err)
{
	struct tb *t = ctx;

	if (t->fail_commit) {
		gw_config_free(cand);
		gw_err_set(err, -1, -1, NULL, "tables could not be built");
		return -1;
	}
	gw_config_free(&t->cfg);
	t->cfg = *cand;
	memset(cand, 0, sizeof(*cand));
	t->commits++;
	return 0;
}

static unsigned tb_sas(void *ctx, struct gw_sa_view *out, unsigned max)
{
	struct tb *t = ctx;

	for (unsigned i = 0; i < t->n_sas && i < max; i++)
		out[i] = t->sas[i];
	return t->n_sas;
}

static unsigned tb_peers(void *ctx, struct gw_remote_peer_view *out, unsigned max)
{
	struct tb *t = ctx;

	for (unsigned i = 0; i < t->n_peers && i < max; i++)
		out[i] = t->peers[i];
	return t->n_peers;
}

static void tb_counters(void *ctx, struct gw_counters *out)
{
	*out = ((struct tb *)ctx)->ctr;
}

static unsigned tb_drops(void *ctx, struct gw_drop_view *out, unsigned max)
{
	struct tb *t = ctx;

	for (unsigned i = 0; i < t->n_drops && i < max; i++)
		out[i] = t->drops[i];
	return t->n_drops;
}

static void tb_policy_stats(void *ctx, unsigned idx, struct gw_policy_stats *out)
{
	struct tb *t = ctx;

	t->stats_calls++;
	memset(out, 0, sizeof(*out));
	out->encrypted = 10 + idx;
	out->decrypted = 20 + idx;
	out->ph2_state = idx ? GW_PH2_ESTABLISHED : GW_PH2_NO_PHASE2;
}

static void tb_flush(void *ctx)
{
	struct tb *t = ctx;

	t->flushes++;
	t->n_sas = 0;
}

static void tb_reset(void *ctx)
{
	struct tb *t = ctx;

	t->resets++;
	memset(&t->ctr, 0, sizeof(t->ctr));
}

static const struct gw_mgmt_backend BE = {
	.ctx = &T,
	.config = tb_config,
	.commit = tb_commit,
	.installed_sas = tb_sas,
	.remote_peers = tb_peers,
	.counters = tb_counters,
	.drops = tb_drops,
	.policy_stats = tb_policy_stats,
	.flush_sas = tb_flush,
	.reset_counters = tb_reset,
};

/* ---- helpers */

static struct gw_buf OUT;

/* Run a command that must succeed; its answer stays valid until the next run. */
static const char *run_json(const char *line, bool json)
{
	int rc;

	gw_buf_free(&OUT);
	rc = gw_mgmt_exec(&BE, line, json, &OUT);
	if (rc != 0)
		fail_msg("\"%s\" failed: %s", line, OUT.s ? OUT.s : "(no answer)");
	return OUT.s ? OUT.s : "";
}

static const char *ok(const char *line)
{
	return run_json(line, false);
}

static const char *okf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *okf(const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return ok(line);
}

static bool vec_equal(const struct gw_config *a, const struct gw_config *b, enum gw_menu m)
{
	uint32_t n = gw_menu_count(a, m);

	if (n != gw_menu_count(b, m))
		return false;
	return n == 0 ||
	       memcmp(gw_menu_obj_const(a, m, 0), gw_menu_obj_const(b, m, 0), n * gw_menu_obj_size(m)) == 0;
}

static bool config_equal(const struct gw_config *a, const struct gw_config *b)
{
	for (int m = 0; m < GW_MENU_COUNT; m++)
		if (!vec_equal(a, b, (enum gw_menu)m))
			return false;
	return memcmp(&a->management, &b->management, sizeof(a->management)) == 0 &&
	       memcmp(&a->dataplane, &b->dataplane, sizeof(a->dataplane)) == 0 && a->next_uid == b->next_uid;
}

/* Run a command that must be refused: one line of error, and the config
 * byte-identical afterwards with nothing committed. Returns the error. */
static const char *refused(const char *line)
{
	struct gw_config before;
	unsigned commits = T.commits;
	int rc;

	assert_int_equal(gw_config_clone(&before, &T.cfg), 0);
	gw_buf_free(&OUT);
	rc = gw_mgmt_exec(&BE, line, false, &OUT);
	if (rc == 0)
		fail_msg("\"%s\" was accepted: %s", line, OUT.s ? OUT.s : "");
	assert_non_null(OUT.s);
	/* exactly one line */
	assert_true(OUT.len > 1);
	assert_int_equal(OUT.s[OUT.len - 1], '\n');
	assert_null(memchr(OUT.s, '\n', OUT.len - 1));
	assert_true(config_equal(&before, &T.cfg));
	assert_int_equal(T.commits, commits);
	gw_config_free(&before);
	return OUT.s;
}

static void assert_contains(const char *hay, const char *needle)
{
	assert_non_null(hay);
	if (!strstr(hay, needle))
		fail_msg("expected \"%s\" in:\n%s", needle, hay ? hay : "(null)");
}

static void assert_not_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("did not expect \"%s\" in:\n%s", needle, hay);
}

/* The seed's captures have their line breaks and column padding squeezed
 * into single spaces: do the same to ours (outside quotes). */
static char *squeeze(const char *s)
{
	char *o = malloc(strlen(s) + 1), *p = o;
	bool quoted = false;

	assert_non_null(o);
	for (; *s; s++) {
		if (*s == '"')
			quoted = !quoted;
		if (!quoted && (*s == ' ' || *s == '\n')) {
			if (p > o && p[-1] != ' ')
				*p++ = ' ';
			continue;
		}
		*p++ = *s;
	}
	if (p > o && p[-1] == ' ')
		p--;
	*p = '\0';
	return o;
}

static void assert_seed(const char *printed, const char *seed)
{
	char *got = squeeze(printed);

	if (strcmp(got, seed) != 0)
		fail_msg("seed mismatch\n got: %s\nseed: %s", got, seed);
	free(got);
}

/* Everything after the legend line. */
static const char *after_legend(const char *s)
{
	const char *nl = strchr(s, '\n');

	assert_non_null(nl);
	return nl + 1;
}

static bool starts_with(const char *s, const char *prefix)
{
	while (*prefix && *s == *prefix) {
		s++;
		prefix++;
	}
	return *prefix == '\0';
}

static size_t longest_line(const char *s)
{
	size_t max = 0;

	while (*s) {
		size_t n = strcspn(s, "\n");

		max = n > max ? n : max;
		s += n;
		if (*s)
			s++;
	}
	return max;
}

/* ---- a small JSON checker: validity plus the value of a top-level key
 * path is found by string checks in the tests themselves. */

static const char *json_value(const char *p);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *json_str(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *json_seq(const char *p, char close, bool object)
{
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (object) {
			p = json_str(json_ws(p));
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = json_value(p);
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p)
{
	p = json_ws(p);
	if (*p == '{')
		return json_seq(p, '}', true);
	if (*p == '[')
		return json_seq(p, ']', false);
	if (*p == '"')
		return json_str(p);
	if (starts_with(p, "true") || starts_with(p, "null"))
		return p + 4;
	if (starts_with(p, "false"))
		return p + 5;
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		if (*p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
		return p;
	}
	return NULL;
}

static void assert_json(const char *s)
{
	const char *end = json_value(s);

	if (!end || *json_ws(end) != '\0')
		fail_msg("invalid JSON: %s", s);
}

/* ---- fixtures */

static time_t utc(int y, int mon, int d, int h, int mi, int s)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d,
			.tm_hour = h, .tm_min = mi, .tm_sec = s};

	return timegm(&tm);
}

static void hex_key(struct gw_key *k, const char *hex)
{
	k->len = (uint8_t)(strlen(hex) / 2);
	for (unsigned i = 0; i < k->len; i++)
		sscanf(hex + 2 * i, "%2hhx", &k->bytes[i]);
}

static uint32_t ip(const char *s)
{
	uint32_t a;

	assert_int_equal(gw_parse_ipv4(s, &a), 0);
	return a;
}

/* The seed's first installed-sa example (ESP, sha1, 3des). */
static void seed_sas(void)
{
	struct gw_sa_view *s = T.sas;

	memset(T.sas, 0, sizeof(T.sas));
	s[0].flags = GW_SA_FLAG_ESP;
	s[0].spi = 0xE727605;
	s[0].direction = GW_SA_IN;
	s[0].src_address = ip("198.19.100.148");
	s[0].dst_address = ip("198.19.100.147");
	s[0].auth_algorithm = GW_AUTH_SHA1;
	s[0].enc_algorithm = GW_ENC_3DES;
	s[0].replay_bytes = 4;
	s[0].state = GW_SA_MATURE;
	hex_key(&s[0].auth_key, "ecc5f4aee1b297739ec88e324d7cfb8594aa6c35");
	hex_key(&s[0].enc_key, "d6943b8ea582582e449bde085c9471ab0b209783c9eb4bbd");
	s[0].add_lifetime_soft = 24 * 60;
	s[0].add_lifetime_hard = 30 * 60;
	s[0].current_addtime = utc(2003, 1, 28, 20, 55, 12);
	s[0].current_usetime = utc(2003, 1, 28, 20, 55, 23);
	s[0].current_bytes = 128;
	s[1] = s[0];
	s[1].spi = 0xE15CEE06;
	s[1].direction = GW_SA_OUT;
	s[1].src_address = ip("198.19.100.147");
	s[1].dst_address = ip("198.19.100.148");
	hex_key(&s[1].auth_key, "8ac9dc7ecebfed9cd1030ae3b07b32e8e5cb98af");
	hex_key(&s[1].enc_key, "8a8073a7afd0f74518c10438a0023e64cc660ed69845ca3c");
	s[1].current_usetime = s[1].current_addtime;
	s[1].current_bytes = 512;
	T.n_sas = 2;
}

static int setup(void **state)
{
	(void)state;
	/* The seed's times are the router's local time: pin ours. */
	setenv("TZ", "UTC", 1);
	tzset();
	memset(&T, 0, sizeof(T));
	assert_int_equal(gw_config_init(&T.cfg), 0);
	gw_buf_init(&OUT);
	seed_sas();
	T.peers[0] = (struct gw_remote_peer_view){
		.local_address = ip("198.19.100.148"),
		.remote_address = ip("198.19.100.147"),
		.state = "established",
		.side = GW_SIDE_INITIATOR,
		.established = utc(2003, 1, 25, 3, 34, 45),
		.ph2_active = 0,
		.ph2_total = 1,
	};
	T.n_peers = 1;
	T.ctr = (struct gw_counters){.out_accept = 6, .out_encrypt = 7, .in_accept = 12, .in_decrypted = 7};
	T.drops[0] = (struct gw_drop_view){"bad-spi", 3};
	T.drops[1] = (struct gw_drop_view){"icv-failure", 1};
	T.n_drops = 2;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gw_config_free(&T.cfg);
	gw_buf_free(&OUT);
	return 0;
}

/* ---- split */

static int split(const char *line, char **w, int max)
{
	static char scratch[1024];

	return gw_mgmt_split(line, scratch, w, max);
}

static void test_split_words(void **state)
{
	char *w[8];

	(void)state;
	assert_int_equal(split("  policy\tprint   stats ", w, 8), 3);
	assert_string_equal(w[0], "policy");
	assert_string_equal(w[1], "print");
	assert_string_equal(w[2], "stats");
	assert_int_equal(split("", w, 8), 0);
	assert_int_equal(split("   \t ", w, 8), 0);
}

static void test_split_quotes(void **state)
{
	char *w[8];

	(void)state;
	assert_int_equal(split("peer add secret=\"a b\" comment=\"\"", w, 8), 4);
	assert_string_equal(w[2], "secret=a b");
	assert_string_equal(w[3], "comment=");
	assert_int_equal(split("x=\"say \\\"hi\\\" \\\\o/\"", w, 8), 1);
	assert_string_equal(w[0], "x=say \"hi\" \\o/");
	/* quotes group inside a word; other backslashes stay as they are */
	assert_int_equal(split("a\"b c\"d \"\" e\\n", w, 8), 3);
	assert_string_equal(w[0], "ab cd");
	assert_string_equal(w[1], "");
	assert_string_equal(w[2], "e\\n");
	assert_int_equal(split("secret=\"open", w, 8), -1);
	assert_int_equal(split("x=\"a\\\"", w, 8), -1);
}

static void test_split_counts_overflow(void **state)
{
	char *w[2];

	(void)state;
	/* words beyond max are counted, not stored */
	assert_int_equal(split("a b c d", w, 2), 4);
	assert_string_equal(w[1], "b");
}

/* ---- prefix and grammar */

static void test_prefix(void **state)
{
	char *plain;

	(void)state;
	plain = strdup(ok("proposal print"));
	assert_string_equal(ok("/ip ipsec proposal print"), plain);
	assert_string_equal(ok("/ip/ipsec proposal print"), plain);
	assert_string_equal(ok("ip ipsec proposal print"), plain);
	assert_string_equal(ok("/ip/ipsec/proposal print"), plain);
	assert_string_equal(ok("/ip/ipsec/ proposal print"), plain);
	assert_string_equal(ok("/ ip ipsec proposal print"), plain);
	free(plain);
	assert_contains(refused("/ip ipsec"), "missing menu");
	assert_contains(refused("/ip/ipsec/polcy print"), "unknown menu \"polcy\"");
}

static void test_grammar_errors(void **state)
{
	(void)state;
	assert_contains(refused("polcy print"),
			"unknown menu \"polcy\"; menus: proposal, peer, policy, manual-sa, installed-sa, "
			"remote-peers, counters, interface, route");
	assert_contains(refused(""), "empty command");
	assert_contains(refused("policy"), "missing verb after policy; verbs: print, add, set, remove");
	assert_contains(refused("policy prnt"), "unknown verb \"prnt\" for policy");
	assert_contains(refused("installed-sa add spi=1"), "unknown verb \"add\" for installed-sa; verbs: print, flush");
	assert_contains(refused("counters flush"), "verbs: print, reset");
	assert_contains(refused("remote-peers reset"), "verbs: print");
	assert_contains(refused("peer add secret=\"open"), "unterminated quote");
	assert_contains(refused("proposal print stats"), "only for policy");
	assert_contains(refused("proposal print where name=x"), "where is not supported");
	assert_contains(refused("proposal print 0 1"), "too many words");
	assert_contains(refused("proposal print nosuch"), "no such proposal \"nosuch\"");
	assert_contains(refused("installed-sa flush now"), "too many words");
	assert_contains(refused("counters reset all"), "too many words");
	assert_contains(refused("counters print 0"), "too many words");
	assert_contains(refused("help nosuch"), "unknown menu \"nosuch\"");
	assert_contains(refused("help policy peer"), "too many words");
}

static void test_limits(void **state)
{
	size_t n = 64 * 1024 + 1;
	char *line = malloc(n + 1);
	struct gw_buf b;

	(void)state;
	/* 257 words */
	strcpy(line, "policy print");
	for (int i = 0; i < 255; i++)
		strcat(line, " x");
	assert_contains(refused(line), "too many words: 257, at most 256");
	/* 64 KiB + 1 */
	memset(line, 'a', n);
	line[n] = '\0';
	memcpy(line, "peer add comment=", 17);
	assert_contains(refused(line), "command too long");
	/* a 256-word command is fine as far as words go */
	strcpy(line, "proposal set default");
	for (int i = 0; i < 253; i++)
		strcat(line, " lifebytes=1");
	gw_buf_init(&b);
	assert_int_equal(gw_mgmt_exec(&BE, line, false, &b), -1);
	assert_contains(b.s, "given twice");
	gw_buf_free(&b);
	free(line);
}

/* An error replaces anything already printed; an answer appends. */
static void test_exec_buffer(void **state)
{
	struct gw_buf b;

	(void)state;
	gw_buf_init(&b);
	assert_int_equal(gw_mgmt_exec(&BE, "remote-peers print", false, &b), 0);
	assert_contains(b.s, "remote-address=198.19.100.147");
	gw_buf_free(&b);
	assert_int_equal(gw_mgmt_exec(&BE, "bogus", false, &b), -1);
	assert_string_equal(b.s, "unknown menu \"bogus\"; menus: proposal, peer, policy, manual-sa, installed-sa, "
				 "remote-peers, counters, interface, route\n");
	gw_buf_free(&b);
}

static void test_buf(void **state)
{
	struct gw_buf b;

	(void)state;
	gw_buf_init(&b);
	assert_null(b.s);
	gw_buf_put(&b, "", 0);
	assert_string_equal(b.s, "");
	for (int i = 0; i < 1000; i++)
		gw_buf_printf(&b, "%04d", i);
	assert_int_equal(b.len, 4000);
	assert_int_equal(strlen(b.s), 4000);
	assert_memory_equal(b.s + 3996, "0999", 4);
	assert_false(b.oom);
	gw_buf_free(&b);
	assert_null(b.s);
	assert_int_equal(b.len, 0);
}

/* ---- the seed's outputs */

static void test_seed_proposal(void **state)
{
	const char *out;

	(void)state;
	ok("proposal set default enc-algorithms=des,aes-128");
	out = ok("proposal print");
	assert_seed(out, "Flags: X - disabled 0 name=\"default\" auth-algorithms=sha1 "
			 "enc-algorithms=des,aes-128-cbc lifetime=30m lifebytes=0 pfs-group=modp1024");
	assert_string_equal(out, "Flags: X - disabled\n"
				 " 0   name=\"default\" auth-algorithms=sha1 enc-algorithms=des,aes-128-cbc\n"
				 "     lifetime=30m lifebytes=0 pfs-group=modp1024\n"
				 "\n");
	assert_int_equal(T.commits, 1);
}

static void test_seed_peer(void **state)
{
	(void)state;
	assert_string_equal(ok("peer add address=198.19.100.147/32 secret=gwejimezyfopmekun"), "");
	assert_seed(ok("peer print"),
		    "Flags: X - disabled 0 address=198.19.100.147/32:500 secret=\"gwejimezyfopmekun\" "
		    "generate-policy=no exchange-mode=main send-initial-contact=yes proposal-check=strict "
		    "hash-algorithm=md5 enc-algorithm=3des dh-group=modp1024 lifetime=1d lifebytes=0");
}

static void test_seed_policy(void **state)
{
	const char *out;

	(void)state;
	ok("policy add sa-src-address=198.19.100.147 sa-dst-address=198.19.100.148 action=encrypt");
	out = ok("policy print");
	assert_true(starts_with(out, "Flags: X - disabled, D - dynamic, I - invalid\n"));
	assert_seed(after_legend(out),
		    "0 src-address=198.19.100.147/32:any dst-address=198.19.100.148/32:any protocol=all "
		    "action=encrypt level=require ipsec-protocols=esp tunnel=no sa-src-address=198.19.100.147 "
		    "sa-dst-address=198.19.100.148 proposal=default manual-sa=none dont-fragment=clear");
	assert_true(longest_line(out) <= 79);
	T.stats_calls = 0;
	out = ok("policy print stats");
	assert_seed(after_legend(out),
		    "0 src-address=198.19.100.147/32:any dst-address=198.19.100.148/32:any protocol=all "
		    "ph2-state=no-phase2 in-accepted=0 in-dropped=0 out-accepted=0 out-dropped=0 "
		    "encrypted=10 not-encrypted=0 decrypted=20 not-decrypted=0");
	assert_int_equal(T.stats_calls, 1);
}

static void test_seed_manual_sa(void **state)
{
	(void)state;
	ok("manual-sa add ah-key=A0/0A");
	assert_seed(ok("manual-sa print"),
		    "Flags: X - disabled, I - invalid 0 name=\"sa1\" ah-algorithm=null esp-auth-algorithm=null "
		    "esp-enc-algorithm=null ah-key=a0/0a esp-auth-key=\"\" esp-enc-key=\"\" ah-spi=100 esp-spi=100");
}

static void test_seed_installed_sa(void **state)
{
	/* flag E in its own column (after A's), pairs wrapped under the first */
	static const char layout[] =
		" 0  E   spi=E727605 direction=in src-address=198.19.100.148\n"
		"        dst-address=198.19.100.147 auth-algorithm=sha1 enc-algorithm=3des\n"
		"        replay=4 state=mature\n"
		"        auth-key=\"ecc5f4aee1b297739ec88e324d7cfb8594aa6c35\"\n"
		"        enc-key=\"d6943b8ea582582e449bde085c9471ab0b209783c9eb4bbd\"\n"
		"        add-lifetime=24m/30m use-lifetime=0s/0s lifebytes=0/0\n"
		"        current-addtime=jan/28/2003 20:55:12\n"
		"        current-usetime=jan/28/2003 20:55:23 current-bytes=128\n"
		"\n 1  E   spi=E15CEE06 ";
	const char *out;
	char *copy;

	(void)state;
	out = ok("installed-sa print");
	assert_seed(out,
		    "Flags: A - AH, E - ESP, P - pfs, M - manual "
		    "0 E spi=E727605 direction=in src-address=198.19.100.148 dst-address=198.19.100.147 "
		    "auth-algorithm=sha1 enc-algorithm=3des replay=4 state=mature "
		    "auth-key=\"ecc5f4aee1b297739ec88e324d7cfb8594aa6c35\" "
		    "enc-key=\"d6943b8ea582582e449bde085c9471ab0b209783c9eb4bbd\" add-lifetime=24m/30m "
		    "use-lifetime=0s/0s lifebytes=0/0 current-addtime=jan/28/2003 20:55:12 "
		    "current-usetime=jan/28/2003 20:55:23 current-bytes=128 "
		    "1 E spi=E15CEE06 direction=out src-address=198.19.100.147 dst-address=198.19.100.148 "
		    "auth-algorithm=sha1 enc-algorithm=3des replay=4 state=mature "
		    "auth-key=\"8ac9dc7ecebfed9cd1030ae3b07b32e8e5cb98af\" "
		    "enc-key=\"8a8073a7afd0f74518c10438a0023e64cc660ed69845ca3c\" add-lifetime=24m/30m "
		    "use-lifetime=0s/0s lifebytes=0/0 current-addtime=jan/28/2003 20:55:12 "
		    "current-usetime=jan/28/2003 20:55:12 current-bytes=512");
	/* the layout: flag E in its own column (after A), wrapped under the first pair */
	assert_true(starts_with(after_legend(out), layout));
	assert_true(longest_line(out) <= 79);
	copy = strdup(out);
	assert_string_equal(ok("installed-sa print detail"), copy);
	free(copy);
}

static void test_installed_sa_other_algorithms(void **state)
{
	struct gw_sa_view *s = &T.sas[0];
	const char *out;

	(void)state;
	/* The seed's SonicWALL capture: md5 + des. */
	s->spi = 0x3C3C7A8D;
	s->direction = GW_SA_OUT;
	s->auth_algorithm = GW_AUTH_MD5;
	s->enc_algorithm = GW_ENC_DES;
	hex_key(&s->auth_key, "5697ee9fe98867005ac057e1b62a6c3b");
	hex_key(&s->enc_key, "7b992840ea30b180");
	out = ok("installed-sa print 0");
	assert_contains(out, "spi=3C3C7A8D direction=out");
	assert_contains(out, "auth-algorithm=md5 enc-algorithm=des");
	assert_contains(out, "auth-key=\"5697ee9fe98867005ac057e1b62a6c3b\"");
	assert_not_contains(out, "E15CEE06");
	/* AH, manual, PFS; never used yet; no keys for null */
	s->flags = GW_SA_FLAG_AH | GW_SA_FLAG_PFS | GW_SA_FLAG_MANUAL;
	s->enc_algorithm = GW_ENC_NULL;
	s->enc_key.len = 0;
	s->auth_algorithm = GW_AUTH_SHA256;
	s->current_usetime = 0;
	s->state = GW_SA_DYING;
	s->lifebytes_soft = 1000;
	s->lifebytes_hard = 2000;
	s->add_lifetime_soft = 90000;
	s->add_lifetime_hard = 3600;
	out = ok("installed-sa print 0");
	assert_true(starts_with(after_legend(out), " 0 A PM spi="));
	assert_contains(out, "auth-algorithm=sha256 enc-algorithm=none");
	assert_contains(out, "state=dying");
	assert_contains(out, "enc-key=\"\"");
	assert_contains(out, "add-lifetime=1d1h/1h");
	assert_contains(out, "lifebytes=1000/2000");
	assert_contains(out, "current-usetime=\"\"");
	assert_contains(refused("installed-sa print 2"), "item number 2 out of range: installed-sa has 2 items (0..1)");
	assert_contains(refused("installed-sa print x"), "no such installed-sa \"x\"");
}

static void test_seed_flush(void **state)
{
	(void)state;
	assert_string_equal(ok("installed-sa flush"), "");
	assert_int_equal(T.flushes, 1);
	/* seed: print after flush shows nothing, not even the legend */
	assert_string_equal(ok("installed-sa print"), "");
	assert_string_equal(run_json("installed-sa print", true), "[]\n");
}

static void test_seed_remote_peers(void **state)
{
	const char *out;

	(void)state;
	out = ok("remote-peers print");
	assert_seed(out, "0 local-address=198.19.100.148 remote-address=198.19.100.147 state=established "
			 "side=initiator established=jan/25/2003 03:34:45 ph2-active=0 ph2-total=1");
	assert_true(starts_with(out, " 0 local-address="));
	T.peers[1] = T.peers[0];
	T.peers[1].side = GW_SIDE_RESPONDER;
	T.peers[1].established = 0;
	snprintf(T.peers[1].state, sizeof(T.peers[1].state), "message-2-sent");
	T.n_peers = 2;
	out = ok("remote-peers print 1");
	assert_seed(out, "1 local-address=198.19.100.148 remote-address=198.19.100.147 state=message-2-sent "
			 "side=responder established=\"\" ph2-active=0 ph2-total=1");
	assert_not_contains(out, " 0 ");
	assert_contains(refused("remote-peers print 2"), "out of range");
}

static void test_seed_counters(void **state)
{
	const char *out;

	(void)state;
	out = ok("counters print");
	assert_seed(out, "out-accept: 6 out-accept-isakmp: 0 out-drop: 0 out-encrypt: 7 in-accept: 12 "
			 "in-accept-isakmp: 0 in-drop: 0 in-decrypted: 7 in-drop-encrypted-expected: 0");
	/* right-aligned keys */
	assert_true(starts_with(out, "                  out-accept: 6\n"));
	assert_contains(out, "\n  in-drop-encrypted-expected: 0\n");
	assert_not_contains(out, "bad-spi");
	out = ok("counters print detail");
	assert_contains(out, "\n                     bad-spi: 3\n                 icv-failure: 1\n");
	assert_string_equal(ok("counters reset"), "");
	assert_int_equal(T.resets, 1);
	assert_contains(ok("counters print"), "out-accept: 0\n");
}

/* The seed's own configuration commands, as written there. */
static void test_seed_commands(void **state)
{
	static const char *const cmds[] = {
		"ip ipsec policy add sa-src=198.18.200.1 sa-dst=198.18.200.2 action=encrypt",
		"ip ipsec peer add address=198.18.200.2 secret=\"roberkenon\"",
		"ip ipsec peer add address=198.18.200.0/24 secret=\"roberkenon\" generate-policy=yes",
		/* the seed's ah-key=abcfed with no ah-algorithm is refused (AH
		 * needs an ICV): the same command with an algorithm and key */
		"ip ipsec manual-sa add name=ah-sa1 ah-spi=0x101/0x100 ah-algorithm=md5 "
		"ah-key=abcfed00112233445566778899aabbcc",
		"ip ipsec policy add src-address=198.19.110.0/24 dst-address=198.19.120.0/24 action=encrypt "
		"ipsec-protocols=ah tunnel=yes sa-src=198.18.200.1 sa-dst=198.18.200.2 manual-sa=ah-sa1",
		"/ip ipsec policy add src-address=198.19.110.0/24 dst-address=198.19.120.0/24 action=encrypt "
		"tunnel=yes sa-src-address=198.18.200.1 sa-dst-address=198.18.200.2",
		"/ip ipsec peer add address=198.18.200.2 exchange-mode=aggressive secret=\"sviestapika\"",
		"proposal set default enc-algorithms=des",
		"peer add address=198.19.101.2 secret=test_key enc-algorithm=des",
		"policy add src-address=198.19.100.0/24 dst-address=198.19.102.0/24 action=encrypt tunnel=yes "
		"sa-src=198.19.101.1 sa-dst=198.19.101.2",
		"/ ip ipsec peer add address=198.19.100.81:500 exchange-mode=main send-initial-contact=no "
		"proposal-check=obey hash-algorithm=sha enc-algorithm=3des dh-group=modp1024 secret=\"********\"",
		"/ ip ipsec proposal add name=sw-client auth-algorithms=md5 enc-algorithms=des lifetime=30m "
		"pfs-group=modp768",
		"/ ip ipsec policy add src-address=198.18.211.0/24 dst-address=198.19.100.81/32 action=encrypt "
		"ipsec-protocols=esp tunnel=yes sa-src-address=198.19.100.204 sa-dst-address=198.19.100.81 proposal=sw-client",
	};
	const char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		assert_string_equal(ok(cmds[i]), "");
	assert_int_equal(T.cfg.policies.n, 5);
	assert_int_equal(T.cfg.peers.n, 5);
	out = ok("peer print 4");
	assert_contains(out, "address=198.19.100.81/32:500");
	assert_contains(out, "hash-algorithm=sha1");
	assert_contains(ok("manual-sa print"), "ah-key=abcfed00112233445566778899aabbcc\n");
	assert_contains(ok("policy print 1"), "ipsec-protocols=ah tunnel=yes");
}

/* print, print detail and JSON on every config menu, empty and not. */
static void test_print_every_menu(void **state)
{
	static const char *const menus[] = {"proposal", "peer", "policy", "manual-sa", "interface", "route"};
	char line[64];

	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < sizeof(menus) / sizeof(menus[0]); i++) {
			snprintf(line, sizeof(line), "%s print", menus[i]);
			ok(line);
			snprintf(line, sizeof(line), "%s print detail", menus[i]);
			assert_true(longest_line(ok(line)) <= 79);
			assert_json(run_json(line, true));
		}
		if (pass)
			break;
		ok("interface add name=lan device=net_tap1 address=198.18.1.1/24");
		ok("route add dst-address=198.19.0.0/16 gateway=198.18.1.2 comment=\"to the lab\"");
		ok("peer add address=198.18.1.2 secret=s");
		ok("manual-sa add esp-enc-algorithm=aes-128-cbc esp-enc-key=00112233445566778899aabbccddeeff");
		ok("policy add src-address=198.18.1.0/24 dst-address=198.19.0.0/16 sa-src=198.18.1.1 "
		   "sa-dst=198.18.1.2 action=encrypt manual-sa=sa1 tunnel=yes");
	}
	assert_contains(ok("route print"), " 0    ;;; to the lab\n      dst-address=198.19.0.0/16");
	assert_contains(run_json("route print", true), "\"comment\":\"to the lab\"");
	/* detail shows the DETAIL fields */
	assert_not_contains(ok("peer print"), "dpd-interval=");
	assert_contains(ok("peer print detail"), "dpd-interval=2m");
	assert_contains(ok("manual-sa print detail"), "lifetime=0s");
	assert_contains(run_json("peer print detail", true), "\"dpd-maximum-failures\":5");
	assert_contains(run_json("interface print", true), "\"mtu\":1500");
	/* a policy whose sa-src-address is one of ours is valid */
	assert_contains(ok("policy print"), " 0     src-address=198.18.1.0/24");
	ok("policy set 0 sa-src-address=198.18.1.9");
	assert_contains(ok("policy print"), " 0   I src-address=198.18.1.0/24");
}

static void test_set_several_and_move(void **state)
{
	(void)state;
	ok("proposal add name=p1");
	ok("proposal set default,p1 lifetime=1h");
	assert_int_equal(T.cfg.proposals.v[0].lifetime, 3600);
	assert_int_equal(T.cfg.proposals.v[1].lifetime, 3600);
	ok("route add dst-address=198.19.0.0/16 gateway=198.18.0.1");
	ok("route add dst-address=198.18.160.0/20 gateway=198.18.0.1");
	ok("route add dst-address=198.18.176.0/20 gateway=198.18.0.1");
	ok("route move 2 0");
	assert_contains(ok("route print 0"), "198.18.176.0/20");
	ok("route move 0 2");
	assert_contains(ok("route print 1"), "198.18.176.0/20");
	ok("route add dst-address=198.18.144.0/20 gateway=198.18.0.1 place-before=1");
	assert_contains(ok("route print 1"), "198.18.144.0/20");
	assert_contains(refused("route add dst-address=198.18.208.0/20 gateway=198.18.0.1 place-before=9"),
			"out of range");
	assert_contains(refused("route add gateway=198.18.0.1 place-before=0 place-before=1"), "given twice");
}

/* ---- every verb of the config menus */

static void test_proposal_verbs(void **state)
{
	const char *out;

	(void)state;
	ok("proposal add name=sw-client auth-algorithms=md5 enc-algorithms=des lifetime=30m pfs-group=modp768");
	out = ok("proposal print sw-client");
	assert_contains(out, " 1   name=\"sw-client\" auth-algorithms=md5 enc-algorithms=des");
	assert_contains(out, "pfs-group=modp768");
	assert_not_contains(out, "\"default\"");
	ok("proposal set sw-client lifetime=1h");
	assert_contains(ok("proposal print 1"), "lifetime=1h");
	ok("proposal disable 1");
	assert_contains(ok("proposal print"), "\n 1 X name=\"sw-client\"");
	ok("proposal enable sw-client");
	assert_contains(ok("proposal print"), "\n 1   name=\"sw-client\"");
	ok("proposal move 1 0");
	assert_contains(ok("proposal print 0"), " 0   name=\"sw-client\"");
	ok("proposal move sw-client");
	assert_contains(ok("proposal print 1"), " 1   name=\"sw-client\"");
	ok("proposal remove sw-client");
	assert_int_equal(T.cfg.proposals.n, 1);
	assert_int_equal(T.commits, 7);
}

static void test_proposal_auto_name_and_detail(void **state)
{
	(void)state;
	ok("proposal add");
	ok("proposal add");
	assert_contains(ok("proposal print 2"), "name=\"proposal2\"");
	ok("proposal remove 1,2");
	assert_int_equal(T.cfg.proposals.n, 1);
	/* detail adds fields, never removes them */
	assert_true(strlen(ok("proposal print detail")) >= strlen(ok("proposal print")));
}

static void test_peer_verbs(void **state)
{
	const char *out;

	(void)state;
	ok("peer add address=198.19.100.81 exchange-mode=main send-initial-contact=no proposal-check=obey "
	   "hash-algorithm=sha enc-algorithm=3des dh-group=modp1024 secret=\"********\"");
	ok("peer add address=198.18.0.2 secret=\"two words\" comment=\"branch office\"");
	out = ok("peer print");
	assert_contains(out, "hash-algorithm=sha1");
	assert_contains(out, "proposal-check=obey");
	assert_contains(out, "secret=\"two words\"");
	/* the comment line, fields on the next line */
	assert_contains(out, "\n 1   ;;; branch office\n     address=198.18.0.2");
	ok("peer set 0 secret=\"new \\\"quoted\\\" one\"");
	assert_contains(ok("peer print 0"), "secret=\"new \\\"quoted\\\" one\"");
	ok("peer disable 0,1");
	out = ok("peer print");
	assert_contains(out, " 0 X address=");
	assert_contains(out, " 1 X ;;; branch office");
	ok("peer enable 0");
	ok("peer remove 0");
	assert_int_equal(T.cfg.peers.n, 1);
	assert_string_equal(T.cfg.peers.v[0].secret, "two words");
	assert_contains(refused("peer set default secret=x"), "no such peer \"default\"");
}

static void test_policy_verbs(void **state)
{
	const char *out;

	(void)state;
	ok("/ip ipsec policy add src-address=198.19.110.0/24 dst-address=198.19.120.0/24 "
	   "action=encrypt tunnel=yes sa-src=198.18.200.1 sa-dst=198.18.200.2");
	ok("policy add src-address=198.19.190.0/24 dst-address=198.19.180.0/24 action=accept place-before=0");
	out = ok("policy print");
	assert_contains(out, " 0     src-address=198.19.190.0/24");
	assert_contains(out, " 1     src-address=198.19.110.0/24");
	ok("policy set 1 level=unique dont-fragment=inherit");
	out = ok("policy print 1");
	assert_contains(out, "level=unique");
	assert_contains(out, "dont-fragment=inherit");
	ok("policy move 0");
	assert_contains(ok("policy print 1"), "src-address=198.19.190.0/24");
	ok("policy disable 1");
	assert_contains(ok("policy print 1"), " 1 X   src-address");
	ok("policy enable 1");
	out = ok("policy print stats");
	assert_contains(out, "ph2-state=established");
	assert_contains(out, "encrypted=11");
	assert_seed(ok("policy print stats 1"), "Flags: X - disabled, D - dynamic, I - invalid "
						"1 src-address=198.19.190.0/24:any dst-address=198.19.180.0/24:any "
						"protocol=all ph2-state=established in-accepted=0 in-dropped=0 "
						"out-accepted=0 out-dropped=0 encrypted=11 not-encrypted=0 "
						"decrypted=21 not-decrypted=0");
	ok("policy remove 0,1");
	assert_int_equal(T.cfg.policies.n, 0);
	assert_string_equal(ok("policy print"), "");
}

/* Dynamic policies (generate-policy) stay at the bottom and are IKE's. */
static void test_policy_dynamic(void **state)
{
	const char *out;

	(void)state;
	ok("policy add src-address=198.19.150.0/24 dst-address=198.19.160.0/24");
	T.cfg.policies.v[0].dynamic = true;
	ok("policy add src-address=198.19.170.0/24 dst-address=198.19.160.0/24");
	out = ok("policy print");
	assert_contains(out, " 0     src-address=198.19.170.0/24");
	assert_contains(out, " 1  D  src-address=198.19.150.0/24");
	assert_contains(refused("policy set 1 level=use"), "policy 1 is dynamic");
	assert_contains(refused("policy remove 0,1"), "policy 1 is dynamic");
	assert_contains(refused("policy disable 1"), "dynamic");
	assert_contains(refused("policy move 1 0"), "dynamic");
}

static void test_policy_invalid_flag(void **state)
{
	(void)state;
	ok("proposal add name=p2");
	ok("policy add sa-src-address=198.19.100.147 sa-dst-address=198.19.100.148 action=encrypt proposal=p2");
	assert_contains(ok("policy print"), " 0     src-address");
	/* a disabled proposal cannot give the policy SAs */
	ok("proposal disable p2");
	assert_contains(ok("policy print"), " 0   I src-address");
	assert_contains(run_json("policy print", true), "\"flags\":\"I\"");
}

static void test_manual_sa_verbs(void **state)
{
	const char *out;

	(void)state;
	ok("manual-sa add name=ah-sa1 ah-spi=0x101/0x100 ah-algorithm=sha1 "
	   "ah-key=00112233445566778899aabbccddeeff00112233");
	ok("manual-sa add");
	out = ok("manual-sa print");
	assert_contains(out, "name=\"ah-sa1\"");
	assert_contains(out, "ah-spi=101/100");
	assert_contains(out, " 1    name=\"sa1\"");
	ok("manual-sa set sa1 name=sa9");
	assert_contains(ok("manual-sa print 1"), "name=\"sa9\"");
	ok("manual-sa disable ah-sa1");
	assert_contains(ok("manual-sa print 0"), " 0 X  name=\"ah-sa1\"");
	ok("manual-sa enable 0");
	ok("manual-sa remove sa9");
	assert_int_equal(T.cfg.manual_sas.n, 1);
}

static void test_interface_and_route_verbs(void **state)
{
	const char *out;

	(void)state;
	ok("interface add name=wan device=net_tap0 address=198.18.0.1/24");
	ok("interface set wan mtu=1400");
	out = ok("interface print");
	assert_contains(out, "Flags: X - disabled\n");
	assert_contains(out, "name=\"wan\"");
	assert_contains(out, "mtu=1400");
	ok("route add dst-address=198.19.0.0/16 gateway=198.18.0.254");
	ok("route add dst-address=198.18.160.0/20 gateway=198.19.255.1");
	out = ok("route print");
	assert_contains(out, "Flags: X - disabled, I - invalid\n");
	assert_contains(out, " 0    dst-address=198.19.0.0/16");
	/* its gateway is on none of our prefixes */
	assert_contains(out, " 1  I dst-address=198.18.160.0/20");
	ok("route disable 0");
	assert_contains(ok("route print 0"), " 0 X  dst-address");
	ok("route enable 0");
	ok("route remove 1");
	ok("interface disable wan");
	ok("interface enable 0");
	ok("route remove 0");
	ok("interface remove wan");
	assert_int_equal(T.cfg.interfaces.n, 0);
	assert_int_equal(T.cfg.routes.n, 0);
}

static void test_help(void **state)
{
	const char *out;
	char *copy;

	(void)state;
	out = ok("help");
	assert_contains(out, "installed-sa");
	assert_contains(out, "remote-peers");
	copy = strdup(ok("help policy"));
	assert_contains(copy, "sa-src-address (sa-src)");
	assert_contains(copy, "print [detail|stats] [ITEM]");
	assert_string_equal(ok("policy help"), copy);
	free(copy);
	assert_contains(ok("counters help"), "verbs: print, reset");
}

/* ---- refused commands change nothing */

#define KEY40 "00112233445566778899aabbccddeeff00112233"

/* Proposal p1 and manual-sa m1, each used by a policy. */
static void uses_p1_and_m1(void)
{
	ok("proposal add name=p1");
	ok("manual-sa add name=m1 ah-algorithm=sha1 ah-key=" KEY40);
	ok("policy add sa-src-address=198.19.100.1 sa-dst-address=198.19.100.2 action=encrypt proposal=p1");
	ok("policy add sa-src-address=198.19.100.1 sa-dst-address=198.19.100.3 action=encrypt ipsec-protocols=ah "
	   "manual-sa=m1");
}

static void test_errors_change_nothing(void **state)
{
	(void)state;
	uses_p1_and_m1();
	ok("peer add address=198.19.100.2 secret=x");

	assert_contains(refused("peer add adress=198.19.100.9"), "unknown key \"adress\" for peer; keys: address");
	assert_contains(refused("peer add address"), "expected key=value, got \"address\"");
	assert_contains(refused("peer add =198.19.100.9"), "missing key");
	assert_contains(refused("peer add address=198.19.100.9 lifetime="), "invalid value \"\" for lifetime: expected a duration");
	assert_contains(refused("policy add sa-src=198.19.100.1 sa-src-address=198.19.100.3"), "key sa-src-address given twice");
	assert_contains(refused("proposal set default lifetime=soon"), "invalid value \"soon\" for lifetime");
	/* the first bad key wins and later ones are not looked at */
	assert_contains(refused("proposal set default pfs-group=modp9 lifetime=soon"), "invalid value \"modp9\" for pfs-group");
	assert_contains(refused("proposal set 7 lifetime=1h"), "item number 7 out of range: proposal has 2 items (0..1)");
	assert_contains(refused("policy set 2 action=drop"), "item number 2 out of range: policy has 2 items (0..1)");
	assert_contains(refused("peer set 1 secret=y"), "item number 1 out of range: peer has 1 item (0..0)");
	assert_contains(refused("route remove 0"), "route has no items");
	assert_contains(refused("proposal set nosuch lifetime=1h"), "no such proposal \"nosuch\"");
	assert_contains(refused("proposal set default"), "nothing to set");
	assert_contains(refused("proposal set"), "missing item");
	assert_contains(refused("proposal remove"), "missing item");
	assert_contains(refused("proposal remove p1 p2"), "too many words");
	assert_contains(refused("proposal remove 0,,1"), "empty item");
	assert_contains(refused("proposal enable"), "missing item");
	assert_contains(refused("proposal move 9"), "out of range");
	assert_contains(refused("proposal move 0 1 2"), "too many words");
	/* validate: a duplicate name, a missing reference */
	refused("proposal add name=p1");
	refused("manual-sa set m1 name=default");
	refused("policy set 0 proposal=nosuch");
	/* an item list is all or nothing */
	refused("peer remove 0,5");
	/* the backend refusing the commit */
	T.fail_commit = true;
	assert_contains(refused("peer set 0 secret=y"), "tables could not be built");
	assert_contains(refused("peer remove 0"), "cannot remove peer 0: tables could not be built");
	assert_contains(refused("policy disable 0"), "tables could not be built");
	T.fail_commit = false;
	/* with set on several items, a failure on the second undoes the first */
	refused("proposal set default,p1 name=same");
}

static void test_remove_refused(void **state)
{
	const char *err;

	(void)state;
	assert_contains(refused("proposal remove default"), "cannot remove the default proposal");
	assert_contains(refused("proposal remove 0"), "cannot remove the default proposal");
	assert_contains(refused("proposal set 0 name=other"), "the default proposal cannot be renamed");
	ok("proposal set default name=default lifetime=1h");
	/* an error echoing a word with a control character stays one line */
	assert_contains(refused("peer add \"addr\ness\"=1"), "unknown key \"addr?ess\"");
	uses_p1_and_m1();
	err = refused("proposal remove p1");
	assert_contains(err, "cannot remove proposal p1: ");
	err = refused("manual-sa remove m1");
	assert_contains(err, "cannot remove manual-sa m1: ");
	assert_contains(refused("proposal remove 1,0"), "default proposal");
	/* once the policies are gone, both go */
	ok("policy remove 0,1");
	ok("proposal remove p1");
	ok("manual-sa remove m1");
}

/* ---- layout */

static void test_wrapping(void **state)
{
	char secret[201], line[300];
	const char *out, *p;

	(void)state;
	ok("policy add src-address=198.19.110.0/24 dst-address=198.19.120.0/24 action=encrypt tunnel=yes "
	   "sa-src=198.18.200.1 sa-dst=198.18.200.2");
	out = ok("policy print");
	assert_true(longest_line(out) <= 79);
	/* continuation lines start under the first pair, never inside one */
	for (p = after_legend(out); *p; p = strchr(p, '\n') + 1) {
		if (*p == '\n')
			continue;
		if (strncmp(p, " 0", 2) != 0)
			assert_true(starts_with(p, "       ") && p[7] != ' ');
	}
	/* a pair longer than the line gets a line of its own, whole */
	memset(secret, 's', 200);
	secret[200] = '\0';
	snprintf(line, sizeof(line), "peer add address=198.19.100.1 secret=%s", secret);
	ok(line);
	out = ok("peer print");
	snprintf(line, sizeof(line), "\n     secret=\"%s\"\n", secret);
	assert_contains(out, line);
	/* numbers right-aligned in a column as wide as the largest */
	for (int i = 0; i < 10; i++)
		okf("proposal add name=x%d", i);
	out = ok("proposal print");
	assert_contains(out, "\n 9   name=\"x8\"");
	assert_contains(out, "\n10   name=\"x9\"");
}

/* ---- JSON */

static void test_json(void **state)
{
	const char *out;

	(void)state;
	ok("peer add address=198.19.100.147/32 secret=\"q\\\"b\\\\s\" comment=\"say \\\"hi\\\"\"");
	out = run_json("peer print", true);
	assert_json(out);
	assert_contains(out, "[{\"number\":0,\"flags\":\"\",");
	assert_contains(out, "\"secret\":\"q\\\"b\\\\s\"");
	assert_contains(out, "\"comment\":\"say \\\"hi\\\"\"");
	assert_contains(out, "\"generate-policy\":false");
	assert_contains(out, "\"send-initial-contact\":true");
	assert_contains(out, "\"lifebytes\":0");
	assert_contains(out, "\"lifetime\":\"1d\"");

	out = run_json("proposal print detail", true);
	assert_json(out);
	assert_contains(out, "\"name\":\"default\"");

	ok("manual-sa add");
	out = run_json("manual-sa print", true);
	assert_json(out);
	assert_contains(out, "\"ah-spi\":\"100\"");

	ok("policy add sa-src-address=198.19.100.147 sa-dst-address=198.19.100.148 action=encrypt");
	ok("policy disable 0");
	out = run_json("policy print stats", true);
	assert_json(out);
	assert_contains(out, "\"flags\":\"X\"");
	assert_contains(out, "\"ph2-state\":\"no-phase2\"");
	assert_contains(out, "\"encrypted\":10");
	assert_contains(out, "\"protocol\":\"all\"");

	out = run_json("installed-sa print", true);
	assert_json(out);
	assert_contains(out, "{\"number\":0,\"flags\":\"E\",\"spi\":\"E727605\",\"direction\":\"in\"");
	assert_contains(out, "\"replay\":4");
	assert_contains(out, "\"current-addtime\":\"jan/28/2003 20:55:12\"");
	assert_contains(out, "\"current-bytes\":512}]");
	T.sas[0].current_usetime = 0;
	assert_contains(run_json("installed-sa print 0", true), "\"current-usetime\":null");

	/* control characters from runtime state are escaped */
	snprintf(T.peers[0].state, sizeof(T.peers[0].state), "a\tb\001");
	out = run_json("remote-peers print", true);
	assert_json(out);
	assert_contains(out, "\"state\":\"a\\tb\\u0001\"");
	assert_contains(out, "\"ph2-total\":1");
	assert_contains(out, "\"established\":\"jan/25/2003 03:34:45\"");

	out = run_json("counters print", true);
	assert_json(out);
	assert_string_equal(out, "{\"out-accept\":6,\"out-accept-isakmp\":0,\"out-drop\":0,\"out-encrypt\":7,"
				 "\"in-accept\":12,\"in-accept-isakmp\":0,\"in-drop\":0,\"in-decrypted\":7,"
				 "\"in-drop-encrypted-expected\":0}\n");
	out = run_json("counters print detail", true);
	assert_json(out);
	assert_contains(out, "\"drops\":{\"bad-spi\":3,\"icv-failure\":1}}");

	assert_string_equal(run_json("route print", true), "[]\n");
	/* changes print nothing in either mode */
	assert_string_equal(run_json("proposal set default lifetime=1h", true), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T_(test_split_words),
		T_(test_split_quotes),
		T_(test_split_counts_overflow),
		T_(test_prefix),
		T_(test_grammar_errors),
		T_(test_limits),
		T_(test_exec_buffer),
		T_(test_buf),
		T_(test_seed_proposal),
		T_(test_seed_peer),
		T_(test_seed_policy),
		T_(test_seed_manual_sa),
		T_(test_seed_installed_sa),
		T_(test_installed_sa_other_algorithms),
		T_(test_seed_flush),
		T_(test_seed_remote_peers),
		T_(test_seed_counters),
		T_(test_seed_commands),
		T_(test_print_every_menu),
		T_(test_set_several_and_move),
		T_(test_proposal_verbs),
		T_(test_proposal_auto_name_and_detail),
		T_(test_peer_verbs),
		T_(test_policy_verbs),
		T_(test_policy_dynamic),
		T_(test_policy_invalid_flag),
		T_(test_manual_sa_verbs),
		T_(test_interface_and_route_verbs),
		T_(test_help),
		T_(test_errors_change_nothing),
		T_(test_remove_refused),
		T_(test_wrapping),
		T_(test_json),
#undef T_
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

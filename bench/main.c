/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipsecgw-bench: testpmd-style throughput of the gateway's packet path.
 *
 *   ipsecgw-bench [EAL options] -- [--dir encap|decap|roundtrip] [--alg LIST]
 *       [--mode tunnel|transport] [--size 64..1500|imix] [--flows N]
 *       [--policies N] [--sas N] [--duration S] [--workers N] [--burst N]
 *       [--replay-window N] [--pool N] [--raw-seconds S] [--raw-crypto]
 *       [--no-raw] [--json] [--quiet]
 *
 * docs/performance.md has the method, the numbers and how to reproduce them.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "bench.h"
#include "esp.h"
#include "l3.h"
#include "log.h"
#include "tables.h"

#define POOL_MBUFS 32767

static const char *const dir_names[] = {"encap", "decap", "roundtrip"};

/* "all": every ESP cipher and every integrity algorithm at least once,
 * ESP and AH. */
static const char *const all_algs[] = {
	"aes-128-gcm", "aes-192-gcm", "aes-256-gcm", "chacha20poly1305",
	"aes-128-cbc+sha1", "aes-192-cbc+sha256", "aes-256-cbc+sha512", "aes-128-cbc+null",
	"aes-128-ctr+sha1", "aes-192-ctr+sha384", "aes-256-ctr+sha256",
	"3des+sha1", "des+md5", "null+sha1", "null+sha384",
	"ah-md5", "ah-sha1", "ah-sha256", "ah-sha384", "ah-sha512",
};

static void usage(FILE *to)
{
	fprintf(to,
		"usage: ipsecgw-bench [EAL options] -- [options]\n"
		"  --dir encap|decap|roundtrip  what the worker does (default encap); roundtrip: the\n"
		"                               gateway encaps, the bench's peer checks and answers,\n"
		"                               the gateway decaps, the bench checks the plaintext\n"
		"  --alg LIST       comma list: aes-128-gcm, aes-128-cbc+sha1, null+sha256, ah-sha1,\n"
		"                   ... or all (default aes-128-gcm); each runs in turn\n"
		"  --mode tunnel|transport      (default tunnel; transport: encap only)\n"
		"  --size N|imix    plaintext IP packet bytes, 64..1500 (default 64); imix = 7x64,\n"
		"                   4x576, 1x1420\n"
		"  --flows N        distinct 5-tuples (default 1)\n"
		"  --policies N     encrypt policies the flows spread over, 1..100000 (default 1)\n"
		"  --sas N          SAs in the SAD (in + out), even, 2..1000000 (default 2 x policies)\n"
		"  --duration S     seconds of traffic (default 10)\n"
		"  --workers N      worker lcores (default: every EAL lcore but the main one)\n"
		"  --burst N        dataplane.burst-size (default 32)\n"
		"  --replay-window N  dataplane.replay-window (default 32)\n"
		"  --pool N         decap: pre-sealed packets per pass (default 8192)\n"
		"  --raw-seconds S  length of the raw intel-ipsec-mb pass (default 2)\n"
		"  --raw-crypto     only the raw intel-ipsec-mb pass\n"
		"  --no-raw         no raw pass\n"
		"  --json           results as JSON on stdout (per-second blocks go to stderr)\n"
		"  --quiet          no per-second blocks\n"
		"  --inline         the source runs on the worker lcore between polls (one worker,\n"
		"                   encap/decap): exact CPU time on a shared host; the source's own\n"
		"                   cycles are measured first and reported\n"
		"  --pcap FILE      traffic from FILE instead: the input port (LAN for encap, WAN for\n"
		"                   decap) is net_pcap rx_pcap=FILE,infinite_rx=1, the output port\n"
		"                   net_null; frames to the net_pcap port's MAC (02:70:63:61:70:00),\n"
		"                   SPIs 0x10000 out, 0x10001 in; one worker, one algorithm\n"
		"  --enc-key IN/OUT encryption keys in hex (salt included) of every SA pair, as\n"
		"                   manual-sa writes them: IN decrypts what comes from the peer\n"
		"  --auth-key IN/OUT  integrity keys likewise (default: random keys)\n");
}

static int parse_alg(const char *s, struct b_alg *a)
{
	char enc[48];
	const char *plus;
	int v;

	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", s);
	if (!strncmp(s, "ah-", 3) || !strncmp(s, "ah+", 3)) {
		a->ah = true;
		v = gw_name_lookup(gw_auth_alg_names, s + 3);
		if (v < 0)
			return -1;
		a->auth = (enum gw_auth_alg)v;
		return 0;
	}
	plus = strchr(s, '+');
	snprintf(enc, sizeof(enc), "%.*s", plus ? (int)(plus - s) : (int)strlen(s), s);
	v = gw_name_lookup(gw_enc_alg_names, enc);
	if (v < 0)
		return -1;
	a->enc = (enum gw_enc_alg)v;
	a->auth = GW_AUTH_NULL;
	if (plus) {
		v = gw_name_lookup(gw_auth_alg_names, plus + 1);
		if (v < 0)
			return -1;
		a->auth = (enum gw_auth_alg)v;
	}
	return 0;
}

static int parse_algs(struct b_opts *o, const char *list)
{
	char buf[1024], *save = NULL, *tok;

	o->n_algs = 0;
	if (!strcmp(list, "all")) {
		for (unsigned i = 0; i < RTE_DIM(all_algs); i++)
			parse_alg(all_algs[i], &o->algs[o->n_algs++]);
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->n_algs == RTE_DIM(o->algs) || parse_alg(tok, &o->algs[o->n_algs]) != 0) {
			fprintf(stderr, "ipsecgw-bench: unknown algorithm \"%s\"\n", tok);
			return -1;
		}
		o->n_algs++;
	}
	return o->n_algs ? 0 : -1;
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out, const char *what)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (*s == '\0' || *end || v < lo || v > hi) {
		fprintf(stderr, "ipsecgw-bench: %s must be %u..%u, not \"%s\"\n", what, lo, hi, s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct b_opts *o)
{
	static const struct option lo[] = {
		{"dir", required_argument, NULL, 'd'},   {"alg", required_argument, NULL, 'a'},
		{"mode", required_argument, NULL, 'm'},  {"size", required_argument, NULL, 's'},
		{"flows", required_argument, NULL, 'f'}, {"policies", required_argument, NULL, 'p'},
		{"sas", required_argument, NULL, 'S'},   {"duration", required_argument, NULL, 't'},
		{"workers", required_argument, NULL, 'w'}, {"burst", required_argument, NULL, 'b'},
		{"replay-window", required_argument, NULL, 'W'}, {"pool", required_argument, NULL, 'P'},
		{"raw-seconds", required_argument, NULL, 'R'}, {"raw-crypto", no_argument, NULL, 'r'},
		{"no-raw", no_argument, NULL, 'n'}, {"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'}, {"inline", no_argument, NULL, 'i'}, {"help", no_argument, NULL, 'h'},
		{"pcap", required_argument, NULL, 'c'}, {"enc-key", required_argument, NULL, 'k'},
		{"auth-key", required_argument, NULL, 'K'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct b_opts){.tunnel = true, .size = 64, .flows = 1, .policies = 1, .duration = 10,
			     .burst = 32, .replay_window = 32, .pool = 8192, .raw_seconds = 2};
	parse_algs(o, "aes-128-gcm");
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			for (o->dir = 0; o->dir < 3 && strcmp(optarg, dir_names[o->dir]); o->dir++)
				;
			if (o->dir == 3) {
				fprintf(stderr, "ipsecgw-bench: --dir encap, decap or roundtrip\n");
				return -1;
			}
			break;
		case 'a': if (parse_algs(o, optarg)) return -1; break;
		case 'm':
			if (strcmp(optarg, "tunnel") && strcmp(optarg, "transport"))
				return -1;
			o->tunnel = !strcmp(optarg, "tunnel");
			break;
		case 's':
			if (!strcmp(optarg, "imix"))
				o->size = 0;
			else if (parse_uint(optarg, 64, B_MAX_PKT, &o->size, "--size"))
				return -1;
			break;
		case 'f': if (parse_uint(optarg, 1, 1u << 24, &o->flows, "--flows")) return -1; break;
		case 'p': if (parse_uint(optarg, 1, 100000, &o->policies, "--policies")) return -1; break;
		case 'S': if (parse_uint(optarg, 2, 1000000, &o->sas, "--sas")) return -1; break;
		case 't': o->duration = atof(optarg); break;
		case 'w': if (parse_uint(optarg, 1, B_MAX_WORKERS, &o->workers, "--workers")) return -1; break;
		case 'b': if (parse_uint(optarg, 1, 512, &o->burst, "--burst")) return -1; break;
		case 'W': if (parse_uint(optarg, 32, 4096, &o->replay_window, "--replay-window")) return -1; break;
		case 'P': if (parse_uint(optarg, 64, 1u << 20, &o->pool, "--pool")) return -1; break;
		case 'R': o->raw_seconds = atof(optarg); break;
		case 'r': o->raw_only = true; break;
		case 'n': o->no_raw = true; break;
		case 'j': o->json = true; break;
		case 'q': o->quiet = true; break;
		case 'i': o->inline_src = true; break;
		case 'c': o->pcap = optarg; break;
		case 'k': o->enc_key = optarg; break;
		case 'K': o->auth_key = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (!o->sas)
		o->sas = 2 * o->policies > 1000000 ? 1000000 : 2 * o->policies;
	if (o->sas % 2) {
		fprintf(stderr, "ipsecgw-bench: --sas counts in and out SAs: give an even number\n");
		return -1;
	}
	if (!o->tunnel && o->dir != B_ENCAP) {
		fprintf(stderr, "ipsecgw-bench: transport mode: encap only (a transport-mode packet "
				"is decapsulated only when addressed to the gateway itself)\n");
		return -1;
	}
	if (o->duration <= 0 || o->raw_seconds <= 0)
		return -1;
	if (o->pcap && (o->dir == B_ROUNDTRIP || o->inline_src || o->n_algs != 1)) {
		fprintf(stderr, "ipsecgw-bench: --pcap: encap or decap, one algorithm, without --inline\n");
		return -1;
	}
	return 0;
}

/* ---- output */

static double avg_plain(const struct b_opts *o)
{
	double s = 0;

	if (o->size)
		return o->size;
	for (unsigned i = 0; i < B_IMIX_N; i++)
		s += b_imix_size(i);
	return s / B_IMIX_N;
}

void b_print_second(const struct b_run *r, double dt)
{
	FILE *out = r->o->json ? stderr : stdout;

	if (r->o->quiet)
		return;
	for (unsigned w = 0; w < r->n_workers; w++) {
		const struct b_worker_stats *s = &r->ws[w];
		double rx = (double)(s->rx_done - s->last_rx) / dt, tx = (double)(s->tx - s->last_tx) / dt;

		fprintf(out, "  ---------- %s %s, lcore %u (worker %u) ----------\n", r->alg->name,
			dir_names[r->o->dir], r->worker_lcore[w], w);
		fprintf(out, "  Rx-pps: %12.0f          Rx-Gbps (plain): %8.2f\n", rx,
			rx * avg_plain(r->o) * 8 / 1e9);
		fprintf(out, "  Tx-pps: %12.0f          Tx-Gbps (frames): %7.2f\n", tx,
			(double)(s->tx_bytes - s->last_bytes) * 8 / dt / 1e9);
	}
	fflush(out);
}

struct totals {
	uint64_t rx, tx, verified, bad, underruns;
	double mpps, rx_mpps, gbps, cycles; /* per second of worker CPU time */
	double wall_mpps, cpu_share;        /* wall clock; CPU the workers had */
};

/*
 * Rates per second of CPU time that each worker thread really had (its
 * thread clock), and by the wall clock. On a machine of its own the two
 * agree (cpu_share ~ 100 %); on a shared host the first is the gateway's
 * rate, the second the host's. Decap pauses are taken out of both.
 */
static void sum_up(const struct b_run *r, struct totals *t)
{
	double busy = r->elapsed - r->paused, cpu = 0, f = r->elapsed > 0 ? busy / r->elapsed : 0;
	uint64_t hz = rte_get_tsc_hz();

	memset(t, 0, sizeof(*t));
	for (unsigned w = 0; w < r->n_workers; w++) {
		const struct b_worker_stats *s = &r->ws[w];
		double c = r->worker_cpu[w] * f;

		t->rx += s->rx_done;
		t->tx += s->tx;
		t->verified += s->verified;
		t->bad += s->bad;
		t->underruns += s->underruns;
		if (c > 0) {
			t->mpps += (double)s->tx / c / 1e6;
			t->rx_mpps += (double)s->rx_done / c / 1e6;
		}
		cpu += c;
	}
	if (busy <= 0 || cpu <= 0)
		return;
	t->wall_mpps = (double)t->tx / busy / 1e6;
	t->cpu_share = cpu / (busy * r->n_workers);
	t->gbps = t->mpps * avg_plain(r->o) * 8 / 1e3;
	/* Every cycle of a busy-polling worker goes to the packets it took. */
	t->cycles = t->rx ? (double)hz * cpu / (double)t->rx : 0;
}

/* Global drop reasons and the dataplane's detailed ones, non-zero only. */
static unsigned drops(const struct b_run *r, struct gw_drop_view *v, unsigned max)
{
	struct gw_drop_view all[128];
	unsigned n = gw_worker_drops_sum(r->ctl.counters, r->n_workers, all, RTE_DIM(all)), k = 0;

	n = gw_dp_drops(&r->dp, all, n, RTE_DIM(all));
	for (unsigned i = 0; i < n && k < max; i++)
		if (all[i].count)
			v[k++] = all[i];
	return k;
}

static uint64_t sa_bytes(const struct b_run *r)
{
	const struct gw_tables *t = r->ctl.live;
	uint64_t s = 0;

	for (uint32_t i = 0; t && t->sad && i < t->sad->n; i++)
		s += __atomic_load_n(&t->sad->sa[i]->hot.bytes, __ATOMIC_RELAXED);
	return s;
}

/* Heap bytes per SA: what one more SA costs (object + its index slots),
 * and the table build's whole heap growth shared out over the SAs. */
static double sa_index_share(const struct b_run *r)
{
	return r->mem.n_sas ? (double)r->mem.sad_index / r->mem.n_sas : 0;
}

static double heap_per_sa(const struct b_run *r)
{
	return r->mem.n_sas ? (double)r->mem.tables_heap / r->mem.n_sas : 0;
}

static void print_setup(const struct b_run *r)
{
	printf("  setup: config %.1f ms, validation %.1f ms, tables %.1f ms (%.1f ms CPU) for %u SAs;"
	       " SPD index %.1f KiB, %u tuple%s\n",
	       r->config_ms, r->validate_ms, r->tables_ms, r->tables_cpu_ms, r->mem.n_sas,
	       (double)r->mem.spd_index / 1024, r->mem.spd_tuples, r->mem.spd_tuples == 1 ? "" : "s");
	printf("  memory per SA: %" PRIu64 " B object (struct gw_sa %zu B + replay window + key schedules)"
	       " + %.0f B SAD index = %.0f B; measured: tables heap %.1f MiB = %.0f B per SA\n",
	       r->mem.sa_object, sizeof(struct gw_sa), sa_index_share(r),
	       (double)r->mem.sa_object + sa_index_share(r), (double)r->mem.tables_heap / (1 << 20),
	       heap_per_sa(r));
}

/*
 * gateway / raw with the inline source's own cycles (measured before the
 * run, struct b_run source_cycles) taken out of the gateway's: what the
 * packet path alone reaches of the crypto ceiling. 0 where it does not
 * apply (no inline source, several workers, no raw pass, round trip).
 */
static double ratio_without_source(const struct b_run *r, const struct totals *t)
{
	const struct b_opts *o = r->o;

	if (!o->inline_src || r->n_workers != 1 || o->dir == B_ROUNDTRIP || r->raw_cycles <= 0 ||
	    t->cycles <= r->source_cycles)
		return 0.0;
	return r->raw_cycles / (t->cycles - r->source_cycles);
}

static void print_text(const struct b_run *r, const struct totals *t, const struct gw_drop_view *d,
		       unsigned nd, const struct gw_counters *c)
{
	const struct b_opts *o = r->o;
	char size[16];

	if (o->size)
		snprintf(size, sizeof(size), "%u B", o->size);
	else
		snprintf(size, sizeof(size), "imix");
	printf("\n  ======== ipsecgw-bench: %s %s %s %s, %u worker%s, %u flows, %u policies, %u SAs ========\n",
	       dir_names[o->dir], r->alg->ah ? "AH" : "ESP", r->alg->name, o->tunnel ? "tunnel" : "transport",
	       r->n_workers, r->n_workers > 1 ? "s" : "", o->flows, o->policies, o->sas);
	if (o->pcap)
		printf("  source: %s (%" PRIu64 " packets, replayed %" PRIu64 " times) on net_pcap, sink net_null\n",
		       o->pcap, r->pcap_packets, r->passes);
	printf("  size %s, burst %u, %.1f s (%.3f s paused for replay-window resets, %" PRIu64 " passes), tables built in %.1f ms\n",
	       size, o->burst, r->elapsed, r->paused, r->passes, (double)r->build_us / 1000);
	print_setup(r);
	if (!o->raw_only) {
		printf("  Rx %" PRIu64 " pkts (%.3f Mpps)   Tx %" PRIu64 " pkts (%.3f Mpps)   per second of worker CPU\n",
		       t->rx, t->rx_mpps, t->tx, t->mpps);
		printf("  wall clock: Tx %.3f Mpps; the workers had %.0f %% of their cores\n", t->wall_mpps,
		       100 * t->cpu_share);
		printf("  plaintext %.2f Gbit/s   %.0f cycles/packet per worker   SA bytes %" PRIu64 "\n",
		       t->gbps, t->cycles, r->sa_bytes);
		if (o->inline_src)
			printf("  inline source: %.0f cycles/packet of the above are the source's (refill, ring, drain, free)\n",
			       r->source_cycles);
		if (o->dir == B_ROUNDTRIP)
			printf("  round trip: %" PRIu64 " plaintexts verified byte for byte, %" PRIu64 " bad\n",
			       t->verified, t->bad);
		printf("  counters: out-encrypt %" PRIu64 " in-decrypted %" PRIu64 " out-accept %" PRIu64
		       " in-accept %" PRIu64 " out-drop %" PRIu64 " in-drop %" PRIu64 "\n",
		       c->out_encrypt, c->in_decrypted, c->out_accept, c->in_accept, c->out_drop, c->in_drop);
		printf("  drops:");
		for (unsigned i = 0; i < nd; i++)
			printf(" %s=%" PRIu64, d[i].name, d[i].count);
		printf("%s\n", nd ? "" : " none");
		if (t->underruns)
			printf("  source: RX ring found empty %" PRIu64 " times (the source may have limited the run)\n",
			       t->underruns);
		if (r->other_frames)
			printf("  other frames from the gateway: %" PRIu64 "\n", r->other_frames);
	}
	if (r->raw_mpps > 0) {
		printf("  raw intel-ipsec-mb, lcore %u, %u B cipher / %u B hash per job: %.3f Mpps, %.2f Gbit/s, %.0f cycles/job (wall clock %.3f Mpps)\n",
		       r->worker_lcore[0], r->raw_ct_len, r->raw_hash_len, r->raw_mpps, r->raw_gbps, r->raw_cycles,
		       r->raw_wall_mpps);
		if (!o->raw_only && o->dir != B_ROUNDTRIP)
			printf("  gateway / raw (per worker): %.1f %%\n",
			       100.0 * t->mpps / r->n_workers / r->raw_mpps);
		if (ratio_without_source(r, t) > 0)
			printf("  gateway / raw, the inline source's cycles taken out: %.1f %%\n",
			       100.0 * ratio_without_source(r, t));
	}
	printf("  mempool: %u of %u mbufs back after the run: %s\n", r->mp_avail, r->mp_size,
	       r->mempool_full ? "full" : "LEAK");
}

static void print_json(const struct b_run *r, const struct totals *t, const struct gw_drop_view *d,
		       unsigned nd, const struct gw_counters *c, bool first)
{
	const struct b_opts *o = r->o;

	printf("%s{\"alg\":\"%s\",\"proto\":\"%s\",\"dir\":\"%s\",\"mode\":\"%s\",", first ? "" : ",\n",
	       r->alg->name, r->alg->ah ? "ah" : "esp", dir_names[o->dir], o->tunnel ? "tunnel" : "transport");
	if (o->size)
		printf("\"size\":%u,", o->size);
	else
		printf("\"size\":\"imix\",");
	printf("\"workers\":%u,\"burst\":%u,\"flows\":%u,\"policies\":%u,\"sas\":%u,"
	       "\"seconds\":%.3f,\"paused_seconds\":%.4f,\"passes\":%" PRIu64 ",\"build_ms\":%.1f,",
	       r->n_workers, o->burst, o->flows, o->policies, o->sas, r->elapsed, r->paused, r->passes,
	       (double)r->build_us / 1000);
	printf("\"config_ms\":%.1f,\"validate_ms\":%.1f,\"tables_ms\":%.1f,\"tables_cpu_ms\":%.1f,",
	       r->config_ms, r->validate_ms, r->tables_ms, r->tables_cpu_ms);
	printf("\"memory\":{\"sas\":%u,\"sa_struct_bytes\":%zu,\"sa_object_bytes\":%" PRIu64
	       ",\"sad_index_bytes_per_sa\":%.1f,\"bytes_per_sa\":%.1f,\"tables_heap_bytes\":%" PRIu64
	       ",\"heap_bytes_per_sa\":%.1f,\"spd_index_bytes\":%" PRIu64 ",\"spd_tuples\":%u},",
	       r->mem.n_sas, sizeof(struct gw_sa), r->mem.sa_object, sa_index_share(r),
	       (double)r->mem.sa_object + sa_index_share(r), r->mem.tables_heap, heap_per_sa(r),
	       r->mem.spd_index, r->mem.spd_tuples);
	printf("\"inline\":%s,\"source_cycles\":%.1f,\"source\":\"%s\",", o->inline_src ? "true" : "false",
	       r->source_cycles, o->pcap ? "pcap" : "rings");
	printf("\"wall_mpps\":%.4f,\"cpu_share\":%.3f,\"raw_wall_mpps\":%.4f,", t->wall_mpps, t->cpu_share,
	       r->raw_wall_mpps);
	printf("\"rx_packets\":%" PRIu64 ",\"tx_packets\":%" PRIu64 ",\"rx_mpps\":%.4f,\"mpps\":%.4f,"
	       "\"plain_gbps\":%.3f,\"cycles_per_packet\":%.1f,\"sa_bytes\":%" PRIu64 ",",
	       t->rx, t->tx, t->rx_mpps, t->mpps, t->gbps, t->cycles, r->sa_bytes);
	printf("\"verified\":%" PRIu64 ",\"bad\":%" PRIu64 ",\"underruns\":%" PRIu64 ",\"other_frames\":%" PRIu64 ",",
	       t->verified, t->bad, t->underruns, r->other_frames);
	printf("\"raw_mpps\":%.4f,\"raw_gbps\":%.3f,\"raw_cycles_per_job\":%.1f,\"ratio\":%.4f,",
	       r->raw_mpps, r->raw_gbps, r->raw_cycles,
	       r->raw_mpps > 0 && o->dir != B_ROUNDTRIP ? t->mpps / r->n_workers / r->raw_mpps : 0.0);
	printf("\"ratio_without_source\":%.4f,", ratio_without_source(r, t));
	printf("\"counters\":{\"out-encrypt\":%" PRIu64 ",\"in-decrypted\":%" PRIu64 ",\"out-accept\":%" PRIu64
	       ",\"in-accept\":%" PRIu64 ",\"out-drop\":%" PRIu64 ",\"in-drop\":%" PRIu64 "},",
	       c->out_encrypt, c->in_decrypted, c->out_accept, c->in_accept, c->out_drop, c->in_drop);
	printf("\"drops\":{");
	for (unsigned i = 0; i < nd; i++)
		printf("%s\"%s\":%" PRIu64, i ? "," : "", d[i].name, d[i].count);
	printf("},\"mempool_avail\":%u,\"mempool_size\":%u,\"mempool_full\":%s}", r->mp_avail, r->mp_size,
	       r->mempool_full ? "true" : "false");
	fflush(stdout);
}

/* ---- one algorithm */

static int run_one(const struct b_opts *o, unsigned iter, struct rte_mempool *mp, unsigned n_workers,
		   bool first)
{
	struct b_run *r = calloc(1, sizeof(*r));
	struct gw_drop_view d[64];
	struct gw_counters c;
	struct totals t;
	unsigned nd = 0;
	int rc = -1;

	if (!r)
		return -1;
	r->o = o;
	r->alg = &o->algs[iter];
	r->iter = iter;
	r->n_workers = n_workers;
	r->mp = mp;
	if (b_setup(r) != 0)
		goto out;
	if (!o->raw_only && b_run_traffic(r) != 0)
		goto out;
	if (!o->no_raw && b_run_raw(r, r->worker_lcore[0]) != 0) {
		fprintf(stderr, "ipsecgw-bench: %s: raw pass failed\n", r->alg->name);
		goto out;
	}
	sum_up(r, &t);
	gw_worker_counters_sum(r->ctl.counters, r->n_workers, &c);
	nd = drops(r, d, RTE_DIM(d));
	r->sa_bytes = sa_bytes(r);
	rc = 0;
out:
	b_teardown(r);
	r->mp_size = mp->size;
	r->mp_avail = rte_mempool_avail_count(mp);
	r->mempool_full = r->mp_avail == r->mp_size;
	if (rc == 0) {
		if (o->json)
			print_json(r, &t, d, nd, &c, first);
		else
			print_text(r, &t, d, nd, &c);
		/* A smoke test can rely on the exit code. */
		if (!r->mempool_full || (!o->raw_only && t.tx == 0) ||
		    (o->dir == B_ROUNDTRIP && (t.bad != 0 || t.verified == 0)))
			rc = 1;
	}
	free(r);
	return rc;
}

int main(int argc, char **argv)
{
	struct b_opts o;
	struct rte_mempool *mp;
	unsigned n_workers, i;
	int rc, status = 0;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "ipsecgw-bench: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	argv[rc] = argv[0];
	if (parse_args(argc - rc, argv + rc, &o) != 0) {
		usage(stderr);
		rte_eal_cleanup();
		return 2;
	}
	gw_log_set_level(GW_LOG_WARNING);
	n_workers = rte_lcore_count() - 1;
	if (o.workers && o.workers <= n_workers)
		n_workers = o.workers;
	if (n_workers == 0 || n_workers > B_MAX_WORKERS) {
		fprintf(stderr, "ipsecgw-bench: needs 1..%u worker lcores besides the main one (EAL -l 0-1)\n",
			B_MAX_WORKERS);
		rte_eal_cleanup();
		return 2;
	}
	mp = rte_pktmbuf_pool_create("bench_mbufs", POOL_MBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     (int)rte_socket_id());
	if (!mp) {
		fprintf(stderr, "ipsecgw-bench: mbuf pool: %s (EAL -m too small?)\n", rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 2;
	}
	if (o.json)
		printf("[");
	for (i = 0; i < o.n_algs; i++) {
		rc = run_one(&o, i, mp, n_workers, i == 0);
		if (rc != 0) {
			fprintf(stderr, "ipsecgw-bench: %s: FAILED\n", o.algs[i].name);
			status = 1;
		}
	}
	if (o.json)
		printf("]\n");
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return status;
}

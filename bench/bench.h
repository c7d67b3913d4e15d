/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipsecgw-bench: the daemon's own worker loop (dataplane/worker.c, path.c)
 * on N worker lcores, fed on net_ring ports by a packet source on the main
 * lcore, which also plays the control thread (gw_ctl_poll/tick) and, for
 * round trips, the IPsec peer.
 *
 *   main lcore (source, sink, control, peer)        worker lcores
 *       plaintext / ESP frames ──▶ RX ring of port lan|wan, queue w ──▶ gw_worker_main
 *       count, verify, recycle ◀── TX ring of port lan|wan, queue w ◀──┘
 *
 * Files: main.c (options, output), setup.c (generated config, ports, tables,
 * neighbours, templates, the peer's SAs), source.c (the run), raw.c (the
 * intel-ipsec-mb ceiling).
 *
 * --pcap FILE replaces the rings and the source: the input port is net_pcap
 * replaying FILE forever (infinite_rx), the output port net_null, and the
 * worker runs alone on its lcore; the main lcore only plays control and
 * sleeps between polls. That is how scripts/bench-vs-secgw.sh feeds DPDK's
 * ipsec-secgw, so both see the same packets through the same PMDs.
 */
#ifndef IPSECGW_BENCH_H
#define IPSECGW_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "crypto.h"
#include "ctl.h"
#include "dp.h"
#include "model.h"
#include "ports.h"
#include "sa.h"
#include "worker.h"

#define B_MAX_WORKERS 16
#define B_PORTS 2 /* 0 = lan, 1 = wan */
#define B_LAN 0
#define B_WAN 1
#define B_RX_RING 1024   /* per (port, worker): what the source keeps queued */
#define B_TX_RING 4096   /* per (port, queue): what the worker sends */
#define B_IMIX_N 12      /* 7 x 64, 4 x 576, 1 x 1420 */
#define B_MAX_PKT 1500

/* Addresses (198.18.0.0/15, as every test of the project). */
#define B_LAN_ADDR 0xC6120001u  /* 198.18.0.1/24, our LAN side */
#define B_WAN_ADDR 0xC6130001u  /* 198.19.0.1/24, our WAN side */
#define B_PEER_ADDR 0xC6130002u /* 198.19.0.2, the other gateway */
#define B_LAN_HOSTS 200u        /* 198.18.0.2 .. 198.18.0.201 */
#define B_REMOTE_NET 0xC6128000u /* 198.18.128.0/17, behind the peer */

enum b_dir { B_ENCAP = 0, B_DECAP, B_ROUNDTRIP };

/* One algorithm of a run: ESP cipher + integrity, or AH integrity. */
struct b_alg {
	bool ah;
	enum gw_enc_alg enc;
	enum gw_auth_alg auth;
	char name[64]; /* as given: "aes-128-gcm", "aes-128-cbc+sha1", "ah-sha256" */
};

struct b_opts {
	enum b_dir dir;
	struct b_alg algs[64];
	unsigned n_algs;
	bool tunnel;
	unsigned size; /* IP packet bytes of the plaintext; 0 = imix */
	unsigned flows, policies, sas;
	double duration, raw_seconds;
	unsigned workers, burst, replay_window, pool;
	bool json, raw_only, no_raw, quiet;
	bool inline_src; /* --inline: source on the worker lcore */
	/* --pcap FILE: the input port is net_pcap (rx_pcap=FILE, infinite_rx=1),
	 * the output port net_null: the same source and sink as DPDK's
	 * ipsec-secgw gets in scripts/bench-vs-secgw.sh. */
	const char *pcap;
	/* --enc-key / --auth-key: hex keys IN/OUT of every SA pair, so that a
	 * pcap sealed elsewhere (scapy) decrypts; default random. */
	const char *enc_key, *auth_key;
};

/* A frame to inject: bytes and length, and (round trip) what to expect back. */
struct b_tmpl {
	uint8_t *data;
	uint16_t len;    /* frame bytes */
	uint16_t ip_len; /* plaintext IP bytes it stands for */
	uint32_t tmpl_sa; /* decap: index of the SA pair it was sealed with */
};

/* The IPsec peer of a round trip, and the sealer of decap templates: the
 * mirror SAs of each SA pair the gateway has (its out = our in, ...). */
struct b_peer {
	unsigned n;               /* SA pairs */
	struct gw_sa **in, **out; /* [pair]: decrypt what gw sends, encrypt to gw */
	uint32_t spi_base;        /* gw out SPI of pair i = spi_base + 2i */
	struct gw_crypto_ctx *ctx;
};

struct b_worker_stats {
	uint64_t injected, rx_done, tx, tx_bytes, plain_bytes;
	uint64_t verified, bad; /* round trip */
	uint64_t underruns;     /* RX ring found empty at refill: the worker may have waited */
	uint64_t last_rx, last_tx, last_bytes;
};

struct b_run {
	const struct b_opts *o;
	const struct b_alg *alg;
	unsigned iter; /* algorithm index: unique names */
	unsigned n_workers;
	unsigned worker_lcore[B_MAX_WORKERS];
	/* CPU-time clocks of the worker threads: on a shared host the rates
	 * are also given per second of CPU the worker really had. */
	clockid_t worker_clock[B_MAX_WORKERS];
	double worker_cpu[B_MAX_WORKERS]; /* seconds during the run */
	struct rte_mempool *mp;
	struct rte_ring *rx[B_PORTS][B_MAX_WORKERS];
	struct rte_ring *tx[B_PORTS][B_MAX_WORKERS + 1];
	uint16_t port_id[B_PORTS];
	struct rte_ether_addr gw_mac[B_PORTS];
	struct gw_port ports[B_PORTS];
	unsigned n_ports;
	struct gw_ctl ctl;
	struct gw_dp dp;
	bool ctl_up, dp_up, ports_up;
	struct gw_worker workers[B_MAX_WORKERS];
	volatile bool stop;
	volatile bool calibrate;
	double inline_cpu;     /* --inline: the worker thread's CPU seconds */
	double source_cycles;  /* --inline: the source's own cycles per packet */
	/* What the source injects: per worker a list, cycled. */
	struct b_tmpl *tmpl[B_MAX_WORKERS];
	unsigned n_tmpl[B_MAX_WORKERS], next_tmpl[B_MAX_WORKERS];
	struct b_peer peer;
	/* Results. */
	struct b_worker_stats ws[B_MAX_WORKERS];
	double elapsed, paused; /* seconds; paused: decap window resets */
	uint64_t passes, other_frames, build_us, seconds;
	/* Setup phases: the generated config (field parsers), its whole-config
	 * validation, the table build (gw_ctl_start: SAD with key schedules,
	 * SPD and its index, FIB, publish); wall ms and main-thread CPU ms. */
	double config_ms, validate_ms, tables_ms, tables_cpu_ms;
	struct b_memory {
		uint64_t tables_heap; /* heap growth over the table build */
		uint64_t sa_object;   /* one SA: struct, replay window, key schedules */
		uint64_t sad_index;   /* the SAD's list and both hash indexes */
		uint64_t spd_index;   /* the SPD's lookup index */
		uint32_t n_sas, spd_tuples;
	} mem;
	double raw_mpps, raw_gbps, raw_cycles; /* per second of the raw thread's CPU time */
	double raw_wall_mpps;
	unsigned raw_ct_len, raw_hash_len;
	uint64_t sa_bytes; /* current-bytes summed over the SAD */
	bool mempool_full;
	unsigned mp_avail, mp_size;
	/* --pcap */
	char vdev_name[B_PORTS][48];
	uint64_t pcap_packets; /* records in the file: one pass of infinite_rx */
};

/* setup.c */
int b_setup(struct b_run *r);
void b_teardown(struct b_run *r);
void b_neigh_refresh(struct b_run *r);
/* Reset the gateway's inbound replay windows (decap passes). */
void b_reset_windows(struct b_run *r);
uint16_t b_imix_size(unsigned i);
void b_flow_of(const struct b_run *r, unsigned t, uint32_t *lan, uint32_t *remote, uint16_t *lan_port,
	       uint16_t *remote_port, unsigned *pair);
bool b_verify_plain(const struct b_run *r, const uint8_t *ip, unsigned len, bool reply);
void b_make_reply(uint8_t *ip);
unsigned b_index_of(const uint8_t *ip);
/* Ethernet header of a frame from the peer to the gateway's WAN port. */
void b_peer_eth(const struct b_run *r, uint8_t *frame);

/* source.c */
int b_run_traffic(struct b_run *r);

/* raw.c: intel-ipsec-mb alone on lcore, same algorithm, lengths, burst. */
int b_run_raw(struct b_run *r, unsigned lcore);

/* CPU seconds of a thread's clock. */
double b_cpu_seconds(clockid_t c);

/* main.c */
void b_print_second(const struct b_run *r, double dt);

#endif

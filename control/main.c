/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipsecgw: the daemon.
 *
 *   ipsecgw [EAL options] -- -c FILE [-s SOCKET] [-v]
 *   ipsecgw --check-config FILE
 *
 * The EAL main lcore becomes the control thread (config, tables, management
 * socket); every other lcore runs a worker poll loop.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "config.h"
#include "ctl.h"
#include "dp.h"
#include "evloop.h"
#include "log.h"
#include "mgmt_server.h"
#include "ports.h"
#include "worker.h"

#define MAX_PORTS 32
#define CONTROL_POLL_MS 5

struct daemon {
	const char *config_path;
	const char *socket_path; /* -s overrides management.socket */
	struct gw_config cfg;
	struct rte_mempool *mp;
	struct gw_port ports[MAX_PORTS];
	unsigned n_ports;
	struct gw_ctl ctl;
	struct gw_dp dp;
	struct gw_worker workers[RTE_MAX_LCORE];
	unsigned n_workers;
	volatile bool stop;
	bool dp_ready;
	int epfd;
	struct gw_ev_source signals, ticks;
	int sigfd, timerfd;
	struct gw_mgmt_server *mgmt;
};

static struct daemon D;
/* Set by the signal handler: a thread that did not block the stop signals
 * (a sanitizer's, a library's) takes them there instead of the signalfd. */
static volatile sig_atomic_t stop_signal;

static void stop_handler(int signo)
{
	stop_signal = signo;
}

static void usage(FILE *to)
{
	fprintf(to, "usage: ipsecgw [EAL options] -- -c FILE [-s SOCKET] [-v]\n"
		    "       ipsecgw --check-config FILE\n"
		    "\n"
		    "  -c FILE          YAML configuration (see docs/config.md)\n"
		    "  -s SOCKET        management socket (overrides management.socket)\n"
		    "  -v               debug logging\n"
		    "  --check-config   validate FILE, print the verdict, exit 0 if valid\n");
}

/* Validation needs no EAL, so it works without root or hugepages. */
static int check_config(const char *path)
{
	struct gw_config c;
	char err[512];

	if (gw_config_load_file(path, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: ok (%u interfaces, %u routes, %u proposals, %u peers, %u policies, %u manual-sa)\n",
	       path, c.interfaces.n, c.routes.n, c.proposals.n, c.peers.n, c.policies.n,
	       c.manual_sas.n);
	gw_config_free(&c);
	return 0;
}

static int parse_app_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"socket", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:s:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': D.config_path = optarg; break;
		case 's': D.socket_path = optarg; break;
		case 'v': gw_log_set_level(GW_LOG_DEBUG); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ipsecgw: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	if (!D.config_path) {
		fprintf(stderr, "ipsecgw: -c FILE is required\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Spread every (port, RX queue) over the workers, round robin. */
static void assign_queues(void)
{
	unsigned p, q, k = 0, lcore, w = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct gw_worker *wk = &D.workers[w];

		memset(wk, 0, sizeof(*wk));
		gw_ctl_worker_init(&D.ctl, wk, w);
		gw_dp_worker_attach(&D.dp, wk);
		wk->lcore_id = lcore;
		wk->stop = &D.stop;
		w++;
	}
	D.n_workers = w;
	if (w == 0)
		return;
	for (p = 0; p < D.n_ports; p++)
		for (q = 0; q < D.ports[p].n_rxq; q++, k++)
			gw_worker_add_rx(&D.workers[k % w], D.ports[p].port_id, (uint16_t)q);
	/* TX queue i of every port belongs to worker i; the last is control's. */
	for (w = 0; w < D.n_workers; w++)
		D.workers[w].tx_queue = (uint16_t)w;
}

static void launch_workers(void)
{
	unsigned w;

	for (w = 0; w < D.n_workers; w++)
		rte_eal_remote_launch(gw_worker_main, &D.workers[w], D.workers[w].lcore_id);
	if (D.n_workers == 0)
		gw_log(GW_LOG_WARNING, "dataplane", "no worker lcores (give EAL -l with 2+ cores): "
		       "packets are not processed");
}

static void on_signal(struct gw_ev_source *src, uint32_t events)
{
	struct signalfd_siginfo si;
	(void)src;
	(void)events;

	if (read(D.sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		gw_log(GW_LOG_NOTICE, "control", "signal %u: shutting down", si.ssi_signo);
		D.stop = true;
	}
}

static void on_tick(struct gw_ev_source *src, uint32_t events)
{
	uint64_t expirations;
	(void)src;
	(void)events;

	if (read(D.timerfd, &expirations, sizeof(expirations)) < 0)
		return;
	gw_mgmt_server_tick(D.mgmt);
	gw_ctl_tick(&D.ctl);
}

static int add_source(int fd, struct gw_ev_source *src, void (*handle)(struct gw_ev_source *, uint32_t))
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = src};

	src->handle = handle;
	return epoll_ctl(D.epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int open_event_sources(void)
{
	struct itimerspec one_second = {{1, 0}, {1, 0}};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	D.epfd = epoll_create1(EPOLL_CLOEXEC);
	D.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	D.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (D.epfd < 0 || D.sigfd < 0 || D.timerfd < 0 ||
	    timerfd_settime(D.timerfd, 0, &one_second, NULL) != 0 ||
	    add_source(D.sigfd, &D.signals, on_signal) != 0 ||
	    add_source(D.timerfd, &D.ticks, on_tick) != 0) {
		gw_log(GW_LOG_ERR, "control", "event sources: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void control_loop(void)
{
	struct epoll_event evs[64];

	/* Rings from the workers (ARP, IKE, SA events) are polled: a few
	 * milliseconds of latency for them, no busy control core. */
	while (!D.stop) {
		int i, n = epoll_wait(D.epfd, evs, 64, CONTROL_POLL_MS);

		if (stop_signal) {
			gw_log(GW_LOG_NOTICE, "control", "signal %d: shutting down", (int)stop_signal);
			D.stop = true;
			break;
		}
		for (i = 0; i < n; i++) {
			struct gw_ev_source *src = evs[i].data.ptr;
			src->handle(src, evs[i].events);
		}
		gw_ctl_poll(&D.ctl);
	}
}

static int open_management(void)
{
	const struct gw_management *m = &D.ctl.cfg.management;
	const char *path = D.socket_path ? D.socket_path : m->socket;
	char err[256];

	D.mgmt = gw_mgmt_server_open(D.epfd, path, m->socket_mode, m->max_clients,
				     gw_ctl_backend(&D.ctl), err, sizeof(err));
	if (!D.mgmt) {
		gw_log(GW_LOG_ERR, "mgmt", "%s", err);
		return -1;
	}
	gw_log(GW_LOG_INFO, "mgmt", "listening on %s", path);
	return 0;
}

/* Everything from the config up to running workers; -1 after logging why. */
static int start(void)
{
	char err[512];
	struct gw_err gerr;

	if (gw_config_load_file(D.config_path, &D.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	D.mp = rte_pktmbuf_pool_create("gw_mbufs", D.cfg.dataplane.mbufs, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!D.mp) {
		gw_log(GW_LOG_ERR, "dataplane", "mbuf pool of %u: %s (EAL -m too small?)",
		       D.cfg.dataplane.mbufs, rte_strerror(rte_errno));
		return -1;
	}
	if (gw_ports_open(&D.cfg, D.mp, rte_lcore_count() - 1, D.ports, &D.n_ports, err, sizeof(err))) {
		gw_log(GW_LOG_ERR, "dataplane", "%s", err);
		return -1;
	}
	if (gw_ctl_init(&D.ctl, &D.cfg, rte_lcore_count() - 1, &gerr) != 0) {
		gw_log(GW_LOG_ERR, "control", "%s", gerr.msg);
		return -1;
	}
	if (gw_dp_init(&D.dp, D.mp, D.ports, D.n_ports, rte_lcore_count() - 1, D.ctl.counters, err,
		       sizeof(err)) != 0) {
		gw_log(GW_LOG_ERR, "dataplane", "%s", err);
		return -1;
	}
	D.dp_ready = true;
	if (gw_ctl_start(&D.ctl, &D.dp, &gerr) != 0) {
		gw_log(GW_LOG_ERR, "config", "%s", gerr.msg);
		return -1;
	}
	assign_queues();
	if (open_event_sources() != 0 || open_management() != 0)
		return -1;
	launch_workers();
	return 0;
}

static void shutdown_all(void)
{
	/* Delete notifications go out through a worker, so before they stop. */
	if (D.dp_ready && D.ctl.live && D.n_workers) {
		struct timespec ts = {0, 50 * 1000 * 1000};

		gw_ctl_prepare_stop(&D.ctl);
		nanosleep(&ts, NULL);
	}
	D.stop = true;
	rte_eal_mp_wait_lcore();
	gw_mgmt_server_close(D.mgmt);
	gw_ctl_fini(&D.ctl);
	if (D.dp_ready)
		gw_dp_fini(&D.dp);
	gw_ports_close(D.ports, D.n_ports);
	gw_config_free(&D.cfg); /* only if start() failed before the control took it */
	rte_mempool_free(D.mp);
	if (D.timerfd > 0)
		close(D.timerfd);
	if (D.sigfd > 0)
		close(D.sigfd);
	if (D.epfd > 0)
		close(D.epfd);
}

int main(int argc, char **argv)
{
	sigset_t set;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--check-config"))
			return i + 1 < argc ? check_config(argv[i + 1]) : (usage(stderr), 2);
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
	}
	/* Block the stop signals before EAL makes its threads, so that only
	 * the control thread's signalfd ever sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGINT, stop_handler);
	signal(SIGTERM, stop_handler);

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "ipsecgw: EAL init failed%s%s (see the EAL messages above)\n",
			rte_errno ? ": " : "", rte_errno ? rte_strerror(rte_errno) : "");
		return 1;
	}
	argv[rc] = argv[0];
	if (parse_app_args(argc - rc, argv + rc) != 0) {
		rte_eal_cleanup();
		return 2;
	}
	rc = start() == 0 ? 0 : 1;
	if (rc == 0) {
		gw_log(GW_LOG_NOTICE, "control", "running: %u ports, %u workers", D.n_ports, D.n_workers);
		control_loop();
	}
	shutdown_all();
	rte_eal_cleanup();
	gw_log(GW_LOG_NOTICE, "control", "stopped");
	return rc;
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include "ports.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_ethdev.h>

#include "log.h"

#define RX_DESC 1024
#define TX_DESC 1024

/* "0000:00:04.0" or "00:04.0": a PCI address rather than vdev devargs. */
static bool is_pci_address(const char *s)
{
	unsigned a, b, c, d;
	char tail;

	return sscanf(s, "%x:%x:%x.%x%c", &a, &b, &c, &d, &tail) == 4 ||
	       sscanf(s, "%x:%x.%x%c", &a, &b, &c, &tail) == 3;
}

/* The port name DPDK gives a device: the devargs up to the first comma. */
static void device_name(const char *device, char *name, size_t len)
{
	size_t n = strcspn(device, ",");

	if (n >= len)
		n = len - 1;
	memcpy(name, device, n);
	name[n] = '\0';
}

static int resolve_port(const struct gw_interface *ifc, uint16_t *port_id, bool *probed,
			char *err, size_t errlen)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	unsigned long id;
	char *end;
	int rc;

	*probed = false;
	if (strncmp(ifc->device, "port:", 5) == 0) {
		id = strtoul(ifc->device + 5, &end, 10);
		if (*end || end == ifc->device + 5 || id >= RTE_MAX_ETHPORTS ||
		    !rte_eth_dev_is_valid_port((uint16_t)id)) {
			snprintf(err, errlen, "interface %s: no DPDK port %s (give it with EAL --vdev or -a)",
				 ifc->name, ifc->device + 5);
			return -1;
		}
		*port_id = (uint16_t)id;
		return 0;
	}
	device_name(ifc->device, name, sizeof(name));
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0; /* EAL already made it from --vdev / -a */
	rc = rte_dev_probe(ifc->device);
	if (rc != 0) {
		snprintf(err, errlen, "interface %s: cannot probe device \"%s\": %s", ifc->name,
			 ifc->device, rte_strerror(-rc));
		return -1;
	}
	*probed = true;
	if (is_pci_address(name)) {
		/* a PCI device may carry several ports; take the first one */
		RTE_ETH_FOREACH_DEV(*port_id) {
			if (rte_eth_dev_get_name_by_port(*port_id, name) == 0 && strstr(name, ifc->device))
				return 0;
		}
	} else if (rte_eth_dev_get_port_by_name(name, port_id) == 0) {
		return 0;
	}
	snprintf(err, errlen, "interface %s: device \"%s\" probed but no ethdev port appeared",
		 ifc->name, ifc->device);
	return -1;
}

static int setup_queues(struct gw_port *p, struct rte_mempool *mp, unsigned n_workers,
			char *err, size_t errlen)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	unsigned q;
	int rc;

	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0)
		goto fail;
	/* Each worker sends on a TX queue of its own (no lock on the packet
	 * path), so a port needs at least as many as there are workers. */
	if (info.max_tx_queues < n_workers) {
		snprintf(err, errlen,
			 "interface %s: its %s device has %u TX queue(s) but there are %u workers, "
			 "each needs its own: use fewer worker lcores or give the device more queues "
			 "(net_af_packet: qpairs=%u)",
			 p->ifname, info.driver_name, info.max_tx_queues, n_workers, n_workers);
		return -1;
	}
	/* at least one RX queue even without workers, so the port can start */
	p->n_rxq = (uint16_t)RTE_MIN(n_workers ? n_workers : 1u, (unsigned)info.max_rx_queues);
	p->n_txq = (uint16_t)RTE_MIN(n_workers + 1u, (unsigned)info.max_tx_queues);
	if (p->n_rxq > 1 && (info.flow_type_rss_offloads & RTE_ETH_RSS_IP)) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & RTE_ETH_RSS_IP;
	}
	rc = rte_eth_dev_configure(p->port_id, p->n_rxq, p->n_txq, &conf);
	for (q = 0; rc == 0 && q < p->n_rxq; q++)
		rc = rte_eth_rx_queue_setup(p->port_id, (uint16_t)q, RX_DESC,
					    (unsigned)rte_eth_dev_socket_id(p->port_id), NULL, mp);
	for (q = 0; rc == 0 && q < p->n_txq; q++)
		rc = rte_eth_tx_queue_setup(p->port_id, (uint16_t)q, TX_DESC,
					    (unsigned)rte_eth_dev_socket_id(p->port_id), NULL);
	if (rc == 0)
		return 0;
fail:
	snprintf(err, errlen, "interface %s: port %u setup failed: %s", p->ifname, p->port_id,
		 rte_strerror(-rc));
	return -1;
}

static int start_port(struct gw_port *p, const struct gw_interface *ifc, char *err, size_t errlen)
{
	int rc = rte_eth_dev_set_mtu(p->port_id, ifc->mtu);

	/* Virtual devices often cannot change MTU; the dataplane enforces the
	 * configured MTU itself, so this is only a hint to real NICs. */
	if (rc != 0 && rc != -ENOTSUP)
		gw_log(GW_LOG_WARNING, "dataplane", "interface %s: cannot set MTU %u: %s", ifc->name,
		       ifc->mtu, rte_strerror(-rc));
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		snprintf(err, errlen, "interface %s: port %u start failed: %s", ifc->name, p->port_id,
			 rte_strerror(-rc));
		return -1;
	}
	rte_eth_promiscuous_enable(p->port_id);
	rte_eth_macaddr_get(p->port_id, &p->mac);
	gw_log(GW_LOG_INFO, "dataplane",
	       "interface %s: port %u (%s), %u rx / %u tx queues, mac " RTE_ETHER_ADDR_PRT_FMT,
	       ifc->name, p->port_id, ifc->device, p->n_rxq, p->n_txq, RTE_ETHER_ADDR_BYTES(&p->mac));
	return 0;
}

static int open_one(const struct gw_interface *ifc, struct rte_mempool *mp, unsigned n_workers,
		    struct gw_port *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->ifname, sizeof(p->ifname), "%s", ifc->name);
	if (resolve_port(ifc, &p->port_id, &p->probed, err, errlen) != 0)
		return -1;
	if (setup_queues(p, mp, n_workers, err, errlen) == 0 && start_port(p, ifc, err, errlen) == 0)
		return 0;
	gw_ports_close(p, 1);
	return -1;
}

int gw_ports_open(const struct gw_config *c, struct rte_mempool *mp, unsigned n_workers,
		  struct gw_port *out, unsigned *n_out, char *err, size_t errlen)
{
	uint32_t i;

	*n_out = 0;
	for (i = 0; i < c->interfaces.n; i++) {
		const struct gw_interface *ifc = &c->interfaces.v[i];

		if (ifc->disabled)
			continue;
		if (open_one(ifc, mp, n_workers, &out[*n_out], err, errlen) != 0) {
			gw_ports_close(out, *n_out);
			*n_out = 0;
			return -1;
		}
		(*n_out)++;
	}
	return 0;
}

void gw_ports_close(struct gw_port *ports, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct gw_port *p = &ports[i];

		rte_eth_dev_stop(p->port_id);
		rte_eth_dev_close(p->port_id);
		/* rte_eth_dev_close releases vdev ports; PCI devices we hot-plugged
		 * are detached so a restart can probe them again. */
		(void)p->probed;
	}
}

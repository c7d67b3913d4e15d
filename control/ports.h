/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK ports for the config's interfaces. A `device:` is probed by ipsecgw
 * itself (vdev devargs such as "net_af_packet0,iface=veth0", or a PCI
 * address), or names a port that EAL already made ("port:0", from --vdev/-a).
 */
#ifndef IPSECGW_PORTS_H
#define IPSECGW_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "model.h"

struct gw_port {
	uint16_t port_id;
	uint16_t n_rxq, n_txq;
	struct rte_ether_addr mac;
	char ifname[GW_NAME_MAX]; /* the config's interface name */
	bool probed;              /* we hot-plugged it, so we detach it */
};

/* Probe, configure and start one port per enabled interface, with up to
 * `n_workers` RX queues and n_workers + 1 TX queues where the device has
 * them (at least n_workers TX queues, one per worker, or a clear error).
 * On failure every port opened so far is closed again. */
int gw_ports_open(const struct gw_config *c, struct rte_mempool *mp, unsigned n_workers,
		  struct gw_port *out, unsigned *n_out, char *err, size_t errlen);
void gw_ports_close(struct gw_port *ports, unsigned n);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interfaces and the FIB: connected prefixes, our own addresses and static
 * routes in one immutable rte_lpm, built by control and read by workers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "l3.h"

static void ip_str(uint32_t ip, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

/* ---- interfaces */

static const struct gw_port *port_by_name(const struct gw_port *ports, unsigned n, const char *name)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (strcmp(ports[i].ifname, name) == 0)
			return &ports[i];
	return NULL;
}

static int if_check(const struct gw_interface *ifc, const struct gw_l3_if *ifs, unsigned n,
		    unsigned idx, struct gw_err *err)
{
	unsigned i;

	if (ifc->address.len < 1 || ifc->address.len > 32 || ifc->address.addr == 0) {
		gw_err_set(err, GW_MENU_INTERFACE, (int)idx, "address",
			   "interface %s: an address/prefix is required", ifc->name);
		return -1;
	}
	if (ifc->mtu != 0 && (ifc->mtu < GW_L3_MIN_MTU || ifc->mtu > GW_L3_MAX_MTU)) {
		gw_err_set(err, GW_MENU_INTERFACE, (int)idx, "mtu", "interface %s: mtu %u outside %u..%u",
			   ifc->name, ifc->mtu, GW_L3_MIN_MTU, GW_L3_MAX_MTU);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (ifs[i].addr == ifc->address.addr) {
			gw_err_set(err, GW_MENU_INTERFACE, (int)idx, "address",
				   "interface %s: address already used by another interface", ifc->name);
			return -1;
		}
	return 0;
}

int gw_l3_ifs_build(const struct gw_config *c, const struct gw_port *ports, unsigned n_ports,
		    struct gw_l3_if *ifs, unsigned max, unsigned *n_ifs, struct gw_err *err)
{
	uint32_t i;

	*n_ifs = 0;
	for (i = 0; i < c->interfaces.n; i++) {
		const struct gw_interface *ifc = &c->interfaces.v[i];
		const struct gw_port *p;
		struct gw_l3_if *l;

		if (ifc->disabled)
			continue;
		if (*n_ifs >= max || *n_ifs >= GW_L3_MAX_IFS) {
			gw_err_set(err, GW_MENU_INTERFACE, (int)i, NULL, "more than %u interfaces",
				   RTE_MIN(max, (unsigned)GW_L3_MAX_IFS));
			return -1;
		}
		if (if_check(ifc, ifs, *n_ifs, i, err) != 0)
			return -1;
		p = port_by_name(ports, n_ports, ifc->name);
		if (p == NULL) {
			gw_err_set(err, GW_MENU_INTERFACE, (int)i, "device", "interface %s: no port opened",
				   ifc->name);
			return -1;
		}
		l = &ifs[(*n_ifs)++];
		memset(l, 0, sizeof(*l));
		l->port_id = p->port_id;
		l->addr = ifc->address.addr;
		l->plen = ifc->address.len;
		l->mtu = ifc->mtu != 0 ? ifc->mtu : 1500;
		l->mac = p->mac;
	}
	return 0;
}

/* ---- FIB build */

/* One prefix to insert, with its next-hop contents. */
struct fib_entry {
	uint32_t prefix;
	uint8_t depth;
	struct gw_fib_nh nh;
};

struct fib_builder {
	struct fib_entry *e;
	unsigned n, cap;
};

static bool in_prefix(uint32_t ip, uint32_t net, unsigned plen)
{
	uint32_t mask = gw_prefix_mask(plen);

	return (ip & mask) == (net & mask);
}

/* Longest connected prefix holding ip, or -1. */
static int connected_if(const struct gw_l3_if *ifs, unsigned n_ifs, uint32_t ip)
{
	int best = -1;
	unsigned i;

	for (i = 0; i < n_ifs; i++)
		if (in_prefix(ip, ifs[i].addr, ifs[i].plen) && (best < 0 || ifs[i].plen > ifs[best].plen))
			best = (int)i;
	return best;
}

static bool is_our_addr(const struct gw_l3_if *ifs, unsigned n_ifs, uint32_t ip)
{
	unsigned i;

	for (i = 0; i < n_ifs; i++)
		if (ifs[i].addr == ip)
			return true;
	return false;
}

static void route_err(struct gw_err *err, unsigned idx, const struct gw_route *r, const char *field,
		      const char *why)
{
	char dst[16], gw[16];

	ip_str(r->dst_address.addr, dst, sizeof(dst));
	ip_str(r->gateway, gw, sizeof(gw));
	gw_err_set(err, GW_MENU_ROUTE, (int)idx, field, "route %u (dst-address=%s/%u gateway=%s): %s", idx,
		   dst, r->dst_address.len, gw, why);
}

/* Index of an earlier enabled route to the same prefix, or -1. */
static int same_prefix_before(const struct gw_route *routes, unsigned idx)
{
	const struct gw_route *r = &routes[idx];
	uint32_t mask = gw_prefix_mask(r->dst_address.len);
	unsigned i;

	for (i = 0; i < idx; i++)
		if (!routes[i].disabled && routes[i].dst_address.len == r->dst_address.len &&
		    ((routes[i].dst_address.addr ^ r->dst_address.addr) & mask) == 0)
			return (int)i;
	return -1;
}

static int route_check(const struct gw_l3_if *ifs, unsigned n_ifs, const struct gw_route *routes,
		       unsigned idx, int *ifidx, struct gw_err *err)
{
	const struct gw_route *r = &routes[idx];
	char why[96];
	int prev;

	if (r->dst_address.len > 32) {
		route_err(err, idx, r, "dst-address", "prefix length above 32");
		return -1;
	}
	if (r->gateway == 0) {
		route_err(err, idx, r, "gateway", "a gateway is required");
		return -1;
	}
	if (is_our_addr(ifs, n_ifs, r->gateway)) {
		route_err(err, idx, r, "gateway", "the gateway is one of our own addresses");
		return -1;
	}
	*ifidx = connected_if(ifs, n_ifs, r->gateway);
	if (*ifidx < 0) {
		route_err(err, idx, r, "gateway", "the gateway is not reachable through a connected network");
		return -1;
	}
	prev = same_prefix_before(routes, idx);
	if (prev >= 0) {
		snprintf(why, sizeof(why), "same dst-address as route %d", prev);
		route_err(err, idx, r, "dst-address", why);
		return -1;
	}
	return 0;
}

static void builder_add(struct fib_builder *b, uint32_t prefix, uint8_t depth, uint32_t gw, uint16_t ifidx,
			uint16_t flags)
{
	struct fib_entry *e = &b->e[b->n++];

	e->prefix = prefix & gw_prefix_mask(depth);
	e->depth = depth;
	e->nh.gw = gw;
	e->nh.ifidx = ifidx;
	e->nh.flags = flags;
}

/* Statics first, then connected, then local /32s: rte_lpm_add replaces an
 * equal prefix, so connected beats static and local beats both. */
static int collect_entries(struct fib_builder *b, const struct gw_l3_if *ifs, unsigned n_ifs,
			   const struct gw_route *routes, unsigned n_routes, struct gw_err *err)
{
	unsigned i;
	int ifidx;

	for (i = 0; i < n_routes; i++) {
		if (routes[i].disabled)
			continue;
		if (route_check(ifs, n_ifs, routes, i, &ifidx, err) != 0)
			return -1;
		builder_add(b, routes[i].dst_address.addr, routes[i].dst_address.len, routes[i].gateway,
			    (uint16_t)ifidx, 0);
	}
	for (i = 0; i < n_ifs; i++)
		builder_add(b, ifs[i].addr, ifs[i].plen, 0, (uint16_t)i, GW_NH_CONNECTED);
	for (i = 0; i < n_ifs; i++)
		builder_add(b, ifs[i].addr, 32, 0, (uint16_t)i, GW_NH_LOCAL);
	return 0;
}

static int ifs_check(const struct gw_l3_if *ifs, unsigned n_ifs, struct gw_err *err)
{
	unsigned i;

	if (n_ifs > GW_L3_MAX_IFS) {
		gw_err_set(err, GW_MENU_INTERFACE, -1, NULL, "more than %u interfaces", GW_L3_MAX_IFS);
		return -1;
	}
	for (i = 0; i < n_ifs; i++)
		if (ifs[i].plen < 1 || ifs[i].plen > 32 || ifs[i].port_id >= RTE_MAX_ETHPORTS ||
		    ifs[i].mtu < GW_L3_MIN_MTU) {
			gw_err_set(err, GW_MENU_INTERFACE, -1, NULL, "interface %u: invalid prefix, port or mtu",
				   i);
			return -1;
		}
	return 0;
}

/* Next-hop index for e, sharing equal next hops. */
static uint32_t nh_index(struct gw_fib *fib, const struct gw_fib_nh *nh)
{
	uint32_t i;

	for (i = 0; i < fib->n_nh; i++)
		if (fib->nh[i].gw == nh->gw && fib->nh[i].ifidx == nh->ifidx && fib->nh[i].flags == nh->flags)
			return i;
	fib->nh[fib->n_nh] = *nh;
	return fib->n_nh++;
}

static struct rte_lpm *lpm_create(unsigned n_rules, unsigned n_long, int socket_id)
{
	static uint32_t seq;
	struct rte_lpm_config cfg = {
		.max_rules = n_rules + 1,
		.number_tbl8s = n_long + 1, /* one tbl8 group per prefix longer than /24, at most */
	};
	char name[RTE_LPM_NAMESIZE];

	snprintf(name, sizeof(name), "gwfib%u", __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	return rte_lpm_create(name, socket_id, &cfg);
}

static int fib_fill(struct gw_fib *fib, const struct fib_builder *b, int socket_id, struct gw_err *err)
{
	unsigned i, n_long = 0;
	int rc;

	for (i = 0; i < b->n; i++)
		n_long += b->e[i].depth > 24;
	fib->lpm = lpm_create(b->n, n_long, socket_id);
	if (fib->lpm == NULL) {
		gw_err_set(err, GW_MENU_ROUTE, -1, NULL, "cannot create the route table: %s",
			   rte_strerror(rte_errno));
		return -1;
	}
	for (i = 0; i < b->n; i++) {
		uint32_t idx = nh_index(fib, &b->e[i].nh);

		if (b->e[i].depth == 0) { /* rte_lpm takes depths 1..32 */
			fib->def_nh = idx;
			continue;
		}
		rc = rte_lpm_add(fib->lpm, b->e[i].prefix, b->e[i].depth, idx);
		if (rc != 0) {
			gw_err_set(err, GW_MENU_ROUTE, -1, NULL, "cannot add a route: %s", strerror(-rc));
			return -1;
		}
	}
	return 0;
}

/* fib->local_single and local_of_bit from fib->ifs (see l3.h). */
static void local_single_build(struct gw_fib *fib)
{
	uint64_t seen = 0, twice = 0;
	unsigned i;

	memset(fib->local_of_bit, 0, sizeof(fib->local_of_bit));
	for (i = 0; i < fib->n_ifs; i++) {
		uint64_t bit = gw_fib_filter_bit(fib->ifs[i].addr);

		twice |= seen & bit;
		seen |= bit;
		fib->local_of_bit[gw_fib_filter_index(fib->ifs[i].addr)] = fib->ifs[i].addr;
	}
	fib->local_single = seen & ~twice;
}

static void fib_set_ifs(struct gw_fib *fib, const struct gw_l3_if *ifs, unsigned n_ifs)
{
	unsigned i;

	memset(fib->port_if, -1, sizeof(fib->port_if));
	fib->n_ifs = n_ifs;
	fib->addr_filter = gw_fib_filter_bit(UINT32_MAX);
	for (i = 0; i < n_ifs; i++) {
		uint32_t mask = gw_prefix_mask(ifs[i].plen);

		fib->ifs[i] = ifs[i];
		/* /31 (RFC 3021) and /32 have no broadcast address. */
		fib->bcast[i] = ifs[i].plen <= 30 ? (ifs[i].addr & mask) | ~mask : 0;
		fib->addr_filter |= gw_fib_filter_bit(ifs[i].addr);
		if (fib->bcast[i] != 0)
			fib->addr_filter |= gw_fib_filter_bit(fib->bcast[i]);
		if (fib->port_if[ifs[i].port_id] < 0)
			fib->port_if[ifs[i].port_id] = (int8_t)i;
	}
	local_single_build(fib);
}

struct gw_fib *gw_fib_build(const struct gw_l3_if *ifs, unsigned n_ifs, const struct gw_route *routes,
			    unsigned n_routes, int socket_id, struct gw_err *err)
{
	struct fib_builder b = { .cap = n_routes + 2 * n_ifs };
	struct gw_fib *fib = NULL;

	if (ifs_check(ifs, n_ifs, err) != 0)
		return NULL;
	b.e = calloc(b.cap + 1, sizeof(*b.e));
	fib = rte_zmalloc_socket("gw_fib", sizeof(*fib), RTE_CACHE_LINE_SIZE, socket_id);
	if (fib != NULL)
		fib->nh = rte_zmalloc_socket("gw_fib_nh", (b.cap + 1) * sizeof(*fib->nh), RTE_CACHE_LINE_SIZE,
					     socket_id);
	if (b.e == NULL || fib == NULL || fib->nh == NULL) {
		gw_err_set(err, GW_MENU_ROUTE, -1, NULL, "out of memory for the route table");
		goto fail;
	}
	fib->def_nh = UINT32_MAX;
	fib_set_ifs(fib, ifs, n_ifs);
	if (collect_entries(&b, ifs, n_ifs, routes, n_routes, err) != 0 ||
	    fib_fill(fib, &b, socket_id, err) != 0)
		goto fail;
	free(b.e);
	return fib;
fail:
	free(b.e);
	gw_fib_free(fib);
	return NULL;
}

void gw_fib_free(struct gw_fib *fib)
{
	if (fib == NULL)
		return;
	rte_lpm_free(fib->lpm);
	rte_free(fib->nh);
	rte_free(fib);
}

/* ---- lookups */

/* Whether all n (>= 1) addresses are the same. */
static bool all_same(const uint32_t *dst, unsigned n)
{
	unsigned i;

	for (i = 1; i < n; i++)
		if (dst[i] != dst[0])
			return false;
	return true;
}

void gw_fib_lookup_bulk(const struct gw_fib *fib, const uint32_t *dst, struct gw_nh *nh, unsigned n)
{
	uint32_t hop[64];
	unsigned base, i, k;

	/* A burst of one flow, or of one tunnel's outer packets, is common
	 * and costs one lookup instead of n; a mixed burst only pays the
	 * compares up to its first different address. */
	if (n > 1 && all_same(dst, n)) {
		gw_fib_lookup(fib, dst[0], &nh[0]);
		for (i = 1; i < n; i++)
			nh[i] = nh[0];
		return;
	}
	for (base = 0; base < n; base += k) {
		k = RTE_MIN(n - base, (unsigned)RTE_DIM(hop));
		rte_lpm_lookup_bulk(fib->lpm, dst + base, hop, k);
		for (i = 0; i < k; i++) {
			uint32_t idx = hop[i] & 0x00ffffff;

			if (!(hop[i] & RTE_LPM_LOOKUP_SUCCESS)) {
				if (fib->def_nh == UINT32_MAX) {
					nh[base + i].ifidx = GW_NH_NONE;
					nh[base + i].flags = 0;
					nh[base + i].ip = 0;
					continue;
				}
				idx = fib->def_nh;
			}
			gw_fib_nh_fill(&fib->nh[idx], dst[base + i], &nh[base + i]);
		}
	}
}

/* The scans behind gw_l3_is_local/_bcast when the filter bit is set. */
bool gw_l3_is_local_slow(const struct gw_fib *fib, uint32_t dst)
{
	return is_our_addr(fib->ifs, fib->n_ifs, dst);
}

bool gw_l3_is_bcast_slow(const struct gw_fib *fib, uint32_t dst)
{
	unsigned i;

	if (dst == UINT32_MAX)
		return true;
	for (i = 0; i < fib->n_ifs; i++)
		if (fib->bcast[i] != 0 && dst == fib->bcast[i])
			return true;
	return false;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AH (RFC 4302) on bursts of mbufs, tunnel and transport mode, IPv4, with
 * HMAC-MD5-96, HMAC-SHA1-96, HMAC-SHA-256-128, -384-192, -512-256.
 *
 * Same conventions as esp.h (one IPv4 packet per single-segment mbuf at
 * offset 0, per-packet rc[] from enum gw_ipsec_drop, mbufs never freed
 * here, bytes[] for lifebytes = the authenticated IP datagram length).
 *
 * The ICV covers the IPv4 header with its mutable fields zeroed (TOS,
 * flags + fragment offset, TTL, checksum: RFC 4302 3.3.3.1.1), the AH header
 * with the ICV field zeroed, and the payload; with ESN the high 32 bits of
 * the sequence number are appended (RFC 4302 2.5.1). IPv4 options are not
 * supported: AH over a header with options is dropped (GW_DROP_IP_OPTIONS),
 * since each option would need its own mutability rule (RFC 4302 A.1).
 *
 * An AH+ESP bundle (ESP inside, AH outside, RFC 4301 4.5) is gw_esp_outb
 * then gw_ah_outb on the way out, and the AH functions then the ESP ones on
 * the way in.
 */
#ifndef IPSECGW_AH_H
#define IPSECGW_AH_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "crypto.h"
#include "esp.h"
#include "sa.h"

/*
 * Add AH. Tunnel mode: a new outer IPv4 header (as gw_esp_outb: TTL 64,
 * TOS from the inner packet, DF per df[i], NULL = clear) and next header 4.
 * Transport mode: AH after the IPv4 header, next header = its protocol.
 * Sequence numbers as gw_esp_outb: the caller's seq[i], or NULL to take
 * them from sa->hot.seq here. Returns the number of packets with rc 0.
 */
uint16_t gw_ah_outb(struct gw_crypto_ctx *ctx, struct rte_mbuf **mb, struct gw_sa **sa,
		    const uint64_t *seq, const uint8_t *df, uint16_t n, uint8_t *rc,
		    uint32_t *bytes);

/* Inbound step 1: parse and check lengths, return the wire sequence number
 * (see gw_esp_inb_prepare). Sets every rc[i]. */
uint16_t gw_ah_inb_prepare(struct rte_mbuf **mb, struct gw_sa **sa, uint16_t n, uint32_t *seq,
			   uint8_t *rc);

/* Inbound step 2 for rc[i] == 0: verify the ICV in constant time and strip
 * AH (tunnel: leave the inner IPv4 packet; transport: restore the header
 * with protocol = next header). seq[i] is the full sequence number. */
uint16_t gw_ah_inb_process(struct gw_crypto_ctx *ctx, struct rte_mbuf **mb, struct gw_sa **sa,
			   const uint64_t *seq, uint16_t n, uint8_t *rc, uint32_t *bytes);

/* Bytes that gw_ah_outb adds to a packet, the outer IPv4 header included in
 * tunnel mode (for MTU checks); 0 without crypto state. */
unsigned gw_ah_overhead(const struct gw_sa *sa);

#endif

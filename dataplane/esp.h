/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP (RFC 4303) on bursts of mbufs, tunnel and transport mode, IPv4.
 *
 * Conventions shared with ah.h:
 *  - an mbuf holds one IPv4 packet starting at its data offset 0 (the worker
 *    strips the Ethernet header before and prepends it after), in a single
 *    segment; bytes beyond the IPv4 total length (Ethernet padding) are
 *    trimmed;
 *  - every function takes a burst (mb[], sa[], n) and writes a result code
 *    per packet into rc[]: 0, or one of enum gw_ipsec_drop. The functions
 *    never free an mbuf: the caller drops (and counts) those with rc != 0,
 *    whose contents are then unspecified;
 *  - output IPv4 headers carry a valid checksum;
 *  - bytes[] (may be NULL) gets, per good packet, the number of bytes the
 *    crypto processed, for lifebytes: the ESP payload that is enciphered
 *    (payload, padding, pad length, next header), or for AH the IP datagram
 *    that is authenticated.
 *
 * Inbound is split in two so that the anti-replay check comes before any
 * crypto and the window update after the ICV verification (RFC 4303 3.4.3):
 *
 *     gw_esp_inb_prepare(mb, sa, n, seq32, rc);   parse, check lengths
 *     caller: for rc[i] == 0, replay check of seq32[i], which with ESN
 *             also infers the 64-bit number (gw_replay_check, replay.h);
 *             set rc[i] != 0 to skip a packet
 *     gw_esp_inb_process(ctx, mb, sa, seq64, n, rc, bytes);
 *                                                 ICV, decrypt, strip
 *     caller: for rc[i] == 0, replay window update with seq64[i]
 */
#ifndef IPSECGW_ESP_H
#define IPSECGW_ESP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "crypto.h"
#include "l3.h"
#include "sa.h"

/* Per-packet results of the ESP and AH transforms; docs/crypto.md. */
enum gw_ipsec_drop {
	GW_IPSEC_OK = 0,
	GW_DROP_MALFORMED,    /* IPv4 header invalid, wrong protocol, lengths
	                         inconsistent, ciphertext not whole blocks */
	GW_DROP_TRUNCATED,    /* shorter than header + IV + ICV + trailer */
	GW_DROP_FRAGMENT,     /* IP fragment: inbound must be reassembled first
	                         (RFC 4303 3.4.1); transport mode cannot carry one (3.3) */
	GW_DROP_MULTISEG,     /* chained mbuf: not supported */
	GW_DROP_ICV,          /* integrity check failed */
	GW_DROP_PADDING,      /* pad length too long or padding not 1, 2, 3... (2.4) */
	GW_DROP_NEXT_HEADER,  /* tunnel mode payload not IPv4 (4), or a dummy packet (59) */
	GW_DROP_INNER_IP,     /* decapsulated IPv4 header invalid */
	GW_DROP_IP_OPTIONS,   /* AH over an IPv4 header with options */
	GW_DROP_NO_HEADROOM,  /* mbuf cannot grow at the front */
	GW_DROP_NO_TAILROOM,  /* mbuf cannot grow at the back */
	GW_DROP_OVERSIZE,     /* result would exceed 65535 bytes */
	GW_DROP_SEQ_OVERFLOW, /* 32-bit sequence number would cycle (RFC 4303 3.3.3) */
	GW_DROP_CRYPTO,       /* SA without crypto state, or a job failed */
	GW_IPSEC_DROP_COUNT
};

/* "icv", "padding", ...; "?" when out of range. */
const char *gw_ipsec_drop_name(unsigned rc);

/* ---- wire formats */

/* RFC 4303 2: the header before the IV. */
struct gw_esp_hdr {
	rte_be32_t spi;
	rte_be32_t seq;
} __rte_packed;

/* RFC 4303 2: the trailer at the end of the enciphered data. */
struct gw_esp_tail {
	uint8_t pad_length;
	uint8_t next_header;
} __rte_packed;

/* RFC 4302 2: the ICV follows, padded to 32 bits for IPv4. */
struct gw_ah_hdr {
	uint8_t next_header;
	uint8_t payload_len; /* 32-bit words of AH minus 2 */
	rte_be16_t reserved;
	rte_be32_t spi;
	rte_be32_t seq;
} __rte_packed;

#define GW_ESP_NH_IPV4 4    /* IP-in-IP, tunnel mode */
#define GW_ESP_NH_DUMMY 59  /* "no next header", RFC 4303 2.6 */

/* ---- API */

/*
 * Encapsulate a burst. Tunnel mode (sa->p.tunnel): a new outer IPv4 header
 * sa->id.src -> sa->id.dst, TTL 64, TOS copied from the inner packet
 * (RFC 4301 5.1.2.1, RFC 6040 normal mode), DF per df[i] (enum
 * gw_dont_fragment: clear/set/inherit; df == NULL means clear). Transport
 * mode: ESP goes after the IPv4 header, whose DF is left alone.
 *
 * Sequence numbers: seq[i] as reserved by the caller (gw_seq_out_reserve in
 * replay.h, which also raises the SA's soft and hard EXPIRE at the sequence
 * limits); or, with seq == NULL, taken here by an atomic fetch-add on
 * sa->hot.seq (first packet 1). Either way a number past 2^32 - 1 without
 * ESN, or 0, is GW_DROP_SEQ_OVERFLOW (RFC 4303 3.3.3: no cycling).
 * Returns the number of packets with rc 0.
 */
uint16_t gw_esp_outb(struct gw_crypto_ctx *ctx, struct rte_mbuf **mb, struct gw_sa **sa,
		     const uint64_t *seq, const uint8_t *df, uint16_t n, uint8_t *rc,
		     uint32_t *bytes);

/*
 * Inbound step 1, no crypto: check that each packet is an IPv4 ESP packet
 * long enough for its SA (header, IV, whole cipher blocks, ICV) and return
 * the 32-bit sequence number from the wire. Sets every rc[i].
 * Returns the number of packets with rc 0.
 */
uint16_t gw_esp_inb_prepare(struct rte_mbuf **mb, struct gw_sa **sa, uint16_t n,
			    uint32_t *seq, uint8_t *rc);

/*
 * Inbound step 2, for packets whose rc[i] is still 0: verify the ICV (in
 * constant time, before any decrypted byte is used), decrypt, check the
 * padding, and restore the packet: tunnel mode leaves the inner IPv4
 * packet; transport mode rebuilds the IPv4 header with protocol = next
 * header. seq[i] is the full sequence number: with ESN its high 32 bits
 * enter the ICV (RFC 4303 2.2.1); without, only the low 32 matter.
 * Returns the number of packets with rc 0.
 */
uint16_t gw_esp_inb_process(struct gw_crypto_ctx *ctx, struct rte_mbuf **mb, struct gw_sa **sa,
			    const uint64_t *seq, uint16_t n, uint8_t *rc, uint32_t *bytes);

/* Bytes that gw_esp_outb adds to a packet of ip_len bytes (a 20-byte header
 * in transport mode), the outer IPv4 header included in tunnel mode; for MTU
 * checks. 0 if the SA has no crypto state. */
unsigned gw_esp_overhead(const struct gw_sa *sa, unsigned ip_len);

/*
 * SPI of a received ESP or AH packet (host order) for the SAD lookup, or -1
 * if the packet is too short to hold one. Reads only within the mbuf.
 */
int gw_ipsec_peek_spi(const struct rte_mbuf *m, uint8_t *proto, uint32_t *spi);

/* ======== shared by esp_outb.c, esp_inb.c and ah.c ================== */

#define GW_IPV4_FRAG_BITS (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)

static inline bool gw_ipv4_is_fragment(const struct rte_ipv4_hdr *ip)
{
	return (ip->fragment_offset & rte_cpu_to_be_16(GW_IPV4_FRAG_BITS)) != 0;
}

/*
 * Validate the IPv4 header at offset 0 of an mbuf against the buffer before
 * anything else is read, and cut the bytes after its total length (Ethernet
 * padding). Returns 0 with the header and total lengths, or a drop code.
 */
static inline int gw_ipv4_check(struct rte_mbuf *m, unsigned *hl, unsigned *tot)
{
	const struct rte_ipv4_hdr *ip;
	unsigned len = rte_pktmbuf_data_len(m), h, t;

	if (m->nb_segs != 1)
		return GW_DROP_MULTISEG;
	if (len < sizeof(*ip))
		return GW_DROP_MALFORMED;
	ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	h = (ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	t = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || h < sizeof(*ip) || t < h || t > len)
		return GW_DROP_MALFORMED;
	if (t < len)
		rte_pktmbuf_trim(m, (uint16_t)(len - t));
	*hl = h;
	*tot = t;
	return 0;
}

/* The outer header of a received ESP or AH packet for an SA with keys:
 * a sound IPv4 header (gw_ipv4_check) carrying `proto`, not a fragment
 * (reassembly comes first). 0 with the lengths, or a drop code. */
static inline int gw_ipsec_inb_outer(struct rte_mbuf *m, const struct gw_sa_crypto *c, uint8_t proto,
				     unsigned *hl, unsigned *tot)
{
	const struct rte_ipv4_hdr *ip;
	int rc;

	if (c == NULL)
		return GW_DROP_CRYPTO;
	rc = gw_ipv4_check(m, hl, tot);
	if (rc != 0)
		return rc;
	ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	if (ip->next_proto_id != proto)
		return GW_DROP_MALFORMED;
	if (gw_ipv4_is_fragment(ip))
		return GW_DROP_FRAGMENT;
	return 0;
}

/* A decapsulated packet of `len` bytes must start with a sound IPv4 header
 * (version, header length, total length within the payload, checksum);
 * TFC padding after its total length (RFC 4303 2.7) is allowed. */
static inline int gw_ipv4_inner_check(const uint8_t *p, unsigned len, unsigned *tot)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)p;
	unsigned h, t;

	if (len < sizeof(*ip) || (ip->version_ihl >> 4) != 4)
		return GW_DROP_INNER_IP;
	h = (ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	t = rte_be_to_cpu_16(ip->total_length);
	if (h < sizeof(*ip) || t < h || t > len || gw_ipv4_hdr_sum(ip, h) != 0xffff)
		return GW_DROP_INNER_IP;
	*tot = t;
	return 0;
}

/* The outer header of tunnel mode: our SA endpoints, TTL 64, TOS copied
 * from the inner packet (RFC 4301 5.1.2.1; ECN as RFC 6040 normal mode),
 * DF clear/set/inherit (enum gw_dont_fragment). */
static inline void gw_ipv4_outer(struct rte_ipv4_hdr *o, const struct rte_ipv4_hdr *in,
				 const struct gw_sa *sa, uint8_t df, uint8_t proto, unsigned tot,
				 uint16_t id)
{
	rte_be16_t dfbit = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);

	o->version_ihl = RTE_IPV4_VHL_DEF;
	o->type_of_service = in->type_of_service;
	o->total_length = rte_cpu_to_be_16((uint16_t)tot);
	o->packet_id = rte_cpu_to_be_16(id);
	if (df == GW_DF_SET)
		o->fragment_offset = dfbit;
	else if (df == GW_DF_INHERIT)
		o->fragment_offset = in->fragment_offset & dfbit;
	else
		o->fragment_offset = 0;
	o->time_to_live = 64;
	o->next_proto_id = proto;
	o->hdr_checksum = 0;
	o->src_addr = rte_cpu_to_be_32(sa->id.src);
	o->dst_addr = rte_cpu_to_be_32(sa->id.dst);
	o->hdr_checksum = gw_ipv4_cksum(o);
}

/* RFC 6040 4.2: a CE mark on the outer header survives decapsulation into
 * an ECN-capable inner packet. (An inner Not-ECT packet under an outer CE
 * is passed unmarked rather than dropped.) */
/*
 * The IPv4 header now at the front of m was just checked
 * (gw_ipv4_inner_check) or rewritten with a fresh checksum by a
 * decapsulation: say so, so that gw_ipv4_sanitize does not sum it again,
 * and so that no RX flag about the outer header is taken for the inner.
 */
static inline void gw_ipv4_mark_cksum_good(struct rte_mbuf *m)
{
	m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_RX_IP_CKSUM_MASK) | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
}

static inline void gw_ecn_decap(uint8_t outer_tos, struct rte_ipv4_hdr *in)
{
	uint8_t ecn = in->type_of_service & 3;

	if ((outer_tos & 3) != 3 || ecn == 0 || ecn == 3)
		return;
	in->type_of_service |= 3;
	in->hdr_checksum = 0;
	in->hdr_checksum = gw_ipv4_cksum(in);
}

/* The outbound sequence number of one packet (RFC 4303 3.3.3 / RFC 4302
 * 3.3.2): the caller's, or the next of the SA's counter (first packet 1).
 * 0 means the counter is exhausted: without ESN it must not cycle. */
static inline uint64_t gw_ipsec_out_seq(struct gw_sa *sa, const uint64_t *seq, bool esn)
{
	uint64_t s = seq ? *seq : __atomic_add_fetch(&sa->hot.seq, 1, __ATOMIC_RELAXED);

	if (!esn && s > UINT32_MAX)
		return 0;
	return s;
}

static inline void gw_put_be32(uint8_t *p, uint32_t v)
{
	rte_be32_t be = rte_cpu_to_be_32(v);

	memcpy(p, &be, 4);
}

#endif

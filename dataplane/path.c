/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's packet path (see path.h for the map). The rules are the seed
 * manual's: first-match SPD, levels use/require/unique, the incoming policy
 * check for packets not decrypted here, a decrypted packet must match the
 * policy of its SA, and an encrypted packet is processed again as locally
 * originated — sent as is if it matches the same rule again.
 */
#include "path.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "ah.h"
#include "lifetime.h"
#include "replay.h"
#include "worker.h"

#define IKE_PORT 500
#define IKE_NATT_PORT 4500

/* The 5-tuple the SPD matches, host order. 16 bytes with the padding
 * zeroed, so that two flows compare as memory (flow_eq). */
struct flow {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t pad[3];
};

static inline bool flow_eq(const struct flow *a, const struct flow *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static inline const struct rte_ipv4_hdr *ip_of(const struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
}

/* Ports only where they are in this packet: TCP/UDP, first fragment. */
static void flow_of(const struct rte_mbuf *m, struct flow *f)
{
	const struct rte_ipv4_hdr *ip = ip_of(m);
	unsigned hl = rte_ipv4_hdr_len(ip);

	*f = (struct flow){
		.src = rte_be_to_cpu_32(ip->src_addr),
		.dst = rte_be_to_cpu_32(ip->dst_addr),
		.proto = ip->next_proto_id,
	};
	if ((f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP) &&
	    !(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)) &&
	    rte_pktmbuf_data_len(m) >= hl + 4) {
		const rte_be16_t *ports = rte_pktmbuf_mtod_offset(m, const rte_be16_t *, hl);

		f->sport = rte_be_to_cpu_16(ports[0]);
		f->dport = rte_be_to_cpu_16(ports[1]);
	}
}

static inline void drop(struct gw_path *p, struct rte_mbuf *m, enum gw_ctr why)
{
	gw_count(p->ctr, why, 1);
	rte_pktmbuf_free(m);
}

static inline void pcount(const struct gw_path *p, const struct gw_spd_policy *pol, enum gw_pctr what)
{
	if (pol)
		gw_policy_count(pol->counters, p->worker, what, 1);
}

static enum gw_ctr ctr_of_ipsec_drop(uint8_t rc)
{
	switch (rc) {
	case GW_DROP_ICV: return GW_CTR_DROP_ICV_FAILURE;
	case GW_DROP_PADDING:
	case GW_DROP_NEXT_HEADER: return GW_CTR_DROP_BAD_PADDING;
	case GW_DROP_SEQ_OVERFLOW: return GW_CTR_DROP_NO_SA;
	default: return GW_CTR_DROP_MALFORMED;
	}
}

static void ipsec_drop(struct gw_path *p, struct rte_mbuf *m, uint8_t rc)
{
	if (rc < GW_IPSEC_DROP_COUNT)
		gw_l3_stat_add(&p->ipsec_drop[rc], 1);
	drop(p, m, ctr_of_ipsec_drop(rc));
}

/* Hand a frame to the control thread; a full ring is a counted drop. */
static void punt(struct gw_path *p, struct rte_mbuf *m)
{
	if (rte_ring_mp_enqueue(p->punt, m) != 0)
		drop(p, m, GW_CTR_DROP_RX_OTHER);
}

static bool sa_usable(const struct gw_sa *sa)
{
	enum gw_sa_state s;

	if (!sa)
		return false;
	s = gw_sa_state(sa);
	return s == GW_SA_MATURE || s == GW_SA_DYING;
}

static void forward(struct gw_path *p, struct rte_mbuf **mb, uint16_t n);
static void output(struct gw_path *p, struct rte_mbuf **mb, const struct gw_spd_policy **prev,
		   struct gw_nh *nh, uint16_t n, unsigned depth);
static void ip_local(struct gw_path *p, struct rte_mbuf **mb, uint16_t n, unsigned depth);

/* ------------------------------------------------------------------ */
/* Inbound ESP / AH                                                   */

/*
 * A reassembled packet is a chain of segments, but ESP/AH work on one
 * buffer. Make it linear: in place if the first segment has room, else
 * copied into a jumbo buffer. NULL (m freed, counted) if neither works.
 */
static struct rte_mbuf *linear(struct gw_path *p, struct rte_mbuf *m)
{
	struct rte_mbuf *j;
	uint32_t len = rte_pktmbuf_pkt_len(m);

	if (m->nb_segs == 1 || rte_pktmbuf_linearize(m) == 0)
		return m;
	j = p->jumbo ? rte_pktmbuf_alloc(p->jumbo) : NULL;
	if (!j || rte_pktmbuf_tailroom(j) < len) {
		if (j)
			rte_pktmbuf_free(j);
		gw_l3_stat_add(&p->ipsec_drop[GW_DROP_MULTISEG], 1);
		drop(p, m, GW_CTR_DROP_MALFORMED);
		return NULL;
	}
	rte_pktmbuf_read(m, 0, len, rte_pktmbuf_append(j, (uint16_t)len));
	j->port = m->port;
	j->l3_len = m->l3_len;
	rte_pktmbuf_free(m);
	return j;
}

/* The SAD's answer for the last key looked up. */
struct sa_memo {
	uint32_t spi, dst, src;
	uint8_t proto;
	struct gw_sa *sa; /* NULL: nothing remembered */
};

/*
 * The SA of a received ESP/AH packet, or NULL (counted bad-spi). The
 * packets of one tunnel come in runs and the SAD does not change during a
 * burst, so the SA of the previous key is reused while the key repeats;
 * its state is checked for every packet.
 */
static struct gw_sa *sa_in_of(struct gw_path *p, struct rte_mbuf *m, struct sa_memo *memo)
{
	const struct rte_ipv4_hdr *ip = ip_of(m);
	uint32_t spi, dst, src;
	uint8_t proto;

	if (gw_ipsec_peek_spi(m, &proto, &spi) != 0)
		return NULL;
	dst = rte_be_to_cpu_32(ip->dst_addr);
	src = rte_be_to_cpu_32(ip->src_addr);
	if (!memo->sa || memo->spi != spi || memo->dst != dst || memo->src != src ||
	    memo->proto != proto) {
		*memo = (struct sa_memo){.spi = spi, .dst = dst, .src = src, .proto = proto,
					 .sa = gw_sad_lookup_in(p->t->sad, spi, dst, proto, src)};
	}
	return memo->sa && sa_usable(memo->sa) ? memo->sa : NULL;
}

/* rc[] of a packet that the anti-replay window refused, beside the
 * transforms' own enum gw_ipsec_drop codes: counted as a replay drop. */
#define RC_REPLAYED ((uint8_t)GW_IPSEC_DROP_COUNT)

/*
 * The replay check (before any crypto) of packets whose prepare step
 * passed: duplicates and packets behind the window get RC_REPLAYED, which
 * also makes the transforms skip them.
 */
static void replay_check(struct gw_sa **sa, const uint32_t *seq32, uint64_t *seq64, uint8_t *rc,
			 uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		if (rc[i] != 0)
			continue;
		if (gw_replay_check(sa[i], seq32[i], (sa[i]->p.flags & GW_SA_FLAG_ESN) != 0,
				    &seq64[i]) != GW_REPLAY_OK)
			rc[i] = RC_REPLAYED;
	}
}

static void account_runs(struct gw_path *p, struct gw_sa **sa, const uint8_t *rc, const uint32_t *bytes,
			 uint16_t k, bool *refused);

/* Packets from i on that share the SA of packet i (at least 1). */
static uint16_t same_sa_run(struct gw_sa *const *sa, uint16_t i, uint16_t n)
{
	uint16_t run = 1;

	while (i + run < n && sa[i + run] == sa[i])
		run++;
	return run;
}

/*
 * After the ICV verified (rc 0): the window update (RFC 4303 3.4.3), one
 * lock acquisition per run of packets on the same SA, then lifebytes, one
 * accounting per run. Only here do packets count against an SA, so forged
 * or replayed packets cannot age it. Survivors are compacted with their
 * SA; the rest are dropped and counted by reason.
 */
static uint16_t accept_decrypted(struct gw_path *p, struct rte_mbuf **mb, struct gw_sa **sa,
				 const uint64_t *seq64, uint8_t *rc, const uint32_t *bytes,
				 uint16_t n)
{
	bool refused[GW_BURST_MAX];
	uint16_t i, run, out = 0;

	for (i = 0; i < n; i += run) {
		run = same_sa_run(sa, i, n);
		gw_replay_update_run(sa[i], seq64 + i, rc + i, run, RC_REPLAYED);
	}
	account_runs(p, sa, rc, bytes, n, refused);
	for (i = 0; i < n; i++) {
		if (rc[i] == RC_REPLAYED) {
			drop(p, mb[i], GW_CTR_DROP_REPLAY);
		} else if (rc[i] != 0) {
			ipsec_drop(p, mb[i], rc[i]);
		} else if (refused[i]) {
			drop(p, mb[i], GW_CTR_DROP_NO_SA);
		} else {
			sa[out] = sa[i];
			mb[out++] = mb[i];
		}
	}
	return out;
}

typedef uint16_t (*inb_prepare_fn)(struct rte_mbuf **, struct gw_sa **, uint16_t, uint32_t *, uint8_t *);
typedef uint16_t (*inb_process_fn)(struct gw_crypto_ctx *, struct rte_mbuf **, struct gw_sa **,
				   const uint64_t *, uint16_t, uint8_t *, uint32_t *);

/* One protocol's decapsulation of a burst; survivors compacted, with their SA. */
static uint16_t decap(struct gw_path *p, struct rte_mbuf **mb, struct gw_sa **sa, uint16_t n,
		      inb_prepare_fn prepare, inb_process_fn process)
{
	uint32_t seq32[GW_BURST_MAX], bytes[GW_BURST_MAX];
	uint64_t seq64[GW_BURST_MAX];
	uint8_t rc[GW_BURST_MAX];

	prepare(mb, sa, n, seq32, rc);
	replay_check(sa, seq32, seq64, rc, n);
	process(p->crypto, mb, sa, seq64, n, rc, bytes);
	return accept_decrypted(p, mb, sa, seq64, rc, bytes, n);
}

/* The verdict of decrypted_policy_ok for one flow and SA. */
struct policy_memo {
	struct flow f;
	const struct gw_sa *sa; /* NULL: nothing remembered yet */
	const struct gw_spd_policy *pol;
	bool ok;
};

/*
 * The seed: a decrypted packet "must match the policy that its SA belongs
 * to". The SPD is matched in reverse (the packet comes from the far side)
 * and the policy found must own the SA that decrypted it. The answer
 * depends only on the flow, the SA and the tables, which stay the same for
 * the whole burst: a run of packets of one flow through one SA (a bulk
 * transfer) needs a single lookup, remembered in *memo.
 */
static bool decrypted_policy_ok(struct gw_path *p, struct rte_mbuf *m, const struct gw_sa *sa,
				struct policy_memo *memo)
{
	struct flow f;

	flow_of(m, &f);
	if (memo->sa != sa || !flow_eq(&memo->f, &f)) {
		const struct gw_spd_policy *pol =
			gw_spd_lookup_reverse(p->t->spd, f.src, f.dst, f.proto, f.sport, f.dport);

		memo->f = f;
		memo->sa = sa;
		memo->pol = pol;
		memo->ok = pol && pol->action == GW_ACTION_ENCRYPT && gw_spd_policy_has_in_sa(pol, sa);
	}
	pcount(p, memo->pol, memo->ok ? GW_PCTR_DECRYPTED : GW_PCTR_NOT_DECRYPTED);
	return memo->ok;
}

static bool is_ipsec_to_us(const struct gw_path *p, const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = ip_of(m);

	return (ip->next_proto_id == IPPROTO_ESP || ip->next_proto_id == IPPROTO_AH) &&
	       gw_l3_is_local(p->t->fib, rte_be_to_cpu_32(ip->dst_addr));
}

/* An AH SA of an AH+ESP policy: what it leaves is the policy's ESP. */
static bool bundle_ah(const struct gw_path *p, const struct gw_sa *sa)
{
	const struct gw_spd_policy *pol;

	if (sa->id.proto != IPPROTO_AH)
		return false;
	pol = gw_spd_by_uid(p->t->spd, sa->policy_uid);
	return pol && gw_spd_policy_has_in_sa(pol, sa) && (pol->ipsec_protocols & GW_PROTO_ESP);
}

/*
 * Decapsulated packets (sa[i] took off packet i's outer layer): sound inner
 * header and the policy of their SA, else dropped; the survivors go to
 * out[], marked as decrypted on this host. Returns how many.
 */
static uint16_t accept_inner(struct gw_path *p, struct rte_mbuf **mb, struct gw_sa *const *sa,
			     uint16_t n, struct rte_mbuf **out)
{
	struct policy_memo memo = {.sa = NULL};
	uint16_t i, n_out = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = mb[i];

		if (gw_ipv4_sanitize(m) != 0) {
			ipsec_drop(p, m, GW_DROP_INNER_IP);
			continue;
		}
		gw_count(p->ctr, GW_CTR_IN_DECRYPTED, 1);
		/* Every layer must match the policy of the SA that took it off
		 * (nested tunnels: the inner tunnel's ESP matches the outer
		 * policy); only the AH of an AH+ESP bundle leaves a packet (its
		 * ESP) that its own policy cannot match, and is vouched for by
		 * being that bundle's AH. */
		if (!(is_ipsec_to_us(p, m) && bundle_ah(p, sa[i])) &&
		    !decrypted_policy_ok(p, m, sa[i], &memo)) {
			drop(p, m, GW_CTR_IN_DROP);
			continue;
		}
		/* Mark it: decrypted on this host, so no incoming policy check. */
		m->ol_flags |= RTE_MBUF_F_RX_SEC_OFFLOAD;
		out[n_out++] = m;
	}
	return n_out;
}

/* ESP and AH packets to one of our addresses. */
static void ipsec_in(struct gw_path *p, struct rte_mbuf **mb, uint16_t n, unsigned depth)
{
	struct rte_mbuf *esp[GW_BURST_MAX], *ah[GW_BURST_MAX];
	struct gw_sa *esp_sa[GW_BURST_MAX], *ah_sa[GW_BURST_MAX];
	struct sa_memo sa_memo = {.sa = NULL};
	uint16_t i, n_esp = 0, n_ah = 0;

	if (depth >= GW_PATH_MAX_DEPTH) {
		for (i = 0; i < n; i++)
			drop(p, mb[i], GW_CTR_DROP_MALFORMED);
		return;
	}
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = linear(p, mb[i]);
		struct gw_sa *sa;

		if (!m)
			continue;
		sa = sa_in_of(p, m, &sa_memo);
		if (!sa) {
			drop(p, m, GW_CTR_DROP_BAD_SPI);
		} else if (sa->id.proto == IPPROTO_ESP) {
			esp_sa[n_esp] = sa;
			esp[n_esp++] = m;
		} else {
			ah_sa[n_ah] = sa;
			ah[n_ah++] = m;
		}
	}
	n_esp = n_esp ? decap(p, esp, esp_sa, n_esp, gw_esp_inb_prepare, gw_esp_inb_process) : 0;
	n_ah = n_ah ? decap(p, ah, ah_sa, n_ah, gw_ah_inb_prepare, gw_ah_inb_process) : 0;
	/* AH's survivors after ESP's, in the ESP arrays (both fit: n_esp + n_ah <= n). */
	for (i = 0; i < n_ah; i++) {
		esp_sa[n_esp + i] = ah_sa[i];
		esp[n_esp + i] = ah[i];
	}
	n = accept_inner(p, esp, esp_sa, n_esp + n_ah, mb);
	/* What comes out is processed again as if just received: forwarded, or
	 * ours (the inner layer of a nested tunnel or bundle, or a packet for us). */
	if (n)
		ip_local(p, mb, n, depth + 1);
}

/* ------------------------------------------------------------------ */
/* Plain packets: incoming policy check, local delivery               */

/* The last reverse lookup of a burst: a burst mostly holds runs of one
 * flow, and the SPD (p->t) does not change within it. */
struct spd_memo {
	bool valid;
	struct flow f;
	const struct gw_spd_policy *pol;
};

static const struct gw_spd_policy *incoming_lookup(struct gw_path *p, struct rte_mbuf *m,
						   struct spd_memo *mm)
{
	struct flow f;

	flow_of(m, &f);
	if (!mm->valid || !flow_eq(&f, &mm->f)) {
		mm->pol = gw_spd_lookup_reverse(p->t->spd, f.src, f.dst, f.proto, f.sport, f.dport);
		mm->f = f;
		mm->valid = true;
	}
	return mm->pol;
}

/*
 * The incoming policy check (seed): a packet that was not decrypted here is
 * matched against the SPD in reverse; if the policy found wants encryption
 * and has a valid SA (or its level is not `use`), the packet should have
 * come encrypted and is dropped. True to let it pass.
 */
static bool incoming_policy_ok(struct gw_path *p, struct rte_mbuf *m, struct spd_memo *mm)
{
	const struct gw_spd_policy *pol = incoming_lookup(p, m, mm);

	if (!pol || pol->action == GW_ACTION_ACCEPT) {
		gw_count(p->ctr, GW_CTR_IN_ACCEPT, 1);
		pcount(p, pol, GW_PCTR_IN_ACCEPTED);
		return true;
	}
	if (pol->action == GW_ACTION_DROP) {
		gw_count(p->ctr, GW_CTR_IN_DROP, 1);
		pcount(p, pol, GW_PCTR_IN_DROPPED);
		return false;
	}
	if (pol->level != GW_LEVEL_USE || sa_usable(pol->in_esp) || sa_usable(pol->in_ah)) {
		gw_count(p->ctr, GW_CTR_IN_DROP_ENCRYPTED_EXPECTED, 1);
		pcount(p, pol, GW_PCTR_IN_DROPPED);
		return false;
	}
	gw_count(p->ctr, GW_CTR_IN_ACCEPT, 1);
	pcount(p, pol, GW_PCTR_IN_ACCEPTED);
	return true;
}

enum udp_kind { UDP_OTHER, UDP_IKE, UDP_ESP, UDP_KEEPALIVE };

/*
 * UDP to one of our addresses on the IKE ports. On 4500 (RFC 3948 2.2) a
 * payload starting with four zero bytes (the non-ESP marker) is IKE, a
 * single 0xFF byte is a NAT keepalive, anything else is ESP in UDP.
 */
static enum udp_kind udp_kind(const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = ip_of(m);
	const struct rte_udp_hdr *udp;
	unsigned hl = rte_ipv4_hdr_len(ip), payload;
	const uint8_t *p;
	uint16_t dport;

	if (ip->next_proto_id != IPPROTO_UDP || rte_pktmbuf_data_len(m) < hl + sizeof(*udp))
		return UDP_OTHER;
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, hl);
	dport = rte_be_to_cpu_16(udp->dst_port);
	if (dport == IKE_PORT)
		return UDP_IKE;
	if (dport != IKE_NATT_PORT)
		return UDP_OTHER;
	payload = rte_pktmbuf_data_len(m) - hl - (unsigned)sizeof(*udp);
	p = (const uint8_t *)(udp + 1);
	if (payload == 1 && p[0] == 0xff)
		return UDP_KEEPALIVE;
	if (payload >= 4 && p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0)
		return UDP_IKE;
	return payload >= sizeof(struct gw_esp_hdr) ? UDP_ESP : UDP_OTHER;
}

/* RFC 3948 3.2: take the UDP header out, so the ESP code sees plain ESP. */
static void udp_decap(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	unsigned hl = rte_ipv4_hdr_len(ip);

	memmove((uint8_t *)ip + sizeof(struct rte_udp_hdr), ip, hl);
	rte_pktmbuf_adj(m, sizeof(struct rte_udp_hdr));
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	ip->next_proto_id = IPPROTO_ESP;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ip->total_length) -
						       sizeof(struct rte_udp_hdr)));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = gw_ipv4_cksum(ip);
}

/* RFC 3948 2.1: ESP in UDP on the way out (checksum 0 is allowed, 3.1.1).
 * False if the mbuf has no room. */
static bool udp_encap(struct rte_mbuf *m, uint16_t sport, uint16_t dport)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	unsigned hl = rte_ipv4_hdr_len(ip);
	uint16_t tot = rte_be_to_cpu_16(ip->total_length);
	struct rte_udp_hdr *udp;

	if (!rte_pktmbuf_prepend(m, sizeof(*udp)))
		return false;
	memmove(rte_pktmbuf_mtod(m, uint8_t *), ip, hl);
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	udp = (struct rte_udp_hdr *)((uint8_t *)ip + hl);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(tot - hl + sizeof(*udp)));
	udp->dgram_cksum = 0;
	ip->next_proto_id = IPPROTO_UDP;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(tot + sizeof(*udp)));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = gw_ipv4_cksum(ip);
	return true;
}

/* Plain packets for us: ICMP echo is answered, the rest has no taker. */
static void local_deliver(struct gw_path *p, struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = ip_of(m);

	if (ip->next_proto_id == IPPROTO_ICMP && gw_icmp_echo_reply(m) == 0) {
		gw_l3_count_event(p->l3, GW_L3_EV_ICMP_ECHO_REPLIES, 1);
		gw_path_local_out(p, &m, 1);
		return;
	}
	gw_l3_count_drop(p->l3, GW_L3_DROP_LOCAL, 1);
	rte_pktmbuf_free(m);
}

/* Checked IPv4 packets to one of our addresses (or reached by decap). */
static void ip_local(struct gw_path *p, struct rte_mbuf **mb, uint16_t n, unsigned depth)
{
	struct rte_mbuf *ipsec[GW_BURST_MAX], *fwd[GW_BURST_MAX];
	struct spd_memo mm = {.valid = false};
	uint16_t i, n_ipsec = 0, n_fwd = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = mb[i];
		const struct rte_ipv4_hdr *ip = ip_of(m);
		bool decrypted = (m->ol_flags & RTE_MBUF_F_RX_SEC_OFFLOAD) != 0;

		if (!gw_l3_is_local(p->t->fib, rte_be_to_cpu_32(ip->dst_addr))) {
			if (decrypted || incoming_policy_ok(p, m, &mm))
				fwd[n_fwd++] = m;
			else
				rte_pktmbuf_free(m);
			continue;
		}
		if (ip->next_proto_id == IPPROTO_ESP || ip->next_proto_id == IPPROTO_AH) {
			m->ol_flags &= ~RTE_MBUF_F_RX_SEC_OFFLOAD;
			ipsec[n_ipsec++] = m;
			continue;
		}
		switch (udp_kind(m)) {
		case UDP_IKE:
			/* IKE is let through without policy matching (seed). */
			gw_count(p->ctr, GW_CTR_IN_ACCEPT_ISAKMP, 1);
			punt(p, m);
			continue;
		case UDP_KEEPALIVE:
			rte_pktmbuf_free(m); /* it only kept a NAT mapping open */
			continue;
		case UDP_ESP:
			udp_decap(m);
			m->ol_flags &= ~RTE_MBUF_F_RX_SEC_OFFLOAD;
			ipsec[n_ipsec++] = m;
			continue;
		case UDP_OTHER:
			break;
		}
		if (decrypted || incoming_policy_ok(p, m, &mm)) {
			local_deliver(p, m);
		} else {
			rte_pktmbuf_free(m);
		}
	}
	/* Fragments of ESP/AH are put together before decapsulation. */
	if (n_ipsec)
		n_ipsec = gw_ipv4_reassemble_burst(p->l3, ipsec, n_ipsec);
	if (n_ipsec)
		ipsec_in(p, ipsec, n_ipsec, depth);
	for (i = 0; i < n_fwd; i++)
		fwd[i]->ol_flags &= ~RTE_MBUF_F_RX_SEC_OFFLOAD;
	if (n_fwd)
		forward(p, fwd, n_fwd);
}

/* ------------------------------------------------------------------ */
/* Output: SPD, encryption                                            */

/* Ask IKE for SAs, at most once a second per policy. */
static void acquire(struct gw_path *p, const struct gw_spd_policy *pol, const struct flow *f)
{
	struct gw_ev_acquire a = {
		.policy_uid = pol->uid, .src = f->src, .dst = f->dst,
		.sport = f->sport, .dport = f->dport, .proto = f->proto,
	};

	if (gw_acquire_should_send(&pol->counters->acquire_tsc, p->l3->now, p->l3->hz))
		gw_event_post_acquire(p->events, &a);
}

/* Whether the outer header will carry DF (dont-fragment clear/set/inherit). */
static bool outer_df(const struct gw_spd_policy *pol, const struct rte_mbuf *m)
{
	if (!pol->tunnel)
		return (ip_of(m)->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) != 0;
	if (pol->dont_fragment == GW_DF_SET)
		return true;
	if (pol->dont_fragment == GW_DF_INHERIT)
		return (ip_of(m)->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) != 0;
	return false;
}

/* The route to dst, looked up once per burst and destination (the FIB
 * and l3->now change together in gw_path_begin). */
static int outer_route(struct gw_path *p, uint32_t dst, struct gw_nh *nh)
{
	if (p->outer_at != p->l3->now || p->outer_dst != dst) {
		gw_fib_lookup(p->t->fib, dst, &p->outer_nh);
		p->outer_dst = dst;
		p->outer_at = p->l3->now;
	}
	*nh = p->outer_nh;
	return nh->ifidx == GW_NH_NONE ? -ENOENT : 0;
}

/*
 * Path MTU before encapsulation (RFC 4301 8.2.1): when the encapsulated
 * packet would exceed the outer interface's MTU and will carry DF, the
 * sender is told the MTU left after our overhead; without DF the outer
 * packet is fragmented later. False if m was consumed here.
 */
static bool fits_after_encap(struct gw_path *p, const struct gw_spd_policy *pol, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m), overhead = 0, mtu;
	struct gw_nh nh;

	if (pol->ipsec_protocols & GW_PROTO_ESP)
		overhead += gw_esp_overhead(pol->out_esp, len) +
			    (pol->out_esp->p.encap_dport ? sizeof(struct rte_udp_hdr) : 0);
	if (pol->ipsec_protocols & GW_PROTO_AH)
		overhead += gw_ah_overhead(pol->out_ah); /* counts its outer header in tunnel mode */
	if (outer_route(p, pol->tunnel ? pol->sa_dst : rte_be_to_cpu_32(ip_of(m)->dst_addr), &nh) != 0)
		return true; /* no route: L3 output counts it */
	mtu = p->t->fib->ifs[nh.ifidx].mtu;
	if (len + overhead <= mtu || !outer_df(pol, m))
		return true;
	gw_l3_count_drop(p->l3, GW_L3_DROP_FRAG_NEEDED, 1);
	pcount(p, pol, GW_PCTR_NOT_ENCRYPTED);
	gw_icmp_error(p->l3, m, GW_ICMP_DEST_UNREACH, GW_ICMP_CODE_FRAG_NEEDED,
		      (uint16_t)(mtu > overhead + 68 ? mtu - overhead : 68));
	return false;
}

typedef uint16_t (*outb_fn)(struct gw_crypto_ctx *, struct rte_mbuf **, struct gw_sa **, const uint64_t *,
			    const uint8_t *, uint16_t, uint8_t *, uint32_t *);

/*
 * Outbound sequence numbers for the selected packets (RFC 4303 3.3.3:
 * never cycling without ESN): one atomic reservation per run of packets on
 * the same SA, not one per packet. Packets the SA has no number left for
 * are dropped and their slot (in sel[]) cleared.
 */
static void take_seqs(struct gw_path *p, struct gw_sa **sa, struct rte_mbuf **sel, uint64_t *seq,
		      uint16_t k)
{
	uint16_t i = 0;

	while (i < k) {
		uint16_t run = same_sa_run(sa, i, k), j;
		uint32_t granted = run;
		uint64_t first;
		enum gw_life life;

		life = gw_seq_out_reserve(sa[i], (sa[i]->p.flags & GW_SA_FLAG_ESN) != 0, &granted, &first);
		gw_event_post_life(p->events, sa[i], life);
		for (j = 0; j < run; j++) {
			if (j < granted) {
				seq[i + j] = first + j;
				continue;
			}
			gw_l3_stat_add(&p->ipsec_drop[GW_DROP_SEQ_OVERFLOW], 1);
			drop(p, sel[i + j], GW_CTR_DROP_NO_SA);
			sel[i + j] = NULL;
		}
		i += run;
	}
}

/*
 * Lifebytes of what was just encrypted or decrypted, one accounting per
 * run of packets on the same SA (rc NULL: every packet counts, else only
 * those with rc[i] == 0). refused[i]: packet i would take its SA past the
 * hard limit, which is exact, so it must not pass.
 */
static void account_runs(struct gw_path *p, struct gw_sa **sa, const uint8_t *rc, const uint32_t *bytes,
			 uint16_t k, bool *refused)
{
	uint16_t i = 0, j, run;
	uint32_t ok;

	while (i < k) {
		refused[i] = false;
		if (rc && rc[i]) {
			i++;
			continue;
		}
		for (run = 1; i + run < k && !(rc && rc[i + run]) && sa[i + run] == sa[i]; run++)
			;
		gw_event_post_life(p->events, sa[i],
				   gw_sa_account_burst(sa[i], bytes + i, run, p->now_sec, &ok));
		for (j = 0; j < run; j++)
			refused[i + j] = j >= ok;
		i += run;
	}
}

/*
 * One protocol's encapsulation of those packets in mb[] whose policy asks
 * for it (proto bit); the others pass untouched. Failures are dropped and
 * their slot cleared (NULL).
 */
static void encap_proto(struct gw_path *p, struct rte_mbuf **mb, const struct gw_spd_policy **pol,
			uint16_t n, uint8_t proto_bit, outb_fn fn)
{
	struct rte_mbuf *sel[GW_BURST_MAX];
	struct gw_sa *sa[GW_BURST_MAX];
	uint8_t df[GW_BURST_MAX], rc[GW_BURST_MAX];
	uint32_t bytes[GW_BURST_MAX];
	uint64_t seq[GW_BURST_MAX];
	uint16_t idx[GW_BURST_MAX], i, k = 0, n_sel;
	bool refused[GW_BURST_MAX];

	for (i = 0; i < n; i++) {
		if (!mb[i] || !(pol[i]->ipsec_protocols & proto_bit))
			continue;
		sa[k] = proto_bit == GW_PROTO_ESP ? pol[i]->out_esp : pol[i]->out_ah;
		/* AH over ESP: the ESP step already built the outer header. */
		df[k] = proto_bit == GW_PROTO_AH && (pol[i]->ipsec_protocols & GW_PROTO_ESP)
				? GW_DF_INHERIT : pol[i]->dont_fragment;
		idx[k] = i;
		sel[k++] = mb[i];
	}
	if (!k)
		return;
	take_seqs(p, sa, sel, seq, k);
	/* Those without a number are gone: close the gaps. */
	for (i = 0, n_sel = 0; i < k; i++) {
		if (!sel[i]) {
			pcount(p, pol[idx[i]], GW_PCTR_NOT_ENCRYPTED);
			mb[idx[i]] = NULL;
			continue;
		}
		sa[n_sel] = sa[i];
		df[n_sel] = df[i];
		seq[n_sel] = seq[i];
		idx[n_sel] = idx[i];
		sel[n_sel++] = sel[i];
	}
	k = n_sel;
	if (!k)
		return;
	fn(p->crypto, sel, sa, seq, df, k, rc, bytes);
	account_runs(p, sa, rc, bytes, k, refused);
	for (i = 0; i < k; i++) {
		if (rc[i] != 0) {
			ipsec_drop(p, sel[i], rc[i]);
			pcount(p, pol[idx[i]], GW_PCTR_NOT_ENCRYPTED);
			mb[idx[i]] = NULL;
		} else if (refused[i]) {
			/* the hard lifebytes limit is exact: this packet would pass it */
			drop(p, sel[i], GW_CTR_DROP_NO_SA);
			pcount(p, pol[idx[i]], GW_PCTR_NOT_ENCRYPTED);
			mb[idx[i]] = NULL;
		} else if (sa[i]->p.encap_dport &&
			   !udp_encap(sel[i], sa[i]->p.encap_sport, sa[i]->p.encap_dport)) {
			ipsec_drop(p, sel[i], GW_DROP_NO_HEADROOM);
			pcount(p, pol[idx[i]], GW_PCTR_NOT_ENCRYPTED);
			mb[idx[i]] = NULL;
		} else {
			mb[idx[i]] = sel[i];
		}
	}
}

/* One policy counter for each packet of pol[], one add per run of a policy. */
static void count_runs(const struct gw_path *p, const struct gw_spd_policy **pol, uint16_t n,
		       enum gw_pctr what)
{
	uint16_t i = 0, run;

	while (i < n) {
		for (run = 1; i + run < n && pol[i + run] == pol[i]; run++)
			;
		gw_policy_count(pol[i]->counters, p->worker, what, run);
		i += run;
	}
}

/* Encrypt packets whose policy has usable SAs, then process them again as
 * locally originated (ESP inside, AH outside for a bundle: RFC 4301 4.5). */
static void encrypt(struct gw_path *p, struct rte_mbuf **mb, const struct gw_spd_policy **pol, uint16_t n,
		    unsigned depth)
{
	uint16_t i, k = 0;

	encap_proto(p, mb, pol, n, GW_PROTO_ESP, gw_esp_outb);
	encap_proto(p, mb, pol, n, GW_PROTO_AH, gw_ah_outb);
	for (i = 0; i < n; i++) {
		if (!mb[i])
			continue;
		mb[k] = mb[i];
		pol[k++] = pol[i];
	}
	if (!k)
		return;
	gw_count(p->ctr, GW_CTR_OUT_ENCRYPT, k);
	count_runs(p, pol, k, GW_PCTR_ENCRYPTED);
	output(p, mb, pol, NULL, k, depth + 1); /* routed by L3 after encapsulation */
}

/* What the SPD says about one outgoing packet; the packet goes to one of the
 * three lists or is consumed. */
enum out_verdict { OUT_PLAIN, OUT_ENCRYPT, OUT_GONE };

/* pol: the packet's policy (spd_lookup_burst); f: its flow, or NULL when
 * the policy was known without one. */
static enum out_verdict out_classify(struct gw_path *p, struct rte_mbuf *m, const struct gw_spd_policy *prev,
				     const struct gw_spd_policy *pol, const struct flow *f, unsigned depth)
{
	struct flow own;

	if (depth > 0) {
		/* An encapsulated packet: "if packet matches the same SPD rule that
		 * it matched before, it is sent out without encrypting". A packet
		 * of ours with no encrypt rule is not counted again either. */
		if (!pol || pol == prev || pol->action == GW_ACTION_ACCEPT)
			return OUT_PLAIN;
		if (depth >= GW_PATH_MAX_DEPTH) {
			drop(p, m, GW_CTR_DROP_MALFORMED);
			return OUT_GONE;
		}
	}
	if (!pol || pol->action == GW_ACTION_ACCEPT) {
		gw_count(p->ctr, GW_CTR_OUT_ACCEPT, 1);
		pcount(p, pol, GW_PCTR_OUT_ACCEPTED);
		return OUT_PLAIN;
	}
	if (pol->action == GW_ACTION_DROP) {
		gw_count(p->ctr, GW_CTR_OUT_DROP, 1);
		pcount(p, pol, GW_PCTR_OUT_DROPPED);
		rte_pktmbuf_free(m);
		return OUT_GONE;
	}
	if ((!(pol->ipsec_protocols & GW_PROTO_ESP) || sa_usable(pol->out_esp)) &&
	    (!(pol->ipsec_protocols & GW_PROTO_AH) || sa_usable(pol->out_ah)))
		return fits_after_encap(p, pol, m) ? OUT_ENCRYPT : OUT_GONE;
	/* No usable SA: ask IKE; `use` sends plain meanwhile, require/unique drop. */
	if (!f) {
		flow_of(m, &own);
		f = &own;
	}
	acquire(p, pol, f);
	pcount(p, pol, GW_PCTR_NOT_ENCRYPTED);
	if (pol->level == GW_LEVEL_USE) {
		gw_count(p->ctr, GW_CTR_OUT_ACCEPT, 1);
		pcount(p, pol, GW_PCTR_OUT_ACCEPTED);
		return OUT_PLAIN;
	}
	gw_count(p->ctr, GW_CTR_OUT_DROP, 1);
	gw_count(p->ctr, GW_CTR_DROP_NO_SA, 1);
	pcount(p, pol, GW_PCTR_OUT_DROPPED);
	rte_pktmbuf_free(m);
	return OUT_GONE;
}

/* How packet i of a burst gets its policy (spd_lookup_burst). */
enum { POL_KNOWN = -2, POL_LOOKUP = -1 /* >= 0: the same as that packet's */ };

/* The lines out_classify and the encapsulation read of a policy's SA. */
static void policy_prefetch(const struct gw_path *p, const struct gw_spd_policy *pol)
{
	if (!pol)
		return;
	rte_prefetch0(&pol->counters->w[p->worker]);
	if (pol->action != GW_ACTION_ENCRYPT)
		return;
	if (pol->out_esp) {
		rte_prefetch0(&pol->out_esp->p);
		rte_prefetch0(&pol->out_esp->crypto);
		rte_prefetch0(&pol->out_esp->hot);
	}
	if (pol->out_ah)
		rte_prefetch0(&pol->out_ah->hot);
}

/* With many SAs their key schedules are out of cache too: start loading the
 * ESP SA's round keys while the rest of the burst is classified. */
static void sa_keys_prefetch(const struct gw_spd_policy *pol)
{
	const struct gw_sa_crypto *c;
	unsigned off;

	if (!pol->out_esp || !(c = gw_sa_crypto(pol->out_esp)))
		return;
	rte_prefetch0(c);
	for (off = 0; c->enc_keys && off < 256; off += 64)
		rte_prefetch0((const uint8_t *)c->enc_keys + off);
}

/*
 * Every packet's policy, in stages over the burst so that the cache misses
 * of a big SPD overlap instead of following one another: the flows (and
 * the index slots they hash to), then the lookups (the policies), then what
 * classify and encrypt read of those policies. A run of packets of one
 * flow is looked up once. At depth > 0 a tunnel's outer packet has its
 * policy known since the SPD was built (outer_known): no flow, no lookup.
 * f[i] is set where the flow was computed (pol_src[i] != POL_KNOWN).
 */
static void spd_lookup_burst(struct gw_path *p, struct rte_mbuf **mb, const struct gw_spd_policy **prev,
			     uint16_t n, unsigned depth, struct flow *f, int16_t *pol_src,
			     const struct gw_spd_policy **pol)
{
	const struct gw_spd *spd = p->t->spd;
	bool big = spd->index != NULL;
	int16_t last = -1;
	uint16_t i;

	for (i = 0; i < n; i++) {
		if (depth > 0 && prev[i]->outer_known) {
			pol_src[i] = POL_KNOWN;
			pol[i] = prev[i]->outer;
			continue;
		}
		flow_of(mb[i], &f[i]);
		if (last >= 0 && flow_eq(&f[i], &f[last])) {
			pol_src[i] = last;
			continue;
		}
		pol_src[i] = POL_LOOKUP;
		last = (int16_t)i;
		if (big)
			gw_spd_prefetch(spd, f[i].src, f[i].dst, f[i].proto, f[i].sport, f[i].dport);
	}
	for (i = 0; i < n; i++) {
		if (pol_src[i] == POL_LOOKUP) {
			pol[i] = gw_spd_lookup(spd, f[i].src, f[i].dst, f[i].proto, f[i].sport, f[i].dport);
			if (big && pol[i])
				rte_prefetch0(pol[i]);
		} else if (pol_src[i] >= 0) {
			pol[i] = pol[pol_src[i]];
		}
	}
	for (i = 0; big && i < n; i++)
		if (pol_src[i] == POL_LOOKUP)
			policy_prefetch(p, pol[i]);
}

/* Whether every encapsulated packet of the burst leaves as it is: its outer
 * header's policy is known since the SPD was built and is none, its own or
 * an accept (out_classify's first test at depth > 0). The usual case of a
 * tunnel, sent without a pass over the burst per stage. */
static bool outer_all_plain(const struct gw_spd_policy **prev, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		const struct gw_spd_policy *o = prev[i]->outer;

		if (!prev[i]->outer_known || (o && o != prev[i] && o->action != GW_ACTION_ACCEPT))
			return false;
	}
	return true;
}

/*
 * The SPD on output. nh != NULL: forwarded packets with their route;
 * nh == NULL: packets we originate or encapsulated, routed by L3 here.
 * prev[i]: the policy that encrypted packet i (depth > 0), else unused.
 */
static void output(struct gw_path *p, struct rte_mbuf **mb, const struct gw_spd_policy **prev,
		   struct gw_nh *nh, uint16_t n, unsigned depth)
{
	struct rte_mbuf *plain[GW_BURST_MAX], *enc[GW_BURST_MAX];
	const struct gw_spd_policy *enc_pol[GW_BURST_MAX], *pol[GW_BURST_MAX];
	struct gw_nh plain_nh[GW_BURST_MAX];
	struct flow f[GW_BURST_MAX];
	int16_t pol_src[GW_BURST_MAX];
	uint16_t i, n_plain = 0, n_enc = 0;

	if (depth > 0 && outer_all_plain(prev, n)) {
		gw_l3_send_burst(p->l3, mb, n);
		return;
	}
	spd_lookup_burst(p, mb, prev, n, depth, f, pol_src, pol);
	for (i = 0; i < n; i++) {
		switch (out_classify(p, mb[i], depth ? prev[i] : NULL, pol[i],
				     pol_src[i] == POL_KNOWN ? NULL : &f[i], depth)) {
		case OUT_PLAIN:
			if (nh && depth == 0)
				plain_nh[n_plain] = nh[i];
			plain[n_plain++] = mb[i];
			break;
		case OUT_ENCRYPT:
			if (p->t->spd->index && (n_enc == 0 || pol[i] != enc_pol[n_enc - 1]))
				sa_keys_prefetch(pol[i]);
			enc_pol[n_enc] = pol[i];
			enc[n_enc++] = mb[i];
			break;
		case OUT_GONE:
			break;
		}
	}
	if (n_plain && nh && depth == 0)
		gw_ipv4_output_burst(p->l3, plain, plain_nh, n_plain);
	else if (n_plain)
		gw_l3_send_burst(p->l3, plain, n_plain);
	if (n_enc)
		encrypt(p, enc, enc_pol, n_enc, depth);
}

static void forward(struct gw_path *p, struct rte_mbuf **mb, uint16_t n)
{
	struct gw_nh nh[GW_BURST_MAX];

	n = gw_ipv4_forward_burst(p->l3, mb, nh, n);
	if (n)
		output(p, mb, NULL, nh, n, 0);
}

/* ------------------------------------------------------------------ */
/* Entry points                                                       */

void gw_path_begin(struct gw_path *p, const struct gw_tables *t)
{
	p->t = t;
	p->l3->fib = t->fib;
	p->l3->now = rte_rdtsc();
	p->now_sec = (int64_t)time(NULL);
}

void gw_path_local_out(struct gw_path *p, struct rte_mbuf **mb, uint16_t n)
{
	output(p, mb, NULL, NULL, n, 0);
}

void gw_path_l3_local_out(struct gw_l3_ctx *ctx, struct rte_mbuf *m, const struct gw_nh *nh, void *arg)
{
	struct gw_path *p = arg;

	(void)ctx;
	(void)nh;
	gw_path_local_out(p, &m, 1);
}

void gw_path_rx(struct gw_path *p, struct rte_mbuf **mb, uint16_t n)
{
	struct rte_mbuf *ip[GW_BURST_MAX];
	uint16_t i, k = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = mb[i];
		const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

		if (rte_pktmbuf_data_len(m) < sizeof(*eh)) {
			gw_l3_count_drop(p->l3, GW_L3_DROP_MALFORMED, 1);
			rte_pktmbuf_free(m);
		} else if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
			punt(p, m);
		} else if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
			m->ol_flags &= ~RTE_MBUF_F_RX_SEC_OFFLOAD;
			ip[k++] = m;
		} else {
			drop(p, m, GW_CTR_DROP_RX_OTHER);
		}
	}
	k = gw_ipv4_input_burst(p->l3, ip, k);
	if (k)
		ip_local(p, ip, k, 0);
}

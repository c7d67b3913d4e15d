/* SPDX-License-Identifier: BSD-3-Clause */
#include "ikectl.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "crypto.h"
#include "ctl.h"
#include "dp.h"
#include "events.h"
#include "ikev1.h"
#include "lifetime.h"
#include "log.h"
#include "sa.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int gw_ikectl_init(struct gw_ikectl *ik)
{
	memset(ik, 0, sizeof(*ik));
	ik->e = ike_engine_new(NULL);
	return ik->e ? 0 : -1;
}

/* The SAs themselves belong to the tables (retired with them). */
void gw_ikectl_fini(struct gw_ikectl *ik)
{
	if (ik->e)
		ike_engine_free(ik->e);
	free(ik->sas);
	memset(ik, 0, sizeof(*ik));
}

/* ---- SAs */

static struct gw_sa *sa_from_ike(const struct ike_sa_id *iid, const struct ike_sa_params *ip,
				 uint32_t policy_uid, uint32_t default_window, bool usable)
{
	struct gw_sa_id id = {.spi = iid->spi, .src = iid->src, .dst = iid->dst, .proto = iid->proto,
			      .dir = iid->dir};
	struct gw_sa_params p = {
		.enc_alg = ip->enc_alg, .auth_alg = ip->auth_alg, .enc_key = ip->enc_key,
		.auth_key = ip->auth_key, .tunnel = ip->tunnel, .flags = ip->flags,
		.add_soft = ip->add_soft, .add_hard = ip->add_hard, .use_soft = ip->use_soft,
		.use_hard = ip->use_hard, .lifebytes_soft = ip->lifebytes_soft,
		.lifebytes_hard = ip->lifebytes_hard,
		.replay_window = ip->replay_window ? ip->replay_window : default_window,
		.encap_sport = ip->encap_sport, .encap_dport = ip->encap_dport,
	};
	struct gw_err err;
	struct gw_sa *sa = gw_sa_new(&id, &p, policy_uid, time(NULL));

	if (!sa)
		return NULL;
	if (gw_sa_crypto_init(sa, &err) != 0) {
		gw_log(GW_LOG_ERR, "ike", "SA spi %X: %s", id.spi, err.msg);
		gw_sa_free(sa);
		return NULL;
	}
	gw_sa_set_state(sa, usable ? GW_SA_MATURE : GW_SA_LARVAL);
	return sa;
}

static int list_add(struct gw_ikectl *ik, struct gw_sa *sa)
{
	if (ik->n_sas == ik->cap_sas) {
		uint32_t cap = ik->cap_sas ? ik->cap_sas * 2 : 16;
		struct gw_sa **v = realloc(ik->sas, cap * sizeof(*v));

		if (!v)
			return -1;
		ik->sas = v;
		ik->cap_sas = cap;
	}
	ik->sas[ik->n_sas++] = sa;
	return 0;
}

static int list_find(const struct gw_ikectl *ik, const struct gw_sa_id *id)
{
	uint32_t i;

	for (i = 0; i < ik->n_sas; i++)
		if (gw_sa_id_equal(&ik->sas[i]->id, id))
			return (int)i;
	return -1;
}

static void list_remove(struct gw_ikectl *ik, uint32_t i)
{
	ik->sas[i] = ik->sas[--ik->n_sas];
}

static bool have_sa(const struct gw_ikectl *ik, const struct ike_sa_id *iid)
{
	struct gw_sa_id id = {.spi = iid->spi, .src = iid->src, .dst = iid->dst, .proto = iid->proto,
			      .dir = iid->dir};

	return list_find(ik, &id) >= 0;
}

/* IKE_ACT_INSTALL_IN: a quick mode responder's inbound SA, ahead of its pair. */
static void install_in(struct gw_ctl *ctl, const struct ike_action *a)
{
	struct gw_ikectl *ik = &ctl->ike;
	struct gw_sa *in;
	struct gw_err err;

	if (have_sa(ik, &a->install.in_id))
		return;
	in = sa_from_ike(&a->install.in_id, &a->install.in, a->install.policy_uid,
			 ctl->cfg.dataplane.replay_window, true);
	if (!in || list_add(ik, in) != 0) {
		gw_log(GW_LOG_ERR, "ike", "installing inbound SA %X failed", a->install.in_id.spi);
		gw_sa_free(in);
		return;
	}
	if (gw_ctl_rebuild(ctl, &err) != 0) {
		gw_log(GW_LOG_ERR, "ike", "installing inbound SA %X: %s", in->id.spi, err.msg);
		ik->n_sas--;
		gw_sa_free(in);
	}
}

/* ---- rekeys we start: the outbound switch waits for the peer */

static bool usable_state(const struct gw_sa *sa)
{
	enum gw_sa_state s = gw_sa_state(sa);

	return s == GW_SA_MATURE || s == GW_SA_DYING;
}

static bool has_usable_out(const struct gw_ikectl *ik, uint32_t policy_uid, uint8_t proto)
{
	for (uint32_t i = 0; i < ik->n_sas; i++) {
		const struct gw_sa *sa = ik->sas[i];

		if (sa->policy_uid == policy_uid && sa->id.dir == GW_SA_OUT && sa->id.proto == proto &&
		    usable_state(sa))
			return true;
	}
	return false;
}

/*
 * As quick mode initiator we install the new pair when we send message 3;
 * the responder installs its inbound SA only when message 3 arrives
 * (strongSwan does), so packets we sent on the new outbound SA at once
 * would be dropped by the peer until then. The old pair still works (a
 * rekey starts at the soft limit), so the new outbound SA stays larval
 * until the peer's first packet arrives on the new inbound SA (the peer
 * switched, so it has both) or GW_IKECTL_HOLD_MS passed. Not when no
 * other outbound SA of the policy is usable: then waiting only drops.
 */
static bool must_hold(const struct gw_ikectl *ik, const struct ike_action *a)
{
	return a->install.initiator && a->install.replaces_spi_in &&
	       ik->n_holds < GW_IKECTL_MAX_HOLDS &&
	       has_usable_out(ik, a->install.policy_uid, a->install.out_id.proto);
}

static void hold_add(struct gw_ikectl *ik, const struct ike_action *a)
{
	ik->holds[ik->n_holds++] = (struct gw_ikectl_hold){
		.out_spi = a->install.out_id.spi, .in_spi = a->install.in_id.spi,
		.local = a->install.out_id.src, .remote = a->install.out_id.dst,
		.proto = a->install.out_id.proto, .deadline_ms = now_ms() + GW_IKECTL_HOLD_MS};
}

static struct gw_sa *held_sa(const struct gw_ikectl *ik, const struct gw_ikectl_hold *h, bool out)
{
	struct gw_sa_id id = {.spi = out ? h->out_spi : h->in_spi, .src = out ? h->local : h->remote,
			      .dst = out ? h->remote : h->local, .proto = h->proto,
			      .dir = out ? GW_SA_OUT : GW_SA_IN};
	int i = list_find(ik, &id);

	return i < 0 ? NULL : ik->sas[i];
}

/* Release the holds whose time came; true if a table rebuild is needed. */
static bool release_holds(struct gw_ikectl *ik, uint64_t now)
{
	bool changed = false;

	for (unsigned i = 0; i < ik->n_holds;) {
		struct gw_ikectl_hold *h = &ik->holds[i];
		struct gw_sa *out = held_sa(ik, h, true), *in = held_sa(ik, h, false);
		bool traffic = in && __atomic_load_n(&in->hot.packets, __ATOMIC_RELAXED) > 0;

		if (out && !traffic && now < h->deadline_ms) {
			i++;
			continue;
		}
		if (out && gw_sa_make_mature(out)) {
			changed = true;
			if (traffic)
				ik->holds_released_by_traffic++;
			else
				ik->holds_released_by_timer++;
			gw_log(GW_LOG_DEBUG, "ike", "SA %08X: outbound after %s", out->id.spi,
			       traffic ? "the peer's first packet on the new pair" : "the hold time");
		}
		*h = ik->holds[--ik->n_holds];
	}
	return changed;
}

static void install(struct gw_ctl *ctl, const struct ike_action *a)
{
	struct gw_ikectl *ik = &ctl->ike;
	uint32_t window = ctl->cfg.dataplane.replay_window;
	struct gw_sa *in, *out;
	struct gw_err err;
	bool hold;

	/* The responder's inbound SA may be there already (IKE_ACT_INSTALL_IN):
	 * it stays, with the counters and replay state it has. */
	if (have_sa(ik, &a->install.in_id)) {
		out = sa_from_ike(&a->install.out_id, &a->install.out, a->install.policy_uid, window, true);
		if (!out || list_add(ik, out) != 0) {
			gw_log(GW_LOG_ERR, "ike", "installing SA pair in %X / out %X failed",
			       a->install.in_id.spi, a->install.out_id.spi);
			gw_sa_free(out);
			return;
		}
		if (gw_ctl_rebuild(ctl, &err) != 0) {
			gw_log(GW_LOG_ERR, "ike", "installing SA pair in %X / out %X: %s", a->install.in_id.spi,
			       out->id.spi, err.msg);
			ik->n_sas--;
			gw_sa_free(out);
		}
		return;
	}
	hold = must_hold(ik, a);
	in = sa_from_ike(&a->install.in_id, &a->install.in, a->install.policy_uid, window, true);
	out = sa_from_ike(&a->install.out_id, &a->install.out, a->install.policy_uid, window, !hold);
	if (!in || !out || list_add(ik, in) != 0 || (list_add(ik, out) != 0 && (ik->n_sas--, 1))) {
		gw_log(GW_LOG_ERR, "ike", "installing SA pair in %X / out %X failed",
		       a->install.in_id.spi, a->install.out_id.spi);
		gw_sa_free(in);
		gw_sa_free(out);
		return;
	}
	if (gw_ctl_rebuild(ctl, &err) != 0) {
		gw_log(GW_LOG_ERR, "ike", "installing SA pair in %X / out %X: %s", in->id.spi,
		       out->id.spi, err.msg);
		ik->n_sas -= 2;
		gw_sa_free(in);
		gw_sa_free(out);
		return;
	}
	if (hold)
		hold_add(ik, a);
}

static void delete_sa(struct gw_ctl *ctl, const struct ike_sa_id *iid)
{
	struct gw_sa_id id = {.spi = iid->spi, .src = iid->src, .dst = iid->dst, .proto = iid->proto,
			      .dir = iid->dir};
	int i = list_find(&ctl->ike, &id);
	struct gw_err err;

	if (i < 0)
		return;
	/* Out of the list, out of the next tables; freed when the current
	 * ones are retired after the grace period. */
	list_remove(&ctl->ike, (uint32_t)i);
	if (gw_ctl_rebuild(ctl, &err) != 0)
		gw_log(GW_LOG_ERR, "ike", "deleting SA %X: %s", id.spi, err.msg);
}

static void add_policy(struct gw_ctl *ctl, const struct gw_policy *pol)
{
	struct gw_config cand;
	struct gw_err err;
	int idx;

	if (gw_config_clone(&cand, &ctl->cfg) != 0)
		return;
	idx = gw_menu_append(&cand, GW_MENU_POLICY);
	if (idx < 0) {
		gw_config_free(&cand);
		return;
	}
	cand.policies.v[idx] = *pol; /* with the engine's uid, which its SAs name */
	cand.policies.v[idx].dynamic = true;
	if (gw_config_validate(&cand, &err) != 0 || gw_ctl_apply(ctl, &cand, &err) != 0)
		gw_log(GW_LOG_WARNING, "ike", "generated policy refused: %s", err.msg);
	gw_config_free(&cand);
}

/* ---- actions */

static enum gw_log_level log_level(enum ike_log_level l)
{
	return (enum gw_log_level)l;
}

static void send_datagram(struct gw_ctl *ctl, const struct ike_action *a)
{
	if (!ctl->dp || gw_dp_send_udp(ctl->dp, ctl->live, a->send.src, a->send.sport, a->send.dst,
				       a->send.dport, a->send.data, a->send.len) != 0) {
		ctl->ike.send_failed++;
		return;
	}
	ctl->ike.out_isakmp++;
}

/*
 * The engine's actions are carried out here, in order, from gw_ikectl_poll
 * (and flush) only: never from inside the dataplane's callbacks
 * (on_datagram, on_event). Those run while gw_dp_poll / gw_dp_tick iterate
 * over the live tables they were handed (the SAD in check_sa_times, the FIB
 * of the punted burst); an INSTALL_SA / DELETE_SA there rebuilt and retired
 * those tables under the loop (a SIGSEGV in check_sa_times when a hard
 * expire deleted a pair, seen against strongSwan).
 */
static void drain(struct gw_ctl *ctl)
{
	struct ike_action a;
	bool any = false;

	while (ike_action_next(ctl->ike.e, &a)) {
		any = true;
		switch (a.type) {
		case IKE_ACT_SEND: send_datagram(ctl, &a); break;
		case IKE_ACT_INSTALL_SA: install(ctl, &a); break;
		case IKE_ACT_INSTALL_IN: install_in(ctl, &a); break;
		case IKE_ACT_DELETE_SA: delete_sa(ctl, &a.del.id); break;
		case IKE_ACT_ADD_POLICY: add_policy(ctl, &a.add_policy.policy); break;
		case IKE_ACT_LOG: gw_log(log_level(a.log.level), "ike", "%s", a.log.text); break;
		}
		ike_action_free(&a);
	}
	if (any && ctl->dp)
		gw_dp_flush(ctl->dp);
}

/* ---- inputs */

void gw_ikectl_on_datagram(void *arg, const struct rte_mbuf *m)
{
	struct gw_ctl *ctl = arg;
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	unsigned hl = rte_ipv4_hdr_len(ip);
	const struct rte_udp_hdr *udp;
	size_t len;

	/* The worker checked the IPv4 header and that the UDP header is there. */
	if (rte_pktmbuf_data_len(m) < hl + sizeof(*udp) || m->nb_segs != 1)
		return;
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, hl);
	len = rte_pktmbuf_data_len(m) - hl - sizeof(*udp);
	if (rte_be_to_cpu_16(udp->dgram_len) < sizeof(*udp) ||
	    rte_be_to_cpu_16(udp->dgram_len) - sizeof(*udp) < len)
		len = rte_be_to_cpu_16(udp->dgram_len) >= sizeof(*udp)
			      ? rte_be_to_cpu_16(udp->dgram_len) - sizeof(*udp) : 0;
	ike_input(ctl->ike.e, now_ms(), rte_be_to_cpu_32(ip->dst_addr), rte_be_to_cpu_16(udp->dst_port),
		  rte_be_to_cpu_32(ip->src_addr), rte_be_to_cpu_16(udp->src_port),
		  (const uint8_t *)(udp + 1), len);
	/* actions: gw_ikectl_poll (see drain) */
}

void gw_ikectl_on_event(void *arg, const struct gw_event *ev)
{
	struct gw_ctl *ctl = arg;
	struct ike_sa_id id;

	if (ev->type == GW_EV_ACQUIRE) {
		ike_acquire(ctl->ike.e, now_ms(), ev->acquire.policy_uid, ev->acquire.src, ev->acquire.dst,
			    ev->acquire.proto);
	} else {
		/* Only negotiated SAs are IKE's to renew. */
		if (list_find(&ctl->ike, &ev->sa) < 0)
			return;
		id = (struct ike_sa_id){.spi = ev->sa.spi, .src = ev->sa.src, .dst = ev->sa.dst,
					.proto = ev->sa.proto, .dir = ev->sa.dir};
		ike_expire(ctl->ike.e, now_ms(), &id, ev->type == GW_EV_EXPIRE_HARD);
	}
	/* actions: gw_ikectl_poll (see drain) */
}

void gw_ikectl_poll(struct gw_ctl *ctl)
{
	uint64_t now = now_ms();

	if (!ctl->ike.e)
		return;
	drain(ctl); /* what the datagrams and events of this round asked for */
	if (ctl->ike.n_holds && release_holds(&ctl->ike, now)) {
		struct gw_err err;

		if (gw_ctl_rebuild(ctl, &err) != 0)
			gw_log(GW_LOG_ERR, "ike", "switching to a rekeyed SA: %s", err.msg);
	}
	if (now < ike_next_timeout(ctl->ike.e))
		return;
	ike_tick(ctl->ike.e, now);
	drain(ctl);
}

void gw_ikectl_config(struct gw_ctl *ctl)
{
	if (ctl->ike.e)
		ike_engine_set_config(ctl->ike.e, &ctl->cfg);
}

void gw_ikectl_flush(struct gw_ctl *ctl)
{
	if (!ctl->ike.e)
		return;
	ctl->ike.n_sas = 0; /* the tables free them after the next publish */
	ctl->ike.n_holds = 0;
	ike_flush(ctl->ike.e, now_ms(), 0);
	drain(ctl);
}

unsigned gw_ikectl_remote_peers(struct gw_ctl *ctl, struct gw_remote_peer_view *out, unsigned max)
{
	if (!ctl->ike.e)
		return 0;
	return ike_remote_peers(ctl->ike.e, now_ms(), time(NULL), out, max);
}

/* ---- counters */

#define IKE_STAT(name, field) {name, offsetof(struct ike_stats, field)}
static const struct {
	const char *name;
	size_t offset;
} ike_stat_rows[] = {
	IKE_STAT("ike-rx", rx),
	IKE_STAT("ike-tx", tx),
	IKE_STAT("ike-malformed", malformed),
	IKE_STAT("ike-bad-cookie", bad_cookie),
	IKE_STAT("ike-unknown-msgid", unknown_msgid),
	IKE_STAT("ike-out-of-order", out_of_order),
	IKE_STAT("ike-retransmits-rx", retransmits_rx),
	IKE_STAT("ike-retransmits-tx", retransmits_tx),
	IKE_STAT("ike-half-open-drops", half_open_drops),
	IKE_STAT("ike-auth-failures", auth_failures),
	IKE_STAT("ike-no-proposal", no_proposal),
	IKE_STAT("ike-decrypt-failures", decrypt_failures),
	IKE_STAT("ike-phase1-established", p1_established),
	IKE_STAT("ike-phase2-established", p2_established),
	IKE_STAT("ike-actions-dropped", actions_dropped),
	IKE_STAT("ike-keepalives-rx", keepalives),
	IKE_STAT("ike-keepalives-tx", keepalives_tx),
	IKE_STAT("ike-acquires-ignored", acquires_ignored),
};

static uint64_t ike_stat(const struct ike_stats *st, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)st + ike_stat_rows[i].offset, sizeof(v));
	return v;
}

unsigned gw_ikectl_drops(struct gw_ctl *ctl, struct gw_drop_view *out, unsigned n, unsigned max)
{
	const struct ike_stats *st;

	_Static_assert(RTE_DIM(ike_stat_rows) <= RTE_DIM(((struct gw_ikectl *)0)->stats_base),
		       "stats_base too small");
	if (!ctl->ike.e)
		return n;
	st = ike_engine_stats(ctl->ike.e);
	for (size_t i = 0; i < RTE_DIM(ike_stat_rows) && n < max; i++)
		out[n++] = (struct gw_drop_view){ike_stat_rows[i].name, ike_stat(st, i) - ctl->ike.stats_base[i]};
	if (n < max)
		out[n++] = (struct gw_drop_view){"ike-send-failed", ctl->ike.send_failed};
	return n;
}

void gw_ikectl_reset_counters(struct gw_ctl *ctl)
{
	if (!ctl->ike.e)
		return;
	for (size_t i = 0; i < RTE_DIM(ike_stat_rows); i++)
		ctl->ike.stats_base[i] = ike_stat(ike_engine_stats(ctl->ike.e), i);
	ctl->ike.send_failed = 0;
}

enum gw_ph2_state gw_ikectl_ph2_state(struct gw_ctl *ctl, uint32_t policy_uid)
{
	return ctl->ike.e ? ike_policy_ph2_state(ctl->ike.e, policy_uid) : GW_PH2_NO_PHASE2;
}

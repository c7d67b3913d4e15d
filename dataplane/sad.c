/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SA objects, manual SAs derived from the config, and the immutable SAD
 * (print list plus two open-addressing indexes). Control thread only,
 * except gw_sad_lookup_in, which workers call on immutable tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_jhash.h>

#include "log.h"
#include "sa.h"

#include "crypto.h"

/* Arbitrary, fixed: the tables are rebuilt from config, never from packets,
 * so a per-boot random seed would buy nothing (SPIs are ours to choose). */
#define SAD_HASH_SEED 0x1b873593u
#define SAD_MIN_SLOTS 8u

void *gw_dp_zalloc(size_t size)
{
	size_t n = RTE_ALIGN_CEIL(size ? size : 1, RTE_CACHE_LINE_SIZE);
	void *p;

	if (posix_memalign(&p, RTE_CACHE_LINE_SIZE, n) != 0)
		return NULL;
	memset(p, 0, n);
	return p;
}

void *gw_dp_zalloc_big(size_t size)
{
	const size_t huge = 2u << 20;
	void *p;

	if (size < huge)
		return gw_dp_zalloc(size);
	if (posix_memalign(&p, huge, size) != 0)
		return NULL;
	/* Advice only: without transparent huge pages it is ordinary memory. */
	(void)madvise(p, size, MADV_HUGEPAGE);
	memset(p, 0, size);
	return p;
}

/* ---- one SA */

/* RFC 6479 section 2: the bitmap holds one bucket more than the window so
 * that advancing the window clears a whole bucket at a time; a power of two
 * turns the bucket index into a mask. */
static uint32_t replay_buckets_for(uint32_t window)
{
	if (window == 0)
		return 0;
	return rte_align32pow2((window + 63) / 64 + 1);
}

struct gw_sa *gw_sa_new(const struct gw_sa_id *id, const struct gw_sa_params *p,
			uint32_t policy_uid, time_t now)
{
	uint32_t buckets = replay_buckets_for(p->replay_window);
	struct gw_sa *sa = gw_dp_zalloc(sizeof(*sa) + buckets * sizeof(uint64_t));

	if (!sa)
		return NULL;
	sa->id = *id;
	sa->p = *p;
	sa->policy_uid = policy_uid;
	sa->add_time = now;
	sa->replay_buckets = buckets;
	rte_spinlock_init(&sa->hot.replay_lock);
	sa->hot.state = GW_SA_LARVAL;
	return sa;
}

void gw_sa_free(struct gw_sa *sa)
{
	gw_sa_crypto_free(sa);
	free(sa);
}

bool gw_sa_id_equal(const struct gw_sa_id *a, const struct gw_sa_id *b)
{
	return a->spi == b->spi && a->src == b->src && a->dst == b->dst &&
	       a->proto == b->proto && a->dir == b->dir;
}

static bool key_equal(const struct gw_key *a, const struct gw_key *b)
{
	return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

bool gw_sa_params_equal(const struct gw_sa_params *a, const struct gw_sa_params *b)
{
	return a->enc_alg == b->enc_alg && a->auth_alg == b->auth_alg &&
	       key_equal(&a->enc_key, &b->enc_key) && key_equal(&a->auth_key, &b->auth_key) &&
	       a->tunnel == b->tunnel && a->flags == b->flags &&
	       a->add_soft == b->add_soft && a->add_hard == b->add_hard &&
	       a->use_soft == b->use_soft && a->use_hard == b->use_hard &&
	       a->lifebytes_soft == b->lifebytes_soft && a->lifebytes_hard == b->lifebytes_hard &&
	       a->replay_window == b->replay_window && a->encap_sport == b->encap_sport &&
	       a->encap_dport == b->encap_dport;
}

void gw_sa_view_fill(const struct gw_sa *sa, struct gw_sa_view *v)
{
	memset(v, 0, sizeof(*v));
	v->flags = sa->p.flags;
	v->spi = sa->id.spi;
	v->direction = (enum gw_sa_dir)sa->id.dir;
	v->src_address = sa->id.src;
	v->dst_address = sa->id.dst;
	v->auth_algorithm = sa->p.auth_alg;
	v->enc_algorithm = sa->p.enc_alg;
	v->replay_bytes = sa->p.replay_window / 8; /* the seed prints bytes */
	v->state = gw_sa_state(sa);
	v->auth_key = sa->p.auth_key;
	v->enc_key = sa->p.enc_key;
	v->add_lifetime_soft = sa->p.add_soft;
	v->add_lifetime_hard = sa->p.add_hard;
	v->use_lifetime_soft = sa->p.use_soft;
	v->use_lifetime_hard = sa->p.use_hard;
	v->lifebytes_soft = sa->p.lifebytes_soft;
	v->lifebytes_hard = sa->p.lifebytes_hard;
	v->current_addtime = sa->add_time;
	v->current_usetime = (time_t)__atomic_load_n(&sa->hot.first_use, __ATOMIC_RELAXED);
	v->current_bytes = __atomic_load_n(&sa->hot.bytes, __ATOMIC_RELAXED);
}

/* ---- manual SAs */

/* Whether the policy takes its SAs from a manual-sa template at all. */
static bool policy_names_template(const struct gw_policy *pol)
{
	return !pol->disabled && pol->action == GW_ACTION_ENCRYPT && pol->manual_sa[0] != '\0' &&
	       strcmp(pol->manual_sa, "none") != 0;
}

const struct gw_manual_sa *gw_manual_sa_of(const struct gw_config *c, const struct gw_policy *pol)
{
	uint32_t i;

	if (!policy_names_template(pol))
		return NULL;
	for (i = 0; i < c->manual_sas.n; i++) {
		const struct gw_manual_sa *t = &c->manual_sas.v[i];

		if (strcmp(t->name, pol->manual_sa) == 0)
			return t->disabled ? NULL : t;
	}
	return NULL;
}

/* By name, then config order: among equal names (a config that skipped
 * validation) the first one wins, as in gw_manual_sa_of. */
static int tmpl_cmp(const void *a, const void *b)
{
	const struct gw_manual_sa *x = *(const struct gw_manual_sa *const *)a;
	const struct gw_manual_sa *y = *(const struct gw_manual_sa *const *)b;
	int r = strcmp(x->name, y->name);

	return r ? r : (x > y) - (x < y);
}

/* The first template named `name` in the sorted array, or NULL. */
static const struct gw_manual_sa *tmpl_search(const struct gw_manual_sa *const *sorted,
					      uint32_t n, const char *name)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (strcmp(sorted[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(sorted[lo]->name, name) == 0 ? sorted[lo] : NULL;
}

const struct gw_manual_sa **gw_manual_sa_resolve(const struct gw_config *c)
{
	size_t n_sorted = c->manual_sas.n ? c->manual_sas.n : 1;
	const struct gw_manual_sa **sorted = malloc(n_sorted * sizeof(*sorted));
	const struct gw_manual_sa **of = calloc(c->policies.n ? c->policies.n : 1, sizeof(*of));
	uint32_t i;

	if (!sorted || !of) {
		free(sorted);
		free(of);
		return NULL;
	}
	for (i = 0; i < c->manual_sas.n; i++)
		sorted[i] = &c->manual_sas.v[i];
	qsort(sorted, c->manual_sas.n, sizeof(*sorted), tmpl_cmp);
	for (i = 0; i < c->policies.n; i++) {
		const struct gw_policy *pol = &c->policies.v[i];
		const struct gw_manual_sa *t;

		if (!policy_names_template(pol))
			continue;
		t = tmpl_search(sorted, c->manual_sas.n, pol->manual_sa);
		of[i] = t && !t->disabled ? t : NULL;
	}
	free(sorted);
	return of;
}

static const struct gw_key *key_of(const struct gw_key_pair *k, bool out)
{
	return out ? &k->out : &k->in;
}

void gw_sa_manual_derive(const struct gw_config *c, const struct gw_policy *pol,
			 const struct gw_manual_sa *t, uint8_t proto, enum gw_sa_dir dir,
			 struct gw_sa_id *id, struct gw_sa_params *p)
{
	bool out = dir == GW_SA_OUT;
	bool ah = proto == IPPROTO_AH;
	const struct gw_spi_pair *spi = ah ? &t->ah_spi : &t->esp_spi;

	memset(id, 0, sizeof(*id));
	memset(p, 0, sizeof(*p));
	/* manual-sa writes SPIs and keys "in/out"; an IN SA runs from the
	 * peer (sa-dst) to us (sa-src). */
	id->spi = out ? spi->out : spi->in;
	id->src = out ? pol->sa_src_address : pol->sa_dst_address;
	id->dst = out ? pol->sa_dst_address : pol->sa_src_address;
	id->proto = proto;
	id->dir = (uint8_t)dir;
	if (ah) {
		p->auth_alg = t->ah_algorithm;
		p->auth_key = *key_of(&t->ah_key, out);
		p->enc_alg = GW_ENC_NULL;
	} else {
		p->enc_alg = t->esp_enc_algorithm;
		p->enc_key = *key_of(&t->esp_enc_key, out);
		p->auth_alg = t->esp_auth_algorithm;
		p->auth_key = *key_of(&t->esp_auth_key, out);
	}
	/* In an AH+ESP bundle ESP makes the tunnel and AH then protects the
	 * outer packet in transport mode: IP | AH | ESP | inner IP (RFC 4301
	 * 4.5 transport adjacency), one outer header, not two. */
	p->tunnel = pol->tunnel && !(ah && (pol->ipsec_protocols & GW_PROTO_ESP));
	p->flags = GW_SA_FLAG_MANUAL | (ah ? GW_SA_FLAG_AH : GW_SA_FLAG_ESP);
	/* The template's lifetime is the hard add-lifetime. No soft limit:
	 * there is no IKE to renegotiate a manual SA. */
	p->add_hard = t->lifetime;
	p->replay_window = c->dataplane.replay_window;
}

/* ---- indexes */

static uint32_t slots_for(uint32_t n)
{
	uint32_t slots = rte_align32pow2(n * 2);

	return slots < SAD_MIN_SLOTS ? SAD_MIN_SLOTS : slots;
}

/*
 * The inbound key, hashed for every received ESP/AH packet: CRC32-C of
 * SPI and destination as one 64-bit word, the protocol in the seed. One
 * crc32 instruction where the CPU has SSE4.2 (DPDK computes the same value
 * in software elsewhere), against ~30 instructions for jhash. CRC is linear,
 * so keys that differ in a few bits (sequential SPIs, neighbouring
 * addresses) land in distinct slots of a power-of-two table.
 */
static uint32_t hash_in(uint32_t spi, uint32_t dst, uint8_t proto)
{
	return rte_hash_crc_8byte((uint64_t)spi << 32 | dst, SAD_HASH_SEED ^ proto);
}

static uint32_t hash_id(const struct gw_sa_id *id)
{
	return rte_jhash_3words(id->spi, id->src, id->dst,
				SAD_HASH_SEED ^ ((uint32_t)id->proto << 8 | id->dir));
}

/* Linear probing; the table is at most half full, so an empty slot exists. */
static void slot_insert(struct gw_sad_slot *tab, uint32_t mask, uint32_t h, struct gw_sa *sa)
{
	uint32_t i = h & mask;

	while (tab[i].sa)
		i = (i + 1) & mask;
	tab[i].spi = sa->id.spi;
	tab[i].dst = sa->id.dst;
	tab[i].sa = sa;
}

struct gw_sa *gw_sad_find(const struct gw_sad *sad, const struct gw_sa_id *id)
{
	uint32_t i;

	if (!sad)
		return NULL;
	for (i = hash_id(id) & sad->id_mask; sad->by_id[i].sa; i = (i + 1) & sad->id_mask) {
		const struct gw_sad_slot *s = &sad->by_id[i];

		if (s->spi == id->spi && s->dst == id->dst && gw_sa_id_equal(&s->sa->id, id))
			return s->sa;
	}
	return NULL;
}

struct gw_sa *gw_sad_lookup_in(const struct gw_sad *sad, uint32_t spi, uint32_t dst,
			       uint8_t proto, uint32_t src)
{
	struct gw_sa *first = NULL;
	uint32_t i;

	for (i = hash_in(spi, dst, proto) & sad->in_mask; sad->in[i].sa; i = (i + 1) & sad->in_mask) {
		const struct gw_sad_slot *s = &sad->in[i];

		if (s->spi != spi || s->dst != dst || s->sa->id.proto != proto)
			continue;
		if (s->sa->id.src == src)
			return s->sa;
		if (!first)
			first = s->sa;
	}
	return first;
}

/* ---- building */

static void sad_err(struct gw_err *err, const char *what)
{
	if (err)
		gw_err_set(err, GW_MENU_MANUAL_SA, -1, NULL, "installed-sa: %s: %s", what,
			   strerror(ENOMEM));
}

/* Room for the most SAs a config can give: 4 per policy (AH, ESP x in, out). */
static struct gw_sad *sad_alloc(uint32_t max_sas)
{
	struct gw_sad *sad = calloc(1, sizeof(*sad));
	uint32_t slots = slots_for(max_sas);

	if (!sad)
		return NULL;
	sad->sa = calloc(max_sas ? max_sas : 1, sizeof(*sad->sa));
	sad->by_id = gw_dp_zalloc_big((size_t)slots * sizeof(*sad->by_id));
	sad->id_mask = slots - 1;
	if (!sad->sa || !sad->by_id) {
		free(sad->sa);
		free(sad->by_id);
		free(sad);
		return NULL;
	}
	return sad;
}

/* The SA of prev with this identity and parameters, unless flushing. */
static struct gw_sa *sa_reusable(const struct gw_sad *prev, bool flush, const struct gw_sa_id *id,
				 const struct gw_sa_params *p)
{
	struct gw_sa *old = flush ? NULL : gw_sad_find(prev, id);

	return old && gw_sa_params_equal(&old->p, p) ? old : NULL;
}

struct sad_build {
	const struct gw_config *c;
	const struct gw_sad *prev;
	bool flush;
	time_t now;
	struct gw_sad *sad;
	struct gw_err crypto_err; /* why an SA's keys could not be set up */
	bool crypto_failed;
};

/* Another template gives an SA the same identity with other keys or
 * algorithms: only one can be installed, and it is the first. */
static void warn_conflict(const struct gw_sa *sa, const struct gw_manual_sa *t)
{
	char src[16], dst[16];

	gw_format_ipv4(sa->id.src, src, sizeof(src));
	gw_format_ipv4(sa->id.dst, dst, sizeof(dst));
	gw_log(GW_LOG_WARNING, "ipsec",
	       "manual-sa %s: %s SA spi=0x%X %s->%s direction=%s is already installed "
	       "with other parameters by an earlier policy; keeping that one",
	       t->name, sa->id.proto == IPPROTO_AH ? "AH" : "ESP", sa->id.spi, src, dst,
	       sa->id.dir == GW_SA_IN ? "in" : "out");
}

/* Add one derived SA unless its identity is already there; -ENOMEM. */
static int add_manual(struct sad_build *b, const struct gw_policy *pol,
		      const struct gw_manual_sa *t, uint8_t proto, enum gw_sa_dir dir)
{
	struct gw_sa_id id;
	struct gw_sa_params p;
	struct gw_sa *sa;

	gw_sa_manual_derive(b->c, pol, t, proto, dir, &id, &p);
	sa = gw_sad_find(b->sad, &id);
	if (sa) {
		/* The seed: one SA per (src, dst, proto, SPI, dir). */
		if (!gw_sa_params_equal(&sa->p, &p))
			warn_conflict(sa, t);
		return 0;
	}
	sa = sa_reusable(b->prev, b->flush, &id, &p);
	if (sa) {
		sa->policy_uid = pol->uid; /* control-only field, see sa.h */
	} else {
		sa = gw_sa_new(&id, &p, pol->uid, b->now);
		if (!sa)
			return -ENOMEM;
		/* Key schedules and HMAC pads once, here, never per packet. */
		if (gw_sa_crypto_init(sa, &b->crypto_err) != 0) {
			b->crypto_failed = true;
			gw_sa_free(sa);
			return -EINVAL;
		}
		sa->hot.state = GW_SA_MATURE; /* keys are known: usable at once */
	}
	b->sad->sa[b->sad->n++] = sa;
	slot_insert(b->sad->by_id, b->sad->id_mask, hash_id(&id), sa);
	return 0;
}

/* AH before ESP (the order of "ah,esp"), OUT before IN. */
static int add_policy_sas(struct sad_build *b, const struct gw_policy *pol,
			  const struct gw_manual_sa *t)
{
	static const uint8_t protos[2] = {IPPROTO_AH, IPPROTO_ESP};
	static const uint8_t bits[2] = {GW_PROTO_AH, GW_PROTO_ESP};
	unsigned k;

	if (!t)
		return 0;
	for (k = 0; k < 2; k++) {
		if (!(pol->ipsec_protocols & bits[k]))
			continue;
		if (add_manual(b, pol, t, protos[k], GW_SA_OUT) != 0 ||
		    add_manual(b, pol, t, protos[k], GW_SA_IN) != 0)
			return -1;
	}
	return 0;
}

static int build_inbound_index(struct gw_sad *sad)
{
	uint32_t i, n_in = 0, slots;

	for (i = 0; i < sad->n; i++)
		n_in += sad->sa[i]->id.dir == GW_SA_IN;
	slots = slots_for(n_in);
	sad->in = gw_dp_zalloc_big((size_t)slots * sizeof(*sad->in));
	if (!sad->in)
		return -ENOMEM;
	sad->in_mask = slots - 1;
	for (i = 0; i < sad->n; i++) {
		struct gw_sa *sa = sad->sa[i];

		if (sa->id.dir == GW_SA_IN)
			slot_insert(sad->in, sad->in_mask, hash_in(sa->id.spi, sa->id.dst, sa->id.proto), sa);
	}
	return 0;
}

/* SAs that IKE installed: the caller's objects, taken as they are (their
 * crypto state was set up at install). A manual SA of the same identity
 * wins: the seed allows one SA per identity. */
static void add_negotiated(struct sad_build *b, struct gw_sa *const *dyn, uint32_t n_dyn)
{
	uint32_t i;

	for (i = 0; i < n_dyn; i++) {
		struct gw_sa *sa = dyn[i];

		if (gw_sad_find(b->sad, &sa->id)) {
			gw_log(GW_LOG_WARNING, "ipsec", "negotiated SA spi %X collides with a manual SA; not installed",
			       sa->id.spi);
			continue;
		}
		b->sad->sa[b->sad->n++] = sa;
		slot_insert(b->sad->by_id, b->sad->id_mask, hash_id(&sa->id), sa);
	}
}

/* The most SAs the templates can give: in and out per protocol (policies
 * sharing a template and addresses give fewer). Sizing by this, not by 4
 * per policy, keeps the indexes of a big SAD at most half full but no
 * emptier. */
static uint32_t manual_sas_max(const struct gw_config *c, const struct gw_manual_sa *const *tmpl)
{
	uint32_t i, n = 0;

	for (i = 0; i < c->policies.n; i++)
		if (tmpl[i])
			n += 2 * (uint32_t)__builtin_popcount(c->policies.v[i].ipsec_protocols &
							      (GW_PROTO_AH | GW_PROTO_ESP));
	return n;
}

struct gw_sad *gw_sad_build(const struct gw_config *c, const struct gw_manual_sa *const *tmpl,
			    const struct gw_sad *prev, bool flush, struct gw_sa *const *dyn,
			    uint32_t n_dyn, time_t now, struct gw_err *err)
{
	struct sad_build b = {.c = c, .prev = prev, .flush = flush, .now = now};
	uint32_t i = 0;

	b.sad = sad_alloc(manual_sas_max(c, tmpl) + n_dyn);
	if (!b.sad)
		goto fail;
	for (i = 0; i < c->policies.n; i++)
		if (add_policy_sas(&b, &c->policies.v[i], tmpl[i]) != 0)
			goto fail;
	add_negotiated(&b, dyn, n_dyn);
	if (build_inbound_index(b.sad) != 0)
		goto fail;
	return b.sad;
fail:
	if (b.crypto_failed && err)
		gw_err_set(err, GW_MENU_POLICY, (int)i, "manual-sa", "policy %u: manual-sa \"%s\": %s", i,
			   c->policies.v[i].manual_sa, b.crypto_err.msg);
	else
		sad_err(err, "building the SAD");
	gw_sad_free(b.sad, prev);
	return NULL;
}

void gw_sad_free(struct gw_sad *sad, const struct gw_sad *keep)
{
	uint32_t i;

	if (!sad)
		return;
	for (i = 0; i < sad->n; i++)
		if (gw_sad_find(keep, &sad->sa[i]->id) != sad->sa[i])
			gw_sa_free(sad->sa[i]);
	free(sad->sa);
	free(sad->in);
	free(sad->by_id);
	free(sad);
}

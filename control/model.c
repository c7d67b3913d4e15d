/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The object model: config life cycle, the generic per-menu arrays, and the
 * RouterOS name tables of algorithms and groups.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "model.h"

/* ---- name tables (RouterOS spellings, canonical first, aliases last) */

const struct gw_name gw_auth_alg_names[] = {
	{"null", GW_AUTH_NULL, false},
	{"md5", GW_AUTH_MD5, false},
	{"sha1", GW_AUTH_SHA1, false},
	{"sha256", GW_AUTH_SHA256, false},
	{"sha384", GW_AUTH_SHA384, false},
	{"sha512", GW_AUTH_SHA512, false},
	{"none", GW_AUTH_NULL, true},
	{NULL, 0, false},
};

const struct gw_name gw_enc_alg_names[] = {
	{"null", GW_ENC_NULL, false},
	{"des", GW_ENC_DES, false},
	{"3des", GW_ENC_3DES, false},
	{"aes-128-cbc", GW_ENC_AES128_CBC, false},
	{"aes-192-cbc", GW_ENC_AES192_CBC, false},
	{"aes-256-cbc", GW_ENC_AES256_CBC, false},
	{"aes-128-ctr", GW_ENC_AES128_CTR, false},
	{"aes-192-ctr", GW_ENC_AES192_CTR, false},
	{"aes-256-ctr", GW_ENC_AES256_CTR, false},
	{"aes-128-gcm", GW_ENC_AES128_GCM, false},
	{"aes-192-gcm", GW_ENC_AES192_GCM, false},
	{"aes-256-gcm", GW_ENC_AES256_GCM, false},
	{"chacha20poly1305", GW_ENC_CHACHA20_POLY1305, false},
	/* The seed ("enc-algorithms=des,aes-128") predates CTR and GCM:
	 * its plain "aes-N" is CBC. */
	{"aes-128", GW_ENC_AES128_CBC, true},
	{"aes-192", GW_ENC_AES192_CBC, true},
	{"aes-256", GW_ENC_AES256_CBC, true},
	{"none", GW_ENC_NULL, true},
	{NULL, 0, false},
};

const struct gw_name gw_hash_alg_names[] = {
	{"md5", GW_HASH_MD5, false},
	{"sha1", GW_HASH_SHA1, false},
	{"sha256", GW_HASH_SHA256, false},
	{"sha384", GW_HASH_SHA384, false},
	{"sha512", GW_HASH_SHA512, false},
	{"sha", GW_HASH_SHA1, true}, /* seed: "hash-algorithm=sha" */
	{NULL, 0, false},
};

const struct gw_name gw_ike_enc_names[] = {
	{"des", GW_IKE_DES, false},
	{"3des", GW_IKE_3DES, false},
	{"aes-128", GW_IKE_AES128, false},
	{"aes-192", GW_IKE_AES192, false},
	{"aes-256", GW_IKE_AES256, false},
	{NULL, 0, false},
};

const struct gw_name gw_dh_group_names[] = {
	{"none", GW_DH_NONE, false},
	{"modp768", GW_DH_MODP768, false},
	{"modp1024", GW_DH_MODP1024, false},
	{"modp1536", GW_DH_MODP1536, false},
	{"modp2048", GW_DH_MODP2048, false},
	{"modp3072", GW_DH_MODP3072, false},
	{"modp4096", GW_DH_MODP4096, false},
	{"modp8192", GW_DH_MODP8192, false},
	{NULL, 0, false},
};

int gw_name_lookup(const struct gw_name *table, const char *name)
{
	for (; table->name; table++)
		if (strcmp(table->name, name) == 0)
			return table->value;
	return -1;
}

const char *gw_name_of(const struct gw_name *table, int value)
{
	for (; table->name; table++)
		if (!table->alias && table->value == value)
			return table->name;
	return NULL;
}

static const char *name_or_unknown(const struct gw_name *table, int value)
{
	const char *n = gw_name_of(table, value);

	return n ? n : "unknown";
}

const char *gw_auth_alg_name(enum gw_auth_alg a)
{
	return name_or_unknown(gw_auth_alg_names, a);
}

const char *gw_enc_alg_name(enum gw_enc_alg e)
{
	return name_or_unknown(gw_enc_alg_names, e);
}

const char *gw_hash_alg_name(enum gw_hash_alg h)
{
	return name_or_unknown(gw_hash_alg_names, h);
}

const char *gw_ike_enc_name(enum gw_ike_enc e)
{
	return name_or_unknown(gw_ike_enc_names, e);
}

const char *gw_dh_group_name(enum gw_dh_group g)
{
	return name_or_unknown(gw_dh_group_names, g);
}

/* HMAC key = digest size, as RouterOS requires for manual keys. */
unsigned gw_auth_key_len(enum gw_auth_alg a)
{
	static const unsigned len[GW_AUTH_COUNT] = {
		[GW_AUTH_NULL] = 0,    [GW_AUTH_MD5] = 16,    [GW_AUTH_SHA1] = 20,
		[GW_AUTH_SHA256] = 32, [GW_AUTH_SHA384] = 48, [GW_AUTH_SHA512] = 64,
	};

	return (unsigned)a < GW_AUTH_COUNT ? len[a] : 0;
}

unsigned gw_enc_key_len(enum gw_enc_alg e)
{
	static const unsigned len[GW_ENC_COUNT] = {
		[GW_ENC_NULL] = 0,
		[GW_ENC_DES] = 8,
		[GW_ENC_3DES] = 24,
		[GW_ENC_AES128_CBC] = 16,
		[GW_ENC_AES192_CBC] = 24,
		[GW_ENC_AES256_CBC] = 32,
		/* RFC 3686: a 4-byte nonce follows the AES key. */
		[GW_ENC_AES128_CTR] = 20,
		[GW_ENC_AES192_CTR] = 28,
		[GW_ENC_AES256_CTR] = 36,
		/* RFC 4106: a 4-byte salt follows the AES key. */
		[GW_ENC_AES128_GCM] = 20,
		[GW_ENC_AES192_GCM] = 28,
		[GW_ENC_AES256_GCM] = 36,
		/* RFC 7634: 32-byte key plus 4-byte salt. */
		[GW_ENC_CHACHA20_POLY1305] = 36,
	};

	return (unsigned)e < GW_ENC_COUNT ? len[e] : 0;
}

/* ---- menus */

static const char *const menu_names[GW_MENU_COUNT] = {
	[GW_MENU_INTERFACE] = "interface", [GW_MENU_ROUTE] = "route",
	[GW_MENU_PROPOSAL] = "proposal",   [GW_MENU_PEER] = "peer",
	[GW_MENU_POLICY] = "policy",       [GW_MENU_MANUAL_SA] = "manual-sa",
};

int gw_menu_from_name(const char *name)
{
	for (int m = 0; m < GW_MENU_COUNT; m++)
		if (strcmp(menu_names[m], name) == 0)
			return m;
	return -1;
}

const char *gw_menu_name(enum gw_menu m)
{
	return (unsigned)m < GW_MENU_COUNT ? menu_names[m] : "unknown";
}

size_t gw_menu_obj_size(enum gw_menu m)
{
	switch (m) {
	case GW_MENU_INTERFACE: return sizeof(struct gw_interface);
	case GW_MENU_ROUTE: return sizeof(struct gw_route);
	case GW_MENU_PROPOSAL: return sizeof(struct gw_proposal);
	case GW_MENU_PEER: return sizeof(struct gw_peer);
	case GW_MENU_POLICY: return sizeof(struct gw_policy);
	case GW_MENU_MANUAL_SA: return sizeof(struct gw_manual_sa);
	default: return 0;
	}
}

/*
 * The vectors have distinct element types, so generic code dispatches on the
 * menu and lets each case work on a correctly typed vector (no void ** casts,
 * which strict aliasing forbids). DO(vec) must return.
 */
#define MENU_VEC_DISPATCH(c, m, DO)                  \
	switch (m) {                                 \
	case GW_MENU_INTERFACE: DO((c)->interfaces); \
	case GW_MENU_ROUTE: DO((c)->routes);         \
	case GW_MENU_PROPOSAL: DO((c)->proposals);   \
	case GW_MENU_PEER: DO((c)->peers);           \
	case GW_MENU_POLICY: DO((c)->policies);      \
	case GW_MENU_MANUAL_SA: DO((c)->manual_sas); \
	default: break;                              \
	}

uint32_t gw_menu_count(const struct gw_config *c, enum gw_menu m)
{
#define VEC_COUNT(vec) return (vec).n
	MENU_VEC_DISPATCH(c, m, VEC_COUNT)
#undef VEC_COUNT
	return 0;
}

const void *gw_menu_obj_const(const struct gw_config *c, enum gw_menu m, uint32_t idx)
{
#define VEC_AT(vec) return idx < (vec).n ? (const void *)&(vec).v[idx] : NULL
	MENU_VEC_DISPATCH(c, m, VEC_AT)
#undef VEC_AT
	return NULL;
}

void *gw_menu_obj(struct gw_config *c, enum gw_menu m, uint32_t idx)
{
	/* The config is ours to write: dropping const is sound. */
	return (void *)gw_menu_obj_const(c, m, idx);
}

/* Room for one more element: doubles the array; NULL (old array kept) on failure. */
static void *vec_grow(void *v, uint32_t *cap, size_t size)
{
	uint32_t ncap = *cap ? *cap * 2 : 8;
	void *nv;

	if (*cap > UINT32_MAX / 2)
		return NULL;
	nv = realloc(v, (size_t)ncap * size);
	if (nv)
		*cap = ncap;
	return nv;
}

/* Append one zeroed element; returns it, or NULL on allocation failure. */
static void *vec_push(struct gw_config *c, enum gw_menu m)
{
#define VEC_PUSH(vec)                                                         \
	do {                                                                  \
		if ((vec).n == (vec).cap) {                                   \
			void *nv_ = vec_grow((vec).v, &(vec).cap, sizeof *(vec).v); \
			if (!nv_)                                             \
				return NULL;                                  \
			(vec).v = nv_;                                        \
		}                                                             \
		memset(&(vec).v[(vec).n], 0, sizeof *(vec).v);                \
		return &(vec).v[(vec).n++];                                   \
	} while (0)
	MENU_VEC_DISPATCH(c, m, VEC_PUSH)
#undef VEC_PUSH
	return NULL;
}

const char *gw_menu_obj_name(enum gw_menu m, const void *obj)
{
	switch (m) {
	case GW_MENU_INTERFACE: return ((const struct gw_interface *)obj)->name;
	case GW_MENU_PROPOSAL: return ((const struct gw_proposal *)obj)->name;
	case GW_MENU_MANUAL_SA: return ((const struct gw_manual_sa *)obj)->name;
	default: return NULL;
	}
}

void gw_menu_auto_name(enum gw_menu m, unsigned seq, char *buf, size_t len)
{
	const char *prefix;

	switch (m) {
	case GW_MENU_INTERFACE: prefix = "ether"; break; /* RouterOS's port names */
	case GW_MENU_PROPOSAL: prefix = "proposal"; break;
	case GW_MENU_MANUAL_SA: prefix = "sa"; break; /* seed: name="sa1" */
	default: prefix = NULL; break;
	}
	if (prefix)
		snprintf(buf, len, "%s%u", prefix, seq);
	else if (len)
		buf[0] = '\0';
}

static bool name_taken(const struct gw_config *c, enum gw_menu m, const char *name)
{
	for (uint32_t i = 0; i < gw_menu_count(c, m); i++)
		if (strcmp(gw_menu_obj_name(m, gw_menu_obj_const(c, m, i)), name) == 0)
			return true;
	return false;
}

/* RouterOS numbers auto names with the first number not in use. */
static unsigned first_free_seq(const struct gw_config *c, enum gw_menu m)
{
	char name[GW_NAME_MAX];

	if (m != GW_MENU_INTERFACE && m != GW_MENU_PROPOSAL && m != GW_MENU_MANUAL_SA)
		return 0;
	for (unsigned seq = 1;; seq++) {
		gw_menu_auto_name(m, seq, name, sizeof name);
		if (!name_taken(c, m, name))
			return seq;
	}
}

static void assign_uid(struct gw_config *c, enum gw_menu m, void *obj)
{
	if (m == GW_MENU_PEER)
		((struct gw_peer *)obj)->uid = c->next_uid++;
	else if (m == GW_MENU_POLICY)
		((struct gw_policy *)obj)->uid = c->next_uid++;
}

static int append_seq(struct gw_config *c, enum gw_menu m, unsigned seq)
{
	void *obj = vec_push(c, m);

	if (!obj)
		return -ENOMEM;
	gw_field_defaults(m, obj, seq);
	assign_uid(c, m, obj);
	return (int)(gw_menu_count(c, m) - 1);
}

int gw_menu_append(struct gw_config *c, enum gw_menu m)
{
	return append_seq(c, m, first_free_seq(c, m));
}

/* Sequence 0 is never a first free one (they start at 1), so the
 * placeholder "sa0" stands out if the caller forgets to name it. */
int gw_menu_append_unnamed(struct gw_config *c, enum gw_menu m)
{
	return append_seq(c, m, 0);
}

void gw_menu_remove(struct gw_config *c, enum gw_menu m, uint32_t idx)
{
#define VEC_REMOVE(vec)                                                         \
	do {                                                                    \
		if (idx >= (vec).n)                                             \
			return;                                                 \
		memmove(&(vec).v[idx], &(vec).v[idx + 1],                       \
			(size_t)((vec).n - idx - 1) * sizeof *(vec).v);         \
		(vec).n--;                                                      \
		return;                                                         \
	} while (0)
	MENU_VEC_DISPATCH(c, m, VEC_REMOVE)
#undef VEC_REMOVE
}

/* ---- life of a config */

int gw_config_init(struct gw_config *c)
{
	int idx;

	memset(c, 0, sizeof *c);
	snprintf(c->management.socket, sizeof c->management.socket, "/run/ipsecgw/ipsecgw.sock");
	c->management.socket_mode = 0600;
	c->management.max_clients = 64;
	c->dataplane.idle_sleep_us = 100;
	c->dataplane.burst_size = 32;
	c->dataplane.mbufs = 8191;
	c->dataplane.replay_window = 32;
	c->next_uid = 1; /* 0 stays free to mean "no object" */

	/* seed: "There is the default proposal already." */
	idx = gw_menu_append(c, GW_MENU_PROPOSAL);
	if (idx < 0)
		return idx;
	/* names are stored zero-padded (objects compare with memcmp) */
	memset(c->proposals.v[idx].name, 0, GW_NAME_MAX);
	strcpy(c->proposals.v[idx].name, "default");
	return 0;
}

void gw_config_free(struct gw_config *c)
{
	free(c->interfaces.v);
	free(c->routes.v);
	free(c->proposals.v);
	free(c->peers.v);
	free(c->policies.v);
	free(c->manual_sas.v);
	memset(c, 0, sizeof *c);
}

/* Exact-size copy of one vector's array; NULL array for an empty vector. */
static void *vec_dup(const void *v, uint32_t n, size_t size)
{
	void *copy;

	if (n == 0)
		return NULL;
	copy = malloc((size_t)n * size);
	if (copy)
		memcpy(copy, v, (size_t)n * size);
	return copy;
}

int gw_config_clone(struct gw_config *dst, const struct gw_config *src)
{
	*dst = *src;
#define VEC_DUP(vec)                                                          \
	do {                                                                  \
		dst->vec.v = vec_dup(src->vec.v, src->vec.n, sizeof *src->vec.v); \
		dst->vec.cap = src->vec.n;                                    \
		if (src->vec.n && !dst->vec.v)                                \
			failed = true;                                        \
	} while (0)
	bool failed = false;

	VEC_DUP(interfaces);
	VEC_DUP(routes);
	VEC_DUP(proposals);
	VEC_DUP(peers);
	VEC_DUP(policies);
	VEC_DUP(manual_sas);
#undef VEC_DUP
	if (failed) {
		gw_config_free(dst); /* free(NULL) is fine for the ones that failed */
		return -ENOMEM;
	}
	return 0;
}

/* ---- helpers */

uint32_t gw_prefix_mask(unsigned len)
{
	if (len == 0)
		return 0;
	if (len >= 32)
		return UINT32_MAX;
	return UINT32_MAX << (32 - len);
}

static struct gw_selector derived_selector(const struct gw_selector *stored, uint32_t sa_addr)
{
	struct gw_selector s = {.port = stored->port};

	if (sa_addr) {
		s.prefix.addr = sa_addr;
		s.prefix.len = 32;
	}
	return s;
}

struct gw_selector gw_policy_src_selector(const struct gw_policy *p)
{
	if (p->src_address_set)
		return p->src_address;
	return derived_selector(&p->src_address, p->sa_src_address);
}

struct gw_selector gw_policy_dst_selector(const struct gw_policy *p)
{
	if (p->dst_address_set)
		return p->dst_address;
	return derived_selector(&p->dst_address, p->sa_dst_address);
}

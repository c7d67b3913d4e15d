/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RouterOS IPsec object model: proposals, peers, policies, manual SAs,
 * plus the gateway's own interfaces, routes and settings.
 *
 * Every object is plain old data (no pointers inside), so a whole
 * configuration is cloned with memcpy: the management socket applies a
 * command to a clone, validates the clone and only then swaps it in, which
 * is how a bad command can never leave a half-applied change behind.
 *
 * Field names, value names and defaults follow the seed manual
 * (shared/seed/routeros-ipsec-manual.txt); docs/config.md lists them.
 */
#ifndef IPSECGW_MODEL_H
#define IPSECGW_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_NAME_MAX 64     /* names of proposals, manual SAs, interfaces */
#define GW_SECRET_MAX 256  /* peer pre-shared key */
#define GW_KEY_MAX 64      /* bytes of one SA key (512-bit HMAC keys) */
#define GW_DEVICE_MAX 256  /* DPDK devargs or PCI address */
#define GW_PATH_MAX 108    /* sun_path */
#define GW_COMMENT_MAX 128
#define GW_ALG_LIST_MAX 16 /* enc-algorithms / auth-algorithms list length */

/* ---- algorithm and value names (wire <-> RouterOS name tables in model.c) */

/* ESP/AH integrity algorithms (proposal auth-algorithms, manual-sa). */
enum gw_auth_alg {
	GW_AUTH_NULL = 0, /* RouterOS "null"; printed "none" in installed-sa */
	GW_AUTH_MD5,      /* HMAC-MD5-96, RFC 2403 */
	GW_AUTH_SHA1,     /* HMAC-SHA1-96, RFC 2404 */
	GW_AUTH_SHA256,   /* HMAC-SHA-256-128, RFC 4868 */
	GW_AUTH_SHA384,   /* HMAC-SHA-384-192 */
	GW_AUTH_SHA512,   /* HMAC-SHA-512-256 */
	GW_AUTH_COUNT
};

/* ESP ciphers (proposal enc-algorithms, manual-sa esp-enc-algorithm). */
enum gw_enc_alg {
	GW_ENC_NULL = 0,
	GW_ENC_DES,
	GW_ENC_3DES,
	GW_ENC_AES128_CBC, /* "aes-128-cbc", the seed's short "aes-128" */
	GW_ENC_AES192_CBC,
	GW_ENC_AES256_CBC,
	GW_ENC_AES128_CTR, /* RFC 3686: key carries a 4-byte nonce at its end */
	GW_ENC_AES192_CTR,
	GW_ENC_AES256_CTR,
	GW_ENC_AES128_GCM, /* RFC 4106: key carries a 4-byte salt at its end */
	GW_ENC_AES192_GCM,
	GW_ENC_AES256_GCM,
	GW_ENC_CHACHA20_POLY1305, /* RFC 7634: key carries a 4-byte salt */
	GW_ENC_COUNT
};

/* Phase 1 (IKE SA) hash and cipher, peer hash-algorithm / enc-algorithm. */
enum gw_hash_alg { GW_HASH_MD5 = 0, GW_HASH_SHA1, GW_HASH_SHA256, GW_HASH_SHA384, GW_HASH_SHA512, GW_HASH_COUNT };
enum gw_ike_enc { GW_IKE_DES = 0, GW_IKE_3DES, GW_IKE_AES128, GW_IKE_AES192, GW_IKE_AES256, GW_IKE_ENC_COUNT };

/* Diffie-Hellman groups; the enum value is the IANA group number. */
enum gw_dh_group {
	GW_DH_NONE = 0, /* pfs-group=none */
	GW_DH_MODP768 = 1,
	GW_DH_MODP1024 = 2,
	GW_DH_MODP1536 = 5,
	GW_DH_MODP2048 = 14,
	GW_DH_MODP3072 = 15,
	GW_DH_MODP4096 = 16,
	GW_DH_MODP8192 = 18,
};

enum gw_exchange_mode { GW_XMODE_MAIN = 0, GW_XMODE_AGGRESSIVE, GW_XMODE_COUNT };
enum gw_proposal_check { GW_PCHECK_OBEY = 0, GW_PCHECK_CLAIM, GW_PCHECK_STRICT, GW_PCHECK_EXACT, GW_PCHECK_COUNT };
enum gw_action { GW_ACTION_ACCEPT = 0, GW_ACTION_DROP, GW_ACTION_ENCRYPT, GW_ACTION_COUNT };
enum gw_level { GW_LEVEL_USE = 0, GW_LEVEL_REQUIRE, GW_LEVEL_UNIQUE, GW_LEVEL_COUNT };
/* ipsec-protocols is a set: bit values so "ah,esp" is both. */
enum gw_ipsec_proto { GW_PROTO_ESP = 1u << 0, GW_PROTO_AH = 1u << 1 };
enum gw_dont_fragment { GW_DF_CLEAR = 0, GW_DF_SET, GW_DF_INHERIT, GW_DF_COUNT };

/* ---- small value types */

/* IPv4 prefix, host byte order; len 0..32. */
struct gw_prefix {
	uint32_t addr;
	uint8_t len;
};

/* A policy selector: prefix and optional port ("198.18.0.0/24:any"). */
struct gw_selector {
	struct gw_prefix prefix;
	uint16_t port; /* 0 = any */
};

/* A key as entered: raw bytes. */
struct gw_key {
	uint8_t len;
	uint8_t bytes[GW_KEY_MAX];
};

/* manual-sa keys and SPIs are written "in/out"; one value means both. */
struct gw_key_pair {
	struct gw_key in, out;
};
struct gw_spi_pair {
	uint32_t in, out;
};

/* Durations are seconds. 0 means "not set / unlimited" where RouterOS says so. */
typedef uint64_t gw_seconds;

/* ---- the menus */

struct gw_proposal {
	char name[GW_NAME_MAX];
	uint8_t n_auth; /* ordered, most preferred first */
	uint8_t auth_algorithms[GW_ALG_LIST_MAX]; /* enum gw_auth_alg */
	uint8_t n_enc;
	uint8_t enc_algorithms[GW_ALG_LIST_MAX]; /* enum gw_enc_alg */
	gw_seconds lifetime;                     /* default 30m */
	uint64_t lifebytes;                      /* default 0 = unlimited */
	enum gw_dh_group pfs_group;              /* default modp1024 */
	bool disabled;
	char comment[GW_COMMENT_MAX];
};

struct gw_peer {
	uint32_t uid;             /* stable identity across edits (not printed) */
	struct gw_prefix address; /* remote peer(s) */
	uint16_t port;            /* default 500 */
	uint32_t local_address;   /* 0 = any of ours */
	char secret[GW_SECRET_MAX];
	bool generate_policy;              /* default no */
	enum gw_exchange_mode exchange_mode;   /* default main */
	bool send_initial_contact;         /* default yes */
	enum gw_proposal_check proposal_check; /* default strict (seed) */
	enum gw_hash_alg hash_algorithm;   /* default md5 */
	enum gw_ike_enc enc_algorithm;     /* default 3des */
	enum gw_dh_group dh_group;         /* default modp1024 */
	gw_seconds lifetime;               /* default 1d */
	uint64_t lifebytes;                /* default 0 */
	bool nat_traversal;                /* default no */
	gw_seconds dpd_interval;           /* default 2m; 0 = disable-dpd */
	uint32_t dpd_maximum_failures;     /* default 5 */
	bool disabled;
	char comment[GW_COMMENT_MAX];
};

struct gw_policy {
	uint32_t uid; /* stable identity across edits: keys per-policy stats */
	struct gw_selector src_address; /* default sa-src-address/32, else 0.0.0.0/0 */
	struct gw_selector dst_address;
	bool src_address_set, dst_address_set; /* false: derived from sa-*-address */
	uint16_t protocol;                 /* IP protocol number; 0xffff = all */
	enum gw_action action;             /* default accept */
	enum gw_level level;               /* default require */
	uint8_t ipsec_protocols;           /* enum gw_ipsec_proto bits; default esp */
	bool tunnel;                       /* default no */
	uint32_t sa_src_address;           /* 0.0.0.0 default */
	uint32_t sa_dst_address;
	char proposal[GW_NAME_MAX];        /* default "default" */
	char manual_sa[GW_NAME_MAX];       /* "" = none */
	enum gw_dont_fragment dont_fragment; /* default clear */
	bool dynamic;                      /* added by generate-policy (flag D) */
	bool disabled;
	char comment[GW_COMMENT_MAX];
};
#define GW_PROTOCOL_ALL 0xffffu

struct gw_manual_sa {
	char name[GW_NAME_MAX]; /* default "sa1", "sa2", ... */
	enum gw_auth_alg ah_algorithm;     /* default null */
	enum gw_auth_alg esp_auth_algorithm;
	enum gw_enc_alg esp_enc_algorithm;
	struct gw_key_pair ah_key;
	struct gw_key_pair esp_auth_key;
	struct gw_key_pair esp_enc_key;
	struct gw_spi_pair ah_spi;  /* default 0x100 */
	struct gw_spi_pair esp_spi; /* default 0x100 */
	gw_seconds lifetime;        /* hard add-lifetime; 0 = forever */
	bool disabled;
	char comment[GW_COMMENT_MAX];
};

struct gw_interface {
	char name[GW_NAME_MAX];
	char device[GW_DEVICE_MAX]; /* devargs ("net_tap0,iface=x"), PCI address or "port:N" */
	struct gw_prefix address;   /* our address and connected prefix */
	uint16_t mtu;               /* default 1500 */
	bool disabled;
};

struct gw_route {
	struct gw_prefix dst_address;
	uint32_t gateway; /* next hop */
	bool disabled;
	char comment[GW_COMMENT_MAX];
};

struct gw_management {
	char socket[GW_PATH_MAX]; /* default /run/ipsecgw/ipsecgw.sock */
	uint32_t socket_mode;     /* default 0600: owner only */
	uint32_t max_clients;     /* default 64 */
};

struct gw_dataplane {
	uint32_t idle_sleep_us; /* default 100; 0 = busy poll */
	uint32_t burst_size;    /* default 32 */
	uint32_t mbufs;         /* default 8191 */
	uint32_t replay_window; /* packets, 32..4096, default 32 (prints replay=4) */
};

/* A growable array of one menu's objects. */
#define GW_VEC(type)        \
	struct {                \
		type *v;            \
		uint32_t n, cap;    \
	}

struct gw_config {
	GW_VEC(struct gw_interface) interfaces;
	GW_VEC(struct gw_route) routes;
	GW_VEC(struct gw_proposal) proposals; /* [0] is "default" unless removed */
	GW_VEC(struct gw_peer) peers;
	GW_VEC(struct gw_policy) policies;
	GW_VEC(struct gw_manual_sa) manual_sas;
	struct gw_management management;
	struct gw_dataplane dataplane;
	uint32_t next_uid; /* gw_menu_append hands out uids from here */
};

/* ---- life of a config */

/* A config holding RouterOS's defaults: the "default" proposal and no other object. */
int gw_config_init(struct gw_config *c);
void gw_config_free(struct gw_config *c);
/* Deep copy; dst must be uninitialised or freed. Returns 0 or -ENOMEM. */
int gw_config_clone(struct gw_config *dst, const struct gw_config *src);

/* Menus, shared by the YAML loader, the management socket and the printers. */
enum gw_menu {
	GW_MENU_INTERFACE = 0,
	GW_MENU_ROUTE,
	GW_MENU_PROPOSAL,
	GW_MENU_PEER,
	GW_MENU_POLICY,
	GW_MENU_MANUAL_SA,
	GW_MENU_COUNT
};

/* RouterOS menu name ("manual-sa") <-> enum; -1 if unknown. */
int gw_menu_from_name(const char *name);
const char *gw_menu_name(enum gw_menu m);
size_t gw_menu_obj_size(enum gw_menu m);

/* Objects of a menu as a raw array (for generic code). */
void *gw_menu_obj(struct gw_config *c, enum gw_menu m, uint32_t idx);
const void *gw_menu_obj_const(const struct gw_config *c, enum gw_menu m, uint32_t idx);
uint32_t gw_menu_count(const struct gw_config *c, enum gw_menu m);
/* Append a default-initialised object (gw_field_defaults) at the end or,
 * for generated policies, anywhere; returns its index or -ENOMEM. */
int gw_menu_append(struct gw_config *c, enum gw_menu m);
/* The same without looking for the first free automatic name, a scan of
 * the menu per call (quadratic for a generated config of 100 000s of
 * objects): a named object gets the placeholder "<prefix>0" ("sa0") and the
 * caller must name it. */
int gw_menu_append_unnamed(struct gw_config *c, enum gw_menu m);
void gw_menu_remove(struct gw_config *c, enum gw_menu m, uint32_t idx);

/* ---- name tables */
const char *gw_auth_alg_name(enum gw_auth_alg a);
const char *gw_enc_alg_name(enum gw_enc_alg e);
const char *gw_hash_alg_name(enum gw_hash_alg h);
const char *gw_ike_enc_name(enum gw_ike_enc e);
const char *gw_dh_group_name(enum gw_dh_group g);
/* Key length in bytes that an algorithm needs, salt/nonce included. */
unsigned gw_auth_key_len(enum gw_auth_alg a);
unsigned gw_enc_key_len(enum gw_enc_alg e);

/* One entry of a name table. Aliases are accepted on input, never printed:
 * "sha" = sha1 (peer hash-algorithm), "aes-128" = aes-128-cbc (the seed's
 * spelling of ESP ciphers), "none" = null. Tables end with a NULL name. */
struct gw_name {
	const char *name;
	int value;
	bool alias;
};
extern const struct gw_name gw_auth_alg_names[];
extern const struct gw_name gw_enc_alg_names[];
extern const struct gw_name gw_hash_alg_names[];
extern const struct gw_name gw_ike_enc_names[];
extern const struct gw_name gw_dh_group_names[];
/* Name (or alias) -> value, or -1; value -> canonical name, or NULL. */
int gw_name_lookup(const struct gw_name *table, const char *name);
const char *gw_name_of(const struct gw_name *table, int value);

/* ---- small helpers */

/* Netmask of a prefix length (0..32), host order. */
uint32_t gw_prefix_mask(unsigned len);
/* Name of an object of a named menu (proposal, manual-sa, interface), else NULL. */
const char *gw_menu_obj_name(enum gw_menu m, const void *obj);
/* Automatic name of the seq-th object of a named menu: "proposal1", "sa1",
 * "ether1"; "" for menus without names. */
void gw_menu_auto_name(enum gw_menu m, unsigned seq, char *buf, size_t len);
/* The selectors a policy really matches: src-address as set, else (seed rule)
 * sa-src-address/32, or 0.0.0.0/0 when sa-src-address is unset too. */
struct gw_selector gw_policy_src_selector(const struct gw_policy *p);
struct gw_selector gw_policy_dst_selector(const struct gw_policy *p);

#endif

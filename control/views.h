/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Read-only snapshots of runtime state, as the control thread hands them to
 * the management printers: installed SAs, global counters, per-policy
 * statistics and remote peers. Plain data, filled by whoever owns the state
 * (dataplane tables, IKE), so printers never touch live tables.
 */
#ifndef IPSECGW_VIEWS_H
#define IPSECGW_VIEWS_H

#include <stdint.h>
#include <time.h>

#include "model.h"

enum gw_sa_state { GW_SA_LARVAL = 0, GW_SA_MATURE, GW_SA_DYING, GW_SA_DEAD };
enum gw_sa_dir { GW_SA_IN = 0, GW_SA_OUT = 1 };

/* installed-sa flags: A - AH, E - ESP, P - pfs, M - manual */
#define GW_SA_FLAG_AH (1u << 0)
#define GW_SA_FLAG_ESP (1u << 1)
#define GW_SA_FLAG_PFS (1u << 2)
#define GW_SA_FLAG_MANUAL (1u << 3)
/* Not a print flag: the SA uses 64-bit Extended Sequence Numbers (RFC 4303 2.2.1). */
#define GW_SA_FLAG_ESN (1u << 8)

struct gw_sa_view {
	unsigned flags;
	uint32_t spi;
	enum gw_sa_dir direction;
	uint32_t src_address, dst_address; /* host order */
	enum gw_auth_alg auth_algorithm;
	enum gw_enc_alg enc_algorithm;     /* GW_ENC_NULL for AH */
	uint32_t replay_bytes;             /* replay window / 8, as the seed prints it */
	enum gw_sa_state state;
	struct gw_key auth_key, enc_key;
	gw_seconds add_lifetime_soft, add_lifetime_hard;
	gw_seconds use_lifetime_soft, use_lifetime_hard;
	uint64_t lifebytes_soft, lifebytes_hard;
	time_t current_addtime;            /* wall clock */
	time_t current_usetime;            /* 0 = not used yet */
	uint64_t current_bytes;
};

/* `counters print`, named exactly as the seed, plus our per-reason drops. */
struct gw_counters {
	uint64_t out_accept, out_accept_isakmp, out_drop, out_encrypt;
	uint64_t in_accept, in_accept_isakmp, in_drop, in_decrypted, in_drop_encrypted_expected;
};

/* `policy print stats` */
enum gw_ph2_state { GW_PH2_NO_PHASE2 = 0, GW_PH2_ESTABLISHED, GW_PH2_EXPIRED, GW_PH2_COUNT };
struct gw_policy_stats {
	enum gw_ph2_state ph2_state;
	uint64_t in_accepted, in_dropped, out_accepted, out_dropped;
	uint64_t encrypted, not_encrypted, decrypted, not_decrypted;
};

/* `remote-peers print` */
enum gw_side { GW_SIDE_INITIATOR = 0, GW_SIDE_RESPONDER };
struct gw_remote_peer_view {
	uint32_t local_address, remote_address;
	char state[32];   /* "established", "message-1-sent", ... */
	enum gw_side side;
	time_t established; /* 0 = not yet */
	uint32_t ph2_active, ph2_total;
};

/* A drop reason with its counter, for `counters print detail`. */
struct gw_drop_view {
	const char *name; /* "bad-spi", "icv-failure", ... */
	uint64_t count;
};

const char *gw_sa_state_name(enum gw_sa_state s);
const char *gw_ph2_state_name(enum gw_ph2_state s);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread's side of SA lifetimes: the once-a-second check of the
 * time limits (the packet path enforces the byte limits and the hard
 * deadline itself, lifetime.h).
 */
#include "lifetime.h"

static bool bytes_reached(const struct gw_sa *sa, uint64_t limit)
{
	return limit != 0 && __atomic_load_n(&sa->hot.bytes, __ATOMIC_RELAXED) >= limit;
}

/* Hard: add-lifetime or use-lifetime over, or current-bytes at the hard
 * lifebytes (no packet can be processed any more). */
static bool hard_reached(const struct gw_sa *sa, int64_t now)
{
	return now >= gw_sa_hard_deadline(sa) || bytes_reached(sa, sa->p.lifebytes_hard);
}

/* Soft: add-lifetime or use-lifetime soft over. The packet path reports
 * lifebytes soft itself; testing it here as well is harmless (the state
 * CAS lets only one of them report) and keeps the whole rule in one place. */
static bool soft_reached(const struct gw_sa *sa, int64_t now)
{
	return now >= gw_sa_soft_deadline(sa) || bytes_reached(sa, sa->p.lifebytes_soft);
}

enum gw_expire gw_sa_check_time(struct gw_sa *sa, int64_t now)
{
	if (hard_reached(sa, now))
		return gw_sa_expire_hard(sa) ? GW_EXPIRE_HARD : GW_EXPIRE_NONE;
	if (soft_reached(sa, now))
		return gw_sa_expire_soft(sa) ? GW_EXPIRE_SOFT : GW_EXPIRE_NONE;
	return GW_EXPIRE_NONE;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* Names of runtime states, as the seed prints them. */
#include "views.h"

const char *gw_sa_state_name(enum gw_sa_state s)
{
	static const char *const names[] = {
		[GW_SA_LARVAL] = "larval",
		[GW_SA_MATURE] = "mature",
		[GW_SA_DYING] = "dying",
		[GW_SA_DEAD] = "dead",
	};

	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

const char *gw_ph2_state_name(enum gw_ph2_state s)
{
	static const char *const names[GW_PH2_COUNT] = {
		[GW_PH2_NO_PHASE2] = "no-phase2",
		[GW_PH2_ESTABLISHED] = "established",
		[GW_PH2_EXPIRED] = "expired",
	};

	return (unsigned)s < GW_PH2_COUNT ? names[s] : "unknown";
}

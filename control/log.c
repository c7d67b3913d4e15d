/* SPDX-License-Identifier: BSD-3-Clause */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum gw_log_level max_level = GW_LOG_INFO;

static const char *level_name(enum gw_log_level l)
{
	switch (l) {
	case GW_LOG_ERR: return "error";
	case GW_LOG_WARNING: return "warning";
	case GW_LOG_NOTICE: return "notice";
	case GW_LOG_INFO: return "info";
	default: return "debug";
	}
}

void gw_log_set_level(enum gw_log_level max)
{
	max_level = max;
}

void gw_log(enum gw_log_level level, const char *subsys, const char *fmt, ...)
{
	char when[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level > max_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	flockfile(stderr);
	fprintf(stderr, "%s.%03ld ipsecgw[%s] %s: ", when, ts.tv_nsec / 1000000, subsys, level_name(level));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One line per event: "ipsecgw[subsystem] level: message", on stderr
 * (systemd's journal or the terminal picks it up). Subsystems: ike, ipsec,
 * config, mgmt, dataplane. Not for the packet path.
 */
#ifndef IPSECGW_LOG_H
#define IPSECGW_LOG_H

enum gw_log_level { GW_LOG_ERR = 3, GW_LOG_WARNING = 4, GW_LOG_NOTICE = 5, GW_LOG_INFO = 6, GW_LOG_DEBUG = 7 };

/* Messages above this level are not written (default GW_LOG_INFO). */
void gw_log_set_level(enum gw_log_level max);
void gw_log(enum gw_log_level level, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

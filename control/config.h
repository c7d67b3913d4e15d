/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The YAML configuration file (libyaml). One file, sections mirroring the
 * menus; keys are the seed's field names. A bad file is refused as a whole
 * with "FILE:LINE:COLUMN: reason" (LINE and COLUMN 1-based).
 */
#ifndef IPSECGW_CONFIG_H
#define IPSECGW_CONFIG_H

#include <stddef.h>

#include "model.h"

/* Load and validate. On success *c is initialised and owned by the caller
 * (gw_config_free). On failure returns -1, *c is left freed, and errbuf
 * holds one line "NAME:LINE:COLUMN: reason". */
int gw_config_load_file(const char *path, struct gw_config *c, char *errbuf, size_t errlen);
/* The same from memory; `name` stands for the file name in errors. */
int gw_config_load_string(const char *yaml, size_t len, const char *name, struct gw_config *c,
			  char *errbuf, size_t errlen);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management answer buffer. Appends never fail loudly: an allocation
 * failure sets `oom` and later appends are ignored, so printers can write
 * straight through and the caller checks once at the end.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt.h"

#define GW_BUF_MIN 256

void gw_buf_init(struct gw_buf *b)
{
	b->s = NULL;
	b->len = 0;
	b->cap = 0;
	b->oom = false;
}

void gw_buf_free(struct gw_buf *b)
{
	free(b->s);
	gw_buf_init(b);
}

/* Make room for `extra` more bytes plus the terminating NUL. */
static bool buf_reserve(struct gw_buf *b, size_t extra)
{
	size_t need, cap;
	char *s;

	if (b->oom)
		return false;
	if (extra > SIZE_MAX / 2 - b->len - 1)
		goto fail;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : GW_BUF_MIN;
	while (cap < need)
		cap *= 2;
	s = realloc(b->s, cap);
	if (!s)
		goto fail;
	if (!b->s)
		s[0] = '\0';
	b->s = s;
	b->cap = cap;
	return true;
fail:
	b->oom = true;
	return false;
}

void gw_buf_put(struct gw_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	if (n)
		memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void gw_buf_printf(struct gw_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* Measure first, then format in place: one pass for short lines
	 * would need a guess at the size, and answers are small anyway. */
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (!buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

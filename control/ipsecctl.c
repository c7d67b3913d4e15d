/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipsecctl: RouterOS's /ip ipsec menus over ipsecgw's management socket.
 *
 *   ipsecctl [-s SOCKET] [--json] MENU VERB [ITEM] [key=value ...]
 *
 * Exit status: 0 the command succeeded, 1 the daemon refused it (reason on
 * stderr), 2 usage error or the daemon cannot be reached.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mgmt.h"
#include "mgmt_server.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2

static void usage(FILE *to)
{
	fprintf(to,
		"usage: ipsecctl [-s SOCKET] [--json] MENU VERB [ITEM] [key=value ...]\n"
		"       ipsecctl help [MENU]\n"
		"\n"
		"  -s SOCKET  management socket (default $IPSECGW_SOCKET or %s)\n"
		"  --json     machine-readable output\n"
		"\n"
		"examples:\n"
		"  ipsecctl installed-sa print\n"
		"  ipsecctl policy print stats\n"
		"  ipsecctl peer add address=198.19.0.2/32 secret=\"a secret\"\n"
		"  ipsecctl proposal set default enc-algorithms=aes-128-cbc,3des\n"
		"  ipsecctl counters print\n",
		GW_MGMT_DEFAULT_SOCKET);
}

/* Quote a word again if the shell's unquoting left something the daemon's
 * word splitter would cut: `secret=a b` goes out as `secret="a b"`. */
static void append_word(struct gw_buf *b, const char *w)
{
	const char *eq = strchr(w, '=');
	const char *val = eq ? eq + 1 : w;
	bool needs = (eq && *val == '\0') || strpbrk(val, " \t\"\\") != NULL;

	if (b->len)
		gw_buf_put(b, " ", 1);
	if (!needs) {
		gw_buf_put(b, w, strlen(w));
		return;
	}
	gw_buf_put(b, w, (size_t)(val - w));
	gw_buf_put(b, "\"", 1);
	for (; *val; val++) {
		if (*val == '"' || *val == '\\')
			gw_buf_put(b, "\\", 1);
		gw_buf_put(b, val, 1);
	}
	gw_buf_put(b, "\"", 1);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ipsecctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "ipsecctl: cannot connect to %s: %s (is ipsecgw running?)\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, struct gw_buf *b)
{
	char chunk[16384];

	for (;;) {
		ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return b->oom ? -1 : 0;
		gw_buf_put(b, chunk, (size_t)n);
	}
}

/* Send one command, print the answer; returns the exit status. */
static int run(const char *path, const char *request)
{
	struct gw_buf resp;
	const char *body;
	int fd = connect_to(path), rc = EXIT_USAGE;

	if (fd < 0)
		return EXIT_USAGE;
	gw_buf_init(&resp);
	if (send_all(fd, request, strlen(request)) != 0 || read_all(fd, &resp) != 0) {
		fprintf(stderr, "ipsecctl: lost the connection to %s: %s\n", path, strerror(errno));
		goto out;
	}
	body = resp.s ? strchr(resp.s, '\n') : NULL;
	if (!body) {
		fprintf(stderr, "ipsecctl: no answer from %s\n", path);
		goto out;
	}
	body++;
	if (strncmp(resp.s, "ok\n", 3) == 0) {
		fputs(body, stdout);
		rc = 0;
	} else {
		fprintf(stderr, "ipsecctl: %s", body);
		if (*body && body[strlen(body) - 1] != '\n')
			fputc('\n', stderr);
		rc = EXIT_REFUSED;
	}
out:
	gw_buf_free(&resp);
	close(fd);
	return rc;
}

static int local_help(int argc, char **argv, int i)
{
	struct gw_buf out;

	gw_buf_init(&out);
	gw_mgmt_help(&out, i + 1 < argc ? argv[i + 1] : NULL);
	fputs(out.s ? out.s : "", stdout);
	gw_buf_free(&out);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = getenv("IPSECGW_SOCKET");
	struct gw_buf req;
	bool json = false;
	int i, rc;

	if (!path || !*path)
		path = GW_MGMT_DEFAULT_SOCKET;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][1] == '\0' || !strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "ipsecctl: unknown option %s\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stdout);
		return local_help(argc, argv, argc);
	}
	if (!strcmp(argv[i], "help"))
		return local_help(argc, argv, i);

	gw_buf_init(&req);
	if (json)
		gw_buf_put(&req, "--json", 6);
	for (; i < argc; i++)
		append_word(&req, argv[i]);
	gw_buf_put(&req, "\n", 1);
	if (req.oom || req.len > GW_MGMT_MAX_REQUEST) {
		fprintf(stderr, "ipsecctl: command too long\n");
		gw_buf_free(&req);
		return EXIT_USAGE;
	}
	rc = run(path, req.s);
	gw_buf_free(&req);
	return rc;
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include "mgmt_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct mgmt_client {
	struct gw_ev_source src; /* first: epoll's data.ptr points here */
	struct gw_mgmt_server *server;
	int fd;
	uint64_t deadline_ms; /* dropped if the exchange is not over by then */
	char *req;            /* GW_MGMT_MAX_REQUEST + 1 bytes */
	size_t req_len;
	struct gw_buf resp; /* status line + answer, being written */
	size_t resp_off;
	bool answering;
	struct mgmt_client *prev, *next;
};

struct gw_mgmt_server {
	struct gw_ev_source src; /* the listener */
	int epfd, fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint32_t max_clients, n_clients;
	const struct gw_mgmt_backend *be;
	struct mgmt_client *clients;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void client_close(struct mgmt_client *c)
{
	struct gw_mgmt_server *s = c->server;

	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_clients--;
	gw_buf_free(&c->resp);
	free(c->req);
	free(c);
}

/* Write as much of the answer as the socket takes; close when all is out. */
static void client_flush(struct mgmt_client *c)
{
	while (c->resp_off < c->resp.len) {
		ssize_t n = send(c->fd, c->resp.s + c->resp_off, c->resp.len - c->resp_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->resp_off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* EPOLLOUT brings us back */
		if (n < 0 && errno == EINTR)
			continue;
		break; /* peer went away: nothing more to do */
	}
	client_close(c);
}

static void client_answer(struct mgmt_client *c, bool ok, const char *body, size_t len)
{
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = &c->src};

	gw_buf_printf(&c->resp, "%s\n", ok ? "ok" : "error");
	gw_buf_put(&c->resp, body, len);
	if (c->resp.oom) {
		gw_buf_free(&c->resp);
		gw_buf_init(&c->resp);
		gw_buf_printf(&c->resp, "error\nout of memory\n");
	}
	c->answering = true;
	epoll_ctl(c->server->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	client_flush(c);
}

static void client_run(struct mgmt_client *c)
{
	struct gw_buf out;
	char *line = c->req;
	bool json = false;
	int rc;

	c->req[c->req_len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	/* "--json" is the protocol's one option; it precedes the command. */
	if (strncmp(line, "--json", 6) == 0 && (line[6] == ' ' || line[6] == '\0')) {
		json = true;
		line += 6;
	}
	gw_buf_init(&out);
	rc = gw_mgmt_exec(c->server->be, line, json, &out);
	if (rc != 0 && out.len == 0)
		gw_buf_printf(&out, "command failed\n");
	if (rc != 0)
		gw_log(GW_LOG_INFO, "mgmt", "command refused: %.200s: %.*s", line,
		       (int)strcspn(out.s ? out.s : "", "\n"), out.s ? out.s : "");
	client_answer(c, rc == 0, out.s ? out.s : "", out.len);
	gw_buf_free(&out);
}

static void client_read(struct mgmt_client *c)
{
	for (;;) {
		size_t room = GW_MGMT_MAX_REQUEST - c->req_len;
		ssize_t n;

		if (room == 0) {
			static const char msg[] = "request longer than 65536 bytes\n";
			client_answer(c, false, msg, sizeof(msg) - 1);
			return;
		}
		n = recv(c->fd, c->req + c->req_len, room, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			client_close(c); /* gone before finishing its command */
			return;
		}
		if (memchr(c->req + c->req_len, '\n', (size_t)n)) {
			c->req_len += (size_t)n;
			client_run(c);
			return;
		}
		c->req_len += (size_t)n;
	}
}

static void client_handle(struct gw_ev_source *src, uint32_t events)
{
	struct mgmt_client *c = (struct mgmt_client *)src;

	if (c->answering) {
		if (events & (EPOLLERR | EPOLLHUP))
			client_close(c);
		else
			client_flush(c);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		client_read(c);
}

/* Owner-only: the daemon's own user or root may manage it. */
static bool client_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

/* A refusal is best-effort: one non-blocking write, then close. */
static void refuse(int fd, const char *why)
{
	char msg[160];
	int n = snprintf(msg, sizeof(msg), "error\n%s\n", why);

	if (send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* nothing to do: the client is refused either way */
	}
	close(fd);
}

static void client_add(struct gw_mgmt_server *s, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP};
	struct mgmt_client *c = calloc(1, sizeof(*c));

	if (c)
		c->req = malloc(GW_MGMT_MAX_REQUEST + 1);
	if (!c || !c->req) {
		if (c)
			free(c);
		refuse(fd, "out of memory");
		return;
	}
	c->src.handle = client_handle;
	c->server = s;
	c->fd = fd;
	c->deadline_ms = now_ms() + GW_MGMT_IDLE_TIMEOUT_MS;
	gw_buf_init(&c->resp);
	ev.data.ptr = &c->src;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		free(c->req);
		free(c);
		refuse(fd, "internal error");
		return;
	}
	c->next = s->clients;
	if (s->clients)
		s->clients->prev = c;
	s->clients = c;
	s->n_clients++;
}

static void listener_handle(struct gw_ev_source *src, uint32_t events)
{
	struct gw_mgmt_server *s = (struct gw_mgmt_server *)src;
	(void)events;

	for (;;) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE)
				gw_log(GW_LOG_WARNING, "mgmt", "accept: %s", strerror(errno));
			return;
		}
		if (!client_allowed(fd)) {
			gw_log(GW_LOG_WARNING, "mgmt", "refused a client of another user");
			refuse(fd, "permission denied: ipsecgw is managed by its own user or root");
		} else if (s->n_clients >= s->max_clients) {
			refuse(fd, "too many management clients, try again");
		} else {
			client_add(s, fd);
		}
	}
}

void gw_mgmt_server_tick(struct gw_mgmt_server *s)
{
	uint64_t now = now_ms();
	struct mgmt_client *c = s->clients, *next;

	for (; c; c = next) {
		next = c->next;
		if (now >= c->deadline_ms)
			client_close(c);
	}
}

/* A socket file that nobody answers on is left over from a crash: remove it.
 * One that answers belongs to a running daemon: refuse to steal it. */
static int claim_path(const char *path, char *errbuf, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, rc;

	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (rc == 0) {
		snprintf(errbuf, errlen, "%s: another ipsecgw is already running there", path);
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(errbuf, errlen, "%s: cannot remove stale socket: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* mkdir -p of the socket's directory, owner-only when we create it. */
static void make_parent_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	mkdir(dir, 0700);
}

static int listen_on(struct gw_mgmt_server *s, uint32_t mode, char *errbuf, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->src};
	mode_t old;
	int rc;

	memcpy(sa.sun_path, s->path, sizeof(sa.sun_path));
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		snprintf(errbuf, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* Bind under a tight umask so the socket is never briefly world-usable. */
	old = umask(0177);
	rc = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0 || chmod(s->path, (mode_t)mode) != 0 || listen(s->fd, 128) != 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->fd, &ev) != 0) {
		snprintf(errbuf, errlen, "%s: %s", s->path, strerror(errno));
		close(s->fd);
		return -1;
	}
	return 0;
}

struct gw_mgmt_server *gw_mgmt_server_open(int epfd, const char *path, uint32_t mode,
					   uint32_t max_clients, const struct gw_mgmt_backend *be,
					   char *errbuf, size_t errlen)
{
	struct gw_mgmt_server *s;

	if (strlen(path) == 0 || strlen(path) >= sizeof(s->path)) {
		snprintf(errbuf, errlen, "management socket path \"%s\" is empty or too long", path);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->src.handle = listener_handle;
	s->epfd = epfd;
	s->max_clients = max_clients ? max_clients : 64;
	s->be = be;
	make_parent_dir(path);
	if (claim_path(path, errbuf, errlen) != 0 || listen_on(s, mode, errbuf, errlen) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

void gw_mgmt_server_close(struct gw_mgmt_server *s)
{
	if (!s)
		return;
	while (s->clients)
		client_close(s->clients);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	unlink(s->path);
	free(s);
}

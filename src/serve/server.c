#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "descriptors.h"
#include "helper_thread.h"
#include "log.h"
#include "options.h"
#include "pages.h"
#include "thread_state.h"
#include "write/dump.h"
#include "write/output.h"

#define NANOS_PER_SECOND 1000000000LL
/* The bounds docs/usage.md promises. Connections are read and written without
   blocking, so a slow or silent client holds one of these slots, never the server. */
#define MAX_CONNECTIONS 64
#define MAX_WINDOWS 8
#define BACKLOG 64
/* From its connection to its last header, a request has this long. */
#define REQUEST_NANOS (3 * NANOS_PER_SECOND)
/* The whole answer must be taken within this. */
#define RESPONSE_NANOS (10 * NANOS_PER_SECOND)
/* After the answer, what the client still sends is read and dropped this long, so
   that closing does not reset the connection before the client has read the answer. */
#define DRAIN_NANOS (NANOS_PER_SECOND)
/* After accept fails (out of descriptors, say), the listener rests this long. */
#define ACCEPT_PAUSE_NANOS (NANOS_PER_SECOND / 10)
/* Idle, the thread still looks this often whether the initial thread has ended, and
   then every HELPER_THREAD_CHECK_MS whether heapprof's threads are the last: nothing
   wakes a thread in poll without a descriptor of its own. */
#define IDLE_LOOK_MS 1000

enum connection_state {
	READING,  /* the request, until its headers end */
	WAITING,  /* a ?seconds window, until it ends */
	WRITING,  /* the answer */
	DRAINING, /* the answer is sent: what the client still sends, until it closes */
};

struct connection {
	int fd;
	ino_t inode; /* the socket's, to tell it from a file the program opened in its place */
	enum connection_state state;
	int64_t deadline;
	size_t received;
	struct pprof_buffer response;
	size_t sent;
	struct pages_window window;
	char request[HTTP_HEADER_LIMIT];
};

/* The descriptors change only under `descriptors_lock`, which a fork holds: the child
   then knows exactly which are the parent's, and closes them. */
static struct {
	pthread_mutex_t descriptors_lock;
	int listener;
	ino_t listener_inode;
	struct connection *connections[MAX_CONNECTIONS];
	unsigned windows;
	int64_t accept_resumes;
	/* A fork child serves on an address of its own. */
	bool forked;
	/* The unix socket's file, removed at exit by the process that made it. */
	char socket_path[PATH_MAX];
	ino_t socket_inode;
	pid_t socket_owner;
	/* Relative unix socket paths are taken from here, in every process. */
	char directory[PATH_MAX];
	/* The memory of an answer sent, for the next: answers are as large as profiles. */
	struct pprof_buffer spare_response;
} server = {.descriptors_lock = PTHREAD_MUTEX_INITIALIZER, .listener = -1};

static int64_t monotonic_nanos(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * NANOS_PER_SECOND + now.tv_nsec;
}

/* The program may close a descriptor of ours and open a file of its own in its place:
   a socket is used only while it is still the one we opened. */
static bool still_ours(int fd, ino_t inode)
{
	struct stat status;
	return fd >= 0 && fstat(fd, &status) == 0 && S_ISSOCK(status.st_mode) && status.st_ino == inode;
}

static ino_t inode_of(int fd)
{
	struct stat status;
	return fstat(fd, &status) == 0 ? status.st_ino : 0;
}

static void report(const char *what, const char *address, int error)
{
	struct log_line line;
	log_begin(&line);
	log_text(&line, what);
	log_text(&line, address);
	if (error) {
		log_text(&line, ": ");
		log_error(&line, error);
	}
	log_text(&line, "; no endpoint");
	log_end(&line);
}

/* The connection's answer is written in the spare buffer, when there is one. Under
   `descriptors_lock`, which a fork holds: a child never inherits one buffer in two
   places. */
static void take_spare_response(struct connection *connection)
{
	pthread_mutex_lock(&server.descriptors_lock);
	if (!connection->response.capacity && server.spare_response.capacity) {
		connection->response = server.spare_response;
		server.spare_response = (struct pprof_buffer){0};
	}
	pthread_mutex_unlock(&server.descriptors_lock);
}

/* Done with the connection's answer: its memory becomes the spare, unless there is one
   or it is larger than what the builds keep (write/dump.h). */
static void release_response(struct connection *connection)
{
	struct pprof_buffer *response = &connection->response;
	pthread_mutex_lock(&server.descriptors_lock);
	bool kept = !server.spare_response.capacity && response->capacity <= DUMP_KEPT_LIMIT;
	if (kept) {
		pprof_buffer_reset(response);
		server.spare_response = *response;
		*response = (struct pprof_buffer){0};
	}
	pthread_mutex_unlock(&server.descriptors_lock);
	if (!kept)
		pprof_buffer_free(response);
}

/* Closes (if it is still ours) and frees connection `slot`. */
static void drop(unsigned slot)
{
	struct connection *connection = server.connections[slot];
	pthread_mutex_lock(&server.descriptors_lock);
	if (still_ours(connection->fd, connection->inode))
		close(connection->fd);
	server.connections[slot] = NULL;
	pthread_mutex_unlock(&server.descriptors_lock);
	if (connection->state == WAITING) {
		profile_base_free(connection->window.base);
		server.windows--;
	}
	release_response(connection);
	free(connection);
}

static unsigned connection_count(void)
{
	unsigned count = 0;
	for (unsigned slot = 0; slot < MAX_CONNECTIONS; slot++)
		count += server.connections[slot] != NULL;
	return count;
}

/* Done with the answer: the client's side is read until it closes. */
static void start_draining(struct connection *connection, int64_t now)
{
	release_response(connection);
	shutdown(connection->fd, SHUT_WR);
	connection->state = DRAINING;
	connection->deadline = now + DRAIN_NANOS;
}

/* Sends what the socket takes; false when the connection is to be dropped. */
static bool send_answer(struct connection *connection, int64_t now)
{
	while (connection->sent < connection->response.length) {
		ssize_t sent =
			send(connection->fd, connection->response.data + connection->sent,
			     connection->response.length - connection->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (sent < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
		connection->sent += (size_t)sent;
	}
	start_draining(connection, now);
	return true;
}

static bool start_writing(struct connection *connection, int64_t now)
{
	if (connection->response.failed)
		return false;
	connection->state = WRITING;
	connection->sent = 0;
	connection->deadline = now + RESPONSE_NANOS;
	return send_answer(connection, now);
}

static bool answer(struct connection *connection, const struct http_request *request, int64_t now)
{
	if (pages_answer(request, server.windows < MAX_WINDOWS, &connection->response, &connection->window)) {
		server.windows++;
		connection->state = WAITING;
		connection->deadline = now + (int64_t)connection->window.seconds * NANOS_PER_SECOND;
		return true;
	}
	return start_writing(connection, monotonic_nanos());
}

/* Reads what has arrived; false when the connection is to be dropped. */
static bool read_request(struct connection *connection, int64_t now)
{
	ssize_t received = recv(connection->fd, connection->request + connection->received,
				sizeof connection->request - connection->received, MSG_DONTWAIT);
	if (received < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
	if (received == 0)
		return false;
	connection->received += (size_t)received;
	take_spare_response(connection);
	struct http_request request;
	switch (http_parse(connection->request, connection->received, &request)) {
	case HTTP_INCOMPLETE:
		return true;
	case HTTP_COMPLETE:
		return answer(connection, &request, now);
	case HTTP_TOO_LARGE:
		pages_refuse(431, &connection->response);
		return start_writing(connection, now);
	default:
		pages_refuse(400, &connection->response);
		return start_writing(connection, now);
	}
}

/* Reads and drops what the client sends after its answer; false once it has closed. */
static bool drain(struct connection *connection)
{
	for (;;) {
		ssize_t received =
			recv(connection->fd, connection->request, sizeof connection->request, MSG_DONTWAIT);
		if (received <= 0)
			return received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
	}
}

/* What a connection's poll result asks for; false when it is to be dropped. */
static bool serve_connection(struct connection *connection, short events, int64_t now)
{
	if (!still_ours(connection->fd, connection->inode)) {
		connection->fd = -1;
		return false;
	}
	switch (connection->state) {
	case READING:
		return read_request(connection, now);
	case WAITING:
		/* Only a hang-up is polled for: the client gave up on its window. */
		return !(events & (POLLRDHUP | POLLHUP | POLLERR));
	case WRITING:
		return send_answer(connection, now);
	default:
		return drain(connection);
	}
}

/* A deadline passed: a window ends with its answer; anything else is dropped. */
static bool expire(struct connection *connection, int64_t now)
{
	if (connection->state != WAITING)
		return false;
	server.windows--;
	take_spare_response(connection);
	pages_end_window(&connection->window, &connection->response);
	return start_writing(connection, now);
}

static void accept_one(int64_t now)
{
	unsigned slot = 0;
	while (slot < MAX_CONNECTIONS && server.connections[slot])
		slot++;
	struct connection *connection = slot < MAX_CONNECTIONS ? calloc(1, sizeof *connection) : NULL;
	if (!connection) {
		server.accept_resumes = now + ACCEPT_PAUSE_NANOS;
		return;
	}
	pthread_mutex_lock(&server.descriptors_lock);
	int fd = descriptor_accept(server.listener, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		*connection =
			(struct connection){.fd = fd, .inode = inode_of(fd), .deadline = now + REQUEST_NANOS};
		server.connections[slot] = connection;
	}
	pthread_mutex_unlock(&server.descriptors_lock);
	if (fd < 0) {
		free(connection);
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
			server.accept_resumes = now + ACCEPT_PAUSE_NANOS;
	}
}

static short events_for(const struct connection *connection)
{
	switch (connection->state) {
	case READING:
	case DRAINING:
		return POLLIN;
	case WAITING:
		return POLLRDHUP;
	default:
		return POLLOUT;
	}
}

/* Milliseconds until `deadline`, rounded up; at least 0. */
static int milliseconds_until(int64_t deadline, int64_t now)
{
	int64_t left = deadline - now;
	return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}

/* Marks the listener's entry in a poll's `slots`. */
#define LISTENER MAX_CONNECTIONS

/* One poll: fills `fds` and `slots` (the connection behind each entry, or LISTENER)
   and returns the number of entries. */
static nfds_t prepare_poll(struct pollfd *fds, unsigned *slots, int64_t now, int *timeout)
{
	nfds_t count = 0;
	*timeout = -1;
	if (connection_count() < MAX_CONNECTIONS) {
		if (now >= server.accept_resumes) {
			slots[count] = LISTENER;
			fds[count++] = (struct pollfd){.fd = server.listener, .events = POLLIN};
		} else {
			*timeout = milliseconds_until(server.accept_resumes, now);
		}
	}
	for (unsigned slot = 0; slot < MAX_CONNECTIONS; slot++) {
		struct connection *connection = server.connections[slot];
		if (!connection)
			continue;
		int wait = milliseconds_until(connection->deadline, now);
		if (*timeout < 0 || wait < *timeout)
			*timeout = wait;
		slots[count] = slot;
		fds[count++] = (struct pollfd){.fd = connection->fd, .events = events_for(connection)};
	}
	return count;
}

static void serve_ready(const struct pollfd *fds, const unsigned *slots, nfds_t count)
{
	int64_t now = monotonic_nanos();
	for (nfds_t i = 0; i < count; i++) {
		if (!fds[i].revents)
			continue;
		if (slots[i] == LISTENER)
			accept_one(now);
		else if (!serve_connection(server.connections[slots[i]], fds[i].revents, now))
			drop(slots[i]);
	}
}

static void expire_all(int64_t now)
{
	for (unsigned slot = 0; slot < MAX_CONNECTIONS; slot++) {
		struct connection *connection = server.connections[slot];
		if (connection && now >= connection->deadline && !expire(connection, now))
			drop(slot);
	}
}

/* The program closed the listening socket (a daemon closing every descriptor it did
   not open, say): its number may now be a file of the program's, never to be touched. */
static void stop_serving(void)
{
	char name[64];
	snprintf(name, sizeof name, "descriptor %d", server.listener);
	report("the program closed the endpoint's socket, ", name, 0);
	for (unsigned slot = 0; slot < MAX_CONNECTIONS; slot++) {
		if (server.connections[slot])
			drop(slot);
	}
	pthread_mutex_lock(&server.descriptors_lock);
	server.listener = -1;
	pthread_mutex_unlock(&server.descriptors_lock);
}

static void *serve_loop(void *argument)
{
	(void)argument;
	/* Its allocations are heapprof's own: never sampled, never recorded. */
	thread_state.busy = true;
	struct pollfd fds[1 + MAX_CONNECTIONS];
	unsigned slots[1 + MAX_CONNECTIONS];
	for (;;) {
		expire_all(monotonic_nanos());
		if (!still_ours(server.listener, server.listener_inode)) {
			stop_serving();
			return NULL;
		}
		int timeout;
		nfds_t count = prepare_poll(fds, slots, monotonic_nanos(), &timeout);
		int look = helper_thread_initial_ended() ? HELPER_THREAD_CHECK_MS : IDLE_LOOK_MS;
		if (poll(fds, count, timeout < 0 || timeout > look ? look : timeout) > 0)
			serve_ready(fds, slots, count);
		if (helper_thread_initial_ended())
			helper_thread_leave_if_alone();
	}
}

/* Connections a fork child inherited (their descriptors closed at the fork): freed
   once the child's own server thread runs. */
static void forget_inherited(void)
{
	for (unsigned slot = 0; slot < MAX_CONNECTIONS; slot++) {
		struct connection *connection = server.connections[slot];
		if (!connection)
			continue;
		if (connection->state == WAITING)
			profile_base_free(connection->window.base);
		pprof_buffer_free(&connection->response);
		free(connection);
		server.connections[slot] = NULL;
	}
	server.windows = 0;
}

static void *run(void *argument)
{
	forget_inherited();
	return serve_loop(argument);
}

static socklen_t inet_address(const struct serve_address *address, struct sockaddr_storage *storage)
{
	memset(storage, 0, sizeof *storage);
	if (address->kind == SERVE_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)storage;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(address->port);
		memcpy(&in6->sin6_addr, address->host, sizeof in6->sin6_addr);
		return sizeof *in6;
	}
	struct sockaddr_in *in = (struct sockaddr_in *)storage;
	in->sin_family = AF_INET;
	in->sin_port = htons(address->port);
	memcpy(&in->sin_addr, address->host, sizeof in->sin_addr);
	return sizeof *in;
}

static int fail(int fd)
{
	int error = errno;
	close(fd);
	errno = error;
	return -1;
}

/* Listens on a TCP address and writes the port bound back into it: -1 with errno. */
static int listen_inet(struct serve_address *address)
{
	struct sockaddr_storage storage;
	socklen_t length = inet_address(address, &storage);
	int fd = descriptor_socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return -1;
	int one = 1;
	/* A program that execs itself binds again while the old connections linger. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (storage.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&storage, length) != 0 || listen(fd, BACKLOG) != 0 ||
	    getsockname(fd, (struct sockaddr *)&storage, &length) != 0)
		return fail(fd);
	address->port = ntohs(storage.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&storage)->sin6_port
							    : ((struct sockaddr_in *)&storage)->sin_port);
	return fd;
}

/* The socket file's path: the template expanded, relative ones under the start-up
   directory. False when it does not fit. */
static bool socket_path(const char *template, char *path, size_t size)
{
	char expanded[PATH_MAX];
	if (!output_expand(template, 0, expanded, sizeof expanded))
		return false;
	int length = expanded[0] == '/' ? snprintf(path, size, "%s", expanded)
					: snprintf(path, size, "%s/%s", server.directory, expanded);
	return length > 0 && (size_t)length < size;
}

/* A socket file whose process is gone: connecting to it is refused. */
static bool stale(const struct sockaddr_un *address)
{
	struct stat status;
	if (lstat(address->sun_path, &status) != 0 || !S_ISSOCK(status.st_mode))
		return false;
	int probe = descriptor_socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
	if (probe < 0)
		return false;
	bool refused = connect(probe, (const struct sockaddr *)address, sizeof *address) != 0 &&
		       errno == ECONNREFUSED;
	close(probe);
	return refused;
}

/* Listens on a unix socket at `path`, replacing only a stale socket file: -1 with errno. */
static int listen_unix(const char *path)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof address.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(address.sun_path, path);
	int fd = descriptor_socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return -1;
	int bound = bind(fd, (struct sockaddr *)&address, sizeof address);
	if (bound != 0 && errno == EADDRINUSE && stale(&address) && unlink(path) == 0)
		bound = bind(fd, (struct sockaddr *)&address, sizeof address);
	struct stat status;
	if (bound != 0 || listen(fd, BACKLOG) != 0 || lstat(path, &status) != 0)
		return fail(fd);
	strcpy(server.socket_path, path);
	server.socket_inode = status.st_ino;
	server.socket_owner = getpid();
	return fd;
}

/* The port was the kernel's choice: one line says which. */
static void announce(const struct serve_address *address)
{
	char name[SERVE_PATH_MAX + 16];
	serve_address_name(address, name, sizeof name);
	struct log_line line;
	log_begin(&line);
	log_text(&line, "serving http://");
	log_text(&line, name);
	log_text(&line, "/debug/pprof/ for pid ");
	log_unsigned(&line, (uint64_t)getpid());
	log_end(&line);
}

/* Opens the listening socket for `address` (its port filled in); -1 with one line. */
static int open_listener(struct serve_address *address)
{
	char name[PATH_MAX + 8];
	int fd;
	if (address->kind == SERVE_UNIX) {
		char path[PATH_MAX];
		if (!socket_path(address->path, path, sizeof path)) {
			report("cannot serve on unix:", address->path, ENAMETOOLONG);
			return -1;
		}
		snprintf(name, sizeof name, "unix:%s", path);
		fd = listen_unix(path);
	} else {
		serve_address_name(address, name, sizeof name);
		fd = listen_inet(address);
	}
	if (fd < 0)
		report("cannot serve on ", name, errno);
	return fd;
}

void serve_start(void)
{
	static bool removal_registered;
	if (options.http.kind == SERVE_OFF)
		return;
	struct serve_address address = options.http;
	if (address.kind == SERVE_UNIX && !removal_registered) {
		removal_registered = atexit(serve_remove_socket) == 0;
		if (!getcwd(server.directory, sizeof server.directory))
			strcpy(server.directory, ".");
	}
	/* A fixed port is the parent's: a fork child takes a free one. */
	bool port_chosen = address.kind != SERVE_UNIX && (address.port == 0 || server.forked);
	if (server.forked)
		address.port = 0;
	int fd = open_listener(&address);
	if (fd < 0)
		return;
	pthread_mutex_lock(&server.descriptors_lock);
	server.listener = fd;
	server.listener_inode = inode_of(server.listener);
	pthread_mutex_unlock(&server.descriptors_lock);
	if (!helper_thread_start(run, NULL)) {
		report("cannot start the endpoint's thread", "", 0);
		serve_remove_socket();
		close(server.listener);
		server.listener = -1;
		return;
	}
	if (port_chosen)
		announce(&address);
}

void serve_remove_socket(void)
{
	struct stat status;
	if (server.socket_owner == getpid() && lstat(server.socket_path, &status) == 0 &&
	    status.st_ino == server.socket_inode)
		unlink(server.socket_path);
}

void serve_fork_prepare(void)
{
	pthread_mutex_lock(&server.descriptors_lock);
}

void serve_fork_parent(void)
{
	pthread_mutex_unlock(&server.descriptors_lock);
}

void serve_fork_child(void)
{
	if (still_ours(server.listener, server.listener_inode))
		close(server.listener);
	server.listener = -1;
	for (unsigned slot = 0; slot < MAX_CONNECTIONS; slot++) {
		struct connection *connection = server.connections[slot];
		if (connection && still_ours(connection->fd, connection->inode))
			close(connection->fd);
		if (connection)
			connection->fd = -1;
	}
	server.forked = true;
	pthread_mutex_unlock(&server.descriptors_lock);
}

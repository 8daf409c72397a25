/* HEAPPROF_HTTP: where the endpoint listens. Parsed without malloc and without DNS:
   a host is a literal address or localhost, never a name to look up inside someone
   else's process. */
#ifndef HEAPPROF_SERVE_ADDRESS_H
#define HEAPPROF_SERVE_ADDRESS_H

#include <stdbool.h>
#include <stdint.h>

enum serve_kind {
	SERVE_OFF,
	SERVE_INET,
	SERVE_INET6,
	SERVE_UNIX,
};

/* sun_path's size: a socket path, terminator included, must fit. */
#define SERVE_PATH_MAX 108

struct serve_address {
	enum serve_kind kind;
	uint8_t host[16]; /* network order; the first 4 bytes for SERVE_INET */
	uint16_t port;    /* 0: a free port, chosen by the kernel */
	/* SERVE_UNIX: the socket's path, a template with HEAPPROF_OUT's escapes */
	char path[SERVE_PATH_MAX];
};

/* Parses "HOST:PORT" (HOST an IPv4 address, "[IPv6]", "localhost", or empty for
   127.0.0.1; PORT 0-65535) or "unix:PATH". False when `text` is none of these; the
   caller then keeps the server off. The template's escapes are the caller's to check. */
bool serve_address_parse(const char *text, struct serve_address *address);

/* "127.0.0.1:6060", "[::1]:6060" or "unix:PATH" (as given) into `out`. */
void serve_address_name(const struct serve_address *address, char *out, unsigned size);

#endif

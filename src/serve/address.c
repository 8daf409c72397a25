#include "address.h"

#include <arpa/inet.h>
#include <string.h>

#include "log.h"

#define UNIX_PREFIX "unix:"

static bool parse_port(const char *text, uint16_t *port)
{
	unsigned value = 0;
	if (!*text)
		return false;
	for (; *text; text++) {
		if (*text < '0' || *text > '9')
			return false;
		value = value * 10 + (unsigned)(*text - '0');
		if (value > 65535)
			return false;
	}
	*port = (uint16_t)value;
	return true;
}

/* An IPv4 address, "[IPv6]", "localhost" or nothing (loopback). */
static bool parse_host(const char *host, size_t length, struct serve_address *address)
{
	char text[64];
	if (length >= sizeof text)
		return false;
	memcpy(text, host, length);
	text[length] = '\0';
	if (length == 0 || strcmp(text, "localhost") == 0) {
		address->kind = SERVE_INET;
		return inet_pton(AF_INET, "127.0.0.1", address->host) == 1;
	}
	if (text[0] == '[' && text[length - 1] == ']') {
		text[length - 1] = '\0';
		address->kind = SERVE_INET6;
		return inet_pton(AF_INET6, text + 1, address->host) == 1;
	}
	address->kind = SERVE_INET;
	return inet_pton(AF_INET, text, address->host) == 1;
}

bool serve_address_parse(const char *text, struct serve_address *address)
{
	struct serve_address parsed = {.kind = SERVE_OFF};
	if (strncmp(text, UNIX_PREFIX, strlen(UNIX_PREFIX)) == 0) {
		const char *path = text + strlen(UNIX_PREFIX);
		if (!*path || strlen(path) >= sizeof parsed.path)
			return false;
		parsed.kind = SERVE_UNIX;
		strcpy(parsed.path, path);
		*address = parsed;
		return true;
	}
	const char *colon = strrchr(text, ':');
	if (!colon || !parse_port(colon + 1, &parsed.port) ||
	    !parse_host(text, (size_t)(colon - text), &parsed))
		return false;
	*address = parsed;
	return true;
}

void serve_address_name(const struct serve_address *address, char *out, unsigned size)
{
	struct log_line line = {.length = 0};
	char host[INET6_ADDRSTRLEN];
	switch (address->kind) {
	case SERVE_UNIX:
		log_text(&line, UNIX_PREFIX);
		log_text(&line, address->path);
		break;
	case SERVE_INET6:
		inet_ntop(AF_INET6, address->host, host, sizeof host);
		log_text(&line, "[");
		log_text(&line, host);
		log_text(&line, "]:");
		log_unsigned(&line, address->port);
		break;
	default:
		inet_ntop(AF_INET, address->host, host, sizeof host);
		log_text(&line, host);
		log_text(&line, ":");
		log_unsigned(&line, address->port);
		break;
	}
	if (size == 0)
		return;
	size_t length = line.length < size - 1 ? line.length : size - 1;
	memcpy(out, line.text, length);
	out[length] = '\0';
}

#include "go_url.h"

#include <stddef.h>
#include <string.h>

/* The part of a URL an escape is checked for (net/url's encoding modes). */
enum part { PART_PATH, PART_FRAGMENT, PART_USERINFO, PART_HOST, PART_ZONE };

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static int unhex(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* net/url's shouldEscape for a host or zone: what may not stand as it is. */
static bool host_escapes(unsigned char c)
{
	return !is_alnum((char)c) && !strchr("!$&'()*+,;=:[]<>\"-_.~", c);
}

/* net/url's unescape, for whether it fails: each '%' takes two hex digits;
   a host may escape only bytes past ASCII (and %25), a zone only what a
   host may hold, and both hold no byte a host escapes. */
static bool unescapes(const char *s, size_t length, enum part part)
{
	bool host = part == PART_HOST || part == PART_ZONE;
	for (size_t i = 0; i < length; i++) {
		if (s[i] != '%') {
			if (host && (unsigned char)s[i] < 0x80 && host_escapes((unsigned char)s[i]))
				return false;
			continue;
		}
		if (i + 2 >= length || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
			return false;
		bool percent = s[i + 1] == '2' && s[i + 2] == '5';
		unsigned char byte = (unsigned char)(unhex(s[i + 1]) << 4 | unhex(s[i + 2]));
		if (part == PART_HOST && unhex(s[i + 1]) < 8 && !percent)
			return false;
		if (part == PART_ZONE && !percent && byte != ' ' && host_escapes(byte))
			return false;
		i += 2;
	}
	return true;
}

static bool valid_port(const char *s, size_t length)
{
	if (length == 0)
		return true;
	if (s[0] != ':')
		return false;
	for (size_t i = 1; i < length; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static const char *last_of(const char *s, size_t length, char c)
{
	for (size_t i = length; i-- > 0;)
		if (s[i] == c)
			return s + i;
	return NULL;
}

/* net/url's parseHost: [IPv6%25zone]:port, or host:port. */
static bool valid_host(const char *host, size_t length)
{
	if (length > 0 && host[0] == '[') {
		const char *close = last_of(host, length, ']');
		if (!close || !valid_port(close + 1, length - (size_t)(close + 1 - host)))
			return false;
		const char *zone = memmem(host, (size_t)(close - host), "%25", 3);
		if (zone)
			return unescapes(host, (size_t)(zone - host), PART_HOST) &&
			       unescapes(zone, (size_t)(close - zone), PART_ZONE) &&
			       unescapes(close, length - (size_t)(close - host), PART_HOST);
	} else {
		const char *colon = last_of(host, length, ':');
		if (colon && !valid_port(colon, length - (size_t)(colon - host)))
			return false;
	}
	return unescapes(host, length, PART_HOST);
}

/* net/url's parseAuthority: [userinfo@]host. */
static bool valid_authority(const char *authority, size_t length)
{
	const char *at = last_of(authority, length, '@');
	const char *host = at ? at + 1 : authority;
	if (!valid_host(host, length - (size_t)(host - authority)))
		return false;
	if (!at)
		return true;
	for (const char *c = authority; c < at; c++)
		if (!is_alnum(*c) && !strchr("-._:~!$&'()*+,;=%@", *c))
			return false;
	return unescapes(authority, (size_t)(at - authority), PART_USERINFO);
}

/* The length of the scheme ending in ':' that text starts with, or 0. */
static size_t scheme_length(const char *text, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		char c = text[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			continue;
		if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
			if (i == 0)
				return 0;
			continue;
		}
		return c == ':' ? i : 0;
	}
	return 0;
}

bool go_url_is_absolute(const char *text)
{
	const char *hash = strchr(text, '#');
	size_t length = hash ? (size_t)(hash - text) : strlen(text);
	for (size_t i = 0; i < length; i++)
		if ((unsigned char)text[i] < ' ' || text[i] == 0x7f)
			return false;
	size_t scheme = scheme_length(text, length);
	if (scheme == 0)
		return false;
	const char *rest = text + scheme + 1;
	const char *query = memchr(rest, '?', length - scheme - 1);
	size_t rest_length = query ? (size_t)(query - rest) : length - scheme - 1;
	if (rest_length > 0 && rest[0] == '/') {
		const char *path = rest;
		if (rest_length > 1 && rest[1] == '/') {
			const char *slash = memchr(rest + 2, '/', rest_length - 2);
			path = slash ? slash : rest + rest_length;
			if (!valid_authority(rest + 2, (size_t)(path - rest - 2)))
				return false;
		}
		if (!unescapes(path, rest_length - (size_t)(path - rest), PART_PATH))
			return false;
	}
	return !hash || unescapes(hash + 1, strlen(hash + 1), PART_FRAGMENT);
}

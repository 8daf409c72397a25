#include "http.h"

#include <string.h>

/* RFC 9110's tchar: the characters of a method and of a header's name. */
static bool is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The visible ASCII a request target may hold. */
static bool is_target_char(char c)
{
	return c > ' ' && c < 0x7f;
}

/* The end of the line starting at `line` (its '\n'), NULL when it has not arrived.
   A '\r' is allowed only right before the '\n'. */
static const char *line_end(const char *line, const char *end, bool *malformed)
{
	const char *newline = memchr(line, '\n', (size_t)(end - line));
	const char *carriage = memchr(line, '\r', (size_t)((newline ? newline : end) - line));
	if (carriage && carriage + 1 != (newline ? newline : end))
		*malformed = true;
	return newline;
}

/* The line without its "\r\n" or "\n". */
static size_t content_length(const char *line, const char *newline)
{
	size_t length = (size_t)(newline - line);
	return length && line[length - 1] == '\r' ? length - 1 : length;
}

/* Every character of a request line not yet complete could still belong to a valid one. */
static bool plausible_start(const char *line, size_t length)
{
	size_t i = 0;
	while (i < length && is_token_char(line[i]))
		i++;
	if (i == length)
		return true;
	if (i == 0 || line[i] != ' ')
		return false;
	for (i++; i < length; i++) {
		if (!is_target_char(line[i]) && line[i] != ' ' && !(line[i] == '\r' && i + 1 == length))
			return false;
	}
	return true;
}

static enum http_method method_of(const char *name, size_t length)
{
	if (length == 3 && memcmp(name, "GET", 3) == 0)
		return HTTP_GET;
	if (length == 4 && memcmp(name, "HEAD", 4) == 0)
		return HTTP_HEAD;
	return HTTP_OTHER;
}

/* "METHOD TARGET HTTP/1.x": the target in origin form ("/path?query") or absolute form
   ("http://host/path?query"). */
static bool parse_request_line(const char *line, size_t length, struct http_request *request)
{
	static const char *const versions[] = {"HTTP/1.1", "HTTP/1.0"};
	const char *end = line + length;
	const char *space = memchr(line, ' ', length);
	if (!space || space == line)
		return false;
	for (const char *c = line; c < space; c++) {
		if (!is_token_char(*c))
			return false;
	}
	const char *target = space + 1;
	const char *second = memchr(target, ' ', (size_t)(end - target));
	if (!second || second == target || (size_t)(end - second - 1) != strlen(versions[0]))
		return false;
	if (memcmp(second + 1, versions[0], 8) != 0 && memcmp(second + 1, versions[1], 8) != 0)
		return false;
	for (const char *c = target; c < second; c++) {
		if (!is_target_char(*c))
			return false;
	}
	static const char *const schemes[] = {"http://", "https://"};
	for (unsigned i = 0; i < 2; i++) {
		size_t scheme_length = strlen(schemes[i]);
		if ((size_t)(second - target) > scheme_length &&
		    memcmp(target, schemes[i], scheme_length) == 0) {
			target = memchr(target + scheme_length, '/',
					(size_t)(second - target - scheme_length));
			if (!target)
				return false;
		}
	}
	if (*target != '/')
		return false;
	const char *question = memchr(target, '?', (size_t)(second - target));
	request->method = method_of(line, (size_t)(space - line));
	request->path = target;
	request->path_length = (size_t)((question ? question : second) - target);
	request->query = question ? question + 1 : second;
	request->query_length = question ? (size_t)(second - question - 1) : 0;
	return true;
}

/* "Name: value", with no folding onto a following line. */
static bool valid_header(const char *line, size_t length)
{
	size_t i = 0;
	while (i < length && is_token_char(line[i]))
		i++;
	if (i == 0 || i == length || line[i] != ':')
		return false;
	for (i++; i < length; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < ' ' && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

enum http_progress http_parse(const char *data, size_t length, struct http_request *request)
{
	const char *end = data + length;
	bool malformed = false;
	const char *newline = line_end(data, end, &malformed);
	if (malformed || memchr(data, '\0', length))
		return HTTP_MALFORMED;
	if (!newline) {
		if (!plausible_start(data, length))
			return HTTP_MALFORMED;
		return length >= HTTP_HEADER_LIMIT ? HTTP_TOO_LARGE : HTTP_INCOMPLETE;
	}
	if (!parse_request_line(data, content_length(data, newline), request))
		return HTTP_MALFORMED;
	for (const char *line = newline + 1;; line = newline + 1) {
		newline = line_end(line, end, &malformed);
		if (malformed)
			return HTTP_MALFORMED;
		if (!newline)
			return length >= HTTP_HEADER_LIMIT ? HTTP_TOO_LARGE : HTTP_INCOMPLETE;
		size_t line_length = content_length(line, newline);
		if (line_length == 0)
			return (size_t)(newline + 1 - data) > HTTP_HEADER_LIMIT ? HTTP_TOO_LARGE
										: HTTP_COMPLETE;
		if (!valid_header(line, line_length))
			return HTTP_MALFORMED;
	}
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes `length` bytes of `text` into `out`; '+' is a space where `plus_is_space`. */
static bool decode(const char *text, size_t length, bool plus_is_space, char *out, size_t size)
{
	size_t written = 0;
	for (size_t i = 0; i < length; i++) {
		char c = text[i];
		if (c == '%') {
			if (i + 2 >= length)
				return false;
			int upper = hex_digit(text[i + 1]), lower = hex_digit(text[i + 2]);
			if (upper < 0 || lower < 0)
				return false;
			c = (char)(upper * 16 + lower);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (c == '\0' || written + 1 >= size)
			return false;
		out[written++] = c;
	}
	if (size == 0)
		return false;
	out[written] = '\0';
	return true;
}

bool http_path(const struct http_request *request, char *out, size_t size)
{
	return decode(request->path, request->path_length, false, out, size);
}

bool http_query_value(const struct http_request *request, const char *name, char *out, size_t size)
{
	const char *cursor = request->query, *end = request->query + request->query_length;
	char key[64];
	while (cursor < end) {
		const char *pair_end = memchr(cursor, '&', (size_t)(end - cursor));
		if (!pair_end)
			pair_end = end;
		const char *equals = memchr(cursor, '=', (size_t)(pair_end - cursor));
		const char *key_end = equals ? equals : pair_end;
		if (decode(cursor, (size_t)(key_end - cursor), true, key, sizeof key) &&
		    strcmp(key, name) == 0) {
			const char *value = equals ? equals + 1 : pair_end;
			return decode(value, (size_t)(pair_end - value), true, out, size);
		}
		cursor = pair_end + 1;
	}
	return false;
}

static const char *reason(unsigned status)
{
	switch (status) {
	case 200:
		return "OK";
	case 301:
		return "Moved Permanently";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	default:
		return "Internal Server Error";
	}
}

void http_respond(struct pprof_buffer *out, unsigned status, const char *content_type,
		  const char *extra_headers, const void *body, size_t length, bool head)
{
	pprof_printf(out,
		     "HTTP/1.1 %u %s\r\n"
		     "Content-Type: %s\r\n"
		     "X-Content-Type-Options: nosniff\r\n"
		     "Content-Length: %zu\r\n"
		     "Connection: close\r\n"
		     "%s\r\n",
		     status, reason(status), content_type, length, extra_headers ? extra_headers : "");
	if (!head)
		pprof_append(out, body, length);
}

void http_respond_error(struct pprof_buffer *out, unsigned status, const char *message,
			const char *extra_headers, bool head)
{
	struct pprof_buffer body = {0};
	pprof_printf(&body, "%s\n", message);
	http_respond(out, status, "text/plain; charset=utf-8", extra_headers, body.data, body.length, head);
	if (body.failed)
		out->failed = true;
	pprof_buffer_free(&body);
}

/* The HTTP/1.1 the endpoint speaks: a request's line and headers, parsed from the bytes
   received so far, and a whole response written into a buffer. Requests are read once
   and answered once; every connection is closed after its answer. */
#ifndef HEAPPROF_SERVE_HTTP_H
#define HEAPPROF_SERVE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "write/pprof_writer.h"

/* The request line and headers together, their end included. */
#define HTTP_HEADER_LIMIT 8192

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_OTHER, /* any other well-formed method: answered 405 */
};

/* Where the request stands after the bytes received so far. */
enum http_progress {
	HTTP_INCOMPLETE, /* well-formed so far: wait for more */
	HTTP_COMPLETE,   /* the request line and every header are in */
	HTTP_MALFORMED,  /* 400 */
	HTTP_TOO_LARGE,  /* the headers do not end within HTTP_HEADER_LIMIT: 431 */
};

/* Points into the received bytes, which must outlive it. */
struct http_request {
	enum http_method method;
	const char *path; /* as sent, percent escapes included, without the query */
	size_t path_length;
	const char *query; /* after '?'; empty when there is none */
	size_t query_length;
};

enum http_progress http_parse(const char *data, size_t length, struct http_request *request);

/* The request's path, percent escapes decoded, into `out` of `size` bytes. False when
   it has a malformed escape, a NUL, or does not fit. */
bool http_path(const struct http_request *request, char *out, size_t size);

/* The first value of query parameter `name`, decoded ('+' is a space), into `out` of
   `size` bytes. False when the parameter is absent or its value does not fit. */
bool http_query_value(const struct http_request *request, const char *name, char *out, size_t size);

/* A whole response: status line, Content-Type, Content-Length, Connection: close,
   `extra_headers` (each line ending in "\r\n", or NULL), then the body unless the
   request was HEAD. */
void http_respond(struct pprof_buffer *out, unsigned status, const char *content_type,
		  const char *extra_headers, const void *body, size_t length, bool head);

/* A plain-text error answer, as Go's http.Error writes it: the message and a newline. */
void http_respond_error(struct pprof_buffer *out, unsigned status, const char *message,
			const char *extra_headers, bool head);

#endif

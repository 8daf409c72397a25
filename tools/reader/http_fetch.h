/* A profile fetched from a URL with libcurl, as go tool pprof fetches one (its -seconds
   and -timeout). The answer is hostile input like any file: it is read only up to the
   reader's budget, within a connect and a total timeout, through at most 10 redirects
   and only over HTTP or HTTPS; anything but a 200 is an error. */
#ifndef HEAPPROF_TOOLS_HTTP_FETCH_H
#define HEAPPROF_TOOLS_HTTP_FETCH_H

#include <stdbool.h>
#include <stddef.h>

/* go tool pprof's -seconds (a window: seconds=N in the URL's query, replacing any) and
   -timeout (seconds to wait, 5 more for the transfer; by default 1.5 times the
   window, or 60); 0 or less leaves either unset. */
struct http_fetch_options {
	int seconds;
	int timeout;
};

/* Whether a profile argument is a URL (http:// or https://) rather than a file. */
bool http_fetch_is_url(const char *source);

/* The body of the 200 answer to GET `url`, malloc'd, at most `limit` bytes; NULL with
   a one-line reason in `error`. Says on stderr what it fetches, as go tool pprof does. */
unsigned char *http_fetch(const char *url, const struct http_fetch_options *options, size_t limit,
			  size_t *size, char *error, size_t error_size);

#endif

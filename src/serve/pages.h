/* What the endpoint answers: Go's net/http/pprof paths for the heap. */
#ifndef HEAPPROF_SERVE_PAGES_H
#define HEAPPROF_SERVE_PAGES_H

#include <stdbool.h>

#include "http.h"
#include "write/profile.h"

/* At most this long a window (?seconds=N). */
#define PAGES_MAX_SECONDS 3600

/* A ?seconds=N request: answered when its N seconds have passed. */
struct pages_window {
	struct profile_base *base; /* the allocation counts at its start */
	unsigned seconds;
	bool allocs; /* /allocs rather than /heap */
	bool head;
};

/* Answers `request` into `response` and returns false; or, for ?seconds=N, starts
   `window` and returns true, and the answer waits for pages_end_window. With
   `windows_left` false a ?seconds request is answered 503. */
bool pages_answer(const struct http_request *request, bool windows_left, struct pprof_buffer *response,
		  struct pages_window *window);

/* The answer to a window whose time has come; frees its base. */
void pages_end_window(struct pages_window *window, struct pprof_buffer *response);

/* For a request the server cannot parse: `status` 400 or 431. */
void pages_refuse(unsigned status, struct pprof_buffer *response);

#endif

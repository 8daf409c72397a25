#include "pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heapprof.h"
#include "record/sites.h"
#include "write/describe.h"
#include "write/dump.h"

#define PREFIX "/debug/pprof/"
#define TOP_SITES 20
#define TEXT(number) #number
#define TEXT_OF(number) TEXT(number)

enum profile_kind {
	NOT_A_PROFILE,
	HEAP,
	ALLOCS,
};

static enum profile_kind profile_named(const char *path)
{
	if (strcmp(path, PREFIX "heap") == 0)
		return HEAP;
	if (strcmp(path, PREFIX "allocs") == 0)
		return ALLOCS;
	return NOT_A_PROFILE;
}

static void index_page(struct pprof_buffer *response, bool head)
{
	unsigned long long sites = (unsigned long long)sites_counts().sites;
	struct pprof_buffer body = {0};
	pprof_printf(&body,
		     "<html>\n<head>\n<title>/debug/pprof/</title>\n</head>\n<body>\n/debug/pprof/\n<br>\n"
		     "<p>Set debug=1 as a query parameter to read a profile as text</p>\n<br>\n"
		     "Types of profiles available:\n<table>\n<thead><td>Count</td><td>Profile</td></thead>\n"
		     "<tr><td>%llu</td><td><a href='allocs?debug=1'>allocs</a></td></tr>\n"
		     "<tr><td>%llu</td><td><a href='heap?debug=1'>heap</a></td></tr>\n"
		     "</table>\n<br>\n<p>\nProfile Descriptions:\n<ul>\n"
		     "<li><div class=profile-name>allocs: </div> A sampling of all past memory allocations "
		     "(<a href='allocs'>profile</a>)</li>\n"
		     "<li><div class=profile-name>heap: </div> A sampling of memory allocations of live "
		     "objects (<a href='heap'>profile</a>)</li>\n"
		     "</ul>\n</p>\n</body>\n</html>\n",
		     sites, sites);
	http_respond(response, 200, "text/html; charset=utf-8", NULL, body.data, body.length, head);
	pprof_buffer_free(&body);
}

/* ?debug=1: heapprof_read_stats and the top sites, for a person. */
static void text_page(enum profile_kind kind, struct pprof_buffer *response, bool head)
{
	struct heapprof_stats stats;
	heapprof_read_stats(&stats);
	struct pprof_buffer body = {0};
	pprof_printf(&body,
		     "heapprof %s of %s, pid %d\n"
		     "# heapprof_read_stats\n"
		     "total_alloc_bytes: %llu\ntotal_alloc_objects: %llu\ntotal_free_objects: %llu\n"
		     "inuse_bytes_estimate: %llu\ninuse_objects_estimate: %llu\n"
		     "peak_inuse_bytes_estimate: %llu\nsamples: %llu\nrate: %llu\n",
		     kind == HEAP ? "heap" : "allocs", program_invocation_short_name, (int)getpid(),
		     stats.total_alloc_bytes, stats.total_alloc_objects, stats.total_free_objects,
		     stats.inuse_bytes_estimate, stats.inuse_objects_estimate,
		     stats.peak_inuse_bytes_estimate, stats.samples, stats.rate);
	dump_describe(&body, kind == HEAP ? DESCRIBE_INUSE_SPACE : DESCRIBE_ALLOC_SPACE, TOP_SITES);
	http_respond(response, 200, "text/plain; charset=utf-8", NULL, body.data, body.length, head);
	pprof_buffer_free(&body);
}

/* gzip'd profile.proto; /allocs differs from /heap only in its default sample type. */
static void profile_page(enum profile_kind kind, const struct profile_base *base,
			 struct pprof_buffer *response, bool head)
{
	const struct pprof_buffer *body = dump_build(base, kind == ALLOCS ? "alloc_space" : NULL);
	if (!body) {
		http_respond_error(response, 500, "cannot build the profile: out of memory", NULL, head);
		return;
	}
	char disposition[64];
	snprintf(disposition, sizeof disposition, "Content-Disposition: attachment; filename=\"%s%s\"\r\n",
		 kind == HEAP ? "heap" : "allocs", base ? "-delta" : "");
	http_respond(response, 200, "application/octet-stream", disposition, body->data, body->length, head);
	dump_build_finished();
}

/* strconv.Atoi's digits, as Go's handler reads debug: anything else is 0. */
static long number(const char *text)
{
	char *end;
	errno = 0;
	long value = strtol(text, &end, 10);
	return *text && !*end && !errno && !strchr(" \t\n", *text) ? value : 0;
}

/* ?seconds=N: false (with the error answered) when N is not a positive whole number
   of seconds up to the limit, or the window cannot start. */
static bool start_window(const struct http_request *request, const char *seconds, bool windows_left,
			 struct pprof_buffer *response, struct pages_window *window)
{
	bool head = request->method == HTTP_HEAD;
	char debug[32];
	long value = number(seconds);
	if (value <= 0) {
		http_respond_error(response, 400,
				   "invalid value for \"seconds\" - must be a positive integer", NULL, head);
		return false;
	}
	if (value > PAGES_MAX_SECONDS) {
		http_respond_error(response, 400, "\"seconds\" must be at most " TEXT_OF(PAGES_MAX_SECONDS),
				   NULL, head);
		return false;
	}
	if (http_query_value(request, "debug", debug, sizeof debug) && debug[0]) {
		http_respond_error(response, 400, "\"seconds\" and \"debug\" params are incompatible", NULL,
				   head);
		return false;
	}
	if (!windows_left) {
		http_respond_error(response, 503, "too many ?seconds requests at once; try again later",
				   "Retry-After: 10\r\n", head);
		return false;
	}
	window->base = profile_base_take();
	if (!window->base) {
		http_respond_error(response, 500, "cannot start the window: out of memory", NULL, head);
		return false;
	}
	window->seconds = (unsigned)value;
	window->head = head;
	return true;
}

bool pages_answer(const struct http_request *request, bool windows_left, struct pprof_buffer *response,
		  struct pages_window *window)
{
	bool head = request->method == HTTP_HEAD;
	char path[256], value[32];
	if (request->method == HTTP_OTHER) {
		http_respond_error(response, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n", false);
		return false;
	}
	if (!http_path(request, path, sizeof path)) {
		http_respond_error(response, 404, "404 page not found", NULL, head);
		return false;
	}
	if (strncmp(path, PREFIX, strlen(PREFIX)) != 0) {
		if (strcmp(path, "/debug/pprof") == 0)
			http_respond_error(response, 301, "Moved Permanently", "Location: " PREFIX "\r\n",
					   head);
		else
			http_respond_error(response, 404, "404 page not found", NULL, head);
		return false;
	}
	if (strcmp(path, PREFIX) == 0) {
		index_page(response, head);
		return false;
	}
	enum profile_kind kind = profile_named(path);
	if (kind == NOT_A_PROFILE) {
		http_respond_error(response, 404, "Unknown profile", NULL, head);
		return false;
	}
	if (dump_exit_started()) {
		http_respond_error(response, 503, "the program is exiting", NULL, head);
		return false;
	}
	if (http_query_value(request, "seconds", value, sizeof value) && value[0]) {
		window->allocs = kind == ALLOCS;
		return start_window(request, value, windows_left, response, window);
	}
	if (http_query_value(request, "debug", value, sizeof value) && number(value) != 0)
		text_page(kind, response, head);
	else
		profile_page(kind, NULL, response, head);
	return false;
}

void pages_end_window(struct pages_window *window, struct pprof_buffer *response)
{
	profile_page(window->allocs ? ALLOCS : HEAP, window->base, response, window->head);
	profile_base_free(window->base);
	window->base = NULL;
}

void pages_refuse(unsigned status, struct pprof_buffer *response)
{
	http_respond_error(response, status,
			   status == 431 ? "Request Header Fields Too Large" : "Bad Request", NULL, false);
}

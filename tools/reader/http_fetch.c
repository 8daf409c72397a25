#include "http_fetch.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* go tool pprof's timeouts (internal/driver/fetch.go): a minute, or the window and
   half of it again, and 5 s more for the transfer. */
enum {
	DEFAULT_TIMEOUT_SECONDS = 60,
	TRANSFER_SECONDS = 5,
	CONNECT_TIMEOUT_SECONDS = 10,
	MOST_REDIRECTS = 10, /* as Go's http.Client */
};

struct transfer {
	CURL *curl;
	unsigned char *bytes;
	size_t size, capacity, limit;
	bool too_large, out_of_memory, refused_status;
	long status;
	char status_line[96]; /* the last answer's, after its HTTP version; printable */
};

bool http_fetch_is_url(const char *source)
{
	return !strncmp(source, "http://", 7) || !strncmp(source, "https://", 8);
}

/* Text from the network, fit for a message: printable ASCII only. */
static void printable_copy(char *out, size_t out_size, const char *text, size_t length)
{
	size_t used = 0;
	for (size_t i = 0; i < length && used + 1 < out_size; i++) {
		unsigned char c = (unsigned char)text[i];
		out[used++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[used] = '\0';
}

static size_t take_header(char *line, size_t size, size_t count, void *context)
{
	struct transfer *transfer = context;
	size_t length = size * count;
	const char *code = length > 5 && !memcmp(line, "HTTP/", 5) ? memchr(line, ' ', length) : NULL;
	if (code) {
		const char *end = line + length;
		while (end > code && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
			end--;
		printable_copy(transfer->status_line, sizeof transfer->status_line, code + 1,
			       (size_t)(end - code - 1));
	}
	return length;
}

/* The body of a 200, up to the limit; any other answer stops at its first byte. */
static size_t take_body(char *data, size_t size, size_t count, void *context)
{
	struct transfer *transfer = context;
	size_t length = size * count;
	long status = 0;
	curl_easy_getinfo(transfer->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		transfer->refused_status = true;
		return 0;
	}
	if (length > transfer->limit - transfer->size) {
		transfer->too_large = true;
		return 0;
	}
	if (transfer->size + length > transfer->capacity) {
		size_t grown = transfer->capacity ? transfer->capacity : 1 << 16;
		while (grown < transfer->size + length)
			grown = grown > transfer->limit / 2 ? transfer->limit : grown * 2;
		unsigned char *larger = realloc(transfer->bytes, grown);
		if (!larger) {
			transfer->out_of_memory = true;
			return 0;
		}
		transfer->bytes = larger;
		transfer->capacity = grown;
	}
	memcpy(transfer->bytes + transfer->size, data, length);
	transfer->size += length;
	return length;
}

static bool is_seconds_parameter(const char *parameter, size_t length)
{
	return (length >= 8 && !memcmp(parameter, "seconds=", 8)) ||
	       (length == 7 && !memcmp(parameter, "seconds", 7));
}

/* The window a query asks for itself, which go tool pprof also reads for its timeout;
   0 for none. */
static long window_asked(const char *query)
{
	for (const char *parameter = query; parameter && *parameter;) {
		size_t length = strcspn(parameter, "&");
		if (length > 8 && is_seconds_parameter(parameter, length)) {
			char *end;
			long seconds = strtol(parameter + 8, &end, 10);
			return end == parameter + length && seconds > 0 && seconds <= INT32_MAX ? seconds : 0;
		}
		parameter += length + (parameter[length] == '&');
	}
	return 0;
}

/* The query without its seconds parameters, then seconds=N, as go tool pprof sets it. */
static char *query_with_seconds(const char *query, int seconds)
{
	size_t room = (query ? strlen(query) : 0) + 32;
	char *out = malloc(room);
	if (!out)
		return NULL;
	size_t used = 0;
	for (const char *parameter = query; parameter && *parameter;) {
		size_t length = strcspn(parameter, "&");
		if (length && !is_seconds_parameter(parameter, length)) {
			memcpy(out + used, parameter, length);
			used += length;
			out[used++] = '&';
		}
		parameter += length + (parameter[length] == '&');
	}
	snprintf(out + used, room - used, "seconds=%d", seconds);
	return out;
}

/* Sets seconds=N in the query of `parts`, which was `query`; false when it cannot. */
static bool set_seconds(CURLU *parts, const char *query, int seconds)
{
	char *replaced = query_with_seconds(query, seconds);
	bool set = replaced && curl_url_set(parts, CURLUPART_QUERY, replaced, 0) == CURLUE_OK;
	free(replaced);
	return set;
}

/* The URL to fetch, malloc'd, and the window it asks for; NULL when libcurl cannot
   parse `url`. */
static char *target_url(const char *url, int seconds, long *window)
{
	CURLU *parts = curl_url();
	char *query = NULL, *target = NULL, *result = NULL;
	if (parts && curl_url_set(parts, CURLUPART_URL, url, 0) == CURLUE_OK) {
		curl_url_get(parts, CURLUPART_QUERY, &query, 0);
		*window = seconds > 0 ? seconds : window_asked(query);
		if ((seconds <= 0 || set_seconds(parts, query, seconds)) &&
		    curl_url_get(parts, CURLUPART_URL, &target, 0) == CURLUE_OK)
			result = strdup(target);
	}
	curl_free(query);
	curl_free(target);
	curl_url_cleanup(parts);
	return result;
}

/* time.Duration's text for whole seconds: 30s, 1m0s, 1h0m0s. */
static void go_duration(char *text, size_t size, long seconds)
{
	long hours = seconds / 3600, minutes = seconds / 60 % 60, rest = seconds % 60;
	if (hours)
		snprintf(text, size, "%ldh%ldm%lds", hours, minutes, rest);
	else if (minutes)
		snprintf(text, size, "%ldm%lds", minutes, rest);
	else
		snprintf(text, size, "%lds", rest);
}

static void announce(const char *target, int seconds)
{
	fprintf(stderr, "Fetching profile over HTTP from %s\n", target);
	if (seconds > 0) {
		char duration[32];
		go_duration(duration, sizeof duration, seconds);
		fprintf(stderr, "Please wait... (%s)\n", duration);
	}
}

static CURLcode perform(struct transfer *transfer, const char *target, long timeout, char *reason)
{
	static bool initialized;
	if (!initialized && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return CURLE_FAILED_INIT;
	initialized = true;
	CURL *curl = transfer->curl = curl_easy_init();
	if (!curl)
		return CURLE_FAILED_INIT;
	curl_easy_setopt(curl, CURLOPT_URL, target);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(curl, CURLOPT_MAXREDIRS, (long)MOST_REDIRECTS);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_SECONDS);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)transfer->limit);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "heapprof");
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, take_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, transfer);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, take_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, transfer);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, reason);
	CURLcode code = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &transfer->status);
	curl_easy_cleanup(curl);
	return code;
}

/* Why the transfer failed, in `error`; false when it did not. */
static bool failed(const struct transfer *transfer, CURLcode code, const char *reason, const char *target,
		   char *error, size_t error_size)
{
	if (transfer->too_large || code == CURLE_FILESIZE_EXCEEDED) {
		snprintf(error, error_size, "%s: the answer is larger than %zu MiB, the most heapprof reads",
			 target, transfer->limit >> 20);
	} else if (transfer->out_of_memory) {
		snprintf(error, error_size, "%s: out of memory", target);
	} else if (transfer->refused_status || (code == CURLE_OK && transfer->status != 200)) {
		snprintf(error, error_size, "%s: server response: %s", target, transfer->status_line);
	} else if (code != CURLE_OK) {
		const char *text = reason[0] ? reason : curl_easy_strerror(code);
		char said[CURL_ERROR_SIZE];
		printable_copy(said, sizeof said, text, strlen(text));
		snprintf(error, error_size, "%s: http fetch: %s", target, said);
	} else {
		return false;
	}
	return true;
}

unsigned char *http_fetch(const char *url, const struct http_fetch_options *options, size_t limit,
			  size_t *size, char *error, size_t error_size)
{
	long window = 0;
	char *target = target_url(url, options->seconds, &window);
	if (!target) {
		snprintf(error, error_size, "%s: not a URL heapprof can fetch", url);
		return NULL;
	}
	announce(target, options->seconds);
	long timeout = options->timeout > 0 ? options->timeout
		       : window > 0         ? window + window / 2
					    : DEFAULT_TIMEOUT_SECONDS;
	struct transfer transfer = {.limit = limit};
	char reason[CURL_ERROR_SIZE] = "";
	CURLcode code = perform(&transfer, target, timeout + TRANSFER_SECONDS, reason);
	bool refused = failed(&transfer, code, reason, target, error, error_size);
	if (!refused && !transfer.bytes && !(transfer.bytes = malloc(1))) {
		snprintf(error, error_size, "%s: out of memory", target);
		refused = true;
	}
	free(target);
	if (refused) {
		free(transfer.bytes);
		return NULL;
	}
	*size = transfer.size;
	return transfer.bytes;
}

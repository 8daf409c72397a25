#include "serve/http.h"

#include "check.h"

static enum http_progress parse(const char *text, struct http_request *request)
{
	return http_parse(text, strlen(text), request);
}

static void check_progress(const char *text, enum http_progress expected)
{
	struct http_request request;
	enum http_progress progress = parse(text, &request);
	if (progress != expected)
		CHECK_FAILED("\"%.60s\": progress %d, expected %d", text, (int)progress, (int)expected);
}

static void check_target(const char *text, enum http_method method, const char *path, const char *query)
{
	struct http_request request;
	CHECK_UINT(parse(text, &request), HTTP_COMPLETE);
	CHECK_UINT(request.method, method);
	CHECK_BYTES(request.path, request.path_length, path, strlen(path));
	CHECK_BYTES(request.query, request.query_length, query, strlen(query));
}

static void test_complete(void)
{
	check_target("GET /debug/pprof/heap HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_GET, "/debug/pprof/heap", "");
	check_target("HEAD /debug/pprof/allocs?seconds=5&gc=1 HTTP/1.0\r\n\r\n", HTTP_HEAD,
		     "/debug/pprof/allocs", "seconds=5&gc=1");
	check_target("GET /a? HTTP/1.1\n\n", HTTP_GET, "/a", "");
	check_target("POST /debug/pprof/ HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", HTTP_OTHER,
		     "/debug/pprof/", "");
	check_target("GET http://127.0.0.1:6060/debug/pprof/heap?debug=1 HTTP/1.1\r\n\r\n", HTTP_GET,
		     "/debug/pprof/heap", "debug=1");
	check_target("GET / HTTP/1.1\r\nUser-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip\r\n"
		     "X-Empty:\r\nX-Tab: a\tb\r\n\r\n",
		     HTTP_GET, "/", "");
}

static void test_incomplete(void)
{
	static const char *const partial[] = {
		"",
		"G",
		"GET",
		"GET ",
		"GET /debug",
		"GET /debug/pprof/heap HTTP/1.1",
		"GET /debug/pprof/heap HTTP/1.1\r",
		"GET / HTTP/1.1\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n\r",
	};
	for (size_t i = 0; i < sizeof partial / sizeof partial[0]; i++)
		check_progress(partial[i], HTTP_INCOMPLETE);
}

/* Garbage is refused as soon as it cannot start a request, without waiting for a line. */
static void test_malformed(void)
{
	static const char *const malformed[] = {
		"\x16\x03\x01\x02\x00",
		"\xff\xfe",
		" GET / HTTP/1.1\r\n\r\n",
		"GET\t/ HTTP/1.1\r\n\r\n",
		"GET /a\x01 HTTP/1.1",
		"GET / HTTP/1.1\rX",
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.1 \r\n\r\n",
		"GET /  HTTP/1.1\r\n\r\n",
		"GET * HTTP/1.1\r\n\r\n",
		"GET relative HTTP/1.1\r\n\r\n",
		"GET http://host HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nNo colon\r\n\r\n",
		"GET / HTTP/1.1\r\n: empty name\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\r\nBad\x01: x\r\n\r\n",
		"GET / HTTP/1.1\r\nX: a\x01\r\n\r\n",
		"\r\n",
		"GET / HTTP/1.1\r\nX: \r\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		check_progress(malformed[i], HTTP_MALFORMED);
	struct http_request request;
	CHECK_UINT(http_parse("GET / HTTP/1.1\r\n\0\r\n\r\n", 21, &request), HTTP_MALFORMED);
}

/* Headers that do not end within the limit: 431. */
static void test_too_large(void)
{
	static char text[HTTP_HEADER_LIMIT + 64];
	strcpy(text, "GET / HTTP/1.1\r\nX: ");
	size_t length = strlen(text);
	memset(text + length, 'a', HTTP_HEADER_LIMIT - length);
	struct http_request request;
	CHECK_UINT(http_parse(text, HTTP_HEADER_LIMIT - 1, &request), HTTP_INCOMPLETE);
	CHECK_UINT(http_parse(text, HTTP_HEADER_LIMIT, &request), HTTP_TOO_LARGE);
	memset(text, 0, sizeof text);
	strcpy(text, "GET /");
	memset(text + 5, 'a', HTTP_HEADER_LIMIT);
	CHECK_UINT(http_parse(text, HTTP_HEADER_LIMIT, &request), HTTP_TOO_LARGE);
	/* Ending exactly at the limit is allowed. */
	memset(text, 0, sizeof text);
	strcpy(text, "GET / HTTP/1.1\r\nX: ");
	length = strlen(text);
	memset(text + length, 'a', HTTP_HEADER_LIMIT - length - 4);
	memcpy(text + HTTP_HEADER_LIMIT - 4, "\r\n\r\n", 4);
	CHECK_UINT(http_parse(text, HTTP_HEADER_LIMIT, &request), HTTP_COMPLETE);
}

static void check_value(const char *target, const char *name, const char *expected)
{
	char text[256], value[64];
	snprintf(text, sizeof text, "GET %s HTTP/1.1\r\n\r\n", target);
	struct http_request request;
	CHECK_UINT(parse(text, &request), HTTP_COMPLETE);
	bool found = http_query_value(&request, name, value, sizeof value);
	if (!expected) {
		if (found)
			CHECK_FAILED("%s: %s found as \"%s\"", target, name, value);
		return;
	}
	if (!found)
		CHECK_FAILED("%s: %s not found", target, name);
	CHECK_STR(value, expected);
}

static void test_query(void)
{
	check_value("/heap?seconds=5", "seconds", "5");
	check_value("/heap?gc=1&seconds=30&seconds=7", "seconds", "30");
	check_value("/heap?debug", "debug", "");
	check_value("/heap?debug=", "debug", "");
	check_value("/heap?%73econds=%35", "seconds", "5");
	check_value("/heap?a+b=c+d", "a b", "c d");
	check_value("/heap?x=%zz&x=2", "x", NULL);
	check_value("/heap?seconds=5", "second", NULL);
	check_value("/heap", "seconds", NULL);
	check_value("/heap?x=%00", "x", NULL);
	check_value("/heap?x=%4", "x", NULL);

	char path[64];
	struct http_request request;
	CHECK_UINT(parse("GET /debug/pprof/%68eap?x=1 HTTP/1.1\r\n\r\n", &request), HTTP_COMPLETE);
	CHECK(http_path(&request, path, sizeof path));
	CHECK_STR(path, "/debug/pprof/heap");
	CHECK_UINT(parse("GET /a%2 HTTP/1.1\r\n\r\n", &request), HTTP_COMPLETE);
	CHECK(!http_path(&request, path, sizeof path));
	CHECK_UINT(parse("GET /a+b HTTP/1.1\r\n\r\n", &request), HTTP_COMPLETE);
	CHECK(http_path(&request, path, sizeof path));
	CHECK_STR(path, "/a+b");
}

static void test_respond(void)
{
	struct pprof_buffer out = {0};
	http_respond(&out, 200, "text/plain", "X-A: b\r\n", "hi", 2, false);
	static const char expected[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				       "X-Content-Type-Options: nosniff\r\nContent-Length: 2\r\n"
				       "Connection: close\r\nX-A: b\r\n\r\nhi";
	CHECK_BYTES(out.data, out.length, expected, strlen(expected));
	pprof_buffer_reset(&out);
	http_respond_error(&out, 404, "Unknown profile", NULL, true);
	static const char head[] = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
				   "X-Content-Type-Options: nosniff\r\nContent-Length: 16\r\n"
				   "Connection: close\r\n\r\n";
	CHECK_BYTES(out.data, out.length, head, strlen(head));
	pprof_buffer_free(&out);
}

int main(void)
{
	test_complete();
	test_incomplete();
	test_malformed();
	test_too_large();
	test_query();
	test_respond();
	return 0;
}

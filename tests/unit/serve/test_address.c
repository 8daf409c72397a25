#include "serve/address.h"

#include "check.h"

static struct serve_address parsed(const char *text)
{
	struct serve_address address;
	if (!serve_address_parse(text, &address))
		CHECK_FAILED("\"%s\" was refused", text);
	return address;
}

static void check_named(const char *text, const char *name)
{
	struct serve_address address = parsed(text);
	char shown[160];
	serve_address_name(&address, shown, sizeof shown);
	CHECK_STR(shown, name);
}

static void test_accepted(void)
{
	check_named("127.0.0.1:6060", "127.0.0.1:6060");
	check_named("0.0.0.0:80", "0.0.0.0:80");
	check_named("localhost:0", "127.0.0.1:0");
	check_named(":6060", "127.0.0.1:6060");
	check_named("[::1]:6060", "[::1]:6060");
	check_named("[::]:65535", "[::]:65535");
	check_named("unix:/tmp/heapprof.%p.sock", "unix:/tmp/heapprof.%p.sock");
	check_named("unix:relative.sock", "unix:relative.sock");
	CHECK_UINT(parsed("10.1.2.3:7").kind, SERVE_INET);
	CHECK_UINT(parsed("[fe80::1]:7").kind, SERVE_INET6);
	CHECK_UINT(parsed("unix:x").kind, SERVE_UNIX);
	CHECK_UINT(parsed("localhost:0").port, 0);
}

static void test_refused(void)
{
	static char long_path[SERVE_PATH_MAX + 8] = "unix:";
	memset(long_path + 5, 'a', SERVE_PATH_MAX);
	static const char *const refused[] = {
		"",
		"6060",
		":",
		"127.0.0.1",
		"127.0.0.1:",
		"127.0.0.1:65536",
		"127.0.0.1:-1",
		"127.0.0.1:+80",
		"127.0.0.1:80x",
		"127.0.0.1 :80",
		"256.0.0.1:80",
		"example.com:80",
		"localhost.localdomain:80",
		"::1:6060",
		"[::1]",
		"[::1:6060",
		"[example.com]:80",
		"unix:",
		long_path,
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		struct serve_address address = {.kind = SERVE_UNIX, .port = 99};
		if (serve_address_parse(refused[i], &address))
			CHECK_FAILED("\"%.40s\" was accepted", refused[i]);
		CHECK_UINT(address.kind, SERVE_UNIX);
		CHECK_UINT(address.port, 99);
	}
}

int main(void)
{
	test_accepted();
	test_refused();
	return 0;
}

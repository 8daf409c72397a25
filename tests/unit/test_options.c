#include "options.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "check.h"

static const char *const all_variables[] = {
	"HEAPPROF_RATE",          "HEAPPROF_DEPTH",       "HEAPPROF_VERBOSE",     "HEAPPROF_SEED",
	"HEAPPROF_COMPRESS",      "HEAPPROF_OUT",         "HEAPPROF_PEAK",        "HEAPPROF_SYMBOLIZE",
	"HEAPPROF_DUMP_INTERVAL", "HEAPPROF_DUMP_PERIOD", "HEAPPROF_DUMP_SIGNAL", "HEAPPROF_HTTP",
	"HEAPPROF_UNWIND",        "HEAPPROF_LABELS",
};

static struct options defaults;

static void check_size(const char *text, uint64_t max, uint64_t expected)
{
	uint64_t value = 12345;
	if (!options_parse_size(text, max, &value))
		CHECK_FAILED("options_parse_size(\"%s\") rejected a valid size", text);
	CHECK_UINT(value, expected);
}

static void check_size_rejected(const char *text, uint64_t max)
{
	uint64_t value = 12345;
	if (options_parse_size(text, max, &value))
		CHECK_FAILED("options_parse_size(\"%s\") accepted %" PRIu64, text, value);
	CHECK_UINT(value, 12345);
}

static void test_parse_size(void)
{
	check_size("0", UINT64_MAX, 0);
	check_size("7", UINT64_MAX, 7);
	check_size("524288", UINT64_MAX, 524288);
	check_size("4K", UINT64_MAX, 4096);
	check_size("4k", UINT64_MAX, 4096);
	check_size("3M", UINT64_MAX, (uint64_t)3 << 20);
	check_size("3m", UINT64_MAX, (uint64_t)3 << 20);
	check_size("2G", UINT64_MAX, (uint64_t)2 << 30);
	check_size("2g", UINT64_MAX, (uint64_t)2 << 30);
	check_size("007", UINT64_MAX, 7);
	check_size("18446744073709551615", UINT64_MAX, UINT64_MAX);
	check_size("17179869183G", UINT64_MAX, (((uint64_t)1 << 34) - 1) << 30);

	check_size_rejected("", UINT64_MAX);
	check_size_rejected("-5", UINT64_MAX);
	check_size_rejected("+5", UINT64_MAX);
	check_size_rejected("1e99", UINT64_MAX);
	check_size_rejected("K", UINT64_MAX);
	check_size_rejected("12KB", UINT64_MAX);
	check_size_rejected("12T", UINT64_MAX);
	check_size_rejected("1.5", UINT64_MAX);
	check_size_rejected(" 1", UINT64_MAX);
	check_size_rejected("1 ", UINT64_MAX);
	check_size_rejected("0x10", UINT64_MAX);
	check_size_rejected("18446744073709551616", UINT64_MAX);
	check_size_rejected("99999999999999999999999", UINT64_MAX);
	check_size_rejected("17179869184G", UINT64_MAX);
	check_size_rejected("18014398509481984K", UINT64_MAX);

	check_size("1024", 1024, 1024);
	check_size("1K", 1024, 1024);
	check_size_rejected("1025", 1024);
	check_size_rejected("1K", 1023);
	check_size("0", 0, 0);
	check_size_rejected("1", 0);
}

/* The text written to stderr while running `action`. */
static char *capture_stderr(void (*action)(void))
{
	static char text[16384];
	FILE *file = tmpfile();
	CHECK(file);
	int saved = dup(STDERR_FILENO);
	CHECK(saved >= 0);
	CHECK(dup2(fileno(file), STDERR_FILENO) == STDERR_FILENO);
	action();
	CHECK(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
	close(saved);
	rewind(file);
	size_t length = fread(text, 1, sizeof text - 1, file);
	text[length] = '\0';
	fclose(file);
	return text;
}

static unsigned count_lines(const char *text)
{
	unsigned lines = 0;
	for (; *text; text++)
		lines += *text == '\n';
	return lines;
}

/* Reads the environment with only `name` set (unless NULL), from the built-in defaults. */
static char *read_with(const char *name, const char *value)
{
	for (size_t i = 0; i < sizeof all_variables / sizeof all_variables[0]; i++)
		CHECK(unsetenv(all_variables[i]) == 0);
	if (name)
		CHECK(setenv(name, value, 1) == 0);
	options = defaults;
	return capture_stderr(options_read);
}

/* The defaults the README documents, as literals: the code's own macros would follow a
   change the documentation does not. */
static void check_defaults_kept(void)
{
	CHECK_UINT(options.rate, 524288);
	CHECK_UINT(options.depth, 64);
	CHECK_UINT(options.compression, COMPRESSION_AUTO);
	CHECK_UINT(options.unwinder, UNWINDER_LIBUNWIND);
	CHECK(!options.seeded);
	CHECK(!options.verbose);
	CHECK(options.peak);
	CHECK(options.symbolize);
	CHECK_UINT(options.dump_interval, 0);
	CHECK_UINT(options.dump_period, 0);
	CHECK_UINT(options.dump_signal, 0);
	CHECK_STR(options.out, "heapprof.%e.%p.pb.gz");
	CHECK_UINT(options.http.kind, SERVE_OFF);
	CHECK(!options.thread_labels);
}

static void check_valid(const char *name, const char *value)
{
	char *warnings = read_with(name, value);
	if (*warnings)
		CHECK_FAILED("%s=\"%s\" is valid but warned: %s", name, value, warnings);
}

static void check_malformed(const char *name, const char *value)
{
	const char *warnings = read_with(name, value);
	if (count_lines(warnings) != 1 || strncmp(warnings, "heapprof: ", 10) != 0 ||
	    warnings[strlen(warnings) - 1] != '\n' || !strstr(warnings, name))
		CHECK_FAILED("%s=\"%.40s\" should give one \"heapprof: \" line naming it, got: \"%s\"", name,
			     value, warnings);
	check_defaults_kept();
}

static void test_no_variables(void)
{
	CHECK_STR(read_with(NULL, NULL), "");
	check_defaults_kept();
}

static void test_rate(void)
{
	check_valid("HEAPPROF_RATE", "1M");
	CHECK_UINT(options.rate, 1 << 20);
	check_valid("HEAPPROF_RATE", "0");
	CHECK_UINT(options.rate, 0);
	check_valid("HEAPPROF_RATE", "1");
	CHECK_UINT(options.rate, 1);
	check_valid("HEAPPROF_RATE", "1099511627776");
	CHECK_UINT(options.rate, (uint64_t)1 << 40);

	static const char *const malformed[] = {
		"", "-1", "abc", "12x", "1e6", "1099511627777", "2048G", "99999999999999999999999",
	};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		check_malformed("HEAPPROF_RATE", malformed[i]);

	CHECK_STR(read_with("HEAPPROF_RATE", "abc"),
		  "heapprof: HEAPPROF_RATE=\"abc\" is not a byte count from 0 to 1T; using 524288\n");
}

static void test_depth(void)
{
	check_valid("HEAPPROF_DEPTH", "1");
	CHECK_UINT(options.depth, 1);
	check_valid("HEAPPROF_DEPTH", "256");
	CHECK_UINT(options.depth, 256);

	static const char *const malformed[] = {
		"", "0", "257", "-3", "ten", "1K", "4294967360", "99999999999999999999999",
	};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		check_malformed("HEAPPROF_DEPTH", malformed[i]);
}

static void test_verbose(void)
{
	check_valid("HEAPPROF_VERBOSE", "1");
	CHECK(options.verbose);
	check_valid("HEAPPROF_VERBOSE", "0");
	CHECK(!options.verbose);

	static const char *const malformed[] = {"", "2", "-1", "yes", "true", "1K", "18446744073709551617"};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		check_malformed("HEAPPROF_VERBOSE", malformed[i]);
}

static void test_seed(void)
{
	check_valid("HEAPPROF_SEED", "12345");
	CHECK(options.seeded);
	CHECK_UINT(options.seed, 12345);
	check_valid("HEAPPROF_SEED", "0");
	CHECK(options.seeded);
	CHECK_UINT(options.seed, 0);
	check_valid("HEAPPROF_SEED", "18446744073709551615");
	CHECK_UINT(options.seed, UINT64_MAX);

	static const char *const malformed[] = {
		"", "-1", "seed", "1K", "2g", "18446744073709551616", "0x10",
	};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		check_malformed("HEAPPROF_SEED", malformed[i]);
}

static void test_compress(void)
{
	static const struct {
		const char *name;
		enum compression compression;
	} valid[] = {
		{"auto", COMPRESSION_AUTO},
		{"gzip", COMPRESSION_GZIP},
		{"zstd", COMPRESSION_ZSTD},
		{"none", COMPRESSION_NONE},
	};
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		check_valid("HEAPPROF_COMPRESS", valid[i].name);
		CHECK_UINT(options.compression, valid[i].compression);
	}

	static const char *const malformed[] = {"", "GZIP", "gz", "lz4", "zstd ", "1"};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		check_malformed("HEAPPROF_COMPRESS", malformed[i]);
}

static void test_out(void)
{
	check_valid("HEAPPROF_OUT", "/tmp/heap.%p.%e.%n.%%.pb.gz");
	CHECK_STR(options.out, "/tmp/heap.%p.%e.%n.%%.pb.gz");
	check_valid("HEAPPROF_OUT", "plain");
	CHECK_STR(options.out, "plain");

	static char longest[PATH_MAX];
	memset(longest, 'a', sizeof longest - 1);
	check_valid("HEAPPROF_OUT", longest);
	CHECK_STR(options.out, longest);

	static char too_long[PATH_MAX + 1];
	memset(too_long, 'a', sizeof too_long - 1);
	static const char *const malformed[] = {"", "heap.%x.pb", "heap.%P.pb", "heap.pb%", "%", too_long};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		check_malformed("HEAPPROF_OUT", malformed[i]);
}

/* A 0-or-1 setting: both values taken, anything else reported and left at 1. */
static void check_switch(const char *name, const bool *flag)
{
	check_valid(name, "0");
	CHECK(!*flag);
	check_valid(name, "1");
	CHECK(*flag);

	static const char *const malformed[] = {"", "2", "-1", "no", "off", "99999999999999999999999"};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		check_malformed(name, malformed[i]);
}

static void test_peak(void)
{
	check_switch("HEAPPROF_PEAK", &options.peak);
}

static void test_symbolize(void)
{
	check_switch("HEAPPROF_SYMBOLIZE", &options.symbolize);
}

static void test_dump_interval_and_period(void)
{
	check_valid("HEAPPROF_DUMP_INTERVAL", "64M");
	CHECK_UINT(options.dump_interval, (uint64_t)64 << 20);
	check_valid("HEAPPROF_DUMP_INTERVAL", "1125899906842624");
	CHECK_UINT(options.dump_interval, (uint64_t)1 << 50);
	check_valid("HEAPPROF_DUMP_PERIOD", "30");
	CHECK_UINT(options.dump_period, 30);
	check_valid("HEAPPROF_DUMP_PERIOD", "1000000");
	CHECK_UINT(options.dump_period, 1000000);

	static const char *const malformed_intervals[] = {"", "-1", "1125899906842625", "8G8", "lots"};
	for (size_t i = 0; i < sizeof malformed_intervals / sizeof malformed_intervals[0]; i++)
		check_malformed("HEAPPROF_DUMP_INTERVAL", malformed_intervals[i]);
	static const char *const malformed_periods[] = {"",    "-1",  "1000001",
							"1.5", "10s", "18446744073709551616"};
	for (size_t i = 0; i < sizeof malformed_periods / sizeof malformed_periods[0]; i++)
		check_malformed("HEAPPROF_DUMP_PERIOD", malformed_periods[i]);
}

static void test_dump_signal(void)
{
	static const struct {
		const char *name;
		int number;
	} valid[] = {
		{"SIGUSR2", SIGUSR2}, {"USR2", SIGUSR2}, {"12", SIGUSR2},
		{"SIGUSR1", SIGUSR1}, {"HUP", SIGHUP},   {"1", SIGHUP},
	};
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		check_valid("HEAPPROF_DUMP_SIGNAL", valid[i].name);
		CHECK_UINT(options.dump_signal, valid[i].number);
	}

	static const char *const malformed[] = {
		"", "0", "SIGKILL", "KILL", "9", "SIGSTOP", "19", "usr2", "SIGFOO", "SIG", "65", "-12", "1K",
	};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		check_malformed("HEAPPROF_DUMP_SIGNAL", malformed[i]);

	/* Caught and returned from, a fault runs its instruction again, and SIGABRT kills
	   anyway; glibc keeps 32 and 33 for itself. */
	static const char *const fatal[] = {
		"SIGSEGV", "SEGV",   "11",      "SIGBUS", "SIGILL", "SIGFPE",
		"SIGTRAP", "SIGSYS", "SIGABRT", "ABRT",   "32",     "33",
	};
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		check_malformed("HEAPPROF_DUMP_SIGNAL", fatal[i]);
}

static void test_http(void)
{
	check_valid("HEAPPROF_HTTP", "127.0.0.1:6060");
	CHECK_UINT(options.http.kind, SERVE_INET);
	CHECK_UINT(options.http.port, 6060);
	check_valid("HEAPPROF_HTTP", "[::1]:0");
	CHECK_UINT(options.http.kind, SERVE_INET6);
	CHECK_UINT(options.http.port, 0);
	check_valid("HEAPPROF_HTTP", "unix:/run/heapprof.%e.%p.sock");
	CHECK_UINT(options.http.kind, SERVE_UNIX);
	CHECK_STR(options.http.path, "/run/heapprof.%e.%p.sock");

	static const char *const malformed[] = {
		"", "6060", "example.com:6060", "127.0.0.1", "127.0.0.1:65536", "unix:", "unix:/tmp/%x.sock",
	};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		check_malformed("HEAPPROF_HTTP", malformed[i]);
}

static void test_labels(void)
{
	check_valid("HEAPPROF_LABELS", "thread");
	CHECK(options.thread_labels);
	check_valid("HEAPPROF_LABELS", "");
	CHECK(!options.thread_labels);

	static const char *const malformed[] = {"threads", "Thread", "thread,age", " thread", "1"};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		check_malformed("HEAPPROF_LABELS", malformed[i]);
	CHECK_STR(read_with("HEAPPROF_LABELS", "tid"),
		  "heapprof: HEAPPROF_LABELS=\"tid\" is not thread; using no thread labels\n");
}

int main(void)
{
	defaults = options;
	check_defaults_kept();
	test_parse_size();
	test_no_variables();
	test_rate();
	test_depth();
	test_verbose();
	test_seed();
	test_compress();
	test_out();
	test_peak();
	test_symbolize();
	test_dump_interval_and_period();
	test_dump_signal();
	test_http();
	test_labels();
	return 0;
}

#include "options.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/name_template.h"
#include "log.h"

struct options options = {
	.rate = OPTIONS_DEFAULT_RATE,
	.depth = OPTIONS_DEFAULT_DEPTH,
	.compression = COMPRESSION_AUTO,
	.out = NAME_TEMPLATE_DEFAULT,
	.peak = true,
	.symbolize = true,
};

bool options_parse_size(const char *text, uint64_t max, uint64_t *value)
{
	uint64_t result = 0;
	const char *cursor = text;
	if (*cursor < '0' || *cursor > '9')
		return false;
	for (; *cursor >= '0' && *cursor <= '9'; cursor++) {
		unsigned digit = (unsigned)(*cursor - '0');
		if (result > (UINT64_MAX - digit) / 10)
			return false;
		result = result * 10 + digit;
	}
	unsigned shift = 0;
	switch (*cursor) {
	case 'k':
	case 'K':
		shift = 10;
		cursor++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		cursor++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		cursor++;
		break;
	}
	if (*cursor != '\0' || (shift && result > (UINT64_MAX >> shift)))
		return false;
	result <<= shift;
	if (result > max)
		return false;
	*value = result;
	return true;
}

#define VALUE_SHOWN 64

/* Writes "NAME="VALUE" is not EXPECTED; using " and leaves the line open for the fallback. */
static void warn_begin(struct log_line *line, const char *name, const char *value, const char *expected)
{
	log_begin(line);
	log_text(line, name);
	log_text(line, "=\"");
	/* Echo enough of the value to recognise it, never so much that the line is cut. */
	char shown[VALUE_SHOWN + 4];
	size_t length = strlen(value);
	if (length > VALUE_SHOWN) {
		memcpy(shown, value, VALUE_SHOWN);
		strcpy(shown + VALUE_SHOWN, "...");
		value = shown;
	}
	log_text(line, value);
	log_text(line, "\" is not ");
	log_text(line, expected);
	log_text(line, "; using ");
}

static void warn_invalid(const char *name, const char *value, const char *expected, const char *fallback)
{
	struct log_line line;
	warn_begin(&line, name, value, expected);
	log_text(&line, fallback);
	log_end(&line);
}

static void warn_invalid_number(const char *name, const char *value, const char *expected, uint64_t fallback)
{
	struct log_line line;
	warn_begin(&line, name, value, expected);
	log_unsigned(&line, fallback);
	log_end(&line);
}

/* Returns the variable's value, or NULL when it is unset. */
static const char *setting(const char *name)
{
	return getenv(name);
}

static void read_number(const char *name, uint64_t min, uint64_t max, const char *expected, uint64_t *target)
{
	const char *value = setting(name);
	uint64_t parsed;
	if (!value)
		return;
	if (options_parse_size(value, max, &parsed) && parsed >= min)
		*target = parsed;
	else
		warn_invalid_number(name, value, expected, *target);
}

static void read_compression(void)
{
	static const struct {
		const char *name;
		enum compression compression;
	} names[] = {
		{"auto", COMPRESSION_AUTO},
		{"gzip", COMPRESSION_GZIP},
		{"zstd", COMPRESSION_ZSTD},
		{"none", COMPRESSION_NONE},
	};
	const char *value = setting("HEAPPROF_COMPRESS");
	if (!value)
		return;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(value, names[i].name) == 0) {
			options.compression = names[i].compression;
			return;
		}
	}
	warn_invalid("HEAPPROF_COMPRESS", value, "auto, gzip, zstd or none", "auto");
}

static void read_unwinder(void)
{
	const char *value = setting("HEAPPROF_UNWIND");
	if (!value)
		return;
	if (strcmp(value, "libunwind") == 0)
		options.unwinder = UNWINDER_LIBUNWIND;
	else if (strcmp(value, "fp") == 0)
		options.unwinder = UNWINDER_FRAME_POINTERS;
	else
		warn_invalid("HEAPPROF_UNWIND", value, "libunwind or fp", "libunwind");
}

static void read_out(void)
{
	const char *value = setting("HEAPPROF_OUT");
	if (!value)
		return;
	if (name_template_is_valid(value))
		memcpy(options.out, value, strlen(value) + 1);
	else
		warn_invalid("HEAPPROF_OUT", value,
			     "a file name template shorter than PATH_MAX (escapes: %p %e %n %%)",
			     NAME_TEMPLATE_DEFAULT);
}

/* A signal by name (SIGUSR2 or USR2) or number; 0 when it names none. */
static int signal_number(const char *name)
{
	uint64_t number;
	if (options_parse_size(name, NSIG - 1, &number) && !strpbrk(name, "kKmMgG"))
		return (int)number;
	if (strncmp(name, "SIG", 3) == 0)
		name += 3;
	for (int candidate = 1; candidate < NSIG; candidate++) {
		const char *abbreviation = sigabbrev_np(candidate);
		if (abbreviation && strcmp(abbreviation, name) == 0)
			return candidate;
	}
	return 0;
}

/* Whether the program survives the dump handler catching `signal`. A handler that
   returns from a fault (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS) runs the
   faulting instruction again, forever; abort() kills once the handler returns;
   sigaction refuses SIGKILL, SIGSTOP and the signals glibc keeps for itself. */
static bool can_catch(int signal)
{
	switch (signal) {
	case SIGKILL:
	case SIGSTOP:
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
	case SIGSYS:
	case SIGABRT:
		return false;
	}
	return signal > 0 && (signal < 32 || signal >= SIGRTMIN);
}

static void read_dump_signal(void)
{
	const char *value = setting("HEAPPROF_DUMP_SIGNAL");
	if (!value)
		return;
	int signal = signal_number(value);
	if (can_catch(signal))
		options.dump_signal = signal;
	else
		warn_invalid("HEAPPROF_DUMP_SIGNAL", value,
			     "a signal that the program can catch and go on after (e.g. SIGUSR2)",
			     "no signal");
}

/* Off unless set to "thread", the one label that is optional; "" is off too. */
static void read_labels(void)
{
	const char *value = setting("HEAPPROF_LABELS");
	if (!value || !*value)
		return;
	if (strcmp(value, "thread") == 0)
		options.thread_labels = true;
	else
		warn_invalid("HEAPPROF_LABELS", value, "thread", "no thread labels");
}

/* Off unless set; a value that is not an address leaves it off. */
static void read_http(void)
{
	const char *value = setting("HEAPPROF_HTTP");
	struct serve_address address;
	if (!value)
		return;
	if (serve_address_parse(value, &address) &&
	    (address.kind != SERVE_UNIX || name_template_is_valid(address.path)))
		options.http = address;
	else
		warn_invalid(
			"HEAPPROF_HTTP", value,
			"HOST:PORT (HOST an IP address or localhost) or unix:PATH (escapes: %p %e %n %%)",
			"no endpoint");
}

void options_read(void)
{
	uint64_t rate = options.rate, depth = options.depth, verbose = 0, seed = 0, peak = 1, symbolize = 1;
	read_number("HEAPPROF_RATE", 0, (uint64_t)1 << 40, "a byte count from 0 to 1T", &rate);
	read_number("HEAPPROF_DEPTH", 1, OPTIONS_MAX_DEPTH, "a frame count from 1 to 256", &depth);
	read_number("HEAPPROF_VERBOSE", 0, 1, "0 or 1", &verbose);
	read_number("HEAPPROF_PEAK", 0, 1, "0 or 1", &peak);
	read_number("HEAPPROF_SYMBOLIZE", 0, 1, "0 or 1", &symbolize);
	read_number("HEAPPROF_DUMP_INTERVAL", 0, (uint64_t)1 << 50, "a byte count", &options.dump_interval);
	read_number("HEAPPROF_DUMP_PERIOD", 0, 1000000, "a number of seconds up to 1000000",
		    &options.dump_period);
	options.peak = peak != 0;
	options.symbolize = symbolize != 0;
	options.rate = (size_t)rate;
	options.depth = (unsigned)depth;
	options.verbose = verbose != 0;

	const char *seed_value = setting("HEAPPROF_SEED");
	if (seed_value) {
		if (options_parse_size(seed_value, UINT64_MAX, &seed) && !strpbrk(seed_value, "kKmMgG")) {
			options.seeded = true;
			options.seed = seed;
		} else {
			warn_invalid("HEAPPROF_SEED", seed_value, "a decimal number", "a random seed");
		}
	}
	read_compression();
	read_unwinder();
	read_out();
	read_dump_signal();
	read_http();
	read_labels();
}

#include "go_regexp.h"

#include <new>
#include <re2/re2.h>
#include <stdio.h>
#include <string.h>
#include <string>

#include "go_utf8.h"
#include "reader/diag.h"
#include "regex_bounds.h"

/* RE2 refuses a program over two thirds of this; 512 MiB leaves room for the
   3,355,443 instructions Go's bound lets through, which RE2 may need several
   of its own for. */
static const int64_t MOST_ENGINE_BYTES = (int64_t)512 << 20;

struct go_regexp {
	RE2 engine;
	go_regexp(const char *pattern, const RE2::Options &options) : engine(pattern, options)
	{
	}
};

struct go_regexp *go_regexp_compile(const char *pattern, char *error, size_t error_size)
{
	const char *refused = regex_bounds_check(pattern);
	if (refused) {
		snprintf(error, error_size, "%s", refused);
		return NULL;
	}
	RE2::Options options;
	options.set_log_errors(false);
	options.set_never_capture(true);
	options.set_max_mem(MOST_ENGINE_BYTES);
	go_regexp *regexp;
	try {
		regexp = new go_regexp(pattern, options);
	} catch (const std::bad_alloc &) {
		diag_die("out of memory");
	}
	if (regexp->engine.ok())
		return regexp;
	snprintf(error, error_size, "%s", regexp->engine.error().c_str());
	delete regexp;
	return NULL;
}

static bool valid_utf8(const char *text)
{
	for (size_t length; *text; text += length)
		if ((length = go_utf8_length(text)) == 0)
			return false;
	return true;
}

/* text with each byte Go decodes as U+FFFD written as U+FFFD, which RE2
   would match with nothing. */
static std::string as_go_decodes(const char *text)
{
	std::string decoded;
	while (*text) {
		size_t length = go_utf8_length(text);
		decoded.append(length ? text : "\xef\xbf\xbd", length ? length : 3);
		text += length ? length : 1;
	}
	return decoded;
}

bool go_regexp_match(const struct go_regexp *regexp, const char *text)
{
	try {
		if (valid_utf8(text))
			return RE2::PartialMatch(text, regexp->engine);
		return RE2::PartialMatch(as_go_decodes(text), regexp->engine);
	} catch (const std::bad_alloc &) {
		diag_die("out of memory");
	}
}

void go_regexp_free(struct go_regexp *regexp)
{
	delete regexp;
}

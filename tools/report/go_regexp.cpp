#include "go_regexp.h"

#include <new>
#include <re2/re2.h>
#include <stdio.h>
#include <string.h>
#include <string>

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

/* The bytes of the UTF-8 character at text that Go decodes as one, or 0
   when Go takes the byte for U+FFFD (utf8.DecodeRune). */
static size_t valid_rune_length(const unsigned char *text)
{
	unsigned char lead = text[0];
	if (lead < 0x80)
		return 1;
	unsigned char low = 0x80, high = 0xbf;
	size_t length;
	if (lead >= 0xc2 && lead <= 0xdf) {
		length = 2;
	} else if (lead >= 0xe0 && lead <= 0xef) {
		length = 3;
		low = lead == 0xe0 ? 0xa0 : 0x80;
		high = lead == 0xed ? 0x9f : 0xbf;
	} else if (lead >= 0xf0 && lead <= 0xf4) {
		length = 4;
		low = lead == 0xf0 ? 0x90 : 0x80;
		high = lead == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	if (text[1] < low || text[1] > high)
		return 0;
	for (size_t i = 2; i < length; i++)
		if ((text[i] & 0xc0) != 0x80)
			return 0;
	return length;
}

static bool valid_utf8(const char *text)
{
	const unsigned char *at = (const unsigned char *)text;
	for (size_t length; *at; at += length)
		if ((length = valid_rune_length(at)) == 0)
			return false;
	return true;
}

/* text with each byte Go decodes as U+FFFD written as U+FFFD, which RE2
   would match with nothing. */
static std::string as_go_decodes(const char *text)
{
	std::string decoded;
	for (const unsigned char *at = (const unsigned char *)text; *at;) {
		size_t length = valid_rune_length(at);
		decoded.append(length ? (const char *)at : "\xef\xbf\xbd", length ? length : 3);
		at += length ? length : 1;
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

#include "common/name_template.h"

#include <limits.h>

#include "check.h"

static const struct name_template_values values = {.pid = "4242", .program = "app", .sequence = "7"};

static void check_expand(const char *template, const struct name_template_values *with, const char *expected)
{
	char out[256];
	size_t length = name_template_expand(template, with, out, sizeof out);
	CHECK_STR(out, expected);
	CHECK_UINT(length, strlen(expected));
}

static void test_escapes(void)
{
	check_expand("heap.pb.gz", &values, "heap.pb.gz");
	check_expand("", &values, "");
	check_expand("heapprof.%e.%p.pb.gz", &values, "heapprof.app.4242.pb.gz");
	check_expand("%n-%n", &values, "7-7");
	check_expand("100%%", &values, "100%");
	check_expand("%%p", &values, "%p");
	check_expand("trailing%", &values, "trailing%");
	check_expand("%x%", &values, "x%");
	const struct name_template_values glob = {
		.pid = "*", .program = "*", .sequence = "*", .escaped = "*?[\\"};
	check_expand("/d[1]/a*b?.%p.%e.%n\\", &glob, "/d\\[1]/a\\*b\\?.*.*.*\\\\");
	check_expand("%*", &glob, "\\*");
}

/* The length is the whole expansion's, whatever the room; what is written
   always ends in NUL inside the room. */
static void test_room(void)
{
	char out[8];
	memset(out, 'x', sizeof out);
	CHECK_UINT(name_template_expand("%p%p%p", &values, out, 5), 12);
	CHECK_STR(out, "4242");
	CHECK_UINT(out[5], 'x');
	CHECK_UINT(name_template_expand("%e", &values, out, 1), 3);
	CHECK_STR(out, "");
	CHECK_UINT(name_template_expand("%e", &values, NULL, 0), 3);
	CHECK_UINT(name_template_expand("abc", &values, out, 4), 3);
	CHECK_STR(out, "abc");

	/* heapprof run -o with 400 %p: each %p is the pid's digits, not two bytes. */
	char template[801], expected[2001];
	for (int i = 0; i < 400; i++) {
		memcpy(template + 2 * i, "%p", 2);
		memcpy(expected + 5 * i, "12345", 5);
	}
	template[800] = expected[2000] = '\0';
	const struct name_template_values five_digits = {.pid = "12345", .program = "", .sequence = ""};
	char big[2001];
	CHECK_UINT(name_template_expand(template, &five_digits, big, sizeof big), 2000);
	CHECK_STR(big, expected);
}

static void test_validity(void)
{
	CHECK(name_template_is_valid(NAME_TEMPLATE_DEFAULT));
	CHECK(name_template_is_valid("/tmp/%e-%p-%n-%%.pb"));
	CHECK(!name_template_is_valid(""));
	CHECK(!name_template_is_valid("p.%p.%x.pb"));
	CHECK(!name_template_is_valid("trailing%"));
	CHECK(!name_template_is_valid("%"));
	static char long_name[PATH_MAX + 1];
	memset(long_name, 'a', PATH_MAX);
	CHECK(!name_template_is_valid(long_name));
	long_name[PATH_MAX - 1] = '\0';
	CHECK(name_template_is_valid(long_name));
}

/* The expansion as the specification says it, written plainly, for the
   random templates below. */
static size_t reference_expand(const char *template, const struct name_template_values *with, char *out)
{
	size_t length = 0;
	for (size_t i = 0; template[i]; i++) {
		const char *value = NULL;
		char literal = template[i];
		if (template[i] == '%' && template[i + 1]) {
			i++;
			literal = template[i];
			value = literal == 'p'   ? with->pid
				: literal == 'e' ? with->program
				: literal == 'n' ? with->sequence
						 : NULL;
		}
		if (value) {
			strcpy(out + length, value);
			length += strlen(value);
			continue;
		}
		if (with->escaped && strchr(with->escaped, literal))
			out[length++] = '\\';
		out[length++] = literal;
	}
	out[length] = '\0';
	return length;
}

static uint64_t random_state = 0x9e3779b97f4a7c15ULL;

static unsigned random_below(unsigned bound)
{
	random_state ^= random_state << 13;
	random_state ^= random_state >> 7;
	random_state ^= random_state << 17;
	return (unsigned)(random_state % bound);
}

static void random_text(char *text, size_t most, const char *alphabet)
{
	size_t length = random_below((unsigned)most + 1), letters = strlen(alphabet);
	for (size_t i = 0; i < length; i++)
		text[i] = alphabet[random_below((unsigned)letters)];
	text[length] = '\0';
}

enum { GUARD = 16 };

/* Random templates, values and room: nothing is written past the room, the
   result is the reference's prefix, and the length is the reference's. */
static void test_random_templates(void)
{
	static char template[300], pid[40], program[300], sequence[40], reference[300 * 300 * 2 + 1];
	static char out[sizeof reference + GUARD];
	for (int round = 0; round < 200000; round++) {
		random_text(template, round % 100 == 0 ? 299 : 24, "%%%pen*?[\\/a.x");
		random_text(pid, 39, "0123456789");
		random_text(program, round % 50 == 0 ? 299 : 12, "ab%*\\");
		random_text(sequence, 39, "0123456789");
		const struct name_template_values with = {pid, program, sequence, round % 2 ? "*?[\\" : NULL};
		size_t expected = reference_expand(template, &with, reference);
		size_t room = random_below((unsigned)expected + 3);
		memset(out, 0x5a, room + GUARD);
		size_t length = name_template_expand(template, &with, out, room);
		if (length != expected)
			CHECK_FAILED("\"%s\": length %zu, want %zu", template, length, expected);
		for (size_t i = room; i < room + GUARD; i++)
			if (out[i] != 0x5a)
				CHECK_FAILED("\"%s\" in %zu bytes wrote byte %zu", template, room, i);
		if (room == 0)
			continue;
		size_t kept = expected < room ? expected : room - 1;
		if (out[kept] != '\0' || memcmp(out, reference, kept) != 0)
			CHECK_FAILED("\"%s\" in %zu bytes: \"%s\", want a prefix of \"%s\"", template, room,
				     out, reference);
	}
}

int main(void)
{
	test_escapes();
	test_room();
	test_validity();
	test_random_templates();
	return 0;
}

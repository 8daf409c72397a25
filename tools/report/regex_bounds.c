#include "regex_bounds.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reader/diag.h"

/* Go's regexp/syntax limits (parse.go: maxSize, maxHeight). */
#define MOST_INSTRUCTIONS ((int64_t)(128 << 20) / 40)
enum { MOST_NESTING = 1000 };

/* One open group (the whole pattern is the outermost): the size of its
   finished branches, of the branch being read, and of that branch's last
   atom, which a repetition applies to. */
struct group {
	int64_t alternatives, branch, atom;
	int64_t branches;
};

static int64_t capped(int64_t size)
{
	return size > MOST_INSTRUCTIONS ? MOST_INSTRUCTIONS + 1 : size;
}

static void add_atom(struct group *group, int64_t size)
{
	group->atom = size;
	group->branch = capped(group->branch + size);
}

/* Go's calcSize of x{min,max} (max -1: unbounded) for x of the last atom's size. */
static void repeat_atom(struct group *group, int64_t min, int64_t max)
{
	int64_t sub = group->atom, size;
	if (max == -1)
		size = min == 0 ? 2 + sub : 1 + capped(min * sub);
	else
		size = capped(max * sub) + (max - min);
	group->branch = capped(group->branch - sub + size);
	group->atom = size;
}

/* The end of a bracket expression starting at text ('['), or NULL. */
static const char *bracket_end(const char *text)
{
	const char *at = text + 1;
	if (*at == '^')
		at++;
	if (*at == ']')
		at++;
	for (; *at && *at != ']'; at++)
		if (at[0] == '[' && (at[1] == ':' || at[1] == '.' || at[1] == '=')) {
			const char *close = strchr(at + 2, at[1]);
			while (close && close[1] != ']')
				close = strchr(close + 1, at[1]);
			if (!close)
				return NULL;
			at = close + 1;
		}
	return *at ? at : NULL;
}

/* A repetition count, cut where it could only mean "too large" (glibc
   refuses counts over 32767 anyway), so that products cannot overflow. */
static int64_t bounded(long long count)
{
	return count < 0 ? 0 : count > MOST_INSTRUCTIONS ? MOST_INSTRUCTIONS + 1 : count;
}

/* Reads {min}, {min,} or {min,max} at text; returns its end, or NULL when
   it is not one (glibc then takes the brace literally). */
static const char *read_interval(const char *text, int64_t *min, int64_t *max)
{
	char *end;
	*min = bounded(strtoll(text + 1, &end, 10));
	if (end == text + 1)
		return NULL;
	*max = *min;
	if (*end == ',') {
		const char *digits = end + 1;
		if (*digits == '}') {
			*max = -1;
			return digits + 1;
		}
		*max = bounded(strtoll(digits, &end, 10));
		if (end == digits)
			return NULL;
	}
	return *end == '}' ? end + 1 : NULL;
}

static int64_t close_group(const struct group *group)
{
	int64_t size = group->alternatives + group->branch;
	return capped(size + (group->branches > 0 ? group->branches : 0));
}

struct scan {
	struct group *groups; /* groups[0] is the whole pattern */
	int depth;
	const char *verdict;
};

static void open_group(struct scan *scan)
{
	if (scan->depth == MOST_NESTING)
		scan->verdict = "expression nests too deeply";
	else
		scan->groups[++scan->depth] = (struct group){0};
}

static void close_or_literal(struct scan *scan)
{
	if (scan->depth == 0) {
		add_atom(&scan->groups[0], 1);
		return;
	}
	int64_t size = 2 + close_group(&scan->groups[scan->depth]); /* a capture */
	add_atom(&scan->groups[--scan->depth], capped(size));
}

static void alternate(struct group *group)
{
	group->alternatives = capped(group->alternatives + group->branch);
	group->branches++;
	group->branch = group->atom = 0;
}

/* Takes in the token at text; returns its last character. */
static const char *scan_token(struct scan *scan, const char *text)
{
	struct group *group = &scan->groups[scan->depth];
	int64_t min, max;
	const char *end;
	switch (*text) {
	case '(':
		open_group(scan);
		return text;
	case ')':
		close_or_literal(scan);
		return text;
	case '|':
		alternate(group);
		return text;
	case '*':
	case '+':
	case '?':
		repeat_atom(group, *text == '+', *text == '?' ? 1 : -1);
		return text;
	case '{':
		end = read_interval(text, &min, &max);
		if (!end) {
			add_atom(group, 1); /* glibc takes it literally */
			return text;
		}
		repeat_atom(group, min, max);
		return end - 1;
	case '[':
		add_atom(group, 1);
		end = bracket_end(text);
		return end ? end : text + strlen(text) - 1;
	case '\\':
		if (text[1] >= '1' && text[1] <= '9')
			scan->verdict = "invalid escape sequence";
		add_atom(group, 1);
		return text + (text[1] != '\0');
	default:
		add_atom(group, 1);
		return text;
	}
}

const char *regex_bounds_check(const char *pattern)
{
	struct scan scan = {diag_calloc(MOST_NESTING + 1, sizeof *scan.groups), 0, NULL};
	for (const char *at = pattern; *at && !scan.verdict; at++) {
		at = scan_token(&scan, at);
		if (!scan.verdict && scan.groups[scan.depth].branch > MOST_INSTRUCTIONS)
			scan.verdict = "expression too large";
	}
	if (!scan.verdict && close_group(&scan.groups[0]) > MOST_INSTRUCTIONS)
		scan.verdict = "expression too large";
	free(scan.groups);
	return scan.verdict;
}

#include "regex_bounds.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reader/diag.h"

/* Go's regexp/syntax bounds (parse.go: maxSize, maxHeight). */
#define MOST_INSTRUCTIONS ((int64_t)(128 << 20) / 40)
enum { MOST_HEIGHT = 1000 };

/* A node of Go's parse tree: its compiled size as calcSize counts it, and
   its height. */
struct cost {
	int64_t size, height;
};

enum atom_kind {
	ATOM_NONE,
	ATOM_LITERAL,       /* a run of runes: a repetition takes the last one */
	ATOM_CHAR,          /* one character: a class, '.', one rune alone */
	ATOM_NODE,          /* any other node, whole */
	ATOM_CONCATENATION, /* a non-capturing group's, which a concatenation takes in */
	ATOM_ALTERNATION,   /* a non-capturing group's, which an alternation takes in */
};

struct atom {
	enum atom_kind kind;
	struct cost cost;  /* as one node */
	int64_t parts;     /* runes, items or branches */
	struct cost inner; /* the items' or branches' total size and the tallest */
	int64_t count;     /* of a counted repetition, x{n,m}: m, or n without m */
};

/* An open group (groups[0] is the whole pattern) as Go's parser builds it:
   alternation of concatenations, with neighbouring one-character branches
   merged into one class and nested concatenations and alternations of
   non-capturing groups flattened. Go also factors common prefixes out of
   alternations, which is left out: it moves a height by a level or so. */
struct group {
	bool capture;
	int64_t branches;
	struct cost finished; /* of the finished branches: total size, tallest */
	bool last_was_char;
	struct atom sole_branch; /* the first finished branch */
	int64_t items;
	struct cost concatenated; /* of the branch's items: total size, tallest */
	struct atom first_item;
	struct atom last; /* not yet an item: a repetition may follow */
};

struct scan {
	struct group *groups;
	size_t depth, capacity;
	int64_t nodes, repeats; /* Go's numRegexp and its product of repeat counts */
	const char *verdict;
};

static int64_t capped(int64_t size)
{
	return size > MOST_INSTRUCTIONS ? MOST_INSTRUCTIONS + 1 : size;
}

static int64_t larger(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static struct atom node(int64_t size, int64_t height)
{
	return (struct atom){ATOM_NODE, {capped(size), height}, 1, {0, 0}, 0};
}

/* Go multiplies its product of repeat counts by a counted repetition's
   count each time it checks the node: when it is made, and each time its
   parser pushes it again, as a concatenation, an alternation or a
   non-capturing group of that one node. */
static void check_again(struct scan *scan, const struct atom *atom)
{
	if (atom->count > 1)
		scan->repeats = atom->count > MOST_INSTRUCTIONS / scan->repeats ? MOST_INSTRUCTIONS
										: scan->repeats * atom->count;
}

static void add_item(struct group *group, const struct atom *atom)
{
	if (group->items == 0)
		group->first_item = *atom;
	if (atom->kind == ATOM_CONCATENATION) {
		group->items += atom->parts;
		group->concatenated.size = capped(group->concatenated.size + atom->inner.size);
		group->concatenated.height = larger(group->concatenated.height, atom->inner.height);
	} else {
		group->items++;
		group->concatenated.size = capped(group->concatenated.size + atom->cost.size);
		group->concatenated.height = larger(group->concatenated.height, atom->cost.height);
	}
}

static void commit(struct group *group)
{
	if (group->last.kind != ATOM_NONE)
		add_item(group, &group->last);
	group->last.kind = ATOM_NONE;
}

static void add_atom(struct scan *scan, struct atom atom)
{
	struct group *group = &scan->groups[scan->depth];
	commit(group);
	group->last = atom;
	scan->nodes++;
}

static void add_rune(struct scan *scan)
{
	struct group *group = &scan->groups[scan->depth];
	if (group->last.kind != ATOM_LITERAL) {
		add_atom(scan, (struct atom){ATOM_LITERAL, {0, 1}, 0, {0, 0}, 0});
		group = &scan->groups[scan->depth];
	}
	group->last.parts++;
	group->last.cost.size = capped(group->last.cost.size + 1);
}

/* x{min,max}, max -1 for no bound: * is {0,-1}, + {1,-1}, ? {0,1}. */
static void repeat(struct scan *scan, int64_t min, int64_t max, bool counted)
{
	struct group *group = &scan->groups[scan->depth];
	struct atom *last = &group->last;
	if (last->kind == ATOM_NONE)
		return; /* nothing to repeat: RE2 refuses it */
	if (last->kind == ATOM_LITERAL && last->parts > 1) {
		struct atom before = *last;
		before.parts--;
		before.cost.size--;
		add_item(group, &before);
		*last = (struct atom){ATOM_CHAR, {1, 1}, 1, {0, 0}, 0};
	}
	int64_t sub = last->cost.size, size;
	if (max == -1)
		size = min == 0 ? 2 + sub : 1 + capped(min * sub);
	else
		size = capped(max * sub) + (max - min);
	*last = node(size, last->cost.height + 1);
	last->count = counted ? (max == -1 ? min : max) : 0;
	scan->nodes++;
	check_again(scan, last);
}

/* The branch as one atom; the branch is emptied. */
static struct atom end_concatenation(struct scan *scan, struct group *group)
{
	commit(group);
	struct atom result;
	if (group->items == 0) {
		result = node(1, 1); /* the empty match */
	} else if (group->items == 1) {
		result = group->first_item;
		check_again(scan, &result);
		if (result.kind == ATOM_LITERAL)
			result = result.parts == 1 ? (struct atom){ATOM_CHAR, {1, 1}, 1, {0, 0}, 0}
						   : node(result.parts, 1);
	} else {
		result = (struct atom){ATOM_CONCATENATION,
				       {group->concatenated.size, group->concatenated.height + 1},
				       group->items,
				       group->concatenated,
				       0};
		scan->nodes++;
	}
	group->items = 0;
	group->concatenated = (struct cost){0, 0};
	return result;
}

static void end_branch(struct scan *scan, struct group *group)
{
	struct atom branch = end_concatenation(scan, group);
	if (branch.kind == ATOM_ALTERNATION) {
		group->branches += branch.parts;
		group->finished.size = capped(group->finished.size + branch.inner.size);
		group->finished.height = larger(group->finished.height, branch.inner.height);
		group->last_was_char = false;
		return;
	}
	if (branch.kind == ATOM_CHAR && group->last_was_char)
		return; /* one class with the branch before */
	if (group->branches++ == 0)
		group->sole_branch = branch;
	group->finished.size = capped(group->finished.size + branch.cost.size);
	group->finished.height = larger(group->finished.height, branch.cost.height);
	group->last_was_char = branch.kind == ATOM_CHAR;
}

static struct atom end_group(struct scan *scan, struct group *group)
{
	end_branch(scan, group);
	struct atom result = group->sole_branch;
	if (group->branches == 1)
		check_again(scan, &result);
	if (group->branches > 1) {
		result = (struct atom){
			ATOM_ALTERNATION,
			{capped(group->finished.size + group->branches - 1), group->finished.height + 1},
			group->branches,
			group->finished,
			0};
		scan->nodes++;
	}
	if (!group->capture) {
		check_again(scan, &result);
		return result;
	}
	scan->nodes++;
	return node(2 + result.cost.size, result.cost.height + 1);
}

static void open_group(struct scan *scan, bool capture)
{
	scan->groups = diag_grow(scan->groups, &scan->capacity, scan->depth + 2, sizeof *scan->groups);
	scan->groups[++scan->depth] = (struct group){.capture = capture};
}

static void close_group(struct scan *scan)
{
	if (scan->depth == 0)
		return; /* unbalanced: RE2 refuses it */
	struct atom group = end_group(scan, &scan->groups[scan->depth--]);
	struct group *parent = &scan->groups[scan->depth];
	commit(parent);
	parent->last = group;
}

/* Go's repeat syntax: {n}, {n,} or {n,m}, each count at most 1000 (RE2
   refuses larger ones); anything else is a literal '{'. Returns the end. */
static const char *read_repeat(const char *text, int64_t *min, int64_t *max)
{
	char *end;
	if (text[1] < '0' || text[1] > '9')
		return NULL;
	long long first = strtoll(text + 1, &end, 10), second = first;
	if (*end == ',') {
		if (end[1] == '}') {
			second = -1;
			end++;
		} else if (end[1] >= '0' && end[1] <= '9') {
			second = strtoll(end + 1, &end, 10);
		} else {
			return NULL;
		}
	}
	if (*end != '}')
		return NULL;
	*min = first > 1000 ? 1000 : first;
	*max = second > 1000 ? 1000 : second;
	return end + 1;
}

/* The bytes of one UTF-8 character at text (1 for a byte out of place). */
static size_t rune_length(const char *text)
{
	unsigned char lead = (unsigned char)*text;
	size_t length = lead < 0xc0 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
	for (size_t i = 1; i < length; i++)
		if (((unsigned char)text[i] & 0xc0) != 0x80)
			return 1;
	return length;
}

/* The end of a class starting at text ('['): past its ']', or the pattern's end. */
static const char *class_end(const char *text)
{
	const char *at = text + 1;
	if (*at == '^')
		at++;
	if (*at == ']')
		at++;
	while (*at && *at != ']') {
		if (at[0] == '[' && at[1] == ':') {
			const char *close = strstr(at + 2, ":]");
			at = close ? close + 2 : at + 1;
		} else {
			at += at[0] == '\\' && at[1] ? 2 : 1;
		}
	}
	return *at ? at + 1 : at;
}

/* An escape at text ('\\'): adds its atom; returns its end. */
static const char *scan_escape(struct scan *scan, const char *text)
{
	char c = text[1];
	if (c == '\0')
		return text + 1;
	if (c == 'C') {
		scan->verdict = "invalid escape sequence: `\\C`";
		return text + 2;
	}
	if (c == 'Q') {
		const char *at = text + 2, *end = strstr(at, "\\E");
		const char *stop = end ? end : at + strlen(at);
		while (at < stop) {
			add_rune(scan);
			at += rune_length(at);
		}
		return end ? end + 2 : stop;
	}
	if (strchr("dDsSwWpP", c)) {
		const char *end = text + 2;
		if ((c == 'p' || c == 'P') && *end == '{') {
			const char *close = strchr(end, '}');
			end = close ? close + 1 : end + strlen(end);
		} else if (c == 'p' || c == 'P') {
			end += *end ? rune_length(end) : 0;
		}
		add_atom(scan, (struct atom){ATOM_CHAR, {1, 1}, 1, {0, 0}, 0});
		return end;
	}
	if (strchr("AzbB", c)) {
		add_atom(scan, node(1, 1));
		return text + 2;
	}
	const char *end = text + 2;
	if (c == 'x' && *end == '{') {
		const char *close = strchr(end, '}');
		end = close ? close + 1 : end + strlen(end);
	} else if (c == 'x') {
		end += strspn(end, "0123456789abcdefABCDEF") >= 2 ? 2 : 0;
	} else if (c >= '0' && c <= '7') {
		end += strspn(end, "01234567") > 2 ? 2 : strspn(end, "01234567");
	} else {
		end = text + 1 + rune_length(text + 1);
	}
	add_rune(scan);
	return end;
}

/* A group's opening at text ('('): capturing, non-capturing or flags alone. */
static const char *scan_open(struct scan *scan, const char *text)
{
	if (text[1] != '?') {
		open_group(scan, true);
		return text + 1;
	}
	if (text[2] == 'P' && text[3] == '<') {
		const char *close = strchr(text, '>');
		open_group(scan, true);
		return close ? close + 1 : text + strlen(text);
	}
	size_t flags = strspn(text + 2, "imsU-");
	if (text[2 + flags] == ':') {
		open_group(scan, false);
		return text + 3 + flags;
	}
	return text + 2 + flags + (text[2 + flags] == ')'); /* flags for what follows */
}

/* Takes in the token at text; returns its end. */
static const char *scan_token(struct scan *scan, const char *text)
{
	int64_t min, max;
	const char *end;
	switch (*text) {
	case '(':
		return scan_open(scan, text);
	case ')':
		close_group(scan);
		return text + 1;
	case '|':
		end_branch(scan, &scan->groups[scan->depth]);
		return text + 1;
	case '*':
	case '+':
	case '?':
		repeat(scan, *text == '+', *text == '?' ? 1 : -1, false);
		return text + 1 + (text[1] == '?');
	case '{':
		end = read_repeat(text, &min, &max);
		if (!end) {
			add_rune(scan);
			return text + 1;
		}
		repeat(scan, min, max, true);
		return end + (*end == '?');
	case '[':
		add_atom(scan, (struct atom){ATOM_CHAR, {1, 1}, 1, {0, 0}, 0});
		return class_end(text);
	case '\\':
		return scan_escape(scan, text);
	case '.':
		add_atom(scan, (struct atom){ATOM_CHAR, {1, 1}, 1, {0, 0}, 0});
		return text + 1;
	case '^':
	case '$':
		add_atom(scan, node(1, 1));
		return text + 1;
	default:
		add_rune(scan);
		return text + rune_length(text);
	}
}

const char *regex_bounds_check(const char *pattern)
{
	struct scan scan = {.repeats = 1};
	scan.groups = diag_grow(NULL, &scan.capacity, 1, sizeof *scan.groups);
	scan.groups[0] = (struct group){.capture = false};
	for (const char *at = pattern; *at && !scan.verdict;)
		at = scan_token(&scan, at);
	while (scan.depth > 0)
		close_group(&scan);
	struct atom whole = end_group(&scan, &scan.groups[0]);
	free(scan.groups);
	if (scan.verdict)
		return scan.verdict;
	if (whole.cost.height > MOST_HEIGHT)
		return "expression nests too deeply";
	/* Go counts the size only once its nodes times its repeat counts could pass it. */
	if (scan.nodes >= MOST_INSTRUCTIONS / scan.repeats && whole.cost.size > MOST_INSTRUCTIONS)
		return "expression too large";
	return NULL;
}

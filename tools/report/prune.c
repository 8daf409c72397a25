#include "prune.h"

#include <stdlib.h>
#include <string.h>

#include "go_regexp.h"
#include "reader/diag.h"

/* pprof matches frames against a simplified name: no leading '.', and no
   argument list, though "(anonymous namespace)" and "operator()" stay. */
static char *simplified_function_name(const char *name)
{
	if (*name == '.')
		name++;
	static const char anonymous[] = "(anonymous namespace)", call_operator[] = "operator()";
	size_t length = strlen(name);
	for (size_t i = 0; i < length;) {
		if (!strncmp(name + i, anonymous, sizeof anonymous - 1))
			i += sizeof anonymous - 1;
		else if (!strncmp(name + i, call_operator, sizeof call_operator - 1))
			i += sizeof call_operator - 1;
		else if (name[i] == '(') {
			length = i;
			break;
		} else
			i++;
	}
	char *simple = diag_malloc(length + 1);
	memcpy(simple, name, length);
	simple[length] = '\0';
	return simple;
}

/* Anchors the pattern as pprof does; NULL when it does not compile. */
static struct go_regexp *compile_anchored(const char *pattern)
{
	char *anchored = diag_asprintf("^(%s)$", pattern);
	char error[256];
	struct go_regexp *regexp = go_regexp_compile(anchored, error, sizeof error);
	free(anchored);
	return regexp;
}

/* Marks each function whose frames are to be dropped; NULL when either
   pattern does not compile, for pprof then prunes nothing. */
static bool *dropped_functions(const struct profile *prof)
{
	struct go_regexp *drop = compile_anchored(prof->drop_frames);
	struct go_regexp *keep = drop && prof->keep_frames[0] ? compile_anchored(prof->keep_frames) : NULL;
	if (!drop || (prof->keep_frames[0] && !keep)) {
		go_regexp_free(drop);
		return NULL;
	}
	bool *dropped = diag_calloc(prof->n_functions, sizeof *dropped);
	for (size_t i = 0; i < prof->n_functions; i++) {
		const char *name = prof->functions[i].name;
		if (!*name)
			continue;
		char *simple = simplified_function_name(name);
		dropped[i] = go_regexp_match(drop, simple) && !(keep && go_regexp_match(keep, simple));
		free(simple);
	}
	go_regexp_free(drop);
	go_regexp_free(keep);
	return dropped;
}

enum { KEEP = 0, PRUNE_BENEATH = 1, PRUNE_WHOLE = 2 };

/* Cuts each location's lines at its outermost dropped frame. */
static unsigned char *prune_locations(struct profile *prof, const bool *dropped)
{
	unsigned char *verdict = diag_calloc(prof->n_locations, 1);
	for (size_t i = 0; i < prof->n_locations; i++) {
		struct profile_location *location = &prof->locations[i];
		size_t line = location->n_lines;
		while (line > 0 && !dropped[location->lines[line - 1].function])
			line--;
		if (line == 0)
			continue;
		if (line == location->n_lines) {
			verdict[i] = PRUNE_WHOLE;
		} else {
			verdict[i] = PRUNE_BENEATH;
			location->lines += line;
			location->n_lines -= line;
		}
	}
	return verdict;
}

void prune_dropped_frames(struct profile *prof)
{
	if (!prof->drop_frames[0])
		return;
	bool *dropped = dropped_functions(prof);
	if (!dropped)
		return;
	unsigned char *verdict = prune_locations(prof, dropped);
	for (size_t s = 0; s < prof->n_samples; s++) {
		struct profile_sample *sample = &prof->samples[s];
		bool found_user_frame = false; /* frames below the first user frame stay */
		for (size_t i = sample->n_locations; i-- > 0;) {
			unsigned char v = verdict[sample->locations[i]];
			if (v == KEEP) {
				found_user_frame = true;
				continue;
			}
			if (!found_user_frame)
				continue;
			size_t cut = v == PRUNE_WHOLE ? i + 1 : i;
			sample->locations += cut;
			sample->n_locations -= cut;
			break;
		}
	}
	free(verdict);
	free(dropped);
}

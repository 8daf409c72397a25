#include "list.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "go_int.h"
#include "go_path.h"
#include "go_regexp.h"
#include "graph.h"
#include "reader/diag.h"
#include "source_reader.h"

/* Lines shown before the first and after the last line with samples. */
enum { MARGIN = 5 };

struct list_context {
	char **display_files; /* per function: its file name as list shows it */
};

/* -list works at line granularity with binary names kept: a node is a
   function at one line of one file in one binary. */
static void describe_line_frame(const struct profile *prof, const struct profile_location *location,
				const struct profile_line *line, struct node_info *out, void *context)
{
	const struct list_context *list = context;
	const char *objfile = location->mapping != NO_MAPPING ? prof->mappings[location->mapping].file : "";
	*out = (struct node_info){.name = "", .orig_name = "", .file = "", .objfile = objfile};
	if (!line)
		return;
	const struct profile_function *function = &prof->functions[line->function];
	out->name = function->name;
	out->file = list->display_files[line->function];
	out->start_line = function->start_line;
	out->lineno = line->line;
}

static char **display_file_names(const struct report *rpt)
{
	const struct profile *prof = rpt->prof;
	char **names = diag_calloc(prof->n_functions, sizeof *names);
	for (size_t i = 0; i < prof->n_functions; i++) {
		const char *filename = prof->functions[i].filename;
		if (!filename[0]) {
			names[i] = diag_strdup("");
			continue;
		}
		char *trimmed =
			source_reader_trim_path(filename, rpt->options.trim_path, rpt->options.source_path);
		names[i] = go_path_clean(trimmed);
		free(trimmed);
	}
	return names;
}

struct node_list {
	uint32_t *nodes;
	size_t count;
};

struct listing {
	struct report *rpt;
	const struct node_space *space;
	const struct graph *g;
	struct source_reader *reader;
	FILE *out;
};

static const struct node_info *info_of(const struct listing *l, uint32_t node)
{
	return &l->space->infos[node];
}

static void format_or_dot(const struct listing *l, int64_t value, char text[VALUE_TEXT_SIZE])
{
	if (value == 0)
		strcpy(text, ".");
	else
		report_format_value(l->rpt, value, text);
}

/* pprof's getSourceFromFile range: from the function's start line (or
   MARGIN lines before the first sample) to MARGIN lines after the last. */
static void source_range(const struct listing *l, const struct node_list *fns, long *first, long *last)
{
	const struct node_info *head = info_of(l, fns->nodes[0]);
	long start = head->start_line ? (long)head->start_line : (long)head->lineno - MARGIN;
	long end = (long)head->lineno + MARGIN;
	for (size_t i = 0; i < fns->count; i++) {
		const struct node_info *info = info_of(l, fns->nodes[i]);
		long node_start = info->start_line ? (long)info->start_line : (long)info->lineno - MARGIN;
		long node_end = (long)info->lineno + MARGIN;
		if (node_start < start)
			start = node_start;
		else if (node_end > end)
			end = node_end;
	}
	*first = start < 1 ? 1 : start;
	*last = end;
}

static int compare_by_line(const void *a, const void *b, void *context)
{
	int64_t left = info_of(context, *(const uint32_t *)a)->lineno;
	int64_t right = info_of(context, *(const uint32_t *)b)->lineno;
	return (left > right) - (left < right);
}

static void print_source_lines(const struct listing *l, const char *file, const struct node_list *fns)
{
	long first, last;
	source_range(l, fns, &first, &last);
	/* In line order, so that each line finds its nodes where the last one stopped. */
	uint32_t *by_line = diag_malloc(fns->count * sizeof *by_line);
	memcpy(by_line, fns->nodes, fns->count * sizeof *by_line);
	qsort_r(by_line, fns->count, sizeof *by_line, compare_by_line, (void *)l);
	size_t next = 0;
	for (long lineno = first; lineno <= last; lineno++) {
		const char *text = source_reader_line(l->reader, file, lineno);
		if (!text)
			break;
		while (next < fns->count && info_of(l, by_line[next])->lineno < lineno)
			next++;
		int64_t flat = 0, cum = 0;
		for (; next < fns->count && info_of(l, by_line[next])->lineno == lineno; next++) {
			go_add(&flat, l->g->flat[by_line[next]]);
			go_add(&cum, l->g->cum[by_line[next]]);
		}
		char flat_text[VALUE_TEXT_SIZE], cum_text[VALUE_TEXT_SIZE];
		format_or_dot(l, flat, flat_text);
		format_or_dot(l, cum, cum_text);
		fprintf(l->out, "%*s %*s %6ld:%s\n", units_width(flat_text, 10), flat_text,
			units_width(cum_text, 10), cum_text, lineno, text);
	}
	free(by_line);
}

static void print_file_routine(const struct listing *l, const char *name, const char *file,
			       const struct node_list *fns)
{
	int64_t flat_sum = 0, cum_sum = 0;
	for (size_t i = 0; i < fns->count; i++) {
		go_add(&flat_sum, l->g->flat[fns->nodes[i]]);
		go_add(&cum_sum, l->g->cum[fns->nodes[i]]);
	}
	char flat[VALUE_TEXT_SIZE], cum[VALUE_TEXT_SIZE], share[VALUE_TEXT_SIZE];
	report_format_value(l->rpt, flat_sum, flat);
	report_format_value(l->rpt, cum_sum, cum);
	units_percentage(share, cum_sum, l->rpt->total);
	fprintf(l->out, "ROUTINE ======================== %s in %s\n", name, file);
	fprintf(l->out, "%*s %*s (flat, cum) %s of Total\n", units_width(flat, 10), flat,
		units_width(cum, 10), cum, share);
	/* pprof only opens the file when the range holds a line to show, but
	   says why it could not whenever it tried, for this routine or another. */
	long first, last;
	source_range(l, fns, &first, &last);
	if (first <= last)
		source_reader_line(l->reader, file, first);
	const char *error = source_reader_error(l->reader, file);
	if (error)
		fprintf(l->out, " Error: %s\n", error);
	else
		print_source_lines(l, file, fns);
}

static int compare_by_file(const void *a, const void *b, void *context)
{
	const struct node_info *left = info_of(context, *(const uint32_t *)a);
	const struct node_info *right = info_of(context, *(const uint32_t *)b);
	int order = strcmp(left->file, right->file);
	if (order)
		return order;
	if (left->start_line != right->start_line)
		return left->start_line < right->start_line ? -1 : 1;
	return left->lineno < right->lineno ? -1 : left->lineno > right->lineno;
}

/* Prints one function's routines, one per source file, files in name order. */
static void print_function(const struct listing *l, const struct node_list *function)
{
	const char *name = info_of(l, function->nodes[0])->name;
	uint32_t *by_file = diag_malloc(function->count * sizeof *by_file);
	size_t n = 0;
	for (size_t i = 0; i < function->count; i++)
		if (info_of(l, function->nodes[i])->file[0])
			by_file[n++] = function->nodes[i];
	if (n == 0) {
		fprintf(l->out, "No source information for %s\n", name);
		free(by_file);
		return;
	}
	qsort_r(by_file, n, sizeof *by_file, compare_by_file, (void *)l);
	for (size_t i = 0; i < n;) {
		const char *file = info_of(l, by_file[i])->file;
		size_t j = i;
		while (j < n && !strcmp(info_of(l, by_file[j])->file, file))
			j++;
		struct node_list fns = {by_file + i, j - i};
		print_file_routine(l, name, file, &fns);
		i = j;
	}
	free(by_file);
}

static int compare_by_name(const void *a, const void *b, void *context)
{
	const struct node_info *left = info_of(context, *(const uint32_t *)a);
	const struct node_info *right = info_of(context, *(const uint32_t *)b);
	int order = strcmp(left->name, right->name);
	return order ? order
		     : (*(const uint32_t *)a > *(const uint32_t *)b) -
			       (*(const uint32_t *)a < *(const uint32_t *)b);
}

/* The graph's nodes whose function name matches, ordered by name. */
static struct node_list matching_nodes(const struct listing *l, const struct go_regexp *regexp)
{
	struct node_list matches = {diag_malloc((l->space->n_nodes + 1) * sizeof(uint32_t)), 0};
	for (uint32_t node = 0; node < l->space->n_nodes; node++)
		if (graph_has_node(l->g, node) && go_regexp_match(regexp, info_of(l, node)->name))
			matches.nodes[matches.count++] = node;
	qsort_r(matches.nodes, matches.count, sizeof *matches.nodes, compare_by_name, (void *)l);
	return matches;
}

static struct go_regexp *compile_symbol_regexp(const char *pattern)
{
	char error[512];
	struct go_regexp *regexp = go_regexp_compile(pattern, error, sizeof error);
	if (!regexp)
		diag_die_usage("parsing argument regexp %s: %s", pattern, error);
	return regexp;
}

static void print_listing(struct listing *l, const struct node_list *matches)
{
	char total[VALUE_TEXT_SIZE];
	report_format_value(l->rpt, l->rpt->total, total);
	fprintf(l->out, "Total: %s\n", total);
	for (size_t i = 0; i < matches->count;) {
		const char *name = info_of(l, matches->nodes[i])->name;
		size_t j = i;
		while (j < matches->count && !strcmp(info_of(l, matches->nodes[j])->name, name))
			j++;
		struct node_list function = {matches->nodes + i, j - i};
		print_function(l, &function);
		i = j;
	}
}

int list_print(struct report *rpt, const char *pattern, FILE *out)
{
	struct go_regexp *regexp = compile_symbol_regexp(pattern);
	struct list_context context = {display_file_names(rpt)};
	struct node_space space;
	graph_node_space_build(&space, rpt->prof, describe_line_frame, &context);
	struct graph g;
	graph_build(&g, rpt->prof, &space, rpt->value_index, NULL);

	char *cwd = NULL;
	const char *search_path = rpt->options.source_path;
	if (!search_path[0]) {
		cwd = getcwd(NULL, 0);
		if (!cwd)
			diag_die("could not stat current dir");
		search_path = cwd;
	}
	struct source_reader reader;
	source_reader_init(&reader, search_path, rpt->options.trim_path);
	struct listing l = {rpt, &space, &g, &reader, out};
	struct node_list matches = matching_nodes(&l, regexp);
	int status = 0;
	if (matches.count == 0) {
		fflush(out);
		fprintf(stderr, "heapprof: no matches found for regexp: %s\n", pattern);
		status = EXIT_BAD_INPUT;
	} else {
		print_listing(&l, &matches);
	}
	free(matches.nodes);
	source_reader_free(&reader);
	free(cwd);
	graph_free(&g);
	graph_node_space_free(&space);
	for (size_t i = 0; i < rpt->prof->n_functions; i++)
		free(context.display_files[i]);
	free(context.display_files);
	go_regexp_free(regexp);
	return status;
}

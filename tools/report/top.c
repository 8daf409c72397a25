#include "top.h"

#include <stdlib.h>
#include <string.h>

#include "go_int.h"
#include "go_path.h"
#include "go_time.h"
#include "graph.h"
#include "reader/diag.h"

/* pprof's default edgefraction; it decides which calls still count as inlined. */
#define EDGE_FRACTION 0.001

/* -top works at function granularity: pprof first erases addresses, line
   numbers and file names, so frames differ only by function name, or for
   frames without one by binary and start line. */
static void describe_function_frame(const struct profile *prof, const struct profile_location *location,
				    const struct profile_line *line, struct node_info *out, void *context)
{
	(void)context;
	const char *objfile = location->mapping != NO_MAPPING ? prof->mappings[location->mapping].file : "";
	*out = (struct node_info){.name = "", .orig_name = "", .file = "", .objfile = objfile};
	if (!line)
		return;
	const struct profile_function *function = &prof->functions[line->function];
	out->name = function->name;
	if (!function->name[0])
		out->start_line = function->start_line;
	else
		out->objfile = "";
}

struct top_row {
	uint32_t id;
	char *printable;
	const struct node_info *info;
	int64_t flat, cum;
};

struct top_view {
	struct report *rpt;
	struct node_space space;
	struct graph g;
	struct top_row *rows;
	size_t n_rows;
	int64_t edge_cutoff;
	bool *kept; /* the nodes the final graph was restricted to; NULL for all */
	int dropped_nodes;
	size_t original_count;
};

static int compare_rows_flat(const void *a, const void *b)
{
	const struct top_row *left = a, *right = b;
	if (go_abs(left->flat) != go_abs(right->flat))
		return go_abs(left->flat) > go_abs(right->flat) ? -1 : 1;
	int order = strcmp(left->printable, right->printable);
	if (order)
		return order;
	if (go_abs(left->cum) != go_abs(right->cum))
		return go_abs(left->cum) > go_abs(right->cum) ? -1 : 1;
	return graph_node_info_compare(left->info, right->info);
}

static int compare_rows_cum(const void *a, const void *b)
{
	const struct top_row *left = a, *right = b;
	if (go_abs(left->cum) != go_abs(right->cum))
		return go_abs(left->cum) > go_abs(right->cum) ? -1 : 1;
	int order = strcmp(left->printable, right->printable);
	if (order)
		return order;
	if (go_abs(left->flat) != go_abs(right->flat))
		return go_abs(left->flat) > go_abs(right->flat) ? -1 : 1;
	return graph_node_info_compare(left->info, right->info);
}

static void free_rows(struct top_view *view)
{
	for (size_t i = 0; i < view->n_rows; i++)
		free(view->rows[i].printable);
	free(view->rows);
	view->rows = NULL;
	view->n_rows = 0;
}

/* Lists the graph's nodes in report order. */
static void collect_rows(struct top_view *view)
{
	free_rows(view);
	view->rows = diag_malloc(view->space.n_nodes * sizeof *view->rows);
	for (uint32_t node = 0; node < view->space.n_nodes; node++) {
		if (!graph_has_node(&view->g, node))
			continue;
		const struct node_info *info = &view->space.infos[node];
		view->rows[view->n_rows++] = (struct top_row){node, graph_node_printable_name(info), info,
							      view->g.flat[node], view->g.cum[node]};
	}
	qsort(view->rows, view->n_rows, sizeof *view->rows,
	      view->rpt->options.cum_sort ? compare_rows_cum : compare_rows_flat);
}

static void rebuild(struct top_view *view, bool *kept)
{
	graph_free(&view->g);
	graph_build(&view->g, view->rpt->prof, &view->space, view->rpt->value_index, kept);
	view->kept = kept;
}

/* pprof's newTrimmedGraph for a text report: drop nodes under nodefraction
   of the total, then keep the first nodecount in report order. */
static void build_trimmed(struct top_view *view)
{
	struct report *rpt = view->rpt;
	size_t n_nodes = view->space.n_nodes;
	graph_build(&view->g, rpt->prof, &view->space, rpt->value_index, NULL);
	int64_t total_value = 0;
	size_t in_graph = 0;
	for (uint32_t node = 0; node < n_nodes; node++) {
		go_add(&total_value, view->g.flat[node]);
		in_graph += graph_has_node(&view->g, node);
	}
	int64_t node_cutoff = go_abs(go_int64_of((double)total_value * rpt->options.node_fraction));
	view->edge_cutoff = go_abs(go_int64_of((double)total_value * EDGE_FRACTION));

	bool *kept = diag_calloc(n_nodes, sizeof *kept);
	if (node_cutoff > 0) {
		size_t n_kept = 0;
		for (uint32_t node = 0; node < n_nodes; node++) {
			kept[node] =
				graph_has_node(&view->g, node) && go_abs(view->g.cum[node]) >= node_cutoff;
			n_kept += kept[node];
		}
		if (n_kept != in_graph) {
			view->dropped_nodes = (int)(in_graph - n_kept);
			rebuild(view, kept);
		}
	}
	collect_rows(view);
	view->original_count = view->n_rows;
	int64_t node_count = rpt->options.node_count; /* -1: top's default, all */
	if (node_count > 0) {
		/* The first node_count nodes, less those whose cum has no absolute
		   value (the smallest int64), which pprof's cutoff of 0 drops. */
		size_t first = (uint64_t)node_count < view->n_rows ? (size_t)node_count : view->n_rows,
		       n_kept = 0;
		for (size_t i = 0; i < first; i++)
			n_kept += go_abs(view->rows[i].cum) >= 0;
		if (n_kept != view->n_rows) {
			memset(kept, 0, n_nodes * sizeof *kept);
			for (size_t i = 0; i < first; i++)
				kept[view->rows[i].id] = go_abs(view->rows[i].cum) >= 0;
			rebuild(view, kept);
			collect_rows(view);
		}
	}
	if (!view->kept)
		free(kept);
}

/* pprof's selectOutputUnit: a unit that suits both the smallest nonzero
   node and the total, leaning to the larger one when they differ. */
static void select_output_unit(struct report *rpt, const struct top_view *view)
{
	if (strcmp(rpt->options.unit, "minimum") || view->n_rows == 0)
		return;
	int64_t min_value = 0;
	for (size_t i = 0; i < view->n_rows; i++) {
		int64_t node_min = go_abs(view->rows[i].flat);
		if (node_min == 0)
			node_min = go_abs(view->rows[i].cum);
		if (node_min > 0 && (min_value == 0 || node_min < min_value))
			min_value = node_min;
	}
	int64_t max_value = rpt->total;
	if (min_value == 0)
		min_value = max_value;
	const char *min_unit, *max_unit, *unit;
	units_scale(min_value, rpt->sample_unit, "minimum", &min_unit);
	units_scale(max_value, rpt->sample_unit, "minimum", &max_unit);
	unit = min_unit;
	int64_t min_value_100 = (int64_t)((uint64_t)min_value * 100); /* wraps as in Go */
	if (strcmp(min_unit, max_unit) && min_value_100 < max_value)
		units_scale(min_value_100, rpt->sample_unit, "minimum", &unit);
	rpt->output_unit = unit[0] ? unit : rpt->sample_unit;
}

static void print_time_label(FILE *out, int64_t time_nanos)
{
	int64_t seconds = time_nanos / 1000000000;
	if (time_nanos % 1000000000 < 0)
		seconds--;
	struct tm local;
	char zone[GO_ZONE_NAME_SIZE];
	go_time_local(seconds, &local, zone);
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int hour = local.tm_hour % 12 ? local.tm_hour % 12 : 12;
	fprintf(out, "Time: %s %d, %d at %d:%02d%s (%s)\n", months[local.tm_mon], local.tm_mday,
		local.tm_year + 1900, hour, local.tm_min, local.tm_hour < 12 ? "am" : "pm", zone);
}

static void print_duration_label(FILE *out, const struct report *rpt)
{
	const struct profile *prof = rpt->prof;
	char duration[VALUE_TEXT_SIZE], total[VALUE_TEXT_SIZE], share[VALUE_TEXT_SIZE + 2] = "";
	units_label(duration, prof->duration_nanos, "nanoseconds", "auto");
	report_format_value(rpt, rpt->total, total);
	const char *total_unit;
	double total_nanos = units_scale(rpt->total, rpt->sample_unit, "nanoseconds", &total_unit);
	if (!strcmp(total_unit, "ns") && total_nanos != 0) {
		char percent[VALUE_TEXT_SIZE];
		units_percentage(percent, (int64_t)total_nanos, prof->duration_nanos);
		snprintf(share, sizeof share, "(%s)", percent);
	}
	fprintf(out, "Duration: %s, Total samples = %s %s\n", duration, total, share);
}

/* The lines pprof heads every report with (ProfileLabels). */
static void print_profile_labels(FILE *out, const struct report *rpt)
{
	const struct profile *prof = rpt->prof;
	if (prof->n_mappings > 0) {
		if (prof->mappings[0].file[0]) {
			char *base = go_path_base(prof->mappings[0].file);
			fprintf(out, "File: %s\n", base);
			free(base);
		}
		if (prof->mappings[0].build_id[0])
			fprintf(out, "Build ID: %s\n", prof->mappings[0].build_id);
	}
	for (size_t i = 0; i < prof->n_comments; i++)
		if (prof->comments[i][0] != '#')
			fprintf(out, "%s\n", prof->comments[i]);
	if (rpt->sample_type[0])
		fprintf(out, "Type: %s\n", rpt->sample_type);
	if (prof->time_nanos)
		print_time_label(out, prof->time_nanos);
	if (prof->duration_nanos)
		print_duration_label(out, rpt);
}

static void print_report_labels(FILE *out, const struct report *rpt, const struct top_view *view)
{
	print_profile_labels(out, rpt);
	int64_t flat_sum = 0;
	for (size_t i = 0; i < view->n_rows; i++)
		go_add(&flat_sum, view->rows[i].flat);
	char shown[VALUE_TEXT_SIZE], share[VALUE_TEXT_SIZE], total[VALUE_TEXT_SIZE];
	report_format_value(rpt, flat_sum, shown);
	units_percentage(share, flat_sum, rpt->total);
	report_format_value(rpt, rpt->total, total);
	fprintf(out, "Showing nodes accounting for %s, %s of %s total\n", shown, share + strspn(share, " "),
		total);
	if (rpt->total == 0)
		return;
	if (view->dropped_nodes > 0) {
		char cutoff[VALUE_TEXT_SIZE];
		report_format_value(rpt, go_abs(go_int64_of((double)rpt->total * rpt->options.node_fraction)),
				    cutoff);
		fprintf(out, "Dropped %d node%s (cum <= %s)\n", view->dropped_nodes,
			view->dropped_nodes > 1 ? "s" : "", cutoff);
	}
	if (view->n_rows > 0 && view->n_rows < view->original_count)
		fprintf(out, "Showing top %zu nodes out of %zu\n", view->n_rows, view->original_count);
}

/* "(inline)" when every call into the node that survived trimming was
   inlined, "(partial-inline)" when only some were. */
static const char *inline_label(unsigned char call_kinds)
{
	switch (call_kinds) {
	case CALLS_INLINED:
		return " (inline)";
	case CALLS_INLINED | CALLS_NOT_INLINED:
		return " (partial-inline)";
	default:
		return "";
	}
}

int top_print(struct report *rpt, FILE *out)
{
	struct top_view view = {.rpt = rpt};
	graph_node_space_build(&view.space, rpt->prof, describe_function_frame, NULL);
	build_trimmed(&view);
	select_output_unit(rpt, &view);
	print_report_labels(out, rpt, &view);
	fprintf(out, "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum", "cum");
	unsigned char *call_kinds =
		graph_classify_calls(rpt->prof, &view.space, rpt->value_index, view.kept, view.edge_cutoff);
	int64_t flat_sum = 0;
	for (size_t i = 0; i < view.n_rows; i++) {
		const struct top_row *row = &view.rows[i];
		go_add(&flat_sum, row->flat);
		char flat[VALUE_TEXT_SIZE], flat_share[VALUE_TEXT_SIZE], sum_share[VALUE_TEXT_SIZE];
		char cum[VALUE_TEXT_SIZE], cum_share[VALUE_TEXT_SIZE];
		report_format_value(rpt, row->flat, flat);
		units_percentage(flat_share, row->flat, rpt->total);
		units_percentage(sum_share, flat_sum, rpt->total);
		report_format_value(rpt, row->cum, cum);
		units_percentage(cum_share, row->cum, rpt->total);
		fprintf(out, "%*s %s %s %*s %s  %s%s\n", units_width(flat, 10), flat, flat_share, sum_share,
			units_width(cum, 10), cum, cum_share, row->printable,
			inline_label(call_kinds[row->id]));
	}
	free(call_kinds);
	free(view.kept);
	free_rows(&view);
	graph_free(&view.g);
	graph_node_space_free(&view.space);
	return 0;
}

int top_print_head(const char *path, int max_lines, FILE *out)
{
	char error[1024];
	struct profile *prof = profile_reader_read_file(path, error, sizeof error);
	if (!prof || prof->n_sample_types == 0) {
		fprintf(out, "heapprof: %s\n", prof ? "the profile has no sample types" : error);
		profile_reader_free(prof);
		return EXIT_BAD_INPUT;
	}
	struct report_options options = REPORT_OPTIONS_DEFAULT;
	struct report rpt;
	report_prepare(&rpt, prof, &options);
	char *text = NULL;
	size_t size = 0;
	FILE *buffer = open_memstream(&text, &size);
	if (!buffer)
		diag_die("out of memory");
	top_print(&rpt, buffer);
	fclose(buffer);
	const char *line = text;
	for (int i = 0; i < max_lines && *line; i++) {
		size_t length = strcspn(line, "\n");
		fwrite(line, 1, length + (line[length] == '\n'), out);
		line += length + (line[length] == '\n');
	}
	free(text);
	report_close(&rpt);
	return 0;
}

#include "report_page.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flame.h"
#include "markup.h"
#include "reader/diag.h"
#include "top.h"

enum {
	CHART_WIDTH = 1000,
	CHART_HEIGHT = 320,
	CHART_LEFT = 90, /* room for the values on the axis */
	CHART_RIGHT = 20,
	CHART_TOP = 10,
	CHART_BOTTOM = 30,
	STACK_FRAMES_SHOWN = 40, /* of a suspect's stack; deeper ones are elided */
};

static const char *const series_colors[] = {"#222", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"};

static const char page_style[] =
	"body { font-family: sans-serif; margin: 20px; color: #222; }\n"
	"table { border-collapse: collapse; margin: 8px 0; }\n"
	"th, td { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: left; vertical-align: top; "
	"}\n"
	"td.number { text-align: right; font-family: monospace; }\n"
	"pre { background: #f6f6f6; padding: 8px; overflow-x: auto; }\n"
	"details pre { margin: 4px 0; }\n"
	".swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; }\n"
	".chart text { font: 11px sans-serif; }\n"
	".flame-of svg, svg.chart { max-width: 100%; height: auto; }\n";

/* Shows the flame graph of the profile chosen in the list, and no other. */
static const char choice_script[] = "(function () {\n"
				    "var choice = document.getElementById('flame-profile');\n"
				    "function show() {\n"
				    "\tdocument.querySelectorAll('.flame-of').forEach(function (div) {\n"
				    "\t\tdiv.hidden = div.getAttribute('data-profile') !== choice.value;\n"
				    "\t});\n"
				    "}\n"
				    "choice.addEventListener('change', show);\n"
				    "show();\n"
				    "})();\n";

static void write_value(FILE *out, const struct series *series, int64_t value)
{
	const struct report *rpt = &series->reports[0];
	char text[VALUE_TEXT_SIZE];
	units_label(text, value, rpt->sample_unit, "auto");
	markup_write_text(out, text, SIZE_MAX);
}

static void write_time(FILE *out, int64_t time_nanos)
{
	if (!time_nanos) {
		fputs("(no time)", out);
		return;
	}
	time_t seconds = (time_t)(time_nanos / 1000000000);
	struct tm utc;
	char text[64];
	if (!gmtime_r(&seconds, &utc) || !strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc)) {
		fputs("(time out of range)", out);
		return;
	}
	fputs(text, out);
}

static void write_duration(FILE *out, double seconds)
{
	if (seconds < 120)
		fprintf(out, "%.3gs", seconds);
	else if (seconds < 7200)
		fprintf(out, "%.3gm", seconds / 60);
	else
		fprintf(out, "%.3gh", seconds / 3600);
}

/* A site by its leaf frame and that frame's caller, which tell apart the
   sites of one allocating function. */
static void write_site_name(FILE *out, const struct series *series, const struct series_site *site)
{
	uint32_t names[2];
	size_t count = series_site_frames(series, site, names, 2);
	if (!count) {
		fputs("(no stack)", out);
		return;
	}
	markup_write_text(out, series->names.entries[names[0]].bytes, SIZE_MAX);
	if (count > 1) {
		fputs(" &larr; ", out);
		markup_write_text(out, series->names.entries[names[1]].bytes, SIZE_MAX);
	}
}

static void write_header(FILE *out, const struct series *series)
{
	const struct report *last = &series->reports[series->n_profiles - 1];
	fprintf(out,
		"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<title>heapprof report</title>\n<style>\n%s</style>\n</head>\n<body>\n"
		"<h1>heapprof report</h1>\n<p>",
		page_style);
	fprintf(out, "%zu profile%s of ", series->n_profiles, series->n_profiles == 1 ? "" : "s");
	markup_write_text(out, last->sample_type, SIZE_MAX);
	if (series->n_profiles > 1) {
		fputs(", over ", out);
		write_duration(out, series->span_seconds);
	}
	fputs(".</p>\n<details><summary>The profiles, in the order they were taken</summary>\n"
	      "<table class=\"profiles\">\n<tr><th>#</th><th>profile</th><th>taken</th><th>total</th></tr>\n",
	      out);
	for (size_t i = 0; i < series->n_profiles; i++) {
		fprintf(out, "<tr><td>%zu</td><td>", i + 1);
		markup_write_text(out, series->sources[i], SIZE_MAX);
		fputs("</td><td>", out);
		write_time(out, series_taken_nanos(series->reports[i].prof));
		fputs("</td><td class=\"number\">", out);
		write_value(out, series, series->totals[i]);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n</details>\n", out);
}

struct chart_scale {
	double x_span, y_low, y_high;
};

static double chart_x(const struct series *series, const struct chart_scale *scale, size_t i)
{
	double at = series->span_seconds > 0 ? series->seconds[i] : (double)i;
	return CHART_LEFT + at / scale->x_span * (CHART_WIDTH - CHART_LEFT - CHART_RIGHT);
}

static double chart_y(const struct chart_scale *scale, int64_t value)
{
	double plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM;
	return CHART_TOP + plot - ((double)value - scale->y_low) / (scale->y_high - scale->y_low) * plot;
}

/* The first suspects, then the largest of the other sites, for contrast. */
static size_t charted_sites(const struct series *series, uint32_t charted[REPORT_PAGE_CHARTED_SITES])
{
	size_t count = 0;
	for (size_t i = 0; i < series->n_suspects && count < REPORT_PAGE_CHARTED_SITES; i++)
		charted[count++] = series->suspects[i];
	for (size_t i = 0; i < series->n_sites && count < REPORT_PAGE_CHARTED_SITES; i++)
		if (series->sites[series->largest[i]].score <= 0)
			charted[count++] = series->largest[i];
	return count;
}

static void stretch_scale(struct chart_scale *scale, const int64_t *values, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		scale->y_low = fmin(scale->y_low, (double)values[i]);
		scale->y_high = fmax(scale->y_high, (double)values[i]);
	}
}

/* The total (site NULL) or a site, by its place in the chart's legend. */
static void write_line(FILE *out, const struct series *series, const struct chart_scale *scale,
		       const struct series_site *site, size_t rank)
{
	const int64_t *values = site ? site->values : series->totals;
	fprintf(out,
		"<polyline class=\"series %s\" data-rank=\"%zu\" fill=\"none\" stroke=\"%s\" "
		"stroke-width=\"2\" points=\"",
		site ? "site" : "total", rank, series_colors[rank]);
	for (size_t i = 0; i < series->n_profiles; i++)
		fprintf(out, "%s%.1f,%.1f", i ? " " : "", chart_x(series, scale, i),
			chart_y(scale, values[i]));
	fputs("\"><title>", out);
	if (site)
		write_site_name(out, series, site);
	else
		fputs("total", out);
	fputs("</title></polyline>\n", out);
}

static void write_axes(FILE *out, const struct series *series, const struct chart_scale *scale)
{
	int bottom = CHART_HEIGHT - CHART_BOTTOM;
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", CHART_LEFT, bottom,
		CHART_WIDTH - CHART_RIGHT, bottom);
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", CHART_LEFT,
		CHART_TOP, CHART_LEFT, bottom);
	for (int step = 0; step <= 4; step++) {
		double value = scale->y_low + (scale->y_high - scale->y_low) * step / 4;
		fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", CHART_LEFT - 6,
			chart_y(scale, llround(value)) + 4);
		write_value(out, series, llround(value));
		fputs("</text>\n", out);
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\">0</text>\n", CHART_LEFT, CHART_HEIGHT - 10);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", CHART_WIDTH - CHART_RIGHT,
		CHART_HEIGHT - 10);
	if (series->span_seconds > 0)
		write_duration(out, series->span_seconds);
	else
		fprintf(out, "profile %zu", series->n_profiles);
	fputs("</text>\n", out);
}

/* In-use over time: the total and the first suspects, each a polyline. */
static void write_chart(FILE *out, const struct series *series)
{
	struct chart_scale scale = {
		series->span_seconds > 0 ? series->span_seconds : (double)series->n_profiles - 1, 0, 0};
	uint32_t charted[REPORT_PAGE_CHARTED_SITES];
	size_t n_charted = charted_sites(series, charted);
	stretch_scale(&scale, series->totals, series->n_profiles);
	for (size_t i = 0; i < n_charted; i++)
		stretch_scale(&scale, series->sites[charted[i]].values, series->n_profiles);
	if (scale.y_high == scale.y_low)
		scale.y_high = scale.y_low + 1;
	fprintf(out,
		"<h2>In use over time</h2>\n<svg class=\"chart\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n",
		CHART_WIDTH, CHART_HEIGHT, CHART_WIDTH, CHART_HEIGHT);
	write_axes(out, series, &scale);
	write_line(out, series, &scale, NULL, 0);
	for (size_t i = 0; i < n_charted; i++)
		write_line(out, series, &scale, &series->sites[charted[i]], i + 1);
	fputs("</svg>\n<p class=\"legend\">", out);
	for (size_t i = 0; i <= n_charted; i++) {
		fprintf(out, "<span class=\"swatch\" style=\"background: %s\"></span>", series_colors[i]);
		if (i)
			write_site_name(out, series, &series->sites[charted[i - 1]]);
		else
			fputs("total", out);
		fputs(" &nbsp; ", out);
	}
	fputs("</p>\n", out);
}

static void write_stack(FILE *out, const struct series *series, const struct series_site *site)
{
	fputs("<details><summary>", out);
	write_site_name(out, series, site);
	fprintf(out, "</summary><pre>");
	uint32_t names[STACK_FRAMES_SHOWN];
	size_t count = series_site_frames(series, site, names, STACK_FRAMES_SHOWN);
	for (size_t i = 0; i < count && i < STACK_FRAMES_SHOWN; i++) {
		markup_write_text(out, series->names.entries[names[i]].bytes, SIZE_MAX);
		fputc('\n', out);
	}
	if (count > STACK_FRAMES_SHOWN)
		fprintf(out, "(%zu frames more)\n", count - STACK_FRAMES_SHOWN);
	fputs("</pre></details>", out);
}

static void write_share(FILE *out, double share)
{
	if (isnan(share))
		fputs("&mdash;", out);
	else
		fprintf(out, "%.0f%%", share * 100);
}

static void write_suspect(FILE *out, const struct series *series, size_t rank)
{
	const struct series_site *site = &series->sites[series->suspects[rank]];
	fprintf(out, "<tr class=\"suspect\"><td>%zu</td><td class=\"site\">", rank + 1);
	write_stack(out, series, site);
	fputs("</td><td class=\"number in-use\">", out);
	write_value(out, series, site->values[series->n_profiles - 1]);
	fputs("</td><td class=\"number growth\">", out);
	if (isnan(site->growth_per_hour)) {
		fputs("&mdash;", out);
	} else {
		write_value(out, series, (int64_t)llround(site->growth_per_hour));
		fputs("/h", out);
	}
	fputs("</td><td class=\"number steadiness\">", out);
	write_share(out, series->n_profiles > 1 ? site->steadiness : NAN);
	fputs("</td><td class=\"number old\">", out);
	write_share(out, series_old_share(site));
	fputs("</td></tr>\n", out);
}

static void write_suspects(FILE *out, const struct series *series)
{
	fputs("<h2>Leak suspects</h2>\n<p>", out);
	if (series->n_profiles > 1)
		fputs("Allocation sites whose memory in use grew steadily across the series: ranked by the "
		      "least-squares growth, times its steadiness (steps up less steps down, of all steps)",
		      out);
	else
		fputs("One profile has no growth: sites ranked by their memory in use", out);
	if (series->has_ages) {
		fputs(series->n_profiles > 1 ? ", times the share that is old" : " that is old", out);
		fputs(" (of the in-use labelled with an age in the last profile, the part at least ", out);
		write_duration(out, series->old_seconds);
		fputs(" old)", out);
	} else {
		fputs(" (the profiles carry no age labels)", out);
	}
	fputs(".</p>\n<table class=\"suspects\">\n<tr><th>#</th><th>site</th><th>in use, last</th>"
	      "<th>growth per hour</th><th>steadiness</th><th>old</th></tr>\n",
	      out);
	for (size_t i = 0; i < series->n_suspects && i < REPORT_PAGE_LISTED_SUSPECTS; i++)
		write_suspect(out, series, i);
	fputs("</table>\n", out);
	if (series->n_suspects == 0)
		fputs("<p class=\"no-suspects\">No site grew.</p>\n", out);
}

static void write_flames(FILE *out, const struct series *series)
{
	fputs("<h2>Flame graph</h2>\n<p>Of the profile <select id=\"flame-profile\">\n", out);
	for (size_t i = 0; i < series->n_profiles; i++) {
		fprintf(out, "<option value=\"%zu\"%s>%zu: ", i,
			i + 1 == series->n_profiles ? " selected" : "", i + 1);
		markup_write_text(out, series->sources[i], SIZE_MAX);
		fputs("</option>\n", out);
	}
	fputs("</select> (click a frame to zoom, <q>all</q> to zoom out; the box searches)</p>\n", out);
	for (size_t i = 0; i < series->n_profiles; i++) {
		fprintf(out, "<div class=\"flame-of\" data-profile=\"%zu\">\n", i);
		char error[256];
		if (flame_write_inline_svg(&series->reports[i], out, error, sizeof error)) {
			fputs("<p>", out);
			markup_write_text(out, error, SIZE_MAX);
			fputs("</p>", out);
		}
		fputs("</div>\n", out);
	}
}

static void write_top(FILE *out, struct report *rpt, const char *title, const char *class)
{
	char *text = NULL;
	size_t size = 0;
	FILE *buffer = open_memstream(&text, &size);
	if (!buffer)
		diag_die("out of memory");
	top_print(rpt, buffer);
	if (fclose(buffer))
		diag_die("out of memory");
	fprintf(out, "<h2>%s</h2>\n<pre class=\"%s\">", title, class);
	markup_write_lines(out, text);
	fputs("</pre>\n", out);
	free(text);
}

void report_page_write(struct series *series, FILE *out)
{
	write_header(out, series);
	if (series->n_profiles > 1)
		write_chart(out, series);
	write_suspects(out, series);
	write_flames(out, series);
	write_top(out, &series->reports[series->n_profiles - 1], "Top of the last profile", "top-last");
	if (series->has_growth)
		write_top(out, &series->growth, "Growth from the first profile to the last", "top-growth");
	fprintf(out, "<script>\n%s</script>\n<script>\n%s</script>\n</body>\n</html>\n", flame_script,
		choice_script);
}

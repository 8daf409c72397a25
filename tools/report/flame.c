#include "flame.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frame_names.h"
#include "hash_map.h"
#include "markup.h"
#include "reader/diag.h"
#include "reader/intern_table.h"

enum {
	IMAGE_WIDTH = 1200,
	FRAME_HEIGHT = 16,
	MARGIN = 10,
	TITLE_HEIGHT = 30,
	GLYPH_WIDTH = 7, /* of the 12px monospace font, to decide how much of a name fits */
};
/* Frames narrower than this are not drawn: they could not be seen or hovered.
   A graph of more frames than MOST_DRAWN_FRAMES could not be opened either. */
#define MIN_FRAME_WIDTH 0.1
enum { MOST_DRAWN_FRAMES = 1 << 20 };

/* A flame graph's frames are the distinct prefixes of the samples' stacks.
   Rather than building that tree (a node per prefix: as many as the stacks
   have frames), the samples are sorted by their stacks, root first; a frame
   is then a run of neighbours sharing a prefix, its value a difference of
   running sums, and memory grows with the samples and the frames drawn. */

/* Each location's frames, root-most first, as ranks: frames whose names sort
   alike have equal ranks, and ranks sort as their names do. */
struct named_frames {
	uint32_t *first; /* location i's frames are ranks[first[i] .. first[i + 1]) */
	uint32_t *ranks;
	char **names; /* by rank */
	struct intern_table table;
};

/* A sample with a positive value, and how far its stack has been read. */
struct stack {
	uint32_t sample;
	uint32_t locations_left; /* the next frame is in sample->locations[locations_left - 1] */
	uint32_t passed;         /* frames of that location already read */
	uint32_t depth;          /* frames in all */
};

enum { END_OF_STACK = -1 };

struct flame {
	const struct report *rpt;
	const struct profile *prof;
	struct named_frames frames;
	struct stack *stacks; /* sorted by frame ranks, root first */
	size_t n_stacks;
	uint32_t *shared; /* shared[i]: frames stacks[i - 1] and stacks[i] have in common */
	uint64_t *before; /* before[i]: the values of stacks[0 .. i), wrapping as Go adds */
	uint32_t max_depth;
	int64_t total;
	bool total_overflowed;
};

/* A frame to draw: tree depth (the root "all" is 0) at the stack where it starts. */
struct drawn_frame {
	uint32_t position;
	uint32_t depth;
	double x;
	int64_t value;
};

static int compare_names(const void *a, const void *b, void *context)
{
	const struct intern_table *table = context;
	return strcmp(table->entries[*(const uint32_t *)a].bytes, table->entries[*(const uint32_t *)b].bytes);
}

/* A location's frames, innermost first as named, reversed into ranks. */
static void rank_location(uint32_t *ids, size_t count, const uint32_t *rank_of)
{
	for (size_t i = 0; i < count / 2; i++) {
		uint32_t kept = ids[i];
		ids[i] = ids[count - 1 - i];
		ids[count - 1 - i] = kept;
	}
	for (size_t i = 0; i < count; i++)
		ids[i] = rank_of[ids[i]];
}

static void name_frames(struct named_frames *frames, const struct profile *prof)
{
	intern_table_init(&frames->table);
	struct frame_names named;
	frame_names_build(&named, &frames->table, prof);
	frames->first = named.first;
	frames->ranks = named.ids;
	size_t n_names = frames->table.ids.count;
	uint32_t *by_name = diag_malloc(n_names * sizeof *by_name),
		 *rank_of = diag_malloc(n_names * sizeof *rank_of);
	for (uint32_t id = 0; id < n_names; id++)
		by_name[id] = id;
	qsort_r(by_name, n_names, sizeof *by_name, compare_names, &frames->table);
	frames->names = diag_malloc(n_names * sizeof *frames->names);
	for (uint32_t rank = 0; rank < n_names; rank++) {
		rank_of[by_name[rank]] = rank;
		frames->names[rank] = (char *)frames->table.entries[by_name[rank]].bytes;
	}
	for (size_t i = 0; i < prof->n_locations; i++)
		rank_location(frames->ranks + frames->first[i], frames->first[i + 1] - frames->first[i],
			      rank_of);
	free(by_name);
	free(rank_of);
}

static const struct profile_sample *sample_of(const struct flame *flame, const struct stack *stack)
{
	return &flame->prof->samples[stack->sample];
}

static void rewind_stack(const struct flame *flame, struct stack *stack)
{
	stack->locations_left = (uint32_t)sample_of(flame, stack)->n_locations;
	stack->passed = 0;
}

/* The rank of the stack's next frame, or END_OF_STACK. */
static int64_t next_rank(const struct flame *flame, const struct stack *stack)
{
	if (!stack->locations_left)
		return END_OF_STACK;
	uint64_t location = sample_of(flame, stack)->locations[stack->locations_left - 1];
	return flame->frames.ranks[flame->frames.first[location] + stack->passed];
}

/* Reads count frames, whole locations at a time where it can. */
static void skip_frames(const struct flame *flame, struct stack *stack, uint32_t count)
{
	while (count) {
		uint64_t location = sample_of(flame, stack)->locations[stack->locations_left - 1];
		uint32_t left =
			flame->frames.first[location + 1] - flame->frames.first[location] - stack->passed;
		if (count < left) {
			stack->passed += count;
			return;
		}
		count -= left;
		stack->passed = 0;
		stack->locations_left--;
	}
}

/* The stacks of the samples drawn, with their depths. */
static void collect_stacks(struct flame *flame)
{
	const struct profile *prof = flame->prof;
	flame->stacks = diag_malloc(prof->n_samples * sizeof *flame->stacks);
	for (size_t s = 0; s < prof->n_samples; s++) {
		int64_t value = prof->samples[s].values[flame->rpt->value_index];
		if (value <= 0)
			continue;
		flame->total_overflowed |= __builtin_add_overflow(flame->total, value, &flame->total);
		struct stack *stack = &flame->stacks[flame->n_stacks++];
		*stack = (struct stack){.sample = (uint32_t)s};
		for (size_t i = 0; i < prof->samples[s].n_locations; i++) {
			uint64_t location = prof->samples[s].locations[i];
			stack->depth += flame->frames.first[location + 1] - flame->frames.first[location];
		}
		if (stack->depth > flame->max_depth)
			flame->max_depth = stack->depth;
		rewind_stack(flame, stack);
	}
}

struct sort_task {
	size_t low, high;
	uint32_t depth; /* frames every stack in [low, high) shares, read already */
};

static void swap_stacks(struct stack *a, struct stack *b)
{
	struct stack kept = *a;
	*a = *b;
	*b = kept;
}

/* Splits [low, high) around the next frame of a random one of its stacks:
   less, equal, greater. Random, so that no profile makes it quadratic. */
static void partition(struct flame *flame, const struct sort_task *task, uint64_t *seed, size_t *equal_low,
		      size_t *equal_high, int64_t *pivot)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 7;
	*seed ^= *seed << 17;
	*pivot = next_rank(flame, &flame->stacks[task->low + *seed % (task->high - task->low)]);
	size_t less = task->low, at = task->low, greater = task->high;
	while (at < greater) {
		int64_t rank = next_rank(flame, &flame->stacks[at]);
		if (rank < *pivot)
			swap_stacks(&flame->stacks[less++], &flame->stacks[at++]);
		else if (rank > *pivot)
			swap_stacks(&flame->stacks[at], &flame->stacks[--greater]);
		else
			at++;
	}
	*equal_low = less;
	*equal_high = greater;
}

/* Only ranges of two stacks or more are left to sort: the tasks pending are
   then disjoint ranges, however deep the stacks. */
static void push_task(struct sort_task **tasks, size_t *n_tasks, size_t *capacity, struct sort_task task)
{
	if (task.high - task.low < 2)
		return;
	*tasks = diag_grow(*tasks, capacity, *n_tasks + 1, sizeof **tasks);
	(*tasks)[(*n_tasks)++] = task;
}

/* Multikey quicksort (Bentley and Sedgewick), on a stack of tasks rather
   than by recursion: stacks as strings of frame ranks, root first, a stack
   before those it is a prefix of. Each boundary between neighbours gets the
   number of frames they share. */
static void sort_stacks(struct flame *flame)
{
	flame->shared = diag_calloc(flame->n_stacks + 1, sizeof *flame->shared);
	struct sort_task *tasks = NULL;
	size_t n_tasks = 0, capacity = 0;
	uint64_t seed = (uint64_t)(uintptr_t)&tasks ^ (uint64_t)time(NULL) ^ 0x9e3779b97f4a7c15ULL;
	push_task(&tasks, &n_tasks, &capacity, (struct sort_task){0, flame->n_stacks, 0});
	while (n_tasks) {
		struct sort_task task = tasks[--n_tasks];
		size_t equal_low, equal_high;
		int64_t pivot;
		partition(flame, &task, &seed, &equal_low, &equal_high, &pivot);
		if (equal_low > task.low)
			flame->shared[equal_low] = task.depth;
		if (equal_high < task.high)
			flame->shared[equal_high] = task.depth;
		push_task(&tasks, &n_tasks, &capacity, (struct sort_task){task.low, equal_low, task.depth});
		push_task(&tasks, &n_tasks, &capacity, (struct sort_task){equal_high, task.high, task.depth});
		if (pivot == END_OF_STACK) {
			for (size_t i = equal_low + 1; i < equal_high; i++)
				flame->shared[i] = task.depth;
			continue;
		}
		for (size_t i = equal_low; i < equal_high; i++)
			skip_frames(flame, &flame->stacks[i], 1);
		push_task(&tasks, &n_tasks, &capacity,
			  (struct sort_task){equal_low, equal_high, task.depth + 1});
	}
	free(tasks);
	flame->before = diag_malloc((flame->n_stacks + 1) * sizeof *flame->before);
	flame->before[0] = 0;
	for (size_t i = 0; i < flame->n_stacks; i++) {
		const struct stack *stack = &flame->stacks[i];
		flame->before[i + 1] =
			flame->before[i] + (uint64_t)sample_of(flame, stack)->values[flame->rpt->value_index];
	}
}

static void free_flame(struct flame *flame)
{
	free(flame->frames.first);
	free(flame->frames.ranks);
	free(flame->frames.names);
	intern_table_free(&flame->frames.table);
	free(flame->stacks);
	free(flame->shared);
	free(flame->before);
}

/* Warm colours, the same for a name on every run so graphs can be compared. */
static void frame_color(const char *name, char color[32])
{
	uint64_t hash = hash_map_hash_bytes(name, strlen(name));
	snprintf(color, 32, "rgb(%d,%d,%d)", 205 + (int)(hash % 50), 80 + (int)((hash >> 8) % 150),
		 (int)((hash >> 16) % 55));
}

/* The frames on the current path, by the stack they start at: frames that
   start together end at the same stacks or before, and all but the first
   are first children, drawn where their parent is. */
struct open_run {
	uint32_t position;
	uint32_t from, to; /* tree depths [from, to) */
	double x;
};

struct layout {
	const struct flame *flame;
	double scale;
	struct open_run *runs;
	size_t n_runs, runs_capacity;
	struct drawn_frame *drawn;
	size_t n_drawn, drawn_capacity;
};

/* Frames [from, run->to) of a run, which end together with this value. */
static int draw_run(struct layout *layout, const struct open_run *run, uint32_t from, int64_t value)
{
	if ((double)value * layout->scale < MIN_FRAME_WIDTH)
		return 0;
	if (layout->n_drawn + (run->to - from) > MOST_DRAWN_FRAMES)
		return -1;
	layout->drawn = diag_grow(layout->drawn, &layout->drawn_capacity, layout->n_drawn + (run->to - from),
				  sizeof *layout->drawn);
	for (uint32_t depth = from; depth < run->to; depth++)
		layout->drawn[layout->n_drawn++] = (struct drawn_frame){run->position, depth, run->x, value};
	return 0;
}

/* Ends the frames deeper than depth, at the stack position: they cover the
   stacks before it. When the frame at depth + 1 ends, the next one there
   starts where it stops (*next_x). */
static int end_frames(struct layout *layout, size_t position, uint32_t depth, bool *ended, double *next_x)
{
	*ended = false;
	while (layout->n_runs && layout->runs[layout->n_runs - 1].to > depth + 1) {
		struct open_run *run = &layout->runs[layout->n_runs - 1];
		uint32_t from = run->from > depth + 1 ? run->from : depth + 1;
		int64_t value =
			(int64_t)(layout->flame->before[position] - layout->flame->before[run->position]);
		if (draw_run(layout, run, from, value))
			return -1;
		if (from == depth + 1) {
			*ended = true;
			*next_x = run->x + (double)value * layout->scale;
		}
		if (run->from > depth)
			layout->n_runs--;
		else
			run->to = depth + 1;
	}
	return 0;
}

/* Every frame wide enough to see, with where it goes, in the order frames
   open: by the stack they start at, then by depth. */
static int lay_out(struct layout *layout)
{
	const struct flame *flame = layout->flame;
	for (size_t i = 0; i <= flame->n_stacks; i++) {
		uint32_t shared = i < flame->n_stacks ? flame->shared[i] : 0;
		bool ended;
		double x = 0;
		if (end_frames(layout, i, shared, &ended, &x))
			return -1;
		if (i == flame->n_stacks || flame->stacks[i].depth <= shared)
			continue;
		if (!ended)
			x = shared == 0 ? MARGIN : layout->runs[layout->n_runs - 1].x; /* a first child */
		layout->runs = diag_grow(layout->runs, &layout->runs_capacity, layout->n_runs + 1,
					 sizeof *layout->runs);
		layout->runs[layout->n_runs++] =
			(struct open_run){(uint32_t)i, shared + 1, flame->stacks[i].depth + 1, x};
	}
	return 0;
}

static int compare_drawn(const void *a, const void *b)
{
	const struct drawn_frame *left = a, *right = b;
	if (left->position != right->position)
		return left->position < right->position ? -1 : 1;
	return (left->depth > right->depth) - (left->depth < right->depth);
}

/* The name shown in a frame of this width: all of it, or its start and "..". */
static void write_fitted_name(FILE *out, const char *name, double width)
{
	size_t fits = (size_t)((width - 6) / GLYPH_WIDTH);
	if (width < 6 || fits < 3)
		return;
	size_t length = strlen(name);
	if (length <= fits) {
		markup_write_text(out, name, length);
	} else {
		markup_write_text(out, name, fits - 2);
		fputs("..", out);
	}
}

/* Every frame has a text, empty when the name does not fit, for the script
   to fill when a zoom widens the frame. */
static void write_frame(FILE *out, const struct flame *flame, const char *name, uint32_t depth, double x,
			int64_t value, double scale)
{
	double width = (double)value * scale;
	const struct report *rpt = flame->rpt;
	char value_text[VALUE_TEXT_SIZE], share[VALUE_TEXT_SIZE], color[32];
	units_label(value_text, value, rpt->sample_unit, "auto");
	units_percentage(share, value, flame->total);
	frame_color(name, color);
	double y = TITLE_HEIGHT + (double)(flame->max_depth - depth) * FRAME_HEIGHT;
	fprintf(out, "<g class=\"frame\" data-depth=\"%" PRIu32 "\"><title>", depth);
	markup_write_text(out, name, SIZE_MAX);
	fprintf(out, " (%s, %s)</title>", value_text, share + strspn(share, " "));
	fprintf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\"/>", x, y,
		width, FRAME_HEIGHT - 1, color);
	fprintf(out, "<text x=\"%.2f\" y=\"%.2f\">", x + 3, y + FRAME_HEIGHT - 4);
	write_fitted_name(out, name, width);
	fputs("</text></g>\n", out);
}

/* The frames laid out, named by reading each one's stack down to it. */
static void write_frames(FILE *out, struct flame *flame, const struct layout *layout)
{
	uint32_t read = 0;
	for (size_t i = 0; i < layout->n_drawn; i++) {
		const struct drawn_frame *frame = &layout->drawn[i];
		struct stack *stack = &flame->stacks[frame->position];
		if (i == 0 || frame->position != layout->drawn[i - 1].position) {
			rewind_stack(flame, stack);
			read = 0;
		}
		skip_frames(flame, stack, frame->depth - 1 - read);
		read = frame->depth - 1;
		const char *name = flame->frames.names[next_rank(flame, stack)];
		write_frame(out, flame, name, frame->depth, frame->x, frame->value, layout->scale);
	}
}

/* Zoom: a click on a frame widens it to the whole graph, with what it called
   scaled alike, its callers as wide, the rest hidden; a click on "all" undoes
   it. Search: frames whose names contain the text typed are highlighted. Frames
   hold their geometry and name only in their markup (data-depth, the rect,
   the title), so nothing from the profile is ever inside the script. One
   listener on the document serves every graph in it. */
const char flame_script[] =
	"(function () {\n"
	"var MARGIN = 10, WIDTH = 1200, GLYPH = 7;\n"
	"function nameOf(g) {\n"
	"\tvar t = g.querySelector('title').textContent;\n"
	"\treturn t.slice(0, t.lastIndexOf(' ('));\n"
	"}\n"
	"function drawn(g) {\n"
	"\tvar r = g.querySelector('rect');\n"
	"\tif (!g.dataset.x) {\n"
	"\t\tg.dataset.x = r.getAttribute('x');\n"
	"\t\tg.dataset.w = r.getAttribute('width');\n"
	"\t}\n"
	"\treturn {x: +g.dataset.x, w: +g.dataset.w, depth: +g.getAttribute('data-depth')};\n"
	"}\n"
	"function place(g, x, w) {\n"
	"\tvar r = g.querySelector('rect'), t = g.querySelector('text'), name = nameOf(g);\n"
	"\tvar fits = Math.floor((w - 6) / GLYPH);\n"
	"\tr.setAttribute('x', x.toFixed(2));\n"
	"\tr.setAttribute('width', w.toFixed(2));\n"
	"\tt.setAttribute('x', (x + 3).toFixed(2));\n"
	"\tt.textContent = fits < 3 ? '' : name.length <= fits ? name : name.slice(0, fits - 2) + '..';\n"
	"\tg.style.display = '';\n"
	"}\n"
	"function zoom(svg, target) {\n"
	"\tvar to = drawn(target), scale = (WIDTH - 2 * MARGIN) / to.w, slack = 0.02;\n"
	"\tsvg.querySelectorAll('g.frame').forEach(function (g) {\n"
	"\t\tvar f = drawn(g);\n"
	"\t\tvar within = f.x >= to.x - slack && f.x + f.w <= to.x + to.w + slack;\n"
	"\t\tvar around = f.x <= to.x + slack && f.x + f.w >= to.x + to.w - slack;\n"
	"\t\tif (f.depth >= to.depth && within)\n"
	"\t\t\tplace(g, MARGIN + (f.x - to.x) * scale, f.w * scale);\n"
	"\t\telse if (f.depth < to.depth && around)\n"
	"\t\t\tplace(g, MARGIN, WIDTH - 2 * MARGIN);\n"
	"\t\telse\n"
	"\t\t\tg.style.display = 'none';\n"
	"\t\tg.classList.toggle('caller', f.depth < to.depth && around);\n"
	"\t});\n"
	"}\n"
	"function search(svg, text) {\n"
	"\tvar matched = 0;\n"
	"\tsvg.querySelectorAll('g.frame').forEach(function (g) {\n"
	"\t\tvar hit = text !== '' && nameOf(g).indexOf(text) >= 0;\n"
	"\t\tg.classList.toggle('match', hit);\n"
	"\t\tmatched += hit ? 1 : 0;\n"
	"\t});\n"
	"\tsvg.querySelector('.flame-matched').textContent = text === '' ? '' : matched + ' matching "
	"frames';\n"
	"}\n"
	"document.addEventListener('click', function (event) {\n"
	"\tvar g = event.target.closest ? event.target.closest('g.frame') : null;\n"
	"\tif (g)\n"
	"\t\tzoom(g.closest('svg.flame'), g);\n"
	"});\n"
	"document.addEventListener('input', function (event) {\n"
	"\tif (event.target.classList.contains('flame-search'))\n"
	"\t\tsearch(event.target.closest('svg.flame'), event.target.value);\n"
	"});\n"
	"})();\n";

static void write_header(FILE *out, const struct flame *flame, bool standalone)
{
	long long height = TITLE_HEIGHT + ((long long)flame->max_depth + 1) * FRAME_HEIGHT + MARGIN;
	if (standalone)
		fputs("<?xml version=\"1.0\" standalone=\"no\"?>\n", out);
	fprintf(out,
		"<svg class=\"flame\" version=\"1.1\" width=\"%d\" height=\"%lld\" viewBox=\"0 0 %d %lld\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n"
		"<style>.flame text { font-family: monospace; font-size: 12px; fill: #000; pointer-events: "
		"none; } "
		".flame .frame { cursor: pointer; } "
		".flame .frame:hover rect { stroke: #000; stroke-width: 0.5; } "
		".flame .frame.caller rect { opacity: 0.6; } "
		".flame .frame.match rect { fill: rgb(230,0,230); } "
		".flame-search { width: 180px; font: 12px monospace; }</style>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fdf6e3\"/>\n",
		IMAGE_WIDTH, height, IMAGE_WIDTH, height);
	char total[VALUE_TEXT_SIZE];
	units_label(total, flame->total, flame->rpt->sample_unit, "auto");
	fprintf(out, "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" style=\"font-size: 15px\">",
		IMAGE_WIDTH / 2);
	markup_write_text(out, flame->rpt->sample_type, SIZE_MAX);
	fprintf(out, " (total %s)</text>\n", total);
	fprintf(out,
		"<text class=\"flame-matched\" x=\"%d\" y=\"20\"></text>\n"
		"<foreignObject x=\"%d\" y=\"4\" width=\"200\" height=\"24\">"
		"<input xmlns=\"http://www.w3.org/1999/xhtml\" class=\"flame-search\" type=\"search\" "
		"placeholder=\"search\" title=\"highlight frames whose names contain "
		"this\"/></foreignObject>\n",
		MARGIN, IMAGE_WIDTH - MARGIN - 200);
}

static int write_svg(const struct report *rpt, FILE *out, bool standalone, char *error, size_t error_size)
{
	struct flame flame = {.rpt = rpt, .prof = rpt->prof};
	name_frames(&flame.frames, flame.prof);
	collect_stacks(&flame);
	/* A total past int64 has no width to share out. */
	bool drawn = flame.total > 0 && !flame.total_overflowed;
	struct layout layout = {.flame = &flame};
	if (drawn)
		layout.scale = (double)(IMAGE_WIDTH - 2 * MARGIN) / (double)flame.total;
	int status = 0;
	if (drawn) {
		sort_stacks(&flame);
		status = lay_out(&layout);
	}
	if (status) {
		snprintf(error, error_size, "the flame graph would have more than %d frames",
			 MOST_DRAWN_FRAMES);
	} else {
		if (layout.n_drawn)
			qsort(layout.drawn, layout.n_drawn, sizeof *layout.drawn, compare_drawn);
		write_header(out, &flame, standalone);
		if (drawn)
			write_frame(out, &flame, "all", 0, MARGIN, flame.total, layout.scale);
		write_frames(out, &flame, &layout);
		/* The script needs no escaping inside CDATA: it holds no "]]>". */
		if (standalone)
			fprintf(out, "<script><![CDATA[\n%s]]></script>\n", flame_script);
		fputs("</svg>\n", out);
	}
	free(layout.runs);
	free(layout.drawn);
	free_flame(&flame);
	return status;
}

int flame_write_svg(const struct report *rpt, FILE *out, char *error, size_t error_size)
{
	return write_svg(rpt, out, true, error, error_size);
}

int flame_write_inline_svg(const struct report *rpt, FILE *out, char *error, size_t error_size)
{
	return write_svg(rpt, out, false, error, error_size);
}

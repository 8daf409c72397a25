#include "flame.h"

#include <stdlib.h>
#include <string.h>

#include "go_path.h"
#include "hash_map.h"
#include "reader/diag.h"
#include "reader/intern_table.h"

enum {
	IMAGE_WIDTH = 1200,
	FRAME_HEIGHT = 16,
	MARGIN = 10,
	TITLE_HEIGHT = 30,
	GLYPH_WIDTH = 7, /* of the 12px monospace font, to decide how much of a name fits */
};
/* Frames narrower than this are not drawn: they could not be seen or hovered. */
#define MIN_FRAME_WIDTH 0.1

struct frame {
	uint32_t parent;
	char *name;
	int64_t value;
	int depth;
	uint32_t *children;
	size_t n_children, children_capacity;
};

struct flame_tree {
	const struct report *rpt;
	struct intern_table keys; /* (parent, name) -> frame index */
	struct frame *frames;
	size_t n_frames, capacity;
	int max_depth;
};

/* The name a frame shows, as top names its node at function granularity. */
static char *frame_name(const struct profile *prof, const struct profile_location *location,
			const struct profile_line *line)
{
	if (line && prof->functions[line->function].name[0])
		return diag_strdup(prof->functions[line->function].name);
	if (location->mapping != NO_MAPPING && prof->mappings[location->mapping].file[0]) {
		char *base = go_path_base(prof->mappings[location->mapping].file);
		char *name = diag_asprintf("[%s]", base);
		free(base);
		return name;
	}
	return diag_strdup("<unknown>");
}

static uint32_t child_frame(struct flame_tree *tree, uint32_t parent, char *name)
{
	size_t length = strlen(name);
	char *key = diag_malloc(sizeof parent + length);
	memcpy(key, &parent, sizeof parent);
	memcpy(key + sizeof parent, name, length);
	uint32_t id = intern_table_add(&tree->keys, key, sizeof parent + length);
	free(key);
	if (id < tree->n_frames) {
		free(name);
		return id;
	}
	tree->frames = diag_grow(tree->frames, &tree->capacity, tree->n_frames + 1, sizeof *tree->frames);
	int depth = tree->frames[parent].depth + 1;
	tree->frames[tree->n_frames++] = (struct frame){.parent = parent, .name = name, .depth = depth};
	if (depth > tree->max_depth)
		tree->max_depth = depth;
	struct frame *up = &tree->frames[parent];
	up->children =
		diag_grow(up->children, &up->children_capacity, up->n_children + 1, sizeof *up->children);
	up->children[up->n_children++] = id;
	return id;
}

/* Negative values (a profile that is itself a difference) cannot be drawn
   as widths, so only positive samples count. */
static void build_tree(struct flame_tree *tree)
{
	const struct profile *prof = tree->rpt->prof;
	intern_table_init(&tree->keys);
	tree->frames = diag_calloc(1, sizeof *tree->frames);
	tree->capacity = 1;
	tree->n_frames = 1;
	tree->frames[0].name = diag_strdup("all");
	intern_table_add(&tree->keys, "", 0); /* id 0: the root, whose key no child can have */
	for (size_t s = 0; s < prof->n_samples; s++) {
		const struct profile_sample *sample = &prof->samples[s];
		int64_t value = sample->values[tree->rpt->value_index];
		if (value <= 0)
			continue;
		uint32_t current = 0;
		tree->frames[0].value += value;
		for (size_t i = sample->n_locations; i-- > 0;) {
			const struct profile_location *location = &prof->locations[sample->locations[i]];
			if (location->n_lines == 0) {
				current = child_frame(tree, current, frame_name(prof, location, NULL));
				tree->frames[current].value += value;
			}
			for (size_t j = location->n_lines; j-- > 0;) {
				current = child_frame(tree, current,
						      frame_name(prof, location, &location->lines[j]));
				tree->frames[current].value += value;
			}
		}
	}
}

static void free_tree(struct flame_tree *tree)
{
	for (size_t i = 0; i < tree->n_frames; i++) {
		free(tree->frames[i].name);
		free(tree->frames[i].children);
	}
	free(tree->frames);
	intern_table_free(&tree->keys);
}

/* The length of the UTF-8 sequence at text, or 0 if it is not one. */
static size_t utf8_sequence_length(const unsigned char *text)
{
	size_t length = text[0] >= 0xf0 && text[0] <= 0xf4 ? 4
			: text[0] >= 0xe0                  ? 3
			: text[0] >= 0xc2                  ? 2
							   : 0;
	for (size_t i = 1; i < length; i++)
		if ((text[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
	if ((text[0] == 0xe0 && text[1] < 0xa0) || (text[0] == 0xed && text[1] >= 0xa0) ||
	    (text[0] == 0xf0 && text[1] < 0x90) || (text[0] == 0xf4 && text[1] >= 0x90))
		return 0;
	return length;
}

/* Names come from the profile as bytes; a browser rejects the whole SVG for
   one byte that is not valid XML text, so those become '?'. */
static void write_escaped(FILE *out, const char *text, size_t length)
{
	for (size_t i = 0; i < length && text[i]; i++) {
		unsigned char byte = (unsigned char)text[i];
		if (byte >= 0x80) {
			size_t sequence = utf8_sequence_length((const unsigned char *)text + i);
			if (sequence && i + sequence <= length) {
				fwrite(text + i, 1, sequence, out);
				i += sequence - 1;
			} else {
				fputc('?', out);
			}
			continue;
		}
		if (byte < 0x20 && byte != '\t') {
			fputc('?', out);
			continue;
		}
		switch (text[i]) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			fputc(text[i], out);
		}
	}
}

/* Warm colours, the same for a name on every run so graphs can be compared. */
static void frame_color(const char *name, char color[32])
{
	uint64_t hash = hash_map_hash_bytes(name, strlen(name));
	snprintf(color, 32, "rgb(%d,%d,%d)", 205 + (int)(hash % 50), 80 + (int)((hash >> 8) % 150),
		 (int)((hash >> 16) % 55));
}

static int compare_frame_names(const void *a, const void *b, void *context)
{
	const struct flame_tree *tree = context;
	return strcmp(tree->frames[*(const uint32_t *)a].name, tree->frames[*(const uint32_t *)b].name);
}

static void write_frame(FILE *out, const struct flame_tree *tree, uint32_t id, double x, double scale)
{
	const struct frame *f = &tree->frames[id];
	double width = (double)f->value * scale;
	if (width < MIN_FRAME_WIDTH)
		return;
	const struct report *rpt = tree->rpt;
	char value[VALUE_TEXT_SIZE], share[VALUE_TEXT_SIZE], color[32];
	units_label(value, f->value, rpt->sample_unit, "auto");
	units_percentage(share, f->value, tree->frames[0].value);
	frame_color(f->name, color);
	double y = TITLE_HEIGHT + (double)(tree->max_depth - f->depth) * FRAME_HEIGHT;
	fputs("<g class=\"frame\"><title>", out);
	write_escaped(out, f->name, SIZE_MAX);
	fprintf(out, " (%s, %s)</title>", value, share + strspn(share, " "));
	fprintf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\"/>", x, y,
		width, FRAME_HEIGHT - 1, color);
	size_t fits = (size_t)((width - 6) / GLYPH_WIDTH);
	if (fits >= 3) {
		size_t length = strlen(f->name);
		fprintf(out, "<text x=\"%.2f\" y=\"%.2f\">", x + 3, y + FRAME_HEIGHT - 4);
		if (length <= fits) {
			write_escaped(out, f->name, length);
		} else {
			write_escaped(out, f->name, fits - 2);
			fputs("..", out);
		}
		fputs("</text>", out);
	}
	fputs("</g>\n", out);
	/* A leaf has no children array: memcpy from NULL is undefined even for 0 bytes. */
	if (!f->n_children)
		return;
	uint32_t *children = diag_malloc(f->n_children * sizeof *children);
	memcpy(children, f->children, f->n_children * sizeof *children);
	qsort_r(children, f->n_children, sizeof *children, compare_frame_names, (void *)tree);
	for (size_t i = 0; i < f->n_children; i++) {
		write_frame(out, tree, children[i], x, scale);
		x += (double)tree->frames[children[i]].value * scale;
	}
	free(children);
}

int flame_write_svg(const struct report *rpt, FILE *out)
{
	struct flame_tree tree = {.rpt = rpt};
	build_tree(&tree);
	int height = TITLE_HEIGHT + (tree.max_depth + 1) * FRAME_HEIGHT + MARGIN;
	fprintf(out,
		"<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n"
		"<style>text { font-family: monospace; font-size: 12px; fill: #000; pointer-events: none; } "
		".frame:hover rect { stroke: #000; stroke-width: 0.5; }</style>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fdf6e3\"/>\n",
		IMAGE_WIDTH, height, IMAGE_WIDTH, height);
	char total[VALUE_TEXT_SIZE];
	units_label(total, tree.frames[0].value, rpt->sample_unit, "auto");
	fprintf(out, "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" style=\"font-size: 15px\">",
		IMAGE_WIDTH / 2);
	write_escaped(out, rpt->sample_type, SIZE_MAX);
	fprintf(out, " (total %s)</text>\n", total);
	if (tree.frames[0].value > 0)
		write_frame(out, &tree, 0, MARGIN,
			    (double)(IMAGE_WIDTH - 2 * MARGIN) / (double)tree.frames[0].value);
	fputs("</svg>\n", out);
	free_tree(&tree);
	return 0;
}

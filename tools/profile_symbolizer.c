#include "profile_symbolizer.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "elf_build_id.h"
#include "output_file.h"
#include "reader/budget_arena.h"
#include "reader/decompress.h"
#include "reader/diag.h"
#include "reader/intern_table.h"
#include "symbolize.h"

/* pprof's symbolizer skips mappings that already claim symbols, and so do we. */
static bool mapping_has_symbols(const struct profile_mapping *m)
{
	return m->has_functions || m->has_filenames || m->has_line_numbers;
}

/* Kernel and loader pseudo-files have no binary to read. */
static bool is_pseudo_file(const char *file)
{
	return !file[0] || file[0] == '[' || !strncmp(file, "linux-vdso", 10);
}

bool profile_symbolizer_needed(const struct profile *prof)
{
	for (size_t i = 0; i < prof->n_locations; i++) {
		const struct profile_location *l = &prof->locations[i];
		if (l->n_lines || l->mapping == NO_MAPPING)
			continue;
		const struct profile_mapping *m = &prof->mappings[l->mapping];
		if (!mapping_has_symbols(m) && !is_pseudo_file(m->file))
			return true;
	}
	return false;
}

/* The profile being rewritten: the decoded message plus growable copies of
   the tables symbolization adds to. New strings live in the intern table. */
struct rewrite {
	struct budget_arena arena; /* the decoded message and the new functions and lines */
	Perftools__Profiles__Profile *message;
	struct intern_table strings;
	uint32_t *string_index; /* intern id -> index in strings_out */
	size_t string_index_capacity;
	char **strings_out;
	size_t n_strings, strings_capacity;
	struct intern_table function_keys;
	uint64_t *function_ids; /* intern id -> function id */
	size_t function_ids_capacity;
	Perftools__Profiles__Function **functions_out;
	size_t n_functions, functions_capacity;
	uint64_t next_function_id;
	struct symbolizer *symbolizer;
};

static void *arena_or_die(struct rewrite *rw, size_t size)
{
	void *block = budget_arena_alloc(&rw->arena, size);
	if (!block)
		diag_die("out of memory");
	return block;
}

static uint64_t string_of(struct rewrite *rw, const char *text)
{
	size_t known = rw->strings.ids.count;
	uint32_t id = intern_table_add(&rw->strings, text, strlen(text));
	if (rw->strings.ids.count > known) {
		rw->string_index = diag_grow(rw->string_index, &rw->string_index_capacity, id + 1,
					     sizeof *rw->string_index);
		rw->strings_out = diag_grow(rw->strings_out, &rw->strings_capacity, rw->n_strings + 1,
					    sizeof *rw->strings_out);
		rw->string_index[id] = (uint32_t)rw->n_strings;
		rw->strings_out[rw->n_strings++] = (char *)rw->strings.entries[id].bytes;
	}
	return rw->string_index[id];
}

/* Functions are shared by every line with the same name, system name, file
   and start line, as the library itself writes them. */
static uint64_t function_of(struct rewrite *rw, const struct symbolized_frame *frame)
{
	const char *system_name = frame->system_name ? frame->system_name : "";
	int64_t key[4] = {(int64_t)string_of(rw, frame->function ? frame->function : system_name),
			  (int64_t)string_of(rw, system_name),
			  (int64_t)string_of(rw, frame->file ? frame->file : ""), frame->start_line};
	size_t known = rw->function_keys.ids.count;
	uint32_t id = intern_table_add(&rw->function_keys, (const char *)key, sizeof key);
	if (rw->function_keys.ids.count == known)
		return rw->function_ids[id];
	Perftools__Profiles__Function *function = arena_or_die(rw, sizeof *function);
	perftools__profiles__function__init(function);
	function->id = rw->next_function_id++;
	function->name = key[0];
	function->system_name = key[1];
	function->filename = key[2];
	function->start_line = key[3];
	rw->function_ids =
		diag_grow(rw->function_ids, &rw->function_ids_capacity, id + 1, sizeof *rw->function_ids);
	rw->function_ids[id] = function->id;
	rw->functions_out = diag_grow(rw->functions_out, &rw->functions_capacity, rw->n_functions + 1,
				      sizeof *rw->functions_out);
	rw->functions_out[rw->n_functions++] = function;
	return function->id;
}

static void load_tables(struct rewrite *rw)
{
	Perftools__Profiles__Profile *m = rw->message;
	intern_table_init(&rw->strings);
	intern_table_init(&rw->function_keys);
	for (size_t i = 0; i < m->n_string_table; i++) {
		/* Keep every entry, duplicates too, so that existing indices stay valid. */
		rw->strings_out = diag_grow(rw->strings_out, &rw->strings_capacity, rw->n_strings + 1,
					    sizeof *rw->strings_out);
		rw->strings_out[rw->n_strings++] = m->string_table[i];
		size_t known = rw->strings.ids.count;
		uint32_t id = intern_table_add(&rw->strings, m->string_table[i], strlen(m->string_table[i]));
		if (rw->strings.ids.count > known) {
			rw->string_index = diag_grow(rw->string_index, &rw->string_index_capacity, id + 1,
						     sizeof *rw->string_index);
			rw->string_index[id] = (uint32_t)i;
		}
	}
	rw->next_function_id = 1;
	for (size_t i = 0; i < m->n_function; i++) {
		rw->functions_out = diag_grow(rw->functions_out, &rw->functions_capacity, rw->n_functions + 1,
					      sizeof *rw->functions_out);
		rw->functions_out[rw->n_functions++] = m->function[i];
		if (m->function[i]->id >= rw->next_function_id)
			rw->next_function_id = m->function[i]->id + 1;
	}
}

/* Only a regular file can be a binary: anything else a profile names (a
   FIFO, which would block, or a device) is not read. */
static bool readable_file(const char *path)
{
	struct stat status;
	return !stat(path, &status) && S_ISREG(status.st_mode) && !access(path, R_OK);
}

/* The binary for a mapping: its own path when that file has the mapping's
   build ID (or the mapping has none), else the debug file for the build ID. */
static char *find_binary(const struct profile_mapping *m)
{
	char found_id[256];
	if (readable_file(m->file) &&
	    (!m->build_id[0] ||
	     (elf_build_id_read(m->file, found_id, sizeof found_id) && !strcmp(found_id, m->build_id))))
		return diag_strdup(m->file);
	if (strlen(m->build_id) < 3)
		return NULL;
	const char *suffixes[] = {".debug", ""};
	for (int i = 0; i < 2; i++) {
		char *path = diag_asprintf("/usr/lib/debug/.build-id/%.2s/%s%s", m->build_id, m->build_id + 2,
					   suffixes[i]);
		if (readable_file(path))
			return path;
		free(path);
	}
	return NULL;
}

struct lookup_context {
	struct rewrite *rw;
	Perftools__Profiles__Line **lines;
	size_t n_lines, capacity;
	bool any_file, any_line;
};

static void add_frame(void *context, const struct symbolized_frame *frame)
{
	struct lookup_context *lookup = context;
	Perftools__Profiles__Line *line = arena_or_die(lookup->rw, sizeof *line);
	perftools__profiles__line__init(line);
	line->function_id = function_of(lookup->rw, frame);
	line->line = frame->line;
	lookup->any_file |= frame->file != NULL;
	lookup->any_line |= frame->line != 0;
	if (lookup->n_lines == lookup->capacity) {
		size_t grown = lookup->capacity ? lookup->capacity * 2 : 4;
		Perftools__Profiles__Line **lines = arena_or_die(lookup->rw, grown * sizeof *lines);
		if (lookup->n_lines)
			memcpy(lines, lookup->lines, lookup->n_lines * sizeof *lines);
		lookup->lines = lines;
		lookup->capacity = grown;
	}
	lookup->lines[lookup->n_lines++] = line;
}

/* The locations without lines, by mapping: those of mapping m are
   order[first[m] .. first[m + 1]), in the profile's order. */
struct unsymbolized {
	size_t *first;
	size_t *order;
};

static bool needs_lines(const struct profile_location *location)
{
	return !location->n_lines && location->mapping != NO_MAPPING;
}

static void group_unsymbolized(const struct profile *prof, struct unsymbolized *groups)
{
	groups->first = diag_calloc(prof->n_mappings + 1, sizeof *groups->first);
	groups->order = diag_calloc(prof->n_locations, sizeof *groups->order);
	for (size_t i = 0; i < prof->n_locations; i++)
		if (needs_lines(&prof->locations[i]))
			groups->first[prof->locations[i].mapping + 1]++;
	for (size_t m = 0; m < prof->n_mappings; m++)
		groups->first[m + 1] += groups->first[m];
	size_t *next = diag_malloc((prof->n_mappings + 1) * sizeof *next);
	memcpy(next, groups->first, (prof->n_mappings + 1) * sizeof *next);
	for (size_t i = 0; i < prof->n_locations; i++)
		if (needs_lines(&prof->locations[i]))
			groups->order[next[prof->locations[i].mapping]++] = i;
	free(next);
}

/* Symbolizes the locations of mapping index m; returns whether its binary was found. */
static bool symbolize_mapping(struct rewrite *rw, const struct profile *prof, size_t m,
			      const struct unsymbolized *groups, struct symbolize_stats *stats)
{
	const struct profile_mapping *mapping = &prof->mappings[m];
	char *binary = find_binary(mapping);
	if (!binary || !symbolizer_add_mapping(rw->symbolizer, binary, mapping->start, mapping->limit,
					       mapping->offset)) {
		free(binary);
		return false;
	}
	free(binary);
	Perftools__Profiles__Mapping *message = rw->message->mapping[m];
	for (size_t at = groups->first[m]; at < groups->first[m + 1]; at++) {
		size_t i = groups->order[at];
		const struct profile_location *l = &prof->locations[i];
		Perftools__Profiles__Location *location = rw->message->location[i];
		struct lookup_context lookup = {rw, NULL, 0, 0, false, false};
		symbolizer_lookup(rw->symbolizer, mapping->start, l->address, add_frame, &lookup);
		if (!lookup.n_lines) {
			stats->locations_unresolved++;
			continue;
		}
		location->line = lookup.lines;
		location->n_line = lookup.n_lines;
		stats->locations_symbolized++;
		message->has_functions = true;
		message->has_inline_frames = true;
		message->has_filenames |= lookup.any_file;
		message->has_line_numbers |= lookup.any_line;
	}
	return true;
}

static int fail(char *error, size_t error_size, const char *format, const char *path, const char *reason)
{
	snprintf(error, error_size, format, path, reason);
	return -1;
}

/* Decodes in_path a second time, as a message to rewrite; the first reading
   (prof) already validated it. */
static int decode_for_rewrite(struct rewrite *rw, const char *in_path, char *error, size_t error_size)
{
	size_t size;
	unsigned char *bytes = profile_reader_read_whole_file(in_path, &size, error, error_size);
	if (!bytes)
		return -1;
	struct byte_buffer plain;
	char reason[256];
	if (decompress_profile(bytes, size, decompress_limit(size), &plain, reason, sizeof reason)) {
		free(bytes);
		return fail(error, error_size, "%s: %s", in_path, reason);
	}
	rw->message = profile_reader_unpack(&rw->arena, &plain, reason, sizeof reason);
	decompress_buffer_free(&plain);
	free(bytes);
	/* What symbolizing adds grows with the locations and the binaries' inline
	   depth, not with the input's bytes: only the system limits it. */
	rw->arena.budget = SIZE_MAX;
	return rw->message ? 0 : fail(error, error_size, "%s: %s", in_path, reason);
}

static bool ends_with(const char *text, const char *suffix)
{
	size_t length = strlen(text), suffix_length = strlen(suffix);
	return length >= suffix_length && !strcmp(text + length - suffix_length, suffix);
}

static unsigned char *gzip_bytes(const unsigned char *data, size_t size, size_t *out_size)
{
	z_stream stream = {0};
	if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		diag_die("out of memory");
	size_t capacity = deflateBound(&stream, size);
	unsigned char *out = diag_malloc(capacity);
	stream.next_in = (unsigned char *)data;
	stream.next_out = out;
	int status = Z_OK;
	while (status == Z_OK) {
		/* zlib counts in unsigned int; feed it at most 1 GiB at a time. */
		size_t input_left = size - stream.total_in, output_left = capacity - stream.total_out;
		stream.avail_in = input_left > (1u << 30) ? 1u << 30 : (unsigned)input_left;
		stream.avail_out = output_left > (1u << 30) ? 1u << 30 : (unsigned)output_left;
		status = deflate(&stream, stream.avail_in == input_left ? Z_FINISH : Z_NO_FLUSH);
	}
	if (status != Z_STREAM_END)
		diag_die("compressing the profile failed");
	*out_size = stream.total_out;
	deflateEnd(&stream);
	return out;
}

/* The profile encoded for its file name: zstd for .zst, plain for .pb, gzip
   otherwise, as the library chooses. Returns malloc'd bytes. */
static unsigned char *encode_for_path(const char *path, const unsigned char *data, size_t size,
				      size_t *out_size)
{
	if (ends_with(path, ".zst")) {
		size_t capacity = ZSTD_compressBound(size);
		unsigned char *out = diag_malloc(capacity);
		*out_size = ZSTD_compress(out, capacity, data, size, 3);
		if (ZSTD_isError(*out_size))
			diag_die("compressing the profile failed: %s", ZSTD_getErrorName(*out_size));
		return out;
	}
	if (ends_with(path, ".pb")) {
		unsigned char *out = diag_malloc(size);
		memcpy(out, data, size);
		*out_size = size;
		return out;
	}
	return gzip_bytes(data, size, out_size);
}

/* out_path may be the input: a regular file is written beside and renamed. */
static int write_profile(const char *out_path, const unsigned char *data, size_t size, char *error,
			 size_t error_size)
{
	size_t encoded_size;
	unsigned char *encoded = encode_for_path(out_path, data, size, &encoded_size);
	struct output_file out;
	int status = output_file_open(&out, out_path, error, error_size);
	if (!status) {
		fwrite(encoded, 1, encoded_size, out.stream);
		status = output_file_close(&out, error, error_size);
	}
	free(encoded);
	return status;
}

static void note_missing_binary(FILE *notes, const struct profile_mapping *m)
{
	if (!notes)
		return;
	if (m->build_id[0])
		fprintf(notes, "heapprof: no binary for %s (build ID %s) on this machine\n", m->file,
			m->build_id);
	else
		fprintf(notes, "heapprof: no binary for %s on this machine\n", m->file);
}

static void free_rewrite(struct rewrite *rw)
{
	symbolizer_destroy(rw->symbolizer);
	intern_table_free(&rw->strings);
	intern_table_free(&rw->function_keys);
	free(rw->string_index);
	free(rw->strings_out);
	free(rw->function_ids);
	free(rw->functions_out);
	budget_arena_free_all(&rw->arena);
}

static void symbolize_mappings(struct rewrite *rw, const struct profile *prof, FILE *notes,
			       struct symbolize_stats *stats)
{
	struct unsymbolized groups;
	group_unsymbolized(prof, &groups);
	for (size_t m = 0; m < prof->n_mappings; m++) {
		const struct profile_mapping *mapping = &prof->mappings[m];
		if (mapping_has_symbols(mapping) || is_pseudo_file(mapping->file))
			continue;
		if (!symbolize_mapping(rw, prof, m, &groups, stats)) {
			stats->mappings_without_binary++;
			note_missing_binary(notes, mapping);
		}
	}
	free(groups.first);
	free(groups.order);
}

int profile_symbolizer_write(const char *in_path, const char *out_path, FILE *notes,
			     struct symbolize_stats *stats, char *error, size_t error_size)
{
	memset(stats, 0, sizeof *stats);
	struct profile *prof = profile_reader_read_file(in_path, error, error_size);
	if (!prof)
		return -1;
	struct rewrite rw = {0};
	const struct libdw_api *api = libdw_api_load();
	int status = decode_for_rewrite(&rw, in_path, error, error_size);
	if (!status && !(rw.symbolizer = api ? symbolizer_create(api) : NULL))
		status = fail(error, error_size, "%s%s", "cannot start elfutils' symbolizer", "");
	if (!status) {
		load_tables(&rw);
		symbolize_mappings(&rw, prof, notes, stats);
		rw.message->string_table = rw.strings_out;
		rw.message->n_string_table = rw.n_strings;
		rw.message->function = rw.functions_out;
		rw.message->n_function = rw.n_functions;
		size_t size = perftools__profiles__profile__get_packed_size(rw.message);
		unsigned char *packed = diag_malloc(size);
		perftools__profiles__profile__pack(rw.message, packed);
		status = write_profile(out_path, packed, size, error, error_size);
		free(packed);
	}
	free_rewrite(&rw);
	profile_reader_free(prof);
	return status;
}

#include "profile_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decompress.h"
#include "diag.h"
#include "hash_map.h"
#include "wire_survey.h"

/* What the reader takes on, whatever the input (docs/cli.md, "Input"): the
   file, its decoded form, its samples and locations, and the frames of its
   stacks (inlined lines expanded), which every report walks. Honest profiles
   decode to 3-20 bytes per encoded byte; 32x plus a floor leaves them room. */
#define MOST_FILE_BYTES ((size_t)1 << 30)
enum { DECODE_BYTES_PER_INPUT_BYTE = 32, FRAMES_PER_INPUT_BYTE = 8 };
#define DECODE_BUDGET_FLOOR ((size_t)64 << 20)
#define MOST_DECODED_BYTES ((size_t)2 << 30)
#define MOST_SAMPLES ((size_t)8 << 20)
#define MOST_LOCATIONS ((size_t)8 << 20)
#define FRAMES_FLOOR ((size_t)16 << 20)
#define MOST_FRAMES ((size_t)128 << 20)

struct reader {
	struct profile *prof;
	char *error;
	size_t error_size;
};

static int reject(struct reader *r, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int reject(struct reader *r, const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	vsnprintf(r->error, r->error_size, format, arguments);
	va_end(arguments);
	return -1;
}

/* --- Decoding, within the budgets ---------------------------------------- */

static size_t decode_budget(size_t size)
{
	if (size > (MOST_DECODED_BYTES - DECODE_BUDGET_FLOOR) / DECODE_BYTES_PER_INPUT_BYTE)
		return MOST_DECODED_BYTES;
	return DECODE_BUDGET_FLOOR + size * DECODE_BYTES_PER_INPUT_BYTE;
}

static int over_budget(char *error, size_t error_size, size_t budget)
{
	snprintf(error, error_size, "parsing profile: decoding would need more than %zu MiB", budget >> 20);
	return -1;
}

/* Refuses, before decoding, a profile whose decoding is over budget. */
static int survey(const unsigned char *bytes, size_t size, struct wire_survey *found, char *error,
		  size_t error_size)
{
	if (size == 0) {
		snprintf(error, error_size, "parsing profile: empty input file");
		return -1;
	}
	if (wire_survey_profile(bytes, size, found, error, error_size))
		return -1;
	if (found->samples > MOST_SAMPLES || found->locations > MOST_LOCATIONS) {
		bool samples = found->samples > MOST_SAMPLES;
		snprintf(error, error_size, "parsing profile: more than %zu %s (the most heapprof reads)",
			 samples ? MOST_SAMPLES : MOST_LOCATIONS, samples ? "samples" : "locations");
		return -1;
	}
	size_t budget = decode_budget(size);
	return found->decoded_bytes > budget ? over_budget(error, error_size, budget) : 0;
}

/* Takes out the fields pprof skips and protobuf-c refuses: in place, in a
   copy of an uncompressed input, which then takes the place of the absent
   decompressed one. */
static int take_out_skipped(struct byte_buffer *plain, char *error, size_t error_size)
{
	if (!plain->owned) {
		unsigned char *copy = malloc(plain->size);
		if (!copy) {
			snprintf(error, error_size, "parsing profile: out of memory");
			return -1;
		}
		memcpy(copy, plain->bytes, plain->size);
		*plain = (struct byte_buffer){copy, plain->size, 1};
	}
	plain->size = wire_survey_take_out_skipped(plain->bytes, plain->size);
	return 0;
}

Perftools__Profiles__Profile *profile_reader_unpack(struct budget_arena *arena, struct byte_buffer *plain,
						    char *error, size_t error_size)
{
	struct wire_survey found;
	if (survey(plain->bytes, plain->size, &found, error, error_size))
		return NULL;
	size_t budget = decode_budget(plain->size);
	budget_arena_init(arena, budget);
	if (found.skipped_fields && take_out_skipped(plain, error, error_size))
		return NULL;
	Perftools__Profiles__Profile *message =
		perftools__profiles__profile__unpack(&arena->allocator, plain->size, plain->bytes);
	if (message)
		return message;
	if (arena->refused == ARENA_OVER_BUDGET)
		over_budget(error, error_size, budget);
	else if (arena->refused == ARENA_SYSTEM_REFUSED)
		snprintf(error, error_size, "parsing profile: out of memory while decoding");
	else
		snprintf(error, error_size, "parsing profile: not a valid profile.proto message");
	return NULL;
}

/* --- Strings --------------------------------------------------------------- */

static int string_at(struct reader *r, int64_t index, const char **out, const char *what, uint64_t id)
{
	const struct profile *prof = r->prof;
	if (index < 0 || (uint64_t)index >= prof->n_strings)
		return reject(r,
			      "malformed profile: %s %llu refers to string %lld, but the string table has "
			      "%zu entries",
			      what, (unsigned long long)id, (long long)index, prof->n_strings);
	*out = prof->strings[index];
	return 0;
}

static int resolve_header_strings(struct reader *r)
{
	struct profile *prof = r->prof;
	const Perftools__Profiles__Profile *message = prof->message;
	prof->strings = (const char *const *)message->string_table;
	prof->n_strings = message->n_string_table;
	if (prof->n_strings > 0 && prof->strings[0][0] != '\0')
		return reject(r, "malformed profile: string_table[0] must be ''");

	prof->n_sample_types = message->n_sample_type;
	prof->sample_types =
		budget_arena_array(&prof->arena, prof->n_sample_types, sizeof *prof->sample_types);
	prof->n_comments = message->n_comment;
	prof->comments = budget_arena_array(&prof->arena, prof->n_comments, sizeof *prof->comments);
	if (!prof->sample_types || !prof->comments)
		return reject(r, "parsing profile: out of decoding memory");
	for (size_t i = 0; i < prof->n_sample_types; i++) {
		const Perftools__Profiles__ValueType *type = message->sample_type[i];
		if (string_at(r, type->type, &prof->sample_types[i].type, "sample type", i) ||
		    string_at(r, type->unit, &prof->sample_types[i].unit, "sample type", i))
			return -1;
	}
	int64_t period_type = message->period_type ? message->period_type->type : 0;
	int64_t period_unit = message->period_type ? message->period_type->unit : 0;
	if (string_at(r, period_type, &prof->period_type.type, "period type", 0) ||
	    string_at(r, period_unit, &prof->period_type.unit, "period type", 0) ||
	    string_at(r, message->drop_frames, &prof->drop_frames, "drop_frames", 0) ||
	    string_at(r, message->keep_frames, &prof->keep_frames, "keep_frames", 0) ||
	    string_at(r, message->default_sample_type, &prof->default_sample_type, "default_sample_type", 0))
		return -1;
	for (size_t i = 0; i < prof->n_comments; i++)
		if (string_at(r, message->comment[i], &prof->comments[i], "comment", i))
			return -1;
	prof->time_nanos = message->time_nanos;
	prof->duration_nanos = message->duration_nanos;
	prof->period = message->period;
	return 0;
}

/* --- Tables with ids ------------------------------------------------------- */

/* Fills ids with index i for each id, rejecting zero and repeated ids. */
static int index_ids(struct reader *r, struct hash_map *ids, size_t count,
		     uint64_t (*id_of)(const void *, size_t), const void *table, const char *what)
{
	/* With room for every id, adding one allocates nothing and cannot fail. */
	if (!hash_map_reserve(ids, count))
		diag_die("out of memory");
	for (size_t i = 0; i < count; i++) {
		uint64_t id = id_of(table, i);
		if (id == 0)
			return reject(r, "malformed profile: found %s with reserved id 0", what);
		bool added;
		hash_map_add_u64(ids, id, &added);
		if (!added)
			return reject(r, "malformed profile: multiple %ss with id %llu", what,
				      (unsigned long long)id);
	}
	return 0;
}

static uint64_t id_of_mapping(const void *table, size_t i)
{
	return ((Perftools__Profiles__Mapping *const *)table)[i]->id;
}

static uint64_t id_of_function(const void *table, size_t i)
{
	return ((Perftools__Profiles__Function *const *)table)[i]->id;
}

static uint64_t id_of_location(const void *table, size_t i)
{
	return ((Perftools__Profiles__Location *const *)table)[i]->id;
}

static int resolve_mappings(struct reader *r, struct hash_map *ids)
{
	struct profile *prof = r->prof;
	const Perftools__Profiles__Profile *message = prof->message;
	prof->n_mappings = message->n_mapping;
	prof->mappings = budget_arena_array(&prof->arena, prof->n_mappings, sizeof *prof->mappings);
	if (!prof->mappings)
		return reject(r, "parsing profile: out of decoding memory");
	for (size_t i = 0; i < prof->n_mappings; i++) {
		const Perftools__Profiles__Mapping *in = message->mapping[i];
		struct profile_mapping *out = &prof->mappings[i];
		*out = (struct profile_mapping){.id = in->id,
						.start = in->memory_start,
						.limit = in->memory_limit,
						.offset = in->file_offset,
						.has_functions = in->has_functions,
						.has_filenames = in->has_filenames,
						.has_line_numbers = in->has_line_numbers,
						.has_inline_frames = in->has_inline_frames};
		if (string_at(r, in->filename, &out->file, "mapping", in->id) ||
		    string_at(r, in->build_id, &out->build_id, "mapping", in->id))
			return -1;
	}
	return index_ids(r, ids, prof->n_mappings, id_of_mapping, message->mapping, "mapping");
}

static int resolve_functions(struct reader *r, struct hash_map *ids)
{
	struct profile *prof = r->prof;
	const Perftools__Profiles__Profile *message = prof->message;
	prof->n_functions = message->n_function;
	prof->functions = budget_arena_array(&prof->arena, prof->n_functions, sizeof *prof->functions);
	if (!prof->functions)
		return reject(r, "parsing profile: out of decoding memory");
	for (size_t i = 0; i < prof->n_functions; i++) {
		const Perftools__Profiles__Function *in = message->function[i];
		struct profile_function *out = &prof->functions[i];
		*out = (struct profile_function){.id = in->id, .start_line = in->start_line};
		if (string_at(r, in->name, &out->name, "function", in->id) ||
		    string_at(r, in->system_name, &out->system_name, "function", in->id) ||
		    string_at(r, in->filename, &out->filename, "function", in->id))
			return -1;
	}
	return index_ids(r, ids, prof->n_functions, id_of_function, message->function, "function");
}

static int resolve_location(struct reader *r, const Perftools__Profiles__Location *in,
			    struct profile_location *out, const struct hash_map *mapping_ids,
			    const struct hash_map *function_ids)
{
	uint32_t mapping = in->mapping_id ? hash_map_find_u64(mapping_ids, in->mapping_id) : HASH_MAP_ABSENT;
	/* pprof keeps a location whose mapping id matches no mapping, without a mapping. */
	*out = (struct profile_location){.id = in->id,
					 .mapping = mapping == HASH_MAP_ABSENT ? NO_MAPPING : mapping,
					 .address = in->address,
					 .n_lines = in->n_line,
					 .is_folded = in->is_folded};
	out->lines = budget_arena_array(&r->prof->arena, in->n_line, sizeof *out->lines);
	if (!out->lines)
		return reject(r, "parsing profile: out of decoding memory");
	for (size_t j = 0; j < in->n_line; j++) {
		uint64_t function_id = in->line[j]->function_id;
		uint32_t function =
			function_id ? hash_map_find_u64(function_ids, function_id) : HASH_MAP_ABSENT;
		if (function == HASH_MAP_ABSENT)
			return reject(
				r,
				"malformed profile: location %llu has a line with unknown function id %llu",
				(unsigned long long)in->id, (unsigned long long)function_id);
		out->lines[j] = (struct profile_line){function, in->line[j]->line};
	}
	return 0;
}

static int resolve_locations(struct reader *r, struct hash_map *ids, const struct hash_map *mapping_ids,
			     const struct hash_map *function_ids)
{
	struct profile *prof = r->prof;
	const Perftools__Profiles__Profile *message = prof->message;
	prof->n_locations = message->n_location;
	prof->locations = budget_arena_array(&prof->arena, prof->n_locations, sizeof *prof->locations);
	if (!prof->locations)
		return reject(r, "parsing profile: out of decoding memory");
	for (size_t i = 0; i < prof->n_locations; i++)
		if (resolve_location(r, message->location[i], &prof->locations[i], mapping_ids, function_ids))
			return -1;
	return index_ids(r, ids, prof->n_locations, id_of_location, message->location, "location");
}

static int resolve_labels(struct reader *r, const Perftools__Profiles__Sample *sample, size_t index)
{
	for (size_t j = 0; j < sample->n_label; j++) {
		const Perftools__Profiles__Label *label = sample->label[j];
		const char *ignored;
		if (string_at(r, label->key, &ignored, "label of sample", index) ||
		    string_at(r, label->str, &ignored, "label of sample", index) ||
		    string_at(r, label->num_unit, &ignored, "label of sample", index))
			return -1;
	}
	return 0;
}

/* The frames of a sample's stack: a location's lines, or the location itself. */
static size_t frames_of(const struct profile *prof, const struct profile_sample *sample)
{
	size_t frames = 0;
	for (size_t i = 0; i < sample->n_locations; i++) {
		size_t lines = prof->locations[sample->locations[i]].n_lines;
		frames += lines ? lines : 1;
	}
	return frames;
}

static int resolve_samples(struct reader *r, const struct hash_map *location_ids, size_t most_frames)
{
	struct profile *prof = r->prof;
	const Perftools__Profiles__Profile *message = prof->message;
	size_t frames = 0;
	if (prof->n_sample_types == 0 && message->n_sample != 0)
		return reject(r, "malformed profile: missing sample type information");
	prof->n_samples = message->n_sample;
	prof->samples = budget_arena_array(&prof->arena, prof->n_samples, sizeof *prof->samples);
	if (!prof->samples)
		return reject(r, "parsing profile: out of decoding memory");
	for (size_t i = 0; i < prof->n_samples; i++) {
		Perftools__Profiles__Sample *sample = message->sample[i];
		if (sample->n_value != prof->n_sample_types)
			return reject(r, "malformed profile: sample %zu has %zu values vs. %zu types", i,
				      sample->n_value, prof->n_sample_types);
		if (resolve_labels(r, sample, i))
			return -1;
		for (size_t j = 0; j < sample->n_location_id; j++) {
			uint32_t location = hash_map_find_u64(location_ids, sample->location_id[j]);
			if (location == HASH_MAP_ABSENT)
				return reject(
					r, "malformed profile: sample %zu refers to unknown location id %llu",
					i, (unsigned long long)sample->location_id[j]);
			sample->location_id[j] = location;
		}
		prof->samples[i] = (struct profile_sample){sample->location_id, sample->n_location_id,
							   sample->value, sample};
		frames += frames_of(prof, &prof->samples[i]);
		if (frames > most_frames)
			return reject(r, "parsing profile: the samples' stacks hold more than %zu frames",
				      most_frames);
	}
	return 0;
}

static size_t frames_budget(size_t size)
{
	if (size > (MOST_FRAMES - FRAMES_FLOOR) / FRAMES_PER_INPUT_BYTE)
		return MOST_FRAMES;
	return FRAMES_FLOOR + size * FRAMES_PER_INPUT_BYTE;
}

/* size: of the encoded message, which the frames' budget grows with. */
static int resolve(struct reader *r, size_t size)
{
	struct hash_map mapping_ids = {0}, function_ids = {0}, location_ids = {0};
	int status = resolve_header_strings(r) || resolve_mappings(r, &mapping_ids) ||
		     resolve_functions(r, &function_ids) ||
		     resolve_locations(r, &location_ids, &mapping_ids, &function_ids) ||
		     resolve_samples(r, &location_ids, frames_budget(size));
	hash_map_free(&mapping_ids);
	hash_map_free(&function_ids);
	hash_map_free(&location_ids);
	return status ? -1 : 0;
}

struct profile *profile_reader_parse(const unsigned char *bytes, size_t size, char *error, size_t error_size)
{
	struct reader r = {diag_calloc(1, sizeof(struct profile)), error, error_size};
	struct byte_buffer plain;
	if (decompress_profile(bytes, size, decompress_limit(size), &plain, error, error_size)) {
		free(r.prof);
		return NULL;
	}
	size_t plain_size = plain.size;
	r.prof->message = profile_reader_unpack(&r.prof->arena, &plain, error, error_size);
	decompress_buffer_free(&plain);
	if (!r.prof->message || resolve(&r, plain_size)) {
		profile_reader_free(r.prof);
		return NULL;
	}
	return r.prof;
}

static unsigned char *refuse_file(const char *path, char *error, size_t error_size, int fd, void *bytes,
				  const char *reason)
{
	snprintf(error, error_size, "%s: %s", path, reason);
	free(bytes);
	close(fd);
	return NULL;
}

unsigned char *profile_reader_read_whole_file(const char *path, size_t *size, char *error, size_t error_size)
{
	static const char too_large[] = "the file is larger than 1024 MiB, the most heapprof reads";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat status;
	size_t capacity = 1 << 16;
	if (fstat(fd, &status) == 0 && S_ISREG(status.st_mode) && status.st_size > 0) {
		if ((uint64_t)status.st_size > MOST_FILE_BYTES)
			return refuse_file(path, error, error_size, fd, NULL, too_large);
		capacity = (size_t)status.st_size + 1; /* +1 so the final read sees end of file */
	}
	unsigned char *bytes = NULL;
	size_t used = 0;
	for (;;) {
		if (!bytes || used == capacity) {
			if (used > MOST_FILE_BYTES)
				return refuse_file(path, error, error_size, fd, bytes, too_large);
			size_t grown = !bytes                           ? capacity
				       : capacity > MOST_FILE_BYTES / 2 ? MOST_FILE_BYTES + 1
									: capacity * 2;
			unsigned char *larger = realloc(bytes, grown);
			if (!larger)
				return refuse_file(path, error, error_size, fd, bytes, "out of memory");
			bytes = larger;
			capacity = grown;
		}
		ssize_t got = read(fd, bytes + used, capacity - used);
		if (got == 0) {
			close(fd);
			*size = used;
			return bytes;
		}
		if (got < 0 && errno != EINTR)
			return refuse_file(path, error, error_size, fd, bytes, strerror(errno));
		if (got > 0)
			used += (size_t)got;
	}
}

/* Parses and frees `bytes`, read from `name` (NULL when reading failed, with the
   reason in error already). */
static struct profile *parse_read(const char *name, unsigned char *bytes, size_t size, char *error,
				  size_t error_size)
{
	if (!bytes)
		return NULL;
	char reason[512];
	struct profile *prof = profile_reader_parse(bytes, size, reason, sizeof reason);
	free(bytes);
	if (!prof)
		snprintf(error, error_size, "%s: %s", name, reason);
	return prof;
}

struct profile *profile_reader_read_file(const char *path, char *error, size_t error_size)
{
	size_t size = 0;
	unsigned char *bytes = profile_reader_read_whole_file(path, &size, error, error_size);
	return parse_read(path, bytes, size, error, error_size);
}

struct profile *profile_reader_read_source_or_die(const char *source, const struct http_fetch_options *fetch)
{
	char error[1024];
	size_t size = 0;
	unsigned char *bytes =
		http_fetch_is_url(source)
			? http_fetch(source, fetch, MOST_FILE_BYTES, &size, error, sizeof error)
			: profile_reader_read_whole_file(source, &size, error, sizeof error);
	struct profile *prof = parse_read(source, bytes, size, error, sizeof error);
	if (!prof)
		diag_die("%s", error);
	return prof;
}

void profile_reader_free(struct profile *prof)
{
	if (!prof)
		return;
	budget_arena_free_all(&prof->arena);
	free(prof);
}

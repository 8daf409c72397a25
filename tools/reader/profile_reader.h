/* Reads a pprof profile (gzip, zstd or plain profile.proto), decodes it with
   protobuf-c under a memory budget, and checks it the way pprof's own parser
   does: every string index in range, no zero or duplicate id, every referenced
   location and function present, one value per sample type. The result is a
   read-only model with ids resolved to array indices. */
#ifndef HEAPPROF_TOOLS_PROFILE_READER_H
#define HEAPPROF_TOOLS_PROFILE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "budget_arena.h"
#include "decompress.h"
#include "http_fetch.h"
#include "profile.pb-c.h"

#define NO_MAPPING UINT32_MAX

struct value_type {
	const char *type;
	const char *unit;
};

struct profile_mapping {
	uint64_t id;
	uint64_t start, limit, offset;
	const char *file;
	const char *build_id;
	bool has_functions, has_filenames, has_line_numbers, has_inline_frames;
};

struct profile_function {
	uint64_t id;
	const char *name;
	const char *system_name;
	const char *filename;
	int64_t start_line;
};

struct profile_line {
	uint32_t function; /* index into profile.functions */
	int64_t line;
};

struct profile_location {
	uint64_t id;
	uint32_t mapping; /* index into profile.mappings, or NO_MAPPING */
	uint64_t address;
	struct profile_line *lines; /* innermost (inlined) frame first, as in the proto */
	size_t n_lines;
	bool is_folded;
};

struct profile_sample {
	/* Indices into profile.locations, leaf first. These reuse the decoded
       location_id array, so they are 64-bit. */
	uint64_t *locations;
	size_t n_locations;
	const int64_t *values;                      /* one per sample type */
	const Perftools__Profiles__Sample *message; /* labels, as decoded */
};

struct profile {
	struct budget_arena arena; /* owns everything below */
	const Perftools__Profiles__Profile *message;
	const char *const *strings;
	size_t n_strings;

	struct value_type *sample_types;
	size_t n_sample_types;
	struct profile_sample *samples;
	size_t n_samples;
	struct profile_mapping *mappings;
	size_t n_mappings;
	struct profile_location *locations;
	size_t n_locations;
	struct profile_function *functions;
	size_t n_functions;

	const char *drop_frames, *keep_frames;
	int64_t time_nanos, duration_nanos;
	struct value_type period_type;
	int64_t period;
	const char **comments;
	size_t n_comments;
	const char *default_sample_type;
};

/* Both return NULL and a one-line reason in error on failure. */
struct profile *profile_reader_read_file(const char *path, char *error, size_t error_size);
struct profile *profile_reader_parse(const unsigned char *bytes, size_t size, char *error, size_t error_size);
void profile_reader_free(struct profile *prof);

/* Decodes uncompressed profile.proto (decompress.h's plain form) into arena
   within the reader's budgets (a profile over budget is refused before
   decoding), without checking it. The fields pprof skips and protobuf-c
   refuses are first taken out of plain, which it may rewrite or replace.
   NULL, with a one-line reason in error, when it cannot. */
Perftools__Profiles__Profile *profile_reader_unpack(struct budget_arena *arena, struct byte_buffer *plain,
						    char *error, size_t error_size);

/* The bytes of a file (at most 1 GiB), malloc'd, or NULL with the reason in error. */
unsigned char *profile_reader_read_whole_file(const char *path, size_t *size, char *error, size_t error_size);

/* A profile named on the command line: a file, or a URL fetched with `fetch`
   (http_fetch.h) within the same budget as a file. A failure ends the process with exit
   status 1. */
struct profile *profile_reader_read_source_or_die(const char *source, const struct http_fetch_options *fetch);

#endif

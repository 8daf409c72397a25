/* Finds and reads the source files that list annotates, with pprof's rules:
   trim known prefixes from the profile's path, then look for it under each
   search directory and each of their parents. */
#ifndef HEAPPROF_TOOLS_SOURCE_READER_H
#define HEAPPROF_TOOLS_SOURCE_READER_H

#include <stddef.h>

#include "reader/intern_table.h"

/* Only regular files are read, and of each only the first SOURCE_FILE_BYTES:
   the lines after that are treated as past its end. All files together may
   hold SOURCE_HELD_BYTES (text plus 4 bytes of index per line); a profile
   that needs more ends the command with an error. */
#define SOURCE_FILE_BYTES ((size_t)32 << 20)
#define SOURCE_HELD_BYTES ((size_t)256 << 20)

struct source_file;

struct source_reader {
	const char *search_path;   /* colon-separated directories */
	const char *trim_path;     /* colon-separated prefixes */
	struct intern_table paths; /* the paths asked for; a path's id indexes files */
	struct source_file *files;
	size_t files_capacity;
	size_t held; /* bytes of source text and line index, all files together */
};

/* pprof's trimPath: the path made relative to a search directory or a trim
   prefix when one applies. malloc'd. */
char *source_reader_trim_path(const char *path, const char *trim_path, const char *search_path);

void source_reader_init(struct source_reader *reader, const char *search_path, const char *trim_path);
void source_reader_free(struct source_reader *reader);

/* Line lineno (from 1) of path without its line ending, or NULL past the end
   of the file or when the file cannot be read. */
const char *source_reader_line(struct source_reader *reader, const char *path, long lineno);

/* Why path could not be opened, as pprof words it, once a line of it was
   asked for (by any routine of the listing, as pprof remembers it), else NULL. */
const char *source_reader_error(const struct source_reader *reader, const char *path);

#endif

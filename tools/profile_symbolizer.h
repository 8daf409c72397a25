/* heapprof symbolize: gives every location without symbols its function
   names, files and lines (inlined frames as several lines), read with libdw
   from the mapping's binary, found by path or by build ID (also under
   /usr/lib/debug/.build-id). Everything else in the profile is kept as is. */
#ifndef HEAPPROF_TOOLS_PROFILE_SYMBOLIZER_H
#define HEAPPROF_TOOLS_PROFILE_SYMBOLIZER_H

#include <stdbool.h>
#include <stdio.h>

#include "reader/profile_reader.h"

/* Whether some location lacks symbols that a local binary might provide. */
bool profile_symbolizer_needed(const struct profile *prof);

struct symbolize_stats {
	size_t locations_symbolized;
	size_t locations_unresolved;
	size_t mappings_without_binary;
};

/* Writes the symbolized profile to out_path, which may be in_path: zstd when
   the name ends in .zst, uncompressed for .pb, else gzip. Reports binaries it cannot find on notes (one line each). Returns
   0, or -1 with the reason in error. */
int profile_symbolizer_write(const char *in_path, const char *out_path, FILE *notes,
			     struct symbolize_stats *stats, char *error, size_t error_size);

#endif

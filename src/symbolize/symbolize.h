/* Addresses to function names, files and lines (inlined frames included), with
   elfutils. Shared by the preload library (at dump time) and the CLI. */
#ifndef HEAPPROF_SYMBOLIZE_H
#define HEAPPROF_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "libdw_api.h"

struct symbolized_frame {
	const char *function;    /* demangled and simplified as pprof shows it; NULL if unknown */
	const char *system_name; /* the linker's (mangled) name */
	const char *file;        /* NULL without line information */
	int64_t line;
	int64_t start_line; /* the function's declaration line, or 0 */
};

typedef void symbolize_callback(void *context, const struct symbolized_frame *frame);

struct symbolizer;

struct symbolizer *symbolizer_create(const struct libdw_api *api);
void symbolizer_destroy(struct symbolizer *symbolizer);

/* Reads lines and inline frames only from DWARF inside the mapped files themselves,
   not from separate debug files (those still give function names). A distribution's
   debug files keep their DWARF compressed, and inflating it is too much to pay in
   every exiting process (docs/design.md, "Writing the profile", has the cost).
   `heapprof symbolize` can add it afterwards. */
void symbolizer_skip_separate_dwarf(struct symbolizer *symbolizer);

/* Finds the function at each address with dwarf_getscopes, as before the per-unit
   function index existed: for the test that the two agree. */
void symbolizer_without_function_index(struct symbolizer *symbolizer);

/* Adds the ELF file `path` whose bytes at `file_offset` are mapped at `start`, up to
   `limit`. False when the file cannot be read or does not match. */
bool symbolizer_add_mapping(struct symbolizer *symbolizer, const char *path, uint64_t start, uint64_t limit,
			    uint64_t file_offset);

/* Calls `callback` for each frame at `pc` of the mapping added at `start`, innermost
   inlined function first, the function containing pc last. Returns the number of
   frames (0: nothing known). What is found is kept: an address is looked up in libdw
   once per symbolizer, so a mapping must not be replaced by another at the same
   addresses. */
unsigned symbolizer_lookup(struct symbolizer *symbolizer, uint64_t start, uint64_t pc,
			   symbolize_callback *callback, void *context);

#endif

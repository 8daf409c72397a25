#include "main_binary.h"

#include <stdlib.h>

#include "reader/diag.h"
#include "sample_merge.h"

/* The mapping pprof makes up for the locations of a profile without any. */
static const struct profile_mapping unknown_mapping = {.file = "", .build_id = ""};

static const struct profile_mapping *mapping_of(const struct profile *prof,
						const struct profile_location *location)
{
	if (prof->n_mappings == 0)
		return &unknown_mapping;
	return location->mapping == NO_MAPPING ? NULL : &prof->mappings[location->mapping];
}

/* Marks the locations of prof that profile.Merge puts in the main binary's mapping. */
static void mark_locations_in(const struct profile *prof, const struct profile_mapping *binary, bool *marks)
{
	for (size_t i = 0; i < prof->n_locations; i++) {
		const struct profile_mapping *mapping = mapping_of(prof, &prof->locations[i]);
		marks[i] = mapping && sample_merge_same_mapping(mapping, binary);
	}
}

bool main_binary_unnamed(const struct profile *merged, const struct profile *current,
			 const struct profile *base)
{
	const struct profile_mapping *binary = current->n_mappings ? &current->mappings[0] : &unknown_mapping;
	if (binary->file[0] || binary->has_functions || binary->has_filenames || binary->has_line_numbers)
		return false;
	bool *in_main = diag_calloc(merged->n_locations, sizeof *in_main);
	mark_locations_in(current, binary, in_main);
	if (base)
		mark_locations_in(base, binary, in_main + current->n_locations);
	bool unnamed = sample_merge_keeps_location(merged, in_main);
	free(in_main);
	return unnamed;
}

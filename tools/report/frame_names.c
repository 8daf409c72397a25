#include "frame_names.h"

#include <stdlib.h>
#include <string.h>

#include "go_path.h"
#include "reader/diag.h"

/* The function's name, else [the mapping's file], else <unknown>. malloc'd. */
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

static uint32_t name_id(struct intern_table *table, const struct profile *prof,
			const struct profile_location *location, const struct profile_line *line)
{
	char *name = frame_name(prof, location, line);
	uint32_t id = intern_table_add(table, name, strlen(name));
	free(name);
	return id;
}

void frame_names_build(struct frame_names *names, struct intern_table *table, const struct profile *prof)
{
	names->first = diag_malloc((prof->n_locations + 1) * sizeof *names->first);
	size_t total = 0;
	for (size_t i = 0; i < prof->n_locations; i++)
		total += prof->locations[i].n_lines ? prof->locations[i].n_lines : 1;
	names->ids = diag_malloc(total * sizeof *names->ids);
	size_t next = 0;
	for (size_t i = 0; i < prof->n_locations; i++) {
		const struct profile_location *location = &prof->locations[i];
		names->first[i] = (uint32_t)next;
		if (location->n_lines == 0)
			names->ids[next++] = name_id(table, prof, location, NULL);
		for (size_t j = 0; j < location->n_lines; j++)
			names->ids[next++] = name_id(table, prof, location, &location->lines[j]);
	}
	names->first[prof->n_locations] = (uint32_t)next;
}

void frame_names_free(struct frame_names *names)
{
	free(names->first);
	free(names->ids);
}

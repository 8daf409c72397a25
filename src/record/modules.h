/* The executable segments of loaded objects: the profile's mappings, and where
   symbols come from. Unloaded objects are kept, so samples taken in a library that
   was dlclose'd later still resolve. */
#ifndef HEAPPROF_MODULES_H
#define HEAPPROF_MODULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MODULE_BUILD_ID_MAX 64

struct module {
	uintptr_t start; /* page-aligned start of the executable segment */
	uintptr_t limit;
	uint64_t file_offset; /* file offset mapped at `start` */
	const char *path;
	unsigned build_id_length;
	uint8_t build_id[MODULE_BUILD_ID_MAX];
	bool unloaded;
	bool main_program;
};

/* Re-reads the list of loaded objects. Calls dl_iterate_phdr: only from a busy thread. */
void modules_refresh(void);

/* Refreshes when some pc lies outside every known module and objects were loaded
   or unloaded since the last look. */
void modules_notice(const uintptr_t *pcs, unsigned count);

/* The current snapshot, sorted by start, for a dump to read until it calls
   modules_release; later refreshes build new snapshots meanwhile. NULL (count 0)
   before the first refresh. */
const struct module *modules_hold(size_t *count);
void modules_release(const struct module *list);

/* The module containing pc in `list`, or NULL. */
const struct module *modules_find(const struct module *list, size_t count, uintptr_t pc);

void modules_lock(void);
void modules_unlock(void);

#endif

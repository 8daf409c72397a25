/* Byte strings interned to dense ids (0, 1, ...), each kept as a copy: the identities
   of graph nodes, flame frames and merged samples, and the strings and functions of a
   profile being symbolized. Built on src/common's hash map. */
#ifndef HEAPPROF_TOOLS_INTERN_TABLE_H
#define HEAPPROF_TOOLS_INTERN_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "hash_map.h"

struct intern_key {
	const char *bytes;
	size_t length;
};

struct intern_table {
	struct hash_map ids;        /* hash of the bytes -> id; ids.count strings */
	struct intern_key *entries; /* by id: copies owned by the table, NUL-terminated */
	size_t entries_capacity;
};

void intern_table_init(struct intern_table *table);
void intern_table_free(struct intern_table *table);
/* The dense id of the byte string, or HASH_MAP_ABSENT. */
uint32_t intern_table_find(const struct intern_table *table, const char *bytes, size_t length);
/* Returns the dense id of the byte string, adding a copy if it is new. */
uint32_t intern_table_add(struct intern_table *table, const char *bytes, size_t length);

#endif

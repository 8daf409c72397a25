#include "intern_table.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void intern_table_init(struct intern_table *table)
{
	*table = (struct intern_table){0};
}

void intern_table_free(struct intern_table *table)
{
	for (uint32_t i = 0; i < table->ids.count; i++)
		free((char *)table->entries[i].bytes);
	free(table->entries);
	hash_map_free(&table->ids);
	*table = (struct intern_table){0};
}

static bool same_bytes(const void *context, const void *key, uint32_t index)
{
	const struct intern_key *entry = (const struct intern_key *)context + index, *sought = key;
	return entry->length == sought->length && !memcmp(entry->bytes, sought->bytes, sought->length);
}

uint32_t intern_table_find(const struct intern_table *table, const char *bytes, size_t length)
{
	struct intern_key key = {bytes, length};
	return hash_map_find(&table->ids, hash_map_hash_bytes(bytes, length), same_bytes, table->entries,
			     &key);
}

uint32_t intern_table_add(struct intern_table *table, const char *bytes, size_t length)
{
	struct intern_key key = {bytes, length};
	bool added;
	uint32_t id = hash_map_add(&table->ids, hash_map_hash_bytes(bytes, length), same_bytes,
				   table->entries, &key, &added);
	if (id == HASH_MAP_ABSENT)
		diag_die("out of memory");
	if (added) {
		table->entries = diag_grow(table->entries, &table->entries_capacity, (size_t)id + 1,
					   sizeof *table->entries);
		char *copy = diag_malloc(length + 1);
		memcpy(copy, bytes, length);
		copy[length] = '\0';
		table->entries[id] = (struct intern_key){copy, length};
	}
	return id;
}

#include "hash_map.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"

static uint64_t mix64(uint64_t value)
{
	value ^= value >> 33;
	value *= 0xff51afd7ed558ccdULL;
	value ^= value >> 33;
	value *= 0xc4ceb9fe1a85ec53ULL;
	value ^= value >> 33;
	return value;
}

uint64_t hash_bytes(const void *bytes, size_t length)
{
	/* FNV-1a is enough: keys are short names, and the final mix spreads the bits. */
	const unsigned char *byte = bytes;
	uint64_t hash = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < length; i++)
		hash = (hash ^ byte[i]) * 0x100000001b3ULL;
	return mix64(hash ^ length);
}

static size_t capacity_for(size_t expected)
{
	size_t capacity = 16;
	while (capacity < expected * 2)
		capacity *= 2;
	return capacity;
}

void u64_map_init(struct u64_map *map, size_t expected)
{
	map->capacity = capacity_for(expected);
	map->count = 0;
	map->keys = diag_malloc(map->capacity * sizeof *map->keys);
	map->values = diag_malloc(map->capacity * sizeof *map->values);
	memset(map->values, 0xff, map->capacity * sizeof *map->values);
}

void u64_map_free(struct u64_map *map)
{
	free(map->keys);
	free(map->values);
	memset(map, 0, sizeof *map);
}

static size_t u64_slot(const struct u64_map *map, uint64_t key)
{
	size_t mask = map->capacity - 1;
	size_t slot = mix64(key) & mask;
	while (map->values[slot] != HASH_MAP_ABSENT && map->keys[slot] != key)
		slot = (slot + 1) & mask;
	return slot;
}

uint32_t u64_map_get(const struct u64_map *map, uint64_t key)
{
	return map->values[u64_slot(map, key)];
}

static void u64_map_grow(struct u64_map *map)
{
	struct u64_map grown;
	u64_map_init(&grown, map->capacity);
	for (size_t i = 0; i < map->capacity; i++)
		if (map->values[i] != HASH_MAP_ABSENT)
			u64_map_put_new(&grown, map->keys[i], map->values[i]);
	u64_map_free(map);
	*map = grown;
}

uint32_t u64_map_put_new(struct u64_map *map, uint64_t key, uint32_t value)
{
	if ((map->count + 1) * 2 > map->capacity)
		u64_map_grow(map);
	size_t slot = u64_slot(map, key);
	if (map->values[slot] != HASH_MAP_ABSENT)
		return map->values[slot];
	map->keys[slot] = key;
	map->values[slot] = value;
	map->count++;
	return value;
}

void intern_table_init(struct intern_table *table)
{
	memset(table, 0, sizeof *table);
	table->capacity = 64;
	table->slots = diag_calloc(table->capacity, sizeof *table->slots);
}

void intern_table_free(struct intern_table *table)
{
	for (size_t i = 0; i < table->count; i++)
		free((char *)table->entries[i].bytes);
	free(table->entries);
	free(table->hashes);
	free(table->slots);
	memset(table, 0, sizeof *table);
}

static size_t intern_slot(const struct intern_table *table, uint64_t hash, const char *bytes, size_t length)
{
	size_t mask = table->capacity - 1;
	size_t slot = hash & mask;
	for (;;) {
		uint32_t entry = table->slots[slot];
		if (!entry)
			return slot;
		const struct intern_key *key = &table->entries[entry - 1];
		if (table->hashes[entry - 1] == hash && key->length == length &&
		    !memcmp(key->bytes, bytes, length))
			return slot;
		slot = (slot + 1) & mask;
	}
}

static void intern_grow(struct intern_table *table)
{
	free(table->slots);
	table->capacity *= 2;
	table->slots = diag_calloc(table->capacity, sizeof *table->slots);
	size_t mask = table->capacity - 1;
	for (size_t i = 0; i < table->count; i++) {
		size_t slot = table->hashes[i] & mask;
		while (table->slots[slot])
			slot = (slot + 1) & mask;
		table->slots[slot] = (uint32_t)i + 1;
	}
}

uint32_t intern(struct intern_table *table, const char *bytes, size_t length)
{
	uint64_t hash = hash_bytes(bytes, length);
	size_t slot = intern_slot(table, hash, bytes, length);
	if (table->slots[slot])
		return table->slots[slot] - 1;
	size_t old_capacity = table->entries_capacity;
	table->entries =
		diag_grow(table->entries, &table->entries_capacity, table->count + 1, sizeof *table->entries);
	if (table->entries_capacity != old_capacity)
		table->hashes = diag_realloc(table->hashes, table->entries_capacity * sizeof *table->hashes);
	char *copy = diag_malloc(length + 1);
	memcpy(copy, bytes, length);
	copy[length] = '\0';
	table->entries[table->count] = (struct intern_key){copy, length};
	table->hashes[table->count] = hash;
	table->slots[slot] = (uint32_t)table->count + 1;
	table->count++;
	if (table->count * 2 > table->capacity)
		intern_grow(table);
	return (uint32_t)table->count - 1;
}

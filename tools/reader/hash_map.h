/* Two small open-addressing tables used while reading and aggregating a
   profile: 64-bit keys to dense indices (profile ids, graph edges) and byte
   strings interned to dense ids (graph node identities). */
#ifndef HEAPPROF_TOOLS_HASH_MAP_H
#define HEAPPROF_TOOLS_HASH_MAP_H

#include <stddef.h>
#include <stdint.h>

#define HASH_MAP_ABSENT UINT32_MAX

struct u64_map {
	uint64_t *keys;
	uint32_t *values; /* HASH_MAP_ABSENT marks an empty slot */
	size_t capacity;  /* a power of two */
	size_t count;
};

void u64_map_init(struct u64_map *map, size_t expected);
void u64_map_free(struct u64_map *map);
uint32_t u64_map_get(const struct u64_map *map, uint64_t key);
/* Stores value under key unless key is present; returns the stored value. */
uint32_t u64_map_put_new(struct u64_map *map, uint64_t key, uint32_t value);

struct intern_key {
	const char *bytes;
	size_t length;
};

struct intern_table {
	uint32_t *slots; /* entry index + 1; 0 marks an empty slot */
	size_t capacity;
	struct intern_key *entries; /* copies owned by the table, NUL-terminated */
	uint64_t *hashes;
	size_t count;
	size_t entries_capacity;
};

void intern_table_init(struct intern_table *table);
void intern_table_free(struct intern_table *table);
/* Returns the dense id of the byte string, adding a copy if it is new. */
uint32_t intern(struct intern_table *table, const char *bytes, size_t length);

uint64_t hash_bytes(const void *bytes, size_t length);

#endif

// Two small open-addressing tables used while reading and aggregating a
// profile: 64-bit keys to dense indices (profile ids, graph edges) and byte
// strings interned to dense ids (graph node identities).
#ifndef HEAPPROF_TOOLS_HASH_MAP_H
#define HEAPPROF_TOOLS_HASH_MAP_H

#include <stddef.h>
#include <stdint.h>

#define HASH_MAP_ABSENT UINT32_MAX

typedef struct {
    uint64_t *keys;
    uint32_t *values;  // HASH_MAP_ABSENT marks an empty slot
    size_t capacity;   // a power of two
    size_t count;
} u64_map;

void u64_map_init(u64_map *map, size_t expected);
void u64_map_free(u64_map *map);
uint32_t u64_map_get(const u64_map *map, uint64_t key);
// Stores value under key unless key is present; returns the stored value.
uint32_t u64_map_put_new(u64_map *map, uint64_t key, uint32_t value);

typedef struct {
    const char *bytes;
    size_t length;
} intern_key;

typedef struct {
    uint32_t *slots;  // entry index + 1; 0 marks an empty slot
    size_t capacity;
    intern_key *entries;  // copies owned by the table, NUL-terminated
    uint64_t *hashes;
    size_t count;
    size_t entries_capacity;
} intern_table;

void intern_table_init(intern_table *table);
void intern_table_free(intern_table *table);
// Returns the dense id of the byte string, adding a copy if it is new.
uint32_t intern(intern_table *table, const char *bytes, size_t length);

uint64_t hash_bytes(const void *bytes, size_t length);

#endif

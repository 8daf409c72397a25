/* An open-addressing hash table (linear probing, at most half full) that gives each
   key a dense index: 0 for the first key added, 1 for the next, and so on. The caller
   keeps its keys and values in arrays by that index; the table keeps each key's 64-bit
   hash and index, and asks the caller to compare keys only where hashes are equal.
   64-bit keys need no array: their hash is a bijection, so equal hashes mean equal keys.

   Allocates with malloc and reports failure to its caller: it runs in the library's
   dump, which must never end the host program, and in the CLI. */
#ifndef HEAPPROF_HASH_MAP_H
#define HEAPPROF_HASH_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* No key: returned by a lookup that finds nothing, and by an addition without memory. */
#define HASH_MAP_ABSENT UINT32_MAX

struct hash_map_slot {
	uint64_t hash;
	uint32_t entry; /* the key's index + 1; 0 marks an empty slot */
};

/* Zero-initialized, a map is empty and has allocated nothing. */
struct hash_map {
	struct hash_map_slot *slots;
	size_t capacity; /* a power of two, or 0 */
	uint32_t count;  /* keys added; the next key's index */
};

/* Whether the caller's key at `index` is `key`; `context` is where the caller keeps its keys. */
typedef bool hash_map_equal_fn(const void *context, const void *key, uint32_t index);

/* A hash for hash_map_find and hash_map_add, whose slots are chosen by a hash's high bits. */
uint64_t hash_map_hash_bytes(const void *bytes, size_t length);

/* Makes room for `count` keys in all, so that adding them allocates nothing more.
   False when out of memory; the map is unchanged. */
bool hash_map_reserve(struct hash_map *map, size_t count);

/* Frees the table and leaves the map empty. */
void hash_map_free(struct hash_map *map);

/* Adds a key that was not found: its hash goes in `slot`, where its probe ended (NULL
   in a map without slots), or where it ends in a larger table. The new index, or
   HASH_MAP_ABSENT without memory. For hash_map_add. */
uint32_t hash_map_insert(struct hash_map *map, struct hash_map_slot *slot, uint64_t hash);

/* Lookups are inline: those of 64-bit keys, which compare no keys, then test no
   function pointer and make no call. They are the CLI's hottest loops (the reader's
   ids, top's call edges: docs/performance.md). */

/* Where a hash's probe starts: its high bits, as many as the capacity's. */
static inline size_t hash_map_home_slot(size_t capacity, uint64_t hash)
{
	return (size_t)(hash >> (64 - __builtin_ctzll(capacity)));
}

/* The slot of the key, or the empty slot that ends its probe, in a map with slots.
   Without `equal`, equal hashes are equal keys. */
static inline __attribute__((always_inline)) struct hash_map_slot *
hash_map_probe(const struct hash_map *map, uint64_t hash, hash_map_equal_fn *equal, const void *context,
	       const void *key)
{
	size_t mask = map->capacity - 1;
	for (size_t i = hash_map_home_slot(map->capacity, hash);; i = (i + 1) & mask) {
		struct hash_map_slot *slot = &map->slots[i];
		if (!slot->entry || (slot->hash == hash && (!equal || equal(context, key, slot->entry - 1))))
			return slot;
	}
}

/* The index of the key with `hash` that `equal` accepts, or HASH_MAP_ABSENT. */
static inline __attribute__((always_inline)) uint32_t hash_map_find(const struct hash_map *map, uint64_t hash,
								    hash_map_equal_fn *equal,
								    const void *context, const void *key)
{
	if (!map->capacity)
		return HASH_MAP_ABSENT;
	const struct hash_map_slot *slot = hash_map_probe(map, hash, equal, context, key);
	return slot->entry ? slot->entry - 1 : HASH_MAP_ABSENT;
}

/* As hash_map_find, but a key not found is added with the next index, and *added set.
   HASH_MAP_ABSENT, with nothing added, when out of memory. The caller stores the new key
   at its index before the next call. */
static inline __attribute__((always_inline)) uint32_t hash_map_add(struct hash_map *map, uint64_t hash,
								   hash_map_equal_fn *equal,
								   const void *context, const void *key,
								   bool *added)
{
	struct hash_map_slot *slot = map->capacity ? hash_map_probe(map, hash, equal, context, key) : NULL;
	*added = !slot || !slot->entry;
	if (!*added)
		return slot->entry - 1;
	uint32_t index = hash_map_insert(map, slot, hash);
	*added = index != HASH_MAP_ABSENT;
	return index;
}

/* Fibonacci hashing: multiplying by 2^64 divided by the golden ratio carries every bit
   of the key into the high bits, which choose the slot; the factor is odd, so distinct
   keys keep distinct hashes. */
static inline uint64_t hash_map_hash_u64(uint64_t key)
{
	return key * 0x9e3779b97f4a7c15ULL;
}

static inline uint32_t hash_map_find_u64(const struct hash_map *map, uint64_t key)
{
	return hash_map_find(map, hash_map_hash_u64(key), NULL, NULL, NULL);
}

static inline uint32_t hash_map_add_u64(struct hash_map *map, uint64_t key, bool *added)
{
	return hash_map_add(map, hash_map_hash_u64(key), NULL, NULL, NULL, added);
}

#endif

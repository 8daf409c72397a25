/* An open-addressing hash table (linear probing, at most half full) that gives each
   key a dense index: 0 for the first key added, 1 for the next, and so on. The caller
   keeps its keys and values in arrays by that index; the table keeps each key's 64-bit
   hash and index, and asks the caller to compare keys only where hashes are equal.
   64-bit keys need no array: their hash is a bijection, so equal hashes mean equal keys.

   Allocates with malloc and reports failure to its caller: it runs in the library's
   dump, which must never end the host program, and in the CLI.

   Both hashes are keyed with a secret chosen per process, so that keys chosen to
   collide (a hostile profile's ids and strings, for the CLI) collide only by chance:
   with a fixed hash, such keys would share one run of slots and make adding them
   quadratic. */
#ifndef HEAPPROF_HASH_MAP_H
#define HEAPPROF_HASH_MAP_H

#include <stdatomic.h>
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

/* The process's secret, chosen at its first hash (hash_map_choose_seed): from the
   getrandom system call, which never waits for entropy here and allocates nothing,
   or, where it fails (early boot, a seccomp filter, an old kernel), from the random
   bytes the kernel gives every process at exec (AT_RANDOM). A fork child keeps its
   parent's, with the tables it inherits. */
struct hash_map_seed {
	_Atomic uint64_t offset; /* XORed into 64-bit keys; odd, so 0 until chosen */
	uint64_t key[2];         /* SipHash's */
};
extern struct hash_map_seed hash_map_seed;

void hash_map_choose_seed(void);

/* SipHash-1-3 under the seed's key: a hash for hash_map_find and hash_map_add, whose
   slots are chosen by a hash's high bits. */
uint64_t hash_map_hash_bytes(const void *bytes, size_t length);

/* Makes room for `count` keys in all, so that adding them allocates nothing more.
   False when out of memory; the map is unchanged. */
bool hash_map_reserve(struct hash_map *map, size_t count);

/* Removes every key, keeping the table's memory. */
void hash_map_clear(struct hash_map *map);

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

static inline uint64_t hash_map_offset(void)
{
	uint64_t offset = atomic_load_explicit(&hash_map_seed.offset, memory_order_acquire);
	if (__builtin_expect(offset, 1))
		return offset;
	hash_map_choose_seed();
	return atomic_load_explicit(&hash_map_seed.offset, memory_order_acquire);
}

/* MurmurHash3's finalizer of the key XORed with the seed's offset: every bit of the key
   reaches the high bits, which choose the slot, and which keys share them depends on
   an offset that whoever chose the keys does not know. A bijection, so distinct keys
   keep distinct hashes. (A fixed multiplicative hash put ids i times the inverse of
   its factor, all hashing to i, in one run of slots.) */
static inline uint64_t hash_map_hash_u64(uint64_t key)
{
	uint64_t value = key ^ hash_map_offset();
	value ^= value >> 33;
	value *= 0xff51afd7ed558ccdULL;
	value ^= value >> 33;
	value *= 0xc4ceb9fe1a85ec53ULL;
	value ^= value >> 33;
	return value;
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

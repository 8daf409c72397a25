#include "hash_map.h"

#include <stdlib.h>

/* Smaller tables would only be regrown at once. */
#define MIN_CAPACITY 16

/* MurmurHash3's finalizer: spreads every bit of the value over the high bits. */
static uint64_t mix64(uint64_t value)
{
	value ^= value >> 33;
	value *= 0xff51afd7ed558ccdULL;
	value ^= value >> 33;
	value *= 0xc4ceb9fe1a85ec53ULL;
	value ^= value >> 33;
	return value;
}

uint64_t hash_map_hash_bytes(const void *bytes, size_t length)
{
	/* FNV-1a is enough: keys are short names, and the final mix spreads the bits. */
	const unsigned char *byte = bytes;
	uint64_t hash = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < length; i++)
		hash = (hash ^ byte[i]) * 0x100000001b3ULL;
	return mix64(hash ^ length);
}

static struct hash_map_slot *empty_slot(struct hash_map_slot *slots, size_t capacity, uint64_t hash)
{
	size_t mask = capacity - 1, i = hash_map_home_slot(capacity, hash);
	while (slots[i].entry)
		i = (i + 1) & mask;
	return &slots[i];
}

static bool resize(struct hash_map *map, size_t capacity)
{
	struct hash_map_slot *slots = calloc(capacity, sizeof *slots);
	if (!slots)
		return false;
	for (size_t i = 0; i < map->capacity; i++) {
		if (map->slots[i].entry)
			*empty_slot(slots, capacity, map->slots[i].hash) = map->slots[i];
	}
	free(map->slots);
	map->slots = slots;
	map->capacity = capacity;
	return true;
}

bool hash_map_reserve(struct hash_map *map, size_t count)
{
	/* An index must fit below HASH_MAP_ABSENT, and twice the count in a size_t. */
	if (count >= HASH_MAP_ABSENT || count > SIZE_MAX / 4)
		return false;
	size_t capacity = map->capacity ? map->capacity : MIN_CAPACITY;
	while (capacity < 2 * count)
		capacity *= 2;
	return capacity == map->capacity || resize(map, capacity);
}

uint32_t hash_map_insert(struct hash_map *map, struct hash_map_slot *slot, uint64_t hash)
{
	if (2 * ((size_t)map->count + 1) > map->capacity) {
		if (!hash_map_reserve(map, (size_t)map->count + 1))
			return HASH_MAP_ABSENT;
		slot = empty_slot(map->slots, map->capacity, hash);
	}
	*slot = (struct hash_map_slot){hash, map->count + 1};
	return map->count++;
}

void hash_map_free(struct hash_map *map)
{
	free(map->slots);
	*map = (struct hash_map){0};
}

#include "common/hash_map.h"

#include <stdatomic.h>
#include <stdbool.h>

#include "check.h"

/* The map's calloc comes here (-Wl,--wrap=calloc), so that it can be made to fail. */
void *__real_calloc(size_t count, size_t size);
void *__wrap_calloc(size_t count, size_t size);

static bool fail_allocation;
static unsigned allocations;

void *__wrap_calloc(size_t count, size_t size)
{
	if (fail_allocation)
		return NULL;
	allocations++;
	return __real_calloc(count, size);
}

#define KEYS 100000

/* Keys 4 KiB apart, as page-aligned addresses are: their low bits never differ. */
static uint64_t key_of(uint32_t index)
{
	return (uint64_t)index << 12;
}

static void check_half_full(const struct hash_map *map)
{
	CHECK(map->capacity && (map->capacity & (map->capacity - 1)) == 0);
	CHECK((size_t)map->count * 2 <= map->capacity);
}

static void test_empty(void)
{
	struct hash_map map = {0};
	CHECK_UINT(hash_map_find_u64(&map, 0), HASH_MAP_ABSENT);
	CHECK_UINT(hash_map_find(&map, 1, NULL, NULL, NULL), HASH_MAP_ABSENT);
	hash_map_free(&map);
	CHECK(!map.slots && !map.capacity && !map.count);
}

/* Indices count up in the order keys are added, through many growths. */
static void test_growth(void)
{
	struct hash_map map = {0};
	bool added;
	for (uint32_t i = 0; i < KEYS; i++) {
		CHECK_UINT(hash_map_add_u64(&map, key_of(i), &added), i);
		CHECK(added);
	}
	CHECK_UINT(map.count, KEYS);
	check_half_full(&map);
	for (uint32_t i = 0; i < KEYS; i++) {
		CHECK_UINT(hash_map_find_u64(&map, key_of(i)), i);
		CHECK_UINT(hash_map_add_u64(&map, key_of(i), &added), i);
		CHECK(!added);
	}
	CHECK_UINT(map.count, KEYS);
	hash_map_free(&map);
	CHECK_UINT(hash_map_find_u64(&map, key_of(1)), HASH_MAP_ABSENT);
}

/* Every 64-bit value is a key: no value is set aside to mark an empty slot. */
static void test_absent_keys(void)
{
	struct hash_map map = {0};
	bool added;
	const uint64_t keys[] = {0, UINT64_MAX, 1, UINT32_MAX};
	for (uint32_t i = 0; i < 4; i++)
		CHECK_UINT(hash_map_add_u64(&map, keys[i], &added), i);
	for (uint32_t i = 0; i < 4; i++)
		CHECK_UINT(hash_map_find_u64(&map, keys[i]), i);
	for (uint64_t key = 2; key < 1000; key++) {
		if (key != UINT32_MAX)
			CHECK_UINT(hash_map_find_u64(&map, key), HASH_MAP_ABSENT);
	}
	CHECK_UINT(hash_map_find_u64(&map, UINT64_MAX - 1), HASH_MAP_ABSENT);
	hash_map_free(&map);
}

#define SHARED 300

struct words {
	char text[SHARED][16];
	unsigned comparisons;
};

static bool same_word(const void *context, const void *key, uint32_t index)
{
	struct words *words = (struct words *)context;
	words->comparisons++;
	return strcmp(words->text[index], key) == 0;
}

/* Keys that share a hash, or the low bits of one, are told apart and found. */
static void test_collisions(void)
{
	static struct words words;
	struct hash_map map = {0};
	bool added;
	for (uint32_t i = 0; i < SHARED; i++) {
		snprintf(words.text[i], sizeof words.text[i], "word%u", i);
		CHECK_UINT(hash_map_add(&map, 42, same_word, &words, words.text[i], &added), i);
		CHECK(added);
	}
	for (uint32_t i = 0; i < SHARED; i++) {
		CHECK_UINT(hash_map_find(&map, 42, same_word, &words, words.text[i]), i);
		CHECK_UINT(hash_map_add(&map, 42, same_word, &words, words.text[i], &added), i);
		CHECK(!added);
	}
	CHECK_UINT(hash_map_find(&map, 42, same_word, &words, "word300"), HASH_MAP_ABSENT);
	CHECK_UINT(hash_map_find(&map, 43, same_word, &words, "word1"), HASH_MAP_ABSENT);
	hash_map_free(&map);

	/* Hashes alike in their high bits, which choose the slot, probe the same slots,
	   but only an equal hash costs a comparison of keys. */
	for (uint32_t i = 0; i < SHARED; i++)
		CHECK_UINT(hash_map_add(&map, i + 1, same_word, &words, words.text[i], &added), i);
	words.comparisons = 0;
	for (uint32_t i = 0; i < SHARED; i++)
		CHECK_UINT(hash_map_find(&map, i + 1, same_word, &words, words.text[i]), i);
	CHECK_UINT(words.comparisons, SHARED);
	CHECK_UINT(hash_map_find(&map, SHARED + 1, same_word, &words, "word0"), HASH_MAP_ABSENT);
	CHECK_UINT(words.comparisons, SHARED);
	hash_map_free(&map);
}

static void test_hash_bytes(void)
{
	char copy[] = "main";
	CHECK(hash_map_hash_bytes("main", 4) == hash_map_hash_bytes(copy, 4));
	CHECK(hash_map_hash_bytes("main", 4) != hash_map_hash_bytes("main", 5));
	CHECK(hash_map_hash_bytes("", 0) != hash_map_hash_bytes("\0", 1));
}

/* How far keys lie from their home slots, in all: the slots that finding every key
   probes beyond its first. */
static uint64_t displacement(const struct hash_map *map)
{
	uint64_t total = 0;
	for (size_t i = 0; i < map->capacity; i++) {
		if (map->slots[i].entry)
			total += (i - hash_map_home_slot(map->capacity, map->slots[i].hash)) &
				 (map->capacity - 1);
	}
	return total;
}

/* The seed is chosen at the first hash: an odd offset, and a key; each changes what
   its hash gives. */
static void test_seed(void)
{
	uint64_t bytes = hash_map_hash_bytes("main", 4), u64 = hash_map_hash_u64(3);
	uint64_t offset = atomic_load(&hash_map_seed.offset);
	CHECK(offset & 1);
	hash_map_seed.key[0] ^= 1;
	CHECK(hash_map_hash_bytes("main", 4) != bytes);
	hash_map_seed.key[0] ^= 1;
	CHECK_UINT(hash_map_hash_bytes("main", 4), bytes);
	atomic_store(&hash_map_seed.offset, offset ^ 2);
	CHECK(hash_map_hash_u64(3) != u64);
	atomic_store(&hash_map_seed.offset, offset);
	CHECK_UINT(hash_map_hash_u64(3), u64);
}

#define FLOOD 2000
/* Keys whose slots under a seed known to whoever chose them share their high bits. */
#define FLOOD_SHARED_BITS 10

static uint64_t inverse(uint64_t odd)
{
	uint64_t x = odd; /* right in its low 3 bits; each step doubles that */
	for (int i = 0; i < 5; i++)
		x *= 2 - odd * x;
	return x;
}

/* The key that hash_map_hash_u64 gives `hash` for under `offset`. */
static uint64_t key_hashing_to(uint64_t hash, uint64_t offset)
{
	hash ^= hash >> 33;
	hash *= inverse(0xc4ceb9fe1a85ec53ULL);
	hash ^= hash >> 33;
	hash *= inverse(0xff51afd7ed558ccdULL);
	hash ^= hash >> 33;
	return hash ^ offset;
}

/* Keys chosen to hash to 1, 2, 3... under one offset all start their probes in one
   slot: adding them is quadratic. Under another offset they spread as any keys do. */
static void test_flooded_ids(void)
{
	uint64_t known = atomic_load(&hash_map_seed.offset), keys[FLOOD];
	for (uint32_t i = 0; i < FLOOD; i++)
		keys[i] = key_hashing_to(i + 1, known);
	struct hash_map map = {0};
	bool added;
	const uint64_t offsets[] = {known, known ^ 0x5a5a5a5a5a5a5a5aULL};
	for (unsigned o = 0; o < 2; o++) {
		atomic_store(&hash_map_seed.offset, offsets[o]);
		for (uint32_t i = 0; i < FLOOD; i++)
			CHECK_UINT(hash_map_add_u64(&map, keys[i], &added), i);
		for (uint32_t i = 0; i < FLOOD; i++)
			CHECK_UINT(hash_map_find_u64(&map, keys[i]), i);
		uint64_t probes = displacement(&map);
		if (o == 0)
			CHECK_UINT(probes, (uint64_t)FLOOD * (FLOOD - 1) / 2);
		else
			CHECK(probes < 4 * FLOOD);
		hash_map_free(&map);
	}
	atomic_store(&hash_map_seed.offset, known);
}

struct flood_words {
	char text[FLOOD][24];
};

static bool same_flood_word(const void *context, const void *key, uint32_t index)
{
	return strcmp(((const struct flood_words *)context)->text[index], key) == 0;
}

/* Strings whose hashes under one key share their high bits, found by trying names,
   as one who knew the key could: under another key they spread. */
static void test_flooded_strings(void)
{
	static struct flood_words words;
	uint64_t chosen[2] = {hash_map_seed.key[0], hash_map_seed.key[1]};
	hash_map_seed.key[0] = 1;
	hash_map_seed.key[1] = 2;
	uint32_t found = 0;
	for (uint64_t attempt = 0; found < FLOOD; attempt++) {
		char name[24];
		snprintf(name, sizeof name, "f%" PRIu64, attempt);
		if (hash_map_hash_bytes(name, strlen(name)) >> (64 - FLOOD_SHARED_BITS) == 0)
			strcpy(words.text[found++], name);
	}
	struct hash_map map = {0};
	bool added;
	for (unsigned k = 0; k < 2; k++) {
		for (uint32_t i = 0; i < FLOOD; i++) {
			const char *word = words.text[i];
			CHECK_UINT(hash_map_add(&map, hash_map_hash_bytes(word, strlen(word)),
						same_flood_word, &words, word, &added),
				   i);
		}
		uint64_t probes = displacement(&map);
		if (k == 0)
			CHECK(probes > (uint64_t)FLOOD * FLOOD / 4);
		else
			CHECK(probes < 4 * FLOOD);
		hash_map_free(&map);
		hash_map_seed.key[0] = chosen[0];
		hash_map_seed.key[1] = chosen[1];
	}
}

static void test_reserve(void)
{
	struct hash_map map = {0};
	bool added;
	CHECK(hash_map_reserve(&map, 1000));
	check_half_full(&map);
	CHECK(map.capacity >= 2000);
	unsigned before = allocations;
	for (uint32_t i = 0; i < 1000; i++)
		CHECK_UINT(hash_map_add_u64(&map, key_of(i), &added), i);
	CHECK_UINT(allocations, before);
	/* More keys than indices, or than memory could hold: refused, nothing changed. */
	size_t capacity = map.capacity;
	CHECK(!hash_map_reserve(&map, (size_t)UINT32_MAX + 1));
	CHECK(!hash_map_reserve(&map, SIZE_MAX));
	CHECK_UINT(map.capacity, capacity);
	CHECK_UINT(allocations, before);
	for (uint32_t i = 0; i < 1000; i++)
		CHECK_UINT(hash_map_find_u64(&map, key_of(i)), i);
	hash_map_free(&map);
}

/* Without memory an addition adds nothing and says so; what the map held stays. */
static void test_allocation_failure(void)
{
	struct hash_map map = {0};
	bool added = true;
	fail_allocation = true;
	CHECK_UINT(hash_map_add_u64(&map, 7, &added), HASH_MAP_ABSENT);
	CHECK(!added && !map.count && !map.capacity);
	fail_allocation = false;

	uint32_t count = 0;
	while (!count || 2 * ((size_t)count + 1) <= map.capacity)
		CHECK_UINT(hash_map_add_u64(&map, key_of(count), &added), count++);
	CHECK(2 * ((size_t)count + 1) > map.capacity); /* the next key needs a larger table */
	size_t capacity = map.capacity;

	fail_allocation = true;
	CHECK_UINT(hash_map_add_u64(&map, key_of(count), &added), HASH_MAP_ABSENT);
	CHECK(!added);
	CHECK(!hash_map_reserve(&map, 1000));
	CHECK_UINT(map.count, count);
	CHECK_UINT(map.capacity, capacity);
	CHECK_UINT(hash_map_find_u64(&map, key_of(count)), HASH_MAP_ABSENT);
	for (uint32_t i = 0; i < count; i++) {
		CHECK_UINT(hash_map_find_u64(&map, key_of(i)), i);
		/* A key already there needs no room. */
		CHECK_UINT(hash_map_add_u64(&map, key_of(i), &added), i);
		CHECK(!added);
	}
	fail_allocation = false;

	CHECK_UINT(hash_map_add_u64(&map, key_of(count), &added), count);
	CHECK(added);
	check_half_full(&map);
	for (uint32_t i = 0; i <= count; i++)
		CHECK_UINT(hash_map_find_u64(&map, key_of(i)), i);
	hash_map_free(&map);
}

int main(void)
{
	test_empty();
	test_growth();
	test_absent_keys();
	test_collisions();
	test_hash_bytes();
	test_seed();
	test_flooded_ids();
	test_flooded_strings();
	test_reserve();
	test_allocation_failure();
	return 0;
}

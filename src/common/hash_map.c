#include "hash_map.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Smaller tables would only be regrown at once. */
#define MIN_CAPACITY 16

struct hash_map_seed hash_map_seed;
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static uint64_t rotate(uint64_t value, unsigned bits)
{
	return value << bits | value >> (64 - bits);
}

struct sip_state {
	uint64_t v0, v1, v2, v3;
};

static void sip_round(struct sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = rotate(s->v1, 13) ^ s->v0;
	s->v0 = rotate(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotate(s->v3, 16) ^ s->v2;
	s->v0 += s->v3;
	s->v3 = rotate(s->v3, 21) ^ s->v0;
	s->v2 += s->v1;
	s->v1 = rotate(s->v1, 17) ^ s->v2;
	s->v2 = rotate(s->v2, 32);
}

static void sip_absorb(struct sip_state *s, uint64_t word)
{
	s->v3 ^= word;
	sip_round(s);
	s->v0 ^= word;
}

/* Bytes 0 to count - 1 of `bytes` as a little-endian number. */
static uint64_t little_endian(const unsigned char *bytes, size_t count)
{
	uint64_t word = 0;
	for (size_t i = 0; i < count; i++)
		word |= (uint64_t)bytes[i] << (8 * i);
	return word;
}

/* SipHash-1-3, the variant Python's and Rust's hash tables use: one round per word,
   three to finish. */
static uint64_t siphash13(const uint64_t key[2], const void *bytes, size_t length)
{
	struct sip_state s = {key[0] ^ 0x736f6d6570736575ULL, key[1] ^ 0x646f72616e646f6dULL,
			      key[0] ^ 0x6c7967656e657261ULL, key[1] ^ 0x7465646279746573ULL};
	const unsigned char *byte = bytes;
	size_t whole = length & ~(size_t)7;
	for (size_t i = 0; i < whole; i += 8)
		sip_absorb(&s, little_endian(byte + i, 8));
	sip_absorb(&s, little_endian(byte + whole, length - whole) | (uint64_t)length << 56);
	s.v2 ^= 0xff;
	for (int i = 0; i < 3; i++)
		sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

/* The system call rather than glibc's getrandom, which may keep state per thread. */
static void read_key(uint64_t key[2])
{
	int saved_errno = errno;
	if (syscall(SYS_getrandom, key, 2 * sizeof key[0], GRND_NONBLOCK) != 2 * sizeof key[0]) {
		const void *at_random = (const void *)getauxval(AT_RANDOM);
		if (at_random)
			memcpy(key, at_random, 2 * sizeof key[0]);
	}
	errno = saved_errno;
}

/* The offset comes from the key through SipHash, so that what the order of a table's
   slots might show of it tells nothing of the key. */
static void choose_seed(void)
{
	static const char purpose[] = "hash_map_hash_u64";
	read_key(hash_map_seed.key);
	uint64_t offset = siphash13(hash_map_seed.key, purpose, sizeof purpose - 1) | 1;
	atomic_store_explicit(&hash_map_seed.offset, offset, memory_order_release);
}

void hash_map_choose_seed(void)
{
	pthread_once(&seed_once, choose_seed);
}

uint64_t hash_map_hash_bytes(const void *bytes, size_t length)
{
	/* The key is chosen with the offset. */
	if (!atomic_load_explicit(&hash_map_seed.offset, memory_order_acquire))
		hash_map_choose_seed();
	return siphash13(hash_map_seed.key, bytes, length);
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

void hash_map_clear(struct hash_map *map)
{
	if (map->slots)
		memset(map->slots, 0, map->capacity * sizeof *map->slots);
	map->count = 0;
}

void hash_map_free(struct hash_map *map)
{
	free(map->slots);
	*map = (struct hash_map){0};
}

#include "live.h"

#include <pthread.h>

#include "arena.h"

#define SHARD_COUNT 256
#define INITIAL_SLOTS 64
/* Saturated counters stay set: a never-cleared slot only costs a lookup. */
#define FILTER_STUCK 255

struct entry {
	uintptr_t pointer; /* 0: empty */
	struct site *site;
};

struct shard {
	pthread_mutex_t lock;
	struct entry *entries;
	size_t capacity; /* a power of two */
	size_t count;
} __attribute__((aligned(64)));

_Atomic uint8_t live_filter[(size_t)1 << LIVE_FILTER_BITS];
static struct shard shards[SHARD_COUNT] = {
	[0 ... SHARD_COUNT - 1] = {.lock = PTHREAD_MUTEX_INITIALIZER},
};
static _Atomic uint64_t live_total;

static uint64_t hash_pointer(uintptr_t pointer)
{
	uint64_t hash = pointer * 0x9e3779b97f4a7c15ULL;
	return hash ^ (hash >> 31);
}

static _Atomic uint8_t *filter_slot(uintptr_t pointer)
{
	return &live_filter[(pointer >> 6) & (((size_t)1 << LIVE_FILTER_BITS) - 1)];
}

static void filter_add(uintptr_t pointer)
{
	_Atomic uint8_t *slot = filter_slot(pointer);
	uint8_t value = atomic_load_explicit(slot, memory_order_relaxed);
	while (value != FILTER_STUCK &&
	       !atomic_compare_exchange_weak_explicit(slot, &value, value + 1, memory_order_relaxed,
						      memory_order_relaxed))
		;
}

static void filter_remove(uintptr_t pointer)
{
	_Atomic uint8_t *slot = filter_slot(pointer);
	uint8_t value = atomic_load_explicit(slot, memory_order_relaxed);
	while (value != FILTER_STUCK && value != 0 &&
	       !atomic_compare_exchange_weak_explicit(slot, &value, value - 1, memory_order_relaxed,
						      memory_order_relaxed))
		;
}

static struct shard *shard_of(uint64_t hash)
{
	return &shards[hash >> 56];
}

static void place(struct entry *entries, size_t capacity, uintptr_t pointer, struct site *site)
{
	size_t index = hash_pointer(pointer) & (capacity - 1);
	while (entries[index].pointer)
		index = (index + 1) & (capacity - 1);
	entries[index] = (struct entry){pointer, site};
}

static bool grow(struct shard *shard)
{
	size_t capacity = shard->capacity ? shard->capacity * 2 : INITIAL_SLOTS;
	struct entry *entries = arena_map(capacity * sizeof *entries);
	if (!entries)
		return false;
	for (size_t i = 0; i < shard->capacity; i++) {
		if (shard->entries[i].pointer)
			place(entries, capacity, shard->entries[i].pointer, shard->entries[i].site);
	}
	arena_unmap(shard->entries, shard->capacity * sizeof *entries);
	shard->entries = entries;
	shard->capacity = capacity;
	return true;
}

void live_flag_forever(const void *pointer)
{
	atomic_store_explicit(filter_slot((uintptr_t)pointer), FILTER_STUCK, memory_order_relaxed);
}

bool live_insert(const void *pointer, struct site *site)
{
	uintptr_t key = (uintptr_t)pointer;
	struct shard *shard = shard_of(hash_pointer(key));
	bool inserted = false;
	pthread_mutex_lock(&shard->lock);
	if (2 * (shard->count + 1) <= shard->capacity || grow(shard)) {
		place(shard->entries, shard->capacity, key, site);
		shard->count++;
		inserted = true;
	}
	pthread_mutex_unlock(&shard->lock);
	if (inserted) {
		/* Only after the entry exists: free may then find it. */
		filter_add(key);
		atomic_fetch_add_explicit(&live_total, 1, memory_order_relaxed);
	}
	return inserted;
}

/* Backward-shift deletion keeps linear probing correct without tombstones. */
static void delete_at(struct shard *shard, size_t hole)
{
	size_t mask = shard->capacity - 1;
	for (size_t index = (hole + 1) & mask; shard->entries[index].pointer; index = (index + 1) & mask) {
		size_t home = hash_pointer(shard->entries[index].pointer) & mask;
		/* Move the entry into the hole unless its home lies cyclically in (hole, index]. */
		if (((index - home) & mask) >= ((index - hole) & mask)) {
			shard->entries[hole] = shard->entries[index];
			hole = index;
		}
	}
	shard->entries[hole] = (struct entry){0, NULL};
	shard->count--;
}

struct site *live_remove(const void *pointer, bool wait)
{
	uintptr_t key = (uintptr_t)pointer;
	uint64_t hash = hash_pointer(key);
	struct shard *shard = shard_of(hash);
	if (wait)
		pthread_mutex_lock(&shard->lock);
	else if (pthread_mutex_trylock(&shard->lock) != 0)
		return LIVE_BUSY;
	struct site *site = NULL;
	if (shard->capacity) {
		size_t mask = shard->capacity - 1;
		for (size_t index = hash & mask; shard->entries[index].pointer; index = (index + 1) & mask) {
			if (shard->entries[index].pointer == key) {
				site = shard->entries[index].site;
				delete_at(shard, index);
				break;
			}
		}
	}
	pthread_mutex_unlock(&shard->lock);
	if (site) {
		filter_remove(key);
		atomic_fetch_sub_explicit(&live_total, 1, memory_order_relaxed);
	}
	return site;
}

uint64_t live_count(void)
{
	return atomic_load_explicit(&live_total, memory_order_relaxed);
}

void live_lock_all(void)
{
	for (unsigned i = 0; i < SHARD_COUNT; i++)
		pthread_mutex_lock(&shards[i].lock);
}

void live_unlock_all(void)
{
	for (unsigned i = 0; i < SHARD_COUNT; i++)
		pthread_mutex_unlock(&shards[i].lock);
}

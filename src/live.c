#include "live.h"

#include <pthread.h>

#include "arena.h"

#define SHARD_COUNT 256
#define INITIAL_SLOTS 64
#define FILTER_SLOTS ((size_t)1 << LIVE_FILTER_BITS)
/* A slot's bit says whether its count of sampled live blocks is nonzero. Counts and
   bits change together under the lock of the bit's word: a bit cleared by a stale
   count would hide a sampled block from free. */
#define FILTER_LOCKS 64
/* Saturated counts stay set: a never-cleared slot only costs a lookup. */
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

_Atomic uint64_t live_filter[FILTER_SLOTS / 64];
static uint8_t filter_counts[FILTER_SLOTS];
static pthread_mutex_t filter_locks[FILTER_LOCKS] = {
	[0 ... FILTER_LOCKS - 1] = PTHREAD_MUTEX_INITIALIZER,
};
static struct shard shards[SHARD_COUNT] = {
	[0 ... SHARD_COUNT - 1] = {.lock = PTHREAD_MUTEX_INITIALIZER},
};
static _Atomic uint64_t live_total;

static uint64_t hash_pointer(uintptr_t pointer)
{
	uint64_t hash = pointer * 0x9e3779b97f4a7c15ULL;
	return hash ^ (hash >> 31);
}

static size_t filter_slot(uintptr_t pointer)
{
	return (pointer >> 6) & LIVE_FILTER_MASK;
}

static pthread_mutex_t *filter_lock(size_t slot)
{
	return &filter_locks[slot / 64 % FILTER_LOCKS];
}

static uint64_t slot_bit(size_t slot)
{
	return (uint64_t)1 << (slot % 64);
}

/* Under the slot's filter lock. */
static void filter_add_locked(size_t slot)
{
	if (filter_counts[slot] == FILTER_STUCK)
		return;
	if (filter_counts[slot]++ == 0)
		atomic_fetch_or_explicit(&live_filter[slot / 64], slot_bit(slot), memory_order_relaxed);
}

/* Under the slot's filter lock. */
static void filter_remove_locked(size_t slot)
{
	if (filter_counts[slot] == FILTER_STUCK || filter_counts[slot] == 0)
		return;
	if (--filter_counts[slot] == 0)
		atomic_fetch_and_explicit(&live_filter[slot / 64], ~slot_bit(slot), memory_order_relaxed);
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
	size_t slot = filter_slot((uintptr_t)pointer);
	pthread_mutex_lock(filter_lock(slot));
	filter_counts[slot] = FILTER_STUCK;
	atomic_fetch_or_explicit(&live_filter[slot / 64], slot_bit(slot), memory_order_relaxed);
	pthread_mutex_unlock(filter_lock(slot));
}

/* Locks are taken shard first, then filter. */
bool live_insert(const void *pointer, struct site *site)
{
	uintptr_t key = (uintptr_t)pointer;
	struct shard *shard = shard_of(hash_pointer(key));
	size_t slot = filter_slot(key);
	bool inserted = false;
	pthread_mutex_lock(&shard->lock);
	if (2 * (shard->count + 1) <= shard->capacity || grow(shard)) {
		place(shard->entries, shard->capacity, key, site);
		shard->count++;
		inserted = true;
		/* Only once the entry exists: free may then find it. */
		pthread_mutex_lock(filter_lock(slot));
		filter_add_locked(slot);
		pthread_mutex_unlock(filter_lock(slot));
	}
	pthread_mutex_unlock(&shard->lock);
	if (inserted)
		atomic_fetch_add_explicit(&live_total, 1, memory_order_relaxed);
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

static int lock(pthread_mutex_t *mutex, bool wait)
{
	return wait ? pthread_mutex_lock(mutex) : pthread_mutex_trylock(mutex);
}

struct site *live_remove(const void *pointer, bool wait)
{
	uintptr_t key = (uintptr_t)pointer;
	uint64_t hash = hash_pointer(key);
	struct shard *shard = shard_of(hash);
	size_t slot = filter_slot(key);
	if (lock(&shard->lock, wait) != 0)
		return LIVE_BUSY;
	if (lock(filter_lock(slot), wait) != 0) {
		pthread_mutex_unlock(&shard->lock);
		return LIVE_BUSY;
	}
	struct site *site = NULL;
	if (shard->capacity) {
		size_t mask = shard->capacity - 1;
		for (size_t index = hash & mask; shard->entries[index].pointer; index = (index + 1) & mask) {
			if (shard->entries[index].pointer == key) {
				site = shard->entries[index].site;
				delete_at(shard, index);
				filter_remove_locked(slot);
				break;
			}
		}
	}
	pthread_mutex_unlock(filter_lock(slot));
	pthread_mutex_unlock(&shard->lock);
	if (site)
		atomic_fetch_sub_explicit(&live_total, 1, memory_order_relaxed);
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
	for (unsigned i = 0; i < FILTER_LOCKS; i++)
		pthread_mutex_lock(&filter_locks[i]);
}

void live_unlock_all(void)
{
	for (unsigned i = 0; i < FILTER_LOCKS; i++)
		pthread_mutex_unlock(&filter_locks[i]);
	for (unsigned i = 0; i < SHARD_COUNT; i++)
		pthread_mutex_unlock(&shards[i].lock);
}

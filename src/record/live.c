#include "live.h"

#include <pthread.h>

#include "arena.h"

#define SHARD_COUNT 256
#define INITIAL_SLOTS 64
#define FILTER_SLOTS ((size_t)1 << LIVE_FILTER_BITS)
/* A filter word covers 64 slots: 64 KiB of address space. */
#define WORD_SHIFT (LIVE_SLOT_SHIFT + 6)
/* Saturated counts stay set: a never-cleared slot only costs a lookup. */
#define FILTER_STUCK 255

struct entry {
	uintptr_t pointer; /* 0: empty */
	struct live_block block;
};

/* A shard holds the blocks of the filter words it owns, word w belonging to shard
   w % SHARD_COUNT, so that its one lock covers both the blocks and the bits: a bit
   must change together with its slot's count of sampled live blocks, or a count
   decremented to zero, incremented by another thread and then cleared by the first
   would hide a sampled block from free. */
struct shard {
	pthread_mutex_t lock;
	struct entry *entries;
	size_t capacity; /* a power of two */
	size_t count;
} __attribute__((aligned(64)));

_Atomic uint64_t live_filter[FILTER_SLOTS / 64];
static uint8_t filter_counts[FILTER_SLOTS];
static struct shard shards[SHARD_COUNT] = {
	[0 ... SHARD_COUNT - 1] = {.lock = PTHREAD_MUTEX_INITIALIZER},
};

static uint64_t hash_pointer(uintptr_t pointer)
{
	uint64_t hash = pointer * 0x9e3779b97f4a7c15ULL;
	return hash ^ (hash >> 31);
}

static size_t filter_slot(uintptr_t pointer)
{
	return (pointer >> LIVE_SLOT_SHIFT) & LIVE_FILTER_MASK;
}

static uint64_t slot_bit(size_t slot)
{
	return (uint64_t)1 << (slot % 64);
}

/* Under the lock of the slot's shard. */
static void filter_add_locked(size_t slot)
{
	if (filter_counts[slot] == FILTER_STUCK)
		return;
	if (filter_counts[slot]++ == 0)
		atomic_fetch_or_explicit(&live_filter[slot / 64], slot_bit(slot), memory_order_relaxed);
}

/* Under the lock of the slot's shard. */
static void filter_remove_locked(size_t slot)
{
	if (filter_counts[slot] == FILTER_STUCK || filter_counts[slot] == 0)
		return;
	if (--filter_counts[slot] == 0)
		atomic_fetch_and_explicit(&live_filter[slot / 64], ~slot_bit(slot), memory_order_relaxed);
}

static struct shard *shard_of(uintptr_t pointer)
{
	return &shards[(pointer >> WORD_SHIFT) % SHARD_COUNT];
}

/* The entry of `pointer`, or the empty one where it belongs. */
static struct entry *find(struct entry *entries, size_t capacity, uintptr_t pointer)
{
	size_t index = hash_pointer(pointer) & (capacity - 1);
	while (entries[index].pointer && entries[index].pointer != pointer)
		index = (index + 1) & (capacity - 1);
	return &entries[index];
}

static bool grow(struct shard *shard)
{
	size_t capacity = shard->capacity ? shard->capacity * 2 : INITIAL_SLOTS;
	struct entry *entries = arena_map(capacity * sizeof *entries);
	if (!entries)
		return false;
	for (size_t i = 0; i < shard->capacity; i++) {
		if (shard->entries[i].pointer)
			*find(entries, capacity, shard->entries[i].pointer) = shard->entries[i];
	}
	arena_unmap(shard->entries, shard->capacity * sizeof *entries);
	shard->entries = entries;
	shard->capacity = capacity;
	return true;
}

void live_flag_forever(const void *pointer)
{
	struct shard *shard = shard_of((uintptr_t)pointer);
	size_t slot = filter_slot((uintptr_t)pointer);
	pthread_mutex_lock(&shard->lock);
	filter_counts[slot] = FILTER_STUCK;
	atomic_fetch_or_explicit(&live_filter[slot / 64], slot_bit(slot), memory_order_relaxed);
	pthread_mutex_unlock(&shard->lock);
}

bool live_insert(const void *pointer, struct live_block block, struct live_block *replaced)
{
	uintptr_t key = (uintptr_t)pointer;
	struct shard *shard = shard_of(key);
	bool inserted = false;
	*replaced = (struct live_block){NULL, 0};
	pthread_mutex_lock(&shard->lock);
	if (2 * (shard->count + 1) <= shard->capacity || grow(shard)) {
		struct entry *entry = find(shard->entries, shard->capacity, key);
		if (entry->pointer) {
			*replaced = entry->block;
			entry->block = block;
		} else {
			*entry = (struct entry){key, block};
			shard->count++;
			/* Only once the entry exists: free may then find it. */
			filter_add_locked(filter_slot(key));
		}
		inserted = true;
	}
	pthread_mutex_unlock(&shard->lock);
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
	shard->entries[hole] = (struct entry){0, {NULL, 0}};
	shard->count--;
}

static int lock(pthread_mutex_t *mutex, bool wait)
{
	return wait ? pthread_mutex_lock(mutex) : pthread_mutex_trylock(mutex);
}

struct live_block live_remove(const void *pointer, bool wait)
{
	uintptr_t key = (uintptr_t)pointer;
	uint64_t hash = hash_pointer(key);
	struct shard *shard = shard_of(key);
	if (lock(&shard->lock, wait) != 0)
		return (struct live_block){LIVE_BUSY, 0};
	struct live_block block = {NULL, 0};
	if (shard->capacity) {
		size_t mask = shard->capacity - 1;
		for (size_t index = hash & mask; shard->entries[index].pointer; index = (index + 1) & mask) {
			if (shard->entries[index].pointer == key) {
				block = shard->entries[index].block;
				delete_at(shard, index);
				filter_remove_locked(filter_slot(key));
				break;
			}
		}
	}
	pthread_mutex_unlock(&shard->lock);
	return block;
}

size_t live_snapshot(struct live_block *blocks, size_t capacity)
{
	size_t count = 0;
	for (unsigned i = 0; i < SHARD_COUNT; i++) {
		struct shard *shard = &shards[i];
		pthread_mutex_lock(&shard->lock);
		for (size_t slot = 0; slot < shard->capacity; slot++) {
			if (!shard->entries[slot].pointer)
				continue;
			if (count < capacity)
				blocks[count] = shard->entries[slot].block;
			count++;
		}
		pthread_mutex_unlock(&shard->lock);
	}
	return count;
}

uint64_t live_count(void)
{
	uint64_t count = 0;
	for (unsigned i = 0; i < SHARD_COUNT; i++) {
		pthread_mutex_lock(&shards[i].lock);
		count += shards[i].count;
		pthread_mutex_unlock(&shards[i].lock);
	}
	return count;
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

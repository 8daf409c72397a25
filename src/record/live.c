#include "live.h"

#include <pthread.h>
#include <sched.h>

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
	/* Odd while the entries change: live_snapshot copies them without the lock,
	   again if it changed meanwhile, so that a profile being built never holds a lock
	   a sample needs (docs/design.md, "The endpoint"). */
	_Atomic unsigned sequence;
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

/* Under the shard's lock, the writes live_snapshot may read meanwhile: atomic, as its
   reads are, or the copy would race with them (ThreadSanitizer reports it). */
static void store_block(struct entry *entry, struct live_block block)
{
	__atomic_store_n(&entry->block.site, block.site, __ATOMIC_RELAXED);
	__atomic_store_n(&entry->block.born, block.born, __ATOMIC_RELAXED);
}

static void store_entry(struct entry *entry, struct entry from)
{
	__atomic_store_n(&entry->pointer, from.pointer, __ATOMIC_RELAXED);
	store_block(entry, from.block);
}

/* Read by live_count without the lock. */
static void add_count(struct shard *shard, size_t delta)
{
	__atomic_store_n(&shard->count, shard->count + delta, __ATOMIC_RELAXED);
}

/* Under the shard's lock, around a change to its entries. */
static void begin_change(struct shard *shard)
{
	unsigned sequence = atomic_load_explicit(&shard->sequence, memory_order_relaxed);
	atomic_store_explicit(&shard->sequence, sequence + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static void end_change(struct shard *shard)
{
	unsigned sequence = atomic_load_explicit(&shard->sequence, memory_order_relaxed);
	atomic_store_explicit(&shard->sequence, sequence + 1, memory_order_release);
}

/* The table outgrown stays mapped: a snapshot may be reading it. The tables a shard
   has outgrown add up to less than the one it has. */
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
	begin_change(shard);
	/* The table before its size: a snapshot that reads the new size reads the new
	   table, and either table holds the old size. */
	__atomic_store_n(&shard->entries, entries, __ATOMIC_RELAXED);
	__atomic_store_n(&shard->capacity, capacity, __ATOMIC_RELEASE);
	end_change(shard);
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
		begin_change(shard);
		if (entry->pointer) {
			*replaced = entry->block;
			store_block(entry, block);
		} else {
			store_entry(entry, (struct entry){key, block});
			add_count(shard, 1);
			/* Only once the entry exists: free may then find it. */
			filter_add_locked(filter_slot(key));
		}
		end_change(shard);
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
			store_entry(&shard->entries[hole], shard->entries[index]);
			hole = index;
		}
	}
	store_entry(&shard->entries[hole], (struct entry){0, {NULL, 0}});
	add_count(shard, (size_t)-1);
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
				begin_change(shard);
				delete_at(shard, index);
				end_change(shard);
				filter_remove_locked(filter_slot(key));
				break;
			}
		}
	}
	pthread_mutex_unlock(&shard->lock);
	return block;
}

/* Copies the shard's blocks after the `*count` already copied, without taking its
   lock; false, with nothing counted, when its entries changed meanwhile. The entries are
   read as atomics because a sample may be writing them. */
static bool copy_unlocked(struct shard *shard, struct live_block *blocks, size_t capacity, size_t *count)
{
	unsigned before = atomic_load_explicit(&shard->sequence, memory_order_acquire);
	if (before & 1)
		return false;
	size_t slots = __atomic_load_n(&shard->capacity, __ATOMIC_ACQUIRE);
	const struct entry *entries = __atomic_load_n(&shard->entries, __ATOMIC_RELAXED);
	size_t copied = *count;
	for (size_t slot = 0; slot < slots; slot++) {
		if (!__atomic_load_n(&entries[slot].pointer, __ATOMIC_RELAXED))
			continue;
		if (copied < capacity) {
			blocks[copied].site = __atomic_load_n(&entries[slot].block.site, __ATOMIC_RELAXED);
			blocks[copied].born = __atomic_load_n(&entries[slot].block.born, __ATOMIC_RELAXED);
		}
		copied++;
	}
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&shard->sequence, memory_order_relaxed) != before)
		return false;
	*count = copied;
	return true;
}

/* A shard that changes on every try is copied under its lock, where the copy cannot
   fail: its entries change only under the lock. Between tries the copying thread gives
   way, so that a thread changing the shard gets ahead. */
#define SNAPSHOT_TRIES 64

static void copy_locked(struct shard *shard, struct live_block *blocks, size_t capacity, size_t *count)
{
	pthread_mutex_lock(&shard->lock);
	copy_unlocked(shard, blocks, capacity, count);
	pthread_mutex_unlock(&shard->lock);
}

size_t live_snapshot(struct live_block *blocks, size_t capacity)
{
	size_t count = 0;
	for (unsigned i = 0; i < SHARD_COUNT; i++) {
		unsigned tries = 0;
		while (tries < SNAPSHOT_TRIES && !copy_unlocked(&shards[i], blocks, capacity, &count)) {
			tries++;
			sched_yield();
		}
		if (tries == SNAPSHOT_TRIES)
			copy_locked(&shards[i], blocks, capacity, &count);
	}
	return count;
}

uint64_t live_count(void)
{
	uint64_t count = 0;
	for (unsigned i = 0; i < SHARD_COUNT; i++)
		count += __atomic_load_n(&shards[i].count, __ATOMIC_RELAXED);
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

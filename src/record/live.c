#include "live.h"

#include <pthread.h>
#include <sched.h>
#include <stddef.h>

#include "arena.h"

#define SHARD_COUNT 256
#define INITIAL_SLOTS 64
#define FILTER_SLOTS ((size_t)1 << LIVE_FILTER_BITS)
/* Saturated counts stay set: a never-cleared slot only costs a lookup. */
#define FILTER_STUCK 255
/* A block's shard is chosen by its 64 KiB of address space, hashed: glibc gives each
   thread's arena an aligned 64 MiB heap, so unhashed, threads' blocks at the same
   offset in their heaps would meet in one shard. */
#define SHARD_SHIFT 16

struct entry {
	uintptr_t pointer; /* 0: empty */
	struct live_block block;
};

/* An insertion (with a site) or a removal (without) that found its shard's lock held,
   left for the holder to apply (docs/design.md, "Free: was this pointer sampled?"). */
struct queued {
	/* The queue position the slot waits for, less the slot's index, so that zeroed
	   memory is an empty queue: position p is free to claim at p, applicable at
	   p + 1, and after it is applied, free again a lap later. */
	_Atomic size_t turn;
	uintptr_t pointer; /* 0: applied already, out of turn */
	struct live_block block;
};

struct shard {
	pthread_mutex_t lock;
	/* Odd while the entries change: live_snapshot copies them without the lock,
	   again if it changed meanwhile, so that a profile being built never holds a lock
	   a sample needs (docs/design.md, "The endpoint"). */
	_Atomic unsigned sequence;
	struct entry *entries;
	size_t capacity; /* a power of two */
	size_t count;
	/* Positions: the next to apply (written under the lock), the next to claim. */
	_Atomic size_t queue_head, queue_tail;
} __attribute__((aligned(64)));

_Atomic uint64_t live_filter[FILTER_SLOTS / LIVE_WORD_SLOTS];
/* Per slot, the sampled blocks in it: counted when an insertion starts, so that its
   free finds the slot flagged however late the insertion is applied; uncounted when an
   entry is removed. */
static _Atomic uint8_t filter_counts[FILTER_SLOTS];
static struct shard shards[SHARD_COUNT] = {
	[0 ... SHARD_COUNT - 1] = {.lock = PTHREAD_MUTEX_INITIALIZER},
};
/* Apart from the shards: touched only when a shard is contended. Inside them, the
   shards were 256 KiB that every dump (live_count) and fork (live_lock_all) read
   page by page. */
static struct queued queues[SHARD_COUNT][LIVE_QUEUE_SLOTS];

_Static_assert(sizeof(struct shard) <= 128, "a dump and a fork read every shard: keep them few pages");

static struct queued *queue_slot(const struct shard *shard, size_t position)
{
	return &queues[shard - shards][position % LIVE_QUEUE_SLOTS];
}

static uint64_t hash_pointer(uintptr_t pointer)
{
	uint64_t hash = pointer * 0x9e3779b97f4a7c15ULL;
	return hash ^ (hash >> 31);
}

static size_t filter_slot(uintptr_t pointer)
{
	return (pointer >> LIVE_SLOT_SHIFT) & LIVE_FILTER_MASK;
}

/* Where the slot's bit is: its word's lower half for even words, upper for odd ones
   (live.h). */
static uint64_t slot_bit(size_t slot)
{
	return (uint64_t)1 << (slot % 64);
}

/* The half of the slot's word that counts its changes: the other one. */
static uint64_t change_half(size_t slot)
{
	return slot & LIVE_WORD_SLOTS ? 0x00000000ffffffffULL : 0xffffffff00000000ULL;
}

static _Atomic uint64_t *filter_word(size_t slot)
{
	return &live_filter[slot / LIVE_WORD_SLOTS];
}

/* Sets the slot's bit and counts a change in its word, even when the bit was set. */
static void flag_slot(size_t slot)
{
	_Atomic uint64_t *word = filter_word(slot);
	uint64_t half = change_half(slot), one = half & -half;
	uint64_t bits = atomic_load(word);
	while (!atomic_compare_exchange_weak(word, &bits,
					     ((bits | slot_bit(slot)) & ~half) | ((bits + one) & half)))
		;
}

/* Every block flags its slot, counting a change, even when the bit is set already: a
   block that skipped it while the one that took the count from zero had yet to flag
   the slot could have its bit cleared by a removal that read the count at zero. */
static void filter_add(size_t slot)
{
	uint8_t count = atomic_load(&filter_counts[slot]);
	while (count != FILTER_STUCK &&
	       !atomic_compare_exchange_weak(&filter_counts[slot], &count, count + 1))
		;
	flag_slot(slot);
}

/* The last block out clears the bit, by a compare-and-swap on a word read before the
   count was: a block counted in after that read flags the slot after counting, which
   changes the word, so the clear fails and the count is read again. Without locks, so
   that no thread waits for another's sample or free. */
static void filter_remove(size_t slot)
{
	uint8_t count = atomic_load(&filter_counts[slot]);
	do {
		if (count == FILTER_STUCK || count == 0)
			return;
	} while (!atomic_compare_exchange_weak(&filter_counts[slot], &count, count - 1));
	if (count > 1)
		return;
	_Atomic uint64_t *word = filter_word(slot);
	uint64_t bits = atomic_load(word);
	while ((bits & slot_bit(slot)) && atomic_load(&filter_counts[slot]) == 0 &&
	       !atomic_compare_exchange_weak(word, &bits, bits & ~slot_bit(slot)))
		;
}

static struct shard *shard_of(uintptr_t pointer)
{
	return &shards[hash_pointer(pointer >> SHARD_SHIFT) >> 56];
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
	size_t slot = filter_slot((uintptr_t)pointer);
	atomic_store(&filter_counts[slot], FILTER_STUCK);
	flag_slot(slot);
}

/* Under the lock. A block the table has no room for is counted as freed: its free
   would not find it. */
static void apply_insert(struct shard *shard, uintptr_t key, struct live_block block,
			 live_count_free_fn *count_free, bool wait)
{
	if (2 * (shard->count + 1) > shard->capacity && !grow(shard)) {
		filter_remove(filter_slot(key));
		count_free(block, wait);
		return;
	}
	struct entry *entry = find(shard->entries, shard->capacity, key);
	struct live_block replaced = entry->pointer ? entry->block : (struct live_block){NULL, 0};
	begin_change(shard);
	if (entry->pointer) {
		store_block(entry, block);
	} else {
		store_entry(entry, (struct entry){key, block});
		add_count(shard, 1);
	}
	end_change(shard);
	if (replaced.site) {
		filter_remove(filter_slot(key));
		count_free(replaced, wait);
	}
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

/* Under the lock. */
static struct live_block apply_remove(struct shard *shard, uintptr_t key)
{
	if (!shard->capacity)
		return (struct live_block){NULL, 0};
	size_t mask = shard->capacity - 1;
	for (size_t index = hash_pointer(key) & mask; shard->entries[index].pointer;
	     index = (index + 1) & mask) {
		if (shard->entries[index].pointer == key) {
			struct live_block block = shard->entries[index].block;
			begin_change(shard);
			delete_at(shard, index);
			end_change(shard);
			filter_remove(filter_slot(key));
			return block;
		}
	}
	return (struct live_block){NULL, 0};
}

static void apply_queued(struct shard *shard, struct queued operation, live_count_free_fn *count_free,
			 bool wait)
{
	if (!operation.pointer)
		return;
	if (operation.block.site) {
		apply_insert(shard, operation.pointer, operation.block, count_free, wait);
		return;
	}
	struct live_block block = apply_remove(shard, operation.pointer);
	if (block.site)
		count_free(block, wait);
}

/* The operation at `position`, once its thread has finished queueing it. An empty
   queue is seen from the shard's own positions, without reading a slot. */
static struct queued *queued_at(struct shard *shard, size_t position)
{
	if (position == atomic_load_explicit(&shard->queue_tail, memory_order_relaxed))
		return NULL;
	size_t index = position % LIVE_QUEUE_SLOTS;
	struct queued *slot = queue_slot(shard, position);
	size_t turn = atomic_load_explicit(&slot->turn, memory_order_acquire) + index;
	return turn == position + 1 ? slot : NULL;
}

/* False when the queue is full. */
static bool enqueue(struct shard *shard, uintptr_t key, struct live_block block)
{
	size_t tail = atomic_load_explicit(&shard->queue_tail, memory_order_relaxed);
	for (;;) {
		size_t index = tail % LIVE_QUEUE_SLOTS;
		struct queued *slot = queue_slot(shard, tail);
		ptrdiff_t ahead =
			(ptrdiff_t)(atomic_load_explicit(&slot->turn, memory_order_acquire) + index - tail);
		if (ahead < 0)
			return false; /* the slot still holds the operation a lap earlier */
		if (ahead > 0) {
			tail = atomic_load_explicit(&shard->queue_tail, memory_order_relaxed);
		} else if (atomic_compare_exchange_weak_explicit(&shard->queue_tail, &tail, tail + 1,
								 memory_order_relaxed,
								 memory_order_relaxed)) {
			slot->pointer = key;
			slot->block = block;
			atomic_store_explicit(&slot->turn, tail + 1 - index, memory_order_release);
			return true;
		}
	}
}

/* Under the lock: applies the queue in order up to an operation still being queued
   (its thread preempted between claiming the slot and filling it). */
static void apply_queue(struct shard *shard, live_count_free_fn *count_free, bool wait)
{
	size_t head = atomic_load_explicit(&shard->queue_head, memory_order_relaxed);
	for (struct queued *slot; (slot = queued_at(shard, head)); head++) {
		struct queued operation = {.pointer = slot->pointer, .block = slot->block};
		atomic_store_explicit(&slot->turn, head + LIVE_QUEUE_SLOTS - head % LIVE_QUEUE_SLOTS,
				      memory_order_release);
		atomic_store_explicit(&shard->queue_head, head + 1, memory_order_relaxed);
		apply_queued(shard, operation, count_free, wait);
	}
}

/* Under the lock, before the caller's own operation on `key`: one queued for the same
   block behind an operation still being queued goes first, out of turn. It came
   first: the block was freed, or handed out, only once it was queued. */
static void apply_queued_for(struct shard *shard, uintptr_t key, live_count_free_fn *count_free, bool wait)
{
	size_t tail = atomic_load_explicit(&shard->queue_tail, memory_order_relaxed);
	for (size_t position = atomic_load_explicit(&shard->queue_head, memory_order_relaxed);
	     position != tail; position++) {
		struct queued *slot = queued_at(shard, position);
		if (slot && slot->pointer == key) {
			struct queued operation = {.pointer = key, .block = slot->block};
			slot->pointer = 0;
			apply_queued(shard, operation, count_free, wait);
		}
	}
}

static bool queue_waiting(struct shard *shard)
{
	return queued_at(shard, atomic_load_explicit(&shard->queue_head, memory_order_relaxed)) != NULL;
}

/* Applies the queue and unlocks; then, should an operation have been queued after
   that, locks again if the lock is free. A thread that queues tries the lock after
   queueing, and the fences order the two tries: one of them sees the other's change. */
static void unlock(struct shard *shard, live_count_free_fn *count_free, bool wait)
{
	do {
		apply_queue(shard, count_free, wait);
		pthread_mutex_unlock(&shard->lock);
		atomic_thread_fence(memory_order_seq_cst);
	} while (queue_waiting(shard) && pthread_mutex_trylock(&shard->lock) == 0);
}

/* The shard locked, else the operation queued (false) while another thread holds the
   lock. Waits only for a full queue, and only when `wait` allows. */
static bool lock_or_enqueue(struct shard *shard, uintptr_t key, struct live_block block,
			    live_count_free_fn *count_free, bool wait, bool *queued)
{
	*queued = false;
	if (pthread_mutex_trylock(&shard->lock) == 0)
		return true;
	if (enqueue(shard, key, block)) {
		*queued = true;
		atomic_thread_fence(memory_order_seq_cst);
		if (pthread_mutex_trylock(&shard->lock) == 0)
			unlock(shard, count_free, wait);
		return false;
	}
	return wait && pthread_mutex_lock(&shard->lock) == 0;
}

void live_insert(const void *pointer, struct live_block block, live_count_free_fn *count_free, bool wait)
{
	uintptr_t key = (uintptr_t)pointer;
	struct shard *shard = shard_of(key);
	bool queued;
	/* Before the block is handed out: its free must find the slot flagged. */
	filter_add(filter_slot(key));
	if (!lock_or_enqueue(shard, key, block, count_free, wait, &queued)) {
		if (!queued) {
			filter_remove(filter_slot(key));
			count_free(block, wait);
		}
		return;
	}
	apply_queue(shard, count_free, wait);
	apply_queued_for(shard, key, count_free, wait);
	apply_insert(shard, key, block, count_free, wait);
	unlock(shard, count_free, wait);
}

struct live_block live_remove(const void *pointer, live_count_free_fn *count_free, bool wait)
{
	uintptr_t key = (uintptr_t)pointer;
	struct shard *shard = shard_of(key);
	bool queued;
	if (!lock_or_enqueue(shard, key, (struct live_block){NULL, 0}, count_free, wait, &queued))
		return (struct live_block){NULL, 0};
	apply_queue(shard, count_free, wait);
	apply_queued_for(shard, key, count_free, wait);
	struct live_block block = apply_remove(shard, key);
	unlock(shard, count_free, wait);
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
   way, so that a thread changing the shard gets ahead. Holding the lock, the copying
   thread applies what was queued meanwhile, as any holder does. */
#define SNAPSHOT_TRIES 64

static live_count_free_fn *copy_count_free;

void live_start(live_count_free_fn *count_free)
{
	copy_count_free = count_free;
}

static void copy_locked(struct shard *shard, struct live_block *blocks, size_t capacity, size_t *count)
{
	pthread_mutex_lock(&shard->lock);
	copy_unlocked(shard, blocks, capacity, count);
	unlock(shard, copy_count_free, true);
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

void live_apply_queued(live_count_free_fn *count_free, bool wait)
{
	/* The unlocks before it, as in unlock(). */
	atomic_thread_fence(memory_order_seq_cst);
	for (unsigned i = 0; i < SHARD_COUNT; i++) {
		if (queue_waiting(&shards[i]) && pthread_mutex_trylock(&shards[i].lock) == 0)
			unlock(&shards[i], count_free, wait);
	}
}

/* A slot claimed by a thread the child does not have is never filled: it is marked
   applied, or every operation queued behind it would wait for good. */
void live_fork_child(void)
{
	for (unsigned i = 0; i < SHARD_COUNT; i++) {
		struct shard *shard = &shards[i];
		size_t tail = atomic_load_explicit(&shard->queue_tail, memory_order_relaxed);
		for (size_t position = atomic_load_explicit(&shard->queue_head, memory_order_relaxed);
		     position != tail; position++) {
			struct queued *slot = queue_slot(shard, position);
			if (queued_at(shard, position))
				continue;
			slot->pointer = 0;
			atomic_store_explicit(&slot->turn, position + 1 - position % LIVE_QUEUE_SLOTS,
					      memory_order_release);
		}
	}
}

#include "record/live.h"

#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "check.h"

#define FILTER_SLOTS ((uintptr_t)1 << LIVE_FILTER_BITS)
/* One block per filter slot. The addresses are keys only, never dereferenced. */
#define BLOCK_SPACING LIVE_SLOT_BYTES

static struct site sites[4];

/* live.c's pointer hash and shard choice (its 64 KiB of address space, hashed, one of
   256 shards), to build keys that collide in one shard on purpose. A change there
   makes these keys collide less, not the test wrong. */
static uint64_t hash_pointer(uintptr_t pointer)
{
	uint64_t hash = pointer * 0x9e3779b97f4a7c15ULL;
	return hash ^ (hash >> 31);
}

static unsigned shard_of(uintptr_t key)
{
	return (unsigned)(hash_pointer(key >> 16) >> 56);
}

/* The frees the table counted through its callback, by site. */
static _Atomic unsigned counted[4];
/* Per thread: the applying thread counts. */
static __thread struct live_block last_counted;

static void count_free(struct live_block block, bool wait)
{
	(void)wait;
	last_counted = block;
	atomic_fetch_add(&counted[block.site - sites], 1);
}

static unsigned all_counted(void)
{
	return counted[0] + counted[1] + counted[2] + counted[3];
}

/* live_insert of a block the table does not hold yet, on a shard no other thread
   holds: nothing is counted as freed. */
static bool insert(const void *pointer, struct site *site)
{
	unsigned before = all_counted();
	live_insert(pointer, (struct live_block){site, 0}, count_free, true);
	return all_counted() == before;
}

static struct live_block remove_block(const void *pointer)
{
	return live_remove(pointer, count_free, true);
}

static void *block(uintptr_t base, size_t index)
{
	return (void *)(base + index * BLOCK_SPACING);
}

static void test_round_trip(void)
{
	void *pointer = (void *)(uintptr_t)0x7f0000001000;
	uint64_t count = live_count();
	CHECK(!live_maybe_sampled(pointer));
	CHECK(remove_block(pointer).site == NULL);
	CHECK(insert(pointer, &sites[0]));
	CHECK_UINT(live_count(), count + 1);
	CHECK(live_maybe_sampled(pointer));
	CHECK(remove_block((char *)pointer + 16).site == NULL);
	CHECK(remove_block(pointer).site == &sites[0]);
	CHECK_UINT(live_count(), count);
	CHECK(!live_maybe_sampled(pointer));
	CHECK(remove_block(pointer).site == NULL);
	CHECK(live_remove(pointer, count_free, false).site == NULL);
}

/* The filter counts: a slot stays set until its last block is removed. */
static void test_shared_filter_slot(void)
{
	char *first = (char *)(uintptr_t)0x7f0000002000, *second = first + 8;
	char *same_slot_far_away = first + FILTER_SLOTS * LIVE_SLOT_BYTES;
	CHECK(insert(first, &sites[0]));
	CHECK(insert(second, &sites[1]));
	CHECK(insert(same_slot_far_away, &sites[2]));
	CHECK(remove_block(second).site == &sites[1]);
	CHECK(live_maybe_sampled(first));
	CHECK(remove_block(same_slot_far_away).site == &sites[2]);
	CHECK(live_maybe_sampled(first));
	CHECK(remove_block(first).site == &sites[0]);
	CHECK(!live_maybe_sampled(first));
}

/* More blocks in one slot than its counter holds: the slot must never read as clear
   while one of them is still live. */
static void test_saturated_filter_slot(void)
{
	const uintptr_t base = 0x7e0000003000;
	const size_t blocks = 300;
	for (size_t i = 0; i < blocks; i++)
		CHECK(insert((void *)(base + i * FILTER_SLOTS * LIVE_SLOT_BYTES), &sites[0]));
	for (size_t i = 0; i + 1 < blocks; i++)
		CHECK(remove_block((void *)(base + i * FILTER_SLOTS * LIVE_SLOT_BYTES)).site == &sites[0]);
	CHECK(live_maybe_sampled((void *)base));
	CHECK(remove_block((void *)(base + (blocks - 1) * FILTER_SLOTS * LIVE_SLOT_BYTES)).site == &sites[0]);
}

/* A flagged slot reads as maybe sampled for good, whatever is inserted and removed. */
static void test_flag_forever(void)
{
	char *flagged = (char *)(uintptr_t)0x7f0000006000;
	CHECK(!live_maybe_sampled(flagged));
	live_flag_forever(flagged);
	CHECK(live_maybe_sampled(flagged));
	CHECK(live_maybe_sampled(flagged + 63));
	CHECK(!live_maybe_sampled(flagged + LIVE_SLOT_BYTES));
	CHECK(insert(flagged + 8, &sites[2]));
	CHECK(remove_block(flagged + 8).site == &sites[2]);
	CHECK(live_maybe_sampled(flagged));
	CHECK(remove_block(flagged).site == NULL);
	CHECK(live_maybe_sampled(flagged));
}

/* Keys of one shard whose home slot in a 64-slot table is `home`. */
static void find_colliding(uintptr_t start, unsigned shard, size_t home, uintptr_t *keys, size_t count)
{
	size_t found = 0;
	for (uintptr_t key = start; found < count; key += 16) {
		uint64_t hash = hash_pointer(key);
		if (shard_of(key) == shard && (hash & 63) == home)
			keys[found++] = key;
	}
}

/* Linear-probing clusters, one wrapping around the table's end: removing from the
   middle must leave every other key reachable. Runs first, while shard 7 is empty
   and has the initial 64 slots. */
static void test_colliding_removals(void)
{
	uintptr_t at_end[5], at_start[3];
	find_colliding(0x100000000, 7, 62, at_end, 5);
	find_colliding(0x200000000, 7, 0, at_start, 3);
	for (size_t i = 0; i < 5; i++) {
		CHECK(insert((void *)at_end[i], &sites[i % 4]));
		if (i < 3)
			CHECK(insert((void *)at_start[i], &sites[3]));
	}
	CHECK(remove_block((void *)at_end[1]).site == &sites[1]);
	CHECK(remove_block((void *)at_start[1]).site == &sites[3]);
	CHECK(remove_block((void *)at_end[2]).site == &sites[2]);
	CHECK(remove_block((void *)at_end[1]).site == NULL);
	CHECK(remove_block((void *)at_end[4]).site == &sites[0]);
	CHECK(remove_block((void *)at_start[2]).site == &sites[3]);
	CHECK(remove_block((void *)at_end[0]).site == &sites[0]);
	CHECK(remove_block((void *)at_start[0]).site == &sites[3]);
	CHECK(remove_block((void *)at_end[3]).site == &sites[3]);
	for (size_t i = 0; i < 5; i++)
		CHECK(remove_block((void *)at_end[i]).site == NULL);
}

static struct site *site_of(size_t index)
{
	return &sites[index % 4];
}

/* A permutation of 0..count-1 from a fixed linear congruential shuffle. */
static void shuffle(size_t *order, size_t count)
{
	uint64_t state = 12345;
	for (size_t i = 0; i < count; i++)
		order[i] = i;
	for (size_t i = count - 1; i > 0; i--) {
		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		size_t j = (size_t)((state >> 33) % (i + 1));
		size_t swap = order[i];
		order[i] = order[j];
		order[j] = swap;
	}
}

static void test_many_blocks(void)
{
	enum { BLOCKS = 100000 };
	static size_t order[BLOCKS];
	/* Filter slots 131072 and up: none shared with the other tests' blocks. */
	const uintptr_t base = 0x10000000000 + ((uintptr_t)131072 << LIVE_SLOT_SHIFT);
	uint64_t count = live_count();
	for (size_t i = 0; i < BLOCKS; i++)
		CHECK(insert(block(base, i), site_of(i)));
	CHECK_UINT(live_count(), count + BLOCKS);
	for (size_t i = 0; i < BLOCKS; i++)
		CHECK(live_maybe_sampled(block(base, i)));

	shuffle(order, BLOCKS);
	for (size_t i = 0; i < BLOCKS / 2; i++)
		CHECK(remove_block(block(base, order[i])).site == site_of(order[i]));
	CHECK_UINT(live_count(), count + BLOCKS / 2);
	for (size_t i = 0; i < BLOCKS / 2; i++) {
		CHECK(remove_block(block(base, order[i])).site == NULL);
		CHECK(!live_maybe_sampled(block(base, order[i])));
		CHECK(live_maybe_sampled(block(base, order[BLOCKS - 1 - i])));
	}
	for (size_t i = BLOCKS / 2; i < BLOCKS; i++)
		CHECK(live_remove(block(base, order[i]), count_free, false).site == site_of(order[i]));
	CHECK_UINT(live_count(), count);
	for (size_t i = 0; i < BLOCKS; i++)
		CHECK(!live_maybe_sampled(block(base, i)));
}

struct removal {
	uintptr_t first;
	size_t count;
	bool wait;
};

static void *remove_blocks(void *argument)
{
	const struct removal *removal = argument;
	for (size_t i = 0; i < removal->count; i++)
		CHECK(live_remove((void *)(removal->first + 64 * i), count_free, removal->wait).site == NULL);
	return NULL;
}

/* Removes blocks on a thread of its own, which must not wait for the locks held here. */
static void remove_on_other_thread(struct removal removal)
{
	pthread_t thread;
	CHECK(pthread_create(&thread, NULL, remove_blocks, &removal) == 0);
	CHECK(pthread_join(thread, NULL) == 0);
}

/* While another thread holds a shard's lock, a removal does not wait for it: it is
   queued, and applied, its free counted, once the queue is applied. A removal that
   may not wait (a signal handler's) and finds the queue full leaves its entry: the
   block is counted as freed when its address is inserted again. */
static void test_queued_while_locked(void)
{
	enum { BLOCKS = LIVE_QUEUE_SLOTS + 2 };
	const uintptr_t first = 0x7f0000240000; /* 64 KiB: one shard */
	uint64_t count = live_count();
	for (size_t i = 0; i < BLOCKS; i++)
		CHECK(insert((void *)(first + 64 * i), &sites[1]));
	unsigned before = counted[1];
	live_lock_all();
	remove_on_other_thread((struct removal){first, BLOCKS, false});
	remove_on_other_thread((struct removal){0x7f0000300000, 1, true}); /* not sampled */
	CHECK_UINT(live_count(), count + BLOCKS);
	CHECK(live_maybe_sampled((void *)first));
	CHECK_UINT(counted[1], before);
	live_unlock_all();
	live_apply_queued(count_free, true);
	CHECK_UINT(counted[1], before + LIVE_QUEUE_SLOTS);
	CHECK_UINT(live_count(), count + BLOCKS - LIVE_QUEUE_SLOTS);
	CHECK(!live_maybe_sampled((void *)first));
	for (size_t i = LIVE_QUEUE_SLOTS; i < BLOCKS; i++) {
		void *pointer = (void *)(first + 64 * i);
		CHECK(live_maybe_sampled(pointer));
		CHECK(!insert(pointer, &sites[2]));
		CHECK(last_counted.site == &sites[1]);
		CHECK(remove_block(pointer).site == &sites[2]);
	}
	CHECK(!live_maybe_sampled((void *)(first + 64 * LIVE_QUEUE_SLOTS)));
	CHECK_UINT(live_count(), count);
}

/* Slots share a word of the filter: setting and clearing one leaves its
   neighbours as they were. */
static void test_neighbouring_slots(void)
{
	uintptr_t base = (uintptr_t)0x7f0000010000;
	for (size_t i = 0; i < 64; i += 2)
		CHECK(insert(block(base, i), &sites[0]));
	for (size_t i = 0; i < 64; i++)
		CHECK(live_maybe_sampled(block(base, i)) == (i % 2 == 0));
	for (size_t i = 0; i < 64; i += 4)
		CHECK(remove_block(block(base, i)).site == &sites[0]);
	for (size_t i = 0; i < 64; i++)
		CHECK(live_maybe_sampled(block(base, i)) == (i % 4 == 2));
	for (size_t i = 2; i < 64; i += 4)
		CHECK(remove_block(block(base, i)).site == &sites[0]);
	for (size_t i = 0; i < 64; i++)
		CHECK(!live_maybe_sampled(block(base, i)));
}

/* An address inserted again before its entry was removed (its free could not wait
   for the lock): the entry now names the new site, the old site is handed back for
   its free to be counted, and one removal leaves nothing behind. */
static void test_address_given_out_again(void)
{
	void *pointer = (void *)(uintptr_t)0x7f0000030000;
	uint64_t count = live_count();
	CHECK(insert(pointer, &sites[0]));
	CHECK(!insert(pointer, &sites[1]));
	CHECK(last_counted.site == &sites[0]);
	CHECK_UINT(live_count(), count + 1);
	CHECK(remove_block(pointer).site == &sites[1]);
	CHECK(!live_maybe_sampled(pointer));
	CHECK(remove_block(pointer).site == NULL);
	CHECK_UINT(live_count(), count);
}

/* A block keeps its birth time, returned on removal and in a copy of the table, which
   reports how many blocks there are when they do not fit. */
static void test_birth_and_snapshot(void)
{
	char *base = (char *)(uintptr_t)0x7f0000040000;
	uint64_t count = live_count();
	for (int i = 0; i < 3; i++)
		live_insert(base + 64 * i, (struct live_block){&sites[i], 1000 + (uint64_t)i}, count_free,
			    true);
	struct live_block blocks[8];
	CHECK_UINT(live_snapshot(blocks, 8), count + 3);
	CHECK_UINT(live_snapshot(blocks, 1), count + 3);
	CHECK_UINT(live_snapshot(blocks, 3), count + 3);
	uint64_t births = 0;
	for (int i = 0; i < 3; i++) {
		CHECK(blocks[i].site == &sites[blocks[i].born - 1000]);
		births += blocks[i].born;
	}
	CHECK_UINT(births, 3003);
	live_insert(base, (struct live_block){&sites[3], 2000}, count_free, true);
	CHECK(last_counted.site == &sites[0] && last_counted.born == 1000);
	struct live_block removed = remove_block(base + 64);
	CHECK(removed.site == &sites[1] && removed.born == 1001);
	CHECK_UINT(remove_block(base).born, 2000);
	CHECK_UINT(remove_block(base + 128).born, 1002);
	CHECK_UINT(live_count(), count);
}

#define CHURN_ROUNDS 200000

struct churn {
	uintptr_t pointer;
	_Atomic bool stop;
};

static void *churn_slot(void *argument)
{
	struct churn *churn = argument;
	while (!atomic_load(&churn->stop)) {
		CHECK(insert((void *)churn->pointer, &sites[2]));
		CHECK(remove_block((void *)churn->pointer).site == &sites[2]);
	}
	return NULL;
}

/* While other threads insert and remove blocks of the same filter slot in other shards,
   without a lock in common, a block that is live must never read as unsampled: a bit
   cleared from a stale count would lose its free. The window is narrow; a clear that
   does not check the word's count of changes fails here within a few runs. */
static void test_slot_churn_keeps_live_block_visible(void)
{
	uintptr_t mine = 0x7f0000020000;
	struct churn churns[2] = {{mine + FILTER_SLOTS * LIVE_SLOT_BYTES, false},
				  {mine + 2 * FILTER_SLOTS * LIVE_SLOT_BYTES, false}};
	CHECK(shard_of(mine) != shard_of(churns[0].pointer) &&
	      shard_of(mine) != shard_of(churns[1].pointer) &&
	      shard_of(churns[0].pointer) != shard_of(churns[1].pointer));
	pthread_t threads[2];
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&threads[i], NULL, churn_slot, &churns[i]) == 0);
	for (int round = 0; round < CHURN_ROUNDS; round++) {
		CHECK(insert((void *)mine, &sites[3]));
		CHECK(live_maybe_sampled((void *)mine));
		CHECK(remove_block((void *)mine).site == &sites[3]);
	}
	for (int i = 0; i < 2; i++) {
		atomic_store(&churns[i].stop, true);
		CHECK(pthread_join(threads[i], NULL) == 0);
	}
	CHECK(!live_maybe_sampled((void *)mine));
}

#define STABLE_BLOCKS 2000
#define CHANGING_BLOCKS 6000
#define SNAPSHOTS 300
#define CHANGING_BORN 1000000

/* Inserts and removes enough blocks from `pointer` on to grow shards and shift entries
   in them. */
static void *change_blocks(void *argument)
{
	struct churn *changer = argument;
	while (!atomic_load(&changer->stop)) {
		for (uint64_t i = 0; i < CHANGING_BLOCKS; i++)
			live_insert((void *)(changer->pointer + i * 96),
				    (struct live_block){&sites[1], CHANGING_BORN + i}, count_free, true);
		/* NULL when queued behind a snapshot that took the lock. */
		for (uint64_t i = 0; i < CHANGING_BLOCKS; i++) {
			struct site *site = remove_block((void *)(changer->pointer + i * 96)).site;
			CHECK(site == &sites[1] || site == NULL);
		}
	}
	return NULL;
}

/* Each block seen once, whatever the samples do to the shards meanwhile: a snapshot
   copies a shard without its lock and again when the shard changed. The count, read
   without the locks too, is within what the table can hold meanwhile. Under
   ThreadSanitizer (scripts/test.sh), every write a snapshot or the count may meet
   must be atomic. */
static void check_snapshot(struct live_block *blocks, size_t capacity)
{
	static bool seen[STABLE_BLOCKS];
	memset(seen, 0, sizeof seen);
	size_t count = live_snapshot(blocks, capacity);
	CHECK(count <= capacity);
	size_t stable = 0;
	for (size_t i = 0; i < count; i++) {
		if (blocks[i].site == &sites[0]) {
			CHECK(blocks[i].born < STABLE_BLOCKS && !seen[blocks[i].born]);
			seen[blocks[i].born] = true;
			stable++;
		} else {
			CHECK(blocks[i].site == &sites[1]);
			CHECK(blocks[i].born >= CHANGING_BORN &&
			      blocks[i].born < CHANGING_BORN + CHANGING_BLOCKS);
		}
	}
	CHECK_UINT(stable, STABLE_BLOCKS);
	uint64_t live = live_count();
	CHECK(live >= STABLE_BLOCKS && live <= STABLE_BLOCKS + 2 * CHANGING_BLOCKS);
}

static void test_snapshot_while_changing(void)
{
	uintptr_t stable_base = 0x7f1000000000;
	for (uint64_t i = 0; i < STABLE_BLOCKS; i++)
		live_insert((void *)(stable_base + i * 80), (struct live_block){&sites[0], i}, count_free,
			    true);
	struct churn changers[2] = {{0x7f2000000000, false}, {0x7f3000000000, false}};
	pthread_t threads[2];
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&threads[i], NULL, change_blocks, &changers[i]) == 0);
	enum { CAPACITY = STABLE_BLOCKS + 2 * CHANGING_BLOCKS + 16 };
	static struct live_block blocks[CAPACITY];
	for (int i = 0; i < SNAPSHOTS; i++)
		check_snapshot(blocks, CAPACITY);
	for (int i = 0; i < 2; i++) {
		atomic_store(&changers[i].stop, true);
		CHECK(pthread_join(threads[i], NULL) == 0);
	}
	for (uint64_t i = 0; i < STABLE_BLOCKS; i++)
		CHECK(remove_block((void *)(stable_base + i * 80)).born == i);
}

#define CONTENDERS 4
#define CONTENDED_BLOCKS 8
#define CONTENDED_ROUNDS 3000

static _Atomic unsigned returned_frees;
static _Atomic bool stop_locking;

/* Inserts and removes its blocks, all in one shard with the other contenders'. */
static void *contend(void *argument)
{
	uintptr_t first = (uintptr_t)argument;
	for (unsigned round = 0; round < CONTENDED_ROUNDS; round++) {
		for (uintptr_t i = 0; i < CONTENDED_BLOCKS; i++)
			live_insert((void *)(first + 64 * i), (struct live_block){&sites[3], round},
				    count_free, true);
		for (uintptr_t i = 0; i < CONTENDED_BLOCKS; i++) {
			struct site *site = remove_block((void *)(first + 64 * i)).site;
			CHECK(site == &sites[3] || site == NULL);
			if (site)
				atomic_fetch_add(&returned_frees, 1);
		}
	}
	return NULL;
}

/* Holds every lock now and then, as a fork does, so that the contenders queue, fill
   the queue and wait for it. */
static void *lock_now_and_then(void *unused)
{
	(void)unused;
	while (!atomic_load(&stop_locking)) {
		live_lock_all();
		sched_yield();
		live_unlock_all();
		live_apply_queued(count_free, true);
	}
	return NULL;
}

/* Threads inserting and removing blocks of one shard, queueing behind each other and
   behind a thread that holds the locks: each block's free is counted exactly once,
   returned or through the callback, and nothing is left behind, in the queue, the
   table or the filter. A removal applied before the insertion queued ahead of it would leave the
   block in the table. */
static void test_contended_shard(void)
{
	const uintptr_t base = 0x7f0000280000; /* 64 KiB: one shard */
	uint64_t count = live_count();
	unsigned before = counted[3];
	pthread_t locker, threads[CONTENDERS];
	CHECK(pthread_create(&locker, NULL, lock_now_and_then, NULL) == 0);
	for (uintptr_t i = 0; i < CONTENDERS; i++)
		CHECK(pthread_create(&threads[i], NULL, contend,
				     (void *)(base + i * 64 * CONTENDED_BLOCKS)) == 0);
	for (int i = 0; i < CONTENDERS; i++)
		CHECK(pthread_join(threads[i], NULL) == 0);
	atomic_store(&stop_locking, true);
	CHECK(pthread_join(locker, NULL) == 0);
	/* Nothing is applied here: whoever held a lock last applied what was queued. */
	CHECK_UINT(counted[3] - before + returned_frees, CONTENDERS * CONTENDED_BLOCKS * CONTENDED_ROUNDS);
	CHECK_UINT(live_count(), count);
	for (uintptr_t i = 0; i < CONTENDERS * CONTENDED_BLOCKS; i++)
		CHECK(!live_maybe_sampled((void *)(base + 64 * i)));
}

int main(void)
{
	live_start(count_free);
	CHECK_UINT(live_count(), 0);
	test_colliding_removals();
	test_round_trip();
	test_shared_filter_slot();
	test_saturated_filter_slot();
	test_flag_forever();
	test_many_blocks();
	test_queued_while_locked();
	test_neighbouring_slots();
	test_address_given_out_again();
	test_birth_and_snapshot();
	test_slot_churn_keeps_live_block_visible();
	test_snapshot_while_changing();
	test_contended_shard();
	CHECK_UINT(live_count(), 0);
	return 0;
}

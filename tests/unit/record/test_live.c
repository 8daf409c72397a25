#include "record/live.h"

#include <pthread.h>
#include <string.h>

#include "check.h"

#define FILTER_SLOTS ((uintptr_t)1 << LIVE_FILTER_BITS)
/* One block per filter slot. The addresses are keys only, never dereferenced. */
#define BLOCK_SPACING LIVE_SLOT_BYTES

static struct site sites[4];

/* live.c's pointer hash and shard choice (by filter word: 64 slots of addresses, 256
   shards), to build keys that collide in one shard on purpose. A change there makes
   these keys collide less, not the test wrong. */
static uint64_t hash_pointer(uintptr_t pointer)
{
	uint64_t hash = pointer * 0x9e3779b97f4a7c15ULL;
	return hash ^ (hash >> 31);
}

/* live_insert of a block the table does not hold yet. */
static bool insert(const void *pointer, struct site *site)
{
	struct live_block replaced;
	bool inserted = live_insert(pointer, (struct live_block){site, 0}, &replaced);
	CHECK(!replaced.site);
	return inserted;
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
	CHECK(live_remove(pointer, true).site == NULL);
	CHECK(insert(pointer, &sites[0]));
	CHECK_UINT(live_count(), count + 1);
	CHECK(live_maybe_sampled(pointer));
	CHECK(live_remove((char *)pointer + 16, true).site == NULL);
	CHECK(live_remove(pointer, true).site == &sites[0]);
	CHECK_UINT(live_count(), count);
	CHECK(!live_maybe_sampled(pointer));
	CHECK(live_remove(pointer, true).site == NULL);
	CHECK(live_remove(pointer, false).site == NULL);
}

/* The filter counts: a slot stays set until its last block is removed. */
static void test_shared_filter_slot(void)
{
	char *first = (char *)(uintptr_t)0x7f0000002000, *second = first + 8;
	char *same_slot_far_away = first + FILTER_SLOTS * LIVE_SLOT_BYTES;
	CHECK(insert(first, &sites[0]));
	CHECK(insert(second, &sites[1]));
	CHECK(insert(same_slot_far_away, &sites[2]));
	CHECK(live_remove(second, true).site == &sites[1]);
	CHECK(live_maybe_sampled(first));
	CHECK(live_remove(same_slot_far_away, true).site == &sites[2]);
	CHECK(live_maybe_sampled(first));
	CHECK(live_remove(first, true).site == &sites[0]);
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
		CHECK(live_remove((void *)(base + i * FILTER_SLOTS * LIVE_SLOT_BYTES), true).site ==
		      &sites[0]);
	CHECK(live_maybe_sampled((void *)base));
	CHECK(live_remove((void *)(base + (blocks - 1) * FILTER_SLOTS * LIVE_SLOT_BYTES), true).site ==
	      &sites[0]);
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
	CHECK(live_remove(flagged + 8, true).site == &sites[2]);
	CHECK(live_maybe_sampled(flagged));
	CHECK(live_remove(flagged, true).site == NULL);
	CHECK(live_maybe_sampled(flagged));
}

/* Keys of one shard whose home slot in a 64-slot table is `home`. */
static void find_colliding(uintptr_t start, unsigned shard, size_t home, uintptr_t *keys, size_t count)
{
	size_t found = 0;
	for (uintptr_t key = start; found < count; key += 16) {
		uint64_t hash = hash_pointer(key);
		if ((key >> (LIVE_SLOT_SHIFT + 6)) % 256 == shard && (hash & 63) == home)
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
	CHECK(live_remove((void *)at_end[1], true).site == &sites[1]);
	CHECK(live_remove((void *)at_start[1], true).site == &sites[3]);
	CHECK(live_remove((void *)at_end[2], true).site == &sites[2]);
	CHECK(live_remove((void *)at_end[1], true).site == NULL);
	CHECK(live_remove((void *)at_end[4], true).site == &sites[0]);
	CHECK(live_remove((void *)at_start[2], true).site == &sites[3]);
	CHECK(live_remove((void *)at_end[0], true).site == &sites[0]);
	CHECK(live_remove((void *)at_start[0], true).site == &sites[3]);
	CHECK(live_remove((void *)at_end[3], true).site == &sites[3]);
	for (size_t i = 0; i < 5; i++)
		CHECK(live_remove((void *)at_end[i], true).site == NULL);
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
		CHECK(live_remove(block(base, order[i]), true).site == site_of(order[i]));
	CHECK_UINT(live_count(), count + BLOCKS / 2);
	for (size_t i = 0; i < BLOCKS / 2; i++) {
		CHECK(live_remove(block(base, order[i]), true).site == NULL);
		CHECK(!live_maybe_sampled(block(base, order[i])));
		CHECK(live_maybe_sampled(block(base, order[BLOCKS - 1 - i])));
	}
	for (size_t i = BLOCKS / 2; i < BLOCKS; i++)
		CHECK(live_remove(block(base, order[i]), false).site == site_of(order[i]));
	CHECK_UINT(live_count(), count);
	for (size_t i = 0; i < BLOCKS; i++)
		CHECK(!live_maybe_sampled(block(base, i)));
}

static void *remove_without_waiting(void *pointer)
{
	return live_remove(pointer, false).site;
}

static struct site *remove_on_other_thread(void *pointer)
{
	pthread_t thread;
	void *result;
	CHECK(pthread_create(&thread, NULL, remove_without_waiting, pointer) == 0);
	CHECK(pthread_join(thread, &result) == 0);
	return result;
}

static void test_busy_when_locked(void)
{
	void *pointer = (void *)(uintptr_t)0x7f0000004000;
	CHECK(insert(pointer, &sites[1]));
	live_lock_all();
	CHECK(remove_on_other_thread(pointer) == LIVE_BUSY);
	CHECK(remove_on_other_thread((void *)(uintptr_t)0x7f0000005000) == LIVE_BUSY);
	live_unlock_all();
	CHECK(live_maybe_sampled(pointer));
	CHECK(remove_on_other_thread(pointer) == &sites[1]);
	CHECK(!live_maybe_sampled(pointer));
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
		CHECK(live_remove(block(base, i), true).site == &sites[0]);
	for (size_t i = 0; i < 64; i++)
		CHECK(live_maybe_sampled(block(base, i)) == (i % 4 == 2));
	for (size_t i = 2; i < 64; i += 4)
		CHECK(live_remove(block(base, i), true).site == &sites[0]);
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
	struct live_block replaced;
	CHECK(live_insert(pointer, (struct live_block){&sites[1], 0}, &replaced));
	CHECK(replaced.site == &sites[0]);
	CHECK_UINT(live_count(), count + 1);
	CHECK(live_remove(pointer, true).site == &sites[1]);
	CHECK(!live_maybe_sampled(pointer));
	CHECK(live_remove(pointer, true).site == NULL);
	CHECK_UINT(live_count(), count);
}

/* A block keeps its birth time, returned on removal and in a copy of the table, which
   reports how many blocks there are when they do not fit. */
static void test_birth_and_snapshot(void)
{
	char *base = (char *)(uintptr_t)0x7f0000040000;
	uint64_t count = live_count();
	struct live_block replaced;
	for (int i = 0; i < 3; i++)
		CHECK(live_insert(base + 64 * i, (struct live_block){&sites[i], 1000 + (uint64_t)i},
				  &replaced));
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
	CHECK(live_insert(base, (struct live_block){&sites[3], 2000}, &replaced));
	CHECK(replaced.site == &sites[0] && replaced.born == 1000);
	struct live_block removed = live_remove(base + 64, true);
	CHECK(removed.site == &sites[1] && removed.born == 1001);
	CHECK_UINT(live_remove(base, true).born, 2000);
	CHECK_UINT(live_remove(base + 128, true).born, 1002);
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
		CHECK(live_remove((void *)churn->pointer, true).site == &sites[2]);
	}
	return NULL;
}

/* While other threads insert and remove blocks of the same slot, a block that is
   live must never read as unsampled: a bit cleared from a stale count would lose
   its free. The window is narrow; the TSan run of this test reports the unlocked
   count that would open it. */
static void test_slot_churn_keeps_live_block_visible(void)
{
	uintptr_t mine = 0x7f0000020000;
	struct churn churns[2] = {{mine + FILTER_SLOTS * LIVE_SLOT_BYTES, false},
				  {mine + 2 * FILTER_SLOTS * LIVE_SLOT_BYTES, false}};
	pthread_t threads[2];
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&threads[i], NULL, churn_slot, &churns[i]) == 0);
	for (int round = 0; round < CHURN_ROUNDS; round++) {
		CHECK(insert((void *)mine, &sites[3]));
		CHECK(live_maybe_sampled((void *)mine));
		CHECK(live_remove((void *)mine, true).site == &sites[3]);
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
	struct live_block replaced;
	while (!atomic_load(&changer->stop)) {
		for (uint64_t i = 0; i < CHANGING_BLOCKS; i++)
			CHECK(live_insert((void *)(changer->pointer + i * 96),
					  (struct live_block){&sites[1], CHANGING_BORN + i}, &replaced));
		for (uint64_t i = 0; i < CHANGING_BLOCKS; i++)
			CHECK(live_remove((void *)(changer->pointer + i * 96), true).site == &sites[1]);
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
	struct live_block replaced;
	for (uint64_t i = 0; i < STABLE_BLOCKS; i++)
		CHECK(live_insert((void *)(stable_base + i * 80), (struct live_block){&sites[0], i},
				  &replaced));
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
		CHECK(live_remove((void *)(stable_base + i * 80), true).born == i);
}

int main(void)
{
	CHECK_UINT(live_count(), 0);
	test_colliding_removals();
	test_round_trip();
	test_shared_filter_slot();
	test_saturated_filter_slot();
	test_flag_forever();
	test_many_blocks();
	test_busy_when_locked();
	test_neighbouring_slots();
	test_address_given_out_again();
	test_birth_and_snapshot();
	test_slot_churn_keeps_live_block_visible();
	test_snapshot_while_changing();
	CHECK_UINT(live_count(), 0);
	return 0;
}

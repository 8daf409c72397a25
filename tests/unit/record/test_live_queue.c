/* The live table's queue and filter at the moments that matter, which no amount of
   contention reaches reliably: a slot claimed and not yet filled, a holder about to
   unlock, a queuing thread between its failed try and its queueing, a removal about to
   clear a filter bit. live.c is included here so that its shards can be reached, with
   its trylock and unlock calls, and its loads and compare-and-swaps of the filter,
   routed through hooks that stop a thread at a chosen call until the test lets it go. */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include "check.h"

static int hooked_trylock(pthread_mutex_t *mutex);
static int hooked_unlock(pthread_mutex_t *mutex);
static void hooked_access(const volatile void *object);
#define pthread_mutex_trylock hooked_trylock
#define pthread_mutex_unlock hooked_unlock
#undef atomic_load
#undef atomic_compare_exchange_weak
#define atomic_load(object) (hooked_access(object), atomic_load_explicit(object, memory_order_seq_cst))
#define atomic_compare_exchange_weak(object, expected, desired)                                 \
	(hooked_access(object),                                                                 \
	 atomic_compare_exchange_weak_explicit(object, expected, desired, memory_order_seq_cst, \
					       memory_order_seq_cst))
#include "record/live.c"
#undef pthread_mutex_trylock
#undef pthread_mutex_unlock

/* A stop: the next call of its kind on `object` (by `thread`, if set) posts `reached`
   and waits for `resume`. */
struct stop {
	const volatile void *_Atomic object;
	_Atomic bool any_thread;
	_Atomic pthread_t thread;
	sem_t reached, resume;
};

/* Two threads may stop at the filter word at once, each at a stop of its own. */
static struct stop before_unlock, after_failed_try, remover_at_word, inserter_at_word;

static void stop_if_armed(struct stop *stop, const volatile void *object)
{
	const volatile void *armed = object;
	if (!atomic_load_explicit(&stop->any_thread, memory_order_acquire) &&
	    !pthread_equal(atomic_load_explicit(&stop->thread, memory_order_acquire), pthread_self()))
		return;
	if (atomic_compare_exchange_strong_explicit(&stop->object, &armed, NULL, memory_order_seq_cst,
						    memory_order_relaxed)) {
		sem_post(&stop->reached);
		while (sem_wait(&stop->resume) != 0)
			;
	}
}

static void hooked_access(const volatile void *object)
{
	stop_if_armed(&remover_at_word, object);
	stop_if_armed(&inserter_at_word, object);
}

static int hooked_trylock(pthread_mutex_t *mutex)
{
	int result = pthread_mutex_trylock(mutex);
	if (result != 0)
		stop_if_armed(&after_failed_try, mutex);
	return result;
}

static int hooked_unlock(pthread_mutex_t *mutex)
{
	stop_if_armed(&before_unlock, mutex);
	return pthread_mutex_unlock(mutex);
}

static void arm(struct stop *stop, struct shard *shard)
{
	atomic_store_explicit(&stop->any_thread, true, memory_order_release);
	atomic_store_explicit(&stop->object, &shard->lock, memory_order_release);
}

static void arm_for(struct stop *stop, pthread_t thread, const volatile void *object)
{
	atomic_store_explicit(&stop->any_thread, false, memory_order_release);
	atomic_store_explicit(&stop->thread, thread, memory_order_release);
	atomic_store_explicit(&stop->object, object, memory_order_release);
}

static void wait_reached(struct stop *stop)
{
	while (sem_wait(&stop->reached) != 0)
		;
}

static struct site sites[3];
static _Atomic unsigned counted;

static void count_free(struct live_block block, bool wait)
{
	(void)block;
	(void)wait;
	atomic_fetch_add(&counted, 1);
}

static void *remove_block(void *pointer)
{
	return live_remove(pointer, count_free, true).site;
}

static void on_other_thread(void *(*run)(void *), void *argument)
{
	pthread_t thread;
	CHECK(pthread_create(&thread, NULL, run, argument) == 0);
	CHECK(pthread_join(thread, NULL) == 0);
}

static void insert(uintptr_t pointer, struct site *site)
{
	live_insert((void *)pointer, (struct live_block){site, 0}, count_free, true);
}

/* A slot claimed by a thread preempted before it fills it: the position is taken, the
   turn not given. Returns the position. */
static size_t claim_slot(struct shard *shard)
{
	return atomic_fetch_add(&shard->queue_tail, 1);
}

static void fill_slot(struct shard *shard, size_t position, uintptr_t pointer)
{
	struct queued *slot = queue_slot(shard, position);
	slot->pointer = pointer;
	slot->block = (struct live_block){NULL, 0};
	atomic_store_explicit(&slot->turn, position + 1 - position % LIVE_QUEUE_SLOTS, memory_order_release);
}

/* A block's removal queued behind a slot still being filled, then the address handed
   out again and sampled: the sample applies the removal first, out of turn, or the
   removal, applied later in turn, would take the new block's entry. */
static void test_out_of_turn(void)
{
	const uintptr_t pointer = 0x7f5600000080;
	struct shard *shard = shard_of(pointer);
	insert(pointer, &sites[0]);
	unsigned before = counted;
	pthread_mutex_lock(&shard->lock);
	size_t unfilled = claim_slot(shard);
	on_other_thread(remove_block, (void *)pointer);
	pthread_mutex_unlock(&shard->lock);
	CHECK_UINT(counted, before);
	insert(pointer, &sites[2]);
	CHECK_UINT(counted, before + 1);
	fill_slot(shard, unfilled, pointer + 32);
	live_apply_queued(count_free, true);
	CHECK(live_maybe_sampled((void *)pointer));
	CHECK(remove_block((void *)pointer) == &sites[2]);
	CHECK_UINT(counted, before + 1);
	CHECK(!live_maybe_sampled((void *)pointer));
}

static void *insert_first_site(void *pointer)
{
	insert((uintptr_t)pointer, &sites[1]);
	return NULL;
}

/* An insertion queued while a fork held the lock, left queued by the fork's unlock: it
   is flagged in the filter before the allocation returns, and a removal that takes the
   lock applies it before its own. */
static void test_remove_after_queued_insert(void)
{
	const uintptr_t pointer = 0x7f57000000c0;
	struct shard *shard = shard_of(pointer);
	uint64_t live = live_count();
	pthread_mutex_lock(&shard->lock);
	on_other_thread(insert_first_site, (void *)pointer);
	CHECK(live_maybe_sampled((void *)pointer));
	pthread_mutex_unlock(&shard->lock);
	CHECK(remove_block((void *)pointer) == &sites[1]);
	CHECK_UINT(live_count(), live);
	CHECK(!live_maybe_sampled((void *)pointer));
}

static void *fill_queue(void *first)
{
	for (uintptr_t i = 1; i <= LIVE_QUEUE_SLOTS; i++)
		CHECK(live_remove((char *)first + 16 * i, count_free, false).site == NULL);
	return NULL;
}

static void *insert_without_waiting(void *pointer)
{
	live_insert(pointer, (struct live_block){&sites[2], 0}, count_free, false);
	return NULL;
}

/* An insertion that may not wait, with the queue full: its block is counted as freed
   at once, and its slot is not left flagged. */
static void test_insertion_dropped(void)
{
	const uintptr_t pointer = 0x7f5800000100;
	struct shard *shard = shard_of(pointer);
	unsigned before = counted;
	pthread_mutex_lock(&shard->lock);
	on_other_thread(fill_queue, (void *)pointer);
	on_other_thread(insert_without_waiting, (void *)pointer);
	CHECK_UINT(counted, before + 1);
	pthread_mutex_unlock(&shard->lock);
	live_apply_queued(count_free, true);
	CHECK_UINT(counted, before + 1);
	CHECK(!live_maybe_sampled((void *)pointer));
}

static void *remove_other(void *pointer)
{
	remove_block(pointer);
	return NULL;
}

/* A removal queued after the holder applied the queue, while it still holds the lock
   (the queuing thread's second try fails too): the holder looks again once unlocked. */
static void test_holder_looks_again(void)
{
	const uintptr_t pointer = 0x7f5a00000080, holders = 0x7f5a00000040;
	struct shard *shard = shard_of(pointer);
	insert(pointer, &sites[0]);
	unsigned before = counted;
	arm(&before_unlock, shard);
	pthread_t holder;
	CHECK(pthread_create(&holder, NULL, remove_other, (void *)holders) == 0);
	wait_reached(&before_unlock);
	on_other_thread(remove_block, (void *)pointer);
	CHECK_UINT(counted, before);
	sem_post(&before_unlock.resume);
	CHECK(pthread_join(holder, NULL) == 0);
	CHECK_UINT(counted, before + 1);
	CHECK(!live_maybe_sampled((void *)pointer));
}

/* The holder unlocks between a thread's failed try and its queueing, and finds nothing
   queued: the queuing thread tries the lock again and applies its own removal. */
static void test_queuer_tries_again(void)
{
	const uintptr_t pointer = 0x7f5b00000080;
	struct shard *shard = shard_of(pointer);
	insert(pointer, &sites[0]);
	unsigned before = counted;
	pthread_mutex_lock(&shard->lock);
	arm(&after_failed_try, shard);
	pthread_t queuer;
	CHECK(pthread_create(&queuer, NULL, remove_other, (void *)pointer) == 0);
	wait_reached(&after_failed_try);
	unlock(shard, count_free, true);
	sem_post(&after_failed_try.resume);
	CHECK(pthread_join(queuer, NULL) == 0);
	CHECK_UINT(counted, before + 1);
	CHECK(!live_maybe_sampled((void *)pointer));
}

/* In a fork's child, a slot a thread of the parent had claimed is never filled: the
   child marks it applied, and what was queued behind it is applied. */
static void test_fork_child_skips_unfilled(void)
{
	const uintptr_t pointer = 0x7f5c00000080;
	struct shard *shard = shard_of(pointer);
	insert(pointer, &sites[0]);
	unsigned before = counted;
	live_lock_all();
	claim_slot(shard);
	on_other_thread(remove_block, (void *)pointer);
	live_fork_child();
	live_unlock_all();
	live_apply_queued(count_free, true);
	CHECK_UINT(counted, before + 1);
	CHECK(!live_maybe_sampled((void *)pointer));
	CHECK(!queue_waiting(shard));
}

static void *take_snapshot(void *unused)
{
	(void)unused;
	static struct live_block blocks[64];
	return (void *)(uintptr_t)live_snapshot(blocks, 64);
}

/* A shard that changes on every try is copied under its lock; a free queued while the
   copying thread holds it is applied, and counted, by that thread. */
static void test_locked_copy_applies_queue(void)
{
	const uintptr_t pointer = 0x7f5d00000080;
	struct shard *shard = shard_of(pointer);
	insert(pointer, &sites[0]);
	unsigned before = counted;
	unsigned sequence = atomic_load(&shard->sequence);
	atomic_store(&shard->sequence, sequence | 1); /* a change forever under way */
	arm(&before_unlock, shard);
	pthread_t copier;
	CHECK(pthread_create(&copier, NULL, take_snapshot, NULL) == 0);
	wait_reached(&before_unlock);
	atomic_store(&shard->sequence, sequence);
	on_other_thread(remove_block, (void *)pointer);
	CHECK_UINT(counted, before);
	sem_post(&before_unlock.resume);
	CHECK(pthread_join(copier, NULL) == 0);
	CHECK_UINT(counted, before + 1);
	CHECK(!live_maybe_sampled((void *)pointer));
}

/* A word's count of changes wraps within its half, never into the slots' bits: the
   upper half of an even word, the lower half of an odd one. */
static void test_change_count_wraps(void)
{
	const uintptr_t base = 0x7f5f00000000;
	for (uintptr_t odd = 0; odd < 2; odd++) {
		const uintptr_t pointer = base + odd * LIVE_WORD_SLOTS * LIVE_SLOT_BYTES;
		size_t slot = filter_slot(pointer);
		CHECK((slot / LIVE_WORD_SLOTS) % 2 == odd);
		_Atomic uint64_t *word = filter_word(slot);
		atomic_store(word, change_half(slot)); /* the count at its largest, no bit set */
		insert(pointer, &sites[0]);
		CHECK(atomic_load(word) == slot_bit(slot));
		CHECK(live_maybe_sampled((void *)pointer));
		CHECK(remove_block((void *)pointer) == &sites[0]);
		CHECK(atomic_load(word) == 0);
	}
}

static sem_t start_removal, start_insertion;

static void *free_when_told(void *pointer)
{
	while (sem_wait(&start_removal) != 0)
		;
	if (live_maybe_sampled(pointer))
		remove_block(pointer);
	return NULL;
}

static void *insert_when_told(void *pointer)
{
	while (sem_wait(&start_insertion) != 0)
		;
	insert((uintptr_t)pointer, &sites[1]);
	return NULL;
}

/* Three blocks of one slot: a removal takes the count to zero and is about to clear
   the bit; a new block takes the count from zero and has yet to flag the slot; a second
   new block is counted in above zero. The second must flag the slot too, or the clear
   succeeds and the block is invisible to free, which then takes the fast path. */
static void test_clear_races_new_blocks(void)
{
	const uintptr_t old = 0x7f6000000000, first = old + 64, second = old + 128;
	_Atomic uint64_t *word = filter_word(filter_slot(old));
	uint64_t live = live_count();
	insert(old, &sites[0]);
	pthread_t remover, inserter;
	CHECK(pthread_create(&remover, NULL, free_when_told, (void *)old) == 0);
	CHECK(pthread_create(&inserter, NULL, insert_when_told, (void *)first) == 0);
	/* The removal stops at its compare-and-swap: its second access of the word. */
	arm_for(&remover_at_word, remover, word);
	sem_post(&start_removal);
	wait_reached(&remover_at_word);
	arm_for(&remover_at_word, remover, word);
	sem_post(&remover_at_word.resume);
	wait_reached(&remover_at_word);
	/* The first new block stops before it flags the slot. */
	arm_for(&inserter_at_word, inserter, word);
	sem_post(&start_insertion);
	wait_reached(&inserter_at_word);
	insert(second, &sites[2]);
	sem_post(&remover_at_word.resume);
	CHECK(pthread_join(remover, NULL) == 0);
	CHECK(live_maybe_sampled((void *)second));
	CHECK(remove_block((void *)second) == &sites[2]);
	sem_post(&inserter_at_word.resume);
	CHECK(pthread_join(inserter, NULL) == 0);
	CHECK(remove_block((void *)first) == &sites[1]);
	CHECK_UINT(live_count(), live);
	CHECK(!live_maybe_sampled((void *)old));
}

int main(void)
{
	live_start(count_free);
	struct stop *stops[] = {&before_unlock, &after_failed_try, &remover_at_word, &inserter_at_word};
	sem_init(&start_removal, 0, 0);
	sem_init(&start_insertion, 0, 0);
	for (unsigned i = 0; i < 4; i++) {
		sem_init(&stops[i]->reached, 0, 0);
		sem_init(&stops[i]->resume, 0, 0);
	}
	test_out_of_turn();
	test_remove_after_queued_insert();
	test_insertion_dropped();
	test_holder_looks_again();
	test_queuer_tries_again();
	test_fork_child_skips_unfilled();
	test_locked_copy_applies_queue();
	test_change_count_wraps();
	test_clear_races_new_blocks();
	CHECK_UINT(live_count(), 0);
	return 0;
}

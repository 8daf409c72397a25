#include "record/recorder.h"

#include "check.h"
#include "record/live.h"
#include "record/sampler.h"
#include "record/thread_registry.h"
#include "write/dump_thread.h"

#define BLOCKS (LIVE_QUEUE_SLOTS + 4)

void dump_thread_count_allocation(uint64_t bytes)
{
	(void)bytes;
}

/* Blocks are addresses only, a filter slot apart, never dereferenced. */
static void *block(unsigned index)
{
	return (void *)(uintptr_t)(0x7f0000100000 + (uintptr_t)index * LIVE_SLOT_BYTES);
}

static struct site *record_sample(void *pointer)
{
	static const uintptr_t stack[] = {0x401000};
	struct recording recording;
	uintptr_t *pcs = recorder_begin(&recording);
	CHECK(pcs);
	pcs[0] = stack[0];
	recorder_alloc(&recording, pointer, 64, 1, pcs, 1);
	return sites_first();
}

/* A signal handler frees sampled blocks while its thread, inside heapprof, holds the
   live table's locks (here a fork's, as the forking thread would). Each free returns at
   once: the first are queued and counted when the locks' holder applies the queue; the
   rest, beyond the queue's room, leave their entries, and each such free is counted
   when its address is sampled again. */
static void test_frees_while_locked(void)
{
	struct site *site = NULL;
	for (unsigned i = 0; i < BLOCKS; i++)
		site = record_sample(block(i));
	CHECK_UINT(site->alloc_objects, BLOCKS);

	recorder_fork_prepare();
	thread_state.busy = true; /* interrupted inside heapprof */
	for (unsigned i = 0; i < BLOCKS; i++)
		recorder_free(block(i));
	thread_state.busy = false;
	CHECK_UINT(site->free_objects, 0);
	recorder_fork_parent();
	CHECK_UINT(site->free_objects, LIVE_QUEUE_SLOTS);
	CHECK_UINT(live_count(), BLOCKS - LIVE_QUEUE_SLOTS);

	/* The allocator hands the addresses out again, and they are sampled. */
	for (unsigned i = LIVE_QUEUE_SLOTS; i < BLOCKS; i++)
		record_sample(block(i));
	CHECK_UINT(site->alloc_objects, 2 * BLOCKS - LIVE_QUEUE_SLOTS);
	CHECK_UINT(site->free_objects, BLOCKS);
	CHECK_UINT(live_count(), BLOCKS - LIVE_QUEUE_SLOTS);
	for (unsigned i = LIVE_QUEUE_SLOTS; i < BLOCKS; i++)
		recorder_free(block(i));
	CHECK_UINT(site->free_objects, 2 * BLOCKS - LIVE_QUEUE_SLOTS);
	CHECK_UINT(live_count(), 0);
}

int main(void)
{
	sampler_set_rate(1);
	thread_registry_add(&thread_state);
	test_frees_while_locked();
	return 0;
}

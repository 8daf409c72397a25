#include "record/bootstrap.h"

#include <errno.h>
#include <pthread.h>

#include "check.h"
#include "record/live.h"

#define THREADS 4
#define BLOCKS_PER_THREAD 200
#define THREAD_BLOCK_SIZE 24

static bool all_zero(const char *memory, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (memory[i])
			return false;
	}
	return true;
}

static char *allocate(size_t alignment, size_t size)
{
	char *block = bootstrap_alloc(alignment, size);
	if (!block)
		CHECK_FAILED("bootstrap_alloc(%zu, %zu) failed", alignment, size);
	if ((uintptr_t)block % alignment != 0 || (uintptr_t)block % 16 != 0)
		CHECK_FAILED("bootstrap_alloc(%zu, %zu) returned %p: misaligned", alignment, size,
			     (void *)block);
	CHECK(bootstrap_owns(block) && bootstrap_owns(block + size - 1));
	CHECK_UINT(bootstrap_usable_size(block), size);
	CHECK(live_maybe_sampled(block));
	CHECK(all_zero(block, size));
	memset(block, 0xa5, size);
	return block;
}

static void test_alignment_and_size(void)
{
	char *previous = allocate(1, 1);
	static const size_t alignments[] = {1, 8, 16, 32, 64, 256, 4096, 16, 2048};
	static const size_t sizes[] = {100, 7, 16, 1, 33, 4096, 5000, 2, 3};
	for (size_t i = 0; i < sizeof alignments / sizeof alignments[0]; i++) {
		char *block = allocate(alignments[i], sizes[i]);
		CHECK(block - previous >= (ptrdiff_t)bootstrap_usable_size(previous));
		previous = block;
	}
	char *empty = bootstrap_alloc(16, 0);
	CHECK(empty && bootstrap_owns(empty));
	CHECK_UINT(bootstrap_usable_size(empty), 0);
	CHECK_UINT(bootstrap_usable_size(previous), 3);
}

/* An alignment larger than the area's own: the address, not just the offset into
   the area, must be aligned. Twice the area's alignment is never met by chance. */
static void test_alignment_beyond_the_area(void)
{
	uintptr_t area_alignment = (uintptr_t)bootstrap_area & -(uintptr_t)bootstrap_area;
	size_t alignment = area_alignment * 2 <= BOOTSTRAP_AREA_SIZE / 4 ? area_alignment * 2 : 16384;
	allocate(alignment, 100);
}

static void test_owns_bounds(void)
{
	CHECK(bootstrap_owns(bootstrap_area));
	CHECK(bootstrap_owns(bootstrap_area + BOOTSTRAP_AREA_SIZE - 1));
	CHECK(!bootstrap_owns(bootstrap_area + BOOTSTRAP_AREA_SIZE));
	CHECK(!bootstrap_owns(bootstrap_area - 1));
	CHECK(!bootstrap_owns(NULL));
	int on_stack;
	CHECK(!bootstrap_owns(&on_stack));
	void *from_malloc = malloc(16);
	CHECK(!bootstrap_owns(from_malloc));
	free(from_malloc);
}

static void check_refused(size_t alignment, size_t size)
{
	errno = 0;
	if (bootstrap_alloc(alignment, size) != NULL)
		CHECK_FAILED("bootstrap_alloc(%zu, %zu) should fail", alignment, size);
	CHECK_UINT(errno, ENOMEM);
}

static void test_impossible_requests(void)
{
	check_refused(16, BOOTSTRAP_AREA_SIZE);
	check_refused(16, SIZE_MAX);
	check_refused(16, SIZE_MAX - 8);
	check_refused(BOOTSTRAP_AREA_SIZE * 2, 16);
	check_refused((size_t)1 << 63, 16);
}

static void *allocate_concurrently(void *blocks)
{
	char **result = blocks;
	for (size_t i = 0; i < BLOCKS_PER_THREAD; i++) {
		result[i] = bootstrap_alloc(16, THREAD_BLOCK_SIZE);
		CHECK(result[i]);
		memset(result[i], 0x5a, THREAD_BLOCK_SIZE);
	}
	return NULL;
}

static int by_address(const void *left, const void *right)
{
	uintptr_t a = (uintptr_t) * (char *const *)left, b = (uintptr_t) * (char *const *)right;
	return (a > b) - (a < b);
}

/* Blocks handed out concurrently never overlap. */
static void test_concurrent_allocation(void)
{
	static char *blocks[THREADS * BLOCKS_PER_THREAD];
	pthread_t threads[THREADS];
	for (size_t i = 0; i < THREADS; i++)
		CHECK(pthread_create(&threads[i], NULL, allocate_concurrently,
				     &blocks[i * BLOCKS_PER_THREAD]) == 0);
	for (size_t i = 0; i < THREADS; i++)
		CHECK(pthread_join(threads[i], NULL) == 0);
	qsort(blocks, THREADS * BLOCKS_PER_THREAD, sizeof blocks[0], by_address);
	for (size_t i = 1; i < THREADS * BLOCKS_PER_THREAD; i++)
		CHECK(blocks[i] - blocks[i - 1] >= THREAD_BLOCK_SIZE);
	for (size_t i = 0; i < THREADS * BLOCKS_PER_THREAD; i++)
		CHECK_UINT(bootstrap_usable_size(blocks[i]), THREAD_BLOCK_SIZE);
}

/* Fills the area: every block fits inside it, and the first refusal is ENOMEM. */
static void test_exhaustion(void)
{
	const size_t size = 1000;
	char *last = NULL;
	size_t blocks = 0;
	for (char *block; (block = bootstrap_alloc(16, size)); blocks++) {
		CHECK(block > last);
		CHECK(bootstrap_owns(block + size - 1));
		CHECK(all_zero(block, size));
		last = block;
	}
	CHECK_UINT(errno, ENOMEM);
	CHECK(blocks > 0 && blocks < BOOTSTRAP_AREA_SIZE / size);
	CHECK(last + size > bootstrap_area + BOOTSTRAP_AREA_SIZE - size - 32);
	check_refused(16, size);
	check_refused(4096, 1);
}

int main(void)
{
	test_owns_bounds();
	test_alignment_and_size();
	test_impossible_requests();
	test_concurrent_allocation();
	test_alignment_beyond_the_area();
	test_exhaustion();
	return 0;
}

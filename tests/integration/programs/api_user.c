/* Uses the public API, linked directly: the rate, a profile written on request, and
   the statistics, checked against allocations of known size. */
#include <errno.h>
#include <heapprof.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void expect(int condition, const char *what)
{
	printf("%-44s %s\n", what, condition ? "ok" : "FAILED");
	failures += !condition;
}

static void *blocks[1000];

__attribute__((noinline)) static void api_site(void)
{
	for (int i = 0; i < 1000; i++)
		blocks[i] = malloc(3000);
	for (int i = 0; i < 400; i++)
		free(blocks[i]);
}

static void *resized[1000];

/* calloc's block is count * size bytes; realloc frees one block and allocates another. */
__attribute__((noinline)) static void resize_site(void)
{
	for (int i = 0; i < 1000; i++)
		resized[i] = calloc(100, 30);
	for (int i = 0; i < 400; i++)
		resized[i] = realloc(resized[i], 6000);
}

static void free_resized(void)
{
	for (int i = 0; i < 1000; i++)
		free(resized[i]);
}

/* 1000 blocks of 3000 bytes, 400 of them moved to 6000 bytes. */
static void expect_resized_totals(const struct heapprof_stats *before, const struct heapprof_stats *after,
				  unsigned frees, const char *when)
{
	char what[64];
	snprintf(what, sizeof what, "realloc, calloc totals %s", when);
	expect(after->total_alloc_objects - before->total_alloc_objects == 1400 &&
		       after->total_alloc_bytes - before->total_alloc_bytes == 1000 * 3000 + 400 * 6000 &&
		       after->total_free_objects - before->total_free_objects == frees,
	       what);
}

int main(int argc, char **argv)
{
	expect(strcmp(heapprof_version(), HEAPPROF_EXPECTED_VERSION) == 0, "heapprof_version");
	heapprof_set_rate(1);
	expect(heapprof_get_rate() == 1, "heapprof_get_rate after set_rate(1)");

	struct heapprof_stats before, after;
	expect(heapprof_read_stats(&before) == 0, "heapprof_read_stats");
	api_site();
	heapprof_read_stats(&after);
	expect(after.total_alloc_objects - before.total_alloc_objects == 1000, "total_alloc_objects exact");
	expect(after.total_alloc_bytes - before.total_alloc_bytes == 3000000, "total_alloc_bytes exact");
	expect(after.total_free_objects - before.total_free_objects == 400, "total_free_objects exact");
	expect(after.samples - before.samples == 1000, "samples at rate 1");
	expect(after.inuse_bytes_estimate - before.inuse_bytes_estimate == 600 * 3000,
	       "inuse_bytes_estimate at rate 1");
	expect(after.inuse_objects_estimate - before.inuse_objects_estimate == 600,
	       "inuse_objects_estimate at rate 1");
	/* At rate 1 the peak is exact: all 1000 blocks live, on top of what was before. */
	expect(after.peak_inuse_bytes_estimate == before.inuse_bytes_estimate + 1000 * 3000,
	       "peak_inuse_bytes_estimate at rate 1");

	expect(argc > 1 && heapprof_write_profile(argv[1]) == 0, "heapprof_write_profile");
	errno = 0;
	expect(heapprof_write_profile("/nonexistent-dir/x.pb.gz") == -1 && errno == ENOENT,
	       "heapprof_write_profile error sets errno");
	expect(heapprof_read_stats(NULL) == -1 && errno == EINVAL, "heapprof_read_stats(NULL)");

	heapprof_read_stats(&before);
	resize_site();
	heapprof_read_stats(&after);
	expect_resized_totals(&before, &after, 400, "at rate 1");
	expect(after.inuse_bytes_estimate - before.inuse_bytes_estimate == 600 * 3000 + 400 * 6000 &&
		       after.inuse_objects_estimate - before.inuse_objects_estimate == 1000,
	       "realloc, calloc in use at rate 1");
	free_resized();
	/* A rate no allocation here reaches: the unsampled paths count on their own. */
	heapprof_set_rate((size_t)1 << 40);
	heapprof_read_stats(&before);
	resize_site();
	free_resized();
	heapprof_read_stats(&after);
	expect_resized_totals(&before, &after, 1400, "unsampled");

	heapprof_set_rate(0);
	heapprof_read_stats(&before);
	api_site();
	heapprof_read_stats(&after);
	expect(after.samples == before.samples, "rate 0 records nothing");
	expect(after.rate == 0, "heapprof_read_stats' rate at rate 0");
	expect(after.total_alloc_objects - before.total_alloc_objects == 1000, "rate 0 still counts");
	printf("failures: %d\n", failures);
	return failures != 0;
}

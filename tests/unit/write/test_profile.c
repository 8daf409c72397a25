#include "write/profile.h"

#include "check.h"

struct unsample_case {
	uint64_t count, bytes, rate;
	uint64_t scaled_count, scaled_bytes;
};

/* Expected values from Go's runtime/pprof scaleHeapSample (go1.19) on the same inputs. */
static const struct unsample_case go_results[] = {
	{1, 1024, 524288, 512, 524800},
	{1, 524288, 524288, 1, 829411},
	{10, 5120, 524288, 10245, 5245440},
	{3, 3000000, 524288, 3, 3523084},
	{1000, 16000, 524288, 32768500, 524296000},
	{7, 700, 4096, 290, 29023},
	{1, 1, 2, 2, 2},
	{5, 5000000000, 524288, 5, 5000000000},
	{123456, 123456 * 48, 524288, 1348530464, 64729462317},
	{2, 2097152, 1048576, 3, 3317645},
	/* Rates 0 and 1 leave the values as recorded. */
	{3, 300, 1, 3, 300},
	{3, 300, 0, 3, 300},
	/* Go drops a sample with a zero count or zero bytes; heapprof keeps the count of
	   zero-byte allocations (malloc(0) at rate 1), unscaled. */
	{0, 0, 524288, 0, 0},
	{0, 0, 1, 0, 0},
	{5, 0, 524288, 5, 0},
	{5, 0, 1, 5, 0},
	{0, 100, 524288, 0, 0},
};

int main(void)
{
	for (size_t i = 0; i < sizeof go_results / sizeof go_results[0]; i++) {
		const struct unsample_case *expected = &go_results[i];
		uint64_t scaled_count = 99, scaled_bytes = 99;
		profile_unsample(expected->count, expected->bytes, expected->rate, &scaled_count,
				 &scaled_bytes);
		if (scaled_count != expected->scaled_count || scaled_bytes != expected->scaled_bytes)
			CHECK_FAILED("profile_unsample(%" PRIu64 ", %" PRIu64 ", %" PRIu64 ") = (%" PRIu64
				     ", %" PRIu64 "), Go gives (%" PRIu64 ", %" PRIu64 ")",
				     expected->count, expected->bytes, expected->rate, scaled_count,
				     scaled_bytes, expected->scaled_count, expected->scaled_bytes);
	}
	return 0;
}

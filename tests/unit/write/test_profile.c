#include "write/profile.h"

#include "check.h"
#include "record/labels.h"
#include "record/live.h"
#include "write/ages.h"
#include "write/pprof_writer.h"

/* Allocation failures on demand: the allocation numbered allocations_until_failure
   from now fails, and every one after it. The sanitizers own malloc, so their
   builds leave it alone and skip the test that needs this. */
static long allocations_until_failure = -1;

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define FAILING_ALLOCATIONS 1
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *block, size_t size);

static bool allocation_fails(void)
{
	if (allocations_until_failure < 0)
		return false;
	if (allocations_until_failure == 0)
		return true;
	allocations_until_failure--;
	return false;
}

void *malloc(size_t size)
{
	return allocation_fails() ? NULL : __libc_malloc(size);
}

void *calloc(size_t count, size_t size)
{
	return allocation_fails() ? NULL : __libc_calloc(count, size);
}

void *realloc(void *block, size_t size)
{
	return allocation_fails() ? NULL : __libc_realloc(block, size);
}
#endif

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

static void record(const uintptr_t *stack, size_t size, unsigned allocations, unsigned frees)
{
	for (unsigned i = 0; i < allocations; i++) {
		struct site *site = sites_record_alloc(stack, 2, size, 1, NULL);
		CHECK(site);
		if (i < frees)
			sites_record_free(site, 0, true);
	}
}

static struct site *find(const uintptr_t *stack, size_t size)
{
	for (struct site *site = sites_first(); site; site = sites_next(site)) {
		if (site->size == size && site->stack->pcs[0] == stack[0])
			return site;
	}
	CHECK_FAILED("no site of %zu bytes at %#lx", size, (unsigned long)stack[0]);
}

/* values as {alloc_objects, alloc_space, inuse_objects, inuse_space} at rate 1 (exact). */
static void check_values(const struct site *site, const struct profile_request *request, bool listed,
			 uint64_t alloc_objects, uint64_t inuse_objects)
{
	uint64_t values[4] = {0}, sampled = 0;
	bool shown = profile_site_values(site, request, values, &sampled);
	if (shown != listed)
		CHECK_FAILED("site of %zu bytes %s", site->size, listed ? "missing" : "shown");
	if (!listed)
		return;
	CHECK_UINT(sampled, alloc_objects);
	CHECK_UINT(values[0], alloc_objects);
	CHECK_UINT(values[1], alloc_objects * site->size);
	CHECK_UINT(values[2], inuse_objects);
	CHECK_UINT(values[3], inuse_objects * site->size);
}

/* A delta counts the allocations made since its base, and what is in use at its end:
   not Go's subtraction of in-use values (golang/go#67942). */
static void test_delta(void)
{
	static const uintptr_t before[] = {0x1000, 0x2000}, during[] = {0x3000, 0x4000};
	static const uintptr_t freed[] = {0x5000, 0x6000};
	record(before, 100, 5, 2);
	record(freed, 8, 4, 0);
	struct profile_base *base = profile_base_take();
	CHECK(base);
	record(before, 100, 3, 1);
	record(during, 200, 7, 7);
	for (unsigned i = 0; i < 4; i++)
		sites_record_free(find(freed, 8), 0, true);

	struct profile_request delta = {.view = PROFILE_DELTA, .base = base};
	struct profile_request current = {.view = PROFILE_CURRENT};
	check_values(find(before, 100), &delta, true, 3, 5);
	check_values(find(during, 200), &delta, true, 7, 0);
	check_values(find(freed, 8), &delta, false, 0, 0);
	check_values(find(before, 100), &current, true, 8, 5);
	check_values(find(during, 200), &current, true, 7, 0);
	check_values(find(freed, 8), &current, true, 4, 0);
	profile_base_free(base);
}

/* A dump when memory runs out: profile_encode fails cleanly wherever an allocation
   fails, never crashes, and succeeds again afterwards. A string whose copy failed
   once crashed the string table's next lookup of it, and its writing. */
static void test_allocation_failures(void)
{
#ifdef FAILING_ALLOCATIONS
	static const uintptr_t first[] = {0x7000, 0x8000}, second[] = {0x9000, 0xa000};
	record(first, 48, 3, 1);
	record(second, 4096, 2, 0);
	struct profile_request request = {.view = PROFILE_CURRENT, .comment = "a comment"};
	long failed = 0;
	for (long at = 0;; at++) {
		struct pprof_buffer out = {0};
		struct profile_workspace tables = {0};
		struct profile_summary summary;
		allocations_until_failure = at;
		bool built = profile_encode(&out, &request, &summary, &tables);
		bool reached = allocations_until_failure == 0;
		allocations_until_failure = -1;
		profile_workspace_free(&tables);
		if (built)
			pprof_buffer_free(&out);
		if (!reached) {
			CHECK(built);
			break;
		}
		failed += !built;
	}
	CHECK(failed > 0);
#endif
}

/* Profile fields (profile.proto) the split test reads. */
enum { PROFILE_SAMPLE = 2, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3, LABEL_NUM = 3 };

struct field {
	uint64_t number, value;    /* value: a varint's, else the length */
	const uint8_t *data, *end; /* a length-delimited field's bytes */
};

static uint64_t varint(const uint8_t **at, const uint8_t *end)
{
	uint64_t value = 0;
	for (unsigned shift = 0; *at < end; shift += 7) {
		uint8_t byte = *(*at)++;
		value |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return value;
	}
	CHECK_FAILED("varint past the end");
}

/* The field at `*at`, which is moved past it; varints and length-delimited only. */
static struct field next_field(const uint8_t **at, const uint8_t *end)
{
	uint64_t key = varint(at, end);
	struct field field = {.number = key >> 3};
	if ((key & 7) == 0)
		field.value = varint(at, end);
	else if ((key & 7) == 2) {
		field.value = varint(at, end);
		field.data = *at;
		field.end = *at += field.value;
	} else
		CHECK_FAILED("wire type %u", (unsigned)(key & 7));
	return field;
}

/* Whether a Sample carries the label `bytes` (the first numeric label) equal to `size`. */
static bool sample_of_size(struct field sample, uint64_t size)
{
	for (const uint8_t *at = sample.data; at < sample.end;) {
		struct field field = next_field(&at, sample.end);
		if (field.number != SAMPLE_LABEL)
			continue;
		for (const uint8_t *in = field.data; in < field.end;) {
			struct field label = next_field(&in, field.end);
			if (label.number == LABEL_NUM)
				return label.value == size;
		}
	}
	return false;
}

/* The sum of the values of the profile's Samples of `size` bytes; how many there are. */
static unsigned sum_samples(const struct pprof_buffer *profile, uint64_t size, uint64_t sum[4])
{
	unsigned samples = 0;
	const uint8_t *end = profile->data + profile->length;
	for (const uint8_t *at = profile->data; at < end;) {
		struct field sample = next_field(&at, end);
		if (sample.number != PROFILE_SAMPLE || !sample_of_size(sample, size))
			continue;
		samples++;
		for (const uint8_t *in = sample.data; in < sample.end;) {
			struct field field = next_field(&in, sample.end);
			for (unsigned i = 0; field.number == SAMPLE_VALUE && i < 4; i++)
				sum[i] += varint(&field.data, field.end);
		}
	}
	return samples;
}

#define SPLIT_SIZE 3000
#define SPLIT_RATE 524288
#define SECOND 1000000000ULL

/* A site sampled at 512 KiB with blocks of three ages and frees of two lifetimes. */
/* The blocks inserted here are new addresses, none freed. */
static void no_free(struct live_block block, bool wait)
{
	(void)block;
	(void)wait;
	CHECK(false);
}

static struct site *split_site(void)
{
	static const uintptr_t stack[] = {0x7000, 0x8000};
	static const unsigned ages[] = {0, 0, 3, 3, 3, 20};
	struct site *site = NULL;
	uint64_t now = labels_clock();
	for (unsigned i = 0; i < sizeof ages / sizeof ages[0]; i++) {
		site = sites_record_alloc(stack, 2, SPLIT_SIZE, SPLIT_RATE, NULL);
		CHECK(site);
		live_insert((void *)(0x7f0000500000 + 64 * (uintptr_t)i),
			    (struct live_block){site, now - ages[i] * SECOND}, no_free, true);
	}
	for (unsigned i = 0; i < 5; i++) {
		CHECK(sites_record_alloc(stack, 2, SPLIT_SIZE, SPLIT_RATE, NULL) == site);
		sites_record_free(site, i < 2 ? 40 : 1, true);
	}
	return site;
}

/* The parts of a site split by age add up to exactly its unsplit values, however the
   unsampling rounds. */
static void test_split_adds_up(void)
{
	struct site *site = split_site();
	struct profile_request current = {.view = PROFILE_CURRENT};
	struct pprof_buffer profile = {0};
	struct profile_workspace tables = {0};
	struct profile_summary summary;
	CHECK(profile_encode(&profile, &current, &summary, &tables));
	profile_workspace_free(&tables);
	uint64_t sum[4] = {0}, values[4], sampled;
	CHECK(sum_samples(&profile, SPLIT_SIZE, sum) >= 5);
	CHECK(profile_site_values(site, &current, values, &sampled));
	for (unsigned i = 0; i < 4; i++)
		CHECK_UINT(sum[i], values[i]);
	pprof_buffer_free(&profile);
}

/* ages.c's realloc comes here (-Wl,--wrap=realloc): with fail_part_growth set, the
   parts of one site cannot grow past their first 64. */
void *__real_realloc(void *pointer, size_t size);
void *__wrap_realloc(void *pointer, size_t size);
static bool fail_part_growth;
static void *first_parts[16];
static unsigned first_parts_count;

void *__wrap_realloc(void *pointer, size_t size)
{
	for (unsigned i = 0; fail_part_growth && pointer && i < first_parts_count; i++) {
		if (first_parts[i] == pointer && size == 128 * sizeof(struct age_part))
			return NULL;
	}
	void *grown = __real_realloc(pointer, size);
	if (!pointer && size == 64 * sizeof(struct age_part) && first_parts_count < 16)
		first_parts[first_parts_count++] = grown;
	return grown;
}

#define UNSPLIT_SIZE 5000

/* A site of more parts than the first 64 hold: 23 ages (0 to 100 seconds) and 45
   lifetimes. */
static struct site *many_parts_site(void)
{
	static const uintptr_t stack[] = {0x9000, 0xa000};
	struct site *site = NULL;
	uint64_t now = labels_clock();
	for (uint64_t age = 0; age <= 100; age++) {
		site = sites_record_alloc(stack, 2, UNSPLIT_SIZE, SPLIT_RATE, NULL);
		CHECK(site);
		live_insert((void *)(0x7f0000600000 + 64 * (uintptr_t)age),
			    (struct live_block){site, now - age * SECOND}, no_free, true);
	}
	for (uint64_t lifetime = 1; lifetime <= 45; lifetime++) {
		CHECK(sites_record_alloc(stack, 2, UNSPLIT_SIZE, SPLIT_RATE, NULL) == site);
		sites_record_free(site, lifetime * 1000, true);
	}
	return site;
}

/* Memory running out while a site is split costs its split, not the profile. */
static void test_split_out_of_memory(void)
{
	struct site *site = many_parts_site();
	struct profile_request current = {.view = PROFILE_CURRENT};
	struct pprof_buffer profile = {0};
	struct profile_workspace tables = {0};
	struct profile_summary summary;
	fail_part_growth = true;
	CHECK(profile_encode(&profile, &current, &summary, &tables));
	profile_workspace_free(&tables);
	fail_part_growth = false;
	uint64_t sum[4] = {0}, values[4], sampled;
	CHECK_UINT(sum_samples(&profile, UNSPLIT_SIZE, sum), 1);
	CHECK(profile_site_values(site, &current, values, &sampled));
	for (unsigned i = 0; i < 4; i++)
		CHECK_UINT(sum[i], values[i]);
	CHECK_UINT(sum_samples(&profile, SPLIT_SIZE, (uint64_t[4]){0}), 5);
	pprof_buffer_free(&profile);
}

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
	test_delta();
	test_allocation_failures();
	test_split_adds_up();
	test_split_out_of_memory();
	return 0;
}

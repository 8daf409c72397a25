#include "frame_cache.h"

#include "check.h"

#define ENTRIES 5000

struct replayed {
	unsigned count;
	struct symbolized_frame frames[4];
};

static void collect(void *context, const struct symbolized_frame *frame)
{
	struct replayed *replayed = context;
	CHECK(replayed->count < 4);
	replayed->frames[replayed->count++] = *frame;
}

/* 0 to 3 frames per address; the strings say which pc and frame they belong to. */
static unsigned frames_for(uint64_t pc)
{
	return (unsigned)(pc / 16 % 4);
}

static void fill(struct frame_cache *cache, uint64_t pc)
{
	struct frame_cache_entry *entry = frame_cache_entry_create(pc);
	CHECK(entry);
	for (unsigned i = 0; i < frames_for(pc); i++) {
		char function[32], file[32];
		snprintf(function, sizeof function, "f%llu_%u", (unsigned long long)pc, i);
		snprintf(file, sizeof file, "file%llu.c", (unsigned long long)pc);
		struct symbolized_frame frame = {function, "system", i == 2 ? NULL : file, (int64_t)pc + i,
						 i};
		CHECK(frame_cache_add(entry, &frame));
		/* The cache keeps copies: the caller's buffers are gone after the callback. */
		memset(function, 'X', sizeof function - 1);
	}
	CHECK(!frame_cache_find(cache, pc));
	frame_cache_store(cache, entry);
}

static void check_entry(const struct frame_cache *cache, uint64_t pc)
{
	const struct frame_cache_entry *entry = frame_cache_find(cache, pc);
	CHECK(entry);
	struct replayed replayed = {0};
	CHECK_UINT(frame_cache_replay(entry, collect, &replayed), frames_for(pc));
	CHECK_UINT(replayed.count, frames_for(pc));
	for (unsigned i = 0; i < replayed.count; i++) {
		char function[32], file[32];
		snprintf(function, sizeof function, "f%llu_%u", (unsigned long long)pc, i);
		snprintf(file, sizeof file, "file%llu.c", (unsigned long long)pc);
		CHECK_STR(replayed.frames[i].function, function);
		CHECK_STR(replayed.frames[i].system_name, "system");
		if (i == 2)
			CHECK(replayed.frames[i].file == NULL);
		else
			CHECK_STR(replayed.frames[i].file, file);
		CHECK_UINT(replayed.frames[i].line, pc + i);
		CHECK_UINT(replayed.frames[i].start_line, i);
	}
}

int main(void)
{
	struct frame_cache cache = {0};
	CHECK(!frame_cache_find(&cache, 0x1000));
	/* Addresses 16 apart, as return addresses in one function are: the table grows
	   many times and neighbours must not collide into wrong answers. */
	for (uint64_t i = 1; i <= ENTRIES; i++)
		fill(&cache, i * 16);
	for (uint64_t i = 1; i <= ENTRIES; i++)
		check_entry(&cache, i * 16);
	CHECK(!frame_cache_find(&cache, 8));
	CHECK(!frame_cache_find(&cache, (ENTRIES + 1) * 16));
	CHECK(cache.pcs.count == ENTRIES && cache.pcs.count * 2 <= cache.pcs.capacity);
	frame_cache_clear(&cache);
	CHECK(!frame_cache_find(&cache, 16));
	fill(&cache, 16);
	check_entry(&cache, 16);
	frame_cache_clear(&cache);
	return 0;
}

#include "frame_cache.h"

#include <stdlib.h>
#include <string.h>

struct frame_cache_entry {
	uint64_t pc;
	unsigned count;
	struct symbolized_frame *frames;
};

const struct frame_cache_entry *frame_cache_find(const struct frame_cache *cache, uint64_t pc)
{
	uint32_t index = hash_map_find_u64(&cache->pcs, pc);
	return index == HASH_MAP_ABSENT ? NULL : cache->entries[index];
}

unsigned frame_cache_replay(const struct frame_cache_entry *entry, symbolize_callback *callback,
			    void *context)
{
	for (unsigned i = 0; i < entry->count; i++)
		callback(context, &entry->frames[i]);
	return entry->count;
}

/* Room for one more entry first, so that the map holds no index without its entry. */
static bool reserve_entry(struct frame_cache *cache)
{
	if (cache->pcs.count < cache->entries_capacity)
		return true;
	size_t capacity = cache->entries_capacity ? cache->entries_capacity * 2 : 256;
	struct frame_cache_entry **entries = realloc(cache->entries, capacity * sizeof *entries);
	if (!entries)
		return false;
	cache->entries = entries;
	cache->entries_capacity = capacity;
	return true;
}

struct frame_cache_entry *frame_cache_entry_create(uint64_t pc)
{
	struct frame_cache_entry *entry = calloc(1, sizeof *entry);
	if (entry)
		entry->pc = pc;
	return entry;
}

void frame_cache_store(struct frame_cache *cache, struct frame_cache_entry *entry)
{
	uint32_t index = HASH_MAP_ABSENT;
	bool added;
	if (reserve_entry(cache))
		index = hash_map_add_u64(&cache->pcs, entry->pc, &added);
	if (index == HASH_MAP_ABSENT) {
		frame_cache_entry_free(entry);
		return;
	}
	cache->entries[index] = entry;
}

static char *copy_string(const char *text, bool *failed)
{
	if (!text)
		return NULL;
	char *copy = strdup(text);
	*failed |= !copy;
	return copy;
}

static void free_frame(struct symbolized_frame *frame)
{
	free((char *)frame->function);
	free((char *)frame->system_name);
	free((char *)frame->file);
}

bool frame_cache_add(struct frame_cache_entry *entry, const struct symbolized_frame *frame)
{
	struct symbolized_frame *frames = realloc(entry->frames, (entry->count + 1) * sizeof *frames);
	if (!frames)
		return false;
	entry->frames = frames;
	bool failed = false;
	struct symbolized_frame copy = {
		.function = copy_string(frame->function, &failed),
		.system_name = copy_string(frame->system_name, &failed),
		.file = copy_string(frame->file, &failed),
		.line = frame->line,
		.start_line = frame->start_line,
	};
	if (failed) {
		free_frame(&copy);
		return false;
	}
	frames[entry->count++] = copy;
	return true;
}

void frame_cache_entry_free(struct frame_cache_entry *entry)
{
	for (unsigned i = 0; i < entry->count; i++)
		free_frame(&entry->frames[i]);
	free(entry->frames);
	free(entry);
}

void frame_cache_clear(struct frame_cache *cache)
{
	for (uint32_t i = 0; i < cache->pcs.count; i++)
		frame_cache_entry_free(cache->entries[i]);
	free(cache->entries);
	hash_map_free(&cache->pcs);
	*cache = (struct frame_cache){0};
}

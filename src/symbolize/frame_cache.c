#include "frame_cache.h"

#include <stdlib.h>
#include <string.h>

struct frame_cache_entry {
	uint64_t pc;
	unsigned count;
	struct symbolized_frame *frames;
};

static uint64_t slot_of(uint64_t pc, uint64_t capacity)
{
	return (pc * 0x9e3779b97f4a7c15ULL >> 17) & (capacity - 1);
}

const struct frame_cache_entry *frame_cache_find(const struct frame_cache *cache, uint64_t pc)
{
	if (!cache->capacity)
		return NULL;
	for (uint64_t i = slot_of(pc, cache->capacity);; i = (i + 1) & (cache->capacity - 1)) {
		const struct frame_cache_entry *entry = cache->slots[i];
		if (!entry || entry->pc == pc)
			return entry;
	}
}

unsigned frame_cache_replay(const struct frame_cache_entry *entry, symbolize_callback *callback,
			    void *context)
{
	for (unsigned i = 0; i < entry->count; i++)
		callback(context, &entry->frames[i]);
	return entry->count;
}

static void place(struct frame_cache_entry **slots, uint64_t capacity, struct frame_cache_entry *entry)
{
	uint64_t i = slot_of(entry->pc, capacity);
	while (slots[i])
		i = (i + 1) & (capacity - 1);
	slots[i] = entry;
}

/* Keeps the table at most half full, so probes stay short. */
static bool make_room(struct frame_cache *cache)
{
	if (cache->capacity && (cache->used + 1) * 2 <= cache->capacity)
		return true;
	uint64_t capacity = cache->capacity ? cache->capacity * 2 : 256;
	struct frame_cache_entry **slots = calloc(capacity, sizeof *slots);
	if (!slots)
		return false;
	for (uint64_t i = 0; i < cache->capacity; i++) {
		if (cache->slots[i])
			place(slots, capacity, cache->slots[i]);
	}
	free(cache->slots);
	cache->slots = slots;
	cache->capacity = capacity;
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
	if (!make_room(cache)) {
		frame_cache_entry_free(entry);
		return;
	}
	place(cache->slots, cache->capacity, entry);
	cache->used++;
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
	for (uint64_t i = 0; i < cache->capacity; i++) {
		if (cache->slots[i])
			frame_cache_entry_free(cache->slots[i]);
	}
	free(cache->slots);
	*cache = (struct frame_cache){0};
}

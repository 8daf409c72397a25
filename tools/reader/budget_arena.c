#include "budget_arena.h"

#include <stdint.h>
#include <stdlib.h>

struct arena_chunk {
	struct arena_chunk *next;
	size_t used;
	size_t size;
	uint64_t data[];
};

/* protobuf-c stores nothing wider than 8 bytes, so 8-byte alignment suffices. */
enum { ARENA_CHUNK_BYTES = 1 << 20, ARENA_ALIGNMENT = 8 };

static void *allocate_for_protobuf(void *arena, size_t size)
{
	return budget_arena_alloc(arena, size);
}

static void free_for_protobuf(void *arena, void *pointer)
{
	(void)arena;
	(void)pointer;
}

void budget_arena_init(struct budget_arena *arena, size_t budget)
{
	arena->chunks = NULL;
	arena->budget = budget;
	arena->refused = ARENA_OK;
	arena->allocator = (ProtobufCAllocator){allocate_for_protobuf, free_for_protobuf, arena};
}

static struct arena_chunk *new_chunk(struct budget_arena *arena, size_t at_least)
{
	size_t size = at_least > ARENA_CHUNK_BYTES ? at_least : ARENA_CHUNK_BYTES;
	if (size > arena->budget || size > SIZE_MAX - sizeof(struct arena_chunk)) {
		arena->refused = ARENA_OVER_BUDGET;
		return NULL;
	}
	struct arena_chunk *chunk = malloc(sizeof *chunk + size);
	if (!chunk) {
		arena->refused = ARENA_SYSTEM_REFUSED;
		return NULL;
	}
	arena->budget -= size;
	chunk->used = 0;
	chunk->size = size;
	/* A chunk made for one large block goes behind the current one, which
       keeps the room left in the current chunk usable. */
	if (arena->chunks && size > ARENA_CHUNK_BYTES) {
		chunk->next = arena->chunks->next;
		arena->chunks->next = chunk;
	} else {
		chunk->next = arena->chunks;
		arena->chunks = chunk;
	}
	return chunk;
}

void *budget_arena_alloc(struct budget_arena *arena, size_t size)
{
	if (size > SIZE_MAX - ARENA_ALIGNMENT)
		return NULL;
	size = (size + ARENA_ALIGNMENT - 1) & ~(size_t)(ARENA_ALIGNMENT - 1);
	struct arena_chunk *chunk = arena->chunks;
	if (!chunk || chunk->size - chunk->used < size) {
		chunk = new_chunk(arena, size);
		if (!chunk)
			return NULL;
		if (chunk->size > ARENA_CHUNK_BYTES && chunk != arena->chunks) {
			chunk->used = size;
			return chunk->data;
		}
	}
	void *block = (char *)chunk->data + chunk->used;
	chunk->used += size;
	return block;
}

void *budget_arena_array(struct budget_arena *arena, size_t count, size_t size)
{
	if (count && size > SIZE_MAX / count)
		return NULL;
	size_t bytes = count * size;
	return budget_arena_alloc(arena, bytes ? bytes : 1);
}

void budget_arena_free_all(struct budget_arena *arena)
{
	while (arena->chunks) {
		struct arena_chunk *next = arena->chunks->next;
		free(arena->chunks);
		arena->chunks = next;
	}
}

#include "arena.h"

#include <stdint.h>
#include <sys/mman.h>

#define ARENA_CHUNK ((size_t)1 << 20)

void *arena_map(size_t bytes)
{
	void *memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return memory == MAP_FAILED ? NULL : memory;
}

void arena_unmap(void *memory, size_t bytes)
{
	if (memory)
		munmap(memory, bytes);
}

void *arena_alloc(struct arena *arena, size_t bytes)
{
	bytes = (bytes + 15) & ~(size_t)15;
	if ((size_t)(arena->end - arena->cursor) < bytes) {
		size_t chunk = bytes > ARENA_CHUNK ? bytes : ARENA_CHUNK;
		char *memory = arena_map(chunk);
		if (!memory)
			return NULL;
		arena->cursor = memory;
		arena->end = memory + chunk;
	}
	void *result = arena->cursor;
	arena->cursor += bytes;
	return result;
}

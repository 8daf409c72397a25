/* A bump allocator with a hard byte budget, handed to protobuf-c so that a
   hostile profile cannot make the decoder allocate without bound: once the
   budget is spent every allocation fails and unpacking stops cleanly.
   Freeing single blocks is a no-op; the whole arena goes at once. */
#ifndef HEAPPROF_TOOLS_BUDGET_ARENA_H
#define HEAPPROF_TOOLS_BUDGET_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct arena_chunk;

enum arena_refusal { ARENA_OK, ARENA_OVER_BUDGET, ARENA_SYSTEM_REFUSED };

struct budget_arena {
	struct arena_chunk *chunks;
	size_t budget;              /* bytes the arena may still take from the system */
	enum arena_refusal refused; /* why the last allocation failed, if one did */
	ProtobufCAllocator allocator;
};

void budget_arena_init(struct budget_arena *arena, size_t budget);
void *budget_arena_alloc(struct budget_arena *arena, size_t size);
/* Room for count elements of size bytes, or NULL when that many bytes cannot
   be counted in a size_t or the arena refuses them. */
void *budget_arena_array(struct budget_arena *arena, size_t count, size_t size);
void budget_arena_free_all(struct budget_arena *arena);

#endif

#include "bootstrap.h"

#include <errno.h>
#include <stdatomic.h>

#include "live.h"

/* Each block is preceded by its size, so realloc can copy it out later. */
#define HEADER_SIZE 16

char bootstrap_area[BOOTSTRAP_AREA_SIZE] __attribute__((aligned(4096)));
static _Atomic size_t bootstrap_used;

void *bootstrap_alloc(size_t alignment, size_t size)
{
	if (alignment < HEADER_SIZE)
		alignment = HEADER_SIZE;
	size_t used = atomic_load_explicit(&bootstrap_used, memory_order_relaxed);
	for (;;) {
		/* Align the address, not the offset: the area itself is only page aligned. */
		uintptr_t base = (uintptr_t)bootstrap_area;
		size_t start =
			((base + used + HEADER_SIZE + alignment - 1) & ~(uintptr_t)(alignment - 1)) - base;
		if (alignment > BOOTSTRAP_AREA_SIZE || size > BOOTSTRAP_AREA_SIZE ||
		    start + size > BOOTSTRAP_AREA_SIZE) {
			errno = ENOMEM;
			return NULL;
		}
		if (atomic_compare_exchange_weak(&bootstrap_used, &used, start + size)) {
			*(size_t *)(bootstrap_area + start - HEADER_SIZE) = size;
			live_flag_forever(bootstrap_area + start);
			return bootstrap_area + start;
		}
	}
}

size_t bootstrap_usable_size(const void *pointer)
{
	return *(const size_t *)((const char *)pointer - HEADER_SIZE);
}

/* An async-signal-safe allocator for the signal test: an atomic bump pointer over one
   large reservation, frees ignored. glibc's malloc may not be called from a signal
   handler that interrupts it; this one may, so the test exercises heapprof alone. */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define RESERVED ((size_t)256 << 30)
#define HEADER 16

static char *_Atomic area;
static _Atomic size_t used;

/* Reserved at the first allocation, not in a constructor: the constructors of the
   program's own libraries (and libstdc++'s) run before a preloaded library's and
   allocate already. */
static char *reserved_area(void)
{
	char *current = atomic_load(&area);
	if (current)
		return current;
	char *fresh = mmap(NULL, RESERVED, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (fresh == MAP_FAILED)
		return NULL;
	if (!atomic_compare_exchange_strong(&area, &current, fresh)) {
		munmap(fresh, RESERVED);
		return current;
	}
	return fresh;
}

static void *bump(size_t alignment, size_t size)
{
	if (alignment < HEADER)
		alignment = HEADER;
	char *base = reserved_area();
	if (!base || size > RESERVED || alignment > RESERVED) {
		errno = ENOMEM;
		return NULL;
	}
	size_t start, end, current = atomic_load(&used);
	do {
		start = (current + HEADER + alignment - 1) & ~(alignment - 1);
		end = start + size;
		if (end > RESERVED) {
			errno = ENOMEM;
			return NULL;
		}
	} while (!atomic_compare_exchange_weak(&used, &current, end));
	*(size_t *)(base + start - HEADER) = size;
	return base + start;
}

void *malloc(size_t size)
{
	return bump(16, size);
}
void free(void *pointer)
{
	(void)pointer;
}
size_t malloc_usable_size(void *pointer)
{
	return pointer ? *(size_t *)((char *)pointer - HEADER) : 0;
}
void *memalign(size_t alignment, size_t size)
{
	return bump(alignment, size);
}
void *aligned_alloc(size_t alignment, size_t size)
{
	return bump(alignment, size);
}
void *valloc(size_t size)
{
	return bump(4096, size);
}
void *pvalloc(size_t size)
{
	return bump(4096, (size + 4095) & ~(size_t)4095);
}

void *calloc(size_t count, size_t size)
{
	size_t bytes;
	if (__builtin_mul_overflow(count, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return bump(16, bytes); /* fresh anonymous memory is zero */
}

void *realloc(void *pointer, size_t size)
{
	void *moved = bump(16, size);
	if (moved && pointer) {
		size_t old = malloc_usable_size(pointer);
		memcpy(moved, pointer, old < size ? old : size);
	}
	return moved;
}

int posix_memalign(void **result, size_t alignment, size_t size)
{
	if (alignment < sizeof(void *) || (alignment & (alignment - 1)))
		return EINVAL;
	void *pointer = bump(alignment, size);
	if (!pointer)
		return ENOMEM;
	*result = pointer;
	return 0;
}

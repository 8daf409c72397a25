#include "lock_holders.h"

#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/auxv.h>

#include "record/loaded_object.h"
#include "record/next_allocator.h"

/* Executable segments, a few per object at most. */
#define MAX_RANGES 16

static struct {
	uintptr_t start, limit;
	enum lock_holder holder;
} ranges[MAX_RANGES];
static unsigned range_count;

static enum lock_holder classify(const struct dl_phdr_info *info)
{
	/* libc first: with glibc's allocator, libc is the allocator too. */
	if (loaded_object_holds(info, (uintptr_t)pthread_create))
		return LOCK_HOLDER_LIBC;
	if (loaded_object_holds(info, (uintptr_t)next.malloc))
		return LOCK_HOLDER_ALLOCATOR;
	if (loaded_object_holds(info, (uintptr_t)lock_holders_find))
		return LOCK_HOLDER_HEAPPROF;
	if (info->dlpi_addr == getauxval(AT_BASE))
		return LOCK_HOLDER_LOADER;
	return LOCK_HOLDER_NONE;
}

static int note(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	enum lock_holder holder = classify(info);
	for (unsigned i = 0; i < info->dlpi_phnum && holder != LOCK_HOLDER_NONE; i++) {
		const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
		if (segment->p_type != PT_LOAD || !(segment->p_flags & PF_X) || range_count == MAX_RANGES)
			continue;
		uintptr_t start = info->dlpi_addr + segment->p_vaddr;
		ranges[range_count++] = (__typeof__(ranges[0])){start, start + segment->p_memsz, holder};
	}
	return 0;
}

void lock_holders_find(void)
{
	range_count = 0;
	dl_iterate_phdr(note, NULL);
}

enum lock_holder lock_holder_of(uintptr_t pc)
{
	for (unsigned i = 0; i < range_count; i++) {
		if (pc >= ranges[i].start && pc < ranges[i].limit)
			return ranges[i].holder;
	}
	return LOCK_HOLDER_NONE;
}

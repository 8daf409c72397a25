#include "modules.h"

#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"

struct snapshot {
	size_t count, capacity;
	unsigned holders; /* dumps reading it (modules_hold) */
	struct module modules[];
};

/* Held for a few instructions, and across dl_iterate_phdr, which takes the loader's
   lock but never calls back into malloc. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* Everything below is under `lock`. A refresh builds the next snapshot in the spare
   one, so only the current snapshot, the spare and one a dump still reads exist, and
   loading many objects costs memory in proportion to their number, not its square. */
static struct snapshot *current, *spare;
static struct arena strings; /* paths, shared by every snapshot, kept for good */
static unsigned long long seen_adds = ~0ULL, seen_subs;

const struct module *modules_hold(size_t *count)
{
	pthread_mutex_lock(&lock);
	struct snapshot *snapshot = current;
	if (snapshot)
		snapshot->holders++;
	pthread_mutex_unlock(&lock);
	*count = snapshot ? snapshot->count : 0;
	return snapshot ? snapshot->modules : NULL;
}

static size_t snapshot_size(size_t capacity)
{
	return sizeof(struct snapshot) + capacity * sizeof(struct module);
}

static void unmap_snapshot(struct snapshot *snapshot)
{
	if (snapshot)
		arena_unmap(snapshot, snapshot_size(snapshot->capacity));
}

/* A snapshot no longer current and no longer read becomes the spare; of two, the
   larger is kept. */
static void retire(struct snapshot *snapshot)
{
	if (snapshot->holders)
		return;
	if (spare && spare->capacity > snapshot->capacity) {
		unmap_snapshot(snapshot);
		return;
	}
	unmap_snapshot(spare);
	spare = snapshot;
}

void modules_release(const struct module *list)
{
	if (!list)
		return;
	struct snapshot *snapshot =
		(struct snapshot *)((const char *)list - offsetof(struct snapshot, modules));
	pthread_mutex_lock(&lock);
	snapshot->holders--;
	if (snapshot != current)
		retire(snapshot);
	pthread_mutex_unlock(&lock);
}

/* An empty snapshot with room for `capacity` modules: the spare when it is large
   enough, else a new one with room to grow. */
static struct snapshot *take_spare(size_t capacity)
{
	struct snapshot *snapshot = spare;
	spare = NULL;
	if (snapshot && snapshot->capacity >= capacity) {
		snapshot->count = 0;
		return snapshot;
	}
	unmap_snapshot(snapshot);
	snapshot = arena_map(snapshot_size(2 * capacity));
	if (snapshot)
		snapshot->capacity = 2 * capacity;
	return snapshot;
}

const struct module *modules_find(const struct module *list, size_t count, uintptr_t pc)
{
	size_t low = 0, high = count;
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		if (pc < list[middle].start)
			high = middle;
		else if (pc >= list[middle].limit)
			low = middle + 1;
		else
			return &list[middle];
	}
	return NULL;
}

static const char *copy_string(const char *text)
{
	size_t length = strlen(text) + 1;
	char *copy = arena_alloc(&strings, length);
	if (copy)
		memcpy(copy, text, length);
	return copy;
}

/* The path of the main program, which dl_iterate_phdr reports with an empty name. */
static const char *program_path(void)
{
	static const char *path;
	if (!path) {
		char buffer[4096];
		ssize_t length = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
		if (length <= 0)
			return NULL;
		buffer[length] = '\0';
		path = copy_string(buffer);
	}
	return path;
}

static void read_build_id(const struct dl_phdr_info *info, struct module *module)
{
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
		if (segment->p_type != PT_NOTE)
			continue;
		const char *note = (const char *)(info->dlpi_addr + segment->p_vaddr);
		const char *end = note + segment->p_memsz;
		while (note + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *header = (const ElfW(Nhdr) *)note;
			const char *name = note + sizeof *header;
			const char *descriptor = name + ((header->n_namesz + 3) & ~3u);
			const char *following = descriptor + ((header->n_descsz + 3) & ~3u);
			if (following > end)
				break;
			if (header->n_type == NT_GNU_BUILD_ID && header->n_namesz == 4 &&
			    memcmp(name, "GNU", 4) == 0 && header->n_descsz <= MODULE_BUILD_ID_MAX) {
				memcpy(module->build_id, descriptor, header->n_descsz);
				module->build_id_length = header->n_descsz;
				return;
			}
			note = following;
		}
	}
}

struct collection {
	struct module *modules;
	size_t count, capacity;
	bool seen_main;
};

static int collect(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct collection *collection = data;
	const char *path = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : NULL;
	bool main_program = !path && !collection->seen_main;
	if (main_program) {
		collection->seen_main = true;
		path = program_path();
	}
	if (!path || strncmp(path, "linux-vdso", 10) == 0)
		return 0;
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
		if (segment->p_type != PT_LOAD || !(segment->p_flags & PF_X) ||
		    collection->count == collection->capacity)
			continue;
		uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
		struct module *module = &collection->modules[collection->count];
		memset(module, 0, sizeof *module);
		module->start = (info->dlpi_addr + segment->p_vaddr) & ~(page - 1);
		module->limit = info->dlpi_addr + segment->p_vaddr + segment->p_memsz;
		module->file_offset = segment->p_offset & ~(uint64_t)(page - 1);
		module->path = path;
		module->main_program = main_program;
		read_build_id(info, module);
		collection->count++;
	}
	return 0;
}

static int by_start(const void *left, const void *right)
{
	const struct module *a = left, *b = right;
	return a->start < b->start ? -1 : a->start > b->start;
}

static bool overlaps_any(const struct module *module, const struct collection *collection)
{
	for (size_t i = 0; i < collection->count; i++) {
		if (module->start < collection->modules[i].limit &&
		    collection->modules[i].start < module->limit)
			return true;
	}
	return false;
}

static bool same_module(const struct module *a, const struct module *b)
{
	return a->start == b->start && a->limit == b->limit && strcmp(a->path, b->path) == 0;
}

/* Interns each path once, so snapshots share strings. */
static void intern_paths(struct collection *fresh, const struct snapshot *old)
{
	for (size_t i = 0; i < fresh->count; i++) {
		const char *interned = NULL;
		for (size_t j = 0; old && j < old->count && !interned; j++) {
			if (strcmp(old->modules[j].path, fresh->modules[i].path) == 0)
				interned = old->modules[j].path;
		}
		fresh->modules[i].path = interned ? interned : copy_string(fresh->modules[i].path);
	}
}

static void insertion_sort(struct module *modules, size_t count)
{
	/* qsort may allocate; module lists are short. */
	for (size_t i = 1; i < count; i++) {
		struct module key = modules[i];
		size_t j = i;
		while (j > 0 && by_start(&modules[j - 1], &key) > 0) {
			modules[j] = modules[j - 1];
			j--;
		}
		modules[j] = key;
	}
}

static void refresh_locked(void)
{
	struct snapshot *old = current;
	size_t old_count = old ? old->count : 0;
	struct snapshot *fresh = take_spare(old_count + 1024);
	if (!fresh)
		return;
	struct collection collection = {fresh->modules, 0, fresh->capacity, false};
	dl_iterate_phdr(collect, &collection);
	intern_paths(&collection, old);
	for (size_t i = 0; i < old_count && collection.count < collection.capacity; i++) {
		const struct module *previous = &old->modules[i];
		bool still_loaded = false;
		for (size_t j = 0; j < collection.count && !still_loaded; j++)
			still_loaded = same_module(previous, &collection.modules[j]);
		if (!still_loaded && !overlaps_any(previous, &collection)) {
			collection.modules[collection.count] = *previous;
			collection.modules[collection.count++].unloaded = true;
		}
	}
	fresh->count = collection.count;
	insertion_sort(fresh->modules, fresh->count);
	current = fresh;
	if (old)
		retire(old);
}

struct load_counters {
	unsigned long long adds, subs;
};

static int read_counters(struct dl_phdr_info *info, size_t size, void *data)
{
	struct load_counters *counters = data;
	if (size < offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs)
		return 1;
	counters->adds = info->dlpi_adds;
	counters->subs = info->dlpi_subs;
	return 1;
}

static bool all_known(const uintptr_t *pcs, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		if (!current || !modules_find(current->modules, current->count, pcs[i]))
			return false;
	}
	return true;
}

/* What a refresh is for: the pcs a sample found unknown, or none to refresh in any
   case. */
struct refresh_request {
	const uintptr_t *pcs;
	unsigned count;
};

/* Runs with the loader's lock held, as dl_iterate_phdr calls back; reading the
   objects there again is allowed, that lock being recursive. The counters change
   only when a refresh follows, so a change is never seen and then forgotten. */
static int refresh_under_loader_lock(struct dl_phdr_info *info, size_t size, void *data)
{
	const struct refresh_request *request = data;
	struct load_counters counters = {0, 0};
	read_counters(info, size, &counters);
	pthread_mutex_lock(&lock);
	bool changed = counters.adds != seen_adds || counters.subs != seen_subs;
	if (!request || (changed && !all_known(request->pcs, request->count))) {
		seen_adds = counters.adds;
		seen_subs = counters.subs;
		refresh_locked();
	}
	pthread_mutex_unlock(&lock);
	return 1;
}

/* The loader's lock first, then ours, as for a sample taken in a program's
   dl_iterate_phdr callback (which holds the loader's lock and may need ours to
   refresh): ours first and the loader's next would leave each thread waiting for the
   other. */
void modules_refresh(void)
{
	dl_iterate_phdr(refresh_under_loader_lock, NULL);
}

void modules_notice(const uintptr_t *pcs, unsigned count)
{
	pthread_mutex_lock(&lock);
	bool known = all_known(pcs, count);
	pthread_mutex_unlock(&lock);
	if (!known) {
		struct refresh_request request = {pcs, count};
		dl_iterate_phdr(refresh_under_loader_lock, &request);
	}
}

void modules_lock(void)
{
	pthread_mutex_lock(&lock);
}

void modules_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

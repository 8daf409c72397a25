#include "next_allocator.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "bootstrap.h"
#include "live.h"
#include "loaded_object.h"
#include "thread_state.h"

enum { UNRESOLVED, RESOLVING, RESOLVED };

static _Atomic int resolution = UNRESOLVED;
static __thread bool resolving_thread TLS_MODEL;

/* Stubs used until resolution: they resolve, then forward (or serve the bootstrap
   area when called from inside the lookup itself). */
static void *first_malloc(size_t size)
{
	next_allocator_resolve();
	return resolving_thread ? bootstrap_alloc(16, size) : next.malloc(size);
}

static void first_free(void *pointer)
{
	next_allocator_resolve();
	if (!resolving_thread)
		next.free(pointer);
}

static void *first_calloc(size_t count, size_t size)
{
	next_allocator_resolve();
	if (!resolving_thread)
		return next.calloc(count, size);
	size_t bytes;
	if (__builtin_mul_overflow(count, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return bootstrap_alloc(16, bytes);
}

static void *first_realloc(void *pointer, size_t size)
{
	next_allocator_resolve();
	if (!resolving_thread)
		return next.realloc(pointer, size);
	/* dlsym never reallocates; keep it simple and correct for fresh blocks only. */
	if (pointer) {
		errno = ENOMEM;
		return NULL;
	}
	return bootstrap_alloc(16, size);
}

static void *first_memalign(size_t alignment, size_t size)
{
	next_allocator_resolve();
	return resolving_thread ? bootstrap_alloc(alignment, size) : next.memalign(alignment, size);
}

/* Emulations for functions the next allocator lacks, built on the ones it has, so that
   every block still comes from (and returns to) that one allocator. */
static void *emulated_reallocarray(void *pointer, size_t count, size_t size)
{
	size_t bytes;
	if (__builtin_mul_overflow(count, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return next.realloc(pointer, bytes);
}

static int emulated_posix_memalign(void **result, size_t alignment, size_t size)
{
	if (alignment < sizeof(void *) || (alignment & (alignment - 1)))
		return EINVAL;
	int saved = errno;
	void *pointer = next.memalign(alignment, size);
	int error = pointer ? 0 : errno;
	errno = saved;
	if (!pointer)
		return error;
	*result = pointer;
	return 0;
}

static void *emulated_memalign(size_t alignment, size_t size)
{
	void *result;
	/* memalign accepts any alignment; round it up to a valid one as glibc does. */
	size_t valid = sizeof(void *);
	while (valid < alignment)
		valid <<= 1;
	int error = next.posix_memalign(&result, valid, size);
	if (error) {
		errno = error;
		return NULL;
	}
	return result;
}

static void *emulated_aligned_alloc(size_t alignment, size_t size)
{
	return next.memalign(alignment, size);
}

static void *emulated_valloc(size_t size)
{
	return next.memalign((size_t)sysconf(_SC_PAGESIZE), size);
}

static void *emulated_pvalloc(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t rounded;
	if (__builtin_add_overflow(size, page - 1, &rounded)) {
		errno = ENOMEM;
		return NULL;
	}
	rounded &= ~(page - 1);
	return next.memalign(page, rounded ? rounded : page);
}

static size_t missing_malloc_usable_size(void *pointer)
{
	(void)pointer;
	return 0;
}

static void emulated_free_sized(void *pointer, size_t size)
{
	(void)size;
	next.free(pointer);
}

static void emulated_free_aligned_sized(void *pointer, size_t alignment, size_t size)
{
	(void)alignment;
	(void)size;
	next.free(pointer);
}

/* Last resorts for C++'s operators, when no definition can be found to forward to
   (see next_operator_find): built, as above, on the next allocator's functions. They
   cannot throw: out of memory, even the plain forms of new return NULL. */
static void *emulated_new(size_t size)
{
	return next.malloc(size ? size : 1);
}

static void *emulated_new_nothrow(size_t size, const void *nothrow)
{
	(void)nothrow;
	return emulated_new(size);
}

static void *emulated_new_aligned(size_t size, size_t alignment)
{
	return next.memalign(alignment, size ? size : 1);
}

static void *emulated_new_aligned_nothrow(size_t size, size_t alignment, const void *nothrow)
{
	(void)nothrow;
	return emulated_new_aligned(size, alignment);
}

static void emulated_delete(void *pointer)
{
	next.free(pointer);
}

static void emulated_delete_nothrow(void *pointer, const void *nothrow)
{
	(void)nothrow;
	next.free(pointer);
}

static void emulated_delete_aligned_nothrow(void *pointer, size_t alignment, const void *nothrow)
{
	(void)alignment;
	(void)nothrow;
	next.free(pointer);
}

struct next_allocator next = {
	.malloc = first_malloc,
	.free = first_free,
	.calloc = first_calloc,
	.realloc = first_realloc,
	.reallocarray = emulated_reallocarray,
	.posix_memalign = emulated_posix_memalign,
	.aligned_alloc = emulated_aligned_alloc,
	.memalign = first_memalign,
	.valloc = emulated_valloc,
	.pvalloc = emulated_pvalloc,
	.malloc_usable_size = missing_malloc_usable_size,
	.free_sized = emulated_free_sized,
	.free_aligned_sized = emulated_free_aligned_sized,
};

_Atomic(const struct next_operator *) next_operators[NEXT_OPERATOR_COUNT];
/* What next_operators point to: each entry written once, by the thread that claimed
   its operator, before it is published. */
static struct next_operator found_operators[NEXT_OPERATOR_COUNT];
static atomic_bool claimed_operators[NEXT_OPERATOR_COUNT];

#define OPERATOR(which, mangled, emulation) [which] = {mangled, {(next_function)(emulation), true}}
static const struct {
	const char *name;
	struct next_operator emulated;
} operators[NEXT_OPERATOR_COUNT] = {
	OPERATOR(NEXT_NEW, "_Znwm", emulated_new),
	OPERATOR(NEXT_NEW_ARRAY, "_Znam", emulated_new),
	OPERATOR(NEXT_NEW_NOTHROW, "_ZnwmRKSt9nothrow_t", emulated_new_nothrow),
	OPERATOR(NEXT_NEW_ARRAY_NOTHROW, "_ZnamRKSt9nothrow_t", emulated_new_nothrow),
	OPERATOR(NEXT_NEW_ALIGNED, "_ZnwmSt11align_val_t", emulated_new_aligned),
	OPERATOR(NEXT_NEW_ARRAY_ALIGNED, "_ZnamSt11align_val_t", emulated_new_aligned),
	OPERATOR(NEXT_NEW_ALIGNED_NOTHROW, "_ZnwmSt11align_val_tRKSt9nothrow_t",
		 emulated_new_aligned_nothrow),
	OPERATOR(NEXT_NEW_ARRAY_ALIGNED_NOTHROW, "_ZnamSt11align_val_tRKSt9nothrow_t",
		 emulated_new_aligned_nothrow),
	OPERATOR(NEXT_DELETE, "_ZdlPv", emulated_delete),
	OPERATOR(NEXT_DELETE_ARRAY, "_ZdaPv", emulated_delete),
	OPERATOR(NEXT_DELETE_SIZED, "_ZdlPvm", emulated_free_sized),
	OPERATOR(NEXT_DELETE_ARRAY_SIZED, "_ZdaPvm", emulated_free_sized),
	OPERATOR(NEXT_DELETE_NOTHROW, "_ZdlPvRKSt9nothrow_t", emulated_delete_nothrow),
	OPERATOR(NEXT_DELETE_ARRAY_NOTHROW, "_ZdaPvRKSt9nothrow_t", emulated_delete_nothrow),
	OPERATOR(NEXT_DELETE_ALIGNED, "_ZdlPvSt11align_val_t", emulated_free_sized),
	OPERATOR(NEXT_DELETE_ARRAY_ALIGNED, "_ZdaPvSt11align_val_t", emulated_free_sized),
	OPERATOR(NEXT_DELETE_SIZED_ALIGNED, "_ZdlPvmSt11align_val_t", emulated_free_aligned_sized),
	OPERATOR(NEXT_DELETE_ARRAY_SIZED_ALIGNED, "_ZdaPvmSt11align_val_t", emulated_free_aligned_sized),
	OPERATOR(NEXT_DELETE_ALIGNED_NOTHROW, "_ZdlPvSt11align_val_tRKSt9nothrow_t",
		 emulated_delete_aligned_nothrow),
	OPERATOR(NEXT_DELETE_ARRAY_ALIGNED_NOTHROW, "_ZdaPvSt11align_val_tRKSt9nothrow_t",
		 emulated_delete_aligned_nothrow),
};

/* The object the next malloc lives in. */
static const void *allocator_object;

/* Where the object holding `address` is mapped, or NULL. _dl_find_object (glibc 2.35
   on; the loader sets it up before the first call into our malloc) finds it without
   dladdr's search for the nearest symbol, which was most of the constructor's cost
   (docs/performance.md, "The fixed cost per process"). Where it finds nothing, dladdr
   decides. */
static const void *object_of(void *address)
{
#ifdef DLFO_STRUCT_HAS_EH_DBASE
	struct dl_find_object found;
	if (_dl_find_object(address, &found) == 0)
		return found.dlfo_map_start;
#endif
	Dl_info info;
	if (!dladdr(address, &info))
		return NULL;
	return info.dli_fbase;
}

/* The next definition of `name`, provided it lives in the same object as the next
   malloc: mixing glibc's memalign with jemalloc's free would corrupt the heap. */
static void *lookup(const char *name, const void *malloc_object)
{
	void *function = dlsym(RTLD_NEXT, name);
	if (!function || object_of(function) != malloc_object)
		return NULL;
	return function;
}

/* Publishes what the operator forwards to with one store, so that no thread pairs a
   function with another's way of calling it; unless another thread claimed the
   operator first, whose choice every call takes once published. Returns `entry`, for
   the caller's own call meanwhile. */
static struct next_operator publish_operator(enum next_operator_id which, struct next_operator entry)
{
	if (!atomic_exchange_explicit(&claimed_operators[which], true, memory_order_relaxed)) {
		found_operators[which] = entry;
		atomic_store_explicit(&next_operators[which], &found_operators[which], memory_order_release);
	}
	return entry;
}

/* Takes `function` for the operator unless it is NULL or heapprof's own. */
static bool take_operator(enum next_operator_id which, void *function)
{
	const void *object = function ? object_of(function) : NULL;
	if (!object || object == object_of((void *)next_operator_find))
		return false;
	next_function typed;
	memcpy(&typed, &function, sizeof typed);
	publish_operator(which, (struct next_operator){typed, object == allocator_object});
	return true;
}

/* The operators that follow heapprof in the program's scope. A program without a C++
   runtime there (most C programs) has none, and is spared the other lookups. */
static void resolve_operators(void)
{
	for (int which = 0; which < NEXT_OPERATOR_COUNT; which++) {
		if (!take_operator(which, dlsym(RTLD_NEXT, operators[which].name)) && which == NEXT_NEW)
			return;
	}
}

/* glibc's own names for its allocator: the fallback when the lookup finds nothing. */
extern void *__libc_malloc(size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static void use_glibc_entry_points(void)
{
	next.malloc = __libc_malloc;
	next.free = __libc_free;
	next.calloc = __libc_calloc;
	next.realloc = __libc_realloc;
	next.memalign = __libc_memalign;
	next.posix_memalign = emulated_posix_memalign;
}

#define TAKE(member, object)                                            \
	do {                                                            \
		void *found = lookup(#member, object);                  \
		if (found)                                              \
			memcpy(&resolved.member, &found, sizeof found); \
	} while (0)

static void resolve_all(void)
{
	struct next_allocator resolved = next;
	void *malloc_function = dlsym(RTLD_NEXT, "malloc");
	const void *object = malloc_function ? object_of(malloc_function) : NULL;
	allocator_object = object;
	if (!object) {
		use_glibc_entry_points();
		return;
	}
	TAKE(malloc, object);
	TAKE(free, object);
	TAKE(calloc, object);
	TAKE(realloc, object);
	TAKE(memalign, object);
	TAKE(posix_memalign, object);
	TAKE(aligned_alloc, object);
	TAKE(reallocarray, object);
	TAKE(valloc, object);
	TAKE(pvalloc, object);
	TAKE(malloc_usable_size, object);
	TAKE(free_sized, object);
	TAKE(free_aligned_sized, object);
	if (resolved.memalign == first_memalign) {
		/* Without memalign, alignment must come from posix_memalign; we rely on it. */
		resolved.memalign = emulated_memalign;
	}
	next = resolved;
	resolve_operators();
}

void next_allocator_resolve(void)
{
	if (atomic_load_explicit(&resolution, memory_order_acquire) == RESOLVED || resolving_thread)
		return;
	int expected = UNRESOLVED;
	if (atomic_compare_exchange_strong(&resolution, &expected, RESOLVING)) {
		/* free(NULL) and realloc(NULL, n) go to the slow paths, which handle them. */
		live_flag_forever(NULL);
		resolving_thread = true;
		resolve_all();
		resolving_thread = false;
		atomic_store_explicit(&resolution, RESOLVED, memory_order_release);
		return;
	}
	while (atomic_load_explicit(&resolution, memory_order_acquire) != RESOLVED)
		sched_yield();
}

bool next_allocator_bootstrapping(void)
{
	return resolving_thread;
}

/* A definition of an operator among the loaded objects. */
struct loaded_operator {
	const char *name;
	uintptr_t caller;
	void *function; /* NULL until found */
	bool kept, records;
};

/* For dl_iterate_phdr: the definition in the caller's own object, else the first in
   load order (the caller's C++ runtime loads after it), never heapprof's. */
static int find_loaded_operator(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct loaded_operator *search = data;
	bool callers = loaded_object_holds(info, search->caller);
	if ((search->function && !callers) || loaded_object_holds(info, (uintptr_t)find_loaded_operator))
		return 0;
	void *function = loaded_object_function(info, search->name);
	if (!function)
		return 0;
	search->function = function;
	search->kept = loaded_object_kept(info);
	search->records = loaded_object_holds(info, (uintptr_t)next.malloc);
	return callers;
}

struct next_operator next_operator_find(enum next_operator_id which, uintptr_t caller)
{
	next_allocator_resolve();
	if (next_allocator_bootstrapping())
		return (struct next_operator){operators[which].emulated.function, false};
	const struct next_operator *known =
		atomic_load_explicit(&next_operators[which], memory_order_acquire);
	if (known)
		return *known;
	struct loaded_operator found = {.name = operators[which].name, .caller = caller};
	dl_iterate_phdr(find_loaded_operator, &found);
	/* Nothing the caller could have bound to: code that belongs to no object. */
	if (!found.function)
		return publish_operator(which, operators[which].emulated);
	struct next_operator entry = {.records = found.records};
	memcpy(&entry.function, &found.function, sizeof entry.function);
	/* An object the loader may unload could come back at another address. */
	return found.kept ? publish_operator(which, entry) : entry;
}

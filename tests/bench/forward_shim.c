/* The least an LD_PRELOAD sampling interposer can do: forward every call to the next
   allocator found with dlsym(RTLD_NEXT), after the same initial-exec TLS byte countdown
   heapprof runs on each allocation. Its slow path only re-arms the countdown (no
   stack, no table), and free checks nothing but the bootstrap area, which any
   dlsym-based interposer needs. The benchmark's floor: heapprof's overhead over
   this shim is what heapprof's own design costs.

   Built with SHIM_UNWIND (libforward_shim_unwind.so), the slow path also captures the
   stack with libunwind's unw_backtrace, loaded as heapprof loads it: the least a
   sampling profiler does at each sample, with nothing recorded, attributed or written.

   SHIM_RATE (bytes between slow paths, default 524288 = heapprof's default rate). */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

static uint64_t rate = 512 * 1024;
/* Starts at 0, so each thread's first allocation takes the slow path and arms it. */
static __thread uint64_t bytes_until_slow_path __attribute__((tls_model("initial-exec")));

/* dlsym calls calloc before calloc is known: serve those calls from a static area,
   whose blocks are recognised in free and realloc and never handed to the allocator. */
static char bootstrap_area[16 * 1024] __attribute__((aligned(16)));
static size_t bootstrap_used;
static __thread _Bool resolving __attribute__((tls_model("initial-exec")));

static void *bootstrap_alloc(size_t size)
{
	size = (size + 15) & ~(size_t)15;
	if (size > sizeof bootstrap_area - bootstrap_used)
		return NULL;
	void *block = bootstrap_area + bootstrap_used;
	bootstrap_used += size;
	return block; /* static storage is zeroed, as calloc promises */
}

static inline _Bool bootstrap_owns(const void *pointer)
{
	return (uintptr_t)pointer - (uintptr_t)bootstrap_area < sizeof bootstrap_area;
}

static void resolve(void);

/* Until resolve() has run, each pointer refers to a stub that resolves and retries,
   so the fast path never tests whether the lookup is done. */
static void *first_malloc(size_t size);
static void *first_calloc(size_t count, size_t size);
static void *first_realloc(void *pointer, size_t size);
static void first_free(void *pointer);
static int first_posix_memalign(void **result, size_t alignment, size_t size);
static void *first_aligned_alloc(size_t alignment, size_t size);
static void *first_memalign(size_t alignment, size_t size);

static void *(*next_malloc)(size_t) = first_malloc;
static void *(*next_calloc)(size_t, size_t) = first_calloc;
static void *(*next_realloc)(void *, size_t) = first_realloc;
static void (*next_free)(void *) = first_free;
static int (*next_posix_memalign)(void **, size_t, size_t) = first_posix_memalign;
static void *(*next_aligned_alloc)(size_t, size_t) = first_aligned_alloc;
static void *(*next_memalign)(size_t, size_t) = first_memalign;

static void resolve(void)
{
	if (resolving || next_malloc != first_malloc)
		return;
	resolving = 1;
	void *(*found_calloc)(size_t, size_t) = dlsym(RTLD_NEXT, "calloc");
	void *(*found_realloc)(void *, size_t) = dlsym(RTLD_NEXT, "realloc");
	void (*found_free)(void *) = dlsym(RTLD_NEXT, "free");
	int (*found_posix_memalign)(void **, size_t, size_t) = dlsym(RTLD_NEXT, "posix_memalign");
	void *(*found_aligned_alloc)(size_t, size_t) = dlsym(RTLD_NEXT, "aligned_alloc");
	void *(*found_memalign)(size_t, size_t) = dlsym(RTLD_NEXT, "memalign");
	void *(*found_malloc)(size_t) = dlsym(RTLD_NEXT, "malloc");
	const char *rate_setting = getenv("SHIM_RATE");
	if (rate_setting && strtoull(rate_setting, NULL, 10) > 0)
		rate = strtoull(rate_setting, NULL, 10);
	next_calloc = found_calloc;
	next_realloc = found_realloc;
	next_free = found_free;
	next_posix_memalign = found_posix_memalign;
	next_aligned_alloc = found_aligned_alloc;
	next_memalign = found_memalign;
	next_malloc = found_malloc;
	resolving = 0;
}

static void *first_malloc(size_t size)
{
	resolve();
	return resolving ? bootstrap_alloc(size) : next_malloc(size);
}

static void *first_calloc(size_t count, size_t size)
{
	resolve();
	if (!resolving)
		return next_calloc(count, size);
	size_t bytes;
	return __builtin_mul_overflow(count, size, &bytes) ? NULL : bootstrap_alloc(bytes);
}

/* Inside the lookup the stubs must not call themselves: realloc then only sees NULL
   (bootstrap blocks are handled by realloc itself), free only NULL, and nothing there
   asks for alignment. */
static void *first_realloc(void *pointer, size_t size)
{
	resolve();
	return resolving ? bootstrap_alloc(size) : next_realloc(pointer, size);
}

static void first_free(void *pointer)
{
	resolve();
	if (!resolving)
		next_free(pointer);
}

static int first_posix_memalign(void **result, size_t alignment, size_t size)
{
	resolve();
	return resolving ? ENOMEM : next_posix_memalign(result, alignment, size);
}

static void *first_aligned_alloc(size_t alignment, size_t size)
{
	resolve();
	return resolving ? NULL : next_aligned_alloc(alignment, size);
}

static void *first_memalign(size_t alignment, size_t size)
{
	resolve();
	return resolving ? NULL : next_memalign(alignment, size);
}

#ifdef SHIM_UNWIND
#define MAX_FRAMES 80 /* heapprof's default depth, 64, and room for its own frames */

static int (*unwind_backtrace)(void **frames, int size);
/* libunwind may allocate while it unwinds: those allocations are not sampled. */
static __thread _Bool unwinding __attribute__((tls_model("initial-exec")));

static void capture_stack(void)
{
	void *frames[MAX_FRAMES];
	if (unwinding || !unwind_backtrace)
		return;
	unwinding = 1;
	unwind_backtrace(frames, MAX_FRAMES);
	unwinding = 0;
}

/* RTLD_LOCAL, as heapprof does, so libunwind's _Unwind_* stay out of the global scope. */
static void load_unwinder(void)
{
	void *library = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
	if (library)
		unwind_backtrace = (int (*)(void **, int))dlsym(library, "unw_backtrace");
	capture_stack(); /* the first capture sets up libunwind's caches */
}
#else
static void capture_stack(void)
{
}

static void load_unwinder(void)
{
}
#endif

/* Where a profiler takes its sample: here the countdown is re-armed and, with
   SHIM_UNWIND, the stack captured. */
__attribute__((noinline, cold)) static void slow_path(void)
{
	bytes_until_slow_path = rate;
	capture_stack();
}

static inline void charge(size_t size)
{
	if (likely(size < bytes_until_slow_path))
		bytes_until_slow_path -= size;
	else
		slow_path();
}

EXPORT void *malloc(size_t size)
{
	charge(size);
	return next_malloc(size);
}

EXPORT void *calloc(size_t count, size_t size)
{
	/* An overflowing product only charges a wrong amount; the allocator reports it. */
	charge(count * size);
	return next_calloc(count, size);
}

EXPORT void *realloc(void *pointer, size_t size)
{
	if (unlikely(bootstrap_owns(pointer))) {
		/* Move the block to the real allocator; its old size is not kept, so copy
		   what the area holds from it on, up to the new size. */
		size_t available = (size_t)(bootstrap_area + sizeof bootstrap_area - (char *)pointer);
		void *moved = malloc(size);
		if (moved)
			memcpy(moved, pointer, size < available ? size : available);
		return moved;
	}
	charge(size);
	return next_realloc(pointer, size);
}

EXPORT void free(void *pointer)
{
	if (unlikely(bootstrap_owns(pointer)))
		return;
	next_free(pointer);
}

EXPORT int posix_memalign(void **result, size_t alignment, size_t size)
{
	charge(size);
	return next_posix_memalign(result, alignment, size);
}

EXPORT void *aligned_alloc(size_t alignment, size_t size)
{
	charge(size);
	return next_aligned_alloc(alignment, size);
}

EXPORT void *memalign(size_t alignment, size_t size)
{
	charge(size);
	return next_memalign(alignment, size);
}

__attribute__((constructor)) static void start(void)
{
	resolve();
	load_unwinder();
}

/* Threads with small stacks that allocate: one with the smallest stack there is
   (PTHREAD_STACK_MIN, 16 KiB), one with 32 KiB that uses 16 KiB of it before it
   allocates, and a 16 KiB one that has used 5 KiB before its first allocation, made
   from code without a frame-pointer chain (as the loader's are). Each allocates from several call sites with every function of the
   malloc family, so that an unwinder sampling them meets new frames, and then in a
   library loaded meanwhile, whose frames nothing has seen yet.

   usage: small_stacks PLUGIN.so            run both threads, print what they did
          small_stacks PLUGIN.so --measure  the most bytes below its caller's frame a
                                            call into the allocator wrote (on a
                                            painted stack) */
#include <dlfcn.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define ROUNDS 200
#define USED_BY_ITSELF (16 * 1024)
#define USED_BEFORE_UNCHAINED (5 * 1024)
#define PAINT 0xa5
#define MEASURED_STACK (256 * 1024)

static void *volatile kept[8];
/* The frame of the function that last called into the allocator, for --measure. */
static uintptr_t caller_frame;

static void no_measurement(void)
{
}

static void (*between_calls)(void) = no_measurement;
static const char *plugin_path;

#define SITE(name, call)                                              \
	__attribute__((noinline)) static void *name(size_t size)      \
	{                                                             \
		caller_frame = (uintptr_t)__builtin_frame_address(0); \
		return call;                                          \
	}
SITE(site_malloc, malloc(size))
SITE(site_calloc, calloc(1, size))
SITE(site_aligned, aligned_alloc(64, size))
SITE(site_memalign, memalign(256, size))
SITE(site_valloc, valloc(size))
SITE(site_realloc, realloc(kept[0], size))

__attribute__((noinline)) static void *site_posix_memalign(size_t size)
{
	void *block = NULL;
	caller_frame = (uintptr_t)__builtin_frame_address(0);
	return posix_memalign(&block, 32, size) == 0 ? block : NULL;
}

__attribute__((noinline)) static void release(unsigned slot)
{
	caller_frame = (uintptr_t)__builtin_frame_address(0);
	free(kept[slot]);
	kept[slot] = NULL;
}

/* Each round's blocks stay live until the next round frees them: none is optimized
   away, and frees of sampled blocks take heapprof's slow path. */
__attribute__((noinline)) static long allocate_everything(void)
{
	long sum = 0;
	for (unsigned round = 0; round < ROUNDS; round++) {
		size_t size = 16 + round * 40;
		between_calls();
		kept[0] = site_realloc(size);
		void *(*sites[])(size_t) = {site_malloc,   site_calloc, site_aligned,
					    site_memalign, site_valloc, site_posix_memalign};
		for (unsigned i = 0; i < 6; i++) {
			between_calls();
			release(i + 1);
			between_calls();
			kept[i + 1] = sites[i](size);
			memset(kept[i + 1], (int)i, size);
			sum += ((unsigned char *)kept[i + 1])[size - 1];
		}
	}
	for (unsigned slot = 0; slot < 8; slot++) {
		between_calls();
		release(slot);
	}
	between_calls();
	return sum;
}

/* The plugin's allocations, the first from frames in a newly loaded object. */
__attribute__((noinline)) static long allocate_in_plugin(void)
{
	void *plugin = dlopen(plugin_path, RTLD_NOW | RTLD_LOCAL);
	if (!plugin)
		return -1;
	long (*allocate)(void) = (long (*)(void))dlsym(plugin, "plugin_allocate");
	between_calls();
	caller_frame = (uintptr_t)__builtin_frame_address(0);
	long sum = allocate();
	between_calls();
	dlclose(plugin);
	return sum;
}

static void *smallest_stack(void *unused)
{
	(void)unused;
	return (void *)(allocate_everything() + allocate_in_plugin());
}

/* Most of the stack is used before the allocations begin. */
static void *half_used_stack(void *unused)
{
	(void)unused;
	volatile char used[USED_BY_ITSELF];
	memset((char *)used, 1, sizeof used);
	long sum = allocate_everything() + allocate_in_plugin();
	return (void *)(sum + used[USED_BY_ITSELF - 1] - 1);
}

/* Calls allocate(size) with the frame-pointer register cleared, as code built without
   frame pointers calls malloc: a frame-pointer walk finds no chain above it. */
__asm__(".text\n.type call_unchained, @function\ncall_unchained:\n\tpush %rbp\n\txor %ebp, %ebp\n"
	"\tcall *%rsi\n\tpop %rbp\n\tret\n.size call_unchained, .-call_unchained\n");
void *call_unchained(size_t size, void *(*allocate)(size_t));

/* Its first allocation leaves the stack to libunwind, whose first walk on a thread
   also sets up the thread's part of libunwind, with little of the stack left. */
static void *unchained_after_use(void *unused)
{
	(void)unused;
	volatile char used[USED_BEFORE_UNCHAINED];
	memset((char *)used, 1, sizeof used);
	kept[0] = call_unchained(100, malloc);
	long sum = kept[0] != NULL;
	free(kept[0]);
	kept[0] = NULL;
	return (void *)(sum + used[USED_BEFORE_UNCHAINED - 1] - 1);
}

static long run_with_stack(void *(*body)(void *), size_t stack_size)
{
	pthread_attr_t attributes;
	pthread_attr_init(&attributes);
	if (pthread_attr_setstacksize(&attributes, stack_size) != 0)
		return -1;
	pthread_t thread;
	if (pthread_create(&thread, &attributes, body, NULL) != 0)
		return -1;
	void *result;
	pthread_join(thread, &result);
	pthread_attr_destroy(&attributes);
	return (long)result;
}

static unsigned char *painted;
static size_t deepest;

/* After each call: how far below its caller's frame the stack was written. Then the
   stack below this frame is painted again for the next call. */
static void measure_and_repaint(void)
{
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	if (caller_frame) {
		uintptr_t lowest = (uintptr_t)painted;
		while (*(unsigned char *)lowest == PAINT)
			lowest++;
		if (caller_frame > lowest && caller_frame - lowest > deepest)
			deepest = caller_frame - lowest;
	}
	memset(painted, PAINT, here - 1024 - (uintptr_t)painted);
	caller_frame = 0;
}

static void measure(void)
{
	painted = mmap(NULL, MEASURED_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(painted, PAINT, MEASURED_STACK);
	between_calls = measure_and_repaint;
	pthread_attr_t attributes;
	pthread_attr_init(&attributes);
	pthread_attr_setstack(&attributes, painted, MEASURED_STACK);
	pthread_t thread;
	pthread_create(&thread, &attributes, smallest_stack, NULL);
	pthread_join(thread, NULL);
	pthread_attr_destroy(&attributes);
	printf("deepest %zu\n", deepest);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	plugin_path = argv[1];
	if (argc > 2 && strcmp(argv[2], "--measure") == 0) {
		measure();
		return 0;
	}
	printf("16 KiB stack: %ld\n", run_with_stack(smallest_stack, PTHREAD_STACK_MIN));
	printf("32 KiB stack, 16 KiB used: %ld\n", run_with_stack(half_used_stack, 32 * 1024));
	printf("16 KiB stack, 5 KiB used, no frame chain: %ld\n",
	       run_with_stack(unchained_after_use, PTHREAD_STACK_MIN));
	return 0;
}

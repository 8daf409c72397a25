#include "unwind.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>

#include "libunwind_pipe.h"
#include "log.h"
#include "options.h"
#include "thread_state.h"

/* The thread heapprof started on: its stack is the process's. */
static pthread_t initial_thread;

int (*unwind_backtrace)(void **frames, int size);
static uintptr_t own_text_start, own_text_end;

/* The bounds of this library's executable segment, from its own program headers. */
static void find_own_text(void)
{
	extern const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));
	const ElfW(Ehdr) *header = &__ehdr_start;
	const ElfW(Phdr) *segments = (const ElfW(Phdr) *)((const char *)header + header->e_phoff);
	uintptr_t bias = 0;
	for (unsigned i = 0; i < header->e_phnum; i++) {
		if (segments[i].p_type == PT_LOAD) {
			bias = (uintptr_t)header -
			       (segments[i].p_vaddr & ~(uintptr_t)(segments[i].p_align - 1));
			break;
		}
	}
	for (unsigned i = 0; i < header->e_phnum; i++) {
		if (segments[i].p_type == PT_LOAD && (segments[i].p_flags & PF_X)) {
			own_text_start = bias + segments[i].p_vaddr;
			own_text_end = own_text_start + segments[i].p_memsz;
			return;
		}
	}
}

static void load_libunwind(void)
{
	void *library = dlopen("libunwind.so.8", RTLD_LAZY | RTLD_LOCAL);
	if (!library) {
		log_message("cannot load libunwind.so.8; samples will have no stacks");
		return;
	}
	libunwind_pipe_guard(library);
	typedef int (*caching_function)(void *address_space, int policy);
	caching_function set_caching = (caching_function)dlsym(library, "_ULx86_64_set_caching_policy");
	void **address_space = (void **)dlsym(library, "_ULx86_64_local_addr_space");
	if (set_caching && address_space)
		set_caching(*address_space, 2 /* UNW_CACHE_PER_THREAD */);
	int (*backtrace)(void **, int) = (int (*)(void **, int))dlsym(library, "unw_backtrace");
	if (!backtrace) {
		log_message("libunwind.so.8 has no unw_backtrace; samples will have no stacks");
		return;
	}
	/* The first capture in a process sets up libunwind's caches: pay for it here,
	   not inside the program's first sampled malloc. As deep as a capture: a shorter
	   walk would leave more of libunwind's set-up to a sampled malloc. */
	void *warm[4 + UNWIND_MAX_OWN_FRAMES];
	unwind_walk(backtrace, warm, 4 + UNWIND_MAX_OWN_FRAMES);
	__atomic_store_n(&unwind_backtrace, backtrace, __ATOMIC_RELEASE);
}

void unwind_start(void)
{
	initial_thread = pthread_self();
	find_own_text();
}

void unwind_load(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct thread_state *state = &thread_state;
	bool was_busy = state->busy;
	/* dlopen and libunwind's set-up allocate: those allocations are ours. */
	state->busy = true;
	pthread_once(&once, load_libunwind);
	state->busy = was_busy;
}

static bool is_own(uintptr_t pc)
{
	return pc >= own_text_start && pc < own_text_end;
}

unsigned unwind_keep_program_frames(uintptr_t *pcs, int count, unsigned max)
{
	int first = 0;
	/* Skip libunwind's frame(s), then ours: what follows is the program. Frames of
	   ours further down are dropped too: an operator new that forwards to an
	   allocator whose operator calls heapprof's aligned_alloc is such a frame (the
	   frame-pointer walk skips them as well). Kept frames move down in place. */
	while (first < count && !is_own(pcs[first]))
		first++;
	unsigned kept = 0;
	for (int i = first; i < count && kept < max; i++) {
		if (!is_own(pcs[i]))
			pcs[kept++] = pcs[i] - 1;
	}
	return kept;
}

static bool find_stack(struct thread_state *state)
{
	pthread_attr_t attributes;
	void *low;
	size_t size;
	/* For the main thread glibc reads /proc/self/maps here (it allocates): fine, the
	   thread is busy, and it happens once. */
	if (pthread_getattr_np(pthread_self(), &attributes) != 0)
		return false;
	bool found = pthread_attr_getstack(&attributes, &low, &size) == 0;
	pthread_attr_destroy(&attributes);
	if (found) {
		state->stack_low = (uintptr_t)low;
		state->stack_high = (uintptr_t)low + size;
	}
	return found;
}

/* What a libunwind walk writes below heapprof's slow path, and on a thread's first
   walk also the allocation its thread-local data takes through __tls_get_addr and the
   allocator (docs/reliability.md, "The stack heapprof needs"). */
#define LIBUNWIND_STACK (5 * 1024)
#define LIBUNWIND_FIRST_STACK (8 * 1024)

bool unwind_stack_allows_libunwind(void)
{
	struct thread_state *state = &thread_state;
	if (state->internal_signals_blocked)
		return false;
	/* The initial thread's stack grows to its limit (8 MiB by default), and finding
	   its bounds reads /proc/self/maps: 150k instructions in a short process. */
	if (pthread_equal(pthread_self(), initial_thread))
		return true;
	if (!state->stack_high && !find_stack(state))
		return true;
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	if (here < state->stack_low || here >= state->stack_high)
		return true;
	return here - state->stack_low >= (state->libunwind_walked ? LIBUNWIND_STACK : LIBUNWIND_FIRST_STACK);
}

/* Follows saved frame pointers: [frame] is the caller's frame, [frame + 8] the return
   address. Every frame must lie above the previous one inside this thread's stack,
   so a chain broken by code without frame pointers ends the walk instead of
   reading stray memory. */
unsigned unwind_with_frame_pointers(uintptr_t *pcs, unsigned max, uintptr_t caller)
{
	struct thread_state *state = &thread_state;
	if (!caller || is_own(caller) || (!state->stack_high && !find_stack(state)))
		return 0;
	unsigned kept = 0;
	const uintptr_t *frame = __builtin_frame_address(0);
	while (kept < max) {
		uintptr_t address = (uintptr_t)frame;
		if (address < state->stack_low || address > state->stack_high - 2 * sizeof(uintptr_t) ||
		    address % sizeof(uintptr_t))
			break;
		uintptr_t return_address = frame[1];
		const uintptr_t *next_frame = (const uintptr_t *)frame[0];
		if (!is_own(return_address)) {
			if (return_address < 4096)
				break;
			/* An entry point that called (rather than jumped to) its slow path left
			   no frame of its own: its caller's address comes from `caller`. */
			if (kept == 0 && return_address != caller)
				pcs[kept++] = caller - 1;
			if (kept < max)
				pcs[kept++] = return_address - 1;
		}
		if (next_frame <= frame)
			break;
		frame = next_frame;
	}
	return kept;
}

#include "dump_stack.h"

#include <stdbool.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* What a default thread has: symbolizing is libdw's recursion over the program's
   DWARF, and took more than 64 KiB at exit in generated programs. Reserved, not
   committed: only the pages a dump touches cost memory. */
#define DUMP_STACK_BYTES (8u << 20)

/* The usable part, above a guard page; NULL until the first dump maps it. */
static char *stack_low;
/* The dump's context and the one it returns to. Static, not on the caller's stack:
   with the floating-point state each is nearly 1 KiB. */
static ucontext_t dump_context, caller_context;
static void (*scheduled_work)(void *argument);
static void *scheduled_argument;

static void run_scheduled(void)
{
	scheduled_work(scheduled_argument);
}

static bool map_stack(void)
{
	if (stack_low)
		return true;
	size_t guard = (size_t)sysconf(_SC_PAGESIZE);
	char *mapping = mmap(NULL, guard + DUMP_STACK_BYTES, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (mapping == MAP_FAILED)
		return false;
	if (mprotect(mapping, guard, PROT_NONE) != 0) {
		munmap(mapping, guard + DUMP_STACK_BYTES);
		return false;
	}
	stack_low = mapping + guard;
	return true;
}

void dump_stack_run(void (*work)(void *argument), void *argument)
{
	if (!map_stack() || getcontext(&dump_context) != 0) {
		work(argument);
		return;
	}
	scheduled_work = work;
	scheduled_argument = argument;
	dump_context.uc_stack.ss_sp = stack_low;
	dump_context.uc_stack.ss_size = DUMP_STACK_BYTES;
	dump_context.uc_link = &caller_context;
	makecontext(&dump_context, run_scheduled, 0);
	if (swapcontext(&caller_context, &dump_context) != 0)
		work(argument);
}
